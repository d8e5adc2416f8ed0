//! The Monitor screen (8): drift since the open run's window and the retrain backtest,
//! each measured on a worker and drawn into a TestBackend.

use std::time::Duration;

use latent::jobs::JobEvent;
use latent::tui::app::{AppState, Command, Screen};
use latent::tui::event::AppEvent;
use ratatui::crossterm::event::KeyCode;

use crate::tui_screens::{draw, key};
use crate::util::{Scratch, root};

/// Runs the job a command asks for and hands its events to the app, as the runtime does.
pub(crate) fn run_job(app: &mut AppState, command: Command) {
    let (tx, rx) = std::sync::mpsc::channel();
    let sink: latent::jobs::Sink = Box::new(move |e| tx.send(e).is_ok());
    let job = match command {
        Command::Drift {
            id,
            run,
            label,
            data,
        } => latent::jobs::analysing::spawn_drift(id, run, label, data, sink),
        Command::Backtest { id, spec } => latent::jobs::analysing::spawn_backtest(id, *spec, sink),
        Command::Update { id, request, dir } => {
            latent::jobs::training::spawn_update(id, *request, dir, sink)
        }
        other => panic!("{other:?}"),
    }
    .unwrap();
    while let Ok(e) = rx.recv_timeout(Duration::from_secs(300)) {
        let done = !matches!(
            e,
            JobEvent::Stage { .. } | JobEvent::Started { .. } | JobEvent::Progress { .. }
        );
        app.update(AppEvent::Job(e));
        if done {
            break;
        }
    }
    drop(job);
}

#[test]
fn monitor_shows_drift_and_the_backtest_chart() {
    let scratch = Scratch::new();
    let run_dir = crate::update::train_to(&scratch, "sep", "20110930", "304");
    let workspace = latent::workspace::Workspace::open(&root().join("workspaces/demo")).unwrap();
    let (mut app, _) = AppState::new(workspace);
    key(&mut app, KeyCode::Char('8'));
    assert_eq!(app.screen, Screen::Monitor);
    let intro = draw(&app, 120, 40);
    assert!(
        intro.contains("what drifted") && intro.contains("no run open"),
        "{intro}"
    );
    key(&mut app, KeyCode::Char('d'));
    assert!(app.status.text.contains("no run open"), "{}", app.status);

    let run = latent::store::Run::load(&run_dir).unwrap();
    app.inspect.set_run(std::sync::Arc::new(run), "sep".into());
    let commands = key(&mut app, KeyCode::Char('d'));
    let command = commands.into_iter().next().expect("a drift command");
    run_job(&mut app, command);
    let screen = draw(&app, 120, 40);
    assert!(app.status.text.contains("run sep: watch"), "{}", app.status);
    for expected in [
        "Monitor · run sep (als)",
        "watch:",
        "2010-12-01 .. 2011-09-30",
        "popularity",
        "country mix",
        "new buyers",
        "Share of lines per popularity tier",
        "CHRISTMAS",
        "Falling",
    ] {
        assert!(screen.contains(expected), "{expected} missing:\n{screen}");
    }
    insta::assert_snapshot!("monitor_drift_120x40", screen);

    let commands = key(&mut app, KeyCode::Char('b'));
    let command = commands.into_iter().next().expect("a backtest command");
    run_job(&mut app, command);
    assert!(app.status.text.contains("backtest:"), "{}", app.status);
    let b = app.monitor.backtest.as_ref().unwrap();
    assert!(b.steps.len() >= 10, "{} steps", b.steps.len());
    let screen = draw(&app, 120, 40);
    assert!(screen.contains("precision@10 by model age"), "{screen}");
    assert!(
        screen.contains("retrain") && screen.contains("never"),
        "{screen}"
    );
    // Y copies the movers as CSV.
    key(&mut app, KeyCode::Char('Y'));
    let copied = app.clipboard.clone().unwrap_or_default();
    assert!(copied.starts_with("direction,item_id"), "{copied}");
}

/// `u` on Monitor offers the workspace's data file; Enter folds its lines after the open
/// run's window into the model as a job on Train, and the updated run names its parent.
#[test]
fn update_with_newer_data_from_the_monitor() {
    let scratch = Scratch::new();
    let run_dir = crate::update::train_to(&scratch, "sep", "20110930", "304");
    let workspace = latent::workspace::Workspace::open(&root().join("workspaces/demo")).unwrap();
    let (mut app, _) = AppState::new(workspace);
    key(&mut app, KeyCode::Char('8'));
    key(&mut app, KeyCode::Char('u'));
    assert!(app.status.text.contains("no run open"), "{}", app.status);

    let run = latent::store::Run::load(&run_dir).unwrap();
    app.inspect.set_run(std::sync::Arc::new(run), "sep".into());
    key(&mut app, KeyCode::Char('u'));
    let typed = app.palette.clone().expect("the palette opens");
    assert!(
        typed.starts_with("update ") && typed.ends_with("online_retail_full.parquet"),
        "{typed}"
    );
    assert!(
        app.status.text.contains("after 2011-09-30"),
        "{}",
        app.status
    );
    let commands = key(&mut app, KeyCode::Enter);
    let Some(Command::Update { id, request, .. }) = commands.into_iter().next() else {
        panic!("an update command");
    };
    assert_eq!(app.screen, Screen::Train, "the job is followed on Train");
    // Into the scratch folder, not the demo workspace's runs/.
    let dir = scratch.path("updated");
    run_job(
        &mut app,
        Command::Update {
            id,
            request,
            dir: dir.clone(),
        },
    );
    assert_eq!(app.inspect.run_label, "updated", "{}", app.status);
    let updated = latent::store::Run::load(&dir).unwrap();
    assert_eq!(updated.meta.parent.as_deref(), Some("sep"));
    let tag = updated.meta.update.as_ref().expect("an update tag");
    assert_eq!(tag.method, "incremental");
    assert_eq!(
        (tag.first.as_str(), tag.last.as_str()),
        ("2011-10-02", "2011-12-09")
    );
    assert!(tag.lines > 100_000 && tag.new_users > 300, "{tag:?}");
    let screen = draw(&app, 120, 40);
    assert!(screen.contains("als update"), "{screen}");

    // The updated run is at the log's end: nothing newer is said so, nothing is written.
    key(&mut app, KeyCode::Char('8'));
    key(&mut app, KeyCode::Char('u'));
    let commands = key(&mut app, KeyCode::Enter);
    let Some(Command::Update { id, request, .. }) = commands.into_iter().next() else {
        panic!("an update command");
    };
    let none = scratch.path("none");
    run_job(
        &mut app,
        Command::Update {
            id,
            request,
            dir: none.clone(),
        },
    );
    assert!(
        app.status.text.contains("no lines after 2011-12-09"),
        "{}",
        app.status
    );
    assert!(!none.join("run.toml").exists());
}
