//! Releasing history with the real binary (issue 15, "Release history, two real
//! devices"): two profiles paired by QR image, syncing over real iroh on loopback,
//! every file decrypted and searched before and after; a copy of the old profile
//! restored from a backup and turned away; an old bundle refused; and SIGKILL at
//! random moments of the release on either side (tests/crash.rs's method).
//!
//! `KINTSUGI_RELEASE_TRIALS=N` runs N crash trials (default 100);
//! `KINTSUGI_TEST_SEED=S` repeats a run's random choices.

mod common;

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use common::*;
use kintsugi_store::Unlocked;

const CANARY: &str = "canary 8d41 said once and then taken back";

/// A bundle's changes, opened with the couple key in `dir`'s keyring.
fn bundle_history(dir: &Path, bundle: &[u8]) -> String {
    let keys = Unlocked::unlock(dir, PASS.as_bytes()).unwrap();
    let couple = keys.keyring.pairing.clone().unwrap().couple_key;
    let key = kintsugi_crypto::derive_key(None, couple.expose(), &[b"kintsugi bundle v1"]);
    // magic, version, sender, epoch, generation.
    let header = 8 + 1 + 32 + 16 + 4;
    let changes = kintsugi_crypto::open(&key, &bundle[..header], &bundle[header..]).unwrap();
    let mut doc = automerge::AutoCommit::new();
    doc.load_incremental(&changes).unwrap();
    doc.get_changes(&[])
        .iter()
        .map(|c| format!("{:?}", c.decode()))
        .collect()
}

/// Both devices run `sync --once` at the same time.
fn sync_both(a: &Profile, b: &Profile) -> (Output, Output) {
    let x = a.spawn(&["sync", "--once", "--timeout", "60"]);
    let y = b.spawn(&["sync", "--once", "--timeout", "60"]);
    (x.wait_output(), y.wait_output())
}

fn synced(a: &Profile, b: &Profile) -> String {
    let (x, y) = sync_both(a, b);
    for out in [&x, &y] {
        assert!(
            out.status.success(),
            "sync failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    format!(
        "{}{}",
        String::from_utf8_lossy(&x.stdout),
        String::from_utf8_lossy(&y.stdout)
    )
}

fn journal(p: &Profile) -> String {
    p.json(&["release-history", "status"])["journal"]
        .as_str()
        .unwrap()
        .to_string()
}

/// What both people see of the shared journal: check-in answers and boundaries.
fn shared_view(p: &Profile) -> Vec<String> {
    let mut v: Vec<String> = p
        .json(&["checkin", "list"])
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["went_well"].as_str().map(str::to_string))
        .collect();
    v.extend(p.texts());
    v.sort();
    v
}

fn copy_profile(from: &Profile) -> Profile {
    let to = Profile::new();
    std::fs::create_dir_all(to.path()).unwrap();
    for (path, bytes) in all_files(&from.path()) {
        std::fs::write(to.path().join(path.file_name().unwrap()), bytes).unwrap();
    }
    to
}

const CHECKIN: [&str; 8] = [
    "checkin",
    "add",
    "--mood",
    "3",
    "--trust",
    "5",
    "--closeness",
    "5",
];

