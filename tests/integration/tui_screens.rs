//! Screens rendered into ratatui's TestBackend, driven by events without a terminal.

use std::path::PathBuf;
use std::time::Duration;

use latent::config::WorkspaceConfig;
use latent::data::profile::profile;
use latent::data::{Interactions, load_transactions};
use latent::jobs::JobEvent;
use latent::tui::app::{AppState, Command, DataState, JobStatus, Screen};
use latent::tui::event::AppEvent;
use latent::tui::views::render;
use latent::workspace::Workspace;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::util::sample;

pub(crate) fn workspace() -> Workspace {
    let mut config = WorkspaceConfig::parse("name = \"test\"\n[data]\npath = \"sample-data/online_retail_sample.csv\"\n[interactions]\nretention_days = 90\n").unwrap();
    config.als = toml::from_str("als_rank = 10\nmax_iter = 10").unwrap();
    Workspace {
        root: PathBuf::from("/nonexistent/ws"),
        config_path: PathBuf::from("/nonexistent/ws/workspace.toml"),
        config,
    }
}

pub(crate) fn key(app: &mut AppState, code: KeyCode) -> Vec<Command> {
    app.update(AppEvent::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

pub(crate) fn typed(app: &mut AppState, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

pub(crate) fn draw(app: &AppState, w: u16, h: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| render(app, f)).unwrap();
    terminal.backend().to_string()
}

/// The Data screen filled the way the profiling job fills it, from the real CSV sample.
/// Opens the run in `run_dir` from the Runs screen as a user does (Enter), doing the
/// workers' part here: load the run, index it, report both back. Returns the run.
pub(crate) fn open_run_in_inspect(
    app: &mut AppState,
    run_dir: &std::path::Path,
) -> std::sync::Arc<latent::store::Run> {
    key(app, KeyCode::Char('4'));
    app.runs
        .set(vec![latent::workspace::RunSummary::read(run_dir).unwrap()]);
    let commands = key(app, KeyCode::Enter);
    let Some(Command::LoadRun { id, dir }) = commands.first().cloned() else {
        panic!("{commands:?}")
    };
    let run = latent::store::Run::load(&dir).unwrap();
    let commands = app.update(AppEvent::Job(JobEvent::RunLoaded {
        id,
        run: Box::new(run),
        dir,
    }));
    assert_eq!(app.screen, Screen::Inspect);
    let Some(Command::IndexRun { id, run }) = commands.first().cloned() else {
        panic!("{commands:?}")
    };
    let (products, customers) = latent::jobs::indexing::run_docs(&run);
    let index = latent::search::SearchIndex::build_in_ram(&products, &customers).unwrap();
    app.update(AppEvent::Job(JobEvent::SearchReady {
        id,
        index: std::sync::Arc::new(index),
    }));
    run
}

/// Carries out `commands` on worker threads as the workbench would, feeding every job's
/// events back to `app` (and the commands those ask for), until no job is left.
pub(crate) fn run_jobs(app: &mut AppState, commands: Vec<Command>) {
    let (tx, rx) = std::sync::mpsc::channel();
    let mut runtime = latent::tui::Runtime::new(tx);
    runtime.execute(app, commands);
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok(event) => {
                let more = app.update(event);
                runtime.execute(app, more);
            }
            Err(_) if !runtime.is_busy() => return,
            Err(_) => {
                assert!(std::time::Instant::now() < deadline, "jobs still running");
                // Starts a queued job once the one before it ended.
                runtime.execute(app, Vec::new());
            }
        }
    }
}

pub(crate) fn loaded_app() -> AppState {
    let (mut app, commands) = AppState::new(workspace());
    let Some(Command::Profile { id, .. }) = commands.first().cloned() else {
        panic!("the data is loaded first")
    };
    let spec = app.workspace.config.load_spec();
    let path = sample("online_retail_sample.csv");
    let (t, report) = load_transactions(&path, &spec).unwrap();
    let m = Interactions::from_transactions(&t, spec.interactions.ranking_type).unwrap();
    let p = profile("sample-data/online_retail_sample.csv", &t, &report, &m);
    app.update(AppEvent::Job(JobEvent::Profiled {
        id,
        profile: Box::new(p),
        monthly_lines: latent::jobs::profiling::monthly_lines(&t),
        item_popularity: latent::jobs::profiling::item_popularity(&m),
        products: latent::jobs::profiling::product_counts(&t, &m),
        people: Box::new(latent::jobs::profiling::people::people(&t, &m)),
    }));
    app
}

#[test]
fn data_screen_loading_ready_and_failed() {
    let (app, _) = AppState::new(workspace());
    insta::assert_snapshot!("data_loading", draw(&app, 80, 24));
    let app = loaded_app();
    assert!(matches!(app.data, DataState::Ready { .. }));
    insta::assert_snapshot!("data_ready_100x30", draw(&app, 100, 30));
    insta::assert_snapshot!("data_ready_80x24", draw(&app, 80, 24));
    let (mut failed, commands) = AppState::new(workspace());
    let Some(Command::Profile { id, .. }) = commands.first().cloned() else {
        panic!()
    };
    failed.update(AppEvent::Job(JobEvent::Failed {
        id,
        knob: None,
        message: "data file 'x.csv' not found".into(),
    }));
    let screen = draw(&failed, 100, 24);
    assert!(
        screen.contains("data file 'x.csv' not found") && screen.contains("press o to pick"),
        "{screen}"
    );
    // o opens the file picker in the data file's folder; Tab completes a file name.
    let listing = key(&mut failed, KeyCode::Char('o'));
    assert_eq!(failed.palette.as_deref(), Some("open sample-data/"));
    run_jobs(&mut failed, listing);
    typed(&mut failed, "online_retail_s");
    key(&mut failed, KeyCode::Tab);
    assert_eq!(
        failed.palette.as_deref(),
        Some("open sample-data/online_retail_sample.csv")
    );
    let commands = key(&mut failed, KeyCode::Enter);
    assert!(matches!(commands.first(), Some(Command::Profile { .. })));
    assert_eq!(
        failed.workspace.config.data.path.as_deref(),
        Some(std::path::Path::new("sample-data/online_retail_sample.csv"))
    );
}

