//! The log reader on any file: a real log with the input appended, or the input
//! alone. It never returns a record that is not authentic, never returns fewer than
//! the real records unless it refuses, and never changes the file.
#![no_main]

use std::sync::OnceLock;

use kintsugi_store::{DocLog, LogKind, Secret32};
use libfuzzer_sys::fuzz_target;

fn real_log() -> &'static (Vec<u8>, Vec<Vec<u8>>) {
    static L: OnceLock<(Vec<u8>, Vec<Vec<u8>>)> = OnceLock::new();
    L.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("doc.klog");
        let key = Secret32::from_bytes([5; 32]);
        let recs: Vec<Vec<u8>> = vec![b"one".to_vec(), b"two".to_vec(), b"three".to_vec()];
        DocLog::create(&path, LogKind::Shared, &key, &recs[0]).unwrap();
        let mut log = DocLog::open(&path, LogKind::Shared, &key).unwrap().log;
        for r in &recs[1..] {
            log.append(r).unwrap();
        }
        (std::fs::read(&path).unwrap(), recs)
    })
}

fuzz_target!(|data: &[u8]| {
    let (good, recs) = real_log();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.klog");
    let key = Secret32::from_bytes([5; 32]);
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let bytes: Vec<u8> = match mode % 3 {
        0 => rest.to_vec(),
        1 => [good.as_slice(), rest].concat(),
        _ => {
            // The input XOR-ed over the real log.
            let mut b = good.clone();
            for (i, x) in rest.iter().enumerate() {
                if i < b.len() {
                    b[i] ^= x;
                }
            }
            b
        }
    };
    std::fs::write(&path, &bytes).unwrap();
    let r = DocLog::open(&path, LogKind::Shared, &key);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "a read changed the file"
    );
    if let Ok(o) = r {
        assert!(o.records.len() <= recs.len());
        for (got, want) in o.records.iter().zip(recs) {
            assert_eq!(&got[..], &want[..], "a changed record was returned");
        }
        if mode % 3 == 1 {
            assert_eq!(o.records.len(), recs.len(), "appended bytes hid a record");
        }
        if mode % 3 == 2 && bytes != *good {
            assert!(o.records.is_empty() || o.torn.is_some() || bytes.len() != good.len());
        }
    }
});
