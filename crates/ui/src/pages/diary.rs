//! The private diary: write, list (only visible rows are laid out), filter by
//! stage, edit and delete, and share an entry on purpose.

use kintsugi_device::{DiaryEdit, DiaryEntry, List, SharedEntry, view};

use super::{Ctx, View};
use crate::dialogs;
use crate::guide::Guide;
use crate::model::{Cache, Page, Prompt};
use crate::widgets;

#[derive(Default)]
pub struct Diary {
    text: String,
    mood: Option<u8>,
    stage: Option<u8>,
    filter: Option<u8>,
    confirm_share: Option<String>,
    /// The entries the stage filter shows.
    shown: widgets::Picked<DiaryEntry, Option<u8>>,
    /// Ids of diary entries the partner already has, rebuilt when the shared list is new.
    shared: Option<(List<SharedEntry>, std::collections::HashSet<String>)>,
    editing: Option<Form>,
    deleting: Option<Deleting>,
    reveal: widgets::Reveal,
}

/// An entry being edited: the form's fields and what they held when it opened.
struct Form {
    id: String,
    text: String,
    mood: Option<u8>,
    stage: Option<u8>,
    was: (String, Option<u8>, Option<u8>),
    shared: bool,
}

/// An entry the person asked to delete, waiting for their answer.
struct Deleting {
    id: String,
    shared: bool,
}

/// What a row's buttons asked for.
enum Act {
    Share(String),
    Edit(Form),
    Delete(Deleting),
    ShowShared(String),
}

fn mood_combo(ui: &mut egui::Ui, label: &str, mood: &mut Option<u8>) {
    egui::ComboBox::from_label(label)
        .selected_text(mood.map(|m| format!("{m}/5")).unwrap_or_else(|| "—".into()))
        .show_ui(ui, |ui| {
            ui.selectable_value(mood, None, "—");
            for m in 1..=5u8 {
                ui.selectable_value(mood, Some(m), format!("{m}/5"));
            }
        });
}

