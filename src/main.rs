//! `replcheck`: parse the command line, run, map errors to exit codes.

use clap::Parser;
use replcheck::cli::{run, Cli};

/// Exploring a model clones and drops millions of small states; mimalloc's thread-local
/// free lists do that faster than the system allocator, and scale better with threads.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = Cli::parse();
    let code = match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    };
    std::process::exit(code);
}
