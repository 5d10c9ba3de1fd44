//! Turning a passphrase into a key (Argon2id) and one key into many (HKDF-SHA256).

use argon2::{Algorithm, Argon2, Params, Version};
use hkdf::Hkdf;
use sha2::Sha256;

use crate::{CryptoError, Secret32};

/// Argon2id cost parameters. They are stored in the keyring header so that a profile
/// made with one setting opens with it later, and so defaults can rise over time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_cost: u32,
    /// Passes over memory.
    pub t_cost: u32,
    /// Lanes.
    pub p_cost: u32,
}

impl KdfParams {
    /// What every real profile uses: 64 MiB and three passes, roughly half a second
    /// on a laptop, which makes guessing a stolen keyring's passphrase expensive.
    pub const STRONG: KdfParams = KdfParams {
        m_cost: 64 * 1024,
        t_cost: 3,
        p_cost: 1,
    };

    /// For tests and benchmarks only, selected by an explicit setting: it keeps
    /// hundreds of test profiles fast and offers no protection.
    pub const INSECURE_FAST: KdfParams = KdfParams {
        m_cost: 8,
        t_cost: 1,
        p_cost: 1,
    };

    /// The largest costs we accept from a file header. The header is authenticated only
    /// after the key is derived, so a tampered header must not be able to make us
    /// allocate gigabytes or spin for hours before the check fails.
    pub const MAX_M_COST: u32 = 1024 * 1024;
    pub const MAX_T_COST: u32 = 64;
    pub const MAX_P_COST: u32 = 16;

    /// Whether a keyring sealed with `self` is cheaper to attack than one sealed with
    /// `other`: less memory or fewer passes. Lanes do not count, since an attacker
    /// with many cores pays for them no more than we do.
    pub fn weaker_than(&self, other: &KdfParams) -> bool {
        self.m_cost < other.m_cost || self.t_cost < other.t_cost
    }

    pub fn validate(&self) -> Result<(), CryptoError> {
        if self.m_cost > Self::MAX_M_COST
            || self.t_cost > Self::MAX_T_COST
            || self.p_cost > Self::MAX_P_COST
        {
            return Err(CryptoError::KdfParams(format!(
                "costs m={} t={} p={} exceed the accepted maximum",
                self.m_cost, self.t_cost, self.p_cost
            )));
        }
        Params::new(self.m_cost, self.t_cost, self.p_cost, Some(32))
            .map(|_| ())
            .map_err(|e| CryptoError::KdfParams(e.to_string()))
    }
}

/// Argon2id(passphrase, salt) → 32-byte key.
pub fn derive_passphrase_key(
    passphrase: &[u8],
    salt: &[u8; 16],
    params: KdfParams,
) -> Result<Secret32, CryptoError> {
    params.validate()?;
    let p = Params::new(params.m_cost, params.t_cost, params.p_cost, Some(32))
        .map_err(|e| CryptoError::KdfParams(e.to_string()))?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, p);
    let mut out = [0u8; 32];
    let result = argon.hash_password_into(passphrase, salt, &mut out);
    let key = Secret32::from_bytes(out);
    zeroize::Zeroize::zeroize(&mut out);
    result.map_err(|_| CryptoError::Kdf)?;
    Ok(key)
}

/// HKDF-SHA256 extract-and-expand to one 32-byte key. `info` names the purpose, so
/// keys for different jobs never coincide even from the same input.
pub fn derive_key(salt: Option<&[u8]>, ikm: &[u8], info: &[&[u8]]) -> Secret32 {
    let hk = Hkdf::<Sha256>::new(salt, ikm);
    let mut out = [0u8; 32];
    // 32 bytes is far below HKDF-SHA256's 255*32 limit, so expansion cannot fail.
    let _ = hk.expand_multi_info(info, &mut out);
    let key = Secret32::from_bytes(out);
    zeroize::Zeroize::zeroize(&mut out);
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passphrase_key_depends_on_everything() {
        let p = KdfParams::INSECURE_FAST;
        let a = derive_passphrase_key(b"pass", &[1; 16], p).unwrap();
        assert_eq!(a, derive_passphrase_key(b"pass", &[1; 16], p).unwrap());
        assert_ne!(a, derive_passphrase_key(b"pasS", &[1; 16], p).unwrap());
        assert_ne!(a, derive_passphrase_key(b"pass", &[2; 16], p).unwrap());
        let p2 = KdfParams { t_cost: 2, ..p };
        assert_ne!(a, derive_passphrase_key(b"pass", &[1; 16], p2).unwrap());
    }

    #[test]
    fn absurd_params_are_refused_before_work() {
        let huge = KdfParams {
            m_cost: u32::MAX,
            t_cost: 1,
            p_cost: 1,
        };
        assert!(matches!(
            derive_passphrase_key(b"x", &[0; 16], huge),
            Err(CryptoError::KdfParams(_))
        ));
        let zero = KdfParams {
            m_cost: 8,
            t_cost: 0,
            p_cost: 1,
        };
        assert!(derive_passphrase_key(b"x", &[0; 16], zero).is_err());
    }

    #[test]
    fn only_less_memory_or_fewer_passes_is_weaker() {
        let strong = KdfParams::STRONG;
        assert!(KdfParams::INSECURE_FAST.weaker_than(&strong));
        assert!(!strong.weaker_than(&strong));
        assert!(!strong.weaker_than(&KdfParams::INSECURE_FAST));
        assert!(
            KdfParams {
                t_cost: 2,
                ..strong
            }
            .weaker_than(&strong)
        );
        assert!(
            KdfParams {
                m_cost: 32 * 1024,
                ..strong
            }
            .weaker_than(&strong)
        );
        // More of one does not make up for less of the other.
        let mixed = KdfParams {
            m_cost: 32 * 1024,
            t_cost: 6,
            p_cost: 1,
        };
        assert!(mixed.weaker_than(&strong));
        assert!(
            !KdfParams {
                p_cost: 4,
                ..strong
            }
            .weaker_than(&strong)
        );
    }

    #[test]
    fn hkdf_rfc5869_case_1() {
        let ikm = [0x0b; 22];
        let salt: Vec<u8> = (0x00..=0x0c).collect();
        let info: Vec<u8> = (0xf0..=0xf9).collect();
        let k = derive_key(Some(&salt), &ikm, &[&info]);
        let expected = "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf";
        let got: String = k.expose().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(got, expected);
    }
}
