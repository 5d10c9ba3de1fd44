//! The weekly check-in: the form, the history, and a plot of both partners' trends.

use egui_plot::{Legend, Line, Plot, PlotPoints};
use kintsugi_device::CheckInInput;

use super::{Ctx, View};
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
        }
    }
}

/// Weeks as numbers for the x axis: ISO year * 53 + week keeps them ordered.
fn week_x(week: &str) -> Option<f64> {
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
                    "{} — {}: mood {}/5, trust {}/10, closeness {}/10",
                    x.week,
                    c.name(&x.author),
                    x.mood,
                    x.trust,
                    x.closeness
                ));
                for (label, t) in [
                    ("Went well", &x.went_well),
                    ("Was hard", &x.hard),
                    ("Needs", &x.need),
                    ("Appreciates", &x.appreciate),
                ] {
                    if let Some(t) = t {
                        ui.label(format!("{label}: {t}"));
                    }
                }
            });
        }
    }
}
