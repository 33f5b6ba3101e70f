//! Documented MongoDB behaviours, each checked against the model through the library,
//! each citing its source. Seeds are the documents summarised in docs/seeds.md;
//! docs/protocol.md gives the rules with their sources.

use replcheck::check::{self, Options, Outcome};
use replcheck::config;
use replcheck::level::actor::{Action, ReplicaSetModel, State};
use replcheck::level::Level;
use replcheck::protocol::member::Role;
use replcheck::protocol::messages::{Msg, Timer};
use replcheck::protocol::replset::{MemberConfig, Protocol, Settings};
use replcheck::protocol::types::{Entry, MemberId, MemberState, Op, Term, WriteConcern, WriteId};
use replcheck::protocol::version::MongoVersion;
use stateright::actor::{ActorModelAction, Id};
use stateright::Model;
use std::path::Path;

/// Visits every transition reachable from `start` through actions `allowed` accepts,
/// within the model's bounds (`check::breadth_first`).
fn for_each_transition(
    model: &ReplicaSetModel,
    start: Vec<State>,
    allowed: impl Fn(&Action) -> bool,
    visit: impl FnMut(&State, &Action, &State),
) -> usize {
    check::breadth_first(model, start, allowed, visit)
}

/// The first state (breadth-first from `start`, through actions `allowed` accepts, within
/// the model's bounds) that satisfies `goal`; `None` if no state reachable so does
/// (`check::find`).
fn search(
    model: &ReplicaSetModel,
    start: Vec<State>,
    allowed: impl Fn(&Action) -> bool,
    goal: impl Fn(&State) -> bool,
) -> Option<State> {
    check::find(model, start, allowed, goal)
}

/// The first state (breadth-first from the initial states) that satisfies `goal`.
fn find(model: &ReplicaSetModel, goal: impl Fn(&State) -> bool) -> State {
    find_from(model, model.init_states(), goal)
}

/// The first state (breadth-first from `start`) that satisfies `goal`.
fn find_from(model: &ReplicaSetModel, start: Vec<State>, goal: impl Fn(&State) -> bool) -> State {
    check::find(model, start, |_| true, goal).expect("a reachable state satisfies the goal")
}

fn crash(model: &ReplicaSetModel, state: &State, id: u8) -> State {
    model
        .next_state(state, ActorModelAction::Crash(Id::from(usize::from(id))))
        .expect("a member can crash")
}

fn state_of(model: &ReplicaSetModel, state: &State, id: u8) -> MemberState {
    model.member(state, MemberId(id)).member_state()
}

/// Small models: one checker thread each, so tests run side by side.
const ONE_THREAD: Options = Options {
    threads: 1,
    symmetry: true,
    ..Options::DEFAULT
};

/// A w:1 write is acknowledged once the primary has it; if the primary then loses an
/// election to a member without it, the old primary rolls it back when it rejoins.
/// Source: MongoDB manual, "Rollbacks During Replica Set Failover" and "Write Concern"
/// (w:1 writes can be rolled back); docs/protocol.md §12 row 3 and §7 (rollback to the
/// common point).
#[test]
fn w1_write_is_rolled_back_after_failover() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/psa-w1.toml");
    let spec = config::load(&file).unwrap();
    let result = check::check(&spec, ONE_THREAD).into_actor().unwrap();
    assert!(result.complete && result.ok());
    let lost = result
        .properties
        .iter()
        .find(|p| p.property.info.name == "acknowledged_write_durability")
        .unwrap();
    assert_eq!(lost.outcome, Outcome::Violated);
    let trace = lost.trace.as_ref().expect("a counterexample");
    let model = &result.model;
    let last = trace.states.last().unwrap();
    let acked = model.client(last).acked.clone();
    assert_eq!(acked.len(), 1, "the client holds the acknowledgement");
    let write = acked[0];
    // The primary of the later term does not have it ...
    let primary = model
        .members(last)
        .filter(|m| m.is_primary())
        .max_by_key(|m| m.member.term)
        .expect("a primary");
    assert!(primary.member.term > write.optime.term);
    assert!(!primary.oplog().contains(&write));
    // ... and the old primary goes on to roll it back (into its rollback file).
    let rolled_back = find_from(model, vec![last.clone()], |s| {
        model
            .members(s)
            .any(|m| m.member.rollback_file.contains(&write))
    });
    assert!(model.client(&rolled_back).acked.contains(&write));
    // The narrated steps say it in MongoDB's words.
    let steps: Vec<String> = trace
        .states
        .iter()
        .zip(&trace.actions)
        .map(|(s, a)| model.format_step(s, a.clone()).unwrap())
        .collect();
    assert!(
        steps.iter().any(|s| s.contains("acknowledged with w:1")),
        "{steps:#?}"
    );
}

/// In a two-member set both members vote, so a primary needs both votes: while one member
/// is down the other is never elected. Source: MongoDB manual, "Replica Set Elections"
/// (a candidate needs a majority of the configured votes); seed 000 rules 2 and 4 (the
/// majority is counted over the configuration, not over the live members); docs/protocol.md §3.
#[test]
fn two_member_set_elects_no_primary_while_one_member_is_down() {
    let mut settings = Settings::new(vec![MemberConfig::data_bearing(); 2]);
    settings.max_crashes = 1;
    settings.max_term = Term(3);
    // The scenario holds a member down, so its downtime is a state of its own.
    settings.downtime_steps = true;
    let model = ReplicaSetModel::new(settings);
    // Over every behaviour: a member becomes primary while the other is down only by
    // counting a vote the other cast (and saved) in that term before it went down.
    let mut elections = 0;
    let states = for_each_transition(
        &model,
        model.init_states(),
        |_| true,
        |pre, _, post| {
            for (before, after) in model.members(pre).zip(model.members(post)) {
                if after.is_primary() && !before.is_primary() {
                    elections += 1;
                    for other in model.members(pre).filter(|m| m.id != after.id && m.down) {
                        let vote = other.member.last_vote.expect("the other member voted");
                        assert!(vote.term >= after.member.term, "it voted in that term");
                    }
                }
            }
        },
    );
    assert!(states > 1000, "explored {states} states");
    assert!(elections > 0, "elections happen when both are up");
    // And from the start with n1 down for good, n0 is never elected, however often it
    // stands.
    let init = model.init_states();
    let n1_down = model
        .next_state(&init[0], ActorModelAction::Crash(Id::from(1)))
        .unwrap();
    let mut stood = false;
    let stays_down = |a: &Action| !matches!(a, ActorModelAction::Recover(_));
    for_each_transition(&model, vec![n1_down], stays_down, |_, action, post| {
        stood |= matches!(action, ActorModelAction::Timeout(_, Timer::Election));
        assert_ne!(state_of(&model, post, 0), MemberState::Primary);
    });
    assert!(stood, "n0 does stand for election");
}

