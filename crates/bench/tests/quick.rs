//! CI keeps the benchmark program working: a `--quick` run must finish and report
//! every figure with a finite value. Nothing here is about speed.

use std::process::Command;

const FIGURES: [&str; 14] = [
    "glass_to_glass",
    "live_sync",
    "other_process_write",
    "frame_during_catch_up",
    "diary_entries_10k",
    "catch_up_10k",
    "wire_bytes_10k",
    "one_entry_bytes",
    "open_10k",
    "write",
    "list_10k",
    "rss_10k",
    "storage_10k",
    "unlock_argon2",
];

#[test]
fn quick_run_reports_every_figure() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("bench.json");
    let out = Command::new(env!("CARGO_BIN_EXE_kintsugi-bench"))
        .arg("--quick")
        .arg("--json")
        .arg(&json)
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "kintsugi-bench --quick failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("| figure"), "no table printed:\n{stdout}");

    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert!(
        report["machine"].as_str().is_some_and(|m| !m.is_empty()),
        "no machine description"
    );
    let figures = report["figures"].as_array().unwrap();
    for name in FIGURES {
        let entries: Vec<_> = figures.iter().filter(|f| f["name"] == name).collect();
        assert!(!entries.is_empty(), "{name} is missing from {report:#}");
        for f in entries {
            let value = f["value"].as_f64().unwrap_or(f64::NAN);
            assert!(value.is_finite() && value >= 0.0, "{name}: {f}");
            for key in ["unit", "baseline", "ratio", "target", "met"] {
                assert!(f.get(key).is_some(), "{name} has no {key}: {f}");
            }
        }
    }
    // Several values, one entry each.
    let count = |name: &str| figures.iter().filter(|f| f["name"] == name).count();
    assert_eq!(
        count("live_sync"),
        5,
        "p50, p99, the p50 growth, and p50 and p99 to the farthest of three peers"
    );
    assert_eq!(
        count("catch_up_10k"),
        2,
        "an empty partner, a newly linked device"
    );
    let variant = |name: &str, v: &str| {
        figures
            .iter()
            .any(|f| f["name"] == name && f["variant"].as_str().is_some_and(|s| s.contains(v)))
    };
    assert!(variant("live_sync", "farthest of 3 peers"), "{report:#}");
    assert!(variant("catch_up_10k", "linked device"), "{report:#}");
    assert_eq!(count("glass_to_glass"), 2, "p50 and p99");
    assert_eq!(count("frame_during_catch_up"), 3, "p50, p99 and max");
    assert_eq!(count("one_entry_bytes"), 3, "three history sizes");
}
