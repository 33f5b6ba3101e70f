//! Symmetry reduction: members configured the same way are interchangeable, so a state
//! and the state with two such members' roles swapped (their states, storage, timers,
//! crash flags, every message to and from them, and every mention of them in others'
//! states) are checked once.
//!
//! The properties treat members by configuration only, so every property has the same
//! value on both. `representative` maps every state of a symmetry class to one canonical
//! state: within each class of members it orders the members by their state, and breaks
//! ties between members whose local states are equal (but whose messages may differ) by
//! trying each order of the tied members and keeping the one with the smallest hash. The
//! result depends on the class of the state only, so unique-state counts do not depend
//! on the order of exploration.
//!
//! Trying every order costs the product of the factorials of the tied runs' lengths: 13
//! tied members are six billion orders. Beyond `MAX_TIE_ORDERS` the members are kept in
//! their sorted order, ties in id order: still a state of the same class, so the reduction
//! stays sound, but two states of a class may then both be explored (every bundled model
//! is far below the cap).
//!
//! stateright honours symmetry in depth-first search only and never rewrites timers
//! (docs/stateright.md defect 3); the model's timers carry no member ids.

use super::State;
use crate::protocol::client::Client;
use crate::protocol::member::{Durable, Election, LastVote, Member, Reign, Role};
use crate::protocol::messages::Msg;
use crate::protocol::node::NodeState;
use crate::protocol::types::{Entry, MemberId, MemberSet, Op, Oplog};
use itertools::Itertools;
use stateright::actor::Id;
use stateright::util::DenseNatMap;
use stateright::{Rewrite, RewritePlan};
use std::hash::{Hash, Hasher};

/// A renaming of actor ids: old id -> new id.
type Plan = RewritePlan<Id, DenseNatMap<Id, Id>>;

/// The plan that renames actor `i` to `to[i]`.
fn renaming(to: Vec<Id>) -> Plan {
    RewritePlan::new(DenseNatMap::from(to), |&old, to: &DenseNatMap<Id, Id>| {
        *to.get(old).expect("every actor is renamed")
    })
}

/// The most orders of tied members `representative` tries: those of six tied members.
const MAX_TIE_ORDERS: usize = 720;

/// The canonical member of `state`'s symmetry class.
pub fn representative(state: &State) -> State {
    canonical(state.clone())
}