#[test]
fn tiny_terminal_asks_to_be_enlarged() {
    let app = loaded_app();
    insta::assert_snapshot!("tiny_40x12", draw(&app, 40, 12));
}

#[test]
fn tune_form_refuses_to_train_with_errors() {
    let mut app = loaded_app();
    key(&mut app, KeyCode::Char('2'));
    assert_eq!(app.screen, Screen::Tune);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    for _ in 0..4 {
        key(&mut app, KeyCode::Backspace);
    }
    typed(&mut app, "0");
    key(&mut app, KeyCode::Enter);
    let screen = draw(&app, 100, 30);
    assert!(
        screen.contains("invalid als_rank '0': must be in 1..=512"),
        "{screen}"
    );
    insta::assert_snapshot!("tune_error", screen);
    assert!(
        key(&mut app, KeyCode::Char('t')).is_empty(),
        "no training from an invalid form"
    );
    assert!(
        app.status.text.starts_with("fix the form first"),
        "{}",
        app.status
    );
    // Fixed, the same key starts a job.
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Backspace);
    typed(&mut app, "8");
    key(&mut app, KeyCode::Enter);
    let commands = key(&mut app, KeyCode::Char('t'));
    assert!(
        matches!(commands.as_slice(), [Command::Train { .. }]),
        "{commands:?}"
    );
    assert_eq!(app.screen, Screen::Train);
}

#[test]
fn train_screen_follows_fake_progress_and_survives_failure() {
    let mut app = loaded_app();
    key(&mut app, KeyCode::Char('3'));
    insta::assert_snapshot!("train_empty", draw(&app, 80, 24));
    let commands = key(&mut app, KeyCode::Char('t'));
    let Some(Command::Train { id, .. }) = commands.first().cloned() else {
        panic!("{commands:?}")
    };
    app.update(AppEvent::Job(JobEvent::Started {
        id,
        label: "als".into(),
    }));
    for (i, loss) in [0.5, 0.3, 0.25, 0.24].iter().enumerate() {
        app.update(AppEvent::Job(JobEvent::Progress {
            id,
            iteration: i + 1,
            of: 10,
            loss: *loss,
            elapsed: Duration::from_millis(100 * (i as u64 + 1)),
            validation: None,
        }));
    }
    assert_eq!(app.jobs[0].history.len(), 4);
    assert_eq!(app.jobs[0].eta(), Some(Duration::from_millis(600)));
    // The job names its settings: in the table from 100 columns, and in the progress
    // panel's title at 80; the copy of the table carries them too.
    let settings = app.jobs[0].settings.clone();
    assert!(settings.starts_with("als_rank="), "{settings}");
    let screen = draw(&app, 100, 30);
    assert!(
        screen.contains("settings") && screen.contains("als_rank="),
        "{screen}"
    );
    assert!(
        draw(&app, 80, 24).contains("Progress · job 1 · als_rank="),
        "{}",
        draw(&app, 80, 24)
    );
    let (_, copied) = latent::tui::clipboard::table(&app).unwrap();
    assert!(
        copied.starts_with("job,model,settings,status") && copied.contains("als_rank="),
        "{copied}"
    );
    insta::assert_snapshot!("train_progress", screen);
    // A job of another id never touches this one.
    app.update(AppEvent::Job(JobEvent::Progress {
        id: id + 100,
        iteration: 9,
        of: 10,
        loss: 0.1,
        elapsed: Duration::ZERO,
        validation: None,
    }));
    assert_eq!(app.jobs[0].history.len(), 4);
    // An FM job's validation metric is charted beside its loss.
    for (i, auc) in [0.61, 0.7, 0.74].iter().enumerate() {
        app.update(AppEvent::Job(JobEvent::Progress {
            id,
            iteration: 5 + i,
            of: 10,
            loss: 0.2,
            elapsed: Duration::from_millis(500),
            validation: Some(("auc", *auc)),
        }));
    }
    let screen = draw(&app, 120, 40);
    assert!(
        screen.contains("Validation auc per epoch") && screen.contains("validation auc 0.7400"),
        "{screen}"
    );
    let cancel = key(&mut app, KeyCode::Char('c'));
    assert!(matches!(cancel.as_slice(), [Command::Cancel(j)] if *j == id));
    app.update(AppEvent::Job(JobEvent::Failed {
        id,
        knob: None,
        message: "training diverged at iteration 5".into(),
    }));
    assert_eq!(
        app.jobs[0].status,
        JobStatus::Failed("training diverged at iteration 5".into())
    );
    let screen = draw(&app, 100, 30);
    assert!(
        screen.contains("training failed: training diverged"),
        "{screen}"
    );
    key(&mut app, KeyCode::Char('1'));
    assert!(!app.should_quit, "the app keeps running");
}

#[test]
fn empty_runs_and_inspect_screens_say_what_to_do() {
    let mut app = loaded_app();
    key(&mut app, KeyCode::Char('4'));
    insta::assert_snapshot!("runs_empty", draw(&app, 80, 24));
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.screen, Screen::Inspect);
    insta::assert_snapshot!("inspect_empty", draw(&app, 80, 24));
    key(&mut app, KeyCode::Char('?'));
    insta::assert_snapshot!("help_inspect", draw(&app, 80, 24));
    key(&mut app, KeyCode::Esc);
    assert!(!app.show_help);
    // Any key closes the help, and does what it means: the help swallows nothing.
    key(&mut app, KeyCode::Char('?'));
    key(&mut app, KeyCode::Char('4'));
    assert!(!app.show_help);
    assert_eq!(app.screen, Screen::Runs);
    key(&mut app, KeyCode::Char('q'));
    assert!(app.should_quit);
}

