//! Signed device records: writing and reading them in the shared journal, and which
//! devices the resolver lets in.
//!
//! Keys come from fixed seeds: Alice's person keys are seeds 1, 3, 4 (P_0 and two
//! candidates for P_1), her devices 10 (her first) to 15; Bob's person key is seed 2,
//! his devices 20 (his first) and 21.

use automerge::sync::{self as am_sync, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{ObjType, ROOT, ReadDoc};
use kintsugi_crypto::{Secret32, sign, signing_public};
use proptest::prelude::*;

use super::{NOW, alice, bob};
use crate::devices::resolve;
use crate::{
    DeviceRecord, DeviceSet, DiaryEntry, EntryKind, JournalError, PartnerId, Refusal,
    SharedJournal, SharedLists, signed_bytes,
};

type Listed = Vec<(String, Result<DeviceRecord, String>)>;

fn key(seed: u8) -> [u8; 32] {
    signing_public(&Secret32::from_bytes([seed; 32]))
}

/// `rec`, signed by the key of seed `by` and cosigned by that of `co`.
fn signed(mut rec: DeviceRecord, by: u8, co: u8) -> DeviceRecord {
    let msg = signed_bytes(&rec);
    let (sig, cosig) = match &mut rec {
        DeviceRecord::Person { sig, cosig, .. }
        | DeviceRecord::Device { sig, cosig, .. }
        | DeviceRecord::Revoked { sig, cosig, .. } => (sig, cosig),
    };
    *sig = sign(&Secret32::from_bytes([by; 32]), &msg);
    *cosig = sign(&Secret32::from_bytes([co; 32]), &msg);
    rec
}

fn person(who: PartnerId, public: u8, anchor: u8) -> DeviceRecord {
    let rec = DeviceRecord::Person {
        person: who,
        public: key(public),
        anchor: key(anchor),
        at: NOW,
        sig: [0; 64],
        cosig: [0; 64],
    };
    signed(rec, public, anchor)
}

/// Device `endpoint`, linked by `sponsor` at `generation`, whose key is seed `p`.
fn device(who: PartnerId, endpoint: u8, sponsor: u8, generation: u32, p: u8) -> DeviceRecord {
    let label = format!("device {endpoint}");
    let at = NOW + i64::from(endpoint);
    device_as(who, endpoint, sponsor, generation, &label, at, (p, sponsor))
}

/// A device record as [`device`] makes it, with this label and time, signed by the
/// keys of the seeds `(sig, cosig)`.
fn device_as(
    who: PartnerId,
    endpoint: u8,
    sponsor: u8,
    generation: u32,
    label: &str,
    at: i64,
    (by, co): (u8, u8),
) -> DeviceRecord {
    let rec = DeviceRecord::Device {
        person: who,
        endpoint: key(endpoint),
        label: label.into(),
        generation,
        sponsor: key(sponsor),
        at,
        sig: [0; 64],
        cosig: [0; 64],
    };
    signed(rec, by, co)
}

/// `endpoint` revoked by `by` at `generation`, whose key is seed `p`.
fn revocation(
    who: PartnerId,
    endpoint: u8,
    by: u8,
    generation: u32,
    p: u8,
    next: u8,
    keep: &[u8],
) -> DeviceRecord {
    let mut keep: Vec<[u8; 32]> = keep.iter().map(|k| key(*k)).collect();
    keep.sort();
    revocation_as(who, endpoint, by, generation, next, keep, (p, by))
}

/// A revocation as [`revocation`] makes it, keeping `keep` as given, signed by the
/// keys of the seeds `(sig, cosig)`.
fn revocation_as(
    who: PartnerId,
    endpoint: u8,
    by: u8,
    generation: u32,
    next: u8,
    keep: Vec<[u8; 32]>,
    (p, co): (u8, u8),
) -> DeviceRecord {
    let rec = DeviceRecord::Revoked {
        person: who,
        endpoint: key(endpoint),
        by: key(by),
        generation,
        next_public: key(next),
        keep,
        at: NOW + 100,
        sig: [0; 64],
        cosig: [0; 64],
    };
    signed(rec, p, co)
}

fn listed(recs: &[DeviceRecord]) -> Listed {
    recs.iter().map(|r| (r.key(), Ok(r.clone()))).collect()
}

fn anchors() -> Vec<(PartnerId, [u8; 32])> {
    vec![(alice(), key(10)), (bob(), key(20))]
}

fn resolved(recs: &[DeviceRecord]) -> DeviceSet {
    resolve(&listed(recs), &anchors())
}

fn refusal<'a>(set: &'a DeviceSet, rec: &DeviceRecord) -> Option<&'a Refusal> {
    set.refused
        .iter()
        .find(|(k, _)| *k == rec.key())
        .map(|(_, r)| r)
}

