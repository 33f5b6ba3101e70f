//! The checked model: stateright's `ActorModel` over the members and the client, wrapped so
//! that the network, the bounds, the properties and the labels are the replica set's own.
//!
//! The network may lose, delay and reorder every message, with three rules that keep it
//! finite and free of junk:
//! - it holds each distinct message at most once: an identical copy sent while one is in
//!   flight is absorbed (the receiver's handlers are idempotent, so a second copy adds only
//!   an unbounded count);
//! - a message that replaces older ones on its connection removes them
//!   (`network::replaces`: a fetcher's new `getMore` to a member, the primary's newer
//!   heartbeat);
//! - a message that can never again change its receiver is removed, and so is every
//!   message to a member that is down, whose connections are gone (`network::obsolete`).

use super::client::Client;
use super::member::Member;
use super::messages::{Msg, Timer};
use super::narrate;
use super::network;
use super::node::{Node, NodeState};
use super::properties;
use super::replset::Settings;
use super::types::{MemberId, MemberState, Oplog};
use stateright::actor::{
    Actor, ActorModel, ActorModelAction, ActorModelState, Id, LossyNetwork, Network, Out,
};
use stateright::{Model, Path, Property};
use std::sync::Arc;

/// A state of the whole system. The history stateright lets a model keep beside the actors
/// counts the crashes so far, when the model bounds them (`Settings::crash_budget`).
pub type State = ActorModelState<Node, u8>;
/// One step: a message delivered or lost, a timer firing, a crash or a restart.
pub type Action = ActorModelAction<Msg, Timer, ()>;

/// The replica set, its client and its network as one stateright model.
#[derive(Clone)]
pub struct ReplicaSetModel {
    settings: Arc<Settings>,
    actors: ActorModel<Node, (), u8>,
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
        let actors = ActorModel::new((), 0)
            .actors(members)
            .actor(Node::Client {
                settings: Arc::clone(&settings),
            })
            .init_network(Network::new_unordered_nonduplicating([]))
            .lossy_network(if settings.message_loss {
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

    /// Applies the network's rules (`network`) after a step from `prev` to `state`: absorbs
    /// duplicates, lets newly sent messages replace what they supersede, and removes
    /// messages that can no longer do anything.
    fn settle_network(&self, prev: Option<&State>, mut state: State) -> State {
        let before = match prev.map(|p| &p.network) {
            Some(Network::UnorderedNonDuplicating(before)) => Some(before.clone()),
            _ => None,
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
            .map(|s| self.settle_network(None, s))
            .collect()
    }

    /// Every step stateright's actor model offers, except crashing the client: the client
    /// stands for the application's record of what was acknowledged, which must outlive
    /// any failure to be checked against.
    fn actions(&self, state: &State, actions: &mut Vec<Action>) {
        self.actors.actions(state, actions);
        let client = self.client_index();
        let budget_spent = self
            .settings
            .crash_budget
            .is_some_and(|budget| state.history >= budget);
        actions.retain(|a| match a {
            ActorModelAction::Crash(id) => usize::from(*id) != client && !budget_spent,
            _ => true,
        });
    }

    fn next_state(&self, state: &State, action: Action) -> Option<State> {
        let crashed = match action {
            ActorModelAction::Crash(id) => Some(id),
            _ => None,
        };
        let mut next = self.actors.next_state(state, action)?;
        if let Some(id) = crashed {
            self.forget_volatile(&mut next, id);
            if self.settings.crash_budget.is_some() {
                next.history += 1;
            }
        }
        Some(self.settle_network(Some(state), next))
    }

    fn properties(&self) -> Vec<Property<Self>> {
        properties::stateright_properties()
    }

    /// The model's bound: no member's term beyond `max_term` (bounds live here, outside
    /// the protocol, as in MongoDB's TLA+ model-checking wrappers).
    fn within_boundary(&self, state: &State) -> bool {
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
