//! Every property of the actor level (docs/protocol.md §11), each condition with the
//! MongoDB guarantee it checks and, beside it, what a state that breaks it (or, for a
//! sometimes-property, reaches it) shows. The names are an interface: model files, JSON
//! output and CI gates use them.
//!
//! "Always" properties must hold in every reachable state; "sometimes" properties are
//! vacuity witnesses that must be reachable, so that a model in which nothing is ever
//! acknowledged or rolled back cannot pass as proof of durability.

use super::{MemberView, ReplicaSetModel, State};
use crate::level::{Condition, Kind, Property, PropertyInfo};
use crate::protocol::member::Role;
use crate::protocol::types::{Entry, Op, WriteConcern};

/// Every property of the actor level, in report order (docs/protocol.md §11).
pub const PROPERTIES: &[Property<ReplicaSetModel>] = &[
    prop(Kind::Always, "election_safety", "at most one member wins each term, over the whole history (pv0: no voter's vote lease elects two primaries at once)", election_safety, explain_election_safety),
    prop(Kind::Always, "arbiter_never_primary", "no arbiter is ever primary", arbiter_never_primary, explain_arbiter_never_primary),
    prop(Kind::Always, "unelectable_never_primary", "no priority-0 or non-voting member is ever primary", unelectable_never_primary, explain_unelectable_never_primary),
    prop(Kind::Always, "majority_write_durability", "no write acknowledged with w:\"majority\" is rolled back or missing from a later primary", majority_write_durability, lost_write),
    prop(Kind::Always, "acknowledged_write_durability", "no acknowledged write, whatever its write concern, is rolled back or missing from a later primary", acknowledged_write_durability, lost_write),
    prop(Kind::Always, "committed_never_rolled_back", "no member rolls back an entry at or before the commit point it knew", committed_never_rolled_back, explain_committed_never_rolled_back),
    prop(Kind::Always, "log_matching", "two oplogs that share an entry share every entry before it", log_matching, unmatched_logs),
    prop(Kind::Sometimes, "primary_elected", "some member becomes primary", primary_elected, explain_primary_elected),
    prop(Kind::Sometimes, "majority_write_acknowledged", "some w:\"majority\" write is acknowledged", majority_write_acknowledged, explain_majority_write_acknowledged),
    prop(Kind::Sometimes, "write_acknowledged", "some write is acknowledged, whatever its write concern", write_acknowledged, explain_write_acknowledged),
    prop(Kind::Sometimes, "rollback_occurs", "some member rolls back at least one entry", rollback_occurs, explain_rollback_occurs),
    prop(Kind::Sometimes, "failover_occurs", "a second member becomes primary in a later term (pv0: a second election is won)", failover_occurs, explain_failover_occurs),
];

const fn prop(
    kind: Kind,
    name: &'static str,
    meaning: &'static str,
    condition: fn(&ReplicaSetModel, &State) -> bool,
    explain: fn(&ReplicaSetModel, &State) -> Option<String>,
) -> Property<ReplicaSetModel> {
    Property {
        info: PropertyInfo {
            name,
            kind,
            meaning,
        },
        condition: Condition::Defined(condition),
        explain,
    }
}

fn primaries<'a>(
    model: &ReplicaSetModel,
    state: &'a State,
) -> impl Iterator<Item = MemberView<'a>> + 'a {
    model
        .members(state)
        .filter(|m| m.is_primary())
        .collect::<Vec<_>>()
        .into_iter()
}

/// Election safety (Raft §5.2, "at most one leader can be elected in a given term"; TLA+
/// `OnePrimaryPerTerm`, and MongoRaftReconfig's `elections` history): pv1 terms exist so
/// that two members never win the same term; a vote is given once per term and survives
/// restarts for exactly this reason (`local.replset.election`). Checked over the whole
/// history, not only over the primaries of one moment: each member keeps a ghost record
/// of the terms it won (`Member::won`), which a crash does not clear, and two members
/// whose records share a term break it, whether or not the first is still primary (or up)
/// when the second wins.
///
/// Protocol version 0 has no terms, and two primaries at once are part of its design (a
/// primary cut off from the majority serves until it notices). What stands in for the term
/// is the vote lease: a voter promises one candidate not to vote for another for 30
/// seconds. Without terms, election safety means that promise holds: no two members are
/// primary at once with votes given by one voter within one lease. The model checks it
/// with a ghost copy of the lease that a restart does not clear (`Member::pledge`): a vote
/// given while the ghost names another member makes that member a rival of the winner
/// (`Reign::rivals`), and a violation is a primary whose rival is primary too.
fn election_safety(model: &ReplicaSetModel, state: &State) -> bool {
    if model.settings().is_pv0() {
        let current: Vec<_> = primaries(model, state).collect();
        return current.iter().all(|p| match p.member.role {
            Role::Primary { reign, .. } => current.iter().all(|q| !reign.rivals.contains(q.id)),
            _ => true,
        });
    }
    let won: Vec<u32> = model.members(state).map(|m| m.member.won).collect();
    won.iter()
        .enumerate()
        .all(|(i, a)| won[..i].iter().all(|b| a & b == 0))
}

