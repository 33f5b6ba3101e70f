//! The MongoDB release whose rules a model checks (`mongodb_version` in a model file), and
//! the rules that changed between releases.
//!
//! Each rule that differs between releases is a field of [`Rules`], derived once from the
//! version, with the release that changed it and where that is documented. Everything else
//! the model does is the same for every release it speaks for.

use std::fmt;

/// A MongoDB release. `"X.Y"` stands for the newest patch release of that series (every
/// fix released in it); `"X.Y.Z"` and `"X.Y.Z-rcN"` for exactly that release.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MongoVersion {
    pub major: u8,
    pub minor: u8,
    /// `NEWEST_PATCH` for "the newest patch of the series".
    pub patch: u8,
    /// The release candidate number; `RELEASE` for the release itself (a candidate comes
    /// before its release).
    pub rc: u8,
}

const NEWEST_PATCH: u8 = u8::MAX;
const RELEASE: u8 = u8::MAX;

impl MongoVersion {
    /// The newest behaviour the model speaks for, the default.
    pub const NEWEST: MongoVersion = MongoVersion::series(8, 0);
    /// The newest release that has protocol version 0 (removed in 4.0: MongoDB manual,
    /// "Replica Set Protocol Version": "Starting in version 4.0, MongoDB only supports
    /// pv1"), the default for a `protocol = "pv0"` model.
    pub const NEWEST_WITH_PV0: MongoVersion = MongoVersion::series(3, 6);
    /// The first release with protocol version 1 (3.2).
    pub const FIRST_WITH_PV1: MongoVersion = MongoVersion {
        major: 3,
        minor: 2,
        patch: 0,
        rc: RELEASE,
    };
    /// The oldest series a model may name: 2.4, the release Jepsen first tested.
    pub const OLDEST: MongoVersion = MongoVersion {
        major: 2,
        minor: 4,
        patch: 0,
        rc: 0,
    };

    /// The newest patch release of series `major.minor`.
    pub const fn series(major: u8, minor: u8) -> Self {
        MongoVersion {
            major,
            minor,
            patch: NEWEST_PATCH,
            rc: RELEASE,
        }
    }

    /// Reads `"X.Y"`, `"X.Y.Z"` or `"X.Y.Z-rcN"`, between 2.4 and 8.x; the error says what
    /// was expected.
    pub fn parse(text: &str) -> Result<MongoVersion, String> {
        let expected = "expected \"X.Y\" (the newest release of a series), \"X.Y.Z\" or \"X.Y.Z-rcN\", from \"2.4\" to \"8.0\"";
        let bad = || format!("{text:?} is not a MongoDB version: {expected}");
        let (numbers, rc) = match text.split_once("-rc") {
            Some((numbers, rc)) => (numbers, Some(rc)),
            None => (text, None),
        };
        let parts: Vec<&str> = numbers.split('.').collect();
        if !(2..=3).contains(&parts.len()) || (rc.is_some() && parts.len() != 3) {
            return Err(bad());
        }
        let number = |s: &str| -> Result<u8, String> {
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            s.parse::<u8>()
                .ok()
                .filter(|&n| n < NEWEST_PATCH)
                .ok_or_else(bad)
        };
        let version = MongoVersion {
            major: number(parts[0])?,
            minor: number(parts[1])?,
            patch: parts.get(2).map_or(Ok(NEWEST_PATCH), |p| number(p))?,
            rc: rc.map_or(Ok(RELEASE), number)?,
        };
        if version < MongoVersion::OLDEST || version.major > MongoVersion::NEWEST.major {
            return Err(format!(
                "{text:?} is outside the releases replcheck models: {expected}"
            ));
        }
        Ok(version)
    }

    /// Whether this release has a fix that shipped in the given releases, one per series
    /// (`(major, minor, patch)`, oldest series first): a release of one of those series
    /// has it from that patch on, a release of a newer series than all of them has it, and
    /// any other release (an older series, or a series in between, such as a development
    /// series) does not.
    pub fn has_fix(self, releases: &[(u8, u8, u8)]) -> bool {
        let series = (self.major, self.minor);
        if let Some(&(_, _, patch)) = releases.iter().find(|&&(a, b, _)| (a, b) == series) {
            return (self.patch, self.rc) >= (patch, RELEASE);
        }
        releases.iter().all(|&(a, b, _)| series > (a, b))
    }

    /// Whether this release is of series `major.minor` or newer.
    pub fn at_least(self, major: u8, minor: u8) -> bool {
        (self.major, self.minor) >= (major, minor)
    }

    /// Whether protocol version 0 exists in this release (before 4.0).
    pub fn has_pv0(self) -> bool {
        !self.at_least(4, 0)
    }

    /// Whether protocol version 1 exists in this release (3.2 and newer).
    pub fn has_pv1(self) -> bool {
        self >= MongoVersion::FIRST_WITH_PV1
    }
}

impl fmt::Display for MongoVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)?;
        if self.patch != NEWEST_PATCH {
            write!(f, ".{}", self.patch)?;
        }
        if self.rc != RELEASE {
            write!(f, "-rc{}", self.rc)?;
        }
        Ok(())
    }
}

