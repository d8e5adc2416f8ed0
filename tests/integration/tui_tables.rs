//! The workbench's tables as an analyst uses them: Enter drills into a row (a customer
//! opens in Inspect, a country lists its customers, a product lists its audience), `s`
//! sorts every table by its columns in turn and says by which, and a table longer than
//! the terminal scrolls with its highlight.

use std::fmt::Write as _;

use latent::export::manifest::FileEntry;
use latent::tui::app::{AppState, Command, Screen};
use latent::tui::screens::data::{DataList, DataState};
use ratatui::crossterm::event::KeyCode;

use crate::tui_inspect_run::{app_with_run, holdout_run, sample_run};
use crate::tui_screens::{draw, export_on_a_worker, key, loaded_app, run_jobs, typed};
use crate::util::Scratch;

fn palette(app: &mut AppState, line: &str) -> Vec<Command> {
    key(app, KeyCode::Char(':'));
    typed(app, line);
    key(app, KeyCode::Enter)
}

fn asks_for_audience(commands: &[Command]) -> bool {
    commands
        .iter()
        .any(|c| matches!(c, Command::Audience { .. }))
}

fn people(app: &AppState) -> &latent::jobs::profiling::people::People {
    let DataState::Ready { people, .. } = &app.data else {
        panic!("the data is loaded")
    };
    people
}

#[test]
fn enter_drills_into_customers_countries_and_products() {
    // Without a run, Enter on a product says what it needs.
    let mut bare = loaded_app();
    assert!(key(&mut bare, KeyCode::Enter).is_empty());
    assert!(
        bare.status.text.contains("no run open"),
        "{}",
        bare.status.text
    );

    let scratch = Scratch::new();
    let mut app = app_with_run(&scratch);
    // A customer on Data's list opens in Inspect.
    key(&mut app, KeyCode::Char('1'));
    key(&mut app, KeyCode::Char('v'));
    key(&mut app, KeyCode::Down);
    let id = people(&app).customers[1].id.clone();
    let commands = key(&mut app, KeyCode::Enter);
    run_jobs(&mut app, commands);
    assert_eq!(app.screen, Screen::Inspect);
    assert_eq!(app.inspect.customer_id(), Some(id.as_str()));
    assert!(!app.inspect.recommendations.is_empty());

    // A country lists its customers.
    key(&mut app, KeyCode::Char('1'));
    key(&mut app, KeyCode::Char('v'));
    assert_eq!(app.products.list, DataList::Countries);
    let country = people(&app).countries[0].name.clone();
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    assert_eq!(app.products.list, DataList::Customers);
    assert_eq!(app.products.filter().text, country);
    assert!(
        app.status.text.contains(&format!("customers in {country}")),
        "{}",
        app.status.text
    );
    let screen = draw(&app, 120, 40);
    assert!(screen.contains("Customers · "), "{screen}");

    // Each list keeps its own filter: back on the products, none is set.
    key(&mut app, KeyCode::Char('v'));
    key(&mut app, KeyCode::Char('v'));
    assert_eq!(app.products.list, DataList::Products);
    assert_eq!(
        app.products.filter().text,
        "",
        "the country filters the customers only"
    );
    key(&mut app, KeyCode::Char('v'));
    assert_eq!(
        app.products.filter().text,
        country,
        "and the customers keep it"
    );
    key(&mut app, KeyCode::Char('v'));
    key(&mut app, KeyCode::Char('v'));

    // A product lists who is likely to buy it, and Enter there opens that customer.
    let commands = key(&mut app, KeyCode::Enter);
    assert!(asks_for_audience(&commands), "{commands:?}");
    assert_eq!(app.screen, Screen::Inspect);
    run_jobs(&mut app, commands);
    let audience = app.inspect.audience.as_ref().expect("the audience is open");
    let run = app.inspect.run.clone().unwrap();
    let first = audience.selected_customer(&run).unwrap();
    key(&mut app, KeyCode::Enter);
    assert!(app.inspect.audience.is_none());
    assert_eq!(app.inspect.customer, Some(first));

    // Enter on a suggestion lists its audience.
    key(&mut app, KeyCode::Down);
    let item = app.inspect.recommendations[1].item;
    let commands = key(&mut app, KeyCode::Enter);
    assert!(asks_for_audience(&commands), "{commands:?}");
    assert_eq!(app.inspect.audience.as_ref().unwrap().product, item);

    // A product the run never saw says so and how to reach its buyers.
    if let DataState::Ready { products, .. } = &mut app.data {
        let mut unseen = products[0].clone();
        unseen.id = "NEW-IN-2012".into();
        products.insert(0, unseen);
    }
    app.inspect.audience = None;
    key(&mut app, KeyCode::Char('1'));
    key(&mut app, KeyCode::Home);
    assert!(key(&mut app, KeyCode::Enter).is_empty());
    assert!(
        app.status
            .text
            .contains("product NEW-IN-2012 is not in run")
            && app
                .status
                .text
                .contains("t on Tune trains a run on the data loaded here"),
        "{}",
        app.status.text
    );
}

