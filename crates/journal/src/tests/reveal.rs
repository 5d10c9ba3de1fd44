//! Check-ins revealed together: what the journal holds before and after, and that
//! revealed answers are checked against what was committed to.

use automerge::transaction::Transactable;
use automerge::{ROOT, ReadDoc};

use super::{NOW, alice, bob};
use crate::{
    COMMITMENT_SALT_LEN, CheckInInput, JournalError, Revealed, SharedJournal, checkin_commitment,
};

const CANARY: &str = "canary-of-the-hidden-answer";

fn input(went_well: &str) -> CheckInInput {
    CheckInInput {
        week: "2026-W48".into(),
        mood: 2,
        trust: 4,
        closeness: 7,
        went_well: Some(went_well.into()),
        hard: None,
        need: Some("  ".into()),
        appreciate: None,
    }
}

const SALT: [u8; COMMITMENT_SALT_LEN] = [7; COMMITMENT_SALT_LEN];

fn contains(bytes: &[u8], needle: &str) -> bool {
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn a_commitment_holds_no_answer_until_it_is_revealed_and_then_checks_out() {
    let mut a = SharedJournal::genesis();
    let c = checkin_commitment(&input(CANARY), &SALT).unwrap();
    let sealed = a.commit_checkin(&alice(), "2026-W48", &c, NOW).unwrap();
    assert!(sealed.is_new);

    // What the partner's device would receive: the commitment, none of the answers.
    let mut b = SharedJournal::load(&a.save()).unwrap();
    assert!(!contains(&b.save(), CANARY));
    assert!(b.checkins().is_empty(), "nothing readable yet");
    let waiting = b.sealed_checkins();
    assert_eq!(waiting.len(), 1);
    assert_eq!(
        (waiting[0].author.clone(), waiting[0].week.as_str()),
        (alice(), "2026-W48")
    );
    assert!(b.has_checkin_for(&alice(), "2026-W48"));
    assert!(!b.has_checkin_for(&bob(), "2026-W48"));

    // Answers that are not the committed ones are refused; the committed ones go in.
    let err = a
        .reveal_checkin(&alice(), &input("something else"), &SALT, NOW + 1)
        .unwrap_err();
    assert!(matches!(err, JournalError::NotCommitted(_)), "{err}");
    let err = a
        .reveal_checkin(&alice(), &input(CANARY), &[8; COMMITMENT_SALT_LEN], NOW + 1)
        .unwrap_err();
    assert!(matches!(err, JournalError::NotCommitted(_)), "{err}");
    let id = a
        .reveal_checkin(&alice(), &input(CANARY), &SALT, NOW + 2)
        .unwrap();
    assert_eq!(id, sealed.id);
    b.merge(&mut a).unwrap();
    assert!(b.sealed_checkins().is_empty());
    let shown = b.get_checkin(&id).unwrap();
    assert_eq!(shown.revealed, Revealed::Together);
    assert_eq!(shown.went_well.as_deref(), Some(CANARY));
    assert_eq!(shown.need, None, "blank is absent, as when saved directly");
    assert_eq!((shown.mood, shown.trust, shown.closeness), (2, 4, 7));

    // Once revealed, it is changed in the open, never committed to again.
    let err = a
        .commit_checkin(&alice(), "2026-W48", &c, NOW + 3)
        .unwrap_err();
    assert!(matches!(err, JournalError::AlreadyRevealed(_)), "{err}");
    // Scores saved again later leave the check against the commitment standing.
    let mut again = input(CANARY);
    again.mood = 5;
    a.upsert_checkin(&alice(), &again, NOW + 4).unwrap();
    assert_eq!(a.get_checkin(&id).unwrap().revealed, Revealed::Together);
}

#[test]
fn committing_again_replaces_the_commitment_and_a_salt_hides_equal_answers() {
    let mut a = SharedJournal::genesis();
    let first = checkin_commitment(&input("one"), &SALT).unwrap();
    let second = checkin_commitment(&input("two"), &SALT).unwrap();
    let salted = checkin_commitment(&input("one"), &[9; COMMITMENT_SALT_LEN]).unwrap();
    assert_ne!(first, second);
    assert_ne!(
        first, salted,
        "the same answers under another salt look unrelated"
    );
    assert_eq!(first.len(), 64);

    let one = a.commit_checkin(&alice(), "2026-W48", &first, NOW).unwrap();
    let two = a
        .commit_checkin(&alice(), "2026-W48", &second, NOW + 1)
        .unwrap();
    assert_eq!(one.id, two.id);
    assert!(!two.is_new);
    assert_eq!(a.sealed_checkins().len(), 1);
    // Only the newest commitment can be revealed.
    assert!(
        a.reveal_checkin(&alice(), &input("one"), &SALT, NOW + 2)
            .is_err()
    );
    a.reveal_checkin(&alice(), &input("two"), &SALT, NOW + 2)
        .unwrap();

    // Bad input is refused before anything is committed to.
    let mut bad = input("x");
    bad.mood = 9;
    assert!(matches!(
        checkin_commitment(&bad, &SALT),
        Err(JournalError::OutOfRange { .. })
    ));
    assert!(
        a.commit_checkin(&bob(), "2026-W48", "not hex", NOW)
            .is_err()
    );
    assert!(
        a.reveal_checkin(&bob(), &input("x"), &SALT, NOW).is_err(),
        "nothing of Bob's to reveal"
    );
}

#[test]
fn answers_changed_after_the_commitment_read_as_altered() {
    let mut a = SharedJournal::genesis();
    let c = checkin_commitment(&input("honest"), &SALT).unwrap();
    let id = a.commit_checkin(&alice(), "2026-W48", &c, NOW).unwrap().id;
    a.reveal_checkin(&alice(), &input("honest"), &SALT, NOW + 1)
        .unwrap();

    // A changed client rewrites the first answer in place after seeing the other's.
    let checkins = a.doc().get(ROOT, "checkins").unwrap().unwrap().1;
    let doc = a.doc_mut();
    let obj = doc.get(&checkins, id.as_str()).unwrap().unwrap().1;
    doc.put(&obj, "went_well", "tailored").unwrap();
    doc.commit();
    assert_eq!(a.get_checkin(&id).unwrap().revealed, Revealed::Altered);

    // And a score written at the reveal that is not the committed one.
    let mut b = SharedJournal::genesis();
    let id = b.commit_checkin(&bob(), "2026-W48", &c, NOW).unwrap().id;
    b.reveal_checkin(&bob(), &input("honest"), &SALT, NOW + 1)
        .unwrap();
    let checkins = b.doc().get(ROOT, "checkins").unwrap().unwrap().1;
    let doc = b.doc_mut();
    let obj = doc.get(&checkins, id.as_str()).unwrap().unwrap().1;
    doc.put(&obj, "sealed_scores", "5 5 5").unwrap();
    doc.commit();
    assert_eq!(b.get_checkin(&id).unwrap().revealed, Revealed::Altered);
}

#[test]
fn a_check_in_saved_directly_reads_as_direct() {
    let mut a = SharedJournal::genesis();
    let id = a.upsert_checkin(&alice(), &input("open"), NOW).unwrap().id;
    assert_eq!(a.get_checkin(&id).unwrap().revealed, Revealed::Direct);
    assert!(a.has_checkin_for(&alice(), "2026-W48"));
}
