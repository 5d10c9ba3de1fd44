//! The sync protocol's message layer, from a partner who holds the couple key: the
//! input (split into messages at 0xFF 0xFE) is sealed into well-formed frames after a
//! correct handshake. The session must end (with an error or cleanly), and the
//! profile must be unharmed.
#![no_main]

#[path = "common.rs"]
mod common;

use std::sync::OnceLock;

use kintsugi_net::frame::{FrameReader, FrameWriter, MAX_FRAME};
use kintsugi_net::sync::{SessionKeys, SessionParams, Until, handshake, run_session};
use kintsugi_store::Secret32;
use libfuzzer_sys::fuzz_target;
use tokio::io::AsyncWriteExt;

fn id(n: u8) -> kintsugi_net::EndpointId {
    kintsugi_net::SecretKey::from_bytes(&[n; 32]).public()
}

fuzz_target!(|data: &[u8]| {
    static P: OnceLock<std::sync::Mutex<common::Profile>> = OnceLock::new();
    let p = P
        .get_or_init(|| std::sync::Mutex::new(common::profile()))
        .lock()
        .unwrap();
    let messages: Vec<Vec<u8>> = data
        .split(|&b| b == 0xff)
        .map(|m| m.strip_prefix(&[0xfe]).unwrap_or(m).to_vec())
        .collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    rt.block_on(async {
        let key = SessionKeys::single(Secret32::from_bytes([8; 32]));
        let (att, vic) = tokio::io::duplex(1 << 20);
        let (vic_r, vic_w) = tokio::io::split(vic);
        let (att_r, att_w) = tokio::io::split(att);
        let replica = p.device.sync_replica();
        let (_stop_tx, stop) = tokio::sync::watch::channel(false);
        let victim = run_session(
            vic_r,
            vic_w,
            SessionParams {
                dialer: false,
                me: id(1),
                them: id(2),
                keys: &key,
                my_addrs: Vec::new(),
                my_relay: None,
            },
            replica.as_ref(),
            Until::Live,
            stop,
        );
        let attacker = async {
            let mut w = FrameWriter::new(att_w, MAX_FRAME);
            let mut r = FrameReader::new(att_r, MAX_FRAME);
            let params = SessionParams {
                dialer: true,
                me: id(2),
                them: id(1),
                keys: &key,
                my_addrs: Vec::new(),
                my_relay: None,
            };
            let mut sealer = handshake(&mut r, &mut w, &params).await.unwrap().sealer;
            for m in &messages {
                // An "unpaired" message is a legitimate request; leave it out.
                if m.as_slice() == [3] || w.write(&sealer.seal(m).unwrap()).await.is_err() {
                    break;
                }
            }
            let _ = w.get_mut().shutdown().await;
            while let Ok(Some(_)) = r.read().await {}
        };
        let _ = tokio::time::timeout(std::time::Duration::from_secs(20), async {
            tokio::join!(victim, attacker)
        })
        .await
        .expect("the session never ended");
    });
    common::assert_unharmed(&p);
});
