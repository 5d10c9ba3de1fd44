//! What the shared journal and the private diary have in common: a deterministic
//! genesis, loading with a schema check, one commit per command, and id lookup.

use std::collections::BTreeSet;

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{
    ActorId, AutoCommit, ChangeHash, ObjId, ObjType, PatchAction, Prop, ROOT, ReadDoc, Value,
    ValueRef,
};

use crate::entries::{Chronological, sort_chronologically};
use crate::error::{JournalError, Result};
use crate::fields::{entry_object, entry_objects};
use crate::ids::{EntryKind, id_starts_with, normalize_id};

/// The fixed shape of one kind of document.
///
/// Everything here is frozen: the genesis change is derived from it and must stay
/// byte-identical across devices and versions. Adding a root map later means a
/// *second* deterministic change, never editing this list.
pub(crate) struct Schema {
    /// For error messages: "shared journal", "private diary".
    pub doc: &'static str,
    /// The actor that writes the genesis change and nothing else.
    pub genesis_actor: [u8; 16],
    /// Root maps, in creation order.
    pub maps: &'static [&'static str],
    /// Which root maps hold which kind of entry (index into `maps`). Several kinds
    /// may share a map (genesis is frozen, so new kinds cannot get their own); then
    /// `kind_of` tells its records apart.
    pub kinds: &'static [(EntryKind, usize)],
    /// The kind of a record of a map several kinds share, from what it holds;
    /// `None` for a record that is no entry a person can name (or of a kind this
    /// version does not know), which id lookups then pass over.
    pub kind_of: Option<KindOf>,
    /// How a release of history settles an entry (root map index, key, object)
    /// before copying it; `None` copies every entry as it is.
    pub settle: Option<Settler>,
}

/// Settles one entry (root map index, key, object) for a released copy.
pub(crate) type Settler = fn(&AutoCommit, usize, &str, &ObjId) -> crate::release::Settle;

/// Tells which kind of entry a record of a shared root map is.
pub(crate) type KindOf = fn(&AutoCommit, &ObjId) -> Option<EntryKind>;

/// Reads one entry object; the shape shared by every entry kind's parser.
pub(crate) type Reader<T> = fn(&AutoCommit, &str, ObjId) -> Result<T>;

/// What changed in a document since a list cache last looked at it.
pub(crate) enum Touched {
    Nothing,
    /// Read every list again: the cache's starting point is unknown (a fresh or
    /// reloaded document), or so much arrived (a catch-up) that reading everything
    /// is cheaper than patching.
    Everything,
    /// These entries, as (root map index, entry key), each once.
    Entries(BTreeSet<(usize, String)>),
}

/// Beyond this many patches a catch-up is under way: one entry is about ten.
const MAX_PATCHES: usize = 4096;

/// The value of the root `schema` key written by genesis.
pub const SCHEMA_VERSION: u64 = 1;

/// An Automerge document plus the object ids of its root maps.
pub(crate) struct Doc {
    pub(crate) schema: &'static Schema,
    am: AutoCommit,
    /// Object ids of `schema.maps`, same order. We address the genesis objects
    /// directly instead of looking the names up under the root each time: if a buggy
    /// or hostile writer ever replaced a root key, both partners still read the same
    /// objects and nothing written to the originals disappears from view.
    roots: Vec<ObjId>,
}

impl Doc {
    /// The genesis document, still writing as the genesis actor.
    fn genesis_doc(schema: &Schema) -> AutoCommit {
        Self::genesis_doc_of(schema, None)
    }

    /// The genesis of a document that a release of history started (`epoch`, see
    /// `release.rs`), or the original one (`None`). The epoch is written last, so the
    /// root maps keep their object ids, and a document of any epoch loads the same
    /// way; the genesis change itself differs, so no change of another epoch can ever
    /// be applied on top of it.
    pub(crate) fn genesis_doc_of(schema: &Schema, epoch: Option<&[u8; 16]>) -> AutoCommit {
        let mut am = AutoCommit::new().with_actor(ActorId::from(schema.genesis_actor));
        for name in schema.maps {
            am.put_object(ROOT, *name, ObjType::Map)
                .expect("creating a root map in a fresh document cannot fail");
        }
        am.put(ROOT, "schema", SCHEMA_VERSION)
            .expect("writing a root scalar in a fresh document cannot fail");
        if let Some(epoch) = epoch {
            am.put(ROOT, "epoch", automerge::ScalarValue::Bytes(epoch.to_vec()))
                .expect("writing a root scalar in a fresh document cannot fail");
        }
        // Time 0 and no message: anything else would make the change differ per device.
        am.commit_with(CommitOptions::default().with_time(0));
        am
    }

    /// `save()` of the genesis document; identical on every device.
    pub fn genesis_bytes(schema: &Schema) -> Vec<u8> {
        Self::genesis_doc(schema).save()
    }

    /// `save()` of the genesis of `epoch`'s document (`None`: the original one),
    /// identical on every device: what a device needs to start from to sync a
    /// document that a release of history started.
    pub fn genesis_bytes_of(schema: &Schema, epoch: Option<&[u8; 16]>) -> Vec<u8> {
        Self::genesis_doc_of(schema, epoch).save()
    }

