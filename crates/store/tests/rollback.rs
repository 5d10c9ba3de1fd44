//! Rollback detection at the store's level: a profile (keyring, two logs, manifest)
//! made and opened through the public API, its files then cut, overwritten or put
//! back the way a disk, a backup tool or an attacker would.

use std::path::{Path, PathBuf};

#[path = "../../../tests/common/format.rs"]
mod format;
use format::record_ends;

use kintsugi_store::{
    DocLog, KdfParams, Keyring, LogKind, MANIFEST_FILE, Pairing, Rollback, RollbackFound, Secret32,
    StoreError, Unlocked, accept_rollback,
};

const PASS: &[u8] = b"a passphrase for the store tests";
const P: KdfParams = KdfParams::INSECURE_FAST;

struct Profile {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    key: Secret32,
}

impl Profile {
    /// Logs first, then the keyring (which writes the manifest), as a device does.
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("profile");
        std::fs::create_dir(&dir).unwrap();
        // Logs under the profile key, as in a profile made before logs had keys of
        // their own: one key opens the logs and the manifest alike.
        let mut keyring = Keyring::generate().unwrap();
        keyring.log_keys = Default::default();
        let key = keyring.profile_key.clone();
        for kind in LogKind::ALL {
            DocLog::create(&dir.join(kind.file_name()), kind, &key, b"genesis").unwrap();
        }
        Unlocked::create(&dir, keyring, PASS, P).unwrap();
        Self {
            _tmp: tmp,
            dir,
            key,
        }
    }

    fn path(&self, kind: LogKind) -> PathBuf {
        self.dir.join(kind.file_name())
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn log(&self, kind: LogKind) -> DocLog {
        DocLog::open(&self.path(kind), kind, &self.key).unwrap().log
    }

    fn append(&self, kind: LogKind, n: usize) {
        let mut log = self.log(kind);
        for i in 0..n {
            log.append(format!("record {i} of {kind:?}").as_bytes())
                .unwrap();
        }
    }

    /// Everything an open does: the keyring, then both logs.
    fn open(&self) -> Result<Vec<usize>, StoreError> {
        Unlocked::unlock(&self.dir, PASS)?;
        LogKind::ALL
            .into_iter()
            .map(|k| DocLog::open(&self.path(k), k, &self.key).map(|o| o.records.len()))
            .collect()
    }
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

fn rolled_back(r: Result<impl std::fmt::Debug, StoreError>) -> Rollback {
    match r {
        Err(StoreError::RolledBack(rb)) => {
            let msg = StoreError::RolledBack(rb.clone()).to_string();
            assert!(msg.starts_with("this profile was rolled back: "), "{msg}");
            assert!(msg.contains(&rb.path.display().to_string()), "{msg}");
            rb
        }
        other => panic!("expected a rollback, got {other:?}"),
    }
}

#[test]
fn a_fresh_profile_opens_and_keeps_opening_as_it_grows() {
    let p = Profile::new();
    assert!(p.file(MANIFEST_FILE).exists());
    assert_eq!(p.open().unwrap(), [1, 1]);
    p.append(LogKind::Shared, 3);
    p.append(LogKind::Diary, 2);
    assert_eq!(p.open().unwrap(), [4, 3]);
    let mut log = p.log(LogKind::Shared);
    log.compact(|_| Ok::<_, StoreError>(b"all of it".to_vec()))
        .unwrap();
    assert_eq!(log.generation(), 1);
    log.append(b"after").unwrap();
    assert_eq!(p.open().unwrap(), [2, 3]);
}

#[test]
fn a_log_cut_at_the_previous_record_boundary_is_a_rollback_and_no_write_lands() {
    let p = Profile::new();
    p.append(LogKind::Shared, 4);
    let path = p.path(LogKind::Shared);
    let good = read(&path);
    let ends = record_ends(&good);
    // At the previous boundary, at every earlier one, and inside the last record.
    for cut in [ends[ends.len() - 2], ends[2], ends[1], good.len() - 5] {
        std::fs::write(&path, &good[..cut]).unwrap();
        let rb = rolled_back(p.open());
        assert_eq!(rb.path, path);
        assert!(matches!(
            rb.found,
            RollbackFound::FewerRecords { recorded: 5, .. }
        ));
        // The other log is not held up, and reading changed nothing.
        p.append(LogKind::Diary, 1);
        assert_eq!(read(&path), &good[..cut]);
    }
    std::fs::write(&path, &good).unwrap();
    assert_eq!(p.open().unwrap()[0], 5);
}

#[test]
fn a_handle_open_before_the_cut_refuses_to_write_and_cuts_nothing() {
    let p = Profile::new();
    p.append(LogKind::Shared, 3);
    let path = p.path(LogKind::Shared);
    let mut log = p.log(LogKind::Shared);
    let good = read(&path);
    let ends = record_ends(&good);
    std::fs::write(&path, &good[..ends[ends.len() - 2]]).unwrap();
    let rb = rolled_back(log.append(b"must not land"));
    assert!(matches!(rb.found, RollbackFound::FewerRecords { .. }));
    assert_eq!(read(&path), &good[..ends[ends.len() - 2]]);
    // A follower sees it too, rather than reading on from the middle of a record.
    let mut follower = {
        std::fs::write(&path, &good).unwrap();
        p.log(LogKind::Shared)
    };
    std::fs::write(&path, &good[..ends[2]]).unwrap();
    rolled_back(follower.refresh());
}

#[test]
fn a_length_pointing_past_the_end_is_damage_and_no_writer_cuts_it_off() {
    // The length of each of the last three records, complement fixed to match.
    for back in 2..5 {
        let p = Profile::new();
        p.append(LogKind::Shared, 4);
        let path = p.path(LogKind::Shared);
        let good = read(&path);
        let ends = record_ends(&good);
        let r = ends.len() - back;
        let at = ends[r];
        let mut bad = good.clone();
        let huge = (good.len() - at) as u32 + 100;
        bad[at..at + 4].copy_from_slice(&huge.to_le_bytes());
        bad[at + 4..at + 8].copy_from_slice(&(!huge).to_le_bytes());
        std::fs::write(&path, &bad).unwrap();
        let err = p.open().unwrap_err();
        assert!(
            matches!(err, StoreError::Corrupt { index, .. } if index as usize == r),
            "record {r}: {err}"
        );
        let msg = err.to_string();
        assert!(
            msg.contains("shared.klog") && msg.contains("past the end"),
            "{msg}"
        );
        // A writer holding a handle from before does not read again what it read, so
        // it may append; but it cuts nothing, and the damage stays reported.
        std::fs::write(&path, &good).unwrap();
        let mut log = p.log(LogKind::Shared);
        std::fs::write(&path, &bad).unwrap();
        let _ = log.append(b"appended behind the damage");
        assert_eq!(
            read(&path)[..bad.len()],
            bad,
            "record {r}: a writer cut bytes off"
        );
        assert!(matches!(p.open(), Err(StoreError::Corrupt { .. })));
    }
}

#[test]
fn outside_a_profile_a_length_past_the_end_is_still_damage() {
    // No manifest to compare with: the tail itself shows whole records.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.klog");
    let key = Secret32::from_bytes([5; 32]);
    DocLog::create(&path, LogKind::Shared, &key, b"first").unwrap();
    let mut log = DocLog::open(&path, LogKind::Shared, &key).unwrap().log;
    for r in [&b"second"[..], b"third", b"fourth"] {
        log.append(r).unwrap();
    }
    let good = read(&path);
    let ends = record_ends(&good);
    for (r, &at) in ends.iter().enumerate().take(ends.len() - 1).skip(1) {
        let mut bad = good.clone();
        let huge = (good.len() - at) as u32 + 1;
        bad[at..at + 4].copy_from_slice(&huge.to_le_bytes());
        bad[at + 4..at + 8].copy_from_slice(&(!huge).to_le_bytes());
        std::fs::write(&path, &bad).unwrap();
        assert!(
            matches!(
                DocLog::open(&path, LogKind::Shared, &key),
                Err(StoreError::Corrupt { .. })
            ),
            "record {r}"
        );
        let _ = log.append(b"appended behind the damage");
        assert_eq!(
            read(&path)[..bad.len()],
            bad,
            "record {r}: a writer cut bytes off"
        );
        assert!(DocLog::open(&path, LogKind::Shared, &key).is_err());
        std::fs::write(&path, &good).unwrap();
        log = DocLog::open(&path, LogKind::Shared, &key).unwrap().log;
    }
}

#[test]
fn zeros_over_the_last_records_are_a_rollback_and_stay_on_disk() {
    let p = Profile::new();
    p.append(LogKind::Diary, 4);
    let path = p.path(LogKind::Diary);
    let good = read(&path);
    let ends = record_ends(&good);
    for from in [ends[ends.len() - 2], ends[ends.len() - 3], ends[1]] {
        let mut bad = good.clone();
        bad[from..].fill(0);
        std::fs::write(&path, &bad).unwrap();
        let rb = rolled_back(p.open());
        assert_eq!(rb.path, path);
        assert!(matches!(rb.found, RollbackFound::FewerRecords { .. }));
        let mut log = DocLog::open(&p.path(LogKind::Shared), LogKind::Shared, &p.key)
            .unwrap()
            .log;
        log.append(b"the other log is fine").unwrap();
        std::fs::write(&path, &good).unwrap();
        let mut diary = p.log(LogKind::Diary);
        std::fs::write(&path, &bad).unwrap();
        rolled_back(diary.append(b"must not land"));
        assert_eq!(read(&path), bad);
    }
}

#[test]
fn an_old_keyring_put_back_after_unpairing_or_a_passphrase_change_is_a_rollback() {
    let p = Profile::new();
    let keyring = p.file("keyring");
    let mut keys = Unlocked::unlock(&p.dir, PASS).unwrap();
    assert_eq!(keys.generation(), 1);
    keys.set_pairing(Some(Pairing::new(Secret32::from_bytes([9; 32]), [4; 32])))
        .unwrap();
    assert_eq!(keys.generation(), 2);
    let paired = read(&keyring);
    keys.set_pairing(None).unwrap();
    let unpaired = read(&keyring);
    std::fs::write(&keyring, &paired).unwrap();
    let rb = rolled_back(Unlocked::unlock(&p.dir, PASS));
    assert_eq!(rb.path, keyring);
    assert_eq!(
        rb.found,
        RollbackFound::OlderCopy {
            found: 2,
            recorded: 3
        }
    );
    assert_eq!(read(&keyring), paired, "a refused unlock wrote the keyring");
    // No keyring write lands on top of it either.
    std::fs::write(&keyring, &unpaired).unwrap();
    let mut stale = Unlocked::unlock(&p.dir, PASS).unwrap();
    keys.change_passphrase(b"another passphrase, also long", P)
        .unwrap();
    std::fs::write(&keyring, &unpaired).unwrap();
    // The old passphrase opens the old keyring, which is reported, not opened.
    let rb = rolled_back(Unlocked::unlock(&p.dir, PASS));
    assert_eq!(
        rb.found,
        RollbackFound::OlderCopy {
            found: 3,
            recorded: 4
        }
    );
    // A stale handle's write moves past every generation it has not seen.
    stale
        .set_pairing(None)
        .expect("a stale handle still writes");
    assert_eq!(stale.generation(), 5);
    assert!(Unlocked::unlock(&p.dir, PASS).is_ok());
}

#[test]
fn a_missing_or_damaged_manifest_is_reported() {
    let p = Profile::new();
    p.append(LogKind::Shared, 2);
    let manifest = p.file(MANIFEST_FILE);
    let good = read(&manifest);
    std::fs::remove_file(&manifest).unwrap();
    let rb = rolled_back(Unlocked::unlock(&p.dir, PASS));
    assert_eq!(
        (rb.path, rb.found),
        (manifest.clone(), RollbackFound::Missing)
    );
    // A writer does not make a new one from the files it finds.
    p.append(LogKind::Shared, 1);
    assert!(!manifest.exists());
    for (i, bad) in [
        good[..good.len() - 1].to_vec(),
        [&good[..], &b"x"[..]].concat(),
        {
            let mut b = good.clone();
            b[20] ^= 1;
            b
        },
    ]
    .iter()
    .enumerate()
    {
        std::fs::write(&manifest, bad).unwrap();
        let err = Unlocked::unlock(&p.dir, PASS).unwrap_err();
        assert!(matches!(err, StoreError::ManifestDamaged(_)), "{i}: {err}");
        assert!(err.to_string().contains(MANIFEST_FILE));
        // A write is refused, and the manifest stays as it was.
        let log = DocLog::open(&p.path(LogKind::Diary), LogKind::Diary, &p.key);
        assert!(matches!(log, Err(StoreError::ManifestDamaged(_))));
        assert_eq!(&read(&manifest), bad);
    }
}

#[test]
fn a_log_ahead_of_the_manifest_opens_and_the_manifest_catches_up() {
    let p = Profile::new();
    p.append(LogKind::Shared, 2);
    let manifest = p.file(MANIFEST_FILE);
    let path = p.path(LogKind::Shared);
    // A crash between an append and its manifest update: the manifest lags.
    let before = read(&manifest);
    p.append(LogKind::Shared, 2);
    std::fs::write(&manifest, &before).unwrap();
    assert_eq!(p.open().unwrap()[0], 5);
    // ...and after that append, another one was cut short by the crash.
    let whole = read(&path);
    let mut log = p.log(LogKind::Shared);
    log.append(b"a long record that the crash cuts in the middle")
        .unwrap();
    let cut = read(&path)[..whole.len() + 30].to_vec();
    std::fs::write(&manifest, &before).unwrap();
    std::fs::write(&path, &cut).unwrap();
    let opened = DocLog::open(&path, LogKind::Shared, &p.key).unwrap();
    assert_eq!(opened.records.len(), 5);
    assert_eq!(opened.torn.map(|t| t.bytes), Some(30));
    // The next write cuts the torn tail off and the manifest catches up: cutting the
    // log back to where the old manifest was is now a rollback.
    let mut log = opened.log;
    log.append(b"after the crash").unwrap();
    assert_eq!(p.open().unwrap()[0], 6);
    std::fs::write(&path, &whole).unwrap();
    rolled_back(p.open());

    // A compaction whose manifest update was lost: the new file is ahead.
    let p = Profile::new();
    p.append(LogKind::Diary, 3);
    let manifest = p.file(MANIFEST_FILE);
    let before = read(&manifest);
    let old_file = read(&p.path(LogKind::Diary));
    p.log(LogKind::Diary)
        .compact(|_| Ok::<_, StoreError>(b"everything".to_vec()))
        .unwrap();
    std::fs::write(&manifest, &before).unwrap();
    assert_eq!(p.open().unwrap()[1], 1);
    p.append(LogKind::Diary, 1);
    // Once recorded, the file from before the compaction is an older copy.
    std::fs::write(p.path(LogKind::Diary), &old_file).unwrap();
    let rb = rolled_back(p.open());
    assert_eq!(
        rb.found,
        RollbackFound::OlderCopy {
            found: 0,
            recorded: 1
        }
    );
}

#[test]
fn a_keyring_ahead_of_the_manifest_opens_and_the_manifest_catches_up() {
    let p = Profile::new();
    let manifest = p.file(MANIFEST_FILE);
    let keyring = p.file("keyring");
    let before = read(&manifest);
    let old_keyring = read(&keyring);
    let mut keys = Unlocked::unlock(&p.dir, PASS).unwrap();
    keys.set_pairing(Some(Pairing::new(Secret32::from_bytes([1; 32]), [2; 32])))
        .unwrap();
    std::fs::write(&manifest, &before).unwrap();
    // Ahead: opens, and the unlock records it.
    assert!(Unlocked::unlock(&p.dir, PASS).is_ok());
    std::fs::write(&keyring, &old_keyring).unwrap();
    rolled_back(Unlocked::unlock(&p.dir, PASS));
}

#[test]
fn two_handles_writing_alternately_and_compacting_keep_opening() {
    let p = Profile::new();
    let mut a = p.log(LogKind::Shared);
    let mut b = p.log(LogKind::Shared);
    for round in 0..30 {
        let (w, r) = if round % 2 == 0 {
            (&mut a, &mut b)
        } else {
            (&mut b, &mut a)
        };
        w.append(format!("round {round}").as_bytes()).unwrap();
        if round % 7 == 6 {
            w.compact(|_| Ok::<_, StoreError>(format!("up to {round}").into_bytes()))
                .unwrap();
        }
        // The other one follows without mistaking the newer writes for a rollback.
        r.refresh().unwrap();
        p.open().unwrap();
    }
}

#[test]
fn accepting_a_rollback_opens_it_and_moves_past_every_older_copy() {
    let p = Profile::new();
    p.append(LogKind::Shared, 4);
    let path = p.path(LogKind::Shared);
    let newer = read(&path);
    let ends = record_ends(&newer);
    std::fs::write(&path, &newer[..ends[3]]).unwrap();
    rolled_back(p.open());
    // A wrong passphrase accepts nothing.
    assert!(matches!(
        accept_rollback(&p.dir, b"not the passphrase"),
        Err(StoreError::WrongPassphrase)
    ));
    let accepted = accept_rollback(&p.dir, PASS).unwrap();
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].path, path);
    assert_eq!(p.open().unwrap(), [3, 1]);
    let opened = DocLog::open(&path, LogKind::Shared, &p.key).unwrap();
    assert_eq!(opened.log.generation(), 1);
    assert_eq!(&opened.records[2][..], b"record 1 of Shared");
    // The newer file that was lost, put back now, is behind the accepted state: the
    // person accepts it in turn (or not).
    std::fs::write(&path, &newer).unwrap();
    rolled_back(p.open());
    assert_eq!(accept_rollback(&p.dir, PASS).unwrap().len(), 1);
    assert_eq!(p.open().unwrap(), [5, 1]);
    // With nothing behind, accepting finds nothing and changes no file.
    let before = read(&path);
    assert!(accept_rollback(&p.dir, PASS).unwrap().is_empty());
    assert_eq!(read(&path), before);
}

