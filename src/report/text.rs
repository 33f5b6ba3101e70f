//! The text report: the results table, each model's verdicts and its counterexamples told
//! step by step, the last line's peak memory, and `replcheck list`.

use super::{megabytes, mermaid, probability, scenario, stopped, thousands, trace};
use crate::check::{on_run, ModelResult, Outcome, PropertyResult, Run};
use crate::config::{Expected, ModelSpec};
use crate::level::{Kind, Rendered};
use crate::search;
use std::io::{self, Write};

pub(crate) fn verdict<M: Rendered>(r: &ModelResult<M>) -> String {
    let missed = r.properties.iter().filter(|p| !p.ok()).count();
    let broken = r.properties.iter().filter(|p| p.failure.is_some()).count();
    if broken > 0 {
        format!(
            "ERROR ({broken} expression{} failed)",
            if broken == 1 { "" } else { "s" }
        )
    } else if !r.complete {
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
    /// The memory ceiling the runs had (`--max-memory`), for the first line.
    pub memory_ceiling: Option<u64>,
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
        "replcheck: {} model{}, {} thread{}{}\n",
        results.len(),
        if results.len() == 1 { "" } else { "s" },
        threads,
        if threads == 1 { "" } else { "s" },
        options
            .memory_ceiling
            .map(|b| format!(", memory ceiling {:.1} GiB", b as f64 / (1u64 << 30) as f64))
            .unwrap_or_default()
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
    writeln!(
        out,
        "\nSET: one letter per member, P electable, S priority 0, N non-voting, A arbiter.\n\
         DEPTH: the most steps on a path the search followed; depth-first it depends on the\n\
         order and the threads, with --order breadth-first it is the farthest state's distance."
    )?;
    for run in results {
        on_run!(run, r => model_text(r, options, out))?;
    }
    let failed = results
        .iter()
        .filter(|run| !on_run!(run, r => r.properties.iter().all(decided)))
        .count();
    let incomplete = results.iter().filter(|r| !r.complete()).count();
    let broken = results
        .iter()
        .filter(|run| on_run!(run, r => r.properties.iter().any(|p| p.failure.is_some())))
        .count();
    writeln!(out)?;
    if broken > 0 {
        writeln!(
            out,
            "{broken} of {} model{} defined a property whose expression failed on a reachable state: it is undecided (see the errors above).",
            results.len(),
            if results.len() == 1 { "" } else { "s" }
        )?;
    } else if failed == 0 && incomplete == 0 {
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
    if !r.symmetry && !r.spec.symmetric() {
        let named: Vec<_> = r
            .spec
            .user_properties
            .iter()
            .filter(|p| !p.symmetric)
            .map(|p| p.info.name)
            .collect();
        writeln!(
            out,
            "  symmetry reduction off: {} may tell identically configured members apart (`symmetric = true` in [[properties]] says it does not)",
            named.join(", ")
        )?;
    }
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
        let judged = match (p.ok(), p.outcome) {
            (true, _) => "ok",
            (false, Outcome::Inconclusive) => "undecided",
            (false, _) => "MISMATCH",
        };
        if p.expected == Expected::Nothing {
            // An exploratory question (`check --explore`): the outcome is the answer.
            let line = format!(
                "  {:<30} {:<12} {}",
                p.property.info.name,
                p.outcome.to_string(),
                if p.outcome == Outcome::Inconclusive {
                    "undecided"
                } else {
                    "(nothing expected)"
                }
            );
            writeln!(out, "{}", line.trim_end())?;
            continue;
        }
        writeln!(
            out,
            "  {:<30} {:<12} expected {:<12} {}",
            p.property.info.name,
            p.outcome.to_string(),
            p.expected.to_string(),
            judged
        )?;
    }
    for p in &r.properties {
        if let Some(failure) = &p.failure {
            writeln!(out, "  error: {failure}")?;
        }
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
        "  {what} for {} ({} step{}, {}{}){}:",
        p.property.info.name,
        t.actions.len(),
        if t.actions.len() == 1 { "" } else { "s" },
        if t.shortest {
            "shortest"
        } else {
            "not proven shortest"
        },
        p.found_after
            .map(|d| format!("; met {:.1} s into the search", d.as_secs_f64()))
            .unwrap_or_default(),
        if p.ok() && p.expected != Expected::Nothing {
            ", as expected"
        } else {
            ""
        }
    )?;
    trace_body(r, p, t, options, out)
}

/// A trace as text: the initial state, each step with what it changed (or the whole
/// state), the story, the Explorer link and, if asked for, the Mermaid diagram.
pub(crate) fn trace_body<M: Rendered>(
    r: &ModelResult<M>,
    p: &PropertyResult<M>,
    t: &crate::check::Trace<M>,
    options: TextOptions,
    out: &mut impl Write,
) -> io::Result<()> {
    trace_steps(&r.model, t, options.full_states, out)?;
    writeln!(out)?;
    for line in crate::text::wrap(&r.model.story(&p.property, t), 88, 0) {
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
pub(crate) fn trace_steps<M: Rendered>(
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

/// The process's peak memory, as the text report's last line.
pub fn peak_memory_line(peak: Option<u64>, out: &mut impl Write) -> io::Result<()> {
    match peak {
        Some(bytes) => writeln!(out, "Peak memory {}.", megabytes(bytes)),
        None => Ok(()),
    }
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
