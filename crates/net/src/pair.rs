//! The pairing protocol, `kintsugi/pair/2`.
//!
//! ```text
//! invite             … | secret | c = SHA-256("kintsugi/pair/2 commitment" | I) | …
//! joiner → inviter   JoinRequest: version=2 | J | HMAC(secret, "joiner" | th0 | J)
//! inviter → joiner   Reply: 0 | I | HMAC(secret, "inviter" | th0 | J | I)
//!                    (1 = expired, 2 = refused, 3 = already used; then it closes)
//! joiner             refuses I unless SHA-256(label | I) = c, before deriving anything
//! both               couple key, SAS = HKDF(salt = secret, X25519(J, I), label | th)
//! joiner ⇄ inviter   sealed Hello: name, current addresses, relay
//! joiner ⇄ inviter   sealed Decision (after each person compared the SAS)
//! ```
//! `th0` commits to the whole invite (commitment included) and both endpoint ids as
//! proven by QUIC's TLS, so a MAC cannot be replayed to or from another device. Only
//! someone who holds the invite secret can produce the joiner's MAC, and the inviter
//! burns the invite on the first valid one. The SAS catches the person in the middle
//! who photographed the code: their keys differ, so the two screens show different
//! digits.
//!
//! The commitment closes the other way in: someone who *swaps* the invite on its way
//! (a messenger, an email) makes their own invite, so they know its secret and can
//! answer the joiner. Without a commitment they could read J first and then try keys
//! I until the six digits equal those of their own session with the real inviter
//! (about a million tries: seconds of work). With it, I is fixed before J exists, so
//! each of their sessions is one guess in a million, and it burns an invite.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use iroh::endpoint::{Connection, RecvStream, SendStream};
use iroh::{EndpointAddr, EndpointId, RelayUrl};
use kintsugi_crypto::{
    EphemeralKeypair, PairingKeys, Secret32, derive_key, hmac_sha256, pairing_keys, sha256,
    verify_hmac_sha256,
};

use crate::close;
use crate::frame::{FrameReader, FrameWriter};
use crate::secure::{Direction, Opener, Sealer};
use crate::wire::{Reader, put_addrs, put_relay, put_short_bytes};
use crate::{Invite, NetError, Node, PAIR_ALPN};

/// The pairing version, the same as the invite's ([`crate::invite::VERSION`]).
pub const VERSION: u8 = crate::invite::VERSION;
/// Pairing messages are tiny; anything bigger is hostile.
const MAX_PAIR_FRAME: usize = 4096;
pub const LABEL: &[u8] = b"kintsugi/pair/2";
const COMMITMENT_LABEL: &[u8] = b"kintsugi/pair/2 commitment";
/// How long one side waits for the other person to compare the codes.
pub const DECISION_TIMEOUT: Duration = Duration::from_secs(600);
const STEP_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a joiner may take to open its stream and send its first message. An
/// honest joiner sends it at once; a silent connection must not hold the invite.
pub const FIRST_MESSAGE_TIMEOUT: Duration = Duration::from_secs(4);
/// Attempts served at once; more are told "busy" (a distinct close code), so that
/// someone opening silent connections cannot make the invite look used.
pub const MAX_ATTEMPTS: usize = 32;

/// The commitment to the inviter's ephemeral key that the invite carries.
pub fn commitment(inviter_key: &[u8; 32]) -> [u8; 32] {
    sha256(&[COMMITMENT_LABEL, inviter_key])
}

/// An invite together with the ephemeral key it commits to: what the inviting device
/// keeps while the invite is shown. The key is used once, by the first attempt that
/// proves it holds the invite secret, and is gone after that.
pub struct Offer {
    invite: Invite,
    key: Arc<Mutex<Option<EphemeralKeypair>>>,
}

