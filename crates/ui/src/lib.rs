//! The Kintsugi desktop app.
//!
//! UI state lives here; domain state lives in `kintsugi_device`. Every page is a
//! small struct implementing `pages::View`, listed once in `pages::registry`; pages
//! draw from `model` (the cache, the network state), which the session keeps up to
//! date, so they never depend on the session. Anything that touches the disk, the
//! network or the device's lock runs on a tokio runtime owned by the app
//! ([`work::Worker`]) and reports back through a channel that the UI drains each
//! frame, so the window never stalls. The device's events wake the window
//! ([`live`]), so a change shows as soon as it is stored, not at the next timer.

#[cfg(feature = "camera")]
mod camera;
mod dialogs;
mod guide;
mod invite;
mod live;
mod model;
mod pages;
mod release;
mod session;
mod start;
mod widgets;
mod work;

use std::path::PathBuf;
use std::time::Duration;

use kintsugi_device::{KdfParams, NetOverrides};

pub use model::Page;

/// How the app is started: by `main` for people, by tests with a temporary
/// profile, loopback networking and cheap passphrase hardening.
#[derive(Debug, Clone)]
pub struct AppConfig {
    pub profile: PathBuf,
    pub net: NetOverrides,
    pub kdf: KdfParams,
    /// Lock after this long without input.
    pub auto_lock: Duration,
    /// Start the network after unlocking (tests that need no network turn it off).
    pub network: bool,
    /// Close the window after this long (the real-window smoke test).
    pub exit_after: Option<Duration>,
    /// Check for reminders while unlocked (when the profile turned them on). Tests
    /// turn it off so that they never reach the desktop they run on.
    pub reminders: bool,
}

impl AppConfig {
    pub fn new(profile: PathBuf) -> Self {
        Self {
            profile,
            net: NetOverrides::default(),
            kdf: KdfParams::STRONG,
            auto_lock: Duration::from_secs(10 * 60),
            network: true,
            exit_after: None,
            reminders: true,
        }
    }
}

/// The whole app: either the start screens (create or unlock) or an unlocked session.
pub struct KintsugiApp {
    config: AppConfig,
    started: std::time::Instant,
    worker: work::Worker,
    screen: Screen,
    guide: guide::Guide,
    /// The last session's end (network stopping, device locking), still running.
    closing: Option<tokio::task::JoinHandle<()>>,
}

enum Screen {
    Start(Box<start::StartScreen>),
    Unlocked(Box<session::Session>),
}

impl KintsugiApp {
    pub fn new(ctx: &egui::Context, config: AppConfig) -> Self {
        widgets::style(ctx);
        let worker = work::Worker::new(ctx.clone());
        let start = start::StartScreen::new(!kintsugi_device::Device::exists(&config.profile));
        Self {
            config,
            started: std::time::Instant::now(),
            worker,
            screen: Screen::Start(Box::new(start)),
            guide: guide::load(),
            closing: None,
        }
    }

    /// The open session's page, for tests.
    pub fn page(&self) -> Option<Page> {
        match &self.screen {
            Screen::Unlocked(s) => Some(s.page()),
            Screen::Start(_) => None,
        }
    }

    /// The unlocked device, for tests that check what the app wrote.
    pub fn device(&self) -> Option<&kintsugi_device::Device> {
        match &self.screen {
            Screen::Unlocked(s) => Some(s.device()),
            Screen::Start(_) => None,
        }
    }

    /// How long the open session waits without use before it locks (tests check the
    /// setting survives a restart).
    pub fn auto_lock(&self) -> Option<Duration> {
        match &self.screen {
            Screen::Unlocked(s) => Some(s.auto_lock(&self.config)),
            Screen::Start(_) => None,
        }
    }

    /// Whether the session has its network up (tests wait for it).
    pub fn network_ready(&self) -> bool {
        match &self.screen {
            Screen::Unlocked(s) => s.network_ready(),
            Screen::Start(_) => false,
        }
    }

    /// A logout, `kill` or Ctrl+C in the terminal closes the window the normal
    /// way, so the session shuts down (network stopped, writes finished) instead
    /// of the process dying mid-write. A second signal means the person insists:
    /// the process ends at once (every store write is atomic, so at most the
    /// write in flight is lost). Only the real window installs this; tests drive
    /// the app without it.
    fn close_on_signals(&self, ctx: &egui::Context) {
        self.worker.handle().spawn(close_on_signals(ctx.clone()));
    }

    /// Locks, however the lock came (the button, Ctrl+L, auto-lock, or the device
    /// locked elsewhere): nothing that was shown or typed survives it. The session
    /// goes whole, with its cache of decrypted entries and every page's typed text;
    /// egui's copies of the text (fields' undo histories) go with
    /// [`widgets::forget_typed`]; the device drops its documents and keys as soon as
    /// the write in flight, if any, lets it (on the worker, so the window never
    /// waits for that write).
    fn lock(&mut self, ctx: &egui::Context) {
        // The profile exists: it was open.
        let old = std::mem::replace(
            &mut self.screen,
            Screen::Start(Box::new(start::StartScreen::new(false))),
        );
        if let Screen::Unlocked(s) = old {
            self.closing = Some(s.close(&self.worker));
        }
        widgets::forget_typed(ctx);
        ctx.request_repaint();
    }

