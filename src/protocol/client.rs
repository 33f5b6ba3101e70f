//! The application: one client that issues the model's writes one after another with the
//! model's write concern, and records every acknowledgement (PROTOCOL.md §5, §10).
//!
//! A client of a plain replica set must find the primary itself (seed 000). It sends each
//! write to the member it believes is primary (at first `n0`, later the member that
//! acknowledged its last write). When the write is refused or goes unanswered, its retry
//! timer fires and it tries the other members: driver server selection after a network
//! error or `NotWritablePrimary`. Writes are retryable: a member that already holds a
//! write does not apply it twice.

use super::messages::{Msg, Timer};
use super::node::{Node, Out};
use super::replset::Settings;
use super::types::{MemberId, OpTime, WriteId};
use stateright::actor::model_timeout;
use std::borrow::Cow;

/// The client's state: the member it believes is primary and the optime of every
/// acknowledged write, in order (write `k` is outstanding while `acked.len() == k`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Client {
    pub primary: MemberId,
    pub acked: Vec<OpTime>,
}

impl Client {
    /// The write the client is waiting on, if it has not finished.
    pub fn outstanding(&self, settings: &Settings) -> Option<WriteId> {
        let next = u8::try_from(self.acked.len()).expect("fewer than 256 writes");
        (next < settings.writes).then_some(WriteId(next))
    }
}

fn data_bearing(settings: &Settings) -> impl Iterator<Item = MemberId> + '_ {
    settings
        .replset
        .ids()
        .filter(|&m| settings.replset.member(m).is_data_bearing())
}

/// Sends the outstanding write to the member believed to be primary, and arms the retry.
fn send_write(settings: &Settings, c: &Client, o: &mut Out) {
    if let Some(write) = c.outstanding(settings) {
        o.send(Node::id_of(c.primary), Msg::Write { write });
        o.set_timer(Timer::ClientRetry, model_timeout());
    }
}

/// The client starts and sends its first write to the first data-bearing member.
pub fn on_start(settings: &Settings, o: &mut Out) -> Client {
    let c = Client {
        primary: data_bearing(settings).next().unwrap_or(MemberId(0)),
        acked: Vec::new(),
    };
    send_write(settings, &c, o);
    c
}

/// The write was refused or went unanswered: the client tries every other data-bearing
/// member. The timer stays set, since the retries may fail too.
pub fn on_retry(settings: &Settings, c: &mut Cow<Client>, o: &mut Out) {
    let Some(write) = c.outstanding(settings) else {
        return;
    };
    for m in data_bearing(settings).filter(|&m| m != c.primary) {
        o.send(Node::id_of(m), Msg::Write { write });
    }
    o.set_timer(Timer::ClientRetry, model_timeout());
}

/// The client records the acknowledgement of its outstanding write, believes the member
/// that acknowledged it is primary, and sends the next write there.
pub fn on_ack(
    settings: &Settings,
    c: &mut Cow<Client>,
    primary: MemberId,
    write: WriteId,
    optime: OpTime,
    o: &mut Out,
) {
    if c.outstanding(settings) != Some(write) {
        return;
    }
    let c = c.to_mut();
    c.acked.push(optime);
    c.primary = primary;
    if c.outstanding(settings).is_none() {
        o.cancel_timer(Timer::ClientRetry);
    }
    send_write(settings, c, o);
}
