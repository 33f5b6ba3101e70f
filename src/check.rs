//! Exploring a model: exhaustive verdicts, and the shortest counterexample for every
//! property that fails.
//!
//! The exhaustive run is stateright's depth-first checker (one 64-bit fingerprint per
//! state). stateright reports, for a violated property, whichever violating path it met
//! last (STATERIGHT.md defect 1), so the counterexample shown to the user comes from a
//! separate breadth-first search from the initial state that stops at the first state
//! violating the property: the shortest path to a violation.
//!
//! A run is `complete` only when the checker ran out of states to explore: every verdict
//! of a complete run is exhaustive within the model's bounds. stateright says nothing when
//! it stops early (defect 8), so this module never lets it stop early: it never finishes
//! on discoveries alone.

use crate::config::{Expected, Granularity, ModelSpec};
use crate::protocol::atomic::{self, AtomicModel};
use crate::protocol::model::ReplicaSetModel;
use crate::protocol::properties::{Kind, PropertySpec};
use crate::protocol::symmetry;
use stateright::{Checker, HasDiscoveries, Model};
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeSet, HashMap};
use std::fmt::Debug;
use std::hash::{Hash, Hasher};
use std::time::Instant;

/// A level of the model the checker explores: the actor level (`ReplicaSetModel`, members
/// exchanging messages) or the atomic level (`AtomicModel`, MongoStaticRaft's steps). It
/// says which properties it defines and how to reduce by symmetry.
pub trait Level:
    Model<
        State: Clone + Debug + Hash + Eq + Send + Sync + 'static,
        Action: Clone + Debug + PartialEq + Send + Sync + 'static,
    > + Clone
    + Send
    + Sync
    + 'static
{
    /// `property`'s condition at this level, if it is defined here.
    fn condition(property: &PropertySpec) -> Option<fn(&Self, &Self::State) -> bool>;
    /// The canonical state of `state`'s class of renamings of identical members.
    fn representative(state: &Self::State) -> Self::State;
}

impl Level for ReplicaSetModel {
    fn condition(property: &PropertySpec) -> Option<fn(&Self, &Self::State) -> bool> {
        property.actor
    }

    fn representative(state: &Self::State) -> Self::State {
        symmetry::representative(state)
    }
}

impl Level for AtomicModel {
    fn condition(property: &PropertySpec) -> Option<fn(&Self, &Self::State) -> bool> {
        property.atomic
    }

    fn representative(state: &Self::State) -> Self::State {
        atomic::representative(state)
    }
}

/// How to run the checker.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    pub threads: usize,
    /// Explore one state per class of states that differ only by a renaming of
    /// identically configured members (`protocol::symmetry`).
    pub symmetry: bool,
    /// Stop after generating this many states (the run is then incomplete).
    pub max_states: Option<usize>,
    /// Called about five times a second while a run explores, and once when it is done
    /// (`Progress::done`).
    pub progress: Option<fn(&Progress)>,
}

/// How far a run has got, for a live progress line.
#[derive(Clone, Copy, Debug)]
pub struct Progress<'a> {
    pub model: &'a str,
    pub states: usize,
    pub unique_states: usize,
    pub max_depth: usize,
    pub seconds: f64,
    /// Exploration is over (the shortest-trace search, if any, comes next).
    pub done: bool,
}

/// What exploration found for one property.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Holds,
    Violated,
    Reachable,
    Unreachable,
    /// Exploration stopped before it could decide.
    Inconclusive,
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Outcome::Holds => "holds",
            Outcome::Violated => "violated",
            Outcome::Reachable => "reachable",
            Outcome::Unreachable => "unreachable",
            Outcome::Inconclusive => "inconclusive",
        })
    }
}

impl Outcome {
    /// Whether this outcome meets an expectation.
    pub fn meets(self, expected: Expected) -> bool {
        matches!(
            (self, expected),
            (Outcome::Holds, Expected::Holds)
                | (Outcome::Violated, Expected::Violated)
                | (Outcome::Reachable, Expected::Reachable)
                | (Outcome::Unreachable, Expected::Unreachable)
        )
    }
}

