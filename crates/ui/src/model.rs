//! What the pages draw from, apart from how it is kept up to date: the page names,
//! the cache of the device's lists, the network as the UI sees it, and the idle time
//! the person chose. The session fills these in and the pages read them, so both
//! depend on this module and neither on the other.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use kintsugi_device::{
    Acceptance, Boundary, CheckIn, CheckInInput, Device, DiaryEntry, Exercise, Letter, LetterDraft,
    List, Network, Offer, Partner, PartnerId, PartnerInfo, Promise, Reflection, ReleaseStatus,
    SealedCheckIn, Settings, SharedEntry, SharedTrigger, SharedTriggerWeek, StageProgress, Status,
    Trigger, TriggerWeek, qr,
};

/// A page of the unlocked app. Each has a view in the registry
/// (`pages::registry`), which also places it in the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Home,
    Search,
    Boundaries,
    Checkins,
    Letters,
    Promises,
    Exercises,
    Diary,
    /// The private trigger log, and what of it either partner shared.
    Triggers,
    /// Diary entries either partner shared.
    Shared,
    /// The weekly meeting: my points, and the meeting gone through together.
    Meeting,
    /// What a person chooses to bring to a therapist, written as one page.
    Packet,
    Stage(u8),
    Pair,
    Settings,
    /// Adding another device of mine (from Settings; not in the navigation).
    Link,
}

/// What the pages read. Rebuilt when a document changes, never per frame, so a
/// frame costs the same with ten entries or ten thousand.
#[derive(Default)]
pub struct Cache {
    pub me: Option<PartnerId>,
    pub partners: Vec<Partner>,
    pub boundaries: List<Boundary>,
    pub checkins: List<CheckIn>,
    /// Check-ins saved and not yet revealed (mine and the partner's).
    pub sealed_checkins: List<SealedCheckIn>,
    /// My answers for those of mine, which only this device holds for now.
    pub held_checkins: Vec<CheckInInput>,
    pub letters: List<Letter>,
    /// The letters to me I opened on this device, with when: never shared.
    pub opened: BTreeMap<String, i64>,
    pub drafts: List<LetterDraft>,
    pub promises: List<Promise>,
    pub diary: List<DiaryEntry>,
    /// My trigger log (private), its weekly numbers, and what either partner shared.
    pub triggers: List<Trigger>,
    pub trigger_weeks: Vec<TriggerWeek>,
    pub trigger_trend: List<SharedTriggerWeek>,
    pub shared_triggers: List<SharedTrigger>,
    /// Every weekly meeting, and my private points for them.
    pub meetings: Vec<kintsugi_device::Meeting>,
    pub meeting_drafts: Vec<kintsugi_device::MeetingDraft>,
    /// My acceptance (stage 6), if I marked it: private.
    pub acceptance: Option<Acceptance>,
    pub stages: List<StageProgress>,
    pub shared: List<SharedEntry>,
    pub exercises: List<Exercise>,
    /// My private reflections on exercises, from this device's diary.
    pub reflections: List<Reflection>,
    pub status: Option<Status>,
    pub partner: Option<PartnerInfo>,
    pub settings: Option<Settings>,
    /// Where releasing the shared journal's history stands.
    pub release: Option<ReleaseStatus>,
    /// The couple's devices, as the signed records in the shared journal say.
    pub devices: Option<kintsugi_device::DeviceList>,
    /// Whether another of my devices removed this one: it then adds no devices.
    pub removed: bool,
}

