//! New keys after a device is removed, and how they reach the devices that stay.
//!
//! Removing a device ([`crate::revoke`]) replaces, on the device that removes it,
//! the couple key (a new *generation*, which every device of the couple gets), the
//! person's self key (the diary's, which only that person's devices get) and the
//! person's signing key. The removed device keeps the old keys, so a bundle sealed
//! under the new couple key, or a diary session under the new self key, is closed to
//! it even where a device has not yet heard of the removal.
//!
//! The new keys travel one sync at a time, device to device, as a sealed
//! [`Rekey`]: once a session is in sync, the side whose current key is newer gives
//! it to the other ([`KeyId::newer_than`]). Being in sync, the receiver already holds
//! the signed `revoked:` records the key is made for, and takes the key only if each
//! device it shuts out is removed there and the sender is not. A person's signing
//! key is taken only if its public half is the one that person's latest removal
//! record names. The keys it replaces stay (up to eight), so that a device that has
//! not heard yet still syncs and hears it.
//!
//! Two removals made at once on two devices give two keys of one generation. The
//! lower id wins everywhere, and a device that gives up its own key for the other
//! makes a fresh one at the next generation, since a device removed by the losing
//! removal may have been given the winning key before the news reached its giver.

use kintsugi_crypto::{Secret32, derive_key, signing_public};
use kintsugi_net::EndpointId;
use kintsugi_net::sync::{KeyId, Rekey, ReplicaError};
use kintsugi_store::Keyring;

use crate::release::pairing_epoch;
use crate::{Device, DeviceError, Result};

/// Which key a session's [`Rekey`] carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyKind {
    /// The couple key, on the shared journal's sessions.
    Couple,
    /// The person's self key and signing key, on the diary's sessions.
    Own,
}

/// Replaces the couple key and the self key with fresh ones, at the next
/// generation each, keeping the ones they replace. Part of the keyring write that
/// finishes a removal.
pub(crate) fn replace_keys(k: &mut Keyring, couple: Secret32, own: Secret32) {
    if let Some(p) = k.pairing.as_mut() {
        let epoch = pairing_epoch(p);
        p.replace_key(p.generation + 1, couple, epoch);
    }
    if let Some(p) = k.person.as_mut() {
        p.replace_self_key(p.self_generation + 1, own);
    }
}

/// One session's part in passing keys on: what the other side is known to hold.
pub(crate) struct Rekeying {
    kind: KeyKind,
    peer: Option<EndpointId>,
    /// The other side's newest key, once its greeting or a key given either way
    /// told it.
    theirs: Option<KeyId>,
}

impl Rekeying {
    pub(crate) fn new(kind: KeyKind, peer: Option<EndpointId>) -> Self {
        Self {
            kind,
            peer,
            theirs: None,
        }
    }

    /// The other side's newest key, from its greeting.
    pub(crate) fn set_theirs(&mut self, theirs: KeyId) {
        self.theirs = Some(theirs);
    }

    /// Whether both sides are known to hold the same current key (or nothing is
    /// known of the other's, as when sessions are played in memory). A release of
    /// history derives the next journal's key from the current one, so it waits
    /// until the newer key was given.
    pub(crate) fn agree(&self, device: &Device) -> std::result::Result<bool, ReplicaError> {
        let Some(theirs) = self.theirs else {
            return Ok(true);
        };
        let Some((mine, key, _)) = device.current_key(self.kind).map_err(other)? else {
            return Ok(true);
        };
        Ok(device
            .session_key_id(self.kind, mine.generation, &key)
            .map_err(other)?
            == theirs)
    }

    /// The key to give the other side, whose newest is `theirs` (its greeting's):
    /// this device's current one, if it is newer and this session has not given it.
    pub(crate) fn outbox(
        &mut self,
        device: &Device,
        theirs: KeyId,
    ) -> std::result::Result<Option<Rekey>, ReplicaError> {
        self.outbox_inner(device, theirs).map_err(other)
    }

