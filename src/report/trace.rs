//! Counterexamples as data: numbered steps in MongoDB's words, each with every member's
//! state afterwards. The text and JSON reports both render from here.

use crate::check::{Level, Trace};
use crate::protocol::atomic::{AtomicModel, AtomicState};
use crate::protocol::model::{MemberView, ReplicaSetModel, State};
use crate::protocol::narrate;
use crate::protocol::types::{MemberState, OpTime, WriteId};
use serde::Serialize;

/// A member's state after a step.
#[derive(Clone, Debug, Serialize)]
pub struct MemberRow {
    pub member: String,
    pub state: String,
    pub term: u8,
    /// Oplog entries as optimes; `w1` marks client write 1.
    pub oplog: Vec<String>,
    /// The commit point it knows (actor level only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit_point: Option<String>,
    /// Entries this member has rolled back, ever (actor level only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rolled_back: Option<Vec<String>>,
}

/// The client's view after a step.
#[derive(Clone, Debug, Serialize)]
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
    /// The same information as text lines, as the text report prints it.
    #[serde(skip)]
    pub lines: Vec<String>,
}

fn member_row(m: &MemberView<'_>) -> MemberRow {
    MemberRow {
        member: m.id.to_string(),
        state: m.member_state().to_string(),
        term: m.member.term.0,
        oplog: m.oplog().entries().iter().map(|e| e.to_string()).collect(),
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
}

/// A state as data, for `Step`.
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
                    commit_point: None,
                    rolled_back: None,
                })
                .collect(),
            client: None,
            committed: Some(s.committed().map(optime).collect()),
        }
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
                members: rows.members,
                client: rows.client,
                committed: rows.committed,
                lines: model.state_lines(after),
            }
        })
        .collect()
}
