//! The therapist packet through the real binary on two devices paired over
//! loopback: what it holds once chosen, rendered by headless Chromium to PDF and PNG
//! (installed by `scripts/test-all`), and sealed with a passphrase as an age file.

use std::path::Path;
use std::process::Command;

use chrono::{Duration, Local};

use crate::common::*;

const DIARY_CANARY: &str = "UNPICKED-DIARY-CANARY-5e0b";
const PICKED: &str = "Picked for the session: the walk by the river";
const TRIGGER_WORDS: &str = "TRIGGER-WORDS-NEVER-IN-A-PACKET";
const SEAL: &str = "lantern orchard quietly nineteen velvet";

fn holds(bytes: &[u8], text: &str) -> bool {
    contains(bytes, text.as_bytes())
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Headless Chromium with a throwaway profile; fails the test, never skips it,
/// when Chromium is missing.
fn chromium(dir: &Path, html: &Path, what: &[&str]) {
    let user = tempfile::tempdir().unwrap();
    let mut c: Command = tool("chromium");
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--no-pdf-header-footer",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", user.path().display()))
    .args(what)
    .arg(format!("file://{}", html.display()))
    .current_dir(dir);
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "chromium {what:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_therapist_packet_holds_what_was_chosen_and_renders_in_chromium() {
    let (ari, bea) = paired_profiles();
    let today = Local::now().date_naive();
    let weeks: Vec<String> = [14, 7, 0]
        .iter()
        .map(|d| kintsugi_journal::iso_week_of(today - Duration::days(*d)))
        .collect();

    // Three weeks of check-ins from both, revealed together (the default).
    for (i, week) in weeks.iter().enumerate() {
        let trust = (4 + 2 * i).to_string();
        ari.ok(&[
            "checkin",
            "add",
            "--week",
            week,
            "--mood",
            "3",
            "--trust",
            &trust,
            "--closeness",
            "6",
            "--went-well",
            "We <talked> & listened",
        ]);
        bea.ok(&[
            "checkin",
            "add",
            "--week",
            week,
            "--mood",
            "4",
            "--trust",
            "5",
            "--closeness",
            "7",
        ]);
    }
    // A promise Bea confirms, a boundary with an amendment, a letter.
    let due = today.to_string();
    let promise = ari.id(&[
        "promise",
        "add",
        "Call when I am running late",
        "--due",
        &due,
    ]);
    let boundary = ari.id(&["boundary", "add", "No phones at dinner"]);
    let draft = ari.id(&[
        "letter",
        "draft",
        "--title",
        "What I understand now",
        "--body",
        "I see how the silence hurt you.",
    ]);
    let letter = ari.id(&["letter", "send", &draft]);
    // Moments in two weeks on each side; Bea shares her weekly numbers.
    for (p, strength) in [(&ari, "6"), (&bea, "8")] {
        let week_ago = (today - Duration::days(7)).to_string();
        p.ok(&[
            "trigger",
            "add",
            TRIGGER_WORDS,
            "--strength",
            strength,
            "--at",
            &week_ago,
        ]);
        p.ok(&["trigger", "add", TRIGGER_WORDS, "--strength", strength]);
    }
    bea.ok(&["trigger", "share-trend"]);
    exchange(&ari, &bea);
    exchange(&ari, &bea);
    bea.ok(&["promise", "kept", &promise]);
    bea.ok(&["boundary", "agree", &boundary]);
    exchange(&ari, &bea);
    ari.ok(&["boundary", "edit", &boundary, "No phones at the table"]);

    ari.ok(&["diary", "add", DIARY_CANARY]);
    let picked = ari.id(&["diary", "add", PICKED, "--mood", "3"]);
    let bea_diary = bea.id(&["diary", "add", "Bea's own diary"]);

    let dir = tempfile::tempdir().unwrap();
    let html_path = dir.path().join("packet.html");
    let out = html_path.to_str().unwrap();
    let from = (today - Duration::days(20)).to_string();
    let to = today.to_string();
    let all = [
        "packet",
        "--from",
        &from,
        "--to",
        &to,
        "--checkins",
        "--promises",
        "--boundaries",
        "--triggers",
        "--letter",
        &letter,
        "--diary",
        &picked,
        "--out",
        out,
    ];

    // Nothing chosen, a backwards range, someone else's diary: refused, nothing written.
    let err = ari.fails(&["packet", "--from", &from, "--out", out]);
    assert!(err.contains("choose at least one"), "{err}");
    let err = ari.fails(&[
        "packet",
        "--from",
        &to,
        "--to",
        &from,
        "--checkins",
        "--out",
        out,
    ]);
    assert!(err.contains("end earlier"), "{err}");
    ari.fails(&[
        "packet", "--from", &from, "--diary", &bea_diary, "--out", out,
    ]);
    assert!(!html_path.exists());

    let said = stderr_of(&ari, &all);
    assert!(said.contains("1 entry of your private diary"), "{said}");
    assert!(said.contains("readable only by you"), "{said}");
    #[cfg(unix)]
    assert_eq!(mode(&html_path), 0o600);
    let err = ari.fails(&all);
    assert!(
        err.contains("exists"),
        "an existing packet is not replaced: {err}"
    );

    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(
        !html.contains(DIARY_CANARY),
        "an unpicked diary entry is in the packet"
    );
    assert!(
        !html.contains(TRIGGER_WORDS),
        "a moment's words are in the packet"
    );
    assert!(html.contains(PICKED));
    assert!(
        html.contains("We &lt;talked&gt; &amp; listened"),
        "not escaped"
    );
    assert!(!html.to_ascii_lowercase().contains("<script"));
    assert!(
        !html.contains("src=") && !html.contains("href="),
        "it loads nothing"
    );
    assert!(html.contains("@media print"));
    // Three check-in plots and two trigger plots, each with a line per person.
    assert_eq!(html.matches("<svg").count(), 5, "{html}");
    assert_eq!(html.matches("<polyline").count(), 10, "{html}");
    for w in &weeks {
        assert!(html.contains(w.as_str()), "week {w} missing");
    }

    // Chromium renders it: the text is there in the PDF, the plots in the picture.
    let pdf = dir.path().join("packet.pdf");
    chromium(
        dir.path(),
        &html_path,
        &[&format!("--print-to-pdf={}", pdf.display())],
    );
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF"));
    let text = tool("pdftotext")
        .args(["-layout", pdf.to_str().unwrap(), "-"])
        .output()
        .unwrap();
    assert!(text.status.success());
    let text = String::from_utf8_lossy(&text.stdout);
    for want in [
        "A packet for therapy",
        "Weekly check-ins",
        "Trust each week",
        "Promises and how they were kept",
        "Call when I am running late",
        "kept (confirmed by Bea",
        "Boundaries and amendments",
        "No phones at dinner",
        "No phones at the table",
        "What I understand now",
        "I see how the silence hurt you.",
        "Trigger trend",
        "Moments logged each week",
        "From my private diary",
        PICKED,
        &weeks[2],
    ] {
        assert!(text.contains(want), "{want:?} is not in the PDF:\n{text}");
    }
    assert!(!text.contains(DIARY_CANARY));

    let png = dir.path().join("packet.png");
    chromium(
        dir.path(),
        &html_path,
        &[
            &format!("--screenshot={}", png.display()),
            "--window-size=1000,2600",
        ],
    );
    let img = image::open(&png).unwrap().to_rgb8();
    let first = *img.get_pixel(0, 0);
    assert!(
        img.pixels().any(|p| *p != first),
        "the screenshot is one colour"
    );
    // The plots' lines are drawn: pixels of each person's line colour.
    let near = |p: &image::Rgb<u8>, c: [u8; 3]| p.0.iter().zip(c).all(|(a, b)| a.abs_diff(b) < 24);
    for colour in [[0xb8, 0x86, 0x0b], [0x2f, 0x5d, 0x8a]] {
        let n = img.pixels().filter(|p| near(p, colour)).count();
        assert!(
            n > 200,
            "few pixels of {colour:?} ({n}): no plot lines drawn"
        );
    }

    // Sealed: an age file that opens with the passphrase alone.
    let sealed_out = dir.path().join("sealed.html");
    let run = ari
        .cmd()
        .env("KINTSUGI_PACKET_PASSPHRASE", SEAL)
        .args(&all[..all.len() - 1])
        .arg(sealed_out.to_str().unwrap())
        .arg("--seal")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{said}");
    assert!(said.contains("age -d"), "{said}");
    let sealed_path = dir.path().join("sealed.html.age");
    assert_eq!(
        String::from_utf8_lossy(&run.stdout).trim(),
        sealed_path.display().to_string()
    );
    assert!(
        !sealed_out.exists(),
        "no plaintext beside the sealed packet"
    );
    #[cfg(unix)]
    assert_eq!(mode(&sealed_path), 0o600);
    let sealed = std::fs::read(&sealed_path).unwrap();
    assert!(sealed.starts_with(b"age-encryption.org/v1\n-> scrypt "));
    for plain in [PICKED, "<svg", "Call when I am running late", "packet"] {
        assert!(
            !holds(&sealed, plain),
            "{plain:?} readable in the sealed packet"
        );
    }
    let identity = age::scrypt::Identity::new(age::secrecy::SecretString::from(SEAL.to_owned()));
    let opened = age::decrypt(&identity, &sealed).unwrap();
    assert!(holds(&opened, PICKED) && holds(&opened, "<polyline"));
    assert!(!holds(&opened, DIARY_CANARY));
    let wrong = age::scrypt::Identity::new(age::secrecy::SecretString::from(
        "not the passphrase".to_owned(),
    ));
    assert!(age::decrypt(&wrong, &sealed).is_err());

    // A weak passphrase is refused before anything is written.
    let weak = ari
        .cmd()
        .env("KINTSUGI_PACKET_PASSPHRASE", "1234")
        .args(["packet", "--from", &from, "--checkins", "--seal", "--out"])
        .arg(dir.path().join("weak.html"))
        .output()
        .unwrap();
    assert!(!weak.status.success());
    assert!(!dir.path().join("weak.html.age").exists());
}
