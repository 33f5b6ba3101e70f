//! The vocabulary of the replica-set protocol: members, terms, optimes, oplog entries,
//! member states and write concerns, in MongoDB's words.
//!
//! Everything here is part of the checked state, so it is small, `Copy` where possible,
//! and derives `Hash`/`Eq` (never hand-written) so that two states compare exactly.

use std::fmt;

/// A member's position in the replica-set configuration: `n0`, `n1`, ...
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct MemberId(pub u8);

impl MemberId {
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

impl fmt::Display for MemberId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "n{}", self.0)
    }
}

/// An election term (pv1). Term 0 is the term before any election.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Term(pub u8);

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// An optime, ordered as MongoDB's `OpTime` is: by term, then by timestamp. Under protocol
/// version 1 the model stamps each entry with its position in the oplog (1-based), the
/// stand-in for the timestamp that orders entries within a term. Under protocol version 0
/// there are no terms (the term is always 0, MongoDB's -1) and `ts` is the timestamp the
/// writing primary took from its own clock (docs/protocol.md §8). `(0,0)` is the null optime.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct OpTime {
    pub term: Term,
    pub ts: u8,
}

impl OpTime {
    pub const NULL: OpTime = OpTime {
        term: Term(0),
        ts: 0,
    };

    pub fn new(term: u8, ts: u8) -> Self {
        OpTime {
            term: Term(term),
            ts,
        }
    }

    pub fn is_null(self) -> bool {
        self.ts == 0
    }
}

impl fmt::Display for OpTime {
    /// `(term,ts)` under protocol version 1; `(ts N)` for the term-less optimes of
    /// protocol version 0 (no pv1 entry has term 0).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.term == Term(0) && self.ts != 0 {
            write!(f, "(ts {})", self.ts)
        } else {
            write!(f, "({},{})", self.term, self.ts)
        }
    }
}

/// What a primary knows of one member's progress (`replSetUpdatePosition`): its last
/// applied optime and its last durable (journaled) optime (docs/protocol.md §5, §6).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Position {
    pub applied: OpTime,
    pub durable: OpTime,
}

impl Position {
    /// The optime this position counts for: durable when durability is asked for.
    pub fn at(self, durable: bool) -> OpTime {
        if durable {
            self.durable
        } else {
            self.applied
        }
    }

    /// Whether `other` tells anything this position does not.
    pub fn is_behind(self, other: Position) -> bool {
        other.applied > self.applied || other.durable > self.durable
    }

    /// The newer of each optime.
    pub fn merge(self, other: Position) -> Position {
        Position {
            applied: self.applied.max(other.applied),
            durable: self.durable.max(other.durable),
        }
    }
}

/// The client's writes are numbered from 0 in the state and from 1 in traces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct WriteId(pub u8);

impl fmt::Display for WriteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "write {}", u16::from(self.0) + 1)
    }
}

/// What an oplog entry does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Op {
    /// The "initiating set" no-op `rs.initiate` writes (protocol version 0 only, where a
    /// new primary writes no entry of its own: every member starts with it).
    Initiate,
    /// The "new primary" no-op a member writes when it wins an election (docs/protocol.md §3).
    NewPrimary(MemberId),
    /// A client write.
    Write(WriteId),
}

/// One oplog entry. Under protocol version 0 two primaries may stamp the same timestamp;
/// MongoDB tells such entries apart by their random hash `h`. The model's `h` is the
/// number of the election that made the writing primary (0 for entries no primary wrote,
/// and always 0 under protocol version 1, where the term does this job): two entries are
/// the same entry only if optime, `h` and operation all agree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Entry {
    pub optime: OpTime,
    pub h: u8,
    pub op: Op,
}

impl Entry {
    /// The client write this entry holds, if any.
    pub fn write(&self) -> Option<WriteId> {
        match self.op {
            Op::Write(w) => Some(w),
            _ => None,
        }
    }
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.op {
            Op::Initiate => write!(f, "{}i", self.optime)?,
            Op::NewPrimary(_) => write!(f, "{}", self.optime)?,
            Op::Write(w) => write!(f, "{}w{}", self.optime, u16::from(w.0) + 1)?,
        }
        // Under protocol version 0, which primary wrote it (the election that made it).
        if self.h != 0 {
            write!(f, "/e{}", self.h)?;
        }
        Ok(())
    }
}

/// A member's oplog: entries at positions 1, 2, ... in order.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Oplog(Vec<Entry>);

impl Oplog {
    pub fn new() -> Self {
        Oplog(Vec::new())
    }

    pub fn entries(&self) -> &[Entry] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The optime of the last entry, or the null optime for an empty oplog.
    pub fn last_optime(&self) -> OpTime {
        self.0.last().map_or(OpTime::NULL, |e| e.optime)
    }

    /// The entry at a 1-based position.
    pub fn at(&self, position: u8) -> Option<&Entry> {
        usize::from(position)
            .checked_sub(1)
            .and_then(|i| self.0.get(i))
    }

    /// The 1-based position of the entry with this optime (optimes rise strictly along one
    /// oplog, so there is at most one); 0 for the null optime.
    pub fn position_of(&self, optime: OpTime) -> Option<u8> {
        if optime.is_null() {
            return Some(0);
        }
        self.0
            .iter()
            .position(|e| e.optime == optime)
            .map(|i| u8::try_from(i + 1).expect("oplog positions fit in u8"))
    }

