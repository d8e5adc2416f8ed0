//! What one client may cost `latent serve` (issue #14): the worst valid batches stay under
//! a memory ceiling, an over-budget batch is refused with its numbers, slow and idle
//! connections are closed by the timeouts, idle connections beyond the limit give way to
//! `/ping`; and `--top` beyond the catalogue is capped, not an abort.
//!
//! Everything runs on 127.0.0.1 with bounded loops; the timeouts are checked with wide
//! margins (configured at 1 s, asserted between 0.5 s and 15 s).

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use serde::de::IgnoredAny;

use crate::serve::{Server, exported, http, start};
use crate::util::{Scratch, s};

/// The memory the server may reach answering the worst valid batches below. Before the
/// fix one batch of 1,000 × 1,000 alone peaked at 1.2 GB (2.6 GB for four at once).
const RSS_CEILING_MIB: u64 = 200;

/// Starts a server on the sample model with `extra` flags.
fn serve(scratch: &Scratch, extra: &[&str]) -> (Server, std::path::PathBuf) {
    let (run, out) = exported(scratch);
    let mut args = vec!["serve", "--model", s(&out), "--port", "0"];
    args.extend_from_slice(extra);
    (start(scratch, &args, &[]), run)
}

/// A run's customer ids.
fn users(run: &std::path::Path) -> Vec<String> {
    let ids: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run.join("ids.json")).unwrap()).unwrap();
    ids["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

fn products(run: &std::path::Path) -> usize {
    let ids: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run.join("ids.json")).unwrap()).unwrap();
    ids["items"].as_array().unwrap().len()
}

/// `{"instances": [...]}` of `n` requests for `top_k` products each.
fn batch(users: &[String], n: usize, top_k: usize) -> String {
    let instances: Vec<serde_json::Value> = (0..n)
        .map(|i| serde_json::json!({"user_id": users[i % users.len()], "top_k": top_k}))
        .collect();
    serde_json::json!({ "instances": instances }).to_string()
}

/// A reader of an HTTP/1.1 chunked body.
struct Chunked<R> {
    inner: R,
    left: usize,
    done: bool,
}

impl<R: BufRead> Read for Chunked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.done {
            return Ok(0);
        }
        if self.left == 0 {
            let mut line = String::new();
            self.inner.read_line(&mut line)?;
            if line.trim().is_empty() {
                // The CRLF closing the previous chunk.
                line.clear();
                self.inner.read_line(&mut line)?;
            }
            self.left = usize::from_str_radix(line.trim(), 16).unwrap();
            if self.left == 0 {
                self.done = true;
                return Ok(0);
            }
        }
        let n = buf.len().min(self.left);
        let n = self.inner.read(&mut buf[..n])?;
        self.left -= n;
        Ok(n)
    }
}

/// What the test keeps of a batch answer: the lists' lengths, not the lists.
#[derive(serde::Deserialize)]
struct Predictions {
    predictions: Vec<Prediction>,
}

#[derive(serde::Deserialize)]
struct Prediction {
    recommendations: Vec<IgnoredAny>,
}

/// POSTs a batch and reads its answer as it streams; returns (status, list lengths).
fn post_batch(addr: SocketAddr, body: &str) -> (u16, Vec<usize>) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .unwrap();
    write!(
        stream,
        "POST /invocations HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reader = BufReader::new(stream);
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line.trim().is_empty() {
            break;
        }
        head.push(line.trim().to_ascii_lowercase());
    }
    let status: u16 = head[0].split(' ').nth(1).unwrap().parse().unwrap();
    if status != 200 {
        return (status, Vec::new());
    }
    let chunked = head.iter().any(|h| h == "transfer-encoding: chunked");
    let answer: Predictions = if chunked {
        serde_json::from_reader(Chunked {
            inner: reader,
            left: 0,
            done: false,
        })
    } else {
        serde_json::from_reader(reader)
    }
    .unwrap();
    (
        status,
        answer
            .predictions
            .iter()
            .map(|p| p.recommendations.len())
            .collect(),
    )
}

