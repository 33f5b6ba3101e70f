//! The levels replcheck checks a replica set at, and what every level provides.
//!
//! A level is one way of stepping through MongoDB's replica-set protocol: the actor level
//! (`actor`: members and a client exchanging messages, the full protocol) and the atomic
//! level (`atomic`: MongoStaticRaft's atomic steps). Each is one folder holding its model,
//! its properties (each condition beside its explanation), its narration, its symmetry
//! reduction and its trace encodings (`Itf`, `Diagram`). The [`Level`] trait is what the
//! checker, the reports, `replay` and `serve` need of a level; [`LevelSpec`] is which level
//! a model file asks for, with that level's bounds, and [`with_level!`](crate::with_level)
//! is the one place that turns it into a type.
//!
//! Levels build on `protocol` (MongoDB's rules and handlers) and on nothing above them:
//! not on model files, the checker or the reports.

pub mod actor;
pub mod atomic;
pub mod diagram;
pub mod itf;
pub mod rows;
pub mod view;

pub use diagram::Diagram;
pub use itf::Itf;
pub use rows::{ClientRow, MemberRow, StateRows};
pub use view::StateView;

use crate::protocol::replset::Settings;
use stateright::Model;
use std::fmt::Debug;
use std::hash::Hash;
use std::sync::Arc;

/// Whether a property must always hold or must sometimes be reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Always,
    Sometimes,
}

/// A property as model files, reports and CI gates name it: the interface part, the same
/// at every level that defines it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PropertyInfo {
    pub name: &'static str,
    pub kind: Kind,
    /// What it means, in one line.
    pub meaning: &'static str,
}

/// The property each bug variant (`[variant]` key) exists to show violated, as README's
/// variant table gives it: the violation a bug model's report shows first.
pub const VARIANT_VIOLATES: &[(&str, &str)] = &[
    ("own_term_commit_rule", "committed_never_rolled_back"),
    ("durable_vote", "election_safety"),
    ("arbiters_may_stand", "arbiter_never_primary"),
    ("unelectable_may_stand", "unelectable_never_primary"),
    ("commit_point_term_check", "committed_never_rolled_back"),
    ("fetch_consistency_check", "log_matching"),
];

/// A property of level `M`: its name, kind and meaning, the condition a state is checked
/// against, and what a state that breaks it (or, for a sometimes-property, reaches it)
/// shows, in one sentence for the closing story of a trace.
pub struct Property<M: Level> {
    pub info: PropertyInfo,
    pub condition: Condition<M>,
    pub explain: fn(&M, &M::State) -> Option<String>,
}

/// Whether a property holds in a state.
pub enum Condition<M: Level> {
    /// One of the level's own properties (`Level::PROPERTIES`).
    Defined(fn(&M, &M::State) -> bool),
    /// A property a model file defines, over the state's view (`Level::view`).
    User(UserCondition<M>),
}

/// The condition of a property a model file defines.
pub type UserCondition<M> = Arc<dyn Fn(&M, &<M as Model>::State) -> bool + Send + Sync>;

impl<M: Level> Clone for Condition<M> {
    fn clone(&self) -> Self {
        match self {
            Condition::Defined(f) => Condition::Defined(*f),
            Condition::User(f) => Condition::User(Arc::clone(f)),
        }
    }
}

impl<M: Level> Clone for Property<M> {
    fn clone(&self) -> Self {
        Property {
            info: self.info,
            condition: self.condition.clone(),
            explain: self.explain,
        }
    }
}

impl<M: Level> Property<M> {
    /// Whether the property's condition holds in `state`.
    pub fn holds(&self, model: &M, state: &M::State) -> bool {
        match &self.condition {
            Condition::Defined(f) => f(model, state),
            Condition::User(f) => f(model, state),
        }
    }

