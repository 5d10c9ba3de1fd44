//! The encrypted on-disk profile.
//!
//! A profile is a directory holding a passphrase-sealed keyring and one append-only
//! encrypted log per document. This crate knows about files, locks and formats, and
//! nothing about what the bytes in a log mean: it stores opaque Automerge chunks.
//! The formats are specified in `FORMAT.md` beside this crate.

mod error;
mod fsutil;
mod keyring;
mod log;
mod sealed_file;

pub use error::StoreError;
pub use fsutil::{Replace, atomic_write, fsync_dir, write_private_file};
pub use keyring::{KEYRING_FILE, KEYRING_LOCK_FILE, Keyring, Pairing, Unlocked};
pub use log::{DocLog, LogKind, LogOpen, MAX_RECORD_LEN, Record, TornTail};
pub use sealed_file::{read_sealed, write_sealed};

pub use kintsugi_crypto::{KdfParams, Secret32};