/// `who`'s active devices, as sorted endpoints.
fn active(set: &DeviceSet, who: &PartnerId) -> Vec<[u8; 32]> {
    let p = set.people.iter().find(|p| &p.person == who).unwrap();
    p.active.iter().map(|d| d.endpoint).collect()
}

fn sorted(seeds: &[u8]) -> Vec<[u8; 32]> {
    let mut keys: Vec<[u8; 32]> = seeds.iter().map(|s| key(*s)).collect();
    keys.sort();
    keys
}

fn flip_sig(mut rec: DeviceRecord, cosig: bool) -> DeviceRecord {
    match &mut rec {
        DeviceRecord::Person { sig, cosig: co, .. }
        | DeviceRecord::Device { sig, cosig: co, .. }
        | DeviceRecord::Revoked { sig, cosig: co, .. } => {
            if cosig {
                co[5] ^= 1;
            } else {
                sig[5] ^= 1;
            }
        }
    }
    rec
}

/// Both people with their first device's own record and a second device.
fn two_pairs() -> Vec<DeviceRecord> {
    vec![
        person(alice(), 1, 10),
        device(alice(), 10, 10, 0, 1),
        device(alice(), 11, 10, 0, 1),
        person(bob(), 2, 20),
        device(bob(), 20, 20, 0, 2),
        device(bob(), 21, 20, 0, 2),
    ]
}

#[test]
fn a_valid_chain_gives_each_person_two_devices() {
    let set = resolved(&two_pairs());
    assert_eq!(set.refused, []);
    assert_eq!(set.people.len(), 2);
    assert_eq!(active(&set, &alice()), sorted(&[10, 11]));
    assert_eq!(active(&set, &bob()), sorted(&[20, 21]));
    let a = &set.people[0];
    assert_eq!(
        (&a.person, a.generation, a.public),
        (&alice(), 0, Some(key(1)))
    );
    let first = a.active.iter().find(|d| d.endpoint == key(10)).unwrap();
    assert_eq!(first.label.as_deref(), Some("device 10"));
    assert_eq!((first.sponsor, first.at), (key(10), NOW + 10));
    let second = a.active.iter().find(|d| d.endpoint == key(11)).unwrap();
    assert_eq!((second.sponsor, second.generation), (key(10), 0));
    assert!(set.is_active(&key(21)) && !set.is_active(&key(12)));
    assert_eq!(set.person_of(&key(21)), Some(&bob()));
    assert_eq!(set.person_of(&key(11)), Some(&alice()));
    assert_eq!(set.active_endpoints(), sorted(&[10, 11, 20, 21]));
}

#[test]
fn a_device_linked_by_one_linked_at_the_same_generation_counts() {
    let set = resolved(&[
        person(alice(), 1, 10),
        device(alice(), 11, 10, 0, 1),
        device(alice(), 12, 11, 0, 1),
        device(alice(), 13, 12, 0, 1),
    ]);
    assert_eq!(set.refused, []);
    assert_eq!(active(&set, &alice()), sorted(&[10, 11, 12, 13]));
    // The first device has no record of its own: no label, in since the person's.
    let first = &set.people[0].active;
    let first = first.iter().find(|d| d.endpoint == key(10)).unwrap();
    assert_eq!((first.label.as_deref(), first.at), (None, NOW));
}

#[test]
fn without_records_each_person_has_the_first_device_trusted() {
    let set = resolve(&[], &anchors());
    assert_eq!(set.refused, []);
    for (p, first) in set.people.iter().zip([10, 20]) {
        assert_eq!((p.generation, p.public), (0, None));
        assert_eq!(active(&set, &p.person), [key(first)]);
    }
    // Device records cannot be checked without a person record.
    let linked = device(alice(), 11, 10, 0, 1);
    let set = resolved(std::slice::from_ref(&linked));
    assert_eq!(refusal(&set, &linked), Some(&Refusal::NotSponsored));
    assert_eq!(active(&set, &alice()), [key(10)]);
}

