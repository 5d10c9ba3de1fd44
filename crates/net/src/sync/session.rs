//! One sync session after the handshake: Automerge sync messages both ways until
//! the connection ends, the device stops, or (for a one-shot sync) both sides hold
//! the same journal. The document side is behind [`Replica`], implemented by the
//! device layer; this crate never sees what a payload says.

use std::net::SocketAddr;
use std::time::Duration;

use iroh::RelayUrl;
use thiserror::Error;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;

use super::handshake::{SessionParams, handshake};
use super::keys::{KeyId, SessionKeys};
use super::message::{self, MAX_FRAME, Message, Rekey, Release};
use crate::NetError;
use crate::frame::{FrameReader, FrameWriter};
use crate::secure::{Opener, Sealer};

/// How long a one-shot session that is already in sync waits for the partner to
/// finish its side before it counts the session as done.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Why the device side of a session could not go on. The session ends with it (and
/// says so in the log); the text names the kind of failure, never journal content.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum ReplicaError {
    /// The partner's message was refused: it does not decode, Automerge rejected
    /// it, it asks for more than this device does for a partner, or handling it
    /// panicked. Nothing of it was applied.
    #[error("the partner's sync message was refused ({0}); nothing of it was applied")]
    Refused(String),
    /// This device could not store what arrived (a full disk, a file it cannot
    /// write). The partner did nothing wrong; the next session tries again.
    #[error("this device could not store the partner's changes: {0}")]
    Storage(String),
    /// The journal is not open here right now (the app was locked).
    #[error("the journal is locked")]
    Locked,
    /// The journal this session synced was replaced while it ran (another session
    /// released its history): the next session syncs the new one.
    #[error("the shared journal's history was released while this session ran")]
    Superseded,
    /// Anything else on this device.
    #[error("{0}")]
    Other(String),
}

impl ReplicaError {
    /// Whether the partner caused it (as opposed to this device).
    pub fn is_refusal(&self) -> bool {
        matches!(self, ReplicaError::Refused(_))
    }
}

/// How this device stands to the journal of another epoch that the partner's greeting
/// named (see [`super::release::epoch_id`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EpochVerdict {
    /// This device released that journal's history: the partner's device is a copy
    /// from before (restored from a backup, say). It is told so and turned away.
    Released,
    /// That journal is the one a release this device took part in leads to, and this
    /// device has now moved to it: the next session uses the new couple key.
    Followed,
    /// Neither: the partner may know more (it closes with the "released" code).
    Unknown,
}

/// What a [`Release`] message left the session to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReleaseFlow {
    Continue,
    /// This device moved to the new journal: the session ends, once what the replica
    /// still had to send is sent, and the next one uses the new couple key.
    Rekeyed,
}

/// The document side of a sync, implemented by the device layer.
pub trait Replica: Send + Sync + 'static {
    /// A session's sync state, seeded from what was persisted after the last one so
    /// that a reconnect only exchanges what changed.
    fn begin(&self) -> Result<Box<dyn ReplicaSession>, ReplicaError>;
    /// Ticks whenever the shared document changes, from any source.
    fn changes(&self) -> watch::Receiver<u64>;
    /// The partner told us where it can be reached now.
    fn partner_addrs(&self, addrs: Vec<SocketAddr>);
    /// Where we last knew the partner to be.
    fn known_partner_addrs(&self) -> Vec<SocketAddr>;
    /// The partner told us the relay that reaches it. A replica that keeps no
    /// relay (a test's) may ignore it; then only direct addresses are dialled.
    fn partner_relay(&self, _relay: RelayUrl) {}
    /// The relay through which we last knew the partner to be reachable.
    fn known_partner_relay(&self) -> Option<RelayUrl> {
        None
    }
    /// The partner ended the pairing on their side.
    fn partner_unpaired(&self);
    /// Connection and progress news for the UI.
    fn link(&self, event: LinkEvent);
    /// The keys now. A release of history or a removed device changes them, so
    /// every new session asks; `None` keeps the keys the sync was started with.
    fn keys(&self) -> Option<SessionKeys> {
        None
    }
    /// The partner's greeting named the journal of another epoch, `theirs`.
    fn other_epoch(&self, _theirs: &[u8; 16]) -> EpochVerdict {
        EpochVerdict::Unknown
    }
    /// The partner's device said the journal this device holds was released there:
    /// this device can no longer sync with it.
    fn history_released(&self) {}
}

