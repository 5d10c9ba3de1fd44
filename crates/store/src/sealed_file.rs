//! Small files sealed whole under the profile key (sync state, settings that name
//! the partner). Rewritten atomically; `label` goes into the associated data so one
//! such file can never be passed off as another.

use std::path::Path;

use kintsugi_crypto::{NONCE_LEN, Secret32, open, random_array, seal_with_nonce};
use zeroize::Zeroizing;

use crate::{StoreError, atomic_write};

const MAGIC: &[u8; 8] = b"KTSGSEAL";

pub fn write_sealed(
    path: &Path,
    key: &Secret32,
    label: &str,
    plain: &[u8],
) -> Result<(), StoreError> {
    atomic_write(path, &encode(key, label, plain, &random_array()?)?)
}

/// The whole file. The nonce is a parameter only so that the published test vectors
/// can be reproduced; every real write passes a fresh random one.
pub(crate) fn encode(
    key: &Secret32,
    label: &str,
    plain: &[u8],
    nonce: &[u8; NONCE_LEN],
) -> Result<Vec<u8>, StoreError> {
    let sealed = seal_with_nonce(key, nonce, &aad(label), plain)?;
    let mut out = Vec::with_capacity(8 + sealed.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&sealed);
    Ok(out)
}

fn aad(label: &str) -> Vec<u8> {
    let mut aad = MAGIC.to_vec();
    aad.extend_from_slice(label.as_bytes());
    aad
}

/// `Ok(None)` when the file does not exist yet.
pub fn read_sealed(
    path: &Path,
    key: &Secret32,
    label: &str,
) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(StoreError::io(format!("reading {}", path.display()))(e)),
    };
    if bytes.len() < 8 || &bytes[..8] != MAGIC {
        return Err(StoreError::BadMagic {
            path: path.to_path_buf(),
            what: "sealed state",
        });
    }
    open(key, &aad(label), &bytes[8..])
        .map(Some)
        .map_err(|_| StoreError::Corrupt {
            path: path.to_path_buf(),
            index: 0,
            offset: 8,
            reason: "it failed authentication",
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_label_binding() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state");
        let k = Secret32::from_bytes([1; 32]);
        assert!(read_sealed(&p, &k, "a").unwrap().is_none());
        write_sealed(&p, &k, "a", b"hello").unwrap();
        assert_eq!(&read_sealed(&p, &k, "a").unwrap().unwrap()[..], b"hello");
        assert!(read_sealed(&p, &k, "b").is_err());
        assert!(!std::fs::read(&p).unwrap().windows(5).any(|w| w == b"hello"));
    }
}
