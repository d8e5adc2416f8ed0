//! The HTTP routes: `/ping` and `/invocations` (single, `instances` batch, JSON lines).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use super::{MAX_BATCH, MAX_TOP_K, ServeState};
use crate::recommend::{Customer, Reason};

/// The routes over `state`.
pub fn router(state: Arc<ServeState>) -> Router {
    Router::new()
        .route("/ping", get(ping))
        .route("/invocations", post(invocations))
        // SageMaker's own limit for real-time payloads is 6 MB.
        .layer(DefaultBodyLimit::max(6 << 20))
        .with_state(state)
}

async fn ping(State(state): State<Arc<ServeState>>) -> Response {
    let run = state.run();
    json_response(
        StatusCode::OK,
        &serde_json::json!({
            "status": "ok",
            "run_id": state.model.manifest.run_id,
            "model": run.meta.model.name(),
            "customers": run.users.len(),
            "products": run.items.len(),
        }),
    )
}

/// One request, as sent.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Request {
    user_id: serde_json::Value,
    #[serde(default)]
    top_k: Option<serde_json::Value>,
    #[serde(default)]
    exclude: Vec<serde_json::Value>,
    #[serde(default)]
    include: Vec<serde_json::Value>,
    #[serde(default)]
    history: Vec<serde_json::Value>,
    #[serde(default)]
    segment: Option<String>,
    #[serde(default)]
    exclude_seen: Option<bool>,
}

/// One answer.
#[derive(Debug, Serialize)]
struct Answer {
    user_id: String,
    /// False when the model never saw the customer (the cold-start policy answered).
    known: bool,
    top_k: usize,
    recommendations: Vec<Listed>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<String>,
}

#[derive(Debug, Serialize)]
struct Listed {
    rank: usize,
    item_id: String,
    description: String,
    score: f32,
    reason: Reason,
}

struct BadRequest(String);

