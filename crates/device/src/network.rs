//! A device on the network: its endpoint, bound with the stored settings and the
//! command line's overrides, and what runs on it (pairing, sync, unpairing).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use kintsugi_net::sync::SessionEnd;
use kintsugi_net::{
    EndpointAddr, Invitation, Invite, Link, NetConfig, NetError, NetworkMode, Node, Offer,
    Protocol, Purpose, RelayUrl, Via,
};
use tokio::sync::watch;

use crate::{Device, DeviceError, Field, Result, Transfer, now_ms};

pub use kintsugi_net::pair::PendingPairing;

/// An invite this device takes joins for ([`Network::start_hosting`]).
pub struct Hosting<'a>(kintsugi_net::pair::Hosting<'a>);

impl Hosting<'_> {
    /// Serves the partner's join until it completes or the invite expires.
    pub async fn wait(self) -> Result<PendingPairing> {
        Ok(self.0.wait().await?)
    }
}

/// Overrides from the command line; `None` keeps the stored setting.
#[derive(Debug, Clone, Default)]
pub struct NetOverrides {
    pub mode: Option<NetworkMode>,
    pub bind: Option<Bind>,
    pub relay: Option<RelayUrl>,
}

/// Where to listen: an address alone keeps the profile's stable port (so the partner
/// finds this device where it last saw it), an address with a port takes that port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bind {
    Ip(IpAddr),
    Socket(SocketAddr),
}

impl Bind {
    pub fn ip(self) -> IpAddr {
        match self {
            Bind::Ip(ip) => ip,
            Bind::Socket(addr) => addr.ip(),
        }
    }

    fn with_port(self, stable_port: u16) -> SocketAddr {
        match self {
            Bind::Ip(ip) => SocketAddr::new(ip, stable_port),
            Bind::Socket(addr) => addr,
        }
    }
}

impl std::str::FromStr for Bind {
    type Err = DeviceError;

    fn from_str(s: &str) -> Result<Self> {
        if let Ok(addr) = s.parse::<SocketAddr>() {
            return Ok(Bind::Socket(addr));
        }
        s.parse::<IpAddr>().map(Bind::Ip).map_err(|_| {
            DeviceError::bad_input(
                Field::Bind,
                format!("{s:?} is not an address to listen on (IP or IP:PORT)"),
            )
        })
    }
}

/// How long `anywhere` mode waits for its relay when the network starts. In the
/// namespace test the relay answered about 3 s after start (iroh probes the network
/// first); an invite made before that carried no relay, and the joiner found no way.
pub const RELAY_WAIT: Duration = Duration::from_secs(15);

/// What `status` and the app's top bar say about a path to the partner:
/// "direct, 3 ms", "through the relay, 41 ms".
pub fn describe_link(link: &Link) -> String {
    let via = match link.via {
        Via::Direct => "direct",
        Via::Relay => "through the relay",
    };
    format!("{via}, {} ms", rtt_ms(link))
}

/// The round-trip time in whole milliseconds, rounded up: a partner that answered
/// never shows 0.
pub fn rtt_ms(link: &Link) -> u64 {
    (link.rtt.as_micros() as u64).div_ceil(1000).max(1)
}

/// A relay URL typed by a person (`--relay`, Settings).
pub fn parse_relay(text: &str) -> Result<RelayUrl> {
    text.parse::<RelayUrl>()
        .map_err(|_| DeviceError::bad_input(Field::Relay, format!("{text:?} is not a relay URL")))
}