    /// Whether `state` is what a search for this property looks for: a violation of an
    /// always-property, a witness of a sometimes-property.
    pub fn is_target(&self, model: &M, state: &M::State) -> bool {
        let holds = self.holds(model, state);
        match self.info.kind {
            Kind::Always => !holds,
            Kind::Sometimes => holds,
        }
    }

    /// The closing sentence of a trace that ends in `state`.
    pub fn explanation(&self, model: &M, state: &M::State) -> String {
        (self.explain)(model, state).unwrap_or_else(|| match self.info.kind {
            Kind::Always => format!(
                "the state breaks {} ({})",
                self.info.name, self.info.meaning
            ),
            Kind::Sometimes => format!("the state reached: {}", self.info.meaning),
        })
    }
}

/// The story's frame, the same at every level: what the trace is for, the events, and
/// what the last state shows.
pub fn story_closing(
    property: &PropertyInfo,
    steps: usize,
    sentences: Vec<String>,
    explanation: &str,
) -> String {
    let opening = match property.kind {
        Kind::Always => format!("How {} fails:", property.name),
        Kind::Sometimes => format!("How {} is reached:", property.name),
    };
    let mut text = vec![opening];
    text.extend(sentences);
    text.push(format!("After step {steps}, {explanation}."));
    text.join(" ")
}

/// A path through a model: the actions taken and the states they lead to (the first state
/// is the initial state).
pub struct Trace<M: Level> {
    pub states: Vec<M::State>,
    pub actions: Vec<M::Action>,
    /// Whether no shorter path reaches such a state (true for every trace the checker
    /// builds: they come from a breadth-first search).
    pub shortest: bool,
}

impl<M: Level> Clone for Trace<M> {
    fn clone(&self) -> Self {
        Trace {
            states: self.states.clone(),
            actions: self.actions.clone(),
            shortest: self.shortest,
        }
    }
}

impl<M: Level> Trace<M> {
    /// Each step's action as its index among the actions the model offers in the state
    /// before it: the numbering of stateright's Explorer and of trace files.
    pub fn action_indices(&self, model: &M) -> Vec<usize> {
        self.states
            .iter()
            .zip(&self.actions)
            .map(|(state, action)| {
                offered(model, state)
                    .iter()
                    .position(|a| a == action)
                    .expect("a trace's action is offered by its state")
            })
            .collect()
    }

    /// The Explorer's path to the last state: the initial state's index and each action's
    /// index (`#/steps/0/3/1`).
    pub fn explorer_path(&self, model: &M) -> String {
        std::iter::once(0)
            .chain(self.action_indices(model))
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join("/")
    }
}

/// The actions the model offers in `state`, in the model's order (the Explorer's
/// numbering).
pub fn offered<M: Model>(model: &M, state: &M::State) -> Vec<M::Action> {
    let mut actions = Vec::new();
    model.actions(state, &mut actions);
    actions
}

/// Where following a path of action indices went wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathError {
    /// The model has no initial state with this index.
    NoInitialState(usize),
    /// At step `step` (from 1) the state offers fewer than `index + 1` actions.
    NoSuchAction { step: usize, index: usize },
    /// At step `step` the action leads nowhere (stateright's `next_state` gave `None`).
    Disabled { step: usize },
}

/// How `follow` takes an action that leads nowhere (stateright's `next_state` is `None`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disabled {
    /// The path is wrong there (`PathError::Disabled`): a recorded trace never has one.
    Fail,
    /// The state stays as it was, as stateright's Explorer replays a path.
    Stay,
}

