//! Identifiers: partner ids, entry ids and the kinds of entry they name.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::error::{JournalError, Result};

/// Which partner wrote something: 32 lowercase hex characters chosen by the caller.
///
/// A newtype rather than a bare `String` so that an id read from the document has
/// been checked once and every comparison afterwards is between canonical forms.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct PartnerId(String);

impl PartnerId {
    /// Accepts upper or lower case so ids typed by hand work; stores lower case so
    /// that the two devices always write the same key for the same partner.
    pub fn parse(s: &str) -> Result<Self> {
        if s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(s.to_ascii_lowercase()))
        } else {
            Err(JournalError::BadPartnerId)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for PartnerId {
    type Err = JournalError;

    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

impl fmt::Display for PartnerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for PartnerId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// The kinds of entry an id can name; what [`resolve`](crate::SharedJournal::resolve)
/// reports so a front end can dispatch on a bare id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    Boundary,
    Checkin,
    Letter,
    Promise,
    /// A diary entry a partner chose to copy into the shared journal.
    SharedEntry,
    DiaryEntry,
    Draft,
    /// An exercise planned together.
    Exercise,
    /// A private reflection on an exercise, in the diary.
    Reflection,
    /// A moment of the private trigger log (and, once shared, its shared copy).
    Trigger,
    /// A week's meeting (named by its week, not an id).
    Meeting,
    /// A signed record of a person's devices (named by what it is about, not an id).
    Device,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Boundary => "boundary",
            Self::Checkin => "checkin",
            Self::Letter => "letter",
            Self::Promise => "promise",
            Self::SharedEntry => "shared_entry",
            Self::DiaryEntry => "diary_entry",
            Self::Draft => "draft",
            Self::Exercise => "exercise",
            Self::Reflection => "reflection",
            Self::Trigger => "trigger",
            Self::Meeting => "meeting",
            Self::Device => "device",
        }
    }
}

impl fmt::Display for EntryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A fresh UUIDv7 (hyphenated, lowercase) for a new entry.
///
/// The timestamp part comes from the caller's `now` rather than the clock so the crate
/// stays pure; the remaining 74 bits are random so two devices writing in the same
/// millisecond never collide. Ids sort roughly by creation time, which keeps prefixes
/// of recent entries short to type.
pub(crate) fn new_entry_id(now: i64) -> Result<String> {
    let mut random = [0u8; 10];
    getrandom::fill(&mut random).map_err(|_| JournalError::Random)?;
    let millis = u64::try_from(now).unwrap_or(0);
    Ok(uuid::Builder::from_unix_timestamp_millis(millis, &random)
        .into_uuid()
        .hyphenated()
        .to_string())
}

/// The form ids are compared in when matching a typed prefix: case and hyphens are
/// noise a person should not have to get right.
pub(crate) fn normalize_id(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether `id`, normalized as by [`normalize_id`], starts with `wanted` (already
/// normalized). Allocation-free: resolving a prefix scans every id in the document.
pub(crate) fn id_starts_with(id: &str, wanted: &str) -> bool {
    let mut id = id
        .chars()
        .filter(|c| *c != '-')
        .flat_map(char::to_lowercase);
    wanted.chars().all(|w| id.next() == Some(w))
}
