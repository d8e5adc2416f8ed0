//! `latent export --to postgresql://...`: a real PostgreSQL server on 127.0.0.1, the
//! tables checked by queries, a reader looping through a re-export, and the failures
//! (stopped server, wrong password) that must leave the old table and hide the password.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::pg_server::{PASSWORD, PgServer, USER};
use crate::util::{Scratch, demo_config, s};

/// Environment that isolates the client from the developer's own libpq settings.
fn env(password: &str) -> Vec<(&'static str, String)> {
    vec![
        ("PGPASSWORD", password.to_owned()),
        ("PGPASSFILE", "/nonexistent/latent-pgpass".to_owned()),
        ("PGUSER", String::new()),
    ]
}

fn export(
    scratch: &Scratch,
    run: &str,
    to: &str,
    extra: &[&str],
    password: &str,
) -> crate::util::Run {
    let vars = env(password);
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut args = vec!["export", "--run", run, "--to", to];
    args.extend_from_slice(extra);
    scratch.run_env(args, &vars)
}

/// The demo run's every list lands, with the factors; a reader looping during a
/// re-export only ever sees one whole table (never none, never two exports mixed).
#[test]
fn the_demo_run_lands_in_postgresql_and_a_reexport_swaps_atomically() {
    let scratch = Scratch::new();
    let run = scratch.path("demo-run");
    scratch
        .run(["train", "--config", &demo_config(), "--out", s(&run)])
        .ok();
    let meta: toml::Table = std::fs::read_to_string(run.join("run.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let users = meta["users"].as_integer().unwrap();
    let items = meta["items"].as_integer().unwrap();
    let server = PgServer::start();
    let url = server.url("recs");

    let out = export(
        &scratch,
        s(&run),
        &url,
        &["--format", "recs,factors"],
        PASSWORD,
    )
    .ok()
    .to_owned();
    assert!(
        out.contains(&format!("recs ({} rows)", users * 10)),
        "{out}"
    );
    assert!(!out.contains(PASSWORD), "{out}");
    let db = server.client();
    assert_eq!(db.number("SELECT count(DISTINCT user_id) FROM recs"), users);
    assert_eq!(
        db.number(
            "SELECT count(*) FROM (SELECT user_id FROM recs GROUP BY user_id \
             HAVING count(*) <> 10 OR min(rank) <> 1 OR max(rank) <> 10) odd"
        ),
        0,
        "every customer has ranks 1..10"
    );
    assert_eq!(db.number("SELECT count(DISTINCT run_id) FROM recs"), 1);
    assert_eq!(db.number("SELECT count(*) FROM recs_user_factors"), users);
    assert_eq!(db.number("SELECT count(*) FROM recs_item_factors"), items);
    let rank = meta["params"]["als_rank"]
        .as_str()
        .unwrap()
        .parse::<i64>()
        .unwrap();
    assert_eq!(
        db.number("SELECT max(array_length(factors, 1)) FROM recs_item_factors"),
        rank
    );
    // Looked up as a reader would: one customer's list, in order.
    let items_17850 = db
        .column("SELECT item_id FROM recs WHERE user_id = '17850' ORDER BY rank")
        .unwrap();
    assert_eq!(items_17850.len(), 10);

    // A reader loops while the run is exported twice more, the second time with 5 per
    // customer: every answer is one complete export.
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let stop = Arc::clone(&stop);
        let db = server.client();
        std::thread::spawn(move || {
            let mut seen = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let row = db.column(
                    "SELECT count(*)::text || ' ' || count(DISTINCT created_at)::text FROM recs",
                );
                seen.push(row.map(|r| r[0].clone()).map_err(|e| e.to_string()));
            }
            seen
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(200));
    export(&scratch, s(&run), &url, &[], PASSWORD).ok();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    export(&scratch, s(&run), &url, &["--top", "5"], PASSWORD).ok();
    std::thread::sleep(std::time::Duration::from_millis(200));
    stop.store(true, Ordering::Relaxed);
    let seen = reader.join().unwrap();
    assert!(seen.len() > 20, "the reader ran {} queries", seen.len());
    let whole = [format!("{} 1", users * 10), format!("{} 1", users * 5)];
    for answer in &seen {
        match answer {
            Ok(text) => assert!(whole.contains(text), "a reader saw '{text}'"),
            Err(e) => panic!("a reader failed during the swap: {e}"),
        }
    }
    assert_eq!(
        seen.last().unwrap().as_deref().ok(),
        Some(whole[1].as_str())
    );
    // No staging or set-aside table is left.
    let tables = db
        .column("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
        .unwrap();
    assert_eq!(tables, ["recs", "recs_item_factors", "recs_user_factors"]);
}

/// A wrong password names the user and host and never prints the password; a stopped
/// server is a clear error and the old table is intact when it comes back; the password
/// file works as libpq's does.
#[test]
fn failures_name_the_place_keep_the_old_table_and_hide_the_password() {
    let scratch = Scratch::new();
    let run = crate::export::train_sample(&scratch, "run", "als");
    let server = PgServer::start();
    let url = server.url("recs");
    export(&scratch, s(&run), &url, &[], PASSWORD).ok();
    let db = server.client();
    let before = db
        .column("SELECT count(*)::text || ' ' || min(created_at)::text FROM recs")
        .unwrap();
    drop(db);

    // Wrong password, from PGPASSWORD and in the URL.
    let wrong = "Wr0ng-Pass-5512";
    let r = export(&scratch, s(&run), &url, &[], wrong);
    let err = r.input_error().to_owned();
    assert!(err.contains(&format!("'{USER}'")), "{err}");
    assert!(err.contains(&format!("127.0.0.1:{}", server.port)), "{err}");
    assert!(err.contains("PGPASSWORD"), "{err}");
    assert!(!err.contains(wrong) && !r.stdout.contains(wrong), "{err}");
    let in_url = url.replace(&format!("{USER}@"), &format!("{USER}:{wrong}@"));
    let r = export(&scratch, s(&run), &in_url, &[], "");
    let err = r.input_error().to_owned();
    assert!(err.contains("password authentication failed"), "{err}");
    assert!(!err.contains(wrong) && !r.stdout.contains(wrong), "{err}");

    // A format the database does not hold.
    let r = export(&scratch, s(&run), &url, &["--format", "bundle"], PASSWORD);
    assert!(
        r.input_error().contains("recs and/or factors"),
        "{}",
        r.stderr
    );

    // The server stops: a clear error, then the old table is there when it is back.
    server.stop();
    let r = export(&scratch, s(&run), &url, &["--top", "3"], PASSWORD);
    assert_ne!(r.code, 0);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!(
            "cannot connect to PostgreSQL at 127.0.0.1:{}",
            server.port
        )),
        "{}",
        r.stderr
    );
    server.start_again();
    let db = server.client();
    let after = db
        .column("SELECT count(*)::text || ' ' || min(created_at)::text FROM recs")
        .unwrap();
    assert_eq!(before, after);

    // ~/.pgpass (here PGPASSFILE), mode 600, as libpq reads it.
    let pgpass = scratch.path("pgpass");
    std::fs::write(
        &pgpass,
        format!("127.0.0.1:{}:postgres:{USER}:{PASSWORD}\n", server.port),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let r = scratch.run_env(
        ["export", "--run", s(&run), "--to", &url, "--top", "3"],
        &[("PGPASSWORD", ""), ("PGPASSFILE", s(&pgpass))],
    );
    r.ok();
    assert!(db.number("SELECT max(rank) FROM recs") == 3);
}

/// The Export screen takes a PostgreSQL destination: the run's tables go there on a
/// worker, the form and the result name the tables, and the password typed in the URL
/// is never drawn once typed.
#[test]
fn the_export_screen_writes_tables_and_never_draws_the_password() {
    use latent::tui::app::{AppState, Screen};
    use ratatui::crossterm::event::KeyCode;

    use crate::tui_screens::{draw, export_on_a_worker, key, typed, workspace};

    let scratch = Scratch::new();
    let run_dir = crate::export::train_sample(&scratch, "run", "als");
    let server = PgServer::start();
    let (mut app, _) = AppState::new(workspace());
    app.screen = Screen::Export;
    let run = latent::store::Run::load(&run_dir).unwrap();
    let users = run.users.len() as i64;
    app.inspect.set_run(Arc::new(run), "run".into());
    // Down past the formats to the destination.
    for _ in 0..latent::tui::screens::export::FORMAT_ROWS {
        key(&mut app, KeyCode::Down);
    }
    key(&mut app, KeyCode::Enter);
    let url = server
        .url("tui_recs")
        .replace(&format!("{USER}@"), &format!("{USER}:{PASSWORD}@"));
    typed(&mut app, &url);
    key(&mut app, KeyCode::Enter);
    let form = draw(&app, 140, 30);
    assert!(form.contains("as tables (recs + factors)"), "{form}");
    assert!(!form.contains(PASSWORD), "{form}");
    export_on_a_worker(&mut app);
    let screen = draw(&app, 140, 30);
    assert!(screen.contains("3 tables"), "{screen}\n{}", app.status);
    assert!(screen.contains("tui_recs_user_factors"), "{screen}");
    assert!(!screen.contains(PASSWORD), "{screen}");
    assert!(!app.status.text.contains(PASSWORD), "{}", app.status);
    let db = server.client();
    assert_eq!(
        db.number("SELECT count(DISTINCT user_id) FROM tui_recs"),
        users
    );
}