/// Follows a path of action indices from initial state `init`, as the Explorer's URLs and
/// trace files give them: the trace it describes, or where it goes wrong. Bounds are not
/// checked: the caller decides what a step beyond them means.
pub fn follow<M: Level>(
    model: &M,
    init: usize,
    indices: &[usize],
    disabled: Disabled,
) -> Result<Trace<M>, PathError> {
    let mut state = model
        .init_states()
        .into_iter()
        .nth(init)
        .ok_or(PathError::NoInitialState(init))?;
    let mut states = vec![state.clone()];
    let mut actions = Vec::with_capacity(indices.len());
    for (step, &index) in indices.iter().enumerate() {
        let action =
            offered(model, &state)
                .into_iter()
                .nth(index)
                .ok_or(PathError::NoSuchAction {
                    step: step + 1,
                    index,
                })?;
        state = match (model.next_state(&state, action.clone()), disabled) {
            (Some(next), _) => next,
            (None, Disabled::Stay) => state,
            (None, Disabled::Fail) => return Err(PathError::Disabled { step: step + 1 }),
        };
        states.push(state.clone());
        actions.push(action);
    }
    Ok(Trace {
        states,
        actions,
        shortest: false,
    })
}

/// What the checker, the reports, `replay` and `serve` need of a level.
pub trait Level:
    Model<
        State: Clone + Debug + Hash + Eq + Send + Sync + 'static,
        Action: Clone + Debug + PartialEq + Send + Sync + 'static,
    > + Clone
    + Send
    + Sync
    + 'static
{
    /// The level's name, as a model file's `granularity` says it.
    const NAME: &'static str;

    /// The model of `settings`, within the level's bounds from `spec`.
    fn build(settings: &Settings, spec: &LevelSpec) -> Self;

    /// The workload, faults and bounds of a model of this level in one line.
    fn scenario(settings: &Settings, spec: &LevelSpec) -> String;

    /// The MongoDB release whose rules the model follows, where the level has releases.
    fn mongodb_version(settings: &Settings) -> Option<String> {
        let _ = settings;
        None
    }

    /// Every property the level defines, in the order they are reported.
    const PROPERTIES: &'static [Property<Self>];

    /// The property named `name`, if the level defines it.
    fn find_property(name: &str) -> Option<&'static Property<Self>> {
        Self::PROPERTIES.iter().find(|p| p.info.name == name)
    }

    /// The canonical state of `state`'s class of renamings of identical members.
    fn representative(state: &Self::State) -> Self::State;

    /// `representative`, taking the state: a level may hand back the state itself when it
    /// is already its class's representative, without a copy.
    fn canonical(state: Self::State) -> Self::State {
        Self::representative(&state)
    }

    /// The 64-bit fingerprint a search tells states apart by.
    fn fingerprint(state: &Self::State) -> u64 {
        fingerprint(state)
    }

    /// What `action` did, taking `before` to `after`, in MongoDB's words.
    fn describe(&self, before: &Self::State, action: &Self::Action, after: &Self::State) -> String;

    /// The state as text lines, one per member and more.
    fn state_lines(&self, state: &Self::State) -> Vec<String>;

    /// The state as data, for reports and trace files.
    fn rows(&self, state: &Self::State) -> StateRows;

    /// The trace's story in one paragraph: what happened and how it breaks (or reaches)
    /// `property`.
    fn story(&self, property: &Property<Self>, trace: &Trace<Self>) -> String;

    /// The state as user-defined properties see it (`view`).
    fn view(&self, state: &Self::State) -> StateView;
}

/// Which level a model file asks for (its `granularity`), with that level's bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LevelSpec {
    /// Members as actors exchanging messages: the full protocol (the default).
    Actor,
    /// MongoStaticRaft's atomic steps, within these bounds (`atomic`).
    Atomic(atomic::AtomicBounds),
}

impl LevelSpec {
    /// The level's name, as `granularity` says it.
    pub fn name(self) -> &'static str {
        crate::with_level!(self, M => M::NAME)
    }

    /// The interface part of every property the level defines, in report order.
    pub fn properties(self) -> Vec<PropertyInfo> {
        crate::with_level!(self, M => M::PROPERTIES.iter().map(|p| p.info).collect())
    }
}

