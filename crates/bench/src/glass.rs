//! What a person sees: the real app (`KintsugiApp`, driven through egui_kittest)
//! on both sides, with real devices, real iroh endpoints on loopback and real files.
//!
//! Frames run the way eframe runs them for a window nobody touches: only when the
//! app asked for one, at the moment it asked (at once, or after the delay it gave).
//! Kittest does the layout, input and accessibility work of a frame but not the
//! GPU's drawing, which does not depend on what the app holds.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use kintsugi_device::{BoundaryStatus, KdfParams};
use kintsugi_ui::{AppConfig, KintsugiApp, Page};

use crate::side::{PASSPHRASE, loopback, loopback_at};
use crate::stats::ms;

/// One app window and the frames it asked for.
pub struct Window {
    pub h: Harness<'static, KintsugiApp>,
    /// The earliest moment the app asked to be drawn again, if it did.
    asked: Arc<Mutex<Option<Instant>>>,
}

fn ask(slot: &Mutex<Option<Instant>>, delay: Duration) {
    // `Duration::MAX` is egui's "no repaint wanted".
    let Some(at) = Instant::now().checked_add(delay) else {
        return;
    };
    if let Ok(mut g) = slot.lock() {
        *g = Some(g.map_or(at, |x| x.min(at)));
    }
}

impl Window {
    /// The app on an existing profile, locked: it starts on the unlock screen. Its
    /// network binds `port` if given (where the partner remembers it).
    pub fn open(profile: &Path, port: Option<u16>) -> Self {
        let mut config = AppConfig::new(profile.to_path_buf());
        config.kdf = KdfParams::INSECURE_FAST;
        config.net = port.map_or_else(loopback, loopback_at);
        config.network = true;
        let h = Harness::builder()
            .with_size(egui::vec2(1100.0, 800.0))
            .build_eframe(move |cc| KintsugiApp::new(&cc.egui_ctx, config));
        let asked = Arc::new(Mutex::new(Some(Instant::now())));
        let slot = asked.clone();
        // How eframe hears of a `request_repaint` from another thread (the app's
        // runtime wakes the window this way when the device reports a change).
        h.ctx
            .set_request_repaint_callback(move |info| ask(&slot, info.delay));
        Self { h, asked }
    }

    fn due(&self) -> Option<Instant> {
        self.asked.lock().ok().and_then(|g| *g)
    }

    /// Runs one frame now; returns how long it took.
    pub fn frame(&mut self) -> Duration {
        if let Ok(mut g) = self.asked.lock() {
            *g = None;
        }
        let t = Instant::now();
        self.h.step();
        let took = t.elapsed();
        // What the frame itself asked for (egui also runs one more frame after input).
        if let Some(v) = self.h.output().viewport_output.get(&egui::ViewportId::ROOT) {
            ask(&self.asked, v.repaint_delay);
        }
        took
    }

    /// Runs a frame if the app asked for one by now.
    pub fn frame_if_due(&mut self) -> Option<Duration> {
        match self.due() {
            Some(at) if at <= Instant::now() => Some(self.frame()),
            _ => None,
        }
    }

    /// Runs frames (continuously: setting up is not measured) until `cond` holds.
    pub fn wait(
        &mut self,
        what: &str,
        timeout: Duration,
        cond: impl Fn(&Self) -> bool,
    ) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            self.frame();
            if cond(self) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("timed out waiting for {what}");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn shows(&self, label: &str) -> bool {
        self.h.query_by_label(label).is_some()
    }

    fn click(&mut self, label: &str) -> Result<()> {
        self.wait(label, Duration::from_secs(30), |w| {
            w.h.query_by_role_and_label(Role::Button, label).is_some()
        })?;
        self.h.get_by_role_and_label(Role::Button, label).click();
        Ok(())
    }

    fn type_into(&mut self, label: &str, text: &str) -> Result<()> {
        let node = [
            Role::TextInput,
            Role::PasswordInput,
            Role::MultilineTextInput,
        ]
        .into_iter()
        .find_map(|r| self.h.query_by_role_and_label(r, label))
        .with_context(|| format!("no input labelled {label:?}"))?;
        node.focus();
        node.type_text(text);
        self.frame();
        self.frame();
        Ok(())
    }

    /// Unlocks through the start screen, as a person would, and waits for the
    /// network.
    pub fn unlock(&mut self) -> Result<()> {
        self.wait("the unlock screen", Duration::from_secs(30), |w| {
            w.h.query_by_role_and_label(Role::Button, "Unlock")
                .is_some()
        })?;
        let pass = std::str::from_utf8(PASSPHRASE)?;
        self.type_into("Passphrase", pass)?;
        self.click("Unlock")?;
        self.wait("the profile to open", Duration::from_secs(120), |w| {
            w.h.state().page() == Some(Page::Home)
        })
    }

    pub fn wait_network(&mut self) -> Result<()> {
        self.wait("the network", Duration::from_secs(60), |w| {
            w.h.state().network_ready()
        })
    }

    pub fn nav(&mut self, label: &str) -> Result<()> {
        let node = self
            .h
            .get_all_by_label(label)
            .next()
            .with_context(|| format!("no {label:?} in the navigation"))?;
        node.click();
        for _ in 0..3 {
            self.frame();
        }
        Ok(())
    }

