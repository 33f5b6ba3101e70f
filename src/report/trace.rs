//! Counterexamples as data: numbered steps in MongoDB's words, each with every member's
//! state afterwards. The text and JSON reports both render from here.

use crate::check::{Level, Trace};
use crate::protocol::atomic::{AtomicModel, AtomicState};
use crate::protocol::model::{MemberView, ReplicaSetModel, State};
use crate::protocol::narrate;
use crate::protocol::properties::PropertySpec;
use crate::protocol::types::{MemberState, OpTime, WriteId};
use serde::Serialize;

/// A member's state after a step.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MemberRow {
    pub member: String,
    pub state: String,
    pub term: u8,
    /// Oplog entries as optimes; `w1` marks client write 1.
    pub oplog: Vec<String>,
    /// Its durable vote: "n1 in term 2", or "none" (actor level only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vote: Option<String>,
    /// The commit point it knows (actor level only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit_point: Option<String>,
    /// Entries this member has rolled back, ever (actor level only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rolled_back: Option<Vec<String>>,
}

/// The client's view after a step.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClientRow {
    /// "write k at (t,i)" for each acknowledged write.
    pub acknowledged: Vec<String>,
}

/// One step of a trace.
#[derive(Clone, Debug, Serialize)]
pub struct Step {
    pub step: usize,
    pub action: String,
    pub members: Vec<MemberRow>,
    /// The client's view (actor level only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<ClientRow>,
    /// Every entry committed so far (atomic level only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub committed: Option<Vec<String>>,
    /// What the step changed, one line per member (or the client, or the committed
    /// entries) that changed.
    pub changes: Vec<String>,
    /// The whole state after the step as text lines, as the text report prints it with
    /// `--full-states`.
    #[serde(skip)]
    pub lines: Vec<String>,
}

fn member_row(m: &MemberView<'_>) -> MemberRow {
    MemberRow {
        member: m.id.to_string(),
        state: m.member_state().to_string(),
        term: m.member.term.0,
        oplog: m.oplog().entries().iter().map(|e| e.to_string()).collect(),
        vote: Some(match m.member.last_vote {
            Some(v) => format!("{} in term {}", v.candidate, v.term),
            None => "none".to_string(),
        }),
        commit_point: Some(m.member.commit_point.to_string()),
        rolled_back: Some(
            m.member
                .rollback_file
                .iter()
                .map(|e| e.to_string())
                .collect(),
        ),
    }
}

fn client_row(model: &ReplicaSetModel, state: &State) -> ClientRow {
    ClientRow {
        acknowledged: model
            .client(state)
            .acked
            .iter()
            .enumerate()
            .map(|(k, o)| format!("{} at {o}", WriteId(k as u8)))
            .collect(),
    }
}

/// How a level tells its traces: each step in MongoDB's words, and the state after it.
pub trait Narrated: Level {
    /// What `action` did, taking `before` to `after`.
    fn describe(&self, before: &Self::State, action: &Self::Action, after: &Self::State) -> String;
    /// The state as text lines, one per member and more.
    fn state_lines(&self, state: &Self::State) -> Vec<String>;
    /// The state as data.
    fn rows(&self, state: &Self::State) -> StateRows;
    /// The trace's story in one paragraph: what happened and how it breaks (or reaches)
    /// `property`.
    fn story(&self, property: &PropertySpec, trace: &Trace<Self>) -> String;
}

/// A state as data, for `Step`.
#[derive(Clone, Debug, PartialEq)]
pub struct StateRows {
    pub members: Vec<MemberRow>,
    pub client: Option<ClientRow>,
    pub committed: Option<Vec<String>>,
}

impl Narrated for ReplicaSetModel {
    fn describe(&self, before: &State, action: &Self::Action, after: &State) -> String {
        narrate::describe(self, before, action, after)
    }

    fn state_lines(&self, state: &State) -> Vec<String> {
        narrate::state_table(self, state)
    }

    fn rows(&self, state: &State) -> StateRows {
        StateRows {
            members: self.members(state).map(|m| member_row(&m)).collect(),
            client: Some(client_row(self, state)),
            committed: None,
        }
    }

    fn story(&self, property: &PropertySpec, trace: &Trace<Self>) -> String {
        narrate::story(self, property, &trace.states, &trace.actions)
    }
}

