//! What this device knows about its partner besides the keys: where it was last
//! reached, its name, when the two last held the same journal, and the sync states
//! that keep the next session short (the shared journal's with every device of the
//! couple, the diary's with this person's own). Stored sealed in `partner.sealed`.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use kintsugi_net::EndpointId;
use kintsugi_net::sync::SessionKeys;
use kintsugi_store::Pairing;
use serde::{Deserialize, Serialize};

use crate::state_file::StateFile;
use crate::{Device, DeviceError, Event, Result};

/// What sync learnt about the partner; all of it can be learnt again, so a copy
/// another version wrote starts afresh instead of stopping sync.
pub(crate) const PARTNER: StateFile = StateFile {
    name: "partner.sealed",
    context: "partner v1",
    fresh_if_unreadable: true,
    fresh_if_damaged: false,
};

/// What this device remembers about its partner besides the keys.
///
/// The fields at the top are the partner's first device, the one checked at pairing
/// (the shape this file always had); every other device of the couple this device
/// syncs with has its own entry in `devices`, so that no two peers share a sync
/// state: Automerge's sync state records what one peer holds, and a second peer's
/// session would overwrite it with its own.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct PartnerState {
    pub addrs: Vec<SocketAddr>,
    /// The relay the partner last said reaches it (`anywhere` mode), as its URL.
    #[serde(default)]
    pub relay: Option<String>,
    pub name: Option<String>,
    pub last_sync: Option<i64>,
    /// Automerge's persisted sync state (shared heads), so reconnects are cheap.
    pub sync_state: Option<Vec<u8>>,
    /// Every other device of the couple, by endpoint id in hex.
    #[serde(default)]
    pub devices: BTreeMap<String, PeerState>,
    /// The diary's sync state with the device of the top fields. That device is the
    /// partner's, with whom no diary ever syncs, so it stays empty; it is here so that
    /// a diary state is found by the same slot as every other state of a peer.
    #[serde(default)]
    pub diary_sync_state: Option<Vec<u8>>,
    /// The diary's sync state with each of this person's other devices, by endpoint
    /// id in hex, as in `devices`. Beside `devices` rather than in [`PeerState`],
    /// whose every field linking fills in (`link.rs`): a diary state is never handed
    /// from one device to another.
    #[serde(default)]
    pub diary_sync_states: BTreeMap<String, Vec<u8>>,
}

/// What sync learnt about one device of the couple.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PeerState {
    pub addrs: Vec<SocketAddr>,
    pub relay: Option<String>,
    pub last_sync: Option<i64>,
    pub sync_state: Option<Vec<u8>>,
}

/// Where a peer's state lives in [`PartnerState`]: `None` for the partner's first
/// device (the top fields), else its entry in `devices`.
type Slot = Option<String>;

impl PartnerState {
    fn peer(&self, slot: &Slot) -> PeerState {
        match slot {
            None => PeerState {
                addrs: self.addrs.clone(),
                relay: self.relay.clone(),
                last_sync: self.last_sync,
                sync_state: self.sync_state.clone(),
            },
            Some(key) => self.devices.get(key).cloned().unwrap_or_default(),
        }
    }

    fn set_peer(&mut self, slot: &Slot, peer: PeerState) {
        match slot {
            None => {
                self.addrs = peer.addrs;
                self.relay = peer.relay;
                self.last_sync = peer.last_sync;
                self.sync_state = peer.sync_state;
            }
            Some(key) => {
                self.devices.insert(key.clone(), peer);
            }
        }
    }

    /// Forgets what every peer was known to hold (the journal was released, and
    /// those states describe the old one).
    pub(crate) fn forget_sync_states(&mut self) {
        self.sync_state = None;
        for peer in self.devices.values_mut() {
            peer.sync_state = None;
        }
    }

    fn diary_state(&self, slot: &Slot) -> Option<Vec<u8>> {
        match slot {
            None => self.diary_sync_state.clone(),
            Some(key) => self.diary_sync_states.get(key).cloned(),
        }
    }

    fn set_diary_state(&mut self, slot: &Slot, state: Option<Vec<u8>>) {
        match (slot, state) {
            (None, state) => self.diary_sync_state = state,
            (Some(key), Some(state)) => {
                self.diary_sync_states.insert(key.clone(), state);
            }
            (Some(key), None) => {
                self.diary_sync_states.remove(key);
            }
        }
    }

