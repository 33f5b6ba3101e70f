//! replcheck: a model checker for MongoDB's replica-set protocol, on stateright.
//!
//! - [`protocol`]: the replica set as stateright actors, and its properties. It knows
//!   nothing of files or terminals.
//! - [`config`]: model files (TOML) and their validation.
//! - [`check`]: exhaustive exploration, verdicts and shortest counterexamples.
//! - [`report`]: everything that is printed.
//! - [`explorer`]: `serve`'s front, which guards stateright's Explorer and opens it at a
//!   trace (`serve --trace`).
//! - [`replay`]: `replcheck replay`, re-executing a trace file.
//! - [`bench`]: `replcheck bench`, the benchmark runs.
//! - [`cli`]: the command line.

pub mod bench;
pub mod check;
pub mod cli;
pub mod config;
pub mod error;
pub mod explorer;
pub mod protocol;
pub mod replay;
pub mod report;
pub mod search;
