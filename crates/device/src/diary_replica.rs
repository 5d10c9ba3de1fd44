//! The private diary as the sync protocol sees it, among one person's own devices
//! (`kintsugi/self/1`), and never towards the partner's.
//!
//! Three defences keep it from the partner, each enough on its own:
//! - the diary's gate ([`kintsugi_net::Node::set_allowed_own`]) admits only
//!   [`Device::own_peers`], which a record can name only with this person's signature;
//! - its sessions run under the person's self key ([`Device::diary_keys`]), which only
//!   this person's devices hold (linking copies it), so a partner let through a gate
//!   set wrong fails at the handshake;
//! - the shared journal's replica (`replica.rs`) never reads the diary.
//!
//! And a fourth that costs nothing: this replica will not begin a session with a
//! device that is not one of `own_peers`, whoever asks.
//!
//! The diary travels the way the shared journal does (`replica.rs`): Automerge sync
//! messages within the same bounds, checked before Automerge sees them, stored before
//! the session moves on, with one sync state per device kept between sessions. Its
//! history is never released over this protocol: a diary released on one device has
//! a new epoch, and the key its sessions run under names that epoch, so it stops
//! syncing with a device that still holds the old diary rather than take the old
//! history back.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use automerge::sync::{self, SyncDoc};
use kintsugi_net::sync::SessionKeys;
use kintsugi_net::sync::{
    KeyId, LinkEvent, Rekey, Release, ReleaseFlow, Replica, ReplicaError, ReplicaFor,
    ReplicaSession,
};
use kintsugi_net::{EndpointId, NetError, Node, Protocol, RelayUrl};
use tokio::sync::watch;

use crate::replica::{checked_message, guarded_next_message, replica_error};
use crate::{Device, DeviceError, DocKind, Refusal, Result};

/// How long a one-shot sync waits for the diary once the shared journal is done: a
/// device of this person's that is off must not hold `sync --once` for its timeout.
const DIARY_AFTER_SHARED: Duration = Duration::from_secs(5);

impl Device {
    /// The private diary towards `peer`, one of this person's own devices, with that
    /// device's own diary sync state. Built for any other device, it refuses to begin.
    pub fn diary_replica_for(&self, peer: EndpointId) -> Arc<dyn Replica> {
        Arc::new(DiaryReplica {
            device: self.clone(),
            peer,
        })
    }

    fn diary_replicas(&self) -> ReplicaFor {
        let device = self.clone();
        Arc::new(move |peer| device.diary_replica_for(peer))
    }

    /// The keys the diary's sessions run under: the person's self keys (the current
    /// one and those a removal replaced), which the partner never holds, for the
    /// diary's epoch (zeros until its history is first released). Once this device
    /// released its diary's history, keys derived from the self keys and the new
    /// diary's epoch instead, so that a device still holding the old diary names
    /// another epoch and other keys, and the two stop there, before the old history
    /// could flow back. `None` without a person (a profile never paired or linked
    /// has no other device).
    pub(crate) fn diary_keys(&self) -> Result<Option<SessionKeys>> {
        self.with(|i| {
            let Some(person) = &i.keys.keyring.person else {
                return Ok(None);
            };
            let keys = SessionKeys::new(
                [0; 16],
                (person.self_generation, person.self_key.clone()),
                &person.previous_self,
            );
            Ok(Some(match i.diary.doc.epoch() {
                None => keys,
                Some(epoch) => {
                    keys.derive(epoch, |k| crate::rekey::diary_session_key(k, Some(epoch)))
                }
            }))
        })
    }

    fn diary_epoch(&self) -> Result<Option<[u8; 16]>> {
        self.with(|i| Ok(i.diary.doc.epoch()))
    }

