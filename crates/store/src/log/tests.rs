use super::*;
use proptest::prelude::*;

fn key() -> Secret32 {
    Secret32::from_bytes([5; 32])
}

fn new_log(dir: &Path, records: &[&[u8]]) -> PathBuf {
    let path = dir.join("doc.klog");
    DocLog::create(&path, LogKind::Shared, &key(), records[0]).unwrap();
    let mut log = DocLog::open(&path, LogKind::Shared, &key()).unwrap().log;
    for r in &records[1..] {
        log.append(r).unwrap();
    }
    path
}

fn plain(records: &[Record]) -> Vec<Vec<u8>> {
    records.iter().map(|r| r.to_vec()).collect()
}

#[test]
fn append_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = new_log(dir.path(), &[b"one", b"two", b"three"]);
    let open = DocLog::open(&path, LogKind::Shared, &key()).unwrap();
    assert_eq!(
        plain(&open.records),
        vec![b"one".to_vec(), b"two".to_vec(), b"three".to_vec()]
    );
    assert_eq!(open.torn, None);
    assert_eq!(open.log.record_count(), 3);
    assert!(matches!(
        DocLog::open(&path, LogKind::Diary, &key()),
        Err(StoreError::Corrupt { .. })
    ));
    assert!(matches!(
        DocLog::open(&path, LogKind::Shared, &Secret32::from_bytes([6; 32])),
        Err(StoreError::Corrupt { index: 0, .. })
    ));
    assert!(matches!(
        DocLog::create(&path, LogKind::Shared, &key(), b"x"),
        Err(StoreError::AlreadyExists(_))
    ));
}

#[test]
fn a_second_handle_follows_appends_and_compaction() {
    let dir = tempfile::tempdir().unwrap();
    let path = new_log(dir.path(), &[b"a"]);
    let mut one = DocLog::open(&path, LogKind::Shared, &key()).unwrap().log;
    let mut two = DocLog::open(&path, LogKind::Shared, &key()).unwrap().log;
    one.append(b"b").unwrap();
    assert_eq!(plain(&two.refresh().unwrap()), vec![b"b".to_vec()]);
    assert!(two.refresh().unwrap().is_empty());
    // two appends without having seen one's next record: it gets it back as foreign.
    one.append(b"c").unwrap();
    assert_eq!(plain(&two.append(b"d").unwrap()), vec![b"c".to_vec()]);
    assert_eq!(plain(&one.refresh().unwrap()), vec![b"d".to_vec()]);
    // one compacts; two notices the new file and reads it whole.
    one.compact(|foreign| {
        assert!(foreign.is_empty());
        Ok::<_, StoreError>(b"abcd".to_vec())
    })
    .unwrap();
    assert_eq!(plain(&two.refresh().unwrap()), vec![b"abcd".to_vec()]);
    two.append(b"e").unwrap();
    let open = DocLog::open(&path, LogKind::Shared, &key()).unwrap();
    assert_eq!(plain(&open.records), vec![b"abcd".to_vec(), b"e".to_vec()]);
    assert!(
        !dir.path().read_dir().unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains(".tmp"))
    );
}

#[test]
fn compaction_removes_what_a_killed_compaction_left_behind() {
    let dir = tempfile::tempdir().unwrap();
    let path = new_log(dir.path(), &[b"a", b"b"]);
    // As a compaction killed between writing and renaming leaves them; another log's
    // temporary file in the same folder is not ours to touch.
    let stale = [".doc.klog.tmp-4242", ".doc.klog.tmp-77"];
    for name in stale {
        std::fs::write(dir.path().join(name), b"sealed bytes").unwrap();
    }
    let other = dir.path().join(".diary.klog.tmp-4242");
    std::fs::write(&other, b"sealed bytes").unwrap();
    let mut log = DocLog::open(&path, LogKind::Shared, &key()).unwrap().log;
    log.compact(|_| Ok::<_, StoreError>(b"ab".to_vec()))
        .unwrap();
    for name in stale {
        assert!(!dir.path().join(name).exists(), "{name} is still there");
    }
    assert!(other.exists());
    let open = DocLog::open(&path, LogKind::Shared, &key()).unwrap();
    assert_eq!(plain(&open.records), vec![b"ab".to_vec()]);
}

