//! The keyring: the only file sealed under the passphrase. Everything else in a
//! profile is sealed under the random profile key it holds, so changing the
//! passphrase rewrites this one small file and nothing else.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use kintsugi_crypto::{
    KdfParams, Secret32, derive_passphrase_key, open, random_array, seal, sha256,
};
use zeroize::{Zeroize, Zeroizing};

use crate::{StoreError, atomic_write};

pub const KEYRING_FILE: &str = "keyring";
/// Held (an exclusive lock, no content) while the keyring is rewritten, so that an
/// unlock re-sealing a weak keyring cannot undo another process's change to it.
pub const KEYRING_LOCK_FILE: &str = "keyring.lock";
const MAGIC: &[u8; 8] = b"KTSGKRNG";
const VERSION: u16 = 1;
const HEADER_LEN: usize = 8 + 2 + 12 + 16;
const PLAIN_VERSION: u8 = 1;
const PLAIN_LEN: usize = 1 + 32 + 32 + 16 + 1 + 32 + 32;

/// The pairing half of the keyring: present only after both people confirmed the
/// authentication string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pairing {
    pub couple_key: Secret32,
    /// The partner's iroh endpoint id (an Ed25519 public key).
    pub partner_endpoint: [u8; 32],
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keyring {
    /// Seed of this device's iroh identity.
    pub device_secret: Secret32,
    /// Seals the document logs and every other file of the profile.
    pub profile_key: Secret32,
    /// Who "I" am in the shared journal; random, so it reveals nothing about the device.
    pub partner_id: [u8; 16],
    pub pairing: Option<Pairing>,
}

impl Keyring {
    pub fn generate() -> Result<Self, StoreError> {
        Ok(Self {
            device_secret: Secret32::random()?,
            profile_key: Secret32::random()?,
            partner_id: random_array()?,
            pairing: None,
        })
    }

    fn encode(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(PLAIN_LEN));
        out.push(PLAIN_VERSION);
        out.extend_from_slice(self.device_secret.expose());
        out.extend_from_slice(self.profile_key.expose());
        out.extend_from_slice(&self.partner_id);
        match &self.pairing {
            Some(p) => {
                out.push(1);
                out.extend_from_slice(p.couple_key.expose());
                out.extend_from_slice(&p.partner_endpoint);
            }
            None => {
                out.push(0);
                out.extend_from_slice(&[0u8; 64]);
            }
        }
        out
    }

    fn decode(bytes: &[u8], path: &Path) -> Result<Self, StoreError> {
        let damaged = || StoreError::KeyringDamaged(path.to_path_buf());
        if bytes.len() != PLAIN_LEN || bytes[0] != PLAIN_VERSION {
            return Err(damaged());
        }
        let secret = |at: usize| Secret32::from_slice(&bytes[at..at + 32]).ok_or_else(damaged);
        let mut partner_id = [0u8; 16];
        partner_id.copy_from_slice(&bytes[65..81]);
        let pairing = match bytes[81] {
            0 => None,
            1 => {
                let mut partner_endpoint = [0u8; 32];
                partner_endpoint.copy_from_slice(&bytes[114..146]);
                Some(Pairing {
                    couple_key: secret(82)?,
                    partner_endpoint,
                })
            }
            _ => return Err(damaged()),
        };
        Ok(Self {
            device_secret: secret(1)?,
            profile_key: secret(33)?,
            partner_id,
            pairing,
        })
    }
}

/// An unlocked profile's keys. It keeps the passphrase-derived key (never the
/// passphrase) so that pairing changes can re-seal the keyring without asking again.
pub struct Unlocked {
    path: PathBuf,
    pub keyring: Keyring,
    pass_key: Secret32,
    params: KdfParams,
    salt: [u8; 16],
    /// The trailing SHA-256 of the file as this handle last read or wrote it: tells
    /// [`Unlocked::reseal`] whether another process has rewritten it since.
    sum: [u8; 32],
}

