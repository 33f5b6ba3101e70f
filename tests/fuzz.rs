//! Bad input, fuzzed: property-based tests (proptest) over model files, trace files and
//! command lines, run in-process through the library as `main` runs them.
//!
//! Whatever the input, replcheck must not panic, must not hang, and must end with an exit
//! code from 0 to 4; an error about a file names it, and an error in a model file gives
//! the line and column (or, for the file as a whole, nothing to point at: see
//! `config`). Inputs are
//!
//! - model files: byte and character soup, random TOML, and, most usefully, the bundled
//!   models (`models/**.toml`) mutated: lines deleted, duplicated, swapped or inserted,
//!   values and keys replaced by random ones (integers, huge and negative numbers,
//!   strings, booleans, arrays, tables, dates), truncation, invalid UTF-8;
//! - trace files written by `check --trace-dir` for those models, replayed as written
//!   (they must reproduce) and mutated;
//! - command lines: every subcommand with random flags from the real set and junk flags
//!   and values (`--threads 0`, `--threads 99999`, `--max-states -1`, `--format xml`, ...).
//!
//! Every `check` runs with `--threads 1` and `--max-states` of at most 2000, so no case
//! can take long; `serve`, `bench` and `report` are only parsed (they would block, spawn
//! processes or rewrite REPORT.md). Each case runs on a thread of its own under a
//! watchdog: one that takes longer than `HANG` fails as a hang.
//!
//! `cargo test --release --test fuzz` runs a modest number of cases; `PROPTEST_CASES=N`
//! runs N of each kind, and `PROPTEST_RNG_SEED=S` repeats a run. Unix only: it silences
//! standard output with `dup2`, and names files with bytes that are not UTF-8.

#![cfg(unix)]

use clap::Parser;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use replcheck::cli::{run, Cli, Command};
use replcheck::error::Error;
use serde_json::Value;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Model-file cases when PROPTEST_CASES is not set; command lines get twice as many.
const DEFAULT_CASES: u32 = 256;
/// The largest `--max-states` a fuzzed `check` runs with.
const MAX_STATES: u64 = 2000;
/// A case still running after this long is a hang: with one thread and at most
/// `MAX_STATES` states a case takes a second at most (the slowest, `check` of every
/// bundled model); this leaves room for a loaded machine.
const HANG: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------------------------------
// Running a case

/// How one command line ended.
#[derive(Debug)]
enum Ended {
    /// clap refused it (or printed help or the version): its exit code.
    Parse(i32),
    /// Parsed but not run (`serve`, `bench`, `report`).
    ParsedOnly,
    /// Ran to an exit code.
    Code(i32),
    /// Ran to an error.
    Failed(Error),
}

/// A scratch directory for this process's files, under the system's temp dir.
fn scratch() -> &'static Path {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("replcheck-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        dir
    })
}

/// A path in the scratch directory no other case uses, ending in `suffix`.
fn unique(suffix: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    scratch().join(format!("{n}{suffix}"))
}

/// Whether a path a fuzzed command would write to is harmless: in the scratch directory,
/// or somewhere no file can be created.
fn safe_to_write(path: &Path) -> bool {
    path.starts_with(scratch()) || path.starts_with("/dev/null") || path.starts_with("/proc")
}

/// Bounds a parsed command line before it runs: `check` gets one thread and a small state
/// limit, and writes nowhere but the scratch directory. `None` for commands that are only
/// parsed.
fn bounded(mut cli: Cli) -> Option<Cli> {
    match &mut cli.command {
        Command::Check {
            threads,
            max_states,
            trace_dir,
            junit,
            ..
        } => {
            *threads = Some(1);
            *max_states = Some(max_states.unwrap_or(MAX_STATES).min(MAX_STATES));
            if trace_dir.as_deref().is_some_and(|d| !safe_to_write(d)) {
                *trace_dir = Some(unique("-traces"));
            }
            if junit.as_deref().is_some_and(|f| !safe_to_write(f)) {
                *junit = Some(unique("-junit.xml"));
            }
            Some(cli)
        }
        Command::List { .. } | Command::Replay { .. } => Some(cli),
        Command::Serve { .. } | Command::Bench { .. } | Command::Report { .. } => None,
    }
}

