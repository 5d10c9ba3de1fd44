//! Releasing history: a document's current state copied into a fresh document under
//! a fresh key, and the old log destroyed (the store's `replace_log`).
//!
//! The private diary is this person's alone, so releasing its history is one step on
//! this device ([`Device::release_diary_history`]). The shared journal's needs both
//! partners' consent and a new couple key; that protocol is in `release/shared.rs`.
//!
//! Other processes of the profile (the app beside a CLI command) notice a release
//! when they next follow the logs: the replaced log no longer opens with the key they
//! hold, so they read the keyring again and open the new log afresh, never merging
//! the old document (with its history) into the new one.

use kintsugi_journal::PrivateDiary;
use kintsugi_store::LogKind;

use crate::documents::Inner;
use crate::tracked::{Tracked, load_records};
use crate::{DIARY_LOG, Device, DeviceError, DocKind, Result, SHARED_LOG};

mod shared;

pub use shared::{ReleaseRequest, ReleaseStatus};
pub(crate) use shared::{ReleaseSession, epoch_of, pairing_epoch};

/// The file of `release/shared.rs`'s state.
pub(crate) const RELEASE_FILE: &str = shared::RELEASE.name;

impl Device {
    /// Releases the private diary's history: its entries and drafts as they read now
    /// are copied into a new document under a new key, and the old log, which holds
    /// every earlier wording and every deleted entry, is overwritten, synced and
    /// removed. A crash leaves the old diary or the new one, never neither.
    ///
    /// It cannot reach copies made outside Kintsugi (exports, backups of the profile
    /// folder, screenshots), nor bytes the disk itself keeps after an overwrite (the
    /// old log's key is destroyed too, so those no longer open with this profile).
    /// Why the diary's history cannot be released here now: released here only, the
    /// old history would stay whole on the person's other devices, which could then
    /// no longer sync it.
    pub(crate) fn diary_release_blocked(&self) -> Result<Option<&'static str>> {
        Ok((!self.own_peers()?.is_empty()).then_some(
            "your diary is also on your other devices: releasing its history here would leave the whole of it on them, and they could no longer sync it. For now the diary's history can be released only while it is on one device; remove the others first (they keep what they hold)",
        ))
    }

    pub fn release_diary_history(&self) -> Result<()> {
        if let Some(why) = self.diary_release_blocked()? {
            return Err(DeviceError::Release(why));
        }
        let epoch: [u8; 16] = kintsugi_crypto::random_array()?;
        self.with(|i| {
            let dir = i.dir.clone();
            // The copy is made from the log as it is under its lock, not from this
            // process's document, so a write another process made just before is kept.
            kintsugi_store::replace_log(
                &dir,
                &mut i.keys,
                LogKind::Diary,
                |records| {
                    let mut diary: PrivateDiary = load_records(&records)?;
                    Ok::<_, DeviceError>(diary.released_copy(&epoch)?)
                },
                |_| {},
            )?;
            i.diary = Tracked::open(&dir.join(DIARY_LOG), &i.keys.keyring)?;
            // Lists kept of the old document mean nothing in the new one.
            i.lists.diary = Default::default();
            Ok(())
        })?;
        tracing::info!("released the private diary's history");
        // What this person's other devices were known to hold of the diary belongs to
        // the old one (partner.sealed exists only once paired: none is made here).
        if self.pairing()?.is_some()
            && let Err(e) = self.update_partner_state(|p| p.forget_diary_sync_states())
        {
            tracing::warn!("could not forget the old diary's sync states: {e}");
        }
        self.emit(DocKind::Diary, true);
        Ok(())
    }
}

impl Inner {
    /// Reads what other processes appended to both logs. A log another process
    /// replaced by releasing its history no longer opens with the key this process
    /// holds: then the keyring is read again, and a log whose key changed is opened
    /// afresh (the old document is dropped, not merged). Returns whether each
    /// document (shared, diary) changed, and whether the release state file did.
    pub(crate) fn refresh_logs(&mut self) -> Result<(bool, bool, bool)> {
        let seen = std::fs::metadata(self.dir.join(RELEASE_FILE))
            .ok()
            .and_then(|m| Some((m.len(), m.modified().ok()?)));
        let release = seen != self.release_seen;
        self.release_seen = seen;
        let (shared, diary) = self.follow_logs()?;
        Ok((shared, diary, release))
    }

    /// [`Inner::refresh_logs`] without looking at the release state: what a write does
    /// first, so that it lands in the log as it is now.
    pub(crate) fn follow_logs(&mut self) -> Result<(bool, bool)> {
        let shared = self.shared.refresh();
        let diary = self.diary.refresh();
        if shared.is_ok() && diary.is_ok() {
            return Ok((shared?, diary?));
        }
        if !self.keys.reload()? {
            return Ok((shared?, diary?));
        }
        let keyring = &self.keys.keyring;
        let shared = if self.shared.log.key() != keyring.log_key(LogKind::Shared) {
            self.shared = Tracked::open(&self.dir.join(SHARED_LOG), keyring)?;
            self.lists.shared = Default::default();
            true
        } else {
            shared?
        };
        let diary = if self.diary.log.key() != keyring.log_key(LogKind::Diary) {
            self.diary = Tracked::open(&self.dir.join(DIARY_LOG), keyring)?;
            self.lists.diary = Default::default();
            true
        } else {
            diary?
        };
        Ok((shared, diary))
    }
}

#[cfg(test)]
mod tests;
