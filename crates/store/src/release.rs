//! Releasing a log's history: the log is replaced by a new one (a new file, under a
//! new key, holding what the caller gives: the current state as a fresh document),
//! and the old file is destroyed: its bytes overwritten and synced, then removed.
//!
//! A crash at any point leaves a profile that opens, with the old log or the new
//! one, never neither. The steps, under the log's lock:
//!
//! 1. the new log is written whole as `.NAME.next` (a temporary file, synced, renamed,
//!    the folder synced), under a new random key;
//! 2. the keyring is rewritten with that key for the log (and whatever else the
//!    caller changes with it, such as a new couple key). This is the point of no
//!    return: before it, the new file's key is lost in a crash and the file is
//!    garbage; after it, the old log no longer opens with anything the keyring holds;
//! 3. the old log gets a second name, `.NAME.released`, and the new one is renamed
//!    over `NAME`, so that `NAME` is always a whole log;
//! 4. `.NAME.released` is overwritten with zeros, synced, removed, and the folder
//!    synced; the manifest records the new file.
//!
//! [`finish_replacements`], run at every unlock, takes whatever a crash left to its
//! end: a `.next` that opens with the keyring's key is moved into place (step 3),
//! one that does not is destroyed, and a `.released` is destroyed.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use kintsugi_crypto::Secret32;

use crate::StoreError;
use crate::fsutil::{fsync_dir, lock_file};
use crate::keyring::{Keyring, Unlocked};
use crate::log::{self, DocLog, LogKind};
use crate::manifest::{self, Flush};

/// Where the new log waits for the keyring that opens it.
fn next_path(dir: &Path, kind: LogKind) -> PathBuf {
    dir.join(format!(".{}.next", kind.file_name()))
}

/// The old log's second name while it is destroyed.
fn released_path(dir: &Path, kind: LogKind) -> PathBuf {
    dir.join(format!(".{}.released", kind.file_name()))
}

/// A step after which [`replace_log_until`] stops, as a crash there would.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    /// The new log is on disk; the keyring does not know its key yet.
    NextWritten,
    /// The keyring holds the new key; the old log is still under its name.
    KeyringWritten,
    /// The old log has its second name; the new one is not in place yet.
    OldLinked,
    /// The new log is in place; the old one is not destroyed yet.
    Renamed,
}

/// Replaces the log of `kind` with a new log holding the single record `first`, under
/// a new key, and destroys the old log (see the module's documentation for the
/// steps and what a crash leaves). `change` is applied to the keyring in the same
/// write that installs the new key: whatever must switch together with the log.
///
/// The caller builds `first` from the log's current state; the log's lock is held
/// from before the old log is read here to the end, so no other process's append
/// can land in between and be lost. A log behind the manifest is refused, and so is
/// one with a record that fails authentication: nothing is changed then.
pub fn replace_log<E: From<StoreError>>(
    dir: &Path,
    keys: &mut Unlocked,
    kind: LogKind,
    first: impl FnOnce(Vec<crate::Record>) -> Result<Vec<u8>, E>,
    change: impl FnOnce(&mut Keyring),
) -> Result<(), E> {
    replace_log_until(dir, keys, kind, first, change, None)
}

/// [`replace_log`], stopping after `stop` as a crash there would: for tests.
#[doc(hidden)]
pub fn replace_log_until<E: From<StoreError>>(
    dir: &Path,
    keys: &mut Unlocked,
    kind: LogKind,
    first: impl FnOnce(Vec<crate::Record>) -> Result<Vec<u8>, E>,
    change: impl FnOnce(&mut Keyring),
    stop: Option<Step>,
) -> Result<(), E> {
    let path = dir.join(kind.file_name());
    let _lock = lock_file(&log::lock_path(&path))?;
    // Another process may have given the log a new key meanwhile.
    keys.reload()?;
    finish_locked(dir, kind, keys)?;
    let old = DocLog::open_in(&path, kind, &keys.keyring)?;
    if let Some(torn) = old.torn {
        tracing::info!(
            offset = torn.offset,
            "the log ends in an interrupted write; it is left out of the released copy"
        );
    }
    let generation = log::next_generation(old.log.generation(), &path)?;
    let first = zeroize::Zeroizing::new(first(old.records)?);
    let new_key = Secret32::random().map_err(StoreError::from)?;
    // Copies a killed compaction of the old log left behind are sealed under the old
    // key, with the old history in them.
    for leftover in temps_of(dir, kind) {
        shred(&leftover)?;
    }
    let next = next_path(dir, kind);
    shred(&next)?;
    let bytes = log::new_file_bytes(kind, &new_key, generation, &[&first])?;
    crate::atomic_write(&next, &bytes)?;
    if stop == Some(Step::NextWritten) {
        return Ok(());
    }
    if let Err(e) = keys.update(|k| {
        k.log_keys.set(kind, new_key.clone());
        change(k);
    }) {
        // Nothing opens the new file: it is garbage.
        let _ = shred(&next);
        return Err(e.into());
    }
    if stop == Some(Step::KeyringWritten) {
        return Ok(());
    }
    Ok(finish_from(dir, kind, keys, stop)?)
}

