//! What the front ends say in the weekly meeting: what it is, what each step asks,
//! and how an appreciation reads aloud. The rules are the journal's
//! (`shared/meeting.rs`); here they are put into words.

use kintsugi_journal::{Appreciation, Meeting, OutcomeKind, PartnerId};

use super::Names;

/// Said where a person prepares: what the meeting is for and how it goes.
pub const MEETING_ABOUT: &str = "Once a week, sit down together for half an hour. Each of \
you prepares alone first, here, where your partner cannot see it: a few things you \
appreciated this week, what went well, and, if you need it, one thing that bothered you. \
Keep it to one, so that it can be heard. When you are ready, bring your points to the \
meeting. Then go through them together on either device: thanks first, then the good, \
then the issue, each of you in turn, and last what you will do about it.";

/// The steps of the meeting, in the order they are taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeetingStep {
    Appreciations,
    WentWell,
    Issue,
    Plan,
}

impl MeetingStep {
    pub const ALL: [MeetingStep; 4] = [
        MeetingStep::Appreciations,
        MeetingStep::WentWell,
        MeetingStep::Issue,
        MeetingStep::Plan,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Self::Appreciations => "1. Thanks",
            Self::WentWell => "2. What went well",
            Self::Issue => "3. One issue each, heard from both sides",
            Self::Plan => "4. What you will do",
        }
    }

    /// What the step asks of the two people at the screen.
    pub fn guidance(self) -> &'static str {
        match self {
            Self::Appreciations => {
                "Take turns reading your thanks aloud, looking at each other. The one who \
                 listens only takes it in: no \"but\", no \"you too\"."
            }
            Self::WentWell => {
                "Say what went well between you this week, however small. It is the ground \
                 the harder part stands on."
            }
            Self::Issue => {
                "The one who raised the issue speaks first, about how it felt rather than \
                 what the other did wrong. The other listens, then says back what they \
                 heard before giving their own side. Write down both sides in a sentence or \
                 two, once each of you feels understood. If it gets too heated, stop and \
                 come back to it later: that is allowed."
            }
            Self::Plan => {
                "Agree on one small step. Make it a promise, or new wording for one of your \
                 boundaries, so that it is not lost. Each of you records your own: a \
                 promise or an amendment is made on the device of the one who makes it."
            }
        }
    }
}

/// An appreciation as it is read out.
pub fn appreciation_line(a: &Appreciation) -> String {
    match &a.shows {
        Some(shows) => format!("{}, and it shows that you are {}.", a.what, shows),
        None => format!("{}.", a.what),
    }
}

/// Where a meeting stands, in one line.
pub fn meeting_line(m: &Meeting, names: &Names) -> String {
    if let Some((by, at)) = &m.held {
        return format!(
            "{}: held, closed by {} at {}",
            m.week,
            names.name(by),
            crate::format_time(*at)
        );
    }
    match m.sides.as_slice() {
        [] => format!("{}: nothing brought yet", m.week),
        [one] if names.is_me(&one.author) => {
            format!("{}: you brought your points", m.week)
        }
        [one] => format!(
            "{}: {} brought their points",
            m.week,
            names.name(&one.author)
        ),
        _ => format!("{}: you both brought your points", m.week),
    }
}

/// What a meeting's plan became, in words.
pub fn outcome_line(kind: OutcomeKind, by: &str) -> String {
    match kind {
        OutcomeKind::Promise => format!("{by} made a promise"),
        OutcomeKind::Amendment => format!("{by} proposed new wording for a boundary"),
    }
}

/// Whose words a side of an issue is, as a heading: "Your issue, in your words",
/// "Bea's side of your issue".
pub fn side_title(issue_of: &PartnerId, side_of: &PartnerId, names: &Names) -> String {
    let whose = |id: &PartnerId, capital: bool| match (names.is_me(id), capital) {
        (true, false) => "your".to_owned(),
        _ => possessive(id, names),
    };
    if issue_of == side_of {
        format!(
            "{} issue, in {} words",
            whose(issue_of, true),
            whose(side_of, false)
        )
    } else {
        format!(
            "{} side of {} issue",
            whose(side_of, true),
            whose(issue_of, false)
        )
    }
}

/// What the week's check-ins (those both can read) bring to the meeting, one line
/// per answer given: the meeting is built on the check-in, so its answers are there
/// to start from. A check-in still waiting to be revealed brings nothing.
pub fn checkin_lines<'a>(
    week: &str,
    checkins: impl IntoIterator<Item = &'a kintsugi_journal::CheckIn>,
    names: &Names,
) -> Vec<String> {
    let mut out = Vec::new();
    for c in checkins.into_iter().filter(|c| c.week == week) {
        for a in super::Answer::ALL {
            if let Some(text) = a.of(c) {
                out.push(format!(
                    "{} check-in, {}: {text}",
                    possessive(&c.author, names),
                    a.question().to_lowercase()
                ));
            }
        }
    }
    out
}

fn possessive(id: &PartnerId, names: &Names) -> String {
    if names.is_me(id) {
        "Your".into()
    } else {
        format!("{}'s", names.name(id))
    }
}