#[test]
fn two_devices_release_the_history_and_an_old_copy_is_refused() {
    let (a, b) = paired_profiles();
    // Check-ins written straight in, so the canary reaches Bea's history at once.
    a.ok(&["checkin", "together", "off"]);
    let week = ["--week", "2026-W10", "--went-well"];
    let args = |text: &str| -> Vec<String> {
        CHECKIN
            .iter()
            .chain(&week)
            .map(|s| s.to_string())
            .chain([text.to_string()])
            .collect()
    };
    // The canary is written, synced to the partner, then taken back (the second
    // check-in of the week replaces the first).
    a.ok(&args(CANARY).iter().map(String::as_str).collect::<Vec<_>>());
    synced(&a, &b);
    a.ok(&args("a calmer week")
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>());
    b.ok(&["boundary", "add", "no phones at dinner"]);
    synced(&a, &b);
    let view = shared_view(&a);
    assert_eq!(view, shared_view(&b));
    assert!(!view.iter().any(|t| t == CANARY));
    for p in [&a, &b] {
        let found = found_in(&p.path(), CANARY);
        assert!(
            found
                .iter()
                .any(|f| f.starts_with("shared.klog: Automerge history")),
            "before the release, the canary is in the old log's history: {found:?}"
        );
    }
    let old_journal = journal(&a);
    assert_eq!(journal(&b), old_journal);
    // Kept from before: a bundle of the old journal, and a backup of Bea's profile.
    let old_bundle = a.dir.path().join("old.bundle");
    a.ok(&["bundle", "export", old_bundle.to_str().unwrap()]);
    let backup = copy_profile(&b);

    // Ari asks; Bea sees it after a sync, and accepts; the next sync releases.
    let asked = a.ok(&["release-history", "request", "--yes"]);
    assert!(asked.contains("next sync"), "{asked}");
    let told = a.run(&["release-history", "request"]);
    assert!(
        !told.status.success(),
        "asking without --yes at a closed stdin goes ahead"
    );
    synced(&a, &b);
    let status = b.ok(&["release-history", "status"]);
    assert!(status.contains("Your partner asked"), "{status}");
    let accepting = b.run(&["release-history", "accept", "--yes"]);
    let said = String::from_utf8_lossy(&accepting.stderr);
    assert!(
        said.contains("cannot reach copies made outside Kintsugi"),
        "{said}"
    );
    assert!(said.contains("exports") && said.contains("backups") && said.contains("screenshots"));
    assert!(accepting.status.success());
    let out = synced(&a, &b);
    assert!(
        out.contains("Released the shared journal's history"),
        "{out}"
    );
    let new_journal = journal(&a);
    assert_ne!(new_journal, old_journal);
    assert_eq!(journal(&b), new_journal);
    assert_eq!(shared_view(&a), view);
    assert_eq!(shared_view(&b), view);

    // The canary is in neither profile, in no file, in no form.
    for p in [&a, &b] {
        let found = found_in(&p.path(), CANARY);
        assert!(found.is_empty(), "after the release: {found:?}");
        assert!(
            p.ok(&["release-history", "status"])
                .contains("last released"),
            "status says when"
        );
    }
    // Nor in a new export or bundle.
    for format in ["md", "json", "automerge"] {
        let mut args = vec!["export", "--format", format];
        if format != "automerge" {
            args.push("--include-private");
        }
        let export = a.run(&args);
        assert!(
            export.status.success(),
            "{}",
            String::from_utf8_lossy(&export.stderr)
        );
        assert!(
            !contains(&export.stdout, CANARY.as_bytes()),
            "{format} export"
        );
        if format == "automerge" {
            assert!(
                !history(&export.stdout).contains(CANARY),
                "automerge export history"
            );
            assert!(
                history(&export.stdout).len() > 100,
                "the export holds a document"
            );
        }
    }
    // A bundle of the whole journal: without the sync state (a cache the next sync
    // learns again), it carries everything the partner might lack.
    std::fs::remove_file(b.path().join("partner.sealed")).unwrap();
    let new_bundle = b.dir.path().join("new.bundle");
    b.ok(&["bundle", "export", new_bundle.to_str().unwrap()]);
    let bundle = std::fs::read(&new_bundle).unwrap();
    let opened = bundle_history(&b.path(), &bundle);
    assert!(
        opened.contains("no phones at dinner"),
        "the bundle holds the journal"
    );
    assert!(!opened.contains(CANARY), "the new bundle");

    // The bundle of the old journal is refused by name.
    let err = b.fails(&["bundle", "import", old_bundle.to_str().unwrap()]);
    assert!(
        err.contains("before the shared journal's history was released"),
        "{err}"
    );
    a.ok(&["bundle", "import", new_bundle.to_str().unwrap()]);

    // The backup of Bea's profile, started, is refused by Ari's device and told why.
    let live = a.spawn(&["sync", "--timeout", "60"]);
    let t = Instant::now();
    let y = backup.run(&[&NET[..], &["sync", "--once", "--timeout", "30"]].concat());
    let stale = String::from_utf8_lossy(&y.stderr);
    assert!(!y.status.success(), "the old copy synced");
    assert!(stale.contains("history was released"), "{stale}");
    assert!(
        t.elapsed() < Duration::from_secs(20),
        "told at once, not timed out"
    );
    drop(live);
    // It was told, not merged: its journal is the old one, as it was.
    assert_eq!(journal(&backup), old_journal);
    // Ari and Bea go on under the new key.
    b.ok(&["boundary", "add", "after the release"]);
    synced(&a, &b);
    assert_eq!(shared_view(&a), shared_view(&b));
    assert!(shared_view(&a).iter().any(|t| t == "after the release"));
}