    fn outbox_inner(&mut self, device: &Device, theirs: KeyId) -> Result<Option<Rekey>> {
        let known = *self.theirs.get_or_insert(theirs);
        let Some((mine, key, person)) = device.current_key(self.kind)? else {
            return Ok(None);
        };
        if !device
            .session_key_id(self.kind, mine.generation, &key)?
            .newer_than(&known)
        {
            return Ok(None);
        }
        let removed = device.removed_endpoints()?;
        if removed.is_empty() || self.peer.is_some_and(|p| removed.contains(p.as_bytes())) {
            return Ok(None);
        }
        self.theirs = Some(device.session_key_id(self.kind, mine.generation, &key)?);
        Ok(Some(Rekey {
            generation: mine.generation,
            key,
            removed,
            person,
        }))
    }

    /// A key the other side gave: stored if it is newer than this device's and the
    /// records here justify it; refused (the session ends, nothing stored) if not.
    pub(crate) fn receive(
        &mut self,
        device: &Device,
        rekey: Rekey,
    ) -> std::result::Result<(), ReplicaError> {
        match device.take_key(self.kind, self.peer, &rekey) {
            Ok(given) => {
                self.theirs = Some(given);
                Ok(())
            }
            Err(e) => Err(other(e)),
        }
    }
}

fn other(e: DeviceError) -> ReplicaError {
    crate::replica::replica_error(e)
}

/// The other device sent a key this device must not take: the session ends as
/// refused, and nothing is stored.
fn refused(why: &str) -> DeviceError {
    DeviceError::Sync(why.into())
}

/// The records a key needs have not reached this device yet (the diary can be in
/// sync before the shared journal is): the session ends, nothing is stored, and the
/// next session offers the key again.
fn not_yet() -> DeviceError {
    DeviceError::Link(
        "a new key arrived before the record of the removal it is for; a later session takes it"
            .into(),
    )
}

