//! `anywhere` mode through a real relay (README, "Reaching each other anywhere"):
//! three network namespaces, A and B for the two devices and R for the relay. A and
//! B each reach only R, and R forwards nothing, so every packet between the devices
//! goes through the real `iroh-relay` server running in R. They pair by QR image,
//! sync live and with `--once` both ways, restart and sync again on what they
//! remembered, and recover when the relay is killed and started again; `status
//! --json` says that the path is the relay, with its round-trip time.
//!
//! The same file tests `local` mode's mDNS in two namespaces joined by a veth pair
//! (multicast is routed onto that link only): devices that moved find each other.
//!
//! Needs root, `ip` (iproute2) and the `iroh-relay` binary; `scripts/test-all`
//! installs both and CI runs as root. Without them this test fails with a message;
//! it never skips. Every process of this test runs inside a namespace it created.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::*;
use crate::support::*;

/// The `iroh-relay` version scripts/test-all installs: the server of the iroh the
/// app is built with.
const RELAY_VERSION: &str = "1.4.1";

/// A, B and R: A and B each joined to R by a veth pair, the relay's address on R's
/// loopback, routed from A and B through their links. No route between A and B.
struct Net {
    a: Ns,
    b: Ns,
    r: Ns,
    a_ip: String,
    b_ip: String,
    relay_addr: String,
}

