//! The `/` filter on the Train, Data and Export tables: typed as you go, kept after Enter,
//! listed in the footer and the help overlay, and respected by moves, cancel and copy.

use latent::jobs::JobEvent;
use latent::tui::app::{AppState, Command, DataState, Screen};
use latent::tui::event::AppEvent;
use ratatui::crossterm::event::KeyCode;

use crate::tui_screens::{draw, key, loaded_app, run_jobs, typed};

fn products_shown(app: &AppState) -> Vec<(String, String)> {
    let DataState::Ready { products, .. } = &app.data else {
        panic!("the data is loaded")
    };
    app.products
        .visible(products)
        .iter()
        .map(|&i| (products[i].id.clone(), products[i].description.clone()))
        .collect()
}

fn clear_filter(app: &mut AppState, typed_chars: usize) {
    key(app, KeyCode::Char('/'));
    for _ in 0..typed_chars {
        key(app, KeyCode::Backspace);
    }
    key(app, KeyCode::Enter);
}

#[test]
fn data_screen_filters_its_products_by_code_or_description() {
    let mut app = loaded_app();
    assert_eq!(app.screen, Screen::Data);
    let all = products_shown(&app);
    assert!(all.len() > 100, "{}", all.len());
    let screen = draw(&app, 120, 40);
    assert!(
        screen.contains("Products · 1,289") && screen.contains("/ filter"),
        "{screen}"
    );
    key(&mut app, KeyCode::Char('?'));
    assert!(draw(&app, 120, 40).contains("/  filter"), "help lists it");
    key(&mut app, KeyCode::Esc);

    // While typing, keys are text: q does not quit, r does not reload.
    key(&mut app, KeyCode::Char('/'));
    let commands = {
        let mut c = Vec::new();
        for ch in "lunch bag".chars() {
            c.extend(key(&mut app, KeyCode::Char(ch)));
        }
        c
    };
    assert!(commands.is_empty() && !app.should_quit);
    let shown = products_shown(&app);
    assert!(!shown.is_empty() && shown.len() < all.len());
    assert!(
        shown.iter().all(|(_, d)| d.contains("LUNCH BAG")),
        "{shown:?}"
    );
    let screen = draw(&app, 120, 40);
    assert!(
        screen.contains("filter: lunch bag▏") && screen.contains("type filter"),
        "{screen}"
    );
    key(&mut app, KeyCode::Enter);
    let screen = draw(&app, 120, 40);
    assert!(
        screen.contains(&format!(
            "Products · {} of 1,289 · filter: lunch bag",
            shown.len()
        )),
        "{screen}"
    );
    insta::assert_snapshot!("data_products_filtered_120x40", screen);

    // ↓ moves among the shown products; y copies the highlighted one.
    key(&mut app, KeyCode::Down);
    assert_eq!(app.products.selected, 1.min(shown.len() - 1));
    key(&mut app, KeyCode::Char('y'));
    let copied = app.clipboard.clone().unwrap_or_default();
    assert!(
        copied.starts_with("item_id,description,buyers,lines\n")
            && copied.contains(&shown[app.products.selected].0),
        "{copied}"
    );

    // Codes match too, and a filter that matches nothing keeps the highlight at 0.
    clear_filter(&mut app, "lunch bag".len());
    assert_eq!(products_shown(&app).len(), all.len());
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, &all[0].0);
    key(&mut app, KeyCode::Enter);
    assert!(products_shown(&app).iter().any(|(id, _)| *id == all[0].0));
    clear_filter(&mut app, all[0].0.len());
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "no such product");
    key(&mut app, KeyCode::Enter);
    assert!(products_shown(&app).is_empty());
    assert_eq!(app.products.selected, 0);
    assert!(draw(&app, 80, 24).contains("Products · 0 of 1,289"));

    // The palette's `filter TEXT` sets the filter of the screen it is typed on.
    key(&mut app, KeyCode::Char(':'));
    typed(&mut app, "filter cake");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Data);
    assert!(!products_shown(&app).is_empty());
    assert!(
        products_shown(&app)
            .iter()
            .all(|(id, d)| d.contains("CAKE") || id.contains("cake"))
    );
}

/// Three training jobs: one failed, one cancelled, one running.
fn app_with_jobs() -> (AppState, [u64; 3]) {
    let mut app = loaded_app();
    key(&mut app, KeyCode::Char('3'));
    let mut ids = [0; 3];
    for id in &mut ids {
        let commands = key(&mut app, KeyCode::Char('t'));
        let Some(Command::Train { id: job, .. }) = commands.first().cloned() else {
            panic!("{commands:?}")
        };
        *id = job;
    }
    app.update(AppEvent::Job(JobEvent::Failed {
        id: ids[0],
        knob: None,
        message: "diverged".into(),
    }));
    app.update(AppEvent::Job(JobEvent::Cancelled { id: ids[1] }));
    app.update(AppEvent::Job(JobEvent::Stage {
        id: ids[2],
        message: "building the matrix".into(),
    }));
    app.status.clear();
    (app, ids)
}

