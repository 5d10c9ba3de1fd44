//! The invite decoder: bytes, text, and bodies with a valid checksum (so the fuzzer
//! gets past the checksum into the parser). Whatever decodes must re-encode stably.
#![no_main]

use kintsugi_net::Invite;
use libfuzzer_sys::fuzz_target;

fn check(r: Result<Invite, kintsugi_net::NetError>) {
    if let Ok(inv) = r {
        let again = Invite::from_bytes(&inv.to_bytes()).expect("re-encoded invite");
        assert_eq!(again, inv);
        assert_eq!(Invite::from_text(&inv.to_text()).unwrap(), inv);
    }
}

fuzz_target!(|data: &[u8]| {
    check(Invite::from_bytes(data));
    check(Invite::from_text(&String::from_utf8_lossy(data)));
    let mut body = data.to_vec();
    body.extend_from_slice(&kintsugi_crypto::sha256(&[data])[..4]);
    check(Invite::from_bytes(&body));
});
