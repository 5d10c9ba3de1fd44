//! The two documents behind the device lock: how commands read and write them,
//! the list cache, and following the logs that other processes append to.

use std::path::PathBuf;
use std::sync::{Arc, MutexGuard};

use kintsugi_journal::{DiaryLists, PartnerId, PrivateDiary, SharedJournal, SharedLists};
use kintsugi_store::Unlocked;

use crate::tracked::Tracked;
use crate::{Device, DeviceError, DocKind, Event, Options, PayloadTap, Result, now_ms};

/// The lists the front ends draw, kept current change by change by the journal
/// (`SharedLists`, `DiaryLists`) and handed out as shared `List`s.
#[derive(Default)]
pub(crate) struct Lists {
    pub(crate) shared: SharedLists,
    pub(crate) diary: DiaryLists,
}

pub(crate) struct Inner {
    pub(crate) lists: Lists,
    pub(crate) dir: PathBuf,
    pub(crate) keys: Unlocked,
    pub(crate) me: PartnerId,
    pub(crate) shared: Tracked<SharedJournal>,
    pub(crate) diary: Tracked<PrivateDiary>,
    pub(crate) options: Options,
    /// The size and time of `release.sealed` when last looked at (see `release.rs`).
    pub(crate) release_seen: Option<(u64, std::time::SystemTime)>,
    /// The last resolution of the device records and what it was made from (see
    /// `devices.rs`).
    pub(crate) devices_seen: Option<(crate::devices::DeviceInputs, kintsugi_journal::DeviceSet)>,
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
        match doc {
            DocKind::Shared => self.changes.send_modify(|n| *n += 1),
            DocKind::Diary => self.diary_changes.send_modify(|n| *n += 1),
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
            // Another process may have released a log's history since: follow first.
            i.follow_logs()?;
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
            i.follow_logs()?;
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

    /// A shared-journal list (or its length) from the cache.
    pub(crate) fn cached<R>(
        &self,
        get: impl FnOnce(&mut SharedLists, &mut SharedJournal) -> R,
    ) -> Result<R> {
        self.with(|i| Ok(get(&mut i.lists.shared, &mut i.shared.doc)))
    }

    /// A private-diary list (or its length) from the cache.
    pub(crate) fn cached_diary<R>(
        &self,
        get: impl FnOnce(&mut DiaryLists, &mut PrivateDiary) -> R,
    ) -> Result<R> {
        self.with(|i| Ok(get(&mut i.lists.diary, &mut i.diary.doc)))
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
        let (shared, diary, release) = self.with(|i| i.refresh_logs())?;
        if release {
            // Another process asked, answered or moved: a sync session says so, and
            // a front end shows it.
            self.changes.send_modify(|n| *n += 1);
            let _ = self.events.send(Event::ReleaseChanged);
        }
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
    /// without anyone asking. File-change notifications on the profile directory wake
    /// it the moment another process writes (a poll interval is the delay a person
    /// sees before the partner's screen shows an entry). Not every file system sends
    /// them (network mounts, some containers), so it also checks every `every`; a
    /// check costs one `stat` per log. Stops when the returned guard is dropped or the
    /// device is locked.
    pub fn watch(&self, every: std::time::Duration) -> Watcher {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (wake, woken) = std::sync::mpsc::channel::<()>();
        // Made before the first check below, so no write falls between the two.
        let notifier = self
            .profile_dir()
            .ok()
            .and_then(|dir| notify_on_logs(&dir, wake.clone()));
        let device = self.clone();
        let flag = stop.clone();
        let handle = std::thread::Builder::new()
            .name("kintsugi-watch".into())
            .spawn(move || {
                let _notifier = notifier;
                while !flag.load(std::sync::atomic::Ordering::Relaxed) && !device.is_locked() {
                    if let Err(e) = device.refresh() {
                        tracing::warn!(error = %e, "following the profile's logs failed");
                    }
                    match woken.recv_timeout(every) {
                        // One write sends several notifications; one check reads them all.
                        Ok(()) => while woken.try_recv().is_ok() {},
                        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                            std::thread::sleep(every)
                        }
                    }
                }
            })
            .ok();
        Watcher { stop, wake, handle }
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
    /// Wakes the follower to stop without waiting out its poll interval.
    wake: std::sync::mpsc::Sender<()>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let _ = self.wake.send(());
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// Sends on `wake` whenever a file of `dir` that holds a log is written, created or
/// replaced (compaction renames a new file over the old one, so the directory is
/// watched, not the files). `None` where the platform has no notifications to offer
/// (notify would fall back to polling, which the caller does anyway) or the watch
/// cannot be set up (e.g. the inotify watch limit is reached).
fn notify_on_logs(
    dir: &std::path::Path,
    wake: std::sync::mpsc::Sender<()>,
) -> Option<notify::RecommendedWatcher> {
    use notify::{EventKind, RecursiveMode, Watcher as _};
    use std::ffi::OsStr;

    if <notify::RecommendedWatcher as notify::Watcher>::kind() == notify::WatcherKind::PollWatcher {
        return None;
    }
    let logs = [
        OsStr::new(crate::SHARED_LOG),
        OsStr::new(crate::DIARY_LOG),
        OsStr::new(crate::release::RELEASE_FILE),
    ];
    let handler = move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else {
            // An overflowed queue or a watch that broke: check, to be safe.
            let _ = wake.send(());
            return;
        };
        // Opening and reading (our own checks do both) must not wake us.
        if matches!(event.kind, EventKind::Access(_)) {
            return;
        }
        if event
            .paths
            .iter()
            .any(|p| p.file_name().is_some_and(|n| logs.contains(&n)))
        {
            let _ = wake.send(());
        }
    };
    let mut watcher = match notify::recommended_watcher(handler) {
        Ok(w) => w,
        Err(e) => {
            tracing::info!(error = %e, "no file-change notifications; polling the logs");
            return None;
        }
    };
    if let Err(e) = watcher.watch(dir, RecursiveMode::NonRecursive) {
        tracing::info!(error = %e, "cannot watch the profile directory; polling the logs");
        return None;
    }
    Some(watcher)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use crate::{Device, DocKind, Event, Options};

    const PASS: &[u8] = b"correct horse battery staple";
    const WRITER_PROFILE: &str = "KINTSUGI_TEST_WRITER_PROFILE";
    const WRITER_TEXT: &str = "KINTSUGI_TEST_WRITER_TEXT";

    /// The second process of the test below: this same test binary, started again to
    /// run only this test. Writes one boundary to the profile it is given.
    #[test]
    #[ignore = "run by another_process_write_is_seen_without_waiting_for_the_poll"]
    fn writer_process() {
        let (Some(path), Some(text)) = (
            std::env::var_os(WRITER_PROFILE),
            std::env::var(WRITER_TEXT).ok(),
        ) else {
            return;
        };
        let d = Device::unlock(
            std::path::Path::new(&path),
            PASS,
            Options::INSECURE_FAST_FOR_TESTS,
        )
        .unwrap();
        d.propose_boundary(&text, None).unwrap();
    }

    fn write_from_another_process(path: &std::path::Path, text: &str) {
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--ignored", "--exact", "documents::tests::writer_process"])
            .args(["--test-threads=1", "--quiet"])
            .env(WRITER_PROFILE, path)
            .env(WRITER_TEXT, text)
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "the writer process failed: {status}");
    }

    /// With the poll an hour apart, only a file-change notification can bring another
    /// process's write to this one's subscribers within the test's patience.
    #[test]
    fn another_process_write_is_seen_without_waiting_for_the_poll() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p");
        let d = Device::create(&path, "Alex", PASS, Options::INSECURE_FAST_FOR_TESTS).unwrap();
        let mut events = d.subscribe();
        let _watch = d.watch(Duration::from_secs(3600));
        // Twice: the first write might have landed before the watcher's first check,
        // which would see it without any notification; the second cannot.
        for text in ["written elsewhere", "written elsewhere again"] {
            write_from_another_process(&path, text);
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                match events.try_recv() {
                    Ok(Event::Changed {
                        doc: DocKind::Shared,
                        local: false,
                    }) => break,
                    Ok(_) => {}
                    Err(tokio::sync::broadcast::error::TryRecvError::Empty) => {
                        assert!(
                            Instant::now() < deadline,
                            "another process's write was not seen (the poll is an hour away)"
                        );
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    Err(e) => panic!("{e}"),
                }
            }
            assert!(d.boundaries().unwrap().iter().any(|b| b.text == text));
        }
    }

