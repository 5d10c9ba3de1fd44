//! Promises: made by one partner, their outcome confirmed by the other.
//!
//! Renegotiating is an amendment (see [`crate::revisions`]): the author proposes new
//! terms (wording and due date), they stand once the partner agrees, and the terms
//! they replaced stay readable as the promise's follow-through chain. An outcome
//! recorded before the current terms were agreed belonged to earlier terms.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType};
use chrono::NaiveDate;

use super::{PROMISES, SharedJournal};
use crate::entries::{Amendment, Promise, PromiseOutcome, Version};
use crate::error::{JournalError, Result};
use crate::fields::{Fields, put_opt};
use crate::ids::{EntryKind, PartnerId, new_entry_id};
use crate::revisions::{self, refuse_withdrawn, require_author};
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
        let terms = terms(text, due)?;
        self.doc.transact(now, |am, roots| {
            put_promise(am, &roots[PROMISES], me, terms, now)
        })
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

    /// Proposes new terms for my own promise: a new wording, a new due date, or
    /// both (`None` keeps what the terms on the table say: a waiting proposal's,
    /// else the current ones). They count once my partner agrees
    /// ([`agree_promise_terms`](Self::agree_promise_terms)); until then the current
    /// terms stand. A second proposal replaces a waiting one. Returns its id.
    pub fn renegotiate_promise(
        &mut self,
        me: &PartnerId,
        id: &str,
        text: Option<&str>,
        due: Option<NaiveDate>,
        now: i64,
    ) -> Result<String> {
        let text = text.map(|t| require_text("text", t)).transpose()?;
        let due = due.map(format_date);
        if let Some(due) = &due {
            parse_date(due)?;
        }
        let obj = self.doc.locate(KIND, id)?;
        let promise = read_promise(self.doc.am(), id, obj.clone())?;
        require_author(&promise.author, me, KIND, id)?;
        let (from_text, from_due) = match &promise.renegotiation {
            Some(r) => (r.text.as_str(), r.due.unwrap_or(promise.due)),
            None => (promise.text.as_str(), promise.due),
        };
        // What is not given is kept from the terms on the table.
        let text = text.unwrap_or(from_text);
        let due = due.unwrap_or_else(|| format_date(from_due));
        if text == from_text && due == format_date(from_due) {
            return Err(JournalError::Unchanged {
                kind: KIND,
                id: id.to_owned(),
            });
        }
        self.doc.transact(now, |am, _| {
            let (rev, rev_id) = revisions::put_amendment(am, &obj, me, now)?;
            am.put(&rev, "text", text)?;
            am.put(&rev, "due", due.as_str())?;
            Ok(rev_id)
        })
    }

    /// Agrees to the new terms my partner proposed for their promise.
    pub fn agree_promise_terms(&mut self, me: &PartnerId, id: &str, now: i64) -> Result<()> {
        let obj = self.doc.locate(KIND, id)?;
        let promise = read_promise(self.doc.am(), id, obj.clone())?;
        let terms = revisions::waiting(promise.renegotiation, KIND, id)?;
        if terms.agreements.iter().any(|(p, _)| p == me) {
            return Err(JournalError::AlreadyAgreed(id.to_owned()));
        }
        self.doc.transact(now, |am, _| {
            revisions::agree(am, &obj, KIND, id, &terms.id, me, now)
        })
    }

    /// Takes back new terms I proposed, before my partner agreed to them.
    pub fn withdraw_promise_terms(&mut self, me: &PartnerId, id: &str, now: i64) -> Result<()> {
        let obj = self.doc.locate(KIND, id)?;
        let promise = read_promise(self.doc.am(), id, obj.clone())?;
        require_author(&promise.author, me, KIND, id)?;
        let terms = revisions::waiting(promise.renegotiation, KIND, id)?;
        self.doc.transact(now, |am, _| {
            revisions::withdraw_amendment(am, &obj, KIND, id, &terms.id, now)
        })
    }

    /// Withdraws a promise I made that is not yet due (`today` is before its due
    /// date) and has no outcome: it leaves every list, here and on my partner's
    /// device once synced. My partner's device keeps what it already received.
    pub fn withdraw_promise(
        &mut self,
        me: &PartnerId,
        id: &str,
        today: NaiveDate,
        now: i64,
    ) -> Result<()> {
        let obj = self.doc.locate(KIND, id)?;
        let promise = read_promise(self.doc.am(), id, obj.clone())?;
        require_author(&promise.author, me, KIND, id)?;
        if let Some(reason) = promise.withdraw_refusal(today) {
            return Err(JournalError::CannotWithdraw {
                kind: KIND,
                id: id.to_owned(),
                reason,
            });
        }
        self.doc
            .transact(now, |am, _| revisions::put_withdrawal(am, &obj, me, now))
    }

    pub fn promises(&self) -> Vec<Promise> {
        self.doc.list(PROMISES, read_promise)
    }

    pub fn get_promise(&self, id: &str) -> Result<Promise> {
        self.doc.get(KIND, id, read_promise)
    }
}

