//! Edits, amendments, renegotiations and withdrawals of shared entries: who may make
//! them, what stands, what both devices see after merging concurrent changes, and
//! that a malformed or hostile revision hides nothing.

use automerge::transaction::Transactable;
use automerge::{ObjType, ROOT, ReadDoc};
use chrono::NaiveDate;

use super::{NOW, alice, bob};
use crate::{
    BoundaryStatus, CheckInInput, EntryKind, JournalError, PrivateDiary, PromiseOutcome,
    SharedJournal, Version,
};

/// Both replicas end up with each other's changes.
fn sync(a: &mut SharedJournal, b: &mut SharedJournal) {
    a.merge(b).unwrap();
    b.merge(a).unwrap();
}

/// A second device holding the same journal.
fn replica(j: &mut SharedJournal) -> SharedJournal {
    SharedJournal::load(&j.save()).unwrap()
}

fn date(s: &str) -> NaiveDate {
    crate::parse_date(s).unwrap()
}

fn words(v: &[Version]) -> Vec<&str> {
    v.iter().map(|v| v.text.as_str()).collect()
}

#[test]
fn a_boundary_amendment_stands_only_once_both_agree() {
    let mut a = SharedJournal::genesis();
    let id = a
        .propose_boundary(&alice(), "No phones at dinner", None, NOW)
        .unwrap();
    a.agree_boundary(&bob(), &id, NOW + 1).unwrap();

    // Only the author may change the wording.
    let err = a
        .amend_boundary(&bob(), &id, "No phones", NOW + 2)
        .unwrap_err();
    assert!(matches!(
        err,
        JournalError::NotAuthor {
            kind: EntryKind::Boundary,
            ..
        }
    ));
    assert!(err.to_string().contains("only its author"), "{err}");
    assert!(matches!(
        a.amend_boundary(&alice(), &id, "No phones at dinner", NOW + 2),
        Err(JournalError::Unchanged { .. })
    ));

    let amendment = a
        .amend_boundary(&alice(), &id, "No phones at dinner or in bed", NOW + 10)
        .unwrap();
    let b = a.get_boundary(&id).unwrap();
    // The old wording stands, the new one waits beside it.
    assert_eq!(b.text, "No phones at dinner");
    assert_eq!(b.status, BoundaryStatus::Agreed);
    assert_eq!(b.edited, None);
    assert!(b.earlier.is_empty());
    let pending = b.amendment.unwrap();
    assert_eq!(pending.id, amendment);
    assert_eq!(pending.text, "No phones at dinner or in bed");
    assert_eq!(pending.proposed, NOW + 10);
    assert_eq!(pending.agreements, vec![(alice(), NOW + 10)]);
    // The proposer's agreement is already there.
    assert!(matches!(
        a.agree_amendment(&alice(), &id, NOW + 11),
        Err(JournalError::AlreadyAgreed(_))
    ));

    a.agree_amendment(&bob(), &id, NOW + 20).unwrap();
    let b = a.get_boundary(&id).unwrap();
    assert_eq!(b.text, "No phones at dinner or in bed");
    assert_eq!(b.edited, Some(NOW + 20));
    assert_eq!(
        b.earlier,
        vec![Version {
            text: "No phones at dinner".into(),
            due: None,
            at: NOW
        }]
    );
    assert!(b.amendment.is_none());
    assert!(matches!(
        a.agree_amendment(&bob(), &id, NOW + 21),
        Err(JournalError::NothingPending { .. })
    ));
    // The rule itself is still agreed, and reloads the same.
    assert_eq!(b.status, BoundaryStatus::Agreed);
    assert_eq!(replica(&mut a).get_boundary(&id).unwrap(), b);
}

#[test]
fn a_waiting_amendment_can_be_replaced_or_withdrawn_by_its_author() {
    let mut j = SharedJournal::genesis();
    let id = j.propose_boundary(&alice(), "one", None, NOW).unwrap();
    j.amend_boundary(&alice(), &id, "two", NOW + 1).unwrap();
    j.amend_boundary(&alice(), &id, "three", NOW + 2).unwrap();
    assert_eq!(
        j.get_boundary(&id).unwrap().amendment.unwrap().text,
        "three"
    );
    assert!(matches!(
        j.withdraw_amendment(&bob(), &id, NOW + 3),
        Err(JournalError::NotAuthor { .. })
    ));
    j.withdraw_amendment(&alice(), &id, NOW + 3).unwrap();
    let b = j.get_boundary(&id).unwrap();
    // The superseded proposal does not come back either.
    assert!(b.amendment.is_none());
    assert_eq!((b.text.as_str(), b.edited), ("one", None));
    assert!(matches!(
        j.agree_amendment(&bob(), &id, NOW + 4),
        Err(JournalError::NothingPending { .. })
    ));
}

