//! What the front ends show, decided once. The CLI and the app print the same stage
//! names, the same check-in questions, the same names for people and the same list
//! of what is due; when they kept their own copies, the copies drifted apart (the CLI
//! said "Honest communication" where the app said "Talk honestly").
//!
//! Everything here is pure: it takes entries the front end already holds (the app
//! draws from a cache rebuilt off its UI thread) and returns text or plain values.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate};
use kintsugi_journal::{
    AgreementState, Boundary, CheckIn, Exercise, Letter, List, Partner, PartnerId, Promise,
    PromiseOutcome, SealUntil,
};
use kintsugi_net::NetworkMode;
use serde::Deserialize;

mod agreements;
mod devices;
mod exercises;
mod meeting;

pub use agreements::{AGREEMENT_ABOUT, agreement_line, renewal_line};
pub use devices::{
    DEVICES_ABOUT, JOIN_ABOUT, LABEL_NOTE, LINK_ABOUT, LINK_NOT_CONFIRMED, REMOVE_DEVICE_WARNING,
    code_digits, codes_differ, codes_match, connected_now, device_line, refused_line,
};
pub use exercises::{
    LibraryExercise, REFLECTION_PRIVATE, REFLECTION_SHARED, day, exercise_dates, exercise_state,
    exercise_title, library, library_exercise, next_exercise, next_exercise_line, waits_for_me,
};
pub use meeting::{
    MEETING_ABOUT, MeetingStep, appreciation_line, checkin_lines, meeting_line, outcome_line,
    side_title,
};

/// The seven stages (DESIGN.md §1) in the app's own words: the one table of their
/// names. `assets/guide.json` adds each stage's summary, steps and prompts.
pub const STAGES: [&str; 7] = [
    "Acknowledge what happened",
    "Take responsibility",
    "Talk honestly",
    "Agree on boundaries",
    "Be patient and consistent",
    "Forgive and let go",
    "Reconnect",
];

/// A stage's name, 1-based; a number outside 1–7 (from a newer partner) still reads.
pub fn stage_title(stage: u8) -> &'static str {
    usize::from(stage)
        .checked_sub(1)
        .and_then(|i| STAGES.get(i))
        .copied()
        .unwrap_or("Unknown stage")
}

/// The guidance for one stage.
#[derive(Debug, Clone)]
pub struct StageGuide {
    pub number: u8,
    pub title: &'static str,
    pub summary: String,
    pub steps: Vec<String>,
    pub prompts: Vec<String>,
}

/// The guide: the stage table joined with the text in `assets/guide.json`.
#[derive(Debug, Clone)]
pub struct Guide {
    pub stages: Vec<StageGuide>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GuideFile {
    stages: Vec<StageText>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StageText {
    number: u8,
    summary: String,
    steps: Vec<String>,
    prompts: Vec<String>,
}

const GUIDE_JSON: &str = include_str!("../../../assets/guide.json");

/// The guide compiled into this build. A test checks that the asset parses and covers
/// every stage; were it broken anyway, the guide is empty rather than the app stopped,
/// so a broken asset can never keep someone from their journal.
pub fn guide() -> &'static Guide {
    static GUIDE: OnceLock<Guide> = OnceLock::new();
    GUIDE.get_or_init(|| parse_guide(GUIDE_JSON).unwrap_or_else(|_| Guide::empty()))
}

fn parse_guide(json: &str) -> Result<Guide, serde_json::Error> {
    let file: GuideFile = serde_json::from_str(json)?;
    Ok(Guide {
        stages: file
            .stages
            .into_iter()
            .map(|s| StageGuide {
                number: s.number,
                title: stage_title(s.number),
                summary: s.summary,
                steps: s.steps,
                prompts: s.prompts,
            })
            .collect(),
    })
}

impl Guide {
    fn empty() -> Self {
        Self { stages: Vec::new() }
    }

    pub fn stage(&self, n: u8) -> Option<&StageGuide> {
        self.stages.iter().find(|s| s.number == n)
    }
}

/// The ISO week a check-in written on `today` belongs to, e.g. "2026-W49".
pub fn week_of(today: NaiveDate) -> String {
    kintsugi_journal::iso_week_of(today)
}

/// The written answers of a check-in, in the order they are asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    WentWell,
    Hard,
    Need,
    Appreciate,
}

impl Answer {
    pub const ALL: [Answer; 4] = [
        Answer::WentWell,
        Answer::Hard,
        Answer::Need,
        Answer::Appreciate,
    ];

