//! `replcheck replay FILE`: re-executes a trace file (`check --trace-dir`) against the
//! model file it names and confirms, step by step, that it reaches what it claims: a state
//! that violates the property (or, for a witness, reaches it).
//!
//! Each step must offer the recorded action at the recorded index (the Explorer's
//! numbering), the action there must be the one recorded (`debug`; docs/stateright.md defect 5:
//! an index that has come to mean another action is caught), the step must lead somewhere
//! within the model's bounds, and the state it leads to must be the recorded one (as the
//! report's rows). A trace written before a change to the model that alters any of this
//! no longer replays, and the first step that differs is named.

use crate::config::{self, ModelSpec};
use crate::error::Error;
use crate::level::{levels_defining, offered, Kind, Level};
use crate::report::tracefile::{self, rows_json};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// What a replay found: a line per step, and whether the trace reproduced.
pub struct Replayed {
    pub lines: Vec<String>,
    pub reproduced: bool,
    /// The model file replayed against: the one given, or the one the trace names.
    pub model_file: PathBuf,
    /// The model file the trace was written from (its `model_file`).
    pub written_from: PathBuf,
    /// Whether the trace carries its model's text (so that the model replayed against is
    /// known to be the one it was written from).
    pub carries_model: bool,
    /// The Explorer's path to the trace's last state (`#/steps/...`), from the steps'
    /// indices.
    pub explorer_path: String,
    /// The property the trace violates (or reaches).
    pub property: String,
}

fn bad(file: &Path, reason: impl Into<String>) -> Error {
    Error::Trace {
        file: file.to_path_buf(),
        reason: reason.into(),
    }
}

/// Reads and replays the trace file at `file`, against the model text it carries
/// (`model_text`) or, given `model`, against that model file, which must be the one the
/// trace was written from. A trace written before traces carried their model is replayed
/// against `model`, or else the file it names.
pub fn replay(file: &Path, model: Option<&Path>) -> Result<Replayed, Error> {
    let text = std::fs::read_to_string(file).map_err(|e| bad(file, e.to_string()))?;
    let doc: Value = serde_json::from_str(&text)
        .map_err(|e| bad(file, format!("not a JSON trace file: {e}")))?;
    if doc["format"] != tracefile::FORMAT {
        return Err(bad(
            file,
            format!(
                "not a replcheck trace file (\"format\" is not \"{}\"; ITF files are for other tools)",
                tracefile::FORMAT
            ),
        ));
    }
    if doc["version"] != tracefile::VERSION {
        return Err(bad(
            file,
            format!(
                "trace file version {} is not supported (this replcheck reads version {})",
                doc["version"],
                tracefile::VERSION
            ),
        ));
    }
    let text_field = |key: &str| {
        doc[key]
            .as_str()
            .ok_or_else(|| bad(file, format!("\"{key}\" is missing or not a string")))
    };
    let written_from = PathBuf::from(text_field("model_file")?);
    let carried = doc.get("model_text").and_then(Value::as_str);
    let mut notes = Vec::new();
    let carries_model = carried.is_some();
    let (spec, model_file) = match (model, carried) {
        (Some(path), Some(text)) => {
            let spec = config::load(path)?;
            if spec.source.as_deref() != Some(text) {
                return Err(bad(
                    file,
                    format!(
                        "{} is not the model file the trace was written from ({}): their texts differ",
                        path.display(),
                        written_from.display()
                    ),
                ));
            }
            (spec, path.to_path_buf())
        }
        (Some(path), None) => (config::load(path)?, path.to_path_buf()),
        (None, Some(text)) => {
            match std::fs::read_to_string(&written_from) {
                Ok(now) if now == text => {}
                Ok(_) => notes.push(format!(
                    "  note: {} has changed since the trace was written; replaying against the model the trace carries",
                    written_from.display()
                )),
                Err(_) => notes.push(format!(
                    "  note: {} is not here; replaying against the model the trace carries",
                    written_from.display()
                )),
            }
            (config::parse(&written_from, text)?, written_from.clone())
        }
        (None, None) => (config::load(&written_from)?, written_from.clone()),
    };
    let name = text_field("property")?;
    let defined_here = spec.user_properties.iter().any(|p| p.info.name == name);
    if levels_defining(name).is_empty() && !defined_here {
        return Err(bad(file, format!("unknown property \"{name}\"")));
    }
    let steps = doc["steps"]
        .as_array()
        .ok_or_else(|| bad(file, "\"steps\" is missing or not a list"))?;
    let mut lines = vec![format!(
        "Replaying {} against {} ({} step{}, {} {})",
        file.display(),
        model_file.display(),
        steps.len(),
        if steps.len() == 1 { "" } else { "s" },
        name,
        doc["outcome"].as_str().unwrap_or("?"),
    )];
    lines.extend(notes);
    let reproduced = crate::with_level!(spec.level, M => replay_on(
        &M::build(&spec.settings, &spec.level),
        &spec,
        name,
        &doc,
        steps,
        file,
        &mut lines,
    ))?;
    let explorer_path = std::iter::once("0".to_string())
        .chain(steps.iter().map(|s| s["index"].to_string()))
        .collect::<Vec<_>>()
        .join("/");
    Ok(Replayed {
        lines,
        reproduced,
        model_file,
        written_from,
        carries_model,
        property: name.to_string(),
        explorer_path,
    })
}

