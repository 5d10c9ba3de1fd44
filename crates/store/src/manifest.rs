//! The manifest: what this device last saved, so that an older copy of a file put
//! back into the profile (a *rollback*) is reported instead of opened as if the
//! later writes had never happened.
//!
//! It records, for each log, the file id, generation, record count and the tag of
//! the last record, and for the keyring its generation and checksum. Every writer
//! brings its own line up to date after its write is on disk, so the manifest may lag
//! behind the files (after a crash between the two) but is never ahead of them. The
//! rule that follows: a file *behind* the manifest was rolled back; a file *ahead* of
//! it is fine, and the manifest catches up at the next write.
//!
//! Lock order, for every process: a log's lock, then `keyring.lock`, then
//! `manifest.lock`. Each writer changes only its own line, under its own file's lock,
//! so the manifest's lock only has to make each read-change-write whole.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use kintsugi_crypto::{NONCE_LEN, Secret32, random_array};

use crate::fsutil::{lock_file, lock_file_shared};
use crate::log::{DocLog, LogKind};
use crate::{Keyring, RollbackFound, StoreError};

pub const MANIFEST_FILE: &str = "manifest.sealed";
/// Held while the manifest is read, changed and written.
pub const MANIFEST_LOCK_FILE: &str = "manifest.lock";
/// Bound into the seal, so no other sealed file can be passed off as the manifest.
pub const MANIFEST_LABEL: &str = "manifest v1";
const VERSION: u8 = 1;
const HEAD_LEN: usize = 1 + 8 + 32 + 1;
const ENTRY_LEN: usize = 1 + 16 + 4 + 8 + 16;

/// The keyring as recorded: its generation (from its header) and its trailing SHA-256,
/// which tells two keyrings of the same generation apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyringMark {
    pub generation: u64,
    pub sum: [u8; 32],
}

impl KeyringMark {
    /// How a keyring found on disk (`self`) stands against the recorded one.
    pub(crate) fn behind(&self, recorded: &KeyringMark) -> Option<RollbackFound> {
        if self.generation < recorded.generation {
            Some(RollbackFound::OlderCopy {
                found: self.generation,
                recorded: recorded.generation,
            })
        } else if self.generation == recorded.generation && self.sum != recorded.sum {
            Some(RollbackFound::OtherCopy)
        } else {
            None
        }
    }
}

/// A log as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogMark {
    pub file_id: [u8; 16],
    /// Rises by one with every compaction; a file with a higher one is newer.
    pub generation: u32,
    pub records: u64,
    /// The Poly1305 tag of record `records - 1`: it pins that record's exact bytes,
    /// and through its associated data the header and the index.
    pub last_tag: [u8; 16],
}

impl LogMark {
    /// How a log found on disk (`self`, with `tag_at` giving its records' tags) stands
    /// against the recorded one.
    pub(crate) fn behind(
        &self,
        tag_at: impl Fn(u64) -> Option<[u8; 16]>,
        recorded: &LogMark,
    ) -> Option<RollbackFound> {
        if self.generation != recorded.generation {
            return (self.generation < recorded.generation).then_some(RollbackFound::OlderCopy {
                found: self.generation.into(),
                recorded: recorded.generation.into(),
            });
        }
        if self.file_id != recorded.file_id {
            return Some(RollbackFound::OtherCopy);
        }
        if self.records < recorded.records {
            return Some(RollbackFound::FewerRecords {
                found: self.records,
                recorded: recorded.records,
            });
        }
        let index = recorded.records.saturating_sub(1);
        (tag_at(index) != Some(recorded.last_tag)).then_some(RollbackFound::OtherRecord { index })
    }
}

/// The manifest's contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub keyring: KeyringMark,
    /// At most one line per kind, in the order of the kinds' bytes.
    pub logs: Vec<(LogKind, LogMark)>,
}

