//! Sealed letters: the title and body are in the journal only encrypted until the
//! author's key is written in.

use kintsugi_crypto::Secret32;

use super::{NOW, alice, bob};
use crate::{JournalError, LetterKind, PrivateDiary, SealUntil, SharedJournal, unseal_letter};

const CANARY: &str = "canary 5e11 sealed words";

fn sealed(until: SealUntil) -> (SharedJournal, String, Secret32) {
    let mut diary = PrivateDiary::genesis();
    let mut j = SharedJournal::genesis();
    let id = diary
        .add_draft(&alice(), LetterKind::Hope, "title 5e11", CANARY, NOW)
        .unwrap();
    let draft = diary.get_draft(&id).unwrap();
    let key = Secret32::from_bytes([7; 32]);
    j.send_sealed_letter(&alice(), &draft, until, &key, NOW + 1)
        .unwrap();
    (j, id, key)
}

/// Every change of the journal, decoded, as text.
fn history(j: &mut SharedJournal) -> String {
    let bytes = j.save();
    let mut am = automerge::AutoCommit::load(&bytes).unwrap();
    am.get_changes(&[])
        .iter()
        .map(|c| format!("{:?}", c.decode()))
        .collect()
}

#[test]
fn a_sealed_letter_holds_neither_title_nor_body_until_its_key_is_written() {
    let (mut j, id, key) = sealed(SealUntil::Ready);
    let h = history(&mut j);
    assert!(!h.contains("5e11"), "the journal holds the letter's words");
    let l = j.get_letter(&id).unwrap();
    assert!(l.is_sealed());
    assert_eq!((l.title.as_str(), l.body.as_str()), ("", ""));
    assert_eq!(l.kind, LetterKind::Hope);
    let seal = l.seal.clone().unwrap();
    assert_eq!(
        (seal.until, seal.ready_at, seal.opened_at),
        (SealUntil::Ready, None, None)
    );
    // The author's device reads it with the key it keeps; a wrong key does not.
    assert_eq!(unseal_letter(&l, &key).unwrap().body, CANARY);
    assert!(unseal_letter(&l, &Secret32::from_bytes([8; 32])).is_err());
    // Still sealed, it cannot be marked read.
    assert!(matches!(
        j.mark_letter_read(&bob(), &id, NOW + 2),
        Err(JournalError::StillSealed(e)) if e == id
    ));

    // Only the recipient says they are ready, once.
    assert!(j.ready_for_letter(&alice(), &id, NOW + 3).is_err());
    assert!(j.ready_for_letter(&bob(), &id, NOW + 3).unwrap());
    assert!(!j.ready_for_letter(&bob(), &id, NOW + 4).unwrap());
    assert_eq!(
        j.get_letter(&id).unwrap().seal.unwrap().ready_at,
        Some(NOW + 3)
    );

    // Only the author opens it, and only with its key.
    assert!(matches!(
        j.open_sealed_letter(&bob(), &id, &key, NOW + 5),
        Err(JournalError::NotAuthor { .. })
    ));
    assert!(
        j.open_sealed_letter(&alice(), &id, &Secret32::from_bytes([8; 32]), NOW + 5)
            .is_err()
    );
    assert!(j.get_letter(&id).unwrap().is_sealed());
    assert!(j.open_sealed_letter(&alice(), &id, &key, NOW + 6).unwrap());
    assert!(!j.open_sealed_letter(&alice(), &id, &key, NOW + 7).unwrap());
    let l = j.get_letter(&id).unwrap();
    assert!(!l.is_sealed());
    assert_eq!((l.title.as_str(), l.body.as_str()), ("title 5e11", CANARY));
    assert_eq!(l.seal.unwrap().opened_at, Some(NOW + 6));
    assert!(j.mark_letter_read(&bob(), &id, NOW + 8).unwrap());
}

#[test]
fn a_letter_sealed_until_a_date_waits_for_no_one_ready() {
    let (mut j, id, _) = sealed(SealUntil::Time(NOW + 1000));
    let l = j.get_letter(&id).unwrap();
    assert_eq!(l.seal.unwrap().until, SealUntil::Time(NOW + 1000));
    assert!(matches!(
        j.ready_for_letter(&bob(), &id, NOW + 2),
        Err(JournalError::NotNow { .. })
    ));
    // A moment that has come is refused when sending.
    let mut diary = PrivateDiary::genesis();
    let draft = diary
        .add_draft(&alice(), LetterKind::Other, "t", "b", NOW)
        .unwrap();
    let draft = diary.get_draft(&draft).unwrap();
    let key = Secret32::from_bytes([1; 32]);
    assert!(
        j.send_sealed_letter(&alice(), &draft, SealUntil::Time(NOW), &key, NOW)
            .is_err()
    );
    // An open letter has no seal and nothing to be ready for.
    j.send_letter(&alice(), &draft, NOW).unwrap();
    let open = j.get_letter(&draft.id).unwrap();
    assert!(open.seal.is_none() && !open.is_sealed());
    assert!(j.ready_for_letter(&bob(), &draft.id, NOW).is_err());
}

#[test]
fn an_opening_that_does_not_open_the_letter_leaves_it_sealed_and_listed() {
    use automerge::ReadDoc;
    use automerge::transaction::Transactable;
    let (mut j, id, _) = sealed(SealUntil::Ready);
    let letters = j.doc().get(automerge::ROOT, "letters").unwrap().unwrap().1;
    let obj = j.doc().get(&letters, &id).unwrap().unwrap().1;
    j.doc_mut().put(&obj, "opening", "00".repeat(32)).unwrap();
    j.doc_mut().put(&obj, "opened_at", NOW + 9).unwrap();
    assert!(j.get_letter(&id).unwrap().is_sealed());
    assert_eq!(j.letters().len(), 1);
    // A seal of a kind this version does not know is reported, not guessed at.
    j.doc_mut().put(&obj, "seal", "someday").unwrap();
    assert!(matches!(
        j.get_letter(&id),
        Err(JournalError::Corrupt { .. })
    ));
}
