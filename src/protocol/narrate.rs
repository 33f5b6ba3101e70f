//! Steps told in MongoDB's words, for counterexamples and the Explorer: what a step did
//! ("n1 starts an election for term 2", "n2 votes for n1 in term 2", "n0 rolls back 1
//! entry to common point (1,1)") and what every member's state is afterwards.
//!
//! Narration compares the states before and after a step and reuses the protocol's own
//! rules (the vote rule, the common-point search) to say why.

use super::client::Client;
use super::election::{self, VoteRequest};
use super::member::{Ctx, Member, Role};
use super::messages::{Msg, Timer};
use super::model::{Action, MemberView, ReplicaSetModel, State};
use super::rollback;
use super::types::{Entry, MemberId, OpTime, WriteId};
use stateright::actor::{ActorModelAction, Envelope, Id};

fn name(model: &ReplicaSetModel, id: Id) -> String {
    let i = usize::from(id);
    if i < model.settings().replset.len() {
        MemberId(i as u8).to_string()
    } else {
        "client".to_string()
    }
}

fn entries(list: &[Entry]) -> String {
    list.iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The message in a few words.
pub fn message(msg: &Msg) -> String {
    match msg {
        Msg::RequestVote { term, last } => {
            format!("replSetRequestVotes(term {term}, last {last})")
        }
        Msg::Vote { term } => format!("vote granted (term {term})"),
        Msg::Heartbeat { term, commit_point } => {
            format!("heartbeat(term {term}, commit point {commit_point})")
        }
        Msg::GetMore { last } => format!("getMore(after {last})"),
        Msg::Batch {
            term,
            from,
            oplog,
            commit_point,
        } => format!("batch(after {from}: {oplog}, term {term}, commit point {commit_point})"),
        Msg::UpdatePosition {
            term,
            member,
            position,
        } => format!(
            "replSetUpdatePosition({member} applied {}, durable {}, term {term})",
            position.applied, position.durable
        ),
        Msg::Write { write } => format!("insert({write})"),
        Msg::WriteAck { write, optime } => format!("ok({write} at {optime})"),
        Msg::Hello { term } => format!("hello(primary, term {term})"),
    }
}

/// A label for an action that needs no state: the Explorer's list of next steps.
pub fn label(model: &ReplicaSetModel, action: &Action) -> String {
    match action {
        ActorModelAction::Deliver { src, dst, msg } => format!(
            "{} → {} → {}",
            name(model, *src),
            message(msg),
            name(model, *dst)
        ),
        ActorModelAction::Drop(Envelope { src, dst, msg }) => format!(
            "lose {} → {} → {}",
            name(model, *src),
            message(msg),
            name(model, *dst)
        ),
        ActorModelAction::Timeout(id, timer) => {
            let who = name(model, *id);
            match timer {
                Timer::Election => format!("{who}: election timeout"),
                Timer::StepDown => format!("{who}: step down"),
                Timer::FinishRollback => format!("{who}: finish rollback"),
                Timer::PrimaryUnreachable => format!("{who}: primary unreachable"),
                Timer::JournalFlush => format!("{who}: journal flush"),
            }
        }
        ActorModelAction::Crash(id) => format!("{} crashes", name(model, *id)),
        ActorModelAction::Recover(id) => format!("{} restarts", name(model, *id)),
        ActorModelAction::SelectRandom { actor, .. } => {
            format!("{} random choice", name(model, *actor))
        }
    }
}

fn member_of<'a>(
    model: &ReplicaSetModel,
    state: &'a State,
    id: Id,
) -> Option<(MemberId, &'a Member)> {
    let i = usize::from(id);
    (i < model.settings().replset.len()).then(|| {
        let m = MemberId(i as u8);
        (m, model.member(state, m).member)
    })
}