/// The canonical member of `state`'s symmetry class, taking `state`: handed back as it is
/// when it is already canonical.
pub fn canonical(state: State) -> State {
    let members = state.actor_states.len() - 1;
    // Sort keys must not change when members are renamed, so they leave out every member
    // id (`blind`); members they cannot tell apart are ordered by the tie-break below.
    let anonymous = anonymizer(members);
    // First, each member in brief: its own state's main fields, its durable state's, its
    // crash flag and its timers. Enough to tell most members apart without copying
    // anything.
    let brief = |i: usize| {
        let NodeState::Member(m) = &*state.actor_states[i] else {
            unreachable!("members come first")
        };
        let timers = state.timers_set[i];
        let storage = state.actor_storages[i].as_ref().map(|d| {
            (
                d.term,
                d.last_vote.map(|v| v.term),
                d.oplog.last_optime(),
                d.oplog.len(),
                d.rollback_file.len(),
                d.won,
            )
        });
        let member = (
            m.term,
            m.member_state(),
            m.last_vote.map(|v| v.term),
            m.oplog.last_optime(),
            m.oplog.len(),
            m.journaled,
            m.commit_point,
            m.rollback_file.len(),
            (m.clock, m.lease.is_some(), m.pledge.is_some(), m.isolated),
            m.won,
        );
        (m.class, member, state.crashed[i], storage, timers)
    };
    let brief: Vec<_> = (0..members).map(brief).collect();
    // Members that tie in brief are told apart by their whole state (`blind`), then by
    // their traffic: what they have in flight and what is in flight to them, as sorted
    // fingerprints of the messages with every member id erased. Both are computed only
    // when needed; together they spare most tie-breaks.
    let ties = brief.iter().sorted().tuple_windows().any(|(a, b)| a == b);
    let mut whole: Vec<Option<Member>> = vec![None; members];
    let mut traffic: Vec<Vec<(bool, u64)>> = vec![Vec::new(); members];
    if ties {
        for (i, w) in whole.iter_mut().enumerate() {
            if let NodeState::Member(m) = &*state.actor_states[i] {
                *w = Some(blind(m, &anonymous));
            }
        }
        for envelope in state.network.iter() {
            let fingerprint = hash_of(&envelope.msg.rewrite(&anonymous));
            let (src, dst) = (usize::from(envelope.src), usize::from(envelope.dst));
            if src < members {
                traffic[src].push((false, fingerprint));
            }
            if dst < members {
                traffic[dst].push((true, fingerprint));
            }
        }
        for t in &mut traffic {
            t.sort_unstable();
        }
    }
    let keys: Vec<_> = (0..members)
        .map(|i| (&brief[i], &whole[i], &traffic[i]))
        .collect();
    // Members sorted by key; each class keeps the set of ids it had.
    let order: Vec<usize> = (0..members)
        .sorted_by(|&a, &b| keys[a].cmp(&keys[b]))
        .collect();
    let slots: Vec<usize> = (0..members).sorted_by_key(|&i| (brief[i].0, i)).collect();
    // Runs of members whose keys tie: any order among them sorts as well.
    let runs: Vec<Vec<usize>> = (0..members)
        .chunk_by(|&k| &keys[order[k]])
        .into_iter()
        .map(|(_, run)| run.collect::<Vec<_>>())
        .filter(|run| run.len() > 1)
        .collect();
    let plan_for = |order: &[usize]| {
        let mut map = vec![Id::from(0); members + 1];
        for (&old, &slot) in order.iter().zip(&slots) {
            map[old] = Id::from(slot);
        }
        map[members] = Id::from(members);
        renaming(map)
    };
    if runs.is_empty() {
        // One way to sort: no hashing needed, and nothing to do if already sorted.
        if order.iter().zip(&slots).all(|(a, b)| a == b) {
            return state;
        }
        return apply(&state, &plan_for(&order));
    }
    let orders = runs.iter().try_fold(1usize, |n, run| {
        (1..=run.len())
            .try_fold(n, |n, k| n.checked_mul(k))
            .filter(|&n| n <= MAX_TIE_ORDERS)
    });
    if orders.is_none() {
        // Too many orders to try: the sorted one, ties in id order.
        return apply(&state, &plan_for(&order));
    }
    let mut best: Option<(u64, State)> = None;
    let choices = runs
        .iter()
        .map(|run| run.iter().copied().permutations(run.len()))
        .multi_cartesian_product();
    let mut try_order = |order: &[usize]| {
        let candidate = apply(&state, &plan_for(order));
        let mut h = crate::level::hasher();
        super::hash_state(&candidate, &mut h);
        let hash = h.finish();
        if best.as_ref().is_none_or(|(h, _)| hash < *h) {
            best = Some((hash, candidate));
        }
    };
    for choice in choices {
        let mut permuted = order.clone();
        for (run, perm) in runs.iter().zip(choice) {
            for (&pos, &k) in run.iter().zip(&perm) {
                permuted[pos] = order[k];
            }
        }
        try_order(&permuted);
    }
    best.expect("at least one order").1
}

/// A plan that renames every member to `n0`: what is left of a value is what does not
/// depend on who is who.
fn anonymizer(members: usize) -> Plan {
    let map = vec![Id::from(0); members + 1];
    renaming(map)
}

/// A member's state with every member id erased; a primary's progress and a pv0 member's
/// view become the sorted lists of what they hold.
fn blind(member: &Member, anonymous: &Plan) -> Member {
    let mut blind = member.rewrite(anonymous);
    if let (Role::Primary { progress, .. }, Role::Primary { progress: own, .. }) =
        (&mut blind.role, &member.role)
    {
        *progress = own.iter().copied().sorted().collect();
    }
    blind.view = member.view.iter().copied().sorted().collect();
    blind
}

/// A vector indexed by member, reindexed: `moved[new id] = v[old id]`.
fn reindex_members<T: Clone, S>(v: &[T], plan: &RewritePlan<Id, S>) -> Vec<T> {
    let mut moved = v.to_vec();
    for (old, x) in v.iter().enumerate() {
        let new = MemberId(u8::try_from(old).expect("member ids fit in u8"));
        moved[new.rewrite(plan).index()] = x.clone();
    }
    moved
}

fn hash_of<T: Hash>(value: &T) -> u64 {
    let mut h = crate::level::hasher();
    value.hash(&mut h);
    h.finish()
}

/// `state` with every actor id renamed by `plan`.
fn apply(state: &State, plan: &Plan) -> State {
    State {
        actor_states: plan.reindex(&state.actor_states),
        network: state.network.rewrite(plan),
        timers_set: plan.reindex(&state.timers_set),
        crashed: plan.reindex(&state.crashed),
        history: state.history,
        actor_storages: plan.reindex(&state.actor_storages),
    }
}

