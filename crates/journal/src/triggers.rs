//! The private trigger log: moments when something brought the hurt back, kept in
//! the diary's `reflections` map (`kind` = `trigger`, under a fresh id), and the
//! rule that turns them into weekly numbers.
//!
//! Nothing here reaches the shared journal. What may be shared, and only when its
//! author chooses, is the weekly numbers
//! ([`SharedJournal::share_trigger_weeks`](crate::SharedJournal::share_trigger_weeks))
//! or one moment at a time
//! ([`SharedJournal::share_trigger`](crate::SharedJournal::share_trigger)).

use std::collections::BTreeMap;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType};
use chrono::NaiveDate;

use crate::diary::{PrivateDiary, REFLECTIONS};
use crate::entries::{Trigger, TriggerWeek};
use crate::error::{JournalError, Result};
use crate::fields::Fields;
use crate::ids::{EntryKind, PartnerId, new_entry_id};
use crate::reflections::TRIGGER;
use crate::validate::{STRENGTH, iso_week_of, require_text};

const KIND: EntryKind = EntryKind::Trigger;

/// The strength scale: 1, a flicker, to 10, overwhelming.
pub const STRENGTH_MIN: u8 = STRENGTH.min;
pub const STRENGTH_MAX: u8 = STRENGTH.max;

/// How far ahead of `now` a moment may be dated: clocks differ a little, a moment
/// that has not happened yet cannot be logged.
const AHEAD_MS: i64 = 60_000;

impl PrivateDiary {
    /// Logs a moment that happened at `at`.
    pub fn add_trigger(
        &mut self,
        me: &PartnerId,
        at: i64,
        strength: u8,
        words: &str,
        now: i64,
    ) -> Result<String> {
        let words = require_text("words", words)?.trim();
        let strength = STRENGTH.check(strength)?;
        if at > now + AHEAD_MS {
            return Err(JournalError::InFuture);
        }
        let id = new_entry_id(now)?;
        self.doc.transact(now, |am, roots| {
            let obj = am.put_object(&roots[REFLECTIONS], &id, ObjType::Map)?;
            am.put(&obj, "kind", TRIGGER)?;
            am.put(&obj, "author", me.as_str())?;
            am.put(&obj, "at", at)?;
            am.put(&obj, "strength", i64::from(strength))?;
            am.put(&obj, "words", words)?;
            am.put(&obj, "created", now)?;
            am.put(&obj, "updated", now)?;
            Ok(())
        })?;
        Ok(id)
    }

    /// Every moment logged, in the order they happened.
    pub fn triggers(&self) -> Vec<Trigger> {
        // The map holds other private records too; they do not read as triggers.
        self.doc.list(REFLECTIONS, read_trigger)
    }

    pub fn get_trigger(&self, id: &str) -> Result<Trigger> {
        self.doc.get(KIND, id, read_trigger)
    }

    /// Removes a moment from the log (the diary's history keeps it until that
    /// history is released).
    pub fn remove_trigger(&mut self, id: &str, now: i64) -> Result<()> {
        self.get_trigger(id)?;
        self.doc.transact(now, |am, roots| {
            am.delete(&roots[REFLECTIONS], id)?;
            Ok(())
        })
    }
}

/// The log in weekly numbers, oldest week first: each moment counts in the ISO week
/// of the day `day_of` gives for its time (the caller's calendar, so a moment at
/// 23:30 on a Sunday belongs to the week the person lived it in).
pub fn trigger_weeks<'a>(
    triggers: impl IntoIterator<Item = &'a Trigger>,
    day_of: impl Fn(i64) -> NaiveDate,
) -> Vec<TriggerWeek> {
    let mut weeks: BTreeMap<String, TriggerWeek> = BTreeMap::new();
    for t in triggers {
        let week = iso_week_of(day_of(t.at));
        let w = weeks.entry(week.clone()).or_insert(TriggerWeek {
            week,
            count: 0,
            strength_sum: 0,
        });
        w.count += 1;
        w.strength_sum += u32::from(t.strength);
    }
    weeks.into_values().collect()
}

pub(crate) fn read_trigger(am: &AutoCommit, id: &str, obj: ObjId) -> Result<Trigger> {
    let f = Fields::new(am, obj, KIND, id);
    if f.str("kind")? != TRIGGER {
        return Err(f.corrupt("kind", "is not a trigger"));
    }
    Ok(Trigger {
        id: id.to_owned(),
        author: f.partner("author")?,
        at: f.int("at")?,
        strength: f.scale("strength", STRENGTH)?,
        words: f.str("words")?,
        created: f.int("created")?,
        updated: f.int("updated")?,
    })
}
