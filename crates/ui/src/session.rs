//! An unlocked session: the device, a cache of what the pages show, the network,
//! navigation, and locking.

use std::sync::Arc;
use std::time::{Duration, Instant};

use kintsugi_device::{Device, DocKind, Event};
use tokio::sync::broadcast;

use crate::AppConfig;
use crate::guide::Guide;
use crate::model::{AutoLock, Cache, NetState, Page};
use crate::pages::{Ctx, Pages};
use crate::widgets::{self, GOLD};
use crate::work::{Done, Worker};

pub struct Session {
    device: Device,
    events: broadcast::Receiver<Event>,
    pub cache: Cache,
    pub net: NetState,
    page: Page,
    pages: Pages,
    auto_lock: AutoLock,
    _watch: kintsugi_device::Watcher,
    last_input: Instant,
    toasts: Vec<Toast>,
}

/// A confirmation or an error, shown for a few seconds over the page.
struct Toast {
    text: String,
    error: bool,
    at: Instant,
}

impl Session {
    pub fn new(device: Device, config: &AppConfig, worker: &Worker) -> Self {
        let events = device.subscribe();
        // Entries written by another process (a CLI command, `kintsugi sync`) show up
        // here without a restart.
        let watch = device.watch(Duration::from_millis(500));
        let cache = Cache::load(&device);
        if config.network {
            let d = device.clone();
            let overrides = config.net.clone();
            worker.spawn(async move {
                Done::NetworkStarted(
                    d.start_network(&overrides)
                        .await
                        .map(Arc::new)
                        .map_err(|e| e.to_string()),
                )
            });
        }
        Self {
            device,
            events,
            cache,
            net: NetState::default(),
            page: Page::Home,
            pages: Pages::default(),
            auto_lock: AutoLock::default(),
            _watch: watch,
            last_input: Instant::now(),
            toasts: Vec::new(),
        }
    }

