//! Offline bundles: the shared journal's changes sealed for the partner, to carry on
//! a USB stick or through any messenger.
//!
//! ```text
//! magic "KTSGBNDL" | version u8 = 3 | sender endpoint id (32) | epoch (16) | generation u32
//!     | Seal(k, aad = header, changes)
//! k = HKDF(couple key of that generation, "kintsugi bundle v1")
//! ```
//!
//! The epoch names the journal the bundle belongs to (see `release`): a bundle from
//! before a release of history is refused by name, since its changes would bring back
//! what was released (they could not open anyway: the couple key changed too). The
//! generation names the couple key: one made after a device was removed is sealed
//! under a key the removed device never receives, and one sealed under a key since
//! replaced is refused, since a removed device still holds that key and could have
//! made it. Versions 1 (no epoch) and 2 (no generation) are read as generation 0;
//! version 1 only while this device never released anything.

use kintsugi_crypto::{Secret32, derive_key, open, seal};
use kintsugi_net::sync::SessionKeys;
use zeroize::Zeroizing;

use automerge::sync;

use crate::bounded::{MAX_BUNDLE_FILE, MAX_DECODED};
use crate::partner::iroh_id;
use crate::{BundleProblem, Device, DeviceError, DocKind, Result};

const MAGIC: &[u8; 8] = b"KTSGBNDL";
const VERSION: u8 = 3;
const V1_HEADER_LEN: usize = 8 + 1 + 32;
const V2_HEADER_LEN: usize = V1_HEADER_LEN + 16;
const HEADER_LEN: usize = V2_HEADER_LEN + 4;

fn key(couple_key: &Secret32) -> Secret32 {
    derive_key(None, couple_key.expose(), &[b"kintsugi bundle v1"])
}

/// Seals `changes` under the current couple key of `keys`.
pub(crate) fn seal_for_partner(
    keys: &SessionKeys,
    sender: &[u8; 32],
    changes: &[u8],
) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(HEADER_LEN + changes.len() + 40);
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    out.extend_from_slice(sender);
    out.extend_from_slice(&keys.epoch());
    out.extend_from_slice(&keys.current_id().generation.to_be_bytes());
    let sealed = seal(&key(keys.current()), &out[..HEADER_LEN], changes)?;
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Checks that the bundle comes from a device `sender_counts` accepts, for the
/// journal and under the current couple key of `keys`, and opens it. `released`
/// tells the journals (epochs) this device released, and `any_released` whether it
/// released any.
pub(crate) fn open_from_partner(
    keys: &SessionKeys,
    sender_counts: impl Fn(&[u8; 32]) -> bool,
    bytes: &[u8],
    released: impl Fn(&[u8; 16]) -> bool,
    any_released: bool,
) -> Result<Zeroizing<Vec<u8>>> {
    let bad = |p| Err(DeviceError::BadBundle(p));
    if bytes.len() < V1_HEADER_LEN || &bytes[..8] != MAGIC {
        return bad(BundleProblem::NotABundle);
    }
    let header_len = match bytes[8] {
        // Made before epochs existed, so before any release: of a released journal
        // if this device released one.
        1 if any_released => return bad(BundleProblem::HistoryReleased),
        1 => V1_HEADER_LEN,
        2 if bytes.len() >= V2_HEADER_LEN => V2_HEADER_LEN,
        VERSION if bytes.len() >= HEADER_LEN => HEADER_LEN,
        2 | VERSION => return bad(BundleProblem::NotABundle),
        v => return bad(BundleProblem::UnknownVersion(v)),
    };
    let mut sender = [0u8; 32];
    sender.copy_from_slice(&bytes[9..V1_HEADER_LEN]);
    if !sender_counts(&sender) {
        return bad(BundleProblem::WrongSender);
    }
    if header_len >= V2_HEADER_LEN {
        let mut epoch = [0u8; 16];
        epoch.copy_from_slice(&bytes[V1_HEADER_LEN..V2_HEADER_LEN]);
        if released(&epoch) {
            return bad(BundleProblem::HistoryReleased);
        }
        if epoch != keys.epoch() {
            return bad(BundleProblem::OtherJournal);
        }
    }
    let generation = match bytes.get(V2_HEADER_LEN..HEADER_LEN) {
        Some(g) if header_len == HEADER_LEN => u32::from_be_bytes([g[0], g[1], g[2], g[3]]),
        _ => 0,
    };
    let current = keys.current_id().generation;
    if generation > current {
        return bad(BundleProblem::NewerKey);
    }
    if generation < current {
        return bad(BundleProblem::ReplacedKey);
    }
    open(
        &key(keys.current()),
        &bytes[..header_len],
        &bytes[header_len..],
    )
    .map_err(|_| DeviceError::BadBundle(BundleProblem::Damaged))
}

