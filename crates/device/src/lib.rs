//! The application service that both front ends (CLI and desktop app) use.
//!
//! A [`Device`] is an unlocked profile: the keys, the two documents and their logs.
//! Every command validates, changes the document, and returns only after the change
//! is durably in the encrypted log. Front ends never see Automerge, files or keys;
//! they get plain entry types and a stream of [`Event`]s.

mod bundle;
mod error;
mod export;
mod network;
mod passphrase;
pub mod qr;
mod settings;
mod state_file;
mod tracked;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use kintsugi_store::{Keyring, Unlocked};
use tokio::sync::broadcast;

pub use error::{DeviceError, Result};
pub use export::{ExportFormat, ExportScope, format_time};
pub use kintsugi_journal as journal;
pub use kintsugi_journal::{
    Boundary, BoundaryStatus, CheckIn, CheckInInput, DiaryEntry, EntryKind, Letter, LetterDraft,
    LetterKind, Partner, PartnerId, Promise, PromiseOutcome, SharedEntry, StageProgress, Upserted,
};
use kintsugi_journal::{PrivateDiary, SharedJournal};
pub use kintsugi_net::{Invite, NetworkMode, Offer};
pub use kintsugi_store::KdfParams;
pub use kintsugi_store::Replace;
pub use network::{NetOverrides, Network, PartnerInfo, PendingPairing};
pub use passphrase::{MIN_PASSPHRASE_SCORE, PassphraseStrength, passphrase_strength};
pub use settings::{AUTO_LOCK_MINUTES, Settings};
use tracked::Tracked;

pub const SHARED_LOG: &str = kintsugi_store::LogKind::Shared.file_name();
pub const DIARY_LOG: &str = kintsugi_store::LogKind::Diary.file_name();

/// How a profile is opened.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Argon2id cost for new keyrings and passphrase changes, and the least a
    /// keyring is left at: one found sealed cheaper is re-sealed at this cost when it
    /// is unlocked. Only tests and benchmarks lower it, through an explicit setting
    /// (the binary has none unless built with its test-only feature).
    pub kdf: KdfParams,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            kdf: KdfParams::STRONG,
        }
    }
}

/// Which document an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    Shared,
    Diary,
}

/// What front ends subscribe to so they can redraw without polling the documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A document changed: by this process, or by another one on this device.
    Changed {
        doc: DocKind,
        local: bool,
    },
    /// The profile was locked; drop everything shown.
    Locked,
    /// Both people confirmed the codes; the partner is stored.
    Paired,
    /// The pairing ended (here, or the partner ended it).
    Unpaired,
    PartnerOnline,
    PartnerOffline,
    /// Bytes received from the partner in the current session.
    SyncProgress {
        bytes: u64,
    },
    /// Both devices hold the same shared journal.
    InSync,
}

/// Where a profile stands, for `status` and the home screen.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Status {
    pub profile: PathBuf,
    pub partner_id: String,
    pub name: Option<String>,
    pub paired: bool,
    pub partner_name: Option<String>,
    /// The partner device's endpoint id, shortened.
    pub partner_endpoint: Option<String>,
    /// When the two devices last held the same journal (Unix ms).
    pub last_sync: Option<i64>,
    pub boundaries: usize,
    pub checkins: usize,
    pub letters: usize,
    pub drafts: usize,
    pub promises: usize,
    pub diary_entries: usize,
    pub shared_entries: usize,
    /// Interrupted writes found at open (they were never reported as saved).
    pub warnings: Vec<String>,
}

/// Typed lists of the shared journal, valid for the heads they were read at. A UI
/// frame asks for the same list many times between changes; reading 10,000 entries
/// out of Automerge costs tens of milliseconds, a copy of the cached list about one.
#[derive(Default)]
struct Lists {
    heads: Vec<automerge::ChangeHash>,
    boundaries: Option<Vec<Boundary>>,
    checkins: Option<Vec<CheckIn>>,
    letters: Option<Vec<Letter>>,
    promises: Option<Vec<Promise>>,
    shared: Option<Vec<SharedEntry>>,
    stages: Option<Vec<StageProgress>>,
}