fn json_response(status: StatusCode, value: &impl Serialize) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => (status, [(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

fn bad_request(message: &str) -> Response {
    json_response(
        StatusCode::BAD_REQUEST,
        &serde_json::json!({ "error": message }),
    )
}

fn id_text(value: &serde_json::Value, what: &str) -> Result<String, BadRequest> {
    match value {
        serde_json::Value::String(s) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        other => Err(BadRequest(format!(
            "{what} must be a non-empty string or a number, not {other}"
        ))),
    }
}

fn ids(values: &[serde_json::Value], what: &str) -> Result<Vec<String>, BadRequest> {
    values.iter().map(|v| id_text(v, what)).collect()
}

fn parse_request(value: serde_json::Value) -> Result<Request, BadRequest> {
    serde_json::from_value(value).map_err(|e| BadRequest(format!("invalid request: {e}")))
}

fn answer(state: &ServeState, req: &Request) -> Result<Answer, BadRequest> {
    let user_id = id_text(&req.user_id, "user_id")?;
    let exclude = ids(&req.exclude, "exclude entries")?;
    let include = ids(&req.include, "include entries")?;
    let history = ids(&req.history, "history entries")?;
    let run = state.run();
    let mut warnings = Vec::new();
    let asked = match &req.top_k {
        None | Some(serde_json::Value::Null) => state.default_top_k,
        Some(v) => match v.as_u64() {
            Some(n) if n >= 1 => usize::try_from(n).unwrap_or(usize::MAX),
            _ => {
                return Err(BadRequest(format!(
                    "top_k must be a whole number of at least 1, not {v}"
                )));
            }
        },
    };
    let cap = MAX_TOP_K.min(run.items.len()).max(1);
    let top_k = asked.min(cap);
    if top_k < asked {
        warnings.push(format!(
            "top_k {asked} capped to {top_k} (the server's limit is {MAX_TOP_K}, the catalogue has {} products)",
            run.items.len()
        ));
    }
    let (engine, rule_warnings) = state.engine(&exclude, &include, req.exclude_seen);
    warnings.extend(rule_warnings);
    let mut bought = Vec::new();
    let (who, unknown) = engine.customer(&user_id, &mut bought, &history, req.segment.as_deref());
    if !unknown.is_empty() {
        warnings.push(format!(
            "history: {} not in the model's products, ignored",
            unknown.join(", ")
        ));
    }
    let mut scratch = Vec::new();
    let list = engine.recommend(who, top_k, &mut scratch);
    let recommendations = list
        .iter()
        .enumerate()
        .map(|(rank, s)| Listed {
            rank: rank + 1,
            item_id: run.items.name(s.item).to_owned(),
            description: run
                .descriptions
                .get(s.item as usize)
                .cloned()
                .unwrap_or_default(),
            score: s.score,
            reason: s.reason,
        })
        .collect();
    Ok(Answer {
        user_id,
        known: matches!(who, Customer::Known(_)),
        top_k,
        recommendations,
        warnings,
    })
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

async fn invocations(
    State(state): State<Arc<ServeState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if is_json_lines(&headers) {
        return json_lines(state, &body).await;
    }
    let value: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return bad_request(&format!(
                "request body is not valid JSON ({e}); send {{\"user_id\": \"...\"}} or {{\"instances\": [...]}}"
            ));
        }
    };
    let batch = match value {
        serde_json::Value::Object(mut map) if map.contains_key("instances") => {
            if map.len() > 1 {
                return bad_request("a batch holds only \"instances\"");
            }
            match map.remove("instances") {
                Some(serde_json::Value::Array(items)) => items,
                _ => return bad_request("\"instances\" must be an array of requests"),
            }
        }
        single @ serde_json::Value::Object(_) => {
            return match parse_request(single).and_then(|r| answer(&state, &r)) {
                Ok(a) => json_response(StatusCode::OK, &a),
                Err(BadRequest(m)) => bad_request(&m),
            };
        }
        other => {
            return bad_request(&format!(
                "the request must be a JSON object, not {}",
                kind(&other)
            ));
        }
    };
    if batch.len() > MAX_BATCH {
        return bad_request(&format!(
            "{} instances in one batch; the limit is {MAX_BATCH}",
            batch.len()
        ));
    }
    let work = tokio::task::spawn_blocking(move || -> Result<Vec<Answer>, BadRequest> {
        batch
            .into_iter()
            .enumerate()
            .map(|(n, v)| {
                parse_request(v)
                    .and_then(|r| answer(&state, &r))
                    .map_err(|BadRequest(m)| BadRequest(format!("instances[{n}]: {m}")))
            })
            .collect()
    })
    .await;
    match work {
        Ok(Ok(predictions)) => json_response(
            StatusCode::OK,
            &serde_json::json!({ "predictions": predictions }),
        ),
        Ok(Err(BadRequest(m))) => bad_request(&m),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

async fn json_lines(state: Arc<ServeState>, body: &[u8]) -> Response {
    let text = match std::str::from_utf8(body) {
        Ok(t) => t.to_owned(),
        Err(e) => return bad_request(&format!("request body is not UTF-8: {e}")),
    };
    let work = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, BadRequest> {
        let mut out = Vec::new();
        let lines: Vec<(usize, &str)> = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .collect();
        if lines.len() > MAX_BATCH {
            return Err(BadRequest(format!(
                "{} lines in one batch; the limit is {MAX_BATCH}",
                lines.len()
            )));
        }
        for (n, line) in lines {
            let at = |m: String| BadRequest(format!("line {}: {m}", n + 1));
            let value: serde_json::Value =
                serde_json::from_str(line).map_err(|e| at(format!("not valid JSON ({e})")))?;
            let a = parse_request(value)
                .and_then(|r| answer(&state, &r))
                .map_err(|BadRequest(m)| at(m))?;
            serde_json::to_writer(&mut out, &a).map_err(|e| at(e.to_string()))?;
            out.push(b'\n');
        }
        Ok(out)
    })
    .await;
    match work {
        Ok(Ok(body)) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/jsonlines")],
            body,
        )
            .into_response(),
        Ok(Err(BadRequest(m))) => bad_request(&m),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

fn kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}
