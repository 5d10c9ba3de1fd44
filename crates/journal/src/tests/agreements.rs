use super::documents::date;
use super::{NOW, alice, bob};
use crate::{AgreementState, AgreementTerms, BoundaryStatus, JournalError, SharedJournal};

fn today() -> chrono::NaiveDate {
    date("2026-11-26")
}

fn terms(review: &str, ends: &str) -> AgreementTerms<'static> {
    AgreementTerms {
        scope: "Location sharing on evenings out",
        review: date(review),
        ends: date(ends),
    }
}

fn refused(r: crate::Result<impl std::fmt::Debug>, why: &str) {
    match r {
        Err(JournalError::NotNow { reason, .. }) => {
            assert!(reason.contains(why), "{reason:?} does not say {why:?}")
        }
        other => panic!("expected a refusal saying {why:?}, got {other:?}"),
    }
}

/// An agreement is a boundary with terms: in force once both agreed, due for a
/// review on its review date, ended on its end date with nobody acting.
#[test]
fn an_agreement_holds_between_consent_and_its_end_date() {
    let mut j = SharedJournal::genesis();
    let id = j
        .propose_agreement(
            &alice(),
            "I share where I am when out late",
            terms("2026-12-26", "2027-01-26"),
            today(),
            NOW,
        )
        .unwrap();
    let b = j.get_boundary(&id).unwrap();
    let a = b.agreement.clone().unwrap();
    assert_eq!(a.scope, "Location sharing on evenings out");
    assert_eq!((a.review, a.ends), (date("2026-12-26"), date("2027-01-26")));
    assert_eq!((a.renewed, a.renewal.clone()), (None, None));
    // Only Ari's consent so far: not in force.
    assert_eq!(b.agreement_state(today()), Some(AgreementState::Proposed));
    refused(
        j.renew_agreement(
            &alice(),
            &id,
            date("2027-01-01"),
            date("2027-02-01"),
            today(),
            NOW,
        ),
        "both have to agree",
    );

    j.agree_boundary(&bob(), &id, NOW + 1).unwrap();
    let b = j.get_boundary(&id).unwrap();
    assert_eq!(b.status, BoundaryStatus::Agreed);
    assert_eq!(b.agreement_state(today()), Some(AgreementState::InForce));
    assert_eq!(
        b.agreement_state(date("2026-12-26")),
        Some(AgreementState::ReviewDue)
    );
    assert_eq!(
        b.agreement_state(date("2027-01-26")),
        Some(AgreementState::Ended)
    );
    // A plain boundary has no agreement state and cannot be renewed.
    let plain = j
        .propose_boundary(&alice(), "No phones at dinner", None, NOW)
        .unwrap();
    let p = j.get_boundary(&plain).unwrap();
    assert_eq!(p.agreement_state(today()), None);
    assert!(p.renew_refusal().is_some());

    // Retired before its end: ended early.
    j.retire_boundary(&bob(), &id, NOW + 2).unwrap();
    assert_eq!(
        j.get_boundary(&id).unwrap().agreement_state(today()),
        Some(AgreementState::EndedEarly)
    );
}

#[test]
fn dates_that_cannot_hold_are_refused() {
    let mut j = SharedJournal::genesis();
    for (review, ends) in [
        ("2026-11-20", "2027-01-01"), // review in the past
        ("2026-12-01", "2026-11-26"), // ends today
        ("2027-01-01", "2027-01-01"), // review on the last day
        ("2027-02-01", "2027-01-01"), // review after the end
    ] {
        match j.propose_agreement(&alice(), "x", terms(review, ends), today(), NOW) {
            Err(JournalError::BadAgreementDates(_)) => {}
            other => panic!("{review}..{ends}: expected bad dates, got {other:?}"),
        }
    }
    let blank = AgreementTerms {
        scope: "  ",
        ..terms("2026-12-01", "2027-01-01")
    };
    assert!(
        j.propose_agreement(&alice(), "x", blank, today(), NOW)
            .is_err()
    );
    assert!(j.boundaries().is_empty());
}

