//! Never a false "holds", and the same answer every time: limits that stop a run make it
//! inconclusive, complete runs agree whatever the order or the thread count, and each of
//! stateright's defects that replcheck works around (docs/stateright.md, defects 1 to 9) has a
//! test here that fails if it shows through again.

mod common;

use common::replcheck_json;
use replcheck::check::{self, Options, Outcome, Run};
use replcheck::config::{self, ModelSpec};
use replcheck::level::actor::ReplicaSetModel;
use replcheck::level::atomic::{AtomicBounds, AtomicModel};
use replcheck::level::Kind;
use replcheck::level::Level;
use replcheck::level::LevelSpec;
use replcheck::protocol::types::{MemberId, Term};
use replcheck::search::{self, Order, Stop};
use stateright::actor::{ActorModelAction, Id};
use stateright::{Checker, HasDiscoveries, Model};
use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn model_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("models")
        .join(name)
}

fn spec(name: &str) -> ModelSpec {
    config::load(&model_file(name)).unwrap_or_else(|e| panic!("{e}"))
}

/// pv0-majority with one election: small, and the model whose states stateright's hash
/// merges (defect 9).
fn small_pv0() -> ModelSpec {
    let mut spec = spec("pv0-majority.toml");
    spec.settings.pv0.max_elections = 1;
    spec
}

/// durable-vote (PSA, the vote forgotten on restart, terms up to 1) with one crash in all:
/// small, with crashes, restarts and a violation.
fn small_durable_vote() -> ModelSpec {
    let mut spec = spec("bugs/durable-vote.toml");
    spec.settings.crash_budget = Some(1);
    spec
}

/// `spec` with a crashed member down for steps of its own, the reduction that makes a
/// crash and its restart one step switched off (`Settings::downtime_steps`).
fn with_downtime(mut spec: ModelSpec) -> ModelSpec {
    spec.settings.downtime_steps = true;
    spec.name.push_str(" with downtime steps");
    spec
}

/// static-raft with terms and oplogs up to 3 (TLC: 53,881 distinct states).
fn small_static_raft() -> ModelSpec {
    let mut spec = spec("static-raft.toml");
    spec.level = LevelSpec::Atomic(AtomicBounds {
        max_term: Term(3),
        max_oplog_len: 3,
    });
    spec
}

/// Every property of a run cut short that the run did not find is inconclusive: nothing
/// holds, nothing is unreachable.
fn assert_claims_nothing_unfound(run: &Run) {
    assert!(!run.complete());
    for (property, outcome, _) in run.outcomes() {
        let found = match property.kind {
            Kind::Always => outcome == Outcome::Violated,
            Kind::Sometimes => outcome == Outcome::Reachable,
        };
        assert!(
            found || outcome == Outcome::Inconclusive,
            "{}: {outcome} in a run cut short",
            property.name
        );
    }
}

/// Every state within the model's bounds, by an independent breadth-first search over
/// stateright's `Model` interface, with the fewest steps each is reached in.
fn distances<M: Model>(model: &M) -> HashMap<M::State, usize>
where
    M::State: std::hash::Hash + Eq + Clone,
{
    let mut distance = HashMap::new();
    let mut queue = VecDeque::new();
    for s in model.init_states() {
        if model.within_boundary(&s) && !distance.contains_key(&s) {
            distance.insert(s.clone(), 0);
            queue.push_back(s);
        }
    }
    while let Some(s) = queue.pop_front() {
        let d = distance[&s];
        for (_, next) in model.next_steps(&s) {
            if model.within_boundary(&next) && !distance.contains_key(&next) {
                distance.insert(next.clone(), d + 1);
                queue.push_back(next);
            }
        }
    }
    distance
}

/// stateright's own checkers, for cross-checks: they must never stop on discoveries.
fn never_finish() -> HasDiscoveries {
    HasDiscoveries::AllOf(["(no property has this name)"].into_iter().collect())
}

// ---- §1 Limits that say "inconclusive" ----

/// Defect 2: stateright ignores its timeout on one thread. replcheck's own limit stops a
/// one-thread run of a model that takes half a minute within a second or two, and the
/// trace search after it too.
#[test]
fn timeout_stops_a_one_thread_run_promptly_and_inconclusively() {
    let spec = spec("pss-w1.toml");
    let started = Instant::now();
    let run = check::check(
        &spec,
        Options {
            timeout: Some(Duration::from_millis(500)),
            ..Options::DEFAULT
        },
    );
    let took = started.elapsed();
    assert!(took < Duration::from_millis(2500), "took {took:?}");
    assert_eq!(run.stop(), Some(Stop::Time(Duration::from_millis(500))));
    assert_claims_nothing_unfound(&run);
}

