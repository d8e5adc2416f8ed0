//! Byte fuzzing of what latent reads from outside: the CSV sniffer and reader, the
//! workspace TOML and the server's `/invocations` JSON. proptest drives each with
//! mutations of a valid input and with inputs made from scratch, a bounded number of cases
//! a run, so it runs in CI; every input must end in a value or a typed error, never in a
//! panic, an abort or a 5xx. Inputs that once broke something are kept below as cases.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use latent::config::WorkspaceConfig;
use latent::data::{Interactions, LoadSpec, RankingType, load_transactions};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::util::{Scratch, s, sample};

/// A fuzz run: `cases` inputs, no regression files (the cases we keep are written out).
fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

/// One edit of an input: the bytes that break parsers most often, at a random place.
#[derive(Debug, Clone)]
enum Edit {
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Replace(usize, u8),
    Duplicate(usize, usize),
}

fn tricky_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        Just(b'"'),
        Just(b','),
        Just(b';'),
        Just(b'\t'),
        Just(b'\n'),
        Just(b'\r'),
        Just(0u8),
        Just(0xff),
        Just(0xef),
        Just(b'-'),
        Just(b'.'),
        Just(b'e'),
        Just(b'['),
        Just(b'='),
        Just(b'{'),
        b'0'..=b'9',
        any::<u8>(),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), prop::collection::vec(tricky_byte(), 1..8))
            .prop_map(|(at, b)| Edit::Insert(at, b)),
        (any::<usize>(), 1usize..40).prop_map(|(at, n)| Edit::Delete(at, n)),
        (any::<usize>(), tricky_byte()).prop_map(|(at, b)| Edit::Replace(at, b)),
        (any::<usize>(), 1usize..200).prop_map(|(at, n)| Edit::Duplicate(at, n)),
    ]
}

fn apply(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let len = bytes.len().max(1);
        match e {
            Edit::Insert(at, b) => {
                let at = at % (bytes.len() + 1);
                bytes.splice(at..at, b.iter().copied());
            }
            Edit::Delete(at, n) => {
                let at = at % len;
                let end = (at + n).min(bytes.len());
                if at < end {
                    bytes.drain(at..end);
                }
            }
            Edit::Replace(at, b) => {
                if !bytes.is_empty() {
                    let at = at % bytes.len();
                    bytes[at] = *b;
                }
            }
            Edit::Duplicate(at, n) => {
                let at = at % len;
                let end = (at + n).min(bytes.len());
                if at < end {
                    let copy = bytes[at..end].to_vec();
                    bytes.splice(end..end, copy);
                }
            }
        }
    }
    bytes
}

/// Mutations of `seed`, or bytes from scratch one time in five.
fn mutated(seed: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => prop::collection::vec(edit(), 1..12).prop_map(move |e| apply(seed.clone(), &e)),
        1 => prop::collection::vec(tricky_byte(), 0..400),
    ]
}

/// The first lines of the shipped sample: every column of the Online Retail layout.
fn csv_seed() -> Vec<u8> {
    let text = std::fs::read_to_string(sample("online_retail_sample.csv")).unwrap();
    let lines: Vec<&str> = text.lines().take(25).collect();
    (lines.join("\n") + "\n").into_bytes()
}

/// Reads `bytes` as a data file the way `latent train` does, up to the matrix.
fn load(dir: &std::path::Path, n: usize, bytes: &[u8]) -> Result<(), String> {
    let path = dir.join(format!("case{n}.csv"));
    std::fs::write(&path, bytes).unwrap();
    let outcome = std::panic::catch_unwind(|| {
        if let Ok((t, _)) = load_transactions(&path, &LoadSpec::default()) {
            let _ = Interactions::from_transactions(&t, RankingType::Quantity);
        }
    });
    let _ = std::fs::remove_file(&path);
    outcome.map_err(|p| {
        let why = p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default();
        format!("panicked on {:?}: {why}", String::from_utf8_lossy(bytes))
    })
}

/// Inputs that once broke the reader (or nearly did): kept so they stay fixed.
const CSV_CASES: &[&[u8]] = &[
    b"",
    b"\xef\xbb\xbf",
    b"\"",
    b"a,b\n\"unclosed,2\n",
    b"InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID\n1,A,inf,2011-01-01,1,5\n",
    b"InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID\n1,A,NaN,2011-01-01,nan,5\n",
    b"InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID\n1,A,1e308,2011-01-01,1e308,5\n",
    b"InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID\n1,A,1,99999999999999999999,1,5\n",
    b"StockCode,StockCode,Quantity,CustomerID\nA,B,1,5\n",
    b"CustomerID;StockCode\n\r\n\r\n;\n",
];

#[test]
fn csv_reader_survives_mutated_and_random_files() {
    let dir = tempfile::tempdir().unwrap();
    for (n, case) in CSV_CASES.iter().enumerate() {
        load(dir.path(), n, case).unwrap();
    }
    let n = std::sync::atomic::AtomicUsize::new(CSV_CASES.len());
    runner(300)
        .run(&mutated(csv_seed()), |bytes| {
            let n = n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            load(dir.path(), n, &bytes).map_err(TestCaseError::fail)
        })
        .unwrap();
}

