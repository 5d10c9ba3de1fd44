//! Which key a session runs under. A couple key is replaced (a new *generation*)
//! when one of the couple's devices is removed, and a person's self key likewise;
//! devices hear of it one sync at a time, so for a while two devices may hold
//! different current keys. Each greeting lists the keys its sender holds, and the
//! session runs under the newest one both hold (PROTOCOL.md, "Handshake"): a device
//! that has not heard yet still syncs with one that has, and is then given the new
//! key ([`super::message::Rekey`]).

use kintsugi_crypto::{Secret32, derive_key};

use super::release::epoch_id;

/// The most keys a greeting lists: the current one and the newest earlier ones.
pub const MAX_OFFERED: usize = 8;

/// Names a key without revealing it: its generation and a one-way digest, so that
/// two devices can tell whether they hold the same key of a generation (two
/// removals made at once on two devices give two keys of one generation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId {
    pub generation: u32,
    pub id: [u8; 8],
}

impl KeyId {
    pub fn of(generation: u32, key: &Secret32) -> Self {
        let digest = derive_key(None, key.expose(), &[b"kintsugi key id v1"]);
        let mut id = [0u8; 8];
        id.copy_from_slice(&digest.expose()[..8]);
        Self { generation, id }
    }

    /// Whether a device holding `self` as its current key should give it to one
    /// holding `other`: a later generation, or, of the same generation, the key
    /// with the lower id, so that two devices which replaced the key at once end
    /// up agreeing on one of the two.
    pub fn newer_than(&self, other: &KeyId) -> bool {
        (self.generation, std::cmp::Reverse(self.id))
            > (other.generation, std::cmp::Reverse(other.id))
    }
}

/// The keys one side of a session holds, its current key first, and the epoch of
/// the journal they are for (which no longer follows from the current key once it
/// has been replaced).
#[derive(Clone, PartialEq, Eq)]
pub struct SessionKeys {
    epoch: [u8; 16],
    keys: Vec<(u32, Secret32)>,
}

impl std::fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionKeys")
            .field(
                "generations",
                &self.keys.iter().map(|k| k.0).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl SessionKeys {
    /// The first couple key of a journal, its only one: generation 0, and the
    /// journal's epoch follows from it.
    pub fn single(key: Secret32) -> Self {
        Self {
            epoch: epoch_id(&key),
            keys: vec![(0, key)],
        }
    }

    /// `current` and the keys it replaced (newest first), for the journal `epoch`.
    pub fn new(epoch: [u8; 16], current: (u32, Secret32), previous: &[(u32, Secret32)]) -> Self {
        let mut keys = vec![current];
        keys.extend(previous.iter().cloned());
        Self { epoch, keys }
    }

    pub fn epoch(&self) -> [u8; 16] {
        self.epoch
    }

    pub fn current(&self) -> &Secret32 {
        &self.keys[0].1
    }

    /// The key of `generation`, if held.
    pub fn of(&self, generation: u32) -> Option<&Secret32> {
        self.keys
            .iter()
            .find(|(g, _)| *g == generation)
            .map(|(_, k)| k)
    }

    pub fn current_id(&self) -> KeyId {
        KeyId::of(self.keys[0].0, &self.keys[0].1)
    }

    /// The same keys, each passed through `f` (the diary's, once its history was
    /// released, are derived from the self keys), for another epoch.
    pub fn derive(&self, epoch: [u8; 16], f: impl Fn(&Secret32) -> Secret32) -> Self {
        Self {
            epoch,
            keys: self.keys.iter().map(|(g, k)| (*g, f(k))).collect(),
        }
    }

    /// What the greeting lists: at most [`MAX_OFFERED`] keys, newest first, one per
    /// generation (the first of each, which is the one this device took last).
    pub fn offered(&self) -> Vec<KeyId> {
        let mut out: Vec<KeyId> = Vec::with_capacity(MAX_OFFERED);
        for (g, k) in &self.keys {
            if out.len() == MAX_OFFERED {
                break;
            }
            if out.last().is_some_and(|last| last.generation <= *g) {
                continue;
            }
            out.push(KeyId::of(*g, k));
        }
        out
    }

    /// The newest key both sides hold, given what the other side's greeting listed.
    pub fn choose(&self, theirs: &[KeyId]) -> Option<(KeyId, &Secret32)> {
        self.keys
            .iter()
            .map(|(g, k)| (KeyId::of(*g, k), k))
            .filter(|(id, _)| theirs.contains(id))
            .max_by_key(|(id, _)| id.generation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> Secret32 {
        Secret32::from_bytes([b; 32])
    }

    #[test]
    fn the_newest_common_key_is_chosen_and_none_when_nothing_is_shared() {
        let old = SessionKeys::single(key(0));
        let new = SessionKeys::new(old.epoch(), (2, key(2)), &[(1, key(1)), (0, key(0))]);
        assert_eq!(new.offered().len(), 3);
        let (id, k) = new.choose(&old.offered()).unwrap();
        assert_eq!((id.generation, k), (0, &key(0)));
        let (id, _) = old.choose(&new.offered()).unwrap();
        assert_eq!(id.generation, 0);
        let also_new = SessionKeys::new(old.epoch(), (1, key(1)), &[(0, key(0))]);
        assert_eq!(new.choose(&also_new.offered()).unwrap().0.generation, 1);
        // Same generation, another key: not in common.
        let crossed = SessionKeys::new(old.epoch(), (1, key(9)), &[]);
        assert!(new.choose(&crossed.offered()).is_none());
        assert!(SessionKeys::single(key(5)).choose(&old.offered()).is_none());
    }

    #[test]
    fn newer_means_a_later_generation_or_the_lower_id_of_the_same() {
        let a = KeyId::of(1, &key(1));
        let b = KeyId::of(1, &key(2));
        assert!(KeyId::of(2, &key(0)).newer_than(&a));
        assert!(!a.newer_than(&KeyId::of(2, &key(0))));
        assert_ne!(a.newer_than(&b), b.newer_than(&a));
        assert!(!a.newer_than(&a));
    }

    #[test]
    fn a_key_replaced_within_its_generation_is_listed_once() {
        let keys = SessionKeys::new([0; 16], (1, key(1)), &[(1, key(7)), (0, key(0))]);
        let offered = keys.offered();
        assert_eq!(
            offered.iter().map(|k| k.generation).collect::<Vec<_>>(),
            vec![1, 0]
        );
        assert_eq!(offered[0], KeyId::of(1, &key(1)));
    }
}