fn stage_combo(ui: &mut egui::Ui, label: &str, stage: &mut Option<u8>) {
    egui::ComboBox::from_label(label)
        .selected_text(stage.map(|s| s.to_string()).unwrap_or_else(|| "—".into()))
        .show_ui(ui, |ui| {
            ui.selectable_value(stage, None, "—");
            for s in 1..=7u8 {
                ui.selectable_value(stage, Some(s), s.to_string());
            }
        });
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

    fn reveal(&mut self, id: String) {
        self.reveal.ask(id);
    }

    fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut Ctx<'_>) {
        widgets::heading(ui, "Private diary");
        widgets::note(
            ui,
            "Only on your own devices, never on your partner's: nothing here is sent to your \
             partner unless you share an entry.",
        );
        ui.group(|ui| {
            widgets::area(ui, "New entry", &mut self.text, 5);
            ui.horizontal(|ui| {
                mood_combo(ui, "Mood", &mut self.mood);
                stage_combo(ui, "Stage", &mut self.stage);
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

        // An entry a search opened shows whatever the filter was.
        if self.reveal.pending() {
            self.filter = None;
        }
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
        let is_shared = |id: &str| shared.is_some_and(|s| s.contains(id));
        let filter = self.filter;
        let rows = self
            .shown
            .rows(&c.diary, filter, |e| filter.is_none() || e.stage == filter);
        // Newest first.
        let entry = |i: usize| {
            rows.len()
                .checked_sub(i + 1)
                .and_then(|i| rows.get(i))
                .and_then(|&i| c.diary.get(i))
        };
        let scroll_to = self
            .reveal
            .scroll_to((0..rows.len()).filter_map(entry).map(|e| e.id.as_str()));
        self.reveal.settle();
        let reveal = &self.reveal;
        let mut act = None;
        widgets::rows_at(ui, "diary-rows", 54.0, rows.len(), scroll_to, |ui, i| {
            let Some(e) = entry(i) else {
                return;
            };
            reveal.outline(ui, &e.id);
            let shared = is_shared(&e.id);
            ui.horizontal(|ui| {
                ui.label(egui::RichText::new(widgets::when(e.created)).weak());
                if let Some(m) = e.mood {
                    ui.label(format!("mood {m}/5"));
                }
                if let Some(s) = e.stage {
                    ui.label(format!("stage {s}"));
                }
                if shared {
                    if ui
                        .link(egui::RichText::new("shared").color(widgets::GOLD))
                        .on_hover_text("Open it under Shared entries")
                        .clicked()
                    {
                        act = Some(Act::ShowShared(e.id.clone()));
                    }
                } else if ui.small_button("Share with my partner").clicked() {
                    act = Some(Act::Share(e.id.clone()));
                }
                if ui.small_button("Edit").clicked() {
                    act = Some(Act::Edit(Form {
                        id: e.id.clone(),
                        text: e.text.clone(),
                        mood: e.mood,
                        stage: e.stage,
                        was: (e.text.clone(), e.mood, e.stage),
                        shared,
                    }));
                }
                if ui.small_button("Delete").clicked() {
                    act = Some(Act::Delete(Deleting {
                        id: e.id.clone(),
                        shared,
                    }));
                }
            });
            widgets::line(ui, e.text.lines().next().unwrap_or("")).on_hover_text(&e.text);
        });
        match act {
            Some(Act::Share(id)) => self.confirm_share = Some(id),
            Some(Act::Edit(form)) => self.editing = Some(form),
            Some(Act::Delete(d)) => self.deleting = Some(d),
            Some(Act::ShowShared(id)) => ctx.go_to_entry(Page::Shared, id),
            None => {}
        }

        if let Some(id) = self.confirm_share.clone() {
            match dialogs::confirm(
                ui.ctx(),
                "share-warning",
                "Share this entry?",
                &[
                    "Your partner's device will keep its own copy of this entry. \
                     You will not be able to take it back or delete it from their device.",
                ],
                "Share it",
                "Keep it private",
            ) {
                Some(true) => {
                    ctx.worker.command(
                        ctx.device,
                        |_| "Shared with your partner.".into(),
                        move |d| d.share_diary_entry(&id),
                    );
                    self.confirm_share = None;
                }
                Some(false) => self.confirm_share = None,
                None => {}
            }
        }

        if let Some(form) = &mut self.editing {
            let (answer, closed) =
                dialogs::dialog(ui.ctx(), "edit-diary", "Edit this entry", true, |ui| {
                    dialogs::area(ui, "Entry text", &mut form.text, 8);
                    ui.horizontal(|ui| {
                        mood_combo(ui, "Mood of this entry", &mut form.mood);
                        stage_combo(ui, "Stage of this entry", &mut form.stage);
                    });
                    if form.shared {
                        widgets::note(
                            ui,
                            "You shared this entry: your partner keeps the copy you shared. \
                             To change that copy, edit it under Shared entries.",
                        );
                    }
                    let changed = (&form.text, form.mood, form.stage)
                        != (&form.was.0, form.was.1, form.was.2);
                    dialogs::form_buttons(
                        ui,
                        "Save changes",
                        changed && !form.text.trim().is_empty(),
                    )
                });
            match answer {
                Some(true) => {
                    let id = form.id.clone();
                    let edit = DiaryEdit {
                        text: (form.text != form.was.0).then(|| form.text.clone()),
                        mood: (form.mood != form.was.1).then_some(form.mood),
                        stage: (form.stage != form.was.2).then_some(form.stage),
                    };
                    ctx.worker.command(
                        ctx.device,
                        |_| "Saved.".into(),
                        move |d| d.edit_diary_entry(&id, &edit),
                    );
                    self.editing = None;
                }
                Some(false) => self.editing = None,
                None if matches!(closed, dialogs::Closed::Dismissed) => self.editing = None,
                None => {}
            }
        }

        if let Some(deleting) = &self.deleting {
            let mut lines = vec![
                "It will be gone at once from every list, search and export on this device.",
                "It is not wiped from the disk yet: the diary's own encrypted history (which \
                 lets the app and the command line write at the same time) still holds it \
                 until you release the diary's history (Settings, Release history).",
            ];
            if deleting.shared {
                lines.push(
                    "You shared it, so your partner's device has its own copy, which this does \
                     not touch. To take it out of the shared journal, withdraw it under Shared \
                     entries.",
                );
            }
            match dialogs::confirm(
                ui.ctx(),
                "delete-diary",
                "Delete this entry?",
                &lines,
                "Delete it",
                "Keep it",
            ) {
                Some(true) => {
                    let id = deleting.id.clone();
                    ctx.worker.command(
                        ctx.device,
                        |_| view::DIARY_DELETED.into(),
                        move |d| d.delete_diary_entry(&id),
                    );
                    self.deleting = None;
                }
                Some(false) => self.deleting = None,
                None => {}
            }
        }
    }
}
