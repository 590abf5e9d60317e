//! Properties of the engine over the shipped rules, by proptest: random walks (random choice
//! positions interleaved with random back and restart) always end at an outcome within
//! `rules.max_depth()` answers; progress stays `number <= at_most <= max_depth`; `back()`
//! after an answer returns exactly the walk before it; `Walk::replay` of a walk's answers
//! reproduces the walk; transcript `choice` indexes are positions among the choices shown.

mod support;

use activation_check::engine::{Position, StepError, Walk};
use activation_check::rules::Rules;
use proptest::prelude::*;
use support::cli::knowledge;

#[derive(Debug, Clone)]
enum Op {
    /// Answer with the choice at this position (taken modulo the number of choices).
    Answer(usize),
    /// Answer with a position that is certainly out of range.
    BadChoice,
    Back,
    Restart,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (0usize..64).prop_map(Op::Answer),
        1 => Just(Op::BadChoice),
        2 => Just(Op::Back),
        1 => Just(Op::Restart),
    ]
}

fn rules() -> &'static Rules {
    &knowledge().rules
}

/// The invariants every walk keeps, whatever led to it.
fn check_invariants(rules: &Rules, walk: &Walk) -> Result<(), TestCaseError> {
    let max = rules.max_depth();
    let p = walk.progress(rules);
    prop_assert!(p.number <= p.at_most, "{p:?}");
    prop_assert!(p.at_most <= max, "{p:?} exceeds max_depth {max}");
    prop_assert!(walk.answered() <= max);
    match walk.position(rules) {
        Position::Asking(..) => prop_assert_eq!(p.number, walk.answered() + 1),
        Position::Done(..) => {
            prop_assert_eq!(p.number, walk.answered());
            prop_assert_eq!(p.at_most, walk.answered());
        }
    }

    // Transcript choices are positions among the choices the question shows.
    let transcript = walk.transcript(rules);
    prop_assert_eq!(transcript.len(), walk.answered());
    for t in &transcript {
        let q = rules.question(rules.find(&t.question).unwrap()).unwrap();
        prop_assert!(t.choice < q.choices.len());
        let c = &q.choices[t.choice];
        prop_assert_eq!(&c.value, &t.value);
        prop_assert_eq!(&c.label, &t.label);
        prop_assert_eq!(&q.fact, &t.fact);
    }

    // Replaying the stored answers reproduces the walk exactly.
    let replayed = Walk::replay(rules, &walk.answers(rules));
    prop_assert_eq!(replayed.as_ref(), Ok(walk));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_walks_end_at_an_outcome_within_max_depth(
        ops in proptest::collection::vec(op(), 0..40),
        finish in proptest::collection::vec(0usize..64, 0..12),
    ) {
        let rules = rules();
        let mut walk = Walk::start(rules);
        check_invariants(rules, &walk)?;
        for op in ops {
            walk = match op {
                Op::Answer(i) => match walk.position(rules) {
                    Position::Asking(_, q) => {
                        let next = walk.answer(rules, i % q.choices.len()).unwrap();
                        // Back after an answer is exactly the walk before it.
                        let back = next.back().expect("an answered walk can go back");
                        prop_assert_eq!(&back, &walk);
                        prop_assert_eq!(back.transcript(rules), walk.transcript(rules));
                        prop_assert_eq!(back.progress(rules), walk.progress(rules));
                        prop_assert_eq!(next.answered(), walk.answered() + 1);
                        next
                    }
                    Position::Done(..) => {
                        prop_assert_eq!(walk.answer(rules, i), Err(StepError::Finished));
                        walk
                    }
                },
                Op::BadChoice => match walk.position(rules) {
                    Position::Asking(_, q) => {
                        let n = q.choices.len();
                        let is_no_such_choice = matches!(
                            walk.answer(rules, n),
                            Err(StepError::NoSuchChoice { choice, .. }) if choice == n
                        );
                        prop_assert!(is_no_such_choice);
                        walk
                    }
                    Position::Done(..) => walk,
                },
                Op::Back => match walk.back() {
                    Some(b) => {
                        prop_assert_eq!(b.answered() + 1, walk.answered());
                        prop_assert!(!b.is_done(rules), "back always lands on a question");
                        b
                    }
                    None => {
                        prop_assert_eq!(walk.answered(), 0);
                        walk
                    }
                },
                Op::Restart => {
                    let r = Walk::restart(rules);
                    prop_assert_eq!(&r, &Walk::start(rules));
                    r
                }
            };
            check_invariants(rules, &walk)?;
        }

        // From wherever the ops left it, keep answering: an outcome comes within max_depth
        // answers in all.
        let mut seeds = finish.into_iter().chain(std::iter::repeat(0));
        let mut remaining = rules.max_depth() + 1;
        while let Position::Asking(_, q) = walk.position(rules) {
            prop_assert!(remaining > 0, "no outcome within max_depth answers");
            remaining -= 1;
            let i = seeds.next().unwrap() % q.choices.len();
            walk = walk.answer(rules, i).unwrap();
            check_invariants(rules, &walk)?;
        }
        prop_assert!(walk.is_done(rules));
        prop_assert!(walk.answered() <= rules.max_depth());
        prop_assert!(walk.outcome(rules).is_some());
    }

    /// Straight walks from the start: every answer sequence ends within max_depth answers,
    /// and at_most never grows as the walk proceeds.
    #[test]
    fn straight_walks_narrow_progress(choices in proptest::collection::vec(0usize..64, 0..8)) {
        let rules = rules();
        let mut walk = Walk::start(rules);
        let mut at_most = walk.progress(rules).at_most;
        prop_assert_eq!(at_most, rules.max_depth());
        let mut choices = choices.into_iter().chain(std::iter::repeat(1));
        while let Position::Asking(_, q) = walk.position(rules) {
            walk = walk.answer(rules, choices.next().unwrap() % q.choices.len()).unwrap();
            let p = walk.progress(rules);
            prop_assert!(p.at_most <= at_most, "at_most grew from {at_most} to {}", p.at_most);
            at_most = p.at_most;
            prop_assert!(walk.answered() <= rules.max_depth());
        }
    }
}

/// The longest path really is max_depth long, so the bound above is tight and not vacuous.
#[test]
fn max_depth_is_reached_by_some_walk() {
    let rules = rules();
    fn longest(rules: &Rules, walk: &Walk) -> usize {
        match walk.position(rules) {
            Position::Done(..) => walk.answered(),
            Position::Asking(_, q) => (0..q.choices.len())
                .map(|i| longest(rules, &walk.answer(rules, i).unwrap()))
                .max()
                .unwrap(),
        }
    }
    assert_eq!(longest(rules, &Walk::start(rules)), rules.max_depth());
    assert_eq!(rules.max_depth(), 6);
}
