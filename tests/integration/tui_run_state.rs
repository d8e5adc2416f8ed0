//! The run the workbench has open is one state: a job finishing in the background does
//! not replace it, Export names it and warns when it was trained with a hold-out (and
//! `R` refits it on all data), and runs are deleted only when confirmed, or archived.

use latent::jobs::JobEvent;
use latent::tui::app::{AppState, Command, Screen};
use latent::tui::event::AppEvent;
use ratatui::crossterm::event::KeyCode;

use crate::tui_inspect_run::holdout_run;
use crate::tui_screens::{draw, key, loaded_app, open_run_in_inspect, run_jobs, typed};
use crate::util::Scratch;

#[test]
fn the_open_run_changes_only_when_the_user_asks() {
    let scratch = Scratch::new();
    let run_dir = holdout_run(&scratch, "runs/als-open");
    let mut app = loaded_app();
    open_run_in_inspect(&mut app, &run_dir);
    assert_eq!(app.inspect.run_label, "als-open");

    // Export names the run, its model and hold-out, and says what exporting it misses.
    key(&mut app, KeyCode::Char('6'));
    let export = draw(&app, 120, 40);
    assert!(
        export.contains("Export · run als-open · als · hold-out last-days:30")
            && export.contains("refits it on all the data"),
        "{export}"
    );
    insta::assert_snapshot!("export_holdout_warning_120x40", export);
    let commands = key(&mut app, KeyCode::Char('R'));
    let [Command::Train { spec, .. }] = commands.as_slice() else {
        panic!("{commands:?}: {}", app.status.text)
    };
    assert_eq!(spec.parent.as_deref(), Some("als-open"));
    assert_eq!(spec.holdout.label(), "none");
    assert_eq!(spec.model.name(), "als");
    assert_eq!(app.screen, Screen::Train, "the refit is followed");

    // A job the user is not watching finishes: Inspect keeps its run and says so.
    let Command::Train { id, .. } = &commands[0] else {
        unreachable!()
    };
    key(&mut app, KeyCode::Char('5'));
    let other = latent::store::Run::load(&run_dir).unwrap();
    app.update(AppEvent::Job(JobEvent::Finished {
        id: *id,
        run: Box::new(other.clone()),
        dir: scratch.path("runs/fm-background"),
    }));
    assert_eq!(app.inspect.run_label, "als-open");
    assert!(
        app.status.text.contains("Inspect keeps run als-open"),
        "{}",
        app.status.text
    );
    // Enter on that job, on Train, opens the run it saved.
    key(&mut app, KeyCode::Char('3'));
    let commands = key(&mut app, KeyCode::Enter);
    let [Command::LoadRun { dir, .. }] = commands.as_slice() else {
        panic!("{commands:?}: {}", app.status.text)
    };
    assert_eq!(dir, &scratch.path("runs/fm-background"));
    assert!(
        app.status
            .text
            .contains("opening run fm-background (job 1)"),
        "{}",
        app.status.text
    );

    // The job the user watches on Train opens when it finishes.
    let commands = key(&mut app, KeyCode::Char('2'));
    assert!(commands.is_empty());
    let commands = key(&mut app, KeyCode::Char('t'));
    let Some(Command::Train { id, .. }) = commands.first() else {
        panic!("{commands:?}: {}", app.status.text)
    };
    assert_eq!(app.screen, Screen::Train);
    app.update(AppEvent::Job(JobEvent::Finished {
        id: *id,
        run: Box::new(other),
        dir: scratch.path("runs/als-watched"),
    }));
    assert_eq!(app.inspect.run_label, "als-watched");
    assert!(
        app.status
            .text
            .contains("open in Inspect as run als-watched")
    );
}

