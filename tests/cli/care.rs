//! The choices that are the reader's and the hurt partner's own, through the real
//! binary on two devices paired over loopback: read receipts, acceptance and
//! forgiveness, the trigger log.

use crate::common::*;

/// The letter in Ari's `letter list --json` that Bea has: is it marked read?
fn read_at(p: &Profile, id: &str) -> serde_json::Value {
    let list = p.json(&["letter", "list"]);
    list["sent"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == id)
        .unwrap_or_else(|| panic!("no sent letter {id} in {list}"))["read_at"]
        .clone()
}

#[test]
fn opening_a_letter_tells_the_writer_only_when_the_reader_chooses() {
    let (ari, bea) = paired_profiles();
    let send = |title: &str| {
        let draft = ari.id(&["letter", "draft", "--title", title, "--body", "..."]);
        ari.id(&["letter", "send", &draft])
    };
    let (first, second, third) = (send("first"), send("second"), send("third"));
    exchange(&ari, &bea);
    assert_eq!(bea.json(&["due"])[0]["kind"], "checkin");
    assert_eq!(bea.json(&["due"])[1]["count"], 3);

    // The default is to ask: reading tells no one, and says how to tell.
    let settings = bea.json(&["settings"]);
    assert_eq!(settings["read_receipts"], "ask");
    assert!(bea.ok(&["settings"]).contains("Read receipts:  ask"));
    let said = bea.ok(&["letter", "read", &first]);
    assert!(said.contains("Ari has not been told"), "{said}");
    assert!(
        said.contains(&format!("letter mark-read {first}")),
        "{said}"
    );
    assert!(bea.json(&["letter", "read", &first])["read_at"].is_null());
    let received = bea.json(&["letter", "list"])["received"].clone();
    let opened = received
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == first.as_str());
    assert!(opened.unwrap()["opened_at"].is_i64(), "{received}");
    assert_eq!(
        bea.json(&["due"])[1]["count"],
        2,
        "an opened letter is no longer new"
    );
    exchange(&ari, &bea);
    assert!(read_at(&ari, &first).is_null(), "opening told Ari");

    // Chosen, once: by the flag, and by the command.
    bea.ok(&["letter", "read", &second, "--tell"]);
    let said = bea.ok(&["letter", "mark-read", &first]);
    assert!(
        said.contains("Ari can now see that you read this letter"),
        "{said}"
    );
    assert!(
        bea.fails(&["letter", "read", &third, "--tell", "--dont-tell"])
            .contains("cannot be used with")
    );
    exchange(&ari, &bea);
    assert!(read_at(&ari, &first).is_i64());
    assert!(read_at(&ari, &second).is_i64());
    assert!(read_at(&ari, &third).is_null());
    let human = ari.ok(&["letter", "list"]);
    assert!(
        human.contains("first — sent") && human.contains(", read "),
        "{human}"
    );
    let err = ari.fails(&["letter", "mark-read", &first]);
    assert!(err.contains("only the recipient"), "{err}");

    // The setting's default applies to the next letter opened, until overridden.
    let err = bea.fails(&["settings", "--read-receipts", "sometimes"]);
    assert!(err.contains("expected ask or always"), "{err}");
    assert_eq!(
        bea.json(&["settings", "--read-receipts", "always"])["read_receipts"],
        "always"
    );
    assert!(bea.json(&["letter", "read", &third, "--dont-tell"])["read_at"].is_null());
    let said = bea.ok(&["letter", "read", &third]);
    assert!(said.contains("Ari can now see"), "{said}");
    exchange(&ari, &bea);
    assert!(read_at(&ari, &third).is_i64());
    assert!(
        bea.json(&["due"])
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["kind"] != "unread_letters")
    );
}

/// Everything Ari's profile hands out, as text: every export and the listings.
fn everything(p: &Profile) -> String {
    let mut out = String::new();
    for args in [
        &["export", "--format", "json", "--include-private"][..],
        &["export", "--format", "md", "--include-private"],
        &["export", "--format", "json"],
        &["stage", "list"],
        &["--json", "stage", "list"],
        &["shared", "list"],
        &["diary", "list"],
        &["search", ""],
    ] {
        out.push_str(&p.ok(args));
    }
    let am = p.run(&["export", "--format", "automerge"]);
    assert!(am.status.success());
    out.push_str(&String::from_utf8_lossy(&am.stdout));
    out
}

