//! One page per stage: guidance, steps, prompts (each can start a diary entry), and
//! marking the stage done with an optional note the partner sees.

use super::Ctx;
use crate::widgets::{self, GOLD};

#[derive(Default)]
pub struct Stages {
    note: String,
}

impl Stages {
    /// Returns a prompt (and the stage) when the person chose to write about it.
    pub fn ui(
        &mut self,
        n: u8,
        ui: &mut egui::Ui,
        ctx: &mut Ctx<'_>,
    ) -> Option<(String, Option<u8>)> {
        let Some(stage) = ctx.guide.stage(n) else {
            ui.label("This stage's guide is missing.");
            return None;
        };
        widgets::heading(ui, &format!("Stage {n}: {}", stage.title));
        ui.label(&stage.summary);
        ui.add_space(6.0);
        ui.label(egui::RichText::new("Steps").strong());
        for s in &stage.steps {
            ui.label(format!("• {s}"));
        }
        ui.add_space(6.0);
        ui.label(egui::RichText::new("Prompts for your diary").strong());
        let mut seed = None;
        for p in &stage.prompts {
            ui.horizontal_wrapped(|ui| {
                ui.label(p);
                if ui.small_button("Write about this").clicked() {
                    seed = Some((p.clone(), Some(n)));
                }
            });
        }

        ui.add_space(10.0);
        let c = ctx.cache;
        for s in c.stages.iter().filter(|s| s.stage == n) {
            ui.label(format!(
                "{}: {}{}",
                c.name(&s.partner),
                if s.done { "done" } else { "in progress" },
                s.note
                    .as_deref()
                    .map(|t| format!(" — \"{t}\""))
                    .unwrap_or_default()
            ));
        }
        let mine_done = c
            .stages
            .iter()
            .any(|s| s.stage == n && c.is_me(&s.partner) && s.done);
        ui.group(|ui| {
            widgets::field(ui, "Note for your partner (optional)", &mut self.note);
            ui.horizontal(|ui| {
                let label = if mine_done {
                    "Mark as not done"
                } else {
                    "Mark this stage done"
                };
                if ui.button(egui::RichText::new(label).color(GOLD)).clicked() {
                    let note = std::mem::take(&mut self.note);
                    let done = !mine_done;
                    ctx.worker.command(
                        ctx.device,
                        |_| "Progress saved.".into(),
                        move |d| {
                            d.set_stage(
                                n,
                                done,
                                Some(note.as_str()).filter(|t| !t.trim().is_empty()),
                            )
                        },
                    );
                }
            });
        });
        seed
    }
}
