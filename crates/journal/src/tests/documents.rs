use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc};

use super::{NOW, alice, bob};
use crate::{JournalError, PrivateDiary, SCHEMA_VERSION, SharedJournal};

#[test]
fn genesis_bytes_are_identical_every_time() {
    assert_eq!(
        SharedJournal::genesis_bytes(),
        SharedJournal::genesis_bytes()
    );
    assert_eq!(PrivateDiary::genesis_bytes(), PrivateDiary::genesis_bytes());
    assert_ne!(
        SharedJournal::genesis_bytes(),
        PrivateDiary::genesis_bytes()
    );
}

/// The genesis change is a frozen format: if this hash changes, journals created by
/// different versions would no longer merge. Never update these constants casually.
#[test]
fn genesis_change_hash_is_frozen() {
    let shared = SharedJournal::genesis().heads();
    let diary = PrivateDiary::genesis().heads();
    assert_eq!(shared.len(), 1);
    assert_eq!(diary.len(), 1);
    assert_eq!(shared[0].to_string(), SHARED_GENESIS);
    assert_eq!(diary[0].to_string(), DIARY_GENESIS);
}

const SHARED_GENESIS: &str = "3c3e81852df0eb9b5f32352e3679fe183df20b774b65785b637d198363e5bb12";
const DIARY_GENESIS: &str = "caf4dc2623e5ed63f1a3018d3b20ed2f58dbe62cdf08c5d3d717c45d4c2452c7";

#[test]
fn an_untouched_genesis_saves_as_the_genesis_bytes() {
    // The fresh actor only appears in the document once it writes something.
    assert_eq!(
        SharedJournal::genesis().save(),
        SharedJournal::genesis_bytes()
    );
    let mut loaded = SharedJournal::load(&SharedJournal::genesis_bytes()).unwrap();
    assert_eq!(loaded.save(), SharedJournal::genesis_bytes());
}

#[test]
fn genesis_has_root_maps_and_schema() {
    let journal = SharedJournal::genesis();
    let doc = journal.doc();
    for name in [
        "boundaries",
        "checkins",
        "letters",
        "promises",
        "steps",
        "exercises",
        "partners",
        "shared",
    ] {
        let (value, _) = doc.get(ROOT, name).unwrap().unwrap();
        assert_eq!(value.to_objtype(), Some(ObjType::Map), "{name}");
    }
    assert_eq!(journal.schema_version(), Some(SCHEMA_VERSION));
    assert_eq!(
        PrivateDiary::genesis().schema_version(),
        Some(SCHEMA_VERSION)
    );
}

#[test]
fn every_instance_writes_with_its_own_actor() {
    let bytes = SharedJournal::genesis_bytes();
    let a = SharedJournal::load(&bytes).unwrap();
    let b = SharedJournal::load(&bytes).unwrap();
    let c = SharedJournal::genesis();
    let genesis_actor = automerge::ActorId::from(*b"kintsugi-shared1");
    let actors = [
        a.doc().get_actor(),
        b.doc().get_actor(),
        c.doc().get_actor(),
    ];
    assert_ne!(actors[0], actors[1]);
    assert_ne!(actors[1], actors[2]);
    assert!(actors.iter().all(|actor| **actor != genesis_actor));
}

#[test]
fn journals_created_apart_merge_with_both_sides_visible() {
    // Two devices, each started alone before pairing.
    let mut a = SharedJournal::genesis();
    let mut b = SharedJournal::load(&SharedJournal::genesis_bytes()).unwrap();
    let from_a = a
        .propose_boundary(&alice(), "No secret accounts", None, NOW)
        .unwrap();
    let from_b = b
        .add_promise(&bob(), "Call on Sundays", date("2026-12-31"), NOW)
        .unwrap();
    a.set_partner_name(&alice(), "Alice", NOW).unwrap();
    b.set_partner_name(&bob(), "Bob", NOW).unwrap();

    // Exchange full saves both ways, as a first sync would.
    let a_bytes = a.save();
    let b_bytes = b.save();
    a.load_incremental(&b_bytes).unwrap();
    b.load_incremental(&a_bytes).unwrap();

    for journal in [&a, &b] {
        assert_eq!(journal.boundaries().len(), 1);
        assert_eq!(journal.boundaries()[0].id, from_a);
        assert_eq!(journal.promises().len(), 1);
        assert_eq!(journal.promises()[0].id, from_b);
        assert_eq!(journal.partners().len(), 2);
        assert_eq!(journal.partner_name(&bob()).as_deref(), Some("Bob"));
    }
}

