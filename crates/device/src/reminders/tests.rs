//! What is reminded of, when, and once, between two real profiles carried by
//! bundles as the network would. Showing a notification needs a desktop; the CLI
//! tests do that against a real notification daemon (tests/cli/remind.rs).

use chrono::{Days, NaiveDate, NaiveDateTime};

use super::{QuietHours, ReminderKind, Reminders};
use crate::test_support::{found_in, paired};
use crate::{CheckInInput, Device, DeviceError, Field, LetterKind};

const CANARY: &str = "REMINDER-CANARY-5b2f";

fn carry(from: &Device, to: &Device) {
    to.import_bundle(&from.export_bundle().unwrap()).unwrap();
}

fn at(date: NaiveDate, hour: u32) -> NaiveDateTime {
    date.and_hms_opt(hour, 30, 0).unwrap()
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn on(d: &Device) {
    d.set_reminders(|r| r.enabled = true).unwrap();
}

fn kinds(d: &Device, now: NaiveDateTime) -> Vec<ReminderKind> {
    d.reminders_due(now)
        .unwrap()
        .into_iter()
        .map(|r| r.kind)
        .collect()
}

/// Marks everything due at `now` as shown (what `remind` does after each
/// notification), and returns the words it would have shown.
fn shown(d: &Device, now: NaiveDateTime) -> Vec<String> {
    let due = d.reminders_due(now).unwrap();
    for r in &due {
        d.mark_reminded(r).unwrap();
    }
    due.into_iter().map(|r| r.text).collect()
}

#[test]
fn off_until_turned_on_and_each_kind_can_be_left_out() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, _b) = paired(tmp.path());
    // Friday 2026-12-04, midday: this week's check-in is not written.
    let friday = at(day("2026-12-04"), 12);
    assert!(!a.settings().unwrap().reminders.enabled);
    assert_eq!(kinds(&a, friday), []);
    on(&a);
    assert_eq!(kinds(&a, friday), [ReminderKind::Checkin]);
    a.set_reminders(|r| r.set(ReminderKind::Checkin, false))
        .unwrap();
    assert_eq!(kinds(&a, friday), []);
    // The setting is sealed with the others, and survives a lock.
    let dir = a.profile_dir().unwrap();
    a.lock();
    assert!(matches!(a.reminders_due(friday), Err(DeviceError::Locked)));
    let a = Device::unlock(&dir, crate::test_support::PASS, crate::test_support::opts()).unwrap();
    let r = a.settings().unwrap().reminders;
    assert!(r.enabled && !r.checkin && r.letter);
}

#[test]
fn a_checkin_from_friday_until_written_once() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, _b) = paired(tmp.path());
    on(&a);
    // Monday to Thursday of ISO week 2026-W49: too early to remind.
    for d in ["2026-11-30", "2026-12-03"] {
        assert_eq!(kinds(&a, at(day(d), 12)), [], "{d}");
    }
    let sunday = at(day("2026-12-06"), 12);
    assert_eq!(
        shown(&a, at(day("2026-12-04"), 12)),
        ["A check-in for this week is waiting for you"]
    );
    // Once: not again on the Sunday of the same week.
    assert_eq!(kinds(&a, sunday), []);
    // The next week's is another one; a check-in written (even one waiting for the
    // partner's) is not reminded of.
    let next_friday = at(day("2026-12-11"), 12);
    a.save_checkin(&CheckInInput {
        week: "2026-W50".into(),
        mood: 5,
        trust: 5,
        closeness: 5,
        went_well: Some(CANARY.into()),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(kinds(&a, next_friday), []);
    assert_eq!(
        kinds(&a, at(day("2026-12-18"), 12)),
        [ReminderKind::Checkin]
    );
}

#[test]
fn quiet_hours_hold_reminders_back_until_they_end() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, _b) = paired(tmp.path());
    on(&a);
    let friday = day("2026-12-04");
    // The default quiet hours are 22:00–08:00.
    assert_eq!(kinds(&a, at(friday, 23)), []);
    assert_eq!(kinds(&a, at(friday, 7)), []);
    // Nothing was marked: it shows once they end.
    assert_eq!(kinds(&a, at(friday, 8)), [ReminderKind::Checkin]);

    let r = a
        .set_reminders(|r| r.quiet_hours = Some("13-15".parse().unwrap()))
        .unwrap();
    assert_eq!(
        r.quiet_hours,
        Some(QuietHours {
            from: 13,
            until: 15
        })
    );
    assert_eq!(kinds(&a, at(friday, 14)), []);
    assert_eq!(kinds(&a, at(friday, 23)), [ReminderKind::Checkin]);
    a.set_reminders(|r| r.quiet_hours = None).unwrap();
    assert_eq!(kinds(&a, at(friday, 3)), [ReminderKind::Checkin]);

    // Quiet hours are whole hours that start and end apart.
    for bad in ["22", "25-08", "8-8", "evening", "22-8am", ""] {
        match bad.parse::<QuietHours>() {
            Err(DeviceError::BadInput { field, .. }) => assert_eq!(field, Field::QuietHours),
            other => panic!("{bad:?}: {other:?}"),
        }
    }
    for (good, from, until) in [("22-08", 22, 8), ("22:00-7:00", 22, 7), ("0-6", 0, 6)] {
        assert_eq!(
            good.parse::<QuietHours>().unwrap(),
            QuietHours { from, until }
        );
    }
    assert!(matches!(
        a.set_reminders(|r| r.quiet_hours = Some(QuietHours { from: 9, until: 30 })),
        Err(DeviceError::BadInput {
            field: Field::QuietHours,
            ..
        })
    ));
    let all_day = Reminders {
        quiet_hours: Some(QuietHours { from: 0, until: 23 }),
        ..Reminders::default()
    };
    assert!(all_day.quiet_at(at(friday, 22)) && !all_day.quiet_at(at(friday, 23)));
}