    /// The question as the form asks it and every list and export labels it.
    pub fn question(self) -> &'static str {
        match self {
            Answer::WentWell => "What went well",
            Answer::Hard => "What was hard",
            Answer::Need => "What I need",
            Answer::Appreciate => "What I appreciate",
        }
    }

    pub fn of(self, c: &CheckIn) -> Option<&str> {
        match self {
            Answer::WentWell => c.went_well.as_deref(),
            Answer::Hard => c.hard.as_deref(),
            Answer::Need => c.need.as_deref(),
            Answer::Appreciate => c.appreciate.as_deref(),
        }
    }
}

/// The answers a check-in has, with their questions.
pub fn checkin_answers(c: &CheckIn) -> impl Iterator<Item = (&'static str, &str)> {
    Answer::ALL
        .into_iter()
        .filter_map(move |a| Some((a.question(), a.of(c)?)))
}

/// One of a check-in's scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scale {
    pub name: &'static str,
    pub min: u8,
    pub max: u8,
}

pub const MOOD: Scale = Scale {
    name: "mood",
    min: 1,
    max: 5,
};
pub const TRUST: Scale = Scale {
    name: "trust",
    min: 1,
    max: 10,
};
pub const CLOSENESS: Scale = Scale {
    name: "closeness",
    min: 1,
    max: 10,
};

/// "mood 4/5, trust 6/10, closeness 7/10".
pub fn checkin_scores(c: &CheckIn) -> String {
    scores(c.mood, c.trust, c.closeness)
}

fn scores(mood: u8, trust: u8, closeness: u8) -> String {
    format!(
        "{} {mood}/{}, {} {trust}/{}, {} {closeness}/{}",
        MOOD.name, MOOD.max, TRUST.name, TRUST.max, CLOSENESS.name, CLOSENESS.max
    )
}

/// How people are named on screen: "You" for this profile's person, the partner by
/// the name they gave themselves, "Your partner" before that name has arrived.
#[derive(Debug, Clone, Default)]
pub struct Names {
    me: Option<PartnerId>,
    partners: Vec<Partner>,
}

impl Names {
    pub fn new(me: PartnerId, partners: Vec<Partner>) -> Self {
        Self {
            me: Some(me),
            partners,
        }
    }

    pub fn is_me(&self, id: &PartnerId) -> bool {
        self.me.as_ref() == Some(id)
    }

    /// This profile's person, once known.
    pub fn me_id(&self) -> Option<&PartnerId> {
        self.me.as_ref()
    }

    pub fn name(&self, id: &PartnerId) -> String {
        if self.is_me(id) {
            return "You".into();
        }
        self.partners
            .iter()
            .find(|p| &p.id == id)
            .map(|p| p.name.clone())
            .unwrap_or_else(|| "Your partner".into())
    }

    /// The name this person gave themselves, if any.
    pub fn own_name(&self) -> Option<&str> {
        self.partners
            .iter()
            .find(|p| self.is_me(&p.id))
            .map(|p| p.name.as_str())
    }

    /// The other person in the journal, once anything of theirs has arrived.
    pub fn partner_id(&self) -> Option<&PartnerId> {
        self.partners
            .iter()
            .find(|p| !self.is_me(&p.id))
            .map(|p| &p.id)
    }

    /// The partner's name, or "Your partner".
    pub fn partner_name(&self) -> String {
        self.partner_id()
            .map(|p| self.name(p))
            .unwrap_or_else(|| "Your partner".into())
    }

    /// The partner's name, or "your partner": for the middle of a sentence.
    pub fn partner_in_sentence(&self) -> String {
        self.partner_id()
            .map(|p| self.name(p))
            .unwrap_or_else(|| "your partner".into())
    }
}

/// Something waiting for this person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Due {
    /// No check-in of mine for this week yet.
    Checkin { week: String },
    /// An open promise due within a week, or overdue; `days` is negative when late.
    Promise {
        id: String,
        author: PartnerId,
        text: String,
        days: i64,
        due: NaiveDate,
    },
    /// A date for an exercise that my partner suggested, waiting for my answer.
    ExerciseAnswer {
        id: String,
        exercise: String,
        by: PartnerId,
        date: NaiveDate,
    },
    /// Letters from the partner I have not opened (on this device, or by telling
    /// the partner I read them).
    UnreadLetters { count: usize },
    /// An agreement in force whose review date has come.
    AgreementReview {
        id: String,
        text: String,
        ends: NaiveDate,
    },
    /// New dates for an agreement that my partner proposed, waiting for me.
    RenewalAsked {
        id: String,
        text: String,
        by: PartnerId,
        ends: NaiveDate,
    },
    /// My partner brought their points to this week's meeting, and I have not
    /// brought mine.
    MeetingWaiting { week: String, by: PartnerId },
}

