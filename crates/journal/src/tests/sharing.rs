use super::{NOW, alice, bob};
use crate::{JournalError, PartnerId, PrivateDiary, SharedJournal};

#[test]
fn sharing_a_diary_entry_copies_it_once() {
    let mut diary = PrivateDiary::genesis();
    let mut j = SharedJournal::genesis();
    let entry_id = diary
        .add_entry(&alice(), "What I want you to know", Some(2), Some(3), NOW)
        .unwrap();
    let entry = diary.get_entry(&entry_id).unwrap();

    let id = j.share_diary_entry(&alice(), &entry, NOW + 50).unwrap();
    let again = j.share_diary_entry(&alice(), &entry, NOW + 60).unwrap();
    assert_eq!(id, again);
    assert_eq!(j.shared_entries().len(), 1);

    let shared = j.get_shared_entry(&id).unwrap();
    assert_eq!(shared.origin, entry_id);
    assert_eq!(shared.text, entry.text);
    assert_eq!((shared.mood, shared.stage), (Some(2), Some(3)));
    assert_eq!(shared.created, NOW);
    assert_eq!(shared.shared_at, NOW + 50);
    assert_eq!(shared.author, alice());
}

#[test]
fn stage_progress_per_partner() {
    let mut j = SharedJournal::genesis();
    j.set_stage(&alice(), 1, true, Some("We talked"), NOW)
        .unwrap();
    j.set_stage(&bob(), 1, false, None, NOW + 1).unwrap();

    let stages = j.stages();
    assert_eq!(stages.len(), 2);
    assert_eq!((stages[0].stage, &stages[0].partner), (1, &alice()));
    assert!(stages[0].done);
    assert_eq!(stages[0].done_at, Some(NOW));
    assert_eq!(stages[0].note.as_deref(), Some("We talked"));
    assert!(!stages[1].done);

    // Touching it again without a note keeps the note and the first done time.
    j.set_stage(&alice(), 1, true, None, NOW + 10).unwrap();
    let s = &j.stages()[0];
    assert_eq!((s.done_at, s.updated), (Some(NOW), NOW + 10));
    assert_eq!(s.note.as_deref(), Some("We talked"));

    // Un-done clears done_at; a blank note clears the note.
    j.set_stage(&alice(), 1, false, Some(""), NOW + 20).unwrap();
    let s = &j.stages()[0];
    assert!(!s.done);
    assert_eq!((s.done_at, s.note.as_deref()), (None, None));

    for stage in [0, 8] {
        assert!(matches!(
            j.set_stage(&alice(), stage, true, None, NOW),
            Err(JournalError::OutOfRange {
                field: "stage",
                min: 1,
                max: 7,
                ..
            })
        ));
    }
}

#[test]
fn partner_names() {
    let mut j = SharedJournal::genesis();
    assert_eq!(j.partner_name(&alice()), None);
    j.set_partner_name(&alice(), " Alice ", NOW).unwrap();
    j.set_partner_name(&bob(), "Bob", NOW).unwrap();
    j.set_partner_name(&alice(), "Ali", NOW + 1).unwrap();
    assert_eq!(j.partner_name(&alice()).as_deref(), Some("Ali"));
    let partners = j.partners();
    assert_eq!(partners.len(), 2);
    assert_eq!(
        (partners[0].id.clone(), partners[0].updated),
        (alice(), NOW + 1)
    );
    assert!(matches!(
        j.set_partner_name(&alice(), "  ", NOW),
        Err(JournalError::EmptyText { field: "name" })
    ));
}

#[test]
fn partner_ids() {
    assert!(PartnerId::parse(&"ab".repeat(16)).is_ok());
    assert_eq!(
        PartnerId::parse(&"AB".repeat(16)).unwrap().as_str(),
        "ab".repeat(16)
    );
    for bad in ["", "abc", &"g0".repeat(16), &"ab".repeat(17)] {
        assert!(matches!(
            PartnerId::parse(bad),
            Err(JournalError::BadPartnerId)
        ));
    }
}
