//! Reminders: desktop notifications, off until the person turns them on, for what
//! waits in the journal. What to remind of and when is decided here, once; the
//! front ends only ask (the CLI's `remind`, the app every minute while unlocked).
//!
//! A notification is shown by the desktop, outside Kintsugi: anyone near the screen
//! can read it, and the notification daemon may keep it in a history on disk. So it
//! says only that something is waiting ("Something from Bea is waiting"), never a
//! title, a text or a date of an entry. Only an unlocked [`Device`] can remind: a
//! locked profile has no keys to read the journal with, so nothing appears while
//! it is locked.
//!
//! Each reminder is shown once: what was shown is kept in `reminders.sealed`, under
//! the profile key like the settings, since even the list of what one was reminded
//! of says something about a person. A copy that is damaged or does not open is
//! read as empty (and logged as a warning): at worst a reminder shows once more,
//! and damage there never stops the reminders. During quiet hours nothing is shown
//! and nothing is marked, so what came up then is shown when they end.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDateTime, Timelike, Weekday};
use kintsugi_journal::{ExerciseStatus, PromiseOutcome};
use serde::{Deserialize, Serialize};

use crate::state_file::StateFile;
use crate::{Device, DeviceError, Field, Result, view};

/// What was shown, by reminder key. Only a cache of what was already said: a copy
/// written by another version starts afresh (at worst a reminder shows again).
pub(crate) const REMINDED: StateFile = StateFile {
    name: "reminders.sealed",
    context: "reminders shown v1",
    fresh_if_unreadable: true,
    fresh_if_damaged: true,
};

/// From this day of the ISO week on, a check-in not yet written this week is
/// reminded of: early enough to write it in peace, late enough not to nag on a
/// Monday.
pub const CHECKIN_REMINDER_FROM: Weekday = Weekday::Fri;

/// How long a shown reminder is remembered; long after anything it could be
/// about has passed (a week, a promise's day, an exercise's day).
const REMEMBER_FOR_MS: i64 = 90 * 24 * 60 * 60 * 1000;

/// What a reminder is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReminderKind {
    /// My check-in for this week is not written yet (from [`CHECKIN_REMINDER_FROM`]).
    Checkin,
    /// An open promise, mine or my partner's, is due tomorrow (or today, when
    /// quiet hours held the reminder back until then).
    Promise,
    /// A letter from my partner that I have not opened.
    Letter,
    /// An exercise planned together for today.
    Exercise,
    /// A transparency agreement in force has reached its review date.
    Agreement,
}

impl ReminderKind {
    pub const ALL: [ReminderKind; 5] = [
        ReminderKind::Checkin,
        ReminderKind::Promise,
        ReminderKind::Letter,
        ReminderKind::Exercise,
        ReminderKind::Agreement,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReminderKind::Checkin => "checkin",
            ReminderKind::Promise => "promise",
            ReminderKind::Letter => "letter",
            ReminderKind::Exercise => "exercise",
            ReminderKind::Agreement => "agreement",
        }
    }
}

impl std::str::FromStr for ReminderKind {
    type Err = DeviceError;

    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| {
                DeviceError::bad_input(
                    Field::Reminders,
                    format!(
                        "unknown reminder {s:?}: expected checkin, promise, letter, exercise or agreement"
                    ),
                )
            })
    }
}

/// Hours of the local day when no reminder is shown: from `from` (inclusive) to
/// `until` (exclusive), across midnight when `from` is later than `until`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct QuietHours {
    pub from: u8,
    pub until: u8,
}

impl QuietHours {
    pub fn contains(self, hour: u32) -> bool {
        let (from, until) = (u32::from(self.from), u32::from(self.until));
        if from <= until {
            (from..until).contains(&hour)
        } else {
            hour >= from || hour < until
        }
    }

    fn check(self) -> Result<()> {
        if self.from > 23 || self.until > 23 {
            return Err(DeviceError::bad_input(
                Field::QuietHours,
                "quiet hours are whole hours from 0 to 23",
            ));
        }
        if self.from == self.until {
            return Err(DeviceError::bad_input(
                Field::QuietHours,
                "quiet hours need to start and end at different hours (or turn them off)",
            ));
        }
        Ok(())
    }
}

impl std::fmt::Display for QuietHours {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02}:00–{:02}:00", self.from, self.until)
    }
}

impl std::str::FromStr for QuietHours {
    type Err = DeviceError;