#[test]
fn runs_are_deleted_after_confirmation_and_archived_at_once() {
    let scratch = Scratch::new();
    let first = holdout_run(&scratch, "runs/als-first");
    let second = holdout_run(&scratch, "runs/als-second");
    let mut app = loaded_app();
    app.workspace.root = scratch.path("");
    key(&mut app, KeyCode::Char('4'));
    app.runs.set(vec![
        latent::workspace::RunSummary::read(&first).unwrap(),
        latent::workspace::RunSummary::read(&second).unwrap(),
    ]);
    let highlighted = app.runs.selected_run().unwrap().id.clone();
    // D asks first: the palette holds the command, Esc keeps the run.
    let commands = key(&mut app, KeyCode::Char('D'));
    assert!(
        commands
            .iter()
            .all(|c| !matches!(c, Command::RemoveRun { .. }))
    );
    assert_eq!(
        app.palette.as_deref(),
        Some(&*format!("delete {highlighted}"))
    );
    assert!(app.status.text.contains("for good"), "{}", app.status.text);
    key(&mut app, KeyCode::Esc);
    assert!(app.palette.is_none());
    assert!(first.is_dir() && second.is_dir());
    // D, then Enter, deletes it.
    key(&mut app, KeyCode::Char('D'));
    let commands = key(&mut app, KeyCode::Enter);
    assert!(
        matches!(
            commands.as_slice(),
            [Command::RemoveRun { archive: false, .. }]
        ),
        "{commands:?}"
    );
    run_jobs(&mut app, commands);
    assert!(
        app.status
            .text
            .contains(&format!("deleted run {highlighted}")),
        "{}",
        app.status.text
    );
    assert!(!scratch.path(&format!("runs/{highlighted}")).exists());
    assert_eq!(app.runs.all.len(), 1, "the list was read again");
    // A archives the other one at once.
    let commands = key(&mut app, KeyCode::Char('A'));
    run_jobs(&mut app, commands);
    assert!(
        app.status.text.contains("archived run"),
        "{}",
        app.status.text
    );
    assert!(app.runs.all.is_empty());
    assert_eq!(
        std::fs::read_dir(scratch.path("archive")).unwrap().count(),
        1
    );
}

/// The palette's `delete` and `archive` take a run id or its end, as `run` does. A typed
/// `:delete` asks first, with the whole id in the palette (Enter deletes, Esc keeps), and
/// `:archive` archives at once; an unknown id is named, in the workbench's words.
#[test]
fn the_palettes_delete_asks_first_and_archive_takes_the_end_of_an_id() {
    let scratch = Scratch::new();
    let (mut app, first, second) = two_trials(&scratch);
    let removes = |commands: &[Command]| {
        commands
            .iter()
            .any(|c| matches!(c, Command::RemoveRun { .. }))
    };

    // Tab completes a run id from any part of it, and the footer lists the matches.
    key(&mut app, KeyCode::Char(':'));
    typed(&mut app, "archive t0");
    let screen = draw(&app, 120, 40);
    assert!(
        screen.contains("20261203-073911-als-t01") && screen.contains("20261203-073911-als-t02"),
        "{screen}"
    );
    key(&mut app, KeyCode::Tab);
    let completed = app.palette.clone().unwrap_or_default();
    assert!(
        completed == "archive 20261203-073911-als-t01"
            || completed == "archive 20261203-073911-als-t02",
        "{completed}"
    );
    key(&mut app, KeyCode::Esc);

    let commands = palette(&mut app, "delete t01");
    assert!(!removes(&commands), "{commands:?}");
    assert_eq!(
        app.palette.as_deref(),
        Some("delete 20261203-073911-als-t01")
    );
    assert!(app.status.text.contains("for good"), "{}", app.status.text);
    key(&mut app, KeyCode::Esc);
    assert!(app.status.text.contains("kept run"), "{}", app.status.text);
    // Asked about once, then cancelled: typing it again asks again.
    assert!(!removes(&palette(&mut app, "delete t01")));
    let commands = key(&mut app, KeyCode::Enter);
    assert!(removes(&commands), "{commands:?}");
    run_jobs(&mut app, commands);
    assert!(!first.exists(), "{}", app.status.text);
    assert!(
        app.status
            .text
            .contains("deleted run 20261203-073911-als-t01"),
        "{}",
        app.status.text
    );

    assert!(palette(&mut app, "archive t09").is_empty());
    assert!(
        app.status.text.contains("no run 't09'") && !app.status.text.contains("latent"),
        "{}",
        app.status.text
    );
    let commands = palette(&mut app, "archive t02");
    assert!(removes(&commands), "{commands:?}");
    run_jobs(&mut app, commands);
    assert!(!second.exists());
    assert!(
        app.status
            .text
            .contains("archived run 20261203-073911-als-t02"),
        "{}",
        app.status.text
    );
}