/// How a member rolls back (docs/protocol.md §7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RollbackMethod {
    /// 3.6 and older ("rollback via refetch", `rs_rollback.cpp`): the member refetches the
    /// documents it must undo, goes RECOVERING and becomes SECONDARY only once it has
    /// applied up to `minValid`, the sync source's last optime when it rolled back
    /// (`ReplicationCoordinatorImpl::finishRecoveryIfEligible`).
    Refetch,
    /// 4.0 and newer ("recover to a timestamp", `rollback_impl.cpp`): the member recovers
    /// to its stable timestamp, replays its oplog to the common point and goes straight
    /// back to SECONDARY (`RollbackImpl::_transitionFromRollbackToSecondary`). MongoDB
    /// 4.0 to 4.4 still used refetch when `enableMajorityReadConcern` was false; the model
    /// takes the default, true.
    RecoverToTimestamp,
}

/// The rules of the model that depend on the release.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rules {
    pub rollback: RollbackMethod,
    /// Whether a data-bearing member learns a commit point from a heartbeat only when the
    /// commit point is in the term of its own last entry. Before SERVER-27123 ("Only
    /// update commit point via spanning tree", 3.2.12 and 3.4.2 in MongoDB's release
    /// changelogs) every member, the primary included, took any newer commit point from any
    /// member's heartbeat (`_processReplSetMetadata_incallback`: `_setLastCommittedOpTime`
    /// before `_updateTerm_incallback`), so a stale primary could satisfy a waiting
    /// w:"majority" write with a newer term's commit point before stepping down (Jepsen,
    /// "MongoDB 3.4.0-rc3", 2017). From the fix, heartbeats taught only arbiters; later
    /// releases take the commit point from any member's heartbeat again, with the term
    /// check (`TopologyCoordinator::advanceLastCommittedOpTimeAndWallTime`). The model
    /// takes the newer rule for every release from the fix on: it only adds ways to learn
    /// a commit point that is safe to learn.
    pub heartbeat_term_check: bool,
    /// Whether an arbiter's last applied optime follows the commit point it learns, so
    /// that it refuses a candidate behind it (`_advanceCommitPoint`; in MongoDB's 3.6 code
    /// and later; for older releases the model lets arbiters vote without it, which only
    /// adds behaviours).
    pub arbiter_applied_follows_commit_point: bool,
}

impl Rules {
    pub fn of(version: MongoVersion) -> Rules {
        Rules {
            rollback: if version.at_least(4, 0) {
                RollbackMethod::RecoverToTimestamp
            } else {
                RollbackMethod::Refetch
            },
            heartbeat_term_check: version.has_fix(&[(3, 2, 12), (3, 4, 2)]),
            arbiter_applied_follows_commit_point: version.at_least(3, 6),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> MongoVersion {
        MongoVersion::parse(text).unwrap()
    }

    #[test]
    fn reads_series_releases_and_candidates_in_order() {
        assert_eq!(v("8.0"), MongoVersion::NEWEST);
        assert!(v("3.4.0-rc3") < v("3.4.0-rc4"));
        assert!(v("3.4.0-rc4") < v("3.4.0"));
        assert!(v("3.4.0") < v("3.4.2"));
        assert!(v("3.4.2") < v("3.4"));
        assert!(v("3.4") < v("3.6.0"));
        for text in ["3.4", "3.4.0", "3.4.0-rc3", "4.0.10", "8.0"] {
            assert_eq!(v(text).to_string(), text);
        }
    }

    #[test]
    fn rejects_what_is_not_a_release_replcheck_models() {
        for text in [
            "",
            "3",
            "3.",
            "3.4.",
            "x.y",
            "3.4.0.1",
            "3.4-rc1",
            "3.4.0-rc",
            "3.4.0-beta1",
            "+3.4",
            "3.4.255",
            "2.2",
            "9.0",
            "10.0",
            " 3.4",
        ] {
            assert!(MongoVersion::parse(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn a_fix_is_in_its_release_and_every_newer_series() {
        let fix = [(3, 2, 12), (3, 4, 2)];
        for (text, has) in [
            ("3.0", false),
            ("3.2.11", false),
            ("3.2.12", true),
            ("3.2", true),
            ("3.3.5", false),
            ("3.4.0-rc3", false),
            ("3.4.1", false),
            ("3.4.2", true),
            ("3.4", true),
            ("3.6.0", true),
            ("8.0", true),
        ] {
            assert_eq!(v(text).has_fix(&fix), has, "{text}");
        }
    }

    #[test]
    fn rules_by_release() {
        assert_eq!(Rules::of(v("3.6")).rollback, RollbackMethod::Refetch);
        assert_eq!(
            Rules::of(v("4.0.0")).rollback,
            RollbackMethod::RecoverToTimestamp
        );
        assert!(!Rules::of(v("3.4.0-rc3")).heartbeat_term_check);
        assert!(Rules::of(v("3.4")).heartbeat_term_check);
        assert!(!Rules::of(v("3.4")).arbiter_applied_follows_commit_point);
        assert!(Rules::of(MongoVersion::NEWEST).arbiter_applied_follows_commit_point);
        assert!(v("3.6").has_pv0() && !v("4.0").has_pv0());
        assert!(!v("3.0").has_pv1() && v("3.2.0").has_pv1());
    }
}
