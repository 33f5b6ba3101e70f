//! replcheck's own exhaustive search: a parallel depth-first exploration that keeps one
//! 64-bit fingerprint per state, and knows exactly why it stopped.
//!
//! stateright's checkers stop early without saying so (docs/stateright.md defect 8), ignore
//! their time limit on one thread (defect 2), check only paths two steps shorter than
//! their depth limit (defect 4), and, with symmetry, count states differently from run to
//! run (defect 6). This search is built so that none of that can happen:
//!
//! - It ends either because no state is left to explore (`complete`), or because a limit
//!   was reached while work was left (`Stop`): reaching a limit and finishing at the same
//!   moment is told apart, and a limit that was never needed does not make a run
//!   incomplete.
//! - Every thread, the only one included, looks at a shared stop flag before each state;
//!   the caller's monitor raises it for a deadline or for memory (`Budget`).
//! - The order (`Order`) is, by default, a probe: level by level, breadth-first, for the
//!   first 3 seconds (`Order::PROBE`) and while a level holds at most 2¹⁸ states,
//!   then depth-first from the level where the probe stopped. A violation a few
//!   steps from the initial state is then found among the first states explored, with
//!   its shortest path (the probe keeps one parent link per state), however large the
//!   state space behind it, and the probe's cost is bounded: breadth-first is about a
//!   quarter slower than depth-first and holds a whole level in memory, where
//!   depth-first keeps only fingerprints and stacks.
//! - With a depth limit (or when asked for) the search goes level by level, breadth-first,
//!   to the end: every state is met first at its fewest steps, so every state within the
//!   limit is checked, and a run that found nothing beyond the limit is complete.
//! - With symmetry, the search goes on from the representative of each state, not from
//!   the state itself. The set it explores is then the closure of the initial states'
//!   representatives under "take a step, take the representative", which does not depend
//!   on the order in which states are met, nor on the number of threads.
//!
//! Properties are evaluated on every new state until each one has been found (violated
//! or reached); traces come from a separate breadth-first search (`check`).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use stateright::Model;

/// Why a run stopped before it had explored every state.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Stop {
    /// `--max-states`: this many states had been generated.
    States(usize),
    /// `--max-depth`: some state this many steps from the initial state had successors
    /// that were not explored.
    Depth(usize),
    /// `--timeout`: the run had taken this long.
    Time(Duration),
    /// `--max-memory`: the process's resident memory had reached this many bytes.
    Memory(u64),
    /// The user interrupted the run (Ctrl-C: `interrupt`).
    Interrupted,
}

impl Stop {
    /// The command-line flag that sets the limit.
    pub fn flag(self) -> &'static str {
        match self {
            Stop::States(_) => "--max-states",
            Stop::Depth(_) => "--max-depth",
            Stop::Time(_) => "--timeout",
            Stop::Memory(_) => "--max-memory",
            Stop::Interrupted => "Ctrl-C",
        }
    }
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stop::States(n) => write!(f, "the state limit ({} {n})", self.flag()),
            Stop::Depth(d) => write!(f, "the depth limit ({} {d})", self.flag()),
            Stop::Time(t) => write!(f, "the time limit ({} {})", self.flag(), t.as_secs_f64()),
            Stop::Memory(b) => write!(
                f,
                "the memory limit ({} {:.2} GiB)",
                self.flag(),
                *b as f64 / GIB
            ),
            Stop::Interrupted => write!(f, "an interruption ({})", self.flag()),
        }
    }
}

const GIB: f64 = (1u64 << 30) as f64;

/// Limits that stop a run, checked while it runs: a deadline and a memory ceiling. Both
/// the exhaustive search and the shortest-trace search honour them.
#[derive(Clone, Copy, Debug, Default)]
pub struct Budget {
    pub started: Option<Instant>,
    pub timeout: Option<Duration>,
    pub max_memory: Option<u64>,
}

/// Set once the user asks the process to stop (`interrupt`).
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Asks every run of this process, now and later, to stop as a limit stops it: what was
/// explored is reported, undecided properties are inconclusive (the command line calls
/// this on Ctrl-C).
pub fn interrupt() {
    INTERRUPTED.store(true, Ordering::Relaxed);
}

