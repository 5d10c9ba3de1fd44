//! The dialogs that change what was written: a form over the page, a plain
//! question before something cannot be undone, and an entry's earlier versions.
//!
//! Each is a modal: while it is open the page under it cannot be clicked, so a
//! person never edits one entry while a button of another is under their hand.
//! Pages keep what a dialog shows as a snapshot taken when it opened, so drawing it
//! costs the same however long the lists are.

use egui::{RichText, Ui};
use kintsugi_device::Version;

use crate::widgets;

/// How wide a dialog's text is: enough for a paragraph, narrow enough to read.
const WIDTH: f32 = 520.0;

/// How a dialog was answered this frame.
pub enum Closed {
    /// Still open.
    No,
    /// Closed without an answer (Escape, or a click beside a question).
    Dismissed,
}

/// Draws a dialog titled `title`. A form (`form`: typed text to lose) closes only by
/// its own buttons or Escape, never by a click beside it; a question or a reading
/// closes on either.
pub fn dialog<R>(
    ctx: &egui::Context,
    id: &str,
    title: &str,
    form: bool,
    body: impl FnOnce(&mut Ui) -> R,
) -> (R, Closed) {
    let modal = egui::Modal::new(egui::Id::unique(("dialog", id))).show(ctx, |ui| {
        ui.set_width(WIDTH);
        widgets::heading(ui, title);
        body(ui)
    });
    let closed = if form {
        modal.is_top_modal
            && !modal.any_popup_open
            && ctx.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Escape))
    } else {
        modal.should_close()
    };
    let closed = if closed {
        Closed::Dismissed
    } else {
        Closed::No
    };
    (modal.inner, closed)
}

/// A question before something that cannot be undone: `Some(true)` once the person
/// chose `yes`, `Some(false)` once they chose `no` or closed it, `None` while open.
pub fn confirm(
    ctx: &egui::Context,
    id: &str,
    title: &str,
    lines: &[&str],
    yes: &str,
    no: &str,
) -> Option<bool> {
    let (answer, closed) = dialog(ctx, id, title, false, |ui| {
        for line in lines {
            ui.label(*line);
        }
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            if ui.button(yes).clicked() {
                Some(true)
            } else if ui.button(no).clicked() {
                Some(false)
            } else {
                None
            }
        })
        .inner
    });
    match closed {
        Closed::Dismissed => answer.or(Some(false)),
        Closed::No => answer,
    }
}

/// The buttons under a form: `Some(true)` for `save` (offered only when `ready`),
/// `Some(false)` for Cancel.
pub fn form_buttons(ui: &mut Ui, save: &str, ready: bool) -> Option<bool> {
    ui.horizontal(|ui| {
        if ui.add_enabled(ready, egui::Button::new(save)).clicked() {
            Some(true)
        } else if ui.button("Cancel").clicked() {
            Some(false)
        } else {
            None
        }
    })
    .inner
}

/// A multi-line field sized for a dialog, labelled like [`widgets::area`].
pub fn area(ui: &mut Ui, label: &str, value: &mut String, rows: usize) -> egui::Response {
    widgets::area_of_width(ui, label, value, rows, WIDTH)
}

/// An entry's wordings as they stood when the person opened them: what stands
/// now and every one before it. Both partners see these: the partner's device
/// already received each one.
pub struct Versions {
    title: String,
    now: Wording,
    /// Oldest first.
    earlier: Vec<Wording>,
}

/// One wording, with a line saying when it was written.
pub struct Wording {
    pub when: String,
    pub text: String,
}

impl Versions {
    pub fn new(title: impl Into<String>, now: Wording, earlier: Vec<Wording>) -> Self {
        Self {
            title: title.into(),
            now,
            earlier,
        }
    }

    /// The versions of an entry whose wording is plain text (`Version::due` is a
    /// promise's, see the promises page).
    pub fn of_text(
        title: impl Into<String>,
        text: &str,
        edited: Option<i64>,
        created: i64,
        earlier: &[Version],
    ) -> Self {
        Self::new(
            title,
            Wording {
                when: since(edited, created),
                text: text.to_owned(),
            },
            earlier
                .iter()
                .map(|v| Wording {
                    when: format!("Written {}", widgets::when(v.at)),
                    text: v.text.clone(),
                })
                .collect(),
        )
    }

