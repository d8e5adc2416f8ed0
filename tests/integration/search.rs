use crate::util::{Scratch, s, sample};

/// A copy of the demo workspace in the scratch folder, reading the shipped Online Retail
/// log, so the index it builds lands in the scratch folder too.
fn demo_workspace(scratch: &Scratch) -> std::path::PathBuf {
    let demo = std::fs::read_to_string(crate::util::root().join("workspaces/demo/workspace.toml"))
        .unwrap();
    let data = sample("online_retail_full.parquet");
    let text: String = demo
        .lines()
        .map(|l| {
            if l.starts_with("path = ") {
                format!("path = {:?}", s(&data))
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert!(text.contains(s(&data)), "the data path was not replaced");
    let dir = scratch.path("demo");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("workspace.toml"), text).unwrap();
    dir
}

#[test]
fn products_customers_and_an_empty_query_on_online_retail() {
    let scratch = Scratch::new();
    let ws = demo_workspace(&scratch);

    // The first search builds the index into the workspace and says so on stderr.
    let run = scratch.run([
        "search",
        "products",
        "hanging heart",
        "--workspace",
        s(&ws),
        "--json",
    ]);
    let hits: serde_json::Value = serde_json::from_str(run.ok()).unwrap();
    assert!(run.stderr.contains("search index built"), "{}", run.stderr);
    assert!(ws.join("index").join("fingerprint").is_file());
    let top3: Vec<(&str, &str)> = hits.as_array().unwrap()[..3]
        .iter()
        .map(|h| {
            (
                h["id"].as_str().unwrap(),
                h["description"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        top3.contains(&("85123A", "WHITE HANGING HEART T-LIGHT HOLDER")),
        "{top3:?}"
    );

    // Later searches reuse it: no rebuild, and a readable table.
    let run = scratch.run(["search", "customers", "1785", "--workspace", s(&ws)]);
    let table = run.ok();
    assert!(!run.stderr.contains("search index built"), "{}", run.stderr);
    let mut lines = table.lines();
    let header = lines.next().unwrap();
    for column in ["rank", "customer", "country", "lines"] {
        assert!(header.contains(column), "{header}");
    }
    let first: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(first[..2], ["1", "17850"], "{table}");
    assert!(table.contains("United Kingdom"), "{table}");
    assert!(
        lines.all(|l| l.split_whitespace().nth(1).unwrap().starts_with("1785")),
        "{table}"
    );

    // A typo still finds the product, and --limit is honoured.
    let run = scratch.run([
        "search",
        "products",
        "hangng",
        "hart",
        "--workspace",
        s(&ws),
        "--limit",
        "3",
    ]);
    let table = run.ok();
    assert_eq!(table.lines().count(), 4, "{table}");
    assert!(table.contains("85123A"), "{table}");

    // An empty query is bad input: exit 2 and a message that says what to type.
    for query in ["", "   "] {
        let run = scratch.run(["search", "products", query, "--workspace", s(&ws)]);
        let stderr = run.input_error();
        assert!(stderr.contains("empty search query"), "{stderr}");
        assert!(stderr.contains("stock code"), "{stderr}");
    }
}

#[test]
fn a_missing_workspace_is_bad_input() {
    let scratch = Scratch::new();
    let missing = scratch.path("no-such-workspace");
    let run = scratch.run(["search", "customers", "178", "--workspace", s(&missing)]);
    let stderr = run.input_error();
    assert!(stderr.contains("no-such-workspace"), "{stderr}");
}

#[test]
fn a_missing_data_file_is_bad_input_and_leaves_no_index() {
    let scratch = Scratch::new();
    let dir = scratch.path("ws");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("workspace.toml"), "[data]\npath = \"gone.csv\"\n").unwrap();
    let run = scratch.run(["search", "products", "heart", "--workspace", s(&dir)]);
    let stderr = run.input_error();
    assert!(stderr.contains("gone.csv"), "{stderr}");
    assert!(!dir.join("index").exists());
}
