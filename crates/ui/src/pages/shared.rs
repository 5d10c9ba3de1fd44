//! Diary entries either partner chose to share: read them and what they said
//! before, and for one's own, change the shared wording or withdraw it.

use kintsugi_device::{Device, view};

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

        Versions::show_in(&mut self.versions, ui.ctx());
        if let Some((id, text)) = TextForm::ask(
            &mut self.editing,
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
            ctx.worker.command(
                ctx.device,
                |_| view::EDITED_SHARED.into(),
                move |d| d.edit_shared_entry(&id, &text),
            );
        }
        super::ask_withdraw(
            ui.ctx(),
            ctx,
            "shared entry",
            Some("Your private diary keeps the entry."),
            &mut self.withdrawing,
            Device::withdraw_shared_entry,
        );
    }
}
