//! The encrypted on-disk profile.
//!
//! A profile is a directory holding a passphrase-sealed keyring, one append-only
//! encrypted log per document, and a manifest of what was last saved, against which
//! every open checks for a rollback. This crate knows about files, locks and formats,
//! and nothing about what the bytes in a log mean: it stores opaque Automerge chunks.
//! The formats are specified in `FORMAT.md` beside this crate, with test vectors in
//! `testdata/store/` at the root of the repository.

mod error;
mod fsutil;
mod keyring;
mod log;
mod manifest;
mod release;
mod rollback;
mod sealed_file;

pub use error::{Rollback, RollbackFound, StoreError};
pub use fsutil::{Replace, atomic_write, fsync_dir, lock_file, write_private_file};
pub use keyring::{
    KEYRING_FILE, KEYRING_LOCK_FILE, Keyring, LogKeys, MAX_PREVIOUS_KEYS, PERSON_LEN, Pairing,
    Person, Unlocked, decode_previous, encode_previous,
};
pub use log::{DocLog, LogKind, LogOpen, MAX_RECORD_LEN, Record, TornTail};
pub use manifest::{MANIFEST_FILE, MANIFEST_LOCK_FILE};
#[doc(hidden)]
pub use release::{Step as ReleaseStep, replace_log_until};
pub use release::{finish_replacements, replace_log, shred};
pub use rollback::accept_rollback;
pub use sealed_file::{read_sealed, write_sealed};

pub use kintsugi_crypto::{KdfParams, Secret32};

/// Deterministic encoders behind the published test vectors (`testdata/store/`): the
/// same code every write uses, with the random parts (salts, file ids, nonces) passed
/// in. Not an API: nothing but the vectors test may call these, since a nonce used
/// twice under one key breaks the encryption.
#[doc(hidden)]
pub mod vectors {
    use kintsugi_crypto::{KdfParams, NONCE_LEN, Secret32, derive_passphrase_key};

    pub use crate::manifest::{KeyringMark, LogMark, MANIFEST_LABEL, Manifest};
    use crate::{Keyring, LogKind, StoreError};

    /// A keyring file of format `version` (1 or 2).
    #[allow(clippy::too_many_arguments)]
    pub fn keyring_file(
        keyring: &Keyring,
        passphrase: &[u8],
        params: KdfParams,
        salt: &[u8; 16],
        version: u16,
        generation: u64,
        nonce: &[u8; NONCE_LEN],
    ) -> Result<Vec<u8>, StoreError> {
        let pass_key = derive_passphrase_key(passphrase, salt, params)?;
        crate::keyring::encode_file(keyring, &pass_key, params, salt, version, generation, nonce)
    }

    pub fn log_file(
        kind: LogKind,
        key: &Secret32,
        file_id: &[u8; 16],
        generation: u32,
        records: &[(&[u8], [u8; NONCE_LEN])],
    ) -> Result<Vec<u8>, StoreError> {
        crate::log::encode_file(kind, key, file_id, generation, records)
    }

    pub fn sealed_file(
        key: &Secret32,
        label: &str,
        plain: &[u8],
        nonce: &[u8; NONCE_LEN],
    ) -> Result<Vec<u8>, StoreError> {
        crate::sealed_file::encode(key, label, plain, nonce)
    }

    pub fn manifest_file(
        key: &Secret32,
        manifest: &Manifest,
        nonce: &[u8; NONCE_LEN],
    ) -> Result<Vec<u8>, StoreError> {
        crate::manifest::encode_file(key, manifest, nonce)
    }

    /// The manifest of the profile in `dir`, as every open reads it.
    pub fn read_manifest(
        dir: &std::path::Path,
        key: &Secret32,
    ) -> Result<Option<Manifest>, StoreError> {
        crate::manifest::read(dir, key)
    }
}
