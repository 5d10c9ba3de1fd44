//! The private diary's `reflections` map: records that stay on this device and are
//! neither diary entries nor letter drafts.
//!
//! Each record is a map with a `kind` field saying what it is, and every reader
//! skips the kinds that are not its own (and any it does not know):
//!
//! | kind      | key                   | fields                              |
//! |-----------|-----------------------|-------------------------------------|
//! | `exercise-reflection` | entry id  | `author`, `exercise` (a planned exercise's id in the shared journal), `text`, `created`, `updated` |
//! | `opened`  | `opened:{letter id}`  | `at`: when I first opened the letter |
//! | `acceptance` | `acceptance`       | `reached_at`, `words`?, `updated`   |
//! | `trigger` | entry id              | see `triggers.rs`                   |
//! | `meeting-draft` | `meeting:{week}` | see `meeting.rs`                    |
//!
//! Reflections on exercises written before records had a `kind` have none; they
//! are told apart by their `exercise` field. A key says what a record is too where
//! there can be only one (`acceptance`) or one per letter (`opened:`), so two
//! processes writing the same record land on one key.
//!
//! A reflection on an exercise kept here is one its author chose not to share
//! ([`SharedJournal::share_exercise_reflection`](crate::SharedJournal::share_exercise_reflection)
//! shares one).
//!
//! Opening a letter is recorded here, not in the shared journal: whether the writer
//! learns that it was read is the reader's choice
//! ([`SharedJournal::mark_letter_read`](crate::SharedJournal::mark_letter_read)).
//!
//! Acceptance is here for the same reason: it is one's own peace with what happened,
//! reached alone and owed to no one, so it never enters the journal the partner
//! reads. Forgiveness, which is offered to the partner, is the shared counterpart
//! ([`SharedJournal::offer_forgiveness`](crate::SharedJournal::offer_forgiveness)).

use std::collections::BTreeMap;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ReadDoc, Value, ValueRef};

use crate::diary::{PrivateDiary, REFLECTIONS};
use crate::entries::{Acceptance, Reflection};
use crate::error::{JournalError, Result};
use crate::fields::{Fields, put_opt};
use crate::ids::{EntryKind, PartnerId, new_entry_id};
use crate::validate::{optional_text, require_text};

const OPENED: &str = "opened:";
const ACCEPTANCE: &str = "acceptance";
/// The `kind` of a reflection on an exercise.
const EXERCISE_REFLECTION: &str = "exercise-reflection";
/// The `kind` of a moment of the trigger log.
pub(crate) const TRIGGER: &str = "trigger";

/// Which kind of entry a record of the map is, for id lookups: reflections on
/// exercises and moments of the trigger log have ids a person may type; letters
/// opened and acceptance are not entries.
pub(crate) fn kind_of(am: &AutoCommit, obj: &ObjId) -> Option<EntryKind> {
    let f = Fields::named(am, obj.clone(), "private record", "");
    match f.opt_str("kind").ok()?.as_deref() {
        Some(EXERCISE_REFLECTION) => Some(EntryKind::Reflection),
        Some(TRIGGER) => Some(EntryKind::Trigger),
        Some(_) => None,
        None => f
            .opt_str("exercise")
            .ok()
            .flatten()
            .map(|_| EntryKind::Reflection),
    }
}

impl PrivateDiary {
    /// Keeps a reflection on the planned exercise `exercise` (its id in the shared
    /// journal) here, where it never leaves the device. The diary cannot see the
    /// shared journal: the caller checks first that I may reflect on it
    /// ([`Exercise::reflect_refusal`](crate::Exercise::reflect_refusal)).
    pub fn add_reflection(
        &mut self,
        me: &PartnerId,
        exercise: &str,
        text: &str,
        now: i64,
    ) -> Result<String> {
        let exercise = require_text("exercise", exercise)?;
        let text = require_text("reflection", text)?;
        let id = new_entry_id(now)?;
        self.doc.transact(now, |am, roots| {
            let obj = am.put_object(&roots[REFLECTIONS], &id, ObjType::Map)?;
            am.put(&obj, "kind", EXERCISE_REFLECTION)?;
            am.put(&obj, "author", me.as_str())?;
            am.put(&obj, "exercise", exercise)?;
            am.put(&obj, "text", text)?;
            am.put(&obj, "created", now)?;
            am.put(&obj, "updated", now)?;
            Ok(())
        })?;
        Ok(id)
    }

    /// My private reflections on exercises, oldest first; the map's other records
    /// do not read as reflections.
    pub fn reflections(&self) -> Vec<Reflection> {
        self.doc.list(REFLECTIONS, read_reflection)
    }

    pub fn get_reflection(&self, id: &str) -> Result<Reflection> {
        self.doc.get(EntryKind::Reflection, id, read_reflection)
    }
}

