//! What happens to a shared entry after it was written: its author edits it, both
//! partners agree to a new wording (an amendment), or its author withdraws it.
//!
//! # Layout
//!
//! Genesis is frozen, so nothing here adds a root map: everything lives inside the
//! entry's own map, which both devices already have.
//!
//! - `rev:<id>` → map, one per change, `<id>` a fresh UUIDv7: `by` (partner id),
//!   `at` (ms), the new content (`text`; a promise's `due` too; a check-in's four
//!   answers; a stage's `note`, absent when removed) and, for changes both partners
//!   must agree to, `agreed_by` (partner → ms), made holding the proposer's
//!   agreement. An amendment its author took back has `withdrawn_at`.
//! - `withdrawn_at` (ms) and `withdrawn_by` (partner id) on the entry itself.
//!
//! The entry's original fields are never rewritten: they stay the first version.
//! What stands is derived when read, as a boundary's status is: the latest edit,
//! or the latest amendment both agreed to. So two edits made at once (the app and
//! the CLI of one person) both survive the merge, the later one standing and the
//! other among the earlier versions, instead of one silently overwriting the other.
//!
//! One key per change rather than a nested map or list of them: a nested object
//! created on two devices at once is two objects under one key, of which Automerge
//! shows one, so one device's change would vanish. A fresh key cannot collide, and
//! each revision is created whole by the change that proposes it; the partner only
//! ever adds a key to its `agreed_by`.
//!
//! Everything is read defensively, because the partner's device writes into the
//! same maps: a revision that is not a map, has no readable `at`, was not written by
//! the entry's author, or holds content of the wrong type is skipped; a withdrawal
//! that is malformed or names anyone but the author is ignored. Neither hides the
//! entry, nor its other revisions.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ReadDoc, Value};

use crate::error::{JournalError, Result};
use crate::fields::Fields;
use crate::ids::{EntryKind, PartnerId, new_entry_id};

pub(crate) const PREFIX: &str = "rev:";

/// One change of an entry by its author, as read back.
pub(crate) struct Revision<'a> {
    pub id: String,
    pub at: i64,
    pub fields: Fields<'a>,
}

/// The author's readable revisions of an entry, oldest first (ties by id, so both
/// devices order them alike).
pub(crate) fn revisions<'a>(entry: &Fields<'a>, author: &PartnerId) -> Vec<Revision<'a>> {
    let mut out: Vec<Revision<'a>> = entry
        .prefixed_maps(PREFIX)
        .filter_map(|(id, obj)| {
            let fields = entry.nested(obj);
            if fields.opt_partner("by").ok()?.as_ref() != Some(author) {
                return None;
            }
            let at = fields.int("at").ok()?;
            Some(Revision { id, at, fields })
        })
        .collect();
    out.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
    out
}

/// Whether the entry's author withdrew it. A malformed marker, or one naming the
/// other partner, does not count: it must not make an entry vanish.
pub(crate) fn is_withdrawn(entry: &Fields<'_>, author: &PartnerId) -> bool {
    matches!(entry.opt_int("withdrawn_at"), Ok(Some(_)))
        && matches!(entry.opt_partner("withdrawn_by"), Ok(Some(p)) if &p == author)
}

/// The error for reading or changing an entry its author withdrew; list queries
/// skip entries whose read fails, which is what takes it out of every list.
pub(crate) fn refuse_withdrawn(
    entry: &Fields<'_>,
    author: &PartnerId,
    kind: EntryKind,
    id: &str,
) -> Result<()> {
    if is_withdrawn(entry, author) {
        return Err(JournalError::Withdrawn {
            kind,
            id: id.to_owned(),
        });
    }
    Ok(())
}

/// Refuses with `reason` when there is one: the `*_refusal` methods of the entry
/// types say why, and every command that checks one turns it into the same error.
pub(crate) fn refuse(kind: EntryKind, reason: Option<&'static str>, id: &str) -> Result<()> {
    match reason {
        Some(reason) => Err(JournalError::NotNow {
            kind,
            id: id.to_owned(),
            reason,
        }),
        None => Ok(()),
    }
}

/// Only the author changes or withdraws an entry.
pub(crate) fn require_author(
    author: &PartnerId,
    me: &PartnerId,
    kind: EntryKind,
    id: &str,
) -> Result<()> {
    if author != me {
        return Err(JournalError::NotAuthor {
            kind,
            id: id.to_owned(),
        });
    }
    Ok(())
}

/// Starts a revision of `entry` by `me`; the caller puts its content. Marks the
/// entry updated. Returns the revision's object and id.
pub(crate) fn put_revision(
    am: &mut AutoCommit,
    entry: &ObjId,
    me: &PartnerId,
    now: i64,
) -> Result<(ObjId, String)> {
    let id = new_entry_id(now)?;
    let rev = am.put_object(entry, format!("{PREFIX}{id}"), ObjType::Map)?;
    am.put(&rev, "by", me.as_str())?;
    am.put(&rev, "at", now)?;
    am.put(entry, "updated", now)?;
    Ok((rev, id))
}

/// Starts a revision that needs both partners, holding the proposer's agreement.
pub(crate) fn put_amendment(
    am: &mut AutoCommit,
    entry: &ObjId,
    me: &PartnerId,
    now: i64,
) -> Result<(ObjId, String)> {
    let (rev, id) = put_revision(am, entry, me, now)?;
    let agreed_by = am.put_object(&rev, "agreed_by", ObjType::Map)?;
    am.put(&agreed_by, me.as_str(), now)?;
    Ok((rev, id))
}

