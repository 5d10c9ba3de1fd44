//! Releasing a document's history: its current state, and nothing of how it got
//! there, as a new document.
//!
//! A released copy is two changes. The first is the genesis of the new *epoch*: the
//! same root maps made by the same fixed actor at time 0 (so their object ids, and
//! everything that reads them, stay as they were), followed by a root `epoch` scalar
//! that makes the change, and so the whole new document, unlike any other. The second
//! writes every entry as it reads now, made by an actor named after the epoch at time
//! 0, with map keys in order. Both depend on nothing but the epoch and the state, so
//! two devices holding the same state make byte-identical copies: after a release of
//! the shared journal, the partners' new documents are the same document.
//!
//! Deleted entries, earlier wordings, authors' actor ids and the times of changes
//! are not in the copy: only the values that a read shows now. The shared journal
//! keeps an entry's edits, amendments and withdrawal inside the entry's own map, so
//! its schema settles each entry first (`shared/settle.rs`): the wording that stands
//! replaces the original, earlier versions and withdrawn entries are left out, and
//! only an amendment still waiting for agreement is kept.

use std::collections::BTreeMap;

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{
    ActorId, AutoCommit, ChangeHash, ObjId, ObjType, Prop, ROOT, ReadDoc, ScalarValue, Value,
};

use crate::doc::Doc;
use crate::error::Result;
use crate::{PrivateDiary, SharedJournal};

/// How one entry goes into a released copy; see the module's documentation.
pub(crate) enum Settle {
    /// As it is.
    Keep,
    /// Not at all: its author withdrew it.
    Drop,
    /// With these fields set (or removed, for `None`) and no `rev:` key but the
    /// revision `waiting` for agreement.
    Fold {
        set: Vec<(&'static str, Option<ScalarValue>)>,
        waiting: Option<String>,
        /// Other keys that count for nothing read now (an agreement's renewals
        /// taken back or replaced).
        without: Vec<String>,
    },
    /// Without these keys of the entry, which no longer count for what it reads
    /// (an exercise's dates suggested and not taken).
    Without(Vec<String>),
}

/// Applies `settle` to the entry `key` of `entries`.
fn settle_entry(entries: &mut BTreeMap<String, Tree>, key: &str, settle: Settle) {
    match settle {
        Settle::Keep => {}
        Settle::Drop => {
            entries.remove(key);
        }
        Settle::Without(keys) => {
            if let Some(Tree::Map(fields)) = entries.get_mut(key) {
                for k in keys {
                    fields.remove(&k);
                }
            }
        }
        Settle::Fold {
            set,
            waiting,
            without,
        } => {
            let Some(Tree::Map(fields)) = entries.get_mut(key) else {
                return;
            };
            for k in without {
                fields.remove(&k);
            }
            let keep = waiting.map(|id| format!("{}{id}", crate::revisions::PREFIX));
            fields.retain(|k, _| {
                !k.starts_with(crate::revisions::PREFIX) || Some(k) == keep.as_ref()
            });
            for (field, value) in set {
                match value {
                    Some(v) => fields.insert(field.to_owned(), Tree::Scalar(v)),
                    None => fields.remove(field),
                };
            }
        }
    }
}

/// A value as a read shows it: the winner of any conflict, all the way down.
#[derive(Debug, Clone, PartialEq)]
enum Tree {
    Scalar(ScalarValue),
    Map(BTreeMap<String, Tree>),
    Table(BTreeMap<String, Tree>),
    List(Vec<Tree>),
    Text(String),
}

fn read_value(am: &AutoCommit, value: Value<'_>, id: ObjId) -> Result<Tree> {
    Ok(match value {
        Value::Scalar(s) => Tree::Scalar(s.into_owned()),
        Value::Object(ObjType::Map) => Tree::Map(read_map(am, &id)?),
        Value::Object(ObjType::Table) => Tree::Table(read_map(am, &id)?),
        Value::Object(ObjType::Text) => Tree::Text(am.text(&id)?),
        Value::Object(ObjType::List) => {
            let mut items = Vec::new();
            for i in 0..am.length(&id) {
                if let Some((v, child)) = am.get(&id, i)? {
                    items.push(read_value(am, v, child)?);
                }
            }
            Tree::List(items)
        }
    })
}

fn read_map(am: &AutoCommit, obj: &ObjId) -> Result<BTreeMap<String, Tree>> {
    let mut out = BTreeMap::new();
    for key in am.keys(obj) {
        if let Some((v, child)) = am.get(obj, key.as_str())? {
            out.insert(key, read_value(am, v, child)?);
        }
    }
    Ok(out)
}

/// Writes `tree` at `prop` of `parent` as new objects.
fn write_at(am: &mut AutoCommit, parent: &ObjId, prop: Prop, tree: &Tree) -> Result<()> {
    let object = |am: &mut AutoCommit, t: ObjType| -> Result<ObjId> {
        Ok(match &prop {
            Prop::Map(k) => am.put_object(parent, k.as_str(), t)?,
            Prop::Seq(i) => am.insert_object(parent, *i, t)?,
        })
    };
    match tree {
        Tree::Scalar(s) => match &prop {
            Prop::Map(k) => am.put(parent, k.as_str(), s.clone())?,
            Prop::Seq(i) => am.insert(parent, *i, s.clone())?,
        },
        Tree::Map(m) | Tree::Table(m) => {
            let t = if matches!(tree, Tree::Map(_)) {
                ObjType::Map
            } else {
                ObjType::Table
            };
            let obj = object(am, t)?;
            for (k, v) in m {
                write_at(am, &obj, Prop::Map(k.clone()), v)?;
            }
        }
        Tree::List(items) => {
            let obj = object(am, ObjType::List)?;
            for (i, v) in items.iter().enumerate() {
                write_at(am, &obj, Prop::Seq(i), v)?;
            }
        }
        Tree::Text(s) => {
            let obj = object(am, ObjType::Text)?;
            am.splice_text(&obj, 0, 0, s)?;
        }
    }
    Ok(())
}

/// Makes the map `target` in `am` read as `want`, changing only what differs: a key
/// holding a map on both sides is compared inside, anything else that differs is
/// written anew, and keys `want` lacks are deleted.
fn mirror_map(am: &mut AutoCommit, target: &ObjId, want: &BTreeMap<String, Tree>) -> Result<()> {
    let have = read_map(am, target)?;
    for key in have.keys() {
        if !want.contains_key(key) {
            am.delete(target, key.as_str())?;
        }
    }
    for (key, value) in want {
        match (have.get(key), value) {
            (Some(h), v) if h == v => {}
            (Some(Tree::Map(_)), Tree::Map(inner)) => {
                if let Some((_, child)) = am.get(target, key.as_str())? {
                    mirror_map(am, &child, inner)?;
                }
            }
            _ => write_at(am, target, Prop::Map(key.clone()), value)?,
        }
    }
    Ok(())
}

impl Doc {
    /// The state at `heads` (or now) of every root map, as a read shows it.
    fn state(&mut self, heads: Option<&[ChangeHash]>) -> Result<Vec<BTreeMap<String, Tree>>> {
        let roots: Vec<ObjId> = (0..self.schema.maps.len())
            .map(|i| self.root(i).clone())
            .collect();
        let forked;
        let am = match heads {
            Some(h) => {
                forked = self.am_mut().fork_at(h)?;
                &forked
            }
            None => self.am(),
        };
        let mut state = Vec::with_capacity(roots.len());
        for (i, root) in roots.iter().enumerate() {
            let mut entries = read_map(am, root)?;
            if let Some(settle) = self.schema.settle {
                for (key, obj) in crate::fields::entry_objects(am, root) {
                    settle_entry(&mut entries, &key, settle(am, i, &key, &obj));
                }
            }
            state.push(entries);
        }
        Ok(state)
    }

