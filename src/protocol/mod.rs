//! The replica-set protocol (protocol versions 1 and 0) as stateright actors. This module knows nothing of files
//! or terminals: it takes `Settings` and gives a `ReplicaSetModel`.

pub mod atomic;
pub mod client;
pub mod election;
pub mod journal;
pub mod member;
pub mod messages;
pub mod model;
pub mod narrate;
pub mod network;
pub mod node;
pub mod properties;
pub mod pv0;
pub mod quorum;
pub mod replication;
pub mod replset;
pub mod rollback;
pub mod symmetry;
pub mod types;
pub mod version;
pub mod writes;

pub use model::{Action, ReplicaSetModel, State};
pub use replset::{MemberConfig, ReplicaSetConfig, Settings};
