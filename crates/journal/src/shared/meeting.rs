//! The weekly meeting, shared: what each partner brought, each side of an issue as
//! the meeting heard it, what the plan became, and that the meeting was held.
//!
//! The meeting runs on either device, so either partner's device may write any of
//! it; each record says whose device wrote it. Everything lives in the `shared` map
//! (genesis is frozen, so no new root map), told apart by `kind`, under keys no two
//! devices can create at once:
//!
//! | kind              | key                          | fields                                      |
//! |-------------------|------------------------------|---------------------------------------------|
//! | `meeting-side`    | `meeting:{week}:{author}`    | `author`, `week`, the points (see `meeting.rs`), `created`, `updated` |
//! | `meeting-heard`   | `meeting-heard:{id}`         | `week`, `issue_of`, `side_of`, `by`, `text`, `at` |
//! | `meeting-outcome` | `meeting-outcome:{id}`       | `week`, `outcome` (`promise`/`amendment`), `entry`, `by`, `at` |
//! | `meeting-held`    | `meeting-held:{week}:{by}`   | `week`, `by`, `at`                          |
//!
//! A side is brought by its author's device only: the points were prepared in that
//! device's diary. An outcome is written in the same change as the promise or
//! amendment it records, so the plan cannot become one without the other.

use std::collections::BTreeMap;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ReadDoc, ValueRef};
use chrono::NaiveDate;

use super::{PROMISES, SHARED, SharedJournal, boundary, promise};
use crate::entries::{Heard, Meeting, MeetingOutcome, MeetingPoints, MeetingSide, OutcomeKind};
use crate::error::{JournalError, Result};
use crate::fields::{Fields, weekly_record};
use crate::ids::{EntryKind, PartnerId, new_entry_id};
use crate::meeting::{checked, put_points, read_points};
use crate::validate::{parse_week, require_text};

const SIDE: &str = "meeting-side";
const HEARD: &str = "meeting-heard";
const OUTCOME: &str = "meeting-outcome";
const HELD: &str = "meeting-held";

/// One meeting record of the `shared` map, read.
enum Record {
    Side(String, MeetingSide),
    Heard(String, Heard),
    Outcome(String, MeetingOutcome),
    Held(String, PartnerId, i64),
}

impl SharedJournal {
    /// Brings my points to `week`'s meeting, replacing what I brought before. My
    /// partner's device receives them with the next sync. Refused when there is
    /// nothing to bring, or once the meeting was held.
    pub fn bring_to_meeting(
        &mut self,
        me: &PartnerId,
        week: &str,
        points: &MeetingPoints,
        now: i64,
    ) -> Result<()> {
        let week = parse_week(week)?;
        let points = checked(points)?;
        if points.is_empty() {
            return Err(JournalError::NoMeetingPoints(week));
        }
        self.refuse_closed(&week)?;
        let key = format!("meeting:{week}:{me}");
        self.doc.transact(now, |am, roots| {
            let obj = weekly_record(am, &roots[SHARED], &key, SIDE, me, &week, now)?;
            put_points(am, &obj, &points)?;
            am.put(&obj, "updated", now)?;
            Ok(())
        })
    }

    /// Writes down one side of an issue brought to `week`'s meeting: `side_of`'s,
    /// on the issue `issue_of` raised. Either device may write either side (the
    /// meeting is held at one of them); the record says it was written on mine.
    /// Writing a side again replaces it.
    pub fn hear_in_meeting(
        &mut self,
        me: &PartnerId,
        week: &str,
        issue_of: &PartnerId,
        side_of: &PartnerId,
        text: &str,
        now: i64,
    ) -> Result<String> {
        let week = parse_week(week)?;
        let text = require_text("text", text)?.trim();
        let meeting = self.meeting(&week)?;
        refuse(&week, meeting.closed_refusal())?;
        let raised = meeting
            .side(issue_of)
            .is_some_and(|s| s.points.issue.is_some());
        refuse(
            &week,
            (!raised).then_some("there is no issue of that partner's in this meeting"),
        )?;
        let id = new_entry_id(now)?;
        self.doc.transact(now, |am, roots| {
            let obj = am.put_object(&roots[SHARED], format!("{HEARD}:{id}"), ObjType::Map)?;
            am.put(&obj, "kind", HEARD)?;
            am.put(&obj, "week", week.as_str())?;
            am.put(&obj, "issue_of", issue_of.as_str())?;
            am.put(&obj, "side_of", side_of.as_str())?;
            am.put(&obj, "by", me.as_str())?;
            am.put(&obj, "text", text)?;
            am.put(&obj, "at", now)?;
            Ok(())
        })?;
        Ok(id)
    }