/// Seed 000 figure 5-3: the primary of three members loses both secondaries. It holds
/// one vote of three, not a majority, so it gives up being primary ("after 25-30 s",
/// seed 000; `stepDown` on liveness timeout, docs/protocol.md §3), and in the meantime it
/// acknowledges no w:"majority" write, since no majority can have it.
#[test]
fn primary_that_loses_both_secondaries_steps_down_and_acknowledges_no_majority_write() {
    let mut settings = Settings::new(vec![MemberConfig::data_bearing(); 3]);
    settings.writes = 1;
    settings.write_concern = WriteConcern::Majority;
    settings.max_crashes = 2;
    settings.max_term = Term(1);
    settings.chaining_allowed = false;
    // Both secondaries are held down, so their downtime is a state of its own.
    settings.downtime_steps = true;
    let model = ReplicaSetModel::new(settings);
    // n0 is primary, and the client knows it and has sent its write.
    let ready = find(&model, |s| {
        state_of(&model, s, 0) == MemberState::Primary
            && model.client(s).primary.is_some()
            && s.crashed.iter().all(|c| !c)
    });
    // Both secondaries fail.
    let mut down = ready;
    for id in [1, 2] {
        down = model
            .next_state(&down, ActorModelAction::Crash(Id::from(id)))
            .expect("a secondary can crash");
    }
    let mut acknowledged = false;
    let mut stepped_down = false;
    let mut another_primary = false;
    let stays_down = |a: &Action| !matches!(a, ActorModelAction::Recover(_));
    for_each_transition(&model, vec![down], stays_down, |_, action, post| {
        acknowledged |= !model.client(post).acked.is_empty();
        another_primary |= (1..3).any(|i| state_of(&model, post, i) == MemberState::Primary);
        if matches!(action, ActorModelAction::Timeout(_, Timer::StepDown)) {
            stepped_down |= state_of(&model, post, 0) == MemberState::Secondary;
        }
    });
    assert!(
        !acknowledged,
        "no w:majority write is acknowledged by a lone primary"
    );
    assert!(stepped_down, "the lone primary can step down");
    assert!(!another_primary);
}

/// Losing a message is, for every property checked, the same as never delivering it: the
/// network may delay any message forever. The model therefore explores a loss as a delay
/// (`Settings::loss_steps` off). With each loss a step of its own, as stateright's lossy
/// network has it, small sets reach exactly the same states but for the messages in
/// flight: the same members, storage, timers, crash flags, client and history, so every
/// property (none reads the network) has the same verdict (REPORT.md, "Notes on
/// faithfulness").
#[test]
fn message_loss_is_explored_as_delay_and_reaches_the_same_states() {
    let cases = [
        ("[[members]]\n[[members]]\n", 2, 1),
        (
            "[[members]]\n[[members]]\n[[members]]\narbiter = true\n",
            1,
            1,
        ),
    ];
    for (members, max_term, max_crashes) in cases {
        let text = format!(
            "[settings]\nchaining_allowed = false\n{members}[workload]\nwrites = 1\nw = 1\n[bounds]\nmax_term = {max_term}\n[faults]\nmessage_loss = true\nmax_crashes = {max_crashes}\ntotal_crashes = 1\njournal_lag = false\n"
        );
        let spec = config::parse(Path::new("loss.toml"), &text).unwrap();
        // Every reachable state with its network emptied.
        let without_network = |loss_steps: bool| {
            let mut settings = spec.settings.clone();
            settings.loss_steps = loss_steps;
            let model = ReplicaSetModel::new(settings);
            let emptied = |state: &State| {
                let mut rest = state.clone();
                rest.network = replcheck::level::actor::InFlight::default();
                <ReplicaSetModel as Level>::fingerprint(&rest)
            };
            // The initial states too: a loss can lead back to one.
            let mut seen: std::collections::HashSet<u64> =
                model.init_states().iter().map(emptied).collect();
            let states = for_each_transition(
                &model,
                model.init_states(),
                |_| true,
                |_, _, next| {
                    seen.insert(emptied(next));
                },
            );
            (seen, states)
        };
        let (as_delay, delay_states) = without_network(false);
        let (as_steps, step_states) = without_network(true);
        assert!(step_states > delay_states, "{members}: losses add states");
        assert_eq!(as_delay, as_steps, "{members}");
        // And the checker's verdicts are the same either way.
        let mut explicit = spec.clone();
        explicit.settings.loss_steps = true;
        let outcomes = |spec: &config::ModelSpec| {
            let result = check::check(spec, ONE_THREAD);
            assert!(result.complete());
            result
                .outcomes()
                .into_iter()
                .map(|(_, o, _)| o)
                .collect::<Vec<_>>()
        };
        assert_eq!(outcomes(&spec), outcomes(&explicit), "{members}");
    }
}

