use chrono::NaiveDate;

use super::{NOW, alice, bob};
use crate::{
    Appreciation, EntryKind, JournalError, MAX_APPRECIATIONS, MeetingPoints, OutcomeKind,
    PrivateDiary, SharedJournal,
};

const WEEK: &str = "2026-W48";

fn appreciation(what: &str, shows: Option<&str>) -> Appreciation {
    Appreciation {
        what: what.to_owned(),
        shows: shows.map(str::to_owned),
    }
}

fn points(issue: Option<&str>) -> MeetingPoints {
    MeetingPoints {
        appreciations: vec![
            appreciation(" You cooked on Tuesday ", Some(" thoughtful ")),
            appreciation("You told me about the call", None),
        ],
        went_well: Some(" Sunday's walk ".into()),
        issue: issue.map(str::to_owned),
    }
}

fn not_now(r: crate::Result<impl std::fmt::Debug>, why: &str) {
    match r {
        Err(JournalError::NotNow {
            kind: EntryKind::Meeting,
            reason,
            ..
        }) => assert!(reason.contains(why), "{reason}"),
        other => panic!("expected a refusal ({why}), got {other:?}"),
    }
}

#[test]
fn a_draft_is_kept_in_the_diary_replaced_whole_and_checked() {
    let mut d = PrivateDiary::genesis();
    assert_eq!(d.meeting_draft(WEEK).unwrap(), None);
    let draft = d
        .save_meeting_draft(&alice(), WEEK, &points(Some("  ")), NOW)
        .unwrap();
    assert_eq!(draft.week, WEEK);
    assert_eq!(
        draft.points.appreciations[0],
        appreciation("You cooked on Tuesday", Some("thoughtful"))
    );
    assert_eq!(draft.points.issue, None, "a blank issue is no issue");
    assert_eq!(draft.points.went_well.as_deref(), Some("Sunday's walk"));

    // Saving again replaces the draft: fewer appreciations leave none behind.
    let fewer = MeetingPoints {
        appreciations: vec![appreciation("The flowers", Some("kind"))],
        went_well: None,
        issue: Some("The late nights".into()),
    };
    let again = d
        .save_meeting_draft(&alice(), WEEK, &fewer, NOW + 1)
        .unwrap();
    assert_eq!(again.points, fewer);
    assert_eq!((again.created, again.updated), (NOW, NOW + 1));
    assert_eq!(d.meeting_drafts(), vec![again.clone()]);

    // Two processes of one person write one record: the week is the key.
    let mut other = PrivateDiary::load(&d.save()).unwrap();
    other
        .save_meeting_draft(&alice(), WEEK, &points(None), NOW + 2)
        .unwrap();
    d.load_incremental(&other.save()).unwrap();
    assert_eq!(d.meeting_drafts().len(), 1);

    let six = MeetingPoints {
        appreciations: vec![appreciation("x", None); MAX_APPRECIATIONS + 1],
        ..MeetingPoints::default()
    };
    assert!(matches!(
        d.save_meeting_draft(&alice(), WEEK, &six, NOW),
        Err(JournalError::OutOfRange {
            field: "appreciations",
            ..
        })
    ));
    let blank = MeetingPoints {
        appreciations: vec![appreciation(" ", Some("kind"))],
        ..MeetingPoints::default()
    };
    assert!(matches!(
        d.save_meeting_draft(&alice(), WEEK, &blank, NOW),
        Err(JournalError::EmptyText {
            field: "appreciation"
        })
    ));
    assert!(matches!(
        d.save_meeting_draft(&alice(), "2026-48", &fewer, NOW),
        Err(JournalError::BadWeek(_))
    ));

    // The diary's other private records do not read it, nor it them.
    d.add_trigger(&alice(), NOW, 3, "a song", NOW).unwrap();
    assert_eq!(d.triggers().len(), 1);
    assert!(d.reflections().is_empty());
    assert_eq!(d.meeting_drafts().len(), 1);

    d.remove_meeting_draft(WEEK, NOW + 3).unwrap();
    assert_eq!(d.meeting_draft(WEEK).unwrap(), None);
    assert!(matches!(
        d.remove_meeting_draft(WEEK, NOW),
        Err(JournalError::NoMeetingPoints(_))
    ));
}

