//! XChaCha20-Poly1305 with a random 24-byte nonce per message. The extended nonce is
//! large enough that random nonces never collide in practice, so no counter state
//! has to survive crashes or be shared between processes writing the same profile.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

use crate::{CryptoError, Secret32, random_array};

pub const NONCE_LEN: usize = 24;
pub const TAG_LEN: usize = 16;
/// Bytes a sealed message adds to its plaintext: the nonce in front, the tag behind.
pub const SEAL_OVERHEAD: usize = NONCE_LEN + TAG_LEN;

/// Encrypts `plaintext` bound to `aad`; returns `nonce || ciphertext || tag`.
pub fn seal(key: &Secret32, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let nonce: [u8; NONCE_LEN] = random_array()?;
    seal_with_nonce(key, &nonce, aad, plaintext)
}

/// Deterministic sealing for protocols that derive unique nonces themselves (the sync
/// framing uses a per-direction counter). Reusing a nonce under one key breaks
/// confidentiality: only call this with nonces that are unique by construction.
pub fn seal_with_nonce(
    key: &Secret32,
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let cipher = XChaCha20Poly1305::new(key.expose().into());
    let ct = cipher
        .encrypt(
            &XNonce::from(*nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| CryptoError::Decrypt)?;
    let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
    out.extend_from_slice(nonce);
    out.extend_from_slice(&ct);
    Ok(out)
}

/// Reverses [`seal`]. The plaintext comes back in a buffer that wipes itself.
pub fn open(key: &Secret32, aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    if sealed.len() < SEAL_OVERHEAD {
        return Err(CryptoError::TooShort(sealed.len()));
    }
    let (nonce, ct) = sealed.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| CryptoError::Decrypt)?;
    let cipher = XChaCha20Poly1305::new(key.expose().into());
    cipher
        .decrypt(&XNonce::from(nonce), Payload { msg: ct, aad })
        .map(Zeroizing::new)
        .map_err(|_| CryptoError::Decrypt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(b: u8) -> Secret32 {
        Secret32::from_bytes([b; 32])
    }

    #[test]
    fn round_trip() {
        let sealed = seal(&key(1), b"aad", b"hello").unwrap();
        assert_eq!(sealed.len(), 5 + SEAL_OVERHEAD);
        assert_eq!(&open(&key(1), b"aad", &sealed).unwrap()[..], b"hello");
    }

    #[test]
    fn wrong_key_aad_or_bytes_fail() {
        let sealed = seal(&key(1), b"aad", b"hello").unwrap();
        assert_eq!(open(&key(2), b"aad", &sealed), Err(CryptoError::Decrypt));
        assert_eq!(open(&key(1), b"other", &sealed), Err(CryptoError::Decrypt));
        for i in 0..sealed.len() {
            let mut t = sealed.clone();
            t[i] ^= 0x01;
            assert_eq!(open(&key(1), b"aad", &t), Err(CryptoError::Decrypt));
        }
        assert_eq!(
            open(&key(1), b"aad", &sealed[..10]),
            Err(CryptoError::TooShort(10))
        );
    }

    /// A published XChaCha20-Poly1305 vector (draft-irtf-cfrg-xchacha, appendix A.3.1)
    /// so that a silent change in the underlying crate would be caught.
    #[test]
    fn known_answer() {
        let hex = |s: &str| -> Vec<u8> {
            (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
                .collect()
        };
        let pt = b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.";
        let aad = hex("50515253c0c1c2c3c4c5c6c7");
        let k = Secret32::from_slice(&hex(
            "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
        ))
        .unwrap();
        let nonce: [u8; 24] = hex("404142434445464748494a4b4c4d4e4f5051525354555657")
            .try_into()
            .unwrap();
        let out = seal_with_nonce(&k, &nonce, &aad, pt).unwrap();
        let expected_tag = hex("c0875924c1c7987947deafd8780acf49");
        assert_eq!(&out[out.len() - 16..], &expected_tag[..]);
        assert_eq!(
            &out[24..24 + 16],
            &hex("bd6d179d3e83d43b9576579493c0e939")[..]
        );
    }

    proptest! {
        #[test]
        fn open_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = open(&key(3), b"", &bytes);
        }
    }
}
