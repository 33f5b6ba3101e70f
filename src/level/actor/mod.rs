//! The actor level: stateright's `ActorModel` over the members and the client (the
//! protocol's actors, `protocol::node`), wrapped so that the network, the bounds, the
//! properties and the labels are the replica set's own. This folder holds everything the
//! level adds to the protocol: the network's rules (`network`), the properties
//! (`properties`), the narration of steps (`narrate`), symmetry reduction (`symmetry`) and
//! the trace encodings (`itf`, `diagram`).
//!
//! A crash and the restart are one step under protocol version 1
//! (`Settings::downtime_steps`): no other member and no client can tell a member that is
//! down from one that restarted and hears nothing yet.
//!
//! The network may lose, delay and reorder every message. A lost message is explored as
//! one never delivered: nothing obliges the network to deliver any message, so losses
//! reach no member, client or history state that delays do not, and the properties read
//! nothing else (`Settings::loss_steps` makes each loss a step of its own, for the
//! cross-check that pins this). Three rules keep the network finite and free of junk:
//! - it holds each distinct message at most once: an identical copy sent while one is in
//!   flight is absorbed (the receiver's handlers are idempotent, so a second copy adds only
//!   an unbounded count);
//! - a message that replaces older ones on its connection removes them
//!   (`network::replaces`: a fetcher's new `getMore` to a member, the primary's newer
//!   heartbeat);
//! - a message that can never again change its receiver is removed, and so is every
//!   message to a member that is down, whose connections are gone (`network::obsolete`).

pub mod diagram;
pub mod itf;
pub mod narrate;
pub mod network;
pub mod properties;
pub mod state;
pub mod symmetry;

use super::view::{self, AckView, EntryView, OpTimeView, StateView, VoteView};
use super::{ClientRow, Level, LevelSpec, MemberRow, Property, StateRows, Trace};
use crate::protocol::client::Client;
use crate::protocol::member::{Election, Member, Role};
use crate::protocol::messages::{Msg, Timer};
use crate::protocol::node::{Node, NodeState};
use crate::protocol::pv0;
use crate::protocol::replset::Settings;
use crate::protocol::types::{MemberId, MemberState, OpTime, Oplog, WriteConcern, WriteId};
use stateright::actor::{
    is_no_op, is_no_op_with_timer, Actor, ActorModelAction, Command, Envelope, Id, Out,
};
use stateright::{Model, Path};
use std::borrow::Cow;
use std::hash::Hasher;
use std::sync::Arc;

pub use state::{InFlight, Shared, State, Timers};

/// Feeds every part of `state` to `hasher`: the fingerprint of a state. (stateright's own
/// `Hash` for `ActorModelState` wrote each actor's timer set as its elements' hashes
/// without their count, so that two states whose timers differed only in which actor held
/// them hashed alike; `Timers` is a bit set per actor, which cannot.)
pub fn hash_state<H: std::hash::Hasher>(state: &State, hasher: &mut H) {
    use std::hash::Hash;
    state.hash(hasher);
}

/// What the model counts across a whole execution, for its bounds and ghost state: crashes
/// (when `Settings::crash_budget` bounds them), under protocol version 0 the elections
/// held (a member standing), the elections won and the clock jumps, and which
/// acknowledged writes some member rolled back after their acknowledgement. It names no
/// member, so symmetry reduction leaves it alone.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct History {
    pub crashes: u8,
    pub elections: u8,
    pub wins: u8,
    pub clock_jumps: u8,
    /// Ghost: bit `k` (the 64th bit for every write from the 64th on) is set once a member
    /// rolls back the entry of acknowledged write `k` after it was acknowledged
    /// (`record_rollbacks`).
    pub rolled_back_after_ack: u64,
}

impl History {
    fn bit(k: usize) -> u64 {
        1 << k.min(63)
    }

    /// Whether the entry of acknowledged write `k` was rolled back after it was
    /// acknowledged.
    pub fn rolled_back_after_ack(&self, k: usize) -> bool {
        self.rolled_back_after_ack & Self::bit(k) != 0
    }
}
/// One step: a message delivered or lost, a timer firing, a crash or a restart.
pub type Action = ActorModelAction<Msg, Timer, ()>;

