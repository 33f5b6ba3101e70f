//! `replcheck bench`: the checker measured on the benchmark models, each run in a fresh
//! process (`replcheck check FILE --format json`) so that its peak memory is its own.
//!
//! The benchmarks: the atomic level against TLC's MongoStaticRaft figures (with and
//! without symmetry), the actor level's growth with the number of members and with the
//! term bound, every bundled actor-level model, and (heavy) the realistic set of
//! `models/bench/realistic/`: the model files a MongoDB engineer writes first. Every
//! benchmark runs with each thread count asked for (default: 1 and the machine's cores),
//! so that the speed-up of a second thread and the sameness of verdicts across thread
//! counts show in one table; with `--against BINARY`, each run is also made with another
//! replcheck executable, side by side, and the table gives the ratio.

use crate::error::Error;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// One benchmark: a model file and whether symmetry reduction is on.
pub struct Benchmark {
    pub name: &'static str,
    pub file: &'static str,
    pub symmetry: bool,
    /// What it measures, for the table's readers.
    pub about: &'static str,
    /// Minutes rather than seconds: run only with `bench --all`.
    pub heavy: bool,
}

/// The benchmarks, in the order they run.
pub const BENCHMARKS: &[Benchmark] = &[
    Benchmark {
        name: "atomic-3x4x4",
        file: "models/static-raft.toml",
        symmetry: false,
        heavy: false,
        about:
            "atomic level, 3 members, terms and oplogs up to 4: TLC's MongoStaticRaft configuration",
    },
    Benchmark {
        name: "atomic-3x4x4-sym",
        file: "models/static-raft.toml",
        symmetry: true,
        heavy: false,
        about: "the same up to renaming of members (TLC with SYMMETRY: 180,745)",
    },
    Benchmark {
        name: "actor-3-members",
        file: "models/bench/members-3.toml",
        symmetry: true,
        heavy: false,
        about: "actor level, 1 w:majority write, term 1: 3 members",
    },
    Benchmark {
        name: "actor-4-members",
        file: "models/bench/members-4.toml",
        symmetry: true,
        heavy: false,
        about: "the same with 4 members",
    },
    Benchmark {
        name: "actor-5-members",
        file: "models/bench/members-5.toml",
        symmetry: true,
        heavy: true,
        about: "the same with 5 members",
    },
    Benchmark {
        name: "own-property-base",
        file: "models/bench/own-property-base.toml",
        symmetry: true,
        heavy: false,
        about: "PSA with a priority-2 member, 1 w:majority write, terms up to 2",
    },
    Benchmark {
        name: "own-property",
        file: "models/bench/own-property.toml",
        symmetry: true,
        heavy: false,
        about: "the same with one property of its own (CEL) evaluated on every new state",
    },
    Benchmark {
        name: "actor-term-2",
        file: "models/bench/terms-2.toml",
        symmetry: true,
        heavy: false,
        about: "actor level, 3 members, elections only: terms up to 2",
    },
    Benchmark {
        name: "actor-term-3",
        file: "models/bench/terms-3.toml",
        symmetry: true,
        heavy: false,
        about: "the same with terms up to 3",
    },
    Benchmark {
        name: "actor-term-4",
        file: "models/bench/terms-4.toml",
        symmetry: true,
        heavy: true,
        about: "the same with terms up to 4",
    },
    Benchmark {
        name: "pss-majority",
        file: "models/pss-majority.toml",
        symmetry: true,
        heavy: false,
        about: "bundled: PSS, 1 w:majority write, one failover",
    },
    Benchmark {
        name: "pss-w1",
        file: "models/pss-w1.toml",
        symmetry: true,
        heavy: false,
        about: "bundled: PSS, 1 w:1 write, one failover (the largest bundled model)",
    },
    Benchmark {
        name: "two-members",
        file: "models/two-members.toml",
        symmetry: true,
        heavy: false,
        about: "bundled: PS, two members",
    },
    Benchmark {
        name: "psa-majority",
        file: "models/psa-majority.toml",
        symmetry: true,
        heavy: false,
        about: "bundled: PSA, w:majority, one crash in all",
    },
    Benchmark {
        name: "majority-journaled",
        file: "models/majority-journaled.toml",
        symmetry: true,
        heavy: false,
        about: "bundled: journaling (seed 003), w:majority",
    },
    Benchmark {
        name: "majority-unjournaled",
        file: "models/majority-unjournaled.toml",
        symmetry: true,
        heavy: false,
        about: "bundled: journaling (seed 003), writeConcernMajorityJournalDefault false",
    },
    Benchmark {
        name: "majority-j",
        file: "models/majority-j.toml",
        symmetry: true,
        heavy: false,
        about: "bundled: journaling (seed 003), w:majority with j:true",
    },
    Benchmark {
        name: "jepsen-3.4.0-rc3",
        file: "models/jepsen-3.4.0-rc3.toml",
        symmetry: true,
        heavy: false,
        about: "bundled: MongoDB 3.4.0-rc3's rules (Jepsen)",
    },
    Benchmark {
        name: "five-members",
        file: "models/five-members.toml",
        symmetry: true,
        heavy: false,
        about: "bundled: five members",
    },
    Benchmark {
        name: "pv0-majority",
        file: "models/pv0-majority.toml",
        symmetry: true,
        heavy: false,
        about: "bundled: protocol version 0",
    },
    Benchmark {
        name: "realistic-ps",
        file: "models/bench/realistic/ps.toml",
        symmetry: true,
        heavy: true,
        about: "PS with MongoDB's defaults: 2 w:majority writes, chaining, terms up to 3, one member down at a time, message loss",
    },
    Benchmark {
        name: "realistic-psa",
        file: "models/bench/realistic/psa.toml",
        symmetry: true,
        heavy: true,
        about: "PSA, the same",
    },
    Benchmark {
        name: "realistic-pss",
        file: "models/bench/realistic/pss.toml",
        symmetry: true,
        heavy: true,
        about: "PSS, the same",
    },
    Benchmark {
        name: "realistic-pss-w1",
        file: "models/bench/realistic/pss-w1.toml",
        symmetry: true,
        heavy: true,
        about: "PSS with 2 w:1 writes (a loss is expected)",
    },
    Benchmark {
        name: "realistic-pss-priority0",
        file: "models/bench/realistic/pss-priority0.toml",
        symmetry: true,
        heavy: true,
        about: "PSS with a priority-0 member",
    },
    Benchmark {
        name: "realistic-pss-nonvoting",
        file: "models/bench/realistic/pss-nonvoting.toml",
        symmetry: true,
        heavy: true,
        about: "PSS plus a non-voting member",
    },
    Benchmark {
        name: "realistic-bug-fetch",
        file: "models/bench/realistic/bugs/fetch-consistency-check.toml",
        symmetry: true,
        heavy: true,
        about: "realistic PSS with the fetcher's consistency check off: how soon the violation is met",
    },
    Benchmark {
        name: "realistic-bug-vote",
        file: "models/bench/realistic/bugs/durable-vote.toml",
        symmetry: true,
        heavy: true,
        about: "realistic PSS with votes forgotten in restarts: how soon the violation is met",
    },
    Benchmark {
        name: "psssa-faults",
        file: "models/extended/psssa-majority-faults.toml",
        symmetry: true,
        heavy: true,
        about: "five members: PSSSA, 1 w:majority write, one crash in all, message loss, term 1",
    },
];