/// "An arbiter ... cannot become primary" (MongoDB manual, Replica Set Arbiter; seed 000).
fn arbiter_never_primary(model: &ReplicaSetModel, state: &State) -> bool {
    let replset = &model.settings().replset;
    primaries(model, state).all(|m| !replset.member(m.id).arbiter)
}

/// "Members with priority 0 cannot become primary"; non-voting members must have priority
/// 0 (MongoDB manual, Priority 0 Replica Set Members, Non-Voting Members).
fn unelectable_never_primary(model: &ReplicaSetModel, state: &State) -> bool {
    let replset = &model.settings().replset;
    primaries(model, state).all(|m| {
        let c = replset.member(m.id);
        c.arbiter || (c.priority > 0.0 && c.votes > 0)
    })
}

/// The acknowledged writes: the oplog entries the primary acknowledged, in order.
fn acknowledged<'a>(model: &ReplicaSetModel, state: &'a State) -> &'a [Entry] {
    &model.client(state).acked
}

/// Whether primary `p` is later than the acknowledgement of write `k` (at `write`): under
/// protocol version 1 its term is newer than the write's; under version 0, which has no
/// terms (and where a later primary may stamp smaller timestamps), it was elected after
/// the acknowledgement (`Reign::acked_before`).
fn is_later_primary(p: &MemberView<'_>, k: usize, write: &Entry) -> bool {
    match p.member.role {
        Role::Primary { reign, .. } if reign.seq != 0 => usize::from(reign.acked_before) > k,
        _ => p.member.term > write.optime.term,
    }
}

/// A durable write is never rolled back by any member once it is acknowledged, and every
/// later primary holds it (TLA+ `NeverRollbackCommitted`, `LeaderCompleteness`). A rollback
/// of its entry before the acknowledgement loses nothing when the entry comes back (the
/// ghost `History::rolled_back_after_ack` tells the two apart; rollback files cannot).
fn durable(model: &ReplicaSetModel, state: &State, k: usize, write: &Entry) -> bool {
    let rolled_back = state.history.rolled_back_after_ack(k);
    let missing_from_later_primary = primaries(model, state)
        .any(|p| is_later_primary(&p, k, write) && !p.oplog().contains(write));
    !rolled_back && !missing_from_later_primary
}

fn all_durable(model: &ReplicaSetModel, state: &State) -> bool {
    acknowledged(model, state)
        .iter()
        .enumerate()
        .all(|(k, w)| durable(model, state, k, w))
}

/// "Write operations with w:\"majority\" are durable: they will not be rolled back"
/// (MongoDB manual, Write Concern and Rollbacks During Replica Set Failover; guaranteed by
/// pv1, docs/protocol.md §8).
fn majority_write_durability(model: &ReplicaSetModel, state: &State) -> bool {
    model.settings().write_concern != WriteConcern::Majority || all_durable(model, state)
}

/// The same for every acknowledged write. MongoDB does not promise it for w:1: "a write
/// acknowledged with w:1 may be rolled back" (MongoDB manual, Rollbacks During Replica Set
/// Failover) — models with w:1 expect this to be violated.
fn acknowledged_write_durability(model: &ReplicaSetModel, state: &State) -> bool {
    all_durable(model, state)
}

/// Entries at or before the majority commit point are never rolled back (docs/protocol.md §7;
/// TLA+ `NeverRollbackBeforeCommitPoint`). Checked as: every member's commit point names an
/// entry still in its oplog — a member learns only commit points on its own oplog, so the
/// only way to lose that entry is to roll it back. Arbiters hold no oplog and roll nothing
/// back: the commit point they learn only sets their last applied optime.
fn committed_never_rolled_back(model: &ReplicaSetModel, state: &State) -> bool {
    model
        .members(state)
        .filter(|m| !m.down && !m.member.is_arbiter())
        .all(|m| m.oplog().contains_optime(m.member.commit_point))
}

