//! A replica-set member (`mongod`): its state, what survives a restart, and the routing of
//! every message and timer to the handler that models it.
//!
//! The handlers live with the part of the protocol they belong to: `election`,
//! `replication`, `writes` and `rollback`. This module only routes.

use super::election;
use super::journal;
use super::messages::{Msg, Timer};
use super::node::{Node, Out};
use super::pv0;
use super::replication;
use super::replset::Settings;
use super::rollback;
use super::types::{
    Entry, MemberId, MemberSet, MemberState, OpTime, Oplog, Position, Term, WriteId,
};
use super::writes;
use stateright::actor::model_timeout;
use std::borrow::Cow;

/// The durable vote (`local.replset.election`): the last term this member voted in, and
/// for whom.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct LastVote {
    pub term: Term,
    pub candidate: MemberId,
}

/// A primary waiting to acknowledge a client write until its write concern is satisfied.
/// `optime` is what the write concern waits for, the client's "last op": the write's own
/// entry when the primary wrote it now, and the primary's last optime when the write was
/// already in its oplog (a retried retryable write: `LastOpFixer` in MongoDB's
/// `write_ops_exec.cpp` sets the last op to the system's last optime, so the retry waits
/// for replication in the primary's own term, not for an optime of an older term).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Waiter {
    pub write: WriteId,
    pub optime: OpTime,
}

/// A candidate's election in progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Election {
    /// Protocol version 1: the members that granted their vote in this member's term,
    /// itself included.
    Votes(MemberSet),
    /// Protocol version 0, round 1 (`FreshnessChecker`): `replSetFresh` went to `targets`;
    /// `replied` answered without objection.
    Freshness {
        targets: MemberSet,
        replied: MemberSet,
    },
    /// Protocol version 0, round 2 (`ElectCmdRunner`): `replSetElect` went to `targets`;
    /// `replied` answered; `tally` counts the votes so far, its own included (a veto makes
    /// it negative). Ghost, for `election_safety` only: `rivals`, the members some voter
    /// of this round had voted for within the same vote lease.
    Elect {
        targets: MemberSet,
        replied: MemberSet,
        tally: i16,
        rivals: MemberSet,
    },
}

/// What the model records about a primary's election for the properties only (ghost
/// state, docs/protocol.md §8): MongoDB keeps none of it. Under protocol version 1 it stays
/// zero.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Reign {
    /// The number of this election among all won so far (1 = the first primary); also the
    /// `h` of the entries this primary writes.
    pub seq: u8,
    /// How many client writes had been acknowledged when it won: it is a later primary
    /// than each of them.
    pub acked_before: u8,
    /// Members its voters had voted for within the same vote lease (`Election::Elect`).
    pub rivals: MemberSet,
}

/// What one member knows of another from heartbeats (protocol version 0; `MemberHeartbeatData`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct PeerView {
    pub state: MemberState,
    pub last: OpTime,
}

/// What a member does in its current member state, with the data only that state needs
/// (so that leaving a state forgets it, and equal situations are equal states).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Role {
    /// A secondary replicates; while `election` is set it is a candidate.
    Secondary { election: Option<Election> },
    /// The primary knows every member's last applied and last durable optimes (`progress`,
    /// indexed by member, its own included) and may be waiting to acknowledge a write.
    /// Under protocol version 0 it has an election time (a tick of its clock, which
    /// heartbeats and `hello` report) and the model keeps ghost data on its election.
    Primary {
        progress: Vec<Position>,
        waiter: Option<Waiter>,
        election_time: u8,
        reign: Reign,
    },
    /// Rolling back to the common point with its sync source; afterwards the member must
    /// replicate up to `min_valid` (the source's last optime) before it is consistent.
    Rollback { min_valid: OpTime },
    /// Replicating up to `min_valid` after a rollback; not yet a valid sync source.
    Recovering { min_valid: OpTime },
    /// An arbiter votes only; it remembers the primary whose heartbeats it receives.
    Arbiter { primary: Option<MemberId> },
}

