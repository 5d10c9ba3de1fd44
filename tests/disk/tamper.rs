//! Tamper and corruption (SECURITY.md, "Tamper, corruption and rollback"): for every
//! file of a paired profile, bytes flipped at many positions, truncations at many
//! lengths and garbage appended give either a clean recovery (garbage after the end of
//! a log, set aside as a torn tail) or a clear error (a cut log: a rollback). Never a
//! panic, never data that differs from what was written, and never a changed file on a
//! read.
//!
//! The sweep runs through the device API (what every front end uses) so that it can
//! cover every byte of the small files and hundreds of positions of the logs; a sample
//! of the same damage goes through the real binary as well.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::common::*;
use kintsugi_device::{CheckInInput, Device, LetterKind, Options, SealUntil};
use serde_json::{Value, json};

fn opts() -> Options {
    Options::INSECURE_FAST_FOR_TESTS
}

/// What a profile shows, split by where it comes from.
#[derive(Debug, Clone, PartialEq)]
struct Snap {
    shared: Value,
    diary: Value,
    /// Status (less its warnings), network settings and the partner record.
    rest: Value,
    warnings: Vec<String>,
}

fn shared_part(d: &Device) -> kintsugi_device::Result<Value> {
    Ok(json!({
        "partners": d.partners()?,
        "boundaries": d.boundaries()?,
        "checkins": d.checkins()?,
        "letters": d.letters()?,
        "promises": d.promises()?,
        "stages": d.stages()?,
        "shared_entries": d.shared_entries()?,
    }))
}

fn diary_part(d: &Device) -> kintsugi_device::Result<Value> {
    Ok(json!({ "diary": d.diary_entries()?, "drafts": d.drafts()? }))
}

/// Unlocks the profile and reads everything it holds, as a fresh process would.
/// A panic is caught and reported as a failure of the test, not as an error.
fn snapshot(dir: &Path) -> Result<Snap, String> {
    let dir = dir.to_path_buf();
    let run = std::panic::catch_unwind(move || -> kintsugi_device::Result<Snap> {
        let d = Device::unlock(&dir, PASS.as_bytes(), opts())?;
        let mut status =
            serde_json::to_value(kintsugi_device::json::v1::Status::new(&d.status()?, None))
                .unwrap();
        let warnings: Vec<String> =
            serde_json::from_value(status["warnings"].take()).unwrap_or_default();
        Ok(Snap {
            shared: shared_part(&d)?,
            diary: diary_part(&d)?,
            rest: json!({
                "status": status,
                "settings": d.settings()?,
                "partner": d.partner()?,
                // Check-in answers held for the partner's (`checkins.sealed`).
                "sealed_checkins": d.sealed_checkins()?,
                "held_checkins": d
                    .held_checkins()?
                    .iter()
                    .map(|h| format!("{h:?}"))
                    .collect::<Vec<_>>(),
            }),
            warnings,
        })
    });
    match run {
        Ok(r) => r.map_err(|e| e.to_string()),
        Err(_) => panic!("reading a damaged profile panicked"),
    }
}

/// A clear error: one line, and it says which file or document is at fault.
fn assert_clear(err: &str, file: &str, what: &str) {
    assert!(!err.trim().is_empty(), "{what}: an empty error");
    assert!(!err.contains('\n'), "{what}: a multi-line error: {err}");
    let names = [
        file,
        "shared journal",
        "private diary",
        "keyring",
        "damaged",
    ];
    assert!(
        names.iter().any(|n| err.contains(n)),
        "{what}: the error does not say what is damaged: {err}"
    );
}

struct Built {
    profile: Profile,
    /// For each log, the document's view after each complete record (by file length).
    shared_at: BTreeMap<usize, Value>,
    diary_at: BTreeMap<usize, Value>,
}

