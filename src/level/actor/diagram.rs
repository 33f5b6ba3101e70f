//! The actor level's sequence diagrams: a delivered message is an arrow from sender to
//! receiver; timers, crashes and restarts are notes over the member (module doc of
//! `report::mermaid`).

use super::narrate;
use super::{Action, ReplicaSetModel, State};
use crate::level::diagram::{
    members, wrapped, Diagram, Drawing, Line, Participant, Shade, ARROW_WIDTH, WIDTH,
};
use crate::protocol::member::{Member, Role};
use crate::protocol::messages::Msg;
use crate::protocol::types::MemberId;
use stateright::actor::{ActorModelAction, Envelope};

impl Diagram for ReplicaSetModel {
    fn participants(&self) -> Vec<Participant> {
        let mut participants = members(&self.settings().replset);
        participants.push(Participant {
            id: "client".to_string(),
            label: None,
        });
        participants
    }

    fn draw(&self, before: &State, action: &Action, after: &State) -> Drawing {
        actor_step(self, before, action, after)
    }
}

/// "n0: SECONDARY → PRIMARY" for every member whose member state the step changed (DOWN
/// included).
fn member_state_changes(model: &ReplicaSetModel, before: &State, after: &State) -> Vec<String> {
    model
        .members(before)
        .zip(model.members(after))
        .filter(|(pre, post)| pre.member_state() != post.member_state())
        .map(|(pre, post)| {
            format!(
                "{}: {} → {}",
                pre.id,
                pre.member_state(),
                post.member_state()
            )
        })
        .collect()
}

/// The election a member is running, if any.
fn election(m: &Member) -> Option<crate::protocol::member::Election> {
    match m.role {
        Role::Secondary { election } => election,
        _ => None,
    }
}

/// Whether a delivery changed what a person follows in a member: its member state, term,
/// vote, vote lease, election in progress, commit point or rollback files (not the
/// entries it applied or the progress it recorded, which the arrow's label shows).
fn notable(pre: &Member, post: &Member) -> bool {
    pre.member_state() != post.member_state()
        || pre.term != post.term
        || pre.last_vote != post.last_vote
        || pre.lease != post.lease
        || election(pre) != election(post)
        || pre.commit_point != post.commit_point
        || pre.rollback_file != post.rollback_file
}

/// Whether a message asks its receiver for a vote: the answer, granted or refused, is
/// always told.
fn asks_for_vote(msg: &Msg) -> bool {
    matches!(
        msg,
        Msg::RequestVote { .. } | Msg::Fresh { .. } | Msg::Elect
    )
}

fn actor_step(model: &ReplicaSetModel, before: &State, action: &Action, after: &State) -> Drawing {
    let describe = narrate::describe(model, before, action, after);
    let changes = member_state_changes(model, before, after);
    let acked = model.client(after).acked.len() > model.client(before).acked.len();
    let note = |over: String| {
        let mut text = wrapped(&describe, WIDTH);
        text.extend(changes.iter().cloned());
        Line::Note { over, text }
    };
    let mut lines = Vec::new();
    match action {
        ActorModelAction::Deliver { src, dst, msg } => {
            lines.push(Line::Arrow {
                from: narrate::name(model, *src),
                to: narrate::name(model, *dst),
                lost: false,
                text: wrapped(&narrate::message(msg), ARROW_WIDTH),
            });
            let i = usize::from(*dst);
            let told = if i < model.settings().replset.len() {
                let m = MemberId(i as u8);
                asks_for_vote(msg)
                    || notable(
                        model.member(before, m).member,
                        model.member(after, m).member,
                    )
            } else {
                acked || model.client(before).primary != model.client(after).primary
            };
            if told || !changes.is_empty() {
                lines.push(note(narrate::name(model, *dst)));
            }
        }
        ActorModelAction::Drop(Envelope { src, dst, msg }) => lines.push(Line::Arrow {
            from: narrate::name(model, *src),
            to: narrate::name(model, *dst),
            lost: true,
            text: wrapped(&format!("lost: {}", narrate::message(msg)), ARROW_WIDTH),
        }),
        ActorModelAction::Timeout(id, _)
        | ActorModelAction::Crash(id)
        | ActorModelAction::Recover(id)
        | ActorModelAction::SelectRandom { actor: id, .. } => {
            lines.push(note(narrate::name(model, *id)))
        }
    }
    Drawing {
        lines,
        shade: if !changes.is_empty() {
            Some(Shade::MemberState)
        } else if acked {
            Some(Shade::Write)
        } else {
            None
        },
    }
}