#[test]
fn timeout_on_the_command_line_exits_3_and_says_which_limit() {
    let (code, report) = replcheck_json(&[
        "check",
        "--threads",
        "1",
        "--timeout",
        "0.3",
        "models/pss-w1.toml",
    ]);
    assert_eq!(code, 3);
    let m = &report["models"][0];
    assert_eq!(m["complete"], false);
    assert_eq!(m["stopped_by"]["limit"], "timeout");
    assert_eq!(m["stopped_by"]["value"], 0.3);
    let message = m["stopped_by"]["message"].as_str().unwrap();
    assert!(message.contains("--timeout 0.3"), "{message}");
    assert!(message.contains("states generated"), "{message}");
}

/// Defect 4: stateright's depth limit checks only paths two steps shorter than it says.
/// replcheck's checks every state within D steps, each reached in its fewest steps, and
/// no further: the count equals an independent breadth-first search's, for every D.
#[test]
fn max_depth_checks_exactly_the_states_within_it() {
    let spec = small_static_raft();
    let check::Run::Atomic(full) = check::check(
        &spec,
        Options {
            symmetry: false,
            ..Options::DEFAULT
        },
    ) else {
        unreachable!("static-raft is atomic")
    };
    let all = distances(&full.model);
    assert_eq!(all.len(), full.unique_states);
    assert_eq!(all.len(), 53_881);
    let diameter = *all.values().max().unwrap();
    for depth in [0, 1, 4, 9, diameter - 1, diameter] {
        for threads in [1, 2] {
            let run = check::check(
                &spec,
                Options {
                    symmetry: false,
                    max_depth: Some(depth),
                    threads,
                    ..Options::DEFAULT
                },
            );
            let within = all.values().filter(|&&d| d <= depth).count();
            assert_eq!(run.unique_states(), within, "depth {depth}");
            if depth < diameter {
                assert_eq!(run.stop(), Some(Stop::Depth(depth)));
                assert_claims_nothing_unfound(&run);
            } else {
                // A limit the run never needed leaves it complete.
                assert!(run.complete(), "depth {depth} is the diameter");
            }
        }
    }
}

/// A state limit the run never reached leaves it complete; one it reached with states
/// left to explore makes it inconclusive.
#[test]
fn max_states_stops_only_a_run_it_cuts_short() {
    let spec = spec("two-members.toml");
    let full = check::check(&spec, Options::DEFAULT);
    assert!(full.complete());
    let states = full.states();
    let generous = check::check(
        &spec,
        Options {
            max_states: Some(states + 1),
            ..Options::DEFAULT
        },
    );
    assert!(generous.complete());
    let cut = check::check(
        &spec,
        Options {
            max_states: Some(states / 2),
            ..Options::DEFAULT
        },
    );
    assert_eq!(cut.stop(), Some(Stop::States(states / 2)));
    assert_claims_nothing_unfound(&cut);
}

/// A memory ceiling below what the process already uses stops the run at once, as
/// inconclusive, with exit code 3 on the command line.
#[test]
fn memory_limit_stops_the_run_before_the_system_does() {
    let run = check::check(
        &spec("pss-w1.toml"),
        Options {
            max_memory: Some(1 << 20),
            ..Options::DEFAULT
        },
    );
    assert_eq!(run.stop(), Some(Stop::Memory(1 << 20)));
    assert_claims_nothing_unfound(&run);
    let (code, report) = replcheck_json(&["check", "--max-memory", "0.001", "models/pss-w1.toml"]);
    assert_eq!(code, 3);
    assert_eq!(report["models"][0]["stopped_by"]["limit"], "max_memory");
}

// ---- §2 Same answer every time ----

/// The outcomes and counts of one run.
fn signature(run: &Run) -> (Vec<Outcome>, usize, usize) {
    assert!(run.complete());
    (
        run.outcomes().into_iter().map(|(_, o, _)| o).collect(),
        run.unique_states(),
        run.states(),
    )
}

