//! MongoDB's replica-set protocol (protocol versions 1 and 0): its vocabulary, its rules
//! and the handlers of its actors (the members and the client), as stateright actors.
//! This module knows nothing of levels, files, reports or terminals: the levels
//! (`crate::level`) build on it.

pub mod client;
pub mod election;
pub mod journal;
pub mod member;
pub mod messages;
pub mod node;
pub mod pv0;
pub mod quorum;
pub mod replication;
pub mod replset;
pub mod rollback;
pub mod types;
pub mod version;
pub mod writes;

pub use replset::{MemberConfig, ReplicaSetConfig, Settings};
