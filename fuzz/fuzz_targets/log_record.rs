//! An authentic log record (sealed with the right profile key) holding arbitrary
//! bytes where an Automerge chunk belongs — what a bug, or someone holding the key,
//! could write. Opening the profile must give a clear error or the same entries.
#![no_main]

#[path = "common.rs"]
mod common;

use std::sync::OnceLock;

use kintsugi_device::Device;
use kintsugi_store::{DocLog, LogKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    static P: OnceLock<common::Profile> = OnceLock::new();
    let p = P.get_or_init(common::profile);
    let Some((&which, chunk)) = data.split_first() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("p");
    common::copy_dir(&p.dir, &dir);
    let (name, kind) = if which % 2 == 0 {
        ("shared.klog", LogKind::Shared)
    } else {
        ("diary.klog", LogKind::Diary)
    };
    let mut log = DocLog::open_in(&dir.join(name), kind, &p.keyring)
        .unwrap()
        .log;
    log.append(chunk).unwrap();
    drop(log);
    match Device::unlock(&dir, common::PASS, common::opts()) {
        Err(e) => assert!(!e.to_string().contains('\n')),
        Ok(d) => {
            assert!(d.boundaries().unwrap().iter().any(|b| b.text == "kept"));
            let _ = common::shared_view(&d);
            let _ = d.diary_entries().unwrap();
        }
    }
});
