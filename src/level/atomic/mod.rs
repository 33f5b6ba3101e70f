//! The atomic level: the replica set as a plain state machine whose every step is one
//! atomic protocol step, the granularity of MongoDB's TLA+ specification `MongoStaticRaft`
//! (will62794/logless-reconfig, the static-configuration core of MongoDB's Raft-based
//! protocol; docs/protocol.md §3-§7).
//!
//! There are no messages, clocks, crashes or clients. A step reads and writes the state of
//! the members it involves at once:
//!
//! - a primary writes a client entry in its term (`ClientWrite`);
//! - a secondary fetches one entry from a member further ahead, after the log
//!   consistency check (`FetchEntry`);
//! - a secondary whose last entry its source does not hold, and whose source is further
//!   ahead, rolls back one entry (`RollBackEntry`);
//! - a member becomes primary in the next term with a majority of voters that can vote
//!   for it; every voter of that majority moves to the new term (`BecomePrimary`);
//! - a primary commits its last entry once a majority holds it in the primary's term
//!   (`AdvanceCommit`);
//! - a member learns a newer term from another and, if primary, steps down (`LearnTerm`).
//!
//! The rules these steps decide by are the actor level's own: the vote rule
//! (`election::term_allows_vote`, `election::oplog_allows_vote`), vote majorities
//! (`quorum::is_vote_majority`) and the rollback test (`rollback::must_roll_back`).
//!
//! With every member a voter of priority > 0 this is `MongoStaticRaft` with its
//! configuration fixed to all servers, and the reachable states are the same: 1,068,112
//! for 3 members, terms up to 4 and oplogs up to 4 entries, TLC's distinct-state count
//! (REPORT.md, "The atomic level"). Members of priority 0 never stand and members with
//! no vote never vote, which the TLA+ specification does not express.
//!
//! The state is compact: fixed arrays indexed by member, each oplog the terms of its
//! entries (an entry is identified by its position and term, as in the TLA+ spec).

pub mod diagram;
pub mod itf;
pub mod properties;

use super::view::{EntryView, MemberView, OpTimeView, StateView};
use super::{Level, LevelSpec, MemberRow, Property, StateRows, Trace};
use crate::protocol::election;
use crate::protocol::quorum;
use crate::protocol::replset::Settings;
use crate::protocol::rollback;
use crate::protocol::types::{MemberId, MemberSet, MemberState, OpTime, Term};
use stateright::Model;
use std::fmt;

/// The most members the atomic level holds: MongoDB's limit on voting members.
pub const MAX_MEMBERS: usize = crate::protocol::replset::MAX_VOTING_MEMBERS;
/// Room for oplog entries: the longest oplog bound is one less, so that a step may write
/// one entry past the bound before `within_boundary` drops the state.
pub const OPLOG_ROOM: usize = 8;
/// The longest oplog bound the atomic level accepts.
pub const MAX_OPLOG_LEN: u8 = OPLOG_ROOM as u8 - 1;

/// The bounds of exploration, kept outside the protocol as the TLA+ model-checking
/// wrapper keeps its state constraint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AtomicBounds {
    pub max_term: Term,
    pub max_oplog_len: u8,
}

/// A state of the atomic level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct AtomicState {
    /// Each member's class of identically configured members. It never changes; it is in
    /// the state so that the symmetry function, which sees only a state, can keep
    /// renamings within a class.
    class: [u8; MAX_MEMBERS],
    /// Each member's term.
    term: [u8; MAX_MEMBERS],
    /// Bit `i` is set when member `i` is PRIMARY; every other member is SECONDARY.
    primaries: u8,
    /// Each member's oplog length.
    len: [u8; MAX_MEMBERS],
    /// Each member's oplog: the term of entry `k` (1-based) at index `k - 1`.
    oplog: [[u8; OPLOG_ROOM]; MAX_MEMBERS],
    /// History kept only to state properties: bit `t` of `committed[k - 1]` is set once
    /// entry `(k, t)` has been committed by a primary of term `t`.
    committed: [u32; OPLOG_ROOM],
}

