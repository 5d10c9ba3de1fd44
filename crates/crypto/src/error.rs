use thiserror::Error;

/// Errors carry no key material and no plaintext, so they are safe to log or show.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum CryptoError {
    /// Authentication failed: wrong key, tampered bytes, or wrong associated data.
    /// These cases are deliberately indistinguishable.
    #[error("the data could not be decrypted: wrong key, or the bytes were changed")]
    Decrypt,
    #[error("sealed data is too short to be valid ({0} bytes)")]
    TooShort(usize),
    #[error("the system random number generator failed")]
    Random,
    #[error("invalid key-derivation parameters: {0}")]
    KdfParams(String),
    #[error("key derivation failed")]
    Kdf,
    #[error("the partner's key exchange value is not acceptable")]
    WeakKeyExchange,
    #[error("authentication tag mismatch")]
    BadMac,
    /// A signature that does not verify, or a public key that cannot be trusted
    /// (not on the curve, or of small order).
    #[error("the signature does not verify")]
    BadSignature,
}