#[test]
fn a_flipped_byte_in_either_signature_is_refused() {
    for cosig in [false, true] {
        let bad = flip_sig(device(alice(), 11, 10, 0, 1), cosig);
        let set = resolved(&[person(alice(), 1, 10), bad.clone()]);
        assert_eq!(refusal(&set, &bad), Some(&Refusal::BadSignature), "{cosig}");
        assert_eq!(active(&set, &alice()), [key(10)]);

        let bad_person = flip_sig(person(alice(), 1, 10), cosig);
        let linked = device(alice(), 11, 10, 0, 1);
        let set = resolved(&[bad_person.clone(), linked.clone()]);
        assert_eq!(refusal(&set, &bad_person), Some(&Refusal::BadSignature));
        assert_eq!(refusal(&set, &linked), Some(&Refusal::NotSponsored));
        assert_eq!(set.people[0].public, None);
        assert_eq!(active(&set, &alice()), [key(10)]);
    }
}

#[test]
fn a_device_vouched_for_by_the_other_persons_device_is_refused() {
    // Bob's first device as the sponsor of one of Alice's.
    let by_bobs = device(alice(), 12, 20, 0, 1);
    // Alice's first device named as sponsor, but Bob's device cosigned.
    let cosigned_by_bobs = device_as(alice(), 13, 10, 0, "device 13", NOW, (1, 20));
    // Bob's first device claimed as one of Alice's.
    let claims_bobs = device(alice(), 20, 10, 0, 1);
    let mut recs = two_pairs();
    recs.retain(|r| r.key() != claims_bobs.key());
    recs.extend([
        by_bobs.clone(),
        cosigned_by_bobs.clone(),
        claims_bobs.clone(),
    ]);
    let set = resolved(&recs);
    assert_eq!(refusal(&set, &by_bobs), Some(&Refusal::NotSponsored));
    assert_eq!(
        refusal(&set, &cosigned_by_bobs),
        Some(&Refusal::BadSignature)
    );
    assert_eq!(refusal(&set, &claims_bobs), Some(&Refusal::UnknownPerson));
    assert_eq!(active(&set, &alice()), sorted(&[10, 11]));
    assert_eq!(active(&set, &bob()), sorted(&[20, 21]));
    assert_eq!(set.person_of(&key(20)), Some(&bob()));
}

#[test]
fn records_of_an_unknown_person_or_another_first_device_are_refused() {
    let carol = PartnerId::parse(&"c3".repeat(16)).unwrap();
    let carols = person(carol.clone(), 5, 50);
    let carols_device = device(carol, 51, 50, 0, 5);
    // Alice's person record, tied to a first device other than the trusted one.
    let elsewhere = person(alice(), 1, 11);
    let set = resolved(&[carols.clone(), carols_device.clone(), elsewhere.clone()]);
    assert_eq!(refusal(&set, &carols), Some(&Refusal::UnknownPerson));
    assert_eq!(refusal(&set, &carols_device), Some(&Refusal::UnknownPerson));
    assert_eq!(refusal(&set, &elsewhere), Some(&Refusal::UnknownPerson));
    assert_eq!(set.people.len(), 2);
    assert_eq!(set.people[0].public, None);
    assert_eq!(active(&set, &alice()), [key(10)]);
    assert_eq!(
        Refusal::UnknownPerson.to_string(),
        "not a person (or first device) this device trusts"
    );
}

