//! Model files: one scenario per TOML file, with its expected verdicts.
//!
//! The schema is an interface (README, "Writing a model"): keys are extended, never
//! renamed, and an unknown key is an error. `load` reads and validates a file into a
//! [`ModelSpec`]; every problem comes back as one message naming the file, the line and
//! column of the key or value at fault, and what was expected.
//!
//! Two layers: the raw schema (`ModelFile` and its tables, private) is what serde reads,
//! every value wrapped in [`Spanned`] so that it knows where in the text it was; `parse`
//! turns it into the validated [`ModelSpec`], which carries no positions. Where a problem
//! is something missing, the message points at the key that asks for it (`granularity =
//! "atomic"` for its bounds); a message with nothing in the file to point at (no members
//! at all) names the file alone.

use crate::error::{Error, Position};
use crate::level::atomic::{self, AtomicBounds};
use crate::level::{levels_defining, Kind, LevelSpec, PropertyInfo};
use crate::protocol::replset::{
    ConfigError, MemberConfig, Protocol, Pv0Settings, Settings, Variant, MAX_MEMBERS,
    MAX_VOTING_MEMBERS,
};
use crate::protocol::types::{Term, WriteConcern};
use crate::protocol::version::MongoVersion;
use crate::user_properties::UserProperty;
use serde::de;
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;
use std::fmt;
use std::ops::{Range, RangeInclusive};
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The largest bounds a model file may ask for: beyond them no exploration finishes.
const MAX_WRITES: u8 = 16;
const MAX_TERM: u8 = 16;

/// `max_term` when a model file does not bound it.
const DEFAULT_MAX_TERM: u8 = 3;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelFile {
    description: Option<String>,
    granularity: Option<Spanned<String>>,
    mongodb_version: Option<Spanned<String>>,
    protocol: Option<Spanned<String>>,
    batches: Option<Spanned<String>>,
    write_concern_majority_journal_default: Option<Spanned<bool>>,
    members: Option<Spanned<Vec<Spanned<MemberEntry>>>>,
    settings: Option<Spanned<SettingsTable>>,
    workload: Option<Spanned<WorkloadTable>>,
    faults: Option<Spanned<FaultsTable>>,
    bounds: Option<Spanned<BoundsTable>>,
    variant: Option<Spanned<VariantTable>>,
    pv0: Option<Spanned<Pv0Table>>,
    #[serde(default)]
    properties: Vec<Spanned<PropertyEntry>>,
    #[serde(default)]
    expect: BTreeMap<Spanned<String>, Spanned<String>>,
}

/// `[[properties]]`: a property the file defines (README, "Your own properties").
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [[properties]] table")]
struct PropertyEntry {
    name: Spanned<String>,
    kind: Spanned<String>,
    meaning: Option<String>,
    condition: Spanned<String>,
    #[serde(default)]
    symmetric: bool,
}

/// `[pv0]`: what only protocol version 0 needs (README, "Protocol version 0").
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [pv0] table")]
struct Pv0Table {
    freshness_window: Option<Spanned<Int>>,
    max_elections: Option<Spanned<Int>>,
    max_clock_jumps: Option<Spanned<Int>>,
    max_isolated: Option<Spanned<Int>>,
}

/// `[variant]`: bug variants, each switching off one safety mechanism (README, "Bug
/// variants"), keyed by `Variant::KEYS`. Absent keys keep MongoDB's behaviour.
type VariantTable = BTreeMap<Spanned<String>, Spanned<bool>>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [[members]] table")]
struct MemberEntry {
    votes: Option<Spanned<Int>>,
    priority: Option<Spanned<Number>>,
    arbiter: Option<Spanned<bool>>,
}

/// The replica set's `settings` document (only what the model uses).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [settings] table")]
struct SettingsTable {
    #[serde(default = "yes")]
    chaining_allowed: bool,
}

impl Default for SettingsTable {
    /// MongoDB's default settings document.
    fn default() -> Self {
        SettingsTable {
            chaining_allowed: true,
        }
    }
}

/// `true`, for serde's defaults.
fn yes() -> bool {
    true
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [workload] table")]
struct WorkloadTable {
    writes: Option<Spanned<Int>>,
    w: Option<Spanned<WValue>>,
    #[serde(default)]
    j: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [faults] table")]
struct FaultsTable {
    max_crashes: Option<Spanned<Int>>,
    total_crashes: Option<Spanned<Int>>,
    #[serde(default = "yes")]
    journal_lag: bool,
    #[serde(default)]
    message_loss: bool,
    downtime_steps: Option<Spanned<bool>>,
}

impl Default for FaultsTable {
    /// No faults but the journal's lag (which matters only once a member may crash).
    fn default() -> Self {
        FaultsTable {
            max_crashes: None,
            total_crashes: None,
            journal_lag: true,
            message_loss: false,
            downtime_steps: None,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [bounds] table")]
struct BoundsTable {
    max_term: Option<Spanned<Int>>,
    /// The atomic level's bound on every oplog's length.
    max_oplog_len: Option<Spanned<Int>>,
}

/// A whole number as a model file writes it (TOML integers are 64-bit, and toml reads a
/// larger one as 128-bit to report it). Each key's range is checked by `parse`, which
/// names the key and the range in its message.
#[derive(Clone, Copy, Debug)]
struct Int(i128);

impl<'de> Deserialize<'de> for Int {
    /// Any TOML integer; anything else is "expected a whole number".
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = Int;
            /// What the message says was expected.
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a whole number")
            }
            /// A TOML integer.
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Int, E> {
                Ok(Int(i128::from(v)))
            }
            /// A positive integer.
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Int, E> {
                Ok(Int(i128::from(v)))
            }
            /// An integer beyond `i64`, which TOML does not allow.
            fn visit_i128<E: de::Error>(self, v: i128) -> Result<Int, E> {
                Ok(Int(v))
            }
            /// A positive integer beyond `i128`.
            fn visit_u128<E: de::Error>(self, v: u128) -> Result<Int, E> {
                Ok(Int(i128::try_from(v).unwrap_or(i128::MAX)))
            }
        }
        deserializer.deserialize_i64(Visitor)
    }
}

/// A number, whole or not (a member's priority).
#[derive(Clone, Copy, Debug)]
struct Number(f64);

impl<'de> Deserialize<'de> for Number {
    /// Any TOML integer or float; anything else is "expected a number".
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = Number;
            /// What the message says was expected.
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number")
            }
            /// A TOML float.
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Number, E> {
                Ok(Number(v))
            }
            /// A TOML integer.
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Number, E> {
                Ok(Number(v as f64))
            }
            /// A positive integer.
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Number, E> {
                Ok(Number(v as f64))
            }
            /// An integer beyond `i64`, which TOML does not allow.
            fn visit_i128<E: de::Error>(self, v: i128) -> Result<Number, E> {
                Ok(Number(v as f64))
            }
            /// A positive integer beyond `i128`.
            fn visit_u128<E: de::Error>(self, v: u128) -> Result<Number, E> {
                Ok(Number(v as f64))
            }
        }
        deserializer.deserialize_f64(Visitor)
    }
}