struct Inner {
    lists: Lists,
    dir: PathBuf,
    keys: Unlocked,
    me: PartnerId,
    shared: Tracked<SharedJournal>,
    diary: Tracked<PrivateDiary>,
    options: Options,
}

/// A cheap, cloneable handle on an unlocked profile.
#[derive(Clone)]
pub struct Device {
    inner: Arc<Mutex<Option<Inner>>>,
    events: broadcast::Sender<Event>,
    /// Ticks on every change of the shared journal; the sync session waits on it.
    changes: Arc<tokio::sync::watch::Sender<u64>>,
    /// Diagnostics: sees every decrypted sync payload before it is applied.
    tap: Arc<Mutex<Option<PayloadTap>>>,
}

/// A function shown each decrypted sync payload, see [`Device::tap_sync_payloads`].
pub type PayloadTap = Box<dyn Fn(&[u8]) + Send>;

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device").finish_non_exhaustive()
    }
}

/// The seven stages' short names (DESIGN.md §1), 1-based.
pub fn stage_name(stage: u8) -> &'static str {
    match stage {
        1 => "Acknowledge",
        2 => "Take responsibility",
        3 => "Honest communication",
        4 => "Clear boundaries",
        5 => "Patience and consistency",
        6 => "Forgive and release",
        7 => "Reconnect",
        _ => "Unknown stage",
    }
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn partner_id_of(keyring: &Keyring) -> Result<PartnerId> {
    let hex: String = keyring
        .partner_id
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(PartnerId::parse(&hex)?)
}

impl Device {
    /// Whether `dir` holds a profile (a keyring).
    pub fn exists(dir: &Path) -> bool {
        dir.join(kintsugi_store::KEYRING_FILE).exists()
    }

    /// Creates a profile in `dir`. The documents are written before the keyring, so
    /// an interrupted setup never leaves a keyring that points at nothing.
    pub fn create(dir: &Path, name: &str, passphrase: &[u8], options: Options) -> Result<Self> {
        if Self::exists(dir) {
            return Err(kintsugi_store::StoreError::AlreadyExists(dir.to_path_buf()).into());
        }
        if name.trim().is_empty() {
            return Err(DeviceError::Invalid("the name must not be empty".into()));
        }
        check_new_passphrase(passphrase, name)?;
        std::fs::create_dir_all(dir).map_err(|e| kintsugi_store::StoreError::Io {
            what: format!("creating {}", dir.display()),
            source: e,
        })?;
        restrict_permissions(dir);
        if dir.join(SHARED_LOG).exists() || dir.join(DIARY_LOG).exists() {
            return Err(DeviceError::OrphanFiles(dir.to_path_buf()));
        }
        let keyring = Keyring::generate()?;
        Tracked::<SharedJournal>::create(&dir.join(SHARED_LOG), &keyring.profile_key)?;
        Tracked::<PrivateDiary>::create(&dir.join(DIARY_LOG), &keyring.profile_key)?;
        Unlocked::create(dir, keyring, passphrase, options.kdf)?;
        let device = Self::unlock(dir, passphrase, options)?;
        device.init_settings()?;
        device.set_name(name)?;
        Ok(device)
    }

    /// Opens the profile in `dir`. A keyring sealed more cheaply than `options.kdf`
    /// (by an older version, or a test build's fast setting) is sealed again at that
    /// cost first, so a weak setting does not stay for good.
    pub fn unlock(dir: &Path, passphrase: &[u8], options: Options) -> Result<Self> {
        let mut keys = Unlocked::unlock(dir, passphrase)?;
        reseal_if_weaker(&mut keys, passphrase, options.kdf);
        let me = partner_id_of(&keys.keyring)?;
        let key = keys.keyring.profile_key.clone();
        let shared = Tracked::open(&dir.join(SHARED_LOG), &key)?;
        let diary = Tracked::open(&dir.join(DIARY_LOG), &key)?;
        let (events, _) = broadcast::channel(256);
        let (changes, _) = tokio::sync::watch::channel(0);
        Ok(Self {
            changes: Arc::new(changes),
            tap: Arc::new(Mutex::new(None)),
            inner: Arc::new(Mutex::new(Some(Inner {
                lists: Lists::default(),
                dir: dir.to_path_buf(),
                keys,
                me,
                shared,
                diary,
                options,
            }))),
            events,
        })
    }

