//! The actor level in ITF (`level::itf`).

use super::narrate;
use super::{MemberView, ReplicaSetModel, State};
use crate::level::itf::{entry, int, map, optime, per_member, set, Itf};
use crate::protocol::types::WriteId;
use serde_json::{json, Map, Value};

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
                    "msg": narrate::message(self, e.msg),
                })
            })),
        );
        vars
    }
}
