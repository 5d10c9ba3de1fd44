//! The private diary's `reflections` map: records that stay on this device and are
//! neither diary entries nor letter drafts.
//!
//! Each record is a map with a `kind` field saying what it is, under a key that
//! says it too, so that two processes writing the same record land on one key and a
//! reader skips what it does not know:
//!
//! | kind      | key                   | fields                              |
//! |-----------|-----------------------|-------------------------------------|
//! | `opened`  | `opened:{letter id}`  | `at`: when I first opened the letter |
//! | `acceptance` | `acceptance`       | `reached_at`, `words`?, `updated`   |
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
use crate::entries::Acceptance;
use crate::error::{JournalError, Result};
use crate::fields::{Fields, put_opt};
use crate::validate::{optional_text, require_text};

const OPENED: &str = "opened:";
const ACCEPTANCE: &str = "acceptance";

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