/// The replica set, its client and its network as one stateright model: the protocol's
/// actors (`Node`), driven as stateright's `ActorModel` drives them, over a compact
/// state (`state`).
#[derive(Clone)]
pub struct ReplicaSetModel {
    settings: Arc<Settings>,
    /// The members, then the client.
    actors: Vec<Node>,
}

/// One member as the properties and traces see it.
#[derive(Clone, Copy, Debug)]
pub struct MemberView<'a> {
    pub id: MemberId,
    pub member: &'a Member,
    pub down: bool,
}

impl<'a> MemberView<'a> {
    /// The state the others see: DOWN while crashed.
    pub fn member_state(&self) -> MemberState {
        if self.down {
            MemberState::Down
        } else {
            self.member.member_state()
        }
    }

    /// PRIMARY and up.
    pub fn is_primary(&self) -> bool {
        !self.down && self.member.is_primary()
    }

    pub fn oplog(&self) -> &'a Oplog {
        &self.member.oplog
    }
}

impl ReplicaSetModel {
    pub fn new(settings: Settings) -> Self {
        let settings = Arc::new(settings);
        let members = settings.replset.ids().map(|id| Node::Member {
            id,
            settings: Arc::clone(&settings),
        });
        let actors = members
            .chain([Node::Client {
                settings: Arc::clone(&settings),
            }])
            .collect();
        ReplicaSetModel { settings, actors }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Every member, in order, with whether it is down.
    pub fn members<'a>(&self, state: &'a State) -> impl Iterator<Item = MemberView<'a>> + 'a {
        let n = self.settings.replset.len();
        state.actor_states[..n]
            .iter()
            .zip(&state.crashed)
            .enumerate()
            .map(|(i, (s, &down))| match &**s {
                NodeState::Member(member) => MemberView {
                    id: MemberId(i as u8),
                    member,
                    down,
                },
                NodeState::Client(_) => unreachable!("members come before the client"),
            })
    }