#[test]
fn a_letter_a_promise_and_an_exercise_say_only_that_something_waits() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = paired(tmp.path());
    carry(&a, &b);
    carry(&b, &a);
    on(&b);
    b.set_reminders(|r| {
        r.checkin = false;
        r.quiet_hours = None;
    })
    .unwrap();
    let today = chrono::Local::now().date_naive();
    let now = at(today, 12);
    assert_eq!(kinds(&b, now), []);

    let draft = a
        .draft_letter(LetterKind::Other, &format!("{CANARY} title"), CANARY)
        .unwrap();
    let letter = a.send_letter(&draft).unwrap();
    // Promises due tomorrow: Ari's own, for Ari to keep, and reminded to Bea too,
    // who confirms it; one due in two days is not yet.
    let tomorrow = (today + Days::new(1)).to_string();
    a.add_promise(&format!("{CANARY} promise"), &tomorrow)
        .unwrap();
    a.add_promise("later", &(today + Days::new(2)).to_string())
        .unwrap();
    let exercise = a
        .propose_exercise("listen-ten", &today.to_string())
        .unwrap();
    carry(&a, &b);
    b.accept_exercise_date(&exercise).unwrap();
    carry(&b, &a);

    let texts = shown(&b, now);
    assert_eq!(
        texts,
        [
            "A promise is due tomorrow",
            "Something from Ari is waiting",
            "Something with Ari is planned for today",
        ]
    );
    for t in &texts {
        assert!(!t.contains(CANARY) && !t.contains("Ten minutes"), "{t}");
    }
    // Once each.
    assert_eq!(kinds(&b, now), []);
    on(&a);
    a.set_reminders(|r| {
        r.checkin = false;
        r.quiet_hours = None;
    })
    .unwrap();
    // Ari's own letter is not waiting for him; his promise and the exercise are.
    assert_eq!(
        kinds(&a, now),
        [ReminderKind::Promise, ReminderKind::Exercise]
    );
    assert_eq!(
        shown(&a, at(today + Days::new(1), 12)),
        ["A promise is due today"],
        "quiet hours or a closed app the day before: it still shows on the day"
    );

    // A second letter is a new reminder; the first, once opened, is not in it.
    b.read_letter(&letter, None).unwrap();
    let second = a.draft_letter(LetterKind::Other, "second", "...").unwrap();
    a.send_letter(&second).unwrap();
    carry(&a, &b);
    let due = b.reminders_due(now).unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].text, "Something from Ari is waiting");
    assert_eq!(due[0].keys.len(), 1);

    // What was shown is kept sealed (by entry id, which only the profile key
    // reads), and no entry's words are kept with it.
    let dir = b.profile_dir().unwrap();
    let found = found_in(&dir, &letter);
    assert!(
        found.contains(&"reminders.sealed (sealed)".to_string())
            && !found.iter().any(|f| f.contains("plaintext")),
        "{found:?}"
    );
    assert!(
        found_in(&dir, CANARY)
            .iter()
            .all(|f| f.starts_with(crate::SHARED_LOG)),
        "{:?}",
        found_in(&dir, CANARY)
    );
}

#[test]
fn without_a_partner_yet_the_words_still_name_no_one() {
    assert_eq!(
        crate::view::reminder_text(ReminderKind::Letter, "your partner", false),
        "Something from your partner is waiting"
    );
}

#[test]
fn an_agreement_reminds_both_once_on_its_review_day_and_again_after_renewal() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = paired(tmp.path());
    let today = chrono::Local::now().date_naive();
    let after = |n: u64| (today + Days::new(n)).to_string();
    let id = a
        .propose_agreement(CANARY, "evenings out", &after(2), &after(30))
        .unwrap();
    carry(&a, &b);
    for d in [&a, &b] {
        on(d);
        d.set_reminders(|r| {
            r.checkin = false;
            r.quiet_hours = None;
        })
        .unwrap();
    }
    // Not in force until both agree, and not before its review day.
    assert_eq!(kinds(&a, at(today + Days::new(2), 12)), []);
    b.agree_boundary(&id).unwrap();
    carry(&b, &a);
    assert_eq!(kinds(&a, at(today + Days::new(1), 12)), []);
    let review_day = at(today + Days::new(2), 12);
    for (d, other) in [(&a, "Bea"), (&b, "Ari")] {
        assert_eq!(
            shown(d, review_day),
            [format!(
                "Something you agreed with {other} is due for a look"
            )]
        );
        assert_eq!(kinds(d, review_day), [], "once");
    }
    // Renewed dates bring their own review day, and a new reminder then.
    a.renew_agreement(&id, &after(5), &after(60)).unwrap();
    carry(&a, &b);
    b.agree_renewal(&id).unwrap();
    assert_eq!(kinds(&b, review_day), []);
    assert_eq!(
        kinds(&b, at(today + Days::new(5), 12)),
        [ReminderKind::Agreement]
    );
    // Left out when not wanted.
    a.set_reminders(|r| r.set(ReminderKind::Agreement, false))
        .unwrap();
    assert!(
        !a.settings()
            .unwrap()
            .reminders
            .wants(ReminderKind::Agreement)
    );
    assert_eq!(
        "agreement".parse::<ReminderKind>().unwrap(),
        ReminderKind::Agreement
    );
}
