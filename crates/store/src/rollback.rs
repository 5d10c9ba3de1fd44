//! What a person can do after a rollback was reported: accept the files as they are.

use std::path::Path;

use crate::fsutil::lock_file;
use crate::keyring::{KEYRING_LOCK_FILE, Unlocked};
use crate::log::{self, DocLog, LogKind};
use crate::manifest::{self, Flush, Manifest};
use crate::{Rollback, RollbackFound, StoreError};

/// Makes the profile's files, as they are now, its state: for when a person restored
/// an older copy on purpose (a backup), or has decided to go on from what is left.
/// Returns what was found behind the manifest (empty if nothing was).
///
/// Every writer's lock is held throughout. Files are checked first and any damage
/// (a record that fails authentication, a tail hiding a whole record) refuses the
/// whole acceptance before anything is written: accepting a rollback never deletes a
/// record that authenticates. Then every log found behind the manifest is rewritten
/// (a new file id, re-sealed records) at a generation above both its own and the
/// recorded one, and so is a keyring found behind; the manifest then records it all.
/// Afterwards, every copy that existed before, including the newer one that was lost,
/// is behind the new state and would be reported if it were put back.
///
/// An accepted keyring is the older one, with what it held: a couple key the person
/// had ended by unpairing, or a passphrase they had since changed, is in force again.
pub fn accept_rollback(dir: &Path, passphrase: &[u8]) -> Result<Vec<Rollback>, StoreError> {
    let mut _locks = Vec::new();
    for kind in LogKind::ALL {
        _locks.push(lock_file(&log::lock_path(&dir.join(kind.file_name())))?);
    }
    _locks.push(lock_file(&dir.join(KEYRING_LOCK_FILE))?);
    _locks.push(manifest::lock(dir)?);

    let mut keys = Unlocked::open_unchecked(dir, passphrase)?;
    let key = keys.keyring.profile_key.clone();
    let mut accepted = Vec::new();
    let recorded = match manifest::read_locked(dir, &key) {
        Ok(Some(m)) => Some(m),
        Ok(None) => {
            if keys.generation() > 0 {
                accepted.push(Rollback {
                    path: manifest::path(dir),
                    found: RollbackFound::Missing,
                });
            }
            None
        }
        Err(StoreError::ManifestDamaged(path)) => {
            accepted.push(Rollback {
                path,
                found: RollbackFound::Damaged,
            });
            None
        }
        Err(e) => return Err(e),
    };

    let mut found_logs = Vec::new();
    for kind in LogKind::ALL {
        let path = dir.join(kind.file_name());
        if !path.exists() {
            continue;
        }
        let opened = DocLog::open_with(&path, kind, keys.keyring.log_key(kind), &key, false)?;
        if opened.records.is_empty() {
            return Err(StoreError::Corrupt {
                path,
                index: 0,
                offset: 32,
                reason: "the file holds no whole record, so there is nothing to accept",
            });
        }
        let line = recorded.as_ref().and_then(|m| m.log(kind)).copied();
        let behind = line.and_then(|r| opened.log.behind(&r));
        found_logs.push((kind, path, opened, line, behind));
    }
    let keyring_behind = recorded
        .as_ref()
        .and_then(|m| keys.mark().behind(&m.keyring));

    let mut logs = Vec::new();
    for (kind, path, opened, line, behind) in found_logs {
        let mark = match (behind, line) {
            (Some(found), Some(line)) => {
                let generation =
                    log::next_generation(opened.log.generation().max(line.generation), &path)?;
                let log_key = keys.keyring.log_key(kind).clone();
                let mark = log::rewrite(&path, kind, &log_key, generation, &opened.records)?;
                accepted.push(Rollback { path, found });
                mark
            }
            _ => opened.log.mark(),
        };
        logs.push((kind, mark));
    }
    let keyring = match (keyring_behind, &recorded) {
        (Some(found), Some(m)) => {
            let generation = keys.generation().max(m.keyring.generation) + 1;
            let mark = keys.write_at(generation)?;
            accepted.push(Rollback {
                path: dir.join(crate::KEYRING_FILE),
                found,
            });
            mark
        }
        _ => keys.mark(),
    };
    manifest::write(dir, &key, &Manifest { keyring, logs }, Flush::Yes)?;
    for a in &accepted {
        tracing::info!(file = %a.path.display(), found = %a.found, "accepted an older state");
    }
    Ok(accepted)
}
