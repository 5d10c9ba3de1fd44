//! Weekly check-ins: one per partner per ISO week.
//!
//! The scores are overwritten in place; the four written answers are edits (see
//! [`crate::revisions`]), so the partner sees the answers given before.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType};

use super::{CHECKINS, SharedJournal};
use crate::entries::{CheckIn, CheckInAnswers, CheckInInput, Upserted, sort_chronologically};
use crate::error::{JournalError, Result};
use crate::fields::{Fields, put_opt};
use crate::ids::{EntryKind, PartnerId, new_entry_id};
use crate::revisions::{self, require_author};
use crate::validate::{CLOSENESS, MOOD, TRUST, optional_text, parse_week};

const KIND: EntryKind = EntryKind::Checkin;

/// The written answers, in the order they are stored and shown.
pub(super) const ANSWERS: [&str; 4] = ["went_well", "hard", "need", "appreciate"];

type Answers = [Option<String>; 4];

fn answers_of(c: &CheckIn) -> Answers {
    [
        c.went_well.clone(),
        c.hard.clone(),
        c.need.clone(),
        c.appreciate.clone(),
    ]
}

/// Blank answers are stored as absent (see [`optional_text`]).
pub(super) fn answers_in(a: [Option<&str>; 4]) -> Answers {
    a.map(|t| optional_text(t).map(str::to_owned))
}

impl SharedJournal {
    /// Writes my check-in for `input.week`: updates the one I already have for that
    /// week (keeping its id and creation time) or creates it.
    ///
    /// Blank optional texts are stored as absent.
    pub fn upsert_checkin(
        &mut self,
        me: &PartnerId,
        input: &CheckInInput,
        now: i64,
    ) -> Result<Upserted> {
        let week = parse_week(&input.week)?;
        let mood = MOOD.check(input.mood)?;
        let trust = TRUST.check(input.trust)?;
        let closeness = CLOSENESS.check(input.closeness)?;
        let texts = answers_in([
            input.went_well.as_deref(),
            input.hard.as_deref(),
            input.need.as_deref(),
            input.appreciate.as_deref(),
        ]);
        let existing = match self.checkin_for(me, &week) {
            Some(checkin) => Some((
                self.doc.locate(KIND, &checkin.id)?,
                checkin.id.clone(),
                answers_of(&checkin),
            )),
            None => None,
        };
        let is_new = existing.is_none();
        let id = match &existing {
            Some((_, id, _)) => id.clone(),
            None => new_entry_id(now)?,
        };
        self.doc.transact(now, |am, roots| {
            let obj = match existing {
                Some((obj, _, standing)) => {
                    // Changed answers are an edit: the ones given before stay.
                    if standing != texts {
                        put_answers(am, &obj, me, &texts, now)?;
                    }
                    obj
                }
                None => {
                    let obj = am.put_object(&roots[CHECKINS], &id, ObjType::Map)?;
                    am.put(&obj, "author", me.as_str())?;
                    am.put(&obj, "week", week.as_str())?;
                    am.put(&obj, "created", now)?;
                    for (field, text) in ANSWERS.into_iter().zip(&texts) {
                        put_opt(am, &obj, field, text.as_deref())?;
                    }
                    obj
                }
            };
            am.put(&obj, "mood", i64::from(mood))?;
            am.put(&obj, "trust", i64::from(trust))?;
            am.put(&obj, "closeness", i64::from(closeness))?;
            am.put(&obj, "updated", now)?;
            Ok(())
        })?;
        Ok(Upserted { id, is_new })
    }

    /// Replaces the written answers of my check-in `id` (blank means no answer);
    /// the scores stay. My partner sees that it was edited, and the answers before.
    pub fn edit_checkin(
        &mut self,
        me: &PartnerId,
        id: &str,
        answers: [Option<&str>; 4],
        now: i64,
    ) -> Result<()> {
        let obj = self.doc.locate(KIND, id)?;
        let checkin = read_checkin(self.doc.am(), id, obj.clone())?;
        require_author(&checkin.author, me, KIND, id)?;
        let texts = answers_in(answers);
        if texts == answers_of(&checkin) {
            return Err(JournalError::Unchanged {
                kind: KIND,
                id: id.to_owned(),
            });
        }
        self.doc
            .transact(now, |am, _| put_answers(am, &obj, me, &texts, now))
    }

