//! Another device of mine: what the device that is already mine gives a new one
//! after both people (the same person, at two screens) confirmed the codes, and how
//! each side stores its part.
//!
//! The existing device first vouches for the new one in the shared journal (a
//! `device:` record signed with the person's key and co-signed by itself), then
//! sends the [`Transfer`]: the person's keys, the couple's key, and where the
//! couple's other devices were last reached. The new device never receives a device
//! secret or an Automerge actor id (each device has its own; a reused actor breaks
//! sync for good). It gets the journals by ordinary sync afterwards: the shared one
//! from any device of the couple, the diary only from its own person's devices.

use std::net::SocketAddr;

use kintsugi_crypto::sign;
use kintsugi_journal::{
    ChangeHash, DeviceRecord, JournalError, PartnerId, PrivateDiary, SharedJournal, signed_bytes,
};
use kintsugi_store::LogKind;
use kintsugi_store::{PERSON_LEN, Pairing, Person, Secret32, decode_previous, encode_previous};
use zeroize::Zeroizing;

use crate::partner::{PeerState, iroh_id};
use crate::tracked::Tracked;
use crate::{DIARY_LOG, Device, DeviceError, Event, Result, SHARED_LOG, now_ms};

/// Version 2 added the keys' generations, the journal's epoch and the replaced keys.
const TRANSFER_VERSION: u8 = 2;
/// More than a couple has devices; a transfer naming more is not from Kintsugi.
const MAX_PEERS: usize = 16;
const MAX_ADDRS: usize = 8;

/// What a new device of mine receives from one already mine.
#[derive(Clone, PartialEq, Eq)]
pub struct Transfer {
    /// Who "I" am in the shared journal: the same on all my devices.
    pub person_id: [u8; 16],
    pub person: Person,
    /// The couple's key and the partner's first device; `None` before pairing.
    pub pairing: Option<Pairing>,
    /// The epochs of the two journals, once a release of history started new ones:
    /// the new device starts each from that epoch's genesis, since a journal grown
    /// from another genesis never merges with them.
    pub shared_epoch: Option<[u8; 16]>,
    pub diary_epoch: Option<[u8; 16]>,
    /// Where each other device of the couple was last reached.
    pub peers: Vec<PeerHint>,
}

impl std::fmt::Debug for Transfer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transfer")
            .field("peers", &self.peers.len())
            .finish_non_exhaustive()
    }
}

/// One device of the couple, as the new device first learns to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerHint {
    pub endpoint: [u8; 32],
    pub addrs: Vec<SocketAddr>,
    pub relay: Option<String>,
}

fn bad(why: &str) -> DeviceError {
    DeviceError::Link(format!(
        "what the other device sent is not a Kintsugi device transfer ({why}); nothing was stored"
    ))
}

fn put_text(out: &mut Vec<u8>, text: &str) -> Result<()> {
    let len = u8::try_from(text.len()).map_err(|_| bad("a text longer than 255 bytes"))?;
    out.push(len);
    out.extend_from_slice(text.as_bytes());
    Ok(())
}

