//! One page per stage: guidance, steps, prompts (each can start a diary entry), and
//! marking the stage done with an optional note the partner sees, and changing
//! that note later (the partner sees the notes before).

use kintsugi_device::view;

use super::{Ctx, View};
use crate::dialogs::{self, TextForm, Versions};
use crate::guide::Guide;
use crate::model::{Cache, Page, Prompt};
use crate::widgets::{self, GOLD};

/// The page of stage `n`, with the note being typed for it.
pub struct Stage {
    n: u8,
    note: String,
    /// My note being changed.
    editing: Option<TextForm>,
    versions: Option<Versions>,
}

impl Stage {
    pub fn new(n: u8) -> Self {
        Self {
            n,
            note: String::new(),
            editing: None,
            versions: None,
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

        let exercises: Vec<&view::LibraryExercise> =
            view::library().iter().filter(|e| e.stage == n).collect();
        if !exercises.is_empty() {
            ui.add_space(6.0);
            ui.label(egui::RichText::new("Exercises to do together").strong());
            for e in exercises {
                ui.horizontal_wrapped(|ui| {
                    ui.label(format!("{} ({})", e.title, e.duration()));
                    if ui.small_button("See the steps").clicked() {
                        ctx.go_to_entry(Page::Exercises, e.id.clone());
                    }
                });
            }
        }

        ui.add_space(10.0);
        let c = ctx.cache;
        // At most one record per partner for this stage.
        for s in c.stages.iter().filter(|s| s.stage == n) {
            ui.horizontal_wrapped(|ui| {
                ui.label(format!(
                    "{}: {}{}{}",
                    c.name(&s.partner),
                    if s.done { "done" } else { "in progress" },
                    s.note
                        .as_deref()
                        .map(|t| format!(" — \"{t}\""))
                        .unwrap_or_default(),
                    dialogs::edited_mark(s.edited),
                ));
                if dialogs::versions_button(ui, s.earlier.len()) {
                    self.versions = Some(Versions::of_text(
                        format!("{} notes on stage {n}", c.whose(&s.partner)),
                        s.note.as_deref().unwrap_or("(no note now)"),
                        s.edited,
                        s.updated,
                        &s.earlier,
                    ));
                }
                let label = if s.note.is_some() {
                    "Change my note"
                } else {
                    "Add a note"
                };
                if c.is_me(&s.partner) && ui.small_button(label).clicked() {
                    let note = s.note.as_deref().unwrap_or_default();
                    self.editing = Some(TextForm::new(n.to_string(), note));
                }
            });
        }
        Versions::show_in(&mut self.versions, ui.ctx());
        if let Some((_, note)) = TextForm::ask(
            &mut self.editing,
            ui.ctx(),
            "Your note on this stage",
            "Your note",
            &[
                "Your partner will see that you changed it, and when. The note they already \
                 have stays readable to both of you as an earlier version.",
                "Leave it empty to remove your note.",
            ],
            "Save note",
            true,
        ) {
            ctx.worker.command(
                ctx.device,
                |_| view::EDITED_SHARED.into(),
                move |d| d.set_stage_note(n, &note),
            );
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
