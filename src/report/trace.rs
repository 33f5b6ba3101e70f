//! Counterexamples as data: numbered steps in MongoDB's words, each with every member's
//! state afterwards. The text and JSON reports both render from here.

use crate::check::Trace;
use crate::protocol::model::{MemberView, ReplicaSetModel, State};
use crate::protocol::narrate;
use crate::protocol::types::WriteId;
use serde::Serialize;

/// A member's state after a step.
#[derive(Clone, Debug, Serialize)]
pub struct MemberRow {
    pub member: String,
    pub state: String,
    pub term: u8,
    /// Oplog entries as optimes; `w1` marks client write 1.
    pub oplog: Vec<String>,
    pub commit_point: String,
    /// Entries this member has rolled back, ever.
    pub rolled_back: Vec<String>,
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
    pub client: ClientRow,
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
        commit_point: m.member.commit_point.to_string(),
        rolled_back: m
            .member
            .rollback_file
            .iter()
            .map(|e| e.to_string())
            .collect(),
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

/// The steps of a trace, numbered from 1, each followed by the state it leads to.
pub fn steps(model: &ReplicaSetModel, trace: &Trace) -> Vec<Step> {
    trace
        .actions
        .iter()
        .enumerate()
        .map(|(i, action)| {
            let before = &trace.states[i];
            let after = &trace.states[i + 1];
            Step {
                step: i + 1,
                action: narrate::describe(model, before, action, after),
                members: model.members(after).map(|m| member_row(&m)).collect(),
                client: client_row(model, after),
                lines: narrate::state_table(model, after),
            }
        })
        .collect()
}
