//! Input checks shared by every command, and the calendar helpers callers need to
//! produce valid input.

use chrono::{Datelike, NaiveDate, Weekday};

use crate::error::{JournalError, Result};

/// Check-in mood and diary mood.
pub(crate) const MOOD: Scale = Scale::new("mood", 1, 5);
/// Check-in trust.
pub(crate) const TRUST: Scale = Scale::new("trust", 1, 10);
/// Check-in closeness.
pub(crate) const CLOSENESS: Scale = Scale::new("closeness", 1, 10);
/// How strongly a trigger was felt.
pub(crate) const STRENGTH: Scale = Scale::new("strength", 1, 10);
/// The seven stages of the process (see the design guide, §1).
pub(crate) const STAGE: Scale = Scale::new("stage", 1, 7);

/// A bounded integer field. One definition serves both directions: checking what a
/// caller passes in and checking what a partner's device wrote into the document.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scale {
    pub field: &'static str,
    pub min: u8,
    pub max: u8,
}

impl Scale {
    const fn new(field: &'static str, min: u8, max: u8) -> Self {
        Self { field, min, max }
    }

    pub fn check(self, value: u8) -> Result<u8> {
        if (self.min..=self.max).contains(&value) {
            Ok(value)
        } else {
            Err(JournalError::OutOfRange {
                field: self.field,
                min: self.min.into(),
                max: self.max.into(),
                value: value.into(),
            })
        }
    }

    /// For values read back from the document, which may be any i64.
    pub fn contains(self, value: i64) -> Option<u8> {
        u8::try_from(value)
            .ok()
            .filter(|v| (self.min..=self.max).contains(v))
    }
}

/// Rejects empty and whitespace-only text.
pub(crate) fn require_text<'a>(field: &'static str, text: &'a str) -> Result<&'a str> {
    if text.trim().is_empty() {
        Err(JournalError::EmptyText { field })
    } else {
        Ok(text)
    }
}

/// Optional free text: blank means "nothing to say", which we store as absent rather
/// than as an empty string so that readers have one representation to handle.
pub(crate) fn optional_text(text: Option<&str>) -> Option<&str> {
    text.filter(|t| !t.trim().is_empty())
}

/// Checks an ISO week such as `2026-W48` and returns it in canonical form.
///
/// Weeks are compared as strings (one check-in per author per week), so only the one
/// canonical spelling is accepted; week 53 is accepted only in years that have one.
pub fn parse_week(s: &str) -> Result<String> {
    let bad = || JournalError::BadWeek(s.to_owned());
    let (year, week) = s.split_once("-W").ok_or_else(bad)?;
    if year.len() != 4
        || week.len() != 2
        || !year.bytes().chain(week.bytes()).all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let year: i32 = year.parse().map_err(|_| bad())?;
    let week: u32 = week.parse().map_err(|_| bad())?;
    NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).ok_or_else(bad)?;
    Ok(s.to_owned())
}

/// The ISO week a date falls in, in the form [`parse_week`] accepts.
pub fn iso_week_of(date: NaiveDate) -> String {
    let week = date.iso_week();
    format!("{:04}-W{:02}", week.year(), week.week())
}

/// Parses a calendar date written `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Result<NaiveDate> {
    let bad = || JournalError::BadDate(s.to_owned());
    // chrono's %Y also accepts signs and short years; insist on the exact shape so the
    // stored string round-trips.
    let shape_ok = s.len() == 10
        && s.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shape_ok {
        return Err(bad());
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| bad())
}

/// The stored form of a date; the inverse of [`parse_date`].
pub fn format_date(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}
