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
//!
//! A transparency agreement is a boundary with terms: `scope` (what it covers),
//! `review` and `ends` (`YYYY-MM-DD`), written with the entry. The boundary's own
//! agreements are the consent. New dates are renewals, each a key of its own,
//! `renew:<id>` → map `by`, `at`, `review`, `ends`, `agreed_by` (partner → ms, made
//! holding the proposer's agreement) and `withdrawn_at` once taken back. The
//! renewal agreed last stands, as an exercise's dates do (`exercise.rs`), so a
//! renewal agreed on one device while the other proposes new dates keeps both.
//! Nothing is stored when an agreement ends: it is read as ended from its date.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ReadDoc, Value};
use chrono::NaiveDate;

use super::{BOUNDARIES, SharedJournal};
use crate::entries::{Agreement, Amendment, Boundary, BoundaryStatus, Renewal, Version};
use crate::error::{JournalError, Result};
use crate::fields::Fields;
use crate::ids::{EntryKind, PartnerId, new_entry_id};
use crate::revisions::{self, refuse, refuse_withdrawn, require_author};
use crate::validate::{format_date, optional_text, parse_date, require_text};

const KIND: EntryKind = EntryKind::Boundary;
const RENEW: &str = "renew:";

/// The stored form of an agreement's review and end dates, refusing dates that
/// could not hold: in the past, or a review that does not come before the end.
fn agreement_dates(
    review: NaiveDate,
    ends: NaiveDate,
    today: NaiveDate,
) -> Result<(String, String)> {
    if review < today || ends <= today {
        return Err(JournalError::BadAgreementDates(
            "the review and end dates have to be still to come",
        ));
    }
    if review >= ends {
        return Err(JournalError::BadAgreementDates(
            "the review has to come before the end, so that there is time to talk",
        ));
    }
    let (review, ends) = (format_date(review), format_date(ends));
    // Years outside 0000–9999 would not read back.
    parse_date(&review)?;
    parse_date(&ends)?;
    Ok((review, ends))
}

/// What a transparency agreement holds when it is proposed.
#[derive(Debug, Clone, Copy)]
pub struct AgreementTerms<'a> {
    pub scope: &'a str,
    pub review: NaiveDate,
    pub ends: NaiveDate,
}

impl SharedJournal {
    /// Proposes a boundary; the proposer's own agreement is recorded with it.
    pub fn propose_boundary(
        &mut self,
        me: &PartnerId,
        text: &str,
        category: Option<&str>,
        now: i64,
    ) -> Result<String> {
        self.put_boundary(me, text, category, None, now)
    }

    /// Proposes a transparency agreement: a boundary with a scope, a review date
    /// and an end date (see the module's documentation). It is in force once both
    /// agreed, and ends by itself on its end date unless both renew it.
    pub fn propose_agreement(
        &mut self,
        me: &PartnerId,
        text: &str,
        terms: AgreementTerms<'_>,
        today: NaiveDate,
        now: i64,
    ) -> Result<String> {
        let scope = require_text("scope", terms.scope)?;
        let (review, ends) = agreement_dates(terms.review, terms.ends, today)?;
        self.put_boundary(me, text, None, Some((scope, &review, &ends)), now)
    }

