//! The exercise library (`assets/exercises.json`) and what the front ends say
//! about planned exercises: where one stands, whose answer it waits for, which is
//! next. The rules of who may do what are the journal's (`Exercise::*_refusal`);
//! here they are only put into words.

use std::collections::HashSet;
use std::sync::OnceLock;

use chrono::NaiveDate;
use kintsugi_journal::{Exercise, ExerciseStatus, List};
use serde::Deserialize;

use super::Names;

/// One exercise of the library.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LibraryExercise {
    /// What the journal stores; never shown as a name.
    pub id: String,
    pub title: String,
    /// The stage (1–7) it belongs to.
    pub stage: u8,
    /// How long one session takes.
    pub minutes: u16,
    /// Over how many days it runs (a session a day); 1 for a single session.
    #[serde(default = "one_day")]
    pub days: u16,
    /// What it is for, in a sentence or two.
    pub summary: String,
    pub steps: Vec<String>,
}

fn one_day() -> u16 {
    1
}

impl LibraryExercise {
    /// "about 45 minutes", "5 minutes a day for 7 days".
    pub fn duration(&self) -> String {
        let m = self.minutes;
        let session = match (m / 60, m % 60) {
            (0, m) => format!("{m} minutes"),
            (1, 0) => "1 hour".to_string(),
            (h, 0) => format!("{h} hours"),
            (h, m) => format!("{h} h {m} min"),
        };
        if self.days > 1 {
            format!("{session} a day for {} days", self.days)
        } else {
            format!("about {session}")
        }
    }
}

const LIBRARY_JSON: &str = include_str!("../../../../assets/exercises.json");

/// The library compiled into this build. A test checks that the asset parses and
/// passes [`parse_library`]'s checks; were it broken anyway, the library is empty
/// rather than the app stopped.
pub fn library() -> &'static [LibraryExercise] {
    static LIBRARY: OnceLock<Vec<LibraryExercise>> = OnceLock::new();
    LIBRARY.get_or_init(|| parse_library(LIBRARY_JSON).unwrap_or_default())
}

/// The library's exercise `id`, if this build has it.
pub fn library_exercise(id: &str) -> Option<&'static LibraryExercise> {
    library().iter().find(|e| e.id == id)
}

/// The title of the library's exercise `id`; an exercise the partner's newer
/// version proposed still gets a name.
pub fn exercise_title(id: &str) -> String {
    library_exercise(id)
        .map(|e| e.title.clone())
        .unwrap_or_else(|| format!("An exercise this version of Kintsugi does not have ({id})"))
}

/// Parses and checks a library: every exercise has an id the journal can store
/// (once), a title, a stage 1–7, a duration, a summary and at least one step.
fn parse_library(json: &str) -> Result<Vec<LibraryExercise>, String> {
    let list: Vec<LibraryExercise> = serde_json::from_str(json).map_err(|e| e.to_string())?;
    let mut ids = HashSet::new();
    for e in &list {
        let problem = if !kintsugi_journal::valid_exercise_id(&e.id) {
            Some("its id is not lowercase letters, digits and hyphens")
        } else if !ids.insert(e.id.as_str()) {
            Some("its id is used twice")
        } else if !(1..=7).contains(&e.stage) {
            Some("its stage is not 1 to 7")
        } else if e.title.trim().is_empty() || e.summary.trim().is_empty() {
            Some("it has no title or no summary")
        } else if e.steps.is_empty() || e.steps.iter().any(|s| s.trim().is_empty()) {
            Some("it has no steps, or a blank one")
        } else if !(1..=600).contains(&e.minutes) || !(1..=31).contains(&e.days) {
            Some("its duration is not 1–600 minutes over 1–31 days")
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(format!("exercise {:?}: {problem}", e.id));
        }
    }
    Ok(list)
}

/// A calendar day as people read it: "Sat 5 Dec 2026".
pub fn day(date: NaiveDate) -> String {
    date.format("%a %-d %b %Y").to_string()
}

