//! `replcheck bench`: the checker measured on the benchmark models, each run in a fresh
//! process (`replcheck check FILE --format json`) so that its peak memory is its own.
//!
//! The benchmarks: the atomic level against TLC's MongoStaticRaft figures (with and
//! without symmetry), the actor level's growth with the number of members and with the
//! term bound, and the largest bundled models. Every benchmark runs with each thread count
//! asked for (default: 1 and the machine's cores), so that the speed-up of a second thread
//! and the sameness of verdicts across thread counts show in one table.

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
    pub threads: usize,
    pub unique_states: u64,
    pub states: u64,
    pub seconds: f64,
    pub peak_memory_bytes: Option<u64>,
    /// Every expectation met and the run complete.
    pub ok: bool,
    /// Each property's outcome, in order, to compare across thread counts.
    pub outcomes: Vec<String>,
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

/// Runs one benchmark in a child process of this executable.
pub fn measure(
    exe: &Path,
    root: &Path,
    benchmark: &'static Benchmark,
    threads: usize,
) -> Result<Measurement, Error> {
    let file: PathBuf = root.join(benchmark.file);
    let mut command = Command::new(exe);
    command
        .arg("check")
        .arg(&file)
        .args(["--format", "json", "--threads", &threads.to_string()]);
    if !benchmark.symmetry {
        command.arg("--no-symmetry");
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
    let outcomes = model["properties"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .map(|p| format!("{}={}", p["name"], p["outcome"]))
                .collect()
        })
        .unwrap_or_default();
    Ok(Measurement {
        benchmark,
        threads,
        unique_states,
        states,
        seconds: model["seconds"].as_f64().unwrap_or(wall),
        peak_memory_bytes: report["peak_memory_bytes"].as_u64(),
        ok: report["ok"].as_bool() == Some(true),
        outcomes,
    })
}
