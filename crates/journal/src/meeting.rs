//! The weekly meeting's private half: each partner prepares their points alone, in
//! their own diary, and brings them to the meeting when ready
//! ([`SharedJournal::bring_to_meeting`](crate::SharedJournal::bring_to_meeting)).
//!
//! A draft is a record of the diary's `reflections` map under the key
//! `meeting:{week}` (one per week, so two processes writing it land on one key), with
//! `kind` = `meeting-draft`, `author`, `week`, `went_well`?, `issue`?, `created`,
//! `updated`, and one map per appreciation, `appreciation:{nn}` (`what`, `shows`?),
//! numbered in the order they are read out. The same points layout is used for what
//! a partner brought, in the shared journal.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ReadDoc, Value, ValueRef};

use crate::diary::{PrivateDiary, REFLECTIONS};
use crate::entries::{Appreciation, MeetingDraft, MeetingPoints};
use crate::error::{JournalError, Result};
use crate::fields::{Fields, put_opt, weekly_record};
use crate::ids::PartnerId;
use crate::validate::{optional_text, parse_week, require_text};

/// The most appreciations one partner brings to one meeting: enough to start warm,
/// few enough to be heard one by one.
pub const MAX_APPRECIATIONS: usize = 5;

const DRAFT: &str = "meeting-draft";
const KEY: &str = "meeting:";
const APPRECIATION: &str = "appreciation:";

/// The points as they are stored: trimmed, blanks absent, an appreciation needs its
/// `what`, and there are at most [`MAX_APPRECIATIONS`].
pub(crate) fn checked(points: &MeetingPoints) -> Result<MeetingPoints> {
    if points.appreciations.len() > MAX_APPRECIATIONS {
        return Err(JournalError::OutOfRange {
            field: "appreciations",
            min: 0,
            max: MAX_APPRECIATIONS as i64,
            value: i64::try_from(points.appreciations.len()).unwrap_or(i64::MAX),
        });
    }
    let appreciations = points
        .appreciations
        .iter()
        .map(|a| {
            Ok(Appreciation {
                what: require_text("appreciation", &a.what)?.trim().to_owned(),
                shows: optional_text(a.shows.as_deref()).map(|s| s.trim().to_owned()),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(MeetingPoints {
        appreciations,
        went_well: optional_text(points.went_well.as_deref()).map(|t| t.trim().to_owned()),
        issue: optional_text(points.issue.as_deref()).map(|t| t.trim().to_owned()),
    })
}

/// Writes checked points over what `obj` held: appreciations beyond the new count
/// are removed.
pub(crate) fn put_points(am: &mut AutoCommit, obj: &ObjId, points: &MeetingPoints) -> Result<()> {
    put_opt(am, obj, "went_well", points.went_well.as_deref())?;
    put_opt(am, obj, "issue", points.issue.as_deref())?;
    let stale: Vec<String> = am
        .map_range(obj, ..)
        .filter(|item| item.key.starts_with(APPRECIATION))
        .map(|item| item.key.into_owned())
        .collect();
    for key in stale {
        am.delete(obj, key.as_str())?;
    }
    for (n, a) in points.appreciations.iter().enumerate() {
        let a_obj = am.put_object(obj, format!("{APPRECIATION}{n:02}"), ObjType::Map)?;
        am.put(&a_obj, "what", a.what.as_str())?;
        put_opt(am, &a_obj, "shows", a.shows.as_deref())?;
    }
    Ok(())
}

pub(crate) fn read_points(f: &Fields<'_>) -> Result<MeetingPoints> {
    let mut numbered: Vec<(String, ObjId)> = f.prefixed_maps(APPRECIATION).collect();
    numbered.sort();
    let appreciations = numbered
        .into_iter()
        .take(MAX_APPRECIATIONS)
        .map(|(_, obj)| {
            let a = f.nested(obj);
            Ok(Appreciation {
                what: a.str("what")?,
                shows: a.opt_str("shows")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(MeetingPoints {
        appreciations,
        went_well: f.opt_str("went_well")?,
        issue: f.opt_str("issue")?,
    })
}

impl PrivateDiary {
    /// Keeps my points for `week`'s meeting here, replacing the ones I had. Nothing
    /// of it leaves the device until I bring it.
    pub fn save_meeting_draft(
        &mut self,
        me: &PartnerId,
        week: &str,
        points: &MeetingPoints,
        now: i64,
    ) -> Result<MeetingDraft> {
        let week = parse_week(week)?;
        let points = checked(points)?;
        let key = format!("{KEY}{week}");
        self.doc.transact(now, |am, roots| {
            let obj = weekly_record(am, &roots[REFLECTIONS], &key, DRAFT, me, &week, now)?;
            put_points(am, &obj, &points)?;
            am.put(&obj, "updated", now)?;
            Ok(())
        })?;
        self.meeting_draft(&week)?
            .ok_or(JournalError::NoMeetingPoints(week))
    }

    /// My points for `week`'s meeting, if I wrote any.
    pub fn meeting_draft(&self, week: &str) -> Result<Option<MeetingDraft>> {
        let week = parse_week(week)?;
        let key = format!("{KEY}{week}");
        match self
            .doc
            .am()
            .get(self.doc.root(REFLECTIONS), key.as_str())?
        {
            Some((Value::Object(ObjType::Map), obj)) => {
                read_draft(self.doc.am(), &key, obj).map(Some)
            }
            _ => Ok(None),
        }
    }

    /// Every week I prepared for, oldest first; drafts that do not read are skipped.
    pub fn meeting_drafts(&self) -> Vec<MeetingDraft> {
        let am = self.doc.am();
        // Every `meeting:` key lies between the prefix and the prefix with its colon
        // raised by one.
        let mut out: Vec<MeetingDraft> = am
            .map_range(
                self.doc.root(REFLECTIONS),
                KEY.to_owned().."meeting;".to_owned(),
            )
            .filter_map(|item| match item.value {
                ValueRef::Object(ObjType::Map) => read_draft(am, &item.key, item.id()).ok(),
                _ => None,
            })
            .collect();
        out.sort_by(|a, b| a.week.cmp(&b.week));
        out
    }

    /// Throws my points for `week` away (the diary's history keeps them until that
    /// history is released).
    pub fn remove_meeting_draft(&mut self, week: &str, now: i64) -> Result<()> {
        let week = parse_week(week)?;
        let key = format!("{KEY}{week}");
        if self.meeting_draft(&week)?.is_none() {
            return Err(JournalError::NoMeetingPoints(week));
        }
        self.doc.transact(now, |am, roots| {
            am.delete(&roots[REFLECTIONS], key.as_str())?;
            Ok(())
        })
    }
}

fn read_draft(am: &AutoCommit, key: &str, obj: ObjId) -> Result<MeetingDraft> {
    let f = Fields::named(am, obj, "meeting draft", key);
    if f.str("kind")? != DRAFT {
        return Err(f.corrupt("kind", "is not a meeting draft"));
    }
    let week = f.str("week")?;
    if parse_week(&week).is_err() || key.strip_prefix(KEY) != Some(week.as_str()) {
        return Err(f.corrupt("week", "is not the week of its key"));
    }
    Ok(MeetingDraft {
        week,
        points: read_points(&f)?,
        created: f.int("created")?,
        updated: f.int("updated")?,
    })
}
