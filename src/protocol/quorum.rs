//! Pure vote and write-majority arithmetic (docs/protocol.md §1, §5).
//!
//! MongoDB counts majorities over the *configuration*, never over the members that happen
//! to be alive (seed 000 rules 2 and 4, seed 001): a set that has lost half its votes
//! cannot elect anyone, however many members are still up.

use super::replset::ReplicaSetConfig;
use super::types::{MemberId, MemberSet, OpTime, Term};

/// The number of votes a candidate needs: strictly more than half of all configured votes
/// (`_majorityVoteCount` in `repl_set_config.cpp`).
pub fn majority_votes(config: &ReplicaSetConfig) -> u32 {
    total_votes(config) / 2 + 1
}

pub fn total_votes(config: &ReplicaSetConfig) -> u32 {
    config.members.iter().map(|m| u32::from(m.votes)).sum()
}

/// Whether the votes of `voters` form a majority of the configured votes.
pub fn is_vote_majority(config: &ReplicaSetConfig, voters: MemberSet) -> bool {
    let votes: u32 = voters
        .iter()
        .filter(|m| m.index() < config.len())
        .map(|m| u32::from(config.member(m).votes))
        .sum();
    votes >= majority_votes(config)
}

/// The write majority: `min(majority of voting members, number of data-bearing voting
/// members)` (`_writeMajority` in `repl_set_config.cpp`): 2 for PSS and PSA, 1 for a
/// primary plus an arbiter.
pub fn write_majority(config: &ReplicaSetConfig) -> usize {
    let voters = config.members.iter().filter(|m| m.is_voter()).count();
    let data_bearing_voters = config
        .members
        .iter()
        .filter(|m| m.is_voter() && m.is_data_bearing())
        .count();
    (voters / 2 + 1).min(data_bearing_voters)
}

/// The majority commit point a primary in `term` can compute from what it knows of every
/// member's last applied optime (`progress`, indexed by member): the newest optime that at
/// least a write majority of voting data-bearing members have reached, provided it is an
/// entry of the primary's own term (the own-term rule, docs/protocol.md §5;
/// `_updateLastCommittedOpTimeAndWallTime` in `topology_coordinator.cpp`).
pub fn majority_commit_point(
    config: &ReplicaSetConfig,
    progress: &[OpTime],
    term: Term,
    own_term_rule: bool,
) -> Option<OpTime> {
    let mut optimes: Vec<OpTime> = config
        .ids()
        .filter(|&m| {
            let c = config.member(m);
            c.is_voter() && c.is_data_bearing()
        })
        .map(|m| progress[m.index()])
        .collect();
    let needed = write_majority(config);
    if needed == 0 || optimes.len() < needed {
        return None;
    }
    optimes.sort_unstable_by(|a, b| b.cmp(a));
    let candidate = optimes[needed - 1];
    let own_term = candidate.term == term || !own_term_rule;
    (own_term && !candidate.is_null()).then_some(candidate)
}

/// How many data-bearing members have reached `target`, counting only members whose last
/// optime is in `target`'s term (`haveNumNodesReachedOpTime` in `topology_coordinator.cpp`:
/// a member ahead in a newer term may not hold the write). Arbiters never count;
/// non-voting members do.
pub fn members_at(config: &ReplicaSetConfig, progress: &[OpTime], target: OpTime) -> usize {
    config
        .ids()
        .filter(|&m| config.member(m).is_data_bearing())
        .filter(|&m| has_reached(progress[m.index()], target))
        .count()
}

/// Whether a member whose last optime is `p` holds `target`: it is in `target`'s term and
/// at or past its position (a member ahead in a newer term may not hold it).
fn has_reached(p: OpTime, target: OpTime) -> bool {
    p.term == target.term && p.ts >= target.ts
}

/// Whether a write majority of voting data-bearing members have reached `target` in its
/// term (`w:"majority"` with `j:true`: the members it counts must have journaled it).
pub fn majority_at(config: &ReplicaSetConfig, progress: &[OpTime], target: OpTime) -> bool {
    let reached = config
        .ids()
        .filter(|&m| {
            let c = config.member(m);
            c.is_voter() && c.is_data_bearing()
        })
        .filter(|&m| has_reached(progress[m.index()], target))
        .count();
    reached >= write_majority(config)
}

