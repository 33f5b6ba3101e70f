//! Elections under protocol version 1 (docs/protocol.md §3): standing, voting, winning and
//! stepping down.
//!
//! The model runs no dry-run election: a dry run changes no term and records no vote, so
//! it only prevents elections that the real election would lose or that would disrupt a
//! healthy primary; leaving it out adds behaviours and hides none.

use super::journal;
use super::member::{observe_term, save, send_all, Ctx, Election, LastVote, Member, Reign, Role};
use super::messages::{Msg, Timer};
use super::node::{Node, Out};
use super::quorum;
use super::replication;
use super::replset::Settings;
use super::types::{MemberId, MemberSet, Op, OpTime, Position, Term};
use stateright::actor::model_timeout;
use std::borrow::Cow;
use std::fmt;

/// A `replSetRequestVotes` as the voter sees it.
#[derive(Clone, Copy, Debug)]
pub struct VoteRequest {
    pub candidate: MemberId,
    pub term: Term,
    pub last: OpTime,
}

/// What the voter knows when it decides, after adopting the request's term.
#[derive(Clone, Copy, Debug)]
pub struct Voter {
    pub id: MemberId,
    pub term: Term,
    pub last_vote: Option<LastVote>,
    /// The voter's last applied optime: an arbiter's follows the commit point it learned
    /// (`Rules::arbiter_applied_follows_commit_point`); `None` for an arbiter of a release
    /// without that rule, which never refuses a candidate as behind.
    pub last: Option<OpTime>,
    /// For an arbiter: the primary it can see.
    pub sees_primary: Option<MemberId>,
}

/// Why a voter refuses (the reasons `TopologyCoordinator::processReplSetRequestVotes`
/// gives).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// "candidate's term is lower than mine".
    StaleTerm { mine: Term },
    /// "already voted for another candidate this term".
    AlreadyVoted { candidate: MemberId },
    /// "candidate's data is staler than mine".
    CandidateBehind { mine: OpTime },
    /// An arbiter that can see a healthy primary of equal or higher priority
    /// (SERVER-27125).
    ArbiterSeesPrimary { primary: MemberId },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::StaleTerm { mine } => write!(f, "its term {mine} is newer"),
            Refusal::AlreadyVoted { candidate } => {
                write!(f, "it already voted for {candidate} in this term")
            }
            Refusal::CandidateBehind { mine } => {
                write!(f, "the candidate's oplog is behind its own {mine}")
            }
            Refusal::ArbiterSeesPrimary { primary } => {
                write!(f, "it is an arbiter and can see primary {primary}")
            }
        }
    }
}

/// The vote rule (docs/protocol.md §3). Voters never look at the candidate's priority, except
/// an arbiter comparing it with the primary it can see.
pub fn decide_vote(settings: &Settings, voter: &Voter, req: &VoteRequest) -> Result<(), Refusal> {
    if req.term < voter.term {
        return Err(Refusal::StaleTerm { mine: voter.term });
    }
    if let Some(v) = voter.last_vote {
        if !term_allows_vote(voter.term, Some(v.term), req.term) {
            return Err(Refusal::AlreadyVoted {
                candidate: v.candidate,
            });
        }
    }
    if let Some(mine) = voter.last {
        if !oplog_allows_vote(mine, req.last) {
            return Err(Refusal::CandidateBehind { mine });
        }
    }
    if let Some(primary) = voter.sees_primary {
        let replset = &settings.replset;
        if primary != req.candidate
            && replset.member(primary).priority >= replset.member(req.candidate).priority
        {
            return Err(Refusal::ArbiterSeesPrimary { primary });
        }
    }
    Ok(())
}

/// The term half of the vote rule: a voter in `term` that last voted in `voted_in` may vote
/// in `request` only if that term is not older than its own and it has not voted in it
/// (one vote per term, `local.replset.election`).
pub fn term_allows_vote(term: Term, voted_in: Option<Term>, request: Term) -> bool {
    request >= term && voted_in != Some(request)
}

