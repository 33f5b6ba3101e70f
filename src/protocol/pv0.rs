//! Elections under protocol version 0 (docs/protocol.md §8): the algorithm of MongoDB before
//! 3.2, the one the seeds describe, with no terms.
//!
//! Sources: `topology_coordinator_impl.cpp` (3.2-3.4: `checkShouldStandForElection`,
//! `_getMyUnelectableReason`, `prepareFreshResponse`, `_shouldVetoMember`,
//! `prepareElectResponse`, `voteForMyself`), `freshness_checker.cpp`,
//! `elect_cmd_runner.cpp`, `global_timestamp.cpp`.
//!
//! - **Timestamps.** Each primary stamps entries from its own clock (`clock`): one more
//!   than anything it has written, applied or seen on its clock. Two primaries stamp
//!   independently, so their entries interleave in timestamp order and may tie. Optimes
//!   compare by timestamp only; an entry is identified by timestamp and hash `h`.
//! - **Heartbeats.** Every member knows what heartbeats say of each other member
//!   (`view`: member state and last optime, or DOWN when heartbeats fail). Standing,
//!   `replSetFresh` and `replSetElect` all decide on that view.
//! - **Standing.** A secondary stands when it knows no primary, can see a majority of the
//!   votes, holds no vote lease for another member, and its last optime is within the
//!   freshness window of the freshest optime it knows (the "10 seconds" of the seeds, in
//!   timestamp ticks: `Pv0Settings::freshness_window`).
//! - **Round 1, freshness.** It asks every member it believes up. A member answers with
//!   its own optime, whether it knows a fresher one, and whether it vetoes: it is primary
//!   and at least as fresh, or knows such a primary, or knows an electable member of
//!   higher priority, or thinks the candidate unelectable. Any objection, or an answer
//!   fresher than the candidate, ends the attempt; missing answers are tolerated while a
//!   majority could still be reached.
//! - **Round 2, elect.** The candidate takes its own vote lease and asks again. A member
//!   that is or knows a primary, or knows a better candidate, vetoes (-10000); one whose
//!   lease is held for another candidate answers 0; otherwise it takes a 30-second lease
//!   for the candidate and gives all its votes. No optime is compared in this round. The
//!   candidate needs a majority of all votes.
//! - **The lease is memory only**: a restart forgets it, and the member may vote again at
//!   once. With no term to tie votes to, this is pv0's double vote.
//!
//! The model's pv0 writes no entry on winning (3.2-3.6 log the "new primary" no-op under
//! protocol version 1 only); every member starts with the "initiating set" entry.

use super::member::{save, send_all, Ctx, Election, Member, PeerView, Reign, Role};
use super::messages::{Ballot, Msg, Timer};
use super::node::{Node, Out};
use super::quorum;
use super::replication;
use super::types::{MemberId, MemberSet, MemberState, Op, OpTime, Oplog, Position};
use stateright::actor::model_timeout;
use std::borrow::Cow;

/// The oplog every member starts with: empty under protocol version 1; under version 0
/// the "initiating set" entry `rs.initiate` writes, without which nobody may stand
/// (`NoData`).
pub fn initial_oplog(ctx: Ctx<'_>) -> Oplog {
    let mut oplog = Oplog::new();
    if ctx.settings.is_pv0() && !ctx.is_arbiter() {
        oplog.append(OpTime::new(0, 1), 0, Op::Initiate);
    }
    oplog
}

/// The protocol-version-0 part of (re)starting: the clock starts at the last entry
/// (`setNewTimestamp` at startup); the vote lease is gone (it lived in memory only), and
/// the view is refreshed by the model after the step.
pub fn on_start(ctx: Ctx<'_>, m: &mut Member, first_start: bool, o: &mut Out) {
    m.clock = m.last_optime().ts;
    if ctx.settings.pv0.max_isolated > 0 {
        o.set_timer(Timer::Isolate, model_timeout());
    }
    if !ctx.is_arbiter() && ctx.settings.pv0.max_clock_jumps > 0 {
        o.set_timer(Timer::ClockJump, model_timeout());
    }
    if m.pledge.is_some() {
        // The ghost lease still runs out, although the real one is gone.
        o.set_timer(Timer::LeaseExpires, model_timeout());
    }
    if first_start {
        // Initiated: the configuration and the initiating entry are on disk.
        save(m, o);
    }
}

