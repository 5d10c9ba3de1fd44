use automerge::ReadDoc;
use automerge::transaction::Transactable;

use super::documents::date;
use super::{NOW, alice, bob};
use crate::{ExerciseStatus, JournalError, PrivateDiary, SharedJournal, SharedLists};

fn today() -> chrono::NaiveDate {
    date("2026-11-26")
}

fn refused(r: crate::Result<impl std::fmt::Debug>, why: &str) {
    match r {
        Err(JournalError::NotNow { reason, .. }) => {
            assert!(reason.contains(why), "{reason:?} does not say {why:?}")
        }
        other => panic!("expected a refusal saying {why:?}, got {other:?}"),
    }
}

#[test]
fn propose_counter_accept_do_and_reflect() {
    let mut j = SharedJournal::genesis();
    let id = j
        .propose_exercise(&alice(), "listen-ten", date("2026-12-01"), today(), NOW)
        .unwrap();
    let e = j.get_exercise(&id).unwrap();
    assert_eq!(e.status, ExerciseStatus::Proposed);
    assert_eq!(
        (e.author.clone(), e.exercise.as_str()),
        (alice(), "listen-ten")
    );
    assert_eq!(e.date, None);
    let waiting = e.waiting.clone().unwrap();
    assert_eq!((waiting.by, waiting.date), (alice(), date("2026-12-01")));
    assert_eq!((e.created, e.updated), (NOW, NOW));
    assert!(e.done.is_empty() && e.reflections.is_empty());

    // The proposer does not answer their own date; nothing is done before a date
    // is agreed, and a reflection comes after doing it.
    refused(
        j.accept_exercise_date(&alice(), &id, NOW + 1),
        "you suggested",
    );
    refused(
        j.mark_exercise_done(&bob(), &id, NOW + 1),
        "not agreed on a date",
    );
    refused(
        j.share_exercise_reflection(&bob(), &id, "x", NOW + 1),
        "mark it done first",
    );

    // Bea counters; now Ari answers, and Bea does not.
    j.suggest_exercise_date(&bob(), &id, date("2026-12-03"), today(), NOW + 2)
        .unwrap();
    let e = j.get_exercise(&id).unwrap();
    assert_eq!(e.status, ExerciseStatus::Proposed);
    assert_eq!(e.waiting.as_ref().map(|w| w.date), Some(date("2026-12-03")));
    assert_eq!(e.proposals.len(), 2);
    refused(
        j.accept_exercise_date(&bob(), &id, NOW + 3),
        "you suggested",
    );
    // The same date again changes nothing.
    assert!(matches!(
        j.suggest_exercise_date(&alice(), &id, date("2026-12-03"), today(), NOW + 3),
        Err(JournalError::Unchanged { .. })
    ));
    // Ari counters again, Bea accepts that.
    j.suggest_exercise_date(&alice(), &id, date("2026-12-04"), today(), NOW + 4)
        .unwrap();
    j.accept_exercise_date(&bob(), &id, NOW + 5).unwrap();
    let e = j.get_exercise(&id).unwrap();
    assert_eq!(e.status, ExerciseStatus::Planned);
    assert_eq!(e.date, Some(date("2026-12-04")));
    assert_eq!(e.waiting, None);
    let agreed: Vec<_> = e.proposals.iter().map(|p| (p.date, p.agreed)).collect();
    assert_eq!(
        agreed,
        [
            (date("2026-12-01"), None),
            (date("2026-12-03"), None),
            (date("2026-12-04"), Some(NOW + 5)),
        ]
    );
    refused(
        j.accept_exercise_date(&alice(), &id, NOW + 6),
        "no date is waiting",
    );

    // Both mark it done, once each.
    j.mark_exercise_done(&alice(), &id, NOW + 7).unwrap();
    refused(
        j.mark_exercise_done(&alice(), &id, NOW + 8),
        "already marked it done",
    );
    assert_eq!(j.get_exercise(&id).unwrap().status, ExerciseStatus::Planned);
    // Once someone did it, its date no longer moves and it is not called off.
    refused(
        j.suggest_exercise_date(&bob(), &id, date("2026-12-10"), today(), NOW + 8),
        "already marked done",
    );
    refused(
        j.cancel_exercise(&bob(), &id, NOW + 8),
        "already marked done",
    );
    j.mark_exercise_done(&bob(), &id, NOW + 9).unwrap();
    let e = j.get_exercise(&id).unwrap();
    assert_eq!(e.status, ExerciseStatus::Done);
    assert_eq!(e.done, vec![(alice(), NOW + 7), (bob(), NOW + 9)]);

    // Shared reflections, one or more each, in the shared journal.
    assert!(matches!(
        j.share_exercise_reflection(&bob(), &id, "  ", NOW + 10),
        Err(JournalError::EmptyText { .. })
    ));
    j.share_exercise_reflection(&bob(), &id, "I felt heard", NOW + 10)
        .unwrap();
    j.share_exercise_reflection(&alice(), &id, "Harder than I thought", NOW + 11)
        .unwrap();
    let e = j.get_exercise(&id).unwrap();
    let said: Vec<_> = e
        .reflections
        .iter()
        .map(|r| {
            (
                r.author.clone(),
                r.text.as_str(),
                r.private,
                r.exercise.as_str(),
            )
        })
        .collect();
    assert_eq!(
        said,
        [
            (bob(), "I felt heard", false, id.as_str()),
            (alice(), "Harder than I thought", false, id.as_str()),
        ]
    );
    assert_eq!(j.exercises().len(), 1);
}

