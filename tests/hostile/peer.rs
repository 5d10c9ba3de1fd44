//! A partner's device that sends well-formed, authenticated frames carrying garbage
//! where Automerge sync messages belong: the session ends and nothing is harmed.

use kintsugi_device::{Device, Options};
use kintsugi_net::sync::{SessionKeys, SessionParams, Until, run_session};
use kintsugi_store::Secret32;
use tokio::sync::watch;

use crate::scripted::{Script, Scripted};

/// Strong enough for the passphrase floor.
const PASS: &[u8] = b"correct horse battery staple";

fn id(n: u8) -> kintsugi_net::EndpointId {
    kintsugi_net::SecretKey::from_bytes(&[n; 32]).public()
}

#[tokio::test]
async fn garbage_automerge_messages_end_the_session_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p");
    let opts = Options::INSECURE_FAST_FOR_TESTS;
    let device = Device::create(&path, "Ari", PASS, opts).unwrap();
    device.propose_boundary("kept safe", None).unwrap();
    let before: Vec<(std::path::PathBuf, Vec<u8>)> = ["shared.klog", "diary.klog"]
        .iter()
        .map(|f| (path.join(f), std::fs::read(path.join(f)).unwrap()))
        .collect();

    let cases: Vec<Vec<u8>> = vec![
        b"not automerge at all".to_vec(),
        vec![0x42; 64],
        // A sync-message type byte followed by nonsense.
        vec![0x42, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3],
        Vec::new(),
    ];
    for payload in cases {
        let key = SessionKeys::single(Secret32::from_bytes([1; 32]));
        let hostile = Scripted(Script::new(vec![payload]));
        let honest = device.sync_replica();
        let (a_w, b_r) = tokio::io::duplex(1 << 16);
        let (b_w, a_r) = tokio::io::duplex(1 << 16);
        let (_stop_tx, stop) = watch::channel(false);
        let attacker = run_session(
            a_r,
            a_w,
            SessionParams {
                dialer: true,
                me: id(9),
                them: id(1),
                keys: &key,
                my_addrs: Vec::new(),
                my_relay: None,
            },
            &hostile,
            Until::Live,
            stop.clone(),
        );
        let victim = run_session(
            b_r,
            b_w,
            SessionParams {
                dialer: false,
                me: id(1),
                them: id(9),
                keys: &key,
                my_addrs: Vec::new(),
                my_relay: None,
            },
            honest.as_ref(),
            Until::Live,
            stop,
        );
        let result = tokio::select! {
            r = victim => r,
            _ = attacker => panic!("the attacker's session should not outlive the victim's"),
        };
        assert!(result.is_err(), "garbage was accepted");
    }
    // The device still works and its files are as they were.
    assert_eq!(device.boundaries().unwrap()[0].text, "kept safe");
    for (p, bytes) in before {
        assert_eq!(std::fs::read(&p).unwrap(), bytes, "{}", p.display());
    }
    device.propose_boundary("still writable", None).unwrap();
}