/// How far ahead an open promise counts as due.
pub const PROMISE_HORIZON_DAYS: i64 = 7;

/// The lists [`due`] reads, as the device or a front end's cache holds them.
pub struct DueLists<'a> {
    pub checkins: &'a List<CheckIn>,
    /// Check-ins saved and not yet revealed: mine count as written.
    pub sealed: &'a List<crate::SealedCheckIn>,
    pub promises: &'a List<Promise>,
    pub exercises: &'a List<Exercise>,
    pub letters: &'a List<Letter>,
    /// The letters to me opened on this device.
    pub opened: &'a BTreeMap<String, i64>,
    pub boundaries: &'a List<Boundary>,
    pub meetings: &'a [kintsugi_journal::Meeting],
}

/// What is waiting for the person `names` calls "You" on `today`, in the order to
/// show it.
pub fn due(today: NaiveDate, names: &Names, lists: DueLists<'_>) -> Vec<Due> {
    let DueLists {
        checkins,
        sealed,
        promises,
        exercises,
        letters,
        opened,
        boundaries,
        meetings,
    } = lists;
    let mut out = Vec::new();
    let week = week_of(today);
    let mine = |author: &PartnerId, w: &str| names.is_me(author) && w == week;
    // A check-in saved and waiting for the partner's counts as written.
    if !checkins.iter().any(|c| mine(&c.author, &c.week))
        && !sealed.iter().any(|c| mine(&c.author, &c.week))
    {
        out.push(Due::Checkin { week: week.clone() });
    }
    let mut soon: Vec<_> = promises
        .iter()
        .filter(|p| p.outcome == PromiseOutcome::Open)
        .map(|p| (p, (p.due - today).num_days()))
        .filter(|(_, days)| *days <= PROMISE_HORIZON_DAYS)
        .collect();
    soon.sort_by_key(|(p, days)| (*days, p.id.clone()));
    out.extend(soon.into_iter().map(|(p, days)| Due::Promise {
        id: p.id.clone(),
        author: p.author.clone(),
        text: p.text.clone(),
        days,
        due: p.due,
    }));
    out.extend(
        exercises
            .iter()
            .filter(|e| waits_for_me(e, names))
            .filter_map(|e| {
                let w = e.waiting.as_ref()?;
                Some(Due::ExerciseAnswer {
                    id: e.id.clone(),
                    exercise: e.exercise.clone(),
                    by: w.by.clone(),
                    date: w.date,
                })
            }),
    );
    let count = letters
        .iter()
        .filter(|l| !names.is_me(&l.author) && letter_is_new(l, opened))
        .count();
    if count > 0 {
        out.push(Due::UnreadLetters { count });
    }
    for b in boundaries.iter() {
        let Some(a) = &b.agreement else { continue };
        let me = names.me_id();
        match &a.renewal {
            Some(r) if me.is_some_and(|me| b.agree_renewal_refusal(me).is_none()) => {
                out.push(Due::RenewalAsked {
                    id: b.id.clone(),
                    text: b.text.clone(),
                    by: r.by.clone(),
                    ends: r.ends,
                });
            }
            // Renewing is the review's answer: once new dates are on the table the
            // review no longer waits on me.
            Some(_) => {}
            None if b.agreement_state(today) == Some(AgreementState::ReviewDue) => {
                out.push(Due::AgreementReview {
                    id: b.id.clone(),
                    text: b.text.clone(),
                    ends: a.ends,
                });
            }
            None => {}
        }
    }
    let this_meeting = meetings
        .iter()
        .find(|m| m.week == week && m.closed_refusal().is_none());
    if let Some(m) = this_meeting
        && !m.sides.iter().any(|s| names.is_me(&s.author))
        && let Some(theirs) = m.sides.iter().find(|s| !names.is_me(&s.author))
    {
        out.push(Due::MeetingWaiting {
            week,
            by: theirs.author.clone(),
        });
    }
    out
}

/// Whether a letter to me is still new to me: neither opened here nor marked read.
/// A letter still sealed is not: it cannot be read yet.
pub fn letter_is_new(letter: &Letter, opened: &BTreeMap<String, i64>) -> bool {
    !letter.is_sealed() && letter.read_at.is_none() && !opened.contains_key(&letter.id)
}