/// A new promise's wording and due date as stored, checked.
pub(super) fn terms(text: &str, due: NaiveDate) -> Result<(&str, String)> {
    let text = require_text("text", text)?;
    let due = format_date(due);
    // Years outside 0000–9999 would not read back.
    parse_date(&due)?;
    Ok((text, due))
}

/// Writes a new promise of mine with checked [`terms`]; returns its id.
pub(super) fn put_promise(
    am: &mut AutoCommit,
    promises: &ObjId,
    me: &PartnerId,
    (text, due): (&str, String),
    now: i64,
) -> Result<String> {
    let id = new_entry_id(now)?;
    let obj = am.put_object(promises, &id, ObjType::Map)?;
    am.put(&obj, "author", me.as_str())?;
    am.put(&obj, "text", text)?;
    am.put(&obj, "due", due.as_str())?;
    am.put(&obj, "outcome", PromiseOutcome::Open.as_str())?;
    am.put(&obj, "created", now)?;
    am.put(&obj, "updated", now)?;
    Ok(id)
}

fn read_due(f: &Fields<'_>) -> Result<NaiveDate> {
    f.parsed("due", |s| parse_date(s).ok())
}

pub(super) fn read_promise(am: &AutoCommit, id: &str, obj: ObjId) -> Result<Promise> {
    let f = Fields::new(am, obj, KIND, id);
    let author = f.partner("author")?;
    refuse_withdrawn(&f, &author, KIND, id)?;
    let created = f.int("created")?;
    let revs = revisions::revisions(&f, &author);
    let original = (f.str("text")?, read_due(&f)?);
    let (history, renegotiation) = revisions::amendments(original, created, &revs, |r| {
        Ok((r.str("text")?, read_due(r)?))
    });
    let mut outcome = f.parsed("outcome", PromiseOutcome::from_name)?;
    let mut outcome_by = f.opt_partner("outcome_by")?;
    let mut outcome_at = f.opt_int("outcome_at")?;
    if let Some(agreed) = history.edited
        && outcome_at.is_none_or(|at| at < agreed)
    {
        // Recorded for terms that no longer stand.
        (outcome, outcome_by, outcome_at) = (PromiseOutcome::Open, None, None);
    }
    let (text, due) = history.standing;
    Ok(Promise {
        id: id.to_owned(),
        author,
        text,
        due,
        outcome,
        outcome_by,
        outcome_at,
        created,
        updated: f.int("updated")?,
        edited: history.edited,
        earlier: history
            .earlier
            .into_iter()
            .map(|((text, due), at)| Version {
                text,
                due: Some(due),
                at,
            })
            .collect(),
        renegotiation: renegotiation.map(|p| Amendment {
            id: p.id,
            text: p.value.0,
            due: Some(p.value.1),
            proposed: p.proposed,
            agreements: p.agreements,
        }),
    })
}