/// One atomic step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum AtomicAction {
    ClientWrite(MemberId),
    FetchEntry {
        member: MemberId,
        source: MemberId,
    },
    RollBackEntry {
        member: MemberId,
        source: MemberId,
    },
    BecomePrimary {
        candidate: MemberId,
        voters: MemberSet,
    },
    AdvanceCommit(MemberId),
    LearnTerm {
        member: MemberId,
        from: MemberId,
    },
}

/// The atomic level of one replica set.
#[derive(Clone, Debug)]
pub struct AtomicModel {
    pub settings: Settings,
    pub bounds: AtomicBounds,
    /// How many members the set has.
    n: u8,
    /// Bit `i`: member `i` votes.
    voters: u8,
    /// Bit `i`: member `i` may stand for election.
    electable: u8,
    /// For every set of members (bit `i`: member `i`), whether its votes are a majority
    /// (`quorum::is_vote_majority`, tabulated once).
    majorities: Vec<bool>,
}

impl AtomicState {
    pub fn term(&self, m: MemberId) -> Term {
        Term(self.term[m.index()])
    }

    pub fn is_primary(&self, m: MemberId) -> bool {
        self.primaries & bit(m) != 0
    }

    pub fn oplog_len(&self, m: MemberId) -> u8 {
        self.len[m.index()]
    }

    /// The terms of `m`'s entries, oldest first.
    pub fn oplog(&self, m: MemberId) -> &[u8] {
        &self.oplog[m.index()][..usize::from(self.len[m.index()])]
    }

    /// The term of `m`'s entry at `position` (1-based); 0 for position 0.
    fn entry_term(&self, m: MemberId, position: u8) -> u8 {
        match position {
            0 => 0,
            k => self.oplog[m.index()][usize::from(k - 1)],
        }
    }

    /// `m`'s last optime: the term and position of its last entry.
    pub fn last_optime(&self, m: MemberId) -> OpTime {
        let len = self.len[m.index()];
        OpTime::new(self.entry_term(m, len), len)
    }

    /// Whether `m` holds entry `(position, term)`.
    pub fn holds(&self, m: MemberId, position: u8, term: u8) -> bool {
        position >= 1 && position <= self.len[m.index()] && self.entry_term(m, position) == term
    }

    /// Whether `a`'s oplog is a prefix of `b`'s.
    fn is_prefix(&self, a: MemberId, b: MemberId) -> bool {
        let n = usize::from(self.len[a.index()]);
        n <= usize::from(self.len[b.index()])
            && self.oplog[a.index()][..n] == self.oplog[b.index()][..n]
    }

    /// Every committed entry as `(position, term)`.
    pub fn committed(&self) -> impl Iterator<Item = (u8, u8)> + '_ {
        self.committed.iter().enumerate().flat_map(|(k, terms)| {
            (0..32u8)
                .filter(move |t| terms & (1 << t) != 0)
                .map(move |t| (k as u8 + 1, t))
        })
    }

    /// For each position, the terms committed there (bit `t`: term `t`).
    pub fn committed_terms(&self) -> &[u32; OPLOG_ROOM] {
        &self.committed
    }

    /// For each position, the terms committed there that are older than `term`.
    pub fn committed_before(&self, term: Term) -> [u32; OPLOG_ROOM] {
        let below = (1u32 << term.0) - 1;
        self.committed.map(|terms| terms & below)
    }

    fn is_committed(&self, position: u8, term: u8) -> bool {
        self.committed[usize::from(position - 1)] & (1 << term) != 0
    }
}

fn bit(m: MemberId) -> u8 {
    1 << m.0
}

