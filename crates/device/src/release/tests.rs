//! Releasing history on real profiles in one process: the diary on one device, the
//! shared journal between two devices whose sessions are played here message by
//! message, as the network would carry them (tests/release.rs runs the real binary
//! over real iroh).

use std::path::Path;

use kintsugi_net::sync::{EpochVerdict, Release, ReleaseFlow, ReplicaSession};
use kintsugi_store::{LogKind, Unlocked};

use crate::test_support::{
    PASS, endpoint_of, found_in, linked, opts, paired, paired_known, sync_diary_pair,
    sync_directly, sync_pair,
};
use crate::{CheckInInput, Device, DeviceError};

const CANARY: &str = "canary 51c0 written and then deleted";

fn checkin(went_well: &str) -> CheckInInput {
    CheckInInput {
        week: "2026-W10".into(),
        mood: 3,
        trust: 5,
        closeness: 5,
        went_well: Some(went_well.into()),
        hard: None,
        need: None,
        appreciate: None,
    }
}

#[test]
fn releasing_the_diary_destroys_its_history_and_keeps_its_entries() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("p");
    let d = Device::create(&dir, "Alex", PASS, opts()).unwrap();
    let other = Device::unlock(&dir, PASS, opts()).unwrap();
    let gone = d.add_diary_entry(CANARY, None, None).unwrap();
    d.add_diary_entry("kept", Some(4), Some(2)).unwrap();
    d.write_diary(|diary, _, now| diary.remove_entry(&gone, now))
        .unwrap();
    assert!(!d.diary_entries().unwrap().iter().any(|e| e.text == CANARY));
    let before = found_in(&dir, CANARY);
    assert!(
        before.contains(&"diary.klog (history)".to_string()),
        "{before:?}"
    );
    assert!(
        before.iter().all(|f| f.starts_with("diary.klog")),
        "{before:?}"
    );
    let old_key = Unlocked::unlock(&dir, PASS)
        .unwrap()
        .keyring
        .log_key(LogKind::Diary)
        .clone();
    let shared_before = std::fs::read(dir.join(crate::SHARED_LOG)).unwrap();

    d.release_diary_history().unwrap();
    assert!(
        found_in(&dir, CANARY).is_empty(),
        "{:?}",
        found_in(&dir, CANARY)
    );
    let entries = d.diary_entries().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        (entries[0].text.as_str(), entries[0].mood),
        ("kept", Some(4))
    );
    let keys = Unlocked::unlock(&dir, PASS).unwrap();
    assert_ne!(keys.keyring.log_key(LogKind::Diary), &old_key);
    assert_eq!(
        std::fs::read(dir.join(crate::SHARED_LOG)).unwrap(),
        shared_before
    );
    // Another process of the profile follows: it reads the new diary afresh (its old
    // key no longer opens the log) and writes on top of it.
    other.refresh().unwrap();
    assert_eq!(other.diary_entries().unwrap(), entries);
    other.add_diary_entry("after", None, None).unwrap();
    d.refresh().unwrap();
    assert_eq!(d.diary_entries().unwrap().len(), 2);
    assert!(found_in(&dir, CANARY).is_empty());
    drop((d, other));
    let d = Device::unlock(&dir, PASS, opts()).unwrap();
    assert_eq!(d.diary_entries().unwrap().len(), 2);
}

fn epoch(d: &Device) -> [u8; 16] {
    d.journal_epoch().unwrap().unwrap()
}

enum Msg {
    Sync(Vec<u8>),
    Release(Release),
}

/// How a played session ended on each side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    InSync,
    Rekeyed,
    /// Different journals: what each side's verdict was.
    Epochs(EpochVerdict, EpochVerdict),
}

/// One session between `a` and `b`, as `run_session` runs it: the greetings'
/// epochs compared first, then sync and release messages both ways until both are
/// in sync or a release ends the session. `drop_committed` loses the leader's
/// `Committed` on the way, as a connection cut at that moment would.
fn session(a: &Device, b: &Device, drop_committed: bool) -> End {
    session_told(a, b, drop_committed, None)
}

