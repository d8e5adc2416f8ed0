//! JSON responses: the server's answers and its `{"error": …}` bodies, one shape for
//! every handler and for the streamed `/invocations` answer.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// A response of JSON bytes already written.
pub(super) fn json_response(
    status: StatusCode,
    content_type: &'static str,
    body: Vec<u8>,
) -> Response {
    (status, [(header::CONTENT_TYPE, content_type)], body).into_response()
}

pub(super) fn serialized(status: StatusCode, value: &impl Serialize) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => json_response(status, "application/json", body),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// `{"error": message}` with `status`.
pub(super) fn error_response(status: StatusCode, message: &str) -> Response {
    serialized(status, &serde_json::json!({ "error": message }))
}