pub trait ReplicaSession: Send {
    /// The next payload to send, if the partner lacks anything. At most
    /// [`super::MAX_PAYLOAD`] bytes: a bigger one ends the session, so a catch-up
    /// larger than that goes in parts, one per round (PROTOCOL.md, "Limits").
    fn generate(&mut self) -> Result<Option<Vec<u8>>, ReplicaError>;
    /// Applies a payload. Must have stored any new changes durably when it returns.
    fn receive(&mut self, payload: &[u8]) -> Result<(), ReplicaError>;
    /// Both sides hold the same document.
    fn in_sync(&mut self) -> bool;
    /// Persists what is worth keeping for the next session.
    fn end(&mut self);
    /// The steps of a release of history this device has to send now. Asked at the
    /// start of the session and after every message and local change; the replica
    /// returns each message once per session unless it must be sent again.
    fn release_outbox(&mut self) -> Result<Vec<Release>, ReplicaError> {
        Ok(Vec::new())
    }
    /// A step of a release of history from the partner.
    fn release_receive(&mut self, _message: Release) -> Result<ReleaseFlow, ReplicaError> {
        Ok(ReleaseFlow::Continue)
    }
    /// The other side's newest key, as its greeting named it: told once, before
    /// anything else of the session.
    fn their_key(&mut self, _theirs: KeyId) {}
    /// A newer key for the other side, whose newest key is `theirs` (from its
    /// greeting). Asked only while the two are in sync, so the other side already
    /// holds every record that justifies the key; the replica returns each key once
    /// per session.
    fn rekey_outbox(&mut self, _theirs: KeyId) -> Result<Option<Rekey>, ReplicaError> {
        Ok(None)
    }
    /// A newer key from the other side. A replica that takes no keys refuses it.
    fn rekey_receive(&mut self, _rekey: Rekey) -> Result<(), ReplicaError> {
        Err(ReplicaError::Refused(
            "a key this session does not take".into(),
        ))
    }
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
    /// Both sides held the same journal, and a one-shot session finished.
    InSync,
    /// The partner ended the session before this side was done.
    PeerClosed,
    /// This device stopped syncing.
    Stopped,
    /// The partner ended the pairing.
    PartnerUnpaired,
    /// The two devices released the shared journal's history: the next session
    /// runs under the new couple key.
    Rekeyed,
}

impl std::fmt::Display for SessionEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SessionEnd::InSync => "in sync",
            SessionEnd::PeerClosed => "the partner closed the session",
            SessionEnd::Stopped => "stopped on this device",
            SessionEnd::PartnerUnpaired => "the partner ended the pairing",
            SessionEnd::Rekeyed => "moved to the journal a release of history started",
        })
    }
}

/// Runs one session over any byte streams: the handshake, then the exchange. Kept
/// generic so that framing and authentication failures can be tested with a
/// meddling proxy in between. However it ends, it says why in one log line: a
/// warning when something was refused or could not be stored, information when
/// the connection simply ended.
pub async fn run_session<R, W>(
    recv: R,
    send: W,
    params: SessionParams<'_>,
    replica: &dyn Replica,
    until: Until,
    stop: watch::Receiver<bool>,
) -> Result<SessionEnd, NetError>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    run_session_giving(recv, send, params, replica, until, stop)
        .await
        .0
}

/// [`run_session`], and whether this side gave the other a key ([`Rekey`]) in it:
/// then the connection must stay open until the other side has read it.
pub(crate) async fn run_session_giving<R, W>(
    recv: R,
    send: W,
    params: SessionParams<'_>,
    replica: &dyn Replica,
    until: Until,
    mut stop: watch::Receiver<bool>,
) -> (Result<SessionEnd, NetError>, bool)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut gave = false;
    let mut reader = FrameReader::new(recv, MAX_FRAME);
    let mut writer = FrameWriter::new(send, MAX_FRAME);
    let result = async {
        let mut channel = match handshake(&mut reader, &mut writer, &params).await {
            Ok(c) => c,
            Err(NetError::OtherEpoch(theirs)) => {
                return match replica.other_epoch(&theirs) {
                    EpochVerdict::Released => Err(NetError::StaleEpoch),
                    EpochVerdict::Followed => Ok(SessionEnd::Rekeyed),
                    EpochVerdict::Unknown => Err(NetError::OtherEpoch(theirs)),
                };
            }
            Err(e) => return Err(e),
        };
        replica.partner_addrs(std::mem::take(&mut channel.partner_hello.addrs));
        if let Some(relay) = channel.partner_hello.relay.take() {
            replica.partner_relay(relay);
        }
        replica.link(LinkEvent::Online);
        let result = match replica.begin() {
            Ok(mut session) => {
                session.their_key(channel.their_current);
                let r = exchange(
                    &mut reader,
                    &mut writer,
                    &mut channel.sealer,
                    &mut channel.opener,
                    session.as_mut(),
                    replica,
                    until,
                    &mut stop,
                    &mut Giving {
                        theirs: channel.their_current,
                        gave: &mut gave,
                    },
                )
                .await;
                session.end();
                r
            }
            Err(e) => Err(e.into()),
        };
        replica.link(LinkEvent::Offline);
        result
    }
    .await;
    log_end(&result, params.dialer);
    (result, gave)
}

/// What a session needs to pass a newer key on: the other side's newest key, from
/// its greeting, and whether one was given.
struct Giving<'a> {
    theirs: KeyId,
    gave: &'a mut bool,
}