    /// Draws the dialog held in `slot`, if any, and empties the slot once the person
    /// closed it.
    pub fn show_in(slot: &mut Option<Self>, ctx: &egui::Context) {
        if let Some(v) = slot
            && !v.show(ctx)
        {
            *slot = None;
        }
    }

    /// Draws the dialog; false once the person closed it.
    pub fn show(&self, ctx: &egui::Context) -> bool {
        let (close, closed) = dialog(ctx, "versions", &self.title, false, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("versions")
                .max_height(420.0)
                .show(ui, |ui| {
                    ui.label(RichText::new(&self.now.when).strong());
                    ui.label(&self.now.text);
                    if self.earlier.is_empty() {
                        widgets::note(ui, "It has not been changed.");
                    } else {
                        ui.separator();
                        ui.label(
                            RichText::new(format!(
                                "Earlier versions, newest first ({})",
                                self.earlier.len()
                            ))
                            .strong(),
                        );
                        widgets::note(
                            ui,
                            "You both see these: each was on both devices before it changed.",
                        );
                        for w in self.earlier.iter().rev() {
                            ui.label(RichText::new(&w.when).weak());
                            ui.label(&w.text);
                        }
                    }
                });
            ui.button("Close").clicked()
        });
        !(close || matches!(closed, Closed::Dismissed))
    }
}

/// "Now, edited 2 Dec 10:00" or "Now, as first written 1 Dec 09:00".
pub fn since(edited: Option<i64>, created: i64) -> String {
    match edited {
        Some(t) => format!("Now, edited {}", widgets::when(t)),
        None => format!("Now, as first written {}", widgets::when(created)),
    }
}

/// " · edited 2 Dec 10:00", or nothing: the mark every changed shared entry carries
/// wherever it shows.
pub fn edited_mark(edited: Option<i64>) -> String {
    edited
        .map(|t| format!(" · edited {}", widgets::when(t)))
        .unwrap_or_default()
}

/// The button that opens an entry's earlier versions, labelled with how many.
pub fn versions_button(ui: &mut Ui, count: usize) -> bool {
    count > 0
        && ui
            .small_button(format!("Earlier versions ({count})"))
            .clicked()
}

/// One text being changed: what the field holds, and what it held when opened.
pub struct TextForm {
    pub id: String,
    pub text: String,
    pub was: String,
}

impl TextForm {
    pub fn new(id: impl Into<String>, text: &str) -> Self {
        Self {
            id: id.into(),
            text: text.to_owned(),
            was: text.to_owned(),
        }
    }

    /// Draws the form held in `slot`, if any (see [`TextForm::show`]), and empties the
    /// slot once it is answered: the entry's id and the new text when the person saved.
    pub fn ask(
        slot: &mut Option<Self>,
        ctx: &egui::Context,
        title: &str,
        label: &str,
        notes: &[&str],
        save: &str,
        blank_ok: bool,
    ) -> Option<(String, String)> {
        let form = slot.as_mut()?;
        let saved = form.show(ctx, title, label, notes, save, blank_ok)?;
        let form = slot.take()?;
        saved.then_some((form.id, form.text))
    }

    /// Draws the form as a dialog: the field labelled `label`, then `notes`, then
    /// `save` (offered once the text changed, and is not blank unless `blank_ok`)
    /// and Cancel. `Some(true)` to save, `Some(false)` once closed without saving.
    pub fn show(
        &mut self,
        ctx: &egui::Context,
        title: &str,
        label: &str,
        notes: &[&str],
        save: &str,
        blank_ok: bool,
    ) -> Option<bool> {
        let (answer, closed) = dialog(ctx, "text-form", title, true, |ui| {
            area(ui, label, &mut self.text, 6);
            for n in notes {
                widgets::note(ui, n);
            }
            let ready = self.text != self.was && (blank_ok || !self.text.trim().is_empty());
            form_buttons(ui, save, ready)
        });
        match closed {
            Closed::Dismissed => answer.or(Some(false)),
            Closed::No => answer,
        }
    }
}