/// Inspect says who the customer is (country, products in the singular or plural, last
/// purchase), scrolls a history longer than the screen with a count, prints buyer counts
/// as counts, and `x` / `w` say what they did.
#[test]
fn inspect_counts_scrolls_and_says_what_its_rules_do() {
    let scratch = Scratch::new();
    let run_dir = holdout_run(&scratch, "runs/als-inspect");
    let mut app = loaded_app();
    let run = open_run_in_inspect(&mut app, &run_dir);
    let heaviest = (0..run.users.len())
        .max_by_key(|&u| run.train.row_nnz(u))
        .unwrap();
    let n = run.train.row_nnz(heaviest);
    key(&mut app, KeyCode::Char(':'));
    crate::tui_screens::typed(
        &mut app,
        &format!("customer {}", run.users.name(heaviest as u32)),
    );
    key(&mut app, KeyCode::Enter);
    let screen = draw(&app, 120, 40);
    let country = run.catalog.user_segment_name(heaviest as u32).unwrap();
    assert!(
        screen.contains(&format!("{country} · {n} products · "))
            && screen.contains(" purchases · bought 20"),
        "{screen}"
    );
    assert!(screen.contains(&format!(" of {n} · PgDn")), "{screen}");
    key(&mut app, KeyCode::PageDown);
    assert_eq!(app.inspect.history_offset, 10);
    let screen = draw(&app, 120, 40);
    assert!(screen.contains("· 11-"), "scrolled: {screen}");
    // A customer with one product is not "1 products".
    let single = (0..run.users.len())
        .find(|&u| run.train.row_nnz(u) == 1)
        .unwrap();
    key(&mut app, KeyCode::Char(':'));
    crate::tui_screens::typed(
        &mut app,
        &format!("customer {}", run.users.name(single as u32)),
    );
    key(&mut app, KeyCode::Enter);
    assert!(draw(&app, 120, 40).contains(" · 1 product · "));

    key(&mut app, KeyCode::Char('x'));
    assert!(
        app.status
            .text
            .starts_with("hiding the top 5% best sellers: ")
            && app
                .status
                .text
                .contains(&format!("of {} products", run.items.len())),
        "{}",
        app.status.text
    );
    key(&mut app, KeyCode::Char('x'));
    assert_eq!(app.status.text, "best sellers shown again");
    key(&mut app, KeyCode::Char('w'));
    assert!(
        app.status.text.contains("last 30 days"),
        "{}",
        app.status.text
    );

    // c on a customer the model knows changes nothing, and says why.
    key(&mut app, KeyCode::Char('c'));
    assert!(
        app.status.text.contains("is known to the model"),
        "{}",
        app.status.text
    );
    // An include of a product they bought, one the run lacks and one that lands.
    let bought = app.inspect.item_id(app.inspect.history[0].0).to_owned();
    let fresh = (0..run.items.len() as u32)
        .map(|i| run.items.name(i).to_owned())
        .find(|id| {
            let i = run.items.get(id).unwrap();
            !app.inspect.history.iter().any(|h| h.0 == i)
                && !app.inspect.recommendations.iter().any(|r| r.item == i)
        })
        .unwrap();
    key(&mut app, KeyCode::Char(':'));
    crate::tui_screens::typed(&mut app, &format!("include {bought} NOSUCH {fresh}"));
    key(&mut app, KeyCode::Enter);
    let note = &app.status.text;
    assert!(
        note.starts_with("include: 1 of 3 in the list")
            && note.contains(&format!("{bought} was bought already"))
            && note.contains("'NOSUCH' is not a product of this run"),
        "{note}"
    );
}

