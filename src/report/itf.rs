//! Counterexamples in the Informal Trace Format (ITF) of Apalache and Quint.
//!
//! ITF (Apalache ADR-015, <https://apalache-mc.org/docs/adr/015adr-trace.html>) writes an
//! execution as JSON: a trace object with `#meta`, the names of the state variables
//! (`vars`) and the states in order, each state an object with one field per variable and
//! its own `#meta`. Values use a few forms: integers as `{"#bigint": "N"}`, strings and
//! booleans as themselves, sequences as JSON arrays, records as JSON objects, sets as
//! `{"#set": [...]}` and functions as `{"#map": [[key, value], ...]}`. Quint's tools, the
//! ITF trace viewer and Informal Systems' `itf` crate read it, so a replcheck
//! counterexample can be read, viewed and checked with the tools of the Quint and TLA+
//! world.
//!
//! Each level chooses its variables (`Itf`): the actor level shows what a person follows
//! in a failure (member states, terms, votes, oplogs, commit points, rollbacks, the
//! client's acknowledgements and the messages in flight); the atomic level uses the
//! variables of MongoDB's TLA+ specification `MongoStaticRaft`. Members are named `n0`,
//! `n1`, ... as everywhere in replcheck. Every integer is written as `#bigint`, as Quint
//! writes them. Each state after the first says in its `#meta` which step led to it
//! (`action`), in the same words as the text report.

use crate::level::{Itf, Kind, Trace};
use serde_json::{json, Map, Value};