    /// The released copy of this document at `heads` (or now), for `epoch`: see the
    /// module's documentation. Returns the new document's `save()`.
    fn released_copy(&mut self, heads: Option<&[ChangeHash]>, epoch: &[u8; 16]) -> Result<Vec<u8>> {
        let state = self.state(heads)?;
        let (mut am, roots) = Doc::genesis_parts_of(self.schema, Some(epoch));
        am.set_actor(ActorId::from(*epoch));
        for (root, entries) in roots.iter().zip(&state) {
            for (key, value) in entries {
                write_at(&mut am, root, Prop::Map(key.clone()), value)?;
            }
        }
        am.commit_with(CommitOptions::default().with_time(0));
        Ok(am.save())
    }

    /// Makes this document read as `source` does now, in one change (if anything
    /// differs): how what was written after a released copy's heads is carried over
    /// into the copy.
    fn mirror(&mut self, source: &mut Doc, now: i64) -> Result<bool> {
        let want = source.state(None)?;
        let before = self.am_mut().get_heads();
        self.transact(now, |am, roots| {
            for (root, entries) in roots.iter().zip(&want) {
                mirror_map(am, root, entries)?;
            }
            Ok(())
        })?;
        Ok(self.am_mut().get_heads() != before)
    }

    /// The epoch a release of history started this document with, if one did.
    fn epoch(&self) -> Option<[u8; 16]> {
        match self.am().get(ROOT, "epoch") {
            Ok(Some((Value::Scalar(s), _))) => match s.as_ref() {
                ScalarValue::Bytes(b) => b.as_slice().try_into().ok(),
                _ => None,
            },
            _ => None,
        }
    }

    fn has_all(&mut self, heads: &[ChangeHash]) -> bool {
        heads
            .iter()
            .all(|h| self.am_mut().get_change_by_hash(h).is_some())
    }
}

impl SharedJournal {
    /// The journal as it read at `heads`, as a new document of `epoch` (its `save()`),
    /// without the history: byte-identical on every device that holds those heads.
    /// Fails if this journal lacks any of them.
    pub fn released_copy(&mut self, heads: &[ChangeHash], epoch: &[u8; 16]) -> Result<Vec<u8>> {
        self.doc.released_copy(Some(heads), epoch)
    }

    /// Writes into this journal, as one change, whatever `source` reads differently
    /// now: carries what was written after the heads of a released copy over into it.
    /// Returns whether anything was written.
    pub fn mirror_from(&mut self, source: &mut SharedJournal, now: i64) -> Result<bool> {
        self.doc.mirror(&mut source.doc, now)
    }

    /// Whether every change named in `heads` is in this journal.
    pub fn has_all(&mut self, heads: &[ChangeHash]) -> bool {
        self.doc.has_all(heads)
    }

    /// The epoch this journal was started with by a release of history, if any.
    pub fn epoch(&self) -> Option<[u8; 16]> {
        self.doc.epoch()
    }
}

impl PrivateDiary {
    /// The diary as it reads now, as a new document of `epoch` (its `save()`), without
    /// the history.
    pub fn released_copy(&mut self, epoch: &[u8; 16]) -> Result<Vec<u8>> {
        self.doc.released_copy(None, epoch)
    }

    /// The epoch this diary was started with by a release of history, if any.
    pub fn epoch(&self) -> Option<[u8; 16]> {
        self.doc.epoch()
    }
}

#[cfg(test)]
mod tests;
