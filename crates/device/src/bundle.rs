//! Offline bundles: the shared journal's changes sealed for the partner, to carry on
//! a USB stick or through any messenger.
//!
//! ```text
//! magic "KTSGBNDL" | version u8 = 1 | sender endpoint id (32) | Seal(k, aad = header, changes)
//! k = HKDF(couple key, "kintsugi bundle v1")
//! ```

use kintsugi_crypto::{Secret32, derive_key, open, seal};
use zeroize::Zeroizing;

use crate::{DeviceError, Result};

const MAGIC: &[u8; 8] = b"KTSGBNDL";
const VERSION: u8 = 1;
const HEADER_LEN: usize = 8 + 1 + 32;

fn key(couple_key: &Secret32) -> Secret32 {
    derive_key(None, couple_key.expose(), &[b"kintsugi bundle v1"])
}

pub(crate) fn seal_for_partner(
    couple_key: &Secret32,
    sender: &[u8; 32],
    changes: &[u8],
) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(HEADER_LEN + changes.len() + 40);
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    out.extend_from_slice(sender);
    let sealed = seal(&key(couple_key), &out[..HEADER_LEN], changes)?;
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Checks that the bundle comes from `expected_sender` and opens it.
pub(crate) fn open_from_partner(
    couple_key: &Secret32,
    expected_sender: &[u8; 32],
    bytes: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    if bytes.len() < HEADER_LEN || &bytes[..8] != MAGIC {
        return Err(DeviceError::Invalid(
            "this file is not a Kintsugi bundle".into(),
        ));
    }
    if bytes[8] != VERSION {
        return Err(DeviceError::Invalid(format!(
            "this bundle uses format {}, which this version of Kintsugi cannot read",
            bytes[8]
        )));
    }
    if &bytes[9..HEADER_LEN] != expected_sender {
        return Err(DeviceError::Invalid(
            "this bundle was not made by your partner's device (another couple's, or your own)"
                .into(),
        ));
    }
    open(&key(couple_key), &bytes[..HEADER_LEN], &bytes[HEADER_LEN..]).map_err(|_| {
        DeviceError::Invalid(
            "this bundle is damaged, or was sealed for another pairing; nothing was imported"
                .into(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let k = Secret32::from_bytes([1; 32]);
        let b = seal_for_partner(&k, &[2; 32], b"changes").unwrap();
        assert_eq!(
            &open_from_partner(&k, &[2; 32], &b).unwrap()[..],
            b"changes"
        );
        assert!(open_from_partner(&k, &[3; 32], &b).is_err());
        assert!(open_from_partner(&Secret32::from_bytes([9; 32]), &[2; 32], &b).is_err());
        for i in 0..b.len() {
            let mut t = b.clone();
            t[i] ^= 4;
            assert!(open_from_partner(&k, &[2; 32], &t).is_err(), "flip at {i}");
        }
        assert!(open_from_partner(&k, &[2; 32], b"garbage").is_err());
    }

    /// The fixed vector of crates/net/PROTOCOL.md ("Offline bundles"), written by an
    /// implementation of the spec that shares no code with this one.
    #[test]
    fn the_protocol_vector_opens() {
        let text = include_str!("../../../testdata/net/bundle.txt");
        let hex = |key: &str| -> Vec<u8> {
            let line = text
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{key} = ")))
                .unwrap();
            (0..line.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&line[i..i + 2], 16).unwrap())
                .collect()
        };
        let k = Secret32::from_slice(&hex("couple_key")).unwrap();
        let sender: [u8; 32] = hex("sender").try_into().unwrap();
        let opened = open_from_partner(&k, &sender, &hex("bundle")).unwrap();
        assert_eq!(&opened[..], b"Automerge changes, opaque to the bundle");
    }
}