impl Budget {
    /// The first limit this moment is past, if any (an interruption counts as one).
    pub fn exceeded(&self) -> Option<Stop> {
        if INTERRUPTED.load(Ordering::Relaxed) {
            return Some(Stop::Interrupted);
        }
        if let (Some(started), Some(timeout)) = (self.started, self.timeout) {
            if started.elapsed() >= timeout {
                return Some(Stop::Time(timeout));
            }
        }
        if let Some(limit) = self.max_memory {
            if crate::sys::resident_bytes().is_some_and(|rss| rss >= limit) {
                return Some(Stop::Memory(limit));
            }
        }
        None
    }
}

/// The order in which a search explores states.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// Depth-first on every thread: the memory is the fingerprints and the stacks.
    DepthFirst,
    /// Level by level to the end: every state is met first at its fewest steps.
    BreadthFirst,
    /// Level by level while a level holds at most `level_cap` states and for as long as
    /// `time` (checked after each level), then depth-first from the level reached.
    Probe { level_cap: usize, time: Duration },
}

impl Order {
    /// The default: a probe for 3 seconds (`probe(3 s)`).
    pub const PROBE: Order = Order::probe(Duration::from_secs(3));

    /// A probe for `time`, expanding levels of at most 2¹⁸ states (262,144: a gigabyte or two
    /// megabytes of the actor level's states at most; the level they lead to is still
    /// generated and checked).
    pub const fn probe(time: Duration) -> Order {
        Order::Probe {
            level_cap: 1 << 18,
            time,
        }
    }
}

/// A condition whose first hit a search records.
pub type Target<'a, M> = Box<dyn Fn(&M, &<M as Model>::State) -> bool + Sync + 'a>;

/// A map from a state to the canonical state of its symmetry class.
pub type Canonical<M> = fn(<M as Model>::State) -> <M as Model>::State;

/// What to explore and how.
pub struct Search<'a, M: Model> {
    pub model: &'a M,
    /// Conditions whose first hit the search records: for an always-property, "violated";
    /// for a sometimes-property, "holds".
    pub targets: Vec<Target<'a, M>>,
    pub threads: usize,
    /// The canonical state of each state's symmetry class, if states are reduced.
    pub representative: Option<Canonical<M>>,
    pub max_states: Option<usize>,
    /// States this many steps from the initial state are checked but not expanded (the
    /// search then goes breadth-first to the end, whatever `order` says).
    pub max_depth: Option<usize>,
    pub order: Order,
    /// The fingerprint states are told apart by.
    pub fingerprint: fn(&M::State) -> u64,
}

/// How far a run got.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counts {
    /// States generated: initial states and every successor within the model's bounds.
    pub states: usize,
    /// Distinct fingerprints (of representatives, with symmetry).
    pub unique_states: usize,
    /// The most steps from the initial state to a state that was explored.
    pub max_depth: usize,
}

/// What a run found.
#[derive(Clone, Debug)]
pub struct Found {
    pub counts: Counts,
    /// For each target, whether some explored state met it.
    pub hits: Vec<bool>,
    /// For each target met, how long after the search began it was first met.
    pub hit_after: Vec<Option<Duration>>,
    /// For each target met while the search went level by level: the fingerprints of a
    /// shortest path from an initial state to the first state that met it (both
    /// included), states as the search kept them (representatives, with symmetry).
    pub paths: Vec<Option<Vec<u64>>>,
    /// Why the run stopped early, if it did.
    pub stop: Option<Stop>,
}

/// Hashes a fingerprint (already a hash) for a hash table: a multiply spreads it again,
/// since the shard index has used its low bits.
#[derive(Default)]
struct Spread(u64);

