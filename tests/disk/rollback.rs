//! Rollback detection (SECURITY.md, "Rollback"; crates/store/FORMAT.md,
//! "Manifest"): files of a real profile cut back, overwritten or put back as an
//! attacker, a backup tool or a failing disk would, opened through the real binary and
//! the device API. Each is reported by name as a rollback or as damage, none is opened
//! silently, and no writer deletes a record that authenticates. A lag a crash leaves
//! (files ahead of the manifest) opens, and processes writing in turn never mistake
//! each other's writes for a rollback.

use std::path::Path;
use std::time::Duration;

use crate::common::*;
use kintsugi_device::{Device, Options};

fn opts() -> Options {
    Options::INSECURE_FAST_FOR_TESTS
}

fn profile_with_entries() -> Profile {
    let p = Profile::init("Dana");
    for i in 0..5 {
        p.id(&["boundary", "add", &format!("boundary number {i}")]);
        p.id(&["diary", "add", &format!("page number {i}")]);
    }
    p
}

/// A read and a write both fail with one error line that contains every one of
/// `words`, and neither changes a byte of the profile.
fn refused_by_name(p: &Profile, words: &[&str]) -> String {
    let before = snapshot_files(&p.path());
    let mut line = String::new();
    for args in [
        &["boundary", "list"][..],
        &["diary", "add", "must not land"],
        &["boundary", "add", "must not land"],
    ] {
        let out = p.run(args);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!out.status.success(), "{args:?} succeeded: {err}");
        assert!(!panicked(&out.stderr), "{err}");
        line = error_line(&err);
        for w in words {
            assert!(line.contains(w), "{args:?}: {line:?} does not say {w:?}");
        }
        assert!(
            snapshot_files(&p.path()) == before,
            "{args:?} changed a file of the profile"
        );
    }
    line
}

