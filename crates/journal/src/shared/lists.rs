//! The shared journal's list cache: the one place that knows which root map holds
//! which list, so a change to one entry updates one list by one entry.

use automerge::ChangeHash;

use super::{BOUNDARIES, CHECKINS, EXERCISES, LETTERS, PROMISES, SHARED, STEPS, SharedJournal};
use crate::doc::Touched;
use crate::entries::{
    Boundary, CheckIn, Exercise, Letter, Promise, SealedCheckIn, SharedEntry, SharedTrigger,
    SharedTriggerWeek, StageProgress,
};
use crate::lists::{Cached, List};

/// The shared journal's lists as of the heads they were last brought up to date at.
/// Keep one per document: following a document drains its change log.
#[derive(Default)]
pub struct SharedLists {
    seen: Vec<ChangeHash>,
    boundaries: Cached<Boundary>,
    checkins: Cached<CheckIn>,
    /// The same map's entries committed to and not yet revealed.
    sealed: Cached<SealedCheckIn>,
    letters: Cached<Letter>,
    promises: Cached<Promise>,
    shared: Cached<SharedEntry>,
    exercises: Cached<Exercise>,
    /// Fourteen records at most, keyed by stage and partner rather than by time:
    /// read whole whenever one changes.
    stages: Option<List<StageProgress>>,
    triggers: Cached<SharedTrigger>,
    /// A record per partner and week, read by key range: read whole whenever one
    /// changes.
    trend: Option<List<SharedTriggerWeek>>,
}

/// A list's getter and its length, each bringing the cache up to date first.
macro_rules! list {
    ($name:ident, $len:ident, $field:ident, $ty:ty, $read_all:ident) => {
        pub fn $name(&mut self, journal: &mut SharedJournal) -> List<$ty> {
            self.follow(journal);
            self.$field.get(|| journal.$read_all())
        }

        pub fn $len(&mut self, journal: &mut SharedJournal) -> usize {
            self.follow(journal);
            self.$field.len(|| journal.$read_all())
        }
    };
}

impl SharedLists {
    list!(boundaries, boundaries_len, boundaries, Boundary, boundaries);
    list!(checkins, checkins_len, checkins, CheckIn, checkins);
    list!(
        sealed_checkins,
        sealed_checkins_len,
        sealed,
        SealedCheckIn,
        sealed_checkins
    );
    list!(letters, letters_len, letters, Letter, letters);
    list!(promises, promises_len, promises, Promise, promises);
    list!(
        shared_entries,
        shared_entries_len,
        shared,
        SharedEntry,
        shared_entries
    );
    list!(exercises, exercises_len, exercises, Exercise, exercises);

    list!(
        shared_triggers,
        shared_triggers_len,
        triggers,
        SharedTrigger,
        shared_triggers
    );

    pub fn trigger_trend(&mut self, journal: &mut SharedJournal) -> List<SharedTriggerWeek> {
        self.follow(journal);
        self.trend
            .get_or_insert_with(|| journal.trigger_trend().into())
            .clone()
    }

    pub fn stages(&mut self, journal: &mut SharedJournal) -> List<StageProgress> {
        self.follow(journal);
        self.stages
            .get_or_insert_with(|| journal.stages().into())
            .clone()
    }

    /// Applies what changed in `journal` since the last call to the cached lists.
    fn follow(&mut self, journal: &mut SharedJournal) {
        let (touched, heads) = journal.doc.touched_since(&self.seen);
        self.seen = heads;
        let touched = match touched {
            Touched::Nothing => return,
            Touched::Everything => {
                *self = Self {
                    seen: std::mem::take(&mut self.seen),
                    ..Self::default()
                };
                return;
            }
            Touched::Entries(t) => t,
        };
        let ids = |root: usize| {
            touched
                .iter()
                .filter(|(r, _)| *r == root)
                .map(|(_, id)| id.as_str())
                .collect()
        };
        let j = &*journal;
        self.boundaries
            .update(&ids(BOUNDARIES), |id| j.get_boundary(id).ok());
        let checkins = ids(CHECKINS);
        self.checkins.update(&checkins, |id| j.get_checkin(id).ok());
        self.sealed
            .update(&checkins, |id| j.get_sealed_checkin(id).ok());
        self.letters
            .update(&ids(LETTERS), |id| j.get_letter(id).ok());
        self.promises
            .update(&ids(PROMISES), |id| j.get_promise(id).ok());
        // The `shared` map holds shared diary entries and shared moments of the
        // trigger log: each list reads only its own.
        let shared = ids(SHARED);
        self.shared
            .update(&shared, |id| j.get_shared_entry(id).ok());
        self.triggers
            .update(&shared, |id| j.get_shared_trigger(id).ok());
        self.exercises
            .update(&ids(EXERCISES), |id| j.get_exercise(id).ok());
        if touched
            .iter()
            .any(|(r, key)| *r == SHARED && key.starts_with("trend:"))
        {
            self.trend = None;
        }
        if touched.iter().any(|(r, _)| *r == STEPS) {
            self.stages = None;
        }
    }
}