/// A path through the model: the actions taken and the states they lead to (the first
/// state is the initial state).
#[derive(Clone)]
pub struct Trace<M: Level = ReplicaSetModel> {
    pub states: Vec<M::State>,
    pub actions: Vec<M::Action>,
    /// Whether no shorter path reaches such a state (true for every trace this module
    /// builds: they come from a breadth-first search).
    pub shortest: bool,
}

impl<M: Level> Trace<M> {
    /// The Explorer's path to the last state: the initial state's index and each action's
    /// index among the actions the model offers at that step (`#/steps/...`).
    pub fn explorer_path(&self, model: &M) -> String {
        let mut parts = vec!["0".to_string()];
        for (state, action) in self.states.iter().zip(&self.actions) {
            let mut actions = Vec::new();
            model.actions(state, &mut actions);
            let i = actions
                .iter()
                .position(|a| a == action)
                .expect("a trace's action is offered by its state");
            parts.push(i.to_string());
        }
        parts.join("/")
    }
}

/// One property's result in one model.
#[derive(Clone)]
pub struct PropertyResult<M: Level = ReplicaSetModel> {
    pub property: &'static PropertySpec,
    pub expected: Expected,
    pub outcome: Outcome,
    /// The shortest counterexample (for a violation) or witness (for a reachable
    /// sometimes-property that was expected unreachable).
    pub trace: Option<Trace<M>>,
}

impl<M: Level> PropertyResult<M> {
    pub fn ok(&self) -> bool {
        self.outcome.meets(self.expected)
    }
}

/// One model's run.
pub struct ModelResult<M: Level = ReplicaSetModel> {
    pub spec: ModelSpec,
    pub model: M,
    pub complete: bool,
    pub unique_states: usize,
    pub states: usize,
    pub max_depth: usize,
    pub seconds: f64,
    pub properties: Vec<PropertyResult<M>>,
}

impl<M: Level> ModelResult<M> {
    pub fn ok(&self) -> bool {
        self.properties.iter().all(PropertyResult::ok)
    }
}

/// Runs `$body` with `$r` bound to the run's result, whatever its level.
macro_rules! on_run {
    ($run:expr, $r:ident => $body:expr) => {
        match $run {
            $crate::check::Run::Actor($r) => $body,
            $crate::check::Run::Atomic($r) => $body,
        }
    };
}
pub(crate) use on_run;

/// One model's run, at whichever level its file asks for.
pub enum Run {
    Actor(ModelResult<ReplicaSetModel>),
    Atomic(ModelResult<AtomicModel>),
}

impl Run {
    /// The actor-level result, if the model is at the actor level.
    pub fn into_actor(self) -> Option<ModelResult> {
        match self {
            Run::Actor(r) => Some(r),
            Run::Atomic(_) => None,
        }
    }

    pub fn spec(&self) -> &ModelSpec {
        on_run!(self, r => &r.spec)
    }

    pub fn ok(&self) -> bool {
        on_run!(self, r => r.ok())
    }

    pub fn complete(&self) -> bool {
        on_run!(self, r => r.complete)
    }

    pub fn unique_states(&self) -> usize {
        on_run!(self, r => r.unique_states)
    }

    /// Each property's outcome, with whether its trace (if any) is proven shortest.
    pub fn outcomes(&self) -> Vec<(&'static PropertySpec, Outcome, Option<bool>)> {
        on_run!(self, r => r
            .properties
            .iter()
            .map(|p| (p.property, p.outcome, p.trace.as_ref().map(|t| t.shortest)))
            .collect())
    }

    /// The outcome of the property named `name`, if the model's level defines it.
    pub fn outcome(&self, name: &str) -> Option<Outcome> {
        self.outcomes()
            .into_iter()
            .find(|(p, _, _)| p.name == name)
            .map(|(_, o, _)| o)
    }
}

/// Explores a model exhaustively, at the level its file names, and decides every
/// property.
pub fn check(spec: &ModelSpec, options: Options) -> Run {
    match spec.granularity {
        Granularity::Actor => Run::Actor(explore(
            ReplicaSetModel::new(spec.settings.clone()),
            spec,
            options,
        )),
        Granularity::Atomic(bounds) => Run::Atomic(explore(
            AtomicModel::new(spec.settings.clone(), bounds),
            spec,
            options,
        )),
    }
}

