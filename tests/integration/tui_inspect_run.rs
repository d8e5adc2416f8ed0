//! Inspect with a real run: a small ALS trained on the CSV sample, one customer's
//! purchases beside their recommendations, in a large and a small terminal and in the
//! demo view. ALS is deterministic for any thread count, so the frames are too.

use latent::tui::app::{AppState, Screen};
use ratatui::crossterm::event::KeyCode;

use crate::tui_screens::{draw, key, loaded_app, open_run_in_inspect, run_jobs, typed};
use crate::util::{Scratch, s, sample};

/// The app with a freshly trained ALS run open in Inspect (as the Runs screen opens it)
/// and its search index ready.
pub(crate) fn app_with_run(scratch: &Scratch) -> AppState {
    // The folder's name is the run's label on screen, so it is fixed, not temporary.
    let run_dir = sample_run(scratch, "als-sample", &[]);
    let mut app = loaded_app();
    open_run_in_inspect(&mut app, &run_dir);
    assert_eq!(app.screen, Screen::Inspect);
    app
}

/// A small ALS trained on the sample with its last 30 days held out, in `scratch/name`.
pub(crate) fn holdout_run(scratch: &Scratch, name: &str) -> std::path::PathBuf {
    sample_run(scratch, name, &["--test-last-days", "30"])
}

/// A small ALS (rank 8, 5 sweeps) trained on the sample with `extra` arguments, in
/// `scratch/name`.
pub(crate) fn sample_run(scratch: &Scratch, name: &str, extra: &[&str]) -> std::path::PathBuf {
    let run_dir = scratch.path(name);
    let data = sample("online_retail_sample.csv");
    let mut args = vec!["train", "--data", s(&data), "--set", "als_rank=8"];
    args.extend(["--set", "max_iter=5", "--out", s(&run_dir)]);
    args.extend(extra);
    scratch.run(args).ok();
    run_dir
}

#[test]
fn inspect_shows_a_customers_history_beside_their_recommendations() {
    let scratch = Scratch::new();
    let mut app = app_with_run(&scratch);
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "14606");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.inspect.customer_id(), Some("14606"));
    assert_eq!(app.inspect.recommendations.len(), 10);
    // The status line says which run opened; nothing in the frame depends on the
    // scratch folder or the clock.
    assert_eq!(app.status.text, "run als-sample open in Inspect and Export");
    let large = draw(&app, 120, 40);
    assert!(
        large.contains("Inspect · run als-sample")
            && large.contains("customer 14606")
            && large.contains("Bought (training)")
            && large.contains("Recommended"),
        "{large}"
    );
    insta::assert_snapshot!("inspect_run_120x40", large);
    let small = draw(&app, 80, 24);
    assert!(small.contains("customer 14606"), "{small}");
    insta::assert_snapshot!("inspect_run_80x24", small);
    let wide = draw(&app, 200, 60);
    assert!(
        wide.contains("2011-02-20"),
        "dates shown when there is room: {wide}"
    );
    insta::assert_snapshot!("inspect_run_200x60", wide);
    // ↓ highlights the second recommendation: its explanation follows.
    key(&mut app, KeyCode::Down);
    assert_eq!(app.inspect.selected, 1);
    insta::assert_snapshot!("inspect_run_second_item_120x40", draw(&app, 120, 40));
    key(&mut app, KeyCode::Char('d'));
    let demo = draw(&app, 120, 40);
    assert!(
        demo.contains("Customer 14606") && demo.contains("We suggest"),
        "{demo}"
    );
    insta::assert_snapshot!("inspect_run_demo_120x40", demo);
    insta::assert_snapshot!("inspect_run_demo_80x24", draw(&app, 80, 24));
    insta::assert_snapshot!("inspect_run_demo_200x60", draw(&app, 200, 60));
}

/// The Runs table at 80, 120 and 200 columns: a sweep's runs keep their whole suffix,
/// and a wide terminal adds NDCG, recall and the hold-out.
#[test]
fn the_runs_table_at_three_sizes() {
    let scratch = Scratch::new();
    let mut summaries = Vec::new();
    for (n, trial) in ["t01", "t02", "best"].into_iter().enumerate() {
        let dir = holdout_run(&scratch, &format!("20261203-073911-als-{trial}"));
        let mut summary = latent::workspace::RunSummary::read(&dir).unwrap();
        // The fit's seconds are the one thing that differs from run to run.
        if let Some(meta) = summary.meta.as_mut() {
            meta.train_seconds = 0.5 + n as f64;
        }
        summaries.push(summary);
    }
    let mut app = loaded_app();
    key(&mut app, KeyCode::Char('4'));
    app.runs.set(summaries);
    for (w, h) in [(80, 24), (120, 40), (200, 60)] {
        let screen = draw(&app, w, h);
        for suffix in ["-t01", "-t02", "-best"] {
            assert!(screen.contains(suffix), "{w}x{h}: {suffix} cut:\n{screen}");
        }
        let wide = screen.contains("ndcg@10") && screen.contains("last-days:30");
        assert_eq!(wide, w >= 170, "{w}x{h}:\n{screen}");
        insta::assert_snapshot!(format!("runs_{w}x{h}"), screen);
    }
}

