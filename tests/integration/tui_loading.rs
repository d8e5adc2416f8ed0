//! The Data screen while the data loads: the loader's progress, carried by job events,
//! drawn as a gauge with its phase.

use latent::data::{LoadPhase, LoadProgress, LoadSpec};
use latent::jobs::JobEvent;
use latent::tui::app::{AppState, Command, DataState};
use latent::tui::event::AppEvent;

use crate::tui_screens::{draw, workspace};
use crate::util::sample;

fn profile_id(commands: &[Command]) -> u64 {
    match commands.first() {
        Some(Command::Profile { id, .. }) => *id,
        other => panic!("the data is loaded first: {other:?}"),
    }
}

fn progress(phase: LoadPhase, done: u64, total: u64, fraction: f64) -> LoadProgress {
    LoadProgress {
        phase,
        done,
        total,
        fraction,
    }
}

#[test]
fn a_progress_event_shows_the_gauge_with_its_percentage_and_phase() {
    let (mut app, commands) = AppState::new(workspace());
    let id = profile_id(&commands);
    assert!(draw(&app, 80, 24).contains("starting"), "before any report");
    app.update(AppEvent::Job(JobEvent::Loading {
        id,
        progress: progress(LoadPhase::Reading, 196_608, 541_909, 0.4),
    }));
    let screen = draw(&app, 80, 24);
    assert!(
        screen.contains("40 % · reading and cleaning lines")
            && screen.contains("196,608 of 541,909 rows"),
        "{screen}"
    );
    insta::assert_snapshot!("data_loading_gauge_80x24", screen);
    // A stale job's report never moves the gauge.
    app.update(AppEvent::Job(JobEvent::Loading {
        id: id + 100,
        progress: progress(LoadPhase::Matrix, 1, 1, 1.0),
    }));
    assert!(draw(&app, 80, 24).contains("40 %"));
    // The checking pass counts bytes, the last phases only name themselves.
    app.update(AppEvent::Job(JobEvent::Loading {
        id,
        progress: progress(LoadPhase::Checking, 3 << 20, 12 << 20, 0.025),
    }));
    assert!(draw(&app, 100, 30).contains("3.0 of 12.0 MiB"));
    app.update(AppEvent::Job(JobEvent::Loading {
        id,
        progress: progress(LoadPhase::Matrix, 0, 1, 0.9),
    }));
    let screen = draw(&app, 100, 30);
    assert!(screen.contains("90 % · building the matrix"), "{screen}");
}

#[test]
fn the_profiling_job_sends_progress_the_screen_follows_to_the_profile() {
    let (mut app, commands) = AppState::new(workspace());
    let id = profile_id(&commands);
    let (tx, rx) = std::sync::mpsc::channel();
    let _job = latent::jobs::profiling::spawn_profile(
        id,
        sample("online_retail_sample.csv"),
        LoadSpec::default(),
        Box::new(move |e| tx.send(e).is_ok()),
    )
    .unwrap();
    let mut fractions = Vec::new();
    // The channel closes when the job ends and drops its sink.
    for event in rx {
        app.update(AppEvent::Job(event));
        if let DataState::Loading {
            progress: Some(p), ..
        } = &app.data
        {
            fractions.push(p.fraction);
            let percent = format!("{:.0} %", p.fraction * 100.0);
            assert!(draw(&app, 80, 24).contains(&percent), "{percent}");
        }
    }
    assert!(fractions.len() >= 4, "{fractions:?}");
    assert!(fractions.windows(2).all(|w| w[0] <= w[1]), "{fractions:?}");
    assert_eq!(fractions.last(), Some(&1.0));
    assert!(matches!(app.data, DataState::Ready { .. }));
}