    fn put_boundary(
        &mut self,
        me: &PartnerId,
        text: &str,
        category: Option<&str>,
        terms: Option<(&str, &str, &str)>,
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
            if let Some((scope, review, ends)) = terms {
                am.put(&obj, "scope", scope)?;
                am.put(&obj, "review", review)?;
                am.put(&obj, "ends", ends)?;
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
        let obj = self.amendable(me, id, text)?;
        self.doc
            .transact(now, |am, _| put_boundary_amendment(am, &obj, me, text, now))
    }

    /// The object of my boundary `id`, if `text` would be an amendment of it.
    pub(super) fn amendable(&self, me: &PartnerId, id: &str, text: &str) -> Result<ObjId> {
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
        Ok(obj)
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

    /// Proposes new review and end dates for an agreement both agreed to (also
    /// after it ended). They stand once my partner agrees; a second proposal
    /// replaces one still waiting. Returns the renewal's id.
    pub fn renew_agreement(
        &mut self,
        me: &PartnerId,
        id: &str,
        review: NaiveDate,
        ends: NaiveDate,
        today: NaiveDate,
        now: i64,
    ) -> Result<String> {
        let (obj, boundary, _) = self.boundary_for_update(id)?;
        refuse(KIND, boundary.renew_refusal(), id)?;
        let (review, ends) = agreement_dates(review, ends, today)?;
        let waiting = boundary.agreement.as_ref().and_then(|a| a.renewal.as_ref());
        let rid = new_entry_id(now)?;
        self.doc.transact(now, |am, _| {
            // One waiting at a time: a new proposal takes back the one before.
            if let Some(w) = waiting
                && let Some((Value::Object(ObjType::Map), r)) =
                    am.get(&obj, format!("{RENEW}{}", w.id))?
            {
                am.put(&r, "withdrawn_at", now)?;
            }
            let r = am.put_object(&obj, format!("{RENEW}{rid}"), ObjType::Map)?;
            am.put(&r, "by", me.as_str())?;
            am.put(&r, "at", now)?;
            am.put(&r, "review", review.as_str())?;
            am.put(&r, "ends", ends.as_str())?;
            let agreed_by = am.put_object(&r, "agreed_by", ObjType::Map)?;
            am.put(&agreed_by, me.as_str(), now)?;
            am.put(&obj, "updated", now)?;
            Ok(())
        })?;
        Ok(rid)
    }

    /// Agrees to the new dates my partner proposed: from now on they stand.
    pub fn agree_renewal(&mut self, me: &PartnerId, id: &str, now: i64) -> Result<()> {
        let (obj, boundary, _) = self.boundary_for_update(id)?;
        refuse(KIND, boundary.agree_renewal_refusal(me), id)?;
        let Some(renewal) = boundary.agreement.and_then(|a| a.renewal) else {
            return refuse(KIND, Some("no renewal is waiting"), id);
        };
        self.doc.transact(now, |am, _| {
            let r = match am.get(&obj, format!("{RENEW}{}", renewal.id))? {
                Some((Value::Object(ObjType::Map), r)) => r,
                _ => return refuse(KIND, Some("no renewal is waiting"), id),
            };
            let agreed_by = Fields::new(am, r, KIND, id).map("agreed_by")?;
            am.put(&agreed_by, me.as_str(), now)?;
            am.put(&obj, "updated", now)?;
            Ok(())
        })
    }

    /// Takes back new dates I proposed, before my partner agreed to them.
    pub fn withdraw_renewal(&mut self, me: &PartnerId, id: &str, now: i64) -> Result<()> {
        let (obj, boundary, _) = self.boundary_for_update(id)?;
        refuse(KIND, boundary.withdraw_renewal_refusal(me), id)?;
        let Some(renewal) = boundary.agreement.and_then(|a| a.renewal) else {
            return refuse(KIND, Some("no renewal is waiting"), id);
        };
        self.doc.transact(now, |am, _| {
            if let Some((Value::Object(ObjType::Map), r)) =
                am.get(&obj, format!("{RENEW}{}", renewal.id))?
            {
                am.put(&r, "withdrawn_at", now)?;
            }
            am.put(&obj, "updated", now)?;
            Ok(())
        })
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
        agreement: read_agreement(&f)?,
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

/// A renewal as stored, with everyone who agreed to it.
struct Stored {
    renewal: Renewal,
    withdrawn: bool,
}

/// The agreement's terms, for a boundary that has them. The first dates stand
/// until a renewal is agreed by both; the one agreed last stands after that, and
/// only the latest proposal can be waiting. A malformed renewal is skipped, never
/// the entry.
fn read_agreement(f: &Fields<'_>) -> Result<Option<Agreement>> {
    let Some(scope) = f.opt_str("scope")? else {
        return Ok(None);
    };
    let date = |field| f.parsed(field, |s| parse_date(s).ok());
    let (mut review, mut ends) = (date("review")?, date("ends")?);
    let mut stored: Vec<Stored> = f
        .prefixed_maps(RENEW)
        .filter_map(|(id, obj)| {
            let r = f.nested(obj);
            let date = |field| r.parsed(field, |s| parse_date(s).ok()).ok();
            Some(Stored {
                renewal: Renewal {
                    id,
                    by: r.partner("by").ok()?,
                    at: r.int("at").ok()?,
                    review: date("review")?,
                    ends: date("ends")?,
                    agreements: r.partner_times("agreed_by").unwrap_or_default(),
                },
                withdrawn: r.opt_int("withdrawn_at").ok()?.is_some(),
            })
            .filter(|s| s.renewal.review < s.renewal.ends)
        })
        .collect();
    stored.sort_by(|a, b| (a.renewal.at, &a.renewal.id).cmp(&(b.renewal.at, &b.renewal.id)));
    let mut standing: Option<(i64, usize)> = None;
    let mut waiting = None;
    for (i, s) in stored.iter().enumerate() {
        if s.renewal.agreements.len() >= 2 {
            let when = s.renewal.agreements.iter().map(|(_, t)| *t).max();
            let when = when.unwrap_or(s.renewal.at);
            if standing.is_none_or(|(w, _)| when >= w) {
                standing = Some((when, i));
            }
            waiting = None;
        } else if !s.withdrawn {
            waiting = Some(i);
        }
    }
    if let Some((_, i)) = standing {
        (review, ends) = (stored[i].renewal.review, stored[i].renewal.ends);
    }
    let keep = |i: usize| standing.map(|(_, s)| s) == Some(i) || waiting == Some(i);
    let superseded = (0..stored.len())
        .filter(|&i| !keep(i))
        .map(|i| format!("{RENEW}{}", stored[i].renewal.id))
        .collect();
    Ok(Some(Agreement {
        scope,
        review,
        ends,
        renewed: standing.map(|(when, _)| when),
        renewal: waiting.map(|i| stored[i].renewal.clone()),
        superseded,
    }))
}

/// Writes new wording for a boundary [`SharedJournal::amendable`] allowed; returns
/// the amendment's id.
pub(super) fn put_boundary_amendment(
    am: &mut AutoCommit,
    boundary: &ObjId,
    me: &PartnerId,
    text: &str,
    now: i64,
) -> Result<String> {
    let (rev, rev_id) = revisions::put_amendment(am, boundary, me, now)?;
    am.put(&rev, "text", text)?;
    Ok(rev_id)
}
