//! Sealed letters, with the real binary on two paired profiles syncing over
//! loopback: until Bea says she is ready, nothing of Ari's letter but that it exists,
//! its kind and its seal is on her device, not even decrypted; once Ari's device has
//! seen that she is, the letter opens on both.

use crate::common::*;

// The marker is not hex: the shared journal holds hex (signed device records), where
// a hex marker would turn up by chance.
const TITLE: &str = "title 9bqz: a year from now";
const BODY: &str = "canary 9bqz: what I could not say";

fn draft(p: &Profile) -> String {
    p.id(&[
        "letter", "draft", "--kind", "hope", "--title", TITLE, "--body", BODY,
    ])
}

#[test]
fn a_letter_sealed_until_the_reader_is_ready_opens_only_then() {
    let (a, b) = paired_profiles();
    let id = draft(&a);
    let said = stderr_of(&a, &["letter", "send", &id, "--sealed-until-ready"]);
    assert!(said.contains("the letter stays sealed"), "{said}");
    // Ari's own device reads it, and lists its seal.
    let mine = a.ok(&["letter", "list"]);
    assert!(
        mine.contains(TITLE) && mine.contains("says they are ready"),
        "{mine}"
    );
    assert!(a.ok(&["letter", "read", &id]).contains(BODY));
    exchange(&a, &b);

    // Bea's device knows that it exists, who wrote it, its kind and its seal.
    let theirs = b.ok(&["letter", "list"]);
    assert!(
        theirs.contains("A sealed letter (hope) from Ari")
            && theirs.contains("sealed until you say you are ready"),
        "{theirs}"
    );
    assert!(!theirs.contains("9bqz"), "{theirs}");
    let json = b.json(&["letter", "list"]);
    let l = &json["received"][0];
    assert_eq!(
        (&l["kind"], &l["title"], &l["body"]),
        (&"hope".into(), &"".into(), &"".into())
    );
    assert_eq!(l["seal"]["until"], "ready");
    assert_eq!(l["seal"]["sealed"], true);
    let refused = b.fails(&["letter", "read", &id]);
    assert!(refused.contains("still sealed"), "{refused}");
    assert!(!refused.contains("9bqz"));
    assert!(!b.ok(&["search", "9bqz"]).contains("9bqz"));
    assert!(!b.ok(&["export", "--format", "md"]).contains("9bqz"));
    assert_eq!(found_in(&b.path(), "9bqz"), Vec::<String>::new());
    // Only the reader says they are ready.
    assert!(
        a.fails(&["letter", "ready", &id])
            .contains("your own letter")
    );

    let said = b.ok(&["letter", "ready", &id]);
    assert!(said.contains("Ari's device will send the key"), "{said}");
    assert_eq!(
        b.json(&["letter", "list"])["received"][0]["seal"]["sealed"],
        true,
        "it opens when Ari's device has seen that"
    );
    exchange(&a, &b);
    exchange(&a, &b);
    let read = b.ok(&["letter", "read", &id]);
    assert!(read.contains(TITLE) && read.contains(BODY), "{read}");
    let l = &b.json(&["letter", "list"])["received"][0];
    assert_eq!(l["seal"]["sealed"], false);
    assert!(l["seal"]["opened_at"].is_i64());
    assert!(b.ok(&["letter", "list"]).contains("was sealed; opened"));
    assert!(
        b.ok(&["search", "9bqz"]).contains("9bqz"),
        "the search above would have found it"
    );
    // The look into the files finds the words where they are plain: in Ari's diary
    // history, which held the draft. (In Bea's journal they stay encrypted, beside
    // the key that opens them.)
    assert!(!found_in(&a.path(), "9bqz").is_empty());
}

#[test]
fn a_letter_sealed_until_a_day_shows_the_day_and_a_day_gone_by_is_refused() {
    let (a, b) = paired_profiles();
    let id = draft(&a);
    let today = chrono::Local::now().date_naive();
    for day in [today, today - chrono::Days::new(1)] {
        let day = day.format("%Y-%m-%d").to_string();
        let refused = a.fails(&["letter", "send", &id, "--sealed-until", &day]);
        assert!(refused.contains("already come"), "{refused}");
    }
    let refused = a.fails(&["letter", "send", &id, "--sealed-until", "next week"]);
    assert!(refused.contains("YYYY-MM-DD"), "{refused}");
    assert!(
        a.ok(&["letter", "list"]).contains(TITLE),
        "the draft is kept"
    );

    let later = (today + chrono::Days::new(30))
        .format("%Y-%m-%d")
        .to_string();
    a.ok(&["letter", "send", &id, "--sealed-until", &later]);
    exchange(&a, &b);
    let theirs = b.ok(&["letter", "list"]);
    assert!(
        theirs.contains(&format!(
            "sealed until {later}; it opens once Ari's device syncs"
        )),
        "{theirs}"
    );
    assert!(
        b.fails(&["letter", "ready", &id])
            .contains("sealed until a date")
    );
    let l = &b.json(&["letter", "list"])["received"][0];
    assert_eq!(l["seal"]["until"], "date");
    assert!(l["seal"]["until_time"].is_i64());
    assert_eq!(found_in(&b.path(), "9bqz"), Vec::<String>::new());
}
