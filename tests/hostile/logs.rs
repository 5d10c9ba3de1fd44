//! The log reader and journal loading: damaged, edited and garbage logs.

use super::*;

#[test]
fn log_reader_refuses_or_recovers_and_never_writes() {
    let mut rng = Rng::seeded("log");
    let dir = tempfile::tempdir().unwrap();
    let key = Secret32::from_bytes([5; 32]);
    let path = dir.path().join("doc.klog");
    let recs: Vec<Vec<u8>> = (0..3).map(|_| rng.some_bytes(1, 80)).collect();
    DocLog::create(&path, LogKind::Shared, &key, &recs[0]).unwrap();
    let mut log = DocLog::open(&path, LogKind::Shared, &key).unwrap().log;
    for r in &recs[1..] {
        log.append(r).unwrap();
    }
    drop(log);
    let good = std::fs::read(&path).unwrap();
    let (mut refused, mut torn) = (0, 0);
    let open = |bytes: &[u8]| {
        std::fs::write(&path, bytes).unwrap();
        let r = DocLog::open(&path, LogKind::Shared, &key);
        assert_eq!(
            std::fs::read(&path).unwrap(),
            bytes,
            "a read changed the log"
        );
        r
    };
    for case in 0..cases() * 2 {
        // Random files, and a real header followed by random records whose length
        // fields are consistent (so the reader goes past them).
        let junk = rng.some_bytes(0, 500);
        if let Ok(o) = open(&junk) {
            panic!("case {case}: junk opened with {} records", o.records.len());
        }
        let mut forged = good[..32].to_vec();
        for _ in 0..rng.below(4) {
            let n = rng.range(0, 120) as u32;
            forged.extend_from_slice(&n.to_le_bytes());
            forged.extend_from_slice(&(!n).to_le_bytes());
            forged.extend(rng.some_bytes(0, 130));
        }
        match open(&forged) {
            Ok(o) => {
                // Only a torn tail can open: no forged record is ever returned.
                assert!(
                    o.records.is_empty(),
                    "case {case}: a forged record was returned"
                );
            }
            Err(e) => assert!(e.to_string().contains("doc.klog")),
        }
        // A real log with random edits: refused, or (when the edit only cut or
        // extended the end) a torn tail with the untouched records before it.
        let bad = mutate(&mut rng, &good);
        match open(&bad) {
            Err(e) => {
                refused += 1;
                let m = e.to_string();
                assert!(m.contains("doc.klog") && !m.contains('\n'), "{m}");
            }
            Ok(o) => {
                // Only what was written comes back: a prefix of the real records,
                // unchanged (a cut or extended end is set aside as a torn tail; a
                // file cut down to its header holds no record at all).
                torn += 1;
                assert!(o.records.len() <= recs.len());
                for (got, want) in o.records.iter().zip(&recs) {
                    assert_eq!(&got[..], &want[..], "case {case}: changed record returned");
                }
                // Everything before the torn tail (or the whole file, without one)
                // is byte for byte the real log up to a record boundary.
                if !o.records.is_empty() {
                    let kept = o.torn.map(|t| t.offset as usize).unwrap_or(bad.len());
                    assert_eq!(bad[..kept], good[..kept], "case {case}: edit accepted");
                }
            }
        }
    }
    eprintln!(
        "log reader: {} cases; {refused} edited logs refused, {torn} recovered as a torn tail",
        cases() * 2
    );
}