/// Heartbeat data as members see each other (`MemberHeartbeatData`): the member state and
/// last applied optime of every member whose heartbeats get through, DOWN for the others
/// (crashed, or on either side of an isolation). The model reads them from the current
/// states, as MongoDB's TLA+ specifications read other servers' state in one step: the
/// two-second heartbeat interval is abstracted away, and staleness is what the 10-second
/// heartbeat timeout turns into, DOWN.
pub fn refresh_views(members: &mut [Member], crashed: &[bool]) {
    let seen: Vec<Option<PeerView>> = members
        .iter()
        .zip(crashed)
        .map(|(m, &down)| {
            (!down && !m.isolated).then(|| PeerView {
                state: m.member_state(),
                last: m.last_optime(),
            })
        })
        .collect();
    for (i, m) in members.iter_mut().enumerate() {
        let view: Vec<Option<PeerView>> = if crashed[i] || m.isolated {
            vec![None; seen.len()]
        } else {
            seen.iter()
                .enumerate()
                .map(|(j, v)| if i == j { None } else { *v })
                .collect()
        };
        if m.view != view {
            m.view = view;
        }
    }
}

/// The member is cut off from every other member's heartbeats (a partition with it alone
/// on one side; the model bounds how many members are cut off at once).
pub fn on_isolate(_ctx: Ctx<'_>, m: &mut Cow<Member>, o: &mut Out) {
    if !m.isolated {
        m.to_mut().isolated = true;
        o.set_timer(Timer::Rejoin, model_timeout());
    }
}

/// The partition heals for this member.
pub fn on_rejoin(_ctx: Ctx<'_>, m: &mut Cow<Member>, o: &mut Out) {
    if m.isolated {
        m.to_mut().isolated = false;
        o.set_timer(Timer::Isolate, model_timeout());
    }
}

/// 30 seconds after a vote the lease runs out (`VoteLease::leaseTime`).
pub fn on_lease_expires(_ctx: Ctx<'_>, m: &mut Cow<Member>, _o: &mut Out) {
    if m.lease.is_some() || m.pledge.is_some() {
        let m = m.to_mut();
        m.lease = None;
        m.pledge = None;
    }
}

/// The member's clock moves ahead (wall time passing here, or skew): its next stamp, or
/// its next election time, is larger than anything it has seen.
pub fn on_clock_jump(_ctx: Ctx<'_>, m: &mut Cow<Member>, o: &mut Out) {
    o.set_timer(Timer::ClockJump, model_timeout());
    m.to_mut().clock += 1;
}

/// The clock follows every entry applied (`setNewTimestamp` in `sync_tail.cpp`).
pub fn after_apply(m: &mut Member) {
    m.clock = m.clock.max(m.last_optime().ts);
}

/// The optime and hash of a new entry written by primary `m` (`getNextGlobalTimestamp`):
/// one tick of its clock, never below its last entry.
pub fn stamp(m: &mut Member) -> (OpTime, u8) {
    m.clock = m.clock.max(m.last_optime().ts) + 1;
    let h = match m.role {
        Role::Primary { reign, .. } => reign.seq,
        _ => 0,
    };
    (OpTime::new(0, m.clock), h)
}

// ---- What a member can tell from its view -------------------------------------------

/// The member heartbeats say is primary, if any (`_currentPrimaryIndex`).
fn known_primary(m: &Member) -> Option<MemberId> {
    m.view
        .iter()
        .position(|v| v.is_some_and(|v| v.state == MemberState::Primary))
        .map(|i| MemberId(i as u8))
}

/// The freshest optime the member knows: its own and every member's it believes up
/// (`_latestKnownOpTime`).
fn latest_known(m: &Member) -> OpTime {
    m.view
        .iter()
        .flatten()
        .map(|v| v.last)
        .fold(m.last_optime(), OpTime::max)
}

/// What the member's view says of `p`'s last optime (null when DOWN).
fn view_last(m: &Member, p: MemberId) -> OpTime {
    m.view[p.index()].map_or(OpTime::NULL, |v| v.last)
}

/// Members the member believes up (`getMaybeUpHostAndPorts`).
fn maybe_up(ctx: Ctx<'_>, m: &Member) -> MemberSet {
    let mut up = MemberSet::default();
    for p in ctx.peers().filter(|p| m.view[p.index()].is_some()) {
        up.insert(p);
    }
    up
}

fn votes_of(ctx: Ctx<'_>, members: MemberSet) -> u32 {
    members
        .iter()
        .map(|p| u32::from(ctx.settings.replset.member(p).votes))
        .sum()
}

