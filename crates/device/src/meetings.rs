//! The weekly meeting: points prepared alone in the diary, brought when ready, then
//! gone through together on either device. The rules are the journal's
//! (`shared/meeting.rs`, `meeting.rs`); the device finds my draft, names the week
//! in this device's calendar, and says where my preparation stands.

use chrono::NaiveDate;
use kintsugi_journal::{
    Boundary, EntryKind, Meeting, MeetingDraft, MeetingPoints, PartnerId, Promise,
};

use crate::{Device, DeviceError, Field, Result, agreements::today, view};

/// Where my preparation for a week's meeting stands, for a front end to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingPrep {
    pub week: String,
    /// My private points, if I wrote any.
    pub draft: Option<MeetingDraft>,
    /// What I brought differs from my draft (or I have not brought it): bringing
    /// would change what my partner sees.
    pub unbrought: bool,
    pub meeting: Meeting,
}

/// This week, in this device's calendar: the week a meeting is for unless another
/// is named.
pub fn this_week() -> String {
    view::week_of(today())
}

impl Device {
    /// My private points for `week`'s meeting, if I wrote any.
    pub fn meeting_draft(&self, week: &str) -> Result<Option<MeetingDraft>> {
        Ok(self.read_diary(|d, _| d.meeting_draft(week))??)
    }

    /// Every week I prepared for, oldest first.
    pub fn meeting_drafts(&self) -> Result<Vec<MeetingDraft>> {
        self.read_diary(|d, _| d.meeting_drafts())
    }

    /// Keeps my points for `week` in my diary, replacing the ones I had. Private
    /// until I bring them.
    pub fn save_meeting_draft(&self, week: &str, points: &MeetingPoints) -> Result<MeetingDraft> {
        self.write_diary(|d, me, now| d.save_meeting_draft(me, week, points, now))
    }

    pub fn discard_meeting_draft(&self, week: &str) -> Result<()> {
        self.write_diary(|d, _, now| d.remove_meeting_draft(week, now))
    }

    /// Brings my points for `week` to the meeting, as my draft has them: my
    /// partner's device receives them with the next sync. Front ends say so first.
    pub fn bring_to_meeting(&self, week: &str) -> Result<Meeting> {
        let week = kintsugi_journal::parse_week(week)?;
        let draft = self
            .meeting_draft(&week)?
            .ok_or_else(|| kintsugi_journal::JournalError::NoMeetingPoints(week.clone()))?;
        self.write_shared(|s, me, now| s.bring_to_meeting(me, &week, &draft.points, now))?;
        self.meeting(&week)
    }

    /// `week`'s meeting as it stands (empty when nobody brought anything yet).
    pub fn meeting(&self, week: &str) -> Result<Meeting> {
        Ok(self.read_shared(|s, _| s.meeting(week))??)
    }

    /// Every meeting anyone brought something to, oldest week first.
    pub fn meetings(&self) -> Result<Vec<Meeting>> {
        self.read_shared(|s, _| s.meetings())
    }

    /// My preparation for `week` and the meeting as it stands.
    pub fn meeting_prep(&self, week: &str) -> Result<MeetingPrep> {
        let week = kintsugi_journal::parse_week(week)?;
        let me = self.me()?;
        let draft = self.meeting_draft(&week)?;
        let meeting = self.meeting(&week)?;
        let brought = meeting.side(&me).map(|s| &s.points);
        let unbrought = draft
            .as_ref()
            .is_some_and(|d| !d.points.is_empty() && brought != Some(&d.points));
        Ok(MeetingPrep {
            week,
            draft,
            unbrought,
            meeting,
        })
    }

    /// Writes down `side_of`'s side of the issue `issue_of` raised in `week`'s
    /// meeting, on this device. Writing it again replaces it; the earlier wording
    /// stays readable.
    pub fn hear_in_meeting(
        &self,
        week: &str,
        issue_of: &PartnerId,
        side_of: &PartnerId,
        text: &str,
    ) -> Result<Meeting> {
        self.write_shared(|s, me, now| s.hear_in_meeting(me, week, issue_of, side_of, text, now))?;
        self.meeting(week)
    }

    /// Makes `week`'s plan a promise of mine, due on `due` (`YYYY-MM-DD`).
    pub fn promise_from_meeting(&self, week: &str, text: &str, due: &str) -> Result<Promise> {
        let due: NaiveDate = kintsugi_journal::parse_date(due)?;
        let id =
            self.write_shared(|s, me, now| s.promise_from_meeting(me, week, text, due, now))?;
        Ok(self.read_shared(|s, _| s.get_promise(&id))??)
    }

    /// Makes `week`'s plan new wording for one of my boundaries (`boundary` is its
    /// id or a prefix); my partner agrees to it as to any amendment.
    pub fn amend_from_meeting(&self, week: &str, boundary: &str, text: &str) -> Result<Boundary> {
        let id = self.resolve_shared(boundary, EntryKind::Boundary)?;
        self.write_shared(|s, me, now| s.amend_from_meeting(me, week, &id, text, now))?;
        self.boundary(&id)
    }

