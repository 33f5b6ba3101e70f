//! Steps told in MongoDB's words, for counterexamples and the Explorer: what a step did
//! ("n1 starts an election for term 2", "n2 votes for n1 in term 2", "n0 rolls back 1
//! entry to common point (1,1)") and what every member's state is afterwards.
//!
//! Narration compares the states before and after a step and reuses the protocol's own
//! rules (the vote rule, the common-point search) to say why.

use super::{Action, MemberView, ReplicaSetModel, State};
use crate::level::Property;
use crate::protocol::client::Client;
use crate::protocol::election::{self, VoteRequest};
use crate::protocol::member::{Ctx, Election, Member, Role};
use crate::protocol::messages::{Ballot, Msg, Timer};
use crate::protocol::pv0;
use crate::protocol::rollback;
use crate::protocol::types::{Entry, MemberId, OpTime, Position, WriteId};
use stateright::actor::{ActorModelAction, Envelope, Id};

/// An actor's name: `n0`, `n1`, ... for members, `client` for the client.
pub fn name(model: &ReplicaSetModel, id: Id) -> String {
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

/// What a progress report says of a member: only the positions the model tracks
/// (`Settings::reported` leaves the others null, and saying "applied (0,0)" of a member
/// that has applied more would be false).
fn progress(model: &ReplicaSetModel, position: &Position) -> String {
    let settings = model.settings();
    match (settings.reads_applied(), settings.reads_durable()) {
        (true, true) if position.applied == position.durable => {
            format!("applied and journaled {}", position.applied)
        }
        (true, true) => format!(
            "applied {} and journaled {}",
            position.applied, position.durable
        ),
        (true, false) => format!("applied {}", position.applied),
        (false, _) => format!("journaled {}", position.durable),
    }
}

/// The message in a few words.
pub fn message(model: &ReplicaSetModel, msg: &Msg) -> String {
    match msg {
        Msg::RequestVote { term, last } => {
            format!("replSetRequestVotes(term {term}, last {last})")
        }
        Msg::Vote { term } => format!("vote granted (term {term})"),
        Msg::Heartbeat {
            term,
            commit_point,
            primary,
        } => format!(
            "heartbeat({}term {term}, commit point {commit_point})",
            if *primary { "PRIMARY, " } else { "" }
        ),
        Msg::GetMore { last, required } if !required.is_null() => {
            format!("getMore(after {last}, from a source holding {required})")
        }
        Msg::GetMore { last, .. } => format!("getMore(after {last})"),
        Msg::Batch {
            term,
            from,
            oplog,
            commit_point,
        } => match oplog.position_of(*from) {
            Some(start) => format!(
                "batch(after {from}: {}, term {term}, commit point {commit_point})",
                entries(oplog.after(start))
            ),
            None => format!(
                "batch(after {from}, which the source lacks: its oplog {oplog}, term {term}, commit point {commit_point})"
            ),
        },
        Msg::UpdatePosition {
            term,
            member,
            position,
        } => format!(
            "replSetUpdatePosition({member} {}, term {term})",
            progress(model, position)
        ),
        Msg::Write { write } => format!("insert({write})"),
        Msg::WriteAck { write, entry } => format!("ok({write} at {})", entry.optime),
        Msg::Hello { election_id } => format!("hello(primary, election id {election_id})"),
        Msg::Fresh { last } => format!("replSetFresh(last {last})"),
        Msg::FreshReply {
            last,
            fresher,
            veto,
        } => format!("fresh reply(last {last}, fresher {fresher}, veto {veto})"),
        Msg::Elect => "replSetElect".to_string(),
        Msg::ElectReply { ballot, .. } => match ballot {
            Ballot::Yea(n) => format!(
                "elect reply(yea, {n} vote{})",
                if *n == 1 { "" } else { "s" }
            ),
            Ballot::No => "elect reply(0: lease held for another)".to_string(),
            Ballot::Veto => "elect reply(veto -10000)".to_string(),
        },
    }
}

/// A label for an action that needs no state: the Explorer's list of next steps.
pub fn label(model: &ReplicaSetModel, action: &Action) -> String {
    match action {
        ActorModelAction::Deliver { src, dst, msg } => format!(
            "{} → {} → {}",
            name(model, *src),
            message(model, msg),
            name(model, *dst)
        ),
        ActorModelAction::Drop(Envelope { src, dst, msg }) => format!(
            "lose {} → {} → {}",
            name(model, *src),
            message(model, msg),
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
                Timer::Isolate => format!("{who}: cut off"),
                Timer::Rejoin => format!("{who}: reconnects"),
                Timer::LeaseExpires => format!("{who}: vote lease expires"),
                Timer::ClockJump => format!("{who}: clock jumps ahead"),
            }
        }
        ActorModelAction::Crash(id) if model.settings().restarts_at_once() => {
            format!("{} crashes and restarts", name(model, *id))
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
                    if let Some(text) = stale_primary_learns(model, id, pre, post, &from, msg) {
                        return text;
                    }
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
            message(model, msg)
        ),
        ActorModelAction::Timeout(id, timer) => match member_of(model, before, *id) {
            Some((m, pre)) => timeout(
                model,
                m,
                pre,
                model.member(after, m).member,
                *timer,
                primary_seen_by(model, before, m),
            ),
            None => "client: timer".to_string(),
        },
        ActorModelAction::Crash(id) if model.settings().restarts_at_once() => {
            match member_of(model, after, *id) {
                Some((m, post)) => format!(
                    "{m} crashes and restarts as {} in term {} with oplog {}; what it was sent before is lost",
                    post.member_state(),
                    post.term,
                    post.oplog
                ),
                None => "client crashes and restarts".to_string(),
            }
        }
        ActorModelAction::Crash(id) => format!("{} crashes: DOWN", name(model, *id)),
        ActorModelAction::Recover(id) => match member_of(model, after, *id) {
            Some((m, post)) if model.settings().is_pv0() => format!(
                "{m} restarts as {} with oplog {}, its vote lease forgotten",
                post.member_state(),
                post.oplog
            ),
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

/// Before SERVER-27123 a primary took a commit point from any heartbeat before adopting
/// the heartbeat's term (`replication::on_heartbeat`): told in that order.
fn stale_primary_learns(
    model: &ReplicaSetModel,
    id: MemberId,
    pre: &Member,
    post: &Member,
    from: &str,
    msg: &Msg,
) -> Option<String> {
    let Msg::Heartbeat { commit_point, .. } = msg else {
        return None;
    };
    if !pre.is_primary() || post.commit_point == pre.commit_point {
        return None;
    }
    let settings = model.settings();
    let why = if settings.variant.commit_point_term_check {
        format!("release {}", settings.version())
    } else {
        "bug variant".to_string()
    };
    let mut text = format!(
        "{id}, PRIMARY in term {}, takes commit point {commit_point} from {from}'s heartbeat ({why}: no term check), up to its own last entry {}",
        pre.term, post.commit_point
    );
    if let Role::Primary {
        waiter: Some(w), ..
    } = pre.role
    {
        if !matches!(
            post.role,
            Role::Primary {
                waiter: Some(_),
                ..
            }
        ) {
            text.push_str(&format!(
                ", which satisfies {} waiting at {}",
                w.write, w.optime
            ));
        }
    }
    if post.term > pre.term {
        text.push_str(&format!("; then it sees term {} and steps down", post.term));
    }
    Some(text)
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
            } else if let (
                true,
                Role::Secondary {
                    election: Some(Election::Votes(votes)),
                },
            ) = (post != pre, &post.role)
            {
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
        Msg::GetMore { last, .. } => {
            if pre.oplog.contains_optime(*last) {
                let after = pre.oplog.after(pre.oplog.position_of(*last).unwrap_or(0));
                let batches = if after.len() > 1 && !model.settings().whole_batches {
                    " (in a batch that may end after any of them)"
                } else {
                    ""
                };
                format!(
                    "{id} answers {from}'s getMore after {last} with {}{batches}",
                    entries(after)
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
                let min_valid = if min_valid.is_null() {
                    String::new()
                } else {
                    format!(" (minValid {min_valid})")
                };
                format!(
                    "{id} finds its last entry {} missing from {from}'s oplog (OplogStartMissing): ROLLBACK — rolls back {} entr{} to common point {common_optime}, writing {} to its rollback file{min_valid}",
                    pre.last_optime(),
                    removed.len(),
                    if removed.len() == 1 { "y" } else { "ies" },
                    entries(removed)
                )
            } else if post.oplog != pre.oplog {
                let applied = &post.oplog.entries()[pre.oplog.len().min(post.oplog.len())..];
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
            let applied = progress(model, position);
            if post.is_primary() && post != pre {
                let mut text = format!("{id} learns that {member} has {applied}");
                if post.commit_point != pre.commit_point {
                    text.push_str(&format!(
                        "; the commit point advances to {}",
                        post.commit_point
                    ));
                }
                text
            } else if crate::protocol::replication::forwards_report(ctx, post, *term) {
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
        Msg::Fresh { last } => {
            let latest_fresher = pre
                .view
                .iter()
                .flatten()
                .map(|v| v.last)
                .fold(pre.last_optime(), OpTime::max)
                > *last;
            match (latest_fresher, pv0::veto_reason(ctx, pre, src)) {
                (_, Some(reason)) => {
                    format!("{id} vetoes {from} in the freshness round: {reason}")
                }
                (true, None) => {
                    format!(
                        "{id} answers {from}'s replSetFresh: it knows a fresher optime than {last}"
                    )
                }
                (false, None) => format!(
                    "{id} answers {from}'s replSetFresh: no objection (its own last {})",
                    pre.last_optime()
                ),
            }
        }
        Msg::FreshReply { .. } | Msg::ElectReply { .. } => pv0_round(id, pre, post, from),
        Msg::Elect => {
            if let Some(reason) = pv0::elect_veto_reason(ctx, pre, src) {
                format!("{id} vetoes {from} in the elect round (-10000): {reason}")
            } else if post.lease == Some(src) {
                let votes = model.settings().replset.member(id).votes;
                let broken = match pre.pledge {
                    Some(p) if p != src && pre.lease.is_none() => {
                        format!(" — within the lease it gave {p}, which it lost in its restart")
                    }
                    _ => String::new(),
                };
                format!(
                    "{id} votes for {from} ({votes} vote{}) and takes a 30 s lease for it{broken}",
                    if votes == 1 { "" } else { "s" }
                )
            } else {
                format!(
                    "{id} answers 0 to {from}: its vote lease is held for {}",
                    pre.lease
                        .map_or("another member".to_string(), |l| l.to_string())
                )
            }
        }
    }
}

/// What a pv0 candidate did with an answer in the freshness or elect round.
fn pv0_round(id: MemberId, pre: &Member, post: &Member, from: &str) -> String {
    match (&pre.role, &post.role) {
        (_, Role::Primary { election_time, .. }) if !pre.is_primary() => format!(
            "{id} counts {from}'s answer and wins: PRIMARY, election time {election_time} (no entry written)"
        ),
        (Role::Secondary { election: Some(_) }, Role::Secondary { election: None }) => {
            format!("{id} gives up its election after {from}'s answer")
        }
        (
            Role::Secondary {
                election: Some(Election::Freshness { .. }),
            },
            Role::Secondary {
                election: Some(Election::Elect { .. }),
            },
        ) => format!("{id} passes the freshness round: takes its own vote lease and sends replSetElect"),
        (
            _,
            Role::Secondary {
                election: Some(Election::Elect { tally, .. }),
            },
        ) if pre != post => format!("{id} counts {from}'s answer: {tally} vote(s) so far"),
        _ if pre != post => format!("{id} counts {from}'s answer"),
        _ => format!("{id} ignores {from}'s late answer"),
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
        Msg::WriteAck { write, entry } if post.acked.len() > pre.acked.len() => format!(
            "client: {write} acknowledged with {} at {} by {from}",
            model.settings().write_concern,
            entry.optime
        ),
        Msg::WriteAck { write, .. } => {
            format!("client: ignores {from}'s late acknowledgement of {write}")
        }
        Msg::Hello { election_id } if post.primary != pre.primary => {
            let which = election_id_words(model, *election_id);
            match pre.outstanding(model.settings()) {
                Some(w) => format!("client: learns {from} is primary ({which}); sends {w} there"),
                None => format!("client: learns {from} is primary ({which})"),
            }
        }
        Msg::Hello { election_id } => format!(
            "client: ignores {from}'s hello ({}): not newer than the primary it knows",
            election_id_words(model, *election_id)
        ),
        other => format!("client: ignores {}", message(model, other)),
    }
}

/// The election id as the client sees it.
fn election_id_words(model: &ReplicaSetModel, election_id: u8) -> String {
    if model.settings().is_pv0() {
        format!("election time {election_id}")
    } else {
        format!("term {election_id}")
    }
}

/// The member that is primary in `state` (up, and not `id`), in the newest term if
/// there are two: the one whose heartbeats `id` would be hearing.
fn primary_seen_by(model: &ReplicaSetModel, state: &State, id: MemberId) -> Option<MemberId> {
    model
        .members(state)
        .filter(|m| m.id != id && m.is_primary())
        .max_by_key(|m| m.member.term)
        .map(|m| m.id)
}

fn timeout(
    model: &ReplicaSetModel,
    id: MemberId,
    pre: &Member,
    post: &Member,
    timer: Timer,
    primary: Option<MemberId>,
) -> String {
    match timer {
        Timer::Election if model.settings().is_pv0() => match (&pre.role, &post.role) {
            (_, Role::Primary { election_time, .. }) if !pre.is_primary() => format!(
                "{id}'s round times out with a majority: PRIMARY, election time {election_time}"
            ),
            (
                Role::Secondary { election: None },
                Role::Secondary {
                    election: Some(Election::Freshness { targets, .. }),
                },
            ) => format!(
                "{id} stands for election (knows no primary, sees a majority, last {}): replSetFresh to {targets}",
                post.last_optime()
            ),
            (
                Role::Secondary {
                    election: Some(Election::Freshness { .. }),
                },
                Role::Secondary {
                    election: Some(Election::Elect { .. }),
                },
            ) => format!(
                "{id}'s freshness round times out with enough answers: takes its own vote lease and sends replSetElect"
            ),
            (Role::Secondary { election: Some(_) }, Role::Secondary { election: None }) => {
                format!("{id}'s election round times out: it gives up")
            }
            _ => format!("{id}: election timeout (nothing to do)"),
        },
        Timer::Isolate => format!(
            "{id} is cut off: its heartbeats to and from every other member fail (each side sees the other DOWN)"
        ),
        Timer::Rejoin => format!("{id}'s heartbeats get through again"),
        Timer::LeaseExpires => format!("{id}'s vote lease expires (30 s pass)"),
        Timer::ClockJump => format!("{id}'s clock jumps ahead to {}", post.clock),
        Timer::Election => {
            // pv1's election timeout (electionTimeoutMillis, 10 s): a secondary stands when
            // it has heard from no primary for that long. The model lets it fire at any
            // moment, for every way heartbeats can be delayed or lost.
            let why = match primary {
                Some(p) => format!(
                    "its election timeout fires: no heartbeat of primary {p} has reached it for electionTimeoutMillis, delayed or lost"
                ),
                None => "its election timeout fires: no primary is up to send it heartbeats"
                    .to_string(),
            };
            let mut text = format!("{id} starts an election for term {} ({why})", post.term);
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
            Role::Secondary { .. } => format!(
                "{id} finishes rollback, recovered to a timestamp at the common point: SECONDARY"
            ),
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
    // Protocol version 0 (the only one with heartbeat views) has no terms to show.
    let term = if member.view.is_empty() {
        format!("term {}  ", member.term)
    } else {
        String::new()
    };
    if model_is_arbiter(member) {
        return format!("{:<3} {:<10} {}", m.id, state.to_string(), term.trim_end());
    }
    let mut line = format!(
        "{:<3} {:<10} {term}oplog {}  commit point {}",
        m.id,
        state.to_string(),
        member.oplog,
        member.commit_point
    );
    if member.has_volatile_tail() {
        line.push_str(&format!("  journaled up to {}", member.durable_optime()));
    }
    if member.clock != 0 {
        line.push_str(&format!("  clock {}", member.clock));
        if let Some(l) = member.lease {
            line.push_str(&format!("  lease for {l}"));
        }
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
        .map(|(k, e)| format!("{} at {}", WriteId(k as u8), e.optime))
        .collect();
    let waiting = match c.outstanding(model.settings()) {
        Some(w) => match c.primary {
            Some((p, t)) => format!(
                "; {w} outstanding, believes {p} is primary ({})",
                election_id_words(model, t)
            ),
            None => format!("; {w} outstanding, knows no primary yet"),
        },
        None => String::new(),
    };
    format!("client     acknowledged [{}]{waiting}", acked.join(", "))
}

/// A trace's story in one paragraph: what it shows, the events that matter (each
/// acknowledgement with its write concern, elections won, step-downs, crashes with the
/// unjournaled entries they lose, restarts, rollbacks, messages lost) and, in the last
/// state, what breaks the property (or reaches it: the property's explanation).
pub fn story(
    model: &ReplicaSetModel,
    property: &Property<ReplicaSetModel>,
    states: &[State],
    actions: &[Action],
) -> String {
    let settings = model.settings();
    let concern = format!(
        "{}{}",
        settings.write_concern,
        if settings.j { ", j:true" } else { "" }
    );
    let mut sentences = Vec::new();
    let mut lost_messages = 0;
    for (i, action) in actions.iter().enumerate() {
        let (before, after) = (&states[i], &states[i + 1]);
        let mut events = Vec::new();
        let acked_before = model.client(before).acked.len();
        for (k, e) in model
            .client(after)
            .acked
            .iter()
            .enumerate()
            .skip(acked_before)
        {
            events.push(format!(
                "the client got {} acknowledged with {concern} (entry {})",
                WriteId(k as u8),
                e.optime
            ));
        }
        match action {
            ActorModelAction::Crash(id) => {
                if let Some((m, pre)) = member_of(model, before, *id) {
                    let post = model.member(after, m).member;
                    let lost = &pre.oplog.entries()[post.oplog.len().min(pre.oplog.len())..];
                    let restarted = if settings.restarts_at_once() {
                        " and restarted"
                    } else {
                        ""
                    };
                    events.push(if lost.is_empty() {
                        format!("{m} crashed{restarted}")
                    } else {
                        format!(
                            "{m} crashed{restarted}, losing its unjournaled entries {}",
                            entries(lost)
                        )
                    });
                }
            }
            ActorModelAction::Recover(id) => {
                if let Some((m, _)) = member_of(model, after, *id) {
                    events.push(format!("{m} restarted"));
                }
            }
            ActorModelAction::Drop(_) => lost_messages += 1,
            _ => {}
        }
        for (pre, post) in model.members(before).zip(model.members(after)) {
            let term = if settings.is_pv0() {
                String::new()
            } else {
                format!(" in term {}", post.member.term)
            };
            if !pre.is_primary() && post.is_primary() {
                events.push(format!("{} became PRIMARY{term}", post.id));
            } else if pre.is_primary() && !post.is_primary() && !post.down {
                events.push(format!("{} stepped down", post.id));
            }
            let rolling_back = |m: &MemberView<'_>| matches!(m.member.role, Role::Rollback { .. });
            if rolling_back(&post) && !rolling_back(&pre) {
                let rolled = &pre.oplog().entries()[post.oplog().len()..];
                events.push(format!("{} rolled back {}", post.id, entries(rolled)));
            }
        }
        if !events.is_empty() {
            sentences.push(format!("At step {} {}.", i + 1, events.join(", and ")));
        }
    }
    if lost_messages > 0 {
        sentences.push(format!(
            "The network lost {lost_messages} message{} along the way.",
            if lost_messages == 1 { "" } else { "s" }
        ));
    }
    let last = states.last().expect("a trace has a state");
    crate::level::story_closing(
        &property.info,
        actions.len(),
        sentences,
        &property.explanation(model, last),
    )
}