/// Takes a replacement a crash interrupted to its end, for each log: see the
/// module's documentation. Cheap when there is none (two `stat`s per log). Returns
/// whether anything was found.
pub fn finish_replacements(dir: &Path, keys: &Unlocked) -> Result<bool, StoreError> {
    let mut found = false;
    for kind in LogKind::ALL {
        if !leftovers_exist(dir, kind) {
            continue;
        }
        found = true;
        let _lock = lock_file(&log::lock_path(&dir.join(kind.file_name())))?;
        finish_locked(dir, kind, keys)?;
    }
    Ok(found)
}

fn leftovers_exist(dir: &Path, kind: LogKind) -> bool {
    next_path(dir, kind).exists()
        || released_path(dir, kind).exists()
        || !temps_of_next(dir, kind).is_empty()
}

/// [`finish_replacements`] for one log; the caller holds its lock.
fn finish_locked(dir: &Path, kind: LogKind, keys: &Unlocked) -> Result<(), StoreError> {
    finish_from(dir, kind, keys, None)
}

fn finish_from(
    dir: &Path,
    kind: LogKind,
    keys: &Unlocked,
    stop: Option<Step>,
) -> Result<(), StoreError> {
    let path = dir.join(kind.file_name());
    let next = next_path(dir, kind);
    let released = released_path(dir, kind);
    for leftover in temps_of_next(dir, kind) {
        shred(&leftover)?;
    }
    if next.exists() {
        if !opens_whole(&next, kind, keys.keyring.log_key(kind)) {
            // Written before the keyring learnt its key: that key is gone.
            tracing::info!(
                file = %next.display(),
                "destroying the copy of an interrupted release of history that was never put in place"
            );
            shred(&next)?;
        } else {
            if released.exists() {
                if same_file(&released, &path) {
                    remove(&released)?;
                } else {
                    shred(&released)?;
                }
            }
            if path.exists() {
                std::fs::hard_link(&path, &released)
                    .map_err(StoreError::io(format!("linking {}", released.display())))?;
                fsync_dir(dir)?;
            }
            if stop == Some(Step::OldLinked) {
                return Ok(());
            }
            std::fs::rename(&next, &path)
                .map_err(StoreError::io(format!("replacing {}", path.display())))?;
            fsync_dir(dir)?;
            record(dir, kind, keys)?;
            if stop == Some(Step::Renamed) {
                return Ok(());
            }
        }
    }
    shred(&released)
}

/// Records the log now under its name in the manifest, flushed: a copy of the old
/// log put back later is then behind it.
fn record(dir: &Path, kind: LogKind, keys: &Unlocked) -> Result<(), StoreError> {
    let path = dir.join(kind.file_name());
    let opened = DocLog::open_in(&path, kind, &keys.keyring)?;
    let mark = opened.log.mark();
    manifest::update(dir, &keys.keyring.profile_key, Flush::Yes, |m| {
        m.set_log(kind, mark)
    })
    .map(drop)
}

/// Whether `path` is a log of `kind` whose every record opens with `key`.
fn opens_whole(path: &Path, kind: LogKind, key: &Secret32) -> bool {
    DocLog::open_with(path, kind, key, key, false)
        .is_ok_and(|o| o.torn.is_none() && !o.records.is_empty())
}

#[cfg(unix)]
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.ino() == y.ino() && x.dev() == y.dev(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_: &Path, _: &Path) -> bool {
    false
}

fn remove(path: &Path) -> Result<(), StoreError> {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(StoreError::io(format!("removing {}", path.display()))(e)),
    }
    fsync_dir(path.parent().unwrap_or(Path::new(".")))
}

/// Files in `dir` whose names start with `prefix`.
fn starting_with(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
        .map(|e| e.path())
        .collect()
}

/// What a killed compaction of the log left: `.NAME.tmp-PID-N`.
fn temps_of(dir: &Path, kind: LogKind) -> Vec<PathBuf> {
    starting_with(dir, &format!(".{}.tmp-", kind.file_name()))
}

/// What a killed write of `.NAME.next` left: `..NAME.next.tmp-PID-N`.
fn temps_of_next(dir: &Path, kind: LogKind) -> Vec<PathBuf> {
    starting_with(dir, &format!("..{}.next.tmp-", kind.file_name()))
}

/// Destroys a file: overwrites every byte with zeros, syncs, removes it and syncs the
/// folder. A file that is not there is fine.
///
/// What this reaches is the file system's view of the file: a flash disk may keep
/// the old cells until it reuses them, and a copy-on-write file system or a snapshot
/// may keep the old blocks. That is why a released log also loses its key.
pub fn shred(path: &Path) -> Result<(), StoreError> {
    let mut f = match OpenOptions::new().write(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(StoreError::io(format!("opening {}", path.display()))(e)),
    };
    overwrite(&mut f).map_err(StoreError::io(format!("overwriting {}", path.display())))?;
    drop(f);
    remove(path)
}

fn overwrite(f: &mut File) -> std::io::Result<()> {
    let len = f.metadata()?.len();
    let zeros = [0u8; 64 * 1024];
    let mut left = len;
    while left > 0 {
        let n = left.min(zeros.len() as u64) as usize;
        f.write_all(&zeros[..n])?;
        left -= n as u64;
    }
    f.sync_all()
}

#[cfg(test)]
mod tests;
