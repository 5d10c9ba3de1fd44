//! The JSON people and scripts receive: the CLI's `--json` output and the JSON export.
//!
//! These types are a public contract, so they are written down here, apart from the
//! domain's entry types: a field renamed inside the journal must not silently change
//! what a script reads. A snapshot test pins every shape (`snapshots/json_v1.json`). A
//! change that would break a reader gets a new module (`v2`) and a new
//! [`v1::EXPORT_VERSION`]; adding a field is allowed within a version.

pub mod v1 {
    use std::path::PathBuf;

    use serde::Serialize;

    use crate::view::{Due as DueItem, Names};

    /// The `version` field of a JSON export made with these types.
    pub const EXPORT_VERSION: u32 = 1;

    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct Partner {
        pub id: String,
        pub name: String,
        pub updated: i64,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct Boundary {
        pub id: String,
        pub author: String,
        pub text: String,
        pub category: Option<String>,
        /// proposed, agreed, revisit or retired.
        pub status: &'static str,
        /// `[partner id, Unix ms]` pairs.
        pub agreements: Vec<(String, i64)>,
        pub created: i64,
        pub updated: i64,
        pub revisit_at: Option<i64>,
        pub revisit_by: Option<String>,
        pub retired_at: Option<i64>,
        pub retired_by: Option<String>,
        /// When the wording in `text` was agreed by both; `null` for the first one.
        pub edited: Option<i64>,
        /// The wordings that stood before, oldest first.
        pub earlier_versions: Vec<Version>,
        /// A new wording proposed and not yet agreed by both; `text` stands until it is.
        pub amendment: Option<Amendment>,
        /// The terms of a transparency agreement; absent for a plain boundary.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub agreement: Option<AgreementTerms>,
    }

    /// A transparency agreement's terms, and where it stands today.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct AgreementTerms {
        pub scope: String,
        /// `YYYY-MM-DD`: the day to look at it again together.
        pub review: String,
        /// `YYYY-MM-DD`: the day it ends by itself unless both renew it.
        pub ends: String,
        /// proposed, in_force, review_due, ended or ended_early, on the day it is read.
        pub state: &'static str,
        /// When the dates that stand were agreed as a renewal; `null` for the first.
        pub renewed: Option<i64>,
        /// New dates proposed and not yet agreed by both.
        pub renewal: Option<Renewal>,
    }

