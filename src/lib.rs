//! replcheck: a model checker for MongoDB's replica-set protocol, on stateright.
//!
//! - [`protocol`]: MongoDB's rules and the handlers of its actors. It knows nothing of
//!   levels, files or terminals.
//! - [`level`]: the levels a replica set is checked at (the actor level, the atomic level),
//!   each in its own folder with its model, properties, narration, symmetry and trace
//!   encodings, and the [`level::Level`] trait they share.
//! - [`config`]: model files (TOML) and their validation.
//! - [`user_properties`]: the properties a model file defines, in CEL over the state's
//!   view.
//! - [`check`]: exhaustive exploration, verdicts, shortest counterexamples, and a
//!   breadth-first helper for embedders.
//! - [`search`]: the exhaustive search itself.
//! - [`report`]: everything that is printed, for any level.
//! - [`explorer`]: `serve`'s front, which guards stateright's Explorer and opens it at a
//!   trace (`serve --trace`).
//! - [`replay`]: `replcheck replay`, re-executing a trace file.
//! - [`bench`]: `replcheck bench`, the benchmark runs.
//! - [`cli`]: the command line.
//! - [`sys`]: what the operating system reports (memory, processor).
//! - [`text`]: text layout shared by the reports and the levels.

pub mod bench;
pub mod check;
pub mod cli;
pub mod config;
pub mod error;
pub mod explorer;
pub mod level;
pub mod protocol;
pub mod replay;
pub mod report;
pub mod search;
pub mod sys;
pub mod text;
pub mod user_properties;

/// The README's Rust examples, compiled and run as tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
