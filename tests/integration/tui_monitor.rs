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
fn run_job(app: &mut AppState, command: Command) {
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
        other => panic!("{other:?}"),
    }
    .unwrap();
    while let Ok(e) = rx.recv_timeout(Duration::from_secs(300)) {
        let done = !matches!(e, JobEvent::Stage { .. } | JobEvent::Started { .. });
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
