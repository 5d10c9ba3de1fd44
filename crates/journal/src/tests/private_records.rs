//! The diary's `reflections` map holds several kinds of private record (reflections
//! on exercises, letters opened, acceptance, moments of the trigger log): each
//! reader, list cache and id lookup sees only its own kind.

use automerge::transaction::Transactable;
use automerge::{ObjType, ROOT, ReadDoc};

use super::{NOW, alice};
use crate::{DiaryLists, EntryKind, JournalError, PrivateDiary};

const HOUR: i64 = 3_600_000;

/// A reflection as written before records had a `kind`.
fn add_reflection_without_kind(d: &mut PrivateDiary, id: &str, exercise: &str) {
    let doc = d.doc_mut();
    let map = doc.get(ROOT, "reflections").unwrap().unwrap().1;
    let obj = doc.put_object(&map, id, ObjType::Map).unwrap();
    doc.put(&obj, "author", alice().as_str()).unwrap();
    doc.put(&obj, "exercise", exercise).unwrap();
    doc.put(&obj, "text", "written before kinds").unwrap();
    doc.put(&obj, "created", NOW - 2).unwrap();
    doc.put(&obj, "updated", NOW - 2).unwrap();
    doc.commit();
}

#[test]
fn reflections_and_triggers_share_the_map_and_each_list_shows_its_own() {
    let mut d = PrivateDiary::genesis();
    let mut lists = DiaryLists::default();
    let old = "0190f000-0000-7000-8000-000000000001";
    add_reflection_without_kind(&mut d, old, "an-exercise");
    let reflection = d
        .add_reflection(&alice(), "an-exercise", "what I did not say", NOW)
        .unwrap();
    let trigger = d
        .add_trigger(&alice(), NOW - HOUR, 6, "the song", NOW + 1)
        .unwrap();
    d.mark_letter_opened("a-letter", NOW + 2).unwrap();
    d.set_acceptance(Some("my peace"), NOW + 3).unwrap();

    let check = |d: &mut PrivateDiary, lists: &mut DiaryLists| {
        let reflections: Vec<String> = d.reflections().into_iter().map(|r| r.id).collect();
        assert_eq!(reflections, [old.to_owned(), reflection.clone()]);
        let triggers: Vec<String> = d.triggers().into_iter().map(|t| t.id).collect();
        assert_eq!(triggers, std::slice::from_ref(&trigger));
        assert_eq!(lists.reflections(d).to_vec(), d.reflections());
        assert_eq!(lists.triggers(d).to_vec(), d.triggers());
        assert_eq!(
            d.opened_letters().into_keys().collect::<Vec<_>>(),
            ["a-letter"]
        );
        assert_eq!(
            d.acceptance().and_then(|a| a.words).as_deref(),
            Some("my peace")
        );
        assert!(d.entries().is_empty());
    };
    check(&mut d, &mut lists);
    // A reloaded diary reads the same.
    check(
        &mut PrivateDiary::load(&d.save()).unwrap(),
        &mut DiaryLists::default(),
    );

    // Ids name their own kind, and only entries have one.
    assert_eq!(
        d.resolve(&reflection[..13]).unwrap(),
        (EntryKind::Reflection, reflection.clone())
    );
    assert_eq!(d.resolve(old).unwrap(), (EntryKind::Reflection, old.into()));
    assert_eq!(
        d.resolve(&trigger).unwrap(),
        (EntryKind::Trigger, trigger.clone())
    );
    for not_an_entry in ["acceptance", "opened:a-letter", "opened"] {
        assert!(
            matches!(d.resolve(not_an_entry), Err(JournalError::UnknownId(_))),
            "{not_an_entry} resolved"
        );
    }
    assert!(matches!(
        d.get_trigger(&reflection),
        Err(JournalError::WrongKind {
            expected: EntryKind::Trigger,
            found: EntryKind::Reflection,
            ..
        })
    ));
    assert!(matches!(
        d.get_reflection(&trigger),
        Err(JournalError::WrongKind {
            expected: EntryKind::Reflection,
            found: EntryKind::Trigger,
            ..
        })
    ));
    assert!(matches!(
        d.get_entry(&trigger),
        Err(JournalError::WrongKind {
            found: EntryKind::Trigger,
            ..
        })
    ));
    assert!(matches!(
        d.get_reflection("acceptance"),
        Err(JournalError::UnknownId(_))
    ));
    // Removing a moment of the log by a reflection's id removes nothing.
    assert!(d.remove_trigger(&reflection, NOW + 4).is_err());
    assert!(d.get_reflection(&reflection).is_ok());

    // Changes reach each cached list alone.
    let before = lists.reflections(&mut d).to_vec();
    let another = d
        .add_trigger(&alice(), NOW - 2 * HOUR, 2, "a street", NOW + 5)
        .unwrap();
    assert_eq!(lists.reflections(&mut d).to_vec(), before);
    assert_eq!(lists.triggers(&mut d).len(), 2);
    d.add_reflection(&alice(), "an-exercise", "later", NOW + 6)
        .unwrap();
    assert_eq!(lists.triggers(&mut d).to_vec(), d.triggers());
    assert_eq!(lists.reflections(&mut d).len(), 3);
    d.remove_trigger(&another, NOW + 7).unwrap();
    assert_eq!(lists.triggers(&mut d).len(), 1);
    assert_eq!(lists.reflections(&mut d).len(), 3);
}