impl AtomicModel {
    pub fn new(settings: Settings, bounds: AtomicBounds) -> Self {
        let replset = &settings.replset;
        assert!(replset.len() <= MAX_MEMBERS && bounds.max_oplog_len <= MAX_OPLOG_LEN);
        let mask = |keep: &dyn Fn(MemberId) -> bool| {
            replset
                .ids()
                .filter(|&m| keep(m))
                .fold(0u8, |acc, m| acc | bit(m))
        };
        let voters = mask(&|m| replset.member(m).is_voter());
        let electable = mask(&|m| replset.member(m).is_electable());
        let majorities = (0..1u64 << replset.len())
            .map(|set| quorum::is_vote_majority(replset, MemberSet::from_bits(set)))
            .collect();
        AtomicModel {
            majorities,
            n: replset.len() as u8,
            settings,
            bounds,
            voters,
            electable,
        }
    }

    pub fn members(&self) -> impl Iterator<Item = MemberId> {
        (0..self.n).map(MemberId)
    }

    fn is_voter(&self, m: MemberId) -> bool {
        self.voters & bit(m) != 0
    }

    fn quorum(&self, members: u8) -> bool {
        self.majorities[usize::from(members)]
    }

    /// Whether `voter` can vote for `candidate` in `term` (MongoDB's vote rule, docs/protocol.md
    /// §3). At this level a member's term is also its vote: reaching a term, by voting or
    /// by learning it, counts as having voted in it, as in the TLA+ spec.
    fn can_vote(&self, s: &AtomicState, voter: MemberId, candidate: MemberId, term: Term) -> bool {
        let mine = s.term(voter);
        election::term_allows_vote(mine, Some(mine), term)
            && election::oplog_allows_vote(s.last_optime(voter), s.last_optime(candidate))
    }

    /// The members that could form a commit majority for `primary`'s last entry: voters in
    /// the primary's term that hold it.
    fn holders_in_term(&self, s: &AtomicState, position: u8, term: u8) -> u8 {
        self.members()
            .filter(|&m| {
                self.is_voter(m) && s.term[m.index()] == term && s.holds(m, position, term)
            })
            .fold(0, |acc, m| acc | bit(m))
    }

    // The steps. Each `may_*` is its guard; `next_state` applies the effect.

    /// A primary takes a client write and writes it to its oplog in its term.
    fn may_write(&self, s: &AtomicState, m: MemberId) -> bool {
        s.is_primary(m)
    }

    /// The oplog fetcher: a secondary takes the entry after its last one from a member
    /// with a longer oplog, if that member holds its last entry (the consistency check of
    /// `OplogFetcher`; docs/protocol.md §4). Any member may be the source (chaining).
    fn may_fetch(&self, s: &AtomicState, m: MemberId, source: MemberId) -> bool {
        let mine = s.oplog_len(m);
        !s.is_primary(m)
            && s.oplog_len(source) > mine
            && s.entry_term(source, mine) == s.entry_term(m, mine)
    }

    /// Rollback (docs/protocol.md §7): a secondary whose source is further ahead and does not
    /// hold its oplog removes its last entry. MongoDB finds the common point and truncates
    /// to it at once; one entry per step reaches the same states in more steps.
    fn may_roll_back(&self, s: &AtomicState, m: MemberId, source: MemberId) -> bool {
        !s.is_primary(m)
            && rollback::must_roll_back(
                s.last_optime(m),
                s.last_optime(source),
                s.is_prefix(m, source),
            )
    }

    /// A primary commits its last entry when it is of its own term and a majority of
    /// voters hold it in that term (the own-term rule, docs/protocol.md §5). Any majority gives
    /// the same next state, so the step does not name one.
    fn may_commit(&self, s: &AtomicState, m: MemberId) -> bool {
        let position = s.oplog_len(m);
        let term = s.term[m.index()];
        s.is_primary(m)
            && position > 0
            && s.entry_term(m, position) == term
            && !s.is_committed(position, term)
            && self.quorum(self.holders_in_term(s, position, term))
    }

    /// Heartbeats carry terms: a member behind learns the newer term and, if primary,
    /// steps down (docs/protocol.md §3).
    fn may_learn_term(&self, s: &AtomicState, m: MemberId, from: MemberId) -> bool {
        s.term[from.index()] > s.term[m.index()]
    }

