//! Opening a profile in a fresh process of this same binary, so that its peak
//! resident memory is that of the open alone and not of everything the benchmark
//! did before.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use kintsugi_device::Device;
use serde::{Deserialize, Serialize};

use crate::machine::memory_kib;
use crate::side::{PASSPHRASE, options};
use crate::stats::ms;

/// The hidden subcommands the parent runs.
pub const SUBCOMMAND: &str = "open-child";
pub const PLAIN_SUBCOMMAND: &str = "load-plain-child";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OpenReport {
    /// `Device::unlock`: keyring (cheap KDF), read and decrypt both logs, load both
    /// documents.
    pub open_ms: f64,
    /// Peak resident memory right after the open.
    pub hwm_after_open_kib: u64,
    /// Listing everything once, as the first frame of the app would.
    pub first_lists_ms: f64,
    pub shared_entries: usize,
    pub diary_entries: usize,
    /// Peak and current resident memory after the open and the listings.
    pub hwm_kib: u64,
    pub rss_kib: u64,
    /// Where the open's time goes, measured again after the figures above: reading
    /// and decrypting both logs, then Automerge loading what they hold.
    pub read_decrypt_ms: f64,
    pub automerge_load_ms: f64,
    /// Log records of both documents (one per command until compaction).
    pub records: usize,
}

/// Runs in the child: open, list, report on stdout as JSON.
pub fn run(profile: &Path) -> Result<()> {
    let t = Instant::now();
    let device = Device::unlock(profile, PASSPHRASE, options())
        .with_context(|| format!("opening {}", profile.display()))?;
    let open_ms = ms(t.elapsed());
    let (hwm_after_open_kib, _) = memory_kib().context("reading /proc/self/status")?;
    let t = Instant::now();
    let shared_entries = device.boundaries()?.len();
    let diary_entries = device.diary_entries()?.len();
    let first_lists_ms = ms(t.elapsed());
    let (hwm_kib, rss_kib) = memory_kib().context("reading /proc/self/status")?;
    drop(device);
    let (read_decrypt_ms, automerge_load_ms, records) = breakdown(profile)?;
    let report = OpenReport {
        open_ms,
        hwm_after_open_kib,
        first_lists_ms,
        shared_entries,
        diary_entries,
        hwm_kib,
        rss_kib,
        read_decrypt_ms,
        automerge_load_ms,
        records,
    };
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}

/// The open's two halves, through the store and Automerge directly.
fn breakdown(profile: &Path) -> Result<(f64, f64, usize)> {
    use kintsugi_store::{DocLog, LogKind, Unlocked};
    let t = Instant::now();
    let keys = Unlocked::unlock(profile, PASSPHRASE)?;
    let mut logs = Vec::new();
    for (name, kind) in [
        (kintsugi_device::SHARED_LOG, LogKind::Shared),
        (kintsugi_device::DIARY_LOG, LogKind::Diary),
    ] {
        logs.push(DocLog::open_in(&profile.join(name), kind, &keys.keyring)?.records);
    }
    let read_decrypt = ms(t.elapsed());
    let records = logs.iter().map(Vec::len).sum();
    let t = Instant::now();
    let mut docs = Vec::new();
    for records in &logs {
        let all: Vec<u8> = records.iter().flat_map(|r| r.iter().copied()).collect();
        docs.push(automerge::AutoCommit::load(&all).map_err(|e| anyhow::anyhow!("loading: {e}"))?);
    }
    let load = ms(t.elapsed());
    drop(std::hint::black_box(docs));
    Ok((read_decrypt, load, records))
}

/// What the baseline child measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlainReport {
    /// `automerge::AutoCommit::load` of every document given.
    pub load_ms: f64,
    pub hwm_kib: u64,
}

/// Runs in the baseline child: reads length-prefixed plaintext saves from stdin
/// (so they never touch the disk), then times loading them, like the open child
/// does for the profile: a fresh process, nothing loaded before.
pub fn run_plain() -> Result<()> {
    use std::io::Read;
    let mut input = Vec::new();
    std::io::stdin()
        .read_to_end(&mut input)
        .context("reading the saves")?;
    let mut docs = Vec::new();
    let mut rest = &input[..];
    while !rest.is_empty() {
        let (len, tail) = rest.split_first_chunk::<8>().context("a cut-off length")?;
        let len = usize::try_from(u64::from_le_bytes(*len))?;
        anyhow::ensure!(tail.len() >= len, "a cut-off save");
        docs.push(&tail[..len]);
        rest = &tail[len..];
    }
    let t = Instant::now();
    let mut loaded = Vec::with_capacity(docs.len());
    for d in &docs {
        loaded.push(automerge::AutoCommit::load(d).map_err(|e| anyhow::anyhow!("loading: {e}"))?);
    }
    let load_ms = ms(t.elapsed());
    let (hwm_kib, _) = memory_kib().context("reading /proc/self/status")?;
    std::hint::black_box(&loaded);
    println!(
        "{}",
        serde_json::to_string(&PlainReport { load_ms, hwm_kib })?
    );
    Ok(())
}