#[test]
fn every_flipped_byte_is_an_error_and_the_file_is_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = new_log(dir.path(), &[b"first record", b"second", b"third and last"]);
    let good = std::fs::read(&path).unwrap();
    for i in 0..good.len() {
        for bit in [0x01u8, 0x80] {
            let mut bad = good.clone();
            bad[i] ^= bit;
            std::fs::write(&path, &bad).unwrap();
            let res = DocLog::open(&path, LogKind::Shared, &key());
            assert!(res.is_err(), "flip at byte {i} went unnoticed");
            assert_eq!(std::fs::read(&path).unwrap(), bad, "file changed by a read");
        }
    }
}

#[test]
fn truncation_is_a_torn_tail_or_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let recs: [&[u8]; 3] = [b"first record", b"second", b"third and last"];
    let path = new_log(dir.path(), &recs);
    let good = std::fs::read(&path).unwrap();
    let boundaries: Vec<usize> = {
        let mut b = vec![HEADER_LEN];
        for r in &recs {
            let last = *b.last().unwrap();
            b.push(last + RECORD_HEADER_LEN + r.len() + SEAL_OVERHEAD);
        }
        b
    };
    assert_eq!(*boundaries.last().unwrap(), good.len());
    for len in 0..good.len() {
        std::fs::write(&path, &good[..len]).unwrap();
        match DocLog::open(&path, LogKind::Shared, &key()) {
            Err(_) => assert!(len < HEADER_LEN, "len {len} should have recovered"),
            Ok(open) => {
                let complete = boundaries.iter().filter(|&&b| b <= len).count() - 1;
                assert_eq!(open.records.len(), complete);
                for (r, want) in open.records.iter().zip(recs) {
                    assert_eq!(&r[..], want);
                }
                let expect_torn = !boundaries.contains(&len);
                assert_eq!(open.torn.is_some(), expect_torn, "len {len}");
            }
        }
        assert_eq!(std::fs::read(&path).unwrap(), good[..len]);
    }
}

#[test]
fn the_next_append_cuts_a_torn_tail() {
    let dir = tempfile::tempdir().unwrap();
    let path = new_log(dir.path(), &[b"one", b"two"]);
    let good = std::fs::read(&path).unwrap();
    std::fs::write(&path, &good[..good.len() - 5]).unwrap();
    let open = DocLog::open(&path, LogKind::Shared, &key()).unwrap();
    let torn = open.torn.unwrap();
    assert_eq!(torn.bytes as usize, good.len() - 5 - torn.offset as usize);
    let mut log = open.log;
    log.append(b"three").unwrap();
    let again = DocLog::open(&path, LogKind::Shared, &key()).unwrap();
    assert_eq!(again.torn, None);
    assert_eq!(
        plain(&again.records),
        vec![b"one".to_vec(), b"three".to_vec()]
    );
}

#[test]
fn a_zero_filled_tail_is_torn_not_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = new_log(dir.path(), &[b"one"]);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(&[0u8; 100]);
    std::fs::write(&path, &bytes).unwrap();
    let open = DocLog::open(&path, LogKind::Shared, &key()).unwrap();
    assert_eq!(open.records.len(), 1);
    assert_eq!(open.torn.map(|t| t.bytes), Some(100));
}

#[test]
fn no_plaintext_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let path = new_log(dir.path(), &[b"CANARY-0001", b"CANARY-0002"]);
    let bytes = std::fs::read(path).unwrap();
    assert!(!bytes.windows(6).any(|w| w == b"CANARY"));
}

proptest! {
    #[test]
    fn arbitrary_files_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("doc.klog");
        std::fs::write(&path, &bytes).unwrap();
        let _ = DocLog::open(&path, LogKind::Shared, &key());
    }

    #[test]
    fn arbitrary_records_after_a_valid_header_never_panic(
        tail in proptest::collection::vec(any::<u8>(), 0..400),
        lens in proptest::collection::vec(0u32..200, 0..4),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = new_log(dir.path(), &[b"x"]);
        let mut bytes = std::fs::read(&path).unwrap();
        // Well-formed length fields make the decoder go further than random bytes would.
        for len in lens {
            bytes.extend_from_slice(&len.to_le_bytes());
            bytes.extend_from_slice(&(!len).to_le_bytes());
        }
        bytes.extend_from_slice(&tail);
        std::fs::write(&path, &bytes).unwrap();
        if let Ok(open) = DocLog::open(&path, LogKind::Shared, &key()) {
            prop_assert_eq!(open.records.len(), 1);
        }
    }
}
