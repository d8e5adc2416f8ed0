//! Helpers: run the real `latent` binary with a private LATENT_HOME, write temp files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root (where Cargo.toml is).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A path under `sample-data/`.
/// The demo workspace's `workspace.toml` (the whole Online Retail log), as an argument.
pub fn demo_config() -> String {
    root()
        .join("workspaces/demo/workspace.toml")
        .display()
        .to_string()
}

pub fn sample(name: &str) -> PathBuf {
    root().join("sample-data").join(name)
}

/// The result of one run of the binary.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(output: Output) -> Self {
        Self {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Asserts success and returns stdout.
    pub fn ok(&self) -> &str {
        assert_eq!(
            self.code, 0,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        &self.stdout
    }

    /// Asserts an input error (exit 2, no panic) and returns stderr.
    pub fn input_error(&self) -> &str {
        assert_eq!(
            self.code, 2,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
        &self.stderr
    }
}

/// A scratch folder that also serves as LATENT_HOME.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes `bytes` to `name` in the scratch folder.
    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, bytes).expect("write fixture");
        p
    }

    /// Runs `latent ARGS` in the repository root.
    pub fn run<I, S>(&self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.run_env(args, &[])
    }

    /// Runs `latent ARGS` with extra environment variables.
    pub fn run_env<I, S>(&self, args: I, env: &[(&str, &str)]) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let output = Command::new(env!("CARGO_BIN_EXE_latent"))
            .args(args)
            .current_dir(root())
            .env("LATENT_HOME", self.dir.path().join("home"))
            .env_remove("LATENT_LOG")
            .envs(env.iter().copied())
            .output()
            .expect("run latent");
        Run::from(output)
    }
}

/// `path` as a &str for argument lists.
pub fn s(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// Lines a profile's JSON reports dropped for `reason`.
pub fn dropped(v: &serde_json::Value, reason: &str) -> u64 {
    v["cleaning"]["dropped"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p[0] == reason)
        .unwrap()[1]
        .as_u64()
        .unwrap()
}