/// Whether a date the partner suggested waits for my answer.
pub fn waits_for_me(e: &Exercise, names: &Names) -> bool {
    e.waiting.as_ref().is_some_and(|w| !names.is_me(&w.by))
        && names
            .me_id()
            .is_some_and(|me| e.accept_refusal(me).is_none())
}

/// Where a planned exercise stands, in one line, naming people as `names` does.
pub fn exercise_state(e: &Exercise, names: &Names) -> String {
    let partner = names.partner_name();
    let answer = |by: &kintsugi_journal::PartnerId| {
        if names.is_me(by) {
            format!("waiting for {partner}'s answer")
        } else {
            "waiting for your answer".to_string()
        }
    };
    match e.status {
        ExerciseStatus::Cancelled => match (&e.cancelled_by, e.cancelled_at) {
            (Some(by), Some(at)) => {
                format!(
                    "Called off by {} on {}",
                    names.name(by),
                    crate::format_time(at)
                )
            }
            _ => "Called off".into(),
        },
        ExerciseStatus::Done => match e.date {
            Some(d) => format!("Done by both of you (planned for {})", day(d)),
            None => "Done by both of you".into(),
        },
        ExerciseStatus::Planned => {
            let mut line = match e.date {
                Some(d) => format!("Planned for {}", day(d)),
                None => "Planned".into(),
            };
            match e.done.as_slice() {
                [(who, _)] if names.is_me(who) => {
                    line += &format!("; you marked it done, {partner} has not yet")
                }
                [(who, _)] => line += &format!("; {} marked it done", names.name(who)),
                _ => {
                    if let Some(w) = &e.waiting {
                        line += &format!(
                            "; {} suggested moving it to {}, {}",
                            names.name(&w.by),
                            day(w.date),
                            answer(&w.by)
                        );
                    }
                }
            }
            line
        }
        ExerciseStatus::Proposed => match &e.waiting {
            Some(w) => format!(
                "{} suggested {}, {}",
                names.name(&w.by),
                day(w.date),
                answer(&w.by)
            ),
            None => "Proposed".into(),
        },
    }
}

/// The dates suggested so far, oldest first, for an exercise's history:
/// "You suggested Tue 1 Dec 2026", "Bea suggested Thu 3 Dec 2026 (agreed)".
pub fn exercise_dates(e: &Exercise, names: &Names) -> Vec<String> {
    e.proposals
        .iter()
        .map(|p| {
            format!(
                "{} suggested {}{}",
                names.name(&p.by),
                day(p.date),
                if p.agreed.is_some() { " (agreed)" } else { "" }
            )
        })
        .collect()
}

/// The planned exercise to do next: the one with the earliest agreed date that
/// not both have marked done (one whose date passed stays next until it is done,
/// moved or called off).
pub fn next_exercise(exercises: &List<Exercise>) -> Option<&Exercise> {
    exercises
        .iter()
        .filter(|e| e.status == ExerciseStatus::Planned)
        .filter_map(|e| Some((e.date?, e)))
        .min_by(|(a, x), (b, y)| (a, &x.id).cmp(&(b, &y.id)))
        .map(|(_, e)| e)
}

/// Home's line about the next exercise: what, and when, counted from `today`.
pub fn next_exercise_line(e: &Exercise, today: NaiveDate, names: &Names) -> String {
    let title = exercise_title(&e.exercise);
    let Some(date) = e.date else {
        return format!("Next exercise: \"{title}\"");
    };
    let when = match (date - today).num_days() {
        d if d < 0 => format!("was planned for {}", day(date)),
        0 => "is planned for today".into(),
        1 => "is planned for tomorrow".into(),
        d => format!("is planned for {} (in {d} days)", day(date)),
    };
    let mine = names.me_id().is_some_and(|me| e.done_by(me));
    let done = if mine {
        format!("; you marked it done, {} has not yet", names.partner_name())
    } else {
        String::new()
    };
    format!("Next exercise: \"{title}\" {when}{done}")
}

