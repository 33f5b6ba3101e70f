//! The state of the whole system at the actor level, kept compact: the model drives the
//! protocol's stateright `Actor`s itself (`ReplicaSetModel`), with a state in place of
//! stateright's `ActorModelState`, which holds each actor's timers in a hash set, the
//! network in a hash map and each actor's storage by value, so that every successor cost
//! a dozen allocations and a hash of every set it holds (REPORT.md, "Benchmarks").
//!
//! - the members' and the client's states are shared (`Shared`: an `Arc`) between a state
//!   and its successors, as in stateright: a step copies only the state of the actor that
//!   moved, and each actor state is hashed once, when it is made, not at every
//!   fingerprint;
//! - the network is a sorted list of distinct envelopes (`InFlight`): the network holds
//!   each distinct message at most once (`network`), so a list is a set, and a sorted
//!   one hashes in order without sorting per hash; each envelope is shared and hashed
//!   once, when it is sent;
//! - each actor's timers are a bit set (`Timers`);
//! - each actor's durable storage is shared (`Shared`) too: it changes far less often
//!   than the state.
//!
//! The fields keep stateright's names, and the steps stateright's semantics
//! (`ReplicaSetModel::next_state`): the unique-state count of every model is the same as
//! with stateright's `ActorModel` (pinned in tests/reliability.rs).

use super::History;
use crate::protocol::member::Durable;
use crate::protocol::messages::{Msg, Timer};
use crate::protocol::node::NodeState;
use stateright::actor::{Envelope, Id};
use stateright::{Rewrite, RewritePlan};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

/// A state of the whole system: the actors (members, then the client), the messages in
/// flight, the timers set, which actors are down, the durable storage, and the history
/// the model keeps beside the actors.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct State {
    pub actor_states: Vec<Shared<NodeState>>,
    pub network: InFlight,
    pub timers_set: Vec<Timers>,
    pub crashed: Vec<bool>,
    pub actor_storages: Vec<Option<Shared<Durable>>>,
    pub history: History,
}

/// A value shared between a state and its successors, with its hash computed once, when
/// it is made: a state's fingerprint hashes the 64-bit hashes of its actors' states, not
/// their contents (REPORT.md, "Soundness": what this adds to the collision probability).
pub struct Shared<T>(Arc<(T, u64)>);

impl<T: Hash> Shared<T> {
    pub fn new(value: T) -> Self {
        let mut hasher = crate::level::hasher();
        value.hash(&mut hasher);
        let hash = hasher.finish();
        Shared(Arc::new((value, hash)))
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(Arc::clone(&self.0))
    }
}

impl<T> Deref for Shared<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0 .0
    }
}

impl<T> Hash for Shared<T> {
    fn hash<H: Hasher>(&self, hasher: &mut H) {
        hasher.write_u64(self.0 .1);
    }
}

impl<T: PartialEq> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || (self.0 .1 == other.0 .1 && self.0 .0 == other.0 .0)
    }
}

impl<T: Eq> Eq for Shared<T> {}

impl<T: fmt::Debug> fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0 .0.fmt(f)
    }
}

impl<T: serde::Serialize> serde::Serialize for Shared<T> {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        self.0 .0.serialize(ser)
    }
}

impl<T: Rewrite<Id> + Hash> Rewrite<Id> for Shared<T> {
    fn rewrite<S>(&self, plan: &RewritePlan<Id, S>) -> Self {
        Shared::new(self.0 .0.rewrite(plan))
    }
}

/// The messages in flight: each distinct envelope once, in order, each shared between a
/// state and its successors and hashed once, when it is sent (`Shared`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, serde::Serialize)]
pub struct InFlight(Vec<Shared<Envelope<Msg>>>);

