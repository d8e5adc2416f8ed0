//! `latent bench tui`: frame render time per screen, with data, and key-to-frame latency
//! while training runs.
//!
//! The harness drives the real [`AppState`] and views with events, as the TUI's loop does,
//! rendering into ratatui's test backend, so it measures the application's own work
//! (update + layout + drawing) without a terminal emulator in the way. Screens are timed
//! twice: as the workbench opens (data loaded, nothing trained), then with what an analyst
//! has after a few minutes — several runs in the Runs table, a run open in Inspect on a
//! customer with their history, recommendations and explanation, and an export listed.

use std::io::Write;
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use anyhow::Context;
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
    /// The customer shown in Inspect for the frames with data.
    #[arg(long, default_value = "17850")]
    pub customer: String,
}

/// Frames drawn per measured screen.
const FRAMES: usize = 200;
/// ALS runs trained for the screens with data, by rank: a small table of runs to sort,
/// and the last one open in Inspect.
const RANKS: [&str; 3] = ["5", "10", "20"];
/// The longest silence allowed between two job events in `Harness::wait_for`: a background
/// step (loading, a training run, an export) may take longer, as long as it keeps reporting.
const STEP_TIMEOUT: Duration = Duration::from_secs(300);

fn percentile(times: &mut [Duration], p: f64) -> Duration {
    times.sort();
    times[((times.len() - 1) as f64 * p).round() as usize]
}

fn key(code: KeyCode) -> AppEvent {
    AppEvent::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// The app with its runtime and event channel, driven as the TUI's loop drives it.
struct Harness {
    app: AppState,
    runtime: Runtime,
    rx: Receiver<AppEvent>,
    terminal: Terminal<TestBackend>,
}

impl Harness {
    /// Applies one event and starts the jobs it asks for.
    fn send(&mut self, event: AppEvent) {
        let commands = self.app.update(event);
        self.runtime.execute(&mut self.app, commands);
    }

    fn press(&mut self, code: KeyCode) {
        self.send(key(code));
    }

    fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.press(KeyCode::Char(c));
        }
    }

    /// Applies job events until `done` holds; fails after [`STEP_TIMEOUT`] of silence.
    fn wait_for(&mut self, what: &str, done: impl Fn(&AppState) -> bool) -> anyhow::Result<()> {
        while !done(&self.app) {
            let e = self
                .rx
                .recv_timeout(STEP_TIMEOUT)
                .with_context(|| format!("waiting for {what}"))?;
            self.send(e);
        }
        Ok(())
    }

    /// Draws the current screen `FRAMES` times: `(p50, p99)` in milliseconds.
    fn frame_times(&mut self) -> anyhow::Result<(f64, f64)> {
        let mut times = Vec::with_capacity(FRAMES);
        for _ in 0..FRAMES {
            let t = Instant::now();
            self.terminal.draw(|f| views::render(&self.app, f))?;
            times.push(t.elapsed());
        }
        Ok((
            percentile(&mut times, 0.5).as_secs_f64() * 1e3,
            percentile(&mut times, 0.99).as_secs_f64() * 1e3,
        ))
    }

    /// Measures the current screen and prints one line for it.
    fn report_frame(&mut self, what: &str, out: &mut dyn Write) -> anyhow::Result<()> {
        let (p50, p99) = self.frame_times()?;
        writeln!(out, "frame {what:<34} p50 {p50:>7.3} ms  p99 {p99:>7.3} ms")?;
        Ok(())
    }

    /// Trains one ALS run of `rank` from the Tune form and waits until Inspect shows it
    /// with its search index.
    fn train(&mut self, rank: &str, iterations: &str) -> anyhow::Result<()> {
        for (field, value) in [("als_rank", rank), ("max_iter", iterations)] {
            if let Some(f) = self.app.tune.fields.iter_mut().find(|f| f.key == field) {
                f.value = value.into();
            }
        }
        self.app.tune.validate();
        self.app.screen = Screen::Tune;
        self.press(KeyCode::Char('t'));
        let Some(job) = self.app.jobs.last().map(|j| j.id) else {
            anyhow::bail!("training did not start: {}", self.app.status);
        };
        self.wait_for("a training run", |app| {
            app.jobs
                .iter()
                .any(|j| j.id == job && j.status != crate::tui::app::JobStatus::Running)
        })?;
        if self.app.inspect.run.is_none() {
            anyhow::bail!("the run did not open in Inspect: {}", self.app.status);
        }
        self.wait_for("the search index", |app| app.inspect.index.is_some())
    }
}

