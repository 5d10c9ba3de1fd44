use thiserror::Error;

/// Errors a front end shows to a person. Like the layers below, they name ids and
/// files, never entry content.
#[derive(Debug, Error)]
pub enum DeviceError {
    #[error(transparent)]
    Store(#[from] kintsugi_store::StoreError),
    #[error(transparent)]
    Journal(#[from] kintsugi_journal::JournalError),
    #[error(transparent)]
    Crypto(#[from] kintsugi_crypto::CryptoError),
    #[error("{0}")]
    Invalid(String),
    /// A new passphrase below the floor (see `passphrase_strength`); nothing was
    /// stored. The message says why and what would help, never the passphrase.
    #[error("this passphrase is too easy to guess: {}", .0.advice())]
    WeakPassphrase(crate::PassphraseStrength),
    #[error(transparent)]
    Net(#[from] kintsugi_net::NetError),
    #[error("the partner's changes could not be applied: {0}")]
    Sync(String),
    #[error(
        "found journal files in {0} but no keyring: an earlier setup was interrupted, or the keyring was removed. Move the folder's contents away before creating a new profile"
    )]
    OrphanFiles(std::path::PathBuf),
    #[error("the {0} document could not be loaded: {1}")]
    Load(&'static str, String),
    #[error("could not write {path}: {source}")]
    Export {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl DeviceError {
    /// A file meant for a person was not written because one is already there.
    pub fn is_existing_file(&self) -> bool {
        matches!(
            self,
            DeviceError::Store(kintsugi_store::StoreError::FileExists(_))
        )
    }

    /// The profile is behind its manifest (or the manifest is missing or damaged):
    /// what [`crate::Device::accept_rollback`] is offered for.
    pub fn is_rollback(&self) -> bool {
        matches!(
            self,
            DeviceError::Store(
                kintsugi_store::StoreError::RolledBack(_)
                    | kintsugi_store::StoreError::ManifestDamaged(_)
            )
        )
    }
}

pub type Result<T, E = DeviceError> = std::result::Result<T, E>;