/// A search matching many customers lists them: ↑↓ pick (the list follows), Enter opens.
#[test]
fn a_search_with_many_matches_is_a_list_to_pick_from() {
    let scratch = Scratch::new();
    let run_dir = holdout_run(&scratch, "runs/als-pick");
    let mut app = loaded_app();
    open_run_in_inspect(&mut app, &run_dir);
    key(&mut app, KeyCode::Char('/'));
    crate::tui_screens::typed(&mut app, "17");
    let many = app.inspect.matches.len();
    assert!(many > 5, "{many}");
    let screen = draw(&app, 120, 40);
    assert!(
        screen.contains(&format!("{many} customers match · ↑↓ pick · Enter opens"))
            && screen.contains("country"),
        "{screen}"
    );
    let first = app.inspect.customer;
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    assert_eq!(app.inspect.pick, 2);
    let third = app.inspect.customer;
    assert_ne!(first, third, "the list follows the highlight");
    key(&mut app, KeyCode::Enter);
    assert!(!app.inspect.searching);
    assert_eq!(app.inspect.customer, third);
    let screen = draw(&app, 120, 40);
    assert!(screen.contains("Bought (training)"), "{screen}");
}

/// Customer 12349 first bought in Online Retail's held-out month: the model never saw
/// them, the data did. Inspect looks them up (Enter on the search) and serves them from
/// their own purchases and country; an id in neither says so.
#[test]
fn a_customer_first_seen_in_the_hold_out_is_served_from_their_purchases() {
    let scratch = Scratch::new();
    let run_dir = scratch.path("runs/als-full");
    let data = crate::util::root().join("sample-data/online_retail_full.parquet");
    let mut args = vec!["train", "--data", crate::util::s(&data), "--out"];
    args.extend([crate::util::s(&run_dir), "--test-last-days", "30"]);
    args.extend(["--set", "als_rank=16", "--set", "max_iter=5"]);
    scratch.run(args).ok();
    let mut app = loaded_app();
    let run = open_run_in_inspect(&mut app, &run_dir);
    assert!(
        run.users.get("12349").is_none(),
        "12349 is new to the model"
    );

    key(&mut app, KeyCode::Char('/'));
    crate::tui_screens::typed(&mut app, "12349");
    let commands = key(&mut app, KeyCode::Enter);
    assert!(
        matches!(commands.as_slice(), [Command::LookupCustomer { .. }]),
        "{commands:?}"
    );
    run_jobs(&mut app, commands);
    let found = app
        .inspect
        .searched_newcomer()
        .expect("in the data")
        .clone();
    assert_eq!(found.country.as_deref(), Some("Italy"));
    assert!(found.history.len() > 5, "{found:?}");
    assert_eq!(app.inspect.history.len(), found.history.len());
    assert!(
        app.inspect
            .recommendations
            .iter()
            .all(|r| r.reason == latent::recommend::Reason::FoldIn),
        "served from their purchases"
    );
    let shown: Vec<u32> = app.inspect.recommendations.iter().map(|r| r.item).collect();
    assert!(
        shown
            .iter()
            .all(|i| found.history.binary_search(i).is_err()),
        "nothing they bought"
    );
    assert!(
        app.status.text.contains("served from their"),
        "{}",
        app.status.text
    );
    let screen = draw(&app, 120, 40);
    assert!(
        screen.contains("customer 12349 · Italy · new to the model")
            && screen.contains("from own purchases (new customer)"),
        "{screen}"
    );
    insta::assert_snapshot!("inspect_newcomer_120x40", screen);
    // At 80 columns every reason keeps whole words, and the explanation's title gives
    // the highlighted one in full.
    let small = draw(&app, 80, 24);
    assert!(
        small.contains("own buys·new") && small.contains("Why: from own purchases (new customer)"),
        "{small}"
    );
    insta::assert_snapshot!("inspect_newcomer_80x24", small);

    // An id in neither the model nor the data.
    key(&mut app, KeyCode::Char(':'));
    crate::tui_screens::typed(&mut app, "customer 99999999");
    let commands = key(&mut app, KeyCode::Enter);
    run_jobs(&mut app, commands);
    assert!(
        app.status
            .text
            .contains("in neither the model nor its data"),
        "{}",
        app.status.text
    );
}