    /// `22-8`, `22-08` or `22:00-08:00`.
    fn from_str(s: &str) -> Result<Self> {
        let bad = || {
            DeviceError::bad_input(
                Field::QuietHours,
                format!(
                    "{s:?} is not quiet hours: write them as FROM-UNTIL in whole hours, like 22-08, or off"
                ),
            )
        };
        let hour = |h: &str| -> Result<u8> {
            let h = h.trim();
            let h = h.strip_suffix(":00").unwrap_or(h);
            if h.is_empty() || h.len() > 2 || !h.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            h.parse().map_err(|_| bad())
        };
        let (from, until) = s.split_once(['-', '–']).ok_or_else(bad)?;
        let q = QuietHours {
            from: hour(from)?,
            until: hour(until)?,
        };
        q.check()?;
        Ok(q)
    }
}

/// The reminders setting, sealed with the other settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct Reminders {
    /// Off unless the person turns them on: a notification shows on a screen others
    /// may see.
    pub enabled: bool,
    pub checkin: bool,
    pub promise: bool,
    pub letter: bool,
    pub exercise: bool,
    pub agreement: bool,
    /// `None`: reminders at any hour.
    pub quiet_hours: Option<QuietHours>,
}

impl Default for Reminders {
    fn default() -> Self {
        Self {
            enabled: false,
            checkin: true,
            promise: true,
            letter: true,
            exercise: true,
            agreement: true,
            quiet_hours: Some(QuietHours { from: 22, until: 8 }),
        }
    }
}

impl Reminders {
    pub fn wants(&self, kind: ReminderKind) -> bool {
        match kind {
            ReminderKind::Checkin => self.checkin,
            ReminderKind::Promise => self.promise,
            ReminderKind::Letter => self.letter,
            ReminderKind::Exercise => self.exercise,
            ReminderKind::Agreement => self.agreement,
        }
    }

    pub fn set(&mut self, kind: ReminderKind, on: bool) {
        match kind {
            ReminderKind::Checkin => self.checkin = on,
            ReminderKind::Promise => self.promise = on,
            ReminderKind::Letter => self.letter = on,
            ReminderKind::Exercise => self.exercise = on,
            ReminderKind::Agreement => self.agreement = on,
        }
    }

    /// Whether `now` (local time) falls in the quiet hours.
    pub fn quiet_at(&self, now: NaiveDateTime) -> bool {
        self.quiet_hours.is_some_and(|q| q.contains(now.hour()))
    }

    pub(crate) fn check(&self) -> Result<()> {
        self.quiet_hours.map_or(Ok(()), QuietHours::check)
    }
}

/// One notification to show: its words carry no content (see the module's doc).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reminder {
    pub kind: ReminderKind,
    /// The notification's body, from `view::reminder_text`.
    pub text: String,
    /// What it is about, as `reminders.sealed` remembers it: a week, or entry ids.
    keys: Vec<String>,
}

#[derive(Default, Serialize, Deserialize)]
struct Reminded {
    /// Reminder key → when it was shown (ms).
    shown: BTreeMap<String, i64>,
}

