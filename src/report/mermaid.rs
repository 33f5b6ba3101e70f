//! Counterexamples as Mermaid sequence diagrams
//! (<https://mermaid.js.org/syntax/sequenceDiagram.html>), the text of a ```` ```mermaid ````
//! block that GitHub draws in an issue, a pull request or a Markdown file.
//!
//! The diagram has one lifeline per member (`n0`, `n1`, ..., marked "arbiter",
//! "priority 0" or "non-voting" where the configuration says so) and, at the actor level,
//! one for the client. Each step of the trace draws, in order, one numbered line, numbered
//! as the text report numbers its steps:
//!
//! - a delivered message is an arrow from sender to receiver labelled with the message
//!   (`narrate::message`). The arrow is drawn at the step that delivers the message: the
//!   send happened at some earlier step (the step whose handler sent it), which the diagram
//!   does not mark. A diagram of deliveries shows who told what to whom in the order it
//!   took effect, which is what a counterexample turns on; marking sends too would double
//!   the arrows without adding a cause;
//! - a message the network loses is a crossed arrow (`-x`) labelled "lost: ...";
//! - timers (election timeouts, step-downs, the end of a rollback, journal flushes, ...),
//!   crashes and restarts are notes over the member, in the words of the text report
//!   (`narrate::describe`).
//!
//! A delivery also gets a note over its receiver, in the text report's words, when the
//! receiver answers a vote request (granted or refused, with the reason) or when the
//! message changed something a person follows: its member state, term, vote, vote lease,
//! election in progress, commit point or rollback files; for the client, a new primary or
//! an acknowledgement. Deliveries that only apply entries or record progress keep to their
//! arrow. A step that changes a member's member state (PRIMARY, SECONDARY, ROLLBACK,
//! RECOVERING, DOWN) says so on a line of its own ("n0: SECONDARY → PRIMARY") and is shaded
//! blue; a step that acknowledges a write to the client, or at the atomic level commits an
//! entry, is shaded green. The last step is shaded red and ends with a note across every
//! lifeline with the state it leads to; `diagram` adds the property it violates (or, for
//! a sometimes-property, reaches).
//!
//! The atomic level has no messages: a fetch is an arrow from the source to the fetcher
//! ("entry (t,k)"), learning a term is an arrow from the member that has it, an election
//! is a note over the new primary followed by an arrow from each other voter, and writes,
//! rollbacks and commits are notes over the member that takes them.
//!
//! Mermaid reads `;` as the end of a statement and `#` as the start of an entity code, so
//! text is escaped with Mermaid's entity codes (`#59;`, `#35;`, and `#60;`/`#62;` for
//! angle brackets, which GitHub's sanitizer would otherwise read as HTML); the text
//! report's "; " between clauses becomes a line break. Long text is wrapped by hand with
//! `<br/>`, as GitHub's renderer does not wrap notes. Steps are numbered in the text rather
//! than with `autonumber`, which would number the arrows only.

use crate::level::diagram::{wrapped, Diagram, Drawing, Line, Shade, WIDTH};
use crate::level::{Kind, Level, Trace};

/// The trace as a Mermaid sequence diagram (the text inside a ```` ```mermaid ```` block,
/// starting with "sequenceDiagram").
pub fn mermaid<M: Diagram>(model: &M, trace: &Trace<M>) -> String {
    render(model, trace)
}

/// The trace as a Mermaid sequence diagram whose last note also names the property the
/// trace violates (an always-property) or reaches (a sometimes-property), with its
/// meaning when `property` is one of `properties::ALL`.
pub fn diagram<M: Diagram>(model: &M, trace: &Trace<M>, property: &str) -> String {
    let mut text = mermaid(model, trace);
    // `render` closes the diagram with the last step's shading: the verdict goes inside it.
    let tail = format!("{INDENT}end\n");
    let body = text
        .strip_suffix(tail.as_str())
        .expect("a diagram ends with its last step")
        .len();
    text.truncate(body);
    let verdict = match M::find_property(property).map(|p| p.info) {
        Some(p) if p.kind == Kind::Sometimes => {
            format!("witness: reaches {}: {}", p.name, p.meaning)
        }
        Some(p) => format!("violation: {}: {}", p.name, p.meaning),
        None => format!("violation: {property}"),
    };
    let last = trace.states.last().expect("a trace has an initial state");
    let line = Line::Note {
        over: span(model, last),
        text: wrapped(&verdict, WIDTH),
    };
    write(&line, &format!("{INDENT}{INDENT}"), "", &mut text);
    text.push_str(&tail);
    text
}

