//! The Data screen: the workspace's file loading and profiled, its products, and the
//! retention window. A load is a job; a new file (`:open`) becomes the workspace's file
//! only once it has loaded, so a mistyped path leaves the last good one in place.

mod loading;
mod people_sort;
mod people_view;
mod products;
pub mod view;
mod workspace_file;

use std::path::PathBuf;

pub use self::people_sort::PeopleSort;
pub use self::products::{DataList, ProductSort, ProductsView};
use crate::data::LoadProgress;
use crate::data::profile::Profile;
use crate::jobs::JobEvent;
use crate::jobs::JobId;
use crate::jobs::profiling::ProductCount;
use crate::tui::app::{AppState, Command, Status};

/// What the Data screen shows.
#[derive(Debug, Clone, Default)]
pub enum DataState {
    #[default]
    Idle,
    Loading {
        job: JobId,
        /// The file being loaded.
        path: PathBuf,
        /// The loader's last report, once it sent one.
        progress: Option<LoadProgress>,
    },
    Ready {
        profile: Box<Profile>,
        monthly_lines: Vec<(String, u64)>,
        item_popularity: Vec<u64>,
        /// Every product, most bought first.
        products: Vec<ProductCount>,
        /// Every customer and country.
        people: Box<crate::jobs::profiling::people::People>,
    },
    Failed {
        message: String,
    },
}

impl AppState {
    /// Loads the workspace's file again (the first load, `r` on Data, the palette's
    /// `reload` and `retention`).
    pub(crate) fn reload_data(&mut self) -> Vec<Command> {
        match self.workspace.config.data.path.clone() {
            Some(path) => self.load_data(path),
            None => {
                let commands = self.cancel_load();
                self.data = DataState::Failed {
                    message: "the workspace has no [data] path".into(),
                };
                commands
            }
        }
    }

    /// Loads `path` with the workspace's cleaning and window: cancels the load still
    /// running, if any, so its thread stops instead of finishing unseen next to the new
    /// one.
    pub(crate) fn load_data(&mut self, path: PathBuf) -> Vec<Command> {
        let mut commands = self.cancel_load();
        let id = self.next_internal_id();
        self.data = DataState::Loading {
            job: id,
            path: path.clone(),
            progress: None,
        };
        commands.push(Command::Profile {
            id,
            path,
            spec: Box::new(self.workspace.config.load_spec()),
        });
        commands
    }

    fn cancel_load(&self) -> Vec<Command> {
        match self.data {
            DataState::Loading { job, .. } => vec![Command::Cancel(job)],
            _ => Vec::new(),
        }
    }

