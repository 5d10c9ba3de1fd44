use std::path::PathBuf;

use thiserror::Error;

/// Errors a front end shows to a person. Like the layers below, they name ids and
/// files, never entry content. The variants are what a front end can act on: offer
/// the unlock screen for [`DeviceError::Locked`], the pairing page for
/// [`DeviceError::NotPaired`], focus the field a [`DeviceError::BadInput`] names.
#[derive(Debug, Error)]
pub enum DeviceError {
    #[error(transparent)]
    Store(#[from] kintsugi_store::StoreError),
    #[error(transparent)]
    Journal(#[from] kintsugi_journal::JournalError),
    #[error(transparent)]
    Crypto(#[from] kintsugi_crypto::CryptoError),
    #[error(transparent)]
    Net(#[from] kintsugi_net::NetError),
    /// The profile was locked (by the person, by auto-lock, or another front end's
    /// handle on the same device); nothing was read or written.
    #[error("the profile is locked")]
    Locked,
    /// An earlier failure left the in-memory profile in an unknown state; the
    /// files are as the last completed write left them.
    #[error(
        "the profile is unavailable after an earlier failure; close Kintsugi and open it again"
    )]
    Unavailable,
    /// What was asked needs a partner, and this device has none.
    #[error("this device is not paired{}", hint_suffix(.0))]
    NotPaired(&'static str),
    /// Pairing again needs the current pairing ended first.
    #[error(
        "this device is already paired; run `kintsugi unpair` (or Settings → Unpair) first to pair again"
    )]
    AlreadyPaired,
    /// A bundle file that cannot be imported; nothing was imported.
    #[error("{0}")]
    BadBundle(BundleProblem),
    /// A file of the profile opened (its seal held) but its content makes no sense:
    /// written by another version, or by hand.
    #[error("{} is damaged: {reason}", .file.display())]
    Damaged { file: PathBuf, reason: String },
    /// Something a person typed or chose is not acceptable; `field` says which.
    #[error("{reason}")]
    BadInput { field: Field, reason: String },
    /// A new passphrase below the floor (see `passphrase_strength`); nothing was
    /// stored. The message says why and what would help, never the passphrase.
    #[error("this passphrase is too easy to guess: {}", .0.advice())]
    WeakPassphrase(crate::PassphraseStrength),
    #[error("the partner's changes could not be applied: {0}")]
    Sync(String),
    /// What the partner sent was refused before any of it was applied (see
    /// `bounded`): too large once inflated, of a kind Kintsugi never sends, or
    /// malformed. The session ends; the profile is as it was.
    #[error("the partner's data was refused: {0}; nothing of it was applied")]
    Refused(crate::Refusal),
    #[error(
        "found journal files in {0} but no keyring: an earlier setup was interrupted, or the keyring was removed. Move the folder's contents away before creating a new profile"
    )]
    OrphanFiles(PathBuf),
    #[error("the {0} document could not be loaded: {1}")]
    Load(&'static str, String),
    /// A step of releasing the shared journal's history that cannot be taken now;
    /// the message says why.
    #[error("{0}")]
    Release(&'static str),
    /// Making bytes for a person (a QR image, an export) failed; nothing was written.
    #[error("could not make {what}: {reason}")]
    Encode { what: &'static str, reason: String },
    /// Linking another device of this person cannot go on; the message says why.
    /// Nothing was stored on this device.
    #[error("{0}")]
    Link(String),
    /// The desktop did not show a reminder (no notification service is running, say);
    /// it is not marked shown, so the next check tries again.
    #[error("could not show a notification: {0}")]
    Notify(String),
}

fn hint_suffix(hint: &str) -> String {
    if hint.is_empty() {
        String::new()
    } else {
        format!(": {hint}")
    }
}

/// Which input a [`DeviceError::BadInput`] is about, so a front end can point at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Name,
    Passphrase,
    NetworkMode,
    Relay,
    Bind,
    AutoLock,
    ExportFormat,
    ExportScope,
    /// A picture that should hold a QR code.
    Image,
    Date,
    /// The text of an entry (too long to keep and share, say).
    Text,
    /// An exercise of the library, by its id.
    Exercise,
    ReadReceipts,
    /// What a therapist packet holds (see `PacketRequest`).
    Packet,
    /// Which reminders to show.
    Reminders,
    QuietHours,
    /// Whose side or issue (mine or my partner's).
    Partner,
}

/// Why a bundle was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum BundleProblem {
    #[error("this file is not a Kintsugi bundle")]
    NotABundle,
    #[error("this bundle uses format {0}, which this version of Kintsugi cannot read")]
    UnknownVersion(u8),
    #[error(
        "this bundle was not made by another device of your couple (it is another couple's, this device's own, or a removed device's)"
    )]
    WrongSender,
    #[error("this bundle is damaged, or was sealed for another pairing; nothing was imported")]
    Damaged,
    #[error("this file is {size} bytes, more than a bundle can be ({max} bytes); nothing was read")]
    TooLarge { size: u64, max: u64 },
    /// The bundle opened, but what it holds was refused before anything was applied.
    #[error("this bundle was refused: {0}; nothing was imported")]
    Refused(crate::Refusal),
    /// The bundle belongs to a journal whose history was released: its changes would
    /// bring back what was released.
    #[error(
        "this bundle was made before the shared journal's history was released, and can no longer be imported: it holds the old journal. Make a new bundle on your partner's device"
    )]
    HistoryReleased,
    /// The bundle belongs to another journal than this device's (a release of history
    /// this device was not part of).
    #[error(
        "this bundle is for another version of your shared journal than the one on this device (a release of history this device was not part of); nothing was imported"
    )]
    OtherJournal,
    /// Sealed under a couple key this device does not hold yet: made after this
    /// device was removed, or before this device heard of a removal.
    #[error(
        "this bundle was sealed under a newer couple key than this device holds: it was made after this device was removed, or this device has not yet heard of a device removed since. Sync with another of your devices first; nothing was imported"
    )]
    NewerKey,
    /// Sealed under a couple key since replaced, which a removed device still holds.
    #[error(
        "this bundle was sealed under a couple key replaced since it was made (a device was removed): make a new bundle on the other device; nothing was imported"
    )]
    ReplacedKey,
    /// Exporting: the changes to carry do not fit in a bundle the partner could import.
    #[error(
        "the changes to carry are {size} bytes, more than a bundle can hold ({max} bytes); sync over the network instead"
    )]
    TooLargeToSend { size: u64, max: u64 },
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

    pub(crate) fn bad_input(field: Field, reason: impl Into<String>) -> Self {
        DeviceError::BadInput {
            field,
            reason: reason.into(),
        }
    }
}

pub type Result<T, E = DeviceError> = std::result::Result<T, E>;
