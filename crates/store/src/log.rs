//! Append-only encrypted document logs.
//!
//! Each record is one Automerge chunk sealed with XChaCha20-Poly1305. The file header
//! and the record's index are its associated data, so records cannot be moved,
//! reordered or copied between files without failing authentication. A length field
//! is followed by its bitwise complement: a damaged length is then reported as damage
//! instead of being mistaken for a torn write and cut off.
//!
//! Several processes may share one log: writers serialise on an exclusive lock on a
//! side file (never on the log itself, which compaction replaces), and every process
//! follows the log for records others appended.
//!
//! A log under its own name in a profile folder (`shared.klog`, `diary.klog`) is
//! checked against the profile's manifest when it is opened, reloaded or written, and
//! every write brings the manifest up to date (see `manifest.rs`).

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use kintsugi_crypto::{NONCE_LEN, SEAL_OVERHEAD, Secret32, TAG_LEN, open, random_array, seal};
use zeroize::Zeroizing;

use crate::manifest::{self, Flush, LogMark, Manifest};
use crate::{Keyring, Rollback, StoreError};

const MAGIC: &[u8; 8] = b"KTSGLOG\0";
const VERSION: u16 = 1;
const HEADER_LEN: usize = 32;
const RECORD_HEADER_LEN: usize = 8;
/// Upper bound on one record. Big enough for a full save of a very large journal,
/// small enough that a hostile length field cannot make us allocate without limit.
pub const MAX_RECORD_LEN: usize = 256 * 1024 * 1024;

/// A decrypted record, wiped when dropped.
pub type Record = Zeroizing<Vec<u8>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogKind {
    Shared = 1,
    Diary = 2,
}

impl LogKind {
    pub const ALL: [LogKind; 2] = [LogKind::Shared, LogKind::Diary];

    /// The log's file name in a profile folder. Only a log under this name is covered
    /// by the profile's manifest.
    pub const fn file_name(self) -> &'static str {
        match self {
            Self::Shared => "shared.klog",
            Self::Diary => "diary.klog",
        }
    }

    pub(crate) fn from_byte(b: u8) -> Option<Self> {
        match b {
            1 => Some(Self::Shared),
            2 => Some(Self::Diary),
            _ => None,
        }
    }
}

/// An incomplete final record: what a crash in the middle of an append leaves. It was
/// never reported as saved, so setting it aside loses nothing that was promised.
///
/// Bytes after the last whole record count as one only when they cannot be hiding a
/// whole record: fewer than a record header, zeros to the end of the file, or a record
/// header whose record runs past the end while nothing in the bytes authenticates as
/// a record. Anything else is damage. In a profile, a torn tail that starts before the
/// last record the manifest recorded is a rollback, whatever its shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TornTail {
    pub offset: u64,
    pub bytes: u64,
}

/// What opening a log yields: the handle, every complete record, and a torn tail if
/// one was found. Opening never modifies the file.
pub struct LogOpen {
    pub log: DocLog,
    pub records: Vec<Record>,
    pub torn: Option<TornTail>,
}

pub struct DocLog {
    path: PathBuf,
    lock_path: PathBuf,
    kind: LogKind,
    key: Secret32,
    /// Seals the profile's manifest: the profile key, which is the log's own key
    /// unless the log has one of its own (see `Keyring::log_key`).
    manifest_key: Secret32,
    header: [u8; HEADER_LEN],
    identity: u64,
    /// End of the last complete record we have read or written.
    offset: u64,
    next_index: u64,
    /// Every complete record's Poly1305 tag, in order: the manifest pins a log by the
    /// tag of its last record, and a check needs the tag at the recorded index.
    tags: Vec<[u8; TAG_LEN]>,
    /// The profile folder whose manifest covers this log, if any.
    profile: Option<PathBuf>,
    appender: Option<File>,
    lock: Option<File>,
}

impl std::fmt::Debug for DocLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocLog")
            .field("path", &self.path)
            .field("offset", &self.offset)
            .field("records", &self.next_index)
            .finish_non_exhaustive()
    }
}

struct Scan {
    records: Vec<Record>,
    tags: Vec<[u8; TAG_LEN]>,
    end: u64,
    next_index: u64,
    torn: Option<TornTail>,
}

