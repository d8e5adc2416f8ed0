//! The `:` command palette: everything the keys do and more, by name, as in VisiData and
//! k9s. Each command is one line; a wrong one answers with the nearest command.

use std::path::PathBuf;

use ratatui::crossterm::event::{KeyCode, KeyEvent};

use super::app::{AppState, Command, Screen, Status};
use super::line_edit::{LineEdit, edit_line};
use crate::jobs::{JobEvent, JobId};
use crate::recommend::{ColdStartPolicy, IncludeRule, PopularCut};

/// Commands with their one-line help, in the order hints show them.
pub const COMMANDS: [(&str, &str); 27] = [
    ("open PATH", "load another data file (CSV or Parquet)"),
    (
        "update PATH",
        "fold the file's lines after the open run's window into its model",
    ),
    (
        "retention YYYYMMDD DAYS",
        "set the retention window and reload",
    ),
    ("reload", "read workspace.toml and the data again"),
    ("customer ID", "show a customer in Inspect"),
    ("top N", "recommendations per customer"),
    ("exclude ID...", "never show these products"),
    ("include ID...", "force these products in"),
    ("popular N%|N|off", "hide the most popular products"),
    (
        "cold-start POLICY",
        "popularity | segment-popularity | fold-in",
    ),
    ("rules reset", "back to the run's rules"),
    (
        "filter TEXT",
        "filter this screen's table (else the run table)",
    ),
    (
        "sort time|lift|fit|METRIC",
        "order the run table by a column",
    ),
    (
        "metric NAME",
        "the run table's metric column and chart (ndcg, coverage, gini, …)",
    ),
    (
        "run RUN",
        "open a run in Inspect and Export (its id, or its end)",
    ),
    ("compare RUN RUN", "compare two runs' settings and metrics"),
    (
        "export [DEST]",
        "export the open run with Export's formats (to DEST: a folder, s3://…)",
    ),
    ("delete RUN", "delete a run for good"),
    (
        "archive RUN",
        "move a run to the workspace's archive/ folder",
    ),
    ("copy [row]", "copy the table (or the row) to the clipboard"),
    ("save FILE", "write the table as CSV"),
    ("theme dark|light|mono", "colours"),
    (
        "train|sweep|tune",
        "train the Tune form's model, sweep it, or tune for 60 s",
    ),
    (
        "go SCREEN",
        "go to a screen (data, tune, train, runs, inspect, …)",
    ),
    ("recent", "workspaces opened lately"),
    ("help", "the keys of this screen"),
    ("quit", "leave latent"),
];

