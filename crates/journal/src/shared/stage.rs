//! Progress through the seven stages, per partner.
//!
//! Keyed `"{stage}:{partner}"` rather than by a fresh id: each partner has exactly one
//! record per stage, and a deterministic key makes two devices' writes land on the
//! same record instead of creating duplicates.
//!
//! The first note is written into the record; changing or removing it afterwards is
//! an edit (see [`crate::revisions`]), so the partner sees the notes before.
//!
//! Forgiveness is offered on a partner's own record of [`FORGIVENESS_STAGE`]
//! (`forgiven_at`, `forgiveness`): shared, so the other partner sees it. Acceptance,
//! which asks nothing of the other, is never here: it lives in the private diary
//! (`reflections.rs`).

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ReadDoc, Value};

use super::{STEPS, SharedJournal};
use crate::entries::{Forgiveness, StageProgress, Version};
use crate::error::{JournalError, Result};
use crate::fields::{Fields, entry_objects, put_opt};
use crate::ids::PartnerId;
use crate::revisions::{self, History};
use crate::validate::{STAGE, optional_text};

/// The stage whose record carries forgiveness: "Forgive and let go".
pub const FORGIVENESS_STAGE: u8 = 6;

impl SharedJournal {
    /// Offers my partner forgiveness, with my own words if I give any. It is
    /// shared: my partner sees that I offered it, when, and the words. Offering it
    /// again while it stands is refused: new words are a new offer, after taking
    /// the first back.
    pub fn offer_forgiveness(
        &mut self,
        me: &PartnerId,
        words: Option<&str>,
        now: i64,
    ) -> Result<()> {
        let words = optional_text(words);
        if self.forgiveness_of(me).is_some() {
            return Err(JournalError::AlreadyForgiven);
        }
        self.doc.transact(now, |am, roots| {
            let obj = own_record(am, &roots[STEPS], me, FORGIVENESS_STAGE, now)?;
            am.put(&obj, "forgiven_at", now)?;
            put_opt(am, &obj, "forgiveness", words)?;
            am.put(&obj, "updated", now)?;
            Ok(())
        })
    }

    /// Takes back forgiveness I offered. It leaves both lists at the next sync; my
    /// partner's device keeps what it already received, in its history.
    pub fn take_back_forgiveness(&mut self, me: &PartnerId, now: i64) -> Result<()> {
        if self.forgiveness_of(me).is_none() {
            return Err(JournalError::NothingToTakeBack(
                "you have not offered forgiveness",
            ));
        }
        self.doc.transact(now, |am, roots| {
            let obj = own_record(am, &roots[STEPS], me, FORGIVENESS_STAGE, now)?;
            put_opt::<i64>(am, &obj, "forgiven_at", None)?;
            put_opt::<&str>(am, &obj, "forgiveness", None)?;
            am.put(&obj, "updated", now)?;
            Ok(())
        })
    }

    /// The forgiveness `partner` offered, if it stands.
    pub fn forgiveness_of(&self, partner: &PartnerId) -> Option<Forgiveness> {
        self.stages()
            .into_iter()
            .find(|s| s.stage == FORGIVENESS_STAGE && &s.partner == partner)
            .and_then(|s| s.forgiveness)
    }

    /// Marks a stage done or not done for me.
    ///
    /// `note`: `None` leaves the existing note alone (so ticking a stage off does not
    /// wipe what was written); `Some` blank text removes it; other text replaces it.
    /// `done_at` keeps the first time the stage was marked done until it is un-done.
    pub fn set_stage(
        &mut self,
        me: &PartnerId,
        stage: u8,
        done: bool,
        note: Option<&str>,
        now: i64,
    ) -> Result<()> {
        self.write_stage(me, stage, Some(done), note, now)
    }

    /// Writes, changes or (with blank text) removes my note on a stage, leaving
    /// whether it is done as it is. My partner sees the notes written before.
    pub fn set_stage_note(
        &mut self,
        me: &PartnerId,
        stage: u8,
        note: &str,
        now: i64,
    ) -> Result<()> {
        self.write_stage(me, stage, None, Some(note), now)
    }