/// A paired profile holding entries of every kind. Pairing is stored the way the
/// pairing protocol stores it (keyring, then the sealed partner record), without a
/// network: the network's part is tested in tests/pairing.rs.
fn build() -> Built {
    let profile = Profile::new();
    let dir = profile.path();
    let d = Device::create(&dir, "Ari", PASS.as_bytes(), opts()).unwrap();
    drop(d);
    let partner = kintsugi_net::SecretKey::from_bytes(&[7; 32]).public();
    store_pairing(&dir, *partner.as_bytes(), [9; 32]);
    let d = Device::unlock(&dir, PASS.as_bytes(), opts()).unwrap();
    let replica = d.sync_replica();
    replica.partner_addrs(vec!["127.0.0.1:4000".parse().unwrap()]);
    replica.link(kintsugi_net::sync::LinkEvent::InSync);
    replica.begin().unwrap().end();

    let mut shared_at = BTreeMap::new();
    let mut diary_at = BTreeMap::new();
    // Genesis alone: every root map empty.
    let empty_shared = json!({
        "partners": [], "boundaries": [], "checkins": [], "letters": [],
        "promises": [], "stages": [], "shared_entries": [],
    });
    let first_end = |name: &str| record_ends(&std::fs::read(dir.join(name)).unwrap())[1];
    shared_at.insert(first_end("shared.klog"), empty_shared);
    diary_at.insert(
        first_end("diary.klog"),
        json!({ "diary": [], "drafts": [] }),
    );
    let mut track = |d: &Device| {
        let len = |name: &str| std::fs::metadata(dir.join(name)).unwrap().len() as usize;
        shared_at.insert(len("shared.klog"), shared_part(d).unwrap());
        diary_at.insert(len("diary.klog"), diary_part(d).unwrap());
    };
    track(&d);
    let b1 = d
        .propose_boundary("No secret messaging", Some("phones"))
        .unwrap();
    track(&d);
    d.propose_boundary("We talk before big purchases", None)
        .unwrap();
    track(&d);
    d.save_checkin(&CheckInInput {
        week: "2026-W10".into(),
        mood: 3,
        trust: 4,
        closeness: 5,
        went_well: Some("we walked".into()),
        hard: Some("the silence".into()),
        need: Some("time".into()),
        appreciate: Some("honesty".into()),
    })
    .unwrap();
    track(&d);
    let draft = d
        .draft_letter(LetterKind::Apology, "I am sorry", "A long letter body.")
        .unwrap();
    track(&d);
    d.send_letter(&draft).unwrap();
    track(&d);
    // A letter sealed until the partner is ready: its key waits in `letters.sealed`.
    let sealed = d
        .draft_letter(LetterKind::Hope, "Sealed", "Kept until you are ready")
        .unwrap();
    track(&d);
    d.send_sealed_letter(&sealed, SealUntil::Ready).unwrap();
    track(&d);
    d.draft_letter(LetterKind::Hope, "Unsent", "kept private")
        .unwrap();
    track(&d);
    d.add_promise("Call when I'm late", "2030-12-01").unwrap();
    track(&d);
    let entry = d
        .add_diary_entry("What I couldn't say today", Some(2), Some(1))
        .unwrap();
    track(&d);
    d.add_diary_entry("A second private page", None, None)
        .unwrap();
    track(&d);
    d.share_diary_entry(&entry).unwrap();
    track(&d);
    d.set_stage(1, true, Some("we talked it through")).unwrap();
    track(&d);
    d.revisit_boundary(&b1).unwrap();
    track(&d);
    // A promise due tomorrow, reminded of: what was shown is kept in
    // `reminders.sealed`.
    let tomorrow = chrono::Local::now().date_naive() + chrono::Days::new(1);
    d.add_promise("Text when I leave", &tomorrow.to_string())
        .unwrap();
    track(&d);
    d.set_reminders(|r| {
        r.enabled = true;
        r.quiet_hours = None;
    })
    .unwrap();
    let due = d.reminders_due_now().unwrap();
    assert!(!due.is_empty());
    for r in &due {
        d.mark_reminded(r).unwrap();
    }
    drop(d);
    // Every record boundary of both logs has a known view.
    for (name, at) in [("shared.klog", &shared_at), ("diary.klog", &diary_at)] {
        let ends = record_ends(&std::fs::read(dir.join(name)).unwrap());
        let known: Vec<usize> = at.keys().copied().collect();
        assert_eq!(known, ends[1..], "{name}: untracked records");
    }
    Built {
        profile,
        shared_at,
        diary_at,
    }
}

/// Positions to damage: every byte of a small file; of a log, the header, every
/// record's length field, the bytes around every record boundary and `extra` more
/// spread over the file.
fn positions(bytes: &[u8], is_log: bool, extra: usize, rng: &mut Rng) -> Vec<usize> {
    if !is_log || bytes.len() <= 600 {
        return (0..bytes.len()).collect();
    }
    let mut set: std::collections::BTreeSet<usize> = (0..40).collect();
    for end in record_ends(bytes) {
        for p in end.saturating_sub(2)..(end + 10).min(bytes.len()) {
            set.insert(p);
        }
    }
    set.insert(bytes.len() - 1);
    for _ in 0..extra {
        set.insert(rng.usize(bytes.len()));
    }
    set.into_iter().collect()
}

fn lengths(bytes: &[u8], is_log: bool, extra: usize, rng: &mut Rng) -> Vec<usize> {
    let mut l = positions(bytes, is_log, extra, rng);
    l.retain(|&n| n < bytes.len());
    l
}

