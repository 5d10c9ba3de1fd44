//! What the examples share: the real app in a kittest harness, unlocked on a profile
//! they prepared (with the cheap test KDF and the network off).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use kintsugi_device::{Device, KdfParams, Options};
use kintsugi_ui::{AppConfig, KintsugiApp};

pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// Strong enough for the passphrase floor, which applies to examples too.
pub const SAMPLE_PASSPHRASE: &str = "sample journal for the examples";

/// A new profile for Ari in `dir`, with the passphrase [`SAMPLE_PASSPHRASE`].
pub fn sample_profile(dir: &std::path::Path) -> Result<(PathBuf, Device)> {
    let path = dir.join("profile");
    let d = Device::create(
        &path,
        "Ari",
        SAMPLE_PASSPHRASE.as_bytes(),
        Options {
            kdf: KdfParams::INSECURE_FAST,
        },
    )?;
    Ok((path, d))
}

/// Opens the app on `profile` and types `passphrase` into its unlock screen, as a
/// person would; returns once the journal is open.
pub fn unlocked_app(
    profile: PathBuf,
    passphrase: &str,
    size: egui::Vec2,
) -> Result<Harness<'static, KintsugiApp>> {
    let mut config = AppConfig::new(profile);
    config.kdf = KdfParams::INSECURE_FAST;
    config.network = false;
    let mut h = Harness::builder()
        .with_size(size)
        .build_eframe(move |cc| KintsugiApp::new(&cc.egui_ctx, config));
    h.run_steps(2);
    let field = h.get_by_role_and_label(egui::accesskit::Role::PasswordInput, "Passphrase");
    field.focus();
    field.type_text(passphrase);
    h.get_by_role_and_label(egui::accesskit::Role::Button, "Unlock")
        .click();
    let deadline = Instant::now() + Duration::from_secs(120);
    while h.state().page().is_none() {
        if Instant::now() > deadline {
            return Err("the profile did not unlock".into());
        }
        h.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    h.run_steps(3);
    Ok(h)
}