#[test]
fn train_screen_filters_its_jobs_and_acts_only_on_shown_ones() {
    let (mut app, ids) = app_with_jobs();
    assert_eq!(app.visible_jobs().len(), 3);
    let screen = draw(&app, 120, 40);
    assert!(
        screen.contains("/ filter"),
        "footer lists the key: {screen}"
    );
    key(&mut app, KeyCode::Char('?'));
    assert!(draw(&app, 120, 40).contains("/  filter"), "help lists it");
    key(&mut app, KeyCode::Esc);

    // By status: only the failed job is shown, and it is highlighted.
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "FAIL");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.visible_jobs(), [0]);
    assert_eq!(app.selected_job, 0);
    assert!(key(&mut app, KeyCode::Char('c')).is_empty(), "not running");
    let screen = draw(&app, 100, 30);
    assert!(
        screen.contains("Jobs · 1 of 3 · filter: FAIL") && screen.contains("failed: diverged"),
        "{screen}"
    );
    insta::assert_snapshot!("train_jobs_filtered_100x30", screen);

    // By job number: the running one, which c cancels.
    clear_filter(&mut app, 4);
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, &format!("#{}", ids[2]));
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.visible_jobs(), [2]);
    let commands = key(&mut app, KeyCode::Char('c'));
    assert!(
        matches!(commands.as_slice(), [Command::Cancel(id)] if *id == ids[2]),
        "{commands:?}"
    );
    // ↑↓ stay among the shown jobs.
    key(&mut app, KeyCode::Up);
    assert_eq!(app.selected_job, 2);

    // A filter that hides every job: no detail pane, nothing to cancel or copy.
    clear_filter(&mut app, format!("#{}", ids[2]).len());
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "zzz");
    key(&mut app, KeyCode::Enter);
    assert!(app.visible_jobs().is_empty());
    assert!(key(&mut app, KeyCode::Char('c')).is_empty());
    let screen = draw(&app, 100, 30);
    assert!(!screen.contains("Progress"), "{screen}");
    assert!(screen.contains("no job matches 'zzz'"), "{screen}");
    key(&mut app, KeyCode::Char('y'));
    assert!(app.clipboard.is_none());

    // By model, copied as CSV: only the shown rows.
    clear_filter(&mut app, 3);
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "cancel");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('Y'));
    let copied = app.clipboard.clone().unwrap_or_default();
    assert_eq!(copied.lines().count(), 2, "{copied}");
    assert!(copied.contains(&ids[1].to_string()), "{copied}");

    // A job started while filtered is highlighted though the filter hides it: the table
    // is still copied (by Y and :save), only the row copy has nothing to take.
    clear_filter(&mut app, "cancel".len());
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "FAIL");
    key(&mut app, KeyCode::Enter);
    let commands = key(&mut app, KeyCode::Char('t'));
    assert!(matches!(commands.as_slice(), [Command::Train { .. }]));
    assert_eq!(app.selected_job, 3);
    assert_eq!(app.visible_jobs(), [0]);
    app.clipboard = None;
    key(&mut app, KeyCode::Char('Y'));
    let copied = app.clipboard.take().unwrap_or_default();
    assert_eq!(copied.lines().count(), 2, "{copied} / {}", app.status);
    assert!(copied.contains("diverged"), "{copied}");
    let scratch = crate::util::Scratch::new();
    let file = scratch.path("jobs.csv");
    key(&mut app, KeyCode::Char(':'));
    typed(&mut app, &format!("save {}", file.display()));
    let commands = key(&mut app, KeyCode::Enter);
    run_jobs(&mut app, commands);
    assert_eq!(std::fs::read_to_string(&file).unwrap_or_default(), copied);
    key(&mut app, KeyCode::Char('y'));
    assert!(app.clipboard.is_none());
    assert!(
        app.status.text.contains("nothing to copy"),
        "{}",
        app.status
    );
}

#[test]
fn the_product_list_scrolls_to_keep_the_highlight_in_view() {
    let mut app = loaded_app();
    for _ in 0..30 {
        key(&mut app, KeyCode::Down);
    }
    assert_eq!(app.products.selected, 30);
    let shown = products_shown(&app);
    for (w, h) in [(80, 24), (120, 40)] {
        let screen = draw(&app, w, h);
        let highlighted = format!("│{:<9}", shown[30].0);
        assert!(screen.contains(&highlighted), "{highlighted}\n{screen}");
        let first = format!("│{:<9}", shown[0].0);
        assert!(
            !screen.contains(&first),
            "scrolled past the first\n{screen}"
        );
    }
    key(&mut app, KeyCode::Up);
    assert_eq!(app.products.selected, 29);
}

