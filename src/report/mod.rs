//! Everything replcheck prints: the results table, property verdicts and counterexamples as
//! text, the same as JSON, and the list of models.

pub mod itf;
pub mod junit;
pub mod markdown;
pub mod mermaid;
pub mod trace;
pub mod tracefile;

use crate::check::{on_run, ModelResult, Outcome, PropertyResult, Run};
use crate::config::{Expected, ModelSpec};
use crate::error::exit;
use crate::level::Kind;
use crate::level::{Level, Rendered};
use crate::search::{self, Stop};
use serde::Serialize;
use std::io::{self, Write};

/// The exit code for a set of results: 1 if some decided property missed its expectation,
/// else 3 if some run was cut short, else 0.
pub fn exit_code(results: &[Run]) -> i32 {
    let failed = results.iter().any(|run| {
        on_run!(run, r => r
            .properties
            .iter()
            .any(|p| p.outcome != Outcome::Inconclusive && !p.ok()))
    });
    if failed {
        exit::EXPECTATION_FAILED
    } else if results.iter().any(|r| !r.complete()) {
        exit::INCOMPLETE
    } else {
        exit::OK
    }
}

/// What stopped a run and how far it got.
fn stopped<M: Rendered>(stop: Stop, r: &ModelResult<M>) -> String {
    format!(
        "exploration stopped at {stop} after {:.1} s, {} states generated ({} unique, depth {}), before it was complete: properties it had not settled are inconclusive",
        r.seconds,
        thousands(r.states),
        thousands(r.unique_states),
        r.max_depth
    )
}

/// A probability in scientific notation ("3.1e-8"), or "below 1e-300".
fn probability(p: f64) -> String {
    if p < 1e-300 {
        "below 1e-300".into()
    } else {
        format!("{p:.1e}")
    }
}

