//! Two real devices in one process, over real iroh connections on loopback: pairing,
//! live sync, refusals, and bundles.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kintsugi_device::{Device, NetOverrides, Network, NetworkMode, Options};

struct Side {
    _dir: tempfile::TempDir,
    device: Device,
    net: Network,
}

/// Strong enough for the passphrase floor.
const PASS: &[u8] = b"correct horse battery staple";

fn opts() -> Options {
    Options::INSECURE_FAST_FOR_TESTS
}

fn loopback() -> NetOverrides {
    NetOverrides {
        mode: Some(NetworkMode::Direct),
        bind: Some(kintsugi_device::Bind::Socket(([127, 0, 0, 1], 0).into())),
        relay: None,
    }
}

async fn side(name: &str) -> Side {
    let dir = tempfile::tempdir().unwrap();
    let device = Device::create(&dir.path().join("p"), name, PASS, opts()).unwrap();
    let net = device.start_network(&loopback()).await.unwrap();
    Side {
        _dir: dir,
        device,
        net,
    }
}

async fn pair(a: &Side, b: &Side) {
    let invite = a.net.create_invite(Duration::from_secs(60)).unwrap();
    let (host, join) = tokio::join!(a.net.host(&invite), b.net.join(&invite));
    let (host, join) = (host.unwrap(), join.unwrap());
    assert_eq!(host.sas(), join.sas(), "both screens show the same code");
    assert_eq!(host.partner_name(), "Bea");
    assert_eq!(join.partner_name(), "Ari");
    let (x, y) = tokio::join!(
        a.net.finish_pairing(host, true),
        b.net.finish_pairing(join, true)
    );
    assert_eq!(x.unwrap(), "Bea");
    assert_eq!(y.unwrap(), "Ari");
}

