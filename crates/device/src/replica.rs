//! The shared journal as the sync protocol sees it: a [`Replica`] that hands out
//! Automerge sync messages and stores what the partner sends before the session
//! moves on.
//!
//! Every message it hands out is one the partner takes: at most
//! [`kintsugi_net::sync::MAX_PAYLOAD`] bytes, and within [`crate::MAX_DECODED`] once
//! inflated (the partner checks both before Automerge sees anything). Automerge
//! itself puts everything the partner lacks into one message, which for a big first
//! sync can be larger; then the changes go in parts instead ([`next_message`]). So
//! that every part can carry at least one change, no command may make a change
//! larger than [`MAX_CHANGE`] ([`write_within_limit`]).

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use automerge::sync::{self, Capability, ChunkList, SyncDoc};
use automerge::{AutoCommit, Change, ChangeHash};
use kintsugi_net::RelayUrl;
use kintsugi_net::sync::SessionKeys;
use kintsugi_net::sync::{
    EpochVerdict, KeyId, LinkEvent, MAX_PAYLOAD, Rekey, Release, ReleaseFlow, Replica,
    ReplicaError, ReplicaSession,
};
use tokio::sync::watch;

use crate::tracked::{Persisted, Tracked};
use crate::{Device, DeviceError, DocKind, Event, Field, MAX_DECODED, Refusal, Result, now_ms};

/// The largest change one command may make to a journal: an entry with all its
/// text. Every sync message must carry at least one whole change, and a change
/// cannot be split, so this stays well below [`MAX_PAYLOAD`], leaving the rest for
/// what else a message holds (heads, and a Bloom filter of about a byte and a quarter
/// per change made since the last sync). Four megabytes is some two thousand
/// pages of text; the longest honest letter is a small fraction of that.
pub const MAX_CHANGE: usize = 4 * 1024 * 1024;

const _: () = assert!(MAX_CHANGE <= MAX_PAYLOAD / 2);

impl Device {
    /// The shared journal as the sync protocol sees it, towards the partner's first
    /// device.
    pub fn sync_replica(&self) -> Arc<dyn Replica> {
        Arc::new(DeviceReplica {
            device: self.clone(),
            peer: None,
        })
    }

    /// The shared journal towards one device of the couple, with that device's own
    /// sync state.
    pub fn sync_replica_for(&self, peer: kintsugi_net::EndpointId) -> Arc<dyn Replica> {
        Arc::new(DeviceReplica {
            device: self.clone(),
            peer: Some(peer),
        })
    }
}

struct DeviceReplica {
    device: Device,
    /// `None`: the partner's first device, the one checked at pairing.
    peer: Option<kintsugi_net::EndpointId>,
}

impl DeviceReplica {
    /// Whether the peer is one of this person's own devices: the partner's coming
    /// and going is what the app shows, not that of one's own other devices.
    fn is_own_device(&self) -> bool {
        let Some(peer) = self.peer else { return false };
        let (Ok(set), Ok(me)) = (self.device.device_set(), self.device.me()) else {
            return false;
        };
        set.person_of(peer.as_bytes()) == Some(&me)
    }
}

impl Replica for DeviceReplica {
    fn begin(&self) -> std::result::Result<Box<dyn ReplicaSession>, ReplicaError> {
        // What other processes of this profile wrote (a CLI command while `kintsugi
        // sync` runs) is read now, not at the watcher's next tick: a one-shot partner
        // that finds both sides in sync ends the session, and would leave without it.
        self.device.refresh().map_err(replica_error)?;
        // A sealed letter whose moment came while no session ran: its key goes with
        // this session.
        if let Err(e) = self.device.open_due_letters() {
            tracing::warn!("could not open a sealed letter held on this device: {e}");
        }
        let persisted = self
            .device
            .peer_state(self.peer)
            .map_err(replica_error)?
            .sync_state;
        let state = persisted
            .as_deref()
            .and_then(|b| sync::State::decode(b).ok())
            .unwrap_or_default();
        let epoch = self.device.journal_epoch().map_err(replica_error)?;
        Ok(Box::new(DeviceSession {
            device: self.device.clone(),
            peer: self.peer,
            state,
            refused: false,
            in_parts: false,
            release: Default::default(),
            rekeyed: false,
            epoch,
            keys: crate::rekey::Rekeying::new(crate::rekey::KeyKind::Couple, self.peer),
        }))
    }

