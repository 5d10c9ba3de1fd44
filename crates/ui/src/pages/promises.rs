//! Promises with a due date; the partner they were made to confirms the outcome.

use kintsugi_device::PromiseOutcome;

use super::{Ctx, View};
use crate::guide::Guide;
use crate::model::Cache;
use crate::widgets::{self, GOLD};

/// How many outcomes the follow-through strip shows: enough to see a pattern, few
/// enough to lay out every frame.
const STRIP: usize = 60;

#[derive(Default)]
pub struct Promises {
    text: String,
    due: String,
}

impl View for Promises {
    fn title(&self, _: &Cache, _: &Guide) -> String {
        "Promises".into()
    }

    fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut Ctx<'_>) {
        widgets::heading(ui, "Promises");
        widgets::note(
            ui,
            "Small, concrete, with a date. Your partner says how it went.",
        );
        if self.due.is_empty() {
            self.due = (chrono::Local::now().date_naive() + chrono::Days::new(7)).to_string();
        }
        ui.group(|ui| {
            widgets::field(ui, "I promise", &mut self.text);
            widgets::field(ui, "Due (YYYY-MM-DD)", &mut self.due);
            if ui
                .add_enabled(
                    !self.text.trim().is_empty(),
                    egui::Button::new("Make this promise"),
                )
                .clicked()
            {
                let (text, due) = (std::mem::take(&mut self.text), self.due.clone());
                ctx.worker.command(
                    ctx.device,
                    |_| "Promise made.".into(),
                    move |d| d.add_promise(&text, &due),
                );
            }
        });
        let c = ctx.cache;

        // Follow-through per person, over everything confirmed so far.
        for who in [c.me.clone(), c.partner_id()].into_iter().flatten() {
            let theirs: Vec<_> = c.promises.iter().filter(|p| p.author == who).collect();
            let count = |o| theirs.iter().filter(|p| p.outcome == o).count();
            if !theirs.is_empty() {
                ui.label(format!(
                    "{}: {} kept, {} missed, {} renegotiated, {} open",
                    c.name(&who),
                    count(PromiseOutcome::Kept),
                    count(PromiseOutcome::Missed),
                    count(PromiseOutcome::Renegotiated),
                    count(PromiseOutcome::Open)
                ));
                // A strip of the latest outcomes in due order: the pattern over time
                // at a glance (the counts above cover all of them).
                let mut ordered = theirs.clone();
                ordered.sort_by_key(|p| p.due);
                let recent = &ordered[ordered.len().saturating_sub(STRIP)..];
                ui.horizontal_wrapped(|ui| {
                    for p in recent {
                        let (mark, colour) = match p.outcome {
                            PromiseOutcome::Kept => ("●", GOLD),
                            PromiseOutcome::Missed => {
                                ("○", egui::Color32::from_rgb(0xD0, 0x60, 0x60))
                            }
                            PromiseOutcome::Renegotiated => ("◐", egui::Color32::LIGHT_BLUE),
                            PromiseOutcome::Open => ("·", egui::Color32::GRAY),
                        };
                        ui.label(egui::RichText::new(mark).color(colour).size(18.0))
                            .on_hover_text(format!(
                                "{} — due {}: {}",
                                p.text,
                                p.due,
                                p.outcome.as_str()
                            ));
                    }
                });
            }
        }

        let mut list: Vec<_> = c.promises.iter().collect();
        list.sort_by_key(|p| std::cmp::Reverse(p.due));
        widgets::rows(ui, "promises", 76.0, list.len(), |ui, i| {
            let p = list[i];
            widgets::line(
                ui,
                format!("{} — {} promised, due {}", p.text, c.name(&p.author), p.due),
            );
            widgets::line(
                ui,
                egui::RichText::new(format!("Outcome: {}", p.outcome.as_str())).weak(),
            );
            if !c.is_me(&p.author) && p.outcome == PromiseOutcome::Open {
                ui.horizontal(|ui| {
                    for (label, o) in [
                        ("Kept", PromiseOutcome::Kept),
                        ("Missed", PromiseOutcome::Missed),
                        ("Renegotiated", PromiseOutcome::Renegotiated),
                    ] {
                        if ui.button(label).clicked() {
                            let id = p.id.clone();
                            ctx.worker.command(
                                ctx.device,
                                |_| "Recorded.".into(),
                                move |d| d.set_promise_outcome(&id, o),
                            );
                        }
                    }
                });
            }
        });
    }
}