/// A crash and the restart are one step under protocol version 1 (`Settings::downtime_steps`
/// off, the default): a reduction. With the member down for steps of its own, the states
/// with nobody down are exactly the states the reduced model reaches, up to the messages
/// in flight (those sent to the member while it was down are lost in one model and still
/// in flight in the other): the same members, timers, storage, client and history. Every
/// state with a member down has its twin there, the member restarted and idle, which no
/// property tells apart (REPORT.md, "Soundness"). And the verdicts are the same, on the
/// bundled models small enough for the suite.
#[test]
fn a_crash_and_its_restart_as_one_step_reach_the_same_states() {
    // Two data-bearing members with two crashes and journal lag (rollback reachable), two
    // with message loss, and PSA with an arbiter.
    for name in [
        "models/majority-journaled.toml",
        "models/two-members.toml",
        "models/bugs/durable-vote.toml",
    ] {
        let spec = config::load(Path::new(name)).unwrap();
        assert!(!spec.settings.downtime_steps);
        let reached = |downtime_steps: bool| {
            let mut settings = spec.settings.clone();
            settings.downtime_steps = downtime_steps;
            let model = ReplicaSetModel::new(settings);
            let emptied = |state: &State| {
                let mut rest = state.clone();
                rest.network = replcheck::level::actor::InFlight::default();
                <ReplicaSetModel as Level>::fingerprint(&rest)
            };
            let mut up: std::collections::HashSet<u64> =
                model.init_states().iter().map(emptied).collect();
            let mut down = 0;
            let states = for_each_transition(
                &model,
                model.init_states(),
                |_| true,
                |_, _, next| {
                    if next.crashed.iter().any(|&c| c) {
                        down += 1;
                    } else {
                        up.insert(emptied(next));
                    }
                },
            );
            (up, down, states)
        };
        let (at_once, never_down, reduced_states) = reached(false);
        let (with_downtime, down, states) = reached(true);
        assert_eq!(never_down, 0, "{name}: nobody is ever down");
        assert!(
            down > 0 && states > reduced_states,
            "{name}: downtime adds states"
        );
        assert_eq!(at_once, with_downtime, "{name}");
    }
    let outcomes = |spec: &config::ModelSpec| {
        let result = check::check(
            spec,
            Options {
                threads: 2,
                ..Options::DEFAULT
            },
        );
        assert!(result.complete());
        result
            .outcomes()
            .into_iter()
            .map(|(_, o, _)| o)
            .collect::<Vec<_>>()
    };
    // The verdicts agree on the bundled crash models small enough for the suite (the
    // larger ones, majority-j, majority-unjournaled and psa-majority, are compared in
    // REPORT.md's measurements of the reduction).
    for name in [
        "models/two-members.toml",
        "models/majority-journaled.toml",
        "models/bugs/durable-vote.toml",
    ] {
        let spec = config::load(Path::new(name)).unwrap();
        assert!(spec.settings.max_crashes > 0 && spec.settings.restarts_at_once());
        let mut with_downtime = spec.clone();
        with_downtime.settings.downtime_steps = true;
        assert_eq!(outcomes(&spec), outcomes(&with_downtime), "{name}");
    }
}

/// The three members of seed 000 figures 5-4 and 5-5 (ports 10001-10003 there, `n0`-`n2`
/// here), all alike, with one w:1 write.
fn three_members_one_w1_write() -> ReplicaSetModel {
    let mut settings = Settings::new(vec![MemberConfig::data_bearing(); 3]);
    settings.writes = 1;
    settings.write_concern = WriteConcern::Nodes(1);
    settings.max_crashes = 2;
    // The figures' members stay down for a while (not restarted in the same step).
    settings.downtime_steps = true;
    settings.max_term = Term(3);
    settings.chaining_allowed = false;
    ReplicaSetModel::new(settings)
}

/// No member restarts and no other member fails.
fn no_crash_or_restart(action: &Action) -> bool {
    !matches!(
        action,
        ActorModelAction::Crash(_) | ActorModelAction::Recover(_)
    )
}

/// No member restarts.
fn no_restart(action: &Action) -> bool {
    !matches!(action, ActorModelAction::Recover(_))
}

/// The start of seed 000 figures 5-4 and 5-5: n0 is primary and fails before the client
/// has written anything, and the two others elect one of themselves while n0 stays down.
/// Either of them can win; returns the first state in which `winner` has.
fn primary_fails_and_secondaries_elect(model: &ReplicaSetModel, winner: u8) -> State {
    let ready = find(model, |s| state_of(model, s, 0) == MemberState::Primary);
    assert!(model.client(&ready).acked.is_empty());
    let down = crash(model, &ready, 0);
    let elected = search(model, vec![down], no_crash_or_restart, |s| {
        state_of(model, s, winner) == MemberState::Primary
    })
    .expect("the two remaining members elect a primary");
    assert!(model.member(&elected, MemberId(0)).down);
    assert!(model.member(&elected, MemberId(winner)).member.term > Term(1));
    assert!(model.client(&elected).acked.is_empty());
    elected
}

/// Seed 000 figure 5-4: of three members the primary fails, the two secondaries elect a
/// new primary between them, and then the remaining secondary fails as well. The new
/// primary keeps working alone: the client finds it and its w:1 write is acknowledged
/// there, in the new primary's term. Holding one vote of three, the primary may step
/// down (seed 000 rule 2; docs/protocol.md §3), and while the two others stay down no member
/// is ever elected again, however often the survivor stands.
#[test]
fn new_primary_after_failover_keeps_taking_writes_when_the_last_secondary_fails() {
    let model = three_members_one_w1_write();
    // Either secondary can be the one elected; go on with n1.
    primary_fails_and_secondaries_elect(&model, 2);
    let elected = primary_fails_and_secondaries_elect(&model, 1);
    let term = model.member(&elected, MemberId(1)).member.term;
    // The other secondary fails too: two of three are down.
    let both_down = crash(&model, &elected, 2);
    let mut acknowledged = Vec::new();
    let mut stepped_down = false;
    let mut stood_again = false;
    for_each_transition(&model, vec![both_down], no_restart, |pre, action, post| {
        acknowledged.extend(model.client(post).acked.iter().copied());
        let before = model.member(pre, MemberId(1));
        let after = model.member(post, MemberId(1));
        stepped_down |= before.is_primary() && after.member_state() == MemberState::Secondary;
        stood_again |= matches!(action, ActorModelAction::Timeout(_, Timer::Election))
            && after.member.term > before.member.term;
        for (b, a) in model.members(pre).zip(model.members(post)) {
            assert!(
                b.is_primary() || !a.is_primary(),
                "{} elected with two of three members down",
                a.id
            );
        }
    });
    assert!(
        !acknowledged.is_empty() && acknowledged.iter().all(|w| w.optime.term == term),
        "the lone new primary acknowledges the write: {acknowledged:?}"
    );
    assert!(stepped_down, "the lone primary can step down");
    assert!(stood_again, "n1 stands again after stepping down");
}

