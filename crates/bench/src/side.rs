//! One device as a user runs it: a real profile in a temporary directory, its iroh
//! endpoint on loopback, and the events its front end would see.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use kintsugi_device::{Device, DocKind, Event, NetOverrides, Network, NetworkMode, Options};
use tokio::runtime::Runtime;
use tokio::sync::broadcast::{self, error::RecvError};

/// Every benchmark profile uses this passphrase.
pub const PASSPHRASE: &[u8] = b"kintsugi benchmark passphrase";

/// Argon2id is measured on its own (`unlock_argon2`), so profiles use the cheap
/// setting and every open below measures the rest of the unlock.
pub fn options() -> Options {
    Options::INSECURE_FAST_FOR_TESTS
}

/// Loopback only, no discovery, no relay: exactly what the project's tests use.
pub fn loopback() -> NetOverrides {
    NetOverrides {
        mode: Some(NetworkMode::Direct),
        bind: Some(kintsugi_device::Bind::Socket(([127, 0, 0, 1], 0).into())),
        relay: None,
    }
}

/// Loopback on a given port.
pub fn loopback_at(port: u16) -> NetOverrides {
    NetOverrides {
        bind: Some(kintsugi_device::Bind::Socket(([127, 0, 0, 1], port).into())),
        ..loopback()
    }
}

/// A loopback UDP port nobody uses right now.
pub fn free_port() -> Result<u16> {
    let s = std::net::UdpSocket::bind(("127.0.0.1", 0)).context("finding a free port")?;
    Ok(s.local_addr()?.port())
}

pub struct Side {
    pub name: &'static str,
    pub dir: PathBuf,
    /// The loopback UDP port this side's endpoint binds, every time.
    pub port: u16,
    pub device: Device,
    pub net: Option<Network>,
    events: broadcast::Receiver<Event>,
    /// The latest `SyncProgress` seen: sync-frame bytes received this session.
    pub received_in_session: u64,
    /// Sync-frame bytes received over all sessions seen.
    pub received_total: u64,
    pub online: bool,
    /// Sessions that came up (`PartnerOnline` events) since `sessions` was reset,
    /// and when the first of them did.
    pub sessions: usize,
    pub first_online: Option<Instant>,
}

impl Side {
    pub fn create(root: &Path, name: &'static str) -> Result<Self> {
        let dir = root.join(name.to_lowercase());
        let device = Device::create(&dir, name, PASSPHRASE, options())
            .with_context(|| format!("creating {name}'s profile"))?;
        Self::around(name, dir, device)
    }

    fn around(name: &'static str, dir: PathBuf, device: Device) -> Result<Self> {
        let events = device.subscribe();
        Ok(Self {
            name,
            dir,
            port: free_port()?,
            device,
            net: None,
            events,
            received_in_session: 0,
            received_total: 0,
            online: false,
            sessions: 0,
            first_online: None,
        })
    }

    /// A blank profile that is to become another device of someone's ([`link`]).
    pub fn create_for_link(root: &Path, name: &'static str) -> Result<Self> {
        let dir = root.join(name.to_lowercase().replace(['\'', ' '], "-"));
        let device = Device::create_for_link(&dir, PASSPHRASE, options())
            .with_context(|| format!("creating {name}'s profile"))?;
        Self::around(name, dir, device)
    }

    /// Opens the profile again after it was locked (or written to behind the
    /// device's back), with a fresh event stream.
    pub fn reopen(&mut self) -> Result<()> {
        self.device = Device::unlock(&self.dir, PASSPHRASE, options())
            .with_context(|| format!("opening {}'s profile", self.name))?;
        self.events = self.device.subscribe();
        Ok(())
    }

    /// Always on this side's own port: there is no discovery on loopback, so the
    /// partner finds this device (or an app window opened later on its profile) only
    /// where it was last seen.
    pub fn start_network(&mut self, rt: &Runtime) -> Result<()> {
        let net = rt
            .block_on(self.device.start_network(&loopback_at(self.port)))
            .with_context(|| format!("starting {}'s network", self.name))?;
        self.net = Some(net);
        Ok(())
    }

    pub fn net(&self) -> Result<&Network> {
        self.net
            .as_ref()
            .with_context(|| format!("{}'s network is not running", self.name))
    }

    /// Starts the background sync task, as the app does when it opens.
    pub fn start_sync(&self, rt: &Runtime) -> Result<()> {
        let _guard = rt.enter();
        if !self.net()?.start_sync()? {
            bail!("{} is not paired", self.name);
        }
        Ok(())
    }

    pub fn stop_network(&mut self, rt: &Runtime) {
        if let Some(net) = self.net.take() {
            rt.block_on(net.shutdown());
        }
        self.online = false;
    }

    /// UDP payload bytes this device's endpoint has sent, all connections included
    /// (QUIC handshakes, acknowledgements, keep-alives): what crosses the wire.
    pub fn udp_sent(&self) -> u64 {
        self.net.as_ref().map_or(0, |n| {
            let m = &n.node().endpoint().metrics().socket;
            m.send_ipv4.get() + m.send_ipv6.get()
        })
    }

