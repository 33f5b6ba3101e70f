//! The actors of the model: every member of the replica set (`n0`, `n1`, ...) and, after
//! them, the client. stateright's `ActorModel` needs one actor type, so `Node` is either.

use super::client::{self, Client};
use super::member::{self, Ctx, Durable, Member};
use super::messages::{Msg, Timer};
use super::replset::Settings;
use super::types::MemberId;
use stateright::actor::{Actor, Id};
use std::borrow::Cow;
use std::sync::Arc;

/// The commands a handler emits (sends, timers, saves).
pub type Out = stateright::actor::Out<Node>;

/// An actor: a member or the client.
#[derive(Clone, Debug)]
pub enum Node {
    Member {
        id: MemberId,
        settings: Arc<Settings>,
    },
    Client {
        settings: Arc<Settings>,
    },
}

/// An actor's state.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum NodeState {
    Member(Member),
    Client(Client),
}

impl Node {
    /// The stateright actor id of a member.
    pub fn id_of(m: MemberId) -> Id {
        Id::from(m.index())
    }

    /// The client's actor id: it comes after the members.
    pub fn client_id(settings: &Settings) -> Id {
        Id::from(settings.replset.len())
    }
}

/// Runs a member handler on the member inside a node state, keeping the state borrowed
/// unless the handler writes.
fn with_member(state: &mut Cow<NodeState>, f: impl FnOnce(&mut Cow<Member>)) {
    let NodeState::Member(m) = &**state else {
        unreachable!("a member actor holds a member state")
    };
    let mut m = Cow::Borrowed(m);
    f(&mut m);
    if let Cow::Owned(m) = m {
        *state = Cow::Owned(NodeState::Member(m));
    }
}

fn with_client(state: &mut Cow<NodeState>, f: impl FnOnce(&mut Cow<Client>)) {
    let NodeState::Client(c) = &**state else {
        unreachable!("the client actor holds a client state")
    };
    let mut c = Cow::Borrowed(c);
    f(&mut c);
    if let Cow::Owned(c) = c {
        *state = Cow::Owned(NodeState::Client(c));
    }
}

impl Actor for Node {
    type Msg = Msg;
    type Timer = Timer;
    type State = NodeState;
    type Storage = Durable;
    type Random = ();

    fn on_start(&self, _id: Id, storage: &Option<Durable>, o: &mut Out) -> NodeState {
        match self {
            Node::Member { id, settings } => {
                let ctx = Ctx { id: *id, settings };
                NodeState::Member(member::on_start(ctx, storage.as_ref(), o))
            }
            Node::Client { .. } => NodeState::Client(client::on_start()),
        }
    }

    fn on_msg(&self, _id: Id, state: &mut Cow<NodeState>, src: Id, msg: Msg, o: &mut Out) {
        let src = MemberId(usize::from(src) as u8);
        match self {
            Node::Member { id, settings } => {
                let ctx = Ctx { id: *id, settings };
                with_member(state, |m| member::on_msg(ctx, m, src, msg, o));
            }
            Node::Client { settings } => with_client(state, |c| match msg {
                Msg::WriteAck { write, entry } => client::on_ack(settings, c, write, entry, o),
                Msg::Hello { election_id } => client::on_hello(settings, c, src, election_id, o),
                _ => {}
            }),
        }
    }

    fn on_timeout(&self, _id: Id, state: &mut Cow<NodeState>, timer: &Timer, o: &mut Out) {
        match self {
            Node::Member { id, settings } => {
                let ctx = Ctx { id: *id, settings };
                with_member(state, |m| member::on_timeout(ctx, m, *timer, o));
            }
            Node::Client { .. } => {}
        }
    }

    fn name(&self) -> String {
        match self {
            Node::Member { id, .. } => id.to_string(),
            Node::Client { .. } => "client".to_string(),
        }
    }
}
