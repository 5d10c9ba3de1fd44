//! A document paired with the log that persists it. The invariant that matters:
//! a change counts as made only once its chunk is durably in the log; if the append
//! fails, the in-memory document is rebuilt from disk so memory never runs ahead of
//! what a restart would show.

use kintsugi_journal::{JournalError, PrivateDiary, SharedJournal};
use kintsugi_store::{DocLog, Keyring, LogKind, Secret32, TornTail};

use crate::{DeviceError, Result};

/// The few operations persistence needs from a document.
pub(crate) trait Persisted: Sized {
    const KIND: LogKind;
    const NAME: &'static str;
    fn genesis_bytes() -> Vec<u8>;
    fn load(bytes: &[u8]) -> Result<Self, JournalError>;
    fn load_incremental(&mut self, bytes: &[u8]) -> Result<usize, JournalError>;
    fn heads(&mut self) -> Vec<automerge::ChangeHash>;
    fn save_after(&mut self, heads: &[automerge::ChangeHash]) -> Vec<u8>;
    fn save(&mut self) -> Vec<u8>;
    fn rollback(&mut self);
}

macro_rules! persisted {
    ($ty:ty, $kind:expr, $name:literal) => {
        impl Persisted for $ty {
            const KIND: LogKind = $kind;
            const NAME: &'static str = $name;
            fn genesis_bytes() -> Vec<u8> {
                <$ty>::genesis_bytes()
            }
            fn load(bytes: &[u8]) -> Result<Self, JournalError> {
                <$ty>::load(bytes)
            }
            fn load_incremental(&mut self, bytes: &[u8]) -> Result<usize, JournalError> {
                <$ty>::load_incremental(self, bytes)
            }
            fn heads(&mut self) -> Vec<automerge::ChangeHash> {
                <$ty>::heads(self)
            }
            fn save_after(&mut self, heads: &[automerge::ChangeHash]) -> Vec<u8> {
                <$ty>::save_after(self, heads)
            }
            fn save(&mut self) -> Vec<u8> {
                <$ty>::save(self)
            }
            fn rollback(&mut self) {
                self.doc_mut().rollback();
            }
        }
    };
}

persisted!(SharedJournal, LogKind::Shared, "shared journal");
persisted!(PrivateDiary, LogKind::Diary, "private diary");

/// How many records a log may grow to before a writer compacts it.
#[cfg(not(test))]
const COMPACT_AFTER_RECORDS: u64 = 2000;
#[cfg(test)]
const COMPACT_AFTER_RECORDS: u64 = 20;

/// A single appended chunk this large triggers a compaction too.
const COMPACT_AFTER_BYTES: usize = 256 * 1024;

pub(crate) struct Tracked<D> {
    pub doc: D,
    pub log: DocLog,
    pub torn: Option<TornTail>,
}

impl<D: Persisted> Tracked<D> {
    pub fn create(path: &std::path::Path, key: &Secret32) -> Result<()> {
        DocLog::create(path, D::KIND, key, &D::genesis_bytes())?;
        Ok(())
    }

    /// Opens the log of a profile whose keys are `keyring`.
    pub fn open(path: &std::path::Path, keyring: &Keyring) -> Result<Self> {
        Self::from_opened(DocLog::open_in(path, D::KIND, keyring)?)
    }

    /// Reads the log again from its start, with the keys it was opened with.
    pub fn reopen(&self) -> Result<Self> {
        Self::from_opened(self.log.reopen()?)
    }

    fn from_opened(opened: kintsugi_store::LogOpen) -> Result<Self> {
        // Info, not a warning: the front ends tell the person (`Status::warnings`), and
        // a second copy from the logger only confused them.
        if let Some(t) = opened.torn {
            tracing::info!(
                doc = D::NAME,
                offset = t.offset,
                bytes = t.bytes,
                "found an interrupted final write; it will be cut off at the next write"
            );
        }
        // Every log starts with a whole document, so no complete record at all means the
        // file was cut inside its first one: say so, rather than whatever Automerge
        // makes of an empty document.
        if opened.records.is_empty() {
            return Err(DeviceError::Load(
                D::NAME,
                "the file holds no complete record (it was cut short)".into(),
            ));
        }
        let doc = load_records(&opened.records)?;
        Ok(Self {
            doc,
            log: opened.log,
            torn: opened.torn,
        })
    }

