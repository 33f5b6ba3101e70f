//! The replica-set configuration and the settings of one model: who the members are,
//! the client's workload, the faults allowed and the bounds of exploration.
//!
//! Validation follows what `rs.initiate` accepts today (docs/protocol.md §1; MongoDB's
//! `repl_set_config_checks.cpp` and `member_config.cpp`).

use super::types::{MemberId, OpTime, Position, Term, WriteConcern};
use super::version::{MongoVersion, Rules};
use std::fmt;

/// MongoDB's limits (docs/protocol.md §1).
pub const MAX_MEMBERS: usize = 50;
pub const MAX_VOTING_MEMBERS: usize = 7;
/// The highest priority MongoDB accepts.
pub const MAX_PRIORITY: f64 = 1000.0;

/// One member's configuration (`members[i]` in `rs.conf()`).
#[derive(Clone, Debug, PartialEq)]
pub struct MemberConfig {
    pub votes: u8,
    pub priority: f64,
    pub arbiter: bool,
}

impl MemberConfig {
    pub fn data_bearing() -> Self {
        MemberConfig {
            votes: 1,
            priority: 1.0,
            arbiter: false,
        }
    }

    pub fn arbiter() -> Self {
        MemberConfig {
            votes: 1,
            priority: 0.0,
            arbiter: true,
        }
    }

    pub fn with_priority(self, priority: f64) -> Self {
        MemberConfig { priority, ..self }
    }

    pub fn with_votes(self, votes: u8) -> Self {
        MemberConfig { votes, ..self }
    }

    pub fn is_voter(&self) -> bool {
        self.votes > 0
    }

    pub fn is_data_bearing(&self) -> bool {
        !self.arbiter
    }

    /// Whether the member may ever stand for election: data-bearing, priority > 0 and
    /// voting (tc.cpp `_getMyUnelectableReason`; a non-voter must have priority 0).
    pub fn is_electable(&self) -> bool {
        !self.arbiter && self.priority > 0.0 && self.votes > 0
    }
}

/// The replica-set configuration: the members, in order `n0, n1, ...`.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplicaSetConfig {
    pub members: Vec<MemberConfig>,
}

/// Why a configuration is not one MongoDB would accept.
#[derive(Clone, Debug, PartialEq)]
pub enum ConfigError {
    NoMembers,
    TooManyMembers(usize),
    TooManyVoters(usize),
    VotesOutOfRange { member: MemberId, votes: u8 },
    NonVoterWithPriority { member: MemberId },
    ArbiterVotes { member: MemberId, votes: u8 },
    ArbiterPriority { member: MemberId },
    PriorityOutOfRange { member: MemberId },
    NoVoters,
    NoElectable,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::NoMembers => write!(f, "the replica set has no members"),
            ConfigError::TooManyMembers(n) => write!(
                f,
                "the replica set has {n} members; MongoDB allows at most {MAX_MEMBERS}"
            ),
            ConfigError::TooManyVoters(n) => write!(
                f,
                "the replica set has {n} voting members; MongoDB allows at most {MAX_VOTING_MEMBERS}"
            ),
            ConfigError::VotesOutOfRange { member, votes } => write!(
                f,
                "member {member} has votes = {votes}; under protocol version 1 votes is 0 or 1"
            ),
            ConfigError::NonVoterWithPriority { member } => write!(
                f,
                "member {member} has votes = 0 but priority > 0; a non-voting member must have priority 0"
            ),
            ConfigError::ArbiterVotes { member, votes } => write!(
                f,
                "arbiter {member} has votes = {votes}; an arbiter has exactly 1 vote"
            ),
            ConfigError::ArbiterPriority { member } => write!(
                f,
                "arbiter {member} has a priority other than 0; an arbiter never stands for election"
            ),
            ConfigError::PriorityOutOfRange { member } => write!(
                f,
                "member {member} has a priority outside 0..={MAX_PRIORITY}"
            ),
            ConfigError::NoVoters => write!(f, "the replica set has no voting members"),
            ConfigError::NoElectable => write!(
                f,
                "no member could ever be primary: MongoDB requires at least one data-bearing (non-arbiter) member with priority > 0"
            ),
        }
    }
}

impl ReplicaSetConfig {
    pub fn new(members: Vec<MemberConfig>) -> Self {
        ReplicaSetConfig { members }
    }