    /// Turns `week`'s plan into a promise of mine, in one change with the record
    /// that the meeting led to it. Returns the promise's id.
    pub fn promise_from_meeting(
        &mut self,
        me: &PartnerId,
        week: &str,
        text: &str,
        due: NaiveDate,
        now: i64,
    ) -> Result<String> {
        let week = parse_week(week)?;
        self.refuse_closed(&week)?;
        let terms = promise::terms(text, due)?;
        self.doc.transact(now, |am, roots| {
            let id = promise::put_promise(am, &roots[PROMISES], me, terms, now)?;
            put_outcome(
                am,
                &roots[SHARED],
                me,
                &week,
                OutcomeKind::Promise,
                &id,
                now,
            )?;
            Ok(id)
        })
    }

    /// Turns `week`'s plan into new wording for one of my boundaries (my partner
    /// agrees to it as to any amendment), in one change with the record that the
    /// meeting led to it. Returns the amendment's id.
    pub fn amend_from_meeting(
        &mut self,
        me: &PartnerId,
        week: &str,
        boundary: &str,
        text: &str,
        now: i64,
    ) -> Result<String> {
        let week = parse_week(week)?;
        self.refuse_closed(&week)?;
        let obj = self.amendable(me, boundary, text)?;
        self.doc.transact(now, |am, roots| {
            let id = boundary::put_boundary_amendment(am, &obj, me, text, now)?;
            put_outcome(
                am,
                &roots[SHARED],
                me,
                &week,
                OutcomeKind::Amendment,
                boundary,
                now,
            )?;
            Ok(id)
        })
    }

    /// Closes `week`'s meeting: nothing more is brought or added to it.
    pub fn hold_meeting(&mut self, me: &PartnerId, week: &str, now: i64) -> Result<()> {
        let week = parse_week(week)?;
        let meeting = self.meeting(&week)?;
        refuse(&week, meeting.closed_refusal())?;
        refuse(
            &week,
            meeting
                .sides
                .is_empty()
                .then_some("nobody has brought anything to it yet"),
        )?;
        self.doc.transact(now, |am, roots| {
            let obj = am.put_object(&roots[SHARED], format!("{HELD}:{week}:{me}"), ObjType::Map)?;
            am.put(&obj, "kind", HELD)?;
            am.put(&obj, "week", week.as_str())?;
            am.put(&obj, "by", me.as_str())?;
            am.put(&obj, "at", now)?;
            Ok(())
        })
    }

    /// `week`'s meeting as it stands; one nobody has brought anything to yet is
    /// empty.
    pub fn meeting(&self, week: &str) -> Result<Meeting> {
        let week = parse_week(week)?;
        Ok(self
            .meetings()
            .into_iter()
            .find(|m| m.week == week)
            .unwrap_or_else(|| empty(week)))
    }

