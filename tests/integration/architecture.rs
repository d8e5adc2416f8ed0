//! The shape of the code, checked on every test run: data flows one way.
//!
//! The import graph of `src/` is read from `crate::…` and `super::…` paths. Between the
//! top-level folders (`data`, `models`, `store`, `jobs`, `tui`, …) there is no cycle at
//! all; between the files of one folder there is none either, except the workbench's,
//! whose router and screens know each other by design (listed below). Only the CLI
//! (which launches it) imports the workbench, no file grows past 600 lines, and the
//! workbench's router stays under 300.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::util::root;

/// Folders whose files still import each other in a ring, and why they may for now.
const FILE_CYCLES_ALLOWED: &[&str] = &[
    // The router (`app.rs`) holds each screen's state, and each screen's updates are
    // methods on the router's state; the ring stays inside `tui`, which nothing imports.
    "tui",
];

/// Files allowed past the line limit, each a known debt.
const LONG_FILES_ALLOWED: &[&str] = &[];

const MAX_LINES: usize = 600;

fn sources() -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let src = root().join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p.strip_prefix(&src).unwrap().to_owned(), text)
        })
        .collect()
}

/// A file's module path: `models/fm/fit.rs` is `["models", "fm", "fit"]`.
fn module_of(rel: &Path) -> Vec<String> {
    rel.with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect()
}

/// Every `crate::a::b…` path a file names (comments skipped), as segment lists;
/// `crate::{a, b::c}` gives `[a]` and `[b, c]`.
fn crate_paths(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim_start();
        if line.starts_with("//") {
            continue;
        }
        for (prefix, rest) in [("crate::", 0usize), ("super::", 1)] {
            let mut from = 0;
            while let Some(at) = line[from..].find(prefix) {
                let start = from + at;
                from = start + prefix.len();
                let before = line[..start].chars().last();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue;
                }
                let tail = &line[from..];
                let mut paths = Vec::new();
                if let Some(group) = tail.strip_prefix('{') {
                    let inner = group.split('}').next().unwrap_or("");
                    for item in inner.split(',') {
                        paths.push(segments(item.trim()));
                    }
                } else {
                    paths.push(segments(tail));
                }
                for mut p in paths {
                    if !p.is_empty() {
                        if rest == 1 {
                            p.insert(0, "super".to_owned());
                        }
                        out.push(p);
                    }
                }
            }
        }
    }
    out
}

fn segments(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in text.split("::") {
        let ident: String = part
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if ident.is_empty() {
            break;
        }
        out.push(ident);
        if !part.chars().all(|c| c.is_alphanumeric() || c == '_') {
            break;
        }
    }
    out
}

/// The import graph at `depth` (1: top-level folders; 2: folders' files), as edges from
/// each node to the nodes it names.
fn graph(depth: usize) -> BTreeMap<String, BTreeSet<String>> {
    let files = sources();
    let nodes: BTreeSet<String> = files
        .iter()
        .map(|(rel, _)| module_of(rel))
        .filter(|m| m[0] != "lib" && m[0] != "main")
        .map(|m| m[..m.len().min(depth)].join("::"))
        .collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (rel, text) in &files {
        let module = module_of(rel);
        if module[0] == "lib" || module[0] == "main" {
            continue;
        }
        let from = module[..module.len().min(depth)].join("::");
        for path in crate_paths(text) {
            let absolute: Vec<String> = if path[0] == "super" {
                // `super::x` in `a/b.rs` is `a::x`; deeper files stay inside their node.
                let parent = &module[..module.len() - 1];
                parent
                    .iter()
                    .cloned()
                    .chain(path[1..].iter().cloned())
                    .collect()
            } else {
                path
            };
            let to = (1..=absolute.len().min(depth))
                .rev()
                .map(|n| absolute[..n].join("::"))
                .find(|n| nodes.contains(n));
            if let Some(to) = to
                && to != from
                && !from.starts_with(&format!("{to}::"))
                && !to.starts_with(&format!("{from}::"))
            {
                edges.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    edges
}

/// One cycle of the graph, if it has any: `a -> b -> … -> a`.
fn find_cycle(
    edges: &BTreeMap<String, BTreeSet<String>>,
    skip: &dyn Fn(&str) -> bool,
) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        skip: &dyn Fn(&str) -> bool,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) || skip(node) {
            return None;
        }
        stack.push(node.to_owned());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, edges, skip, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for node in edges.keys() {
        if let Some(c) = visit(node, edges, skip, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

#[test]
fn the_top_level_folders_form_no_cycle() {
    let edges = graph(1);
    assert!(edges.contains_key("tui") && edges["experiment"].contains("models"));
    if let Some(cycle) = find_cycle(&edges, &|_| false) {
        panic!("import cycle between folders: {}", cycle.join(" -> "));
    }
}

#[test]
fn the_files_of_a_folder_form_no_cycle_but_the_listed_ones() {
    let edges = graph(2);
    let allowed = |node: &str| {
        FILE_CYCLES_ALLOWED
            .iter()
            .any(|f| node.split("::").next() == Some(f))
    };
    if let Some(cycle) = find_cycle(&edges, &allowed) {
        panic!("import cycle between files: {}", cycle.join(" -> "));
    }
}

#[test]
fn only_the_cli_imports_the_workbench() {
    for (from, to) in graph(1) {
        if to.contains("tui") {
            assert!(
                from == "cli",
                "'{from}' imports the workbench: data flows toward the TUI, never from it"
            );
        }
    }
}

#[test]
fn no_file_is_longer_than_the_limit_but_the_listed_ones() {
    let mut long = Vec::new();
    for (rel, text) in sources() {
        let name = format!("src/{}", rel.display());
        let lines = text.lines().count();
        let listed = LONG_FILES_ALLOWED.contains(&name.as_str());
        if lines > MAX_LINES && !listed {
            long.push(format!("{name}: {lines} lines"));
        }
        if listed {
            assert!(
                lines > MAX_LINES,
                "{name} is {lines} lines now: take it off LONG_FILES_ALLOWED"
            );
        }
    }
    assert!(long.is_empty(), "split these files: {long:?}");
}

#[test]
fn the_workbench_router_stays_thin() {
    let app = std::fs::read_to_string(root().join("src/tui/app.rs")).unwrap();
    let lines = app.lines().count();
    assert!(
        lines < 300,
        "src/tui/app.rs is {lines} lines: a screen's state, updates and view belong in \
         src/tui/screens/<name>.rs"
    );
}

#[test]
fn the_checker_sees_a_planted_cycle() {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    edges.entry("a".into()).or_default().insert("b".into());
    edges.entry("b".into()).or_default().insert("c".into());
    edges.entry("c".into()).or_default().insert("a".into());
    let cycle = find_cycle(&edges, &|_| false).unwrap();
    assert_eq!(cycle.first(), cycle.last());
    assert_eq!(cycle.len(), 4);
    assert!(find_cycle(&edges, &|n| n == "b").is_none());
    assert_eq!(
        crate_paths("use crate::{data::CsrMatrix, models};\n// crate::tui\nx = super::fit::y;"),
        vec![
            vec!["data".to_owned(), "CsrMatrix".to_owned()],
            vec!["models".to_owned()],
            vec!["super".to_owned(), "fit".to_owned(), "y".to_owned()],
        ]
    );
}
