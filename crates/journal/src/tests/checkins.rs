use chrono::NaiveDate;

use super::{NOW, alice, bob};
use crate::{CheckInInput, JournalError, SharedJournal, iso_week_of, parse_week};

fn input(week: &str) -> CheckInInput {
    CheckInInput {
        week: week.into(),
        mood: 3,
        trust: 5,
        closeness: 6,
        went_well: Some("the walk".into()),
        hard: None,
        need: Some("   ".into()),
        appreciate: None,
    }
}

#[test]
fn one_checkin_per_author_per_week() {
    let mut j = SharedJournal::genesis();
    let first = j.upsert_checkin(&alice(), &input("2026-W48"), NOW).unwrap();
    assert!(first.is_new);

    let c = j.get_checkin(&first.id).unwrap();
    assert_eq!(c.week, "2026-W48");
    assert_eq!((c.mood, c.trust, c.closeness), (3, 5, 6));
    assert_eq!(c.went_well.as_deref(), Some("the walk"));
    assert_eq!(c.need, None, "blank optional text is stored as absent");

    // Same author, same week: the same entry is updated.
    let mut again = input("2026-W48");
    again.trust = 7;
    again.went_well = None;
    again.hard = Some("Tuesday".into());
    let second = j.upsert_checkin(&alice(), &again, NOW + 100).unwrap();
    assert_eq!(second.id, first.id);
    assert!(!second.is_new);
    let c = j.get_checkin(&first.id).unwrap();
    assert_eq!(c.trust, 7);
    assert_eq!(c.went_well, None);
    assert_eq!(c.hard.as_deref(), Some("Tuesday"));
    assert_eq!((c.created, c.updated), (NOW, NOW + 100));

    // The other partner, or another week, is a new entry.
    assert!(
        j.upsert_checkin(&bob(), &input("2026-W48"), NOW)
            .unwrap()
            .is_new
    );
    assert!(
        j.upsert_checkin(&alice(), &input("2026-W49"), NOW)
            .unwrap()
            .is_new
    );
    assert_eq!(j.checkins().len(), 3);
    assert_eq!(
        j.checkin_for(&alice(), "2026-W48").map(|c| c.id),
        Some(first.id)
    );
}

#[test]
fn concurrent_creations_for_one_week_show_once() {
    let mut a = SharedJournal::genesis();
    let mut b = SharedJournal::load(&a.save()).unwrap();
    a.upsert_checkin(&alice(), &input("2026-W48"), NOW).unwrap();
    let mut later = input("2026-W48");
    later.mood = 5;
    let winner = b.upsert_checkin(&alice(), &later, NOW + 5).unwrap();
    a.merge(&mut b).unwrap();

    let shown = a.checkins();
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].id, winner.id);
    assert_eq!(shown[0].mood, 5);
    // And the next upsert updates that one.
    let next = a
        .upsert_checkin(&alice(), &input("2026-W48"), NOW + 10)
        .unwrap();
    assert_eq!(next.id, winner.id);
}

#[test]
fn checkin_validation() {
    let mut j = SharedJournal::genesis();
    let with = |f: fn(&mut CheckInInput)| {
        let mut i = input("2026-W48");
        f(&mut i);
        i
    };
    let cases = [
        (with(|i| i.mood = 0), "mood"),
        (with(|i| i.mood = 6), "mood"),
        (with(|i| i.trust = 11), "trust"),
        (with(|i| i.closeness = 0), "closeness"),
    ];
    for (bad, field) in cases {
        match j.upsert_checkin(&alice(), &bad, NOW) {
            Err(JournalError::OutOfRange { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    let err = j
        .upsert_checkin(&alice(), &with(|i| i.trust = 0), NOW)
        .unwrap_err();
    assert_eq!(err.to_string(), "trust must be between 1 and 10, got 0");

    for week in [
        "2026-48", "2026-W4", "26-W48", "2026-W00", "2025-W53", "2026-w48", "",
    ] {
        assert!(
            matches!(
                j.upsert_checkin(&alice(), &input(week), NOW),
                Err(JournalError::BadWeek(_))
            ),
            "{week}"
        );
    }
    assert!(j.checkins().is_empty());
}

#[test]
fn iso_weeks() {
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
    assert_eq!(iso_week_of(d(2026, 11, 26)), "2026-W48");
    assert_eq!(iso_week_of(d(2027, 1, 1)), "2026-W53");
    assert_eq!(iso_week_of(d(2024, 12, 30)), "2025-W01");
    assert_eq!(parse_week("2026-W53").unwrap(), "2026-W53");
    assert_eq!(parse_week("2020-W01").unwrap(), "2020-W01");
}
