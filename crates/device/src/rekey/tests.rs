//! New keys after a removal: who gets them, by which way, and what is refused.

use kintsugi_crypto::Secret32;
use kintsugi_net::sync::{KeyId, Rekey, ReplicaError};

use crate::test_support::{
    endpoint_of, linked, on_loopback, paired_known, sync_diary_pair, sync_pair,
};
use crate::{BundleProblem, Device, DeviceError};

/// A1 and B1 paired, A2 and A3 linked to A1, B2 to B1, and every record on all five.
fn five(tmp: &std::path::Path) -> [Device; 5] {
    let (a1, b1) = paired_known(tmp);
    let a2 = linked(&a1, &tmp.join("a2"));
    let a3 = linked(&a1, &tmp.join("a3"));
    let b2 = linked(&b1, &tmp.join("b2"));
    for _ in 0..2 {
        sync_pair(&a1, &a2);
        sync_pair(&a1, &a3);
        sync_pair(&a1, &b1);
        sync_pair(&b1, &b2);
    }
    [a1, a2, a3, b1, b2]
}

fn couple(d: &Device) -> KeyId {
    d.couple_keys().unwrap().unwrap().current_id()
}

fn own(d: &Device) -> KeyId {
    d.diary_keys().unwrap().unwrap().current_id()
}

fn signing_generation(d: &Device) -> u32 {
    d.with(|i| Ok(i.keys.keyring.person.as_ref().unwrap().generation))
        .unwrap()
}

fn hex(d: &Device) -> String {
    endpoint_of(d).to_string()
}

#[test]
fn the_new_couple_key_reaches_every_kept_device_and_a_removed_one_opens_no_new_bundle() {
    let tmp = tempfile::tempdir().unwrap();
    let [a1, a2, a3, b1, b2] = five(tmp.path());
    let before = couple(&a1);
    assert_eq!(before.generation, 0);
    a1.revoke(&hex(&a2)[..8]).unwrap();
    let after = couple(&a1);
    assert_eq!(after.generation, 1);
    // The old key is kept for the devices that have not heard yet.
    let keys = a1.couple_keys().unwrap().unwrap();
    assert_eq!(KeyId::of(0, keys.of(0).unwrap()), before);
    assert_eq!(keys.epoch(), a2.couple_keys().unwrap().unwrap().epoch());

    // Device by device: B2 gets it from B1, never having met A1.
    sync_pair(&a1, &b1);
    assert_eq!(couple(&b1), after);
    assert_ne!(couple(&b2), after);
    sync_pair(&b1, &b2);
    assert_eq!(couple(&b2), after);
    sync_pair(&a1, &a3);
    assert_eq!(couple(&a3), after);
    // The removed device still holds only what it had.
    assert_eq!(couple(&a2), before);

    // A bundle made after the removal opens on the kept devices and not on A2.
    b2.propose_boundary("after the removal", None).unwrap();
    let bundle = b2.export_bundle().unwrap();
    assert!(a1.import_bundle(&bundle).unwrap());
    let e = a2.import_bundle(&bundle).unwrap_err();
    assert!(
        matches!(e, DeviceError::BadBundle(BundleProblem::NewerKey)),
        "{e}"
    );
    // And one A2 seals under the old key is refused where the new key is held,
    // whoever it claims to come from.
    let old = a2.export_bundle().unwrap();
    let e = b1.import_bundle(&old).unwrap_err();
    assert!(
        matches!(
            e,
            DeviceError::BadBundle(BundleProblem::ReplacedKey | BundleProblem::WrongSender)
        ),
        "{e}"
    );
    // The three keep syncing under the new key, and further syncs change no key.
    sync_pair(&b2, &b1);
    sync_pair(&a3, &a1);
    for d in [&a1, &a3, &b1, &b2] {
        assert_eq!(couple(d), after);
    }
}

#[test]
fn the_new_self_key_and_signing_key_reach_my_other_device_only() {
    let tmp = tempfile::tempdir().unwrap();
    let [a1, a2, a3, b1, b2] = five(tmp.path());
    let bea_own = own(&b1);
    a1.revoke(&hex(&a2)[..8]).unwrap();
    assert_eq!(own(&a1).generation, 1);
    assert_eq!(signing_generation(&a1), 1);
    // A3 hears of the removal through the shared journal, then gets the keys on
    // the diary's way.
    sync_pair(&a1, &a3);
    assert_eq!(own(&a3).generation, 0);
    sync_diary_pair(&a1, &a3);
    assert_eq!(own(&a3), own(&a1));
    assert_eq!(signing_generation(&a3), 1);
    assert_eq!(
        a3.with(|i| Ok(i.keys.keyring.person.clone())).unwrap(),
        a1.with(|i| Ok(i.keys.keyring.person.clone())).unwrap(),
    );
    // Bea's devices hold none of it.
    sync_pair(&a1, &b1);
    sync_pair(&b1, &b2);
    for d in [&b1, &b2] {
        assert_eq!(own(d), bea_own);
    }
    assert_eq!(own(&a2).generation, 0);
    // With the new signing key, A3 can add a device that Bea's devices accept.
    let a4 = linked(&a3, &tmp.path().join("a4"));
    sync_pair(&a3, &a1);
    sync_pair(&a1, &b1);
    assert!(b1.sync_peers().unwrap().contains(&endpoint_of(&a4)));
    assert!(b1.devices().unwrap().refused.is_empty());
}

