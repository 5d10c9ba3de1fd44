//! A meddler between two sync sessions: tampered, replayed, reordered, dropped and
//! oversized frames each end the receiving session, and nothing from the bad frame
//! (or after it) reaches the replica. Then the cap, from a partner that holds the
//! couple key: a frame or a message over it ends the session in one log line, and the
//! next honest session works.

use std::sync::{Arc, Mutex};

use kintsugi_crypto::Secret32;
use kintsugi_net::NetError;
use kintsugi_net::frame::{FrameReader, FrameWriter};
use kintsugi_net::sync::message::Sync;
use kintsugi_net::sync::{
    MAX_FRAME, MAX_PAYLOAD, SessionEnd, SessionKeys, SessionParams, Until, handshake, run_session,
};
use tokio::io::AsyncWriteExt;
use tokio::sync::watch;

mod support;
use support::scripted::{Script, Scripted};

#[derive(Clone, Copy, Debug)]
enum Meddle {
    None,
    Flip(usize),
    Replay(usize),
    Swap(usize),
    Drop(usize),
    Oversize(usize),
}

fn id(n: u8) -> iroh::EndpointId {
    iroh::SecretKey::from_bytes(&[n; 32]).public()
}

/// Runs sender → meddler → receiver and returns the receiver's result and what its
/// replica got.
async fn run(meddle: Meddle) -> (Result<(), NetError>, Vec<Vec<u8>>) {
    let key = SessionKeys::single(Secret32::from_bytes([42; 32]));
    let payloads: Vec<Vec<u8>> = (0..5u8).map(|i| vec![i; 10]).collect();
    let sender = Script::new(payloads);
    let receiver = Script::new(Vec::new());

    // sender.write → s2m → meddler → m2r → receiver.read; receiver.write → r2s → sender.read
    let (s_w, m_r) = tokio::io::duplex(1 << 20);
    let (m_w, r_r) = tokio::io::duplex(1 << 20);
    let (r_w, s_r) = tokio::io::duplex(1 << 20);

    let meddler = tokio::spawn(async move {
        let mut from = FrameReader::new(m_r, MAX_FRAME);
        let mut to = FrameWriter::new(m_w, MAX_FRAME);
        let mut held: Option<Vec<u8>> = None;
        let mut n = 0usize;
        while let Ok(Some(mut f)) = from.read().await {
            match meddle {
                Meddle::Flip(k) if n == k => {
                    let last = f.len() - 1;
                    f[last] ^= 0x01;
                }
                Meddle::Replay(k) if n == k => {
                    let _ = to.write(&f).await;
                }
                Meddle::Swap(k) if n == k => {
                    held = Some(f);
                    n += 1;
                    continue;
                }
                Meddle::Drop(k) if n == k => {
                    n += 1;
                    continue;
                }
                Meddle::Oversize(k) if n == k => {
                    let _ = to
                        .get_mut()
                        .write_all(&((MAX_FRAME as u32) + 1).to_be_bytes())
                        .await;
                    break;
                }
                _ => {}
            }
            if to.write(&f).await.is_err() {
                break;
            }
            if let Some(h) = held.take() {
                let _ = to.write(&h).await;
            }
            n += 1;
        }
    });

    let (stop_tx, stop) = watch::channel(false);
    let s_replica = Scripted(sender.clone());
    let r_replica = Scripted(receiver.clone());
    let s = run_session(
        s_r,
        s_w,
        SessionParams {
            dialer: true,
            me: id(1),
            them: id(2),
            keys: &key,
            my_addrs: Vec::new(),
            my_relay: None,
        },
        &s_replica,
        Until::Live,
        stop.clone(),
    );
    let r = run_session(
        r_r,
        r_w,
        SessionParams {
            dialer: false,
            me: id(2),
            them: id(1),
            keys: &key,
            my_addrs: Vec::new(),
            my_relay: None,
        },
        &r_replica,
        Until::Live,
        stop,
    );
    let r = async {
        let result = r.await;
        let _ = stop_tx.send(true);
        result
    };
    let timeout = tokio::time::sleep(std::time::Duration::from_millis(500));
    tokio::pin!(r);
    // In the clean case both sessions run forever; stop them once all arrived.
    let result = tokio::select! {
        (_, res) = async { tokio::join!(s, &mut r) } => res.map(|_| ()),
        _ = timeout => {
            Ok(())
        }
    };
    meddler.abort();
    let got = receiver.received.lock().unwrap().clone();
    (result, got)
}

// Frame 0 is the plain hello, frame 1 the sealed hello, frames 2.. carry payloads.

#[tokio::test]
async fn clean_sessions_deliver_everything() {
    logging();
    let (res, got) = run(Meddle::None).await;
    assert!(res.is_ok());
    assert_eq!(got.len(), 5);
}

#[tokio::test]
async fn a_tampered_frame_ends_the_session_and_is_not_applied() {
    logging();
    let (res, got) = run(Meddle::Flip(3)).await;
    assert!(matches!(res, Err(NetError::BadFrame)), "{res:?}");
    assert_eq!(
        got,
        vec![vec![0u8; 10]],
        "only the frame before the tampered one"
    );
}