impl DocLog {
    /// Creates a new log whose first record is `first`. The file appears atomically,
    /// complete with its first record, or not at all.
    pub fn create(
        path: &Path,
        kind: LogKind,
        key: &Secret32,
        first: &[u8],
    ) -> Result<(), StoreError> {
        if path.exists() {
            return Err(StoreError::AlreadyExists(path.to_path_buf()));
        }
        let bytes = new_file_bytes(kind, key, 0, &[first])?;
        crate::atomic_write(path, &bytes)
    }

    /// Opens the log and reads every complete record. A log of a profile is checked
    /// against the profile's manifest: one behind it is [`StoreError::RolledBack`].
    ///
    /// `key` seals both the log and the profile's manifest: a log of a profile whose
    /// logs have keys of their own opens with [`DocLog::open_in`].
    pub fn open(path: &Path, kind: LogKind, key: &Secret32) -> Result<LogOpen, StoreError> {
        Self::open_with(path, kind, key, key, true)
    }

    /// [`DocLog::open`] for a log of the profile whose keys are `keyring`.
    pub fn open_in(path: &Path, kind: LogKind, keyring: &Keyring) -> Result<LogOpen, StoreError> {
        Self::open_with(
            path,
            kind,
            keyring.log_key(kind),
            &keyring.profile_key,
            true,
        )
    }

    pub(crate) fn open_with(
        path: &Path,
        kind: LogKind,
        key: &Secret32,
        manifest_key: &Secret32,
        check: bool,
    ) -> Result<LogOpen, StoreError> {
        let profile = profile_of(path, kind);
        // The manifest is read before the log. Files only move forward, so a log read
        // after its line in the manifest may be ahead of it, but never honestly behind.
        let recorded = match (&profile, check) {
            (Some(dir), true) => {
                manifest::read(dir, manifest_key)?.and_then(|m| m.log(kind).copied())
            }
            _ => None,
        };
        let (bytes, identity) = read_all(path)?;
        let header = parse_header(&bytes, path, kind)?;
        let scan = scan(
            path,
            key,
            &header,
            &bytes[HEADER_LEN..],
            HEADER_LEN as u64,
            0,
            false,
        )?;
        let log = DocLog {
            path: path.to_path_buf(),
            lock_path: lock_path(path),
            kind,
            key: key.clone(),
            manifest_key: manifest_key.clone(),
            header,
            identity,
            offset: scan.end,
            next_index: scan.next_index,
            tags: scan.tags,
            profile,
            appender: None,
            lock: None,
        };
        if let Some(recorded) = recorded {
            log.check(&recorded)?;
        }
        Ok(LogOpen {
            log,
            records: scan.records,
            torn: scan.torn,
        })
    }

    /// Opens the file this handle follows again, with the same keys: a fresh start
    /// for a caller whose in-memory state can no longer be trusted.
    pub fn reopen(&self) -> Result<LogOpen, StoreError> {
        Self::open_with(&self.path, self.kind, &self.key, &self.manifest_key, true)
    }

    /// How far this handle has read the file, as the manifest records a log.
    pub(crate) fn mark(&self) -> LogMark {
        LogMark {
            file_id: self.file_id(),
            generation: self.generation(),
            records: self.next_index,
            last_tag: self.tags.last().copied().unwrap_or_default(),
        }
    }

    pub(crate) fn file_id(&self) -> [u8; 16] {
        header_file_id(&self.header)
    }

    /// How many compactions came before this file. Bytes 28..32 of the header, which
    /// files written before the manifest existed hold as zero.
    pub fn generation(&self) -> u32 {
        header_generation(&self.header)
    }

    pub(crate) fn behind(&self, recorded: &LogMark) -> Option<crate::RollbackFound> {
        self.mark().behind(
            |i| {
                usize::try_from(i)
                    .ok()
                    .and_then(|i| self.tags.get(i).copied())
            },
            recorded,
        )
    }

    fn check(&self, recorded: &LogMark) -> Result<(), StoreError> {
        match self.behind(recorded) {
            Some(found) => Err(StoreError::RolledBack(Rollback {
                path: self.path.clone(),
                found,
            })),
            None => Ok(()),
        }
    }

    /// The profile's manifest, if this log is covered by one and it exists.
    fn manifest(&self) -> Result<Option<Manifest>, StoreError> {
        match &self.profile {
            Some(dir) => manifest::read(dir, &self.manifest_key),
            None => Ok(None),
        }
    }

