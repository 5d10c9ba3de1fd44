//! Transparency agreements: boundaries with a scope, a review date and an end
//! date, renewed only when both partners agree to new dates.
//!
//! The rules (who may renew, when an agreement holds) are the journal's
//! (`Boundary::agreement_state`, `Boundary::*_refusal`); the device adds today's
//! date and reads dates as people type them.

use kintsugi_journal::{AgreementTerms, Boundary, EntryKind, JournalError, List, parse_date};

use crate::{Device, Result};

/// Today in this device's calendar: agreements begin, fall due and end on days
/// as the person living them counts days.
pub fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

impl Device {
    /// Proposes a transparency agreement: `text` says what is agreed, `scope` what
    /// it covers, and it is looked at again on `review` and ends by itself on
    /// `ends` (both `YYYY-MM-DD`) unless both renew it. Returns its id.
    pub fn propose_agreement(
        &self,
        text: &str,
        scope: &str,
        review: &str,
        ends: &str,
    ) -> Result<String> {
        let terms = AgreementTerms {
            scope,
            review: parse_date(review.trim())?,
            ends: parse_date(ends.trim())?,
        };
        self.write_shared(|s, me, now| s.propose_agreement(me, text, terms, today(), now))
    }

    /// Proposes new review and end dates; they stand once the partner agrees.
    pub fn renew_agreement(&self, id: &str, review: &str, ends: &str) -> Result<Boundary> {
        let id = self.resolve_shared(id, EntryKind::Boundary)?;
        let (review, ends) = (parse_date(review.trim())?, parse_date(ends.trim())?);
        self.write_shared(|s, me, now| s.renew_agreement(me, &id, review, ends, today(), now))?;
        self.boundary(&id)
    }

    /// Agrees to the new dates the partner proposed.
    pub fn agree_renewal(&self, id: &str) -> Result<Boundary> {
        let id = self.resolve_shared(id, EntryKind::Boundary)?;
        self.write_shared(|s, me, now| s.agree_renewal(me, &id, now))?;
        self.boundary(&id)
    }

    /// Takes back new dates I proposed, before the partner agreed.
    pub fn withdraw_renewal(&self, id: &str) -> Result<Boundary> {
        let id = self.resolve_shared(id, EntryKind::Boundary)?;
        self.write_shared(|s, me, now| s.withdraw_renewal(me, &id, now))?;
        self.boundary(&id)
    }

    /// Ends an agreement now, before its end date (it reads as ended early). A
    /// plain boundary is refused: it is retired, not ended.
    pub fn end_agreement(&self, id: &str) -> Result<Boundary> {
        let id = self.resolve_shared(id, EntryKind::Boundary)?;
        if self.boundary(&id)?.agreement.is_none() {
            return Err(JournalError::NotNow {
                kind: EntryKind::Boundary,
                id,
                reason: "it is a boundary, not a transparency agreement: retire it instead",
            }
            .into());
        }
        self.retire_boundary(&id)
    }

    /// The boundaries that are transparency agreements.
    pub fn agreements(&self) -> Result<Vec<Boundary>> {
        let all: List<Boundary> = self.boundaries()?;
        Ok(all
            .iter()
            .filter(|b| b.agreement.is_some())
            .cloned()
            .collect())
    }
}

#[cfg(test)]
mod tests;
