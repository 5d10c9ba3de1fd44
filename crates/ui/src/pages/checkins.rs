//! The weekly check-in: the form, the history (one's own answers can be changed
//! later, the partner sees the ones before), and a plot of both partners' trends.

use egui_plot::{Legend, Line, Plot, PlotPoints};
use kintsugi_device::view::{self, Answer};
use kintsugi_device::{AnswersEdit, CheckIn, CheckInInput};

use super::{Ctx, View};
use crate::dialogs::{self, Versions, Wording};
use crate::guide::Guide;
use crate::model::Cache;
use crate::widgets;

pub struct Checkins {
    mood: u8,
    trust: u8,
    closeness: u8,
    went_well: String,
    hard: String,
    need: String,
    appreciate: String,
    /// My answers being changed.
    editing: Option<Answers>,
    versions: Option<Versions>,
    reveal: widgets::Reveal,
}

/// A check-in's written answers in the edit form, and what they were.
struct Answers {
    id: String,
    week: String,
    now: [String; 4],
    was: [String; 4],
}

impl Default for Checkins {
    fn default() -> Self {
        Self {
            mood: 3,
            trust: 5,
            closeness: 5,
            went_well: String::new(),
            hard: String::new(),
            need: String::new(),
            appreciate: String::new(),
            editing: None,
            versions: None,
            reveal: widgets::Reveal::default(),
        }
    }
}

/// Weeks as numbers for the x axis: ISO year * 53 + week keeps them ordered.
pub(super) fn week_x(week: &str) -> Option<f64> {
    let (y, w) = week.split_once("-W")?;
    Some(y.parse::<f64>().ok()? * 53.0 + w.parse::<f64>().ok()?)
}

impl View for Checkins {
    fn title(&self, _: &Cache, _: &Guide) -> String {
        "Check-ins".into()
    }

    fn reveal(&mut self, id: String) {
        self.reveal.ask(id);
    }

    fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut Ctx<'_>) {
        let week = view::week_of(chrono::Local::now().date_naive());
        widgets::heading(ui, &format!("Weekly check-in — {week}"));
        widgets::note(ui, "One per week each; saving again this week updates it.");
        let c = ctx.cache;
        let together = c.partner.is_some()
            && c.settings
                .as_ref()
                .is_some_and(|s| s.reveal_checkins_together);
        if together {
            widgets::note(ui, view::REVEAL_TOGETHER);
        }
        ui.group(|ui| {
            ui.add(egui::Slider::new(&mut self.mood, 1..=5).text("Mood (1 low – 5 good)"));
            ui.add(egui::Slider::new(&mut self.trust, 1..=10).text("Trust (1–10)"));
            ui.add(egui::Slider::new(&mut self.closeness, 1..=10).text("Closeness (1–10)"));
            widgets::area(ui, Answer::WentWell.question(), &mut self.went_well, 2);
            widgets::area(ui, Answer::Hard.question(), &mut self.hard, 2);
            widgets::area(ui, Answer::Need.question(), &mut self.need, 2);
            widgets::area(ui, Answer::Appreciate.question(), &mut self.appreciate, 2);
            if ui.button("Save check-in").clicked() {
                let opt = |s: &mut String| Some(std::mem::take(s)).filter(|t| !t.trim().is_empty());
                let input = CheckInInput {
                    week: week.clone(),
                    mood: self.mood,
                    trust: self.trust,
                    closeness: self.closeness,
                    went_well: opt(&mut self.went_well),
                    hard: opt(&mut self.hard),
                    need: opt(&mut self.need),
                    appreciate: opt(&mut self.appreciate),
                };
                let (names, week) = (c.names(), week.clone());
                ctx.worker.command(
                    ctx.device,
                    move |saved| view::checkin_saved(&saved, &week, &names),
                    move |d| d.save_checkin(&input),
                );
            }
        });

        let names = c.names();
        for s in c.sealed_checkins.iter().rev() {
            ui.group(|ui| {
                ui.label(view::sealed_checkin(s, &names));
                let held = c.held_checkins.iter().find(|h| h.week == s.week);
                if let Some(h) = held.filter(|_| c.is_me(&s.author)) {
                    for line in view::held_checkin(h) {
                        ui.label(line);
                    }
                }
            });
        }
        if c.checkins.is_empty() {
            return;
        }
        ui.add_space(8.0);
        ui.label(egui::RichText::new("Over the weeks").strong());
        let mut authors: Vec<_> = c.checkins.iter().map(|x| x.author.clone()).collect();
        authors.sort();
        authors.dedup();
        Plot::new("trends")
            .height(220.0)
            .legend(Legend::default())
            .allow_scroll(false)
            .show(ui, |plot| {
                for a in &authors {
                    let mut rows: Vec<_> = c.checkins.iter().filter(|x| &x.author == a).collect();
                    rows.sort_by(|x, y| x.week.cmp(&y.week));
                    let who = c.name(a);
                    for (label, get) in [
                        (
                            "trust",
                            (|x: &kintsugi_device::CheckIn| f64::from(x.trust))
                                as fn(&kintsugi_device::CheckIn) -> f64,
                        ),
                        ("mood ×2", |x| f64::from(x.mood) * 2.0),
                        ("closeness", |x| f64::from(x.closeness)),
                    ] {
                        let pts: PlotPoints = rows
                            .iter()
                            .filter_map(|x| Some([week_x(&x.week)?, get(x)]))
                            .collect();
                        plot.line(Line::new(format!("{who}: {label}"), pts));
                    }
                }
            });

