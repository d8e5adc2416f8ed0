//! The Export screen's state: which formats, where to, and what the last export wrote.

use crate::export::Format;
use crate::export::manifest::{FileEntry, Manifest};

/// Rows of the form: one per format, then the destination, overwrite, and the button.
pub const ROWS: usize = Format::ALL.len() + 3;

/// The Export screen.
#[derive(Debug, Clone)]
pub struct ExportState {
    /// Per [`Format::ALL`]: chosen or not.
    pub formats: [bool; Format::ALL.len()],
    /// A folder or `s3://bucket/prefix`; empty means `<workspace>/exports/<run>`.
    pub destination: String,
    /// The destination being typed.
    pub editing: Option<String>,
    pub overwrite: bool,
    pub selected: usize,
    /// The export job running.
    pub job: Option<crate::jobs::JobId>,
    /// What the job said so far.
    pub log: Vec<String>,
    /// Where the last export went and its manifest.
    pub result: Option<(String, Box<Manifest>)>,
    pub error: Option<String>,
    /// Filters the exported files by path (`/`).
    pub files_filter: super::filter::TableFilter,
}

impl Default for ExportState {
    fn default() -> Self {
        Self {
            formats: [true, false, false, true, false],
            destination: String::new(),
            editing: None,
            overwrite: false,
            selected: 0,
            job: None,
            log: Vec::new(),
            result: None,
            error: None,
            files_filter: super::filter::TableFilter::default(),
        }
    }
}

impl ExportState {
    /// The chosen formats.
    pub fn chosen(&self) -> Vec<Format> {
        Format::ALL
            .iter()
            .zip(self.formats)
            .filter(|(_, on)| *on)
            .map(|(f, _)| *f)
            .collect()
    }

    /// The files of the last export that the `/` filter shows (by path), in manifest
    /// order; empty before an export finished.
    pub fn visible_files(&self) -> Vec<&FileEntry> {
        let Some((_, manifest)) = &self.result else {
            return Vec::new();
        };
        let m = self.files_filter.matcher();
        manifest
            .files
            .iter()
            .filter(|f| m.matches([f.path.as_str()]))
            .collect()
    }

    /// Moves the highlight.
    pub fn step(&mut self, delta: isize) {
        self.selected = (self.selected as isize + delta).rem_euclid(ROWS as isize) as usize;
    }
}
