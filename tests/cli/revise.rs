//! Changing what was written, through the real binary: diary and draft edits and
//! deletion (with its confirmation), check-in and stage note edits, search, and two
//! paired devices syncing over loopback that amend, edit and withdraw.

use crate::common::*;

fn texts_of(list: &serde_json::Value) -> Vec<String> {
    let mut t: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["text"].as_str().unwrap().to_string())
        .collect();
    t.sort();
    t
}

#[test]
fn diary_entries_and_drafts_are_edited_and_deleted_after_a_confirmation() {
    let p = Profile::init("Alex");
    let id = p.id(&["diary", "add", "A tpyo", "--mood", "2", "--stage", "1"]);
    let e = p.json(&["diary", "edit", &id[..13], "--text", "A typo, fixed"]);
    assert_eq!(
        (e["text"].as_str(), e["mood"].as_u64()),
        (Some("A typo, fixed"), Some(2))
    );
    let e = p.json(&["diary", "edit", &id, "--no-mood", "--stage", "4"]);
    assert!(e["mood"].is_null());
    assert_eq!(e["stage"], 4);
    let err = p.fails(&["diary", "edit", &id]);
    assert!(err.contains("nothing was changed"), "{err}");
    let err = p.fails(&["diary", "edit", &id, "--mood", "3", "--no-mood"]);
    assert!(err.contains("cannot be used with"), "{err}");

    let canary = "CANARY-CLI-DELETE-3";
    let gone = p.id(&["diary", "add", canary]);
    // No answer (no terminal) is a no.
    let err = p.fails(&["diary", "delete", &gone]);
    assert!(err.contains("release the diary's history"), "{err}");
    assert!(err.contains("nothing was deleted"), "{err}");
    assert_eq!(p.json(&["diary", "list"]).as_array().unwrap().len(), 2);
    // "y" at the prompt deletes.
    let mut c = p.cmd();
    let out = c
        .args(["diary", "delete", &gone])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(b"y\n")?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("gone from every list, search and export"),
        "{said}"
    );
    assert!(said.contains("encrypted history still holds it"), "{said}");
    let left = p.json(&["diary", "list"]);
    assert_eq!(texts_of(&left), ["A typo, fixed"]);
    assert!(p.json(&["search", "canary"]).as_array().unwrap().is_empty());
    let export = p.ok(&["export", "--format", "md", "--include-private"]);
    assert!(!export.contains(canary));
    let err = p.fails(&["diary", "delete", &gone, "--yes"]);
    assert!(err.contains("no entry"), "{err}");

    let draft = p.id(&["letter", "draft", "--title", "Sorry", "--body", "first try"]);
    let d = p.json(&[
        "letter",
        "edit",
        &draft,
        "--body",
        "second try",
        "--kind",
        "apology",
    ]);
    assert_eq!(
        (d["body"].as_str(), d["kind"].as_str()),
        (Some("second try"), Some("apology"))
    );
    let err = p.fails(&["letter", "edit", &draft, "--kind", "rant"]);
    assert!(err.contains("unknown letter kind"), "{err}");
    p.fails(&["letter", "discard", &draft]);
    assert_eq!(
        p.json(&["letter", "list"])["drafts"][0]["body"],
        "second try"
    );
    let said = stderr_of(&p, &["letter", "discard", &draft, "--yes"]);
    assert!(said.contains("Deleted"), "{said}");
    assert!(
        p.json(&["letter", "list"])["drafts"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn check_in_answers_and_stage_notes_show_what_they_said_before() {
    let p = Profile::init("Alex");
    let c = p.id(&[
        "checkin",
        "add",
        "--mood",
        "3",
        "--trust",
        "4",
        "--closeness",
        "5",
        "--went-well",
        "the walk",
        "--week",
        "2026-W48",
    ]);
    let edited = p.json(&[
        "checkin",
        "edit",
        &c,
        "--need",
        "more time",
        "--went-well",
        "",
    ]);
    assert!(edited["went_well"].is_null());
    assert_eq!(edited["need"], "more time");
    assert_eq!(edited["mood"], 3);
    assert!(edited["edited"].is_i64());
    assert_eq!(edited["earlier_versions"][0]["went_well"], "the walk");
    let human = p.ok(&["checkin", "list"]);
    assert!(human.contains("What I need: more time"), "{human}");
    assert!(human.contains("    edited "), "{human}");
    assert!(
        human.contains("earlier answers") && human.contains("What went well: the walk"),
        "{human}"
    );

    p.ok(&["stage", "done", "2", "--note", "first note"]);
    assert!(
        p.ok(&["stage", "note", "2", "second note"])
            .contains("note saved")
    );
    let stages = p.json(&["stage", "list"]);
    assert_eq!(stages[0]["note"], "second note");
    assert_eq!(stages[0]["done"], true);
    assert_eq!(stages[0]["earlier_versions"][0]["text"], "first note");
    assert!(p.ok(&["stage", "list"]).contains("second note (edited "));
}

#[test]
fn search_finds_both_documents_with_filters_and_json() {
    let p = Profile::init("Alex");
    p.id(&["boundary", "add", "No phones in the Evening"]);
    p.id(&["diary", "add", "That evening by the river", "--stage", "3"]);
    p.id(&["diary", "add", "A quiet morning", "--stage", "3"]);
    p.id(&[
        "letter",
        "draft",
        "--title",
        "About the evening",
        "--body",
        "...",
    ]);

    let hits = p.json(&["search", "EVENING"]);
    let mut kinds: Vec<&str> = hits
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap())
        .collect();
    kinds.sort();
    assert_eq!(kinds, ["boundary", "diary", "draft"]);
    let private: Vec<bool> = hits
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["private"].as_bool().unwrap())
        .collect();
    assert_eq!(private.iter().filter(|p| **p).count(), 2);

    let only = p.json(&["search", "evening", "--kind", "diary", "--kind", "boundary"]);
    assert_eq!(only.as_array().unwrap().len(), 2);
    let staged = p.json(&["search", "", "--stage", "3"]);
    assert_eq!(
        texts_of(&staged),
        ["A quiet morning", "That evening by the river"]
    );
    let today = chrono::Local::now().date_naive();
    let (d, next) = (today.to_string(), today.succ_opt().unwrap().to_string());
    let within = p.json(&["search", "evening", "--since", &d, "--until", &d]);
    assert_eq!(within.as_array().unwrap().len(), 3);
    assert!(
        p.json(&["search", "evening", "--since", &next])
            .as_array()
            .unwrap()
            .is_empty()
    );

    let human = p.ok(&["search", "river"]);
    assert!(
        human.contains("diary") && human.contains("(private)") && human.contains("stage 3"),
        "{human}"
    );
    assert!(p.ok(&["search", "nowhere"]).contains("Nothing found."));
    let err = p.fails(&["search", "x", "--kind", "diaries"]);
    assert!(err.contains("unknown kind"), "{err}");
    let err = p.fails(&["search", "x", "--since", "last week"]);
    assert!(err.contains("YYYY-MM-DD"), "{err}");
}