impl Device {
    /// An encrypted file of the shared journal's changes that the partner may lack
    /// (everything since the last state both devices were known to share), for when
    /// there is no network path at all.
    pub fn export_bundle(&self) -> Result<Vec<u8>> {
        let keys = self
            .couple_keys()?
            .ok_or_else(|| DeviceError::NotPaired("a bundle is sealed for your partner"))?;
        let state = self.partner_state()?;
        let since = state
            .sync_state
            .as_deref()
            .and_then(|b| sync::State::decode(b).ok())
            .map(|s| s.shared_heads)
            .unwrap_or_default();
        let (me_endpoint, changes) = self.with(|i| {
            let changes = i.shared.doc.save_after(&since);
            let secret = iroh_id(&i.keys.keyring.device_secret);
            Ok((secret, changes))
        })?;
        // A bundle the partner's device would refuse is no use to anyone.
        if changes.len() as u64 > MAX_DECODED {
            return Err(DeviceError::BadBundle(BundleProblem::TooLargeToSend {
                size: changes.len() as u64,
                max: MAX_DECODED,
            }));
        }
        crate::bundle::seal_for_partner(&keys, &me_endpoint, &zeroize::Zeroizing::new(changes))
    }

    /// Writes [`Device::export_bundle`] to `path`, readable by its owner only.
    pub fn export_bundle_to(
        &self,
        path: &std::path::Path,
        replace: kintsugi_store::Replace,
    ) -> Result<()> {
        Ok(kintsugi_store::write_private_file(
            path,
            &self.export_bundle()?,
            replace,
        )?)
    }

    /// [`Device::import_bundle`] of a file, whose size is checked before anything of
    /// it is read ([`crate::MAX_BUNDLE_FILE`]).
    pub fn import_bundle_file(&self, path: &std::path::Path) -> Result<bool> {
        let bytes = crate::bounded::read_bundle_file(path)?;
        self.import_bundle(&bytes)
    }