impl Hasher for Spread {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, _: &[u8]) {
        unreachable!("only fingerprints are hashed")
    }
    fn write_u64(&mut self, fp: u64) {
        self.0 = (fp >> SHARD_BITS).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

type Spreading = BuildHasherDefault<Spread>;

const SHARD_BITS: u32 = 6;
const SHARDS: usize = 1 << SHARD_BITS;

/// One shard of the fingerprint set: open addressing with linear probing over a plain
/// array of fingerprints (0 marks an empty slot; the fingerprint 0 itself is kept in a
/// flag). It grows by half when nine slots in ten are full, so that it holds between 0.6
/// and 0.9 fingerprints per 8-byte slot: 9 to 13.3 bytes per state, where a general hash
/// set doubles (18 bytes per state after a doubling) and keeps a control byte per slot.
#[derive(Default)]
struct FingerprintSet {
    slots: Vec<u64>,
    len: usize,
    has_zero: bool,
}

impl FingerprintSet {
    const FIRST: usize = 64;

    /// The slot where the probe for `fp` starts: the high bits of a multiply, scaled to
    /// the table's size (the shard index used the low bits).
    fn home(fp: u64, slots: usize) -> usize {
        let spread = (fp >> SHARD_BITS).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        ((u128::from(spread) * slots as u128) >> 64) as usize
    }

    /// Records `fp`; whether it is new.
    fn insert(&mut self, fp: u64) -> bool {
        if fp == 0 {
            return !std::mem::replace(&mut self.has_zero, true);
        }
        if (self.len + 1) * 10 > self.slots.len() * 9 {
            self.grow();
        }
        let n = self.slots.len();
        let mut i = Self::home(fp, n);
        loop {
            match self.slots[i] {
                0 => {
                    self.slots[i] = fp;
                    self.len += 1;
                    return true;
                }
                x if x == fp => return false,
                _ => i = if i + 1 == n { 0 } else { i + 1 },
            }
        }
    }

    fn contains(&self, fp: u64) -> bool {
        if fp == 0 {
            return self.has_zero;
        }
        let n = self.slots.len();
        if n == 0 {
            return false;
        }
        let mut i = Self::home(fp, n);
        loop {
            match self.slots[i] {
                0 => return false,
                x if x == fp => return true,
                _ => i = if i + 1 == n { 0 } else { i + 1 },
            }
        }
    }

    fn grow(&mut self) {
        let size = (self.slots.len() + self.slots.len() / 2).max(Self::FIRST);
        let old = std::mem::replace(&mut self.slots, vec![0; size]);
        for fp in old.into_iter().filter(|&fp| fp != 0) {
            let mut i = Self::home(fp, size);
            while self.slots[i] != 0 {
                i = if i + 1 == size { 0 } else { i + 1 };
            }
            self.slots[i] = fp;
        }
    }
}

/// The fingerprints seen so far, in shards locked separately.
struct Seen {
    shards: Vec<Mutex<FingerprintSet>>,
    unique: AtomicUsize,
}

impl Seen {
    fn new() -> Self {
        Seen {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            unique: AtomicUsize::new(0),
        }
    }

    fn shard(&self, fp: u64) -> std::sync::MutexGuard<'_, FingerprintSet> {
        self.shards[(fp as usize) & (SHARDS - 1)]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records `fp`; whether it is new.
    fn insert(&self, fp: u64) -> bool {
        let new = self.shard(fp).insert(fp);
        if new {
            self.unique.fetch_add(1, Ordering::Relaxed);
        }
        new
    }

    fn contains(&self, fp: u64) -> bool {
        self.shard(fp).contains(fp)
    }
}

/// The successors met in one level, each with its least parent and whether it is new.
type LevelLinks = HashMap<u64, (u64, bool), Spreading>;

/// While the search goes level by level: each state's parent, and the first state that met
/// each target, both chosen so that the path does not depend on the number of threads or
/// on their timing. A state's parent is the one with the least fingerprint among the
/// states of the previous level that lead to it (an initial state is its own parent); the
/// first state to meet a target is the one with the least fingerprint among those of the
/// shallowest level that meet it.
struct Parents {
    /// The links (state, parent) of the levels done.
    links: Mutex<Vec<(u64, u64)>>,
    /// The level being generated: each successor met, with its least parent so far and
    /// whether it is new in this level (a successor met before this level gets no link).
    level: Vec<Mutex<LevelLinks>>,
    /// For each target, the depth and fingerprint of the first state that met it.
    first_hits: Vec<Mutex<Option<(u32, u64)>>>,
}

impl Parents {
    fn new(targets: usize) -> Self {
        Parents {
            links: Mutex::new(Vec::new()),
            level: (0..SHARDS).map(|_| Mutex::default()).collect(),
            first_hits: (0..targets).map(|_| Mutex::new(None)).collect(),
        }
    }

    /// `child` was reached from `parent`; `new`: it is new in this level.
    fn link(&self, child: u64, parent: u64, new: bool) {
        let mut shard = self.level[(child as usize) & (SHARDS - 1)]
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        shard
            .entry(child)
            .and_modify(|(least, is_new)| {
                *least = (*least).min(parent);
                *is_new |= new;
            })
            .or_insert((parent, new));
    }

    /// Keeps the links of the level just generated, and starts the next.
    fn end_level(&self) {
        let mut links = self.links.lock().unwrap_or_else(|p| p.into_inner());
        for shard in &self.level {
            let mut shard = shard.lock().unwrap_or_else(|p| p.into_inner());
            links.extend(
                shard
                    .drain()
                    .filter(|(_, (_, new))| *new)
                    .map(|(child, (parent, _))| (child, parent)),
            );
        }
    }

    /// The depth of the first state that met target `t`, if one has.
    fn hit_depth(&self, t: usize) -> Option<u32> {
        self.first_hits[t]
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .map(|(depth, _)| depth)
    }

    fn hit(&self, t: usize, depth: u32, fp: u64) {
        let mut first = self.first_hits[t].lock().unwrap_or_else(|p| p.into_inner());
        if first.is_none_or(|known| (depth, fp) < known) {
            *first = Some((depth, fp));
        }
    }

    /// For each target: the path of fingerprints from an initial state to the first
    /// state that met it, if one was recorded.
    fn paths(self) -> Vec<Option<Vec<u64>>> {
        let first: Vec<Option<u64>> = self
            .first_hits
            .into_iter()
            .map(|h| h.into_inner().unwrap_or_else(|p| p.into_inner()))
            .map(|hit| hit.map(|(_, fp)| fp))
            .collect();
        if first.iter().all(Option::is_none) {
            return first.iter().map(|_| None).collect();
        }
        let links = self.links.into_inner().unwrap_or_else(|p| p.into_inner());
        let parent: HashMap<u64, u64, Spreading> = links.into_iter().collect();
        first
            .into_iter()
            .map(|hit| {
                let mut fp = hit?;
                let mut path = vec![fp];
                loop {
                    let up = *parent.get(&fp)?;
                    if up == fp {
                        break;
                    }
                    path.push(up);
                    fp = up;
                }
                path.reverse();
                Some(path)
            })
            .collect()
    }
}

/// While the search goes level by level, what `expand` records: the expanded state's
/// fingerprint, the depth of its successors, and where links and first hits go.
type Probing<'a> = (u64, u32, &'a Parents);