impl Narrated for AtomicModel {
    fn describe(&self, before: &AtomicState, action: &Self::Action, _: &AtomicState) -> String {
        AtomicModel::describe(self, before, *action)
    }

    fn state_lines(&self, state: &AtomicState) -> Vec<String> {
        AtomicModel::state_lines(self, state)
    }

    fn rows(&self, s: &AtomicState) -> StateRows {
        let optime = |(position, term): (u8, u8)| OpTime::new(term, position).to_string();
        StateRows {
            members: self
                .members()
                .map(|m| MemberRow {
                    member: m.to_string(),
                    state: if s.is_primary(m) {
                        MemberState::Primary
                    } else {
                        MemberState::Secondary
                    }
                    .to_string(),
                    term: s.term(m).0,
                    oplog: (1..=s.oplog_len(m))
                        .map(|k| optime((k, s.oplog(m)[usize::from(k - 1)])))
                        .collect(),
                    vote: None,
                    commit_point: None,
                    rolled_back: None,
                })
                .collect(),
            client: None,
            committed: Some(s.committed().map(optime).collect()),
        }
    }

    fn story(&self, property: &PropertySpec, trace: &Trace<Self>) -> String {
        AtomicModel::story(self, property, &trace.states, &trace.actions)
    }
}

/// The steps of a trace, numbered from 1, each followed by the state it leads to.
pub fn steps<M: Narrated>(model: &M, trace: &Trace<M>) -> Vec<Step> {
    trace
        .actions
        .iter()
        .enumerate()
        .map(|(i, action)| {
            let before = &trace.states[i];
            let after = &trace.states[i + 1];
            let rows = model.rows(after);
            Step {
                step: i + 1,
                action: model.describe(before, action, after),
                changes: changes(&model.rows(before), &rows),
                members: rows.members,
                client: rows.client,
                committed: rows.committed,
                lines: model.state_lines(after),
            }
        })
        .collect()
}

/// What changed between two states, one line per member that changed (only the fields
/// that changed, each with what it was), one for the client's acknowledgements and one
/// for the committed entries.
pub fn changes(before: &StateRows, after: &StateRows) -> Vec<String> {
    let mut lines = Vec::new();
    for (pre, post) in before.members.iter().zip(&after.members) {
        let mut fields = Vec::new();
        if pre.state != post.state {
            fields.push(format!("{} (was {})", post.state, pre.state));
        }
        if pre.term != post.term {
            fields.push(format!("term {} (was {})", post.term, pre.term));
        }
        if pre.oplog != post.oplog {
            fields.push(format!("oplog {}", list_change(&pre.oplog, &post.oplog)));
        }
        if let (Some(was), Some(now)) = (&pre.vote, &post.vote) {
            if was != now {
                fields.push(format!("vote {now} (was {was})"));
            }
        }
        if pre.commit_point != post.commit_point {
            if let (Some(was), Some(now)) = (&pre.commit_point, &post.commit_point) {
                fields.push(format!("commit point {now} (was {was})"));
            }
        }
        if pre.rolled_back != post.rolled_back {
            if let (Some(was), Some(now)) = (&pre.rolled_back, &post.rolled_back) {
                fields.push(format!("rolled back {}", list_change(was, now)));
            }
        }
        if !fields.is_empty() {
            lines.push(format!("{:<3} {}", post.member, fields.join("  ")));
        }
    }
    if let (Some(was), Some(now)) = (&before.client, &after.client) {
        if was != now {
            lines.push(format!(
                "client acknowledged {}",
                list_change(&was.acknowledged, &now.acknowledged)
            ));
        }
    }
    if let (Some(was), Some(now)) = (&before.committed, &after.committed) {
        if was != now {
            lines.push(format!("committed {}", list_change(was, now)));
        }
    }
    lines
}

/// A list's change: `+x y` when entries were appended, `-x` when the tail was removed,
/// otherwise the whole list with what it was.
fn list_change(was: &[String], now: &[String]) -> String {
    if now.starts_with(was) {
        format!("+{}", now[was.len()..].join(" +"))
    } else if was.starts_with(now) {
        format!("-{} (now [{}])", was[now.len()..].join(" -"), now.join(" "))
    } else {
        format!("[{}] (was [{}])", now.join(" "), was.join(" "))
    }
}