    fn changes(&self) -> watch::Receiver<u64> {
        self.device.changes.subscribe()
    }

    fn partner_addrs(&self, addrs: Vec<SocketAddr>) {
        if !addrs.is_empty() {
            let _ = self
                .device
                .update_peer_state(self.peer, |p| p.addrs = addrs);
        }
    }

    fn known_partner_addrs(&self) -> Vec<SocketAddr> {
        self.device
            .peer_state(self.peer)
            .map(|s| s.addrs)
            .unwrap_or_default()
    }

    fn partner_relay(&self, relay: RelayUrl) {
        let _ = self
            .device
            .update_peer_state(self.peer, |p| p.relay = Some(relay.to_string()));
    }

    fn known_partner_relay(&self) -> Option<RelayUrl> {
        self.device.peer_relay(self.peer)
    }

    fn partner_unpaired(&self) {
        tracing::info!("the partner ended the pairing");
        let _ = self.device.forget_partner(false);
    }

    fn link(&self, event: LinkEvent) {
        let ev = match event {
            LinkEvent::Online | LinkEvent::Offline if self.is_own_device() => return,
            LinkEvent::Online => Event::PartnerOnline,
            LinkEvent::Offline => Event::PartnerOffline,
            LinkEvent::Received(bytes) => Event::SyncProgress { bytes },
            LinkEvent::InSync => {
                let _ = self
                    .device
                    .update_peer_state(self.peer, |p| p.last_sync = Some(now_ms()));
                Event::InSync
            }
        };
        let _ = self.device.events.send(ev);
    }

    fn keys(&self) -> Option<SessionKeys> {
        self.device.couple_keys().ok().flatten()
    }

    fn other_epoch(&self, theirs: &[u8; 16]) -> EpochVerdict {
        self.device.other_epoch(theirs)
    }

    fn history_released(&self) {
        tracing::warn!(
            "the partner's device refused this one: the shared journal here is from before its history was released"
        );
        let _ = self.device.events.send(Event::StaleJournal);
    }
}

/// Sorts a device error into what the sync session needs to know: whether the
/// partner's message was at fault, or this device.
pub(crate) fn replica_error(e: DeviceError) -> ReplicaError {
    match e {
        DeviceError::Sync(why) => ReplicaError::Refused(why),
        DeviceError::Store(e) => ReplicaError::Storage(e.to_string()),
        DeviceError::Locked => ReplicaError::Locked,
        other => ReplicaError::Other(other.to_string()),
    }
}

struct DeviceSession {
    device: Device,
    /// Whose sync state this session keeps ([`DeviceReplica::peer`]).
    peer: Option<kintsugi_net::EndpointId>,
    state: sync::State,
    /// A message of this session was refused: its sync state is not kept, so the
    /// profile stays exactly as it was and the next session starts from the last
    /// good one.
    refused: bool,
    /// The partner lacked more than one message carries: for the rest of the
    /// session, changes go in parts ([`next_message`]).
    in_parts: bool,
    /// This session's part in releasing the shared journal's history.
    release: crate::release::ReleaseSession,
    /// The journal was released in this session: its sync state belongs to the old
    /// journal and is not kept.
    rekeyed: bool,
    /// The journal this session syncs. Two sessions may run side by side (a one-shot
    /// sync dials and takes calls); once one of them moved the device to a new
    /// journal, the other must not carry the new journal's changes under the old key,
    /// nor take the old journal's into the new one.
    epoch: Option<[u8; 16]>,
    /// Passing a newer couple key on (see `rekey`).
    keys: crate::rekey::Rekeying,
}