    /// New dates for an agreement, waiting for both partners.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct Renewal {
        pub id: String,
        pub by: String,
        pub at: i64,
        pub review: String,
        pub ends: String,
        /// `[partner id, Unix ms]` pairs.
        pub agreements: Vec<(String, i64)>,
    }

    /// An earlier wording of an entry.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct Version {
        pub text: String,
        /// A promise's due date under those terms; absent for other kinds.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub due: Option<String>,
        /// When it was written, Unix ms.
        pub at: i64,
    }

    /// A change waiting for both partners' agreement.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct Amendment {
        pub id: String,
        pub text: String,
        /// A promise's proposed due date; absent for boundaries.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub due: Option<String>,
        pub proposed: i64,
        /// `[partner id, Unix ms]` pairs.
        pub agreements: Vec<(String, i64)>,
    }

    /// A check-in's answers before an edit.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct CheckInVersion {
        pub went_well: Option<String>,
        pub hard: Option<String>,
        pub need: Option<String>,
        pub appreciate: Option<String>,
        pub at: i64,
    }

    /// One line of `search --json`.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct SearchHit {
        /// boundary, checkin, letter, promise, shared, stage, diary or draft.
        pub kind: &'static str,
        /// Whether it is in the private diary (diary, draft).
        pub private: bool,
        pub id: String,
        pub author: String,
        pub at: i64,
        pub stage: Option<u8>,
        pub title: Option<String>,
        pub text: String,
        pub edited: Option<i64>,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct CheckIn {
        pub id: String,
        pub author: String,
        pub week: String,
        pub mood: u8,
        pub trust: u8,
        pub closeness: u8,
        pub went_well: Option<String>,
        pub hard: Option<String>,
        pub need: Option<String>,
        pub appreciate: Option<String>,
        pub created: i64,
        pub updated: i64,
        /// When the answers were last edited; `null` if never.
        pub edited: Option<i64>,
        pub earlier_versions: Vec<CheckInVersion>,
        /// `direct` (saved straight in), `together` (revealed once both had saved,
        /// as committed to) or `altered` (revealed, but not as committed to).
        pub revealed: kintsugi_journal::Revealed,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct LetterDraft {
        pub id: String,
        pub author: String,
        /// apology, appreciation, hope, forgiveness or other.
        pub kind: &'static str,
        pub title: String,
        pub body: String,
        pub created: i64,
        pub updated: i64,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct Letter {
        pub id: String,
        pub author: String,
        pub kind: &'static str,
        pub title: String,
        pub body: String,
        pub created: i64,
        pub updated: i64,
        pub sent: i64,
        /// When the recipient told the writer they read it; `null` until they
        /// choose to.
        pub read_at: Option<i64>,
        pub read_by: Option<String>,
        /// When I opened a letter to me, on this device (`letter list` only); absent
        /// for letters not opened, for my own, and in exports: it is never shared.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub opened_at: Option<i64>,
        /// Absent for a letter sent open. While `seal.sealed`, the recipient's
        /// `title` and `body` are empty: their device does not hold them yet.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub seal: Option<LetterSeal>,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct LetterSeal {
        /// `date` (until a moment) or `ready` (until the recipient says so).
        pub until: &'static str,
        /// For `date`: the moment it may open, Unix ms.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub until_time: Option<i64>,
        /// For `ready`: when the recipient said they were.
        pub ready_at: Option<i64>,
        /// When the writer's device released the key.
        pub opened_at: Option<i64>,
        /// Whether it is still sealed.
        pub sealed: bool,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct Promise {
        pub id: String,
        pub author: String,
        pub text: String,
        /// `YYYY-MM-DD`.
        pub due: String,
        /// open, kept, missed or renegotiated.
        pub outcome: &'static str,
        pub outcome_by: Option<String>,
        pub outcome_at: Option<i64>,
        pub created: i64,
        pub updated: i64,
        /// When the terms (`text`, `due`) were agreed by both; `null` for the first.
        pub edited: Option<i64>,
        /// The terms that stood before, oldest first (each with its `due`).
        pub earlier_versions: Vec<Version>,
        /// New terms proposed and not yet agreed.
        pub renegotiation: Option<Amendment>,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct StageProgress {
        pub stage: u8,
        pub partner: String,
        pub done: bool,
        pub done_at: Option<i64>,
        pub note: Option<String>,
        pub updated: i64,
        /// When the note was last changed; `null` if never.
        pub edited: Option<i64>,
        pub earlier_versions: Vec<Version>,
        /// Forgiveness this partner offered (stage 6 only); `null` otherwise.
        pub forgiveness: Option<Forgiveness>,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct DiaryEntry {
        pub id: String,
        pub author: String,
        pub text: String,
        pub mood: Option<u8>,
        pub stage: Option<u8>,
        pub created: i64,
        pub updated: i64,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct SharedEntry {
        pub id: String,
        pub author: String,
        /// The id of the diary entry it was copied from.
        pub origin: String,
        pub text: String,
        pub mood: Option<u8>,
        pub stage: Option<u8>,
        pub created: i64,
        pub updated: i64,
        pub shared_at: i64,
        /// When the text was last edited; `null` if never.
        pub edited: Option<i64>,
        pub earlier_versions: Vec<Version>,
    }

    /// `settings --json`.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct Settings {
        /// local, anywhere or direct.
        pub network: &'static str,
        pub port: u16,
        pub relay: Option<String>,
        /// `null`: the app's default.
        pub auto_lock_minutes: Option<u32>,
        /// Whether check-in answers wait for the partner's before they travel.
        pub reveal_checkins_together: bool,
        /// ask or always: whether opening a letter tells its writer.
        pub read_receipts: &'static str,
        /// `enabled`, one flag per kind (`checkin`, `promise`, `letter`,
        /// `exercise`) and `quiet_hours` (`from`, `until`: local hours, or `null`).
        pub reminders: crate::Reminders,
    }

    impl From<&crate::Settings> for Settings {
        fn from(s: &crate::Settings) -> Self {
            Self {
                network: s.mode.as_str(),
                port: s.port,
                relay: s.relay.clone(),
                auto_lock_minutes: s.auto_lock_minutes,
                reveal_checkins_together: s.reveal_checkins_together,
                read_receipts: s.read_receipts.as_str(),
                reminders: s.reminders.clone(),
            }
        }
    }

    /// `letter list --json`.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct LetterList {
        pub drafts: Vec<LetterDraft>,
        pub sent: Vec<Letter>,
        pub received: Vec<Letter>,
    }

    /// `status --json`.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct Status {
        pub profile: PathBuf,
        pub partner_id: String,
        pub name: Option<String>,
        pub paired: bool,
        pub partner_name: Option<String>,
        pub partner_endpoint: Option<String>,
        pub last_sync: Option<i64>,
        pub boundaries: usize,
        pub checkins: usize,
        pub letters: usize,
        pub drafts: usize,
        pub promises: usize,
        pub diary_entries: usize,
        pub shared_entries: usize,
        pub warnings: Vec<String>,
        /// Whether the partner answered just now; `null` when not paired.
        pub partner_reachable: Option<bool>,
        /// How it answered: `"direct"`, `"relay"` (through the relay) or
        /// `"unreachable"`; `null` when not paired.
        pub partner_path: Option<&'static str>,
        /// The round-trip time on that path in milliseconds, rounded up; `null`
        /// when the partner did not answer or there is none.
        pub partner_rtt_ms: Option<u64>,
    }

    /// One line of `due --json`.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    #[serde(tag = "kind", rename_all = "snake_case")]
    pub enum Due {
        Checkin {
            week: String,
            message: String,
        },
        Promise {
            id: String,
            author: String,
            due: String,
            /// Days until it is due; negative when it is late.
            days: i64,
            message: String,
        },
        /// A date for an exercise the partner suggested, waiting for my answer.
        ExerciseAnswer {
            id: String,
            /// The library's id of the exercise.
            exercise: String,
            by: String,
            /// `YYYY-MM-DD`.
            date: String,
            message: String,
        },
        UnreadLetters {
            count: usize,
            message: String,
        },
        /// An agreement in force whose review date has come.
        AgreementReview {
            id: String,
            /// `YYYY-MM-DD`: when it ends unless both renew it.
            ends: String,
            message: String,
        },
        /// New dates for an agreement the partner proposed, waiting for my answer.
        RenewalAsked {
            id: String,
            by: String,
            /// `YYYY-MM-DD`: the proposed end.
            ends: String,
            message: String,
        },
        /// The partner brought their points to this week's meeting; I have not.
        MeetingWaiting {
            week: String,
            by: String,
            message: String,
        },
    }

    /// One exercise of `exercise library --json`.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct LibraryExercise {
        pub id: String,
        pub title: String,
        pub stage: u8,
        pub stage_title: &'static str,
        /// How long one session takes.
        pub minutes: u16,
        /// Over how many days it runs, a session a day.
        pub days: u16,
        /// The same, in words.
        pub duration: String,
        pub summary: String,
        pub steps: Vec<String>,
    }

    /// A date suggested for a planned exercise.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct DateSuggestion {
        pub id: String,
        pub by: String,
        /// `YYYY-MM-DD`.
        pub date: String,
        pub at: i64,
        /// When the other partner accepted it; `null` if they did not.
        pub agreed: Option<i64>,
    }

    /// A reflection on an exercise.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct Reflection {
        pub id: String,
        /// The planned exercise's id.
        pub exercise: String,
        pub author: String,
        pub text: String,
        pub at: i64,
        /// Kept in this device's private diary; `false` for one in the shared journal.
        pub private: bool,
    }

    /// A planned exercise (`exercise list --json`, the export).
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct Exercise {
        pub id: String,
        pub author: String,
        /// The library's id of the exercise.
        pub exercise: String,
        pub title: String,
        /// proposed, planned, done or cancelled.
        pub status: &'static str,
        /// The date both agreed on (`YYYY-MM-DD`); `null` until they have.
        pub date: Option<String>,
        /// A date waiting for an answer.
        pub waiting: Option<DateSuggestion>,
        /// Every date suggested, oldest first.
        pub dates: Vec<DateSuggestion>,
        /// `[partner id, Unix ms]` pairs: who marked it done.
        pub done: Vec<(String, i64)>,
        pub cancelled_at: Option<i64>,
        pub cancelled_by: Option<String>,
        /// Shared reflections and, in `exercise list`, this device's private
        /// ones, oldest first.
        pub reflections: Vec<Reflection>,
        pub created: i64,
        pub updated: i64,
    }

    /// The JSON export.
    #[derive(Debug, Clone, PartialEq, Serialize)]
    pub struct Export {
        pub version: u32,
        pub exported_at: String,
        pub me: String,
        pub partners: Vec<Partner>,
        pub stages: Vec<StageProgress>,
        pub boundaries: Vec<Boundary>,
        pub checkins: Vec<CheckIn>,
        pub letters: Vec<Letter>,
        pub promises: Vec<Promise>,
        pub shared_entries: Vec<SharedEntry>,
        /// With their shared reflections; private ones are under `private`.
        pub exercises: Vec<Exercise>,
        /// The weekly numbers of trigger logs, as their authors shared them.
        pub trigger_trend: Vec<TriggerWeek>,
        /// Moments of trigger logs shared one by one.
        pub shared_triggers: Vec<SharedTrigger>,
        /// Weekly meetings: what each partner brought, what was heard, what came of it.
        pub meetings: Vec<Meeting>,
        /// Absent unless the person asked for the private part.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub private: Option<Private>,
    }

    #[derive(Debug, Clone, PartialEq, Serialize)]
    pub struct Private {
        pub diary: Vec<DiaryEntry>,
        pub letter_drafts: Vec<LetterDraft>,
        pub exercise_reflections: Vec<Reflection>,
        /// Acceptance (stage 6), if marked: it never reaches the partner's devices.
        pub acceptance: Option<Acceptance>,
        /// The whole trigger log.
        pub triggers: Vec<Trigger>,
        /// Points prepared for weekly meetings, as they stand in the diary.
        pub meeting_drafts: Vec<MeetingDraft>,
    }

    /// An appreciation: what the partner did, and what it shows about them.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct Appreciation {
        pub what: String,
        pub shows: Option<String>,
    }

    /// What a partner prepares for a weekly meeting.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct MeetingPoints {
        pub appreciations: Vec<Appreciation>,
        pub went_well: Option<String>,
        pub issue: Option<String>,
    }

    /// My private points for a week's meeting.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct MeetingDraft {
        /// ISO week.
        pub week: String,
        #[serde(flatten)]
        pub points: MeetingPoints,
        pub created: i64,
        pub updated: i64,
    }

    /// What one partner brought to a meeting.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct MeetingSide {
        pub author: String,
        #[serde(flatten)]
        pub points: MeetingPoints,
        pub brought_at: i64,
        pub updated: i64,
    }

    /// One side of an issue, as the meeting wrote it down.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct Heard {
        pub id: String,
        /// Whose issue.
        pub issue_of: String,
        /// Whose side.
        pub side_of: String,
        /// On whose device it was written.
        pub written_by: String,
        pub text: String,
        pub at: i64,
    }

    /// What a meeting's plan became: `promise` (`entry` is the promise's id) or
    /// `amendment` (`entry` is the boundary's id).
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct MeetingOutcome {
        pub id: String,
        pub kind: &'static str,
        pub entry: String,
        pub by: String,
        pub at: i64,
    }

    /// A week's meeting.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct Meeting {
        /// ISO week.
        pub week: String,
        pub sides: Vec<MeetingSide>,
        /// Every side written down, oldest first; for each issue and side the
        /// latest stands.
        pub heard: Vec<Heard>,
        pub outcomes: Vec<MeetingOutcome>,
        /// Who closed it, and when (Unix ms).
        pub held_by: Option<String>,
        pub held_at: Option<i64>,
    }

    /// `device list --json`: the couple's devices, as the signed records say.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct Devices {
        pub devices: Vec<DeviceEntry>,
        /// Records in the shared journal that vouch for nothing, and why.
        pub refused: Vec<RefusedRecord>,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct DeviceEntry {
        /// The endpoint id, in hex.
        pub endpoint: String,
        pub mine: bool,
        pub this_device: bool,
        pub label: Option<String>,
        /// `false` for a partner's first device whose signed record has not arrived.
        pub signed: bool,
        pub revoked: bool,
        /// Milliseconds since the epoch; `null` when unknown.
        pub last_sync: Option<i64>,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct RefusedRecord {
        pub key: String,
        pub why: String,
    }

    /// `device revoke --json`: the device removed.
    impl From<&crate::DeviceRow> for DeviceEntry {
        fn from(d: &crate::DeviceRow) -> Self {
            Self {
                endpoint: d.endpoint.clone(),
                mine: d.mine,
                this_device: d.this_device,
                label: d.label.clone(),
                signed: d.signed,
                revoked: d.revoked,
                last_sync: d.last_sync,
            }
        }
    }

    impl From<&crate::DeviceList> for Devices {
        fn from(l: &crate::DeviceList) -> Self {
            Self {
                devices: l.devices.iter().map(DeviceEntry::from).collect(),
                refused: (l.refused.iter())
                    .map(|(key, why)| RefusedRecord {
                        key: key.clone(),
                        why: why.clone(),
                    })
                    .collect(),
            }
        }
    }

    /// `meeting show --json`: my private points and the meeting as it stands.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct MeetingPrep {
        pub week: String,
        /// Mine, private until brought.
        pub draft: Option<MeetingDraft>,
        /// Whether bringing would change what my partner sees.
        pub unbrought: bool,
        pub meeting: Meeting,
    }

    impl From<&kintsugi_journal::MeetingPoints> for MeetingPoints {
        fn from(p: &kintsugi_journal::MeetingPoints) -> Self {
            Self {
                appreciations: p
                    .appreciations
                    .iter()
                    .map(|a| Appreciation {
                        what: a.what.clone(),
                        shows: a.shows.clone(),
                    })
                    .collect(),
                went_well: p.went_well.clone(),
                issue: p.issue.clone(),
            }
        }
    }

    impl From<&kintsugi_journal::MeetingDraft> for MeetingDraft {
        fn from(d: &kintsugi_journal::MeetingDraft) -> Self {
            Self {
                week: d.week.clone(),
                points: (&d.points).into(),
                created: d.created,
                updated: d.updated,
            }
        }
    }

    impl From<&kintsugi_journal::Meeting> for Meeting {
        fn from(m: &kintsugi_journal::Meeting) -> Self {
            Self {
                week: m.week.clone(),
                sides: m
                    .sides
                    .iter()
                    .map(|s| MeetingSide {
                        author: s.author.to_string(),
                        points: (&s.points).into(),
                        brought_at: s.brought_at,
                        updated: s.updated,
                    })
                    .collect(),
                heard: m
                    .heard
                    .iter()
                    .map(|h| Heard {
                        id: h.id.clone(),
                        issue_of: h.issue_of.to_string(),
                        side_of: h.side_of.to_string(),
                        written_by: h.written_by.to_string(),
                        text: h.text.clone(),
                        at: h.at,
                    })
                    .collect(),
                outcomes: m
                    .outcomes
                    .iter()
                    .map(|o| MeetingOutcome {
                        id: o.id.clone(),
                        kind: o.kind.as_str(),
                        entry: o.entry.clone(),
                        by: o.by.to_string(),
                        at: o.at,
                    })
                    .collect(),
                held_by: m.held.as_ref().map(|(by, _)| by.to_string()),
                held_at: m.held.as_ref().map(|(_, at)| *at),
            }
        }
    }

    impl From<&crate::MeetingPrep> for MeetingPrep {
        fn from(p: &crate::MeetingPrep) -> Self {
            Self {
                week: p.week.clone(),
                draft: p.draft.as_ref().map(MeetingDraft::from),
                unbrought: p.unbrought,
                meeting: (&p.meeting).into(),
            }
        }
    }

    /// A moment of the private trigger log.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct Trigger {
        pub id: String,
        /// When it happened, Unix ms.
        pub at: i64,
        /// 1 to 10.
        pub strength: u8,
        pub words: String,
        pub created: i64,
        pub updated: i64,
    }

    /// A week of a trigger log in numbers: mine (`trigger list`), or as a partner
    /// shared it (`author`, `shared_at`).
    #[derive(Debug, Clone, PartialEq, Serialize)]
    pub struct TriggerWeek {
        #[serde(skip_serializing_if = "Option::is_none")]
        pub author: Option<String>,
        /// ISO week.
        pub week: String,
        pub count: u32,
        pub strength_sum: u32,
        /// `strength_sum / count`, 0 for no moments.
        pub average: f64,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub shared_at: Option<i64>,
    }

    /// A moment shared on its own.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct SharedTrigger {
        pub id: String,
        pub author: String,
        pub at: i64,
        pub strength: u8,
        pub words: String,
        pub shared_at: i64,
    }

    /// `trigger list --json`.
    #[derive(Debug, Clone, PartialEq, Serialize)]
    pub struct TriggerLog {
        /// Mine, private, in the order they happened.
        pub entries: Vec<Trigger>,
        /// Mine in weekly numbers, private until shared.
        pub weeks: Vec<TriggerWeek>,
        /// Both partners' shared weekly numbers.
        pub shared_trend: Vec<TriggerWeek>,
        /// Both partners' moments shared one by one.
        pub shared_entries: Vec<SharedTrigger>,
    }

    impl From<&kintsugi_journal::Trigger> for Trigger {
        fn from(t: &kintsugi_journal::Trigger) -> Self {
            Self {
                id: t.id.clone(),
                at: t.at,
                strength: t.strength,
                words: t.words.clone(),
                created: t.created,
                updated: t.updated,
            }
        }
    }

    impl From<&kintsugi_journal::TriggerWeek> for TriggerWeek {
        fn from(w: &kintsugi_journal::TriggerWeek) -> Self {
            Self {
                author: None,
                week: w.week.clone(),
                count: w.count,
                strength_sum: w.strength_sum,
                average: w.average(),
                shared_at: None,
            }
        }
    }

    impl From<&kintsugi_journal::SharedTriggerWeek> for TriggerWeek {
        fn from(w: &kintsugi_journal::SharedTriggerWeek) -> Self {
            Self {
                author: Some(id(&w.author)),
                shared_at: Some(w.shared_at),
                ..Self::from(&w.numbers)
            }
        }
    }

    impl From<&kintsugi_journal::SharedTrigger> for SharedTrigger {
        fn from(t: &kintsugi_journal::SharedTrigger) -> Self {
            Self {
                id: t.id.clone(),
                author: id(&t.author),
                at: t.at,
                strength: t.strength,
                words: t.words.clone(),
                shared_at: t.shared_at,
            }
        }
    }

    /// Forgiveness a partner offered (stage 6); shared.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct Forgiveness {
        pub offered_at: i64,
        pub words: Option<String>,
    }

    /// Acceptance one reached for oneself (stage 6); private.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct Acceptance {
        pub reached_at: i64,
        pub words: Option<String>,
        pub updated: i64,
    }

    fn id(p: &kintsugi_journal::PartnerId) -> String {
        p.to_string()
    }

    fn opt_id(p: &Option<kintsugi_journal::PartnerId>) -> Option<String> {
        p.as_ref().map(id)
    }

    impl From<&kintsugi_journal::Partner> for Partner {
        fn from(p: &kintsugi_journal::Partner) -> Self {
            Self {
                id: id(&p.id),
                name: p.name.clone(),
                updated: p.updated,
            }
        }
    }

    impl From<&kintsugi_journal::Boundary> for Boundary {
        fn from(b: &kintsugi_journal::Boundary) -> Self {
            Self {
                id: b.id.clone(),
                author: id(&b.author),
                text: b.text.clone(),
                category: b.category.clone(),
                status: b.status.as_str(),
                agreements: b.agreements.iter().map(|(p, t)| (id(p), *t)).collect(),
                created: b.created,
                updated: b.updated,
                revisit_at: b.revisit_at,
                revisit_by: opt_id(&b.revisit_by),
                retired_at: b.retired_at,
                retired_by: opt_id(&b.retired_by),
                edited: b.edited,
                earlier_versions: list(&b.earlier),
                amendment: b.amendment.as_ref().map(Amendment::from),
                agreement: b.agreement.as_ref().map(|a| AgreementTerms {
                    scope: a.scope.clone(),
                    review: kintsugi_journal::format_date(a.review),
                    ends: kintsugi_journal::format_date(a.ends),
                    state: b
                        .agreement_state(crate::today())
                        .map_or("proposed", |s| s.as_str()),
                    renewed: a.renewed,
                    renewal: a.renewal.as_ref().map(|r| Renewal {
                        id: r.id.clone(),
                        by: id(&r.by),
                        at: r.at,
                        review: kintsugi_journal::format_date(r.review),
                        ends: kintsugi_journal::format_date(r.ends),
                        agreements: r.agreements.iter().map(|(p, t)| (id(p), *t)).collect(),
                    }),
                }),
            }
        }
    }

    impl From<&kintsugi_journal::CheckIn> for CheckIn {
        fn from(c: &kintsugi_journal::CheckIn) -> Self {
            Self {
                id: c.id.clone(),
                author: id(&c.author),
                week: c.week.clone(),
                mood: c.mood,
                trust: c.trust,
                closeness: c.closeness,
                went_well: c.went_well.clone(),
                hard: c.hard.clone(),
                need: c.need.clone(),
                appreciate: c.appreciate.clone(),
                created: c.created,
                updated: c.updated,
                edited: c.edited,
                earlier_versions: list(&c.earlier),
                revealed: c.revealed,
            }
        }
    }

    impl From<&kintsugi_journal::LetterDraft> for LetterDraft {
        fn from(d: &kintsugi_journal::LetterDraft) -> Self {
            Self {
                id: d.id.clone(),
                author: id(&d.author),
                kind: d.kind.as_str(),
                title: d.title.clone(),
                body: d.body.clone(),
                created: d.created,
                updated: d.updated,
            }
        }
    }

    impl From<&kintsugi_journal::Letter> for Letter {
        fn from(l: &kintsugi_journal::Letter) -> Self {
            Self {
                id: l.id.clone(),
                author: id(&l.author),
                kind: l.kind.as_str(),
                title: l.title.clone(),
                body: l.body.clone(),
                created: l.created,
                updated: l.updated,
                sent: l.sent,
                read_at: l.read_at,
                read_by: opt_id(&l.read_by),
                opened_at: None,
                seal: l.seal.as_ref().map(|seal| LetterSeal {
                    until: match seal.until {
                        kintsugi_journal::SealUntil::Time(_) => "date",
                        kintsugi_journal::SealUntil::Ready => "ready",
                    },
                    until_time: match seal.until {
                        kintsugi_journal::SealUntil::Time(t) => Some(t),
                        kintsugi_journal::SealUntil::Ready => None,
                    },
                    ready_at: seal.ready_at,
                    opened_at: seal.opened_at,
                    sealed: l.is_sealed(),
                }),
            }
        }
    }

    impl From<&kintsugi_journal::Promise> for Promise {
        fn from(p: &kintsugi_journal::Promise) -> Self {
            Self {
                id: p.id.clone(),
                author: id(&p.author),
                text: p.text.clone(),
                due: kintsugi_journal::format_date(p.due),
                outcome: p.outcome.as_str(),
                outcome_by: opt_id(&p.outcome_by),
                outcome_at: p.outcome_at,
                created: p.created,
                updated: p.updated,
                edited: p.edited,
                earlier_versions: list(&p.earlier),
                renegotiation: p.renegotiation.as_ref().map(Amendment::from),
            }
        }
    }

    impl From<&kintsugi_journal::StageProgress> for StageProgress {
        fn from(s: &kintsugi_journal::StageProgress) -> Self {
            Self {
                stage: s.stage,
                partner: id(&s.partner),
                done: s.done,
                done_at: s.done_at,
                note: s.note.clone(),
                updated: s.updated,
                edited: s.edited,
                earlier_versions: list(&s.earlier),
                forgiveness: s.forgiveness.as_ref().map(Forgiveness::from),
            }
        }
    }

    impl From<&kintsugi_journal::Forgiveness> for Forgiveness {
        fn from(f: &kintsugi_journal::Forgiveness) -> Self {
            Self {
                offered_at: f.offered_at,
                words: f.words.clone(),
            }
        }
    }

    impl From<&kintsugi_journal::Acceptance> for Acceptance {
        fn from(a: &kintsugi_journal::Acceptance) -> Self {
            Self {
                reached_at: a.reached_at,
                words: a.words.clone(),
                updated: a.updated,
            }
        }
    }

    impl From<&kintsugi_journal::DiaryEntry> for DiaryEntry {
        fn from(e: &kintsugi_journal::DiaryEntry) -> Self {
            Self {
                id: e.id.clone(),
                author: id(&e.author),
                text: e.text.clone(),
                mood: e.mood,
                stage: e.stage,
                created: e.created,
                updated: e.updated,
            }
        }
    }

    impl From<&kintsugi_journal::SharedEntry> for SharedEntry {
        fn from(e: &kintsugi_journal::SharedEntry) -> Self {
            Self {
                id: e.id.clone(),
                author: id(&e.author),
                origin: e.origin.clone(),
                text: e.text.clone(),
                mood: e.mood,
                stage: e.stage,
                created: e.created,
                updated: e.updated,
                shared_at: e.shared_at,
                edited: e.edited,
                earlier_versions: list(&e.earlier),
            }
        }
    }

    impl From<&kintsugi_journal::Version> for Version {
        fn from(v: &kintsugi_journal::Version) -> Self {
            Self {
                text: v.text.clone(),
                due: v.due.map(kintsugi_journal::format_date),
                at: v.at,
            }
        }
    }

    impl From<&kintsugi_journal::Amendment> for Amendment {
        fn from(a: &kintsugi_journal::Amendment) -> Self {
            Self {
                id: a.id.clone(),
                text: a.text.clone(),
                due: a.due.map(kintsugi_journal::format_date),
                proposed: a.proposed,
                agreements: a.agreements.iter().map(|(p, t)| (id(p), *t)).collect(),
            }
        }
    }

    impl From<&kintsugi_journal::CheckInAnswers> for CheckInVersion {
        fn from(a: &kintsugi_journal::CheckInAnswers) -> Self {
            Self {
                went_well: a.went_well.clone(),
                hard: a.hard.clone(),
                need: a.need.clone(),
                appreciate: a.appreciate.clone(),
                at: a.at,
            }
        }
    }

    impl From<&crate::SearchHit> for SearchHit {
        fn from(h: &crate::SearchHit) -> Self {
            Self {
                kind: h.kind.as_str(),
                private: h.kind.is_private(),
                id: h.id.clone(),
                author: id(&h.author),
                at: h.at,
                stage: h.stage,
                title: h.title.clone(),
                text: h.text.clone(),
                edited: h.edited,
            }
        }
    }

    impl Status {
        /// `probe` is `None` when the partner was not asked (not paired), else how
        /// it answered (`Some(None)`: it did not).
        pub fn new(s: &crate::Status, probe: Option<Option<crate::Link>>) -> Self {
            Self {
                profile: s.profile.clone(),
                partner_id: s.partner_id.clone(),
                name: s.name.clone(),
                paired: s.paired,
                partner_name: s.partner_name.clone(),
                partner_endpoint: s.partner_endpoint.clone(),
                last_sync: s.last_sync,
                boundaries: s.boundaries,
                checkins: s.checkins,
                letters: s.letters,
                drafts: s.drafts,
                promises: s.promises,
                diary_entries: s.diary_entries,
                shared_entries: s.shared_entries,
                warnings: s.warnings.clone(),
                partner_reachable: probe.map(|l| l.is_some()),
                partner_path: probe.map(|l| match l.map(|l| l.via) {
                    Some(crate::Via::Direct) => "direct",
                    Some(crate::Via::Relay) => "relay",
                    None => "unreachable",
                }),
                partner_rtt_ms: probe.flatten().as_ref().map(crate::rtt_ms),
            }
        }
    }

    impl Due {
        pub fn new(d: &DueItem, names: &Names) -> Self {
            let message = d.describe(names);
            match d {
                DueItem::Checkin { week } => Due::Checkin {
                    week: week.clone(),
                    message,
                },
                DueItem::Promise {
                    id: pid,
                    author,
                    days,
                    due,
                    ..
                } => Due::Promise {
                    id: pid.clone(),
                    author: id(author),
                    due: kintsugi_journal::format_date(*due),
                    days: *days,
                    message,
                },
                DueItem::ExerciseAnswer {
                    id: eid,
                    exercise,
                    by,
                    date,
                } => Due::ExerciseAnswer {
                    id: eid.clone(),
                    exercise: exercise.clone(),
                    by: id(by),
                    date: kintsugi_journal::format_date(*date),
                    message,
                },
                DueItem::UnreadLetters { count } => Due::UnreadLetters {
                    count: *count,
                    message,
                },
                DueItem::AgreementReview { id: bid, ends, .. } => Due::AgreementReview {
                    id: bid.clone(),
                    ends: kintsugi_journal::format_date(*ends),
                    message,
                },
                DueItem::RenewalAsked {
                    id: bid, by, ends, ..
                } => Due::RenewalAsked {
                    id: bid.clone(),
                    by: id(by),
                    ends: kintsugi_journal::format_date(*ends),
                    message,
                },
                DueItem::MeetingWaiting { week, by } => Due::MeetingWaiting {
                    week: week.clone(),
                    by: id(by),
                    message,
                },
            }
        }
    }

    impl From<&crate::view::LibraryExercise> for LibraryExercise {
        fn from(e: &crate::view::LibraryExercise) -> Self {
            Self {
                id: e.id.clone(),
                title: e.title.clone(),
                stage: e.stage,
                stage_title: crate::view::stage_title(e.stage),
                minutes: e.minutes,
                days: e.days,
                duration: e.duration(),
                summary: e.summary.clone(),
                steps: e.steps.clone(),
            }
        }
    }

    impl From<&kintsugi_journal::DateProposal> for DateSuggestion {
        fn from(p: &kintsugi_journal::DateProposal) -> Self {
            Self {
                id: p.id.clone(),
                by: id(&p.by),
                date: kintsugi_journal::format_date(p.date),
                at: p.at,
                agreed: p.agreed,
            }
        }
    }

    impl From<&kintsugi_journal::Reflection> for Reflection {
        fn from(r: &kintsugi_journal::Reflection) -> Self {
            Self {
                id: r.id.clone(),
                exercise: r.exercise.clone(),
                author: id(&r.author),
                text: r.text.clone(),
                at: r.created,
                private: r.private,
            }
        }
    }

    impl From<&kintsugi_journal::Exercise> for Exercise {
        fn from(e: &kintsugi_journal::Exercise) -> Self {
            Self::new(e, &[])
        }
    }

    impl Exercise {
        /// With this device's private reflections on it among the shared ones.
        pub fn new(
            e: &kintsugi_journal::Exercise,
            private: &[kintsugi_journal::Reflection],
        ) -> Self {
            let mut reflections: Vec<&kintsugi_journal::Reflection> = e
                .reflections
                .iter()
                .chain(private.iter().filter(|r| r.exercise == e.id))
                .collect();
            reflections.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
            Self {
                id: e.id.clone(),
                author: id(&e.author),
                exercise: e.exercise.clone(),
                title: crate::view::exercise_title(&e.exercise),
                status: e.status.as_str(),
                date: e.date.map(kintsugi_journal::format_date),
                waiting: e.waiting.as_ref().map(DateSuggestion::from),
                dates: list(&e.proposals),
                done: e.done.iter().map(|(p, t)| (id(p), *t)).collect(),
                cancelled_at: e.cancelled_at,
                cancelled_by: opt_id(&e.cancelled_by),
                reflections: list(reflections),
                created: e.created,
                updated: e.updated,
            }
        }
    }

    /// `release-history status --json`.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct ReleaseStatus {
        /// The open request, if any.
        pub request: Option<ReleaseRequest>,
        pub partner_declined_at: Option<i64>,
        pub last_release: Option<i64>,
        /// Names the shared journal this device syncs (hex); `null` when not paired.
        pub journal: Option<String>,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct ReleaseRequest {
        /// `"you"` or `"partner"`.
        pub asked_by: &'static str,
        pub asked_at: i64,
        /// Both said yes: it happens at the next sync.
        pub agreed: bool,
        /// The two devices started the exchange.
        pub under_way: bool,
    }

    impl From<&crate::ReleaseStatus> for ReleaseStatus {
        fn from(s: &crate::ReleaseStatus) -> Self {
            Self {
                request: s.request.as_ref().map(|r| ReleaseRequest {
                    asked_by: if r.asked_by_me { "you" } else { "partner" },
                    asked_at: r.asked_at,
                    agreed: r.agreed,
                    under_way: r.under_way,
                }),
                partner_declined_at: s.partner_declined_at,
                last_release: s.last_release,
                journal: s
                    .journal
                    .map(|e| e.iter().map(|b| format!("{b:02x}")).collect()),
            }
        }
    }

    /// Each entry of a list in its JSON form.
    pub fn list<'a, T: 'a, J: From<&'a T>>(items: impl IntoIterator<Item = &'a T>) -> Vec<J> {
        items.into_iter().map(J::from).collect()
    }
}