#[test]
fn inspect_a_trained_run_by_customer() {
    let scratch = crate::util::Scratch::new();
    let run_dir = scratch.path("run");
    scratch
        .run([
            "train",
            "--data",
            crate::util::s(&sample("online_retail_sample.csv")),
            "--set",
            "als_rank=8",
            "--out",
            crate::util::s(&run_dir),
        ])
        .ok();
    let mut app = loaded_app();
    app.update(AppEvent::Job(JobEvent::Started {
        id: 99,
        label: "x".into(),
    }));
    let run = open_run_in_inspect(&mut app, &run_dir);
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "germany");
    key(&mut app, KeyCode::Enter);
    assert!(
        !app.inspect.matches.is_empty(),
        "customers found by country"
    );
    assert!(
        app.inspect
            .matches
            .iter()
            .all(|&u| { run.catalog.user_segment_name(u) == Some("Germany") })
    );
    key(&mut app, KeyCode::Char('/'));
    for _ in 0.."germany".len() {
        key(&mut app, KeyCode::Backspace);
    }
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "14606");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.inspect.customer_id(), Some("14606"));
    assert!(!app.inspect.history.is_empty());
    assert_eq!(app.inspect.recommendations.len(), 10);
    let bought: Vec<u32> = app.inspect.history.iter().map(|h| h.0).collect();
    assert!(
        app.inspect
            .recommendations
            .iter()
            .all(|r| !bought.contains(&r.item)),
        "nothing already bought"
    );
    let screen = draw(&app, 120, 40);
    assert!(
        screen.contains("customer 14606") && screen.contains("model score"),
        "{screen}"
    );
    assert!(
        screen.contains("2011-"),
        "purchase dates in the history: {screen}"
    );
    assert!(
        screen.contains("because they bought") && screen.contains("+0."),
        "the highlighted item is explained: {screen}"
    );
    // x hides the 5 % most popular products, and x again brings them back.
    let plain: Vec<u32> = app.inspect.recommendations.iter().map(|r| r.item).collect();
    key(&mut app, KeyCode::Char('x'));
    let run = app.inspect.run.clone().unwrap();
    let cut = run.items.len() * 5 / 100;
    let popular: Vec<u32> = run.popularity.ranking().into_iter().take(cut).collect();
    assert_eq!(app.inspect.recommendations.len(), 10);
    assert!(
        app.inspect
            .recommendations
            .iter()
            .all(|r| !popular.contains(&r.item))
    );
    assert!(
        plain.iter().any(|i| popular.contains(i)),
        "popular ones were there"
    );
    assert!(draw(&app, 120, 40).contains("top 5% popular hidden"));
    key(&mut app, KeyCode::Char('x'));
    let again: Vec<u32> = app.inspect.recommendations.iter().map(|r| r.item).collect();
    assert_eq!(again, plain);
    // r shows bought products again, blended in by the re-buy channel, and says so.
    key(&mut app, KeyCode::Char('r'));
    let run = app.inspect.run.clone().unwrap();
    let customer = app.inspect.customer.unwrap();
    let bought = run.train.row(customer as usize).0;
    let rebuys: Vec<_> = (app.inspect.recommendations.iter())
        .filter(|r| bought.contains(&r.item))
        .collect();
    assert!(!rebuys.is_empty(), "bought products are shown again");
    assert!(
        rebuys
            .iter()
            .all(|r| r.reason == latent::recommend::Reason::Rebuy)
    );
    let screen = draw(&app, 120, 40);
    assert!(
        screen.contains("bought shown, re-buy 0.80") && screen.contains("  re-buy  "),
        "{screen}"
    );
    key(&mut app, KeyCode::Char('r'));
    let again: Vec<u32> = app.inspect.recommendations.iter().map(|r| r.item).collect();
    assert_eq!(again, plain);
    // e leaves out the highlighted product for good (this session), E brings it back.
    let first = plain[0];
    key(&mut app, KeyCode::Char('e'));
    assert!(app.inspect.recommendations.iter().all(|r| r.item != first));
    assert_eq!(app.inspect.recommendations.len(), 10);
    assert!(draw(&app, 120, 40).contains("1 excluded"));
    key(&mut app, KeyCode::Char('E'));
    assert_eq!(app.inspect.recommendations[0].item, first);
    // c steps through the cold-start policies.
    let before = app.inspect.rules.cold_start;
    key(&mut app, KeyCode::Char('c'));
    assert_ne!(app.inspect.rules.cold_start, before);
    assert!(draw(&app, 120, 40).contains(app.inspect.rules.cold_start.name()));
    key(&mut app, KeyCode::Char('d'));
    let demo = draw(&app, 120, 40);
    assert!(
        demo.contains("They bought") && demo.contains("We suggest"),
        "{demo}"
    );
    key(&mut app, KeyCode::Char('n'));
    assert_ne!(
        app.inspect.customer_id(),
        Some("14606"),
        "n steps to another customer"
    );
    key(&mut app, KeyCode::Char('/'));
    for _ in 0..5 {
        key(&mut app, KeyCode::Backspace);
    }
    typed(&mut app, "NOBODY");
    key(&mut app, KeyCode::Enter);
    assert!(draw(&app, 120, 40).contains("new to the model"));
    assert!(
        app.inspect
            .recommendations
            .iter()
            .all(|r| r.reason == latent::recommend::Reason::PopularityFallback)
    );
}