impl Offer {
    pub fn new(addr: &EndpointAddr, expires: u64) -> Result<Self, NetError> {
        let key = EphemeralKeypair::generate();
        let invite = Invite::new(addr, expires, commitment(&key.public()))?;
        Ok(Self {
            invite,
            key: Arc::new(Mutex::new(Some(key))),
        })
    }

    pub fn invite(&self) -> &Invite {
        &self.invite
    }

    /// Whether the key was already given to an attempt (the invite is burned).
    pub fn is_used(&self) -> bool {
        self.key.lock().map(|k| k.is_none()).unwrap_or(true)
    }
}

impl std::ops::Deref for Offer {
    type Target = Invite;
    fn deref(&self) -> &Invite {
        &self.invite
    }
}

impl std::fmt::Debug for Offer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Offer")
            .field("invite", &self.invite)
            .finish_non_exhaustive()
    }
}

// ---- Messages ---------------------------------------------------------------------

/// joiner → inviter, the first message: `version | J | MAC`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinRequest {
    pub joiner_key: [u8; 32],
    pub mac: [u8; 32],
}

impl JoinRequest {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(65);
        out.push(VERSION);
        out.extend_from_slice(&self.joiner_key);
        out.extend_from_slice(&self.mac);
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, NetError> {
        let mut r = Reader::new(bytes);
        match r.u8() {
            Some(VERSION) => {}
            Some(v) if v < 2 => return Err(NetError::OldInvite),
            Some(v) if v < VERSION => return Err(NetError::OutdatedInvite),
            _ => return Err(NetError::Protocol("unknown pairing version".into())),
        }
        let bad = || NetError::Protocol("bad join request".into());
        let joiner_key = r.array().ok_or_else(bad)?;
        let mac = r.array().ok_or_else(bad)?;
        if !r.is_empty() {
            return Err(bad());
        }
        Ok(Self { joiner_key, mac })
    }
}

/// inviter → joiner, the answer to a [`JoinRequest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Accepted {
        inviter_key: [u8; 32],
        mac: [u8; 32],
    },
    Expired,
    Refused,
    AlreadyUsed,
}

impl Reply {
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Reply::Accepted { inviter_key, mac } => {
                let mut out = Vec::with_capacity(65);
                out.push(0);
                out.extend_from_slice(inviter_key);
                out.extend_from_slice(mac);
                out
            }
            Reply::Expired => vec![1],
            Reply::Refused => vec![2],
            Reply::AlreadyUsed => vec![3],
        }
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, NetError> {
        let mut r = Reader::new(bytes);
        let bad = || NetError::Protocol("bad reply".into());
        let reply = match r.u8() {
            Some(0) => Reply::Accepted {
                inviter_key: r.array().ok_or_else(bad)?,
                mac: r.array().ok_or_else(bad)?,
            },
            Some(1) => Reply::Expired,
            Some(2) => Reply::Refused,
            Some(3) => Reply::AlreadyUsed,
            _ => return Err(bad()),
        };
        if !r.is_empty() {
            return Err(bad());
        }
        Ok(reply)
    }
}

/// Both ways, sealed: who is pairing and where they can be reached, directly or
/// through a relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hello {
    pub name: String,
    pub addrs: Vec<SocketAddr>,
    pub relay: Option<RelayUrl>,
}

impl Hello {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        // A name longer than the length byte allows is cut at a character boundary.
        let mut end = self.name.len().min(255);
        while !self.name.is_char_boundary(end) {
            end -= 1;
        }
        put_short_bytes(&mut out, &self.name.as_bytes()[..end]);
        put_addrs(&mut out, &self.addrs);
        put_relay(&mut out, self.relay.as_ref());
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, NetError> {
        let mut r = Reader::new(bytes);
        let bad = || NetError::Protocol("bad hello".into());
        let name = String::from_utf8_lossy(r.short_bytes().ok_or_else(bad)?).into_owned();
        let addrs = r.addrs().ok_or_else(bad)?;
        let relay = r.relay().ok_or_else(bad)?;
        if !r.is_empty() {
            return Err(bad());
        }
        Ok(Self { name, addrs, relay })
    }
}

