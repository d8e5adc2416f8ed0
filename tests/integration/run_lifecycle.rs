//! After training: an evaluated run refit on all the data for production (its parent
//! kept and shown), runs archived out of the list, and runs deleted only when confirmed.

use crate::util::{Scratch, s};
use crate::workspace_runs::{list, runs, workspace};

#[test]
fn a_refit_keeps_its_parent_and_runs_are_archived_and_deleted_on_request() {
    let scratch = Scratch::new();
    let ws = workspace(&scratch, "ws");
    scratch
        .run([
            "train",
            "--workspace",
            s(&ws),
            "--test-last-days",
            "30",
            "--set",
            "als_rank=12",
        ])
        .ok();
    let evaluated = runs(&ws).pop().unwrap();
    // Run ids carry the second they started; keep them apart.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let out = scratch
        .run([
            "train",
            "--workspace",
            s(&ws),
            "--refit-from",
            s(&ws.join("runs").join(&evaluated)),
        ])
        .ok()
        .to_owned();
    assert!(
        out.contains(&format!("refit of run {evaluated} on all the data")),
        "{out}"
    );
    let listed = list(&scratch, &ws);
    assert_eq!(listed.len(), 2, "{listed:?}");
    let (refit, parent) = (&listed[0], &listed[1]);
    assert_eq!(refit["parent"], evaluated.as_str());
    assert_eq!(refit["holdout"], "none");
    assert_eq!(parent["holdout"], "last-days:30");
    assert_eq!(refit["params"], parent["params"], "the same settings");
    assert_eq!(refit["params"]["als_rank"], "12");
    assert!(
        refit["metrics"].is_null(),
        "nothing held out, nothing evaluated"
    );
    let table = scratch
        .run(["runs", "list", "--workspace", s(&ws)])
        .ok()
        .to_owned();
    assert!(table.contains(&format!("refit of {evaluated}")), "{table}");
    // The workbench at 80 columns has no settings column: the highlighted refit names its
    // parent on the table's border.
    let workspace = latent::workspace::Workspace::open(&ws).unwrap();
    let (mut app, _) = latent::tui::app::AppState::new(workspace.clone());
    app.runs.set(workspace.list_runs());
    crate::tui_screens::key(&mut app, ratatui::crossterm::event::KeyCode::Char('4'));
    let screen = crate::tui_screens::draw(&app, 80, 24);
    assert!(
        screen.contains(&format!("refit of {evaluated} · ")),
        "{screen}"
    );
    let refit_id = refit["id"].as_str().unwrap().to_owned();

    // A refit cannot also change the model or hold data out.
    let err = scratch
        .run([
            "train",
            "--workspace",
            s(&ws),
            "--refit-from",
            s(&ws.join("runs").join(&evaluated)),
            "--test-last-days",
            "30",
        ])
        .input_error()
        .to_owned();
    assert!(err.contains("--test-last-days"), "{err}");

    // Deleting asks for --yes; an unknown id is named.
    let err = scratch
        .run(["runs", "delete", &evaluated, "--workspace", s(&ws)])
        .input_error()
        .to_owned();
    assert!(err.contains("--yes") && err.contains("archive"), "{err}");
    assert_eq!(runs(&ws).len(), 2, "nothing deleted without --yes");
    let err = scratch
        .run([
            "runs",
            "delete",
            "no-such-run",
            "--yes",
            "--workspace",
            s(&ws),
        ])
        .input_error()
        .to_owned();
    assert!(err.contains("no run 'no-such-run'"), "{err}");
    let out = scratch
        .run(["runs", "delete", &evaluated, "--yes", "--workspace", s(&ws)])
        .ok()
        .to_owned();
    assert!(out.contains(&format!("deleted run {evaluated}")), "{out}");
    assert_eq!(runs(&ws), vec![refit_id.clone()]);

    let out = scratch
        .run(["runs", "archive", &refit_id, "--workspace", s(&ws)])
        .ok()
        .to_owned();
    assert!(out.contains("archived run"), "{out}");
    assert!(runs(&ws).is_empty());
    assert!(list(&scratch, &ws).is_empty());
    assert!(
        ws.join("archive")
            .join(&refit_id)
            .join("run.toml")
            .is_file()
    );
}
