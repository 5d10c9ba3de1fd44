//! The shared journal: the document both partners replicate.
//!
//! Each entry kind lives in its own submodule as an `impl SharedJournal` block with
//! its commands and queries. Commands validate first, then write everything as one
//! Automerge change (see [`Doc::transact`]).

mod boundary;
mod checkin;
mod devices;
mod exercise;
mod letter;
mod lists;
mod meeting;
mod partner;
mod promise;
mod reveal;
mod settle;
mod share;
mod stage;
mod triggers;

use automerge::{AutoCommit, ChangeHash};

use crate::doc::{Doc, Schema};
use crate::error::Result;
use crate::ids::EntryKind;

pub use boundary::AgreementTerms;
pub use exercise::valid_exercise_id;
pub use letter::unseal_letter;
pub use lists::SharedLists;
pub use reveal::{COMMITMENT_SALT_LEN, checkin_commitment};
pub use stage::FORGIVENESS_STAGE;

// Indices into `SCHEMA.maps`.
const BOUNDARIES: usize = 0;
const CHECKINS: usize = 1;
const LETTERS: usize = 2;
const PROMISES: usize = 3;
const STEPS: usize = 4;
const EXERCISES: usize = 5;
const PARTNERS: usize = 6;
const SHARED: usize = 7;

static SCHEMA: Schema = Schema {
    doc: "shared journal",
    genesis_actor: *b"kintsugi-shared1",
    maps: &[
        "boundaries",
        "checkins",
        "letters",
        "promises",
        "steps",
        "exercises",
        "partners",
        "shared",
    ],
    kinds: &[
        (EntryKind::Boundary, BOUNDARIES),
        (EntryKind::Checkin, CHECKINS),
        (EntryKind::Letter, LETTERS),
        (EntryKind::Promise, PROMISES),
        (EntryKind::SharedEntry, SHARED),
        (EntryKind::Exercise, EXERCISES),
    ],
    kind_of: None,
    settle: Some(settle::settle),
};

/// The journal both partners write and replicate.
///
/// Every instance writes under its own fresh random actor id, whether it was created
/// by [`genesis`](Self::genesis) or [`load`](Self::load).
pub struct SharedJournal {
    pub(crate) doc: Doc,
}

impl SharedJournal {
    /// A new, empty journal that will merge cleanly with any other journal, because
    /// every device starts from the same genesis change.
    pub fn genesis() -> Self {
        Self {
            doc: Doc::genesis(&SCHEMA),
        }
    }

    /// The `save()` of the genesis document: byte-identical on every device, so it
    /// can seed a new profile's log.
    pub fn genesis_bytes() -> Vec<u8> {
        Doc::genesis_bytes(&SCHEMA)
    }

    /// The genesis of the journal a release of history started with `epoch`
    /// (`None`: the original genesis): where a newly linked device starts from.
    pub fn genesis_bytes_of(epoch: Option<&[u8; 16]>) -> Vec<u8> {
        Doc::genesis_bytes_of(&SCHEMA, epoch)
    }

    /// Loads a full save, optionally followed by incremental chunks. Rejects documents
    /// that did not grow from our genesis.
    pub fn load(bytes: &[u8]) -> Result<Self> {
        Ok(Self {
            doc: Doc::load(&SCHEMA, bytes)?,
        })
    }

    /// Applies a save or incremental chunk (e.g. another process's log record, an
    /// imported sync bundle). Returns Automerge's count of applied ops.
    pub fn load_incremental(&mut self, bytes: &[u8]) -> Result<usize> {
        self.doc.load_incremental(bytes)
    }

    /// Merges another in-memory copy into this one.
    pub fn merge(&mut self, other: &mut SharedJournal) -> Result<()> {
        self.doc.am_mut().merge(other.doc.am_mut())?;
        Ok(())
    }

    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.doc.heads()
    }

    pub fn save(&mut self) -> Vec<u8> {
        self.doc.save()
    }

    /// Exactly the changes not reachable from `heads`: what to append to the log
    /// after a command, given the heads from before it.
    pub fn save_after(&mut self, heads: &[ChangeHash]) -> Vec<u8> {
        self.doc.save_after(heads)
    }

    pub fn doc(&self) -> &AutoCommit {
        self.doc.am()
    }

    /// For the sync protocol. Writing entries through it bypasses validation.
    pub fn doc_mut(&mut self) -> &mut AutoCommit {
        self.doc.am_mut()
    }

    /// The root `schema` value (1 for now); `None` if it is missing or malformed.
    pub fn schema_version(&self) -> Option<u64> {
        self.doc.schema_version()
    }

    /// Finds an entry by its full id or a unique prefix (case-insensitive, hyphens
    /// optional), across all entry kinds.
    pub fn resolve(&self, prefix: &str) -> Result<(EntryKind, String)> {
        self.doc.resolve(prefix)
    }
}

impl std::fmt::Debug for SharedJournal {
    /// Never prints the document: it holds the partners' entries.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedJournal")
            .field("actor", &self.doc.am().get_actor())
            .finish_non_exhaustive()
    }
}
