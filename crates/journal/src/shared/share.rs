//! Diary entries a partner chose to share.
//!
//! A shared entry uses its diary entry's id as its own id: sharing is then naturally
//! idempotent, even from two processes at once, and the device layer can tell which
//! diary entries are shared by id alone.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType};

use super::{SHARED, SharedJournal};
use crate::entries::{DiaryEntry, SharedEntry};
use crate::error::{JournalError, Result};
use crate::fields::{Fields, put_opt};
use crate::ids::{EntryKind, PartnerId};
use crate::validate::{MOOD, STAGE, require_text};

const KIND: EntryKind = EntryKind::SharedEntry;

impl SharedJournal {
    /// Copies a diary entry into the shared journal. Sharing the same entry again
    /// returns the existing id and writes nothing (later diary edits are not pushed).
    ///
    /// What is shared stays in the partner's copy for good: front ends must warn.
    pub fn share_diary_entry(
        &mut self,
        me: &PartnerId,
        entry: &DiaryEntry,
        now: i64,
    ) -> Result<String> {
        let id = require_text("id", &entry.id)?;
        let text = require_text("text", &entry.text)?;
        let mood = entry.mood.map(|m| MOOD.check(m)).transpose()?;
        let stage = entry.stage.map(|s| STAGE.check(s)).transpose()?;
        match self.doc.locate(KIND, id) {
            Ok(_) => return Ok(id.to_owned()),
            Err(JournalError::UnknownId(_)) => {}
            Err(e) => return Err(e),
        }
        self.doc.transact(now, |am, roots| {
            let obj = am.put_object(&roots[SHARED], id, ObjType::Map)?;
            am.put(&obj, "author", me.as_str())?;
            am.put(&obj, "origin", id)?;
            am.put(&obj, "text", text)?;
            put_opt(am, &obj, "mood", mood.map(i64::from))?;
            put_opt(am, &obj, "stage", stage.map(i64::from))?;
            am.put(&obj, "created", entry.created)?;
            am.put(&obj, "updated", now)?;
            am.put(&obj, "shared_at", now)?;
            Ok(())
        })?;
        Ok(id.to_owned())
    }

    pub fn shared_entries(&self) -> Vec<SharedEntry> {
        self.doc.list(SHARED, read_shared)
    }

    pub fn get_shared_entry(&self, id: &str) -> Result<SharedEntry> {
        self.doc.get(KIND, id, read_shared)
    }
}

fn read_shared(am: &AutoCommit, id: &str, obj: ObjId) -> Result<SharedEntry> {
    let f = Fields::new(am, obj, KIND, id);
    Ok(SharedEntry {
        id: id.to_owned(),
        author: f.partner("author")?,
        origin: f.str("origin")?,
        text: f.str("text")?,
        mood: f.opt_scale("mood", MOOD)?,
        stage: f.opt_scale("stage", STAGE)?,
        created: f.int("created")?,
        updated: f.int("updated")?,
        shared_at: f.int("shared_at")?,
    })
}
