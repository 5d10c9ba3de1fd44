use super::{NOW, alice};
use crate::{JournalError, PrivateDiary};

#[test]
fn diary_entries() {
    let mut d = PrivateDiary::genesis();
    let a = d
        .add_entry(&alice(), "first", Some(2), Some(1), NOW)
        .unwrap();
    let b = d
        .add_entry(&alice(), "second", None, Some(4), NOW + 1)
        .unwrap();
    let c = d.add_entry(&alice(), "third", None, None, NOW + 2).unwrap();

    let ids: Vec<String> = d.entries().into_iter().map(|e| e.id).collect();
    assert_eq!(ids, [a.clone(), b.clone(), c.clone()]);
    let on_four: Vec<String> = d
        .entries_by_stage(4)
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(on_four, std::slice::from_ref(&b));
    assert!(d.entries_by_stage(9).is_err());

    d.update_entry(&a, "first, revised", None, Some(4), NOW + 10)
        .unwrap();
    let e = d.get_entry(&a).unwrap();
    assert_eq!(e.text, "first, revised");
    assert_eq!((e.mood, e.stage), (None, Some(4)));
    assert_eq!((e.created, e.updated), (NOW, NOW + 10));
    assert_eq!(d.entries_by_stage(4).unwrap().len(), 2);

    d.remove_entry(&c, NOW + 20).unwrap();
    assert!(matches!(d.get_entry(&c), Err(JournalError::UnknownId(_))));
    assert_eq!(d.entries().len(), 2);
}

#[test]
fn diary_validation() {
    let mut d = PrivateDiary::genesis();
    assert!(matches!(
        d.add_entry(&alice(), "\n", None, None, NOW),
        Err(JournalError::EmptyText { field: "text" })
    ));
    assert!(matches!(
        d.add_entry(&alice(), "x", Some(6), None, NOW),
        Err(JournalError::OutOfRange {
            field: "mood",
            min: 1,
            max: 5,
            value: 6
        })
    ));
    assert!(matches!(
        d.add_entry(&alice(), "x", None, Some(0), NOW),
        Err(JournalError::OutOfRange { field: "stage", .. })
    ));
    assert!(d.entries().is_empty());
}

#[test]
fn diary_persists_across_loads() {
    let mut d = PrivateDiary::genesis();
    let mut log = PrivateDiary::genesis_bytes();
    let before = d.heads();
    let id = d.add_entry(&alice(), "kept", None, None, NOW).unwrap();
    log.extend(d.save_after(&before));
    let loaded = PrivateDiary::load(&log).unwrap();
    assert_eq!(loaded.get_entry(&id).unwrap().text, "kept");

    // Two processes on one diary write under different actors and merge.
    let mut other = PrivateDiary::load(&log).unwrap();
    let before = other.heads();
    other
        .add_entry(&alice(), "from the CLI", None, None, NOW + 1)
        .unwrap();
    let chunk = other.save_after(&before);
    d.load_incremental(&chunk).unwrap();
    assert_eq!(d.entries().len(), 2);
}
