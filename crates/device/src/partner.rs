//! What this device knows about its partner besides the keys: where it was last
//! reached, its name, when the two last held the same journal, and the sync state
//! that keeps the next session short. Stored sealed in `partner.sealed`.

use std::net::SocketAddr;

use kintsugi_net::EndpointId;
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

    /// The relay the partner last named, if it still parses (a hand-edited or
    /// damaged entry is ignored: the next hello names it again).
    pub(crate) fn partner_relay(&self) -> Option<kintsugi_net::RelayUrl> {
        self.partner_state()
            .ok()?
            .relay?
            .parse::<kintsugi_net::RelayUrl>()
            .ok()
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
            i.keys.set_pairing(Some(Pairing {
                couple_key: paired.couple_key.clone(),
                partner_endpoint: *paired.partner.as_bytes(),
            }))?;
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