    fn write_stage(
        &mut self,
        me: &PartnerId,
        stage: u8,
        done: Option<bool>,
        note: Option<&str>,
        now: i64,
    ) -> Result<()> {
        let stage = STAGE.check(stage)?;
        let key = format!("{stage}:{me}");
        self.doc.transact(now, |am, roots| {
            let steps = &roots[STEPS];
            let (obj, was_done, notes) = match am.get(steps, key.as_str())? {
                Some((Value::Object(ObjType::Map), obj)) => {
                    let f = Fields::named(am, obj.clone(), "stage", &key);
                    let was_done = f.bool("done").unwrap_or(false)
                        && f.opt_int("done_at").ok().flatten().is_some();
                    (obj, was_done, read_notes(&f, me).ok())
                }
                _ => {
                    let obj = am.put_object(steps, key.as_str(), ObjType::Map)?;
                    am.put(&obj, "author", me.as_str())?;
                    am.put(&obj, "stage", i64::from(stage))?;
                    am.put(&obj, "created", now)?;
                    (obj, false, None)
                }
            };
            let done = match done {
                Some(done) => done,
                None => was_done,
            };
            am.put(&obj, "done", done)?;
            if !done {
                put_opt::<i64>(am, &obj, "done_at", None)?;
            } else if !was_done {
                am.put(&obj, "done_at", now)?;
            }
            if let Some(note) = note.map(|n| optional_text(Some(n))) {
                match notes {
                    // A first note goes into the record itself.
                    None => put_opt(am, &obj, "note", note)?,
                    Some(h) if h.edited.is_none() && h.standing.is_none() => {
                        put_opt(am, &obj, "note", note)?
                    }
                    Some(h) if h.standing.as_deref() == note => {}
                    Some(_) => {
                        let (rev, _) = revisions::put_revision(am, &obj, me, now)?;
                        put_opt(am, &rev, "note", note)?;
                    }
                }
            }
            am.put(&obj, "updated", now)?;
            Ok(())
        })
    }

    /// Both partners' progress, by stage then partner. Records are listed once
    /// written, done or not.
    pub fn stages(&self) -> Vec<StageProgress> {
        let am = self.doc.am();
        let mut out: Vec<StageProgress> = entry_objects(am, self.doc.root(STEPS))
            .into_iter()
            .filter_map(|(key, obj)| {
                let (stage, partner) = record_key(&key)?;
                let f = Fields::named(am, obj, "stage", &key);
                if f.partner("author").ok()? != partner {
                    return None;
                }
                let notes = read_notes(&f, &partner).ok()?;
                Some(StageProgress {
                    stage,
                    done: f.bool("done").ok()?,
                    done_at: f.opt_int("done_at").ok()?,
                    note: notes.standing,
                    updated: f.int("updated").ok()?,
                    edited: notes.edited,
                    // A removed note is a state, not a wording to show.
                    earlier: notes
                        .earlier
                        .into_iter()
                        .filter_map(|(text, at)| {
                            Some(Version {
                                text: text?,
                                due: None,
                                at,
                            })
                        })
                        .collect(),
                    forgiveness: if stage == FORGIVENESS_STAGE {
                        read_forgiveness(&f).ok()?
                    } else {
                        None
                    },
                    partner,
                })
            })
            .collect();
        out.sort_by(|a, b| (a.stage, &a.partner).cmp(&(b.stage, &b.partner)));
        out
    }
}

/// My record of `stage`, made (not done, no note) if I have none yet.
fn own_record(
    am: &mut AutoCommit,
    steps: &ObjId,
    me: &PartnerId,
    stage: u8,
    now: i64,
) -> Result<ObjId> {
    let key = format!("{stage}:{me}");
    if let Some((Value::Object(ObjType::Map), obj)) = am.get(steps, key.as_str())? {
        return Ok(obj);
    }
    let obj = am.put_object(steps, key.as_str(), ObjType::Map)?;
    am.put(&obj, "author", me.as_str())?;
    am.put(&obj, "stage", i64::from(stage))?;
    am.put(&obj, "created", now)?;
    am.put(&obj, "done", false)?;
    am.put(&obj, "updated", now)?;
    Ok(obj)
}

/// The forgiveness a record holds: standing while `forgiven_at` is there.
fn read_forgiveness(f: &Fields<'_>) -> Result<Option<Forgiveness>> {
    Ok(match f.opt_int("forgiven_at")? {
        Some(offered_at) => Some(Forgiveness {
            offered_at,
            words: f.opt_str("forgiveness")?,
        }),
        None => None,
    })
}

/// The stage and partner a record's key names, if it names them.
fn record_key(key: &str) -> Option<(u8, PartnerId)> {
    let (stage, partner) = key.split_once(':')?;
    Some((
        STAGE.contains(stage.parse().ok()?)?,
        PartnerId::parse(partner).ok()?,
    ))
}

/// The note that stands on record `key` (for a release of history). Fails for a
/// record [`SharedJournal::stages`] would not list.
pub(super) fn read_note(am: &AutoCommit, key: &str, obj: ObjId) -> Result<Option<String>> {
    let f = Fields::named(am, obj, "stage", key);
    let Some((_, partner)) = record_key(key) else {
        return Err(f.corrupt("key", "names no stage and partner"));
    };
    if f.partner("author")? != partner {
        return Err(f.corrupt("author", "is not the partner the key names"));
    }
    Ok(read_notes(&f, &partner)?.standing)
}

/// The note's history. Records written before notes had revisions may lack
/// `created`; their first note then dates from the record's last update.
fn read_notes(f: &Fields<'_>, partner: &PartnerId) -> Result<History<Option<String>>> {
    let created = match f.opt_int("created")? {
        Some(t) => t,
        None => f.int("updated")?,
    };
    let revs = revisions::revisions(f, partner);
    Ok(revisions::edits(f.opt_str("note")?, created, &revs, |r| {
        r.opt_str("note")
    }))
}
