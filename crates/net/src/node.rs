//! One iroh endpoint per running device, serving both protocols.
//!
//! Authorization happens at the edge: a sync connection from anyone but the paired
//! partner is refused as soon as the TLS handshake names the remote endpoint, before
//! a single application byte is read. Pairing connections are only taken while an
//! invite is being hosted.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use iroh::endpoint::{Accepting, Connection, presets};
use iroh::protocol::{AcceptError, ProtocolHandler, Router};
use iroh::{Endpoint, EndpointAddr, EndpointId, RelayMode, RelayUrl, SecretKey};
use kintsugi_crypto::Secret32;
use tokio::sync::{Mutex, mpsc};

use crate::{NetError, PAIR_ALPN, SYNC_ALPN, close};

/// How a device finds its partner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NetworkMode {
    /// Direct addresses on the local network, no relay: no server at all.
    #[default]
    Local,
    /// Adds iroh relays for NAT traversal (the default relays, or the couple's own).
    /// A relay forwards encrypted packets and stores nothing.
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

#[derive(Debug)]
struct Inbox {
    tx: mpsc::Sender<Connection>,
}

#[derive(Debug, Clone)]
struct SyncGate {
    partner: Arc<RwLock<Option<EndpointId>>>,
    inbox: Arc<Inbox>,
}

impl ProtocolHandler for SyncGate {
    async fn on_accepting(&self, accepting: Accepting) -> Result<Connection, AcceptError> {
        let conn = accepting.await?;
        let allowed = self
            .partner
            .read()
            .map(|p| *p == Some(conn.remote_id()))
            .unwrap_or(false);
        if !allowed {
            tracing::info!(remote = %conn.remote_id().fmt_short(), "refused a sync connection from a device that is not the partner");
            close::close(&conn, close::Code::NotPaired);
            return Err(AcceptError::from_err(NetError::NotPartner));
        }
        Ok(conn)
    }

    async fn accept(&self, conn: Connection) -> Result<(), AcceptError> {
        if self.inbox.tx.send(conn.clone()).await.is_err() {
            close::close(&conn, close::Code::NotSyncing);
        }
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
    partner: Arc<RwLock<Option<EndpointId>>>,
    hosting: Arc<AtomicBool>,
    pair_rx: Mutex<mpsc::Receiver<Connection>>,
    sync_rx: Mutex<mpsc::Receiver<Connection>>,
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

    /// [`Node::spawn`] with the partner already let through the sync gate. Setting it
    /// afterwards left a moment in which the partner's call, already waiting at the
    /// socket, was refused as "not paired".
    pub async fn spawn_paired(
        device_secret: &Secret32,
        cfg: &NetConfig,
        partner: Option<EndpointId>,
    ) -> Result<Self, NetError> {
        let mut builder = Endpoint::builder(presets::Minimal)
            .secret_key(SecretKey::from_bytes(device_secret.expose()))
            .alpns(vec![PAIR_ALPN.to_vec(), SYNC_ALPN.to_vec()])
            .clear_ip_transports()
            .bind_addr(cfg.bind)
            .map_err(|e| NetError::Bind(e.to_string()))?;
        if cfg.mode == NetworkMode::Local {
            // mDNS on the local network, under iroh's generic service name: it reveals
            // that an iroh endpoint is present, not that it is Kintsugi.
            builder =
                builder.address_lookup(iroh_mdns_address_lookup::MdnsAddressLookup::builder());
        }
        builder = match (cfg.mode, &cfg.relay) {
            (NetworkMode::Anywhere, Some(url)) => {
                builder.relay_mode(RelayMode::custom([url.clone()]))
            }
            (NetworkMode::Anywhere, None) => {
                builder.relay_mode(iroh::endpoint::default_relay_mode())
            }
            _ => builder.relay_mode(RelayMode::Disabled),
        };
        let endpoint = builder
            .bind()
            .await
            .map_err(|e| NetError::Bind(e.to_string()))?;
        let partner = Arc::new(RwLock::new(partner));
        let hosting = Arc::new(AtomicBool::new(false));
        let (sync_tx, sync_rx) = mpsc::channel(8);
        let (pair_tx, pair_rx) = mpsc::channel(16);
        let router = Router::builder(endpoint)
            .accept(
                SYNC_ALPN,
                SyncGate {
                    partner: partner.clone(),
                    inbox: Arc::new(Inbox { tx: sync_tx }),
                },
            )
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
            partner,
            hosting,
            pair_rx: Mutex::new(pair_rx),
            sync_rx: Mutex::new(sync_rx),
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

    /// The one device allowed on the sync protocol (none before pairing).
    pub fn set_partner(&self, partner: Option<EndpointId>) {
        if let Ok(mut p) = self.partner.write() {
            *p = partner;
        }
    }

    pub fn partner(&self) -> Option<EndpointId> {
        self.partner.read().ok().and_then(|p| *p)
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

    /// The next accepted sync connection (already checked to come from the partner).
    pub async fn next_sync_connection(&self) -> Option<Connection> {
        self.sync_rx.lock().await.recv().await
    }

    pub async fn connect(&self, addr: EndpointAddr, alpn: &[u8]) -> Result<Connection, NetError> {
        self.endpoint()
            .connect(addr, alpn)
            .await
            .map_err(|e| NetError::Unreachable(e.to_string()))
    }

    pub async fn shutdown(&self) {
        let _ = self.router.shutdown().await;
    }
}
