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