    /// The elections `candidate` can win now: one per majority of voters that can vote for
    /// it in its next term and that includes itself.
    fn elections(&self, s: &AtomicState, candidate: MemberId, out: &mut Vec<AtomicAction>) {
        if self.electable & bit(candidate) == 0 {
            return;
        }
        let term = Term(s.term[candidate.index()] + 1);
        let willing = self
            .members()
            .filter(|&v| self.is_voter(v) && self.can_vote(s, v, candidate, term))
            .fold(0u8, |acc, v| acc | bit(v));
        if willing & bit(candidate) == 0 {
            return;
        }
        // Every subset of the willing voters (largest first), kept if it is a majority
        // that includes the candidate.
        let mut subset = willing;
        loop {
            if subset & bit(candidate) != 0 && self.quorum(subset) {
                out.push(AtomicAction::BecomePrimary {
                    candidate,
                    voters: MemberSet::from_bits(subset.into()),
                });
            }
            if subset == 0 {
                break;
            }
            subset = (subset - 1) & willing;
        }
    }
}

impl Model for AtomicModel {
    type State = AtomicState;
    type Action = AtomicAction;

    /// Every member SECONDARY in term 0 with an empty oplog.
    fn init_states(&self) -> Vec<AtomicState> {
        // Slots beyond the set's members form a class of their own.
        let mut class = [u8::MAX; MAX_MEMBERS];
        let replset = &self.settings.replset;
        for m in self.members() {
            let first = replset
                .ids()
                .find(|&o| replset.member(o) == replset.member(m))
                .unwrap_or(m);
            class[m.index()] = first.0;
        }
        vec![AtomicState {
            class,
            term: [0; MAX_MEMBERS],
            primaries: 0,
            len: [0; MAX_MEMBERS],
            oplog: [[0; OPLOG_ROOM]; MAX_MEMBERS],
            committed: [0; OPLOG_ROOM],
        }]
    }

    /// The steps enabled in `s`. Steps that differ only in the member they read from and
    /// lead to the same state are offered once, naming the first such member: fetching
    /// the same entry, rolling back (which removes the last entry whatever the source)
    /// and learning the same term.
    fn actions(&self, s: &AtomicState, out: &mut Vec<AtomicAction>) {
        for m in self.members() {
            if self.may_write(s, m) {
                out.push(AtomicAction::ClientWrite(m));
            }
            let mut fetched = 0u32;
            let mut rolls_back = false;
            let mut learned = 0u32;
            for source in self.members() {
                if self.may_fetch(s, m, source) {
                    let entry = 1 << s.entry_term(source, s.oplog_len(m) + 1);
                    if fetched & entry == 0 {
                        fetched |= entry;
                        out.push(AtomicAction::FetchEntry { member: m, source });
                    }
                }
                if !rolls_back && self.may_roll_back(s, m, source) {
                    rolls_back = true;
                    out.push(AtomicAction::RollBackEntry { member: m, source });
                }
            }
            self.elections(s, m, out);
            if self.may_commit(s, m) {
                out.push(AtomicAction::AdvanceCommit(m));
            }
            for from in self.members() {
                let term = 1 << s.term[from.index()];
                if self.may_learn_term(s, m, from) && learned & term == 0 {
                    learned |= term;
                    out.push(AtomicAction::LearnTerm { member: m, from });
                }
            }
        }
    }

    fn next_state(&self, s: &AtomicState, action: AtomicAction) -> Option<AtomicState> {
        let mut n = *s;
        match action {
            AtomicAction::ClientWrite(m) => {
                let i = m.index();
                n.oplog[i][usize::from(n.len[i])] = n.term[i];
                n.len[i] += 1;
            }
            AtomicAction::FetchEntry { member, source } => {
                let (i, k) = (member.index(), usize::from(n.len[member.index()]));
                n.oplog[i][k] = s.oplog[source.index()][k];
                n.len[i] += 1;
            }
            AtomicAction::RollBackEntry { member, .. } => {
                let i = member.index();
                n.len[i] -= 1;
                n.oplog[i][usize::from(n.len[i])] = 0;
            }
            AtomicAction::BecomePrimary { candidate, voters } => {
                let term = s.term[candidate.index()] + 1;
                for v in voters.iter() {
                    n.term[v.index()] = term;
                    n.primaries &= !bit(v);
                }
                n.primaries |= bit(candidate);
            }
            AtomicAction::AdvanceCommit(m) => {
                let position = usize::from(s.len[m.index()]);
                n.committed[position - 1] |= 1 << s.term[m.index()];
            }
            AtomicAction::LearnTerm { member, from } => {
                n.term[member.index()] = s.term[from.index()];
                n.primaries &= !bit(member);
            }
        }
        Some(n)
    }