    pub fn member<'a>(&self, state: &'a State, id: MemberId) -> MemberView<'a> {
        self.members(state)
            .nth(id.index())
            .expect("member id within the set")
    }

    pub fn client<'a>(&self, state: &'a State) -> &'a Client {
        match &*state.actor_states[self.settings.replset.len()] {
            NodeState::Client(c) => c,
            NodeState::Member(_) => unreachable!("the client comes after the members"),
        }
    }

    /// The stateright actor index of the client.
    fn client_index(&self) -> usize {
        self.settings.replset.len()
    }

    /// A crashed member keeps nothing but its durable state. stateright leaves the state it
    /// had when it crashed in place until it restarts, although nothing can read it; the
    /// model replaces it with the state the member will restart in, so that crashes at
    /// different moments with the same durable state are the same state.
    fn forget_volatile(&self, state: &mut State, id: Id) {
        let i = usize::from(id);
        let storage = state.actor_storages[i].as_deref().cloned();
        let restarted = self.actors[i].on_start(id, &storage, &mut Out::new());
        state.actor_states[i] = Shared::new(restarted);
    }

    /// Protocol version 0 has no terms to bound or to order primaries by (docs/protocol.md §8).
    /// The model counts the elections held (a member standing; `Pv0Settings::max_elections`
    /// bounds them) and gives a member that became primary in this step the number of its
    /// win (which also serves as the `h` of the entries it writes) and the number of writes
    /// acknowledged before it (it is a "later primary" than each of them): ghost state.
    fn record_elections(&self, prev: &State, next: &mut State) {
        let acked = u8::try_from(self.client(next).acked.len()).expect("fewer than 256 writes");
        let standing =
            |m: &Member| m.is_primary() || matches!(m.role, Role::Secondary { election: Some(_) });
        for i in 0..self.settings.replset.len() {
            let NodeState::Member(before) = &*prev.actor_states[i] else {
                continue;
            };
            let NodeState::Member(m) = &*next.actor_states[i] else {
                continue;
            };
            if !standing(before) && standing(m) {
                next.history.elections += 1;
            }
            if before.is_primary() || !m.is_primary() {
                continue;
            }
            next.history.wins += 1;
            let seq = next.history.wins;
            let mut member = m.clone();
            if let Role::Primary { reign, .. } = &mut member.role {
                reign.seq = seq;
                reign.acked_before = acked;
            }
            next.actor_states[i] = Shared::new(NodeState::Member(member));
        }
    }

    /// Records, as ghost state, every acknowledged write whose entry a member removed from
    /// its oplog by rolling back in this step (not by crashing), after the client had the
    /// acknowledgement. A member may roll back an entry before it is acknowledged and
    /// fetch it again: that loses nothing, and its rollback file alone cannot tell the two
    /// apart.
    fn record_rollbacks(&self, prev: &State, next: &mut State) {
        let acked = &self.client(prev).acked;
        let mut lost = 0;
        for (before, after) in self.members(prev).zip(self.members(next)) {
            if after.down || !matches!(after.member.role, Role::Rollback { .. }) {
                continue;
            }
            for (k, write) in acked.iter().enumerate() {
                if before.oplog().contains(write) && !after.oplog().contains(write) {
                    lost |= History::bit(k);
                }
            }
        }
        next.history.rolled_back_after_ack |= lost;
    }

    /// Protocol version 0: whether a member's vote lease is for a candidate still in its
    /// elect round. The lease (30 s from the vote) outlasts that round: the candidate sent
    /// `replSetElect` before the vote with a 30-second command timeout, and took its own
    /// lease just before (`voteForMyself`). The model's timers are untimed, so this one
    /// ordering of real time is enforced here.
    fn lease_outlasts_round(&self, state: &State, id: Id) -> bool {
        let i = usize::from(id);
        if i >= self.settings.replset.len() {
            return false;
        }
        let Some(candidate) = self.member(state, MemberId(i as u8)).member.lease else {
            return false;
        };
        let c = self.member(state, candidate);
        !c.down
            && matches!(
                c.member.role,
                Role::Secondary {
                    election: Some(Election::Elect { .. })
                }
            )
    }

    /// Protocol version 0: every member's heartbeat view, from the states after the step
    /// (`pv0::refresh_views`). Only members whose view changed are rewritten.
    fn refresh_views(&self, state: &mut State) {
        let n = self.settings.replset.len();
        let mut members: Vec<Member> = self.members(state).map(|m| m.member.clone()).collect();
        pv0::refresh_views(&mut members, &state.crashed[..n]);
        for (i, m) in members.into_iter().enumerate() {
            if self.member(state, MemberId(i as u8)).member.view != m.view {
                state.actor_states[i] = Shared::new(NodeState::Member(m));
            }
        }
    }

    /// Applies the network's rules (`network`) after a step that put `sent` in flight
    /// (the envelopes that were not in flight before it): removes messages that can no
    /// longer do anything, then lets each newly sent message that is left replace what it
    /// supersedes. (Duplicates were absorbed as they were sent: `InFlight::insert`.)
    ///
    /// `moved` is the one member whose state the step changed, if only one did. Whether a
    /// message is obsolete depends only on its receiver's state (a member's, or for a
    /// write, the client's), so after such a step only the messages to that member can
    /// have become obsolete, and only those it sent are new: every other message was
    /// checked after the step before.
    fn settle_network(&self, state: &mut State, sent: &[Shared<Envelope<Msg>>], moved: Option<Id>) {
        let mut in_flight = std::mem::take(&mut state.network);
        in_flight.retain(|e| {
            if moved.is_some_and(|m| m != e.dst && m != e.src) {
                return true;
            }
            let e = Envelope {
                src: e.src,
                dst: e.dst,
                msg: &e.msg,
            };
            !network::obsolete(self, state, &e)
        });
        for new in sent {
            let e = Envelope {
                src: new.src,
                dst: new.dst,
                msg: &new.msg,
            };
            // Still in flight unless the rule above removed it as obsolete.
            if !network::obsolete(self, state, &e) {
                in_flight.retain(|old| !network::replaces(new, old) || old == &**new);
            }
        }
        state.network = in_flight;
    }

    /// Carries out what an actor's handler asked for, as stateright's `ActorModel` does:
    /// sends (each new envelope is also added to `sent`), timers set and cancelled, and
    /// durable state saved.
    fn process_commands(
        &self,
        id: Id,
        out: Out<Node>,
        state: &mut State,
        sent: &mut Vec<Shared<Envelope<Msg>>>,
    ) {
        let i = usize::from(id);
        for command in out {
            match command {
                Command::Send(dst, msg) => {
                    sent.extend(state.network.insert(Envelope { src: id, dst, msg }));
                }
                Command::SetTimer(timer, _) => state.timers_set[i].set(timer),
                Command::CancelTimer(timer) => state.timers_set[i].cancel(timer),
                Command::Save(storage) => state.actor_storages[i] = Some(Shared::new(storage)),
                // The actors make no random choices (`Node::Random` is `()`).
                Command::ChooseRandom(..) => {}
            }
        }
    }

    /// One step as stateright's `ActorModel` takes it, before the model's own rules: the
    /// state after it and the envelopes it put in flight, or `None` if the step changes
    /// nothing (a delivery its receiver ignores, a timer that only renews itself) or is
    /// not possible.
    fn actor_step(
        &self,
        state: &State,
        action: Action,
    ) -> Option<(State, Vec<Shared<Envelope<Msg>>>)> {
        let mut sent = Vec::new();
        match action {
            ActorModelAction::Drop(envelope) => {
                let mut next = state.clone();
                next.network.remove(&envelope);
                Some((next, sent))
            }
            ActorModelAction::Deliver { src, dst, msg } => {
                let i = usize::from(dst);
                if *state.crashed.get(i)? {
                    return None;
                }
                let mut actor = Cow::Borrowed(&*state.actor_states[i]);
                let mut out = Out::new();
                self.actors[i].on_msg(dst, &mut actor, src, msg.clone(), &mut out);
                if is_no_op(&actor, &out) {
                    return None;
                }
                let mut next = state.clone();
                next.network.remove(&Envelope { src, dst, msg });
                if let Cow::Owned(actor) = actor {
                    next.actor_states[i] = Shared::new(actor);
                }
                self.process_commands(dst, out, &mut next, &mut sent);
                Some((next, sent))
            }
            ActorModelAction::Timeout(id, timer) => {
                let i = usize::from(id);
                let mut actor = Cow::Borrowed(&**state.actor_states.get(i)?);
                let mut out = Out::new();
                self.actors[i].on_timeout(id, &mut actor, &timer, &mut out);
                if is_no_op_with_timer(&actor, &out, &timer) {
                    return None;
                }
                let mut next = state.clone();
                next.timers_set[i].cancel(timer);
                if let Cow::Owned(actor) = actor {
                    next.actor_states[i] = Shared::new(actor);
                }
                self.process_commands(id, out, &mut next, &mut sent);
                Some((next, sent))
            }
            ActorModelAction::Crash(id) => {
                let i = usize::from(id);
                let mut next = state.clone();
                next.timers_set.get_mut(i)?.cancel_all();
                next.crashed[i] = true;
                Some((next, sent))
            }
            ActorModelAction::Recover(id) => {
                let i = usize::from(id);
                if !*state.crashed.get(i)? {
                    return None;
                }
                let mut out = Out::new();
                let storage = state.actor_storages[i].as_deref().cloned();
                let restarted = self.actors[i].on_start(id, &storage, &mut out);
                let mut next = state.clone();
                next.actor_states[i] = Shared::new(restarted);
                next.crashed[i] = false;
                self.process_commands(id, out, &mut next, &mut sent);
                Some((next, sent))
            }
            ActorModelAction::SelectRandom { .. } => None,
        }
    }
}