#[test]
fn a_revoked_device_cannot_add_devices_afterwards() {
    let revoked = revocation(alice(), 11, 10, 0, 1, 3, &[10]);
    // Device 11 still knows P_0 and links another device with it, later.
    let late = device_as(alice(), 12, 11, 0, "device 12", NOW + 1000, (1, 11));
    // The first device links a new one with P_1.
    let after = device(alice(), 13, 10, 1, 3);
    // Device 11 at generation 1: not active there, and without P_1.
    let not_active = device(alice(), 14, 11, 1, 3);
    let old_key = device(alice(), 15, 10, 1, 1);
    let takes_over = revocation(alice(), 10, 11, 1, 1, 4, &[11]);
    let set = resolved(&[
        person(alice(), 1, 10),
        device(alice(), 11, 10, 0, 1),
        revoked,
        late.clone(),
        after,
        not_active.clone(),
        old_key.clone(),
        takes_over.clone(),
    ]);
    let a = &set.people[0];
    assert_eq!((a.generation, a.public), (1, Some(key(3))));
    assert_eq!(active(&set, &alice()), sorted(&[10, 13]));
    assert_eq!(a.revoked.len(), 1);
    assert_eq!((a.revoked[0].endpoint, a.revoked[0].by), (key(11), key(10)));
    assert_eq!(refusal(&set, &late), Some(&Refusal::NotKept));
    assert_eq!(refusal(&set, &not_active), Some(&Refusal::NotSponsored));
    assert_eq!(refusal(&set, &old_key), Some(&Refusal::BadSignature));
    assert_eq!(refusal(&set, &takes_over), Some(&Refusal::BadSignature));
    assert!(!set.is_active(&key(11)) && !set.is_active(&key(12)));
}

#[test]
fn a_revocation_cosigned_by_the_revoked_device_is_refused() {
    // By itself, in its own name.
    let itself = revocation(alice(), 11, 11, 0, 1, 3, &[10]);
    // In the first device's name, but cosigned by the device revoked.
    let forged = revocation_as(alice(), 11, 10, 0, 3, vec![key(10)], (1, 11));
    let set = resolved(&[
        person(alice(), 1, 10),
        device(alice(), 11, 10, 0, 1),
        itself.clone(),
        forged.clone(),
    ]);
    assert_eq!(refusal(&set, &itself), Some(&Refusal::NotSponsored));
    assert_eq!(refusal(&set, &forged), Some(&Refusal::BadSignature));
    let a = &set.people[0];
    assert_eq!((a.generation, a.public), (0, Some(key(1))));
    assert_eq!(active(&set, &alice()), sorted(&[10, 11]));
    assert!(a.revoked.is_empty());
}

#[test]
fn two_revocations_at_once_both_count_and_the_lower_next_key_wins() {
    let set = resolved(&[
        person(alice(), 1, 10),
        device(alice(), 11, 10, 0, 1),
        device(alice(), 12, 10, 0, 1),
        device(alice(), 13, 10, 0, 1),
        // Each knows nothing of the other.
        revocation(alice(), 11, 10, 0, 1, 3, &[10, 12, 13]),
        revocation(alice(), 13, 12, 0, 1, 4, &[10, 11, 12]),
    ]);
    assert_eq!(set.refused, []);
    let a = &set.people[0];
    assert_eq!((a.generation, a.public), (1, Some(key(3).min(key(4)))));
    assert_eq!(active(&set, &alice()), sorted(&[10, 12]));
    let gone: Vec<[u8; 32]> = a.revoked.iter().map(|r| r.endpoint).collect();
    assert_eq!(gone, sorted(&[11, 13]));
}

#[test]
fn a_device_not_kept_by_a_revocation_is_dropped() {
    let unknown_to_revoker = device(alice(), 12, 10, 0, 1);
    let set = resolved(&[
        person(alice(), 1, 10),
        device(alice(), 11, 10, 0, 1),
        unknown_to_revoker.clone(),
        revocation(alice(), 11, 10, 0, 1, 3, &[10]),
    ]);
    assert_eq!(refusal(&set, &unknown_to_revoker), Some(&Refusal::NotKept));
    assert_eq!(active(&set, &alice()), [key(10)]);
}

/// Of two seeds, the one whose public key is lower: the next key when two
/// revocations meet.
fn lower_of(a: u8, b: u8) -> u8 {
    if key(a) < key(b) { a } else { b }
}

/// Records of every outcome: accepted, revoked, dropped, refused, malformed.
fn everything() -> Listed {
    let mut recs = listed(&two_pairs());
    recs.extend(listed(&[
        device(alice(), 12, 11, 0, 1),
        device(alice(), 13, 12, 0, 1),
        revocation(alice(), 11, 10, 0, 1, 3, &[10, 12, 13]),
        revocation(alice(), 13, 12, 0, 1, 4, &[10, 11, 12]),
        device(alice(), 14, 11, 0, 1),
        device(alice(), 15, 12, 1, lower_of(3, 4)),
        flip_sig(device(bob(), 22, 21, 0, 2), true),
        device(bob(), 23, 20, 1, 2),
        person(PartnerId::parse(&"c3".repeat(16)).unwrap(), 5, 50),
    ]));
    recs.push(("device:zz".into(), Err("not hex".into())));
    recs
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn resolving_shuffled_records_gives_the_same_set(
        records in Just(everything()).prop_shuffle(),
        anchors in Just(anchors()).prop_shuffle(),
    ) {
        prop_assert_eq!(resolve(&records, &anchors), resolve(&everything(), &self::anchors()));
    }
}