/// [`session`], with the side `misled` (0 for `a`, 1 for `b`) told by the other's
/// greeting of a couple key it does not hold.
fn session_told(a: &Device, b: &Device, drop_committed: bool, misled: Option<usize>) -> End {
    if epoch(a) != epoch(b) {
        return End::Epochs(a.other_epoch(&epoch(b)), b.other_epoch(&epoch(a)));
    }
    let mut s = [
        a.sync_replica().begin().unwrap(),
        b.sync_replica().begin().unwrap(),
    ];
    // What each greeting tells the other (the sessions played here give no keys).
    let current = |d: &Device| d.couple_keys().unwrap().unwrap().current_id();
    s[0].their_key(current(b));
    s[1].their_key(current(a));
    if let Some(side) = misled {
        s[side].their_key(kintsugi_net::sync::KeyId {
            generation: 9,
            id: [9; 8],
        });
    }
    let mut queues: [Vec<Msg>; 2] = [Vec::new(), Vec::new()];
    let mut ended = [false, false];
    let mut rekeyed = false;
    let outgoing = |s: &mut Box<dyn ReplicaSession>, q: &mut Vec<Msg>| {
        if let Some(p) = s.generate().unwrap() {
            q.push(Msg::Sync(p));
        }
        q.extend(s.release_outbox().unwrap().into_iter().map(Msg::Release));
    };
    for side in 0..2 {
        queues[side].extend(
            s[side]
                .release_outbox()
                .unwrap()
                .into_iter()
                .map(Msg::Release),
        );
        let (sx, q) = (&mut s[side], &mut queues[side]);
        outgoing(sx, q);
    }
    for _ in 0..200 {
        let mut moved = false;
        for from in 0..2 {
            let to = 1 - from;
            let msgs = std::mem::take(&mut queues[from]);
            for m in msgs {
                if ended[to] {
                    continue;
                }
                moved = true;
                match m {
                    Msg::Sync(p) => s[to].receive(&p).unwrap(),
                    Msg::Release(Release::Committed { .. }) if drop_committed => continue,
                    Msg::Release(r) => {
                        if s[to].release_receive(r).unwrap() == ReleaseFlow::Rekeyed {
                            ended[to] = true;
                            rekeyed = true;
                            queues[to].extend(
                                s[to]
                                    .release_outbox()
                                    .unwrap()
                                    .into_iter()
                                    .map(Msg::Release),
                            );
                            continue;
                        }
                    }
                }
                let (sx, q) = (&mut s[to], &mut queues[to]);
                outgoing(sx, q);
            }
        }
        if !moved {
            break;
        }
    }
    for x in s.iter_mut() {
        x.end();
    }
    if rekeyed { End::Rekeyed } else { End::InSync }
}

fn texts(d: &Device) -> Vec<String> {
    let mut t: Vec<String> = d
        .checkins()
        .unwrap()
        .iter()
        .filter_map(|c| c.went_well.clone())
        .collect();
    t.extend(d.boundaries().unwrap().into_iter().map(|b| b.text));
    t.sort();
    t
}

#[test]
fn both_partners_consent_and_end_on_the_same_new_journal() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = paired(tmp.path());
    // Written straight in, so the canary is in both histories before the release.
    a.set_reveal_checkins_together(false).unwrap();
    a.save_checkin(&checkin(CANARY)).unwrap();
    a.save_checkin(&checkin("a calmer week")).unwrap();
    b.propose_boundary("no phones at dinner", None).unwrap();
    assert_eq!(session(&a, &b, false), End::InSync);
    assert_eq!(texts(&a), texts(&b));
    for d in [&a, &b] {
        assert!(!found_in(&d.profile_dir().unwrap(), CANARY).is_empty());
    }
    let old = epoch(&a);

    // Ari asks; Bea's device learns it at the next sync, and Bea declines.
    a.request_release_history().unwrap();
    assert!(b.release_status().unwrap().request.is_none());
    assert_eq!(session(&a, &b, false), End::InSync);
    let asked = b.release_status().unwrap().request.unwrap();
    assert!(!asked.asked_by_me && !asked.agreed);
    assert!(a.accept_release_history().is_err(), "one's own request");
    b.decline_release_history().unwrap();
    assert_eq!(session(&a, &b, false), End::InSync);
    assert!(a.release_status().unwrap().request.is_none());
    assert!(a.release_status().unwrap().partner_declined_at.is_some());
    assert_eq!(epoch(&a), old);

    // Asked again, and accepted: the next sync releases.
    a.request_release_history().unwrap();
    assert_eq!(session(&a, &b, false), End::InSync);
    b.accept_release_history().unwrap();
    assert!(b.decline_release_history().is_err(), "agreed is final");
    let before = texts(&a);
    assert_eq!(session(&a, &b, false), End::Rekeyed);
    assert_ne!(epoch(&a), old);
    assert_eq!(epoch(&a), epoch(&b));
    assert_eq!(texts(&a), before);
    assert_eq!(texts(&b), before);
    // The two built the same document: nothing is left to exchange but heads.
    let heads = |d: &Device| d.with(|i| Ok(i.shared.doc.heads())).unwrap();
    assert_eq!(heads(&a), heads(&b));
    for d in [&a, &b] {
        let dir = d.profile_dir().unwrap();
        assert!(
            found_in(&dir, CANARY).is_empty(),
            "{:?}",
            found_in(&dir, CANARY)
        );
        let status = d.release_status().unwrap();
        assert!(status.request.is_none() && status.last_release.is_some());
        assert_eq!(d.released_epochs().unwrap(), [old]);
    }
    // They go on syncing under the new key.
    b.propose_boundary("after the release", None).unwrap();
    assert_eq!(session(&a, &b, false), End::InSync);
    assert_eq!(texts(&a), texts(&b));
    // A new bundle holds none of it either, and one of the old journal is refused.
    let bundle = a.export_bundle().unwrap();
    assert!(!bundle.windows(CANARY.len()).any(|w| w == CANARY.as_bytes()));
    b.import_bundle(&bundle).unwrap();
    for d in [&a, &b] {
        let export = d
            .export(crate::ExportFormat::Json, crate::ExportScope::WithPrivate)
            .unwrap();
        assert!(!export.windows(CANARY.len()).any(|w| w == CANARY.as_bytes()));
    }
}