/// Two real devices, paired by QR image through the binary and synced over
/// loopback: an amendment shows both wordings until both agree, then only the new
/// one; a withdrawn entry disappears on both sides; an edited entry shows "edited"
/// on the partner's side, with its earlier versions.
#[test]
fn two_devices_amend_edit_and_withdraw() {
    let (a, b) = paired_profiles();

    // A boundary both agree to, then Ari rewords it.
    let rule = a.id(&["boundary", "add", "Home by ten"]);
    exchange(&a, &b);
    b.ok(&["boundary", "agree", &rule]);
    a.ok(&["boundary", "edit", &rule, "Home by eleven on Fridays"]);
    exchange(&a, &b);
    for p in [&a, &b] {
        let seen = &p.json(&["boundary", "list"])[0];
        assert_eq!(seen["text"], "Home by ten", "the old wording stands");
        assert_eq!(seen["status"], "agreed");
        assert_eq!(seen["amendment"]["text"], "Home by eleven on Fridays");
        assert!(seen["edited"].is_null());
    }
    let human = b.ok(&["boundary", "list"]);
    assert!(
        human.contains("Home by ten")
            && human.contains("proposed new wording (waiting for you: kintsugi boundary agree")
            && human.contains("Home by eleven on Fridays"),
        "{human}"
    );
    assert!(
        a.ok(&["boundary", "list"])
            .contains("waiting for Bea to agree")
    );
    // Only its author rewords it.
    let err = b.fails(&["boundary", "edit", &rule, "Bea's wording"]);
    assert!(err.contains("only its author"), "{err}");
    let err = a.fails(&["boundary", "agree", &rule, "--amendment"]);
    assert!(err.contains("already agreed"), "{err}");
    b.ok(&["boundary", "agree", &rule, "--amendment"]);
    exchange(&a, &b);
    for p in [&a, &b] {
        let seen = &p.json(&["boundary", "list"])[0];
        assert_eq!(seen["text"], "Home by eleven on Fridays");
        assert!(seen["amendment"].is_null());
        assert!(seen["edited"].is_i64());
        assert_eq!(seen["earlier_versions"][0]["text"], "Home by ten");
    }

    // New terms for a promise, agreed by the partner: the chain shows both.
    let promise = a.id(&["promise", "add", "Call when late", "--due", "2099-01-31"]);
    exchange(&a, &b);
    a.ok(&[
        "promise",
        "edit",
        &promise,
        "--text",
        "Text when late",
        "--due",
        "2099-03-01",
    ]);
    exchange(&a, &b);
    assert_eq!(b.json(&["promise", "list"])[0]["text"], "Call when late");
    b.ok(&["promise", "agree", &promise]);
    exchange(&a, &b);
    let seen = &a.json(&["promise", "list"])[0];
    assert_eq!(
        (seen["text"].as_str(), seen["due"].as_str()),
        (Some("Text when late"), Some("2099-03-01"))
    );
    assert_eq!(seen["earlier_versions"][0]["due"], "2099-01-31");
    assert!(a.ok(&["promise", "list"]).contains("earlier version"));

    // A shared diary entry, edited by its author: Bea sees that, and the earlier
    // wording.
    let entry = a.id(&["diary", "add", "What I felt that night"]);
    let shared = a.id(&["share", &entry]);
    exchange(&a, &b);
    a.ok(&["shared", "edit", &shared, "What I felt that night, and why"]);
    exchange(&a, &b);
    let seen = &b.json(&["shared", "list"])[0];
    assert_eq!(seen["text"], "What I felt that night, and why");
    assert!(seen["edited"].is_i64());
    assert_eq!(
        seen["earlier_versions"][0]["text"],
        "What I felt that night"
    );
    let human = b.ok(&["shared", "list"]);
    assert!(human.contains("    edited "), "{human}");
    assert!(
        human.contains("earlier version") && human.contains(": What I felt that night\n"),
        "{human}"
    );
    let err = b.fails(&["shared", "edit", &shared, "not hers"]);
    assert!(err.contains("only its author"), "{err}");

    // Withdrawn entries disappear on both sides.
    let second = a.id(&["boundary", "add", "Second thoughts"]);
    let soon = a.id(&["promise", "add", "Plan a weekend", "--due", "2099-06-01"]);
    exchange(&a, &b);
    assert_eq!(b.json(&["boundary", "list"]).as_array().unwrap().len(), 2);
    let err = b.fails(&["boundary", "withdraw", &second]);
    assert!(err.contains("only its author"), "{err}");
    let said = stderr_of(&a, &["boundary", "withdraw", &second]);
    assert!(said.contains("keeps what it already received"), "{said}");
    a.ok(&["promise", "withdraw", &soon]);
    a.ok(&["shared", "withdraw", &shared]);
    // An agreed boundary is retired, not withdrawn.
    let err = a.fails(&["boundary", "withdraw", &rule]);
    assert!(err.contains("retire it instead"), "{err}");
    exchange(&a, &b);
    for p in [&a, &b] {
        assert_eq!(
            texts_of(&p.json(&["boundary", "list"])),
            ["Home by eleven on Fridays"]
        );
        assert_eq!(texts_of(&p.json(&["promise", "list"])), ["Text when late"]);
        assert!(p.json(&["shared", "list"]).as_array().unwrap().is_empty());
        assert!(
            p.json(&["search", "second thoughts"])
                .as_array()
                .unwrap()
                .is_empty()
        );
    }
    let err = b.fails(&["boundary", "agree", &second]);
    assert!(err.contains("withdrawn"), "{err}");
    // Ari's diary still has the entry she had shared.
    assert_eq!(
        texts_of(&a.json(&["diary", "list"])),
        ["What I felt that night"]
    );
}
