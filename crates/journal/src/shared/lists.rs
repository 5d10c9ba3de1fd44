//! The shared journal's list cache: the one place that knows which root map holds
//! which list, so a change to one entry updates one list by one entry.

use automerge::ChangeHash;

use super::{BOUNDARIES, CHECKINS, LETTERS, PROMISES, SHARED, STEPS, SharedJournal};
use crate::doc::Touched;
use crate::entries::{
    Boundary, CheckIn, Letter, Promise, SharedEntry, SharedTrigger, SharedTriggerWeek,
    StageProgress,
};
use crate::lists::{Cached, List};

/// The shared journal's lists as of the heads they were last brought up to date at.
/// Keep one per document: following a document drains its change log.
#[derive(Default)]
pub struct SharedLists {
    seen: Vec<ChangeHash>,
    boundaries: Cached<Boundary>,
    checkins: Cached<CheckIn>,
    letters: Cached<Letter>,
    promises: Cached<Promise>,
    shared: Cached<SharedEntry>,
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
    list!(letters, letters_len, letters, Letter, letters);
    list!(promises, promises_len, promises, Promise, promises);
    list!(
        shared_entries,
        shared_entries_len,
        shared,
        SharedEntry,
        shared_entries
    );

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
        self.checkins
            .update(&ids(CHECKINS), |id| j.get_checkin(id).ok());
        self.letters
            .update(&ids(LETTERS), |id| j.get_letter(id).ok());
        self.promises
            .update(&ids(PROMISES), |id| j.get_promise(id).ok());
        self.shared
            .update(&ids(SHARED), |id| j.get_shared_entry(id).ok());
        self.triggers
            .update(&ids(SHARED), |id| j.get_shared_trigger(id).ok());
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
