//! Sync among more than two devices: one loop per peer, each taking only its own
//! peer's calls, and a gate that admits exactly the devices it is told, closing the
//! session of one it stops admitting. The diary's protocol (`kintsugi/self/1`) beside
//! the shared one: each with its own gate, calls and key. Real iroh endpoints on
//! loopback; the replica is a plain set of numbers that merges by union, so what
//! travelled is easy to see.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kintsugi_crypto::Secret32;
use kintsugi_net::sync::{
    self, LinkEvent, Replica, ReplicaError, ReplicaFor, ReplicaSession, SessionEnd, SessionKeys,
};
use kintsugi_net::{EndpointId, NetConfig, NetError, NetworkMode, Node, Protocol};
use tokio::sync::watch;

const KEY: [u8; 32] = [7; 32];
/// A person's self key, for the diary's protocol.
const OWN_KEY: [u8; 32] = [9; 32];

fn loopback() -> NetConfig {
    NetConfig {
        mode: NetworkMode::Direct,
        bind: ([127, 0, 0, 1], 0).into(),
        relay: None,
    }
}

async fn node(seed: u8, allowed: &[EndpointId]) -> Arc<Node> {
    Arc::new(
        Node::spawn_allowing(
            &Secret32::from_bytes([seed; 32]),
            &loopback(),
            allowed.to_vec(),
        )
        .await
        .unwrap(),
    )
}

