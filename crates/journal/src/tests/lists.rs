//! The list caches against the truth: after any sequence of writes, syncs and loads
//! on two replicas, every cached list equals the list read afresh.

use chrono::NaiveDate;
use proptest::prelude::*;

use super::{NOW, alice, bob};
use crate::{CheckInInput, DiaryLists, PrivateDiary, PromiseOutcome, SharedJournal, SharedLists};

#[derive(Debug, Clone)]
enum Step {
    Propose {
        on_b: bool,
        text: u8,
    },
    Agree {
        on_b: bool,
        pick: usize,
    },
    Retire {
        on_b: bool,
        pick: usize,
    },
    CheckIn {
        on_b: bool,
        week: u8,
        mood: u8,
    },
    Promise {
        on_b: bool,
    },
    Outcome {
        on_b: bool,
        pick: usize,
    },
    Stage {
        on_b: bool,
        stage: u8,
        done: bool,
    },
    /// Propose an exercise.
    Exercise {
        on_b: bool,
    },
    /// Answer, move, finish or reflect on an exercise, whichever its state allows.
    ExerciseMove {
        on_b: bool,
        pick: usize,
        what: u8,
    },
    /// A's changes reach B, or B's reach A (as a sync or a log record would).
    Merge {
        into_b: bool,
    },
    /// A whole save loaded into the other replica, as a catch-up arrives.
    LoadSave {
        into_b: bool,
    },
}

fn step() -> impl Strategy<Value = Step> {
    let on_b = any::<bool>();
    prop_oneof![
        (on_b, any::<u8>()).prop_map(|(on_b, text)| Step::Propose { on_b, text }),
        (on_b, any::<usize>()).prop_map(|(on_b, pick)| Step::Agree { on_b, pick }),
        (on_b, any::<usize>()).prop_map(|(on_b, pick)| Step::Retire { on_b, pick }),
        (on_b, 1u8..4, 1u8..6).prop_map(|(on_b, week, mood)| Step::CheckIn { on_b, week, mood }),
        on_b.prop_map(|on_b| Step::Promise { on_b }),
        (on_b, any::<usize>()).prop_map(|(on_b, pick)| Step::Outcome { on_b, pick }),
        (on_b, 1u8..8, any::<bool>()).prop_map(|(on_b, stage, done)| Step::Stage {
            on_b,
            stage,
            done
        }),
        on_b.prop_map(|on_b| Step::Exercise { on_b }),
        (on_b, any::<usize>(), 0u8..5).prop_map(|(on_b, pick, what)| Step::ExerciseMove {
            on_b,
            pick,
            what
        }),
        any::<bool>().prop_map(|into_b| Step::Merge { into_b }),
        any::<bool>().prop_map(|into_b| Step::LoadSave { into_b }),
    ]
}

fn assert_current(j: &mut SharedJournal, l: &mut SharedLists) {
    assert_eq!(l.boundaries(j).to_vec(), j.boundaries());
    assert_eq!(l.checkins(j).to_vec(), j.checkins());
    assert_eq!(l.letters(j).to_vec(), j.letters());
    assert_eq!(l.promises(j).to_vec(), j.promises());
    assert_eq!(l.shared_entries(j).to_vec(), j.shared_entries());
    assert_eq!(l.stages(j).to_vec(), j.stages());
    assert_eq!(l.exercises(j).to_vec(), j.exercises());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn cached_shared_lists_always_equal_a_fresh_read(steps in proptest::collection::vec(step(), 1..40)) {
        let mut a = SharedJournal::genesis();
        let mut b = SharedJournal::genesis();
        let (mut la, mut lb) = (SharedLists::default(), SharedLists::default());
        let due = NaiveDate::from_ymd_opt(2026, 12, 24).unwrap();
        for (n, s) in steps.into_iter().enumerate() {
            let now = NOW + n as i64;
            let pick = |j: &SharedJournal, i: usize| {
                let list = j.boundaries();
                (!list.is_empty()).then(|| list[i % list.len()].id.clone())
            };
            match s {
                Step::Propose { on_b, text } => {
                    let (j, me) = if on_b { (&mut b, bob()) } else { (&mut a, alice()) };
                    j.propose_boundary(&me, &format!("boundary {text}"), None, now).unwrap();
                }
                Step::Agree { on_b, pick: i } => {
                    let (j, me) = if on_b { (&mut b, bob()) } else { (&mut a, alice()) };
                    if let Some(id) = pick(j, i) {
                        let _ = j.agree_boundary(&me, &id, now);
                    }
                }
                Step::Retire { on_b, pick: i } => {
                    let (j, me) = if on_b { (&mut b, bob()) } else { (&mut a, alice()) };
                    if let Some(id) = pick(j, i) {
                        let _ = j.retire_boundary(&me, &id, now);
                    }
                }
                Step::CheckIn { on_b, week, mood } => {
                    let (j, me) = if on_b { (&mut b, bob()) } else { (&mut a, alice()) };
                    let input = CheckInInput {
                        week: format!("2026-W4{week}"),
                        mood,
                        trust: 5,
                        closeness: 5,
                        ..CheckInInput::default()
                    };
                    j.upsert_checkin(&me, &input, now).unwrap();
                }
                Step::Promise { on_b } => {
                    let (j, me) = if on_b { (&mut b, bob()) } else { (&mut a, alice()) };
                    j.add_promise(&me, "call when late", due, now).unwrap();
                }
                Step::Outcome { on_b, pick: i } => {
                    let (j, me) = if on_b { (&mut b, bob()) } else { (&mut a, alice()) };
                    let list = j.promises();
                    if !list.is_empty() {
                        let id = list[i % list.len()].id.clone();
                        let _ = j.set_promise_outcome(&me, &id, PromiseOutcome::Kept, now);
                    }
                }
                Step::Stage { on_b, stage, done } => {
                    let (j, me) = if on_b { (&mut b, bob()) } else { (&mut a, alice()) };
                    j.set_stage(&me, stage, done, Some("a note"), now).unwrap();
                }
                Step::Exercise { on_b } => {
                    let (j, me) = if on_b { (&mut b, bob()) } else { (&mut a, alice()) };
                    j.propose_exercise(&me, "listen-ten", due, due, now).unwrap();
                }
                Step::ExerciseMove { on_b, pick: i, what } => {
                    let (j, me) = if on_b { (&mut b, bob()) } else { (&mut a, alice()) };
                    let list = j.exercises();
                    if !list.is_empty() {
                        let id = list[i % list.len()].id.clone();
                        let later = due + chrono::Days::new(u64::from(what) + 1);
                        let _ = match what {
                            0 => j.accept_exercise_date(&me, &id, now),
                            1 => j.suggest_exercise_date(&me, &id, later, due, now).map(drop),
                            2 => j.mark_exercise_done(&me, &id, now),
                            3 => j.share_exercise_reflection(&me, &id, "it helped", now).map(drop),
                            _ => j.cancel_exercise(&me, &id, now),
                        };
                    }
                }
                Step::Merge { into_b } => {
                    if into_b { b.merge(&mut a).unwrap() } else { a.merge(&mut b).unwrap() }
                }
                Step::LoadSave { into_b } => {
                    if into_b {
                        let bytes = a.save();
                        b.load_incremental(&bytes).unwrap();
                    } else {
                        let bytes = b.save();
                        a.load_incremental(&bytes).unwrap();
                    }
                }
            }
            assert_current(&mut a, &mut la);
            assert_current(&mut b, &mut lb);
        }
    }
}

