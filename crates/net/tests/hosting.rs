//! An invite takes joins from the moment hosting starts, before anyone waits on it:
//! a partner who reads the invite the instant it is shown (the CLI writes the QR
//! picture, the app puts it on screen) is served, not told "already used". Before,
//! the door opened only once the inviter began waiting, after the invite was shown.

use std::time::Duration;

use kintsugi_crypto::Secret32;
use kintsugi_net::{NetConfig, NetworkMode, Node, Offer, pair};

async fn node(seed: u8) -> Node {
    let cfg = NetConfig {
        mode: NetworkMode::Direct,
        bind: ([127, 0, 0, 1], 0).into(),
        relay: None,
    };
    Node::spawn(&Secret32::from_bytes([seed; 32]), &cfg)
        .await
        .unwrap()
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_join_that_arrives_before_the_inviter_waits_is_served() {
    let (a, b) = (node(1).await, node(2).await);
    let addr = a.addr().with_addrs(
        a.direct_addrs()
            .into_iter()
            .map(kintsugi_net::iroh_transport),
    );
    let offer = Offer::new(&addr, now_secs() + 60).unwrap();
    let invite = offer.invite().clone();

    // The invite is "shown" here: the door must be open already.
    let hosting = pair::start_host(&a, &offer, "Ari").unwrap();
    let joiner = tokio::spawn(async move {
        let r = pair::join(&b, &invite, "Bea").await;
        (r, b)
    });
    // The joiner connects and sends its request long before the inviter waits.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        !joiner.is_finished(),
        "the join ended before the inviter waited: it was turned away"
    );
    let hosted = hosting.wait().await.unwrap();
    let (joined, _b) = joiner.await.unwrap();
    let joined = joined.unwrap();
    assert_eq!(hosted.sas(), joined.sas());
    assert_eq!(hosted.partner_name(), "Bea");
    assert_eq!(joined.partner_name(), "Ari");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_join_is_taken_before_hosting_starts_or_after_it_ends() {
    let (a, b) = (node(3).await, node(4).await);
    let addr = a.addr().with_addrs(
        a.direct_addrs()
            .into_iter()
            .map(kintsugi_net::iroh_transport),
    );
    let offer = Offer::new(&addr, now_secs() + 60).unwrap();
    let invite = offer.invite().clone();
    let err = pair::join(&b, &invite, "Bea").await.unwrap_err();
    assert!(matches!(err, kintsugi_net::NetError::InviteUsed), "{err}");
    drop(pair::start_host(&a, &offer, "Ari").unwrap());
    let err = pair::join(&b, &invite, "Bea").await.unwrap_err();
    assert!(matches!(err, kintsugi_net::NetError::InviteUsed), "{err}");
}