        ui.label(egui::RichText::new("History").strong());
        for x in c.checkins.iter().rev() {
            let row = ui.group(|ui| {
                self.reveal.outline(ui, &x.id);
                ui.label(format!(
                    "{} — {}: mood {}/5, trust {}/10, closeness {}/10{}",
                    x.week,
                    c.name(&x.author),
                    x.mood,
                    x.trust,
                    x.closeness,
                    dialogs::edited_mark(x.edited),
                ));
                if let Some(note) = view::revealed_note(x, &names) {
                    ui.colored_label(ui.visuals().warn_fg_color, note);
                }
                for (label, t) in view::checkin_answers(x) {
                    ui.label(format!("{label}: {t}"));
                }
                ui.horizontal(|ui| {
                    if c.is_me(&x.author)
                        && ui
                            .small_button(format!("Edit answers for {}", x.week))
                            .clicked()
                    {
                        let now = answers(x).map(|a| a.unwrap_or_default().to_owned());
                        self.editing = Some(Answers {
                            id: x.id.clone(),
                            week: x.week.clone(),
                            was: now.clone(),
                            now,
                        });
                    }
                    if !x.earlier.is_empty()
                        && ui
                            .small_button(format!("Earlier answers ({})", x.earlier.len()))
                            .clicked()
                    {
                        self.versions = Some(versions(c, x));
                    }
                });
            });
            // The history is short (one check-in a week each), so it is drawn whole
            // and a search result is scrolled to where its row landed.
            if self.reveal.pending() && self.reveal.is(&x.id) {
                row.response.scroll_to_me(Some(egui::Align::Center));
            }
        }
        self.reveal.settle();

        Versions::show_in(&mut self.versions, ui.ctx());
        if let Some(a) = &mut self.editing {
            let title = format!("Edit your answers for {}", a.week);
            let (answer, closed) = dialogs::dialog(ui.ctx(), "edit-checkin", &title, true, |ui| {
                for (answer, text) in Answer::ALL.into_iter().zip(&mut a.now) {
                    let label = answer.question();
                    dialogs::area(ui, label, text, 2);
                }
                widgets::note(
                    ui,
                    "Your partner will see that you changed them, and when. The answers they \
                     already have stay readable to both of you as earlier answers. The scores \
                     stay as they are.",
                );
                dialogs::form_buttons(ui, "Save changes", a.now != a.was)
            });
            match answer {
                Some(true) => {
                    let id = a.id.clone();
                    let [went_well, hard, need, appreciate] = a.now.clone().map(Some);
                    let edit = AnswersEdit {
                        went_well,
                        hard,
                        need,
                        appreciate,
                    };
                    ctx.worker.command(
                        ctx.device,
                        |_| kintsugi_device::view::EDITED_SHARED.into(),
                        move |d| d.edit_checkin(&id, &edit),
                    );
                    self.editing = None;
                }
                Some(false) => self.editing = None,
                None if matches!(closed, dialogs::Closed::Dismissed) => self.editing = None,
                None => {}
            }
        }
    }
}

fn answers(x: &CheckIn) -> [Option<&str>; 4] {
    Answer::ALL.map(|a| a.of(x))
}

/// The answers as one text, a line each.
fn answers_text(a: [Option<&str>; 4]) -> String {
    let lines: Vec<String> = Answer::ALL
        .into_iter()
        .zip(a)
        .filter_map(|(q, t)| Some(format!("{}: {}", q.question(), t?)))
        .collect();
    if lines.is_empty() {
        "(no written answers)".into()
    } else {
        lines.join("\n")
    }
}

fn versions(c: &Cache, x: &CheckIn) -> Versions {
    Versions::new(
        format!("{} answers for {}", c.whose(&x.author), x.week),
        Wording {
            when: dialogs::since(x.edited, x.created),
            text: answers_text(answers(x)),
        },
        x.earlier
            .iter()
            .map(|e| Wording {
                when: format!("Written {}", widgets::when(e.at)),
                text: answers_text([
                    e.went_well.as_deref(),
                    e.hard.as_deref(),
                    e.need.as_deref(),
                    e.appreciate.as_deref(),
                ]),
            })
            .collect(),
    )
}
