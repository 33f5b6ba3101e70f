//! The atomic level in ITF (`level::itf`), with MongoStaticRaft's variables.

use super::{AtomicModel, AtomicState};
use crate::level::itf::{int, per_member, set, tuple, Itf};
use serde_json::{json, Map, Value};

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
