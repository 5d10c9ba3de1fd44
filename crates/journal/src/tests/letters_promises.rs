use super::documents::date;
use super::{NOW, alice, bob};
use crate::{JournalError, LetterKind, PrivateDiary, PromiseOutcome, SharedJournal};

#[test]
fn letter_from_draft_to_read() {
    let mut diary = PrivateDiary::genesis();
    let mut j = SharedJournal::genesis();
    let draft_id = diary
        .add_draft(
            &alice(),
            LetterKind::Apology,
            "I am sorry",
            "Dear Bob, ...",
            NOW,
        )
        .unwrap();
    diary
        .update_draft(
            &draft_id,
            LetterKind::Apology,
            "I am sorry",
            "Dear Bob, I ...",
            NOW + 5,
        )
        .unwrap();
    let draft = diary.get_draft(&draft_id).unwrap();

    let id = j.send_letter(&alice(), &draft, NOW + 10).unwrap();
    assert_eq!(id, draft_id);
    diary.remove_draft(&draft_id, NOW + 10).unwrap();
    assert!(diary.drafts().is_empty());

    let letter = j.get_letter(&id).unwrap();
    assert_eq!(letter.kind, LetterKind::Apology);
    assert_eq!(letter.body, "Dear Bob, I ...");
    assert_eq!((letter.created, letter.sent), (NOW, NOW + 10));
    assert_eq!(letter.read_at, None);

    // Sending the same draft again (e.g. a retry after a crash) changes nothing.
    let heads = j.heads();
    assert_eq!(j.send_letter(&alice(), &draft, NOW + 11).unwrap(), id);
    assert_eq!(j.heads(), heads);
    assert_eq!(j.letters().len(), 1);

    // Only the recipient may mark it read.
    assert!(matches!(
        j.mark_letter_read(&alice(), &id, NOW + 20),
        Err(JournalError::NotRecipient(e)) if e == id
    ));
    assert!(j.mark_letter_read(&bob(), &id, NOW + 30).unwrap());
    let letter = j.get_letter(&id).unwrap();
    assert_eq!(letter.read_at, Some(NOW + 30));
    assert_eq!(letter.read_by, Some(bob()));
    // Already read: fine, nothing changes.
    let heads = j.heads();
    assert!(!j.mark_letter_read(&bob(), &id, NOW + 40).unwrap());
    assert_eq!(j.heads(), heads);
    assert_eq!(j.get_letter(&id).unwrap().read_at, Some(NOW + 30));
}

#[test]
fn letter_kinds_parse_from_lowercase() {
    for kind in [
        LetterKind::Apology,
        LetterKind::Appreciation,
        LetterKind::Hope,
        LetterKind::Forgiveness,
        LetterKind::Other,
    ] {
        assert_eq!(kind.as_str().parse::<LetterKind>().unwrap(), kind);
        assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
    }
    assert!(matches!(
        "Apology!".parse::<LetterKind>(),
        Err(JournalError::BadLetterKind(_))
    ));
}

#[test]
fn letter_validation() {
    let mut diary = PrivateDiary::genesis();
    assert!(matches!(
        diary.add_draft(&alice(), LetterKind::Hope, "", "body", NOW),
        Err(JournalError::EmptyText { field: "title" })
    ));
    assert!(matches!(
        diary.add_draft(&alice(), LetterKind::Hope, "title", " \n\t", NOW),
        Err(JournalError::EmptyText { field: "body" })
    ));
}

#[test]
fn only_the_other_partner_sets_a_promise_outcome() {
    let mut j = SharedJournal::genesis();
    let id = j
        .add_promise(
            &alice(),
            "Home by seven on weekdays",
            date("2026-12-24"),
            NOW,
        )
        .unwrap();
    let p = j.get_promise(&id).unwrap();
    assert_eq!(p.outcome, PromiseOutcome::Open);
    assert_eq!(p.due, date("2026-12-24"));

    assert!(matches!(
        j.set_promise_outcome(&alice(), &id, PromiseOutcome::Kept, NOW + 1),
        Err(JournalError::OwnPromise(e)) if e == id
    ));
    assert_eq!(j.get_promise(&id).unwrap().outcome, PromiseOutcome::Open);

    j.set_promise_outcome(&bob(), &id, PromiseOutcome::Kept, NOW + 2)
        .unwrap();
    let p = j.get_promise(&id).unwrap();
    assert_eq!(p.outcome, PromiseOutcome::Kept);
    assert_eq!(p.outcome_by, Some(bob()));
    assert_eq!(p.outcome_at, Some(NOW + 2));

    j.set_promise_outcome(&bob(), &id, PromiseOutcome::Open, NOW + 3)
        .unwrap();
    let p = j.get_promise(&id).unwrap();
    assert_eq!(p.outcome, PromiseOutcome::Open);
    assert_eq!((&p.outcome_by, p.outcome_at), (&None, None));

    let json = serde_json::to_value(&p).unwrap();
    assert_eq!(json["due"], "2026-12-24");
    assert_eq!(json["outcome"], "open");
}

#[test]
fn promise_validation() {
    let mut j = SharedJournal::genesis();
    assert!(matches!(
        j.add_promise(&alice(), " ", date("2026-12-24"), NOW),
        Err(JournalError::EmptyText { field: "text" })
    ));
    for bad in [
        "2026-13-01",
        "2026-02-30",
        "26-01-01",
        "2026/01/01",
        "+2026-01-01",
        "",
    ] {
        assert!(
            matches!(crate::parse_date(bad), Err(JournalError::BadDate(_))),
            "{bad}"
        );
    }
    assert!(
        "done"
            .parse::<PromiseOutcome>()
            .is_err_and(|e| matches!(e, JournalError::BadOutcome(_)))
    );
    assert_eq!(
        "missed".parse::<PromiseOutcome>().unwrap(),
        PromiseOutcome::Missed
    );
}

/// Opening a letter is the reader's own record: it lands in their diary, never in
/// the journal the writer sees, and recording it twice keeps the first time.
#[test]
fn opening_a_letter_is_recorded_privately_and_only_once() {
    let mut diary = PrivateDiary::genesis();
    let mut j = SharedJournal::genesis();
    let draft_id = diary
        .add_draft(&alice(), LetterKind::Hope, "Next year", "...", NOW)
        .unwrap();
    let draft = diary.get_draft(&draft_id).unwrap();
    let id = j.send_letter(&alice(), &draft, NOW + 1).unwrap();

    let mut bobs = PrivateDiary::genesis();
    let journal_heads = j.heads();
    assert_eq!(bobs.letter_opened_at(&id), None);
    assert!(bobs.mark_letter_opened(&id, NOW + 10).unwrap());
    let heads = bobs.heads();
    assert!(!bobs.mark_letter_opened(&id, NOW + 20).unwrap());
    assert_eq!(bobs.heads(), heads, "a second opening wrote something");
    assert_eq!(bobs.letter_opened_at(&id), Some(NOW + 10));
    assert_eq!(
        bobs.opened_letters().into_iter().collect::<Vec<_>>(),
        [(id.clone(), NOW + 10)]
    );
    // The journal the writer syncs did not move, and the letter reads unread.
    assert_eq!(j.heads(), journal_heads);
    assert_eq!(j.get_letter(&id).unwrap().read_at, None);
    // The record is no diary entry, draft or anything a list shows.
    assert!(bobs.entries().is_empty() && bobs.drafts().is_empty());
    assert!(matches!(
        bobs.mark_letter_opened(" ", NOW),
        Err(JournalError::EmptyText { .. })
    ));
}