/// What sealing a letter can and cannot promise, said where a letter is sealed and
/// beside one that waits.
pub const SEAL_GUARANTEE: &str = "A sealed letter travels locked. The reader's device \
learns that it exists, who wrote it, what kind of letter it is and until when it is \
sealed; its title and words arrive encrypted, and the key to them stays on the writer's \
device until the seal opens: on the day chosen, or once the reader says they are ready. \
Then the writer's device sends the key with its next sync, and from then on the letter \
can be read for good. So no change to the reader's app can open it early. What the seal \
cannot do: the writer's own device can always read the letter, and if that device is \
lost, or never connects again, the letter stays sealed. A letter sealed until a day \
opens once the writer's device is on and syncs on or after that day.";

/// How a letter sealed until a moment names it: the day, in this device's calendar.
fn seal_day(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| {
            t.with_timezone(&chrono::Local)
                .format("%Y-%m-%d")
                .to_string()
        })
        .unwrap_or_else(|| "?".into())
}

/// A letter's seal in the words both front ends show beside it; `None` for a
/// letter sent open.
pub fn seal_line(letter: &Letter, names: &Names) -> Option<String> {
    let seal = letter.seal.as_ref()?;
    let mine = names.is_me(&letter.author);
    let writer = names.name(&letter.author);
    let partner = names.partner_in_sentence();
    Some(match (seal.opened_at, seal.until) {
        (Some(at), _) => format!("was sealed; opened {}", crate::format_time(at)),
        (None, SealUntil::Time(t)) if mine => format!("sealed until {}", seal_day(t)),
        (None, SealUntil::Time(t)) => format!(
            "sealed until {}; it opens once {writer}'s device syncs on or after that day",
            seal_day(t)
        ),
        (None, SealUntil::Ready) => match (mine, seal.ready_at.is_some()) {
            (true, false) => format!("sealed until {partner} says they are ready"),
            (true, true) => {
                format!("sealed; {partner} is ready, so it opens with your next sync")
            }
            (false, false) => "sealed until you say you are ready".into(),
            (false, true) => format!(
                "sealed; you said you are ready, and it opens once {writer}'s device has \
                 seen that"
            ),
        },
    })
}

/// How a letter to me that is still sealed is named, since its title is sealed too.
pub fn sealed_letter_heading(letter: &Letter, names: &Names) -> String {
    format!(
        "A sealed letter ({}) from {}",
        letter.kind.as_str(),
        names.name(&letter.author)
    )
}

/// What saying "I'm ready" did, in the words both front ends show.
pub fn ready_said(writer: &str) -> String {
    format!(
        "{writer}'s device will send the key with its next sync, and the letter opens \
         then. Nothing else was told."
    )
}

/// Where a letter I received stands, in the words both front ends show beside it.
pub fn letter_receipt(letter: &Letter, opened: &BTreeMap<String, i64>, writer: &str) -> String {
    match (letter.read_at, opened.get(&letter.id)) {
        (Some(at), _) => format!(
            "read; {writer} knows (you told them {})",
            crate::format_time(at)
        ),
        (None, Some(_)) => format!("opened; {writer} has not been told"),
        (None, None) => "new".into(),
    }
}

/// Said beside a letter I opened without telling its writer.
pub fn letter_not_told(writer: &str) -> String {
    format!(
        "{writer} has not been told that you read this. Reading is yours: tell them only \
         if you want them to know."
    )
}

/// What telling the writer does, said where the reader chooses it.
pub fn letter_told(writer: &str) -> String {
    format!("{writer} can now see that you read this letter, and when.")
}

/// How the check-ins setting reads in a list of settings.
pub fn reveal_together_label(on: bool) -> &'static str {
    if on {
        "together — while you are paired, your answers wait on this device until your \
         partner has saved theirs for the same week"
    } else {
        "as saved — your answers travel as soon as you save them"
    }
}

/// The title of every reminder: the app's name and nothing else.
pub const NOTIFICATION_SUMMARY: &str = "Kintsugi";

/// A reminder's words. They say that something waits, never what: no title, text,
/// date or exercise, since anyone near the screen can read a notification and the
/// desktop may keep it. `today` is for a promise due today rather than tomorrow.
pub fn reminder_text(kind: crate::ReminderKind, partner: &str, today: bool) -> String {
    match kind {
        crate::ReminderKind::Checkin => "A check-in for this week is waiting for you".into(),
        crate::ReminderKind::Promise if today => "A promise is due today".into(),
        crate::ReminderKind::Promise => "A promise is due tomorrow".into(),
        crate::ReminderKind::Letter => format!("Something from {partner} is waiting"),
        crate::ReminderKind::Exercise => format!("Something with {partner} is planned for today"),
        crate::ReminderKind::Agreement => {
            format!("Something you agreed with {partner} is due for a look")
        }
    }
}

