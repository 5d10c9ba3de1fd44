//! The therapist packet: what a person chooses to bring to a session, as one
//! self-contained HTML page (plots drawn as inline SVG, no script, nothing fetched),
//! written for its owner alone and, if asked, sealed under a passphrase in the
//! standard age format so that it can be handed over safely.
//!
//! The diary is never in it unless entries are picked one by one: a kind can be
//! ticked, a diary cannot.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::{Datelike, Duration, Local, NaiveDate};
use kintsugi_journal::{
    Boundary, CheckIn, DiaryEntry, EntryKind, Letter, List, PartnerId, Promise, PromiseOutcome,
    TriggerWeek,
};
use kintsugi_store::Replace;
use zeroize::Zeroizing;

use crate::triggers::local_day;
use crate::{Device, DeviceError, Field, Result, format_time, view};

/// The longest range a packet covers: beyond it the plots stop being readable, and a
/// typo in a year ("1026") would otherwise make a page of a thousand empty weeks.
pub const PACKET_MAX_WEEKS: usize = 530;

/// What goes into a packet. Every kind is off until chosen; letters and diary
/// entries are named one by one (an id, or the start of one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacketRequest {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Both partners' weekly scores, plotted, and their written answers.
    pub checkins: bool,
    /// Promises made, due or settled in the range, with how each turned out.
    pub promises: bool,
    /// Boundaries in force during the range, with their earlier wordings and any
    /// amendment still waiting.
    pub boundaries: bool,
    /// My weekly trigger numbers and the ones my partner shared, plotted. Never the
    /// words of a moment.
    pub triggers: bool,
    /// Sent letters, by id.
    pub letters: Vec<String>,
    /// Entries of my private diary, by id. Empty unless the person picked some.
    pub diary: Vec<String>,
}

impl PacketRequest {
    /// A request for the range with nothing chosen yet.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Self {
        Self {
            from,
            to,
            checkins: false,
            promises: false,
            boundaries: false,
            triggers: false,
            letters: Vec::new(),
            diary: Vec::new(),
        }
    }

    fn is_empty(&self) -> bool {
        !(self.checkins || self.promises || self.boundaries || self.triggers)
            && self.letters.is_empty()
            && self.diary.is_empty()
    }

    /// The ISO weeks the range touches, oldest first.
    fn weeks(&self) -> Result<Vec<String>> {
        if self.from > self.to {
            return Err(DeviceError::bad_input(
                Field::Date,
                format!(
                    "the packet would start on {} but end earlier, on {}",
                    self.from, self.to
                ),
            ));
        }
        let mut weeks = Vec::new();
        let monday =
            self.from - Duration::days(i64::from(self.from.weekday().num_days_from_monday()));
        let mut day = monday;
        while day <= self.to {
            if weeks.len() == PACKET_MAX_WEEKS {
                return Err(DeviceError::bad_input(
                    Field::Date,
                    "a packet covers at most ten years: choose a shorter range",
                ));
            }
            weeks.push(kintsugi_journal::iso_week_of(day));
            day += Duration::days(7);
        }
        Ok(weeks)
    }

    fn holds(&self, ms: i64) -> bool {
        (self.from..=self.to).contains(&local_day(ms))
    }
}