    /// Whether this oplog holds an entry with exactly this optime (the null optime is
    /// held by every oplog: it is the point before the first entry).
    pub fn contains_optime(&self, optime: OpTime) -> bool {
        self.position_of(optime).is_some()
    }

    pub fn contains(&self, entry: &Entry) -> bool {
        self.0.contains(entry)
    }

    /// The entry holding a given client write, if any.
    pub fn find_write(&self, write: WriteId) -> Option<&Entry> {
        self.0.iter().find(|e| e.op == Op::Write(write))
    }

    /// Appends an entry stamped `optime` by the primary of election `h`.
    pub fn append(&mut self, optime: OpTime, h: u8, op: Op) -> OpTime {
        self.push(Entry { optime, h, op });
        optime
    }

    /// The optime the next entry gets under protocol version 1: the primary's term and the
    /// next position.
    pub fn next_optime(&self, term: Term) -> OpTime {
        OpTime {
            term,
            ts: u8::try_from(self.0.len() + 1).expect("oplog longer than 255 entries"),
        }
    }

    /// The optime of the entry at a 1-based position, or the null optime at position 0.
    pub fn optime_at(&self, position: u8) -> OpTime {
        self.at(position).map_or(OpTime::NULL, |e| e.optime)
    }

    /// The first `len` entries.
    pub fn prefix(&self, len: u8) -> Oplog {
        Oplog(self.0[..usize::from(len).min(self.0.len())].to_vec())
    }

    /// The entries after a position.
    pub fn after(&self, position: u8) -> &[Entry] {
        self.0.get(usize::from(position)..).unwrap_or(&[])
    }

    /// Removes every entry after a position and returns them.
    pub fn truncate_after(&mut self, position: u8) -> Vec<Entry> {
        self.0.split_off(usize::from(position).min(self.0.len()))
    }

    pub fn push(&mut self, entry: Entry) {
        debug_assert!(
            entry.optime > self.last_optime(),
            "optimes rise along an oplog"
        );
        self.0.push(entry);
    }
}

impl FromIterator<Entry> for Oplog {
    fn from_iter<I: IntoIterator<Item = Entry>>(iter: I) -> Self {
        Oplog(iter.into_iter().collect())
    }
}

impl fmt::Display for Oplog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[")?;
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                write!(f, " ")?;
            }
            write!(f, "{e}")?;
        }
        write!(f, "]")
    }
}

/// Member states as MongoDB reports them in `rs.status()` (docs/protocol.md §2). DOWN is how the
/// others see a crashed member.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum MemberState {
    Primary,
    Secondary,
    Arbiter,
    Rollback,
    Recovering,
    Down,
}

impl fmt::Display for MemberState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MemberState::Primary => "PRIMARY",
            MemberState::Secondary => "SECONDARY",
            MemberState::Arbiter => "ARBITER",
            MemberState::Rollback => "ROLLBACK",
            MemberState::Recovering => "RECOVERING",
            MemberState::Down => "DOWN",
        })
    }
}

/// The write concern's `w` (docs/protocol.md §5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum WriteConcern {
    /// Acknowledged once this many data-bearing members have applied the write.
    Nodes(u8),
    /// Acknowledged once the write is majority-committed.
    Majority,
}

impl fmt::Display for WriteConcern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteConcern::Nodes(n) => write!(f, "w:{n}"),
            WriteConcern::Majority => write!(f, "w:majority"),
        }
    }
}

/// A set of members as a bit set (at most 64 members in a model).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct MemberSet(u64);

impl MemberSet {
    /// The set whose members are the set bits of `bits` (bit `i`: member `i`).
    pub fn from_bits(bits: u64) -> Self {
        MemberSet(bits)
    }

    pub fn single(id: MemberId) -> Self {
        MemberSet(1 << id.0)
    }

    pub fn insert(&mut self, id: MemberId) {
        self.0 |= 1 << id.0;
    }

    pub fn contains(self, id: MemberId) -> bool {
        self.0 & (1 << id.0) != 0
    }

    pub fn iter(self) -> impl Iterator<Item = MemberId> {
        (0..64u8)
            .filter(move |i| self.0 & (1 << i) != 0)
            .map(MemberId)
    }
}

impl fmt::Display for MemberSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self.iter().map(|m| m.to_string()).collect();
        f.write_str(&names.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optimes_order_by_term_then_timestamp() {
        assert!(OpTime::new(2, 1) > OpTime::new(1, 5));
        assert!(OpTime::new(1, 3) > OpTime::new(1, 2));
        assert!(OpTime::NULL < OpTime::new(1, 1));
    }

    #[test]
    fn oplog_positions_are_one_based() {
        let mut log = Oplog::new();
        log.append(log.next_optime(Term(1)), 0, Op::NewPrimary(MemberId(0)));
        let w = log.append(log.next_optime(Term(1)), 0, Op::Write(WriteId(0)));
        assert_eq!(w, OpTime::new(1, 2));
        assert_eq!(log.at(2).unwrap().optime, w);
        assert!(log.contains_optime(OpTime::NULL));
        assert!(!log.contains_optime(OpTime::new(2, 2)));
        assert_eq!(log.after(1).len(), 1);
        let removed = log.truncate_after(1);
        assert_eq!(removed.len(), 1);
        assert_eq!(log.last_optime(), OpTime::new(1, 1));
    }
}
