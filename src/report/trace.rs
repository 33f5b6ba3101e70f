//! Counterexamples as data: numbered steps in MongoDB's words, each with every member's
//! state afterwards. The text and JSON reports both render from here, for any level.

use crate::level::{ClientRow, Level, MemberRow, StateRows, Trace};
use serde::Serialize;

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

/// The steps of a trace, numbered from 1, each followed by the state it leads to.
pub fn steps<M: Level>(model: &M, trace: &Trace<M>) -> Vec<Step> {
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
