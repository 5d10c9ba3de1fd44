//! Exercises the partners plan together: one proposes an exercise from the library
//! for a date, the other accepts it or suggests another date (which the first then
//! accepts, or counters again), both mark it done, and each may share a reflection.
//!
//! # Layout
//!
//! An entry of the `exercises` map holds `author` (who proposed it), `exercise`
//! (the library's id), `done` (map partner → ms, made empty with the entry),
//! `created`, `updated`, and `cancelled_at`/`cancelled_by` once called off. Like
//! the revisions of other entries (`revisions.rs`), everything added later is a
//! key of its own, never a nested object two devices could create at once:
//!
//! - `date:<id>` → map: `by`, `at`, `date` (`YYYY-MM-DD`) and `agreed_by` (partner
//!   → ms) made holding the suggester's agreement. The first proposal is one too,
//!   written with the entry. Accepting adds the other partner to its `agreed_by`.
//! - `reflection:<id>` → map: `by`, `at`, `text`: a reflection its author chose to
//!   share. Private reflections live in the author's diary (`diary.rs`).
//!
//! What stands is derived when read: the date agreed last (by the time of its
//! second agreement) is the plan, and only the latest suggestion can be waiting.
//! So an acceptance and a new suggestion made at once on two devices both land:
//! the plan holds the accepted date, and the new one waits beside it.
//!
//! Who may do what is said once, by `Exercise`'s `*_refusal` methods
//! (`entries.rs`): the commands below refuse with their reasons, and a front end
//! offers a button only when the reason is `None`.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ReadDoc, Value};
use chrono::NaiveDate;

use super::{EXERCISES, SharedJournal};
use crate::entries::{DateProposal, Exercise, ExerciseStatus, Reflection};
use crate::error::{JournalError, Result};
use crate::fields::Fields;
use crate::ids::{EntryKind, PartnerId, new_entry_id};
use crate::revisions::refuse;
use crate::validate::{format_date, parse_date, require_text};

const KIND: EntryKind = EntryKind::Exercise;
const DATE: &str = "date:";
const REFLECTION: &str = "reflection:";

/// The longest exercise id a library may use.
const MAX_EXERCISE_ID: usize = 64;

/// Whether `id` could name an exercise of a library: the journal cannot know
/// which library the partner's version has, only that an id is a plain name.
pub fn valid_exercise_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_EXERCISE_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The stored form of a date for an exercise, refusing one before `today`.
fn future_date(date: NaiveDate, today: NaiveDate) -> Result<String> {
    let stored = format_date(date);
    // Years outside 0000–9999 would not read back.
    parse_date(&stored)?;
    if date < today {
        return Err(JournalError::PastDate(stored));
    }
    Ok(stored)
}

/// Writes a date suggestion by `me` into the entry, holding my agreement.
fn put_date(
    am: &mut AutoCommit,
    entry: &ObjId,
    me: &PartnerId,
    date: &str,
    now: i64,
) -> Result<String> {
    let id = new_entry_id(now)?;
    let p = am.put_object(entry, format!("{DATE}{id}"), ObjType::Map)?;
    am.put(&p, "by", me.as_str())?;
    am.put(&p, "at", now)?;
    am.put(&p, "date", date)?;
    let agreed_by = am.put_object(&p, "agreed_by", ObjType::Map)?;
    am.put(&agreed_by, me.as_str(), now)?;
    am.put(entry, "updated", now)?;
    Ok(id)
}

impl SharedJournal {
    /// Proposes the library's exercise `exercise` for `date` (today or later).
    /// Returns the id of the planned exercise.
    pub fn propose_exercise(
        &mut self,
        me: &PartnerId,
        exercise: &str,
        date: NaiveDate,
        today: NaiveDate,
        now: i64,
    ) -> Result<String> {
        if !valid_exercise_id(exercise) {
            return Err(JournalError::BadExercise(exercise.to_owned()));
        }
        let date = future_date(date, today)?;
        let id = new_entry_id(now)?;
        self.doc.transact(now, |am, roots| {
            let obj = am.put_object(&roots[EXERCISES], &id, ObjType::Map)?;
            am.put(&obj, "author", me.as_str())?;
            am.put(&obj, "exercise", exercise)?;
            am.put_object(&obj, "done", ObjType::Map)?;
            am.put(&obj, "created", now)?;
            put_date(am, &obj, me, &date, now)?;
            Ok(())
        })?;
        Ok(id)
    }

