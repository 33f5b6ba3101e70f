//! Model files: one scenario per TOML file, with its expected verdicts.
//!
//! The schema is an interface (README, "Writing a model"): keys are extended, never
//! renamed, and an unknown key is an error. `load` reads and validates a file into a
//! [`ModelSpec`]; every problem comes back as one message naming the file (and, for TOML
//! errors, the line and column).

use crate::error::Error;
use crate::protocol::atomic::{self, AtomicBounds};
use crate::protocol::properties::{self, Kind, PropertySpec};
use crate::protocol::replset::{
    ConfigError, MemberConfig, Protocol, Pv0Settings, Settings, Variant,
};
use crate::protocol::types::{Term, WriteConcern};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// The largest bounds a model file may ask for: beyond them no exploration finishes.
const MAX_WRITES: u8 = 16;
const MAX_TERM: u8 = 16;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelFile {
    description: Option<String>,
    granularity: Option<String>,
    protocol: Option<String>,
    write_concern_majority_journal_default: Option<bool>,
    #[serde(default)]
    members: Vec<MemberEntry>,
    settings: Option<SettingsTable>,
    workload: Option<WorkloadTable>,
    faults: Option<FaultsTable>,
    #[serde(default)]
    bounds: BoundsTable,
    variant: Option<VariantTable>,
    pv0: Option<Pv0Table>,
    #[serde(default)]
    expect: BTreeMap<String, String>,
}

/// `[pv0]`: what only protocol version 0 needs (README, "Protocol version 0").
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Pv0Table {
    freshness_window: Option<u8>,
    max_elections: Option<u8>,
    max_clock_jumps: Option<u8>,
    max_isolated: Option<u8>,
}

/// `[variant]`: bug variants, each switching off one safety mechanism (README, "Bug
/// variants"). Absent keys keep MongoDB's behaviour.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct VariantTable {
    own_term_commit_rule: Option<bool>,
    durable_vote: Option<bool>,
    arbiters_may_stand: Option<bool>,
    unelectable_may_stand: Option<bool>,
    commit_point_term_check: Option<bool>,
    fetch_consistency_check: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MemberEntry {
    votes: Option<u8>,
    priority: Option<f64>,
    arbiter: Option<bool>,
}

/// The replica set's `settings` document (only what the model uses).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsTable {
    #[serde(default = "yes")]
    chaining_allowed: bool,
}

impl Default for SettingsTable {
    fn default() -> Self {
        SettingsTable {
            chaining_allowed: true,
        }
    }
}

