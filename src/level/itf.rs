//! What a level writes of its states in the Informal Trace Format (ITF) of Apalache and
//! Quint: its variables, and each state as one value per variable, with the value forms
//! ITF reads (`report::itf` writes the document around them).

use super::Level;
use crate::protocol::types::{Entry, MemberId, Op, OpTime};
use serde_json::{json, Map, Value};

/// A level whose states can be written as ITF values.
pub trait Itf: Level {
    /// The variable names, in order.
    fn itf_vars(&self) -> Vec<&'static str>;
    /// One state as an object with one field per variable (no "#meta").
    fn itf_state(&self, state: &Self::State) -> Map<String, Value>;
}

/// An integer: `{"#bigint": "N"}`.
pub fn int(n: impl Into<i64>) -> Value {
    json!({ "#bigint": n.into().to_string() })
}

/// A set: `{"#set": [...]}`, its elements sorted and without repeats.
pub fn set(items: impl IntoIterator<Item = Value>) -> Value {
    let mut items: Vec<Value> = items.into_iter().collect();
    items.sort_by_cached_key(Value::to_string);
    items.dedup();
    json!({ "#set": items })
}

/// A tuple: `{"#tup": [...]}`.
pub fn tuple(items: impl IntoIterator<Item = Value>) -> Value {
    json!({ "#tup": items.into_iter().collect::<Vec<_>>() })
}

/// A function: `{"#map": [[key, value], ...]}`.
pub fn map(pairs: impl IntoIterator<Item = (Value, Value)>) -> Value {
    let pairs: Vec<Value> = pairs.into_iter().map(|(k, v)| json!([k, v])).collect();
    json!({ "#map": pairs })
}

/// A function of the members, keyed by their names.
pub fn per_member<T>(
    members: impl IntoIterator<Item = T>,
    f: impl Fn(&T) -> (MemberId, Value),
) -> Value {
    map(members.into_iter().map(|m| {
        let (id, v) = f(&m);
        (Value::String(id.to_string()), v)
    }))
}

/// An optime as the record `{term, ts}`.
pub fn optime(o: OpTime) -> Value {
    json!({ "term": int(o.term.0), "ts": int(o.ts) })
}

/// What an oplog entry does, in a few words.
pub fn op(op: Op) -> String {
    match op {
        Op::Initiate => "initiate".to_string(),
        Op::NewPrimary(m) => format!("noop {m}"),
        Op::Write(w) => w.to_string(),
    }
}

/// An oplog entry as the record `{term, ts, op}`; under protocol version 0 also `h`, the
/// election that made the primary that wrote it (`Entry::h`).
pub fn entry(e: &Entry, pv0: bool) -> Value {
    let mut r = json!({ "term": int(e.optime.term.0), "ts": int(e.optime.ts), "op": op(e.op) });
    if pv0 {
        r["h"] = int(e.h);
    }
    r
}