/// The oplog half of the vote rule: the candidate's last optime is at least the voter's,
/// comparing terms first, then positions ("candidate's data is staler than mine").
pub fn oplog_allows_vote(voter_last: OpTime, candidate_last: OpTime) -> bool {
    candidate_last >= voter_last
}

/// The voter's view of itself, for `decide_vote` and for traces.
pub fn voter_view(ctx: Ctx<'_>, m: &Member) -> Voter {
    let (last, sees_primary) = match m.role {
        Role::Arbiter { primary } => {
            let follows = ctx.settings.rules().arbiter_applied_follows_commit_point;
            (follows.then_some(m.commit_point), primary)
        }
        _ => (Some(m.last_optime()), None),
    };
    Voter {
        id: ctx.id,
        term: m.term,
        last_vote: m.last_vote,
        last,
        sees_primary,
    }
}

/// The election timeout fires on an electable secondary: it increments its term, votes
/// for itself durably and sends `replSetRequestVotes` to every other voter
/// (`ReplicationCoordinatorImpl::_startElectSelfV1`). The timer stays set: if this
/// election fails, the member may stand again in the next term.
pub fn on_election_timeout(ctx: Ctx<'_>, m: &mut Cow<Member>, o: &mut Out) {
    if !matches!(m.role, Role::Secondary { .. } | Role::Arbiter { .. }) || !ctx.may_stand() {
        return;
    }
    let m = m.to_mut();
    m.term = Term(m.term.0 + 1);
    m.last_vote = Some(LastVote {
        term: m.term,
        candidate: ctx.id,
    });
    save(m, o);
    o.set_timer(Timer::Election, model_timeout());
    let votes = MemberSet::single(ctx.id);
    if quorum::is_vote_majority(&ctx.settings.replset, votes) {
        become_primary(ctx, m, o);
        return;
    }
    m.role = Role::Secondary {
        election: Some(Election::Votes(votes)),
    };
    let request = Msg::RequestVote {
        term: m.term,
        last: m.last_optime(),
    };
    let voters = ctx
        .peers()
        .filter(|&p| ctx.settings.replset.member(p).is_voter());
    send_all(voters.collect::<Vec<_>>(), &request, o);
}

/// A voter handles `replSetRequestVotes`: it adopts a newer term first, then applies the
/// vote rule and records a granted vote durably before answering
/// (`processReplSetRequestVotes`, `local.replset.election`).
pub fn on_request_vote(
    ctx: Ctx<'_>,
    m: &mut Cow<Member>,
    candidate: MemberId,
    term: Term,
    last: OpTime,
    o: &mut Out,
) {
    observe_term(ctx, m, term, o);
    let req = VoteRequest {
        candidate,
        term,
        last,
    };
    // A refusal sends nothing (see `Msg::Vote`).
    if decide_vote(ctx.settings, &voter_view(ctx, m), &req).is_ok() {
        let m = m.to_mut();
        m.last_vote = Some(LastVote { term, candidate });
        save(m, o);
        o.send(Node::id_of(candidate), Msg::Vote { term });
    }
}

/// A candidate counts a granted vote for its current term; with a majority of all
/// configured votes it becomes primary (`VoteRequester`, docs/protocol.md §3).
pub fn on_vote(ctx: Ctx<'_>, m: &mut Cow<Member>, voter: MemberId, term: Term, o: &mut Out) {
    observe_term(ctx, m, term, o);
    let Role::Secondary {
        election: Some(Election::Votes(votes)),
    } = m.role
    else {
        return;
    };
    if term != m.term {
        return;
    }
    let mut votes = votes;
    votes.insert(voter);
    let m = m.to_mut();
    if quorum::is_vote_majority(&ctx.settings.replset, votes) {
        become_primary(ctx, m, o);
    } else if let Role::Secondary { election } = &mut m.role {
        *election = Some(Election::Votes(votes));
    }
}

