//! Tests of the public behaviour, compiled into the library's test binary (one link
//! instead of one per file).

mod agreements;
mod boundaries;
mod checkins;
mod corrupt;
mod devices;
mod diary;
mod documents;
mod exercises;
mod forgiveness;
mod letters_promises;
mod lists;
mod meetings;
mod private_records;
mod props;
mod resolve;
mod reveal;
mod revisions;
mod sealed_letters;
mod sharing;
mod triggers;

use crate::PartnerId;

/// The partner who broke trust, say. Ids are arbitrary but fixed.
pub(crate) fn alice() -> PartnerId {
    PartnerId::parse(&"a1".repeat(16)).unwrap()
}

pub(crate) fn bob() -> PartnerId {
    PartnerId::parse(&"b2".repeat(16)).unwrap()
}

/// A plausible "now": 2026-11-26T12:00:00Z in ms.
pub(crate) const NOW: i64 = 1_795_694_400_000;