/// A node with a gate for each protocol: `shared` on `kintsugi/sync/1`, `own` on
/// `kintsugi/self/1`.
async fn node_own(seed: u8, shared: &[EndpointId], own: &[EndpointId]) -> Arc<Node> {
    Arc::new(
        Node::spawn_allowing_own(
            &Secret32::from_bytes([seed; 32]),
            &loopback(),
            shared.to_vec(),
            own.to_vec(),
        )
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
    once_on(node, Protocol::Shared, KEY, numbers, peers).await
}

async fn once_on(
    node: &Arc<Node>,
    protocol: Protocol,
    key: [u8; 32],
    numbers: &Arc<Numbers>,
    peers: Vec<EndpointId>,
) -> Result<SessionEnd, NetError> {
    sync::once_all(
        node.clone(),
        protocol,
        SessionKeys::single(Secret32::from_bytes(key)),
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
        Protocol::Shared,
        SessionKeys::single(Secret32::from_bytes(KEY)),
        xa.replica_for(),
        peers,
        stop,
    ));

    // Live on all three: B and C keep a session with A.
    let live_b = tokio::spawn(sync::serve(
        nb.clone(),
        Protocol::Shared,
        a,
        SessionKeys::single(Secret32::from_bytes(KEY)),
        xb.replica_for()(a),
        running(),
    ));
    let live_c = tokio::spawn(sync::serve(
        nc.clone(),
        Protocol::Shared,
        a,
        SessionKeys::single(Secret32::from_bytes(KEY)),
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

/// A keeps its shared journal in sync with B (its partner) and its diary with C (its
/// own other device), on one endpoint. Each protocol's gate names only its own
/// devices: B is turned away on the diary's protocol and C on the shared one, before
/// any byte; what travels on one never reaches the other's replica; the path to the
/// partner is read from shared sessions only; and removing C from the diary's gate
/// closes its session there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_protocol_admits_only_the_devices_its_own_gate_names() {
    let (a, b, c) = (id(21), id(22), id(23));
    let na = node_own(21, &[b], &[c]).await;
    let nb = node_own(22, &[a], &[]).await;
    let nc = node_own(23, &[], &[a]).await;
    // A's shared journal and A's diary; B's journal; C's diary.
    let (xa, xo) = (Numbers::new(&[1]), Numbers::new(&[101]));
    let (xb, xc) = (Numbers::new(&[2]), Numbers::new(&[103]));
    xa.knows(&nb);
    xo.knows(&nc);
    xb.knows(&na);
    xc.knows(&na);

    let (stop_tx, stop) = watch::channel(false);
    // Kept: a set whose sender is gone ends the loops.
    let (_shared_tx, shared_peers) = watch::channel(vec![b]);
    let shared = tokio::spawn(sync::serve_all(
        na.clone(),
        Protocol::Shared,
        SessionKeys::single(Secret32::from_bytes(KEY)),
        xa.replica_for(),
        shared_peers,
        stop.clone(),
    ));
    let (own_tx, own) = watch::channel(vec![c]);
    let diary = tokio::spawn(sync::serve_all(
        na.clone(),
        Protocol::Own,
        SessionKeys::single(Secret32::from_bytes(OWN_KEY)),
        xo.replica_for(),
        own,
        stop,
    ));
    let live_b = tokio::spawn(sync::serve(
        nb.clone(),
        Protocol::Shared,
        a,
        SessionKeys::single(Secret32::from_bytes(KEY)),
        xb.replica_for()(a),
        running(),
    ));
    let live_c = tokio::spawn(sync::serve(
        nc.clone(),
        Protocol::Own,
        a,
        SessionKeys::single(Secret32::from_bytes(OWN_KEY)),
        xc.replica_for()(a),
        running(),
    ));
    eventually("A and B share 1, 2; A's diary and C share 101, 103", || {
        xa.items() == vec![1, 2]
            && xb.items() == vec![1, 2]
            && xo.items() == vec![101, 103]
            && xc.items() == vec![101, 103]
    })
    .await;
    // The partner's link is a shared session's; the diary's session is not one.
    assert!(na.link_to(b).is_some());
    assert!(
        na.link_to(c).is_none(),
        "a diary session counted as a partner link"
    );
    assert_eq!(na.allowed(), vec![b]);
    assert_eq!(na.allowed_own(), vec![c]);

    // Each is turned away on the protocol whose gate does not name it.
    let (xb2, xc2) = (Numbers::new(&[2]), Numbers::new(&[103]));
    xb2.knows(&na);
    xc2.knows(&na);
    let r = once_on(&nb, Protocol::Own, OWN_KEY, &xb2, vec![a]).await;
    assert!(matches!(r, Err(NetError::NotPairedThere)), "{r:?}");
    let r = once_on(&nc, Protocol::Shared, KEY, &xc2, vec![a]).await;
    assert!(matches!(r, Err(NetError::NotPairedThere)), "{r:?}");

    // Changes keep to their protocol.
    xo.add(150);
    xa.add(50);
    eventually("C holds A's diary number, B A's journal number", || {
        xc.items().contains(&150) && xb.items().contains(&50)
    })
    .await;
    assert!(!xb.items().contains(&150) && !xa.items().contains(&150));
    assert!(!xc.items().contains(&50) && !xo.items().contains(&50));

    // C leaves the diary's gate: its open session is closed, and nothing of A's
    // diary reaches it afterwards, while the shared journal carries on.
    na.set_allowed_own([]);
    own_tx.send(vec![]).unwrap();
    xo.add(160);
    xa.add(60);
    eventually("B holds A's next journal number", || {
        xb.items().contains(&60)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !xc.items().contains(&160),
        "C was sent A's diary after it was removed"
    );
    live_c.abort();
    let r = once_on(&nc, Protocol::Own, OWN_KEY, &xc2, vec![a]).await;
    assert!(matches!(r, Err(NetError::NotPairedThere)), "{r:?}");

    let _ = stop_tx.send(true);
    shared.await.unwrap();
    diary.await.unwrap();
    live_b.abort();
    for n in [na, nb, nc] {
        n.shutdown().await;
    }
}

/// A device let through the diary's gate that does not hold the self key (the
/// partner's, were a gate ever set wrong: it holds only the couple key) fails at the
/// handshake: the greetings name different keys, so no session key is derived and
/// no payload is exchanged either way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_diary_session_under_another_key_fails_at_the_handshake() {
    let (a, c) = (id(31), id(33));
    let na = node_own(31, &[c], &[c]).await;
    let nc = node_own(33, &[a], &[a]).await;
    let (xo, xc) = (Numbers::new(&[101]), Numbers::new(&[103]));
    xo.knows(&nc);
    xc.knows(&na);
    let (stop_tx, stop) = watch::channel(false);
    let (_own_tx, own) = watch::channel(vec![c]);
    let diary = tokio::spawn(sync::serve_all(
        na.clone(),
        Protocol::Own,
        SessionKeys::single(Secret32::from_bytes(OWN_KEY)),
        xo.replica_for(),
        own,
        stop,
    ));
    // The couple key where the self key belongs: what the partner holds.
    let r = sync::dial(
        &nc,
        Protocol::Own,
        a,
        &SessionKeys::single(Secret32::from_bytes(KEY)),
        xc.replica_for()(a).as_ref(),
        sync::Until::InSync,
        running(),
    )
    .await;
    assert!(matches!(r, Err(NetError::OtherEpoch(_))), "{r:?}");
    assert_eq!(xo.items(), vec![101]);
    assert_eq!(xc.items(), vec![103]);

    // Under the self key, the same two devices sync: only the key was wrong.
    let r = sync::dial(
        &nc,
        Protocol::Own,
        a,
        &SessionKeys::single(Secret32::from_bytes(OWN_KEY)),
        xc.replica_for()(a).as_ref(),
        sync::Until::InSync,
        running(),
    )
    .await;
    assert!(matches!(r, Ok(SessionEnd::InSync)), "{r:?}");
    assert_eq!(xc.items(), vec![101, 103]);

    let _ = stop_tx.send(true);
    diary.await.unwrap();
    for n in [na, nc] {
        n.shutdown().await;
    }
}
