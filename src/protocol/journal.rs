//! Journaling (docs/protocol.md §6; seed 001, seed 003; WiredTiger's journal and MongoDB's
//! `JournalFlusher`).
//!
//! A member's oplog has a durable prefix (`Member::journaled` entries) and a volatile tail.
//! Writes and applied batches join the tail; a group commit, every 100 ms in MongoDB and a
//! timer that may fire at any moment here, makes the whole tail durable. A crash keeps
//! only the durable prefix (`Member::durable`). After a flush a member reports its new
//! durable position: a primary to itself (which may advance the commit point and satisfy a
//! `j:true` or journaled-majority write), a secondary upstream like any progress report.

use super::member::{save, Ctx, Member, Role};
use super::messages::Timer;
use super::node::Out;
use super::replication;
use super::writes;
use stateright::actor::model_timeout;
use std::borrow::Cow;

/// The oplog has grown (a write, a new-primary no-op, an applied batch) or shrunk (a
/// rollback truncates the journaled prefix with it): schedule the next group commit, or,
/// where no crash can lose a tail (`Settings::journal_lags`), journal at once; then save
/// what is durable.
pub fn after_oplog_change(ctx: Ctx<'_>, m: &mut Member, o: &mut Out) {
    let len = u8::try_from(m.oplog.len()).expect("oplog positions fit in u8");
    m.journaled = m.journaled.min(len);
    if !ctx.settings.journal_lags() {
        m.journaled = len;
    } else if m.has_volatile_tail() {
        o.set_timer(Timer::JournalFlush, model_timeout());
    }
    save(m, o);
}

/// The group commit: the volatile tail becomes durable. The primary counts its own new
/// durable position; a secondary reports it upstream (`Reporter` on the durable optime
/// advancing).
pub fn on_journal_flush(ctx: Ctx<'_>, m: &mut Cow<Member>, o: &mut Out) {
    if !m.has_volatile_tail() {
        return;
    }
    let m = m.to_mut();
    m.journaled = u8::try_from(m.oplog.len()).expect("oplog positions fit in u8");
    save(m, o);
    match m.role {
        Role::Primary { .. } => {
            replication::advance_commit_point(ctx, m, o);
            writes::check_waiter(ctx, m, o);
        }
        Role::Secondary { .. } | Role::Recovering { .. } => {
            replication::report_durable(ctx, m, o);
        }
        Role::Rollback { .. } | Role::Arbiter { .. } => {}
    }
}
