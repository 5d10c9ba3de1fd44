//! `kintsugi device list`: after a real pairing over loopback, each device publishes
//! its person's key tied to its own endpoint id, and once synced both devices list
//! both first devices as signed.

use crate::common::*;

fn devices(p: &Profile) -> Vec<serde_json::Value> {
    let listed = p.json(&["device", "list"]);
    assert_eq!(listed["refused"], serde_json::json!([]), "{listed}");
    listed["devices"].as_array().unwrap().clone()
}

#[test]
fn paired_devices_list_each_other_signed_once_synced() {
    let (a, b) = paired_profiles();
    // `status` names the partner's device by the start of its endpoint id.
    let short = |p: &Profile| {
        p.json(&["status"])["partner_endpoint"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (ari, bea) = (short(&b), short(&a));
    let is =
        |d: &serde_json::Value, start: &str| d["endpoint"].as_str().unwrap().starts_with(start);

    // Before a sync: Ari's own record is signed; Bea's first device is the one
    // checked at pairing, and says so.
    let before = devices(&a);
    assert_eq!(before.len(), 2, "{before:?}");
    assert!(is(&before[0], &ari), "{before:?}");
    assert_eq!(before[0]["this_device"], true);
    assert_eq!(before[0]["signed"], true);
    assert!(is(&before[1], &bea), "{before:?}");
    assert_eq!(before[1]["signed"], false);
    let text = a.ok(&["device", "list"]);
    assert!(text.contains("signed record has not arrived yet"), "{text}");

    exchange(&a, &b);
    for (p, mine, theirs, partner) in [(&a, &ari, &bea, "Bea"), (&b, &bea, &ari, "Ari")] {
        let listed = devices(p);
        assert_eq!(listed.len(), 2, "{listed:?}");
        assert!(is(&listed[0], mine) && is(&listed[1], theirs), "{listed:?}");
        for d in &listed {
            assert_eq!(d["signed"], true, "{d}");
            assert_eq!(d["revoked"], false, "{d}");
            assert_eq!(d["label"], "first device", "{d}");
        }
        let text = p.ok(&["device", "list"]);
        assert!(text.contains("first device (this device)"), "{text}");
        assert!(
            text.contains(&format!("first device ({partner}'s), last synced")),
            "{text}"
        );
    }
}

/// `device link` on a device already mine, `device join` on a new one, typing the
/// codes as a person does; `join` makes the profile when there is none.
fn link(existing: &Profile, new: &Profile, label: &str) {
    let png = existing.dir.path().join(format!("link-{label}.png"));
    let png_arg = png.to_str().unwrap();
    let on = |p: &Profile, args: &[&str]| {
        let mut c = p.cmd();
        c.args(NET).args(args);
        c
    };
    let (shown, joined) = pair_typing_codes(
        on(
            existing,
            &["device", "link", "--qr-png", png_arg, "--timeout", "60"],
        ),
        on(
            new,
            &["device", "join", "--qr-image", png_arg, "--label", label],
        ),
        || wait_for_file(&png),
    );
    for out in [&shown, &joined] {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let shown = String::from_utf8_lossy(&shown.stdout).into_owned();
    assert!(
        shown.contains(&format!("Added your device \"{label}\"")),
        "{shown}"
    );
    let joined = String::from_utf8_lossy(&joined.stdout).into_owned();
    assert!(joined.contains("This is now one of"), "{joined}");
}

/// A live `kintsugi sync` on a profile, for as long as the value lives.
fn live(p: &Profile) -> Child {
    p.spawn(&["sync", "--timeout", "300"])
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: not within 90 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
}

fn endpoint(p: &Profile) -> String {
    devices(p)
        .into_iter()
        .find(|d| d["this_device"] == true)
        .unwrap()["endpoint"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Two people, two devices each, all four real processes on loopback with live sync
/// running on every one: what any device writes reaches the other three (directly,
/// or by way of another device), and once Ari removes her second device the other
/// three refuse it and still sync among themselves.
#[test]
fn four_devices_sync_live_and_a_removed_one_is_refused() {
    let (a1, b1) = paired_profiles();
    exchange(&a1, &b1);
    let (a2, b2) = (Profile::new(), Profile::new());
    link(&a1, &a2, "laptop");
    link(&b1, &b2, "phone");
    // The new device is Ari's: same person, its own device id.
    assert_eq!(a2.json(&["status"])["name"], serde_json::Value::Null);
    assert_ne!(endpoint(&a1), endpoint(&a2));

    let running: Vec<Child> = [&a1, &a2, &b1, &b2].into_iter().map(live).collect();
    for (p, text) in [
        (&a1, "from A1"),
        (&a2, "from A2"),
        (&b1, "from B1"),
        (&b2, "from B2"),
    ] {
        p.ok(&["boundary", "add", text]);
    }
    // A diary line on Ari's second device: it goes to her first, never to Bea's.
    const CANARY: &str = "diary canary 7f3q only for Ari's devices";
    a2.ok(&["diary", "add", CANARY]);
    let all = ["from A1", "from A2", "from B1", "from B2"].map(String::from);
    for (name, p) in [("A1", &a1), ("A2", &a2), ("B1", &b1), ("B2", &b2)] {
        wait_until(&format!("{name} holds all four"), || p.texts() == all);
    }
    let diary = |p: &Profile| p.json(&["diary", "list"]).to_string();
    wait_until("A1 holds A2's diary line", || diary(&a1).contains(CANARY));
    // Everyone lists four signed devices; Ari's second one under her name.
    for p in [&a1, &a2, &b1, &b2] {
        wait_until("four devices listed", || devices(p).len() == 4);
        assert!(devices(p).iter().all(|d| d["signed"] == true));
    }
    assert_eq!(a2.json(&["status"])["name"], "Ari");
    drop(running);
    // Every file of Bea's two profiles, decrypted (logs, history, sealed files).
    for p in [&b1, &b2] {
        assert!(!diary(p).contains(CANARY));
        assert_eq!(found_in(&p.path(), CANARY), Vec::<String>::new());
    }
    assert!(!found_in(&a1.path(), CANARY).is_empty());

    // A1 removes A2; the news travels with live sync.
    let removed_id = endpoint(&a2);
    let out = a1.run(&["device", "revoke", &removed_id[..10], "--yes"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("keeps everything it already holds"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let running: Vec<Child> = [&a1, &b1, &b2].into_iter().map(live).collect();
    let removed = |p: &Profile| {
        devices(p)
            .iter()
            .any(|d| d["endpoint"] == removed_id.as_str() && d["revoked"] == true)
    };
    wait_until("B1 heard of the removal", || removed(&b1));
    wait_until("B2 heard of the removal", || removed(&b2));

    // The removed device is turned away by every device it can reach.
    let refused = a2.fails(&[
        "--network",
        "direct",
        "--bind",
        "127.0.0.1",
        "sync",
        "--once",
        "--timeout",
        "20",
    ]);
    assert!(
        refused.contains("not paired") || refused.contains("no longer"),
        "{refused}"
    );
    assert!(!a2.texts().contains(&"after the removal".to_owned()));

    // The other three still sync.
    b2.ok(&["boundary", "add", "after the removal"]);
    for p in [&a1, &b1] {
        wait_until("the news after the removal", || {
            p.texts().contains(&"after the removal".to_owned())
        });
    }
    assert!(!a2.texts().contains(&"after the removal".to_owned()));

    // The couple key was replaced: once B2 has the new one (by way of B1 or A1),
    // its bundle opens on A1 and not on the removed device, which holds only the
    // old key. Until then A1 refuses B2's bundle as sealed under the old key.
    let bundle = b2.dir.path().join("after.kbundle");
    let bundle_arg = bundle.to_str().unwrap();
    wait_until("B2's bundle opens on A1", || {
        let _ = std::fs::remove_file(&bundle);
        b2.ok(&["bundle", "export", bundle_arg]);
        a1.run(&["bundle", "import", bundle_arg]).status.success()
    });
    let closed = a2.fails(&["bundle", "import", bundle_arg]);
    assert!(closed.contains("newer couple key"), "{closed}");
    assert!(!a2.texts().contains(&"after the removal".to_owned()));
    drop(running);
}

/// A wrong code typed on either screen ends linking with nothing stored on either
/// device: the existing profile is byte for byte as before, and the folder the join
/// made for the new one is gone.
#[test]
fn linking_with_a_wrong_code_stores_nothing_on_either_side() {
    let (a1, b1) = paired_profiles();
    exchange(&a1, &b1);
    // One start of the network first: whatever it writes (this device's records)
    // is written before the snapshot.
    a1.net_ok(&["device", "list"]);
    let before = snapshot_files(&a1.path());
    let new = Profile::new();
    let png = a1.dir.path().join("link.png");
    let png_arg = png.to_str().unwrap();
    let on = |p: &Profile, args: &[&str]| {
        let mut c = p.cmd();
        c.args(NET).args(args);
        c
    };
    let (shown, joined) = pair_typing_codes_with(
        on(
            &a1,
            &["device", "link", "--qr-png", png_arg, "--timeout", "60"],
        ),
        on(&new, &["device", "join", "--qr-image", png_arg]),
        || wait_for_file(&png),
        |code| {
            // One digit off, as a person in the middle's screen would show.
            let mut d: Vec<char> = code.chars().collect();
            d[0] = if d[0] == '9' { '1' } else { '9' };
            d.into_iter().collect()
        },
    );
    assert!(!shown.status.success() && !joined.status.success());
    let after = snapshot_files(&a1.path());
    let changed: Vec<_> = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(v))
        .map(|(k, _)| k.clone())
        .collect();
    assert!(
        changed.is_empty(),
        "changed on the existing device: {changed:?}"
    );
    assert!(!new.path().exists(), "the join left a profile behind");
    assert_eq!(devices(&a1).len(), 2);
}

/// Each kind of invite is refused where the other is expected, naming the command
/// that takes it, before any network starts.
#[test]
fn a_link_invite_does_not_pair_and_a_pairing_invite_does_not_link() {
    let a = Profile::init("Ari");
    let dir = a.dir.path();
    // A real invite of each kind: made by a device that shows one.
    let (a1, b1) = paired_profiles();
    let png = a1.dir.path().join("link.png");
    let shown = a1.spawn(&[
        "device",
        "link",
        "--qr-png",
        png.to_str().unwrap(),
        "--timeout",
        "60",
    ]);
    wait_for_file(&png);
    let link_text = String::from_utf8(
        tool("zbarimg")
            .args(["--raw", "-q", png.to_str().unwrap()])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(
        link_text.trim().starts_with("KINTSUGI-LINK:"),
        "{link_text}"
    );
    let file = dir.join("link.txt");
    std::fs::write(&file, &link_text).unwrap();
    let e = a.fails(&["pair", "join", "--invite-file", file.to_str().unwrap()]);
    assert!(e.contains("kintsugi device join"), "{e}");
    drop(shown);

    let pair_text = "KINTSUGI:".to_owned() + link_text.trim().trim_start_matches("KINTSUGI-LINK:");
    std::fs::write(&file, &pair_text).unwrap();
    let fresh = Profile::new();
    let e = fresh.fails(&["device", "join", "--invite-file", file.to_str().unwrap()]);
    assert!(e.contains("kintsugi pair join"), "{e}");
    assert!(!fresh.path().exists(), "a refused invite made a profile");
    drop(b1);
}