    fn texts(d: &Device) -> Vec<String> {
        let mut t: Vec<String> = d
            .diary_entries()
            .unwrap()
            .into_iter()
            .map(|e| e.text)
            .collect();
        t.sort();
        t
    }

    /// The diary's cached lists follow every way the diary changes: this handle's
    /// writes, another handle's, and a shared-journal write in between (which must
    /// neither clear nor freeze them).
    #[test]
    fn cached_diary_lists_follow_every_change() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p");
        let d = Device::create(&path, "Alex", PASS, Options::INSECURE_FAST_FOR_TESTS).unwrap();
        let other = Device::unlock(&path, PASS, Options::INSECURE_FAST_FOR_TESTS).unwrap();
        assert!(texts(&d).is_empty());
        d.add_diary_entry("one", None, None).unwrap();
        assert_eq!(texts(&d), ["one"]);
        d.propose_boundary("a boundary", None).unwrap();
        assert_eq!(texts(&d), ["one"]);
        d.add_diary_entry("two", Some(2), None).unwrap();
        assert_eq!(texts(&d), ["one", "two"]);

        other.add_diary_entry("three", None, None).unwrap();
        d.refresh().unwrap();
        assert_eq!(texts(&d), ["one", "three", "two"]);

        assert!(d.drafts().unwrap().is_empty());
        let draft = d
            .draft_letter(kintsugi_journal::LetterKind::Apology, "t", "b")
            .unwrap();
        assert_eq!(d.drafts().unwrap()[0].id, draft);
        d.send_letter(&draft).unwrap();
        assert!(d.drafts().unwrap().is_empty());
        assert_eq!(texts(&d), ["one", "three", "two"]);
    }
}
