//! The actor level: stateright's `ActorModel` over the members and the client (the
//! protocol's actors, `protocol::node`), wrapped so that the network, the bounds, the
//! properties and the labels are the replica set's own. This folder holds everything the
//! level adds to the protocol: the network's rules (`network`), the properties
//! (`properties`), the narration of steps (`narrate`), symmetry reduction (`symmetry`) and
//! the trace encodings (`itf`, `diagram`).
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
pub mod symmetry;

use super::{ClientRow, Level, LevelSpec, MemberRow, Property, StateRows, Trace};
use crate::protocol::client::Client;
use crate::protocol::member::{Election, Member, Role};
use crate::protocol::messages::{Msg, Timer};
use crate::protocol::node::{Node, NodeState};
use crate::protocol::pv0;
use crate::protocol::replset::Settings;
use crate::protocol::types::{MemberId, MemberState, Oplog, WriteId};
use stateright::actor::{
    Actor, ActorModel, ActorModelAction, ActorModelState, Id, LossyNetwork, Network, Out,
};
use stateright::{Model, Path};
use std::hash::Hasher;
use std::sync::Arc;

/// A state of the whole system, with the history stateright lets a model keep beside the
/// actors (`History`).
pub type State = ActorModelState<Node, History>;

/// Feeds every part of `state` to `hasher`, each actor's timers and random choices with
/// their number. stateright's own `Hash` for `ActorModelState` writes each actor's timer
/// set as its elements' hashes without their count, so that two states whose timers
/// differ only in which actor holds them hash alike; as a fingerprint, that would take
/// one state for the other and leave it unexplored (REPORT.md, "Soundness").
pub fn hash_state<H: std::hash::Hasher>(state: &State, hasher: &mut H) {
    use std::hash::Hash;
    state.actor_states.hash(hasher);
    state.history.hash(hasher);
    for timers in &state.timers_set {
        timers.iter().count().hash(hasher);
        timers.hash(hasher);
    }
    for choices in &state.random_choices {
        choices.map.len().hash(hasher);
        choices.hash(hasher);
    }
    state.network.hash(hasher);
    state.crashed.hash(hasher);
    state.actor_storages.hash(hasher);
}

/// What the model counts across a whole execution, for its bounds and ghost state: crashes
/// (when `Settings::crash_budget` bounds them), and under protocol version 0 the elections
/// held (a member standing), the elections won and the clock jumps. It names no member, so
/// symmetry reduction leaves it alone.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct History {
    pub crashes: u8,
    pub elections: u8,
    pub wins: u8,
    pub clock_jumps: u8,
}
/// One step: a message delivered or lost, a timer firing, a crash or a restart.
pub type Action = ActorModelAction<Msg, Timer, ()>;

/// The replica set, its client and its network as one stateright model.
#[derive(Clone)]
pub struct ReplicaSetModel {
    settings: Arc<Settings>,
    actors: ActorModel<Node, (), History>,
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
        let actors = ActorModel::new((), History::default())
            .actors(members)
            .actor(Node::Client {
                settings: Arc::clone(&settings),
            })
            .init_network(Network::new_unordered_nonduplicating([]))
            .lossy_network(if settings.message_loss && settings.loss_steps {
                LossyNetwork::Yes
            } else {
                LossyNetwork::No
            })
            .max_crashes(settings.max_crashes);
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
        let restarted =
            self.actors.actors[i].on_start(id, &state.actor_storages[i], &mut Out::new());
        state.actor_states[i] = Arc::new(restarted);
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
            next.actor_states[i] = Arc::new(NodeState::Member(member));
        }
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
                state.actor_states[i] = Arc::new(NodeState::Member(m));
            }
        }
    }

    /// Applies the network's rules (`network`) after a step from `prev` to `state`, taken
    /// by actor `actor` (the only one that can have sent anything): absorbs duplicates, lets
    /// newly sent messages replace what they supersede, and removes messages that can no
    /// longer do anything.
    fn settle_network(&self, prev: Option<(&State, Id)>, mut state: State) -> State {
        let (before, actor) = match prev {
            Some((p, actor)) => match &p.network {
                Network::UnorderedNonDuplicating(before) => (Some(before), Some(actor)),
                _ => (None, None),
            },
            None => (None, None),
        };
        let obsolete: Vec<_> = state
            .network
            .iter_deliverable()
            .filter(|e| network::obsolete(self, &state, e))
            .map(|e| e.to_cloned_msg())
            .collect();
        let Network::UnorderedNonDuplicating(in_flight) = &mut state.network else {
            unreachable!("the model uses an unordered, non-duplicating network")
        };
        for e in &obsolete {
            in_flight.remove(e);
        }
        let sent: Vec<_> = in_flight
            .keys()
            .filter(|e| actor.is_none_or(|a| e.src == a))
            .filter(|e| before.as_ref().is_none_or(|b| !b.contains_key(*e)))
            .cloned()
            .collect();
        for new in &sent {
            in_flight.retain(|old, _| old == new || !network::replaces(new, old));
        }
        for count in in_flight.values_mut() {
            *count = 1;
        }
        state
    }
}