/// Parses a workspace file and everything read from it before training.
fn read_workspace(text: &str) -> Result<(), String> {
    std::panic::catch_unwind(|| {
        if let Ok(c) = WorkspaceConfig::parse(text) {
            let _ = c.load_spec().clean_options();
            let _ = c.fm_params().map(|p| p.check());
            let mut als = latent::models::als::AlsParams::default();
            if als.apply_table(&c.als).is_ok() {
                let _ = als.check();
            }
        }
    })
    .map_err(|_| format!("panicked on {text:?}"))
}

const TOML_CASES: &[&str] = &[
    "",
    "[als]\nals_rank = 10\nrank = 20\n",
    "[als]\nreg_param = 1e308\n",
    "[als]\nals_rank = -1\nmax_iter = 18446744073709551615\n",
    "[fm]\nnum_factors = \"1e30\"\nepochs = inf\n",
    "[data]\ndate_format = \"%Q%Q%\"\n",
    "[data]\nuser = \"StockCode\"\nitem = \"StockCode\"\n",
    "[interactions]\nretention_days = 99999999999\nretention_date = \"99999999\"\n",
];

#[test]
fn workspace_toml_survives_mutated_and_random_files() {
    for case in TOML_CASES {
        read_workspace(case).unwrap();
    }
    let seed = std::fs::read(crate::util::root().join("workspaces/demo/workspace.toml")).unwrap();
    runner(400)
        .run(&mutated(seed), |bytes| {
            read_workspace(&String::from_utf8_lossy(&bytes)).map_err(TestCaseError::fail)
        })
        .unwrap();
}

/// A JSON value built from the request's own keys and hostile values.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let key = prop_oneof![
        Just("user_id".to_owned()),
        Just("top_k".to_owned()),
        Just("exclude".to_owned()),
        Just("include".to_owned()),
        Just("history".to_owned()),
        Just("segment".to_owned()),
        Just("exclude_seen".to_owned()),
        Just("instances".to_owned()),
        "[a-z_]{0,6}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        Just(Value::from(1e308)),
        Just(Value::from(-0.5)),
        Just(Value::from(1000)),
        Just(Value::from("17850")),
        Just(Value::from("85123A")),
        "\\PC{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Sends one POST /invocations and returns the status (0 when the connection broke).
fn invoke(addr: std::net::SocketAddr, content_type: &str, body: &[u8]) -> u16 {
    let Ok(mut stream) = TcpStream::connect(addr) else {
        return 0;
    };
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let head = format!(
        "POST /invocations HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    if stream.write_all(head.as_bytes()).is_err() || stream.write_all(body).is_err() {
        return 0;
    }
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw);
    text.split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}

#[test]
fn invocations_survive_mutated_and_random_json() {
    let scratch = Scratch::new();
    let (_, out) = crate::serve::exported(&scratch);
    let server = crate::serve::start(&scratch, &["serve", "--model", s(&out), "--port", "0"], &[]);
    let addr = server.addr;
    let check = |content_type: &str, body: &[u8]| -> Result<(), TestCaseError> {
        let status = invoke(addr, content_type, body);
        prop_assert!(
            matches!(status, 200 | 400 | 413 | 415 | 422),
            "status {status} for {content_type} {:?}",
            String::from_utf8_lossy(body)
        );
        Ok(())
    };
    let kept: &[&[u8]] = &[
        b"",
        b"{}",
        b"[]",
        b"null",
        br#"{"user_id": null}"#,
        br#"{"user_id": "17850", "top_k": -1}"#,
        br#"{"user_id": "17850", "top_k": 1e308}"#,
        br#"{"user_id": "17850", "top_k": 18446744073709551615}"#,
        br#"{"instances": [{"instances": []}]}"#,
        br#"{"user_id": [[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]}"#,
        "{\"user_id\": \"\u{0}\u{ffff}\"}".as_bytes(),
    ];
    for body in kept {
        check("application/json", body).unwrap();
        check("application/jsonlines", body).unwrap();
    }
    let valid = br#"{"instances": [{"user_id": "17850", "top_k": 5, "exclude": ["85123A"], "include": ["22423"], "history": ["22423"], "segment": "France", "exclude_seen": true}]}"#;
    runner(250)
        .run(&mutated(valid.to_vec()), |body| {
            check("application/json", &body)
        })
        .unwrap();
    runner(250)
        .run(&json_value(), |v| {
            let body = serde_json::to_vec(&v).unwrap();
            check("application/json", &body)?;
            check("application/jsonlines", &body)
        })
        .unwrap();
    let (status, _, _) = crate::serve::http(addr, "GET", "/ping", "text/plain", "");
    assert_eq!(status, 200, "the server answers after the fuzzing");
}
