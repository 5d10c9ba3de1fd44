//! Pairing and syncing two profiles through the real binary, in separate processes,
//! over loopback; QR codes checked against independent tools (zbarimg, qrencode).

mod common;

use std::time::Duration;

use common::*;

#[test]
fn invite_png_decodes_with_zbarimg_and_pairing_syncs_both_ways() {
    let a = Profile::init("Ari");
    let b = Profile::init("Bea");
    let png = a.dir.path().join("invite.png");
    let inviter = a.spawn(&[
        "pair",
        "invite",
        "--qr-png",
        png.to_str().unwrap(),
        "--yes",
        "--timeout",
        "60",
    ]);
    wait_for_file(&png);

    // An independent decoder reads the same invite the terminal shows.
    let z = tool("zbarimg")
        .args(["--raw", "-q"])
        .arg(&png)
        .output()
        .unwrap();
    assert!(z.status.success());
    let decoded = String::from_utf8(z.stdout).unwrap().trim().to_string();
    assert!(decoded.starts_with("KINTSUGI:"), "{decoded}");

    let joined = b.net_ok(&["pair", "join", "--qr-image", png.to_str().unwrap(), "--yes"]);
    let hosted = inviter.wait_output();
    assert!(
        hosted.status.success(),
        "{}",
        String::from_utf8_lossy(&hosted.stderr)
    );
    let hosted = String::from_utf8(hosted.stdout).unwrap();
    assert!(
        hosted.lines().any(|l| l == decoded),
        "the printed invite text matches the QR code"
    );
    assert_eq!(sas_line(&hosted), sas_line(&joined));
    assert!(joined.contains("Paired with Ari") && hosted.contains("Paired with Bea"));

    let status = b.json(&["--network", "direct", "--bind", "127.0.0.1", "status"]);
    assert_eq!(status["paired"], true);
    assert_eq!(status["partner_name"], "Ari");
    assert_eq!(
        status["partner_reachable"], false,
        "Ari's device is not running now"
    );

    // A writes; B pulls with --once while A's `sync` runs.
    a.id(&["boundary", "add", "written on Ari"]);
    a.id(&["diary", "add", "CANARY-PRIVATE-91 only for Ari"]);
    let a_sync = a.spawn(&["sync", "--timeout", "60"]);
    let out = b.net_ok(&["sync", "--once", "--timeout", "30"]);
    assert!(out.contains("In sync"));
    assert!(b.texts().contains(&"written on Ari".to_string()));
    let status = b.json(&["--network", "direct", "--bind", "127.0.0.1", "status"]);
    assert_eq!(status["partner_reachable"], true);
    assert!(status["last_sync"].is_i64());
    drop(a_sync);

    // And back the other way.
    b.id(&["boundary", "add", "written on Bea"]);
    let b_sync = b.spawn(&["sync", "--timeout", "60"]);
    a.net_ok(&["sync", "--once", "--timeout", "30"]);
    assert_eq!(a.texts(), ["written on Ari", "written on Bea"]);
    drop(b_sync);

    // The private diary is nowhere on B: not in its files, not in its exports.
    for (path, bytes) in all_files(&b.path()) {
        assert!(!contains(&bytes, b"CANARY"), "{}", path.display());
    }
    for fmt in ["md", "json", "automerge"] {
        let out = b.run(&["export", "--format", fmt]);
        assert!(!contains(&out.stdout, b"CANARY-PRIVATE"), "{fmt} export");
    }
}

#[test]
fn join_reads_a_qr_image_made_by_qrencode_and_garbage_is_refused() {
    let a = Profile::init("Ari");
    let b = Profile::init("Bea");
    let out_file = a.dir.path().join("out.txt");
    // Host without a PNG; take the text from its output.
    let mut inviter = a.spawn(&["pair", "invite", "--yes", "--timeout", "60"]);
    let stdout = inviter.0.stdout.take().unwrap();
    // Keep draining the inviter's output so it never writes into a closed pipe.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for l in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if l.starts_with("KINTSUGI:") {
                let _ = tx.send(l);
            }
        }
    });
    let text = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the inviter printed no invite");
    std::fs::write(&out_file, &text).unwrap();
    let png = b.dir.path().join("by-qrencode.png");
    let st = tool("qrencode")
        .args(["-o"])
        .arg(&png)
        .arg(&text)
        .status()
        .unwrap();
    assert!(st.success());

    // Garbage first: a clear refusal that changes nothing.
    let junk = b.dir.path().join("junk.png");
    std::fs::write(&junk, b"\x89PNG not really").unwrap();
    assert!(
        b.fails(&[
            "pair",
            "join",
            "--qr-image",
            junk.to_str().unwrap(),
            "--yes"
        ])
        .contains("image")
    );
    assert!(
        b.fails(&["pair", "join", "KINTSUGI:AAAA", "--yes"])
            .contains("damaged")
    );
    assert!(
        b.fails(&["pair", "join", "hello there", "--yes"])
            .contains("not a Kintsugi invite")
    );

    let joined = b.net_ok(&["pair", "join", "--qr-image", png.to_str().unwrap(), "--yes"]);
    assert!(joined.contains("Paired with Ari"));
    let hosted = inviter.wait_output();
    assert!(
        hosted.status.success(),
        "{}",
        String::from_utf8_lossy(&hosted.stderr)
    );
    // Single use is checked in process (tests/pairing.rs), where the host keeps
    // running after the first join.
}

#[test]
fn bundles_and_unpairing_through_the_cli() {
    let (a, b) = paired_profiles();
    a.id(&["boundary", "add", "carried on a stick"]);
    let bundle = a.dir.path().join("to-bea.kbundle");
    a.ok(&["bundle", "export", bundle.to_str().unwrap()]);
    assert!(!contains(
        &std::fs::read(&bundle).unwrap(),
        b"carried on a stick"
    ));
    assert!(
        b.ok(&["bundle", "import", bundle.to_str().unwrap()])
            .contains("Imported")
    );
    assert!(
        b.ok(&["bundle", "import", bundle.to_str().unwrap()])
            .contains("Nothing new")
    );
    assert!(b.texts().contains(&"carried on a stick".to_string()));
    let mut bad = std::fs::read(&bundle).unwrap();
    let n = bad.len();
    bad[n / 2] ^= 0xff;
    std::fs::write(&bundle, &bad).unwrap();
    assert!(
        b.fails(&["bundle", "import", bundle.to_str().unwrap()])
            .contains("damaged")
    );

    // Unpair while the partner runs `sync`: it is told, and both keep their archive.
    let b_sync = b.spawn(&["sync", "--timeout", "60"]);
    std::thread::sleep(Duration::from_millis(500));
    let out = a.net_ok(&["unpair", "--yes"]);
    assert!(out.contains("was told"), "{out}");
    let waited = b_sync.wait_output();
    assert!(String::from_utf8_lossy(&waited.stderr).contains("pairing ended"));
    assert_eq!(a.json(&["status"])["paired"], false);
    assert_eq!(b.json(&["status"])["paired"], false);
    assert!(a.texts().contains(&"carried on a stick".to_string()));
    assert!(b.texts().contains(&"carried on a stick".to_string()));
    assert!(
        a.fails(&["bundle", "export", bundle.to_str().unwrap()])
            .contains("not paired")
    );
}