    /// Forgets what every device was known to hold of the diary (its history was
    /// released here, and those states describe the old diary).
    pub(crate) fn forget_diary_sync_states(&mut self) {
        self.diary_sync_state = None;
        self.diary_sync_states.clear();
    }
}

/// How the partner looks from here, for `status` and the home screen.
#[derive(Debug, Clone, Serialize)]
pub struct PartnerInfo {
    pub endpoint: String,
    pub name: Option<String>,
    pub last_sync: Option<i64>,
    pub addrs: Vec<SocketAddr>,
    pub relay: Option<String>,
}

impl Device {
    pub(crate) fn partner_state(&self) -> Result<PartnerState> {
        self.with(|i| PARTNER.read(i))
    }

    /// Under the device lock, from read to write: the link, the session's end and
    /// the address book each record their part at their own time.
    pub(crate) fn update_partner_state(&self, f: impl FnOnce(&mut PartnerState)) -> Result<()> {
        self.update_state_file(&PARTNER, |p: &mut PartnerState| {
            f(p);
            Ok(())
        })
        .map(drop)
    }

    fn slot(&self, peer: Option<EndpointId>) -> Result<Slot> {
        let anchor =
            self.with(|i| Ok(i.keys.keyring.pairing.as_ref().map(|p| p.partner_endpoint)))?;
        Ok(match peer {
            Some(peer) if Some(*peer.as_bytes()) != anchor => Some(peer.to_string()),
            _ => None,
        })
    }

    /// What sync learnt about `peer`; `None` is the partner's first device.
    pub(crate) fn peer_state(&self, peer: Option<EndpointId>) -> Result<PeerState> {
        let slot = self.slot(peer)?;
        Ok(self.partner_state()?.peer(&slot))
    }

    /// When each device of the couple last synced with this one, by endpoint, from
    /// one read of the stored state (the device list asks for every row at once).
    pub(crate) fn last_syncs(&self) -> Result<BTreeMap<[u8; 32], i64>> {
        let anchor =
            self.with(|i| Ok(i.keys.keyring.pairing.as_ref().map(|p| p.partner_endpoint)))?;
        let state = self.partner_state()?;
        let mut out = BTreeMap::new();
        if let (Some(anchor), Some(at)) = (anchor, state.peer(&None).last_sync) {
            out.insert(anchor, at);
        }
        for (slot, peer) in &state.devices {
            if let (Ok(id), Some(at)) = (slot.parse::<EndpointId>(), peer.last_sync) {
                out.insert(*id.as_bytes(), at);
            }
        }
        Ok(out)
    }

    /// The diary's sync state with `peer` (one of this person's own devices), as the
    /// last session with it left it.
    pub(crate) fn peer_diary_state(&self, peer: EndpointId) -> Result<Option<Vec<u8>>> {
        let slot = self.slot(Some(peer))?;
        Ok(self.partner_state()?.diary_state(&slot))
    }

    /// Keeps the diary's sync state with `peer` for its next session.
    pub(crate) fn set_peer_diary_state(
        &self,
        peer: EndpointId,
        state: Option<Vec<u8>>,
    ) -> Result<()> {
        let slot = self.slot(Some(peer))?;
        self.update_partner_state(|p| p.set_diary_state(&slot, state))
    }

    /// [`Device::update_partner_state`] for one peer's part.
    pub(crate) fn update_peer_state(
        &self,
        peer: Option<EndpointId>,
        f: impl FnOnce(&mut PeerState),
    ) -> Result<()> {
        let slot = self.slot(peer)?;
        self.update_partner_state(|state| {
            let mut p = state.peer(&slot);
            f(&mut p);
            state.set_peer(&slot, p);
        })
    }

    /// The relay `peer` last named, if it still parses (a hand-edited or damaged
    /// entry is ignored: the next hello names it again).
    pub(crate) fn peer_relay(&self, peer: Option<EndpointId>) -> Option<kintsugi_net::RelayUrl> {
        self.peer_state(peer)
            .ok()?
            .relay?
            .parse::<kintsugi_net::RelayUrl>()
            .ok()
    }

