//! The private trigger log, and what of it its author chooses to share: the weekly
//! numbers, or one moment at a time. Weeks are counted in this device's calendar
//! (a moment at 23:30 on a Sunday belongs to the week it was lived in).

use chrono::{Local, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use kintsugi_journal::{
    EntryKind, List, SharedTrigger, SharedTriggerWeek, Trigger, TriggerWeek, trigger_weeks,
};

use crate::{Device, DeviceError, Field, Result, now_ms};

/// The calendar day a moment fell on here.
pub(crate) fn local_day(ms: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.with_timezone(&Local).date_naive())
        .unwrap_or_default()
}

/// A time a person types for "when": `YYYY-MM-DD HH:MM`, `YYYY-MM-DD` (noon, a day
/// remembered without its hour), or `HH:MM` (today), in this device's time zone.
pub fn parse_when(s: &str) -> Result<i64> {
    let s = s.trim();
    let bad = || {
        DeviceError::bad_input(
            Field::Date,
            format!("{s:?} is not a time: write YYYY-MM-DD HH:MM, YYYY-MM-DD or HH:MM"),
        )
    };
    let local = if let Ok(t) = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M") {
        t
    } else if let Ok(d) = kintsugi_journal::parse_date(s) {
        d.and_time(NaiveTime::from_hms_opt(12, 0, 0).ok_or_else(bad)?)
    } else if let Ok(t) = NaiveTime::parse_from_str(s, "%H:%M") {
        Local::now().date_naive().and_time(t)
    } else {
        return Err(bad());
    };
    // A time skipped by a clock change has no instant; an ambiguous one takes the
    // first.
    Local
        .from_local_datetime(&local)
        .earliest()
        .map(|t| t.timestamp_millis())
        .ok_or_else(bad)
}

impl Device {
    /// Logs a moment, at `at` (Unix ms) or now; private.
    pub fn add_trigger(&self, at: Option<i64>, strength: u8, words: &str) -> Result<String> {
        let at = at.unwrap_or_else(now_ms);
        self.write_diary(|d, me, now| d.add_trigger(me, at, strength, words, now))
    }

    pub fn triggers(&self) -> Result<List<Trigger>> {
        self.cached_diary(|l, d| l.triggers(d))
    }

    pub fn delete_trigger(&self, id: &str) -> Result<()> {
        let id = self.resolve_diary(id, EntryKind::Trigger)?;
        self.write_diary(|d, _, now| d.remove_trigger(&id, now))
    }

    /// My log in weekly numbers, oldest week first.
    pub fn trigger_weeks(&self) -> Result<Vec<TriggerWeek>> {
        Ok(trigger_weeks(&self.triggers()?, local_day))
    }

    /// Shares my weekly numbers with my partner: every week (`None`), or one. Only
    /// the week, how many moments and their strengths added up go; a week shared
    /// before whose moments were since deleted is shared as none. Returns what
    /// was shared.
    pub fn share_trigger_trend(&self, week: Option<&str>) -> Result<Vec<TriggerWeek>> {
        let me = self.me()?;
        let mut weeks = self.trigger_weeks()?;
        let zero = |week: &str| TriggerWeek {
            week: week.to_owned(),
            count: 0,
            strength_sum: 0,
        };
        for s in self.trigger_trend()?.iter().filter(|s| s.author == me) {
            if !weeks.iter().any(|w| w.week == s.numbers.week) {
                weeks.push(zero(&s.numbers.week));
            }
        }
        if let Some(week) = week {
            let week = kintsugi_journal::parse_week(week)?;
            weeks.retain(|w| w.week == week);
            if weeks.is_empty() {
                weeks.push(zero(&week));
            }
        }
        weeks.sort_by(|a, b| a.week.cmp(&b.week));
        self.write_shared(|s, me, now| s.share_trigger_weeks(me, &weeks, now))?;
        Ok(weeks)
    }

    /// Shares one moment: its words, strength and time. Front ends say so first:
    /// my partner's device keeps it.
    pub fn share_trigger(&self, id: &str) -> Result<SharedTrigger> {
        let id = self.resolve_diary(id, EntryKind::Trigger)?;
        let t = self.read_diary(|d, _| d.get_trigger(&id))??;
        self.write_shared(|s, me, now| s.share_trigger(me, &t, now))?;
        Ok(self.read_shared(|s, _| s.get_shared_trigger(&id))??)
    }

    /// Both partners' shared weekly numbers.
    pub fn trigger_trend(&self) -> Result<List<SharedTriggerWeek>> {
        self.cached(|l, j| l.trigger_trend(j))
    }

