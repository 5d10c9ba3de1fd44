use super::{NOW, alice, bob};
use crate::{FORGIVENESS_STAGE, JournalError, PrivateDiary, SharedJournal};

/// Acceptance is a private record of the diary: it changes nothing a partner could
/// receive, and it can be reworded or taken back.
#[test]
fn acceptance_is_kept_in_the_diary_alone() {
    let mut diary = PrivateDiary::genesis();
    assert_eq!(diary.acceptance(), None);
    assert!(matches!(
        diary.take_back_acceptance(NOW),
        Err(JournalError::NothingToTakeBack(_))
    ));
    let a = diary.set_acceptance(Some("  "), NOW).unwrap();
    assert_eq!((a.reached_at, a.words), (NOW, None));
    let a = diary
        .set_acceptance(Some("I have stopped waiting for it to unhappen"), NOW + 10)
        .unwrap();
    assert_eq!(a.reached_at, NOW, "rewording keeps when it was reached");
    assert_eq!(diary.acceptance(), Some(a));
    // It is no diary entry and no draft: nothing a share could pick up.
    assert!(diary.entries().is_empty() && diary.drafts().is_empty());

    // Reloaded from the log it is still there; taken back, it is gone.
    let mut log = PrivateDiary::genesis_bytes();
    log.extend(diary.save_after(&[]));
    let mut again = PrivateDiary::load(&log).unwrap();
    assert!(again.acceptance().is_some());
    again.take_back_acceptance(NOW + 20).unwrap();
    assert_eq!(again.acceptance(), None);
}

/// Forgiveness is offered on the forgiving partner's own stage record, where the
/// other partner reads it; it stands as offered until taken back.
#[test]
fn forgiveness_is_offered_on_ones_own_record_and_taken_back() {
    let mut j = SharedJournal::genesis();
    assert_eq!(j.forgiveness_of(&bob()), None);
    assert!(matches!(
        j.take_back_forgiveness(&bob(), NOW),
        Err(JournalError::NothingToTakeBack(_))
    ));
    j.offer_forgiveness(&bob(), Some("I forgive you for the lies"), NOW)
        .unwrap();
    let f = j.forgiveness_of(&bob()).unwrap();
    assert_eq!(f.offered_at, NOW);
    assert_eq!(f.words.as_deref(), Some("I forgive you for the lies"));
    assert_eq!(j.forgiveness_of(&alice()), None, "it is Bob's alone");
    // It sits on Bob's record of the stage, which was not marked done by it.
    let stages = j.stages();
    assert_eq!(stages.len(), 1);
    assert_eq!(
        (stages[0].stage, &stages[0].partner, stages[0].done),
        (FORGIVENESS_STAGE, &bob(), false)
    );
    assert!(matches!(
        j.offer_forgiveness(&bob(), None, NOW + 1),
        Err(JournalError::AlreadyForgiven)
    ));
    // Marking the stage, or a note on it, leaves the forgiveness as it was.
    j.set_stage(&bob(), FORGIVENESS_STAGE, true, Some("slowly"), NOW + 2)
        .unwrap();
    assert_eq!(j.forgiveness_of(&bob()), Some(f));

    // Alice's copy, merged, reads the same; Bob takes it back and the merge says so.
    let mut alices = SharedJournal::load(&j.save()).unwrap();
    assert!(alices.forgiveness_of(&bob()).is_some());
    j.take_back_forgiveness(&bob(), NOW + 3).unwrap();
    assert_eq!(j.forgiveness_of(&bob()), None);
    alices.merge(&mut j).unwrap();
    assert_eq!(alices.forgiveness_of(&bob()), None);
    let stage = &alices.stages()[0];
    assert!(stage.done && stage.note.as_deref() == Some("slowly"));
    // Offered anew, in other words.
    j.offer_forgiveness(&bob(), None, NOW + 4).unwrap();
    assert_eq!(j.forgiveness_of(&bob()).unwrap().words, None);
}

/// Forgiveness fields on another stage's record are not forgiveness: a writer of
/// another version cannot make the app show one where it is not offered.
#[test]
fn forgiveness_is_read_on_its_stage_only() {
    use automerge::ReadDoc;
    use automerge::transaction::Transactable;
    let mut j = SharedJournal::genesis();
    j.set_stage(&bob(), 3, true, None, NOW).unwrap();
    let steps = match j.doc().get(automerge::ROOT, "steps").unwrap() {
        Some((_, id)) => id,
        None => unreachable!(),
    };
    let key = format!("3:{}", bob());
    let rec = match j.doc().get(&steps, key.as_str()).unwrap() {
        Some((_, id)) => id,
        None => unreachable!(),
    };
    j.doc_mut().put(&rec, "forgiven_at", NOW).unwrap();
    assert_eq!(j.stages()[0].forgiveness, None);
    assert_eq!(j.forgiveness_of(&bob()), None);
}
