//! Exploring a model: exhaustive verdicts, and the shortest counterexample for every
//! property that fails.
//!
//! The exhaustive run is replcheck's own search (`search`: depth-first on every thread,
//! one 64-bit fingerprint per state, and an exact account of why it stopped). It reports
//! whether each property was hit, not how; the counterexample shown to the user comes
//! from a separate breadth-first search from the initial state that stops at the first
//! state violating the property: the shortest path to a violation.
//!
//! A run is `complete` only when the search ran out of states to explore: every verdict of
//! a complete run is exhaustive within the model's bounds. A limit that cut it short makes
//! what it had not decided `inconclusive`.
//!
//! For embedders, [`check`] runs a model file's spec (or a [`ModelSpec`] built in Rust)
//! and [`breadth_first`] and [`find`] walk a level's states directly.

use crate::config::{Expected, ModelSpec};
use crate::level::{Kind, Level, Property, PropertyInfo};
use crate::search::{self, Budget, Live, Order, Search, Stop};
use stateright::Model;
use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::Hash;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use crate::level::Trace;

/// How to run the checker.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    pub threads: usize,
    /// Explore one state per class of states that differ only by a renaming of
    /// identically configured members (`Level::representative`).
    pub symmetry: bool,
    /// Stop after generating this many states (the run is then incomplete).
    pub max_states: Option<usize>,
    /// Check states up to this many steps from the initial state, and expand none
    /// further (the run is incomplete if that left states unexplored).
    pub max_depth: Option<usize>,
    /// The order of exploration (`search::Order`; a depth limit implies breadth-first).
    pub order: Order,
    /// Stop a run (exploration and trace search) that takes longer than this.
    pub timeout: Option<Duration>,
    /// Stop a run once the process's resident memory reaches this many bytes.
    pub max_memory: Option<u64>,
    /// Called about five times a second while a run explores, and once when it is done
    /// (`Progress::done`).
    pub progress: Option<fn(&Progress)>,
}

impl Options {
    /// One thread, symmetry, no limits, no progress.
    pub const DEFAULT: Options = Options {
        threads: 1,
        symmetry: true,
        max_states: None,
        max_depth: None,
        order: Order::PROBE,
        timeout: None,
        max_memory: None,
        progress: None,
    };
}

impl Default for Options {
    fn default() -> Self {
        Options::DEFAULT
    }
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
                | (
                    Outcome::Holds | Outcome::Violated | Outcome::Reachable | Outcome::Unreachable,
                    Expected::Nothing
                )
        )
    }
}

/// One property's result in one model.
pub struct PropertyResult<M: Level> {
    pub property: Arc<Property<M>>,
    pub expected: Expected,
    pub outcome: Outcome,
    /// The shortest counterexample (for a violation) or witness (for a reachable
    /// sometimes-property that was expected unreachable, or asked for: `--witness`).
    pub trace: Option<Trace<M>>,
    /// How long after exploration began the first state that violates (or reaches) the
    /// property was met.
    pub found_after: Option<Duration>,
    /// For a property the model file defines: how its expression failed on a state the
    /// run reached (the property is then undecided unless a state met it), as an error
    /// message naming the file, line and column.
    pub failure: Option<String>,
}

impl<M: Level> Clone for PropertyResult<M> {
    fn clone(&self) -> Self {
        PropertyResult {
            property: Arc::clone(&self.property),
            expected: self.expected,
            outcome: self.outcome,
            trace: self.trace.clone(),
            found_after: self.found_after,
            failure: self.failure.clone(),
        }
    }
}

impl<M: Level> PropertyResult<M> {
    pub fn ok(&self) -> bool {
        self.outcome.meets(self.expected)
    }
}

