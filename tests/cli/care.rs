//! The choices that are the reader's and the hurt partner's own, through the real
//! binary on two devices paired over loopback: read receipts.

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
