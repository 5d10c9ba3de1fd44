//! Each device of a pair publishes its person's key, tied to its own endpoint id, and
//! both devices read the same list of devices out of the shared journal.

use kintsugi_crypto::{Secret32, sign, signing_public};
use kintsugi_journal::{DeviceRecord, signed_bytes};

use crate::test_support::{PASS, opts, paired, paired_known, sync_directly};
use crate::{Device, ExportFormat, ExportScope, FIRST_DEVICE_LABEL};

fn journal_bytes(d: &Device) -> Vec<u8> {
    d.export(ExportFormat::Automerge, ExportScope::Shared)
        .unwrap()
}

#[test]
fn both_devices_of_a_pair_list_both_first_devices_signed() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = paired(tmp.path());
    // Before anything is published, each trusts the first devices it knows of.
    let before = a.devices().unwrap();
    assert_eq!(before.devices.len(), 2, "{before:?}");
    assert!(before.devices[0].this_device && !before.devices[0].signed);
    assert!(!before.devices[1].mine && !before.devices[1].signed);

    for d in [&a, &b] {
        d.publish_identity().unwrap();
        // Publishing again writes nothing.
        let once = journal_bytes(d);
        d.publish_identity().unwrap();
        assert_eq!(journal_bytes(d), once);
    }
    sync_directly(&a, &b);
    for (d, other) in [(&a, &b), (&b, &a)] {
        let list = d.devices().unwrap();
        assert!(list.refused.is_empty(), "{:?}", list.refused);
        assert_eq!(list.devices.len(), 2, "{list:?}");
        let (this, partner) = (&list.devices[0], &list.devices[1]);
        assert!(this.this_device && this.mine && this.signed && !this.revoked);
        assert!(!partner.this_device && !partner.mine && partner.signed);
        assert_eq!(this.label.as_deref(), Some(FIRST_DEVICE_LABEL));
        assert_eq!(this.endpoint, super::hex(&d.endpoint_bytes().unwrap()));
        assert_eq!(
            partner.endpoint,
            super::hex(&other.endpoint_bytes().unwrap())
        );
    }
}

#[test]
fn an_unpaired_device_publishes_nothing_and_makes_no_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("alone");
    let d = Device::create(&dir, "Ari", PASS, opts()).unwrap();
    let before = journal_bytes(&d);
    d.publish_identity().unwrap();
    assert_eq!(journal_bytes(&d), before);
    assert!(d.with(|i| Ok(i.keys.keyring.person.is_none())).unwrap());
}

#[test]
fn a_record_not_signed_by_the_person_vouches_for_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = paired_known(tmp.path());
    // Bea's device writes a device for Ari, signed by a key Ari never had and
    // vouched for by her own device.
    let ari = a.me().unwrap();
    let stranger = Secret32::from_bytes([7; 32]);
    let bea_secret = b
        .with(|i| Ok(i.keys.keyring.device_secret.clone()))
        .unwrap();
    let forged = DeviceRecord::Device {
        person: ari,
        endpoint: signing_public(&Secret32::from_bytes([8; 32])),
        label: "Ari's other laptop".into(),
        generation: 0,
        sponsor: b.endpoint_bytes().unwrap(),
        at: 1,
        sig: [0; 64],
        cosig: [0; 64],
    };
    let bytes = signed_bytes(&forged);
    let forged = forged.with_signatures(sign(&stranger, &bytes), sign(&bea_secret, &bytes));
    b.write_shared(|s, _, now| s.put_device_record(&forged, now))
        .unwrap();
    sync_directly(&a, &b);
    for d in [&a, &b] {
        let list = d.devices().unwrap();
        assert_eq!(list.devices.len(), 2, "{list:?}");
        assert_eq!(list.refused.len(), 1, "{:?}", list.refused);
        assert!(list.refused[0].0.starts_with("device:"));
    }
}

/// Two processes of one profile (the app, and `kintsugi sync` started beside it)
/// publish at once: the second finds the records written and takes them as its own.
#[test]
fn two_processes_publishing_at_once_write_one_record_each() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = paired(tmp.path());
    let other = Device::unlock(&tmp.path().join("a"), PASS, opts()).unwrap();
    a.publish_identity().unwrap();
    other.publish_identity().unwrap();
    let keys = |d: &Device| {
        d.with(|i| Ok(i.keys.keyring.person.clone()))
            .unwrap()
            .unwrap()
    };
    assert_eq!(keys(&a).seed, keys(&other).seed, "one person key");
    b.publish_identity().unwrap();
    sync_directly(&other, &b);
    let list = b.devices().unwrap();
    assert!(list.refused.is_empty(), "{:?}", list.refused);
    assert!(list.devices.iter().all(|d| d.signed), "{list:?}");
    let records = other.read_shared(|s, _| s.device_records()).unwrap();
    assert_eq!(records.len(), 4, "{records:?}");
}
