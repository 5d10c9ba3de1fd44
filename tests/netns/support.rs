//! Network namespaces that a test builds for itself, and `kintsugi` run inside them
//! (shared by the modules of this test binary). Everything is removed on drop:
//! namespaces, and with them their veth ends, addresses, routes and processes'
//! sockets. Nothing is created in the host's own network namespace.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::common::{Child, PASS, Profile, tool};

/// Fails (never skips) unless the test runs as root: namespaces need it.
pub fn require_root() {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let uid = status
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .and_then(|l| l.split_whitespace().nth(2))
        .unwrap_or("?")
        .to_string();
    assert_eq!(
        uid, "0",
        "this test creates network namespaces and must run as root (CI does); \
         run it with sudo or as root"
    );
}

pub fn run_ip(args: &[&str]) {
    let out = tool("ip").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// One network namespace, deleted on drop.
pub struct Ns {
    pub name: String,
}

impl Ns {
    /// A namespace named `ktsg-TAG-PID`, with its loopback up.
    pub fn new(tag: &str) -> Self {
        require_root();
        let name = format!("ktsg-{tag}-{}", std::process::id());
        run_ip(&["netns", "add", &name]);
        let ns = Self { name };
        ns.ip(&["link", "set", "lo", "up"]);
        ns
    }

    /// `ip -n NAME ARGS`, which must succeed.
    pub fn ip(&self, args: &[&str]) {
        let mut a = vec!["-n", &self.name];
        a.extend_from_slice(args);
        run_ip(&a);
    }

    /// `PROGRAM ARGS` inside this namespace.
    pub fn exec(&self, program: &str, args: &[&str]) -> Command {
        let mut c = tool("ip");
        c.args(["netns", "exec", &self.name, program]).args(args);
        c
    }

    /// Whether a TCP connection from here to `addr` opens within two seconds
    /// (bash's /dev/tcp: no other tool needed).
    pub fn tcp_connects(&self, addr: &str) -> bool {
        let (host, port) = addr.rsplit_once(':').unwrap();
        self.exec(
            "timeout",
            &[
                "2",
                "bash",
                "-c",
                &format!("exec 3<>/dev/tcp/{host}/{port}"),
            ],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
    }

    /// Whether the kernel here has any route to `ip`.
    pub fn has_route(&self, ip: &str) -> bool {
        Command::new("ip")
            .args(["-n", &self.name, "route", "get", ip])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    }
}

impl Drop for Ns {
    fn drop(&mut self) {
        // Deleting a namespace deletes its veth ends, and with them their peers.
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

/// A veth pair between two namespaces, created directly inside them, with an
/// address (`IP/PREFIX`) on each end.
pub fn veth(a: &Ns, a_dev: &str, a_addr: &str, b: &Ns, b_dev: &str, b_addr: &str) {
    run_ip(&[
        "link", "add", a_dev, "netns", &a.name, "type", "veth", "peer", "name", b_dev, "netns",
        &b.name,
    ]);
    for (ns, dev, addr) in [(a, a_dev, a_addr), (b, b_dev, b_addr)] {
        ns.ip(&["addr", "add", addr, "dev", dev]);
        ns.ip(&["link", "set", dev, "up"]);
    }
}

/// One person's device: a profile, the namespace it runs in, and the network
/// options every command of it gets.
pub struct Side<'a> {
    pub name: &'static str,
    pub profile: Profile,
    pub ns: &'a Ns,
    pub net: Vec<String>,
}

impl<'a> Side<'a> {
    pub fn new(name: &'static str, ns: &'a Ns, net: &[&str]) -> Self {
        Self {
            name,
            profile: Profile::init(name),
            ns,
            net: net.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// `kintsugi NET ARGS` inside the namespace.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = self.ns.exec(env!("CARGO_BIN_EXE_kintsugi"), &[]);
        c.args(&self.net)
            .args(args)
            .env("KINTSUGI_PROFILE", self.profile.path())
            .env("KINTSUGI_PASSPHRASE", PASS)
            .env("KINTSUGI_INSECURE_FAST_KDF", "1")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null());
        // To see what the processes did: KINTSUGI_TEST_LOG=kintsugi_net=debug, say
        // (a live sync's start is echoed; read the rest from its receiver).
        if let Ok(filter) = std::env::var("KINTSUGI_TEST_LOG") {
            c.env("RUST_LOG", filter);
        }
        c
    }

    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.cmd(args).output().unwrap();
        assert!(
            out.status.success(),
            "{}: kintsugi {args:?}: {}",
            self.name,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut a = vec!["--json"];
        a.extend_from_slice(args);
        serde_json::from_str(&self.ok(&a)).unwrap()
    }

    pub fn texts(&self) -> Vec<String> {
        let mut t: Vec<String> = self
            .json(&["boundary", "list"])
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["text"].as_str().unwrap().to_string())
            .collect();
        t.sort();
        t
    }

    /// A live `kintsugi sync`, returned once it is listening, with its stderr lines.
    pub fn live(&self) -> (Child, mpsc::Receiver<String>) {
        let mut c = Child(
            self.cmd(&["sync", "--timeout", "600"])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
        );
        let stderr = c.0.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for l in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(l);
            }
        });
        loop {
            let l = rx
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|_| panic!("{}: `kintsugi sync` did not start", self.name));
            if l.contains("Syncing with") {
                return (c, rx);
            }
            if std::env::var_os("KINTSUGI_TEST_LOG").is_some() {
                eprintln!("{}: {l}", self.name);
            }
        }
    }
}

/// Waits until both sides list `want`; returns how long it took.
pub fn converge(a: &Side, b: &Side, want: &[String], limit: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let (ta, tb) = (a.texts(), b.texts());
        if ta == want && tb == want {
            return started.elapsed();
        }
        for t in ta.iter().chain(&tb) {
            assert!(want.contains(t), "an entry nobody wrote: {t}");
        }
        assert!(
            started.elapsed() < limit,
            "no convergence after {limit:?}:\n{} {ta:?}\n{} {tb:?}\nwant {want:?}",
            a.name,
            b.name
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Ends a background process; what it printed, for the record.
pub fn stop(mut c: Child) -> std::process::Output {
    let _ = c.0.kill();
    let out = c.wait_output();
    assert!(
        !crate::common::panicked(&out.stderr),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}