/// Renewing: either proposes new dates, they stand once the other agrees, and
/// the proposer may take them back before that. An ended agreement can be
/// renewed too.
#[test]
fn new_dates_stand_once_both_agree() {
    let mut j = SharedJournal::genesis();
    let id = j
        .propose_agreement(
            &alice(),
            "x",
            terms("2026-12-01", "2026-12-10"),
            today(),
            NOW,
        )
        .unwrap();
    j.agree_boundary(&bob(), &id, NOW + 1).unwrap();
    let later = date("2026-12-20");
    assert_eq!(
        j.get_boundary(&id).unwrap().agreement_state(later),
        Some(AgreementState::Ended)
    );

    // Bea proposes new dates after it ended; Ari agrees.
    j.renew_agreement(
        &bob(),
        &id,
        date("2027-01-01"),
        date("2027-02-01"),
        later,
        NOW + 2,
    )
    .unwrap();
    let b = j.get_boundary(&id).unwrap();
    let a = b.agreement.as_ref().unwrap();
    assert_eq!(
        a.ends,
        date("2026-12-10"),
        "new dates stand only once agreed"
    );
    let r = a.renewal.clone().unwrap();
    assert_eq!(
        (r.by.clone(), r.review, r.ends),
        (bob(), date("2027-01-01"), date("2027-02-01"))
    );
    assert_eq!(
        b.agree_renewal_refusal(&bob()),
        Some("you already agreed to these dates")
    );
    refused(j.agree_renewal(&bob(), &id, NOW + 3), "already agreed");
    refused(
        j.withdraw_renewal(&alice(), &id, NOW + 3),
        "only the partner who proposed",
    );
    j.agree_renewal(&alice(), &id, NOW + 4).unwrap();
    let b = j.get_boundary(&id).unwrap();
    let a = b.agreement.as_ref().unwrap();
    assert_eq!((a.review, a.ends), (date("2027-01-01"), date("2027-02-01")));
    assert_eq!((a.renewed, a.renewal.is_none()), (Some(NOW + 4), true));
    assert_eq!(b.agreement_state(later), Some(AgreementState::InForce));
    refused(j.agree_renewal(&alice(), &id, NOW + 5), "no renewal");

    // Ari proposes other dates and takes them back: the agreed ones stand.
    j.renew_agreement(
        &alice(),
        &id,
        date("2027-01-10"),
        date("2027-03-01"),
        later,
        NOW + 6,
    )
    .unwrap();
    j.withdraw_renewal(&alice(), &id, NOW + 7).unwrap();
    let a = j.get_boundary(&id).unwrap().agreement.unwrap();
    assert_eq!((a.ends, a.renewal), (date("2027-02-01"), None));

    // A second proposal replaces the one waiting.
    j.renew_agreement(
        &alice(),
        &id,
        date("2027-01-10"),
        date("2027-03-01"),
        later,
        NOW + 8,
    )
    .unwrap();
    j.renew_agreement(
        &alice(),
        &id,
        date("2027-01-11"),
        date("2027-03-02"),
        later,
        NOW + 9,
    )
    .unwrap();
    let a = j.get_boundary(&id).unwrap().agreement.unwrap();
    assert_eq!(a.renewal.map(|r| r.ends), Some(date("2027-03-02")));
    assert_eq!(
        a.superseded.len(),
        2,
        "the two taken back; the agreed one stands"
    );
}

