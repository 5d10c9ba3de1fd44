//! Check-ins revealed together: neither partner's device receives the other's
//! answers for a week until both have saved theirs, so neither can shape their
//! answers after reading the other's.
//!
//! Saving puts only a *commitment* in the shared journal: an entry with the week and
//! a SHA-256 over a random salt and the answers. The salt and the answers stay on the
//! author's device (the device keeps them sealed) until it sees the partner's
//! commitment (or a check-in the partner wrote straight in) for the same week; then
//! it writes them into its entry, and the partner's device checks them against the
//! commitment. Without the salt the hash could be searched: three small scores and a
//! blank answer or two are few enough to try them all.
//!
//! What this guarantees, and what not: a device that was changed on purpose cannot
//! read answers that are not on it, and cannot reveal other answers than the ones it
//! committed to without the other device saying so ([`Revealed::Altered`]). It can
//! still refuse to reveal at all.

use automerge::ObjType;
use automerge::transaction::Transactable;
use sha2::{Digest, Sha256};

use super::checkin::{ANSWERS, answers_in};
use super::{CHECKINS, SharedJournal};
use crate::entries::{CheckInInput, Revealed, SealedCheckIn, Upserted, sort_chronologically};
use crate::error::{JournalError, Result};
use crate::fields::{Fields, put_opt};
use crate::ids::{EntryKind, PartnerId, new_entry_id};
use crate::validate::{CLOSENESS, MOOD, TRUST, parse_week};

const KIND: EntryKind = EntryKind::Checkin;

/// How many random bytes go into a commitment.
pub const COMMITMENT_SALT_LEN: usize = 32;

/// Keeps a commitment from ever meaning anything else.
const DOMAIN: &[u8] = b"kintsugi check-in commitment v1\0";

/// The commitment to a check-in: lowercase hex of SHA-256 over the salt and an
/// unambiguous encoding (each part length-prefixed) of the week, the three scores
/// and the four answers, blank answers counting as absent. Checks the input first,
/// so a commitment is never made to a check-in that could not be saved.
pub fn checkin_commitment(
    input: &CheckInInput,
    salt: &[u8; COMMITMENT_SALT_LEN],
) -> Result<String> {
    let week = parse_week(&input.week)?;
    let scores = [
        MOOD.check(input.mood)?,
        TRUST.check(input.trust)?,
        CLOSENESS.check(input.closeness)?,
    ];
    let answers = answers_in([
        input.went_well.as_deref(),
        input.hard.as_deref(),
        input.need.as_deref(),
        input.appreciate.as_deref(),
    ]);
    Ok(commitment_over(salt, &week, scores, &answers))
}

