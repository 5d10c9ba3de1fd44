//! Diary entries either partner chose to share: read them and what they said
//! before, and for one's own, change the shared wording or withdraw it.

use kintsugi_device::view;

use super::{Ctx, View};
use crate::dialogs::{self, TextForm, Versions};
use crate::guide::Guide;
use crate::model::Cache;
use crate::widgets;

#[derive(Default)]
pub struct Shared {
    reveal: widgets::Reveal,
    editing: Option<TextForm>,
    withdrawing: Option<String>,
    versions: Option<Versions>,
}

enum Act {
    Read(Versions),
    Edit(TextForm),
    Withdraw(String),
}

impl View for Shared {
    fn title(&self, _: &Cache, _: &Guide) -> String {
        "Shared entries".into()
    }

    fn reveal(&mut self, id: String) {
        self.reveal.ask(id);
    }

    fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut Ctx<'_>) {
        widgets::heading(ui, "Shared entries");
        widgets::note(
            ui,
            "Diary entries either of you chose to share. Each of your devices keeps a copy.",
        );
        let c = ctx.cache;
        let list = &c.shared;
        // Newest first.
        let entry = |i: usize| list.len().checked_sub(i + 1).and_then(|i| list.get(i));
        let scroll_to = self
            .reveal
            .scroll_to((0..list.len()).filter_map(entry).map(|e| e.id.as_str()));
        self.reveal.settle();
        let reveal = &self.reveal;
        let mut act = None;
        widgets::rows_at(ui, "shared-rows", 76.0, list.len(), scroll_to, |ui, i| {
            let Some(e) = entry(i) else {
                return;
            };
            reveal.outline(ui, &e.id);
            let mut about = format!(
                "{} · written {} · shared {}",
                c.name(&e.author),
                widgets::when(e.created),
                widgets::when(e.shared_at)
            );
            if let Some(s) = e.stage {
                about.push_str(&format!(" · stage {s}"));
            }
            if let Some(m) = e.mood {
                about.push_str(&format!(" · mood {m}/5"));
            }
            about.push_str(&dialogs::edited_mark(e.edited));
            widgets::line(ui, egui::RichText::new(about).weak());
            widgets::line(ui, e.text.lines().next().unwrap_or("")).on_hover_text(&e.text);
            ui.horizontal(|ui| {
                let versions = || {
                    Versions::of_text(
                        format!("{} shared entry", c.whose(&e.author)),
                        &e.text,
                        e.edited,
                        e.created,
                        &e.earlier,
                    )
                };
                if ui.small_button("Read").clicked() {
                    act = Some(Act::Read(versions()));
                }
                if dialogs::versions_button(ui, e.earlier.len()) {
                    act = Some(Act::Read(versions()));
                }
                if c.is_me(&e.author) {
                    if ui.small_button("Edit shared text").clicked() {
                        act = Some(Act::Edit(TextForm::new(e.id.clone(), &e.text)));
                    }
                    if ui.small_button("Withdraw").clicked() {
                        act = Some(Act::Withdraw(e.id.clone()));
                    }
                }
            });
        });
        match act {
            Some(Act::Read(v)) => self.versions = Some(v),
            Some(Act::Edit(f)) => self.editing = Some(f),
            Some(Act::Withdraw(id)) => self.withdrawing = Some(id),
            None => {}
        }

        if let Some(v) = &self.versions
            && !v.show(ui.ctx())
        {
            self.versions = None;
        }
        if let Some(form) = &mut self.editing {
            match form.show(
                ui.ctx(),
                "Change what you shared",
                "Shared text",
                &[
                    "Your partner will see that you changed it, and when. The wording they \
                     already have stays readable to both of you as an earlier version.",
                    "Your private diary entry stays as it is.",
                ],
                "Save changes",
                false,
            ) {
                Some(true) => {
                    let (id, text) = (form.id.clone(), form.text.clone());
                    ctx.worker.command(
                        ctx.device,
                        |_| view::EDITED_SHARED.into(),
                        move |d| d.edit_shared_entry(&id, &text),
                    );
                    self.editing = None;
                }
                Some(false) => self.editing = None,
                None => {}
            }
        }
        if let Some(id) = &self.withdrawing {
            match dialogs::confirm(
                ui.ctx(),
                "withdraw-shared",
                "Withdraw this shared entry?",
                &[
                    "It leaves the shared entries here at once, and on your partner's device \
                     the next time your devices sync.",
                    "It cannot undo what your partner already received: their device keeps it \
                     in its history and in any export made before, and they may have read it.",
                    "Your private diary keeps the entry.",
                ],
                "Withdraw it",
                "Keep it shared",
            ) {
                Some(true) => {
                    let id = id.clone();
                    ctx.worker.command(
                        ctx.device,
                        |_| view::WITHDRAWN.into(),
                        move |d| d.withdraw_shared_entry(&id),
                    );
                    self.withdrawing = None;
                }
                Some(false) => self.withdrawing = None,
                None => {}
            }
        }
    }
}