impl Device {
    /// What to remind of at `now` (local time), not shown before: nothing when
    /// reminders are off or in quiet hours. At most one reminder of each kind; a
    /// reminder of several things says so in the same words.
    pub fn reminders_due(&self, now: NaiveDateTime) -> Result<Vec<Reminder>> {
        let settings = self.settings()?.reminders;
        if !settings.enabled || settings.quiet_at(now) {
            return Ok(Vec::new());
        }
        let today = now.date();
        let names = self.names()?;
        let partner = names.partner_in_sentence();
        let shown: Reminded = self.with(|i| REMINDED.read(i))?;
        let new = |keys: Vec<String>| -> Vec<String> {
            keys.into_iter()
                .filter(|k| !shown.shown.contains_key(k))
                .collect()
        };
        let mut out = Vec::new();
        let mut add = |kind: ReminderKind, keys: Vec<String>, soon: bool| {
            let keys = new(keys);
            if settings.wants(kind) && !keys.is_empty() {
                out.push(Reminder {
                    kind,
                    text: view::reminder_text(kind, &partner, soon),
                    keys,
                });
            }
        };

        if today.weekday().num_days_from_monday() >= CHECKIN_REMINDER_FROM.num_days_from_monday() {
            let week = view::week_of(today);
            let mine =
                |author: &kintsugi_journal::PartnerId, w: &str| names.is_me(author) && w == week;
            let written = self.checkins()?.iter().any(|c| mine(&c.author, &c.week))
                || self
                    .sealed_checkins()?
                    .iter()
                    .any(|c| mine(&c.author, &c.week));
            if !written {
                add(
                    ReminderKind::Checkin,
                    vec![format!("checkin:{week}")],
                    false,
                );
            }
        }

        let promises: Vec<_> = self
            .promises()?
            .iter()
            .filter(|p| p.outcome == PromiseOutcome::Open)
            .filter(|p| (0..=1).contains(&(p.due - today).num_days()))
            .map(|p| (p.due == today, format!("promise:{}:{}", p.id, p.due)))
            .collect();
        let today_too = promises
            .iter()
            .any(|(is_today, k)| *is_today && !shown.shown.contains_key(k));
        add(
            ReminderKind::Promise,
            promises.into_iter().map(|(_, k)| k).collect(),
            today_too,
        );

        let opened = self.opened_letters()?;
        let letters = self
            .letters()?
            .iter()
            .filter(|l| !names.is_me(&l.author) && view::letter_is_new(l, &opened))
            .map(|l| format!("letter:{}", l.id))
            .collect();
        add(ReminderKind::Letter, letters, false);

        let exercises = self
            .exercises()?
            .iter()
            .filter(|e| e.status == ExerciseStatus::Planned && e.date == Some(today))
            .filter(|e| !e.done.iter().any(|(who, _)| names.is_me(who)))
            .map(|e| format!("exercise:{}:{today}", e.id))
            .collect();
        add(ReminderKind::Exercise, exercises, false);

        // Once per review date: renewed dates bring a new review, and a new reminder.
        let agreements = self
            .agreements()?
            .iter()
            .filter(|b| {
                b.agreement_state(today) == Some(kintsugi_journal::AgreementState::ReviewDue)
            })
            .filter_map(|b| {
                Some(format!(
                    "agreement:{}:{}",
                    b.id,
                    b.agreement.as_ref()?.review
                ))
            })
            .collect();
        add(ReminderKind::Agreement, agreements, false);
        Ok(out)
    }

    /// Remembers that `reminder` was shown, so it is not shown again.
    pub fn mark_reminded(&self, reminder: &Reminder) -> Result<()> {
        let now = crate::now_ms();
        self.update_state_file(&REMINDED, |r: &mut Reminded| {
            r.shown
                .retain(|_, at| now.saturating_sub(*at) < REMEMBER_FOR_MS);
            for k in &reminder.keys {
                r.shown.insert(k.clone(), now);
            }
            Ok(())
        })?;
        Ok(())
    }

    /// Shows what is due at `now` as desktop notifications and marks each one shown
    /// as soon as it was; returns them. A reminder the desktop could not show is not
    /// marked, so the next check tries again.
    pub fn remind(&self, now: NaiveDateTime) -> Result<Vec<Reminder>> {
        let due = self.reminders_due(now)?;
        for r in &due {
            show_notification(&r.text)?;
            self.mark_reminded(r)?;
        }
        Ok(due)
    }

    /// [`Device::remind`] at the local time now.
    pub fn remind_now(&self) -> Result<Vec<Reminder>> {
        self.remind(chrono::Local::now().naive_local())
    }

    /// [`Device::reminders_due`] at the local time now, shown nowhere.
    pub fn reminders_due_now(&self) -> Result<Vec<Reminder>> {
        self.reminders_due(chrono::Local::now().naive_local())
    }

    /// Changes the reminders setting, keeping the other settings as stored.
    pub fn set_reminders(&self, change: impl FnOnce(&mut Reminders)) -> Result<Reminders> {
        Ok(self
            .update_settings(|s| change(&mut s.reminders))?
            .reminders)
    }
}

/// Whether quiet hours hold reminders back at the local time now.
pub fn quiet_now(reminders: &Reminders) -> bool {
    reminders.quiet_at(chrono::Local::now().naive_local())
}

/// Shows one notification with Kintsugi's name and `text`, through the desktop's
/// notification service (on Linux, the freedesktop one on the D-Bus session bus).
/// `text` is a reminder's, which carries no content.
fn show_notification(text: &str) -> Result<()> {
    notify_rust::Notification::new()
        .appname(view::NOTIFICATION_SUMMARY)
        .summary(view::NOTIFICATION_SUMMARY)
        .body(text)
        .show()
        .map(drop)
        .map_err(|e| DeviceError::Notify(e.to_string()))
}

#[cfg(test)]
mod tests;