/// Parses and runs `args` (without the program name) as `main` would, on a thread of its
/// own: a panic, or a run longer than `HANG`, fails the case.
fn replcheck(args: &[OsString]) -> Result<Ended, TestCaseError> {
    let argv: Vec<OsString> = std::iter::once(OsString::from("replcheck"))
        .chain(args.iter().cloned())
        .collect();
    let shown = format!("{args:?}");
    let started = Instant::now();
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        // `main`'s thread has 8 MiB of stack; a case gets the same.
        .stack_size(8 << 20)
        .spawn(move || {
            let outcome =
                std::panic::catch_unwind(AssertUnwindSafe(|| match Cli::try_parse_from(&argv) {
                    Err(e) => Ended::Parse(e.exit_code()),
                    Ok(cli) => match bounded(cli) {
                        None => Ended::ParsedOnly,
                        Some(cli) => match run(cli) {
                            Ok(code) => Ended::Code(code),
                            Err(e) => Ended::Failed(e),
                        },
                    },
                }));
            // The watchdog may have given up on this case already.
            let _ = tx.send(outcome);
        })
        .map_err(|e| TestCaseError::fail(format!("cannot start a case: {e}")))?;
    let outcome = rx.recv_timeout(HANG);
    let took = started.elapsed();
    if let Ok(mut slowest) = SLOWEST.lock() {
        if slowest.as_ref().is_none_or(|(t, _)| took > *t) {
            *slowest = Some((took, shown.clone()));
        }
    }
    match outcome {
        Ok(Ok(ended)) => Ok(ended),
        Ok(Err(panic)) => {
            let message = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("(no message)");
            Err(TestCaseError::fail(format!(
                "replcheck {shown} panicked: {message}"
            )))
        }
        Err(_) => Err(TestCaseError::fail(format!(
            "replcheck {shown} did not finish in {} s",
            HANG.as_secs()
        ))),
    }
}

/// How many model-file cases ended with each exit code, for the summary line.
static TALLY: [AtomicUsize; 5] = [const { AtomicUsize::new(0) }; 5];
/// The slowest case so far and how long it took, for the summary line.
static SLOWEST: std::sync::Mutex<Option<(Duration, String)>> = std::sync::Mutex::new(None);
/// How many written traces were replayed.
static REPLAYED: AtomicUsize = AtomicUsize::new(0);

/// The exit code `main` ends with.
fn exit_code(ended: &Ended) -> Option<i32> {
    match ended {
        Ended::Parse(code) | Ended::Code(code) => Some(*code),
        Ended::ParsedOnly => None,
        Ended::Failed(e) => Some(e.exit_code()),
    }
}

/// Whether `reason`, a model-file error's message after the file name, is about the file
/// as a whole (the documented messages that point at nothing).
fn about_the_whole_file(reason: &str) -> bool {
    reason.starts_with("invalid replica-set configuration: the replica set has no members")
}

/// The checks every case makes: the exit code is 0 to 4, an error is one line, an error
/// about a file names one of `files`, and a model file's error is placed in it.
fn assert_sane(args: &[OsString], ended: &Ended, files: &[PathBuf]) -> Result<(), TestCaseError> {
    if let Some(code) = exit_code(ended) {
        prop_assert!(
            (0..=4).contains(&code),
            "replcheck {args:?} exited {code}: {ended:?}"
        );
    }
    let Ended::Failed(e) = ended else {
        return Ok(());
    };
    let message = e.to_string();
    prop_assert!(
        !message.contains('\n'),
        "replcheck {args:?}: a message of more than one line: {message:?}"
    );
    prop_assert!(!message.trim().is_empty(), "replcheck {args:?}: no message");
    let file = match e {
        Error::Model { file, .. } | Error::Unreadable { file, .. } | Error::Trace { file, .. } => {
            file
        }
        _ => return Ok(()),
    };
    // A trace file records its model file's path as UTF-8 text, so a path that is not
    // UTF-8 comes back with replacement characters.
    let lossy = |f: &PathBuf| PathBuf::from(f.to_string_lossy().into_owned());
    prop_assert!(
        files.iter().any(|f| f == file || lossy(f) == *file),
        "replcheck {args:?}: the error names {}, which is none of {files:?}: {message}",
        file.display()
    );
    let shown = format!("{}: ", file.display());
    prop_assert!(
        message.starts_with(&shown),
        "replcheck {args:?}: the message does not start with the file: {message:?}"
    );
    if let Error::Model { at, reason, .. } = e {
        prop_assert!(
            at.is_some_and(|at| at.line > 0 && at.column > 0 && !reason.trim().is_empty())
                || (at.is_none() && about_the_whole_file(reason)),
            "replcheck {args:?}: a model-file error without line and column: {message:?}"
        );
    }
    Ok(())
}

/// Silences the process's standard output (fd 1) while it lives: reports of fuzzed runs
/// are not worth reading, and there are thousands.
struct Silenced {
    saved: libc::c_int,
}

impl Silenced {
    /// Points fd 1 at /dev/null, keeping the original to restore.
    fn stdout() -> Option<Silenced> {
        use std::io::Write;
        let _ = std::io::stdout().flush();
        // SAFETY: plain descriptor calls on descriptors this function owns or on fd 1;
        // each result is checked before it is used.
        unsafe {
            let saved = libc::dup(1);
            if saved < 0 {
                return None;
            }
            let null = libc::open(c"/dev/null".as_ptr(), libc::O_WRONLY);
            if null < 0 {
                libc::close(saved);
                return None;
            }
            libc::dup2(null, 1);
            libc::close(null);
            Some(Silenced { saved })
        }
    }
}

impl Drop for Silenced {
    /// Puts fd 1 back.
    fn drop(&mut self) {
        use std::io::Write;
        let _ = std::io::stdout().flush();
        // SAFETY: `saved` is a descriptor `stdout` duplicated and nothing else closes.
        unsafe {
            libc::dup2(self.saved, 1);
            libc::close(self.saved);
        }
    }
}

