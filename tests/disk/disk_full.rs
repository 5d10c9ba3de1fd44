//! Disk faults (SECURITY.md, "Disk faults"): a profile on a tiny tmpfs is filled until
//! writes fail. Each failed write must give a clear one-line error, leave every file
//! exactly as it was before it, and the profile must open with everything written
//! before; once space is free again, writing goes on.
//!
//! Needs root to mount the tmpfs (CI runs as root); without it this test fails with a
//! message, it never skips.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::common::*;
use kintsugi_device::{Device, Options};

/// A tmpfs of `size` mounted on a fresh directory, unmounted on drop.
struct Tmpfs {
    _dir: tempfile::TempDir,
    mnt: PathBuf,
}

impl Tmpfs {
    fn mount(size: &str) -> Self {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        assert!(
            status
                .lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0")),
            "this test mounts a small tmpfs and must run as root (CI does)"
        );
        let dir = tempfile::tempdir().unwrap();
        let mnt = dir.path().join("mnt");
        std::fs::create_dir(&mnt).unwrap();
        let out = tool("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size},mode=0700")])
            .arg("kintsugi-test")
            .arg(&mnt)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "mount: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Self { _dir: dir, mnt }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let ok = Command::new("umount")
            .arg(&self.mnt)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !ok {
            let _ = Command::new("umount").arg("-l").arg(&self.mnt).status();
        }
    }
}

