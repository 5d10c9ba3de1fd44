//! Where the couple stands: the stages, what is due, the partner's status.

use kintsugi_device::view;

use super::{Ctx, View};
use crate::guide::Guide;
use crate::model::{Cache, Page};
use crate::widgets::{self, GOLD};

#[derive(Default)]
pub struct Home;

impl View for Home {
    fn title(&self, _: &Cache, _: &Guide) -> String {
        "Home".into()
    }

    fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut Ctx<'_>) {
        let c = ctx.cache;
        let name = c
            .status
            .as_ref()
            .and_then(|s| s.name.clone())
            .unwrap_or_default();
        widgets::heading(ui, &format!("Welcome, {name}"));
        // An interrupted last write: nothing saved is lost, but the person should know
        // that whatever they were writing at that moment did not make it.
        for w in c.status.iter().flat_map(|s| &s.warnings) {
            widgets::error_text(ui, &format!("Note: {w}."));
        }

        ui.label(egui::RichText::new("The seven stages").strong());
        let partner = c.partner_id();
        egui::Grid::new("stage-grid").striped(true).show(ui, |ui| {
            ui.label("");
            ui.label("You");
            ui.label(
                partner
                    .as_ref()
                    .map(|p| c.name(p))
                    .unwrap_or_else(|| "Your partner".into()),
            );
            ui.end_row();
            for n in 1..=7u8 {
                let title = ctx.guide.stage(n).map(|s| s.title).unwrap_or_default();
                if ui.link(format!("{n}. {title}")).clicked() {
                    ctx.go(Page::Stage(n));
                }
                for who in [c.me.clone(), partner.clone()] {
                    let done = who
                        .as_ref()
                        .map(|w| {
                            c.stages
                                .iter()
                                .any(|s| s.stage == n && &s.partner == w && s.done)
                        })
                        .unwrap_or(false);
                    ui.label(if done {
                        egui::RichText::new("done").color(GOLD)
                    } else {
                        egui::RichText::new("—").weak()
                    });
                }
                ui.end_row();
            }
        });

        ui.add_space(10.0);
        ui.label(egui::RichText::new("What is due").strong());
        let today = chrono::Local::now().date_naive();
        let names = c.names();
        let due = view::due(
            today,
            &names,
            view::DueLists {
                checkins: &c.checkins,
                sealed: &c.sealed_checkins,
                promises: &c.promises,
                exercises: &c.exercises,
                letters: &c.letters,
                opened: &c.opened,
                boundaries: &c.boundaries,
                meetings: &c.meetings,
            },
        );
        let asked = crate::release::waiting(c).cloned();
        if let Some(r) = &asked {
            crate::release::partners_request(ui, ctx, r);
        }
        for item in &due {
            if ui.link(item.describe(&names)).clicked() {
                ctx.go(match item {
                    view::Due::Checkin { .. } => Page::Checkins,
                    view::Due::Promise { .. } => Page::Promises,
                    view::Due::ExerciseAnswer { .. } => Page::Exercises,
                    view::Due::UnreadLetters { .. } => Page::Letters,
                    view::Due::AgreementReview { .. } | view::Due::RenewalAsked { .. } => {
                        Page::Boundaries
                    }
                    view::Due::MeetingWaiting { .. } => Page::Meeting,
                });
            }
        }
        if due.is_empty() && asked.is_none() {
            widgets::note(ui, "Nothing is waiting for you right now.");
        }

        ui.add_space(10.0);
        ui.label(egui::RichText::new("Your partner").strong());
        if !c.paired() {
            ui.label(
                "You are not paired yet. Everything you write stays on this device until you pair.",
            );
            if ui.button("Pair with my partner").clicked() {
                ctx.go(Page::Pair);
            }
        } else if ctx.net.online {
            ui.label("Online now: changes reach each other as you write them.");
            if ctx.net.received > 0 {
                ui.label(format!(
                    "Received {} KiB in this session.",
                    ctx.net.received.div_ceil(1024)
                ));
            }
        } else {
            let last = c.partner.as_ref().and_then(|p| p.last_sync);
            ui.label(match last {
                Some(t) => format!("Offline. Last synced {}.", widgets::when(t)),
                None => "Offline. You have not synced yet.".into(),
            });
        }
        if let Some(e) = &ctx.net.error {
            widgets::error_text(ui, &format!("Network: {e}"));
        }

        ui.add_space(10.0);
        ui.label(egui::RichText::new("Exercises").strong());
        match view::next_exercise(&c.exercises) {
            Some(e) => {
                if ui
                    .link(view::next_exercise_line(e, today, &names))
                    .clicked()
                {
                    ctx.go(Page::Exercises);
                }
            }
            None => {
                widgets::note(
                    ui,
                    "No exercise is planned. The Exercises page has some for each stage, to \
                     propose for a day that suits you both.",
                );
                if ui.link("Open Exercises").clicked() {
                    ctx.go(Page::Exercises);
                }
            }
        }
    }
}
