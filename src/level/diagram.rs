//! What a level draws of a trace as a sequence diagram: lifelines, and for each step its
//! arrows and notes, in raw text lines, and how it is shaded. `report::mermaid` writes
//! them as Mermaid; each level says what a step draws (`Diagram`), in its own folder.

use super::Level;
use crate::protocol::replset::ReplicaSetConfig;
use crate::text::wrap;

/// A level whose traces can be drawn as sequence diagrams.
pub trait Diagram: Level {
    /// The lifelines, left to right.
    fn participants(&self) -> Vec<Participant>;
    /// What the step from `before` to `after` draws.
    fn draw(&self, before: &Self::State, action: &Self::Action, after: &Self::State) -> Drawing;
}

/// The widest a line of a note is let grow before it is wrapped.
pub const WIDTH: usize = 44;
/// The same for an arrow's label, which has the room between two lifelines.
pub const ARROW_WIDTH: usize = 60;

/// A lifeline: its name in the diagram and, if different, what its box says.
pub struct Participant {
    pub id: String,
    pub label: Option<String>,
}

/// One line of the diagram. Text is raw lines, escaped and joined when written
/// (`report::mermaid`).
pub enum Line {
    Arrow {
        from: String,
        to: String,
        lost: bool,
        text: Vec<String>,
    },
    Note {
        over: String,
        text: Vec<String>,
    },
}

/// How a step is shaded.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Shade {
    /// It changes some member's member state: an election, a step-down, a rollback, a
    /// crash or a restart.
    MemberState,
    /// It acknowledges a write to the client or commits an entry.
    Write,
}

/// What one step draws: its lines, the first numbered, and its shading.
pub struct Drawing {
    pub lines: Vec<Line>,
    pub shade: Option<Shade>,
}

/// The members' lifelines, each saying what kind of member it is when it is not an
/// ordinary electable voter.
pub fn members(replset: &ReplicaSetConfig) -> Vec<Participant> {
    replset
        .ids()
        .map(|id| {
            let m = replset.member(id);
            let kind = if m.arbiter {
                Some("arbiter")
            } else if m.votes == 0 {
                Some("non-voting")
            } else if m.priority <= 0.0 {
                Some("priority 0")
            } else {
                None
            };
            Participant {
                id: id.to_string(),
                label: kind.map(|k| format!("{id} ({k})")),
            }
        })
        .collect()
}

/// A narrated text as lines: one per clause (the text report's "; "), each wrapped at
/// word boundaries to at most `width` characters where its words allow. A clause's last
/// few characters ("[]", "3)") stay on the line before rather than stand alone.
pub fn wrapped(text: &str, width: usize) -> Vec<String> {
    const SHORT_TAIL: usize = 6;
    text.split("; ")
        .flat_map(|clause| wrap(clause, width, SHORT_TAIL))
        .collect()
}
