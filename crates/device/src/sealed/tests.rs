//! Sealed letters between two devices, synced directly: the recipient's device is
//! asked through every door of the device API, and its profile's files are opened
//! and searched, before the seal opens.

use kintsugi_journal::{JournalError, LetterKind, SealUntil};

use crate::test_support::{found_in, paired, sync_directly};
use crate::{Device, DeviceError, ExportFormat, ExportScope, SearchQuery, now_ms};

// Not hex, so that no key or signature in the journal can hold it by chance.
const TITLE: &str = "title 7cqz of the letter";
const BODY: &str = "canary 7cqz sealed body";

/// Everything `d` can be asked that might hold a letter's words.
fn everything(d: &Device) -> String {
    let mut all = format!("{:?}", d.letters().unwrap());
    for l in &d.letters().unwrap() {
        all.push_str(&format!("{:?}", d.read_letter(&l.id, Some(false))));
    }
    let hits = d
        .search(&SearchQuery {
            text: "7cqz".into(),
            ..Default::default()
        })
        .unwrap();
    all.push_str(&format!("{hits:?}"));
    for format in [ExportFormat::Markdown, ExportFormat::Json] {
        let out = d.export(format, ExportScope::WithPrivate).unwrap();
        all.push_str(&String::from_utf8_lossy(&out));
    }
    let doc = d
        .export(ExportFormat::Automerge, ExportScope::Shared)
        .unwrap();
    let mut am = automerge::AutoCommit::load(&doc).unwrap();
    for c in am.get_changes(&[]) {
        all.push_str(&format!("{:?}", c.decode()));
    }
    all
}

fn send(a: &Device, until: SealUntil) -> String {
    let draft = a.draft_letter(LetterKind::Apology, TITLE, BODY).unwrap();
    a.send_sealed_letter(&draft, until).unwrap()
}

#[test]
fn a_letter_sealed_until_the_reader_is_ready_is_nowhere_on_their_device_until_then() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = paired(tmp.path());
    let id = send(&a, SealUntil::Ready);
    assert!(
        a.drafts().unwrap().is_empty(),
        "the draft became the letter"
    );
    // The writer reads it with the key its device keeps.
    let mine = a.read_letter(&id, None).unwrap();
    assert_eq!((mine.title.as_str(), mine.body.as_str()), (TITLE, BODY));
    assert!(mine.is_sealed());
    sync_directly(&a, &b);

    let at_b = b.letters().unwrap();
    assert_eq!(at_b.len(), 1);
    let l = &at_b[0];
    assert!(l.is_sealed());
    assert_eq!((l.kind, &l.author), (LetterKind::Apology, &a.me().unwrap()));
    assert!(matches!(
        b.read_letter(&id, None),
        Err(DeviceError::Journal(JournalError::StillSealed(e))) if e == id
    ));
    assert!(b.tell_letter_read(&id).is_err());
    assert!(
        b.opened_letters().unwrap().is_empty(),
        "nothing was recorded"
    );
    assert!(
        !everything(&b).contains("7cqz"),
        "Bea's device answers with the letter"
    );
    let found = found_in(&tmp.path().join("b"), "7cqz");
    assert!(
        found.is_empty(),
        "Bea's profile holds the letter: {found:?}"
    );
    // Nothing due to read yet.
    let today = chrono::Local::now().date_naive();
    assert!(
        !b.due(today)
            .unwrap()
            .iter()
            .any(|d| matches!(d, crate::view::Due::UnreadLetters { .. }))
    );

    // Bea is ready; the writer's device releases the key when it sees that.
    let asked = b.ready_for_letter(&id).unwrap();
    assert!(asked.is_sealed() && asked.seal.unwrap().ready_at.is_some());
    assert!(
        a.ready_for_letter(&id).is_err(),
        "the writer is not the one to be ready"
    );
    sync_directly(&a, &b);
    sync_directly(&a, &b);
    let read = b.read_letter(&id, None).unwrap();
    assert_eq!((read.title.as_str(), read.body.as_str()), (TITLE, BODY));
    assert!(!read.is_sealed());
    assert!(read.seal.unwrap().opened_at.is_some());
    // Opened for good: the writer's device forgot the key, the journal holds it.
    let held: super::Held = a.with(|i| super::KEYS.read(i)).unwrap();
    assert!(held.letters.is_empty());
    let mine = a.read_letter(&id, None).unwrap();
    assert_eq!(mine.body, BODY);
    assert!(
        everything(&b).contains(BODY),
        "the questions above would have found it"
    );
    // The words stay encrypted in Bea's journal even now (the key beside them), but
    // the look above does find them where they are plain: in Ari's diary history,
    // which held the draft.
    assert!(!found_in(&tmp.path().join("a"), "7cqz").is_empty());
}

#[test]
fn a_letter_sealed_until_a_moment_opens_at_the_first_sync_after_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = paired(tmp.path());
    // A moment that has come is refused: the letter would open at once.
    let draft = a.draft_letter(LetterKind::Hope, TITLE, BODY).unwrap();
    let err = a
        .send_sealed_letter(&draft, SealUntil::Time(now_ms() - 1))
        .unwrap_err();
    assert!(matches!(err, DeviceError::BadInput { .. }), "{err}");
    assert_eq!(a.drafts().unwrap().len(), 1, "the draft is kept");

    let id = a
        .send_sealed_letter(&draft, SealUntil::Time(now_ms() + 1500))
        .unwrap();
    sync_directly(&a, &b);
    assert!(b.letters().unwrap()[0].is_sealed());
    assert!(b.read_letter(&id, None).is_err());
    assert!(
        matches!(
            b.ready_for_letter(&id),
            Err(DeviceError::Journal(JournalError::NotNow { .. }))
        ),
        "a dated seal waits for its day, not for a word"
    );
    assert!(found_in(&tmp.path().join("b"), "7cqz").is_empty());
    std::thread::sleep(std::time::Duration::from_millis(1600));
    // The moment has come: the next session carries the key.
    sync_directly(&a, &b);
    let read = b.read_letter(&id, None).unwrap();
    assert_eq!(read.body, BODY);
}

#[test]
fn a_key_kept_before_a_crash_is_used_again_by_the_retry() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = paired(tmp.path());
    let draft = a.draft_letter(LetterKind::Other, TITLE, BODY).unwrap();
    // As if the process died after keeping the key and before writing the letter.
    a.update_state_file(&super::KEYS, |h: &mut super::Held| {
        h.letters
            .insert(draft.clone(), super::HeldKey { key: [9; 32] });
        Ok(())
    })
    .unwrap();
    assert!(a.open_due_letters().unwrap().is_empty(), "the key waits");
    let id = a.send_sealed_letter(&draft, SealUntil::Ready).unwrap();
    b.ready_for_letter(&id).unwrap_err(); // not synced yet: Bea has no such letter
    sync_directly(&a, &b);
    b.ready_for_letter(&id).unwrap();
    sync_directly(&a, &b);
    sync_directly(&a, &b);
    assert_eq!(b.read_letter(&id, None).unwrap().body, BODY);
}