impl Net {
    fn create() -> Self {
        require_root();
        let pid = std::process::id();
        let n = 10 + pid % 240;
        let (a, b, r) = (Ns::new("ra"), Ns::new("rb"), Ns::new("rr"));
        let (a_ip, b_ip) = (format!("10.201.{n}.2"), format!("10.202.{n}.2"));
        let (ra_ip, rb_ip) = (format!("10.201.{n}.1"), format!("10.202.{n}.1"));
        let relay_ip = format!("10.203.{n}.1");
        veth(
            &a,
            &format!("kra{pid}"),
            &format!("{a_ip}/24"),
            &r,
            &format!("krra{pid}"),
            &format!("{ra_ip}/24"),
        );
        veth(
            &b,
            &format!("krb{pid}"),
            &format!("{b_ip}/24"),
            &r,
            &format!("krrb{pid}"),
            &format!("{rb_ip}/24"),
        );
        r.ip(&["addr", "add", &format!("{relay_ip}/32"), "dev", "lo"]);
        a.ip(&["route", "add", &format!("{relay_ip}/32"), "via", &ra_ip]);
        b.ip(&["route", "add", &format!("{relay_ip}/32"), "via", &rb_ip]);
        // A new namespace does not forward; say so anyway, so that R is the relay
        // and nothing else.
        let out = r
            .exec("sysctl", &["-qw", "net.ipv4.ip_forward=0"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Self {
            a,
            b,
            r,
            a_ip,
            b_ip,
            relay_addr: format!("{relay_ip}:3340"),
        }
    }

    fn relay_url(&self) -> String {
        format!("http://{}", self.relay_addr)
    }
}

/// The real relay server, `iroh-relay --dev` (plain HTTP) inside R, bound to the
/// relay address only, without its metrics server.
struct Relay {
    child: Child,
}

impl Relay {
    fn start(net: &Net, dir: &std::path::Path) -> Self {
        let config = dir.join("relay.toml");
        std::fs::write(
            &config,
            format!(
                "http_bind_addr = \"{}\"\nenable_metrics = false\n",
                net.relay_addr
            ),
        )
        .unwrap();
        let child = Child(
            net.r
                .exec("iroh-relay", &["--dev", "--config-path"])
                .arg(&config)
                .env("RUST_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
        );
        let started = Instant::now();
        while !net.a.tcp_connects(&net.relay_addr) {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the relay did not start listening at {}",
                net.relay_addr
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Self { child }
    }

    fn kill(self) {
        let out = stop(self.child);
        // It was killed; it should not have complained before that.
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("ERROR"), "the relay logged errors: {err}");
    }
}

/// `iroh-relay` must be there, at the version scripts/test-all installs.
fn require_relay_binary() {
    let out = tool("iroh-relay").arg("--version").output().unwrap();
    let version = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        version.contains(RELAY_VERSION),
        "iroh-relay {RELAY_VERSION} is needed (found {version:?}): run ./scripts/test-all, \
         which installs it with `cargo install iroh-relay --version {RELAY_VERSION} --locked \
         --features server`"
    );
}

/// `status --json`'s path and round-trip time; the path must be the relay.
fn relay_path(side: &Side) -> u64 {
    let status = side.json(&["status"]);
    assert_eq!(status["partner_reachable"], true, "{}: {status}", side.name);
    assert_eq!(status["partner_path"], "relay", "{}: {status}", side.name);
    let rtt = status["partner_rtt_ms"]
        .as_u64()
        .unwrap_or_else(|| panic!("{}: no round-trip time: {status}", side.name));
    assert!((1..10_000).contains(&rtt), "{}: {status}", side.name);
    rtt
}

fn add(side: &Side, text: &str, want: &mut Vec<String>) {
    side.ok(&["boundary", "add", text]);
    want.push(text.to_string());
    want.sort();
}

#[test]
fn two_devices_without_a_route_meet_through_the_relay() {
    require_root();
    require_relay_binary();
    let started = Instant::now();
    let net = Net::create();
    let dir = tempfile::tempdir().unwrap();
    let relay_url = net.relay_url();
    let mut relay = Some(Relay::start(&net, dir.path()));

    // No direct path: neither device has a route to the other, and B's address does
    // not answer from A, while both reach the relay.
    assert!(!net.a.has_route(&net.b_ip), "A has a route to B");
    assert!(!net.b.has_route(&net.a_ip), "B has a route to A");
    assert!(!net.a.tcp_connects(&format!("{}:22", net.b_ip)));
    assert!(net.b.tcp_connects(&net.relay_addr));

    let anywhere = |ip: &str| {
        [
            "--network".to_string(),
            "anywhere".into(),
            "--relay".into(),
            relay_url.clone(),
            "--bind".into(),
            ip.to_string(),
        ]
    };
    let (net_a, net_b) = (anywhere(&net.a_ip), anywhere(&net.b_ip));
    let ari = Side::new(
        "Ari",
        &net.a,
        &net_a.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let bea = Side::new(
        "Bea",
        &net.b,
        &net_b.iter().map(String::as_str).collect::<Vec<_>>(),
    );

    // Pairing by QR image, across the relay: the invite waits for A's relay.
    let paired = Instant::now();
    pair_by_qr_image(
        &dir.path().join("invite.png"),
        |args| ari.cmd(args),
        |args| bea.cmd(args),
    );
    let paired = paired.elapsed();
    let mut want: Vec<String> = Vec::new();

    // Live sync, both ways.
    let (live_a, _la) = ari.live();
    let (live_b, _lb) = bea.live();
    add(&ari, "from Ari, live", &mut want);
    let first = converge(&ari, &bea, &want, Duration::from_secs(60));
    add(&bea, "from Bea, live", &mut want);
    converge(&ari, &bea, &want, Duration::from_secs(60));
    let rtt_live = (relay_path(&ari), relay_path(&bea));

    // `sync --once` both ways, each against the other's live sync.
    stop(live_b);
    add(&ari, "from Ari, once", &mut want);
    let (live_b, _lb) = bea.live();
    let out = ari.ok(&["sync", "--once", "--timeout", "60"]);
    assert!(out.contains("In sync"), "{out}");
    converge(&ari, &bea, &want, Duration::from_secs(30));
    stop(live_a);
    add(&bea, "from Bea, once", &mut want);
    let (live_a, _la) = ari.live();
    let out = bea.ok(&["sync", "--once", "--timeout", "60"]);
    assert!(out.contains("In sync"), "{out}");
    converge(&ari, &bea, &want, Duration::from_secs(30));

    // Both sides restart: only what they remembered (the partner's relay) leads
    // them to each other.
    stop(live_a);
    stop(live_b);
    add(&ari, "from Ari, after the restart", &mut want);
    add(&bea, "from Bea, after the restart", &mut want);
    let restarted = Instant::now();
    let (live_a, _la) = ari.live();
    let (live_b, _lb) = bea.live();
    converge(&ari, &bea, &want, Duration::from_secs(90));
    let restarted = restarted.elapsed();

    // The relay dies: nothing crosses, and a one-shot sync says what it tried.
    relay.take().unwrap().kill();
    add(&ari, "from Ari, relay down", &mut want);
    std::thread::sleep(Duration::from_secs(3));
    assert!(!bea.texts().iter().any(|t| t == "from Ari, relay down"));
    let out = ari
        .cmd(&["sync", "--once", "--timeout", "5"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "synced without a relay");
    let err = error_line(&String::from_utf8_lossy(&out.stderr));
    assert!(
        err.contains("anywhere mode") && err.contains(&relay_url),
        "the error does not name the mode and the relay: {err}"
    );
    // It comes back: the running syncs find each other again.
    let back = Instant::now();
    relay = Some(Relay::start(&net, dir.path()));
    add(&bea, "from Bea, relay back", &mut want);
    converge(&ari, &bea, &want, Duration::from_secs(120));
    let back = back.elapsed();
    let rtt_after = (relay_path(&ari), relay_path(&bea));
    stop(live_a);
    stop(live_b);
    relay.take().unwrap().kill();
    eprintln!(
        "relay: paired in {paired:?}; first entry crossed in {first:?}; round trip through \
         the relay {rtt_live:?} ms (Ari, Bea); after both restarted, converged in \
         {restarted:?}; after the relay came back, in {back:?} (round trip {rtt_after:?} \
         ms); error without the relay: {err}; total {:?}",
        started.elapsed()
    );
}

/// Two namespaces joined by a veth pair, with multicast routed onto it: the
/// local network of `local` mode, with mDNS inside it and nowhere else.
struct Lan {
    a: Ns,
    b: Ns,
    a_dev: String,
    b_dev: String,
    net: u32,
}

impl Lan {
    fn create() -> Self {
        require_root();
        let pid = std::process::id();
        let net = 10 + pid % 240;
        let (a, b) = (Ns::new("la"), Ns::new("lb"));
        let (a_dev, b_dev) = (format!("kla{pid}"), format!("klb{pid}"));
        veth(
            &a,
            &a_dev,
            &format!("10.204.{net}.1/24"),
            &b,
            &b_dev,
            &format!("10.204.{net}.2/24"),
        );
        for (ns, dev) in [(&a, &a_dev), (&b, &b_dev)] {
            ns.ip(&["route", "add", "224.0.0.0/4", "dev", dev]);
        }
        Self {
            a,
            b,
            a_dev,
            b_dev,
            net,
        }
    }

    fn ip(&self, host: u32) -> String {
        format!("10.204.{}.{host}", self.net)
    }

    /// Moves a side to another address on the same link: the old one is gone.
    fn move_to(&self, side: usize, from: u32, to: u32) {
        let (ns, dev) = if side == 0 {
            (&self.a, &self.a_dev)
        } else {
            (&self.b, &self.b_dev)
        };
        ns.ip(&["addr", "del", &format!("{}/24", self.ip(from)), "dev", dev]);
        ns.ip(&["addr", "add", &format!("{}/24", self.ip(to)), "dev", dev]);
        // Removing a device's last address removed its routes, the multicast one
        // with them; a host on a real network gets its routes back with its new
        // address (DHCP), so give it back here.
        ns.ip(&["route", "replace", "224.0.0.0/4", "dev", dev]);
    }
}

fn local(ip: &str) -> Vec<String> {
    ["--network", "local", "--bind", ip]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

fn once_ok(side: &Side, timeout: &str) -> Duration {
    let t = Instant::now();
    let out = side
        .cmd(&["sync", "--once", "--timeout", timeout])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}'s sync --once failed after {:?}: {}",
        side.name,
        t.elapsed(),
        String::from_utf8_lossy(&out.stderr)
    );
    t.elapsed()
}

/// `local` mode's mDNS (iroh's generic service name) inside two namespaces of the
/// test's own: the cases of issue 14 (one side moves, runs a live sync, and the
/// other's one-shot sync must reach it), then both move, so that no remembered
/// address is right and only mDNS can bring them together.
#[test]
fn local_mode_finds_a_partner_that_moved_by_mdns() {
    require_root();
    let lan = Lan::create();
    let dir = tempfile::tempdir().unwrap();
    let mut ari = Side::new("Ari", &lan.a, &[]);
    let mut bea = Side::new("Bea", &lan.b, &[]);
    ari.net = local(&lan.ip(1));
    bea.net = local(&lan.ip(2));
    pair_by_qr_image(
        &dir.path().join("invite.png"),
        |args| ari.cmd(args),
        |args| bea.cmd(args),
    );
    let mut want: Vec<String> = Vec::new();

    // Bea (the joiner) moves and runs a live sync; Ari's one-shot sync must find her
    // at her new address, which it never learnt.
    lan.move_to(1, 2, 102);
    bea.net = local(&lan.ip(102));
    let (live_b, _lb) = bea.live();
    add(&ari, "from Ari, Bea moved", &mut want);
    let t1 = once_ok(&ari, "30");
    converge(&ari, &bea, &want, Duration::from_secs(10));
    stop(live_b);

    // Ari (the inviter) moves and runs a live sync; Bea's one-shot sync finds her.
    lan.move_to(0, 1, 101);
    ari.net = local(&lan.ip(101));
    let (live_a, _la) = ari.live();
    add(&bea, "from Bea, Ari moved", &mut want);
    let t2 = once_ok(&bea, "30");
    converge(&ari, &bea, &want, Duration::from_secs(10));
    stop(live_a);

    // Both move again: neither remembered address is right, both run live.
    lan.move_to(0, 101, 51);
    lan.move_to(1, 102, 52);
    ari.net = local(&lan.ip(51));
    bea.net = local(&lan.ip(52));
    let (live_a, _la) = ari.live();
    let (live_b, _lb) = bea.live();
    add(&ari, "from Ari, both moved", &mut want);
    add(&bea, "from Bea, both moved", &mut want);
    let t3 = converge(&ari, &bea, &want, Duration::from_secs(60));
    stop(live_a);
    stop(live_b);
    eprintln!(
        "mdns: Bea moved, Ari's sync --once took {t1:?}; Ari moved, Bea's took {t2:?}; both moved, live syncs converged in {t3:?}"
    );
}