    /// Refuses to write on top of a file behind the manifest: that write would make
    /// the rolled-back file look current, and then record it so.
    fn check_before_writing(&self) -> Result<(), StoreError> {
        match self.manifest()?.as_ref().and_then(|m| m.log(self.kind)) {
            Some(recorded) => self.check(recorded),
            None => Ok(()),
        }
    }

    /// Brings this log's line in the manifest up to what is now on disk. A failure
    /// loses nothing (the write it follows is done, and a manifest behind the files is
    /// allowed), so it is only logged; the next write tries again.
    fn record(&self, flush: Flush) {
        let Some(dir) = &self.profile else {
            return;
        };
        let (kind, mark) = (self.kind, self.mark());
        if let Err(e) = manifest::update(dir, &self.manifest_key, flush, |m| m.set_log(kind, mark))
        {
            tracing::warn!(
                path = %self.path.display(),
                error = %e,
                "could not record a write in the profile's manifest; the next write tries again"
            );
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn key(&self) -> &Secret32 {
        &self.key
    }

    /// Complete records in the file as far as this handle has read.
    pub fn record_count(&self) -> u64 {
        self.next_index
    }

    /// Bytes of complete records as far as this handle has read.
    pub fn len(&self) -> u64 {
        self.offset
    }

    pub fn is_empty(&self) -> bool {
        self.next_index == 0
    }

    /// Returns the records other processes appended since we last looked, or every
    /// record of the new file if a compaction replaced the log. A record still being
    /// written is left for the next call. Cheap when nothing changed: one `stat`.
    pub fn refresh(&mut self) -> Result<Vec<Record>, StoreError> {
        let meta = std::fs::metadata(&self.path)
            .map_err(StoreError::io(format!("reading {}", self.path.display())))?;
        let identity = file_identity(&meta);
        // A file shorter than what we read was cut under us: read it again from the
        // start (and check it), rather than parse from the middle of a record.
        if identity != self.identity || meta.len() < self.offset {
            return self.reload_replaced();
        }
        if meta.len() <= self.offset {
            return Ok(Vec::new());
        }
        let mut f = File::open(&self.path)
            .map_err(StoreError::io(format!("opening {}", self.path.display())))?;
        let mut bytes = Vec::new();
        f.seek(SeekFrom::Start(self.offset))
            .and_then(|_| f.read_to_end(&mut bytes))
            .map_err(StoreError::io(format!("reading {}", self.path.display())))?;
        let scan = scan(
            &self.path,
            &self.key,
            &self.header,
            &bytes,
            self.offset,
            self.next_index,
            true,
        )?;
        self.offset = scan.end;
        self.next_index = scan.next_index;
        self.tags.extend(scan.tags);
        Ok(scan.records)
    }

    /// Reads a file that replaced (or shrank below) the one this handle followed. It is
    /// checked against the manifest, read first, before this handle moves to it: a
    /// compaction by another process is ahead of the manifest or level with it, an
    /// older copy put back is behind it.
    /// What a writer reads under the lock before it writes: the records others added,
    /// and the whole file again if the end this handle read is no longer there. Zeros
    /// written over the last records leave the file's size and inode as they were, and
    /// only the last tag tells; writing after them would bury them behind a record.
    fn catch_up_locked(&mut self) -> Result<Vec<Record>, StoreError> {
        let mut foreign = self.refresh()?;
        if !self.end_is_intact()? {
            foreign.extend(self.reload_replaced()?);
        }
        Ok(foreign)
    }

    /// Whether the file still holds the last record's tag where this handle read it.
    fn end_is_intact(&self) -> Result<bool, StoreError> {
        let Some(tag) = self.tags.last() else {
            return Ok(true);
        };
        let mut found = [0u8; TAG_LEN];
        let read = File::open(&self.path).and_then(|mut f| {
            f.seek(SeekFrom::Start(self.offset.saturating_sub(TAG_LEN as u64)))?;
            f.read_exact(&mut found)
        });
        match read {
            Ok(()) => Ok(&found == tag),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(false),
            Err(e) => Err(StoreError::io(format!("reading {}", self.path.display()))(
                e,
            )),
        }
    }

    fn reload_replaced(&mut self) -> Result<Vec<Record>, StoreError> {
        let recorded = self.manifest()?.and_then(|m| m.log(self.kind).copied());
        let (bytes, identity) = read_all(&self.path)?;
        let header = parse_header(&bytes, &self.path, self.kind)?;
        let scan = scan(
            &self.path,
            &self.key,
            &header,
            &bytes[HEADER_LEN..],
            HEADER_LEN as u64,
            0,
            true,
        )?;
        if let Some(recorded) = recorded {
            let found = LogMark {
                file_id: header_file_id(&header),
                generation: header_generation(&header),
                records: scan.next_index,
                last_tag: scan.tags.last().copied().unwrap_or_default(),
            };
            let tag_at = |i: u64| {
                usize::try_from(i)
                    .ok()
                    .and_then(|i| scan.tags.get(i).copied())
            };
            if let Some(found) = found.behind(tag_at, &recorded) {
                return Err(StoreError::RolledBack(Rollback {
                    path: self.path.clone(),
                    found,
                }));
            }
        }
        self.header = header;
        self.identity = identity;
        self.offset = scan.end;
        self.next_index = scan.next_index;
        self.tags = scan.tags;
        self.appender = None;
        Ok(scan.records)
    }

    /// Appends one record durably: it is on disk (fsynced) when this returns Ok.
    /// Records that other processes appended meanwhile are returned so the caller
    /// can merge them. Under the lock, bytes past the last complete record are a
    /// crashed writer's torn tail only if they cannot hold a whole record (see
    /// [`TornTail`]); only then are they cut off before we write. A log behind the
    /// manifest is refused before anything is written.
    pub fn append(&mut self, chunk: &[u8]) -> Result<Vec<Record>, StoreError> {
        if chunk.len() + SEAL_OVERHEAD > MAX_RECORD_LEN {
            return Err(StoreError::RecordTooLarge(chunk.len()));
        }
        self.lock()?;
        let result = self.append_locked(chunk);
        self.unlock();
        result
    }

    fn append_locked(&mut self, chunk: &[u8]) -> Result<Vec<Record>, StoreError> {
        let foreign = self.catch_up_locked()?;
        self.check_before_writing()?;
        let aad = aad(&self.header, self.next_index);
        let sealed = seal(&self.key, &aad, chunk)?;
        let tag = tag_of(&sealed);
        let mut rec = Vec::with_capacity(RECORD_HEADER_LEN + sealed.len());
        let len = sealed.len() as u32;
        rec.extend_from_slice(&len.to_le_bytes());
        rec.extend_from_slice(&(!len).to_le_bytes());
        rec.extend_from_slice(&sealed);

        let path = self.path.clone();
        let offset = self.offset;
        let (key, header, index) = (self.key.clone(), self.header, self.next_index);
        let file = self.appender()?;
        let on_disk = file
            .metadata()
            .map_err(StoreError::io(format!("reading {}", path.display())))?
            .len();
        if on_disk > offset {
            let mut tail = Vec::new();
            file.seek(SeekFrom::Start(offset))
                .and_then(|_| file.read_to_end(&mut tail))
                .map_err(StoreError::io(format!("reading {}", path.display())))?;
            check_torn(&path, &key, &header, &tail, offset, index)?;
            tracing::warn!(path = %path.display(), bytes = on_disk - offset, "cutting off a torn final record left by an interrupted write");
            truncate(file, offset, &path)?;
        }
        let written = file
            .seek(SeekFrom::Start(offset))
            .and_then(|_| file.write_all(&rec))
            .and_then(|_| file.sync_data());
        if let Err(e) = written {
            // Leave the file as it was before this append, if the disk lets us.
            let _ = truncate(file, offset, &path);
            self.appender = None;
            return Err(StoreError::io(format!("appending to {}", path.display()))(
                e,
            ));
        }
        self.offset += rec.len() as u64;
        self.next_index += 1;
        self.tags.push(tag);
        self.record(Flush::No);
        Ok(foreign)
    }

    /// Replaces the log with a single record holding the full document, atomically.
    /// `full_save` receives the records other processes appended (the caller merges
    /// them first) and returns the complete document; it runs under the lock, so no
    /// append can slip in between reading and replacing.
    pub fn compact<E: From<StoreError>>(
        &mut self,
        full_save: impl FnOnce(Vec<Record>) -> Result<Vec<u8>, E>,
    ) -> Result<(), E> {
        self.lock()?;
        let result = (|| {
            let foreign = self.catch_up_locked()?;
            self.check_before_writing()?;
            let full = Zeroizing::new(full_save(foreign)?);
            let generation = next_generation(self.generation(), &self.path)?;
            let bytes = new_file_bytes(self.kind, &self.key, generation, &[&full])?;
            remove_stale_temps(&self.path);
            crate::atomic_write(&self.path, &bytes)?;
            let open =
                DocLog::open_with(&self.path, self.kind, &self.key, &self.manifest_key, false)?;
            let new = open.log;
            self.header = new.header;
            self.identity = new.identity;
            self.offset = new.offset;
            self.next_index = new.next_index;
            self.tags = new.tags;
            self.appender = None;
            self.record(Flush::Yes);
            Ok(())
        })();
        self.unlock();
        result
    }

    fn lock(&mut self) -> Result<(), StoreError> {
        self.lock = Some(crate::fsutil::lock_file(&self.lock_path)?);
        Ok(())
    }

    fn unlock(&mut self) {
        if let Some(f) = self.lock.take() {
            let _ = f.unlock();
        }
    }

    fn appender(&mut self) -> Result<&mut File, StoreError> {
        if self.appender.is_none() {
            let f = OpenOptions::new()
                .read(true)
                .write(true)
                .open(&self.path)
                .map_err(StoreError::io(format!(
                    "opening {} for writing",
                    self.path.display()
                )))?;
            self.appender = Some(f);
        }
        self.appender
            .as_mut()
            .ok_or_else(|| StoreError::io("opening log")(std::io::Error::other("no handle")))
    }
}

/// Removes what a compaction killed mid-write left behind (`.NAME.tmp-PID-N`, sealed, so
/// never plaintext, but as big as the journal). Called under the log's lock: every
/// compaction of this log holds it, so no live one can be writing these files.
fn remove_stale_temps(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let prefix = format!(".{}.tmp-", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(&prefix) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Rewrites a log as a new file (a new file id, at `generation`) holding `records`,
/// atomically: how an accepted rollback moves a log past every copy that existed.
pub(crate) fn rewrite(
    path: &Path,
    kind: LogKind,
    key: &Secret32,
    generation: u32,
    records: &[Record],
) -> Result<LogMark, StoreError> {
    let chunks: Vec<&[u8]> = records.iter().map(|r| &r[..]).collect();
    let bytes = new_file_bytes(kind, key, generation, &chunks)?;
    remove_stale_temps(path);
    crate::atomic_write(path, &bytes)?;
    Ok(DocLog::open_with(path, kind, key, key, false)?.log.mark())
}

pub(crate) fn next_generation(generation: u32, path: &Path) -> Result<u32, StoreError> {
    generation.checked_add(1).ok_or_else(|| StoreError::Io {
        what: format!("compacting {}", path.display()),
        source: std::io::Error::other("the file has been rewritten too many times"),
    })
}

/// The profile folder whose manifest covers `path`: its parent, if the file carries
/// its kind's own name there.
fn profile_of(path: &Path, kind: LogKind) -> Option<PathBuf> {
    if path.file_name()? != kind.file_name() {
        return None;
    }
    match path.parent() {
        Some(p) if p.as_os_str().is_empty() => Some(PathBuf::from(".")),
        Some(p) => Some(p.to_path_buf()),
        None => None,
    }
}

pub(crate) fn lock_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".lock");
    path.with_file_name(name)
}

fn truncate(file: &mut File, len: u64, path: &Path) -> Result<(), StoreError> {
    file.set_len(len)
        .and_then(|_| file.sync_all())
        .map_err(StoreError::io(format!("truncating {}", path.display())))
}

#[cfg(unix)]
fn file_identity(meta: &std::fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    meta.ino() ^ (meta.dev() << 48)
}

#[cfg(not(unix))]
fn file_identity(meta: &std::fs::Metadata) -> u64 {
    meta.created()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

fn read_all(path: &Path) -> Result<(Vec<u8>, u64), StoreError> {
    let mut f = File::open(path).map_err(StoreError::io(format!("opening {}", path.display())))?;
    let meta = f
        .metadata()
        .map_err(StoreError::io(format!("reading {}", path.display())))?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    f.read_to_end(&mut bytes)
        .map_err(StoreError::io(format!("reading {}", path.display())))?;
    Ok((bytes, file_identity(&meta)))
}

/// A new file: a fresh file id, every record under a fresh nonce.
pub(crate) fn new_file_bytes(
    kind: LogKind,
    key: &Secret32,
    generation: u32,
    records: &[&[u8]],
) -> Result<Vec<u8>, StoreError> {
    let mut sealed = Vec::with_capacity(records.len());
    for r in records {
        sealed.push((*r, random_array()?));
    }
    encode_file(kind, key, &random_array()?, generation, &sealed)
}

/// The bytes of a whole log. The file id and nonces are parameters so that the
/// published test vectors can be reproduced; every real file gets random ones.
pub(crate) fn encode_file(
    kind: LogKind,
    key: &Secret32,
    file_id: &[u8; 16],
    generation: u32,
    records: &[(&[u8], [u8; NONCE_LEN])],
) -> Result<Vec<u8>, StoreError> {
    let mut header = [0u8; HEADER_LEN];
    header[..8].copy_from_slice(MAGIC);
    header[8..10].copy_from_slice(&VERSION.to_le_bytes());
    header[10] = kind as u8;
    header[12..28].copy_from_slice(file_id);
    header[28..32].copy_from_slice(&generation.to_le_bytes());
    let mut out = header.to_vec();
    for (index, (plain, nonce)) in records.iter().enumerate() {
        if plain.len() + SEAL_OVERHEAD > MAX_RECORD_LEN {
            return Err(StoreError::RecordTooLarge(plain.len()));
        }
        let sealed =
            kintsugi_crypto::seal_with_nonce(key, nonce, &aad(&header, index as u64), plain)?;
        let len = sealed.len() as u32;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(&sealed);
    }
    Ok(out)
}

fn header_file_id(header: &[u8; HEADER_LEN]) -> [u8; 16] {
    let mut id = [0u8; 16];
    id.copy_from_slice(&header[12..28]);
    id
}

fn header_generation(header: &[u8; HEADER_LEN]) -> u32 {
    u32::from_le_bytes([header[28], header[29], header[30], header[31]])
}

fn tag_of(sealed: &[u8]) -> [u8; TAG_LEN] {
    let mut tag = [0u8; TAG_LEN];
    if let Some(at) = sealed.len().checked_sub(TAG_LEN) {
        tag.copy_from_slice(&sealed[at..]);
    }
    tag
}

/// The whole header is bound into every record, so even its reserved bytes cannot
/// change unnoticed.
fn aad(header: &[u8; HEADER_LEN], index: u64) -> [u8; HEADER_LEN + 8] {
    let mut out = [0u8; HEADER_LEN + 8];
    out[..HEADER_LEN].copy_from_slice(header);
    out[HEADER_LEN..].copy_from_slice(&index.to_le_bytes());
    out
}

fn parse_header(bytes: &[u8], path: &Path, kind: LogKind) -> Result<[u8; HEADER_LEN], StoreError> {
    if bytes.len() < 8 || &bytes[..8] != MAGIC {
        return Err(StoreError::BadMagic {
            path: path.to_path_buf(),
            what: "journal log",
        });
    }
    if bytes.len() < HEADER_LEN {
        return Err(StoreError::Corrupt {
            path: path.to_path_buf(),
            index: 0,
            offset: bytes.len() as u64,
            reason: "the file header is cut short",
        });
    }
    let version = u16::from_le_bytes([bytes[8], bytes[9]]);
    if version != VERSION {
        return Err(StoreError::UnsupportedVersion {
            path: path.to_path_buf(),
            found: version,
        });
    }
    if LogKind::from_byte(bytes[10]) != Some(kind) {
        return Err(StoreError::Corrupt {
            path: path.to_path_buf(),
            index: 0,
            offset: 10,
            reason: "the header names another kind of document",
        });
    }
    let mut header = [0u8; HEADER_LEN];
    header.copy_from_slice(&bytes[..HEADER_LEN]);
    Ok(header)
}

/// Decodes records from `bytes`, which start at file offset `base` (after the header).
/// With `following`, an incomplete last record is left alone: it may be another
/// process's append in progress. Otherwise it must pass [`check_torn`].
fn scan(
    path: &Path,
    key: &Secret32,
    header: &[u8; HEADER_LEN],
    bytes: &[u8],
    base: u64,
    first_index: u64,
    following: bool,
) -> Result<Scan, StoreError> {
    let mut pos = 0;
    let mut index = first_index;
    let mut records = Vec::new();
    let mut tags = Vec::new();
    let corrupt = |pos: usize, index: u64, reason: &'static str| StoreError::Corrupt {
        path: path.to_path_buf(),
        index,
        offset: base + pos as u64,
        reason,
    };
    while pos < bytes.len() {
        let rest = &bytes[pos..];
        let len = match record_at(rest) {
            Next::Whole(len) => len,
            Next::Incomplete => break,
            Next::Damaged(reason) => return Err(corrupt(pos, index, reason)),
        };
        let sealed = &rest[RECORD_HEADER_LEN..RECORD_HEADER_LEN + len];
        let plain = open(key, &aad(header, index), sealed).map_err(|_| {
            corrupt(
                pos,
                index,
                "it failed authentication (changed bytes or the wrong key)",
            )
        })?;
        records.push(plain);
        tags.push(tag_of(sealed));
        pos += RECORD_HEADER_LEN + len;
        index += 1;
    }
    let torn = if pos < bytes.len() && !following {
        check_torn(path, key, header, &bytes[pos..], base + pos as u64, index)?;
        Some(TornTail {
            offset: base + pos as u64,
            bytes: (bytes.len() - pos) as u64,
        })
    } else {
        None
    };
    Ok(Scan {
        records,
        tags,
        end: base + pos as u64,
        next_index: index,
        torn,
    })
}

enum Next {
    /// A whole record of this sealed length starts here.
    Whole(usize),
    /// Fewer bytes than a record header, zeros to the end, or a well-formed record
    /// header whose record runs past the end.
    Incomplete,
    Damaged(&'static str),
}

fn record_at(rest: &[u8]) -> Next {
    if rest.len() < RECORD_HEADER_LEN {
        return Next::Incomplete;
    }
    let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]);
    let check = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]);
    if check != !len {
        // A crash can extend a file with zeros its data never reached.
        if rest.iter().all(|&b| b == 0) {
            return Next::Incomplete;
        }
        return Next::Damaged("its length field is damaged");
    }
    let len = len as usize;
    if !(SEAL_OVERHEAD..=MAX_RECORD_LEN).contains(&len) {
        return Next::Damaged("its length is out of range");
    }
    if rest.len() - RECORD_HEADER_LEN < len {
        return Next::Incomplete;
    }
    Next::Whole(len)
}

