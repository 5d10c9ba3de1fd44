//! Pairing and sync for a device: the partner's remembered state, the
//! [`Replica`] the sync protocol drives, and offline bundles.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use automerge::sync::{self, SyncDoc};
use kintsugi_net::sync::{LinkEvent, Replica, ReplicaError, ReplicaSession, SessionEnd, Until};
use kintsugi_net::{
    EndpointAddr, EndpointId, Invite, NetConfig, NetError, NetworkMode, Node, Offer, RelayUrl,
};
use kintsugi_store::Pairing;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::state_file::StateFile;
use crate::{Device, DeviceError, DocKind, Event, Result, now_ms};

pub use kintsugi_net::pair::PendingPairing;

/// What sync learnt about the partner; all of it can be learnt again, so a copy
/// another version wrote starts afresh instead of stopping sync.
pub(crate) const PARTNER: StateFile = StateFile {
    name: "partner.sealed",
    context: "partner v1",
    fresh_if_unreadable: true,
};

/// Overrides from the command line; `None` keeps the stored setting.
#[derive(Debug, Clone, Default)]
pub struct NetOverrides {
    pub mode: Option<NetworkMode>,
    /// `IP` (keeps the profile's port) or `IP:PORT`.
    pub bind: Option<String>,
    pub relay: Option<String>,
}