/// A runner with `cases` cases (PROPTEST_CASES, or `default`), no files of failures
/// written into the source tree, and no fork.
fn runner(default: u32) -> TestRunner {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 256,
        max_shrink_time: 120_000,
        ..Config::default()
    })
}

// ---------------------------------------------------------------------------------------
// Model files

/// Every bundled model file, under models/.
fn bundled() -> Vec<(PathBuf, Vec<u8>)> {
    /// The .toml files under `dir`, recursively, in name order.
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths {
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|x| x == "toml") {
                found.push(path);
            }
        }
    }
    let mut paths = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("models"),
        &mut paths,
    );
    assert!(paths.len() >= 10, "the bundled models: {paths:?}");
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read(&p).expect("a bundled model reads");
            (p, text)
        })
        .collect()
}

/// Keys of the schema, property names, and some that are not.
fn key() -> impl Strategy<Value = String> {
    const KEYS: &[&str] = &[
        "description",
        "granularity",
        "mongodb_version",
        "batches",
        "protocol",
        "write_concern_majority_journal_default",
        "members",
        "votes",
        "priority",
        "arbiter",
        "chaining_allowed",
        "writes",
        "w",
        "j",
        "max_crashes",
        "total_crashes",
        "journal_lag",
        "message_loss",
        "max_term",
        "max_oplog_len",
        "own_term_commit_rule",
        "durable_vote",
        "arbiters_may_stand",
        "unelectable_may_stand",
        "commit_point_term_check",
        "fetch_consistency_check",
        "freshness_window",
        "max_elections",
        "max_clock_jumps",
        "max_isolated",
        "election_safety",
        "arbiter_never_primary",
        "unelectable_never_primary",
        "majority_write_durability",
        "acknowledged_write_durability",
        "committed_never_rolled_back",
        "log_matching",
        "primary_elected",
        "majority_write_acknowledged",
        "write_acknowledged",
        "rollback_occurs",
        "failover_occurs",
        "leader_completeness",
        "state_machine_safety",
        "entry_committed",
        "workload",
        "faults",
        "bounds",
        "variant",
        "pv0",
        "expect",
        "settings",
        "workload.w",
        "members.votes",
        "\"w\"",
        "'votes'",
        "\"\"",
    ];
    prop_oneof![
        4 => prop::sample::select(KEYS).prop_map(str::to_string),
        1 => "[a-z_]{1,16}",
        1 => "[a-z]{1,6}\\.[a-z]{1,6}",
    ]
}

/// A TOML value, or something that looks like one: numbers at and around every limit,
/// huge and negative ones, floats, strings the schema knows and others, booleans, arrays,
/// inline tables, dates, deep nesting and broken syntax.
fn value() -> impl Strategy<Value = String> {
    const INTERESTING: &[&str] = &[
        "0",
        "1",
        "2",
        "3",
        "4",
        "7",
        "8",
        "16",
        "17",
        "50",
        "51",
        "255",
        "256",
        "1000",
        "1001",
        "-1",
        "-0",
        "+1",
        "0x10",
        "0o7",
        "0b1",
        "1_000",
        "9223372036854775807",
        "-9223372036854775808",
        "9223372036854775808",
        "99999999999999999999",
        "-99999999999999999999",
        "0.5",
        "1.0",
        "-0.0",
        "1e308",
        "1e400",
        "nan",
        "inf",
        "-inf",
        "true",
        "false",
        "\"majority\"",
        "\"pv0\"",
        "\"pv1\"",
        "\"pv2\"",
        "\"3.4.0-rc3\"",
        "\"4.0\"",
        "\"9.9\"",
        "\"whole\"",
        "\"any_prefix\"",
        "\"atomic\"",
        "\"actor\"",
        "\"holds\"",
        "\"violated\"",
        "\"reachable\"",
        "\"unreachable\"",
        "\"\"",
        "''",
        "'''multi\nline'''",
        "\"\\u00e9\"",
        "\"\\uD800\"",
        "\"unterminated",
        "[]",
        "[1, 2, 3]",
        "[\"majority\"]",
        "[[1], [2]]",
        "{}",
        "{ votes = 0, priority = 0 }",
        "{ w = \"majority\" }",
        "1979-05-27",
        "1979-05-27T07:32:00Z",
        "07:32:00",
        "=",
        "",
    ];
    prop_oneof![
        12 => prop::sample::select(INTERESTING).prop_map(str::to_string),
        4 => any::<i64>().prop_map(|n| n.to_string()),
        2 => any::<f64>().prop_map(|x| format!("{x:?}")),
        2 => "[a-z\"' ]{0,12}".prop_map(|s| format!("\"{s}\"")),
        1 => prop_oneof![
            (1usize..3000).prop_map(|depth| format!("{}1{}", "[".repeat(depth), "]".repeat(depth))),
            (1usize..3000).prop_map(|depth| format!("{}1{}", "{a=".repeat(depth), "}".repeat(depth))),
        ],
        1 => "\\PC{0,20}",
    ]
}

