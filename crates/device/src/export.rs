//! Readable exports: what a person can keep, print, or bring to a therapist.

use std::fmt::Write as _;

use crate::json::v1;
use crate::{Device, DeviceError, PartnerId, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Markdown,
    Json,
    /// The shared journal as a standard Automerge document.
    Automerge,
}

impl std::str::FromStr for ExportFormat {
    type Err = DeviceError;

    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "md" | "markdown" => Ok(Self::Markdown),
            "json" => Ok(Self::Json),
            "automerge" | "am" => Ok(Self::Automerge),
            other => Err(DeviceError::bad_input(
                crate::Field::ExportFormat,
                format!("unknown export format {other:?}: expected md, json or automerge"),
            )),
        }
    }
}

/// What an export holds. The private diary and letter drafts come only when the
/// person asks for them: an export is plaintext, and the default one is safe to hand
/// over (to a therapist, say) without also handing over the diary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExportScope {
    /// The shared journal: what the partner's device holds too.
    #[default]
    Shared,
    /// The shared journal, the private diary and the letter drafts.
    WithPrivate,
}

/// Everything an export holds, as the domain reads it; the JSON form is
/// [`crate::json::v1::Export`].
struct Everything {
    exported_at: String,
    me: PartnerId,
    partners: Vec<crate::Partner>,
    stages: kintsugi_journal::List<crate::StageProgress>,
    boundaries: kintsugi_journal::List<crate::Boundary>,
    checkins: kintsugi_journal::List<crate::CheckIn>,
    letters: kintsugi_journal::List<crate::Letter>,
    promises: kintsugi_journal::List<crate::Promise>,
    shared_entries: kintsugi_journal::List<crate::SharedEntry>,
    exercises: kintsugi_journal::List<crate::Exercise>,
    trigger_trend: kintsugi_journal::List<crate::SharedTriggerWeek>,
    shared_triggers: kintsugi_journal::List<crate::SharedTrigger>,
    meetings: Vec<crate::Meeting>,
    /// Absent unless the person asked for the private part.
    private: Option<Private>,
}

struct Private {
    diary: kintsugi_journal::List<crate::DiaryEntry>,
    letter_drafts: kintsugi_journal::List<crate::LetterDraft>,
    exercise_reflections: kintsugi_journal::List<crate::Reflection>,
    acceptance: Option<crate::Acceptance>,
    triggers: kintsugi_journal::List<crate::Trigger>,
    meeting_drafts: Vec<crate::MeetingDraft>,
}

fn gather(device: &Device, scope: ExportScope) -> Result<Everything> {
    Ok(Everything {
        exported_at: chrono::Utc::now().to_rfc3339(),
        me: device.me()?,
        partners: device.partners()?,
        stages: device.stages()?,
        boundaries: device.boundaries()?,
        checkins: device.checkins()?,
        letters: device.letters()?,
        promises: device.promises()?,
        shared_entries: device.shared_entries()?,
        exercises: device.exercises()?,
        trigger_trend: device.trigger_trend()?,
        shared_triggers: device.shared_triggers()?,
        meetings: device.meetings()?,
        private: match scope {
            ExportScope::Shared => None,
            ExportScope::WithPrivate => Some(Private {
                diary: device.diary_entries()?,
                letter_drafts: device.drafts()?,
                exercise_reflections: device.exercise_reflections()?,
                acceptance: device.acceptance()?,
                triggers: device.triggers()?,
                meeting_drafts: device.meeting_drafts()?,
            }),
        },
    })
}

pub(crate) fn export(device: &Device, format: ExportFormat, scope: ExportScope) -> Result<Vec<u8>> {
    match format {
        ExportFormat::Automerge if scope == ExportScope::WithPrivate => {
            Err(DeviceError::bad_input(
                crate::Field::ExportScope,
                "the Automerge export holds the shared journal only; export the private diary as md or json",
            ))
        }
        ExportFormat::Automerge => device.shared_automerge_bytes(),
        ExportFormat::Json => {
            let all = to_json(&gather(device, scope)?);
            serde_json::to_vec_pretty(&all).map_err(|e| DeviceError::Encode {
                what: "the export",
                reason: e.to_string(),
            })
        }
        ExportFormat::Markdown => Ok(markdown(&gather(device, scope)?).into_bytes()),
    }
}