#[test]
fn every_table_sorts_by_its_columns_and_says_by_which() {
    let scratch = Scratch::new();
    let small = sample_run(
        &scratch,
        "runs/als-small",
        &["--test-last-days", "30", "--set", "als_rank=2"],
    );
    let large = holdout_run(&scratch, "runs/als-large");
    let mut app = loaded_app();
    app.workspace.root = scratch.path("");
    app.runs.set(vec![
        latent::workspace::RunSummary::read(&small).unwrap(),
        latent::workspace::RunSummary::read(&large).unwrap(),
    ]);

    // Runs: the metric column, its lift, fit time; `:sort METRIC` chooses the column.
    key(&mut app, KeyCode::Char('4'));
    key(&mut app, KeyCode::Char('s'));
    assert_eq!(app.status.text, "runs sorted by precision");
    let values = |app: &AppState, m: latent::eval::Metric| -> Vec<f64> {
        app.runs
            .visible()
            .iter()
            .map(|&i| app.runs.all[i].metrics.as_ref().unwrap().model.get(m))
            .collect()
    };
    let precision = values(&app, latent::eval::Metric::Precision);
    assert!(precision[0] >= precision[1], "{precision:?}");
    assert!(draw(&app, 120, 40).contains("sorted by precision"));
    key(&mut app, KeyCode::Char('s'));
    assert_eq!(app.status.text, "runs sorted by lift on precision");
    palette(&mut app, "sort recall");
    assert_eq!(app.status.text, "runs sorted by recall");
    assert_eq!(app.runs.metric, latent::eval::Metric::Recall);
    let recall = values(&app, latent::eval::Metric::Recall);
    assert!(recall[0] >= recall[1], "{recall:?}");
    assert!(palette(&mut app, "sort colour").is_empty());
    assert!(
        app.status
            .text
            .contains("sort by time, lift, fit or a metric"),
        "{}",
        app.status.text
    );

    // Data's customers and countries.
    key(&mut app, KeyCode::Char('1'));
    key(&mut app, KeyCode::Char('v'));
    key(&mut app, KeyCode::Char('s'));
    assert_eq!(app.status.text, "customers sorted by lines");
    let lines: Vec<u64> = people(&app).customers.iter().map(|c| c.lines).collect();
    assert!(lines.windows(2).all(|w| w[0] >= w[1]));
    key(&mut app, KeyCode::Char('v'));
    key(&mut app, KeyCode::Char('s'));
    assert_eq!(app.status.text, "countries sorted by name");
    let names: Vec<&str> = people(&app)
        .countries
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert!(names.windows(2).all(|w| w[0] <= w[1]), "{names:?}");
    assert!(draw(&app, 120, 40).contains("by name"));

    // The audience: where the product comes in each customer's list, first first.
    let mut app = app_with_run(&scratch);
    let commands = key(&mut app, KeyCode::Char('a'));
    run_jobs(&mut app, commands);
    key(&mut app, KeyCode::Char('s'));
    assert_eq!(app.status.text, "audience sorted by in their list");
    let run = app.inspect.run.clone().unwrap();
    let audience = app.inspect.audience.as_ref().unwrap();
    let members = &audience.campaign.as_ref().unwrap().members;
    let ranks: Vec<usize> = audience
        .visible(&run)
        .iter()
        .map(|&i| members[i].rank)
        .collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{ranks:?}");
    assert!(draw(&app, 120, 40).contains("by in their list"));

    // Export's files: by path, then largest first.
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('6'));
    key(&mut app, KeyCode::Char('s'));
    assert!(
        app.status.text.contains("export first"),
        "{}",
        app.status.text
    );
    app.export.destination = scratch.path("out").display().to_string();
    export_on_a_worker(&mut app);
    key(&mut app, KeyCode::Char('s'));
    assert_eq!(app.status.text, "exported files by path");
    let paths: Vec<&str> = app
        .export
        .visible_files()
        .iter()
        .map(|f| f.path.as_str())
        .collect();
    assert!(paths.windows(2).all(|w| w[0] <= w[1]), "{paths:?}");
    key(&mut app, KeyCode::Char('s'));
    let sizes: Vec<u64> = app.export.visible_files().iter().map(|f| f.size).collect();
    assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{sizes:?}");
}

