//! Exercises planned together: the library's exercise proposed for a date,
//! answered, done, and reflected on privately or in the shared journal.
//!
//! The rules of who may do what are the journal's (`Exercise::*_refusal`); the
//! device adds what only it can check: that an exercise is in this build's
//! library, today's date, and that a private reflection goes to the diary only
//! after the same check a shared one passes in the journal.

use kintsugi_journal::{EntryKind, Exercise, JournalError, List, Reflection, parse_date};

use crate::{Device, DeviceError, Field, Result, view};

/// Where a reflection is kept, as its author chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// In the private diary: it never reaches the partner (`view::REFLECTION_PRIVATE`).
    Private,
    /// In the shared journal: the partner's device keeps a copy
    /// (`view::REFLECTION_SHARED`).
    Shared,
}

fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

impl Device {
    /// Proposes the library's exercise `exercise` (its id) for `date`
    /// (`YYYY-MM-DD`, today or later). Returns the planned exercise's id.
    pub fn propose_exercise(&self, exercise: &str, date: &str) -> Result<String> {
        if view::library_exercise(exercise).is_none() {
            return Err(DeviceError::bad_input(
                Field::Exercise,
                format!(
                    "there is no exercise {exercise:?} in the library (`kintsugi exercise library` lists them)"
                ),
            ));
        }
        let date = parse_date(date.trim())?;
        self.write_shared(|s, me, now| s.propose_exercise(me, exercise, date, today(), now))
    }

    /// Accepts the date my partner suggested: it becomes the plan.
    pub fn accept_exercise_date(&self, id: &str) -> Result<Exercise> {
        let id = self.resolve_shared(id, EntryKind::Exercise)?;
        self.write_shared(|s, me, now| s.accept_exercise_date(me, &id, now))?;
        self.exercise(&id)
    }

    /// Suggests another date (`YYYY-MM-DD`): a counter-proposal, or a new date for
    /// one already planned, which stands once my partner accepts it.
    pub fn suggest_exercise_date(&self, id: &str, date: &str) -> Result<Exercise> {
        let id = self.resolve_shared(id, EntryKind::Exercise)?;
        let date = parse_date(date.trim())?;
        self.write_shared(|s, me, now| s.suggest_exercise_date(me, &id, date, today(), now))?;
        self.exercise(&id)
    }

    pub fn mark_exercise_done(&self, id: &str) -> Result<Exercise> {
        let id = self.resolve_shared(id, EntryKind::Exercise)?;
        self.write_shared(|s, me, now| s.mark_exercise_done(me, &id, now))?;
        self.exercise(&id)
    }

    /// Calls it off; it stays in both histories as called off.
    pub fn cancel_exercise(&self, id: &str) -> Result<Exercise> {
        let id = self.resolve_shared(id, EntryKind::Exercise)?;
        self.write_shared(|s, me, now| s.cancel_exercise(me, &id, now))?;
        self.exercise(&id)
    }

    /// Writes my reflection on an exercise I marked done, kept where I chose: a
    /// private one is written to the diary alone and never reaches the shared
    /// journal; a shared one is in the shared journal, and the partner keeps it.
    pub fn reflect_on_exercise(
        &self,
        id: &str,
        text: &str,
        visibility: Visibility,
    ) -> Result<Reflection> {
        let id = self.resolve_shared(id, EntryKind::Exercise)?;
        match visibility {
            Visibility::Shared => {
                let rid = self
                    .write_shared(|s, me, now| s.share_exercise_reflection(me, &id, text, now))?;
                self.exercise(&id)?
                    .reflections
                    .into_iter()
                    .find(|r| r.id == rid)
                    .ok_or(DeviceError::Journal(JournalError::UnknownId(rid)))
            }
            Visibility::Private => {
                let (exercise, me) = self.read_shared(|s, me| (s.get_exercise(&id), me.clone()))?;
                if let Some(reason) = exercise?.reflect_refusal(&me) {
                    return Err(JournalError::NotNow {
                        kind: EntryKind::Exercise,
                        id,
                        reason,
                    }
                    .into());
                }
                let rid = self.write_diary(|d, me, now| d.add_reflection(me, &id, text, now))?;
                Ok(self.read_diary(|d, _| d.get_reflection(&rid))??)
            }
        }
    }

    pub fn exercise(&self, id: &str) -> Result<Exercise> {
        Ok(self.read_shared(|s, _| s.get_exercise(id))??)
    }

    /// Planned exercises, oldest first, with their shared reflections.
    pub fn exercises(&self) -> Result<List<Exercise>> {
        self.cached(|l, j| l.exercises(j))
    }

    /// My private reflections on exercises, from this device's diary.
    pub fn exercise_reflections(&self) -> Result<List<Reflection>> {
        self.cached_diary(|l, d| l.reflections(d))
    }
}

#[cfg(test)]
mod tests;
