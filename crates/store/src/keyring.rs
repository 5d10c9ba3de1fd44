//! The keyring: the only file sealed under the passphrase. Everything else in a
//! profile is sealed under the random profile key it holds, so changing the
//! passphrase rewrites this one small file and nothing else.
//!
//! Every write gives it a higher generation (in its header), which the profile's
//! manifest records: an older keyring put back (one that still holds a couple key
//! after unpairing, or opens with a passphrase since changed) is reported at unlock.

use std::path::{Path, PathBuf};

use kintsugi_crypto::{
    KdfParams, NONCE_LEN, Secret32, derive_passphrase_key, open, random_array, seal_with_nonce,
    sha256,
};
use zeroize::{Zeroize, Zeroizing};

use crate::fsutil::lock_file;
use crate::log::LogKind;
use crate::manifest::{self, Flush, KeyringMark, Manifest};
use crate::{Rollback, RollbackFound, StoreError, atomic_write};

pub const KEYRING_FILE: &str = "keyring";
/// Held (an exclusive lock, no content) while the keyring is rewritten, so that an
/// unlock re-sealing a weak keyring cannot undo another process's change to it.
pub const KEYRING_LOCK_FILE: &str = "keyring.lock";
const MAGIC: &[u8; 8] = b"KTSGKRNG";
/// Version 2 added the generation to the header. Version 1 files are still read (as
/// generation 0) and are rewritten as version 2 at their first unlock.
const VERSION: u16 = 2;
const V1_HEADER_LEN: usize = 8 + 2 + 12 + 16;
const V2_HEADER_LEN: usize = V1_HEADER_LEN + 8;
/// Version 2 added a key of its own for each log. A keyring without them (made before
/// they existed) is still written as version 1, so its bytes stay as they were.
const PLAIN_VERSION: u8 = 2;
const PLAIN_V1_LEN: usize = 1 + 32 + 32 + 16 + 1 + 32 + 32;
const PLAIN_LEN: usize = PLAIN_V1_LEN + 32 + 32;
/// Version 3 is version 2 followed by tagged records (see FORMAT.md), for what
/// only some keyrings hold. A keyring holding none of them is still written as
/// version 2 (or 1), so its bytes stay as they were.
const PLAIN_V3: u8 = 3;
/// The person this device belongs to (see [`Person`]).
const TAG_PERSON: u8 = 1;
/// The couple key's generation, the journal's epoch and the earlier couple keys.
const TAG_COUPLE_GENERATIONS: u8 = 2;
/// The person's earlier self keys.
const TAG_PREVIOUS_SELF: u8 = 3;
pub const PERSON_LEN: usize = 32 + 4 + 32 + 32 + 4;
/// How many replaced keys a device keeps, so that devices which have not yet heard
/// of a removal can still sync with it (and bring them the news and the new key).
pub const MAX_PREVIOUS_KEYS: usize = 8;
/// How often an unlock reads the keyring again when it seemed behind the manifest,
/// because another process rewrote both between our two reads.
const UNLOCK_TRIES: usize = 3;

/// The pairing half of the keyring: present only after both people confirmed the
/// authentication string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pairing {
    pub couple_key: Secret32,
    /// The partner's iroh endpoint id (an Ed25519 public key).
    pub partner_endpoint: [u8; 32],
    /// Rises by one each time the couple key is replaced because a device was
    /// removed; 0 for the key pairing (or a release of history) made.
    pub generation: u32,
    /// The journal's epoch, kept once the couple key is replaced: until then it
    /// follows from the key, which a replacement must not change.
    pub epoch: Option<[u8; 16]>,
    /// The keys this one replaced, newest first, at most [`MAX_PREVIOUS_KEYS`]:
    /// a device that has not yet heard of a removal still greets with the old key.
    pub previous: Vec<(u32, Secret32)>,
}

impl Pairing {
    /// What pairing agrees: the first couple key.
    pub fn new(couple_key: Secret32, partner_endpoint: [u8; 32]) -> Self {
        Self {
            couple_key,
            partner_endpoint,
            generation: 0,
            epoch: None,
            previous: Vec::new(),
        }
    }

    /// The couple key of `generation`, if this device holds it.
    pub fn key_of(&self, generation: u32) -> Option<&Secret32> {
        key_of(
            (self.generation, &self.couple_key),
            &self.previous,
            generation,
        )
    }

    /// Makes `key` the couple key at `generation`, keeping the one it replaces (a
    /// key of the same generation, replaced because two removals crossed, is kept
    /// too: devices that took it still greet with it). `epoch` is the journal's, which
    /// the new key no longer names.
    pub fn replace_key(&mut self, generation: u32, key: Secret32, epoch: [u8; 16]) {
        let old = std::mem::replace(&mut self.couple_key, key);
        push_previous(&mut self.previous, self.generation, old);
        self.generation = generation;
        self.epoch = Some(epoch);
    }
}

/// The key of `generation` among a current key and the ones it replaced.
fn key_of<'a>(
    current: (u32, &'a Secret32),
    previous: &'a [(u32, Secret32)],
    generation: u32,
) -> Option<&'a Secret32> {
    if generation == current.0 {
        return Some(current.1);
    }
    previous
        .iter()
        .find(|(g, _)| *g == generation)
        .map(|(_, k)| k)
}

/// Puts `key` first among `previous`, dropping the oldest beyond
/// [`MAX_PREVIOUS_KEYS`].
fn push_previous(previous: &mut Vec<(u32, Secret32)>, generation: u32, key: Secret32) {
    previous.insert(0, (generation, key));
    previous.truncate(MAX_PREVIOUS_KEYS);
}

