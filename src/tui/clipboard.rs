//! Copying what the screen shows: a table or its highlighted row as CSV, to the terminal's
//! clipboard through OSC 52 (works over SSH and in tmux with `set-clipboard on`) or to a
//! file with `:save`.

use std::path::PathBuf;

use super::app::{AppState, Command, DataState, Screen, Status};
use crate::format::csv_field as field;
use crate::jobs::JobEvent;

/// The current screen's table as CSV: `(what, text)`.
pub fn table(app: &AppState) -> Option<(&'static str, String)> {
    let rows = rows(app)?;
    Some((rows.0, rows.1.join("\n") + "\n"))
}

/// The highlighted row (with the header) as CSV; none when no shown row is highlighted.
pub fn row(app: &AppState) -> Option<(&'static str, String)> {
    let (what, lines, selected) = rows(app)?;
    let line = lines.get(selected? + 1)?;
    Some((what, format!("{}\n{line}\n", lines[0])))
}

/// `(what, header + shown rows, index among them of the highlighted row)`. The table is
/// what the screen shows (the `/` filter applied); the highlighted row is none when the
/// filter hides it, which leaves the table still copyable.
fn rows(app: &AppState) -> Option<(&'static str, Vec<String>, Option<usize>)> {
    let csv = |cells: &[&str]| cells.iter().map(|c| field(c)).collect::<Vec<_>>().join(",");
    match app.screen {
        Screen::Runs => {
            let mut lines = vec![csv(&[
                "run",
                "model",
                "settings",
                "precision",
                "ndcg",
                "popularity",
                "status",
            ])];
            for &i in &app.runs.visible() {
                let r = &app.runs.all[i];
                let m = |f: fn(&crate::eval::EvalReport) -> f64| {
                    r.metrics
                        .as_ref()
                        .map_or_else(String::new, |x| format!("{:.6}", f(x)))
                };
                lines.push(csv(&[
                    &r.id,
                    &r.model,
                    &r.settings(usize::MAX),
                    &m(|x| x.model.precision),
                    &m(|x| x.model.ndcg),
                    &m(|x| x.baseline.precision),
                    r.state.name(),
                ]));
            }
            Some(("runs", lines, Some(app.runs.selected)))
        }
        Screen::Inspect if app.inspect.audience.is_some() => {
            let (Some(a), Some(run)) = (&app.inspect.audience, &app.inspect.run) else {
                return None;
            };
            a.campaign.as_ref()?;
            Some(("audience", a.csv(run), Some(a.selected)))
        }
        Screen::Inspect => {
            let s = &app.inspect;
            let customer = s.customer_id().unwrap_or("").to_owned();
            let mut lines = vec![csv(&[
                "user_id",
                "rank",
                "item_id",
                "description",
                "score",
                "reason",
            ])];
            for (rank, r) in s.recommendations.iter().enumerate() {
                lines.push(csv(&[
                    &customer,
                    &(rank + 1).to_string(),
                    s.item_id(r.item),
                    s.description(r.item),
                    &format!("{:.6}", r.score),
                    r.reason.name(),
                ]));
            }
            Some(("recommendations", lines, Some(s.selected)))
        }
        Screen::Train => {
            let mut lines = vec![csv(&[
                "job",
                "model",
                "settings",
                "status",
                "stage",
                "last loss",
            ])];
            let shown = app.visible_jobs();
            for j in shown.iter().map(|&i| &app.jobs[i]) {
                lines.push(csv(&[
                    &j.id.to_string(),
                    &j.label,
                    &j.settings,
                    &j.status_text(),
                    &j.stage,
                    &j.history
                        .last()
                        .map_or_else(String::new, |h| format!("{:.6}", h.1)),
                ]));
            }
            let selected = shown.iter().position(|&i| i == app.selected_job);
            Some(("jobs", lines, selected))
        }
        Screen::Export => {
            app.export.result.as_ref()?;
            let mut lines = vec![csv(&["path", "bytes", "sha256"])];
            for f in app.export.visible_files() {
                lines.push(csv(&[&f.path, &f.size.to_string(), &f.sha256]));
            }
            // The file list has no highlight of its own: `y` copies the first shown file.
            Some(("files", lines, Some(0)))
        }
        Screen::Data => {
            let DataState::Ready {
                products, people, ..
            } = &app.data
            else {
                return None;
            };
            match app.products.list {
                crate::tui::screens::data::DataList::Products => {}
                crate::tui::screens::data::DataList::Customers => {
                    let mut lines = vec![csv(&["customer_id", "country", "products", "lines"])];
                    for c in app
                        .products
                        .visible_customers(people)
                        .iter()
                        .map(|&i| &people.customers[i])
                    {
                        lines.push(csv(&[
                            &c.id,
                            &c.country,
                            &c.products.to_string(),
                            &c.lines.to_string(),
                        ]));
                    }
                    return Some(("customers", lines, Some(app.products.selected)));
                }
                crate::tui::screens::data::DataList::Countries => {
                    let mut lines = vec![csv(&["country", "customers", "lines"])];
                    for c in app
                        .products
                        .visible_countries(people)
                        .iter()
                        .map(|&i| &people.countries[i])
                    {
                        lines.push(csv(&[
                            &c.name,
                            &c.customers.to_string(),
                            &c.lines.to_string(),
                        ]));
                    }
                    return Some(("countries", lines, Some(app.products.selected)));
                }
            }
            let mut lines = vec![csv(&["item_id", "description", "buyers", "lines"])];
            for p in app.products.visible(products).iter().map(|&i| &products[i]) {
                lines.push(csv(&[
                    &p.id,
                    &p.description,
                    &p.buyers.to_string(),
                    &p.lines.to_string(),
                ]));
            }
            Some(("products", lines, Some(app.products.selected)))
        }
        Screen::Evaluate => {
            let report = app.inspect.run.as_ref()?.metrics.as_ref()?;
            let mut lines = crate::tui::screens::evaluate::EvaluateState::csv(report);
            lines.extend(app.evaluate.impact_csv());
            Some(("evaluation", lines, None))
        }
        Screen::Monitor => {
            let r = app.monitor.report.as_ref()?;
            let mut lines = vec![csv(&[
                "direction",
                "item_id",
                "description",
                "share_trained",
                "share_newer",
            ])];
            for (direction, list) in [("rising", &r.data.rising), ("falling", &r.data.falling)] {
                for m in list {
                    lines.push(csv(&[
                        direction,
                        &m.item_id,
                        m.description.as_deref().unwrap_or(""),
                        &format!("{:.6}", m.reference_share),
                        &format!("{:.6}", m.newer_share),
                    ]));
                }
            }
            Some(("products rising and falling", lines, None))
        }
        Screen::Tune => None,
    }
}