/// `[workload] w`: a number of members or a name (only "majority" is known).
#[derive(Debug)]
enum WValue {
    Number(i128),
    Name(String),
}

impl<'de> Deserialize<'de> for WValue {
    /// An integer or a string; anything else is "expected a number of members or
    /// \"majority\"".
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = WValue;
            /// What the message says was expected.
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number of members or \"majority\"")
            }
            /// `w = N`.
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<WValue, E> {
                Ok(WValue::Number(i128::from(v)))
            }
            /// `w = N`, positive.
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<WValue, E> {
                Ok(WValue::Number(i128::from(v)))
            }
            /// `w = N` beyond `i64`, which TOML does not allow.
            fn visit_i128<E: de::Error>(self, v: i128) -> Result<WValue, E> {
                Ok(WValue::Number(v))
            }
            /// `w = N` beyond `i128`.
            fn visit_u128<E: de::Error>(self, v: u128) -> Result<WValue, E> {
                Ok(WValue::Number(i128::try_from(v).unwrap_or(i128::MAX)))
            }
            /// `w = "name"`.
            fn visit_str<E: de::Error>(self, v: &str) -> Result<WValue, E> {
                Ok(WValue::Name(v.to_string()))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// A byte range in a model file's text, as toml reports it.
type Span = Range<usize>;

/// A model file's name and text, to place a message in it.
struct Source<'a> {
    file: &'a Path,
    text: &'a str,
}

impl Source<'_> {
    /// An error about the key or value at `span`: `FILE: line L, column C: reason`.
    fn at(&self, span: Span, reason: impl fmt::Display) -> Error {
        let (line, column) = line_col(self.text, span.start);
        Error::model_at(self.file, Position { line, column }, reason.to_string())
    }

    /// An error about the file as a whole, with nothing in it to point at: `FILE: reason`.
    fn whole(&self, reason: impl fmt::Display) -> Error {
        Error::model(self.file, reason.to_string())
    }

    /// `value` as a `u8` within `range`, or an error at it: `KEY = V: expected LO to HI`
    /// and `why`, if not empty, after it.
    fn small(
        &self,
        value: &Spanned<Int>,
        key: &str,
        range: RangeInclusive<u8>,
        why: &str,
    ) -> Result<u8, Error> {
        let Int(v) = *value.get_ref();
        u8::try_from(v)
            .ok()
            .filter(|v| range.contains(v))
            .ok_or_else(|| {
                self.at(
                    value.span(),
                    format!(
                        "{key} = {v}: expected {} to {}{why}",
                        range.start(),
                        range.end()
                    ),
                )
            })
    }

    /// An optional `value` as for [`Source::small`], `default` where it is absent.
    fn small_or(
        &self,
        value: Option<&Spanned<Int>>,
        default: u8,
        key: &str,
        range: RangeInclusive<u8>,
        why: &str,
    ) -> Result<u8, Error> {
        value.map_or(Ok(default), |v| self.small(v, key, range, why))
    }
}

/// `n` and `noun`, in the plural unless `n` is 1.
fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// The span of an optional spanned value, or `fallback` where it is absent.
fn span_or<T>(value: Option<&Spanned<T>>, fallback: Span) -> Span {
    value.map_or(fallback, Spanned::span)
}

/// The `[pv0]` table, which only protocol version 0 takes; `max_term` and the bug variants
/// belong to protocol version 1.
fn pv0_settings(
    src: &Source,
    protocol: Protocol,
    table: Option<&Spanned<Pv0Table>>,
    members: usize,
) -> Result<Pv0Settings, Error> {
    let defaults = Pv0Settings::default();
    let Some(table) = table else {
        return Ok(defaults);
    };
    if protocol != Protocol::Pv0 {
        return Err(src.at(
            table.span(),
            "[pv0] is set but protocol is not \"pv0\": expected protocol = \"pv0\", or no [pv0] table",
        ));
    }
    let t = table.get_ref();
    let members = u8::try_from(members).unwrap_or(u8::MAX);
    Ok(Pv0Settings {
        freshness_window: src.small_or(
            t.freshness_window.as_ref(),
            defaults.freshness_window,
            "[pv0] freshness_window",
            0..=MAX_TERM,
            " timestamp ticks",
        )?,
        max_elections: src.small_or(
            t.max_elections.as_ref(),
            defaults.max_elections,
            "[pv0] max_elections",
            1..=MAX_TERM,
            "",
        )?,
        max_clock_jumps: src.small_or(
            t.max_clock_jumps.as_ref(),
            defaults.max_clock_jumps,
            "[pv0] max_clock_jumps",
            0..=MAX_TERM,
            "",
        )?,
        max_isolated: src.small_or(
            t.max_isolated.as_ref(),
            defaults.max_isolated,
            "[pv0] max_isolated",
            0..=members,
            &format!(" (the set has {})", plural(members.into(), "member")),
        )?,
    })
}

/// What a model file expects of a property.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Expected {
    Holds,
    Violated,
    Reachable,
    Unreachable,
    /// Nothing is expected: the outcome is the answer (`check --explore`, for a property
    /// the file states no expectation of). Met by every outcome a complete run decides.
    Nothing,
}

impl Expected {
    /// The expectation `value` names for a property of `kind`, if it is one that kind has.
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
    pub fn default_for(kind: Kind) -> Expected {
        match kind {
            Kind::Always => Expected::Holds,
            Kind::Sometimes => Expected::Reachable,
        }
    }
}

impl fmt::Display for Expected {
    /// The word a model file uses.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Expected::Holds => "holds",
            Expected::Violated => "violated",
            Expected::Reachable => "reachable",
            Expected::Unreachable => "unreachable",
            Expected::Nothing => "nothing",
        })
    }
}

/// A validated model file.
#[derive(Clone, Debug)]
pub struct ModelSpec {
    /// The file's stem, e.g. `pss-majority`.
    pub name: String,
    pub file: PathBuf,
    pub description: String,
    /// The level the file asks for (`granularity`), with its bounds.
    pub level: LevelSpec,
    pub settings: Settings,
    /// Every property defined at the model's level with what is expected of it, in the
    /// level's order (`Level::PROPERTIES`).
    pub expectations: Vec<(PropertyInfo, Expected)>,
    /// The properties whose expectation the file states in `[expect]` (the others have
    /// the default, `Expected::default_for`).
    pub stated: Vec<&'static str>,
    /// The sometimes-properties whose shortest witness is wanted whenever they are
    /// reachable, whatever was expected of them (`check --witness`).
    pub witnesses: Vec<&'static str>,
    /// The properties the file defines (`[[properties]]`), which follow the level's own
    /// in `expectations`.
    pub user_properties: Vec<UserProperty>,
    /// The file's text, as read (none for a model built in Rust): trace files carry it,
    /// so that a trace replays wherever it is moved.
    pub source: Option<String>,
}