/// The whole ITF document for `trace` of `property` in the model file `file` (model name
/// `name`). Each state's `#meta` holds its `index` and, after the first, the `action`
/// that led to it, told as the text report tells it. The trace's own `#meta` names the
/// format, the model file (`source`), the model and the property; it holds strings only,
/// as the `itf` crate requires of fields it does not know, so the actions are in the
/// states rather than listed there.
pub fn document<M: Itf>(
    model: &M,
    name: &str,
    file: &str,
    property: &str,
    trace: &Trace<M>,
) -> Value {
    let what = match M::find_property(property).map(|p| p.info.kind) {
        Some(Kind::Sometimes) => "witness",
        _ => "counterexample",
    };
    let states: Vec<Value> = trace
        .states
        .iter()
        .enumerate()
        .map(|(i, state)| {
            let mut meta = Map::new();
            meta.insert("index".into(), json!(i));
            if i > 0 {
                let action = model.describe(&trace.states[i - 1], &trace.actions[i - 1], state);
                meta.insert("action".into(), Value::String(action));
            }
            let mut object = Map::new();
            object.insert("#meta".into(), Value::Object(meta));
            object.extend(model.itf_state(state));
            Value::Object(object)
        })
        .collect();
    json!({
        "#meta": {
            "format": "ITF",
            "format-description": "https://apalache-mc.org/docs/adr/015adr-trace.html",
            "source": file,
            "description": format!("replcheck {what} for {property} in {name}"),
            "model": name,
            "property": property,
        },
        "vars": model.itf_vars(),
        "states": states,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::shortest_trace;
    use crate::config;
    use crate::level::actor::ReplicaSetModel;
    use crate::level::atomic::AtomicModel;
    use crate::level::LevelSpec;
    use serde::Deserialize;
    use std::collections::BTreeMap;
    use std::path::Path;

    /// The shortest trace of `property` in the model file `file`, at the level `M`, and its
    /// ITF document.
    fn encode<M: Itf>(
        file: &str,
        property: &str,
        build: impl Fn(&config::ModelSpec) -> M,
    ) -> (M, Trace<M>, Value) {
        let spec = config::load(Path::new(file)).expect("the model file loads");
        let model = build(&spec);
        let property_spec = M::find_property(property).expect("a known property");
        let trace = shortest_trace(&model, property_spec).expect("the model has a trace");
        let doc = document(&model, &spec.name, file, property, &trace);
        (model, trace, doc)
    }

    fn actor(spec: &config::ModelSpec) -> ReplicaSetModel {
        ReplicaSetModel::new(spec.settings.clone())
    }

    fn atomic(spec: &config::ModelSpec) -> AtomicModel {
        let LevelSpec::Atomic(bounds) = spec.level else {
            panic!("an atomic model file")
        };
        AtomicModel::new(spec.settings.clone(), bounds)
    }

    /// Checks that `v` is an ITF expression with every integer a `#bigint`.
    fn assert_itf_value(v: &Value, at: &str) {
        match v {
            Value::Null => panic!("{at}: null is not an ITF value"),
            Value::Number(_) => panic!("{at}: a plain JSON number, not a #bigint"),
            Value::Bool(_) | Value::String(_) => {}
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    assert_itf_value(item, &format!("{at}[{i}]"));
                }
            }
            Value::Object(o) => match o.keys().find(|k| k.starts_with('#')) {
                None => {
                    for (k, field) in o {
                        assert_itf_value(field, &format!("{at}.{k}"));
                    }
                }
                Some(form) => {
                    assert_eq!(o.len(), 1, "{at}: {form} stands alone in its object");
                    let body = &o[form.as_str()];
                    match form.as_str() {
                        "#bigint" => {
                            let digits = body.as_str().expect("#bigint holds a string");
                            let digits = digits.strip_prefix('-').unwrap_or(digits);
                            assert!(
                                !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()),
                                "{at}: #bigint {body}"
                            );
                        }
                        "#set" | "#tup" => assert_itf_value(body, at),
                        "#map" => {
                            for pair in body.as_array().expect("#map holds an array") {
                                let pair = pair.as_array().expect("a #map entry is an array");
                                assert_eq!(pair.len(), 2, "{at}: a #map entry is [key, value]");
                                assert_itf_value(&pair[0], &format!("{at} key"));
                                assert_itf_value(&pair[1], &format!("{at} value"));
                            }
                        }
                        other => panic!("{at}: unknown form {other}"),
                    }
                }
            },
        }
    }

    /// Checks the document's shape by hand against ADR-015: the trace's fields, every
    /// state's index and variables, every value's form, and the actions as the text
    /// report tells them.
    fn assert_itf_document<M: Itf>(model: &M, trace: &Trace<M>, doc: &Value) {
        let meta = &doc["#meta"];
        assert_eq!(meta["format"], "ITF");
        assert_eq!(
            meta["format-description"],
            "https://apalache-mc.org/docs/adr/015adr-trace.html"
        );
        let vars: Vec<&str> = doc["vars"]
            .as_array()
            .expect("vars is an array")
            .iter()
            .map(|v| v.as_str().expect("a variable name"))
            .collect();
        assert_eq!(vars, model.itf_vars());
        let states = doc["states"].as_array().expect("states is an array");
        assert_eq!(states.len(), trace.states.len());
        let steps = crate::report::trace::steps(model, trace);
        for (i, state) in states.iter().enumerate() {
            let state = state.as_object().expect("a state is an object");
            assert_eq!(state["#meta"]["index"], json!(i));
            match i {
                0 => assert!(state["#meta"].get("action").is_none()),
                _ => assert_eq!(state["#meta"]["action"], steps[i - 1].action.as_str()),
            }
            assert_eq!(
                state.len(),
                vars.len() + 1,
                "state {i}: #meta and the variables only"
            );
            for var in &vars {
                let value = state
                    .get(*var)
                    .unwrap_or_else(|| panic!("state {i} sets {var}"));
                assert_itf_value(value, &format!("state {i} {var}"));
            }
        }
    }

    #[derive(Debug, Deserialize)]
    struct EntryVar {
        term: u64,
        ts: u64,
        op: String,
    }

    #[derive(Debug, Deserialize)]
    struct OpTimeVar {
        term: u64,
        ts: u64,
    }

    #[derive(Debug, Deserialize)]
    struct VoteVar {
        term: u64,
        candidate: String,
    }

    #[derive(Debug, Deserialize)]
    struct MessageVar {
        src: String,
        dst: String,
        msg: String,
    }

    /// The actor level's variables as a Rust reader of ITF would declare them.
    #[derive(Debug, Deserialize)]
    struct ActorVars {
        member_state: BTreeMap<String, String>,
        term: BTreeMap<String, u64>,
        last_vote: BTreeMap<String, VoteVar>,
        oplog: BTreeMap<String, Vec<EntryVar>>,
        journaled: BTreeMap<String, u64>,
        commit_point: BTreeMap<String, OpTimeVar>,
        rolled_back: BTreeMap<String, Vec<EntryVar>>,
        acknowledged: BTreeMap<String, EntryVar>,
        in_flight: Vec<MessageVar>,
    }

    #[derive(Debug, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
    struct CommittedVar {
        entry: (u64, u64),
        term: u64,
    }

    /// The atomic level's variables.
    #[derive(Debug, Deserialize)]
    struct AtomicVars {
        role: BTreeMap<String, String>,
        term: BTreeMap<String, u64>,
        oplog: BTreeMap<String, Vec<u64>>,
        committed: Vec<CommittedVar>,
    }

    /// Parses the document with Informal Systems' `itf` crate, the reader Quint's Rust
    /// tooling uses.
    fn read<S: serde::de::DeserializeOwned>(doc: &Value) -> ::itf::Trace<S> {
        ::itf::trace_from_str(&doc.to_string()).expect("the itf crate reads the trace")
    }

    #[test]
    fn durable_vote_counterexample_shows_two_primaries_of_one_term() {
        let file = "models/bugs/durable-vote.toml";
        let (model, trace, doc) = encode(file, "election_safety", actor);
        assert_itf_document(&model, &trace, &doc);
        assert_eq!(doc["#meta"]["source"], file);
        assert_eq!(
            doc["#meta"]["description"],
            "replcheck counterexample for election_safety in durable-vote"
        );

        let read: ::itf::Trace<ActorVars> = read(&doc);
        assert_eq!(read.states.len(), trace.states.len());
        assert_eq!(read.meta.format.as_deref(), Some("ITF"));
        assert_eq!(read.meta.source.as_deref(), Some(file));
        for (i, s) in read.states.iter().enumerate() {
            assert_eq!(s.meta.index, Some(i as u64));
            assert_eq!(s.value.member_state.len(), 3);
            assert_eq!(s.value.term.len(), 3);
            assert_eq!(s.value.oplog.len(), 3);
        }
        let first = &read.states[0].value;
        assert!(first
            .member_state
            .values()
            .all(|s| s == "SECONDARY" || s == "ARBITER"));
        assert!(first.last_vote.is_empty() && first.acknowledged.is_empty());
        // The last state: two primaries in term 1, each with its own no-op at (1,1).
        let last = &read.states.last().expect("a state").value;
        let primaries: Vec<&String> = last
            .member_state
            .iter()
            .filter(|(_, s)| *s == "PRIMARY")
            .map(|(m, _)| m)
            .collect();
        assert_eq!(primaries.len(), 2, "{last:?}");
        for p in primaries {
            assert_eq!(last.term[p], 1);
            let noop = &last.oplog[p][0];
            assert_eq!(
                (noop.term, noop.ts, noop.op.as_str()),
                (1, 1, format!("noop {p}").as_str())
            );
        }
        // Somewhere along the way a member voted and a vote request was in flight.
        let states = || read.states.iter().map(|s| &s.value);
        assert!(states().any(|s| s
            .last_vote
            .values()
            .any(|v| v.term == 1 && v.candidate.starts_with('n'))));
        assert!(states().any(|s| s
            .in_flight
            .iter()
            .any(|m| m.msg.starts_with("replSetRequestVotes") && m.src != m.dst)));
        assert!(states().all(|s| s.commit_point.values().all(|c| (c.term, c.ts) == (0, 0))));
        assert!(states().all(|s| s
            .journaled
            .iter()
            .all(|(m, &j)| j as usize == s.oplog[m].len())));
    }

    #[test]
    fn an_acknowledged_write_rolled_back_is_in_the_trace() {
        let file = "models/pss-w1.toml";
        let (model, trace, doc) = encode(file, "acknowledged_write_durability", actor);
        assert_itf_document(&model, &trace, &doc);
        let read: ::itf::Trace<ActorVars> = read(&doc);
        assert_eq!(read.states.len(), trace.states.len());
        let last = &read.states.last().expect("a state").value;
        let write = &last.acknowledged["write 1"];
        assert_eq!(write.op, "write 1");
        // The acknowledged write was rolled back by some member, or a later primary lacks it.
        let rolled_back = last
            .rolled_back
            .values()
            .flatten()
            .any(|e| (e.term, e.ts, e.op.as_str()) == (write.term, write.ts, "write 1"));
        let missing = last
            .member_state
            .iter()
            .any(|(m, s)| s == "PRIMARY" && !last.oplog[m].iter().any(|e| e.op == "write 1"));
        assert!(rolled_back || missing, "{last:?}");
        // The client learned of the write from the primary's acknowledgement.
        assert!(read.states.iter().any(|s| s
            .value
            .in_flight
            .iter()
            .any(|m| m.dst == "client" && m.msg.starts_with("ok(write 1"))));
    }

    #[test]
    fn atomic_witness_uses_mongo_static_raft_variables() {
        let file = "models/static-raft.toml";
        let (model, trace, doc) = encode(file, "entry_committed", atomic);
        assert_itf_document(&model, &trace, &doc);
        assert_eq!(
            doc["#meta"]["description"],
            "replcheck witness for entry_committed in static-raft"
        );
        // Elect, write, replicate, commit: the shortest way to a committed entry.
        assert_eq!(trace.actions.len(), 4);
        let read: ::itf::Trace<AtomicVars> = read(&doc);
        assert_eq!(read.vars, ["role", "term", "oplog", "committed"]);
        assert_eq!(read.states.len(), 5);
        let first = &read.states[0].value;
        assert!(first.role.values().all(|r| r == "SECONDARY"));
        assert!(first.term.values().all(|&t| t == 0));
        assert!(first.oplog.values().all(Vec::is_empty) && first.committed.is_empty());
        let last = &read.states[4].value;
        assert_eq!(
            last.committed,
            [CommittedVar {
                entry: (1, 1),
                term: 1
            }]
        );
        assert_eq!(last.role.values().filter(|r| *r == "PRIMARY").count(), 1);
        assert_eq!(last.oplog.values().filter(|log| **log == [1]).count(), 2);
    }

    /// Counterexamples to the bug models' properties (all but own-term-commit-rule's, 16
    /// steps deep and 25 s to find), and a witness at protocol version 0, whose entries
    /// carry `h`: each well formed and read back by the itf crate.
    #[test]
    fn bug_counterexamples_are_read_by_the_itf_crate() {
        let cases = [
            ("models/bugs/arbiter-stands.toml", "arbiter_never_primary"),
            (
                "models/bugs/commit-point-term-check.toml",
                "committed_never_rolled_back",
            ),
            ("models/bugs/durable-vote.toml", "log_matching"),
            (
                "models/bugs/fetch-consistency-check.toml",
                "acknowledged_write_durability",
            ),
            ("models/bugs/fetch-consistency-check.toml", "log_matching"),
            (
                "models/bugs/unelectable-stands.toml",
                "unelectable_never_primary",
            ),
            ("models/pv0-majority.toml", "primary_elected"),
        ];
        for (file, property) in cases {
            let (model, trace, doc) = encode(file, property, actor);
            assert_itf_document(&model, &trace, &doc);
            let read: ::itf::Trace<ActorVars> = read(&doc);
            assert_eq!(read.states.len(), trace.states.len(), "{file}");
            // Every oplog entry has `h` under protocol version 0 and only there.
            let pv0 = model.settings().is_pv0();
            let mut entries = 0;
            for state in doc["states"].as_array().expect("states") {
                for pair in state["oplog"]["#map"].as_array().expect("a #map") {
                    for e in pair[1].as_array().expect("an oplog") {
                        assert_eq!(e.get("h").is_some(), pv0, "{file}: {e}");
                        entries += 1;
                    }
                }
            }
            assert!(entries > 0, "{file}: some oplog entry");
        }
    }
}