/// Reads the transfer's fields in order; any shortfall is an error.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.0.len() < n {
            return Err(bad("it ends too early"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn byte(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        self.take(N)?
            .try_into()
            .map_err(|_| bad("it ends too early"))
    }

    fn previous(&mut self) -> Result<Vec<(u32, Secret32)>> {
        let (keys, used) = decode_previous(self.0).ok_or_else(|| bad("the replaced keys"))?;
        self.take(used)?;
        Ok(keys)
    }

    fn text(&mut self) -> Result<String> {
        let len = usize::from(self.byte()?);
        String::from_utf8(self.take(len)?.to_vec()).map_err(|_| bad("a text is not UTF-8"))
    }
}

impl Transfer {
    pub fn encode(&self) -> Result<Zeroizing<Vec<u8>>> {
        let mut out = Zeroizing::new(Vec::with_capacity(256));
        out.push(TRANSFER_VERSION);
        out.extend_from_slice(&self.person_id);
        out.extend_from_slice(&self.person.to_bytes());
        encode_previous(&self.person.previous_self, &mut out);
        match &self.pairing {
            Some(p) => {
                out.push(1);
                out.extend_from_slice(p.couple_key.expose());
                out.extend_from_slice(&p.partner_endpoint);
                out.extend_from_slice(&p.generation.to_be_bytes());
                out.extend_from_slice(&crate::release::pairing_epoch(p));
                encode_previous(&p.previous, &mut out);
            }
            None => out.push(0),
        }
        for epoch in [&self.shared_epoch, &self.diary_epoch] {
            match epoch {
                Some(e) => {
                    out.push(1);
                    out.extend_from_slice(e);
                }
                None => out.push(0),
            }
        }
        let peers = &self.peers[..self.peers.len().min(MAX_PEERS)];
        out.push(peers.len() as u8);
        for peer in peers {
            out.extend_from_slice(&peer.endpoint);
            let addrs = &peer.addrs[..peer.addrs.len().min(MAX_ADDRS)];
            out.push(addrs.len() as u8);
            for a in addrs {
                put_text(&mut out, &a.to_string())?;
            }
            put_text(&mut out, peer.relay.as_deref().unwrap_or(""))?;
        }
        Ok(out)
    }

    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let mut c = Cursor(bytes);
        let version = c.byte()?;
        if version != TRANSFER_VERSION {
            return Err(DeviceError::Link(format!(
                "the other device speaks device transfer {version}, this one {TRANSFER_VERSION}: update Kintsugi on the older one; nothing was stored"
            )));
        }
        let person_id = c.array::<16>()?;
        let mut person =
            Person::from_bytes(c.take(PERSON_LEN)?).ok_or_else(|| bad("the person's keys"))?;
        person.previous_self = c.previous()?;
        let pairing = match c.byte()? {
            0 => None,
            1 => {
                let mut p = Pairing::new(Secret32::from_bytes(c.array::<32>()?), c.array::<32>()?);
                p.generation = u32::from_be_bytes(c.array::<4>()?);
                let epoch = c.array::<16>()?;
                p.previous = c.previous()?;
                // Kept as the sender keeps it: stored once a key was replaced, and
                // otherwise named by the key itself.
                let replaced = p.generation > 0 || !p.previous.is_empty();
                if replaced || epoch != crate::release::epoch_of(&p.couple_key) {
                    p.epoch = Some(epoch);
                }
                Some(p)
            }
            _ => return Err(bad("the pairing flag")),
        };
        let mut epoch = || -> Result<Option<[u8; 16]>> {
            match c.byte()? {
                0 => Ok(None),
                1 => Ok(Some(c.array::<16>()?)),
                _ => Err(bad("an epoch flag")),
            }
        };
        let (shared_epoch, diary_epoch) = (epoch()?, epoch()?);
        let count = usize::from(c.byte()?);
        if count > MAX_PEERS {
            return Err(bad("too many devices"));
        }
        let mut peers = Vec::with_capacity(count);
        for _ in 0..count {
            let endpoint = c.array::<32>()?;
            let n = usize::from(c.byte()?);
            if n > MAX_ADDRS {
                return Err(bad("too many addresses"));
            }
            let mut addrs = Vec::with_capacity(n);
            for _ in 0..n {
                addrs.push(c.text()?.parse().map_err(|_| bad("an address"))?);
            }
            let relay = Some(c.text()?).filter(|r| !r.is_empty());
            peers.push(PeerHint {
                endpoint,
                addrs,
                relay,
            });
        }
        if !c.0.is_empty() {
            return Err(bad("bytes after its end"));
        }
        Ok(Self {
            person_id,
            person,
            pairing,
            shared_epoch,
            diary_epoch,
            peers,
        })
    }
}

impl Device {
    /// On a device already mine, once both screens' codes were confirmed: vouches
    /// for the new device `endpoint` in the shared journal (durably, before anything
    /// leaves), and returns what the new device needs. A crash after the record and
    /// before the transfer leaves a device listed that never synced, which can be
    /// removed; never a device that holds keys without a record.
    pub fn vouch_for(&self, endpoint: [u8; 32], label: &str) -> Result<Transfer> {
        let label = label.trim();
        if label.is_empty() || label.len() > 64 {
            return Err(DeviceError::bad_input(
                crate::Field::Name,
                "a device's name must be 1 to 64 bytes",
            ));
        }
        if self.pairing()?.is_none() {
            return Err(DeviceError::NotPaired(
                "pair with your partner first, then add your other devices",
            ));
        }
        if self.is_removed()? {
            return Err(DeviceError::Link(
                "this device was removed by another of your devices: it can add none".into(),
            ));
        }
        // The records that make this device's word count for the partner's devices.
        self.publish_identity()?;
        let (person, secret, person_id, pairing, this) = self.with(|i| {
            let k = &i.keys.keyring;
            let person = k.person.clone().ok_or(DeviceError::Link(
                "this device has no person's key yet; nothing was stored".into(),
            ))?;
            Ok((
                person,
                k.device_secret.clone(),
                k.partner_id,
                k.pairing.clone(),
                iroh_id(&k.device_secret),
            ))
        })?;
        if endpoint == this {
            return Err(DeviceError::Link(
                "that is this device itself; nothing was stored".into(),
            ));
        }
        let me = self.me()?;
        let record = DeviceRecord::Device {
            person: me,
            endpoint,
            label: label.to_owned(),
            generation: person.generation,
            sponsor: this,
            at: now_ms(),
            sig: [0; 64],
            cosig: [0; 64],
        };
        let bytes = signed_bytes(&record);
        let record = record.with_signatures(sign(&person.seed, &bytes), sign(&secret, &bytes));
        match self.write_shared(|s, _, now| s.put_device_record(&record, now)) {
            Ok(_) => {}
            Err(DeviceError::Journal(JournalError::DeviceRecordTaken(_))) => {
                return Err(DeviceError::Link(
                    "that device is already listed as one of the couple's".into(),
                ));
            }
            Err(e) => return Err(e),
        }
        // Where each device this one syncs with was last reached (a removed device's
        // old address is of no use to the new one).
        let mut peers = Vec::new();
        for peer in self.sync_peers()? {
            if peer.as_bytes() == &endpoint {
                continue;
            }
            let state = self.peer_state(Some(peer))?;
            peers.push(PeerHint {
                endpoint: *peer.as_bytes(),
                addrs: state.addrs,
                relay: state.relay,
            });
        }
        let (shared_epoch, diary_epoch) =
            self.with(|i| Ok((i.shared.doc.epoch(), i.diary.doc.epoch())))?;
        Ok(Transfer {
            person_id,
            person,
            pairing,
            shared_epoch,
            diary_epoch,
            peers,
        })
    }