/// Seed 000 figure 5-5: as in figure 5-4 the primary of three members fails and the two
/// secondaries elect a new primary, but then the new primary fails. The last member is a
/// secondary with one vote of three: it is never elected (seed 000 rule 4: a majority of
/// the configured votes, docs/protocol.md §3) however often it stands, and the set takes no
/// write while the other two are down.
#[test]
fn last_secondary_is_never_elected_when_the_new_primary_fails_too() {
    let model = three_members_one_w1_write();
    let elected = primary_fails_and_secondaries_elect(&model, 1);
    // The new primary fails: only n2 is up.
    let both_down = crash(&model, &elected, 1);
    let mut stood = 0;
    for_each_transition(&model, vec![both_down], no_restart, |pre, action, post| {
        let before = model.member(pre, MemberId(2));
        let after = model.member(post, MemberId(2));
        if matches!(action, ActorModelAction::Timeout(_, Timer::Election))
            && after.member.term > before.member.term
        {
            stood += 1;
        }
        assert!(model.members(post).all(|m| !m.is_primary()), "a primary");
        assert!(model.client(post).acked.is_empty(), "a write acknowledged");
    });
    assert!(stood > 0, "n2 does stand for election");
}

/// Rollback (docs/protocol.md §7): a member holding entries its sync source does not have
/// rolls back to the common point, the last entry both oplogs share, moving what it
/// removed to its rollback files, and replicates normally again, taking the new primary's
/// entries after the common point. Before 4.0 (rollback via refetch, `rs_rollback.cpp`;
/// seed 002) it goes ROLLBACK -> RECOVERING -> SECONDARY, and is SECONDARY again only once
/// it has replicated up to minValid, past the common point; from 4.0 (recover to a
/// timestamp, `RollbackImpl::_transitionFromRollbackToSecondary`) it goes ROLLBACK ->
/// SECONDARY at the common point. Here the old primary of a PSA set wrote write 1 and the
/// secondary was elected without it, before the write was acknowledged: the client
/// retries it at the new primary, and the member replicates it from there once it is
/// SECONDARY again.
#[test]
fn rollback_to_the_common_point_then_secondary_through_recovering_before_4_0() {
    rollback_to_the_common_point("3.6", true);
    rollback_to_the_common_point("4.0", false);
    rollback_to_the_common_point("8.0", false);
}

fn rollback_to_the_common_point(version: &str, through_recovering: bool) {
    let mut settings = Settings::new(vec![
        MemberConfig::data_bearing(),
        MemberConfig::data_bearing(),
        MemberConfig::arbiter(),
    ]);
    settings.writes = 1;
    settings.write_concern = WriteConcern::Nodes(1);
    settings.max_term = Term(2);
    settings.chaining_allowed = false;
    settings.set_version(MongoVersion::parse(version).unwrap());
    let model = ReplicaSetModel::new(settings);
    // A rollback of the client's write, to a common point after the first entry.
    let rolled_back = find(&model, |s| {
        model.members(s).any(|m| {
            !m.member.oplog.is_empty()
                && m.member
                    .rollback_file
                    .iter()
                    .any(|e| matches!(e.op, Op::Write(_)))
        })
    });
    let member = model
        .members(&rolled_back)
        .find(|m| !m.member.rollback_file.is_empty())
        .unwrap();
    let me = member.id;
    assert_eq!(member.member_state(), MemberState::Rollback);
    let primary = model
        .members(&rolled_back)
        .find(|m| m.is_primary())
        .expect("the new primary");
    let (source_id, new_branch) = (primary.id, primary.oplog().clone());
    assert!(model.client(&rolled_back).acked.is_empty());
    assert!(primary.member.term > member.oplog().last_optime().term);
    // The common point is the last entry the member's former oplog shares with the new
    // primary's: they agree up to it and differ right after it.
    let common = member.oplog().len();
    let removed = member.member.rollback_file.clone();
    let former: Vec<Entry> = member
        .oplog()
        .entries()
        .iter()
        .chain(&removed)
        .copied()
        .collect();
    assert_eq!(removed[0].optime.ts, member.oplog().last_optime().ts + 1);
    assert_eq!(former[..common], new_branch.entries()[..common]);
    assert_ne!(former.get(common), new_branch.entries().get(common));
    assert!(
        new_branch.len() > common,
        "the new primary has entries after it"
    );

    // From there, over every behaviour: ROLLBACK only to RECOVERING and RECOVERING only to
    // SECONDARY, where the member holds the new branch after the common point (refetch);
    // ROLLBACK only to SECONDARY, at the common point (recover to a timestamp).
    let mut recovering = false;
    let mut secondary = false;
    let mut rewritten = false;
    let start = vec![rolled_back.clone()];
    for_each_transition(
        &model,
        start,
        |_| true,
        |pre, _, post| {
            let before = model.member(pre, me);
            let after = model.member(post, me);
            // Replication goes on: the client's write, retried at the new primary, reaches
            // the member in the new term.
            rewritten |= after.member_state() == MemberState::Secondary
                && after.oplog().entries().iter().any(|e| {
                    matches!(e.op, Op::Write(_)) && e.optime.term == new_branch.last_optime().term
                });
            let (from, to) = (before.member_state(), after.member_state());
            if from == to {
                return;
            }
            match from {
                MemberState::Rollback if through_recovering => {
                    assert_eq!(to, MemberState::Recovering, "{version}")
                }
                MemberState::Rollback => {
                    assert_eq!(to, MemberState::Secondary, "{version}");
                    assert_eq!(after.oplog().entries(), &former[..common], "{version}");
                    secondary = true;
                    return;
                }
                MemberState::Recovering => assert_eq!(to, MemberState::Secondary),
                _ => panic!("{me} went from {from} to {to}"),
            }
            recovering |= to == MemberState::Recovering;
            if to == MemberState::Secondary {
                secondary = true;
                let oplog = after.oplog().entries();
                let source = model.member(post, source_id).oplog().entries();
                assert!(
                    oplog.len() > common,
                    "{me} has replicated past the common point"
                );
                assert_eq!(oplog[..common], former[..common]);
                assert_eq!(oplog[common], new_branch.entries()[common]);
                assert!(
                    source.starts_with(oplog) || oplog.starts_with(source),
                    "{me} is on the new primary's branch"
                );
                assert!(removed.iter().all(|e| !after.oplog().contains(e)));
            }
        },
    );
    assert_eq!(recovering, through_recovering, "{version}");
    assert!(secondary && rewritten, "{version}");
}

/// Whether the client holds an acknowledgement of a write that a primary of a later term
/// does not have.
fn acknowledged_write_lost(model: &ReplicaSetModel, state: &State) -> bool {
    model.client(state).acked.iter().any(|&write| {
        model.members(state).any(|m| {
            m.is_primary() && m.member.term > write.optime.term && !m.oplog().contains(&write)
        })
    })
}