/// A table header the schema knows, or one it does not.
fn header() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(
            &[
                "[[members]]",
                "[members]",
                "[workload]",
                "[[workload]]",
                "[faults]",
                "[bounds]",
                "[variant]",
                "[pv0]",
                "[expect]",
                "[settings]",
                "[workload.w]",
                "[members.votes]",
                "[[expect]]",
                "[]",
                "[[",
            ][..]
        )
        .prop_map(str::to_string),
        "[a-z_.]{1,12}".prop_map(|t| format!("[{t}]")),
    ]
}

/// A line of a model file: `key = value`, a table header, a comment, or junk.
fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        5 => (key(), value()).prop_map(|(k, v)| format!("{k} = {v}")),
        2 => header(),
        1 => Just("# a comment".to_string()),
        1 => "\\PC{0,30}",
    ]
}

/// A value a model could well have: small numbers, booleans and the names the schema
/// knows, so that mutated models often stay valid and get checked.
fn plausible_value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (0u8..=5).prop_map(|n| n.to_string()),
        2 => any::<bool>().prop_map(|b| b.to_string()),
        1 => prop::sample::select(
            &["\"majority\"", "\"pv0\"", "\"pv1\"", "\"holds\"", "\"violated\"", "\"reachable\"", "\"unreachable\"", "0.5"][..]
        )
        .prop_map(str::to_string),
    ]
}

/// One change to a model file's bytes.
#[derive(Clone, Debug)]
enum Mutation {
    Delete(Index),
    Duplicate(Index),
    Swap(Index, Index),
    Insert(Index, String),
    ReplaceValue(Index, String),
    ReplaceKey(Index, String),
    Truncate(Index),
    Bytes(Index, Vec<u8>),
    /// Replace the value of the chosen line (or the next with one) by another of the same
    /// type: a small number for a number, the other boolean, another verdict or name.
    Nudge(Index, Index),
}

/// Mutations, weighted towards the ones that keep the file TOML and break its meaning.
fn mutation() -> impl Strategy<Value = Mutation> {
    let bytes = prop_oneof![
        Just(vec![0xff]),
        Just(vec![0xc3]),
        Just(vec![0xed, 0xa0, 0x80]),
        Just(vec![0]),
        Just(vec![b'\r']),
        Just(vec![0xef, 0xbb, 0xbf]),
        prop::collection::vec(any::<u8>(), 1..8),
    ];
    prop_oneof![
        2 => any::<Index>().prop_map(Mutation::Delete),
        2 => any::<Index>().prop_map(Mutation::Duplicate),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::Swap(a, b)),
        3 => (any::<Index>(), line()).prop_map(|(i, l)| Mutation::Insert(i, l)),
        4 => (any::<Index>(), value()).prop_map(|(i, v)| Mutation::ReplaceValue(i, v)),
        6 => (any::<Index>(), plausible_value()).prop_map(|(i, v)| Mutation::ReplaceValue(i, v)),
        2 => (any::<Index>(), key()).prop_map(|(i, k)| Mutation::ReplaceKey(i, k)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        1 => (any::<Index>(), bytes).prop_map(|(i, b)| Mutation::Bytes(i, b)),
    ]
}

/// Mutations that keep the file TOML and often keep the model valid: lines deleted,
/// duplicated or swapped, plausible values and keys.
fn gentle_mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        1 => any::<Index>().prop_map(Mutation::Delete),
        1 => any::<Index>().prop_map(Mutation::Duplicate),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::Swap(a, b)),
        2 => (any::<Index>(), plausible_value()).prop_map(|(i, v)| Mutation::ReplaceValue(i, v)),
        6 => (any::<Index>(), any::<Index>()).prop_map(|(i, v)| Mutation::Nudge(i, v)),
        2 => (any::<Index>(), key(), plausible_value())
            .prop_map(|(i, k, v)| Mutation::Insert(i, format!("{k} = {v}"))),
    ]
}

/// The line with a value (`key = value`) at or nearest after the chosen one, if any.
fn line_with_value(lines: &[Vec<u8>], i: Index) -> Option<usize> {
    let n = lines.len();
    let start = i.index(n);
    (0..n)
        .map(|k| (start + k) % n)
        .find(|&k| lines[k].contains(&b'='))
}

/// `line` (`key = value`) with its value replaced.
fn set_value(line: &mut Vec<u8>, value: &str) {
    let eq = line.iter().position(|&b| b == b'=').unwrap_or(0);
    line.truncate(eq + 1);
    line.push(b' ');
    line.extend_from_slice(value.as_bytes());
}

/// Another value of the same type as `old`, if it has a type this knows.
fn nudged(old: &str, choice: Index) -> Option<String> {
    const VERDICTS: &[&str] = &[
        "\"holds\"",
        "\"violated\"",
        "\"reachable\"",
        "\"unreachable\"",
    ];
    const NAMES: &[&str] = &[
        "\"majority\"",
        "\"pv0\"",
        "\"pv1\"",
        "\"3.6\"",
        "\"whole\"",
        "\"atomic\"",
        "\"actor\"",
    ];
    let value = old.split('#').next().unwrap_or("").trim();
    if value.parse::<i64>().is_ok() {
        return Some(choice.index(6).to_string());
    }
    match value {
        "true" => Some("false".into()),
        "false" => Some("true".into()),
        v if VERDICTS.contains(&v) => Some(choice.get(VERDICTS).to_string()),
        v if NAMES.contains(&v) => Some(choice.get(NAMES).to_string()),
        _ => None,
    }
}

