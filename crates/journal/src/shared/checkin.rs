//! Weekly check-ins: one per partner per ISO week.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType};

use super::{CHECKINS, SharedJournal};
use crate::entries::{CheckIn, CheckInInput, Upserted, sort_chronologically};
use crate::error::Result;
use crate::fields::{Fields, put_opt};
use crate::ids::{EntryKind, PartnerId, new_entry_id};
use crate::validate::{CLOSENESS, MOOD, TRUST, optional_text, parse_week};

const KIND: EntryKind = EntryKind::Checkin;

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
        let texts = [
            ("went_well", optional_text(input.went_well.as_deref())),
            ("hard", optional_text(input.hard.as_deref())),
            ("need", optional_text(input.need.as_deref())),
            ("appreciate", optional_text(input.appreciate.as_deref())),
        ];
        let existing = match self.checkin_for(me, &week) {
            Some(checkin) => Some((self.doc.locate(KIND, &checkin.id)?, checkin.id)),
            None => None,
        };
        let is_new = existing.is_none();
        let id = match &existing {
            Some((_, id)) => id.clone(),
            None => new_entry_id(now)?,
        };
        self.doc.transact(now, |am, roots| {
            let obj = match existing {
                Some((obj, _)) => obj,
                None => {
                    let obj = am.put_object(&roots[CHECKINS], &id, ObjType::Map)?;
                    am.put(&obj, "author", me.as_str())?;
                    am.put(&obj, "week", week.as_str())?;
                    am.put(&obj, "created", now)?;
                    obj
                }
            };
            am.put(&obj, "mood", i64::from(mood))?;
            am.put(&obj, "trust", i64::from(trust))?;
            am.put(&obj, "closeness", i64::from(closeness))?;
            for (field, text) in texts {
                put_opt(am, &obj, field, text)?;
            }
            am.put(&obj, "updated", now)?;
            Ok(())
        })?;
        Ok(Upserted { id, is_new })
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

fn read_checkin(am: &AutoCommit, id: &str, obj: ObjId) -> Result<CheckIn> {
    let f = Fields::new(am, obj, KIND, id);
    let week = f.str("week")?;
    if parse_week(&week).is_err() {
        return Err(f.corrupt("week", "is not an ISO week"));
    }
    Ok(CheckIn {
        id: id.to_owned(),
        author: f.partner("author")?,
        week,
        mood: f.scale("mood", MOOD)?,
        trust: f.scale("trust", TRUST)?,
        closeness: f.scale("closeness", CLOSENESS)?,
        went_well: f.opt_str("went_well")?,
        hard: f.opt_str("hard")?,
        need: f.opt_str("need")?,
        appreciate: f.opt_str("appreciate")?,
        created: f.int("created")?,
        updated: f.int("updated")?,
    })
}
