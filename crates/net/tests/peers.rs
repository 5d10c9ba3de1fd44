//! Sync among more than two devices: one loop per peer, each taking only its own
//! peer's calls, and a gate that admits exactly the devices it is told, closing the
//! session of one it stops admitting. Real iroh endpoints on loopback; the replica
//! is a plain set of numbers that merges by union, so what travelled is easy to see.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kintsugi_crypto::Secret32;
use kintsugi_net::sync::{
    self, LinkEvent, Replica, ReplicaError, ReplicaFor, ReplicaSession, SessionEnd,
};
use kintsugi_net::{EndpointId, NetConfig, NetError, NetworkMode, Node};
use tokio::sync::watch;

const KEY: [u8; 32] = [7; 32];

async fn node(seed: u8, allowed: &[EndpointId]) -> Arc<Node> {
    let cfg = NetConfig {
        mode: NetworkMode::Direct,
        bind: ([127, 0, 0, 1], 0).into(),
        relay: None,
    };
    Arc::new(
        Node::spawn_allowing(&Secret32::from_bytes([seed; 32]), &cfg, allowed.to_vec())
            .await
            .unwrap(),
    )
}

fn id(seed: u8) -> EndpointId {
    kintsugi_net::SecretKey::from_bytes(&[seed; 32]).public()
}

/// A set of numbers shared by union; one per device.
struct Numbers {
    items: Mutex<BTreeSet<u8>>,
    changes: watch::Sender<u64>,
    /// Where each peer listens, as the device would remember it.
    addrs: Mutex<Vec<(EndpointId, SocketAddr)>>,
}

impl Numbers {
    fn new(items: &[u8]) -> Arc<Self> {
        Arc::new(Self {
            items: Mutex::new(items.iter().copied().collect()),
            changes: watch::channel(0).0,
            addrs: Mutex::new(Vec::new()),
        })
    }

    fn add(&self, n: u8) {
        self.items.lock().unwrap().insert(n);
        self.changes.send_modify(|c| *c += 1);
    }

    fn items(&self) -> Vec<u8> {
        self.items.lock().unwrap().iter().copied().collect()
    }

    fn knows(&self, peer: &Node) {
        let addrs = peer.direct_addrs();
        let mut known = self.addrs.lock().unwrap();
        known.extend(addrs.into_iter().map(|a| (peer.id(), a)));
    }

    /// One replica per peer, as a device keeps one sync state per peer.
    fn replica_for(self: &Arc<Self>) -> ReplicaFor {
        let me = self.clone();
        Arc::new(move |peer| {
            Arc::new(PeerView {
                numbers: me.clone(),
                peer,
            }) as Arc<dyn Replica>
        })
    }
}

struct PeerView {
    numbers: Arc<Numbers>,
    peer: EndpointId,
}

struct Session {
    numbers: Arc<Numbers>,
    sent: Option<BTreeSet<u8>>,
    theirs: Option<BTreeSet<u8>>,
}

impl ReplicaSession for Session {
    fn generate(&mut self) -> Result<Option<Vec<u8>>, ReplicaError> {
        let mine = self.numbers.items.lock().unwrap().clone();
        if self.sent.as_ref() == Some(&mine) {
            return Ok(None);
        }
        let bytes = mine.iter().copied().collect();
        self.sent = Some(mine);
        Ok(Some(bytes))
    }

    fn receive(&mut self, payload: &[u8]) -> Result<(), ReplicaError> {
        let theirs: BTreeSet<u8> = payload.iter().copied().collect();
        let grew = {
            let mut items = self.numbers.items.lock().unwrap();
            let before = items.len();
            items.extend(theirs.iter().copied());
            items.len() > before
        };
        if grew {
            self.numbers.changes.send_modify(|c| *c += 1);
        }
        self.theirs = Some(theirs);
        Ok(())
    }

    fn in_sync(&mut self) -> bool {
        let mine = self.numbers.items.lock().unwrap().clone();
        self.theirs.as_ref() == Some(&mine) && self.sent.as_ref() == Some(&mine)
    }

    fn end(&mut self) {}
}

impl Replica for PeerView {
    fn begin(&self) -> Result<Box<dyn ReplicaSession>, ReplicaError> {
        Ok(Box::new(Session {
            numbers: self.numbers.clone(),
            sent: None,
            theirs: None,
        }))
    }
    fn changes(&self) -> watch::Receiver<u64> {
        self.numbers.changes.subscribe()
    }
    fn partner_addrs(&self, _: Vec<SocketAddr>) {}
    fn known_partner_addrs(&self) -> Vec<SocketAddr> {
        let known = self.numbers.addrs.lock().unwrap();
        known
            .iter()
            .filter(|(p, _)| *p == self.peer)
            .map(|(_, a)| *a)
            .collect()
    }
    fn partner_unpaired(&self) {}
    fn link(&self, _: LinkEvent) {}
}

