//! One iroh endpoint per running device, serving every protocol.
//!
//! Authorization happens at the edge: a sync connection from any device but the
//! couple's own (the set [`Node::set_allowed`] names) is refused as soon as the TLS
//! handshake names the remote endpoint, before a single application byte is read.
//! The private diary's protocol has a gate of its own ([`Node::set_allowed_own`]),
//! which names only this person's other devices: being let in for the shared
//! journal never lets a device in for the diary.
//! Pairing connections are only taken while an invite is being hosted.
//!
//! Accepted sync connections are handed out per protocol and remote device
//! ([`Node::incoming_on`]): with several devices, each peer's sessions are kept by
//! their own loop, and one loop must never take another peer's call, nor a call
//! of the other protocol.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use iroh::endpoint::{Accepting, Connection, presets};
use iroh::protocol::{AcceptError, ProtocolHandler, Router};
use iroh::{Endpoint, EndpointAddr, EndpointId, RelayMode, RelayUrl, SecretKey, Watcher};
use kintsugi_crypto::Secret32;
use tokio::sync::{Mutex, mpsc};

use crate::{NetError, PAIR_ALPN, SELF_ALPN, SYNC_ALPN, close};

/// Which of the two sync protocols a session runs. They share the handshake and the
/// framing; each has its own gate, its own calls and its own key, so a device let in
/// for one is never let in for the other by mistake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// `kintsugi/sync/1`: the shared journal, among every device of the couple, under
    /// the couple key.
    Shared,
    /// `kintsugi/self/1`: the private diary, among one person's own devices, under
    /// that person's self key.
    Own,
}

impl Protocol {
    pub const fn alpn(self) -> &'static [u8] {
        match self {
            Protocol::Shared => SYNC_ALPN,
            Protocol::Own => SELF_ALPN,
        }
    }

    /// The protocol of a sync ALPN; `None` for pairing or anything else.
    pub fn of_alpn(alpn: &[u8]) -> Option<Self> {
        [Protocol::Shared, Protocol::Own]
            .into_iter()
            .find(|p| p.alpn() == alpn)
    }
}

/// How a device finds its partner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NetworkMode {
    /// Direct addresses on the local network, no relay: no server at all.
    #[default]
    Local,
    /// Adds a relay for NAT traversal: the couple's own (`--relay URL`, Settings),
    /// or iroh's public relays when none is set. A relay forwards encrypted packets
    /// and stores nothing; what it sees is in SECURITY.md ("What a relay sees").
    Anywhere,
    /// Only addresses the devices told each other; no discovery. What tests use.
    Direct,
}

impl std::str::FromStr for NetworkMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| {
                format!("unknown network mode {s:?}: expected local, anywhere or direct")
            })
    }
}

impl std::fmt::Display for NetworkMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl NetworkMode {
    /// Every mode, in the order a person is offered them.
    pub const ALL: [NetworkMode; 3] = [Self::Local, Self::Anywhere, Self::Direct];

    /// The name on the command line and in the settings file.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::Anywhere => "anywhere",
            Self::Direct => "direct",
        }
    }
}

#[derive(Debug, Clone)]
pub struct NetConfig {
    pub mode: NetworkMode,
    /// Where to listen. A stable port lets the partner find us again at the address
    /// it remembers.
    pub bind: SocketAddr,
    /// A relay the couple runs themselves (only in `Anywhere` mode).
    pub relay: Option<RelayUrl>,
}

/// How the partner is reached on a connection: the path QUIC sends on now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// A direct UDP path between the two devices.
    Direct,
    /// Through a relay server, which forwards the encrypted packets.
    Relay,
}

/// The path a connection to the partner uses, with its round-trip time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    pub via: Via,
    pub rtt: Duration,
}

impl Link {
    /// The path a connection sends on now (`None` once it closed).
    pub fn of(conn: &Connection) -> Option<Link> {
        if conn.close_reason().is_some() {
            return None;
        }
        let paths = conn.paths();
        let path = paths
            .iter()
            .find(|p| p.is_selected())
            .or_else(|| paths.iter().next())?;
        Some(Link {
            via: if path.is_relay() {
                Via::Relay
            } else {
                Via::Direct
            },
            rtt: path.rtt(),
        })
    }
}

/// Every relay a device may have been given: none, or the couple's own or iroh's
/// public ones in `anywhere` mode.
fn relay_mode(cfg: &NetConfig) -> RelayMode {
    match (cfg.mode, &cfg.relay) {
        (NetworkMode::Anywhere, Some(url)) => RelayMode::custom([url.clone()]),
        (NetworkMode::Anywhere, None) => iroh::endpoint::default_relay_mode(),
        _ => RelayMode::Disabled,
    }
}

