//! The work of one `/invocations` call: parsed and checked whole, held to a work budget,
//! then answered a chunk at a time.
//!
//! Memory is what this bounds. Answering a batch of 1,000 requests × 1,000 products used
//! to build every answer, then a `serde_json::Value` of them all, then the body: 2.1 GB at
//! peak for a 55 KB request. Now a call is answered in chunks of about
//! [`CHUNK_BYTES`] of JSON. Each chunk is computed on a blocking thread holding one of the
//! server's scoring permits (so at most that many dense score buffers exist at once), then
//! handed to the connection through a channel of one chunk: a client that reads slowly
//! holds two chunks, not its whole answer. An answer that fits one chunk is sent whole,
//! with a `Content-Length`; a longer one is streamed (chunked transfer encoding).

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::ServeState;
use super::answer::{BadRequest, Prepared, Scratch, prepare, write_answer};
use super::limits::{MAX_BATCH, MAX_BATCH_WORK};
use super::responses::{error_response, json_response};
use super::served::Served;

/// About how much JSON one chunk of an answer holds.
pub const CHUNK_BYTES: usize = 256 << 10;

/// How the answers of a call are framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// One request, one answer object.
    Single,
    /// `{"instances": [...]}` answered `{"predictions": [...]}`.
    Batch,
    /// One request per line, one answer per line.
    Lines,
}

/// Why a call is refused.
#[derive(Debug)]
pub(super) enum Refusal {
    /// 400: the request is wrong.
    Bad(String),
    /// 413: the request is right but asks for more work than one call may.
    TooMuch(String),
    /// 500: the server failed.
    Internal(String),
}

impl From<BadRequest> for Refusal {
    fn from(BadRequest(m): BadRequest) -> Self {
        Refusal::Bad(m)
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::Bad(m) => error_response(StatusCode::BAD_REQUEST, &m),
            Refusal::TooMuch(m) => error_response(StatusCode::PAYLOAD_TOO_LARGE, &m),
            Refusal::Internal(m) => error_response(StatusCode::INTERNAL_SERVER_ERROR, &m),
        }
    }
}

/// A checked call, answered from `next` on.
pub(super) struct Job {
    requests: Vec<Prepared>,
    framing: Framing,
    next: usize,
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

impl Job {
    /// Parses and checks a whole call: every request, then the work budget.
    fn parse(state: &Served, body: &[u8], json_lines: bool) -> Result<Self, Refusal> {
        let (requests, framing) = if json_lines {
            (parse_lines(state, body)?, Framing::Lines)
        } else {
            parse_json(state, body)?
        };
        let work: usize = requests.iter().map(|r| r.top_k).sum();
        if work > MAX_BATCH_WORK {
            let widest = requests.iter().map(|r| r.top_k).max().unwrap_or(0);
            return Err(Refusal::TooMuch(format!(
                "the call asks for {work} recommendations ({} requests, top_k up to {widest}); \
                 the limit is {MAX_BATCH_WORK} per call: split the batch or lower top_k",
                requests.len()
            )));
        }
        Ok(Self {
            requests,
            framing,
            next: 0,
        })
    }

    fn is_done(&self) -> bool {
        self.next >= self.requests.len()
    }

    /// Answers requests into `out` until it holds about [`CHUNK_BYTES`] or the call is
    /// answered, with the framing's opening and closing bytes.
    fn answer_chunk(&mut self, state: &Served, out: &mut Vec<u8>) -> Result<(), Refusal> {
        let mut scratch = Scratch::default();
        if self.next == 0 && self.framing == Framing::Batch {
            out.extend_from_slice(b"{\"predictions\":[");
        }
        while !self.is_done() && out.len() < CHUNK_BYTES {
            if self.next > 0 && self.framing == Framing::Batch {
                out.push(b',');
            }
            write_answer(state, &self.requests[self.next], &mut scratch, out)
                .map_err(|e| Refusal::Internal(format!("cannot write the answer: {e}")))?;
            if self.framing == Framing::Lines {
                out.push(b'\n');
            }
            self.next += 1;
        }
        if self.is_done() && self.framing == Framing::Batch {
            out.extend_from_slice(b"]}");
        }
        Ok(())
    }
}

fn parse_json(state: &Served, body: &[u8]) -> Result<(Vec<Prepared>, Framing), Refusal> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        Refusal::Bad(format!(
            "request body is not valid JSON ({e}); send {{\"user_id\": \"...\"}} or {{\"instances\": [...]}}"
        ))
    })?;
    match value {
        serde_json::Value::Object(mut map) if map.contains_key("instances") => {
            if map.len() > 1 {
                return Err(Refusal::Bad("a batch holds only \"instances\"".into()));
            }
            let Some(serde_json::Value::Array(items)) = map.remove("instances") else {
                return Err(Refusal::Bad(
                    "\"instances\" must be an array of requests".into(),
                ));
            };
            if items.len() > MAX_BATCH {
                return Err(Refusal::TooMuch(format!(
                    "{} instances in one batch; the limit is {MAX_BATCH}",
                    items.len()
                )));
            }
            let requests = items
                .into_iter()
                .enumerate()
                .map(|(n, v)| {
                    prepare(state, v)
                        .map_err(|BadRequest(m)| Refusal::Bad(format!("instances[{n}]: {m}")))
                })
                .collect::<Result<_, _>>()?;
            Ok((requests, Framing::Batch))
        }
        single @ serde_json::Value::Object(_) => {
            Ok((vec![prepare(state, single)?], Framing::Single))
        }
        other => Err(Refusal::Bad(format!(
            "the request must be a JSON object, not {}",
            kind(&other)
        ))),
    }
}

