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
                text: wrapped(&narrate::message(model, msg), ARROW_WIDTH),
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
            text: wrapped(
                &format!("lost: {}", narrate::message(model, msg)),
                ARROW_WIDTH,
            ),
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

/// The Explorer's picture of a path (`Model::as_svg`): a timeline per actor, an arrow
/// from the step that sent each delivered message to the step that delivered it, and a
/// dot for every other step, each labelled with what happened.
pub fn svg(model: &ReplicaSetModel, path: stateright::Path<State, Action>) -> String {
    use std::fmt::Write;
    let steps = path.into_vec();
    let names: Vec<String> = model
        .members(&steps[0].0)
        .map(|m| m.id.to_string())
        .chain(["client".to_string()])
        .collect();
    let (column, row) = (100, 30);
    let plot = |actor: usize, time: usize| (actor * column, time * row);
    let (width, height) = plot(names.len(), steps.len());
    let mut svg = format!(
        "<svg version='1.1' baseProfile='full' width='{w}' height='{height}' \
         viewbox='-20 -20 {vw} {vh}' xmlns='http://www.w3.org/2000/svg'>\
         <defs><marker class='svg-event-shape' id='arrow' markerWidth='12' \
         markerHeight='10' refX='12' refY='5' orient='auto'>\
         <polygon points='0 0, 12 5, 0 10' /></marker></defs>",
        w = width + 400,
        vw = width + 420,
        vh = height + 20,
    );
    for (i, name) in names.iter().enumerate() {
        let (x, y1) = plot(i, 0);
        let (_, y2) = plot(i, steps.len());
        let _ = write!(
            svg,
            "<line x1='{x}' y1='{y1}' x2='{x}' y2='{y2}' class='svg-actor-timeline' />\
             <text x='{x}' y='{y1}' class='svg-actor-label'>{name}</text>"
        );
    }
    for (k, (_, action)) in steps.iter().enumerate() {
        let Some(action) = action else { continue };
        let time = k + 1;
        let actor = match action {
            ActorModelAction::Deliver { src, dst, msg } => {
                let envelope = Envelope {
                    src: *src,
                    dst: *dst,
                    msg: msg.clone(),
                };
                // Sent by the step after the last state that did not hold it.
                let sent = (0..=k)
                    .rev()
                    .find(|&j| !steps[j].0.network.contains(&envelope))
                    .map_or(0, |j| j + 1);
                let (x1, y1) = plot(usize::from(*src), sent);
                let (x2, y2) = plot(usize::from(*dst), time);
                let _ = write!(
                    svg,
                    "<line x1='{x1}' x2='{x2}' y1='{y1}' y2='{y2}' \
                     marker-end='url(#arrow)' class='svg-event-line' />"
                );
                usize::from(*dst)
            }
            ActorModelAction::Drop(e) => usize::from(e.dst),
            ActorModelAction::Timeout(id, _)
            | ActorModelAction::Crash(id)
            | ActorModelAction::Recover(id) => usize::from(*id),
            ActorModelAction::SelectRandom { actor, .. } => usize::from(*actor),
        };
        let (x, y) = plot(actor, time);
        if !matches!(action, ActorModelAction::Deliver { .. }) {
            let _ = write!(
                svg,
                "<circle cx='{x}' cy='{y}' r='10' class='svg-event-shape' />"
            );
        }
        let label = narrate::label(model, action)
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        let (lx, _) = plot(names.len(), 0);
        let _ = write!(
            svg,
            "<text x='{lx}' y='{y}' class='svg-event-label'>{label}</text>"
        );
    }
    svg.push_str("</svg>");
    svg
}