/// Pins every v1 shape: a change to any of them shows up here as a diff against
/// `snapshots/json_v1.json`. Run with `UPDATE_SNAPSHOTS=1` to write the file anew
/// after a deliberate addition, and say so in the README.
#[cfg(test)]
mod snapshot {
    use super::v1::*;
    use crate::view::{Due as DueItem, Names};
    use kintsugi_journal as j;

    fn pid(c: char) -> j::PartnerId {
        j::PartnerId::parse(&c.to_string().repeat(32)).unwrap()
    }

    /// Each shape as the CLI prints it (`to_string_pretty`, fields in declared
    /// order), under a heading naming it.
    fn sample() -> String {
        let (me, them) = (pid('a'), pid('b'));
        let partners = vec![
            j::Partner {
                id: me.clone(),
                name: "Ari".into(),
                updated: 1,
            },
            j::Partner {
                id: them.clone(),
                name: "Bea".into(),
                updated: 2,
            },
        ];
        let boundary = j::Boundary {
            id: "b1".into(),
            author: me.clone(),
            text: "no secret messaging".into(),
            category: Some("phones".into()),
            status: j::BoundaryStatus::Agreed,
            agreements: vec![(me.clone(), 10), (them.clone(), 11)],
            created: 10,
            updated: 11,
            revisit_at: None,
            revisit_by: None,
            retired_at: Some(12),
            retired_by: Some(them.clone()),
            edited: Some(13),
            earlier: vec![j::Version {
                text: "no secrets".into(),
                due: None,
                at: 10,
            }],
            amendment: Some(j::Amendment {
                id: "a1".into(),
                text: "no secret messaging or calls".into(),
                due: None,
                proposed: 14,
                agreements: vec![(me.clone(), 14)],
            }),
            agreement: Some(j::Agreement {
                scope: "messages with one colleague".into(),
                // Long past, so that the state the snapshot pins ("ended") does
                // not change with the day the test runs.
                review: j::parse_date("2020-01-10").unwrap(),
                ends: j::parse_date("2020-02-10").unwrap(),
                renewed: Some(15),
                renewal: Some(j::Renewal {
                    id: "r2".into(),
                    by: them.clone(),
                    at: 16,
                    review: j::parse_date("2027-01-10").unwrap(),
                    ends: j::parse_date("2027-02-20").unwrap(),
                    agreements: vec![(them.clone(), 16)],
                }),
                superseded: Vec::new(),
            }),
        };
        let checkin = j::CheckIn {
            id: "c1".into(),
            author: them.clone(),
            week: "2026-W49".into(),
            mood: 4,
            trust: 6,
            closeness: 7,
            went_well: Some("the walk".into()),
            hard: None,
            need: Some("time".into()),
            appreciate: None,
            created: 20,
            updated: 21,
            edited: Some(21),
            earlier: vec![j::CheckInAnswers {
                went_well: Some("the short walk".into()),
                hard: None,
                need: None,
                appreciate: None,
                at: 20,
            }],
            revealed: j::Revealed::Together,
        };
        let draft = j::LetterDraft {
            id: "d1".into(),
            author: me.clone(),
            kind: j::LetterKind::Apology,
            title: "Sorry".into(),
            body: "draft body".into(),
            created: 30,
            updated: 31,
        };
        let letter = j::Letter {
            id: "l1".into(),
            author: them.clone(),
            kind: j::LetterKind::Hope,
            title: "Next year".into(),
            body: "letter body".into(),
            created: 40,
            updated: 41,
            sent: 42,
            read_at: Some(43),
            read_by: Some(me.clone()),
            seal: None,
        };
        let promise = j::Promise {
            id: "p1".into(),
            author: me.clone(),
            text: "call at nine".into(),
            due: chrono::NaiveDate::from_ymd_opt(2026, 12, 4).unwrap(),
            outcome: j::PromiseOutcome::Open,
            outcome_by: None,
            outcome_at: None,
            created: 50,
            updated: 51,
            edited: Some(51),
            earlier: vec![j::Version {
                text: "call at eight".into(),
                due: Some(chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()),
                at: 50,
            }],
            renegotiation: Some(j::Amendment {
                id: "r1".into(),
                text: "call at ten".into(),
                due: Some(chrono::NaiveDate::from_ymd_opt(2026, 12, 5).unwrap()),
                proposed: 52,
                agreements: vec![(me.clone(), 52)],
            }),
        };
        let stage = j::StageProgress {
            stage: 3,
            partner: me.clone(),
            done: true,
            done_at: Some(60),
            note: Some("we talked".into()),
            updated: 61,
            edited: None,
            earlier: Vec::new(),
            forgiveness: None,
        };
        let forgiving = j::StageProgress {
            stage: 6,
            partner: them.clone(),
            done: false,
            done_at: None,
            note: None,
            updated: 62,
            edited: None,
            earlier: Vec::new(),
            forgiveness: Some(j::Forgiveness {
                offered_at: 62,
                words: Some("in my own words".into()),
            }),
        };
        let diary = j::DiaryEntry {
            id: "e1".into(),
            author: me.clone(),
            text: "diary text".into(),
            mood: Some(2),
            stage: None,
            created: 70,
            updated: 71,
        };
        let shared = j::SharedEntry {
            id: "s1".into(),
            author: me.clone(),
            origin: "e1".into(),
            text: "diary text".into(),
            mood: Some(2),
            stage: None,
            created: 80,
            updated: 81,
            shared_at: 82,
            edited: Some(83),
            earlier: vec![j::Version {
                text: "diary txt".into(),
                due: None,
                at: 80,
            }],
        };
        let trigger = j::Trigger {
            id: "t1".into(),
            author: me.clone(),
            at: 100,
            strength: 6,
            words: "the song".into(),
            created: 101,
            updated: 101,
        };
        let trend = j::SharedTriggerWeek {
            author: them.clone(),
            numbers: j::TriggerWeek {
                week: "2026-W49".into(),
                count: 3,
                strength_sum: 14,
            },
            shared_at: 102,
        };
        let shared_trigger = j::SharedTrigger {
            id: "t2".into(),
            author: them.clone(),
            at: 103,
            strength: 4,
            words: "the cafe".into(),
            shared_at: 104,
        };
        let status = crate::Status {
            profile: "/home/ari/.local/share/Kintsugi".into(),
            partner_id: me.to_string(),
            name: Some("Ari".into()),
            paired: true,
            partner_name: Some("Bea".into()),
            partner_endpoint: Some("0123456789".into()),
            last_sync: Some(90),
            boundaries: 1,
            checkins: 1,
            letters: 1,
            drafts: 1,
            promises: 1,
            diary_entries: 1,
            shared_entries: 1,
            warnings: vec!["a warning".into()],
        };
        let names = Names::new(me.clone(), partners.clone());
        let due = [
            DueItem::Checkin {
                week: "2026-W49".into(),
            },
            DueItem::Promise {
                id: "p1".into(),
                author: me.clone(),
                text: "call at nine".into(),
                days: 2,
                due: chrono::NaiveDate::from_ymd_opt(2026, 12, 4).unwrap(),
            },
            DueItem::ExerciseAnswer {
                id: "x1".into(),
                exercise: "listen-ten".into(),
                by: them.clone(),
                date: chrono::NaiveDate::from_ymd_opt(2026, 12, 6).unwrap(),
            },
            DueItem::UnreadLetters { count: 2 },
            DueItem::AgreementReview {
                id: "b1".into(),
                text: "no secret messaging".into(),
                ends: j::parse_date("2027-01-20").unwrap(),
            },
            DueItem::RenewalAsked {
                id: "b1".into(),
                text: "no secret messaging".into(),
                by: them.clone(),
                ends: j::parse_date("2027-02-20").unwrap(),
            },
            DueItem::MeetingWaiting {
                week: "2026-W49".into(),
                by: them.clone(),
            },
        ];
        let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
        let exercise = j::Exercise {
            id: "x1".into(),
            author: me.clone(),
            exercise: "listen-ten".into(),
            status: j::ExerciseStatus::Planned,
            date: Some(day(5)),
            waiting: Some(j::DateProposal {
                id: "q3".into(),
                by: them.clone(),
                date: day(6),
                at: 103,
                agreed: None,
            }),
            proposals: vec![
                j::DateProposal {
                    id: "q1".into(),
                    by: me.clone(),
                    date: day(4),
                    at: 100,
                    agreed: None,
                },
                j::DateProposal {
                    id: "q2".into(),
                    by: them.clone(),
                    date: day(5),
                    at: 101,
                    agreed: Some(102),
                },
                j::DateProposal {
                    id: "q3".into(),
                    by: them.clone(),
                    date: day(6),
                    at: 103,
                    agreed: None,
                },
            ],
            done: vec![(me.clone(), 104)],
            cancelled_at: None,
            cancelled_by: None,
            reflections: vec![j::Reflection {
                id: "f1".into(),
                exercise: "x1".into(),
                author: me.clone(),
                text: "shared reflection".into(),
                created: 105,
                private: false,
            }],
            created: 100,
            updated: 105,
        };
        let private_reflection = j::Reflection {
            id: "f2".into(),
            exercise: "x1".into(),
            author: me.clone(),
            text: "private reflection".into(),
            created: 106,
            private: true,
        };
        let points = j::MeetingPoints {
            appreciations: vec![j::Appreciation {
                what: "you cooked".into(),
                shows: Some("thoughtful".into()),
            }],
            went_well: Some("the walk".into()),
            issue: Some("late nights".into()),
        };
        let meeting = j::Meeting {
            week: "2026-W48".into(),
            sides: vec![j::MeetingSide {
                author: me.clone(),
                points: points.clone(),
                brought_at: 110,
                updated: 111,
            }],
            heard: vec![j::Heard {
                id: "h1".into(),
                issue_of: me.clone(),
                side_of: them.clone(),
                written_by: me.clone(),
                text: "I lose track of time".into(),
                at: 112,
            }],
            outcomes: vec![j::MeetingOutcome {
                id: "o1".into(),
                kind: j::OutcomeKind::Promise,
                entry: "p1".into(),
                by: them.clone(),
                at: 113,
            }],
            held: Some((them.clone(), 114)),
        };
        let meeting_draft = j::MeetingDraft {
            week: "2026-W49".into(),
            points,
            created: 115,
            updated: 116,
        };
        let export = |private: bool| Export {
            version: EXPORT_VERSION,
            exported_at: "2026-12-02T04:00:00+00:00".into(),
            me: me.to_string(),
            partners: list(&partners),
            stages: list(&[stage.clone(), forgiving.clone()]),
            boundaries: list(std::slice::from_ref(&boundary)),
            checkins: list(std::slice::from_ref(&checkin)),
            letters: list(std::slice::from_ref(&letter)),
            promises: list(std::slice::from_ref(&promise)),
            shared_entries: list(std::slice::from_ref(&shared)),
            exercises: list(std::slice::from_ref(&exercise)),
            trigger_trend: list(std::slice::from_ref(&trend)),
            shared_triggers: list(std::slice::from_ref(&shared_trigger)),
            meetings: list(std::slice::from_ref(&meeting)),
            private: private.then(|| Private {
                diary: list(std::slice::from_ref(&diary)),
                letter_drafts: list(std::slice::from_ref(&draft)),
                exercise_reflections: list(std::slice::from_ref(&private_reflection)),
                acceptance: Some(Acceptance::from(&j::Acceptance {
                    reached_at: 72,
                    words: Some("my own peace".into()),
                    updated: 73,
                })),
                triggers: list(std::slice::from_ref(&trigger)),
                meeting_drafts: list(std::slice::from_ref(&meeting_draft)),
            }),
        };
        let mut out = String::new();
        let mut show = |name: &str, value: &dyn erased::Show| {
            out.push_str(&format!("## {name}\n{}\n", value.pretty()));
        };
        show("boundary", &Boundary::from(&boundary));
        show("checkin", &CheckIn::from(&checkin));
        let mut opened = Letter::from(&letter);
        opened.opened_at = Some(44);
        // A letter of mine, sealed until my partner is ready, who said they are.
        let mut sealed = Letter::from(&letter);
        sealed.id = "l2".into();
        sealed.author = me.to_string();
        (sealed.read_at, sealed.read_by) = (None, None);
        sealed.seal = Some(LetterSeal {
            until: "ready",
            until_time: None,
            ready_at: Some(45),
            opened_at: None,
            sealed: true,
        });
        show(
            "letter list",
            &LetterList {
                drafts: list(std::slice::from_ref(&draft)),
                sent: vec![sealed],
                received: vec![opened],
            },
        );
        show(
            "settings",
            &Settings::from(&crate::Settings {
                mode: crate::NetworkMode::Anywhere,
                port: 4242,
                relay: Some("https://relay.example.org/".into()),
                auto_lock_minutes: Some(5),
                reveal_checkins_together: true,
                read_receipts: crate::ReadReceipts::Ask,
                reminders: crate::Reminders::default(),
            }),
        );
        show("promise", &Promise::from(&promise));
        show(
            "trigger list",
            &TriggerLog {
                entries: list(std::slice::from_ref(&trigger)),
                weeks: vec![TriggerWeek::from(&trend.numbers)],
                shared_trend: list(std::slice::from_ref(&trend)),
                shared_entries: list(std::slice::from_ref(&shared_trigger)),
            },
        );
        show("stage", &StageProgress::from(&stage));
        show("diary entry", &DiaryEntry::from(&diary));
        show("shared entry", &SharedEntry::from(&shared));
        show(
            "exercise list",
            &vec![Exercise::new(
                &exercise,
                std::slice::from_ref(&private_reflection),
            )],
        );
        show(
            "exercise library",
            &list::<_, LibraryExercise>(&crate::view::library()[..1]),
        );
        let hits = crate::search(
            &crate::SearchLists {
                diary: kintsugi_journal::List::from(vec![diary.clone()]),
                letters: kintsugi_journal::List::from(vec![letter.clone()]),
                ..Default::default()
            },
            &crate::SearchQuery::default(),
        );
        show("search", &list::<_, SearchHit>(&hits));
        let relayed = crate::Link {
            via: crate::Via::Relay,
            rtt: std::time::Duration::from_micros(41_200),
        };
        show("status", &Status::new(&status, Some(Some(relayed))));
        show(
            "status, partner not reachable",
            &Status::new(&status, Some(None)),
        );
        show(
            "status, not paired",
            &Status::new(
                &crate::Status {
                    paired: false,
                    ..status.clone()
                },
                None,
            ),
        );
        show(
            "due",
            &due.iter().map(|d| Due::new(d, &names)).collect::<Vec<_>>(),
        );
        show("export", &export(false));
        show("export with private", &export(true));
        let row = crate::DeviceRow {
            endpoint: "ab".repeat(32),
            mine: true,
            this_device: true,
            label: Some(crate::FIRST_DEVICE_LABEL.into()),
            signed: true,
            revoked: false,
            last_sync: None,
        };
        show(
            "devices",
            &Devices::from(&crate::DeviceList {
                devices: vec![
                    row.clone(),
                    crate::DeviceRow {
                        endpoint: "cd".repeat(32),
                        mine: false,
                        this_device: false,
                        signed: false,
                        label: None,
                        last_sync: Some(1_764_000_000_000),
                        ..row
                    },
                ],
                refused: vec![(
                    "device:".to_owned() + &"ef".repeat(32),
                    "its signature does not check".into(),
                )],
            }),
        );
        show(
            "meeting prep",
            &MeetingPrep::from(&crate::MeetingPrep {
                week: meeting.week.clone(),
                draft: None,
                unbrought: false,
                meeting: meeting.clone(),
            }),
        );
        out
    }

    mod erased {
        pub trait Show {
            fn pretty(&self) -> String;
        }

        impl<T: serde::Serialize> Show for T {
            fn pretty(&self) -> String {
                serde_json::to_string_pretty(self).unwrap()
            }
        }
    }

    #[test]
    fn v1_shapes_are_pinned() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots/json_v1.json");
        let now = sample();
        if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
            std::fs::create_dir_all(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots")).unwrap();
            std::fs::write(path, &now).unwrap();
        }
        let pinned = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            now == pinned,
            "the v1 JSON shapes changed; if that was meant, run with UPDATE_SNAPSHOTS=1, \
             and state the change in the README:\n{now}"
        );
    }
}