#[test]
fn the_shuffled_scenario_resolves_as_intended() {
    let set = resolve(&everything(), &anchors());
    assert_eq!(active(&set, &bob()), sorted(&[20, 21]));
    let a = &set.people[0];
    assert_eq!(a.generation, 1);
    assert_eq!(a.public, Some(key(lower_of(3, 4))));
    assert_eq!(active(&set, &alice()), sorted(&[10, 12, 15]));
    let reasons: Vec<&Refusal> = set.refused.iter().map(|(_, r)| r).collect();
    assert!(reasons.contains(&&Refusal::NotKept));
    assert!(reasons.contains(&&Refusal::BadSignature));
    assert!(reasons.contains(&&Refusal::UnknownPerson));
    assert!(reasons.contains(&&Refusal::NotSponsored));
    assert!(reasons.contains(&&Refusal::Malformed("not hex".into())));
}

/// Runs the Automerge sync protocol between two journals until both hold the same.
fn sync(a: &mut SharedJournal, b: &mut SharedJournal) {
    let (mut sa, mut sb) = (am_sync::State::new(), am_sync::State::new());
    for _ in 0..20 {
        let to_b = a.doc_mut().sync().generate_sync_message(&mut sa);
        if let Some(m) = &to_b {
            let m = am_sync::Message::decode(&m.clone().encode()).unwrap();
            b.doc_mut().sync().receive_sync_message(&mut sb, m).unwrap();
        }
        let to_a = b.doc_mut().sync().generate_sync_message(&mut sb);
        if let Some(m) = &to_a {
            let m = am_sync::Message::decode(&m.clone().encode()).unwrap();
            a.doc_mut().sync().receive_sync_message(&mut sa, m).unwrap();
        }
        if to_a.is_none() && to_b.is_none() {
            break;
        }
    }
    assert_eq!(a.heads(), b.heads());
}

#[test]
fn records_round_trip_through_two_journals_in_sync() {
    let recs = two_pairs();
    let mut a = SharedJournal::genesis();
    let mut b = SharedJournal::load(&SharedJournal::genesis_bytes()).unwrap();
    for rec in &recs[..3] {
        assert!(a.put_device_record(rec, NOW).unwrap());
    }
    for rec in &recs[3..] {
        assert!(b.put_device_record(rec, NOW).unwrap());
    }
    let revoked = revocation(alice(), 11, 10, 0, 1, 3, &[10]);
    a.put_device_record(&revoked, NOW + 1).unwrap();
    sync(&mut a, &mut b);
    let mut want = listed(&recs);
    want.push((revoked.key(), Ok(revoked)));
    want.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(a.device_records(), want);
    assert_eq!(b.device_records(), want);
    // And by a plain merge, from a save.
    let mut c = SharedJournal::load(&a.save()).unwrap();
    c.merge(&mut b).unwrap();
    assert_eq!(c.device_records(), want);
    let set = resolve(&b.device_records(), &anchors());
    assert_eq!(set.refused, []);
    assert_eq!(active(&set, &alice()), [key(10)]);
    assert_eq!(active(&set, &bob()), sorted(&[20, 21]));
    assert_eq!(set, resolve(&a.device_records(), &anchors()));
}