#[test]
fn runs_screen_filters_sorts_compares_and_charts_a_sweep() {
    let scratch = crate::util::Scratch::new();
    let ws = scratch.path("ws");
    std::fs::create_dir(&ws).unwrap();
    let data = crate::util::root().join("sample-data/online_retail_sample.csv");
    std::fs::write(
        ws.join("workspace.toml"),
        format!("[data]\npath = {:?}\n", data.display().to_string()),
    )
    .unwrap();
    scratch
        .run([
            "sweep",
            "--workspace",
            crate::util::s(&ws),
            "--grid",
            "als_rank=2,8",
            "--set",
            "max_iter=3",
            "--test-last-days",
            "20",
            "--validation-days",
            "20",
        ])
        .ok();
    let mut app = loaded_app();
    let workspace = Workspace::open(&ws).unwrap();
    app.runs.set(workspace.list_runs());
    key(&mut app, KeyCode::Char('4'));
    assert_eq!(app.runs.visible().len(), 3);
    let screen = draw(&app, 120, 40);
    assert!(
        screen.contains("Sweep") && screen.contains("t1") && screen.contains("t2"),
        "{screen}"
    );
    // One settings column for any model, from the settings the model offers.
    assert!(
        screen.contains("als_rank=2") && screen.contains("als_rank=8"),
        "{screen}"
    );

    // `/` filters as you type; Esc leaves the filter in place.
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "best");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.runs.visible().len(), 1);
    assert!(draw(&app, 120, 40).contains("1 of 3"));
    key(&mut app, KeyCode::Char('/'));
    for _ in 0..4 {
        key(&mut app, KeyCode::Backspace);
    }
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.runs.visible().len(), 3);

    // `s` sorts by precision: the best precision first.
    key(&mut app, KeyCode::Char('s'));
    let first = app.runs.selected_run().unwrap().metrics.clone().unwrap();
    for &i in &app.runs.visible() {
        let p = app.runs.all[i].metrics.as_ref().unwrap().model.precision;
        assert!(p <= first.model.precision);
    }

    // Space marks, c compares with the highlighted run on a worker.
    key(&mut app, KeyCode::Char(' '));
    key(&mut app, KeyCode::Down);
    let commands = key(&mut app, KeyCode::Char('c'));
    let Some(Command::CompareRuns { id, a, b }) = commands.first().cloned() else {
        panic!("{commands:?}")
    };
    let (ra, rb) = (
        latent::store::Run::load(&a).unwrap(),
        latent::store::Run::load(&b).unwrap(),
    );
    app.update(AppEvent::Job(JobEvent::Compared {
        id,
        a: "a".into(),
        b: "b".into(),
        diff: Box::new(latent::workspace::compare::diff_lenient(&ra, &rb, 10, 100).unwrap()),
    }));
    let screen = draw(&app, 120, 40);
    assert!(
        screen.contains("overlap") && screen.contains("b − a") && screen.contains("verdict"),
        "{screen}"
    );
    // The tested best run and a trial scored on validation days do not pair: said so.
    assert!(screen.contains("not paired"), "{screen}");
    key(&mut app, KeyCode::Esc);
    assert!(app.runs.comparison.is_none());
    assert_eq!(app.screen, Screen::Runs, "Esc closes the comparison first");
}

#[test]
fn palette_copy_and_remapped_keys() {
    let scratch = crate::util::Scratch::new();
    let run_dir = scratch.path("run");
    scratch
        .run([
            "train",
            "--data",
            crate::util::s(&sample("online_retail_sample.csv")),
            "--set",
            "als_rank=4",
            "--set",
            "max_iter=3",
            "--out",
            crate::util::s(&run_dir),
        ])
        .ok();
    let mut app = loaded_app();
    let run = latent::store::Run::load(&run_dir).unwrap();
    app.update(AppEvent::Job(JobEvent::Started {
        id: 99,
        label: "x".into(),
    }));
    key(&mut app, KeyCode::Char('4'));
    app.runs
        .set(vec![latent::workspace::RunSummary::read(&run_dir).unwrap()]);
    let Some(Command::LoadRun { id, dir }) = key(&mut app, KeyCode::Enter).first().cloned() else {
        panic!("Enter opens the run")
    };
    app.update(AppEvent::Job(JobEvent::RunLoaded {
        id,
        run: Box::new(run),
        dir,
    }));

    // `:` opens the palette; hints follow what is typed; Enter runs the command.
    key(&mut app, KeyCode::Char(':'));
    typed(&mut app, "popu");
    let screen = draw(&app, 120, 40);
    assert!(
        screen.contains(":popu") && screen.contains("popular N%|N|off"),
        "{screen}"
    );
    typed(&mut app, "lar 10%");
    key(&mut app, KeyCode::Enter);
    assert!(app.palette.is_none());
    assert_eq!(
        app.inspect.rules.exclude_popular,
        Some(latent::recommend::PopularCut::Percent(10.0))
    );
    key(&mut app, KeyCode::Char(':'));
    typed(&mut app, "customer 14606");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.inspect.customer_id(), Some("14606"));
    key(&mut app, KeyCode::Char(':'));
    typed(&mut app, "custmer 1");
    key(&mut app, KeyCode::Enter);
    assert!(
        app.status.text.contains("did you mean 'customer'"),
        "{}",
        app.status
    );
    key(&mut app, KeyCode::Char(':'));
    typed(&mut app, "popular 5 percent");
    key(&mut app, KeyCode::Enter);
    assert!(app.status.text.contains("5 percent"), "{}", app.status);

    // y copies the highlighted row, Y the whole table, :save writes it.
    key(&mut app, KeyCode::Char('y'));
    let row = app.clipboard.take().unwrap();
    assert_eq!(row.lines().count(), 2, "{row}");
    assert!(
        row.starts_with("user_id,rank,item_id") && row.contains("14606,1,"),
        "{row}"
    );
    key(&mut app, KeyCode::Char('Y'));
    assert_eq!(app.clipboard.take().unwrap().lines().count(), 11);
    let file = scratch.path("recs.csv");
    key(&mut app, KeyCode::Char(':'));
    typed(&mut app, &format!("save {}", file.display()));
    let commands = key(&mut app, KeyCode::Enter);
    run_jobs(&mut app, commands);
    assert_eq!(std::fs::read_to_string(&file).unwrap().lines().count(), 11);

    // The retention window is edited from the palette and the data reloads.
    key(&mut app, KeyCode::Char(':'));
    typed(&mut app, "retention 20110601 30");
    let commands = key(&mut app, KeyCode::Enter);
    assert!(
        matches!(commands.first(), Some(Command::Profile { .. })),
        "{commands:?}"
    );
    assert_eq!(app.workspace.config.interactions.retention_days, Some(30));
    assert!(matches!(app.data, DataState::Loading { .. }));
    key(&mut app, KeyCode::Char(':'));
    typed(&mut app, "open /no/such/file.csv");
    let commands = key(&mut app, KeyCode::Enter);
    run_jobs(&mut app, commands);
    assert!(app.status.text.contains("is not a file"), "{}", app.status);

    // Remapped keys: quit moved to Q frees q.
    app.keymap = latent::tui::settings::KeyMap::new(
        &[("quit".to_owned(), "Q".to_owned())].into_iter().collect(),
    )
    .unwrap();
    key(&mut app, KeyCode::Char('q'));
    assert!(!app.should_quit);
    key(&mut app, KeyCode::Char('Q'));
    assert!(app.should_quit);
}

