//! Boundaries: rules both partners agree to.
//!
//! Status is never stored. `agreed_by` is a map partner → time, and revisiting deletes
//! the keys it has seen, so an agreement made concurrently with a revisit survives the
//! merge, and the status read afterwards follows from what is actually there.
//!
//! A new wording is an amendment (see [`crate::revisions`]): its author proposes
//! it, it stands once both partners agreed, and until then the old wording stands
//! beside it. The boundary's own agreements are separate: they say whether the
//! rule is in force, the amendment's say which wording it has.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType};

use super::{BOUNDARIES, SharedJournal};
use crate::entries::{Amendment, Boundary, BoundaryStatus, Version};
use crate::error::{JournalError, Result};
use crate::fields::Fields;
use crate::ids::{EntryKind, PartnerId, new_entry_id};
use crate::revisions::{self, refuse_withdrawn, require_author};
use crate::validate::{optional_text, require_text};

const KIND: EntryKind = EntryKind::Boundary;

impl SharedJournal {
    /// Proposes a boundary; the proposer's own agreement is recorded with it.
    pub fn propose_boundary(
        &mut self,
        me: &PartnerId,
        text: &str,
        category: Option<&str>,
        now: i64,
    ) -> Result<String> {
        let text = require_text("text", text)?;
        let category = optional_text(category).map(str::trim);
        let id = new_entry_id(now)?;
        self.doc.transact(now, |am, roots| {
            let obj = am.put_object(&roots[BOUNDARIES], &id, ObjType::Map)?;
            am.put(&obj, "author", me.as_str())?;
            am.put(&obj, "text", text)?;
            if let Some(category) = category {
                am.put(&obj, "category", category)?;
            }
            let agreed_by = am.put_object(&obj, "agreed_by", ObjType::Map)?;
            am.put(&agreed_by, me.as_str(), now)?;
            am.put(&obj, "created", now)?;
            am.put(&obj, "updated", now)?;
            Ok(())
        })?;
        Ok(id)
    }

    /// Records my agreement. Once both partners have agreed (again, after a revisit),
    /// the boundary reads as agreed.
    pub fn agree_boundary(&mut self, me: &PartnerId, id: &str, now: i64) -> Result<()> {
        let (obj, boundary, agreed_by) = self.boundary_for_update(id)?;
        if boundary.agreements.iter().any(|(partner, _)| partner == me) {
            return Err(JournalError::AlreadyAgreed(id.to_owned()));
        }
        self.doc.transact(now, |am, _| {
            am.put(&agreed_by, me.as_str(), now)?;
            am.put(&obj, "updated", now)?;
            Ok(())
        })
    }

    /// Asks to talk about a boundary again: clears every agreement so both partners
    /// have to agree anew. Either partner may, in any state but retired; revisiting
    /// a boundary already under revisit just restarts the round.
    pub fn revisit_boundary(&mut self, me: &PartnerId, id: &str, now: i64) -> Result<()> {
        let (obj, boundary, agreed_by) = self.boundary_for_update(id)?;
        self.doc.transact(now, |am, _| {
            for (partner, _) in &boundary.agreements {
                am.delete(&agreed_by, partner.as_str())?;
            }
            am.put(&obj, "revisit_at", now)?;
            am.put(&obj, "revisit_by", me.as_str())?;
            am.put(&obj, "updated", now)?;
            Ok(())
        })
    }

    /// Takes a boundary out of force, for good.
    pub fn retire_boundary(&mut self, me: &PartnerId, id: &str, now: i64) -> Result<()> {
        let (obj, _, _) = self.boundary_for_update(id)?;
        self.doc.transact(now, |am, _| {
            am.put(&obj, "retired_at", now)?;
            am.put(&obj, "retired_by", me.as_str())?;
            am.put(&obj, "updated", now)?;
            Ok(())
        })
    }

    /// Proposes a new wording for my own boundary. It counts once my partner agrees
    /// too ([`agree_amendment`](Self::agree_amendment)); until then the current
    /// wording stands and both are shown. A second proposal replaces a waiting one.
    /// Returns the amendment's id.
    pub fn amend_boundary(
        &mut self,
        me: &PartnerId,
        id: &str,
        text: &str,
        now: i64,
    ) -> Result<String> {
        let text = require_text("text", text)?;
        let (obj, boundary, _) = self.boundary_for_update(id)?;
        require_author(&boundary.author, me, KIND, id)?;
        let waiting = boundary.amendment.as_ref().map(|a| a.text.as_str());
        if waiting.unwrap_or(&boundary.text) == text {
            return Err(JournalError::Unchanged {
                kind: KIND,
                id: id.to_owned(),
            });
        }
        self.doc.transact(now, |am, _| {
            let (rev, rev_id) = revisions::put_amendment(am, &obj, me, now)?;
            am.put(&rev, "text", text)?;
            Ok(rev_id)
        })
    }

