//! Crash safety (SECURITY.md, "Crash safety"): the real binary is killed with SIGKILL
//! at random moments while it writes entries, while it syncs and while it compacts.
//! After every kill the profile must open, and every entry whose write was reported
//! done (the command printed its id) must be there with its text.
//!
//! `KINTSUGI_CRASH_TRIALS=N` runs N trials per scenario (default 50);
//! `KINTSUGI_TEST_SEED=S` repeats a run's random choices.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::*;

fn trials() -> usize {
    env_count("KINTSUGI_CRASH_TRIALS", 50)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Diary,
    Boundary,
    Promise,
}

const KINDS: [Kind; 3] = [Kind::Diary, Kind::Boundary, Kind::Promise];

impl Kind {
    fn add(self, text: &str) -> Vec<String> {
        let v: Vec<&str> = match self {
            Kind::Diary => vec!["diary", "add", text],
            Kind::Boundary => vec!["boundary", "add", text],
            Kind::Promise => vec!["promise", "add", text, "--due", "2030-01-01"],
        };
        v.into_iter().map(String::from).collect()
    }

    fn noun(self) -> &'static str {
        match self {
            Kind::Diary => "diary",
            Kind::Boundary => "boundary",
            Kind::Promise => "promise",
        }
    }
}

/// id → (kind, text)
type Entries = BTreeMap<String, (Kind, String)>;