/// Which targets some explored state met, and when each was first met.
struct Hits {
    met: Vec<AtomicBool>,
    started: Instant,
    at: Vec<Mutex<Option<Duration>>>,
}

/// States waiting to be explored that some thread has handed out for an idle one.
struct Pool<S> {
    batches: Mutex<PoolState<S>>,
    wake: Condvar,
    /// Threads waiting for work (read without the lock as a hint to share).
    idle: AtomicUsize,
}

struct PoolState<S> {
    batches: Vec<Vec<(S, u32)>>,
    idle: usize,
    over: bool,
}

/// The live view of a running search, shared with the caller's monitor.
pub struct Live {
    states: AtomicUsize,
    max_depth: AtomicUsize,
    stop: Mutex<Option<Stop>>,
    stopping: AtomicBool,
    done: AtomicBool,
    unique: AtomicUsize,
}

impl Live {
    pub fn new() -> Self {
        Live {
            states: AtomicUsize::new(0),
            max_depth: AtomicUsize::new(0),
            stop: Mutex::new(None),
            stopping: AtomicBool::new(false),
            done: AtomicBool::new(false),
            unique: AtomicUsize::new(0),
        }
    }

    /// Asks the search to stop for `reason` (the first reason given is kept).
    pub fn stop(&self, reason: Stop) {
        let mut stop = self.stop.lock().unwrap_or_else(|p| p.into_inner());
        if stop.is_none() {
            *stop = Some(reason);
        }
        self.stopping.store(true, Ordering::SeqCst);
    }