/// One benchmark run's figures, as its `check --format json` reported them.
pub struct Measurement {
    pub benchmark: &'static Benchmark,
    /// The executable measured: `None` for this one, or the one given to `--against`.
    pub against: Option<PathBuf>,
    pub threads: usize,
    pub unique_states: u64,
    pub states: u64,
    pub seconds: f64,
    pub peak_memory_bytes: Option<u64>,
    /// Every expectation met and the run complete.
    pub ok: bool,
    /// The run explored every state (it was not stopped by `--timeout`).
    pub complete: bool,
    /// Each property's outcome, in order, to compare across thread counts.
    pub outcomes: Vec<String>,
    /// The earliest moment (seconds into the search) a violated always-property was
    /// met, if one was and the executable reports it.
    pub first_violation: Option<f64>,
}

/// How to run a benchmark: which executable (`against`: another replcheck, or this
/// one), on how many threads, with which time limit, and in which search order (the
/// value of `check --order`; the executable's default if `None`).
pub struct RunWith<'a> {
    pub exe: &'a Path,
    pub against: Option<&'a Path>,
    pub threads: usize,
    pub timeout: Option<f64>,
    pub order: Option<String>,
}

/// The benchmarks whose name contains `filter` (all without one), leaving out the heavy
/// ones unless `heavy` is set or the filter names them.
pub fn select(filter: Option<&str>, heavy: bool) -> Vec<&'static Benchmark> {
    BENCHMARKS
        .iter()
        .filter(|b| filter.is_none_or(|f| b.name.contains(f)))
        .filter(|b| heavy || filter.is_some() || !b.heavy)
        .collect()
}

/// Runs one benchmark in a child process: this executable, or the one to compare with.
pub fn measure(
    root: &Path,
    benchmark: &'static Benchmark,
    with: &RunWith<'_>,
) -> Result<Measurement, Error> {
    let file: PathBuf = root.join(benchmark.file);
    let exe = with.against.unwrap_or(with.exe);
    let threads = with.threads;
    let mut command = Command::new(exe);
    command
        .arg("check")
        .arg(&file)
        .args(["--format", "json", "--threads", &threads.to_string()]);
    if !benchmark.symmetry {
        command.arg("--no-symmetry");
    }
    if let Some(timeout) = with.timeout {
        command.args(["--timeout", &timeout.to_string()]);
    }
    if let Some(order) = &with.order {
        command.args(["--order", order]);
    }
    let started = Instant::now();
    let output = command.output().map_err(|e| {
        Error::io(
            format!("run {} for benchmark {}", exe.display(), benchmark.name),
            e,
        )
    })?;
    let wall = started.elapsed().as_secs_f64();
    let failed = |why: String| {
        Error::io(
            format!("run benchmark {} ({})", benchmark.name, file.display()),
            format!("{why}: {}", String::from_utf8_lossy(&output.stderr).trim()),
        )
    };
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| failed(format!("gave no JSON report ({e})")))?;
    let model = &report["models"][0];
    let number = |key: &str| model[key].as_u64();
    let (Some(unique_states), Some(states)) = (number("unique_states"), number("states")) else {
        return Err(failed("gave an incomplete JSON report".into()));
    };
    let properties = model["properties"].as_array().cloned().unwrap_or_default();
    let outcomes = properties
        .iter()
        .map(|p| format!("{}={}", p["name"], p["outcome"]))
        .collect();
    let first_violation = properties
        .iter()
        .filter(|p| p["outcome"] == "violated")
        .filter_map(|p| p["found_after_seconds"].as_f64())
        .reduce(f64::min);
    Ok(Measurement {
        benchmark,
        against: with.against.map(Path::to_path_buf),
        threads,
        unique_states,
        states,
        seconds: model["seconds"].as_f64().unwrap_or(wall),
        peak_memory_bytes: report["peak_memory_bytes"].as_u64(),
        ok: report["ok"].as_bool() == Some(true),
        complete: model["complete"].as_bool() == Some(true),
        outcomes,
        first_violation,
    })
}
