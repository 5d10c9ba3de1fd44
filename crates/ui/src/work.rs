//! Background work. The UI thread never waits on a disk, a socket or the device's
//! lock: it hands a closure or a future to the [`Worker`], and the result comes back
//! as a [`Done`] that the next frame handles.

use std::sync::Arc;
use std::sync::mpsc;

use kintsugi_device::{Device, Network, PendingPairing};

use crate::model::{Cache, ShownInvite};
use crate::session::Opened;

/// What finished in the background.
pub enum Done {
    Unlocked(Box<Opened>),
    /// The cache rebuilt after a change, for the session numbered `session`.
    Cache {
        session: u64,
        cache: Arc<Cache>,
    },
    /// The device of session `session` turned out to be locked (found after its
    /// events overflowed, so the `Locked` event itself may have been lost).
    Locked {
        session: u64,
    },
    /// Unlocking found the profile rolled back (the error, which names the file):
    /// the start screen explains and offers to accept it.
    RolledBack(String),
    /// A command finished: a short confirmation, or an error to show.
    Command(Result<String, String>),
    NetworkStarted(Result<Arc<Network>, String>),
    /// Whether syncing with a partner started (false: not paired).
    SyncStarted(Result<bool, String>),
    /// The invite to show while this device waits for the partner.
    Invite(ShownInvite),
    Pending(Result<Box<PendingPairing>, String>),
    Paired(Result<String, String>),
    /// The link invite to show while this device waits for my new device, for the
    /// attempt numbered `attempt` (see the link page).
    LinkInvite {
        attempt: u64,
        invite: ShownInvite,
    },
    /// My new device joined with the invite of attempt `attempt`: the codes to compare.
    LinkPending {
        attempt: u64,
        pending: Result<Box<PendingPairing>, String>,
    },
    /// Adding my new device finished: its label and whether it said it stored
    /// everything.
    Linked(Result<(String, bool), String>),
    /// On the start screen: this new device reached my other one; the codes to compare.
    JoinPending(Result<Box<crate::start::Joining>, String>),
    /// An invite image was read (the decoded text) or failed.
    QrRead(Result<String, String>),
    Unpaired(Result<bool, String>),
    /// The results of search number `number` (see the search page).
    Searched {
        number: u64,
        hits: Vec<kintsugi_device::SearchHit>,
    },
}

pub struct Worker {
    rt: tokio::runtime::Runtime,
    tx: mpsc::Sender<Done>,
    rx: mpsc::Receiver<Done>,
    ctx: egui::Context,
}

impl Worker {
    pub fn new(ctx: egui::Context) -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("kintsugi-work")
            .enable_all()
            .build()
            .unwrap_or_else(|e| {
                // Without a runtime the app cannot do anything at all; this only
                // happens when the OS refuses threads.
                panic!("could not start the background runtime: {e}")
            });
        let (tx, rx) = mpsc::channel();
        Self { rt, tx, rx, ctx }
    }

    pub fn handle(&self) -> &tokio::runtime::Handle {
        self.rt.handle()
    }

    /// For work that reports more than once (a follower, a step before the result).
    pub fn reporter(&self) -> Reporter {
        Reporter {
            tx: self.tx.clone(),
            ctx: self.ctx.clone(),
        }
    }

    /// Runs blocking work (disk, Argon2) off the UI thread.
    pub fn blocking(&self, f: impl FnOnce() -> Done + Send + 'static) {
        let tx = self.tx.clone();
        let ctx = self.ctx.clone();
        self.rt.spawn_blocking(move || {
            let _ = tx.send(f());
            ctx.request_repaint();
        });
    }

    /// Runs async work (network) on the runtime.
    pub fn spawn(&self, fut: impl std::future::Future<Output = Done> + Send + 'static) {
        let tx = self.tx.clone();
        let ctx = self.ctx.clone();
        self.rt.spawn(async move {
            let _ = tx.send(fut.await);
            ctx.request_repaint();
        });
    }

    /// A device command, reported as a confirmation or an error.
    pub fn command<T>(
        &self,
        device: &Device,
        ok: impl FnOnce(T) -> String + Send + 'static,
        f: impl FnOnce(&Device) -> kintsugi_device::Result<T> + Send + 'static,
    ) {
        let d = device.clone();
        self.blocking(move || Done::Command(f(&d).map(ok).map_err(|e| e.to_string())));
    }

    pub fn drain(&self) -> Vec<Done> {
        self.rx.try_iter().collect()
    }
}

/// Hands results to the UI from any thread, and wakes the window for them.
#[derive(Clone)]
pub struct Reporter {
    tx: mpsc::Sender<Done>,
    ctx: egui::Context,
}

impl Reporter {
    pub fn send(&self, done: Done) {
        let _ = self.tx.send(done);
        self.ctx.request_repaint();
    }

    /// Asks for a frame: something the window shows may have changed.
    pub fn wake(&self) {
        self.ctx.request_repaint();
    }
}