    pub fn is_done(&self) -> bool {
        self.done.load(Ordering::SeqCst)
    }

    /// The counts so far (the unique count is refreshed as threads go).
    pub fn counts(&self) -> Counts {
        Counts {
            states: self.states.load(Ordering::Relaxed),
            unique_states: self.unique.load(Ordering::Relaxed),
            max_depth: self.max_depth.load(Ordering::Relaxed),
        }
    }
}

impl Default for Live {
    fn default() -> Self {
        Live::new()
    }
}

/// How many states a thread counts on its own before adding them to the shared count.
const BATCH: usize = 256;

/// A level of the breadth-first search smaller than this is explored on one thread.
const SMALL_LEVEL: usize = 4 * BATCH;

impl<M> Search<'_, M>
where
    M: Model + Sync,
    M::State: Clone + Hash + Send + Sync,
{
    /// Explores every state reachable from the initial states within the model's bounds
    /// and the search's limits, on `threads` threads, while `live` reports progress and
    /// takes stop requests, in `order`; level by level to the end when there is a depth
    /// limit, where every state is met first at its fewest steps.
    pub fn run(&self, live: &Live) -> Found {
        let seen = Seen::new();
        let hits = Hits {
            met: self
                .targets
                .iter()
                .map(|_| AtomicBool::new(false))
                .collect(),
            started: Instant::now(),
            at: self.targets.iter().map(|_| Mutex::new(None)).collect(),
        };
        let parents = Parents::new(self.targets.len());
        let mut start = Vec::new();
        for init in self.model.init_states() {
            if !self.model.within_boundary(&init) {
                continue;
            }
            live.states.fetch_add(1, Ordering::Relaxed);
            let state = self.canonical(init);
            let fp = (self.fingerprint)(&state);
            if seen.insert(fp) {
                parents.link(fp, fp, true);
                self.check(&state, fp, &hits, Some((&parents, 0)));
                start.push((state, 0));
            }
        }
        parents.end_level();
        let probe = match (self.max_depth, self.order) {
            (Some(_), _) | (None, Order::BreadthFirst) => Some(None),
            (None, Order::Probe { level_cap, time }) => Some(Some((level_cap, time))),
            (None, Order::DepthFirst) => None,
        };
        let cut = match probe {
            Some(probe) => {
                let (cut, rest) = self.levels(start, live, &seen, &hits, &parents, probe);
                if !rest.is_empty() && !live.stopping.load(Ordering::Relaxed) {
                    self.depth_first(rest, live, &seen, &hits);
                }
                cut
            }
            None => {
                self.depth_first(start, live, &seen, &hits);
                false
            }
        };
        let paths = parents.paths();
        live.unique
            .store(seen.unique.load(Ordering::Relaxed), Ordering::Relaxed);
        let mut stop = *live.stop.lock().unwrap_or_else(|p| p.into_inner());
        if stop.is_none() && cut {
            stop = self.max_depth.map(Stop::Depth);
        }
        live.done.store(true, Ordering::SeqCst);
        Found {
            counts: live.counts(),
            hits: hits.met.iter().map(|h| h.load(Ordering::Relaxed)).collect(),
            hit_after: hits
                .at
                .iter()
                .map(|at| *at.lock().unwrap_or_else(|p| p.into_inner()))
                .collect(),
            paths,
            stop,
        }
    }

    fn canonical(&self, state: M::State) -> M::State {
        match self.representative {
            Some(representative) => representative(state),
            None => state,
        }
    }

    /// Evaluates every target not yet met on a new state (fingerprint `fp`), and, while
    /// the search goes level by level (`probing`: where, and this state's depth), records
    /// the first state that meets each, evaluating a target already met on the rest of
    /// the level where it was first met so that the choice among them is the same on
    /// every run.
    fn check(&self, state: &M::State, fp: u64, hits: &Hits, probing: Option<(&Parents, u32)>) {
        for (t, (target, hit)) in self.targets.iter().zip(&hits.met).enumerate() {
            let met = hit.load(Ordering::Relaxed);
            let wanted =
                !met || probing.is_some_and(|(parents, depth)| parents.hit_depth(t) == Some(depth));
            if wanted && target(self.model, state) {
                hits.at[t]
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .get_or_insert_with(|| hits.started.elapsed());
                if let Some((parents, depth)) = probing {
                    parents.hit(t, depth, fp);
                }
                hit.store(true, Ordering::Relaxed);
            }
        }
    }

    /// Whether to stop before exploring another state: asked to, or the state limit is
    /// reached (with `counted` states of this thread not yet in the shared count).
    fn must_stop(&self, live: &Live, counted: usize) -> bool {
        if live.stopping.load(Ordering::Relaxed) {
            return true;
        }
        match self.max_states {
            Some(limit) if live.states.load(Ordering::Relaxed) + counted >= limit => {
                live.stop(Stop::States(limit));
                true
            }
            _ => false,
        }
    }

    /// Generates `state`'s successors within the model's bounds (counting them in
    /// `counted`) and hands each new one, checked, to `new`. While the search goes level
    /// by level, `parent` gives `state`'s fingerprint, its successors' depth, and where
    /// links and first hits are recorded.
    #[allow(clippy::too_many_arguments)]
    fn expand(
        &self,
        state: &M::State,
        parent: Option<Probing<'_>>,
        seen: &Seen,
        hits: &Hits,
        counted: &mut usize,
        actions: &mut Vec<M::Action>,
        mut new: impl FnMut(M::State),
    ) {
        self.model.actions(state, actions);
        for action in actions.drain(..) {
            let Some(next) = self.model.next_state(state, action) else {
                continue;
            };
            if !self.model.within_boundary(&next) {
                continue;
            }
            *counted += 1;
            let next = self.canonical(next);
            let fp = (self.fingerprint)(&next);
            let new_here = seen.insert(fp);
            if let Some((parent, _, parents)) = parent {
                parents.link(fp, parent, new_here);
            }
            if new_here {
                self.check(&next, fp, hits, parent.map(|(_, depth, p)| (p, depth)));
                new(next);
            }
        }
    }

    /// Depth-first search on every thread: each explores from its own stack, newest
    /// first, hands out half of it when another thread is idle, and takes a handed-out
    /// batch when its stack is empty.
    fn depth_first(&self, start: Vec<(M::State, u32)>, live: &Live, seen: &Seen, hits: &Hits) {
        let threads = self.threads.max(1);
        let pool = Pool {
            batches: Mutex::new(PoolState {
                // A batch is never empty: a thread that takes one explores from it.
                batches: if start.is_empty() {
                    Vec::new()
                } else {
                    vec![start]
                },
                idle: 0,
                over: false,
            }),
            wake: Condvar::new(),
            idle: AtomicUsize::new(0),
        };
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| self.depth_first_thread(live, seen, &pool, hits, threads));
            }
        });
    }

    fn depth_first_thread(
        &self,
        live: &Live,
        seen: &Seen,
        pool: &Pool<M::State>,
        hits: &Hits,
        threads: usize,
    ) {
        let mut stack: Vec<(M::State, u32)> = Vec::new();
        let mut actions = Vec::new();
        let mut counted = 0usize;
        let mut deepest = 0usize;
        loop {
            let Some((state, depth)) = stack.pop().or_else(|| {
                live.states
                    .fetch_add(std::mem::take(&mut counted), Ordering::Relaxed);
                live.unique
                    .store(seen.unique.load(Ordering::Relaxed), Ordering::Relaxed);
                stack = Self::take(pool, live, threads)?;
                stack.pop()
            }) else {
                break;
            };
            if self.must_stop(live, counted) {
                break;
            }
            if depth as usize > deepest {
                deepest = depth as usize;
                live.max_depth.fetch_max(deepest, Ordering::Relaxed);
            }
            self.expand(
                &state,
                None,
                seen,
                hits,
                &mut counted,
                &mut actions,
                |next| stack.push((next, depth + 1)),
            );
            if counted >= BATCH {
                live.states
                    .fetch_add(std::mem::take(&mut counted), Ordering::Relaxed);
                live.unique
                    .store(seen.unique.load(Ordering::Relaxed), Ordering::Relaxed);
            }
            if stack.len() > 1 && pool.idle.load(Ordering::Relaxed) > 0 {
                let mut p = pool.batches.lock().unwrap_or_else(|p| p.into_inner());
                if p.batches.is_empty() {
                    // The oldest half: the states nearest the root, with the most below them.
                    let rest = stack.split_off(stack.len() / 2);
                    p.batches.push(std::mem::replace(&mut stack, rest));
                    pool.wake.notify_one();
                }
            }
        }
        live.states.fetch_add(counted, Ordering::Relaxed);
        // A thread that stops wakes the others so that they see the flag too.
        let mut p = pool.batches.lock().unwrap_or_else(|p| p.into_inner());
        if live.stopping.load(Ordering::Relaxed) {
            p.over = true;
        }
        pool.wake.notify_all();
    }

    /// A batch of handed-out states, waiting for one while other threads may still
    /// hand some out; `None` once every thread is idle (the search is over) or the
    /// search is stopping.
    fn take(pool: &Pool<M::State>, live: &Live, threads: usize) -> Option<Vec<(M::State, u32)>> {
        let mut p = pool.batches.lock().unwrap_or_else(|p| p.into_inner());
        p.idle += 1;
        pool.idle.fetch_add(1, Ordering::Relaxed);
        let batch = loop {
            if p.over || live.stopping.load(Ordering::Relaxed) {
                p.over = true;
                break None;
            }
            if let Some(batch) = p.batches.pop() {
                break Some(batch);
            }
            if p.idle == threads {
                p.over = true;
                break None;
            }
            p = pool
                .wake
                .wait_timeout(p, Duration::from_millis(50))
                .unwrap_or_else(|p| p.into_inner())
                .0;
        };
        p.idle -= 1;
        pool.idle.fetch_sub(1, Ordering::Relaxed);
        if batch.is_none() {
            pool.wake.notify_all();
        }
        batch
    }

    /// Breadth-first search, one level (states so many steps from the initial states)
    /// at a time, each level's states shared out among the threads in blocks, recording
    /// each new state's parent. With a depth limit, the last level's states are checked
    /// and their successors generated only to learn whether any is new. Returns whether
    /// one was (the run was cut short), and, for a probe (a level cap and a time), the
    /// first level that held more than the cap or was reached after the time, checked but
    /// not expanded, with its depth.
    fn levels(
        &self,
        start: Vec<(M::State, u32)>,
        live: &Live,
        seen: &Seen,
        hits: &Hits,
        parents: &Parents,
        probe: Option<(usize, Duration)>,
    ) -> (bool, Vec<(M::State, u32)>) {
        let threads = self.threads.max(1);
        let mut level: Vec<M::State> = start.into_iter().map(|(s, _)| s).collect();
        let mut depth = 0usize;
        let cut = AtomicBool::new(false);
        while !level.is_empty() && !live.stopping.load(Ordering::Relaxed) {
            live.max_depth.fetch_max(depth, Ordering::Relaxed);
            let last = self.max_depth == Some(depth);
            let cursor = AtomicUsize::new(0);
            let level_ref = &level;
            let work = || {
                let mut found = Vec::new();
                let mut actions = Vec::new();
                let mut counted = 0usize;
                'blocks: loop {
                    let from = cursor.fetch_add(BATCH, Ordering::Relaxed);
                    if from >= level_ref.len() {
                        break;
                    }
                    for state in &level_ref[from..(from + BATCH).min(level_ref.len())] {
                        if self.must_stop(live, counted) {
                            break 'blocks;
                        }
                        if last {
                            if self.cuts(state, seen, &mut counted, &mut actions) {
                                cut.store(true, Ordering::Relaxed);
                            }
                        } else {
                            let fp = (self.fingerprint)(state);
                            self.expand(
                                state,
                                Some((fp, depth as u32 + 1, parents)),
                                seen,
                                hits,
                                &mut counted,
                                &mut actions,
                                |s| found.push(s),
                            );
                        }
                    }
                    live.states
                        .fetch_add(std::mem::take(&mut counted), Ordering::Relaxed);
                    live.unique
                        .store(seen.unique.load(Ordering::Relaxed), Ordering::Relaxed);
                }
                live.states.fetch_add(counted, Ordering::Relaxed);
                found
            };
            // A small level is not worth starting threads for.
            let next: Vec<Vec<M::State>> = if threads == 1 || level.len() < SMALL_LEVEL {
                vec![work()]
            } else {
                std::thread::scope(|scope| {
                    let handles: Vec<_> = (0..threads).map(|_| scope.spawn(work)).collect();
                    handles
                        .into_iter()
                        .map(|h| h.join().expect("a search thread finishes"))
                        .collect()
                })
            };
            if last {
                break;
            }
            parents.end_level();
            level = next.into_iter().flatten().collect();
            depth += 1;
            if probe.is_some_and(|(cap, time)| level.len() > cap || hits.started.elapsed() >= time)
            {
                let rest = level.into_iter().map(|s| (s, depth as u32)).collect();
                return (cut.load(Ordering::Relaxed), rest);
            }
        }
        (cut.load(Ordering::Relaxed), Vec::new())
    }

    /// Whether a state at the depth limit has a successor within the model's bounds that
    /// was not met within the limit (counting the successors in `counted`).
    fn cuts(
        &self,
        state: &M::State,
        seen: &Seen,
        counted: &mut usize,
        actions: &mut Vec<M::Action>,
    ) -> bool {
        let mut cuts = false;
        self.model.actions(state, actions);
        for action in actions.drain(..) {
            let Some(next) = self.model.next_state(state, action) else {
                continue;
            };
            if self.model.within_boundary(&next) {
                *counted += 1;
                cuts |= !seen.contains((self.fingerprint)(&self.canonical(next)));
            }
        }
        cuts
    }
}