const INDENT: &str = "    ";
/// The shading of the last step, of a step that changes a member state, and of one that
/// acknowledges or commits a write. Translucent, so that text stays legible on GitHub's
/// light and dark themes alike.
const LAST_STEP: &str = "rgba(255, 80, 80, 0.18)";
const MEMBER_STATE: &str = "rgba(80, 140, 255, 0.15)";
const WRITE: &str = "rgba(60, 200, 90, 0.15)";

/// Writes `line`; `prefix` goes before its first line of text (the step number).
fn write(line: &Line, indent: &str, prefix: &str, out: &mut String) {
    let (head, text) = match line {
        Line::Arrow {
            from,
            to,
            lost,
            text,
        } => (
            format!("{from}{}{to}", if *lost { "-x" } else { "->>" }),
            text,
        ),
        Line::Note { over, text } => (format!("Note over {over}"), text),
    };
    let body: Vec<String> = text.iter().map(|l| escape(l)).collect();
    out.push_str(&format!("{indent}{head}: {prefix}{}\n", body.join("<br/>")));
}

/// The diagram: participants, the steps in order, and the last step shaded with the state
/// it leads to. It always ends with the last step's `end` (`diagram` relies on it).
fn render<M: Diagram>(model: &M, trace: &Trace<M>) -> String {
    let participants = model.participants();
    let steps: Vec<Drawing> = trace
        .actions
        .iter()
        .enumerate()
        .map(|(i, action)| model.draw(&trace.states[i], action, &trace.states[i + 1]))
        .collect();
    let mut out = String::from("sequenceDiagram\n");
    for p in &participants {
        match &p.label {
            Some(label) => out.push_str(&format!(
                "{INDENT}participant {} as {}\n",
                p.id,
                escape(label)
            )),
            None => out.push_str(&format!("{INDENT}participant {}\n", p.id)),
        }
    }
    let count = steps.len();
    let inner = format!("{INDENT}{INDENT}");
    for (i, step) in steps.into_iter().enumerate() {
        let last = i + 1 == count;
        let shade = if last {
            Some(LAST_STEP)
        } else {
            step.shade.map(|s| match s {
                Shade::MemberState => MEMBER_STATE,
                Shade::Write => WRITE,
            })
        };
        let indent = if shade.is_some() { &inner } else { INDENT };
        if let Some(colour) = shade {
            out.push_str(&format!("{INDENT}rect {colour}\n"));
        }
        for (j, line) in step.lines.iter().enumerate() {
            let number = if j == 0 {
                format!("{}. ", i + 1)
            } else {
                String::new()
            };
            write(line, indent, &number, &mut out);
        }
        if !last && shade.is_some() {
            out.push_str(&format!("{INDENT}end\n"));
        }
    }
    if count == 0 {
        out.push_str(&format!("{INDENT}rect {LAST_STEP}\n"));
    }
    let state = trace.states.last().expect("a trace has an initial state");
    let mut text = vec![if count == 0 {
        "the initial state (no step taken):".to_string()
    } else {
        format!("state after step {count}, the last:")
    }];
    text.extend(
        model
            .state_lines(state)
            .iter()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")),
    );
    let note = Line::Note {
        over: span(model, state),
        text,
    };
    write(&note, &inner, "", &mut out);
    out.push_str(&format!("{INDENT}end\n"));
    out
}

/// `Note over` every lifeline: from the first member to the client, or to the last
/// member at the atomic level.
fn span<M: Level>(model: &M, state: &M::State) -> String {
    let rows = model.rows(state);
    let first = rows
        .members
        .first()
        .map_or("n0".to_string(), |m| m.member.clone());
    let last = if rows.client.is_some() {
        "client".to_string()
    } else {
        rows.members
            .last()
            .map_or(first.clone(), |m| m.member.clone())
    };
    if first == last {
        first
    } else {
        format!("{first},{last}")
    }
}

