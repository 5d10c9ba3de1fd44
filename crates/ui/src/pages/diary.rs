//! The private diary: write, list (only visible rows are laid out), filter by
//! stage, and share an entry on purpose.

use super::{Ctx, View};
use crate::guide::Guide;
use crate::model::{Cache, Prompt};
use crate::widgets;

#[derive(Default)]
pub struct Diary {
    text: String,
    mood: Option<u8>,
    stage: Option<u8>,
    filter: Option<u8>,
    confirm_share: Option<String>,
    /// The entries the stage filter shows.
    shown: widgets::Picked<kintsugi_device::DiaryEntry, Option<u8>>,
    /// Ids of diary entries the partner already has, rebuilt when the shared list is new.
    shared: Option<(
        kintsugi_device::List<kintsugi_device::SharedEntry>,
        std::collections::HashSet<String>,
    )>,
}

impl View for Diary {
    fn title(&self, _: &Cache, _: &Guide) -> String {
        "Private diary".into()
    }

    /// Starts an entry from a stage's prompt.
    fn open_with(&mut self, prompt: Prompt) {
        self.text = format!("{}\n\n", prompt.text);
        self.stage = prompt.stage;
    }

    fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut Ctx<'_>) {
        widgets::heading(ui, "Private diary");
        widgets::note(
            ui,
            "Only on this device. Nothing here is sent to your partner unless you share an entry.",
        );
        ui.group(|ui| {
            widgets::area(ui, "New entry", &mut self.text, 5);
            ui.horizontal(|ui| {
                egui::ComboBox::from_label("Mood")
                    .selected_text(
                        self.mood
                            .map(|m| format!("{m}/5"))
                            .unwrap_or_else(|| "—".into()),
                    )
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut self.mood, None, "—");
                        for m in 1..=5u8 {
                            ui.selectable_value(&mut self.mood, Some(m), format!("{m}/5"));
                        }
                    });
                egui::ComboBox::from_label("Stage")
                    .selected_text(
                        self.stage
                            .map(|s| s.to_string())
                            .unwrap_or_else(|| "—".into()),
                    )
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut self.stage, None, "—");
                        for s in 1..=7u8 {
                            ui.selectable_value(&mut self.stage, Some(s), s.to_string());
                        }
                    });
            });
            if ui
                .add_enabled(
                    !self.text.trim().is_empty(),
                    egui::Button::new("Save entry"),
                )
                .clicked()
            {
                let (text, mood, stage) = (std::mem::take(&mut self.text), self.mood, self.stage);
                ctx.worker.command(
                    ctx.device,
                    |_| "Saved privately.".into(),
                    move |d| d.add_diary_entry(&text, mood, stage),
                );
            }
        });

        ui.horizontal(|ui| {
            ui.label("Show");
            egui::ComboBox::from_id_salt("diary-filter")
                .selected_text(
                    self.filter
                        .map(|s| format!("stage {s}"))
                        .unwrap_or_else(|| "all entries".into()),
                )
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.filter, None, "all entries");
                    for s in 1..=7u8 {
                        ui.selectable_value(&mut self.filter, Some(s), format!("stage {s}"));
                    }
                });
        });

        let c = ctx.cache;
        if !matches!(&self.shared, Some((list, _)) if list.same(&c.shared)) {
            let ids = c.shared.iter().map(|s| s.origin.clone()).collect();
            self.shared = Some((c.shared.clone(), ids));
        }
        let shared = self.shared.as_ref().map(|(_, ids)| ids);
        let filter = self.filter;
        let rows = self
            .shown
            .rows(&c.diary, filter, |e| filter.is_none() || e.stage == filter);
        let mut confirm_share = None;
        widgets::rows(ui, "diary-rows", 54.0, rows.len(), |ui, i| {
            // Newest first.
            let Some(e) = rows
                .len()
                .checked_sub(i + 1)
                .and_then(|i| rows.get(i))
                .and_then(|&i| c.diary.get(i))
            else {
                return;
            };
            ui.horizontal(|ui| {
                ui.label(egui::RichText::new(widgets::when(e.created)).weak());
                if let Some(m) = e.mood {
                    ui.label(format!("mood {m}/5"));
                }
                if let Some(s) = e.stage {
                    ui.label(format!("stage {s}"));
                }
                if shared.is_some_and(|s| s.contains(&e.id)) {
                    ui.label(egui::RichText::new("shared").color(widgets::GOLD));
                } else if ui.small_button("Share with my partner").clicked() {
                    confirm_share = Some(e.id.clone());
                }
            });
            widgets::line(ui, e.text.lines().next().unwrap_or("")).on_hover_text(&e.text);
        });
        if confirm_share.is_some() {
            self.confirm_share = confirm_share;
        }

        if let Some(id) = self.confirm_share.clone() {
            let modal = egui::Modal::new(egui::Id::unique("share-warning")).show(ui.ctx(), |ui| {
                widgets::heading(ui, "Share this entry?");
                ui.label(
                    "Your partner's device will keep its own copy of this entry. \
                     You will not be able to take it back or delete it from their device.",
                );
                ui.horizontal(|ui| {
                    if ui.button("Share it").clicked() {
                        ctx.worker.command(
                            ctx.device,
                            |_| "Shared with your partner.".into(),
                            move |d| d.share_diary_entry(&id),
                        );
                        self.confirm_share = None;
                    }
                    if ui.button("Keep it private").clicked() {
                        self.confirm_share = None;
                    }
                });
            });
            if modal.should_close() {
                self.confirm_share = None;
            }
        }
    }
}
