//! The Export screen: which formats, where to (a folder, S3 or a PostgreSQL table), the
//! export job, and what the last export wrote.

pub mod refit;
pub mod view;

use ratatui::crossterm::event::KeyEvent;

use crate::export::Format;
use crate::export::manifest::{FileEntry, Manifest};
use crate::jobs::JobEvent;
use crate::store::Run;
use crate::tui::app::{AppState, Command, Status};
use crate::tui::line_edit::{LineEdit, edit_line};

/// The formats the form offers: every artifact of `--format all`, then the Spark job, a
/// recipe that redoes the run on Spark (named on its own, as on the command line).
pub fn formats() -> impl Iterator<Item = Format> {
    Format::ALL.into_iter().chain([Format::SparkJob])
}

/// How many formats [`formats`] offers.
pub const FORMAT_ROWS: usize = Format::ALL.len() + 1;

/// Rows of the form: one per format, then the destination, overwrite, and the button.
pub const ROWS: usize = FORMAT_ROWS + 3;

/// The Export screen.
#[derive(Debug, Clone)]
pub struct ExportState {
    /// Per [`formats`]: chosen or not.
    pub formats: [bool; FORMAT_ROWS],
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
    pub files_filter: crate::tui::filter::TableFilter,
    /// The order of the exported files (`s`).
    pub files_sort: FileSort,
    /// The first exported file shown: PgDn / PgUp scroll a long list (a partitioned
    /// export writes a file per partition).
    pub files_offset: usize,
}

/// How the exported files are listed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FileSort {
    /// In the manifest's order: the order they were written.
    #[default]
    Written,
    /// By path, A to Z.
    Path,
    /// Largest first (bytes, or rows for tables).
    Size,
}

impl FileSort {
    pub fn next(self) -> Self {
        match self {
            Self::Written => Self::Path,
            Self::Path => Self::Size,
            Self::Size => Self::Written,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Written => "written",
            Self::Path => "path",
            Self::Size => "size",
        }
    }
}

impl Default for ExportState {
    fn default() -> Self {
        Self {
            formats: [true, false, false, true, false, false, false],
            destination: String::new(),
            editing: None,
            overwrite: false,
            selected: 0,
            job: None,
            log: Vec::new(),
            result: None,
            error: None,
            files_filter: crate::tui::filter::TableFilter::default(),
            files_sort: FileSort::default(),
            files_offset: 0,
        }
    }
}

impl ExportState {
    /// The chosen formats.
    pub fn chosen(&self) -> Vec<Format> {
        formats()
            .zip(self.formats)
            .filter(|(_, on)| *on)
            .map(|(f, _)| f)
            .collect()
    }

    /// The files of the last export that the `/` filter shows (by path), in the order
    /// `s` chose; empty before an export finished.
    pub fn visible_files(&self) -> Vec<&FileEntry> {
        let Some((_, manifest)) = &self.result else {
            return Vec::new();
        };
        let m = self.files_filter.matcher();
        let mut files: Vec<&FileEntry> = manifest
            .files
            .iter()
            .filter(|f| m.matches([f.path.as_str()]))
            .collect();
        match self.files_sort {
            FileSort::Written => {}
            FileSort::Path => files.sort_by(|a, b| a.path.cmp(&b.path)),
            FileSort::Size => files.sort_by(|a, b| {
                let size = |f: &FileEntry| f.rows.unwrap_or(f.size);
                size(b).cmp(&size(a)).then_with(|| a.path.cmp(&b.path))
            }),
        }
        files
    }

    /// Scrolls the file list by `delta` rows, keeping at least one row shown.
    pub fn scroll_files(&mut self, delta: isize) {
        let last = self.visible_files().len().saturating_sub(1) as isize;
        self.files_offset = (self.files_offset as isize + delta).clamp(0, last.max(0)) as usize;
    }

    /// Moves the highlight.
    pub fn step(&mut self, delta: isize) {
        // A step wraps round the rows; a page or a jump stops at the end.
        let at = self.selected as isize + delta;
        self.selected = if delta.abs() == 1 {
            at.rem_euclid(ROWS as isize)
        } else {
            at.clamp(0, ROWS as isize - 1)
        } as usize;
    }
}