    /// One frame: drain finished work, then draw the current screen.
    pub fn frame(&mut self, ui: &mut egui::Ui) {
        if let Some(after) = self.config.exit_after {
            if self.started.elapsed() >= after {
                ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
            }
            ui.ctx().request_repaint_after(Duration::from_millis(200));
        }
        for done in self.worker.drain() {
            match (&mut self.screen, done) {
                (Screen::Start(_), work::Done::Unlocked(opened)) => {
                    // Whatever was typed on the start screen while the attempt ran.
                    widgets::forget_typed(ui.ctx());
                    let session = session::Session::new(
                        *opened,
                        &self.config,
                        &self.worker,
                        self.closing.take(),
                    );
                    self.screen = Screen::Unlocked(Box::new(session));
                }
                (Screen::Start(start), other) => start.on_done(other),
                (Screen::Unlocked(s), other) => s.on_done(other, &self.worker),
            }
        }
        let mut lock = false;
        match &mut self.screen {
            Screen::Start(start) => start.ui(ui, &self.config, &self.worker),
            Screen::Unlocked(s) => {
                lock = s.ui(ui, &self.worker, &self.guide, &self.config);
            }
        }
        if lock {
            self.lock(ui.ctx());
        }
    }
}

impl eframe::App for KintsugiApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.frame(ui);
    }

    /// The window is gone: here the session's end is waited for, so the process
    /// exits with the network stopped and the writes finished.
    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        let old = std::mem::replace(
            &mut self.screen,
            Screen::Start(Box::new(start::StartScreen::new(false))),
        );
        match old {
            Screen::Unlocked(s) => self.closing = Some(s.close(&self.worker)),
            // A new device waiting for its codes: nothing of it may remain.
            Screen::Start(mut s) => {
                if let Some(end) = s.abandon(&self.worker) {
                    let _ = self.worker.handle().block_on(end);
                }
            }
        }
        if let Some(end) = self.closing.take() {
            let _ = self.worker.handle().block_on(end);
        }
    }
}

/// Opens the app in a native window (glow renderer).
/// Closes the window on the first SIGTERM, SIGINT or SIGHUP (Ctrl+C elsewhere)
/// and ends the process on the second.
#[cfg(unix)]
async fn close_on_signals(ctx: egui::Context) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int), Ok(mut hup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
        signal(SignalKind::hangup()),
    ) else {
        tracing::warn!("signals cannot be watched; a kill will not close the app cleanly");
        return;
    };
    let mut asked = false;
    loop {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
            _ = hup.recv() => {}
        }
        quit(&ctx, &mut asked);
    }
}

#[cfg(not(unix))]
async fn close_on_signals(ctx: egui::Context) {
    let mut asked = false;
    while tokio::signal::ctrl_c().await.is_ok() {
        quit(&ctx, &mut asked);
    }
}

fn quit(ctx: &egui::Context, asked: &mut bool) {
    if *asked {
        std::process::exit(130);
    }
    *asked = true;
    tracing::info!("asked to quit by a signal: closing the window");
    ctx.send_viewport_cmd(egui::ViewportCommand::Close);
    ctx.request_repaint();
}

/// The icon the window shows in task bars and switchers; the installed package puts
/// the same picture where desktop menus look (assets/kintsugi.desktop).
const ICON_PNG: &[u8] = include_bytes!("../../../assets/icons/kintsugi-256.png");

/// An icon that fails to decode (it cannot, it is built in and a test decodes it)
/// leaves the window without one rather than without a window.
fn window_icon() -> egui::IconData {
    eframe::icon_data::from_png_bytes(ICON_PNG).unwrap_or_else(|e| {
        tracing::warn!("the window icon could not be decoded: {e}");
        egui::IconData::default()
    })
}

pub fn run(config: AppConfig) -> Result<(), String> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Kintsugi")
            .with_app_id("kintsugi")
            .with_inner_size([1100.0, 760.0])
            .with_min_inner_size([720.0, 520.0])
            .with_icon(window_icon()),
        renderer: eframe::Renderer::Glow,
        ..Default::default()
    };
    eframe::run_native(
        "Kintsugi",
        options,
        Box::new(move |cc| {
            let app = KintsugiApp::new(&cc.egui_ctx, config);
            app.close_on_signals(&cc.egui_ctx);
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| format!("the window could not be opened: {e}"))
}

#[cfg(test)]
mod icon_tests {
    #[test]
    fn the_built_in_icon_decodes_to_the_full_picture() {
        let icon = super::window_icon();
        assert_eq!((icon.width, icon.height), (256, 256));
        assert_eq!(icon.rgba.len(), 256 * 256 * 4);
        // Not blank: the picture has opaque pixels.
        assert!(icon.rgba.chunks(4).any(|px| px[3] == 255));
    }
}