async fn once(
    node: &Arc<Node>,
    numbers: &Arc<Numbers>,
    peers: Vec<EndpointId>,
) -> Result<SessionEnd, NetError> {
    sync::once_all(
        node.clone(),
        Secret32::from_bytes(KEY),
        numbers.replica_for(),
        peers,
        running(),
        Duration::from_secs(20),
    )
    .await
}

/// A stop signal that never comes (a closed one would stop at once).
fn running() -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    std::mem::forget(tx);
    rx
}

async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..200 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what}: not within 10 s");
}

/// A keeps B and C in sync, each with its own loop; B and C never meet, and what
/// each of them wrote still reaches the other by way of A.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_device_keeps_two_peers_in_sync_and_carries_changes_between_them() {
    let (a, b, c) = (id(1), id(2), id(3));
    let na = node(1, &[b, c]).await;
    let nb = node(2, &[a]).await;
    let nc = node(3, &[a]).await;
    let (xa, xb, xc) = (Numbers::new(&[1]), Numbers::new(&[2]), Numbers::new(&[3]));
    xb.knows(&na);
    xc.knows(&na);
    xa.knows(&nb);
    xa.knows(&nc);

    let (peers_tx, peers) = watch::channel(vec![b, c]);
    let (stop_tx, stop) = watch::channel(false);
    let serving = tokio::spawn(sync::serve_all(
        na.clone(),
        Secret32::from_bytes(KEY),
        xa.replica_for(),
        peers,
        stop,
    ));

    // Live on all three: B and C keep a session with A.
    let live_b = tokio::spawn(sync::serve(
        nb.clone(),
        a,
        Secret32::from_bytes(KEY),
        xb.replica_for()(a),
        running(),
    ));
    let live_c = tokio::spawn(sync::serve(
        nc.clone(),
        a,
        Secret32::from_bytes(KEY),
        xc.replica_for()(a),
        running(),
    ));
    eventually("all three hold 1, 2, 3", || {
        [&xa, &xb, &xc].iter().all(|x| x.items() == vec![1, 2, 3])
    })
    .await;

    // A change on B reaches C through A, with no session between B and C.
    xb.add(20);
    eventually("C holds B's new number", || xc.items().contains(&20)).await;
    assert!(na.link_to(b).is_some() && na.link_to(c).is_some());

    // A stops admitting C: C's open session is closed, and nothing new reaches it.
    na.set_allowed([b]);
    peers_tx.send(vec![b]).unwrap();
    eventually("C's session with A is closed", || na.link_to(c).is_none()).await;
    xa.add(40);
    eventually("B holds A's new number", || xb.items().contains(&40)).await;
    xc.add(30);
    // B, still admitted, gets a second change; by then C's would have travelled too.
    xa.add(41);
    eventually("B holds A's second number", || xb.items().contains(&41)).await;
    assert!(
        !xc.items().contains(&40),
        "C was sent a change after it was removed"
    );
    assert!(
        !xa.items().contains(&30),
        "A took a change from a removed device"
    );

    // And C's own attempt is turned away before any byte of the journal.
    live_c.abort();
    let turned = once(&nc, &xc, vec![a]).await;
    assert!(
        matches!(turned, Err(NetError::NotPairedThere)),
        "{turned:?}"
    );
    assert!(!xc.items().contains(&40));

    let _ = stop_tx.send(true);
    serving.await.unwrap();
    live_b.abort();
    for n in [na, nb, nc] {
        n.shutdown().await;
    }
}

/// A one-shot sync with two peers of which one is off ends in sync with the other:
/// the one that does not answer is no error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_shot_sync_with_one_peer_off_syncs_the_other() {
    let (a, b, c) = (id(11), id(12), id(13));
    let na = node(11, &[b, c]).await;
    let nb = node(12, &[a]).await;
    let (xa, xb) = (Numbers::new(&[1]), Numbers::new(&[2]));
    xa.knows(&nb);
    // C's address: a port nobody listens on.
    xa.addrs
        .lock()
        .unwrap()
        .push((c, ([127, 0, 0, 1], 9).into()));
    xb.knows(&na);
    let other = tokio::spawn({
        let (nb, xb) = (nb.clone(), xb.clone());
        async move { once(&nb, &xb, vec![a]).await }
    });
    let r = once(&na, &xa, vec![b, c]).await;
    assert!(matches!(r, Ok(SessionEnd::InSync)), "{r:?}");
    assert_eq!(xa.items(), vec![1, 2]);
    assert!(matches!(other.await.unwrap(), Ok(SessionEnd::InSync)));
    for n in [na, nb] {
        n.shutdown().await;
    }
}
