//! The trigger log: a quick row to log a moment, the weekly numbers plotted (mine,
//! and my partner's as shared), sharing the numbers or one moment after saying
//! what goes, and the moments my partner shared.

use egui_plot::{Bar, BarChart, Legend, Line, Plot, PlotPoints};
use kintsugi_device::{STRENGTH_MAX, STRENGTH_MIN, view};

use super::checkins::week_x;
use super::{Ctx, View};
use crate::dialogs;
use crate::guide::Guide;
use crate::model::Cache;
use crate::widgets;

pub struct Triggers {
    words: String,
    strength: u8,
    when: String,
    /// Why the typed time was refused, until it is typed again.
    when_error: Option<String>,
    /// A question is open: share the weekly numbers, or this moment (its id).
    asking: Option<Share>,
}

enum Share {
    Trend,
    Moment(String),
}

impl Default for Triggers {
    fn default() -> Self {
        Self {
            words: String::new(),
            strength: 5,
            when: String::new(),
            when_error: None,
            asking: None,
        }
    }
}

impl View for Triggers {
    fn title(&self, _: &Cache, _: &Guide) -> String {
        "Trigger log".into()
    }

    fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut Ctx<'_>) {
        let c = ctx.cache;
        let names = c.names();
        let partner = names.partner_in_sentence();
        widgets::heading(ui, "Trigger log");
        widgets::note(ui, view::TRIGGERS_ABOUT);

        ui.group(|ui| {
            ui.horizontal_wrapped(|ui| {
                let l = ui.label("What brought it back");
                ui.add(
                    egui::TextEdit::singleline(&mut self.words)
                        .id_salt("What brought it back")
                        .desired_width(220.0),
                )
                .labelled_by(l.id);
                ui.add(
                    egui::Slider::new(&mut self.strength, STRENGTH_MIN..=STRENGTH_MAX)
                        .text("strength (1 a flicker, 10 overwhelming)"),
                );
            });
            ui.horizontal(|ui| {
                let l = ui.label("When (empty: now)");
                if ui
                    .add(
                        egui::TextEdit::singleline(&mut self.when)
                            .id_salt("When (empty: now)")
                            .hint_text("YYYY-MM-DD HH:MM")
                            .desired_width(140.0),
                    )
                    .labelled_by(l.id)
                    .changed()
                {
                    self.when_error = None;
                }
                let ready = !self.words.trim().is_empty();
                if ui.add_enabled(ready, egui::Button::new("Log it")).clicked() {
                    let at = match self.when.trim() {
                        "" => Ok(None),
                        typed => kintsugi_device::parse_when(typed).map(Some),
                    };
                    match at {
                        Ok(at) => {
                            let words = std::mem::take(&mut self.words);
                            let strength = self.strength;
                            self.when.clear();
                            ctx.worker.command(
                                ctx.device,
                                |_| "Logged (private).".into(),
                                move |d| d.add_trigger(at, strength, &words),
                            );
                        }
                        Err(e) => self.when_error = Some(e.to_string()),
                    }
                }
            });
            if let Some(e) = &self.when_error {
                widgets::error_text(ui, e);
            }
        });

        let theirs: Vec<_> = c
            .trigger_trend
            .iter()
            .filter(|t| !names.is_me(&t.author))
            .collect();
        if !c.trigger_weeks.is_empty() || !theirs.is_empty() {
            ui.add_space(8.0);
            ui.label(egui::RichText::new("Over the weeks").strong());
            let partner_name = names.partner_name();
            Plot::new("trigger-weeks")
                .height(200.0)
                .x_axis_formatter(|mark, _| week_label(mark.value))
                .legend(Legend::default())
                .allow_scroll(false)
                .show(ui, |plot| {
                    let bars: Vec<Bar> = c
                        .trigger_weeks
                        .iter()
                        .filter_map(|w| Some(Bar::new(week_x(&w.week)?, f64::from(w.count))))
                        .collect();
                    plot.bar_chart(BarChart::new("Your moments per week", bars).width(0.6));
                    let mine: PlotPoints = c
                        .trigger_weeks
                        .iter()
                        .filter_map(|w| Some([week_x(&w.week)?, w.average()]))
                        .collect();
                    plot.line(Line::new("Your average strength", mine));
                    if !theirs.is_empty() {
                        let count: PlotPoints = theirs
                            .iter()
                            .filter_map(|t| {
                                Some([week_x(&t.numbers.week)?, f64::from(t.numbers.count)])
                            })
                            .collect();
                        plot.line(Line::new(
                            format!("{partner_name}: moments (shared)"),
                            count,
                        ));
                        let avg: PlotPoints = theirs
                            .iter()
                            .filter(|t| t.numbers.count > 0)
                            .filter_map(|t| Some([week_x(&t.numbers.week)?, t.numbers.average()]))
                            .collect();
                        plot.line(Line::new(
                            format!("{partner_name}: average strength (shared)"),
                            avg,
                        ));
                    }
                });
        }

