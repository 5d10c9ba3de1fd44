//! The sync protocol, `kintsugi/sync/1`, and the service that keeps a session to the
//! partner alive.
//!
//! ```text
//! dialer → acceptor   plain: version=1 | fresh nonce Nd
//! acceptor → dialer   plain: version=1 | fresh nonce Na
//!                     keys: HKDF(couple key, salt = Nd | Na, ids) → one key per direction
//! both ways           sealed Hello(current addresses)   ← proves both hold the couple key
//! both ways           sealed Sync(payload) …            ← Automerge sync messages, opaque here
//!                     sealed Unpaired                   ← the sender ended the pairing
//! ```
//! Every sealed frame carries a per-direction counter in its nonce and associated
//! data (see [`crate::secure`]); any frame that fails to open, any message that does
//! not parse, and any payload the replica rejects ends the session. A payload is
//! handed to the replica only after its frame authenticated, and the replica stores
//! it durably before the session moves on.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use iroh::endpoint::Connection;
use iroh::{EndpointAddr, EndpointId, TransportAddr};
use kintsugi_crypto::{Secret32, random_array};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;

use crate::frame::{FrameReader, FrameWriter, MAX_FRAME};
use crate::secure::{Direction, Opener, Sealer, session_keys};
use crate::wire::{Reader, put_addrs, put_long_bytes};
use crate::{NetError, Node, SYNC_ALPN};

const VERSION: u8 = 1;
const LABEL: &[u8] = b"kintsugi/sync/1";
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);

/// The document side of a sync, implemented by the device layer.
pub trait Replica: Send + Sync + 'static {
    /// A session's sync state, seeded from what was persisted after the last one so
    /// that a reconnect only exchanges what changed.
    fn begin(&self) -> Result<Box<dyn ReplicaSession>, String>;
    /// Ticks whenever the shared document changes, from any source.
    fn changes(&self) -> watch::Receiver<u64>;
    /// The partner told us where it can be reached now.
    fn partner_addrs(&self, addrs: Vec<SocketAddr>);
    /// Where we last knew the partner to be.
    fn known_partner_addrs(&self) -> Vec<SocketAddr>;
    /// The partner ended the pairing on their side.
    fn partner_unpaired(&self);
    /// Connection and progress news for the UI.
    fn link(&self, event: LinkEvent);
}

pub trait ReplicaSession: Send {
    /// The next payload to send, if the partner lacks anything.
    fn generate(&mut self) -> Result<Option<Vec<u8>>, String>;
    /// Applies a payload. Must have stored any new changes durably when it returns.
    fn receive(&mut self, payload: &[u8]) -> Result<(), String>;
    /// Both sides hold the same document.
    fn in_sync(&mut self) -> bool;
    /// Persists what is worth keeping for the next session.
    fn end(&mut self);
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkEvent {
    Online,
    Offline,
    /// Bytes received in the current session (for progress on a large first sync).
    Received(u64),
    /// The two documents are identical.
    InSync,
}

enum Msg<'a> {
    Hello(Vec<SocketAddr>),
    Sync(&'a [u8]),
    Unpaired,
}

impl Msg<'_> {
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            Msg::Hello(addrs) => {
                out.push(1);
                put_addrs(&mut out, addrs);
            }
            Msg::Sync(payload) => {
                out.push(2);
                put_long_bytes(&mut out, payload);
            }
            Msg::Unpaired => out.push(3),
        }
        out
    }

    fn decode(bytes: &[u8]) -> Result<Msg<'_>, NetError> {
        let bad = || NetError::Protocol("malformed message".into());
        let mut r = Reader::new(bytes);
        let msg = match r.u8().ok_or_else(bad)? {
            1 => Msg::Hello(r.addrs().ok_or_else(bad)?),
            2 => Msg::Sync(r.long_bytes(MAX_FRAME).ok_or_else(bad)?),
            3 => Msg::Unpaired,
            _ => return Err(bad()),
        };
        if !r.is_empty() {
            return Err(bad());
        }
        Ok(msg)
    }
}

/// How a session should end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// Keep exchanging changes until the connection ends or `stop` fires.
    Live,
    /// Finish as soon as both sides hold the same document (`sync --once`).
    InSync,
}

/// Why a session ended (when it ended without error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEnd {
    InSync,
    PeerClosed,
    Stopped,
    PartnerUnpaired,
}

/// Identities and key material of one session.
pub struct SessionParams<'a> {
    pub dialer: bool,
    pub me: EndpointId,
    pub them: EndpointId,
    pub couple_key: &'a Secret32,
    pub my_addrs: Vec<SocketAddr>,
}