/// The keys of the two logs. A log without one of its own (a profile made before
/// they existed, until its history is first released) is sealed under the profile key.
///
/// Each log has its own key so that releasing a log's history can destroy the key
/// along with the file: bytes of the old log that survive somewhere (a flash cell
/// the overwrite did not reach, a snapshot of the file system) no longer open with
/// anything this profile holds.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct LogKeys {
    pub shared: Option<Secret32>,
    pub diary: Option<Secret32>,
}

impl LogKeys {
    pub fn generate() -> Result<Self, StoreError> {
        Ok(Self {
            shared: Some(Secret32::random()?),
            diary: Some(Secret32::random()?),
        })
    }

    pub fn get(&self, kind: LogKind) -> Option<&Secret32> {
        match kind {
            LogKind::Shared => self.shared.as_ref(),
            LogKind::Diary => self.diary.as_ref(),
        }
    }

    pub fn set(&mut self, kind: LogKind, key: Secret32) {
        match kind {
            LogKind::Shared => self.shared = Some(key),
            LogKind::Diary => self.diary = Some(key),
        }
    }
}

/// The person a device belongs to, as every one of that person's devices holds it:
/// what lets a person have more than one device, each with its own identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    /// Seed of the person's Ed25519 signing key: it signs the records that say which
    /// devices are this person's, so that the partner's devices accept a new one on
    /// the person's word and no one else's.
    pub seed: Secret32,
    /// Rises by one each time a device is removed and the signing key replaced.
    pub generation: u32,
    /// The endpoint id of the person's first device: the partner's devices trust the
    /// signing key because that device, checked at pairing, vouches for it.
    pub anchor: [u8; 32],
    /// Seals the private diary's sessions among the person's own devices; the
    /// partner's devices never hold it.
    pub self_key: Secret32,
    /// Rises by one each time the self key is replaced.
    pub self_generation: u32,
    /// The self keys this one replaced, newest first, at most [`MAX_PREVIOUS_KEYS`].
    pub previous_self: Vec<(u32, Secret32)>,
}

impl Person {
    /// A new person whose first device is `anchor`, with fresh keys.
    pub fn generate(anchor: [u8; 32]) -> Result<Self, StoreError> {
        Ok(Self {
            seed: Secret32::random()?,
            generation: 0,
            anchor,
            self_key: Secret32::random()?,
            self_generation: 0,
            previous_self: Vec::new(),
        })
    }

    /// The self key of `generation`, if this device holds it.
    pub fn self_key_of(&self, generation: u32) -> Option<&Secret32> {
        key_of(
            (self.self_generation, &self.self_key),
            &self.previous_self,
            generation,
        )
    }

    /// Makes `key` the self key at `generation`, keeping the one it replaces.
    pub fn replace_self_key(&mut self, generation: u32, key: Secret32) {
        let old = std::mem::replace(&mut self.self_key, key);
        push_previous(&mut self.previous_self, self.self_generation, old);
        self.self_generation = generation;
    }

    /// The person's keys as one of their devices hands them to a new one, in the
    /// keyring's own layout ([`PERSON_LEN`] bytes; the earlier self keys travel
    /// apart, see [`encode_previous`]).
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(PERSON_LEN));
        self.encode(&mut out);
        out
    }

    /// What [`Person::to_bytes`] made; `None` for anything else.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        Self::decode(bytes)
    }

    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.seed.expose());
        out.extend_from_slice(&self.generation.to_be_bytes());
        out.extend_from_slice(&self.anchor);
        out.extend_from_slice(self.self_key.expose());
        out.extend_from_slice(&self.self_generation.to_be_bytes());
    }

    fn decode(v: &[u8]) -> Option<Self> {
        if v.len() != PERSON_LEN {
            return None;
        }
        let u32_at = |at: usize| Some(u32::from_be_bytes(v.get(at..at + 4)?.try_into().ok()?));
        Some(Self {
            seed: Secret32::from_slice(&v[0..32])?,
            generation: u32_at(32)?,
            anchor: v[36..68].try_into().ok()?,
            self_key: Secret32::from_slice(&v[68..100])?,
            self_generation: u32_at(100)?,
            previous_self: Vec::new(),
        })
    }
}

/// Earlier keys as the keyring stores them: `count u8 | count × (generation u32 |
/// key 32)`, newest first. Also how a device hands them to a new one of its person's.
pub fn encode_previous(previous: &[(u32, Secret32)], out: &mut Vec<u8>) {
    let keep = &previous[..previous.len().min(MAX_PREVIOUS_KEYS)];
    out.push(keep.len() as u8);
    for (g, k) in keep {
        out.extend_from_slice(&g.to_be_bytes());
        out.extend_from_slice(k.expose());
    }
}

/// Reads what [`encode_previous`] wrote at the start of `bytes`, and how many bytes
/// it took; `None` if it is cut short, holds too many keys, or its generations do
/// not fall from newest to oldest.
pub fn decode_previous(bytes: &[u8]) -> Option<(Vec<(u32, Secret32)>, usize)> {
    let count = usize::from(*bytes.first()?);
    if count > MAX_PREVIOUS_KEYS {
        return None;
    }
    let mut out: Vec<(u32, Secret32)> = Vec::with_capacity(count);
    for i in 0..count {
        let at = 1 + i * 36;
        let g = u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?);
        if out.last().is_some_and(|(last, _)| *last < g) {
            return None;
        }
        out.push((g, Secret32::from_slice(bytes.get(at + 4..at + 36)?)?));
    }
    Some((out, 1 + count * 36))
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keyring {
    /// Seed of this device's iroh identity.
    pub device_secret: Secret32,
    /// Seals every file of the profile but the keyring, and the logs that have no
    /// key of their own.
    pub profile_key: Secret32,
    /// Who "I" am in the shared journal; random, so it reveals nothing about the device.
    pub partner_id: [u8; 16],
    pub pairing: Option<Pairing>,
    pub log_keys: LogKeys,
    /// `None` until the device first takes part in keeping a person's device list
    /// (a profile made before that existed gets one then).
    pub person: Option<Person>,
}

