use proptest::prelude::*;

use crate::{PrivateDiary, SharedJournal};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn loading_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(j) = SharedJournal::load(&bytes) {
            let _ = j.boundaries();
        }
        let _ = PrivateDiary::load(&bytes);
    }

    #[test]
    fn a_valid_save_with_garbage_appended_never_panics(
        bytes in proptest::collection::vec(any::<u8>(), 0..256),
    ) {
        let mut data = SharedJournal::genesis_bytes();
        data.extend(&bytes);
        let _ = SharedJournal::load(&data);
        let mut j = SharedJournal::genesis();
        let _ = j.load_incremental(&bytes);
        let _ = j.boundaries();
    }

    #[test]
    fn flipping_a_byte_of_a_real_journal_never_panics(index in any::<usize>(), flip in 1u8..) {
        let mut j = SharedJournal::genesis();
        j.propose_boundary(&super::alice(), "rule", Some("c"), super::NOW).unwrap();
        let mut data = j.save();
        let i = index % data.len();
        data[i] ^= flip;
        if let Ok(loaded) = SharedJournal::load(&data) {
            let _ = loaded.boundaries();
        }
    }
}