fn to_json(all: &Everything) -> v1::Export {
    v1::Export {
        version: v1::EXPORT_VERSION,
        exported_at: all.exported_at.clone(),
        me: all.me.to_string(),
        partners: v1::list(&all.partners),
        stages: v1::list(&all.stages),
        boundaries: v1::list(&all.boundaries),
        checkins: v1::list(&all.checkins),
        letters: v1::list(&all.letters),
        promises: v1::list(&all.promises),
        shared_entries: v1::list(&all.shared_entries),
        exercises: v1::list(&all.exercises),
        trigger_trend: v1::list(&all.trigger_trend),
        shared_triggers: v1::list(&all.shared_triggers),
        meetings: v1::list(&all.meetings),
        private: all.private.as_ref().map(|p| v1::Private {
            diary: v1::list(&p.diary),
            letter_drafts: v1::list(&p.letter_drafts),
            exercise_reflections: v1::list(&p.exercise_reflections),
            acceptance: p.acceptance.as_ref().map(v1::Acceptance::from),
            triggers: v1::list(&p.triggers),
            meeting_drafts: v1::list(&p.meeting_drafts),
        }),
    }
}

pub fn format_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| {
            t.with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_else(|| "?".into())
}

/// "Edited" and the earlier versions under an entry: the partner has them too.
fn history(w: &mut String, edited: Option<i64>, earlier: &[kintsugi_journal::Version]) {
    if let Some(at) = edited {
        let _ = writeln!(w, "  - edited {}", format_time(at));
    }
    for v in earlier {
        let due = v.due.map(|d| format!(", due {d}")).unwrap_or_default();
        let _ = writeln!(
            w,
            "  - earlier version ({}{due}): {}",
            format_time(v.at),
            v.text
        );
    }
}