    /// Accepts the date waiting for my answer: from now on it is the plan.
    pub fn accept_exercise_date(&mut self, me: &PartnerId, id: &str, now: i64) -> Result<()> {
        let (obj, exercise) = self.exercise_for_update(id)?;
        refuse(KIND, exercise.accept_refusal(me), id)?;
        let Some(waiting) = exercise.waiting else {
            return refuse(KIND, Some("no date is waiting for an answer"), id);
        };
        self.doc.transact(now, |am, _| {
            let p = match am.get(&obj, format!("{DATE}{}", waiting.id))? {
                Some((Value::Object(ObjType::Map), p)) => p,
                _ => return refuse(KIND, Some("no date is waiting for an answer"), id),
            };
            let agreed_by = Fields::new(am, p, KIND, id).map("agreed_by")?;
            am.put(&agreed_by, me.as_str(), now)?;
            am.put(&obj, "updated", now)?;
            Ok(())
        })
    }

    /// Suggests another date (today or later): a counter-proposal to a date
    /// waiting, or a new date for one already planned, which then stands only once
    /// my partner accepts it. Returns the suggestion's id.
    pub fn suggest_exercise_date(
        &mut self,
        me: &PartnerId,
        id: &str,
        date: NaiveDate,
        today: NaiveDate,
        now: i64,
    ) -> Result<String> {
        let (obj, exercise) = self.exercise_for_update(id)?;
        refuse(KIND, exercise.suggest_refusal(), id)?;
        if exercise.date_on_the_table() == Some(date) {
            return Err(JournalError::Unchanged {
                kind: KIND,
                id: id.to_owned(),
            });
        }
        let date = future_date(date, today)?;
        self.doc
            .transact(now, |am, _| put_date(am, &obj, me, &date, now))
    }

    /// Marks it done for me, once a date was agreed.
    pub fn mark_exercise_done(&mut self, me: &PartnerId, id: &str, now: i64) -> Result<()> {
        let (obj, exercise) = self.exercise_for_update(id)?;
        refuse(KIND, exercise.done_refusal(me), id)?;
        self.doc.transact(now, |am, _| {
            let done = Fields::new(am, obj.clone(), KIND, id).map("done")?;
            am.put(&done, me.as_str(), now)?;
            am.put(&obj, "updated", now)?;
            Ok(())
        })
    }

    /// Calls it off, before anyone marked it done. It stays in both histories as
    /// called off, by whom and when.
    pub fn cancel_exercise(&mut self, me: &PartnerId, id: &str, now: i64) -> Result<()> {
        let (obj, exercise) = self.exercise_for_update(id)?;
        refuse(KIND, exercise.cancel_refusal(), id)?;
        self.doc.transact(now, |am, _| {
            am.put(&obj, "cancelled_at", now)?;
            am.put(&obj, "cancelled_by", me.as_str())?;
            am.put(&obj, "updated", now)?;
            Ok(())
        })
    }

    /// Shares a reflection on an exercise I marked done. My partner's device keeps
    /// it once synced; a private one goes to the diary instead
    /// ([`PrivateDiary::add_reflection`](crate::PrivateDiary::add_reflection)).
    pub fn share_exercise_reflection(
        &mut self,
        me: &PartnerId,
        id: &str,
        text: &str,
        now: i64,
    ) -> Result<String> {
        let text = require_text("reflection", text)?;
        let (obj, exercise) = self.exercise_for_update(id)?;
        refuse(KIND, exercise.reflect_refusal(me), id)?;
        let rid = new_entry_id(now)?;
        self.doc.transact(now, |am, _| {
            let r = am.put_object(&obj, format!("{REFLECTION}{rid}"), ObjType::Map)?;
            am.put(&r, "by", me.as_str())?;
            am.put(&r, "at", now)?;
            am.put(&r, "text", text)?;
            am.put(&obj, "updated", now)?;
            Ok(())
        })?;
        Ok(rid)
    }

    pub fn exercises(&self) -> Vec<Exercise> {
        self.doc.list(EXERCISES, read_exercise)
    }

    pub fn get_exercise(&self, id: &str) -> Result<Exercise> {
        self.doc.get(KIND, id, read_exercise)
    }

    fn exercise_for_update(&self, id: &str) -> Result<(ObjId, Exercise)> {
        let obj = self.doc.locate(KIND, id)?;
        let exercise = read_exercise(self.doc.am(), id, obj.clone())?;
        Ok((obj, exercise))
    }
}

/// A date suggestion with everyone who agreed to it.
struct Suggested {
    proposal: DateProposal,
    agreements: Vec<(PartnerId, i64)>,
}