/// `config.toml`'s `[keys]` moves one action alone: `previous_customer` on `b` steps back
/// through Inspect's customers, `p` no longer does there, and Tune's `p` still applies the
/// next preset. Data's window key and Inspect's new-products key share `w`, one per screen.
#[test]
fn remapping_an_action_moves_that_action_alone() {
    let scratch = Scratch::new();
    let mut app = app_with_run(&scratch);
    app.keymap = latent::tui::settings::KeyMap::new(
        &[("previous_customer".to_owned(), "b".to_owned())]
            .into_iter()
            .collect(),
    )
    .unwrap();
    // The footer shows the user's keys.
    let frame = draw(&app, 120, 40);
    assert!(frame.contains("n b customer"), "{frame}");
    let first = app.inspect.customer;
    key(&mut app, KeyCode::Char('n'));
    let second = app.inspect.customer;
    assert_ne!(first, second, "n steps to the next customer");
    key(&mut app, KeyCode::Char('p'));
    assert_eq!(app.inspect.customer, second, "p is free on Inspect now");
    key(&mut app, KeyCode::Char('b'));
    assert_eq!(app.inspect.customer, first, "b is previous_customer");
    // w on Inspect: new products in the lists; w on Data: the retention window.
    let before = app.inspect.rules.include.len();
    key(&mut app, KeyCode::Char('w'));
    assert_eq!(
        app.inspect.rules.include.len(),
        before + 1,
        "{}",
        app.status
    );
    key(&mut app, KeyCode::Char('1'));
    key(&mut app, KeyCode::Char('w'));
    assert!(
        app.palette
            .as_deref()
            .is_some_and(|p| p.starts_with("retention")),
        "{:?}",
        app.palette
    );
    key(&mut app, KeyCode::Esc);
    // Tune keeps p for its presets.
    key(&mut app, KeyCode::Char('2'));
    key(&mut app, KeyCode::Char('p'));
    assert!(
        app.status.text.contains("preset: seed defaults"),
        "{}",
        app.status
    );
    // The palette runs the same actions by name.
    key(&mut app, KeyCode::Char(':'));
    typed(&mut app, "next_preset");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.tune.value("max_iter"), "5", "the quick-look preset");
}

/// A run with a 30-day hold-out: Inspect shows what the customer bought after the cut-off
/// with the suggested ones marked, and the demo opens on a customer with hits, in words
/// a business audience reads, with the summary against the best sellers.
#[test]
fn the_hold_out_truth_and_the_demo_story() {
    let scratch = Scratch::new();
    let run_dir = holdout_run(&scratch, "als-holdout");
    let mut app = loaded_app();
    open_run_in_inspect(&mut app, &run_dir);
    assert!(
        !app.inspect.hit_customers.is_empty(),
        "some customer bought a suggestion"
    );
    key(&mut app, KeyCode::Char('d'));
    let first = app.inspect.customer.unwrap();
    assert_eq!(Some(first), app.inspect.hit_customers.first().copied());
    assert!(app.inspect.current_hits() > 0);
    let demo = draw(&app, 120, 40);
    assert!(
        demo.contains("✓ bought")
            && demo.contains("because they bought")
            && demo.contains("bought in the next 30 days; the 10 best sellers would have hit"),
        "{demo}"
    );
    insta::assert_snapshot!("inspect_holdout_demo_120x40", demo);
    // n and p step through customers with hits only.
    key(&mut app, KeyCode::Char('n'));
    if app.inspect.hit_customers.len() > 1 {
        assert_ne!(app.inspect.customer, Some(first));
    }
    assert!(app.inspect.current_hits() > 0);
    key(&mut app, KeyCode::Char('p'));
    assert_eq!(app.inspect.customer, Some(first));
    key(&mut app, KeyCode::Char('d'));
    let plain = draw(&app, 120, 40);
    assert!(
        plain.contains("Bought after the cut-off")
            && plain.contains("suggested bought · best sellers"),
        "{plain}"
    );
    insta::assert_snapshot!("inspect_holdout_120x40", plain);

    // The Evaluate screen: every metric with its interval beside popularity's, the
    // segments with their customers, precision@k for k = 1..50; y copies it all.
    key(&mut app, KeyCode::Char('7'));
    assert_eq!(app.screen, Screen::Evaluate);
    assert_eq!(app.evaluate.curve.len(), 50);
    let evaluate = draw(&app, 120, 40);
    assert_shows(
        &evaluate,
        &[
            "Evaluate · run als-holdout",
            "precision@10",
            "personalisation",
            "popularity",
            "precision@k, k = 1..50",
            "activity",
            "returning",
        ],
    );
    insta::assert_snapshot!("evaluate_holdout_120x40", evaluate);
    let (what, csv) = latent::tui::clipboard::table(&app).unwrap();
    assert_eq!(what, "evaluation");
    assert!(csv.starts_with(
        "table,name,metric,customers,value,ci_low,ci_high,baseline
"
    ));
    assert!(
        csv.contains("metrics,,precision@10,") && csv.contains("segment customers,returning,"),
        "{csv}"
    );
}