/// The estimated probability that two of `unique` distinct states share a 64-bit
/// fingerprint, so that one of them was taken for the other and never explored: for a
/// uniform hash, at most `unique·(unique−1)/2` pairs each collide with probability 2⁻⁶⁴.
/// (TLC prints a similar estimate at the end of each run.)
pub fn collision_probability(unique: usize) -> f64 {
    let n = unique as f64;
    (n * (n - 1.0) / 2.0 / 2f64.powi(64)).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::FingerprintSet;
    use std::collections::HashSet;

    /// The fingerprint set agrees with a general hash set on every insert and lookup,
    /// through its growth, for the fingerprint 0 and for fingerprints that share their
    /// low bits (one shard's), and stays between 0.6 and 0.9 full once grown.
    #[test]
    fn fingerprint_set_agrees_with_a_hash_set() {
        let mut ours = FingerprintSet::default();
        let mut reference = HashSet::new();
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for n in 0..200_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let fp = match n % 5 {
                0 => 0,
                1 => (n / 5) << 6,
                _ => x & !63,
            };
            assert_eq!(ours.insert(fp), reference.insert(fp), "insert {fp}");
            let probe = x.rotate_left(9) & !63;
            assert_eq!(ours.contains(probe), reference.contains(&probe));
        }
        assert!(reference.iter().all(|&fp| ours.contains(fp)));
        let stored = ours.len as f64 / ours.slots.len() as f64;
        assert!((0.59..=0.9).contains(&stored), "load {stored}");
    }
}
