//! Every bundled model (models/*.toml) meets the expectations its file states, and its
//! exploration is complete. One test per model, each checker on one thread, so that the
//! test harness runs the models side by side.

use replcheck::check::{self, Options};
use replcheck::config;
use replcheck::report;
use std::path::{Path, PathBuf};

const BUNDLED: &[&str] = &[
    "five-members",
    "psa-majority",
    "pss-majority",
    "pss-w1",
    "two-members",
];

fn models_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models")
}

fn check_bundled(name: &str) {
    let file = models_dir().join(format!("{name}.toml"));
    let spec = config::load(&file).unwrap_or_else(|e| panic!("{e}"));
    let options = Options {
        threads: 1,
        symmetry: true,
        max_states: None,
    };
    let result = check::check(&spec, options);
    let mut text = Vec::new();
    report::text(std::slice::from_ref(&result), 1, &mut text).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(result.complete, "{name}: exploration incomplete\n{text}");
    assert!(result.ok(), "{name}: expectations not met\n{text}");
    // A counterexample accompanies every violation, and it is proven shortest.
    for p in &result.properties {
        if p.outcome == check::Outcome::Violated {
            let trace = p
                .trace
                .as_ref()
                .unwrap_or_else(|| panic!("{name}: no trace\n{text}"));
            assert!(
                trace.shortest,
                "{name}: {} trace not shortest",
                p.property.name
            );
        }
    }
}

#[test]
fn every_model_file_is_in_this_list() {
    let mut found: Vec<String> = std::fs::read_dir(models_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| p.file_stem().unwrap().to_str().unwrap().to_string())
        .collect();
    found.sort();
    assert_eq!(
        found, BUNDLED,
        "add new models to BUNDLED and give each a test"
    );
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

#[test]
fn five_members() {
    check_bundled("five-members");
}

#[test]
fn psa_majority() {
    check_bundled("psa-majority");
}

#[test]
fn pss_majority() {
    check_bundled("pss-majority");
}

#[test]
fn pss_w1() {
    check_bundled("pss-w1");
}

#[test]
fn two_members() {
    check_bundled("two-members");
}