#[test]
fn a_follower_that_missed_committed_moves_when_it_sees_the_new_journal() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = paired(tmp.path());
    // Written straight in, so the canary is in both histories before the release.
    a.set_reveal_checkins_together(false).unwrap();
    a.save_checkin(&checkin(CANARY)).unwrap();
    a.save_checkin(&checkin("later")).unwrap();
    let old = epoch(&a);
    b.request_release_history().unwrap();
    assert_eq!(session(&a, &b, false), End::InSync);
    a.accept_release_history().unwrap();
    // The leader moves; its `Committed` is lost with the connection.
    assert_eq!(session(&a, &b, true), End::Rekeyed);
    let (leader, follower) = if a.leads().unwrap() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    assert_ne!(epoch(leader), old);
    assert_eq!(epoch(follower), old);
    // The follower, restarted, is still prepared; the next greeting moves it.
    let dir = follower.profile_dir().unwrap();
    follower.lock();
    let follower = Device::unlock(&dir, PASS, opts()).unwrap();
    assert_eq!(epoch(&follower), old);
    assert_eq!(
        session(leader, &follower, false),
        End::Epochs(EpochVerdict::Released, EpochVerdict::Followed)
    );
    assert_eq!(epoch(&follower), epoch(leader));
    assert_eq!(session(leader, &follower, false), End::InSync);
    assert_eq!(texts(leader), texts(&follower));
    assert!(found_in(&dir, CANARY).is_empty());
}

#[test]
fn a_copy_restored_from_before_the_release_is_turned_away() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = paired(tmp.path());
    a.propose_boundary(CANARY, None).unwrap();
    assert_eq!(session(&a, &b, false), End::InSync);
    let bundle_before = b.export_bundle().unwrap();
    let backup = tmp.path().join("b-backup");
    copy_dir(&b.profile_dir().unwrap(), &backup);
    a.request_release_history().unwrap();
    assert_eq!(session(&a, &b, false), End::InSync);
    b.accept_release_history().unwrap();
    assert_eq!(session(&a, &b, false), End::Rekeyed);

    let stale = Device::unlock(&backup, PASS, opts()).unwrap();
    assert_eq!(
        session(&a, &stale, false),
        End::Epochs(EpochVerdict::Released, EpochVerdict::Unknown)
    );
    // And an old bundle is refused by name.
    let err = a.import_bundle(&bundle_before).unwrap_err();
    assert!(
        matches!(
            err,
            DeviceError::BadBundle(crate::BundleProblem::HistoryReleased)
        ),
        "{err}"
    );
}

/// Whether `events` holds a `ReleaseChanged`; takes every event waiting.
fn release_changed(events: &mut tokio::sync::broadcast::Receiver<crate::Event>) -> bool {
    let mut seen = false;
    while let Ok(e) = events.try_recv() {
        seen |= e == crate::Event::ReleaseChanged;
    }
    seen
}