#[test]
fn export_screen_filters_the_files_it_wrote() {
    use latent::export::{FileEntry, Manifest};
    let (mut app, _) = AppState::new(crate::tui_screens::workspace());
    app.screen = Screen::Export;
    let file = |path: &str| FileEntry {
        path: path.to_owned(),
        size: 1234,
        sha256: "ab".repeat(32),
        rows: None,
    };
    app.export.result = Some((
        "/tmp/out".to_owned(),
        Box::new(Manifest {
            format_version: 1,
            content: "export".into(),
            latent_version: "0".into(),
            run_id: "r".into(),
            created: "2026-11-23T00:00:00Z".into(),
            model_kind: "als".into(),
            formats: vec!["bundle".into(), "spark".into()],
            files: vec![
                file("bundle/manifest.json"),
                file("bundle/item_factors.npy"),
                file("spark/metadata/part-00000"),
                file("spark/itemFactors/part-00000.parquet"),
            ],
        }),
    ));
    let screen = draw(&app, 100, 30);
    assert!(
        screen.contains("bundle/item_factors.npy") && screen.contains("/ filter files"),
        "{screen}"
    );
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "spark");
    key(&mut app, KeyCode::Enter);
    let screen = draw(&app, 100, 30);
    assert!(screen.contains("spark/metadata/part-00000"), "{screen}");
    assert!(!screen.contains("bundle/item_factors.npy"), "{screen}");
    assert!(
        screen.contains(
            "Exported to /tmp/out: 2 of 4 files, 4,936 bytes, manifest.json last · filter: spark"
        ),
        "{screen}"
    );
    let shown: Vec<&str> = app
        .export
        .visible_files()
        .iter()
        .map(|f| f.path.as_str())
        .collect();
    assert_eq!(
        shown,
        [
            "spark/metadata/part-00000",
            "spark/itemFactors/part-00000.parquet"
        ]
    );

    // Copies take what is shown, as on the other screens: Y and :save the shown files,
    // y the first of them.
    key(&mut app, KeyCode::Char('Y'));
    let copied = app.clipboard.take().unwrap_or_default();
    let paths: Vec<&str> = copied
        .lines()
        .map(|l| l.split(',').next().unwrap_or(""))
        .collect();
    assert_eq!(
        paths,
        [
            "path",
            "spark/metadata/part-00000",
            "spark/itemFactors/part-00000.parquet"
        ],
        "{copied}"
    );
    let scratch = crate::util::Scratch::new();
    let file = scratch.path("files.csv");
    key(&mut app, KeyCode::Char(':'));
    typed(&mut app, &format!("save {}", file.display()));
    let commands = key(&mut app, KeyCode::Enter);
    run_jobs(&mut app, commands);
    assert_eq!(std::fs::read_to_string(&file).unwrap_or_default(), copied);
    key(&mut app, KeyCode::Char('y'));
    let row = app.clipboard.take().unwrap_or_default();
    assert_eq!(row.lines().count(), 2, "{row}");
    assert!(row.contains("spark/metadata/part-00000"), "{row}");

    // A filter that hides every file leaves no row to copy.
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "zzz");
    key(&mut app, KeyCode::Enter);
    assert!(app.export.visible_files().is_empty());
    let screen = draw(&app, 100, 30);
    assert!(
        screen.contains("0 of 4 files") && screen.contains("no file matches 'sparkzzz'"),
        "{screen}"
    );
    key(&mut app, KeyCode::Char('y'));
    assert!(app.clipboard.is_none());

    // The files themselves are untouched: clearing the filter shows all four again.
    clear_filter(&mut app, "sparkzzz".len());
    let screen = draw(&app, 100, 30);
    assert!(screen.contains("bundle/item_factors.npy"), "{screen}");
    assert!(
        screen.contains("Exported to /tmp/out: 4 files,"),
        "{screen}"
    );
    assert_eq!(app.export.visible_files().len(), 4);
}

/// A filter that hides every product says so instead of an empty table (Runs does too).
#[test]
fn a_filter_matching_nothing_says_so() {
    let mut app = loaded_app();
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "no-such-thing");
    key(&mut app, KeyCode::Enter);
    let screen = draw(&app, 120, 40);
    assert!(
        screen.contains("no product matches 'no-such-thing'") && screen.contains("0 of 1,289"),
        "{screen}"
    );
}