/// What one step did, in MongoDB's words.
pub fn describe(model: &ReplicaSetModel, before: &State, action: &Action, after: &State) -> String {
    match action {
        ActorModelAction::Deliver { src, dst, msg } => {
            let from = name(model, *src);
            match member_of(model, before, *dst) {
                Some((id, pre)) => {
                    let post = model.member(after, id).member;
                    let mut text = term_change(id, pre, post, &from);
                    let src = MemberId(usize::from(*src) as u8);
                    text.push_str(&delivered(model, id, pre, post, src, &from, msg));
                    text
                }
                None => {
                    client_delivery(model, model.client(before), model.client(after), &from, msg)
                }
            }
        }
        ActorModelAction::Drop(Envelope { src, dst, msg }) => format!(
            "the network loses {} → {}: {}",
            name(model, *src),
            name(model, *dst),
            message(msg)
        ),
        ActorModelAction::Timeout(id, timer) => match member_of(model, before, *id) {
            Some((m, pre)) => timeout(m, pre, model.member(after, m).member, *timer),
            None => "client: timer".to_string(),
        },
        ActorModelAction::Crash(id) => format!("{} crashes: DOWN", name(model, *id)),
        ActorModelAction::Recover(id) => match member_of(model, after, *id) {
            Some((m, post)) => format!(
                "{m} restarts as {} in term {} with oplog {}",
                post.member_state(),
                post.term,
                post.oplog
            ),
            None => "client restarts".to_string(),
        },
        ActorModelAction::SelectRandom { actor, .. } => {
            format!("{} makes a random choice", name(model, *actor))
        }
    }
}

fn term_change(id: MemberId, pre: &Member, post: &Member, from: &str) -> String {
    if post.term <= pre.term {
        return String::new();
    }
    if pre.is_primary() {
        format!("{id} sees term {} from {from} and steps down; ", post.term)
    } else {
        format!("{id} adopts term {} from {from}; ", post.term)
    }
}

