//! Lists that cost nothing to hand out and little to keep current.
//!
//! A window asks for the same lists on every change, and the partner's device sends a
//! change at a time. Reading 10,000 entries out of Automerge takes about 80 ms and
//! copying them about 4 ms, so a list read afresh or copied per change kept a partner's
//! entry off the screen for a tenth of a second (issue 12's glass-to-glass figure).
//! Instead each list is shared behind an `Arc` with its entries behind their own
//! `Arc`s, and a cache brings it up to date from Automerge's patches: only the entries
//! a change touched are read again, and the new list shares every other entry with
//! the old one.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use serde::{Serialize, Serializer};

use crate::entries::Chronological;

/// Entries of one kind in display order (oldest first for journal entries).
/// Cloning is one reference count; lists are never changed in place, a new list
/// replaces the old one.
pub struct List<T>(Arc<Vec<Arc<T>>>);

impl<T> List<T> {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, index: usize) -> Option<&T> {
        self.0.get(index).map(|e| &**e)
    }

    pub fn first(&self) -> Option<&T> {
        self.get(0)
    }

    pub fn last(&self) -> Option<&T> {
        self.0.last().map(|e| &**e)
    }

    pub fn iter(&self) -> Iter<'_, T> {
        Iter(self.0.iter())
    }

    /// Whether both lists are the very same list (not merely equal): a front end
    /// can skip work derived from a list that did not change.
    pub fn same(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    pub fn to_vec(&self) -> Vec<T>
    where
        T: Clone,
    {
        self.iter().cloned().collect()
    }
}

impl<T> Clone for List<T> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<T> Default for List<T> {
    fn default() -> Self {
        Self(Arc::new(Vec::new()))
    }
}

impl<T: fmt::Debug> fmt::Debug for List<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T: PartialEq> PartialEq for List<T> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

/// Panics out of range, as a slice does; [`List::get`] does not.
impl<T> std::ops::Index<usize> for List<T> {
    type Output = T;

    fn index(&self, index: usize) -> &T {
        &self.0[index]
    }
}

impl<T> FromIterator<T> for List<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Self(Arc::new(iter.into_iter().map(Arc::new).collect()))
    }
}

impl<T> From<Vec<T>> for List<T> {
    fn from(v: Vec<T>) -> Self {
        v.into_iter().collect()
    }
}

impl<T: Serialize> Serialize for List<T> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

/// Borrowing iterator over a [`List`].
pub struct Iter<'a, T>(std::slice::Iter<'a, Arc<T>>);

impl<T> Clone for Iter<'_, T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<'a, T> Iterator for Iter<'a, T> {
    type Item = &'a T;

    fn next(&mut self) -> Option<&'a T> {
        self.0.next().map(|e| &**e)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl<T> DoubleEndedIterator for Iter<'_, T> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|e| &**e)
    }
}

impl<T> ExactSizeIterator for Iter<'_, T> {}

impl<'a, T> IntoIterator for &'a List<T> {
    type Item = &'a T;
    type IntoIter = Iter<'a, T>;

    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

/// Owned entries, each copied unless this was the list's last holder: for callers
/// that keep or take apart what they list. Borrow (`&list`) to only look.
impl<T: Clone> IntoIterator for List<T> {
    type Item = T;
    type IntoIter = std::iter::Map<std::vec::IntoIter<Arc<T>>, fn(Arc<T>) -> T>;

    fn into_iter(self) -> Self::IntoIter {
        let entries = Arc::unwrap_or_clone(self.0);
        entries
            .into_iter()
            .map(Arc::unwrap_or_clone as fn(Arc<T>) -> T)
    }
}

/// One cached list of a chronological entry kind.
pub(crate) struct Cached<T>(Option<List<T>>);

impl<T> Default for Cached<T> {
    fn default() -> Self {
        Self(None)
    }
}

impl<T: Chronological> Cached<T> {
    /// The list, read whole with `read_all` if nothing is cached.
    pub(crate) fn get(&mut self, read_all: impl FnOnce() -> Vec<T>) -> List<T> {
        self.0.get_or_insert_with(|| read_all().into()).clone()
    }

    pub(crate) fn len(&mut self, read_all: impl FnOnce() -> Vec<T>) -> usize {
        self.0.get_or_insert_with(|| read_all().into()).len()
    }

    /// Replaces the entries whose ids are in `ids` with what `read_one` gives for them
    /// now (nothing: the entry is gone, or no longer readable). Every other entry is
    /// shared with the old list, so this costs one pointer copy per entry plus the
    /// reads of the touched ones.
    pub(crate) fn update(&mut self, ids: &BTreeSet<&str>, read_one: impl Fn(&str) -> Option<T>) {
        let Some(old) = &self.0 else { return };
        if ids.is_empty() {
            return;
        }
        let mut entries: Vec<Arc<T>> = old
            .0
            .iter()
            .filter(|e| !ids.contains(e.sort_key().1))
            .cloned()
            .collect();
        for id in ids {
            if let Some(entry) = read_one(id) {
                let at = entries.partition_point(|e| e.sort_key() < entry.sort_key());
                entries.insert(at, Arc::new(entry));
            }
        }
        self.0 = Some(List(Arc::new(entries)));
    }

    pub(crate) fn forget(&mut self) {
        self.0 = None;
    }
}
