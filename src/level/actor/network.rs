//! The network's rules, beyond stateright's unordered, lossy network: which messages an
//! in-flight message replaces, and which in-flight messages can no longer do anything.
//!
//! Both rules remove messages whose delivery could never change any member or the client.
//! They keep the network free of junk, which would otherwise multiply the states by every
//! combination of pointless messages still in flight; they never remove a behaviour. Each
//! rule rests on something that only grows: terms (durable), votes within a term
//! (durable), the client's acknowledgements.

use super::{ReplicaSetModel, State};
use crate::protocol::member::{Ctx, Election, Member, Role};
use crate::protocol::messages::Msg;
use crate::protocol::node::NodeState;
use crate::protocol::pv0;
use crate::protocol::replication;
use crate::protocol::types::MemberId;
use stateright::actor::Envelope;

/// Whether `new`, sent on a connection, replaces `old` still in flight. A fetcher has one
/// cursor per sync source: a new `getMore` replaces its previous query there, and answers
/// to the previous query (batches after another optime) are discarded. The heartbeat
/// scheduler keeps one heartbeat in flight per member, and a newer one carries everything
/// an older one did (terms and commit points only grow).
pub fn replaces(new: &Envelope<Msg>, old: &Envelope<Msg>) -> bool {
    let same_way = new.src == old.src && new.dst == old.dst;
    let reverse = new.src == old.dst && new.dst == old.src;
    match (&new.msg, &old.msg) {
        (Msg::GetMore { .. }, Msg::GetMore { .. }) => same_way,
        (Msg::GetMore { last, .. }, Msg::Batch { from, .. }) => reverse && from != last,
        (Msg::Heartbeat { .. }, Msg::Heartbeat { .. }) => same_way,
        // A pv0 candidate's new round to a member supersedes every earlier round's request
        // and answer between them; its elect round supersedes its freshness answers.
        (Msg::Fresh { .. } | Msg::Elect, Msg::Fresh { .. } | Msg::Elect) => same_way,
        (Msg::Fresh { .. } | Msg::Elect, Msg::FreshReply { .. } | Msg::ElectReply { .. }) => {
            reverse
        }
        (
            Msg::UpdatePosition {
                term,
                member,
                position,
            },
            Msg::UpdatePosition {
                term: old_term,
                member: old_member,
                position: old_position,
            },
        ) => {
            same_way
                && term == old_term
                && member == old_member
                && !position.is_behind(*old_position)
        }
        _ => false,
    }
}

/// Whether an in-flight message is lost or can never again change its receiver:
/// - any message to a member that is down (lost with its connections);
/// - a vote for a term the candidate has left, or for a term in which it no longer stands
///   (standing in a term again would need a new term);
/// - a pv0 freshness or elect request or answer of a round no longer waiting for it
///   (`round_awaits`);
/// - a vote request of a term older than the receiver's, or for a term in which the
///   receiver has already voted (votes are durable);
/// - a heartbeat that brings the receiver neither a newer term nor a newer commit point
///   (nor, to an arbiter, news of a primary in its term);
/// - a progress report that the receiver will never record or pass on: only the primary
///   of the report's term records it, only while it is primary, and only if it is news (a
///   primary's knowledge of a member's progress only grows while it is primary); a member
///   standing for the report's term may still win it, so reports to it are kept; without
///   chaining, or where the receiver has no sync source to pass it to other than the
///   member it is about and the sender, nobody passes it on;
/// - a `hello` from a primary no newer than the newest the client knows (the client's
///   known term only grows), or any `hello` once the client has no write left to send;
/// - an acknowledgement of a write the client is no longer waiting for, and a copy of a
///   write the client has already seen acknowledged (it will not retry it, so a copy
///   still in flight is as good as lost).
pub fn obsolete(model: &ReplicaSetModel, state: &State, env: &Envelope<&Msg>) -> bool {
    let receiver = &*state.actor_states[usize::from(env.dst)];
    if state.crashed[usize::from(env.dst)] {
        // A member that is down receives nothing: its connections died with it, and a
        // message sent to it meanwhile finds no listener. It restarts with new ones.
        return true;
    }
    match (receiver, env.msg) {
        (
            NodeState::Member(_),
            Msg::Fresh { .. } | Msg::Elect | Msg::FreshReply { .. } | Msg::ElectReply { .. },
        ) => !round_awaits(state, env),
        (NodeState::Member(_), Msg::Write { write }) => {
            let client = model.client(state);
            client.acked.len() > usize::from(write.0)
        }
        (NodeState::Member(m), msg) => {
            let receiver = MemberId(usize::from(env.dst) as u8);
            let sender = MemberId(usize::from(env.src) as u8);
            member_ignores_forever(m, passes_on(model, receiver, sender, msg), msg)
        }
        (NodeState::Client(c), Msg::WriteAck { write, .. }) => {
            c.outstanding(model.settings()) != Some(*write)
        }
        (NodeState::Client(c), Msg::Hello { election_id }) => {
            let sender = MemberId(usize::from(env.src) as u8);
            !c.is_newer_primary(model.settings(), sender, *election_id)
        }
        (NodeState::Client(_), _) => true,
    }
}

