//! Letters: drafted privately in the diary, copied here when sent.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType};

use super::{LETTERS, SharedJournal};
use crate::entries::{Letter, LetterDraft, LetterKind};
use crate::error::{JournalError, Result};
use crate::fields::Fields;
use crate::ids::{EntryKind, PartnerId};
use crate::validate::require_text;

const KIND: EntryKind = EntryKind::Letter;

impl SharedJournal {
    /// Sends a draft: copies it into the shared journal under the draft's id, with
    /// `me` as author. The caller removes the draft from the diary afterwards.
    ///
    /// Idempotent: if a letter with that id was already sent, nothing is written and
    /// the id is returned, so a caller that crashed between sending and removing the
    /// draft can simply retry.
    pub fn send_letter(&mut self, me: &PartnerId, draft: &LetterDraft, now: i64) -> Result<String> {
        require_text("id", &draft.id)?;
        let title = require_text("title", &draft.title)?.trim();
        let body = require_text("body", &draft.body)?;
        match self.doc.locate(KIND, &draft.id) {
            Ok(_) => return Ok(draft.id.clone()),
            Err(JournalError::UnknownId(_)) => {}
            Err(e) => return Err(e),
        }
        self.doc.transact(now, |am, roots| {
            let obj = am.put_object(&roots[LETTERS], &draft.id, ObjType::Map)?;
            am.put(&obj, "author", me.as_str())?;
            am.put(&obj, "kind", draft.kind.as_str())?;
            am.put(&obj, "title", title)?;
            am.put(&obj, "body", body)?;
            am.put(&obj, "created", draft.created)?;
            am.put(&obj, "updated", now)?;
            am.put(&obj, "sent", now)?;
            Ok(())
        })?;
        Ok(draft.id.clone())
    }

    /// Marks a letter read by its recipient. Returns `false` if it was already read.
    pub fn mark_letter_read(&mut self, me: &PartnerId, id: &str, now: i64) -> Result<bool> {
        let obj = self.doc.locate(KIND, id)?;
        let letter = read_letter(self.doc.am(), id, obj.clone())?;
        if &letter.author == me {
            return Err(JournalError::NotRecipient(id.to_owned()));
        }
        if letter.read_at.is_some() {
            return Ok(false);
        }
        self.doc.transact(now, |am, _| {
            am.put(&obj, "read_at", now)?;
            am.put(&obj, "read_by", me.as_str())?;
            am.put(&obj, "updated", now)?;
            Ok(())
        })?;
        Ok(true)
    }

    pub fn letters(&self) -> Vec<Letter> {
        self.doc.list(LETTERS, read_letter)
    }

    pub fn get_letter(&self, id: &str) -> Result<Letter> {
        self.doc.get(KIND, id, read_letter)
    }
}

fn read_letter(am: &AutoCommit, id: &str, obj: ObjId) -> Result<Letter> {
    let f = Fields::new(am, obj, KIND, id);
    Ok(Letter {
        id: id.to_owned(),
        author: f.partner("author")?,
        kind: f.parsed("kind", LetterKind::from_name)?,
        title: f.str("title")?,
        body: f.str("body")?,
        created: f.int("created")?,
        updated: f.int("updated")?,
        sent: f.int("sent")?,
        read_at: f.opt_int("read_at")?,
        read_by: f.opt_partner("read_by")?,
    })
}
