use std::path::Path;

use super::*;
use crate::Device;
use crate::test_support::{PASS, opts, paired, sync_directly};

/// Printable text that DEFLATE shrinks by less than a fifth.
fn random_text(len: usize, seed: u64) -> String {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'!' + (x % 94) as u8)
        })
        .collect()
}

fn texts(d: &Device) -> Vec<String> {
    let mut t: Vec<String> = d
        .boundaries()
        .unwrap()
        .into_iter()
        .map(|b| b.text)
        .collect();
    t.sort();
    t
}

#[test]
fn a_catch_up_larger_than_one_message_goes_in_parts_the_partner_takes() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = paired(tmp.path());
    // 12 MiB of text that compresses little: neither Automerge's saved document nor
    // its change list fits in one message.
    for i in 0..12 {
        a.propose_boundary(&random_text(1024 * 1024, i + 1), None)
            .unwrap();
    }
    let sizes = sync_directly(&a, &b);
    assert_eq!(texts(&a), texts(&b));
    assert_eq!(texts(&b).len(), 12);
    eprintln!("payload sizes: {sizes:?}");
    assert!(
        sizes.iter().all(|&n| n <= MAX_PAYLOAD),
        "a payload over the cap: {sizes:?}"
    );
    let parts = sizes.iter().filter(|&&n| n > 1024 * 1024).count();
    assert!(parts >= 2, "the catch-up was not split: {sizes:?}");
    let total: usize = sizes.iter().sum();
    assert!(
        total < 12 * 1024 * 1024 + 1024 * 1024,
        "changes were sent more than once: {sizes:?}"
    );

    // The sync state each side kept is sound: the next change alone crosses.
    a.propose_boundary("after the catch-up", None).unwrap();
    let sizes = sync_directly(&a, &b);
    assert_eq!(texts(&a), texts(&b));
    assert!(
        sizes.iter().all(|&n| n < 64 * 1024),
        "the next session sent the journal again: {sizes:?}"
    );
}

#[test]
fn an_entry_larger_than_one_change_may_be_is_refused_and_nothing_of_it_is_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, _b) = paired(tmp.path());
    a.propose_boundary("small", None).unwrap();
    let dir = a.profile_dir().unwrap();
    let read_dir = |dir: &Path| -> Vec<(std::path::PathBuf, Vec<u8>)> {
        let mut v: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .map(|p| (p.clone(), std::fs::read(&p).unwrap()))
            .collect();
        v.sort();
        v
    };
    let before = read_dir(&dir);
    let long = random_text(MAX_CHANGE + 1, 7);
    let err = a.propose_boundary(&long, None).unwrap_err();
    assert!(
        matches!(
            err,
            DeviceError::BadInput {
                field: Field::Text,
                ..
            }
        ),
        "{err:?}"
    );
    let says = err.to_string();
    assert!(says.contains(&MAX_CHANGE.to_string()), "{says}");
    assert!(!says.contains(&long[..20]), "the error quotes the entry");
    assert_eq!(texts(&a), ["small"], "the refused entry is still in memory");
    assert!(read_dir(&dir) == before, "a file changed");
    // The private diary has the same limit: a letter too long to send is refused
    // when it is drafted, not when it is sent.
    let err = a
        .draft_letter(kintsugi_journal::LetterKind::Hope, "title", &long)
        .unwrap_err();
    assert!(matches!(
        err,
        DeviceError::BadInput {
            field: Field::Text,
            ..
        }
    ));
    assert!(a.drafts().unwrap().is_empty());
    // Just under the limit is kept, and the device works on.
    let fits = random_text(MAX_CHANGE - 4096, 8);
    a.propose_boundary(&fits, None).unwrap();
    assert_eq!(texts(&a).len(), 2);
    drop(a);
    let a = Device::unlock(&tmp.path().join("a"), PASS, opts()).unwrap();
    assert_eq!(texts(&a).len(), 2);
}
