//! The workbench in a real terminal: a tmux session per test, driven with `send-keys`
//! and read with `capture-pane`.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::util::{Scratch, root, s};

/// A copy of the demo workspace reading `data` (a file of `sample-data/`), in the scratch
/// folder, so the runs a test trains land there and not in the repository.
pub fn demo_copy(scratch: &Scratch, data: &str) -> PathBuf {
    let ws_dir = scratch.path("ws");
    std::fs::create_dir_all(&ws_dir).unwrap();
    let demo = std::fs::read_to_string(root().join("workspaces/demo/workspace.toml")).unwrap();
    let path = root().join("sample-data").join(data);
    let config = demo.replace("../../sample-data/online_retail_full.parquet", s(&path));
    assert_ne!(config, demo, "the demo workspace names its data file");
    std::fs::write(ws_dir.join("workspace.toml"), config).unwrap();
    ws_dir
}

/// One tmux session (120x40), killed when dropped.
pub struct Tmux {
    session: String,
}

impl Tmux {
    pub fn start(scratch: &Scratch, args: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let session = format!(
            "latent-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let command = format!(
            "LATENT_HOME='{}' '{}' {args}",
            s(&scratch.path("home")),
            env!("CARGO_BIN_EXE_latent")
        );
        let status = Command::new("tmux")
            .args([
                "new-session",
                "-d",
                "-s",
                &session,
                "-x",
                "120",
                "-y",
                "40",
                &command,
            ])
            .current_dir(root())
            .status()
            .expect("tmux is installed (scripts/provision installs it: run scripts/test)");
        assert!(status.success());
        Self { session }
    }

    pub fn keys(&self, keys: &[&str]) {
        for k in keys {
            let status = Command::new("tmux")
                .args(["send-keys", "-t", &self.session, k])
                .status()
                .unwrap();
            assert!(status.success());
            std::thread::sleep(Duration::from_millis(80));
        }
    }

    pub fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.session])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the screen shows every one of `texts`.
    pub fn wait_for(&self, texts: &[&str]) -> String {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let screen = self.screen();
            if texts.iter().all(|t| screen.contains(t)) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {texts:?}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn is_alive(&self) -> bool {
        Command::new("tmux")
            .args(["has-session", "-t", &self.session])
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.session])
            .status();
    }
}
