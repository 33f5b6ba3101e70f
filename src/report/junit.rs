//! JUnit XML (`check --junit FILE`), the test-report format CI systems show: one test
//! suite per model, one test case per property. A missed expectation is a `<failure>`
//! carrying the counterexample as text; a property left undecided by a run cut short is
//! `<skipped>`.

use crate::check::{on_run, ModelResult, Outcome, Run};
use crate::level::Rendered;
use std::io::{self, Write};

/// `text` with XML's five special characters escaped, and characters XML 1.0 forbids
/// dropped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

/// The JUnit report of `results`.
pub fn junit(results: &[Run], out: &mut impl Write) -> io::Result<()> {
    let tests: usize = results.iter().map(|r| r.outcomes().len()).sum();
    let failures: usize = results
        .iter()
        .map(|run| on_run!(run, r => failures(r)))
        .sum();
    let seconds: f64 = results.iter().map(|run| on_run!(run, r => r.seconds)).sum();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="replcheck" tests="{tests}" failures="{failures}" time="{seconds:.3}">"#
    )?;
    for run in results {
        on_run!(run, r => suite(r, out))?;
    }
    writeln!(out, "</testsuites>")
}

fn failures<M: Rendered>(r: &ModelResult<M>) -> usize {
    r.properties
        .iter()
        .filter(|p| !p.ok() && p.outcome != Outcome::Inconclusive)
        .count()
}

fn suite<M: Rendered>(r: &ModelResult<M>, out: &mut impl Write) -> io::Result<()> {
    let errors = r.properties.iter().filter(|p| p.failure.is_some()).count();
    let skipped = r
        .properties
        .iter()
        .filter(|p| p.outcome == Outcome::Inconclusive && p.failure.is_none())
        .count();
    writeln!(
        out,
        r#"  <testsuite name="{}" tests="{}" failures="{}" errors="{errors}" skipped="{skipped}" time="{:.3}" file="{}">"#,
        escape(&r.spec.name),
        r.properties.len(),
        failures(r),
        r.seconds,
        escape(&r.spec.file.display().to_string())
    )?;
    writeln!(
        out,
        r#"    <properties><property name="unique_states" value="{}"/><property name="complete" value="{}"/></properties>"#,
        r.unique_states, r.complete
    )?;
    for p in &r.properties {
        write!(
            out,
            r#"    <testcase classname="{}" name="{}" time="0""#,
            escape(&r.spec.name),
            p.property.info.name
        )?;
        let verdict = format!("{} (expected {})", p.outcome, p.expected);
        if let Some(failure) = &p.failure {
            writeln!(out, ">")?;
            writeln!(
                out,
                r#"      <error message="{}" type="expression"/>"#,
                escape(failure)
            )?;
            writeln!(out, "    </testcase>")?;
        } else if p.outcome == Outcome::Inconclusive {
            writeln!(out, ">")?;
            writeln!(
                out,
                r#"      <skipped message="inconclusive: the run was cut short at {} before it could decide (expected {})"/>"#,
                escape(&r.stop.map_or("a limit".to_string(), |s| s.to_string())),
                p.expected
            )?;
            writeln!(out, "    </testcase>")?;
        } else if !p.ok() {
            writeln!(out, ">")?;
            let mut body = Vec::new();
            if let Some(t) = &p.trace {
                super::text::trace_body(r, p, t, super::TextOptions::default(), &mut body)?;
            } else {
                writeln!(
                    &mut body,
                    "{}: {} in every state explored ({} unique states); no trace to show.",
                    p.property.info.name, p.outcome, r.unique_states
                )?;
            }
            writeln!(
                out,
                r#"      <failure message="{} {}" type="{}">{}</failure>"#,
                p.property.info.name,
                escape(&verdict),
                p.outcome,
                escape(&String::from_utf8_lossy(&body))
            )?;
            writeln!(out, "    </testcase>")?;
        } else {
            writeln!(out, "/>")?;
        }
    }
    writeln!(out, "  </testsuite>")
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_xml_and_drops_forbidden_characters() {
        assert_eq!(
            escape("a<b & \"c\" 'd'>\u{1}e"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;e"
        );
    }
}
