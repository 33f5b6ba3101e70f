//! Documented MongoDB behaviours, each checked against the model through the library,
//! each citing its source. Seeds are the files in `shared/seeds/` the project started
//! from; PROTOCOL.md gives the rules with their sources.

use replcheck::check::{self, Options, Outcome};
use replcheck::config;
use replcheck::protocol::messages::Timer;
use replcheck::protocol::model::{Action, ReplicaSetModel, State};
use replcheck::protocol::replset::{MemberConfig, Settings};
use replcheck::protocol::types::{MemberId, MemberState, Term, WriteConcern};
use stateright::actor::{ActorModelAction, Id};
use stateright::Model;
use std::collections::{HashSet, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;

fn fingerprint(state: &State) -> u64 {
    let mut h = DefaultHasher::new();
    state.hash(&mut h);
    h.finish()
}

/// Visits every transition reachable from `start` through actions `allowed` accepts,
/// within the model's bounds.
fn for_each_transition(
    model: &ReplicaSetModel,
    start: Vec<State>,
    allowed: impl Fn(&Action) -> bool,
    mut visit: impl FnMut(&State, &Action, &State),
) -> usize {
    let mut seen: HashSet<u64> = start.iter().map(fingerprint).collect();
    let mut queue: VecDeque<State> = start.into();
    while let Some(state) = queue.pop_front() {
        let mut actions = Vec::new();
        model.actions(&state, &mut actions);
        for action in actions.into_iter().filter(|a| allowed(a)) {
            let Some(next) = model.next_state(&state, action.clone()) else {
                continue;
            };
            if !model.within_boundary(&next) {
                continue;
            }
            visit(&state, &action, &next);
            if seen.insert(fingerprint(&next)) {
                queue.push_back(next);
            }
        }
    }
    seen.len()
}

/// The first state (breadth-first from the initial states) that satisfies `goal`.
fn find(model: &ReplicaSetModel, goal: impl Fn(&State) -> bool) -> State {
    find_from(model, model.init_states(), goal)
}

/// The first state (breadth-first from `start`) that satisfies `goal`.
fn find_from(model: &ReplicaSetModel, start: Vec<State>, goal: impl Fn(&State) -> bool) -> State {
    let mut seen = HashSet::new();
    let mut queue: VecDeque<State> = start.into();
    while let Some(state) = queue.pop_front() {
        if goal(&state) {
            return state;
        }
        for (_, next) in model.next_steps(&state) {
            if model.within_boundary(&next) && seen.insert(fingerprint(&next)) {
                queue.push_back(next);
            }
        }
    }
    panic!("no reachable state satisfies the goal");
}

fn state_of(model: &ReplicaSetModel, state: &State, id: u8) -> MemberState {
    model.member(state, MemberId(id)).member_state()
}

/// Small models: one checker thread each, so tests run side by side.
const ONE_THREAD: Options = Options {
    threads: 1,
    symmetry: true,
    max_states: None,
};

/// A w:1 write is acknowledged once the primary has it; if the primary then loses an
/// election to a member without it, the old primary rolls it back when it rejoins.
/// Source: MongoDB manual, "Rollbacks During Replica Set Failover" and "Write Concern"
/// (w:1 writes can be rolled back); PROTOCOL.md §12 row 3; seed 002/004 (rollback to the
/// common point).
#[test]
fn w1_write_is_rolled_back_after_failover() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/psa-w1.toml");
    let spec = config::load(&file).unwrap();
    let result = check::check(&spec, ONE_THREAD);
    assert!(result.complete && result.ok());
    let lost = result
        .properties
        .iter()
        .find(|p| p.property.name == "acknowledged_write_durability")
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
    assert!(primary.member.term > write.term);
    assert!(!primary.oplog().contains_optime(write));
    // ... and the old primary goes on to roll it back (into its rollback file).
    let rolled_back = find_from(model, vec![last.clone()], |s| {
        model
            .members(s)
            .any(|m| m.member.rollback_file.iter().any(|e| e.optime == write))
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
/// majority is counted over the configuration, not over the live members); PROTOCOL.md §3.
#[test]
fn two_member_set_elects_no_primary_while_one_member_is_down() {
    let mut settings = Settings::new(vec![MemberConfig::data_bearing(); 2]);
    settings.max_crashes = 1;
    settings.max_term = Term(3);
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
/// seed 000; `stepDown` on liveness timeout, PROTOCOL.md §3), and in the meantime it
/// acknowledges no w:"majority" write, since no majority can have it.
#[test]
fn primary_that_loses_both_secondaries_steps_down_and_acknowledges_no_majority_write() {
    let mut settings = Settings::new(vec![MemberConfig::data_bearing(); 3]);
    settings.writes = 1;
    settings.write_concern = WriteConcern::Majority;
    settings.max_crashes = 2;
    settings.max_term = Term(1);
    settings.chaining_allowed = false;
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

/// Losing a message is, for every property checked, the same as never delivering it:
/// the network may delay any message forever. The checker explores explicit losses when
/// a model asks for `message_loss`; this pins that they change no verdict on small sets
/// (REPORT.md, "Notes on faithfulness").
#[test]
fn message_loss_changes_no_verdict() {
    let cases = [
        ("[[members]]\n[[members]]\n", 2),
        ("[[members]]\n[[members]]\n[[members]]\narbiter = true\n", 1),
    ];
    for (members, max_term) in cases {
        let base = format!(
            "[settings]\nchaining_allowed = false\n{members}[workload]\nwrites = 1\nw = 1\n[bounds]\nmax_term = {max_term}\n"
        );
        let lossy = format!("{base}[faults]\nmessage_loss = true\n");
        let outcomes = |text: &str| {
            let spec = config::parse(Path::new("loss.toml"), text).unwrap();
            let result = check::check(&spec, ONE_THREAD);
            assert!(result.complete);
            let outcomes: Vec<_> = result.properties.iter().map(|p| p.outcome).collect();
            (outcomes, result.unique_states)
        };
        let (reliable, reliable_states) = outcomes(&base);
        let (lost, lossy_states) = outcomes(&lossy);
        assert_eq!(reliable, lost, "{members}");
        assert!(lossy_states > reliable_states, "losses are explored");
    }
}