#[test]
fn releasing_the_diary_keeps_what_it_reads_now() {
    let p = Profile::init("Ari");
    p.ok(&["diary", "add", "kept", "--mood", "4"]);
    p.ok(&[
        "letter",
        "draft",
        "--title",
        "draft kept",
        "--body",
        "a draft body",
    ]);
    let before = p.ok(&["diary", "list"]);
    let old = std::fs::read(p.path().join("diary.klog")).unwrap();
    let refused = p.run(&["diary", "release-history"]);
    assert!(
        !refused.status.success(),
        "no confirmation at a closed stdin"
    );
    assert_eq!(std::fs::read(p.path().join("diary.klog")).unwrap(), old);
    let out = p.run(&["diary", "release-history", "--yes"]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("cannot reach copies made outside Kintsugi"),
        "{said}"
    );
    assert_eq!(p.ok(&["diary", "list"]), before);
    assert!(p.ok(&["letter", "list"]).contains("draft kept"));
    let now = std::fs::read(p.path().join("diary.klog")).unwrap();
    assert_ne!(now, old);
    // Nothing of the old file is left in the folder.
    for (path, bytes) in all_files(&p.path()) {
        assert!(
            !contains(&bytes, &old[40..72]),
            "{} holds bytes of the old diary log",
            path.display()
        );
    }
}

fn trials() -> usize {
    env_count("KINTSUGI_RELEASE_TRIALS", 100)
}

/// A profile's shared journal as the device reads it, in this process: which journal
/// (epoch) it is and what it holds. Opening it finishes whatever a crash left, as the
/// binary's next start would; failing to open fails the test.
fn open_journal(p: &Profile) -> (String, Vec<String>) {
    let d = kintsugi_device::Device::unlock(
        &p.path(),
        PASS.as_bytes(),
        kintsugi_device::Options::INSECURE_FAST_FOR_TESTS,
    )
    .unwrap_or_else(|e| panic!("the profile does not open after a crash: {e}"));
    let journal: String = d
        .release_status()
        .unwrap()
        .journal
        .unwrap()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut texts: Vec<String> = d
        .boundaries()
        .unwrap()
        .into_iter()
        .map(|b| b.text)
        .collect();
    texts.extend(
        d.checkins()
            .unwrap()
            .into_iter()
            .filter_map(|c| c.went_well),
    );
    texts.sort();
    (journal, texts)
}

/// Copies of two profiles as a test starts them, each in its own folder.
fn copies(a: &Profile, b: &Profile) -> (Profile, Profile) {
    (copy_profile(a), copy_profile(b))
}