impl std::fmt::Debug for Unlocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Unlocked")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Unlocked {
    /// Seals a new keyring into `dir`. Refuses to overwrite an existing one: losing a
    /// keyring loses every entry of the profile.
    pub fn create(
        dir: &Path,
        keyring: Keyring,
        passphrase: &[u8],
        params: KdfParams,
    ) -> Result<Self, StoreError> {
        let path = dir.join(KEYRING_FILE);
        if path.exists() {
            return Err(StoreError::AlreadyExists(dir.to_path_buf()));
        }
        let salt = random_array()?;
        let pass_key = derive_passphrase_key(passphrase, &salt, params)?;
        let mut this = Self {
            path,
            keyring,
            pass_key,
            params,
            salt,
            sum: [0; 32],
        };
        this.save()?;
        Ok(this)
    }

    pub fn unlock(dir: &Path, passphrase: &[u8]) -> Result<Self, StoreError> {
        let path = dir.join(KEYRING_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::NoProfile(dir.to_path_buf()));
            }
            Err(e) => return Err(StoreError::io(format!("reading {}", path.display()))(e)),
        };
        let (params, salt, sealed, header) = parse_file(&bytes, &path)?;
        let pass_key = derive_passphrase_key(passphrase, &salt, params)?;
        let plain = open(&pass_key, header, sealed).map_err(|_| StoreError::WrongPassphrase)?;
        let keyring = Keyring::decode(&plain, &path)?;
        Ok(Self {
            path,
            keyring,
            pass_key,
            params,
            salt,
            sum: trailing_sum(&bytes),
        })
    }

    /// Re-derives the passphrase key with a fresh salt and re-seals only the keyring;
    /// the logs are under the profile key and stay as they are.
    pub fn change_passphrase(
        &mut self,
        new_passphrase: &[u8],
        params: KdfParams,
    ) -> Result<(), StoreError> {
        let salt = random_array()?;
        let pass_key = derive_passphrase_key(new_passphrase, &salt, params)?;
        let _lock = self.lock()?;
        self.install(pass_key, params, salt)
    }

    /// Seals the keyring again, with the same passphrase, at `params`: how a keyring
    /// made at a cheaper setting (by an older version, or a test build) reaches the
    /// standard one. `passphrase` must be the one this handle was unlocked with; it
    /// is checked first, because sealing under any other would lock the person out.
    ///
    /// Returns `Ok(false)`, changing nothing, when another process has rewritten the
    /// file since this handle read it (a new passphrase, a pairing): writing this
    /// handle's copy would undo that change, and the next unlock sees the new file.
    /// The write is the same atomic replacement a passphrase change makes, so a crash
    /// leaves the old keyring or the new one, both openable with the passphrase.
    pub fn reseal(&mut self, passphrase: &[u8], params: KdfParams) -> Result<bool, StoreError> {
        if derive_passphrase_key(passphrase, &self.salt, self.params)? != self.pass_key {
            return Err(StoreError::WrongPassphrase);
        }
        let salt = random_array()?;
        let pass_key = derive_passphrase_key(passphrase, &salt, params)?;
        let _lock = self.lock()?;
        let on_disk = std::fs::read(&self.path)
            .map_err(StoreError::io(format!("reading {}", self.path.display())))?;
        if trailing_sum(&on_disk) != self.sum {
            return Ok(false);
        }
        self.install(pass_key, params, salt)?;
        Ok(true)
    }

    /// Seals under a new passphrase key; on failure this handle keeps the old one,
    /// which still matches the file on disk.
    fn install(
        &mut self,
        pass_key: Secret32,
        params: KdfParams,
        salt: [u8; 16],
    ) -> Result<(), StoreError> {
        let old = (
            std::mem::replace(&mut self.pass_key, pass_key),
            self.params,
            self.salt,
        );
        self.params = params;
        self.salt = salt;
        if let Err(e) = self.write() {
            (self.pass_key, self.params, self.salt) = old;
            return Err(e);
        }
        Ok(())
    }

    /// Replaces the pairing (or removes it) and re-seals.
    pub fn set_pairing(&mut self, pairing: Option<Pairing>) -> Result<(), StoreError> {
        let old = std::mem::replace(&mut self.keyring.pairing, pairing);
        if let Err(e) = self.save() {
            self.keyring.pairing = old;
            return Err(e);
        }
        Ok(())
    }

    /// The Argon2id costs the keyring on disk is sealed with (as this handle last
    /// read or wrote it).
    pub fn params(&self) -> KdfParams {
        self.params
    }

    /// Takes the keyring's writer lock; it is released when the file is dropped.
    fn lock(&self) -> Result<File, StoreError> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let path = dir.join(KEYRING_LOCK_FILE);
        let mut opts = OpenOptions::new();
        opts.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let f = opts
            .open(&path)
            .map_err(StoreError::io(format!("opening {}", path.display())))?;
        f.lock()
            .map_err(StoreError::io(format!("locking {}", path.display())))?;
        Ok(f)
    }

    fn save(&mut self) -> Result<(), StoreError> {
        let _lock = self.lock()?;
        self.write()
    }

    /// Writes the keyring; the caller holds the lock.
    fn write(&mut self) -> Result<(), StoreError> {
        let mut out = Vec::with_capacity(HEADER_LEN + PLAIN_LEN + 80);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&self.params.m_cost.to_le_bytes());
        out.extend_from_slice(&self.params.t_cost.to_le_bytes());
        out.extend_from_slice(&self.params.p_cost.to_le_bytes());
        out.extend_from_slice(&self.salt);
        let plain = self.keyring.encode();
        let sealed = seal(&self.pass_key, &out[..HEADER_LEN], &plain)?;
        out.extend_from_slice(&sealed);
        let sum = sha256(&[&out]);
        out.extend_from_slice(&sum);
        atomic_write(&self.path, &out)?;
        self.sum = sum;
        Ok(())
    }
}

