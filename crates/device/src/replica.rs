//! The shared journal as the sync protocol sees it: a [`Replica`] that hands out
//! Automerge sync messages and stores what the partner sends before the session
//! moves on.

use std::net::SocketAddr;
use std::sync::Arc;

use automerge::sync::{self, SyncDoc};
use kintsugi_net::RelayUrl;
use kintsugi_net::sync::{LinkEvent, Replica, ReplicaError, ReplicaSession};
use tokio::sync::watch;

use crate::{Device, DeviceError, DocKind, Event, Refusal, now_ms};

impl Device {
    /// The shared journal as the sync protocol sees it.
    pub fn sync_replica(&self) -> Arc<dyn Replica> {
        Arc::new(DeviceReplica {
            device: self.clone(),
        })
    }
}

struct DeviceReplica {
    device: Device,
}

impl Replica for DeviceReplica {
    fn begin(&self) -> std::result::Result<Box<dyn ReplicaSession>, ReplicaError> {
        // What other processes of this profile wrote (a CLI command while `kintsugi
        // sync` runs) is read now, not at the watcher's next tick: a one-shot partner
        // that finds both sides in sync ends the session, and would leave without it.
        self.device.refresh().map_err(replica_error)?;
        let persisted = self
            .device
            .partner_state()
            .map_err(replica_error)?
            .sync_state;
        let state = persisted
            .as_deref()
            .and_then(|b| sync::State::decode(b).ok())
            .unwrap_or_default();
        Ok(Box::new(DeviceSession {
            device: self.device.clone(),
            state,
            refused: false,
        }))
    }

    fn changes(&self) -> watch::Receiver<u64> {
        self.device.changes.subscribe()
    }

    fn partner_addrs(&self, addrs: Vec<SocketAddr>) {
        if !addrs.is_empty() {
            let _ = self.device.update_partner_state(|p| p.addrs = addrs);
        }
    }

    fn known_partner_addrs(&self) -> Vec<SocketAddr> {
        self.device
            .partner_state()
            .map(|s| s.addrs)
            .unwrap_or_default()
    }

    fn partner_relay(&self, relay: RelayUrl) {
        let _ = self
            .device
            .update_partner_state(|p| p.relay = Some(relay.to_string()));
    }

    fn known_partner_relay(&self) -> Option<RelayUrl> {
        self.device.partner_relay()
    }

    fn partner_unpaired(&self) {
        tracing::info!("the partner ended the pairing");
        let _ = self.device.forget_partner(false);
    }

    fn link(&self, event: LinkEvent) {
        let ev = match event {
            LinkEvent::Online => Event::PartnerOnline,
            LinkEvent::Offline => Event::PartnerOffline,
            LinkEvent::Received(bytes) => Event::SyncProgress { bytes },
            LinkEvent::InSync => {
                let _ = self
                    .device
                    .update_partner_state(|p| p.last_sync = Some(now_ms()));
                Event::InSync
            }
        };
        let _ = self.device.events.send(ev);
    }
}

/// Sorts a device error into what the sync session needs to know: whether the
/// partner's message was at fault, or this device.
fn replica_error(e: DeviceError) -> ReplicaError {
    match e {
        DeviceError::Sync(why) => ReplicaError::Refused(why),
        DeviceError::Store(e) => ReplicaError::Storage(e.to_string()),
        DeviceError::Locked => ReplicaError::Locked,
        other => ReplicaError::Other(other.to_string()),
    }
}

struct DeviceSession {
    device: Device,
    state: sync::State,
    /// A message of this session was refused: its sync state is not kept, so the
    /// profile stays exactly as it was and the next session starts from the last
    /// good one.
    refused: bool,
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
        let state = &mut self.state;
        self.device
            .with(|i| {
                // Automerge 0.12 can panic on what a hostile partner put into the sync
                // state (a Bloom filter with no bits divides by zero). Generating only
                // reads the document, so a caught panic leaves it as it was; the
                // session ends instead of the app.
                let doc = i.shared.doc.doc_mut();
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    doc.sync().generate_sync_message(state).map(|m| m.encode())
                }))
                .map_err(|_| {
                    DeviceError::Sync(
                        "the partner sent a sync message that cannot be answered".into(),
                    )
                })
            })
            .map_err(replica_error)
    }

    fn receive(&mut self, payload: &[u8]) -> std::result::Result<(), ReplicaError> {
        if let Ok(tap) = self.device.tap.lock()
            && let Some(tap) = tap.as_ref()
        {
            tap(payload);
        }
        // Automerge inflates what it loads with no bound; check first (see `bounded`).
        if let Err(refusal) = crate::bounded::check_sync_message(payload) {
            return Err(self.refuse(refusal));
        }
        let msg = sync::Message::decode(payload)
            .map_err(|_| ReplicaError::Refused("it does not decode".into()))?;
        let state = &mut self.state;
        let applied = self.device.with(|i| {
            crate::bounded::apply_from_partner(i, |shared| {
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
        }
        Ok(())
    }

    fn in_sync(&mut self) -> bool {
        let their = self.state.their_heads.clone();
        self.device
            .with(|i| Ok(their.as_deref() == Some(i.shared.doc.heads().as_slice())))
            .unwrap_or(false)
    }

    fn end(&mut self) {
        if self.refused {
            return;
        }
        let encoded = self.state.encode();
        let _ = self
            .device
            .update_partner_state(|p| p.sync_state = Some(encoded));
    }
}
