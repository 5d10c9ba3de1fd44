//! Shared set-up for the fuzz targets: a throwaway profile, paired through the store
//! the way the pairing protocol leaves it, and the checks every target repeats.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use kintsugi_device::{Device, Options};
use kintsugi_store::{Pairing, Secret32, Unlocked};

pub const PASS: &[u8] = b"fuzzing a throwaway profile";
pub const COUPLE: [u8; 32] = [3; 32];

pub fn opts() -> Options {
    Options::INSECURE_FAST_FOR_TESTS
}

pub struct Profile {
    _tmp: tempfile::TempDir,
    pub dir: PathBuf,
    pub device: Device,
    /// The partner's endpoint id, as stored in this profile's keyring.
    pub partner: [u8; 32],
    pub keyring: kintsugi_store::Keyring,
}

/// A profile with one entry in each document, paired with a made-up partner.
pub fn profile() -> Profile {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("p");
    let d = Device::create(&dir, "Fuzz", PASS, opts()).unwrap();
    d.propose_boundary("kept", None).unwrap();
    d.add_diary_entry("private", None, None).unwrap();
    drop(d);
    let partner = *kintsugi_net::SecretKey::from_bytes(&[7; 32])
        .public()
        .as_bytes();
    let mut keys = Unlocked::unlock(&dir, PASS).unwrap();
    keys.set_pairing(Some(Pairing::new(Secret32::from_bytes(COUPLE), partner)))
        .unwrap();
    let keyring = keys.keyring.clone();
    drop(keys);
    let device = Device::unlock(&dir, PASS, opts()).unwrap();
    Profile {
        _tmp: tmp,
        dir,
        device,
        partner,
        keyring,
    }
}

/// Everything the shared journal shows, as text.
pub fn shared_view(d: &Device) -> String {
    format!(
        "{:?}{:?}{:?}{:?}{:?}{:?}{:?}",
        d.partners().unwrap(),
        d.boundaries().unwrap(),
        d.checkins().unwrap(),
        d.letters().unwrap(),
        d.promises().unwrap(),
        d.stages().unwrap(),
        d.shared_entries().unwrap()
    )
}

/// After hostile input: the entry written before is still there, and (every 32nd
/// run, as opening a profile is slow) what the device shows is what a restart shows.
pub fn assert_unharmed(p: &Profile) {
    use std::sync::atomic::{AtomicU64, Ordering};
    static RUNS: AtomicU64 = AtomicU64::new(0);
    assert!(
        p.device
            .boundaries()
            .unwrap()
            .iter()
            .any(|b| b.text == "kept")
    );
    assert_eq!(p.device.diary_entries().unwrap()[0].text, "private");
    if RUNS.fetch_add(1, Ordering::Relaxed).is_multiple_of(32) {
        let live = shared_view(&p.device);
        let fresh = Device::unlock(&p.dir, PASS, opts()).expect("the profile no longer opens");
        assert_eq!(shared_view(&fresh), live, "memory and disk differ");
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}