impl Device {
    /// The packet as HTML. It is plaintext: the front ends write it only through
    /// [`Device::write_packet`].
    pub fn packet_html(&self, req: &PacketRequest) -> Result<Zeroizing<String>> {
        if req.is_empty() {
            return Err(DeviceError::bad_input(
                Field::Packet,
                "choose at least one thing for the packet to hold",
            ));
        }
        let weeks = req.weeks()?;
        let letters = req
            .letters
            .iter()
            .map(|id| {
                let id = self.resolve_shared(id, EntryKind::Letter)?;
                self.letters()?
                    .iter()
                    .find(|l| l.id == id)
                    .cloned()
                    .ok_or_else(|| {
                        DeviceError::bad_input(
                            Field::Packet,
                            format!(
                                "{id} is a letter not yet sent: only sent letters go into a packet"
                            ),
                        )
                    })
            })
            .collect::<Result<Vec<_>>>()?;
        let diary = req
            .diary
            .iter()
            .map(|id| {
                let id = self.resolve_diary(id, EntryKind::DiaryEntry)?;
                Ok(self.read_diary(|d, _| d.get_entry(&id))??)
            })
            .collect::<Result<Vec<_>>>()?;
        let names = self.names()?;
        let me = self.me()?;
        let partners = self.partners()?;
        let who = |id: &PartnerId| -> String {
            partners
                .iter()
                .find(|p| &p.id == id)
                .map(|p| p.name.clone())
                .unwrap_or_else(|| {
                    if names.is_me(id) {
                        "Me".into()
                    } else {
                        "My partner".into()
                    }
                })
        };
        let mut page = Page {
            html: Zeroizing::new(String::new()),
        };
        page.start(req, &who(&me));
        if req.checkins {
            page.checkins(&weeks, &self.checkins()?, &me, &who);
        }
        if req.promises {
            page.promises(req, &self.promises()?, &who);
        }
        if req.boundaries {
            page.boundaries(req, &self.boundaries()?, &who);
        }
        if !letters.is_empty() {
            page.letters(&letters, &who);
        }
        if req.triggers {
            let mine: Vec<TriggerWeek> = self.trigger_weeks()?;
            let partner: Vec<(PartnerId, TriggerWeek)> = self
                .trigger_trend()?
                .iter()
                .filter(|s| s.author != me)
                .map(|s| (s.author.clone(), s.numbers.clone()))
                .collect();
            page.triggers(&weeks, &me, &mine, &partner, &who);
        }
        if !diary.is_empty() {
            page.diary(&diary);
        }
        page.end();
        Ok(page.html)
    }

    /// Writes the packet for its owner alone (mode 0600), never replacing a file
    /// unless `replace` says so. With a passphrase it is sealed as an age file
    /// (`.age` is added to the name if missing) and no plaintext reaches the disk.
    /// Returns where it was written.
    pub fn write_packet(
        &self,
        req: &PacketRequest,
        path: &Path,
        seal: Option<&str>,
        replace: Replace,
    ) -> Result<PathBuf> {
        let html = self.packet_html(req)?;
        let Some(passphrase) = seal else {
            kintsugi_store::write_private_file(path, html.as_bytes(), replace)?;
            return Ok(path.to_path_buf());
        };
        crate::profile::check_new_passphrase(passphrase.as_bytes(), "")?;
        let sealed = seal_packet(html.as_bytes(), passphrase)?;
        let path = sealed_path(path);
        kintsugi_store::write_private_file(&path, &sealed, replace)?;
        Ok(path)
    }
}

/// `packet.html` → `packet.html.age`; a name already ending in `.age` stays.
pub fn sealed_path(path: &Path) -> PathBuf {
    if path.extension().is_some_and(|e| e == "age") {
        return path.to_path_buf();
    }
    let mut name = path.as_os_str().to_owned();
    name.push(".age");
    PathBuf::from(name)
}

/// Encrypts to a passphrase with age's scrypt recipient: anyone with the age tool
/// (or rage) and the passphrase can open it, with no Kintsugi.
fn seal_packet(plain: &[u8], passphrase: &str) -> Result<Vec<u8>> {
    let recipient =
        age::scrypt::Recipient::new(age::secrecy::SecretString::from(passphrase.to_owned()));
    age::encrypt(&recipient, plain).map_err(|e| DeviceError::Encode {
        what: "the sealed packet",
        reason: e.to_string(),
    })
}

/// Opens a sealed packet: what `age -d` does. A wrong passphrase is an error.
pub fn open_sealed_packet(sealed: &[u8], passphrase: &str) -> Result<Zeroizing<Vec<u8>>> {
    let identity =
        age::scrypt::Identity::new(age::secrecy::SecretString::from(passphrase.to_owned()));
    age::decrypt(&identity, sealed)
        .map(Zeroizing::new)
        .map_err(|e| {
            DeviceError::bad_input(
                Field::Passphrase,
                format!("this packet could not be opened: {e}"),
            )
        })
}