impl Model for ReplicaSetModel {
    type State = State;
    type Action = Action;

    /// Every actor started in order, as stateright's `ActorModel` starts them, with the
    /// network's rules applied to what they sent.
    fn init_states(&self) -> Vec<State> {
        let n = self.actors.len();
        let mut state = State {
            actor_states: Vec::with_capacity(n),
            network: InFlight::default(),
            timers_set: vec![Timers::default(); n],
            crashed: vec![false; n],
            actor_storages: vec![None; n],
            history: History::default(),
        };
        let mut sent = Vec::new();
        for (i, actor) in self.actors.iter().enumerate() {
            let id = Id::from(i);
            let mut out = Out::new();
            let started = actor.on_start(id, &None, &mut out);
            state.actor_states.push(Shared::new(started));
            self.process_commands(id, out, &mut state, &mut sent);
        }
        if self.settings.is_pv0() {
            self.refresh_views(&mut state);
        }
        self.settle_network(&mut state, &sent, None);
        vec![state]
    }

    /// Every step stateright's actor model offers, in its order (losses, deliveries,
    /// timers, crashes, restarts), except crashing the client: the client stands for the
    /// application's record of what was acknowledged, which must outlive any failure to
    /// be checked against.
    fn actions(&self, state: &State, actions: &mut Vec<Action>) {
        if self.settings.message_loss && self.settings.loss_steps {
            actions.extend(
                state
                    .network
                    .iter()
                    .map(|e| ActorModelAction::Drop(e.clone())),
            );
        }
        actions.extend(
            state
                .network
                .iter()
                .filter(|e| !state.crashed[usize::from(e.dst)])
                .map(|e| ActorModelAction::Deliver {
                    src: e.src,
                    dst: e.dst,
                    msg: e.msg.clone(),
                }),
        );
        let jumps_spent = state.history.clock_jumps >= self.settings.pv0.max_clock_jumps;
        let isolated = self.members(state).filter(|m| m.member.isolated).count();
        let isolation_spent = isolated >= usize::from(self.settings.pv0.max_isolated);
        for (i, timers) in state.timers_set.iter().enumerate() {
            let id = Id::from(i);
            actions.extend(
                timers
                    .iter()
                    .filter(|&timer| match timer {
                        Timer::ClockJump => !jumps_spent,
                        Timer::Isolate => !isolation_spent,
                        Timer::LeaseExpires => !self.lease_outlasts_round(state, id),
                        _ => true,
                    })
                    .map(|timer| ActorModelAction::Timeout(id, timer)),
            );
        }
        let client = self.client_index();
        let down = state.crashed.iter().filter(|&&c| c).count();
        let crashes_spent = self
            .settings
            .crash_budget
            .is_some_and(|budget| state.history.crashes >= budget);
        if down < self.settings.max_crashes && !crashes_spent {
            actions.extend(
                (0..client)
                    .filter(|&i| !state.crashed[i])
                    .map(|i| ActorModelAction::Crash(Id::from(i))),
            );
        }
        actions.extend(
            (0..state.crashed.len())
                .filter(|&i| state.crashed[i])
                .map(|i| ActorModelAction::Recover(Id::from(i))),
        );
    }