impl InFlight {
    /// Every envelope in flight, in order (each may be delivered).
    pub fn iter_deliverable(&self) -> impl Iterator<Item = Envelope<&Msg>> + '_ {
        self.0.iter().map(|e| Envelope {
            src: e.src,
            dst: e.dst,
            msg: &e.msg,
        })
    }

    /// Every envelope in flight, in order.
    pub fn iter(&self) -> impl Iterator<Item = &Envelope<Msg>> + '_ {
        self.0.iter().map(|e| &**e)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn position(&self, envelope: &Envelope<Msg>) -> Result<usize, usize> {
        self.0.binary_search_by(|e| (**e).cmp(envelope))
    }

    pub fn contains(&self, envelope: &Envelope<Msg>) -> bool {
        self.position(envelope).is_ok()
    }

    /// Puts `envelope` in flight and hands it back shared; `None` if an identical one
    /// already was (it is absorbed).
    pub fn insert(&mut self, envelope: Envelope<Msg>) -> Option<Shared<Envelope<Msg>>> {
        match self.position(&envelope) {
            Ok(_) => None,
            Err(at) => {
                let shared = Shared::new(envelope);
                self.0.insert(at, shared.clone());
                Some(shared)
            }
        }
    }

    /// Takes `envelope` off the network (delivered or lost); false if it was not there.
    pub fn remove(&mut self, envelope: &Envelope<Msg>) -> bool {
        match self.position(envelope) {
            Ok(at) => {
                self.0.remove(at);
                true
            }
            Err(_) => false,
        }
    }

    /// Keeps the envelopes for which `keep` holds.
    pub fn retain(&mut self, mut keep: impl FnMut(&Envelope<Msg>) -> bool) {
        self.0.retain(|e| keep(e));
    }

    /// The network with every actor id renamed by `plan` (symmetry).
    pub fn rewrite<S>(&self, plan: &RewritePlan<Id, S>) -> InFlight {
        self.iter()
            .map(|e| Envelope {
                src: plan.rewrite(&e.src),
                dst: plan.rewrite(&e.dst),
                msg: e.msg.rewrite(plan),
            })
            .collect()
    }
}

impl FromIterator<Envelope<Msg>> for InFlight {
    fn from_iter<I: IntoIterator<Item = Envelope<Msg>>>(envelopes: I) -> Self {
        let mut all: Vec<_> = envelopes.into_iter().collect();
        all.sort_unstable();
        all.dedup();
        InFlight(all.into_iter().map(Shared::new).collect())
    }
}

/// The timers an actor has set, as a bit set over `Timer::ALL`.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timers(u16);

impl Timers {
    fn bit(timer: Timer) -> u16 {
        1 << (timer as u16)
    }

    pub fn set(&mut self, timer: Timer) {
        self.0 |= Self::bit(timer);
    }

    pub fn cancel(&mut self, timer: Timer) {
        self.0 &= !Self::bit(timer);
    }

    pub fn cancel_all(&mut self) {
        self.0 = 0;
    }

    pub fn contains(&self, timer: Timer) -> bool {
        self.0 & Self::bit(timer) != 0
    }

    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }

    /// The timers set, in `Timer`'s order.
    pub fn iter(self) -> impl Iterator<Item = Timer> {
        Timer::ALL.into_iter().filter(move |&t| self.contains(t))
    }
}

impl fmt::Debug for Timers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl serde::Serialize for Timers {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        ser.collect_seq(self.iter())
    }
}

/// Timers name no member: renaming members leaves them as they are.
impl Rewrite<Id> for Timers {
    fn rewrite<S>(&self, _plan: &RewritePlan<Id, S>) -> Self {
        *self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timers_hold_each_timer_once_in_order() {
        let mut timers = Timers::default();
        timers.set(Timer::JournalFlush);
        timers.set(Timer::Election);
        timers.set(Timer::JournalFlush);
        assert_eq!(
            timers.iter().collect::<Vec<_>>(),
            [Timer::Election, Timer::JournalFlush]
        );
        timers.cancel(Timer::Election);
        assert!(!timers.contains(Timer::Election));
        timers.cancel_all();
        assert!(timers.is_empty());
        assert_eq!(Timer::ALL.len(), 9, "every timer has a bit");
        for (bit, timer) in Timer::ALL.into_iter().enumerate() {
            assert_eq!(timer as usize, bit);
        }
    }

    #[test]
    fn the_network_is_a_sorted_set() {
        let envelope = |src: usize, dst: usize| Envelope {
            src: Id::from(src),
            dst: Id::from(dst),
            msg: Msg::Elect,
        };
        let mut network = InFlight::default();
        assert!(network.insert(envelope(1, 0)).is_some());
        assert!(network.insert(envelope(0, 1)).is_some());
        assert!(
            network.insert(envelope(1, 0)).is_none(),
            "an identical copy is absorbed"
        );
        assert_eq!(network.len(), 2);
        assert_eq!(network.iter().next(), Some(&envelope(0, 1)));
        assert!(network.remove(&envelope(0, 1)));
        assert!(!network.remove(&envelope(0, 1)));
        assert!(network.contains(&envelope(1, 0)));
    }
}
