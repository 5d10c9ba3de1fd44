//! Keeps an open session's cache current without the UI thread ever waiting on the
//! device. A task on the app's runtime follows the device's events: each one wakes
//! the window, and each change has the cache rebuilt on a blocking thread and handed
//! to the frame whole, as an `Arc`. A write that holds the device (a compaction, a
//! big catch-up, a slow fsync) then holds up only the next cache; the frames go on
//! drawing the last one.

use std::sync::Arc;

use kintsugi_device::{Device, DeviceError, Event};
use tokio::sync::{Notify, broadcast};
use tokio::task::JoinHandle;

use crate::model::Cache;
use crate::work::{Done, Reporter};

/// The running follower of one session; stops when dropped.
pub struct Follower {
    task: JoinHandle<()>,
    refresh: Arc<Notify>,
}

impl Follower {
    /// Follows `events` (subscribed before the session's first cache was read, so no
    /// change falls between the two), reporting for session number `session`.
    pub fn start(
        rt: &tokio::runtime::Handle,
        session: u64,
        device: Device,
        events: broadcast::Receiver<Event>,
        out: Reporter,
    ) -> Self {
        let refresh = Arc::new(Notify::new());
        let task = rt.spawn(follow(session, device, events, refresh.clone(), out));
        Self { task, refresh }
    }

    /// Has the cache rebuilt even without a change event.
    pub fn refresh(&self) {
        self.refresh.notify_one();
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn follow(
    session: u64,
    device: Device,
    mut events: broadcast::Receiver<Event>,
    refresh: Arc<Notify>,
    out: Reporter,
) {
    // One rebuild at a time, so caches reach the frame in the order they were read;
    // changes during a rebuild are gathered into the next one.
    let mut building: Option<JoinHandle<Cache>> = None;
    let mut stale = false;
    loop {
        let built = async {
            match building.as_mut() {
                Some(b) => b.await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            event = events.recv() => {
                // The network state and the lock are the frame's to read (from its own
                // receiver); whatever it is, the window should draw it now.
                out.wake();
                match event {
                    Ok(
                        Event::Changed { .. }
                        | Event::InSync
                        | Event::Paired
                        | Event::Unpaired
                        | Event::ReleaseRequested
                        | Event::ReleaseChanged
                        | Event::HistoryReleased
                        | Event::StaleJournal,
                    ) => {
                        stale = true;
                    }
                    // Said again through the worker: the frame's receiver may have
                    // lost it to an overflow of its own.
                    Ok(Event::Locked) => {
                        out.send(Done::Locked { session });
                        return;
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                    Ok(Event::PartnerOnline | Event::PartnerOffline | Event::SyncProgress { .. }) => {}
                    // Events were missed, a `Locked` perhaps among them.
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        let d = device.clone();
                        if tokio::task::spawn_blocking(move || d.is_locked())
                            .await
                            .unwrap_or(true)
                        {
                            out.send(Done::Locked { session });
                            return;
                        }
                        stale = true;
                    }
                }
            }
            _ = refresh.notified() => stale = true,
            cache = built => {
                building = None;
                if let Ok(cache) = cache {
                    out.send(Done::Cache { session, cache: Arc::new(cache) });
                }
            }
        }
        if stale && building.is_none() {
            stale = false;
            let d = device.clone();
            building = Some(tokio::task::spawn_blocking(move || Cache::load(&d)));
        }
    }
}

/// How often an unlocked app checks for reminders.
pub const REMIND_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Shows the device's reminders (`Device::remind_now`) every [`REMIND_EVERY`] while
/// its session is open; stops when dropped, as the session is at lock, and by
/// itself once the device is locked. What to show and when is the device's.
pub struct Reminding(JoinHandle<()>);

impl Reminding {
    pub fn start(rt: &tokio::runtime::Handle, device: Device) -> Self {
        Self(rt.spawn(remind(device)))
    }
}

impl Drop for Reminding {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn remind(device: Device) {
    let mut every = tokio::time::interval(REMIND_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let d = device.clone();
        match tokio::task::spawn_blocking(move || d.remind_now()).await {
            Ok(Ok(_)) => {}
            Ok(Err(DeviceError::Locked)) | Err(_) => return,
            // No notification service, say: tried again at the next check. Device
            // errors name files and ids, never what was written.
            Ok(Err(e)) => tracing::warn!("reminders: {e}"),
        }
    }
}