async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn texts(d: &Device) -> Vec<String> {
    let mut t: Vec<String> = d
        .boundaries()
        .unwrap()
        .into_iter()
        .map(|b| b.text)
        .collect();
    t.sort();
    t
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_devices_pair_sync_live_and_keep_the_diary_private() {
    let a = side("Ari").await;
    let b = side("Bea").await;
    // Written before pairing, on both sides: it all merges.
    a.device
        .propose_boundary("from Ari before pairing", None)
        .unwrap();
    b.device
        .propose_boundary("from Bea before pairing", None)
        .unwrap();
    a.device
        .add_diary_entry("CANARY-DIARY-a1 never leaves Ari", None, None)
        .unwrap();
    a.device
        .draft_letter(
            kintsugi_device::LetterKind::Hope,
            "CANARY-DRAFT-a1",
            "unsent",
        )
        .unwrap();

    let received = Arc::new(Mutex::new(Vec::<u8>::new()));
    let sink = received.clone();
    b.device.tap_sync_payloads(Some(Box::new(move |p| {
        sink.lock().unwrap().extend_from_slice(p)
    })));

    pair(&a, &b).await;
    assert!(a.device.partner().unwrap().is_some());
    assert!(a.net.start_sync().unwrap());
    assert!(b.net.start_sync().unwrap());

    let want = vec![
        "from Ari before pairing".to_string(),
        "from Bea before pairing".to_string(),
    ];
    eventually("the first sync", || {
        texts(&a.device) == want && texts(&b.device) == want
    })
    .await;

    // Live, both directions, and concurrent edits.
    let started = Instant::now();
    a.device.propose_boundary("live from Ari", None).unwrap();
    eventually("live change to reach Bea", || {
        texts(&b.device).contains(&"live from Ari".to_string())
    })
    .await;
    eprintln!("live change arrived after {:?}", started.elapsed());
    for i in 0..5 {
        a.device.propose_boundary(&format!("a{i}"), None).unwrap();
        b.device.propose_boundary(&format!("b{i}"), None).unwrap();
    }
    eventually("concurrent edits to converge", || {
        texts(&a.device).len() == 13 && texts(&a.device) == texts(&b.device)
    })
    .await;

    // Agreement needs both partners, and now it can happen.
    let id = a
        .device
        .boundaries()
        .unwrap()
        .into_iter()
        .find(|x| x.text == "from Ari before pairing")
        .unwrap()
        .id;
    b.device.agree_boundary(&id).unwrap();
    eventually("Bea's agreement to reach Ari", || {
        a.device
            .boundaries()
            .unwrap()
            .iter()
            .any(|x| x.id == id && x.status == kintsugi_device::BoundaryStatus::Agreed)
    })
    .await;
    // Names travelled through the journal.
    assert_eq!(
        b.device.partner().unwrap().unwrap().name.as_deref(),
        Some("Ari")
    );

    // The private diary and drafts never crossed.
    let seen = received.lock().unwrap().clone();
    assert!(!seen.is_empty());
    let contains = |n: &[u8]| seen.windows(n.len()).any(|w| w == n);
    assert!(
        contains(b"live from Ari"),
        "the tap sees the shared content"
    );
    assert!(!contains(b"CANARY"), "private content reached the partner");
    assert!(b.device.diary_entries().unwrap().is_empty());
    let export = b
        .device
        .export(
            kintsugi_device::ExportFormat::Json,
            kintsugi_device::ExportScope::WithPrivate,
        )
        .unwrap();
    assert!(!export.windows(6).any(|w| w == b"CANARY"));

    a.net.shutdown().await;
    b.net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_is_refused_on_the_sync_protocol_before_any_frame() {
    let a = side("Ari").await;
    let b = side("Bea").await;
    pair(&a, &b).await;
    a.net.start_sync().unwrap();
    let stranger = side("Eve").await;
    let conn = stranger
        .net
        .node()
        .connect(a.net.addr(), kintsugi_net::SYNC_ALPN)
        .await
        .unwrap();
    // The TLS handshake completes (QUIC must, to learn who is calling), then the
    // gate closes the connection before reading anything.
    let reason = tokio::time::timeout(Duration::from_secs(10), conn.closed())
        .await
        .unwrap();
    assert!(reason.to_string().contains("not paired"), "{reason}");
    a.net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn used_expired_and_forged_invites_are_refused_clearly() {
    let a = side("Ari").await;
    let b = side("Bea").await;
    let c = side("Cy").await;

    // Expired: refused on the joining side before connecting, and by the host.
    let mut expired = a
        .net
        .create_invite(Duration::from_secs(60))
        .unwrap()
        .invite()
        .clone();
    expired.expires = 1;
    let err = b.net.join(&expired).await.unwrap_err();
    assert!(err.to_string().contains("expired"), "{err}");

    // Forged: right address, wrong secret. The host turns it away and keeps waiting.
    let invite = a.net.create_invite(Duration::from_secs(60)).unwrap();
    let mut forged = invite.invite().clone();
    forged.secret = kintsugi_store::Secret32::from_bytes([7; 32]);
    // The door opens before anyone dials, as a shown invite's does (`start_hosting`):
    // a future that opens it only when first polled can lose that race under load.
    let host = a.net.start_hosting(&invite).unwrap().wait();
    tokio::pin!(host);
    let forged_join = c.net.join(&forged);
    let err = tokio::select! {
        r = forged_join => r.unwrap_err(),
        _ = &mut host => panic!("the host must not accept a forged invite"),
    };
    assert!(err.to_string().contains("does not match"), "{err}");

    // The real one still works while the host keeps waiting…
    let (host, join) = tokio::join!(host, b.net.join(&invite));
    let (host, join) = (host.unwrap(), join.unwrap());
    let (x, y) = tokio::join!(
        a.net.finish_pairing(host, true),
        b.net.finish_pairing(join, true)
    );
    x.unwrap();
    y.unwrap();

    // …and is burned after: a second join with it is refused.
    let err = c.net.join(&invite).await.unwrap_err();
    assert!(err.to_string().contains("already used"), "{err}");
    assert!(c.device.partner().unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn if_one_person_declines_nothing_is_stored_on_either_side() {
    let a = side("Ari").await;
    let b = side("Bea").await;
    let invite = a.net.create_invite(Duration::from_secs(60)).unwrap();
    let (host, join) = tokio::join!(a.net.host(&invite), b.net.join(&invite));
    let (x, y) = tokio::join!(
        a.net.finish_pairing(host.unwrap(), true),
        b.net.finish_pairing(join.unwrap(), false)
    );
    assert!(x.unwrap_err().to_string().contains("declined"));
    assert!(y.unwrap_err().to_string().contains("declined"));
    assert!(a.device.partner().unwrap().is_none());
    assert!(b.device.partner().unwrap().is_none());
    assert!(!a.device.status().unwrap().paired && !b.device.status().unwrap().paired);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bundles_carry_changes_without_a_network() {
    let a = side("Ari").await;
    let b = side("Bea").await;
    pair(&a, &b).await;
    a.device.propose_boundary("first", None).unwrap();
    let one = a.device.export_bundle().unwrap();
    a.device.propose_boundary("second", None).unwrap();
    let two = a.device.export_bundle().unwrap();

    // Newer first, then older, then again: harmless, and all converge.
    assert!(b.device.import_bundle(&two).unwrap());
    assert!(!b.device.import_bundle(&one).unwrap());
    assert!(!b.device.import_bundle(&two).unwrap());
    assert_eq!(texts(&b.device), ["first", "second"]);
    let back = b.device.export_bundle().unwrap();
    b.device.propose_boundary("from Bea", None).unwrap();
    let back2 = b.device.export_bundle().unwrap();
    a.device.import_bundle(&back).unwrap();
    a.device.import_bundle(&back2).unwrap();
    assert_eq!(texts(&a.device), texts(&b.device));

    // Tampered, or from another couple: refused, nothing changes.
    let mut bad = two.clone();
    let n = bad.len();
    bad[n - 5] ^= 1;
    assert!(
        b.device
            .import_bundle(&bad)
            .unwrap_err()
            .to_string()
            .contains("damaged")
    );
    let c = side("Cy").await;
    let d = side("Dee").await;
    let invite = c.net.create_invite(Duration::from_secs(60)).unwrap();
    let (h, j) = tokio::join!(c.net.host(&invite), d.net.join(&invite));
    let (x, y) = tokio::join!(
        c.net.finish_pairing(h.unwrap(), true),
        d.net.finish_pairing(j.unwrap(), true)
    );
    x.unwrap();
    y.unwrap();
    c.device.propose_boundary("other couple", None).unwrap();
    let foreign = c.device.export_bundle().unwrap();
    assert!(
        b.device
            .import_bundle(&foreign)
            .unwrap_err()
            .to_string()
            .contains("not made by another device of your couple")
    );
    assert_eq!(texts(&b.device), ["first", "from Bea", "second"]);
}

fn free_loopback_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Both devices starting at the same moment dial each other; the tie-break must keep
/// one session and drive it at once, not stall until a handshake times out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simultaneous_starts_settle_on_one_session_without_a_stall() {
    let dirs = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = Device::create(&dirs.0.path().join("p"), "Ari", PASS, opts()).unwrap();
    let b = Device::create(&dirs.1.path().join("p"), "Bea", PASS, opts()).unwrap();
    let ports = (free_loopback_port(), free_loopback_port());
    let at = |port: u16| NetOverrides {
        mode: Some(NetworkMode::Direct),
        bind: Some(kintsugi_device::Bind::Socket(([127, 0, 0, 1], port).into())),
        relay: None,
    };
    {
        let (na, nb) = (
            a.start_network(&at(ports.0)).await.unwrap(),
            b.start_network(&at(ports.1)).await.unwrap(),
        );
        let invite = na.create_invite(Duration::from_secs(60)).unwrap();
        let (h, j) = tokio::join!(na.host(&invite), nb.join(&invite));
        let (x, y) = tokio::join!(
            na.finish_pairing(h.unwrap(), true),
            nb.finish_pairing(j.unwrap(), true)
        );
        x.unwrap();
        y.unwrap();
        na.shutdown().await;
        nb.shutdown().await;
    }
    let rounds = std::env::var("KINTSUGI_START_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    for round in 0..rounds {
        let (oa, ob) = (at(ports.0), at(ports.1));
        let (na, nb) = tokio::join!(a.start_network(&oa), b.start_network(&ob));
        let (na, nb) = (na.unwrap(), nb.unwrap());
        assert!(na.start_sync().unwrap() && nb.start_sync().unwrap());
        let text = format!("round {round}");
        a.propose_boundary(&text, None).unwrap();
        let started = Instant::now();
        while !texts(&b).contains(&text) {
            // A stall would last until the 15 s handshake timeout.
            assert!(
                started.elapsed() < Duration::from_secs(8),
                "round {round}: the change stalled"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        eprintln!("round {round}: arrived after {:?}", started.elapsed());
        na.shutdown().await;
        nb.shutdown().await;
    }
}

/// A first sync of a big history (as the benchmark's catch-up, where a stall was
/// found): enough entries that the incoming chunk is stored by a compaction (over
/// 256 KiB), over live sessions started at the same moment on both sides, as two
/// apps opening together do. `KINTSUGI_BIG_HISTORY=N` sets the size.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_big_history_reaches_an_empty_partner() {
    let n: usize = std::env::var("KINTSUGI_BIG_HISTORY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6000);
    let (a, b) = (side("Ari").await, side("Bea").await);
    pair(&a, &b).await;
    for i in 0..n {
        a.device
            .propose_boundary(&format!("boundary {i} with some words in it"), None)
            .unwrap();
        a.device
            .add_diary_entry(&format!("diary {i} with some words in it"), None, None)
            .unwrap();
    }
    let started = Instant::now();
    assert!(a.net.start_sync().unwrap() && b.net.start_sync().unwrap());
    let deadline = Instant::now() + Duration::from_secs(60);
    while b.device.boundaries().unwrap().len() < n {
        assert!(
            Instant::now() < deadline,
            "only {} of {n} entries arrived",
            b.device.boundaries().unwrap().len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!("{n} entries arrived after {:?}", started.elapsed());
}

// --- An attacker who controls the invite ---------------------------------------------

/// What Mallory's grinding gave: how many keys she tried (None: no match), the code
/// she steered Bea's screen to, and her connection, kept open so that a joiner that
/// skipped the commitment check would reach the codes.
struct Steered {
    tries: Option<usize>,
    sas: String,
    _keep: Box<dyn std::any::Any + Send>,
}

/// A fake inviter: someone who swapped the invite on its way to Bea for one of their
/// own, so they know its secret and can answer her. They listen on a raw iroh endpoint
/// and speak the pairing protocol by hand.
struct Mallory {
    endpoint: iroh::Endpoint,
    offer: kintsugi_net::Offer,
}

impl Mallory {
    async fn new() -> Self {
        let endpoint = iroh::Endpoint::builder(iroh::endpoint::presets::Minimal)
            .alpns(vec![kintsugi_net::PAIR_ALPN.to_vec()])
            .relay_mode(iroh::RelayMode::Disabled)
            .clear_ip_transports()
            .bind_addr("127.0.0.1:0")
            .unwrap()
            .bind()
            .await
            .unwrap();
        let addr = iroh::EndpointAddr::from_parts(
            endpoint.id(),
            endpoint
                .bound_sockets()
                .into_iter()
                .map(kintsugi_net::iroh_transport),
        );
        let expires = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 60;
        let offer = kintsugi_net::Offer::new(&addr, expires).unwrap();
        Self { endpoint, offer }
    }

    /// Takes Bea's join, reads J, and then tries fresh keys I until the last three
    /// digits of the code Bea would see equal `target`'s (at most `tries`), and answers
    /// with that key. Returns how many keys it tried (None: no match, no answer) and
    /// the code it steered Bea's screen to.
    async fn answer(&self, target: &str, tries: usize) -> Steered {
        use kintsugi_net::frame::{FrameReader, FrameWriter};
        use kintsugi_net::pair;
        let conn = self.endpoint.accept().await.unwrap().await.unwrap();
        let (send, recv) = conn.accept_bi().await.unwrap();
        let mut w = FrameWriter::new(send, 4096);
        let mut r = FrameReader::new(recv, 4096);
        let req = pair::JoinRequest::decode(&r.read().await.unwrap().unwrap()).unwrap();
        let invite = self.offer.invite();
        let th0 = pair::th0(invite, &self.endpoint.id(), &conn.remote_id());
        let j = req.joiner_key;
        let suffix = &target[4..];
        let mut found = None;
        for n in 1..=tries {
            let eph = kintsugi_crypto::EphemeralKeypair::generate();
            let i = eph.public();
            let th = pair::transcript_hash(&th0, &j, &i);
            let keys = pair::derive(&invite.secret, &eph.agree(&j).unwrap(), &th);
            if keys.sas.ends_with(suffix) {
                found = Some((n, i, keys, th));
                break;
            }
        }
        let Some((n, i, keys, th)) = found else {
            return Steered {
                tries: None,
                sas: String::new(),
                _keep: Box::new((conn, w, r)),
            };
        };
        let reply = pair::Reply::Accepted {
            inviter_key: i,
            mac: pair::inviter_mac(&invite.secret, &th0, &j, &i),
        };
        w.write(&reply.encode()).await.unwrap();
        // Without the commitment Bea would go on to the sealed hellos: answer them, so
        // that a joiner that skipped the check would reach the codes.
        let (mut sealer, mut opener) = pair::channel(&keys, &th, false);
        if let Ok(Some(frame)) = r.read().await
            && opener.open(&frame).is_ok()
        {
            let hello = pair::Hello {
                name: "Ari".into(),
                addrs: vec![],
                relay: None,
            };
            let _ = w.write(&sealer.seal(&hello.encode()).unwrap()).await;
        }
        Steered {
            tries: Some(n),
            sas: keys.sas.clone(),
            _keep: Box::new((conn, w, r)),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_swapped_invite_cannot_steer_the_codes() {
    // Mallory first joins Ari's real invite, as the man in the middle would, and sees
    // the code Ari's screen shows.
    let ari = side("Ari").await;
    let bea = side("Bea").await;
    let mallory_node = side("Mallory").await;
    let ari_offer = ari.net.create_invite(Duration::from_secs(60)).unwrap();
    let (host, join) = tokio::join!(
        ari.net.host(&ari_offer),
        mallory_node.net.join(ari_offer.invite())
    );
    let (host, join) = (host.unwrap(), join.unwrap());
    let target = host.sas().to_string();
    assert_eq!(join.sas(), target);
    drop((host, join));

    // Then Bea joins what she thinks is Ari's invite. Five rounds, each a fresh fake
    // invite: Mallory tries thousands of keys after reading J and finds one whose code
    // ends like Ari's (what a person glancing at the codes might accept). Bea refuses
    // every one before any code exists, because it is not the key the invite promised.
    for round in 0..5 {
        let mallory = Mallory::new().await;
        let fake = mallory.offer.invite().clone();
        let (grind, joined) = tokio::join!(mallory.answer(&target, 20_000), bea.net.join(&fake));
        let tries = grind
            .tries
            .expect("grinding three digits takes about a thousand tries");
        assert!(grind.sas.ends_with(&target[4..]));
        let err = match joined {
            Ok(p) => panic!(
                "round {round}: Bea reached the codes with a key the invite did not promise: she sees {}, Ari sees {target}",
                p.sas()
            ),
            Err(e) => e,
        };
        assert!(err.to_string().contains("swapped"), "round {round}: {err}");
        eprintln!(
            "round {round}: Mallory matched the last three digits after {tries} keys; Bea refused the key"
        );
        mallory.endpoint.close().await;
    }
    assert!(bea.device.partner().unwrap().is_none());
    assert!(!bea.device.status().unwrap().paired);

    // An honest invite still pairs, and both screens show equal codes.
    let cai = side("Cai").await;
    let offer = cai.net.create_invite(Duration::from_secs(60)).unwrap();
    let (h, j) = tokio::join!(cai.net.host(&offer), bea.net.join(&offer));
    let (h, j) = (h.unwrap(), j.unwrap());
    assert_eq!(h.sas(), j.sas());
    let (x, y) = tokio::join!(
        cai.net.finish_pairing(h, true),
        bea.net.finish_pairing(j, true)
    );
    x.unwrap();
    y.unwrap();
    for s in [&ari, &bea, &mallory_node, &cai] {
        s.net.shutdown().await;
    }
}

/// A bare iroh endpoint on loopback: a nearby device that is not Kintsugi.
async fn loopback_endpoint() -> iroh::Endpoint {
    iroh::Endpoint::builder(iroh::endpoint::presets::Minimal)
        .relay_mode(iroh::RelayMode::Disabled)
        .clear_ip_transports()
        .bind_addr("127.0.0.1:0")
        .unwrap()
        .bind()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_connections_cannot_block_a_shown_invite() {
    let ari = side("Ari").await;
    let bea = side("Bea").await;
    let offer = ari.net.create_invite(Duration::from_secs(60)).unwrap();
    let addr = offer.endpoint_addr();
    // The door opens before anyone dials, as a shown invite's does (`start_hosting`):
    // a future that opens it only when first polled can lose that race under load.
    let host = ari.net.start_hosting(&offer).unwrap().wait();
    tokio::pin!(host);

    // Ten devices nearby open pairing connections and say nothing.
    let mut silent = Vec::new();
    for _ in 0..10 {
        let ep = loopback_endpoint().await;
        let conn = tokio::select! {
            c = ep.connect(addr.clone(), kintsugi_net::PAIR_ALPN) => c.unwrap(),
            r = &mut host => panic!("the host ended: {:?}", r.map(|p| p.sas().to_string())),
        };
        // A stream opened and never written to, for good measure.
        let streams = conn.open_bi().await.ok();
        silent.push((ep, conn, streams));
    }

    // The real partner still joins at once.
    let started = Instant::now();
    let join = tokio::time::timeout(Duration::from_secs(5), bea.net.join(&offer));
    let (h, j) = tokio::join!(host, join);
    let j = j
        .expect("the real join must not wait behind silent connections")
        .unwrap();
    let h = h.unwrap();
    assert_eq!(h.sas(), j.sas());
    eprintln!(
        "joined in {:?} beside {} silent connections",
        started.elapsed(),
        silent.len()
    );
    let (x, y) = tokio::join!(
        ari.net.finish_pairing(h, true),
        bea.net.finish_pairing(j, true)
    );
    x.unwrap();
    y.unwrap();
    for (ep, _, _) in silent {
        ep.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_attempts_says_busy_not_used() {
    let ari = side("Ari").await;
    let bea = side("Bea").await;
    let offer = ari.net.create_invite(Duration::from_secs(60)).unwrap();
    let addr = offer.endpoint_addr();
    // The door opens before anyone dials, as a shown invite's does (`start_hosting`):
    // a future that opens it only when first polled can lose that race under load.
    let host = ari.net.start_hosting(&offer).unwrap().wait();
    tokio::pin!(host);
    // More silent attempts than the host serves at once.
    let mut silent = Vec::new();
    let mut others = Vec::new();
    for _ in 0..kintsugi_net::pair::MAX_ATTEMPTS + 4 {
        // Each from its own endpoint id, as a determined device could.
        let e = loopback_endpoint().await;
        let conn = tokio::select! {
            c = e.connect(addr.clone(), kintsugi_net::PAIR_ALPN) => c.unwrap(),
            r = &mut host => panic!("the host ended: {:?}", r.map(|p| p.sas().to_string())),
        };
        silent.push(conn);
        others.push(e);
    }
    let joined = tokio::select! {
        j = bea.net.join(&offer) => j,
        r = &mut host => panic!("the host ended: {:?}", r.map(|p| p.sas().to_string())),
    };
    let err = joined.expect_err("the host is full of attempts");
    assert!(err.to_string().contains("busy"), "{err}");
    assert!(!err.to_string().contains("already used"), "{err}");
    // Once the silent ones are timed out, the same invite still works.
    drop(silent);
    tokio::time::sleep(kintsugi_net::pair::FIRST_MESSAGE_TIMEOUT + Duration::from_millis(500))
        .await;
    let (h, j) = tokio::join!(host, bea.net.join(&offer));
    assert_eq!(h.unwrap().sas(), j.unwrap().sas());
    for e in others {
        e.close().await;
    }
}