#[test]
fn accepting_refuses_damage_and_deletes_nothing() {
    let p = Profile::new();
    p.append(LogKind::Shared, 3);
    let path = p.path(LogKind::Shared);
    let good = read(&path);
    let ends = record_ends(&good);
    let at = ends[2];
    let mut bad = good.clone();
    let huge = (good.len() - at) as u32 + 100;
    bad[at..at + 4].copy_from_slice(&huge.to_le_bytes());
    bad[at + 4..at + 8].copy_from_slice(&(!huge).to_le_bytes());
    std::fs::write(&path, &bad).unwrap();
    let manifest = read(&p.file(MANIFEST_FILE));
    assert!(matches!(
        accept_rollback(&p.dir, PASS),
        Err(StoreError::Corrupt { .. })
    ));
    assert_eq!(read(&path), bad);
    assert_eq!(read(&p.file(MANIFEST_FILE)), manifest);
}

#[test]
fn accepting_an_old_keyring_brings_back_what_it_held_and_moves_past_the_newer_one() {
    let p = Profile::new();
    let keyring = p.file("keyring");
    let mut keys = Unlocked::unlock(&p.dir, PASS).unwrap();
    let pairing = Pairing::new(Secret32::from_bytes([9; 32]), [4; 32]);
    keys.set_pairing(Some(pairing.clone())).unwrap();
    let paired = read(&keyring);
    keys.set_pairing(None).unwrap();
    let unpaired = read(&keyring);
    std::fs::write(&keyring, &paired).unwrap();
    let accepted = accept_rollback(&p.dir, PASS).unwrap();
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].path, keyring);
    let keys = Unlocked::unlock(&p.dir, PASS).unwrap();
    assert_eq!(keys.keyring.pairing, Some(pairing));
    assert_eq!(keys.generation(), 4);
    std::fs::write(&keyring, &unpaired).unwrap();
    rolled_back(Unlocked::unlock(&p.dir, PASS));
}

