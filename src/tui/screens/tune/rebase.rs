//! The Tune form following `workspace.toml` when `r` on Data reads it again: what the
//! file changed is taken, what the user set in this session stays.

use super::form::TuneForm;
use crate::config::WorkspaceConfig;

impl TuneForm {
    /// Follows the workspace file from `old_file` to `new_file`: a field whose file value
    /// changed takes the new one; any other keeps what the user set in this session.
    /// Returns the labels of the fields kept different from the file, so the status
    /// line can say nothing was lost.
    pub fn rebase(
        &mut self,
        old_file: &WorkspaceConfig,
        new_file: &WorkspaceConfig,
    ) -> Vec<&'static str> {
        let (old, new) = (Self::from_config(old_file), Self::from_config(new_file));
        let same_shape = |a: &Self| {
            a.fields.len() == self.fields.len()
                && a.fields
                    .iter()
                    .zip(&self.fields)
                    .all(|(x, y)| x.key == y.key)
        };
        if !same_shape(&old) || !same_shape(&new) {
            let selected = self.selected.min(new.fields.len().saturating_sub(1));
            *self = Self { selected, ..new };
            return Vec::new();
        }
        let mut kept = Vec::new();
        for ((mine, was), now) in self.fields.iter_mut().zip(&old.fields).zip(&new.fields) {
            if was.value != now.value {
                mine.value.clone_from(&now.value);
            } else if mine.value != now.value && !kept.contains(&mine.label) {
                kept.push(mine.label);
            }
        }
        self.validate();
        kept
    }
}
