//! Transparency agreements through the real binary on two devices paired over
//! loopback: Ari proposes one, Bea agrees, its review falls due on both, Bea asks
//! to renew it, Ari agrees to the new dates, and either can end it early.

use crate::common::*;

#[test]
fn two_devices_agree_review_renew_and_end_an_agreement() {
    let (a, b) = paired_profiles();
    let today = chrono::Local::now().date_naive();
    let day = |n: u64| (today + chrono::Days::new(n)).to_string();

    // No agreements yet: the list says what one is for.
    assert!(a.ok(&["agreement", "list"]).contains("stops by itself"));
    let err = a.fails(&[
        "agreement",
        "add",
        "x",
        "--scope",
        "y",
        "--review",
        &day(20),
        "--ends",
        &day(10),
    ]);
    assert!(
        err.contains("the review has to come before the end"),
        "{err}"
    );
    let err = a.fails(&[
        "agreement",
        "add",
        "x",
        "--scope",
        "y",
        "--review",
        "someday",
        "--ends",
        &day(10),
    ]);
    assert!(err.to_lowercase().contains("date"), "{err}");

    // Its review is today: due as soon as both agreed.
    let id = a.id(&[
        "agreement",
        "add",
        "I share where I am on evenings out",
        "--scope",
        "location, evenings out only",
        "--review",
        &day(0),
        "--ends",
        &day(30),
    ]);
    exchange(&a, &b);
    let listed = b.ok(&["agreement", "list"]);
    assert!(
        listed.contains("agreement: Covers: location, evenings out only · not in force"),
        "{listed}"
    );
    let json = b.json(&["agreement", "list"]);
    assert_eq!(json[0]["agreement"]["state"], "proposed");
    assert_eq!(json[0]["agreement"]["ends"], day(30).as_str());
    // A plain boundary is not listed as an agreement, and has no terms in JSON.
    b.id(&["boundary", "add", "No phones at dinner"]);
    assert_eq!(b.json(&["agreement", "list"]).as_array().unwrap().len(), 1);
    let boundaries = b.json(&["boundary", "list"]);
    let plain = boundaries
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["text"] == "No phones at dinner")
        .unwrap();
    assert!(plain.get("agreement").is_none(), "{plain}");

    let agreed = b.json(&["agreement", "agree", &id]);
    assert_eq!(agreed["agreement"]["state"], "review_due");
    exchange(&a, &b);
    for p in [&a, &b] {
        let due = p.ok(&["due"]);
        assert!(
            due.contains("Time to review the agreement \"I share where I am on evenings out\""),
            "{due}"
        );
        let kinds = p.json(&["due"]);
        assert!(
            kinds
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["kind"] == "agreement_review" && d["id"] == id.as_str()),
            "{kinds}"
        );
    }

    // Bea asks to renew; Ari is asked, and agrees.
    let said = stderr_of(
        &b,
        &[
            "agreement",
            "renew",
            &id,
            "--review",
            &day(20),
            "--ends",
            &day(60),
        ],
    );
    assert!(said.contains("They count once Ari agrees"), "{said}");
    exchange(&a, &b);
    let due = a.ok(&["due"]);
    assert!(due.contains("Bea asks to renew the agreement"), "{due}");
    let err = a.fails(&["agreement", "withdraw-renewal", &id]);
    assert!(err.contains("only the partner who proposed"), "{err}");
    let renewed = a.json(&["agreement", "agree", &id, "--renewal"]);
    assert_eq!(renewed["agreement"]["ends"], day(60).as_str());
    assert_eq!(renewed["agreement"]["state"], "in_force");
    assert!(renewed["agreement"]["renewal"].is_null());
    exchange(&a, &b);
    assert_eq!(
        b.json(&["agreement", "list"])[0]["agreement"]["ends"],
        day(60).as_str()
    );
    assert!(!b.ok(&["due"]).contains("agreement"));

    // Ending early: a plain boundary is refused, the agreement ends for both.
    let plain_id = plain["id"].as_str().unwrap();
    let err = b.fails(&["agreement", "end", plain_id]);
    assert!(err.contains("not a transparency agreement"), "{err}");
    let ended = a.json(&["agreement", "end", &id]);
    assert_eq!(ended["agreement"]["state"], "ended_early");
    exchange(&a, &b);
    assert!(b.ok(&["agreement", "list"]).contains("ended early"));
    let err = b.fails(&[
        "agreement",
        "renew",
        &id,
        "--review",
        &day(5),
        "--ends",
        &day(9),
    ]);
    assert!(err.contains("retired"), "{err}");
}