#[test]
fn tune_presets_and_a_sweep_request() {
    let mut app = loaded_app();
    key(&mut app, KeyCode::Char('2'));
    key(&mut app, KeyCode::Char('p'));
    assert!(app.status.text.contains("seed defaults"), "{}", app.status);
    key(&mut app, KeyCode::Char('p'));
    assert_eq!(app.tune.value("max_iter"), "5", "quick look");
    let commands = key(&mut app, KeyCode::Char('S'));
    let Some(Command::Sweep { spec, .. }) = commands.first() else {
        panic!("{commands:?}")
    };
    assert_eq!(spec.configurations.len(), 9);
    assert_eq!(app.screen, Screen::Train);
    assert!(draw(&app, 100, 30).contains("sweep"));
}

/// Runs an export command's job on its worker thread, feeding its events to `app`.
pub(crate) fn run_export_job(
    app: &mut AppState,
    id: latent::jobs::JobId,
    run: std::sync::Arc<latent::store::Run>,
    run_id: String,
    destination: String,
    opts: latent::export::ExportOptions,
) {
    let (tx, rx) = std::sync::mpsc::channel();
    let mut job = latent::jobs::exporting::spawn_export(
        id,
        run,
        run_id,
        destination,
        opts,
        Box::new(move |e| tx.send(e).is_ok()),
    )
    .unwrap();
    while let Ok(e) = rx.recv_timeout(Duration::from_secs(60)) {
        let done = matches!(e, JobEvent::Exported { .. } | JobEvent::Failed { .. });
        app.update(AppEvent::Job(e));
        if done {
            break;
        }
    }
    assert!(job.cancel_and_join(Duration::from_secs(5)));
}

/// Presses e on the Export screen and runs the export it asks for.
pub(crate) fn export_on_a_worker(app: &mut AppState) {
    let commands = key(app, KeyCode::Char('e'));
    let Some(Command::Export {
        id,
        run,
        run_id,
        destination,
        opts,
    }) = commands.first().cloned()
    else {
        panic!("{commands:?}")
    };
    run_export_job(app, id, run, run_id, destination, *opts);
}

#[test]
fn export_screen_writes_formats_on_a_worker_and_lists_the_files() {
    let scratch = crate::util::Scratch::new();
    let run_dir = scratch.path("run");
    scratch
        .run([
            "train",
            "--data",
            crate::util::s(&sample("online_retail_sample.csv")),
            "--set",
            "als_rank=4",
            "--set",
            "max_iter=2",
            "--out",
            crate::util::s(&run_dir),
        ])
        .ok();
    let mut app = loaded_app();
    key(&mut app, KeyCode::Char('6'));
    assert_eq!(app.screen, Screen::Export);
    let empty = draw(&app, 100, 30);
    assert!(
        empty.contains("no run open") && empty.contains("bundle"),
        "{empty}"
    );
    insta::assert_snapshot!("export_empty", draw(&app, 80, 24));
    key(&mut app, KeyCode::Char('e'));
    assert!(app.status.text.contains("no run open"), "{}", app.status);

    let run = latent::store::Run::load(&run_dir).unwrap();
    app.update(AppEvent::Job(JobEvent::Started {
        id: 99,
        label: "x".into(),
    }));
    app.inspect.set_run(std::sync::Arc::new(run), "run".into());
    // Choose the implicit format too (third row), and a destination.
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Char(' '));
    let target = scratch.path("out");
    // Past recs, sagemaker, recs-partitioned and spark-job to the destination.
    for _ in 2..latent::tui::screens::export::FORMAT_ROWS {
        key(&mut app, KeyCode::Down);
    }
    key(&mut app, KeyCode::Enter);
    typed(&mut app, crate::util::s(&target));
    key(&mut app, KeyCode::Enter);
    let commands = key(&mut app, KeyCode::Char('e'));
    let Some(Command::Export {
        id,
        run,
        run_id,
        destination,
        opts,
    }) = commands.first().cloned()
    else {
        panic!("{commands:?}")
    };
    assert_eq!(destination, crate::util::s(&target));
    let names: Vec<&str> = opts.formats.iter().map(|f| f.name()).collect();
    assert_eq!(names, ["bundle", "implicit", "recs"]);
    run_export_job(&mut app, id, run, run_id, destination, *opts);
    assert!(target.join("manifest.json").exists(), "{}", app.status);
    let screen = draw(&app, 120, 40);
    assert!(
        screen.contains("Exported to") && screen.contains("implicit/"),
        "{screen}"
    );
    // A second export to the same folder is refused without overwrite, and says so.
    export_on_a_worker(&mut app);
    assert!(
        app.status.text.starts_with("export failed"),
        "{}",
        app.status
    );
    // In the workbench's words: its checkbox, not the CLI's flag.
    assert!(
        app.status.text.contains("tick overwrite on this form") && !app.status.text.contains("--"),
        "{}",
        app.status.text
    );
    assert!(draw(&app, 120, 40).contains("overwrite"));

    // The Spark job is offered too: ticked, with overwrite, it joins the export.
    key(&mut app, KeyCode::Home);
    for _ in 0..6 {
        key(&mut app, KeyCode::Down);
    }
    key(&mut app, KeyCode::Char(' '));
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Char(' '));
    assert!(app.export.overwrite && app.export.formats[6]);
    export_on_a_worker(&mut app);
    assert!(
        target.join("spark-job").join("job.json").exists(),
        "{}",
        app.status
    );
}