    /// The diary's part of a live sync: keeps every device in `own` in sync until
    /// `stop`. Nothing to do for a profile without a person.
    pub(crate) fn serve_diary(
        &self,
        node: Arc<Node>,
        own: watch::Receiver<Vec<EndpointId>>,
        stop: watch::Receiver<bool>,
    ) -> impl Future<Output = ()> + Send + 'static {
        let device = self.clone();
        async move {
            let key = match device.diary_keys() {
                Ok(Some(key)) => key,
                Ok(None) => return,
                Err(e) => {
                    tracing::warn!("the diary does not sync with this person's other devices: {e}");
                    return;
                }
            };
            let replicas = device.diary_replicas();
            kintsugi_net::sync::serve_all(node, Protocol::Own, key, replicas, own, stop).await;
        }
    }

    /// Runs `shared`, a one-shot sync of the shared journal, with a one-shot sync of
    /// the diary with this person's other devices beside it, and returns what
    /// `shared` returned: the diary's result is only logged, since the command is
    /// about the couple's journal and a device of one's own that is off is no
    /// failure of it. The diary gets until [`DIARY_AFTER_SHARED`] after `shared`.
    pub(crate) async fn with_diary_once<R>(
        &self,
        node: Arc<Node>,
        stop: watch::Receiver<bool>,
        timeout: Duration,
        shared: impl Future<Output = R>,
    ) -> R {
        let own = self.own_peers().unwrap_or_else(|e| {
            tracing::warn!("could not tell which devices are this person's: {e}");
            Vec::new()
        });
        let key = self.diary_keys().ok().flatten();
        let (Some(key), false) = (key, own.is_empty()) else {
            return shared.await;
        };
        let (halt_tx, halt) = watch::channel(false);
        let mut diary = tokio::spawn(kintsugi_net::sync::once_all(
            node,
            Protocol::Own,
            key,
            self.diary_replicas(),
            own,
            halt,
            timeout,
        ));
        let result = shared.await;
        let grace = if *stop.borrow() {
            Duration::ZERO
        } else {
            DIARY_AFTER_SHARED
        };
        let ended = match tokio::time::timeout(grace, &mut diary).await {
            Ok(ended) => ended,
            Err(_) => {
                let _ = halt_tx.send(true);
                diary.await
            }
        };
        match ended {
            Ok(Ok(end)) => tracing::info!("the diary's one-shot sync ended: {end}"),
            // Another device of mine that is off or away is no fault of anything.
            Ok(Err(
                e @ (NetError::Timeout
                | NetError::Unreachable(_)
                | NetError::Closed
                | NetError::Io(_)),
            )) => {
                tracing::info!("the diary did not reach this person's other devices: {e}")
            }
            Ok(Err(e)) => {
                tracing::warn!("the diary did not sync with this person's other devices: {e}")
            }
            Err(e) => {
                tracing::warn!("the diary did not sync with this person's other devices: {e}")
            }
        }
        result
    }
}

struct DiaryReplica {
    device: Device,
    peer: EndpointId,
}

impl Replica for DiaryReplica {
    fn begin(&self) -> std::result::Result<Box<dyn ReplicaSession>, ReplicaError> {
        // What other processes of this profile wrote is read now, as for the shared
        // journal: a one-shot peer that finds both in sync would leave without it.
        self.device.refresh().map_err(replica_error)?;
        let own = self.device.own_peers().map_err(replica_error)?;
        if !own.contains(&self.peer) {
            return Err(ReplicaError::Other(
                "that device is not one of this person's own; the diary never syncs with it".into(),
            ));
        }
        let state = self
            .device
            .peer_diary_state(self.peer)
            .map_err(replica_error)?
            .as_deref()
            .and_then(|b| sync::State::decode(b).ok())
            .unwrap_or_default();
        let epoch = self.device.diary_epoch().map_err(replica_error)?;
        Ok(Box::new(DiarySession {
            device: self.device.clone(),
            peer: self.peer,
            state,
            refused: false,
            in_parts: false,
            epoch,
            keys: crate::rekey::Rekeying::new(crate::rekey::KeyKind::Own, Some(self.peer)),
        }))
    }

    fn changes(&self) -> watch::Receiver<u64> {
        self.device.diary_changes.subscribe()
    }