    /// Proposed boundaries, as the device holds them (not timed).
    fn proposed(&self) -> Result<usize> {
        let d = self.h.state().device().context("the window is locked")?;
        Ok(d.boundaries()?
            .iter()
            .filter(|b| b.status == BoundaryStatus::Proposed)
            .count())
    }

    /// The label of the Boundaries page's "Proposed" section with `n` entries.
    fn proposed_label(n: usize) -> String {
        format!("Proposed ({n})")
    }
}

/// Runs the frames both windows ask for until they have asked for nothing at once
/// for `quiet`, so that nothing pending can draw the next change by chance.
fn settle(windows: &mut [&mut Window], quiet: Duration) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut since = Instant::now();
    while since.elapsed() < quiet && Instant::now() < deadline {
        let mut ran = false;
        for w in windows.iter_mut() {
            ran |= w.frame_if_due().is_some();
        }
        if ran {
            since = Instant::now();
        } else {
            std::thread::sleep(Duration::from_micros(200));
        }
    }
}

/// One glass-to-glass sample each: from the Propose click on A to the end of the
/// first frame of B that shows the new entry (the count in the Boundaries page's
/// "Proposed" header: a new entry may land anywhere in the list, outside the rows
/// in view). Both windows are on their Boundaries page; B is not touched.
pub fn glass_to_glass(
    a: &mut Window,
    b: &mut Window,
    writes: usize,
    tag: &str,
) -> Result<Vec<f64>> {
    a.nav("Boundaries")?;
    b.nav("Boundaries")?;
    let mut out = Vec::with_capacity(writes);
    for i in 0..writes {
        let n = b.proposed()?;
        a.type_into(
            "New boundary",
            &format!("{tag} write {i}: seen through the glass"),
        )?;
        settle(&mut [&mut *a, &mut *b], Duration::from_millis(60));
        let want = Window::proposed_label(n + 1);
        if b.shows(&want) {
            bail!("B showed the entry before it was written");
        }
        a.h.get_by_role_and_label(Role::Button, "Propose").click();
        let t0 = Instant::now();
        // The click is handled in A's next frame (the write then runs on A's runtime).
        a.frame();
        let deadline = t0 + Duration::from_secs(60);
        let trace = std::env::var_os("KINTSUGI_BENCH_TRACE").is_some();
        let mut log = Vec::new();
        let seen = loop {
            let mut ran = false;
            if let Some(took) = b.frame_if_due() {
                let end = Instant::now();
                ran = true;
                if trace {
                    log.push(format!("B {:.2}+{:.2}", ms(end - t0 - took), ms(took)));
                }
                if b.shows(&want) {
                    break end;
                }
            }
            if let Some(took) = a.frame_if_due() {
                ran = true;
                if trace {
                    log.push(format!(
                        "A {:.2}+{:.2}",
                        ms(Instant::now() - t0 - took),
                        ms(took)
                    ));
                }
            }
            if Instant::now() > deadline {
                let shown: Vec<String> =
                    b.h.query_all_by_label_contains("Proposed (")
                        .filter_map(|n| n.accesskit_node().label())
                        .collect();
                bail!(
                    "write {i} never showed in B's window: it shows {shown:?}, wanted {want:?}; A's device has {} proposed, B's {}",
                    a.proposed()?,
                    b.proposed()?
                );
            }
            if !ran {
                std::thread::sleep(Duration::from_micros(100));
            }
        };
        if trace {
            eprintln!("write {i}: {:.2} ms: {}", ms(seen - t0), log.join(", "));
        }
        out.push(ms(seen - t0));
    }
    Ok(out)
}

/// B's frame times while a catch-up of `total` proposed boundaries arrives and is
/// stored: from the unlock (the app starts syncing as soon as its network is up)
/// until B's Boundaries page shows them all. Frames run when the app asks, and at
/// least every 16.7 ms, as if the person moved the mouse all along: a frame that
/// waited on the device or the disk would show here.
pub struct CatchUpFrames {
    pub frames_ms: Vec<f64>,
    pub took_ms: f64,
}

pub fn frame_during_catch_up(b: &mut Window, total: usize) -> Result<CatchUpFrames> {
    b.unlock()?;
    let t0 = Instant::now();
    b.nav("Boundaries")?;
    let want = Window::proposed_label(total);
    let mut frames = Vec::new();
    let mut last = Instant::now();
    let deadline = t0 + Duration::from_secs(600);
    loop {
        let vsync = last + Duration::from_micros(16_667);
        let took = match b.frame_if_due() {
            Some(t) => Some(t),
            None if Instant::now() >= vsync => Some(b.frame()),
            None => None,
        };
        match took {
            Some(t) => {
                last = Instant::now();
                frames.push(ms(t));
                if b.shows(&want) {
                    break;
                }
            }
            None => std::thread::sleep(Duration::from_micros(200)),
        }
        if Instant::now() > deadline {
            bail!("the catch-up never showed in the window");
        }
    }
    Ok(CatchUpFrames {
        frames_ms: frames,
        took_ms: ms(t0.elapsed()),
    })
}
