//! Network faults (SECURITY.md, "Network faults"): two real `kintsugi` processes in two
//! network namespaces of their own, joined by a veth pair that exists only inside
//! them. They pair, the link is cut while both sides write, the link comes back and
//! both converge with nothing lost; then one side vanishes (SIGKILL) in the middle of
//! a sync and both stay consistent and converge again.
//!
//! Needs root and `ip` (iproute2): CI runs as root and `scripts/test-all` installs
//! iproute2. Without them this test fails with a message; it never skips.
//! Every `kintsugi` process of this test runs inside a namespace: no packet of it
//! can reach any other network.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::common::*;
use crate::support::{require_root, run_ip};

/// Two namespaces, `a` and `b`, joined by a veth pair, removed again on drop.
struct Netns {
    ns: [String; 2],
    dev: [String; 2],
    ip: [String; 2],
    created: Vec<String>,
}

impl Netns {
    fn create() -> Self {
        require_root();
        let pid = std::process::id();
        // A /24 of 10.200.0.0/16 picked by process id, so parallel runs do not meet.
        let net = 10 + pid % 240;
        let mut me = Self {
            ns: [format!("ktsg-a-{pid}"), format!("ktsg-b-{pid}")],
            dev: [format!("kta{pid}"), format!("ktb{pid}")],
            ip: [format!("10.200.{net}.1"), format!("10.200.{net}.2")],
            created: Vec::new(),
        };
        for ns in me.ns.clone() {
            run_ip(&["netns", "add", &ns]);
            me.created.push(ns);
        }
        // Both ends are created directly inside their namespaces: the pair never
        // exists in the host's own network namespace.
        run_ip(&[
            "link", "add", &me.dev[0], "netns", &me.ns[0], "type", "veth", "peer", "name",
            &me.dev[1], "netns", &me.ns[1],
        ]);
        for i in 0..2 {
            run_ip(&[
                "-n",
                &me.ns[i],
                "addr",
                "add",
                &format!("{}/24", me.ip[i]),
                "dev",
                &me.dev[i],
            ]);
            run_ip(&["-n", &me.ns[i], "link", "set", &me.dev[i], "up"]);
            run_ip(&["-n", &me.ns[i], "link", "set", "lo", "up"]);
        }
        me
    }

    /// Cuts (or restores) the link by taking A's end down (or up).
    fn link(&self, up: bool) {
        run_ip(&[
            "-n",
            &self.ns[0],
            "link",
            "set",
            &self.dev[0],
            if up { "up" } else { "down" },
        ]);
    }

    /// `kintsugi ARGS` for side `i`, inside its namespace, bound to its address.
    fn cmd(&self, i: usize, p: &Profile, args: &[&str]) -> Command {
        let mut c = tool("ip");
        c.args(["netns", "exec", &self.ns[i], env!("CARGO_BIN_EXE_kintsugi")])
            .args(["--network", "direct", "--bind", &self.ip[i]])
            .args(args)
            .env("KINTSUGI_PROFILE", p.path())
            .env("KINTSUGI_PASSPHRASE", PASS)
            .env("KINTSUGI_INSECURE_FAST_KDF", "1")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null());
        c
    }

    fn ok(&self, i: usize, p: &Profile, args: &[&str]) -> String {
        let out = self.cmd(i, p, args).output().unwrap();
        assert!(
            out.status.success(),
            "kintsugi {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn texts(&self, i: usize, p: &Profile) -> Vec<String> {
        let list: serde_json::Value =
            serde_json::from_str(&self.ok(i, p, &["--json", "boundary", "list"])).unwrap();
        let mut t: Vec<String> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["text"].as_str().unwrap().to_string())
            .collect();
        t.sort();
        t
    }

    fn spawn(&self, i: usize, p: &Profile, args: &[&str]) -> Child {
        Child(
            self.cmd(i, p, args)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
        )
    }

    /// A live `kintsugi sync`, returned once it is listening.
    fn live(&self, i: usize, p: &Profile) -> (Child, mpsc::Receiver<String>) {
        let mut c = self.spawn(i, p, &["sync", "--timeout", "300"]);
        let stderr = c.0.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for l in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(l);
            }
        });
        loop {
            let l = rx
                .recv_timeout(Duration::from_secs(30))
                .expect("`kintsugi sync` did not start");
            if l.contains("Syncing with") {
                return (c, rx);
            }
        }
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        // Deleting a namespace deletes its end of the veth pair, and with it the other.
        for ns in self.created.drain(..) {
            let _ = Command::new("ip").args(["netns", "del", &ns]).status();
        }
    }
}

