//! The weekly meeting through the real binary on two devices paired over loopback:
//! each prepares alone (a draft that is never brought stays off the partner's
//! device, even decrypted), both bring their points, the meeting is held at Bea's
//! device with both sides of Ari's issue written down, the plan becomes Bea's
//! promise and an amendment of Ari's boundary, and the meeting is closed.

use crate::common::*;

const UNBROUGHT: &str = "UNBROUGHT-MEETING-CANARY-58";
const WEEK: &str = "2026-W49";

#[test]
fn two_devices_prepare_bring_and_hold_a_weekly_meeting() {
    let (a, b) = paired_profiles();

    assert!(a.ok(&["meeting", "list"]).contains("Once a week"));
    let said = a.ok(&[
        "meeting",
        "prepare",
        "--week",
        WEEK,
        "--thanks",
        "You picked me up from the station | thoughtful",
        "--thanks",
        "You asked about my day",
        "--went-well",
        "Our walk on Saturday",
        "--issue",
        UNBROUGHT,
    ]);
    assert!(said.contains("Nothing of it reaches"), "{said}");
    let six: Vec<&str> = ["--thanks", "x"].repeat(6);
    let mut args = vec!["meeting", "prepare", "--week", WEEK];
    args.extend(six);
    assert!(a.fails(&args).contains("at most 5"));
    let err = a.fails(&["meeting", "prepare", "--week", "49", "--issue", "x"]);
    assert!(err.contains("ISO week"), "{err}");
    let prep = a.json(&["meeting", "show", "--week", WEEK]);
    assert_eq!(prep["unbrought"], true);
    assert_eq!(
        prep["draft"]["appreciations"][0]["shows"], "thoughtful",
        "{prep}"
    );

    // Synced before bringing: nothing of the draft reaches Bea.
    exchange(&a, &b);
    assert_eq!(found_in(&b.path(), UNBROUGHT), Vec::<String>::new());
    assert!(
        b.json(&["meeting", "show", "--week", WEEK])["meeting"]["sides"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Ari rewrites her issue, then brings; Bea prepares and brings too.
    a.ok(&[
        "meeting",
        "prepare",
        "--week",
        WEEK,
        "--thanks",
        "You picked me up from the station | thoughtful",
        "--issue",
        "The late evenings",
    ]);
    assert!(stderr_of(&a, &["meeting", "bring", "--week", WEEK]).contains("keeps them"));
    b.ok(&[
        "meeting",
        "prepare",
        "--week",
        WEEK,
        "--thanks",
        "You told me about the message yourself | honest",
    ]);
    b.ok(&["meeting", "bring", "--week", WEEK]);
    let boundary = a.id(&["boundary", "add", "No phones at dinner"]);
    // The week's check-ins, revealed once both saved, are there to start from.
    for (p, well) in [(&a, "the Saturday walk"), (&b, "breakfast together")] {
        p.ok(&[
            "checkin",
            "add",
            "--week",
            WEEK,
            "--mood",
            "3",
            "--trust",
            "5",
            "--closeness",
            "5",
            "--went-well",
            well,
        ]);
    }
    exchange(&a, &b);
    exchange(&a, &b);
    assert_eq!(found_in(&b.path(), UNBROUGHT), Vec::<String>::new());

    // Held at Bea's device: both sides of Ari's issue, and Bea's promise.
    let shown = b.ok(&["meeting", "show", "--week", WEEK]);
    assert!(
        shown.contains("You picked me up from the station, and it shows that you are thoughtful."),
        "{shown}"
    );
    assert!(shown.contains("Issue: The late evenings"), "{shown}");
    assert!(
        shown.contains("Ari's check-in, what went well: the Saturday walk")
            && shown.contains("Your check-in, what went well: breakfast together"),
        "{shown}"
    );
    b.ok(&[
        "meeting",
        "hear",
        "--week",
        WEEK,
        "--issue",
        "partner",
        "--side",
        "partner",
        "I wait up and feel alone",
    ]);
    b.ok(&[
        "meeting",
        "hear",
        "--week",
        WEEK,
        "--issue",
        "partner",
        "--side",
        "mine",
        "I lose track of time at work",
    ]);
    let err = b.fails(&[
        "meeting", "hear", "--week", WEEK, "--issue", "mine", "--side", "mine", "x",
    ]);
    assert!(err.contains("no issue of that partner's"), "{err}");
    let promise = b.json(&[
        "meeting",
        "promise",
        "--week",
        WEEK,
        "--due",
        "2027-01-15",
        "Text by eight when I am late",
    ]);
    assert_eq!(promise["text"], "Text by eight when I am late");
    // Bea cannot amend Ari's boundary; Ari can, on her own device.
    let err = b.fails(&["meeting", "amend", "--week", WEEK, &boundary, "x"]);
    assert!(err.contains("author"), "{err}");
    exchange(&a, &b);
    a.ok(&[
        "meeting",
        "amend",
        "--week",
        WEEK,
        &boundary,
        "No phones at meals",
    ]);
    let closed = a.json(&["meeting", "close", "--week", WEEK]);
    assert_eq!(closed["held_by"], a.json(&["status"])["partner_id"]);
    exchange(&a, &b);

    let m = b.json(&["meeting", "show", "--week", WEEK])["meeting"].clone();
    assert_eq!(m["sides"].as_array().unwrap().len(), 2);
    let kinds: Vec<&str> = m["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["promise", "amendment"]);
    assert!(m["held_at"].is_i64());
    let shown = a.ok(&["meeting", "show", "--week", WEEK]);
    assert!(
        shown.contains("Bea's side of your issue: I lose track of time at work"),
        "{shown}"
    );
    assert!(
        shown.contains("Your issue, in your words: I wait up and feel alone"),
        "{shown}"
    );
    assert!(shown.contains("made a promise"), "{shown}");
    let b_boundary = b.json(&["boundary", "list"]);
    assert_eq!(b_boundary[0]["amendment"]["text"], "No phones at meals");
    assert!(b.ok(&["meeting", "list"]).contains("held, closed by"));
    let err = a.fails(&["meeting", "bring", "--week", WEEK]);
    assert!(err.contains("closed"), "{err}");
    assert!(
        b.ok(&["promise", "list"])
            .contains("Text by eight when I am late")
    );
    assert_eq!(found_in(&b.path(), UNBROUGHT), Vec::<String>::new());
    assert!(
        !found_in(&a.path(), UNBROUGHT).is_empty(),
        "the test can see a canary"
    );
}