    fn properties(&self) -> Vec<stateright::Property<Self>> {
        super::stateright_properties()
    }

    /// The bounds: no term beyond `max_term`, no oplog longer than `max_oplog_len` (the
    /// TLA+ wrapper's state constraint). States beyond them are neither counted nor
    /// explored.
    fn within_boundary(&self, s: &AtomicState) -> bool {
        self.members().all(|m| {
            s.term(m) <= self.bounds.max_term && s.oplog_len(m) <= self.bounds.max_oplog_len
        })
    }

    fn format_action(&self, action: &AtomicAction) -> String {
        action.to_string()
    }

    fn format_step(&self, last_state: &AtomicState, action: AtomicAction) -> Option<String> {
        let next = self.next_state(last_state, action)?;
        Some(self.state_lines(&next).join("\n"))
    }
}

impl AtomicModel {
    /// One line per member and one for the committed entries.
    pub fn state_lines(&self, s: &AtomicState) -> Vec<String> {
        let mut lines: Vec<String> = self
            .members()
            .map(|m| {
                format!(
                    "{m} {:<9} term {}  oplog [{}]",
                    if s.is_primary(m) {
                        "PRIMARY"
                    } else {
                        "SECONDARY"
                    },
                    s.term(m),
                    entries(
                        s.oplog(m)
                            .iter()
                            .enumerate()
                            .map(|(k, &t)| (k as u8 + 1, t))
                    )
                )
            })
            .collect();
        lines.push(format!("committed [{}]", entries(s.committed())));
        lines
    }

    /// What a step did, in MongoDB's words.
    pub fn describe(&self, before: &AtomicState, action: AtomicAction) -> String {
        match action {
            AtomicAction::ClientWrite(m) => format!(
                "{m} (primary, term {}) writes a client entry at {}",
                before.term(m),
                OpTime::new(before.term[m.index()], before.oplog_len(m) + 1)
            ),
            AtomicAction::FetchEntry { member, source } => {
                let k = before.oplog_len(member) + 1;
                format!(
                    "{member} fetches entry {} from {source}",
                    OpTime::new(before.entry_term(source, k), k)
                )
            }
            AtomicAction::RollBackEntry { member, source } => format!(
                "{member} rolls back its last entry {}: {source}, further ahead at {}, does not hold its oplog",
                before.last_optime(member),
                before.last_optime(source)
            ),
            AtomicAction::BecomePrimary { candidate, voters } => format!(
                "{candidate} becomes primary in term {} with the votes of {voters}, who move to that term",
                before.term[candidate.index()] + 1
            ),
            AtomicAction::AdvanceCommit(m) => format!(
                "{m} (primary) commits its last entry {}: a majority holds it in term {}",
                before.last_optime(m),
                before.term(m)
            ),
            AtomicAction::LearnTerm { member, from } => format!(
                "{member} learns term {} from {from}{}",
                before.term(from),
                if before.is_primary(member) {
                    " and steps down"
                } else {
                    ""
                }
            ),
        }
    }
}

/// Entries as `(term,position)` optimes.
fn entries(list: impl Iterator<Item = (u8, u8)>) -> String {
    list.map(|(k, t)| OpTime::new(t, k).to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

impl fmt::Display for AtomicAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            AtomicAction::ClientWrite(m) => write!(f, "ClientWrite({m})"),
            AtomicAction::FetchEntry { member, source } => {
                write!(f, "FetchEntry({member} from {source})")
            }
            AtomicAction::RollBackEntry { member, source } => {
                write!(f, "RollBackEntry({member} against {source})")
            }
            AtomicAction::BecomePrimary { candidate, voters } => {
                write!(f, "BecomePrimary({candidate} with {voters})")
            }
            AtomicAction::AdvanceCommit(m) => write!(f, "AdvanceCommit({m})"),
            AtomicAction::LearnTerm { member, from } => {
                write!(f, "LearnTerm({member} from {from})")
            }
        }
    }
}