/// The Runs table names k and shows any metric (`:metric ndcg`), and charts it across
/// runs with each run's interval as a whisker; an unknown metric is refused with the list.
#[test]
fn the_runs_table_and_chart_follow_the_chosen_metric() {
    let scratch = Scratch::new();
    let mut summaries = Vec::new();
    for rank in ["4", "8"] {
        let dir = scratch.path(&format!("als-{rank}"));
        scratch
            .run([
                "train",
                "--data",
                s(&sample("online_retail_sample.csv")),
                "--set",
                &format!("als_rank={rank}"),
                "--set",
                "max_iter=3",
                "--test-last-days",
                "30",
                "--out",
                s(&dir),
            ])
            .ok();
        summaries.push(latent::workspace::RunSummary::read(&dir).unwrap());
    }
    let mut app = loaded_app();
    key(&mut app, KeyCode::Char('4'));
    app.runs.set(summaries);
    let screen = draw(&app, 120, 40);
    assert!(
        screen.contains("P@10") && screen.contains("precision across runs"),
        "{screen}"
    );
    key(&mut app, KeyCode::Char(':'));
    typed(&mut app, "metric ndcg");
    key(&mut app, KeyCode::Enter);
    let screen = draw(&app, 120, 40);
    assert!(
        screen.contains("ndcg@10")
            && screen.contains("ndcg across runs")
            && screen.contains("95 % whiskers"),
        "{screen}"
    );
    key(&mut app, KeyCode::Char(':'));
    typed(&mut app, "metric accuracy");
    key(&mut app, KeyCode::Enter);
    assert!(
        app.status.text.contains("unknown metric 'accuracy'"),
        "{}",
        app.status.text
    );
}