    /// Closes `week`'s meeting.
    pub fn hold_meeting(&self, week: &str) -> Result<Meeting> {
        self.write_shared(|s, me, now| s.hold_meeting(me, week, now))?;
        self.meeting(week)
    }

    /// My partner's id, for naming their side: known once anything of theirs
    /// arrived.
    pub fn partner_id(&self) -> Result<PartnerId> {
        self.names()?.partner_id().cloned().ok_or_else(|| {
            DeviceError::bad_input(
                Field::Partner,
                "nothing of your partner's has arrived yet: sync with them first",
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{paired, sync_directly};
    use crate::{Appreciation, ExportFormat, ExportScope, OutcomeKind};

    const CANARY: &str = "UNBROUGHT-MEETING-CANARY-31";
    const WEEK: &str = "2026-W49";

    fn holds(bytes: &[u8], text: &str) -> bool {
        bytes.windows(text.len()).any(|w| w == text.as_bytes())
    }

    fn points(issue: &str) -> MeetingPoints {
        MeetingPoints {
            appreciations: vec![Appreciation {
                what: "You called when the train was late".into(),
                shows: Some("thinking of me".into()),
            }],
            went_well: Some("The walk on Sunday".into()),
            issue: Some(issue.into()),
        }
    }

    #[test]
    fn points_stay_private_until_brought_and_either_device_runs_the_meeting() {
        let tmp = tempfile::tempdir().unwrap();
        let (ari, bea) = paired(tmp.path());
        let bea_id = bea.me().unwrap();
        let ari_id = ari.me().unwrap();
        ari.save_meeting_draft(WEEK, &points(CANARY)).unwrap();
        let prep = ari.meeting_prep(WEEK).unwrap();
        assert!(prep.unbrought && prep.meeting.sides.is_empty());
        assert!(
            ari.bring_to_meeting("2026-W50").is_err(),
            "no draft that week"
        );
        sync_directly(&ari, &bea);
        let bea_sees = |text: &str| {
            let mut all = vec![bea.shared_automerge_bytes().unwrap()];
            for scope in [ExportScope::Shared, ExportScope::WithPrivate] {
                all.push(bea.export(ExportFormat::Json, scope).unwrap());
            }
            all.iter().any(|b| holds(b, text))
        };
        assert!(!bea_sees(CANARY), "a draft reached the partner");
        assert!(bea.meeting(WEEK).unwrap().sides.is_empty());

        // Ari changes the issue and brings it; the first wording never leaves.
        ari.save_meeting_draft(WEEK, &points("The late evenings"))
            .unwrap();
        ari.bring_to_meeting(WEEK).unwrap();
        assert!(!ari.meeting_prep(WEEK).unwrap().unbrought);
        bea.save_meeting_draft(WEEK, &points("The phone at dinner"))
            .unwrap();
        bea.bring_to_meeting(WEEK).unwrap();
        sync_directly(&ari, &bea);
        assert!(!bea_sees(CANARY));
        let meeting = bea.meeting(WEEK).unwrap();
        assert_eq!(meeting, ari.meeting(WEEK).unwrap());
        assert_eq!(
            meeting.side(&ari_id).unwrap().points.issue.as_deref(),
            Some("The late evenings")
        );

        // The meeting is held at Bea's device: both sides of Ari's issue, then
        // Bea's promise.
        bea.hear_in_meeting(WEEK, &ari_id, &ari_id, "I wait up and feel alone")
            .unwrap();
        bea.hear_in_meeting(WEEK, &ari_id, &bea_id, "I lose track of time")
            .unwrap();
        let promise = bea
            .promise_from_meeting(WEEK, "Text by eight when I'm late", "2027-01-15")
            .unwrap();
        assert_eq!(promise.author, bea_id);
        // Ari amends her own boundary from the meeting on hers, and closes it.
        let boundary = ari.propose_boundary("No phones at dinner", None).unwrap();
        sync_directly(&ari, &bea);
        let amended = ari
            .amend_from_meeting(WEEK, &boundary, "No phones at meals")
            .unwrap();
        assert_eq!(amended.amendment.unwrap().text, "No phones at meals");
        ari.hold_meeting(WEEK).unwrap();
        sync_directly(&ari, &bea);

        let m = bea.meeting(WEEK).unwrap();
        assert_eq!(m.held.as_ref().map(|(by, _)| by), Some(&ari_id));
        let kinds: Vec<OutcomeKind> = m.outcomes.iter().map(|o| o.kind).collect();
        assert_eq!(kinds, [OutcomeKind::Promise, OutcomeKind::Amendment]);
        assert_eq!(
            m.heard_from(&ari_id, &bea_id).unwrap().text,
            "I lose track of time"
        );
        assert!(bea.promises().unwrap().iter().any(|p| p.id == promise.id));
        assert_eq!(ari.meetings().unwrap().len(), 1);
        // Closed: bringing again is refused and says why.
        let refused = ari.bring_to_meeting(WEEK).unwrap_err().to_string();
        assert!(refused.contains("closed"), "{refused}");
        assert!(!bea_sees(CANARY));
    }
}
