//! One error type for everything a user can get wrong or the machine can refuse, each
//! variant with a clear message and its exit code.

use std::fmt;
use std::path::PathBuf;

/// The process exit codes (README: "Exit codes").
pub mod exit {
    /// Every expectation met.
    pub const OK: i32 = 0;
    /// Some expectation not met.
    pub const EXPECTATION_FAILED: i32 = 1;
    /// Bad input or usage.
    pub const BAD_INPUT: i32 = 2;
    /// Some run was cut short before it was complete.
    pub const INCOMPLETE: i32 = 3;
}

#[derive(Debug)]
pub enum Error {
    /// A model file that cannot be read.
    Unreadable { file: PathBuf, reason: String },
    /// A model file that is not valid TOML or breaks the schema or MongoDB's rules.
    Model { file: PathBuf, reason: String },
    /// A command line that names something that does not exist or makes no sense.
    Usage(String),
    /// The Explorer could not start.
    Serve { addr: String, reason: String },
    /// Output could not be written.
    Output { what: String, reason: String },
    /// A trace file that cannot be read or is not a replcheck trace.
    Trace { file: PathBuf, reason: String },
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Unreadable { .. }
            | Error::Model { .. }
            | Error::Usage(_)
            | Error::Serve { .. }
            | Error::Trace { .. } => exit::BAD_INPUT,
            Error::Output { .. } => exit::BAD_INPUT,
        }
    }

    pub fn model(file: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        Error::Model {
            file: file.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Unreadable { file, reason } => {
                write!(f, "{}: cannot read model file: {reason}", file.display())
            }
            Error::Model { file, reason } => write!(f, "{}: {reason}", file.display()),
            Error::Usage(reason) => write!(f, "{reason}"),
            Error::Serve { addr, reason } => {
                write!(f, "cannot serve the Explorer on {addr}: {reason}")
            }
            Error::Output { what, reason } => write!(f, "cannot write {what}: {reason}"),
            Error::Trace { file, reason } => write!(f, "{}: {reason}", file.display()),
        }
    }
}

impl std::error::Error for Error {}