#[test]
fn an_authentic_log_record_holding_garbage_is_a_clear_error_not_a_panic() {
    let mut rng = Rng::seeded("garbage record");
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("base");
    let d = new_device(&base, "Ari");
    d.propose_boundary("kept", None).unwrap();
    d.add_diary_entry("private", None, None).unwrap();
    drop(d);
    let keyring = kintsugi_store::Unlocked::unlock(&base, PASS.as_bytes())
        .unwrap()
        .keyring
        .clone();
    // Real chunks of this profile, decrypted: the material for near-valid garbage.
    let chunks: Vec<Vec<u8>> =
        DocLog::open_in(&base.join("shared.klog"), LogKind::Shared, &keyring)
            .unwrap()
            .records
            .iter()
            .map(|r| r.to_vec())
            .collect();
    let (mut refused, mut opened) = (0, 0);
    for case in 0..cases() / 4 {
        let dir = tmp.path().join(format!("c{case}"));
        copy_dir(&base, &dir);
        let chunk = match rng.below(3) {
            0 => rng.some_bytes(0, 300),
            1 => {
                let i = rng.usize(chunks.len());
                mutate(&mut rng, &chunks[i])
            }
            _ => {
                let mut c = chunks[rng.usize(chunks.len())].clone();
                c.extend(rng.some_bytes(1, 40));
                c
            }
        };
        let (name, kind) = if rng.chance(2) {
            ("shared.klog", LogKind::Shared)
        } else {
            ("diary.klog", LogKind::Diary)
        };
        let mut log = DocLog::open_in(&dir.join(name), kind, &keyring)
            .unwrap()
            .log;
        log.append(&chunk).unwrap();
        drop(log);
        let before = snapshot_files(&dir);
        let r = std::panic::catch_unwind(|| Device::unlock(&dir, PASS.as_bytes(), opts()));
        let r = r.unwrap_or_else(|_| panic!("case {case}: opening panicked"));
        assert!(
            snapshot_files(&dir) == before,
            "case {case}: opening changed a file"
        );
        match r {
            Err(e) => {
                refused += 1;
                let m = e.to_string();
                assert!(!m.contains('\n'), "{m}");
                assert!(
                    m.contains("shared journal") || m.contains("private diary"),
                    "case {case}: unclear: {m}"
                );
            }
            Ok(d) => {
                // Automerge took it (a valid chunk with junk after it, or a chunk it
                // already had): the entries are the same as before.
                opened += 1;
                assert_eq!(d.boundaries().unwrap()[0].text, "kept", "case {case}");
                assert_eq!(d.diary_entries().unwrap()[0].text, "private", "case {case}");
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
    eprintln!(
        "garbage records: {} cases; {refused} refused with a clear error, {opened} opened with the same entries",
        cases() / 4
    );
}

#[test]
fn journal_loading_survives_garbage_and_a_failed_merge_changes_nothing() {
    let mut rng = Rng::seeded("journal");
    use kintsugi_journal::SharedJournal;
    let mut real = SharedJournal::genesis();
    let me = kintsugi_journal::PartnerId::parse("00112233445566778899aabbccddeeff").unwrap();
    let before = real.heads();
    real.propose_boundary(&me, "real entry", None, 1_000)
        .unwrap();
    let change = real.save_after(&before);
    let full = real.save();
    let (mut partial, mut refused) = (0, 0);
    for case in 0..cases() {
        let junk = match rng.below(4) {
            0 => rng.some_bytes(0, 400),
            1 => mutate(&mut rng, &full),
            2 => mutate(&mut rng, &change),
            _ => {
                // A valid chunk, then garbage.
                let mut c = change.clone();
                c.extend(rng.some_bytes(1, 60));
                c
            }
        };
        let _ = SharedJournal::load(&junk);
        let mut doc = SharedJournal::load(&SharedJournal::genesis_bytes()).unwrap();
        let heads = doc.heads();
        match doc.load_incremental(&junk) {
            Err(_) => {
                refused += 1;
                // Nothing half-applied stays behind in memory.
                assert_eq!(
                    doc.heads(),
                    heads,
                    "case {case}: a refused chunk changed the document"
                );
            }
            Ok(_) => {
                if doc.heads() != heads {
                    partial += 1;
                }
                // Whatever was taken, the document still reads.
                let _ = doc.boundaries();
            }
        }
    }
    eprintln!(
        "journal: {} cases; {refused} refused with nothing applied, {partial} applied a valid part",
        cases()
    );
}
