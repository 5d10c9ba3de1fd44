//! Sessions on real connections: dialling the partner, accepting its calls, keeping
//! one session up while the device syncs ([`serve`]), and telling the partner that
//! the pairing ended ([`send_unpaired`]). The protocol itself is in
//! [`super::session`]; this module decides which connections carry it.
//!
//! Everything here runs either sync protocol ([`Protocol`]): the shared journal's
//! among the couple's devices, and the diary's among one person's own. The two
//! differ only in their gate, their calls and the key the caller passes.

use std::sync::Arc;
use std::time::Duration;

use iroh::endpoint::{Connection, RecvStream, SendStream};
use iroh::{EndpointAddr, EndpointId};
use kintsugi_crypto::random_array;
use tokio::sync::watch;

use super::handshake::{HANDSHAKE_TIMEOUT, SessionParams, handshake};
use super::keys::SessionKeys;
use super::message::{MAX_FRAME, Unpaired};
use super::session::{Replica, SessionEnd, Until, close_send, run_session_giving};
use crate::frame::{FrameReader, FrameWriter};
use crate::{NetError, Node, Protocol, SYNC_ALPN, close};

/// How long after starting a dial a call from the partner counts as crossing it.
const CROSSING_WINDOW: Duration = Duration::from_secs(5);
/// How long an accepting side waits for the dialer to close a finished session, so
/// that the dialer's last frames are read before the connection goes.
const CLOSE_GRACE: Duration = Duration::from_secs(2);
/// How long a device whose partner greeted with another journal waits for the
/// partner's close code, which says whether this device's journal was released.
const RELEASED_WAIT: Duration = Duration::from_secs(3);

fn stream_error(e: impl std::fmt::Display) -> NetError {
    NetError::Io(e.to_string())
}

/// Tells the partner, over a fresh session, that this device ended the pairing. The
/// session starts with the same handshake as any other (so a partner on another
/// protocol version, or without the couple key, is never told anything), then
/// carries a single [`Unpaired`].
pub async fn send_unpaired(
    node: &Node,
    partner: EndpointAddr,
    keys: &SessionKeys,
) -> Result<(), NetError> {
    let them = partner.id;
    let conn = node.connect(partner, SYNC_ALPN).await?;
    let result = async {
        let (send, recv) = conn.open_bi().await.map_err(stream_error)?;
        let mut reader = FrameReader::new(recv, MAX_FRAME);
        let mut writer = FrameWriter::new(send, MAX_FRAME);
        let params = SessionParams {
            dialer: true,
            me: node.id(),
            them,
            keys,
            my_addrs: Vec::new(),
            my_relay: None,
        };
        let mut channel = handshake(&mut reader, &mut writer, &params).await?;
        writer
            .write(&channel.sealer.seal(&Unpaired.encode())?)
            .await?;
        close_send(&mut writer).await;
        // The partner finishes its side once it has read the notice; whatever it
        // sent meanwhile is of no use any more.
        let _ = tokio::time::timeout(Duration::from_secs(3), async {
            while let Ok(Some(_)) = reader.read().await {}
        })
        .await;
        Ok(())
    }
    .await;
    close::close(&conn, ended(&result));
    result
}

/// Dials the partner (or, on [`Protocol::Own`], another device of this person) and
/// runs one session on the connection.
pub async fn dial(
    node: &Node,
    protocol: Protocol,
    partner: EndpointId,
    keys: &SessionKeys,
    replica: &dyn Replica,
    until: Until,
    stop: watch::Receiver<bool>,
) -> Result<SessionEnd, NetError> {
    // Every path known, relay included (see `crate::endpoint_addr`).
    let addr = crate::endpoint_addr(
        partner,
        replica.known_partner_addrs(),
        replica.known_partner_relay(),
    );
    tracing::debug!("dialling the partner");
    let conn = node
        .connect(addr, protocol.alpn())
        .await
        .inspect_err(|e| tracing::debug!(error = %e, "could not reach the partner"))?;
    tracing::debug!("connected to the partner");
    let (send, recv) = conn
        .open_bi()
        .await
        .map_err(|e| turned_away(&conn, stream_error(e)))?;
    run_on(node, conn, recv, send, true, keys, replica, until, stop).await
}

/// `e`, or what the partner meant when its gate closed our call as not paired
/// (before any frame, so the session itself only saw the connection close).
fn turned_away(conn: &Connection, e: NetError) -> NetError {
    if close::code_of(conn) == Some(close::Code::NotPaired) {
        NetError::NotPairedThere
    } else {
        e
    }
}

