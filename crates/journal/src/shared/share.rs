//! Diary entries a partner chose to share.
//!
//! A shared entry uses its diary entry's id as its own id: sharing is then naturally
//! idempotent, even from two processes at once, and the device layer can tell which
//! diary entries are shared by id alone.
//!
//! Its author may edit the shared text (the earlier wordings stay visible, see
//! [`crate::revisions`]) or withdraw it; the diary entry it came from is untouched
//! either way.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType};

use super::{SHARED, SharedJournal, devices};
use crate::entries::{DiaryEntry, SharedEntry, Version};
use crate::error::{JournalError, Result};
use crate::fields::{Fields, put_opt};
use crate::ids::{EntryKind, PartnerId};
use crate::revisions::{self, refuse_withdrawn, require_author};
use crate::validate::{MOOD, STAGE, require_text};

const KIND: EntryKind = EntryKind::SharedEntry;

impl SharedJournal {
    /// Copies a diary entry into the shared journal. Sharing the same entry again
    /// returns the existing id and writes nothing (later diary edits are not pushed),
    /// unless the shared copy was withdrawn: then it is shared afresh.
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
            Ok(obj) => match read_shared(self.doc.am(), id, obj) {
                Err(JournalError::Withdrawn { .. }) => {}
                _ => return Ok(id.to_owned()),
            },
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

    /// Replaces the text of a diary entry I shared; my partner sees that it was
    /// edited, and the earlier wording, which their device already has.
    pub fn edit_shared_entry(
        &mut self,
        me: &PartnerId,
        id: &str,
        text: &str,
        now: i64,
    ) -> Result<()> {
        let text = require_text("text", text)?;
        let obj = self.doc.locate(KIND, id)?;
        let entry = read_shared(self.doc.am(), id, obj.clone())?;
        require_author(&entry.author, me, KIND, id)?;
        if entry.text == text {
            return Err(JournalError::Unchanged {
                kind: KIND,
                id: id.to_owned(),
            });
        }
        self.doc.transact(now, |am, _| {
            let (rev, _) = revisions::put_revision(am, &obj, me, now)?;
            am.put(&rev, "text", text)?;
            Ok(())
        })
    }

    /// Withdraws a diary entry I shared: it leaves every list, here and on my
    /// partner's device once synced. My partner's device keeps what it already
    /// received; my diary keeps the entry.
    pub fn withdraw_shared_entry(&mut self, me: &PartnerId, id: &str, now: i64) -> Result<()> {
        let obj = self.doc.locate(KIND, id)?;
        let entry = read_shared(self.doc.am(), id, obj.clone())?;
        require_author(&entry.author, me, KIND, id)?;
        self.doc
            .transact(now, |am, _| revisions::put_withdrawal(am, &obj, me, now))
    }

    pub fn shared_entries(&self) -> Vec<SharedEntry> {
        self.doc.list(SHARED, read_shared)
    }

    pub fn get_shared_entry(&self, id: &str) -> Result<SharedEntry> {
        self.doc.get(KIND, id, read_shared)
    }
}

pub(super) fn read_shared(am: &AutoCommit, id: &str, obj: ObjId) -> Result<SharedEntry> {
    let f = Fields::new(am, obj, KIND, id);
    // Shared diary entries have no `kind`; what of the trigger log was shared, the
    // weekly meetings and the device records do.
    if let Some(kind) = f.opt_str("kind")? {
        return Err(JournalError::WrongKind {
            id: id.to_owned(),
            expected: KIND,
            found: if kind.starts_with("meeting") {
                EntryKind::Meeting
            } else if devices::is_device_kind(&kind) {
                EntryKind::Device
            } else {
                EntryKind::Trigger
            },
        });
    }
    let author = f.partner("author")?;
    refuse_withdrawn(&f, &author, KIND, id)?;
    let created = f.int("created")?;
    let revs = revisions::revisions(&f, &author);
    let history = revisions::edits(f.str("text")?, created, &revs, |r| r.str("text"));
    Ok(SharedEntry {
        id: id.to_owned(),
        author,
        origin: f.str("origin")?,
        text: history.standing,
        edited: history.edited,
        earlier: history
            .earlier
            .into_iter()
            .map(|(text, at)| Version {
                text,
                due: None,
                at,
            })
            .collect(),
        mood: f.opt_scale("mood", MOOD)?,
        stage: f.opt_scale("stage", STAGE)?,
        created,
        updated: f.int("updated")?,
        shared_at: f.int("shared_at")?,
    })
}