#[test]
fn acceptance_never_reaches_the_partner_and_forgiveness_does() {
    const CANARY: &str = "ACCEPTANCE-CLI-CANARY-9e2";
    let (ari, bea) = paired_profiles();
    exchange(&ari, &bea); // each learns the other's name
    let said = bea.ok(&["stage", "accept", "--words", CANARY]);
    assert!(said.contains("Only you can see it"), "{said}");
    assert_eq!(
        bea.json(&["stage", "accept", "--words", CANARY])["words"],
        CANARY
    );
    let said = bea.ok(&["stage", "forgive", "--words", "I forgive you."]);
    assert!(
        said.contains("Ari will see that you offered forgiveness"),
        "{said}"
    );
    let err = bea.fails(&["stage", "forgive"]);
    assert!(err.contains("already offered forgiveness"), "{err}");
    let mine = bea.ok(&["stage", "list"]);
    assert!(
        mine.contains("Your acceptance (private, only on your own devices)"),
        "{mine}"
    );
    assert!(mine.contains(CANARY), "{mine}");
    exchange(&ari, &bea);

    let stages = ari.json(&["stage", "list"]);
    let bea_id = bea.json(&["status"])["partner_id"].clone();
    let forgiving = stages
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["partner"] == bea_id && s["stage"] == 6)
        .unwrap_or_else(|| panic!("no forgiveness stage record of Bea's in {stages}"));
    assert_eq!(forgiving["forgiveness"]["words"], "I forgive you.");
    assert!(forgiving["forgiveness"]["offered_at"].is_i64());
    let listed = ari.ok(&["stage", "list"]);
    assert!(
        listed.contains("Bea: in progress; offered forgiveness"),
        "{listed}"
    );
    let all = everything(&ari);
    assert!(
        !all.contains(CANARY),
        "Ari's device hands out Bea's acceptance"
    );
    // Not even that there is one: Ari's own private part has none.
    assert!(
        !all.contains("reached_at") && !all.contains("## Acceptance"),
        "Ari's device says someone marked acceptance"
    );
    assert!(all.contains("I forgive you."));
    // Bea's own shared export and journal file do not hold it either.
    assert!(!bea.ok(&["export", "--format", "json"]).contains(CANARY));
    assert!(
        bea.ok(&["export", "--format", "json", "--include-private"])
            .contains(CANARY)
    );

    // Taken back: it leaves Ari's list at the next sync.
    let said = bea.ok(&["stage", "forgive", "--undo"]);
    assert!(said.contains("Ari may already have read it"), "{said}");
    exchange(&ari, &bea);
    let stages = ari.json(&["stage", "list"]);
    assert!(
        stages
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["forgiveness"].is_null())
    );
    bea.ok(&["stage", "accept", "--undo"]);
    assert!(!bea.ok(&["stage", "list"]).contains("Your acceptance"));
}

#[test]
fn the_partner_sees_the_trend_and_a_chosen_moment_never_an_unchosen_one() {
    const CANARY: &str = "UNCHOSEN-TRIGGER-CLI-4b";
    let (ari, bea) = paired_profiles();
    exchange(&ari, &bea);
    // Every moment at the same minute, so they share a week whenever this runs.
    let now = chrono::Local::now();
    let at = |m: i64| {
        (now - chrono::Duration::minutes(m))
            .format("%Y-%m-%d %H:%M")
            .to_string()
    };
    bea.id(&["trigger", "add", CANARY, "--strength", "8", "--at", &at(0)]);
    let chosen = bea.id(&[
        "trigger",
        "add",
        "the old cafe",
        "--strength",
        "4",
        "--at",
        &at(0),
    ]);
    let err = bea.fails(&["trigger", "add", "x", "--strength", "11"]);
    assert!(err.contains("11"), "{err}");
    let err = bea.fails(&["trigger", "add", "x", "--strength", "3", "--at", "someday"]);
    assert!(err.contains("is not a time"), "{err}");
    let log = bea.json(&["trigger", "list"]);
    assert_eq!(log["entries"].as_array().unwrap().len(), 2);
    assert_eq!(log["weeks"][0]["count"], 2);
    assert_eq!(log["weeks"][0]["strength_sum"], 12);
    assert!(bea.ok(&["trigger", "list"]).contains("(not shared)"));

    // Private until chosen: after a sync Ari has nothing.
    exchange(&ari, &bea);
    let theirs = ari.json(&["trigger", "list"]);
    assert!(theirs["shared_trend"].as_array().unwrap().is_empty());
    assert!(theirs["shared_entries"].as_array().unwrap().is_empty());

    let said = bea.ok(&["trigger", "share-trend"]);
    assert!(
        said.contains("2 moments, average strength 6.0/10"),
        "{said}"
    );
    assert!(
        said.contains("no words, no times, no single moment"),
        "{said}"
    );
    let said = bea.ok(&["trigger", "share", &chosen[..13]]);
    assert!(said.contains("Ari will see this one moment"), "{said}");
    assert!(bea.ok(&["trigger", "list"]).contains("[shared with Ari]"));
    exchange(&ari, &bea);

    let theirs = ari.json(&["trigger", "list"]);
    let week = &theirs["shared_trend"][0];
    assert_eq!(
        (week["count"].as_u64(), week["strength_sum"].as_u64()),
        (Some(2), Some(12))
    );
    assert_eq!(week["average"], 6.0);
    assert_eq!(theirs["shared_entries"][0]["words"], "the old cafe");
    assert_eq!(theirs["shared_entries"][0]["strength"], 4);
    assert!(theirs["entries"].as_array().unwrap().is_empty());
    let human = ari.ok(&["trigger", "list"]);
    assert!(human.contains("Bea's weeks, as shared:"), "{human}");
    assert!(human.contains("the old cafe"), "{human}");
    let mut all = everything(&ari);
    all.push_str(&ari.ok(&["trigger", "list"]));
    all.push_str(&ari.ok(&["--json", "trigger", "list"]));
    assert!(
        !all.contains(CANARY),
        "Ari's device hands out a moment Bea did not share"
    );
    assert!(all.contains("the old cafe"));

    // More logged that week: the shared numbers say "changed" until shared again.
    bea.id(&[
        "trigger",
        "add",
        "a name",
        "--strength",
        "6",
        "--at",
        &at(0),
    ]);
    assert!(
        bea.ok(&["trigger", "list"])
            .contains("(shared, changed since)")
    );
    bea.ok(&["trigger", "share-trend"]);
    exchange(&ari, &bea);
    assert_eq!(
        ari.json(&["trigger", "list"])["shared_trend"][0]["count"],
        3
    );
}