/// A PSS set in which only n0 can be primary (n1 and n2 have priority 0), one w:majority
/// write, no chaining, two members down at once and two crashes in all.
fn pss_one_majority_write(wc_majority_journal_default: bool, j: bool) -> ReplicaSetModel {
    let mut settings = Settings::new(vec![
        MemberConfig::data_bearing(),
        MemberConfig::data_bearing().with_priority(0.0),
        MemberConfig::data_bearing().with_priority(0.0),
    ]);
    settings.writes = 1;
    settings.write_concern = WriteConcern::Majority;
    settings.j = j;
    settings.wc_majority_journal_default = wc_majority_journal_default;
    settings.max_crashes = 2;
    settings.crash_budget = Some(2);
    settings.max_term = Term(2);
    settings.chaining_allowed = false;
    ReplicaSetModel::new(settings)
}

/// Seed 003 (journaling; docs/protocol.md §6 and §12): with `writeConcernMajorityJournalDefault`
/// false and no `j`, a w:"majority" write is acknowledged once a majority has applied it,
/// journaled or not; if that majority crashes before its group commit, the write is gone
/// from every oplog that survives, and the primary of the next term does not have it.
/// The search leaves n2 out (a lagging secondary that receives nothing and does nothing),
/// so that n0 and n1 are the majority, and lets n0 leave PRIMARY only by crashing (no
/// step-down); with the journal default true, or with `j:true`, the same search finds no
/// such loss.
#[test]
fn unjournaled_majority_write_is_lost_when_the_majority_crashes() {
    let n2 = Id::from(2);
    let without_n2 = |a: &Action| match a {
        ActorModelAction::Deliver { src, dst, .. } => *src != n2 && *dst != n2,
        ActorModelAction::Timeout(_, Timer::StepDown) => false,
        ActorModelAction::Timeout(id, _)
        | ActorModelAction::Crash(id)
        | ActorModelAction::Recover(id) => *id != n2,
        _ => true,
    };
    let unjournaled = pss_one_majority_write(false, false);
    let loss = search(&unjournaled, unjournaled.init_states(), without_n2, |s| {
        acknowledged_write_lost(&unjournaled, s)
    })
    .expect("the acknowledged write is lost");
    // It took both members of the majority crashing: n0 is primary again, in term 2,
    // and neither it nor n1 has the write.
    assert_eq!(loss.history.crashes, 2, "two crashes");
    let write = unjournaled.client(&loss).acked[0];
    let n0 = unjournaled.member(&loss, MemberId(0));
    assert!(n0.is_primary() && n0.member.term == Term(2));
    for m in unjournaled.members(&loss) {
        assert!(!m.oplog().contains(&write), "{} has it", m.id);
    }
    // Counting journaled positions, the write is acknowledged only once n0 and n1 have
    // it in their journals, and no crash loses it.
    for (journal_default, j) in [(true, false), (false, true)] {
        let journaled = pss_one_majority_write(journal_default, j);
        let acked = search(&journaled, journaled.init_states(), without_n2, |s| {
            !journaled.client(s).acked.is_empty()
        });
        assert!(acked.is_some(), "the write is acknowledged");
        let loss = search(&journaled, journaled.init_states(), without_n2, |s| {
            acknowledged_write_lost(&journaled, s)
        });
        assert!(loss.is_none(), "journal default {journal_default}, j {j}");
    }
}

// ---- Protocol version 0 (docs/protocol.md §8) ----------------------------------------------

fn pv0_settings(members: Vec<MemberConfig>) -> Settings {
    let mut s = Settings::new(members);
    s.protocol = Protocol::Pv0;
    s.chaining_allowed = false;
    s.pv0.max_clock_jumps = 0;
    s.pv0.max_isolated = 0;
    s
}

fn primaries(model: &ReplicaSetModel, state: &State) -> Vec<MemberId> {
    model
        .members(state)
        .filter(|m| m.is_primary())
        .map(|m| m.id)
        .collect()
}

/// Seed 001 (four members, six votes): under protocol version 0 a member may carry
/// several votes, and a candidate needs a majority of all votes. With n0 carrying three of
/// the six, nobody can be elected while n0 is down (the other three hold only three
/// votes), but n0 and any one other member (four votes) elect a primary. docs/protocol.md §1,
/// §8.
#[test]
fn seed_001_weighted_votes_no_primary_while_the_three_vote_member_is_down() {
    let mut members = vec![MemberConfig::data_bearing(); 4];
    members[0] = MemberConfig::data_bearing().with_votes(3);
    let mut settings = pv0_settings(members);
    settings.max_crashes = 2;
    settings.pv0.max_elections = 2;
    let model = ReplicaSetModel::new(settings);
    let init = model.init_states();

    // n0 down from the start, never restarted: the others may stand, but never win.
    // They see three votes of six, not a majority, so none of them even stands
    // (`CannotSeeMajority`).
    let n0_down = crash(&model, &init[0], 0);
    let explored = for_each_transition(
        &model,
        vec![n0_down],
        |a| !matches!(a, ActorModelAction::Crash(_) | ActorModelAction::Recover(_)),
        |_, _, next| {
            assert!(
                primaries(&model, next).is_empty(),
                "a primary without the three-vote member"
            );
            assert_eq!(
                next.history.elections, 0,
                "a member stood without a majority in sight"
            );
        },
    );
    assert!(explored > 1);

    // n1 and n2 down: n0 (3 votes) and n3 (1 vote) hold four of six and elect a primary.
    let two_down = crash(&model, &crash(&model, &init[0], 1), 2);
    let elected = search(
        &model,
        vec![two_down],
        |a| !matches!(a, ActorModelAction::Crash(_) | ActorModelAction::Recover(_)),
        |s| !primaries(&model, s).is_empty(),
    );
    assert!(elected.is_some(), "n0 and n3 elect a primary");
}

