//! An unlocked session: the device, a cache of what the pages show, the network,
//! navigation, and locking.
//!
//! Nothing here waits on the device's lock or the disk: the cache comes from the
//! follower ([`crate::live`]) as a whole `Arc`, the network state from the device's
//! events (read without blocking), and every command, the network's start and the
//! session's end run on the worker.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use kintsugi_device::{Device, Event, SealUntil, Watcher};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use crate::AppConfig;
use crate::guide::Guide;
use crate::live::{Follower, Reminding};
use crate::model::{AutoLock, Cache, NetState, Page};
use crate::pages::{Ctx, Pages};
use crate::widgets::{self, GOLD};
use crate::work::{Done, Worker};

/// How long a confirmation stays on screen.
const TOAST_FOR: Duration = Duration::from_secs(5);

/// A device just unlocked, with what the session's first frame needs. Made on the
/// worker (reading the cache waits on the device). The event streams are taken
/// before the cache is read, so no change can fall between the two.
pub struct Opened {
    device: Device,
    events: broadcast::Receiver<Event>,
    follow: broadcast::Receiver<Event>,
    cache: Arc<Cache>,
}

impl Opened {
    pub fn new(device: Device) -> Self {
        let events = device.subscribe();
        let follow = device.subscribe();
        let cache = Arc::new(Cache::load(&device));
        Self {
            device,
            events,
            follow,
            cache,
        }
    }
}

pub struct Session {
    /// Tells this session's reports from those of a session already closed.
    id: u64,
    device: Device,
    /// The frame's own copy of the device's events: the network state and locking.
    events: broadcast::Receiver<Event>,
    follower: Follower,
    /// Checks for reminders while the session is open (dropped with it at lock).
    _reminding: Option<Reminding>,
    cache: Arc<Cache>,
    net: NetState,
    page: Page,
    pages: Pages,
    auto_lock: AutoLock,
    /// Found by the follower: the device was locked.
    locked: bool,
    watch: Option<Watcher>,
    last_input: Instant,
    toasts: Vec<Toast>,
    /// The moment of a letter of mine sealed until then, once its opening was asked.
    seal_opened_at: Option<i64>,
}

/// A confirmation or an error, shown for a few seconds over the page.
struct Toast {
    text: String,
    error: bool,
    at: Instant,
}

impl Session {
    /// A letter of mine sealed until a moment opens when the moment comes, even if
    /// nothing else happens then (a window left open all day): besides auto-lock, the
    /// one clock a session keeps, and only while such a letter waits.
    fn open_sealed_on_time(&mut self, ctx: &egui::Context, worker: &Worker) {
        let me = self.cache.me.as_ref();
        let next = self
            .cache
            .letters
            .iter()
            .filter(|l| l.is_sealed() && Some(&l.author) == me)
            .filter_map(|l| match l.seal.as_ref()?.until {
                SealUntil::Time(t) => Some(t),
                SealUntil::Ready => None,
            })
            .min();
        let Some(at) = next else {
            return;
        };
        let now = kintsugi_device::now_ms();
        if now < at {
            let wait = u64::try_from(at - now).unwrap_or(u64::MAX).min(3_600_000);
            ctx.request_repaint_after(Duration::from_millis(wait));
            return;
        }
        if self.seal_opened_at == Some(at) {
            return;
        }
        self.seal_opened_at = Some(at);
        let d = self.device.clone();
        worker.blocking(move || {
            Done::Command(
                d.open_due_letters()
                    .map(|_| String::new())
                    .map_err(|e| e.to_string()),
            )
        });
    }