    /// Every meeting anyone brought something to, oldest week first. Records that
    /// do not read are skipped.
    pub fn meetings(&self) -> Vec<Meeting> {
        let am = self.doc.am();
        let mut weeks: BTreeMap<String, Meeting> = BTreeMap::new();
        // Every meeting key starts with `meeting`; "meetinh" is the first string after.
        for item in am.map_range(
            self.doc.root(SHARED),
            "meeting".to_owned().."meetinh".to_owned(),
        ) {
            let ValueRef::Object(ObjType::Map) = item.value else {
                continue;
            };
            let Ok(record) = read_record(am, &item.key, item.id()) else {
                continue;
            };
            let week = match &record {
                Record::Side(w, _) | Record::Heard(w, _) | Record::Outcome(w, _) => w,
                Record::Held(w, _, _) => w,
            };
            let m = weeks
                .entry(week.clone())
                .or_insert_with(|| empty(week.clone()));
            match record {
                Record::Side(_, side) => m.sides.push(side),
                Record::Heard(_, heard) => m.heard.push(heard),
                Record::Outcome(_, outcome) => m.outcomes.push(outcome),
                Record::Held(_, by, at) => {
                    if m.held.as_ref().is_none_or(|(_, first)| at < *first) {
                        m.held = Some((by, at));
                    }
                }
            }
        }
        let mut out: Vec<Meeting> = weeks.into_values().collect();
        for m in &mut out {
            m.sides.sort_by(|a, b| a.author.cmp(&b.author));
            m.heard.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
            m.outcomes.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
        }
        out
    }

    fn refuse_closed(&self, week: &str) -> Result<()> {
        refuse(week, self.meeting(week)?.closed_refusal())
    }
}

/// Records that `week`'s plan became `entry`, inside the change that made it.
fn put_outcome(
    am: &mut AutoCommit,
    shared: &ObjId,
    me: &PartnerId,
    week: &str,
    kind: OutcomeKind,
    entry: &str,
    now: i64,
) -> Result<()> {
    let id = new_entry_id(now)?;
    let obj = am.put_object(shared, format!("{OUTCOME}:{id}"), ObjType::Map)?;
    am.put(&obj, "kind", OUTCOME)?;
    am.put(&obj, "week", week)?;
    am.put(&obj, "outcome", kind.as_str())?;
    am.put(&obj, "entry", entry)?;
    am.put(&obj, "by", me.as_str())?;
    am.put(&obj, "at", now)?;
    Ok(())
}

fn empty(week: String) -> Meeting {
    Meeting {
        week,
        sides: Vec::new(),
        heard: Vec::new(),
        outcomes: Vec::new(),
        held: None,
    }
}

fn refuse(week: &str, reason: Option<&'static str>) -> Result<()> {
    match reason {
        Some(reason) => Err(JournalError::NotNow {
            kind: EntryKind::Meeting,
            id: week.to_owned(),
            reason,
        }),
        None => Ok(()),
    }
}

fn read_record(am: &AutoCommit, key: &str, obj: ObjId) -> Result<Record> {
    let f = Fields::named(am, obj, "meeting", key);
    let week = f.str("week")?;
    if parse_week(&week).is_err() {
        return Err(f.corrupt("week", "is not an ISO week"));
    }
    let id = |prefix: &str| {
        key.strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix(':'))
            .map(str::to_owned)
            .ok_or_else(|| f.corrupt("kind", "does not match its key"))
    };
    Ok(match f.str("kind")?.as_str() {
        SIDE => {
            let author = f.partner("author")?;
            if key != format!("meeting:{week}:{author}") {
                return Err(f.corrupt("author", "does not match its key"));
            }
            let side = MeetingSide {
                author,
                points: read_points(&f)?,
                brought_at: f.int("created")?,
                updated: f.int("updated")?,
            };
            Record::Side(week, side)
        }
        HEARD => {
            let heard = Heard {
                id: id(HEARD)?,
                issue_of: f.partner("issue_of")?,
                side_of: f.partner("side_of")?,
                written_by: f.partner("by")?,
                text: f.str("text")?,
                at: f.int("at")?,
            };
            Record::Heard(week, heard)
        }
        OUTCOME => {
            let outcome = MeetingOutcome {
                id: id(OUTCOME)?,
                kind: f.parsed("outcome", OutcomeKind::from_name)?,
                entry: f.str("entry")?,
                by: f.partner("by")?,
                at: f.int("at")?,
            };
            Record::Outcome(week, outcome)
        }
        HELD => {
            let by = f.partner("by")?;
            if key != format!("{HELD}:{week}:{by}") {
                return Err(f.corrupt("by", "does not match its key"));
            }
            Record::Held(week, by, f.int("at")?)
        }
        _ => return Err(f.corrupt("kind", "is not a meeting record")),
    })
}