/// Accepts one session on a connection the node already authorized, on whichever
/// protocol its gate admitted it.
pub async fn accept(
    node: &Node,
    conn: Connection,
    keys: &SessionKeys,
    replica: &dyn Replica,
    until: Until,
    stop: watch::Receiver<bool>,
) -> Result<SessionEnd, NetError> {
    let (send, recv) = tokio::time::timeout(HANDSHAKE_TIMEOUT, conn.accept_bi())
        .await
        .map_err(|_| NetError::Timeout)?
        .map_err(stream_error)?;
    run_on(node, conn, recv, send, false, keys, replica, until, stop).await
}

#[allow(clippy::too_many_arguments)]
async fn run_on(
    node: &Node,
    conn: Connection,
    recv: RecvStream,
    send: SendStream,
    dialer: bool,
    keys: &SessionKeys,
    replica: &dyn Replica,
    until: Until,
    stop: watch::Receiver<bool>,
) -> Result<SessionEnd, NetError> {
    let params = SessionParams {
        dialer,
        me: node.id(),
        them: conn.remote_id(),
        keys,
        my_addrs: node.direct_addrs(),
        my_relay: node.relay_url(),
    };
    let (mut result, gave_key) = run_session_giving(recv, send, params, replica, until, stop).await;
    if gave_key && result.is_ok() {
        // The key may still be on its way: closing now would drop it. The other
        // side closes once it has read everything (or the grace runs out).
        let _ = tokio::time::timeout(CLOSE_GRACE, conn.closed()).await;
    }
    if dialer {
        result = result.map_err(|e| turned_away(&conn, e));
    }
    if let Err(NetError::OtherEpoch(_)) = result {
        // The partner may know what this device does not: that the journal this
        // device holds was released there. It says so with its close code.
        let _ = tokio::time::timeout(RELEASED_WAIT, conn.closed()).await;
        if close::code_of(&conn) == Some(close::Code::Released) {
            // This session began under a key this device has since left behind (a
            // release another session just finished): the next session uses the new
            // one. Otherwise this device holds a released journal.
            result = match replica.keys() {
                Some(now) if now.epoch() != keys.epoch() => Ok(SessionEnd::Rekeyed),
                _ => Err(NetError::HistoryReleased),
            };
        }
    }
    if !dialer
        && matches!(
            result,
            Ok(SessionEnd::PeerClosed) | Err(NetError::NoCommonKey)
        )
    {
        // The dialer finished first and may be waiting for our side to finish too:
        // let it read our last frames and close, or close ourselves after a grace
        // period. (A session that ended in sync has read the dialer's finish after
        // sending its own; there is nothing left to wait for.) With no key in
        // common, the dialer is still to read our greeting and find the same.
        let _ = tokio::time::timeout(CLOSE_GRACE, conn.closed()).await;
    }
    close::close(&conn, ended(&result));
    result
}

fn ended<T>(result: &Result<T, NetError>) -> close::Code {
    match result {
        Ok(_) => close::Code::Done,
        Err(NetError::StaleEpoch) => close::Code::Released,
        Err(_) => close::Code::SessionFailed,
    }
}

