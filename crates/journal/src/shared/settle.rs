//! What a release of history keeps of each shared entry: what it reads now.
//!
//! Edits, amendments and renegotiated terms live inside the entry's own map as
//! `rev:` keys (see `revisions.rs`), so a copy of the map would carry every earlier
//! wording into the released journal. Before the copy, each entry is settled: the
//! wording that stands is written over the entry's own fields, every revision but an
//! amendment still waiting for agreement is left out, and a withdrawn entry is left
//! out whole. An exercise keeps only the date that stands and the one waiting for
//! an answer, not every date suggested on the way. Which wording stands is decided by the same readers the lists use, so
//! the released journal reads as the old one did, without its earlier versions.

use automerge::{AutoCommit, ObjId, ScalarValue};

use super::{BOUNDARIES, CHECKINS, EXERCISES, PROMISES, SHARED, STEPS};
use super::{boundary, checkin, exercise, promise, share, stage};
use crate::error::JournalError;
use crate::release::Settle;

/// How the entry `key` of root map `root` goes into a released copy. An entry that
/// does not read (malformed, or of a newer version) is copied as it is: a release
/// drops history, never an entry it cannot judge.
pub(super) fn settle(am: &AutoCommit, root: usize, key: &str, obj: &ObjId) -> Settle {
    let read = match root {
        BOUNDARIES => boundary::read_boundary(am, key, obj.clone()).map(|b| Settle::Fold {
            set: vec![("text", Some(b.text.into()))],
            waiting: b.amendment.map(|a| a.id),
            // Renewals taken back or replaced; the one that stands and the one
            // waiting stay, so the agreement reads with the same dates.
            without: b.agreement.map(|a| a.superseded).unwrap_or_default(),
        }),
        PROMISES => promise::read_promise(am, key, obj.clone()).map(|p| Settle::Fold {
            set: vec![
                ("text", Some(p.text.into())),
                ("due", Some(crate::validate::format_date(p.due).into())),
                // An outcome recorded for terms that no longer stand reads as open.
                ("outcome", Some(p.outcome.as_str().into())),
                ("outcome_by", p.outcome_by.map(|b| b.as_str().into())),
                ("outcome_at", p.outcome_at.map(ScalarValue::from)),
            ],
            waiting: p.renegotiation.map(|r| r.id),
            without: Vec::new(),
        }),
        CHECKINS => checkin::read_checkin(am, key, obj.clone()).map(|c| {
            let answers = [c.went_well, c.hard, c.need, c.appreciate];
            let mut set: Vec<_> = checkin::ANSWERS
                .into_iter()
                .zip(answers)
                .map(|(field, value)| (field, value.map(ScalarValue::from)))
                .collect();
            // Folding edited answers over the first ones leaves the commitment
            // nothing to check against: the copy would read as altered.
            if c.edited.is_some() {
                set.extend([
                    ("commitment", None),
                    ("salt", None),
                    ("sealed_scores", None),
                ]);
            }
            Settle::Fold {
                set,
                waiting: None,
                without: Vec::new(),
            }
        }),
        STEPS => stage::read_note(am, key, obj.clone()).map(|note| Settle::Fold {
            set: vec![("note", note.map(ScalarValue::from))],
            waiting: None,
            without: Vec::new(),
        }),
        // Records with a `kind` (shared moments, meetings, device records) are no
        // shared entries and are kept as they are: a device record's signatures
        // cover every field, so any settling would void it.
        SHARED => share::read_shared(am, key, obj.clone()).map(|s| Settle::Fold {
            set: vec![("text", Some(s.text.into()))],
            waiting: None,
            without: Vec::new(),
        }),
        EXERCISES => exercise::read_exercise(am, key, obj.clone())
            .map(|e| Settle::Without(exercise::superseded_dates(&e))),
        _ => return Settle::Keep,
    };
    match read {
        Ok(settle) => settle,
        Err(JournalError::Withdrawn { .. }) => Settle::Drop,
        Err(_) => Settle::Keep,
    }
}
