//! replcheck's own trace file (`check --trace-dir`): one counterexample or witness as JSON,
//! complete enough for `replcheck replay` to re-execute it and for a person or a tool to
//! read it without the model.
//!
//! ```json
//! { "format": "replcheck-trace", "version": 1,
//!   "model": "durable-vote", "model_file": "models/bugs/durable-vote.toml",
//!   "model_text": "description = ...",
//!   "granularity": "actor", "property": "election_safety", "kind": "always",
//!   "outcome": "violated", "shortest": true, "explorer_path": "0/2/2/3",
//!   "story": "How election_safety fails ...",
//!   "initial": { "members": [...], "client": {...} },
//!   "steps": [ { "step": 1, "index": 2, "label": "...", "debug": "...", "action": "...",
//!                "changes": [...], "members": [...], "client": {...} }, ... ] }
//! ```
//!
//! Each step records the action three ways: `index`, its position among the actions the
//! model offers in the state before it (what the Explorer's URL uses); `label`, the
//! Explorer's label; and `debug`, the action exactly as the model represents it. The model
//! file's text (`model_text`) is carried whole, so that replay needs no file beside the
//! trace (`model_file` names where it was read from). Replay
//! takes the action at `index` and checks that it is the same action (`debug`), so an
//! index that has come to mean another action is caught (docs/stateright.md defect 5). The
//! state after each step is recorded as the report's rows (`trace::StateRows`).

use super::trace;
use crate::check::{ModelResult, PropertyResult, Trace};
use crate::level::Rendered;
use serde_json::{json, Value};

/// The format's name, in every trace file's `format`.
pub const FORMAT: &str = "replcheck-trace";
/// The format's version, in every trace file's `version`.
pub const VERSION: u64 = 1;

/// A state's rows as JSON: `members`, and `client` or `committed` as the level has them.
pub fn rows_json(rows: &crate::level::StateRows) -> Value {
    let mut object = serde_json::Map::new();
    object.insert("members".into(), json!(rows.members));
    if let Some(client) = &rows.client {
        object.insert("client".into(), json!(client));
    }
    if let Some(committed) = &rows.committed {
        object.insert("committed".into(), json!(committed));
    }
    Value::Object(object)
}

/// The trace file for `property`'s trace `t` in the run `r`.
pub fn document<M: Rendered>(r: &ModelResult<M>, p: &PropertyResult<M>, t: &Trace<M>) -> Value {
    let model = &r.model;
    let indices = t.action_indices(model);
    let steps: Vec<Value> = trace::steps(model, t)
        .into_iter()
        .enumerate()
        .map(|(i, step)| {
            let action = &t.actions[i];
            let index = indices[i];
            let mut object = json!({
                "step": step.step,
                "index": index,
                "label": model.format_action(action),
                "debug": format!("{action:?}"),
                "action": step.action,
                "changes": step.changes,
            });
            if let (Value::Object(o), Value::Object(rows)) =
                (&mut object, rows_json(&model.rows(&t.states[i + 1])))
            {
                o.extend(rows);
            }
            object
        })
        .collect();
    json!({
        "format": FORMAT,
        "version": VERSION,
        "model": r.spec.name,
        "model_file": r.spec.file.display().to_string(),
        "model_text": r.spec.source,
        "granularity": M::NAME,
        "property": p.property.info.name,
        "kind": p.property.info.kind,
        "outcome": p.outcome,
        "shortest": t.shortest,
        "explorer_path": std::iter::once(0).chain(indices.iter().copied()).map(|i| i.to_string()).collect::<Vec<_>>().join("/"),
        "story": model.story(&p.property, t),
        "initial": rows_json(&model.rows(&t.states[0])),
        "steps": steps,
    })
}

/// The file name for a trace of `property` in `model`: `<model>.<property>.json`, and
/// `<model>.<property>.itf.json` for its ITF twin.
pub fn file_name(model: &str, property: &str, itf: bool) -> String {
    format!("{model}.{property}.{}json", if itf { "itf." } else { "" })
}

/// The name each run's trace files start with: its model's name (the file's stem), or,
/// where another model of the run has the same stem, the file's path with `-` for
/// separators (`a/x.toml` and `b/x.toml` give `a-x` and `b-x`), and a number after it if
/// that is not enough (the same file twice).
pub fn stems(results: &[crate::check::Run]) -> Vec<String> {
    let names: Vec<&str> = results.iter().map(|r| r.spec().name.as_str()).collect();
    let mut stems: Vec<String> = results
        .iter()
        .map(|r| {
            let spec = r.spec();
            if names.iter().filter(|&&n| n == spec.name).count() == 1 {
                return spec.name.clone();
            }
            spec.file
                .with_extension("")
                .components()
                .filter_map(|c| match c {
                    std::path::Component::Normal(part) => Some(part.to_string_lossy()),
                    _ => None,
                })
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect();
    // A stem taken already gets the first number that makes it one no other run has.
    for i in 0..stems.len() {
        if stems[..i].contains(&stems[i]) {
            let taken = |name: &String| stems.iter().any(|s| s == name);
            let free = (2..)
                .map(|k| format!("{}-{k}", stems[i]))
                .find(|name| !taken(name))
                .expect("some number is free");
            stems[i] = free;
        }
    }
    stems
}

/// Writes, for every property of every run that has a trace, its trace file and its ITF
/// twin into `dir` (created if missing), named after the run (`stems`). Returns the files
/// written.
pub fn write_all(
    results: &[crate::check::Run],
    dir: &std::path::Path,
) -> std::io::Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    for (run, stem) in results.iter().zip(stems(results)) {
        crate::check::on_run!(run, r => {
            for p in &r.properties {
                let Some(t) = &p.trace else { continue };
                let ours = dir.join(file_name(&stem, p.property.info.name, false));
                write_json(&ours, &document(r, p, t))?;
                written.push(ours);
                let itf = dir.join(file_name(&stem, p.property.info.name, true));
                let file = r.spec.file.display().to_string();
                write_json(
                    &itf,
                    &super::itf::document(&r.model, &r.spec.name, &file, p.property.info.name, t),
                )?;
                written.push(itf);
            }
        });
    }
    Ok(written)
}

fn write_json(path: &std::path::Path, value: &Value) -> std::io::Result<()> {
    let mut text = serde_json::to_string_pretty(value).map_err(std::io::Error::other)?;
    text.push('\n');
    std::fs::write(path, text)
}