type SessionFuture =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<SessionEnd, NetError>> + Send>>;

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
    protocol: Protocol,
    partner: EndpointId,
    keys: SessionKeys,
    replica: Arc<dyn Replica>,
    mut stop: watch::Receiver<bool>,
) {
    let keep_own_dial = node.id().as_bytes() < partner.as_bytes();
    let mut calls = node.incoming_on(protocol, partner);
    let mut backoff = Duration::from_millis(200);
    let mut incoming: Option<Connection> = None;
    loop {
        if *stop.borrow() {
            return;
        }
        // A release of history changes the key between sessions.
        let keys = replica.keys().unwrap_or_else(|| keys.clone());
        let mut dialing = incoming.is_none();
        let mut session: SessionFuture = match incoming.take() {
            Some(conn) => accept_owned(&node, conn, &keys, &replica, &stop, Until::Live),
            None => dial_owned(
                &node,
                protocol,
                partner,
                &keys,
                &replica,
                &stop,
                Until::Live,
            ),
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
                conn = calls.recv() => {
                    let Some(conn) = conn else { return };
                    let call = accept_owned(&node, conn, &keys, &replica, &stop, Until::Live);
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
            // At once, under the new key.
            Ok(SessionEnd::Rekeyed) => {
                backoff = Duration::from_millis(200);
                continue;
            }
            Ok(_) => backoff = Duration::from_millis(200),
            // This journal can never sync with the partner again.
            Err(NetError::HistoryReleased) => {
                replica.history_released();
                return;
            }
            // The session said why in the log.
            Err(_) => {}
        }
        // Wait before the next dial, but take the partner's call at once.
        let jitter =
            Duration::from_millis(u64::from(random_array::<1>().map(|b| b[0]).unwrap_or(0)));
        tokio::select! {
            _ = tokio::time::sleep(backoff + jitter) => {}
            conn = calls.recv() => {
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
    keys: &SessionKeys,
    replica: &Arc<dyn Replica>,
    stop: &watch::Receiver<bool>,
    until: Until,
) -> SessionFuture {
    let (node, keys, replica, stop) = (node.clone(), keys.clone(), replica.clone(), stop.clone());
    Box::pin(async move { accept(&node, conn, &keys, replica.as_ref(), until, stop).await })
}

fn dial_owned(
    node: &Arc<Node>,
    protocol: Protocol,
    partner: EndpointId,
    keys: &SessionKeys,
    replica: &Arc<dyn Replica>,
    stop: &watch::Receiver<bool>,
    until: Until,
) -> SessionFuture {
    let (node, keys, replica, stop) = (node.clone(), keys.clone(), replica.clone(), stop.clone());
    Box::pin(async move {
        dial(
            &node,
            protocol,
            partner,
            &keys,
            replica.as_ref(),
            until,
            stop,
        )
        .await
    })
}

/// How long a one-shot sync waits before dialling again when it has no session.
const ONCE_REDIAL: Duration = Duration::from_millis(300);

/// One sync with the partner that ends as soon as both hold the same journal
/// (`sync --once`), or when `timeout` has passed.
///
/// It dials the partner *and* takes the partner's calls, runs every session it has
/// side by side, and is done with the first that reaches "in sync". Two one-shot
/// syncs started at the same moment then always meet: each runs its own dial and
/// the other's, and whichever connection comes up first does the work. Waiting on
/// one chosen connection is what failed before: each side dialled, neither listened,
/// and the one that gave up first took the other's only session with it. A session
/// that ends without being in sync (the partner dropped that call, or the link
/// failed) only ends itself; when none is left, the partner is dialled again after
/// a short pause, until the timeout.
pub async fn once(
    node: Arc<Node>,
    protocol: Protocol,
    partner: EndpointId,
    keys: SessionKeys,
    replica: Arc<dyn Replica>,
    mut stop: watch::Receiver<bool>,
    timeout: Duration,
) -> Result<SessionEnd, NetError> {
    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    let redial = tokio::time::sleep(Duration::ZERO);
    tokio::pin!(redial);
    let mut calls = node.incoming_on(protocol, partner);
    let mut sessions: Vec<SessionFuture> = Vec::new();
    let mut redial_due = true;
    let mut last_error: Option<NetError> = None;
    loop {
        // A release of history changes the key between sessions.
        let keys = replica.keys().unwrap_or_else(|| keys.clone());
        tokio::select! {
            _ = &mut redial, if redial_due => {
                redial_due = false;
                sessions.push(dial_owned(&node, protocol, partner, &keys, &replica, &stop, Until::InSync));
            }
            conn = calls.recv() => {
                let Some(conn) = conn else { return Err(NetError::Closed) };
                tracing::debug!("the partner called");
                sessions.push(accept_owned(&node, conn, &keys, &replica, &stop, Until::InSync));
            }
            r = first_to_end(&mut sessions), if !sessions.is_empty() => {
                match r {
                    Ok(end @ (SessionEnd::InSync | SessionEnd::PartnerUnpaired | SessionEnd::Stopped)) => {
                        return Ok(end);
                    }
                    // The partner dropped this call (for another, or it was done).
                    Ok(SessionEnd::PeerClosed) => {}
                    // Under the new key now: dial again at once.
                    Ok(SessionEnd::Rekeyed) => {
                        redial_due = true;
                        redial.as_mut().reset(tokio::time::Instant::now());
                        continue;
                    }
                    // Dialling again would only be turned away again.
                    Err(NetError::NotPairedThere) => return Err(NetError::NotPairedThere),
                    Err(NetError::HistoryReleased) => {
                        replica.history_released();
                        return Err(NetError::HistoryReleased);
                    }
                    Err(e) => last_error = Some(e),
                }
                if sessions.is_empty() && !redial_due {
                    redial_due = true;
                    redial.as_mut().reset(tokio::time::Instant::now() + ONCE_REDIAL);
                }
            }
            _ = &mut deadline => return Err(last_error.unwrap_or(NetError::Timeout)),
            _ = stop.changed() => return Ok(SessionEnd::Stopped),
        }
    }
}

/// The replica that keeps one peer's sync state: each peer has its own, so that one
/// peer's session never overwrites what another's learnt.
pub type ReplicaFor = Arc<dyn Fn(EndpointId) -> Arc<dyn Replica> + Send + Sync>;

/// Keeps every device in `peers` in sync, one [`serve`] loop each, for as long as it
/// runs. The set may change while it runs (a device linked or removed): loops start
/// and stop with it.
pub async fn serve_all(
    node: Arc<Node>,
    protocol: Protocol,
    keys: SessionKeys,
    replica_for: ReplicaFor,
    mut peers: watch::Receiver<Vec<EndpointId>>,
    mut stop: watch::Receiver<bool>,
) {
    let mut loops: std::collections::HashMap<
        EndpointId,
        (watch::Sender<bool>, tokio::task::JoinHandle<()>),
    > = std::collections::HashMap::new();
    loop {
        let wanted: Vec<EndpointId> = peers
            .borrow_and_update()
            .iter()
            .copied()
            .filter(|p| *p != node.id())
            .collect();
        loops.retain(|peer, (halt, task)| {
            let keep = wanted.contains(peer) && !task.is_finished();
            if !keep {
                let _ = halt.send(true);
            }
            keep
        });
        for peer in wanted {
            if loops.contains_key(&peer) {
                continue;
            }
            let (halt, halted) = watch::channel(false);
            tracing::debug!(peer = %peer.fmt_short(), "keeping a device in sync");
            let task = tokio::spawn(serve(
                node.clone(),
                protocol,
                peer,
                keys.clone(),
                replica_for(peer),
                halted,
            ));
            loops.insert(peer, (halt, task));
        }
        tokio::select! {
            changed = peers.changed() => if changed.is_err() { break },
            _ = stop.changed() => break,
        }
        if *stop.borrow() {
            break;
        }
    }
    for (_, (halt, task)) in loops {
        let _ = halt.send(true);
        let _ = task.await;
    }
}

/// How long a one-shot sync with several devices waits for the others once one of
/// them is in sync: changes travel on from there anyway, and a device that is off
/// must not hold the command for its whole timeout.
const ONCE_OTHERS: Duration = Duration::from_secs(5);

/// [`once`] with each device in `peers` at the same time. In sync as soon as every
/// peer that answers is, or [`ONCE_OTHERS`] after the first one was; an error only
/// when none was reached (the most telling one: a device that refused this one says
/// more than one that was off).
pub async fn once_all(
    node: Arc<Node>,
    protocol: Protocol,
    keys: SessionKeys,
    replica_for: ReplicaFor,
    peers: Vec<EndpointId>,
    stop: watch::Receiver<bool>,
    timeout: Duration,
) -> Result<SessionEnd, NetError> {
    let mut tasks = tokio::task::JoinSet::new();
    for peer in peers.into_iter().filter(|p| *p != node.id()) {
        tasks.spawn(once(
            node.clone(),
            protocol,
            peer,
            keys.clone(),
            replica_for(peer),
            stop.clone(),
            timeout,
        ));
    }
    let mut best: Option<Result<SessionEnd, NetError>> = None;
    let mut grace: Option<std::pin::Pin<Box<tokio::time::Sleep>>> = None;
    loop {
        let joined = match grace.as_mut() {
            Some(g) => tokio::select! {
                j = tasks.join_next() => j,
                _ = g.as_mut() => None,
            },
            None => tasks.join_next().await,
        };
        let Some(joined) = joined else { break };
        let r = joined.unwrap_or_else(|e| Err(NetError::Io(e.to_string())));
        match &r {
            Ok(SessionEnd::PartnerUnpaired) | Ok(SessionEnd::Stopped) => {
                best = Some(r);
                break;
            }
            Ok(_) => {
                grace.get_or_insert_with(|| Box::pin(tokio::time::sleep(ONCE_OTHERS)));
                best = Some(r);
            }
            Err(e) => {
                if !matches!(best, Some(Ok(_)))
                    && best
                        .as_ref()
                        .is_none_or(|b| rank(e) > b.as_ref().err().map_or(0, rank))
                {
                    best = Some(r);
                }
            }
        }
    }
    tasks.abort_all();
    best.unwrap_or(Err(NetError::Unreachable(
        "no device of the couple to sync with".into(),
    )))
}

/// How much an error says about why no peer was reached.
fn rank(e: &NetError) -> u8 {
    match e {
        NetError::HistoryReleased => 4,
        NetError::NotPairedThere => 3,
        NetError::Timeout | NetError::Unreachable(_) | NetError::Closed | NetError::Io(_) => 1,
        _ => 2,
    }
}

/// The result of whichever session in `sessions` ends first; that one is removed.
async fn first_to_end(sessions: &mut Vec<SessionFuture>) -> Result<SessionEnd, NetError> {
    std::future::poll_fn(|cx| {
        for i in 0..sessions.len() {
            if let std::task::Poll::Ready(r) = sessions[i].as_mut().poll(cx) {
                drop(sessions.swap_remove(i));
                return std::task::Poll::Ready(r);
            }
        }
        std::task::Poll::Pending
    })
    .await
}