    /// The genesis document and the ids of its root maps.
    fn genesis_parts(schema: &Schema) -> (AutoCommit, Vec<ObjId>) {
        Self::genesis_parts_of(schema, None)
    }

    pub(crate) fn genesis_parts_of(
        schema: &Schema,
        epoch: Option<&[u8; 16]>,
    ) -> (AutoCommit, Vec<ObjId>) {
        let am = Self::genesis_doc_of(schema, epoch);
        let roots = schema
            .maps
            .iter()
            .map(|name| match am.get(ROOT, *name) {
                Ok(Some((_, id))) => id,
                _ => unreachable!("genesis creates every root map"),
            })
            .collect();
        (am, roots)
    }

    pub fn genesis(schema: &'static Schema) -> Self {
        let (mut am, roots) = Self::genesis_parts(schema);
        am.set_actor(ActorId::random());
        Self { schema, am, roots }
    }

    /// Loads a full save, optionally followed by incremental chunks, and checks that it
    /// grew from our genesis.
    pub fn load(schema: &'static Schema, bytes: &[u8]) -> Result<Self> {
        let mut am = AutoCommit::load(bytes)?;
        let (_, genesis_roots) = Self::genesis_parts(schema);
        let mut roots = Vec::with_capacity(schema.maps.len());
        for (name, genesis_id) in schema.maps.iter().zip(&genesis_roots) {
            let missing = JournalError::MissingRoot {
                doc: schema.doc,
                map: name,
            };
            match am.import(&genesis_id.to_string()) {
                Ok((id, ObjType::Map)) => roots.push(id),
                _ => return Err(missing),
            }
        }
        // Every process writes under its own actor id: two writers sharing one would
        // produce conflicting changes with the same (actor, seq) and break sync.
        am.set_actor(ActorId::random());
        Ok(Self { schema, am, roots })
    }