fn kill(mut c: Child) -> Output {
    let _ = c.0.kill();
    let out = c.wait_output();
    assert!(
        !panicked(&out.stderr),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Waits until both sides list `want`; returns how long it took.
fn converge(net: &Netns, a: &Profile, b: &Profile, want: &[String], limit: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let (ta, tb) = (net.texts(0, a), net.texts(1, b));
        if ta == want && tb == want {
            return started.elapsed();
        }
        for t in ta.iter().chain(&tb) {
            assert!(want.contains(t), "an entry nobody wrote: {t}");
        }
        assert!(
            started.elapsed() < limit,
            "no convergence after {limit:?}:\nAri {ta:?}\nBea {tb:?}\nwant {want:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn pair(net: &Netns, a: &Profile, b: &Profile, dir: &Path) {
    pair_by_qr_image(
        &dir.join("invite.png"),
        |args| net.cmd(0, a, args),
        |args| net.cmd(1, b, args),
    );
}

#[test]
fn a_cut_link_and_a_vanished_peer_lose_nothing() {
    let started = Instant::now();
    let net = Netns::create();
    let a = Profile::init("Ari");
    let b = Profile::init("Bea");
    pair(&net, &a, &b, a.dir.path());
    let mut want: Vec<String> = Vec::new();

    // Live sync on both sides; a first entry crosses.
    let (live_a, _la) = net.live(0, &a);
    let (live_b, _lb) = net.live(1, &b);
    net.ok(0, &a, &["boundary", "add", "before the cut"]);
    want.push("before the cut".into());
    let first = converge(&net, &a, &b, &want, Duration::from_secs(30));

    // Cut the link and write on both sides.
    net.link(false);
    for i in 0..3 {
        for (side, p, who) in [(0, &a, "Ari"), (1, &b, "Bea")] {
            let t = format!("{who} during the cut {i}");
            net.ok(side, p, &["boundary", "add", &t]);
            want.push(t);
        }
    }
    want.sort();
    // The cut is real: for three seconds nothing crosses.
    std::thread::sleep(Duration::from_secs(3));
    assert!(!net.texts(1, &b).iter().any(|t| t.starts_with("Ari during")));
    assert!(!net.texts(0, &a).iter().any(|t| t.starts_with("Bea during")));

    // Restore it: both converge, nothing lost, with the processes that were running.
    net.link(true);
    let healed = converge(&net, &a, &b, &want, Duration::from_secs(90));
    kill(live_a);
    kill(live_b);

    // A peer that vanishes mid-sync: Ari has a large batch; Bea's one-shot sync is
    // killed soon after it starts, at three different moments.
    let big = "x".repeat(20_000);
    for i in 0..40 {
        let t = format!("batch {i:02} {big}");
        net.ok(0, &a, &["boundary", "add", &t]);
        want.push(t);
    }
    want.sort();
    let (live_a, _la) = net.live(0, &a);
    let mut partial = Vec::new();
    for delay in [40u64, 100, 200] {
        let once = net.spawn(1, &b, &["sync", "--once", "--timeout", "30"]);
        std::thread::sleep(Duration::from_millis(delay));
        kill(once);
        // Both open, and Bea holds a subset of Ari's entries (whole ones, unchanged).
        let (ta, tb) = (net.texts(0, &a), net.texts(1, &b));
        assert_eq!(ta, want);
        for t in &tb {
            assert!(want.contains(t), "Bea holds an entry nobody wrote");
        }
        partial.push(tb.len());
    }
    // Bea comes back while Ari's process keeps running: they converge.
    let back = Instant::now();
    let mut tries = 0;
    loop {
        tries += 1;
        let out = net
            .cmd(1, &b, &["sync", "--once", "--timeout", "30"])
            .output()
            .unwrap();
        assert!(!panicked(&out.stderr));
        if out.status.success() {
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(120),
            "Bea never synced again"
        );
    }
    let rejoined = back.elapsed();
    converge(&net, &a, &b, &want, Duration::from_secs(5));

    // Now Ari vanishes mid-sync (its live sync killed while Bea pulls new entries),
    // twice, at different moments.
    let mut live_a = live_a;
    let mut after_ari = Vec::new();
    let mut noticed = None;
    for (round, delay) in [80u64, 160].into_iter().enumerate() {
        for i in 0..20 {
            let t = format!("batch {round}.{i:02} {big}");
            net.ok(0, &a, &["boundary", "add", &t]);
            want.push(t);
        }
        want.sort();
        let once = net.spawn(1, &b, &["sync", "--once", "--timeout", "5"]);
        std::thread::sleep(Duration::from_millis(delay));
        kill(live_a);
        // Bea's side gives up by itself (at the latest at its --timeout); the first
        // time the test waits for that.
        let gone = Instant::now();
        let out = if round == 0 {
            once.wait_output()
        } else {
            std::thread::sleep(Duration::from_millis(500));
            kill(once)
        };
        assert!(!panicked(&out.stderr));
        if round == 0 {
            let err = String::from_utf8_lossy(&out.stderr).into_owned();
            if !out.status.success() {
                assert!(error_line(&err).contains("could not sync"), "{err}");
            }
            noticed = Some((gone.elapsed(), out.status.success()));
        }
        let tb = net.texts(1, &b);
        for t in &tb {
            assert!(want.contains(t), "Bea holds an entry nobody wrote");
        }
        assert_eq!(net.texts(0, &a), want);
        after_ari.push(tb.len());
        live_a = net.live(0, &a).0;
    }
    let out = net.ok(1, &b, &["sync", "--once", "--timeout", "60"]);
    assert!(out.contains("In sync"), "{out}");
    converge(&net, &a, &b, &want, Duration::from_secs(5));
    kill(live_a);
    eprintln!(
        "netns: first entry crossed in {first:?}; after the link came back both converged in \
         {healed:?}; Bea, killed 40/100/200 ms into a sync, held {partial:?} entries (Ari: \
         47); her next sync with Ari's still-running process took {rejoined:?} ({tries} \
         tries); with Ari killed 80/160 ms into Bea's sync, Bea held {after_ari:?} entries \
         (Ari: 67, 87), then all {}; Bea's one-shot sync (--timeout 5) ended \
         {:?} after Ari vanished (succeeded, time); total {:?}",
        want.len(),
        noticed.map(|(t, ok)| (ok, t)),
        started.elapsed()
    );
}

/// After a peer was killed in the middle of a sync, the partner's process that kept
/// running takes the peer's next connection at once, instead of holding on to the
/// dead session until QUIC's idle timeout (which made the peer's next `sync --once`
/// fail with "timed out" after about 15 s). Loopback is enough to show it.
#[test]
fn a_peer_back_from_a_crash_syncs_at_once() {
    let (a, b) = paired_profiles();
    let big = "y".repeat(20_000);
    for i in 0..40 {
        a.id(&["boundary", "add", &format!("{i:02} {big}")]);
    }
    let mut live = a.spawn(&["sync", "--timeout", "120"]);
    let stderr = live.0.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for l in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(l);
        }
    });
    while !rx
        .recv_timeout(Duration::from_secs(30))
        .expect("sync did not start")
        .contains("Syncing with")
    {}
    for delay in [60u64, 150, 300] {
        let once = b.spawn(&["sync", "--once", "--timeout", "30"]);
        std::thread::sleep(Duration::from_millis(delay));
        kill(once);
        let back = Instant::now();
        let out = b
            .cmd()
            .args(NET)
            .args(["sync", "--once", "--timeout", "10"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "after a crash {delay} ms into a sync, the next sync failed after {:?}: {}",
            back.elapsed(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    kill(live);
}