    /// Merges a bundle from the partner. Importing the same bundle twice, or an
    /// older one after a newer, changes nothing. What it holds is checked before
    /// Automerge sees it (see `bounded`).
    pub fn import_bundle(&self, bytes: &[u8]) -> Result<bool> {
        if bytes.len() as u64 > MAX_BUNDLE_FILE {
            return Err(DeviceError::BadBundle(BundleProblem::TooLarge {
                size: bytes.len() as u64,
                max: MAX_BUNDLE_FILE,
            }));
        }
        let keys = self
            .couple_keys()?
            .ok_or_else(|| DeviceError::NotPaired("only your partner's bundles can be imported"))?;
        let released = self.released_epochs()?;
        // Any device of the couple this one syncs with: a removed one is not.
        let senders = self.sync_peers()?;
        let changes = crate::bundle::open_from_partner(
            &keys,
            |s| senders.iter().any(|p| p.as_bytes() == s),
            bytes,
            |e| released.contains(e),
            !released.is_empty(),
        )?;
        let refused = |r| DeviceError::BadBundle(BundleProblem::Refused(r));
        crate::bounded::check_bundle_changes(&changes).map_err(refused)?;
        let (_, changed) = self
            .with(|i| {
                crate::bounded::apply_from_partner(&mut i.shared, |shared| {
                    shared.write(|d| d.load_incremental(&changes))
                })
            })
            .map_err(|e| match e {
                DeviceError::Refused(r) => refused(r),
                e => e,
            })?;
        if changed {
            self.emit(DocKind::Shared, false);
        }
        Ok(changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let k = SessionKeys::single(Secret32::from_bytes([1; 32]));
        let b = seal_for_partner(&k, &[2; 32], b"changes").unwrap();
        let open = |k: &SessionKeys, sender: &[u8; 32], b: &[u8]| {
            open_from_partner(k, |s| s == sender, b, |_| false, false)
        };
        assert_eq!(&open(&k, &[2; 32], &b).unwrap()[..], b"changes");
        assert!(open(&k, &[3; 32], &b).is_err());
        let wrong = SessionKeys::new(k.epoch(), (0, Secret32::from_bytes([9; 32])), &[]);
        assert!(matches!(
            open(&wrong, &[2; 32], &b),
            Err(DeviceError::BadBundle(BundleProblem::Damaged))
        ));
        for i in 0..b.len() {
            let mut t = b.clone();
            t[i] ^= 4;
            assert!(open(&k, &[2; 32], &t).is_err(), "flip at {i}");
        }
        assert!(open(&k, &[2; 32], b"garbage").is_err());
        // A bundle of a released journal is refused by name, before anything opens;
        // so is one of a journal this device does not know.
        let epoch = k.epoch();
        let err = open_from_partner(&k, |s| s == &[2; 32], &b, |e| e == &epoch, true).unwrap_err();
        assert!(matches!(
            err,
            DeviceError::BadBundle(BundleProblem::HistoryReleased)
        ));
        let other = SessionKeys::single(Secret32::from_bytes([8; 32]));
        let other = seal_for_partner(&other, &[2; 32], b"x").unwrap();
        let err = open(&k, &[2; 32], &other).unwrap_err();
        assert!(matches!(
            err,
            DeviceError::BadBundle(BundleProblem::OtherJournal)
        ));
        // Versions 1 and 2 open as generation 0; version 1 until this device
        // releases a journal.
        let mut v1 = b[..V1_HEADER_LEN].to_vec();
        v1[8] = 1;
        let sealed = seal(&key(k.current()), &v1, b"old").unwrap();
        v1.extend_from_slice(&sealed);
        assert_eq!(&open(&k, &[2; 32], &v1).unwrap()[..], b"old");
        let err = open_from_partner(&k, |s| s == &[2; 32], &v1, |_| false, true).unwrap_err();
        assert!(matches!(
            err,
            DeviceError::BadBundle(BundleProblem::HistoryReleased)
        ));
        let mut v2 = b[..V2_HEADER_LEN].to_vec();
        v2[8] = 2;
        let sealed = seal(&key(k.current()), &v2, b"older").unwrap();
        v2.extend_from_slice(&sealed);
        assert_eq!(&open(&k, &[2; 32], &v2).unwrap()[..], b"older");
    }

    /// After a removal: a bundle under the new key does not open where only the old
    /// one is held, and one under the old key is refused where the new one is.
    #[test]
    fn a_bundle_opens_only_under_the_generation_it_names() {
        let old = SessionKeys::single(Secret32::from_bytes([1; 32]));
        let new = SessionKeys::new(
            old.epoch(),
            (1, Secret32::from_bytes([7; 32])),
            &[(0, Secret32::from_bytes([1; 32]))],
        );
        let open = |k: &SessionKeys, b: &[u8]| open_from_partner(k, |_| true, b, |_| false, false);
        let after = seal_for_partner(&new, &[2; 32], b"after").unwrap();
        let before = seal_for_partner(&old, &[2; 32], b"before").unwrap();
        assert_eq!(&open(&new, &after).unwrap()[..], b"after");
        assert!(matches!(
            open(&old, &after),
            Err(DeviceError::BadBundle(BundleProblem::NewerKey))
        ));
        assert!(matches!(
            open(&new, &before),
            Err(DeviceError::BadBundle(BundleProblem::ReplacedKey))
        ));
        // Claiming the old generation for a bundle sealed under the new key opens
        // nothing: the generation is in the sealed header.
        let mut claimed = after.clone();
        claimed[HEADER_LEN - 1] = 0;
        assert!(open(&old, &claimed).is_err());
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
        // Sealed under the key that replaced the first one, at generation 1.
        let first = Secret32::from_slice(&hex("couple_key")).unwrap();
        let k = SessionKeys::new(
            crate::release::epoch_of(&first),
            (1, Secret32::from_slice(&hex("couple_key_1")).unwrap()),
            &[(0, first)],
        );
        let sender: [u8; 32] = hex("sender").try_into().unwrap();
        let opened =
            open_from_partner(&k, |s| s == &sender, &hex("bundle"), |_| false, false).unwrap();
        assert_eq!(&opened[..], b"Automerge changes, opaque to the bundle");
    }
}