/// Runs one session over any byte streams. Kept generic so that framing and
/// authentication failures can be tested with a meddling proxy in between.
pub async fn run_session<R, W>(
    recv: R,
    send: W,
    params: SessionParams<'_>,
    replica: &dyn Replica,
    until: Until,
    mut stop: watch::Receiver<bool>,
) -> Result<SessionEnd, NetError>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut reader = FrameReader::new(recv, MAX_FRAME);
    let mut writer = FrameWriter::new(send, MAX_FRAME);

    // Plain handshake: fresh nonces from both sides.
    let mine: [u8; 32] = random_array()?;
    let mut hello = vec![VERSION];
    hello.extend_from_slice(&mine);
    let theirs = tokio::time::timeout(HANDSHAKE_TIMEOUT, async {
        if params.dialer {
            writer.write(&hello).await?;
            reader.read().await
        } else {
            let t = reader.read().await?;
            writer.write(&hello).await?;
            Ok(t)
        }
    })
    .await
    .map_err(|_| NetError::Timeout)??
    .ok_or(NetError::Closed)?;
    let mut r = Reader::new(&theirs);
    if r.u8() != Some(VERSION) {
        return Err(NetError::Protocol("unknown sync version".into()));
    }
    let their_nonce: [u8; 32] = r
        .array()
        .ok_or_else(|| NetError::Protocol("bad hello".into()))?;
    let (dialer, acceptor, nd, na) = if params.dialer {
        (params.me, params.them, mine, their_nonce)
    } else {
        (params.them, params.me, their_nonce, mine)
    };
    let (d2a, a2d) = session_keys(
        params.couple_key,
        LABEL,
        dialer.as_bytes(),
        acceptor.as_bytes(),
        &nd,
        &na,
    );
    let (mut sealer, mut opener) = if params.dialer {
        (
            Sealer::new(d2a, Direction::DialerToAcceptor, LABEL),
            Opener::new(a2d, Direction::AcceptorToDialer, LABEL),
        )
    } else {
        (
            Sealer::new(a2d, Direction::AcceptorToDialer, LABEL),
            Opener::new(d2a, Direction::DialerToAcceptor, LABEL),
        )
    };

    // Sealed hello: key confirmation, and where to find us next time.
    writer
        .write(&sealer.seal(&Msg::Hello(params.my_addrs.clone()).encode())?)
        .await?;
    let first = tokio::time::timeout(HANDSHAKE_TIMEOUT, reader.read())
        .await
        .map_err(|_| NetError::Timeout)??
        .ok_or(NetError::Closed)?;
    let plain = opener.open(&first)?;
    match Msg::decode(&plain)? {
        Msg::Hello(addrs) => replica.partner_addrs(addrs),
        _ => return Err(NetError::Protocol("expected hello".into())),
    }
    replica.link(LinkEvent::Online);

    let mut session = replica.begin().map_err(NetError::Replica)?;
    let result = exchange(
        &mut reader,
        &mut writer,
        &mut sealer,
        &mut opener,
        session.as_mut(),
        replica,
        until,
        &mut stop,
    )
    .await;
    session.end();
    replica.link(LinkEvent::Offline);
    result
}

#[allow(clippy::too_many_arguments)]
async fn exchange<R, W>(
    reader: &mut FrameReader<R>,
    writer: &mut FrameWriter<W>,
    sealer: &mut Sealer,
    opener: &mut Opener,
    session: &mut dyn ReplicaSession,
    replica: &dyn Replica,
    until: Until,
    stop: &mut watch::Receiver<bool>,
) -> Result<SessionEnd, NetError>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut changes = replica.changes();
    changes.mark_changed();
    let mut sending = true;
    loop {
        tokio::select! {
            frame = reader.read() => {
                let Some(frame) = frame? else {
                    return Ok(SessionEnd::PeerClosed);
                };
                let plain = opener.open(&frame)?;
                match Msg::decode(&plain)? {
                    Msg::Sync(payload) => {
                        session.receive(payload).map_err(NetError::Replica)?;
                        replica.link(LinkEvent::Received(reader.bytes_read));
                    }
                    Msg::Unpaired => {
                        replica.partner_unpaired();
                        return Ok(SessionEnd::PartnerUnpaired);
                    }
                    Msg::Hello(_) => return Err(NetError::Protocol("unexpected hello".into())),
                }
                if sending {
                    flush(writer, sealer, session).await?;
                }
                if session.in_sync() {
                    replica.link(LinkEvent::InSync);
                    if until == Until::InSync && sending {
                        // Stop sending; keep reading until the partner has said all
                        // it had to say and closes its side.
                        sending = false;
                        close_send(writer).await;
                    }
                }
            }
            changed = changes.changed(), if sending => {
                if changed.is_err() {
                    return Ok(SessionEnd::Stopped);
                }
                flush(writer, sealer, session).await?;
            }
            _ = stop.changed() => {
                return Ok(SessionEnd::Stopped);
            }
        }
    }
}