/// Both ways, sealed: whether this person said the codes match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision(pub bool);

impl Decision {
    pub fn encode(self) -> Vec<u8> {
        vec![u8::from(self.0)]
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, NetError> {
        match bytes {
            [1] => Ok(Decision(true)),
            [0] => Ok(Decision(false)),
            _ => Err(NetError::Protocol("bad decision message".into())),
        }
    }
}

// ---- The transcript ---------------------------------------------------------------

/// `th0` binds the invite (with its commitment) and both endpoint ids.
pub fn th0(invite: &Invite, inviter: &EndpointId, joiner: &EndpointId) -> [u8; 32] {
    sha256(&[
        LABEL,
        &invite.to_bytes(),
        inviter.as_bytes(),
        joiner.as_bytes(),
    ])
}

pub fn joiner_mac(secret: &Secret32, th0: &[u8; 32], j: &[u8; 32]) -> [u8; 32] {
    hmac_sha256(secret.expose(), &[b"joiner", th0, j])
}

pub fn inviter_mac(secret: &Secret32, th0: &[u8; 32], j: &[u8; 32], i: &[u8; 32]) -> [u8; 32] {
    hmac_sha256(secret.expose(), &[b"inviter", th0, j, i])
}

/// The transcript hash both sides derive the couple key and the SAS from.
pub fn transcript_hash(th0: &[u8; 32], j: &[u8; 32], i: &[u8; 32]) -> [u8; 32] {
    sha256(&[th0, j, i])
}

/// What both sides derive once the keys are exchanged: the couple key and the SAS.
pub fn derive(secret: &Secret32, shared: &Secret32, th: &[u8; 32]) -> PairingKeys {
    pairing_keys(secret, shared, th)
}

// ---- The pending pairing ----------------------------------------------------------

/// What a successful pairing leaves with each device.
#[derive(Debug)]
pub struct Paired {
    pub couple_key: Secret32,
    pub partner: EndpointId,
    pub partner_name: String,
    pub partner_addrs: Vec<SocketAddr>,
    pub partner_relay: Option<RelayUrl>,
}

/// Keys agreed, codes ready to compare; nothing stored yet.
pub struct PendingPairing {
    conn: Connection,
    reader: FrameReader<RecvStream>,
    writer: FrameWriter<SendStream>,
    sealer: Sealer,
    opener: Opener,
    keys: PairingKeys,
    partner: EndpointId,
    partner_name: String,
    partner_addrs: Vec<SocketAddr>,
    partner_relay: Option<RelayUrl>,
}

impl std::fmt::Debug for PendingPairing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingPairing")
            .field("partner", &self.partner.fmt_short().to_string())
            .finish_non_exhaustive()
    }
}

impl PendingPairing {
    /// The short authentication string both screens show.
    pub fn sas(&self) -> &str {
        &self.keys.sas
    }

    pub fn partner_name(&self) -> &str {
        &self.partner_name
    }

    pub fn partner(&self) -> EndpointId {
        self.partner
    }

    /// Sends this person's decision and waits for the other's. Pairing completes only
    /// if both said the codes match; otherwise nothing is returned to store.
    pub async fn confirm(mut self, matches: bool) -> Result<Paired, NetError> {
        let sealed = self.sealer.seal(&Decision(matches).encode())?;
        self.writer.write(&sealed).await?;
        if !matches {
            let _ = self.writer.get_mut().finish();
            tokio::time::sleep(Duration::from_millis(100)).await;
            close::close(&self.conn, close::Code::Done);
            return Err(NetError::Declined);
        }
        let frame = tokio::time::timeout(DECISION_TIMEOUT, self.reader.read())
            .await
            .map_err(|_| NetError::Timeout)?
            .map_err(|e| match e {
                NetError::Closed | NetError::Io(_) => NetError::Interrupted,
                other => other,
            })?
            .ok_or(NetError::Interrupted)?;
        let theirs = Decision::decode(&self.opener.open(&frame)?);
        let result = match theirs {
            Ok(Decision(true)) => Ok(Paired {
                couple_key: self.keys.couple_key.clone(),
                partner: self.partner,
                partner_name: self.partner_name.clone(),
                partner_addrs: self.partner_addrs.clone(),
                partner_relay: self.partner_relay.clone(),
            }),
            Ok(Decision(false)) => Err(NetError::PartnerDeclined),
            Err(e) => Err(e),
        };
        let _ = self.writer.get_mut().finish();
        // Give the last frame a moment to leave before closing.
        tokio::time::sleep(Duration::from_millis(50)).await;
        close::close(&self.conn, close::Code::Done);
        result
    }
}