impl ModelSpec {
    /// A model built in Rust rather than read from a file: `settings` at `level`, with the
    /// default expectations (every always-property holds, every sometimes-property is
    /// reachable; change them with [`ModelSpec::expect`]). Its `file` is its name.
    pub fn new(name: &str, level: LevelSpec, settings: Settings) -> ModelSpec {
        ModelSpec {
            name: name.to_string(),
            file: PathBuf::from(name),
            description: String::new(),
            level,
            settings,
            expectations: level
                .properties()
                .into_iter()
                .map(|p| (p, Expected::default_for(p.kind)))
                .collect(),
            stated: Vec::new(),
            witnesses: Vec::new(),
            user_properties: Vec::new(),
            source: None,
        }
    }

    /// Whether symmetry reduction may be used: every property the file defines says its
    /// answer does not depend on which of two identically configured members is which.
    pub fn symmetric(&self) -> bool {
        self.user_properties.iter().all(|p| p.symmetric)
    }

    /// The model as an exploratory question: only the expectations the file states are
    /// judged; of every other property nothing is expected, and its outcome is the answer.
    pub fn explore(mut self) -> ModelSpec {
        for (p, e) in &mut self.expectations {
            if !self.stated.contains(&p.name) {
                *e = Expected::Nothing;
            }
        }
        self
    }

    /// Asks for the shortest witness of the sometimes-property named `property` whenever
    /// it is reachable. An error says why not: the model's level does not define it, or it
    /// is an always-property (whose counterexample is shown whenever it is violated).
    pub fn witness(mut self, property: &str) -> Result<ModelSpec, String> {
        let Some(&(p, _)) = self.expectations.iter().find(|(p, _)| p.name == property) else {
            let known: Vec<_> = self
                .expectations
                .iter()
                .filter(|(p, _)| p.kind == Kind::Sometimes)
                .map(|(p, _)| p.name)
                .collect();
            return Err(format!(
                "--witness {property}: neither the {} level nor this file defines a property of that name; the sometimes-properties here are {}",
                self.level.name(),
                known.join(", ")
            ));
        };
        if p.kind == Kind::Always {
            return Err(format!(
                "--witness {property}: {property} is an always-property; its counterexample is shown whenever it is violated"
            ));
        }
        if !self.witnesses.contains(&p.name) {
            self.witnesses.push(p.name);
        }
        Ok(self)
    }

    /// Expects `expected` of the property named `property`; `None` if the model's level
    /// does not define it or it is not of that kind.
    pub fn expect(mut self, property: &str, expected: Expected) -> Option<ModelSpec> {
        let (p, e) = self
            .expectations
            .iter_mut()
            .find(|(p, _)| p.name == property)?;
        let kind_fits = matches!(
            (p.kind, expected),
            (Kind::Always, Expected::Holds | Expected::Violated)
                | (Kind::Sometimes, Expected::Reachable | Expected::Unreachable)
        );
        if !kind_fits {
            return None;
        }
        *e = expected;
        let name = p.name;
        if !self.stated.contains(&name) {
            self.stated.push(name);
        }
        Some(self)
    }
}

/// Reads and validates a model file.
pub fn load(file: &Path) -> Result<ModelSpec, Error> {
    let bytes = std::fs::read(file).map_err(|e| Error::Unreadable {
        file: file.to_path_buf(),
        reason: e.to_string(),
    })?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        let valid = String::from_utf8_lossy(&bytes[..e.valid_up_to()]);
        let (line, column) = line_col(&valid, valid.len());
        Error::model_at(
            file,
            Position { line, column },
            "not UTF-8 text: expected a UTF-8 TOML file",
        )
    })?;
    parse(file, text)
}

/// Validates the text of a model file; `file` names it in messages.
pub fn parse(file: &Path, text: &str) -> Result<ModelSpec, Error> {
    let src = Source { file, text };
    let raw: ModelFile = toml::from_str(text).map_err(|e| toml_error(&src, &e))?;
    let atomic = level(&src, &raw)?;
    let (version, protocol) = version_and_protocol(&src, &raw)?;
    let mut settings = Settings::new(members(&src, raw.members.as_ref(), protocol)?);
    settings.protocol = protocol;
    settings.set_version(version);
    let n = settings.replset.len();

    let no_workload = WorkloadTable::default();
    let workload = raw.workload.as_ref().map_or(&no_workload, Spanned::get_ref);
    settings.write_concern = write_concern(&src, workload.w.as_ref(), &settings)?;
    settings.writes = src.small_or(
        workload.writes.as_ref(),
        0,
        "[workload] writes",
        0..=MAX_WRITES,
        " (more writes cannot be explored)",
    )?;
    settings.j = workload.j;
    settings.wc_majority_journal_default = raw
        .write_concern_majority_journal_default
        .as_ref()
        .is_none_or(|v| *v.get_ref());

    let no_faults = FaultsTable::default();
    let faults = raw.faults.as_ref().map_or(&no_faults, Spanned::get_ref);
    let max_crashes = src.small_or(
        faults.max_crashes.as_ref(),
        0,
        "[faults] max_crashes",
        0..=u8::try_from(n).unwrap_or(u8::MAX),
        &format!(" (the set has {})", plural(n, "member")),
    )?;
    settings.max_crashes = usize::from(max_crashes);
    settings.crash_budget = match &faults.total_crashes {
        None => None,
        Some(total) => {
            let at = total.span();
            let total = src.small(total, "[faults] total_crashes", 0..=u8::MAX, "")?;
            if max_crashes == 0 {
                return Err(src.at(
                    at,
                    "[faults] total_crashes is set but max_crashes = 0: no member may crash (expected max_crashes of 1 or more, or no total_crashes)",
                ));
            }
            if total < max_crashes {
                return Err(src.at(
                    at,
                    format!("[faults] total_crashes = {total} is less than max_crashes = {max_crashes}: that many members could never be down at once (expected {max_crashes} or more)"),
                ));
            }
            Some(total)
        }
    };
    settings.message_loss = faults.message_loss;
    settings.journal_lag = faults.journal_lag;
    settings.downtime_steps = match &faults.downtime_steps {
        Some(d) if !*d.get_ref() && protocol == Protocol::Pv0 => {
            return Err(src.at(
                d.span(),
                "[faults] downtime_steps = false under protocol version 0: its members see a member that is down through their heartbeats, so its downtime must be explored as steps of its own (expected true, or no downtime_steps)",
            ));
        }
        Some(d) => *d.get_ref(),
        None => false,
    };
    settings.chaining_allowed = raw
        .settings
        .as_ref()
        .is_none_or(|s| s.get_ref().chaining_allowed);
    settings.whole_batches = match &raw.batches {
        None => false,
        Some(b) => match b.get_ref().as_str() {
            "any_prefix" => false,
            "whole" => true,
            other => {
                return Err(src.at(
                    b.span(),
                    format!("unknown batches {other:?}: expected \"any_prefix\" (a batch may end after any entry, the default) or \"whole\" (a reduction: every batch carries everything the source has)"),
                ))
            }
        },
    };

    let no_bounds = BoundsTable::default();
    let bounds = raw.bounds.as_ref().map_or(&no_bounds, Spanned::get_ref);
    if protocol == Protocol::Pv0 {
        if let Some(max_term) = &bounds.max_term {
            return Err(src.at(
                max_term.span(),
                "[bounds] max_term has no meaning under protocol version 0, which has no terms: bound [pv0] max_elections instead",
            ));
        }
    }
    settings.max_term = Term(src.small_or(
        bounds.max_term.as_ref(),
        DEFAULT_MAX_TERM,
        "[bounds] max_term",
        1..=MAX_TERM,
        " (term 1 is the first election)",
    )?);
    settings.pv0 = pv0_settings(&src, protocol, raw.pv0.as_ref(), n)?;
    settings.variant = variant(&src, protocol, raw.variant.as_ref())?;

    let level = if atomic {
        LevelSpec::Atomic(atomic_bounds(&src, &raw, &settings)?)
    } else {
        LevelSpec::Actor
    };
    let user_properties = user_properties(&src, &raw.properties, &settings, level)?;
    let expectations = expectations(&src, &raw.expect, level, &user_properties)?;
    let stated = expectations
        .iter()
        .map(|(p, _)| p.name)
        .filter(|&name| raw.expect.keys().any(|k| k.get_ref() == name))
        .collect();
    let name = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.display().to_string());
    Ok(ModelSpec {
        name,
        file: file.to_path_buf(),
        description: raw.description.unwrap_or_default(),
        level,
        settings,
        expectations,
        stated,
        witnesses: Vec::new(),
        user_properties,
        source: Some(text.to_string()),
    })
}

