//! The command line as a user and a CI job see it: exit codes, the JSON report's shape,
//! and one clear message (never a panic) for every kind of bad input.

mod common;

use common::{replcheck, scratch, Run};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn write_model(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write model file");
    path.to_str().expect("utf-8 path").to_string()
}

/// tests/fixtures/psa-w1.toml: a PSA set that loses a w:1 write after failover.
fn psa_w1() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/psa-w1.toml");
    std::fs::read_to_string(path).expect("fixture")
}

#[test]
fn met_expectations_exit_0() {
    let dir = scratch("ok");
    let model = write_model(&dir, "psa-w1.toml", &psa_w1());
    let run = replcheck(&["check", &model]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("All expectations met."));
    assert!(run
        .stdout
        .contains("Counterexample for acknowledged_write_durability"));
    // The first line gives the memory ceiling (by default half of what is available);
    // the table's SET letters and DEPTH are explained under it.
    let first = run.stdout.lines().next().unwrap();
    assert!(first.contains(", memory ceiling "), "{first}");
    assert!(run.stdout.contains(
        "SET: one letter per member, P electable, S priority 0, N non-voting, A arbiter."
    ));
    assert!(run
        .stdout
        .contains("DEPTH: the most steps on a path the search followed"));
    // The story says why the second election could happen, and what "lost" means.
    assert!(
        run.stdout.contains("n1 starts an election for term 2 (its election timeout fires: no heartbeat of primary n0 has reached it for electionTimeoutMillis, delayed or lost)"),
        "{}",
        run.stdout
    );
    let story: String = run
        .stdout
        .split("How acknowledged_write_durability fails:")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        story
            .contains("n1 is primary in term 2, later than the write's term 1, without holding it"),
        "{story}"
    );
    assert!(story.contains("a write is lost when a member rolls it back after its acknowledgement, or a primary of a later term lacks it"), "{story}");
}

#[test]
fn a_missed_expectation_exits_1() {
    let dir = scratch("missed");
    let text = psa_w1().replace(
        "acknowledged_write_durability = \"violated\"",
        "acknowledged_write_durability = \"holds\"",
    );
    let model = write_model(&dir, "psa-w1.toml", &text);
    let run = replcheck(&["check", &model]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("MISMATCH"));
    // The unexpected violation still comes with its counterexample.
    assert!(run
        .stdout
        .contains("Counterexample for acknowledged_write_durability"));
}

