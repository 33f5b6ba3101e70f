//! The bundled models (models/*.toml and models/bugs/*.toml) meet the expectations their
//! files state, and their exploration is complete. `.ci/run` gates on every one of them
//! with `cargo run --release check`; the suite here checks the small ones, one test per
//! model on one thread, so that the test harness runs them side by side, and leaves the
//! heavy ones (`HEAVY`, tens of seconds each) to that gate rather than checking them
//! twice. The bug models are the mutation suite: each switches off one safety mechanism
//! and must be caught, and the same model with the mechanism back on must not be.

use replcheck::check::{self, Options};
use replcheck::config::{self, ModelSpec};
use replcheck::level::atomic::AtomicBounds;
use replcheck::level::LevelSpec;
use replcheck::protocol::replset::Variant;
use replcheck::protocol::types::Term;
use replcheck::report;
use std::path::{Path, PathBuf};

const BUNDLED: &[&str] = &[
    "five-members",
    "jepsen-3.4.0-rc3",
    "majority-j",
    "majority-journaled",
    "majority-unjournaled",
    "own-properties",
    "psa-majority",
    "pss-majority",
    "pss-w1",
    "pv0-majority",
    "static-raft",
    "two-members",
];

/// The bundled models the gate of `.ci/run` checks and this suite does not: each takes tens
/// of seconds on one thread.
const HEAVY: &[&str] = &[
    "jepsen-3.4.0-rc3",
    "majority-j",
    "majority-unjournaled",
    "psa-majority",
    "pss-majority",
    "pss-w1",
    "pv0-majority",
    "bugs/own-term-commit-rule",
];

/// The bug models, with the property each variant must violate.
const BUGS: &[(&str, &str)] = &[
    ("arbiter-stands", "arbiter_never_primary"),
    ("commit-point-term-check", "committed_never_rolled_back"),
    ("durable-vote", "election_safety"),
    ("fetch-consistency-check", "log_matching"),
    ("own-term-commit-rule", "committed_never_rolled_back"),
    ("unelectable-stands", "unelectable_never_primary"),
];

fn models_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models")
}

const ONE_THREAD: Options = Options {
    threads: 1,
    symmetry: true,
    ..Options::DEFAULT
};

fn check_file(file: &Path) {
    let name = file.display();
    let spec = config::load(file).unwrap_or_else(|e| panic!("{e}"));
    let result = check::check(&spec, ONE_THREAD);
    let mut text = Vec::new();
    report::text(
        std::slice::from_ref(&result),
        1,
        report::TextOptions::default(),
        &mut text,
    )
    .unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(result.complete(), "{name}: exploration incomplete\n{text}");
    assert!(result.ok(), "{name}: expectations not met\n{text}");
    // A counterexample accompanies every violation, and it is proven shortest.
    for (property, outcome, shortest) in result.outcomes() {
        if outcome == check::Outcome::Violated {
            let shortest = shortest.unwrap_or_else(|| panic!("{name}: no trace\n{text}"));
            assert!(shortest, "{name}: {} trace not shortest", property.name);
        }
    }
}

/// The model names (file stems) in `dir`, sorted.
fn model_names(dir: &Path) -> Vec<String> {
    let mut found: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| p.file_stem().unwrap().to_str().unwrap().to_string())
        .collect();
    found.sort();
    found
}

const TWO_THREADS: Options = Options {
    threads: 2,
    symmetry: true,
    ..Options::DEFAULT
};

#[test]
fn every_model_file_is_in_this_list() {
    assert_eq!(
        model_names(&models_dir()),
        BUNDLED,
        "add new models to BUNDLED and give each a test"
    );
}

#[test]
fn every_bug_model_is_in_the_mutation_suite() {
    let listed: Vec<&str> = BUGS.iter().map(|(name, _)| *name).collect();
    assert_eq!(model_names(&models_dir().join("bugs")), listed);
}

/// The mutation suite's other half: every bug model sets a variant and expects the
/// violation it causes (its own test, or the gate for the heavy ones, checks that the
/// violation is found), and the same model with MongoDB's mechanisms in force does not
/// violate that property.
#[test]
fn mutation_suite_each_mechanism_prevents_its_violation() {
    for (name, property) in BUGS {
        let file = models_dir().join("bugs").join(format!("{name}.toml"));
        let spec = config::load(&file).unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(
            spec.settings.variant,
            Variant::default(),
            "{name} sets a variant"
        );
        let expected = spec
            .expectations
            .iter()
            .find(|(p, _)| p.name == *property)
            .map(|(_, e)| *e);
        assert_eq!(expected, Some(config::Expected::Violated), "{name}");
        let mut mongodb = spec.clone();
        mongodb.settings.variant = Variant::default();
        let result = check::check(&mongodb, TWO_THREADS);
        assert!(result.complete(), "{name}");
        assert_eq!(
            result.outcome(property),
            Some(check::Outcome::Holds),
            "{name} without the variant"
        );
    }
}

