//! Removing a device: the record, who stops accepting it, what is refused, and a
//! removal a crash cut short.

use kintsugi_journal::Refusal;

use crate::test_support::{PASS, endpoint_of, linked, opts, paired_known, sync_pair};
use crate::{Device, DeviceError};

fn four(tmp: &std::path::Path) -> [Device; 4] {
    let (a1, b1) = paired_known(tmp);
    let a2 = linked(&a1, &tmp.join("a2"));
    let b2 = linked(&b1, &tmp.join("b2"));
    sync_all(&[&a1, &a2, &b1, &b2]);
    [a1, a2, b1, b2]
}

/// A2 ↔ A1 ↔ B1 ↔ B2, often enough for anything to cross.
fn sync_all(d: &[&Device; 4]) {
    for _ in 0..3 {
        sync_pair(d[1], d[0]);
        sync_pair(d[0], d[2]);
        sync_pair(d[2], d[3]);
    }
}

fn hex(d: &Device) -> String {
    endpoint_of(d).to_string()
}

#[test]
fn a_removed_device_is_dropped_by_every_device_that_read_the_record() {
    let tmp = tempfile::tempdir().unwrap();
    let [a1, a2, b1, b2] = four(tmp.path());
    let gen_before = a1.with(|i| Ok(i.keys.keyring.person.clone())).unwrap();

    let removed = a1.revoke(&hex(&a2)[..8]).unwrap();
    assert_eq!(removed.endpoint, hex(&a2));
    // A1 stops at once; B1 and B2 once the record reached them.
    assert!(!a1.sync_peers().unwrap().contains(&endpoint_of(&a2)));
    assert!(b1.sync_peers().unwrap().contains(&endpoint_of(&a2)));
    sync_pair(&a1, &b1);
    sync_pair(&b1, &b2);
    for d in [&a1, &b1, &b2] {
        let peers = d.sync_peers().unwrap();
        assert!(!peers.contains(&endpoint_of(&a2)), "{peers:?}");
        assert_eq!(peers.len(), 2, "{peers:?}");
        let list = d.devices().unwrap();
        let row = list
            .devices
            .iter()
            .find(|r| r.endpoint == hex(&a2))
            .unwrap();
        assert!(row.revoked && row.mine == (d.me().unwrap() == a1.me().unwrap()));
        assert!(list.refused.is_empty(), "{:?}", list.refused);
    }
    // A1 moved to the person's next key; the removed device still holds the old one.
    let after = a1
        .with(|i| Ok(i.keys.keyring.person.clone()))
        .unwrap()
        .unwrap();
    let before = gen_before.unwrap();
    assert_eq!(after.generation, before.generation + 1);
    assert_ne!(after.seed, before.seed);
    let old = a2
        .with(|i| Ok(i.keys.keyring.person.clone()))
        .unwrap()
        .unwrap();
    assert_eq!(old.seed, before.seed);

    // What the removed device signs with the old key afterwards counts nowhere: a
    // device it "links" is refused by the other three.
    sync_pair(&a2, &a1);
    assert!(a2.is_removed().unwrap());
    let e = a2.vouch_for([77; 32], "thief's").unwrap_err().to_string();
    assert!(e.contains("removed"), "{e}");
}

#[test]
fn a_record_the_removed_device_forges_with_the_old_key_is_refused_everywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let [a1, a2, b1, b2] = four(tmp.path());
    // A2 links a device before it hears of its removal (it is offline, say)...
    a1.revoke(&hex(&a2)[..6]).unwrap();
    let forged = a2.vouch_for([77; 32], "thief's").unwrap();
    drop(forged);
    // ...and its record reaches the others through some device that still talks to
    // it (here: directly, as an honest device that has not heard yet would).
    sync_pair(&a2, &b2);
    for _ in 0..2 {
        sync_pair(&b2, &b1);
        sync_pair(&b1, &a1);
    }
    let key = format!("device:{}", "4d".repeat(32));
    for d in [&a1, &b1, &b2] {
        let list = d.devices().unwrap();
        assert!(
            !list.devices.iter().any(|r| r.endpoint == "4d".repeat(32)),
            "{list:?}"
        );
        assert!(
            list.refused.iter().any(|(k, _)| *k == key),
            "{:?}",
            list.refused
        );
        assert!(!d.sync_peers().unwrap().contains(&endpoint_of(&a2)));
    }
    let set = b1.device_set().unwrap();
    assert!(matches!(
        set.refused.iter().find(|(k, _)| *k == key).map(|(_, r)| r),
        Some(Refusal::NotKept | Refusal::NotSponsored)
    ));
}