fn commitment_over(
    salt: &[u8],
    week: &str,
    scores: [u8; 3],
    answers: &[Option<String>; 4],
) -> String {
    let mut h = Sha256::new();
    h.update(DOMAIN);
    h.update(salt);
    let mut part = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    };
    part(week.as_bytes());
    part(&scores);
    for a in answers {
        match a {
            None => part(&[0]),
            Some(text) => {
                part(&[1]);
                part(text.as_bytes());
            }
        }
    }
    hex(&h.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

impl SharedJournal {
    /// Puts my commitment to a check-in for `week` in the journal: my sealed entry
    /// for that week gets the new commitment, or is created. Refused once I have a
    /// check-in for that week that my partner can read (then saving again changes
    /// it in the open, as an edit).
    pub fn commit_checkin(
        &mut self,
        me: &PartnerId,
        week: &str,
        commitment: &str,
        now: i64,
    ) -> Result<Upserted> {
        let week = parse_week(week)?;
        if unhex(commitment).is_none_or(|c| c.len() != 32) {
            return Err(JournalError::Corrupt {
                what: "a check-in commitment is not a SHA-256 in hex".into(),
            });
        }
        if let Some(open) = self.checkin_for(me, &week) {
            return Err(JournalError::AlreadyRevealed(open.id));
        }
        let existing = self.sealed_checkin_for(me, &week);
        let is_new = existing.is_none();
        let (id, obj) = match existing {
            Some(s) => (s.id.clone(), Some(self.doc.locate(KIND, &s.id)?)),
            None => (new_entry_id(now)?, None),
        };
        self.doc.transact(now, |am, roots| {
            let obj = match obj {
                Some(obj) => obj,
                None => {
                    let obj = am.put_object(&roots[CHECKINS], &id, ObjType::Map)?;
                    am.put(&obj, "author", me.as_str())?;
                    am.put(&obj, "week", week.as_str())?;
                    am.put(&obj, "created", now)?;
                    obj
                }
            };
            am.put(&obj, "commitment", commitment)?;
            am.put(&obj, "updated", now)?;
            Ok(())
        })?;
        Ok(Upserted { id, is_new })
    }

    /// Reveals my check-in for `input.week`: writes the scores, the answers and the
    /// salt into my sealed entry, whose commitment they must match (a commitment
    /// made since by another process of mine is refused as [`JournalError::Unchanged`]
    /// would be: the caller keeps the newer one's answers).
    pub fn reveal_checkin(
        &mut self,
        me: &PartnerId,
        input: &CheckInInput,
        salt: &[u8; COMMITMENT_SALT_LEN],
        now: i64,
    ) -> Result<String> {
        let commitment = checkin_commitment(input, salt)?;
        let week = parse_week(&input.week)?;
        let sealed = self
            .sealed_checkin_for(me, &week)
            .ok_or_else(|| JournalError::NothingToReveal(week.clone()))?;
        let obj = self.doc.locate(KIND, &sealed.id)?;
        let f = Fields::new(self.doc.am(), obj.clone(), KIND, &sealed.id);
        if f.str("commitment")? != commitment {
            return Err(JournalError::NotCommitted(week));
        }
        let scores = [input.mood, input.trust, input.closeness];
        let answers = answers_in([
            input.went_well.as_deref(),
            input.hard.as_deref(),
            input.need.as_deref(),
            input.appreciate.as_deref(),
        ]);
        self.doc.transact(now, |am, _| {
            for (field, text) in ANSWERS.into_iter().zip(&answers) {
                put_opt(am, &obj, field, text.as_deref())?;
            }
            am.put(&obj, "mood", i64::from(scores[0]))?;
            am.put(&obj, "trust", i64::from(scores[1]))?;
            am.put(&obj, "closeness", i64::from(scores[2]))?;
            am.put(&obj, "sealed_scores", scores_text(scores))?;
            am.put(&obj, "salt", hex(salt))?;
            am.put(&obj, "updated", now)?;
            Ok(())
        })?;
        Ok(sealed.id)
    }

    /// Check-ins committed to and not yet revealed, oldest first: mine waiting for my
    /// partner's, and my partner's waiting for mine.
    pub fn sealed_checkins(&self) -> Vec<SealedCheckIn> {
        let mut out = self.doc.list(CHECKINS, read_sealed);
        sort_chronologically(&mut out);
        out
    }

    pub fn get_sealed_checkin(&self, id: &str) -> Result<SealedCheckIn> {
        self.doc.get(KIND, id, read_sealed)
    }

    /// One author's sealed check-in for one week, the latest if two processes of
    /// theirs each made one before seeing the other's.
    pub fn sealed_checkin_for(&self, author: &PartnerId, week: &str) -> Option<SealedCheckIn> {
        self.sealed_checkins()
            .into_iter()
            .filter(|c| &c.author == author && c.week == week)
            .max_by(|a, b| (a.updated, &a.id).cmp(&(b.updated, &b.id)))
    }

    /// Whether `author` has saved a check-in for `week` in any form: committed to,
    /// or readable. Once my partner has, my device reveals mine.
    pub fn has_checkin_for(&self, author: &PartnerId, week: &str) -> bool {
        self.sealed_checkin_for(author, week).is_some() || self.checkin_for(author, week).is_some()
    }
}

fn scores_text(scores: [u8; 3]) -> String {
    format!("{} {} {}", scores[0], scores[1], scores[2])
}

/// A check-in entry committed to and not revealed: a commitment, no salt.
fn read_sealed(
    am: &automerge::AutoCommit,
    id: &str,
    obj: automerge::ObjId,
) -> Result<SealedCheckIn> {
    let f = Fields::new(am, obj, KIND, id);
    f.str("commitment")?;
    if f.opt_str("salt")?.is_some() {
        return Err(f.corrupt("salt", "is there: the check-in was revealed"));
    }
    let week = f.str("week")?;
    if parse_week(&week).is_err() {
        return Err(f.corrupt("week", "is not an ISO week"));
    }
    Ok(SealedCheckIn {
        id: id.to_owned(),
        author: f.partner("author")?,
        week,
        created: f.int("created")?,
        updated: f.int("updated")?,
    })
}

/// How a readable check-in came to be: straight in, or revealed against its
/// commitment. The answers checked are the first ones (edits after the reveal are
/// shown as edits), and the scores those written at the reveal.
pub(super) fn revealed(
    f: &Fields<'_>,
    week: &str,
    first: &[Option<String>; 4],
) -> Result<Revealed> {
    let Some(commitment) = f.opt_str("commitment")? else {
        return Ok(Revealed::Direct);
    };
    let salt = f.str("salt")?;
    let scores = f.str("sealed_scores")?;
    let parsed: Option<Vec<u8>> = scores.split(' ').map(|s| s.parse().ok()).collect();
    let (Some(salt), Some(&[m, t, c])) = (unhex(&salt), parsed.as_deref()) else {
        return Ok(Revealed::Altered);
    };
    Ok(
        if commitment_over(&salt, week, [m, t, c], first) == commitment {
            Revealed::Together
        } else {
            Revealed::Altered
        },
    )
}