#[test]
fn concurrent_amendment_changes_merge_the_same_on_both_devices() {
    let mut a = SharedJournal::genesis();
    let id = a.propose_boundary(&alice(), "v1", None, NOW).unwrap();
    a.amend_boundary(&alice(), &id, "v2", NOW + 10).unwrap();
    let mut b = replica(&mut a);

    // Bob agrees to v2 while Alice, not having seen it, proposes v3.
    b.agree_amendment(&bob(), &id, NOW + 20).unwrap();
    a.amend_boundary(&alice(), &id, "v3", NOW + 21).unwrap();
    sync(&mut a, &mut b);
    let merged = a.get_boundary(&id).unwrap();
    assert_eq!(merged, b.get_boundary(&id).unwrap());
    assert_eq!(merged.text, "v2");
    assert_eq!(words(&merged.earlier), ["v1"]);
    assert_eq!(merged.amendment.as_ref().unwrap().text, "v3");

    // Alice withdraws v3 while Bob agrees to it: withdrawn, it never stands.
    let mut b = replica(&mut a);
    a.withdraw_amendment(&alice(), &id, NOW + 30).unwrap();
    b.agree_amendment(&bob(), &id, NOW + 31).unwrap();
    sync(&mut a, &mut b);
    let merged = a.get_boundary(&id).unwrap();
    assert_eq!(merged, b.get_boundary(&id).unwrap());
    assert_eq!(merged.text, "v2");
    assert!(merged.amendment.is_none());

    // Two of Alice's processes propose at once: the later proposal waits, and
    // whichever is agreed, both devices agree on what stands.
    let mut a2 = replica(&mut a);
    a.amend_boundary(&alice(), &id, "from the app", NOW + 40)
        .unwrap();
    a2.amend_boundary(&alice(), &id, "from the CLI", NOW + 41)
        .unwrap();
    sync(&mut a, &mut a2);
    assert_eq!(
        a.get_boundary(&id).unwrap().amendment.unwrap().text,
        "from the CLI"
    );
    let mut b = replica(&mut a);
    b.agree_amendment(&bob(), &id, NOW + 50).unwrap();
    sync(&mut a, &mut b);
    let merged = a.get_boundary(&id).unwrap();
    assert_eq!(merged.text, "from the CLI");
    assert_eq!(words(&merged.earlier), ["v1", "v2"]);
    assert!(merged.amendment.is_none());
}

#[test]
fn an_amendment_agreed_concurrently_with_a_revisit_keeps_both() {
    let mut a = SharedJournal::genesis();
    let id = a.propose_boundary(&alice(), "old", None, NOW).unwrap();
    a.agree_boundary(&bob(), &id, NOW + 1).unwrap();
    a.amend_boundary(&alice(), &id, "new", NOW + 2).unwrap();
    let mut b = replica(&mut a);
    a.revisit_boundary(&alice(), &id, NOW + 3).unwrap();
    b.agree_amendment(&bob(), &id, NOW + 4).unwrap();
    sync(&mut a, &mut b);
    let merged = a.get_boundary(&id).unwrap();
    assert_eq!(
        (merged.text.as_str(), merged.status),
        ("new", BoundaryStatus::Revisit)
    );
}

#[test]
fn a_retired_boundary_cannot_be_amended() {
    let mut j = SharedJournal::genesis();
    let id = j.propose_boundary(&alice(), "rule", None, NOW).unwrap();
    j.retire_boundary(&alice(), &id, NOW + 1).unwrap();
    assert!(matches!(
        j.amend_boundary(&alice(), &id, "other", NOW + 2),
        Err(JournalError::BoundaryRetired(_))
    ));
}

