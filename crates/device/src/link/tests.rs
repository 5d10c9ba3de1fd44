//! Linking stores what it should on both sides, and four devices (two people, two
//! devices each) share one journal, each change travelling on from device to device.

use kintsugi_store::Unlocked;

use crate::test_support::{
    PASS, endpoint_of, linked, opts, paired, paired_known, sync_directly, sync_pair,
};
use crate::{Device, DeviceError, Transfer};

fn texts(d: &Device) -> Vec<String> {
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
fn a_transfer_reads_back_and_every_cut_or_addition_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = paired(tmp.path());
    a.publish_identity().unwrap();
    sync_directly(&a, &b);
    let transfer = a.vouch_for([9; 32], "laptop").unwrap();
    let bytes = transfer.encode().unwrap();
    assert_eq!(Transfer::decode(&bytes).unwrap(), transfer);
    assert!(transfer.pairing.is_some());
    assert_eq!(transfer.peers[0].endpoint, endpoint_of(&b).as_bytes()[..]);
    for cut in 0..bytes.len() {
        assert!(
            matches!(Transfer::decode(&bytes[..cut]), Err(DeviceError::Link(_))),
            "cut at {cut}"
        );
    }
    let mut longer = bytes.to_vec();
    longer.push(0);
    assert!(matches!(
        Transfer::decode(&longer),
        Err(DeviceError::Link(_))
    ));
    for version in [1, 3] {
        let mut other = bytes.to_vec();
        other[0] = version;
        let e = Transfer::decode(&other).unwrap_err().to_string();
        assert!(e.contains("update Kintsugi"), "{e}");
    }
}

#[test]
fn only_a_blank_profile_becomes_another_device_and_only_once() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, _b) = paired(tmp.path());
    a.publish_identity().unwrap();
    // A profile with a name of its own (a journal) takes no one else's.
    let own = Device::create(&tmp.path().join("own"), "Cy", PASS, opts()).unwrap();
    let transfer = a.vouch_for(own.endpoint_bytes().unwrap(), "desk").unwrap();
    let before = Unlocked::unlock(&tmp.path().join("own"), PASS)
        .unwrap()
        .keyring
        .clone();
    let e = own
        .adopt(&transfer, a.endpoint_bytes().unwrap(), Vec::new(), None)
        .unwrap_err();
    assert!(matches!(e, DeviceError::Link(_)), "{e}");
    let after = Unlocked::unlock(&tmp.path().join("own"), PASS)
        .unwrap()
        .keyring
        .clone();
    assert_eq!(before, after, "a refused transfer changed the keyring");

    // A blank one takes it once; a second transfer finds it linked.
    let new = linked(&a, &tmp.path().join("new"));
    assert_eq!(new.me().unwrap(), a.me().unwrap());
    let again = a.vouch_for([8; 32], "other").unwrap();
    assert!(matches!(
        new.adopt(&again, a.endpoint_bytes().unwrap(), Vec::new(), None),
        Err(DeviceError::Link(_))
    ));
    // No device secret travelled: the new device has its own identity.
    assert_ne!(new.endpoint_bytes().unwrap(), a.endpoint_bytes().unwrap());
    // And vouching twice for one device is refused by name.
    assert!(matches!(
        a.vouch_for(new.endpoint_bytes().unwrap(), "laptop"),
        Err(DeviceError::Link(_))
    ));
}

#[test]
fn an_unpaired_device_links_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let a = Device::create(&tmp.path().join("a"), "Ari", PASS, opts()).unwrap();
    assert!(matches!(
        a.vouch_for([9; 32], "laptop"),
        Err(DeviceError::NotPaired(_))
    ));
}

/// A1 and B1 paired; A2 linked to A1, B2 to B1. A2 only ever meets A1, B2 only B1:
/// what A2 writes still reaches B2 (by way of A1 and B1), each device accepts the
/// other person's second device on that person's signature, and every device keeps
/// a sync state of its own for each peer.
#[test]
fn four_devices_share_one_journal_and_each_change_travels_on() {
    let tmp = tempfile::tempdir().unwrap();
    let (a1, b1) = paired_known(tmp.path());
    let a2 = linked(&a1, &tmp.path().join("a2"));
    let b2 = linked(&b1, &tmp.path().join("b2"));

    a2.propose_boundary("written on A2", None).unwrap();
    b2.propose_boundary("written on B2", None).unwrap();
    // Three hops from B2 to A2: B2 → B1 → A1 → A2.
    for _ in 0..3 {
        sync_pair(&a2, &a1);
        sync_pair(&a1, &b1);
        sync_pair(&b1, &b2);
    }
    let all = vec!["written on A2".to_owned(), "written on B2".to_owned()];
    for (name, d) in [("A1", &a1), ("A2", &a2), ("B1", &b1), ("B2", &b2)] {
        assert_eq!(texts(d), all, "{name}");
    }
    // Everyone agrees on who is in: four active devices, nothing refused.
    let ids: Vec<_> = [&a1, &a2, &b1, &b2].map(endpoint_of).into();
    for d in [&a1, &a2, &b1, &b2] {
        let list = d.devices().unwrap();
        assert!(list.refused.is_empty(), "{:?}", list.refused);
        assert_eq!(list.devices.len(), 4, "{list:?}");
        assert!(list.devices.iter().all(|r| r.signed && !r.revoked));
        let mut want: Vec<_> = ids
            .iter()
            .copied()
            .filter(|i| *i != endpoint_of(d))
            .collect();
        want.sort();
        assert_eq!(d.sync_peers().unwrap(), want);
    }
    // The second device's name is Ari's, as written on A1.
    assert_eq!(a2.me().unwrap(), a1.me().unwrap());

    // Each peer has its own sync state: A1 keeps one for B1 and one for A2, and a
    // session with B1 changes only B1's.
    let before = a1.partner_state().unwrap();
    a1.propose_boundary("only B1 has heard", None).unwrap();
    sync_pair(&a1, &b1);
    let state = a1.partner_state().unwrap();
    assert_ne!(state.sync_state, before.sync_state);
    assert_eq!(state.devices, before.devices);
    assert!(state.sync_state.is_some());
    let for_a2 = &state.devices[&endpoint_of(&a2).to_string()];
    assert!(for_a2.sync_state.is_some());
    assert_ne!(for_a2.sync_state, state.sync_state);

    // With the states kept apart, a later change costs a small message, not a
    // resend of what the peer already holds.
    a2.propose_boundary("one more", None).unwrap();
    let sent = sync_pair(&a2, &a1);
    let total: usize = sent.iter().sum();
    assert!(
        total < 4096,
        "sent {total} bytes for one boundary: {sent:?}"
    );
}
