//! Revealing check-ins together between two devices, synced directly: the partner's
//! device is asked through every door of the device API before its person saves.

use kintsugi_journal::{CheckInInput, Revealed};

use crate::test_support::{paired, sync_directly};
use crate::{Device, ExportFormat, ExportScope, SearchQuery};

const ARI: &str = "canary 3f09 of the first week";
const BEA: &str = "canary b7d2 of the same week";

fn input(went_well: &str) -> CheckInInput {
    CheckInInput {
        week: "2026-W49".into(),
        mood: 2,
        trust: 7,
        closeness: 4,
        went_well: Some(went_well.into()),
        ..Default::default()
    }
}

/// Everything `d` can be asked that might hold a check-in's words.
fn everything(d: &Device) -> String {
    let mut all = format!(
        "{:?}{:?}",
        d.checkins().unwrap(),
        d.sealed_checkins().unwrap()
    );
    all.push_str(&format!("{:?}", d.held_checkins().unwrap()));
    let hits = d
        .search(&SearchQuery {
            text: "canary".into(),
            ..Default::default()
        })
        .unwrap();
    all.push_str(&format!("{hits:?}"));
    for format in [ExportFormat::Markdown, ExportFormat::Json] {
        let out = d.export(format, ExportScope::WithPrivate).unwrap();
        all.push_str(&String::from_utf8_lossy(&out));
    }
    // The shared journal's whole history, every change decoded.
    let doc = d
        .export(ExportFormat::Automerge, ExportScope::Shared)
        .unwrap();
    let mut am = automerge::AutoCommit::load(&doc).unwrap();
    for c in am.get_changes(&[]) {
        all.push_str(&format!("{:?}", c.decode()));
    }
    all
}

#[test]
fn answers_travel_only_once_both_have_saved() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = paired(tmp.path());
    let saved = a.save_checkin(&input(ARI)).unwrap();
    assert!(saved.waiting && saved.is_new);
    // Saving again before Bea does replaces the answers and the commitment.
    let again = a.save_checkin(&input(&format!("{ARI}, again"))).unwrap();
    assert_eq!(again.id, saved.id);
    assert!(again.waiting && !again.is_new);
    assert_eq!(a.held_checkins().unwrap().len(), 1);
    sync_directly(&a, &b);

    let asked = everything(&b);
    assert!(
        !asked.contains("canary"),
        "Bea's device holds Ari's answers"
    );
    assert_eq!(b.sealed_checkins().unwrap().len(), 1);
    assert!(b.checkins().unwrap().is_empty());

    // Bea saves: her device has Ari's commitment, so hers is revealed at once; Ari's
    // device reveals his when hers arrives, in the same session.
    let saved = b.save_checkin(&input(BEA)).unwrap();
    assert!(!saved.waiting);
    sync_directly(&a, &b);
    for d in [&a, &b] {
        let list = d.checkins().unwrap();
        let words: Vec<_> = list.iter().filter_map(|c| c.went_well.clone()).collect();
        assert_eq!(words.len(), 2, "{words:?}");
        assert!(words.contains(&format!("{ARI}, again")) && words.contains(&BEA.to_owned()));
        assert!(list.iter().all(|c| c.revealed == Revealed::Together));
        assert!(d.sealed_checkins().unwrap().is_empty());
        assert!(
            d.held_checkins().unwrap().is_empty(),
            "answers are forgotten once sent"
        );
    }
    assert!(
        everything(&b).contains(ARI),
        "the search above would have found it"
    );
}

