//! Strangers with garbage at the pairing endpoint.

use super::*;

async fn node(seed: u8) -> kintsugi_net::Node {
    let cfg = kintsugi_net::NetConfig {
        mode: kintsugi_net::NetworkMode::Direct,
        bind: "127.0.0.1:0".parse().unwrap(),
        relay: None,
    };
    kintsugi_net::Node::spawn(&Secret32::from_bytes([seed; 32]), &cfg)
        .await
        .unwrap()
}

/// What the host did with a hostile joiner's connection.
#[derive(Debug, PartialEq)]
enum Reply {
    /// It sent a frame back (a status byte, for a refusal).
    Frame(Vec<u8>),
    /// It closed the connection without a word.
    Closed,
    /// Nothing within five seconds.
    Silence,
    /// No connection, or no stream on it.
    Unreachable(String),
}

/// Opens a pairing connection to the host and sends `frames` raw, as a joiner that
/// does not follow the protocol.
async fn hostile_join(
    attacker: &kintsugi_net::Node,
    invite: &Invite,
    frames: Vec<Vec<u8>>,
) -> Reply {
    let conn = match attacker
        .connect(invite.endpoint_addr(), kintsugi_net::PAIR_ALPN)
        .await
    {
        Ok(c) => c,
        Err(e) => return Reply::Unreachable(e.to_string()),
    };
    let (send, recv) = match conn.open_bi().await {
        Ok(s) => s,
        Err(e) => return Reply::Unreachable(e.to_string()),
    };
    let mut w = FrameWriter::new(send, 1 << 20);
    let mut r = FrameReader::new(recv, 1 << 20);
    for f in frames {
        if w.write(&f).await.is_err() {
            break;
        }
    }
    let reply = match tokio::time::timeout(Duration::from_secs(5), r.read()).await {
        Err(_) => Reply::Silence,
        Ok(Ok(Some(f))) => Reply::Frame(f),
        Ok(_) => Reply::Closed,
    };
    conn.close(0u32.into(), b"bye");
    reply
}

/// The first pairing message with a valid MAC, as only a holder of the invite
/// secret can make it (someone who photographed the QR code).
/// A join request of this pairing version whose key and MAC are all `fill`.
fn join_request_of(fill: u8) -> Vec<u8> {
    let mut m = vec![fill; 65];
    m[0] = kintsugi_net::pair::VERSION;
    m
}

fn m1_with_mac(
    invite: &Invite,
    joiner: &kintsugi_net::EndpointId,
    eph_public: [u8; 32],
) -> Vec<u8> {
    let th0 = kintsugi_net::pair::th0(invite, &invite.endpoint, joiner);
    kintsugi_net::pair::JoinRequest {
        joiner_key: eph_public,
        mac: kintsugi_net::pair::joiner_mac(&invite.secret, &th0, &eph_public),
    }
    .encode()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strangers_with_garbage_cannot_pair_or_stop_the_real_partner() {
    let mut rng = Rng::seeded("pairing");
    let host = node(11).await;
    let stranger = node(12).await;
    let partner = node(13).await;
    let expires = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 120;
    let mut addr = host.addr();
    if addr.ip_addrs().next().is_none() {
        addr = addr.with_addrs(
            host.direct_addrs()
                .into_iter()
                .map(kintsugi_net::iroh_transport),
        );
    }
    let invite = kintsugi_net::Offer::new(&addr, expires).unwrap();
    let hosting = kintsugi_net::pair::host(&host, &invite, "Host");
    tokio::pin!(hosting);
    // Let the host start hosting before anyone connects.
    tokio::select! {
        biased;
        r = &mut hosting => panic!("the host finished early: {:?}", r.map(|p| p.sas().to_string())),
        _ = tokio::task::yield_now() => {}
    }

    // Garbage first messages from a device that does not hold the invite secret.
    let mut attempts: Vec<Vec<Vec<u8>>> = vec![
        vec![Vec::new()],
        vec![vec![1]],
        vec![join_request_of(2)],
        vec![vec![1; 65]],
        vec![vec![0; 5000]],
    ];
    for _ in 0..5 {
        let mut m = vec![kintsugi_net::pair::VERSION];
        m.extend(rng.some_bytes(0, 100));
        attempts.push(vec![m, rng.some_bytes(0, 50)]);
    }
    let mut refused = 0;
    for frames in attempts {
        let answer = tokio::select! {
            a = hostile_join(&stranger, &invite, frames) => a,
            r = &mut hosting => panic!("the host finished on garbage: {:?}", r.map(|p| p.sas().to_string())),
        };
        // The host answers "refused" (2) or closes, and keeps waiting.
        assert!(
            answer == Reply::Frame(vec![2]) || answer == Reply::Closed,
            "{answer:?}"
        );
        refused += 1;
    }
    // The real partner still pairs with the same invite.
    let joining = kintsugi_net::pair::join(&partner, &invite, "Partner");
    let (h, j) = tokio::join!(hosting, joining);
    let (h, j) = (h.unwrap(), j.unwrap());
    assert_eq!(h.sas(), j.sas());
    let (x, y) = tokio::join!(h.confirm(true), j.confirm(true));
    assert_eq!(x.unwrap().partner, partner.id());
    assert_eq!(y.unwrap().partner, host.id());
    eprintln!("pairing: {refused} garbage attempts refused; the real partner paired afterwards");

    // Someone who photographed a fresh invite (holds its secret) and sends a valid MAC
    // with a weak key, or with garbage after it: turned away, and no pairing results.
    // The invite is burned by the first valid MAC, so the real partner is told it was
    // used: an attacker who saw the code can spoil it, not use it.
    let host2 = node(14).await;
    let mut addr = host2.addr();
    if addr.ip_addrs().next().is_none() {
        addr = addr.with_addrs(
            host2
                .direct_addrs()
                .into_iter()
                .map(kintsugi_net::iroh_transport),
        );
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let invite = kintsugi_net::Offer::new(&addr, now + 8).unwrap();
    let hosting = kintsugi_net::pair::host(&host2, &invite, "Host");
    tokio::pin!(hosting);
    tokio::select! {
        biased;
        r = &mut hosting => panic!("the host finished early: {:?}", r.map(|p| p.sas().to_string())),
        _ = tokio::task::yield_now() => {}
    }
    // A garbage attempt first: its refusal shows the invite is up.
    let answer = tokio::select! {
        a = hostile_join(&stranger, &invite, vec![join_request_of(2)]) => a,
        r = &mut hosting => panic!("the host finished on garbage: {:?}", r.map(|p| p.sas().to_string())),
    };
    assert_eq!(answer, Reply::Frame(vec![2]));
    let weak = m1_with_mac(&invite, &stranger.id(), [0u8; 32]);
    let answer = tokio::select! {
        a = hostile_join(&stranger, &invite, vec![weak]) => a,
        r = &mut hosting => panic!("paired with a weak key: {:?}", r.map(|p| p.sas().to_string())),
    };
    assert_eq!(answer, Reply::Closed, "the host must turn a weak key away");
    let (r, joined) = tokio::join!(
        &mut hosting,
        kintsugi_net::pair::join(&partner, &invite, "Partner")
    );
    let err = joined.unwrap_err();
    assert!(err.to_string().contains("already used"), "{err}");
    assert!(
        matches!(r, Err(NetError::InviteSpoiled)),
        "the host must say the invite was spoiled, not pair: {:?}",
        r.map(|p| p.sas().to_string())
    );
    for n in [&host, &stranger, &partner, &host2] {
        n.shutdown().await;
    }
}
