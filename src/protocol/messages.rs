//! The messages members and the client exchange, and the timers that stand for "some time
//! has passed" (docs/protocol.md §3-§5).
//!
//! Each message carries only what the real command or reply carries that the protocol
//! reads. Timers carry no member ids (docs/stateright.md defect 3: symmetry never rewrites
//! them).

use super::types::{Entry, MemberId, OpTime, Oplog, Position, Term, WriteId};

/// A message on the network.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Msg {
    /// `replSetRequestVotes` from a candidate standing in `term`, with its last optime.
    RequestVote { term: Term, last: OpTime },
    /// A granted vote, the reply to `replSetRequestVotes`. The model sends no refusals: a
    /// refusal only tells the candidate a newer term, which it also learns from the new
    /// primary's heartbeats and batches, and losing a refusal is always possible.
    Vote { term: Term },
    /// A member's heartbeat data that other members act on: its term, its commit point
    /// (`lastOpCommitted` in the reply's `$replData`, which every member sends:
    /// `TopologyCoordinator::prepareReplSetMetadata`) and whether it is primary.
    Heartbeat {
        term: Term,
        commit_point: OpTime,
        primary: bool,
    },
    /// The oplog fetcher's awaitData `getMore`: "entries after `last`". It waits at the
    /// member until that member is further ahead and holds `required` (a recovering
    /// member's `minValid`: `SyncSourceResolver` accepts only a sync source that has the
    /// `requiredOpTime`; the null optime otherwise). A newer query from the same fetcher to
    /// the same member replaces it (one cursor per connection).
    GetMore { last: OpTime, required: OpTime },
    /// The answer to a `getMore` after `from`: the source's oplog up to the batch's last
    /// entry, a batch that ends wherever the fetcher's size limit cut it (the fetcher
    /// checks that the entries after `from` start right after its own last entry, and
    /// applies them). A source that does not hold the fetcher's last entry sends its whole
    /// oplog, which stands for what the fetcher then reads of it: the common point, which
    /// `RollbackImpl` finds by reading the source's oplog. The reply's metadata gives the
    /// source's term and commit point.
    Batch {
        term: Term,
        from: OpTime,
        oplog: Oplog,
        commit_point: OpTime,
    },
    /// `replSetUpdatePosition`: `member` has applied up to `position.applied` and journaled
    /// up to `position.durable` (in `term`, the reporter's term). The fetcher sends it to
    /// its sync source; a secondary source forwards it up the chain; only the primary of
    /// that term records it.
    UpdatePosition {
        term: Term,
        member: MemberId,
        position: Position,
    },
    /// A client write (an insert with the model's write concern; a retryable write, so a
    /// retry of a write the primary already holds is not applied twice).
    Write { write: WriteId },
    /// The primary acknowledges a write whose write concern is satisfied: the entry it
    /// wrote.
    WriteAck { write: WriteId, entry: Entry },
    /// A new primary's `hello` reply as the client's driver sees it: "I am the writable
    /// primary", with its election id: the term under protocol version 1; under version 0
    /// the election time from the winner's clock (the `electionId` OID begins with the
    /// winner's wall-clock seconds).
    Hello { election_id: u8 },
    /// Protocol version 0, round 1: `replSetFresh` with the candidate's last optime.
    Fresh { last: OpTime },
    /// The answer to `replSetFresh`: the voter's last optime, whether it knows a fresher
    /// optime than the candidate's, and whether it vetoes the candidate.
    FreshReply {
        last: OpTime,
        fresher: bool,
        veto: bool,
    },
    /// Protocol version 0, round 2: `replSetElect`.
    Elect,
    /// The answer to `replSetElect`. Ghost, for `election_safety` only: `rival`, the
    /// member this voter had voted for within its current vote lease, if the lease was lost
    /// in a restart and the vote went to another member.
    ElectReply {
        ballot: Ballot,
        rival: Option<MemberId>,
    },
}

/// A voter's answer in pv0's elect round (`prepareElectResponse`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Ballot {
    /// "yea": all the voter's votes.
    Yea(u8),
    /// 0: the voter's lease is held for another candidate.
    No,
    /// -10000: the voter is or knows a primary, or knows a better candidate.
    Veto,
}

impl Ballot {
    /// The number `ElectCmdRunner` adds to its tally.
    pub fn votes(self) -> i16 {
        match self {
            Ballot::Yea(n) => i16::from(n),
            Ballot::No => 0,
            Ballot::Veto => -10000,
        }
    }
}

/// Timers: each may fire at any moment while set, which is how an untimed model says "a
/// timeout may expire now".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Timer {
    /// A secondary's election timeout: it has not heard from a primary and stands. Under
    /// protocol version 0 it also ends a freshness or elect round still waiting for
    /// answers.
    Election,
    /// A primary's liveness check fails (it cannot see a majority) or it is asked to step
    /// down.
    StepDown,
    /// A member in ROLLBACK finishes rolling back and goes RECOVERING.
    FinishRollback,
    /// An arbiter's heartbeats to the primary it knew go unanswered.
    PrimaryUnreachable,
    /// A data-bearing member's journal group commit: its volatile oplog tail becomes
    /// durable (set only while there is a tail and a crash could lose it).
    JournalFlush,
    /// Protocol version 0: the member is cut off: heartbeats between it and every other
    /// member fail, and each side sees the other DOWN.
    Isolate,
    /// Protocol version 0: the member's heartbeats get through again.
    Rejoin,
    /// Protocol version 0: 30 seconds pass after a vote; the vote lease expires.
    LeaseExpires,
    /// Protocol version 0: this member's clock moves ahead of the timestamps it has seen
    /// (wall time passing, or clock skew), within the model's budget of jumps.
    ClockJump,
}

impl Timer {
    /// Every timer, in order.
    pub const ALL: [Timer; 9] = [
        Timer::Election,
        Timer::StepDown,
        Timer::FinishRollback,
        Timer::PrimaryUnreachable,
        Timer::JournalFlush,
        Timer::Isolate,
        Timer::Rejoin,
        Timer::LeaseExpires,
        Timer::ClockJump,
    ];
}