#[test]
fn alone_or_with_it_turned_off_a_checkin_is_written_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let alone = Device::create(
        &tmp.path().join("alone"),
        "Ari",
        crate::test_support::PASS,
        crate::test_support::opts(),
    )
    .unwrap();
    let saved = alone.save_checkin(&input(ARI)).unwrap();
    assert!(!saved.waiting);
    assert_eq!(alone.checkins().unwrap()[0].revealed, Revealed::Direct);

    let (a, b) = paired(&tmp.path().join("pair"));
    let saved = a.save_checkin(&input(ARI)).unwrap();
    assert!(saved.waiting);
    // Turning it off sends what waits.
    a.set_reveal_checkins_together(false).unwrap();
    assert!(a.held_checkins().unwrap().is_empty());
    sync_directly(&a, &b);
    assert_eq!(b.checkins().unwrap()[0].revealed, Revealed::Together);
    let saved = b.save_checkin(&input(BEA)).unwrap();
    assert!(!saved.waiting, "Ari already saved");
    b.set_reveal_checkins_together(false).unwrap();
    let mut later = input(BEA);
    later.week = "2026-W50".into();
    let saved = b.save_checkin(&later).unwrap();
    assert!(!saved.waiting);
    assert!(
        b.checkins()
            .unwrap()
            .iter()
            .any(|c| c.week == "2026-W50" && c.revealed == Revealed::Direct)
    );
}

#[test]
fn answers_kept_but_not_committed_to_before_a_crash_are_committed_and_revealed() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = paired(tmp.path());
    a.save_checkin(&input(ARI)).unwrap();
    // As if the process died after keeping new answers and before committing to
    // them: the journal holds the first commitment, the held file the new answers.
    let salt = [5; kintsugi_journal::COMMITMENT_SALT_LEN];
    a.update_state_file(&super::HELD, |h: &mut super::Held| {
        h.weeks.insert(
            "2026-W49".into(),
            super::HeldCheckIn::new(&input("newer"), salt),
        );
        Ok(())
    })
    .unwrap();
    b.save_checkin(&input(BEA)).unwrap();
    sync_directly(&a, &b);
    sync_directly(&a, &b);
    let at_b = b.checkins().unwrap();
    let ari = at_b
        .iter()
        .find(|c| c.went_well.as_deref() == Some("newer"));
    assert_eq!(ari.map(|c| c.revealed), Some(Revealed::Together));
}

/// A sync reveals what is held whenever the partner's changes land, in this process
/// (the live session) or in another one of the same profile (the app while the CLI
/// saves). Saving while that happens must neither fail nor lose the answers typed.
#[test]
fn saving_while_the_partners_commitment_lands_elsewhere_saves_and_reveals() {
    use std::sync::atomic::{AtomicBool, Ordering};

    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = paired(tmp.path());
    let weeks: Vec<String> = (1..=20).map(|w| format!("2026-W{w:02}")).collect();
    for week in &weeks {
        a.save_checkin(&CheckInInput {
            week: week.clone(),
            ..input(ARI)
        })
        .unwrap();
    }
    sync_directly(&a, &b);
    let other = Device::unlock(
        &tmp.path().join("b"),
        crate::test_support::PASS,
        crate::test_support::opts(),
    )
    .unwrap();
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let revealers = [b.clone(), other.clone()].map(|d| {
            let stop = &stop;
            s.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    d.reveal_due().unwrap();
                }
            })
        });
        for week in &weeks {
            let saved = b
                .save_checkin(&CheckInInput {
                    week: week.clone(),
                    ..input(&format!("{BEA} in {week}"))
                })
                .unwrap();
            assert!(!saved.waiting, "{week}: Ari had committed already");
        }
        stop.store(true, Ordering::Relaxed);
        for r in revealers {
            r.join().unwrap();
        }
    });
    b.reveal_due().unwrap();
    sync_directly(&a, &b);
    for week in &weeks {
        let hers: Vec<_> = (a.checkins().unwrap().iter())
            .filter(|c| &c.week == week && c.went_well.as_deref() != Some(ARI))
            .map(|c| c.went_well.clone())
            .collect();
        assert_eq!(hers, [Some(format!("{BEA} in {week}"))], "{week} at Ari's");
    }
    assert!(b.held_checkins().unwrap().is_empty());
}