impl Keyring {
    /// A new profile's keys, each log with a key of its own.
    pub fn generate() -> Result<Self, StoreError> {
        Ok(Self {
            device_secret: Secret32::random()?,
            profile_key: Secret32::random()?,
            partner_id: random_array()?,
            pairing: None,
            log_keys: LogKeys::generate()?,
            person: None,
        })
    }

    /// The key that seals the log of `kind`.
    pub fn log_key(&self, kind: LogKind) -> &Secret32 {
        self.log_keys.get(kind).unwrap_or(&self.profile_key)
    }

    fn encode(&self) -> Zeroizing<Vec<u8>> {
        let generations = self.pairing.as_ref().filter(|p| p.epoch.is_some());
        let previous_self = self.person.as_ref().filter(|p| !p.previous_self.is_empty());
        let v3 = self.person.is_some() || generations.is_some() || previous_self.is_some();
        let v2 = v3 || self.log_keys.shared.is_some() || self.log_keys.diary.is_some();
        let mut out = Zeroizing::new(Vec::with_capacity(PLAIN_LEN + 3 + 3 + PERSON_LEN));
        out.push(match (v3, v2) {
            (true, _) => PLAIN_V3,
            (false, true) => PLAIN_VERSION,
            (false, false) => 1,
        });
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
        if v2 {
            for key in [&self.log_keys.shared, &self.log_keys.diary] {
                match key {
                    Some(k) => out.extend_from_slice(k.expose()),
                    None => out.extend_from_slice(&[0u8; 32]),
                }
            }
        }
        if v3 {
            let mut records = Zeroizing::new(Vec::with_capacity(1024));
            let mut record = |tag: u8, value: &[u8]| {
                records.push(tag);
                records.extend_from_slice(&(value.len() as u16).to_be_bytes());
                records.extend_from_slice(value);
            };
            if let Some(person) = &self.person {
                let mut value = Zeroizing::new(Vec::with_capacity(PERSON_LEN));
                person.encode(&mut value);
                record(TAG_PERSON, &value);
            }
            if let Some(p) = generations {
                let mut value = Zeroizing::new(Vec::with_capacity(64 + 36 * 8));
                value.extend_from_slice(&p.generation.to_be_bytes());
                value.extend_from_slice(&p.epoch.unwrap_or_default());
                encode_previous(&p.previous, &mut value);
                record(TAG_COUPLE_GENERATIONS, &value);
            }
            if let Some(person) = previous_self {
                let mut value = Zeroizing::new(Vec::with_capacity(1 + 36 * 8));
                encode_previous(&person.previous_self, &mut value);
                record(TAG_PREVIOUS_SELF, &value);
            }
            out.extend_from_slice(&(records.len() as u16).to_be_bytes());
            out.extend_from_slice(&records);
        }
        out
    }

    /// The tagged records of a version 3 plaintext. Each known tag at most once and
    /// in order, and nothing unknown: a record this version cannot read is damage,
    /// never something to drop silently at the next write.
    fn decode_records(bytes: &[u8]) -> Option<Records> {
        let len = usize::from(u16::from_be_bytes(bytes.get(..2)?.try_into().ok()?));
        let mut rest = bytes.get(2..)?;
        if rest.len() != len {
            return None;
        }
        let mut records = Records::default();
        let mut last = 0u8;
        while let [tag, a, b, tail @ ..] = rest {
            let n = usize::from(u16::from_be_bytes([*a, *b]));
            let value = tail.get(..n)?;
            if *tag <= last {
                return None;
            }
            match *tag {
                TAG_PERSON => records.person = Some(Person::decode(value)?),
                TAG_COUPLE_GENERATIONS => {
                    let generation = u32::from_be_bytes(value.get(..4)?.try_into().ok()?);
                    let epoch: [u8; 16] = value.get(4..20)?.try_into().ok()?;
                    let (previous, used) = decode_previous(value.get(20..)?)?;
                    if 20 + used != value.len() {
                        return None;
                    }
                    records.generations = Some((generation, epoch, previous));
                }
                TAG_PREVIOUS_SELF => {
                    let (previous, used) = decode_previous(value)?;
                    if used != value.len() || previous.is_empty() {
                        return None;
                    }
                    records.previous_self = Some(previous);
                }
                _ => return None,
            }
            last = *tag;
            rest = &tail[n..];
        }
        // No record at all is written as version 2, so it cannot be version 3; and
        // earlier self keys belong to a person.
        let nothing = records.person.is_none()
            && records.generations.is_none()
            && records.previous_self.is_none();
        if !rest.is_empty()
            || nothing
            || (records.previous_self.is_some() && records.person.is_none())
        {
            return None;
        }
        Some(records)
    }

