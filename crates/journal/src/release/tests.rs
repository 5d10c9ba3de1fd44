use crate::tests::{NOW, alice, bob};
use crate::{CheckInInput, PrivateDiary, SharedJournal};

const CANARY: &str = "canary-7f3a9 written then overwritten";

fn checkin(text: &str) -> CheckInInput {
    CheckInInput {
        week: "2026-W48".into(),
        mood: 3,
        trust: 5,
        closeness: 5,
        went_well: Some(text.into()),
        hard: None,
        need: None,
        appreciate: None,
    }
}

/// Every change in the document, decoded, as text: what its history holds.
fn history(bytes: &[u8]) -> String {
    let mut am = automerge::AutoCommit::load(bytes).unwrap();
    am.get_changes(&[])
        .iter()
        .map(|c| format!("{:?}", c.decode()))
        .collect()
}

/// What a check-in reads now, without its earlier versions (which a release drops).
fn standing(j: &SharedJournal) -> Vec<(String, String, [Option<String>; 4])> {
    j.checkins()
        .into_iter()
        .map(|c| (c.id, c.week, [c.went_well, c.hard, c.need, c.appreciate]))
        .collect()
}

/// A journal with a canary in its history but not in its state, written by two
/// partners (two actors), with entries of several kinds.
fn journal() -> SharedJournal {
    let mut a = SharedJournal::genesis();
    a.set_partner_name(&alice(), "Ari", NOW).unwrap();
    a.upsert_checkin(&alice(), &checkin(CANARY), NOW).unwrap();
    a.upsert_checkin(&alice(), &checkin("a quiet week"), NOW + 1)
        .unwrap();
    let mut b = SharedJournal::load(&a.save()).unwrap();
    b.propose_boundary(&bob(), "no phones at dinner", None, NOW + 2)
        .unwrap();
    b.add_promise(
        &bob(),
        "call on Sunday",
        crate::parse_date("2030-01-01").unwrap(),
        NOW + 3,
    )
    .unwrap();
    a.load_incremental(&b.save()).unwrap();
    assert!(history(&a.save()).contains(CANARY));
    a
}

#[test]
fn a_copy_holds_the_state_and_none_of_the_history() {
    let mut j = journal();
    let heads = j.heads();
    let epoch = [5u8; 16];
    let copy = j.released_copy(&heads, &epoch).unwrap();
    assert!(!history(&copy).contains(CANARY));
    assert_eq!(
        automerge::AutoCommit::load(&copy)
            .unwrap()
            .get_changes(&[])
            .len(),
        2
    );
    let c = SharedJournal::load(&copy).unwrap();
    assert_eq!(c.epoch(), Some(epoch));
    assert_eq!(j.epoch(), None);
    assert_eq!(standing(&c), standing(&j));
    assert!(c.checkins().iter().all(|c| c.earlier.is_empty()));
    assert_eq!(c.boundaries(), j.boundaries());
    assert_eq!(c.promises(), j.promises());
    assert_eq!(c.partners(), j.partners());
    // Another epoch's copy is another document: neither's changes apply to the other.
    let other = j.released_copy(&heads, &[6u8; 16]).unwrap();
    let mut am = automerge::AutoCommit::load(&copy).unwrap();
    let before = am.get_heads();
    let merged = am.load_incremental(&other);
    assert!(merged.is_err() || am.get_heads() == before, "{merged:?}");
}

#[test]
fn two_devices_holding_the_same_state_make_the_same_copy() {
    let mut a = journal();
    // Bea's device holds the same changes, received in another order and written
    // to disk and read back.
    let mut b = SharedJournal::genesis();
    for change in automerge::AutoCommit::load(&a.save())
        .unwrap()
        .get_changes(&[])
        .iter()
        .rev()
    {
        b.load_incremental(change.raw_bytes()).unwrap();
    }
    let heads = a.heads();
    assert_eq!(b.heads(), heads);
    let epoch = [9u8; 16];
    assert_eq!(
        a.released_copy(&heads, &epoch).unwrap(),
        b.released_copy(&heads, &epoch).unwrap()
    );
    // A copy at earlier heads leaves out what came after.
    let earlier = a.heads();
    a.propose_boundary(&alice(), "later", None, NOW + 9)
        .unwrap();
    let mut copy = SharedJournal::load(&a.released_copy(&earlier, &epoch).unwrap()).unwrap();
    assert_eq!(copy.boundaries().len(), 1);
    assert!(a.has_all(&earlier));
    assert!(!copy.has_all(&a.heads()));
}

