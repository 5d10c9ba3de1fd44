//! Typed reads of single fields.
//!
//! The shared document arrives from another device, so no field can be trusted to
//! exist or to have the type we wrote. Every read goes through here and turns a
//! surprise into [`JournalError::Corrupt`] naming the entry and field (never the
//! value).
//!
//! Speed: an entry's fields are fetched in one pass over that entry's object (one
//! seek into the op set) rather than one `get` per field, and nothing is hydrated.
//! That keeps a list of 10,000 entries proportional to the entries, not to the
//! document.

use automerge::iter::MapRangeItem;
use automerge::transaction::Transactable;
use automerge::{
    AutoCommit, ObjId, ObjType, ReadDoc, ScalarValue, ScalarValueRef, Value, ValueRef,
};

use crate::error::{JournalError, Result};
use crate::ids::{EntryKind, PartnerId};
use crate::validate::Scale;

/// One entry (a map object) being read.
pub(crate) struct Fields<'a> {
    doc: &'a AutoCommit,
    /// The object's current fields, in key order (entries have a dozen at most, so a
    /// linear search beats building an index).
    items: Vec<MapRangeItem<'a>>,
    kind: &'static str,
    id: &'a str,
}

impl<'a> Fields<'a> {
    pub fn new(doc: &'a AutoCommit, obj: ObjId, kind: EntryKind, id: &'a str) -> Self {
        Self::named(doc, obj, kind.as_str(), id)
    }

    /// For objects that are not entries with an [`EntryKind`] (partners, stage steps).
    pub fn named(doc: &'a AutoCommit, obj: ObjId, kind: &'static str, id: &'a str) -> Self {
        let items = doc.map_range(&obj, ..).collect();
        Self {
            doc,
            items,
            kind,
            id,
        }
    }

    /// A map inside this object (a revision), read with the same names in errors.
    pub fn nested(&self, obj: ObjId) -> Fields<'a> {
        Self::named(self.doc, obj, self.kind, self.id)
    }

    /// The keys starting with `prefix` whose values are maps, with the prefix cut
    /// off; anything else under such a key is skipped.
    pub fn prefixed_maps<'s>(
        &'s self,
        prefix: &'s str,
    ) -> impl Iterator<Item = (String, ObjId)> + 's {
        self.items.iter().filter_map(move |item| {
            let rest = item.key.strip_prefix(prefix)?;
            matches!(item.value, ValueRef::Object(ObjType::Map))
                .then(|| (rest.to_owned(), item.id()))
        })
    }

    pub fn corrupt(&self, field: &str, problem: &str) -> JournalError {
        JournalError::Corrupt {
            what: format!("{} {}: field {field} {problem}", self.kind, self.id),
        }
    }

    fn wrong_type(&self, field: &str) -> JournalError {
        self.corrupt(field, "has the wrong type")
    }

    fn item(&self, field: &str) -> Option<&MapRangeItem<'a>> {
        self.items.iter().find(|item| item.key == field)
    }

    /// A scalar value, with `null` treated as absent: other writers may clear a field
    /// that way instead of deleting the key.
    fn scalar(&self, field: &str) -> Result<Option<&ScalarValueRef<'a>>> {
        match self.item(field).map(|item| &item.value) {
            None | Some(ValueRef::Scalar(ScalarValueRef::Null)) => Ok(None),
            Some(ValueRef::Scalar(v)) => Ok(Some(v)),
            Some(ValueRef::Object(_)) => Err(self.wrong_type(field)),
        }
    }

    fn required<T>(&self, field: &str, value: Option<T>) -> Result<T> {
        value.ok_or_else(|| self.corrupt(field, "is missing"))
    }

    pub fn opt_str(&self, field: &str) -> Result<Option<String>> {
        match self.scalar(field)? {
            None => Ok(None),
            Some(ScalarValueRef::Str(s)) => Ok(Some(s.to_string())),
            Some(_) => Err(self.wrong_type(field)),
        }
    }

    pub fn str(&self, field: &str) -> Result<String> {
        let value = self.opt_str(field)?;
        self.required(field, value)
    }

    pub fn opt_int(&self, field: &str) -> Result<Option<i64>> {
        match self.scalar(field)? {
            None => Ok(None),
            Some(v) => scalar_ref_int(v)
                .map(Some)
                .ok_or_else(|| self.wrong_type(field)),
        }
    }

    pub fn int(&self, field: &str) -> Result<i64> {
        let value = self.opt_int(field)?;
        self.required(field, value)
    }

    pub fn bool(&self, field: &str) -> Result<bool> {
        match self.scalar(field)? {
            None => Err(self.corrupt(field, "is missing")),
            Some(ScalarValueRef::Boolean(b)) => Ok(*b),
            Some(_) => Err(self.wrong_type(field)),
        }
    }

    pub fn opt_scale(&self, field: &str, scale: Scale) -> Result<Option<u8>> {
        match self.opt_int(field)? {
            None => Ok(None),
            Some(n) => scale
                .contains(n)
                .map(Some)
                .ok_or_else(|| self.corrupt(field, "is out of range")),
        }
    }

    pub fn scale(&self, field: &str, scale: Scale) -> Result<u8> {
        let value = self.opt_scale(field, scale)?;
        self.required(field, value)
    }

    pub fn opt_partner(&self, field: &str) -> Result<Option<PartnerId>> {
        match self.opt_str(field)? {
            None => Ok(None),
            Some(s) => PartnerId::parse(&s)
                .map(Some)
                .map_err(|_| self.corrupt(field, "is not a partner id")),
        }
    }

    pub fn partner(&self, field: &str) -> Result<PartnerId> {
        let value = self.opt_partner(field)?;
        self.required(field, value)
    }

    /// A string field holding one of a fixed set of names (an enum, a date).
    pub fn parsed<T>(&self, field: &str, parse: impl FnOnce(&str) -> Option<T>) -> Result<T> {
        match self.scalar(field)? {
            None => Err(self.corrupt(field, "is missing")),
            Some(ScalarValueRef::Str(s)) => {
                parse(s).ok_or_else(|| self.corrupt(field, "has an unknown value"))
            }
            Some(_) => Err(self.wrong_type(field)),
        }
    }

    /// A nested map, e.g. a boundary's `agreed_by`.
    pub fn map(&self, field: &str) -> Result<ObjId> {
        match self.item(field) {
            Some(item) if matches!(item.value, ValueRef::Object(ObjType::Map)) => Ok(item.id()),
            Some(_) => Err(self.wrong_type(field)),
            None => Err(self.corrupt(field, "is missing")),
        }
    }

    /// A nested map of partner id → time, as `(partner, time)` pairs sorted by time.
    pub fn partner_times(&self, field: &str) -> Result<Vec<(PartnerId, i64)>> {
        let map = self.map(field)?;
        let mut out = Vec::new();
        for item in self.doc.map_range(&map, ..) {
            let partner = PartnerId::parse(&item.key)
                .map_err(|_| self.corrupt(field, "has a key that is not a partner id"))?;
            let time = match &item.value {
                ValueRef::Scalar(s) => scalar_ref_int(s),
                ValueRef::Object(_) => None,
            }
            .ok_or_else(|| self.wrong_type(field))?;
            out.push((partner, time));
        }
        out.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
        Ok(out)
    }
}