#[test]
fn only_my_other_devices_can_be_removed_and_each_refusal_says_why() {
    let tmp = tempfile::tempdir().unwrap();
    let [a1, a2, b1, _b2] = four(tmp.path());
    let cases = [
        (hex(&a1), "the device you are using"),
        (hex(&b1), "only your partner"),
        ("ffffffff".to_owned(), "no device"),
    ];
    for (id, says) in cases {
        let e = a1.revoke(&id).unwrap_err().to_string();
        assert!(e.contains(says), "{id}: {e}");
    }
    assert!(matches!(a1.revoke("ab"), Err(DeviceError::BadInput { .. })));
    a1.revoke(&hex(&a2)).unwrap();
    let e = a1.revoke(&hex(&a2)).unwrap_err().to_string();
    assert!(e.contains("removed already"), "{e}");
}

/// The key for the next generation is kept before the record is written: a removal
/// cut short at either point (before the record, or after it and before the keyring
/// moved on) is finished by the next attempt, with the key it began with.
#[test]
fn a_removal_cut_short_is_finished_with_the_key_it_began_with() {
    let tmp = tempfile::tempdir().unwrap();
    let [a1, a2, b1, _b2] = four(tmp.path());
    let dir = a1.profile_dir().unwrap();
    let old = a1
        .with(|i| Ok(i.keys.keyring.person.clone()))
        .unwrap()
        .unwrap();
    let (e1, e2) = (*endpoint_of(&a1).as_bytes(), *endpoint_of(&a2).as_bytes());
    let pending = || super::Pending {
        revoking: Some(super::Revoking {
            endpoint: e2,
            generation: old.generation,
            next_seed: [5; 32],
            keep: vec![e1],
            at: 1,
        }),
    };
    let moved_on = |d: &Device| {
        let p = d
            .with(|i| Ok(i.keys.keyring.person.clone()))
            .unwrap()
            .unwrap();
        p.generation == old.generation + 1 && p.seed.expose() == &[5; 32]
    };

    // Cut short before the record: only the pending removal is on disk.
    a1.with(|i| super::PENDING.write(i, &pending())).unwrap();
    drop(a1);
    let a1 = Device::unlock(&dir, PASS, opts()).unwrap();
    assert!(!moved_on(&a1));
    a1.finish_revocation().unwrap();
    assert!(moved_on(&a1));
    assert!(!dir.join(super::PENDING.name).exists());
    a1.finish_revocation().unwrap();
    assert!(moved_on(&a1));

    // Cut short after the record: the keyring still has the old key.
    a1.with(|i| {
        i.keys.update(|k| k.person = Some(old.clone()))?;
        super::PENDING.write(i, &pending())
    })
    .unwrap();
    drop(a1);
    let a1 = Device::unlock(&dir, PASS, opts()).unwrap();
    a1.finish_revocation().unwrap();
    assert!(moved_on(&a1));

    sync_pair(&a1, &b1);
    assert!(!b1.sync_peers().unwrap().contains(&endpoint_of(&a2)));
    assert!(b1.devices().unwrap().refused.is_empty());
}

/// A bundle carries changes between any two devices of the couple, and never from a
/// removed one, once the importing device has heard of the removal.
#[test]
fn bundles_come_from_any_device_of_the_couple_but_a_removed_one() {
    let tmp = tempfile::tempdir().unwrap();
    let [a1, a2, b1, b2] = four(tmp.path());
    b2.propose_boundary("carried from B2", None).unwrap();
    assert!(a1.import_bundle(&b2.export_bundle().unwrap()).unwrap());
    assert!(
        a1.boundaries()
            .unwrap()
            .iter()
            .any(|b| b.text == "carried from B2")
    );

    a1.revoke(&hex(&a2)).unwrap();
    sync_pair(&a1, &b1);
    a2.propose_boundary("from the removed device", None)
        .unwrap();
    let from_removed = a2.export_bundle().unwrap();
    for d in [&a1, &b1] {
        assert!(matches!(
            d.import_bundle(&from_removed),
            Err(DeviceError::BadBundle(crate::BundleProblem::WrongSender))
        ));
        assert!(
            !d.boundaries()
                .unwrap()
                .iter()
                .any(|b| b.text == "from the removed device")
        );
    }
}
