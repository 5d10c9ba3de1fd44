//! Benchmark: how long one frame of each list page takes while it scrolls, with 10,000
//! entries of every kind beside the same pages holding 10 (the baseline). Prints the
//! figures; asserts nothing.
//!
//! `cargo run --release -p kintsugi-ui --example list_frames [-- ENTRIES]`
//!
//! It drives the real app through egui_kittest (layout, input and the app's own work
//! each frame; not the GPU's drawing, which does not grow with the list).

use std::time::{Duration, Instant};

use common::Result;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use kintsugi_device::LetterKind;
use kintsugi_ui::KintsugiApp;

mod common;

const PAGES: [(&str, &str); 4] = [
    ("Boundaries", "Boundary number"),
    ("Letters", "Letter number"),
    ("Promises", "Promise number"),
    ("Private diary", "Diary entry number"),
];
const FRAMES: usize = 240;

fn main() -> Result<()> {
    let big: usize = match std::env::args().nth(1) {
        Some(n) => n.parse()?,
        None => 10_000,
    };
    println!("list_frames: one frame of each list page while scrolling ({FRAMES} frames)");
    let small = measure(10)?;
    let large = measure(big)?;
    println!("\n| page | 10 entries p50 / p95 / max | {big} entries p50 / p95 / max | p95 ratio |");
    println!("|---|---|---|---|");
    for ((page, a), (_, b)) in small.iter().zip(&large) {
        println!(
            "| {page} | {} | {} | {:.2}× |",
            fmt(a),
            fmt(b),
            b[1].as_secs_f64() / a[1].as_secs_f64().max(1e-9)
        );
    }
    println!("\nA frame at 60 Hz has 16.7 ms.");
    Ok(())
}

fn fmt(p: &[Duration; 3]) -> String {
    format!(
        "{:.2} / {:.2} / {:.2} ms",
        p[0].as_secs_f64() * 1e3,
        p[1].as_secs_f64() * 1e3,
        p[2].as_secs_f64() * 1e3
    )
}

/// p50, p95 and max frame time of one page.
type Figures = (&'static str, [Duration; 3]);

/// p50, p95 and max frame time per page, with `n` entries of every kind.
fn measure(n: usize) -> Result<Vec<Figures>> {
    let dir = tempfile::tempdir()?;
    let (path, d) = common::sample_profile(dir.path())?;
    let t = Instant::now();
    for i in 0..n {
        d.propose_boundary(
            &format!("Boundary number {i}: no secrets about money"),
            None,
        )?;
        d.add_diary_entry(
            &format!("Diary entry number {i}: a quieter day"),
            None,
            None,
        )?;
        d.add_promise(&format!("Promise number {i}: call at lunch"), "2030-01-01")?;
        let draft = d.draft_letter(
            LetterKind::Hope,
            &format!("Letter number {i}"),
            "Dear you,\nthank you for today.",
        )?;
        d.send_letter(&draft)?;
    }
    eprintln!("{n} entries of each kind written in {:.1?}", t.elapsed());
    d.lock();

    let mut h = common::unlocked_app(path, common::SAMPLE_PASSPHRASE, egui::vec2(1100.0, 800.0))?;

    let mut out = Vec::new();
    for (page, row_text) in PAGES {
        h.get_all_by_label(page)
            .next()
            .ok_or("no such page")?
            .click();
        h.run_steps(5);
        let first_row = |h: &Harness<'_, KintsugiApp>| {
            h.query_all_by_label_contains(row_text)
                .next()
                .and_then(|n| n.accesskit_node().label().or_else(|| n.value()))
                .unwrap_or_default()
        };
        let row = h
            .query_all_by_label_contains(row_text)
            .next()
            .ok_or("no rows shown")?
            .rect();
        let top = first_row(&h);
        h.hover_at(row.center());
        let mut times = Vec::with_capacity(FRAMES);
        for f in 0..FRAMES {
            // Down for the first half, back up for the second.
            let dy = if f < FRAMES / 2 { -40.0 } else { 40.0 };
            h.event(egui::Event::MouseWheel {
                unit: egui::MouseWheelUnit::Point,
                delta: egui::vec2(0.0, dy),
                phase: egui::TouchPhase::Move,
                source: egui::MouseWheelSource::Wheel,
                modifiers: egui::Modifiers::NONE,
            });
            let t = Instant::now();
            h.step();
            times.push(t.elapsed());
            if f == FRAMES / 2 - 1 {
                // Proof that the list really moved, so the figures are of scrolling.
                eprintln!("{page}: top row {top:?}, scrolled to {:?}", first_row(&h));
            }
        }
        times.sort();
        let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
        out.push((page, [at(0.5), at(0.95), at(1.0)]));
    }
    Ok(out)
}
