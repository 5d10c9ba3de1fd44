//! What the partner sends, checked before Automerge sees it.
//!
//! Automerge 0.12 inflates DEFLATE-compressed data with no bound while it loads: a
//! compressed change chunk (`storage/chunk.rs`, `Chunk::parse`) and each deflated
//! column of a document or bundle chunk (`storage/columns/raw_column.rs`,
//! `RawColumn::decompress`), both with `flate2`'s `DeflateDecoder::read_to_end`.
//! DEFLATE reaches about 1000:1 on zeros, so a one-megabyte change can ask for a
//! gigabyte. `sync::Message::decode` itself inflates nothing (it only splits the
//! message into byte strings); the inflating happens when `receive_sync_message` hands
//! the joined changes to `load_incremental`, and when a bundle is loaded.
//!
//! So the partner's bytes are walked here first, with the layouts Automerge parses
//! (the sync message's fields, the chunk headers: magic, checksum, type, LEB128
//! length; a document chunk's column metadata), and every compressed part is inflated
//! into nothing through the same `flate2` decoder, counting, against one total per
//! message or bundle ([`MAX_DECODED`]). The count stops at the limit: a bomb costs
//! the time to inflate [`MAX_DECODED`] bytes, never the memory. Chunk kinds that an
//! honest partner never sends are refused outright: Automerge's own bundle chunks
//! (Kintsugi never makes them), and whole documents inside a bundle (a bundle is
//! `save_after`, which holds single changes only). A sync message may hold a document:
//! Automerge sends one (a full `save()`, with deflated columns) when more than a third
//! of the journal is missing on the other side, as in a first sync.
//!
//! The walk also refuses the few shapes that make Automerge allocate far more than
//! the message's size while it *decodes* the message: thousands of `have` entries
//! (each a few bytes on the wire, tens in memory) and Bloom filters whose probe count
//! makes `contains_hash` reserve gigabytes.

use std::io::Read;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use crate::tracked::{Persisted, Tracked};
use crate::{BundleProblem, DeviceError, Result};

/// The most one sync message or bundle may take once every compressed part is
/// inflated (plus a little per list entry, for what decoding allocates).
///
/// Chosen from honest sizes: the benchmark's largest catch-up (10,000 boundaries, its
/// `catch_up_10k`) arrives as one message of 0.53 MB that inflates to 3.1 MB
/// (`honest_catch_up_sizes` prints the figures), and as a bundle it is 4.3 MB of
/// single changes. 64 MiB leaves room for journals some 15 times that size, while
/// Automerge, which holds what it inflates two or three times over while it
/// parses, stays within a few hundred megabytes for the worst message a partner can
/// make.
pub const MAX_DECODED: u64 = 64 * 1024 * 1024;

/// The largest bundle file that is read at all: the decoded limit, since a bundle's
/// changes are stored uncompressed, plus its header and seal.
pub const MAX_BUNDLE_FILE: u64 = MAX_DECODED + 1024;

/// Honest messages hold at most one `have` (Automerge's `generate_sync_message`).
const MAX_HAVES: u64 = 8;
/// Automerge's Bloom filters use 10 bits per entry and 7 probes.
const MAX_BLOOM_BITS_PER_ENTRY: u64 = 64;
const MAX_BLOOM_PROBES: u64 = 64;
/// What decoding allocates for each entry of the change list besides its bytes.
const PER_ENTRY: u64 = 32;

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const SYNC_V1: u8 = 0x42;
const SYNC_V2: u8 = 0x43;
const CHUNK_DOCUMENT: u8 = 0;
const CHUNK_CHANGE: u8 = 1;
const CHUNK_COMPRESSED: u8 = 2;
const CHUNK_BUNDLE: u8 = 3;
/// The bit of a column specification that marks its data as deflated.
const COLUMN_DEFLATED: u64 = 0b1000;