#[test]
fn a_boundary_proposal_not_yet_agreed_can_be_withdrawn_and_disappears_everywhere() {
    let mut a = SharedJournal::genesis();
    let keep = a.propose_boundary(&alice(), "kept", None, NOW).unwrap();
    let id = a
        .propose_boundary(&alice(), "second thoughts", None, NOW + 1)
        .unwrap();
    let mut b = replica(&mut a);
    assert!(matches!(
        b.withdraw_boundary(&bob(), &id, NOW + 2),
        Err(JournalError::NotAuthor { .. })
    ));
    a.withdraw_boundary(&alice(), &id, NOW + 2).unwrap();
    sync(&mut a, &mut b);
    for j in [&a, &b] {
        let ids: Vec<String> = j.boundaries().into_iter().map(|b| b.id).collect();
        assert_eq!(ids, std::slice::from_ref(&keep));
        assert!(matches!(
            j.get_boundary(&id),
            Err(JournalError::Withdrawn {
                kind: EntryKind::Boundary,
                ..
            })
        ));
    }
    // Nothing more can happen to it.
    assert!(matches!(
        b.agree_boundary(&bob(), &id, NOW + 3),
        Err(JournalError::Withdrawn { .. })
    ));

    // Once both agreed, it can only be retired.
    a.agree_boundary(&bob(), &keep, NOW + 4).unwrap();
    let err = a.withdraw_boundary(&alice(), &keep, NOW + 5).unwrap_err();
    assert!(matches!(err, JournalError::CannotWithdraw { .. }));
    assert!(err.to_string().contains("retire"), "{err}");
}

#[test]
fn a_withdrawal_concurrent_with_an_agreement_wins_on_both_devices() {
    let mut a = SharedJournal::genesis();
    let id = a.propose_boundary(&alice(), "rule", None, NOW).unwrap();
    let mut b = replica(&mut a);
    a.withdraw_boundary(&alice(), &id, NOW + 1).unwrap();
    b.agree_boundary(&bob(), &id, NOW + 2).unwrap();
    sync(&mut a, &mut b);
    assert!(a.boundaries().is_empty() && b.boundaries().is_empty());
}

#[test]
fn renegotiated_terms_stand_once_agreed_and_the_chain_is_kept() {
    let mut j = SharedJournal::genesis();
    let id = j
        .add_promise(&alice(), "Call when late", date("2030-01-31"), NOW)
        .unwrap();
    assert!(matches!(
        j.renegotiate_promise(&bob(), &id, Some("x"), None, NOW + 1),
        Err(JournalError::NotAuthor { .. })
    ));
    assert!(matches!(
        j.renegotiate_promise(&alice(), &id, None, Some(date("2030-01-31")), NOW + 1),
        Err(JournalError::Unchanged { .. })
    ));
    // Bob records that it was missed, then they renegotiate.
    j.set_promise_outcome(&bob(), &id, PromiseOutcome::Missed, NOW + 5)
        .unwrap();
    j.renegotiate_promise(
        &alice(),
        &id,
        Some("Text when late"),
        Some(date("2030-03-01")),
        NOW + 10,
    )
    .unwrap();
    let p = j.get_promise(&id).unwrap();
    assert_eq!(
        (p.text.as_str(), p.due),
        ("Call when late", date("2030-01-31"))
    );
    assert_eq!(p.outcome, PromiseOutcome::Missed);
    let terms = p.renegotiation.unwrap();
    assert_eq!(
        (terms.text.as_str(), terms.due),
        ("Text when late", Some(date("2030-03-01")))
    );
    // A second proposal with only a new date keeps the proposed wording.
    j.renegotiate_promise(&alice(), &id, None, Some(date("2030-04-01")), NOW + 11)
        .unwrap();
    let terms = j.get_promise(&id).unwrap().renegotiation.unwrap();
    assert_eq!(
        (terms.text.as_str(), terms.due),
        ("Text when late", Some(date("2030-04-01")))
    );

    assert!(matches!(
        j.agree_promise_terms(&alice(), &id, NOW + 12),
        Err(JournalError::AlreadyAgreed(_))
    ));
    j.agree_promise_terms(&bob(), &id, NOW + 20).unwrap();
    let p = j.get_promise(&id).unwrap();
    assert_eq!(
        (p.text.as_str(), p.due),
        ("Text when late", date("2030-04-01"))
    );
    assert_eq!(p.edited, Some(NOW + 20));
    assert_eq!(
        p.earlier,
        vec![Version {
            text: "Call when late".into(),
            due: Some(date("2030-01-31")),
            at: NOW
        }]
    );
    // The outcome belonged to the earlier terms: the new ones are open.
    assert_eq!(
        (p.outcome, p.outcome_by, p.outcome_at),
        (PromiseOutcome::Open, None, None)
    );
    j.set_promise_outcome(&bob(), &id, PromiseOutcome::Kept, NOW + 30)
        .unwrap();
    assert_eq!(j.get_promise(&id).unwrap().outcome, PromiseOutcome::Kept);
}

