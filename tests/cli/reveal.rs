//! Check-ins revealed together, with the real binary on two paired profiles syncing
//! over loopback: until Bea saves hers, nothing of Ari's answers is on her device,
//! not even decrypted; once she does, both see both.

use crate::common::*;

const ARI: &str = "canary 5e1c: the walk by the river";
const BEA: &str = "canary 77a0: a quiet Sunday";

fn save(p: &Profile, went_well: &str) -> String {
    stderr_of(
        p,
        &[
            "checkin",
            "add",
            "--mood",
            "3",
            "--trust",
            "6",
            "--closeness",
            "5",
            "--went-well",
            went_well,
        ],
    )
}

#[test]
fn a_checkin_reaches_the_partner_only_once_both_saved() {
    let (a, b) = paired_profiles();
    assert_eq!(a.ok(&["checkin", "together"]).trim(), "on", "on by default");

    let said = save(&a, ARI);
    assert!(
        said.contains("Saved on this device")
            && said.contains("go to your partner's device once your partner has saved theirs"),
        "{said}"
    );
    // Ari's own device shows Ari's answers, and that they wait.
    let mine = a.ok(&["checkin", "list"]);
    assert!(
        mine.contains("has not saved theirs yet") && mine.contains(ARI),
        "{mine}"
    );
    exchange(&a, &b);

    // Bea's device knows that Ari saved, and holds none of it: not in a list, not in a
    // search, not in an export, not in any file even decrypted with its own keys.
    let theirs = b.ok(&["checkin", "list"]);
    assert!(theirs.contains("Ari saved a check-in"), "{theirs}");
    assert!(!theirs.contains(ARI), "{theirs}");
    assert_eq!(b.json(&["checkin", "list"]), serde_json::json!([]));
    assert!(!b.ok(&["search", "river"]).contains(ARI));
    assert!(!b.ok(&["export", "--format", "md"]).contains(ARI));
    assert_eq!(found_in(&b.path(), ARI), Vec::<String>::new());
    let due = b.ok(&["due"]);
    assert!(
        due.to_lowercase().contains("check-in"),
        "Bea's is still due: {due}"
    );
    assert!(!a.ok(&["due"]).to_lowercase().contains("check-in"));

    // Bea saves hers: her device sees Ari's commitment, so hers goes at once, and
    // Ari's device reveals his on hearing of hers.
    let said = save(&b, BEA);
    assert!(!said.contains("Saved on this device"), "{said}");
    exchange(&a, &b);
    exchange(&a, &b);
    for p in [&a, &b] {
        let list = p.json(&["checkin", "list"]);
        let answers: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["went_well"].as_str().unwrap())
            .collect();
        assert_eq!(answers.len(), 2, "{list}");
        assert!(answers.contains(&ARI) && answers.contains(&BEA), "{list}");
        assert!(
            list.as_array()
                .unwrap()
                .iter()
                .all(|c| c["revealed"] == "together")
        );
        let human = p.ok(&["checkin", "list"]);
        assert!(!human.contains("saved a check-in"), "{human}");
    }
    assert!(
        !found_in(&b.path(), ARI).is_empty(),
        "the search above would have found it"
    );
}

#[test]
fn with_revealing_together_off_a_checkin_goes_at_once() {
    let (a, b) = paired_profiles();
    assert_eq!(a.json(&["settings"])["reveal_checkins_together"], true);
    a.ok(&["checkin", "together", "off"]);
    assert_eq!(a.ok(&["checkin", "together"]).trim(), "off");
    // The settings list shows it beside the other choices.
    assert_eq!(a.json(&["settings"])["reveal_checkins_together"], false);
    let shown = a.ok(&["settings"]);
    assert!(shown.contains("Check-ins:      as saved"), "{shown}");
    let said = save(&a, ARI);
    assert!(said.contains("Check-in saved."), "{said}");
    exchange(&a, &b);
    let list = b.json(&["checkin", "list"]);
    assert_eq!(list[0]["went_well"], ARI);
    assert_eq!(list[0]["revealed"], "direct");
}

#[test]
fn turning_it_off_sends_what_waits() {
    let (a, b) = paired_profiles();
    save(&a, ARI);
    a.ok(&["checkin", "together", "off"]);
    assert!(!a.ok(&["checkin", "list"]).contains("has not saved theirs"));
    exchange(&a, &b);
    let list = b.json(&["checkin", "list"]);
    assert_eq!(list[0]["went_well"], ARI);
    assert_eq!(list[0]["revealed"], "together", "it was committed to first");
}