/// Whether `optime` is within the freshness window of `latest`
/// (`_isOpTimeCloseEnoughToLatestToElect`: "within 10 seconds").
fn close_enough(ctx: Ctx<'_>, optime: OpTime, latest: OpTime) -> bool {
    u16::from(optime.ts) + u16::from(ctx.settings.pv0.freshness_window) >= u16::from(latest.ts)
}

/// Whether, in `m`'s view, member `p` is electable (`_getUnelectableReason`): it may
/// stand by configuration, heartbeats say SECONDARY, and its optime is within the window.
fn electable_in_view(ctx: Ctx<'_>, m: &Member, p: MemberId) -> bool {
    let candidate = Ctx { id: p, ..ctx };
    candidate.may_stand()
        && m.view[p.index()].is_some_and(|v| v.state == MemberState::Secondary)
        && close_enough(ctx, view_last(m, p), latest_known(m))
}

/// Why this member may not stand now (`_getMyUnelectableReason` and the checks before it
/// in `checkShouldStandForElection`), or `None`.
pub fn why_not_stand(ctx: Ctx<'_>, m: &Member) -> Option<&'static str> {
    let total = quorum::total_votes(&ctx.settings.replset);
    let seen =
        votes_of(ctx, maybe_up(ctx, m)) + u32::from(ctx.settings.replset.member(ctx.id).votes);
    if !ctx.may_stand() {
        Some("it may not stand (arbiter or priority 0)")
    } else if !matches!(m.role, Role::Secondary { election: None }) {
        Some("it is not a secondary waiting to stand")
    } else if known_primary(m).is_some() {
        Some("it knows a primary")
    } else if m.last_optime().is_null() {
        Some("it has no data")
    } else if seen * 2 <= total {
        Some("it cannot see a majority")
    } else if m.lease.is_some_and(|l| l != ctx.id) {
        Some("it voted for another member less than 30 s ago")
    } else if !close_enough(ctx, m.last_optime(), latest_known(m)) {
        Some("it is not close enough to the freshest optime it knows")
    } else {
        None
    }
}

/// The electable member of highest priority this member knows, itself included
/// (`_getHighestPriorityElectableIndex`).
fn highest_priority_electable(ctx: Ctx<'_>, m: &Member) -> Option<MemberId> {
    let replset = &ctx.settings.replset;
    let me_electable = ctx.may_stand()
        && matches!(m.role, Role::Secondary { .. } | Role::Primary { .. })
        && close_enough(ctx, m.last_optime(), latest_known(m));
    replset
        .ids()
        .filter(|&p| {
            if p == ctx.id {
                me_electable
            } else {
                electable_in_view(ctx, m, p)
            }
        })
        .max_by(|&a, &b| {
            replset
                .member(a)
                .priority
                .total_cmp(&replset.member(b).priority)
        })
}

/// Whether a known electable member has a higher priority than the candidate.
fn knows_better_candidate(ctx: Ctx<'_>, m: &Member, candidate: MemberId) -> bool {
    let replset = &ctx.settings.replset;
    highest_priority_electable(ctx, m)
        .is_some_and(|h| replset.member(h).priority > replset.member(candidate).priority)
}

/// `_shouldVetoMember`: the veto in the freshness round.
pub fn veto_reason(ctx: Ctx<'_>, m: &Member, candidate: MemberId) -> Option<&'static str> {
    let theirs = view_last(m, candidate);
    if m.is_primary() && m.last_optime() >= theirs {
        Some("it is primary and at least as fresh")
    } else if known_primary(m).is_some_and(|p| p != candidate && view_last(m, p) >= theirs) {
        Some("it knows a primary at least as fresh")
    } else if knows_better_candidate(ctx, m, candidate) {
        Some("it knows an electable member of higher priority")
    } else if !electable_in_view(ctx, m, candidate) {
        Some("it does not think the candidate electable")
    } else {
        None
    }
}

/// `prepareElectResponse`: the voter's ballot in the elect round, before the lease.
pub fn elect_veto_reason(ctx: Ctx<'_>, m: &Member, candidate: MemberId) -> Option<&'static str> {
    if m.is_primary() {
        Some("it is primary")
    } else if known_primary(m).is_some() {
        Some("it knows a primary")
    } else if knows_better_candidate(ctx, m, candidate) {
        Some("it knows an electable member of higher priority")
    } else {
        None
    }
}

// ---- Standing -------------------------------------------------------------------------

/// The election timer: a secondary that may stand starts the freshness round
/// (`_startElectSelf`); a candidate whose round is still waiting ends it with the answers
/// it has (the commands' timeouts).
pub fn on_election_timeout(ctx: Ctx<'_>, m: &mut Cow<Member>, o: &mut Out) {
    match m.role {
        Role::Secondary {
            election: Some(Election::Freshness { targets, replied }),
        } => {
            // Unanswered voters count as failures; a majority must remain reachable
            // (`FreshnessChecker`: `QuorumUnreachable`).
            let replset = &ctx.settings.replset;
            let mut voting_targets = MemberSet::default();
            let mut failed = MemberSet::default();
            for p in targets.iter().filter(|&p| replset.member(p).is_voter()) {
                voting_targets.insert(p);
                if !replied.contains(p) {
                    failed.insert(p);
                }
            }
            let reachable = votes_of(ctx, voting_targets) + u32::from(replset.member(ctx.id).votes);
            let losable = reachable.saturating_sub(quorum::majority_votes(replset));
            if votes_of(ctx, failed) <= losable {
                start_elect_round(ctx, m.to_mut(), o);
            } else {
                lose(ctx, m.to_mut(), o);
            }
        }
        Role::Secondary {
            election: Some(Election::Elect { tally, .. }),
        } => decide(ctx, m.to_mut(), tally, o),
        _ => {
            if why_not_stand(ctx, m).is_some() {
                return;
            }
            let m = m.to_mut();
            let targets = maybe_up(ctx, m);
            m.role = Role::Secondary {
                election: Some(Election::Freshness {
                    targets,
                    replied: MemberSet::default(),
                }),
            };
            o.set_timer(Timer::Election, model_timeout());
            if targets.iter().next().is_none() {
                start_elect_round(ctx, m, o);
                return;
            }
            let ask = Msg::Fresh {
                last: m.last_optime(),
            };
            send_all(targets.iter().collect::<Vec<_>>(), &ask, o);
        }
    }
}

/// `replSetFresh`: the member answers with its optime, whether it knows a fresher one
/// (`fresher`), and whether it vetoes the candidate (`prepareFreshResponse`).
pub fn on_fresh(ctx: Ctx<'_>, m: &mut Cow<Member>, candidate: MemberId, last: OpTime, o: &mut Out) {
    let reply = Msg::FreshReply {
        last: m.last_optime(),
        fresher: last < latest_known(m),
        veto: veto_reason(ctx, m, candidate).is_some(),
    };
    o.send(Node::id_of(candidate), reply);
}

/// Whether a round that asked `targets` and heard from `replied` still waits for `voter`.
pub fn awaits_answer(targets: MemberSet, replied: MemberSet, voter: MemberId) -> bool {
    targets.contains(voter) && !replied.contains(voter)
}

/// The candidate handles an answer to `replSetFresh` (`FreshnessChecker::processResponse`):
/// an objection, or an answer fresher than itself, ends the attempt; an equal optime is a
/// tie and the attempt goes on. Once every member asked has answered, round 2 begins.
#[allow(clippy::too_many_arguments)]
pub fn on_fresh_reply(
    ctx: Ctx<'_>,
    m: &mut Cow<Member>,
    voter: MemberId,
    last: OpTime,
    fresher: bool,
    veto: bool,
    o: &mut Out,
) {
    let Role::Secondary {
        election: Some(Election::Freshness { targets, replied }),
    } = m.role
    else {
        return;
    };
    if !awaits_answer(targets, replied, voter) {
        return;
    }
    let m = m.to_mut();
    if fresher || veto || last > m.last_optime() {
        lose(ctx, m, o);
        return;
    }
    let mut replied = replied;
    replied.insert(voter);
    if replied == targets {
        start_elect_round(ctx, m, o);
    } else {
        m.role = Role::Secondary {
            election: Some(Election::Freshness { targets, replied }),
        };
    }
}

/// Round 2 (`_onFreshnessCheckComplete`): the candidate takes its own vote lease
/// (`voteForMyself`, which fails if the lease is held for another member) and sends
/// `replSetElect` to every member it believes up. Its own votes start the tally.
fn start_elect_round(ctx: Ctx<'_>, m: &mut Member, o: &mut Out) {
    if m.lease.is_some_and(|l| l != ctx.id) {
        lose(ctx, m, o);
        return;
    }
    take_lease(m, ctx.id, o);
    let targets = maybe_up(ctx, m);
    let tally = i16::from(ctx.settings.replset.member(ctx.id).votes);
    m.role = Role::Secondary {
        election: Some(Election::Elect {
            targets,
            replied: MemberSet::default(),
            tally,
            rivals: MemberSet::default(),
        }),
    };
    o.set_timer(Timer::Election, model_timeout());
    if targets.iter().next().is_none() {
        decide(ctx, m, tally, o);
        return;
    }
    send_all(targets.iter().collect::<Vec<_>>(), &Msg::Elect, o);
}

/// Takes the 30-second vote lease for `candidate`; returns the ghost lease it replaces.
fn take_lease(m: &mut Member, candidate: MemberId, o: &mut Out) -> Option<MemberId> {
    let before = m.pledge;
    m.lease = Some(candidate);
    m.pledge = Some(candidate);
    o.set_timer(Timer::LeaseExpires, model_timeout());
    save(m, o);
    before
}

/// `replSetElect` (`prepareElectResponse`): a veto if the member is or knows a primary or
/// knows a better candidate; 0 if its lease is held for another candidate; otherwise it
/// takes the lease for this candidate and gives all its votes. No optime is compared.
pub fn on_elect(ctx: Ctx<'_>, m: &mut Cow<Member>, candidate: MemberId, o: &mut Out) {
    let (ballot, rival) = if elect_veto_reason(ctx, m, candidate).is_some() {
        (Ballot::Veto, None)
    } else if m.lease.is_some_and(|l| l != candidate) {
        (Ballot::No, None)
    } else {
        let before = take_lease(m.to_mut(), candidate, o);
        let votes = ctx.settings.replset.member(ctx.id).votes;
        (Ballot::Yea(votes), before.filter(|&r| r != candidate))
    };
    o.send(Node::id_of(candidate), Msg::ElectReply { ballot, rival });
}

/// The candidate counts an answer to `replSetElect` (`ElectCmdRunner`): a veto ends the
/// round at once; once every member asked has answered it decides.
pub fn on_elect_reply(
    ctx: Ctx<'_>,
    m: &mut Cow<Member>,
    voter: MemberId,
    ballot: Ballot,
    rival: Option<MemberId>,
    o: &mut Out,
) {
    let Role::Secondary {
        election:
            Some(Election::Elect {
                targets,
                replied,
                tally,
                rivals,
            }),
    } = m.role
    else {
        return;
    };
    if !awaits_answer(targets, replied, voter) {
        return;
    }
    let m = m.to_mut();
    let mut replied = replied;
    replied.insert(voter);
    let tally = tally + ballot.votes();
    let mut rivals = rivals;
    if let Some(r) = rival {
        rivals.insert(r);
    }
    m.role = Role::Secondary {
        election: Some(Election::Elect {
            targets,
            replied,
            tally,
            rivals,
        }),
    };
    if tally < 0 {
        lose(ctx, m, o);
    } else if replied == targets {
        decide(ctx, m, tally, o);
    }
}

/// The elect round is over: a majority of all configured votes wins
/// (`_onElectCmdRunnerComplete`).
fn decide(ctx: Ctx<'_>, m: &mut Member, tally: i16, o: &mut Out) {
    let needed = quorum::majority_votes(&ctx.settings.replset);
    if u32::try_from(tally).is_ok_and(|t| t >= needed) {
        become_primary(ctx, m, o);
    } else {
        lose(ctx, m, o);
    }
}

/// The attempt failed: the member is an ordinary secondary again and releases a lease it
/// holds for itself (`processLoseElection`).
fn lose(ctx: Ctx<'_>, m: &mut Member, o: &mut Out) {
    m.role = Role::Secondary { election: None };
    if m.lease == Some(ctx.id) {
        m.lease = None;
        m.pledge = None;
        save(m, o);
    }
    o.set_timer(Timer::Election, model_timeout());
}

/// The candidate wins (`processWinElection`): PRIMARY, with an election time taken from
/// the clock that stamps the oplog. It writes no entry. The client hears of it with the
/// election time as the election id.
fn become_primary(ctx: Ctx<'_>, m: &mut Member, o: &mut Out) {
    let rivals = match m.role {
        Role::Secondary {
            election: Some(Election::Elect { rivals, .. }),
        } => rivals,
        _ => MemberSet::default(),
    };
    m.clock = m.clock.max(m.last_optime().ts) + 1;
    m.role = Role::Primary {
        progress: vec![Position::default(); ctx.settings.replset.len()],
        waiter: None,
        election_time: m.clock,
        reign: Reign {
            rivals,
            ..Reign::default()
        },
    };
    o.cancel_timer(Timer::Election);
    o.set_timer(Timer::StepDown, model_timeout());
    o.send(
        Node::client_id(ctx.settings),
        Msg::Hello {
            election_id: m.clock,
        },
    );
    replication::advance_commit_point(ctx, m, o);
}