/// What this device remembers about its partner besides the keys.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct PartnerState {
    pub addrs: Vec<SocketAddr>,
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
        }))
    }

    fn pairing(&self) -> Result<Option<(EndpointId, kintsugi_store::Secret32)>> {
        self.with(|i| {
            Ok(match &i.keys.keyring.pairing {
                Some(p) => Some((
                    EndpointId::from_bytes(&p.partner_endpoint).map_err(|_| {
                        DeviceError::Invalid("the stored partner id is invalid".into())
                    })?,
                    p.couple_key.clone(),
                )),
                None => None,
            })
        })
    }

    /// Binds this device's endpoint with its stored settings and any overrides.
    pub async fn start_network(&self, overrides: &NetOverrides) -> Result<Network> {
        let settings = self.settings()?;
        let mode = match overrides.mode {
            Some(m) => m,
            None => settings.mode.parse().map_err(DeviceError::Invalid)?,
        };
        let (bind, port_given) = match &overrides.bind {
            Some(b) => (
                parse_bind(b, settings.port)?,
                b.parse::<SocketAddr>().is_ok(),
            ),
            None => (
                SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), settings.port),
                false,
            ),
        };
        let relay = match overrides.relay.as_ref().or(settings.relay.as_ref()) {
            Some(r) => Some(
                r.parse::<RelayUrl>()
                    .map_err(|_| DeviceError::Invalid(format!("{r:?} is not a relay URL")))?,
            ),
            None => None,
        };
        let secret = self.with(|i| Ok(i.keys.keyring.device_secret.clone()))?;
        let partner = self.pairing()?.map(|(p, _)| p);
        let mut cfg = NetConfig { mode, bind, relay };
        // A network this process just shut down may hold the port for a moment
        // longer (its socket closes asynchronously): retry briefly before giving up.
        let mut attempt = Node::spawn_paired(&secret, &cfg, partner).await;
        for _ in 0..20 {
            if attempt.is_ok() || bind.port() == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            attempt = Node::spawn_paired(&secret, &cfg, partner).await;
        }
        let node = match attempt {
            Ok(node) => node,
            // Another process of this profile (a running `kintsugi sync`, the app)
            // holds the stable port: this one can still dial out from any port.
            Err(e) if !port_given && bind.port() != 0 => {
                tracing::info!(error = %e, "the profile's port is busy; using a temporary one");
                cfg.bind.set_port(0);
                Node::spawn_paired(&secret, &cfg, partner).await?
            }
            Err(e) => return Err(e.into()),
        };
        let node = Arc::new(node);
        let (stop, _) = watch::channel(false);
        Ok(Network {
            device: self.clone(),
            node,
            stop,
            serving: std::sync::Mutex::new(None),
        })
    }

    /// The shared journal as the sync protocol sees it.
    pub fn sync_replica(&self) -> Arc<dyn Replica> {
        Arc::new(DeviceReplica {
            device: self.clone(),
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

    fn store_pairing(&self, paired: &kintsugi_net::pair::Paired) -> Result<()> {
        self.with(|i| {
            i.keys.set_pairing(Some(Pairing {
                couple_key: paired.couple_key.clone(),
                partner_endpoint: *paired.partner.as_bytes(),
            }))?;
            Ok(())
        })?;
        let (name, addrs) = (paired.partner_name.clone(), paired.partner_addrs.clone());
        self.update_partner_state(|p| {
            *p = PartnerState {
                addrs,
                name: Some(name),
                last_sync: None,
                sync_state: None,
            }
        })?;
        let _ = self.events.send(Event::Paired);
        Ok(())
    }

    /// An encrypted file of the shared journal's changes that the partner may lack
    /// (everything since the last state both devices were known to share), for when
    /// there is no network path at all.
    pub fn export_bundle(&self) -> Result<Vec<u8>> {
        let (_, couple_key) = self.pairing()?.ok_or_else(|| {
            DeviceError::Invalid("not paired: a bundle is sealed for your partner".into())
        })?;
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
        crate::bundle::seal_for_partner(
            &couple_key,
            &me_endpoint,
            &zeroize::Zeroizing::new(changes),
        )
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

    /// Merges a bundle from the partner. Importing the same bundle twice, or an
    /// older one after a newer, changes nothing.
    pub fn import_bundle(&self, bytes: &[u8]) -> Result<bool> {
        let (partner, couple_key) = self.pairing()?.ok_or_else(|| {
            DeviceError::Invalid("not paired: only your partner's bundles can be imported".into())
        })?;
        let changes = crate::bundle::open_from_partner(&couple_key, partner.as_bytes(), bytes)?;
        let (_, changed) = self.with(|i| i.shared.write(|d| d.load_incremental(&changes)))?;
        if changed {
            self.emit(DocKind::Shared, false);
        }
        Ok(changed)
    }
}

pub(crate) fn iroh_id(secret: &kintsugi_store::Secret32) -> [u8; 32] {
    *kintsugi_net::SecretKey::from_bytes(secret.expose())
        .public()
        .as_bytes()
}

fn parse_bind(s: &str, port: u16) -> Result<SocketAddr> {
    if let Ok(addr) = s.parse::<SocketAddr>() {
        return Ok(addr);
    }
    s.parse::<IpAddr>()
        .map(|ip| SocketAddr::new(ip, port))
        .map_err(|_| {
            DeviceError::Invalid(format!(
                "{s:?} is not an address to listen on (IP or IP:PORT)"
            ))
        })
}

/// A running network presence for a device.
pub struct Network {
    device: Device,
    node: Arc<Node>,
    stop: watch::Sender<bool>,
    serving: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Network {
    pub fn node(&self) -> &Node {
        &self.node
    }

    pub fn endpoint_id(&self) -> String {
        self.node.id().to_string()
    }

    pub fn addr(&self) -> EndpointAddr {
        self.node.addr()
    }

    /// A fresh single-use invite that expires after `ttl`, with the ephemeral key it
    /// commits to. Show `offer.to_text()`; hand the offer to [`Network::host`].
    pub fn create_invite(&self, ttl: Duration) -> Result<Offer> {
        if self.device.pairing()?.is_some() {
            return Err(DeviceError::Invalid(
                "this device is already paired; run `kintsugi unpair` first to pair again".into(),
            ));
        }
        let expires = (now_ms() / 1000) as u64 + ttl.as_secs();
        let mut addr = self.node.addr();
        if addr.ip_addrs().next().is_none() {
            addr = addr.with_addrs(
                self.node
                    .direct_addrs()
                    .into_iter()
                    .map(kintsugi_net::iroh_transport),
            );
        }
        Ok(Offer::new(&addr, expires)?)
    }

    fn my_name(&self) -> Result<String> {
        let me = self.device.me()?;
        Ok(self
            .device
            .read_shared(|s, _| s.partner_name(&me))?
            .unwrap_or_default())
    }

    /// Waits for the partner to join with the invite `offer` shows.
    pub async fn host(&self, offer: &Offer) -> Result<PendingPairing> {
        Ok(kintsugi_net::pair::host(&self.node, offer, &self.my_name()?).await?)
    }

    /// Joins the partner who shows `invite`.
    pub async fn join(&self, invite: &Invite) -> Result<PendingPairing> {
        if self.device.pairing()?.is_some() {
            return Err(DeviceError::Invalid(
                "this device is already paired; run `kintsugi unpair` first to pair again".into(),
            ));
        }
        Ok(kintsugi_net::pair::join(&self.node, invite, &self.my_name()?).await?)
    }

    /// Sends this person's verdict on the codes; stores the pairing only if both
    /// people confirmed.
    pub async fn finish_pairing(&self, pending: PendingPairing, matches: bool) -> Result<String> {
        let paired = pending.confirm(matches).await?;
        self.device.store_pairing(&paired)?;
        self.node.set_partner(Some(paired.partner));
        Ok(paired.partner_name)
    }

    fn replica(&self) -> Arc<dyn Replica> {
        self.device.sync_replica()
    }

    /// Keeps the partner in sync in the background until [`Network::shutdown`].
    /// Returns false when there is no partner to sync with.
    pub fn start_sync(&self) -> Result<bool> {
        let Some((partner, key)) = self.device.pairing()? else {
            return Ok(false);
        };
        let task = tokio::spawn(kintsugi_net::sync::serve(
            self.node.clone(),
            partner,
            key,
            self.replica(),
            self.stop.subscribe(),
        ));
        if let Ok(mut s) = self.serving.lock() {
            *s = Some(task);
        }
        Ok(true)
    }

    /// One sync with the partner: connect, exchange until both hold the same
    /// journal, disconnect.
    pub async fn sync_once(&self, timeout: Duration) -> Result<SessionEnd> {
        let (partner, key) = self.device.pairing()?.ok_or_else(|| {
            DeviceError::Invalid(
                "not paired: pair with `kintsugi pair invite` or `pair join` first".into(),
            )
        })?;
        let replica = self.replica();
        let fut = kintsugi_net::sync::dial(
            &self.node,
            partner,
            &key,
            replica.as_ref(),
            Until::InSync,
            self.stop.subscribe(),
        );
        Ok(tokio::time::timeout(timeout, fut)
            .await
            .map_err(|_| DeviceError::Net(NetError::Timeout))??)
    }

    /// Whether the partner's device answers right now (and still accepts us).
    pub async fn partner_reachable(&self, timeout: Duration) -> bool {
        let Ok(Some((partner, _))) = self.device.pairing() else {
            return false;
        };
        let addrs = self
            .device
            .partner_state()
            .map(|s| s.addrs)
            .unwrap_or_default();
        let addr =
            EndpointAddr::from_parts(partner, addrs.into_iter().map(kintsugi_net::iroh_transport));
        match tokio::time::timeout(timeout, self.node.connect(addr, kintsugi_net::SYNC_ALPN)).await
        {
            Ok(Ok(conn)) => {
                kintsugi_net::close::close(&conn, kintsugi_net::close::Code::Done);
                true
            }
            _ => false,
        }
    }

    /// Ends the pairing here, and tells the partner's device when it can be reached.
    /// Returns whether the partner was told.
    pub async fn unpair(&self, delete_shared: bool) -> Result<bool> {
        let told = match self.device.pairing()? {
            Some((partner, key)) => {
                let _ = self.stop.send(true);
                let addrs = self
                    .device
                    .partner_state()
                    .map(|s| s.addrs)
                    .unwrap_or_default();
                let addr = EndpointAddr::from_parts(
                    partner,
                    addrs.into_iter().map(kintsugi_net::iroh_transport),
                );
                tokio::time::timeout(
                    Duration::from_secs(5),
                    kintsugi_net::sync::send_unpaired(&self.node, addr, &key),
                )
                .await
                .map(|r| r.is_ok())
                .unwrap_or(false)
            }
            None => return Err(DeviceError::Invalid("this device is not paired".into())),
        };
        self.node.set_partner(None);
        self.device.forget_partner(delete_shared)?;
        Ok(told)
    }

    pub async fn shutdown(&self) {
        let _ = self.stop.send(true);
        let task = self.serving.lock().ok().and_then(|mut s| s.take());
        if let Some(t) = task {
            let _ = tokio::time::timeout(Duration::from_secs(3), t).await;
        }
        self.node.shutdown().await;
    }
}

struct DeviceReplica {
    device: Device,
}

impl Replica for DeviceReplica {
    fn begin(&self) -> std::result::Result<Box<dyn ReplicaSession>, ReplicaError> {
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
/// partner's message was at fault, or this device's storage.
fn replica_error(e: DeviceError) -> ReplicaError {
    match e {
        DeviceError::Sync(why) => ReplicaError::Refused(why),
        DeviceError::Store(e) => ReplicaError::Storage(e.to_string()),
        other => ReplicaError::Other(other.to_string()),
    }
}

struct DeviceSession {
    device: Device,
    state: sync::State,
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
        let msg = sync::Message::decode(payload)
            .map_err(|_| ReplicaError::Refused("it does not decode".into()))?;
        let state = &mut self.state;
        let (_, changed) = self
            .device
            .with(|i| {
                i.shared.write(|d| {
                    d.doc_mut()
                        .sync()
                        .receive_sync_message(state, msg)
                        .map_err(|e| DeviceError::Sync(e.to_string()))
                })
            })
            .map_err(replica_error)?;
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
        let encoded = self.state.encode();
        let _ = self
            .device
            .update_partner_state(|p| p.sync_state = Some(encoded));
    }
}
