//! Ed25519 signatures, for records a person's devices sign so that the partner's
//! devices can check them (a device's own iroh identity is an Ed25519 key too).
//!
//! Verification is strict (`verify_strict`): a small-order public key or a
//! non-canonical signature is refused, so one record cannot carry two valid
//! signatures, and a key that would verify anything is never trusted.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use crate::{CryptoError, Secret32};

/// The public key of the signing key whose seed is `seed`.
pub fn signing_public(seed: &Secret32) -> [u8; 32] {
    SigningKey::from_bytes(seed.expose())
        .verifying_key()
        .to_bytes()
}

/// Signs `msg` with the key whose seed is `seed`.
pub fn sign(seed: &Secret32, msg: &[u8]) -> [u8; 64] {
    SigningKey::from_bytes(seed.expose()).sign(msg).to_bytes()
}

/// Checks that `sig` is `public`'s signature over `msg`.
pub fn verify(public: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> Result<(), CryptoError> {
    let key = VerifyingKey::from_bytes(public).map_err(|_| CryptoError::BadSignature)?;
    key.verify_strict(msg, &Signature::from_bytes(sig))
        .map_err(|_| CryptoError::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex<const N: usize>(s: &str) -> [u8; N] {
        let bytes: Vec<u8> = (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect();
        bytes.try_into().unwrap()
    }

    /// RFC 8032, section 7.1, TEST 1 (the empty message).
    #[test]
    fn the_rfc_8032_vector() {
        let seed = Secret32::from_bytes(unhex(
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        ));
        let public: [u8; 32] =
            unhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
        let sig: [u8; 64] = unhex(
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        );
        assert_eq!(signing_public(&seed), public);
        assert_eq!(sign(&seed, b""), sig);
        assert_eq!(verify(&public, b"", &sig), Ok(()));
    }

    #[test]
    fn a_changed_message_signature_or_key_is_refused() {
        let seed = Secret32::from_bytes([7; 32]);
        let public = signing_public(&seed);
        let msg = b"kintsugi device record";
        let sig = sign(&seed, msg);
        assert_eq!(verify(&public, msg, &sig), Ok(()));
        for i in 0..msg.len() {
            let mut m = *msg;
            m[i] ^= 1;
            assert_eq!(verify(&public, &m, &sig), Err(CryptoError::BadSignature));
        }
        for i in 0..64 {
            let mut s = sig;
            s[i] ^= 0x10;
            assert_eq!(verify(&public, msg, &s), Err(CryptoError::BadSignature));
        }
        let other = signing_public(&Secret32::from_bytes([8; 32]));
        assert_eq!(verify(&other, msg, &sig), Err(CryptoError::BadSignature));
    }

    #[test]
    fn a_small_order_key_is_refused_even_with_a_signature_that_would_pass() {
        // The identity point as a public key, and a signature (R = identity, s = 0)
        // that a lax check accepts for every message.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let mut sig = [0u8; 64];
        sig[0] = 1;
        assert_eq!(
            verify(&identity, b"anything", &sig),
            Err(CryptoError::BadSignature)
        );
    }
}