/// Why data from the partner was refused before anything of it was applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Inflated, it would exceed the limit.
    #[error("it would take more than {limit} bytes once inflated")]
    TooLarge { limit: u64 },
    /// Something Kintsugi never sends.
    #[error("it holds {0}, which Kintsugi never sends")]
    Unexpected(&'static str),
    #[error("it is malformed ({0})")]
    Malformed(&'static str),
    /// Automerge panicked on it; the document was reloaded from disk.
    #[error("Automerge failed on it")]
    Failed,
}

/// Checks a decrypted sync payload before `sync::Message::decode` sees it.
pub(crate) fn check_sync_message(payload: &[u8]) -> Result<(), Refusal> {
    walk_sync_message(payload, &mut Budget::new(MAX_DECODED))
}

/// Checks a bundle's decrypted changes before `load_incremental` sees them.
pub(crate) fn check_bundle_changes(changes: &[u8]) -> Result<(), Refusal> {
    let mut budget = Budget::new(MAX_DECODED);
    walk_chunks(changes, Source::Bundle, &mut budget)
}

/// The layout `sync::Message::parse` reads (`sync.rs`).
fn walk_sync_message(payload: &[u8], budget: &mut Budget) -> Result<(), Refusal> {
    let mut c = Cursor::new(payload);
    match c.byte()? {
        SYNC_V1 | SYNC_V2 => {}
        _ => return Err(Refusal::Malformed("not a sync message")),
    }
    hashes(&mut c)?; // heads
    hashes(&mut c)?; // need
    let haves = c.uleb()?;
    if haves > MAX_HAVES {
        return Err(Refusal::Malformed(
            "more summaries than a sync message holds",
        ));
    }
    for _ in 0..haves {
        hashes(&mut c)?; // last_sync
        let len = c.uleb()?;
        bloom(c.take(len)?)?;
    }
    // The change list: Automerge joins its entries and loads the result, so a chunk
    // may span entries; walk the joined bytes, as it does.
    let entries = c.uleb()?;
    let list = c.rest();
    let mut total = 0u64;
    let mut single = None;
    {
        let mut l = Cursor::new(list);
        for i in 0..entries {
            let len = l.uleb()?;
            let bytes = l.take(len)?;
            // The bytes themselves are counted by the walk below.
            budget.spend(PER_ENTRY)?;
            total += len;
            if i == 0 {
                single = Some(bytes);
            }
        }
        c.skip(l.pos);
    }
    if entries == 1
        && let Some(bytes) = single
    {
        walk_chunks(bytes, Source::SyncMessage, budget)?;
    } else if entries > 1 {
        let mut joined = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
        let mut l = Cursor::new(list);
        for _ in 0..entries {
            let len = l.uleb()?;
            joined.extend_from_slice(l.take(len)?);
        }
        walk_chunks(&joined, Source::SyncMessage, budget)?;
    }
    // Flags, if any; Automerge ignores whatever follows them.
    if !c.is_empty() {
        let len = c.uleb()?;
        c.take(len)?;
    }
    Ok(())
}

/// A list of change hashes: a LEB128 count, then 32 bytes each.
fn hashes(c: &mut Cursor<'_>) -> Result<(), Refusal> {
    let n = c.uleb()?;
    let len = n.checked_mul(32).ok_or(Refusal::Malformed(
        "a list of hashes longer than the message",
    ))?;
    c.take(len).map(drop)
}

/// A Bloom filter as `BloomFilter::parse` reads it (`sync/bloom.rs`).
fn bloom(bytes: &[u8]) -> Result<(), Refusal> {
    if bytes.is_empty() {
        return Ok(());
    }
    let mut c = Cursor::new(bytes);
    let entries = c.uleb_u32()?;
    let bits_per_entry = c.uleb_u32()?;
    let probes = c.uleb_u32()?;
    if bits_per_entry > MAX_BLOOM_BITS_PER_ENTRY || probes > MAX_BLOOM_PROBES {
        return Err(Refusal::Malformed(
            "a Bloom filter with impossible parameters",
        ));
    }
    // Entries but no bits make Automerge 0.12 divide by zero.
    let bits = (entries * bits_per_entry).div_ceil(8);
    if entries > 0 && bits == 0 {
        return Err(Refusal::Malformed(
            "a Bloom filter with entries but no bits",
        ));
    }
    c.take(bits).map(drop)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    SyncMessage,
    Bundle,
}

/// Walks concatenated chunks the way `load_incremental` reads them.
fn walk_chunks(data: &[u8], source: Source, budget: &mut Budget) -> Result<(), Refusal> {
    let mut c = Cursor::new(data);
    while !c.is_empty() {
        let start = c.pos;
        if c.take(4)? != MAGIC {
            return Err(Refusal::Malformed(
                "a chunk without Automerge's magic bytes",
            ));
        }
        c.take(4)?; // checksum: Automerge checks it once the chunk is parsed
        let kind = c.byte()?;
        let len = c.uleb()?;
        budget.spend((c.pos - start) as u64)?;
        let body = c.take(len)?;
        match kind {
            CHUNK_CHANGE => budget.spend(len)?,
            CHUNK_COMPRESSED => inflate_within(body, budget)?,
            CHUNK_DOCUMENT if source == Source::SyncMessage => walk_document(body, budget)?,
            CHUNK_DOCUMENT => return Err(Refusal::Unexpected("a whole document in a bundle")),
            CHUNK_BUNDLE => return Err(Refusal::Unexpected("an Automerge bundle chunk")),
            _ => return Err(Refusal::Malformed("an unknown kind of chunk")),
        }
    }
    Ok(())
}

/// A document chunk's body (`storage/document.rs`): actors, heads, the change and op
/// column metadata, the column data in that order, then the heads' indices.
fn walk_document(body: &[u8], budget: &mut Budget) -> Result<(), Refusal> {
    let mut c = Cursor::new(body);
    let actors = c.uleb()?;
    for _ in 0..actors {
        let len = c.uleb()?;
        c.take(len)?;
    }
    hashes(&mut c)?;
    let change_meta = columns(&mut c)?;
    let op_meta = columns(&mut c)?;
    for meta in [change_meta, op_meta] {
        let mut m = Cursor::new(meta);
        let n = m.uleb()?;
        for _ in 0..n {
            let spec = m.uleb_u32()?;
            let len = m.uleb()?;
            let data = c.take(len)?;
            if spec & COLUMN_DEFLATED != 0 {
                inflate_within(data, budget)?;
            } else {
                budget.spend(len)?;
            }
        }
    }
    budget.spend(c.rest().len() as u64)
}

/// Checks one column metadata list and returns its bytes, to be read again beside the
/// data that follows both lists (reading it twice allocates nothing per column).
fn columns<'a>(c: &mut Cursor<'a>) -> Result<&'a [u8], Refusal> {
    let start = c.pos;
    let n = c.uleb()?;
    for _ in 0..n {
        c.uleb_u32()?;
        c.uleb()?;
    }
    Ok(&c.bytes[start..c.pos])
}