/// `text` with `m` applied.
fn mutate(text: &[u8], m: &Mutation) -> Vec<u8> {
    let mut lines: Vec<Vec<u8>> = text.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    let n = lines.len();
    match m {
        Mutation::Delete(i) => {
            lines.remove(i.index(n));
        }
        Mutation::Duplicate(i) => {
            let at = i.index(n);
            lines.insert(at, lines[at].clone());
        }
        Mutation::Swap(a, b) => lines.swap(a.index(n), b.index(n)),
        Mutation::Insert(i, line) => lines.insert(i.index(n + 1), line.clone().into_bytes()),
        Mutation::ReplaceValue(i, value) => {
            if let Some(at) = line_with_value(&lines, *i) {
                set_value(&mut lines[at], value);
            }
        }
        Mutation::Nudge(i, choice) => {
            if let Some(at) = line_with_value(&lines, *i) {
                let eq = lines[at].iter().position(|&b| b == b'=').unwrap_or(0);
                let old = String::from_utf8_lossy(&lines[at][eq + 1..])
                    .trim()
                    .to_string();
                if let Some(new) = nudged(&old, *choice) {
                    set_value(&mut lines[at], &new);
                }
            }
        }
        Mutation::ReplaceKey(i, key) => {
            let at = i.index(n);
            let rest = match lines[at].iter().position(|&b| b == b'=') {
                Some(eq) => lines[at][eq..].to_vec(),
                None => b"= 1".to_vec(),
            };
            lines[at] = [key.as_bytes(), b" ", &rest].concat();
        }
        Mutation::Truncate(i) => {
            let mut all = lines.join(&b'\n');
            all.truncate(i.index(all.len() + 1));
            return all;
        }
        Mutation::Bytes(i, bytes) => {
            let mut all = lines.join(&b'\n');
            let at = i.index(all.len() + 1);
            all.splice(at..at, bytes.iter().copied());
            return all;
        }
    }
    lines.join(&b'\n')
}

/// A file's bytes, shown as text (with escapes) when a case fails.
#[derive(Clone)]
struct Text(Vec<u8>);

impl std::fmt::Debug for Text {
    /// The bytes as a string literal, escaping what is not printable ASCII.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "b\"{}\"", self.0.escape_ascii())
    }
}

/// The text of a model file: mostly a bundled model mutated, sometimes random TOML lines,
/// characters or bytes.
fn model_text(models: &'static [(PathBuf, Vec<u8>)]) -> impl Strategy<Value = Text> {
    let apply = |((_, text), mutations): ((PathBuf, Vec<u8>), Vec<Mutation>)| {
        mutations
            .iter()
            .fold(text.clone(), |text, m| mutate(&text, m))
    };
    let gentle = (
        prop::sample::select(models),
        prop::collection::vec(gentle_mutation(), 1..3),
    )
        .prop_map(apply);
    let wild = (
        prop::sample::select(models),
        prop::collection::vec(mutation(), 1..4),
    )
        .prop_map(apply);
    let two = (
        prop::sample::select(models),
        prop::sample::select(models),
        any::<Index>(),
    )
        .prop_map(|((_, a), (_, b), cut)| {
            let mut text = a[..cut.index(a.len() + 1)].to_vec();
            text.extend_from_slice(&b);
            text
        });
    let lines =
        prop::collection::vec(line(), 0..25).prop_map(|lines| lines.join("\n").into_bytes());
    let members = (1usize..60, prop::collection::vec(line(), 0..8)).prop_map(|(n, rest)| {
        let mut text = "[[members]]\n".repeat(n);
        text.push_str(&rest.join("\n"));
        text.into_bytes()
    });
    prop_oneof![
        14 => gentle,
        8 => wild,
        1 => Just(Vec::new()),
        1 => two,
        3 => lines,
        1 => members,
        1 => "[\\[\\]=\"'a-z0-9_ .,\n#{}+-]{0,200}".prop_map(String::into_bytes),
        1 => prop::collection::vec(any::<u8>(), 0..300),
    ]
    .prop_map(Text)
}

/// A file name for a model: usually plain, sometimes with spaces, non-ASCII characters,
/// no extension, or bytes that are not UTF-8.
fn model_name() -> impl Strategy<Value = OsString> {
    prop_oneof![
        6 => Just(OsString::from(".toml")),
        1 => Just(OsString::from(" with space.toml")),
        1 => Just(OsString::from("-ünï.toml")),
        1 => Just(OsString::from("")),
        1 => Just(OsString::from_vec(b"-\xff\xfe.toml".to_vec())),
    ]
}