#[test]
fn every_file_of_a_profile_damaged_gives_a_recovery_or_a_clear_error() {
    let started = Instant::now();
    let mut rng = Rng::seeded("tamper");
    let extra = env_count("KINTSUGI_TAMPER_POSITIONS", 300);
    let built = build();
    let dir = built.profile.path();
    let baseline = snapshot(&dir).expect("the undamaged profile opens");
    assert!(baseline.warnings.is_empty());
    assert_eq!(baseline.rest["status"]["paired"], true);
    assert_eq!(
        baseline.shared["boundaries"].as_array().unwrap().len(),
        2,
        "{:?}",
        baseline.shared
    );

    let mut files: Vec<PathBuf> = snapshot_files(&dir).into_keys().collect();
    files.sort();
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for want in [
        "keyring",
        "shared.klog",
        "diary.klog",
        "settings.sealed",
        "partner.sealed",
        "letters.sealed",
        "reminders.sealed",
    ] {
        assert!(names.iter().any(|n| n == want), "{want} missing: {names:?}");
    }

    let mut report = Vec::new();
    for (path, name) in files.iter().zip(&names) {
        let good = std::fs::read(path).unwrap();
        let is_log = name.ends_with(".klog");
        let at = match name.as_str() {
            "shared.klog" => Some(&built.shared_at),
            "diary.klog" => Some(&built.diary_at),
            _ => None,
        };
        // Runs `snapshot` on damaged bytes and checks that nothing was written.
        let try_with = |bad: &[u8]| -> Result<Snap, String> {
            std::fs::write(path, bad).unwrap();
            let before = snapshot_files(&dir);
            let r = snapshot(&dir);
            assert!(
                snapshot_files(&dir) == before,
                "{name}: reading a damaged profile changed a file"
            );
            r
        };

        if name == "reminders.sealed" {
            // Only a cache of which reminders were shown: damaged, it is read as
            // empty (a reminder may show once more), never an error, and the
            // profile reads as before.
            let mut damaged: Vec<Vec<u8>> = positions(&good, false, extra, &mut rng)
                .into_iter()
                .map(|pos| {
                    let mut bad = good.clone();
                    bad[pos] ^= rng.nonzero_byte();
                    bad
                })
                .collect();
            damaged.extend(
                lengths(&good, false, extra, &mut rng)
                    .into_iter()
                    .map(|n| good[..n].to_vec()),
            );
            damaged.push([good.clone(), rng.bytes(40)].concat());
            for bad in &damaged {
                assert_eq!(try_with(bad), Ok(baseline.clone()), "{name} damaged");
                let d = Device::unlock(&dir, PASS.as_bytes(), opts()).unwrap();
                if let Err(e) = d.reminders_due_now() {
                    panic!("{name} damaged: {e}");
                }
            }
            std::fs::write(path, &good).unwrap();
            report.push(format!(
                "{name}: {} damaged copies read as no reminders shown yet",
                damaged.len()
            ));
            continue;
        }

        if good.is_empty() {
            // A lock file: its content means nothing, and its loss neither.
            let garbage = rng.bytes(64);
            assert_eq!(try_with(&garbage), Ok(baseline.clone()), "{name} garbage");
            std::fs::remove_file(path).unwrap();
            assert_eq!(snapshot(&dir), Ok(baseline.clone()), "{name} removed");
            std::fs::write(path, &good).unwrap();
            report.push(format!(
                "{name}: empty lock file; garbage or removal harmless"
            ));
            continue;
        }

        // Flipped bytes: always a clear error (every byte is authenticated).
        let flips = positions(&good, is_log, extra, &mut rng);
        for &pos in &flips {
            let mut bad = good.clone();
            bad[pos] ^= rng.nonzero_byte();
            let what = format!("{name}: byte {pos} flipped");
            match try_with(&bad) {
                Ok(s) => panic!("{what}: accepted, showing {s:?}"),
                Err(e) => assert_clear(&e, name, &what),
            }
        }

        // Truncations: every cut of a log is refused, because the manifest recorded
        // every record of it (an interrupted append, which the manifest does not record
        // yet, is damage.rs's and tests/crash.rs's): a cut after the first record
        // as a rollback, one inside the header or first record as a rollback or as
        // damage. Before the manifest, a cut after the first record opened as the state
        // after the last whole record (the rollback the manifest now catches). Any
        // other file is a clear error.
        let cuts = lengths(&good, is_log, extra, &mut rng);
        let mut rolled_back = 0;
        for &len in &cuts {
            let what = format!("{name}: cut to {len} of {} bytes", good.len());
            let r = try_with(&good[..len]);
            let Some(at) = at else {
                match r {
                    Ok(s) => panic!("{what}: accepted, showing {s:?}"),
                    Err(e) => assert_clear(&e, name, &what),
                }
                continue;
            };
            match (at.range(..=len).next_back(), r) {
                (_, Ok(s)) => panic!("{what}: a log cut back was opened: {s:?}"),
                (None, Err(e)) => assert_clear(&e, name, &what),
                (Some(_), Err(e)) => {
                    assert_clear(&e, name, &what);
                    assert!(
                        e.contains("this profile was rolled back"),
                        "{what}: not reported as a rollback: {e}"
                    );
                    rolled_back += 1;
                }
            }
        }

        // Garbage appended: a log sets it aside as a torn tail or refuses it; any
        // other file refuses it.
        let mut appended = 0;
        for _ in 0..20 {
            let mut bad = good.clone();
            let n = rng.range(1, 100) as usize;
            bad.extend(rng.bytes(n));
            let what = format!("{name}: {n} garbage bytes appended");
            match try_with(&bad) {
                Err(e) => assert_clear(&e, name, &what),
                Ok(s) if is_log => {
                    appended += 1;
                    assert_eq!(
                        (&s.shared, &s.diary),
                        (&baseline.shared, &baseline.diary),
                        "{what}"
                    );
                    assert!(!s.warnings.is_empty(), "{what}: not reported");
                }
                Ok(s) => panic!("{what}: accepted, showing {s:?}"),
            }
        }
        std::fs::write(path, &good).unwrap();
        let as_rollback = if is_log {
            format!(" ({rolled_back} of them after the first record, as a rollback)")
        } else {
            String::new()
        };
        report.push(format!(
            "{name} ({} bytes): {} flips all refused; {} cuts all refused{as_rollback}; 20 \
             appends ({appended} set aside as a torn tail)",
            good.len(),
            flips.len(),
            cuts.len()
        ));
    }
    assert_eq!(snapshot(&dir), Ok(baseline));
    for r in &report {
        eprintln!("{r}");
    }
    eprintln!("tamper sweep: {:?}", started.elapsed());
}