#[tokio::test]
async fn a_replayed_frame_ends_the_session() {
    logging();
    let (res, got) = run(Meddle::Replay(2)).await;
    assert!(matches!(res, Err(NetError::BadFrame)), "{res:?}");
    assert_eq!(got, vec![vec![0u8; 10]]);
}

#[tokio::test]
async fn reordered_frames_end_the_session() {
    logging();
    let (res, got) = run(Meddle::Swap(3)).await;
    assert!(matches!(res, Err(NetError::BadFrame)), "{res:?}");
    assert_eq!(got, vec![vec![0u8; 10]]);
}

#[tokio::test]
async fn a_dropped_frame_ends_the_session() {
    logging();
    let (res, got) = run(Meddle::Drop(2)).await;
    assert!(matches!(res, Err(NetError::BadFrame)), "{res:?}");
    assert!(got.is_empty());
}

#[tokio::test]
async fn an_oversized_frame_ends_the_session() {
    logging();
    let (res, got) = run(Meddle::Oversize(4)).await;
    assert!(matches!(res, Err(NetError::FrameTooLarge(_))), "{res:?}");
    assert_eq!(got.len(), 2);
}

#[tokio::test]
async fn a_tampered_sealed_hello_means_no_session_at_all() {
    logging();
    let (res, got) = run(Meddle::Flip(1)).await;
    assert!(res.is_err());
    assert!(got.is_empty());
}

// --- the cap ---------------------------------------------------------------------

/// Log lines written on this thread while a capture is on (a `#[tokio::test]` runs
/// its sessions on the test's own thread).
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

thread_local! {
    static CAPTURING: std::cell::RefCell<Option<Logs>> = const { std::cell::RefCell::new(None) };
}

/// Writes to this thread's capture, if any.
struct ThreadWriter;

impl std::io::Write for ThreadWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        CAPTURING.with(|c| {
            if let Some(logs) = &*c.borrow() {
                logs.0.lock().unwrap().extend_from_slice(buf);
            }
        });
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs one global subscriber, before the test does anything else. Every test
/// calls it first: tracing caches each log callsite's interest when the callsite is
/// first reached, and a per-test (`set_default`) subscriber coming and going while
/// another test reached a callsite for the first time could leave that callsite
/// cached as uninteresting, so a warning went missing from a capture now and then.
fn logging() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_writer(|| ThreadWriter)
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
    });
}

/// Stops this thread's capture when dropped.
struct Capturing;

impl Drop for Capturing {
    fn drop(&mut self) {
        CAPTURING.with(|c| c.borrow_mut().take());
    }
}

impl Logs {
    /// Captures this thread's logs until the guard is dropped.
    fn capture() -> (Self, Capturing) {
        logging();
        let logs = Logs::default();
        CAPTURING.with(|c| *c.borrow_mut() = Some(logs.clone()));
        (logs, Capturing)
    }

    fn lines(&self) -> Vec<String> {
        String::from_utf8_lossy(&self.0.lock().unwrap())
            .lines()
            .map(str::to_string)
            .collect()
    }
}

fn params(dialer: bool, key: &SessionKeys) -> SessionParams<'_> {
    let (me, them) = if dialer {
        (id(1), id(2))
    } else {
        (id(2), id(1))
    };
    SessionParams {
        dialer,
        me,
        them,
        keys: key,
        my_addrs: Vec::new(),
        my_relay: None,
    }
}

/// Plays a partner that holds the couple key: the real handshake, one honest
/// payload, then `then` written raw onto the stream; returns the receiving
/// session's result and what its replica got.
async fn partner_then(
    receiver: &Arc<Script>,
    key: &SessionKeys,
    then: Vec<u8>,
) -> Result<SessionEnd, NetError> {
    let (a, b) = tokio::io::duplex(1 << 20);
    let (a_r, a_w) = tokio::io::split(a);
    let (b_r, b_w) = tokio::io::split(b);
    let (_stop_tx, stop) = watch::channel(false);
    let replica = Scripted(receiver.clone());
    let victim = run_session(b_r, b_w, params(false, key), &replica, Until::Live, stop);
    let attacker = async {
        let mut w = FrameWriter::new(a_w, MAX_FRAME);
        let mut r = FrameReader::new(a_r, MAX_FRAME);
        let mut channel = handshake(&mut r, &mut w, &params(true, key)).await.unwrap();
        let honest = Sync { payload: b"honest" }.encode().unwrap();
        w.write(&channel.sealer.seal(&honest).unwrap())
            .await
            .unwrap();
        let _ = w.get_mut().write_all(&then).await;
        // Listen until the victim hangs up.
        while let Ok(Some(_)) = r.read().await {}
    };
    let (result, ()) = tokio::join!(victim, attacker);
    result
}