impl Device {
    /// Binds this device's endpoint with its stored settings and any overrides.
    pub async fn start_network(&self, overrides: &NetOverrides) -> Result<Network> {
        let settings = self.settings()?;
        let mode = overrides.mode.unwrap_or(settings.mode);
        let (bind, port_given) = match overrides.bind {
            Some(b) => (b.with_port(settings.port), matches!(b, Bind::Socket(_))),
            None => (
                SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), settings.port),
                false,
            ),
        };
        let relay = match (&overrides.relay, &settings.relay) {
            (Some(r), _) => Some(r.clone()),
            (None, Some(r)) => Some(parse_relay(r)?),
            (None, None) => None,
        };
        let secret = self.with(|i| Ok(i.keys.keyring.device_secret.clone()))?;
        let paired = self.pairing()?.is_some();
        if paired && let Err(e) = self.publish_identity() {
            // Pairs made before device records existed publish theirs here. Sync does
            // not need them yet, so a failure waits for the next start.
            tracing::warn!("could not publish this device's signed records yet: {e}");
        }
        // A removal of one of my devices that a crash cut short.
        if let Err(e) = self.finish_revocation() {
            tracing::warn!("could not finish removing a device: {e}");
        }
        let peers = self.sync_peers()?;
        let own = self.own_peers()?;
        let mut cfg = NetConfig { mode, bind, relay };
        // A network this process just shut down may hold the port for a moment
        // longer (its socket closes asynchronously): retry briefly before giving up.
        let mut attempt = Node::spawn_allowing_own(&secret, &cfg, peers.clone(), own.clone()).await;
        for _ in 0..20 {
            if attempt.is_ok() || bind.port() == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            attempt = Node::spawn_allowing_own(&secret, &cfg, peers.clone(), own.clone()).await;
        }
        let node = match attempt {
            Ok(node) => node,
            // Another process of this profile (a running `kintsugi sync`, the app)
            // holds the stable port: this one can still dial out from any port.
            Err(e) if !port_given && bind.port() != 0 => {
                tracing::info!(error = %e, "the profile's port is busy; using a temporary one");
                cfg.bind.set_port(0);
                Node::spawn_allowing_own(&secret, &cfg, peers.clone(), own.clone()).await?
            }
            Err(e) => return Err(e.into()),
        };
        if mode == NetworkMode::Anywhere
            && let Err(e) = node.wait_for_relay(RELAY_WAIT).await
        {
            // Sync may still find the partner directly, and the relay may answer
            // later; an invite refuses to go out without one (`create_invite`).
            tracing::warn!("{e}");
        }
        let node = Arc::new(node);
        let (stop, _) = watch::channel(false);
        Ok(Network {
            device: self.clone(),
            node,
            stop,
            serving: std::sync::Mutex::new(None),
        })
    }
}