fn parse_lines(state: &Served, body: &[u8]) -> Result<Vec<Prepared>, Refusal> {
    let text = std::str::from_utf8(body)
        .map_err(|e| Refusal::Bad(format!("request body is not UTF-8: {e}")))?;
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .collect();
    if lines.len() > MAX_BATCH {
        return Err(Refusal::TooMuch(format!(
            "{} lines in one batch; the limit is {MAX_BATCH}",
            lines.len()
        )));
    }
    lines
        .into_iter()
        .map(|(n, line)| {
            let at = |m: String| Refusal::Bad(format!("line {}: {m}", n + 1));
            let value: serde_json::Value =
                serde_json::from_str(line).map_err(|e| at(format!("not valid JSON ({e})")))?;
            prepare(state, value).map_err(|BadRequest(m)| at(m))
        })
        .collect()
}

/// Runs `work` with `served` on a blocking thread while holding one of the server's
/// scoring permits.
async fn with_permit<T: Send + 'static>(
    state: &Arc<ServeState>,
    served: &Arc<Served>,
    work: impl FnOnce(&Served) -> Result<T, Refusal> + Send + 'static,
) -> Result<T, Refusal> {
    let _permit = state
        .scoring
        .acquire()
        .await
        .map_err(|e| Refusal::Internal(e.to_string()))?;
    let shared = Arc::clone(served);
    tokio::task::spawn_blocking(move || work(&shared))
        .await
        .map_err(|e| Refusal::Internal(format!("the request failed: {e}")))?
}

/// Answers a whole `/invocations` body: sent whole when it fits one chunk, else streamed.
pub(super) async fn respond(state: Arc<ServeState>, body: Bytes, json_lines: bool) -> Response {
    // One model for the whole call, even if a reload swaps another in meanwhile.
    let served = state.served();
    let first = with_permit(&state, &served, move |state| {
        let mut job = Job::parse(state, &body, json_lines)?;
        drop(body);
        let mut out = Vec::new();
        job.answer_chunk(state, &mut out)?;
        Ok((job, out))
    })
    .await;
    let (mut job, first) = match first {
        Ok(started) => started,
        Err(refusal) => return refusal.into_response(),
    };
    let content_type = if json_lines {
        "application/jsonlines"
    } else {
        "application/json"
    };
    if job.is_done() {
        return json_response(StatusCode::OK, content_type, first);
    }
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(1);
    tokio::spawn(async move {
        let mut chunk = first;
        loop {
            // Waits while the client has not read the previous chunk; fails once the
            // connection is gone, which ends the work.
            if tx.send(Ok(Bytes::from(chunk))).await.is_err() || job.is_done() {
                return;
            }
            let step = with_permit(&state, &served, move |state| {
                let mut out = Vec::with_capacity(CHUNK_BYTES + (16 << 10));
                job.answer_chunk(state, &mut out)?;
                Ok((job, out))
            })
            .await;
            match step {
                Ok((next_job, out)) => (job, chunk) = (next_job, out),
                Err(refusal) => {
                    tracing::error!("streamed answer cut short: {refusal:?}");
                    let _ = tx
                        .send(Err(std::io::Error::other("the answer failed")))
                        .await;
                    return;
                }
            }
        }
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, content_type)],
        Body::from_stream(stream),
    )
        .into_response()
}