/// A front end redraws on events: each step of a request, the partner's answer
/// included, is one, so a window shows it without waiting for something else.
#[test]
fn each_step_of_a_request_is_an_event_the_partners_answer_too() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = paired(tmp.path());
    let (mut ea, mut eb) = (a.subscribe(), b.subscribe());
    a.request_release_history().unwrap();
    assert!(release_changed(&mut ea), "asking");
    assert_eq!(session(&a, &b, false), End::InSync);
    assert!(release_changed(&mut eb), "the partner's request arriving");
    b.decline_release_history().unwrap();
    assert!(release_changed(&mut eb), "declining");
    release_changed(&mut ea);
    assert_eq!(session(&a, &b, false), End::InSync);
    assert!(release_changed(&mut ea), "the partner's answer arriving");
    assert!(a.release_status().unwrap().partner_declined_at.is_some());
}

/// Two apps left open hold one session for hours: a decline, and a new request
/// after it, travel in that session, not only when the devices next connect.
#[test]
fn a_decline_and_a_new_request_travel_in_the_session_already_open() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = paired(tmp.path());
    let mut sa = a.sync_replica().begin().unwrap();
    let mut sb = b.sync_replica().begin().unwrap();
    // Each side's first outbox (nothing to say yet).
    assert!(sa.release_outbox().unwrap().is_empty());
    assert!(sb.release_outbox().unwrap().is_empty());

    a.request_release_history().unwrap();
    let ask = sa.release_outbox().unwrap();
    assert!(matches!(ask[..], [Release::Ask { .. }]), "{ask:?}");
    for m in ask {
        sb.release_receive(m).unwrap();
    }
    b.decline_release_history().unwrap();
    let answer = sb.release_outbox().unwrap();
    assert!(
        matches!(answer[..], [Release::Answer { accept: false, .. }]),
        "the decline waits for the next session: {answer:?}"
    );
    for m in answer {
        sa.release_receive(m).unwrap();
    }
    assert!(a.release_status().unwrap().partner_declined_at.is_some());
    assert!(sb.release_outbox().unwrap().is_empty(), "said once");

    // Ari asks again, in the same session.
    a.request_release_history().unwrap();
    let again = sa.release_outbox().unwrap();
    assert!(
        matches!(again[..], [Release::Ask { .. }]),
        "the new request waits for the next session: {again:?}"
    );
    for m in again {
        sb.release_receive(m).unwrap();
    }
    assert!(b.release_status().unwrap().request.is_some());
    sa.end();
    sb.end();
}

#[test]
fn requests_that_cross_are_both_consent() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = paired(tmp.path());
    a.propose_boundary("kept", None).unwrap();
    // Both ask before either hears of the other: both said yes.
    a.request_release_history().unwrap();
    b.request_release_history().unwrap();
    assert_eq!(session(&a, &b, false), End::Rekeyed);
    assert_eq!(epoch(&a), epoch(&b));
    assert_eq!(texts(&a), ["kept"]);
    assert_eq!(texts(&b), ["kept"]);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

/// A release is carried out between two devices: while either person has another,
/// asking and accepting are refused by name (the other device would keep the whole
/// history and sync with no one). Once it is removed, a release can be asked for.
#[test]
fn a_release_waits_until_each_of_us_has_one_device() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = paired_known(tmp.path());
    let a2 = linked(&a, &tmp.path().join("a2"));
    sync_pair(&a, &a2);
    sync_pair(&a, &b);
    for d in [&a, &b] {
        let e = d.request_release_history().unwrap_err();
        assert!(
            matches!(e, DeviceError::Release(_)) && e.to_string().contains("more than your two"),
            "{e}"
        );
        assert!(d.release_status().unwrap().request.is_none());
    }
    a.revoke(&endpoint_of(&a2).to_string()[..8]).unwrap();
    sync_pair(&a, &b);
    a.request_release_history().unwrap();
    assert!(a.release_status().unwrap().request.unwrap().asked_by_me);
}