    fn next_state(&self, state: &State, action: Action) -> Option<State> {
        let crashed = match action {
            ActorModelAction::Crash(id) => Some(id),
            _ => None,
        };
        let jumped = matches!(action, ActorModelAction::Timeout(_, Timer::ClockJump));
        // The one member whose state this step can change: under protocol version 0 a
        // step also refreshes every member's view, and a step of the client changes what
        // writes in flight to members are still worth delivering.
        let moved = match &action {
            _ if self.settings.is_pv0() => None,
            ActorModelAction::Deliver { dst: id, .. }
            | ActorModelAction::Timeout(id, _)
            | ActorModelAction::Crash(id)
            | ActorModelAction::Recover(id) => Some(*id),
            ActorModelAction::Drop(_) | ActorModelAction::SelectRandom { .. } => None,
        }
        .filter(|&id| usize::from(id) != self.client_index());
        let (mut next, sent) = self.actor_step(state, action)?;
        if let Some(id) = crashed {
            self.forget_volatile(&mut next, id);
            if self.settings.crash_budget.is_some() {
                next.history.crashes += 1;
            }
        }
        self.record_rollbacks(state, &mut next);
        if self.settings.is_pv0() {
            if jumped {
                next.history.clock_jumps += 1;
            }
            self.record_elections(state, &mut next);
            self.refresh_views(&mut next);
        }
        self.settle_network(&mut next, &sent, moved);
        match crashed {
            // The member restarts in the same step (`Settings::downtime_steps`): what it
            // was sent before the crash is gone with its connections.
            Some(id) if self.settings.restarts_at_once() => {
                let (mut restarted, sent) =
                    self.actor_step(&next, ActorModelAction::Recover(id))?;
                self.settle_network(&mut restarted, &sent, Some(id));
                Some(restarted)
            }
            _ => Some(next),
        }
    }