#[test]
fn a_key_without_a_known_removal_or_from_the_wrong_place_is_refused_and_nothing_stored() {
    let tmp = tempfile::tempdir().unwrap();
    let [a1, a2, a3, b1, _b2] = five(tmp.path());
    let stored = |d: &Device| d.with(|i| Ok(i.keys.keyring.clone())).unwrap();
    let offer = |to: &Device, from: &Device, diary: bool, rekey: Rekey| {
        let replica = if diary {
            to.diary_replica_for(endpoint_of(from))
        } else {
            to.sync_replica_for(endpoint_of(from))
        };
        replica.begin().unwrap().rekey_receive(rekey)
    };
    let fresh = |removed: Vec<[u8; 32]>, person: Option<(u32, Secret32)>| Rekey {
        generation: 5,
        key: Secret32::from_bytes([7; 32]),
        removed,
        person,
    };
    let before = stored(&b1);
    // Nobody was removed: a key naming A2 waits for the record (a later session).
    let a2_id = a2.endpoint_bytes().unwrap();
    let e = offer(&b1, &a1, false, fresh(vec![a2_id], None)).unwrap_err();
    assert!(matches!(e, ReplicaError::Other(_)), "{e}");
    // A key naming no removal, or carrying a signing key on the couple's way.
    for rekey in [
        fresh(vec![], None),
        fresh(vec![a2_id], Some((1, Secret32::from_bytes([1; 32])))),
    ] {
        let e = offer(&b1, &a1, false, rekey).unwrap_err();
        assert!(matches!(e, ReplicaError::Refused(_)), "{e}");
    }
    assert_eq!(stored(&b1), before);

    a1.revoke(&hex(&a2)[..8]).unwrap();
    sync_pair(&a1, &b1);
    sync_pair(&a1, &a3);
    let (b1_now, a3_now) = (stored(&b1), stored(&a3));
    // From the removed device itself.
    let e = offer(&b1, &a2, false, fresh(vec![a2_id], None)).unwrap_err();
    assert!(matches!(e, ReplicaError::Refused(_)), "{e}");
    // A signing key that is not the one the removal record names.
    let wrong = fresh(vec![a2_id], Some((1, Secret32::from_bytes([9; 32]))));
    let e = offer(&a3, &a1, true, wrong).unwrap_err();
    assert!(matches!(e, ReplicaError::Refused(_)), "{e}");
    // A self key without the signing key on the diary's way.
    let e = offer(&a3, &a1, true, fresh(vec![a2_id], None)).unwrap_err();
    assert!(matches!(e, ReplicaError::Refused(_)), "{e}");
    assert_eq!(stored(&b1), b1_now);
    assert_eq!(stored(&a3), a3_now);
}

#[test]
fn two_removals_at_once_end_with_one_key_that_neither_removed_device_was_given() {
    let tmp = tempfile::tempdir().unwrap();
    let [a1, a2, a3, b1, b2] = five(tmp.path());
    // Each person removes a device before hearing of the other's removal.
    a1.revoke(&hex(&a2)[..8]).unwrap();
    b1.revoke(&hex(&b2)[..8]).unwrap();
    let (ka, kb) = (couple(&a1), couple(&b1));
    assert_eq!((ka.generation, kb.generation), (1, 1));
    assert_ne!(ka, kb);
    sync_pair(&a1, &b1);
    sync_pair(&a1, &b1);
    let agreed = couple(&a1);
    assert_eq!(couple(&b1), agreed);
    // Whichever key won, the device that gave up its own made the next one.
    assert_eq!(agreed.generation, 2);
    assert!(agreed != ka && agreed != kb);
    sync_pair(&a1, &a3);
    assert_eq!(couple(&a3), agreed);
    for removed in [&a2, &b2] {
        assert_eq!(couple(removed).generation, 0);
    }
}

/// Over real endpoints, one-shot syncs as `kintsugi sync --once` runs them on both
/// sides at once: the key reaches the partner's device even when it is given last,
/// after the other side has finished (the connection stays open until it is read),
/// and the self key reaches my other device by the diary's one-shot sync.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_shot_syncs_carry_the_new_keys_over_the_network() {
    let tmp = tempfile::tempdir().unwrap();
    let [a1, a2, a3, b1, b2] = five(tmp.path());
    let devices = [a1, a3, b1];
    let nets = on_loopback(&devices).await;
    let [a1, a3, b1] = &devices;
    a1.revoke(&hex(&a2)[..8]).unwrap();
    let timeout = std::time::Duration::from_secs(20);
    let both = |x: usize, y: usize| {
        let (nx, ny) = (&nets[x], &nets[y]);
        async move {
            let (rx, ry) = tokio::join!(nx.sync_once(timeout), ny.sync_once(timeout));
            rx.unwrap();
            ry.unwrap();
        }
    };
    // The first sync carries the removal record and then the key.
    both(0, 2).await;
    assert_eq!(couple(b1), couple(a1));
    // My other device: the diary's one-shot sync may be in sync before the shared
    // journal has brought the record; the next sync takes the key then.
    for _ in 0..3 {
        both(0, 1).await;
        if own(a3) == own(a1) && couple(a3) == couple(a1) {
            break;
        }
    }
    assert_eq!(couple(a3), couple(a1));
    assert_eq!(own(a3), own(a1));
    assert_eq!(signing_generation(a3), 1);
    assert_eq!(couple(&b2).generation, 0);
    for net in &nets {
        net.shutdown().await;
    }
}