fn delivered(
    model: &ReplicaSetModel,
    id: MemberId,
    pre: &Member,
    post: &Member,
    src: MemberId,
    from: &str,
    msg: &Msg,
) -> String {
    let ctx = Ctx {
        id,
        settings: model.settings(),
    };
    match msg {
        Msg::RequestVote { term, last } => {
            if post.last_vote != pre.last_vote && post.last_vote.is_some_and(|v| v.term == *term) {
                return format!("{id} votes for {from} in term {term}");
            }
            let mut view = election::voter_view(ctx, pre);
            view.term = view.term.max(*term);
            let req = VoteRequest {
                candidate: src,
                term: *term,
                last: *last,
            };
            match election::decide_vote(model.settings(), &view, &req) {
                Err(reason) => format!("{id} refuses to vote for {from} in term {term}: {reason}"),
                Ok(()) => format!("{id} ignores {from}'s vote request for term {term}"),
            }
        }
        Msg::Vote { term } => {
            if post.is_primary() && !pre.is_primary() {
                format!(
                    "{id} receives {from}'s vote and wins the election for term {term}: PRIMARY, writes the new-primary no-op {}",
                    post.last_optime()
                )
            } else if matches!(
                post.role,
                Role::Secondary {
                    election: Some(_),
                    ..
                }
            ) && post != pre
            {
                let votes = match post.role {
                    Role::Secondary {
                        election: Some(v), ..
                    } => v.to_string(),
                    _ => String::new(),
                };
                format!("{id} receives {from}'s vote for term {term} (votes: {votes})")
            } else {
                format!("{id} ignores {from}'s late vote for term {term}")
            }
        }
        Msg::Heartbeat { commit_point, .. } => match (&pre.role, &post.role) {
            (_, Role::Arbiter { primary: Some(p) }) => {
                format!("{id} (arbiter) hears primary {p}'s heartbeat")
            }
            _ if post.commit_point != pre.commit_point => format!(
                "{id} learns commit point {} from {from}'s heartbeat",
                post.commit_point
            ),
            _ if commit_point.term != pre.last_optime().term
                && *commit_point > pre.commit_point =>
            {
                format!(
                    "{id} does not take commit point {commit_point} from {from}'s heartbeat: its last entry {} is of another term",
                    pre.last_optime()
                )
            }
            _ => format!("{id} receives {from}'s heartbeat (nothing new)"),
        },
        Msg::GetMore { last } => {
            if pre.oplog.contains_optime(*last) {
                format!(
                    "{id} answers {from}'s getMore after {last} with {}",
                    entries(pre.oplog.after(last.index))
                )
            } else {
                format!(
                    "{id} answers {from}'s getMore after {last}, which it does not hold, with its oplog {}",
                    pre.oplog
                )
            }
        }
        Msg::Batch {
            from: asked, oplog, ..
        } => {
            if let Role::Rollback { min_valid } = post.role {
                let common = rollback::common_point(&pre.oplog, oplog);
                let removed = &pre.oplog.entries()[usize::from(common)..];
                let common_optime = pre.oplog.at(common).map_or(OpTime::NULL, |e| e.optime);
                format!(
                    "{id} finds its last entry {} missing from {from}'s oplog (OplogStartMissing): ROLLBACK — rolls back {} entr{} to common point {common_optime}, writing {} to its rollback file (minValid {min_valid})",
                    pre.last_optime(),
                    removed.len(),
                    if removed.len() == 1 { "y" } else { "ies" },
                    entries(removed)
                )
            } else if post.oplog != pre.oplog {
                let applied = &post.oplog.entries()[pre.oplog.len()..];
                let mut text = format!("{id} applies {} from sync source {from}", entries(applied));
                if post.commit_point != pre.commit_point {
                    text.push_str(&format!("; commit point {}", post.commit_point));
                }
                if matches!(pre.role, Role::Recovering { .. })
                    && matches!(post.role, Role::Secondary { .. })
                {
                    text.push_str("; reaches minValid: RECOVERING → SECONDARY");
                }
                text
            } else if *asked != pre.last_optime() {
                format!("{id} ignores {from}'s answer to its older getMore after {asked}")
            } else {
                format!("{id} ignores {from}'s batch")
            }
        }
        Msg::UpdatePosition {
            term,
            member,
            position,
        } => {
            let applied = if position.durable == position.applied {
                format!("applied and journaled {}", position.applied)
            } else {
                format!(
                    "applied {} and journaled {}",
                    position.applied, position.durable
                )
            };
            if post.is_primary() && post != pre {
                let mut text = format!("{id} learns that {member} has {applied}");
                if post.commit_point != pre.commit_point {
                    text.push_str(&format!(
                        "; the commit point advances to {}",
                        post.commit_point
                    ));
                }
                text
            } else if super::replication::forwards_report(ctx, post, *term) {
                format!("{id} passes {member}'s progress report ({applied}) on up the chain")
            } else {
                format!("{id} ignores {from}'s progress report {applied}")
            }
        }
        Msg::Write { write } => {
            if !pre.is_primary() {
                return format!("{id} cannot take {write}: not primary (NotWritablePrimary)");
            }
            let optime = post
                .oplog
                .find_write(*write)
                .map_or(OpTime::NULL, |e| e.optime);
            let mut text = if pre.oplog.find_write(*write).is_some() {
                format!("{id} already holds {write} at {optime} (a retried write)")
            } else {
                format!("{id} writes {write} at {optime}")
            };
            if post.commit_point != pre.commit_point {
                text.push_str(&format!(
                    "; the commit point advances to {}",
                    post.commit_point
                ));
            }
            text
        }
        Msg::WriteAck { .. } | Msg::Hello { .. } => {
            format!("{id} ignores a message meant for the client")
        }
    }
}