/// The readable date suggestions of an entry, oldest first (ties by id, so both
/// devices order them alike). A malformed one is skipped, never the entry.
fn suggestions(f: &Fields<'_>) -> Vec<Suggested> {
    let mut out: Vec<Suggested> = f
        .prefixed_maps(DATE)
        .filter_map(|(id, obj)| {
            let p = f.nested(obj);
            let by = p.partner("by").ok()?;
            let at = p.int("at").ok()?;
            let date = p.parsed("date", |s| parse_date(s).ok()).ok()?;
            let agreements = p.partner_times("agreed_by").unwrap_or_default();
            Some(Suggested {
                proposal: DateProposal {
                    id,
                    by,
                    date,
                    at,
                    agreed: None,
                },
                agreements,
            })
        })
        .collect();
    out.sort_by(|a, b| (a.proposal.at, &a.proposal.id).cmp(&(b.proposal.at, &b.proposal.id)));
    out
}

/// The shared reflections of an entry, oldest first.
fn reflections(f: &Fields<'_>, exercise: &str) -> Vec<Reflection> {
    let mut out: Vec<Reflection> = f
        .prefixed_maps(REFLECTION)
        .filter_map(|(id, obj)| {
            let r = f.nested(obj);
            let text = r.str("text").ok().filter(|t| !t.trim().is_empty())?;
            Some(Reflection {
                id,
                exercise: exercise.to_owned(),
                author: r.partner("by").ok()?,
                text,
                created: r.int("at").ok()?,
                private: false,
            })
        })
        .collect();
    out.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
    out
}

/// The keys of the dates suggested for `e` that count for nothing it reads now:
/// neither the agreed date that stands nor the one waiting. A release of history
/// leaves them out.
pub(super) fn superseded_dates(e: &Exercise) -> Vec<String> {
    // The same rule as the reader's: the latest agreement stands, a later
    // suggestion winning a tie.
    let standing = e
        .proposals
        .iter()
        .enumerate()
        .filter_map(|(i, p)| Some(((p.agreed?, i), p.id.as_str())))
        .max_by_key(|(at, _)| *at)
        .map(|(_, id)| id);
    let waiting = e.waiting.as_ref().map(|w| w.id.as_str());
    e.proposals
        .iter()
        .filter(|p| Some(p.id.as_str()) != standing && Some(p.id.as_str()) != waiting)
        .map(|p| format!("{DATE}{}", p.id))
        .collect()
}

pub(super) fn read_exercise(am: &AutoCommit, id: &str, obj: ObjId) -> Result<Exercise> {
    let f = Fields::new(am, obj, KIND, id);
    let author = f.partner("author")?;
    let exercise = f.parsed("exercise", |s| valid_exercise_id(s).then(|| s.to_owned()))?;
    let done = f.partner_times("done")?;
    let cancelled_at = f.opt_int("cancelled_at")?;
    let cancelled_by = f.opt_partner("cancelled_by")?;

    let mut suggested = suggestions(&f);
    if suggested.is_empty() {
        return Err(f.corrupt("date", "has no readable suggestion"));
    }
    // The date agreed last stands; only the latest suggestion can be waiting.
    let mut agreed: Option<(i64, usize)> = None;
    let mut waiting = None;
    for (i, s) in suggested.iter_mut().enumerate() {
        // Keys of one map, so each partner counts once.
        if s.agreements.len() >= 2 {
            let when = s
                .agreements
                .iter()
                .map(|(_, t)| *t)
                .max()
                .unwrap_or(s.proposal.at);
            s.proposal.agreed = Some(when);
            if agreed.is_none_or(|(w, _)| when >= w) {
                agreed = Some((when, i));
            }
            waiting = None;
        } else {
            waiting = Some(i);
        }
    }
    let date = agreed.map(|(_, i)| suggested[i].proposal.date);
    let waiting = waiting.map(|i| suggested[i].proposal.clone());

    let status = if cancelled_at.is_some() && cancelled_by.is_some() {
        ExerciseStatus::Cancelled
    } else if done.len() >= 2 {
        ExerciseStatus::Done
    } else if date.is_some() {
        ExerciseStatus::Planned
    } else {
        ExerciseStatus::Proposed
    };
    Ok(Exercise {
        id: id.to_owned(),
        reflections: reflections(&f, id),
        author,
        exercise,
        status,
        date,
        waiting,
        proposals: suggested.into_iter().map(|s| s.proposal).collect(),
        done,
        cancelled_at,
        cancelled_by,
        created: f.int("created")?,
        updated: f.int("updated")?,
    })
}
