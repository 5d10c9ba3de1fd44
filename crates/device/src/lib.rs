//! The application service that both front ends (CLI and desktop app) use.
//!
//! A [`Device`] is an unlocked profile: the keys, the two documents and their logs.
//! Every command validates, changes the document, and returns only after the change
//! is durably in the encrypted log. Front ends never see Automerge, files or keys;
//! they get plain entry types and a stream of [`Event`]s.

mod agreements;
mod bounded;
mod bundle;
mod devices;
mod diary_replica;
mod documents;
mod entries;
mod error;
mod exercises;
mod export;
mod forgiveness;
pub mod json;
mod link;
mod meetings;
mod network;
mod packet;
mod partner;
mod passphrase;
mod profile;
pub mod qr;
mod rekey;
mod release;
mod reminders;
mod replica;
mod reveal;
mod revise;
mod revoke;
mod sealed;
mod search;
mod settings;
mod state_file;
mod status;
mod tracked;
mod triggers;
pub mod view;

use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;

pub use agreements::today;
pub use bounded::{MAX_BUNDLE_FILE, MAX_DECODED, Refusal};
pub use devices::{DeviceList, DeviceRow, FIRST_DEVICE_LABEL};
pub use documents::Watcher;
pub use error::{BundleProblem, DeviceError, Field, Result};
pub use exercises::Visibility;
pub use export::{ExportFormat, ExportScope, format_time};
pub use kintsugi_journal::{
    Acceptance, Agreement, AgreementState, Amendment, Appreciation, Boundary, BoundaryStatus,
    CheckIn, CheckInAnswers, CheckInInput, DateProposal, DiaryEntry, EntryKind, Exercise,
    ExerciseStatus, FORGIVENESS_STAGE, Forgiveness, Heard, Letter, LetterDraft, LetterKind, List,
    MAX_APPRECIATIONS, Meeting, MeetingDraft, MeetingOutcome, MeetingPoints, MeetingSide,
    OutcomeKind, Partner, PartnerId, Promise, PromiseOutcome, Reflection, Renewal, Revealed,
    STRENGTH_MAX, STRENGTH_MIN, Seal, SealUntil, SealedCheckIn, SharedEntry, SharedTrigger,
    SharedTriggerWeek, StageProgress, Trigger, TriggerWeek, Upserted, Version, parse_date,
};
pub use kintsugi_net::sync::SessionEnd;
pub use kintsugi_net::{
    Invitation, Invite, Link, NetError, NetworkMode, Offer, Purpose, RelayUrl, Via,
};
pub use kintsugi_store::{KdfParams, Replace};
pub use link::{PeerHint, Transfer};
pub use meetings::{MeetingPrep, this_week};
pub use network::{
    Bind, Hosting, NetOverrides, Network, PendingPairing, RELAY_WAIT, describe_link, parse_relay,
    rtt_ms,
};
pub use packet::{PACKET_MAX_WEEKS, PacketRequest, open_sealed_packet, sealed_path};
pub use partner::PartnerInfo;
pub use passphrase::{MIN_PASSPHRASE_SCORE, PassphraseStrength, passphrase_strength};
pub use profile::Options;
pub use release::{ReleaseRequest, ReleaseStatus};
pub use reminders::{
    CHECKIN_REMINDER_FROM, QuietHours, Reminder, ReminderKind, Reminders, quiet_now,
};
pub use reveal::SavedCheckIn;
pub use revise::{AnswersEdit, DiaryEdit, DraftEdit};
pub use sealed::seal_until_day;
pub use search::{SearchHit, SearchKind, SearchLists, SearchQuery, search};
pub use settings::{AUTO_LOCK_MINUTES, ReadReceipts, Settings};
pub use status::Status;
pub use triggers::parse_when;

pub const SHARED_LOG: &str = kintsugi_store::LogKind::Shared.file_name();
pub const DIARY_LOG: &str = kintsugi_store::LogKind::Diary.file_name();

/// Which document an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    Shared,
    Diary,
}

/// What front ends subscribe to so they can redraw without polling the documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A document changed: by this process, or by another one on this device.
    Changed {
        doc: DocKind,
        local: bool,
    },
    /// The profile was locked; drop everything shown.
    Locked,
    /// Both people confirmed the codes; the partner is stored.
    Paired,
    /// The pairing ended (here, or the partner ended it).
    Unpaired,
    PartnerOnline,
    PartnerOffline,
    /// Bytes received from the partner in the current session.
    SyncProgress {
        bytes: u64,
    },
    /// Both devices hold the same shared journal.
    InSync,
    /// The partner asked to release the shared journal's history.
    ReleaseRequested,
    /// Where releasing the shared journal's history stands changed: asked, answered,
    /// agreed or under way, here, by the partner, or by another process of this
    /// profile. `Device::release_status` says where it stands now.
    ReleaseChanged,
    /// The shared journal's history was released: this device holds the new journal.
    HistoryReleased,
    /// The partner's device refused this one: the journal it holds was released there
    /// (it is a copy from before, restored from a backup, or missed the release).
    StaleJournal,
}

/// A cheap, cloneable handle on an unlocked profile.
#[derive(Clone)]
pub struct Device {
    inner: Arc<Mutex<Option<documents::Inner>>>,
    events: broadcast::Sender<Event>,
    /// Ticks on every change of the shared journal; the sync session waits on it.
    changes: Arc<tokio::sync::watch::Sender<u64>>,
    /// Ticks on every change of the private diary: the diary's sessions with this
    /// person's other devices wait on it. Apart from `changes`, so that a diary write
    /// never wakes a session with the partner, and a journal write never a diary one.
    diary_changes: Arc<tokio::sync::watch::Sender<u64>>,
    /// Diagnostics: sees every decrypted sync payload before it is applied.
    tap: Arc<Mutex<Option<PayloadTap>>>,
}

/// A function shown each decrypted sync payload, see [`Device::tap_sync_payloads`].
pub type PayloadTap = Box<dyn Fn(&[u8]) + Send>;

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device").finish_non_exhaustive()
    }
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;