    /// UDP payload bytes and datagrams this device's endpoint has received.
    pub fn udp_received(&self) -> (u64, u64) {
        self.net.as_ref().map_or((0, 0), |n| {
            let m = &n.node().endpoint().metrics().socket;
            (
                m.recv_data_ipv4.get() + m.recv_data_ipv6.get(),
                m.recv_datagrams.get(),
            )
        })
    }

    /// Forgets events seen so far, so a wait only sees what happens after it.
    pub fn reset_events(&mut self) {
        loop {
            match self.events.try_recv() {
                Ok(ev) => self.note(&ev),
                Err(broadcast::error::TryRecvError::Lagged(_)) => {}
                Err(_) => break,
            }
        }
    }

    fn note(&mut self, ev: &Event) {
        match ev {
            Event::SyncProgress { bytes } => {
                self.received_total += bytes.saturating_sub(self.received_in_session);
                self.received_in_session = *bytes;
            }
            Event::PartnerOnline => {
                self.online = true;
                self.received_in_session = 0;
                self.sessions += 1;
                self.first_online.get_or_insert_with(Instant::now);
            }
            Event::PartnerOffline => self.online = false,
            _ => {}
        }
    }

    /// The next event, or `None` at the deadline. A lagged receiver reports a
    /// `Changed` so callers re-check whatever they wait for.
    pub fn next_event(&mut self, rt: &Runtime, deadline: Instant) -> Option<Event> {
        let left = deadline.checked_duration_since(Instant::now())?;
        let events = &mut self.events;
        let got = rt.block_on(async { tokio::time::timeout(left, events.recv()).await });
        match got {
            Ok(Ok(ev)) => {
                self.note(&ev);
                Some(ev)
            }
            Ok(Err(RecvError::Lagged(_))) => Some(Event::Changed {
                doc: DocKind::Shared,
                local: false,
            }),
            Ok(Err(RecvError::Closed)) | Err(_) => None,
        }
    }

    /// Waits until `ready` holds, checking after every change of the shared journal
    /// that came from the partner. Returns the moment it was seen to hold.
    pub fn wait_until(
        &mut self,
        rt: &Runtime,
        timeout: Duration,
        what: &str,
        mut ready: impl FnMut(&Device) -> bool,
    ) -> Result<Instant> {
        let deadline = Instant::now() + timeout;
        if ready(&self.device) {
            return Ok(Instant::now());
        }
        loop {
            match self.next_event(rt, deadline) {
                Some(Event::Changed { local: false, .. }) => {
                    if ready(&self.device) {
                        return Ok(Instant::now());
                    }
                }
                Some(_) => {}
                None => {
                    if ready(&self.device) {
                        return Ok(Instant::now());
                    }
                    bail!(
                        "{} timed out after {timeout:?} waiting for {what}",
                        self.name
                    )
                }
            }
        }
    }

    /// Drains pending events without waiting.
    pub fn drain(&mut self) {
        self.reset_events();
    }
}

/// Pairs `a` (inviter) and `b` (joiner) exactly as two people would, both confirming
/// the short authentication string.
pub fn pair(rt: &Runtime, a: &Side, b: &Side) -> Result<()> {
    let (na, nb) = (a.net()?, b.net()?);
    rt.block_on(async {
        let invite = na.create_invite(Duration::from_secs(120))?;
        let (host, join) = tokio::join!(na.host(&invite), nb.join(&invite));
        let (host, join) = (host?, join?);
        if host.sas() != join.sas() {
            bail!("the two devices show different codes");
        }
        let (x, y) = tokio::join!(na.finish_pairing(host, true), nb.finish_pairing(join, true));
        x?;
        y?;
        Ok(())
    })
    .context("pairing the two devices")
}

/// Links `new` (blank) to `existing` as another device of the same person, exactly
/// as a person does: a link invite, both screens' codes confirmed. Returns when
/// both sides have stored the link.
pub fn link(rt: &Runtime, existing: &Side, new: &Side) -> Result<()> {
    let (ne, nn) = (existing.net()?, new.net()?);
    rt.block_on(async {
        let offer = ne.create_link_invite(Duration::from_secs(120))?;
        let invitation = offer.invitation();
        let (host, join) = tokio::join!(ne.host(&offer), nn.join_link(&invitation, new.name));
        let (host, join) = (host?, join?);
        if host.sas() != join.sas() {
            bail!("the two devices show different codes");
        }
        let (x, y) = tokio::join!(ne.finish_link(host, true), nn.finish_join_link(join, true));
        x?;
        y?;
        Ok(())
    })
    .with_context(|| format!("linking {} to {}", new.name, existing.name))
}

/// Waits until neither device has sent a byte for `quiet`, then returns the total
/// UDP bytes both have sent. Keeps both event queues drained meanwhile.
pub fn settle(a: &mut Side, b: &mut Side, quiet: Duration) -> Result<u64> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = a.udp_sent() + b.udp_sent();
    let mut since = Instant::now();
    loop {
        std::thread::sleep(Duration::from_millis(10));
        a.drain();
        b.drain();
        let now = a.udp_sent() + b.udp_sent();
        if now != last {
            last = now;
            since = Instant::now();
        } else if since.elapsed() >= quiet {
            return Ok(now);
        }
        if Instant::now() > deadline {
            bail!("the two devices never stopped sending");
        }
    }
}
