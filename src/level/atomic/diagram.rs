//! The atomic level's sequence diagrams: a fetch is an arrow from the source to the
//! fetcher, learning a term an arrow from the member that has it, an election a note over
//! the new primary and an arrow from each other voter (module doc of `report::mermaid`).

use super::{AtomicAction, AtomicModel, AtomicState};
use crate::level::diagram::{members, wrapped, Diagram, Drawing, Line, Participant, Shade, WIDTH};
use crate::protocol::types::{MemberId, OpTime};

impl Diagram for AtomicModel {
    fn participants(&self) -> Vec<Participant> {
        members(&self.settings.replset)
    }

    fn draw(&self, before: &AtomicState, action: &AtomicAction, after: &AtomicState) -> Drawing {
        atomic_step(self, before, *action, after)
    }
}

fn role(s: &AtomicState, m: MemberId) -> &'static str {
    if s.is_primary(m) {
        "PRIMARY"
    } else {
        "SECONDARY"
    }
}

fn atomic_step(
    model: &AtomicModel,
    before: &AtomicState,
    action: AtomicAction,
    after: &AtomicState,
) -> Drawing {
    let describe = model.describe(before, action);
    let changes: Vec<String> = model
        .members()
        .filter(|&m| before.is_primary(m) != after.is_primary(m))
        .map(|m| format!("{m}: {} → {}", role(before, m), role(after, m)))
        .collect();
    let note = |m: MemberId| {
        let mut text = wrapped(&describe, WIDTH);
        text.extend(changes.iter().cloned());
        Line::Note {
            over: m.to_string(),
            text,
        }
    };
    let arrow = |from: MemberId, to: MemberId, text: String| Line::Arrow {
        from: from.to_string(),
        to: to.to_string(),
        lost: false,
        text: vec![text],
    };
    let mut lines = Vec::new();
    match action {
        AtomicAction::ClientWrite(m)
        | AtomicAction::AdvanceCommit(m)
        | AtomicAction::RollBackEntry { member: m, .. } => lines.push(note(m)),
        AtomicAction::FetchEntry { member, source } => {
            let k = before.oplog_len(member) + 1;
            let term = after.oplog(member)[usize::from(k - 1)];
            lines.push(arrow(
                source,
                member,
                format!("entry {}", OpTime::new(term, k)),
            ));
        }
        AtomicAction::BecomePrimary { candidate, voters } => {
            lines.push(note(candidate));
            let term = after.term(candidate);
            for v in voters.iter().filter(|&v| v != candidate) {
                lines.push(arrow(v, candidate, format!("vote (term {term})")));
            }
        }
        AtomicAction::LearnTerm { member, from } => {
            lines.push(arrow(from, member, format!("term {}", before.term(from))));
            if !changes.is_empty() {
                lines.push(note(member));
            }
        }
    }
    Drawing {
        lines,
        shade: if !changes.is_empty() {
            Some(Shade::MemberState)
        } else if matches!(action, AtomicAction::AdvanceCommit(_)) {
            Some(Shade::Write)
        } else {
            None
        },
    }
}
