//! `replcheck`: parse the command line, run, map errors to exit codes.

use clap::Parser;
use replcheck::cli::{run, wants_json, Cli};
use replcheck::error::exit;
use replcheck::report::json::json_error;

/// Exploring a model clones and drops millions of small states; mimalloc's thread-local
/// free lists do that faster than the system allocator, and scale better with threads.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // With `--format json`, a command line or input that stops the run before it starts
    // still gives a JSON document on stdout (the message goes to stderr as always).
    let json = wants_json(&args);
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            if json && e.use_stderr() {
                let message = e.kind().as_str().unwrap_or("invalid command line");
                let _ = json_error(
                    &format!("{message}: {}", e.render().to_string().trim()),
                    exit::BAD_INPUT,
                    &mut std::io::stdout(),
                );
            }
            e.exit()
        }
    };
    let code = match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            if json {
                let _ = json_error(&e.to_string(), e.exit_code(), &mut std::io::stdout());
            }
            e.exit_code()
        }
    };
    std::process::exit(code);
}