/// What each kind of reminder is about, where it is chosen.
pub fn reminder_kind_label(kind: crate::ReminderKind) -> &'static str {
    match kind {
        crate::ReminderKind::Checkin => {
            "this week's check-in, from Friday, if it is not written yet"
        }
        crate::ReminderKind::Promise => "a promise due tomorrow",
        crate::ReminderKind::Letter => "a letter from your partner that you have not opened",
        crate::ReminderKind::Exercise => "an exercise planned for today",
        crate::ReminderKind::Agreement => "a transparency agreement whose review day has come",
    }
}

/// What reminders show and what they do not, said where they are turned on.
pub const REMINDERS_NOTE: &str = "Reminders are notifications on your desktop. They \
never show what was written: only that something is waiting, like \u{201c}Something \
from your partner is waiting\u{201d}. Still, anyone near your screen can see that one \
came. Each shows once, none appear while Kintsugi is locked or closed, and during \
quiet hours they wait until the hours end.";

/// How the reminders setting reads in a list of settings.
pub fn reminders_label(r: &crate::Reminders) -> String {
    if !r.enabled {
        return "off".into();
    }
    let kinds: Vec<&str> = crate::ReminderKind::ALL
        .into_iter()
        .filter(|k| r.wants(*k))
        .map(|k| k.as_str())
        .collect();
    let about = if kinds.is_empty() {
        "nothing chosen".to_string()
    } else {
        kinds.join(", ")
    };
    let quiet = r
        .quiet_hours
        .map(|q| format!("quiet {q}"))
        .unwrap_or_else(|| "no quiet hours".into());
    format!("on — {about}; {quiet}")
}

/// What the CLI says of a check for reminders that showed nothing, and why.
pub fn reminders_none(r: &crate::Reminders, quiet: bool) -> String {
    if !r.enabled {
        "Reminders are off. `kintsugi settings --reminders on` turns them on.".into()
    } else if let (true, Some(q)) = (quiet, r.quiet_hours) {
        format!("Quiet hours ({q}): reminders wait until they end.")
    } else {
        "Nothing new to remind you of.".into()
    }
}

/// How each read receipt setting is offered, in a list.
pub fn read_receipts_label(r: crate::ReadReceipts) -> &'static str {
    match r {
        crate::ReadReceipts::Ask => {
            "ask — opening a letter tells no one; you choose, letter by letter, whether \
             your partner learns that you read it"
        }
        crate::ReadReceipts::Always => {
            "always — opening a letter tells your partner at once that you read it"
        }
    }
}

impl Due {
    /// One line for a person, naming people as `names` does.
    pub fn describe(&self, names: &Names) -> String {
        match self {
            Due::Checkin { week } => format!("Your check-in for {week} is not written yet."),
            Due::Promise {
                author,
                text,
                days,
                due,
                ..
            } => {
                let when = match *days {
                    d if d < -1 => format!("was due {} days ago", -d),
                    -1 => "was due yesterday".into(),
                    0 => "is due today".into(),
                    1 => "is due tomorrow".into(),
                    d => format!("is due in {d} days ({})", due.weekday()),
                };
                let who = names.name(author);
                let whose = if names.is_me(author) {
                    "Your".to_string()
                } else {
                    format!("{who}'s")
                };
                format!("{whose} promise \"{text}\" {when}")
            }
            Due::ExerciseAnswer {
                exercise, by, date, ..
            } => format!(
                "{} suggested the exercise \"{}\" for {}: accept it or suggest another date",
                names.name(by),
                exercise_title(exercise),
                day(*date)
            ),
            Due::AgreementReview { text, ends, .. } => format!(
                "Time to review the agreement \"{text}\" together: it ends {} unless you both \
                 renew it",
                day(*ends)
            ),
            Due::RenewalAsked { text, by, ends, .. } => format!(
                "{} asks to renew the agreement \"{text}\" until {}: agree, or let it end",
                names.name(by),
                day(*ends)
            ),
            Due::MeetingWaiting { by, .. } => format!(
                "{} brought their points to this week's meeting: prepare yours when you are ready",
                names.name(by)
            ),
            Due::UnreadLetters { count: 1 } => "1 unread letter from your partner".into(),
            Due::UnreadLetters { count } => format!("{count} unread letters from your partner"),
        }
    }
}