/// VmHWM (peak) and VmRSS of `pid`, in MiB.
fn memory_mib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .unwrap()
            / 1024
    };
    (field("VmHWM:"), field("VmRSS:"))
}

#[test]
fn the_worst_valid_batches_stay_under_a_memory_ceiling() {
    let scratch = Scratch::new();
    let (server, run) = serve(&scratch, &[]);
    let users = users(&run);
    let top_k = products(&run).min(1000);
    // 1,000 requests × the largest list: the whole work budget of one call.
    let body = batch(&users, 1000, top_k);
    let addr = server.addr;
    let clients: Vec<_> = (0..2)
        .map(|_| {
            let body = body.clone();
            std::thread::spawn(move || {
                for _ in 0..2 {
                    let (status, lists) = post_batch(addr, &body);
                    assert_eq!(status, 200);
                    assert_eq!(lists.len(), 1000);
                    assert!(lists.iter().all(|&n| n > 0 && n <= top_k), "{lists:?}");
                }
            })
        })
        .collect();
    for c in clients {
        c.join().unwrap();
    }
    let (peak, now) = memory_mib(server.pid());
    assert!(
        peak < RSS_CEILING_MIB,
        "peak {peak} MiB (now {now} MiB) for 2 × 2 batches of 1000 × top_k {top_k}"
    );
}

#[test]
fn a_batch_over_the_work_budget_gets_413_with_its_numbers() {
    let scratch = Scratch::new();
    let (server, run) = serve(&scratch, &[]);
    let users = users(&run);
    let top_k = products(&run).min(1000);
    let (status, _, text) = http(
        server.addr,
        "POST",
        "/invocations",
        "application/json",
        &batch(&users, 10_000, top_k),
    );
    assert_eq!(status, 413, "{text}");
    let error: serde_json::Value = serde_json::from_str(&text).unwrap();
    let message = error["error"].as_str().unwrap();
    for needle in [
        &format!("{} recommendations", 10_000 * top_k),
        "10000 requests",
        &format!("top_k up to {top_k}"),
        "the limit is 1000000",
    ] {
        assert!(message.contains(needle), "{needle}: {message}");
    }
    // The same budget holds for JSON lines.
    let mut lines = String::new();
    for i in 0..2000 {
        let user = &users[i % users.len()];
        writeln!(lines, "{{\"user_id\": \"{user}\", \"top_k\": 1000}}").unwrap();
    }
    let (status, _, text) = http(
        server.addr,
        "POST",
        "/invocations",
        "application/jsonlines",
        &lines,
    );
    assert_eq!(status, 413, "{text}");
    // And the server still answers.
    let (status, _, _) = http(server.addr, "GET", "/ping", "text/plain", "");
    assert_eq!(status, 200);
}

/// Sends `payload` and waits for the server to close; returns (what it answered, seconds).
fn closed_after(addr: SocketAddr, payload: &str) -> (String, f64) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    let started = Instant::now();
    stream.write_all(payload.as_bytes()).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break,
            Err(e) => panic!("the server kept the connection open: {e} (got {got:?})"),
        }
    }
    (
        String::from_utf8_lossy(&got).into_owned(),
        started.elapsed().as_secs_f64(),
    )
}