/// Mermaid's entity codes for the characters that end a statement (`;`), start an entity
/// (`#`) or would be read as HTML (`<`, `>`); a line break becomes `<br/>`.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '#' => out.push_str("#35;"),
            ';' => out.push_str("#59;"),
            '<' => out.push_str("#60;"),
            '>' => out.push_str("#62;"),
            '\n' => out.push_str("<br/>"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::shortest_trace;
    use crate::config;
    use crate::level::actor::ReplicaSetModel;
    use crate::level::atomic::AtomicModel;
    use crate::level::LevelSpec;
    use crate::protocol::messages::Timer;
    use stateright::actor::ActorModelAction;
    use stateright::Model;
    use std::path::Path;

    /// The shortest trace of `property` in the model file `file`, at its level.
    fn trace_of<M: Diagram>(model: &M, property: &str) -> Trace<M> {
        let spec = M::find_property(property).expect("a known property");
        shortest_trace(model, spec).expect("the model has a trace for the property")
    }

    fn actor(file: &str, property: &str) -> (ReplicaSetModel, Trace<ReplicaSetModel>) {
        let spec = config::load(Path::new(file)).expect("the model file loads");
        let model = ReplicaSetModel::new(spec.settings.clone());
        let trace = trace_of(&model, property);
        (model, trace)
    }

    /// The text after the first ": " of a message or note line, if it is one.
    fn text_of(line: &str) -> Option<&str> {
        let line = line.trim_start();
        let is_step = line.starts_with("Note over ") || line.contains("->>") || line.contains("-x");
        is_step
            .then(|| line.split_once(": ").map(|(_, t)| t))
            .flatten()
    }

    /// The checks every diagram passes: its header, its participants, one numbered line
    /// per step in order, and no statement-ending `;` outside an entity code.
    fn check_shape(text: &str, participants: &[&str], steps: usize) {
        assert!(text.starts_with("sequenceDiagram\n"), "{text}");
        for p in participants {
            assert!(
                text.lines().any(|l| l.trim() == format!("participant {p}")
                    || l.trim().starts_with(&format!("participant {p} as "))),
                "{p} declared in\n{text}"
            );
        }
        let numbered: Vec<usize> = text
            .lines()
            .filter_map(text_of)
            .filter_map(|t| t.split_once(". ").and_then(|(n, _)| n.parse().ok()))
            .collect();
        assert_eq!(numbered, (1..=steps).collect::<Vec<_>>(), "{text}");
        for line in text.lines() {
            let mut rest = line;
            while let Some(i) = rest.find(';') {
                let entity = rest[..i].rsplit('#').next().unwrap_or("");
                assert!(
                    rest[..i].contains('#')
                        && !entity.is_empty()
                        && entity.chars().all(|c| c.is_ascii_alphanumeric()),
                    "unescaped ; in {line:?}"
                );
                rest = &rest[i + 1..];
            }
            assert!(!line.contains('\t'));
        }
        // Every arrow and note names declared participants only (an undeclared name would
        // be drawn as a new lifeline).
        for line in text.lines().map(str::trim) {
            let names: Vec<&str> = if let Some(rest) = line.strip_prefix("Note over ") {
                rest.split_once(':').unwrap().0.split(',').collect()
            } else if let Some((head, _)) = line.split_once(':') {
                match head.split_once("->>").or_else(|| head.split_once("-x")) {
                    Some((a, b)) => vec![a, b],
                    None => continue,
                }
            } else {
                continue;
            };
            for name in names {
                assert!(participants.contains(&name), "{name} in {line:?}");
            }
        }
        assert!(text.ends_with("    end\n"));
        assert_eq!(
            text.lines()
                .filter(|l| l.trim_start().starts_with("rect "))
                .count(),
            text.lines().filter(|l| l.trim() == "end").count(),
            "every rect is closed"
        );
    }

    #[test]
    fn durable_vote_draws_both_elections_in_term_1() {
        let (model, trace) = actor("models/bugs/durable-vote.toml", "election_safety");
        let text = diagram(&model, &trace, "election_safety");
        check_shape(&text, &["n0", "n1", "n2", "client"], trace.actions.len());
        assert!(text.contains("participant n2 as n2 (arbiter)\n"), "{text}");
        // Both wins, each marked as a change of member state and shaded.
        assert_eq!(text.matches("SECONDARY → PRIMARY").count(), 2, "{text}");
        assert!(text.contains("n2 crashes and restarts"), "{text}");
        assert!(text.contains(&format!("rect {MEMBER_STATE}")), "{text}");
        // The restarted arbiter's second vote in term 1 is told.
        assert!(text.contains("n2 votes for n1 in term 1"), "{text}");
        // The last step is shaded red and the violation is named inside it.
        let last_rect = text.rfind("rect ").unwrap();
        assert!(text[last_rect..].starts_with(&format!("rect {LAST_STEP}")));
        assert!(
            text[last_rect..].contains("violation: election_safety"),
            "{text}"
        );
        assert!(text[last_rect..].contains("n1 PRIMARY term 1"), "{text}");
        // The trait's diagram is the same without the verdict.
        let plain = mermaid(&model, &trace);
        assert!(!plain.contains("violation"));
        assert!(text.starts_with(&plain[..plain.len() - "    end\n".len()]));
    }

    #[test]
    fn every_small_actor_bug_model_draws_a_well_formed_diagram() {
        for name in [
            "arbiter-stands",
            "commit-point-term-check",
            "fetch-consistency-check",
            "unelectable-stands",
        ] {
            let file = format!("models/bugs/{name}.toml");
            let spec = config::load(Path::new(&file)).expect("the model file loads");
            assert!(matches!(spec.level, LevelSpec::Actor));
            let model = ReplicaSetModel::new(spec.settings.clone());
            for (property, expected) in &spec.expectations {
                if *expected != config::Expected::Violated {
                    continue;
                }
                let trace = trace_of(&model, property.name);
                let text = diagram(&model, &trace, property.name);
                let participants: Vec<String> = model
                    .settings()
                    .replset
                    .ids()
                    .map(|m| m.to_string())
                    .chain(["client".to_string()])
                    .collect();
                let participants: Vec<&str> = participants.iter().map(String::as_str).collect();
                check_shape(&text, &participants, trace.actions.len());
                assert!(
                    text.contains(&format!("violation: {}", property.name)),
                    "{name}: {text}"
                );
            }
        }
    }

    #[test]
    fn a_lost_message_is_a_crossed_arrow() {
        // Any actor model with message loss: its first lost message.
        let spec = config::load(Path::new("models/bugs/durable-vote.toml")).unwrap();
        let mut settings = spec.settings.clone();
        settings.message_loss = true;
        settings.loss_steps = true;
        let model = ReplicaSetModel::new(settings);
        let s0 = model.init_states().remove(0);
        // n0 stands, then the network loses its vote request to n2.
        let stand = ActorModelAction::Timeout(stateright::actor::Id::from(0), Timer::Election);
        let s1 = model.next_state(&s0, stand.clone()).unwrap();
        let mut offered = Vec::new();
        model.actions(&s1, &mut offered);
        let lose = offered
            .into_iter()
            .find(|a| matches!(a, ActorModelAction::Drop(e) if usize::from(e.dst) == 2))
            .expect("the request to n2 may be lost");
        let s2 = model.next_state(&s1, lose.clone()).unwrap();
        let trace = Trace {
            states: vec![s0, s1, s2],
            actions: vec![stand, lose],
            shortest: false,
        };
        let text = mermaid(&model, &trace);
        check_shape(&text, &["n0", "n1", "n2", "client"], 2);
        assert!(
            text.contains("n0-xn2: 2. lost: replSetRequestVotes(term 1, last (0,0))"),
            "{text}"
        );
        assert!(text.contains("Note over n0: 1. n0 starts an election for term 1"));
    }

    #[test]
    fn an_atomic_trace_draws_fetches_votes_and_commits() {
        let spec = config::load(Path::new("models/static-raft.toml")).unwrap();
        let LevelSpec::Atomic(bounds) = spec.level else {
            panic!("static-raft is atomic")
        };
        let model = AtomicModel::new(spec.settings.clone(), bounds);
        let trace = trace_of(&model, "entry_committed");
        let text = diagram(&model, &trace, "entry_committed");
        check_shape(&text, &["n0", "n1", "n2"], trace.actions.len());
        assert!(text.contains("witness: reaches entry_committed"), "{text}");
        assert!(text.contains("vote (term 1)"), "{text}");
        assert!(text.contains("SECONDARY → PRIMARY"), "{text}");
        assert!(text.contains("entry (1,1)"), "{text}");
        assert!(text.contains("commits its last entry (1,1)"), "{text}");
        assert!(text.contains("committed [(1,1)]"), "{text}");
    }

    #[test]
    fn an_empty_trace_shows_the_initial_state() {
        let spec = config::load(Path::new("models/static-raft.toml")).unwrap();
        let LevelSpec::Atomic(bounds) = spec.level else {
            panic!("static-raft is atomic")
        };
        let model = AtomicModel::new(spec.settings.clone(), bounds);
        let trace = Trace {
            states: model.init_states(),
            actions: vec![],
            shortest: true,
        };
        let text = diagram(&model, &trace, "no_such_property");
        check_shape(&text, &["n0", "n1", "n2"], 0);
        assert!(text.contains("the initial state (no step taken)"), "{text}");
        assert!(text.contains("violation: no_such_property"), "{text}");
    }

    #[test]
    fn text_is_escaped_and_wrapped() {
        assert_eq!(escape("a; b #1 <x>"), "a#59; b #35;1 #60;x#62;");
        assert_eq!(
            wrapped("n2 adopts term 1 from n0; n2 votes for n0 in term 1", 44),
            vec!["n2 adopts term 1 from n0", "n2 votes for n0 in term 1"]
        );
        let long = "n0 receives n2's vote and wins the election for term 1: PRIMARY, writes the new-primary no-op (1,1)";
        let lines = wrapped(long, 44);
        assert!(lines.iter().all(|l| l.chars().count() <= 44), "{lines:?}");
        assert_eq!(lines.join(" "), long);
        // A short end of a clause is not left alone on a line.
        assert_eq!(
            wrapped("n2 restarts as ARBITER in term 1 with oplog []", 44),
            vec!["n2 restarts as ARBITER in term 1 with oplog []"]
        );
    }
}
