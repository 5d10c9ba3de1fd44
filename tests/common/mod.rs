//! Drives the real `kintsugi` binary against a throwaway profile.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub mod format;
#[allow(unused_imports)]
pub use format::record_ends;

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

/// Where `needle` is found below `dir`: in any file's bytes, in a log's decrypted
/// records or in the Automerge history they hold (every change, decoded), or in a
/// sealed file opened with the profile key. The keys are the profile's own, read from
/// its keyring as a test helper may.
pub fn found_in(dir: &Path, needle: &str) -> Vec<String> {
    let keys = kintsugi_store::Unlocked::unlock(dir, PASS.as_bytes()).unwrap();
    let has = |b: &[u8]| contains(b, needle.as_bytes());
    let mut found = Vec::new();
    for (path, bytes) in all_files(dir) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if has(&bytes) {
            found.push(format!("{name}: plaintext"));
        }
        for kind in kintsugi_store::LogKind::ALL {
            let Ok(opened) = kintsugi_store::DocLog::open_in(&path, kind, &keys.keyring) else {
                continue;
            };
            let all: Vec<u8> = opened.records.iter().flat_map(|r| r.to_vec()).collect();
            if has(&all) {
                found.push(format!("{name}: decrypted records"));
            }
            if history(&all).contains(needle) {
                found.push(format!("{name}: Automerge history"));
            }
        }
        for label in [
            "settings v1",
            "partner v1",
            "revoking v1",
            "manifest v1",
            "release v1",
            "held check-ins v1",
            "held letter keys v1",
            "reminders shown v1",
        ] {
            if let Ok(Some(plain)) =
                kintsugi_store::read_sealed(&path, &keys.keyring.profile_key, label)
                && has(&plain)
            {
                found.push(format!("{name}: sealed ({label})"));
            }
        }
    }
    found
}

/// Every change of an Automerge document, decoded, as text.
pub fn history(doc: &[u8]) -> String {
    let Ok(mut am) = automerge::AutoCommit::load(doc) else {
        return String::new();
    };
    am.get_changes(&[])
        .iter()
        .map(|c| format!("{:?}", c.decode()))
        .collect()
}

/// Syncs two paired profiles once, over loopback: both hold the same shared journal
/// afterwards.
pub fn exchange(a: &Profile, b: &Profile) {
    let first = a.spawn(&["sync", "--once", "--timeout", "30"]);
    let out = b.net_ok(&["sync", "--once", "--timeout", "30"]);
    assert!(out.contains("In sync"), "{out}");
    let first = first.wait_output();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
}

