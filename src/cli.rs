//! The command line: `check`, `replay`, `serve`, `bench`, `report` and `list`. No protocol logic lives here.

use crate::bench;
use crate::check::{self, Options};
use crate::config::{self, ModelSpec};
use crate::error::{exit, Error};
use crate::explorer;
use crate::level::{self, Level};
use crate::replay;
use crate::report;
use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

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
        /// The order of exploration. `probe` (the default) goes breadth-first for its
        /// first seconds (`--probe-seconds`) while a level of the search holds at most
        /// 262,144 states, so that a violation
        /// a few steps away is found first and with its shortest trace, then depth-first;
        /// `depth-first` keeps only fingerprints and stacks; `breadth-first` goes level
        /// by level to the end.
        #[arg(long, value_enum, default_value_t = SearchOrder::Probe)]
        order: SearchOrder,
        /// How long the probe goes breadth-first before it turns depth-first (`--order
        /// probe`).
        #[arg(long, value_name = "SECS", default_value_t = 3.0, value_parser = non_negative_number)]
        probe_seconds: f64,
        /// Stop each run after generating N states; properties it has not settled by
        /// then are inconclusive, and the exit code is 3.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        max_states: Option<u64>,
        /// Check states up to D steps from the initial state and expand none further;
        /// if that leaves states unexplored, undecided properties are inconclusive and
        /// the exit code is 3.
        #[arg(long, value_name = "D", value_parser = clap::value_parser!(u32))]
        max_depth: Option<u32>,
        /// Stop each run (exploration and trace search) after SECS seconds; properties
        /// it has not settled by then are inconclusive, and the exit code is 3.
        #[arg(long, value_name = "SECS", value_parser = positive_number)]
        timeout: Option<f64>,
        /// Stop a run when the process's resident memory reaches GIB gibibytes, as
        /// inconclusive (exit code 3), before the system runs out (default: half of the
        /// memory available when replcheck starts; the report's first line gives it).
        #[arg(long, value_name = "GIB", value_parser = positive_number)]
        max_memory: Option<f64>,
        /// Show every member's whole state after each step of a trace, not only what
        /// the step changed.
        #[arg(long)]
        full_states: bool,
        /// Draw each trace as a diagram after its steps (text output).
        #[arg(long, value_enum, value_name = "KIND")]
        diagram: Option<Diagram>,
        /// Write every trace to DIR as <model>.<property>.json (for `replay` and
        /// `serve --trace`) and <model>.<property>.itf.json (Informal Trace Format, for
        /// Quint's and Apalache's tools).
        #[arg(long, value_name = "DIR")]
        trace_dir: Option<PathBuf>,
        /// Write a JUnit XML report to FILE: one test case per model and property.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
        /// Ask a question rather than gate: judge only the expectations the file states in
        /// `[expect]`; every other property's outcome is reported as the answer, and a
        /// violation or an unreachable witness does not fail the run (exit code 0 once
        /// the run is complete, 3 if it was cut short). CI gates run without it.
        #[arg(long)]
        explore: bool,
        /// Show the shortest trace that reaches this sometimes-property whenever it is
        /// reachable, as counterexamples are shown (repeat it, or separate names with
        /// commas, for several).
        #[arg(long, value_name = "PROPERTY", value_delimiter = ',')]
        witness: Vec<String>,
    },
    /// Re-execute a trace file written by `check --trace-dir` against the model it was
    /// written from (which the trace carries), and confirm step by step that it reaches
    /// the violation it records.
    ///
    /// Exit codes: 0 it reproduces; 1 it does not; 2 bad input.
    Replay {
        /// The trace file (<model>.<property>.json).
        file: PathBuf,
        /// Replay against this model file, which must be the one the trace was written
        /// from (by default: the model the trace carries).
        #[arg(long, value_name = "MODEL")]
        model: Option<PathBuf>,
    },
    /// Open a model in stateright's Explorer, a web page to step through its behaviours.
    Serve {
        /// The model file.
        file: PathBuf,
        /// Address to listen on (loopback only by default; port 0 picks a free port, and
        /// the address printed is the one bound).
        #[arg(long, default_value = "127.0.0.1:3000")]
        addr: SocketAddr,
        /// Checker threads for "Run to completion" (default: the machine's cores).
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
        threads: Option<u16>,
        /// Open the Explorer at this trace (a file written by `check --trace-dir` for
        /// this model file), after replaying it to make sure it still holds.
        #[arg(long, value_name = "TRACEFILE")]
        trace: Option<PathBuf>,
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
        /// Also the heavy benchmarks (5 members, terms up to 4, the realistic set of
        /// models/bench/realistic/: minutes each).
        #[arg(long)]
        all: bool,
        /// Also run every benchmark with this other replcheck executable (for instance
        /// one built from an earlier commit), side by side, and give the ratio.
        #[arg(long, value_name = "BINARY")]
        against: Option<PathBuf>,
        /// Stop each run after SECS seconds (it is then reported as inconclusive).
        #[arg(long, value_name = "SECS", value_parser = positive_number)]
        timeout: Option<f64>,
        /// The search order of this binary's runs (`check --order`; default: its
        /// default, the probe). The binary given to `--against` runs with its own
        /// default: `--order depth-first` compares the depth-first engines of two
        /// versions when the other searched depth-first only.
        #[arg(long, value_enum)]
        order: Option<SearchOrder>,
    },
    /// Run the bundled models and rewrite REPORT.md: the machine and commit, every
    /// model's configuration, states, seconds and verdicts, every bug model's
    /// counterexample with its story and Mermaid diagram, and the benchmark table if one
    /// is given. The hand-written part of the file (from its marker line on) is kept.
    ///
    /// Exit codes as for `check`.
    Report {
        /// The file to rewrite.
        #[arg(long, default_value = "REPORT.md")]
        output: PathBuf,
        /// A benchmark table (`replcheck bench > FILE`) to include.
        #[arg(long, value_name = "FILE")]
        bench: Option<PathBuf>,
        /// Checker threads (default: the machine's cores).
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
        threads: Option<u16>,
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SearchOrder {
    /// Breadth-first while levels are small, then depth-first.
    Probe,
    /// Depth-first from the start.
    DepthFirst,
    /// Breadth-first to the end.
    BreadthFirst,
}

impl SearchOrder {
    fn order(self, probe: Duration) -> crate::search::Order {
        match self {
            SearchOrder::Probe => crate::search::Order::probe(probe),
            SearchOrder::DepthFirst => crate::search::Order::DepthFirst,
            SearchOrder::BreadthFirst => crate::search::Order::BreadthFirst,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Diagram {
    /// A Mermaid sequence diagram (renders on GitHub inside a ```mermaid block).
    Mermaid,
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

/// The question a `check` run asks of a model: `--explore` and `--witness` applied to
/// what its file expects.
fn ask(spec: ModelSpec, explore: bool, witnesses: &[String]) -> Result<ModelSpec, Error> {
    let file = spec.file.clone();
    let mut spec = if explore { spec.explore() } else { spec };
    for name in witnesses {
        spec = spec
            .witness(name)
            .map_err(|reason| Error::model(&file, reason))?;
    }
    Ok(spec)
}

fn load_all(files: Vec<PathBuf>) -> Result<Vec<ModelSpec>, Error> {
    let files = if files.is_empty() {
        bundled_models()?
    } else {
        files
    };
    files.iter().map(|f| config::load(f)).collect()
}

/// A number of seconds or gibibytes: finite and above zero, and no more than a year's
/// seconds (which `Duration` can hold).
fn positive_number(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 && x <= 3.2e7 => Ok(x),
        Ok(_) => Err("must be a number above 0 and at most 32000000".into()),
        Err(_) => Err(format!("\"{text}\" is not a number")),
    }
}

fn non_negative_number(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() && (0.0..=3.2e7).contains(&x) => Ok(x),
        Ok(_) => Err("must be a number from 0 to 32000000".into()),
        Err(_) => Err(format!("\"{text}\" is not a number")),
    }
}

/// The memory ceiling in bytes: the user's, or half of what the system has available
/// now (so that a run too big for the machine stops as inconclusive while the rest of
/// the machine stays usable).
fn memory_limit(gib: Option<f64>) -> Option<u64> {
    match gib {
        Some(gib) => Some((gib * (1u64 << 30) as f64) as u64),
        None => crate::sys::available_bytes()
            .map(|free| crate::sys::resident_bytes().unwrap_or(0) + free / 2),
    }
}

fn threads(requested: Option<u16>) -> usize {
    requested.map(usize::from).unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    })
}

/// Starts stateright's Explorer for the model `make` builds, on `at` and a thread of its
/// own, and returns the thread and the front's test of whether a path of the Explorer's
/// exists in the model (on a second model `make` builds).
fn start_explorer<M>(
    make: impl Fn() -> M,
    threads: usize,
    at: SocketAddr,
) -> (std::thread::JoinHandle<()>, Box<explorer::PathExists>)
where
    M: Level,
{
    let model = make();
    let stateright = std::thread::spawn(move || {
        model.checker().threads(threads).serve(at);
    });
    let model = make();
    (
        stateright,
        Box::new(move |path: &[usize]| path_exists(&model, path)),
    )
}

/// Whether `path` (an initial state's index, then an action's index per step) leads to a
/// state of `model`, replayed as the Explorer replays it: an action that changes nothing
/// leaves the state as it was.
fn path_exists<M: Level>(model: &M, path: &[usize]) -> bool {
    let Some((&init, steps)) = path.split_first() else {
        return true;
    };
    level::follow(model, init, steps, level::Disabled::Stay).is_ok()
}

/// The commit the working tree is at, and whether it has changes on top other than
/// REPORT.md ("unknown" outside a git checkout).
fn commit() -> String {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    match git(&["rev-parse", "--short", "HEAD"]) {
        // REPORT.md itself is left out: it is the file being rewritten.
        Some(hash) => match git(&[
            "status",
            "--porcelain",
            "--untracked-files=no",
            "--",
            ".",
            ":!REPORT.md",
        ]) {
            Some(changes) if !changes.is_empty() => format!("{hash} (with uncommitted changes)"),
            _ => hash,
        },
        None => "unknown".to_string(),
    }
}

/// The live progress line on a terminal's stderr: rewritten in place, cleared when the
/// run is done.
fn progress_line(p: &check::Progress) {
    let mut err = std::io::stderr().lock();
    // Errors writing progress are not worth stopping a run for.
    let _ = if p.done {
        write!(err, "\r\x1b[2K")
    } else {
        let rate = if p.seconds > 0.0 {
            p.states as f64 / p.seconds
        } else {
            0.0
        };
        write!(
            err,
            "\r\x1b[2K{}: {} states, {} unique, {:.0} states/s, depth {}, {:.0} s",
            p.model, p.states, p.unique_states, rate, p.max_depth, p.seconds
        )
    };
    let _ = err.flush();
}

/// The property and Explorer path of a trace file written for `model_file`, once it has
/// replayed.
fn trace_start(
    model_file: &std::path::Path,
    trace: &std::path::Path,
) -> Result<(String, String), Error> {
    let replayed = replay::replay(trace, Some(model_file))?;
    let same = |a: &std::path::Path, b: &std::path::Path| match (a.canonicalize(), b.canonicalize())
    {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    };
    // A trace that carries its model was checked against this file's text by replay.
    if !replayed.carries_model && !same(&replayed.written_from, model_file) {
        return Err(Error::Trace {
            file: trace.to_path_buf(),
            reason: format!(
                "the trace is of {}, not of {}",
                replayed.written_from.display(),
                model_file.display()
            ),
        });
    }
    if !replayed.reproduced {
        return Err(Error::Trace {
            file: trace.to_path_buf(),
            reason: format!(
                "the trace no longer replays against {} ({}); run `replcheck replay` on it for details",
                model_file.display(),
                replayed.lines.last().map_or("", |l| l.trim())
            ),
        });
    }
    Ok((replayed.property, replayed.explorer_path))
}

fn write_junit(results: &[check::Run], file: &std::path::Path) -> Result<(), Error> {
    let failed =
        |e: std::io::Error| Error::io(format!("write the JUnit report {}", file.display()), e);
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(failed)?;
    }
    let mut out = std::io::BufWriter::new(std::fs::File::create(file).map_err(failed)?);
    report::junit::junit(results, &mut out)
        .and_then(|()| out.flush())
        .map_err(failed)
}