/// Log matching (Raft §5.3; TLA+ `LogMatching`): if two oplogs hold the same entry, they
/// hold the same entries before it. The fetcher's consistency check exists to keep it.
/// "The same entry": the same optime under protocol version 1; under version 0, where two
/// primaries may stamp the same timestamp, the same optime and hash.
fn log_matching(model: &ReplicaSetModel, state: &State) -> bool {
    let oplogs: Vec<_> = model.members(state).map(|m| m.oplog()).collect();
    let same = |x: &Entry, y: &Entry| x.optime == y.optime && x.h == y.h;
    oplogs.iter().enumerate().all(|(i, a)| {
        oplogs[..i].iter().all(|b| {
            a.entries().iter().enumerate().all(|(k, x)| {
                match b.entries().iter().position(|y| same(x, y)) {
                    None => true,
                    Some(j) => j == k && a.entries()[..=k] == b.entries()[..=k],
                }
            })
        })
    })
}

fn primary_elected(model: &ReplicaSetModel, state: &State) -> bool {
    primaries(model, state).next().is_some()
}

fn majority_write_acknowledged(model: &ReplicaSetModel, state: &State) -> bool {
    model.settings().write_concern == WriteConcern::Majority
        && !model.client(state).acked.is_empty()
}

/// The witness for every write concern: a model whose writes are never acknowledged
/// checks nothing of durability, whichever `w` it asks for.
fn write_acknowledged(model: &ReplicaSetModel, state: &State) -> bool {
    !model.client(state).acked.is_empty()
}

fn rollback_occurs(model: &ReplicaSetModel, state: &State) -> bool {
    model
        .members(state)
        .any(|m| !m.member.rollback_file.is_empty())
}

/// A primary whose oplog holds the "new primary" entry of an earlier term written by
/// another member: that member was primary before it. Under protocol version 0, which
/// writes no such entry, a primary of the second or a later election.
fn failover_occurs(model: &ReplicaSetModel, state: &State) -> bool {
    if model.settings().is_pv0() {
        return primaries(model, state)
            .any(|p| matches!(p.member.role, Role::Primary { reign, .. } if reign.seq >= 2));
    }
    primaries(model, state).any(|p| {
        p.oplog().entries().iter().any(|e| {
            matches!(e.op, Op::NewPrimary(other) if other != p.id && e.optime.term < p.member.term)
        })
    })
}

// Explanations.

/// The first acknowledged write that is not durable, and why.
fn lost_write(model: &ReplicaSetModel, state: &State) -> Option<String> {
    let current: Vec<MemberView<'_>> = primaries(model, state).collect();
    let settings = model.settings();
    acknowledged(model, state)
        .iter()
        .enumerate()
        .find(|(k, w)| !durable(model, state, *k, w))
        .map(|(k, write)| {
            let what = match write.write() {
                Some(id) => id.to_string(),
                None => format!("the write at {}", write.optime),
            };
            let concern = format!(
                "{}{}",
                settings.write_concern,
                if settings.j { ", j:true" } else { "" }
            );
            let rolled_back: Vec<String> = model
                .members(state)
                .filter(|m| m.member.rollback_file.contains(write))
                .map(|m| m.id.to_string())
                .collect();
            let how = if state.history.rolled_back_after_ack(k) {
                format!(
                    "{} rolled it back after it was acknowledged",
                    rolled_back.join(" and ")
                )
            } else {
                current
                    .iter()
                    .find(|p| is_later_primary(p, k, write) && !p.oplog().contains(write))
                    .map(|p| match p.member.role {
                        Role::Primary { reign, .. } if reign.seq != 0 => format!(
                            "{} became primary after the acknowledgement without holding it (its oplog is {})",
                            p.id,
                            p.oplog()
                        ),
                        _ => format!(
                            "{} is primary in term {}, later than the write's term {}, without holding it (its oplog is {}), so what the client reads and writes through {} lacks the write",
                            p.id,
                            p.member.term,
                            write.optime.term,
                            p.oplog(),
                            p.id
                        ),
                    })
                    .unwrap_or_default()
            };
            let later = if settings.is_pv0() {
                "a primary elected after the acknowledgement"
            } else {
                "a primary of a later term"
            };
            format!(
                "{what} was acknowledged with {concern} at {}, but {how}: the acknowledged write is lost (a write is lost when a member rolls it back after its acknowledgement, or {later} lacks it)",
                write.optime
            )
        })
}

/// Two oplogs that share an entry but not what comes before it.
fn unmatched_logs(model: &ReplicaSetModel, state: &State) -> Option<String> {
    let members: Vec<MemberView<'_>> = model.members(state).collect();
    let same = |x: &Entry, y: &Entry| x.optime == y.optime && x.h == y.h;
    members.iter().enumerate().find_map(|(i, a)| {
        members[..i].iter().find_map(|b| {
            a.oplog().entries().iter().enumerate().find_map(|(k, x)| {
                let j = b.oplog().entries().iter().position(|y| same(x, y))?;
                let matches = j == k && a.oplog().entries()[..=k] == b.oplog().entries()[..=k];
                (!matches).then(|| {
                    format!(
                        "{} and {} both hold entry {} but differ before it ({}: {}, {}: {})",
                        b.id,
                        a.id,
                        x.optime,
                        b.id,
                        b.oplog(),
                        a.id,
                        a.oplog()
                    )
                })
            })
        })
    })
}

