//! Renders the app with a sample journal to `assets/screenshot.png` for the README:
//! `cargo run -p kintsugi-ui --example screenshot` (needs a Vulkan driver; Mesa's
//! software one works).

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use kintsugi_device::{CheckInInput, Device, KdfParams, Options};
use kintsugi_ui::{AppConfig, KintsugiApp};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("profile");
    let d = Device::create(
        &path,
        "Ari",
        b"sample",
        Options {
            kdf: KdfParams::INSECURE_FAST,
        },
    )?;
    let samples = [
        (3, 3, 4),
        (2, 3, 3),
        (3, 4, 4),
        (3, 4, 5),
        (4, 5, 5),
        (3, 5, 6),
        (4, 6, 6),
        (4, 6, 7),
    ];
    for (i, (mood, trust, closeness)) in samples.into_iter().enumerate() {
        d.save_checkin(&CheckInInput {
            week: format!("2026-W{}", 40 + i),
            mood,
            trust,
            closeness,
            went_well: Some("We kept our Sunday walk.".into()),
            hard: None,
            need: None,
            appreciate: None,
        })?;
    }
    d.propose_boundary("No secret messaging", Some("phones"))?;
    d.set_stage(1, true, Some("We talked it through"))?;
    d.lock();

    let mut config = AppConfig::new(path);
    config.kdf = KdfParams::INSECURE_FAST;
    config.network = false;
    let mut h = Harness::builder()
        .with_size(egui::vec2(1100.0, 720.0))
        .build_eframe(move |cc| KintsugiApp::new(&cc.egui_ctx, config));
    h.run_steps(2);
    let field = h.get_by_role_and_label(egui::accesskit::Role::PasswordInput, "Passphrase");
    field.focus();
    field.type_text("sample");
    h.get_by_role_and_label(egui::accesskit::Role::Button, "Unlock")
        .click();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while h.state().page().is_none() {
        if std::time::Instant::now() > deadline {
            return Err("the sample profile did not unlock".into());
        }
        h.step();
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    h.run_steps(3);
    h.get_all_by_label("Check-ins")
        .next()
        .ok_or("no navigation")?
        .click();
    h.run_steps(6);
    let img = h.render()?;
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/screenshot.png");
    img.save(&out)?;
    println!("wrote {}", out.display());
    Ok(())
}
