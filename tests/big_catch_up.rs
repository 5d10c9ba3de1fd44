//! A first sync larger than one sync message carries: a partner who pairs with a
//! device that already holds more than `MAX_PAYLOAD` (8 MiB) of honest shared
//! changes catches up fully, over real iroh on loopback, in parts the partner's
//! bounded checks take. Before, the device made one Automerge message of
//! everything, its own session refused to send it ("larger than allowed"), and the
//! couple could never sync, on every reconnect.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kintsugi_device::{Device, NetOverrides, Network, NetworkMode, Options};
use kintsugi_net::sync::{MAX_PAYLOAD, SessionEnd};

struct Side {
    _dir: tempfile::TempDir,
    device: Device,
    net: Network,
}

/// Strong enough for the passphrase floor.
const PASS: &[u8] = b"correct horse battery staple";

fn loopback() -> NetOverrides {
    NetOverrides {
        mode: Some(NetworkMode::Direct),
        bind: Some(kintsugi_device::Bind::Socket(([127, 0, 0, 1], 0).into())),
        relay: None,
    }
}

fn create(name: &str) -> (tempfile::TempDir, Device) {
    let dir = tempfile::tempdir().unwrap();
    let device = Device::create(
        &dir.path().join("p"),
        name,
        PASS,
        Options::INSECURE_FAST_FOR_TESTS,
    )
    .unwrap();
    (dir, device)
}

async fn online((dir, device): (tempfile::TempDir, Device)) -> Side {
    let net = device.start_network(&loopback()).await.unwrap();
    Side {
        _dir: dir,
        device,
        net,
    }
}

async fn pair(a: &Side, b: &Side) {
    let offer = a.net.create_invite(Duration::from_secs(60)).unwrap();
    let invite = kintsugi_device::Invite::from_text(&offer.to_text()).unwrap();
    let (host, join) = tokio::join!(a.net.host(&offer), b.net.join(&invite));
    let (host, join) = (host.unwrap(), join.unwrap());
    let (x, y) = tokio::join!(
        a.net.finish_pairing(host, true),
        b.net.finish_pairing(join, true)
    );
    x.unwrap();
    y.unwrap();
}

/// Printable text that DEFLATE shrinks by less than a fifth, as a long letter in a
/// script with many letters, or pasted notes, would.
fn random_text(len: usize, seed: u64) -> String {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'!' + (x % 94) as u8)
        })
        .collect()
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
async fn a_fresh_partner_catches_up_on_more_than_one_message_holds() {
    let (dir, device) = create("Ari");
    // 12 entries of 1 MiB: 12 MiB of changes, about 10 MiB even as Automerge's
    // compressed document.
    let started = Instant::now();
    for i in 0..12 {
        device
            .propose_boundary(&random_text(1024 * 1024, i + 1), None)
            .unwrap();
    }
    eprintln!("wrote 12 MiB in {:?}", started.elapsed());
    let a = online((dir, device)).await;
    let b = online(create("Bea")).await;
    pair(&a, &b).await;

    let sizes = Arc::new(Mutex::new(Vec::<usize>::new()));
    let sink = sizes.clone();
    b.device
        .tap_sync_payloads(Some(Box::new(move |p| sink.lock().unwrap().push(p.len()))));

    assert!(a.net.start_sync().unwrap());
    let started = Instant::now();
    let end = b.net.sync_once(Duration::from_secs(120)).await.unwrap();
    eprintln!("caught up in {:?}", started.elapsed());
    assert_eq!(end, SessionEnd::InSync);
    assert_eq!(texts(&b.device).len(), 12);
    assert_eq!(texts(&a.device), texts(&b.device));
    let first = std::mem::take(&mut *sizes.lock().unwrap());
    eprintln!("payloads Bea received: {first:?}");
    assert!(
        first.iter().all(|&n| n <= MAX_PAYLOAD),
        "a payload over the cap: {first:?}"
    );
    assert!(
        first.iter().filter(|&&n| n > 1024 * 1024).count() >= 2,
        "the catch-up came in one message: {first:?}"
    );

    // Both sides kept a sound sync state: the next change crosses alone, both ways.
    b.device
        .propose_boundary("from Bea afterwards", None)
        .unwrap();
    let end = b.net.sync_once(Duration::from_secs(60)).await.unwrap();
    assert_eq!(end, SessionEnd::InSync);
    assert_eq!(texts(&a.device).len(), 13);
    assert_eq!(texts(&a.device), texts(&b.device));
    let again = std::mem::take(&mut *sizes.lock().unwrap());
    assert!(
        again.iter().all(|&n| n < 64 * 1024),
        "the journal was sent again: {again:?}"
    );

    a.net.shutdown().await;
    b.net.shutdown().await;
}
