//! One-shot syncs that always meet: two `kintsugi sync --once` started at the same
//! moment on two paired profiles, and one-shot syncs beside a live `kintsugi sync`,
//! each end with both journals holding every entry and every process exiting 0.
//! Before, two one-shots started together failed every time: each only dialled,
//! neither listened, and the one that gave up first ("timed out") took the other's
//! only session with it ("the connection closed"). In a file of its own so that no
//! other test competes with these processes for the CPU.

mod common;

use std::process::Output;
use std::time::{Duration, Instant};

use common::*;

/// A generous deadline for one `sync --once` on loopback; an honest one takes well
/// under a second.
const ONCE: [&str; 4] = ["sync", "--once", "--timeout", "30"];

fn succeeded(who: &str, round: usize, out: &Output) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !panicked(&out.stderr),
        "round {round}, {who} panicked: {stderr}"
    );
    assert!(
        out.status.success(),
        "round {round}: {who}'s sync --once failed: {stderr}"
    );
    assert!(
        stdout.contains("In sync"),
        "round {round}: {who} did not say what it did: {stdout}"
    );
}

/// Waits until `p` holds exactly `want` (sorted).
fn holds(p: &Profile, who: &str, want: &[String], within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let got = p.texts();
        if got == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{who} holds {got:?}, expected {want:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn two_one_shot_syncs_started_together_always_meet() {
    let (a, b) = paired_profiles();
    let mut want: Vec<String> = Vec::new();
    let mut slowest = Duration::ZERO;
    for round in 0..20 {
        // Which side writes first alternates every round, which side starts first
        // every other round: all four orders occur five times.
        let sides = [(&a, "Ari"), (&b, "Bea")];
        let writers = if round % 2 == 0 {
            [sides[0], sides[1]]
        } else {
            [sides[1], sides[0]]
        };
        for (p, name) in writers {
            let text = format!("round {round:02} from {name}");
            p.id(&["boundary", "add", &text]);
            want.push(text);
        }
        want.sort();
        let starters = if (round / 2) % 2 == 0 {
            [sides[0], sides[1]]
        } else {
            [sides[1], sides[0]]
        };
        let started = Instant::now();
        let first = starters[0].0.spawn(&ONCE);
        let second = starters[1].0.spawn(&ONCE);
        let (out1, out2) = (first.wait_output(), second.wait_output());
        slowest = slowest.max(started.elapsed());
        succeeded(starters[0].1, round, &out1);
        succeeded(starters[1].1, round, &out2);
        // Both exited in sync: both hold every entry, now.
        assert_eq!(a.texts(), want, "round {round}: Ari");
        assert_eq!(b.texts(), want, "round {round}: Bea");
    }
    eprintln!(
        "20 rounds of two one-shot syncs started together: the slowest pair took {slowest:?}"
    );
}

#[test]
fn one_shot_syncs_meet_a_live_sync_in_any_order() {
    let (a, b) = paired_profiles();
    let mut want: Vec<String> = Vec::new();
    let sides = [(&a, "Ari"), (&b, "Bea")];
    for round in 0..8 {
        // The live side alternates; in the first half the live sync starts first,
        // in the second the one-shot does; both at the same moment otherwise.
        let (live_side, once_side) = if round % 2 == 0 {
            (sides[0], sides[1])
        } else {
            (sides[1], sides[0])
        };
        for (p, name) in [live_side, once_side] {
            let text = format!("round {round} from {name}");
            p.id(&["boundary", "add", &text]);
            want.push(text);
        }
        want.sort();
        let live_first = round < 4;
        let (live, once) = if live_first {
            let live = live_side.0.spawn(&["sync", "--timeout", "120"]);
            (live, once_side.0.spawn(&ONCE))
        } else {
            let once = once_side.0.spawn(&ONCE);
            (live_side.0.spawn(&["sync", "--timeout", "120"]), once)
        };
        let out = once.wait_output();
        succeeded(once_side.1, round, &out);
        assert_eq!(once_side.0.texts(), want, "round {round}: {}", once_side.1);
        // The live side has everything too, by the time the one-shot said so or
        // moments later (its process goes on running).
        holds(live_side.0, live_side.1, &want, Duration::from_secs(10));
        // A second one-shot while the live sync runs, after a write on each side.
        for (p, name) in [once_side, live_side] {
            let text = format!("round {round} again from {name}");
            p.id(&["boundary", "add", &text]);
            want.push(text);
        }
        want.sort();
        let out = once_side.0.spawn(&ONCE).wait_output();
        succeeded(once_side.1, round, &out);
        assert_eq!(once_side.0.texts(), want, "round {round}: {}", once_side.1);
        holds(live_side.0, live_side.1, &want, Duration::from_secs(10));
        drop(live);
    }
}