#[test]
fn sigkill_during_a_release_leaves_both_on_one_journal() {
    let mut rng = Rng::seeded("release crash");
    let started = Instant::now();
    // Two paired profiles that both agreed to release the history: Ari asked, Bea
    // accepted, and the next sync releases. Each trial starts from copies of them.
    let (a, b) = paired_profiles();
    // Check-ins written straight in, so the canary reaches Bea's history at once.
    a.ok(&["checkin", "together", "off"]);
    let week = |text: &str| -> Vec<String> {
        CHECKIN
            .iter()
            .map(|s| s.to_string())
            .chain(["--week", "2026-W10", "--went-well", text].map(String::from))
            .collect()
    };
    let run = |p: &Profile, args: Vec<String>| {
        p.ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    };
    run(&a, week(CANARY));
    run(&a, week("a calmer week"));
    b.ok(&["boundary", "add", "no phones at dinner"]);
    synced(&a, &b);
    a.ok(&["release-history", "request", "--yes"]);
    synced(&a, &b);
    b.ok(&["release-history", "accept", "--yes"]);
    let (old_journal, want) = open_journal(&a);
    assert_eq!(open_journal(&b), (old_journal.clone(), want.clone()));

    // How long a whole release takes here (two processes starting, unlocking,
    // meeting, releasing and syncing the new journal): the first kill lands within
    // one and a half times that, so that kills hit every step.
    let mut took = Vec::new();
    for _ in 0..3 {
        let (x, y) = copies(&a, &b);
        let t = Instant::now();
        let out = synced(&x, &y);
        took.push(t.elapsed());
        assert!(out.contains("Released"), "{out}");
    }
    took.sort();
    let took = took[1];
    let window = (took.as_micros() as u64 * 3 / 2).max(20_000);

    let mut states = std::collections::BTreeMap::<(bool, bool), usize>::new();
    let mut killed_running = 0;
    let mut phases = [Duration::ZERO; 4];
    for trial in 0..trials() {
        let t0 = Instant::now();
        let (x, y) = copies(&a, &b);
        let mut procs = [
            Some(x.spawn(&["sync", "--once", "--timeout", "30"])),
            Some(y.spawn(&["sync", "--once", "--timeout", "30"])),
        ];
        std::thread::sleep(Duration::from_micros(rng.range(0, window)));
        let first = rng.usize(2);
        for (n, side) in [first, 1 - first].into_iter().enumerate() {
            if n == 1 {
                std::thread::sleep(Duration::from_micros(rng.range(0, window / 3)));
            }
            let mut child = procs[side].take().unwrap();
            killed_running += usize::from(child.0.try_wait().unwrap().is_none());
            let _ = child.0.kill();
            let out = child.wait_output();
            assert!(
                !panicked(&out.stderr),
                "trial {trial}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let t1 = Instant::now();
        // Each profile opens, with every entry, on the old journal or the new one.
        let (jx, tx) = open_journal(&x);
        let (jy, ty) = open_journal(&y);
        assert_eq!(tx, want, "trial {trial}: Ari's entries after the kill");
        assert_eq!(ty, want, "trial {trial}: Bea's entries after the kill");
        *states
            .entry((jx != old_journal, jy != old_journal))
            .or_default() += 1;
        let t2 = Instant::now();
        // The next sync takes both to the same new journal, whatever the kill left.
        let out = synced(&x, &y);
        let t3 = Instant::now();
        let (jx, tx) = open_journal(&x);
        let (jy, ty) = open_journal(&y);
        assert_eq!(
            jx, jy,
            "trial {trial}: two journals after the next sync: {out}"
        );
        assert_ne!(
            jx, old_journal,
            "trial {trial}: the release did not complete"
        );
        assert_eq!((&tx, &ty), (&want, &want), "trial {trial}");
        for p in [&x, &y] {
            let found = found_in(&p.path(), CANARY);
            assert!(found.is_empty(), "trial {trial}: {found:?}");
        }
        for (i, d) in [t1 - t0, t2 - t1, t3 - t2, t3.elapsed()]
            .into_iter()
            .enumerate()
        {
            phases[i] += d;
        }
    }

    eprintln!(
        "release crash: a whole release took {took:?}; {} trials killing within {:?}, \
         {killed_running} kills hit a running sync; after the kills (Ari new, Bea new): \
         {states:?}; every profile opened with every entry, and the next sync took both \
         to one new journal; time in (kills, opening, the next sync, checks): {phases:?}; {:?}",
        trials(),
        Duration::from_micros(window),
        started.elapsed()
    );
}

#[test]
fn sigkill_during_a_diary_release_leaves_the_old_diary_or_the_new_one() {
    let mut rng = Rng::seeded("diary release crash");
    let p = Profile::init("Ari");
    for n in 0..5 {
        p.ok(&["diary", "add", &format!("entry {n}")]);
    }
    let want = p.ok(&["--json", "diary", "list"]);
    let t = Instant::now();
    p.ok(&["diary", "release-history", "--yes"]);
    let took = t.elapsed().as_micros() as u64;
    let (mut killed, mut moved) = (0, 0);
    let trials = trials() / 2;
    for trial in 0..trials {
        let before = std::fs::read(p.path().join("diary.klog")).unwrap();
        let mut child = p.spawn(&["diary", "release-history", "--yes"]);
        std::thread::sleep(Duration::from_micros(rng.range(0, took * 3 / 2)));
        killed += usize::from(child.0.try_wait().unwrap().is_none());
        let _ = child.0.kill();
        let out = child.wait_output();
        assert!(!panicked(&out.stderr), "trial {trial}");
        // Opens (finishing whatever the kill left), with every entry.
        assert_eq!(p.ok(&["--json", "diary", "list"]), want, "trial {trial}");
        moved += usize::from(std::fs::read(p.path().join("diary.klog")).unwrap() != before);
        let leftovers: Vec<String> = all_files(&p.path())
            .into_iter()
            .map(|(f, _)| f.file_name().unwrap().to_string_lossy().into_owned())
            .filter(|n| n.contains(".next") || n.contains(".released"))
            .collect();
        assert!(leftovers.is_empty(), "trial {trial}: {leftovers:?}");
    }
    eprintln!(
        "diary release crash: {trials} trials killing within {:?}: {killed} kills hit a running \
         release, {moved} ended on a new diary; every one opened with every entry",
        Duration::from_micros(took * 3 / 2)
    );
}