/// Runs the baseline child on `docs` and returns what it measured.
pub fn spawn_plain(docs: &[&[u8]]) -> Result<PlainReport> {
    use std::io::Write;
    use std::process::Stdio;
    let exe = std::env::current_exe().context("finding this program")?;
    let mut child = Command::new(exe)
        .arg(PLAIN_SUBCOMMAND)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("running the baseline child")?;
    {
        let mut stdin = child.stdin.take().context("no stdin")?;
        for d in docs {
            stdin.write_all(&(d.len() as u64).to_le_bytes())?;
            stdin.write_all(d)?;
        }
    }
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!(
            "the baseline child failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    serde_json::from_slice(&out.stdout).context("reading the baseline child's report")
}

/// Runs the child on `profile` and returns what it measured.
pub fn spawn(profile: &Path) -> Result<OpenReport> {
    let exe = std::env::current_exe().context("finding this program")?;
    let out = Command::new(exe)
        .arg(SUBCOMMAND)
        .arg(profile)
        .output()
        .context("running the open child")?;
    if !out.status.success() {
        bail!(
            "the open child failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    serde_json::from_slice(&out.stdout).context("reading the open child's report")
}

/// For profiling by hand: a profile like the big one, left in `dir`.
pub fn make_profile(dir: &Path, entries: usize) -> Result<()> {
    let side = crate::side::Side::create(dir, "Ari")?;
    let mut texts = crate::workload::Texts::new(7);
    for _ in 0..entries {
        side.device.propose_boundary(&texts.boundary(), None)?;
    }
    for i in 0..entries {
        let mood = 1 + texts.below(5) as u8;
        side.device
            .add_diary_entry(&texts.diary(), Some(mood), Some(1 + (i % 7) as u8))?;
    }
    println!("{}", side.dir.display());
    Ok(())
}

/// For profiling by hand: open once, then list the shared journal `reps` times.
pub fn list_loop(profile: &Path, reps: usize) -> Result<()> {
    let device = Device::unlock(profile, PASSPHRASE, options())?;
    let t = Instant::now();
    let mut n = 0;
    for _ in 0..reps {
        n += device.boundaries()?.len();
    }
    println!(
        "{n} entries listed, {:.2} ms per listing",
        ms(t.elapsed()) / reps.max(1) as f64
    );
    Ok(())
}

/// For profiling by hand: open once, then search both documents `reps` times.
pub fn search_loop(profile: &Path, reps: usize, text: &str) -> Result<()> {
    let device = Device::unlock(profile, PASSPHRASE, options())?;
    let query = kintsugi_device::SearchQuery {
        text: text.into(),
        ..Default::default()
    };
    let mut took = Vec::new();
    let mut hits = 0;
    for _ in 0..reps {
        let t = Instant::now();
        hits = device.search(&query)?.len();
        took.push(ms(t.elapsed()));
    }
    println!(
        "{hits} hits; p50 {:.2} ms, p99 {:.2} ms, first {:.2} ms",
        crate::stats::median(&took),
        crate::stats::percentile(&took, 99.0),
        took.first().copied().unwrap_or(0.0)
    );
    Ok(())
}

/// Runs in the child: a second process on a profile another process has open, as a
/// CLI command beside a running `kintsugi sync` would be. Opens it once, then writes
/// one boundary per line read from stdin and answers with the wall-clock time (Unix
/// microseconds) at which the write was durable.
pub fn write_loop(profile: &Path) -> Result<()> {
    use std::io::{BufRead, Write};
    let device = Device::unlock(profile, PASSPHRASE, options())
        .with_context(|| format!("opening {}", profile.display()))?;
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready")?;
    out.flush()?;
    for line in stdin.lock().lines() {
        let line = line?;
        let id = device.propose_boundary(&line, None)?;
        writeln!(out, "{id} {}", crate::stats::unix_micros())?;
        out.flush()?;
    }
    Ok(())
}
