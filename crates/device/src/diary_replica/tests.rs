//! The diary syncs among one person's own devices and never reaches the partner's:
//! in memory (sessions handed each other's payloads), and over real endpoints on
//! loopback, with each defence checked on its own.

use std::path::Path;
use std::time::Duration;

use kintsugi_net::sync::{ReplicaError, Until};
use kintsugi_net::{EndpointId, NetError, Protocol};

use crate::test_support::{
    PASS, endpoint_of, found_in, linked, on_loopback, opts, paired, paired_known, sync_diary_pair,
    sync_pair,
};
use crate::{Device, DeviceError, Refusal};

const CANARY: &str = "diary canary 7f3a: never for Bea's eyes";

/// A1 and B1 paired, A2 linked to A1 and B2 to B1, and the shared journal (with every
/// device record) on all four.
fn four(tmp: &Path) -> [Device; 4] {
    let (a1, b1) = paired_known(tmp);
    let a2 = linked(&a1, &tmp.join("a2"));
    let b2 = linked(&b1, &tmp.join("b2"));
    for _ in 0..2 {
        sync_pair(&a1, &a2);
        sync_pair(&b1, &b2);
        sync_pair(&a1, &b1);
        sync_pair(&a2, &b2);
    }
    [a1, a2, b1, b2]
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

fn dir(d: &Device) -> std::path::PathBuf {
    d.profile_dir().unwrap()
}

fn refused_to_begin(d: &Device, peer: EndpointId) -> bool {
    matches!(
        d.diary_replica_for(peer).begin().err(),
        Some(ReplicaError::Other(_))
    )
}

#[test]
fn own_peers_are_my_other_devices_and_never_my_partners() {
    let tmp = tempfile::tempdir().unwrap();
    let [a1, a2, b1, b2] = four(tmp.path());
    let [ia1, ia2, ib1, ib2] = [&a1, &a2, &b1, &b2].map(endpoint_of);
    assert_eq!(a1.own_peers().unwrap(), vec![ia2]);
    assert_eq!(a2.own_peers().unwrap(), vec![ia1]);
    assert_eq!(b1.own_peers().unwrap(), vec![ib2]);
    assert_eq!(b2.own_peers().unwrap(), vec![ib1]);
    // While the shared journal goes to every one of them.
    let mut everyone = vec![ia2, ib1, ib2];
    everyone.sort();
    assert_eq!(a1.sync_peers().unwrap(), everyone);
    // One person's devices hold one self key, the partner's devices another.
    let key = |d: &Device| d.diary_keys().unwrap().unwrap();
    assert_eq!(key(&a1), key(&a2));
    assert_eq!(key(&b1), key(&b2));
    assert_ne!(key(&a1), key(&b1));
    // The replica itself will not begin with a device not my own, either way round.
    for (d, peer) in [(&a1, ib1), (&a1, ib2), (&b1, ia1), (&b2, ia2)] {
        assert!(refused_to_begin(d, peer));
    }
}

#[test]
fn a_diary_entry_reaches_my_other_device_and_nothing_of_it_my_partners() {
    let tmp = tempfile::tempdir().unwrap();
    let [a1, a2, b1, b2] = four(tmp.path());
    a1.add_diary_entry(CANARY, Some(3), None).unwrap();
    sync_diary_pair(&a1, &a2);
    assert_eq!(diary_texts(&a2), vec![CANARY.to_owned()]);
    a2.add_diary_entry("written on A2", None, None).unwrap();
    sync_diary_pair(&a2, &a1);
    assert_eq!(diary_texts(&a1), diary_texts(&a2));
    assert_eq!(diary_texts(&a1).len(), 2);

    // The shared journal goes everywhere, and carries nothing of the diary.
    a1.propose_boundary("after the diary", None).unwrap();
    a2.propose_boundary("after the diary, from A2", None)
        .unwrap();
    for _ in 0..2 {
        sync_pair(&a1, &b1);
        sync_pair(&a2, &b2);
        sync_pair(&b1, &b2);
    }
    assert_eq!(b2.boundaries().unwrap().len(), 2);
    for d in [&b1, &b2] {
        assert!(diary_texts(d).is_empty());
        assert_eq!(found_in(&dir(d), CANARY), Vec::<String>::new());
    }
    assert!(!found_in(&dir(&a2), CANARY).is_empty());

    // Each own device has a diary sync state of its own, apart from the journal's.
    let state = a1.partner_state().unwrap();
    let key = endpoint_of(&a2).to_string();
    assert!(state.diary_sync_states.contains_key(&key));
    assert!(
        state.diary_sync_state.is_none(),
        "a diary state for the partner"
    );
    assert_ne!(
        state.devices[&key].sync_state.as_ref(),
        state.diary_sync_states.get(&key)
    );
    // And so a later entry costs a small message, not the whole diary again.
    a1.add_diary_entry("one more", None, None).unwrap();
    let sent: usize = sync_diary_pair(&a1, &a2).iter().sum();
    assert!(sent < 4096, "sent {sent} bytes for one entry");
}

#[test]
fn a_profile_without_a_person_or_a_partner_has_no_own_peers() {
    let tmp = tempfile::tempdir().unwrap();
    let alone = Device::create(&tmp.path().join("alone"), "Cy", PASS, opts()).unwrap();
    assert!(alone.own_peers().unwrap().is_empty());
    assert!(alone.diary_keys().unwrap().is_none());
    // Paired before device records: no person yet, so nothing changes for it.
    let (a, b) = paired(&tmp.path().join("old"));
    assert!(a.own_peers().unwrap().is_empty());
    assert!(a.diary_keys().unwrap().is_none());
    assert!(refused_to_begin(&a, endpoint_of(&b)));
    assert!(refused_to_begin(&alone, endpoint_of(&b)));
}

#[test]
fn a_diary_write_wakes_only_the_diarys_sessions() {
    let tmp = tempfile::tempdir().unwrap();
    let d = Device::create(&tmp.path().join("p"), "Ari", PASS, opts()).unwrap();
    let (mut shared, mut diary) = (d.changes.subscribe(), d.diary_changes.subscribe());
    d.add_diary_entry("private", None, None).unwrap();
    assert!(diary.has_changed().unwrap());
    assert!(!shared.has_changed().unwrap());
    diary.mark_unchanged();
    d.propose_boundary("shared", None).unwrap();
    assert!(shared.has_changed().unwrap());
    assert!(!diary.has_changed().unwrap());
    shared.mark_unchanged();
}

#[test]
fn what_another_device_sends_is_checked_and_a_refusal_keeps_no_state() {
    let tmp = tempfile::tempdir().unwrap();
    let [a1, a2, ..] = four(tmp.path());
    let mut session = a1.diary_replica_for(endpoint_of(&a2)).begin().unwrap();
    let before = a1.partner_state().unwrap().diary_sync_states;
    let e = session.receive(b"not a sync message").unwrap_err();
    assert!(e.is_refusal(), "{e}");
    session.end();
    assert_eq!(a1.partner_state().unwrap().diary_sync_states, before);
    // No step of a release of history belongs on the diary's protocol.
    let mut session = a1.diary_replica_for(endpoint_of(&a2)).begin().unwrap();
    let step = kintsugi_net::sync::Release::Ask { id: [1; 16] };
    assert!(session.release_receive(step).unwrap_err().is_refusal());
    assert!(session.release_outbox().unwrap().is_empty());
}

#[test]
fn a_panic_while_applying_reloads_the_diary_and_leaves_the_device_usable() {
    let tmp = tempfile::tempdir().unwrap();
    let d = Device::create(&tmp.path().join("p"), "Ari", PASS, opts()).unwrap();
    d.add_diary_entry("durable", None, None).unwrap();
    let me = d.me().unwrap();
    let r: crate::Result<()> = d.with(|i| {
        crate::bounded::apply_from_partner(&mut i.diary, |diary| {
            // Changed in memory, never written: what a panic halfway through leaves.
            diary
                .doc
                .add_entry(&me, "half-applied", None, None, 1)
                .unwrap();
            panic!("a stand-in for a panic inside Automerge");
        })
    });
    assert!(
        matches!(r, Err(DeviceError::Refused(Refusal::Failed))),
        "{r:?}"
    );
    assert_eq!(diary_texts(&d), vec!["durable".to_owned()]);
    d.add_diary_entry("afterwards", None, None).unwrap();
    assert_eq!(diary_texts(&d).len(), 2);
}

/// While the diary is on another device of mine, releasing its history here is
/// refused: the other copy would keep all of it. Once that device is removed, the
/// release goes ahead, and the diary must not take the old history back from the
/// removed device, which still holds it: its sessions run under other keys and
/// another epoch from then on, a session that began before ends, and the old sync
/// states are forgotten.
#[test]
fn releasing_the_diary_waits_for_it_to_be_on_one_device_and_never_takes_the_old_back() {
    let tmp = tempfile::tempdir().unwrap();
    let [a1, a2, ..] = four(tmp.path());
    a1.add_diary_entry("first wording", None, None).unwrap();
    sync_diary_pair(&a1, &a2);
    let before = diary_texts(&a1);
    assert!(a1.release_status().unwrap().diary_blocked.is_some());
    let e = a1.release_diary_history().unwrap_err();
    assert!(
        matches!(e, DeviceError::Release(_)) && e.to_string().contains("other devices"),
        "{e}"
    );
    assert_eq!(diary_texts(&a1), before);
    let mut running = a1.diary_replica_for(endpoint_of(&a2)).begin().unwrap();
    a1.revoke(&endpoint_of(&a2).to_string()[..8]).unwrap();
    let old_keys = a1.diary_keys().unwrap().unwrap();
    assert!(a1.release_status().unwrap().diary_blocked.is_none());
    a1.release_diary_history().unwrap();
    let new_keys = a1.diary_keys().unwrap().unwrap();
    assert_ne!(new_keys, old_keys);
    assert_ne!(new_keys.epoch(), a2.diary_keys().unwrap().unwrap().epoch());
    assert!(running.generate().is_err());
    assert!(!running.in_sync());
    assert!(a1.partner_state().unwrap().diary_sync_states.is_empty());
    assert_eq!(diary_texts(&a1), before);
}

async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..600 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what}: not within 60 s");
}