/// The candidate wins: it becomes PRIMARY and writes the "new primary" no-op in its own
/// term, the entry through which it can later commit anything (docs/protocol.md §3, §5). It
/// tells the others through a heartbeat.
pub fn become_primary(ctx: Ctx<'_>, m: &mut Member, o: &mut Out) {
    m.won |= 1 << m.term.0;
    m.oplog
        .append(m.oplog.next_optime(m.term), 0, Op::NewPrimary(ctx.id));
    m.role = Role::Primary {
        progress: vec![Position::default(); ctx.settings.replset.len()],
        waiter: None,
        election_time: 0,
        reign: Reign::default(),
    };
    journal::after_oplog_change(ctx, m, o);
    o.cancel_timer(Timer::Election);
    o.set_timer(Timer::StepDown, model_timeout());
    replication::send_heartbeats(ctx, m, o);
    o.send(
        Node::client_id(ctx.settings),
        Msg::Hello {
            election_id: m.term.0,
        },
    );
    // A set whose write majority is the primary alone commits the no-op at once.
    replication::advance_commit_point(ctx, m, o);
}

/// A primary steps down: its liveness check failed (it has not heard from a majority
/// within the election timeout: seed 000 figure 5-3, seed 002) or it was asked to. The
/// model lets the timer fire at any moment, a superset of when the real check fails.
pub fn on_step_down_timeout(ctx: Ctx<'_>, m: &mut Cow<Member>, o: &mut Out) {
    if !m.is_primary() {
        return;
    }
    step_down(ctx, m.to_mut(), o);
}

/// Leaving PRIMARY for SECONDARY keeps the term; waiting writes lose their connection
/// (the client retries) and the member starts pulling again.
pub fn step_down(ctx: Ctx<'_>, m: &mut Member, o: &mut Out) {
    o.cancel_timer(Timer::StepDown);
    become_secondary(ctx, m, o);
    replication::open_queries(ctx, m, o);
}

/// A data-bearing member becomes SECONDARY (after startup, step-down or recovery); from
/// now on it may stand for election if it is electable.
pub fn become_secondary(ctx: Ctx<'_>, m: &mut Member, o: &mut Out) {
    m.role = Role::Secondary { election: None };
    if ctx.may_stand() {
        o.set_timer(Timer::Election, model_timeout());
    }
}