#[test]
fn a_private_reflection_lives_in_the_diary_only() {
    let mut j = SharedJournal::genesis();
    let mut d = PrivateDiary::genesis();
    let id = j
        .propose_exercise(&alice(), "listen-ten", today(), today(), NOW)
        .unwrap();
    let before = j.save();
    let r = d
        .add_reflection(&alice(), &id, "PRIVATE-CANARY what I did not say", NOW + 1)
        .unwrap();
    let kept = d.get_reflection(&r).unwrap();
    assert!(kept.private);
    assert_eq!(
        (kept.exercise.as_str(), kept.text.as_str()),
        (id.as_str(), "PRIVATE-CANARY what I did not say")
    );
    assert_eq!(d.reflections(), vec![kept]);
    assert_eq!(d.resolve(&r[..13]).unwrap().0, crate::EntryKind::Reflection);
    // The shared journal did not change.
    assert_eq!(j.save(), before);
    assert!(matches!(
        d.add_reflection(&alice(), &id, "", NOW),
        Err(JournalError::EmptyText { .. })
    ));
    let mut l = crate::DiaryLists::default();
    assert_eq!(l.reflections(&mut d).to_vec(), d.reflections());
    d.add_reflection(&alice(), &id, "another", NOW + 2).unwrap();
    assert_eq!(l.reflections(&mut d).len(), 2);
}

#[test]
fn input_is_checked() {
    let mut j = SharedJournal::genesis();
    for bad in ["", "Listen", "listen ten", "ünicode", &"a".repeat(65)] {
        assert!(
            matches!(
                j.propose_exercise(&alice(), bad, today(), today(), NOW),
                Err(JournalError::BadExercise(_))
            ),
            "{bad:?}"
        );
    }
    assert!(matches!(
        j.propose_exercise(&alice(), "listen-ten", date("2026-11-25"), today(), NOW),
        Err(JournalError::PastDate(d)) if d == "2026-11-25"
    ));
    let id = j
        .propose_exercise(&alice(), "listen-ten", today(), today(), NOW)
        .unwrap();
    assert!(matches!(
        j.suggest_exercise_date(&bob(), &id, date("2026-11-01"), today(), NOW),
        Err(JournalError::PastDate(_))
    ));
    let boundary = j.propose_boundary(&alice(), "b", None, NOW).unwrap();
    assert!(matches!(
        j.accept_exercise_date(&bob(), &boundary, NOW),
        Err(JournalError::WrongKind { .. })
    ));
    assert_eq!(j.resolve(&id[..24]).unwrap().0, crate::EntryKind::Exercise);
}

#[test]
fn a_planned_date_stands_until_a_new_one_is_accepted() {
    let mut j = SharedJournal::genesis();
    let id = j
        .propose_exercise(&bob(), "appreciations", date("2026-12-01"), today(), NOW)
        .unwrap();
    j.accept_exercise_date(&alice(), &id, NOW + 1).unwrap();
    // Either partner may move it; the agreed date holds meanwhile.
    j.suggest_exercise_date(&bob(), &id, date("2026-12-08"), today(), NOW + 2)
        .unwrap();
    let e = j.get_exercise(&id).unwrap();
    assert_eq!(e.status, ExerciseStatus::Planned);
    assert_eq!(e.date, Some(date("2026-12-01")));
    assert_eq!(e.waiting.as_ref().map(|w| w.date), Some(date("2026-12-08")));
    assert_eq!(e.date_on_the_table(), Some(date("2026-12-08")));
    j.accept_exercise_date(&alice(), &id, NOW + 3).unwrap();
    let e = j.get_exercise(&id).unwrap();
    assert_eq!((e.date, e.waiting), (Some(date("2026-12-08")), None));

    // Calling it off is final, and either may.
    j.cancel_exercise(&alice(), &id, NOW + 4).unwrap();
    let e = j.get_exercise(&id).unwrap();
    assert_eq!(e.status, ExerciseStatus::Cancelled);
    assert_eq!(
        (e.cancelled_at, e.cancelled_by),
        (Some(NOW + 4), Some(alice()))
    );
    refused(j.mark_exercise_done(&bob(), &id, NOW + 5), "called off");
    refused(j.cancel_exercise(&bob(), &id, NOW + 5), "called off");
    refused(
        j.share_exercise_reflection(&bob(), &id, "x", NOW + 5),
        "called off",
    );
}