async fn flush<W: AsyncWrite + Unpin>(
    writer: &mut FrameWriter<W>,
    sealer: &mut Sealer,
    session: &mut dyn ReplicaSession,
) -> Result<(), NetError> {
    // One message per round, as the Automerge sync protocol intends: the next one
    // follows the partner's reply. Looping until `generate` returns None would let a
    // partner whose messages keep it returning Some make us send forever.
    if let Some(payload) = session.generate().map_err(NetError::Replica)? {
        let sealed = sealer.seal(&Msg::Sync(&payload).encode())?;
        writer.write(&sealed).await?;
    }
    Ok(())
}

async fn close_send<W: AsyncWrite + Unpin>(writer: &mut FrameWriter<W>) {
    let _ = tokio::io::AsyncWriteExt::shutdown(writer.get_mut()).await;
}

/// Tells the partner, over a fresh session, that this device ended the pairing.
pub async fn send_unpaired(
    node: &Node,
    partner: EndpointAddr,
    couple_key: &Secret32,
) -> Result<(), NetError> {
    let conn = node.connect(partner.clone(), SYNC_ALPN).await?;
    let (send, recv) = conn
        .open_bi()
        .await
        .map_err(|e| NetError::Io(e.to_string()))?;
    let mut reader = FrameReader::new(recv, MAX_FRAME);
    let mut writer = FrameWriter::new(send, MAX_FRAME);
    let mine: [u8; 32] = random_array()?;
    let mut hello = vec![VERSION];
    hello.extend_from_slice(&mine);
    writer.write(&hello).await?;
    let theirs = tokio::time::timeout(HANDSHAKE_TIMEOUT, reader.read())
        .await
        .map_err(|_| NetError::Timeout)??
        .ok_or(NetError::Closed)?;
    let mut r = Reader::new(&theirs);
    r.u8();
    let na: [u8; 32] = r
        .array()
        .ok_or_else(|| NetError::Protocol("bad hello".into()))?;
    let (d2a, _) = session_keys(
        couple_key,
        LABEL,
        node.id().as_bytes(),
        partner.id.as_bytes(),
        &mine,
        &na,
    );
    let mut sealer = Sealer::new(d2a, Direction::DialerToAcceptor, LABEL);
    writer
        .write(&sealer.seal(&Msg::Hello(Vec::new()).encode())?)
        .await?;
    writer.write(&sealer.seal(&Msg::Unpaired.encode())?).await?;
    close_send(&mut writer).await;
    let _ = tokio::time::timeout(Duration::from_secs(3), conn.closed()).await;
    Ok(())
}

/// Dials the partner and runs one session on the connection.
pub async fn dial(
    node: &Node,
    partner: EndpointId,
    couple_key: &Secret32,
    replica: &dyn Replica,
    until: Until,
    stop: watch::Receiver<bool>,
) -> Result<SessionEnd, NetError> {
    let addrs: Vec<TransportAddr> = replica
        .known_partner_addrs()
        .into_iter()
        .map(TransportAddr::Ip)
        .collect();
    let conn = node
        .connect(EndpointAddr::from_parts(partner, addrs), SYNC_ALPN)
        .await?;
    let (send, recv) = conn
        .open_bi()
        .await
        .map_err(|e| NetError::Io(e.to_string()))?;
    run_on(
        node, conn, recv, send, true, couple_key, replica, until, stop,
    )
    .await
}

