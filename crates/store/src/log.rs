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

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use kintsugi_crypto::{SEAL_OVERHEAD, Secret32, open, random_array, seal};
use zeroize::Zeroizing;

use crate::StoreError;

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
    fn from_byte(b: u8) -> Option<Self> {
        match b {
            1 => Some(Self::Shared),
            2 => Some(Self::Diary),
            _ => None,
        }
    }
}

/// An incomplete final record: what a crash in the middle of an append leaves. It was
/// never reported as saved, so setting it aside loses nothing that was promised.
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
    header: [u8; HEADER_LEN],
    identity: u64,
    /// End of the last complete record we have read or written.
    offset: u64,
    next_index: u64,
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
        let bytes = new_file_bytes(kind, key, first)?;
        crate::atomic_write(path, &bytes)
    }

    pub fn open(path: &Path, kind: LogKind, key: &Secret32) -> Result<LogOpen, StoreError> {
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
            header,
            identity,
            offset: scan.end,
            next_index: scan.next_index,
            appender: None,
            lock: None,
        };
        Ok(LogOpen {
            log,
            records: scan.records,
            torn: scan.torn,
        })
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
        if identity != self.identity {
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
        Ok(scan.records)
    }

    fn reload_replaced(&mut self) -> Result<Vec<Record>, StoreError> {
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
        self.header = header;
        self.identity = identity;
        self.offset = scan.end;
        self.next_index = scan.next_index;
        self.appender = None;
        Ok(scan.records)
    }

    /// Appends one record durably: it is on disk (fsynced) when this returns Ok.
    /// Records that other processes appended meanwhile are returned so the caller
    /// can merge them; under the lock, bytes past the last complete record can only
    /// be a crashed writer's torn tail, and they are cut off before we write.
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
        let foreign = self.refresh()?;
        let aad = aad(&self.header, self.next_index);
        let sealed = seal(&self.key, &aad, chunk)?;
        let mut rec = Vec::with_capacity(RECORD_HEADER_LEN + sealed.len());
        let len = sealed.len() as u32;
        rec.extend_from_slice(&len.to_le_bytes());
        rec.extend_from_slice(&(!len).to_le_bytes());
        rec.extend_from_slice(&sealed);

        let path = self.path.clone();
        let offset = self.offset;
        let file = self.appender()?;
        let on_disk = file
            .metadata()
            .map_err(StoreError::io(format!("reading {}", path.display())))?
            .len();
        if on_disk > offset {
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
            let foreign = self.refresh()?;
            let full = Zeroizing::new(full_save(foreign)?);
            let bytes = new_file_bytes(self.kind, &self.key, &full)?;
            remove_stale_temps(&self.path);
            crate::atomic_write(&self.path, &bytes)?;
            let open = DocLog::open(&self.path, self.kind, &self.key)?;
            let new = open.log;
            self.header = new.header;
            self.identity = new.identity;
            self.offset = new.offset;
            self.next_index = new.next_index;
            self.appender = None;
            Ok(())
        })();
        self.unlock();
        result
    }

    fn lock(&mut self) -> Result<(), StoreError> {
        let mut opts = OpenOptions::new();
        opts.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let f = opts.open(&self.lock_path).map_err(StoreError::io(format!(
            "opening {}",
            self.lock_path.display()
        )))?;
        f.lock().map_err(StoreError::io(format!(
            "locking {}",
            self.lock_path.display()
        )))?;
        self.lock = Some(f);
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

/// Removes what a compaction killed mid-write left behind (`.NAME.tmp-PID`, sealed, so
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

fn lock_path(path: &Path) -> PathBuf {
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

fn new_file_bytes(kind: LogKind, key: &Secret32, first: &[u8]) -> Result<Vec<u8>, StoreError> {
    if first.len() + SEAL_OVERHEAD > MAX_RECORD_LEN {
        return Err(StoreError::RecordTooLarge(first.len()));
    }
    let file_id: [u8; 16] = random_array()?;
    let mut header = [0u8; HEADER_LEN];
    header[..8].copy_from_slice(MAGIC);
    header[8..10].copy_from_slice(&VERSION.to_le_bytes());
    header[10] = kind as u8;
    header[12..28].copy_from_slice(&file_id);
    let sealed = seal(key, &aad(&header, 0), first)?;
    let mut out = Vec::with_capacity(HEADER_LEN + RECORD_HEADER_LEN + sealed.len());
    out.extend_from_slice(&header);
    let len = sealed.len() as u32;
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&(!len).to_le_bytes());
    out.extend_from_slice(&sealed);
    Ok(out)
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
/// With `following`, an incomplete last record is not reported as torn: it may be
/// another process's append in progress.
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
    let corrupt = |pos: usize, index: u64, reason: &'static str| StoreError::Corrupt {
        path: path.to_path_buf(),
        index,
        offset: base + pos as u64,
        reason,
    };
    let torn = |pos: usize| TornTail {
        offset: base + pos as u64,
        bytes: (bytes.len() - pos) as u64,
    };
    let mut torn_tail = None;
    while pos < bytes.len() {
        let rest = &bytes[pos..];
        if rest.len() < RECORD_HEADER_LEN {
            torn_tail = Some(torn(pos));
            break;
        }
        let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]);
        let check = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]);
        if check != !len {
            // A crash can extend a file with zeros its data never reached.
            if rest.iter().all(|&b| b == 0) {
                torn_tail = Some(torn(pos));
                break;
            }
            return Err(corrupt(pos, index, "its length field is damaged"));
        }
        let len = len as usize;
        if !(SEAL_OVERHEAD..=MAX_RECORD_LEN).contains(&len) {
            return Err(corrupt(pos, index, "its length is out of range"));
        }
        if rest.len() - RECORD_HEADER_LEN < len {
            torn_tail = Some(torn(pos));
            break;
        }
        let sealed = &rest[RECORD_HEADER_LEN..RECORD_HEADER_LEN + len];
        let plain = open(key, &aad(header, index), sealed).map_err(|_| {
            corrupt(
                pos,
                index,
                "it failed authentication (changed bytes or the wrong key)",
            )
        })?;
        records.push(plain);
        pos += RECORD_HEADER_LEN + len;
        index += 1;
    }
    Ok(Scan {
        records,
        end: base + pos as u64,
        next_index: index,
        torn: if following { None } else { torn_tail },
    })
}

#[cfg(test)]
mod tests;