/// Runs one palette line against `app`.
pub fn run(app: &mut AppState, line: &str) -> Result<Vec<Command>, String> {
    let mut words = line.split_whitespace();
    let Some(name) = words.next() else {
        return Ok(Vec::new());
    };
    let rest: Vec<&str> = words.collect();
    let arg = rest.join(" ");
    // A delete asked about is confirmed by this line or by none.
    let confirming = app.runs.confirm_delete.take();
    let need = |what: &str| -> Result<(), String> {
        if rest.is_empty() {
            Err(format!("{name} needs {what}"))
        } else {
            Ok(())
        }
    };
    match name {
        "q" | "quit" => app.should_quit = true,
        "help" => app.show_help = true,
        // `train` and `tune` are the actions (train the form's model, tune); `go train`
        // goes to the screen.
        "data" | "runs" | "inspect" | "evaluate" | "monitor" => {
            app.screen = screen_named(name).unwrap_or(Screen::Data);
        }
        "go" => {
            app.screen = screen_named(&arg).ok_or_else(|| {
                format!("go to data, tune, train, runs, inspect, export, evaluate or monitor, not '{arg}'")
            })?;
        }
        "reload" => return Ok(app.reread_workspace()),
        "delete" | "archive" => {
            need("a run id (the Runs table's first column, or its end)")?;
            let id = app.runs.highlight(&arg)?;
            app.screen = Screen::Runs;
            if name == "delete" && confirming.as_deref() != Some(id.as_str()) {
                return Ok(app.confirm_delete(id));
            }
            return Ok(app.remove_run(id, name == "archive"));
        }
        "run" => {
            need("a run id (the Runs table's first column)")?;
            return app.open_run_named(&arg);
        }
        "compare" => {
            let [a, b] = rest.as_slice() else {
                return Err("compare needs two run ids, e.g. compare als-t01 als-best".into());
            };
            return app.compare_named(a, b);
        }
        "export" => {
            if !arg.is_empty() {
                app.export.destination = arg;
            }
            app.screen = Screen::Export;
            return Ok(app.start_export());
        }
        "recent" => {
            app.status = Status::info(if app.recent.is_empty() {
                "no recent workspaces".to_owned()
            } else {
                format!(
                    "recent: {}",
                    app.recent
                        .iter()
                        .map(|d| d.display().to_string())
                        .collect::<Vec<_>>()
                        .join("  ·  ")
                )
            });
        }
        // Without a file, the key's prompt: the workspace's data file, ready to edit.
        "update" if rest.is_empty() => return Ok(app.act(super::action::Action::Update)),
        "update" => return Ok(app.start_update(PathBuf::from(&arg))),
        "open" => {
            // The load job checks the file; the workspace keeps its file until the new
            // one has loaded.
            need("a file path")?;
            app.screen = Screen::Data;
            return Ok(app.load_data(PathBuf::from(&arg)));
        }
        "retention" => {
            let (Some(date), Some(days)) = (rest.first(), rest.get(1)) else {
                return Err("retention needs YYYYMMDD DAYS, e.g. retention 20111209 90".into());
            };
            if crate::data::timestamps::parse_day(date).is_none() {
                return Err(format!("'{date}' is not a YYYYMMDD date"));
            }
            let days: u32 = days
                .parse()
                .ok()
                .filter(|&d| d > 0)
                .ok_or_else(|| format!("'{days}' is not a number of days"))?;
            app.workspace.config.interactions.retention_date = Some((*date).to_owned());
            app.screen = Screen::Data;
            return Ok(app.set_retention_days(Some(days)));
        }
        "customer" => {
            need("a customer id")?;
            return app.open_customer(arg);
        }
        "top" => {
            let n: usize = arg
                .parse()
                .ok()
                .filter(|n| (1..=100).contains(n))
                .ok_or_else(|| format!("top needs 1 to 100, not '{arg}'"))?;
            app.status = Status::info(app.inspect.set_top(n));
        }
        "exclude" => {
            need("product ids")?;
            app.status = Status::info(app.inspect.exclude_ids(&rest));
        }
        "include" => {
            need("product ids")?;
            app.inspect.edit_rules(|r| {
                r.include.push(IncludeRule {
                    items: rest.iter().map(|s| (*s).to_owned()).collect(),
                    ..IncludeRule::default()
                });
            });
            app.status = Status::info(app.inspect.include_note(&rest));
        }
        "popular" => {
            need("N%, N or off")?;
            let cut = if arg == "off" {
                None
            } else {
                Some(PopularCut::parse(&arg).map_err(|e| e.to_string())?)
            };
            app.status = Status::info(app.inspect.set_popular_cut(cut));
        }
        "cold-start" => {
            let policy = ColdStartPolicy::ALL
                .into_iter()
                .find(|p| p.name() == arg)
                .ok_or_else(|| {
                    format!(
                        "cold-start needs popularity, segment-popularity or fold-in, not '{arg}'"
                    )
                })?;
            app.status = Status::info(app.inspect.set_cold_start(policy));
        }
        "rules" if arg == "reset" => {
            let base = app
                .inspect
                .run
                .as_ref()
                .map(|r| r.config.overrides.clone())
                .unwrap_or_default();
            app.status = Status::info(app.inspect.reset_rules(base));
        }
        "filter" => app.set_filter(arg),
        "sort" => {
            use super::screens::runs::RunSort;
            app.runs.sort = match arg.as_str() {
                "time" | "newest" => RunSort::Time,
                "lift" => RunSort::Lift,
                "fit" => RunSort::Fit,
                // A metric's name sorts by it, and the metric column shows it.
                other => {
                    app.runs.metric = crate::eval::Metric::parse(other).map_err(|_| {
                        format!("sort by time, lift, fit or a metric (precision, ndcg, …), not '{other}'")
                    })?;
                    RunSort::Metric
                }
            };
            app.runs.clamp();
            app.screen = Screen::Runs;
            app.status = Status::info(format!(
                "runs sorted by {}",
                app.runs.sort.name(app.runs.metric)
            ));
        }
        "copy" => app.copy(arg == "row"),
        "metric" => {
            need("a metric name, e.g. ndcg")?;
            app.runs.metric = crate::eval::Metric::parse(&arg)?;
            app.screen = Screen::Runs;
            app.status = Status::info(format!(
                "the metric column and the chart show {}{}",
                app.runs.metric.name(),
                if app.runs.sort == super::screens::runs::RunSort::Time {
                    " (s sorts by it)"
                } else {
                    ""
                }
            ));
        }
        "save" => {
            need("a file name")?;
            return app.save_table(PathBuf::from(&arg));
        }
        "theme" => {
            let theme = match arg.as_str() {
                "dark" => super::theme::ThemeName::Dark,
                "light" => super::theme::ThemeName::Light,
                "mono" => super::theme::ThemeName::Mono,
                other => return Err(format!("theme dark, light or mono, not '{other}'")),
            };
            super::theme::set_theme(theme);
            app.status = Status::info(format!(
                "theme {arg} (theme = \"{arg}\" in config.toml keeps it)"
            ));
        }
        // Every key's action by its name (`:hide_popular`), as the keymap runs it.
        other
            if rest.is_empty()
                && let Some(action) = super::action::Action::parse(other) =>
        {
            return Ok(app.act(action));
        }
        other => {
            let names: Vec<&str> = COMMANDS
                .iter()
                .filter_map(|(c, _)| c.split(['|', ' ']).next())
                .chain(["data", "runs", "inspect", "evaluate", "monitor", "quit"])
                .chain(super::action::BINDINGS.iter().map(|b| b.1))
                .collect();
            let hint = crate::models::hyper::nearest(other, &names)
                .map_or_else(String::new, |n| format!(": did you mean '{n}'?"));
            return Err(format!("unknown command '{other}'{hint}"));
        }
    }
    Ok(Vec::new())
}