/// Whether a pv0 election message still belongs to a round in progress: the candidate
/// (the sender of a request, the receiver of an answer) is up, in the matching round, and
/// waiting for this member's answer. Otherwise an answer is ignored, and a request would
/// only be answered to a candidate that ignores the answer. (A late `replSetElect` would
/// also take the voter's lease; dropping it only leaves the voter freer, and the lease may
/// expire at any moment anyway.)
fn round_awaits(state: &State, env: &Envelope<&Msg>) -> bool {
    let (candidate, voter) = match env.msg {
        Msg::Fresh { .. } | Msg::Elect => (env.src, env.dst),
        _ => (env.dst, env.src),
    };
    if state.crashed[usize::from(candidate)] {
        return false;
    }
    let NodeState::Member(c) = &*state.actor_states[usize::from(candidate)] else {
        return false;
    };
    let voter = MemberId(usize::from(voter) as u8);
    let awaiting = |targets, replied| pv0::awaits_answer(targets, replied, voter);
    match (&c.role, env.msg) {
        (
            Role::Secondary {
                election: Some(Election::Freshness { targets, replied }),
            },
            Msg::Fresh { .. } | Msg::FreshReply { .. },
        ) => awaiting(*targets, *replied),
        (
            Role::Secondary {
                election:
                    Some(Election::Elect {
                        targets, replied, ..
                    }),
            },
            Msg::Elect | Msg::ElectReply { .. },
        ) => awaiting(*targets, *replied),
        _ => false,
    }
}

/// Whether `receiver` could ever pass on a progress report that came from `sender`
/// (`replication::forwards_report`): chaining is allowed and it has somewhere to forward
/// it (`replication::forward_targets`: a sync source candidate that is neither the member
/// the report is about nor the sender). Those follow from the configuration alone, so
/// where there is none (PS, PSA; and in PSS, a report one secondary passed to another)
/// the report can only ever be recorded by a primary.
fn passes_on(model: &ReplicaSetModel, receiver: MemberId, sender: MemberId, msg: &Msg) -> bool {
    let Msg::UpdatePosition { member, .. } = *msg else {
        return false;
    };
    let ctx = Ctx {
        id: receiver,
        settings: model.settings(),
    };
    ctx.settings.chaining_allowed && !replication::forward_targets(ctx, member, sender).is_empty()
}

/// Whether member `m` will never again act on `msg`; `passes_on` says whether it could
/// pass a progress report on up a chain.
fn member_ignores_forever(m: &Member, passes_on: bool, msg: &Msg) -> bool {
    match *msg {
        Msg::Vote { term } => {
            let standing = matches!(
                m.role,
                Role::Secondary {
                    election: Some(Election::Votes(_)),
                }
            );
            term < m.term || (term == m.term && !standing)
        }
        Msg::RequestVote { term, .. } => {
            term < m.term || m.last_vote.is_some_and(|v| v.term >= term)
        }
        Msg::Heartbeat {
            term,
            commit_point,
            primary,
        } => {
            // Terms and commit points only grow while a member is up (and a member that
            // is down receives nothing); an arbiter also notes a primary of its term.
            let arbiter_notes = primary && term == m.term && matches!(m.role, Role::Arbiter { .. });
            term <= m.term && commit_point <= m.commit_point && !arbiter_notes
        }
        Msg::UpdatePosition {
            term,
            member,
            position,
        } => {
            // With chaining, any data-bearing member of the report's term that has
            // somewhere to pass it may yet do so (a primary that steps down stays in its
            // term as a secondary). A member standing for the report's term may win it
            // and record the report then.
            let news = match &m.role {
                Role::Arbiter { .. } => false,
                _ if passes_on => true,
                Role::Primary { progress, .. } => progress[member.index()].is_behind(position),
                Role::Secondary { election: Some(_) } => true,
                _ => false,
            };
            term < m.term || (term == m.term && !news)
        }
        Msg::GetMore { .. }
        | Msg::Batch { .. }
        | Msg::Write { .. }
        | Msg::WriteAck { .. }
        | Msg::Hello { .. }
        | Msg::Fresh { .. }
        | Msg::FreshReply { .. }
        | Msg::Elect
        | Msg::ElectReply { .. } => false,
    }
}
