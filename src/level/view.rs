//! A state as the expressions of user-defined properties see it (README, "Your own
//! properties"): every member's state, term, oplog, commit point, last vote, whether it is
//! up, and the writes the client has had acknowledged with their write concern. The field
//! names are an interface: model files use them.
//!
//! What a level does not track is `null` (the atomic level has no commit point, votes or
//! client), never a made-up value.

use serde::Serialize;

/// Every field name the view has, at any depth: a field an expression selects that is not
/// among them is a mistake whatever the state (checked when a model file is loaded).
pub const FIELDS: &[&str] = &[
    "members",
    "acknowledged",
    "name",
    "id",
    "priority",
    "votes",
    "arbiter",
    "state",
    "up",
    "term",
    "oplog",
    "last",
    "commit_point",
    "last_vote",
    "ts",
    "write",
    "candidate",
    "w",
    "j",
];

/// An optime: the term of the primary that wrote the entry and its position (`ts`; the
/// model's stand-in for the timestamp). Optimes are ordered by term, then `ts`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct OpTimeView {
    pub term: i64,
    pub ts: i64,
}

/// One oplog entry.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EntryView {
    pub term: i64,
    pub ts: i64,
    /// The client write it holds (1 for the first), or 0 for an entry no client wrote (a
    /// new primary's no-op).
    pub write: i64,
}

/// A member's vote: the term and the member it voted for.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VoteView {
    pub term: i64,
    pub candidate: String,
}

/// One member.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MemberView {
    /// "n0", "n1", ... as traces name members.
    pub name: String,
    /// Its index in `[[members]]`, from 0.
    pub id: i64,
    /// Its configuration: priority, votes, arbiter.
    pub priority: f64,
    pub votes: i64,
    pub arbiter: bool,
    /// Its member state: "PRIMARY", "SECONDARY", "ARBITER", "ROLLBACK", "RECOVERING" or
    /// "DOWN".
    pub state: String,
    pub up: bool,
    pub term: i64,
    pub oplog: Vec<EntryView>,
    /// The optime of its last oplog entry ({term: 0, ts: 0} for an empty oplog).
    pub last: OpTimeView,
    /// The commit point it knows (`null` where the level has none).
    pub commit_point: Option<OpTimeView>,
    /// Its durable vote (`null` if it never voted, or where the level has no votes).
    pub last_vote: Option<VoteView>,
}

/// A write the client has had acknowledged.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AckView {
    /// 1 for the first write.
    pub write: i64,
    /// Where the acknowledging primary wrote it.
    pub term: i64,
    pub ts: i64,
    /// Its write concern as MongoDB spells `w`: "majority", or a number as text ("1").
    pub w: String,
    /// Whether it asked for `j: true`.
    pub j: bool,
}

/// The whole state.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StateView {
    pub members: Vec<MemberView>,
    /// The acknowledged writes, in the order acknowledged (empty where the level has no
    /// client).
    pub acknowledged: Vec<AckView>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `FIELDS` is exactly the set of field names a view serializes to.
    #[test]
    fn fields_are_the_views() {
        let optime = OpTimeView { term: 1, ts: 1 };
        let view = StateView {
            members: vec![MemberView {
                name: "n0".into(),
                id: 0,
                priority: 1.0,
                votes: 1,
                arbiter: false,
                state: "PRIMARY".into(),
                up: true,
                term: 1,
                oplog: vec![EntryView {
                    term: 1,
                    ts: 1,
                    write: 1,
                }],
                last: optime,
                commit_point: Some(optime),
                last_vote: Some(VoteView {
                    term: 1,
                    candidate: "n0".into(),
                }),
            }],
            acknowledged: vec![AckView {
                write: 1,
                term: 1,
                ts: 1,
                w: "majority".into(),
                j: false,
            }],
        };
        fn names(value: &serde_json::Value, out: &mut std::collections::BTreeSet<String>) {
            match value {
                serde_json::Value::Object(map) => {
                    for (k, v) in map {
                        out.insert(k.clone());
                        names(v, out);
                    }
                }
                serde_json::Value::Array(items) => items.iter().for_each(|v| names(v, out)),
                _ => {}
            }
        }
        let mut found = std::collections::BTreeSet::new();
        names(&serde_json::to_value(&view).unwrap(), &mut found);
        let listed: std::collections::BTreeSet<String> =
            FIELDS.iter().map(|f| f.to_string()).collect();
        assert_eq!(found, listed);
    }
}