#[test]
fn a_profile_from_before_manifests_gets_one_at_its_first_unlock() {
    use kintsugi_store::vectors;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // A keyring of that time: its logs have no keys of their own.
    let mut keyring = Keyring::generate().unwrap();
    keyring.log_keys = Default::default();
    let key = keyring.profile_key.clone();
    let v1 = vectors::keyring_file(&keyring, PASS, P, &[7; 16], 1, 0, &[1; 24]).unwrap();
    std::fs::write(dir.join("keyring"), &v1).unwrap();
    for (kind, n) in [(LogKind::Shared, 3u8), (LogKind::Diary, 1)] {
        let records: Vec<(Vec<u8>, [u8; 24])> = (0..n)
            .map(|i| (vec![i; 10], nonce(kind as u8 * 16 + i)))
            .collect();
        let refs: Vec<(&[u8], [u8; 24])> = records.iter().map(|(r, n)| (&r[..], *n)).collect();
        let bytes = vectors::log_file(kind, &key, &[kind as u8; 16], 0, &refs).unwrap();
        std::fs::write(dir.join(kind.file_name()), bytes).unwrap();
    }
    let shared = dir.join(LogKind::Shared.file_name());
    let older = {
        let bytes = read(&shared);
        bytes[..record_ends(&bytes)[2]].to_vec()
    };
    // The first unlock cannot tell: the files are as it finds them.
    let keys = Unlocked::unlock(dir, PASS).unwrap();
    assert_eq!(
        keys.generation(),
        1,
        "the keyring was rewritten as version 2"
    );
    assert_eq!(u16::from_le_bytes([read(&dir.join("keyring"))[8], 0]), 2);
    let m = vectors::read_manifest(dir, &key).unwrap().unwrap();
    assert_eq!(m.keyring.generation, 1);
    assert_eq!(m.log(LogKind::Shared).unwrap().records, 3);
    assert_eq!(m.log(LogKind::Diary).unwrap().records, 1);
    // From now on a cut is noticed, and so is the old keyring or a deleted manifest.
    std::fs::write(&shared, &older).unwrap();
    rolled_back(DocLog::open(&shared, LogKind::Shared, &key).map(|o| o.records.len()));
    std::fs::write(dir.join("keyring"), &v1).unwrap();
    rolled_back(Unlocked::unlock(dir, PASS));
}