impl Rewrite<Id> for MemberId {
    fn rewrite<S>(&self, plan: &RewritePlan<Id, S>) -> Self {
        let id = plan.rewrite(&Id::from(self.index()));
        MemberId(u8::try_from(usize::from(id)).expect("member ids fit in u8"))
    }
}

impl Rewrite<Id> for MemberSet {
    fn rewrite<S>(&self, plan: &RewritePlan<Id, S>) -> Self {
        let mut set = MemberSet::default();
        for m in self.iter() {
            set.insert(m.rewrite(plan));
        }
        set
    }
}

impl Rewrite<Id> for Entry {
    fn rewrite<S>(&self, plan: &RewritePlan<Id, S>) -> Self {
        let op = match self.op {
            Op::NewPrimary(m) => Op::NewPrimary(m.rewrite(plan)),
            Op::Write(w) => Op::Write(w),
            Op::Initiate => Op::Initiate,
        };
        Entry { op, ..*self }
    }
}

impl Rewrite<Id> for Oplog {
    fn rewrite<S>(&self, plan: &RewritePlan<Id, S>) -> Self {
        let mut log = Oplog::new();
        for e in self.entries() {
            log.push(e.rewrite(plan));
        }
        log
    }
}

impl Rewrite<Id> for LastVote {
    fn rewrite<S>(&self, plan: &RewritePlan<Id, S>) -> Self {
        LastVote {
            term: self.term,
            candidate: self.candidate.rewrite(plan),
        }
    }
}

impl Rewrite<Id> for Election {
    fn rewrite<S>(&self, plan: &RewritePlan<Id, S>) -> Self {
        match *self {
            Election::Votes(votes) => Election::Votes(votes.rewrite(plan)),
            Election::Freshness { targets, replied } => Election::Freshness {
                targets: targets.rewrite(plan),
                replied: replied.rewrite(plan),
            },
            Election::Elect {
                targets,
                replied,
                tally,
                rivals,
            } => Election::Elect {
                targets: targets.rewrite(plan),
                replied: replied.rewrite(plan),
                tally,
                rivals: rivals.rewrite(plan),
            },
        }
    }
}

impl Rewrite<Id> for Role {
    fn rewrite<S>(&self, plan: &RewritePlan<Id, S>) -> Self {
        match self {
            Role::Secondary { election } => Role::Secondary {
                election: election.map(|e| e.rewrite(plan)),
            },
            Role::Primary {
                progress,
                waiter,
                election_time,
                reign,
            } => Role::Primary {
                progress: reindex_members(progress, plan),
                waiter: *waiter,
                election_time: *election_time,
                reign: Reign {
                    rivals: reign.rivals.rewrite(plan),
                    ..*reign
                },
            },
            Role::Rollback { min_valid } => Role::Rollback {
                min_valid: *min_valid,
            },
            Role::Recovering { min_valid } => Role::Recovering {
                min_valid: *min_valid,
            },
            Role::Arbiter { primary } => Role::Arbiter {
                primary: primary.map(|p| p.rewrite(plan)),
            },
        }
    }
}

fn rewrite_entries<S>(entries: &[Entry], plan: &RewritePlan<Id, S>) -> Vec<Entry> {
    entries.iter().map(|e| e.rewrite(plan)).collect()
}

impl Rewrite<Id> for Member {
    fn rewrite<S>(&self, plan: &RewritePlan<Id, S>) -> Self {
        Member {
            class: self.class,
            term: self.term,
            last_vote: self.last_vote.rewrite(plan),
            oplog: self.oplog.rewrite(plan),
            journaled: self.journaled,
            commit_point: self.commit_point,
            role: self.role.rewrite(plan),
            rollback_file: rewrite_entries(&self.rollback_file, plan),
            clock: self.clock,
            lease: self.lease.map(|l| l.rewrite(plan)),
            pledge: self.pledge.map(|l| l.rewrite(plan)),
            isolated: self.isolated,
            view: if self.view.is_empty() {
                Vec::new()
            } else {
                reindex_members(&self.view, plan)
            },
            won: self.won,
        }
    }
}

impl Rewrite<Id> for Durable {
    fn rewrite<S>(&self, plan: &RewritePlan<Id, S>) -> Self {
        Durable {
            term: self.term,
            last_vote: self.last_vote.rewrite(plan),
            oplog: self.oplog.rewrite(plan),
            rollback_file: rewrite_entries(&self.rollback_file, plan),
            pledge: self.pledge.map(|l| l.rewrite(plan)),
            won: self.won,
        }
    }
}

impl Rewrite<Id> for Client {
    fn rewrite<S>(&self, plan: &RewritePlan<Id, S>) -> Self {
        Client {
            primary: self.primary.map(|(m, t)| (m.rewrite(plan), t)),
            acked: rewrite_entries(&self.acked, plan),
        }
    }
}

