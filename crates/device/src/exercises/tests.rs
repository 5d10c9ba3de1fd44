//! Exercises between two real profiles, carried by bundles as the network would:
//! the whole exchange, what each device says is waiting, and that a private
//! reflection stays in its author's diary.

use chrono::{Days, NaiveDate};
use kintsugi_journal::JournalError;

use super::Visibility;
use crate::test_support::{found_in, paired};
use crate::{Device, DeviceError, ExerciseStatus, ExportFormat, ExportScope, Field, view};

const CANARY: &str = "PRIVATE-REFLECTION-CANARY-4e1d";

fn carry(from: &Device, to: &Device) {
    to.import_bundle(&from.export_bundle().unwrap()).unwrap();
}

fn date_in(days: u64) -> NaiveDate {
    chrono::Local::now().date_naive() + Days::new(days)
}

fn reason_of(e: DeviceError) -> &'static str {
    match e {
        DeviceError::Journal(JournalError::NotNow { reason, .. }) => reason,
        other => panic!("expected a refusal, got {other}"),
    }
}

#[test]
fn propose_counter_accept_do_and_reflect_privately_or_not() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = paired(tmp.path());
    // Names travel first, so each says the other's.
    carry(&a, &b);
    carry(&b, &a);

    // Only the library's exercises, and only dates that have not passed.
    match a.propose_exercise("not-in-the-library", &date_in(1).to_string()) {
        Err(DeviceError::BadInput { field, reason }) => {
            assert_eq!(field, Field::Exercise);
            assert!(reason.contains("exercise library"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        a.propose_exercise("listen-ten", "next friday"),
        Err(DeviceError::Journal(JournalError::BadDate(_)))
    ));
    let yesterday = chrono::Local::now().date_naive() - Days::new(1);
    assert!(matches!(
        a.propose_exercise("listen-ten", &yesterday.to_string()),
        Err(DeviceError::Journal(JournalError::PastDate(_)))
    ));

    let id = a
        .propose_exercise("listen-ten", &date_in(1).to_string())
        .unwrap();
    carry(&a, &b);
    let today = chrono::Local::now().date_naive();
    let names = b.names().unwrap();
    let due = b.due(today).unwrap();
    let line = due
        .iter()
        .map(|d| d.describe(&names))
        .find(|l| l.contains("Ten minutes each"))
        .expect("Bea is asked to answer");
    assert!(line.starts_with("Ari suggested the exercise"), "{line}");
    assert!(
        !a.due(today)
            .unwrap()
            .iter()
            .any(|d| matches!(d, view::Due::ExerciseAnswer { .. }))
    );

    // Bea suggests another date (by a prefix of the id, as people type it): that
    // date is Ari's to answer, not Bea's.
    let e = b
        .suggest_exercise_date(&id[..24], &date_in(3).to_string())
        .unwrap();
    assert_eq!(e.waiting.as_ref().map(|w| w.date), Some(date_in(3)));
    assert_eq!(
        reason_of(b.accept_exercise_date(&id).unwrap_err()),
        "the date waiting is the one you suggested: your partner answers it"
    );
    carry(&b, &a);
    let state = view::exercise_state(&a.exercise(&id).unwrap(), &a.names().unwrap());
    assert!(
        state.starts_with("Bea suggested") && state.ends_with("waiting for your answer"),
        "{state}"
    );
    let e = a.accept_exercise_date(&id).unwrap();
    assert_eq!(
        (e.status, e.date),
        (ExerciseStatus::Planned, Some(date_in(3)))
    );
    carry(&a, &b);
    for d in [&a, &b] {
        let list = d.exercises().unwrap();
        let next = view::next_exercise(&list).unwrap();
        assert_eq!(next.id, id);
        let line = view::next_exercise_line(next, today, &d.names().unwrap());
        assert!(line.contains("(in 3 days)"), "{line}");
    }

    // A reflection comes after doing it, wherever it is kept.
    assert_eq!(
        reason_of(
            a.reflect_on_exercise(&id, CANARY, Visibility::Private)
                .unwrap_err()
        ),
        "mark it done first: a reflection is about how it went"
    );
    assert!(a.exercise_reflections().unwrap().is_empty());

    a.mark_exercise_done(&id).unwrap();
    b.mark_exercise_done(&id).unwrap();
    let private = a
        .reflect_on_exercise(
            &id,
            &format!("{CANARY} what I did not say"),
            Visibility::Private,
        )
        .unwrap();
    assert!(private.private);
    let shared = b
        .reflect_on_exercise(&id, "I felt listened to", Visibility::Shared)
        .unwrap();
    assert!(!shared.private);
    carry(&a, &b);
    carry(&b, &a);

    for d in [&a, &b] {
        let e = d.exercise(&id).unwrap();
        assert_eq!(e.status, ExerciseStatus::Done);
        let texts: Vec<&str> = e.reflections.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(texts, ["I felt listened to"]);
        assert!(view::next_exercise(&d.exercises().unwrap()).is_none());
    }
    assert_eq!(a.exercise_reflections().unwrap().len(), 1);
    assert!(b.exercise_reflections().unwrap().is_empty());

    // The private one is in Ari's diary log and nowhere else: not in his shared
    // journal, not anywhere in Bea's profile, decrypted, history and all.
    let (da, db) = (a.profile_dir().unwrap(), b.profile_dir().unwrap());
    let found = found_in(&da, CANARY);
    assert!(!found.is_empty(), "the test did not write the canary");
    assert!(
        found.iter().all(|f| f.starts_with(crate::DIARY_LOG)),
        "{found:?}"
    );
    assert_eq!(found_in(&db, CANARY), Vec::<String>::new());
    // Each finds its own reflections, by kind and by its exercise's stage (3).
    let found = |d: &Device, text: &str| {
        d.search(&crate::SearchQuery {
            text: text.into(),
            stage: Some(3),
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .map(|h| (h.kind.as_str(), h.id, h.title))
        .collect::<Vec<_>>()
    };
    let title = Some(view::exercise_title("listen-ten"));
    assert_eq!(
        found(&a, "did not say"),
        [("private-reflection", id.clone(), title.clone())]
    );
    assert_eq!(found(&b, "did not say"), []);
    assert_eq!(found(&b, "listened"), [("reflection", id.clone(), title)]);
    let shared_export = a.export(ExportFormat::Json, ExportScope::Shared).unwrap();
    assert!(!String::from_utf8_lossy(&shared_export).contains(CANARY));
    let md = String::from_utf8(
        a.export(ExportFormat::Markdown, ExportScope::WithPrivate)
            .unwrap(),
    )
    .unwrap();
    assert!(
        md.contains(CANARY) && md.contains("I felt listened to"),
        "{md}"
    );
}

#[test]
fn an_exercise_is_called_off_and_stays_in_the_history() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = paired(tmp.path());
    carry(&a, &b);
    carry(&b, &a);
    let id = a
        .propose_exercise("three-appreciations", &date_in(0).to_string())
        .unwrap();
    carry(&a, &b);
    let e = b.cancel_exercise(&id).unwrap();
    assert_eq!(e.status, ExerciseStatus::Cancelled);
    carry(&b, &a);
    let e = a.exercise(&id).unwrap();
    let state = view::exercise_state(&e, &a.names().unwrap());
    assert!(state.starts_with("Called off by Bea on "), "{state}");
    assert_eq!(
        reason_of(a.accept_exercise_date(&id).unwrap_err()),
        "it was called off"
    );
    assert_eq!(a.exercises().unwrap().len(), 1);
}