fn markdown(all: &Everything) -> String {
    let name = |id: &PartnerId| -> String {
        all.partners
            .iter()
            .find(|p| &p.id == id)
            .map(|p| p.name.clone())
            .unwrap_or_else(|| format!("partner {}", &id.as_str()[..8]))
    };
    let mut md = String::new();
    let w = &mut md;
    let _ = writeln!(w, "# Kintsugi journal\n");
    let _ = writeln!(w, "Exported {} by {}.\n", all.exported_at, name(&all.me));
    let _ = writeln!(
        w,
        "This file is not encrypted. Keep it somewhere only you (and those you choose) can read.\n"
    );

    let _ = writeln!(w, "## Stages\n");
    if all.stages.is_empty() {
        let _ = writeln!(w, "No stage marked yet.\n");
    }
    for s in &all.stages {
        let _ = writeln!(
            w,
            "- Stage {} ({}) — {}: {}{}",
            s.stage,
            crate::view::stage_title(s.stage),
            name(&s.partner),
            if s.done { "done" } else { "in progress" },
            s.note
                .as_deref()
                .map(|n| format!(" — {n}"))
                .unwrap_or_default()
        );
        if let Some(f) = &s.forgiveness {
            let _ = writeln!(
                w,
                "  - offered forgiveness on {}{}",
                format_time(f.offered_at),
                f.words
                    .as_deref()
                    .map(|t| format!(": {t}"))
                    .unwrap_or_default()
            );
        }
    }

    let _ = writeln!(w, "\n## Boundaries\n");
    for b in &all.boundaries {
        let _ = writeln!(
            w,
            "- **{}** [{}{}] — proposed by {} on {}",
            b.text,
            b.status.as_str(),
            b.category
                .as_deref()
                .map(|c| format!(", {c}"))
                .unwrap_or_default(),
            name(&b.author),
            format_time(b.created)
        );
        for (who, at) in &b.agreements {
            let _ = writeln!(w, "  - agreed by {} on {}", name(who), format_time(*at));
        }
        history(w, b.edited, &b.earlier);
        if let Some(a) = &b.amendment {
            let _ = writeln!(
                w,
                "  - new wording proposed on {}, not yet agreed by both: {}",
                format_time(a.proposed),
                a.text
            );
        }
        if let Some(line) = crate::view::agreement_line(b, crate::today()) {
            let _ = writeln!(w, "  - transparency agreement. {line}");
        }
        if let Some(r) = b.agreement.as_ref().and_then(|a| a.renewal.as_ref()) {
            let _ = writeln!(
                w,
                "  - renewal proposed by {} on {}, not yet agreed by both: review {}, ends {}",
                name(&r.by),
                format_time(r.at),
                r.review,
                r.ends
            );
        }
    }

    let _ = writeln!(w, "\n## Weekly check-ins\n");
    for c in &all.checkins {
        let _ = writeln!(
            w,
            "### {} — {}\n\n{}\n",
            c.week,
            name(&c.author),
            crate::view::checkin_scores(c)
        );
        for (question, answer) in crate::view::checkin_answers(c) {
            let _ = writeln!(w, "- {question}: {answer}");
        }
        if let Some(at) = c.edited {
            let _ = writeln!(
                w,
                "- (answers edited {}; {} earlier version(s) in the JSON export)",
                format_time(at),
                c.earlier.len()
            );
        }
        let _ = writeln!(w);
    }

    let _ = writeln!(w, "## Letters\n");
    for l in &all.letters {
        // My partner's letter that has not opened: nothing of it is on this device
        // but its seal.
        if l.is_sealed() && l.title.is_empty() && l.body.is_empty() {
            let _ = writeln!(
                w,
                "### A sealed letter ({}) — from {}, sent {}\n\nStill sealed.\n",
                l.kind.as_str(),
                name(&l.author),
                format_time(l.sent),
            );
            continue;
        }
        let _ = writeln!(
            w,
            "### {} ({}) — from {}, sent {}{}\n\n{}\n",
            l.title,
            l.kind.as_str(),
            name(&l.author),
            format_time(l.sent),
            l.read_at
                .map(|r| format!(", read {}", format_time(r)))
                .unwrap_or_default(),
            l.body
        );
    }

    let _ = writeln!(w, "## Promises\n");
    for p in &all.promises {
        let _ = writeln!(
            w,
            "- {} — by {}, due {}: {}",
            p.text,
            name(&p.author),
            p.due,
            p.outcome.as_str()
        );
        history(w, p.edited, &p.earlier);
        if let Some(r) = &p.renegotiation {
            let due = r.due.map(|d| format!(", due {d}")).unwrap_or_default();
            let _ = writeln!(w, "  - new terms proposed, not yet agreed: {}{due}", r.text);
        }
    }

    let _ = writeln!(w, "\n## Shared reflections\n");
    for e in &all.shared_entries {
        let _ = writeln!(
            w,
            "- {} ({}): {}",
            name(&e.author),
            format_time(e.created),
            e.text
        );
        history(w, e.edited, &e.earlier);
    }

    let _ = writeln!(w, "\n## Exercises\n");
    for e in &all.exercises {
        let _ = writeln!(
            w,
            "- **{}** — proposed by {} on {}: {}",
            crate::view::exercise_title(&e.exercise),
            name(&e.author),
            format_time(e.created),
            e.status.as_str()
        );
        if let Some(d) = e.date {
            let _ = writeln!(w, "  - agreed date: {d}");
        }
        if let Some(p) = &e.waiting {
            let _ = writeln!(
                w,
                "  - {} suggested {}, not yet answered",
                name(&p.by),
                p.date
            );
        }
        for (who, at) in &e.done {
            let _ = writeln!(w, "  - done, says {} ({})", name(who), format_time(*at));
        }
        for r in &e.reflections {
            let _ = writeln!(
                w,
                "  - {}'s reflection ({}): {}",
                name(&r.author),
                format_time(r.created),
                r.text
            );
        }
    }
    if !all.trigger_trend.is_empty() || !all.shared_triggers.is_empty() {
        let _ = writeln!(w, "\n## Trigger log, as shared\n");
    }
    for t in &all.trigger_trend {
        let _ = writeln!(
            w,
            "- {}, {}",
            name(&t.author),
            crate::view::trigger_week_line(&t.numbers)
        );
    }
    for t in &all.shared_triggers {
        let _ = writeln!(
            w,
            "- {} ({}): {} — strength {}/10",
            name(&t.author),
            format_time(t.at),
            t.words,
            t.strength
        );
    }
    if !all.meetings.is_empty() {
        let _ = writeln!(w, "\n## Weekly meetings\n");
    }
    for m in &all.meetings {
        let held = m
            .held
            .as_ref()
            .map(|(by, at)| format!(", held (closed by {} at {})", name(by), format_time(*at)))
            .unwrap_or_default();
        let _ = writeln!(w, "### {}{held}", m.week);
        for s in &m.sides {
            points_md(w, &format!("{} brought", name(&s.author)), &s.points);
        }
        for h in &m.heard {
            let _ = writeln!(
                w,
                "- {}'s side of {}'s issue ({}): {}",
                name(&h.side_of),
                name(&h.issue_of),
                format_time(h.at),
                h.text
            );
        }
        for o in &m.outcomes {
            let _ = writeln!(
                w,
                "- {} ({})",
                crate::view::outcome_line(o.kind, &name(&o.by)),
                o.entry
            );
        }
    }

    let Some(private) = &all.private else {
        return md;
    };
    let _ = writeln!(w, "\n## Private diary (never shared)\n");
    for e in &private.diary {
        let _ = writeln!(
            w,
            "- {}{}{}: {}",
            format_time(e.created),
            e.mood.map(|m| format!(" · mood {m}/5")).unwrap_or_default(),
            e.stage.map(|s| format!(" · stage {s}")).unwrap_or_default(),
            e.text
        );
    }
    let _ = writeln!(w, "\n## Reflections on exercises (private)\n");
    for r in &private.exercise_reflections {
        let title = all
            .exercises
            .iter()
            .find(|e| e.id == r.exercise)
            .map(|e| crate::view::exercise_title(&e.exercise))
            .unwrap_or_else(|| "an exercise".into());
        let _ = writeln!(w, "- {} ({}): {}", title, format_time(r.created), r.text);
    }
    if let Some(a) = &private.acceptance {
        let _ = writeln!(w, "\n## Acceptance (private, never shared)\n");
        let _ = writeln!(
            w,
            "Reached {}{}",
            format_time(a.reached_at),
            a.words
                .as_deref()
                .map(|t| format!(": {t}"))
                .unwrap_or_default()
        );
    }
    if !private.triggers.is_empty() {
        let _ = writeln!(w, "\n## Trigger log (private)\n");
    }
    for t in &private.triggers {
        let _ = writeln!(
            w,
            "- {}: {} — strength {}/10",
            format_time(t.at),
            t.words,
            t.strength
        );
    }
    for d in &private.meeting_drafts {
        points_md(
            w,
            &format!("Points for the meeting of {} (private)", d.week),
            &d.points,
        );
    }
    let _ = writeln!(w, "\n## Letter drafts (private)\n");
    for d in &private.letter_drafts {
        let _ = writeln!(w, "### {} ({})\n\n{}\n", d.title, d.kind.as_str(), d.body);
    }
    md
}

/// One partner's points for a meeting, under a heading line.
fn points_md(w: &mut String, heading: &str, p: &crate::MeetingPoints) {
    let _ = writeln!(w, "\n{heading}:\n");
    for a in &p.appreciations {
        let _ = writeln!(w, "- Thanks: {}", crate::view::appreciation_line(a));
    }
    if let Some(t) = &p.went_well {
        let _ = writeln!(w, "- Went well: {t}");
    }
    if let Some(t) = &p.issue {
        let _ = writeln!(w, "- Issue: {t}");
    }
}