#[test]
fn a_second_training_job_waits_for_the_first() {
    let scratch = crate::util::Scratch::new();
    let mut ws = workspace();
    scratch.path("ws").clone_into(&mut ws.root);
    std::fs::create_dir_all(&ws.root).unwrap();
    ws.config.data.path = Some(sample("online_retail_sample.csv"));
    let (mut app, _) = AppState::new(ws);
    let (tx, rx) = std::sync::mpsc::channel();
    let mut runtime = latent::tui::Runtime::new(tx);
    key(&mut app, KeyCode::Char('2'));
    let mut commands = key(&mut app, KeyCode::Char('t'));
    key(&mut app, KeyCode::Char('2'));
    commands.extend(key(&mut app, KeyCode::Char('t')));
    assert_eq!(commands.len(), 2);
    runtime.execute(&mut app, commands);
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let mut order = Vec::new();
    while app.jobs.iter().any(|j| j.status == JobStatus::Running) {
        assert!(std::time::Instant::now() < deadline, "jobs never finished");
        if let Ok(e) = rx.recv_timeout(Duration::from_millis(50)) {
            if let AppEvent::Job(job) = &e {
                match job {
                    JobEvent::Started { id, .. } => order.push(format!("start {id}")),
                    JobEvent::Finished { id, .. } => order.push(format!("end {id}")),
                    JobEvent::Stage { id, message } if message.starts_with("queued") => {
                        order.push(format!("queued {id}"));
                    }
                    _ => {}
                }
            }
            let commands = app.update(e);
            runtime.execute(&mut app, commands);
        } else {
            runtime.execute(&mut app, Vec::new());
        }
    }
    let ids: Vec<u64> = app.jobs.iter().map(|j| j.id).collect();
    // The runtime's "queued" note and the first job's start come from two threads, so
    // their relative order is not fixed; the runs themselves never overlap.
    let runs: Vec<&String> = order.iter().filter(|e| !e.starts_with("queued")).collect();
    assert_eq!(
        runs,
        [
            &format!("start {}", ids[0]),
            &format!("end {}", ids[0]),
            &format!("start {}", ids[1]),
            &format!("end {}", ids[1]),
        ],
        "one job at a time: {order:?}"
    );
    let at = |e: String| order.iter().position(|o| *o == e).expect("an event seen");
    assert!(
        at(format!("queued {}", ids[1])) < at(format!("start {}", ids[1])),
        "the second job waited in the queue: {order:?}"
    );
    runtime.shutdown(Duration::from_secs(5));
}

#[test]
fn tune_shows_the_fields_of_the_chosen_model() {
    let mut app = loaded_app();
    key(&mut app, KeyCode::Char('2'));
    let als = draw(&app, 100, 30);
    assert!(
        als.contains("rank (als_rank)") && !als.contains("FM factors"),
        "{als}"
    );
    // model is the first field: → cycles als → als-explicit → fm.
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Right);
    assert_eq!(app.tune.value("model"), "fm");
    let fm = draw(&app, 100, 30);
    assert!(
        fm.contains("FM factors") && fm.contains("FM predictor"),
        "{fm}"
    );
    assert!(!fm.contains("rank (als_rank)"), "{fm}");
    // Down goes to the first FM field; a bad value is shown and refuses training.
    key(&mut app, KeyCode::Down);
    assert_eq!(app.tune.fields[app.tune.selected].key, "num_factors");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Backspace);
    key(&mut app, KeyCode::Backspace);
    typed(&mut app, "0");
    key(&mut app, KeyCode::Enter);
    assert!(draw(&app, 100, 30).contains("✗"), "the error is inline");
    assert!(key(&mut app, KeyCode::Char('t')).is_empty());
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Backspace);
    typed(&mut app, "16");
    key(&mut app, KeyCode::Enter);
    let commands = key(&mut app, KeyCode::Char('t'));
    let Some(Command::Train { spec, .. }) = commands.first() else {
        panic!("{commands:?} {}", app.status)
    };
    assert_eq!(spec.model, latent::models::ModelKind::Fm);
    assert_eq!(
        spec.params
            .to_strings()
            .get("num_factors")
            .map(String::as_str),
        Some("16"),
        "the form's value reaches the typed settings"
    );
}