/// Said first wherever acceptance and forgiveness are offered (stage 6), so that
/// neither reads as a task: nothing in Kintsugi asks for them or counts the days.
pub const NEITHER_IS_OWED: &str = "Acceptance and forgiveness are two different things, \
and neither is owed. There is no right time for them and no deadline. Either may never \
come, and that is allowed. Kintsugi never reminds anyone of them, and never tells your partner that you have not \
offered them.";

/// What acceptance is, and where it is kept.
pub const ACCEPTANCE_ABOUT: &str = "Acceptance is for you alone. It can mean that you \
have stopped waiting for the past to be different, and are choosing how to carry it. \
You can reach it without your partner doing anything, and it asks nothing of them. It \
is kept in your private diary, on your own devices only, and never shared, not even \
that it exists.";

/// What forgiveness is, and who sees it.
pub const FORGIVENESS_ABOUT: &str = "Forgiveness is something you may offer your \
partner, if a time comes when it feels true: usually after they have shown, over time, \
that they can be trusted again. It is shared: your partner sees that you offered it, \
when, and any words you add.";

/// Said after acceptance is marked.
pub const ACCEPTED: &str = "Kept in your private diary. Only you can see it.";

/// Said before forgiveness is offered, and after; `partner` as
/// [`Names::partner_in_sentence`] gives it.
pub fn forgiveness_offered(partner: &str) -> String {
    format!(
        "{} will see that you offered forgiveness, and your words, at your next sync. \
         You can take it back later, but {partner}'s device keeps what it already \
         received.",
        capitalized(partner)
    )
}

/// Said before forgiveness is taken back.
pub fn forgiveness_taken_back(partner: &str) -> String {
    format!(
        "It leaves both of your screens at your next sync. {} may already have read \
         it, and {partner}'s device keeps what it received in its history.",
        capitalized(partner)
    )
}

/// A refusal the device words as an error ("your diary is…"), shown as a note of
/// its own: a sentence.
pub fn as_sentence(s: &str) -> String {
    format!("{}.", capitalized(s.trim_end_matches('.')))
}

/// "your partner" at the start of a sentence.
fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// What the trigger log is for, said where it is kept.
pub const TRIGGERS_ABOUT: &str = "A trigger is a moment when something brings the hurt \
back: a place, a song, a name, a phone lying face down. Writing it down takes a few \
seconds, and can take some of its weight. Over the months the log can show whether \
such moments come less often, or less strongly. It is private: it stays on your own \
devices unless you share part of it.";

/// What sharing the weekly numbers gives the partner, and what it does not.
pub fn trend_share_says(partner: &str) -> String {
    format!(
        "{} will see, for each week, how many moments you logged and their average \
         strength. Nothing else: no words, no times, no single moment. Their device \
         keeps the numbers it receives; sharing again later brings them up to date.",
        capitalized(partner)
    )
}

/// What sharing one moment gives the partner.
pub fn trigger_share_says(partner: &str) -> String {
    format!(
        "{} will see this one moment: its words, its strength and when it happened. \
         Nothing else from your log goes with it, and {partner}'s device keeps what it \
         receives.",
        capitalized(partner)
    )
}

/// "2026-W49: 3 moments, average strength 4.7/10".
pub fn trigger_week_line(w: &kintsugi_journal::TriggerWeek) -> String {
    let moments = if w.count == 1 { "moment" } else { "moments" };
    if w.count == 0 {
        return format!("{}: no moments", w.week);
    }
    format!(
        "{}: {} {moments}, average strength {:.1}/10",
        w.week,
        w.count,
        w.average()
    )
}

/// Whether my numbers for a week are what my partner has: "not shared", "shared",
/// or "shared, changed since" (more was logged, or something deleted).
pub fn trigger_week_shared(
    mine: &kintsugi_journal::TriggerWeek,
    trend: &List<kintsugi_journal::SharedTriggerWeek>,
    names: &Names,
) -> &'static str {
    match trend
        .iter()
        .find(|s| names.is_me(&s.author) && s.numbers.week == mine.week)
    {
        None => "not shared",
        Some(s) if &s.numbers == mine => "shared",
        Some(_) => "shared, changed since",
    }
}

/// How a network mode is offered in a list: its name and what it means.
pub fn network_mode_label(mode: NetworkMode) -> &'static str {
    match mode {
        NetworkMode::Local => "local — this network only, no server",
        NetworkMode::Anywhere => "anywhere — through a relay when needed",
        NetworkMode::Direct => "direct — remembered addresses only",
    }
}

/// What deleting a diary entry (or a letter draft) does, in the words both front
/// ends show after it.
pub const DIARY_DELETED: &str = "Deleted. It is gone from every list, search and export \
on your devices. The diary's own encrypted history still holds it until you release \
the diary's history.";