    // Where the device is reached is the same whichever document travels: its
    // addresses and relay are the ones the shared journal's sessions keep.
    fn partner_addrs(&self, addrs: Vec<SocketAddr>) {
        if !addrs.is_empty() {
            let _ = self
                .device
                .update_peer_state(Some(self.peer), |p| p.addrs = addrs);
        }
    }

    fn known_partner_addrs(&self) -> Vec<SocketAddr> {
        self.device
            .peer_state(Some(self.peer))
            .map(|s| s.addrs)
            .unwrap_or_default()
    }

    fn partner_relay(&self, relay: RelayUrl) {
        let _ = self
            .device
            .update_peer_state(Some(self.peer), |p| p.relay = Some(relay.to_string()));
    }

    fn known_partner_relay(&self) -> Option<RelayUrl> {
        self.device.peer_relay(Some(self.peer))
    }

    /// Ending the pairing is the couple's business, told on the shared journal's
    /// protocol; a device of one's own saying it here changes nothing.
    fn partner_unpaired(&self) {
        tracing::info!("ignored an unpairing notice on the diary's protocol");
    }

    /// The app's partner status and progress are about the partner; one's own
    /// devices syncing the diary show nowhere but in the diary.
    fn link(&self, _event: LinkEvent) {}

    fn keys(&self) -> Option<SessionKeys> {
        self.device.diary_keys().ok().flatten()
    }
}

struct DiarySession {
    device: Device,
    peer: EndpointId,
    state: sync::State,
    /// A message of this session was refused: its sync state is not kept.
    refused: bool,
    /// The other device lacked more than one message carries (see `next_message`).
    in_parts: bool,
    /// The diary this session syncs: a release of its history on this device (by
    /// another process, say) ends the session, so that neither the new diary goes
    /// out under the old key nor the old diary's changes come into the new one.
    epoch: Option<[u8; 16]>,
    /// Passing a newer self key and signing key on (see `rekey`).
    keys: crate::rekey::Rekeying,
}

impl DiarySession {
    fn still_current(&self) -> std::result::Result<(), ReplicaError> {
        if self.device.diary_epoch().ok() == Some(self.epoch) {
            return Ok(());
        }
        Err(ReplicaError::Other(
            "the diary's history was released while this session ran".into(),
        ))
    }

    fn refuse(&mut self, refusal: Refusal) -> ReplicaError {
        self.refused = true;
        ReplicaError::Refused(refusal.to_string())
    }
}

impl ReplicaSession for DiarySession {
    fn rekey_outbox(&mut self, theirs: KeyId) -> std::result::Result<Option<Rekey>, ReplicaError> {
        self.still_current()?;
        self.keys.outbox(&self.device, theirs)
    }

    fn rekey_receive(&mut self, rekey: Rekey) -> std::result::Result<(), ReplicaError> {
        self.still_current()?;
        self.keys.receive(&self.device, rekey)
    }

    fn generate(&mut self) -> std::result::Result<Option<Vec<u8>>, ReplicaError> {
        self.still_current()?;
        guarded_next_message(
            &self.device,
            DocKind::Diary,
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
            crate::bounded::apply_from_partner(&mut i.diary, |diary| {
                diary.write(|d| {
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
            self.device.emit(DocKind::Diary, false);
        }
        Ok(())
    }

    fn in_sync(&mut self) -> bool {
        if self.still_current().is_err() {
            return false;
        }
        let their = self.state.their_heads.clone();
        self.device
            .with(|i| Ok(their.as_deref() == Some(i.diary.doc.heads().as_slice())))
            .unwrap_or(false)
    }

    fn end(&mut self) {
        if self.refused || self.still_current().is_err() {
            return;
        }
        let encoded = self.state.encode();
        let _ = self.device.set_peer_diary_state(self.peer, Some(encoded));
    }

    /// The diary's history is released on one device alone (`release.rs`); no step
    /// of the shared journal's release belongs on this protocol.
    fn release_receive(
        &mut self,
        _message: Release,
    ) -> std::result::Result<ReleaseFlow, ReplicaError> {
        Err(ReplicaError::Refused(
            "a step of a release of history, which the diary's protocol never carries".into(),
        ))
    }
}

#[cfg(test)]
mod tests;