impl Cache {
    pub fn load(device: &Device) -> Self {
        Self {
            me: device.me().ok(),
            partners: device.partners().unwrap_or_default(),
            boundaries: device.boundaries().unwrap_or_default(),
            checkins: device.checkins().unwrap_or_default(),
            sealed_checkins: device.sealed_checkins().unwrap_or_default(),
            held_checkins: device.held_checkins().unwrap_or_default(),
            letters: device.letters().unwrap_or_default(),
            opened: device.opened_letters().unwrap_or_default(),
            drafts: device.drafts().unwrap_or_default(),
            promises: device.promises().unwrap_or_default(),
            diary: device.diary_entries().unwrap_or_default(),
            triggers: device.triggers().unwrap_or_default(),
            trigger_weeks: device.trigger_weeks().unwrap_or_default(),
            trigger_trend: device.trigger_trend().unwrap_or_default(),
            shared_triggers: device.shared_triggers().unwrap_or_default(),
            meetings: device.meetings().unwrap_or_default(),
            meeting_drafts: device.meeting_drafts().unwrap_or_default(),
            acceptance: device.acceptance().ok().flatten(),
            stages: device.stages().unwrap_or_default(),
            shared: device.shared_entries().unwrap_or_default(),
            exercises: device.exercises().unwrap_or_default(),
            reflections: device.exercise_reflections().unwrap_or_default(),
            status: device.status().ok(),
            partner: device.partner().ok().flatten(),
            settings: device.settings().ok(),
            release: device.release_status().ok(),
            devices: device.devices().ok(),
            removed: device.is_removed().unwrap_or(false),
        }
    }

    /// How people are named, as the device decides it (`view::Names`).
    pub fn names(&self) -> kintsugi_device::view::Names {
        match &self.me {
            Some(me) => kintsugi_device::view::Names::new(me.clone(), self.partners.clone()),
            None => kintsugi_device::view::Names::default(),
        }
    }

    pub fn is_me(&self, id: &PartnerId) -> bool {
        self.me.as_ref() == Some(id)
    }

    /// "You" for this profile, the partner's name otherwise (see `view::Names`).
    pub fn name(&self, id: &PartnerId) -> String {
        self.names().name(id)
    }

    /// "Your" for this profile, "Bea's" for the partner: titles over someone's words.
    pub fn whose(&self, id: &PartnerId) -> String {
        if self.is_me(id) {
            "Your".into()
        } else {
            format!("{}'s", self.name(id))
        }
    }

    pub fn partner_id(&self) -> Option<PartnerId> {
        self.names().partner_id().cloned()
    }

    pub fn paired(&self) -> bool {
        self.status.as_ref().map(|s| s.paired).unwrap_or(false)
    }
}

/// The network as the UI sees it.
#[derive(Default)]
pub struct NetState {
    pub net: Option<Arc<Network>>,
    pub error: Option<String>,
    pub online: bool,
    pub received: u64,
    pub syncing: bool,
}

/// The idle time before locking, as the person is choosing it on the Settings page.
#[derive(Default)]
pub struct AutoLock {
    /// What the page shows once it has been opened (it may be mid-save).
    pub minutes: Option<u32>,
    /// The newest choice, read by each save when it runs: saves run on a thread pool
    /// and may finish out of order, and the last to run must store the last choice.
    pub chosen: Arc<AtomicU32>,
}

impl AutoLock {
    /// What the Settings page shows, else what the profile stores, else the app's
    /// default.
    pub fn after(&self, stored: Option<&Settings>, default: Duration) -> Duration {
        self.minutes
            .or_else(|| stored.and_then(|s| s.auto_lock_minutes))
            .map(|m| Duration::from_secs(u64::from(m.max(1)) * 60))
            .unwrap_or(default)
    }

    /// Records `minutes` as the newest choice; returns the slot a save reads when it
    /// runs.
    pub fn choose(&mut self, minutes: u32) -> Arc<AtomicU32> {
        self.chosen.store(minutes, Ordering::SeqCst);
        self.chosen.clone()
    }
}

/// A stage's prompt, handed to the diary when the person chose to write about it.
pub struct Prompt {
    pub text: String,
    pub stage: Option<u8>,
}

/// The invite on screen while this device waits for the partner to join.
pub struct ShownInvite {
    pub text: String,
    /// Unix seconds.
    pub expires: u64,
    pub qr: QrCode,
}

impl ShownInvite {
    pub fn of(offer: &Offer) -> Self {
        let text = offer.to_text();
        let (size, modules) = qr::modules(&text).unwrap_or((0, Vec::new()));
        Self {
            expires: offer.expires,
            text,
            qr: QrCode { size, modules },
        }
    }
}

/// A QR code's modules, row by row, `size` to a side.
pub struct QrCode {
    pub size: usize,
    pub modules: Vec<bool>,
}