#[test]
fn damaged_files_through_the_binary_give_one_clear_line_and_change_nothing() {
    let mut rng = Rng::seeded("tamper-cli");
    let built = build();
    let p = &built.profile;
    let dir = p.path();
    let bundle = p.dir.path().join("out.kbundle");
    let bundle_arg = bundle.to_str().unwrap().to_string();
    // The command that reads each file.
    let cases: [(&str, Vec<&str>); 7] = [
        ("keyring", vec!["export", "--format", "json"]),
        ("letters.sealed", vec!["letter", "list"]),
        ("manifest.sealed", vec!["export", "--format", "json"]),
        ("shared.klog", vec!["export", "--format", "json"]),
        ("diary.klog", vec!["export", "--format", "json"]),
        ("partner.sealed", vec!["bundle", "export", &bundle_arg]),
        (
            "settings.sealed",
            vec![
                "--network",
                "direct",
                "--bind",
                "127.0.0.1",
                "sync",
                "--once",
                "--timeout",
                "1",
            ],
        ),
    ];
    let mut runs = 0;
    for (name, args) in &cases {
        let path = dir.join(name);
        let good = std::fs::read(&path).unwrap();
        let mut damaged: Vec<(String, Vec<u8>)> = Vec::new();
        for _ in 0..40 {
            let pos = rng.usize(good.len());
            let mut bad = good.clone();
            bad[pos] ^= rng.nonzero_byte();
            damaged.push((format!("byte {pos} flipped"), bad));
        }
        for _ in 0..20 {
            let len = rng.usize(good.len());
            damaged.push((format!("cut to {len}"), good[..len].to_vec()));
        }
        for (what, bad) in damaged {
            std::fs::write(&path, &bad).unwrap();
            let before = snapshot_files(&dir);
            let out = p.run(args);
            runs += 1;
            let err = String::from_utf8_lossy(&out.stderr).into_owned();
            let what = format!("{name}, {what}");
            assert!(!panicked(&out.stderr), "{what}: {err}");
            assert!(
                snapshot_files(&dir) == before,
                "{what}: a read changed a file"
            );
            // Nothing damaged opens: a flipped byte is refused, and so is a cut log (a
            // rollback; before the manifest, one cut after its first record opened).
            assert!(!out.status.success(), "{what}: accepted: {err}");
            assert_clear(&error_line(&err), name, &what);
        }
        std::fs::write(&path, &good).unwrap();
    }
    p.ok(&["export", "--format", "json"]);
    eprintln!("{runs} runs of the binary on damaged files");
}