impl DeviceSession {
    /// Ends a session whose journal was released while it ran (by another session).
    fn still_current(&self) -> std::result::Result<(), ReplicaError> {
        if self.rekeyed || self.device.journal_epoch().ok() == Some(self.epoch) {
            return Ok(());
        }
        Err(ReplicaError::Superseded)
    }

    /// Both journals are the same, as far as this session knows.
    fn journals_in_sync(&mut self) -> bool {
        let their = self.state.their_heads.clone();
        self.device
            .with(|i| Ok(their.as_deref() == Some(i.shared.doc.heads().as_slice())))
            .unwrap_or(false)
    }
}

impl DeviceSession {
    /// Ends the session over refused data, with one line in the log.
    /// The session logs the one line that says why it ended (net's
    /// `ReplicaError::Refused`), so this only says what was refused.
    fn refuse(&mut self, refusal: Refusal) -> ReplicaError {
        self.refused = true;
        ReplicaError::Refused(refusal.to_string())
    }
}

impl ReplicaSession for DeviceSession {
    fn generate(&mut self) -> std::result::Result<Option<Vec<u8>>, ReplicaError> {
        self.still_current()?;
        if self.release.holds_sync(&self.device) {
            return Ok(None);
        }
        guarded_next_message(
            &self.device,
            DocKind::Shared,
            &mut self.state,
            &mut self.in_parts,
        )
    }

    fn receive(&mut self, payload: &[u8]) -> std::result::Result<(), ReplicaError> {
        self.still_current()?;
        let msg = match checked_message(&self.device, payload) {
            Ok(msg) => msg,
            Err(refusal) => return Err(self.refuse(refusal)),
        };
        let state = &mut self.state;
        let applied = self.device.with(|i| {
            crate::bounded::apply_from_partner(&mut i.shared, |shared| {
                shared.write(|d| {
                    d.doc_mut()
                        .sync()
                        .receive_sync_message(state, msg)
                        .map_err(|e| DeviceError::Sync(e.to_string()))
                })
            })
        });
        let (_, changed) = match applied {
            Ok(v) => v,
            Err(DeviceError::Refused(refusal)) => return Err(self.refuse(refusal)),
            Err(e) => return Err(replica_error(e)),
        };
        if changed {
            self.device.emit(DocKind::Shared, false);
            // The partner may just have saved a check-in for a week whose answers
            // wait here for theirs: revealing now lets this session carry them.
            if let Err(e) = self.device.reveal_due() {
                tracing::warn!("could not reveal a check-in held on this device: {e}");
            }
            // Or said they are ready for a letter sealed until then.
            if let Err(e) = self.device.open_due_letters() {
                tracing::warn!("could not open a sealed letter held on this device: {e}");
            }
        }
        Ok(())
    }

    /// Not while a release both people agreed to waits for this session.
    fn in_sync(&mut self) -> bool {
        self.still_current().is_ok() && self.journals_in_sync() && !self.release.busy(&self.device)
    }

    fn end(&mut self) {
        if self.refused || self.rekeyed || self.still_current().is_err() {
            return;
        }
        let encoded = self.state.encode();
        let _ = self
            .device
            .update_peer_state(self.peer, |p| p.sync_state = Some(encoded));
    }

    fn release_outbox(&mut self) -> std::result::Result<Vec<Release>, ReplicaError> {
        self.still_current()?;
        // The next journal's key is derived from the current one: both must hold it.
        let in_sync = self.journals_in_sync() && self.keys.agree(&self.device)?;
        self.release.outbox(&self.device, in_sync)
    }

    fn release_receive(
        &mut self,
        message: Release,
    ) -> std::result::Result<ReleaseFlow, ReplicaError> {
        self.still_current()?;
        self.release.keys_apart = !self.keys.agree(&self.device)?;
        let flow = self.release.receive(&self.device, message)?;
        if flow == ReleaseFlow::Rekeyed {
            self.rekeyed = true;
        }
        Ok(flow)
    }

    fn their_key(&mut self, theirs: KeyId) {
        self.keys.set_theirs(theirs);
    }

    fn rekey_outbox(&mut self, theirs: KeyId) -> std::result::Result<Option<Rekey>, ReplicaError> {
        self.still_current()?;
        self.keys.outbox(&self.device, theirs)
    }