impl Manifest {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEAD_LEN + ENTRY_LEN * self.logs.len());
        out.push(VERSION);
        out.extend_from_slice(&self.keyring.generation.to_le_bytes());
        out.extend_from_slice(&self.keyring.sum);
        out.push(self.logs.len() as u8);
        for (kind, m) in &self.logs {
            out.push(*kind as u8);
            out.extend_from_slice(&m.file_id);
            out.extend_from_slice(&m.generation.to_le_bytes());
            out.extend_from_slice(&m.records.to_le_bytes());
            out.extend_from_slice(&m.last_tag);
        }
        out
    }

    /// `None` for anything but a well-formed version 1 manifest: an unknown or repeated
    /// kind, or a log line with no record, is damage too.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        if bytes.len() < HEAD_LEN || bytes[0] != VERSION {
            return None;
        }
        let n = usize::from(bytes[HEAD_LEN - 1]);
        if bytes.len() != HEAD_LEN + n * ENTRY_LEN {
            return None;
        }
        let arr = |at: usize| -> [u8; 16] {
            let mut a = [0u8; 16];
            a.copy_from_slice(&bytes[at..at + 16]);
            a
        };
        let mut sum = [0u8; 32];
        sum.copy_from_slice(&bytes[9..41]);
        let keyring = KeyringMark {
            generation: u64::from_le_bytes(bytes[1..9].try_into().ok()?),
            sum,
        };
        let mut logs: Vec<(LogKind, LogMark)> = Vec::with_capacity(n);
        for i in 0..n {
            let at = HEAD_LEN + i * ENTRY_LEN;
            let kind = LogKind::from_byte(bytes[at])?;
            if logs.last().is_some_and(|(k, _)| *k as u8 >= kind as u8) {
                return None;
            }
            let mark = LogMark {
                file_id: arr(at + 1),
                generation: u32::from_le_bytes(bytes[at + 17..at + 21].try_into().ok()?),
                records: u64::from_le_bytes(bytes[at + 21..at + 29].try_into().ok()?),
                last_tag: arr(at + 29),
            };
            if mark.records == 0 {
                return None;
            }
            logs.push((kind, mark));
        }
        Some(Self { keyring, logs })
    }

    pub fn log(&self, kind: LogKind) -> Option<&LogMark> {
        self.logs.iter().find(|(k, _)| *k == kind).map(|(_, m)| m)
    }

    pub(crate) fn set_log(&mut self, kind: LogKind, mark: LogMark) {
        match self.logs.iter_mut().find(|(k, _)| *k == kind) {
            Some(line) => line.1 = mark,
            None => {
                self.logs.push((kind, mark));
                self.logs.sort_by_key(|(k, _)| *k as u8);
            }
        }
    }
}

pub(crate) fn path(dir: &Path) -> PathBuf {
    dir.join(MANIFEST_FILE)
}

pub(crate) fn lock(dir: &Path) -> Result<File, StoreError> {
    lock_file(&dir.join(MANIFEST_LOCK_FILE))
}

/// `Ok(None)` when the profile has none (one made before manifests existed). A file
/// that does not open or parse is [`StoreError::ManifestDamaged`].
///
/// Read without the lock; only a manifest that does not open is read again under it,
/// since a writer rewriting it in place may have been caught half done.
pub(crate) fn read(dir: &Path, key: &Secret32) -> Result<Option<Manifest>, StoreError> {
    match read_locked(dir, key) {
        Err(StoreError::ManifestDamaged(_)) => {
            let lock = lock_file_shared(&dir.join(MANIFEST_LOCK_FILE))?;
            let again = read_locked(dir, key);
            drop(lock);
            again
        }
        other => other,
    }
}

/// [`read`] for a caller that holds the lock (or may not take it).
pub(crate) fn read_locked(dir: &Path, key: &Secret32) -> Result<Option<Manifest>, StoreError> {
    let path = path(dir);
    match crate::read_sealed(&path, key, MANIFEST_LABEL) {
        Ok(None) => Ok(None),
        Ok(Some(plain)) => Manifest::decode(&plain)
            .map(Some)
            .ok_or(StoreError::ManifestDamaged(path)),
        Err(e @ StoreError::Io { .. }) => Err(e),
        Err(_) => Err(StoreError::ManifestDamaged(path)),
    }
}

