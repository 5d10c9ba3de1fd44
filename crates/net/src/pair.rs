//! The pairing protocol, `kintsugi/pair/1`.
//!
//! ```text
//! joiner → inviter   version=1 | joiner X25519 public | HMAC(secret, "joiner"  | th0 | J)
//! inviter → joiner   status=0  | inviter X25519 public | HMAC(secret, "inviter" | th0 | J | I)
//!                    (status 1 = expired, 2 = refused; then the inviter closes)
//! both               couple key, SAS = HKDF(salt = secret, X25519(J, I), label | th)
//! joiner ⇄ inviter   sealed: name, current addresses
//! joiner ⇄ inviter   sealed: decision (after each person compared the SAS)
//! ```
//! `th0` commits to the whole invite and both endpoint ids as proven by QUIC's TLS, so
//! a MAC cannot be replayed to or from another device. Only someone who holds the
//! invite secret can produce the joiner's MAC, and the inviter burns the invite on the
//! first valid one. The SAS catches the remaining case, a person in the middle who
//! photographed the code: their keys differ, so the two screens show different digits.

use std::net::SocketAddr;
use std::time::Duration;

use iroh::EndpointId;
use iroh::endpoint::{Connection, RecvStream, SendStream};
use kintsugi_crypto::{
    EphemeralKeypair, PairingKeys, Secret32, derive_key, hmac_sha256, pairing_keys, sha256,
    verify_hmac_sha256,
};

use crate::frame::{FrameReader, FrameWriter};
use crate::secure::{Direction, Opener, Sealer};
use crate::wire::{Reader, put_addrs, put_short_bytes};
use crate::{Invite, NetError, Node, PAIR_ALPN};

const VERSION: u8 = 1;
/// Pairing messages are tiny; anything bigger is hostile.
const MAX_PAIR_FRAME: usize = 4096;
const LABEL: &[u8] = b"kintsugi/pair/1";
/// How long one side waits for the other person to compare the codes.
pub const DECISION_TIMEOUT: Duration = Duration::from_secs(600);
const STEP_TIMEOUT: Duration = Duration::from_secs(20);

/// What a successful pairing leaves with each device.
#[derive(Debug)]
pub struct Paired {
    pub couple_key: Secret32,
    pub partner: EndpointId,
    pub partner_name: String,
    pub partner_addrs: Vec<SocketAddr>,
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
        let sealed = self.sealer.seal(&[u8::from(matches)])?;
        self.writer.write(&sealed).await?;
        if !matches {
            let _ = self.writer.get_mut().finish();
            tokio::time::sleep(Duration::from_millis(100)).await;
            self.conn.close(0u32.into(), b"declined");
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
        let theirs = self.opener.open(&frame)?;
        let result = match theirs.as_slice() {
            [1] => Ok(Paired {
                couple_key: self.keys.couple_key.clone(),
                partner: self.partner,
                partner_name: self.partner_name.clone(),
                partner_addrs: self.partner_addrs.clone(),
            }),
            [0] => Err(NetError::PartnerDeclined),
            _ => Err(NetError::Protocol("bad decision message".into())),
        };
        let _ = self.writer.get_mut().finish();
        // Give the last frame a moment to leave before closing.
        tokio::time::sleep(Duration::from_millis(50)).await;
        self.conn.close(0u32.into(), b"done");
        result
    }
}

fn th0(invite: &Invite, inviter: &EndpointId, joiner: &EndpointId) -> [u8; 32] {
    sha256(&[
        LABEL,
        &invite.to_bytes(),
        inviter.as_bytes(),
        joiner.as_bytes(),
    ])
}

fn hello(name: &str, addrs: &[SocketAddr]) -> Vec<u8> {
    let mut out = Vec::new();
    put_short_bytes(&mut out, name.as_bytes());
    put_addrs(&mut out, addrs);
    out
}

fn parse_hello(bytes: &[u8]) -> Result<(String, Vec<SocketAddr>), NetError> {
    let mut r = Reader::new(bytes);
    let bad = || NetError::Protocol("bad hello".into());
    let name = String::from_utf8_lossy(r.short_bytes().ok_or_else(bad)?).into_owned();
    let addrs = r.addrs().ok_or_else(bad)?;
    Ok((name, addrs))
}

/// Both sides' sealed channel for the rest of the pairing, keyed from the new couple
/// key so that names and addresses never travel in the clear.
fn channel(keys: &PairingKeys, th: &[u8; 32], joiner: bool) -> (Sealer, Opener) {
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

async fn step<T>(f: impl std::future::Future<Output = Result<T, NetError>>) -> Result<T, NetError> {
    tokio::time::timeout(STEP_TIMEOUT, f)
        .await
        .map_err(|_| NetError::Timeout)?
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

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
        conn.close(4u32.into(), b"failed");
    }
    result
}