/// Accepts one session on a connection the node already authorized.
pub async fn accept(
    node: &Node,
    conn: Connection,
    couple_key: &Secret32,
    replica: &dyn Replica,
    stop: watch::Receiver<bool>,
) -> Result<SessionEnd, NetError> {
    let (send, recv) = tokio::time::timeout(HANDSHAKE_TIMEOUT, conn.accept_bi())
        .await
        .map_err(|_| NetError::Timeout)?
        .map_err(|e| NetError::Io(e.to_string()))?;
    run_on(
        node,
        conn,
        recv,
        send,
        false,
        couple_key,
        replica,
        Until::Live,
        stop,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn run_on(
    node: &Node,
    conn: Connection,
    recv: iroh::endpoint::RecvStream,
    send: iroh::endpoint::SendStream,
    dialer: bool,
    couple_key: &Secret32,
    replica: &dyn Replica,
    until: Until,
    stop: watch::Receiver<bool>,
) -> Result<SessionEnd, NetError> {
    let params = SessionParams {
        dialer,
        me: node.id(),
        them: conn.remote_id(),
        couple_key,
        my_addrs: node.direct_addrs(),
    };
    let result = run_session(recv, send, params, replica, until, stop).await;
    let code = if result.is_ok() {
        crate::close::DONE
    } else {
        crate::close::SESSION_FAILED
    };
    if dialer {
        conn.close(code.into(), b"bye");
    } else {
        // Let the dialer close, so its last frames are read; close ourselves after
        // a grace period if it does not.
        let _ = tokio::time::timeout(Duration::from_secs(2), conn.closed()).await;
        conn.close(code.into(), b"bye");
    }
    result
}

type SessionFuture =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<SessionEnd, NetError>> + Send>>;

/// How long after starting a dial a call from the partner counts as crossing it.
const CROSSING_WINDOW: Duration = Duration::from_secs(5);

/// Keeps the partner in sync for as long as it runs: accepts the partner's sessions,
/// dials the partner when no session is up, and backs off while it is unreachable.
///
/// A call from the partner normally replaces the current session: the partner only
/// dials when it has no session, so ours is stale (it crashed, or its link changed),
/// or it is a one-off `sync --once`. Calls that cross (both devices dial at once, as
/// when both apps start together) would then kill each other: each side drops its own
/// dial, which is the very connection the other side just accepted. So crossing
/// calls are settled by the endpoint ids: the device with the higher id takes the
/// partner's call and drops its dial; the one with the lower id keeps its dial *and*
/// runs the partner's call beside it until one of the two ends. The partner's call
/// then dies at once (the partner dropped that dial), and ours is the session; if the
/// call was a `sync --once`, our dial goes nowhere and the call does the work.
/// Randomised backoff was not enough: with a connection taking a few hundred
/// milliseconds, two devices kept crossing for minutes.
pub async fn serve(
    node: Arc<Node>,
    partner: EndpointId,
    couple_key: Secret32,
    replica: Arc<dyn Replica>,
    mut stop: watch::Receiver<bool>,
) {
    let keep_own_dial = node.id().as_bytes() < partner.as_bytes();
    let mut backoff = Duration::from_millis(200);
    let mut incoming: Option<Connection> = None;
    loop {
        if *stop.borrow() {
            return;
        }
        let mut dialing = incoming.is_none();
        let mut session: SessionFuture = match incoming.take() {
            Some(conn) => accept_owned(&node, conn, &couple_key, &replica, &stop),
            None => {
                let (node, key, replica, stop) = (
                    node.clone(),
                    couple_key.clone(),
                    replica.clone(),
                    stop.clone(),
                );
                Box::pin(async move {
                    dial(&node, partner, &key, replica.as_ref(), Until::Live, stop).await
                })
            }
        };
        let started = tokio::time::Instant::now();
        // The partner's call, run beside our own dial when the two crossed.
        let mut beside: Option<SessionFuture> = None;
        let end = loop {
            tokio::select! {
                r = &mut session => match beside.take() {
                    // Our dial failed; the partner's call carries on alone.
                    Some(other) if r.is_err() => {
                        session = other;
                        dialing = false;
                    }
                    _ => break r,
                },
                r = async {
                    match beside.as_mut() {
                        Some(call) => call.await,
                        None => std::future::pending().await,
                    }
                }, if beside.is_some() => {
                    beside = None;
                    // The partner dropped that call for ours: expected, not an end.
                    if r.is_ok() {
                        break r;
                    }
                }
                conn = node.next_sync_connection() => {
                    let Some(conn) = conn else { return };
                    let call = accept_owned(&node, conn, &couple_key, &replica, &stop);
                    if dialing && keep_own_dial && started.elapsed() < CROSSING_WINDOW {
                        beside = Some(call);
                    } else {
                        session = call;
                        beside = None;
                        dialing = false;
                    }
                }
                _ = stop.changed() => return,
            }
        };
        match end {
            Ok(SessionEnd::PartnerUnpaired) | Ok(SessionEnd::Stopped) => return,
            Ok(_) => backoff = Duration::from_millis(200),
            Err(e) => tracing::debug!(error = %e, "sync session ended"),
        }
        // Wait before the next dial, but take the partner's call at once.
        let jitter =
            Duration::from_millis(u64::from(random_array::<1>().map(|b| b[0]).unwrap_or(0)));
        tokio::select! {
            _ = tokio::time::sleep(backoff + jitter) => {}
            conn = node.next_sync_connection() => {
                let Some(conn) = conn else { return };
                incoming = Some(conn);
                continue;
            }
            _ = stop.changed() => return,
        }
        backoff = (backoff * 2).min(Duration::from_secs(10));
    }
}

fn accept_owned(
    node: &Arc<Node>,
    conn: Connection,
    key: &Secret32,
    replica: &Arc<dyn Replica>,
    stop: &watch::Receiver<bool>,
) -> SessionFuture {
    let (node, key, replica, stop) = (node.clone(), key.clone(), replica.clone(), stop.clone());
    Box::pin(async move { accept(&node, conn, &key, replica.as_ref(), stop).await })
}
