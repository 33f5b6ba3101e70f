//! Oplog replication by pull, progress reporting and the commit point (docs/protocol.md §4, §5).
//!
//! A secondary's oplog fetcher keeps an awaitData `getMore` open at every member it may
//! sync from ("entries after my last optime"). A member answers once it is further ahead;
//! the fetcher checks that the batch starts with its own last entry and applies the rest,
//! so the member that answers is its sync source for that batch (chaining allowed). If
//! the batch does not start with its last entry, its history diverged and it rolls back
//! (`rollback`). After applying, the fetcher reports its progress; the primary advances
//! the majority commit point, and the others learn it from their sync source and from the
//! primary's heartbeats.
//!
//! Progress reports: the fetcher's `Reporter` sends `replSetUpdatePosition` to the member
//! whose batch it applied (its sync source). A primary of the report's term records it; a
//! secondary in that term passes it on up the chain. MongoDB forwards to the secondary's
//! own sync source; the model does not track which member that is and forwards to every
//! member the secondary may sync from, so the report reaches the primary along any chain
//! the secondary could have used.

use super::election;
use super::journal;
use super::member::{observe_term, send_all, Ctx, Member, Role};
use super::messages::{Msg, Timer};
use super::node::{Node, Out};
use super::pv0;
use super::quorum;
use super::rollback;
use super::types::{MemberId, OpTime, Oplog, Position, Term};
use super::writes;
use stateright::actor::model_timeout;
use std::borrow::Cow;

/// The members `fetcher` may pull from: data-bearing members other than itself; a voting
/// member never syncs from a non-voting one (docs/protocol.md §4, seed 004).
pub fn sync_source_candidates(ctx: Ctx<'_>) -> Vec<MemberId> {
    let replset = &ctx.settings.replset;
    let i_vote = replset.member(ctx.id).is_voter();
    ctx.peers()
        .filter(|&p| {
            let c = replset.member(p);
            c.is_data_bearing() && (!i_vote || c.is_voter())
        })
        .collect()
}

/// The oplog fetcher (re)opens its query at every candidate sync source: "entries after
/// my last optime". A new query to a member replaces the previous one (one cursor per
/// connection), so each candidate holds exactly the fetcher's latest question.
pub fn open_queries(ctx: Ctx<'_>, m: &Member, o: &mut Out) {
    let query = Msg::GetMore {
        last: m.last_optime(),
    };
    send_all(sync_source_candidates(ctx), &query, o);
}

/// Whether a member can answer a `getMore` after `from`: it is further ahead, and it is
/// PRIMARY, or SECONDARY when chaining is allowed (`settings.chainingAllowed`). A member
/// in ROLLBACK or RECOVERING is never a valid sync source.
pub fn can_serve(ctx: Ctx<'_>, m: &Member, from: OpTime) -> bool {
    let eligible = match m.role {
        Role::Primary { .. } => true,
        Role::Secondary { .. } => ctx.settings.chaining_allowed,
        _ => false,
    };
    eligible && m.last_optime() > from
}

/// A member answers a fetcher's `getMore` once it can serve it, with its oplog and, in the
/// reply's metadata, its term and commit point. Until then the awaitData query waits:
/// delivering it now would do nothing, so it stays on the network.
pub fn on_get_more(
    ctx: Ctx<'_>,
    m: &mut Cow<Member>,
    fetcher: MemberId,
    last: OpTime,
    o: &mut Out,
) {
    if !can_serve(ctx, m, last) {
        return;
    }
    // Under protocol version 0 the reply carries no replication metadata: no commit point
    // reaches a secondary (`makeMetadataObject`).
    let commit_point = if ctx.settings.is_pv0() {
        OpTime::NULL
    } else {
        m.commit_point
    };
    o.send(
        Node::id_of(fetcher),
        Msg::Batch {
            term: m.term,
            from: last,
            oplog: m.oplog.clone(),
            commit_point,
        },
    );
}