/// A level's name and how to look up its properties by name.
pub type LevelEntry = (&'static str, fn(&str) -> Option<PropertyInfo>);

/// Every level, in `levels!` order: its name and its property lookup.
pub fn all() -> Vec<LevelEntry> {
    crate::levels!(__level_table {}).to_vec()
}

/// The levels at which a property of this name is defined, by name.
pub fn levels_defining(name: &str) -> Vec<&'static str> {
    all()
        .into_iter()
        .filter(|(_, find)| find(name).is_some())
        .map(|(level, _)| level)
        .collect()
}

/// The levels, in one list, handed to `$callback` (a macro of this crate) after
/// `{ $args }`: `$callback! { { $args } Actor => ReplicaSetModel, Atomic => AtomicModel }`.
/// The one place that names every level: [`with_level!`](crate::with_level) and
/// `check::Run` are made from it. A new level is a folder under `src/level/`, one line
/// here, and its variant of [`LevelSpec`] with its bounds (which `config` reads).
#[macro_export]
#[doc(hidden)]
macro_rules! levels {
    ($callback:ident { $($args:tt)* }) => {
        $crate::$callback! {
            { $($args)* }
            Actor => $crate::level::actor::ReplicaSetModel,
            Atomic => $crate::level::atomic::AtomicModel
        }
    };
}

/// Runs `$body` with `$M` standing for the level type of `$spec` (a [`LevelSpec`]).
#[macro_export]
macro_rules! with_level {
    ($spec:expr, $M:ident => $body:expr) => {
        $crate::levels!(__with_level { $spec, $M, $body })
    };
}

#[macro_export]
#[doc(hidden)]
macro_rules! __level_table {
    ({} $($variant:ident => $ty:ty),*) => {
        [$((
            <$ty as $crate::level::Level>::NAME,
            (|name: &str| <$ty as $crate::level::Level>::find_property(name).map(|p| p.info))
                as fn(&str) -> Option<$crate::level::PropertyInfo>,
        )),*]
    };
}

#[macro_export]
#[doc(hidden)]
macro_rules! __with_level {
    ({ $spec:expr, $M:ident, $body:expr } $($variant:ident => $ty:ty),*) => {
        match $spec {
            $(
                $crate::level::LevelSpec::$variant { .. } => {
                    type $M = $ty;
                    $body
                }
            )*
        }
    };
}

/// The hasher of fingerprints (`Level::fingerprint`): ahash (the hash stateright
/// fingerprints states with) with fixed keys, so that a state's fingerprint is the same
/// in every run.
pub fn hasher() -> impl std::hash::Hasher {
    use std::hash::BuildHasher;
    ahash::RandomState::with_seeds(
        0x243f_6a88_85a3_08d3,
        0x1319_8a2e_0370_7344,
        0xa409_3822_299f_31d0,
        0x082e_fa98_ec4e_6c89,
    )
    .build_hasher()
}

/// A value's fingerprint by its `Hash`.
pub fn fingerprint<S: Hash>(state: &S) -> u64 {
    use std::hash::Hasher;
    let mut hasher = hasher();
    state.hash(&mut hasher);
    hasher.finish()
}

/// A level's properties in stateright's form, for stateright's Explorer (which takes a
/// plain function: a model file's own properties are not among them).
pub fn stateright_properties<M: Level>() -> Vec<stateright::Property<M>> {
    M::PROPERTIES
        .iter()
        .filter_map(|p| match p.condition {
            Condition::Defined(condition) => Some(stateright::Property {
                expectation: match p.info.kind {
                    Kind::Always => stateright::Expectation::Always,
                    Kind::Sometimes => stateright::Expectation::Sometimes,
                },
                name: p.info.name,
                condition,
            }),
            Condition::User(_) => None,
        })
        .collect()
}

/// A level the reports can render whole: narrated (`Level`), drawn (`Diagram`) and written
/// in ITF (`Itf`). Every level is one.
pub trait Rendered: Diagram + Itf {}

impl<M: Diagram + Itf> Rendered for M {}
