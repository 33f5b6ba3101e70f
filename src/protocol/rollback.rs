//! Rollback (docs/protocol.md §7; seed 000 figures 5-7/5-8, seed 001 for the rollback files,
//! seed 002 for ROLLBACK -> RECOVERING; the common point from MongoDB's
//! `src/mongo/db/repl/README.md` and `RollbackImpl`).
//!
//! A member whose last entry is missing at a sync source further ahead has written, or
//! replicated, a branch of history the set did not keep. It finds the common point — the
//! last optime both oplogs share — removes every entry after it, writes the removed
//! entries to its rollback files, and goes ROLLBACK. Then, as the release's rollback
//! method has it (`version::RollbackMethod`): before 4.0 (rollback via refetch) RECOVERING
//! until it has replicated up to the source's last optime at the time of the rollback
//! (`minValid`), then SECONDARY; from 4.0 (recover to a timestamp) SECONDARY at once.

use super::election;
use super::journal;
use super::member::{Ctx, Member, Role};
use super::messages::Timer;
use super::node::Out;
use super::replication;
use super::types::{OpTime, Oplog};
use super::version::RollbackMethod;
use stateright::actor::model_timeout;
use std::borrow::Cow;

/// The common point: how many leading entries the two oplogs share (the position of the
/// last common entry; 0 when they share nothing). By log matching, the oplogs agree on
/// everything up to it and on nothing after it.
pub fn common_point(mine: &Oplog, theirs: &Oplog) -> u8 {
    let shared = mine
        .entries()
        .iter()
        .zip(theirs.entries())
        .take_while(|(a, b)| a == b)
        .count();
    u8::try_from(shared).expect("oplog positions fit in u8")
}

/// The rollback test (`OplogStartMissing` in `OplogFetcher`): a member must roll back
/// against a sync source that is further ahead (its last optime is newer, terms first)
/// but does not hold the member's last entry. A source that holds it can serve the
/// member; one that is not ahead is not a valid sync source.
pub fn must_roll_back(mine: OpTime, source_last: OpTime, source_holds_mine: bool) -> bool {
    !source_holds_mine && source_last > mine
}

/// The fetcher rolls back against its sync source's oplog: truncate to the common point,
/// record what was removed, and wait in ROLLBACK. The model does not refuse to roll back
/// past the commit point (MongoDB would abort): the property
/// `committed_never_rolled_back` is there to catch it. Only a rollback via refetch needs
/// `minValid` afterwards; a recovery to a timestamp is consistent at the common point.
pub fn start_rollback(ctx: Ctx<'_>, m: &mut Member, source_oplog: &Oplog, o: &mut Out) {
    let common = common_point(&m.oplog, source_oplog);
    let removed = m.oplog.truncate_after(common);
    // A member may roll the same entry back more than once (fetch it again from a member
    // still on the old branch, then meet the new one); its rollback files record each
    // entry once, so that they stay finite.
    for entry in removed {
        if !m.rollback_file.contains(&entry) {
            m.rollback_file.push(entry);
        }
    }
    let min_valid = match ctx.settings.rules().rollback {
        RollbackMethod::Refetch => source_oplog.last_optime(),
        RollbackMethod::RecoverToTimestamp => OpTime::NULL,
    };
    m.role = Role::Rollback { min_valid };
    // The truncation is durable: what was removed does not come back in a crash.
    journal::after_oplog_change(ctx, m, o);
    o.cancel_timer(Timer::Election);
    o.set_timer(Timer::FinishRollback, model_timeout());
}

/// Rollback is done. After a rollback via refetch (3.6 and older) the member goes
/// RECOVERING and fetches again until it reaches `minValid`; after a recovery to a
/// timestamp (4.0 and newer) it goes straight back to SECONDARY
/// (`RollbackImpl::_transitionFromRollbackToSecondary`).
pub fn on_finish_rollback(ctx: Ctx<'_>, m: &mut Cow<Member>, o: &mut Out) {
    let Role::Rollback { min_valid } = m.role else {
        return;
    };
    let m = m.to_mut();
    match ctx.settings.rules().rollback {
        RollbackMethod::Refetch => m.role = Role::Recovering { min_valid },
        RollbackMethod::RecoverToTimestamp => election::become_secondary(ctx, m, o),
    }
    replication::open_queries(ctx, m, o);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::types::{Entry, MemberId, Op, OpTime, WriteId};

    fn log(entries: &[(u8, u8)]) -> Oplog {
        entries
            .iter()
            .enumerate()
            .map(|(i, &(term, w))| Entry {
                optime: OpTime::new(term, i as u8 + 1),
                h: 0,
                op: if w == 0 {
                    Op::NewPrimary(MemberId(0))
                } else {
                    Op::Write(WriteId(w))
                },
            })
            .collect()
    }

    #[test]
    fn rollback_needs_a_source_ahead_that_lacks_the_last_entry() {
        let (mine, ahead) = (OpTime::new(1, 3), OpTime::new(2, 2));
        assert!(must_roll_back(mine, ahead, false));
        assert!(
            !must_roll_back(mine, ahead, true),
            "it can serve the member"
        );
        assert!(
            !must_roll_back(ahead, mine, false),
            "not a valid sync source"
        );
    }

    #[test]
    fn common_point_is_the_last_shared_entry() {
        // A primary's last writes that the next primary never received are not on the new
        // branch (seed 000 figure 5-8 has this shape: the member that was primary in
        // between loses its newer writes).
        let old_primary = log(&[(1, 0), (1, 1), (1, 2)]);
        let new_primary = log(&[(1, 0), (1, 1), (2, 0)]);
        assert_eq!(common_point(&old_primary, &new_primary), 2);
        assert_eq!(common_point(&new_primary, &old_primary), 2);
    }

    #[test]
    fn common_point_of_disjoint_oplogs_is_zero() {
        assert_eq!(common_point(&log(&[(1, 0)]), &log(&[(2, 0)])), 0);
        assert_eq!(common_point(&Oplog::new(), &log(&[(2, 0)])), 0);
    }

    #[test]
    fn common_point_of_a_prefix_is_its_end() {
        let long = log(&[(1, 0), (1, 1), (1, 2)]);
        let short = log(&[(1, 0), (1, 1)]);
        assert_eq!(common_point(&short, &long), 2);
    }

    #[test]
    fn same_optime_different_write_is_not_shared() {
        let a = log(&[(1, 0), (1, 1)]);
        let b = log(&[(1, 0), (1, 2)]);
        assert_eq!(common_point(&a, &b), 1);
    }
}