/// Seed 000 figures 5-7/5-8: the old primary restarts within the freshness window of its
/// last write, wins again, and the member that was primary in between rolls back the
/// newer writes it took. Protocol version 0 orders histories by timestamp alone: the old
/// primary's clock has moved on while it was away (one clock jump), so its next write is
/// "newer" than the writes of the primary in between. docs/protocol.md §7, §8.
#[test]
fn seed_000_old_primary_restarts_wins_again_and_the_newer_writes_roll_back() {
    let mut settings = pv0_settings(vec![MemberConfig::data_bearing(); 3]);
    settings.writes = 3;
    settings.write_concern = WriteConcern::Nodes(1);
    settings.max_crashes = 1;
    // The old primary keeps its writes across the restart (journaled as written).
    settings.journal_lag = false;
    settings.pv0.max_elections = 3;
    settings.pv0.max_clock_jumps = 1;
    settings.pv0.max_isolated = 1;
    let model = ReplicaSetModel::new(settings);
    let is = |a: &Action, id: u8, timer: Timer| matches!(a, ActorModelAction::Timeout(who, t) if usize::from(*who) == usize::from(id) && *t == timer);
    let involves = |a: &Action, id: u8| {
        let id = Id::from(usize::from(id));
        match a {
            ActorModelAction::Deliver { src, dst, .. } => *src == id || *dst == id,
            ActorModelAction::Timeout(who, _) => *who == id,
            _ => false,
        }
    };
    let holds = |s: &State, id: u8, k: u8| {
        model
            .member(s, MemberId(id))
            .oplog()
            .find_write(WriteId(k))
            .is_some()
    };
    let quiet = |a: &Action| {
        !matches!(a, ActorModelAction::Crash(_) | ActorModelAction::Recover(_))
            && !matches!(
                a,
                ActorModelAction::Timeout(_, Timer::Isolate | Timer::Rejoin | Timer::ClockJump)
            )
    };

    // Figure 5-7: n0 is primary, write 1 is on every member.
    let s = search(&model, model.init_states(), quiet, |s| {
        primaries(&model, s) == [MemberId(0)]
            && model.client(s).acked.len() == 1
            && (0..3).all(|m| holds(s, m, 0))
    })
    .expect("n0 is elected and write 1 replicates");
    // n0 fails; n1 is elected and takes write 2, which reaches nobody else.
    let s = crash(&model, &s, 0);
    let s = search(
        &model,
        vec![s],
        |a| quiet(a) && !is(a, 2, Timer::Election),
        |s| {
            primaries(&model, s) == [MemberId(1)]
                && model.client(s).acked.len() == 2
                && !holds(s, 2, 1)
        },
    )
    .expect("n1 is elected and acknowledges write 2 with w:1");
    // n1 is cut off; n0 restarts, its clock having moved on, and is elected again
    // (n2 knows no write newer than n0's last); it takes write 3.
    let s = model
        .next_state(&s, ActorModelAction::Timeout(Id::from(1), Timer::Isolate))
        .expect("n1 can be cut off");
    let s = model
        .next_state(&s, ActorModelAction::Recover(Id::from(0)))
        .expect("n0 restarts");
    let s = search(
        &model,
        vec![s],
        |a| {
            (quiet(a) || is(a, 0, Timer::ClockJump))
                && !involves(a, 1)
                && !is(a, 2, Timer::Election)
        },
        |s| {
            let last = |m: u8| model.member(s, MemberId(m)).oplog().last_optime();
            primaries(&model, s).contains(&MemberId(0)) && holds(s, 0, 2) && last(0) > last(1)
        },
    )
    .expect("n0 wins again and writes write 3");
    let write2 = model.client(&s).acked[1];
    // Figure 5-8: n1 rejoins, steps down, and syncs from n0, whose history is "newer":
    // it rolls back write 2, which had been acknowledged.
    let s = model
        .next_state(&s, ActorModelAction::Timeout(Id::from(1), Timer::Rejoin))
        .expect("n1 rejoins");
    let s = search(&model, vec![s], quiet, |s| {
        model
            .member(s, MemberId(1))
            .member
            .rollback_file
            .contains(&write2)
    })
    .expect("n1 rolls back write 2");
    assert!(
        holds(&s, 0, 0) && holds(&s, 0, 2),
        "n0 keeps writes 1 and 3"
    );
    assert!(!holds(&s, 0, 1), "write 2 is on no surviving branch at n0");
}

/// Without terms, election safety means the vote lease holds: a voter does not vote for
/// two members that are then primary at once within one lease (REPORT.md). The lease lives
/// in memory only (`_voteLease`), so a voter that restarts may vote again at once: pv0's
/// double vote, which pv1's durable `local.replset.election` prevents
/// (models/bugs/durable-vote.toml is the pv1 counterpart).
#[test]
fn pv0_voter_that_restarts_forgets_its_lease_and_votes_twice() {
    let mut settings = pv0_settings(vec![MemberConfig::data_bearing(); 3]);
    settings.max_crashes = 1;
    settings.pv0.max_elections = 2;
    let model = ReplicaSetModel::new(settings.clone());
    let double = search(
        &model,
        model.init_states(),
        |_| true,
        |s| primaries(&model, s).len() == 2 && !election_safety_holds(&model, s),
    );
    assert!(
        double.is_some(),
        "a restart lets a voter elect two primaries at once"
    );
    // Without crashes the lease is kept: no such state.
    settings.max_crashes = 0;
    let model = ReplicaSetModel::new(settings);
    let mut checked = 0;
    for_each_transition(
        &model,
        model.init_states(),
        |_| true,
        |_, _, next| {
            assert!(election_safety_holds(&model, next));
            checked += 1;
        },
    );
    assert!(checked > 0);
}

/// The story of a pv0 loss speaks of elections, not terms: pv0 has none.
#[test]
fn a_pv0_loss_is_told_without_terms() {
    let mut settings = pv0_settings(vec![MemberConfig::data_bearing(); 3]);
    settings.writes = 1;
    settings.write_concern = WriteConcern::Nodes(1);
    settings.pv0.max_elections = 2;
    let model = ReplicaSetModel::new(settings);
    let p = <ReplicaSetModel as Level>::find_property("acknowledged_write_durability")
        .expect("named property");
    let lost = search(
        &model,
        model.init_states(),
        |_| true,
        |s| !p.holds(&model, s),
    )
    .expect("pv0 loses a w:1 write");
    let told = p.explanation(&model, &lost);
    assert!(
        told.contains("or a primary elected after the acknowledgement lacks it"),
        "{told}"
    );
    assert!(!told.contains("term"), "{told}");
}

fn election_safety_holds(model: &ReplicaSetModel, state: &State) -> bool {
    let p = <ReplicaSetModel as Level>::find_property("election_safety").expect("named property");
    p.holds(model, state)
}