/// The amendment waiting for agreement, or the error saying there is none.
pub(crate) fn waiting<T>(amendment: Option<T>, kind: EntryKind, id: &str) -> Result<T> {
    amendment.ok_or_else(|| JournalError::NothingPending {
        kind,
        id: id.to_owned(),
    })
}

/// Records my agreement to the amendment `rev_id` of `entry`.
pub(crate) fn agree(
    am: &mut AutoCommit,
    entry: &ObjId,
    kind: EntryKind,
    id: &str,
    rev_id: &str,
    me: &PartnerId,
    now: i64,
) -> Result<()> {
    let rev = revision_object(am, entry, kind, id, rev_id)?;
    let agreed_by = Fields::new(am, rev, kind, id).map("agreed_by")?;
    am.put(&agreed_by, me.as_str(), now)?;
    am.put(entry, "updated", now)?;
    Ok(())
}

/// Takes back the amendment `rev_id`: it no longer waits, and never stands.
pub(crate) fn withdraw_amendment(
    am: &mut AutoCommit,
    entry: &ObjId,
    kind: EntryKind,
    id: &str,
    rev_id: &str,
    now: i64,
) -> Result<()> {
    let rev = revision_object(am, entry, kind, id, rev_id)?;
    am.put(&rev, "withdrawn_at", now)?;
    am.put(entry, "updated", now)?;
    Ok(())
}

/// Withdraws the whole entry.
pub(crate) fn put_withdrawal(
    am: &mut AutoCommit,
    entry: &ObjId,
    me: &PartnerId,
    now: i64,
) -> Result<()> {
    am.put(entry, "withdrawn_at", now)?;
    am.put(entry, "withdrawn_by", me.as_str())?;
    am.put(entry, "updated", now)?;
    Ok(())
}

fn revision_object(
    am: &AutoCommit,
    entry: &ObjId,
    kind: EntryKind,
    id: &str,
    rev_id: &str,
) -> Result<ObjId> {
    match am.get(entry, format!("{PREFIX}{rev_id}"))? {
        Some((Value::Object(ObjType::Map), obj)) => Ok(obj),
        _ => Err(JournalError::NothingPending {
            kind,
            id: id.to_owned(),
        }),
    }
}

/// The value that stands after a series of changes, and the ones before it.
pub(crate) struct History<T> {
    pub standing: T,
    /// When the standing value was written (edits) or agreed (amendments); `None`
    /// while the original stands.
    pub edited: Option<i64>,
    /// Earlier values with the time each was written, oldest first.
    pub earlier: Vec<(T, i64)>,
}

impl<T> History<T> {
    fn new(original: T, created: i64) -> (Self, i64) {
        (
            Self {
                standing: original,
                edited: None,
                earlier: Vec::new(),
            },
            created,
        )
    }
}

/// Edits that stand as soon as they are written: the latest readable one stands.
pub(crate) fn edits<T>(
    original: T,
    created: i64,
    revs: &[Revision<'_>],
    read: impl Fn(&Fields<'_>) -> Result<T>,
) -> History<T> {
    let (mut history, mut written) = History::new(original, created);
    for rev in revs {
        if let Ok(value) = read(&rev.fields) {
            let before = std::mem::replace(&mut history.standing, value);
            history.earlier.push((before, written));
            written = rev.at;
            history.edited = Some(rev.at);
        }
    }
    history
}

/// An amendment still waiting for agreement.
pub(crate) struct Pending<T> {
    pub id: String,
    pub value: T,
    pub proposed: i64,
    pub agreements: Vec<(PartnerId, i64)>,
}

/// Amendments, which stand only once two partners agreed: the one agreed last
/// stands. Only the latest proposal can be waiting: an older one was replaced by it,
/// and a withdrawn or agreed latest one leaves nothing waiting.
pub(crate) fn amendments<T>(
    original: T,
    created: i64,
    revs: &[Revision<'_>],
    read: impl Fn(&Fields<'_>) -> Result<T>,
) -> (History<T>, Option<Pending<T>>) {
    let mut agreed: Vec<(i64, &str, T, i64)> = Vec::new();
    let mut latest: Option<Pending<T>> = None;
    for rev in revs {
        let Ok(value) = read(&rev.fields) else {
            continue;
        };
        latest = None;
        if !matches!(rev.fields.opt_int("withdrawn_at"), Ok(None)) {
            continue;
        }
        let agreements = rev.fields.partner_times("agreed_by").unwrap_or_default();
        // Keys of one map, so each partner counts once.
        if agreements.len() >= 2 {
            let when = agreements.iter().map(|(_, t)| *t).max().unwrap_or(rev.at);
            agreed.push((when, &rev.id, value, rev.at));
        } else {
            latest = Some(Pending {
                id: rev.id.clone(),
                value,
                proposed: rev.at,
                agreements,
            });
        }
    }
    agreed.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    let (mut history, mut written) = History::new(original, created);
    for (when, _, value, at) in agreed {
        let before = std::mem::replace(&mut history.standing, value);
        history.earlier.push((before, written));
        written = at;
        history.edited = Some(when);
    }
    (history, latest)
}