/// The fetcher handles a batch (`OplogFetcher`, `OplogApplier`). It adopts a newer term
/// from the metadata and ignores an answer to an older query. If the batch starts with its
/// own last entry it applies the rest, learns the commit point (never beyond its own last
/// entry), reports its progress (`Reporter`) and asks for more. Otherwise its last entry is missing at a source
/// further ahead (`OplogStartMissing`) and it rolls back.
#[allow(clippy::too_many_arguments)]
pub fn on_batch(
    ctx: Ctx<'_>,
    m: &mut Cow<Member>,
    source: MemberId,
    term: Term,
    from: OpTime,
    batch: &Oplog,
    commit_point: OpTime,
    o: &mut Out,
) {
    observe_term(ctx, m, term, o);
    let usable = match m.role {
        Role::Secondary { .. } => true,
        // After a rollback the sync source must hold minValid (`requiredOpTime` in
        // `SyncSourceResolver`): a member on another branch cannot make it consistent.
        Role::Recovering { min_valid, .. } => batch.contains_optime(min_valid),
        _ => false,
    };
    if !usable || from != m.last_optime() {
        return;
    }
    // Bug variant `fetch_consistency_check = false`: the batch is taken as it comes.
    let starts_with_mine = !ctx.settings.variant.fetch_consistency_check
        || m.oplog
            .entries()
            .last()
            .is_none_or(|mine| batch.contains(mine));
    if rollback::must_roll_back(m.last_optime(), batch.last_optime(), starts_with_mine) {
        rollback::start_rollback(ctx, m.to_mut(), batch, o);
        return;
    }
    if !starts_with_mine {
        return;
    }
    let m = m.to_mut();
    let reported_before = ctx.settings.reported(m.position());
    let own_len = u8::try_from(m.oplog.len()).expect("oplog positions fit in u8");
    let start = batch
        .position_of(from)
        .filter(|_| ctx.settings.variant.fetch_consistency_check)
        .unwrap_or(own_len);
    for entry in batch.after(start) {
        m.oplog.push(*entry);
    }
    if ctx.settings.is_pv0() {
        pv0::after_apply(m);
    }
    journal::after_oplog_change(ctx, m, o);
    let applied = m.last_optime();
    learn_commit_point(m, commit_point.min(applied));
    if let Role::Recovering { min_valid } = m.role {
        if applied >= min_valid {
            // Caught up to minValid: consistent again (RECOVERING -> SECONDARY).
            election::become_secondary(ctx, m, o);
        }
    }
    if ctx.settings.reported(m.position()) != reported_before {
        o.send(Node::id_of(source), progress_report(ctx, m));
    }
    open_queries(ctx, m, o);
}

/// This member's `replSetUpdatePosition`: its applied and durable optimes in its term,
/// each only if a primary of this model ever reads it (`Settings::reported`). A report
/// that would carry nothing read is not sent.
fn progress_report(ctx: Ctx<'_>, m: &Member) -> Msg {
    Msg::UpdatePosition {
        term: m.term,
        member: ctx.id,
        position: ctx.settings.reported(m.position()),
    }
}

/// After a journal flush the `Reporter` tells the sync source the new durable optime, if
/// a primary reads durable positions. The model does not track which member the sync
/// source is (as for forwarded reports, above) and tells every member it may sync from;
/// only the primary, or a secondary passing it on, acts on it.
pub fn report_durable(ctx: Ctx<'_>, m: &Member, o: &mut Out) {
    if ctx.settings.reads_durable() {
        send_all(sync_source_candidates(ctx), &progress_report(ctx, m), o);
    }
}

/// Takes a commit point learned from elsewhere if it is newer. Callers guarantee it names
/// an entry of this member's own oplog.
fn learn_commit_point(m: &mut Member, commit_point: OpTime) {
    if commit_point > m.commit_point {
        m.commit_point = commit_point;
    }
}

/// Whether `m` passes on a progress report of `term` instead of recording it: it is a
/// secondary in that term, and sync sources may be secondaries (chaining).
pub fn forwards_report(ctx: Ctx<'_>, m: &Member, term: Term) -> bool {
    ctx.settings.chaining_allowed && term == m.term && matches!(m.role, Role::Secondary { .. })
}