/// A device linked after both journals' histories were released starts each from
/// its epoch's genesis: it syncs both, and the journals stay one document on every
/// device (a journal grown from another genesis would never merge with them).
#[test]
fn a_device_linked_after_releases_syncs_both_journals() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = paired(tmp.path());
    a.publish_identity().unwrap();
    b.publish_identity().unwrap();
    b.propose_boundary("no phones at dinner", None).unwrap();
    assert_eq!(session(&a, &b, false), End::InSync);
    a.request_release_history().unwrap();
    assert_eq!(session(&a, &b, false), End::InSync);
    b.accept_release_history().unwrap();
    assert_eq!(session(&a, &b, false), End::Rekeyed);
    a.add_diary_entry("kept through the release", None, None)
        .unwrap();
    a.release_diary_history().unwrap();
    let released = |d: &Device| d.with(|i| Ok((i.shared.doc.epoch(), i.diary.doc.epoch())));
    let (shared_epoch, diary_epoch) = released(&a).unwrap();
    assert!(shared_epoch.is_some() && diary_epoch.is_some());

    let a2 = linked(&a, &tmp.path().join("a2"));
    assert_eq!(released(&a2).unwrap(), (shared_epoch, diary_epoch));
    sync_pair(&a, &a2);
    sync_diary_pair(&a, &a2);
    let heads = |d: &Device| {
        d.with(|i| Ok((i.shared.doc.heads(), i.diary.doc.heads())))
            .unwrap()
    };
    assert_eq!(heads(&a2), heads(&a));
    assert_eq!(texts(&a2), texts(&a));
    let diary = |d: &Device| -> Vec<String> {
        d.diary_entries()
            .unwrap()
            .into_iter()
            .map(|e| e.text)
            .collect()
    };
    assert_eq!(diary(&a2), vec!["kept through the release".to_owned()]);
    // What the laptop writes reaches Ari's first device and Bea's, in the one journal.
    a2.propose_boundary("written on the laptop", None).unwrap();
    sync_pair(&a2, &a);
    assert_eq!(session(&a, &b, false), End::InSync);
    assert!(texts(&b).contains(&"written on the laptop".to_owned()));
    assert_eq!(heads(&a).0, heads(&b).0);
}

/// A release derives the next journal's key from the current couple key, so it
/// waits while the two devices hold different ones (a removal's new key not given
/// yet): the leader holds its step until the newer key was given, and then both end
/// on the same new journal.
#[test]
fn a_release_waits_until_both_hold_the_same_couple_key() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = paired_known(tmp.path());
    let a2 = linked(&a, &tmp.path().join("a2"));
    sync_pair(&a, &a2);
    sync_pair(&a, &b);
    a.revoke(&endpoint_of(&a2).to_string()[..8]).unwrap();
    // Bea's device hears of the removal (a session that gave no key, cut short
    // say), so a release can be agreed while the keys still differ.
    sync_directly(&a, &b);
    let key = |d: &Device| d.couple_keys().unwrap().unwrap().current_id();
    assert_ne!(key(&a), key(&b));
    a.request_release_history().unwrap();
    assert_eq!(session(&a, &b, false), End::InSync);
    b.accept_release_history().unwrap();
    let old = epoch(&a);
    for _ in 0..2 {
        assert_eq!(
            session(&a, &b, false),
            End::InSync,
            "held while keys differ"
        );
    }
    assert_eq!(epoch(&a), old);
    // The newer key given (as a session does once in sync), the release goes
    // through, to one journal on both.
    let (mut sa, mut sb) = (
        a.sync_replica().begin().unwrap(),
        b.sync_replica().begin().unwrap(),
    );
    let rekey = sa.rekey_outbox(key(&b)).unwrap().unwrap();
    sb.rekey_receive(rekey).unwrap();
    sa.end();
    sb.end();
    assert_eq!(key(&a), key(&b));
    assert_eq!(session(&a, &b, false), End::Rekeyed);
    assert_ne!(epoch(&a), old);
    assert_eq!(epoch(&a), epoch(&b));
    let heads = |d: &Device| d.with(|i| Ok(i.shared.doc.heads())).unwrap();
    assert_eq!(heads(&a), heads(&b));
}

/// The follower checks too: told of another couple key than its own, it asks the
/// leader to try again instead of deriving the next journal's key from its own,
/// and nothing moves until the two agree.
#[test]
fn a_follower_told_of_another_couple_key_asks_the_leader_to_retry() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = paired(tmp.path());
    a.request_release_history().unwrap();
    assert_eq!(session(&a, &b, false), End::InSync);
    b.accept_release_history().unwrap();
    let follower = if a.leads().unwrap() { 1 } else { 0 };
    let old = epoch(&a);
    assert_eq!(
        session_told(&a, &b, false, Some(follower)),
        End::InSync,
        "held by the follower"
    );
    assert_eq!((epoch(&a), epoch(&b)), (old, old));
    // The follower never prepared its side.
    let r = [&a, &b][follower]
        .release_status()
        .unwrap()
        .request
        .unwrap();
    assert!(r.agreed && !r.under_way, "{r:?}");
    assert_eq!(session(&a, &b, false), End::Rekeyed);
    assert_eq!(epoch(&a), epoch(&b));
    assert_ne!(epoch(&a), old);
}
