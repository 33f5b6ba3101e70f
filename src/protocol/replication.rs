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
//! the secondary could have used, except back to the member it came from: that member
//! sent it to its own sync source, which is ahead of it, and a sync source is never a
//! member behind it (`forward_targets`).

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
    let required = match m.role {
        Role::Recovering { min_valid } => min_valid,
        _ => OpTime::NULL,
    };
    let query = Msg::GetMore {
        last: m.last_optime(),
        required,
    };
    send_all(sync_source_candidates(ctx), &query, o);
}

/// Whether a member can answer a `getMore` after `from`: it is further ahead, it holds
/// the optime the fetcher requires (after a rollback via refetch, `minValid`: a member on
/// another branch cannot make it consistent), and it is PRIMARY, or SECONDARY when
/// chaining is allowed (`settings.chainingAllowed`). A member in ROLLBACK or RECOVERING
/// is never a valid sync source.
pub fn can_serve(ctx: Ctx<'_>, m: &Member, from: OpTime, required: OpTime) -> bool {
    let eligible = match m.role {
        Role::Primary { .. } => true,
        Role::Secondary { .. } => ctx.settings.chaining_allowed,
        _ => false,
    };
    eligible && m.last_optime() > from && m.oplog.contains_optime(required)
}

/// A member answers a fetcher's `getMore` once it can serve it: with the entries after the
/// fetcher's position, in a batch that may end after any of them (MongoDB's batches are
/// bounded in size, so the fetcher may stop anywhere in what its source has; RaftMongo.tla's
/// `AppendOplog` appends any prefix), each possible batch a message of its own, of which
/// the fetcher takes whichever arrives; and, in the reply's metadata, its term and commit
/// point. A source that does not hold the fetcher's last entry answers once, with
/// everything it has: the fetcher finds its last entry missing (`Settings::whole_batches`
/// answers every query so). Until the member can serve it the awaitData query waits:
/// delivering it now would do nothing, so it stays on the network.
pub fn on_get_more(
    ctx: Ctx<'_>,
    m: &mut Cow<Member>,
    fetcher: MemberId,
    last: OpTime,
    required: OpTime,
    o: &mut Out,
) {
    if !can_serve(ctx, m, last, required) {
        return;
    }
    // Under protocol version 0 the reply carries no replication metadata: no commit point
    // reaches a secondary (`makeMetadataObject`).
    let commit_point = if ctx.settings.is_pv0() {
        OpTime::NULL
    } else {
        m.commit_point
    };
    let all = u8::try_from(m.oplog.len()).expect("oplog positions fit in u8");
    let first = match m.oplog.position_of(last) {
        Some(position) if !ctx.settings.whole_batches => position + 1,
        _ => all,
    };
    for end in first..=all {
        o.send(
            Node::id_of(fetcher),
            Msg::Batch {
                term: m.term,
                from: last,
                oplog: m.oplog.prefix(end),
                commit_point,
            },
        );
    }
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
    // A recovering member's source holds its minValid (`can_serve`).
    let usable = matches!(m.role, Role::Secondary { .. } | Role::Recovering { .. });
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
    // From the sync source, the commit point is taken whatever its term, but never beyond
    // the last entry applied (SERVER-39831: `advanceLastCommittedOpTimeAndWallTime` with
    // `fromSyncSource`).
    if learn_commit_point(m, commit_point.min(applied)) && !ctx.settings.is_pv0() {
        send_heartbeats(ctx, m, o);
    }
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

/// Takes a commit point learned from elsewhere if it is newer, and says whether it did.
/// For a data-bearing member, callers guarantee it names an entry of its own oplog.
fn learn_commit_point(m: &mut Member, commit_point: OpTime) -> bool {
    let newer = commit_point > m.commit_point;
    if newer {
        m.commit_point = commit_point;
    }
    newer
}

/// Whether `m` passes on a progress report of `term` instead of recording it: it is a
/// secondary in that term, and sync sources may be secondaries (chaining).
pub fn forwards_report(ctx: Ctx<'_>, m: &Member, term: Term) -> bool {
    ctx.settings.chaining_allowed && term == m.term && matches!(m.role, Role::Secondary { .. })
}

/// Where a secondary passes on a report about `member` that came from `from`: every member
/// it may sync from (`sync_source_candidates`: MongoDB's own sync source, which the model
/// does not track), but neither the member the report is about nor the one it came from.
/// `from` sent it to its sync source, which is ahead of it, and MongoDB never syncs from
/// a member behind it, so no chain leads back.
pub fn forward_targets(ctx: Ctx<'_>, member: MemberId, from: MemberId) -> Vec<MemberId> {
    let mut targets = sync_source_candidates(ctx);
    targets.retain(|&p| p != member && p != from);
    targets
}

/// `replSetUpdatePosition`: the primary records the member's progress, which may advance
/// the commit point and satisfy a waiting write. A secondary passes the report on up the
/// chain (`forward_targets`). A report of another term is stale and ignored.
pub fn on_update_position(
    ctx: Ctx<'_>,
    m: &mut Cow<Member>,
    from: MemberId,
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
        send_all(forward_targets(ctx, member, from), &report, o);
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

/// A member's heartbeat data to every other member: its term, its commit point and
/// whether it is primary. Real heartbeats repeat every two seconds; the model sends them
/// when a member becomes primary and whenever the commit point it knows advances, and a
/// newer heartbeat replaces an older one still in flight on the same connection: the
/// network may delay or drop any copy, so repeating an unchanged heartbeat, or delivering
/// an outdated one, reaches no new situation.
pub fn send_heartbeats(ctx: Ctx<'_>, m: &Member, o: &mut Out) {
    let hb = Msg::Heartbeat {
        term: m.term,
        commit_point: m.commit_point,
        primary: m.is_primary(),
    };
    send_all(ctx.peers().collect::<Vec<_>>(), &hb, o);
}

/// A member handles another member's heartbeat (`_handleHeartbeatResponse`): it adopts a
/// newer term; an arbiter notes the primary it can see. Every member learns the commit
/// point from any member's heartbeat (`_advanceCommitPoint` with `fromSyncSource` false):
/// - an arbiter, which holds no data, takes any newer commit point, and its last applied
///   optime follows it ("arbiters ... consider their data trivially consistent"), so it
///   refuses candidates behind it (`election::voter_view`; `Rules::
///   arbiter_applied_follows_commit_point`);
/// - a data-bearing member takes it only if it is in the term of its own last entry
///   (`advanceLastCommittedOpTimeAndWallTime`; RaftMongo.tla's
///   `LearnCommitPointWithTermCheck`: otherwise its last entries may belong to a branch the
///   commit point is not on), never beyond its own last entry, and never while in
///   ROLLBACK (the heartbeat handler skips members in STARTUP, STARTUP2 and ROLLBACK).
///
/// Releases before SERVER-27123 (`Rules::heartbeat_term_check`) took any newer commit
/// point, on every member, the primary included, and before adopting the heartbeat's term
/// (`_processReplSetMetadata_incallback`): a stale primary could acknowledge a waiting
/// w:"majority" write on the strength of a newer term's commit point, then step down.
///
/// A member whose commit point advanced says so in its own heartbeats.
#[allow(clippy::too_many_arguments)]
pub fn on_heartbeat(
    ctx: Ctx<'_>,
    m: &mut Cow<Member>,
    sender: MemberId,
    term: Term,
    commit_point: OpTime,
    primary: bool,
    o: &mut Out,
) {
    let term_check = ctx.settings.commit_point_term_check();
    let mut learned = !term_check && learn_from_heartbeat(ctx, m, commit_point, false, o);
    observe_term(ctx, m, term, o);
    if primary && term >= m.term && m.is_arbiter() {
        m.to_mut().role = Role::Arbiter {
            primary: Some(sender),
        };
        o.set_timer(Timer::PrimaryUnreachable, model_timeout());
    }
    learned |= term_check && learn_from_heartbeat(ctx, m, commit_point, true, o);
    if learned {
        send_heartbeats(ctx, m, o);
    }
}

/// The commit point part of a heartbeat (see `on_heartbeat`); whether it advanced.
fn learn_from_heartbeat(
    ctx: Ctx<'_>,
    m: &mut Cow<Member>,
    commit_point: OpTime,
    term_check: bool,
    o: &mut Out,
) -> bool {
    let last = m.last_optime();
    match m.role {
        Role::Arbiter { .. } => {
            ctx.settings.rules().arbiter_applied_follows_commit_point
                && commit_point > m.commit_point
                && learn_commit_point(m.to_mut(), commit_point)
        }
        Role::Secondary { .. } | Role::Recovering { .. } => {
            let same_branch = commit_point.term == last.term || !term_check;
            same_branch
                && commit_point.min(last) > m.commit_point
                && learn_commit_point(m.to_mut(), commit_point.min(last))
        }
        // Before SERVER-27123 the primary took it too; what it can commit is its own
        // oplog, so its commit point stops at its last entry, which may satisfy the write
        // it waits on.
        Role::Primary { .. } if !term_check && commit_point.min(last) > m.commit_point => {
            let m = m.to_mut();
            learn_commit_point(m, commit_point.min(last));
            writes::check_waiter(ctx, m, o);
            true
        }
        Role::Primary { .. } | Role::Rollback { .. } => false,
    }
}
