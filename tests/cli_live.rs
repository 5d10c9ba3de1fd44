//! Live sync between two running `kintsugi sync` processes: an entry that a third
//! process writes on one device shows on the other within two seconds. In a file of
//! its own so that no other test competes with it for the CPU.

mod common;

use std::time::{Duration, Instant};

use common::*;

#[test]
fn a_separate_cli_write_reaches_the_partner_live_within_two_seconds() {
    let (a, b) = paired_profiles();
    let _a_sync = a.spawn(&["sync", "--timeout", "120"]);
    let _b_sync = b.spawn(&["sync", "--timeout", "120"]);
    // Let the two find each other and finish their first exchange.
    a.id(&["boundary", "add", "warm-up"]);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !b.texts().contains(&"warm-up".to_string()) {
        assert!(Instant::now() < deadline, "the live session never came up");
        std::thread::sleep(Duration::from_millis(50));
    }
    for round in 0..3 {
        let text = format!("live entry {round}");
        a.id(&["boundary", "add", &text]);
        let written = Instant::now();
        while !b.texts().contains(&text) {
            assert!(
                written.elapsed() < Duration::from_secs(2),
                "{text} did not reach Bea within two seconds"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        eprintln!("{text}: on Bea after {:?}", written.elapsed());
    }
}