fn boundaries(d: &Device) -> Vec<String> {
    let mut t: Vec<String> = d
        .boundaries()
        .unwrap()
        .iter()
        .map(|b| b.text.clone())
        .collect();
    t.sort();
    t
}

/// A stop signal that never comes (a closed one would stop at once).
fn running() -> tokio::sync::watch::Receiver<bool> {
    let (tx, rx) = tokio::sync::watch::channel(false);
    std::mem::forget(tx);
    rx
}

/// Four devices on real endpoints, each syncing live. A diary entry written on A1
/// reaches A2; once a shared entry written after it has reached B1 and B2, neither
/// of their profiles holds a byte of it (logs, their history, sealed files, all
/// decrypted), and A2's does. Then the gates are set wrong on purpose, letting B1
/// through A1's diary gate and the other way round: the session still fails at the
/// handshake, since B1 does not hold Ari's self key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_the_network_the_diary_reaches_my_other_device_and_never_my_partners() {
    let tmp = tempfile::tempdir().unwrap();
    let devices = four(tmp.path());
    let nets = on_loopback(&devices).await;
    for net in &nets {
        assert!(net.start_sync().unwrap());
    }
    let [a1, a2, b1, b2] = &devices;
    let [ia1, ia2, ib1, ib2] = [a1, a2, b1, b2].map(endpoint_of);
    assert_eq!(nets[0].node().allowed_own(), vec![ia2]);
    assert_eq!(nets[2].node().allowed_own(), vec![ib2]);

    a1.add_diary_entry(CANARY, None, None).unwrap();
    eventually("A2 holds A1's diary entry", || {
        diary_texts(a2) == vec![CANARY.to_owned()]
    })
    .await;
    // What the Devices section shows beside each of them: the path of the session
    // running now, and when it last synced.
    eventually("A1's sessions with A2 and B1 show their path", || {
        [ia2, ib1].iter().all(|id| {
            nets[0]
                .path_to(&id.to_string())
                .is_some_and(|p| p.starts_with("direct, "))
        })
    })
    .await;
    let rows = a1.devices().unwrap().devices;
    for id in [ia2, ib1] {
        let row = rows.iter().find(|r| r.endpoint == id.to_string()).unwrap();
        assert!(row.last_sync.is_some(), "{row:?}");
    }
    assert!(nets[0].path_to("not a device").is_none());
    a1.propose_boundary("after the diary, from A1", None)
        .unwrap();
    a2.propose_boundary("after the diary, from A2", None)
        .unwrap();
    eventually("B1 and B2 hold both boundaries", || {
        [b1, b2].iter().all(|d| boundaries(d).len() == 2)
    })
    .await;
    assert!(diary_texts(b1).is_empty() && diary_texts(b2).is_empty());

    // A gate set wrong on both sides: the handshake still stops B1.
    nets[0].node().set_allowed_own([ia2, ib1]);
    nets[2].node().set_allowed_own([ib2, ia1]);
    let mut calls = nets[0].node().incoming_on(Protocol::Own, ib1);
    let a1_key = a1.diary_keys().unwrap().unwrap();
    let b1_key = b1.diary_keys().unwrap().unwrap();
    let (a1_replica, b1_replica) = (a1.diary_replica_for(ib1), b1.diary_replica_for(ia1));
    let accepting = async {
        let conn = calls.recv().await.unwrap();
        kintsugi_net::sync::accept(
            nets[0].node(),
            conn,
            &a1_key,
            a1_replica.as_ref(),
            Until::InSync,
            running(),
        )
        .await
    };
    let dialling = kintsugi_net::sync::dial(
        nets[2].node(),
        Protocol::Own,
        ia1,
        &b1_key,
        b1_replica.as_ref(),
        Until::InSync,
        running(),
    );
    let (accepted, dialled) = tokio::join!(accepting, dialling);
    // Neither holds the other's self key: they stop at the greetings.
    assert!(
        matches!(accepted, Err(NetError::NoCommonKey)),
        "{accepted:?}"
    );
    assert!(matches!(dialled, Err(NetError::NoCommonKey)), "{dialled:?}");

    for net in &nets {
        net.shutdown().await;
    }
    for d in [b1, b2] {
        assert!(diary_texts(d).is_empty());
        assert_eq!(found_in(&dir(d), CANARY), Vec::<String>::new());
    }
    assert!(!found_in(&dir(a2), CANARY).is_empty());
    let _ = ib2;
}