/// One model's run.
pub struct ModelResult<M: Level> {
    pub spec: ModelSpec,
    pub model: M,
    /// Every state within the model's bounds was explored: no limit cut the run short.
    pub complete: bool,
    /// The limit that stopped exploration, if one did.
    pub stop: Option<Stop>,
    /// The limit that stopped the shortest-trace search, if one did: the properties it
    /// was looking for are decided, but some may lack their trace.
    pub trace_search_stop: Option<Stop>,
    pub unique_states: usize,
    pub states: usize,
    pub max_depth: usize,
    pub seconds: f64,
    /// Whether identically configured members were treated as interchangeable: asked for,
    /// and allowed by every property the file defines (`ModelSpec::symmetric`).
    pub symmetry: bool,
    pub properties: Vec<PropertyResult<M>>,
}

impl<M: Level> ModelResult<M> {
    pub fn ok(&self) -> bool {
        self.properties.iter().all(PropertyResult::ok)
    }
}

/// Runs `$body` with `$r` bound to the run's result, whatever its level.
#[macro_export]
macro_rules! on_run {
    ($run:expr, $r:ident => $body:expr) => {
        $crate::levels!(__on_run { $run, $r, $body })
    };
}

#[macro_export]
#[doc(hidden)]
macro_rules! __on_run {
    ({ $run:expr, $r:ident, $body:expr } $($variant:ident => $ty:ty),*) => {
        match $run {
            $($crate::check::Run::$variant($r) => $body,)*
        }
    };
}
pub use on_run;

#[macro_export]
#[doc(hidden)]
macro_rules! __define_run {
    ({} $($variant:ident => $ty:ty),*) => {
        /// One model's run, at whichever level its file asks for.
        pub enum Run {
            $($variant(ModelResult<$ty>),)*
        }

        $(
            impl From<ModelResult<$ty>> for Run {
                fn from(r: ModelResult<$ty>) -> Run {
                    Run::$variant(r)
                }
            }
        )*
    };
}
crate::levels!(__define_run {});

