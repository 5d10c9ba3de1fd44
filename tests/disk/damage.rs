//! What a damaged profile does, through the real binary: a flipped byte gives a clear
//! error and leaves the file as it was; a final record cut off by a crash is set aside
//! and everything before it is intact.

use crate::common::*;

fn profile_with_entries() -> Profile {
    let p = Profile::init("Dana");
    for i in 0..5 {
        p.id(&["boundary", "add", &format!("boundary number {i}")]);
    }
    p
}

#[test]
fn a_flipped_byte_anywhere_in_a_log_is_a_clear_error_and_changes_nothing() {
    let p = profile_with_entries();
    for log in ["shared.klog", "diary.klog"] {
        let path = p.path().join(log);
        let good = std::fs::read(&path).unwrap();
        // Every header byte, then positions spread over the whole file.
        let mut positions: Vec<usize> = (0..40).collect();
        positions.extend((40..good.len()).step_by((good.len() / 60).max(1)));
        positions.push(good.len() - 1);
        for pos in positions {
            let mut bad = good.clone();
            bad[pos] ^= 0x10;
            std::fs::write(&path, &bad).unwrap();
            let err = p.fails(&["boundary", "list"]);
            assert_eq!(err.trim().lines().count(), 1, "byte {pos} of {log}: {err}");
            assert!(
                err.contains(log) || err.contains("not a Kintsugi"),
                "byte {pos} of {log}: {err}"
            );
            // A write is refused too, and neither touched the file.
            p.fails(&["boundary", "add", "must not land"]);
            assert_eq!(std::fs::read(&path).unwrap(), bad, "byte {pos} of {log}");
        }
        std::fs::write(&path, &good).unwrap();
    }
    assert_eq!(p.json(&["boundary", "list"]).as_array().unwrap().len(), 5);
}

/// A crash in the middle of an append leaves part of a record that was never reported
/// saved, and a manifest that does not record it yet (it is updated after the append).
/// Before the manifest existed this test cut a whole profile's last record; a record
/// the manifest recorded is no interrupted write, and cutting it is a rollback
/// (tests/disk/rollback.rs).
#[test]
fn a_truncated_final_record_is_recovered_with_everything_before_it() {
    let p = Profile::init("Dana");
    for i in 0..4 {
        p.id(&["boundary", "add", &format!("boundary number {i}")]);
    }
    let manifest = p.path().join("manifest.sealed");
    let before_the_crash = std::fs::read(&manifest).unwrap();
    p.id(&["boundary", "add", "boundary number 4"]);
    let recorded = std::fs::read(&manifest).unwrap();
    std::fs::write(&manifest, &before_the_crash).unwrap();
    let path = p.path().join("shared.klog");
    let good = std::fs::read(&path).unwrap();
    for cut in [1usize, 7, 20, 60] {
        std::fs::write(&manifest, &recorded).unwrap();
        std::fs::write(&path, &good[..good.len() - cut]).unwrap();
        assert!(
            p.fails(&["boundary", "list"])
                .contains("this profile was rolled back"),
            "a recorded record cut off was taken for an interrupted write"
        );
        std::fs::write(&manifest, &before_the_crash).unwrap();
        let out = p.run(&["--json", "boundary", "list"]);
        assert!(out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("interrupted"), "{stderr}");
        let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let texts: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["text"].as_str().unwrap())
            .collect();
        assert_eq!(
            texts,
            [
                "boundary number 0",
                "boundary number 1",
                "boundary number 2",
                "boundary number 3"
            ]
        );
        // Reading did not touch the file.
        assert_eq!(std::fs::read(&path).unwrap(), good[..good.len() - cut]);
    }
    // The next write cuts the torn record off and lands cleanly after the others.
    p.id(&["boundary", "add", "after the crash"]);
    let out = p.run(&["--json", "boundary", "list"]);
    assert!(String::from_utf8_lossy(&out.stderr).is_empty());
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 5);
    assert_eq!(list[4]["text"], "after the crash");
}

#[test]
fn a_damaged_keyring_is_not_mistaken_for_a_wrong_passphrase() {
    let p = profile_with_entries();
    let path = p.path().join("keyring");
    let good = std::fs::read(&path).unwrap();
    let mut bad = good.clone();
    bad[50] ^= 1;
    std::fs::write(&path, &bad).unwrap();
    assert!(p.fails(&["status"]).contains("damaged"));
    assert_eq!(std::fs::read(&path).unwrap(), bad);
}