    pub fn load_incremental(&mut self, bytes: &[u8]) -> Result<usize> {
        Ok(self.am.load_incremental(bytes)?)
    }

    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.am.get_heads()
    }

    pub fn save(&mut self) -> Vec<u8> {
        self.am.save()
    }

    pub fn save_after(&mut self, heads: &[ChangeHash]) -> Vec<u8> {
        self.am.save_after(heads)
    }

    pub fn am(&self) -> &AutoCommit {
        &self.am
    }

    pub fn am_mut(&mut self) -> &mut AutoCommit {
        &mut self.am
    }

    pub fn schema_version(&self) -> Option<u64> {
        match self.am.get(ROOT, "schema") {
            Ok(Some((v, _))) => v.as_u64(),
            _ => None,
        }
    }

    /// The object id of root map number `index` in the schema.
    pub fn root(&self, index: usize) -> &ObjId {
        &self.roots[index]
    }

    fn index_of(&self, kind: EntryKind) -> Option<usize> {
        self.schema
            .kinds
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, index)| *index)
    }

    /// The root maps that hold entries, each once.
    fn entry_roots(&self) -> Vec<usize> {
        let mut roots: Vec<usize> = self.schema.kinds.iter().map(|(_, i)| *i).collect();
        roots.sort_unstable();
        roots.dedup();
        roots
    }

    /// The kind of the record `obj` (if it is a map) of root map `index`: the map's
    /// one kind, or, where kinds share the map, what the schema reads in the record.
    fn kind_at(&self, index: usize, obj: Option<&ObjId>) -> Option<EntryKind> {
        let mut kinds = self
            .schema
            .kinds
            .iter()
            .filter(|(_, i)| *i == index)
            .map(|(k, _)| *k);
        let first = kinds.next()?;
        if kinds.next().is_none() {
            return Some(first);
        }
        (self.schema.kind_of?)(&self.am, obj?)
    }

    /// Runs one command as one Automerge change.
    ///
    /// One change per command is what lets the device layer persist exactly
    /// `save_after(heads_before)`. If the command fails half-way, its operations are
    /// rolled back so a rejected command leaves no trace.
    pub fn transact<T>(
        &mut self,
        now: i64,
        f: impl FnOnce(&mut AutoCommit, &[ObjId]) -> Result<T>,
    ) -> Result<T> {
        match f(&mut self.am, &self.roots) {
            Ok(value) => {
                // Automerge change times are Unix seconds.
                self.am
                    .commit_with(CommitOptions::default().with_time(now.div_euclid(1000)));
                Ok(value)
            }
            Err(e) => {
                self.am.rollback();
                Err(e)
            }
        }
    }

    /// The object of entry `id`, which must be of `kind`.
    ///
    /// When the id is not in `kind`'s map we look in the others, so that passing a
    /// letter id to a boundary command says so instead of "unknown id".
    pub fn locate(&self, kind: EntryKind, id: &str) -> Result<ObjId> {
        let own = self.index_of(kind);
        if let Some(index) = own
            && let Some(obj) = entry_object(&self.am, &self.roots[index], kind, id)?
        {
            return match self.kind_at(index, Some(&obj)) {
                Some(found) if found == kind => Ok(obj),
                Some(found) => Err(JournalError::WrongKind {
                    id: id.to_owned(),
                    expected: kind,
                    found,
                }),
                None => Err(JournalError::UnknownId(id.to_owned())),
            };
        }
        for index in self.entry_roots() {
            if Some(index) == own {
                continue;
            }
            let obj = match self.am.get(&self.roots[index], id)? {
                None => continue,
                Some((Value::Object(ObjType::Map), obj)) => Some(obj),
                Some(_) => None,
            };
            if let Some(found) = self.kind_at(index, obj.as_ref()) {
                return Err(JournalError::WrongKind {
                    id: id.to_owned(),
                    expected: kind,
                    found,
                });
            }
        }
        Err(JournalError::UnknownId(id.to_owned()))
    }

    /// Every readable entry of one root map, oldest first. Malformed entries are
    /// skipped so one bad write from a partner's device cannot hide the rest.
    pub fn list<T: Chronological>(&self, root: usize, read: Reader<T>) -> Vec<T> {
        let mut out: Vec<T> = entry_objects(&self.am, &self.roots[root])
            .into_iter()
            .filter_map(|(id, obj)| read(&self.am, &id, obj).ok())
            .collect();
        sort_chronologically(&mut out);
        out
    }

    /// One entry by its full id; unlike [`Self::list`], a malformed entry is an error.
    pub fn get<T>(&self, kind: EntryKind, id: &str, read: Reader<T>) -> Result<T> {
        let obj = self.locate(kind, id)?;
        read(&self.am, id, obj)
    }

    /// The entries changed since `seen` (the heads a list cache was valid at), and the
    /// heads the answer is valid at.
    ///
    /// Uses Automerge's indexed diff: once started, the document logs what every
    /// applied change did (local writes, sync messages, loaded records alike), so the
    /// answer costs in proportion to the change, not to the document. Only one cache
    /// may follow a document: asking drains the log.
    pub fn touched_since(&mut self, seen: &[ChangeHash]) -> (Touched, Vec<ChangeHash>) {
        let cursor = self.am.diff_cursor();
        if cursor.is_empty() || cursor != seen {
            self.am.update_diff_cursor();
            return (Touched::Everything, self.am.diff_cursor());
        }
        if self.am.get_heads() == cursor {
            return (Touched::Nothing, cursor);
        }
        let patches = self.am.diff_incremental();
        let heads = self.am.diff_cursor();
        if patches.len() > MAX_PATCHES {
            return (Touched::Everything, heads);
        }
        let mut touched = BTreeSet::new();
        for patch in patches {
            let on_root = self.roots.iter().position(|r| *r == patch.obj);
            let entry = match (on_root, &patch.action) {
                (
                    Some(root),
                    PatchAction::PutMap { key, .. }
                    | PatchAction::DeleteMap { key }
                    | PatchAction::Increment {
                        prop: Prop::Map(key),
                        ..
                    }
                    | PatchAction::Conflict {
                        prop: Prop::Map(key),
                    },
                ) => Some((root, key.clone())),
                (Some(_), _) => None,
                (None, _) => patch.path.iter().find_map(|(obj, prop)| {
                    let root = self.roots.iter().position(|r| r == obj)?;
                    match prop {
                        Prop::Map(key) => Some((root, key.clone())),
                        Prop::Seq(_) => None,
                    }
                }),
            };
            match entry {
                Some(entry) => {
                    touched.insert(entry);
                }
                // Not under any root map: the root itself (a hostile or newer writer)
                // or an object we cannot place. Nothing is missed by starting over.
                None if patch.obj != ROOT || !patch.path.is_empty() => {
                    return (Touched::Everything, heads);
                }
                None => {}
            }
        }
        (Touched::Entries(touched), heads)
    }

    /// Finds the one entry whose id starts with `prefix` (case and hyphens ignored).
    pub fn resolve(&self, prefix: &str) -> Result<(EntryKind, String)> {
        let wanted = normalize_id(prefix);
        if wanted.is_empty() {
            return Err(JournalError::UnknownId(prefix.to_owned()));
        }
        let mut matches = Vec::new();
        for index in self.entry_roots() {
            for item in self.am.map_range(&self.roots[index], ..) {
                let exact = item.key == prefix;
                if !exact && !id_starts_with(&item.key, &wanted) {
                    continue;
                }
                let obj = matches!(item.value, ValueRef::Object(ObjType::Map)).then(|| item.id());
                let Some(kind) = self.kind_at(index, obj.as_ref()) else {
                    continue;
                };
                if exact {
                    // An exact id wins even if it also prefixes a longer key.
                    return Ok((kind, item.key.into_owned()));
                }
                matches.push((kind, item.key.into_owned()));
            }
        }
        match matches.len() {
            0 => Err(JournalError::UnknownId(prefix.to_owned())),
            1 => Ok(matches.remove(0)),
            n => Err(JournalError::AmbiguousId {
                prefix: prefix.to_owned(),
                matches: n,
            }),
        }
    }
}