#[test]
fn what_was_written_after_the_heads_is_carried_over() {
    let mut j = journal();
    let heads = j.heads();
    let mut copy = SharedJournal::load(&j.released_copy(&heads, &[1; 16]).unwrap()).unwrap();
    assert!(!copy.mirror_from(&mut j, NOW + 10).unwrap());
    let id = j
        .propose_boundary(&alice(), "carried over", None, NOW + 11)
        .unwrap();
    j.upsert_checkin(&alice(), &checkin("changed after"), NOW + 12)
        .unwrap();
    assert!(copy.mirror_from(&mut j, NOW + 13).unwrap());
    assert_eq!(copy.boundaries(), j.boundaries());
    assert_eq!(standing(&copy), standing(&j));
    assert!(copy.boundaries().iter().any(|b| b.id == id));
}

#[test]
fn a_diary_copy_keeps_its_entries_and_loses_its_history() {
    let mut d = PrivateDiary::genesis();
    let gone = d.add_entry(&alice(), CANARY, Some(2), None, NOW).unwrap();
    d.add_entry(&alice(), "kept", None, Some(3), NOW + 1)
        .unwrap();
    d.remove_entry(&gone, NOW + 2).unwrap();
    assert!(history(&d.save()).contains(CANARY));
    let copy = d.released_copy(&[3; 16]).unwrap();
    assert!(!history(&copy).contains(CANARY));
    let c = PrivateDiary::load(&copy).unwrap();
    assert_eq!(c.entries(), d.entries());
    assert_eq!(c.epoch(), Some([3; 16]));
}

/// Every kind that keeps earlier versions in its own map, edited, amended,
/// renegotiated and withdrawn, with the canary only in what no longer stands.
#[test]
fn a_copy_keeps_what_stands_and_no_earlier_version() {
    let date = |s| crate::parse_date(s).unwrap();
    let canary = |n: u8| format!("{CANARY} {n}");
    let mut j = SharedJournal::genesis();
    let agreed = j.propose_boundary(&alice(), &canary(1), None, NOW).unwrap();
    j.agree_boundary(&bob(), &agreed, NOW + 1).unwrap();
    j.amend_boundary(&alice(), &agreed, "no phones at dinner", NOW + 2)
        .unwrap();
    j.agree_amendment(&bob(), &agreed, NOW + 3).unwrap();
    j.amend_boundary(&alice(), &agreed, "no phones after nine", NOW + 4)
        .unwrap();
    let taken_back = j.propose_boundary(&alice(), &canary(2), None, NOW).unwrap();
    j.withdraw_boundary(&alice(), &taken_back, NOW + 5).unwrap();

    let promise = j
        .add_promise(&bob(), &canary(3), date("2030-01-01"), NOW)
        .unwrap();
    j.set_promise_outcome(&alice(), &promise, crate::PromiseOutcome::Missed, NOW + 1)
        .unwrap();
    j.renegotiate_promise(
        &bob(),
        &promise,
        Some("call on Sundays"),
        Some(date("2030-02-01")),
        NOW + 2,
    )
    .unwrap();
    j.agree_promise_terms(&alice(), &promise, NOW + 3).unwrap();

    let checkin_id = j
        .upsert_checkin(&alice(), &checkin(&canary(4)), NOW)
        .unwrap()
        .id;
    j.edit_checkin(
        &alice(),
        &checkin_id,
        [Some("a quiet week"), None, None, None],
        NOW + 1,
    )
    .unwrap();
    j.set_stage_note(&alice(), 2, &canary(5), NOW).unwrap();
    j.set_stage_note(&alice(), 2, "", NOW + 1).unwrap();
    j.set_stage_note(&bob(), 3, &canary(6), NOW).unwrap();
    j.set_stage_note(&bob(), 3, "a note that stands", NOW + 1)
        .unwrap();
    let entry = |id: &str, text: String| crate::DiaryEntry {
        id: id.into(),
        author: alice(),
        text,
        mood: None,
        stage: None,
        created: NOW,
        updated: NOW,
    };
    let shared = j
        .share_diary_entry(&alice(), &entry("e1", canary(7)), NOW)
        .unwrap();
    j.edit_shared_entry(&alice(), &shared, "a wording that stands", NOW + 1)
        .unwrap();
    let withdrawn = j
        .share_diary_entry(&alice(), &entry("e2", canary(8)), NOW)
        .unwrap();
    j.withdraw_shared_entry(&alice(), &withdrawn, NOW + 1)
        .unwrap();
    assert!(history(&j.save()).contains(CANARY));

    let heads = j.heads();
    let bytes = j.released_copy(&heads, &[7; 16]).unwrap();
    assert!(!history(&bytes).contains(CANARY), "{}", history(&bytes));
    let mut c = SharedJournal::load(&bytes).unwrap();

    let b = c.boundaries();
    assert_eq!(b.len(), 1, "the withdrawn proposal is left out");
    assert_eq!(b[0].text, "no phones at dinner");
    assert_eq!((b[0].edited, b[0].earlier.len()), (None, 0));
    assert_eq!(b[0].status, j.boundaries()[0].status);
    // The amendment still waiting is kept, and can still be agreed to.
    let waiting = b[0].amendment.as_ref().unwrap();
    assert_eq!(waiting.text, "no phones after nine");
    c.agree_amendment(&bob(), &agreed, NOW + 20).unwrap();
    assert_eq!(c.boundaries()[0].text, "no phones after nine");

    let p = &c.promises()[0];
    assert_eq!(
        (p.text.as_str(), p.due),
        ("call on Sundays", date("2030-02-01"))
    );
    assert_eq!(
        p.outcome,
        crate::PromiseOutcome::Open,
        "missed under the old terms"
    );
    assert_eq!(
        (p.edited, p.earlier.len(), p.renegotiation.is_none()),
        (None, 0, true)
    );

    let ch = &c.checkins()[0];
    assert_eq!(ch.went_well.as_deref(), Some("a quiet week"));
    assert_eq!((ch.edited, ch.earlier.len()), (None, 0));

    let notes: Vec<_> = c
        .stages()
        .into_iter()
        .map(|s| (s.stage, s.note, s.earlier.len()))
        .collect();
    assert_eq!(
        notes,
        [(2, None, 0), (3, Some("a note that stands".into()), 0)]
    );

    let s = c.shared_entries();
    assert_eq!(s.len(), 1, "the withdrawn entry is left out");
    assert_eq!(s[0].text, "a wording that stands");
    assert_eq!((s[0].edited, s[0].earlier.len()), (None, 0));

    // Settling is done to the state, so carrying writes over after the heads
    // settles them too: a later edit arrives as the wording, not as a version.
    j.edit_shared_entry(&alice(), &shared, "changed after the heads", NOW + 30)
        .unwrap();
    let mut c = SharedJournal::load(&bytes).unwrap();
    assert!(c.mirror_from(&mut j, NOW + 31).unwrap());
    assert_eq!(c.shared_entries()[0].text, "changed after the heads");
    assert!(!history(&c.save()).contains(CANARY));
}