    fn properties(&self) -> Vec<stateright::Property<Self>> {
        super::stateright_properties()
    }

    /// The model's bound: no member's term beyond `max_term`; under protocol version 0, no
    /// more than `max_elections` elections held (bounds live here, outside the protocol, as
    /// in MongoDB's TLA+ model-checking wrappers).
    fn within_boundary(&self, state: &State) -> bool {
        if self.settings.is_pv0() {
            return state.history.elections <= self.settings.pv0.max_elections;
        }
        self.members(state)
            .all(|m| m.member.term <= self.settings.max_term)
    }

    fn format_action(&self, action: &Action) -> String {
        narrate::label(self, action)
    }

    fn format_step(&self, last_state: &State, action: Action) -> Option<String> {
        let next = self.next_state(last_state, action.clone())?;
        Some(format!(
            "{}\n\n{}",
            narrate::describe(self, last_state, &action, &next),
            narrate::state_table(self, &next).join("\n")
        ))
    }

    fn as_svg(&self, path: Path<State, Action>) -> Option<String> {
        Some(diagram::svg(self, path))
    }
}

impl Level for ReplicaSetModel {
    const NAME: &'static str = "actor";

    fn build(settings: &Settings, _spec: &LevelSpec) -> Self {
        ReplicaSetModel::new(settings.clone())
    }

    fn scenario(settings: &Settings, _spec: &LevelSpec) -> String {
        let mut parts = vec![
            format!("MongoDB {}", settings.version()),
            format!(
                "{} write{} with {}{}",
                settings.writes,
                if settings.writes == 1 { "" } else { "s" },
                settings.write_concern,
                if settings.j { ", j:true" } else { "" }
            ),
        ];
        if !settings.wc_majority_journal_default {
            parts.push("writeConcernMajorityJournalDefault false".to_string());
        }
        if settings.max_crashes > 0 {
            parts.push(format!("up to {} down at once", settings.max_crashes));
        }
        if settings.max_crashes > 0 && !settings.journal_lag {
            parts.push("every entry journaled as written".to_string());
        }
        if let Some(total) = settings.crash_budget {
            parts.push(format!(
                "at most {total} crash{} in all",
                if total == 1 { "" } else { "es" }
            ));
        }
        if settings.message_loss {
            parts.push("message loss".to_string());
        }
        if !settings.chaining_allowed {
            parts.push("no chaining".to_string());
        }
        if settings.whole_batches {
            parts.push("whole batches".to_string());
        }
        if settings.is_pv0() {
            let pv0 = &settings.pv0;
            parts.push(format!(
                "protocol version 0: up to {} elections held, {} clock jump{} in all, {} member{} cut off at once, freshness window {}",
                pv0.max_elections,
                pv0.max_clock_jumps,
                if pv0.max_clock_jumps == 1 { "" } else { "s" },
                pv0.max_isolated,
                if pv0.max_isolated == 1 { "" } else { "s" },
                pv0.freshness_window
            ));
        } else {
            parts.push(format!("terms up to {}", settings.max_term));
        }
        parts.extend(
            settings
                .variant
                .changes()
                .into_iter()
                .map(|(key, set)| format!("BUG VARIANT {key} = {set}")),
        );
        parts.join(", ")
    }