/// One member's state.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Member {
    /// Which configuration this member has, as the index of the first member configured
    /// the same way (`ReplicaSetConfig::class_of`). Constant; it lets symmetry reduction
    /// (`symmetry`) tell interchangeable members from the state alone.
    #[serde(skip)]
    pub class: u8,
    pub term: Term,
    pub last_vote: Option<LastVote>,
    pub oplog: Oplog,
    /// How many leading oplog entries are in the journal (the durable prefix); the rest is
    /// the volatile tail a crash loses (docs/protocol.md §6, `journal`).
    pub journaled: u8,
    pub commit_point: OpTime,
    pub role: Role,
    /// The model's rollback files: every entry this member ever rolled back, each once, in
    /// the order of its first rollback.
    pub rollback_file: Vec<Entry>,
    /// Protocol version 0 only (zero, empty or `None` under version 1):
    /// - `clock`: the counter that stamps oplog entries (`getNextGlobalTimestamp`), raised
    ///   to every entry applied and by clock jumps; restart resets it to the last entry;
    /// - `lease`: the 30-second vote lease (`_voteLease`), in memory only;
    /// - `pledge`: ghost copy of the lease that a restart does not clear, for
    ///   `election_safety`;
    /// - `isolated`: heartbeats between this member and all others fail;
    /// - `view`: what heartbeats say of each member (indexed by member; `None` = DOWN).
    ///   It is derived, not remembered: the model refreshes it after every step from the
    ///   other members' states and the isolation flags (`pv0::refresh_views`).
    pub clock: u8,
    pub lease: Option<MemberId>,
    pub pledge: Option<MemberId>,
    pub isolated: bool,
    pub view: Vec<Option<PeerView>>,
    /// Ghost, for `election_safety` only (protocol version 1): the terms in which this
    /// member won an election, bit `t` for term `t`. MongoDB keeps no such record; the
    /// model keeps it across restarts so that two winners of one term are caught even when
    /// the first is down or has stepped down by the time the second wins.
    #[serde(skip)]
    pub won: u32,
}

/// What survives a crash (docs/protocol.md §3, §6, §7): the term, the vote, the journaled prefix
/// of the oplog and the rollback files on disk. The oplog's volatile tail, the commit
/// point, the member state and everything a primary or candidate knows are lost.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Durable {
    pub term: Term,
    pub last_vote: Option<LastVote>,
    pub oplog: Oplog,
    pub rollback_file: Vec<Entry>,
    /// Ghost (protocol version 0): the vote lease as it would be had it been kept.
    pub pledge: Option<MemberId>,
    /// Ghost (protocol version 1): the terms this member won (`Member::won`).
    pub won: u32,
}

impl Member {
    pub fn member_state(&self) -> MemberState {
        match self.role {
            Role::Primary { .. } => MemberState::Primary,
            Role::Secondary { .. } => MemberState::Secondary,
            Role::Rollback { .. } => MemberState::Rollback,
            Role::Recovering { .. } => MemberState::Recovering,
            Role::Arbiter { .. } => MemberState::Arbiter,
        }
    }

    pub fn is_primary(&self) -> bool {
        matches!(self.role, Role::Primary { .. })
    }

    pub fn is_arbiter(&self) -> bool {
        matches!(self.role, Role::Arbiter { .. })
    }

    pub fn last_optime(&self) -> OpTime {
        self.oplog.last_optime()
    }

    /// The last durable (journaled) optime.
    pub fn durable_optime(&self) -> OpTime {
        self.oplog.optime_at(self.journaled)
    }

    /// This member's own progress, as it reports it upstream.
    pub fn position(&self) -> Position {
        Position {
            applied: self.last_optime(),
            durable: self.durable_optime(),
        }
    }

    /// Whether some entries are not yet journaled.
    pub fn has_volatile_tail(&self) -> bool {
        usize::from(self.journaled) < self.oplog.len()
    }

    pub fn durable(&self) -> Durable {
        Durable {
            term: self.term,
            last_vote: self.last_vote,
            oplog: self.oplog.prefix(self.journaled),
            rollback_file: self.rollback_file.clone(),
            pledge: self.pledge,
            won: self.won,
        }
    }
}

/// What a member handler knows besides the member's state: who it is and the model.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub id: MemberId,
    pub settings: &'a Settings,
}

impl Ctx<'_> {
    pub fn is_electable(&self) -> bool {
        self.settings.replset.member(self.id).is_electable()
    }

    /// Whether this member ever stands for election: MongoDB lets only electable members
    /// (priority > 0, a vote, not an arbiter) stand; bug variants may let others.
    pub fn may_stand(&self) -> bool {
        let me = self.settings.replset.member(self.id);
        let variant = &self.settings.variant;
        me.is_electable()
            || (me.arbiter && variant.arbiters_may_stand)
            || (!me.arbiter && me.priority <= 0.0 && variant.unelectable_may_stand)
    }

    pub fn is_arbiter(&self) -> bool {
        self.settings.replset.member(self.id).arbiter
    }

    /// Every other member.
    pub fn peers(&self) -> impl Iterator<Item = MemberId> + '_ {
        let me = self.id;
        self.settings.replset.ids().filter(move |&m| m != me)
    }
}

/// Persists what must survive a crash; called by every handler that changes the term, the
/// vote, the oplog or the rollback files.
pub fn save(m: &Member, o: &mut Out) {
    o.save(m.durable());
}

