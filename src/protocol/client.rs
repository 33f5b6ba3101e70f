//! The application: one client that issues the model's writes one after another with the
//! model's write concern, and records every acknowledgement (docs/protocol.md §5, §10).
//!
//! A client of a plain replica set must find the primary itself (seed 000): its driver
//! monitors the members, and a member that becomes primary says so in its `hello` reply,
//! with its election id (here, its term). The client sends each write to the member it
//! believes is primary. When that write is refused (the member is no longer primary) or
//! cut off (the member crashed or stepped down before answering), the client retries it
//! as soon as it learns of a newer primary: a retryable write, so a member that already
//! holds it does not apply it twice. Like drivers, the client ignores a primary older
//! than the newest it has seen (`electionId` comparison in server discovery).

use super::messages::Msg;
use super::node::{Node, Out};
use super::replset::Settings;
use super::types::{Entry, MemberId, WriteId};
use std::borrow::Cow;

/// The client's state: the primary it believes in (with that primary's election id), and
/// the entry of every acknowledged write, in order (write `k` is outstanding while
/// `acked.len() == k`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Client {
    pub primary: Option<(MemberId, u8)>,
    pub acked: Vec<Entry>,
}

impl Client {
    /// The write the client is waiting on, if it has not finished.
    pub fn outstanding(&self, settings: &Settings) -> Option<WriteId> {
        let next = u8::try_from(self.acked.len()).expect("fewer than 256 writes");
        (next < settings.writes).then_some(WriteId(next))
    }

    /// Whether a `hello` from `member`, primary with `election_id`, is news the client
    /// acts on: it is newer than the primary it knows, and the client still has a write to
    /// send. Under protocol version 0 election ids are the winners' clock readings, which
    /// may tie; the `electionId` OIDs then differ in parts that order them arbitrarily, so
    /// the client may take either.
    pub fn is_newer_primary(&self, settings: &Settings, member: MemberId, election_id: u8) -> bool {
        self.outstanding(settings).is_some()
            && self.primary.is_none_or(|(known_member, known)| {
                election_id > known
                    || (settings.is_pv0() && election_id == known && member != known_member)
            })
    }
}

/// Sends the outstanding write, if any, to the believed primary.
fn send_write(settings: &Settings, c: &Client, o: &mut Out) {
    if let (Some(write), Some((primary, _))) = (c.outstanding(settings), c.primary) {
        o.send(Node::id_of(primary), Msg::Write { write });
    }
}

/// The client starts knowing no primary yet.
pub fn on_start() -> Client {
    Client {
        primary: None,
        acked: Vec::new(),
    }
}

/// A member says it is primary, newer than the one the client knows: the client believes
/// it and sends (or retries) its outstanding write there.
pub fn on_hello(
    settings: &Settings,
    c: &mut Cow<Client>,
    member: MemberId,
    election_id: u8,
    o: &mut Out,
) {
    if !c.is_newer_primary(settings, member, election_id) {
        return;
    }
    let c = c.to_mut();
    c.primary = Some((member, election_id));
    send_write(settings, c, o);
}

/// The client records the acknowledgement of its outstanding write and sends the next
/// write to the same primary. Once it has no write left it stops tracking the primary:
/// nothing it would do depends on it any more, so finished clients are one state.
pub fn on_ack(settings: &Settings, c: &mut Cow<Client>, write: WriteId, entry: Entry, o: &mut Out) {
    if c.outstanding(settings) != Some(write) {
        return;
    }
    let c = c.to_mut();
    c.acked.push(entry);
    if c.outstanding(settings).is_none() {
        c.primary = None;
    }
    send_write(settings, c, o);
}