fn output_error(e: std::io::Error) -> Error {
    Error::io("write the report", e)
}

/// Makes Ctrl-C stop the runs of this process as a limit does (`search::interrupt`): what
/// was explored is reported, undecided properties are inconclusive, the exit code is 3. A
/// second Ctrl-C ends the process at once.
fn stop_on_interrupt() {
    let pressed = std::sync::atomic::AtomicBool::new(false);
    // Without a handler (another one is installed, or the platform refuses), Ctrl-C keeps
    // its default effect.
    let _ = ctrlc::set_handler(move || {
        if pressed.swap(true, std::sync::atomic::Ordering::Relaxed) {
            std::process::exit(130);
        }
        crate::search::interrupt();
        eprintln!(
            "\nreplcheck: interrupted; reporting what was explored (Ctrl-C again to quit at once)"
        );
    });
}

/// Whether a command line asks for the JSON report (`--format json` or `--format=json`),
/// read from the raw arguments so that it is known even when they do not parse.
pub fn wants_json(args: &[std::ffi::OsString]) -> bool {
    args.windows(2)
        .any(|w| w[0] == "--format" && w[1] == "json")
        || args.iter().any(|a| a == "--format=json")
}

/// Runs a command and returns the exit code.
pub fn run(cli: Cli) -> Result<i32, Error> {
    // Not for `report`: a report of runs cut short must not replace REPORT.md.
    if matches!(cli.command, Command::Check { .. }) {
        stop_on_interrupt();
    }
    match cli.command {
        Command::Check {
            files,
            threads: requested,
            format,
            no_symmetry,
            order,
            probe_seconds,
            max_states,
            max_depth,
            timeout,
            max_memory,
            full_states,
            diagram,
            trace_dir,
            junit,
            explore,
            witness,
        } => {
            // The JSON report has every member's whole state after each step and no
            // diagrams: flags that shape the text report contradict it.
            if format == Format::Json {
                if let Some(flag) = [
                    (diagram.is_some(), "--diagram"),
                    (full_states, "--full-states"),
                ]
                .into_iter()
                .find_map(|(set, flag)| set.then_some(flag))
                {
                    return Err(Error::Usage(format!(
                        "{flag} shapes the text report and has no effect with --format json (whose traces carry every member's whole state); drop one of them"
                    )));
                }
            }
            let specs = load_all(files)?
                .into_iter()
                .map(|spec| ask(spec, explore, &witness))
                .collect::<Result<Vec<_>, Error>>()?;
            let options = Options {
                threads: threads(requested),
                symmetry: !no_symmetry,
                order: order.order(Duration::from_secs_f64(probe_seconds)),
                max_states: max_states.map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
                max_depth: max_depth.map(|d| d as usize),
                timeout: timeout.map(Duration::from_secs_f64),
                max_memory: memory_limit(max_memory),
                progress: std::io::stderr()
                    .is_terminal()
                    .then_some(progress_line as fn(&check::Progress)),
            };
            if let (Some(ceiling), Some(_)) = (options.max_memory, options.progress) {
                eprintln!(
                    "replcheck: memory ceiling {:.1} GiB (--max-memory)",
                    ceiling as f64 / (1u64 << 30) as f64
                );
            }
            let results: Vec<_> = specs.iter().map(|s| check::check(s, options)).collect();
            if let Some(dir) = &trace_dir {
                report::tracefile::write_all(&results, dir)
                    .map_err(|e| Error::io(format!("write trace files in {}", dir.display()), e))?;
            }
            if let Some(file) = &junit {
                write_junit(&results, file)?;
            }
            let text_options = report::TextOptions {
                full_states,
                mermaid: diagram == Some(Diagram::Mermaid),
                memory_ceiling: options.max_memory,
            };
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            match format {
                Format::Text => report::text(&results, options.threads, text_options, &mut out)
                    .and_then(|()| {
                        report::peak_memory_line(crate::sys::peak_memory_bytes(), &mut out)
                    }),
                Format::Json => report::json(&results, crate::sys::peak_memory_bytes(), &mut out),
            }
            .and_then(|()| out.flush())
            .map_err(output_error)?;
            Ok(report::exit_code(&results))
        }
        Command::Bench {
            threads,
            only,
            all,
            against,
            timeout,
            order,
        } => {
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
            let exe =
                std::env::current_exe().map_err(|e| Error::io("find replcheck's executable", e))?;
            let root =
                std::env::current_dir().map_err(|e| Error::io("read the current directory", e))?;
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            report::bench_header(&crate::sys::machine(), &mut out).map_err(output_error)?;
            let mut measured = Vec::new();
            if let Some(other) = &against {
                if !other.is_file() {
                    return Err(Error::Usage(format!(
                        "--against {}: no such executable",
                        other.display()
                    )));
                }
            }
            for b in benchmarks {
                for &t in &counts {
                    let others = against.as_deref().into_iter().map(Some);
                    for other in others.chain([None]) {
                        let with = bench::RunWith {
                            exe: &exe,
                            against: other,
                            threads: t,
                            timeout,
                            order: order
                                .filter(|_| other.is_none())
                                .and_then(|o| o.to_possible_value())
                                .map(|v| v.get_name().to_string()),
                        };
                        let m = bench::measure(&root, b, &with)?;
                        report::bench_row(&m, &mut out)
                            .and_then(|()| out.flush())
                            .map_err(output_error)?;
                        measured.push(m);
                    }
                }
            }
            report::bench_footer(&measured, &mut out).map_err(output_error)?;
            let all_ok = measured
                .iter()
                .filter(|m| m.against.is_none())
                .all(|m| m.ok);
            Ok(if all_ok {
                exit::OK
            } else {
                exit::EXPECTATION_FAILED
            })
        }
        Command::Replay { file, model } => {
            let replayed = replay::replay(&file, model.as_deref())?;
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            for line in &replayed.lines {
                writeln!(out, "{line}").map_err(output_error)?;
            }
            Ok(if replayed.reproduced {
                exit::OK
            } else {
                exit::EXPECTATION_FAILED
            })
        }
        Command::Report {
            output,
            bench,
            threads: requested,
        } => {
            let kept = match std::fs::read_to_string(&output) {
                Ok(text) => match text.find(report::markdown::MARKER) {
                    Some(at) => Some(text[at..].to_string()),
                    None => {
                        return Err(Error::Usage(format!(
                            "{} has no line \"{}\"; add it above the hand-written sections so that they are kept (nothing was changed)",
                            output.display(),
                            report::markdown::MARKER
                        )))
                    }
                },
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(Error::io(format!("read {}", output.display()), e)),
            };
            let bench = bench
                .map(|file| {
                    std::fs::read_to_string(&file).map_err(|e| {
                        Error::io(format!("read the benchmark table {}", file.display()), e)
                    })
                })
                .transpose()?;
            let specs = load_all(Vec::new())?;
            let options = Options {
                threads: threads(requested),
                max_memory: memory_limit(None),
                progress: std::io::stderr()
                    .is_terminal()
                    .then_some(progress_line as fn(&check::Progress)),
                ..Options::DEFAULT
            };
            let started = std::time::Instant::now();
            let results: Vec<_> = specs.iter().map(|s| check::check(s, options)).collect();
            let provenance = report::markdown::Provenance {
                machine: crate::sys::machine(),
                commit: commit(),
                threads: options.threads,
                seconds: started.elapsed().as_secs_f64(),
                peak_memory_bytes: crate::sys::peak_memory_bytes(),
            };
            let text = report::markdown::document(
                &results,
                &provenance,
                bench.as_deref(),
                kept.as_deref(),
            );
            std::fs::write(&output, text)
                .map_err(|e| Error::io(format!("write {}", output.display()), e))?;
            eprintln!(
                "{} rewritten: {} models in {:.1} s",
                output.display(),
                results.len(),
                provenance.seconds
            );
            Ok(report::exit_code(&results))
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
            trace,
        } => {
            let spec = config::load(&file)?;
            let traced = trace.map(|t| trace_start(&file, &t)).transpose()?;
            let start = traced.as_ref().map(|(_, path)| path.clone());
            let refused = |addr: String| {
                move |e: std::io::Error| Error::Serve {
                    addr,
                    reason: e.to_string(),
                }
            };
            let listener = std::net::TcpListener::bind(addr).map_err(refused(addr.to_string()))?;
            // The port actually bound, when `--addr` asked for any (port 0).
            let addr = listener.local_addr().map_err(refused(addr.to_string()))?;
            let private = explorer::private_address().map_err(refused("127.0.0.1".into()))?;
            let threads = threads(requested);
            let (stateright, path_exists) = crate::with_level!(spec.level, M => start_explorer(
                || M::build(&spec.settings, &spec.level),
                threads,
                private,
            ));
            match &start {
                Some(path) => eprintln!(
                    "Explorer for {} on http://{addr}/, opening at the trace (http://{addr}/#/steps/{path}) — press Ctrl-C to stop",
                    file.display()
                ),
                None => eprintln!(
                    "Explorer for {} on http://{addr}/ — press Ctrl-C to stop",
                    file.display()
                ),
            }
            let completion: Box<dyn explorer::Completion> = crate::with_level!(spec.level, M => {
                let (settings, level) = (spec.settings.clone(), spec.level);
                Box::new(explorer::OwnSearch::<M>::new(
                    std::sync::Arc::new(move || M::build(&settings, &level)),
                    spec.clone(),
                    threads,
                    memory_limit(None),
                    traced,
                ))
            });
            let front = explorer::Front {
                upstream: private,
                start,
                path_exists,
                completion,
            };
            let front = std::thread::spawn(move || front.serve(listener));
            let stopped = |reason: String| Error::Serve {
                addr: addr.to_string(),
                reason,
            };
            loop {
                if stateright.is_finished() {
                    return Err(stopped("stateright's Explorer stopped".into()));
                }
                if front.is_finished() {
                    return Err(match front.join() {
                        Ok(Err(e)) => stopped(format!("the Explorer did not come up: {e}")),
                        Ok(Ok(never)) => match never {},
                        Err(_) => stopped("the front stopped".into()),
                    });
                }
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
        }
    }
}
