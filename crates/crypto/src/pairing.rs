//! The math of pairing two devices: an ephemeral X25519 exchange, transcript MACs
//! keyed by the one-time invite secret, and the derivation of the long-term couple
//! key and the short authentication string both people compare.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use x25519_dalek::{EphemeralSecret, PublicKey};

use crate::{CryptoError, Secret32, derive_key};

type HmacSha256 = Hmac<Sha256>;

/// One side's ephemeral X25519 key for a single pairing attempt. The secret half is
/// consumed by [`EphemeralKeypair::agree`], so it cannot be reused by mistake.
pub struct EphemeralKeypair {
    secret: EphemeralSecret,
    public: [u8; 32],
}

impl EphemeralKeypair {
    pub fn generate() -> Self {
        let secret = EphemeralSecret::random();
        let public = PublicKey::from(&secret).to_bytes();
        Self { secret, public }
    }

    pub fn public(&self) -> [u8; 32] {
        self.public
    }

    /// Diffie-Hellman with the other side's public key. A low-order point would give
    /// an all-zero shared secret that an attacker can predict, so it is refused.
    pub fn agree(self, their_public: &[u8; 32]) -> Result<Secret32, CryptoError> {
        let shared = self.secret.diffie_hellman(&PublicKey::from(*their_public));
        if !shared.was_contributory() {
            return Err(CryptoError::WeakKeyExchange);
        }
        Ok(Secret32::from_bytes(shared.to_bytes()))
    }
}

pub fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC accepts keys of any length, so construction cannot fail.
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key).unwrap_or_else(|_| {
        unreachable!("HMAC takes keys of any length");
    });
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// Checks a tag in constant time, so a forger learns nothing from timing.
pub fn verify_hmac_sha256(key: &[u8], parts: &[&[u8]], tag: &[u8]) -> Result<(), CryptoError> {
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key).map_err(|_| CryptoError::BadMac)?;
    for p in parts {
        mac.update(p);
    }
    mac.verify_slice(tag).map_err(|_| CryptoError::BadMac)
}

/// What both devices derive once the exchange succeeded.
#[derive(Debug)]
pub struct PairingKeys {
    pub couple_key: Secret32,
    /// Six digits, shown as "123 456": enough that a machine in the middle has a
    /// one-in-a-million chance per (single-use) invite of going unnoticed.
    pub sas: String,
}

/// couple_key = HKDF(salt = invite secret, ikm = X25519 shared secret,
/// info = label || transcript hash); the SAS comes from the same inputs under
/// another label, so showing it reveals nothing about the key.
pub fn pairing_keys(
    invite_secret: &Secret32,
    shared: &Secret32,
    transcript_hash: &[u8; 32],
) -> PairingKeys {
    let couple_key = derive_key(
        Some(invite_secret.expose()),
        shared.expose(),
        &[b"kintsugi couple key v1", transcript_hash],
    );
    let sas_key = derive_key(
        Some(invite_secret.expose()),
        shared.expose(),
        &[b"kintsugi sas v1", transcript_hash],
    );
    let b = sas_key.expose();
    let n = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) % 1_000_000;
    PairingKeys {
        couple_key,
        sas: format!("{:03} {:03}", n / 1000, n % 1000),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_sides_derive_the_same_keys() {
        let a = EphemeralKeypair::generate();
        let b = EphemeralKeypair::generate();
        let (pa, pb) = (a.public(), b.public());
        let sa = a.agree(&pb).unwrap();
        let sb = b.agree(&pa).unwrap();
        assert_eq!(sa, sb);
        let invite = Secret32::from_bytes([7; 32]);
        let th = sha256(&[&pa, &pb]);
        let ka = pairing_keys(&invite, &sa, &th);
        let kb = pairing_keys(&invite, &sb, &th);
        assert_eq!(ka.couple_key, kb.couple_key);
        assert_eq!(ka.sas, kb.sas);
        assert_eq!(ka.sas.len(), 7);
        let other = pairing_keys(&Secret32::from_bytes([8; 32]), &sa, &th);
        assert_ne!(other.couple_key, ka.couple_key);
    }

    #[test]
    fn low_order_point_is_refused() {
        let a = EphemeralKeypair::generate();
        assert_eq!(
            a.agree(&[0u8; 32]).err(),
            Some(CryptoError::WeakKeyExchange)
        );
    }

    #[test]
    fn hmac_verifies_and_rejects() {
        let tag = hmac_sha256(b"key", &[b"a", b"b"]);
        assert!(verify_hmac_sha256(b"key", &[b"ab"], &tag).is_ok());
        assert!(verify_hmac_sha256(b"kez", &[b"ab"], &tag).is_err());
        assert!(verify_hmac_sha256(b"key", &[b"ab"], &tag[..31]).is_err());
    }
}
