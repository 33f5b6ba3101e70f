//! Every property of the atomic level: MongoStaticRaft's invariants (and witnesses),
//! over its compact state, each condition with its TLA+ counterpart and, beside it, what a
//! state that breaks (or reaches) it shows.

use super::{AtomicModel, AtomicState};
use crate::level::{Condition, Kind, Property, PropertyInfo};
use crate::protocol::types::{MemberId, OpTime};

/// Every property of the atomic level, in report order.
pub const PROPERTIES: &[Property<AtomicModel>] = &[
    prop(
        Kind::Always,
        "election_safety",
        "no two primaries share a term in any one state (TLA+ `OnePrimaryPerTerm`)",
        atomic_election_safety,
        explain_election_safety,
    ),
    prop(
        Kind::Always,
        "log_matching",
        "two oplogs that share an entry share every entry before it",
        atomic_log_matching,
        explain_log_matching,
    ),
    prop(
        Kind::Sometimes,
        "primary_elected",
        "some member becomes primary",
        atomic_primary_elected,
        explain_primary_elected,
    ),
    prop(
        Kind::Always,
        "leader_completeness",
        "every primary holds every entry committed in an earlier term (atomic level)",
        leader_completeness,
        explain_leader_completeness,
    ),
    prop(
        Kind::Always,
        "state_machine_safety",
        "no two different entries are ever committed at the same oplog position (atomic level)",
        state_machine_safety,
        explain_state_machine_safety,
    ),
    prop(
        Kind::Sometimes,
        "entry_committed",
        "some primary commits an entry (atomic level)",
        entry_committed,
        explain_entry_committed,
    ),
];

const fn prop(
    kind: Kind,
    name: &'static str,
    meaning: &'static str,
    condition: fn(&AtomicModel, &AtomicState) -> bool,
    explain: fn(&AtomicModel, &AtomicState) -> Option<String>,
) -> Property<AtomicModel> {
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

/// Election safety at the atomic level (TLA+ `OnePrimaryPerTerm`): no two primaries share
/// a term.
fn atomic_election_safety(model: &AtomicModel, s: &AtomicState) -> bool {
    let primaries: Vec<_> = model.members().filter(|&m| s.is_primary(m)).collect();
    primaries
        .iter()
        .enumerate()
        .all(|(i, &a)| primaries[i + 1..].iter().all(|&b| s.term(a) != s.term(b)))
}

/// Log matching (TLA+ `LogMatching`): two oplogs holding the same entry (position and
/// term) hold the same entries up to it.
fn atomic_log_matching(model: &AtomicModel, s: &AtomicState) -> bool {
    model.members().all(|a| {
        model.members().all(|b| {
            let (la, lb) = (s.oplog(a), s.oplog(b));
            (0..la.len().min(lb.len())).all(|k| la[k] != lb[k] || la[..k] == lb[..k])
        })
    })
}

/// Leader completeness (TLA+ `LeaderCompleteness`): a primary holds every entry committed
/// by a primary of an earlier term, so an elected member never lacks a committed write.
fn leader_completeness(model: &AtomicModel, s: &AtomicState) -> bool {
    model.members().filter(|&m| s.is_primary(m)).all(|m| {
        let earlier = s.committed_before(s.term(m));
        let oplog = s.oplog(m);
        earlier.iter().enumerate().all(|(k, &terms)| {
            let held = oplog.get(k).map_or(0, |&t| 1u32 << t);
            terms & !held == 0
        })
    })
}

/// State-machine safety (TLA+ `StateMachineSafety`): entries committed at the same
/// position are the same entry; no committed write is ever replaced by another.
fn state_machine_safety(_model: &AtomicModel, s: &AtomicState) -> bool {
    s.committed_terms()
        .iter()
        .all(|terms| terms.count_ones() <= 1)
}

fn atomic_primary_elected(model: &AtomicModel, s: &AtomicState) -> bool {
    model.members().any(|m| s.is_primary(m))
}

fn entry_committed(_model: &AtomicModel, s: &AtomicState) -> bool {
    s.committed().next().is_some()
}

// Explanations.

fn primaries(model: &AtomicModel, s: &AtomicState) -> Vec<MemberId> {
    model.members().filter(|&m| s.is_primary(m)).collect()
}

/// Entry `k` of term `t` as an optime.
fn optime((k, t): (u8, u8)) -> OpTime {
    OpTime::new(t, k)
}

fn explain_election_safety(model: &AtomicModel, s: &AtomicState) -> Option<String> {
    let primaries = primaries(model, s);
    primaries.iter().enumerate().find_map(|(i, &a)| {
        primaries[..i]
            .iter()
            .find(|&&b| s.term(b) == s.term(a))
            .map(|&b| format!("{b} and {a} are both primary in term {}", s.term(a)))
    })
}

fn explain_log_matching(model: &AtomicModel, s: &AtomicState) -> Option<String> {
    model.members().find_map(|a| {
        model.members().filter(|&b| b < a).find_map(|b| {
            let (la, lb) = (s.oplog(a), s.oplog(b));
            (0..la.len().min(lb.len()))
                .find(|&k| la[k] == lb[k] && la[..k] != lb[..k])
                .map(|k| {
                    format!(
                        "{b} and {a} both hold entry {} but differ before it",
                        optime((k as u8 + 1, la[k]))
                    )
                })
        })
    })
}

fn explain_leader_completeness(model: &AtomicModel, s: &AtomicState) -> Option<String> {
    primaries(model, s).into_iter().find_map(|m| {
        let earlier = s.committed_before(s.term(m));
        earlier.iter().enumerate().find_map(|(k, &terms)| {
            (0..32u8)
                .filter(|t| terms & (1 << t) != 0)
                .find(|&t| !s.holds(m, k as u8 + 1, t))
                .map(|t| {
                    format!(
                        "{m} is primary in term {} but lacks entry {}, committed in term {t}",
                        s.term(m),
                        optime((k as u8 + 1, t))
                    )
                })
        })
    })
}

fn explain_state_machine_safety(_model: &AtomicModel, s: &AtomicState) -> Option<String> {
    s.committed_terms()
        .iter()
        .enumerate()
        .find(|(_, terms)| terms.count_ones() > 1)
        .map(|(k, &terms)| {
            let both: Vec<String> = (0..32u8)
                .filter(|t| terms & (1 << t) != 0)
                .map(|t| optime((k as u8 + 1, t)).to_string())
                .collect();
            format!(
                "entries {} are both committed at oplog position {}",
                both.join(" and "),
                k + 1
            )
        })
}

fn explain_primary_elected(model: &AtomicModel, s: &AtomicState) -> Option<String> {
    primaries(model, s)
        .first()
        .map(|&m| format!("{m} is primary in term {}", s.term(m)))
}

fn explain_entry_committed(_model: &AtomicModel, s: &AtomicState) -> Option<String> {
    s.committed()
        .next()
        .map(|e| format!("entry {} is committed", optime(e)))
}
