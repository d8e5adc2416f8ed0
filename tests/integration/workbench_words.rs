//! One error, two edges: a message that asks for a setting names the CLI's flag on the
//! command line and the workbench's screen, field or key in the workbench, never a flag.

use latent::data::LoadSpec;
use latent::tui::app::{AppState, Command, DataState};
use latent::tui::event::AppEvent;
use latent::workspace::Workspace;
use ratatui::crossterm::event::KeyCode;

use crate::tui_monitor::run_job;
use crate::tui_screens::{draw, key};
use crate::util::{Scratch, s};

/// A workspace in `scratch` whose data is `csv`, with `extra` appended to `[data]`.
fn workspace_on(scratch: &Scratch, csv: &str, extra: &str) -> Workspace {
    let data = scratch.write("log.csv", csv);
    let toml = format!("name = \"words\"\n[data]\npath = {:?}\n{extra}", s(&data));
    let dir = scratch.path("ws");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("workspace.toml"), toml).unwrap();
    Workspace::open(&dir).unwrap()
}

fn log(lines: &[&str]) -> String {
    let mut text =
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
            .to_owned();
    for l in lines {
        text.push_str(l);
        text.push('\n');
    }
    text
}

/// Loads the workspace's data as the Data screen's worker does.
fn load(app: &mut AppState, commands: Vec<Command>) {
    let Some(Command::Profile { id, path, spec }) = commands.into_iter().next() else {
        panic!("the data is loaded first")
    };
    let (tx, rx) = std::sync::mpsc::channel();
    let spec: LoadSpec = *spec;
    let _job = latent::jobs::profiling::spawn_profile(
        id,
        path,
        spec,
        Box::new(move |e| tx.send(e).is_ok()),
    )
    .unwrap();
    for event in rx {
        app.update(AppEvent::Job(event));
    }
}

#[test]
fn unparseable_dates_name_the_flag_in_the_cli_and_the_workspace_key_in_the_workbench() {
    let scratch = Scratch::new();
    let csv = log(&[
        "1,A,x,1,12/1/2010 8:26,1.0,17850,UK",
        "2,B,x,1,yesterday,1.0,17850,UK",
    ]);
    let workspace = workspace_on(&scratch, &csv, "strict_dates = true\n");

    let err = scratch
        .run(["data", "profile", "--strict", s(&scratch.path("log.csv"))])
        .input_error()
        .to_owned();
    assert!(
        err.contains("turn strict dates off to skip them (drop --strict; [data] strict_dates in workspace.toml)"),
        "{err}"
    );

    let (mut app, commands) = AppState::new(workspace);
    load(&mut app, commands);
    let DataState::Failed { message } = &app.data else {
        panic!("strict dates stop the load: {:?}", app.status)
    };
    assert!(
        message.ends_with(
            "turn strict dates off to skip them (strict_dates = false in [data] of workspace.toml, then r on Data)"
        ),
        "{message}"
    );
    assert!(!message.contains("--"), "{message}");
    let screen = draw(&app, 200, 30);
    assert!(
        screen.contains("(strict_dates") && screen.contains("then r on Data)"),
        "{screen}"
    );
}

#[test]
fn a_log_too_short_to_backtest_names_the_flags_in_the_cli_and_the_monitor_in_the_workbench() {
    let scratch = Scratch::new();
    let lines: Vec<String> = (1..=20)
        .map(|d| {
            format!(
                "{d},P{},x,1,12/{d}/2010 8:26,1.0,{},UK",
                d % 4,
                17850 + d % 5
            )
        })
        .collect();
    let csv = log(&lines.iter().map(String::as_str).collect::<Vec<_>>());
    let workspace = workspace_on(&scratch, &csv, "");

    let err = scratch
        .run([
            "backtest",
            "--config",
            s(&workspace.config_path),
            "--data",
            s(&scratch.path("log.csv")),
        ])
        .input_error()
        .to_owned();
    assert!(
        err.contains("start the first model earlier or score fewer days (--from earlier, or a shorter --horizon)"),
        "{err}"
    );

    let (mut app, _) = AppState::new(workspace);
    key(&mut app, KeyCode::Char('8'));
    let commands = key(&mut app, KeyCode::Char('b'));
    let command = commands.into_iter().next().expect("a backtest command");
    run_job(&mut app, command);
    let status = &app.status.text;
    assert!(
        status.contains("start the first model earlier or score fewer days (Monitor's backtest steps 30 days at a time: open a log that spans more days (o on Data))"),
        "{status}"
    );
    assert!(!status.contains("--"), "{status}");
}

/// A search whose validation window holds only new buyers: the CLI names
/// `--validation-days`, the workbench the Tune field the window mirrors.
#[test]
fn an_empty_validation_window_names_tunes_hold_out_field_in_the_workbench() {
    let scratch = Scratch::new();
    let csv = crate::tune::only_new_buyers_before_the_last_ten_days();
    let workspace = workspace_on(&scratch, &csv, "[tune]\nmodel = \"item-knn\"\n");
    let err = scratch
        .run([
            "tune",
            "--data",
            s(&scratch.path("log.csv")),
            "--model",
            "item-knn",
            "--test-last-days",
            "10",
            "--out",
            s(&scratch.path("run")),
        ])
        .input_error()
        .to_owned();
    assert!(
        err.ends_with("choose a longer validation window (--validation-days)\n"),
        "{err}"
    );

    let (mut app, commands) = AppState::new(workspace);
    load(&mut app, commands);
    app.tune.set_value("test_last_days", "10".into());
    key(&mut app, KeyCode::Char('2'));
    let commands = key(&mut app, KeyCode::Char('a'));
    let Some(Command::Tune { id, spec }) = commands.into_iter().next() else {
        panic!("a tune command: {}", app.status)
    };
    let (tx, rx) = std::sync::mpsc::channel();
    let _job = latent::jobs::tuning::spawn_tune(
        id,
        app.workspace.clone(),
        *spec,
        Box::new(move |e| tx.send(e).is_ok()),
    )
    .unwrap();
    for event in rx {
        app.update(AppEvent::Job(event));
    }
    let text = app.status.text.clone();
    assert!(
        text.contains("choose a longer validation window (Tune's \"hold out last days\": a search validates on as many days before them)"),
        "{text}"
    );
    assert!(!text.contains("--"), "{text}");
    let screen = draw(&app, 200, 40);
    assert!(
        screen.contains("choose a longer validation window"),
        "{screen}"
    );
}
