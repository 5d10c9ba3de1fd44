//! Promises: made by one partner, their outcome confirmed by the other.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType};
use chrono::NaiveDate;

use super::{PROMISES, SharedJournal};
use crate::entries::{Promise, PromiseOutcome};
use crate::error::{JournalError, Result};
use crate::fields::{Fields, put_opt};
use crate::ids::{EntryKind, PartnerId, new_entry_id};
use crate::validate::{format_date, parse_date, require_text};

const KIND: EntryKind = EntryKind::Promise;

impl SharedJournal {
    pub fn add_promise(
        &mut self,
        me: &PartnerId,
        text: &str,
        due: NaiveDate,
        now: i64,
    ) -> Result<String> {
        let text = require_text("text", text)?;
        let due = format_date(due);
        // Years outside 0000–9999 would not read back.
        parse_date(&due)?;
        let id = new_entry_id(now)?;
        self.doc.transact(now, |am, roots| {
            let obj = am.put_object(&roots[PROMISES], &id, ObjType::Map)?;
            am.put(&obj, "author", me.as_str())?;
            am.put(&obj, "text", text)?;
            am.put(&obj, "due", due.as_str())?;
            am.put(&obj, "outcome", PromiseOutcome::Open.as_str())?;
            am.put(&obj, "created", now)?;
            am.put(&obj, "updated", now)?;
            Ok(())
        })?;
        Ok(id)
    }

    /// Records how a promise turned out. Only the partner it was made to may do this:
    /// the point is that keeping a promise is seen, not self-reported.
    /// Setting it back to `Open` clears who decided and when.
    pub fn set_promise_outcome(
        &mut self,
        me: &PartnerId,
        id: &str,
        outcome: PromiseOutcome,
        now: i64,
    ) -> Result<()> {
        let obj = self.doc.locate(KIND, id)?;
        let promise = read_promise(self.doc.am(), id, obj.clone())?;
        if &promise.author == me {
            return Err(JournalError::OwnPromise(id.to_owned()));
        }
        let (by, at) = match outcome {
            PromiseOutcome::Open => (None, None),
            _ => (Some(me.as_str()), Some(now)),
        };
        self.doc.transact(now, |am, _| {
            am.put(&obj, "outcome", outcome.as_str())?;
            put_opt(am, &obj, "outcome_by", by)?;
            put_opt(am, &obj, "outcome_at", at)?;
            am.put(&obj, "updated", now)?;
            Ok(())
        })
    }

    pub fn promises(&self) -> Vec<Promise> {
        self.doc.list(PROMISES, read_promise)
    }

    pub fn get_promise(&self, id: &str) -> Result<Promise> {
        self.doc.get(KIND, id, read_promise)
    }
}

fn read_promise(am: &AutoCommit, id: &str, obj: ObjId) -> Result<Promise> {
    let f = Fields::new(am, obj, KIND, id);
    Ok(Promise {
        id: id.to_owned(),
        author: f.partner("author")?,
        text: f.str("text")?,
        due: f.parsed("due", |s| parse_date(s).ok())?,
        outcome: f.parsed("outcome", PromiseOutcome::from_name)?,
        outcome_by: f.opt_partner("outcome_by")?,
        outcome_at: f.opt_int("outcome_at")?,
        created: f.int("created")?,
        updated: f.int("updated")?,
    })
}