/// Integers as we write them (`Int`), plus the other integer encodings another
/// Automerge writer might reasonably choose.
fn scalar_ref_int(s: &ScalarValueRef<'_>) -> Option<i64> {
    match *s {
        ScalarValueRef::Int(n) | ScalarValueRef::Timestamp(n) => Some(n),
        ScalarValueRef::Uint(n) => i64::try_from(n).ok(),
        _ => None,
    }
}

/// The entries of a top-level map: `(id, object)` for every key whose value is a map.
///
/// Keys holding anything else are skipped: a list query shows what it can read
/// rather than failing because of one bad entry.
pub(crate) fn entry_objects(doc: &AutoCommit, map: &ObjId) -> Vec<(String, ObjId)> {
    doc.map_range(map, ..)
        .filter(|item| matches!(item.value, ValueRef::Object(ObjType::Map)))
        .map(|item| {
            let id = item.id();
            (item.key.into_owned(), id)
        })
        .collect()
}

/// The object for one key of a top-level map, if the key exists.
pub(crate) fn entry_object(
    doc: &AutoCommit,
    map: &ObjId,
    kind: EntryKind,
    id: &str,
) -> Result<Option<ObjId>> {
    match doc.get(map, id)? {
        None => Ok(None),
        Some((Value::Object(ObjType::Map), obj)) => Ok(Some(obj)),
        Some(_) => Err(JournalError::Corrupt {
            what: format!("{kind} {id} is not a map"),
        }),
    }
}

/// The record of one author and week under `key` in `map`, made with its `kind`,
/// `author`, `week` and `created` the first time: such a record is keyed by author
/// and week, so writing it again changes the one record on every device.
pub(crate) fn weekly_record(
    am: &mut AutoCommit,
    map: &ObjId,
    key: &str,
    kind: &str,
    author: &PartnerId,
    week: &str,
    now: i64,
) -> Result<ObjId> {
    if let Some((Value::Object(ObjType::Map), obj)) = am.get(map, key)? {
        return Ok(obj);
    }
    let obj = am.put_object(map, key, ObjType::Map)?;
    am.put(&obj, "kind", kind)?;
    am.put(&obj, "author", author.as_str())?;
    am.put(&obj, "week", week)?;
    am.put(&obj, "created", now)?;
    Ok(obj)
}

/// Writes an optional field: `None` removes the key, so "absent" has one representation.
pub(crate) fn put_opt<V: Into<ScalarValue>>(
    am: &mut AutoCommit,
    obj: &ObjId,
    field: &str,
    value: Option<V>,
) -> Result<()> {
    match value {
        Some(v) => am.put(obj, field, v)?,
        None => {
            if am.get(obj, field)?.is_some() {
                am.delete(obj, field)?;
            }
        }
    }
    Ok(())
}