/// Runs `latent bench tui`.
pub fn run(args: &BenchTuiArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let (cols, rows) = args
        .size
        .split_once('x')
        .and_then(|(w, h)| Some((w.parse::<u16>().ok()?, h.parse::<u16>().ok()?)))
        .ok_or_else(|| {
            anyhow::anyhow!("--size '{}': expected COLSxROWS, e.g. 120x40", args.size)
        })?;
    let mut workspace = Workspace::open(
        &args
            .workspace
            .clone()
            .map_or_else(crate::workspace::demo, Ok)?,
    )?;
    // Runs and exports of the benchmark go to a temporary folder.
    let scratch = tempfile::tempdir()?;
    scratch.path().clone_into(&mut workspace.root);
    let (app, commands) = AppState::new(workspace);
    let (tx, rx) = mpsc::channel();
    let mut h = Harness {
        app,
        runtime: Runtime::new(tx),
        rx,
        terminal: Terminal::new(TestBackend::new(cols, rows))?,
    };
    h.runtime.execute(&mut h.app, commands);
    h.wait_for("the data", |app| {
        !matches!(app.data, crate::tui::app::DataState::Loading { .. })
    })?;
    writeln!(out, "bench tui {cols}x{rows}")?;
    // As the workbench opens: the data loaded, nothing trained yet.
    for screen in Screen::ALL {
        h.app.screen = screen;
        let label = match screen {
            Screen::Data | Screen::Tune => screen.title().to_owned(),
            _ => format!("{} (empty)", screen.title()),
        };
        h.report_frame(&label, out)?;
    }
    frames_with_data(&mut h, args, out)?;
    key_to_frame_while_training(&mut h, out)?;
    h.runtime.shutdown(Duration::from_secs(5));
    Ok(())
}

/// Frame times on the Runs, Inspect, Evaluate and Export screens with runs, a customer and an
/// export to show.
fn frames_with_data(
    h: &mut Harness,
    args: &BenchTuiArgs,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    for rank in RANKS {
        h.train(rank, "10")?;
    }
    h.app.screen = Screen::Runs;
    let runs = h.app.runs.visible().len();
    h.report_frame(&format!("Runs ({runs} runs)"), out)?;
    h.app.screen = Screen::Inspect;
    h.press(KeyCode::Char('/'));
    h.type_text(&args.customer);
    h.press(KeyCode::Enter);
    if h.app.inspect.customer_id() != Some(args.customer.as_str()) {
        anyhow::bail!("customer '{}' is not in the run", args.customer);
    }
    let label = format!(
        "Inspect (customer {}, {} bought)",
        args.customer,
        h.app.inspect.history.len()
    );
    h.report_frame(&label, out)?;
    h.press(KeyCode::Char('d'));
    h.report_frame("Inspect demo view", out)?;
    h.press(KeyCode::Char('d'));
    h.app.screen = Screen::Evaluate;
    h.report_frame("Evaluate (metrics, segments, precision@k)", out)?;
    h.app.screen = Screen::Export;
    h.report_frame("Export (run open)", out)?;
    // Export the run (the default formats) to the scratch folder, then time the screen
    // listing every file written.
    h.press(KeyCode::Char('e'));
    h.wait_for("the export", |app| app.export.job.is_none())?;
    let files = h
        .app
        .export
        .result
        .as_ref()
        .map(|(_, m)| m.files.len())
        .with_context(|| format!("the export failed: {}", h.app.status))?;
    h.report_frame(&format!("Export ({files} files listed)"), out)
}

/// Key-to-frame latency while a long training job keeps both cores busy.
fn key_to_frame_while_training(h: &mut Harness, out: &mut dyn Write) -> anyhow::Result<()> {
    h.app.screen = Screen::Tune;
    if let Some(f) = h.app.tune.fields.iter_mut().find(|f| f.key == "max_iter") {
        f.value = "1000".into();
    }
    h.app.tune.validate();
    h.press(KeyCode::Char('t'));
    std::thread::sleep(Duration::from_secs(1));
    let mut latencies = Vec::new();
    for i in 0..300 {
        let t = Instant::now();
        // Drain whatever the job sent, as the loop does, then apply the key and draw.
        while let Ok(e) = h.rx.try_recv() {
            h.send(e);
        }
        h.press(if i % 2 == 0 {
            KeyCode::Char('2')
        } else {
            KeyCode::Char('3')
        });
        h.terminal.draw(|f| views::render(&h.app, f))?;
        latencies.push(t.elapsed());
        std::thread::sleep(Duration::from_millis(5));
    }
    let busy = h.app.is_training();
    writeln!(
        out,
        "key-to-frame during training (both cores busy: {busy})  p50 {:.3} ms  p99 {:.3} ms  max {:.3} ms",
        percentile(&mut latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&mut latencies, 0.99).as_secs_f64() * 1e3,
        percentile(&mut latencies, 1.0).as_secs_f64() * 1e3
    )?;
    Ok(())
}