#[test]
fn slow_and_idle_connections_are_closed_by_the_timeouts() {
    let scratch = Scratch::new();
    let (server, _) = serve(
        &scratch,
        &[
            "--header-timeout",
            "1",
            "--body-timeout",
            "1",
            "--idle-timeout",
            "1",
        ],
    );
    let addr = server.addr;
    // Partial headers: closed without an answer once the header timeout runs out.
    let (got, secs) = closed_after(addr, "POST /invocations HTTP/1.1\r\nHost: x\r\n");
    assert!(got.is_empty(), "{got}");
    assert!((0.5..15.0).contains(&secs), "{secs}");
    // A body shorter than its Content-Length: 408 once the body timeout runs out.
    let (got, secs) = closed_after(
        addr,
        "POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"user",
    );
    assert!(got.starts_with("HTTP/1.1 408"), "{got}");
    assert!(
        got.contains("did not arrive within 1.0 s (Content-Length 100)"),
        "{got}"
    );
    assert!((0.5..15.0).contains(&secs), "{secs}");
    // A Content-Length of 10^12: refused at once, before any of it is read.
    let (got, _) = closed_after(
        addr,
        "POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000\r\n\r\n{",
    );
    assert!(got.starts_with("HTTP/1.1 413"), "{got}");
    assert!(got.contains("Content-Length 1000000000000"), "{got}");
    // An idle keep-alive connection: answered, then closed by the idle timeout.
    let (got, secs) = closed_after(addr, "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(got.starts_with("HTTP/1.1 200"), "{got}");
    assert!((0.5..15.0).contains(&secs), "{secs}");
    let (status, _, _) = http(addr, "GET", "/ping", "text/plain", "");
    assert_eq!(status, 200);
}

#[test]
fn ping_answers_while_idle_connections_exceed_the_limit() {
    let scratch = Scratch::new();
    // Timeouts long enough that only the connection limit can close anything here.
    let (server, _) = serve(
        &scratch,
        &[
            "--max-connections",
            "4",
            "--idle-timeout",
            "120",
            "--header-timeout",
            "120",
        ],
    );
    let addr = server.addr;
    let idle: Vec<TcpStream> = (0..20).map(|_| TcpStream::connect(addr).unwrap()).collect();
    let (status, _, body) = http(addr, "GET", "/ping", "text/plain", "");
    assert_eq!(status, 200, "{body}");
    // Each new connection beyond the limit closed the oldest idle one: at most 4 of
    // the 20 (less the one /ping took) are still open. The checks are bounded: a closed
    // connection reads EOF at once, an open one times out after 300 ms.
    let open = idle
        .iter()
        .filter(|c| {
            c.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
            let mut reader: &TcpStream = c;
            let mut buf = [0u8; 16];
            matches!(reader.read(&mut buf), Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut))
        })
        .count();
    assert!(open <= 4, "{open} of 20 idle connections still open");
}

#[test]
fn top_beyond_the_catalogue_is_capped_with_a_warning() {
    let scratch = Scratch::new();
    let (run, _) = exported(&scratch);
    let catalogue = products(&run);
    let user = users(&run)[0].clone();
    let out = scratch.run([
        "recommend",
        "--run",
        s(&run),
        "--user",
        &user,
        "--top",
        "1000000000",
        "--csv",
    ]);
    let csv = out.ok();
    let rows = csv.lines().count() - 1;
    assert!(
        rows > 0 && rows <= catalogue,
        "{rows} rows, {catalogue} products"
    );
    assert!(
        out.stderr
            .contains(&format!("--top 1000000000 capped to {catalogue}")),
        "{}",
        out.stderr
    );
    let to = scratch.path("recs");
    let out = scratch.run([
        "export",
        "--run",
        s(&run),
        "--to",
        s(&to),
        "--format",
        "recs",
        "--top",
        "1000000000000",
    ]);
    out.ok();
    assert!(
        out.stderr
            .contains(&format!("--top 1000000000000 capped to {catalogue}")),
        "{}",
        out.stderr
    );
    let recs = std::fs::read_to_string(to.join("recs").join("recs.csv")).unwrap();
    let mut per_user = std::collections::HashMap::<&str, usize>::new();
    for line in recs.lines().skip(1) {
        *per_user.entry(line.split(',').next().unwrap()).or_default() += 1;
    }
    assert!(!per_user.is_empty());
    assert!(
        per_user.values().all(|&n| n <= catalogue),
        "{:?}",
        per_user.values().max()
    );
}