/// The release the model follows (`mongodb_version`; by default the newest the model
/// speaks for, or for `protocol = "pv0"` the newest that has it) and the protocol version
/// (by default the one a new replica set of that release gets: pv1 from 3.2, pv0 before).
/// A protocol the release does not have is an error.
fn version_and_protocol(src: &Source, raw: &ModelFile) -> Result<(MongoVersion, Protocol), Error> {
    let asked_protocol = match &raw.protocol {
        None => None,
        Some(p) => match p.get_ref().as_str() {
            "pv1" => Some((Protocol::Pv1, p.span())),
            "pv0" => Some((Protocol::Pv0, p.span())),
            other => {
                return Err(src.at(
                    p.span(),
                    format!("unknown protocol {other:?}: expected \"pv1\" or \"pv0\""),
                ))
            }
        },
    };
    let version = match &raw.mongodb_version {
        Some(v) => MongoVersion::parse(v.get_ref())
            .map_err(|e| src.at(v.span(), format!("mongodb_version = {e}")))?,
        None if asked_protocol
            .as_ref()
            .is_some_and(|(p, _)| *p == Protocol::Pv0) =>
        {
            MongoVersion::NEWEST_WITH_PV0
        }
        None => MongoVersion::NEWEST,
    };
    let protocol = match &asked_protocol {
        Some((p, _)) => *p,
        None if version.has_pv1() => Protocol::Pv1,
        None => Protocol::Pv0,
    };
    let at = asked_protocol
        .map(|(_, at)| at)
        .or_else(|| raw.mongodb_version.as_ref().map(Spanned::span))
        .unwrap_or(0..0);
    match protocol {
        Protocol::Pv0 if !version.has_pv0() => Err(src.at(
            at,
            format!("protocol = \"pv0\" does not exist in MongoDB {version}: protocol version 0 was removed in 4.0 (expected mongodb_version below \"4.0\", or protocol = \"pv1\")"),
        )),
        Protocol::Pv1 if !version.has_pv1() => Err(src.at(
            at,
            format!("protocol = \"pv1\" does not exist in MongoDB {version}: protocol version 1 came with 3.2 (expected mongodb_version \"3.2\" or newer, or protocol = \"pv0\")"),
        )),
        _ => Ok((version, protocol)),
    }
}

/// Whether the file asks for the atomic level, and that it sets nothing the level it asks
/// for does not have.
fn level(src: &Source, raw: &ModelFile) -> Result<bool, Error> {
    let atomic = match &raw.granularity {
        None => false,
        Some(g) => match g.get_ref().as_str() {
            "actor" => false,
            "atomic" => true,
            other => {
                return Err(src.at(
                    g.span(),
                    format!("unknown granularity {other:?}: expected \"actor\" or \"atomic\""),
                ))
            }
        },
    };
    if atomic {
        let actor_only = [
            ("protocol", raw.protocol.as_ref().map(Spanned::span)),
            (
                "mongodb_version",
                raw.mongodb_version.as_ref().map(Spanned::span),
            ),
            ("batches", raw.batches.as_ref().map(Spanned::span)),
            (
                "write_concern_majority_journal_default",
                raw.write_concern_majority_journal_default
                    .as_ref()
                    .map(Spanned::span),
            ),
            ("[settings]", raw.settings.as_ref().map(Spanned::span)),
            ("[workload]", raw.workload.as_ref().map(Spanned::span)),
            ("[faults]", raw.faults.as_ref().map(Spanned::span)),
            ("[variant]", raw.variant.as_ref().map(Spanned::span)),
            ("[pv0]", raw.pv0.as_ref().map(Spanned::span)),
        ];
        if let Some((key, Some(at))) = actor_only.into_iter().find(|(_, at)| at.is_some()) {
            return Err(src.at(
                at,
                format!("{key} is set but granularity = \"atomic\": the atomic level has no messages, clients, faults or bug variants (client entries are bounded by [bounds] max_oplog_len)"),
            ));
        }
    } else if let Some(len) = raw
        .bounds
        .as_ref()
        .and_then(|b| b.get_ref().max_oplog_len.as_ref())
    {
        return Err(src.at(
            len.span(),
            "[bounds] max_oplog_len belongs to granularity = \"atomic\"; at the actor level bound [workload] writes instead",
        ));
    }
    Ok(atomic)
}