fn texts(p: &Profile, what: &str) -> Vec<String> {
    p.json(&[what, "list"])
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["text"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_log_cut_at_the_previous_record_boundary_is_a_rollback_by_name() {
    let p = profile_with_entries();
    for log in ["shared.klog", "diary.klog"] {
        let path = p.path().join(log);
        let good = std::fs::read(&path).unwrap();
        let ends = record_ends(&good);
        // The previous boundary, an earlier one, and inside the last record (the last
        // record was reported saved and recorded, so this is no interrupted write).
        for cut in [ends[ends.len() - 2], ends[2], good.len() - 7] {
            std::fs::write(&path, &good[..cut]).unwrap();
            let line = refused_by_name(&p, &["this profile was rolled back", log]);
            assert!(line.contains("whole records"), "{line}");
        }
        std::fs::write(&path, &good).unwrap();
    }
    assert_eq!(texts(&p, "boundary").len(), 5);
    assert_eq!(texts(&p, "diary").len(), 5);
}

#[test]
fn a_record_length_pointing_past_the_end_is_damage_and_no_writer_cuts_it_off() {
    let p = profile_with_entries();
    for log in ["shared.klog", "diary.klog"] {
        let path = p.path().join(log);
        let good = std::fs::read(&path).unwrap();
        let ends = record_ends(&good);
        // The last record's length, then one further back with records after it.
        for r in [ends.len() - 2, ends.len() - 4] {
            let at = ends[r];
            let mut bad = good.clone();
            let huge = (good.len() - at) as u32 + 64;
            bad[at..at + 4].copy_from_slice(&huge.to_le_bytes());
            bad[at + 4..at + 8].copy_from_slice(&(!huge).to_le_bytes());
            std::fs::write(&path, &bad).unwrap();
            let line = refused_by_name(&p, &[log, "damaged", "past the end"]);
            assert!(!line.contains("interrupted"), "{line}");
        }
        std::fs::write(&path, &good).unwrap();
    }
    assert_eq!(texts(&p, "boundary").len(), 5);
}

#[test]
fn zeros_over_the_last_records_are_a_rollback_by_name() {
    let p = profile_with_entries();
    for log in ["shared.klog", "diary.klog"] {
        let path = p.path().join(log);
        let good = std::fs::read(&path).unwrap();
        let ends = record_ends(&good);
        for from in [ends[ends.len() - 2], ends[ends.len() - 4]] {
            let mut bad = good.clone();
            bad[from..].fill(0);
            std::fs::write(&path, &bad).unwrap();
            refused_by_name(&p, &["this profile was rolled back", log]);
        }
        std::fs::write(&path, &good).unwrap();
    }
    assert_eq!(texts(&p, "diary").len(), 5);
}

#[test]
fn an_old_keyring_put_back_after_unpairing_is_a_rollback_until_accepted() {
    let (a, _b) = paired_profiles();
    let keyring = a.path().join("keyring");
    let paired = std::fs::read(&keyring).unwrap();
    let device = Device::unlock(&a.path(), PASS.as_bytes(), opts()).unwrap();
    assert!(device.status().unwrap().paired);
    device.forget_partner(false).unwrap();
    drop(device);
    let unpaired = std::fs::read(&keyring).unwrap();
    std::fs::write(&keyring, &paired).unwrap();
    // The binary, for every command; the device API, with a typed error.
    for args in [&["status"][..], &["boundary", "add", "must not land"]] {
        let before = snapshot_files(&a.path());
        let err = a.fails(args);
        let line = error_line(&err);
        assert!(
            line.contains("this profile was rolled back") && line.contains("keyring"),
            "{line}"
        );
        assert!(line.contains("older copy"), "{line}");
        assert!(snapshot_files(&a.path()) == before);
    }
    let err = Device::unlock(&a.path(), PASS.as_bytes(), opts()).unwrap_err();
    assert!(err.is_rollback(), "{err}");
    // Accepting it is a choice with a cost, which the documentation states: the old
    // keyring's couple key is in force again. The newer keyring is then behind.
    let (device, accepted) = Device::accept_rollback(&a.path(), PASS.as_bytes(), opts()).unwrap();
    assert_eq!(accepted.len(), 1, "{accepted:?}");
    assert!(accepted[0].contains("keyring"), "{accepted:?}");
    assert!(device.status().unwrap().paired);
    drop(device);
    a.ok(&["status"]);
    std::fs::write(&keyring, &unpaired).unwrap();
    assert!(
        Device::unlock(&a.path(), PASS.as_bytes(), opts())
            .unwrap_err()
            .is_rollback()
    );
}

#[test]
fn an_old_keyring_put_back_after_a_passphrase_change_is_a_rollback() {
    let p = Profile::init("Eli");
    let keyring = p.path().join("keyring");
    let old = std::fs::read(&keyring).unwrap();
    let new_pass = "a new passphrase nobody else knows 2031";
    let out = p
        .cmd()
        .env("KINTSUGI_NEW_PASSPHRASE", new_pass)
        .args(["passphrase", "change"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(&keyring, &old).unwrap();
    // The old passphrase opens the old keyring, which is then reported, not used.
    let line = error_line(&p.fails(&["status"]));
    assert!(
        line.contains("this profile was rolled back") && line.contains("keyring"),
        "{line}"
    );
    let out = p
        .cmd()
        .env("KINTSUGI_PASSPHRASE", new_pass)
        .args(["status"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("wrong passphrase"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read(&keyring).unwrap(), old);
}

#[test]
fn files_ahead_of_the_manifest_open_and_the_manifest_catches_up() {
    let p = profile_with_entries();
    let manifest = p.path().join("manifest.sealed");
    let shared = p.path().join("shared.klog");
    // As a crash between an append and its manifest update leaves it.
    let recorded = std::fs::read(&manifest).unwrap();
    let before = std::fs::read(&shared).unwrap();
    p.id(&["boundary", "add", "written, then the crash"]);
    std::fs::write(&manifest, &recorded).unwrap();
    let out = p.run(&["--json", "boundary", "list"]);
    assert!(out.status.success());
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(texts(&p, "boundary").len(), 6);
    // Until the next write, the unrecorded record is not protected (documented)...
    p.id(&["boundary", "add", "after the crash"]);
    // ...after it, cutting the log back to where the old manifest was is a rollback.
    std::fs::write(&shared, &before).unwrap();
    refused_by_name(&p, &["this profile was rolled back", "shared.klog"]);
}

#[test]
fn processes_writing_in_turn_never_mistake_each_other_for_a_rollback() {
    let p = Profile::init("Fen");
    // The app: follows the logs on its own, and writes and compacts in turn with CLI
    // processes and a second handle (as a `kintsugi sync` would be).
    let app = Device::unlock(&p.path(), PASS.as_bytes(), opts()).unwrap();
    let other = Device::unlock(&p.path(), PASS.as_bytes(), opts()).unwrap();
    let _watch = app.watch(Duration::from_millis(5));
    let mut want = Vec::new();
    for round in 0..24 {
        let text = format!("round {round}");
        match round % 4 {
            0 => {
                p.id(&["boundary", "add", &text]);
            }
            1 => {
                app.propose_boundary(&text, None).unwrap();
            }
            2 => {
                other.propose_boundary(&text, None).unwrap();
            }
            _ => {
                p.id(&["boundary", "add", &text]);
                if round % 8 == 3 {
                    other.compact().unwrap();
                } else {
                    app.compact().unwrap();
                }
            }
        }
        want.push(text);
        app.refresh().unwrap();
        other.refresh().unwrap();
        assert_eq!(app.boundaries().unwrap().len(), want.len(), "round {round}");
        let out = p.run(&["boundary", "list"]);
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "round {round}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    drop(_watch);
    let fresh = Device::unlock(&p.path(), PASS.as_bytes(), opts()).unwrap();
    let got: Vec<String> = fresh
        .boundaries()
        .unwrap()
        .into_iter()
        .map(|b| b.text)
        .collect();
    assert_eq!(got, want);
}

#[test]
fn accepting_a_rollback_through_the_device_opens_what_is_left() {
    let p = profile_with_entries();
    let shared = p.path().join("shared.klog");
    let newer = std::fs::read(&shared).unwrap();
    let ends = record_ends(&newer);
    std::fs::write(&shared, &newer[..ends[ends.len() - 2]]).unwrap();
    let err = Device::unlock(&p.path(), PASS.as_bytes(), opts()).unwrap_err();
    assert!(err.is_rollback(), "{err}");
    let wrong = Device::accept_rollback(&p.path(), b"not the passphrase", opts()).unwrap_err();
    assert!(wrong.to_string().contains("wrong passphrase"), "{wrong}");
    let (device, accepted) = Device::accept_rollback(&p.path(), PASS.as_bytes(), opts()).unwrap();
    assert_eq!(accepted.len(), 1);
    assert!(
        accepted[0].contains("shared.klog") && accepted[0].contains("whole records"),
        "{accepted:?}"
    );
    assert_eq!(device.boundaries().unwrap().len(), 4);
    device.propose_boundary("going on from here", None).unwrap();
    drop(device);
    assert_eq!(texts(&p, "boundary").len(), 5);
    // The newer file that was lost is behind the accepted state now.
    std::fs::write(&shared, &newer).unwrap();
    refused_by_name(&p, &["this profile was rolled back", "shared.klog"]);
    assert!(file_names(&p.path()).iter().all(|n| !n.contains(".tmp")));
}

fn file_names(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// The way out that the error names, from the command line: `accept-rollback`
/// asks first (and changes nothing on "no"), then opens what is left.
#[test]
fn accept_rollback_on_the_command_line_asks_then_opens_what_is_left() {
    let p = profile_with_entries();
    let path = p.path().join("diary.klog");
    let good = std::fs::read(&path).unwrap();
    let ends = record_ends(&good);
    std::fs::write(&path, &good[..ends[ends.len() - 2]]).unwrap();
    refused_by_name(&p, &["this profile was rolled back", "diary.klog"]);

    let before = snapshot_files(&p.path());
    let mut no = p.cmd();
    no.arg("accept-rollback")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = no.spawn().unwrap();
    {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(b"n\n").unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("[y/N] kintsugi: nothing was changed"),
        "{stderr}"
    );
    assert!(
        snapshot_files(&p.path()) == before,
        "a \"no\" changed a file"
    );

    let accepted = p.ok(&["accept-rollback", "--yes"]);
    assert!(
        accepted.contains("Accepted:") && accepted.contains("diary.klog"),
        "{accepted}"
    );
    assert_eq!(texts(&p, "diary").len(), 4);
    p.ok(&["diary", "add", "after the rollback"]);
    assert_eq!(texts(&p, "diary").len(), 5);
}