    /// The index of the first member configured exactly like `id`: members of the same
    /// class are interchangeable (the protocol treats members by configuration only).
    pub fn class_of(&self, id: MemberId) -> u8 {
        let me = &self.members[id.index()];
        let first = self
            .members
            .iter()
            .position(|c| c == me)
            .expect("id is a member");
        u8::try_from(first).expect("at most 50 members")
    }

    /// The checks `rs.initiate` applies (docs/protocol.md §1): under protocol version 1 a
    /// member has 0 or 1 votes; protocol version 0 as the seeds describe it (before
    /// MongoDB 3.0 deprecated it) lets a member carry several.
    pub fn validate(&self, protocol: Protocol) -> Result<(), ConfigError> {
        if self.members.is_empty() {
            return Err(ConfigError::NoMembers);
        }
        if self.members.len() > MAX_MEMBERS {
            return Err(ConfigError::TooManyMembers(self.members.len()));
        }
        for (member, m) in self.ids().zip(&self.members) {
            if m.arbiter {
                if m.votes != 1 {
                    return Err(ConfigError::ArbiterVotes {
                        member,
                        votes: m.votes,
                    });
                }
                if m.priority != 0.0 {
                    return Err(ConfigError::ArbiterPriority { member });
                }
            }
            if m.votes > 1 && protocol == Protocol::Pv1 {
                return Err(ConfigError::VotesOutOfRange {
                    member,
                    votes: m.votes,
                });
            }
            if !(0.0..=MAX_PRIORITY).contains(&m.priority) {
                return Err(ConfigError::PriorityOutOfRange { member });
            }
            if m.votes == 0 && m.priority > 0.0 {
                return Err(ConfigError::NonVoterWithPriority { member });
            }
        }
        let voters = self.members.iter().filter(|m| m.is_voter()).count();
        if voters == 0 {
            return Err(ConfigError::NoVoters);
        }
        if voters > MAX_VOTING_MEMBERS {
            return Err(ConfigError::TooManyVoters(voters));
        }
        // `ReplSetConfig::validate`: "Replica set configuration must contain at least one
        // non-arbiter member with priority > 0".
        if !self.members.iter().any(MemberConfig::is_electable) {
            return Err(ConfigError::NoElectable);
        }
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    pub fn ids(&self) -> impl Iterator<Item = MemberId> + '_ {
        (0..self.members.len()).map(|i| MemberId(i as u8))
    }

    pub fn member(&self, id: MemberId) -> &MemberConfig {
        &self.members[id.index()]
    }

    pub fn data_bearing_count(&self) -> usize {
        self.members.iter().filter(|m| m.is_data_bearing()).count()
    }

    /// A short picture of the set: P for electable, S for priority 0, N for non-voting,
    /// A for arbiter (e.g. "PPA").
    pub fn shape(&self) -> String {
        self.members
            .iter()
            .map(|m| match (m.arbiter, m.votes, m.priority > 0.0) {
                (true, _, _) => 'A',
                (false, 0, _) => 'N',
                (false, _, true) => 'P',
                (false, _, false) => 'S',
            })
            .collect()
    }
}

/// The replica-set protocol version (`protocolVersion` in the configuration).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// Protocol version 1 (MongoDB 3.2 and later): terms, Raft-like elections
    /// (docs/protocol.md §3).
    Pv1,
    /// Protocol version 0 (before 3.2, removed in 4.0): no terms, timestamps from each
    /// primary's clock, freshness and elect rounds with vetoes, a vote lease kept in
    /// memory (docs/protocol.md §8).
    Pv0,
}

/// What only protocol version 0 needs (docs/protocol.md §8, `[pv0]` in a model file).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pv0Settings {
    /// The untimed "10 seconds": a member is electable only if its last timestamp is at
    /// most this many timestamp ticks behind the freshest it knows of. A tick is one
    /// entry, one election or one clock jump.
    pub freshness_window: u8,
    /// Exploration stops at states after this many elections held, won or lost (a member
    /// standing; pv0's stand-in for `max_term`, which bounds pv1's attempts the same way).
    pub max_elections: u8,
    /// How many times in all a member's clock may jump ahead of the others (wall time
    /// passing at one member, or clock skew).
    pub max_clock_jumps: u8,
    /// How many members may be cut off from the others' heartbeats at once.
    pub max_isolated: u8,
}

impl Default for Pv0Settings {
    fn default() -> Self {
        Pv0Settings {
            freshness_window: 2,
            max_elections: 2,
            max_clock_jumps: 2,
            max_isolated: 1,
        }
    }
}

