//! The messages members and the client exchange, and the timers that stand for "some time
//! has passed" (PROTOCOL.md §3-§5).
//!
//! Each message carries only what the real command or reply carries that the protocol
//! reads. Timers carry no member ids (STATERIGHT.md defect 3: symmetry never rewrites
//! them).

use super::types::{MemberId, OpTime, Oplog, Position, Term, WriteId};

/// A message on the network.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Msg {
    /// `replSetRequestVotes` from a candidate standing in `term`, with its last optime.
    RequestVote { term: Term, last: OpTime },
    /// A granted vote, the reply to `replSetRequestVotes`. The model sends no refusals: a
    /// refusal only tells the candidate a newer term, which it also learns from the new
    /// primary's heartbeats and batches, and losing a refusal is always possible.
    Vote { term: Term },
    /// The primary's heartbeat data that other members act on: its term and its commit
    /// point (`lastOpCommitted` in the heartbeat response).
    Heartbeat { term: Term, commit_point: OpTime },
    /// The oplog fetcher's awaitData `getMore`: "entries after `last`". It waits at the
    /// member until that member is further ahead. A newer query from the same fetcher to
    /// the same member replaces it (one cursor per connection).
    GetMore { last: OpTime },
    /// The answer to a `getMore` after `from`: the source's oplog (the fetcher checks that
    /// it starts with its own last entry and, if not, finds the common point in it), with
    /// the source's term and commit point from the reply's metadata.
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
    /// The primary acknowledges a write whose write concern is satisfied.
    WriteAck { write: WriteId, optime: OpTime },
    /// A new primary's `hello` reply as the client's driver sees it: "I am the writable
    /// primary", with its term as the election id.
    Hello { term: Term },
}

/// Timers: each may fire at any moment while set, which is how an untimed model says "a
/// timeout may expire now".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Timer {
    /// A secondary's election timeout: it has not heard from a primary and stands.
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
}
