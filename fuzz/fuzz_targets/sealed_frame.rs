//! The sealed-frame opener: nothing but a frame the sealer made, unchanged and in
//! order, may open. The input is opened as a frame, and also XOR-ed into a genuine
//! frame: anything other than the genuine bytes must fail.
#![no_main]

use kintsugi_net::secure::{Direction, Opener, Sealer};
use kintsugi_store::Secret32;
use libfuzzer_sys::fuzz_target;

const LABEL: &[u8] = b"kintsugi/sync/1";

fuzz_target!(|data: &[u8]| {
    let key = Secret32::from_bytes([1; 32]);
    let mut sealer = Sealer::new(key.clone(), Direction::DialerToAcceptor, LABEL);
    let genuine = sealer.seal(b"a genuine payload").unwrap();
    // The fuzzer learns the genuine frame from the comparisons below and may feed it
    // back: that one, and only that one, opens.
    let mut opener = Opener::new(key.clone(), Direction::DialerToAcceptor, LABEL);
    assert!(
        opener.open(data).is_err() || data == genuine,
        "forged frame opened"
    );

    let mut changed = genuine.clone();
    for (i, b) in data.iter().enumerate() {
        if i < changed.len() {
            changed[i] ^= b;
        } else {
            changed.push(*b);
        }
    }
    let mut opener = Opener::new(key, Direction::DialerToAcceptor, LABEL);
    if changed != genuine {
        assert!(opener.open(&changed).is_err(), "changed frame opened");
    }
    // A refusal does not move the counter: the genuine frame still opens.
    assert_eq!(&opener.open(&genuine).unwrap()[..], b"a genuine payload");
});
