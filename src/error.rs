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
    /// The environment failed replcheck: a file it could not write, a port it could not
    /// bind, a program it could not run.
    pub const ENVIRONMENT: i32 = 4;
}

/// Where in a model file a problem is: line and column, counted from 1 (columns in
/// characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

#[derive(Debug)]
pub enum Error {
    /// A model file that cannot be read.
    Unreadable { file: PathBuf, reason: String },
    /// A model file that is not valid TOML or breaks the schema or MongoDB's rules: where
    /// (unless the problem is the file as a whole) and what.
    Model {
        file: PathBuf,
        at: Option<Position>,
        reason: String,
    },
    /// A command line that names something that does not exist or makes no sense.
    Usage(String),
    /// The Explorer could not start.
    Serve { addr: String, reason: String },
    /// Something the environment refused: `action` ("write traces/x.json", "run ...")
    /// failed for `reason`.
    Io { action: String, reason: String },
    /// A trace file that cannot be read or is not a replcheck trace.
    Trace { file: PathBuf, reason: String },
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Unreadable { .. }
            | Error::Model { .. }
            | Error::Usage(_)
            | Error::Trace { .. } => exit::BAD_INPUT,
            Error::Serve { .. } | Error::Io { .. } => exit::ENVIRONMENT,
        }
    }

    /// A problem with the model file as a whole.
    pub fn model(file: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        Error::Model {
            file: file.into(),
            at: None,
            reason: reason.into(),
        }
    }

    /// A problem at a line and column of a model file.
    pub fn model_at(file: impl Into<PathBuf>, at: Position, reason: impl Into<String>) -> Self {
        Error::Model {
            file: file.into(),
            at: Some(at),
            reason: reason.into(),
        }
    }

    /// `action` failed in the environment.
    pub fn io(action: impl Into<String>, reason: impl fmt::Display) -> Self {
        Error::Io {
            action: action.into(),
            reason: reason.to_string(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Unreadable { file, reason } => {
                write!(f, "{}: cannot read model file: {reason}", file.display())
            }
            Error::Model {
                file,
                at: Some(at),
                reason,
            } => write!(
                f,
                "{}: line {}, column {}: {reason}",
                file.display(),
                at.line,
                at.column
            ),
            Error::Model {
                file,
                at: None,
                reason,
            } => write!(f, "{}: {reason}", file.display()),
            Error::Usage(reason) => write!(f, "{reason}"),
            Error::Serve { addr, reason } => {
                write!(f, "cannot serve the Explorer on {addr}: {reason}")
            }
            Error::Io { action, reason } => write!(f, "cannot {action}: {reason}"),
            Error::Trace { file, reason } => write!(f, "{}: {reason}", file.display()),
        }
    }
}

impl std::error::Error for Error {}