#[test]
fn a_promise_is_withdrawn_only_by_its_author_before_it_is_due_and_decided() {
    let mut j = SharedJournal::genesis();
    let today = date("2030-01-10");
    let id = j
        .add_promise(&alice(), "Plan a weekend", date("2030-01-31"), NOW)
        .unwrap();
    let due_today = j.add_promise(&alice(), "Call", today, NOW).unwrap();
    let decided = j
        .add_promise(&alice(), "Walk", date("2030-02-01"), NOW)
        .unwrap();
    j.set_promise_outcome(&bob(), &decided, PromiseOutcome::Kept, NOW + 1)
        .unwrap();

    assert!(matches!(
        j.withdraw_promise(&bob(), &id, today, NOW + 2),
        Err(JournalError::NotAuthor { .. })
    ));
    let err = j
        .withdraw_promise(&alice(), &due_today, today, NOW + 2)
        .unwrap_err();
    assert!(err.to_string().contains("already due"), "{err}");
    let err = j
        .withdraw_promise(&alice(), &decided, today, NOW + 2)
        .unwrap_err();
    assert!(matches!(err, JournalError::CannotWithdraw { .. }), "{err}");

    j.withdraw_promise(&alice(), &id, today, NOW + 2).unwrap();
    let ids: Vec<String> = j.promises().into_iter().map(|p| p.id).collect();
    assert_eq!(ids.len(), 2);
    assert!(!ids.contains(&id));
    assert!(matches!(
        j.set_promise_outcome(&bob(), &id, PromiseOutcome::Kept, NOW + 3),
        Err(JournalError::Withdrawn { .. })
    ));
}

#[test]
fn a_shared_entry_is_edited_with_its_earlier_wordings_and_can_be_withdrawn() {
    let mut diary = PrivateDiary::genesis();
    let entry = diary
        .add_entry(&alice(), "first words", None, Some(2), NOW)
        .unwrap();
    let entry = diary.get_entry(&entry).unwrap();
    let mut a = SharedJournal::genesis();
    let id = a.share_diary_entry(&alice(), &entry, NOW + 1).unwrap();
    let mut b = replica(&mut a);

    assert!(matches!(
        b.edit_shared_entry(&bob(), &id, "not mine", NOW + 2),
        Err(JournalError::NotAuthor {
            kind: EntryKind::SharedEntry,
            ..
        })
    ));
    assert!(matches!(
        a.edit_shared_entry(&alice(), &id, "first words", NOW + 2),
        Err(JournalError::Unchanged { .. })
    ));
    a.edit_shared_entry(&alice(), &id, "better words", NOW + 10)
        .unwrap();
    sync(&mut a, &mut b);
    let seen = b.get_shared_entry(&id).unwrap();
    assert_eq!(seen.text, "better words");
    assert_eq!(seen.edited, Some(NOW + 10));
    assert_eq!(
        seen.earlier,
        vec![Version {
            text: "first words".into(),
            due: None,
            at: NOW
        }]
    );

    // Two of Alice's processes edit at once: neither wording is lost.
    let mut a2 = replica(&mut a);
    a.edit_shared_entry(&alice(), &id, "from the app", NOW + 20)
        .unwrap();
    a2.edit_shared_entry(&alice(), &id, "from the CLI", NOW + 21)
        .unwrap();
    sync(&mut a, &mut a2);
    let merged = a.get_shared_entry(&id).unwrap();
    assert_eq!(merged, a2.get_shared_entry(&id).unwrap());
    assert_eq!(merged.text, "from the CLI");
    assert_eq!(
        words(&merged.earlier),
        ["first words", "better words", "from the app"]
    );

    assert!(matches!(
        b.withdraw_shared_entry(&bob(), &id, NOW + 30),
        Err(JournalError::NotAuthor { .. })
    ));
    a.withdraw_shared_entry(&alice(), &id, NOW + 30).unwrap();
    sync(&mut a, &mut b);
    assert!(a.shared_entries().is_empty() && b.shared_entries().is_empty());
    // Sharing it again makes a fresh copy, without the withdrawn one's edits.
    a.share_diary_entry(&alice(), &entry, NOW + 40).unwrap();
    let again = a.get_shared_entry(&id).unwrap();
    assert_eq!((again.text.as_str(), again.edited), ("first words", None));
}