/// Seed 003's loss needs the volatile journal tail: the unjournaled model with every entry
/// journaled as it is written loses nothing, and with the commit point counting durable
/// positions (the default) nothing is lost either.
#[test]
fn the_seed_003_loss_comes_from_the_unjournaled_tail() {
    let file = models_dir().join("majority-unjournaled.toml");
    let spec = config::load(&file).unwrap();
    let durability = |spec: &ModelSpec| {
        let result = check::check(spec, ONE_THREAD);
        assert!(result.complete());
        result.outcome("majority_write_durability").unwrap()
    };
    // The model itself (its loss) is checked by the gate.
    let mut journaled_at_once = spec.clone();
    journaled_at_once.settings.journal_lag = false;
    assert_eq!(durability(&journaled_at_once), check::Outcome::Holds);
    let mut journal_default = spec.clone();
    journal_default.settings.wc_majority_journal_default = true;
    assert_eq!(durability(&journal_default), check::Outcome::Holds);
}

#[test]
fn extended_models_are_valid() {
    // They take minutes, so they are not run here (REPORT.md has their figures); they
    // must still load.
    for entry in std::fs::read_dir(models_dir().join("extended")).unwrap() {
        let path = entry.unwrap().path();
        config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    }
}

/// Every benchmark names a model file that loads (`replcheck bench` runs them).
#[test]
fn benchmark_models_are_valid() {
    let root = models_dir().parent().unwrap().to_path_buf();
    for b in replcheck::bench::BENCHMARKS {
        config::load(&root.join(b.file)).unwrap_or_else(|e| panic!("{}: {e}", b.name));
    }
}

/// One test per model file, named after it.
macro_rules! model_tests {
    ($($test:ident => $file:literal),* $(,)?) => {
        $(
            #[test]
            fn $test() {
                check_file(&models_dir().join($file));
            }
        )*
    };
}

model_tests! {
    five_members => "five-members.toml",
    majority_journaled => "majority-journaled.toml",
    own_properties => "own-properties.toml",
    static_raft => "static-raft.toml",
    two_members => "two-members.toml",
    bug_arbiter_stands => "bugs/arbiter-stands.toml",
    bug_commit_point_term_check => "bugs/commit-point-term-check.toml",
    bug_durable_vote => "bugs/durable-vote.toml",
    bug_fetch_consistency_check => "bugs/fetch-consistency-check.toml",
    bug_unelectable_stands => "bugs/unelectable-stands.toml",
}

/// The models `model_tests!` checks here.
const LIGHT: &[&str] = &[
    "five-members",
    "majority-journaled",
    "own-properties",
    "static-raft",
    "two-members",
    "bugs/arbiter-stands",
    "bugs/commit-point-term-check",
    "bugs/durable-vote",
    "bugs/fetch-consistency-check",
    "bugs/unelectable-stands",
];

/// Every bundled model is checked here or, if heavy, by the gate only, and never both.
#[test]
fn every_bundled_model_is_checked_here_or_by_the_gate() {
    let mut all: Vec<String> = BUNDLED.iter().map(|m| m.to_string()).collect();
    all.extend(BUGS.iter().map(|(m, _)| format!("bugs/{m}")));
    let mut split: Vec<String> = LIGHT.iter().chain(HEAVY).map(|m| m.to_string()).collect();
    all.sort();
    split.sort();
    assert_eq!(all, split);
}

/// Symmetry reduction changes the number of states, never a verdict: small models give
/// the same outcomes with and without it, with one thread and with two.
#[test]
fn symmetry_and_threads_change_no_verdict() {
    for file in ["two-members.toml", "bugs/commit-point-term-check.toml"] {
        let spec = config::load(&models_dir().join(file)).unwrap();
        let outcomes = |symmetry: bool, threads: usize| {
            let options = Options {
                threads,
                symmetry,
                ..Options::DEFAULT
            };
            let result = check::check(&spec, options);
            assert!(result.complete());
            let outcomes: Vec<_> = result.outcomes().into_iter().map(|(_, o, _)| o).collect();
            (outcomes, result.unique_states())
        };
        let (reduced, reduced_states) = outcomes(true, 1);
        let (full, full_states) = outcomes(false, 1);
        assert_eq!(reduced, full, "{file}");
        assert!(reduced_states < full_states, "{file}: symmetry reduces");
        // The representative does not depend on the order states are found in.
        assert_eq!(outcomes(true, 2), (reduced, reduced_states), "{file}");
    }
}

/// The atomic level reaches exactly the states TLC reaches in MongoStaticRaft with the
/// configuration fixed to all servers (TLC 2.15's distinct-state counts, REPORT.md "The
/// atomic level"): 3 members with terms and oplogs bounded at 3/2, 3/3 and 4/4, and the
/// 4/4 count up to renaming of the members, where TLC's symmetry reduction finds 180,745.
/// The symmetry reduction is exact here (a member's state names no other member), so the
/// reduced count does not depend on the thread count either.
#[test]
fn atomic_level_reaches_exactly_tlcs_distinct_states() {
    let spec = config::load(&models_dir().join("static-raft.toml")).unwrap();
    let count = |max_term: u8, max_oplog_len: u8, symmetry: bool, threads: usize| {
        let mut spec = spec.clone();
        spec.level = LevelSpec::Atomic(AtomicBounds {
            max_term: Term(max_term),
            max_oplog_len,
        });
        let options = Options {
            threads,
            symmetry,
            ..Options::DEFAULT
        };
        let result = check::check(&spec, options);
        assert!(result.complete() && result.ok());
        result.unique_states()
    };
    assert_eq!(count(3, 2, false, 1), 10_411);
    assert_eq!(count(3, 3, false, 1), 53_881);
    assert_eq!(count(4, 4, false, 2), 1_068_112);
    assert_eq!(count(4, 4, true, 1), 180_745);
    assert_eq!(count(4, 4, true, 2), 180_745);
}