impl Device {
    /// Every device removed, of either person, as the records here say.
    pub(crate) fn removed_endpoints(&self) -> Result<Vec<[u8; 32]>> {
        let set = self.device_set()?;
        let mut out: Vec<[u8; 32]> = set
            .people
            .iter()
            .flat_map(|p| p.revoked.iter().map(|r| r.endpoint))
            .collect();
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// The current key of `kind` as it travels: its generation and id, the key,
    /// and (for the diary's sessions) the person's signing key.
    #[allow(clippy::type_complexity)]
    fn current_key(
        &self,
        kind: KeyKind,
    ) -> Result<Option<(KeyId, Secret32, Option<(u32, Secret32)>)>> {
        self.with(|i| {
            let k = &i.keys.keyring;
            Ok(match kind {
                KeyKind::Couple => k.pairing.as_ref().map(|p| {
                    (
                        KeyId::of(p.generation, &p.couple_key),
                        p.couple_key.clone(),
                        None,
                    )
                }),
                KeyKind::Own => k.person.as_ref().map(|p| {
                    (
                        KeyId::of(p.self_generation, &p.self_key),
                        p.self_key.clone(),
                        Some((p.generation, p.seed.clone())),
                    )
                }),
            })
        })
    }

    /// The id under which a session names `key` of `generation`: the diary's
    /// sessions run under keys derived from the self keys once its history was
    /// released ([`Device::diary_keys`]), and name those.
    fn session_key_id(&self, kind: KeyKind, generation: u32, key: &Secret32) -> Result<KeyId> {
        Ok(match kind {
            KeyKind::Couple => KeyId::of(generation, key),
            KeyKind::Own => KeyId::of(generation, &self.diary_session_key(key)?),
        })
    }

    /// Checks a key the other device `peer` gave, and stores it if it is newer.
    /// Returns the id of the key it gave.
    fn take_key(&self, kind: KeyKind, peer: Option<EndpointId>, rekey: &Rekey) -> Result<KeyId> {
        let given = self.session_key_id(kind, rekey.generation, &rekey.key)?;
        let removed = self.removed_endpoints()?;
        if rekey.removed.is_empty() {
            return Err(refused("a new key that names no removed device"));
        }
        let person = match (kind, &rekey.person) {
            (KeyKind::Couple, None) => None,
            (KeyKind::Own, Some((generation, seed))) => Some((*generation, seed.clone())),
            _ => return Err(refused("a key of the wrong kind for this session")),
        };
        if peer.is_some_and(|p| removed.contains(p.as_bytes())) {
            return Err(refused("a new key from a removed device"));
        }
        if rekey.removed.iter().any(|r| !removed.contains(r)) {
            return Err(not_yet());
        }
        let Some((mine, key, _)) = self.current_key(kind)? else {
            return Ok(given);
        };
        let newer = given.newer_than(&self.session_key_id(kind, mine.generation, &key)?);
        // Two removals crossed: this device gives up its own key of the same
        // generation and makes the next one.
        let again = if newer && rekey.generation == mine.generation {
            Some(Secret32::random()?)
        } else {
            None
        };
        let signing = match person {
            Some((generation, seed)) => self.checked_signing_key(generation, seed)?,
            None => None,
        };
        if !newer && signing.is_none() {
            return Ok(given);
        }
        self.with(|i| {
            i.keys.update(|k| {
                if newer {
                    match kind {
                        KeyKind::Couple => {
                            if let Some(p) = k.pairing.as_mut() {
                                let epoch = pairing_epoch(p);
                                p.replace_key(rekey.generation, rekey.key.clone(), epoch);
                                if let Some(fresh) = &again {
                                    p.replace_key(rekey.generation + 1, fresh.clone(), epoch);
                                }
                            }
                        }
                        KeyKind::Own => {
                            if let Some(p) = k.person.as_mut() {
                                p.replace_self_key(rekey.generation, rekey.key.clone());
                                if let Some(fresh) = &again {
                                    p.replace_self_key(rekey.generation + 1, fresh.clone());
                                }
                            }
                        }
                    }
                }
                if let (Some((generation, seed)), Some(p)) = (&signing, k.person.as_mut())
                    && *generation > p.generation
                {
                    p.seed = seed.clone();
                    p.generation = *generation;
                }
            })?;
            Ok(())
        })?;
        tracing::info!(?kind, generation = rekey.generation, "took a newer key");
        // Sessions with other devices pass it on once they are in sync.
        self.changes.send_modify(|n| *n += 1);
        self.diary_changes.send_modify(|n| *n += 1);
        Ok(given)
    }

    /// The person's signing key of `generation`, if it is newer than the one held
    /// here and its public half is the one the person's latest removal record names.
    fn checked_signing_key(
        &self,
        generation: u32,
        seed: Secret32,
    ) -> Result<Option<(u32, Secret32)>> {
        let held = self.with(|i| Ok(i.keys.keyring.person.as_ref().map(|p| p.generation)))?;
        if held.is_none_or(|h| generation <= h) {
            return Ok(None);
        }
        let me = self.me()?;
        let set = self.device_set()?;
        let Some(mine) = set.people.iter().find(|p| p.person == me) else {
            return Err(not_yet());
        };
        if mine.generation < generation {
            return Err(not_yet());
        }
        if mine.generation != generation || mine.public != Some(signing_public(&seed)) {
            return Err(refused(
                "a signing key that is not the one the person's removal record names",
            ));
        }
        Ok(Some((generation, seed)))
    }

    /// `key`, one of the self keys, as the diary's sessions use it now.
    fn diary_session_key(&self, key: &Secret32) -> Result<Secret32> {
        self.with(|i| Ok(diary_session_key(key, i.diary.doc.epoch())))
    }
}

/// `key`, one of the self keys, as the diary's sessions use it: itself until the
/// diary's history is first released, then derived with the diary's `epoch`, so that
/// a device still holding the old diary holds none of the new keys.
pub(crate) fn diary_session_key(key: &Secret32, epoch: Option<[u8; 16]>) -> Secret32 {
    match epoch {
        None => key.clone(),
        Some(epoch) => derive_key(
            None,
            key.expose(),
            &[b"kintsugi/self/1 released diary", &epoch],
        ),
    }
}

#[cfg(test)]
mod tests;