/// An arbiter stops hearing from the primary it knew, and stops refusing votes for it.
pub fn on_primary_unreachable(_ctx: Ctx<'_>, m: &mut Cow<Member>, _o: &mut Out) {
    if let Role::Arbiter { primary: Some(_) } = m.role {
        m.to_mut().role = Role::Arbiter { primary: None };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::replset::MemberConfig;

    fn psa() -> Settings {
        Settings::new(vec![
            MemberConfig::data_bearing(),
            MemberConfig::data_bearing(),
            MemberConfig::arbiter(),
        ])
    }

    fn voter(term: u8, last: Option<OpTime>) -> Voter {
        Voter {
            id: MemberId(1),
            term: Term(term),
            last_vote: None,
            last,
            sees_primary: None,
        }
    }

    fn req(term: u8, last: OpTime) -> VoteRequest {
        VoteRequest {
            candidate: MemberId(0),
            term: Term(term),
            last,
        }
    }

    #[test]
    fn grants_a_vote_to_a_candidate_at_least_as_fresh_in_a_new_term() {
        let s = psa();
        let v = voter(2, Some(OpTime::new(1, 3)));
        assert_eq!(decide_vote(&s, &v, &req(2, OpTime::new(1, 3))), Ok(()));
        assert_eq!(decide_vote(&s, &v, &req(3, OpTime::new(2, 1))), Ok(()));
    }

    #[test]
    fn refuses_a_stale_term() {
        let s = psa();
        let v = voter(3, Some(OpTime::NULL));
        assert_eq!(
            decide_vote(&s, &v, &req(2, OpTime::NULL)),
            Err(Refusal::StaleTerm { mine: Term(3) })
        );
    }

    #[test]
    fn refuses_a_candidate_behind_by_term_then_position() {
        let s = psa();
        let v = voter(2, Some(OpTime::new(2, 1)));
        assert_eq!(
            decide_vote(&s, &v, &req(3, OpTime::new(1, 5))),
            Err(Refusal::CandidateBehind {
                mine: OpTime::new(2, 1)
            })
        );
    }

    #[test]
    fn votes_once_per_term_even_for_the_same_candidate() {
        let s = psa();
        let mut v = voter(2, Some(OpTime::NULL));
        v.last_vote = Some(LastVote {
            term: Term(2),
            candidate: MemberId(0),
        });
        assert_eq!(
            decide_vote(&s, &v, &req(2, OpTime::NULL)),
            Err(Refusal::AlreadyVoted {
                candidate: MemberId(0)
            })
        );
        // A vote in an older term does not bind.
        assert_eq!(decide_vote(&s, &v, &req(3, OpTime::NULL)), Ok(()));
    }

    #[test]
    fn an_arbiter_never_refuses_for_freshness_but_does_for_a_visible_primary() {
        let mut s = psa();
        let mut arbiter = voter(2, None);
        arbiter.id = MemberId(2);
        assert_eq!(decide_vote(&s, &arbiter, &req(3, OpTime::NULL)), Ok(()));
        arbiter.sees_primary = Some(MemberId(1));
        assert_eq!(
            decide_vote(&s, &arbiter, &req(3, OpTime::NULL)),
            Err(Refusal::ArbiterSeesPrimary {
                primary: MemberId(1)
            })
        );
        // A candidate of higher priority than the visible primary gets the vote.
        s.replset.members[0].priority = 2.0;
        assert_eq!(decide_vote(&s, &arbiter, &req(3, OpTime::NULL)), Ok(()));
    }

    /// From 3.6 an arbiter's last applied optime follows the commit point it learned
    /// (`_advanceCommitPoint`), so it refuses a candidate behind that commit point; the
    /// model gives older releases arbiters without it.
    #[test]
    fn an_arbiter_refuses_a_candidate_behind_the_commit_point_it_knows() {
        use crate::protocol::member::{self, Ctx};
        use crate::protocol::node::Out;
        use crate::protocol::version::MongoVersion;
        for (version, refuses) in [("8.0", true), ("3.6", true), ("3.4", false)] {
            let mut s = psa();
            s.set_version(MongoVersion::parse(version).unwrap());
            let ctx = Ctx {
                id: MemberId(2),
                settings: &s,
            };
            let mut arbiter = member::on_start(ctx, None, &mut Out::new());
            arbiter.term = Term(2);
            arbiter.commit_point = OpTime::new(2, 3);
            let view = voter_view(ctx, &arbiter);
            let behind = decide_vote(&s, &view, &req(3, OpTime::new(1, 5)));
            let refused = Err(Refusal::CandidateBehind {
                mine: OpTime::new(2, 3),
            });
            assert_eq!(behind == refused, refuses, "{version}: {behind:?}");
            assert_eq!(decide_vote(&s, &view, &req(3, OpTime::new(2, 3))), Ok(()));
        }
    }

    #[test]
    fn one_vote_per_term_never_in_an_older_term() {
        assert!(term_allows_vote(Term(2), None, Term(2)));
        assert!(term_allows_vote(Term(2), Some(Term(1)), Term(3)));
        assert!(!term_allows_vote(Term(2), Some(Term(2)), Term(2)));
        assert!(!term_allows_vote(Term(3), None, Term(2)));
        // The atomic level's reading: a member's term is also its vote.
        assert!(term_allows_vote(Term(2), Some(Term(2)), Term(3)));
    }

    #[test]
    fn a_candidate_needs_an_oplog_at_least_as_new_terms_first() {
        assert!(oplog_allows_vote(OpTime::new(1, 3), OpTime::new(2, 1)));
        assert!(oplog_allows_vote(OpTime::new(2, 2), OpTime::new(2, 2)));
        assert!(!oplog_allows_vote(OpTime::new(2, 3), OpTime::new(2, 2)));
        assert!(!oplog_allows_vote(OpTime::new(2, 1), OpTime::new(1, 5)));
    }
}
