use super::documents::date;
use super::{NOW, alice};
use crate::{EntryKind, JournalError, PrivateDiary, SharedJournal};

#[test]
fn whole_ids_and_unique_prefixes() {
    let mut j = SharedJournal::genesis();
    let boundary = j.propose_boundary(&alice(), "rule", None, NOW).unwrap();
    // A different millisecond, so the ids differ early.
    let promise = j
        .add_promise(&alice(), "promise", date("2027-01-01"), NOW + 86_400_000)
        .unwrap();

    assert_eq!(
        j.resolve(&boundary).unwrap(),
        (EntryKind::Boundary, boundary.clone())
    );
    // The timestamp prefix of the two ids differs within the first 12 hex digits.
    let short = unique_prefix(&boundary, &promise);
    assert_eq!(
        j.resolve(&short).unwrap(),
        (EntryKind::Boundary, boundary.clone())
    );
    // Case and hyphens do not matter.
    let sloppy = boundary.replace('-', "").to_uppercase();
    assert_eq!(j.resolve(&sloppy[..20]).unwrap().1, boundary);
    assert_eq!(
        j.resolve(&promise[..14]).unwrap(),
        (EntryKind::Promise, promise)
    );
}

#[test]
fn ambiguous_and_unknown_prefixes() {
    let mut j = SharedJournal::genesis();
    // Same millisecond: the first 12 hex digits are equal.
    let a = j.propose_boundary(&alice(), "one", None, NOW).unwrap();
    let b = j
        .add_promise(&alice(), "two", date("2027-01-01"), NOW)
        .unwrap();
    assert_eq!(a[..13], b[..13]);
    match j.resolve(&a[..8]) {
        Err(JournalError::AmbiguousId { matches, .. }) => assert_eq!(matches, 2),
        other => panic!("{other:?}"),
    }
    assert!(matches!(j.resolve("zzzz"), Err(JournalError::UnknownId(_))));
    assert!(matches!(j.resolve(""), Err(JournalError::UnknownId(_))));
    assert!(matches!(j.resolve("--"), Err(JournalError::UnknownId(_))));
}

#[test]
fn commands_name_the_wrong_kind() {
    let mut j = SharedJournal::genesis();
    let promise = j
        .add_promise(&alice(), "p", date("2027-01-01"), NOW)
        .unwrap();
    match j.agree_boundary(&alice(), &promise, NOW) {
        Err(JournalError::WrongKind {
            expected, found, ..
        }) => {
            assert_eq!((expected, found), (EntryKind::Boundary, EntryKind::Promise));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        j.get_letter("0190-nope"),
        Err(JournalError::UnknownId(id)) if id == "0190-nope"
    ));
}

#[test]
fn diary_resolve_covers_entries_and_drafts() {
    let mut d = PrivateDiary::genesis();
    let entry = d.add_entry(&alice(), "text", None, None, NOW).unwrap();
    let draft = d
        .add_draft(
            &alice(),
            crate::LetterKind::Hope,
            "t",
            "b",
            NOW + 86_400_000,
        )
        .unwrap();
    assert_eq!(d.resolve(&entry).unwrap().0, EntryKind::DiaryEntry);
    assert_eq!(d.resolve(&draft[..14]).unwrap(), (EntryKind::Draft, draft));
}

/// The shortest prefix of `a` that `b` does not share.
fn unique_prefix(a: &str, b: &str) -> String {
    let common = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    a[..=common].to_owned()
}