    fn decode(bytes: &[u8], path: &Path) -> Result<Self, StoreError> {
        let damaged = || StoreError::KeyringDamaged(path.to_path_buf());
        let records = match (bytes.first(), bytes.len()) {
            (Some(1), PLAIN_V1_LEN) | (Some(&PLAIN_VERSION), PLAIN_LEN) => Records::default(),
            (Some(&PLAIN_V3), n) if n > PLAIN_LEN => {
                Self::decode_records(&bytes[PLAIN_LEN..]).ok_or_else(damaged)?
            }
            _ => return Err(damaged()),
        };
        // Generations of a couple key with no couple key.
        if bytes[81] == 0 && records.generations.is_some() {
            return Err(damaged());
        }
        let mut person = records.person;
        if let (Some(p), Some(previous)) = (person.as_mut(), records.previous_self) {
            p.previous_self = previous;
        }
        let secret = |at: usize| Secret32::from_slice(&bytes[at..at + 32]).ok_or_else(damaged);
        let mut partner_id = [0u8; 16];
        partner_id.copy_from_slice(&bytes[65..81]);
        let pairing = match bytes[81] {
            0 => None,
            1 => {
                let mut partner_endpoint = [0u8; 32];
                partner_endpoint.copy_from_slice(&bytes[114..146]);
                let mut pairing = Pairing::new(secret(82)?, partner_endpoint);
                if let Some((generation, epoch, previous)) = records.generations {
                    pairing.generation = generation;
                    pairing.epoch = Some(epoch);
                    pairing.previous = previous;
                }
                Some(pairing)
            }
            _ => return Err(damaged()),
        };
        // All zeros: this log has no key of its own (the profile key seals it).
        let log_key = |at: usize| -> Result<Option<Secret32>, StoreError> {
            match bytes.get(at..at + 32) {
                Some(k) if k.iter().any(|&b| b != 0) => secret(at).map(Some),
                _ => Ok(None),
            }
        };
        Ok(Self {
            device_secret: secret(1)?,
            profile_key: secret(33)?,
            partner_id,
            pairing,
            log_keys: LogKeys {
                shared: log_key(PLAIN_V1_LEN)?,
                diary: log_key(PLAIN_V1_LEN + 32)?,
            },
            person,
        })
    }
}

/// A couple key's generation, the journal's epoch and the keys it replaced.
type Generations = (u32, [u8; 16], Vec<(u32, Secret32)>);

/// The tagged records of a version 3 keyring, as read.
#[derive(Default)]
struct Records {
    person: Option<Person>,
    generations: Option<Generations>,
    previous_self: Option<Vec<(u32, Secret32)>>,
}

/// An unlocked profile's keys. It keeps the passphrase-derived key (never the
/// passphrase) so that pairing changes can re-seal the keyring without asking again.
pub struct Unlocked {
    path: PathBuf,
    pub keyring: Keyring,
    pass_key: Secret32,
    params: KdfParams,
    salt: [u8; 16],
    /// The file's generation as this handle last read or wrote it (0 for a version 1
    /// file).
    generation: u64,
    /// The trailing SHA-256 of the file as this handle last read or wrote it: tells
    /// [`Unlocked::reseal`] whether another process has rewritten it since.
    sum: [u8; 32],
}

impl std::fmt::Debug for Unlocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Unlocked")
            .field("path", &self.path)
            .field("generation", &self.generation)
            .finish_non_exhaustive()
    }
}