/// What a command that must succeed said on stderr (where the CLI explains itself).
pub fn stderr_of(p: &Profile, args: &[&str]) -> String {
    let out = p.run(args);
    assert!(
        out.status.success(),
        "kintsugi {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stderr).unwrap()
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
        .find(|l| is_sas(l))
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
/// the image, each person typing the code the other screen shows.
pub fn paired_profiles() -> (Profile, Profile) {
    let a = Profile::init("Ari");
    let b = Profile::init("Bea");
    let png = a.dir.path().join("invite.png");
    let on = |p: &Profile, args: &[&str]| {
        let mut c = p.cmd();
        c.args(NET).args(args);
        c
    };
    pair_by_qr_image(&png, |args| on(&a, args), |args| on(&b, args));
    (a, b)
}

/// Pairs by QR image as two people would: `inviter` and `joiner` make the commands
/// (in a namespace, with tracing, …) from the arguments of `pair invite` (saving its
/// code as `png`) and `pair join` (reading it). Both must succeed and show the same
/// code; returns what they printed.
pub fn pair_by_qr_image(
    png: &Path,
    inviter: impl FnOnce(&[&str]) -> Command,
    joiner: impl FnOnce(&[&str]) -> Command,
) -> (Output, Output) {
    let png_arg = png.to_str().unwrap();
    let (hosted, joined) = pair_typing_codes(
        inviter(&["pair", "invite", "--qr-png", png_arg, "--timeout", "60"]),
        joiner(&["pair", "join", "--qr-image", png_arg]),
        || wait_for_file(png),
    );
    for out in [&hosted, &joined] {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(
        sas_line(&String::from_utf8_lossy(&hosted.stdout)),
        sas_line(&String::from_utf8_lossy(&joined.stdout))
    );
    (hosted, joined)
}

/// Runs a `pair invite` and a `pair join` command as two people would: each prints
/// the code on its screen, and each is given, at its prompt, the code the *other*
/// one printed. `before_join` runs between starting the inviter and the joiner (to
/// wait for the QR image, say).
pub fn pair_typing_codes(
    inviter: Command,
    joiner: Command,
    before_join: impl FnOnce(),
) -> (Output, Output) {
    pair_typing_codes_with(inviter, joiner, before_join, |code| code.to_string())
}

/// [`pair_typing_codes`], with `typed` turning the code one side printed into what
/// the other person types.
pub fn pair_typing_codes_with(
    inviter: Command,
    joiner: Command,
    before_join: impl FnOnce(),
    typed: impl Fn(&str) -> String,
) -> (Output, Output) {
    let a = Running::start(inviter);
    before_join();
    let b = Running::start(joiner);
    exchange_codes(a, b, typed)
}

/// A `kintsugi` process whose standard input the test writes and whose output lines
/// it reads as they come.
pub struct Running {
    child: std::process::Child,
    stdin: Option<std::process::ChildStdin>,
    lines: std::sync::mpsc::Receiver<String>,
    out: Option<std::thread::JoinHandle<Vec<u8>>>,
    err: Option<std::thread::JoinHandle<Vec<u8>>>,
}

impl Running {
    pub fn start(mut cmd: Command) -> Self {
        use std::io::{BufRead, Read};
        use std::process::Stdio;
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        let out = std::thread::spawn(move || {
            let mut all = Vec::new();
            for line in std::io::BufReader::new(stdout).split(b'\n') {
                let Ok(line) = line else { break };
                let _ = tx.send(String::from_utf8_lossy(&line).into_owned());
                all.extend_from_slice(&line);
                all.push(b'\n');
            }
            all
        });
        let err = std::thread::spawn(move || {
            let mut all = Vec::new();
            let _ = stderr.read_to_end(&mut all);
            all
        });
        Self {
            child,
            stdin,
            lines,
            out: Some(out),
            err: Some(err),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Types `text` at the process's standard input.
    pub fn write(&mut self, text: &str) {
        use std::io::Write;
        if let Some(stdin) = self.stdin.as_mut() {
            let _ = stdin.write_all(text.as_bytes());
            let _ = stdin.flush();
        }
    }

    /// The next output line that `want` accepts, within a minute (None if the process
    /// ended or said nothing of the kind).
    pub fn line_where(&self, want: impl Fn(&str) -> bool) -> Option<String> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) if want(&l) => return Some(l),
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
    }

    /// Closes standard input and waits for the process; all it printed.
    pub fn finish(mut self) -> Output {
        drop(self.stdin.take());
        let status = self.child.wait().unwrap();
        Output {
            status,
            stdout: self
                .out
                .take()
                .map(|h| h.join().unwrap())
                .unwrap_or_default(),
            stderr: self
                .err
                .take()
                .map(|h| h.join().unwrap())
                .unwrap_or_default(),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Each side's code goes to the other's prompt. A side that fails before printing a
/// code ends the exchange: its output says why.
pub fn exchange_codes(
    mut a: Running,
    mut b: Running,
    typed: impl Fn(&str) -> String,
) -> (Output, Output) {
    let code_a = a.line_where(is_sas);
    let code_b = b.line_where(is_sas);
    if let Some(code) = &code_a {
        b.write(&format!("{}\n", typed(code)));
    }
    if let Some(code) = &code_b {
        a.write(&format!("{}\n", typed(code)));
    }
    if code_a.is_none() || code_b.is_none() {
        let _ = a.child.kill();
        let _ = b.child.kill();
    }
    (a.finish(), b.finish())
}

pub fn is_sas(l: &str) -> bool {
    let b = l.as_bytes();
    b.len() == 7 && b[3] == b' ' && l.chars().filter(|c| c.is_ascii_digit()).count() == 6
}

// --- Helpers for the reliability and security tests (SECURITY.md) ----------------

/// A small seedable generator (SplitMix64) for the randomized tests. The seed is
/// printed; `KINTSUGI_TEST_SEED=N` repeats a run exactly.
pub struct Rng(u64);

impl Rng {
    pub fn seeded(test: &str) -> Self {
        let seed = std::env::var("KINTSUGI_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                let t = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos() as u64)
                    .unwrap_or(0);
                t ^ (u64::from(std::process::id()) << 32)
            });
        eprintln!("{test}: seed {seed} (KINTSUGI_TEST_SEED={seed} repeats this run)");
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// Uniform in `lo..hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo))
    }

    pub fn usize(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }

    pub fn chance(&mut self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }

    /// `lo..hi` random bytes (a random count in that range).
    pub fn some_bytes(&mut self, lo: usize, hi: usize) -> Vec<u8> {
        let n = self.range(lo as u64, hi as u64) as usize;
        self.bytes(n)
    }

    /// A byte that is not zero: XOR-ing with it always changes a byte.
    pub fn nonzero_byte(&mut self) -> u8 {
        (self.below(255) + 1) as u8
    }
}

/// `VAR` as a count, or `default`.
pub fn env_count(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Every file below `dir` (recursively), by path: what "no file changed" compares.
pub fn snapshot_files(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    all_files(dir).into_iter().collect()
}

/// SHA-256 and HMAC-SHA-256 from the RustCrypto crates the product uses, so that
/// tests can build inputs with valid checksums and MACs (the invite's checksum, the
/// pairing MAC) and so reach the parsers behind them.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(data).into()
}

pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    use hmac::{KeyInit, Mac};
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key)
        .expect("HMAC takes a key of any length");
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

pub fn panicked(stderr: &[u8]) -> bool {
    let s = String::from_utf8_lossy(stderr);
    s.contains("panicked") || s.contains("RUST_BACKTRACE")
}

/// The one line a failed command prints to say what went wrong. Any other line must
/// be a warning from the logger, which prints warnings by default.
pub fn error_line(stderr: &str) -> String {
    let (errors, others): (Vec<&str>, Vec<&str>) = stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .partition(|l| l.starts_with("kintsugi: ") && !l.starts_with("kintsugi: note"));
    assert_eq!(errors.len(), 1, "not exactly one error line: {stderr}");
    assert!(
        others.iter().all(|l| l.contains("WARN")),
        "unexpected output: {stderr}"
    );
    errors[0].to_string()
}

/// The endpoint id a profile's device answers as, read from its keyring.
pub fn endpoint_of(dir: &Path) -> [u8; 32] {
    let k = kintsugi_store::Unlocked::unlock(dir, PASS.as_bytes()).unwrap();
    *kintsugi_net::SecretKey::from_bytes(k.keyring.device_secret.expose())
        .public()
        .as_bytes()
}

/// Stores a pairing in a closed profile's keyring the way the pairing protocol
/// stores it, without a network (tests/pairing.rs tests the network's part).
pub fn store_pairing(dir: &Path, partner_endpoint: [u8; 32], couple_key: [u8; 32]) {
    let mut k = kintsugi_store::Unlocked::unlock(dir, PASS.as_bytes()).unwrap();
    k.set_pairing(Some(kintsugi_store::Pairing::new(
        kintsugi_store::Secret32::from_bytes(couple_key),
        partner_endpoint,
    )))
    .unwrap();
}

/// Two closed profiles that hold each other as partner under one couple key.
pub fn pair_keyrings(a: &Path, b: &Path, couple_key: [u8; 32]) {
    let (ia, ib) = (endpoint_of(a), endpoint_of(b));
    store_pairing(a, ib, couple_key);
    store_pairing(b, ia, couple_key);
}