#[test]
fn both_bring_their_points_and_either_device_reads_the_whole_meeting() {
    let mut a = SharedJournal::genesis();
    let mut b = SharedJournal::genesis();
    assert!(matches!(
        a.bring_to_meeting(&alice(), WEEK, &MeetingPoints::default(), NOW),
        Err(JournalError::NoMeetingPoints(_))
    ));
    // Both at once, on their own devices.
    a.bring_to_meeting(&alice(), WEEK, &points(Some("The late nights")), NOW)
        .unwrap();
    b.bring_to_meeting(&bob(), WEEK, &points(None), NOW)
        .unwrap();
    a.merge(&mut b).unwrap();
    b.merge(&mut a).unwrap();
    let meeting = a.meeting(WEEK).unwrap();
    assert_eq!(meeting, b.meeting(WEEK).unwrap());
    assert_eq!(meeting.sides.len(), 2);
    assert_eq!(
        meeting.side(&alice()).unwrap().points.issue.as_deref(),
        Some("The late nights")
    );
    assert_eq!(meeting.side(&bob()).unwrap().points.appreciations.len(), 2);
    assert_eq!(a.meetings().len(), 1);
    assert!(a.meeting("2026-W47").unwrap().sides.is_empty());

    // Bringing again replaces my side, nobody else's.
    a.bring_to_meeting(&alice(), WEEK, &points(Some("The phone")), NOW + 1)
        .unwrap();
    let meeting = a.meeting(WEEK).unwrap();
    assert_eq!(meeting.sides.len(), 2);
    let mine = meeting.side(&alice()).unwrap();
    assert_eq!(mine.points.issue.as_deref(), Some("The phone"));
    assert_eq!((mine.brought_at, mine.updated), (NOW, NOW + 1));

    // The shared map's other readers skip the meeting's records.
    assert!(a.shared_entries().is_empty());
    assert!(a.shared_triggers().is_empty());
    assert!(a.trigger_trend().is_empty());
}

#[test]
fn an_issue_is_heard_from_both_sides_and_the_plan_becomes_a_promise_in_one_change() {
    let mut a = SharedJournal::genesis();
    a.bring_to_meeting(&alice(), WEEK, &points(Some("The late nights")), NOW)
        .unwrap();
    // Bob's device, where the meeting is held, writes both sides.
    let mut b = SharedJournal::load(&a.save()).unwrap();
    b.hear_in_meeting(&bob(), WEEK, &alice(), &alice(), "I feel alone", NOW)
        .unwrap();
    b.hear_in_meeting(&bob(), WEEK, &alice(), &bob(), "Work ran over", NOW + 1)
        .unwrap();
    b.hear_in_meeting(
        &bob(),
        WEEK,
        &alice(),
        &bob(),
        "Work ran over; I'm sorry",
        NOW + 2,
    )
    .unwrap();
    not_now(
        b.hear_in_meeting(&bob(), WEEK, &bob(), &bob(), "x", NOW),
        "no issue of that partner's",
    );
    let meeting = b.meeting(WEEK).unwrap();
    assert_eq!(meeting.heard.len(), 3, "earlier wordings stay");
    let bobs = meeting.heard_from(&alice(), &bob()).unwrap();
    assert_eq!(bobs.text, "Work ran over; I'm sorry");
    assert_eq!(bobs.written_by, bob());
    assert_eq!(
        meeting.heard_from(&alice(), &alice()).unwrap().text,
        "I feel alone"
    );

    let due = NaiveDate::from_ymd_opt(2026, 12, 10).unwrap();
    let changes = b.doc_mut().get_changes(&[]).len();
    let promise = b
        .promise_from_meeting(&bob(), WEEK, "Home by seven on weekdays", due, NOW + 3)
        .unwrap();
    assert_eq!(
        b.doc_mut().get_changes(&[]).len(),
        changes + 1,
        "one change"
    );
    let made = b.get_promise(&promise).unwrap();
    assert_eq!((made.author, made.due), (bob(), due));
    let outcome = &b.meeting(WEEK).unwrap().outcomes[0];
    assert_eq!(
        (outcome.kind, outcome.entry.as_str(), &outcome.by),
        (OutcomeKind::Promise, promise.as_str(), &bob())
    );
    // A promise that cannot be made leaves no outcome either.
    assert!(b.promise_from_meeting(&bob(), WEEK, " ", due, NOW).is_err());
    assert_eq!(b.meeting(WEEK).unwrap().outcomes.len(), 1);

    a.merge(&mut b).unwrap();
    assert_eq!(a.meeting(WEEK).unwrap(), b.meeting(WEEK).unwrap());
}