impl Rewrite<Id> for NodeState {
    fn rewrite<S>(&self, plan: &RewritePlan<Id, S>) -> Self {
        match self {
            NodeState::Member(m) => NodeState::Member(m.rewrite(plan)),
            NodeState::Client(c) => NodeState::Client(c.rewrite(plan)),
        }
    }
}

impl Rewrite<Id> for Msg {
    fn rewrite<S>(&self, plan: &RewritePlan<Id, S>) -> Self {
        match self {
            Msg::Batch {
                term,
                from,
                oplog,
                commit_point,
            } => Msg::Batch {
                term: *term,
                from: *from,
                oplog: oplog.rewrite(plan),
                commit_point: *commit_point,
            },
            Msg::UpdatePosition {
                term,
                member,
                position,
            } => Msg::UpdatePosition {
                term: *term,
                member: member.rewrite(plan),
                position: *position,
            },
            Msg::WriteAck { write, entry } => Msg::WriteAck {
                write: *write,
                entry: entry.rewrite(plan),
            },
            Msg::ElectReply { ballot, rival } => Msg::ElectReply {
                ballot: *ballot,
                rival: rival.map(|r| r.rewrite(plan)),
            },
            Msg::RequestVote { .. }
            | Msg::Vote { .. }
            | Msg::Heartbeat { .. }
            | Msg::GetMore { .. }
            | Msg::Write { .. }
            | Msg::Hello { .. }
            | Msg::Fresh { .. }
            | Msg::FreshReply { .. }
            | Msg::Elect => self.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::level::actor::ReplicaSetModel;
    use crate::protocol::replset::{MemberConfig, Settings};
    use stateright::Model;

    /// Every state reached in a breadth-first walk of `settings`' model, up to `limit`.
    fn reachable(model: &ReplicaSetModel, limit: usize) -> Vec<State> {
        let mut states = model.init_states();
        let mut i = 0;
        while i < states.len() && states.len() < limit {
            for (_, next) in model.next_steps(&states[i]) {
                states.push(next);
            }
            i += 1;
        }
        states
    }

    fn permutation(ids: &[usize]) -> Plan {
        let map: Vec<Id> = ids.iter().map(|&i| Id::from(i)).collect();
        renaming(map)
    }

    #[test]
    fn renaming_interchangeable_members_keeps_the_representative() {
        let mut settings = Settings::new(vec![MemberConfig::data_bearing(); 3]);
        settings.writes = 1;
        settings.max_crashes = 1;
        let model = ReplicaSetModel::new(settings);
        let states = reachable(&model, 3000);
        let renamings = [[1, 0, 2, 3], [2, 1, 0, 3], [1, 2, 0, 3], [0, 2, 1, 3]];
        for state in &states {
            let canonical = representative(state);
            assert_eq!(representative(&canonical), canonical);
            for ids in &renamings {
                let renamed = apply(state, &permutation(ids));
                assert_eq!(representative(&renamed), canonical);
            }
        }
    }

    /// Twenty members in two classes tie in the initial state: 7! * 13! orders to try. The
    /// representative comes back at once, a renaming within the classes.
    #[test]
    fn many_tied_members_do_not_try_every_order() {
        let mut members = vec![MemberConfig::data_bearing(); 7];
        let mut non_voting = MemberConfig::data_bearing();
        non_voting.votes = 0;
        non_voting.priority = 0.0;
        members.extend(vec![non_voting; 13]);
        let model = ReplicaSetModel::new(Settings::new(members));
        let started = std::time::Instant::now();
        for state in reachable(&model, 20) {
            let canonical = representative(&state);
            for (i, m) in canonical.actor_states[..20].iter().enumerate() {
                let NodeState::Member(m) = &**m else {
                    panic!("members come first")
                };
                assert_eq!(usize::from(m.class), if i < 7 { 0 } else { 7 }, "{i}");
            }
        }
        assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
    }

    #[test]
    fn members_configured_differently_are_never_exchanged() {
        let mut settings = Settings::new(vec![
            MemberConfig::data_bearing(),
            MemberConfig::data_bearing(),
            MemberConfig::arbiter(),
        ]);
        settings.writes = 1;
        let model = ReplicaSetModel::new(settings);
        for state in reachable(&model, 3000) {
            let canonical = representative(&state);
            assert!(matches!(&*canonical.actor_states[2], NodeState::Member(m) if m.class == 2));
            assert!(matches!(&*canonical.actor_states[3], NodeState::Client(_)));
        }
    }
}
