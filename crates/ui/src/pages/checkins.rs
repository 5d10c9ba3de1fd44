//! The weekly check-in: the form, the history (one's own answers can be changed
//! later, the partner sees the ones before), and a plot of both partners' trends.

use egui_plot::{Legend, Line, Plot, PlotPoints};
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

    fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut Ctx<'_>) {
        let week = kintsugi_device::view::week_of(chrono::Local::now().date_naive());
        widgets::heading(ui, &format!("Weekly check-in — {week}"));
        widgets::note(ui, "One per week each; saving again this week updates it.");
        ui.group(|ui| {
            ui.add(egui::Slider::new(&mut self.mood, 1..=5).text("Mood (1 low – 5 good)"));
            ui.add(egui::Slider::new(&mut self.trust, 1..=10).text("Trust (1–10)"));
            ui.add(egui::Slider::new(&mut self.closeness, 1..=10).text("Closeness (1–10)"));
            widgets::area(ui, "What went well", &mut self.went_well, 2);
            widgets::area(ui, "What was hard", &mut self.hard, 2);
            widgets::area(ui, "What I need", &mut self.need, 2);
            widgets::area(ui, "What I appreciate", &mut self.appreciate, 2);
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
                ctx.worker.command(
                    ctx.device,
                    |u: kintsugi_device::Upserted| {
                        if u.is_new {
                            "Check-in saved.".into()
                        } else {
                            "This week's check-in updated.".into()
                        }
                    },
                    move |d| d.save_checkin(&input),
                );
            }
        });

        let c = ctx.cache;
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
            ui.group(|ui| {
                ui.label(format!(
                    "{} — {}: mood {}/5, trust {}/10, closeness {}/10{}",
                    x.week,
                    c.name(&x.author),
                    x.mood,
                    x.trust,
                    x.closeness,
                    dialogs::edited_mark(x.edited),
                ));
                for (label, t) in LABELS.into_iter().zip(answers(x)) {
                    if let Some(t) = t {
                        ui.label(format!("{label}: {t}"));
                    }
                }
                ui.horizontal(|ui| {
                    if c.is_me(&x.author)
                        && ui
                            .small_button(format!("Edit answers for {}", x.week))
                            .clicked()
                    {
                        let now = answers(x).map(|a| a.cloned().unwrap_or_default());
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
        }

        Versions::show_in(&mut self.versions, ui.ctx());
        if let Some(a) = &mut self.editing {
            let title = format!("Edit your answers for {}", a.week);
            let (answer, closed) = dialogs::dialog(ui.ctx(), "edit-checkin", &title, true, |ui| {
                for (label, text) in LABELS.into_iter().zip(&mut a.now) {
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

/// How the history labels each written answer.
const LABELS: [&str; 4] = ["Went well", "Was hard", "Needs", "Appreciates"];

fn answers(x: &CheckIn) -> [Option<&String>; 4] {
    [
        x.went_well.as_ref(),
        x.hard.as_ref(),
        x.need.as_ref(),
        x.appreciate.as_ref(),
    ]
}

/// The answers as one text, a line each.
fn answers_text(a: [Option<&String>; 4]) -> String {
    let lines: Vec<String> = LABELS
        .into_iter()
        .zip(a)
        .filter_map(|(label, t)| Some(format!("{label}: {}", t?)))
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
                    e.went_well.as_ref(),
                    e.hard.as_ref(),
                    e.need.as_ref(),
                    e.appreciate.as_ref(),
                ]),
            })
            .collect(),
    )
}