/// Both sides' sealed channel for the rest of the pairing, keyed from the new couple
/// key so that names and addresses never travel in the clear.
pub fn channel(keys: &PairingKeys, th: &[u8; 32], joiner: bool) -> (Sealer, Opener) {
    let j2i = derive_key(Some(th), keys.couple_key.expose(), &[LABEL, b" j2i"]);
    let i2j = derive_key(Some(th), keys.couple_key.expose(), &[LABEL, b" i2j"]);
    if joiner {
        (
            Sealer::new(j2i, Direction::DialerToAcceptor, LABEL),
            Opener::new(i2j, Direction::AcceptorToDialer, LABEL),
        )
    } else {
        (
            Sealer::new(i2j, Direction::AcceptorToDialer, LABEL),
            Opener::new(j2i, Direction::DialerToAcceptor, LABEL),
        )
    }
}

async fn within<T>(
    limit: Duration,
    f: impl std::future::Future<Output = Result<T, NetError>>,
) -> Result<T, NetError> {
    tokio::time::timeout(limit, f)
        .await
        .map_err(|_| NetError::Timeout)?
}

async fn step<T>(f: impl std::future::Future<Output = Result<T, NetError>>) -> Result<T, NetError> {
    within(STEP_TIMEOUT, f).await
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

// ---- The joiner -------------------------------------------------------------------

/// Joins the device that shows `invite`.
pub async fn join(node: &Node, invite: &Invite, my_name: &str) -> Result<PendingPairing, NetError> {
    if invite.is_expired(now_secs()) {
        return Err(NetError::InviteExpired);
    }
    if invite.endpoint == node.id() {
        return Err(NetError::Protocol(
            "this is this device's own invite".into(),
        ));
    }
    let conn = step(node.connect(invite.endpoint_addr(), PAIR_ALPN))
        .await
        .map_err(|e| match e {
            NetError::Timeout => NetError::Unreachable(
                "no answer; is your partner's device still showing the invite?".into(),
            ),
            other => other,
        })?;
    let result = join_on(node, &conn, invite, my_name)
        .await
        .map_err(|e| refine_close(&conn, e));
    if let Err(e) = &result {
        tracing::info!(error = %e, "joining failed");
        close::close(&conn, close::Code::JoinFailed);
    }
    result
}

/// Turns "the connection closed" into what the inviter meant by closing.
fn refine_close(conn: &Connection, e: NetError) -> NetError {
    if !matches!(e, NetError::Closed | NetError::Io(_)) {
        return e;
    }
    match close::code_of(conn) {
        Some(close::Code::NoInvite) => NetError::InviteUsed,
        Some(close::Code::Busy) => NetError::InviteBusy,
        _ => e,
    }
}

async fn join_on(
    node: &Node,
    conn: &Connection,
    invite: &Invite,
    my_name: &str,
) -> Result<PendingPairing, NetError> {
    let (send, recv) = step(async {
        conn.open_bi()
            .await
            .map_err(|e| NetError::Io(e.to_string()))
    })
    .await?;
    let mut writer = FrameWriter::new(send, MAX_PAIR_FRAME);
    let mut reader = FrameReader::new(recv, MAX_PAIR_FRAME);
    let th0 = th0(invite, &invite.endpoint, &node.id());
    let eph = EphemeralKeypair::generate();
    let j = eph.public();
    let request = JoinRequest {
        joiner_key: j,
        mac: joiner_mac(&invite.secret, &th0, &j),
    };
    step(writer.write(&request.encode())).await?;

    let reply = step(reader.read()).await?.ok_or(NetError::Closed)?;
    let (i, mac) = match Reply::decode(&reply)? {
        Reply::Accepted { inviter_key, mac } => (inviter_key, mac),
        Reply::Expired => return Err(NetError::InviteExpired),
        Reply::Refused => return Err(NetError::InviteRejected),
        Reply::AlreadyUsed => return Err(NetError::InviteUsed),
    };
    verify_hmac_sha256(invite.secret.expose(), &[b"inviter", &th0, &j, &i], &mac).map_err(
        |_| NetError::Protocol("the inviter could not prove it holds the invite".into()),
    )?;
    // The key must be the one the invite promised before anything is derived from it:
    // otherwise whoever made the invite could have picked it after reading J.
    if commitment(&i) != invite.commitment {
        return Err(NetError::WrongInviterKey);
    }
    let shared = eph.agree(&i)?;
    let th = transcript_hash(&th0, &j, &i);
    let keys = derive(&invite.secret, &shared, &th);
    let (mut sealer, mut opener) = channel(&keys, &th, true);

    let mine = Hello {
        name: my_name.to_string(),
        addrs: node.direct_addrs(),
        relay: node.relay_url(),
    };
    step(writer.write(&sealer.seal(&mine.encode())?)).await?;
    let theirs = step(reader.read()).await?.ok_or(NetError::Closed)?;
    let theirs = Hello::decode(&opener.open(&theirs)?)?;
    Ok(PendingPairing {
        conn: conn.clone(),
        reader,
        writer,
        sealer,
        opener,
        keys,
        partner: invite.endpoint,
        partner_name: theirs.name,
        partner_addrs: theirs.addrs,
        // The relay that carried the invite reaches the inviter too.
        partner_relay: theirs.relay.or_else(|| invite.relay.clone()),
    })
}

// ---- The inviter ------------------------------------------------------------------

/// What one attempt needs, owned, so that attempts run side by side.
#[derive(Clone)]
struct HostContext {
    invite: Invite,
    key: Arc<Mutex<Option<EphemeralKeypair>>>,
    me: EndpointId,
    my_addrs: Vec<SocketAddr>,
    my_relay: Option<RelayUrl>,
    my_name: String,
    hosting: Arc<AtomicBool>,
}

/// Waits for the partner to join with `offer`, until it expires: [`start_host`], then
/// [`Hosting::wait`]. Attempts are served side by side, each with a few seconds for
/// its first message; attempts that do not prove knowledge of the secret are turned
/// away and waiting goes on; the first valid one burns the invite.
pub async fn host(node: &Node, offer: &Offer, my_name: &str) -> Result<PendingPairing, NetError> {
    start_host(node, offer, my_name)?.wait().await
}

/// An invite this device takes joins for, from the moment [`start_host`] returned
/// until the [`Hosting`] is dropped or [`Hosting::wait`] ends.
pub struct Hosting<'a> {
    node: &'a Node,
    ctx: HostContext,
    deadline: tokio::time::Instant,
    _off: HostingGuard<'a>,
}