/// Defect 6: stateright's counts vary from run to run with several threads and with
/// symmetry. replcheck's do not: depth-first, breadth-first and the probe (breadth-first
/// then depth-first, here switching after a level of 100 states), one thread and two,
/// give the same verdicts, unique states and states generated, with and without
/// symmetry, and for protocol version 0 too, whose representative is not canonical.
#[test]
fn complete_runs_agree_across_orders_and_thread_counts() {
    // Each model with its unique states with and without symmetry, pinned: a change of
    // the model that moves them must say so. With downtime steps (no reduction but
    // symmetry) the counts are those of stateright's own `ActorModel`.
    let models = [
        (spec("bugs/unelectable-stands.toml"), 4_034, 8_048),
        (spec("two-members.toml"), 10_136, 20_269),
        (with_downtime(spec("two-members.toml")), 19_721, 39_439),
        (small_durable_vote(), 3_305, 6_605),
        (with_downtime(small_durable_vote()), 4_061, 8_115),
        (small_pv0(), 2_490, 14_324),
        (small_static_raft(), 9_244, 53_881),
    ];
    for (spec, with_symmetry, without) in &models {
        for (symmetry, pinned) in [(true, with_symmetry), (false, without)] {
            let run = |threads: usize, order: Order| {
                signature(&check::check(
                    spec,
                    Options {
                        threads,
                        symmetry,
                        order,
                        ..Options::DEFAULT
                    },
                ))
            };
            let reference = run(1, Order::DepthFirst);
            assert_eq!(reference.1, *pinned, "{} symmetry {symmetry}", spec.name);
            let probe = Order::Probe {
                level_cap: 100,
                time: Duration::from_secs(60),
            };
            let brief = Order::Probe {
                level_cap: usize::MAX,
                time: Duration::ZERO,
            };
            for threads in [1, 2] {
                for order in [
                    Order::DepthFirst,
                    Order::BreadthFirst,
                    probe,
                    brief,
                    Order::PROBE,
                ] {
                    assert_eq!(
                        run(threads, order),
                        reference,
                        "{} symmetry {symmetry}, {threads} threads, {order:?}",
                        spec.name
                    );
                }
            }
        }
    }
}

/// replcheck's search, without symmetry, counts exactly the distinct states an
/// independent breadth-first search finds, which tells states apart by equality, not by
/// fingerprint.
#[test]
fn the_search_counts_every_distinct_state() {
    for spec in [spec("bugs/unelectable-stands.toml"), small_pv0()] {
        let ours = check::check(
            &spec,
            Options {
                symmetry: false,
                threads: 2,
                ..Options::DEFAULT
            },
        );
        let model = ReplicaSetModel::new(spec.settings.clone());
        assert_eq!(
            ours.unique_states(),
            distances(&model).len(),
            "{}",
            spec.name
        );
    }
}

/// Defect 9 (found by replcheck, docs/stateright.md defect 9): stateright's `Hash` for
/// `ActorModelState` writes each actor's timers without their count, so states whose
/// timers differ only in which member holds them share a fingerprint. The actor level's
/// own state keeps each actor's timers as a bit set in its place: two such states hash
/// apart, and stateright's own checker, run on the model, finds every state, as
/// replcheck's search does (under protocol version 0 it used to miss some).
#[test]
fn defect_9_states_stateright_hashes_alike_are_told_apart() {
    use replcheck::level::actor::Timers;
    use replcheck::protocol::messages::Timer;
    let spec = small_pv0();
    let model = ReplicaSetModel::new(spec.settings.clone());
    let exact = distances(&model).len();
    let theirs = model
        .clone()
        .checker()
        .finish_when(never_finish())
        .spawn_bfs()
        .join()
        .unique_state_count();
    assert_eq!(theirs, exact, "stateright's checker on the model");
    let ours = check::check(
        &spec,
        Options {
            symmetry: false,
            ..Options::DEFAULT
        },
    );
    assert_eq!(ours.unique_states(), exact);
    let held_by = |member: usize| {
        let mut state = model.init_states().remove(0);
        for (i, timers) in state.timers_set.iter_mut().enumerate() {
            *timers = Timers::default();
            if i == member {
                timers.set(Timer::Election);
            }
        }
        <ReplicaSetModel as Level>::fingerprint(&state)
    };
    assert_ne!(held_by(0), held_by(1));
}

// ---- §3 Hash collisions ----

