//! Automerge sync messages from the partner, straight into a device's sync session
//! (what arrives once a frame authenticated): refused or applied, never a panic, and
//! what is applied is on disk.
#![no_main]

#[path = "common.rs"]
mod common;

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    static P: OnceLock<std::sync::Mutex<common::Profile>> = OnceLock::new();
    let p = P
        .get_or_init(|| std::sync::Mutex::new(common::profile()))
        .lock()
        .unwrap();
    let replica = p.device.sync_replica();
    let mut session = replica.begin().unwrap();
    for msg in data.split(|&b| b == 0xff) {
        if session.receive(msg).is_err() {
            break;
        }
        let _ = session.generate();
    }
    session.end();
    common::assert_unharmed(&p);
});