/// What withdrawing a shared entry does, and what it cannot do.
pub const WITHDRAWN: &str = "Withdrawn. It no longer shows here, nor on your partner's \
device once you sync. Your partner's device keeps what it already received.";

/// What editing a shared entry shows the partner.
pub const EDITED_SHARED: &str = "Edited. Your partner sees that it was edited, and the \
earlier wording, which their device already has.";

/// What proposing a new wording (a boundary) or new terms (a promise) means.
pub const CHANGE_PROPOSED: &str = "Proposed. What stands now stays until your partner \
agrees to the change.";

/// What no release of history can reach, said wherever a release is offered.
pub const RELEASE_CANNOT_REACH: &str = "It cannot reach copies made outside Kintsugi: \
exports, backups of the profile folder, screenshots, or what someone already read.";

/// What releasing the private diary's history does.
pub const RELEASE_DIARY: &str = "Releasing your diary's history keeps your diary entries \
and letter drafts exactly as they read now, in a new diary under a new key, and destroys \
the old one on this device (overwritten, then removed): entries you deleted and earlier \
wordings are gone for good.";

/// What releasing the shared journal's history does, and what it needs.
pub const RELEASE_SHARED: &str = "Releasing the shared journal's history keeps the journal \
exactly as it reads now, in a new journal under a new key that both devices make together, \
and destroys the old one on both devices: entries deleted or withdrawn, earlier wordings, \
and the record of who changed what and when are gone for good. It needs your partner's \
yes, and happens at your next sync; bundles made before it can no longer be imported, and \
a copy of the old journal restored from a backup can no longer sync.";

/// What revealing check-ins together does and cannot do, said where the setting is
/// and beside a check-in that waits.
pub const REVEAL_TOGETHER: &str = "While you are paired, your check-in answers stay on \
this device until your partner has saved theirs for the same week. Their device gets \
only a fingerprint of your answers, which shows that you saved and lets it check later \
that the answers it receives are the ones you saved. Once both of you have saved, the \
answers travel, so neither of you can shape yours after reading the other's. A device \
changed on purpose cannot read answers that are not on it; it could reveal other \
answers than the ones it committed to, and Kintsugi would then say so beside them. \
Saving again before both have saved replaces your answers; after that, a change shows \
as an edit.";

/// What saving a check-in did, in the words both front ends show.
pub fn checkin_saved(saved: &crate::SavedCheckIn, week: &str, names: &Names) -> String {
    if saved.waiting {
        // Mid-sentence: "Bea", or "your partner" before Bea's name has arrived.
        let partner = match names.partner_id() {
            Some(id) => names.name(id),
            None => "your partner".to_owned(),
        };
        format!(
            "Saved on this device. Your answers for {week} go to {partner}'s device once \
             {partner} has saved theirs; until then it knows only that you saved."
        )
    } else if saved.is_new {
        "Check-in saved.".into()
    } else {
        format!("Your check-in for {week} was updated.")
    }
}

/// A check-in committed to and not yet revealed, as both front ends list it.
pub fn sealed_checkin(c: &crate::SealedCheckIn, names: &Names) -> String {
    if names.is_me(&c.author) {
        format!(
            "{}: you saved your check-in. {} has not saved theirs yet; your answers wait \
             on this device until then.",
            c.week,
            names.partner_name()
        )
    } else {
        format!(
            "{}: {} saved a check-in. You will both see each other's answers once you \
             save yours for this week.",
            c.week,
            names.name(&c.author)
        )
    }
}

/// What to say beside a check-in's answers about how they were revealed: only when
/// they are not the ones committed to.
pub fn revealed_note(c: &CheckIn, names: &Names) -> Option<String> {
    (c.revealed == kintsugi_journal::Revealed::Altered).then(|| {
        let who = if names.is_me(&c.author) {
            "your device".to_owned()
        } else {
            format!("{}'s device", names.name(&c.author))
        };
        format!(
            "These answers are not the ones {who} committed to before you both saw each \
             other's: they were changed afterwards."
        )
    })
}

/// My answers to a check-in that waits for my partner's, which only this device
/// holds for now: a heading, the scores, then each written answer.
pub fn held_checkin(h: &kintsugi_journal::CheckInInput) -> Vec<String> {
    let mut lines = vec![
        "Your answers, on this device only for now:".to_owned(),
        scores(h.mood, h.trust, h.closeness),
    ];
    let written = [&h.went_well, &h.hard, &h.need, &h.appreciate];
    for (a, t) in Answer::ALL.into_iter().zip(written) {
        if let Some(t) = t.as_deref().filter(|t| !t.trim().is_empty()) {
            lines.push(format!("{}: {t}", a.question()));
        }
    }
    lines
}