fn replay_on<M: Level>(
    model: &M,
    spec: &ModelSpec,
    name: &str,
    doc: &Value,
    steps: &[Value],
    file: &Path,
    lines: &mut Vec<String>,
) -> Result<bool, Error> {
    let Some(property) = crate::check::find_property::<M>(spec, name) else {
        return Err(bad(
            file,
            format!("property {name} is not defined at the model's level"),
        ));
    };
    let Some(mut state) = model.init_states().into_iter().next() else {
        lines.push("  the model has no initial state".into());
        return Ok(false);
    };
    if rows_json(&model.rows(&state)) != doc["initial"] {
        lines.push("  the initial state differs from the recorded one".into());
        return Ok(false);
    }
    for (i, step) in steps.iter().enumerate() {
        let n = i + 1;
        let index = step["index"]
            .as_u64()
            .and_then(|i| usize::try_from(i).ok())
            .ok_or_else(|| bad(file, format!("step {n}: \"index\" is missing")))?;
        let recorded = step["debug"]
            .as_str()
            .ok_or_else(|| bad(file, format!("step {n}: \"debug\" is missing")))?;
        let actions = offered(model, &state);
        let Some(action) = actions.get(index).cloned() else {
            lines.push(format!(
                "  step {n}: DIFFERS: the state offers {} actions, not action {index}",
                actions.len()
            ));
            return Ok(false);
        };
        if format!("{action:?}") != recorded {
            lines.push(format!(
                "  step {n}: DIFFERS: action {index} is {}, not the recorded {}",
                model.format_action(&action),
                step["label"].as_str().unwrap_or(recorded)
            ));
            return Ok(false);
        }
        let Some(next) = model.next_state(&state, action.clone()) else {
            lines.push(format!(
                "  step {n}: DIFFERS: {} changes nothing",
                model.format_action(&action)
            ));
            return Ok(false);
        };
        if !model.within_boundary(&next) {
            lines.push(format!(
                "  step {n}: DIFFERS: {} leaves the model's bounds",
                model.format_action(&action)
            ));
            return Ok(false);
        }
        let mut rows = rows_json(&model.rows(&next));
        if let (Value::Object(now), Value::Object(was)) = (&mut rows, step) {
            now.retain(|k, _| was.contains_key(k));
        }
        let expected: serde_json::Map<String, Value> = ["members", "client", "committed"]
            .iter()
            .filter_map(|k| Some((k.to_string(), step.get(*k)?.clone())))
            .collect();
        if rows != Value::Object(expected) {
            lines.push(format!(
                "  step {n}: DIFFERS: {} leads to another state than the recorded one",
                model.describe(&state, &action, &next)
            ));
            return Ok(false);
        }
        lines.push(format!(
            "  step {n}: ok  {}",
            model.describe(&state, &action, &next)
        ));
        state = next;
    }
    let reached = property.is_target(model, &state);
    lines.push(if reached {
        match property.info.kind {
            Kind::Always => format!("Reproduced: the last state violates {name}."),
            Kind::Sometimes => format!("Reproduced: the last state reaches {name}."),
        }
    } else {
        format!(
            "NOT reproduced: every step replays, but the last state does not {} {name}.",
            match property.info.kind {
                Kind::Always => "violate",
                Kind::Sometimes => "reach",
            },
        )
    });
    Ok(reached)
}