impl Unlocked {
    /// Seals a new keyring into `dir`. Refuses to overwrite an existing one: losing a
    /// keyring loses every entry of the profile.
    ///
    /// The profile's manifest is written first, recording this keyring and the logs
    /// already in `dir` (a profile's logs are created before its keyring): a crash in
    /// between leaves no keyring, so no profile, rather than a keyring without the
    /// manifest it requires.
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
            generation: 0,
            sum: [0; 32],
        };
        let _lock = this.lock()?;
        let bytes = this.file_bytes(1)?;
        let key = this.keyring.profile_key.clone();
        {
            let _manifest = manifest::lock(dir)?;
            let recorded = Manifest {
                keyring: mark_of(1, &bytes),
                logs: manifest::logs_from_files(dir, &this.keyring),
            };
            manifest::write(dir, &key, &recorded, Flush::Yes)?;
        }
        this.install_bytes(1, &bytes)?;
        Ok(this)
    }

    /// Opens the keyring with the passphrase and checks it against the profile's
    /// manifest: an older keyring, or a missing manifest where this keyring says there
    /// was one, is [`StoreError::RolledBack`].
    ///
    /// Unlocking may write, and a failure to do so is only logged (the next unlock
    /// tries again): a profile made before manifests existed gets one (from its files
    /// as they are, so this first unlock cannot tell whether they were rolled back
    /// before), a version 1 keyring is rewritten as version 2, and a manifest left
    /// behind the keyring by a crash catches up.
    pub fn unlock(dir: &Path, passphrase: &[u8]) -> Result<Self, StoreError> {
        let mut tries = 0;
        loop {
            let mut this = Self::open_unchecked(dir, passphrase)?;
            match this.check(dir) {
                Ok(recorded) => {
                    this.settle(dir, recorded);
                    return Ok(this);
                }
                // Another process may have written the keyring and then the manifest
                // between our two reads; if the keyring changed, read it again.
                Err(StoreError::RolledBack(rb)) => {
                    tries += 1;
                    let changed = read_mark(&this.path).is_ok_and(|m| m.sum != this.sum);
                    if !changed || tries >= UNLOCK_TRIES {
                        return Err(StoreError::RolledBack(rb));
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Opens the keyring without looking at the manifest: for accepting a rollback.
    pub(crate) fn open_unchecked(dir: &Path, passphrase: &[u8]) -> Result<Self, StoreError> {
        let path = dir.join(KEYRING_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::NoProfile(dir.to_path_buf()));
            }
            Err(e) => return Err(StoreError::io(format!("reading {}", path.display()))(e)),
        };
        let parsed = parse_file(&bytes, &path)?;
        let pass_key = derive_passphrase_key(passphrase, &parsed.salt, parsed.params)?;
        let plain = open(&pass_key, parsed.header, parsed.sealed)
            .map_err(|_| StoreError::WrongPassphrase)?;
        let keyring = Keyring::decode(&plain, &path)?;
        Ok(Self {
            keyring,
            pass_key,
            params: parsed.params,
            salt: parsed.salt,
            generation: parsed.generation,
            sum: trailing_sum(&bytes),
            path,
        })
    }

    /// The manifest, if there is one, after checking this keyring against it.
    fn check(&self, dir: &Path) -> Result<Option<Manifest>, StoreError> {
        match manifest::read(dir, &self.keyring.profile_key)? {
            None if self.generation > 0 => Err(StoreError::RolledBack(Rollback {
                path: manifest::path(dir),
                found: RollbackFound::Missing,
            })),
            None => Ok(None),
            Some(m) => match self.mark().behind(&m.keyring) {
                Some(found) => Err(StoreError::RolledBack(Rollback {
                    path: self.path.clone(),
                    found,
                })),
                None => Ok(Some(m)),
            },
        }
    }

    /// The writes an unlock makes: see [`Unlocked::unlock`].
    fn settle(&mut self, dir: &Path, recorded: Option<Manifest>) {
        let result = match recorded {
            // A version 1 keyring, with or without a manifest: rewriting it as version 2
            // makes one first (see `commit`) and records the new keyring in it.
            _ if self.generation == 0 => self.rewrite_if_unchanged().map(drop),
            Some(m) if m.keyring.generation < self.generation => self.catch_up(dir),
            _ => Ok(()),
        };
        if let Err(e) = result {
            tracing::warn!(
                error = %e,
                "could not bring the profile's manifest up to date; the next unlock tries again"
            );
        }
    }

    /// Records this keyring in a manifest a crash left behind it, if the file on disk
    /// is still the one this handle read.
    fn catch_up(&self, dir: &Path) -> Result<(), StoreError> {
        let _lock = self.lock()?;
        if read_mark(&self.path)? != self.mark() {
            return Ok(());
        }
        let mark = self.mark();
        manifest::update(dir, &self.keyring.profile_key, Flush::Yes, |m| {
            if m.keyring.generation < mark.generation {
                m.keyring = mark;
            }
        })
        .map(drop)
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
        // What is on disk is sealed anew, not this handle's copy: another process may
        // have changed the keyring since (a release of history gives a log a new key,
        // which this copy would undo, leaving the log unreadable).
        self.reload()?;
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

    /// Seals the same contents again under a new nonce (and a new generation), if the
    /// file on disk is still the one this handle read.
    fn rewrite_if_unchanged(&mut self) -> Result<bool, StoreError> {
        let _lock = self.lock()?;
        if read_mark(&self.path)? != self.mark() {
            return Ok(false);
        }
        self.commit()?;
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
        if let Err(e) = self.commit() {
            (self.pass_key, self.params, self.salt) = old;
            return Err(e);
        }
        Ok(())
    }

    /// Replaces the pairing (or removes it) and re-seals what is on disk (see
    /// [`Unlocked::update`]).
    pub fn set_pairing(&mut self, pairing: Option<Pairing>) -> Result<(), StoreError> {
        self.update(|k| k.pairing = pairing)
    }

    /// Reads the keyring again if another process rewrote it since this handle read
    /// or wrote it (a release of history gives a log a new key, and the couple key a
    /// new value). Returns whether anything changed.
    ///
    /// It opens with the passphrase key this handle holds; a keyring re-sealed since
    /// (a new passphrase, a higher cost) is [`StoreError::KeyringResealed`], and this
    /// handle is left as it was. A keyring older than this handle's is a rollback.
    pub fn reload(&mut self) -> Result<bool, StoreError> {
        let bytes = std::fs::read(&self.path)
            .map_err(StoreError::io(format!("reading {}", self.path.display())))?;
        if trailing_sum(&bytes) == self.sum {
            return Ok(false);
        }
        let parsed = parse_file(&bytes, &self.path)?;
        if parsed.generation < self.generation {
            return Err(StoreError::RolledBack(Rollback {
                path: self.path.clone(),
                found: RollbackFound::OlderCopy {
                    found: parsed.generation,
                    recorded: self.generation,
                },
            }));
        }
        if parsed.salt != self.salt || parsed.params != self.params {
            return Err(StoreError::KeyringResealed);
        }
        let plain = open(&self.pass_key, parsed.header, parsed.sealed)
            .map_err(|_| StoreError::KeyringResealed)?;
        self.keyring = Keyring::decode(&plain, &self.path)?;
        self.generation = parsed.generation;
        self.sum = trailing_sum(&bytes);
        Ok(true)
    }

    /// Changes the keyring as it is on disk now: under its lock, it is read again
    /// (see [`Unlocked::reload`]) so that no other process's change is undone, then
    /// `change` is applied and the result sealed at the next generation. On failure
    /// this handle keeps what the file holds.
    pub fn update(&mut self, change: impl FnOnce(&mut Keyring)) -> Result<(), StoreError> {
        let _lock = self.lock()?;
        self.reload()?;
        let old = self.keyring.clone();
        change(&mut self.keyring);
        if let Err(e) = self.commit() {
            self.keyring = old;
            return Err(e);
        }
        Ok(())
    }

    /// The Argon2id costs the keyring on disk is sealed with (as this handle last
    /// read or wrote it).
    pub fn params(&self) -> KdfParams {
        self.params
    }

    /// The keyring's generation as this handle last read or wrote it: 0 for a file
    /// of format version 1, then one more with every write.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    pub(crate) fn mark(&self) -> KeyringMark {
        KeyringMark {
            generation: self.generation,
            sum: self.sum,
        }
    }

    fn dir(&self) -> PathBuf {
        match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }

    /// Takes the keyring's writer lock; it is released when the file is dropped.
    fn lock(&self) -> Result<std::fs::File, StoreError> {
        lock_file(&self.dir().join(KEYRING_LOCK_FILE))
    }

    /// Writes the keyring at the next generation and records it in the manifest; the
    /// caller holds the keyring's lock.
    ///
    /// The next generation is one more than both this handle's and the manifest's, so
    /// a handle that has not seen another process's keyring write still moves past it.
    /// A profile without a manifest gets one first, recording its files and the
    /// keyring as they are, if that keyring is of format version 1 (a profile from
    /// before manifests): then a crash after the keyring write leaves a manifest
    /// behind the keyring, which is allowed, never a version 2 keyring without one. A
    /// version 2 keyring without a manifest is a rollback (of the manifest), and
    /// nothing is written.
    fn commit(&mut self) -> Result<(), StoreError> {
        let dir = self.dir();
        let key = self.keyring.profile_key.clone();
        let recorded = match manifest::read(&dir, &key)? {
            Some(m) => m.keyring.generation,
            None => {
                let _manifest = manifest::lock(&dir)?;
                if manifest::read_locked(&dir, &key)?.is_none() {
                    let on_disk = read_mark(&self.path)?;
                    if on_disk.generation > 0 {
                        return Err(StoreError::RolledBack(Rollback {
                            path: manifest::path(&dir),
                            found: RollbackFound::Missing,
                        }));
                    }
                    let first = Manifest {
                        keyring: on_disk,
                        logs: manifest::logs_from_files(&dir, &self.keyring),
                    };
                    manifest::write(&dir, &key, &first, Flush::Yes)?;
                }
                0
            }
        };
        let generation = self.generation.max(recorded) + 1;
        let bytes = self.file_bytes(generation)?;
        self.install_bytes(generation, &bytes)?;
        let mark = self.mark();
        // The keyring is on disk; a manifest that fails to follow only lags behind it.
        if let Err(e) = manifest::update(&dir, &key, Flush::Yes, |m| m.keyring = mark) {
            tracing::warn!(
                error = %e,
                "could not record the keyring in the profile's manifest; the next unlock tries again"
            );
        }
        Ok(())
    }

    /// Rewrites the keyring at `generation` without looking at the manifest; the
    /// caller holds every lock (accepting a rollback).
    pub(crate) fn write_at(&mut self, generation: u64) -> Result<KeyringMark, StoreError> {
        let bytes = self.file_bytes(generation)?;
        self.install_bytes(generation, &bytes)?;
        Ok(self.mark())
    }

    fn file_bytes(&self, generation: u64) -> Result<Vec<u8>, StoreError> {
        encode_file(
            &self.keyring,
            &self.pass_key,
            self.params,
            &self.salt,
            VERSION,
            generation,
            &random_array()?,
        )
    }

    fn install_bytes(&mut self, generation: u64, bytes: &[u8]) -> Result<(), StoreError> {
        atomic_write(&self.path, bytes)?;
        self.generation = generation;
        self.sum = trailing_sum(bytes);
        Ok(())
    }
}

/// A whole keyring file of format `version` (1 or 2; version 1 has no generation).
/// The nonce is a parameter only so that the published test vectors can be
/// reproduced; every real write passes a fresh random one.
pub(crate) fn encode_file(
    keyring: &Keyring,
    pass_key: &Secret32,
    params: KdfParams,
    salt: &[u8; 16],
    version: u16,
    generation: u64,
    nonce: &[u8; NONCE_LEN],
) -> Result<Vec<u8>, StoreError> {
    let mut out = Vec::with_capacity(V2_HEADER_LEN + PLAIN_LEN + 80);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&params.m_cost.to_le_bytes());
    out.extend_from_slice(&params.t_cost.to_le_bytes());
    out.extend_from_slice(&params.p_cost.to_le_bytes());
    out.extend_from_slice(salt);
    if version >= 2 {
        out.extend_from_slice(&generation.to_le_bytes());
    }
    let plain = keyring.encode();
    let sealed = seal_with_nonce(pass_key, nonce, &out, &plain)?;
    out.extend_from_slice(&sealed);
    let sum = sha256(&[&out]);
    out.extend_from_slice(&sum);
    Ok(out)
}

fn mark_of(generation: u64, bytes: &[u8]) -> KeyringMark {
    KeyringMark {
        generation,
        sum: trailing_sum(bytes),
    }
}

/// The generation and checksum of the keyring on disk, read without the passphrase
/// (both are outside the sealed part; the generation is authenticated at unlock).
pub(crate) fn read_mark(path: &Path) -> Result<KeyringMark, StoreError> {
    let bytes =
        std::fs::read(path).map_err(StoreError::io(format!("reading {}", path.display())))?;
    let parsed = parse_file(&bytes, path)?;
    Ok(mark_of(parsed.generation, &bytes))
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

struct Parsed<'a> {
    params: KdfParams,
    salt: [u8; 16],
    generation: u64,
    /// The header: the sealed part's associated data.
    header: &'a [u8],
    sealed: &'a [u8],
}

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
    if bytes.len() < V1_HEADER_LEN + 32 + kintsugi_crypto::SEAL_OVERHEAD {
        return Err(damaged());
    }
    let (body, sum) = bytes.split_at(bytes.len() - 32);
    if sha256(&[body]) != sum {
        return Err(damaged());
    }
    let version = u16::from_le_bytes([body[8], body[9]]);
    let header_len = match version {
        1 => V1_HEADER_LEN,
        2 => V2_HEADER_LEN,
        _ => {
            return Err(StoreError::UnsupportedVersion {
                path: path.to_path_buf(),
                found: version,
            });
        }
    };
    if body.len() < header_len + kintsugi_crypto::SEAL_OVERHEAD {
        return Err(damaged());
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
    let generation = if version >= 2 {
        let mut g = [0u8; 8];
        g.copy_from_slice(&body[38..46]);
        u64::from_le_bytes(g)
    } else {
        0
    };
    Ok(Parsed {
        params,
        salt,
        generation,
        header: &body[..header_len],
        sealed: &body[header_len..],
    })
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
    fn a_stale_handle_keeps_what_another_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let mut stale =
            Unlocked::create(dir.path(), Keyring::generate().unwrap(), b"p", P).unwrap();
        let mut other = Unlocked::unlock(dir.path(), b"p").unwrap();
        other
            .update(|k| k.log_keys.diary = Some(Secret32::from_bytes([5; 32])))
            .unwrap();
        stale
            .set_pairing(Some(Pairing::new(Secret32::from_bytes([9; 32]), [4; 32])))
            .unwrap();
        stale.change_passphrase(b"q", P).unwrap();
        let now = Unlocked::unlock(dir.path(), b"q").unwrap().keyring.clone();
        assert_eq!(now.log_keys.diary, Some(Secret32::from_bytes([5; 32])));
        assert!(now.pairing.is_some());
        // A handle that missed a passphrase change cannot read what changed: it says
        // so, and writes nothing.
        let before = std::fs::read(dir.path().join(KEYRING_FILE)).unwrap();
        assert!(matches!(
            other.change_passphrase(b"r", P),
            Err(StoreError::KeyringResealed)
        ));
        assert!(matches!(other.reload(), Err(StoreError::KeyringResealed)));
        assert_eq!(
            std::fs::read(dir.path().join(KEYRING_FILE)).unwrap(),
            before
        );
    }

    #[test]
    fn pairing_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let mut u = Unlocked::create(dir.path(), Keyring::generate().unwrap(), b"p", P).unwrap();
        let pairing = Pairing::new(Secret32::from_bytes([9; 32]), [4; 32]);
        u.set_pairing(Some(pairing.clone())).unwrap();
        assert_eq!(
            Unlocked::unlock(dir.path(), b"p").unwrap().keyring.pairing,
            Some(pairing)
        );
    }

    #[test]
    fn log_keys_round_trip_and_a_keyring_without_them_keeps_its_old_layout() {
        let dir = tempfile::tempdir().unwrap();
        let mut kr = Keyring::generate().unwrap();
        kr.log_keys.diary = None;
        assert_eq!(kr.encode().len(), PLAIN_LEN);
        assert_eq!(kr.log_key(LogKind::Diary), &kr.profile_key);
        assert_ne!(kr.log_key(LogKind::Shared), &kr.profile_key);
        Unlocked::create(dir.path(), kr.clone(), b"p", P).unwrap();
        assert_eq!(Unlocked::unlock(dir.path(), b"p").unwrap().keyring, kr);
        kr.log_keys = LogKeys::default();
        let plain = kr.encode();
        assert_eq!((plain.len(), plain[0]), (PLAIN_V1_LEN, 1));
        assert_eq!(Keyring::decode(&plain, dir.path()).unwrap(), kr);
        // Lengths and versions that do not go together are damage.
        let mut wrong = plain.to_vec();
        wrong[0] = PLAIN_VERSION;
        assert!(Keyring::decode(&wrong, dir.path()).is_err());
    }

    fn person() -> Person {
        Person {
            seed: Secret32::from_bytes([1; 32]),
            generation: 7,
            anchor: [2; 32],
            self_key: Secret32::from_bytes([3; 32]),
            self_generation: 258,
            previous_self: Vec::new(),
        }
    }

    #[test]
    fn replaced_keys_round_trip_and_are_kept_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let mut kr = Keyring::generate().unwrap();
        kr.person = Some(person());
        kr.pairing = Some(Pairing::new(Secret32::from_bytes([9; 32]), [4; 32]));
        let mut u = Unlocked::create(dir.path(), kr, b"p", P).unwrap();
        u.update(|k| {
            let p = k.pairing.as_mut().unwrap();
            for g in 1..=10u8 {
                p.replace_key(u32::from(g), Secret32::from_bytes([g; 32]), [5; 16]);
            }
            let person = k.person.as_mut().unwrap();
            person.replace_self_key(259, Secret32::from_bytes([7; 32]));
        })
        .unwrap();
        let read = Unlocked::unlock(dir.path(), b"p").unwrap().keyring.clone();
        assert_eq!(read, u.keyring);
        let p = read.pairing.as_ref().unwrap();
        assert_eq!(p.generation, 10);
        assert_eq!(p.epoch, Some([5; 16]));
        assert_eq!(p.previous.len(), MAX_PREVIOUS_KEYS);
        assert_eq!(p.previous[0].0, 9);
        assert_eq!(p.key_of(10), Some(&Secret32::from_bytes([10; 32])));
        assert_eq!(p.key_of(3), Some(&Secret32::from_bytes([3; 32])));
        // The first key and the oldest replacement fell off the end.
        assert_eq!(p.key_of(0), None);
        assert_eq!(p.key_of(1), None);
        let person = read.person.as_ref().unwrap();
        assert_eq!(person.self_generation, 259);
        assert_eq!(
            person.self_key_of(258),
            Some(&Secret32::from_bytes([3; 32]))
        );
        // Without a person, the couple's generations alone still make version 3.
        let mut alone = read.clone();
        alone.person = None;
        let plain = alone.encode();
        assert_eq!(plain[0], PLAIN_V3);
        assert_eq!(Keyring::decode(&plain, dir.path()).unwrap(), alone);
    }

    #[test]
    fn replaced_keys_that_do_not_read_exactly_are_damage() {
        let dir = tempfile::tempdir().unwrap();
        let mut kr = Keyring::generate().unwrap();
        let mut pairing = Pairing::new(Secret32::from_bytes([9; 32]), [4; 32]);
        pairing.replace_key(1, Secret32::from_bytes([1; 32]), [5; 16]);
        pairing.replace_key(2, Secret32::from_bytes([2; 32]), [5; 16]);
        kr.pairing = Some(pairing);
        let good = kr.encode().to_vec();
        assert_eq!(Keyring::decode(&good, dir.path()).unwrap(), kr);
        // Record: tag, len, generation (4), epoch (16), count, (generation, key)...
        let first_previous = PLAIN_LEN + 2 + 3 + 20 + 1;
        let mut rising = good.clone();
        rising[first_previous + 36 + 3] = 5;
        assert!(
            Keyring::decode(&rising, dir.path()).is_err(),
            "oldest first"
        );
        let mut unpaired = good.clone();
        unpaired[81] = 0;
        unpaired[82..146].fill(0);
        assert!(
            Keyring::decode(&unpaired, dir.path()).is_err(),
            "no couple key"
        );
        let mut too_many = good.clone();
        too_many[first_previous - 1] = MAX_PREVIOUS_KEYS as u8 + 1;
        assert!(Keyring::decode(&too_many, dir.path()).is_err(), "too many");
    }

    #[test]
    fn a_person_round_trips_as_version_3_and_only_a_person_makes_it_version_3() {
        let dir = tempfile::tempdir().unwrap();
        let kr = Keyring::generate().unwrap();
        assert_eq!(
            kr.encode().len(),
            PLAIN_LEN,
            "no person: version 2 as before"
        );
        let mut u = Unlocked::create(dir.path(), kr, b"p", P).unwrap();
        u.update(|k| k.person = Some(person())).unwrap();
        let read = Unlocked::unlock(dir.path(), b"p").unwrap().keyring.clone();
        assert_eq!(read.person, Some(person()));
        assert_eq!(read, u.keyring);
        let plain = read.encode();
        assert_eq!(plain[0], PLAIN_V3);
        assert_eq!(plain.len(), PLAIN_LEN + 2 + 3 + PERSON_LEN);
        // The first 210 bytes are version 2's, so nothing before the records moved.
        let mut without = read.clone();
        without.person = None;
        assert_eq!(plain[1..PLAIN_LEN], without.encode()[1..]);
        // A stale handle that never saw the person keeps it when it writes.
        let mut stale = Unlocked::unlock(dir.path(), b"p").unwrap();
        u.update(|k| k.person.as_mut().unwrap().generation = 8)
            .unwrap();
        stale.change_passphrase(b"q", P).unwrap();
        let now = Unlocked::unlock(dir.path(), b"q").unwrap();
        assert_eq!(now.keyring.person.as_ref().unwrap().generation, 8);
    }

    #[test]
    fn version_3_records_that_do_not_read_exactly_are_damage() {
        let dir = tempfile::tempdir().unwrap();
        let mut kr = Keyring::generate().unwrap();
        kr.person = Some(person());
        let good = kr.encode().to_vec();
        assert_eq!(Keyring::decode(&good, dir.path()).unwrap(), kr);
        let records = PLAIN_LEN;
        let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
        // Version 3 without a record, and version 2 with one.
        cases.push(("no records", {
            let mut b = good[..PLAIN_LEN].to_vec();
            b[0] = PLAIN_V3;
            b.extend_from_slice(&[0, 0]);
            b
        }));
        cases.push(("version 2 with records", {
            let mut b = good.clone();
            b[0] = PLAIN_VERSION;
            b
        }));
        cases.push(("an unknown tag", {
            let mut b = good.clone();
            b[records + 2] = 9;
            b
        }));
        cases.push(("a short record", {
            let mut b = good.clone();
            b[records + 4] -= 1;
            b
        }));
        cases.push(("a wrong total", {
            let mut b = good.clone();
            b[records + 1] += 1;
            b
        }));
        cases.push(("a byte too many", {
            let mut b = good.clone();
            b.push(0);
            b
        }));
        cases.push(("the same tag twice", {
            let mut b = good.clone();
            let record = good[records + 2..].to_vec();
            b.extend_from_slice(&record);
            let total = (2 * record.len()) as u16;
            b[records..records + 2].copy_from_slice(&total.to_be_bytes());
            b
        }));
        for (what, bytes) in cases {
            assert!(Keyring::decode(&bytes, dir.path()).is_err(), "{what}");
        }
        for len in PLAIN_LEN..good.len() {
            assert!(Keyring::decode(&good[..len], dir.path()).is_err(), "{len}");
        }
    }

    #[test]
    fn every_flipped_byte_is_detected_and_file_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let mut kr = Keyring::generate().unwrap();
        // Version 3, so that the tagged records are covered too.
        kr.person = Some(person());
        Unlocked::create(dir.path(), kr, b"p", P).unwrap();
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