    /// All check-ins, oldest first, at most one per author and week.
    ///
    /// Two processes of the same partner can each create "the" check-in for a week
    /// before seeing the other's; after the merge we show the most recently updated
    /// one, the same one [`upsert_checkin`](Self::upsert_checkin) will then update.
    pub fn checkins(&self) -> Vec<CheckIn> {
        let mut latest: HashMap<(PartnerId, String), CheckIn> = HashMap::new();
        for checkin in self.doc.list(CHECKINS, read_checkin) {
            match latest.entry((checkin.author.clone(), checkin.week.clone())) {
                Entry::Occupied(mut slot) => {
                    if newer(&checkin, slot.get()) {
                        slot.insert(checkin);
                    }
                }
                Entry::Vacant(slot) => {
                    slot.insert(checkin);
                }
            }
        }
        let mut out: Vec<CheckIn> = latest.into_values().collect();
        sort_chronologically(&mut out);
        out
    }

    /// One author's check-in for one week, if there is one.
    pub fn checkin_for(&self, author: &PartnerId, week: &str) -> Option<CheckIn> {
        self.doc
            .list(CHECKINS, read_checkin)
            .into_iter()
            .filter(|c| &c.author == author && c.week == week)
            .reduce(|a, b| if newer(&b, &a) { b } else { a })
    }

    pub fn get_checkin(&self, id: &str) -> Result<CheckIn> {
        self.doc.get(KIND, id, read_checkin)
    }
}

fn newer(a: &CheckIn, b: &CheckIn) -> bool {
    (a.updated, &a.id) > (b.updated, &b.id)
}

fn put_answers(
    am: &mut AutoCommit,
    obj: &ObjId,
    me: &PartnerId,
    texts: &Answers,
    now: i64,
) -> Result<()> {
    let (rev, _) = revisions::put_revision(am, obj, me, now)?;
    for (field, text) in ANSWERS.into_iter().zip(texts) {
        put_opt(am, &rev, field, text.as_deref())?;
    }
    Ok(())
}

fn read_answers(f: &Fields<'_>) -> Result<Answers> {
    Ok([
        f.opt_str(ANSWERS[0])?,
        f.opt_str(ANSWERS[1])?,
        f.opt_str(ANSWERS[2])?,
        f.opt_str(ANSWERS[3])?,
    ])
}

pub(super) fn read_checkin(am: &AutoCommit, id: &str, obj: ObjId) -> Result<CheckIn> {
    let f = Fields::new(am, obj, KIND, id);
    let week = f.str("week")?;
    if parse_week(&week).is_err() {
        return Err(f.corrupt("week", "is not an ISO week"));
    }
    let author = f.partner("author")?;
    let created = f.int("created")?;
    let revs = revisions::revisions(&f, &author);
    let first = read_answers(&f)?;
    let mood = f.scale("mood", MOOD)?;
    let revealed = super::reveal::revealed(&f, &week, &first)?;
    let history = revisions::edits(first, created, &revs, read_answers);
    let [went_well, hard, need, appreciate] = history.standing;
    Ok(CheckIn {
        id: id.to_owned(),
        author,
        week,
        mood,
        trust: f.scale("trust", TRUST)?,
        closeness: f.scale("closeness", CLOSENESS)?,
        went_well,
        hard,
        need,
        appreciate,
        created,
        updated: f.int("updated")?,
        edited: history.edited,
        earlier: history
            .earlier
            .into_iter()
            .map(|([went_well, hard, need, appreciate], at)| CheckInAnswers {
                went_well,
                hard,
                need,
                appreciate,
                at,
            })
            .collect(),
        revealed,
    })
}
