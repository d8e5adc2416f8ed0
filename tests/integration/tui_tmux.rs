//! The real binary in a real terminal: tmux drives the workbench end to end.

use std::time::{Duration, Instant};

use crate::tmux::{Tmux, demo_copy};
use crate::util::{Scratch, s};

/// The product ids of the Recommended panel's rows (the right half of the screen).
fn recommended(screen: &str) -> Vec<String> {
    screen
        .lines()
        .filter_map(|l| {
            let right: String = l.chars().skip(l.chars().count() / 2).collect();
            let mut words = right.trim_start_matches(['│', ' ']).split_whitespace();
            let rank = words.next()?;
            rank.parse::<usize>().ok()?;
            words.next().map(str::to_owned)
        })
        .collect()
}

#[test]
fn load_train_inspect_and_quit_in_a_real_terminal() {
    let scratch = Scratch::new();
    // A copy of the demo workspace, so runs land in the scratch folder, not the repository.
    let ws_dir = demo_copy(&scratch, "online_retail_full.parquet");
    let tui = Tmux::start(&scratch, &format!("tui --workspace '{}'", s(&ws_dir)));
    tui.wait_for(&["1 Data", "rows read", "541,909", "Long tail"]);
    tui.keys(&["2"]);
    tui.wait_for(&["Hyperparameters", "rank (als_rank)"]);
    tui.keys(&["t"]);
    let train = tui.wait_for(&["done: P@k", "Training loss per iteration"]);
    // The defaults for purchase logs: 15 sweeps.
    assert!(train.contains("15/15 iterations"), "{train}");
    tui.keys(&["5", "/", "1", "7", "8", "5", "0", "Enter"]);
    let inspect = tui.wait_for(&[
        "customer 17850",
        "Recommended",
        "Bought (training)",
        "model score",
    ]);
    assert!(
        inspect.contains("Similar to the highlighted product")
            && inspect.contains("because they bought")
            && inspect.contains("popular shown"),
        "{inspect}"
    );
    // The hold-out truth: 17850's last purchase was months before the 30-day cut-off, and
    // the screen says so rather than showing an empty panel.
    assert!(
        inspect.contains("Bought after the cut-off")
            && inspect.contains("nothing new bought in the next 30 days"),
        "{inspect}"
    );
    // Toggle "exclude popular": the list changes at once and says so.
    tui.keys(&["x"]);
    let hidden = tui.wait_for(&["top 5% popular hidden"]);
    assert_ne!(recommended(&inspect), recommended(&hidden), "{hidden}");
    tui.keys(&["x"]);
    tui.wait_for(&["popular shown"]);
    // The demo opens on a customer who bought some of their suggestions, marks the hits
    // and sums them up against the best sellers; n steps to the next such customer.
    tui.keys(&["d"]);
    let demo = tui.wait_for(&[
        "They bought",
        "We suggest",
        "✓ bought",
        "best sellers would have hit",
    ]);
    assert!(
        demo.contains("bought in the next 30 days") && demo.contains("because they bought"),
        "{demo}"
    );
    assert!(!demo.contains("Customer 17850"), "17850 has no hit: {demo}");
    tui.keys(&["n"]);
    let next = tui.wait_for(&["✓ bought", "best sellers would have hit"]);
    let customer = |screen: &str| {
        screen
            .lines()
            .find_map(|l| {
                l.split("Customer ")
                    .nth(1)
                    .map(|r| r.split_whitespace().next().map(str::to_owned))
            })
            .flatten()
    };
    assert_ne!(customer(&demo), customer(&next), "{next}");
    // Back in the plain view, the hits carry a mark in the list and the truth panel.
    tui.keys(&["d"]);
    let plain = tui.wait_for(&[
        "Bought after the cut-off",
        "suggested bought · best sellers",
        "Recommended",
    ]);
    assert!(plain.contains("✓"), "{plain}");
    // The inverse question: who will buy the highlighted product, checked on the hold-out.
    tui.keys(&["a"]);
    let audience = tui.wait_for(&["Audience for", "in their list", "Checked on the hold-out"]);
    assert!(
        audience.contains("the 100 most active") && audience.contains("100 of 100 customers"),
        "{audience}"
    );
    tui.keys(&["Escape"]);
    tui.wait_for(&["Bought after the cut-off"]);
    // Export names the run and warns that the hold-out month is missing from it.
    tui.keys(&["6"]);
    tui.wait_for(&["hold-out last-days:30", "refits it on all the data"]);
    tui.keys(&["4"]);
    tui.wait_for(&["Runs · 1 of 1", "-als", "finished"]);
    tui.keys(&["q"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while tui.is_alive() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!tui.is_alive(), "q quits");
    let runs: Vec<_> = std::fs::read_dir(ws_dir.join("runs")).unwrap().collect();
    assert_eq!(
        runs.len(),
        1,
        "the run trained in the TUI is saved in the workspace"
    );
}