#[test]
fn merge_in_memory() {
    let mut a = SharedJournal::genesis();
    let mut b = SharedJournal::genesis();
    a.propose_boundary(&alice(), "one", None, NOW).unwrap();
    b.propose_boundary(&bob(), "two", None, NOW + 1).unwrap();
    a.merge(&mut b).unwrap();
    let texts: Vec<String> = a.boundaries().into_iter().map(|b| b.text).collect();
    assert_eq!(texts, ["one", "two"]);
}

#[test]
fn each_command_is_one_change_and_save_after_holds_exactly_it() {
    let mut journal = SharedJournal::genesis();
    let mut mirror = SharedJournal::load(&journal.save()).unwrap();

    let before = journal.heads();
    let id = journal
        .propose_boundary(&alice(), "Phones stay unlocked", None, NOW)
        .unwrap();
    let after = journal.heads();
    assert_ne!(before, after);
    assert_eq!(after.len(), 1);

    let chunk = journal.save_after(&before);
    assert!(!chunk.is_empty());
    mirror.load_incremental(&chunk).unwrap();
    assert_eq!(
        mirror.get_boundary(&id).unwrap(),
        journal.get_boundary(&id).unwrap()
    );
    assert_eq!(mirror.heads(), after);

    // The change carries the command's time, in seconds as Automerge expects, and no
    // message.
    let change = journal.doc_mut().get_last_local_change().unwrap();
    assert_eq!(change.timestamp(), NOW / 1000);
    assert_eq!(change.message(), None);
}

#[test]
fn a_rejected_command_writes_nothing() {
    let mut journal = SharedJournal::genesis();
    let before = journal.heads();
    assert!(
        journal
            .propose_boundary(&alice(), "   ", None, NOW)
            .is_err()
    );
    assert!(journal.agree_boundary(&alice(), "nope", NOW).is_err());
    assert_eq!(journal.heads(), before);
    assert!(journal.save_after(&before).is_empty());
}

#[test]
fn load_accepts_a_save_followed_by_incremental_chunks() {
    let mut journal = SharedJournal::genesis();
    let mut log = journal.save();
    for i in 0..3 {
        let before = journal.heads();
        journal
            .propose_boundary(&alice(), &format!("rule {i}"), None, NOW + i)
            .unwrap();
        log.extend(journal.save_after(&before));
    }
    let loaded = SharedJournal::load(&log).unwrap();
    assert_eq!(loaded.boundaries(), journal.boundaries());
    assert_eq!(loaded.boundaries().len(), 3);
}

#[test]
fn load_rejects_documents_without_our_root_maps() {
    // Nothing at all.
    assert!(matches!(
        SharedJournal::load(&[]),
        Err(JournalError::MissingRoot {
            map: "boundaries",
            ..
        })
    ));
    // The other document type.
    assert!(matches!(
        SharedJournal::load(&PrivateDiary::genesis_bytes()),
        Err(JournalError::MissingRoot { .. })
    ));
    assert!(matches!(
        PrivateDiary::load(&SharedJournal::genesis_bytes()),
        Err(JournalError::MissingRoot { map: "entries", .. })
    ));
    // Same map names, but not from our genesis: merging it with a real journal would
    // hide one side's entries, so it is refused.
    let mut foreign = AutoCommit::new();
    for name in ["boundaries", "checkins", "letters", "promises", "steps"] {
        foreign.put_object(ROOT, name, ObjType::Map).unwrap();
    }
    let err = SharedJournal::load(&foreign.save()).unwrap_err();
    assert!(
        err.to_string().contains("root map boundaries is missing"),
        "{err}"
    );
}

#[test]
fn load_rejects_garbage() {
    assert!(matches!(
        SharedJournal::load(b"definitely not automerge"),
        Err(JournalError::Automerge(_))
    ));
    let mut bytes = SharedJournal::genesis_bytes();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    assert!(SharedJournal::load(&bytes).is_err());
}

#[test]
fn debug_output_does_not_show_content() {
    let mut journal = SharedJournal::genesis();
    journal
        .propose_boundary(&alice(), "very private words", None, NOW)
        .unwrap();
    assert!(!format!("{journal:?}").contains("private"));
    let mut diary = PrivateDiary::genesis();
    diary
        .add_entry(&alice(), "very private words", None, None, NOW)
        .unwrap();
    assert!(!format!("{diary:?}").contains("private"));
}

pub(crate) fn date(s: &str) -> chrono::NaiveDate {
    crate::parse_date(s).unwrap()
}