/// The last 32 bytes of a keyring file (its SHA-256), or zeros for a file too short
/// to have them.
fn trailing_sum(bytes: &[u8]) -> [u8; 32] {
    let mut sum = [0u8; 32];
    if let Some(tail) = bytes.len().checked_sub(32).map(|at| &bytes[at..]) {
        sum.copy_from_slice(tail);
    }
    sum
}

type Parsed<'a> = (KdfParams, [u8; 16], &'a [u8], &'a [u8]);

/// Splits a keyring file. The trailing SHA-256 is not a security measure (an attacker
/// can recompute it); it lets us tell a damaged file from a wrong passphrase.
fn parse_file<'a>(bytes: &'a [u8], path: &Path) -> Result<Parsed<'a>, StoreError> {
    let damaged = || StoreError::KeyringDamaged(path.to_path_buf());
    if bytes.len() < 8 || &bytes[..8] != MAGIC {
        return Err(StoreError::BadMagic {
            path: path.to_path_buf(),
            what: "keyring",
        });
    }
    if bytes.len() < HEADER_LEN + 32 + kintsugi_crypto::SEAL_OVERHEAD {
        return Err(damaged());
    }
    let (body, sum) = bytes.split_at(bytes.len() - 32);
    if sha256(&[body]) != sum {
        return Err(damaged());
    }
    let version = u16::from_le_bytes([body[8], body[9]]);
    if version != VERSION {
        return Err(StoreError::UnsupportedVersion {
            path: path.to_path_buf(),
            found: version,
        });
    }
    let u32_at =
        |at: usize| u32::from_le_bytes([body[at], body[at + 1], body[at + 2], body[at + 3]]);
    let params = KdfParams {
        m_cost: u32_at(10),
        t_cost: u32_at(14),
        p_cost: u32_at(18),
    };
    params.validate().map_err(|_| damaged())?;
    let mut salt = [0u8; 16];
    salt.copy_from_slice(&body[22..38]);
    Ok((params, salt, &body[HEADER_LEN..], &body[..HEADER_LEN]))
}

