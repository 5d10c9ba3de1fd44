use std::path::PathBuf;

use thiserror::Error;

/// Store errors name files, offsets and sizes — never any content — so they can be
/// shown and logged freely.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("no profile found in {0}: create one first with `kintsugi init`")]
    NoProfile(PathBuf),
    #[error("a profile already exists in {0}")]
    AlreadyExists(PathBuf),
    #[error("{0} already exists; choose another name, or replace it on purpose (--force)")]
    FileExists(PathBuf),
    #[error("wrong passphrase")]
    WrongPassphrase,
    #[error("the keyring file {0} is damaged (its checksum does not match); nothing was changed")]
    KeyringDamaged(PathBuf),
    #[error("{path} is not a Kintsugi {what} file")]
    BadMagic { path: PathBuf, what: &'static str },
    #[error("{path} uses format version {found}, which this version of Kintsugi cannot read")]
    UnsupportedVersion { path: PathBuf, found: u16 },
    #[error(
        "{path} is damaged at record {index} (byte {offset}): {reason}. The file was left untouched; nothing after this point was loaded"
    )]
    Corrupt {
        path: PathBuf,
        index: u64,
        offset: u64,
        reason: &'static str,
    },
    #[error("a record of {0} bytes is larger than the {max} byte limit", max = crate::MAX_RECORD_LEN)]
    RecordTooLarge(usize),
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Crypto(#[from] kintsugi_crypto::CryptoError),
}

impl StoreError {
    pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> StoreError {
        let what = what.into();
        move |source| StoreError::Io { what, source }
    }
}