/// The sealed file, as [`write`] stores it. The nonce is a parameter only for the
/// published test vectors.
pub(crate) fn encode_file(
    key: &Secret32,
    manifest: &Manifest,
    nonce: &[u8; NONCE_LEN],
) -> Result<Vec<u8>, StoreError> {
    crate::sealed_file::encode(key, MANIFEST_LABEL, &manifest.encode(), nonce)
}

/// How hard a manifest write tries to reach the disk before it returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flush {
    /// `fdatasync` it: for the rare writes (the keyring's, a compaction's, a new
    /// manifest), so that a power cut right after them cannot leave them unrecorded.
    Yes,
    /// Leave it to the kernel's writeback: for appends, the common case, which would
    /// otherwise pay a second flush. A manifest lost this way only lags behind a log
    /// that was flushed before it, which is allowed; and a process that is killed
    /// loses nothing, since its write is in the page cache.
    No,
}

/// Writes the manifest; the caller holds its lock. Every write leaves the old manifest
/// or the new one, whole, and may be lost in a crash (the manifest then lags behind
/// files already on disk, which is allowed).
///
/// Usually the file keeps its size (the number of log lines rarely changes), and it is
/// overwritten in place: no new file, no rename. Its at most 180 bytes lie in the
/// file's first sector, which a disk writes whole; a reader that catches the write
/// half done reads again under the lock (see [`read`]). When the size changes, a new
/// file is synced and renamed into place instead.
pub(crate) fn write(
    dir: &Path,
    key: &Secret32,
    manifest: &Manifest,
    flush: Flush,
) -> Result<(), StoreError> {
    let bytes = encode_file(key, manifest, &random_array()?)?;
    let path = path(dir);
    if let Ok(mut f) = OpenOptions::new().write(true).open(&path)
        && f.metadata().is_ok_and(|m| m.len() == bytes.len() as u64)
    {
        return f
            .write_all(&bytes)
            .and_then(|_| match flush {
                Flush::Yes => f.sync_data(),
                Flush::No => Ok(()),
            })
            .map_err(StoreError::io(format!("writing {}", path.display())));
    }
    let tmp = dir.join(format!(".{MANIFEST_FILE}.tmp"));
    let result = (|| {
        let mut opts = OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts
            .open(&tmp)
            .map_err(StoreError::io(format!("creating {}", tmp.display())))?;
        f.write_all(&bytes)
            .and_then(|_| f.sync_all())
            .map_err(StoreError::io(format!("writing {}", tmp.display())))?;
        std::fs::rename(&tmp, &path)
            .map_err(StoreError::io(format!("replacing {}", path.display())))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Changes the manifest under its lock. Does nothing (and says so) when the profile
/// has none: only unlocking, creating a profile and accepting a rollback make one,
/// so that a process which finds it deleted cannot quietly make a new one from files
/// that were rolled back.
pub(crate) fn update(
    dir: &Path,
    key: &Secret32,
    flush: Flush,
    change: impl FnOnce(&mut Manifest),
) -> Result<bool, StoreError> {
    let _lock = lock(dir)?;
    let Some(mut manifest) = read_locked(dir, key)? else {
        return Ok(false);
    };
    let before = manifest.clone();
    change(&mut manifest);
    if manifest != before {
        write(dir, key, &manifest, flush)?;
    }
    Ok(true)
}

/// The profile's logs as they are now, for a new manifest. Read without the logs'
/// locks: an append or compaction landing meanwhile only leaves the manifest behind
/// the files. A log that is missing or does not open is left out; its error shows when
/// it is opened, and its next write records it.
pub(crate) fn logs_from_files(dir: &Path, keyring: &Keyring) -> Vec<(LogKind, LogMark)> {
    LogKind::ALL
        .into_iter()
        .filter_map(|kind| {
            let key = keyring.log_key(kind);
            let opened =
                DocLog::open_with(&dir.join(kind.file_name()), kind, key, key, false).ok()?;
            (opened.log.record_count() > 0).then(|| (kind, opened.log.mark()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Manifest {
        Manifest {
            keyring: KeyringMark {
                generation: 7,
                sum: [3; 32],
            },
            logs: vec![
                (
                    LogKind::Shared,
                    LogMark {
                        file_id: [1; 16],
                        generation: 2,
                        records: 40,
                        last_tag: [9; 16],
                    },
                ),
                (
                    LogKind::Diary,
                    LogMark {
                        file_id: [4; 16],
                        generation: 0,
                        records: 1,
                        last_tag: [8; 16],
                    },
                ),
            ],
        }
    }

    #[test]
    fn encoding_round_trips_and_refuses_malformed_contents() {
        let m = sample();
        let bytes = m.encode();
        assert_eq!(bytes.len(), HEAD_LEN + 2 * ENTRY_LEN);
        assert_eq!(Manifest::decode(&bytes), Some(m.clone()));
        for len in 0..bytes.len() {
            assert_eq!(Manifest::decode(&bytes[..len]), None, "cut to {len}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(Manifest::decode(&longer), None);
        let mut version = bytes.clone();
        version[0] = 2;
        assert_eq!(Manifest::decode(&version), None);
        // Kinds out of order, repeated or unknown, and a line with no record.
        let mut swapped = m.clone();
        swapped.logs.reverse();
        assert_eq!(Manifest::decode(&swapped.encode()), None);
        let mut unknown = bytes.clone();
        unknown[HEAD_LEN + ENTRY_LEN] = 3;
        assert_eq!(Manifest::decode(&unknown), None);
        let mut empty = m.clone();
        empty.logs[1].1.records = 0;
        assert_eq!(Manifest::decode(&empty.encode()), None);
    }

    #[test]
    fn a_file_behind_the_record_is_told_apart_from_one_ahead() {
        let recorded = sample().logs[0].1;
        let tags = |n: u64, last: [u8; 16]| {
            move |i: u64| (i < n).then(|| if i == n - 1 { last } else { [0; 16] })
        };
        // The same file, as recorded, or with more records: fine.
        assert_eq!(recorded.behind(tags(40, [9; 16]), &recorded), None);
        let longer = LogMark {
            records: 41,
            ..recorded
        };
        let at_39 = |i: u64| match i {
            39 => Some([9; 16]),
            i if i < 41 => Some([0; 16]),
            _ => None,
        };
        assert_eq!(longer.behind(at_39, &recorded), None);
        // A later compaction, whatever it holds: fine.
        let newer = LogMark {
            generation: 3,
            records: 1,
            file_id: [5; 16],
            ..recorded
        };
        assert_eq!(newer.behind(tags(1, [0; 16]), &recorded), None);
        // Cut back, an earlier compaction, another file, another last record: behind.
        let cut = LogMark {
            records: 39,
            ..recorded
        };
        assert_eq!(
            cut.behind(tags(39, [0; 16]), &recorded),
            Some(RollbackFound::FewerRecords {
                found: 39,
                recorded: 40
            })
        );
        let older = LogMark {
            generation: 1,
            ..recorded
        };
        assert_eq!(
            older.behind(tags(40, [9; 16]), &recorded),
            Some(RollbackFound::OlderCopy {
                found: 1,
                recorded: 2
            })
        );
        let other = LogMark {
            file_id: [6; 16],
            ..recorded
        };
        assert_eq!(
            other.behind(tags(40, [9; 16]), &recorded),
            Some(RollbackFound::OtherCopy)
        );
        assert_eq!(
            recorded.behind(tags(40, [7; 16]), &recorded),
            Some(RollbackFound::OtherRecord { index: 39 })
        );
    }

    #[test]
    fn a_keyring_behind_the_record_is_told_apart_from_one_ahead() {
        let recorded = sample().keyring;
        assert_eq!(recorded.behind(&recorded), None);
        let ahead = KeyringMark {
            generation: 8,
            sum: [0; 32],
        };
        assert_eq!(ahead.behind(&recorded), None);
        let older = KeyringMark {
            generation: 6,
            ..recorded
        };
        assert!(matches!(
            older.behind(&recorded),
            Some(RollbackFound::OlderCopy {
                found: 6,
                recorded: 7
            })
        ));
        let other = KeyringMark {
            sum: [4; 32],
            ..recorded
        };
        assert_eq!(other.behind(&recorded), Some(RollbackFound::OtherCopy));
    }
}