/// Makes text safe inside HTML, in element content and in quoted attributes alike.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn day(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.with_timezone(&Local).format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| "?".into())
}

/// Nothing is fetched and nothing runs: the policy says so to the browser too, so
/// that even a crafted entry could not make the page load or execute anything.
const HEAD: &str = r#"<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<style>
body { font-family: Georgia, "Times New Roman", serif; color: #222; max-width: 52rem; margin: 2rem auto; padding: 0 1.5rem; line-height: 1.45; }
h1 { font-size: 1.7rem; margin-bottom: .2rem; }
h2 { border-bottom: 2px solid #b8860b; padding-bottom: .2rem; margin-top: 2.2rem; }
.meta, .note { color: #555; }
.note { font-style: italic; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0 1rem; font-size: .92rem; }
th, td { border: 1px solid #bbb; padding: .25rem .45rem; text-align: left; vertical-align: top; }
th { background: #f3efe6; }
figure { margin: 1rem 0; }
figcaption { font-weight: bold; margin-bottom: .3rem; }
svg { max-width: 100%; height: auto; }
.legend span { margin-right: 1.2rem; }
.swatch { display: inline-block; width: 1.6rem; height: .25rem; vertical-align: middle; margin-right: .3rem; }
.text { white-space: pre-wrap; }
.entry { border-left: 3px solid #b8860b; padding-left: .8rem; margin: 1rem 0; }
.earlier { color: #555; font-size: .92rem; }
@page { margin: 16mm; }
@media print {
  body { margin: 0; max-width: none; font-size: 11pt; }
  section { break-before: page; }
  section:first-of-type { break-before: auto; }
  h2, figcaption { break-after: avoid; }
  figure, tr, .entry { break-inside: avoid; }
  .swatch { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
}
</style>"#;

/// The two people's lines: colour for the screen, a dash as well for a grey print.
const STYLES: [(&str, &str); 2] = [("#b8860b", ""), ("#2f5d8a", "6 4")];

struct Series {
    label: String,
    /// Index into the weeks, and the value.
    points: Vec<(usize, f64)>,
}

struct Page {
    html: Zeroizing<String>,
}

impl Page {
    fn w(&mut self) -> &mut String {
        &mut self.html
    }

    fn start(&mut self, req: &PacketRequest, by: &str) {
        let w = self.w();
        let _ = writeln!(
            w,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n{HEAD}\n<title>Kintsugi: a packet for therapy ({} to {})</title>\n</head>\n<body>",
            req.from, req.to
        );
        let _ = writeln!(
            w,
            "<header>\n<h1>A packet for therapy</h1>\n<p class=\"meta\">Prepared by {} with Kintsugi on {}, covering {} to {}.</p>",
            esc(by),
            Local::now().format("%Y-%m-%d"),
            req.from,
            req.to
        );
        let _ = writeln!(
            w,
            "<p class=\"note\">{}</p>\n</header>",
            esc(view::PACKET_PREAMBLE)
        );
    }

    fn end(&mut self) {
        let _ = writeln!(self.w(), "</body>\n</html>");
    }

    fn section(&mut self, id: &str, title: &str) {
        let _ = writeln!(self.w(), "<section id=\"{id}\">\n<h2>{}</h2>", esc(title));
    }

    fn close(&mut self) {
        let _ = writeln!(self.w(), "</section>");
    }

    fn nothing(&mut self) {
        let _ = writeln!(
            self.w(),
            "<p class=\"note\">Nothing of this kind in these dates.</p>"
        );
    }

    fn checkins(
        &mut self,
        weeks: &[String],
        all: &List<CheckIn>,
        me: &PartnerId,
        who: &dyn Fn(&PartnerId) -> String,
    ) {
        self.section("checkins", "Weekly check-ins");
        let chosen: Vec<&CheckIn> = all.iter().filter(|c| weeks.contains(&c.week)).collect();
        if chosen.is_empty() {
            self.nothing();
            self.close();
            return;
        }
        let mut authors: Vec<&PartnerId> = chosen.iter().map(|c| &c.author).collect();
        authors.sort_by_key(|a| (*a != me, a.as_str().to_owned()));
        authors.dedup();
        for (scale, value) in [
            (view::TRUST, (|c: &CheckIn| c.trust) as fn(&CheckIn) -> u8),
            (view::CLOSENESS, |c: &CheckIn| c.closeness),
            (view::MOOD, |c: &CheckIn| c.mood),
        ] {
            let series: Vec<Series> = authors
                .iter()
                .map(|a| Series {
                    label: who(a),
                    points: chosen
                        .iter()
                        .filter(|c| &c.author == *a)
                        .filter_map(|c| {
                            let i = weeks.iter().position(|w| w == &c.week)?;
                            Some((i, f64::from(value(c))))
                        })
                        .collect(),
                })
                .collect();
            let title = format!(
                "{} each week ({}–{})",
                capital(scale.name),
                scale.min,
                scale.max
            );
            let drawn = plot(&title, weeks, f64::from(scale.max), &series);
            self.w().push_str(&drawn);
        }
        let w = self.w();
        let _ = writeln!(
            w,
            "<table>\n<thead><tr><th>Week</th><th>Who</th><th>Mood</th><th>Trust</th><th>Closeness</th></tr></thead>\n<tbody>"
        );
        for c in &chosen {
            let _ = writeln!(
                w,
                "<tr><td>{}</td><td>{}</td><td>{}/{}</td><td>{}/{}</td><td>{}/{}</td></tr>",
                esc(&c.week),
                esc(&who(&c.author)),
                c.mood,
                view::MOOD.max,
                c.trust,
                view::TRUST.max,
                c.closeness,
                view::CLOSENESS.max
            );
        }
        let _ = writeln!(w, "</tbody>\n</table>");
        for c in &chosen {
            let answers: Vec<_> = view::checkin_answers(c).collect();
            if answers.is_empty() {
                continue;
            }
            let _ = writeln!(
                w,
                "<div class=\"entry\">\n<h3>{}, {}</h3>\n<dl>",
                esc(&c.week),
                esc(&who(&c.author))
            );
            for (question, answer) in answers {
                let _ = writeln!(
                    w,
                    "<dt>{}</dt><dd class=\"text\">{}</dd>",
                    esc(question),
                    esc(answer)
                );
            }
            let _ = writeln!(w, "</dl>\n</div>");
        }
        self.close();
    }

    fn promises(
        &mut self,
        req: &PacketRequest,
        all: &List<Promise>,
        who: &dyn Fn(&PartnerId) -> String,
    ) {
        self.section("promises", "Promises and how they were kept");
        let chosen: Vec<&Promise> = all
            .iter()
            .filter(|p| {
                req.holds(p.created)
                    || (req.from..=req.to).contains(&p.due)
                    || p.outcome_at.is_some_and(|t| req.holds(t))
            })
            .collect();
        if chosen.is_empty() {
            self.nothing();
            self.close();
            return;
        }
        let count = |o: PromiseOutcome| chosen.iter().filter(|p| p.outcome == o).count();
        let _ = writeln!(
            self.w(),
            "<p>{} promise{}: {} kept, {} missed, {} renegotiated, {} still open.</p>",
            chosen.len(),
            if chosen.len() == 1 { "" } else { "s" },
            count(PromiseOutcome::Kept),
            count(PromiseOutcome::Missed),
            count(PromiseOutcome::Renegotiated),
            count(PromiseOutcome::Open)
        );
        let w = self.w();
        let _ = writeln!(
            w,
            "<table>\n<thead><tr><th>Promise</th><th>By</th><th>Due</th><th>Outcome</th></tr></thead>\n<tbody>"
        );
        for p in &chosen {
            let outcome = match (&p.outcome_by, p.outcome_at) {
                (Some(by), Some(at)) if p.outcome != PromiseOutcome::Open => format!(
                    "{} (confirmed by {} on {})",
                    p.outcome.as_str(),
                    who(by),
                    day(at)
                ),
                _ => p.outcome.as_str().to_owned(),
            };
            let _ = write!(w, "<tr><td><span class=\"text\">{}</span>", esc(&p.text));
            for v in &p.earlier {
                let due = v.due.map(|d| format!(", due {d}")).unwrap_or_default();
                let _ = write!(
                    w,
                    "<div class=\"earlier\">Earlier terms ({}{due}): {}</div>",
                    day(v.at),
                    esc(&v.text)
                );
            }
            if let Some(r) = &p.renegotiation {
                let due = r.due.map(|d| format!(", due {d}")).unwrap_or_default();
                let _ = write!(
                    w,
                    "<div class=\"earlier\">New terms proposed on {}, not yet agreed{due}: {}</div>",
                    day(r.proposed),
                    esc(&r.text)
                );
            }
            let _ = writeln!(
                w,
                "</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&who(&p.author)),
                p.due,
                esc(&outcome)
            );
        }
        let _ = writeln!(w, "</tbody>\n</table>");
        self.close();
    }

    fn boundaries(
        &mut self,
        req: &PacketRequest,
        all: &List<Boundary>,
        who: &dyn Fn(&PartnerId) -> String,
    ) {
        self.section("boundaries", "Boundaries and amendments");
        // In force at some time in the range: made by its end, not retired before it.
        let chosen: Vec<&Boundary> = all
            .iter()
            .filter(|b| {
                local_day(b.created) <= req.to
                    && b.retired_at.is_none_or(|t| local_day(t) >= req.from)
            })
            .collect();
        if chosen.is_empty() {
            self.nothing();
            self.close();
            return;
        }
        let w = self.w();
        for b in chosen {
            let category = b
                .category
                .as_deref()
                .map(|c| format!(" · {}", esc(c)))
                .unwrap_or_default();
            let _ = writeln!(
                w,
                "<div class=\"entry\">\n<p class=\"text\"><strong>{}</strong></p>\n<p class=\"meta\">{}{category} · proposed by {} on {}</p>",
                esc(&b.text),
                esc(b.status.as_str()),
                esc(&who(&b.author)),
                day(b.created)
            );
            for (by, at) in &b.agreements {
                let _ = writeln!(
                    w,
                    "<p class=\"earlier\">Agreed by {} on {}</p>",
                    esc(&who(by)),
                    day(*at)
                );
            }
            if let Some(at) = b.edited {
                let _ = writeln!(
                    w,
                    "<p class=\"earlier\">This wording was agreed on {}.</p>",
                    day(at)
                );
            }
            for v in &b.earlier {
                let _ = writeln!(
                    w,
                    "<p class=\"earlier\">Earlier wording ({}): {}</p>",
                    day(v.at),
                    esc(&v.text)
                );
            }
            if let Some(a) = &b.amendment {
                let _ = writeln!(
                    w,
                    "<p class=\"earlier\">Amendment proposed on {}, not yet agreed by both: {}</p>",
                    day(a.proposed),
                    esc(&a.text)
                );
            }
            if let Some(at) = b.retired_at {
                let _ = writeln!(w, "<p class=\"earlier\">Retired on {}.</p>", day(at));
            }
            let _ = writeln!(w, "</div>");
        }
        self.close();
    }

    fn letters(&mut self, letters: &[Letter], who: &dyn Fn(&PartnerId) -> String) {
        self.section("letters", "Letters");
        let w = self.w();
        for l in letters {
            let _ = writeln!(
                w,
                "<div class=\"entry\">\n<h3>{}</h3>\n<p class=\"meta\">A letter of {} from {}, sent {}{}</p>\n<div class=\"text\">{}</div>\n</div>",
                esc(&l.title),
                esc(l.kind.as_str()),
                esc(&who(&l.author)),
                day(l.sent),
                l.read_at
                    .map(|r| format!(", read {}", day(r)))
                    .unwrap_or_default(),
                esc(&l.body)
            );
        }
        self.close();
    }

    fn triggers(
        &mut self,
        weeks: &[String],
        me: &PartnerId,
        mine: &[TriggerWeek],
        partner: &[(PartnerId, TriggerWeek)],
        who: &dyn Fn(&PartnerId) -> String,
    ) {
        self.section("triggers", "Trigger trend");
        let _ = writeln!(
            self.w(),
            "<p class=\"note\">{}</p>",
            esc(view::PACKET_TRIGGERS_NOTE)
        );
        let mut rows: Vec<(PartnerId, &TriggerWeek)> = mine
            .iter()
            .filter(|t| weeks.contains(&t.week))
            .map(|t| (me.clone(), t))
            .collect();
        rows.extend(
            partner
                .iter()
                .filter(|(_, t)| weeks.contains(&t.week))
                .map(|(a, t)| (a.clone(), t)),
        );
        if rows.is_empty() {
            self.nothing();
            self.close();
            return;
        }
        let mut authors: Vec<PartnerId> = rows.iter().map(|(a, _)| a.clone()).collect();
        authors.sort_by_key(|a| (a != me, a.as_str().to_owned()));
        authors.dedup();
        let series = |value: fn(&TriggerWeek) -> f64| -> Vec<Series> {
            authors
                .iter()
                .map(|a| Series {
                    label: who(a),
                    points: rows
                        .iter()
                        .filter(|(by, _)| by == a)
                        .filter_map(|(_, t)| {
                            Some((weeks.iter().position(|w| w == &t.week)?, value(t)))
                        })
                        .collect(),
                })
                .collect()
        };
        let counts = series(|t| f64::from(t.count));
        let most = counts
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.1))
            .fold(1.0_f64, f64::max)
            .ceil();
        let plot_counts = plot("Moments logged each week", weeks, most, &counts);
        let plot_strength = plot(
            "Average strength each week (0–10)",
            weeks,
            10.0,
            &series(|t| t.average()),
        );
        let w = self.w();
        w.push_str(&plot_counts);
        w.push_str(&plot_strength);
        let _ = writeln!(
            w,
            "<table>\n<thead><tr><th>Week</th><th>Whose</th><th>Moments</th><th>Average strength</th></tr></thead>\n<tbody>"
        );
        let mut ordered: Vec<&(PartnerId, &TriggerWeek)> = rows.iter().collect();
        ordered.sort_by(|a, b| {
            a.1.week
                .cmp(&b.1.week)
                .then((&a.0 != me).cmp(&(&b.0 != me)))
        });
        for (by, t) in ordered {
            let _ = writeln!(
                w,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.1}/10</td></tr>",
                esc(&t.week),
                esc(&who(by)),
                t.count,
                t.average()
            );
        }
        let _ = writeln!(w, "</tbody>\n</table>");
        self.close();
    }

    fn diary(&mut self, entries: &[DiaryEntry]) {
        self.section("diary", "From my private diary");
        let _ = writeln!(
            self.w(),
            "<p class=\"note\">{}</p>",
            esc(view::PACKET_DIARY_NOTE)
        );
        let w = self.w();
        for e in entries {
            let _ = writeln!(
                w,
                "<div class=\"entry\">\n<p class=\"meta\">{}{}{}</p>\n<div class=\"text\">{}</div>\n</div>",
                format_time(e.created),
                e.mood.map(|m| format!(" · mood {m}/5")).unwrap_or_default(),
                e.stage
                    .map(|s| format!(" · stage {s}, {}", esc(view::stage_title(s))))
                    .unwrap_or_default(),
                esc(&e.text)
            );
        }
        self.close();
    }
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// A line plot of one value per week, one line per person, as inline SVG: the axes,
/// a light grid, each person's weeks joined by a line (a single week is a dot), and
/// a legend in the page's text so that it reads in print and to a screen reader.
fn plot(title: &str, weeks: &[String], y_max: f64, series: &[Series]) -> String {
    const W: f64 = 640.0;
    const H: f64 = 230.0;
    const LEFT: f64 = 42.0;
    // Room for half of the last week's label, which is centred on its point.
    const RIGHT: f64 = 36.0;
    const TOP: f64 = 14.0;
    const BOTTOM: f64 = 44.0;
    let y_max = if y_max > 0.0 { y_max } else { 1.0 };
    let n = weeks.len().max(1);
    let x = |i: usize| {
        if n == 1 {
            LEFT + (W - LEFT - RIGHT) / 2.0
        } else {
            LEFT + (W - LEFT - RIGHT) * i as f64 / (n - 1) as f64
        }
    };
    let y = |v: f64| TOP + (H - TOP - BOTTOM) * (1.0 - v.clamp(0.0, y_max) / y_max);
    let mut s = String::new();
    let _ = writeln!(s, "<figure>\n<figcaption>{}</figcaption>", esc(title));
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\" viewBox=\"0 0 {W} {H}\" width=\"{W}\" height=\"{H}\" role=\"img\" aria-label=\"{}\">",
        esc(title)
    );
    let _ = writeln!(s, "<title>{}</title>", esc(title));
    // Grid and y labels: 0, the middle, the top.
    for v in [0.0, y_max / 2.0, y_max] {
        let _ = writeln!(
            s,
            "<line x1=\"{LEFT}\" y1=\"{yy:.1}\" x2=\"{:.1}\" y2=\"{yy:.1}\" stroke=\"#ddd\" stroke-width=\"1\"/>\n<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\" fill=\"#555\">{}</text>",
            W - RIGHT,
            LEFT - 6.0,
            y(v) + 4.0,
            trim_number(v),
            yy = y(v)
        );
    }
    let _ = writeln!(
        s,
        "<line x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{:.1}\" stroke=\"#888\"/>\n<line x1=\"{LEFT}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#888\"/>",
        H - BOTTOM,
        H - BOTTOM,
        W - RIGHT,
        H - BOTTOM
    );
    // Week labels, thinned so that they never overlap.
    let every = n.div_ceil(8).max(1);
    for (i, week) in weeks.iter().enumerate() {
        if i % every != 0 && i != n - 1 {
            continue;
        }
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#555\">{}</text>",
            x(i),
            H - BOTTOM + 18.0,
            esc(week)
        );
    }
    for (k, line) in series.iter().enumerate() {
        let (colour, dash) = STYLES[k % STYLES.len()];
        let dash = if dash.is_empty() {
            String::new()
        } else {
            format!(" stroke-dasharray=\"{dash}\"")
        };
        let points: Vec<String> = line
            .points
            .iter()
            .map(|&(i, v)| format!("{:.1},{:.1}", x(i), y(v)))
            .collect();
        let _ = writeln!(
            s,
            "<polyline class=\"series\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2.5\"{dash} points=\"{}\"><title>{}</title></polyline>",
            points.join(" "),
            esc(&line.label)
        );
        for &(i, v) in &line.points {
            let _ = writeln!(
                s,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3.5\" fill=\"{colour}\"><title>{}: {}</title></circle>",
                x(i),
                y(v),
                esc(&line.label),
                trim_number(v)
            );
        }
    }
    let _ = writeln!(s, "</svg>");
    let _ = write!(s, "<div class=\"legend\">");
    for (k, line) in series.iter().enumerate() {
        let (colour, dash) = STYLES[k % STYLES.len()];
        let look = if dash.is_empty() { "solid" } else { "dashed" };
        let _ = write!(
            s,
            "<span><span class=\"swatch\" style=\"background:{colour}\"></span>{} ({look} line)</span>",
            esc(&line.label)
        );
    }
    let _ = writeln!(s, "</div>\n</figure>");
    s
}

/// "4", "4.5": a plot's numbers without trailing zeros.
fn trim_number(v: f64) -> String {
    let s = format!("{v:.1}");
    s.strip_suffix(".0").map(str::to_owned).unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CheckInInput;
    use crate::test_support::{paired, sync_directly};

    const DIARY_CANARY: &str = "UNPICKED-DIARY-CANARY-4417";
    const PASS: &str = "lantern orchard quietly nineteen velvet";

    #[test]
    fn a_packet_holds_what_was_chosen_and_never_an_unpicked_diary_entry() {
        let tmp = tempfile::tempdir().unwrap();
        let (ari, bea) = paired(tmp.path());
        let today = Local::now().date_naive();
        let week = view::week_of(today);
        for (d, trust) in [(&ari, 6), (&bea, 8)] {
            d.save_checkin(&CheckInInput {
                week: week.clone(),
                mood: 4,
                trust,
                closeness: 7,
                went_well: Some("a <b>walk</b> & talk".into()),
                ..Default::default()
            })
            .unwrap();
        }
        bea.add_trigger(None, 6, "BEA-TRIGGER-WORDS").unwrap();
        bea.share_trigger_trend(None).unwrap();
        ari.add_trigger(None, 3, "ARI-TRIGGER-WORDS").unwrap();
        // Revealed together: each device reveals its answers once it sees the other's.
        sync_directly(&ari, &bea);
        sync_directly(&ari, &bea);
        ari.add_diary_entry(DIARY_CANARY, None, None).unwrap();
        let picked = ari
            .add_diary_entry("a picked entry, for the session", Some(3), None)
            .unwrap();

        let mut req = PacketRequest::new(today - Duration::days(14), today);
        assert!(ari.packet_html(&req).is_err(), "an empty packet is refused");
        req.checkins = true;
        req.triggers = true;
        let html = ari.packet_html(&req).unwrap();
        assert!(html.contains("<svg"));
        assert_eq!(
            html.matches("<figure>").count(),
            5,
            "three check-in plots and two trigger plots"
        );
        assert!(html.contains("<polyline"));
        assert!(
            html.contains("a &lt;b&gt;walk&lt;/b&gt; &amp; talk"),
            "text is escaped"
        );
        assert!(!html.contains("<b>walk"));
        assert!(!html.to_lowercase().contains("<script"));
        assert!(
            !html.contains("src=") && !html.contains("href="),
            "nothing is fetched"
        );
        assert!(!html.contains(DIARY_CANARY));
        assert!(!html.contains("a picked entry"));
        assert!(!html.contains("TRIGGER-WORDS"), "never a moment's words");
        assert!(html.contains(&format!("{week}</td><td>Bea")));

        req.diary = vec![picked.clone()];
        let html = ari.packet_html(&req).unwrap();
        assert!(html.contains("a picked entry, for the session"));
        assert!(!html.contains(DIARY_CANARY));

        // Bea's diary is not Ari's to pick.
        let theirs = bea.add_diary_entry("Bea's own", None, None).unwrap();
        req.diary = vec![theirs];
        assert!(ari.packet_html(&req).is_err());
        req.diary.clear();

        let backwards = PacketRequest {
            from: today,
            to: today - Duration::days(1),
            ..req.clone()
        };
        assert!(ari.packet_html(&backwards).is_err());

        // Written for its owner alone; sealed, it opens with the passphrase only.
        let out = tmp.path().join("packet.html");
        assert_eq!(
            ari.write_packet(&req, &out, None, Replace::No).unwrap(),
            out
        );
        assert!(ari.write_packet(&req, &out, None, Replace::No).is_err());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&out).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(
            ari.write_packet(
                &req,
                &tmp.path().join("weak.html"),
                Some("abc"),
                Replace::No
            )
            .is_err(),
            "a weak passphrase is refused"
        );
        let sealed = ari
            .write_packet(&req, &out, Some(PASS), Replace::No)
            .unwrap();
        assert_eq!(sealed, tmp.path().join("packet.html.age"));
        let bytes = std::fs::read(&sealed).unwrap();
        assert!(bytes.starts_with(b"age-encryption.org/v1"));
        assert!(!bytes.windows(4).any(|w| w == b"<svg"));
        let opened = open_sealed_packet(&bytes, PASS).unwrap();
        assert!(opened.starts_with(b"<!DOCTYPE html>"));
        assert!(open_sealed_packet(&bytes, "not the passphrase at all").is_err());
    }
}