impl PrivateDiary {
    /// Records that I opened the letter `letter_id`, for my eyes only. Returns
    /// `false` (and writes nothing) if it was recorded before.
    pub fn mark_letter_opened(&mut self, letter_id: &str, now: i64) -> Result<bool> {
        let id = require_text("letter id", letter_id)?;
        if self.letter_opened_at(id).is_some() {
            return Ok(false);
        }
        let key = format!("{OPENED}{id}");
        self.doc.transact(now, |am, roots| {
            let obj = am.put_object(&roots[REFLECTIONS], key.as_str(), ObjType::Map)?;
            am.put(&obj, "kind", "opened")?;
            am.put(&obj, "at", now)?;
            Ok(())
        })?;
        Ok(true)
    }

    /// When I first opened the letter `letter_id`, if I did.
    pub fn letter_opened_at(&self, letter_id: &str) -> Option<i64> {
        let am = self.doc.am();
        let key = format!("{OPENED}{letter_id}");
        match am.get(self.doc.root(REFLECTIONS), key.as_str()) {
            Ok(Some((Value::Object(ObjType::Map), obj))) => opened_at(am, &obj),
            _ => None,
        }
    }

    /// Every letter I opened, by id, with when I first did.
    pub fn opened_letters(&self) -> BTreeMap<String, i64> {
        let am = self.doc.am();
        // Keys sort as strings: every `opened:` key lies between the prefix and the
        // prefix with its colon raised by one.
        am.map_range(
            self.doc.root(REFLECTIONS),
            OPENED.to_owned().."opened;".to_owned(),
        )
        .filter_map(|item| {
            let id = item.key.strip_prefix(OPENED)?.to_owned();
            let obj = match item.value {
                ValueRef::Object(ObjType::Map) => item.id(),
                _ => return None,
            };
            Some((id, opened_at(am, &obj)?))
        })
        .collect()
    }
}

impl PrivateDiary {
    /// Marks that I have reached acceptance, in my own words if I give any; marking
    /// it again changes the words and keeps when it was first reached.
    pub fn set_acceptance(&mut self, words: Option<&str>, now: i64) -> Result<Acceptance> {
        let words = optional_text(words);
        let reached_at = self.acceptance().map_or(now, |a| a.reached_at);
        self.doc.transact(now, |am, roots| {
            let obj = match am.get(&roots[REFLECTIONS], ACCEPTANCE)? {
                Some((Value::Object(ObjType::Map), obj)) => obj,
                _ => am.put_object(&roots[REFLECTIONS], ACCEPTANCE, ObjType::Map)?,
            };
            am.put(&obj, "kind", ACCEPTANCE)?;
            am.put(&obj, "reached_at", reached_at)?;
            put_opt(am, &obj, "words", words)?;
            am.put(&obj, "updated", now)?;
            Ok(())
        })?;
        Ok(Acceptance {
            reached_at,
            words: words.map(str::to_owned),
            updated: now,
        })
    }

    /// Takes my acceptance back: it leaves every view; the diary's history keeps it
    /// until that history is released.
    pub fn take_back_acceptance(&mut self, now: i64) -> Result<()> {
        if self.acceptance().is_none() {
            return Err(JournalError::NothingToTakeBack(
                "you have not marked acceptance",
            ));
        }
        self.doc.transact(now, |am, roots| {
            am.delete(&roots[REFLECTIONS], ACCEPTANCE)?;
            Ok(())
        })
    }

    /// My acceptance, if I marked it.
    pub fn acceptance(&self) -> Option<Acceptance> {
        let am = self.doc.am();
        let Ok(Some((Value::Object(ObjType::Map), obj))) =
            am.get(self.doc.root(REFLECTIONS), ACCEPTANCE)
        else {
            return None;
        };
        let f = Fields::named(am, obj, ACCEPTANCE, ACCEPTANCE);
        if f.str("kind").ok()? != ACCEPTANCE {
            return None;
        }
        Some(Acceptance {
            reached_at: f.int("reached_at").ok()?,
            words: f.opt_str("words").ok()?,
            updated: f.int("updated").ok()?,
        })
    }
}

/// The `at` of an `opened` record; `None` for anything else under such a key.
fn opened_at(am: &AutoCommit, obj: &ObjId) -> Option<i64> {
    let f = Fields::named(am, obj.clone(), "opened letter", "");
    (f.str("kind").ok()? == "opened")
        .then(|| f.int("at").ok())
        .flatten()
}

fn read_reflection(am: &AutoCommit, id: &str, obj: ObjId) -> Result<Reflection> {
    let f = Fields::new(am, obj, EntryKind::Reflection, id);
    // Older reflections have no `kind`; any other kind is another record.
    if let Some(kind) = f.opt_str("kind")?
        && kind != EXERCISE_REFLECTION
    {
        return Err(f.corrupt("kind", "is not a reflection on an exercise"));
    }
    Ok(Reflection {
        id: id.to_owned(),
        exercise: f.str("exercise")?,
        author: f.partner("author")?,
        text: f.str("text")?,
        created: f.int("created")?,
        private: true,
    })
}
