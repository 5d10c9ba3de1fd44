use super::*;
use crate::{KdfParams, Pairing, StoreError};

const P: KdfParams = KdfParams::INSECURE_FAST;
const PASS: &[u8] = b"pass";

/// A profile whose keyring predates log keys (both logs under the profile key) or
/// has them, with a few records in each log.
fn profile(log_keys: bool) -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("p");
    std::fs::create_dir(&dir).unwrap();
    let mut keyring = Keyring::generate().unwrap();
    if !log_keys {
        keyring.log_keys = Default::default();
    }
    for kind in LogKind::ALL {
        let path = dir.join(kind.file_name());
        DocLog::create(&path, kind, keyring.log_key(kind), b"genesis").unwrap();
    }
    Unlocked::create(&dir, keyring, PASS, P).unwrap();
    let keys = Unlocked::unlock(&dir, PASS).unwrap();
    for kind in LogKind::ALL {
        let path = dir.join(kind.file_name());
        let mut log = DocLog::open_in(&path, kind, &keys.keyring).unwrap().log;
        log.append(b"the old history").unwrap();
    }
    (tmp, dir)
}

fn records(dir: &Path, kind: LogKind) -> Vec<Vec<u8>> {
    let keys = Unlocked::unlock(dir, PASS).unwrap();
    finish_replacements(dir, &keys).unwrap();
    DocLog::open_in(&dir.join(kind.file_name()), kind, &keys.keyring)
        .unwrap()
        .records
        .iter()
        .map(|r| r.to_vec())
        .collect()
}

fn names(dir: &Path) -> Vec<String> {
    let mut n: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    n.sort();
    n
}

fn all_files(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| (p.clone(), std::fs::read(&p).unwrap()))
        .collect()
}

fn replace(dir: &Path, stop: Option<Step>) -> Secret32 {
    let mut keys = Unlocked::unlock(dir, PASS).unwrap();
    let old_key = keys.keyring.log_key(LogKind::Diary).clone();
    replace_log_until(
        dir,
        &mut keys,
        LogKind::Diary,
        |old: Vec<crate::Record>| {
            assert!(!old.is_empty());
            Ok::<_, StoreError>(b"the current state".to_vec())
        },
        |_| {},
        stop,
    )
    .unwrap();
    old_key
}

#[test]
fn the_old_log_is_replaced_under_a_new_key_and_destroyed() {
    for log_keys in [false, true] {
        let (_tmp, dir) = profile(log_keys);
        let before = names(&dir);
        let old_bytes = std::fs::read(dir.join("diary.klog")).unwrap();
        let old_key = replace(&dir, None);
        assert_eq!(
            records(&dir, LogKind::Diary),
            [b"the current state".to_vec()]
        );
        // The other log is untouched.
        assert_eq!(records(&dir, LogKind::Shared).len(), 2);
        let keys = Unlocked::unlock(&dir, PASS).unwrap();
        assert_ne!(keys.keyring.log_key(LogKind::Diary), &old_key);
        assert_ne!(
            keys.keyring.log_key(LogKind::Diary),
            &keys.keyring.profile_key
        );
        // Nothing is left beside it, and no file holds the old log's records.
        assert_eq!(names(&dir), before);
        let new_bytes = std::fs::read(dir.join("diary.klog")).unwrap();
        assert!(DocLog::open(&dir.join("diary.klog"), LogKind::Diary, &old_key).is_err());
        for (_, bytes) in all_files(&dir) {
            assert!(
                !bytes
                    .windows(32)
                    .any(|w| old_bytes[32..].windows(32).any(|o| o == w)),
                "a file still holds bytes of the old log"
            );
        }
        assert_ne!(new_bytes, old_bytes);
        // The old one put back does not open: its key is gone, and the manifest
        // records the new file (a later generation).
        let manifest = crate::manifest::read(&dir, &keys.keyring.profile_key)
            .unwrap()
            .unwrap();
        let line = manifest.log(LogKind::Diary).unwrap();
        let opened =
            DocLog::open_in(&dir.join("diary.klog"), LogKind::Diary, &keys.keyring).unwrap();
        assert_eq!(*line, opened.log.mark());
        std::fs::write(dir.join("diary.klog"), &old_bytes).unwrap();
        assert!(DocLog::open_in(&dir.join("diary.klog"), LogKind::Diary, &keys.keyring).is_err());
    }
}

#[test]
fn a_crash_at_any_step_leaves_the_old_log_or_the_new_one() {
    for (stop, new) in [
        (Step::NextWritten, false),
        (Step::KeyringWritten, true),
        (Step::OldLinked, true),
        (Step::Renamed, true),
    ] {
        let (_tmp, dir) = profile(true);
        let before = names(&dir);
        replace(&dir, Some(stop));
        assert_ne!(names(&dir), before, "{stop:?} left nothing to finish");
        // Unlocking finishes (or undoes) what was left.
        let got = records(&dir, LogKind::Diary);
        if new {
            assert_eq!(got, [b"the current state".to_vec()], "{stop:?}");
        } else {
            assert_eq!(got.len(), 2, "{stop:?}");
        }
        assert_eq!(names(&dir), before, "{stop:?}");
        // And the log takes a new release after it.
        replace(&dir, None);
        assert_eq!(
            records(&dir, LogKind::Diary),
            [b"the current state".to_vec()]
        );
    }
}

#[test]
fn the_keyring_change_travels_with_the_new_key_and_others_changes_are_kept() {
    let (_tmp, dir) = profile(true);
    let mut keys = Unlocked::unlock(&dir, PASS).unwrap();
    // Another process pairs meanwhile; this handle has not seen it.
    let mut other = Unlocked::unlock(&dir, PASS).unwrap();
    other
        .set_pairing(Some(Pairing::new(Secret32::from_bytes([1; 32]), [2; 32])))
        .unwrap();
    replace_log(
        &dir,
        &mut keys,
        LogKind::Shared,
        |_| Ok::<_, StoreError>(b"new".to_vec()),
        |k| {
            if let Some(p) = k.pairing.as_mut() {
                p.couple_key = Secret32::from_bytes([3; 32]);
            }
        },
    )
    .unwrap();
    let again = Unlocked::unlock(&dir, PASS).unwrap();
    let pairing = again.keyring.pairing.clone().unwrap();
    assert_eq!(pairing.couple_key, Secret32::from_bytes([3; 32]));
    assert_eq!(pairing.partner_endpoint, [2; 32]);
    assert_eq!(again.keyring, keys.keyring);
    // A stale handle learns the new keys by reading the keyring again.
    assert!(other.reload().unwrap());
    assert_eq!(other.keyring, keys.keyring);
    assert!(!other.reload().unwrap());
}

#[test]
fn a_log_that_does_not_open_is_not_replaced() {
    let (_tmp, dir) = profile(true);
    let path = dir.join("diary.klog");
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let mut keys = Unlocked::unlock(&dir, PASS).unwrap();
    let before = keys.keyring.clone();
    let r = replace_log(
        &dir,
        &mut keys,
        LogKind::Diary,
        |_| Ok::<_, StoreError>(b"x".to_vec()),
        |_| {},
    );
    assert!(r.is_err());
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    assert_eq!(Unlocked::unlock(&dir, PASS).unwrap().keyring, before);
}
