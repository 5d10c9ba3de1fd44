//! The two documents behind the device lock: how commands read and write them,
//! the list cache, and following the logs that other processes append to.

use std::path::PathBuf;
use std::sync::{Arc, MutexGuard};

use kintsugi_journal::{
    Boundary, CheckIn, Letter, PartnerId, PrivateDiary, Promise, SharedEntry, SharedJournal,
    StageProgress,
};
use kintsugi_store::Unlocked;

use crate::tracked::Tracked;
use crate::{Device, DeviceError, DocKind, Event, Options, PayloadTap, Result, now_ms};

/// Typed lists of the shared journal, valid for the heads they were read at. A UI
/// frame asks for the same list many times between changes; reading 10,000 entries
/// out of Automerge costs tens of milliseconds, a copy of the cached list about one.
#[derive(Default)]
pub(crate) struct Lists {
    heads: Vec<automerge::ChangeHash>,
    pub(crate) boundaries: Option<Vec<Boundary>>,
    pub(crate) checkins: Option<Vec<CheckIn>>,
    pub(crate) letters: Option<Vec<Letter>>,
    pub(crate) promises: Option<Vec<Promise>>,
    pub(crate) shared: Option<Vec<SharedEntry>>,
    pub(crate) stages: Option<Vec<StageProgress>>,
}

pub(crate) struct Inner {
    pub(crate) lists: Lists,
    pub(crate) dir: PathBuf,
    pub(crate) keys: Unlocked,
    pub(crate) me: PartnerId,
    pub(crate) shared: Tracked<SharedJournal>,
    pub(crate) diary: Tracked<PrivateDiary>,
    pub(crate) options: Options,
}

impl Device {
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut Inner) -> Result<R>) -> Result<R> {
        let mut guard: MutexGuard<'_, Option<Inner>> =
            self.inner.lock().map_err(|_| DeviceError::Unavailable)?;
        match guard.as_mut() {
            Some(inner) => f(inner),
            None => Err(DeviceError::Locked),
        }
    }

    pub(crate) fn emit(&self, doc: DocKind, local: bool) {
        if doc == DocKind::Shared {
            self.changes.send_modify(|n| *n += 1);
        }
        let _ = self.events.send(Event::Changed { doc, local });
    }

    /// Shows `tap` every sync payload the partner sends, decrypted, before it is
    /// applied: for diagnostics, and for tests that prove what crosses the wire.
    pub fn tap_sync_payloads(&self, tap: Option<PayloadTap>) {
        if let Ok(mut t) = self.tap.lock() {
            *t = tap;
        }
    }

    /// Starts the shared journal over from an empty genesis, e.g. when someone
    /// unpairs and chooses not to keep the old journal.
    pub(crate) fn reset_shared(&self) -> Result<()> {
        self.with(|i| i.shared.reset())?;
        self.emit(DocKind::Shared, true);
        Ok(())
    }

    pub(crate) fn write_shared<R>(
        &self,
        f: impl FnOnce(&mut SharedJournal, &PartnerId, i64) -> kintsugi_journal::Result<R>,
    ) -> Result<R> {
        let (value, changed) = self.with(|i| {
            let me = i.me.clone();
            crate::replica::write_within_limit(&mut i.shared, SharedJournal::doc_mut, |doc| {
                f(doc, &me, now_ms())
            })
        })?;
        if changed {
            self.emit(DocKind::Shared, true);
        }
        Ok(value)
    }

    pub(crate) fn write_diary<R>(
        &self,
        f: impl FnOnce(&mut PrivateDiary, &PartnerId, i64) -> kintsugi_journal::Result<R>,
    ) -> Result<R> {
        let (value, changed) = self.with(|i| {
            let me = i.me.clone();
            crate::replica::write_within_limit(&mut i.diary, PrivateDiary::doc_mut, |doc| {
                f(doc, &me, now_ms())
            })
        })?;
        if changed {
            self.emit(DocKind::Diary, true);
        }
        Ok(value)
    }

    pub(crate) fn read_shared<R>(
        &self,
        f: impl FnOnce(&SharedJournal, &PartnerId) -> R,
    ) -> Result<R> {
        self.with(|i| Ok(f(&i.shared.doc, &i.me)))
    }

    /// A shared-journal list from the cache, read afresh only when the document's
    /// heads moved since it was cached.
    pub(crate) fn cached<T: Clone>(
        &self,
        slot: impl FnOnce(&mut Lists) -> &mut Option<Vec<T>>,
        read: impl FnOnce(&SharedJournal) -> Vec<T>,
    ) -> Result<Vec<T>> {
        self.with(|i| {
            let heads = i.shared.doc.heads();
            if heads != i.lists.heads {
                i.lists = Lists {
                    heads,
                    ..Lists::default()
                };
            }
            let doc = &i.shared.doc;
            Ok(slot(&mut i.lists).get_or_insert_with(|| read(doc)).clone())
        })
    }

    pub(crate) fn read_diary<R>(
        &self,
        f: impl FnOnce(&PrivateDiary, &PartnerId) -> R,
    ) -> Result<R> {
        self.with(|i| Ok(f(&i.diary.doc, &i.me)))
    }

    /// Picks up records other processes appended to this profile's logs. Cheap when
    /// nothing changed, so front ends may call it often (the app does, on a timer).
    pub fn refresh(&self) -> Result<bool> {
        let (shared, diary) = self.with(|i| Ok((i.shared.refresh()?, i.diary.refresh()?)))?;
        if shared {
            self.emit(DocKind::Shared, false);
        }
        if diary {
            self.emit(DocKind::Diary, false);
        }
        Ok(shared || diary)
    }

    /// Follows the logs from a background thread, so changes that other processes
    /// (a CLI command, a running `kintsugi sync`) append reach this one's subscribers
    /// without anyone asking. Polling a file's size costs one `stat`; it works on
    /// every file system, unlike change notifications. Stops when the returned
    /// guard is dropped or the device is locked.
    pub fn watch(&self, every: std::time::Duration) -> Watcher {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let device = self.clone();
        let flag = stop.clone();
        let handle = std::thread::Builder::new()
            .name("kintsugi-watch".into())
            .spawn(move || {
                while !flag.load(std::sync::atomic::Ordering::Relaxed) && !device.is_locked() {
                    if let Err(e) = device.refresh() {
                        tracing::warn!(error = %e, "following the profile's logs failed");
                    }
                    std::thread::sleep(every);
                }
            })
            .ok();
        Watcher { stop, handle }
    }

    /// How many records a document's log holds (as far as this handle has read).
    pub fn log_records(&self, doc: DocKind) -> Result<u64> {
        self.with(|i| {
            Ok(match doc {
                DocKind::Shared => i.shared.log.record_count(),
                DocKind::Diary => i.diary.log.record_count(),
            })
        })
    }

    /// Rewrites both logs as single full saves, under the writers' lock.
    pub fn compact(&self) -> Result<()> {
        self.with(|i| {
            i.shared.compact()?;
            i.diary.compact()
        })
    }

    pub fn profile_dir(&self) -> Result<PathBuf> {
        self.with(|i| Ok(i.dir.clone()))
    }

    pub fn me(&self) -> Result<PartnerId> {
        self.with(|i| Ok(i.me.clone()))
    }
}

/// Stops the background follower of [`Device::watch`] when dropped.
pub struct Watcher {
    stop: Arc<std::sync::atomic::AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}
