//! Background work. The UI thread never waits on a disk or a socket: it hands a
//! closure or a future to the [`Worker`], and the result comes back as a [`Done`]
//! that the next frame handles.

use std::sync::Arc;
use std::sync::mpsc;

use kintsugi_device::{Device, Network, PendingPairing};

/// What finished in the background.
pub enum Done {
    Unlocked(Device),
    /// A command finished: a short confirmation, or an error to show.
    Command(Result<String, String>),
    NetworkStarted(Result<Arc<Network>, String>),
    Pending(Result<Box<PendingPairing>, String>),
    Paired(Result<String, String>),
    /// An invite image was read (the decoded text) or failed.
    QrRead(Result<String, String>),
    Unpaired(Result<bool, String>),
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