    /// Opens a profile that [`Device::unlock`] reported as rolled back
    /// ([`DeviceError::is_rollback`]), after making its files as they are now its
    /// state: for a person who put back an older copy on purpose, or who decides to go
    /// on from what is left. Returns one line per file that was behind, for the front
    /// end to show. Damage is still refused (nothing that authenticates is deleted).
    /// The shared journal's lost entries come back from the partner at the next sync;
    /// the private diary's do not. An older keyring accepted this way is in force with
    /// what it held: a couple key ended by unpairing, a passphrase since changed.
    pub fn accept_rollback(
        dir: &Path,
        passphrase: &[u8],
        options: Options,
    ) -> Result<(Self, Vec<String>)> {
        let accepted = kintsugi_store::accept_rollback(dir, passphrase)?;
        let device = Self::unlock(dir, passphrase, options)?;
        Ok((device, accepted.iter().map(|a| a.to_string()).collect()))
    }

    /// Forgets the keys and the documents. Every clone of this handle is locked too.
    pub fn lock(&self) {
        if let Ok(mut g) = self.inner.lock() {
            g.take();
        }
        let _ = self.events.send(Event::Locked);
    }

    pub fn is_locked(&self) -> bool {
        self.inner.lock().map(|g| g.is_none()).unwrap_or(true)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    fn with<R>(&self, f: impl FnOnce(&mut Inner) -> Result<R>) -> Result<R> {
        let mut guard: MutexGuard<'_, Option<Inner>> = self.inner.lock().map_err(|_| {
            DeviceError::Invalid("the profile is unavailable after an earlier failure".into())
        })?;
        match guard.as_mut() {
            Some(inner) => f(inner),
            None => Err(DeviceError::Invalid("the profile is locked".into())),
        }
    }

    fn emit(&self, doc: DocKind, local: bool) {
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
    fn reset_shared(&self) -> Result<()> {
        self.with(|i| i.shared.reset())?;
        self.emit(DocKind::Shared, true);
        Ok(())
    }

    fn write_shared<R>(
        &self,
        f: impl FnOnce(&mut SharedJournal, &PartnerId, i64) -> kintsugi_journal::Result<R>,
    ) -> Result<R> {
        let (value, changed) = self.with(|i| {
            let me = i.me.clone();
            i.shared.write(|doc| f(doc, &me, now_ms()))
        })?;
        if changed {
            self.emit(DocKind::Shared, true);
        }
        Ok(value)
    }

    fn write_diary<R>(
        &self,
        f: impl FnOnce(&mut PrivateDiary, &PartnerId, i64) -> kintsugi_journal::Result<R>,
    ) -> Result<R> {
        let (value, changed) = self.with(|i| {
            let me = i.me.clone();
            i.diary.write(|doc| f(doc, &me, now_ms()))
        })?;
        if changed {
            self.emit(DocKind::Diary, true);
        }
        Ok(value)
    }

    fn read_shared<R>(&self, f: impl FnOnce(&SharedJournal, &PartnerId) -> R) -> Result<R> {
        self.with(|i| Ok(f(&i.shared.doc, &i.me)))
    }

    /// A shared-journal list from the cache, read afresh only when the document's
    /// heads moved since it was cached.
    fn cached<T: Clone>(
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

    fn read_diary<R>(&self, f: impl FnOnce(&PrivateDiary, &PartnerId) -> R) -> Result<R> {
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

    /// Re-seals the keyring under a new passphrase, which must pass the same floor as
    /// a new profile's; a refused one changes nothing and the old one still opens.
    pub fn change_passphrase(&self, new_passphrase: &[u8]) -> Result<()> {
        check_new_passphrase(new_passphrase, &self.own_name()?)?;
        self.with(|i| {
            let kdf = i.options.kdf;
            Ok(i.keys.change_passphrase(new_passphrase, kdf)?)
        })
    }

    /// The name this person gave themselves, or "" before they set one.
    fn own_name(&self) -> Result<String> {
        self.read_shared(|s, me| {
            s.partners()
                .into_iter()
                .find(|p| &p.id == me)
                .map(|p| p.name)
                .unwrap_or_default()
        })
    }

    pub fn status(&self) -> Result<Status> {
        let (me, dir, paired, warnings) = self.with(|i| {
            let mut warnings = Vec::new();
            for (name, torn) in [("shared journal", i.shared.torn), ("private diary", i.diary.torn)] {
                if let Some(t) = torn {
                    warnings.push(format!(
                        "the last write to the {name} was interrupted ({} bytes); it was never reported as saved and will be cleared at the next write",
                        t.bytes
                    ));
                }
            }
            Ok((i.me.clone(), i.dir.clone(), i.keys.keyring.pairing.is_some(), warnings))
        })?;
        let (name, partner_name, boundaries, checkins, letters, promises, shared_entries) = self
            .read_shared(|s, me| {
                let partners = s.partners();
                let name = partners
                    .iter()
                    .find(|p| &p.id == me)
                    .map(|p| p.name.clone());
                let partner_name = partners
                    .iter()
                    .find(|p| &p.id != me)
                    .map(|p| p.name.clone());
                (
                    name,
                    partner_name,
                    s.boundaries().len(),
                    s.checkins().len(),
                    s.letters().len(),
                    s.promises().len(),
                    s.shared_entries().len(),
                )
            })?;
        let (diary_entries, drafts) =
            self.read_diary(|d, _| (d.entries().len(), d.drafts().len()))?;
        let partner = self.partner()?;
        let partner_name = partner_name.or_else(|| partner.as_ref().and_then(|p| p.name.clone()));
        Ok(Status {
            partner_endpoint: partner
                .as_ref()
                .map(|p| p.endpoint.chars().take(10).collect()),
            last_sync: partner.as_ref().and_then(|p| p.last_sync),
            profile: dir,
            partner_id: me.to_string(),
            name,
            paired,
            partner_name,
            boundaries,
            checkins,
            letters,
            drafts,
            promises,
            diary_entries,
            shared_entries,
            warnings,
        })
    }

    // --- partners -------------------------------------------------------------

    pub fn set_name(&self, name: &str) -> Result<()> {
        self.write_shared(|s, me, now| s.set_partner_name(me, name, now))
    }

    pub fn partners(&self) -> Result<Vec<Partner>> {
        self.read_shared(|s, _| s.partners())
    }

    // --- boundaries -----------------------------------------------------------

    pub fn propose_boundary(&self, text: &str, category: Option<&str>) -> Result<String> {
        self.write_shared(|s, me, now| s.propose_boundary(me, text, category, now))
    }

    fn resolve_shared(&self, prefix: &str, expected: EntryKind) -> Result<String> {
        expect_kind(self.read_shared(|s, _| s.resolve(prefix))??, expected)
    }

    fn resolve_diary(&self, prefix: &str, expected: EntryKind) -> Result<String> {
        expect_kind(self.read_diary(|d, _| d.resolve(prefix))??, expected)
    }

    pub fn agree_boundary(&self, id: &str) -> Result<Boundary> {
        let id = self.resolve_shared(id, EntryKind::Boundary)?;
        self.write_shared(|s, me, now| s.agree_boundary(me, &id, now))?;
        self.boundary(&id)
    }

    pub fn revisit_boundary(&self, id: &str) -> Result<Boundary> {
        let id = self.resolve_shared(id, EntryKind::Boundary)?;
        self.write_shared(|s, me, now| s.revisit_boundary(me, &id, now))?;
        self.boundary(&id)
    }

    pub fn retire_boundary(&self, id: &str) -> Result<Boundary> {
        let id = self.resolve_shared(id, EntryKind::Boundary)?;
        self.write_shared(|s, me, now| s.retire_boundary(me, &id, now))?;
        self.boundary(&id)
    }

    pub fn boundary(&self, id: &str) -> Result<Boundary> {
        Ok(self.read_shared(|s, _| s.get_boundary(id))??)
    }

    pub fn boundaries(&self) -> Result<Vec<Boundary>> {
        self.cached(|l| &mut l.boundaries, |s| s.boundaries())
    }

    // --- check-ins ------------------------------------------------------------

    /// Saves this week's check-in; a second one in the same week updates the first.
    pub fn save_checkin(&self, input: &CheckInInput) -> Result<Upserted> {
        self.write_shared(|s, me, now| s.upsert_checkin(me, input, now))
    }

    pub fn checkins(&self) -> Result<Vec<CheckIn>> {
        self.cached(|l| &mut l.checkins, |s| s.checkins())
    }

    // --- letters --------------------------------------------------------------

    pub fn draft_letter(&self, kind: LetterKind, title: &str, body: &str) -> Result<String> {
        self.write_diary(|d, me, now| d.add_draft(me, kind, title, body, now))
    }

    pub fn drafts(&self) -> Result<Vec<LetterDraft>> {
        self.read_diary(|d, _| d.drafts())
    }

    /// Copies a private draft into the shared journal, then removes the draft. The
    /// letter is durable in the shared log before the draft is removed, so a crash in
    /// between leaves the draft behind, never a lost letter; sending it again is a
    /// no-op that only removes the draft.
    pub fn send_letter(&self, draft_id: &str) -> Result<String> {
        let id = self.resolve_diary(draft_id, EntryKind::Draft)?;
        let draft = self.read_diary(|d, _| d.get_draft(&id))??;
        let sent = self.write_shared(|s, me, now| s.send_letter(me, &draft, now))?;
        self.write_diary(|d, _, now| d.remove_draft(&id, now))?;
        Ok(sent)
    }

    /// Returns the letter; if I am its recipient, records that I read it.
    pub fn read_letter(&self, id: &str) -> Result<Letter> {
        let id = self.resolve_shared(id, EntryKind::Letter)?;
        let letter = self.read_shared(|s, _| s.get_letter(&id))??;
        let me = self.me()?;
        if letter.author != me && letter.read_at.is_none() {
            self.write_shared(|s, me, now| s.mark_letter_read(me, &id, now))?;
            return Ok(self.read_shared(|s, _| s.get_letter(&id))??);
        }
        Ok(letter)
    }

    pub fn letters(&self) -> Result<Vec<Letter>> {
        self.cached(|l| &mut l.letters, |s| s.letters())
    }

    // --- promises -------------------------------------------------------------

    pub fn add_promise(&self, text: &str, due: &str) -> Result<String> {
        let due = kintsugi_journal::parse_date(due)?;
        self.write_shared(|s, me, now| s.add_promise(me, text, due, now))
    }

    pub fn set_promise_outcome(&self, id: &str, outcome: PromiseOutcome) -> Result<Promise> {
        let id = self.resolve_shared(id, EntryKind::Promise)?;
        self.write_shared(|s, me, now| s.set_promise_outcome(me, &id, outcome, now))?;
        Ok(self.read_shared(|s, _| s.get_promise(&id))??)
    }

    pub fn promises(&self) -> Result<Vec<Promise>> {
        self.cached(|l| &mut l.promises, |s| s.promises())
    }

    // --- private diary --------------------------------------------------------

    pub fn add_diary_entry(
        &self,
        text: &str,
        mood: Option<u8>,
        stage: Option<u8>,
    ) -> Result<String> {
        self.write_diary(|d, me, now| d.add_entry(me, text, mood, stage, now))
    }

    pub fn diary_entries(&self) -> Result<Vec<DiaryEntry>> {
        self.read_diary(|d, _| d.entries())
    }

    /// Copies a private diary entry into the shared journal. Front ends must warn
    /// first: once shared, the partner keeps a copy that this device cannot take back.
    pub fn share_diary_entry(&self, id: &str) -> Result<String> {
        let id = self.resolve_diary(id, EntryKind::DiaryEntry)?;
        let entry = self.read_diary(|d, _| d.get_entry(&id))??;
        self.write_shared(|s, me, now| s.share_diary_entry(me, &entry, now))
    }

    pub fn shared_entries(&self) -> Result<Vec<SharedEntry>> {
        self.cached(|l| &mut l.shared, |s| s.shared_entries())
    }

    // --- stages ---------------------------------------------------------------

    pub fn set_stage(&self, stage: u8, done: bool, note: Option<&str>) -> Result<()> {
        self.write_shared(|s, me, now| s.set_stage(me, stage, done, note, now))
    }

    pub fn stages(&self) -> Result<Vec<StageProgress>> {
        self.cached(|l| &mut l.stages, |s| s.stages())
    }

    // --- export ---------------------------------------------------------------

    /// The journal in a readable or standard form. The result is plaintext: the
    /// front end shows it or writes it only where the person asked.
    pub fn export(&self, format: ExportFormat, scope: ExportScope) -> Result<Vec<u8>> {
        export::export(self, format, scope)
    }

    /// Writes an export to `path` for its owner alone (mode 0600), never replacing an
    /// existing file unless `replace` says so.
    pub fn export_to(
        &self,
        path: &Path,
        format: ExportFormat,
        scope: ExportScope,
        replace: Replace,
    ) -> Result<()> {
        let bytes = zeroize::Zeroizing::new(self.export(format, scope)?);
        Ok(kintsugi_store::write_private_file(path, &bytes, replace)?)
    }

    /// The shared journal as a standard Automerge file.
    pub fn shared_automerge_bytes(&self) -> Result<Vec<u8>> {
        self.with(|i| Ok(i.shared.doc.save()))
    }
}

/// The floor every new passphrase must pass; see [`passphrase_strength`].
fn check_new_passphrase(passphrase: &[u8], name: &str) -> Result<()> {
    if passphrase.is_empty() {
        return Err(DeviceError::Invalid(
            "the passphrase must not be empty".into(),
        ));
    }
    let strength = passphrase::strength_of_bytes(passphrase, name);
    if !strength.acceptable {
        return Err(DeviceError::WeakPassphrase(strength));
    }
    Ok(())
}

/// Seals a keyring found cheaper than `kdf` again at `kdf`. The profile opens either
/// way: a failure (a full disk, a read-only folder) is logged, and the next unlock
/// tries again.
fn reseal_if_weaker(keys: &mut Unlocked, passphrase: &[u8], kdf: KdfParams) {
    let found = keys.params();
    if !found.weaker_than(&kdf) {
        return;
    }
    match keys.reseal(passphrase, kdf) {
        Ok(true) => tracing::info!(
            from_m_cost = found.m_cost,
            from_t_cost = found.t_cost,
            to_m_cost = kdf.m_cost,
            to_t_cost = kdf.t_cost,
            "re-sealed a keyring found below the standard passphrase hardening"
        ),
        Ok(false) => tracing::info!(
            "the keyring was rewritten by another process while unlocking; re-sealing it is left to the next unlock"
        ),
        Err(e) => tracing::warn!(
            error = %e,
            "could not re-seal the keyring at the standard passphrase hardening; the next unlock tries again"
        ),
    }
}

/// An id resolved from a prefix, checked to name the kind of entry a command acts on.
fn expect_kind((found, id): (EntryKind, String), expected: EntryKind) -> Result<String> {
    if found != expected {
        return Err(kintsugi_journal::JournalError::WrongKind {
            id,
            expected,
            found,
        }
        .into());
    }
    Ok(id)
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

#[cfg(unix)]
fn restrict_permissions(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
}

#[cfg(not(unix))]
fn restrict_permissions(_dir: &Path) {}

#[cfg(test)]
mod tests;