/// A member (re)starts from its durable state (`ReplicationCoordinatorImpl::startup`):
/// a data-bearing member comes up as SECONDARY and starts looking for a sync source; an
/// arbiter comes up as ARBITER. Nothing volatile survives.
pub fn on_start(ctx: Ctx<'_>, durable: Option<&Durable>, o: &mut Out) -> Member {
    let first_start = durable.is_none();
    let durable = durable.cloned().unwrap_or(Durable {
        term: Term(0),
        last_vote: None,
        oplog: pv0::initial_oplog(ctx),
        rollback_file: Vec::new(),
        pledge: None,
        won: 0,
    });
    // Bug variant `durable_vote = false`: the vote is not kept across a restart.
    let last_vote = durable
        .last_vote
        .filter(|_| ctx.settings.variant.durable_vote);
    let mut m = Member {
        class: ctx.settings.replset.class_of(ctx.id),
        term: durable.term,
        last_vote,
        journaled: u8::try_from(durable.oplog.len()).expect("oplog positions fit in u8"),
        oplog: durable.oplog,
        commit_point: OpTime::NULL,
        role: Role::Arbiter { primary: None },
        rollback_file: durable.rollback_file,
        clock: 0,
        lease: None,
        pledge: durable.pledge,
        isolated: false,
        view: Vec::new(),
        won: durable.won,
    };
    if !ctx.is_arbiter() {
        election::become_secondary(ctx, &mut m, o);
        replication::open_queries(ctx, &m, o);
    } else if ctx.may_stand() {
        o.set_timer(Timer::Election, model_timeout());
    }
    if ctx.settings.is_pv0() {
        pv0::on_start(ctx, &mut m, first_start, o);
    }
    m
}

/// Routes a message to its handler.
pub fn on_msg(ctx: Ctx<'_>, m: &mut Cow<Member>, src: MemberId, msg: Msg, o: &mut Out) {
    match msg {
        Msg::RequestVote { term, last } => election::on_request_vote(ctx, m, src, term, last, o),
        Msg::Vote { term } => election::on_vote(ctx, m, src, term, o),
        Msg::Heartbeat {
            term,
            commit_point,
            primary,
        } => replication::on_heartbeat(ctx, m, src, term, commit_point, primary, o),
        Msg::GetMore { last, required } => replication::on_get_more(ctx, m, src, last, required, o),
        Msg::Batch {
            term,
            from,
            oplog,
            commit_point,
        } => replication::on_batch(ctx, m, src, term, from, &oplog, commit_point, o),
        Msg::UpdatePosition {
            term,
            member,
            position,
        } => replication::on_update_position(ctx, m, src, term, member, position, o),
        Msg::Write { write } => writes::on_write(ctx, m, src, write, o),
        Msg::Fresh { last } => pv0::on_fresh(ctx, m, src, last, o),
        Msg::FreshReply {
            last,
            fresher,
            veto,
        } => pv0::on_fresh_reply(ctx, m, src, last, fresher, veto, o),
        Msg::Elect => pv0::on_elect(ctx, m, src, o),
        Msg::ElectReply { ballot, rival } => pv0::on_elect_reply(ctx, m, src, ballot, rival, o),
        Msg::WriteAck { .. } | Msg::Hello { .. } => {}
    }
}

/// Routes a timer to its handler.
pub fn on_timeout(ctx: Ctx<'_>, m: &mut Cow<Member>, timer: Timer, o: &mut Out) {
    match timer {
        Timer::Election if ctx.settings.is_pv0() => pv0::on_election_timeout(ctx, m, o),
        Timer::Election => election::on_election_timeout(ctx, m, o),
        Timer::StepDown => election::on_step_down_timeout(ctx, m, o),
        Timer::FinishRollback => rollback::on_finish_rollback(ctx, m, o),
        Timer::PrimaryUnreachable => election::on_primary_unreachable(ctx, m, o),
        Timer::JournalFlush => journal::on_journal_flush(ctx, m, o),
        Timer::Isolate => pv0::on_isolate(ctx, m, o),
        Timer::Rejoin => pv0::on_rejoin(ctx, m, o),
        Timer::LeaseExpires => pv0::on_lease_expires(ctx, m, o),
        Timer::ClockJump => pv0::on_clock_jump(ctx, m, o),
    }
}

/// Seeing a higher term in any message: adopt it durably; a primary steps down and a
/// candidate abandons its election (`TopologyCoordinator::updateTerm`, docs/protocol.md §3).
pub fn observe_term(ctx: Ctx<'_>, m: &mut Cow<Member>, term: Term, o: &mut Out) {
    if term <= m.term {
        return;
    }
    let m = m.to_mut();
    m.term = term;
    match &mut m.role {
        Role::Primary { .. } => election::step_down(ctx, m, o),
        Role::Secondary { election } => *election = None,
        _ => {}
    }
    save(m, o);
}

/// Sends a message to every member in `to`.
pub fn send_all(to: impl IntoIterator<Item = MemberId>, msg: &Msg, o: &mut Out) {
    for dst in to {
        o.send(Node::id_of(dst), msg.clone());
    }
}