#[test]
fn the_diary_cache_follows_edits_and_deletions() {
    let mut d = PrivateDiary::genesis();
    let mut l = DiaryLists::default();
    let first = d.add_entry(&alice(), "first", None, None, NOW).unwrap();
    assert_eq!(l.entries(&mut d).len(), 1);
    let second = d
        .add_entry(&alice(), "second", Some(3), None, NOW + 1)
        .unwrap();
    d.update_entry(&first, "first, edited", Some(2), Some(4), NOW + 2)
        .unwrap();
    let list = l.entries(&mut d);
    assert_eq!(list.to_vec(), d.entries());
    assert_eq!(list[0].text, "first, edited");
    d.remove_entry(&second, NOW + 3).unwrap();
    let draft = d
        .add_draft(&alice(), crate::LetterKind::Apology, "t", "body", NOW + 4)
        .unwrap();
    assert_eq!(l.entries(&mut d).to_vec(), d.entries());
    assert_eq!(l.drafts(&mut d)[0].id, draft);
    assert_eq!(l.entries_len(&mut d), 1);
    // The unchanged list is the very same list: nothing was copied.
    let before = l.entries(&mut d);
    d.update_draft(&draft, crate::LetterKind::Apology, "t2", "body", NOW + 5)
        .unwrap();
    assert!(l.entries(&mut d).same(&before));
    assert_eq!(l.drafts(&mut d)[0].title, "t2");
}

#[test]
fn a_cache_moved_to_another_document_starts_over() {
    let mut a = SharedJournal::genesis();
    let mut b = SharedJournal::genesis();
    let mut l = SharedLists::default();
    a.propose_boundary(&alice(), "one", None, NOW).unwrap();
    assert_eq!(l.boundaries(&mut a).len(), 1);
    assert_eq!(l.boundaries(&mut b).len(), 0);
    b.propose_boundary(&bob(), "two", None, NOW).unwrap();
    assert_eq!(l.boundaries(&mut a).to_vec(), a.boundaries());
}

#[test]
fn a_change_rereads_only_what_it_touched() {
    let mut a = SharedJournal::genesis();
    let mut b = SharedJournal::genesis();
    let mut l = SharedLists::default();
    let kept = a.propose_boundary(&alice(), "one", None, NOW).unwrap();
    let promises = l.promises(&mut a);
    let boundaries = l.boundaries(&mut a);
    b.merge(&mut a).unwrap();
    b.propose_boundary(&bob(), "two", None, NOW + 1).unwrap();
    a.merge(&mut b).unwrap();
    assert!(l.promises(&mut a).same(&promises));
    let now = l.boundaries(&mut a);
    assert!(!now.same(&boundaries));
    assert_eq!(now.len(), 2);
    assert_eq!(now[0].id, kept);
    assert_eq!(now.to_vec(), a.boundaries());
}
