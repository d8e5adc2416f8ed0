//! One request of `/invocations`: checked into a [`Prepared`] request, then answered
//! straight into JSON bytes.
//!
//! Checking comes first and apart from answering so that a batch is refused (400, naming
//! the instance) before any of it is answered: a streamed answer cannot change its status
//! half way. Answers are serialised from borrowed product ids and descriptions, never
//! through a `serde_json::Value` tree, which cost about a kilobyte per listed product.

use serde::{Deserialize, Serialize};

use super::limits::MAX_TOP_K;
use super::served::Served;
use crate::recommend::{Customer, Reason};

/// A request refused, with the message for the client.
#[derive(Debug)]
pub(super) struct BadRequest(pub String);

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
    #[serde(default)]
    rebuy: Option<f32>,
}

/// A request checked against the run: ids as text, `top_k` capped.
#[derive(Debug)]
pub(super) struct Prepared {
    user_id: String,
    exclude: Vec<String>,
    include: Vec<String>,
    history: Vec<String>,
    segment: Option<String>,
    exclude_seen: Option<bool>,
    rebuy: Option<f32>,
    /// The list length this request gets (at most [`MAX_TOP_K`] and the catalogue).
    pub top_k: usize,
    warnings: Vec<String>,
}

/// One answer, serialised as is.
#[derive(Serialize)]
struct Answer<'a> {
    user_id: &'a str,
    /// False when the model never saw the customer (the cold-start policy answered).
    known: bool,
    top_k: usize,
    recommendations: Vec<Listed<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<String>,
}

#[derive(Serialize)]
struct Listed<'a> {
    rank: usize,
    item_id: &'a str,
    description: &'a str,
    score: f32,
    reason: Reason,
}

/// Buffers one worker reuses from answer to answer.
#[derive(Default)]
pub(super) struct Scratch {
    scores: Vec<f32>,
    bought: Vec<u32>,
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

/// Checks one request (a JSON object) against the run.
pub(super) fn prepare(state: &Served, value: serde_json::Value) -> Result<Prepared, BadRequest> {
    let req: Request =
        serde_json::from_value(value).map_err(|e| BadRequest(format!("invalid request: {e}")))?;
    let user_id = id_text(&req.user_id, "user_id")?;
    let exclude = ids(&req.exclude, "exclude entries")?;
    let include = ids(&req.include, "include entries")?;
    let history = ids(&req.history, "history entries")?;
    let products = state.run().items.len();
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
    let cap = MAX_TOP_K.min(products).max(1);
    let top_k = asked.min(cap);
    if top_k < asked {
        warnings.push(format!(
            "top_k {asked} capped to {top_k} (the server's limit is {MAX_TOP_K}, the catalogue has {products} products)"
        ));
    }
    Ok(Prepared {
        user_id,
        exclude,
        include,
        history,
        segment: req.segment,
        exclude_seen: req.exclude_seen,
        rebuy: req.rebuy,
        top_k,
        warnings,
    })
}

/// Answers `req`, appending its JSON to `out`.
pub(super) fn write_answer(
    state: &Served,
    req: &Prepared,
    scratch: &mut Scratch,
    out: &mut Vec<u8>,
) -> serde_json::Result<()> {
    let run = state.run();
    let mut warnings = req.warnings.clone();
    let (engine, rule_warnings) =
        state.engine(&req.exclude, &req.include, req.exclude_seen, req.rebuy);
    warnings.extend(rule_warnings);
    let (who, unknown) = engine.customer_with_recent(
        &req.user_id,
        &mut scratch.bought,
        &req.history,
        req.segment.as_deref(),
    );
    if !unknown.is_empty() {
        warnings.push(format!(
            "history: {} not in the model's products, ignored",
            unknown.join(", ")
        ));
    }
    let list = engine.recommend(who, req.top_k, &mut scratch.scores);
    let recommendations = list
        .iter()
        .enumerate()
        .map(|(rank, s)| Listed {
            rank: rank + 1,
            item_id: run.items.name(s.item),
            description: run
                .descriptions
                .get(s.item as usize)
                .map_or("", String::as_str),
            score: s.score,
            reason: s.reason,
        })
        .collect();
    // A known customer folded in with recent purchases is still the run's customer.
    let known = matches!(who, Customer::Known(_))
        || run
            .users
            .get(crate::data::values::normalise_id(&req.user_id).unwrap_or(&req.user_id))
            .is_some();
    state.metrics.list(known);
    let answer = Answer {
        user_id: &req.user_id,
        known,
        top_k: req.top_k,
        recommendations,
        warnings,
    };
    serde_json::to_writer(out, &answer)
}