#[test]
fn every_run_reports_its_collision_probability() {
    assert_eq!(search::collision_probability(0), 0.0);
    assert_eq!(search::collision_probability(1), 0.0);
    // 2^32 states: about 2^63 pairs, each colliding with probability 2^-64.
    let p = search::collision_probability(1 << 32);
    assert!((p - 0.5).abs() < 1e-6, "{p}");
    assert_eq!(search::collision_probability(usize::MAX), 1.0);
    let (code, report) = replcheck_json(&["check", "models/two-members.toml"]);
    assert_eq!(code, 0);
    let m = &report["models"][0];
    let n = m["unique_states"].as_f64().unwrap();
    let p = m["collision_probability"].as_f64().unwrap();
    assert!(p > 0.0 && (p - n * (n - 1.0) / 2f64.powi(65)).abs() <= p * 1e-9);
}

// ---- §5 stateright's defects, pinned ----

/// Defect 1: stateright's breadth-first checker reports whichever violation it met last.
/// replcheck's counterexample is as short as the nearest violating state, by an
/// independent breadth-first search.
#[test]
fn defect_1_counterexamples_are_the_shortest() {
    let spec = small_durable_vote();
    let run = check::check(&spec, Options::DEFAULT);
    let check::Run::Actor(r) = &run else {
        unreachable!("durable-vote is at the actor level")
    };
    let distance = distances(&r.model);
    for p in &r.properties {
        let Some(trace) = &p.trace else { continue };
        let nearest = distance
            .iter()
            .filter(|(s, _)| p.property.is_target(&r.model, s))
            .map(|(_, &d)| d)
            .min()
            .expect("a violating state is reachable");
        assert_eq!(trace.actions.len(), nearest, "{}", p.property.info.name);
    }
    assert!(r.properties.iter().any(|p| p.trace.is_some()));
}

/// Defect 3: stateright honours symmetry only in depth-first search and never rewrites
/// timers. replcheck's search reduces in both orders, and the reduced count is exactly
/// the number of symmetry classes among all reachable states: no class is merged with
/// another (which a renaming that missed a field, timers included, would do) and none is
/// split.
#[test]
fn defect_3_symmetry_counts_exactly_the_classes_in_either_order() {
    for spec in [
        spec("two-members.toml"),
        spec("bugs/unelectable-stands.toml"),
        small_pv0(),
    ] {
        let name = &spec.name;
        let model = ReplicaSetModel::new(spec.settings.clone());
        let classes: HashSet<_> = distances(&model)
            .into_keys()
            .map(|s| <ReplicaSetModel as Level>::representative(&s))
            .collect();
        for order in [
            Order::DepthFirst,
            Order::BreadthFirst,
            Order::Probe {
                level_cap: 100,
                time: Duration::from_secs(60),
            },
        ] {
            let run = check::check(
                &spec,
                Options {
                    order,
                    ..Options::DEFAULT
                },
            );
            assert_eq!(run.unique_states(), classes.len(), "{name}");
        }
    }
    // The atomic level's classes likewise (its representative is exact).
    let spec = small_static_raft();
    let model = match &check::check(&spec, Options::DEFAULT) {
        check::Run::Atomic(r) => r.model.clone(),
        check::Run::Actor(_) => unreachable!(),
    };
    let classes: HashSet<_> = distances(&model)
        .into_keys()
        .map(|s| <AtomicModel as Level>::representative(&s))
        .collect();
    assert_eq!(
        check::check(&spec, Options::DEFAULT).unique_states(),
        classes.len()
    );
}

/// Defect 5: stateright's simulation can report a path that replays to another state.
/// replcheck reports no path it has not replayed: every trace of every bug model is
/// rebuilt step by step from the initial state, each action offered where it is taken,
/// and its last state violates the property.
#[test]
fn defect_5_every_trace_replays_to_its_violation() {
    for name in ["durable-vote", "arbiter-stands", "unelectable-stands"] {
        let spec = spec(&format!("bugs/{name}.toml"));
        let check::Run::Actor(r) = check::check(&spec, Options::DEFAULT) else {
            unreachable!()
        };
        for p in &r.properties {
            let Some(trace) = &p.trace else { continue };
            let mut state = r.model.init_states().remove(0);
            assert!(trace.states[0] == state, "{name}: initial state");
            for (action, recorded) in trace.actions.iter().zip(&trace.states[1..]) {
                let mut offered = Vec::new();
                r.model.actions(&state, &mut offered);
                assert!(offered.contains(action), "{name}: {action:?} not offered");
                state = r.model.next_state(&state, action.clone()).unwrap();
                assert!(state == *recorded, "{name}: replay differs at {action:?}");
            }
            assert!(p.property.is_target(&r.model, &state), "{name}");
        }
    }
}

