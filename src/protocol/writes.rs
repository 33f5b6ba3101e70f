//! Client writes at the primary and write-concern waiting (docs/protocol.md §5; seed 001,
//! seed 003).

use super::journal;
use super::member::{Ctx, Member, Role, Waiter};
use super::messages::Msg;
use super::node::{Node, Out};
use super::pv0;
use super::quorum;
use super::replication;
use super::types::{MemberId, Op, OpTime, WriteConcern, WriteId};
use std::borrow::Cow;

/// A member receives a client write. Only the primary takes writes: at any other member
/// the write has no effect (`NotWritablePrimary`; the client will retry elsewhere), so the
/// model leaves it in flight, where it may still reach the member once it is primary, as
/// a delayed retry would. The primary writes it to its oplog in its own term and waits for
/// the write concern at that entry. A retried retryable write that the primary already
/// holds is not applied twice; the primary waits for the write concern at its own last
/// optime instead (`LastOpFixer` in `write_ops_exec.cpp`: a write that changed nothing sets
/// the client's last op to the system's last optime), and acknowledges with the write's
/// entry.
pub fn on_write(ctx: Ctx<'_>, m: &mut Cow<Member>, client: MemberId, write: WriteId, o: &mut Out) {
    let _ = client;
    if !m.is_primary() {
        return;
    }
    let m = m.to_mut();
    let optime = match m.oplog.find_write(write) {
        Some(_) => m.last_optime(),
        None => {
            let (optime, h) = if ctx.settings.is_pv0() {
                pv0::stamp(m)
            } else {
                (m.oplog.next_optime(m.term), 0)
            };
            m.oplog.append(optime, h, Op::Write(write));
            journal::after_oplog_change(ctx, m, o);
            optime
        }
    };
    if let Role::Primary { waiter, .. } = &mut m.role {
        *waiter = Some(Waiter { write, optime });
    }
    replication::advance_commit_point(ctx, m, o);
    check_waiter(ctx, m, o);
}

/// Whether a write at `optime` satisfies the model's write concern at this primary
/// (`_doneWaitingForReplication`): `w:N` once N data-bearing members are known to have it
/// in its term (`w:1`: the primary itself; under protocol version 0 any member whose
/// reported timestamp is at least the write's, whatever its branch); `w:"majority"` once the commit point has
/// reached it. With `j:true` every member counted must have it in its journal, so
/// `w:"majority"` also needs a write majority of durable positions (which the commit point
/// already counts when `writeConcernMajorityJournalDefault` is true).
pub fn satisfied(ctx: Ctx<'_>, m: &Member, optime: OpTime) -> bool {
    let Role::Primary { progress, .. } = &m.role else {
        return false;
    };
    if !m.oplog.contains_optime(optime) {
        return false;
    }
    let replset = &ctx.settings.replset;
    let j = ctx.settings.j;
    let at = |durable: bool| -> Vec<OpTime> { progress.iter().map(|p| p.at(durable)).collect() };
    match ctx.settings.write_concern {
        WriteConcern::Nodes(n) => quorum::members_at(replset, &at(j), optime) >= usize::from(n),
        WriteConcern::Majority => {
            m.commit_point >= optime && (!j || quorum::majority_at(replset, &at(true), optime))
        }
    }
}

/// Acknowledges the waiting write if its write concern is now satisfied.
pub fn check_waiter(ctx: Ctx<'_>, m: &mut Member, o: &mut Out) {
    let Role::Primary {
        waiter: Some(w), ..
    } = m.role
    else {
        return;
    };
    if !satisfied(ctx, m, w.optime) {
        return;
    }
    if let Role::Primary { waiter, .. } = &mut m.role {
        *waiter = None;
    }
    let Some(&entry) = m.oplog.find_write(w.write) else {
        unreachable!("a primary waits only for a write in its oplog")
    };
    o.send(
        Node::client_id(ctx.settings),
        Msg::WriteAck {
            write: w.write,
            entry,
        },
    );
}