/// "1,234,567".
fn thousands(n: usize) -> String {
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

fn verdict<M: Rendered>(r: &ModelResult<M>) -> String {
    let missed = r.properties.iter().filter(|p| !p.ok()).count();
    if !r.complete {
        "INCOMPLETE".to_string()
    } else if missed == 0 {
        "ok".to_string()
    } else {
        format!(
            "FAILED ({missed} expectation{})",
            if missed == 1 { "" } else { "s" }
        )
    }
}

/// How the text report tells counterexamples.
#[derive(Clone, Copy, Debug, Default)]
pub struct TextOptions {
    /// Every member's whole state after every step, not only what changed.
    pub full_states: bool,
    /// Draw each counterexample as a Mermaid sequence diagram after its steps.
    pub mermaid: bool,
}

/// The text report.
pub fn text(
    results: &[Run],
    threads: usize,
    options: TextOptions,
    out: &mut impl Write,
) -> io::Result<()> {
    writeln!(
        out,
        "replcheck: {} model{}, {} thread{}\n",
        results.len(),
        if results.len() == 1 { "" } else { "s" },
        threads,
        if threads == 1 { "" } else { "s" }
    )?;
    let width = results
        .iter()
        .map(|r| r.spec().name.len())
        .max()
        .unwrap_or(5)
        .max(5);
    writeln!(
        out,
        "{:<width$}  {:<7}  {:>13}  {:>12}  {:>5}  {:>8}  RESULT",
        "MODEL", "SET", "STATES", "UNIQUE", "DEPTH", "SECONDS"
    )?;
    for run in results {
        on_run!(run, r => writeln!(
            out,
            "{:<width$}  {:<7}  {:>13}  {:>12}  {:>5}  {:>8.1}  {}",
            r.spec.name,
            r.spec.settings.replset.shape(),
            thousands(r.states),
            thousands(r.unique_states),
            r.max_depth,
            r.seconds,
            verdict(r)
        ))?;
    }
    for run in results {
        on_run!(run, r => model_text(r, options, out))?;
    }
    let failed = results
        .iter()
        .filter(|run| !on_run!(run, r => r.properties.iter().all(decided)))
        .count();
    let incomplete = results.iter().filter(|r| !r.complete()).count();
    writeln!(out)?;
    if failed == 0 && incomplete == 0 {
        writeln!(out, "All expectations met.")?;
    } else if failed == 0 {
        writeln!(
            out,
            "{incomplete} of {} run{} cut short: no expectation missed, but not every property was decided.",
            results.len(),
            if incomplete == 1 { " was" } else { "s were" }
        )?;
    } else {
        writeln!(
            out,
            "{failed} of {} model{} did not meet {} expectations.",
            results.len(),
            if results.len() == 1 { "" } else { "s" },
            if failed == 1 { "its" } else { "their" }
        )?;
    }
    Ok(())
}

/// Whether a property met its expectation or was left undecided.
fn decided<M: Rendered>(p: &PropertyResult<M>) -> bool {
    p.outcome == Outcome::Inconclusive || p.ok()
}

fn model_text<M: Rendered>(
    r: &ModelResult<M>,
    options: TextOptions,
    out: &mut impl Write,
) -> io::Result<()> {
    writeln!(out)?;
    writeln!(out, "{} ({})", r.spec.name, r.spec.file.display())?;
    if !r.spec.description.is_empty() {
        writeln!(out, "  {}", r.spec.description)?;
    }
    writeln!(out, "  {}", scenario(&r.spec))?;
    if let Some(stop) = r.stop {
        writeln!(out, "  {}", stopped(stop, r))?;
    }
    if let Some(stop) = r.trace_search_stop {
        writeln!(
            out,
            "  the search for the shortest traces stopped at {stop}: violations it had not reached have no trace"
        )?;
    }
    writeln!(
        out,
        "  fingerprint collision probability {}",
        probability(search::collision_probability(r.unique_states))
    )?;
    for p in &r.properties {
        writeln!(
            out,
            "  {:<30} {:<12} expected {:<12} {}",
            p.property.info.name,
            p.outcome.to_string(),
            p.expected.to_string(),
            match (p.ok(), p.outcome) {
                (true, _) => "ok",
                (false, Outcome::Inconclusive) => "undecided",
                (false, _) => "MISMATCH",
            }
        )?;
    }
    for p in &r.properties {
        if let Some(t) = &p.trace {
            trace_text(r, p, t, options, out)?;
        }
    }
    Ok(())
}

fn trace_text<M: Rendered>(
    r: &ModelResult<M>,
    p: &PropertyResult<M>,
    t: &crate::check::Trace<M>,
    options: TextOptions,
    out: &mut impl Write,
) -> io::Result<()> {
    let what = match p.property.info.kind {
        Kind::Always => "Counterexample",
        Kind::Sometimes => "Witness",
    };
    writeln!(out)?;
    writeln!(
        out,
        "  {what} for {} ({} step{}, {}){}:",
        p.property.info.name,
        t.actions.len(),
        if t.actions.len() == 1 { "" } else { "s" },
        if t.shortest {
            "shortest"
        } else {
            "not proven shortest"
        },
        if p.ok() { ", as expected" } else { "" }
    )?;
    trace_body(r, p, t, options, out)
}

/// A trace as text: the initial state, each step with what it changed (or the whole
/// state), the story, the Explorer link and, if asked for, the Mermaid diagram.
fn trace_body<M: Rendered>(
    r: &ModelResult<M>,
    p: &PropertyResult<M>,
    t: &crate::check::Trace<M>,
    options: TextOptions,
    out: &mut impl Write,
) -> io::Result<()> {
    trace_steps(&r.model, t, options.full_states, out)?;
    writeln!(out)?;
    for line in crate::text::wrap(&r.model.story(p.property, t), 88, 0) {
        writeln!(out, "  {line}")?;
    }
    writeln!(
        out,
        "  Explore it: replcheck serve {} and open http://127.0.0.1:3000/#/steps/{}",
        r.spec.file.display(),
        t.explorer_path(&r.model)
    )?;
    if options.mermaid {
        let diagram = mermaid::diagram(&r.model, t, p.property.info.name);
        writeln!(out, "\n```mermaid\n{}\n```", diagram.trim_end())?;
    }
    Ok(())
}

/// The initial state, then each step with what it changed (or the whole state after it).
fn trace_steps<M: Rendered>(
    model: &M,
    t: &crate::check::Trace<M>,
    full_states: bool,
    out: &mut impl Write,
) -> io::Result<()> {
    for line in model.state_lines(&t.states[0]) {
        writeln!(out, "        {line}")?;
    }
    for step in trace::steps(model, t) {
        writeln!(out, "  {:>3}. {}", step.step, step.action)?;
        let lines = if full_states {
            &step.lines
        } else {
            &step.changes
        };
        for line in lines {
            writeln!(out, "        {line}")?;
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct JsonReport<'a> {
    ok: bool,
    exit_code: i32,
    /// The process's peak resident memory, where the system reports it.
    #[serde(skip_serializing_if = "Option::is_none")]
    peak_memory_bytes: Option<u64>,
    models: Vec<JsonModel<'a>>,
}

#[derive(Serialize)]
struct JsonModel<'a> {
    name: &'a str,
    file: String,
    description: &'a str,
    granularity: &'static str,
    /// The release whose rules the model follows (actor level; null at the atomic level).
    mongodb_version: Option<String>,
    set: String,
    complete: bool,
    /// The limit that stopped exploration, or null.
    stopped_by: Option<JsonStop>,
    /// The limit that stopped the shortest-trace search, or absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    trace_search_stopped_by: Option<JsonStop>,
    /// The estimated probability that a fingerprint collision hid a state.
    collision_probability: f64,
    ok: bool,
    unique_states: usize,
    states: usize,
    max_depth: usize,
    seconds: f64,
    properties: Vec<JsonProperty>,
}

/// A limit that stopped a run: which (`max_states`, `max_depth`, `timeout`,
/// `max_memory`), its value (states, steps, seconds, bytes), and the sentence the text
/// report prints.
#[derive(Serialize)]
struct JsonStop {
    limit: &'static str,
    value: f64,
    message: String,
}

impl JsonStop {
    fn new(stop: Stop, message: String) -> Self {
        let (limit, value) = match stop {
            Stop::States(n) => ("max_states", n as f64),
            Stop::Depth(d) => ("max_depth", d as f64),
            Stop::Time(t) => ("timeout", t.as_secs_f64()),
            Stop::Memory(b) => ("max_memory", b as f64),
        };
        JsonStop {
            limit,
            value,
            message,
        }
    }
}

#[derive(Serialize)]
struct JsonProperty {
    name: &'static str,
    kind: Kind,
    expected: Expected,
    outcome: Outcome,
    ok: bool,
    /// The counterexample's steps, or null.
    trace: Option<Vec<trace::Step>>,
    /// Whether the trace is proven shortest.
    #[serde(skip_serializing_if = "Option::is_none")]
    shortest: Option<bool>,
    /// The trace's story in one paragraph.
    #[serde(skip_serializing_if = "Option::is_none")]
    story: Option<String>,
    /// The Explorer path that opens the trace's last state in `serve`.
    #[serde(skip_serializing_if = "Option::is_none")]
    explorer_path: Option<String>,
}

/// The JSON report on one line-free document.
pub fn json(results: &[Run], peak_memory: Option<u64>, out: &mut impl Write) -> io::Result<()> {
    let report = JsonReport {
        ok: results.iter().all(|r| r.ok() && r.complete()),
        exit_code: exit_code(results),
        peak_memory_bytes: peak_memory,
        models: results
            .iter()
            .map(|run| on_run!(run, r => json_model(r)))
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &report).map_err(io::Error::other)?;
    writeln!(out)
}

fn json_model<M: Rendered>(r: &ModelResult<M>) -> JsonModel<'_> {
    JsonModel {
        name: &r.spec.name,
        file: r.spec.file.display().to_string(),
        description: &r.spec.description,
        granularity: M::NAME,
        mongodb_version: M::mongodb_version(&r.spec.settings),
        set: r.spec.settings.replset.shape(),
        complete: r.complete,
        stopped_by: r.stop.map(|stop| JsonStop::new(stop, stopped(stop, r))),
        trace_search_stopped_by: r.trace_search_stop.map(|stop| {
            JsonStop::new(
                stop,
                format!("the search for the shortest traces stopped at {stop}"),
            )
        }),
        collision_probability: search::collision_probability(r.unique_states),
        ok: r.ok(),
        unique_states: r.unique_states,
        states: r.states,
        max_depth: r.max_depth,
        seconds: r.seconds,
        properties: r
            .properties
            .iter()
            .map(|p| JsonProperty {
                name: p.property.info.name,
                kind: p.property.info.kind,
                expected: p.expected,
                outcome: p.outcome,
                ok: p.ok(),
                trace: p.trace.as_ref().map(|t| trace::steps(&r.model, t)),
                shortest: p.trace.as_ref().map(|t| t.shortest),
                story: p.trace.as_ref().map(|t| r.model.story(p.property, t)),
                explorer_path: p.trace.as_ref().map(|t| t.explorer_path(&r.model)),
            })
            .collect(),
    }
}

/// The process's peak memory, as the text report's last line.
pub fn peak_memory_line(peak: Option<u64>, out: &mut impl Write) -> io::Result<()> {
    match peak {
        Some(bytes) => writeln!(out, "Peak memory {}.", megabytes(bytes)),
        None => Ok(()),
    }
}

fn megabytes(bytes: u64) -> String {
    format!("{:.0} MB", bytes as f64 / 1e6)
}

/// `replcheck bench`: the table's title and header.
pub fn bench_header(machine: &str, out: &mut impl Write) -> io::Result<()> {
    writeln!(
        out,
        "replcheck {} bench on {machine}\n",
        env!("CARGO_PKG_VERSION")
    )?;
    writeln!(
        out,
        "| benchmark | threads | symmetry | unique states | states generated | states/s | seconds | peak memory | bytes/state | verdicts |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|---|---|---|")
}

/// One benchmark run as a table row. Bytes per state: peak memory over unique states.
pub fn bench_row(m: &crate::bench::Measurement, out: &mut impl Write) -> io::Result<()> {
    let per_second = if m.seconds > 0.0 {
        thousands((m.states as f64 / m.seconds) as usize)
    } else {
        "-".into()
    };
    writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} | {:.2} | {} | {} | {} |",
        m.benchmark.name,
        m.threads,
        if m.benchmark.symmetry { "on" } else { "off" },
        thousands(m.unique_states as usize),
        thousands(m.states as usize),
        per_second,
        m.seconds,
        m.peak_memory_bytes.map_or("-".into(), megabytes),
        m.peak_memory_bytes
            .filter(|_| m.unique_states > 0)
            .map_or("-".into(), |b| (b / m.unique_states).to_string()),
        if m.ok {
            "as expected"
        } else {
            "NOT as expected"
        }
    )
}

