use crate::tests::{NOW, alice, bob};
use crate::{CheckInInput, PrivateDiary, SharedJournal};

const CANARY: &str = "canary-7f3a9 written then overwritten";

fn checkin(text: &str) -> CheckInInput {
    CheckInInput {
        week: "2026-W48".into(),
        mood: 3,
        trust: 5,
        closeness: 5,
        went_well: Some(text.into()),
        hard: None,
        need: None,
        appreciate: None,
    }
}

/// Every change in the document, decoded, as text: what its history holds.
fn history(bytes: &[u8]) -> String {
    let mut am = automerge::AutoCommit::load(bytes).unwrap();
    am.get_changes(&[])
        .iter()
        .map(|c| format!("{:?}", c.decode()))
        .collect()
}

/// A journal with a canary in its history but not in its state, written by two
/// partners (two actors), with entries of several kinds.
fn journal() -> SharedJournal {
    let mut a = SharedJournal::genesis();
    a.set_partner_name(&alice(), "Ari", NOW).unwrap();
    a.upsert_checkin(&alice(), &checkin(CANARY), NOW).unwrap();
    a.upsert_checkin(&alice(), &checkin("a quiet week"), NOW + 1)
        .unwrap();
    let mut b = SharedJournal::load(&a.save()).unwrap();
    b.propose_boundary(&bob(), "no phones at dinner", None, NOW + 2)
        .unwrap();
    b.add_promise(
        &bob(),
        "call on Sunday",
        crate::parse_date("2030-01-01").unwrap(),
        NOW + 3,
    )
    .unwrap();
    a.load_incremental(&b.save()).unwrap();
    assert!(history(&a.save()).contains(CANARY));
    a
}

#[test]
fn a_copy_holds_the_state_and_none_of_the_history() {
    let mut j = journal();
    let heads = j.heads();
    let epoch = [5u8; 16];
    let copy = j.released_copy(&heads, &epoch).unwrap();
    assert!(!history(&copy).contains(CANARY));
    assert_eq!(
        automerge::AutoCommit::load(&copy)
            .unwrap()
            .get_changes(&[])
            .len(),
        2
    );
    let c = SharedJournal::load(&copy).unwrap();
    assert_eq!(c.epoch(), Some(epoch));
    assert_eq!(j.epoch(), None);
    assert_eq!(c.checkins(), j.checkins());
    assert_eq!(c.boundaries(), j.boundaries());
    assert_eq!(c.promises(), j.promises());
    assert_eq!(c.partners(), j.partners());
    // Another epoch's copy is another document: neither's changes apply to the other.
    let other = j.released_copy(&heads, &[6u8; 16]).unwrap();
    let mut am = automerge::AutoCommit::load(&copy).unwrap();
    let before = am.get_heads();
    let merged = am.load_incremental(&other);
    assert!(merged.is_err() || am.get_heads() == before, "{merged:?}");
}

#[test]
fn two_devices_holding_the_same_state_make_the_same_copy() {
    let mut a = journal();
    // Bea's device holds the same changes, received in another order and written
    // to disk and read back.
    let mut b = SharedJournal::genesis();
    for change in automerge::AutoCommit::load(&a.save())
        .unwrap()
        .get_changes(&[])
        .iter()
        .rev()
    {
        b.load_incremental(change.raw_bytes()).unwrap();
    }
    let heads = a.heads();
    assert_eq!(b.heads(), heads);
    let epoch = [9u8; 16];
    assert_eq!(
        a.released_copy(&heads, &epoch).unwrap(),
        b.released_copy(&heads, &epoch).unwrap()
    );
    // A copy at earlier heads leaves out what came after.
    let earlier = a.heads();
    a.propose_boundary(&alice(), "later", None, NOW + 9)
        .unwrap();
    let mut copy = SharedJournal::load(&a.released_copy(&earlier, &epoch).unwrap()).unwrap();
    assert_eq!(copy.boundaries().len(), 1);
    assert!(a.has_all(&earlier));
    assert!(!copy.has_all(&a.heads()));
}

#[test]
fn what_was_written_after_the_heads_is_carried_over() {
    let mut j = journal();
    let heads = j.heads();
    let mut copy = SharedJournal::load(&j.released_copy(&heads, &[1; 16]).unwrap()).unwrap();
    assert!(!copy.mirror_from(&mut j, NOW + 10).unwrap());
    let id = j
        .propose_boundary(&alice(), "carried over", None, NOW + 11)
        .unwrap();
    j.upsert_checkin(&alice(), &checkin("changed after"), NOW + 12)
        .unwrap();
    assert!(copy.mirror_from(&mut j, NOW + 13).unwrap());
    assert_eq!(copy.boundaries(), j.boundaries());
    assert_eq!(copy.checkins(), j.checkins());
    assert!(copy.boundaries().iter().any(|b| b.id == id));
}

#[test]
fn a_diary_copy_keeps_its_entries_and_loses_its_history() {
    let mut d = PrivateDiary::genesis();
    let gone = d.add_entry(&alice(), CANARY, Some(2), None, NOW).unwrap();
    d.add_entry(&alice(), "kept", None, Some(3), NOW + 1)
        .unwrap();
    d.remove_entry(&gone, NOW + 2).unwrap();
    assert!(history(&d.save()).contains(CANARY));
    let copy = d.released_copy(&[3; 16]).unwrap();
    assert!(!history(&copy).contains(CANARY));
    let c = PrivateDiary::load(&copy).unwrap();
    assert_eq!(c.entries(), d.entries());
    assert_eq!(c.epoch(), Some([3; 16]));
}