/// Flags `check` takes that change what it prints or writes, valid ones only.
fn check_flags() -> impl Strategy<Value = Vec<String>> {
    (
        prop::sample::select(&["text", "json"][..]),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        1..=MAX_STATES,
        prop::option::of(0..40u32),
    )
        .prop_map(
            |(format, no_symmetry, full_states, mermaid, max_states, max_depth)| {
                let mut flags = vec![
                    "--threads".to_string(),
                    "1".to_string(),
                    "--max-states".to_string(),
                    max_states.to_string(),
                    "--format".to_string(),
                    format.to_string(),
                ];
                if no_symmetry {
                    flags.push("--no-symmetry".into());
                }
                // Both shape the text report; with JSON they are refused (a usage error).
                if full_states && format == "text" {
                    flags.push("--full-states".into());
                }
                if mermaid && format == "text" {
                    flags.extend(["--diagram".into(), "mermaid".into()]);
                }
                if let Some(depth) = max_depth {
                    flags.extend(["--max-depth".into(), depth.to_string()]);
                }
                flags
            },
        )
}

/// A model file written to the scratch directory, `check`ed (with traces written), and
/// `list`ed; every trace it wrote replays, as written and mutated.
fn model_case(
    text: &[u8],
    name: &OsString,
    flags: &[String],
    trace_mutations: &[TraceMutation],
) -> Result<(), TestCaseError> {
    let mut file_name = unique("").into_os_string();
    file_name.push(name);
    let file = PathBuf::from(file_name);
    std::fs::write(&file, text).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let traces = unique("-traces");
    let mut args: Vec<OsString> = std::iter::once("check".into())
        .chain(flags.iter().map(OsString::from))
        .collect();
    args.extend(["--trace-dir".into(), traces.clone().into_os_string()]);
    args.push(file.clone().into_os_string());
    let ended = replcheck(&args)?;
    prop_assert!(
        !matches!(ended, Ended::Parse(_)),
        "valid flags refused: {args:?}: {ended:?}"
    );
    assert_sane(&args, &ended, std::slice::from_ref(&file))?;
    if let Some(code) = exit_code(&ended).and_then(|c| usize::try_from(c).ok()) {
        if let Some(count) = TALLY.get(code) {
            count.fetch_add(1, Ordering::Relaxed);
        }
    }

    let list = vec!["list".into(), file.clone().into_os_string()];
    let listed = replcheck(&list)?;
    assert_sane(&list, &listed, std::slice::from_ref(&file))?;
    // `list` and `check` read the file the same way.
    prop_assert_eq!(
        matches!(listed, Ended::Failed(_)),
        matches!(ended, Ended::Failed(_)),
        "list {:?} and check {:?} disagree",
        listed,
        ended
    );

    // A trace that check wrote replays as written.
    let written: Vec<PathBuf> = std::fs::read_dir(&traces)
        .map(|entries| {
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.to_string_lossy().ends_with(".json")
                        && !p.to_string_lossy().ends_with(".itf.json")
                })
                .collect();
            found.sort();
            found
        })
        .unwrap_or_default();
    for trace in written.iter().take(2) {
        let args = vec!["replay".into(), trace.clone().into_os_string()];
        let ended = replcheck(&args)?;
        assert_sane(&args, &ended, &[trace.clone(), file.clone()])?;
        // A trace records its model file's path as text: one that is not UTF-8 cannot be
        // found again.
        prop_assert!(
            matches!(ended, Ended::Code(0)) || file.to_str().is_none(),
            "a trace check wrote does not replay: {args:?}: {ended:?}"
        );
        REPLAYED.fetch_add(1, Ordering::Relaxed);
        trace_case(trace, &file, trace_mutations)?;
    }
    let _ = std::fs::remove_dir_all(&traces);
    let _ = std::fs::remove_file(&file);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Trace files

/// One change to a trace file.
#[derive(Clone, Debug)]
enum TraceMutation {
    /// Replace the value at one of the document's paths.
    Replace(Index, Value),
    /// Remove the value at one of the document's paths.
    Remove(Index),
    /// Keep the first steps only.
    Shorten(Index),
    /// Swap two steps.
    SwapSteps(Index, Index),
    /// Cut the JSON text short.
    Truncate(Index),
}

/// A JSON value of any kind, with numbers at the edges.
fn json_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        prop::sample::select(&[0u64, 1, 2, 3, 255, 256, u64::MAX][..]).prop_map(Value::from),
        (-1e300f64..1e300).prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
        prop::sample::select(
            &[
                "replcheck-trace",
                "election_safety",
                "log_matching",
                "no_such_property",
                "violated",
                "models/pss-w1.toml",
                "models/static-raft.toml",
                "/nonexistent.toml",
            ][..]
        )
        .prop_map(Value::from),
        prop::collection::vec(any::<i64>().prop_map(Value::from), 0..4).prop_map(Value::from),
        Just(Value::Object(serde_json::Map::new())),
    ]
}

/// Trace-file mutations.
fn trace_mutation() -> impl Strategy<Value = TraceMutation> {
    prop_oneof![
        6 => (any::<Index>(), json_value()).prop_map(|(i, v)| TraceMutation::Replace(i, v)),
        2 => any::<Index>().prop_map(TraceMutation::Remove),
        1 => any::<Index>().prop_map(TraceMutation::Shorten),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| TraceMutation::SwapSteps(a, b)),
        1 => any::<Index>().prop_map(TraceMutation::Truncate),
    ]
}