#[test]
fn device_records_are_no_entries_and_lists_skip_them() {
    let mut j = SharedJournal::genesis();
    let mut lists = SharedLists::default();
    assert_eq!(lists.shared_entries_len(&mut j), 0);
    let entry = DiaryEntry {
        id: "0190aaaa-0000-7000-8000-000000000000".into(),
        author: alice(),
        text: "a shared entry".into(),
        mood: None,
        stage: None,
        created: NOW,
        updated: NOW,
    };
    j.share_diary_entry(&alice(), &entry, NOW).unwrap();
    for rec in two_pairs() {
        j.put_device_record(&rec, NOW).unwrap();
    }
    j.put_device_record(&revocation(alice(), 11, 10, 0, 1, 3, &[10]), NOW)
        .unwrap();
    assert_eq!(j.device_records().len(), 7);
    assert_eq!(j.shared_entries().len(), 1);
    assert!(j.shared_triggers().is_empty());
    assert!(j.trigger_trend().is_empty());
    assert!(j.meetings().is_empty());
    assert_eq!(lists.shared_entries_len(&mut j), 1);
    assert_eq!(lists.shared_triggers_len(&mut j), 0);
    assert!(lists.trigger_trend(&mut j).is_empty());
    for rec in two_pairs() {
        match j.get_shared_entry(&rec.key()) {
            Err(JournalError::WrongKind { found, .. }) => assert_eq!(found, EntryKind::Device),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(EntryKind::Device.as_str(), "device");
}

#[test]
fn a_release_of_history_keeps_device_records() {
    let mut j = SharedJournal::genesis();
    for rec in two_pairs() {
        j.put_device_record(&rec, NOW).unwrap();
    }
    j.put_device_record(&revocation(alice(), 11, 10, 0, 1, 3, &[10]), NOW)
        .unwrap();
    let before = j.device_records();
    let heads = j.heads();
    let copy = SharedJournal::load(&j.released_copy(&heads, &[8; 16]).unwrap()).unwrap();
    assert_eq!(copy.device_records(), before);
    assert_eq!(
        resolve(&copy.device_records(), &anchors()),
        resolve(&before, &anchors())
    );
}

#[test]
fn a_key_is_written_once_and_never_changed() {
    let mut j = SharedJournal::genesis();
    let rec = device(alice(), 11, 10, 0, 1);
    let before = j.heads();
    assert!(j.put_device_record(&rec, NOW).unwrap());
    assert_eq!(j.doc_mut().get_changes(&before).len(), 1);
    let heads = j.heads();
    assert!(!j.put_device_record(&rec, NOW + 1).unwrap());
    assert_eq!(j.heads(), heads);

    let other = device_as(alice(), 11, 10, 0, "another name", NOW + 11, (1, 10));
    let err = j.put_device_record(&other, NOW + 2).unwrap_err();
    assert!(matches!(&err, JournalError::DeviceRecordTaken(k) if *k == rec.key()));
    assert!(!err.to_string().contains("another name"), "{err}");
    assert_eq!(j.heads(), heads);
    assert_eq!(j.device_records(), listed(&[rec]));
}

#[test]
fn shapes_no_honest_device_writes_are_refused() {
    let mut j = SharedJournal::genesis();
    let labelled = |label: &str| device_as(alice(), 11, 10, 0, label, NOW, (1, 10));
    for label in ["", " x", "x ", "a\u{7}b", &"x".repeat(65), &"😀".repeat(64)] {
        assert!(
            matches!(
                j.put_device_record(&labelled(label), NOW),
                Err(JournalError::BadDeviceRecord(_))
            ),
            "{label:?}"
        );
    }
    let keeping = |keep: Vec<[u8; 32]>| revocation_as(alice(), 11, 10, 0, 3, keep, (1, 10));
    let mut unsorted = sorted(&[10, 12]);
    unsorted.reverse();
    let too_many: Vec<[u8; 32]> = (0..65u8).map(|i| [i; 32]).collect();
    for keep in [unsorted, vec![key(10), key(10)], too_many] {
        assert!(matches!(
            j.put_device_record(&keeping(keep), NOW),
            Err(JournalError::BadDeviceRecord(_))
        ));
    }
    assert!(j.device_records().is_empty());
    // What fits: 64 characters, trimmed, of any script.
    assert!(
        j.put_device_record(&labelled(&"é".repeat(64)), NOW)
            .unwrap()
    );
    let kept: Vec<[u8; 32]> = (0..64u8).map(|i| [i; 32]).collect();
    assert!(j.put_device_record(&keeping(kept), NOW).unwrap());
    // The resolver holds records from elsewhere to the same rules.
    let bad = labelled("x ");
    let set = resolve(&listed(&[person(alice(), 1, 10), bad.clone()]), &anchors());
    assert!(matches!(refusal(&set, &bad), Some(Refusal::Malformed(_))));
}

#[test]
fn malformed_records_read_as_errors_and_resolve_as_malformed() {
    let mut j = SharedJournal::genesis();
    let linked = device(alice(), 11, 10, 0, 1);
    j.put_device_record(&person(alice(), 1, 10), NOW).unwrap();
    j.put_device_record(&linked, NOW).unwrap();
    j.put_device_record(&device(alice(), 12, 10, 0, 1), NOW)
        .unwrap();
    let shared = j.doc().get(ROOT, "shared").unwrap().unwrap().1;
    let doc = j.doc_mut();
    let obj = doc.get(&shared, linked.key()).unwrap().unwrap().1;
    doc.put(&obj, "sig", "zz".repeat(64)).unwrap();
    let twelve = device(alice(), 12, 10, 0, 1).key();
    let obj = doc.get(&shared, twelve.as_str()).unwrap().unwrap().1;
    doc.put(&obj, "gen", -1).unwrap();
    doc.put(&shared, "device:not-a-map", 42).unwrap();
    let moved = doc
        .put_object(&shared, "device:elsewhere", ObjType::Map)
        .unwrap();
    for (field, value) in [("kind", "device"), ("person", alice().as_str())] {
        doc.put(&moved, field, value).unwrap();
    }
    doc.commit();

    let records = j.device_records();
    assert_eq!(records.len(), 5);
    let err = |k: &str| {
        records
            .iter()
            .find(|(key, _)| key == k)
            .and_then(|(_, r)| r.clone().err())
            .unwrap()
    };
    assert!(err(&linked.key()).contains("sig"));
    assert!(err(&twelve).contains("gen"));
    assert!(err("device:not-a-map").contains("not a map"));
    assert!(err("device:elsewhere").contains("endpoint"));

    let set = resolve(&records, &anchors());
    assert_eq!(active(&set, &alice()), [key(10)]);
    for k in [linked.key(), twelve, "device:not-a-map".into()] {
        let (_, why) = set.refused.iter().find(|(key, _)| *key == k).unwrap();
        assert!(matches!(why, Refusal::Malformed(_)), "{k}: {why}");
    }
    // A key that does not name what its record is about.
    let mut records = listed(&[person(alice(), 1, 10), linked.clone()]);
    records[1].0 = "device:00".into();
    let set = resolve(&records, &anchors());
    assert!(matches!(&set.refused[..], [(k, Refusal::Malformed(_))] if k == "device:00"));
}

#[test]
fn signed_bytes_follow_the_documented_layout() {
    let rec = DeviceRecord::Revoked {
        person: alice(),
        endpoint: [1; 32],
        by: [2; 32],
        generation: 0x0102_0304,
        next_public: [3; 32],
        keep: vec![[4; 32], [5; 32]],
        at: 0x1122_3344_5566_7788,
        sig: [9; 64],
        cosig: [9; 64],
    };
    let mut want = b"kintsugi device record v1\x00\x03".to_vec();
    want.extend([0xa1; 16]);
    want.extend([1, 2, 3, 4]);
    for b in [1u8, 2, 3] {
        want.extend([b; 32]);
    }
    want.push(2);
    want.extend([4; 32]);
    want.extend([5; 32]);
    want.extend([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]);
    assert_eq!(signed_bytes(&rec), want);

    let rec = DeviceRecord::Device {
        person: bob(),
        endpoint: [1; 32],
        label: "é".into(),
        generation: 7,
        sponsor: [2; 32],
        at: -1,
        sig: [0; 64],
        cosig: [0; 64],
    };
    let mut want = b"kintsugi device record v1\x00\x02".to_vec();
    want.extend([0xb2; 16]);
    want.extend([0, 0, 0, 7]);
    want.extend([1; 32]);
    want.extend([2; 32]);
    want.extend([2, 0xc3, 0xa9]);
    want.extend([0xff; 8]);
    assert_eq!(signed_bytes(&rec), want);

    let rec = person(alice(), 1, 10);
    let mut want = b"kintsugi device record v1\x00\x01".to_vec();
    want.extend([0xa1; 16]);
    want.extend([0; 4]);
    want.extend(key(1));
    want.extend(key(10));
    want.extend(NOW.to_be_bytes());
    assert_eq!(signed_bytes(&rec), want);
    // The signatures are not part of what they sign.
    assert_eq!(signed_bytes(&flip_sig(rec.clone(), false)), want);
}