/// `replSetUpdatePosition`: the primary records the member's progress, which may advance
/// the commit point and satisfy a waiting write. A secondary passes the report on up the
/// chain. A report of another term is stale and ignored.
pub fn on_update_position(
    ctx: Ctx<'_>,
    m: &mut Cow<Member>,
    term: Term,
    member: MemberId,
    position: Position,
    o: &mut Out,
) {
    observe_term(ctx, m, term, o);
    if forwards_report(ctx, m, term) {
        let report = Msg::UpdatePosition {
            term,
            member,
            position,
        };
        let upstream = sync_source_candidates(ctx)
            .into_iter()
            .filter(|&p| p != member);
        send_all(upstream, &report, o);
        return;
    }
    match &m.role {
        Role::Primary { progress, .. }
            if term == m.term && progress[member.index()].is_behind(position) =>
        {
            let m = m.to_mut();
            if let Role::Primary { progress, .. } = &mut m.role {
                progress[member.index()] = progress[member.index()].merge(position);
            }
            advance_commit_point(ctx, m, o);
            writes::check_waiter(ctx, m, o);
        }
        _ => {}
    }
}

/// The primary recomputes the majority commit point from its members' progress, counting
/// durable positions when `writeConcernMajorityJournalDefault` is true and applied ones
/// when it is false, under the own-term rule (`quorum::majority_commit_point`); when it
/// moves, the primary's heartbeats carry it to the others. The primary's own position is
/// taken fresh from its oplog and journal.
pub fn advance_commit_point(ctx: Ctx<'_>, m: &mut Member, o: &mut Out) {
    let own = ctx.settings.reported(m.position());
    let Role::Primary { progress, .. } = &mut m.role else {
        return;
    };
    progress[ctx.id.index()] = own;
    let durable = ctx.settings.wc_majority_journal_default;
    let optimes: Vec<OpTime> = progress.iter().map(|p| p.at(durable)).collect();
    let own_term_rule = ctx.settings.variant.own_term_commit_rule;
    let Some(commit_point) =
        quorum::majority_commit_point(&ctx.settings.replset, &optimes, m.term, own_term_rule)
    else {
        return;
    };
    if commit_point > m.commit_point {
        m.commit_point = commit_point;
        if !ctx.settings.is_pv0() {
            send_heartbeats(ctx, m, o);
        }
    }
}

/// The primary's heartbeat to every other member. Real heartbeats repeat every two
/// seconds; the model sends one whenever what they carry (term, commit point) changes, and
/// a newer heartbeat replaces an older one still in flight on the same connection: the
/// network may delay or drop any copy, so repeating an unchanged heartbeat, or delivering
/// an outdated one, reaches no new situation.
pub fn send_heartbeats(ctx: Ctx<'_>, m: &Member, o: &mut Out) {
    let hb = Msg::Heartbeat {
        term: m.term,
        commit_point: m.commit_point,
    };
    send_all(ctx.peers().collect::<Vec<_>>(), &hb, o);
}

/// A member handles the primary's heartbeat: it adopts a newer term; an arbiter notes the
/// primary it can see; a data-bearing member learns the commit point, but only if the
/// commit point is in the term of its own last entry (`LearnCommitPointWithTermCheck` in
/// RaftMongo.tla: otherwise its last entries may belong to a branch the commit point is
/// not on), and never beyond its own last entry.
pub fn on_heartbeat(
    ctx: Ctx<'_>,
    m: &mut Cow<Member>,
    primary: MemberId,
    term: Term,
    commit_point: OpTime,
    o: &mut Out,
) {
    observe_term(ctx, m, term, o);
    if term < m.term {
        return;
    }
    match m.role {
        Role::Arbiter { .. } => {
            m.to_mut().role = Role::Arbiter {
                primary: Some(primary),
            };
            o.set_timer(Timer::PrimaryUnreachable, model_timeout());
        }
        Role::Secondary { .. } | Role::Recovering { .. } => {
            let last = m.last_optime();
            let same_branch =
                commit_point.term == last.term || !ctx.settings.variant.commit_point_term_check;
            if same_branch && commit_point > m.commit_point {
                learn_commit_point(m.to_mut(), commit_point.min(last));
            }
        }
        _ => {}
    }
}
