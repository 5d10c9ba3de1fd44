//! Renders the app with a sample journal to `assets/screenshot.png` for the README:
//! `cargo run -p kintsugi-ui --example screenshot` (needs a Vulkan driver; Mesa's
//! software one works).

use egui_kittest::kittest::Queryable;
use kintsugi_device::CheckInInput;

mod common;

fn main() -> common::Result<()> {
    let dir = tempfile::tempdir()?;
    let (path, d) = common::sample_profile(dir.path())?;
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

    let mut h = common::unlocked_app(path, common::SAMPLE_PASSPHRASE, egui::vec2(1100.0, 720.0))?;
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