/// The palette opens, compares and exports runs by the ids the Runs table shows; an id
/// that names no run, or several, says so.
#[test]
fn the_palette_opens_compares_and_exports_runs_by_id() {
    let scratch = Scratch::new();
    let (mut app, first, second) = two_trials(&scratch);
    // A filter that hides the run is cleared; the id's end is enough.
    app.runs.filter.text = "t02".into();
    let commands = palette(&mut app, "run t01");
    let [Command::LoadRun { dir, .. }] = commands.as_slice() else {
        panic!("{commands:?}: {}", app.status.text)
    };
    assert_eq!(dir, &first);
    assert_eq!(app.screen, Screen::Runs);
    run_jobs(&mut app, commands);
    assert_eq!(app.inspect.run_label, "20261203-073911-als-t01");
    assert!(
        app.status
            .text
            .contains("run 20261203-073911-als-t01 open in Inspect and Export"),
        "{}",
        app.status.text
    );

    let commands = palette(&mut app, "compare t01 20261203-073911-als-t02");
    let [Command::CompareRuns { a, b, .. }] = commands.as_slice() else {
        panic!("{commands:?}: {}", app.status.text)
    };
    assert_eq!((a, b), (&first, &second));
    run_jobs(&mut app, commands);
    assert!(app.runs.comparison.is_some());

    assert!(palette(&mut app, "run als").is_empty());
    assert!(
        app.status.text.contains("no run 'als'"),
        "{}",
        app.status.text
    );
    assert!(palette(&mut app, "compare t01").is_empty());
    assert!(
        app.status.text.contains("two run ids"),
        "{}",
        app.status.text
    );

    // `export DEST` exports the open run with the Export screen's formats.
    let out = scratch.path("exported");
    let commands = palette(&mut app, &format!("export {}", out.display()));
    assert_eq!(app.screen, Screen::Export);
    assert!(!commands.is_empty(), "{}", app.status.text);
    run_jobs(&mut app, commands);
    assert!(out.join("manifest.json").is_file(), "{}", app.status.text);
}

/// A workbench whose Runs table lists two sweep trials, `…-als-t01` and `…-als-t02`.
fn two_trials(scratch: &Scratch) -> (AppState, std::path::PathBuf, std::path::PathBuf) {
    let first = holdout_run(scratch, "runs/20261203-073911-als-t01");
    let second = holdout_run(scratch, "runs/20261203-073911-als-t02");
    let mut app = loaded_app();
    app.workspace.root = scratch.path("");
    app.runs.set(vec![
        latent::workspace::RunSummary::read(&first).unwrap(),
        latent::workspace::RunSummary::read(&second).unwrap(),
    ]);
    (app, first, second)
}

/// Types `line` into the palette and runs it.
fn palette(app: &mut AppState, line: &str) -> Vec<Command> {
    key(app, KeyCode::Char(':'));
    crate::tui_screens::typed(app, line);
    key(app, KeyCode::Enter)
}