/// Symmetry: identically configured members are interchangeable, and a member's whole
/// state is its own (term, role, oplog); the committed entries name no member. Sorting
/// the members of each class by their state gives one canonical state per class of
/// renamings, exactly.
pub fn representative(s: &AtomicState) -> AtomicState {
    let key = |i: usize| {
        (
            s.class[i],
            s.term[i],
            s.primaries & (1 << i) != 0,
            s.len[i],
            s.oplog[i],
        )
    };
    // Members in canonical order, and the slots each class occupies, in the same order of
    // classes: the k-th member of the canonical order takes the k-th slot.
    let mut order: [usize; MAX_MEMBERS] = std::array::from_fn(|i| i);
    order.sort_unstable_by_key(|&i| key(i));
    let mut slots: [usize; MAX_MEMBERS] = std::array::from_fn(|i| i);
    slots.sort_unstable_by_key(|&i| (s.class[i], i));
    let mut r = *s;
    r.primaries = 0;
    for (&slot, &old) in slots.iter().zip(&order) {
        r.term[slot] = s.term[old];
        r.len[slot] = s.len[old];
        r.oplog[slot] = s.oplog[old];
        if s.primaries & (1 << old) != 0 {
            r.primaries |= 1 << slot;
        }
    }
    r
}

impl AtomicModel {
    /// A trace's story in one paragraph (`level::story_closing`): elections, client entries,
    /// commits, rollbacks and step-downs, then what the last state shows.
    pub fn story(
        &self,
        property: &Property<AtomicModel>,
        states: &[AtomicState],
        actions: &[AtomicAction],
    ) -> String {
        let sentences = actions
            .iter()
            .enumerate()
            .filter_map(|(i, &action)| {
                let before = &states[i];
                let event = match action {
                    AtomicAction::FetchEntry { .. } => return None,
                    AtomicAction::LearnTerm { member, .. } if !before.is_primary(member) => {
                        return None
                    }
                    AtomicAction::LearnTerm { member, from } => format!(
                        "{member} stepped down on learning term {} from {from}",
                        before.term(from)
                    ),
                    _ => self.describe(before, action),
                };
                Some(format!("At step {} {event}.", i + 1))
            })
            .collect();
        let last = states.last().expect("a trace has a state");
        crate::level::story_closing(
            &property.info,
            actions.len(),
            sentences,
            &property.explanation(self, last),
        )
    }
}

impl Level for AtomicModel {
    const NAME: &'static str = "atomic";

    fn build(settings: &Settings, spec: &LevelSpec) -> Self {
        let LevelSpec::Atomic(bounds) = *spec else {
            unreachable!("the atomic level is built from an atomic level spec")
        };
        AtomicModel::new(settings.clone(), bounds)
    }

    fn scenario(_settings: &Settings, spec: &LevelSpec) -> String {
        let LevelSpec::Atomic(bounds) = *spec else {
            unreachable!("the atomic level is described from an atomic level spec")
        };
        format!(
            "atomic steps (MongoStaticRaft), terms up to {}, oplogs up to {} entries",
            bounds.max_term, bounds.max_oplog_len
        )
    }

    const PROPERTIES: &'static [Property<Self>] = properties::PROPERTIES;

    fn representative(state: &AtomicState) -> AtomicState {
        representative(state)
    }

    fn describe(&self, before: &AtomicState, action: &AtomicAction, _: &AtomicState) -> String {
        AtomicModel::describe(self, before, *action)
    }

    fn state_lines(&self, state: &AtomicState) -> Vec<String> {
        AtomicModel::state_lines(self, state)
    }

