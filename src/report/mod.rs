//! Everything replcheck prints, for any level: the text report (`text`: the results
//! table, verdicts and counterexamples, and the list of models), the same as JSON
//! (`json`), the benchmark table (`bench`), trace files (`tracefile`, `itf`), diagrams
//! (`mermaid`), JUnit (`junit`) and REPORT.md's generated part (`markdown`).

pub mod bench;
pub mod itf;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod mermaid;
pub mod text;
pub mod trace;
pub mod tracefile;

pub use bench::{bench_footer, bench_header, bench_row};
pub use json::json;
pub use text::{list, peak_memory_line, text, TextOptions};

use crate::check::{on_run, ModelResult, Outcome, Run};
use crate::config::ModelSpec;
use crate::error::exit;
use crate::level::{Level, Rendered};
use crate::search::Stop;

/// The exit code for a set of results: 1 if some decided property missed its expectation,
/// else 3 if some run was cut short, else 0.
pub fn exit_code(results: &[Run]) -> i32 {
    let failed = results.iter().any(|run| {
        on_run!(run, r => r
            .properties
            .iter()
            .any(|p| p.outcome != Outcome::Inconclusive && !p.ok()))
    });
    let broken = results
        .iter()
        .any(|run| on_run!(run, r => r.properties.iter().any(|p| p.failure.is_some())));
    if broken {
        exit::BAD_INPUT
    } else if failed {
        exit::EXPECTATION_FAILED
    } else if results.iter().any(|r| !r.complete()) {
        exit::INCOMPLETE
    } else {
        exit::OK
    }
}

/// What stopped a run and how far it got.
pub(crate) fn stopped<M: Rendered>(stop: Stop, r: &ModelResult<M>) -> String {
    format!(
        "exploration stopped at {stop} after {:.1} s, {} states generated ({} unique, depth {}), before it was complete: properties it had not settled are inconclusive",
        r.seconds,
        thousands(r.states),
        thousands(r.unique_states),
        r.max_depth
    )
}

/// A probability in scientific notation ("3.1e-8"), or "below 1e-300".
pub(crate) fn probability(p: f64) -> String {
    if p < 1e-300 {
        "below 1e-300".into()
    } else {
        format!("{p:.1e}")
    }
}

/// "1,234,567".
pub(crate) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The workload, faults and bounds of a model in one line.
pub fn scenario(spec: &ModelSpec) -> String {
    crate::with_level!(spec.level, M => M::scenario(&spec.settings, &spec.level))
}

pub(crate) fn megabytes(bytes: u64) -> String {
    format!("{:.0} MB", bytes as f64 / 1e6)
}
