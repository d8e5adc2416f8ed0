//! `latent bench tui`: frame render time and key-to-frame latency while training runs.
//!
//! The harness drives the real [`AppState`] and views with events, as the TUI's loop does,
//! rendering into ratatui's test backend, so it measures the application's own work
//! (update + layout + drawing) without a terminal emulator in the way.

use std::io::Write;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::tui::app::{AppState, Screen};
use crate::tui::event::AppEvent;
use crate::tui::{Runtime, views};
use crate::workspace::Workspace;

/// Arguments of `latent bench tui`.
#[derive(Debug, clap::Args)]
pub struct BenchTuiArgs {
    /// The workspace (default: workspaces/demo).
    #[arg(long, value_name = "DIR")]
    pub workspace: Option<PathBuf>,
    /// Terminal size, columns x rows.
    #[arg(long, default_value = "120x40")]
    pub size: String,
}

fn percentile(times: &mut [Duration], p: f64) -> Duration {
    times.sort();
    times[((times.len() - 1) as f64 * p).round() as usize]
}

/// Runs `latent bench tui`.
pub fn run(args: &BenchTuiArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let (w, h) = args
        .size
        .split_once('x')
        .and_then(|(w, h)| Some((w.parse::<u16>().ok()?, h.parse::<u16>().ok()?)))
        .ok_or_else(|| {
            anyhow::anyhow!("--size '{}': expected COLSxROWS, e.g. 120x40", args.size)
        })?;
    let workspace = Workspace::open(
        &args
            .workspace
            .clone()
            .unwrap_or_else(crate::tui::default_workspace),
    )?;
    let scratch = tempfile::tempdir()?;
    let mut workspace = workspace;
    // Runs of the benchmark go to a temporary folder.
    scratch.path().clone_into(&mut workspace.root);
    let (mut app, commands) = AppState::new(workspace);
    let (tx, rx) = mpsc::channel();
    let mut runtime = Runtime::new(tx);
    runtime.execute(&mut app, commands);
    let mut terminal = Terminal::new(TestBackend::new(w, h))?;
    // Wait for the data to load.
    while matches!(app.data, crate::tui::app::DataState::Loading { .. }) {
        let e = rx.recv_timeout(Duration::from_secs(120))?;
        let c = app.update(e);
        runtime.execute(&mut app, c);
    }
    let key = |code| AppEvent::Key(KeyEvent::new(code, KeyModifiers::NONE));
    // Frame time per screen, idle.
    writeln!(out, "bench tui {w}x{h}")?;
    for screen in Screen::ALL {
        app.screen = screen;
        let mut times = Vec::new();
        for _ in 0..200 {
            let t = Instant::now();
            terminal.draw(|f| views::render(&app, f))?;
            times.push(t.elapsed());
        }
        writeln!(
            out,
            "frame {:<8} p50 {:>8.3} ms  p99 {:>8.3} ms",
            screen.title(),
            percentile(&mut times, 0.5).as_secs_f64() * 1e3,
            percentile(&mut times, 0.99).as_secs_f64() * 1e3
        )?;
    }
    // Key-to-frame latency while a long training job keeps both cores busy.
    app.screen = Screen::Tune;
    if let Some(f) = app.tune.fields.iter_mut().find(|f| f.key == "max_iter") {
        f.value = "1000".into();
    }
    app.tune.validate();
    let c = app.update(key(KeyCode::Char('t')));
    runtime.execute(&mut app, c);
    std::thread::sleep(Duration::from_secs(1));
    let mut latencies = Vec::new();
    for i in 0..300 {
        let t = Instant::now();
        // Drain whatever the job sent, as the loop does, then apply the key and draw.
        for e in rx.try_iter() {
            let c = app.update(e);
            runtime.execute(&mut app, c);
        }
        let c = app.update(key(if i % 2 == 0 {
            KeyCode::Char('2')
        } else {
            KeyCode::Char('3')
        }));
        runtime.execute(&mut app, c);
        terminal.draw(|f| views::render(&app, f))?;
        latencies.push(t.elapsed());
        std::thread::sleep(Duration::from_millis(5));
    }
    let busy = app.is_training();
    writeln!(
        out,
        "key-to-frame during training (both cores busy: {busy})  p50 {:.3} ms  p99 {:.3} ms  max {:.3} ms",
        percentile(&mut latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&mut latencies, 0.99).as_secs_f64() * 1e3,
        percentile(&mut latencies, 1.0).as_secs_f64() * 1e3
    )?;
    runtime.shutdown(Duration::from_secs(5));
    Ok(())
}