/// Every JSON pointer in `value`, the root first.
fn pointers(value: &Value, at: String, found: &mut Vec<String>) {
    found.push(at.clone());
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                pointers(
                    v,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    found,
                );
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                pointers(v, format!("{at}/{i}"), found);
            }
        }
        _ => {}
    }
}

/// The trace file's text with `mutations` applied.
fn mutate_trace(text: &str, mutations: &[TraceMutation]) -> Vec<u8> {
    let Ok(mut doc) = serde_json::from_str::<Value>(text) else {
        return text.as_bytes().to_vec();
    };
    for m in mutations {
        let mut paths = Vec::new();
        pointers(&doc, String::new(), &mut paths);
        match m {
            TraceMutation::Replace(i, v) => {
                let path = &paths[i.index(paths.len())];
                if let Some(slot) = doc.pointer_mut(path) {
                    *slot = v.clone();
                }
            }
            TraceMutation::Remove(i) => {
                let path = paths[i.index(paths.len())].clone();
                if let Some((parent, key)) = path.rsplit_once('/') {
                    match doc.pointer_mut(parent) {
                        Some(Value::Object(map)) => {
                            map.remove(&key.replace("~1", "/").replace("~0", "~"));
                        }
                        Some(Value::Array(items)) => {
                            if let Ok(k) = key.parse::<usize>() {
                                if k < items.len() {
                                    items.remove(k);
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            TraceMutation::Shorten(i) => {
                if let Some(Value::Array(steps)) = doc.get_mut("steps") {
                    let keep = i.index(steps.len() + 1);
                    steps.truncate(keep);
                }
            }
            TraceMutation::SwapSteps(a, b) => {
                if let Some(Value::Array(steps)) = doc.get_mut("steps") {
                    if !steps.is_empty() {
                        let n = steps.len();
                        steps.swap(a.index(n), b.index(n));
                    }
                }
            }
            TraceMutation::Truncate(i) => {
                let mut bytes = doc.to_string().into_bytes();
                bytes.truncate(i.index(bytes.len() + 1));
                return bytes;
            }
        }
    }
    doc.to_string().into_bytes()
}

/// `trace` (written for `model`) mutated and replayed.
fn trace_case(
    trace: &Path,
    model: &Path,
    mutations: &[TraceMutation],
) -> Result<(), TestCaseError> {
    let Ok(text) = std::fs::read_to_string(trace) else {
        return Ok(());
    };
    let mutated = mutate_trace(&text, mutations);
    let file = unique("-mutated.json");
    std::fs::write(&file, &mutated).map_err(|e| TestCaseError::fail(e.to_string()))?;
    // The model file the mutated trace names, if it still names one.
    let mut files = vec![file.clone(), model.to_path_buf()];
    if let Some(named) = serde_json::from_slice::<Value>(&mutated)
        .ok()
        .and_then(|doc| doc["model_file"].as_str().map(PathBuf::from))
    {
        files.push(named);
    }
    let args = vec!["replay".into(), file.clone().into_os_string()];
    let ended = replcheck(&args)?;
    assert_sane(&args, &ended, &files)?;
    let _ = std::fs::remove_file(&file);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Command lines

/// A token of a command line: a real flag with a good or bad value, a junk flag, a
/// positional argument (a file that exists or not), or junk.
fn token(files: Vec<OsString>) -> impl Strategy<Value = Vec<OsString>> {
    let flag = prop::sample::select(
        &[
            "--threads",
            "--format",
            "--no-symmetry",
            "--max-states",
            "--max-depth",
            "--timeout",
            "--max-memory",
            "--full-states",
            "--diagram",
            "--trace-dir",
            "--junit",
            "--addr",
            "--trace",
            "--only",
            "--all",
            "--output",
            "--bench",
            "--help",
            "-h",
            "--version",
            "-V",
        ][..],
    );
    let flag_value = prop_oneof![
        prop::sample::select(
            &[
                "0",
                "1",
                "2",
                "256",
                "257",
                "99999",
                "-1",
                "1,2",
                "1,,2",
                "0,1",
                "18446744073709551615",
                "18446744073709551616",
                "1e3",
                "0.5",
                "nan",
                "inf",
                "1e400",
                "-0",
                "0.000001",
                "text",
                "json",
                "xml",
                "JSON",
                "mermaid",
                "dot",
                "127.0.0.1:0",
                "localhost:3000",
                "[::1]:0",
                "999.0.0.1:80",
                "atomic",
                "",
                "-",
                "--",
                "/dev/null/x",
                "/proc/replcheck-fuzz/x",
            ][..]
        )
        .prop_map(OsString::from),
        "\\PC{0,10}".prop_map(OsString::from),
        prop::sample::select(files.clone()),
    ];
    prop_oneof![
        4 => (flag.clone(), flag_value.clone()).prop_map(|(f, v)| vec![OsString::from(f), v]),
        2 => (flag.clone(), flag_value).prop_map(|(f, v)| {
            let mut joined = OsString::from(f);
            joined.push("=");
            joined.push(v);
            vec![joined]
        }),
        2 => flag.prop_map(|f| vec![OsString::from(f)]),
        3 => prop::sample::select(files).prop_map(|f| vec![f]),
        1 => "--[a-z-]{1,12}".prop_map(|f| vec![OsString::from(f)]),
        1 => "-[a-zA-Z]{1,3}".prop_map(|f| vec![OsString::from(f)]),
        1 => "\\PC{0,12}".prop_map(|s| vec![OsString::from(s)]),
        1 => Just(vec![OsString::from("--")]),
        1 => Just(vec![OsString::from_vec(b"\xff\xfe".to_vec())]),
    ]
}

/// A command line: a subcommand (or a junk one, or none) and a few tokens.
fn command_line(files: Vec<OsString>) -> impl Strategy<Value = Vec<OsString>> {
    let subcommand = prop_oneof![
        4 => Just("check"),
        2 => Just("list"),
        2 => Just("replay"),
        2 => Just("serve"),
        1 => Just("bench"),
        1 => Just("report"),
        1 => Just("help"),
        1 => Just("frobnicate"),
        1 => Just(""),
    ];
    (subcommand, prop::collection::vec(token(files), 0..6)).prop_map(|(sub, tokens)| {
        let mut args: Vec<OsString> = Vec::new();
        if !sub.is_empty() {
            args.push(sub.into());
        }
        args.extend(tokens.into_iter().flatten());
        args
    })
}

/// The files command lines name: bundled models, a trace, a directory, paths that do not
/// exist, and a file that is not a model.
fn command_line_files() -> Vec<OsString> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let model = root.join("models/bugs/arbiter-stands.toml");
    let traces = unique("-cli-traces");
    let written = replcheck(&[
        "check".into(),
        "--threads".into(),
        "1".into(),
        "--trace-dir".into(),
        traces.clone().into_os_string(),
        model.clone().into_os_string(),
    ]);
    // 757 states: complete within the fuzzer's state limit.
    assert!(
        matches!(written, Ok(Ended::Code(0))),
        "arbiter-stands checks: {written:?}"
    );
    let trace = traces.join("arbiter-stands.arbiter_never_primary.json");
    assert!(trace.exists(), "{}", trace.display());
    let not_a_model = unique("-not-a-model.toml");
    std::fs::write(&not_a_model, "this is = = not toml\n").expect("a scratch file");
    [
        model,
        root.join("models/static-raft.toml"),
        root.join("models/pss-w1.toml"),
        trace,
        traces.clone(),
        root.join("models"),
        root.join("no/such/model.toml"),
        not_a_model,
        PathBuf::from(""),
    ]
    .into_iter()
    .map(PathBuf::into_os_string)
    .collect()
}

/// The files a command line names, for `assert_sane`: every argument (and every part
/// after an `=`), and the model file a trace file names.
fn named_files(args: &[OsString]) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = Vec::new();
    for arg in args {
        files.push(PathBuf::from(arg));
        if let Some((_, value)) = arg.to_string_lossy().split_once('=') {
            files.push(PathBuf::from(value));
        }
    }
    let named: Vec<PathBuf> = files
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .filter_map(|text| serde_json::from_str::<Value>(&text).ok())
        .filter_map(|doc| doc["model_file"].as_str().map(PathBuf::from))
        .collect();
    files.extend(named);
    files
}

// ---------------------------------------------------------------------------------------
// The test

/// One test for all three kinds, so that standard output is silenced once, around all of
/// them, and the harness's own lines are not lost.
#[test]
fn bad_input_never_panics_hangs_or_exits_outside_0_to_3() {
    let models: &'static [(PathBuf, Vec<u8>)] = Box::leak(bundled().into_boxed_slice());
    let silenced = Silenced::stdout();
    let started = Instant::now();

    let mut runs = runner(DEFAULT_CASES);
    let files = runs.run(
        &(
            model_text(models),
            model_name(),
            check_flags(),
            prop::collection::vec(trace_mutation(), 1..4),
        ),
        |(text, name, flags, trace_mutations)| model_case(&text.0, &name, &flags, &trace_mutations),
    );
    let model_seconds = started.elapsed().as_secs_f64();

    let lines = command_line_files();
    let mut runs = runner(DEFAULT_CASES * 2);
    let command_lines = runs.run(&command_line(lines), |args| {
        let ended = replcheck(&args)?;
        assert_sane(&args, &ended, &named_files(&args))
    });

    drop(silenced);
    let _ = std::fs::remove_dir_all(scratch());
    let tally: Vec<usize> = TALLY.iter().map(|c| c.load(Ordering::Relaxed)).collect();
    if let Ok(Some((took, args))) = SLOWEST.lock().as_deref() {
        eprintln!(
            "fuzz: the slowest case took {:.2} s: {args}",
            took.as_secs_f64()
        );
    }
    eprintln!(
        "fuzz: model files checked in {model_seconds:.1} s, exit codes 0/1/2/3/4: {tally:?}, {} traces replayed; command lines too in {:.1} s",
        REPLAYED.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64()
    );
    if let Err(e) = files {
        panic!("model files: {e}");
    }
    if let Err(e) = command_lines {
        panic!("command lines: {e}");
    }
}
