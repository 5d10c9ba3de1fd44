//! Releasing history in the real app, driven through egui_kittest as a person drives
//! it: the diary's on one device, and the shared journal's between two windows paired
//! the way two people pair, syncing over real iroh on loopback. Whether a release
//! really happened is read from the profile's own files: each log decrypted with the
//! profile's keys, as a test helper may, and its Automerge history searched.

mod common;

use std::path::Path;

use common::*;
use kintsugi_device::{Device, view};
use kintsugi_store::{DocLog, LogKind, Unlocked};

/// Whether `needle` is anywhere in the history of `kind`'s log in the profile at
/// `dir`: in its decrypted records, or in any change of the Automerge document they
/// hold, decoded.
fn in_history(dir: &Path, kind: LogKind, needle: &str) -> bool {
    let keys = Unlocked::unlock(dir, PASS.as_bytes()).unwrap();
    let opened = DocLog::open_in(&dir.join(kind.file_name()), kind, &keys.keyring).unwrap();
    let all: Vec<u8> = opened.records.iter().flat_map(|r| r.to_vec()).collect();
    if all.windows(needle.len()).any(|w| w == needle.as_bytes()) {
        return true;
    }
    let mut doc = automerge::AutoCommit::load(&all).unwrap();
    doc.get_changes(&[])
        .iter()
        .any(|c| format!("{:?}", c.decode()).contains(needle))
}

fn diary_texts(d: &Device) -> Vec<String> {
    let mut t: Vec<String> = d
        .diary_entries()
        .unwrap()
        .iter()
        .map(|e| e.text.clone())
        .collect();
    t.sort();
    t
}

fn boundary_texts(d: &Device) -> Vec<String> {
    let mut t: Vec<String> = d
        .boundaries()
        .unwrap()
        .iter()
        .map(|b| b.text.clone())
        .collect();
    t.sort();
    t
}

#[test]
fn releasing_the_diarys_history_asks_first_then_keeps_only_what_it_reads_now() {
    const CANARY: &str = "canary 2f7e written in the diary and deleted";
    let tmp = tempfile::tempdir().unwrap();
    let mut h = app(config(tmp.path(), false));
    create(&mut h, "Ari");
    let d = device(&h);
    let dir = d.profile_dir().unwrap();

    nav(&mut h, "Private diary");
    for (n, text) in ["kept: the first entry", "kept: the second entry", CANARY]
        .into_iter()
        .enumerate()
    {
        type_into(&mut h, "New entry", text);
        click(&mut h, "Save entry");
        wait(&mut h, "the diary entry", || {
            d.diary_entries().unwrap().len() == n + 1
        });
    }
    // The newest entry is the first row: its Delete, then the diary page's question.
    see(&mut h, CANARY);
    click(&mut h, "Delete");
    click(&mut h, "Delete it");
    wait(&mut h, "the deletion", || {
        d.diary_entries().unwrap().len() == 2
    });
    let kept = diary_texts(&d);
    assert_eq!(kept, ["kept: the first entry", "kept: the second entry"]);
    assert!(
        in_history(&dir, LogKind::Diary, CANARY),
        "a deleted entry stays in the diary's history until it is released"
    );

    // The question says what a release does and cannot reach, in the device's
    // words; cancelling it releases nothing.
    nav(&mut h, "Settings");
    click(&mut h, "Release the diary's history…");
    see(&mut h, view::RELEASE_DIARY);
    see(&mut h, view::RELEASE_CANNOT_REACH);
    let log = dir.join(LogKind::Diary.file_name());
    let before = std::fs::read(&log).unwrap();
    click(&mut h, "Cancel");
    h.run_steps(5);
    assert!(!shows(&h, view::RELEASE_DIARY), "the question stayed open");
    assert!(!has_button(&h, "Release it now"));
    assert_eq!(
        std::fs::read(&log).unwrap(),
        before,
        "cancelled, yet the log changed"
    );
    assert!(in_history(&dir, LogKind::Diary, CANARY));

    click(&mut h, "Release the diary's history…");
    click(&mut h, "Release it now");
    see(&mut h, "Released your diary's history");
    assert!(
        !in_history(&dir, LogKind::Diary, CANARY),
        "the deleted entry is still in the diary's history after a release"
    );
    assert_ne!(std::fs::read(&log).unwrap(), before);
    assert_eq!(diary_texts(&d), kept);

    // The diary page reads as before: the kept entries, not the deleted one.
    nav(&mut h, "Private diary");
    see(&mut h, "kept: the first entry");
    see(&mut h, "kept: the second entry");
    assert!(!shows(&h, CANARY));
}