/// Inflates `compressed` into nothing with the decoder Automerge uses, counting; stops
/// as soon as the count passes what is left of the budget.
fn inflate_within(compressed: &[u8], budget: &mut Budget) -> Result<(), Refusal> {
    let mut decoder = flate2::bufread::DeflateDecoder::new(compressed);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = decoder
            .read(&mut buf)
            .map_err(|_| Refusal::Malformed("a compressed part that does not inflate"))?;
        if n == 0 {
            return Ok(());
        }
        budget.spend(n as u64)?;
    }
}

struct Budget {
    limit: u64,
    spent: u64,
}

impl Budget {
    fn new(limit: u64) -> Self {
        Self { limit, spent: 0 }
    }

    fn spend(&mut self, n: u64) -> Result<(), Refusal> {
        self.spent = self.spent.saturating_add(n);
        if self.spent > self.limit {
            Err(Refusal::TooLarge { limit: self.limit })
        } else {
            Ok(())
        }
    }
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

const CUT_SHORT: Refusal = Refusal::Malformed("cut short");

impl<'a> Cursor<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    fn is_empty(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    fn rest(&self) -> &'a [u8] {
        self.bytes.get(self.pos..).unwrap_or_default()
    }

    fn skip(&mut self, n: usize) {
        self.pos = self.pos.saturating_add(n).min(self.bytes.len());
    }