impl Model for ReplicaSetModel {
    type State = State;
    type Action = Action;

    fn init_states(&self) -> Vec<State> {
        self.actors
            .init_states()
            .into_iter()
            .map(|mut s| {
                if self.settings.is_pv0() {
                    self.refresh_views(&mut s);
                }
                self.settle_network(None, s)
            })
            .collect()
    }

    /// Every step stateright's actor model offers, except crashing the client: the client
    /// stands for the application's record of what was acknowledged, which must outlive
    /// any failure to be checked against.
    fn actions(&self, state: &State, actions: &mut Vec<Action>) {
        self.actors.actions(state, actions);
        let client = self.client_index();
        let crashes_spent = self
            .settings
            .crash_budget
            .is_some_and(|budget| state.history.crashes >= budget);
        let jumps_spent = state.history.clock_jumps >= self.settings.pv0.max_clock_jumps;
        let isolated = self.members(state).filter(|m| m.member.isolated).count();
        let isolation_spent = isolated >= usize::from(self.settings.pv0.max_isolated);
        actions.retain(|a| match a {
            ActorModelAction::Crash(id) => usize::from(*id) != client && !crashes_spent,
            ActorModelAction::Timeout(_, Timer::ClockJump) => !jumps_spent,
            ActorModelAction::Timeout(_, Timer::Isolate) => !isolation_spent,
            ActorModelAction::Timeout(id, Timer::LeaseExpires) => {
                !self.lease_outlasts_round(state, *id)
            }
            _ => true,
        });
    }

    fn next_state(&self, state: &State, action: Action) -> Option<State> {
        let crashed = match action {
            ActorModelAction::Crash(id) => Some(id),
            _ => None,
        };
        let actor = match &action {
            ActorModelAction::Deliver { dst, .. } => *dst,
            ActorModelAction::Drop(envelope) => envelope.dst,
            ActorModelAction::Timeout(id, _)
            | ActorModelAction::Crash(id)
            | ActorModelAction::Recover(id) => *id,
            ActorModelAction::SelectRandom { actor, .. } => *actor,
        };
        let jumped = matches!(action, ActorModelAction::Timeout(_, Timer::ClockJump));
        let mut next = self.actors.next_state(state, action)?;
        if let Some(id) = crashed {
            self.forget_volatile(&mut next, id);
            if self.settings.crash_budget.is_some() {
                next.history.crashes += 1;
            }
        }
        if self.settings.is_pv0() {
            if jumped {
                next.history.clock_jumps += 1;
            }
            self.record_elections(state, &mut next);
            self.refresh_views(&mut next);
        }
        Some(self.settle_network(Some((state, actor)), next))
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
        self.actors.as_svg(path)
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
        symmetry::representative(state)
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
