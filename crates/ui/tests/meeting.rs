//! The weekly meeting in the real app, driven as two people would in two windows
//! paired over loopback: each prepares alone (Bea types while Ari's points arrive
//! and loses nothing), both bring their points after the app asks, the meeting is
//! gone through at Bea's window with both sides of Ari's issue written down and the
//! plan made Bea's promise, then at Ari's window the plan amends her boundary and
//! she closes the meeting, which both windows then show as held.

mod common;

use common::*;
use kintsugi_device::{CheckInInput, OutcomeKind, this_week, today};

#[test]
fn two_windows_prepare_bring_and_hold_a_weekly_meeting() {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (mut a, mut b) = paired(da.path(), db.path());
    let (ad, bd) = (device(&a), device(&b));
    let week = this_week();
    let boundary = ad.propose_boundary("No phones at dinner", None).unwrap();

    nav(&mut a, "Weekly meeting");
    see(&mut a, "Once a week, sit down together");
    type_into(
        &mut a,
        "Thanks 1: what you appreciated",
        "You picked me up from the station",
    );
    // A trailing space is trimmed as the journal trims it: brought reads as brought.
    type_into(
        &mut a,
        "Thanks 1: …and it shows that you are",
        "thoughtful ",
    );
    type_into(
        &mut a,
        "One issue you want to talk through (optional, only one)",
        "The late evenings",
    );
    click(&mut a, "Keep privately");
    wait(&mut a, "Ari's draft", || {
        ad.meeting_draft(&week).unwrap().is_some()
    });
    see(&mut a, "Kept on this device; not brought yet.");

    // Bea starts writing hers; Ari's points arrive meanwhile, and Bea's typing stays.
    nav(&mut b, "Weekly meeting");
    type_into(
        &mut b,
        "Thanks 1: what you appreciated",
        "You told me about the message yourself",
    );
    click(&mut a, "Bring to the meeting…");
    see(&mut a, "Bring your points to the meeting?");
    click(&mut a, "Bring them");
    see(&mut a, "Brought: Bea can see these points.");
    see_in(&mut b, &mut a, &format!("{week}: Ari brought their points"));
    // Home says so too, and leads back to the page, where the typing waits.
    nav(&mut b, "Home");
    click_label(&mut b, "Ari brought their points to this week's meeting");
    see(&mut b, "Your points (private until you bring them)");
    assert_eq!(
        value(&b, "Thanks 1: what you appreciated"),
        "You told me about the message yourself"
    );
    type_into(&mut b, "Thanks 1: …and it shows that you are", "honest");
    click(&mut b, "Bring to the meeting…");
    click(&mut b, "Bring them");
    see(&mut b, &format!("{week}: you both brought your points"));
    let waiting = |d: &kintsugi_device::Device| {
        d.due(today())
            .unwrap()
            .iter()
            .any(|x| matches!(x, kintsugi_device::view::Due::MeetingWaiting { .. }))
    };
    assert!(
        !waiting(&bd) && !waiting(&ad),
        "nothing waits once both brought"
    );

    // The week's check-ins, once both are saved and revealed, are there to start from.
    for (d, well) in [(&ad, "the Saturday walk"), (&bd, "breakfast together")] {
        d.save_checkin(&CheckInInput {
            week: week.clone(),
            mood: 3,
            trust: 5,
            closeness: 5,
            went_well: Some(well.into()),
            hard: None,
            need: None,
            appreciate: None,
        })
        .unwrap();
    }
    see_in(
        &mut b,
        &mut a,
        "Ari's check-in, what went well: the Saturday walk",
    );
    see(&mut b, "Your check-in, what went well: breakfast together");

    // The meeting at Bea's window: thanks, what went well, Ari's issue.
    see(
        &mut b,
        "You picked me up from the station, and it shows that you are thoughtful.",
    );
    click(&mut b, "Next");
    see(&mut b, "2. What went well");
    click(&mut b, "Next");
    see(&mut b, "Ari raised: The late evenings");
    type_into(
        &mut b,
        "Ari's issue, in Ari's words",
        "I wait up and feel alone",
    );
    click(&mut b, "Write down: Ari's issue, in Ari's words");
    type_into(
        &mut b,
        "Your side of Ari's issue",
        "I lose track of time at work",
    );
    click(&mut b, "Write down: Your side of Ari's issue");
    see(
        &mut b,
        "Your side of Ari's issue: I lose track of time at work",
    );
    click(&mut b, "Next");
    see(&mut b, "4. What you will do");
    type_into(&mut b, "What you will do", "Text by eight when I am late");
    let due = (today() + chrono::Days::new(14)).to_string();
    type_into(&mut b, "Due (YYYY-MM-DD)", &due);
    click(&mut b, "Make it my promise");
    wait(&mut b, "Bea's promise", || {
        bd.promises()
            .unwrap()
            .iter()
            .any(|p| p.text == "Text by eight when I am late")
    });
    see(
        &mut b,
        "You made a promise: \"Text by eight when I am late\"",
    );
    click(&mut b, "Back");
    see(&mut b, "3. One issue each, heard from both sides");
    keep_screenshot(&mut b, "screenshot-meeting");
    click(&mut b, "Next");

    // At Ari's window: both sides as written at Bea's, then her boundary amended.
    click(&mut a, "Next");
    click(&mut a, "Next");
    see_in(
        &mut a,
        &mut b,
        "Bea's side of your issue: I lose track of time at work",
    );
    see(
        &mut a,
        "Your issue, in your words: I wait up and feel alone",
    );
    click(&mut a, "Next");
    see(&mut a, "Bea made a promise");
    type_into(&mut a, "What you will do", "No phones at meals");
    pick(&mut a, "Which of your boundaries", "No phones at dinner");
    click(&mut a, "Propose it as that boundary's new wording");
    wait(&mut a, "the amendment", || {
        ad.boundary(&boundary).unwrap().amendment.is_some()
    });
    see(&mut a, "You proposed new wording for a boundary");

    click(&mut a, "Close the meeting…");
    see(&mut a, "Close this meeting?");
    click(&mut a, "Close it");
    see(&mut a, "held, closed by You");
    see_in(&mut b, &mut a, "held, closed by Ari");
    assert!(!has_button(&b, "Bring to the meeting…"));
    let m = bd.meeting(&week).unwrap();
    let kinds: Vec<OutcomeKind> = m.outcomes.iter().map(|o| o.kind).collect();
    assert_eq!(kinds, [OutcomeKind::Promise, OutcomeKind::Amendment]);
}