/// The `[[members]]` tables as a configuration MongoDB's `replSetInitiate` would accept;
/// a problem points at the member's key at fault, or at the member.
fn members(
    src: &Source,
    members: Option<&Spanned<Vec<Spanned<MemberEntry>>>>,
    protocol: Protocol,
) -> Result<Vec<MemberConfig>, Error> {
    let entries = members.map_or(&[][..], |m| m.get_ref().as_slice());
    let mut configs = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let m = entry.get_ref();
        let arbiter = m.arbiter.as_ref().is_some_and(|a| *a.get_ref());
        let votes = src.small_or(
            m.votes.as_ref(),
            1,
            &format!("member n{i} votes"),
            0..=u8::MAX,
            match protocol {
                Protocol::Pv1 => " (0 or 1 under protocol version 1)",
                Protocol::Pv0 => "",
            },
        )?;
        let default_priority = if arbiter { 0.0 } else { 1.0 };
        configs.push(MemberConfig {
            votes,
            priority: m
                .priority
                .as_ref()
                .map_or(default_priority, |p| p.get_ref().0),
            arbiter,
        });
    }
    let replset = crate::protocol::replset::ReplicaSetConfig::new(configs);
    let Err(e) = replset.validate(protocol) else {
        return Ok(replset.members);
    };
    let reason = format!("invalid replica-set configuration: {e}");
    let member = |i: usize| entries.get(i).map(|e| (e.span(), e.get_ref()));
    // The member a problem is about, and the key of it that is at fault.
    let at = match &e {
        ConfigError::NoMembers => {
            return Err(match members {
                Some(m) => src.at(
                    m.span(),
                    format!("{reason}: expected one [[members]] table per member"),
                ),
                None => src.whole(format!(
                    "{reason}: expected one [[members]] table per member"
                )),
            })
        }
        ConfigError::NoVoters | ConfigError::NoElectable => members.map(Spanned::span),
        ConfigError::TooManyMembers(_) => member(MAX_MEMBERS).map(|(at, _)| at),
        ConfigError::TooManyVoters(_) => replset
            .members
            .iter()
            .enumerate()
            .filter(|(_, m)| m.is_voter())
            .nth(MAX_VOTING_MEMBERS)
            .and_then(|(i, _)| member(i))
            .map(|(at, _)| at),
        ConfigError::VotesOutOfRange { member: id, .. }
        | ConfigError::ArbiterVotes { member: id, .. } => {
            member(id.index()).map(|(at, m)| span_or(m.votes.as_ref(), at))
        }
        ConfigError::ArbiterPriority { member: id }
        | ConfigError::PriorityOutOfRange { member: id } => {
            member(id.index()).map(|(at, m)| span_or(m.priority.as_ref(), at))
        }
        ConfigError::NonVoterWithPriority { member: id } => match member(id.index()) {
            Some((_, m)) if m.priority.is_none() => {
                return Err(src.at(
                    span_or(m.votes.as_ref(), 0..0),
                    format!(
                        "{reason} (priority defaults to 1: expected priority = 0 with votes = 0)"
                    ),
                ))
            }
            found => found.map(|(at, m)| span_or(m.priority.as_ref(), at)),
        },
    };
    Err(match at {
        Some(at) => src.at(at, reason),
        None => src.whole(reason),
    })
}

/// `[workload] w` as a write concern the set can acknowledge.
fn write_concern(
    src: &Source,
    w: Option<&Spanned<WValue>>,
    settings: &Settings,
) -> Result<WriteConcern, Error> {
    let data_bearing = settings.replset.data_bearing_count();
    let Some(w) = w else {
        return Ok(default_write_concern(settings));
    };
    let at = w.span();
    match w.get_ref() {
        WValue::Name(name) if name == "majority" => Ok(WriteConcern::Majority),
        WValue::Name(name) => Err(src.at(
            at,
            format!("[workload] w = {name:?}: expected a number of members or \"majority\""),
        )),
        WValue::Number(n) if *n < 1 => Err(src.at(
            at,
            format!("[workload] w = {n}: a write concern needs at least 1 member (w:0 is not acknowledged, so there is nothing to check): expected 1 to {data_bearing} or \"majority\""),
        )),
        WValue::Number(n) => match u8::try_from(*n) {
            Ok(n) if usize::from(n) <= data_bearing => Ok(WriteConcern::Nodes(n)),
            _ => Err(src.at(
                at,
                format!("[workload] w = {n} is larger than the {data_bearing} data-bearing members: no write could ever be acknowledged (expected 1 to {data_bearing} or \"majority\")"),
            )),
        },
    }
}

/// The write concern when `[workload] w` is absent: the release's implicit default (MongoDB
/// manual, "Default MongoDB Read Concerns/Write Concerns"). Before 5.0 it is w:1. From 5.0
/// it is w:"majority", except in a set with arbiters whose data-bearing voting members
/// are no more than a majority of its voting members (a PSA set: 2 <= 2), where it stays
/// w:1 (`ReplSetConfig::isImplicitDefaultWriteConcernMajority`).
fn default_write_concern(settings: &Settings) -> WriteConcern {
    let replset = &settings.replset;
    let voters = replset.members.iter().filter(|m| m.is_voter()).count();
    let arbiters = replset.members.iter().filter(|m| m.arbiter).count();
    let data_bearing_voters = replset
        .members
        .iter()
        .filter(|m| m.is_voter() && m.is_data_bearing())
        .count();
    let majority = settings.version().at_least(5, 0)
        && (arbiters == 0 || data_bearing_voters > voters / 2 + 1);
    if majority {
        WriteConcern::Majority
    } else {
        WriteConcern::Nodes(1)
    }
}

/// The `[variant]` table: bug variants of protocol version 1 only.
fn variant(
    src: &Source,
    protocol: Protocol,
    table: Option<&Spanned<VariantTable>>,
) -> Result<Variant, Error> {
    let mut values = Variant::default().values();
    let Some(table) = table else {
        return Ok(Variant::default());
    };
    // Keys in file order, so that the first problem in the file is the one reported.
    let mut entries: Vec<_> = table.get_ref().iter().collect();
    entries.sort_by_key(|(k, _)| k.span().start);
    for (key, value) in entries {
        let Some(i) = Variant::KEYS.iter().position(|k| k == key.get_ref()) else {
            let expected: Vec<String> = Variant::KEYS.iter().map(|k| format!("`{k}`")).collect();
            return Err(src.at(
                key.span(),
                format!(
                    "unknown field `{}`, expected one of {}",
                    key.get_ref().replace(['\n', '\r'], " "),
                    expected.join(", ")
                ),
            ));
        };
        // Under pv0, keys that restate MongoDB's behaviour are harmless; the first that
        // changes it is at fault.
        if protocol == Protocol::Pv0 && *value.get_ref() != values[i] {
            return Err(src.at(
                value.span(),
                "[variant] bug variants switch off protocol version 1 mechanisms; they are not defined for protocol = \"pv0\"",
            ));
        }
        values[i] = *value.get_ref();
    }
    Ok(Variant::from_values(values))
}

/// The atomic level's members and bounds: data-bearing members only (it has no
/// arbiters), at most `atomic::MAX_MEMBERS`, and both bounds given. Missing bounds are
/// reported at `granularity = "atomic"`, which asks for them.
fn atomic_bounds(
    src: &Source,
    raw: &ModelFile,
    settings: &Settings,
) -> Result<AtomicBounds, Error> {
    let asked = span_or(raw.granularity.as_ref(), 0..0);
    let entries = raw
        .members
        .as_ref()
        .map_or(&[][..], |m| m.get_ref().as_slice());
    let arbiter = entries
        .iter()
        .find_map(|m| m.get_ref().arbiter.as_ref().filter(|a| *a.get_ref()));
    if let Some(arbiter) = arbiter {
        return Err(src.at(
            arbiter.span(),
            "granularity = \"atomic\" has no arbiters: every member holds an oplog (expected no arbiter = true)",
        ));
    }
    let n = settings.replset.len();
    if n > atomic::MAX_MEMBERS {
        return Err(src.at(
            span_or(entries.get(atomic::MAX_MEMBERS), asked),
            format!(
                "granularity = \"atomic\" holds at most {} members; this set has {n}",
                atomic::MAX_MEMBERS
            ),
        ));
    }
    let bounds = raw.bounds.as_ref().map(Spanned::get_ref);
    let (Some(_), Some(max_oplog_len)) = (
        bounds.and_then(|b| b.max_term.as_ref()),
        bounds.and_then(|b| b.max_oplog_len.as_ref()),
    ) else {
        return Err(src.at(
            asked,
            "granularity = \"atomic\" needs both [bounds] max_term and max_oplog_len",
        ));
    };
    let max_oplog_len = src.small(
        max_oplog_len,
        "[bounds] max_oplog_len",
        1..=atomic::MAX_OPLOG_LEN,
        "",
    )?;
    Ok(AtomicBounds {
        max_term: settings.max_term,
        max_oplog_len,
    })
}