    /// The moments either partner shared one by one.
    pub fn shared_triggers(&self) -> Result<List<SharedTrigger>> {
        self.cached(|l, j| l.shared_triggers(j))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::paired;
    use crate::{ExportFormat, ExportScope};

    const CANARY: &str = "UNSHARED-TRIGGER-CANARY-77";

    fn carry(from: &Device, to: &Device) {
        to.import_bundle(&from.export_bundle().unwrap()).unwrap();
    }

    fn holds(bytes: &[u8], text: &str) -> bool {
        bytes.windows(text.len()).any(|w| w == text.as_bytes())
    }

    fn everything(d: &Device) -> Vec<Vec<u8>> {
        let mut out = vec![d.shared_automerge_bytes().unwrap()];
        for format in [ExportFormat::Json, ExportFormat::Markdown] {
            for scope in [ExportScope::Shared, ExportScope::WithPrivate] {
                out.push(d.export(format, scope).unwrap());
            }
        }
        out.push(format!("{:?}", d.shared_triggers().unwrap()).into_bytes());
        out.push(format!("{:?}", d.trigger_trend().unwrap()).into_bytes());
        out.push(format!("{:?}", d.shared_entries().unwrap()).into_bytes());
        out.push(format!("{:?}", d.triggers().unwrap()).into_bytes());
        out
    }

    #[test]
    fn the_partner_gets_the_numbers_and_a_chosen_moment_never_the_rest() {
        let tmp = tempfile::tempdir().unwrap();
        let (ari, bea) = paired(tmp.path());
        let now = now_ms();
        bea.add_trigger(Some(now), 8, CANARY).unwrap();
        // At one time, so that both fall in one week whenever the test runs.
        let chosen = bea
            .add_trigger(Some(now), 4, "a song on the radio")
            .unwrap();
        assert_eq!(bea.triggers().unwrap().len(), 2);
        assert!(bea.add_trigger(None, 11, "x").is_err());

        // Nothing is shared until Bea chooses.
        carry(&bea, &ari);
        assert!(ari.trigger_trend().unwrap().is_empty());
        assert!(ari.shared_triggers().unwrap().is_empty());

        let shared = bea.share_trigger_trend(None).unwrap();
        let week = crate::view::week_of(local_day(now));
        assert_eq!(shared.len(), 1);
        assert_eq!(
            (shared[0].week.as_str(), shared[0].count),
            (week.as_str(), 2)
        );
        assert_eq!(shared[0].strength_sum, 12);
        let one = bea.share_trigger(&chosen[..24]).unwrap();
        assert_eq!(one.words, "a song on the radio");
        carry(&bea, &ari);

        let trend = ari.trigger_trend().unwrap();
        assert_eq!(trend.len(), 1);
        assert_eq!(trend[0].author, bea.me().unwrap());
        assert_eq!(trend[0].numbers, shared[0]);
        let moments = ari.shared_triggers().unwrap();
        assert_eq!(moments.len(), 1);
        assert_eq!(
            (moments[0].words.as_str(), moments[0].strength),
            ("a song on the radio", 4)
        );
        assert!(ari.triggers().unwrap().is_empty(), "Bea's log is not Ari's");
        for bytes in everything(&ari) {
            assert!(
                !holds(&bytes, CANARY),
                "Ari's device holds an unshared moment"
            );
        }
        // What Ari does get is readable there (the search above can see words).
        assert!(holds(
            &ari.shared_automerge_bytes().unwrap(),
            "a song on the radio"
        ));

        // A moment deleted after the trend was shared: sharing again says so.
        // Found by its strength: both moments have one time, so the log's order between them is
        // the ids' random part.
        let unshared = bea
            .triggers()
            .unwrap()
            .iter()
            .find(|t| t.strength == 8)
            .map(|t| t.id.clone())
            .unwrap();
        bea.delete_trigger(&unshared).unwrap();
        let again = bea.share_trigger_trend(Some(&week)).unwrap();
        assert_eq!((again[0].count, again[0].strength_sum), (1, 4));
        carry(&bea, &ari);
        assert_eq!(ari.trigger_trend().unwrap()[0].numbers.count, 1);
    }

    #[test]
    fn when_is_read_in_the_local_calendar() {
        let noon = Local
            .with_ymd_and_hms(2026, 3, 2, 12, 0, 0)
            .earliest()
            .unwrap()
            .timestamp_millis();
        assert_eq!(parse_when("2026-03-02").unwrap(), noon);
        assert_eq!(parse_when(" 2026-03-02 12:00 ").unwrap(), noon);
        assert!(parse_when("12:30").is_ok());
        for bad in ["yesterday", "2026-3-2", "25:00", ""] {
            assert!(parse_when(bad).is_err(), "{bad}");
        }
    }
}