/// Ari writes a boundary in the app, proposes a second one (the canary) and
/// withdraws it, so that only the journal's history holds it on both devices; then
/// asks in the app. Returns once Bea's window shows the request on Home, with the
/// explanation beside the two answers.
fn asked(a: &mut App, b: &mut App, canary: &str) {
    let (ad, bd) = (device(a), device(b));
    nav(a, "Boundaries");
    type_into(a, "New boundary", "kept: no phones at dinner");
    click(a, "Propose");
    let withdrawn = ad.propose_boundary(canary, None).unwrap();
    until(
        &mut [&mut *a, &mut *b],
        "both boundaries on Bea's device",
        |_| bd.boundaries().unwrap().len() == 2,
    );
    ad.withdraw_boundary(&withdrawn).unwrap();
    until(
        &mut [&mut *a, &mut *b],
        "the withdrawal on Bea's device",
        |_| boundary_texts(&bd) == ["kept: no phones at dinner"],
    );
    for d in [&ad, &bd] {
        assert!(in_history(
            &d.profile_dir().unwrap(),
            LogKind::Shared,
            canary
        ));
    }

    nav(a, "Settings");
    click(a, "Ask to release the shared journal's history…");
    see(a, view::RELEASE_SHARED);
    see(a, view::RELEASE_CANNOT_REACH);
    click(a, "Ask my partner");
    see(a, "Waiting for Bea's answer");

    nav(b, "Home");
    until(
        &mut [&mut *a, &mut *b],
        "the request in Bea's window",
        |w| shows(w[1], "Ari asks to release the shared journal's history"),
    );
    assert!(shows(b, view::RELEASE_SHARED) && shows(b, view::RELEASE_CANNOT_REACH));
}

/// 32 bytes from inside the shared log as it is now: ciphertext found nowhere else.
fn shared_log_sample(d: &Device) -> Vec<u8> {
    let log = std::fs::read(d.profile_dir().unwrap().join(LogKind::Shared.file_name())).unwrap();
    assert!(log.len() > 72);
    log[40..72].to_vec()
}

/// Whether any file of `d`'s profile holds `bytes`.
fn in_profile(d: &Device, bytes: &[u8]) -> bool {
    let dir = d.profile_dir().unwrap();
    let mut stack = vec![dir];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if std::fs::read(&path)
                .unwrap()
                .windows(bytes.len())
                .any(|w| w == bytes)
            {
                return true;
            }
        }
    }
    false
}

#[test]
fn a_shared_release_asked_in_one_window_and_accepted_in_the_other_happens_on_both() {
    const CANARY: &str = "canary 93ab proposed and withdrawn";
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (mut a, mut b) = paired(da.path(), db.path());
    let (ad, bd) = (device(&a), device(&b));
    asked(&mut a, &mut b, CANARY);
    let old = ad.release_status().unwrap().journal;
    assert!(old.is_some());
    assert_eq!(bd.release_status().unwrap().journal, old);
    let old_logs = [shared_log_sample(&ad), shared_log_sample(&bd)];

    click(&mut b, "Accept");
    nav(&mut b, "Settings");
    until(
        &mut [&mut a, &mut b],
        "both windows to show the release",
        |w| {
            w.iter()
                .all(|h| shows(h, "The shared journal's history was released on"))
        },
    );
    assert!(!has_button(&b, "Accept") && !has_button(&b, "Decline"));

    // Both moved to the same new journal, which reads as the old one did; the old
    // logs are gone from both profiles, and the withdrawn boundary with them.
    let new = ad.release_status().unwrap().journal;
    assert_ne!(new, old);
    assert_eq!(bd.release_status().unwrap().journal, new);
    for (d, old_log) in [&ad, &bd].into_iter().zip(&old_logs) {
        assert_eq!(boundary_texts(d), ["kept: no phones at dinner"]);
        assert!(
            !in_profile(d, old_log),
            "the old shared log is still in {}",
            d.profile_dir().unwrap().display()
        );
        assert!(
            !in_history(&d.profile_dir().unwrap(), LogKind::Shared, CANARY),
            "the withdrawn boundary is still in {}'s shared journal",
            d.profile_dir().unwrap().display()
        );
    }
    for h in [&mut a, &mut b] {
        nav(h, "Boundaries");
        see(h, "kept: no phones at dinner");
    }
    // They go on syncing, on the new journal.
    bd.propose_boundary("after the release", None).unwrap();
    until(
        &mut [&mut a, &mut b],
        "a boundary written after the release",
        |w| shows(w[0], "after the release"),
    );
}

#[test]
fn a_declined_release_shows_in_the_askers_window_and_releases_nothing() {
    const CANARY: &str = "canary 5d10 proposed, withdrawn and kept in history";
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (mut a, mut b) = paired(da.path(), db.path());
    let (ad, bd) = (device(&a), device(&b));
    asked(&mut a, &mut b, CANARY);
    let old = ad.release_status().unwrap().journal;
    let old_logs = [shared_log_sample(&ad), shared_log_sample(&bd)];

    click(&mut b, "Decline");
    until(&mut [&mut a, &mut b], "the answer in Ari's window", |w| {
        shows(w[0], "Bea declined your request on")
    });
    assert!(
        !shows(&b, "Ari asks to release"),
        "the request stayed on Home"
    );
    assert!(!has_button(&b, "Accept") && !has_button(&b, "Decline"));
    // Nothing was released anywhere, and Ari may ask again.
    assert!(has_button(
        &a,
        "Ask to release the shared journal's history…"
    ));
    assert!(!shows(&a, "history was released"));
    for (d, old_log) in [&ad, &bd].into_iter().zip(&old_logs) {
        assert_eq!(d.release_status().unwrap().journal, old);
        assert!(d.release_status().unwrap().last_release.is_none());
        assert!(in_profile(d, old_log));
        assert!(in_history(
            &d.profile_dir().unwrap(),
            LogKind::Shared,
            CANARY
        ));
    }
    click(&mut a, "Ask to release the shared journal's history…");
    click(&mut a, "Ask my partner");
    until(
        &mut [&mut a, &mut b],
        "the second request in Bea's window",
        |w| shows(w[1], "Ari asks to release the shared journal's history"),
    );
}