    pub fn page(&self) -> Page {
        self.page
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    pub fn network_ready(&self) -> bool {
        self.net.net.is_some()
    }

    pub fn toast(&mut self, text: impl Into<String>, error: bool) {
        self.toasts.push(Toast {
            text: text.into(),
            error,
            at: Instant::now(),
        });
    }

    fn start_sync(&mut self, worker: &Worker) {
        if let Some(net) = &self.net.net {
            let _guard = worker.handle().enter();
            match net.start_sync() {
                Ok(started) => self.net.syncing = started,
                Err(e) => self.net.error = Some(e.to_string()),
            }
        }
    }

    pub fn on_done(&mut self, done: Done, worker: &Worker) {
        match done {
            Done::Command(Ok(msg)) => {
                if !msg.is_empty() {
                    self.toast(msg, false);
                }
            }
            Done::Command(Err(e)) => self.toast(e, true),
            Done::NetworkStarted(Ok(net)) => {
                self.net.net = Some(net);
                self.net.error = None;
                if self.cache.paired() {
                    self.start_sync(worker);
                }
            }
            Done::NetworkStarted(Err(e)) => self.net.error = Some(e),
            Done::Paired(Ok(name)) => {
                self.toast(format!("Paired with {name}."), false);
                self.refresh();
                self.pages.reset(Page::Pair);
                self.start_sync(worker);
            }
            Done::Unpaired(result) => {
                match result {
                    Ok(true) => self.toast("Unpaired. Your partner's device was told.", false),
                    Ok(false) => self.toast(
                        "Unpaired. Your partner's device could not be reached.",
                        false,
                    ),
                    Err(e) => self.toast(e, true),
                }
                self.net.syncing = false;
                self.refresh();
            }
            other => self.pages.on_done(other),
        }
    }

    fn refresh(&mut self) {
        self.cache = Cache::load(&self.device);
    }

    /// Applies what the device reported; returns true when it has been locked (by
    /// another part of the app), so the session must lock too.
    fn drain_events(&mut self) -> bool {
        let mut changed = false;
        let mut locked = false;
        loop {
            match self.events.try_recv() {
                Ok(Event::Changed {
                    doc: DocKind::Shared | DocKind::Diary,
                    ..
                }) => changed = true,
                Ok(Event::PartnerOnline) => {
                    self.net.online = true;
                    self.net.received = 0;
                }
                Ok(Event::PartnerOffline) => self.net.online = false,
                Ok(Event::SyncProgress { bytes }) => self.net.received = bytes,
                Ok(Event::InSync) | Ok(Event::Paired) => changed = true,
                Ok(Event::Unpaired) => {
                    self.net.syncing = false;
                    self.net.online = false;
                    changed = true;
                }
                Ok(Event::Locked) => locked = true,
                // A `Locked` may be among the events missed.
                Err(broadcast::error::TryRecvError::Lagged(_)) => {
                    changed = true;
                    locked |= self.device.is_locked();
                }
                Err(_) => break,
            }
        }
        if changed && !locked {
            self.refresh();
        }
        locked
    }

    pub fn shutdown(&mut self, worker: &Worker) {
        if let Some(net) = self.net.net.take() {
            let _ = worker.handle().block_on(async {
                tokio::time::timeout(Duration::from_secs(3), net.shutdown()).await
            });
        }
        self.device.lock();
    }

    pub fn auto_lock(&self, config: &AppConfig) -> Duration {
        self.auto_lock
            .after(self.cache.settings.as_ref(), config.auto_lock)
    }

    /// Draws the session; returns true when it should lock.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        worker: &Worker,
        guide: &Guide,
        config: &AppConfig,
    ) -> bool {
        if self.drain_events() {
            return true;
        }
        let ctx = ui.ctx().clone();
        if ctx.input(|i| !i.events.is_empty() || i.pointer.is_moving()) {
            self.last_input = Instant::now();
        }
        let lock_key = ctx.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::L));
        let idle = self.last_input.elapsed() >= self.auto_lock(config);
        ctx.request_repaint_after(Duration::from_secs(1));
        let mut lock = lock_key || idle;

        egui::Panel::top("top").show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.label(egui::RichText::new("Kintsugi").strong().color(GOLD));
                ui.separator();
                ui.label(self.link_text());
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    if ui
                        .button("Lock")
                        .on_hover_text("Lock now (Ctrl+L)")
                        .clicked()
                    {
                        lock = true;
                    }
                });
            });
        });

        egui::Panel::left("nav")
            .resizable(false)
            .default_size(190.0)
            .show(ui, |ui| {
                ui.add_space(6.0);
                self.pages.nav(ui, &mut self.page, &self.cache, guide);
            });

        self.toasts
            .retain(|t| t.at.elapsed() < Duration::from_secs(5));
        // Confirmations float over the page instead of taking a panel: a panel
        // would shrink the page under the person's hands, push the widget they
        // are using out of view and so take its keyboard focus.
        if !self.toasts.is_empty() {
            egui::Area::new(egui::Id::unique("toasts"))
                .anchor(egui::Align2::CENTER_BOTTOM, [0.0, -16.0])
                .order(egui::Order::Foreground)
                .interactable(false)
                .show(&ctx, |ui| {
                    egui::Frame::popup(ui.style()).show(ui, |ui| {
                        for t in &self.toasts {
                            if t.error {
                                widgets::error_text(ui, &t.text);
                            } else {
                                ui.label(egui::RichText::new(&t.text).color(GOLD));
                            }
                        }
                    });
                });
        }

        let mut goto = None;
        egui::CentralPanel::default().show(ui, |ui| {
            egui::ScrollArea::vertical()
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    let mut pctx = Ctx {
                        device: &self.device,
                        worker,
                        cache: &self.cache,
                        guide,
                        net: &self.net,
                        auto_lock: &mut self.auto_lock,
                        goto: &mut goto,
                    };
                    self.pages.ui(self.page, ui, &mut pctx);
                });
        });
        if let Some(g) = goto {
            self.page = self.pages.open(g);
        }
        lock
    }

    fn link_text(&self) -> String {
        if !self.cache.paired() {
            return "Not paired — your journal stays on this device".into();
        }
        let who = self
            .cache
            .partner
            .as_ref()
            .and_then(|p| p.name.clone())
            .unwrap_or_else(|| "Your partner".into());
        if self.net.online {
            if self.net.received > 64 * 1024 {
                format!(
                    "{who} is online — received {} KiB",
                    self.net.received / 1024
                )
            } else {
                format!("{who} is online")
            }
        } else {
            match self.cache.partner.as_ref().and_then(|p| p.last_sync) {
                Some(t) => format!("{who} is offline — last synced {}", widgets::when(t)),
                None => format!("{who} is offline — not synced yet"),
            }
        }
    }
}