    fn mongodb_version(settings: &Settings) -> Option<String> {
        Some(settings.version().to_string())
    }

    const PROPERTIES: &'static [Property<Self>] = properties::PROPERTIES;

    fn representative(state: &State) -> State {
        symmetry::canonical(state.clone())
    }

    fn canonical(state: State) -> State {
        symmetry::canonical(state)
    }

    /// Not stateright's `Hash` for actor states, which merges states whose timers differ
    /// only in which member holds them (`hash_state`).
    fn fingerprint(state: &State) -> u64 {
        let mut hasher = super::hasher();
        hash_state(state, &mut hasher);
        hasher.finish()
    }

    fn describe(&self, before: &State, action: &Action, after: &State) -> String {
        narrate::describe(self, before, action, after)
    }

    fn state_lines(&self, state: &State) -> Vec<String> {
        narrate::state_table(self, state)
    }

    fn rows(&self, state: &State) -> StateRows {
        StateRows {
            members: self.members(state).map(|m| member_row(&m)).collect(),
            client: Some(ClientRow {
                acknowledged: self
                    .client(state)
                    .acked
                    .iter()
                    .enumerate()
                    .map(|(k, o)| format!("{} at {o}", WriteId(k as u8)))
                    .collect(),
            }),
            committed: None,
        }
    }

    fn story(&self, property: &Property<Self>, trace: &Trace<Self>) -> String {
        narrate::story(self, property, &trace.states, &trace.actions)
    }

    fn view(&self, state: &State) -> StateView {
        let optime = |o: OpTime| OpTimeView {
            term: o.term.0.into(),
            ts: o.ts.into(),
        };
        let w = match self.settings.write_concern {
            WriteConcern::Majority => "majority".to_string(),
            WriteConcern::Nodes(n) => n.to_string(),
        };
        StateView {
            members: self
                .members(state)
                .map(|m| {
                    let config = self.settings.replset.member(m.id);
                    let entries = m.oplog().entries();
                    view::MemberView {
                        name: m.id.to_string(),
                        id: m.id.0.into(),
                        priority: config.priority,
                        votes: config.votes.into(),
                        arbiter: config.arbiter,
                        state: m.member_state().to_string(),
                        up: !m.down,
                        term: m.member.term.0.into(),
                        oplog: entries
                            .iter()
                            .map(|e| EntryView {
                                term: e.optime.term.0.into(),
                                ts: e.optime.ts.into(),
                                write: e.write().map_or(0, |w| i64::from(w.0) + 1),
                            })
                            .collect(),
                        last: optime(entries.last().map_or(OpTime::NULL, |e| e.optime)),
                        commit_point: Some(optime(m.member.commit_point)),
                        last_vote: m.member.last_vote.map(|v| VoteView {
                            term: v.term.0.into(),
                            candidate: v.candidate.to_string(),
                        }),
                    }
                })
                .collect(),
            acknowledged: self
                .client(state)
                .acked
                .iter()
                .enumerate()
                .map(|(k, e)| AckView {
                    write: k as i64 + 1,
                    term: e.optime.term.0.into(),
                    ts: e.optime.ts.into(),
                    w: w.clone(),
                    j: self.settings.j,
                })
                .collect(),
        }
    }
}

fn member_row(m: &MemberView<'_>) -> MemberRow {
    MemberRow {
        member: m.id.to_string(),
        state: m.member_state().to_string(),
        term: m.member.term.0,
        oplog: m.oplog().entries().iter().map(|e| e.to_string()).collect(),
        vote: Some(match m.member.last_vote {
            Some(v) => format!("{} in term {}", v.candidate, v.term),
            None => "none".to_string(),
        }),
        commit_point: Some(m.member.commit_point.to_string()),
        rolled_back: Some(
            m.member
                .rollback_file
                .iter()
                .map(|e| e.to_string())
                .collect(),
        ),
    }
}