#[test]
fn the_plan_can_amend_my_own_boundary_only() {
    let mut a = SharedJournal::genesis();
    let mine = a
        .propose_boundary(&alice(), "No phones at dinner", None, NOW)
        .unwrap();
    let theirs = a
        .propose_boundary(&bob(), "Say when you'll be late", None, NOW)
        .unwrap();
    a.bring_to_meeting(&alice(), WEEK, &points(Some("Dinner")), NOW)
        .unwrap();
    assert!(matches!(
        a.amend_from_meeting(&alice(), WEEK, &theirs, "Text when late", NOW + 1),
        Err(JournalError::NotAuthor { .. })
    ));
    assert!(a.meeting(WEEK).unwrap().outcomes.is_empty());
    a.amend_from_meeting(&alice(), WEEK, &mine, "No phones at meals", NOW + 1)
        .unwrap();
    let b = a.get_boundary(&mine).unwrap();
    assert_eq!(b.text, "No phones at dinner", "it waits for Bob");
    assert_eq!(b.amendment.unwrap().text, "No phones at meals");
    let outcome = &a.meeting(WEEK).unwrap().outcomes[0];
    assert_eq!(
        (outcome.kind, outcome.entry.as_str()),
        (OutcomeKind::Amendment, mine.as_str())
    );
}

#[test]
fn a_held_meeting_is_closed_on_both_devices() {
    let mut a = SharedJournal::genesis();
    not_now(a.hold_meeting(&alice(), WEEK, NOW), "nobody has brought");
    a.bring_to_meeting(&alice(), WEEK, &points(Some("Dinner")), NOW)
        .unwrap();
    let mut b = SharedJournal::load(&a.save()).unwrap();
    // Both close it at once; the first to do so is named.
    a.hold_meeting(&alice(), WEEK, NOW + 5).unwrap();
    b.hold_meeting(&bob(), WEEK, NOW + 4).unwrap();
    a.merge(&mut b).unwrap();
    assert_eq!(a.meeting(WEEK).unwrap().held, Some((bob(), NOW + 4)));

    let due = NaiveDate::from_ymd_opt(2026, 12, 10).unwrap();
    not_now(
        a.bring_to_meeting(&alice(), WEEK, &points(None), NOW + 6),
        "closed",
    );
    not_now(
        a.hear_in_meeting(&alice(), WEEK, &alice(), &alice(), "x", NOW + 6),
        "closed",
    );
    not_now(
        a.promise_from_meeting(&alice(), WEEK, "x", due, NOW + 6),
        "closed",
    );
    not_now(a.hold_meeting(&alice(), WEEK, NOW + 6), "closed");
    assert!(a.promises().is_empty());
    // Next week's meeting is open.
    a.bring_to_meeting(&alice(), "2026-W49", &points(None), NOW + 7)
        .unwrap();
    assert_eq!(a.meetings().len(), 2);
}

#[test]
fn a_release_keeps_the_meetings() {
    let mut a = SharedJournal::genesis();
    a.bring_to_meeting(&alice(), WEEK, &points(Some("Dinner")), NOW)
        .unwrap();
    a.hold_meeting(&alice(), WEEK, NOW + 1).unwrap();
    let before = a.meetings();
    let heads = a.heads();
    let copy = SharedJournal::load(&a.released_copy(&heads, &[8; 16]).unwrap()).unwrap();
    assert_eq!(copy.meetings(), before);
}