impl Drop for Unlocked {
    fn drop(&mut self) {
        self.salt.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: KdfParams = KdfParams::INSECURE_FAST;

    #[test]
    fn create_unlock_and_change_passphrase() {
        let dir = tempfile::tempdir().unwrap();
        let kr = Keyring::generate().unwrap();
        Unlocked::create(dir.path(), kr.clone(), b"one", P).unwrap();
        assert!(matches!(
            Unlocked::create(dir.path(), kr.clone(), b"one", P),
            Err(StoreError::AlreadyExists(_))
        ));
        let mut u = Unlocked::unlock(dir.path(), b"one").unwrap();
        assert_eq!(u.keyring, kr);
        assert!(matches!(
            Unlocked::unlock(dir.path(), b"two"),
            Err(StoreError::WrongPassphrase)
        ));
        u.change_passphrase(b"two", P).unwrap();
        assert!(Unlocked::unlock(dir.path(), b"one").is_err());
        assert_eq!(Unlocked::unlock(dir.path(), b"two").unwrap().keyring, kr);
    }

    #[test]
    fn reseal_raises_the_cost_and_keeps_passphrase_and_keys() {
        let dir = tempfile::tempdir().unwrap();
        let kr = Keyring::generate().unwrap();
        let mut u = Unlocked::create(dir.path(), kr.clone(), b"one", P).unwrap();
        let higher = KdfParams { m_cost: 16, ..P };
        assert!(matches!(
            u.reseal(b"two", higher),
            Err(StoreError::WrongPassphrase)
        ));
        assert_eq!(Unlocked::unlock(dir.path(), b"one").unwrap().params(), P);
        assert!(u.reseal(b"one", higher).unwrap());
        assert_eq!(u.params(), higher);
        let again = Unlocked::unlock(dir.path(), b"one").unwrap();
        assert_eq!((again.params(), &again.keyring), (higher, &kr));
        // The handle follows its own write: a second re-seal is not refused as stale.
        assert!(u.reseal(b"one", P).unwrap());
    }

    #[test]
    fn reseal_leaves_a_keyring_another_handle_rewrote() {
        let dir = tempfile::tempdir().unwrap();
        let mut stale =
            Unlocked::create(dir.path(), Keyring::generate().unwrap(), b"one", P).unwrap();
        let mut other = Unlocked::unlock(dir.path(), b"one").unwrap();
        other.change_passphrase(b"two", P).unwrap();
        let before = std::fs::read(dir.path().join(KEYRING_FILE)).unwrap();
        assert!(!stale.reseal(b"one", KdfParams { m_cost: 16, ..P }).unwrap());
        assert_eq!(
            std::fs::read(dir.path().join(KEYRING_FILE)).unwrap(),
            before
        );
        assert!(Unlocked::unlock(dir.path(), b"two").is_ok());
    }

    #[test]
    fn pairing_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let mut u = Unlocked::create(dir.path(), Keyring::generate().unwrap(), b"p", P).unwrap();
        let pairing = Pairing {
            couple_key: Secret32::from_bytes([9; 32]),
            partner_endpoint: [4; 32],
        };
        u.set_pairing(Some(pairing.clone())).unwrap();
        assert_eq!(
            Unlocked::unlock(dir.path(), b"p").unwrap().keyring.pairing,
            Some(pairing)
        );
    }

    #[test]
    fn every_flipped_byte_is_detected_and_file_untouched() {
        let dir = tempfile::tempdir().unwrap();
        Unlocked::create(dir.path(), Keyring::generate().unwrap(), b"p", P).unwrap();
        let path = dir.path().join(KEYRING_FILE);
        let good = std::fs::read(&path).unwrap();
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0x20;
            std::fs::write(&path, &bad).unwrap();
            let err = Unlocked::unlock(dir.path(), b"p").unwrap_err();
            assert!(
                matches!(
                    err,
                    StoreError::KeyringDamaged(_) | StoreError::BadMagic { .. }
                ),
                "byte {i}: {err}"
            );
            assert_eq!(std::fs::read(&path).unwrap(), bad);
        }
        for len in 0..good.len() {
            std::fs::write(&path, &good[..len]).unwrap();
            assert!(Unlocked::unlock(dir.path(), b"p").is_err());
        }
    }
}