/// Everything one model fixes: the release whose rules it follows, the set, the client's
/// workload, the faults and the bounds.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// The MongoDB release (`mongodb_version`), and the rules it implies.
    version: MongoVersion,
    rules: Rules,
    pub protocol: Protocol,
    /// Used only under protocol version 0.
    pub pv0: Pv0Settings,
    pub replset: ReplicaSetConfig,
    /// Client writes issued in all (0 allowed).
    pub writes: u8,
    pub write_concern: WriteConcern,
    /// The write concern's `j`: every member counted by `w` must have journaled the write.
    pub j: bool,
    /// `writeConcernMajorityJournalDefault`: the commit point counts durable positions
    /// (true, MongoDB's default) or applied ones (false).
    pub wc_majority_journal_default: bool,
    /// How many members may be down at the same time.
    pub max_crashes: usize,
    /// How many crashes may happen in one execution, if bounded (a bound like `max_term`:
    /// verdicts hold for executions with at most this many crashes).
    pub crash_budget: Option<u8>,
    /// Whether a crash can lose a volatile oplog tail (journaling as a step of its own); if
    /// not, every entry is journaled as it is written.
    pub journal_lag: bool,
    /// Whether the network may lose messages (it always may delay and reorder them).
    pub message_loss: bool,
    /// Whether each loss is a step of its own (stateright's lossy network, a `Drop` step
    /// per message in flight). Off by default: every message may be delayed forever, and
    /// a lost message is one never delivered, so explicit losses reach no member, client
    /// or history state that delay does not (tests/scenarios.rs pins this) and only
    /// multiply the states by what is still in flight. With it off, `message_loss`
    /// changes no state count; it records the assumption.
    pub loss_steps: bool,
    /// Whether a crashed member stays down for steps of its own. Off by default under
    /// protocol version 1 (a reduction, REPORT.md "Soundness"): a crash and the restart
    /// are one step, and the time a member spends down is explored as time in which it
    /// restarted but hears nothing and does nothing, which the network's delays and the
    /// untimed timers already allow. Under protocol version 1 no other member, nor the
    /// client, can tell the two apart: they learn of a member only through its messages.
    /// Under protocol version 0 the others' heartbeat views see a member that is down
    /// (`pv0::refresh_views`), so a crashed member always stays down for steps of its own.
    pub downtime_steps: bool,
    /// `settings.chainingAllowed`: whether a secondary may sync from another secondary.
    pub chaining_allowed: bool,
    /// A reduction that removes behaviours: a sync source answers a `getMore` with every
    /// entry it has after the fetcher's position, in one batch, instead of with a batch
    /// that may end after any of them (MongoDB's batches are bounded in size; RaftMongo.tla's
    /// `AppendOplog` appends any prefix). Off by default (`batches = "whole"` in a model
    /// file): it hides the interleavings in which a fetcher is part-way through what its
    /// source had (REPORT.md, "Batches").
    pub whole_batches: bool,
    /// Exploration stops at states where some member's term exceeds this bound.
    pub max_term: Term,
    /// The safety mechanisms in force (all of them, unless a bug variant is asked for).
    pub variant: Variant,
}

/// Bug variants: each field switches one of MongoDB's safety mechanisms on or off, so
/// that the checker can be shown to catch what the mechanism prevents (`models/bugs/`).
/// The default is MongoDB's protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Variant {
    /// A primary advances the commit point only to an entry of its own term.
    pub own_term_commit_rule: bool,
    /// The vote (`local.replset.election`) survives a restart.
    pub durable_vote: bool,
    /// Arbiters may stand for election (MongoDB: never).
    pub arbiters_may_stand: bool,
    /// Priority-0 members may stand for election (MongoDB: never).
    pub unelectable_may_stand: bool,
    /// A member learns a commit point from heartbeats only in the term of its last entry.
    pub commit_point_term_check: bool,
    /// The fetcher checks that a batch starts with its own last entry.
    pub fetch_consistency_check: bool,
}

impl Variant {
    /// The `[variant]` keys of a model file, in the order of `Variant::values`: the one
    /// table of them that model files and reports use.
    pub const KEYS: [&'static str; 6] = [
        "own_term_commit_rule",
        "durable_vote",
        "arbiters_may_stand",
        "unelectable_may_stand",
        "commit_point_term_check",
        "fetch_consistency_check",
    ];

    /// Each mechanism's setting, in the order of `KEYS`.
    pub fn values(&self) -> [bool; 6] {
        [
            self.own_term_commit_rule,
            self.durable_vote,
            self.arbiters_may_stand,
            self.unelectable_may_stand,
            self.commit_point_term_check,
            self.fetch_consistency_check,
        ]
    }