/// An exercise keeps the date that stands, the one waiting and its reflections;
/// the dates suggested on the way there are left out.
#[test]
fn a_copy_keeps_an_exercises_plan_and_not_the_dates_on_the_way() {
    let date = |s| crate::parse_date(s).unwrap();
    let today = date("2026-11-26");
    let mut j = SharedJournal::genesis();
    let id = j
        .propose_exercise(&alice(), "listen-ten", date("2026-12-01"), today, NOW)
        .unwrap();
    j.suggest_exercise_date(&bob(), &id, date("2026-12-02"), today, NOW + 1)
        .unwrap();
    j.suggest_exercise_date(&alice(), &id, date("2026-12-03"), today, NOW + 2)
        .unwrap();
    j.accept_exercise_date(&bob(), &id, NOW + 3).unwrap();
    j.suggest_exercise_date(&bob(), &id, date("2026-12-09"), today, NOW + 4)
        .unwrap();
    let other = j
        .propose_exercise(&bob(), "my-part", date("2026-12-05"), today, NOW)
        .unwrap();
    j.accept_exercise_date(&alice(), &other, NOW + 1).unwrap();
    j.mark_exercise_done(&alice(), &other, NOW + 2).unwrap();
    j.mark_exercise_done(&bob(), &other, NOW + 3).unwrap();
    j.share_exercise_reflection(&bob(), &other, "it was worth it", NOW + 4)
        .unwrap();

    let heads = j.heads();
    let c = SharedJournal::load(&j.released_copy(&heads, &[8; 16]).unwrap()).unwrap();
    let (was, now) = (j.get_exercise(&id).unwrap(), c.get_exercise(&id).unwrap());
    assert_eq!(
        (now.status, now.date),
        (was.status, Some(date("2026-12-03")))
    );
    assert_eq!(now.waiting, was.waiting);
    let dates: Vec<_> = now.proposals.iter().map(|p| p.date).collect();
    assert_eq!(dates, [date("2026-12-03"), date("2026-12-09")]);
    assert_eq!(was.proposals.len(), 4);
    assert_eq!(
        c.get_exercise(&other).unwrap(),
        j.get_exercise(&other).unwrap()
    );
}
