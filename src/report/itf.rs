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

use crate::check::Trace;
use crate::protocol::atomic::{AtomicModel, AtomicState};
use crate::protocol::model::{MemberView, ReplicaSetModel, State};
use crate::protocol::narrate;
use crate::protocol::properties::{self, Kind};
use crate::protocol::types::{Entry, MemberId, Op, OpTime, WriteId};
use crate::report::trace::Narrated;
use serde_json::{json, Map, Value};

/// A level whose states can be written as ITF values.
pub trait Itf: Narrated {
    /// The variable names, in order.
    fn itf_vars(&self) -> Vec<&'static str>;
    /// One state as an object with one field per variable (no "#meta").
    fn itf_state(&self, state: &Self::State) -> Map<String, Value>;
}

/// An integer: `{"#bigint": "N"}`.
fn int(n: impl Into<i64>) -> Value {
    json!({ "#bigint": n.into().to_string() })
}

/// A set: `{"#set": [...]}`, its elements sorted and without repeats.
fn set(items: impl IntoIterator<Item = Value>) -> Value {
    let mut items: Vec<Value> = items.into_iter().collect();
    items.sort_by_cached_key(Value::to_string);
    items.dedup();
    json!({ "#set": items })
}

/// A tuple: `{"#tup": [...]}`.
fn tuple(items: impl IntoIterator<Item = Value>) -> Value {
    json!({ "#tup": items.into_iter().collect::<Vec<_>>() })
}

/// A function: `{"#map": [[key, value], ...]}`.
fn map(pairs: impl IntoIterator<Item = (Value, Value)>) -> Value {
    let pairs: Vec<Value> = pairs.into_iter().map(|(k, v)| json!([k, v])).collect();
    json!({ "#map": pairs })
}

/// A function of the members, keyed by their names.
fn per_member<T>(
    members: impl IntoIterator<Item = T>,
    f: impl Fn(&T) -> (MemberId, Value),
) -> Value {
    map(members.into_iter().map(|m| {
        let (id, v) = f(&m);
        (Value::String(id.to_string()), v)
    }))
}

/// An optime as the record `{term, ts}`.
fn optime(o: OpTime) -> Value {
    json!({ "term": int(o.term.0), "ts": int(o.ts) })
}

/// What an oplog entry does, in a few words.
fn op(op: Op) -> String {
    match op {
        Op::Initiate => "initiate".to_string(),
        Op::NewPrimary(m) => format!("noop {m}"),
        Op::Write(w) => w.to_string(),
    }
}

/// An oplog entry as the record `{term, ts, op}`; under protocol version 0 also `h`, the
/// election that made the primary that wrote it (`Entry::h`).
fn entry(e: &Entry, pv0: bool) -> Value {
    let mut r = json!({ "term": int(e.optime.term.0), "ts": int(e.optime.ts), "op": op(e.op) });
    if pv0 {
        r["h"] = int(e.h);
    }
    r
}

