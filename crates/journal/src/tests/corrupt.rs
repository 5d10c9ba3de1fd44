//! A partner's device may write anything. Reads must not panic, lists skip what they
//! cannot read, gets say what is wrong without repeating content.

use automerge::transaction::Transactable;
use automerge::{ObjType, ROOT, ReadDoc};

use super::{NOW, alice, bob};
use crate::{JournalError, SharedJournal};

fn root(j: &SharedJournal, name: &str) -> automerge::ObjId {
    j.doc().get(ROOT, name).unwrap().unwrap().1
}

#[test]
fn malformed_entries_are_skipped_in_lists_and_reported_by_get() {
    let mut j = SharedJournal::genesis();
    let good = j.propose_boundary(&alice(), "good", None, NOW).unwrap();
    let bad = j
        .propose_boundary(&bob(), "SECRET words", None, NOW)
        .unwrap();
    let boundaries = root(&j, "boundaries");

    let doc = j.doc_mut();
    let bad_obj = doc.get(&boundaries, bad.as_str()).unwrap().unwrap().1;
    doc.put(&bad_obj, "created", "yesterday").unwrap();
    doc.put(&boundaries, "not-a-map", 42).unwrap();
    let list = doc
        .put_object(&boundaries, "a-list", ObjType::List)
        .unwrap();
    doc.insert(&list, 0, "x").unwrap();
    doc.commit();

    let listed: Vec<String> = j.boundaries().into_iter().map(|b| b.id).collect();
    assert_eq!(listed, [good]);

    let err = j.get_boundary(&bad).unwrap_err();
    assert!(matches!(err, JournalError::Corrupt { .. }));
    let message = err.to_string();
    assert!(
        message.contains(&bad) && message.contains("created"),
        "{message}"
    );
    assert!(!message.contains("SECRET") && !message.contains("yesterday"));

    assert!(matches!(
        j.get_boundary("not-a-map"),
        Err(JournalError::Corrupt { .. })
    ));
    // Commands on a malformed entry fail cleanly too.
    assert!(matches!(
        j.agree_boundary(&alice(), &bad, NOW),
        Err(JournalError::Corrupt { .. })
    ));
}

#[test]
fn wrong_types_in_every_kind_do_not_panic() {
    let mut j = SharedJournal::genesis();
    j.propose_boundary(&alice(), "b", None, NOW).unwrap();
    j.set_partner_name(&alice(), "A", NOW).unwrap();
    j.set_stage(&alice(), 2, true, None, NOW).unwrap();
    let fields = [
        ("boundaries", "agreed_by"),
        ("checkins", "mood"),
        ("letters", "kind"),
        ("promises", "due"),
        ("steps", "done"),
        ("partners", "name"),
        ("shared", "text"),
    ];
    let doc = j.doc_mut();
    for (map, field) in fields {
        let map = doc.get(ROOT, map).unwrap().unwrap().1;
        let obj = doc
            .put_object(&map, format!("junk-{field}"), ObjType::Map)
            .unwrap();
        doc.put(&obj, field, f64::NAN).unwrap();
        doc.put(&obj, "author", 7).unwrap();
        let nested = doc.put_object(&obj, "created", ObjType::Text).unwrap();
        doc.splice_text(&nested, 0, 0, "hi").unwrap();
    }
    // Out-of-range scales and an unknown enum value from a "future version".
    let checkins = doc.get(ROOT, "checkins").unwrap().unwrap().1;
    let c = doc.put_object(&checkins, "scale", ObjType::Map).unwrap();
    for (k, v) in [
        ("created", NOW),
        ("updated", NOW),
        ("mood", 99),
        ("trust", 5),
        ("closeness", 5),
    ] {
        doc.put(&c, k, v).unwrap();
    }
    doc.put(&c, "author", alice().as_str()).unwrap();
    doc.put(&c, "week", "2026-W48").unwrap();
    doc.commit();

    assert_eq!(j.boundaries().len(), 1);
    assert!(j.checkins().is_empty());
    assert!(j.letters().is_empty());
    assert!(j.promises().is_empty());
    assert_eq!(j.stages().len(), 1);
    assert_eq!(j.partners().len(), 1);
    assert!(j.shared_entries().is_empty());
    assert!(matches!(
        j.get_checkin("scale"),
        Err(JournalError::Corrupt { .. })
    ));
}

#[test]
fn a_replaced_root_map_does_not_hide_entries() {
    let mut j = SharedJournal::genesis();
    let id = j.propose_boundary(&alice(), "rule", None, NOW).unwrap();
    // A buggy writer replaces the root map.
    j.doc_mut()
        .put_object(ROOT, "boundaries", ObjType::Map)
        .unwrap();
    j.doc_mut().commit();
    assert_eq!(j.boundaries().len(), 1);
    // And the document still loads.
    let reloaded = SharedJournal::load(&j.save()).unwrap();
    assert_eq!(reloaded.get_boundary(&id).unwrap().text, "rule");
}