/// Two devices at once: an agreement to waiting dates and new dates proposed
/// meanwhile both land; the agreed ones stand and the new ones wait.
#[test]
fn a_renewal_agreed_while_other_dates_are_proposed_keeps_both() {
    let mut a = SharedJournal::genesis();
    let id = a
        .propose_agreement(
            &alice(),
            "x",
            terms("2026-12-01", "2026-12-10"),
            today(),
            NOW,
        )
        .unwrap();
    a.agree_boundary(&bob(), &id, NOW + 1).unwrap();
    a.renew_agreement(
        &alice(),
        &id,
        date("2027-01-01"),
        date("2027-02-01"),
        today(),
        NOW + 2,
    )
    .unwrap();
    let mut b = SharedJournal::load(&a.save()).unwrap();
    b.agree_renewal(&bob(), &id, NOW + 3).unwrap();
    let mut a2 = SharedJournal::load(&a.save()).unwrap();
    a2.renew_agreement(
        &alice(),
        &id,
        date("2027-05-01"),
        date("2027-06-01"),
        today(),
        NOW + 4,
    )
    .unwrap();
    a.merge(&mut b).unwrap();
    a.merge(&mut a2).unwrap();
    let t = a.get_boundary(&id).unwrap().agreement.unwrap();
    assert_eq!(t.ends, date("2027-02-01"));
    assert_eq!(t.renewal.map(|r| r.ends), Some(date("2027-06-01")));
}

/// A release keeps the dates that stand and the ones waiting, not the renewals
/// taken back or replaced on the way.
#[test]
fn a_release_keeps_the_agreement_as_it_reads() {
    let mut j = SharedJournal::genesis();
    let id = j
        .propose_agreement(
            &alice(),
            "x",
            terms("2026-12-01", "2026-12-10"),
            today(),
            NOW,
        )
        .unwrap();
    j.agree_boundary(&bob(), &id, NOW + 1).unwrap();
    j.renew_agreement(
        &bob(),
        &id,
        date("2027-01-01"),
        date("2027-02-01"),
        today(),
        NOW + 2,
    )
    .unwrap();
    j.withdraw_renewal(&bob(), &id, NOW + 3).unwrap();
    j.renew_agreement(
        &bob(),
        &id,
        date("2027-01-02"),
        date("2027-02-02"),
        today(),
        NOW + 4,
    )
    .unwrap();
    j.agree_renewal(&alice(), &id, NOW + 5).unwrap();
    j.renew_agreement(
        &alice(),
        &id,
        date("2027-01-03"),
        date("2027-02-03"),
        today(),
        NOW + 6,
    )
    .unwrap();
    let heads = j.heads();
    let c = SharedJournal::load(&j.released_copy(&heads, &[8; 16]).unwrap()).unwrap();
    let (was, now) = (j.get_boundary(&id).unwrap(), c.get_boundary(&id).unwrap());
    let (w, n) = (was.agreement.unwrap(), now.agreement.unwrap());
    assert_eq!((n.review, n.ends, n.renewed), (w.review, w.ends, w.renewed));
    assert_eq!(n.renewal, w.renewal);
    assert_eq!(w.superseded.len(), 1);
    assert!(n.superseded.is_empty());
}

/// A malformed renewal a partner's device wrote is skipped, never the entry.
#[test]
fn a_malformed_renewal_is_skipped() {
    use automerge::ReadDoc;
    use automerge::transaction::Transactable;
    let mut j = SharedJournal::genesis();
    let id = j
        .propose_agreement(
            &alice(),
            "x",
            terms("2026-12-01", "2026-12-10"),
            today(),
            NOW,
        )
        .unwrap();
    let am = j.doc_mut();
    let (_, root) = am.get(automerge::ROOT, "boundaries").unwrap().unwrap();
    let (_, entry) = am.get(&root, id.as_str()).unwrap().unwrap();
    let bad = am
        .put_object(&entry, "renew:zz", automerge::ObjType::Map)
        .unwrap();
    am.put(&bad, "by", bob().as_str()).unwrap();
    am.put(&bad, "at", NOW).unwrap();
    am.put(&bad, "review", "2027-03-01").unwrap();
    am.put(&bad, "ends", "2027-01-01").unwrap();
    am.put(&entry, "renew:odd", 7).unwrap();
    am.commit();
    let a = j.get_boundary(&id).unwrap().agreement.unwrap();
    assert_eq!((a.ends, a.renewal), (date("2026-12-10"), None));
}