/// The OSC 52 sequence that puts `text` on the clipboard.
pub fn osc52(text: &str) -> String {
    format!("\x1b]52;c;{}\x07", base64(text.as_bytes()))
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> shift) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

impl AppState {
    /// Copies the current table (or its highlighted row) to the clipboard.
    pub fn copy(&mut self, row_only: bool) {
        let got = if row_only { row(self) } else { table(self) };
        match got {
            Some((what, text)) => {
                self.status = Status::info(format!(
                    "copied {} {what} line(s) to the clipboard (OSC 52); :save FILE writes them to a file",
                    text.lines().count().saturating_sub(1)
                ));
                self.clipboard = Some(text);
            }
            None => self.status = Status::error("nothing to copy on this screen"),
        }
    }

    /// Writes the current table to `path` on a worker (the palette's `save`).
    pub(crate) fn save_table(&mut self, path: PathBuf) -> Result<Vec<Command>, String> {
        let Some((_, text)) = table(self) else {
            return Err("this screen has no table to save".into());
        };
        let id = self.next_internal_id();
        self.saving = Some(id);
        self.status = Status::info(format!("writing {}…", path.display()));
        Ok(vec![Command::SaveText { id, path, text }])
    }

    pub(crate) fn on_save_job(&mut self, event: JobEvent) -> Result<Vec<Command>, JobEvent> {
        if self.saving != Some(event.id()) {
            return Err(event);
        }
        match event {
            JobEvent::Saved { path, lines, .. } => {
                self.saving = None;
                self.status = Status::info(format!("wrote {lines} lines to {}", path.display()));
            }
            JobEvent::Failed { message, .. } => {
                self.saving = None;
                self.status = Status::error(message);
            }
            _ => {}
        }
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(osc52("hi"), "\x1b]52;c;aGk=\x07");
    }
}
