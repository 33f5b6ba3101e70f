//! The JSON report (README, "Exit codes"): one document with every model's counts, limits
//! and properties, each with its trace and story.

use super::{exit_code, stopped, trace};
use crate::check::{on_run, ModelResult, Outcome, Run};
use crate::config::Expected;
use crate::level::{Kind, Rendered};
use crate::search::{self, Stop};
use serde::Serialize;
use std::io::{self, Write};

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
            Stop::Interrupted => ("interrupted", 0.0),
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
    /// Seconds into the exploration when a state violating (or reaching) the property
    /// was first met.
    #[serde(skip_serializing_if = "Option::is_none")]
    found_after_seconds: Option<f64>,
    /// Whether the trace is proven shortest.
    #[serde(skip_serializing_if = "Option::is_none")]
    shortest: Option<bool>,
    /// The trace's story in one paragraph.
    #[serde(skip_serializing_if = "Option::is_none")]
    story: Option<String>,
    /// The Explorer path that opens the trace's last state in `serve`.
    #[serde(skip_serializing_if = "Option::is_none")]
    explorer_path: Option<String>,
    /// For a property the model file defines, how its expression failed on a reachable
    /// state.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// The JSON document of a run that could not start (bad input or usage, `--format
/// json`): the report's shape, with no models and the error's message, so that a CI job
/// always has a document to parse.
pub fn json_error(message: &str, exit_code: i32, out: &mut impl Write) -> io::Result<()> {
    let document = serde_json::json!({
        "ok": false,
        "exit_code": exit_code,
        "error": message,
        "models": [],
    });
    serde_json::to_writer_pretty(&mut *out, &document).map_err(io::Error::other)?;
    writeln!(out)
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
                found_after_seconds: p.found_after.map(|d| d.as_secs_f64()),
                shortest: p.trace.as_ref().map(|t| t.shortest),
                story: p.trace.as_ref().map(|t| r.model.story(&p.property, t)),
                explorer_path: p.trace.as_ref().map(|t| t.explorer_path(&r.model)),
                error: p.failure.clone(),
            })
            .collect(),
    }
}