/// The actor level. Every member appears in every member-keyed map, a member that is down
/// with the state it will restart in (its durable state).
///
/// - `member_state`: member -> "PRIMARY", "SECONDARY", "ARBITER", "ROLLBACK",
///   "RECOVERING" or "DOWN";
/// - `term`: member -> its term;
/// - `last_vote`: member -> `{term, candidate}`, only for members holding a vote;
/// - `oplog`: member -> its entries in order, each `{term, ts, op}` (and `h` under
///   protocol version 0), `op` "noop n0" (a new primary's no-op), "write 1" or "initiate";
/// - `journaled`: member -> how many leading entries of its oplog are in the journal;
/// - `commit_point`: member -> the optime `{term, ts}` of the commit point it knows;
/// - `rolled_back`: member -> every entry it ever rolled back, in order (its rollback
///   files);
/// - `acknowledged`: "write k" -> the entry the client was told holds it;
/// - `in_flight`: the set of messages on the network, each `{src, dst, msg}` with `msg`
///   in the words of the text report.
impl Itf for ReplicaSetModel {
    fn itf_vars(&self) -> Vec<&'static str> {
        vec![
            "member_state",
            "term",
            "last_vote",
            "oplog",
            "journaled",
            "commit_point",
            "rolled_back",
            "acknowledged",
            "in_flight",
        ]
    }

    fn itf_state(&self, state: &State) -> Map<String, Value> {
        let pv0 = self.settings().is_pv0();
        let members: Vec<_> = self.members(state).collect();
        let each = |f: &dyn Fn(&MemberView<'_>) -> Value| per_member(&members, |m| (m.id, f(m)));
        let mut vars = Map::new();
        vars.insert(
            "member_state".into(),
            each(&|m| Value::String(m.member_state().to_string())),
        );
        vars.insert("term".into(), each(&|m| int(m.member.term.0)));
        vars.insert(
            "last_vote".into(),
            map(members.iter().filter_map(|m| {
                m.member.last_vote.map(|v| {
                    (
                        Value::String(m.id.to_string()),
                        json!({ "term": int(v.term.0), "candidate": v.candidate.to_string() }),
                    )
                })
            })),
        );
        vars.insert(
            "oplog".into(),
            each(&|m| Value::Array(m.oplog().entries().iter().map(|e| entry(e, pv0)).collect())),
        );
        vars.insert("journaled".into(), each(&|m| int(m.member.journaled)));
        vars.insert(
            "commit_point".into(),
            each(&|m| optime(m.member.commit_point)),
        );
        vars.insert(
            "rolled_back".into(),
            each(&|m| {
                Value::Array(
                    m.member
                        .rollback_file
                        .iter()
                        .map(|e| entry(e, pv0))
                        .collect(),
                )
            }),
        );
        vars.insert(
            "acknowledged".into(),
            map(self
                .client(state)
                .acked
                .iter()
                .enumerate()
                .map(|(k, e)| (Value::String(WriteId(k as u8).to_string()), entry(e, pv0)))),
        );
        vars.insert(
            "in_flight".into(),
            set(state.network.iter_deliverable().map(|e| {
                json!({
                    "src": narrate::name(self, e.src),
                    "dst": narrate::name(self, e.dst),
                    "msg": narrate::message(e.msg),
                })
            })),
        );
        vars
    }
}

/// The atomic level, with the variables of `MongoStaticRaft`:
///
/// - `role`: member -> "PRIMARY" or "SECONDARY" (its `state`);
/// - `term`: member -> its term (`currentTerm`);
/// - `oplog`: member -> the terms of its entries in order (`log`);
/// - `committed`: the set of committed entries (`committed`), each `{entry, term}` as
///   in the TLA+ spec: `entry` the tuple of its 1-based oplog position and its term,
///   `term` the term of the primary that committed it (the same term: a primary commits
///   only entries of its own term).
impl Itf for AtomicModel {
    fn itf_vars(&self) -> Vec<&'static str> {
        vec!["role", "term", "oplog", "committed"]
    }

    fn itf_state(&self, s: &AtomicState) -> Map<String, Value> {
        let mut vars = Map::new();
        vars.insert(
            "role".into(),
            per_member(self.members(), |&m| {
                let role = if s.is_primary(m) {
                    "PRIMARY"
                } else {
                    "SECONDARY"
                };
                (m, Value::String(role.to_string()))
            }),
        );
        vars.insert(
            "term".into(),
            per_member(self.members(), |&m| (m, int(s.term(m).0))),
        );
        vars.insert(
            "oplog".into(),
            per_member(self.members(), |&m| {
                (
                    m,
                    Value::Array(s.oplog(m).iter().map(|&t| int(t)).collect()),
                )
            }),
        );
        vars.insert(
            "committed".into(),
            set(s
                .committed()
                .map(|(k, t)| json!({ "entry": tuple([int(k), int(t)]), "term": int(t) }))),
        );
        vars
    }
}

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
    let what = match properties::find(property).map(|p| p.kind) {
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
    use crate::config::{self, Granularity};
    use crate::protocol::atomic::AtomicModel;
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
        let property_spec = properties::find(property).expect("a known property");
        let trace = shortest_trace(&model, property_spec).expect("the model has a trace");
        let doc = document(&model, &spec.name, file, property, &trace);
        (model, trace, doc)
    }

    fn actor(spec: &config::ModelSpec) -> ReplicaSetModel {
        ReplicaSetModel::new(spec.settings.clone())
    }

    fn atomic(spec: &config::ModelSpec) -> AtomicModel {
        let Granularity::Atomic(bounds) = spec.granularity else {
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
