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

/// A one-shot sync that did not end in sync: its one error line, and that it said
/// nothing about being in sync.
fn not_in_sync(out: &Output, within: Duration, took: Duration) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!panicked(&out.stderr), "{stderr}");
    assert!(!out.status.success(), "exited 0: {stdout}{stderr}");
    assert!(!stdout.contains("In sync"), "{stdout}");
    assert!(took < within, "took {took:?}: {stderr}");
    let line = error_line(&stderr);
    eprintln!("after {took:?}: {line}");
    line
}

/// `sync --once` exits 0 only when both journals are the same, and otherwise says
/// in one line what happened: nobody answered, the partner ended the pairing while
/// this side waited, or the partner's device turns this one away. It used to say
/// "In sync" whenever a session ended, whatever had happened.
#[test]
fn a_one_shot_sync_says_what_happened_and_fails_unless_in_sync() {
    let (a, b) = paired_profiles();
    // Nobody answers.
    let started = Instant::now();
    let out = a.spawn(&["sync", "--once", "--timeout", "3"]).wait_output();
    let line = not_in_sync(&out, Duration::from_secs(20), started.elapsed());
    assert!(
        line.contains("could not sync") && line.contains("3 seconds"),
        "{line}"
    );

    // In sync: exit 0, and it says so (the crossing tests above check it too).
    a.id(&["boundary", "add", "from Ari"]);
    let live = b.spawn(&["sync", "--timeout", "60"]);
    let out = a.spawn(&ONCE).wait_output();
    succeeded("Ari", 0, &out);
    drop(live);

    // The partner ends the pairing while this side waits for it: told at once.
    let waiting = a.spawn(&["sync", "--once", "--timeout", "30"]);
    std::thread::sleep(Duration::from_millis(1500));
    let started = Instant::now();
    let told = b.net_ok(&["unpair", "--yes"]);
    assert!(told.contains("was told"), "{told}");
    let line = not_in_sync(
        &waiting.wait_output(),
        Duration::from_secs(20),
        started.elapsed(),
    );
    assert!(line.contains("ended the pairing"), "{line}");
    assert_eq!(a.json(&["status"])["paired"], false);

    // The pairing was ended on the other device while this one was away: its
    // device (open, here showing an invite) turns this one away, and the one-shot
    // says so at once instead of waiting for its timeout.
    let (c, d) = paired_profiles();
    let told = d.net_ok(&["unpair", "--yes"]);
    assert!(told.contains("could not be reached"), "{told}");
    let mut invite = d.cmd();
    invite.args(NET).args(["pair", "invite", "--timeout", "60"]);
    let showing = Running::start(invite);
    assert!(
        showing.line_where(|l| l.starts_with("KINTSUGI:")).is_some(),
        "no invite shown"
    );
    let started = Instant::now();
    let out = c
        .spawn(&["sync", "--once", "--timeout", "30"])
        .wait_output();
    let line = not_in_sync(&out, Duration::from_secs(15), started.elapsed());
    assert!(line.contains("no longer accepts this one"), "{line}");
    assert_eq!(
        c.json(&["status"])["paired"],
        true,
        "nothing was decided for Ceci"
    );
    drop(showing);
}
