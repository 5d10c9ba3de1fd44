//! Sealed letters, in two real windows paired over loopback: Ari sends a letter
//! sealed until Bea is ready; Bea's window shows that it exists, who wrote it, its
//! kind and its seal, and her device holds none of its words, until she says she is
//! ready and Ari's device sends the key; then it opens in her window.

mod common;

use std::path::Path;

use common::*;
use kintsugi_store::{DocLog, LogKind, Unlocked};

// "qz" is in no hex or Automerge debug output, so the canary cannot turn up by chance
// in an id, a hash or a signature printed in a change (as an all-hex one could).
const TITLE: &str = "For later 4dqz";
const BODY: &str = "canary 4dqz: the words that wait";

/// Whether `needle` is in either log of the profile at `dir`, decrypted, or in any
/// change of the documents they hold.
fn on_disk(dir: &Path, needle: &str) -> bool {
    let keys = Unlocked::unlock(dir, PASS.as_bytes()).unwrap();
    LogKind::ALL.into_iter().any(|kind| {
        let opened = DocLog::open_in(&dir.join(kind.file_name()), kind, &keys.keyring).unwrap();
        let all: Vec<u8> = opened.records.iter().flat_map(|r| r.to_vec()).collect();
        if all.windows(needle.len()).any(|w| w == needle.as_bytes()) {
            return true;
        }
        let mut doc = automerge::AutoCommit::load(&all).unwrap();
        doc.get_changes(&[])
            .iter()
            .any(|c| format!("{:?}", c.decode()).contains(needle))
    })
}

#[test]
fn a_sealed_letter_opens_in_the_readers_window_only_once_they_are_ready() {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (mut a, mut b) = paired(da.path(), db.path());
    let (ad, bd) = (device(&a), device(&b));

    nav(&mut a, "Letters");
    type_into(&mut a, "Title", TITLE);
    type_into(&mut a, "Letter", BODY);
    click(&mut a, "Save draft");
    click_label(&mut a, "sealed until they say they are ready");
    // What the seal can and cannot do, said before sending.
    see(&mut a, "the key to them stays on the writer's device");
    see(&mut a, "the letter stays sealed");
    click(&mut a, &format!("Send \"{TITLE}\" sealed"));
    see(&mut a, "sealed until Bea says they are ready");
    wait(&mut a, "the letter sent", || {
        ad.letters().unwrap().len() == 1
    });
    // Ari's own window reads it.
    see(&mut a, &format!("{TITLE} (apology) — sent"));

    nav(&mut b, "Letters");
    see_in(&mut b, &mut a, "A sealed letter (apology) from Ari");
    see(&mut b, "sealed until you say you are ready");
    keep_screenshot(&mut b, "screenshot-sealed");
    assert!(!shows(&b, "4dqz"), "Bea's window shows the letter's words");
    let l = &bd.letters().unwrap()[0];
    assert!(l.is_sealed() && l.title.is_empty() && l.body.is_empty());
    assert!(bd.read_letter(&l.id, None).is_err());
    assert!(!on_disk(&db.path().join("profile"), "4dqz"));
    nav(&mut b, "Home");
    assert!(
        !shows(&b, "unread letter"),
        "a sealed letter cannot be read yet"
    );

    nav(&mut b, "Letters");
    click(&mut b, "I'm ready to read it");
    see(&mut b, "Ari's device will send the key");
    until(&mut [&mut a, &mut b], "the seal to open", |_| {
        !bd.letters().unwrap()[0].is_sealed()
    });
    see_in(&mut b, &mut a, &format!("{TITLE} (apology) — from Ari"));
    gone(&mut b, "A sealed letter (apology) from Ari");
    click(&mut b, &format!("Open \"{TITLE}\""));
    see(&mut b, BODY);
    see_in(&mut a, &mut b, "was sealed; opened");
    // The look into the files finds the words where they are plain: in Ari's diary
    // history, which held the draft. In Bea's journal they stay encrypted, beside the
    // key that opens them.
    assert!(on_disk(&da.path().join("profile"), "4dqz"));
}