#[test]
fn an_exploratory_run_judges_only_what_the_file_states() {
    let dir = scratch("explore");
    // No [expect]: without --explore, the loss and the unreachable majority write both
    // miss the defaults.
    let text = psa_w1().split("[expect]").next().unwrap().to_string();
    let model = write_model(&dir, "question.toml", &text);
    let gate = replcheck(&["check", &model]);
    assert_eq!(gate.code, 1, "{}{}", gate.stdout, gate.stderr);

    let run = replcheck(&["check", "--explore", &model]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let line = |name: &str| {
        run.stdout
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no line for {name}: {}", run.stdout))
            .to_string()
    };
    assert!(line("acknowledged_write_durability").contains("violated     (nothing expected)"));
    assert!(line("majority_write_acknowledged").contains("unreachable  (nothing expected)"));
    assert!(line("election_safety").contains("holds        (nothing expected)"));
    // The violation is still told, and not "as expected".
    assert!(run
        .stdout
        .contains("Counterexample for acknowledged_write_durability (9 steps, shortest"));
    assert!(!run.stdout.contains(", as expected"), "{}", run.stdout);

    // What the file does state is still judged.
    let stated = format!("{text}\n[expect]\nelection_safety = \"violated\"\n");
    let model = write_model(&dir, "stated.toml", &stated);
    let run = replcheck(&["check", "--explore", "--format", "json", &model]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).expect("JSON report");
    let expected = |name: &str| {
        report["models"][0]["properties"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .map(|p| (p["expected"].clone(), p["ok"].clone()))
            .unwrap()
    };
    assert_eq!(
        expected("election_safety"),
        ("violated".into(), false.into())
    );
    assert_eq!(expected("log_matching"), ("nothing".into(), true.into()));
}

#[test]
fn a_witness_is_shown_on_request() {
    let dir = scratch("witness");
    let model = write_model(&dir, "psa-w1.toml", &psa_w1());
    let run = replcheck(&[
        "check",
        "--witness",
        "failover_occurs,write_acknowledged",
        &model,
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    for name in ["failover_occurs", "write_acknowledged"] {
        let heading = run
            .stdout
            .lines()
            .find(|l| l.contains(&format!("Witness for {name} (")))
            .unwrap_or_else(|| panic!("no witness for {name}: {}", run.stdout));
        assert!(heading.contains("shortest"), "{heading}");
    }
    // The witness of a write acknowledged with w:1: the client's write reaches the
    // primary and the acknowledgement comes back.
    assert!(run.stdout.contains("How write_acknowledged is reached:"));

    // Not a sometimes-property, or not one at all: one clear line, exit 2.
    for (name, problem) in [
        ("election_safety", "election_safety is an always-property"),
        (
            "failover",
            "neither the actor level nor this file defines a property of that name; the sometimes-properties here are primary_elected",
        ),
    ] {
        let run = replcheck(&["check", "--witness", name, &model]);
        assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
        assert!(run.stderr.contains(problem), "{}", run.stderr);
        assert!(run.stderr.contains("psa-w1.toml"), "{}", run.stderr);
        assert!(!run.stderr.contains("panicked"));
    }
}

/// psa-w1 with `[[properties]]` tables appended (and its [expect] dropped).
fn with_properties(tables: &str) -> String {
    let base = psa_w1().split("[expect]").next().unwrap().to_string();
    format!("{base}\n{tables}")
}

#[test]
fn own_properties_are_checked_like_replchecks() {
    let dir = scratch("own");
    let text = with_properties(
        r#"
[[properties]]
name = "one_primary_at_a_time"
kind = "always"
symmetric = true
condition = 'members.filter(m, m.state == "PRIMARY").size() <= 1'

[[properties]]
name = "lost_write_seen"
kind = "sometimes"
condition = 'acknowledged.exists(a, members.exists(m, m.state == "PRIMARY" && !m.oplog.exists(e, e.write == a.write)))'

[[properties]]
name = "arbiter_votes"
kind = "sometimes"
symmetric = true
condition = 'members.exists(m, m.arbiter && m.last_vote != null && m.last_vote.term == 1)'

[expect]
one_primary_at_a_time = "violated"
acknowledged_write_durability = "violated"
majority_write_acknowledged = "unreachable"
"#,
    );
    let model = write_model(&dir, "own.toml", &text);
    let run = replcheck(&["check", "--format", "json", &model]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).expect("JSON report");
    let m = &report["models"][0];
    let outcome = |name: &str| {
        m["properties"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("no {name}"))
            .clone()
    };
    // Two primaries at once (in different terms) are normal in pv1; the new primary
    // without the acknowledged w:1 write is the loss replcheck's own property reports.
    let two = outcome("one_primary_at_a_time");
    assert_eq!(two["outcome"], "violated");
    assert!(two["trace"].as_array().is_some_and(|t| !t.is_empty()));
    assert_eq!(outcome("lost_write_seen")["outcome"], "reachable");
    assert_eq!(outcome("arbiter_votes")["outcome"], "reachable");
    assert_eq!(outcome("arbiter_votes")["kind"], "sometimes");

    // lost_write_seen names members by what they hold, yet is not declared symmetric: the
    // model is explored without symmetry, with the same verdicts as --no-symmetry.
    let text_run = replcheck(&["check", &model]);
    assert!(text_run
        .stdout
        .contains("symmetry reduction off: lost_write_seen may tell"));
    let plain = replcheck(&["check", "--no-symmetry", "--format", "json", &model]);
    let plain: Value = serde_json::from_str(&plain.stdout).unwrap();
    assert_eq!(plain["models"][0]["unique_states"], m["unique_states"]);

    // Its trace file replays, the property judged as the check judged it.
    let traces = dir.join("traces");
    let run = replcheck(&["check", "--trace-dir", traces.to_str().unwrap(), &model]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let trace = traces.join("own.one_primary_at_a_time.json");
    let run = replcheck(&["replay", trace.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run
        .stdout
        .contains("Reproduced: the last state violates one_primary_at_a_time."));
}

#[test]
fn bad_own_properties_are_placed_in_the_file() {
    let cases = [
        (
            "[[properties]]\nname = \"p\"\nkind = \"always\"\ncondition = 'members.all(m, m.term >)'\n",
            (25, 37),
            "[[properties]] p: not a CEL expression",
        ),
        (
            "[[properties]]\nname = \"p\"\nkind = \"always\"\ncondition = 'members.all(m, m.colour == 1)'\n",
            (25, 30),
            "[[properties]] p: the state has no field \"colour\"",
        ),
        // A misspelled field is caught even where the initial state never reaches it.
        (
            "[[properties]]\nname = \"p\"\nkind = \"always\"\ncondition = 'members.all(m, m.state != \"PRIMARY\" || m.comit_point.ts >= 0)'\n",
            (25, 54),
            "[[properties]] p: the state has no field \"comit_point\"",
        ),
        // A value the state does not have at the initial state: an index past the end.
        (
            "[[properties]]\nname = \"p\"\nkind = \"always\"\ncondition = 'members[7].up'\n",
            (25, 14),
            "[[properties]] p: on the initial state,",
        ),
        (
            "[[properties]]\nname = \"p\"\nkind = \"always\"\ncondition = 'members.size()'\n",
            (25, 14),
            "the expression gives the number 3, not true or false",
        ),
        (
            "[[properties]]\nname = \"election_safety\"\nkind = \"always\"\ncondition = 'true'\n",
            (23, 8),
            "replcheck defines a property of that name",
        ),
        (
            "[[properties]]\nname = \"p\"\nkind = \"often\"\ncondition = 'true'\n",
            (24, 8),
            "expected \"always\"",
        ),
        (
            "[[properties]]\nname = \"p\"\nkind = \"always\"\ncondition = 'true'\n[expect]\np = \"reachable\"\n",
            (27, 5),
            "p is an always property",
        ),
    ];
    for (tables, (line, column), problem) in cases {
        check_bad_model_at("own.toml", &with_properties(tables), line, column, problem);
    }
}

#[test]
fn an_expression_that_fails_later_leaves_its_property_undecided() {
    let dir = scratch("own-later");
    // Fine on the initial state (nothing acknowledged), fails once write 1 is.
    let text = with_properties(
        "[[properties]]\nname = \"second_write\"\nkind = \"always\"\nsymmetric = true\ncondition = 'size(acknowledged) == 0 || acknowledged[1].write == 2'\n",
    );
    let model = write_model(&dir, "later.toml", &text);
    let run = replcheck(&["check", &model]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains(&format!(
        "error: {model}: line 26, column 14: property second_write: the expression failed on a reachable state, so the property is undecided"
    )), "{}", run.stdout);
    let line = run
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("second_write "))
        .unwrap();
    assert!(line.contains("inconclusive"), "{line}");
    // The verdict and the last line say what happened, and nothing else.
    assert!(
        run.stdout.contains("ERROR (1 expression failed)"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains(
        "1 of 1 model defined a property whose expression failed on a reachable state: it is undecided"
    ));
    assert!(!run.stdout.contains("All expectations met."));
    // JUnit: an error with the failure, not a skip for a limit.
    let junit = dir.join("junit.xml");
    let run = replcheck(&["check", "--junit", junit.to_str().unwrap(), &model]);
    assert_eq!(run.code, 2);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains(r#"errors="1""#), "{xml}");
    assert!(
        xml.contains(r#"<error message=""#)
            && xml.contains("the expression failed on a reachable state"),
        "{xml}"
    );
    assert!(!xml.contains("cut short at a limit"), "{xml}");
}

#[test]
fn progress_reports_are_told_by_the_positions_the_model_tracks() {
    let dir = scratch("progress");
    // w:"majority" with writeConcernMajorityJournalDefault: primaries read only journaled
    // positions, and reports carry nothing else.
    let text = psa_w1()
        .split("[expect]")
        .next()
        .unwrap()
        .replace("w = 1", "w = \"majority\"")
        .replace("max_term = 2", "max_term = 1");
    let model = write_model(&dir, "psa-majority.toml", &text);
    let run = replcheck(&[
        "check",
        "--explore",
        "--witness",
        "majority_write_acknowledged",
        &model,
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("n0 learns that n1 has journaled (1,2)"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("applied (0,0)"), "{}", run.stdout);
    assert!(!run.stdout.contains("has applied"), "{}", run.stdout);
}

#[test]
fn ctrl_c_reports_what_was_explored_as_inconclusive() {
    // A model that takes minutes: the realistic PSA set.
    let child = common::command()
        .args([
            "check",
            "--threads",
            "1",
            "--format",
            "json",
            "models/bench/realistic/psa.toml",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("replcheck starts");
    std::thread::sleep(std::time::Duration::from_secs(2));
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let out = child.wait_with_output().expect("replcheck ends");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(3), "{stdout}{stderr}");
    assert!(
        stderr.contains("interrupted; reporting what was explored"),
        "{stderr}"
    );
    let report: Value = serde_json::from_str(&stdout).expect("JSON report");
    let m = &report["models"][0];
    assert_eq!(m["complete"], false);
    assert_eq!(m["stopped_by"]["limit"], "interrupted");
    assert!(m["unique_states"].as_u64().unwrap() > 1000);
    // Nothing is claimed to hold or to be unreachable; a witness met in time stands.
    for p in m["properties"].as_array().unwrap() {
        assert!(
            p["outcome"] == "inconclusive" || p["outcome"] == "reachable",
            "{p}"
        );
    }
}

/// README's "Writing a model" example is a model file that finishes quickly and meets
/// what it expects.
#[test]
fn the_readme_model_example_is_right() {
    let readme = std::fs::read_to_string(common::root().join("README.md")).unwrap();
    let section = readme.split("## Writing a model").nth(1).unwrap();
    let example = section
        .split("```toml\n")
        .nth(1)
        .and_then(|rest| rest.split("\n```").next())
        .expect("a TOML example");
    let dir = scratch("readme-example");
    let model = write_model(&dir, "example.toml", example);
    let run = replcheck(&["check", &model]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run
        .stdout
        .contains("acknowledged_write_durability  violated     expected violated     ok"));
}

#[test]
fn a_run_cut_short_exits_3_and_claims_nothing() {
    let dir = scratch("cut");
    let model = write_model(&dir, "psa-w1.toml", &psa_w1());
    let run = replcheck(&["check", "--max-states", "50", "--format", "json", &model]);
    assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).expect("JSON report");
    let m = &report["models"][0];
    assert_eq!(m["complete"], false);
    for p in m["properties"].as_array().unwrap() {
        assert_ne!(p["outcome"], "holds", "{p}");
        assert_ne!(p["outcome"], "unreachable", "{p}");
    }
}

/// The property names of one model in a JSON report, in order.
fn property_names(model: &Value) -> Vec<&str> {
    model["properties"]
        .as_array()
        .expect("properties array")
        .iter()
        .map(|p| p["name"].as_str().expect("a name"))
        .collect()
}

#[test]
fn json_report_has_the_documented_shape() {
    let dir = scratch("json");
    let model = write_model(&dir, "psa-w1.toml", &psa_w1());
    let run = replcheck(&["check", "--format", "json", &model]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).expect("stdout is one JSON document");
    assert_eq!(report["ok"], true);
    let models = report["models"].as_array().expect("models array");
    assert_eq!(models.len(), 1);
    let m = &models[0];
    assert_eq!(m["name"], "psa-w1");
    assert_eq!(m["file"], model.as_str());
    assert_eq!(m["complete"], true);
    for key in ["unique_states", "states"] {
        assert!(m[key].as_u64().is_some_and(|n| n > 0), "{key}: {}", m[key]);
    }
    assert!(m["seconds"].as_f64().is_some());
    let properties = m["properties"].as_array().expect("properties array");
    assert_eq!(
        property_names(m),
        [
            "election_safety",
            "arbiter_never_primary",
            "unelectable_never_primary",
            "majority_write_durability",
            "acknowledged_write_durability",
            "committed_never_rolled_back",
            "log_matching",
            "primary_elected",
            "majority_write_acknowledged",
            "write_acknowledged",
            "rollback_occurs",
            "failover_occurs",
        ]
    );
    let outcomes = [
        "holds",
        "violated",
        "reachable",
        "unreachable",
        "inconclusive",
    ];
    for p in properties {
        assert!(outcomes.contains(&p["outcome"].as_str().unwrap()), "{p}");
        assert!(p["expected"].is_string() && p["ok"].is_boolean(), "{p}");
        let violated = p["outcome"] == "violated";
        assert_eq!(
            p["trace"].is_array(),
            violated,
            "trace only for violations: {p}"
        );
        assert!(violated || p["trace"].is_null());
    }
    let lost = properties
        .iter()
        .find(|p| p["name"] == "acknowledged_write_durability")
        .unwrap();
    let steps = lost["trace"].as_array().unwrap();
    assert!(!steps.is_empty());
    assert!(steps.iter().all(|s| s["action"].is_string()), "{lost}");
}

#[test]
fn list_shows_every_bundled_model() {
    let run = replcheck(&["list"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for entry in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("models")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "toml") {
            let stem = path.file_stem().unwrap().to_str().unwrap();
            assert!(
                run.stdout.contains(stem),
                "{stem} missing from:\n{}",
                run.stdout
            );
        }
    }
}

/// Exit 2, one line on stderr that names `file` and says `problem`, nothing on stdout,
/// and no panic.
fn assert_rejected(run: &Run, file: &str, problem: &str) {
    assert_eq!(
        run.code, 2,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(!run.stderr.contains("backtrace"), "{}", run.stderr);
    assert_eq!(
        run.stderr.trim().lines().count(),
        1,
        "one message: {}",
        run.stderr
    );
    assert!(run.stderr.contains(file), "names {file}: {}", run.stderr);
    assert!(
        run.stderr.to_lowercase().contains(&problem.to_lowercase()),
        "says {problem:?}: {}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

fn check_bad_model(name: &str, text: &str, problem: &str) {
    let dir = scratch(name);
    let model = write_model(&dir, &format!("{name}.toml"), text);
    let run = replcheck(&["check", &model]);
    assert_rejected(&run, &model, problem);
}

/// As `check_bad_model`, and the message places the problem at `line` and `column`.
fn check_bad_model_at(name: &str, text: &str, line: usize, column: usize, problem: &str) {
    let dir = scratch(name);
    let model = write_model(&dir, &format!("{name}.toml"), text);
    let run = replcheck(&["check", &model]);
    assert_rejected(&run, &model, problem);
    let at = format!("error: {model}: line {line}, column {column}: ");
    assert!(run.stderr.starts_with(&at), "{at:?} in {}", run.stderr);
}

const THREE: &str = "[[members]]\n[[members]]\n[[members]]\n";

#[test]
fn non_toml_is_rejected() {
    check_bad_model_at("garbage", "this is = = not toml\n", 1, 6, "expected `=`");
    let dir = scratch("not-utf8");
    let path = dir.join("latin1.toml");
    std::fs::write(&path, b"[[members]]\ndescription = \"caf\xe9\"\n").unwrap();
    let model = path.to_str().unwrap();
    let run = replcheck(&["check", model]);
    assert_rejected(&run, model, "line 2, column 19: not UTF-8 text");
}

#[test]
fn unknown_keys_are_rejected() {
    check_bad_model(
        "unknown-top",
        &format!("{THREE}colour = \"red\"\n"),
        "colour",
    );
    check_bad_model_at(
        "unknown-member-key",
        "[[members]]\nhidden = true\n[[members]]\n[[members]]\n",
        2,
        1,
        "unknown field `hidden`, expected one of `votes`, `priority`, `arbiter`",
    );
    check_bad_model(
        "unknown-variant",
        &format!("{THREE}[variant]\nno_safety = true\n"),
        "no_safety",
    );
    check_bad_model(
        "unknown-bounds-key",
        &format!("{THREE}[bounds]\nmax_terms = 2\n"),
        "max_terms",
    );
}

#[test]
fn arbiters_have_one_vote_and_priority_0() {
    check_bad_model_at(
        "arbiter-priority",
        "[[members]]\n[[members]]\n[[members]]\narbiter = true\npriority = 1\n",
        5,
        12,
        "arbiter n2 has a priority other than 0",
    );
    check_bad_model_at(
        "arbiter-votes",
        "[[members]]\n[[members]]\n[[members]]\narbiter = true\nvotes = 0\n",
        5,
        9,
        "arbiter n2 has votes = 0; an arbiter has exactly 1 vote",
    );
}

#[test]
fn non_voting_members_have_priority_0() {
    // Where priority is not set, the votes are at fault, and the default is named.
    check_bad_model_at(
        "nonvoter-priority",
        "[[members]]\n[[members]]\n[[members]]\nvotes = 0\n",
        4,
        9,
        "priority defaults to 1: expected priority = 0 with votes = 0",
    );
    check_bad_model_at(
        "nonvoter-priority-set",
        "[[members]]\n[[members]]\nvotes = 0\npriority = 0.5\n[[members]]\n",
        4,
        12,
        "member n1 has votes = 0 but priority > 0",
    );
}

#[test]
fn member_counts_follow_mongodb_limits() {
    // Nothing in the file to point at: the file alone is named.
    check_bad_model("no-members", "description = \"empty\"\n", "no members");
    // The eighth voter is the one too many.
    let eight = "[[members]]\n".repeat(8);
    check_bad_model_at("eight-voters", &eight, 8, 1, "MongoDB allows at most 7");
    let fifty_one = "[[members]]\nvotes = 0\npriority = 0\n".repeat(51);
    check_bad_model_at(
        "fifty-one",
        &format!("[[members]]\n{fifty_one}"),
        149,
        1,
        "52 members; MongoDB allows at most 50",
    );
}

#[test]
fn unknown_properties_and_verdicts_in_expect_are_rejected() {
    check_bad_model_at(
        "unknown-property",
        &format!("{THREE}[expect]\nno_lost_writes = \"holds\"\n"),
        5,
        1,
        "unknown property \"no_lost_writes\": expected one of",
    );
    check_bad_model_at(
        "wrong-verdict",
        &format!("{THREE}[expect]\nelection_safety = \"reachable\"\n"),
        5,
        19,
        "so expect \"holds\" or \"violated\"",
    );
}

#[test]
fn w_beyond_the_data_bearing_members_is_rejected() {
    check_bad_model_at(
        "w-too-large",
        "[[members]]\n[[members]]\n[[members]]\narbiter = true\n[workload]\nwrites = 1\nw = 3\n",
        7,
        5,
        "w = 3 is larger than the 2 data-bearing members",
    );
    check_bad_model_at(
        "w-unknown-name",
        &format!("{THREE}[workload]\nw = \"all\"\n"),
        5,
        5,
        "w = \"all\": expected a number of members or \"majority\"",
    );
}

/// Keys that belong to the other protocol version, and a bound beyond its range, are placed.
#[test]
fn keys_of_the_other_protocol_version_are_placed() {
    check_bad_model_at(
        "pv0-table-under-pv1",
        &format!("{THREE}[pv0]\nmax_elections = 2\n"),
        4,
        1,
        "[pv0] is set but protocol is not \"pv0\"",
    );
    check_bad_model_at(
        "max-term-under-pv0",
        &format!("protocol = \"pv0\"\n{THREE}[bounds]\nmax_term = 2\n"),
        6,
        12,
        "max_term has no meaning under protocol version 0",
    );
    check_bad_model_at(
        "too-many-writes",
        &format!("{THREE}[workload]\nwrites = 17\n"),
        5,
        10,
        "[workload] writes = 17: expected 0 to 16",
    );
}

#[test]
fn a_missing_file_is_rejected() {
    let run = replcheck(&["check", "no/such/model.toml"]);
    assert_rejected(&run, "no/such/model.toml", "cannot read");
}

#[test]
fn bad_flags_are_usage_errors() {
    let run = replcheck(&["check", "--no-such-flag"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--no-such-flag"));
    assert!(!run.stderr.contains("panicked"));
    let run = replcheck(&["check", "--format", "yaml"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let run = replcheck(&["check", "--threads", "0"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let run = replcheck(&["frobnicate"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let run = replcheck(&["serve", "models/none.toml"]);
    assert_rejected(&run, "models/none.toml", "cannot read");
}

#[test]
fn contradictory_flags_are_rejected_and_json_runs_always_get_a_document() {
    let model = "tests/fixtures/psa-w1.toml";
    for flags in [&["--diagram", "mermaid"][..], &["--full-states"][..]] {
        let mut args = vec!["check", "--format", "json", model];
        args.extend(flags);
        let run = replcheck(&args);
        assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
        assert!(
            run.stderr
                .contains(&format!("error: {} shapes the text report", flags[0])),
            "{}",
            run.stderr
        );
        let document: Value = serde_json::from_str(&run.stdout).expect("a JSON document");
        assert_eq!(document["ok"], false);
        assert_eq!(document["exit_code"], 2);
        assert!(document["error"].as_str().unwrap().contains(flags[0]));
        assert_eq!(document["models"], Value::Array(vec![]));
    }
    // Bad input and a command line that does not parse, with --format json.
    for args in [
        &["check", "--format", "json", "models/none.toml"][..],
        &["check", "--format=json", "--threads", "0", model][..],
        &["check", "--format", "json", "--no-such-flag"][..],
    ] {
        let run = replcheck(args);
        assert_eq!(run.code, 2, "{args:?}: {}{}", run.stdout, run.stderr);
        let document: Value = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: no JSON document ({e}): {}", run.stdout));
        assert_eq!(document["exit_code"], 2, "{args:?}");
        assert!(!document["error"].as_str().unwrap().is_empty());
        assert!(!run.stderr.is_empty());
    }
    // Without --format json, stdout stays empty on bad input.
    let run = replcheck(&["check", "models/none.toml"]);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

/// `replcheck bench` runs each benchmark in a child process and prints one Markdown row
/// per run with its figures; the atomic benchmark reaches TLC's state count. With
/// `--against BINARY` each run is made with the other executable too (here the same one),
/// and the footer gives the ratio.
#[test]
fn bench_prints_a_row_per_run_with_measured_figures() {
    let exe = env!("CARGO_BIN_EXE_replcheck");
    let run = replcheck(&[
        "bench",
        "--only",
        "atomic-3x4x4-sym",
        "--threads",
        "1,2",
        "--against",
        exe,
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let rows: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("| atomic-3x4x4-sym |"))
        .collect();
    assert_eq!(rows.len(), 4, "{}", run.stdout);
    let binaries = ["`other`", "this", "`other`", "this"];
    for ((row, threads), binary) in rows.iter().zip(["1", "1", "2", "2"]).zip(binaries) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        assert_eq!(cells[2].replace(exe, "other"), binary, "{row}");
        assert_eq!(cells[3], threads, "{row}");
        assert_eq!(cells[5], "180,745", "{row}");
        assert!(cells[8].parse::<f64>().is_ok(), "seconds: {row}");
        assert!(cells[9].ends_with("MB"), "peak memory: {row}");
        assert_eq!(cells[11], "-", "no violation: {row}");
        assert_eq!(cells[12], "as expected", "{row}");
    }
    assert!(
        run.stdout.contains("same verdicts on every thread count"),
        "{}",
        run.stdout
    );
    for threads in ["on 1 thread ", "on 2 threads "] {
        assert!(
            run.stdout
                .contains(&format!("{threads}this binary generates")),
            "{}",
            run.stdout
        );
    }
    let missing = replcheck(&["bench", "--against", "/no/such/replcheck"]);
    assert_eq!(missing.code, 2, "{}", missing.stderr);
    let unknown = replcheck(&["bench", "--only", "no-such-benchmark"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("atomic-3x4x4"),
        "{}",
        unknown.stderr
    );
}

/// An atomic-level model checks the atomic level's properties, and says so in JSON.
#[test]
fn atomic_models_report_their_level_and_properties() {
    let run = replcheck(&["check", "--format", "json", "models/static-raft.toml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let m = &report["models"][0];
    assert_eq!(m["granularity"], "atomic");
    assert_eq!(m["unique_states"], 180_745);
    assert_eq!(
        property_names(m),
        [
            "election_safety",
            "log_matching",
            "primary_elected",
            "leader_completeness",
            "state_machine_safety",
            "entry_committed",
        ]
    );
    assert!(report["peak_memory_bytes"].as_u64().is_some_and(|b| b > 0));
}

/// A trace file written by `check --trace-dir` for `psa-w1`'s lost write, with its
/// directory.
fn written_trace(test: &str) -> (PathBuf, PathBuf) {
    let dir = scratch(test);
    let model = write_model(&dir, "psa-w1.toml", &psa_w1());
    let traces = dir.join("traces");
    let run = replcheck(&["check", "--trace-dir", traces.to_str().unwrap(), &model]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    (
        dir,
        traces.join("psa-w1.acknowledged_write_durability.json"),
    )
}

#[test]
fn trace_files_replay_step_by_step() {
    let (_, trace) = written_trace("replay");
    let itf = trace.with_file_name("psa-w1.acknowledged_write_durability.itf.json");
    let itf: Value = serde_json::from_str(&std::fs::read_to_string(itf).unwrap()).unwrap();
    assert_eq!(itf["#meta"]["format"], "ITF");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&trace).unwrap()).unwrap();
    let steps = doc["steps"].as_array().unwrap().len();
    assert_eq!(itf["states"].as_array().unwrap().len(), steps + 1);
    assert_eq!(doc["format"], "replcheck-trace");
    assert!(doc["story"]
        .as_str()
        .unwrap()
        .contains("write 1 was acknowledged with w:1"));

    let run = replcheck(&["replay", trace.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        run.stdout.matches(": ok  ").count(),
        steps,
        "{}",
        run.stdout
    );
    assert!(run
        .stdout
        .contains("Reproduced: the last state violates acknowledged_write_durability."));
}

#[test]
fn a_trace_that_no_longer_holds_does_not_replay() {
    let (dir, trace) = written_trace("replay-tampered");
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(&trace).unwrap()).unwrap();

    // The last step dropped: every step replays, but no violation is reached.
    let mut short = doc.clone();
    short["steps"].as_array_mut().unwrap().pop();
    let file = dir.join("short.json");
    std::fs::write(&file, short.to_string()).unwrap();
    let run = replcheck(&["replay", file.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("NOT reproduced"), "{}", run.stdout);

    // An index that now names another action (docs/stateright.md defect 5) is caught.
    let first = &mut doc["steps"][0];
    first["index"] = Value::from(first["index"].as_u64().unwrap() + 1);
    let file = dir.join("shifted.json");
    std::fs::write(&file, doc.to_string()).unwrap();
    let run = replcheck(&["replay", file.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("step 1: DIFFERS"), "{}", run.stdout);

    // Not a trace file at all.
    let model = dir.join("psa-w1.toml");
    let run = replcheck(&["replay", model.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("psa-w1.toml: not a JSON trace file"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_trace_carries_its_model_and_replays_wherever_it_is_moved() {
    let dir = scratch("replay-moved");
    write_model(&dir, "psa-w1.toml", &psa_w1());
    // Written from the model's own directory, with a relative path.
    let out = common::command()
        .current_dir(&dir)
        .args(["check", "--trace-dir", "traces", "psa-w1.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let trace = dir.join("traces/psa-w1.acknowledged_write_durability.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&trace).unwrap()).unwrap();
    assert_eq!(doc["model_text"], psa_w1());
    // Moved elsewhere, the model file gone, replayed from the repository root.
    let moved = scratch("replay-moved-elsewhere").join("t.json");
    std::fs::rename(&trace, &moved).unwrap();
    std::fs::remove_file(dir.join("psa-w1.toml")).unwrap();
    let run = replcheck(&["replay", moved.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains(
            "note: psa-w1.toml is not here; replaying against the model the trace carries"
        ),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("Reproduced"));

    // --model: the same text elsewhere replays; another text is refused.
    let copy = write_model(&dir, "copy.toml", &psa_w1());
    let run = replcheck(&["replay", moved.to_str().unwrap(), "--model", &copy]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let other = write_model(
        &dir,
        "other.toml",
        &psa_w1().replace("max_term = 2", "max_term = 3"),
    );
    let run = replcheck(&["replay", moved.to_str().unwrap(), "--model", &other]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains(
            "is not the model file the trace was written from (psa-w1.toml): their texts differ"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn models_that_share_a_name_get_trace_files_of_their_own() {
    let dir = scratch("same-stem");
    std::fs::create_dir_all(dir.join("a")).unwrap();
    std::fs::create_dir_all(dir.join("b")).unwrap();
    write_model(&dir.join("a"), "x.toml", &psa_w1());
    write_model(
        &dir.join("b"),
        "x.toml",
        &psa_w1().replace("max_term = 2", "max_term = 3"),
    );
    // A model whose own stem is what a repeated one would first be numbered to.
    write_model(&dir, "a-x-2.toml", &psa_w1());
    let out = common::command()
        .current_dir(&dir)
        .args([
            "check",
            "--trace-dir",
            "traces",
            "a-x-2.toml",
            "a/x.toml",
            "b/x.toml",
            "a/x.toml",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    for (stem, file) in [
        ("a-x-2", "a-x-2.toml"),
        ("a-x", "a/x.toml"),
        ("b-x", "b/x.toml"),
        ("a-x-3", "a/x.toml"),
    ] {
        let trace = dir.join(format!("traces/{stem}.acknowledged_write_durability.json"));
        let doc: Value = serde_json::from_str(
            &std::fs::read_to_string(&trace).unwrap_or_else(|e| panic!("{stem}: {e}")),
        )
        .unwrap();
        assert_eq!(doc["model_file"], file);
        assert!(dir
            .join(format!(
                "traces/{stem}.acknowledged_write_durability.itf.json"
            ))
            .is_file());
    }
}

#[test]
fn junit_has_a_test_case_per_property_and_the_trace_in_each_failure() {
    let dir = scratch("junit");
    let text = psa_w1().replace(
        "acknowledged_write_durability = \"violated\"",
        "acknowledged_write_durability = \"holds\"",
    );
    let model = write_model(&dir, "psa-w1.toml", &text);
    let junit = dir.join("junit.xml");
    let run = replcheck(&["check", "--junit", junit.to_str().unwrap(), &model]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let xml = std::fs::read_to_string(junit).unwrap();
    assert!(xml.starts_with("<?xml"));
    assert_eq!(xml.matches("<testcase ").count(), 12, "{xml}");
    assert_eq!(xml.matches("<failure ").count(), 1, "{xml}");
    assert!(xml.contains(r#"<testsuites name="replcheck" tests="12" failures="1""#));
    let failure = &xml[xml.find("<failure").unwrap()..xml.find("</failure>").unwrap()];
    assert!(failure.contains("acknowledged_write_durability violated (expected holds)"));
    assert!(failure.contains("How acknowledged_write_durability fails:"));
    assert!(failure.contains("n1  PRIMARY (was SECONDARY)"));
}

#[test]
fn traces_show_changes_by_default_and_whole_states_on_request() {
    let dir = scratch("full");
    let model = write_model(&dir, "psa-w1.toml", &psa_w1());
    let brief = replcheck(&["check", &model]);
    let full = replcheck(&["check", "--full-states", &model]);
    assert_eq!((brief.code, full.code), (0, 0));
    // Only the members a step changed, with what they were, by default.
    assert!(
        brief.stdout.contains("PRIMARY (was SECONDARY)"),
        "{}",
        brief.stdout
    );
    assert!(brief
        .stdout
        .contains("client acknowledged +write 1 at (1,2)"));
    // Every member after every step with --full-states.
    let steps = full.stdout.matches("client     acknowledged").count();
    assert!(steps > 9, "{}", full.stdout);
    assert!(brief.stdout.matches("client     acknowledged").count() < steps);
    // The story closes the trace, and a run whose stderr is no terminal shows no
    // progress line.
    assert!(brief
        .stdout
        .contains("How acknowledged_write_durability fails:"));
    assert!(brief.stderr.is_empty(), "{}", brief.stderr);
}

/// `--max-states N` bounds the search for the shortest trace too. Here the exploration,
/// depth-first, meets a write acknowledged deep within 1922 states, and a breadth-first search to that
/// depth would meet millions of states first (20 seconds and 700 MB, unbounded); bounded,
/// it stops at the limit, says so, and the property has no trace.
#[test]
fn a_run_cut_short_does_not_search_beyond_its_limit_for_a_trace() {
    let dir = scratch("bounded-search");
    let text = "[[members]]\n[[members]]\n[[members]]\n[[members]]\npriority = 4\n[[members]]\nvotes = 0\npriority = 0\n[settings]\nchaining_allowed = false\n[workload]\nwrites = 4\n[bounds]\nmax_term = 1\n[expect]\nmajority_write_acknowledged = \"unreachable\"\n";
    let model = write_model(&dir, "five.toml", text);
    let run = replcheck(&[
        "check",
        "--threads",
        "1",
        "--max-states",
        "1922",
        "--order",
        "depth-first",
        "--no-symmetry",
        "--format",
        "json",
        &model,
    ]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).expect("JSON report");
    let m = &report["models"][0];
    assert_eq!(m["complete"], false);
    let acknowledged = m["properties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "majority_write_acknowledged")
        .unwrap();
    assert_eq!(acknowledged["outcome"], "reachable", "{acknowledged}");
    assert!(acknowledged["trace"].is_null(), "{acknowledged}");
    assert_eq!(m["trace_search_stopped_by"]["limit"], "max_states");
    assert!(m["states"].as_u64().unwrap() < 2500, "{m}");
}

/// The probe meets a violation that depth-first search does not reach in minutes: in the
/// realistic PSS with the fetcher's consistency check off, `log_matching` fails 11 steps
/// from the initial state, and the probe (here without a time bound, so that only its
/// level cap decides when it turns depth-first) meets it among the first five million
/// states generated, with an 11-step trace, and reports the run as cut short. One thread,
/// so that the depth-first part's order, and what else it meets, is fixed; `--explore`,
/// so that only what the file states is judged (other properties break too once oplogs
/// diverge, and which of them a partial run meets depends on its order).
#[test]
fn the_probe_meets_a_shallow_violation_in_a_state_space_it_cannot_finish() {
    let run = replcheck(&[
        "check",
        "models/bench/realistic/bugs/fetch-consistency-check.toml",
        "--probe-seconds",
        "100000",
        "--max-states",
        "5000000",
        "--threads",
        "1",
        "--explore",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).expect("JSON report");
    let m = &report["models"][0];
    assert_eq!(m["complete"], false);
    let log_matching = m["properties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "log_matching")
        .unwrap();
    assert_eq!(log_matching["outcome"], "violated", "{log_matching}");
    assert_eq!(log_matching["shortest"], true, "{log_matching}");
    assert_eq!(log_matching["trace"].as_array().map(Vec::len), Some(11));
    assert!(log_matching["found_after_seconds"].as_f64().is_some());
    // Depth-first alone (on one thread, so that its order is fixed), in the same number
    // of states, does not meet it.
    let deep = replcheck(&[
        "check",
        "models/bench/realistic/bugs/fetch-consistency-check.toml",
        "--order",
        "depth-first",
        "--threads",
        "1",
        "--max-states",
        "5000000",
        "--format",
        "json",
    ]);
    let report: Value = serde_json::from_str(&deep.stdout).expect("JSON report");
    let outcome = report["models"][0]["properties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "log_matching")
        .unwrap()["outcome"]
        .clone();
    assert_eq!(outcome, "inconclusive");
}