    fn take(&mut self, n: u64) -> Result<&'a [u8], Refusal> {
        let n = usize::try_from(n).map_err(|_| CUT_SHORT)?;
        let end = self.pos.checked_add(n).ok_or(CUT_SHORT)?;
        let out = self.bytes.get(self.pos..end).ok_or(CUT_SHORT)?;
        self.pos = end;
        Ok(out)
    }

    fn byte(&mut self) -> Result<u8, Refusal> {
        Ok(self.take(1)?[0])
    }

    /// Unsigned LEB128 with Automerge's rules (`storage/parse/leb128.rs`): at most 64
    /// bits, no overlong encodings.
    fn uleb(&mut self) -> Result<u64, Refusal> {
        let mut value = 0u64;
        let mut shift = 0u32;
        loop {
            let byte = self.byte()?;
            if shift == 63 && byte > 1 {
                return Err(Refusal::Malformed("a number too large"));
            }
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                if shift > 0 && byte == 0 {
                    return Err(Refusal::Malformed("an overlong number"));
                }
                return Ok(value);
            }
            shift += 7;
            if shift > 63 {
                return Err(Refusal::Malformed("a number too large"));
            }
        }
    }

    fn uleb_u32(&mut self) -> Result<u64, Refusal> {
        let v = self.uleb()?;
        if v > u64::from(u32::MAX) {
            return Err(Refusal::Malformed("a number too large"));
        }
        Ok(v)
    }
}

/// Reads a bundle file, checking its size before reading anything, and reading at
/// most one byte more than a bundle may have: a file that grows meanwhile, or one
/// whose size the system does not know (a pipe, a device), cannot make it read more.
pub(crate) fn read_bundle_file(path: &Path) -> Result<Vec<u8>> {
    let io = |source| {
        DeviceError::Store(kintsugi_store::StoreError::Io {
            what: format!("could not read {}", path.display()),
            source,
        })
    };
    let too_large = |size| {
        DeviceError::BadBundle(BundleProblem::TooLarge {
            size,
            max: MAX_BUNDLE_FILE,
        })
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    if size > MAX_BUNDLE_FILE {
        return Err(too_large(size));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(MAX_BUNDLE_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_BUNDLE_FILE {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Runs `f`, which applies another device's data to a document (the partner's to the
/// shared journal, one's own other device's to the diary), so that a panic inside
/// Automerge neither poisons the device lock nor leaves a half-changed document in
/// memory: after a caught panic the document is read again from its log, which holds
/// only what was durably written before.
pub(crate) fn apply_from_partner<D: Persisted, R>(
    tracked: &mut Tracked<D>,
    f: impl FnOnce(&mut Tracked<D>) -> Result<R>,
) -> Result<R> {
    match catch_unwind(AssertUnwindSafe(|| f(tracked))) {
        Ok(result) => result,
        Err(_) => {
            match tracked.reopen() {
                Ok(reopened) => *tracked = reopened,
                Err(e) => {
                    tracing::warn!(error = %e, doc = D::NAME, "could not reload the document after Automerge failed");
                    return Err(e);
                }
            }
            Err(DeviceError::Refused(Refusal::Failed))
        }
    }
}

#[cfg(test)]
mod tests;