fn explain_election_safety(model: &ReplicaSetModel, state: &State) -> Option<String> {
    if model.settings().is_pv0() {
        let current: Vec<MemberView<'_>> = primaries(model, state).collect();
        return current.iter().find_map(|p| {
            let Role::Primary { reign, .. } = p.member.role else {
                return None;
            };
            current.iter().find(|q| reign.rivals.contains(q.id)).map(|q| {
                format!(
                    "{} and {} are both PRIMARY, and {} won with a vote that was promised to {} within the same 30-second vote lease",
                    q.id, p.id, p.id, q.id
                )
            })
        });
    }
    let members: Vec<MemberView<'_>> = model.members(state).collect();
    members.iter().enumerate().find_map(|(i, a)| {
        members[..i].iter().find_map(|b| {
            let shared = a.member.won & b.member.won;
            (shared != 0).then(|| {
                let term = shared.trailing_zeros();
                let now = |m: &MemberView<'_>| {
                    if m.is_primary() && u32::from(m.member.term.0) == term {
                        "PRIMARY in it now".to_string()
                    } else {
                        format!("{} now", m.member_state())
                    }
                };
                format!(
                    "{} and {} both won the election for term {term} ({}: {}; {}: {})",
                    b.id,
                    a.id,
                    b.id,
                    now(b),
                    a.id,
                    now(a)
                )
            })
        })
    })
}

fn explain_arbiter_never_primary(model: &ReplicaSetModel, state: &State) -> Option<String> {
    let replset = &model.settings().replset;
    primaries(model, state)
        .find(|m| replset.member(m.id).arbiter)
        .map(|m| format!("arbiter {} is PRIMARY", m.id))
}

fn explain_unelectable_never_primary(model: &ReplicaSetModel, state: &State) -> Option<String> {
    let replset = &model.settings().replset;
    primaries(model, state)
        .find(|m| {
            let c = replset.member(m.id);
            !c.arbiter && (c.priority <= 0.0 || c.votes == 0)
        })
        .map(|m| {
            let c = replset.member(m.id);
            let why = if c.votes == 0 {
                "a non-voting member"
            } else {
                "a priority-0 member"
            };
            format!("{}, {why}, is PRIMARY", m.id)
        })
}

fn explain_committed_never_rolled_back(model: &ReplicaSetModel, state: &State) -> Option<String> {
    model
        .members(state)
        .filter(|m| !m.down && !m.member.is_arbiter())
        .find(|m| !m.oplog().contains_optime(m.member.commit_point))
        .map(|m| {
            format!(
                "{} knows commit point {} but does not hold that entry (its oplog is {})",
                m.id,
                m.member.commit_point,
                m.oplog()
            )
        })
}

fn explain_primary_elected(model: &ReplicaSetModel, state: &State) -> Option<String> {
    primaries(model, state).next().map(|p| {
        if model.settings().is_pv0() {
            format!("{} is PRIMARY", p.id)
        } else {
            format!("{} is PRIMARY in term {}", p.id, p.member.term)
        }
    })
}

fn explain_majority_write_acknowledged(model: &ReplicaSetModel, state: &State) -> Option<String> {
    model.client(state).acked.first().map(|e| {
        format!(
            "the client has write 1 acknowledged with w:majority at {}",
            e.optime
        )
    })
}

fn explain_write_acknowledged(model: &ReplicaSetModel, state: &State) -> Option<String> {
    model.client(state).acked.first().map(|e| {
        format!(
            "the client has write 1 acknowledged with {} at {}",
            model.settings().write_concern,
            e.optime
        )
    })
}

fn explain_rollback_occurs(model: &ReplicaSetModel, state: &State) -> Option<String> {
    model
        .members(state)
        .find(|m| !m.member.rollback_file.is_empty())
        .map(|m| {
            let entries: Vec<String> = m
                .member
                .rollback_file
                .iter()
                .map(|e| e.to_string())
                .collect();
            format!("{} has rolled back {}", m.id, entries.join(" "))
        })
}

fn explain_failover_occurs(model: &ReplicaSetModel, state: &State) -> Option<String> {
    primaries(model, state).next().map(|p| {
        format!(
            "{} is PRIMARY{} after another member was primary before it",
            p.id,
            if model.settings().is_pv0() {
                String::new()
            } else {
                format!(" in term {}", p.member.term)
            }
        )
    })
}