fn kintsugi(profile: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kintsugi"))
        .args(args)
        .env("KINTSUGI_PROFILE", profile)
        .env("KINTSUGI_PASSPHRASE", PASS)
        .env("KINTSUGI_INSECURE_FAST_KDF", "1")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn ok(profile: &Path, args: &[&str]) -> String {
    let out = kintsugi(profile, args);
    assert!(
        out.status.success(),
        "kintsugi {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A failed write: one clear line that names the problem, and no file changed.
fn fails_cleanly(profile: &Path, args: &[&str], what: &str) -> String {
    let before = snapshot_files(profile);
    let out = kintsugi(profile, args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{what}: it did not fail");
    assert!(!panicked(&out.stderr), "{what}: {err}");
    let err = error_line(&err);
    assert!(
        err.contains("No space left on device"),
        "{what}: the error does not say the disk is full: {err}"
    );
    assert!(
        snapshot_files(profile) == before,
        "{what}: a failed write changed the profile"
    );
    err
}

fn diary_ids(profile: &Path) -> (Vec<String>, String) {
    let out = kintsugi(profile, &["--json", "diary", "list"]);
    assert!(
        out.status.success(),
        "the profile does not open: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids = list
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    (ids, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Fills what is left of the file system with a file of its own.
fn fill(path: &Path) {
    use std::io::Write;
    let mut f = std::fs::File::create(path).unwrap();
    let chunk = vec![0x5a; 4096];
    while f.write_all(&chunk).is_ok() {}
    while f.write_all(&[0x5a]).is_ok() {}
    let _ = f.sync_all();
}

#[test]
fn a_full_disk_refuses_writes_clearly_and_keeps_everything_before() {
    let fs = Tmpfs::mount("1m");
    let profile = fs.mnt.join("profile");
    ok(&profile, &["init", "--name", "Full"]);
    let ballast = fs.mnt.join("ballast");
    std::fs::write(&ballast, vec![0u8; 128 * 1024]).unwrap();

    // Large diary entries until one does not fit. Each is 40 KB, so the one that
    // fails is usually cut off part-way through its record.
    let mut done = Vec::new();
    let mut first_error = None;
    for i in 0..200 {
        let text = format!("entry {i} {}", "abcdefghij".repeat(4_000));
        let log_before = std::fs::read(profile.join("diary.klog")).unwrap();
        let out = kintsugi(&profile, &["diary", "add", &text]);
        if out.status.success() {
            done.push(String::from_utf8(out.stdout).unwrap().trim().to_string());
            continue;
        }
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!panicked(&out.stderr), "{err}");
        let err = error_line(&err);
        assert!(err.contains("No space left on device"), "{err}");
        assert!(
            err.contains("diary.klog"),
            "the error names the file: {err}"
        );
        assert_eq!(
            std::fs::read(profile.join("diary.klog")).unwrap(),
            log_before,
            "the failed append left bytes behind"
        );
        first_error = Some(err);
        break;
    }
    let first_error = first_error.expect("the disk never filled up");
    assert!(done.len() >= 5, "only {} entries fitted", done.len());
    let (ids, notes) = diary_ids(&profile);
    assert_eq!(ids, done, "entries written before the failure");
    assert!(notes.is_empty(), "{notes}");

    // Fill the last bytes: every kind of write fails cleanly, nothing changes. (The
    // entries are over a page long: tmpfs hands out whole pages, and the last page
    // of a log may still have room for a short record.)
    fill(&fs.mnt.join("filler"));
    let page = "p".repeat(9000);
    fails_cleanly(&profile, &["diary", "add", &page], "diary add");
    fails_cleanly(&profile, &["boundary", "add", &page], "boundary add");
    let out = {
        let mut c = Command::new(env!("CARGO_BIN_EXE_kintsugi"));
        c.args(["passphrase", "change"])
            .env("KINTSUGI_PROFILE", &profile)
            .env("KINTSUGI_PASSPHRASE", PASS)
            .env(
                "KINTSUGI_NEW_PASSPHRASE",
                "violet tram under the old bridge",
            )
            .env("KINTSUGI_INSECURE_FAST_KDF", "1")
            .stdin(Stdio::null());
        let before = snapshot_files(&profile);
        let out = c.output().unwrap();
        assert!(
            snapshot_files(&profile) == before,
            "passphrase change left a trace"
        );
        out
    };
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success() && !panicked(&out.stderr), "{err}");
    let err = error_line(&err);
    assert!(err.contains("No space left on device"), "{err}");
    // The old passphrase still opens it.
    assert_eq!(diary_ids(&profile).0, done);
    // Compaction (device API) fails without touching the logs or leaving a temp file.
    let opts = Options::INSECURE_FAST_FOR_TESTS;
    let device = Device::unlock(&profile, PASS.as_bytes(), opts).unwrap();
    let before = snapshot_files(&profile);
    let err = device.compact().unwrap_err().to_string();
    assert!(err.contains("No space left on device"), "{err}");
    assert!(
        snapshot_files(&profile) == before,
        "a failed compaction changed files"
    );
    assert_eq!(device.diary_entries().unwrap().len(), done.len());
    drop(device);
    // Creating a second profile on the full disk fails clearly too.
    let second = fs.mnt.join("second");
    let out = kintsugi(&second, &["init", "--name", "Second"]);
    let init_err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !out.status.success() && !panicked(&out.stderr),
        "{init_err}"
    );
    let init_err = error_line(&init_err);
    assert!(init_err.contains("No space left on device"), "{init_err}");

    // Space again: writes work, compaction works, and nothing was lost.
    std::fs::remove_file(fs.mnt.join("filler")).unwrap();
    std::fs::remove_file(&ballast).unwrap();
    let id = ok(&profile, &["diary", "add", "after the disk was freed"]);
    done.push(id.trim().to_string());
    let device = Device::unlock(&profile, PASS.as_bytes(), opts).unwrap();
    device.compact().unwrap();
    drop(device);
    let (ids, notes) = diary_ids(&profile);
    assert_eq!(ids, done);
    assert!(notes.is_empty(), "{notes}");
    // The interrupted setup of the second profile can be redone.
    let out = kintsugi(&second, &["init", "--name", "Second"]);
    let retry = String::from_utf8_lossy(&out.stderr).into_owned();
    eprintln!(
        "disk full: {} entries of 40 KB fitted on a 1 MiB tmpfs (with 128 KiB ballast); \
         the next failed with: {}; diary add, boundary add, passphrase change, compaction \
         and init all failed cleanly on a full disk; init on the freed disk: {}",
        done.len() - 1,
        first_error.trim(),
        if out.status.success() {
            "worked".to_string()
        } else {
            retry.trim().to_string()
        }
    );
    assert!(
        out.status.success(),
        "after a failed init on a full disk, init on the freed disk fails: {retry}"
    );
}
