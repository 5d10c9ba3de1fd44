//! The cryptographic building blocks of Kintsugi, kept free of files and sockets so
//! that every primitive can be tested with vectors and reasoned about on its own.
//!
//! Everything here is a thin, opinionated layer over RustCrypto crates: the point is
//! to make the safe choice the only one (random 24-byte nonces, associated data on
//! every seal, zeroized secrets), not to implement any primitive ourselves.

mod error;
mod kdf;
mod pairing;
mod seal;
mod secret;
mod sign;

pub use error::CryptoError;
pub use kdf::{KdfParams, derive_key, derive_passphrase_key};
pub use pairing::{
    EphemeralKeypair, PairingKeys, hmac_sha256, pairing_keys, sha256, verify_hmac_sha256,
};
pub use seal::{NONCE_LEN, SEAL_OVERHEAD, TAG_LEN, open, seal, seal_with_nonce};
pub use secret::{Secret32, random_array};
pub use sign::{sign, signing_public, verify};
