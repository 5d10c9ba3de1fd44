//! Bundle import. Odd first byte: the input is the bundle file (anything a stranger can
//! hand over; it must be refused). Even: the input is sealed as a genuine bundle from
//! the partner, so garbage reaches the Automerge layer behind the seal.
#![no_main]

#[path = "common.rs"]
mod common;

use std::sync::OnceLock;

use kintsugi_crypto::{derive_key, seal};
use kintsugi_store::Secret32;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    static P: OnceLock<std::sync::Mutex<common::Profile>> = OnceLock::new();
    let p = P
        .get_or_init(|| std::sync::Mutex::new(common::profile()))
        .lock()
        .unwrap();
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    if mode % 2 == 1 {
        assert!(
            p.device.import_bundle(body).is_err(),
            "a forged bundle was taken"
        );
    } else {
        let mut bundle = b"KTSGBNDL".to_vec();
        bundle.push(1);
        bundle.extend_from_slice(&p.partner);
        let key = derive_key(
            None,
            Secret32::from_bytes(common::COUPLE).expose(),
            &[b"kintsugi bundle v1"],
        );
        let sealed = seal(&key, &bundle, body).unwrap();
        bundle.extend_from_slice(&sealed);
        let _ = p.device.import_bundle(&bundle);
    }
    common::assert_unharmed(&p);
});
