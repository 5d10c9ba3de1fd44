//! Drives the real `kintsugi` binary against a throwaway profile.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const PASS: &str = "correct horse battery staple";

pub struct Profile {
    pub dir: tempfile::TempDir,
}

impl Profile {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().join("profile")
    }

    pub fn init(name: &str) -> Self {
        let p = Self::new();
        p.ok(&["init", "--name", name]);
        p
    }

    pub fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_kintsugi"));
        c.env("KINTSUGI_PROFILE", self.path())
            .env("KINTSUGI_PASSPHRASE", PASS)
            .env("KINTSUGI_INSECURE_FAST_KDF", "1")
            .env_remove("RUST_LOG")
            .stdin(std::process::Stdio::null());
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().unwrap()
    }

    /// Runs and expects success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "kintsugi {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs and expects failure with a single-line message; returns stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            !out.status.success(),
            "kintsugi {args:?} should have failed"
        );
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(!err.trim().is_empty(), "no message for {args:?}");
        err
    }

    /// Runs a command that prints an id on its last stdout line.
    pub fn id(&self, args: &[&str]) -> String {
        self.ok(args).trim().lines().last().unwrap().to_string()
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut a = vec!["--json"];
        a.extend_from_slice(args);
        serde_json::from_str(&self.ok(&a)).unwrap()
    }
}

/// Every byte of every file below `dir`.
pub fn all_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Loopback only, no discovery: what every network test uses.
pub const NET: [&str; 4] = ["--network", "direct", "--bind", "127.0.0.1"];

impl Profile {
    /// Runs with the loopback network options in front of `args`.
    pub fn net_ok(&self, args: &[&str]) -> String {
        let mut a: Vec<&str> = NET.to_vec();
        a.extend_from_slice(args);
        self.ok(&a)
    }

    pub fn spawn(&self, args: &[&str]) -> Child {
        let mut a: Vec<&str> = NET.to_vec();
        a.extend_from_slice(args);
        Child(
            self.cmd()
                .args(&a)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap(),
        )
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
}

/// A background `kintsugi` process, killed if the test ends early.
pub struct Child(pub std::process::Child);

impl Child {
    pub fn wait_output(mut self) -> Output {
        let out = std::mem::replace(
            &mut self.0,
            std::process::Command::new("true").spawn().unwrap(),
        );
        out.wait_with_output().unwrap()
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The line of the form "123 456": the short authentication string.
pub fn sas_line(stdout: &str) -> String {
    stdout
        .lines()
        .find(|l| {
            let b = l.as_bytes();
            b.len() == 7 && b[3] == b' ' && l.chars().filter(|c| c.is_ascii_digit()).count() == 6
        })
        .unwrap_or_else(|| panic!("no authentication string in:\n{stdout}"))
        .to_string()
}

/// Waits until `path` exists and is not empty.
pub fn wait_for_file(path: &Path) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::fs::metadata(path)
        .map(|m| m.len() == 0)
        .unwrap_or(true)
    {
        assert!(
            std::time::Instant::now() < deadline,
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// An external program the tests rely on; `scripts/test-all` installs it.
pub fn tool(name: &str) -> Command {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        found,
        "{name} is missing: run ./scripts/test-all, which installs it"
    );
    Command::new(name)
}

/// Pairs two fresh profiles through the real binary: invite with a PNG, join with
/// the image. Returns the two profiles and the invite text both saw.
pub fn paired_profiles() -> (Profile, Profile) {
    let a = Profile::init("Ari");
    let b = Profile::init("Bea");
    let png = a.dir.path().join("invite.png");
    let inviter = a.spawn(&[
        "pair",
        "invite",
        "--qr-png",
        png.to_str().unwrap(),
        "--yes",
        "--timeout",
        "60",
    ]);
    wait_for_file(&png);
    let joined = b.net_ok(&["pair", "join", "--qr-image", png.to_str().unwrap(), "--yes"]);
    let hosted = inviter.wait_output();
    assert!(
        hosted.status.success(),
        "{}",
        String::from_utf8_lossy(&hosted.stderr)
    );
    let hosted = String::from_utf8(hosted.stdout).unwrap();
    assert_eq!(sas_line(&hosted), sas_line(&joined));
    (a, b)
}