/// A retryable write that reached the old primary (and a secondary) but whose
/// acknowledgement was lost is retried at the new primary, which already holds it. MongoDB
/// does not apply it twice; the write concern waits for the system's last optime instead
/// (`LastOpFixer` in `write_ops_exec.cpp` sets the client's last op to it), which is in the
/// new primary's term, so the retry is acknowledged with w:1 by the new primary alone and
/// with w:2 once one more member has replicated the new term. Source: MongoDB manual,
/// "Retryable Writes"; docs/protocol.md §5.
#[test]
fn retried_write_already_held_by_a_new_primary_is_acknowledged() {
    for w in [1, 2] {
        let mut settings = Settings::new(vec![MemberConfig::data_bearing(); 3]);
        settings.writes = 1;
        settings.write_concern = WriteConcern::Nodes(w);
        settings.chaining_allowed = false;
        settings.max_term = Term(2);
        let model = ReplicaSetModel::new(settings);
        // n0's acknowledgements are never delivered: the client must retry. To keep the
        // search small, no primary steps down on its own and n2 never stands.
        let ack_from_n0 = |a: &Action| match a {
            ActorModelAction::Deliver {
                src,
                msg: Msg::WriteAck { .. },
                ..
            } => *src == Id::from(0),
            ActorModelAction::Timeout(_, Timer::StepDown) => true,
            ActorModelAction::Timeout(id, Timer::Election) => *id == Id::from(2),
            _ => false,
        };
        let acknowledged_by_a_later_primary = |s: &State| {
            let first_primary_is_n0 = model.members(s).any(|m| {
                m.oplog().at(1).is_some_and(|e| {
                    e.optime.term == Term(1) && e.op == Op::NewPrimary(MemberId(0))
                })
            });
            let acked = &model.client(s).acked;
            first_primary_is_n0 && acked.len() == 1 && acked[0].optime.term == Term(1)
        };
        let found = search(
            &model,
            model.init_states(),
            |a| !ack_from_n0(a),
            acknowledged_by_a_later_primary,
        );
        let state = found.unwrap_or_else(|| panic!("w:{w}: the retry is never acknowledged"));
        let retried = model.client(&state).acked[0];
        assert_eq!(retried.write(), Some(WriteId(0)), "w:{w}");
        let later = model
            .members(&state)
            .filter(|m| m.member.term == Term(2) && m.oplog().contains(&retried))
            .count();
        assert!(
            later >= usize::from(w),
            "w:{w}: {later} members of term 2 hold it"
        );
    }
}

/// Election safety is about elections, not about one moment: at most one member wins each
/// term (Raft §5.2; MongoRaftReconfig's `elections` history). With the vote forgotten on
/// restart (bug variant `durable_vote = false`), a voter can elect a second member in a
/// term whose first winner has crashed meanwhile; no two primaries of that term are ever
/// up at once, and the property must still catch it.
#[test]
fn election_safety_catches_a_second_winner_of_a_term_whose_first_is_down() {
    let mut settings = Settings::new(vec![MemberConfig::data_bearing(); 3]);
    settings.variant.durable_vote = false;
    settings.max_crashes = 1;
    // The first winner stays down (not restarted in the same step) while the second wins.
    settings.downtime_steps = true;
    settings.journal_lag = false;
    settings.chaining_allowed = false;
    settings.max_term = Term(1);
    let model = ReplicaSetModel::new(settings);
    let only_one_primary_up_and_one_member_down = |s: &State| {
        let primaries = model.members(s).filter(|m| m.is_primary()).count();
        let down = model.members(s).filter(|m| m.down).count();
        primaries == 1 && down == 1
    };
    let state = search(
        &model,
        model.init_states(),
        |_| true,
        |s| only_one_primary_up_and_one_member_down(s) && !election_safety_holds(&model, s),
    )
    .expect("a second winner of term 1 while the first is down");
    let primary = model.members(&state).find(|m| m.is_primary()).unwrap();
    let down = model.members(&state).find(|m| m.down).unwrap();
    assert_eq!(primary.member.term, Term(1));
    assert_ne!(primary.id, down.id);
    let p = <ReplicaSetModel as Level>::find_property("election_safety").unwrap();
    let why = p.explanation(&model, &state);
    assert!(why.contains("both won the election for term 1"), "{why}");
}

/// Jepsen, "MongoDB 3.4.0-rc3" (2017): "heartbeat messages received by a stale primary could
/// allow it to advance its commit point". Before SERVER-27123 (3.2.12, 3.4.2) a primary
/// took a newer term's commit point from a heartbeat before adopting the term, and it
/// satisfied the w:"majority" write it was waiting on; from the fix on it does not. Here
/// the same heartbeat reaches the same stale primary under both releases.
#[test]
fn a_stale_primary_acknowledges_on_a_heartbeats_commit_point_only_before_server_27123() {
    let model_of = |version: &str| {
        let mut settings = Settings::new(vec![MemberConfig::data_bearing(); 3]);
        settings.writes = 1;
        settings.write_concern = WriteConcern::Majority;
        settings.chaining_allowed = false;
        settings.whole_batches = true;
        settings.max_term = Term(2);
        settings.set_version(MongoVersion::parse(version).unwrap());
        ReplicaSetModel::new(settings)
    };
    let old = model_of("3.4.0-rc3");
    let fixed = model_of("3.4");
    // A primary of term 1 waiting on write 1, and a heartbeat of term 2 on its way to it
    // with a commit point of term 2.
    let stale_heartbeat = |s: &State| -> Option<Action> {
        let waiting = old.members(s).find(|m| {
            m.is_primary()
                && m.member.term == Term(1)
                && matches!(
                    m.member.role,
                    Role::Primary {
                        waiter: Some(_),
                        ..
                    }
                )
        })?;
        s.network
            .iter_deliverable()
            .find(|e| {
                usize::from(e.dst) == waiting.id.index()
                    && matches!(e.msg, Msg::Heartbeat { term: Term(2), commit_point, .. }
                        if commit_point.term == Term(2))
            })
            .map(|e| ActorModelAction::Deliver {
                src: e.src,
                dst: e.dst,
                msg: e.msg.clone(),
            })
    };
    let state = search(
        &old,
        old.init_states(),
        |_| true,
        |s| stale_heartbeat(s).is_some(),
    )
    .expect("a stale primary with a newer heartbeat on its way");
    let action = stale_heartbeat(&state).unwrap();
    let acks = |s: &State| {
        s.network
            .iter_deliverable()
            .filter(|e| matches!(e.msg, Msg::WriteAck { .. }))
            .count()
    };
    let after_old = old.next_state(&state, action.clone()).unwrap();
    let after_fixed = fixed.next_state(&state, action).unwrap();
    assert_eq!(acks(&after_old), acks(&state) + 1, "3.4.0-rc3 acknowledges");
    assert_eq!(acks(&after_fixed), acks(&state), "3.4 does not");
    for (model, next) in [(&old, &after_old), (&fixed, &after_fixed)] {
        assert!(
            model
                .members(next)
                .all(|m| !m.is_primary() || m.member.term == Term(2)),
            "the stale primary steps down either way"
        );
    }
}