    pub(crate) fn on_data_job(&mut self, event: JobEvent) -> Result<Vec<Command>, JobEvent> {
        let DataState::Loading {
            job,
            path,
            progress,
        } = &mut self.data
        else {
            return Err(event);
        };
        if *job != event.id() {
            return Err(event);
        }
        match event {
            JobEvent::Loading { progress: p, .. } => *progress = Some(p),
            JobEvent::Profiled {
                profile,
                monthly_lines,
                item_popularity,
                mut products,
                people,
                ..
            } => {
                self.workspace.config.data.path = Some(std::mem::take(path));
                self.products.sort.apply(&mut products);
                self.products.clamp(&products);
                self.data = DataState::Ready {
                    profile,
                    monthly_lines,
                    item_popularity,
                    products,
                    people,
                };
            }
            JobEvent::Failed { message, .. } => {
                self.status = Status::error(format!("data: {message}"));
                self.data = DataState::Failed { message };
            }
            _ => {}
        }
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    use super::*;
    use crate::config::WorkspaceConfig;
    use crate::tui::event::AppEvent;
    use crate::workspace::Workspace;

    fn app() -> (AppState, JobId) {
        let config = WorkspaceConfig::parse(
            "name = \"t\"\n[data]\npath = \"sample-data/online_retail_sample.csv\"\n",
        )
        .unwrap();
        let (app, commands) = AppState::new(Workspace {
            root: PathBuf::from("/nonexistent/ws"),
            config_path: PathBuf::from("/nonexistent/ws/workspace.toml"),
            config,
        });
        let [Command::Profile { id, .. }, Command::ListRuns { .. }] = commands.as_slice() else {
            panic!("the first load cancels nothing: {commands:?}")
        };
        (app, *id)
    }

    fn key(app: &mut AppState, code: KeyCode) -> Vec<Command> {
        app.update(AppEvent::Key(KeyEvent::new(code, KeyModifiers::NONE)))
    }

    fn palette(app: &mut AppState, line: &str) -> Vec<Command> {
        key(app, KeyCode::Char(':'));
        for c in line.chars() {
            key(app, KeyCode::Char(c));
        }
        key(app, KeyCode::Enter)
    }

    /// `[Cancel(old), Profile { new }]`: the new load's id, after checking the old one is
    /// cancelled and the data waits for the new one.
    fn replaced(app: &AppState, commands: &[Command], old: JobId) -> JobId {
        let [Command::Cancel(cancelled), Command::Profile { id, .. }] = commands else {
            panic!("the running load is cancelled, then a new one starts: {commands:?}")
        };
        assert_eq!(*cancelled, old);
        assert_ne!(*id, old);
        assert!(matches!(app.data, DataState::Loading { job, .. } if job == *id));
        *id
    }

    /// Answers the workspace file's re-reading with `config`, as the job would.
    fn reread(app: &mut AppState, commands: &[Command], config: WorkspaceConfig) -> Vec<Command> {
        let [Command::ReadWorkspace { id, .. }] = commands else {
            panic!("{commands:?}")
        };
        app.update(AppEvent::Job(JobEvent::WorkspaceRead {
            id: *id,
            config: Box::new(config),
        }))
    }

    #[test]
    fn reloading_cancels_the_load_still_running() {
        let (mut app, first) = app();
        let commands = key(&mut app, KeyCode::Char('r'));
        let config = app.workspace.config.clone();
        let commands = reread(&mut app, &commands, config.clone());
        let second = replaced(&app, &commands, first);
        let commands = palette(&mut app, "reload");
        let commands = reread(&mut app, &commands, config.clone());
        let third = replaced(&app, &commands, second);
        let commands = palette(&mut app, "open sample-data/online_retail_sample.csv");
        let fourth = replaced(&app, &commands, third);
        let commands = palette(&mut app, "retention 20111209 90");
        let fifth = replaced(&app, &commands, fourth);

        // The cancelled loads' last words change nothing.
        app.update(AppEvent::Job(JobEvent::Cancelled { id: fourth }));
        app.update(AppEvent::Job(JobEvent::Failed {
            id: first,
            knob: None,
            message: "stale".into(),
        }));
        assert!(matches!(app.data, DataState::Loading { job, .. } if job == fifth));
        assert!(
            !app.status.text.contains("stale") && app.status.level != crate::tui::app::Level::Error,
            "{}",
            app.status
        );

        // Once a load ended there is nothing to cancel.
        app.update(AppEvent::Job(JobEvent::Failed {
            id: fifth,
            knob: None,
            message: "gone".into(),
        }));
        assert_eq!(app.status.level, crate::tui::app::Level::Error);
        let commands = key(&mut app, KeyCode::Char('r'));
        let commands = reread(&mut app, &commands, config);
        assert!(
            matches!(commands.as_slice(), [Command::Profile { id, .. }] if *id > fifth),
            "{commands:?}"
        );
    }

    #[test]
    fn an_opened_file_becomes_the_workspace_file_once_it_loaded() {
        let (mut app, _) = app();
        let before = app.workspace.config.data.path.clone();
        let commands = palette(&mut app, "open /no/such.csv");
        let Some(Command::Profile { id, path, .. }) = commands.last() else {
            panic!("{commands:?}")
        };
        assert_eq!(path, &PathBuf::from("/no/such.csv"));
        app.update(AppEvent::Job(JobEvent::Failed {
            id: *id,
            knob: None,
            message: "'/no/such.csv' is not a file".into(),
        }));
        assert_eq!(
            app.workspace.config.data.path, before,
            "the last good file stays"
        );

        let commands = palette(&mut app, "open other.csv");
        let Some(Command::Profile { id, .. }) = commands.last() else {
            panic!("{commands:?}")
        };
        app.update(AppEvent::Job(JobEvent::Profiled {
            id: *id,
            profile: Box::new(crate::data::profile::profile_without_matrix(
                "other.csv",
                &crate::data::CleaningReport::default(),
                "count",
            )),
            monthly_lines: Vec::new(),
            item_popularity: Vec::new(),
            products: Vec::new(),
            people: Box::default(),
        }));
        assert_eq!(
            app.workspace.config.data.path,
            Some(PathBuf::from("other.csv"))
        );
    }

    /// One window everywhere: the palette's window shows in the Tune form and reaches the
    /// next training; Tune's field moves Data's window; `r` reads the file again, names
    /// what changed and what it reaches, takes the file's changes and keeps the rest.
    #[test]
    fn the_window_and_the_workspace_file_are_one_state_with_tune() {
        let (mut app, _) = app();
        palette(&mut app, "retention 20111209 90");
        assert_eq!(app.tune.value("retention_days"), "90");
        assert!(app.status.text.contains("90 days"), "{}", app.status);
        let spec = app.tune.train_spec(&app.workspace.config).unwrap();
        assert_eq!(spec.config.interactions.retention_days, Some(90));

        key(&mut app, KeyCode::Char('2'));
        let at = app
            .tune
            .fields
            .iter()
            .position(|f| f.key == "retention_days")
            .unwrap();
        app.tune.selected = at;
        key(&mut app, KeyCode::Enter);
        for _ in 0..2 {
            key(&mut app, KeyCode::Backspace);
        }
        for c in "30".chars() {
            key(&mut app, KeyCode::Char(c));
        }
        let commands = key(&mut app, KeyCode::Enter);
        assert!(
            commands
                .iter()
                .any(|c| matches!(c, Command::Profile { .. })),
            "the data reloads: {commands:?}"
        );
        assert_eq!(app.workspace.config.interactions.retention_days, Some(30));

        // The file changes [fm] only: it reaches the next training, and the window set
        // in this session stays, in the form and in the next run.
        let mut file = app.workspace_file.clone();
        file.fm.insert("epochs".into(), toml::Value::Integer(7));
        let commands = key(&mut app, KeyCode::Char('1'));
        assert!(commands.is_empty());
        let commands = key(&mut app, KeyCode::Char('r'));
        let commands = reread(&mut app, &commands, file.clone());
        assert!(
            commands
                .iter()
                .any(|c| matches!(c, Command::Profile { .. }))
        );
        assert!(
            app.status.text.contains("[fm]: reaches the next training")
                && app
                    .status
                    .text
                    .contains("kept this session's retention days"),
            "{}",
            app.status
        );
        assert_eq!(app.tune.value("retention_days"), "30");
        assert_eq!(app.workspace.config.interactions.retention_days, Some(30));
        assert_eq!(
            app.workspace.config.fm.get("epochs"),
            Some(&toml::Value::Integer(7))
        );

        // The file moves the window itself: the file's value wins everywhere.
        file.interactions.retention_days = Some(120);
        let commands = key(&mut app, KeyCode::Char('r'));
        reread(&mut app, &commands, file);
        assert!(
            app.status
                .text
                .contains("[interactions]: the data reloads with it"),
            "{}",
            app.status
        );
        assert!(!app.status.text.contains("kept"), "{}", app.status);
        assert_eq!(app.tune.value("retention_days"), "120");
        assert_eq!(app.workspace.config.interactions.retention_days, Some(120));

        // Nothing changed: it says so; a file that cannot be read keeps what is in use.
        let commands = key(&mut app, KeyCode::Char('r'));
        let same = app.workspace_file.clone();
        reread(&mut app, &commands, same);
        assert!(app.status.text.contains("unchanged"), "{}", app.status);
        let commands = key(&mut app, KeyCode::Char('r'));
        let [Command::ReadWorkspace { id, .. }] = commands.as_slice() else {
            panic!("{commands:?}")
        };
        app.update(AppEvent::Job(JobEvent::Failed {
            id: *id,
            knob: None,
            message: "workspace.toml: bad".into(),
        }));
        assert!(
            app.status.text.contains("kept the settings in use"),
            "{}",
            app.status
        );
        assert_eq!(app.tune.value("retention_days"), "120");
    }
}
