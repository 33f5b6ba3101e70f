//! `replcheck bench`'s table: one row per benchmark and thread count, and what the rows
//! show after it.

use super::{megabytes, thousands};
use std::io::{self, Write};

/// `replcheck bench`: the table's title and header.
pub fn bench_header(machine: &str, out: &mut impl Write) -> io::Result<()> {
    writeln!(
        out,
        "replcheck {} bench on {machine}\n",
        env!("CARGO_PKG_VERSION")
    )?;
    writeln!(
        out,
        "| benchmark | binary | threads | symmetry | unique states | states generated | states/s | seconds | peak memory | bytes/state | first violation | verdicts |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|---|---|---|---|---|")
}

/// One benchmark run as a table row. Bytes per state: peak memory over unique states.
/// A run stopped by its time limit says so in the verdicts column.
pub fn bench_row(m: &crate::bench::Measurement, out: &mut impl Write) -> io::Result<()> {
    let per_second = if m.seconds > 0.0 {
        thousands((m.states as f64 / m.seconds) as usize)
    } else {
        "-".into()
    };
    writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} | {} | {:.2} | {} | {} | {} | {} |",
        m.benchmark.name,
        m.against
            .as_ref()
            .map_or("this".into(), |p| format!("`{}`", p.display())),
        m.threads,
        if m.benchmark.symmetry { "on" } else { "off" },
        thousands(m.unique_states as usize),
        thousands(m.states as usize),
        per_second,
        m.seconds,
        m.peak_memory_bytes.map_or("-".into(), megabytes),
        m.peak_memory_bytes
            .filter(|_| m.unique_states > 0)
            .map_or("-".into(), |b| (b / m.unique_states).to_string()),
        m.first_violation
            .map_or("-".into(), |s| format!("{s:.1} s")),
        match (m.complete, m.ok) {
            (false, _) => "inconclusive (stopped by --timeout)",
            (true, true) => "as expected",
            (true, false) => "NOT as expected",
        }
    )
}

/// After the table: what each benchmark measures, the speed-up of more threads, and
/// whether verdicts agreed across thread counts.
pub fn bench_footer(
    measured: &[crate::bench::Measurement],
    out: &mut impl Write,
) -> io::Result<()> {
    writeln!(out)?;
    let mut seen: Vec<&str> = Vec::new();
    for m in measured {
        let name = m.benchmark.name;
        if seen.contains(&name) {
            continue;
        }
        seen.push(name);
        let runs: Vec<_> = measured
            .iter()
            .filter(|x| x.benchmark.name == name && x.against.is_none())
            .collect();
        let others: Vec<_> = measured
            .iter()
            .filter(|x| x.benchmark.name == name && x.against.is_some())
            .collect();
        let mut line = format!("- {name} ({}): {}", m.benchmark.file, m.benchmark.about);
        if let (Some(one), Some(most)) = (
            runs.iter().find(|r| r.threads == 1),
            runs.iter().max_by_key(|r| r.threads),
        ) {
            if most.threads > 1 && most.seconds > 0.0 {
                line.push_str(&format!(
                    "; {} threads {:.2}x as fast as 1",
                    most.threads,
                    one.seconds / most.seconds
                ));
            }
        }
        let same = runs.windows(2).all(|w| w[0].outcomes == w[1].outcomes);
        if runs.len() > 1 {
            line.push_str(if same {
                "; same verdicts on every thread count"
            } else {
                "; VERDICTS DIFFER between thread counts"
            });
        }
        for other in &others {
            let Some(this) = runs.iter().find(|r| r.threads == other.threads) else {
                continue;
            };
            let rate = |m: &crate::bench::Measurement| m.states as f64 / m.seconds.max(1e-9);
            line.push_str(&format!(
                "; on {} thread{} this binary generates {:.2}x the states per second of the other{}{}",
                this.threads,
                if this.threads == 1 { "" } else { "s" },
                rate(this) / rate(other),
                if this.complete && other.complete {
                    format!(" and takes {:.2}x its time", this.seconds / other.seconds.max(1e-9))
                } else {
                    String::new()
                },
                if this.complete && other.complete && this.unique_states != other.unique_states {
                    format!(
                        " (unique states differ: {} against {})",
                        thousands(this.unique_states as usize),
                        thousands(other.unique_states as usize)
                    )
                } else {
                    String::new()
                }
            ));
        }
        writeln!(out, "{line}")?;
    }
    Ok(())
}