/// A frame whose length is over the cap, from the real partner's keys: the session
/// ends on the length alone, says so in one warning, applies nothing of it, and the
/// next honest session delivers everything.
#[tokio::test]
async fn a_frame_over_the_cap_ends_the_session_in_one_line_and_the_next_one_works() {
    logging();
    let (logs, _guard) = Logs::capture();
    let key = SessionKeys::single(Secret32::from_bytes([42; 32]));
    let receiver = Script::new(Vec::new());
    let mut oversized = ((MAX_FRAME + 1) as u32).to_be_bytes().to_vec();
    oversized.extend_from_slice(&[0x5a; 4096]);
    let result = partner_then(&receiver, &key, oversized).await;
    assert!(
        matches!(result, Err(NetError::FrameTooLarge(n)) if n == MAX_FRAME + 1),
        "{result:?}"
    );
    assert_eq!(
        *receiver.received.lock().unwrap(),
        vec![b"honest".to_vec()],
        "nothing of the oversized frame"
    );
    let warnings: Vec<String> = logs
        .lines()
        .into_iter()
        .filter(|l| l.contains("WARN"))
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("sync session") && warnings[0].contains("larger than allowed"),
        "{}",
        warnings[0]
    );

    // The next session, honest, on fresh streams with the same replica.
    let (res, got) = run(Meddle::None).await;
    assert!(res.is_ok(), "{res:?}");
    assert_eq!(got.len(), 5);
}

/// A sealed `Sync` whose stated length is over the payload cap, inside a frame that
/// is not: refused on the length, before the payload is looked at.
#[tokio::test]
async fn a_sync_message_claiming_more_than_the_cap_is_refused() {
    logging();
    let (logs, _guard) = Logs::capture();
    let key = SessionKeys::single(Secret32::from_bytes([42; 32]));
    let receiver = Script::new(Vec::new());
    // Type 2, a length one over the cap, and far fewer bytes than it claims.
    let claim = {
        let mut m = vec![2u8];
        m.extend_from_slice(&((MAX_PAYLOAD + 1) as u32).to_be_bytes());
        m.extend_from_slice(&[0; 64]);
        m
    };
    let result = partner_sealed(&receiver, &key, claim).await;
    assert!(
        matches!(result, Err(NetError::PayloadTooLarge(n)) if n == MAX_PAYLOAD + 1),
        "{result:?}"
    );
    assert_eq!(*receiver.received.lock().unwrap(), vec![b"honest".to_vec()]);
    let warnings = logs
        .lines()
        .into_iter()
        .filter(|l| l.contains("WARN"))
        .count();
    assert_eq!(warnings, 1, "{:?}", logs.lines());
}

/// [`partner_then`] with `message` sealed in a well-formed frame.
async fn partner_sealed(
    receiver: &Arc<Script>,
    key: &SessionKeys,
    message: Vec<u8>,
) -> Result<SessionEnd, NetError> {
    let (a, b) = tokio::io::duplex(1 << 20);
    let (a_r, a_w) = tokio::io::split(a);
    let (b_r, b_w) = tokio::io::split(b);
    let (_stop_tx, stop) = watch::channel(false);
    let replica = Scripted(receiver.clone());
    let victim = run_session(b_r, b_w, params(false, key), &replica, Until::Live, stop);
    let attacker = async {
        let mut w = FrameWriter::new(a_w, MAX_FRAME);
        let mut r = FrameReader::new(a_r, MAX_FRAME);
        let mut channel = handshake(&mut r, &mut w, &params(true, key)).await.unwrap();
        let honest = Sync { payload: b"honest" }.encode().unwrap();
        w.write(&channel.sealer.seal(&honest).unwrap())
            .await
            .unwrap();
        w.write(&channel.sealer.seal(&message).unwrap())
            .await
            .unwrap();
        while let Ok(Some(_)) = r.read().await {}
    };
    let (result, ()) = tokio::join!(victim, attacker);
    result
}

/// This side's own message over the cap is never sent: the session ends with the
/// reason, and the partner receives nothing of it.
#[tokio::test]
async fn a_payload_over_the_cap_is_not_sent() {
    logging();
    let key = SessionKeys::single(Secret32::from_bytes([42; 32]));
    let sender = Script::new(vec![vec![1; MAX_PAYLOAD + 1]]);
    let receiver = Script::new(Vec::new());
    let (a, b) = tokio::io::duplex(1 << 20);
    let (a_r, a_w) = tokio::io::split(a);
    let (b_r, b_w) = tokio::io::split(b);
    let (_stop_tx, stop) = watch::channel(false);
    let (s, r) = (Scripted(sender.clone()), Scripted(receiver.clone()));
    let (sent, got) = tokio::join!(
        run_session(a_r, a_w, params(true, &key), &s, Until::Live, stop.clone()),
        run_session(b_r, b_w, params(false, &key), &r, Until::Live, stop),
    );
    assert!(
        matches!(sent, Err(NetError::PayloadTooLarge(n)) if n == MAX_PAYLOAD + 1),
        "{sent:?}"
    );
    assert!(got.is_ok(), "{got:?}");
    assert!(receiver.received.lock().unwrap().is_empty());
}