fn client_delivery(
    model: &ReplicaSetModel,
    pre: &Client,
    post: &Client,
    from: &str,
    msg: &Msg,
) -> String {
    match msg {
        Msg::WriteAck { write, optime } if post.acked.len() > pre.acked.len() => format!(
            "client: {write} acknowledged with {} at {optime} by {from}",
            model.settings().write_concern
        ),
        Msg::WriteAck { write, .. } => {
            format!("client: ignores {from}'s late acknowledgement of {write}")
        }
        Msg::Hello { term } if post.primary != pre.primary => match pre
            .outstanding(model.settings())
        {
            Some(w) => format!("client: learns {from} is primary in term {term}; sends {w} there"),
            None => format!("client: learns {from} is primary in term {term}"),
        },
        Msg::Hello { term } => format!("client: ignores {from}'s hello from term {term}"),
        other => format!("client: ignores {}", message(other)),
    }
}

fn timeout(id: MemberId, pre: &Member, post: &Member, timer: Timer) -> String {
    match timer {
        Timer::Election => {
            let mut text = format!("{id} starts an election for term {}", post.term);
            if post.is_primary() {
                text.push_str(&format!(
                    " and wins alone: PRIMARY, writes the new-primary no-op {}",
                    post.last_optime()
                ));
            }
            text
        }
        Timer::StepDown => format!("{id} steps down: it cannot see a majority (SECONDARY)"),
        Timer::FinishRollback => match post.role {
            Role::Recovering { min_valid, .. } => {
                format!("{id} finishes rollback: RECOVERING until it reaches minValid {min_valid}")
            }
            _ => format!("{id} finishes rollback"),
        },
        Timer::JournalFlush => {
            let flushed = &post.oplog.entries()[usize::from(pre.journaled)..];
            let mut text = format!("{id} flushes its journal: {} now durable", entries(flushed));
            if post.commit_point != pre.commit_point {
                text.push_str(&format!(
                    "; the commit point advances to {}",
                    post.commit_point
                ));
            }
            text
        }
        Timer::PrimaryUnreachable => match pre.role {
            Role::Arbiter { primary: Some(p) } => {
                format!("{id} (arbiter) no longer hears from primary {p}")
            }
            _ => format!("{id}: heartbeat timeout"),
        },
    }
}

/// One line per member (member state, term, oplog as optimes, commit point) and one for
/// the client.
pub fn state_table(model: &ReplicaSetModel, state: &State) -> Vec<String> {
    let mut lines: Vec<String> = model.members(state).map(|m| member_line(&m)).collect();
    lines.push(client_line(model, model.client(state)));
    lines
}

/// A member's state in one line.
pub fn member_line(m: &MemberView<'_>) -> String {
    let member = m.member;
    let state = m.member_state();
    if model_is_arbiter(member) {
        return format!("{:<3} {:<10} term {}", m.id, state.to_string(), member.term);
    }
    let mut line = format!(
        "{:<3} {:<10} term {}  oplog {}  commit point {}",
        m.id,
        state.to_string(),
        member.term,
        member.oplog,
        member.commit_point
    );
    if member.has_volatile_tail() {
        line.push_str(&format!("  journaled up to {}", member.durable_optime()));
    }
    if !member.rollback_file.is_empty() {
        line.push_str(&format!("  rolled back {}", entries(&member.rollback_file)));
    }
    line
}

fn model_is_arbiter(m: &Member) -> bool {
    matches!(m.role, Role::Arbiter { .. })
}

/// The client's view in one line.
pub fn client_line(model: &ReplicaSetModel, c: &Client) -> String {
    let acked: Vec<String> = c
        .acked
        .iter()
        .enumerate()
        .map(|(k, o)| format!("{} at {o}", WriteId(k as u8)))
        .collect();
    let waiting = match c.outstanding(model.settings()) {
        Some(w) => match c.primary {
            Some((p, t)) => format!("; {w} outstanding, believes {p} is primary (term {t})"),
            None => format!("; {w} outstanding, knows no primary yet"),
        },
        None => String::new(),
    };
    format!("client     acknowledged [{}]{waiting}", acked.join(", "))
}