    fn rekey_receive(&mut self, rekey: Rekey) -> std::result::Result<(), ReplicaError> {
        self.still_current()?;
        self.keys.receive(&self.device, rekey)
    }
}

/// Whether the other device takes `payload`: the session's cap on its size, and the
/// bound on what it inflates to, checked with the walk it makes (`bounded`). DEFLATE
/// inflates at most about 1032 times, so a small message needs no walk.
fn fits(payload: &[u8]) -> bool {
    if payload.len() > MAX_PAYLOAD {
        return false;
    }
    (payload.len() as u64).saturating_mul(1100) <= MAX_DECODED
        || crate::bounded::check_sync_message(payload).is_ok()
}

/// The next sync message of `kind` for the other device, never one it would refuse:
/// the shared journal's for any device of the couple, the diary's for one's own (the
/// other device checks both the same way, so one rule serves both).
///
/// Automerge's own message comes first. When it is too large (a first sync of a big
/// journal: a whole saved document, or a long change list), the sync state is put
/// back as it was and the message is made again as a change list, which can be
/// split: it carries the changes, oldest first, that fit, and the others are taken
/// out of the state's `sent_hashes`, so that Automerge offers them again after the
/// partner's reply (whose heads and Bloom filter then cover what arrived). The
/// session stays in that mode: a whole document cannot be split, and making one only
/// to find it too large again would cost a full save each round.
/// The next message of a session on `kind`, with Automerge's panics caught: Automerge
/// 0.12 can panic on what a hostile peer put into the sync state (a Bloom filter with
/// no bits divides by zero). Generating only reads the document, so a caught panic
/// leaves it as it was; the session ends instead of the app.
pub(crate) fn guarded_next_message(
    device: &Device,
    kind: DocKind,
    state: &mut sync::State,
    in_parts: &mut bool,
) -> std::result::Result<Option<Vec<u8>>, ReplicaError> {
    device
        .with(|i| {
            let doc = match kind {
                DocKind::Shared => i.shared.doc.doc_mut(),
                DocKind::Diary => i.diary.doc.doc_mut(),
            };
            std::panic::catch_unwind(AssertUnwindSafe(|| {
                next_message(doc, state, in_parts, kind)
            }))
            .map_err(|_| {
                DeviceError::Sync(
                    "the other device sent a sync message that cannot be answered".into(),
                )
            })
        })
        .map_err(replica_error)?
}

/// What a peer sent, shown to the diagnostics tap, then bounded and decoded before
/// Automerge applies any of it: Automerge inflates what it loads with no bound (see
/// `bounded`). One's own device holds the keys, not necessarily an honest program, so
/// both protocols take the same care.
pub(crate) fn checked_message(
    device: &Device,
    payload: &[u8],
) -> std::result::Result<sync::Message, Refusal> {
    if let Ok(tap) = device.tap.lock()
        && let Some(tap) = tap.as_ref()
    {
        tap(payload);
    }
    crate::bounded::check_sync_message(payload)?;
    sync::Message::decode(payload).map_err(|_| Refusal::Malformed("it does not decode"))
}