/// The screen called `name` (its tab title, any case).
fn screen_named(name: &str) -> Option<Screen> {
    Screen::ALL
        .into_iter()
        .find(|s| s.title().eq_ignore_ascii_case(name.trim()))
}

/// Hints for what is typed: matching commands, for `open` the files of the folder typed
/// so far, from the last listing of it (none while it is being listed), and for the
/// commands that take a run the ids of `runs` holding the part typed (ids are long, and
/// the palette accepts their end).
pub fn hints<'a>(
    text: &str,
    files: &FileHints,
    runs: impl IntoIterator<Item = &'a str>,
) -> Vec<String> {
    if let Some((_, partial)) = typed_run(text) {
        return runs
            .into_iter()
            .filter(|id| id.contains(partial))
            .take(8)
            .map(str::to_owned)
            .collect();
    }
    if let Some((_, partial)) = typed_path(text) {
        let (dir, prefix) = split_path(partial);
        if files.dir.as_deref() != Some(dir) {
            return Vec::new();
        }
        return files
            .entries
            .iter()
            .filter(|(name, _)| name.starts_with(prefix))
            .take(8)
            .map(|(name, is_dir)| format!("{dir}{name}{}", if *is_dir { "/" } else { "" }))
            .collect();
    }
    let first = text.split_whitespace().next().unwrap_or("");
    COMMANDS
        .iter()
        .filter(|(c, _)| {
            first.is_empty()
                || c.starts_with(first)
                || first.starts_with(c.split(' ').next().unwrap_or(""))
        })
        .map(|(c, h)| format!("{c} — {h}"))
        .collect()
}

/// Commands whose argument is a file, completed from the folder typed so far.
const FILE_COMMANDS: [&str; 2] = ["open ", "update "];

/// `("open ", "partly/typed")` when `text` is a file command and its path so far.
fn typed_path(text: &str) -> Option<(&'static str, &str)> {
    FILE_COMMANDS
        .iter()
        .find_map(|c| text.strip_prefix(c).map(|rest| (*c, rest)))
}

/// What the run command typed does (`delete RUN — delete a run for good`), shown before
/// the ids it could take: a delete says it is for good while its id is completed.
pub fn run_command_hint(text: &str) -> Option<String> {
    typed_run(text)?;
    let name = text.split_whitespace().next()?;
    COMMANDS
        .iter()
        .find(|(c, _)| c.split(' ').next() == Some(name))
        .map(|(c, h)| format!("{c} — {h}"))
}

/// Commands whose arguments are run ids, completed from the workspace's runs.
const RUN_COMMANDS: [&str; 4] = ["run ", "delete ", "archive ", "compare "];

/// `("compare first-id ", "partly typed id")` when `text` is a run command: the line up to
/// the id being typed, and that id so far.
fn typed_run(text: &str) -> Option<(&str, &str)> {
    RUN_COMMANDS.iter().find(|c| text.starts_with(*c))?;
    let at = text.rfind(' ')? + 1;
    Some((&text[..at], &text[at..]))
}

/// `("dir/", "prefix")` of a partly typed path.
fn split_path(partial: &str) -> (&str, &str) {
    match partial.rfind('/') {
        Some(at) => (&partial[..=at], &partial[at + 1..]),
        None => ("", partial),
    }
}

/// The folder listing behind the `open` hints: listed by a job when the typed folder
/// changes, so drawing never reads the disk.
#[derive(Debug, Clone, Default)]
pub struct FileHints {
    /// The folder listed, as typed (`""` is the working folder).
    pub dir: Option<String>,
    pub entries: Vec<(String, bool)>,
    /// The listing in flight and its folder.
    listing: Option<(JobId, String)>,
}