/// Opens the door for joins with `offer`, at once and without waiting: call it before
/// the invite is shown (written to a file, printed, put on screen), so that a partner
/// who reads it the moment it appears finds the door open. Joins that arrive before
/// [`Hosting::wait`] runs wait in the node's queue and are served then; before, the
/// door opened only once waiting began, and a quick joiner was told the invite was
/// "already used".
pub fn start_host<'a>(
    node: &'a Node,
    offer: &Offer,
    my_name: &str,
) -> Result<Hosting<'a>, NetError> {
    if offer.is_used() {
        return Err(NetError::InviteUsed);
    }
    let ctx = HostContext {
        invite: offer.invite.clone(),
        key: offer.key.clone(),
        me: node.id(),
        my_addrs: node.direct_addrs(),
        my_relay: node.relay_url().or_else(|| offer.invite.relay.clone()),
        my_name: my_name.to_string(),
        hosting: node.hosting_flag(),
    };
    node.set_hosting(true);
    let remaining = offer.expires.saturating_sub(now_secs());
    Ok(Hosting {
        node,
        ctx,
        deadline: tokio::time::Instant::now() + Duration::from_secs(remaining),
        _off: HostingGuard(node),
    })
}

impl Hosting<'_> {
    /// Serves the joins until one completes or the invite expires.
    pub async fn wait(self) -> Result<PendingPairing, NetError> {
        let Hosting {
            node,
            ctx,
            deadline,
            _off,
        } = self;
        let mut attempts = tokio::task::JoinSet::new();
        loop {
            tokio::select! {
                c = node.next_pair_connection() => {
                    let conn = c.ok_or(NetError::Closed)?;
                    if attempts.len() >= MAX_ATTEMPTS {
                        tracing::info!(remote = %conn.remote_id().fmt_short(), "too many pairing attempts at once; told this one to try again");
                        close::close(&conn, close::Code::Busy);
                        continue;
                    }
                    let ctx = ctx.clone();
                    attempts.spawn(async move {
                        let result = host_on(&ctx, &conn).await;
                        if let Err(e) = &result {
                            tracing::info!(remote = %conn.remote_id().fmt_short(), error = %e, "turned away a pairing attempt");
                            let code = if matches!(e, NetError::InviteUsed) { close::Code::NoInvite } else { close::Code::Refused };
                            close::close(&conn, code);
                        }
                        result
                    });
                }
                Some(done) = attempts.join_next(), if !attempts.is_empty() => {
                    match done {
                        Ok(Ok(pending)) => return Ok(pending),
                        Ok(Err(_)) => {}
                        Err(e) => tracing::warn!(error = %e, "a pairing attempt's task failed"),
                    }
                    if ctx.key.lock().map(|k| k.is_none()).unwrap_or(true) && attempts.is_empty() {
                        // The invite was burned by an attempt that then failed: it cannot
                        // be used again, so waiting on would only leave the person hoping.
                        return Err(NetError::InviteSpoiled);
                    }
                }
                _ = tokio::time::sleep_until(deadline) => return Err(NetError::NoOneJoined),
            }
        }
    }
}

