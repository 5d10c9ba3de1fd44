//! One page per stage: guidance, steps, prompts (each can start a diary entry), and
//! marking the stage done with an optional note the partner sees.

use super::{Ctx, View};
use crate::guide::Guide;
use crate::model::{Cache, Page, Prompt};
use crate::widgets::{self, GOLD};

/// The page of stage `n`, with the note being typed for it.
pub struct Stage {
    n: u8,
    note: String,
}

impl Stage {
    pub fn new(n: u8) -> Self {
        Self {
            n,
            note: String::new(),
        }
    }
}

impl View for Stage {
    fn title(&self, _: &Cache, guide: &Guide) -> String {
        let title = guide.stage(self.n).map(|s| s.title).unwrap_or("");
        format!("{}. {title}", self.n)
    }

    /// Opens the diary with a prompt when the person chose to write about it.
    fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut Ctx<'_>) {
        let n = self.n;
        let Some(stage) = ctx.guide.stage(n) else {
            ui.label("This stage's guide is missing.");
            return;
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
        for p in &stage.prompts {
            ui.horizontal_wrapped(|ui| {
                ui.label(p);
                if ui.small_button("Write about this").clicked() {
                    let prompt = Prompt {
                        text: p.clone(),
                        stage: Some(n),
                    };
                    ctx.go_with(Page::Diary, prompt);
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
    }
}