    /// Agrees to the new wording my partner proposed for a boundary: from now on it
    /// stands, and the old one is an earlier version.
    pub fn agree_amendment(&mut self, me: &PartnerId, id: &str, now: i64) -> Result<()> {
        let (obj, boundary, _) = self.boundary_for_update(id)?;
        let amendment = revisions::waiting(boundary.amendment, KIND, id)?;
        if amendment.agreements.iter().any(|(p, _)| p == me) {
            return Err(JournalError::AlreadyAgreed(id.to_owned()));
        }
        self.doc.transact(now, |am, _| {
            revisions::agree(am, &obj, KIND, id, &amendment.id, me, now)
        })
    }

    /// Takes back the new wording I proposed, before my partner agreed to it.
    pub fn withdraw_amendment(&mut self, me: &PartnerId, id: &str, now: i64) -> Result<()> {
        let (obj, boundary, _) = self.boundary_for_update(id)?;
        require_author(&boundary.author, me, KIND, id)?;
        let amendment = revisions::waiting(boundary.amendment, KIND, id)?;
        self.doc.transact(now, |am, _| {
            revisions::withdraw_amendment(am, &obj, KIND, id, &amendment.id, now)
        })
    }

    /// Withdraws a boundary I proposed that my partner has not agreed to: it leaves
    /// every list, here and on my partner's device once synced. My partner's device
    /// keeps what it already received (in its history, in exports made before).
    pub fn withdraw_boundary(&mut self, me: &PartnerId, id: &str, now: i64) -> Result<()> {
        let (obj, boundary, _) = self.boundary_for_update(id)?;
        require_author(&boundary.author, me, KIND, id)?;
        if let Some(reason) = boundary.withdraw_refusal() {
            return Err(JournalError::CannotWithdraw {
                kind: KIND,
                id: id.to_owned(),
                reason,
            });
        }
        self.doc
            .transact(now, |am, _| revisions::put_withdrawal(am, &obj, me, now))
    }

    pub fn boundaries(&self) -> Vec<Boundary> {
        self.doc.list(BOUNDARIES, read_boundary)
    }

    pub fn get_boundary(&self, id: &str) -> Result<Boundary> {
        self.doc.get(KIND, id, read_boundary)
    }

    /// The boundary's object, current state and `agreed_by` map, refusing retired ones.
    fn boundary_for_update(&self, id: &str) -> Result<(ObjId, Boundary, ObjId)> {
        let obj = self.doc.locate(KIND, id)?;
        let am = self.doc.am();
        let boundary = read_boundary(am, id, obj.clone())?;
        if boundary.status == BoundaryStatus::Retired {
            return Err(JournalError::BoundaryRetired(id.to_owned()));
        }
        let agreed_by = Fields::new(am, obj.clone(), KIND, id).map("agreed_by")?;
        Ok((obj, boundary, agreed_by))
    }
}

pub(super) fn read_boundary(am: &AutoCommit, id: &str, obj: ObjId) -> Result<Boundary> {
    let f = Fields::new(am, obj, KIND, id);
    let author = f.partner("author")?;
    refuse_withdrawn(&f, &author, KIND, id)?;
    let agreements = f.partner_times("agreed_by")?;
    let revisit_at = f.opt_int("revisit_at")?;
    let retired_at = f.opt_int("retired_at")?;
    let created = f.int("created")?;
    let revs = revisions::revisions(&f, &author);
    let (history, amendment) =
        revisions::amendments(f.str("text")?, created, &revs, |r| r.str("text"));
    Ok(Boundary {
        id: id.to_owned(),
        author,
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
        amendment: amendment.map(|p| Amendment {
            id: p.id,
            text: p.value,
            due: None,
            proposed: p.proposed,
            agreements: p.agreements,
        }),
        category: f.opt_str("category")?,
        status: BoundaryStatus::derive(
            retired_at.is_some(),
            agreements.len(),
            revisit_at.is_some(),
        ),
        agreements,
        created,
        updated: f.int("updated")?,
        revisit_at,
        revisit_by: f.opt_partner("revisit_by")?,
        retired_at,
        retired_by: f.opt_partner("retired_by")?,
    })
}