    fn rows(&self, s: &AtomicState) -> StateRows {
        let optime = |(position, term): (u8, u8)| OpTime::new(term, position).to_string();
        StateRows {
            members: self
                .members()
                .map(|m| MemberRow {
                    member: m.to_string(),
                    state: if s.is_primary(m) {
                        MemberState::Primary
                    } else {
                        MemberState::Secondary
                    }
                    .to_string(),
                    term: s.term(m).0,
                    oplog: (1..=s.oplog_len(m))
                        .map(|k| optime((k, s.oplog(m)[usize::from(k - 1)])))
                        .collect(),
                    vote: None,
                    commit_point: None,
                    rolled_back: None,
                })
                .collect(),
            client: None,
            committed: Some(s.committed().map(optime).collect()),
        }
    }

    fn story(&self, property: &Property<Self>, trace: &Trace<Self>) -> String {
        AtomicModel::story(self, property, &trace.states, &trace.actions)
    }

    /// MongoStaticRaft's variables: state, term and oplog; no commit point, votes or
    /// client (`null` and empty), and every member is up.
    fn view(&self, s: &AtomicState) -> StateView {
        StateView {
            members: self
                .members()
                .map(|m| {
                    let config = self.settings.replset.member(m);
                    let oplog: Vec<EntryView> = (1..=s.oplog_len(m))
                        .map(|k| EntryView {
                            term: s.oplog(m)[usize::from(k - 1)].into(),
                            ts: k.into(),
                            write: 0,
                        })
                        .collect();
                    MemberView {
                        name: m.to_string(),
                        id: m.0.into(),
                        priority: config.priority,
                        votes: config.votes.into(),
                        arbiter: config.arbiter,
                        state: if s.is_primary(m) {
                            MemberState::Primary
                        } else {
                            MemberState::Secondary
                        }
                        .to_string(),
                        up: true,
                        term: s.term(m).0.into(),
                        last: oplog
                            .last()
                            .map_or(OpTimeView { term: 0, ts: 0 }, |e| OpTimeView {
                                term: e.term,
                                ts: e.ts,
                            }),
                        oplog,
                        commit_point: None,
                        last_vote: None,
                    }
                })
                .collect(),
            acknowledged: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::replset::MemberConfig;

    fn model(members: usize) -> AtomicModel {
        let settings = Settings::new(vec![MemberConfig::data_bearing(); members]);
        AtomicModel::new(
            settings,
            AtomicBounds {
                max_term: Term(3),
                max_oplog_len: 3,
            },
        )
    }

    fn run(model: &AtomicModel, steps: &[AtomicAction]) -> AtomicState {
        let mut s = model.init_states()[0];
        for &a in steps {
            let mut offered = Vec::new();
            model.actions(&s, &mut offered);
            assert!(offered.contains(&a), "{a} offered in {s:?}");
            s = model.next_state(&s, a).unwrap();
        }
        s
    }

    fn set(ids: &[u8]) -> MemberSet {
        let mut s = MemberSet::default();
        for &i in ids {
            s.insert(MemberId(i));
        }
        s
    }

    #[test]
    fn an_election_moves_every_voter_of_the_majority_to_the_new_term() {
        let m = model(3);
        let s = run(
            &m,
            &[AtomicAction::BecomePrimary {
                candidate: MemberId(0),
                voters: set(&[0, 1]),
            }],
        );
        assert!(s.is_primary(MemberId(0)));
        assert_eq!(s.term(MemberId(1)), Term(1));
        assert_eq!(s.term(MemberId(2)), Term(0));
        // n1 reached term 1 by voting: it cannot vote again in it, so n2 cannot win term 1
        // with it; with n0 at term 1 too, n2 has no majority for term 1.
        let mut offered = Vec::new();
        m.actions(&s, &mut offered);
        assert!(!offered.iter().any(|a| matches!(
            a,
            AtomicAction::BecomePrimary {
                candidate: MemberId(2),
                ..
            }
        )));
    }

    #[test]
    fn commit_needs_a_majority_in_the_primarys_term_and_rollback_a_newer_source() {
        let m = model(3);
        let elect = |c: u8, voters: &[u8]| AtomicAction::BecomePrimary {
            candidate: MemberId(c),
            voters: set(voters),
        };
        let s = run(
            &m,
            &[elect(0, &[0, 1]), AtomicAction::ClientWrite(MemberId(0))],
        );
        // Only n0 holds (1,1): no majority yet.
        let mut offered = Vec::new();
        m.actions(&s, &mut offered);
        assert!(!offered.contains(&AtomicAction::AdvanceCommit(MemberId(0))));
        let committed = run(
            &m,
            &[
                elect(0, &[0, 1]),
                AtomicAction::ClientWrite(MemberId(0)),
                AtomicAction::FetchEntry {
                    member: MemberId(1),
                    source: MemberId(0),
                },
                AtomicAction::AdvanceCommit(MemberId(0)),
            ],
        );
        assert_eq!(committed.committed().collect::<Vec<_>>(), vec![(1, 1)]);
        // n0's write (1,1) reached no one; n1 wins term 2 with n2 and writes (2,1). n0
        // learns term 2 and rolls (1,1) back against n1, which is ahead and lacks it.
        let diverged = run(
            &m,
            &[
                elect(0, &[0, 1]),
                AtomicAction::ClientWrite(MemberId(0)),
                elect(1, &[1, 2]),
                AtomicAction::ClientWrite(MemberId(1)),
                AtomicAction::LearnTerm {
                    member: MemberId(0),
                    from: MemberId(1),
                },
                AtomicAction::RollBackEntry {
                    member: MemberId(0),
                    source: MemberId(1),
                },
            ],
        );
        assert_eq!(diverged.oplog_len(MemberId(0)), 0);
    }

    #[test]
    fn a_state_is_one_small_block_of_plain_bytes() {
        // Fixed arrays and small integers only: cloning is a copy, hashing reads one block.
        assert_eq!(std::mem::size_of::<AtomicState>(), 112);
        fn is_copy<T: Copy>() {}
        is_copy::<AtomicState>();
    }

    #[test]
    fn representative_is_the_same_for_every_renaming() {
        let m = model(3);
        let elect = |c: u8, voters: &[u8]| AtomicAction::BecomePrimary {
            candidate: MemberId(c),
            voters: set(voters),
        };
        let a = run(
            &m,
            &[elect(0, &[0, 1]), AtomicAction::ClientWrite(MemberId(0))],
        );
        let b = run(
            &m,
            &[elect(2, &[2, 0]), AtomicAction::ClientWrite(MemberId(2))],
        );
        assert_ne!(a, b);
        assert_eq!(representative(&a), representative(&b));
        assert_eq!(representative(&representative(&a)), representative(&a));
    }

    #[test]
    fn members_of_different_configurations_are_not_renamed() {
        let mut settings = Settings::new(vec![MemberConfig::data_bearing(); 3]);
        settings.replset.members[2] = MemberConfig::data_bearing().with_priority(0.0);
        let m = AtomicModel::new(
            settings,
            AtomicBounds {
                max_term: Term(3),
                max_oplog_len: 3,
            },
        );
        let a = run(
            &m,
            &[AtomicAction::BecomePrimary {
                candidate: MemberId(0),
                voters: set(&[0, 2]),
            }],
        );
        let b = run(
            &m,
            &[AtomicAction::BecomePrimary {
                candidate: MemberId(1),
                voters: set(&[1, 2]),
            }],
        );
        let c = run(
            &m,
            &[AtomicAction::BecomePrimary {
                candidate: MemberId(0),
                voters: set(&[0, 1]),
            }],
        );
        assert_eq!(representative(&a), representative(&b));
        assert_ne!(representative(&a), representative(&c));
        // The priority-0 member never stands.
        let mut offered = Vec::new();
        m.actions(&m.init_states()[0], &mut offered);
        assert!(!offered.iter().any(|a| matches!(
            a,
            AtomicAction::BecomePrimary {
                candidate: MemberId(2),
                ..
            }
        )));
    }
}