impl Run {
    /// The actor-level result, if the model is at the actor level.
    pub fn into_actor(self) -> Option<ModelResult<crate::level::actor::ReplicaSetModel>> {
        match self {
            Run::Actor(r) => Some(r),
            _ => None,
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

    /// States generated.
    pub fn states(&self) -> usize {
        on_run!(self, r => r.states)
    }

    /// The limit that stopped exploration, if one did.
    pub fn stop(&self) -> Option<Stop> {
        on_run!(self, r => r.stop)
    }

    /// Each property's outcome, with whether its trace (if any) is proven shortest.
    pub fn outcomes(&self) -> Vec<(PropertyInfo, Outcome, Option<bool>)> {
        on_run!(self, r => r
            .properties
            .iter()
            .map(|p| (p.property.info, p.outcome, p.trace.as_ref().map(|t| t.shortest)))
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
    crate::with_level!(spec.level, M => {
        Run::from(explore(M::build(&spec.settings, &spec.level), spec, options))
    })
}

/// The property named `name` in the model `spec` describes: one of level `M`'s own, or
/// one its file defines (`[[properties]]`).
pub fn find_property<M: Level>(spec: &ModelSpec, name: &str) -> Option<Property<M>> {
    match M::find_property(name) {
        Some(defined) => Some(defined.clone()),
        None => spec
            .user_properties
            .iter()
            .find(|p| p.info.name == name)
            .map(|p| p.property()),
    }
}

/// Explores `model` exhaustively and decides every property `spec` expects something of.
pub fn explore<M: Level>(model: M, spec: &ModelSpec, options: Options) -> ModelResult<M> {
    let started = Instant::now();
    let properties: Vec<(Arc<Property<M>>, Expected)> = spec
        .expectations
        .iter()
        .map(|(info, expected)| {
            let property = find_property(spec, info.name)
                .expect("a model's properties are its level's or its file's");
            (Arc::new(property), *expected)
        })
        .collect();
    // A property the file defines may tell identically configured members apart, unless
    // the file says it does not: then every state is explored.
    let symmetry = options.symmetry && spec.symmetric();
    let budget = Budget {
        started: Some(started),
        timeout: options.timeout,
        max_memory: options.max_memory,
    };
    let search = Search {
        model: &model,
        targets: properties
            .iter()
            .map(|(property, _)| {
                Box::new(move |m: &M, s: &M::State| property.is_target(m, s))
                    as Box<dyn Fn(&M, &M::State) -> bool + Sync>
            })
            .collect(),
        threads: options.threads.max(1),
        representative: symmetry.then_some(M::canonical as fn(M::State) -> M::State),
        max_states: options.max_states,
        max_depth: options.max_depth,
        order: options.order,
        fingerprint: M::fingerprint,
    };
    let live = Live::new();
    let found = watch(
        &search,
        &live,
        &budget,
        options.progress,
        &spec.name,
        started,
    );
    drop(search);
    let complete = found.stop.is_none();

    let mut properties: Vec<PropertyResult<M>> = properties
        .into_iter()
        .zip(found.hits.iter().zip(&found.hit_after))
        .map(|((property, expected), (&hit, &found_after))| {
            // A defined property whose expression failed on some state is undecided
            // unless a state met it.
            let failure = spec
                .user_properties
                .iter()
                .find(|p| p.info.name == property.info.name)
                .and_then(|p| p.failure())
                .map(|e| e.to_string());
            let outcome = match (property.info.kind, hit, complete && failure.is_none()) {
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
                found_after,
                failure,
            }
        })
        .collect();
    // A property met while the search went level by level has its shortest path already;
    // one breadth-first search finds the shortest trace of every other that wants one.
    let mut wanted: Vec<usize> = (0..properties.len())
        .filter(|&i| {
            let p = &properties[i];
            p.outcome == Outcome::Violated
                || (p.outcome == Outcome::Reachable
                    && (p.expected == Expected::Unreachable
                        || spec.witnesses.contains(&p.property.info.name)))
        })
        .collect();
    wanted.retain(|&i| {
        let along = found.paths[i]
            .as_deref()
            .and_then(|path| trace_along(&model, path, symmetry));
        let missing = along.is_none();
        properties[i].trace = along;
        missing
    });
    let targets: Vec<&Property<M>> = wanted.iter().map(|&i| &*properties[i].property).collect();
    let limits = TraceLimits {
        budget,
        max_states: options.max_states,
    };
    let (traces, trace_search_stop) =
        shortest_traces_within(&model, &targets, symmetry, options.threads, limits);
    for (i, trace) in wanted.into_iter().zip(traces) {
        properties[i].trace = trace;
    }

    ModelResult {
        spec: spec.clone(),
        model,
        complete,
        stop: found.stop,
        trace_search_stop,
        unique_states: found.counts.unique_states,
        states: found.counts.states,
        max_depth: found.counts.max_depth,
        seconds: started.elapsed().as_secs_f64(),
        symmetry,
        properties,
    }
}

/// Runs `search` while this thread watches the budget (raising the stop flag when it is
/// spent) and reports progress.
fn watch<M>(
    search: &Search<'_, M>,
    live: &Live,
    budget: &Budget,
    progress: Option<fn(&Progress)>,
    model: &str,
    started: Instant,
) -> search::Found
where
    M: Model + Sync,
    M::State: Clone + Hash + Send + Sync,
{
    let report = |counts: search::Counts, done: bool| {
        if let Some(report) = progress {
            report(&Progress {
                model,
                states: counts.states,
                unique_states: counts.unique_states,
                max_depth: counts.max_depth,
                seconds: started.elapsed().as_secs_f64(),
                done,
            });
        }
    };
    let found = std::thread::scope(|scope| {
        let running = scope.spawn(|| search.run(live));
        let mut last_report = Instant::now();
        while !running.is_finished() {
            if let Some(stop) = budget.exceeded() {
                live.stop(stop);
            }
            if last_report.elapsed() >= Duration::from_millis(200) {
                last_report = Instant::now();
                report(live.counts(), false);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        running.join().expect("the search thread finishes")
    });
    report(found.counts, true);
    found
}

/// The limits a shortest-trace search honours: the run's deadline and memory ceiling,
/// and its state limit (counted as states kept).
#[derive(Clone, Copy, Debug, Default)]
pub struct TraceLimits {
    pub budget: Budget,
    pub max_states: Option<usize>,
}

/// Breadth-first search from the initial state for the nearest state where `property`
/// fails (or, for a sometimes-property, holds), keeping one parent link per state.
pub fn shortest_trace<M: Level>(model: &M, property: &Property<M>) -> Option<Trace<M>> {
    shortest_traces(model, &[property], false, 1)
        .pop()
        .flatten()
}

/// `shortest_traces_within` without limits.
pub fn shortest_traces<M: Level>(
    model: &M,
    properties: &[&Property<M>],
    up_to_symmetry: bool,
    threads: usize,
) -> Vec<Option<Trace<M>>> {
    shortest_traces_within(
        model,
        properties,
        up_to_symmetry,
        threads,
        TraceLimits::default(),
    )
    .0
}

/// One breadth-first search for the nearest target state of each property in turn (see
/// `shortest_trace`); the search goes on until every property has its trace, no state
/// is left, or a limit is reached (which it returns; the properties not reached by then
/// have no trace). With `up_to_symmetry`, states are told apart up to symmetry
/// (`symmetry`): symmetric states are equally far from the initial state and every
/// property has the same value on them, so the traces are as short; the search keeps the
/// first state it meets of each class, and the trace replays the actions taken from it.
pub fn shortest_traces_within<M: Level>(
    model: &M,
    properties: &[&Property<M>],
    up_to_symmetry: bool,
    threads: usize,
    limits: TraceLimits,
) -> (Vec<Option<Trace<M>>>, Option<Stop>) {
    let key = |state: &M::State| class_fingerprint::<M>(state, up_to_symmetry);
    let mut traces: Vec<Option<Trace<M>>> = vec![None; properties.len()];
    if properties.is_empty() {
        return (traces, None);
    }
    let Some(init) = model.init_states().into_iter().next() else {
        return (traces, None);
    };
    // fingerprint -> (parent fingerprint, index of the action among the parent's actions)
    let mut parents: HashMap<u64, Option<(u64, usize)>> = HashMap::new();
    let init_key = key(&init);
    parents.insert(init_key, None);
    let mut frontier = vec![(init_key, init)];
    let stopped: std::sync::Mutex<Option<Stop>> = std::sync::Mutex::new(None);
    let stopping = std::sync::atomic::AtomicBool::new(false);
    while !frontier.is_empty() {
        for (property, trace) in properties.iter().zip(traces.iter_mut()) {
            if trace.is_none() {
                if let Some((found, _)) =
                    frontier.iter().find(|(_, s)| property.is_target(model, s))
                {
                    *trace = Some(rebuild(model, &parents, *found));
                }
            }
        }
        if traces.iter().all(Option::is_some) {
            return (traces, None);
        }
        if let Some(limit) = limits.max_states.filter(|&n| parents.len() >= n) {
            return (traces, Some(Stop::States(limit)));
        }
        // Successors are computed on every thread, each over a slice of the frontier, and
        // merged in frontier order: the first path to a state wins, as it would on one.
        let expand = |slice: &[(u64, M::State)]| {
            let mut found = Vec::new();
            let mut seen = std::collections::HashSet::new();
            let mut actions = Vec::new();
            for (n, (fp, state)) in slice.iter().enumerate() {
                if n % 1024 == 1023 {
                    if stopping.load(std::sync::atomic::Ordering::Relaxed) {
                        break;
                    }
                    if let Some(stop) = limits.budget.exceeded() {
                        *stopped.lock().unwrap_or_else(|p| p.into_inner()) = Some(stop);
                        stopping.store(true, std::sync::atomic::Ordering::Relaxed);
                        break;
                    }
                }
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
        if let Some(stop) = *stopped.lock().unwrap_or_else(|p| p.into_inner()) {
            return (traces, Some(stop));
        }
        if let Some(stop) = limits.budget.exceeded() {
            return (traces, Some(stop));
        }
        let mut next = Vec::new();
        for (sfp, parent, i, successor) in expanded.into_iter().flatten() {
            if let std::collections::hash_map::Entry::Vacant(e) = parents.entry(sfp) {
                e.insert(Some((parent, i)));
                next.push((sfp, successor));
            }
        }
        frontier = next;
    }
    (traces, None)
}

/// The fingerprint states are told apart by: of the state's representative with
/// `symmetry`, of the state itself without.
fn class_fingerprint<M: Level>(state: &M::State, symmetry: bool) -> u64 {
    if symmetry {
        M::fingerprint(&M::representative(state))
    } else {
        M::fingerprint(state)
    }
}

/// The trace through the states whose fingerprints `path` gives, from an initial state on
/// (of representatives, with `symmetry`): at each step, the first action whose successor
/// has the next fingerprint. A path the search recorded level by level is a shortest one.
fn trace_along<M: Level>(model: &M, path: &[u64], symmetry: bool) -> Option<Trace<M>> {
    let key = |state: &M::State| class_fingerprint::<M>(state, symmetry);
    let (&first, rest) = path.split_first()?;
    let (init, mut state) = model
        .init_states()
        .into_iter()
        .enumerate()
        .find(|(_, s)| key(s) == first)?;
    let mut indices = Vec::with_capacity(rest.len());
    let mut actions = Vec::new();
    for &fp in rest {
        actions.clear();
        model.actions(&state, &mut actions);
        let (index, next) = actions.drain(..).enumerate().find_map(|(i, action)| {
            let next = model.next_state(&state, action)?;
            (model.within_boundary(&next) && key(&next) == fp).then_some((i, next))
        })?;
        indices.push(index);
        state = next;
    }
    let mut trace =
        crate::level::follow(model, init, &indices, crate::level::Disabled::Fail).ok()?;
    trace.shortest = true;
    Some(trace)
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
    let mut trace = crate::level::follow(model, 0, &indices, crate::level::Disabled::Fail)
        .expect("a recorded step replays");
    trace.shortest = true;
    trace
}

/// Visits, breadth-first from `starts`, every transition through actions `allowed`
/// accepts within the model's bounds (`visit(before, action, after)`), each state's
/// successors once (states are told apart by fingerprint, without symmetry). Returns the
/// number of states seen. What a test or an embedder uses to ask "is there a step that
/// ..." of a level.
pub fn breadth_first<M: Level>(
    model: &M,
    starts: Vec<M::State>,
    allowed: impl Fn(&M::Action) -> bool,
    mut visit: impl FnMut(&M::State, &M::Action, &M::State),
) -> usize {
    let mut seen: HashSet<u64> = starts.iter().map(M::fingerprint).collect();
    let mut queue: VecDeque<M::State> = starts.into();
    let mut actions = Vec::new();
    while let Some(state) = queue.pop_front() {
        actions.clear();
        model.actions(&state, &mut actions);
        for action in actions.drain(..).filter(|a| allowed(a)) {
            let Some(next) = model.next_state(&state, action.clone()) else {
                continue;
            };
            if !model.within_boundary(&next) {
                continue;
            }
            visit(&state, &action, &next);
            if seen.insert(M::fingerprint(&next)) {
                queue.push_back(next);
            }
        }
    }
    seen.len()
}

/// The first state, breadth-first from `starts` through actions `allowed` accepts, within
/// the model's bounds, that satisfies `goal`; `None` if no reachable state does.
pub fn find<M: Level>(
    model: &M,
    starts: Vec<M::State>,
    allowed: impl Fn(&M::Action) -> bool,
    goal: impl Fn(&M::State) -> bool,
) -> Option<M::State> {
    if let Some(found) = starts.iter().find(|s| goal(s)) {
        return Some(found.clone());
    }
    let mut seen: HashSet<u64> = starts.iter().map(M::fingerprint).collect();
    let mut queue: VecDeque<M::State> = starts.into();
    let mut actions = Vec::new();
    while let Some(state) = queue.pop_front() {
        actions.clear();
        model.actions(&state, &mut actions);
        for action in actions.drain(..).filter(|a| allowed(a)) {
            let Some(next) = model.next_state(&state, action) else {
                continue;
            };
            if model.within_boundary(&next) && seen.insert(M::fingerprint(&next)) {
                if goal(&next) {
                    return Some(next);
                }
                queue.push_back(next);
            }
        }
    }
    None
}