/// Every member's heartbeat carries its commit point (`lastOpCommitted` in `$replData`,
/// which `prepareReplSetMetadata` adds whatever the member's role), and a member learns it
/// from any member, with the term check (`_advanceCommitPoint` with `fromSyncSource`
/// false): a secondary can learn the commit point from another secondary's heartbeat.
#[test]
fn a_secondary_learns_the_commit_point_from_another_secondarys_heartbeat() {
    let mut settings = Settings::new(vec![MemberConfig::data_bearing(); 3]);
    settings.chaining_allowed = false;
    settings.max_term = Term(1);
    let model = ReplicaSetModel::new(settings);
    let mut learned_from_a_secondary = 0;
    for_each_transition(
        &model,
        model.init_states(),
        |_| true,
        |pre, action, post| {
            let ActorModelAction::Deliver {
                src,
                dst,
                msg: Msg::Heartbeat { primary: false, .. },
            } = action
            else {
                return;
            };
            let receiver = MemberId(usize::from(*dst) as u8);
            let sender = MemberId(usize::from(*src) as u8);
            let (before, after) = (model.member(pre, receiver), model.member(post, receiver));
            if after.member.commit_point > before.member.commit_point {
                assert!(!model.member(pre, sender).is_primary());
                assert_eq!(
                    after.member.commit_point.term,
                    before.oplog().last_optime().term
                );
                learned_from_a_secondary += 1;
            }
        },
    );
    assert!(learned_from_a_secondary > 0);
}

/// A sync source answers a `getMore` with a batch that may end after any of the entries it
/// has (MongoDB's batches are bounded in size; RaftMongo.tla's `AppendOplog` appends any
/// prefix): a fetcher can stop part-way through what its source had when it answered, and
/// with `batches = "whole"` it never does.
#[test]
fn a_fetcher_may_apply_part_of_what_its_source_had() {
    let partly_applied = |whole_batches: bool| {
        let mut settings = Settings::new(vec![MemberConfig::data_bearing(); 3]);
        settings.writes = 1;
        settings.write_concern = WriteConcern::Nodes(1);
        settings.chaining_allowed = false;
        settings.max_term = Term(1);
        settings.whole_batches = whole_batches;
        let model = ReplicaSetModel::new(settings);
        // Answers that offer more than one batch, and batches applied that leave the
        // fetcher short of what its source had when it answered.
        let (mut choices, mut partly) = (0, 0);
        for_each_transition(
            &model,
            model.init_states(),
            |_| true,
            |pre, action, post| {
                let ActorModelAction::Deliver {
                    src: fetcher,
                    dst: source,
                    msg: Msg::GetMore { .. },
                } = action
                else {
                    return;
                };
                let source_oplog = model.member(pre, MemberId(usize::from(*source) as u8));
                let batches: Vec<_> = post
                    .network
                    .iter_deliverable()
                    .filter(|e| e.src == *source && e.dst == *fetcher)
                    .filter_map(|e| match e.msg {
                        Msg::Batch { oplog, .. } => Some(oplog.clone()),
                        _ => None,
                    })
                    .collect();
                for batch in &batches {
                    assert!(source_oplog.oplog().entries().starts_with(batch.entries()));
                    partly += usize::from(batch.len() < source_oplog.oplog().len());
                }
                choices += usize::from(batches.len() > 1);
            },
        );
        (choices, partly)
    };
    let (choices, partly) = partly_applied(false);
    assert!(choices > 0 && partly > 0);
    assert_eq!(partly_applied(true), (0, 0));
}

/// A member may roll back a write's entry before the write is acknowledged, fetch it
/// again, and the write then be acknowledged with w:"majority": nothing is lost, and the
/// entry stays in the member's rollback file. Only a rollback after the acknowledgement
/// loses the write (MongoDB manual, "Rollbacks During Replica Set Failover": w:"majority"
/// writes are not rolled back once acknowledged). Found in the realistic PS model
/// (models/bench/realistic/ps.toml): n1 rolls back n0's first-term entries against n0's
/// second-term batch, n0 fetches them again from n1's earlier batch, wins term 3 and
/// acknowledges the retried write once both hold it.
#[test]
fn a_write_rolled_back_before_its_acknowledgement_is_not_lost() {
    use replcheck::level::actor::Shared;
    use replcheck::protocol::node::NodeState;
    use replcheck::protocol::types::OpTime;
    let text = "[[members]]\n[[members]]\n[workload]\nwrites = 1\n\n[faults]\nmax_crashes = 1\n";
    let spec = config::parse(Path::new("ps.toml"), text).unwrap();
    let model = ReplicaSetModel::new(spec.settings.clone());
    let mut state = model.init_states().remove(0);
    let write = Entry {
        optime: OpTime {
            term: Term(1),
            ts: 2,
        },
        h: 0,
        op: Op::Write(WriteId(0)),
    };
    for i in 0..2 {
        let NodeState::Member(mut m) = (*state.actor_states[i]).clone() else {
            unreachable!("members first")
        };
        m.oplog.push(write);
        if i == 1 {
            m.rollback_file.push(write);
        }
        state.actor_states[i] = Shared::new(NodeState::Member(m));
    }
    let NodeState::Client(mut client) = (*state.actor_states[2]).clone() else {
        unreachable!("the client last")
    };
    client.acked.push(write);
    state.actor_states[2] = Shared::new(NodeState::Client(client));
    let durability = ReplicaSetModel::find_property("majority_write_durability").unwrap();
    assert!(
        !durability.is_target(&model, &state),
        "rolled back before it was acknowledged, held by both: not lost"
    );
    state.history.rolled_back_after_ack = 1;
    assert!(durability.is_target(&model, &state));
    assert!(durability
        .explanation(&model, &state)
        .contains("n1 rolled it back after it was acknowledged"));
}
