use std::path::PathBuf;

use thiserror::Error;

/// What the manifest showed to be older than the last state this device saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RollbackFound {
    /// A copy from before a rewrite the manifest recorded (a keyring write, or a log's
    /// compaction): its generation is lower.
    OlderCopy { found: u64, recorded: u64 },
    /// The same generation as recorded, but another copy: a different keyring, or a
    /// log file with another file id.
    OtherCopy,
    /// Fewer whole records than recorded: the log was cut back, or its last records
    /// were overwritten.
    FewerRecords { found: u64, recorded: u64 },
    /// The record at this index is not the one recorded there.
    OtherRecord { index: u64 },
    /// The manifest itself is gone, although the keyring was written by a version that
    /// keeps one.
    Missing,
    /// The manifest itself does not open (only reported by an accepted rollback, which
    /// writes a new one).
    Damaged,
}

impl std::fmt::Display for RollbackFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::OlderCopy { found, recorded } => write!(
                f,
                "is an older copy (generation {found}; this device last saved generation {recorded})"
            ),
            Self::OtherCopy => f.write_str("is not the copy this device last saved"),
            Self::FewerRecords { found, recorded } => write!(
                f,
                "holds {found} whole records; this device last saved {recorded}"
            ),
            Self::OtherRecord { index } => {
                write!(
                    f,
                    "holds another record {index} than the one this device saved"
                )
            }
            Self::Missing => f.write_str("is missing"),
            Self::Damaged => f.write_str("is damaged"),
        }
    }
}

/// One file found behind the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rollback {
    pub path: PathBuf,
    pub found: RollbackFound,
}

impl std::fmt::Display for Rollback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.path.display(), self.found)
    }
}

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
    /// Another process sealed the keyring again (a new passphrase, or a higher cost)
    /// since this one unlocked it, so this one cannot read what changed.
    #[error(
        "the keyring was sealed again by another Kintsugi process (a passphrase change) since this one unlocked it; lock and unlock again"
    )]
    KeyringResealed,
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
    /// A file is older than the manifest says it should be: someone put back an older
    /// copy, or cut a log back. Nothing was changed, and no write is made on top of it.
    #[error(
        "this profile was rolled back: {0}. Nothing was changed. If older files were put back on purpose, accept them (accept-rollback); otherwise put the newer files back"
    )]
    RolledBack(Rollback),
    #[error(
        "the manifest {0} is damaged, so a rollback cannot be ruled out; nothing was changed. If the other files are as they should be, accepting them (accept-rollback) writes a new manifest"
    )]
    ManifestDamaged(PathBuf),
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