    /// Opens the session. Its network starts once `after` (the previous session's
    /// end, which frees the port) has finished.
    pub fn new(
        opened: Opened,
        config: &AppConfig,
        worker: &Worker,
        after: Option<JoinHandle<()>>,
    ) -> Self {
        static SESSIONS: AtomicU64 = AtomicU64::new(0);
        let id = SESSIONS.fetch_add(1, Ordering::Relaxed);
        let Opened {
            device,
            events,
            follow,
            cache,
        } = opened;
        let follower = Follower::start(
            worker.handle(),
            id,
            device.clone(),
            follow,
            worker.reporter(),
        );
        // Entries written by another process (a CLI command, `kintsugi sync`) show up
        // here without a restart.
        let watch = device.watch(Duration::from_millis(500));
        if config.network {
            let d = device.clone();
            let overrides = config.net.clone();
            worker.spawn(async move {
                if let Some(previous) = after {
                    let _ = previous.await;
                }
                Done::NetworkStarted(
                    d.start_network(&overrides)
                        .await
                        .map(Arc::new)
                        .map_err(|e| e.to_string()),
                )
            });
        }
        let reminding = config
            .reminders
            .then(|| Reminding::start(worker.handle(), device.clone()));
        Self {
            id,
            device,
            events,
            follower,
            _reminding: reminding,
            cache,
            net: NetState::default(),
            page: Page::Home,
            pages: Pages::default(),
            auto_lock: AutoLock::default(),
            locked: false,
            watch: Some(watch),
            last_input: Instant::now(),
            seal_opened_at: None,
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

    /// Starts syncing with the partner, if there is one (asking the device whether
    /// there is waits on its lock, hence the worker).
    fn start_sync(&mut self, worker: &Worker) {
        if let Some(net) = self.net.net.clone() {
            worker.blocking(move || Done::SyncStarted(net.start_sync().map_err(|e| e.to_string())));
        }
    }

    pub fn on_done(&mut self, done: Done, worker: &Worker) {
        match done {
            Done::Cache { session, cache } => {
                if session == self.id {
                    // Freeing ten thousand entries takes a while; not the frame's.
                    let old = std::mem::replace(&mut self.cache, cache);
                    worker.handle().spawn_blocking(move || drop(old));
                }
            }
            Done::Locked { session } => self.locked |= session == self.id,
            Done::Command(Ok(msg)) => {
                if !msg.is_empty() {
                    self.toast(msg, false);
                }
            }
            Done::Command(Err(e)) => self.toast(e, true),
            Done::NetworkStarted(Ok(net)) => {
                self.net.net = Some(net);
                self.net.error = None;
                self.start_sync(worker);
            }
            Done::NetworkStarted(Err(e)) => self.net.error = Some(e),
            Done::SyncStarted(Ok(started)) => self.net.syncing = started,
            Done::SyncStarted(Err(e)) => self.net.error = Some(e),
            Done::Paired(Ok(name)) => {
                self.toast(format!("Paired with {name}."), false);
                self.follower.refresh();
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
                self.follower.refresh();
            }
            other => self.pages.on_done(other),
        }
    }

    /// Applies what the device reported to the network state; returns true when the
    /// device has been locked (by another part of the app), so the session must lock
    /// too. Changes to the documents are the follower's.
    fn drain_events(&mut self) -> bool {
        let mut locked = self.locked;
        loop {
            match self.events.try_recv() {
                Ok(Event::PartnerOnline) => {
                    self.net.online = true;
                    self.net.received = 0;
                }
                Ok(Event::PartnerOffline) => self.net.online = false,
                Ok(Event::SyncProgress { bytes }) => self.net.received = bytes,
                Ok(Event::Unpaired) => {
                    self.net.syncing = false;
                    self.net.online = false;
                }
                Ok(Event::Locked) => locked = true,
                // The journal changed under the person's eyes (it reads the same):
                // they should know why, and that it is done.
                Ok(Event::HistoryReleased) => self.toast(
                    "The shared journal's history was released: it reads as it did, and its earlier history is gone from this device.",
                    false,
                ),
                // Syncing cannot go on from this copy; the person needs to know
                // why for as long as it lasts, as for any other network trouble.
                Ok(Event::StaleJournal) => {
                    self.net.error = Some(kintsugi_device::NetError::HistoryReleased.to_string());
                }
                Ok(
                    Event::Changed { .. }
                    | Event::InSync
                    | Event::Paired
                    | Event::ReleaseRequested
                    | Event::ReleaseChanged,
                ) => {}
                // Whether a `Locked` was among the events missed, the follower
                // finds out (asking the device waits on its lock).
                Err(broadcast::error::TryRecvError::Lagged(_)) => {}
                Err(_) => break,
            }
        }
        locked
    }

    /// Ends the session. What it showed and what was typed go at once, with it; the
    /// network stops and the device locks on the worker, as soon as the writes in
    /// flight allow, without holding up the window. Returns that end, for the next
    /// session to wait on before it starts its network.
    pub fn close(mut self: Box<Self>, worker: &Worker) -> JoinHandle<()> {
        let net = self.net.net.take();
        let device = self.device.clone();
        let watch = self.watch.take();
        drop(self);
        worker.handle().spawn(async move {
            if let Some(net) = net {
                let _ = tokio::time::timeout(Duration::from_secs(3), net.shutdown()).await;
            }
            // Dropping the log follower waits for its thread to notice the lock.
            let _ = tokio::task::spawn_blocking(move || {
                device.lock();
                drop(watch);
            })
            .await;
        })
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
        if ctx.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::F)) {
            self.page = Page::Search;
        }
        let idle_for = self.last_input.elapsed();
        let lock_after = self.auto_lock(config);
        let idle = idle_for >= lock_after;
        // The only clock a session needs: changes wake the window by themselves.
        ctx.request_repaint_after(lock_after.saturating_sub(idle_for));
        let mut lock = lock_key || idle;
        self.open_sealed_on_time(&ctx, worker);

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

        self.toasts.retain(|t| t.at.elapsed() < TOAST_FOR);
        if let Some(first) = self.toasts.first() {
            ctx.request_repaint_after(TOAST_FOR.saturating_sub(first.at.elapsed()));
        }
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
            // How the partner is reached, as `kintsugi status` says it.
            let path = self
                .net
                .net
                .as_ref()
                .and_then(|n| n.partner_link())
                .map(|l| format!(" ({})", kintsugi_device::describe_link(&l)))
                .unwrap_or_default();
            if self.net.received > 64 * 1024 {
                format!(
                    "{who} is online{path} — received {} KiB",
                    self.net.received / 1024
                )
            } else {
                format!("{who} is online{path}")
            }
        } else {
            match self.cache.partner.as_ref().and_then(|p| p.last_sync) {
                Some(t) => format!("{who} is offline — last synced {}", widgets::when(t)),
                None => format!("{who} is offline — not synced yet"),
            }
        }
    }
}