    /// The paired partner, if any.
    pub fn partner(&self) -> Result<Option<PartnerInfo>> {
        let Some(endpoint) =
            self.with(|i| Ok(i.keys.keyring.pairing.as_ref().map(|p| p.partner_endpoint)))?
        else {
            return Ok(None);
        };
        let state = self.partner_state()?;
        let me = self.me()?;
        let doc_name = self.read_shared(|s, _| {
            s.partners()
                .into_iter()
                .find(|p| p.id != me)
                .map(|p| p.name)
        })?;
        Ok(Some(PartnerInfo {
            endpoint: EndpointId::from_bytes(&endpoint)
                .map(|e| e.to_string())
                .unwrap_or_default(),
            name: doc_name.or(state.name),
            last_sync: state.last_sync,
            addrs: state.addrs,
            relay: state.relay,
        }))
    }

    pub(crate) fn pairing(&self) -> Result<Option<(EndpointId, kintsugi_store::Secret32)>> {
        self.with(|i| {
            Ok(match &i.keys.keyring.pairing {
                Some(p) => Some((
                    EndpointId::from_bytes(&p.partner_endpoint).map_err(|_| {
                        DeviceError::Damaged {
                            file: kintsugi_store::KEYRING_FILE.into(),
                            reason: "the stored partner id is not a device id".into(),
                        }
                    })?,
                    p.couple_key.clone(),
                )),
                None => None,
            })
        })
    }

    /// The couple's keys as a session offers them: the current couple key, the
    /// ones it replaced, and the journal's epoch; `None` unpaired.
    pub(crate) fn couple_keys(&self) -> Result<Option<SessionKeys>> {
        self.with(|i| {
            Ok(i.keys.keyring.pairing.as_ref().map(|p| {
                SessionKeys::new(
                    crate::release::pairing_epoch(p),
                    (p.generation, p.couple_key.clone()),
                    &p.previous,
                )
            }))
        })
    }

    /// Forgets the partner: no more syncing, the couple key is wiped. The shared
    /// journal stays as an archive unless `delete_shared` asks otherwise.
    pub fn forget_partner(&self, delete_shared: bool) -> Result<()> {
        self.with(|i| {
            i.keys.set_pairing(None)?;
            let _ = std::fs::remove_file(i.dir.join(PARTNER.name));
            Ok(())
        })?;
        if delete_shared {
            self.reset_shared()?;
        }
        let _ = self.events.send(Event::Unpaired);
        Ok(())
    }

    pub(crate) fn store_pairing(&self, paired: &kintsugi_net::pair::Paired) -> Result<()> {
        self.with(|i| {
            i.keys.set_pairing(Some(Pairing::new(
                paired.couple_key.clone(),
                *paired.partner.as_bytes(),
            )))?;
            Ok(())
        })?;
        let (name, addrs) = (paired.partner_name.clone(), paired.partner_addrs.clone());
        let relay = paired.partner_relay.as_ref().map(|r| r.to_string());
        self.update_partner_state(|p| {
            *p = PartnerState {
                addrs,
                relay,
                name: Some(name),
                last_sync: None,
                sync_state: None,
                devices: BTreeMap::new(),
                diary_sync_state: None,
                diary_sync_states: BTreeMap::new(),
            }
        })?;
        let _ = self.events.send(Event::Paired);
        // The pairing is stored whatever happens here; a failure is tried again at
        // the next start of the network.
        if let Err(e) = self.publish_identity() {
            tracing::warn!("could not publish this device's signed records yet: {e}");
        }
        Ok(())
    }
}

pub(crate) fn iroh_id(secret: &kintsugi_store::Secret32) -> [u8; 32] {
    *kintsugi_net::SecretKey::from_bytes(secret.expose())
        .public()
        .as_bytes()
}

#[cfg(test)]
mod tests {
    /// A device's iroh identity is the Ed25519 key of its device secret, so a record
    /// this device signs with that secret is checked against the endpoint id its
    /// partner already trusts from pairing (the plan for several devices each
    /// relies on it; a change in iroh's key derivation would show here first).
    #[test]
    fn the_endpoint_id_is_the_signing_key_of_the_device_secret() {
        let secret = kintsugi_store::Secret32::from_bytes([42; 32]);
        let public = kintsugi_crypto::signing_public(&secret);
        assert_eq!(super::iroh_id(&secret), public);
        let sig = kintsugi_crypto::sign(&secret, b"a record");
        assert_eq!(kintsugi_crypto::verify(&public, b"a record", &sig), Ok(()));
    }
}