struct HostingGuard<'a>(&'a Node);

impl Drop for HostingGuard<'_> {
    fn drop(&mut self) {
        self.0.set_hosting(false);
    }
}

async fn host_on(ctx: &HostContext, conn: &Connection) -> Result<PendingPairing, NetError> {
    // Opening the stream and the first message share one short deadline.
    let (mut reader, mut writer, request) = within(FIRST_MESSAGE_TIMEOUT, async {
        let (send, recv) = conn
            .accept_bi()
            .await
            .map_err(|e| NetError::Io(e.to_string()))?;
        let writer = FrameWriter::new(send, MAX_PAIR_FRAME);
        let mut reader = FrameReader::new(recv, MAX_PAIR_FRAME);
        let m1 = reader.read().await?.ok_or(NetError::Closed)?;
        Ok((reader, writer, m1))
    })
    .await?;
    let request = JoinRequest::decode(&request)?;
    let joiner = conn.remote_id();
    let j = request.joiner_key;
    if ctx.invite.is_expired(now_secs()) {
        let _ = writer.write(&Reply::Expired.encode()).await;
        return Err(NetError::InviteExpired);
    }
    let th0 = th0(&ctx.invite, &ctx.me, &joiner);
    if verify_hmac_sha256(
        ctx.invite.secret.expose(),
        &[b"joiner", &th0, &j],
        &request.mac,
    )
    .is_err()
    {
        let _ = writer.write(&Reply::Refused.encode()).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        return Err(NetError::InviteRejected);
    }
    // Burned: the committed key goes to this attempt alone, and from here on no
    // other connection is taken for this invite.
    let taken = ctx.key.lock().ok().and_then(|mut k| k.take());
    ctx.hosting.store(false, Ordering::SeqCst);
    let Some(eph) = taken else {
        let _ = writer.write(&Reply::AlreadyUsed.encode()).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        return Err(NetError::InviteUsed);
    };
    let i = eph.public();
    let shared = eph.agree(&j)?;
    let reply = Reply::Accepted {
        inviter_key: i,
        mac: inviter_mac(&ctx.invite.secret, &th0, &j, &i),
    };
    step(writer.write(&reply.encode())).await?;
    let th = transcript_hash(&th0, &j, &i);
    let keys = derive(&ctx.invite.secret, &shared, &th);
    let (mut sealer, mut opener) = channel(&keys, &th, false);
    let theirs = step(reader.read()).await?.ok_or(NetError::Closed)?;
    let theirs = Hello::decode(&opener.open(&theirs)?)?;
    let mine = Hello {
        name: ctx.my_name.clone(),
        addrs: ctx.my_addrs.clone(),
        relay: ctx.my_relay.clone(),
    };
    step(writer.write(&sealer.seal(&mine.encode())?)).await?;
    Ok(PendingPairing {
        conn: conn.clone(),
        reader,
        writer,
        sealer,
        opener,
        keys,
        partner: joiner,
        partner_name: theirs.name,
        partner_addrs: theirs.addrs,
        partner_relay: theirs.relay,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_and_refuse_garbage() {
        let req = JoinRequest {
            joiner_key: [1; 32],
            mac: [2; 32],
        };
        assert_eq!(JoinRequest::decode(&req.encode()).unwrap(), req);
        let mut v1 = req.encode();
        v1[0] = 1;
        assert!(matches!(JoinRequest::decode(&v1), Err(NetError::OldInvite)));
        v1[0] = 2;
        assert!(matches!(
            JoinRequest::decode(&v1),
            Err(NetError::OutdatedInvite)
        ));
        assert!(JoinRequest::decode(&req.encode()[..64]).is_err());
        let mut long = req.encode();
        long.push(0);
        assert!(JoinRequest::decode(&long).is_err());
        for reply in [
            Reply::Accepted {
                inviter_key: [3; 32],
                mac: [4; 32],
            },
            Reply::Expired,
            Reply::Refused,
            Reply::AlreadyUsed,
        ] {
            assert_eq!(Reply::decode(&reply.encode()).unwrap(), reply);
        }
        assert!(Reply::decode(&[9]).is_err());
        assert!(Reply::decode(&[]).is_err());
        let hello = Hello {
            name: "Ari".into(),
            addrs: vec!["127.0.0.1:5".parse().unwrap()],
            relay: None,
        };
        assert_eq!(Hello::decode(&hello.encode()).unwrap(), hello);
        let with_relay = Hello {
            relay: Some("https://relay.example.org./".parse().unwrap()),
            ..hello
        };
        assert_eq!(Hello::decode(&with_relay.encode()).unwrap(), with_relay);
        let long_name = Hello {
            name: "é".repeat(200),
            addrs: vec![],
            relay: None,
        };
        assert_eq!(Hello::decode(&long_name.encode()).unwrap().name.len(), 254);
        assert_eq!(Decision::decode(&[1]).unwrap(), Decision(true));
        assert!(Decision::decode(&[2]).is_err());
    }

    #[test]
    fn the_commitment_binds_the_key() {
        let a = EphemeralKeypair::generate().public();
        let b = EphemeralKeypair::generate().public();
        assert_eq!(commitment(&a), commitment(&a));
        assert_ne!(commitment(&a), commitment(&b));
    }
}