fn nonce(seed: u8) -> [u8; 24] {
    [seed; 24]
}

/// Many threads of one process, each with its own handles, as separate processes
/// would have: every write lands, and the manifest stays right for all of them.
#[test]
fn concurrent_writers_of_both_logs_and_the_keyring_keep_the_manifest_right() {
    let p = Profile::new();
    let dir = p.dir.clone();
    let key = p.key.clone();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let (dir, key) = (dir.clone(), key.clone());
            std::thread::spawn(move || {
                let kind = LogKind::ALL[t % 2];
                let path = dir.join(kind.file_name());
                let mut log = DocLog::open(&path, kind, &key).unwrap().log;
                for i in 0..25 {
                    log.append(format!("{t}.{i}").as_bytes()).unwrap();
                    if i % 10 == 9 {
                        log.compact(|_| Ok::<_, StoreError>(format!("{t} to {i}").into_bytes()))
                            .unwrap();
                    }
                    if t == 0 && i % 5 == 0 {
                        let mut keys = Unlocked::unlock(&dir, PASS).unwrap();
                        keys.set_pairing(None).unwrap();
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    p.open().unwrap();
    let m = kintsugi_store::vectors::read_manifest(&dir, &key)
        .unwrap()
        .unwrap();
    for kind in LogKind::ALL {
        let log = p.log(kind);
        let line = m.log(kind).unwrap();
        assert_eq!(
            (line.generation, line.records),
            (log.generation(), log.record_count())
        );
    }
    assert_eq!(
        m.keyring.generation,
        Unlocked::unlock(&dir, PASS).unwrap().generation()
    );
}