/// `a` on the Tune screen searches in the background: the trials chart and table follow
/// each trial, `s` orders them best first, and the chosen run opens in Inspect (the
/// Train screen stays in view, as for any finished run).
#[test]
fn auto_tune_charts_its_trials_and_opens_the_chosen_run() {
    let scratch = tempfile::tempdir().unwrap();
    let mut app = loaded_app();
    app.workspace.root = scratch.path().to_path_buf();
    app.workspace.config_path = scratch.path().join("workspace.toml");
    app.workspace.config.data.path = Some(sample("online_retail_sample.csv"));
    key(&mut app, KeyCode::Char('2'));
    let commands = key(&mut app, KeyCode::Char('a'));
    let Some(Command::Tune { id, spec }) = commands.first().cloned() else {
        panic!("{commands:?}")
    };
    let names: Vec<&str> = spec.models.iter().map(|m| m.name()).collect();
    assert_eq!(names, ["ease", "als", "rp3beta", "item-knn"]);
    assert_eq!(app.screen, Screen::Train);
    assert!(
        app.status.text.contains("only the chosen model sees"),
        "{}",
        app.status
    );
    let mut spec = spec;
    spec.max_trials = Some(6);
    run_jobs(&mut app, vec![Command::Tune { id, spec }]);
    let job = app.jobs.iter().find(|j| j.id == id).unwrap();
    assert_eq!(job.trials.len(), 6, "{:?}", job.status);
    assert!(
        matches!(job.status, JobStatus::Finished { .. }),
        "{:?}",
        job.status
    );
    assert!(
        app.inspect.run_label.contains("-tuned"),
        "the chosen run opens in Inspect: {}",
        app.inspect.run_label
    );
    let written = std::fs::read_dir(scratch.path().join("runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("-tuned"))
        .expect("the chosen run is in the workspace's runs");
    let toml = std::fs::read_to_string(written.join("run.toml")).unwrap();
    assert!(
        toml.contains("[tune]") && toml.contains("best_trial"),
        "{toml}"
    );

    key(&mut app, KeyCode::Char('3'));
    let screen = draw(&app, 140, 40);
    assert!(
        screen.contains("Validation precision per trial"),
        "{screen}"
    );
    assert!(screen.contains("Trials · as tried"), "{screen}");
    assert!(screen.contains("6 trials · best precision"), "{screen}");
    key(&mut app, KeyCode::Char('s'));
    let screen = draw(&app, 140, 40);
    assert!(screen.contains("Trials · best first"), "{screen}");
    let job = app.jobs.iter().find(|j| j.id == id).unwrap();
    let ordered = job.ordered_trials(app.trial_order, false);
    assert!(
        ordered
            .windows(2)
            .all(|w| w[0].validation.unwrap_or(-1.0) >= w[1].validation.unwrap_or(-1.0)),
        "{ordered:?}"
    );
}

/// The workspace's `[tune]` table sets what `a` searches: one model, its budget and its
/// metric, as `latent tune` reads them; a bad metric is refused on the status line.
#[test]
fn auto_tune_follows_the_workspaces_tune_table() {
    let mut app = loaded_app();
    app.workspace.config.tune =
        toml::from_str("model = \"rp3beta\"\nbudget = \"2m\"\nmetric = \"ndcg@5\"\nseed = 9")
            .unwrap();
    key(&mut app, KeyCode::Char('2'));
    let commands = key(&mut app, KeyCode::Char('a'));
    let Some(Command::Tune { spec, .. }) = commands.first().cloned() else {
        panic!("{commands:?}")
    };
    assert_eq!(spec.models, [latent::models::ModelKind::Rp3Beta]);
    assert_eq!(spec.budget, std::time::Duration::from_secs(120));
    assert_eq!((spec.metric.name(), spec.base.k, spec.seed), ("ndcg", 5, 9));
    assert!(app.status.text.contains("for 120 s"), "{}", app.status);
    assert!(app.jobs.iter().any(|j| j.label == "tune rp3beta"));

    let mut app = loaded_app();
    app.workspace.config.tune.metric = Some("ndgc".into());
    key(&mut app, KeyCode::Char('2'));
    assert!(key(&mut app, KeyCode::Char('a')).is_empty());
    assert!(
        app.status.text.contains("[tune] metric") && app.status.text.contains("ndgc"),
        "{}",
        app.status
    );
}

/// The highlighted product drives the monthly chart (its own seasonality); the months
/// carry their year and a cut month is flagged; the long tail has its axis.
#[test]
fn the_highlighted_product_draws_its_own_months() {
    let mut app = loaded_app();
    let screen = draw(&app, 120, 40);
    for expected in [
        "Lines kept per month, Dec 2010 – Feb 2011 · * partial month",
        "Feb'11*",
        "21755 LOVE BUILDING BLOCK WORD: lines per month",
        "median 2 buyers",
        "1,289 products",
    ] {
        assert!(screen.contains(expected), "{expected} missing:\n{screen}");
    }
    key(&mut app, KeyCode::Down);
    let screen = draw(&app, 120, 40);
    assert!(
        screen.contains("22960 JAM MAKING SET WITH JARS: lines per month"),
        "{screen}"
    );
}

/// Paging and jumps work on every table: PgDn / PgUp a page, G / End the last row,
/// gg / Home the first; a single g does nothing yet.
#[test]
fn pages_and_jumps_move_through_a_table() {
    let mut app = loaded_app();
    let DataState::Ready { products, .. } = &app.data else {
        panic!("loaded")
    };
    let last = products.len() - 1;
    key(&mut app, KeyCode::PageDown);
    assert_eq!(app.products.selected, 10);
    key(&mut app, KeyCode::Char('G'));
    assert_eq!(app.products.selected, last);
    key(&mut app, KeyCode::PageUp);
    assert_eq!(app.products.selected, last - 10);
    key(&mut app, KeyCode::Char('g'));
    assert_eq!(
        app.products.selected,
        last - 10,
        "one g waits for the second"
    );
    key(&mut app, KeyCode::Char('g'));
    assert_eq!(app.products.selected, 0);
    key(&mut app, KeyCode::End);
    assert_eq!(app.products.selected, last);
    key(&mut app, KeyCode::Home);
    assert_eq!(app.products.selected, 0);
    // Export's rows stop at their ends on a jump, and still wrap on a step.
    key(&mut app, KeyCode::Char('6'));
    key(&mut app, KeyCode::Char('G'));
    let bottom = app.export.selected;
    key(&mut app, KeyCode::Down);
    assert_eq!(app.export.selected, 0, "a step wraps");
    key(&mut app, KeyCode::Up);
    assert_eq!(app.export.selected, bottom);
}

/// `s` on Data sorts the product list by buyers, lines, code or description.
#[test]
fn the_product_list_sorts_by_its_columns() {
    let mut app = loaded_app();
    key(&mut app, KeyCode::Char('s'));
    assert_eq!(app.status.text, "products sorted by lines");
    let DataState::Ready { products, .. } = &app.data else {
        panic!("loaded")
    };
    assert!(products.windows(2).all(|w| w[0].lines >= w[1].lines));
    let screen = draw(&app, 120, 40);
    assert!(
        screen.contains("Products · 1,289 · by lines") && screen.contains("lines"),
        "{screen}"
    );
    key(&mut app, KeyCode::Char('s'));
    let DataState::Ready { products, .. } = &app.data else {
        panic!("loaded")
    };
    assert!(products.windows(2).all(|w| w[0].id <= w[1].id));
}

/// `?` lists the screen's keys, its columns and the metrics; `/` filters the page as you
/// type; a key that means something else closes it and does it.
#[test]
fn the_help_page_defines_columns_and_metrics_and_filters() {
    let mut app = loaded_app();
    key(&mut app, KeyCode::Char('4'));
    key(&mut app, KeyCode::Char('?'));
    let page = draw(&app, 120, 40);
    for expected in [
        "Runs screen",
        "keys",
        "columns",
        "lift",
        "metrics",
        "ndcg@k",
    ] {
        assert!(page.contains(expected), "{expected} missing:\n{page}");
    }
    key(&mut app, KeyCode::Char('/'));
    for c in "log2".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    let page = draw(&app, 120, 40);
    assert!(
        page.contains("filter: log2") && page.contains("ndcg@k") && page.contains("novelty"),
        "{page}"
    );
    assert!(!page.contains("recall@k"), "{page}");
    key(&mut app, KeyCode::Enter);
    assert!(app.show_help, "Enter ends the typing, the page stays");
    key(&mut app, KeyCode::Char('5'));
    assert!(!app.show_help);
    assert_eq!(
        app.screen,
        Screen::Inspect,
        "the key that closed it did its job"
    );
    // Every key of a screen is on its page, also those the footer has no room for.
    let keys = |app: &AppState| -> Vec<String> {
        latent::tui::help::lines(app)
            .into_iter()
            .filter(|l| l.section == "keys")
            .map(|l| l.term)
            .collect()
    };
    for (screen, wanted) in [('2', "a"), ('1', "v"), ('1', "s"), ('4', "R"), ('3', "s")] {
        key(&mut app, KeyCode::Char(screen));
        let terms = keys(&app);
        assert!(
            terms.iter().any(|t| t.split(' ').any(|k| k == wanted)),
            "screen {screen} lacks {wanted}: {terms:?}"
        );
    }
    key(&mut app, KeyCode::Char('6'));
    key(&mut app, KeyCode::Char('?'));
    assert!(draw(&app, 120, 40).contains("sha256"));
}

/// At 80x24 the page is taller than the terminal: its title counts the lines, ↓ and PgDn
/// bring the metrics into view, End reaches the last line, and a key that is not a scroll
/// key still closes it and does its job.
#[test]
fn the_help_page_scrolls_when_it_does_not_fit() {
    let mut app = loaded_app();
    key(&mut app, KeyCode::Char('4'));
    key(&mut app, KeyCode::Char('?'));
    let first = draw(&app, 80, 24);
    assert!(first.contains("help · lines 1-"), "{first}");
    assert!(!first.contains("novelty"), "the metrics are below: {first}");
    key(&mut app, KeyCode::Down);
    assert!(app.show_help, "↓ scrolls a page that does not fit");
    assert_eq!(app.help.scroll, 1);
    key(&mut app, KeyCode::End);
    let last = draw(&app, 80, 24);
    assert!(last.contains("novelty"), "{last}");
    let (_, all) = app.help.drawn.get();
    assert!(last.contains(&format!("of {all}")), "{last}");
    key(&mut app, KeyCode::PageDown);
    assert_eq!(draw(&app, 80, 24), last, "End is the end");
    key(&mut app, KeyCode::Home);
    assert_eq!(draw(&app, 80, 24), first);
    // Filtering starts the page from its top; a short page does not scroll, so ↓ closes
    // it and moves the Runs table as it would.
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "novelty");
    key(&mut app, KeyCode::Enter);
    let filtered = draw(&app, 80, 24);
    assert!(
        filtered.contains("novelty") && !filtered.contains("help · lines"),
        "{filtered}"
    );
    key(&mut app, KeyCode::Down);
    assert!(!app.show_help);
    // Wider, the whole page fits: its lines wrap under their text, none cut.
    key(&mut app, KeyCode::Char('?'));
    let tall = draw(&app, 120, 60);
    assert!(!tall.contains("help · lines"), "{tall}");
    key(&mut app, KeyCode::Char('5'));
    assert!(!app.show_help);
    assert_eq!(app.screen, Screen::Inspect);
}

/// A click on a table row selects it (the frame drawn last says where the rows are).
#[test]
fn a_click_selects_a_row() {
    use ratatui::crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let mut app = loaded_app();
    let screen = draw(&app, 120, 40);
    let row = screen
        .lines()
        .position(|l| l.contains("22457    NATURAL SLATE"))
        .expect("a product row") as u16;
    let click = |column: u16, row: u16| {
        AppEvent::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    app.update(click(12, row));
    let DataState::Ready { products, .. } = &app.data else {
        panic!("loaded")
    };
    let visible = app.products.visible(products);
    assert_eq!(products[visible[app.products.selected]].id, "22457");
    // Outside any table nothing moves, nor under the open palette.
    let before = app.products.selected;
    app.update(click(100, 3));
    assert_eq!(app.products.selected, before);
    key(&mut app, KeyCode::Char(':'));
    app.update(click(12, row + 1));
    assert_eq!(app.products.selected, before);
    key(&mut app, KeyCode::Esc);

    // Every screen with rows: a Tune field, a Train job, an Export row.
    let line_of = |app: &AppState, text: &str| {
        draw(app, 120, 40)
            .lines()
            .position(|l| l.contains(text))
            .unwrap_or_else(|| panic!("{text} not drawn")) as u16
    };
    key(&mut app, KeyCode::Char('2'));
    let field = app
        .tune
        .fields
        .iter()
        .position(|f| f.key == "reg_param")
        .unwrap();
    let label = app.tune.fields[field].label;
    app.update(click(5, line_of(&app, label)));
    assert_eq!(app.tune.selected, field);
    key(&mut app, KeyCode::Char('3'));
    for _ in 0..3 {
        key(&mut app, KeyCode::Char('t'));
    }
    assert_eq!(app.selected_job, 2, "the newest job is followed");
    app.update(click(3, line_of(&app, "#1 ")));
    assert_eq!(app.selected_job, 0);
    key(&mut app, KeyCode::Char('6'));
    app.update(click(3, line_of(&app, "overwrite")));
    let overwrite = app.export.selected;
    key(&mut app, KeyCode::Char(' '));
    assert!(
        app.export.overwrite,
        "the clicked row is the one Space toggles"
    );
    app.update(click(3, line_of(&app, "destination")));
    assert_eq!(app.export.selected, overwrite - 1);
}

/// `v` on Data shows who buys: customers (country, products, lines), then countries
/// (customers, lines), each filtered by `/`, then the products again.
#[test]
fn data_lists_customers_and_countries_beside_the_products() {
    let mut app = loaded_app();
    key(&mut app, KeyCode::Char('v'));
    let screen = draw(&app, 120, 40);
    assert!(
        screen.contains("Customers · 1,037 · v next list")
            && screen.contains("customer")
            && screen.contains("United Kingdom"),
        "{screen}"
    );
    key(&mut app, KeyCode::Char('v'));
    let screen = draw(&app, 120, 40);
    assert!(
        screen.contains("Countries ·") && screen.contains("United Kingdom"),
        "{screen}"
    );
    key(&mut app, KeyCode::Char('/'));
    for c in "zzz".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    assert!(
        draw(&app, 120, 40).contains("no country matches 'zzz'"),
        "an empty filter says so"
    );
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('v'));
    assert!(draw(&app, 120, 40).contains("Products · "));
}

/// The palette runs the actions by name: `train` trains the Tune form's model from any
/// screen; `go NAME` goes to a screen.
#[test]
fn the_palette_trains_and_goes_to_screens() {
    let mut app = loaded_app();
    key(&mut app, KeyCode::Char('4'));
    key(&mut app, KeyCode::Char(':'));
    typed(&mut app, "train");
    let commands = key(&mut app, KeyCode::Enter);
    assert!(
        matches!(commands.as_slice(), [Command::Train { .. }]),
        "{commands:?}: {}",
        app.status.text
    );
    key(&mut app, KeyCode::Char(':'));
    typed(&mut app, "go monitor");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Monitor);
    key(&mut app, KeyCode::Char(':'));
    typed(&mut app, "go nowhere");
    key(&mut app, KeyCode::Enter);
    assert!(
        app.status.text.contains("go to data, tune"),
        "{}",
        app.status.text
    );
}