impl AppState {
    /// Opens the palette with `text` typed.
    pub(crate) fn open_palette(&mut self, text: String) -> Vec<Command> {
        self.palette = Some(text);
        self.list_typed_folder()
    }

    /// A key typed into the open palette: Tab completes to the first hint, Enter runs
    /// the line.
    pub(crate) fn edit_palette(&mut self, key: KeyEvent) -> Vec<Command> {
        let Some(text) = self.palette.as_mut() else {
            return Vec::new();
        };
        if key.code == KeyCode::Tab {
            let runs = self.runs.all.iter().map(|r| r.id.as_str());
            if let Some(first) = hints(text, &self.palette_files, runs).first() {
                let done = first.split(" — ").next().unwrap_or(first);
                if let Some((command, _)) = typed_path(text) {
                    *text = format!("{command}{done}");
                } else if let Some((head, _)) = typed_run(text) {
                    *text = format!("{head}{done}");
                } else if let Some(name) = done.split(['|', ' ']).next() {
                    *text = format!("{name} ");
                }
            }
            return self.list_typed_folder();
        }
        match edit_line(text, key) {
            LineEdit::Cancel => {
                self.palette = None;
                if let Some(id) = self.runs.confirm_delete.take() {
                    self.status = Status::info(format!("kept run {id}"));
                }
            }
            LineEdit::Submit => {
                let line = self.palette.take().unwrap_or_default();
                match run(self, &line) {
                    Ok(commands) => return commands,
                    Err(message) => self.status = Status::error(message),
                }
            }
            LineEdit::Changed => return self.list_typed_folder(),
            LineEdit::Ignored => {}
        }
        Vec::new()
    }

    /// Asks for a listing of the folder typed after `open ` or `update `, unless it is listed or being
    /// listed already.
    fn list_typed_folder(&mut self) -> Vec<Command> {
        let Some((_, partial)) = self.palette.as_deref().and_then(typed_path) else {
            return Vec::new();
        };
        let dir = split_path(partial).0.to_owned();
        let files = &self.palette_files;
        if files.dir.as_deref() == Some(dir.as_str())
            || files.listing.as_ref().is_some_and(|(_, d)| *d == dir)
        {
            return Vec::new();
        }
        let id = self.next_internal_id();
        self.palette_files.listing = Some((id, dir.clone()));
        vec![Command::ListFiles { id, dir }]
    }

    pub(crate) fn on_palette_job(&mut self, event: JobEvent) -> Result<Vec<Command>, JobEvent> {
        let files = &mut self.palette_files;
        if files.listing.as_ref().map(|(id, _)| *id) != Some(event.id()) {
            return Err(event);
        }
        if let JobEvent::FilesListed { dir, entries, .. } = event {
            files.dir = Some(dir);
            files.entries = entries;
        }
        files.listing = None;
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_hints_come_from_the_listing_of_the_typed_folder() {
        let files = FileHints {
            dir: Some("data/".into()),
            entries: vec![
                ("2011".into(), true),
                ("retail.csv".into(), false),
                ("rest.parquet".into(), false),
            ],
            listing: None,
        };
        let none = std::iter::empty();
        assert_eq!(
            hints("open data/re", &files, none.clone()),
            ["data/retail.csv", "data/rest.parquet"]
        );
        assert_eq!(hints("open data/2", &files, none.clone()), ["data/2011/"]);
        assert!(
            hints("open other/", &files, none.clone()).is_empty(),
            "not listed yet"
        );
        assert!(hints("ret", &files, none)[0].starts_with("retention"));
    }

    #[test]
    fn run_commands_hint_the_run_ids_holding_what_is_typed() {
        let files = FileHints::default();
        let runs = [
            "20261205-101010-als-t02",
            "20261205-101010-als-t01",
            "20261205-090000-ease",
        ];
        assert_eq!(
            hints("run t0", &files, runs),
            ["20261205-101010-als-t02", "20261205-101010-als-t01"]
        );
        assert_eq!(hints("delete ease", &files, runs), ["20261205-090000-ease"]);
        // The second run of a comparison is completed on its own.
        assert_eq!(
            hints("compare 20261205-090000-ease t01", &files, runs),
            ["20261205-101010-als-t01"]
        );
        assert_eq!(typed_run("compare a b"), Some(("compare a ", "b")));
        assert_eq!(typed_run("run"), None, "the command is still being typed");
        assert_eq!(
            run_command_hint("delete t0").as_deref(),
            Some("delete RUN — delete a run for good")
        );
        assert_eq!(run_command_hint("sort t0"), None);
        assert_eq!(typed_run("runs x"), None, "runs is not run");
    }
}