#[test]
fn check_in_answers_keep_their_earlier_versions_and_scores_do_not() {
    let mut j = SharedJournal::genesis();
    let mut input = CheckInInput {
        week: "2026-W48".into(),
        mood: 3,
        trust: 4,
        closeness: 5,
        went_well: Some("the walk".into()),
        hard: Some("the silence".into()),
        ..Default::default()
    };
    let id = j.upsert_checkin(&alice(), &input, NOW).unwrap().id;
    // Same answers, new scores: not an edit of the answers.
    input.mood = 4;
    j.upsert_checkin(&alice(), &input, NOW + 1).unwrap();
    let c = j.get_checkin(&id).unwrap();
    assert_eq!((c.mood, c.edited), (4, None));

    input.hard = None;
    input.need = Some("time".into());
    j.upsert_checkin(&alice(), &input, NOW + 10).unwrap();
    let c = j.get_checkin(&id).unwrap();
    assert_eq!((c.hard.as_deref(), c.need.as_deref()), (None, Some("time")));
    assert_eq!(c.edited, Some(NOW + 10));
    assert_eq!(c.earlier.len(), 1);
    assert_eq!(c.earlier[0].hard.as_deref(), Some("the silence"));
    assert_eq!(c.earlier[0].at, NOW);

    assert!(matches!(
        j.edit_checkin(&bob(), &id, [Some("x"), None, None, None], NOW + 20),
        Err(JournalError::NotAuthor { .. })
    ));
    assert!(matches!(
        j.edit_checkin(
            &alice(),
            &id,
            [Some("the walk"), None, Some("time"), Some(" ")],
            NOW + 20
        ),
        Err(JournalError::Unchanged { .. })
    ));
    j.edit_checkin(
        &alice(),
        &id,
        [Some("the long walk"), None, Some("time"), None],
        NOW + 20,
    )
    .unwrap();
    let c = j.get_checkin(&id).unwrap();
    assert_eq!(c.went_well.as_deref(), Some("the long walk"));
    assert_eq!((c.mood, c.earlier.len(), c.edited), (4, 2, Some(NOW + 20)));
    assert_eq!(j.checkins(), vec![c]);
}

#[test]
fn stage_notes_keep_the_notes_before() {
    let mut j = SharedJournal::genesis();
    j.set_stage(&alice(), 3, true, Some("we talked"), NOW)
        .unwrap();
    j.set_stage_note(&alice(), 3, "we talked for hours", NOW + 10)
        .unwrap();
    let s = &j.stages()[0];
    assert!(s.done, "changing the note leaves the stage done");
    assert_eq!(s.note.as_deref(), Some("we talked for hours"));
    assert_eq!(s.edited, Some(NOW + 10));
    assert_eq!(words(&s.earlier), ["we talked"]);
    // Ticking the stage again without a note changes nothing about it.
    j.set_stage(&alice(), 3, true, None, NOW + 11).unwrap();
    assert_eq!(j.stages()[0].earlier.len(), 1);
    // Removing it is an edit too; the removed state is not shown as a wording.
    j.set_stage_note(&alice(), 3, " ", NOW + 20).unwrap();
    let s = &j.stages()[0];
    assert_eq!((s.note.as_deref(), s.edited), (None, Some(NOW + 20)));
    assert_eq!(words(&s.earlier), ["we talked", "we talked for hours"]);
    // A first note on a stage not marked yet leaves it not done.
    j.set_stage_note(&bob(), 5, "my note", NOW + 30).unwrap();
    let s = &j.stages()[1];
    assert_eq!(
        (s.done, s.note.as_deref(), s.edited),
        (false, Some("my note"), None)
    );
}

