//! The command line: `check`, `serve`, `bench` and `list`. No protocol logic lives here.

use crate::bench;
use crate::check::{self, Options};
use crate::config::{self, Granularity, ModelSpec};
use crate::error::{exit, Error};
use crate::protocol::atomic::AtomicModel;
use crate::protocol::model::ReplicaSetModel;
use crate::report;
use clap::{Parser, Subcommand, ValueEnum};
use stateright::Model;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

/// A model checker for MongoDB's replica-set protocol: elections, replication, commit
/// point, write concerns, crashes and rollback, explored exhaustively.
#[derive(Debug, Parser)]
#[command(name = "replcheck", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Explore models exhaustively and compare every property with its expectation.
    ///
    /// Exit codes: 0 every expectation met; 1 some expectation not met; 2 bad input or
    /// usage; 3 some run was cut short before it was complete.
    Check {
        /// Model files (default: every models/*.toml and models/bugs/*.toml).
        files: Vec<PathBuf>,
        /// Checker threads (default: the machine's cores).
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
        threads: Option<u16>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Explore every state, without symmetry reduction (identically configured
        /// members are otherwise treated as interchangeable).
        #[arg(long)]
        no_symmetry: bool,
        /// Stop each run after generating N states; properties it has not settled by
        /// then are inconclusive, and the exit code is 3.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        max_states: Option<u64>,
    },
    /// Open a model in stateright's Explorer, a web page to step through its behaviours.
    Serve {
        /// The model file.
        file: PathBuf,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:3000")]
        addr: SocketAddr,
        /// Checker threads for "Run to completion" (default: the machine's cores).
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
        threads: Option<u16>,
    },
    /// Measure the checker on the benchmark models (models/bench/ and the largest bundled
    /// models), each in a fresh process, and print a Markdown table: unique states, states
    /// generated per second, seconds, peak memory and threads. Run it from the repository
    /// root, on a release build and an otherwise idle machine.
    Bench {
        /// Thread counts to run every benchmark with (default: 1 and the machine's cores).
        #[arg(long, value_delimiter = ',', value_parser = clap::value_parser!(u16).range(1..=256))]
        threads: Vec<u16>,
        /// Only the benchmarks whose name contains this text.
        #[arg(long)]
        only: Option<String>,
        /// Also the heavy benchmarks (5 members, terms up to 4: minutes each).
        #[arg(long)]
        all: bool,
    },
    /// List models with their descriptions and expectations.
    List {
        /// Model files (default: every models/*.toml and models/bugs/*.toml).
        files: Vec<PathBuf>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// The bundled models: every `models/*.toml`, then every `models/bugs/*.toml` (the bug
/// variants the checker must catch), each in name order.
fn bundled_models() -> Result<Vec<PathBuf>, Error> {
    let mut files = Vec::new();
    for dir in ["models", "models/bugs"] {
        let entries = std::fs::read_dir(dir).map_err(|e| {
            Error::Usage(format!(
                "no model files given and cannot read the {dir}/ directory ({e}); run from the repository root or name model files"
            ))
        })?;
        let mut found: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        found.sort();
        files.extend(found);
    }
    if files.is_empty() {
        return Err(Error::Usage("models/ holds no .toml model files".into()));
    }
    Ok(files)
}

fn load_all(files: Vec<PathBuf>) -> Result<Vec<ModelSpec>, Error> {
    let files = if files.is_empty() {
        bundled_models()?
    } else {
        files
    };
    files.iter().map(|f| config::load(f)).collect()
}

fn threads(requested: Option<u16>) -> usize {
    requested.map(usize::from).unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    })
}

fn output_error(e: std::io::Error) -> Error {
    Error::Output {
        what: "the report".into(),
        reason: e.to_string(),
    }
}

/// Runs a command and returns the exit code.
pub fn run(cli: Cli) -> Result<i32, Error> {
    match cli.command {
        Command::Check {
            files,
            threads: requested,
            format,
            no_symmetry,
            max_states,
        } => {
            let specs = load_all(files)?;
            let options = Options {
                threads: threads(requested),
                symmetry: !no_symmetry,
                max_states: max_states.map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
            };
            let results: Vec<_> = specs.iter().map(|s| check::check(s, options)).collect();
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            match format {
                Format::Text => report::text(&results, options.threads, &mut out)
                    .and_then(|()| report::peak_memory_line(bench::peak_memory_bytes(), &mut out)),
                Format::Json => report::json(&results, bench::peak_memory_bytes(), &mut out),
            }
            .and_then(|()| out.flush())
            .map_err(output_error)?;
            Ok(report::exit_code(&results))
        }
        Command::Bench { threads, only, all } => {
            let benchmarks = bench::select(only.as_deref(), all);
            if benchmarks.is_empty() {
                return Err(Error::Usage(format!(
                    "no benchmark's name contains \"{}\"; benchmarks: {}",
                    only.unwrap_or_default(),
                    bench::BENCHMARKS
                        .iter()
                        .map(|b| b.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            let mut counts: Vec<usize> = threads.into_iter().map(usize::from).collect();
            if counts.is_empty() {
                counts = vec![1, self::threads(None)];
            }
            counts.dedup();
            let exe = std::env::current_exe()
                .map_err(|e| Error::Usage(format!("cannot find replcheck's executable: {e}")))?;
            let root = std::env::current_dir()
                .map_err(|e| Error::Usage(format!("cannot read the current directory: {e}")))?;
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            report::bench_header(&bench::machine(), &mut out).map_err(output_error)?;
            let mut measured = Vec::new();
            for b in benchmarks {
                for &t in &counts {
                    let m = bench::measure(&exe, &root, b, t)?;
                    report::bench_row(&m, &mut out)
                        .and_then(|()| out.flush())
                        .map_err(output_error)?;
                    measured.push(m);
                }
            }
            report::bench_footer(&measured, &mut out).map_err(output_error)?;
            let all_ok = measured.iter().all(|m| m.ok);
            Ok(if all_ok {
                exit::OK
            } else {
                exit::EXPECTATION_FAILED
            })
        }
        Command::List { files } => {
            let specs = load_all(files)?;
            let stdout = std::io::stdout();
            report::list(&specs, &mut stdout.lock()).map_err(output_error)?;
            Ok(exit::OK)
        }
        Command::Serve {
            file,
            addr,
            threads: requested,
        } => {
            let spec = config::load(&file)?;
            // Bind once to report a busy or forbidden address clearly; the Explorer binds
            // again right after.
            drop(std::net::TcpListener::bind(addr).map_err(|e| Error::Serve {
                addr: addr.to_string(),
                reason: e.to_string(),
            })?);
            eprintln!(
                "Explorer for {} ({}) on http://{addr}/ — press Ctrl-C to stop",
                spec.name,
                file.display()
            );
            let threads = threads(requested);
            match spec.granularity {
                Granularity::Actor => {
                    ReplicaSetModel::new(spec.settings)
                        .checker()
                        .threads(threads)
                        .serve(addr);
                }
                Granularity::Atomic(bounds) => {
                    AtomicModel::new(spec.settings, bounds)
                        .checker()
                        .threads(threads)
                        .serve(addr);
                }
            }
            Ok(exit::OK)
        }
    }
}
