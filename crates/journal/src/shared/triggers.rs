//! What of the trigger log its author chose to share: weekly numbers, and single
//! moments. Both live in the `shared` map beside shared diary entries (genesis is
//! frozen, so no new root map), told apart by a `kind` field that shared diary
//! entries do not have:
//!
//! | kind           | key                         | fields                                   |
//! |----------------|-----------------------------|------------------------------------------|
//! | `trigger-week` | `trend:{author}:{week}`     | `week`, `count`, `strength_sum`          |
//! | `trigger`      | the private moment's id     | `origin`, `at`, `strength`, `words`, `shared_at` |
//!
//! plus `author`, `created` and `updated` on each. A week's record holds numbers
//! only: no words and no times, so sharing the trend cannot carry a moment along.
//! The key of a week is fixed by its author and week, so sharing it again (after
//! logging more that week) updates the same record on both devices.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ReadDoc, ValueRef};

use super::{SHARED, SharedJournal};
use crate::entries::{SharedTrigger, SharedTriggerWeek, Trigger, TriggerWeek};
use crate::error::{JournalError, Result};
use crate::fields::{Fields, weekly_record};
use crate::ids::{EntryKind, PartnerId};
use crate::validate::{STRENGTH, parse_week, require_text};

const KIND: EntryKind = EntryKind::Trigger;
const TREND: &str = "trend:";

impl SharedJournal {
    /// Shares these weeks of my trigger log as numbers (week, count, strengths
    /// added up), replacing what I shared for those weeks before. Returns how many
    /// weeks changed.
    pub fn share_trigger_weeks(
        &mut self,
        me: &PartnerId,
        weeks: &[TriggerWeek],
        now: i64,
    ) -> Result<usize> {
        for w in weeks {
            parse_week(&w.week)?;
        }
        let shared = self.trigger_trend();
        let changed: Vec<&TriggerWeek> = weeks
            .iter()
            .filter(|w| !shared.iter().any(|s| &s.author == me && &s.numbers == *w))
            .collect();
        if changed.is_empty() {
            return Ok(0);
        }
        self.doc.transact(now, |am, roots| {
            for w in &changed {
                let key = format!("{TREND}{me}:{}", w.week);
                let obj =
                    weekly_record(am, &roots[SHARED], &key, "trigger-week", me, &w.week, now)?;
                am.put(&obj, "count", i64::from(w.count))?;
                am.put(&obj, "strength_sum", i64::from(w.strength_sum))?;
                am.put(&obj, "updated", now)?;
            }
            Ok(())
        })?;
        Ok(changed.len())
    }

    /// Both partners' shared weeks, by author then week.
    pub fn trigger_trend(&self) -> Vec<SharedTriggerWeek> {
        let am = self.doc.am();
        // Every `trend:` key lies between the prefix and the prefix with its colon
        // raised by one, so only those records are read.
        let mut out: Vec<SharedTriggerWeek> = am
            .map_range(self.doc.root(SHARED), TREND.to_owned().."trend;".to_owned())
            .filter_map(|item| {
                let obj = match item.value {
                    ValueRef::Object(ObjType::Map) => item.id(),
                    _ => return None,
                };
                read_week(am, &item.key, obj).ok()
            })
            .collect();
        out.sort_by(|a, b| (&a.author, &a.numbers.week).cmp(&(&b.author, &b.numbers.week)));
        out
    }

    /// Shares one moment of my trigger log: its words, strength and time, nothing
    /// else. Sharing it again writes nothing.
    pub fn share_trigger(&mut self, me: &PartnerId, t: &Trigger, now: i64) -> Result<String> {
        let id = require_text("id", &t.id)?;
        let words = require_text("words", &t.words)?;
        let strength = STRENGTH.check(t.strength)?;
        if &t.author != me {
            return Err(JournalError::NotAuthor {
                kind: KIND,
                id: id.to_owned(),
            });
        }
        if self.doc.am().get(self.doc.root(SHARED), id)?.is_some() {
            return Ok(id.to_owned());
        }
        self.doc.transact(now, |am, roots| {
            let obj = am.put_object(&roots[SHARED], id, ObjType::Map)?;
            am.put(&obj, "kind", "trigger")?;
            am.put(&obj, "author", me.as_str())?;
            am.put(&obj, "origin", id)?;
            am.put(&obj, "at", t.at)?;
            am.put(&obj, "strength", i64::from(strength))?;
            am.put(&obj, "words", words)?;
            am.put(&obj, "created", t.created)?;
            am.put(&obj, "updated", now)?;
            am.put(&obj, "shared_at", now)?;
            Ok(())
        })?;
        Ok(id.to_owned())
    }

    /// The moments either partner shared, in the order they happened.
    pub fn shared_triggers(&self) -> Vec<SharedTrigger> {
        self.doc.list(SHARED, read_shared_trigger)
    }

    pub fn get_shared_trigger(&self, id: &str) -> Result<SharedTrigger> {
        let obj = self.doc.locate(EntryKind::SharedEntry, id)?;
        read_shared_trigger(self.doc.am(), id, obj)
    }
}

fn read_week(am: &AutoCommit, key: &str, obj: ObjId) -> Result<SharedTriggerWeek> {
    let f = Fields::named(am, obj, "trigger week", key);
    if f.str("kind")? != "trigger-week" {
        return Err(f.corrupt("kind", "is not a trigger week"));
    }
    let author = f.partner("author")?;
    let week = f.str("week")?;
    // The key names author and week: a record under another key is no one's week.
    if key != format!("{TREND}{author}:{week}") || parse_week(&week).is_err() {
        return Err(f.corrupt("week", "does not match its key"));
    }
    let number = |field: &str| -> Result<u32> {
        u32::try_from(f.int(field)?).map_err(|_| f.corrupt(field, "is out of range"))
    };
    Ok(SharedTriggerWeek {
        author,
        numbers: TriggerWeek {
            week,
            count: number("count")?,
            strength_sum: number("strength_sum")?,
        },
        shared_at: f.int("updated")?,
    })
}

pub(super) fn read_shared_trigger(am: &AutoCommit, id: &str, obj: ObjId) -> Result<SharedTrigger> {
    let f = Fields::new(am, obj, KIND, id);
    if f.opt_str("kind")?.as_deref() != Some("trigger") {
        return Err(f.corrupt("kind", "is not a trigger"));
    }
    Ok(SharedTrigger {
        id: id.to_owned(),
        author: f.partner("author")?,
        at: f.int("at")?,
        strength: f.scale("strength", STRENGTH)?,
        words: f.str("words")?,
        shared_at: f.int("shared_at")?,
    })
}