impl AppState {
    /// The destination an empty field stands for.
    pub fn default_destination(&self) -> String {
        let run = if self.inspect.run_label.is_empty() {
            "run"
        } else {
            self.inspect.run_label.as_str()
        };
        self.workspace
            .root
            .join("exports")
            .join(run)
            .display()
            .to_string()
    }

    /// Enter or Space on a row: toggle a format or overwrite, edit the destination, or
    /// export.
    pub(crate) fn export_row(&mut self) -> Vec<Command> {
        let n = FORMAT_ROWS;
        match self.export.selected {
            i if i < n => self.export.formats[i] = !self.export.formats[i],
            i if i == n => self.export.editing = Some(self.export.destination.clone()),
            i if i == n + 1 => self.export.overwrite = !self.export.overwrite,
            _ => return self.start_export(),
        }
        Vec::new()
    }

    /// A key typed into the destination: Enter keeps it, Esc drops the edit.
    pub(crate) fn edit_destination(&mut self, key: KeyEvent) -> Vec<Command> {
        let Some(text) = self.export.editing.as_mut() else {
            return Vec::new();
        };
        match edit_line(text, key) {
            LineEdit::Submit => {
                self.export.destination = text.trim().to_owned();
                self.export.editing = None;
            }
            LineEdit::Cancel => self.export.editing = None,
            LineEdit::Changed | LineEdit::Ignored => {}
        }
        Vec::new()
    }

    /// Exports the run open in Inspect, with Inspect's rules, on a worker.
    pub(crate) fn start_export(&mut self) -> Vec<Command> {
        let Some(run) = self.inspect.run.clone() else {
            self.status = Status::error("no run open: train one, or open one on the Runs screen");
            return Vec::new();
        };
        if self.export.job.is_some() {
            self.status = Status::error("an export is already running");
            return Vec::new();
        }
        let destination = if self.export.destination.is_empty() {
            self.default_destination()
        } else {
            self.export.destination.clone()
        };
        let database = crate::export::destination::is_database(&destination);
        let formats = if database {
            database_formats(&run)
        } else {
            self.export.chosen()
        };
        if formats.is_empty() {
            self.status = Status::error("choose at least one format (Space)");
            return Vec::new();
        }
        let opts = crate::export::ExportOptions {
            formats,
            rules: self.inspect.rules.clone(),
            top_k: self.inspect.top,
            overwrite: self.export.overwrite,
        };
        let id = self.next_internal_id();
        self.export.job = Some(id);
        self.export.log.clear();
        self.export.result = None;
        self.export.error = None;
        self.status = Status::info(format!(
            "exporting to {}",
            crate::export::destination::shown(&destination)
        ));
        vec![Command::Export {
            id,
            run,
            run_id: self.inspect.run_label.clone(),
            destination,
            opts: Box::new(opts),
        }]
    }

    pub(crate) fn on_export_job(&mut self, event: JobEvent) -> Result<Vec<Command>, JobEvent> {
        if self.export.job != Some(event.id()) {
            return Err(event);
        }
        match event {
            JobEvent::Stage { message, .. } => self.export.log.push(message),
            JobEvent::Exported {
                destination,
                manifest,
                ..
            } => {
                self.export.job = None;
                let what = if manifest.content == "postgresql" {
                    "tables"
                } else {
                    "files"
                };
                self.status = Status::info(format!(
                    "exported {} {what} to {destination}",
                    manifest.files.len()
                ));
                self.export.result = Some((destination, manifest));
                self.export.files_offset = 0;
            }
            JobEvent::Failed { message, .. } => {
                self.export.job = None;
                self.status = Status::error(format!("export failed: {message}"));
                self.export.error = Some(message);
            }
            _ => {}
        }
        Ok(Vec::new())
    }
}

/// What a database destination receives from the form: the recommendation table, and the
/// factor tables when the model has factors. The format ticks are for folders and S3.
pub fn database_formats(run: &Run) -> Vec<Format> {
    let mut formats = vec![Format::Recs];
    if run.model.model().factors().is_some() {
        formats.push(Format::Factors);
    }
    formats
}