pub(crate) fn next_message(
    doc: &mut AutoCommit,
    state: &mut sync::State,
    in_parts: &mut bool,
    kind: DocKind,
) -> std::result::Result<Option<Vec<u8>>, ReplicaError> {
    if !*in_parts {
        let before = state.clone();
        let Some(message) = doc.sync().generate_sync_message(state) else {
            return Ok(None);
        };
        let encoded = message.encode();
        if fits(&encoded) {
            return Ok(Some(encoded));
        }
        tracing::info!(
            bytes = encoded.len(),
            "the other device lacks more than one sync message carries; sending it in parts"
        );
        *state = before;
        *in_parts = true;
    }
    // Without the capability, Automerge sends changes (never a whole document).
    if let Some(caps) = state.their_capabilities.as_mut() {
        caps.retain(|c| *c != Capability::MessageV2);
    }
    let Some(mut message) = doc.sync().generate_sync_message(state) else {
        return Ok(None);
    };
    let mut changes = Vec::with_capacity(message.changes.len());
    for bytes in message.changes.iter() {
        changes.push(Change::try_from(bytes).map_err(|_| {
            ReplicaError::Other("Automerge made a change it cannot read back".into())
        })?);
    }
    message.changes = ChunkList::empty();
    let mut room = MAX_PAYLOAD.saturating_sub(message.clone().encode().len());
    let mut part = Vec::new();
    let mut left = BTreeSet::new();
    for change in oldest_first(changes) {
        // The change's bytes and their LEB128 length.
        let size = change.raw_bytes().len() + 10;
        if left.is_empty() && size <= room {
            room -= size;
            part.push(change.raw_bytes().to_vec());
        } else {
            left.insert(change.hash());
        }
    }
    if part.is_empty() && !left.is_empty() {
        let (doc, otherwise) = match kind {
            DocKind::Shared => ("the shared journal", "; carry it with a bundle"),
            DocKind::Diary => ("the private diary", ""),
        };
        return Err(ReplicaError::Other(format!(
            "a change in {doc} is larger than one sync message can carry ({MAX_PAYLOAD} bytes): it cannot be synced over the network{otherwise}"
        )));
    }
    state.sent_hashes.retain(|h| !left.contains(h));
    message.changes = ChunkList::from(part);
    let encoded = message.encode();
    if !fits(&encoded) {
        return Err(ReplicaError::Other(format!(
            "the next sync message would be larger than the partner takes ({} bytes)",
            encoded.len()
        )));
    }
    Ok(Some(encoded))
}

/// `changes` with every change after those of its dependencies that are among them,
/// so that each part the partner receives can be applied at once.
fn oldest_first(changes: Vec<Change>) -> Vec<Change> {
    let index: HashMap<ChangeHash, usize> = changes
        .iter()
        .enumerate()
        .map(|(i, c)| (c.hash(), i))
        .collect();
    let mut placed = vec![false; changes.len()];
    let mut order = Vec::with_capacity(changes.len());
    for start in 0..changes.len() {
        // Depth first: a change is placed once all its dependencies here are.
        let mut stack = vec![(start, false)];
        while let Some((i, deps_done)) = stack.pop() {
            if placed[i] {
                continue;
            }
            if deps_done {
                placed[i] = true;
                order.push(i);
                continue;
            }
            stack.push((i, true));
            for dep in changes[i].deps() {
                if let Some(&d) = index.get(dep)
                    && !placed[d]
                {
                    stack.push((d, false));
                }
            }
        }
    }
    let mut slots: Vec<Option<Change>> = changes.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

/// Runs a person's command on a journal, refusing it when its change is larger than
/// [`MAX_CHANGE`]. The check runs after the command (only then is the change's size
/// known) and before anything is written; Automerge cannot take back a committed
/// change, so a refused one is dropped by reading the document again from its log.
pub(crate) fn write_within_limit<D: Persisted, R>(
    tracked: &mut Tracked<D>,
    am: impl Fn(&mut D) -> &mut AutoCommit,
    f: impl FnOnce(&mut D) -> kintsugi_journal::Result<R>,
) -> Result<(R, bool)> {
    let mut too_large = false;
    let result = tracked.write(|doc| {
        let before = am(doc).get_heads();
        let value = f(doc)?;
        let doc = am(doc);
        if doc.get_heads() != before {
            let size: usize = doc
                .get_changes(&before)
                .iter()
                .map(|c| c.raw_bytes().len())
                .sum();
            if size > MAX_CHANGE {
                too_large = true;
                return Err(DeviceError::bad_input(
                    Field::Text,
                    format!(
                        "this entry is too long to keep and share: it takes {size} bytes, and an entry can take at most {MAX_CHANGE} bytes; split it into several"
                    ),
                ));
            }
        }
        Ok(value)
    });
    if too_large {
        let reopened = tracked.reopen()?;
        *tracked = reopened;
    }
    result
}

#[cfg(test)]
mod tests;