/// Pairing's words for a "no" name a partner; linking is one person at two screens.
fn link_error(e: NetError) -> DeviceError {
    match e {
        NetError::PartnerDeclined => DeviceError::Link(
            "the other screen did not confirm the codes (they differed, or it stopped). Nothing was saved".into(),
        ),
        NetError::Declined => {
            DeviceError::Link("you did not confirm the codes. Nothing was saved".into())
        }
        other => other.into(),
    }
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
            return Err(DeviceError::AlreadyPaired);
        }
        self.offer(ttl, Purpose::Partner)
    }

    /// An invite for another device of mine ("Add another of my devices"): the same
    /// committed, code-checked handshake as pairing, under its own labels, so it can
    /// never complete as a pairing. Only a paired device that was not removed adds
    /// devices.
    pub fn create_link_invite(&self, ttl: Duration) -> Result<Offer> {
        if self.device.pairing()?.is_none() {
            return Err(DeviceError::NotPaired(
                "pair with your partner first, then add your other devices",
            ));
        }
        if self.device.is_removed()? {
            return Err(DeviceError::Link(
                "this device was removed by another of your devices: it can add none".into(),
            ));
        }
        self.offer(ttl, Purpose::OwnDevice)
    }

    fn offer(&self, ttl: Duration, purpose: Purpose) -> Result<Offer> {
        let expires = (now_ms() / 1000) as u64 + ttl.as_secs();
        if !self.node.relay_connected() {
            return Err(self.node.no_relay(RELAY_WAIT).into());
        }
        let mut addr = self.node.addr();
        if addr.relay_urls().next().is_none()
            && let Some(relay) = self.node.relay_url()
        {
            addr = addr.with_relay_url(relay);
        }
        if addr.ip_addrs().next().is_none() {
            addr = addr.with_addrs(
                self.node
                    .direct_addrs()
                    .into_iter()
                    .map(kintsugi_net::iroh_transport),
            );
        }
        Ok(Offer::with_purpose(&addr, expires, purpose)?)
    }

    fn my_name(&self) -> Result<String> {
        let me = self.device.me()?;
        Ok(self
            .device
            .read_shared(|s, _| s.partner_name(&me))?
            .unwrap_or_default())
    }

    /// Waits for the partner to join with the invite `offer` shows. A front end that
    /// shows the invite uses [`Network::start_hosting`] instead, before showing it.
    pub async fn host(&self, offer: &Offer) -> Result<PendingPairing> {
        self.start_hosting(offer)?.wait().await
    }

    /// Takes joins with `offer` from now on; [`Hosting::wait`] serves them. Call it
    /// before the invite is written, printed or shown: a partner who scans it at
    /// once then finds this device waiting, where before they were told the invite
    /// was already used.
    pub fn start_hosting(&self, offer: &Offer) -> Result<Hosting<'_>> {
        Ok(Hosting(kintsugi_net::pair::start_host(
            &self.node,
            offer,
            &self.my_name()?,
        )?))
    }

    /// Joins the partner who shows `invite`.
    pub async fn join(&self, invite: &Invite) -> Result<PendingPairing> {
        if self.device.pairing()?.is_some() {
            return Err(DeviceError::AlreadyPaired);
        }
        Ok(kintsugi_net::pair::join(&self.node, invite, &self.my_name()?).await?)
    }

    /// Sends this person's verdict on the codes; stores the pairing only if both
    /// people confirmed.
    pub async fn finish_pairing(&self, pending: PendingPairing, matches: bool) -> Result<String> {
        let paired = pending.confirm(matches).await?;
        self.device.store_pairing(&paired)?;
        self.admit_the_couple()?;
        Ok(paired.partner_name)
    }

    /// On the new device: joins my device that shows `invitation` (a link
    /// invite). The name this device gives is its label, as my devices will list it.
    pub async fn join_link(&self, invitation: &Invitation, label: &str) -> Result<PendingPairing> {
        let invitation = invitation.clone().require(Purpose::OwnDevice)?;
        if self.device.pairing()?.is_some() {
            return Err(DeviceError::Link(
                "this profile is already paired: only a new profile can become another device of yours".into(),
            ));
        }
        Ok(kintsugi_net::pair::join_invitation(&self.node, &invitation, label.trim()).await?)
    }

    /// On my existing device, after the person compared the codes: if both screens
    /// said yes, vouches for the new device in the shared journal (written before
    /// anything leaves) and sends it what it needs. Returns the new device's label
    /// and whether it said it stored everything.
    pub async fn finish_link(
        &self,
        pending: PendingPairing,
        matches: bool,
    ) -> Result<(String, bool)> {
        let agreed = pending.confirm_link(matches).await.map_err(link_error)?;
        let label = agreed.name().to_owned();
        let transfer = self.device.vouch_for(*agreed.device().as_bytes(), &label)?;
        let sent = agreed.send(&transfer.encode()?).await?;
        self.admit_the_couple()?;
        Ok((label, sent.done))
    }

    /// On the new device, after the person compared the codes: if both screens said
    /// yes, becomes the person's device with what the existing one sent (one
    /// keyring write), then tells it so. Returns the name of the person linked to.
    pub async fn finish_join_link(&self, pending: PendingPairing, matches: bool) -> Result<String> {
        let received = pending
            .confirm_link_receive(matches)
            .await
            .map_err(link_error)?;
        let transfer = Transfer::decode(&received.transfer)?;
        self.device.adopt(
            &transfer,
            *received.inviter.as_bytes(),
            received.addrs.clone(),
            received.relay.as_ref().map(|r| r.to_string()),
        )?;
        if let Err(e) = received.finish.done().await {
            // Stored already: the existing device lists this one either way.
            tracing::info!("could not tell the other device that linking finished: {e}");
        }
        self.admit_the_couple()?;
        Ok(received.name)
    }

    /// Both gates follow what this device now knows of the couple's devices: after a
    /// pairing or a link, before any journal change has told the running sync.
    fn admit_the_couple(&self) -> Result<()> {
        self.node.set_allowed(self.device.sync_peers()?);
        self.node.set_allowed_own(self.device.own_peers()?);
        Ok(())
    }

    fn replicas(&self) -> kintsugi_net::sync::ReplicaFor {
        let device = self.device.clone();
        Arc::new(move |peer| device.sync_replica_for(peer))
    }

    /// Keeps every device of the couple in sync in the background until
    /// [`Network::shutdown`], one session each. Returns false when there is no
    /// partner to sync with.
    ///
    /// The devices are those the signed records in the shared journal name: when a
    /// change brings a new record (a device added or removed), the gate and the
    /// sessions follow it. The private diary syncs beside it with this person's own
    /// devices only, on its own protocol and gate (`diary_replica.rs`).
    pub fn start_sync(&self) -> Result<bool> {
        let Some(key) = self.device.couple_keys()? else {
            return Ok(false);
        };
        let (peers_tx, peers) = watch::channel(self.device.sync_peers()?);
        let (own_tx, own) = watch::channel(self.device.own_peers()?);
        let follow = {
            let (device, node) = (self.device.clone(), self.node.clone());
            let mut changes = self.device.changes.subscribe();
            let mut stop = self.stop.subscribe();
            async move {
                loop {
                    tokio::select! {
                        changed = changes.changed() => if changed.is_err() { return },
                        _ = stop.changed() => return,
                    }
                    // The diary's gate and sessions follow this person's devices.
                    if let Ok(now) = device.own_peers()
                        && *own_tx.borrow() != now
                    {
                        node.set_allowed_own(now.clone());
                        let _ = own_tx.send(now);
                    }
                    let Ok(now) = device.sync_peers() else {
                        continue;
                    };
                    if *peers_tx.borrow() != now {
                        tracing::info!(devices = now.len(), "the couple's devices changed");
                        node.set_allowed(now.clone());
                        let _ = peers_tx.send(now);
                    }
                }
            }
        };
        let serving = kintsugi_net::sync::serve_all(
            self.node.clone(),
            Protocol::Shared,
            key,
            self.replicas(),
            peers,
            self.stop.subscribe(),
        );
        let diary = self
            .device
            .serve_diary(self.node.clone(), own, self.stop.subscribe());
        let task = tokio::spawn(async move {
            tokio::join!(follow, serving, diary);
        });
        if let Ok(mut s) = self.serving.lock() {
            *s = Some(task);
        }
        Ok(true)
    }

    /// One sync with every device of the couple: exchange until each that answers
    /// holds the same journal, then disconnect. It dials them and takes their calls
    /// at once (see [`kintsugi_net::sync::once`]), so two devices that both start a
    /// one-shot sync meet. The diary syncs with this person's own devices beside it;
    /// how that went is only logged.
    pub async fn sync_once(&self, timeout: Duration) -> Result<SessionEnd> {
        let key = self.device.couple_keys()?.ok_or_else(|| {
            DeviceError::NotPaired("pair with `kintsugi pair invite` or `pair join` first")
        })?;
        let shared = kintsugi_net::sync::once_all(
            self.node.clone(),
            Protocol::Shared,
            key,
            self.replicas(),
            self.device.sync_peers()?,
            self.stop.subscribe(),
            timeout,
        );
        self.device
            .with_diary_once(self.node.clone(), self.stop.subscribe(), timeout, shared)
            .await
            .map_err(|e| match e {
                NetError::Timeout
                | NetError::Unreachable(_)
                | NetError::Closed
                | NetError::Io(_) => {
                    NetError::Unreachable(format!("{e} ({})", self.tried())).into()
                }
                other => other.into(),
            })
    }

    /// Every path to the partner this device knows: its remembered direct
    /// addresses and the relay it named.
    fn partner_addr(&self, partner: kintsugi_net::EndpointId) -> EndpointAddr {
        let state = self.device.peer_state(Some(partner)).unwrap_or_default();
        kintsugi_net::endpoint_addr(partner, state.addrs, self.device.peer_relay(Some(partner)))
    }

    /// For an error that says the partner was not reached: the mode, and each way
    /// that was tried.
    fn tried(&self) -> String {
        let state = self.device.peer_state(None).unwrap_or_default();
        let mut ways = Vec::new();
        if let Some(relay) = self.device.peer_relay(None) {
            ways.push(format!("the relay {relay}"));
        }
        match state.addrs.as_slice() {
            [] => {}
            addrs => ways.push(format!(
                "the remembered address{} {}",
                if addrs.len() == 1 { "" } else { "es" },
                addrs
                    .iter()
                    .map(|a| a.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
        if self.node.mode() == NetworkMode::Local {
            ways.push("mDNS on the local network".into());
        }
        let mut said = format!("{} mode; tried ", self.node.mode());
        match ways.split_last() {
            Some((last, [])) => said.push_str(last),
            Some((last, rest)) => said.push_str(&format!("{} and {last}", rest.join(", "))),
            None => said.push_str("nothing: no address or relay of the partner is remembered"),
        }
        if self.node.mode() == NetworkMode::Anywhere && !self.node.relay_connected() {
            said.push_str("; this device could not reach its relay either");
        }
        said
    }

    /// How the partner's device is reached right now, if it answers (and still
    /// accepts us): a fresh connection, on whichever path iroh chose for it.
    pub async fn probe_partner(&self, timeout: Duration) -> Option<Link> {
        let Ok(Some((partner, _))) = self.device.pairing() else {
            return None;
        };
        let addr = self.partner_addr(partner);
        let conn = tokio::time::timeout(timeout, self.node.connect(addr, kintsugi_net::SYNC_ALPN))
            .await
            .ok()?
            .ok()?;
        let link = Link::of(&conn);
        kintsugi_net::close::close(&conn, kintsugi_net::close::Code::Done);
        link
    }

    /// Whether the partner's device answers right now (and still accepts us).
    pub async fn partner_reachable(&self, timeout: Duration) -> bool {
        self.probe_partner(timeout).await.is_some()
    }

    /// The path of the running sync session to the partner, if there is one: what
    /// the app's top bar shows.
    pub fn partner_link(&self) -> Option<Link> {
        self.node.partner_link()
    }

    /// The path of the running sync session with the device `endpoint` (hex, as
    /// [`crate::DeviceRow`] names it), if there is one: what the Devices section
    /// shows beside each device.
    pub fn path_to(&self, endpoint: &str) -> Option<String> {
        let id: kintsugi_net::EndpointId = endpoint.parse().ok()?;
        self.node.link_to(id).map(|l| describe_link(&l))
    }

    /// Ends the pairing here, and tells the couple's other devices that can be
    /// reached. Returns whether any of them was told.
    pub async fn unpair(&self, delete_shared: bool) -> Result<bool> {
        let Some(key) = self.device.couple_keys()? else {
            return Err(DeviceError::NotPaired(""));
        };
        let _ = self.stop.send(true);
        let mut telling = tokio::task::JoinSet::new();
        for peer in self.device.sync_peers()? {
            let (node, addr, key) = (self.node.clone(), self.partner_addr(peer), key.clone());
            telling.spawn(async move {
                tokio::time::timeout(
                    Duration::from_secs(5),
                    kintsugi_net::sync::send_unpaired(&node, addr, &key),
                )
                .await
                .is_ok_and(|r| r.is_ok())
            });
        }
        let mut told = false;
        while let Some(r) = telling.join_next().await {
            told |= r.unwrap_or(false);
        }
        self.node.set_allowed([]);
        self.node.set_allowed_own([]);
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
