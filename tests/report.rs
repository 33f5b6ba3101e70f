//! REPORT.md agrees with `models/`: it lists exactly the bundled models, each with the
//! verdicts its file expects (every bundled model meets its expectations, which
//! `tests/models.rs` checks by running them), and its hand-written part is marked so that
//! `replcheck report` keeps it.

use replcheck::config;
use replcheck::level::VARIANT_VIOLATES;
use replcheck::report::markdown::MARKER;
use std::collections::BTreeMap;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// model name -> outcome -> sorted property names, from the models' files.
type Verdicts = BTreeMap<String, BTreeMap<String, Vec<String>>>;

fn expected() -> Verdicts {
    let mut all = Verdicts::new();
    for dir in ["models", "models/bugs"] {
        for entry in std::fs::read_dir(root().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|x| x != "toml") {
                continue;
            }
            let spec = config::load(&path).unwrap_or_else(|e| panic!("{e}"));
            let model = all.entry(spec.name.clone()).or_default();
            for (property, expected) in &spec.expectations {
                model
                    .entry(expected.to_string())
                    .or_default()
                    .push(property.name.to_string());
            }
        }
    }
    for model in all.values_mut() {
        for names in model.values_mut() {
            names.sort();
        }
    }
    all
}

/// The verdict table of REPORT.md's generated part.
fn reported(report: &str) -> Verdicts {
    let table = report
        .split("### Verdicts")
        .nth(1)
        .expect("REPORT.md has a Verdicts table");
    let mut lines = table.lines().skip_while(|l| !l.starts_with("| model |"));
    let header: Vec<String> = cells(lines.next().expect("a header row"));
    let mut all = Verdicts::new();
    for line in lines.skip(1).take_while(|l| l.starts_with('|')) {
        let row = cells(line);
        let model = all.entry(row[0].trim_matches('`').to_string()).or_default();
        for (outcome, cell) in header.iter().zip(&row).skip(1) {
            assert!(
                !cell.contains("MISMATCH"),
                "REPORT.md records a mismatch: {line}"
            );
            let mut names: Vec<String> = cell
                .split(", ")
                .filter(|n| !n.is_empty())
                .map(|n| n.trim_matches('`').to_string())
                .collect();
            names.sort();
            if !names.is_empty() {
                model.insert(outcome.clone(), names);
            }
        }
    }
    all
}

fn cells(line: &str) -> Vec<String> {
    line.trim()
        .trim_matches('|')
        .split(" | ")
        .map(|c| c.trim().to_string())
        .collect()
}

#[test]
fn report_lists_the_bundled_models_with_their_verdicts() {
    let report = std::fs::read_to_string(root().join("REPORT.md")).unwrap();
    let reported = reported(&report);
    let expected = expected();
    assert_eq!(
        reported.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "REPORT.md's models differ from models/: run `cargo run --release report`"
    );
    for (model, verdicts) in &expected {
        assert_eq!(
            &reported[model], verdicts,
            "{model}: REPORT.md's verdicts differ from its file's expectations: run `cargo run --release report`"
        );
    }
}

#[test]
fn report_keeps_a_hand_written_part_with_the_notes_on_faithfulness() {
    let report = std::fs::read_to_string(root().join("REPORT.md")).unwrap();
    let at = report
        .find(MARKER)
        .expect("REPORT.md has the hand-written marker");
    assert!(report[at..].contains("## Notes on faithfulness"));
    // Every bug model's counterexample is told, with its diagram, in the generated part.
    let generated = &report[..at];
    for entry in std::fs::read_dir(root().join("models/bugs")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_str().unwrap();
        let section = generated
            .split(&format!("### `{name}`: "))
            .nth(1)
            .unwrap_or_else(|| panic!("REPORT.md tells no counterexample for {name}"));
        // Each shows the violation its variant is about (README's variant table).
        let spec = config::load(&path).unwrap();
        let (key, _) = spec.settings.variant.changes()[0];
        let (_, property) = VARIANT_VIOLATES.iter().find(|(k, _)| *k == key).unwrap();
        assert!(
            section.starts_with(&format!("{property}\n")),
            "{name}: REPORT.md shows another violation than {property}"
        );
        let section = section.split("\n### ").next().unwrap();
        assert!(section.contains("```mermaid\nsequenceDiagram"), "{name}");
        assert!(section.contains(" fails:"), "{name}: no story");
    }
}

/// Every document the project cites is in the repository: README, REPORT.md, model files,
/// code and tests name `docs/*.md`, README.md and REPORT.md, never a document a clone does
/// not have.
#[test]
fn every_document_the_project_cites_is_in_the_repository() {
    fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files(&path, out);
            } else if path
                .extension()
                .is_some_and(|x| x == "rs" || x == "toml" || x == "md")
            {
                out.push(path);
            }
        }
    }
    let mut all = vec![root().join("README.md"), root().join("REPORT.md")];
    for dir in ["src", "tests", "models", "docs"] {
        files(&root().join(dir), &mut all);
    }
    for file in &all {
        let text = std::fs::read_to_string(file).unwrap();
        // Every Markdown document named (bare, under docs/ or relative, ending in .md) is a
        // file of the repository, found from the root, from docs/ or beside the citer.
        let beside = file.parent().unwrap();
        for (at, _) in text.match_indices(".md") {
            let start = text[..at]
                .rfind(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '-' | '_')))
                .map_or(0, |i| i + 1);
            let cited = &text[start..at + 3];
            // A web address's path is not a file of the repository.
            // Nor is another repository's document, cited by its path there
            // (`src/mongo/db/repl/README.md`): the project's own are named bare, under
            // docs/, or relative to the citer.
            let elsewhere = text[..start].ends_with(':')
                || (cited.contains('/')
                    && !["docs/", "./", "../"].iter().any(|p| cited.starts_with(p)));
            let name = cited.trim_start_matches('/');
            if elsewhere
                || name.len() <= 3
                || text[at + 3..].starts_with(|c: char| c.is_ascii_alphanumeric())
            {
                continue;
            }
            let found = [root(), &root().join("docs"), beside]
                .iter()
                .any(|dir| dir.join(name).is_file());
            assert!(
                found,
                "{} cites {cited}, which is not in the repository",
                file.display()
            );
        }
    }
}