        if !c.trigger_weeks.is_empty() {
            ui.label(egui::RichText::new("Your weeks").strong());
            for w in c.trigger_weeks.iter().rev() {
                ui.label(format!(
                    "{} · {}",
                    view::trigger_week_line(w),
                    view::trigger_week_shared(w, &c.trigger_trend, &names)
                ));
            }
            if ui
                .button(format!("Share the weekly numbers with {partner}…"))
                .clicked()
            {
                self.asking = Some(Share::Trend);
            }
        }

        ui.add_space(6.0);
        ui.label(egui::RichText::new(format!("Your moments ({})", c.triggers.len())).strong());
        let mut share = None;
        // Newest first: the moment just logged is the one to see.
        widgets::rows(ui, "trigger-rows", 52.0, c.triggers.len(), |ui, i| {
            let Some(t) = c
                .triggers
                .len()
                .checked_sub(i + 1)
                .and_then(|i| c.triggers.get(i))
            else {
                return;
            };
            widgets::line(
                ui,
                format!(
                    "{} · strength {}/10 · {}",
                    widgets::when(t.at),
                    t.strength,
                    t.words
                ),
            );
            if c.shared_triggers.iter().any(|s| s.id == t.id) {
                widgets::line(
                    ui,
                    egui::RichText::new(format!("shared with {partner}")).weak(),
                );
            } else if ui
                .small_button(format!("Share \"{}\" with {partner}…", t.words))
                .clicked()
            {
                share = Some(Share::Moment(t.id.clone()));
            }
        });
        if share.is_some() {
            self.asking = share;
        }

        let moments: Vec<_> = c
            .shared_triggers
            .iter()
            .filter(|t| !names.is_me(&t.author))
            .collect();
        if !theirs.is_empty() || !moments.is_empty() {
            ui.add_space(6.0);
            ui.label(egui::RichText::new(format!("What {partner} shared of their log")).strong());
            for t in &theirs {
                ui.label(view::trigger_week_line(&t.numbers));
            }
            for t in &moments {
                ui.label(format!(
                    "{} · strength {}/10 · {}",
                    widgets::when(t.at),
                    t.strength,
                    t.words
                ));
            }
        }

        self.ask(ui.ctx(), ctx, &partner);
    }
}

/// The ISO week an x value of [`week_x`] stands for, for the axis; nothing between
/// weeks.
fn week_label(x: f64) -> String {
    if x.fract() != 0.0 || x < 54.0 {
        return String::new();
    }
    // week_x is year * 53 + week, with the week from 1 to 53.
    let year = ((x - 1.0) / 53.0).floor();
    format!("{year:.0}-W{:02.0}", x - year * 53.0)
}

impl Triggers {
    /// The question before anything of the log is shared, saying what goes.
    fn ask(&mut self, egui_ctx: &egui::Context, ctx: &mut Ctx<'_>, partner: &str) {
        let Some(share) = &self.asking else {
            return;
        };
        let answer = match share {
            Share::Trend => dialogs::confirm(
                egui_ctx,
                "share-trigger-trend",
                &format!("Share your weekly numbers with {partner}?"),
                &[&view::trend_share_says(partner)],
                "Share the numbers",
                "Keep them private",
            ),
            Share::Moment(_) => dialogs::confirm(
                egui_ctx,
                "share-trigger",
                &format!("Share this moment with {partner}?"),
                &[&view::trigger_share_says(partner)],
                "Share this moment",
                "Keep it private",
            ),
        };
        match answer {
            Some(true) => {
                match share {
                    Share::Trend => ctx.worker.command(
                        ctx.device,
                        |weeks: Vec<kintsugi_device::TriggerWeek>| {
                            format!("Shared the numbers of {} week(s).", weeks.len())
                        },
                        |d| d.share_trigger_trend(None),
                    ),
                    Share::Moment(id) => {
                        let id = id.clone();
                        ctx.worker.command(
                            ctx.device,
                            |_| "Shared this moment.".into(),
                            move |d| d.share_trigger(&id),
                        )
                    }
                }
                self.asking = None;
            }
            Some(false) => self.asking = None,
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_axis_names_the_weeks_the_plot_places() {
        for week in ["2026-W01", "2026-W49", "2026-W53", "2027-W01"] {
            assert_eq!(week_label(week_x(week).unwrap()), week);
        }
        assert_eq!(week_label(week_x("2026-W49").unwrap() + 0.5), "");
    }
}
