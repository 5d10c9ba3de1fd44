//! Opening and closing a profile: create, unlock, lock, and the passphrase that
//! guards it.

use std::path::Path;
use std::sync::{Arc, Mutex};

use kintsugi_journal::{PartnerId, PrivateDiary, SharedJournal};
use kintsugi_store::{KdfParams, Keyring, LogKind, Unlocked};
use tokio::sync::broadcast;

use crate::documents::{Inner, Lists};
use crate::tracked::Tracked;
use crate::{DIARY_LOG, Device, DeviceError, Event, Field, Result, SHARED_LOG, passphrase};

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

impl Options {
    /// The cheap Argon2id setting, for tests, benchmarks and fuzz targets only: a
    /// keyring made with it falls to brute force. The one place they all take it
    /// from; the binary reaches it only when built with its test-only feature.
    pub const INSECURE_FAST_FOR_TESTS: Options = Options {
        kdf: KdfParams::INSECURE_FAST,
    };
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
            return Err(DeviceError::bad_input(
                Field::Name,
                "the name must not be empty",
            ));
        }
        check_new_passphrase(passphrase, name)?;
        let device = Self::create_blank(dir, passphrase, options)?;
        device.set_name(name)?;
        Ok(device)
    }

    /// Creates a profile in `dir` that is to become another device of a person who
    /// has one already ([`Device::adopt`]): it writes nothing in either journal, not
    /// even a name, so that it takes the person's journals as they are.
    pub fn create_for_link(dir: &Path, passphrase: &[u8], options: Options) -> Result<Self> {
        check_new_passphrase(passphrase, "")?;
        Self::create_blank(dir, passphrase, options)
    }

    fn create_blank(dir: &Path, passphrase: &[u8], options: Options) -> Result<Self> {
        if Self::exists(dir) {
            return Err(kintsugi_store::StoreError::AlreadyExists(dir.to_path_buf()).into());
        }
        std::fs::create_dir_all(dir).map_err(|e| kintsugi_store::StoreError::Io {
            what: format!("creating {}", dir.display()),
            source: e,
        })?;
        restrict_permissions(dir);
        if dir.join(SHARED_LOG).exists() || dir.join(DIARY_LOG).exists() {
            return Err(DeviceError::OrphanFiles(dir.to_path_buf()));
        }
        let keyring = Keyring::generate()?;
        Tracked::<SharedJournal>::create(&dir.join(SHARED_LOG), keyring.log_key(LogKind::Shared))?;
        Tracked::<PrivateDiary>::create(&dir.join(DIARY_LOG), keyring.log_key(LogKind::Diary))?;
        Unlocked::create(dir, keyring, passphrase, options.kdf)?;
        let device = Self::unlock(dir, passphrase, options)?;
        device.init_settings()?;
        Ok(device)
    }

    /// Opens the profile in `dir`. A keyring sealed more cheaply than `options.kdf`
    /// (by an older version, or a test build's fast setting) is sealed again at that
    /// cost first, so a weak setting does not stay for good.
    pub fn unlock(dir: &Path, passphrase: &[u8], options: Options) -> Result<Self> {
        let mut keys = Unlocked::unlock(dir, passphrase)?;
        reseal_if_weaker(&mut keys, passphrase, options.kdf);
        // A release of history a crash interrupted: the old log or the new one.
        if kintsugi_store::finish_replacements(dir, &keys)? {
            keys.reload()?;
        }
        let me = partner_id_of(&keys.keyring)?;
        let shared = Tracked::open(&dir.join(SHARED_LOG), &keys.keyring)?;
        let diary = Tracked::open(&dir.join(DIARY_LOG), &keys.keyring)?;
        let (events, _) = broadcast::channel(256);
        let (changes, _) = tokio::sync::watch::channel(0);
        let (diary_changes, _) = tokio::sync::watch::channel(0);
        let device = Self {
            changes: Arc::new(changes),
            diary_changes: Arc::new(diary_changes),
            tap: Arc::new(Mutex::new(None)),
            inner: Arc::new(Mutex::new(Some(Inner {
                lists: Lists::default(),
                dir: dir.to_path_buf(),
                keys,
                me,
                shared,
                diary,
                options,
                release_seen: None,
                devices_seen: None,
            }))),
            events,
        };
        device.finish_release();
        Ok(device)
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

    /// Re-seals the keyring under a new passphrase, which must pass the same floor as
    /// a new profile's; a refused one changes nothing and the old one still opens.
    pub fn change_passphrase(&self, new_passphrase: &[u8]) -> Result<()> {
        check_new_passphrase(new_passphrase, &self.own_name()?)?;
        self.with(|i| {
            let kdf = i.options.kdf;
            Ok(i.keys.change_passphrase(new_passphrase, kdf)?)
        })
    }
}

/// The floor every new passphrase must pass; see [`passphrase_strength`].
pub(crate) fn check_new_passphrase(passphrase: &[u8], name: &str) -> Result<()> {
    if passphrase.is_empty() {
        return Err(DeviceError::bad_input(
            Field::Passphrase,
            "the passphrase must not be empty",
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

#[cfg(unix)]
fn restrict_permissions(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
}

#[cfg(not(unix))]
fn restrict_permissions(_dir: &Path) {}