#[derive(Debug)]
struct Inbox {
    tx: mpsc::Sender<Connection>,
}

/// The sync connections of this process that may still be open, newest last: where
/// the path to each peer is read, and what is closed when a device stops being
/// allowed.
type Recent = Arc<std::sync::Mutex<Vec<Connection>>>;

/// Enough for every device of a couple, each with a session and a crossing call.
const RECENT: usize = 32;

fn remember(recent: &Recent, conn: &Connection) {
    if let Ok(mut r) = recent.lock() {
        r.retain(|c| c.close_reason().is_none());
        if r.len() >= RECENT {
            r.remove(0);
        }
        r.push(conn.clone());
    }
}

/// How many accepted calls may wait for a loop to take them. A loop takes its
/// peer's call at once; more than this waiting means nobody is taking them.
const WAITING: usize = 16;

/// Accepted sync connections on their way to the loop that keeps their peer.
#[derive(Debug, Default)]
struct Inboxes {
    /// One per peer whose loop runs ([`Node::incoming`]).
    routes: HashMap<EndpointId, mpsc::Sender<Connection>>,
    /// Calls of peers no loop has claimed yet: a call that arrives while the loop
    /// starts is kept for it, not lost ([`Node::incoming`] takes them over).
    waiting: VecDeque<Connection>,
}

#[derive(Debug, Default)]
struct Routes {
    inboxes: std::sync::Mutex<Inboxes>,
    /// Wakes [`Node::next_sync_connection`].
    arrived: tokio::sync::Notify,
}

impl Routes {
    fn deliver(&self, conn: Connection) {
        let Ok(mut inboxes) = self.inboxes.lock() else {
            close::close(&conn, close::Code::NotSyncing);
            return;
        };
        let remote = conn.remote_id();
        let conn = match inboxes.routes.get(&remote) {
            None => conn,
            Some(tx) => match tx.try_send(conn) {
                Ok(()) => return,
                Err(mpsc::error::TrySendError::Full(conn)) => {
                    close::close(&conn, close::Code::Busy);
                    return;
                }
                // That loop ended; keep the call for the next one.
                Err(mpsc::error::TrySendError::Closed(conn)) => {
                    inboxes.routes.remove(&remote);
                    conn
                }
            },
        };
        inboxes.waiting.retain(|c| c.close_reason().is_none());
        if inboxes.waiting.len() >= WAITING
            && let Some(oldest) = inboxes.waiting.pop_front()
        {
            close::close(&oldest, close::Code::NotSyncing);
        }
        inboxes.waiting.push_back(conn);
        drop(inboxes);
        self.arrived.notify_one();
    }

    fn take_waiting(&self) -> Option<Connection> {
        let mut inboxes = self.inboxes.lock().ok()?;
        inboxes.waiting.retain(|c| c.close_reason().is_none());
        inboxes.waiting.pop_front()
    }
}

/// The gate of one sync protocol: who may call, where their calls go, and which of
/// its connections may still be open. One per protocol, so that nothing one of them
/// admits or routes can reach the other.
#[derive(Debug, Clone)]
struct SyncGate {
    protocol: Protocol,
    allowed: Arc<RwLock<BTreeSet<EndpointId>>>,
    routes: Arc<Routes>,
    recent: Recent,
}

impl SyncGate {
    fn new(protocol: Protocol, allowed: impl IntoIterator<Item = EndpointId>) -> Self {
        Self {
            protocol,
            allowed: Arc::new(RwLock::new(allowed.into_iter().collect())),
            routes: Arc::new(Routes::default()),
            recent: Recent::default(),
        }
    }

    /// Admits exactly `allowed` from now on, and closes the open connections of any
    /// other device: a removed device must not keep a session it opened before.
    fn set_allowed(&self, allowed: impl IntoIterator<Item = EndpointId>) {
        let allowed: BTreeSet<EndpointId> = allowed.into_iter().collect();
        if let Ok(mut a) = self.allowed.write() {
            *a = allowed.clone();
        }
        let open: Vec<Connection> = self
            .recent
            .lock()
            .map(|r| r.iter().cloned().collect())
            .unwrap_or_default();
        for conn in open {
            if !allowed.contains(&conn.remote_id()) && conn.close_reason().is_none() {
                tracing::info!(remote = %conn.remote_id().fmt_short(), protocol = ?self.protocol, "closed the session of a device no longer allowed");
                close::close(&conn, close::Code::NotPaired);
            }
        }
    }