/// What choosing where a reflection goes means, in the words both front ends show.
pub const REFLECTION_PRIVATE: &str = "Kept in your private diary. It goes only to your \
own devices, and your partner never sees it.";

/// What sharing a reflection means.
pub const REFLECTION_SHARED: &str = "Shared in your journal together. Your partner's \
device keeps its own copy once you sync.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_library_asset_parses_and_every_exercise_is_complete() {
        let lib = parse_library(LIBRARY_JSON).unwrap();
        assert!((10..=15).contains(&lib.len()), "{} exercises", lib.len());
        for stage in 1..=7u8 {
            assert!(
                lib.iter().any(|e| e.stage == stage),
                "no exercise for stage {stage}"
            );
        }
        for e in &lib {
            assert!((1..=7).contains(&e.stage), "{}", e.id);
            assert!(!e.steps.is_empty() && e.minutes > 0, "{}", e.id);
            assert!(!e.duration().is_empty());
        }
        // What the app and the CLI read is that same library.
        assert_eq!(library(), lib.as_slice());
        assert_eq!(
            exercise_title("listen-ten"),
            "Ten minutes each, only listening"
        );
        assert!(exercise_title("not-in-this-version").contains("not-in-this-version"));
    }

    #[test]
    fn a_broken_library_is_refused_with_the_reason() {
        let one = |patch: &str| {
            format!(
                r#"[{{"id": "a", "title": "A", "stage": 1, "minutes": 5, "summary": "s", "steps": ["x"]{patch}}}]"#
            )
        };
        assert!(parse_library(&one("")).is_ok());
        assert!(parse_library(&one(r#", "days": 7"#)).is_ok());
        let err = parse_library(&one(r#", "days": 0"#)).unwrap_err();
        assert!(err.contains("duration"), "{err}");
        let cases = [
            (
                r#"[{"id": "A b", "title": "A", "stage": 1, "minutes": 5, "summary": "s", "steps": ["x"]}]"#,
                "id is not",
            ),
            (
                r#"[{"id": "a", "title": "A", "stage": 0, "minutes": 5, "summary": "s", "steps": ["x"]}]"#,
                "stage",
            ),
            (
                r#"[{"id": "a", "title": "A", "stage": 1, "minutes": 5, "summary": "s", "steps": []}]"#,
                "no steps",
            ),
            (
                r#"[{"id": "a", "title": "A", "stage": 1, "minutes": 0, "summary": "s", "steps": ["x"]}]"#,
                "duration",
            ),
            (
                r#"[{"id": "a", "title": " ", "stage": 1, "minutes": 5, "summary": "s", "steps": ["x"]}]"#,
                "no title",
            ),
            (
                r#"[{"id": "a", "title": "A", "stage": 1, "summary": "s", "steps": ["x"]}]"#,
                "minutes",
            ),
            (
                r#"[{"id": "a", "title": "A", "stage": 1, "minutes": 5, "summary": "s", "steps": ["x"]}, {"id": "a", "title": "B", "stage": 2, "minutes": 5, "summary": "s", "steps": ["y"]}]"#,
                "twice",
            ),
        ];
        for (json, why) in cases {
            let err = parse_library(json).unwrap_err();
            assert!(err.contains(why), "{json}: {err}");
        }
    }

    #[test]
    fn durations_read_plainly() {
        let mut e = library()[0].clone();
        for (minutes, days, said) in [
            (45, 1, "about 45 minutes"),
            (60, 1, "about 1 hour"),
            (180, 1, "about 3 hours"),
            (90, 1, "about 1 h 30 min"),
            (5, 7, "5 minutes a day for 7 days"),
        ] {
            (e.minutes, e.days) = (minutes, days);
            assert_eq!(e.duration(), said);
        }
    }
}