/// Everything the profile holds, read back through the real binary in fresh
/// processes. Fails the test if the profile does not open. Also returns the notes
/// (interrupted-write warnings) the binary printed.
fn read_back(p: &Profile, kinds: &[Kind]) -> (Entries, String) {
    let mut all = Entries::new();
    let mut notes = String::new();
    for &kind in kinds {
        let out = p.run(&["--json", kind.noun(), "list"]);
        assert!(
            !panicked(&out.stderr),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.status.success(),
            "the profile does not open after a crash: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        notes.push_str(&String::from_utf8_lossy(&out.stderr));
        let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        for e in list.as_array().unwrap() {
            all.insert(
                e["id"].as_str().unwrap().to_string(),
                (kind, e["text"].as_str().unwrap().to_string()),
            );
        }
    }
    (all, notes)
}

/// Checks a crashed profile against what was reported done and what was attempted.
/// Returns how many entries are there although their write was never reported done
/// (killed after the fsync, before the id was printed).
fn check(
    p: &Profile,
    done: &Entries,
    attempted: &BTreeMap<String, Kind>,
    kinds: &[Kind],
    when: &str,
) -> (usize, bool) {
    let (present, notes) = read_back(p, kinds);
    for (id, want) in done {
        assert_eq!(
            present.get(id),
            Some(want),
            "{when}: entry {id}, reported done, is missing or changed"
        );
    }
    let mut unreported = 0;
    for (id, (kind, text)) in &present {
        if done.contains_key(id) {
            continue;
        }
        assert_eq!(
            attempted.get(text),
            Some(kind),
            "{when}: entry {id} was never written by this test"
        );
        unreported += 1;
    }
    (unreported, notes.contains("interrupted"))
}

/// Runs one CLI write; SIGKILLs it if it is still running at `deadline`. Returns the
/// id it reported (a whole line on stdout) and whether it was killed.
fn write_until(p: &Profile, args: &[String], deadline: Instant) -> (Option<String>, bool) {
    let mut child = p
        .cmd()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let killed = loop {
        if child.try_wait().unwrap().is_some() {
            break false;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            break true;
        }
        std::thread::sleep(Duration::from_micros(200));
    };
    let status = child.wait().unwrap();
    let (mut out, mut err) = (String::new(), Vec::new());
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    child.stderr.take().unwrap().read_to_end(&mut err).unwrap();
    assert!(!panicked(&err), "{}", String::from_utf8_lossy(&err));
    let killed = killed && !status.success();
    if !killed {
        assert!(
            status.success(),
            "a write failed without a crash: {}",
            String::from_utf8_lossy(&err)
        );
    }
    let id = out
        .strip_suffix('\n')
        .and_then(|o| o.lines().last())
        .map(str::to_string);
    if !killed {
        assert!(id.is_some(), "a finished write printed no id");
    }
    (id, killed)
}

#[test]
fn sigkill_while_writing_loses_no_reported_entry() {
    let mut rng = Rng::seeded("writes");
    let p = Profile::init("Crash");
    let mut done = Entries::new();
    let mut attempted = BTreeMap::new();
    let (mut kills, mut unreported, mut torn) = (0, 0, 0);
    let started = Instant::now();
    for trial in 0..trials() {
        // A random moment within the next 1–150 ms: the process may be starting,
        // unlocking, loading, appending, syncing the file, printing or exiting.
        let deadline = Instant::now() + Duration::from_micros(rng.range(1_000, 150_000));
        for n in 0.. {
            let kind = KINDS[rng.usize(KINDS.len())];
            let text = format!("crash {trial}.{n} {kind:?}");
            attempted.insert(text.clone(), kind);
            let (id, killed) = write_until(&p, &kind.add(&text), deadline);
            if let Some(id) = id {
                done.insert(id, (kind, text));
            }
            if killed {
                kills += 1;
                break;
            }
        }
        let (u, t) = check(&p, &done, &attempted, &KINDS, &format!("trial {trial}"));
        unreported = u;
        torn += usize::from(t);
    }
    // And the profile takes new writes after all that.
    let id = p.id(&["diary", "add", "after the crashes"]);
    done.insert(id, (Kind::Diary, "after the crashes".into()));
    attempted.insert("after the crashes".into(), Kind::Diary);
    check(&p, &done, &attempted, &KINDS, "the end");
    eprintln!(
        "writes: {} trials, {kills} kills, {} entries reported done and all present, \
         {unreported} more written but never reported, {torn} reopen(s) found a torn tail, {:?}",
        trials(),
        done.len(),
        started.elapsed()
    );
}

/// A running `kintsugi sync` (live), with its stderr collected line by line.
struct Live {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Live {
    fn start(p: &Profile) -> Self {
        let mut child = p.spawn(&["sync", "--timeout", "300"]);
        let stderr = child.0.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for l in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(l);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let l = lines
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .expect("`kintsugi sync` did not start");
            assert!(!l.contains("panicked"), "{l}");
            if l.contains("Syncing with") {
                break;
            }
        }
        Self { child, lines }
    }

    fn kill(mut self) {
        let _ = self.child.0.kill();
        let _ = self.child.0.wait();
        for l in self.lines.try_iter() {
            assert!(!l.contains("panicked"), "{l}");
        }
    }
}

fn write_one(
    p: &Profile,
    done: &mut Entries,
    attempted: &mut BTreeMap<String, Kind>,
    text: String,
    kind: Kind,
) {
    attempted.insert(text.clone(), kind);
    let args = kind.add(&text);
    let id = p.id(&args.iter().map(String::as_str).collect::<Vec<_>>());
    done.insert(id, (kind, text));
}

#[test]
fn sigkill_during_sync_leaves_both_profiles_whole() {
    let mut rng = Rng::seeded("sync");
    let (a, b) = paired_profiles();
    let kinds = [Kind::Boundary, Kind::Diary];
    let (mut done_a, mut done_b) = (Entries::new(), Entries::new());
    let mut attempted = BTreeMap::new();
    let (mut killed_b, mut partial, mut arrived) = (0, 0, 0);
    let started = Instant::now();
    // How long a one-shot sync of a few entries takes here: the kills land within
    // one and a half times that, so that many of them hit a sync in progress.
    let mut took = Vec::new();
    for round in 0..3 {
        write_one(
            &a,
            &mut done_a,
            &mut attempted,
            format!("calibration {round}"),
            Kind::Boundary,
        );
        let live = Live::start(&a);
        let t = Instant::now();
        let out = b.net_ok(&["sync", "--once", "--timeout", "30"]);
        assert!(out.contains("In sync"), "{out}");
        took.push(t.elapsed());
        live.kill();
    }
    took.sort();
    let window = (took[1].as_micros() as u64 * 3 / 2).max(50_000);
    let mut had_b: BTreeSet<String> = b.texts().into_iter().collect();
    for trial in 0..trials() {
        // New entries on both sides; every few trials a burst, so that a sync has
        // something to carry when the kill lands.
        let burst = if rng.chance(4) { 12 } else { 3 };
        for n in 0..rng.range(1, burst) {
            let kind = if rng.chance(4) {
                Kind::Diary
            } else {
                Kind::Boundary
            };
            write_one(
                &a,
                &mut done_a,
                &mut attempted,
                format!("A {trial}.{n}"),
                kind,
            );
        }
        for n in 0..rng.range(0, 3) {
            let text = format!("B {trial}.{n}");
            write_one(&b, &mut done_b, &mut attempted, text, Kind::Boundary);
        }
        // Ari's live sync and Bea's one-shot sync; at a random moment one of them is
        // killed, and the other a moment later (if it is still running).
        let mut live = Some(Live::start(&a));
        let mut once = b.spawn(&["sync", "--once", "--timeout", "20"]);
        std::thread::sleep(Duration::from_micros(rng.range(0, window)));
        let b_first = rng.chance(2);
        let mut killed_now = false;
        if b_first {
            killed_now = once.0.try_wait().unwrap().is_none();
            killed_b += usize::from(killed_now);
            let _ = once.0.kill();
        } else {
            live.take().unwrap().kill();
        }
        std::thread::sleep(Duration::from_micros(rng.range(0, 200_000)));
        if let Some(live) = live {
            live.kill();
        } else {
            killed_now = once.0.try_wait().unwrap().is_none();
            killed_b += usize::from(killed_now);
            let _ = once.0.kill();
        }
        let out = once.wait_output();
        assert!(
            !panicked(&out.stderr),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let when = format!("trial {trial}");
        check(&a, &done_a, &attempted, &kinds, &format!("{when}, Ari"));
        check(&b, &done_b, &attempted, &kinds, &format!("{when}, Bea"));
        // Of the shared entries Ari had and Bea lacked, Bea now holds all, none, or
        // (a sync killed part-way) some.
        let on_b: BTreeSet<String> = b.texts().into_iter().collect();
        let pending: Vec<&String> = done_a
            .values()
            .filter(|(k, t)| *k == Kind::Boundary && !had_b.contains(t))
            .map(|(_, t)| t)
            .collect();
        let got = pending.iter().filter(|t| on_b.contains(**t)).count();
        if got > 0 && got < pending.len() {
            partial += 1;
        }
        if got > 0 && killed_now {
            arrived += 1;
        }
        had_b = on_b;
    }
    // A clean sync at the end: both hold every shared entry either side reported done.
    let live = Live::start(&a);
    let out = b.net_ok(&["sync", "--once", "--timeout", "60"]);
    assert!(out.contains("In sync"), "{out}");
    live.kill();
    let mut want: Vec<String> = done_a
        .values()
        .chain(done_b.values())
        .filter(|(k, _)| *k == Kind::Boundary)
        .map(|(_, t)| t.clone())
        .collect();
    want.sort();
    assert_eq!(a.texts(), want, "Ari after the final sync");
    assert_eq!(b.texts(), want, "Bea after the final sync");
    // Ari's private diary stayed on Ari's device through every crash.
    assert!(read_back(&b, &[Kind::Diary]).0.is_empty());
    eprintln!(
        "sync: a one-shot sync took {:?}; {} trials killing within {:?}: {killed_b} one-shot \
         syncs killed before they finished, {} live syncs killed, {arrived} of those kills came \
         after Bea had stored what she received, {partial} left her with only part of it, {} + {} entries reported done and all present, then \
         converged; {:?}",
        took[1],
        trials(),
        Duration::from_micros(window),
        trials(),
        done_a.len(),
        done_b.len(),
        started.elapsed()
    );
}

/// The child process of `sigkill_during_compaction_loses_nothing`: writes an entry,
/// reports it, compacts both logs, reports that, and so on until it is killed. Not a
/// test on its own (the CLI has no compaction command, so the harness runs the
/// device API in this separate process).
#[test]
#[ignore = "helper process for sigkill_during_compaction_loses_nothing; runs until killed"]
fn helper_compacting_writer() {
    let Ok(dir) = std::env::var("KINTSUGI_CRASH_CHILD_PROFILE") else {
        return;
    };
    let tag = std::env::var("KINTSUGI_CRASH_CHILD_TAG").unwrap();
    let opts = kintsugi_device::Options::INSECURE_FAST_FOR_TESTS;
    let device = kintsugi_device::Device::unlock(Path::new(&dir), PASS.as_bytes(), opts).unwrap();
    let mut out = std::io::stdout().lock();
    for i in 0u64.. {
        let text = format!("{tag}.{i}");
        let (kind, id) = if i % 2 == 0 {
            ("Diary", device.add_diary_entry(&text, None, None).unwrap())
        } else {
            ("Boundary", device.propose_boundary(&text, None).unwrap())
        };
        writeln!(out, "DONE {kind} {id} {text}").unwrap();
        out.flush().unwrap();
        device.compact().unwrap();
        writeln!(out, "COMPACTED").unwrap();
        out.flush().unwrap();
    }
}

#[test]
fn sigkill_during_compaction_loses_nothing() {
    let mut rng = Rng::seeded("compaction");
    let p = Profile::init("Compact");
    let kinds = [Kind::Diary, Kind::Boundary];
    let mut done = Entries::new();
    let mut attempted = BTreeMap::new();
    let (mut compactions, mut mid_compaction) = (0, 0);
    let started = Instant::now();
    for trial in 0..trials() {
        let tag = format!("compact {trial}");
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--ignored",
                "--exact",
                "helper_compacting_writer",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("KINTSUGI_CRASH_CHILD_PROFILE", p.path())
            .env("KINTSUGI_CRASH_CHILD_TAG", &tag)
            .env("RUST_BACKTRACE", "0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(rng.range(2_000, 200_000)));
        let _ = child.kill();
        let _ = child.wait();
        let (mut out, mut err) = (String::new(), Vec::new());
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        child.stderr.take().unwrap().read_to_end(&mut err).unwrap();
        assert!(!panicked(&err), "{}", String::from_utf8_lossy(&err));
        assert!(!out.contains("panicked"), "{out}");
        // Only whole lines count as reported.
        let complete = match out.rfind('\n') {
            Some(i) => &out[..=i],
            None => "",
        };
        let mut last_was_done = false;
        // libtest may print its own "test … " prefix on the first line.
        for line in complete.lines() {
            if let Some(rest) = line.find("DONE ").map(|i| &line[i + 5..]) {
                let mut parts = rest.splitn(3, ' ');
                let kind = match parts.next().unwrap() {
                    "Diary" => Kind::Diary,
                    _ => Kind::Boundary,
                };
                let id = parts.next().unwrap().to_string();
                let text = parts.next().unwrap().to_string();
                done.insert(id, (kind, text));
                last_was_done = true;
            } else if line.ends_with("COMPACTED") {
                compactions += 1;
                last_was_done = false;
            }
        }
        if last_was_done {
            mid_compaction += 1;
        }
        // Everything the child may have attempted: the next text after the last one
        // reported, too.
        let reported = complete.lines().filter(|l| l.contains("DONE ")).count() as u64;
        for i in 0..=reported {
            let kind = if i % 2 == 0 {
                Kind::Diary
            } else {
                Kind::Boundary
            };
            attempted.insert(format!("{tag}.{i}"), kind);
        }
        check(&p, &done, &attempted, &kinds, &format!("trial {trial}"));
    }
    let leftovers: Vec<String> = std::fs::read_dir(p.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    // A fresh process compacts and writes on top of whatever the kills left.
    let id = p.id(&["diary", "add", "after the crashes"]);
    done.insert(id, (Kind::Diary, "after the crashes".into()));
    attempted.insert("after the crashes".into(), Kind::Diary);
    check(&p, &done, &attempted, &kinds, "the end");
    eprintln!(
        "compaction: {} trials, {compactions} compactions finished, {mid_compaction} kills \
         landed after a write and before its compaction finished, {} entries reported done \
         and all present, {} temporary file(s) left behind by killed compactions, {:?}",
        trials(),
        done.len(),
        leftovers.len(),
        started.elapsed()
    );
}

// --- Linking another device, and removing one ---------------------------------------

/// Trials for the two device scenarios below (default 100 each).
fn device_trials() -> usize {
    env_count("KINTSUGI_DEVICE_CRASH_TRIALS", 100)
}

/// A copy of the whole profile `from` (its manifest included, so the copy is as
/// consistent as the original): a fresh starting point for one trial.
fn copy_profile(from: &Profile) -> Profile {
    let to = Profile::new();
    for (path, bytes) in all_files(&from.path()) {
        let rel = path.strip_prefix(from.path()).unwrap();
        let dest = to.path().join(rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::write(&dest, bytes).unwrap();
    }
    to
}

/// SIGKILL by process id, from another thread than the one that owns the child.
fn kill_pid(pid: u32) {
    let _ = Command::new("kill")
        .args(["-9", &pid.to_string()])
        .stderr(Stdio::null())
        .status();
}

/// Runs `device link` on `existing` and `device join` on `new`, each person typing the
/// other screen's code. With `kill = Some((inviter, after))`, that side is killed
/// `after` the joiner started, and the other side 1.5 s later if it still runs (a
/// survivor would otherwise wait minutes for a decision that never comes).
fn link_once(
    existing: &Profile,
    new: &Profile,
    kill: Option<(bool, Duration)>,
) -> (Output, Output) {
    let png = existing.dir.path().join("link.png");
    let _ = std::fs::remove_file(&png);
    let on = |p: &Profile, args: &[&str]| {
        let mut c = p.cmd();
        c.args(NET).args(args);
        c
    };
    let png_arg = png.to_str().unwrap();
    let a = Running::start(on(
        existing,
        &["device", "link", "--qr-png", png_arg, "--timeout", "60"],
    ));
    wait_for_file(&png);
    let b = Running::start(on(
        new,
        &["device", "join", "--qr-image", png_arg, "--label", "laptop"],
    ));
    if let Some((inviter, after)) = kill {
        let (victim, other) = if inviter {
            (a.pid(), b.pid())
        } else {
            (b.pid(), a.pid())
        };
        std::thread::spawn(move || {
            std::thread::sleep(after);
            kill_pid(victim);
            std::thread::sleep(Duration::from_millis(1500));
            kill_pid(other);
        });
    }
    exchange_codes(a, b, |code| code.to_string())
}

/// The devices `p` lists, after checking it opens and refuses no record.
fn listed(p: &Profile, when: &str) -> Vec<serde_json::Value> {
    let out = p.run(&["--json", "device", "list"]);
    assert!(
        !panicked(&out.stderr),
        "{when}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{when}: the profile does not open: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["refused"], serde_json::json!([]), "{when}: {v}");
    v["devices"].as_array().unwrap().clone()
}

/// Killing either side of linking at any moment loses no entry of the existing
/// device, leaves both profiles openable, and ends in one of three states: not
/// linked (no record; the new profile absent or blank), a record for a device that
/// never got its keys (listed, removable), or linked. Never a device holding the
/// person's keys without a record that vouches for it.
#[test]
fn sigkill_during_linking_loses_nothing() {
    let mut rng = Rng::seeded("link");
    let (a1, b1) = paired_profiles();
    exchange(&a1, &b1);
    a1.ok(&["boundary", "add", "kept through every crash"]);
    a1.ok(&["diary", "add", "a private line kept too"]);
    let kinds = [Kind::Diary, Kind::Boundary];
    let (entries, _) = read_back(&a1, &kinds);
    // One undisturbed link: how long linking takes here.
    let started = Instant::now();
    let (shown, joined) = link_once(&copy_profile(&a1), &Profile::new(), None);
    assert!(shown.status.success() && joined.status.success());
    let full = started.elapsed().as_micros() as u64;

    let mut outcomes = BTreeMap::<&str, usize>::new();
    for trial in 0..device_trials() {
        let (existing, new) = (copy_profile(&a1), Profile::new());
        let inviter = rng.chance(2);
        let after = Duration::from_micros(rng.below(full * 6 / 5 + 1));
        let when = format!(
            "trial {trial} (killed the {} after {after:?})",
            if inviter { "inviter" } else { "joiner" }
        );
        let (shown, joined) = link_once(&existing, &new, Some((inviter, after)));
        for out in [&shown, &joined] {
            assert!(
                !panicked(&out.stderr),
                "{when}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert_eq!(read_back(&existing, &kinds).0, entries, "{when}");
        let on_existing = listed(&existing, &when);
        let recorded = on_existing.iter().any(|d| d["label"] == "laptop");
        assert!(
            on_existing.len() == 2 + usize::from(recorded),
            "{when}: {on_existing:?}"
        );
        let has_keys = if new.path().join("keyring").exists() {
            let on_new = listed(&new, &when);
            // A linked device knows its person's first device; a blank one only itself.
            on_new.len() > 1
        } else {
            false
        };
        assert!(
            recorded || !has_keys,
            "{when}: the new device holds the person's keys, but no record vouches for it"
        );
        let outcome = match (recorded, has_keys) {
            (false, _) => "not linked",
            (true, false) => "recorded, never got its keys",
            (true, true) => "linked",
        };
        *outcomes.entry(outcome).or_default() += 1;
    }
    eprintln!("linking trials: {outcomes:?}");
    assert!(
        outcomes.len() >= 2,
        "the kills all fell in one state: {outcomes:?}"
    );
}

/// Killing `device revoke` at any moment loses no entry, and the removal is either
/// not begun or finished by the next attempt: afterwards the device is removed, no
/// record is refused, and this device's new signing key is the one the record names
/// (a device it links next is accepted).
#[test]
fn sigkill_during_removal_loses_nothing() {
    let mut rng = Rng::seeded("revoke");
    let (a1, b1) = paired_profiles();
    exchange(&a1, &b1);
    let a2 = Profile::new();
    let (shown, joined) = link_once(&a1, &a2, None);
    assert!(
        shown.status.success(),
        "{}",
        String::from_utf8_lossy(&shown.stderr)
    );
    assert!(
        joined.status.success(),
        "{}",
        String::from_utf8_lossy(&joined.stderr)
    );
    a1.ok(&["boundary", "add", "kept through every removal"]);
    let kinds = [Kind::Diary, Kind::Boundary];
    let (entries, _) = read_back(&a1, &kinds);
    let removed = listed(&a1, "before")
        .into_iter()
        .find(|d| d["label"] == "laptop")
        .unwrap()["endpoint"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoke: Vec<String> = ["device", "revoke", &removed, "--yes"]
        .map(String::from)
        .to_vec();
    let keys_of = |p: &Profile| {
        kintsugi_store::Unlocked::unlock(&p.path(), PASS.as_bytes())
            .unwrap()
            .keyring
            .clone()
    };
    let first = keys_of(&a1).pairing.unwrap().couple_key;
    let started = Instant::now();
    let (id, killed) = write_until(
        &copy_profile(&a1),
        &revoke,
        Instant::now() + Duration::from_secs(60),
    );
    assert!(id.is_some() && !killed);
    let full = started.elapsed().as_micros() as u64;

    let mut finished_by_kill = 0;
    for trial in 0..device_trials() {
        let p = copy_profile(&a1);
        let after = Duration::from_micros(rng.below(full * 6 / 5 + 1));
        let when = format!("trial {trial} (killed after {after:?})");
        let (_, killed) = write_until(&p, &revoke, Instant::now() + after);
        assert_eq!(read_back(&p, &kinds).0, entries, "{when}");
        let gone = |p: &Profile| {
            listed(p, &when)
                .iter()
                .any(|d| d["endpoint"] == removed.as_str() && d["revoked"] == true)
        };
        if gone(&p) {
            finished_by_kill += usize::from(killed);
        }
        // The next attempt finishes what the kill cut short (or says it is done).
        let again = p.run(&["device", "revoke", &removed, "--yes"]);
        let said = String::from_utf8_lossy(&again.stderr);
        assert!(
            again.status.success() || said.contains("removed already"),
            "{when}: {said}"
        );
        assert!(gone(&p), "{when}: not removed after a second attempt");
        assert!(
            !p.path().join("revoking.sealed").exists(),
            "{when}: a removal is left pending"
        );
        // The couple key and the self key were replaced once, in the same write as
        // the signing key; the first couple key is kept for devices not told yet.
        let k = keys_of(&p);
        let (pairing, person) = (k.pairing.unwrap(), k.person.unwrap());
        assert_eq!(
            (
                pairing.generation,
                person.self_generation,
                person.generation
            ),
            (1, 1, 1),
            "{when}"
        );
        assert_eq!(pairing.key_of(0), Some(&first), "{when}");
        assert_ne!(pairing.couple_key, first, "{when}");
        // This device signs with the key the record named: what it vouches for now counts.
        let opts = kintsugi_device::Options::INSECURE_FAST_FOR_TESTS;
        let d = kintsugi_device::Device::unlock(&p.path(), PASS.as_bytes(), opts).unwrap();
        d.vouch_for([trial as u8 | 1; 32], "probe").unwrap();
        let list = d.devices().unwrap();
        assert!(list.refused.is_empty(), "{when}: {:?}", list.refused);
        assert!(
            list.devices
                .iter()
                .any(|r| r.label.as_deref() == Some("probe") && !r.revoked),
            "{when}"
        );
    }
    eprintln!("removal trials: {finished_by_kill} killed after the removal was stored");
}
