use chrono::NaiveDate;

use super::{NOW, alice, bob};
use crate::{EntryKind, JournalError, PrivateDiary, SharedJournal, TriggerWeek, trigger_weeks};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

/// The calendar of a person in UTC, for the tests' fixed times.
fn utc_day(ms: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap()
        .date_naive()
}

#[test]
fn the_log_keeps_moments_in_the_order_they_happened_and_checks_them() {
    let mut d = PrivateDiary::genesis();
    let later = d
        .add_trigger(&bob(), NOW - HOUR, 7, " the song ", NOW)
        .unwrap();
    let earlier = d
        .add_trigger(&bob(), NOW - 2 * DAY, 3, "a red car", NOW + 1)
        .unwrap();
    let log = d.triggers();
    let ids: Vec<&str> = log.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, [earlier.as_str(), later.as_str()]);
    assert_eq!(log[1].words, "the song");
    assert_eq!((log[1].strength, log[1].at), (7, NOW - HOUR));
    assert_eq!(
        d.resolve(&later[..13]).unwrap(),
        (EntryKind::Trigger, later.clone())
    );

    assert!(matches!(
        d.add_trigger(&bob(), NOW, 11, "x", NOW),
        Err(JournalError::OutOfRange {
            field: "strength",
            ..
        })
    ));
    assert!(matches!(
        d.add_trigger(&bob(), NOW, 0, "x", NOW),
        Err(JournalError::OutOfRange {
            field: "strength",
            ..
        })
    ));
    assert!(matches!(
        d.add_trigger(&bob(), NOW, 5, "  ", NOW),
        Err(JournalError::EmptyText { .. })
    ));
    assert!(matches!(
        d.add_trigger(&bob(), NOW + DAY, 5, "tomorrow", NOW),
        Err(JournalError::InFuture)
    ));
    // Other private records share the map and are not moments; moments are no
    // diary entries.
    d.mark_letter_opened("some-letter", NOW).unwrap();
    d.set_acceptance(None, NOW).unwrap();
    assert_eq!(d.triggers().len(), 2);
    assert!(d.entries().is_empty());

    d.remove_trigger(&earlier, NOW + 2).unwrap();
    assert_eq!(d.triggers().len(), 1);
    assert!(matches!(
        d.get_trigger(&earlier),
        Err(JournalError::UnknownId(_))
    ));
}

#[test]
fn weeks_are_iso_weeks_of_the_day_each_moment_happened() {
    let mut d = PrivateDiary::genesis();
    // 2026-12-27 is a Sunday (week 52), 2026-12-28 a Monday (week 53: 2026 has 53),
    // 2027-01-04 the Monday of 2027's first week.
    let at = |y, m, day, h| {
        NaiveDate::from_ymd_opt(y, m, day)
            .unwrap()
            .and_hms_opt(h, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp_millis()
    };
    let now = at(2027, 1, 10, 12);
    for (when, strength) in [
        (at(2026, 12, 27, 23), 8),
        (at(2026, 12, 28, 0), 6),
        (at(2026, 12, 31, 9), 3),
        (at(2027, 1, 4, 9), 2),
    ] {
        d.add_trigger(&bob(), when, strength, "it", now).unwrap();
    }
    let week = |w: &str, count, strength_sum| TriggerWeek {
        week: w.into(),
        count,
        strength_sum,
    };
    let weeks = trigger_weeks(&d.triggers(), utc_day);
    assert_eq!(
        weeks,
        [
            week("2026-W52", 1, 8),
            week("2026-W53", 2, 9),
            week("2027-W01", 1, 2)
        ]
    );
    assert_eq!(weeks[1].average(), 4.5);
    // Another calendar (a day later everywhere) moves the Sunday night moment.
    let moved = trigger_weeks(&d.triggers(), |ms| utc_day(ms + 2 * HOUR));
    assert_eq!(moved[0], week("2026-W53", 3, 17));
    assert!(trigger_weeks(&[], utc_day).is_empty());
}

#[test]
fn the_shared_trend_holds_numbers_only_and_a_shared_moment_only_itself() {
    let mut d = PrivateDiary::genesis();
    let kept = d
        .add_trigger(&bob(), NOW - HOUR, 9, "KEPT-CANARY-WORDS", NOW)
        .unwrap();
    let chosen = d
        .add_trigger(&bob(), NOW - 2 * HOUR, 4, "the old cafe", NOW)
        .unwrap();
    let mut j = SharedJournal::genesis();
    let weeks = trigger_weeks(&d.triggers(), utc_day);
    assert_eq!(j.share_trigger_weeks(&bob(), &weeks, NOW).unwrap(), 1);
    let heads = j.heads();
    assert_eq!(j.share_trigger_weeks(&bob(), &weeks, NOW + 1).unwrap(), 0);
    assert_eq!(
        j.heads(),
        heads,
        "sharing the same numbers again wrote something"
    );
    let trend = j.trigger_trend();
    assert_eq!(trend.len(), 1);
    assert_eq!((&trend[0].author, &trend[0].numbers), (&bob(), &weeks[0]));
    let bytes = j.save();
    let holds = |b: &[u8], t: &str| b.windows(t.len()).any(|w| w == t.as_bytes());
    assert!(!holds(&bytes, "KEPT-CANARY-WORDS") && !holds(&bytes, "the old cafe"));

    // A moment chosen on its own: its words go, the other's do not.
    let t = d.get_trigger(&chosen).unwrap();
    assert_eq!(j.share_trigger(&bob(), &t, NOW + 2).unwrap(), chosen);
    assert_eq!(j.share_trigger(&bob(), &t, NOW + 3).unwrap(), chosen);
    assert!(matches!(
        j.share_trigger(&alice(), &t, NOW + 3),
        Err(JournalError::NotAuthor { .. })
    ));
    let shared = j.shared_triggers();
    assert_eq!(shared.len(), 1);
    assert_eq!(
        (shared[0].words.as_str(), shared[0].strength, shared[0].at),
        ("the old cafe", 4, NOW - 2 * HOUR)
    );
    // The bytes hold text as written (the check above can see words): the chosen
    // moment's are there, the other's are not.
    let bytes = j.save();
    assert!(holds(&bytes, "the old cafe"));
    assert!(!holds(&bytes, "KEPT-CANARY-WORDS"));
    assert_eq!(d.get_trigger(&kept).unwrap().words, "KEPT-CANARY-WORDS");
    // Neither is a shared diary entry, nor is a diary entry a shared moment.
    assert!(j.shared_entries().is_empty());
    assert!(matches!(
        j.get_shared_entry(&chosen),
        Err(JournalError::WrongKind { .. })
    ));

    // One more moment that week: sharing again updates the week, on both devices.
    let mut alices = SharedJournal::load(&j.save()).unwrap();
    d.add_trigger(&bob(), NOW - 3 * HOUR, 1, "x", NOW + 4)
        .unwrap();
    let weeks = trigger_weeks(&d.triggers(), utc_day);
    assert_eq!(j.share_trigger_weeks(&bob(), &weeks, NOW + 5).unwrap(), 1);
    alices.merge(&mut j).unwrap();
    let trend = alices.trigger_trend();
    assert_eq!(trend.len(), 1);
    assert_eq!(
        (trend[0].numbers.count, trend[0].numbers.strength_sum),
        (3, 14)
    );
    assert!(j.share_trigger_weeks(&bob(), &[week_bad()], NOW).is_err());
}

fn week_bad() -> TriggerWeek {
    TriggerWeek {
        week: "2026-W99".into(),
        count: 1,
        strength_sum: 1,
    }
}