/// At the top of every therapist packet.
pub const PACKET_PREAMBLE: &str = "This packet holds only what its author chose to bring, for the dates above. \
It is a copy taken from Kintsugi: once opened, it is an ordinary page, so please keep it as \
privately as any notes from a session.";

/// Under the trigger trend of a packet: what it holds, and what it never does.
pub const PACKET_TRIGGERS_NOTE: &str = "For each week: how many moments were logged and how strong they felt on \
average. The words of a moment are never part of a packet. A partner's numbers are here only if \
they chose to share them.";

/// Above diary entries in a packet.
pub const PACKET_DIARY_NOTE: &str =
    "Chosen one by one from a private diary that is otherwise never shared.";

/// Beside the diary in the packet page: why nothing is ticked there.
pub const PACKET_DIARY_CHOICE: &str = "Your diary stays out of the packet. If there is an entry you would like \
to bring, tick just that one.";

/// Beside the passphrase of a packet: what sealing does.
pub const PACKET_SEAL_SAYS: &str = "With a passphrase, the packet is locked in the standard age format, so it \
can travel by email or on a stick. Tell the passphrase another way (in person, or by phone).";

/// What the front ends say once a packet is written: where, and how to open it.
pub fn packet_written(path: &std::path::Path, sealed: bool) -> String {
    if sealed {
        format!(
            "Wrote {} (readable only by you, and locked with the passphrase). To open it: \
             `age -d -o packet.html {}`, then open packet.html in a browser; it prints to PDF \
             from there.",
            path.display(),
            path.display()
        )
    } else {
        format!(
            "Wrote {} (readable only by you, but not encrypted: keep it somewhere private). \
             Open it in a browser; it prints to PDF from there.",
            path.display()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guide_asset_covers_every_stage_and_adds_no_names() {
        let g = parse_guide(GUIDE_JSON).unwrap();
        assert_eq!(g.stages.len(), STAGES.len());
        for (i, s) in g.stages.iter().enumerate() {
            assert_eq!(usize::from(s.number), i + 1);
            assert_eq!(s.title, STAGES[i]);
            assert!(!s.summary.is_empty() && !s.prompts.is_empty() && !s.steps.is_empty());
        }
        assert_eq!(guide().stages.len(), 7);
    }

    #[test]
    fn stage_titles_outside_the_table_still_read() {
        assert_eq!(stage_title(3), "Talk honestly");
        assert_eq!(stage_title(0), "Unknown stage");
        assert_eq!(stage_title(8), "Unknown stage");
    }

    fn pid(c: char) -> PartnerId {
        PartnerId::parse(&c.to_string().repeat(32)).unwrap()
    }

    fn promise(id: &str, author: &PartnerId, due: NaiveDate, outcome: PromiseOutcome) -> Promise {
        Promise {
            id: id.into(),
            author: author.clone(),
            text: "call at nine".into(),
            due,
            outcome,
            outcome_by: None,
            outcome_at: None,
            created: 0,
            updated: 0,
            edited: None,
            earlier: Vec::new(),
            renegotiation: None,
        }
    }

    #[test]
    fn what_is_due() {
        let (me, them) = (pid('a'), pid('b'));
        let names = Names::new(
            me.clone(),
            vec![Partner {
                id: them.clone(),
                name: "Sam".into(),
                updated: 0,
            }],
        );
        let today = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        let day = |d: i64| today + chrono::Duration::days(d);
        let promises = [
            promise("p1", &them, day(2), PromiseOutcome::Open),
            promise("p2", &me, day(-3), PromiseOutcome::Open),
            promise("p3", &me, day(8), PromiseOutcome::Open),
            promise("p4", &me, day(0), PromiseOutcome::Kept),
        ];
        let due_now = due(
            today,
            &names,
            DueLists {
                checkins: &List::default(),
                sealed: &List::default(),
                promises: &List::from(promises.to_vec()),
                exercises: &List::default(),
                letters: &List::default(),
                opened: &BTreeMap::new(),
                boundaries: &List::default(),
                meetings: &[],
            },
        );
        let lines: Vec<String> = due_now.iter().map(|d| d.describe(&names)).collect();
        assert_eq!(
            lines,
            [
                "Your check-in for 2026-W49 is not written yet.",
                "Your promise \"call at nine\" was due 3 days ago",
                "Sam's promise \"call at nine\" is due in 2 days (Fri)",
            ]
        );
    }
}