/// What `[expect]` asks of every property defined at the model's level; unknown names,
/// properties of the other level and verdicts of the wrong kind are errors at the key or
/// value.
fn expectations(
    src: &Source,
    expect: &BTreeMap<Spanned<String>, Spanned<String>>,
    level: LevelSpec,
    user: &[UserProperty],
) -> Result<Vec<(PropertyInfo, Expected)>, Error> {
    let mut defined = level.properties();
    defined.extend(user.iter().map(|p| p.info));
    let name_of_level = level.name();
    // Keys in file order, so that the first problem in the file is the one reported.
    let mut entries: Vec<_> = expect.iter().collect();
    entries.sort_by_key(|(k, _)| k.span().start);
    let mut found = BTreeMap::new();
    for (key, value) in entries {
        let name = key.get_ref();
        let Some(p) = defined.iter().find(|p| p.name == name.as_str()) else {
            if !levels_defining(name).is_empty() {
                return Err(src.at(
                    key.span(),
                    format!("[expect] names {name}, which is not defined at the {name_of_level} level (granularity = \"{name_of_level}\")"),
                ));
            }
            let known: Vec<_> = defined.iter().map(|p| p.name).collect();
            return Err(src.at(
                key.span(),
                format!(
                    "[expect] names an unknown property {name:?}: expected one of the properties at the {name_of_level} level: {}",
                    known.join(", ")
                ),
            ));
        };
        let expected = Expected::parse(p.kind, value.get_ref()).ok_or_else(|| {
            let (allowed, kind) = match p.kind {
                Kind::Always => ("\"holds\" or \"violated\"", "an always"),
                Kind::Sometimes => ("\"reachable\" or \"unreachable\"", "a sometimes"),
            };
            src.at(
                value.span(),
                format!(
                    "[expect] {name} = {:?}: {name} is {kind} property, so expect {allowed}",
                    value.get_ref()
                ),
            )
        })?;
        found.insert(p.name, expected);
    }
    Ok(defined
        .into_iter()
        .map(|p| {
            let expected = found
                .get(p.name)
                .copied()
                .unwrap_or_else(|| Expected::default_for(p.kind));
            (p, expected)
        })
        .collect())
}

/// The properties the file defines (`[[properties]]`), each compiled and tried on the
/// model's initial state; problems are errors at the key or in the expression.
fn user_properties(
    src: &Source,
    entries: &[Spanned<PropertyEntry>],
    settings: &Settings,
    level: LevelSpec,
) -> Result<Vec<UserProperty>, Error> {
    let mut properties: Vec<UserProperty> = Vec::new();
    for entry in entries {
        let entry = entry.get_ref();
        let name = entry.name.get_ref();
        let well_formed = name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !well_formed {
            return Err(src.at(
                entry.name.span(),
                format!("[[properties]] name = {name:?}: expected a name in lower case, digits and underscores, starting with a letter (it is a key of [expect])"),
            ));
        }
        let levels = levels_defining(name);
        if !levels.is_empty() {
            return Err(src.at(
                entry.name.span(),
                format!("[[properties]] name = {name:?}: replcheck defines a property of that name (at the {} level); choose another", levels.join(" and ")),
            ));
        }
        if properties.iter().any(|p| p.info.name == name.as_str()) {
            return Err(src.at(
                entry.name.span(),
                format!("[[properties]] name = {name:?}: a property of that name is defined above"),
            ));
        }
        let kind = match entry.kind.get_ref().as_str() {
            "always" => Kind::Always,
            "sometimes" => Kind::Sometimes,
            other => {
                return Err(src.at(
                    entry.kind.span(),
                    format!("[[properties]] kind = {other:?}: expected \"always\" (holds in every reachable state) or \"sometimes\" (holds in some reachable state)"),
                ))
            }
        };
        let expression = entry.condition.get_ref();
        let span = entry.condition.span();
        let starts = expression_start(src.text, span.clone(), expression);
        let position = |offset: usize| {
            let (line, column) = line_col(src.text, offset);
            Position { line, column }
        };
        let meaning = match &entry.meaning {
            Some(meaning) => meaning.clone(),
            None => format!(
                "`{}`",
                expression.split_whitespace().collect::<Vec<_>>().join(" ")
            ),
        };
        let property = UserProperty::compile(
            name,
            kind,
            &meaning,
            expression,
            entry.symmetric,
            src.file.to_path_buf(),
            position(starts.unwrap_or(span.start)),
        )
        .map_err(|e| {
            // CEL's line and column within the expression, as a place in the file when the
            // expression is written there as it reads (no escapes).
            let at = match (starts, e.at) {
                (Some(start), Some((line, column))) => {
                    let offset = expression
                        .split_inclusive('\n')
                        .take(line - 1)
                        .map(str::len)
                        .sum::<usize>()
                        .min(expression.len());
                    let rest = &expression[offset..];
                    let within = rest
                        .char_indices()
                        .nth(column - 1)
                        .map_or(rest.len(), |(i, _)| i);
                    start + offset + within
                }
                _ => span.start,
            };
            Error::model_at(
                src.file,
                position(at),
                format!("[[properties]] {name}: {}", e.reason),
            )
        })?;
        let tried = crate::with_level!(level, M => {
            let model = <M as crate::level::Level>::build(settings, &level);
            stateright::Model::init_states(&model)
                .first()
                .map(|init| property.evaluate(&crate::level::Level::view(&model, init)))
        });
        if let Some(Err(reason)) = tried {
            return Err(Error::model_at(
                src.file,
                property.at,
                format!("[[properties]] {name}: on the initial state, {reason}"),
            ));
        }
        properties.push(property);
    }
    Ok(properties)
}

/// Where the text of a TOML string value begins in the file, if the value is written as it
/// reads (a literal string, or a basic string without escapes), so that a place in the
/// expression is a place in the file.
fn expression_start(text: &str, span: Range<usize>, value: &str) -> Option<usize> {
    let written = text.get(span.clone())?;
    let quote = ["\"\"\"", "'''", "\"", "'"]
        .into_iter()
        .find(|q| written.starts_with(q))?;
    let mut start = span.start + quote.len();
    if quote.len() == 3 {
        // A line break right after the opening quotes is not part of the string.
        if text[start..].starts_with("\r\n") {
            start += 2;
        } else if text[start..].starts_with('\n') {
            start += 1;
        }
    }
    text[start..].starts_with(value).then_some(start)
}