    fn allowed(&self) -> Vec<EndpointId> {
        self.allowed
            .read()
            .map(|a| a.iter().copied().collect())
            .unwrap_or_default()
    }

    /// See [`Node::incoming_on`].
    fn incoming(&self, peer: EndpointId) -> mpsc::Receiver<Connection> {
        let (tx, rx) = mpsc::channel(8);
        // Under one lock, so that no call slips in between.
        if let Ok(mut inboxes) = self.routes.inboxes.lock() {
            let waiting = std::mem::take(&mut inboxes.waiting);
            for conn in waiting {
                if conn.close_reason().is_some() {
                    continue;
                }
                if conn.remote_id() != peer {
                    inboxes.waiting.push_back(conn);
                } else if let Err(mpsc::error::TrySendError::Full(conn)) = tx.try_send(conn) {
                    close::close(&conn, close::Code::Busy);
                }
            }
            inboxes.routes.insert(peer, tx);
        }
        rx
    }
}

impl ProtocolHandler for SyncGate {
    async fn on_accepting(&self, accepting: Accepting) -> Result<Connection, AcceptError> {
        let conn = accepting.await?;
        let allowed = self
            .allowed
            .read()
            .map(|a| a.contains(&conn.remote_id()))
            .unwrap_or(false);
        if !allowed {
            match self.protocol {
                Protocol::Shared => {
                    tracing::info!(remote = %conn.remote_id().fmt_short(), "refused a sync connection from a device that is not one of the couple's")
                }
                Protocol::Own => {
                    tracing::info!(remote = %conn.remote_id().fmt_short(), "refused a diary sync connection from a device that is not one of this person's")
                }
            }
            close::close(&conn, close::Code::NotPaired);
            return Err(AcceptError::from_err(NetError::NotPartner));
        }
        Ok(conn)
    }

    async fn accept(&self, conn: Connection) -> Result<(), AcceptError> {
        remember(&self.recent, &conn);
        self.routes.deliver(conn);
        Ok(())
    }
}

#[derive(Debug, Clone)]
struct PairGate {
    hosting: Arc<AtomicBool>,
    inbox: Arc<Inbox>,
}

impl ProtocolHandler for PairGate {
    async fn accept(&self, conn: Connection) -> Result<(), AcceptError> {
        if !self.hosting.load(Ordering::SeqCst) {
            close::close(&conn, close::Code::NoInvite);
        } else if self.inbox.tx.try_send(conn.clone()).is_err() {
            // The host is behind on taking attempts; "used" would be a lie.
            close::close(&conn, close::Code::Busy);
        }
        Ok(())
    }
}

pub struct Node {
    router: Router,
    mode: NetworkMode,
    relay: Option<RelayUrl>,
    /// `kintsugi/sync/1`: the couple's devices.
    shared: SyncGate,
    /// `kintsugi/self/1`: this person's other devices, and no one else.
    own: SyncGate,
    hosting: Arc<AtomicBool>,
    pair_rx: Mutex<mpsc::Receiver<Connection>>,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("id", &self.id().fmt_short().to_string())
            .finish_non_exhaustive()
    }
}

impl Node {
    /// Binds the endpoint and starts serving. Built on `presets::Minimal`: no
    /// discovery service and no relay unless the mode asks for one, and never a
    /// port-mapping request to the router.
    pub async fn spawn(device_secret: &Secret32, cfg: &NetConfig) -> Result<Self, NetError> {
        Self::spawn_paired(device_secret, cfg, None).await
    }

    /// [`Node::spawn`] with the partner already let through the sync gate.
    pub async fn spawn_paired(
        device_secret: &Secret32,
        cfg: &NetConfig,
        partner: Option<EndpointId>,
    ) -> Result<Self, NetError> {
        Self::spawn_allowing(device_secret, cfg, partner).await
    }

    /// [`Node::spawn`] with the couple's devices already let through the sync gate.
    /// Setting them afterwards left a moment in which a call already waiting at the
    /// socket was refused as "not paired".
    pub async fn spawn_allowing(
        device_secret: &Secret32,
        cfg: &NetConfig,
        allowed: impl IntoIterator<Item = EndpointId>,
    ) -> Result<Self, NetError> {
        Self::spawn_allowing_own(device_secret, cfg, allowed, []).await
    }