/// Whether `tail`, the bytes after the last whole record (at `offset`, where record
/// `index` would start), is what an interrupted append leaves, and so may be set aside
/// and cut off by the next writer: fewer bytes than a record header, zeros to the end
/// of the file, or a record header whose record runs past the end. The last is believed
/// only when no whole record hides in the tail: a length field changed to point past
/// the end (with its complement changed to match) would otherwise pass every record
/// after it off as an interrupted write, and the next writer would destroy them.
fn check_torn(
    path: &Path,
    key: &Secret32,
    header: &[u8; HEADER_LEN],
    tail: &[u8],
    offset: u64,
    index: u64,
) -> Result<(), StoreError> {
    let corrupt = |reason: &'static str| StoreError::Corrupt {
        path: path.to_path_buf(),
        index,
        offset,
        reason,
    };
    match record_at(tail) {
        Next::Incomplete => {}
        Next::Whole(_) => return Err(corrupt("a whole record was found after the end")),
        Next::Damaged(reason) => return Err(corrupt(reason)),
    }
    if tail.len() < RECORD_HEADER_LEN + SEAL_OVERHEAD || tail.iter().all(|&b| b == 0) {
        return Ok(());
    }
    if hides_a_record(key, header, &tail[RECORD_HEADER_LEN..], index) {
        return Err(corrupt(
            "its length points past the end of the file, yet a whole record is there",
        ));
    }
    Ok(())
}

/// Whether `body` (what follows a record header whose length runs past the end)
/// begins with a record that authenticates as record `index`: all of `body`, or a part
/// of it that is followed by something shaped like the next record's header. An
/// interrupted append never authenticates (its tag is missing), and the shape of a
/// header turns up by chance about once in four billion positions, so a torn tail
/// costs a scan of its bytes and almost never a decryption.
fn hides_a_record(key: &Secret32, header: &[u8; HEADER_LEN], body: &[u8], index: u64) -> bool {
    let aad = aad(header, index);
    let opens = |end: usize| open(key, &aad, &body[..end]).is_ok();
    if body.len() >= SEAL_OVERHEAD && opens(body.len()) {
        return true;
    }
    (SEAL_OVERHEAD..=body.len().saturating_sub(RECORD_HEADER_LEN)).any(|end| {
        let h = &body[end..end + RECORD_HEADER_LEN];
        let len = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
        let check = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
        check == !len && (SEAL_OVERHEAD..=MAX_RECORD_LEN).contains(&(len as usize)) && opens(end)
    })
}

#[cfg(test)]
mod tests;