fn yes() -> bool {
    true
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkloadTable {
    #[serde(default)]
    writes: u8,
    w: Option<WValue>,
    #[serde(default)]
    j: bool,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum WValue {
    Number(i64),
    Name(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultsTable {
    #[serde(default)]
    max_crashes: u8,
    total_crashes: Option<u8>,
    #[serde(default = "yes")]
    journal_lag: bool,
    #[serde(default)]
    message_loss: bool,
}

impl Default for FaultsTable {
    fn default() -> Self {
        FaultsTable {
            max_crashes: 0,
            total_crashes: None,
            journal_lag: true,
            message_loss: false,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct BoundsTable {
    max_term: Option<u8>,
    /// The atomic level's bound on every oplog's length.
    max_oplog_len: Option<u8>,
}

fn default_max_term() -> u8 {
    3
}

/// The `[pv0]` table, which only protocol version 0 takes; `max_term` and the bug variants
/// belong to protocol version 1.
fn pv0_settings(
    protocol: Protocol,
    table: Option<&Pv0Table>,
    members: usize,
) -> Result<Pv0Settings, String> {
    let defaults = Pv0Settings::default();
    let Some(table) = table else {
        return Ok(defaults);
    };
    if protocol != Protocol::Pv0 {
        return Err("[pv0] is set but protocol is not \"pv0\"".into());
    }
    let settings = Pv0Settings {
        freshness_window: table.freshness_window.unwrap_or(defaults.freshness_window),
        max_elections: table.max_elections.unwrap_or(defaults.max_elections),
        max_clock_jumps: table.max_clock_jumps.unwrap_or(defaults.max_clock_jumps),
        max_isolated: table.max_isolated.unwrap_or(defaults.max_isolated),
    };
    if settings.max_elections == 0 || settings.max_elections > MAX_TERM {
        return Err(format!(
            "[pv0] max_elections = {}: expected 1 to {MAX_TERM}",
            settings.max_elections
        ));
    }
    if settings.max_clock_jumps > MAX_TERM {
        return Err(format!(
            "[pv0] max_clock_jumps = {}: expected 0 to {MAX_TERM}",
            settings.max_clock_jumps
        ));
    }
    if usize::from(settings.max_isolated) > members {
        return Err(format!(
            "[pv0] max_isolated = {} but the set has only {members} members",
            settings.max_isolated
        ));
    }
    if settings.freshness_window > MAX_TERM {
        return Err(format!(
            "[pv0] freshness_window = {}: expected 0 to {MAX_TERM} timestamp ticks",
            settings.freshness_window
        ));
    }
    Ok(settings)
}

/// What a model file expects of a property.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Expected {
    Holds,
    Violated,
    Reachable,
    Unreachable,
}

impl Expected {
    fn parse(kind: Kind, value: &str) -> Option<Expected> {
        match (kind, value) {
            (Kind::Always, "holds") => Some(Expected::Holds),
            (Kind::Always, "violated") => Some(Expected::Violated),
            (Kind::Sometimes, "reachable") => Some(Expected::Reachable),
            (Kind::Sometimes, "unreachable") => Some(Expected::Unreachable),
            _ => None,
        }
    }

    /// The default: always-properties hold, sometimes-properties are reachable.
    fn default_for(kind: Kind) -> Expected {
        match kind {
            Kind::Always => Expected::Holds,
            Kind::Sometimes => Expected::Reachable,
        }
    }
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Expected::Holds => "holds",
            Expected::Violated => "violated",
            Expected::Reachable => "reachable",
            Expected::Unreachable => "unreachable",
        })
    }
}

/// Which level of the model a file asks for (`granularity`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Granularity {
    /// Members as actors exchanging messages: the full protocol (the default).
    Actor,
    /// MongoStaticRaft's atomic steps, within these bounds (`protocol::atomic`).
    Atomic(AtomicBounds),
}

/// A validated model file.
#[derive(Clone, Debug)]
pub struct ModelSpec {
    /// The file's stem, e.g. `pss-majority`.
    pub name: String,
    pub file: PathBuf,
    pub description: String,
    pub granularity: Granularity,
    pub settings: Settings,
    /// Every property defined at the model's level with what is expected of it, in the
    /// order of `properties::ALL`.
    pub expectations: Vec<(&'static PropertySpec, Expected)>,
}

/// Reads and validates a model file.
pub fn load(file: &Path) -> Result<ModelSpec, Error> {
    let text = std::fs::read_to_string(file).map_err(|e| Error::Unreadable {
        file: file.to_path_buf(),
        reason: e.to_string(),
    })?;
    parse(file, &text)
}

/// Validates the text of a model file; `file` names it in messages.
pub fn parse(file: &Path, text: &str) -> Result<ModelSpec, Error> {
    let raw: ModelFile = toml::from_str(text).map_err(|e| toml_error(file, text, &e))?;
    let bad = |reason: String| Error::model(file, reason);

    let atomic = match raw.granularity.as_deref() {
        None | Some("actor") => false,
        Some("atomic") => true,
        Some(other) => {
            return Err(bad(format!(
                "unknown granularity \"{other}\": expected \"actor\" or \"atomic\""
            )))
        }
    };
    if atomic {
        let actor_only = [
            ("protocol", raw.protocol.is_some()),
            (
                "write_concern_majority_journal_default",
                raw.write_concern_majority_journal_default.is_some(),
            ),
            ("[settings]", raw.settings.is_some()),
            ("[workload]", raw.workload.is_some()),
            ("[faults]", raw.faults.is_some()),
            ("[variant]", raw.variant.is_some()),
            ("[pv0]", raw.pv0.is_some()),
        ];
        if let Some((key, _)) = actor_only.iter().find(|(_, set)| *set) {
            return Err(bad(format!(
                "{key} is set but granularity = \"atomic\": the atomic level has no messages, clients, faults or bug variants (client entries are bounded by [bounds] max_oplog_len)"
            )));
        }
    } else if raw.bounds.max_oplog_len.is_some() {
        return Err(bad(
            "[bounds] max_oplog_len belongs to granularity = \"atomic\"; at the actor level bound [workload] writes instead".into(),
        ));
    }
    let workload = raw.workload.unwrap_or_default();
    let faults = raw.faults.unwrap_or_default();
    let variant = raw.variant.unwrap_or_default();

    let protocol = match raw.protocol.as_deref() {
        None | Some("pv1") => Protocol::Pv1,
        Some("pv0") => Protocol::Pv0,
        Some(other) => {
            return Err(bad(format!(
                "unknown protocol \"{other}\": expected \"pv1\" or \"pv0\""
            )))
        }
    };

    let members: Vec<MemberConfig> = raw
        .members
        .iter()
        .map(|m| {
            let arbiter = m.arbiter.unwrap_or(false);
            MemberConfig {
                votes: m.votes.unwrap_or(1),
                priority: m.priority.unwrap_or(if arbiter { 0.0 } else { 1.0 }),
                arbiter,
            }
        })
        .collect();
    let mut settings = Settings::new(members);
    settings.protocol = protocol;
    settings
        .replset
        .validate(protocol)
        .map_err(|e| bad(config_error(&e)))?;

    let data_bearing = settings.replset.data_bearing_count();
    settings.write_concern = match workload.w {
        None => WriteConcern::Majority,
        Some(WValue::Name(name)) if name == "majority" => WriteConcern::Majority,
        Some(WValue::Name(name)) => {
            return Err(bad(format!(
                "[workload] w = \"{name}\": expected a number of members or \"majority\""
            )))
        }
        Some(WValue::Number(n)) if n < 1 => {
            return Err(bad(format!(
                "[workload] w = {n}: a write concern needs at least 1 member (w:0 is not acknowledged, so there is nothing to check)"
            )))
        }
        Some(WValue::Number(n)) if n > data_bearing as i64 => {
            return Err(bad(format!(
                "[workload] w = {n} is larger than the {data_bearing} data-bearing members: no write could ever be acknowledged"
            )))
        }
        Some(WValue::Number(n)) => WriteConcern::Nodes(n as u8),
    };
    if workload.writes > MAX_WRITES {
        return Err(bad(format!(
            "[workload] writes = {}: at most {MAX_WRITES} writes can be explored",
            workload.writes
        )));
    }
    settings.writes = workload.writes;
    settings.j = workload.j;
    settings.wc_majority_journal_default =
        raw.write_concern_majority_journal_default.unwrap_or(true);

    let n = settings.replset.len();
    if usize::from(faults.max_crashes) > n {
        return Err(bad(format!(
            "[faults] max_crashes = {} but the set has only {n} members",
            faults.max_crashes
        )));
    }
    settings.max_crashes = usize::from(faults.max_crashes);
    match faults.total_crashes {
        Some(total) if total < faults.max_crashes => {
            return Err(bad(format!(
                "[faults] total_crashes = {total} is less than max_crashes = {}: that many members could never be down at once",
                faults.max_crashes
            )))
        }
        Some(_) if faults.max_crashes == 0 => {
            return Err(bad(
                "[faults] total_crashes is set but max_crashes = 0: no member may crash".into(),
            ))
        }
        total => settings.crash_budget = total,
    }
    settings.message_loss = faults.message_loss;
    settings.journal_lag = faults.journal_lag;
    settings.chaining_allowed = raw.settings.unwrap_or_default().chaining_allowed;

    let max_term = raw.bounds.max_term.unwrap_or(default_max_term());
    if max_term == 0 || max_term > MAX_TERM {
        return Err(bad(format!(
            "[bounds] max_term = {max_term}: expected 1 to {MAX_TERM} (term 1 is the first election)"
        )));
    }
    settings.max_term = Term(max_term);
    settings.pv0 = pv0_settings(protocol, raw.pv0.as_ref(), n).map_err(bad)?;
    let v = &variant;
    let mongodb = Variant::default();
    settings.variant = Variant {
        own_term_commit_rule: v
            .own_term_commit_rule
            .unwrap_or(mongodb.own_term_commit_rule),
        durable_vote: v.durable_vote.unwrap_or(mongodb.durable_vote),
        arbiters_may_stand: v.arbiters_may_stand.unwrap_or(mongodb.arbiters_may_stand),
        unelectable_may_stand: v
            .unelectable_may_stand
            .unwrap_or(mongodb.unelectable_may_stand),
        commit_point_term_check: v
            .commit_point_term_check
            .unwrap_or(mongodb.commit_point_term_check),
        fetch_consistency_check: v
            .fetch_consistency_check
            .unwrap_or(mongodb.fetch_consistency_check),
    };
    if protocol == Protocol::Pv0 {
        if raw.bounds.max_term.is_some() {
            return Err(bad(
                "[bounds] max_term has no meaning under protocol version 0, which has no terms: bound [pv0] max_elections instead".into(),
            ));
        }
        if settings.variant != mongodb {
            return Err(bad(
                "[variant] bug variants switch off protocol version 1 mechanisms; they are not defined for protocol = \"pv0\"".into(),
            ));
        }
    }

    let granularity = if atomic {
        atomic_bounds(&settings, &raw.bounds)
            .map(Granularity::Atomic)
            .map_err(bad)?
    } else {
        Granularity::Actor
    };
    let defined = |p: &PropertySpec| match granularity {
        Granularity::Actor => p.actor.is_some(),
        Granularity::Atomic(_) => p.atomic.is_some(),
    };
    let level = match granularity {
        Granularity::Actor => "actor",
        Granularity::Atomic(_) => "atomic",
    };
    for name in raw.expect.keys() {
        match properties::find(name) {
            None => {
                let known: Vec<_> = properties::ALL
                    .iter()
                    .filter(|p| defined(p))
                    .map(|p| p.name)
                    .collect();
                return Err(bad(format!(
                    "[expect] names an unknown property \"{name}\"; known properties at the {level} level: {}",
                    known.join(", ")
                )));
            }
            Some(p) if !defined(p) => {
                return Err(bad(format!(
                    "[expect] names {name}, which is not defined at the {level} level (granularity = \"{level}\")"
                )));
            }
            Some(_) => {}
        }
    }
    let mut expectations = Vec::new();
    for p in properties::ALL.iter().filter(|p| defined(p)) {
        let expected = match raw.expect.get(p.name) {
            None => Expected::default_for(p.kind),
            Some(value) => Expected::parse(p.kind, value).ok_or_else(|| {
                let allowed = match p.kind {
                    Kind::Always => "\"holds\" or \"violated\"",
                    Kind::Sometimes => "\"reachable\" or \"unreachable\"",
                };
                bad(format!(
                    "[expect] {} = \"{value}\": {} is a{} property, so expect {allowed}",
                    p.name,
                    p.name,
                    match p.kind {
                        Kind::Always => "n always",
                        Kind::Sometimes => " sometimes",
                    }
                ))
            })?,
        };
        expectations.push((p, expected));
    }

    let name = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.display().to_string());
    Ok(ModelSpec {
        name,
        file: file.to_path_buf(),
        description: raw.description.unwrap_or_default(),
        granularity,
        settings,
        expectations,
    })
}

/// The atomic level's members and bounds: data-bearing members only (it has no
/// arbiters), at most `atomic::MAX_MEMBERS`, and both bounds given.
fn atomic_bounds(settings: &Settings, bounds: &BoundsTable) -> Result<AtomicBounds, String> {
    let replset = &settings.replset;
    if replset.members.iter().any(|m| m.arbiter) {
        return Err("granularity = \"atomic\" has no arbiters: every member holds an oplog".into());
    }
    if replset.len() > atomic::MAX_MEMBERS {
        return Err(format!(
            "granularity = \"atomic\" holds at most {} members; this set has {}",
            atomic::MAX_MEMBERS,
            replset.len()
        ));
    }
    let (Some(max_term), Some(max_oplog_len)) = (bounds.max_term, bounds.max_oplog_len) else {
        return Err(
            "granularity = \"atomic\" needs both [bounds] max_term and max_oplog_len".into(),
        );
    };
    if max_oplog_len == 0 || max_oplog_len > atomic::MAX_OPLOG_LEN {
        return Err(format!(
            "[bounds] max_oplog_len = {max_oplog_len}: expected 1 to {}",
            atomic::MAX_OPLOG_LEN
        ));
    }
    Ok(AtomicBounds {
        max_term: Term(max_term),
        max_oplog_len,
    })
}

fn config_error(e: &ConfigError) -> String {
    format!("invalid replica-set configuration: {e}")
}

/// A TOML or schema error with its line and column.
fn toml_error(file: &Path, text: &str, e: &toml::de::Error) -> Error {
    let message = e.message().trim().replace('\n', " ");
    let reason = match e.span() {
        Some(span) => {
            let (line, col) = line_col(text, span.start);
            format!("line {line}, column {col}: {message}")
        }
        None => message,
    };
    Error::model(file, reason)
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<ModelSpec, String> {
        parse(Path::new("m.toml"), text).map_err(|e| e.to_string())
    }

    const PSA: &str = r#"
description = "PSA"
[[members]]
[[members]]
[[members]]
arbiter = true
[workload]
writes = 1
w = "majority"
"#;

    #[test]
    fn defaults_follow_the_schema() {
        let spec = parse_str(PSA).unwrap();
        assert_eq!(spec.name, "m");
        assert_eq!(spec.settings.replset.shape(), "PPA");
        assert_eq!(spec.settings.max_term, Term(3));
        assert_eq!(spec.settings.max_crashes, 0);
        assert!(spec.settings.chaining_allowed);
        assert!(spec.settings.wc_majority_journal_default);
        assert!(!spec.settings.j);
        assert!(spec
            .expectations
            .iter()
            .all(|(p, e)| *e == Expected::default_for(p.kind)));
    }

    #[test]
    fn rejects_what_mongodb_rejects() {
        let cases = [
            (
                "[[members]]\narbiter = true\npriority = 1",
                "arbiter n0 has a priority",
            ),
            (
                "[[members]]\narbiter = true\nvotes = 0",
                "arbiter n0 has votes = 0",
            ),
            (
                "[[members]]\n[[members]]\nvotes = 0",
                "non-voting member must have priority 0",
            ),
            ("[[members]]\nvotes = 2", "votes is 0 or 1"),
            ("description = \"x\"", "no members"),
            (&"[[members]]\n".repeat(8), "8 voting members"),
            (
                &"[[members]]\nvotes = 0\npriority = 0\n".repeat(51),
                "51 members",
            ),
        ];
        for (text, needle) in cases {
            let err = parse_str(text).unwrap_err();
            assert!(err.contains(needle), "{err:?} should mention {needle:?}");
        }
    }

    #[test]
    fn rejects_bad_schema_with_line_and_column() {
        let err = parse_str("[[members]]\ncolour = \"red\"\n").unwrap_err();
        assert!(err.starts_with("m.toml: line 2, column 1:"), "{err}");
        assert!(err.contains("colour"), "{err}");
        let err = parse_str("[[members]\n").unwrap_err();
        assert!(err.contains("line 1"), "{err}");
    }

    #[test]
    fn rejects_bad_workloads_and_expectations() {
        let w3 = PSA.replace("w = \"majority\"", "w = 3");
        assert!(parse_str(&w3)
            .unwrap_err()
            .contains("larger than the 2 data-bearing"));
        let unknown = format!("{PSA}\n[expect]\nno_such_thing = \"holds\"\n");
        assert!(parse_str(&unknown)
            .unwrap_err()
            .contains("unknown property \"no_such_thing\""));
        let wrong = format!("{PSA}\n[expect]\nelection_safety = \"reachable\"\n");
        assert!(parse_str(&wrong)
            .unwrap_err()
            .contains("expect \"holds\" or \"violated\""));
        let budget = format!("{PSA}\n[faults]\nmax_crashes = 2\ntotal_crashes = 1\n");
        assert!(parse_str(&budget)
            .unwrap_err()
            .contains("total_crashes = 1 is less than max_crashes = 2"));
        let journal = "write_concern_majority_journal_default = false\n";
        let spec = parse_str(&format!(
            "{journal}{}",
            PSA.replace("writes = 1", "writes = 1\nj = true")
        ))
        .unwrap();
        assert!(!spec.settings.wc_majority_journal_default);
        assert!(spec.settings.j);
        let pv0 = format!("protocol = \"pv0\"\n{PSA}");
        assert!(parse_str(&pv0).unwrap().settings.is_pv0());
        assert!(parse_str(&format!("{pv0}\n[bounds]\nmax_term = 2\n"))
            .unwrap_err()
            .contains("max_term has no meaning under protocol version 0"));
        assert!(parse_str(&format!("{PSA}\n[pv0]\nmax_elections = 2\n"))
            .unwrap_err()
            .contains("[pv0] is set but protocol is not"));
        assert!(
            parse_str(&format!("{pv0}\n[variant]\ndurable_vote = false\n"))
                .unwrap_err()
                .contains("not defined for protocol = \"pv0\"")
        );
        assert!(parse_str(&format!("{pv0}\n[pv0]\nmax_isolated = 4\n"))
            .unwrap_err()
            .contains("max_isolated = 4 but the set has only 3 members"));
        assert!(parse_str(&format!("protocol = \"pv2\"\n{PSA}"))
            .unwrap_err()
            .contains("expected \"pv1\" or \"pv0\""));
    }

    #[test]
    fn pv0_takes_weighted_votes_and_its_own_table() {
        // Seed 001: four members, six votes (one member carries three).
        let text = "protocol = \"pv0\"\n[[members]]\nvotes = 3\n[[members]]\n[[members]]\n[[members]]\n[pv0]\nfreshness_window = 1\nmax_elections = 3\nmax_clock_jumps = 0\nmax_isolated = 2\n";
        let spec = parse_str(text).unwrap();
        assert_eq!(spec.settings.replset.members[0].votes, 3);
        let pv0 = spec.settings.pv0;
        assert_eq!(
            (
                pv0.freshness_window,
                pv0.max_elections,
                pv0.max_clock_jumps,
                pv0.max_isolated
            ),
            (1, 3, 0, 2)
        );
        // The same votes are refused under protocol version 1.
        let pv1 = text.replace("protocol = \"pv0\"", "protocol = \"pv1\"");
        let pv1 = pv1.split("[pv0]").next().unwrap().to_string();
        assert!(parse_str(&pv1).unwrap_err().contains("votes = 3"));
    }

    const ATOMIC: &str = r#"
granularity = "atomic"
[[members]]
[[members]]
[[members]]
[bounds]
max_term = 4
max_oplog_len = 4
"#;

    #[test]
    fn atomic_level_takes_its_bounds_and_its_properties() {
        let spec = parse_str(ATOMIC).unwrap();
        assert_eq!(
            spec.granularity,
            Granularity::Atomic(AtomicBounds {
                max_term: Term(4),
                max_oplog_len: 4
            })
        );
        let names: Vec<_> = spec.expectations.iter().map(|(p, _)| p.name).collect();
        assert!(names.contains(&"state_machine_safety"));
        assert!(!names.contains(&"majority_write_durability"));
        assert_eq!(parse_str(PSA).unwrap().granularity, Granularity::Actor);
    }

    #[test]
    fn atomic_level_rejects_what_it_cannot_model() {
        let cases = [
            ("[workload]\nwrites = 1\n", "[workload] is set"),
            ("[faults]\nmax_crashes = 1\n", "[faults] is set"),
            ("[variant]\ndurable_vote = false\n", "[variant] is set"),
            (
                "[expect]\nrollback_occurs = \"reachable\"\n",
                "not defined at the atomic level",
            ),
        ];
        for (extra, message) in cases {
            let err = parse_str(&format!("{ATOMIC}{extra}")).unwrap_err();
            assert!(err.contains(message), "{extra}: {err}");
        }
        let no_len = ATOMIC.replace("max_oplog_len = 4", "");
        assert!(parse_str(&no_len).unwrap_err().contains("max_oplog_len"));
        let too_long = ATOMIC.replace("max_oplog_len = 4", "max_oplog_len = 9");
        assert!(parse_str(&too_long)
            .unwrap_err()
            .contains("expected 1 to 7"));
        let arbiter = ATOMIC.replace("[bounds]", "arbiter = true\n[bounds]");
        assert!(parse_str(&arbiter).unwrap_err().contains("no arbiters"));
        let unknown = ATOMIC.replace("\"atomic\"", "\"coarse\"");
        assert!(parse_str(&unknown)
            .unwrap_err()
            .contains("unknown granularity"));
        let actor_len = format!("{PSA}[bounds]\nmax_oplog_len = 3\n");
        assert!(parse_str(&actor_len)
            .unwrap_err()
            .contains("belongs to granularity"));
    }
}