    /// [`Node::spawn_allowing`] with this person's other devices let through the
    /// diary's gate too, for the same reason: a call waiting at the socket when the
    /// node starts must find the gate already set.
    pub async fn spawn_allowing_own(
        device_secret: &Secret32,
        cfg: &NetConfig,
        allowed: impl IntoIterator<Item = EndpointId>,
        own: impl IntoIterator<Item = EndpointId>,
    ) -> Result<Self, NetError> {
        let mut builder = Endpoint::builder(presets::Minimal)
            .secret_key(SecretKey::from_bytes(device_secret.expose()))
            .alpns(vec![
                PAIR_ALPN.to_vec(),
                SYNC_ALPN.to_vec(),
                SELF_ALPN.to_vec(),
            ])
            .clear_ip_transports()
            .bind_addr(cfg.bind)
            .map_err(|e| NetError::Bind(e.to_string()))?;
        if cfg.mode == NetworkMode::Local {
            // mDNS on the local network, under iroh's generic service name: it reveals
            // that an iroh endpoint is present, not that it is Kintsugi.
            builder =
                builder.address_lookup(iroh_mdns_address_lookup::MdnsAddressLookup::builder());
        }
        builder = builder.relay_mode(relay_mode(cfg));
        let endpoint = builder
            .bind()
            .await
            .map_err(|e| NetError::Bind(e.to_string()))?;
        let shared = SyncGate::new(Protocol::Shared, allowed);
        let own = SyncGate::new(Protocol::Own, own);
        let hosting = Arc::new(AtomicBool::new(false));
        let (pair_tx, pair_rx) = mpsc::channel(16);
        let router = Router::builder(endpoint)
            .accept(SYNC_ALPN, shared.clone())
            .accept(SELF_ALPN, own.clone())
            .accept(
                PAIR_ALPN,
                PairGate {
                    hosting: hosting.clone(),
                    inbox: Arc::new(Inbox { tx: pair_tx }),
                },
            )
            .spawn();
        Ok(Self {
            router,
            mode: cfg.mode,
            relay: cfg.relay.clone(),
            shared,
            own,
            hosting,
            pair_rx: Mutex::new(pair_rx),
        })
    }

    pub fn endpoint(&self) -> &Endpoint {
        self.router.endpoint()
    }

    pub fn id(&self) -> EndpointId {
        self.endpoint().id()
    }

    /// Our current address (id, direct addresses, relay).
    pub fn addr(&self) -> EndpointAddr {
        self.endpoint().addr()
    }

    pub fn direct_addrs(&self) -> Vec<SocketAddr> {
        let mut addrs: Vec<SocketAddr> = self.addr().ip_addrs().copied().collect();
        if addrs.is_empty() {
            addrs = self.endpoint().bound_sockets();
        }
        addrs
    }

    pub fn mode(&self) -> NetworkMode {
        self.mode
    }

    /// The relay through which this device can be reached, to tell the partner: the
    /// home relay once one answered, else the couple's own relay as configured
    /// (it will answer as soon as it can). `None` outside `anywhere` mode.
    pub fn relay_url(&self) -> Option<RelayUrl> {
        if self.mode != NetworkMode::Anywhere {
            return None;
        }
        let status = self.endpoint().home_relay_status().get();
        status
            .iter()
            .find(|s| s.is_connected())
            .map(|s| s.url().clone())
            .or_else(|| self.addr().relay_urls().next().cloned())
            .or_else(|| self.relay.clone())
    }

    /// Whether a relay answered (`anywhere` mode); always true in the other modes,
    /// which use none.
    pub fn relay_connected(&self) -> bool {
        self.mode != NetworkMode::Anywhere
            || self
                .endpoint()
                .home_relay_status()
                .get()
                .iter()
                .any(|s| s.is_connected())
    }

    /// Waits until the home relay answered, up to `limit`. An invite made before
    /// that carries no relay, and a joiner on another network finds no way in (the
    /// relay handshake took about 3 s in the namespace test). In the other modes
    /// there is nothing to wait for.
    pub async fn wait_for_relay(&self, limit: Duration) -> Result<(), NetError> {
        if self.relay_connected() {
            return Ok(());
        }
        if tokio::time::timeout(limit, self.endpoint().online())
            .await
            .is_ok()
        {
            return Ok(());
        }
        Err(self.no_relay(limit))
    }

    /// Why no relay answered within `waited`, with the relay's own last error.
    pub fn no_relay(&self, waited: Duration) -> NetError {
        let status = self.endpoint().home_relay_status().get();
        let why = status
            .iter()
            .find_map(|s| s.last_error().map(|e| format!(" (the last attempt: {e})")))
            .unwrap_or_default();
        NetError::NoRelay {
            relay: match &self.relay {
                Some(url) => format!("the relay {url}"),
                None => "any of iroh's public relays".into(),
            },
            secs: waited.as_secs(),
            why,
        }
    }

