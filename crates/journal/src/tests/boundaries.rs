use super::{NOW, alice, bob};
use crate::{BoundaryStatus, JournalError, SharedJournal};

#[test]
fn lifecycle_with_two_partners() {
    let mut j = SharedJournal::genesis();
    let id = j
        .propose_boundary(&alice(), "No secret messaging", Some(" privacy "), NOW)
        .unwrap();

    let b = j.get_boundary(&id).unwrap();
    assert_eq!(b.status, BoundaryStatus::Proposed);
    assert_eq!(b.author, alice());
    assert_eq!(b.category.as_deref(), Some("privacy"));
    assert_eq!(b.agreements, vec![(alice(), NOW)]);
    assert_eq!((b.created, b.updated), (NOW, NOW));

    // The proposer already agreed.
    assert!(matches!(
        j.agree_boundary(&alice(), &id, NOW + 1),
        Err(JournalError::AlreadyAgreed(e)) if e == id
    ));

    j.agree_boundary(&bob(), &id, NOW + 2).unwrap();
    let b = j.get_boundary(&id).unwrap();
    assert_eq!(b.status, BoundaryStatus::Agreed);
    assert_eq!(b.agreements, vec![(alice(), NOW), (bob(), NOW + 2)]);
    assert_eq!(b.updated, NOW + 2);
    assert!(matches!(
        j.agree_boundary(&bob(), &id, NOW + 3),
        Err(JournalError::AlreadyAgreed(_))
    ));

    // Either partner may ask to revisit; that clears all agreements.
    j.revisit_boundary(&bob(), &id, NOW + 10).unwrap();
    let b = j.get_boundary(&id).unwrap();
    assert_eq!(b.status, BoundaryStatus::Revisit);
    assert!(b.agreements.is_empty());
    assert_eq!(b.revisit_at, Some(NOW + 10));
    assert_eq!(b.revisit_by, Some(bob()));

    // One agreement is not enough to leave revisit...
    j.agree_boundary(&alice(), &id, NOW + 11).unwrap();
    assert_eq!(j.get_boundary(&id).unwrap().status, BoundaryStatus::Revisit);
    // ...both are.
    j.agree_boundary(&bob(), &id, NOW + 12).unwrap();
    assert_eq!(j.get_boundary(&id).unwrap().status, BoundaryStatus::Agreed);

    j.retire_boundary(&alice(), &id, NOW + 20).unwrap();
    let b = j.get_boundary(&id).unwrap();
    assert_eq!(b.status, BoundaryStatus::Retired);
    assert_eq!(b.retired_at, Some(NOW + 20));
    assert_eq!(b.retired_by, Some(alice()));

    for result in [
        j.retire_boundary(&bob(), &id, NOW + 21),
        j.agree_boundary(&bob(), &id, NOW + 21),
        j.revisit_boundary(&bob(), &id, NOW + 21),
    ] {
        assert!(matches!(result, Err(JournalError::BoundaryRetired(_))));
    }
}

#[test]
fn revisit_from_proposed() {
    let mut j = SharedJournal::genesis();
    let id = j.propose_boundary(&alice(), "rule", None, NOW).unwrap();
    j.revisit_boundary(&alice(), &id, NOW + 1).unwrap();
    let b = j.get_boundary(&id).unwrap();
    assert_eq!(b.status, BoundaryStatus::Revisit);
    // The proposer may agree again after a revisit.
    j.agree_boundary(&alice(), &id, NOW + 2).unwrap();
}

#[test]
fn concurrent_agreements_on_two_devices_merge_to_agreed() {
    let mut a = SharedJournal::genesis();
    let id = a.propose_boundary(&alice(), "rule", None, NOW).unwrap();
    a.revisit_boundary(&alice(), &id, NOW + 1).unwrap();
    let mut b = SharedJournal::load(&a.save()).unwrap();

    a.agree_boundary(&alice(), &id, NOW + 2).unwrap();
    b.agree_boundary(&bob(), &id, NOW + 3).unwrap();
    a.merge(&mut b).unwrap();
    b.merge(&mut a).unwrap();
    assert_eq!(a.get_boundary(&id).unwrap().status, BoundaryStatus::Agreed);
    assert_eq!(a.get_boundary(&id).unwrap(), b.get_boundary(&id).unwrap());
}

#[test]
fn an_agreement_concurrent_with_a_revisit_survives() {
    let mut a = SharedJournal::genesis();
    let id = a.propose_boundary(&alice(), "rule", None, NOW).unwrap();
    let mut b = SharedJournal::load(&a.save()).unwrap();

    a.revisit_boundary(&alice(), &id, NOW + 1).unwrap();
    b.agree_boundary(&bob(), &id, NOW + 2).unwrap();
    a.merge(&mut b).unwrap();
    let merged = a.get_boundary(&id).unwrap();
    // Alice's agreement was withdrawn by her revisit; Bob's, which she had not seen,
    // still counts.
    assert_eq!(merged.agreements, vec![(bob(), NOW + 2)]);
    assert_eq!(merged.status, BoundaryStatus::Revisit);
}

#[test]
fn lists_are_sorted_by_creation_then_id() {
    let mut j = SharedJournal::genesis();
    let late = j.propose_boundary(&alice(), "late", None, NOW + 5).unwrap();
    let early = j.propose_boundary(&bob(), "early", None, NOW).unwrap();
    let ids: Vec<String> = j.boundaries().into_iter().map(|b| b.id).collect();
    assert_eq!(ids, [early, late]);
}

#[test]
fn json_uses_snake_case_and_lowercase_status() {
    let mut j = SharedJournal::genesis();
    let id = j.propose_boundary(&alice(), "rule", None, NOW).unwrap();
    let json = serde_json::to_value(j.get_boundary(&id).unwrap()).unwrap();
    assert_eq!(json["status"], "proposed");
    assert_eq!(json["author"], alice().as_str());
    assert_eq!(json["agreements"][0][0], alice().as_str());
    assert!(json["revisit_at"].is_null());
}

#[test]
fn ten_thousand_boundaries() {
    let mut j = SharedJournal::genesis();
    for i in 0..10_000 {
        let me = if i % 2 == 0 { alice() } else { bob() };
        j.propose_boundary(&me, &format!("boundary {i}"), None, NOW + i)
            .unwrap();
    }
    let all = j.boundaries();
    assert_eq!(all.len(), 10_000);
    assert_eq!(all[0].text, "boundary 0");
    assert_eq!(all[9_999].text, "boundary 9999");
    assert!(all.iter().all(|b| b.status == BoundaryStatus::Proposed));
    let (kind, id) = j.resolve(&all[1234].id).unwrap();
    assert_eq!(
        (kind, id.as_str()),
        (crate::EntryKind::Boundary, all[1234].id.as_str())
    );
}