/// A TOML or schema error with its line and column, on one line (a key the message
/// quotes may hold a line break).
fn toml_error(src: &Source, e: &toml::de::Error) -> Error {
    let message = e.message().trim().replace(['\n', '\r'], " ");
    match e.span() {
        Some(span) => src.at(span, message),
        None => src.whole(message),
    }
}

/// 1-based line and column (in characters) of a byte offset; an offset past the end or
/// inside a character counts as the character boundary before it.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
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
            (
                "[[members]]\npriority = 0\n[[members]]\npriority = 0\n[[members]]\narbiter = true",
                "at least one data-bearing (non-arbiter) member with priority > 0",
            ),
        ];
        for (text, needle) in cases {
            let err = parse_str(text).unwrap_err();
            assert!(err.contains(needle), "{err:?} should mention {needle:?}");
        }
    }

    #[test]
    fn mongodb_version_selects_the_protocol_and_the_default_write_concern() {
        let spec = parse_str(PSA).unwrap();
        assert_eq!(spec.settings.version(), MongoVersion::NEWEST);
        let no_w = |version: &str, members: &str| {
            let text =
                format!("mongodb_version = \"{version}\"\n{members}[workload]\nwrites = 1\n");
            parse_str(&text).unwrap().settings
        };
        let pss = "[[members]]\n[[members]]\n[[members]]\n";
        let psa = "[[members]]\n[[members]]\n[[members]]\narbiter = true\n";
        let pssa =
            "[[members]]\n[[members]]\n[[members]]\n[[members]]\n[[members]]\narbiter = true\n";
        assert_eq!(no_w("4.4", pss).write_concern, WriteConcern::Nodes(1));
        assert_eq!(no_w("5.0", pss).write_concern, WriteConcern::Majority);
        // The PSA exception: 2 data-bearing voters are not more than the majority, 2.
        assert_eq!(no_w("5.0", psa).write_concern, WriteConcern::Nodes(1));
        assert_eq!(no_w("8.0", pssa).write_concern, WriteConcern::Majority);
        // Before 3.2 a new set gets protocol version 0; a pv0 model defaults to 3.6.
        assert_eq!(no_w("3.0", pss).protocol, Protocol::Pv0);
        assert_eq!(no_w("3.2", pss).protocol, Protocol::Pv1);
        let pv0 = parse_str("protocol = \"pv0\"\n[[members]]").unwrap();
        assert_eq!(pv0.settings.version().to_string(), "3.6");
    }

    #[test]
    fn batches_may_be_whole_as_a_reduction() {
        assert!(!parse_str(PSA).unwrap().settings.whole_batches);
        let whole = parse_str(&format!("batches = \"whole\"\n{PSA}")).unwrap();
        assert!(whole.settings.whole_batches);
        let (line, col, msg) = error_at(&format!("batches = \"some\"\n{PSA}"));
        assert_eq!((line, col), (1, 11), "{msg}");
        assert!(msg.contains("expected \"any_prefix\""), "{msg}");
    }

    #[test]
    fn rejects_a_version_it_does_not_model_or_a_protocol_the_version_lacks() {
        let (line, col, msg) =
            error_at("description = \"x\"\nmongodb_version = \"4\"\n[[members]]");
        assert_eq!((line, col), (2, 19), "{msg}");
        assert!(msg.contains("\"4\" is not a MongoDB version"), "{msg}");
        let (line, col, msg) = error_at("mongodb_version = \"9.0\"\n[[members]]");
        assert_eq!((line, col), (1, 19), "{msg}");
        assert!(msg.contains("outside the releases"), "{msg}");
        let (line, col, msg) =
            error_at("mongodb_version = \"4.0\"\nprotocol = \"pv0\"\n[[members]]");
        assert_eq!((line, col), (2, 12), "{msg}");
        assert!(
            msg.contains("protocol version 0 was removed in 4.0"),
            "{msg}"
        );
        let (line, col, msg) =
            error_at("mongodb_version = \"3.0\"\nprotocol = \"pv1\"\n[[members]]");
        assert_eq!((line, col), (2, 12), "{msg}");
        assert!(msg.contains("protocol version 1 came with 3.2"), "{msg}");
        let (_, _, msg) =
            error_at("granularity = \"atomic\"\nmongodb_version = \"4.0\"\n[[members]]");
        assert!(
            msg.contains("mongodb_version is set but granularity"),
            "{msg}"
        );
    }

    #[test]
    fn rejects_bad_schema_with_line_and_column() {
        let err = parse_str("[[members]]\ncolour = \"red\"\n").unwrap_err();
        assert!(err.starts_with("m.toml: line 2, column 1:"), "{err}");
        assert!(err.contains("colour"), "{err}");
        let err = parse_str("[[members]\n").unwrap_err();
        assert!(err.contains("line 1"), "{err}");
    }

    /// The line, column and message of an error that points into the file.
    fn error_at(text: &str) -> (usize, usize, String) {
        match parse(Path::new("m.toml"), text) {
            Err(Error::Model {
                at: Some(at),
                reason,
                ..
            }) => (at.line, at.column, reason),
            other => panic!("no position in {:?}", other.err()),
        }
    }

    /// Every semantic error points at the key or value at fault, and says what was expected.
    #[test]
    fn semantic_errors_point_at_the_key_or_value() {
        let psa_w3 = PSA.replace("w = \"majority\"", "w = 3");
        let pv0 = format!("protocol = \"pv0\"\n{PSA}");
        let eight = "[[members]]\n".repeat(8);
        let fifty_one = "[[members]]\nvotes = 0\npriority = 0\n".repeat(51);
        let fifty_one = format!("[[members]]\n{fifty_one}");
        let cases: Vec<(String, usize, usize, &str)> = vec![
            // The value of w, with what it may be.
            (
                psa_w3,
                9,
                5,
                "w = 3 is larger than the 2 data-bearing members: no write could ever be acknowledged (expected 1 to 2 or \"majority\")",
            ),
            // A non-voting member's priority, or its votes where priority is the default.
            (
                "[[members]]\n[[members]]\nvotes = 0\npriority = 2\n".into(),
                4,
                12,
                "member n1 has votes = 0 but priority > 0",
            ),
            (
                "[[members]]\n[[members]]\nvotes = 0\n".into(),
                3,
                9,
                "priority defaults to 1: expected priority = 0 with votes = 0",
            ),
            // The eighth voter, and the fifty-first member.
            (eight, 8, 1, "8 voting members; MongoDB allows at most 7"),
            (fifty_one, 149, 1, "52 members; MongoDB allows at most 50"),
            (
                "[[members]]\n[[members]]\narbiter = true\npriority = 1\n".into(),
                4,
                12,
                "arbiter n1 has a priority other than 0",
            ),
            (
                "[[members]]\nvotes = 2\n".into(),
                2,
                9,
                "under protocol version 1 votes is 0 or 1",
            ),
            (
                "[[members]]\nvotes = 300\n".into(),
                2,
                9,
                "member n0 votes = 300: expected 0 to 255",
            ),
            // [expect]: an unknown property's key, a wrong verdict's value.
            (
                format!("{PSA}[expect]\nlog_matching = \"holds\"\nno_such_thing = \"holds\"\n"),
                12,
                1,
                "unknown property \"no_such_thing\": expected one of the properties at the actor level: election_safety,",
            ),
            (
                format!("{PSA}[expect]\nelection_safety = \"reachable\"\n"),
                11,
                19,
                "election_safety is an always property, so expect \"holds\" or \"violated\"",
            ),
            // Keys of the other protocol version: the [pv0] table, max_term, a variant.
            (
                format!("{PSA}[pv0]\nmax_elections = 2\n"),
                10,
                1,
                "[pv0] is set but protocol is not \"pv0\": expected protocol = \"pv0\"",
            ),
            (
                format!("{pv0}[bounds]\nmax_term = 2\n"),
                12,
                12,
                "max_term has no meaning under protocol version 0",
            ),
            (
                format!("{pv0}[variant]\ndurable_vote = true\nfetch_consistency_check = false\n"),
                13,
                27,
                "not defined for protocol = \"pv0\"",
            ),
            (
                format!("{pv0}[pv0]\nmax_isolated = 4\n"),
                12,
                16,
                "[pv0] max_isolated = 4: expected 0 to 3 (the set has 3 members)",
            ),
            // Faults and bounds.
            (
                format!("{PSA}[faults]\nmax_crashes = 4\n"),
                11,
                15,
                "max_crashes = 4: expected 0 to 3",
            ),
            (
                format!("{PSA}[faults]\nmax_crashes = 2\ntotal_crashes = 1\n"),
                12,
                17,
                "total_crashes = 1 is less than max_crashes = 2",
            ),
            (
                format!("{PSA}[bounds]\nmax_term = 17\n"),
                11,
                12,
                "max_term = 17: expected 1 to 16",
            ),
            (
                format!("{PSA}[workload.x]\n"),
                10,
                11,
                "unknown field `x`",
            ),
            // Top-level values, and the key that asks for what is missing.
            (
                format!("protocol = \"pv2\"\n{PSA}"),
                1,
                12,
                "unknown protocol \"pv2\": expected \"pv1\" or \"pv0\"",
            ),
            (
                ATOMIC.replace("max_oplog_len = 4", ""),
                2,
                15,
                "granularity = \"atomic\" needs both [bounds] max_term and max_oplog_len",
            ),
            (
                format!("{ATOMIC}[workload]\nwrites = 1\n"),
                9,
                1,
                "[workload] is set but granularity = \"atomic\"",
            ),
            (
                format!("{PSA}[bounds]\nmax_oplog_len = 3\n"),
                11,
                17,
                "max_oplog_len belongs to granularity = \"atomic\"",
            ),
        ];
        let mut bad = Vec::new();
        for (text, line, col, needle) in cases {
            let (l, c, message) = error_at(&text);
            if !message.contains(needle) || (l, c) != (line, col) {
                let at: String = text
                    .lines()
                    .nth(l - 1)
                    .unwrap_or("")
                    .chars()
                    .skip(c - 1)
                    .collect();
                bad.push(format!("{l}:{c} (want {line}:{col}) at {at:?}: {message}"));
            }
        }
        assert!(bad.is_empty(), "{}", bad.join("\n"));
    }

    /// Type errors name what the key takes, in words, at the value.
    #[test]
    fn schema_errors_say_what_was_expected() {
        let cases = [
            (
                "[[members]]\nvotes = \"x\"\n",
                2,
                9,
                "expected a whole number",
            ),
            (
                "[[members]]\npriority = \"high\"\n",
                2,
                12,
                "expected a number",
            ),
            (
                "[[members]]\n[workload]\nw = 1.5\n",
                3,
                5,
                "expected a number of members or \"majority\"",
            ),
            (
                "workload = 3\n[[members]]\n",
                1,
                12,
                "expected a [workload] table",
            ),
            ("members = [1]\n", 1, 12, "expected a [[members]] table"),
            (
                "[[members]]\n[bounds]\nmax_term = 99999999999999999999\n",
                3,
                12,
                "max_term = 99999999999999999999: expected 1 to 16",
            ),
        ];
        for (text, line, col, needle) in cases {
            let (l, c, message) = error_at(text);
            assert!(
                message.contains(needle),
                "{message:?} should say {needle:?}"
            );
            assert_eq!((l, c), (line, col), "{message}\n{text}");
        }
    }

    /// Strings from the file are quoted and escaped: a message is always one line.
    #[test]
    fn strings_from_the_file_are_quoted_on_one_line() {
        let (_, _, message) = error_at(&format!(
            "{PSA}[expect]\nrollback_occurs = \"\"\"multi\nline\"\"\"\n"
        ));
        assert!(
            message.starts_with("[expect] rollback_occurs = \"multi\\nline\": "),
            "{message}"
        );
        let (_, _, message) = error_at("\"a\\nb\" = 1\n[[members]]\n");
        assert!(!message.contains('\n'), "{message:?}");
        assert!(message.contains("unknown field `a b`"), "{message:?}");
    }

    /// No members at all: nothing to point at, so only the file is named.
    #[test]
    fn errors_about_the_whole_file_name_only_the_file() {
        let err = parse_str("description = \"no members\"\n").unwrap_err();
        assert_eq!(
            err,
            "m.toml: invalid replica-set configuration: the replica set has no members: expected one [[members]] table per member"
        );
        // An empty list of members is at fault itself.
        assert_eq!(error_at("members = []\n").0, 1);
    }

    /// Bytes that are not UTF-8 are placed at the first of them.
    #[test]
    fn text_that_is_not_utf8_is_placed_too() {
        let file =
            std::env::temp_dir().join(format!("replcheck-config-{}.toml", std::process::id()));
        std::fs::write(&file, b"[[members]]\nvotes = \"\xff\"\n").unwrap();
        let err = load(&file).unwrap_err().to_string();
        let _ = std::fs::remove_file(&file);
        assert!(
            err.ends_with("line 2, column 10: not UTF-8 text: expected a UTF-8 TOML file"),
            "{err}"
        );
        assert_eq!(line_col("a\u{e9}b", 2), (1, 2), "inside a character");
        assert_eq!(line_col("ab\ncd", 99), (2, 3), "past the end");
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
            .contains("max_isolated = 4: expected 0 to 3 (the set has 3 members)"));
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
            spec.level,
            LevelSpec::Atomic(AtomicBounds {
                max_term: Term(4),
                max_oplog_len: 4
            })
        );
        let names: Vec<_> = spec.expectations.iter().map(|(p, _)| p.name).collect();
        assert!(names.contains(&"state_machine_safety"));
        assert!(!names.contains(&"majority_write_durability"));
        assert_eq!(parse_str(PSA).unwrap().level, LevelSpec::Actor);
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
