//! A meddler between two sync sessions: tampered, replayed, reordered, dropped and
//! oversized frames each end the receiving session, and nothing from the bad frame
//! (or after it) reaches the replica.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use kintsugi_crypto::Secret32;
use kintsugi_net::NetError;
use kintsugi_net::frame::{FrameReader, FrameWriter, MAX_FRAME};
use kintsugi_net::sync::{
    LinkEvent, Replica, ReplicaError, ReplicaSession, SessionParams, Until, run_session,
};
use tokio::io::AsyncWriteExt;
use tokio::sync::watch;

/// Sends a fixed list of payloads and records what it receives.
struct Script {
    outgoing: Mutex<Vec<Vec<u8>>>,
    received: Arc<Mutex<Vec<Vec<u8>>>>,
    changes: watch::Sender<u64>,
}

impl Script {
    fn new(outgoing: Vec<Vec<u8>>) -> Arc<Self> {
        Arc::new(Self {
            outgoing: Mutex::new(outgoing.into_iter().rev().collect()),
            received: Arc::new(Mutex::new(Vec::new())),
            changes: watch::channel(0).0,
        })
    }
}

struct ScriptSession(Arc<Script>);

impl ReplicaSession for ScriptSession {
    fn generate(&mut self) -> Result<Option<Vec<u8>>, ReplicaError> {
        // The session sends one message per round; ticking `changes` asks for the
        // next round while the script has more to say.
        let next = self.0.outgoing.lock().unwrap().pop();
        if next.is_some() {
            self.0.changes.send_modify(|n| *n += 1);
        }
        Ok(next)
    }
    fn receive(&mut self, payload: &[u8]) -> Result<(), ReplicaError> {
        self.0.received.lock().unwrap().push(payload.to_vec());
        Ok(())
    }
    fn in_sync(&mut self) -> bool {
        false
    }
    fn end(&mut self) {}
}

struct Shared(Arc<Script>);

impl Replica for Shared {
    fn begin(&self) -> Result<Box<dyn ReplicaSession>, ReplicaError> {
        Ok(Box::new(ScriptSession(self.0.clone())))
    }
    fn changes(&self) -> watch::Receiver<u64> {
        self.0.changes.subscribe()
    }
    fn partner_addrs(&self, _: Vec<SocketAddr>) {}
    fn known_partner_addrs(&self) -> Vec<SocketAddr> {
        Vec::new()
    }
    fn partner_unpaired(&self) {}
    fn link(&self, _: LinkEvent) {}
}

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
    let key = Secret32::from_bytes([42; 32]);
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
    let s_replica = Shared(sender.clone());
    let r_replica = Shared(receiver.clone());
    let s = run_session(
        s_r,
        s_w,
        SessionParams {
            dialer: true,
            me: id(1),
            them: id(2),
            couple_key: &key,
            my_addrs: Vec::new(),
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
            couple_key: &key,
            my_addrs: Vec::new(),
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
    let (res, got) = run(Meddle::None).await;
    assert!(res.is_ok());
    assert_eq!(got.len(), 5);
}

#[tokio::test]
async fn a_tampered_frame_ends_the_session_and_is_not_applied() {
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
    let (res, got) = run(Meddle::Replay(2)).await;
    assert!(matches!(res, Err(NetError::BadFrame)), "{res:?}");
    assert_eq!(got, vec![vec![0u8; 10]]);
}

#[tokio::test]
async fn reordered_frames_end_the_session() {
    let (res, got) = run(Meddle::Swap(3)).await;
    assert!(matches!(res, Err(NetError::BadFrame)), "{res:?}");
    assert_eq!(got, vec![vec![0u8; 10]]);
}

#[tokio::test]
async fn a_dropped_frame_ends_the_session() {
    let (res, got) = run(Meddle::Drop(2)).await;
    assert!(matches!(res, Err(NetError::BadFrame)), "{res:?}");
    assert!(got.is_empty());
}

#[tokio::test]
async fn an_oversized_frame_ends_the_session() {
    let (res, got) = run(Meddle::Oversize(4)).await;
    assert!(matches!(res, Err(NetError::FrameTooLarge(_))), "{res:?}");
    assert_eq!(got.len(), 2);
}

#[tokio::test]
async fn a_tampered_sealed_hello_means_no_session_at_all() {
    let (res, got) = run(Meddle::Flip(1)).await;
    assert!(res.is_err());
    assert!(got.is_empty());
}
