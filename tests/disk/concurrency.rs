//! Several processes on one profile: nothing lost, nothing overwritten, and a running
//! process sees what another one wrote.

use std::time::Duration;

use crate::common::*;
use kintsugi_device::{Device, DocKind, Event, Options};

#[test]
fn two_processes_writing_at_once_lose_nothing() {
    let p = Profile::init("Ari");
    let path = p.path();
    let writer = |tag: &'static str| {
        let path = path.clone();
        std::thread::spawn(move || {
            for i in 0..15 {
                let out = std::process::Command::new(env!("CARGO_BIN_EXE_kintsugi"))
                    .env("KINTSUGI_PROFILE", &path)
                    .env("KINTSUGI_PASSPHRASE", PASS)
                    .args(["boundary", "add", &format!("{tag} {i}")])
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        })
    };
    let (a, b) = (writer("from-a"), writer("from-b"));
    a.join().unwrap();
    b.join().unwrap();
    let list = p.json(&["boundary", "list"]);
    let mut texts: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["text"].as_str().unwrap().to_string())
        .collect();
    texts.sort();
    let mut want: Vec<String> = (0..15)
        .flat_map(|i| [format!("from-a {i}"), format!("from-b {i}")])
        .collect();
    want.sort();
    assert_eq!(texts, want);
}

#[test]
fn a_running_device_follows_another_process_and_its_compaction() {
    let p = Profile::init("Noa");
    let opts = Options::INSECURE_FAST_FOR_TESTS;
    let device = Device::unlock(&p.path(), PASS.as_bytes(), opts).unwrap();
    let mut events = device.subscribe();
    assert!(device.boundaries().unwrap().is_empty());

    p.id(&["boundary", "add", "written by the CLI"]);
    assert!(device.refresh().unwrap());
    assert_eq!(device.boundaries().unwrap()[0].text, "written by the CLI");
    assert_eq!(
        events.try_recv().unwrap(),
        Event::Changed {
            doc: DocKind::Shared,
            local: false
        }
    );

    // The watcher notices on its own.
    let _watch = device.watch(Duration::from_millis(20));
    p.id(&["diary", "add", "seen by the watcher"]);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while device.diary_entries().unwrap().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the watcher never picked it up"
        );
        std::thread::sleep(Duration::from_millis(10));
    }

    // Another handle compacts; this one notices the replaced file and keeps writing.
    let other = Device::unlock(&p.path(), PASS.as_bytes(), opts).unwrap();
    other.propose_boundary("before compaction", None).unwrap();
    other.compact().unwrap();
    device.propose_boundary("after compaction", None).unwrap();
    let fresh = Device::unlock(&p.path(), PASS.as_bytes(), opts).unwrap();
    let texts: Vec<String> = fresh
        .boundaries()
        .unwrap()
        .into_iter()
        .map(|b| b.text)
        .collect();
    assert_eq!(
        texts,
        [
            "written by the CLI",
            "before compaction",
            "after compaction"
        ]
    );
    assert_eq!(fresh.diary_entries().unwrap().len(), 1);
}