    /// Applies what other processes appended. Returns whether anything was new.
    pub fn refresh(&mut self) -> Result<bool> {
        let records = self.log.refresh()?;
        self.apply(&records)
    }

    fn apply(&mut self, records: &[kintsugi_store::Record]) -> Result<bool> {
        let mut any = false;
        for r in records {
            let n = self
                .doc
                .load_incremental(r)
                .map_err(|e| DeviceError::Load(D::NAME, e.to_string()))?;
            any |= n > 0;
        }
        Ok(any)
    }

    /// Runs `f` on the document and persists the change it made, durably.
    /// Returns `f`'s value and whether the document changed.
    pub fn write<R, E: Into<DeviceError>>(
        &mut self,
        f: impl FnOnce(&mut D) -> Result<R, E>,
    ) -> Result<(R, bool)> {
        self.refresh()?;
        let before = self.doc.heads();
        let value = match f(&mut self.doc) {
            Ok(v) => v,
            Err(e) => {
                self.doc.rollback();
                return Err(e.into());
            }
        };
        if self.doc.heads() == before {
            return Ok((value, false));
        }
        let chunk = zeroize::Zeroizing::new(self.doc.save_after(&before));
        // A big chunk (a first sync, a bundle) is stored far more compactly as part of
        // a full save, and loads faster that way: write that save at once (atomically
        // and durably, like an append) rather than append megabytes and then rewrite
        // them. If it fails, the append below still stores the change.
        if chunk.len() >= COMPACT_AFTER_BYTES {
            match self.compact() {
                Ok(()) => {
                    self.torn = None;
                    return Ok((value, true));
                }
                Err(e) => {
                    tracing::warn!(doc = D::NAME, error = %e, "a full save failed; appending instead");
                }
            }
        }
        match self.log.append(&chunk) {
            Ok(foreign) => {
                self.torn = None;
                self.apply(&foreign)?;
                if self.log.record_count() >= COMPACT_AFTER_RECORDS {
                    // Many small records make every open slower; fold them into one.
                    // A failure here loses nothing: the log is intact as it was.
                    if let Err(e) = self.compact() {
                        tracing::warn!(doc = D::NAME, error = %e, "compaction failed; will try again later");
                    }
                }
                Ok((value, true))
            }
            Err(e) => {
                tracing::warn!(
                    doc = D::NAME,
                    "a write failed; reloading the document from disk"
                );
                if let Ok(reopened) = self.reopen() {
                    *self = reopened;
                }
                Err(e.into())
            }
        }
    }

    /// Rewrites the log as one full save.
    pub fn compact(&mut self) -> Result<()> {
        let Tracked { doc, log, .. } = self;
        log.compact(|foreign| {
            for r in &foreign {
                doc.load_incremental(r)
                    .map_err(|e| DeviceError::Load(D::NAME, e.to_string()))?;
            }
            Ok::<_, DeviceError>(doc.save())
        })
    }

    /// Replaces the document with a fresh genesis, atomically, under the lock.
    pub fn reset(&mut self) -> Result<()> {
        self.log
            .compact(|_| Ok::<_, DeviceError>(D::genesis_bytes()))?;
        self.doc =
            D::load(&D::genesis_bytes()).map_err(|e| DeviceError::Load(D::NAME, e.to_string()))?;
        Ok(())
    }
}

pub(crate) fn load_records<D: Persisted>(records: &[kintsugi_store::Record]) -> Result<D> {
    let total: usize = records.iter().map(|r| r.len()).sum();
    let mut all = zeroize::Zeroizing::new(Vec::with_capacity(total));
    for r in records {
        all.extend_from_slice(r);
    }
    D::load(&all).map_err(|e| DeviceError::Load(D::NAME, e.to_string()))
}