/// Two devices answering at once: an acceptance and a new suggestion both land,
/// and a call-off wins over an acceptance made meanwhile.
#[test]
fn answers_made_at_once_merge_into_what_both_did() {
    let mut a = SharedJournal::genesis();
    let id = a
        .propose_exercise(&alice(), "listen-ten", date("2026-12-01"), today(), NOW)
        .unwrap();
    let mut b = SharedJournal::load(&a.save()).unwrap();
    let mut b2 = SharedJournal::load(&a.save()).unwrap();
    // Bea accepts on one device and suggests another date on her other one.
    b.accept_exercise_date(&bob(), &id, NOW + 1).unwrap();
    b2.suggest_exercise_date(&bob(), &id, date("2026-12-05"), today(), NOW + 2)
        .unwrap();
    a.merge(&mut b).unwrap();
    a.merge(&mut b2).unwrap();
    let e = a.get_exercise(&id).unwrap();
    assert_eq!(e.status, ExerciseStatus::Planned);
    assert_eq!(e.date, Some(date("2026-12-01")));
    assert_eq!(
        e.waiting.as_ref().map(|w| (w.by.clone(), w.date)),
        Some((bob(), date("2026-12-05")))
    );

    // Ari calls it off on one device while her other one suggests a date: it is
    // called off.
    let mut b = SharedJournal::load(&a.save()).unwrap();
    a.cancel_exercise(&alice(), &id, NOW + 3).unwrap();
    b.suggest_exercise_date(&alice(), &id, date("2026-12-06"), today(), NOW + 3)
        .unwrap();
    b.merge(&mut a).unwrap();
    assert_eq!(
        b.get_exercise(&id).unwrap().status,
        ExerciseStatus::Cancelled
    );

    // Both mark a planned one done at once: it is done by both.
    let id = a
        .propose_exercise(&alice(), "listen-ten", date("2026-12-01"), today(), NOW)
        .unwrap();
    a.accept_exercise_date(&bob(), &id, NOW + 1).unwrap();
    let mut b = SharedJournal::load(&a.save()).unwrap();
    a.mark_exercise_done(&alice(), &id, NOW + 2).unwrap();
    b.mark_exercise_done(&bob(), &id, NOW + 2).unwrap();
    a.merge(&mut b).unwrap();
    assert_eq!(a.get_exercise(&id).unwrap().status, ExerciseStatus::Done);
}

/// What a partner's device writes into an exercise is read defensively: a
/// malformed suggestion or reflection is skipped, never the whole entry.
#[test]
fn malformed_parts_are_skipped_and_the_entry_stays() {
    let mut j = SharedJournal::genesis();
    let id = j
        .propose_exercise(&alice(), "listen-ten", date("2026-12-01"), today(), NOW)
        .unwrap();
    let am = j.doc_mut();
    let (_, root) = am.get(automerge::ROOT, "exercises").unwrap().unwrap();
    let (_, entry) = am.get(&root, id.as_str()).unwrap().unwrap();
    let bad = am
        .put_object(&entry, "date:zzz", automerge::ObjType::Map)
        .unwrap();
    am.put(&bad, "by", "not a partner").unwrap();
    am.put(&bad, "at", NOW + 5).unwrap();
    am.put(&bad, "date", "tomorrow").unwrap();
    am.put(&entry, "reflection:odd", 42).unwrap();
    let r = am
        .put_object(&entry, "reflection:empty", automerge::ObjType::Map)
        .unwrap();
    am.put(&r, "by", bob().as_str()).unwrap();
    am.put(&r, "at", NOW).unwrap();
    am.commit();
    let e = j.get_exercise(&id).unwrap();
    assert_eq!(e.proposals.len(), 1);
    assert_eq!(e.waiting.map(|w| w.by), Some(alice()));
    assert!(e.reflections.is_empty());

    // An unknown exercise id of a plain shape (a newer library's) still reads.
    let newer = j
        .propose_exercise(&bob(), "from-a-newer-library-2", today(), today(), NOW)
        .unwrap();
    assert_eq!(
        j.get_exercise(&newer).unwrap().exercise,
        "from-a-newer-library-2"
    );
    let mut l = SharedLists::default();
    assert_eq!(l.exercises(&mut j).len(), 2);
    assert_eq!(l.exercises_len(&mut j), 2);
}