/// Explores `model` exhaustively and decides every property `spec` expects something of.
pub fn explore<M: Level>(model: M, spec: &ModelSpec, options: Options) -> ModelResult<M> {
    let started = Instant::now();
    let mut builder = model
        .clone()
        .checker()
        .threads(options.threads.max(1))
        .finish_when(never_finish_early());
    if options.symmetry {
        builder = builder.symmetry_fn(M::representative);
    }
    if let Some(limit) = options.max_states {
        builder = builder.target_state_count(limit);
    }
    let checker = builder.spawn_dfs();
    if let Some(report) = options.progress {
        loop {
            let done = checker.is_done();
            report(&Progress {
                model: &spec.name,
                states: checker.state_count(),
                unique_states: checker.unique_state_count(),
                max_depth: checker.max_depth(),
                seconds: started.elapsed().as_secs_f64(),
                done,
            });
            if done {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    }
    let checker = checker.join();
    let seconds = started.elapsed().as_secs_f64();
    // stateright reports a run stopped by the state limit as done (STATERIGHT.md defect
    // 8): a run that reached the limit counts as incomplete, even if it happened to
    // run out of states at the same moment.
    let cut_short = options
        .max_states
        .is_some_and(|limit| checker.state_count() >= limit);
    let complete = checker.is_done() && !cut_short;
    let discovered: BTreeSet<&str> = checker.discoveries().keys().copied().collect();

    let mut properties: Vec<PropertyResult<M>> = spec
        .expectations
        .iter()
        .map(|&(property, expected)| {
            let found = discovered.contains(property.name);
            let outcome = match (property.kind, found, complete) {
                (Kind::Always, true, _) => Outcome::Violated,
                (Kind::Sometimes, true, _) => Outcome::Reachable,
                (_, false, false) => Outcome::Inconclusive,
                (Kind::Always, false, true) => Outcome::Holds,
                (Kind::Sometimes, false, true) => Outcome::Unreachable,
            };
            PropertyResult {
                property,
                expected,
                outcome,
                trace: None,
            }
        })
        .collect();
    // One breadth-first search finds the shortest trace of every property that wants one.
    let wanted: Vec<usize> = (0..properties.len())
        .filter(|&i| {
            let p = &properties[i];
            p.outcome == Outcome::Violated
                || (p.outcome == Outcome::Reachable && p.expected == Expected::Unreachable)
        })
        .collect();
    let targets: Vec<&PropertySpec> = wanted.iter().map(|&i| properties[i].property).collect();
    let traces = shortest_traces(&model, &targets, options.symmetry, options.threads);
    for (i, trace) in wanted.into_iter().zip(traces) {
        properties[i].trace = trace;
    }

    ModelResult {
        spec: spec.clone(),
        model,
        complete,
        unique_states: checker.unique_state_count(),
        states: checker.state_count(),
        max_depth: checker.max_depth(),
        seconds,
        properties,
    }
}

/// A finishing condition no run meets: only running out of states ends a run.
fn never_finish_early() -> HasDiscoveries {
    HasDiscoveries::AllOf(["(no property has this name)"].into_iter().collect())
}

fn fingerprint<S: Hash>(state: &S) -> u64 {
    let mut h = DefaultHasher::new();
    state.hash(&mut h);
    h.finish()
}

/// Whether a state is what the search for `property` looks for: a violation of an
/// always-property, a witness of a sometimes-property.
pub fn is_target<M: Level>(model: &M, property: &PropertySpec, state: &M::State) -> bool {
    let condition = M::condition(property).expect("a model's properties are defined at its level");
    let holds = condition(model, state);
    match property.kind {
        Kind::Always => !holds,
        Kind::Sometimes => holds,
    }
}

/// Breadth-first search from the initial state for the nearest state where `property`
/// fails (or, for a sometimes-property, holds), keeping one parent link per state.
pub fn shortest_trace<M: Level>(model: &M, property: &PropertySpec) -> Option<Trace<M>> {
    shortest_traces(model, &[property], false, 1)
        .pop()
        .flatten()
}

/// One breadth-first search for the nearest target state of each property in turn (see
/// `shortest_trace`); the search goes on until every property has its trace or no state
/// is left. With `up_to_symmetry`, states are told apart up to symmetry (`symmetry`): symmetric
/// states are equally far from the initial state and every property has the same value
/// on them, so the traces are as short; the search keeps the first state it meets of each
/// class, and the trace replays the actions taken from it.
pub fn shortest_traces<M: Level>(
    model: &M,
    properties: &[&PropertySpec],
    up_to_symmetry: bool,
    threads: usize,
) -> Vec<Option<Trace<M>>> {
    let key = |state: &M::State| {
        if up_to_symmetry {
            fingerprint(&M::representative(state))
        } else {
            fingerprint(state)
        }
    };
    let mut traces: Vec<Option<Trace<M>>> = vec![None; properties.len()];
    if properties.is_empty() {
        return traces;
    }
    let Some(init) = model.init_states().into_iter().next() else {
        return traces;
    };
    // fingerprint -> (parent fingerprint, index of the action among the parent's actions)
    let mut parents: HashMap<u64, Option<(u64, usize)>> = HashMap::new();
    let init_key = key(&init);
    parents.insert(init_key, None);
    let mut frontier = vec![(init_key, init)];
    while !frontier.is_empty() {
        for (property, trace) in properties.iter().zip(traces.iter_mut()) {
            if trace.is_none() {
                if let Some((found, _)) =
                    frontier.iter().find(|(_, s)| is_target(model, property, s))
                {
                    *trace = Some(rebuild(model, &parents, *found));
                }
            }
        }
        if traces.iter().all(Option::is_some) {
            return traces;
        }
        // Successors are computed on every thread, each over a slice of the frontier, and
        // merged in frontier order: the first path to a state wins, as it would on one.
        let expand = |slice: &[(u64, M::State)]| {
            let mut found = Vec::new();
            let mut seen = std::collections::HashSet::new();
            let mut actions = Vec::new();
            for (fp, state) in slice {
                actions.clear();
                model.actions(state, &mut actions);
                for (i, action) in actions.drain(..).enumerate() {
                    let Some(successor) = model.next_state(state, action) else {
                        continue;
                    };
                    if !model.within_boundary(&successor) {
                        continue;
                    }
                    let sfp = key(&successor);
                    if !parents.contains_key(&sfp) && seen.insert(sfp) {
                        found.push((sfp, *fp, i, successor));
                    }
                }
            }
            found
        };
        let chunk = frontier.len().div_ceil(threads.max(1)).max(1);
        let expanded: Vec<_> = std::thread::scope(|scope| {
            let handles: Vec<_> = frontier
                .chunks(chunk)
                .map(|slice| scope.spawn(move || expand(slice)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a search thread finishes"))
                .collect()
        });
        let mut next = Vec::new();
        for (sfp, parent, i, successor) in expanded.into_iter().flatten() {
            if let std::collections::hash_map::Entry::Vacant(e) = parents.entry(sfp) {
                e.insert(Some((parent, i)));
                next.push((sfp, successor));
            }
        }
        frontier = next;
    }
    traces
}

/// Replays the parent links from the initial state to `target`.
fn rebuild<M: Level>(
    model: &M,
    parents: &HashMap<u64, Option<(u64, usize)>>,
    target: u64,
) -> Trace<M> {
    let mut indices = Vec::new();
    let mut fp = target;
    while let Some(Some((parent, i))) = parents.get(&fp) {
        indices.push(*i);
        fp = *parent;
    }
    indices.reverse();
    let mut state = model
        .init_states()
        .into_iter()
        .next()
        .expect("the model has an initial state");
    let mut states = vec![state.clone()];
    let mut taken = Vec::new();
    for i in indices {
        let mut actions = Vec::new();
        model.actions(&state, &mut actions);
        let action = actions.swap_remove(i);
        state = model
            .next_state(&state, action.clone())
            .expect("a recorded step replays");
        states.push(state.clone());
        taken.push(action);
    }
    Trace {
        states,
        actions: taken,
        shortest: true,
    }
}
