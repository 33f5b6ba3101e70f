//! What the test binaries share: running the replcheck binary as a user does, from the
//! repository root, and a scratch directory per test.

#![allow(dead_code)] // each test binary uses its own part of it

use serde_json::Value;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// How one run of the binary ended.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// The repository root, where the binary runs (`models/` is found from there).
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The replcheck binary, to be given arguments, run from the repository root.
pub fn command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_replcheck"));
    command.current_dir(root());
    command
}

/// Runs the binary with `args` to its end.
pub fn replcheck<S: AsRef<OsStr>>(args: &[S]) -> Run {
    let out = command()
        .args(args)
        .output()
        .expect("the replcheck binary runs");
    Run {
        code: out.status.code().expect("replcheck exits normally"),
        stdout: String::from_utf8(out.stdout).expect("utf-8 output"),
        stderr: String::from_utf8(out.stderr).expect("utf-8 output"),
    }
}

/// Runs the binary with `args` and `--format json`: its exit code and its JSON report.
pub fn replcheck_json(args: &[&str]) -> (i32, Value) {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--format", "json"]);
    let run = replcheck(&all);
    let report = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("no JSON report ({e}): {}", run.stderr));
    (run.code, report)
}

/// A fresh directory for one test's files.
pub fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("replcheck-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