/// Defect 7: stateright's Raft example keeps no storage, so a restarted node votes twice.
/// replcheck's members save their term and vote: a member that voted, crashed and
/// restarted still holds its vote.
#[test]
fn defect_7_a_restarted_member_keeps_its_vote() {
    // With the crash and the restart as one step (the default) and as two.
    for spec in [
        spec("two-members.toml"),
        with_downtime(spec("two-members.toml")),
    ] {
        let model = ReplicaSetModel::new(spec.settings.clone());
        let voted = distances(&model)
            .into_keys()
            .find(|s| {
                let m = model.member(s, MemberId(0)).member;
                m.last_vote.is_some() && !s.crashed[0]
            })
            .expect("n0 votes in some state");
        let before = model.member(&voted, MemberId(0)).member.last_vote;
        let mut restarted = model
            .next_state(&voted, ActorModelAction::Crash(Id::from(0)))
            .expect("n0 can crash");
        assert_eq!(restarted.crashed[0], spec.settings.downtime_steps);
        if spec.settings.downtime_steps {
            restarted = model
                .next_state(&restarted, ActorModelAction::Recover(Id::from(0)))
                .expect("n0 can restart");
        }
        let after = model.member(&restarted, MemberId(0)).member.last_vote;
        assert!(before.is_some());
        assert_eq!(after, before);
    }
}

/// Defect 8: stateright says nothing of a run it stopped early, and its examples exit 0
/// on a violation. replcheck exits 1 on a missed expectation, 3 on a run cut short, and
/// marks the run incomplete.
#[test]
fn defect_8_runs_cut_short_and_violations_are_told_apart() {
    let (code, report) = replcheck_json(&["check", "--max-states", "100", "models/pss-w1.toml"]);
    assert_eq!(code, 3);
    assert_eq!(report["models"][0]["complete"], false);
    assert_eq!(report["models"][0]["stopped_by"]["limit"], "max_states");
    let (code, report) = replcheck_json(&["check", "models/two-members.toml"]);
    assert_eq!(code, 0);
    assert_eq!(report["models"][0]["complete"], true);
    assert!(report["models"][0]["stopped_by"].is_null());
}

/// The probe (breadth-first while levels are small) keeps a parent link per state, and a
/// property it finds violated gets its trace from those links, without a second search:
/// as short as the trace the separate shortest-trace search gives after a depth-first
/// run, one that replays to a violation, and the same trace on one thread and on two.
#[test]
fn the_probe_gives_shortest_traces_of_its_own() {
    for spec in [
        spec("bugs/unelectable-stands.toml"),
        spec("bugs/arbiter-stands.toml"),
        small_durable_vote(),
    ] {
        let traces = |order: Order, threads: usize| {
            let run = check::check(
                &spec,
                Options {
                    order,
                    threads,
                    ..Options::DEFAULT
                },
            );
            let check::Run::Actor(r) = run else {
                unreachable!("actor-level models")
            };
            r.properties
                .iter()
                .filter_map(|p| {
                    let trace = p.trace.as_ref()?;
                    assert!(trace.shortest, "{} {}", spec.name, p.property.info.name);
                    assert!(p.found_after.is_some());
                    assert!(
                        p.property
                            .is_target(&r.model, trace.states.last().expect("a last state")),
                        "{}: the trace of {} ends where it fails",
                        spec.name,
                        p.property.info.name
                    );
                    Some((p.property.info.name.to_string(), trace.actions.clone()))
                })
                .collect::<Vec<_>>()
        };
        let probed = traces(Order::PROBE, 1);
        assert!(!probed.is_empty(), "{}", spec.name);
        for _ in 0..3 {
            assert_eq!(traces(Order::PROBE, 2), probed, "{}", spec.name);
        }
        let lengths = |traces: Vec<(String, Vec<_>)>| {
            traces
                .into_iter()
                .map(|(name, actions)| (name, actions.len()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            lengths(traces(Order::DepthFirst, 1)),
            lengths(probed),
            "{}",
            spec.name
        );
    }
}