/// Whether `candidate` alone holds a vote majority (a one-voter set elects itself).
pub fn wins_alone(config: &ReplicaSetConfig, candidate: MemberId) -> bool {
    is_vote_majority(config, MemberSet::single(candidate))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::replset::MemberConfig;

    fn set(shape: &str) -> ReplicaSetConfig {
        ReplicaSetConfig::new(
            shape
                .chars()
                .map(|c| match c {
                    'P' => MemberConfig::data_bearing(),
                    'S' => MemberConfig::data_bearing().with_priority(0.0),
                    'N' => MemberConfig::data_bearing()
                        .with_priority(0.0)
                        .with_votes(0),
                    'A' => MemberConfig::arbiter(),
                    _ => unreachable!(),
                })
                .collect(),
        )
    }

    fn members(ids: &[u8]) -> MemberSet {
        let mut s = MemberSet::default();
        for &i in ids {
            s.insert(MemberId(i));
        }
        s
    }

    #[test]
    fn vote_majority_counts_configured_votes_not_live_members() {
        // (shape, majority of votes, write majority)
        let table = [
            ("P", 1, 1),
            ("PP", 2, 2),
            ("PPP", 2, 2),
            ("PPA", 2, 2),
            ("PA", 2, 1),
            ("PPPP", 3, 3),
            ("PPPPP", 3, 3),
            ("PPPSN", 3, 3),
            ("PPAA", 3, 2),
            ("PPPAA", 3, 3),
            ("PNN", 1, 1),
        ];
        for (shape, votes, wmaj) in table {
            let c = set(shape);
            assert_eq!(majority_votes(&c), votes, "{shape}: majority of votes");
            assert_eq!(write_majority(&c), wmaj, "{shape}: write majority");
        }
    }

    #[test]
    fn a_two_member_set_needs_both_votes() {
        let c = set("PP");
        assert!(!is_vote_majority(&c, members(&[0])));
        assert!(is_vote_majority(&c, members(&[0, 1])));
    }

    #[test]
    fn non_voting_members_add_no_votes() {
        let c = set("PPPSN");
        assert!(!is_vote_majority(&c, members(&[0, 4])));
        assert!(is_vote_majority(&c, members(&[0, 1, 3])));
    }

    #[test]
    fn commit_point_needs_a_write_majority_in_the_primarys_term() {
        let c = set("PPP");
        let t = Term(2);
        let p = [OpTime::new(2, 3), OpTime::new(2, 2), OpTime::new(1, 1)];
        assert_eq!(
            majority_commit_point(&c, &p, t, true),
            Some(OpTime::new(2, 2))
        );
        // The own-term rule: a majority holds (1,2) but the primary is in term 2.
        let p = [OpTime::new(2, 3), OpTime::new(1, 2), OpTime::new(1, 2)];
        assert_eq!(majority_commit_point(&c, &p, t, true), None);
        // Without it (bug variant `own_term_commit_rule = false`) (1,2) would commit.
        assert_eq!(
            majority_commit_point(&c, &p, t, false),
            Some(OpTime::new(1, 2))
        );
        // An arbiter's progress never counts: PSA needs both data-bearing members.
        let c = set("PPA");
        let p = [OpTime::new(2, 3), OpTime::NULL, OpTime::new(2, 3)];
        assert_eq!(majority_commit_point(&c, &p, t, true), None);
        // Non-voting members do not count towards the commit point.
        let c = set("PPPSN");
        let p = [
            OpTime::new(2, 3),
            OpTime::NULL,
            OpTime::NULL,
            OpTime::new(2, 3),
            OpTime::new(2, 3),
        ];
        assert_eq!(majority_commit_point(&c, &p, t, true), None);
    }

    #[test]
    fn w_n_counts_data_bearing_members_in_the_writes_term() {
        let c = set("PPPSN");
        let target = OpTime::new(2, 2);
        let p = [
            OpTime::new(2, 2),
            OpTime::new(3, 1), // newer term: may not hold the write
            OpTime::new(2, 1), // behind
            OpTime::new(2, 5),
            OpTime::new(2, 2), // non-voting members count for w:N
        ];
        assert_eq!(members_at(&c, &p, target), 3);
        let c = set("PPA");
        let p = [OpTime::new(2, 2), OpTime::NULL, OpTime::new(2, 2)];
        assert_eq!(members_at(&c, &p, target), 1, "arbiters never count");
    }
}
