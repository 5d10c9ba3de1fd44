//! The therapist packet page, driven as a person drives it: choose what to bring,
//! pick one diary entry, save; then again, locked with a passphrase.

mod common;

use common::*;
use kintsugi_device::CheckInInput;

const CANARY: &str = "UNPICKED-IN-THE-APP-9d2";
const PICKED: &str = "the one entry I want to bring";
const SEAL: &str = "lantern orchard quietly nineteen velvet";

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn the_packet_page_writes_what_was_chosen_and_seals_it_when_asked() {
    let (dir, mut a, ad) = one_window();
    let week = kintsugi_device::view::week_of(chrono::Local::now().date_naive());
    ad.save_checkin(&CheckInInput {
        week,
        mood: 4,
        trust: 7,
        closeness: 6,
        went_well: Some("a quiet evening together".into()),
        ..Default::default()
    })
    .unwrap();
    ad.add_diary_entry(CANARY, None, None).unwrap();
    ad.add_diary_entry(PICKED, Some(3), None).unwrap();

    nav(&mut a, "Therapist packet");
    see(&mut a, "Your diary stays out of the packet");
    see(&mut a, CANARY);
    let out = dir.path().join("for-dr-lee.html");
    type_into(&mut a, "Save to", out.to_str().unwrap());
    click_label(&mut a, "Check-in trends");
    click_label(&mut a, PICKED);
    keep_screenshot(&mut a, "screenshot-packet");
    click(&mut a, "Save the packet");
    see(&mut a, "Wrote");
    wait(&mut a, "the packet", || out.exists());
    #[cfg(unix)]
    assert_eq!(mode(&out), 0o600);
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.contains("<svg") && html.contains("<polyline"));
    assert!(html.contains("a quiet evening together"));
    assert!(html.contains(PICKED));
    assert!(
        !html.contains(CANARY),
        "an unticked diary entry is in the packet"
    );

    // Saving again asks before replacing.
    click(&mut a, "Save the packet");
    see(&mut a, "already exists. Replace it with this packet?");
    click(&mut a, "Keep it");
    gone(&mut a, "Replace it with this packet?");

    // Locked with a passphrase: an age file, and no plaintext beside it.
    click_label(&mut a, "Lock it with a passphrase");
    see(&mut a, "standard age format");
    type_into(&mut a, "Packet passphrase", SEAL);
    click(&mut a, "Save the packet");
    see(&mut a, "age -d");
    let sealed = dir.path().join("for-dr-lee.html.age");
    wait(&mut a, "the sealed packet", || sealed.exists());
    #[cfg(unix)]
    assert_eq!(mode(&sealed), 0o600);
    let bytes = std::fs::read(&sealed).unwrap();
    assert!(!bytes.windows(PICKED.len()).any(|w| w == PICKED.as_bytes()));
    let opened = kintsugi_device::open_sealed_packet(&bytes, SEAL).unwrap();
    assert!(opened.windows(PICKED.len()).any(|w| w == PICKED.as_bytes()));
    assert!(kintsugi_device::open_sealed_packet(&bytes, "wrong words here").is_err());
}