    /// The variant with each mechanism set as `values` says, in the order of `KEYS`.
    pub fn from_values(values: [bool; 6]) -> Variant {
        let [own_term_commit_rule, durable_vote, arbiters_may_stand, unelectable_may_stand, commit_point_term_check, fetch_consistency_check] =
            values;
        Variant {
            own_term_commit_rule,
            durable_vote,
            arbiters_may_stand,
            unelectable_may_stand,
            commit_point_term_check,
            fetch_consistency_check,
        }
    }

    /// The keys this variant sets away from MongoDB's behaviour, with their values.
    pub fn changes(&self) -> Vec<(&'static str, bool)> {
        let mongodb = Variant::default().values();
        Variant::KEYS
            .iter()
            .zip(self.values())
            .zip(mongodb)
            .filter(|((_, set), default)| set != default)
            .map(|((key, set), _)| (*key, set))
            .collect()
    }
}

impl Default for Variant {
    fn default() -> Self {
        Variant {
            own_term_commit_rule: true,
            durable_vote: true,
            arbiters_may_stand: false,
            unelectable_may_stand: false,
            commit_point_term_check: true,
            fetch_consistency_check: true,
        }
    }
}

impl Settings {
    pub fn is_pv0(&self) -> bool {
        self.protocol == Protocol::Pv0
    }

    /// Whether a crash and the restart are one step (`downtime_steps`).
    pub fn restarts_at_once(&self) -> bool {
        !self.downtime_steps && !self.is_pv0()
    }

    pub fn version(&self) -> MongoVersion {
        self.version
    }

    /// The rules of the release the model follows.
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// Follows the rules of another release.
    pub fn set_version(&mut self, version: MongoVersion) {
        self.version = version;
        self.rules = Rules::of(version);
    }

    /// Whether a data-bearing member learns a commit point from a heartbeat only when it
    /// is in the term of its own last entry (`Rules::heartbeat_term_check`; the bug variant
    /// `commit_point_term_check = false` gives any release the rule of the releases before
    /// SERVER-27123).
    pub fn commit_point_term_check(&self) -> bool {
        self.variant.commit_point_term_check && self.rules.heartbeat_term_check
    }

    /// Whether journaling is a step of its own. A volatile tail is lost only in a crash;
    /// where no member may crash (or a model asks for `journal_lag = false`), the model
    /// journals every entry as it is written, which at most lets durable positions be
    /// reported sooner (README, "Journaling").
    pub fn journal_lags(&self) -> bool {
        self.max_crashes > 0 && self.journal_lag
    }

    /// Whether a primary ever reads members' applied positions: for the commit point when
    /// `writeConcernMajorityJournalDefault` is false, and for `w:N` without `j`.
    pub fn reads_applied(&self) -> bool {
        !self.wc_majority_journal_default
            || (matches!(self.write_concern, WriteConcern::Nodes(_)) && !self.j)
    }

    /// Whether a primary ever reads members' durable positions: for the commit point when
    /// `writeConcernMajorityJournalDefault` is true, and for any write concern with `j`.
    pub fn reads_durable(&self) -> bool {
        self.wc_majority_journal_default || self.j
    }

    /// A member's position as its reports carry it: only what a primary will read, the
    /// rest left null, so that reports and a primary's knowledge differ only where it
    /// matters.
    pub fn reported(&self, position: Position) -> Position {
        Position {
            applied: if self.reads_applied() {
                position.applied
            } else {
                OpTime::NULL
            },
            durable: if self.reads_durable() {
                position.durable
            } else {
                OpTime::NULL
            },
        }
    }

    /// A set of `members` with the defaults of a model file: no writes, w:majority, no
    /// faults, terms up to 3.
    pub fn new(members: Vec<MemberConfig>) -> Self {
        Settings {
            version: MongoVersion::NEWEST,
            rules: Rules::of(MongoVersion::NEWEST),
            protocol: Protocol::Pv1,
            pv0: Pv0Settings::default(),
            replset: ReplicaSetConfig::new(members),
            writes: 0,
            write_concern: WriteConcern::Majority,
            j: false,
            wc_majority_journal_default: true,
            max_crashes: 0,
            crash_budget: None,
            journal_lag: true,
            message_loss: false,
            loss_steps: false,
            downtime_steps: false,
            chaining_allowed: true,
            whole_batches: false,
            max_term: Term(3),
            variant: Variant::default(),
        }
    }
}
