//! `GET /metrics`: the server's counters in Prometheus' text format (version 0.0.4), for a
//! scraper or a person.
//!
//! ```text
//! latent_requests_total{route}                 calls answered, by route
//! latent_request_errors_total{route}           of those, answered 4xx or 5xx
//! latent_request_duration_seconds{le}          /invocations, to the first byte (histogram)
//! latent_recommendations_total{customer}       lists for known and new customers
//! latent_cold_start_share                      new / all lists so far
//! latent_model_info{run_id,model,source}       1 for the model being served
//! latent_model_age_seconds                     since the bundle was made
//! latent_model_serving_seconds                 since it was loaded
//! latent_model_reloads_total{result}           reloads done and refused
//! ```
//!
//! Every counter is an atomic, so counting costs a call a few nanoseconds and no lock.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::ServeState;

/// The routes counted apart; anything else is `other`.
const ROUTES: [&str; 6] = [
    "invocations",
    "ping",
    "report",
    "reload",
    "metrics",
    "other",
];
/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.000_5, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 5.0,
];

/// The server's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: [AtomicU64; ROUTES.len()],
    errors: [AtomicU64; ROUTES.len()],
    /// Per bucket (not cumulative), then the overflow.
    latency: [AtomicU64; BUCKETS.len() + 1],
    latency_micros: AtomicU64,
    known: AtomicU64,
    new: AtomicU64,
    reloads: AtomicU64,
    reload_failures: AtomicU64,
}

fn route_index(path: &str) -> usize {
    let name = path.trim_start_matches('/');
    ROUTES
        .iter()
        .position(|r| *r == name)
        .unwrap_or(ROUTES.len() - 1)
}

impl Metrics {
    /// Counts one answered call.
    pub fn record(&self, path: &str, status: u16, seconds: f64) {
        let r = route_index(path);
        self.requests[r].fetch_add(1, Ordering::Relaxed);
        if status >= 400 {
            self.errors[r].fetch_add(1, Ordering::Relaxed);
        }
        if ROUTES[r] == "invocations" {
            let b = BUCKETS
                .iter()
                .position(|&le| seconds <= le)
                .unwrap_or(BUCKETS.len());
            self.latency[b].fetch_add(1, Ordering::Relaxed);
            self.latency_micros
                .fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
        }
    }

    /// Counts one list, for a known customer or a new one.
    pub fn list(&self, known: bool) {
        let c = if known { &self.known } else { &self.new };
        c.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a reload.
    pub fn reloaded(&self, ok: bool) {
        let c = if ok {
            &self.reloads
        } else {
            &self.reload_failures
        };
        c.fetch_add(1, Ordering::Relaxed);
    }
}

/// A label value with `\`, `"` and newlines escaped.
fn label(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The exposition text for `state`.
pub fn render(state: &ServeState) -> String {
    let m = &state.metrics;
    let served = state.served();
    let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let mut text = String::new();
    let section = |text: &mut String, name: &str, kind: &str, help: &str, rows: Vec<String>| {
        let _ = writeln!(text, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for r in rows {
            let _ = writeln!(text, "{name}{r}");
        }
    };
    section(
        &mut text,
        "latent_requests_total",
        "counter",
        "Calls answered, by route.",
        ROUTES
            .iter()
            .enumerate()
            .map(|(i, r)| format!("{{route=\"{r}\"}} {}", get(&m.requests[i])))
            .collect(),
    );
    section(
        &mut text,
        "latent_request_errors_total",
        "counter",
        "Calls answered with a 4xx or 5xx status, by route.",
        ROUTES
            .iter()
            .enumerate()
            .map(|(i, r)| format!("{{route=\"{r}\"}} {}", get(&m.errors[i])))
            .collect(),
    );
    let mut rows = Vec::new();
    let mut cumulative = 0;
    for (i, le) in BUCKETS.iter().enumerate() {
        cumulative += get(&m.latency[i]);
        rows.push(format!("_bucket{{le=\"{le}\"}} {cumulative}"));
    }
    cumulative += get(&m.latency[BUCKETS.len()]);
    rows.push(format!("_bucket{{le=\"+Inf\"}} {cumulative}"));
    rows.push(format!("_sum {}", get(&m.latency_micros) as f64 / 1e6));
    rows.push(format!("_count {cumulative}"));
    section(
        &mut text,
        "latent_request_duration_seconds",
        "histogram",
        "Time to answer /invocations, to the first byte.",
        rows,
    );
    let (known, new) = (get(&m.known), get(&m.new));
    section(
        &mut text,
        "latent_recommendations_total",
        "counter",
        "Lists answered, for customers the model knows and for new ones.",
        vec![
            format!("{{customer=\"known\"}} {known}"),
            format!("{{customer=\"new\"}} {new}"),
        ],
    );
    let share = if known + new == 0 {
        0.0
    } else {
        new as f64 / (known + new) as f64
    };
    section(
        &mut text,
        "latent_cold_start_share",
        "gauge",
        "Share of lists for customers the model never saw.",
        vec![format!(" {share}")],
    );
    let manifest = &served.model.manifest;
    section(
        &mut text,
        "latent_model_info",
        "gauge",
        "The model being served (always 1).",
        vec![format!(
            "{{run_id=\"{}\",model=\"{}\",created=\"{}\"}} 1",
            label(&manifest.run_id),
            label(&manifest.model_kind),
            label(&manifest.created)
        )],
    );
    let age = chrono::DateTime::parse_from_rfc3339(&manifest.created).map_or(f64::NAN, |c| {
        (chrono::Utc::now() - c.with_timezone(&chrono::Utc)).num_milliseconds() as f64 / 1e3
    });
    section(
        &mut text,
        "latent_model_age_seconds",
        "gauge",
        "Seconds since the served bundle was made.",
        vec![format!(" {age}")],
    );
    section(
        &mut text,
        "latent_model_serving_seconds",
        "gauge",
        "Seconds since the served model was loaded.",
        vec![format!(" {}", served.since.elapsed().as_secs_f64())],
    );
    section(
        &mut text,
        "latent_model_reloads_total",
        "counter",
        "Reloads of the model: done, and refused (the old model kept serving).",
        vec![
            format!("{{result=\"ok\"}} {}", get(&m.reloads)),
            format!("{{result=\"refused\"}} {}", get(&m.reload_failures)),
        ],
    );
    text
}

/// Middleware: times and counts every call.
pub async fn track(State(state): State<Arc<ServeState>>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let started = Instant::now();
    let response = next.run(req).await;
    state.metrics.record(
        &path,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}
