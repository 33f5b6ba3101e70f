//! `replcheck`: parse the command line, run, map errors to exit codes.

use clap::Parser;
use replcheck::cli::{run, Cli};

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
