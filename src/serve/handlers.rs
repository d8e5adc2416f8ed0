//! The HTTP routes: `/ping`, `/invocations` (single, `instances` batch, JSON lines),
//! `/report` (the served run's evaluation), `/metrics` (Prometheus text) and
//! `POST /reload` (read the model again, swap it in if it passes).
//!
//! The body of `/invocations` is read here under the limits a slow or careless client
//! meets: a declared `Content-Length` over [`MAX_BODY_BYTES`] is refused before a byte
//! of it is read (413), and a body that does not arrive within the body timeout (shorter
//! than its `Content-Length`, or sent a byte at a time) is answered 408. Both answers
//! close the connection, since the rest of that body may still be on its way.

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};

use super::ServeState;
use super::limits::MAX_BODY_BYTES;
use super::responses::{error_response, serialized};

/// The routes over `state`.
pub fn router(state: Arc<ServeState>) -> Router {
    Router::new()
        .route("/ping", get(ping))
        .route("/invocations", post(invocations))
        .route("/report", get(report))
        .route("/metrics", get(metrics))
        .route("/reload", post(reload))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            super::metrics::track,
        ))
        .with_state(state)
}

async fn metrics(State(state): State<Arc<ServeState>>) -> Response {
    let mut response = Response::new(Body::from(super::metrics::render(&state)));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

/// Reads the model again from its source; 200 with the new run id, 409 while another
/// reload runs, 422 when the new model fails its checks (the old one keeps serving).
async fn reload(State(state): State<Arc<ServeState>>) -> Response {
    let shared = Arc::clone(&state);
    match tokio::task::spawn_blocking(move || super::reload::reload(&shared)).await {
        Ok(Ok(done)) => serialized(
            StatusCode::OK,
            &serde_json::json!({
                "status": "reloaded",
                "previous": done.previous,
                "run_id": done.run_id,
            }),
        ),
        Ok(Err(e @ super::reload::ReloadError::Busy)) => {
            error_response(StatusCode::CONFLICT, &e.to_string())
        }
        Ok(Err(e)) => error_response(StatusCode::UNPROCESSABLE_ENTITY, &e.to_string()),
        Err(e) => error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("the reload failed: {e}"),
        ),
    }
}

async fn ping(State(state): State<Arc<ServeState>>) -> Response {
    let served = state.served();
    let run = served.run();
    let body = serde_json::json!({
        "status": "ok",
        "run_id": served.model.manifest.run_id,
        "model": run.meta.model.name(),
        "customers": run.users.len(),
        "products": run.items.len(),
    });
    serialized(StatusCode::OK, &body)
}

/// The served run's evaluation, as `latent eval --json` words it: every metric with its
/// 95 % interval beside popularity's, the segments, and the below-baseline warning. What
/// a monitoring page or a reviewer reads before trusting the endpoint.
async fn report(State(state): State<Arc<ServeState>>) -> Response {
    let served = state.served();
    let run = served.run();
    let run_id = &served.model.manifest.run_id;
    let Some(r) = &run.metrics else {
        return error_response(
            StatusCode::NOT_FOUND,
            &format!(
                "run {run_id} was not evaluated: train it with a hold-out (latent train --test-last-days 30) and export it again"
            ),
        );
    };
    let body = serde_json::json!({
        "run_id": run_id,
        "model": r.model_name,
        "holdout": run.meta.holdout,
        "k": r.k,
        "users": r.users,
        "cold_users": r.cold_users,
        "metrics": r.metric_rows(),
        "segments": r.segments,
        "below_baseline": r.below_baseline(),
    });
    serialized(StatusCode::OK, &body)
}

/// An error after which the connection is closed: the client may still be sending.
fn closing(status: StatusCode, message: &str) -> Response {
    let mut response = error_response(status, message);
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

fn is_json_lines(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .is_some_and(|t| {
            matches!(
                t.as_str(),
                "application/jsonlines" | "application/jsonl" | "application/x-jsonlines"
            )
        })
}

/// Reads the request body within the size and time limits.
async fn read_body(state: &ServeState, headers: &HeaderMap, body: Body) -> Result<Bytes, Response> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let too_large = |size: String| {
        closing(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!(
                "the request body ({size}) is over the limit of {MAX_BODY_BYTES} bytes: split the batch"
            ),
        )
    };
    if let Some(n) = declared.filter(|&n| n > MAX_BODY_BYTES as u64) {
        return Err(too_large(format!("Content-Length {n}")));
    }
    let timeout = state.limits.body_timeout;
    match tokio::time::timeout(timeout, axum::body::to_bytes(body, MAX_BODY_BYTES)).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(e)) => {
            let over = std::error::Error::source(&e)
                .is_some_and(<dyn std::error::Error>::is::<http_body_util::LengthLimitError>);
            if over {
                Err(too_large("sent without a length".into()))
            } else {
                Err(closing(
                    StatusCode::BAD_REQUEST,
                    &format!("cannot read the request body: {e}"),
                ))
            }
        }
        Err(_) => Err(closing(
            StatusCode::REQUEST_TIMEOUT,
            &format!(
                "the request body did not arrive within {:.1} s{}: send the whole body at once",
                timeout.as_secs_f64(),
                declared.map_or_else(String::new, |n| format!(" (Content-Length {n})"))
            ),
        )),
    }
}

async fn invocations(
    State(state): State<Arc<ServeState>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let body = match read_body(&state, &headers, body).await {
        Ok(b) => b,
        Err(refused) => return refused,
    };
    super::batch::respond(state, body, is_json_lines(&headers)).await
}