/// Turns "the connection closed" into what the inviter meant by closing.
fn refine_close(conn: &Connection, e: NetError) -> NetError {
    if !matches!(e, NetError::Closed | NetError::Io(_)) {
        return e;
    }
    match conn.close_reason() {
        Some(iroh::endpoint::ConnectionError::ApplicationClosed(c))
            if c.error_code == 3u32.into() =>
        {
            NetError::InviteUsed
        }
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
    let mut m1 = vec![VERSION];
    m1.extend_from_slice(&j);
    m1.extend_from_slice(&hmac_sha256(invite.secret.expose(), &[b"joiner", &th0, &j]));
    step(writer.write(&m1)).await?;

    let m2 = step(reader.read()).await?.ok_or(NetError::Closed)?;
    let mut r = Reader::new(&m2);
    match r.u8() {
        Some(0) => {}
        Some(1) => return Err(NetError::InviteExpired),
        Some(2) => return Err(NetError::InviteRejected),
        _ => return Err(NetError::Protocol("bad reply".into())),
    }
    let i: [u8; 32] = r
        .array()
        .ok_or_else(|| NetError::Protocol("bad reply".into()))?;
    let mac = r
        .take(32)
        .ok_or_else(|| NetError::Protocol("bad reply".into()))?;
    verify_hmac_sha256(invite.secret.expose(), &[b"inviter", &th0, &j, &i], mac).map_err(|_| {
        NetError::Protocol("the inviter could not prove it holds the invite".into())
    })?;
    let shared = eph.agree(&i)?;
    let th = sha256(&[&th0, &j, &i]);
    let keys = pairing_keys(&invite.secret, &shared, &th);
    let (mut sealer, mut opener) = channel(&keys, &th, true);

    step(writer.write(&sealer.seal(&hello(my_name, &node.direct_addrs()))?)).await?;
    let theirs = step(reader.read()).await?.ok_or(NetError::Closed)?;
    let (partner_name, partner_addrs) = parse_hello(&opener.open(&theirs)?)?;
    Ok(PendingPairing {
        conn: conn.clone(),
        reader,
        writer,
        sealer,
        opener,
        keys,
        partner: invite.endpoint,
        partner_name,
        partner_addrs,
    })
}

/// Waits for the partner to join with `invite`, until it expires. Attempts that do
/// not prove knowledge of the secret are turned away and waiting goes on; the first
/// valid one burns the invite.
pub async fn host(node: &Node, invite: &Invite, my_name: &str) -> Result<PendingPairing, NetError> {
    node.set_hosting(true);
    let _off = HostingGuard(node);
    let remaining = invite.expires.saturating_sub(now_secs());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(remaining);
    loop {
        let conn = tokio::select! {
            c = node.next_pair_connection() => c.ok_or(NetError::Closed)?,
            _ = tokio::time::sleep_until(deadline) => return Err(NetError::NoOneJoined),
        };
        match host_on(node, &conn, invite, my_name).await {
            Ok(p) => return Ok(p),
            Err(e) => {
                tracing::info!(remote = %conn.remote_id().fmt_short(), error = %e, "turned away a pairing attempt");
                conn.close(5u32.into(), b"refused");
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

async fn host_on(
    node: &Node,
    conn: &Connection,
    invite: &Invite,
    my_name: &str,
) -> Result<PendingPairing, NetError> {
    let (send, recv) = step(async {
        conn.accept_bi()
            .await
            .map_err(|e| NetError::Io(e.to_string()))
    })
    .await?;
    let mut writer = FrameWriter::new(send, MAX_PAIR_FRAME);
    let mut reader = FrameReader::new(recv, MAX_PAIR_FRAME);
    let joiner = conn.remote_id();
    let m1 = step(reader.read()).await?.ok_or(NetError::Closed)?;
    let mut r = Reader::new(&m1);
    if r.u8() != Some(VERSION) {
        return Err(NetError::Protocol("unknown pairing version".into()));
    }
    let j: [u8; 32] = r
        .array()
        .ok_or_else(|| NetError::Protocol("bad hello".into()))?;
    let mac = r
        .take(32)
        .ok_or_else(|| NetError::Protocol("bad hello".into()))?;
    if invite.is_expired(now_secs()) {
        let _ = writer.write(&[1]).await;
        return Err(NetError::InviteExpired);
    }
    let th0 = th0(invite, &node.id(), &joiner);
    if verify_hmac_sha256(invite.secret.expose(), &[b"joiner", &th0, &j], mac).is_err() {
        let _ = writer.write(&[2]).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        return Err(NetError::InviteRejected);
    }
    // Burned: from here on no other connection is taken for this invite.
    node.set_hosting(false);
    let eph = EphemeralKeypair::generate();
    let i = eph.public();
    let shared = eph.agree(&j)?;
    let mut m2 = vec![0u8];
    m2.extend_from_slice(&i);
    m2.extend_from_slice(&hmac_sha256(
        invite.secret.expose(),
        &[b"inviter", &th0, &j, &i],
    ));
    step(writer.write(&m2)).await?;
    let th = sha256(&[&th0, &j, &i]);
    let keys = pairing_keys(&invite.secret, &shared, &th);
    let (mut sealer, mut opener) = channel(&keys, &th, false);
    let theirs = step(reader.read()).await?.ok_or(NetError::Closed)?;
    let (partner_name, partner_addrs) = parse_hello(&opener.open(&theirs)?)?;
    step(writer.write(&sealer.seal(&hello(my_name, &node.direct_addrs()))?)).await?;
    Ok(PendingPairing {
        conn: conn.clone(),
        reader,
        writer,
        sealer,
        opener,
        keys,
        partner: joiner,
        partner_name,
        partner_addrs,
    })
}