/// After the table: what each benchmark measures, the speed-up of more threads, and
/// whether verdicts agreed across thread counts.
pub fn bench_footer(
    measured: &[crate::bench::Measurement],
    out: &mut impl Write,
) -> io::Result<()> {
    writeln!(out)?;
    let mut seen: Vec<&str> = Vec::new();
    for m in measured {
        let name = m.benchmark.name;
        if seen.contains(&name) {
            continue;
        }
        seen.push(name);
        let runs: Vec<_> = measured
            .iter()
            .filter(|x| x.benchmark.name == name)
            .collect();
        let mut line = format!("- {name} ({}): {}", m.benchmark.file, m.benchmark.about);
        if let (Some(one), Some(most)) = (
            runs.iter().find(|r| r.threads == 1),
            runs.iter().max_by_key(|r| r.threads),
        ) {
            if most.threads > 1 && most.seconds > 0.0 {
                line.push_str(&format!(
                    "; {} threads {:.2}x as fast as 1",
                    most.threads,
                    one.seconds / most.seconds
                ));
            }
        }
        let same = runs.windows(2).all(|w| w[0].outcomes == w[1].outcomes);
        if runs.len() > 1 {
            line.push_str(if same {
                "; same verdicts on every thread count"
            } else {
                "; VERDICTS DIFFER between thread counts"
            });
        }
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// `replcheck list`: each model with its description and what it expects.
pub fn list(specs: &[ModelSpec], out: &mut impl Write) -> io::Result<()> {
    for spec in specs {
        writeln!(out, "{} ({})", spec.name, spec.file.display())?;
        if !spec.description.is_empty() {
            writeln!(out, "  {}", spec.description)?;
        }
        writeln!(
            out,
            "  set {}: {}",
            spec.settings.replset.shape(),
            scenario(spec)
        )?;
        let expectations: Vec<String> = spec
            .expectations
            .iter()
            .map(|(p, e)| format!("{} {e}", p.name))
            .collect();
        writeln!(out, "  expects: {}", expectations.join(", "))?;
    }
    Ok(())
}