    /// The path on the newest open sync connection of this process, with whichever
    /// device (`None` when there is none).
    pub fn partner_link(&self) -> Option<Link> {
        let recent = self.shared.recent.lock().ok()?;
        recent.iter().rev().find_map(Link::of)
    }

    /// The path to `peer` on the newest open sync connection with it.
    pub fn link_to(&self, peer: EndpointId) -> Option<Link> {
        let recent = self.shared.recent.lock().ok()?;
        recent
            .iter()
            .rev()
            .filter(|c| c.remote_id() == peer)
            .find_map(Link::of)
    }

    /// The one device allowed on the sync protocol (none before pairing).
    pub fn set_partner(&self, partner: Option<EndpointId>) {
        self.set_allowed(partner);
    }

    /// The devices allowed on the sync protocol from now on. Open connections of a
    /// device no longer among them are closed as not paired: a removed device must
    /// not keep a session it opened before.
    pub fn set_allowed(&self, allowed: impl IntoIterator<Item = EndpointId>) {
        self.shared.set_allowed(allowed);
    }

    /// The devices allowed on the diary's protocol (`kintsugi/self/1`) from now on:
    /// this person's other devices. As with [`Node::set_allowed`], the open diary
    /// sessions of a device no longer among them are closed.
    pub fn set_allowed_own(&self, own: impl IntoIterator<Item = EndpointId>) {
        self.own.set_allowed(own);
    }

    /// The devices allowed on the sync protocol now.
    pub fn allowed(&self) -> Vec<EndpointId> {
        self.shared.allowed()
    }

    /// The devices allowed on the diary's protocol now.
    pub fn allowed_own(&self) -> Vec<EndpointId> {
        self.own.allowed()
    }

    fn gate(&self, protocol: Protocol) -> &SyncGate {
        match protocol {
            Protocol::Shared => &self.shared,
            Protocol::Own => &self.own,
        }
    }

    pub(crate) fn set_hosting(&self, on: bool) {
        self.hosting.store(on, Ordering::SeqCst);
    }

    /// The hosting flag itself, for pairing attempts that run as their own tasks
    /// and must close the door the moment one of them burns the invite.
    pub(crate) fn hosting_flag(&self) -> Arc<AtomicBool> {
        self.hosting.clone()
    }

    pub(crate) async fn next_pair_connection(&self) -> Option<Connection> {
        self.pair_rx.lock().await.recv().await
    }

    /// The next accepted sync connection of any allowed device whose calls no
    /// [`Node::incoming`] claims.
    pub async fn next_sync_connection(&self) -> Option<Connection> {
        loop {
            let arrived = self.shared.routes.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            if let Some(conn) = self.shared.routes.take_waiting() {
                return Some(conn);
            }
            arrived.await;
        }
    }

    /// From now on, every accepted sync connection from `peer` arrives here
    /// (including one that arrived before), until the receiver is dropped. A loop
    /// that keeps one peer in sync takes its calls here, so that with several
    /// devices it never takes another's. A second claim for the same peer replaces
    /// the first.
    pub fn incoming(&self, peer: EndpointId) -> mpsc::Receiver<Connection> {
        self.incoming_on(Protocol::Shared, peer)
    }

    /// [`Node::incoming`] for either protocol: a loop keeping `peer`'s diary in sync
    /// takes only that peer's diary calls, never a call of the shared journal.
    pub fn incoming_on(&self, protocol: Protocol, peer: EndpointId) -> mpsc::Receiver<Connection> {
        self.gate(protocol).incoming(peer)
    }

    pub async fn connect(&self, addr: EndpointAddr, alpn: &[u8]) -> Result<Connection, NetError> {
        let conn = self
            .endpoint()
            .connect(addr, alpn)
            .await
            .map_err(|e| NetError::Unreachable(e.to_string()))?;
        if let Some(protocol) = Protocol::of_alpn(alpn) {
            remember(&self.gate(protocol).recent, &conn);
        }
        Ok(conn)
    }

    pub async fn shutdown(&self) {
        let _ = self.router.shutdown().await;
        // Every loop waiting for a call hears that none will come.
        for gate in [&self.shared, &self.own] {
            if let Ok(mut inboxes) = gate.routes.inboxes.lock() {
                inboxes.routes.clear();
            }
        }
    }
}
