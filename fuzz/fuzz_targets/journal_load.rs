//! Loading and merging journal documents from arbitrary bytes: never a panic, and a
//! refused merge leaves the document as it was.
#![no_main]

use kintsugi_journal::{PrivateDiary, SharedJournal};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(doc) = SharedJournal::load(data) {
        let _ = (
            doc.boundaries(),
            doc.checkins(),
            doc.letters(),
            doc.promises(),
        );
        let _ = (doc.stages(), doc.partners(), doc.shared_entries());
    }
    let _ = PrivateDiary::load(data).map(|d| (d.entries(), d.drafts()));
    let mut doc = SharedJournal::load(&SharedJournal::genesis_bytes()).unwrap();
    let heads = doc.heads();
    if doc.load_incremental(data).is_err() {
        assert_eq!(doc.heads(), heads, "a refused chunk changed the document");
    } else {
        let _ = (
            doc.boundaries(),
            doc.checkins(),
            doc.letters(),
            doc.promises(),
        );
    }
});