fn log_end(result: &Result<SessionEnd, NetError>, dialer: bool) {
    let side = if dialer { "dialled" } else { "accepted" };
    match result {
        Ok(end) => tracing::info!("sync session ({side}) ended: {end}"),
        Err(NetError::Replica(ReplicaError::Superseded)) => {
            tracing::info!("sync session ({side}) ended: {}", ReplicaError::Superseded)
        }
        Err(e) if e.is_refusal() || matches!(e, NetError::Replica(_)) => {
            tracing::warn!("sync session ({side}) ended: {e}")
        }
        Err(e) => tracing::info!("sync session ({side}) ended: {e}"),
    }
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
    giving: &mut Giving<'_>,
) -> Result<SessionEnd, NetError>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut changes = replica.changes();
    changes.mark_changed();
    // False once a one-shot session is in sync: it then only listens, until the
    // partner has said all it had to say and finishes its side too.
    let mut sending = true;
    let drain = tokio::time::sleep(Duration::MAX);
    tokio::pin!(drain);
    send_release(writer, sealer, session).await?;
    loop {
        tokio::select! {
            frame = reader.read() => {
                let frame = match frame {
                    Ok(Some(frame)) => frame,
                    Ok(None) if !sending => return Ok(SessionEnd::InSync),
                    Ok(None) => return Ok(SessionEnd::PeerClosed),
                    // In sync already: the partner hung up without finishing its
                    // side, which costs this side nothing.
                    Err(NetError::Closed | NetError::Io(_)) if !sending => {
                        return Ok(SessionEnd::InSync);
                    }
                    Err(e) => return Err(e),
                };
                let plain = opener.open(&frame)?;
                match Message::decode(&plain)? {
                    Message::Sync(message::Sync { payload }) => {
                        session.receive(payload)?;
                        replica.link(LinkEvent::Received(reader.bytes_read));
                    }
                    Message::Unpaired => {
                        replica.partner_unpaired();
                        return Ok(SessionEnd::PartnerUnpaired);
                    }
                    Message::Release(m) => {
                        tracing::debug!(step = m.name(), "release of history: received");
                        if session.release_receive(m)? == ReleaseFlow::Rekeyed {
                            if sending {
                                send_release(writer, sealer, session).await?;
                            }
                            close_send(writer).await;
                            // What the partner still sends is of the old journal;
                            // read it away until it finishes, briefly.
                            let _ = tokio::time::timeout(DRAIN_TIMEOUT, async {
                                while let Ok(Some(_)) = reader.read().await {}
                            })
                            .await;
                            return Ok(SessionEnd::Rekeyed);
                        }
                    }
                    Message::Rekey(m) => {
                        tracing::info!(generation = m.generation, "received a newer key");
                        session.rekey_receive(m)?;
                    }
                    Message::Hello(_) => {
                        return Err(NetError::Protocol("a second hello".into()));
                    }
                }
                if sending {
                    flush(writer, sealer, session).await?;
                    send_release(writer, sealer, session).await?;
                }
                if session.in_sync() {
                    if sending {
                        send_rekey(writer, sealer, session, giving).await?;
                    }
                    replica.link(LinkEvent::InSync);
                    if until == Until::InSync && sending {
                        sending = false;
                        close_send(writer).await;
                        drain
                            .as_mut()
                            .reset(tokio::time::Instant::now() + DRAIN_TIMEOUT);
                    }
                }
            }
            changed = changes.changed(), if sending => {
                if changed.is_err() {
                    return Ok(SessionEnd::Stopped);
                }
                flush(writer, sealer, session).await?;
                send_release(writer, sealer, session).await?;
                if session.in_sync() {
                    send_rekey(writer, sealer, session, giving).await?;
                }
            }
            _ = &mut drain, if !sending => return Ok(SessionEnd::InSync),
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
    if let Some(payload) = session.generate()? {
        let sealed = sealer.seal(&message::Sync { payload: &payload }.encode()?)?;
        writer.write(&sealed).await?;
    }
    Ok(())
}

async fn send_release<W: AsyncWrite + Unpin>(
    writer: &mut FrameWriter<W>,
    sealer: &mut Sealer,
    session: &mut dyn ReplicaSession,
) -> Result<(), NetError> {
    for m in session.release_outbox()? {
        tracing::debug!(step = m.name(), "release of history: sending");
        writer.write(&sealer.seal(&m.encode())?).await?;
    }
    Ok(())
}

async fn send_rekey<W: AsyncWrite + Unpin>(
    writer: &mut FrameWriter<W>,
    sealer: &mut Sealer,
    session: &mut dyn ReplicaSession,
    giving: &mut Giving<'_>,
) -> Result<(), NetError> {
    if let Some(m) = session.rekey_outbox(giving.theirs)? {
        tracing::info!(
            generation = m.generation,
            "giving the other device a newer key"
        );
        writer.write(&sealer.seal(&m.encode())?).await?;
        *giving.gave = true;
    }
    Ok(())
}

pub(crate) async fn close_send<W: AsyncWrite + Unpin>(writer: &mut FrameWriter<W>) {
    let _ = tokio::io::AsyncWriteExt::shutdown(writer.get_mut()).await;
}