    /// On the new device: becomes the person's device `transfer` describes. Only a
    /// blank profile takes it (no pairing, no person, nothing written in either
    /// journal), so nothing of its own is ever mixed into another person's journal.
    /// A journal whose history was released is started from its epoch's genesis
    /// first (still blank, and taken again by a retry); then one keyring write: a
    /// crash leaves the profile blank or linked, nothing between.
    pub fn adopt(
        &self,
        transfer: &Transfer,
        inviter: [u8; 32],
        inviter_addrs: Vec<SocketAddr>,
        inviter_relay: Option<String>,
    ) -> Result<()> {
        let shared_genesis = |epoch: Option<&[u8; 16]>| -> Result<Vec<_>> {
            Ok(SharedJournal::load(&SharedJournal::genesis_bytes_of(epoch))?.heads())
        };
        let diary_genesis = |epoch: Option<&[u8; 16]>| -> Result<Vec<_>> {
            Ok(PrivateDiary::load(&PrivateDiary::genesis_bytes_of(epoch))?.heads())
        };
        let (shared_from, diary_from) = (
            shared_genesis(transfer.shared_epoch.as_ref())?,
            diary_genesis(transfer.diary_epoch.as_ref())?,
        );
        let (shared_blank, diary_blank) = (shared_genesis(None)?, diary_genesis(None)?);
        let blank = self.with(|i| {
            let k = &i.keys.keyring;
            let (shared, diary) = (i.shared.doc.heads(), i.diary.doc.heads());
            Ok(k.pairing.is_none()
                && k.person.is_none()
                && (shared == shared_blank || shared == shared_from)
                && (diary == diary_blank || diary == diary_from))
        })?;
        if !blank {
            return Err(DeviceError::Link(
                "this profile already holds a journal or a pairing; only a new profile can become another device of yours; nothing was stored".into(),
            ));
        }
        self.start_from_epoch(
            LogKind::Shared,
            SharedJournal::genesis_bytes_of(transfer.shared_epoch.as_ref()),
            &shared_from,
        )?;
        self.start_from_epoch(
            LogKind::Diary,
            PrivateDiary::genesis_bytes_of(transfer.diary_epoch.as_ref()),
            &diary_from,
        )?;
        let me = PartnerId::parse(
            &transfer
                .person_id
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>(),
        )?;
        self.with(|i| {
            i.keys.update(|k| {
                k.partner_id = transfer.person_id;
                k.person = Some(transfer.person.clone());
                k.pairing = transfer.pairing.clone();
            })?;
            i.me = me;
            Ok(())
        })?;
        let anchor = transfer.pairing.as_ref().map(|p| p.partner_endpoint);
        self.update_partner_state(|state| {
            let mut hints = transfer.peers.clone();
            hints.push(PeerHint {
                endpoint: inviter,
                addrs: inviter_addrs,
                relay: inviter_relay,
            });
            for hint in hints {
                let peer = PeerState {
                    addrs: hint.addrs,
                    relay: hint.relay,
                    last_sync: None,
                    sync_state: None,
                };
                if Some(hint.endpoint) == anchor {
                    state.addrs = peer.addrs;
                    state.relay = peer.relay;
                } else if let Ok(id) = kintsugi_net::EndpointId::from_bytes(&hint.endpoint) {
                    state.devices.insert(id.to_string(), peer);
                }
            }
        })?;
        let _ = self.events.send(Event::Paired);
        Ok(())
    }
}

impl Device {
    /// Replaces this blank profile's log of `kind` with `genesis`, whose heads are
    /// `heads`, unless it already starts there.
    fn start_from_epoch(
        &self,
        kind: LogKind,
        genesis: Vec<u8>,
        heads: &[ChangeHash],
    ) -> Result<()> {
        self.with(|i| {
            let now = match kind {
                LogKind::Shared => i.shared.doc.heads(),
                LogKind::Diary => i.diary.doc.heads(),
            };
            if now == heads {
                return Ok(());
            }
            let dir = i.dir.clone();
            kintsugi_store::replace_log(
                &dir,
                &mut i.keys,
                kind,
                |_| Ok::<_, DeviceError>(genesis),
                |_| {},
            )?;
            match kind {
                LogKind::Shared => {
                    i.shared = Tracked::open(&dir.join(SHARED_LOG), &i.keys.keyring)?;
                    i.lists.shared = Default::default();
                }
                LogKind::Diary => {
                    i.diary = Tracked::open(&dir.join(DIARY_LOG), &i.keys.keyring)?;
                    i.lists.diary = Default::default();
                }
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests;