/// The partner's device may write anything into an entry's map; none of it may
/// hide the entry, or its other revisions, or count as the author's.
#[test]
fn malformed_and_hostile_revisions_hide_nothing() {
    let mut j = SharedJournal::genesis();
    let id = j.propose_boundary(&alice(), "rule", None, NOW).unwrap();
    j.amend_boundary(&alice(), &id, "rule, amended", NOW + 1)
        .unwrap();
    let other = j
        .propose_boundary(&alice(), "other", None, NOW + 2)
        .unwrap();
    let boundaries = j.doc().get(ROOT, "boundaries").unwrap().unwrap().1;
    let obj = j.doc().get(&boundaries, id.as_str()).unwrap().unwrap().1;
    let other_obj = j.doc().get(&boundaries, other.as_str()).unwrap().unwrap().1;

    let doc = j.doc_mut();
    // Not a map; a map without `at`; content of the wrong type.
    doc.put(&obj, "rev:junk", "SECRET text").unwrap();
    let r = doc.put_object(&obj, "rev:no-time", ObjType::Map).unwrap();
    doc.put(&r, "by", alice().as_str()).unwrap();
    doc.put(&r, "text", "never stands").unwrap();
    let r = doc
        .put_object(&obj, "rev:wrong-type", ObjType::Map)
        .unwrap();
    doc.put(&r, "by", alice().as_str()).unwrap();
    doc.put(&r, "at", NOW + 5).unwrap();
    doc.put(&r, "text", 42).unwrap();
    // Bob's device poses as Alice's editor, agreed by both.
    let r = doc.put_object(&obj, "rev:forged", ObjType::Map).unwrap();
    doc.put(&r, "by", bob().as_str()).unwrap();
    doc.put(&r, "at", NOW + 6).unwrap();
    doc.put(&r, "text", "Bob's wording").unwrap();
    let agreed = doc.put_object(&r, "agreed_by", ObjType::Map).unwrap();
    doc.put(&agreed, alice().as_str(), NOW + 6).unwrap();
    doc.put(&agreed, bob().as_str(), NOW + 6).unwrap();
    // An amendment whose agreements are garbage stays waiting.
    let r = doc
        .put_object(&obj, "rev:bad-agreements", ObjType::Map)
        .unwrap();
    doc.put(&r, "by", alice().as_str()).unwrap();
    doc.put(&r, "at", NOW + 7).unwrap();
    doc.put(&r, "text", "waiting still").unwrap();
    doc.put(&r, "agreed_by", "everyone").unwrap();
    // Withdrawals that are malformed or not the author's.
    doc.put(&obj, "withdrawn_at", "now").unwrap();
    doc.put(&obj, "withdrawn_by", alice().as_str()).unwrap();
    doc.put(&other_obj, "withdrawn_at", NOW + 8).unwrap();
    doc.put(&other_obj, "withdrawn_by", bob().as_str()).unwrap();
    doc.commit();

    let listed = j.boundaries();
    assert_eq!(listed.len(), 2, "both boundaries are still listed");
    let b = j.get_boundary(&id).unwrap();
    assert_eq!(b.text, "rule");
    assert!(b.earlier.is_empty());
    assert_eq!(b.amendment.unwrap().text, "waiting still");
    assert_eq!(j.get_boundary(&other).unwrap().text, "other");
    // And it still round-trips through a save.
    assert_eq!(replica(&mut j).boundaries(), listed);
}

#[test]
fn a_malformed_revision_of_a_shared_entry_is_skipped_not_fatal() {
    let mut diary = PrivateDiary::genesis();
    let entry = diary.add_entry(&alice(), "words", None, None, NOW).unwrap();
    let entry = diary.get_entry(&entry).unwrap();
    let mut j = SharedJournal::genesis();
    let id = j.share_diary_entry(&alice(), &entry, NOW).unwrap();
    j.edit_shared_entry(&alice(), &id, "edited words", NOW + 1)
        .unwrap();
    let shared = j.doc().get(ROOT, "shared").unwrap().unwrap().1;
    let obj = j.doc().get(&shared, id.as_str()).unwrap().unwrap().1;
    let doc = j.doc_mut();
    let r = doc.put_object(&obj, "rev:bad", ObjType::Map).unwrap();
    doc.put(&r, "by", alice().as_str()).unwrap();
    doc.put(&r, "at", i64::MAX).unwrap();
    let t = doc.put_object(&r, "text", ObjType::Text).unwrap();
    doc.splice_text(&t, 0, 0, "hidden").unwrap();
    doc.commit();
    let e = j.get_shared_entry(&id).unwrap();
    assert_eq!((e.text.as_str(), e.earlier.len()), ("edited words", 1));
}