/// `a` on a highlighted product lists the customers most likely to buy it, with the
/// rules in force, as a table that filters, copies and opens a customer; `i` measures
/// what the rules cost on the hold-out, shown on the Evaluate screen.
#[test]
fn the_audience_and_the_rules_impact_from_inspect() {
    let scratch = Scratch::new();
    let run_dir = holdout_run(&scratch, "als-audience");
    let mut app = loaded_app();
    let run = open_run_in_inspect(&mut app, &run_dir);
    let product = app.inspect.recommendations[0].item;

    // The rules the run came with change no list: nothing to measure, and it says how.
    assert!(key(&mut app, KeyCode::Char('i')).is_empty());
    assert!(
        app.status.text.contains("change no list"),
        "{}",
        app.status.text
    );

    let commands = key(&mut app, KeyCode::Char('a'));
    assert!(draw(&app, 120, 40).contains("scoring every customer"));
    run_jobs(&mut app, commands);
    let audience = app.inspect.audience.as_ref().expect("the audience is open");
    let campaign = audience.campaign.as_ref().expect("the job reported");
    assert_eq!(campaign.items, vec![product]);
    assert!(!campaign.members.is_empty() && campaign.members.len() <= 100);
    for pair in campaign.members.windows(2) {
        assert!(pair[0].score >= pair[1].score, "ranked by score");
    }
    for m in &campaign.members {
        let bought = run.train.row(m.user as usize).0;
        assert!(
            bought.binary_search(&product).is_err(),
            "customer {} already bought it",
            run.users.name(m.user)
        );
    }
    let report = campaign.report.as_ref().expect("the run kept a hold-out");
    assert_eq!(report.listed, campaign.members.len());
    let screen = draw(&app, 120, 40);
    assert_shows(
        &screen,
        &[
            "Audience for",
            "in their list",
            "Checked on the hold-out",
            "most active customers",
        ],
    );
    insta::assert_snapshot!("inspect_audience_120x40", screen);
    let small = draw(&app, 80, 24);
    assert!(small.contains("Audience for"), "{small}");

    // `/` filters the table by country; y copies what is shown.
    let country = run
        .catalog
        .user_segment_name(campaign.members[0].user)
        .unwrap()
        .to_owned();
    let total = campaign.members.len();
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, &country);
    key(&mut app, KeyCode::Enter);
    let audience = app.inspect.audience.as_ref().unwrap();
    let shown = audience.visible(&run);
    assert!(!shown.is_empty() && shown.len() <= total);
    assert!(draw(&app, 120, 40).contains(&format!("filter: {country}")));
    let (what, csv) = latent::tui::clipboard::table(&app).unwrap();
    assert_eq!(what, "audience");
    assert!(
        csv.starts_with("customer,rank,product,description,product_rank,score,country\n"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), shown.len() + 1);
    let shown_len = shown.len();
    assert!(csv.lines().skip(1).all(|l| l.contains(&country)), "{csv}");

    // A filter that hides everyone says so; Backspace brings the country's back.
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "zzz");
    key(&mut app, KeyCode::Enter);
    let none = draw(&app, 120, 40);
    assert!(none.contains("no customer matches"), "{none}");
    key(&mut app, KeyCode::Char('/'));
    for _ in 0..3 {
        key(&mut app, KeyCode::Backspace);
    }
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.inspect.audience.as_ref().unwrap().visible(&run).len(),
        shown_len
    );

    // A click picks a customer (the third shown), and Enter opens them in Inspect.
    let screen = draw(&app, 120, 40);
    let third = screen
        .lines()
        .position(|l| l.contains("│#     customer"))
        .unwrap_or_else(|| panic!("the header:\n{screen}")) as u16
        + 3;
    app.update(latent::tui::event::AppEvent::Mouse(
        ratatui::crossterm::event::MouseEvent {
            kind: ratatui::crossterm::event::MouseEventKind::Down(
                ratatui::crossterm::event::MouseButton::Left,
            ),
            column: 8,
            row: third,
            modifiers: ratatui::crossterm::event::KeyModifiers::NONE,
        },
    ));
    assert_eq!(app.inspect.audience.as_ref().unwrap().selected, 2);
    let chosen = app
        .inspect
        .audience
        .as_ref()
        .unwrap()
        .selected_customer(&run)
        .unwrap();
    key(&mut app, KeyCode::Enter);
    assert!(app.inspect.audience.is_none());
    assert_eq!(app.inspect.customer, Some(chosen));

    // Hiding the best sellers, then `i`: the cost on the hold-out, metric by metric.
    key(&mut app, KeyCode::Char('x'));
    let commands = key(&mut app, KeyCode::Char('i'));
    assert_eq!(commands.len(), 1, "{}", app.status.text);
    run_jobs(&mut app, commands);
    assert_eq!(app.screen, Screen::Evaluate);
    let (rules, impact) = app.evaluate.impact.as_ref().expect("measured");
    assert!(rules.exclude_popular.is_some());
    assert_eq!(impact.users, run.holdout.as_ref().unwrap().users.len());
    assert!(impact.changes.iter().all(|m| m.verdict.is_some()));
    let screen = draw(&app, 120, 40);
    assert!(
        screen.contains("Rules impact · top 5% popular hidden") && screen.contains("verdict"),
        "{screen}"
    );
    insta::assert_snapshot!("evaluate_rules_impact_120x40", screen);
    let (_, csv) = latent::tui::clipboard::table(&app).unwrap();
    assert!(csv.contains("rules impact delta,"), "{csv}");
    // Changing the rules again marks the measurement as stale.
    key(&mut app, KeyCode::Char('5'));
    key(&mut app, KeyCode::Char('x'));
    key(&mut app, KeyCode::Char('7'));
    assert!(draw(&app, 120, 40).contains("Inspect's rules changed since"));
}

/// Fails with the whole frame unless it shows every one of `texts`.
fn assert_shows(screen: &str, texts: &[&str]) {
    for text in texts {
        assert!(screen.contains(text), "{text}: {screen}");
    }
}