#[test]
fn long_tables_scroll_with_the_highlight() {
    let scratch = Scratch::new();
    let mut app = app_with_run(&scratch);

    // Inspect's suggestions: `:top 60`, then the last one.
    palette(&mut app, "top 60");
    assert_eq!(app.inspect.recommendations.len(), 60);
    key(&mut app, KeyCode::Char('G'));
    let last = app.inspect.recommendations[59].item;
    let screen = draw(&app, 120, 40);
    assert!(screen.contains("of 60"), "{screen}");
    assert!(screen.contains(app.inspect.item_id(last)), "{screen}");

    // The Runs table: 30 runs at 80x24, the highlight on the last.
    let one = latent::workspace::RunSummary::read(&scratch.path("als-sample")).unwrap();
    app.runs.set(
        (0..30)
            .map(|i| {
                let mut r = one.clone();
                r.id = format!("als-trial-{i:02}");
                r
            })
            .collect(),
    );
    key(&mut app, KeyCode::Char('4'));
    key(&mut app, KeyCode::Char('G'));
    let screen = draw(&app, 80, 24);
    assert!(screen.contains("als-trial-29"), "{screen}");
    assert!(!screen.contains("als-trial-00"), "{screen}");
    key(&mut app, KeyCode::Char('g'));
    key(&mut app, KeyCode::Char('g'));
    assert!(draw(&app, 80, 24).contains("als-trial-00"));

    // Export's files: a list longer than the panel pages with PgDn.
    key(&mut app, KeyCode::Char('6'));
    app.export.destination = scratch.path("out").display().to_string();
    export_on_a_worker(&mut app);
    let (_, manifest) = app.export.result.as_mut().unwrap();
    manifest.files.extend((0..40).map(|i| FileEntry {
        path: format!("part-{i:02}.parquet"),
        size: 1,
        sha256: "0".repeat(64),
        rows: None,
    }));
    let screen = draw(&app, 120, 40);
    assert!(
        screen.contains("PgDn") && !screen.contains("part-39"),
        "{screen}"
    );
    for _ in 0..5 {
        key(&mut app, KeyCode::PageDown);
    }
    let screen = draw(&app, 120, 40);
    assert!(screen.contains("part-39"), "{screen}");
    assert_eq!(
        app.export.selected, 0,
        "PgDn scrolls the files, not the form"
    );
    // A new filter starts its files from the first.
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "part-0");
    assert_eq!(app.export.files_offset, 0);
    let screen = draw(&app, 120, 40);
    assert!(
        screen.contains("part-00") && screen.contains("part-09"),
        "{screen}"
    );
}

/// Every rule command and key of Inspect says what it did, in the workbench's words.
#[test]
fn inspect_commands_and_keys_say_what_they_did() {
    let scratch = Scratch::new();
    let mut app = app_with_run(&scratch);
    palette(&mut app, "customer 14606");
    assert_eq!(app.inspect.customer_id(), Some("14606"));
    let says = |app: &AppState, what: &str| {
        assert!(app.status.text.contains(what), "{}", app.status.text);
    };
    palette(&mut app, "top 20");
    says(&app, "showing the top 20");
    assert_eq!(app.inspect.recommendations.len(), 20);
    key(&mut app, KeyCode::Char('e'));
    says(&app, "excluded ");
    says(&app, "(1 excluded; E clears them)");
    key(&mut app, KeyCode::Char('E'));
    says(&app, "cleared 1 exclusion");
    let first = app
        .inspect
        .item_id(app.inspect.recommendations[0].item)
        .to_owned();
    palette(&mut app, &format!("exclude {first} NOPE"));
    says(&app, "excluded 2 products");
    says(&app, "not products of this run: NOPE");
    palette(&mut app, "popular 10%");
    says(&app, "hiding the top 10");
    palette(&mut app, "popular off");
    says(&app, "best sellers shown again");
    palette(&mut app, "cold-start fold-in");
    says(&app, "known to the model");
    key(&mut app, KeyCode::Char('r'));
    says(&app, "re-buys");
    palette(&mut app, "rules reset");
    says(&app, "rules back to the run's own");
    palette(&mut app, "metric ndcg");
    says(&app, "show ndcg");
}

/// A rating model's suggestions are predicted ratings and the column says so; the same
/// customer with re-buys blended in, or a list of best sellers only, is labelled as what
/// it then holds.
#[test]
fn a_rating_models_score_column_is_labelled_rating() {
    let scratch = Scratch::new();
    let mut csv = String::from("user_id,item_id,rating,timestamp\n");
    for u in 0..30 {
        for i in 0..12 {
            if (u * 7 + i * 3) % 4 != 0 {
                let rating = 1 + (u + 2 * i) % 5;
                writeln!(csv, "u{u},m{i},{rating},2011-01-{:02} 10:00:00", 1 + i).unwrap();
            }
        }
    }
    let data = scratch.write("ratings.csv", csv);
    let run = scratch.path("explicit");
    scratch
        .run([
            "train",
            "--data",
            crate::util::s(&data),
            "--ranking-type",
            "rating",
            "--model",
            "als-explicit",
            "--out",
            crate::util::s(&run),
        ])
        .ok();
    let mut app = loaded_app();
    crate::tui_screens::open_run_in_inspect(&mut app, &run);
    palette(&mut app, "customer u3");
    let label = app.inspect.score_label();
    assert_eq!(label, "rating", "{}", app.status);
    let screen = draw(&app, 120, 40);
    assert!(screen.contains("rating"), "{screen}");
    let rated = &app.inspect.recommendations[0];
    assert!(
        (0.0..=6.0).contains(&rated.score),
        "a predicted rating is on the ratings' scale: {}",
        rated.score
    );
    key(&mut app, KeyCode::Char('r'));
    assert_eq!(
        app.inspect.score_label(),
        "score",
        "blended re-buys are no rating"
    );
}
