//! Letters: drafted and reworked privately, sent into the shared journal (open, or
//! sealed until a day or until the reader is ready), opened, and, when the reader
//! chooses, marked read for the writer.

use kintsugi_device::{DraftEdit, Letter, LetterKind, PartnerId, SealUntil, view};

use super::{Ctx, View};
use crate::dialogs;
use crate::guide::Guide;
use crate::model::Cache;
use crate::widgets;

pub struct Letters {
    kind: LetterKind,
    title: String,
    body: String,
    /// The draft the form is reworking, with what the form held when it opened it;
    /// `None` while the form writes a new letter.
    editing: Option<Editing>,
    open: Option<String>,
    /// A draft the person asked to throw away: its id and title.
    discarding: Option<(String, String)>,
    /// The letters to me and mine, worked out again only when the list changes.
    received: widgets::Picked<Letter, Option<PartnerId>>,
    sent: widgets::Picked<Letter, Option<PartnerId>>,
    /// How the next draft is sent: open, or sealed.
    seal: Sealing,
    /// The day a letter sealed until a day opens, as typed.
    seal_day: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Sealing {
    Open,
    UntilDay,
    UntilReady,
}

struct Editing {
    id: String,
    was: (LetterKind, String, String),
}

impl Default for Letters {
    fn default() -> Self {
        Self {
            kind: LetterKind::Apology,
            title: String::new(),
            body: String::new(),
            editing: None,
            open: None,
            discarding: None,
            received: Default::default(),
            sent: Default::default(),
            seal: Sealing::Open,
            seal_day: String::new(),
        }
    }
}

const KINDS: [LetterKind; 5] = [
    LetterKind::Apology,
    LetterKind::Appreciation,
    LetterKind::Hope,
    LetterKind::Forgiveness,
    LetterKind::Other,
];

/// What a draft's buttons asked for.
enum Act {
    Send(String),
    Edit(Editing),
    Discard(String, String),
}

impl Letters {
    /// Whether the form holds writing that is not saved anywhere yet.
    fn unsaved(&self) -> bool {
        match &self.editing {
            Some(e) => (self.kind, &self.title, &self.body) != (e.was.0, &e.was.1, &e.was.2),
            None => !self.title.trim().is_empty() || !self.body.trim().is_empty(),
        }
    }

    fn clear_form(&mut self) {
        self.editing = None;
        self.title.clear();
        self.body.clear();
    }
}

impl View for Letters {
    fn title(&self, _: &Cache, _: &Guide) -> String {
        "Letters".into()
    }

    /// A search result: the letter or draft opens to be read.
    fn reveal(&mut self, id: String) {
        self.open = Some(id);
    }

    fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut Ctx<'_>) {
        widgets::heading(ui, "Letters");
        widgets::note(
            ui,
            "Drafts stay private, on your own devices, until you send them. Rework one as often as \
             you like: Edit opens it in the form below.",
        );
        let unsaved = self.unsaved();
        ui.group(|ui| {
            if let Some(e) = &self.editing {
                ui.label(
                    egui::RichText::new(format!("Reworking the draft \"{}\"", e.was.1)).strong(),
                );
            }
            egui::ComboBox::from_label("Kind of letter")
                .selected_text(self.kind.as_str())
                .show_ui(ui, |ui| {
                    for k in KINDS {
                        ui.selectable_value(&mut self.kind, k, k.as_str());
                    }
                });
            widgets::field(ui, "Title", &mut self.title);
            widgets::area(ui, "Letter", &mut self.body, 6);
            let ready = !self.title.trim().is_empty() && !self.body.trim().is_empty();
            match &mut self.editing {
                Some(e) => {
                    let mut stop = false;
                    ui.horizontal(|ui| {
                        if ui
                            .add_enabled(ready && unsaved, egui::Button::new("Save changes"))
                            .clicked()
                        {
                            let id = e.id.clone();
                            let edit = DraftEdit {
                                kind: Some(self.kind),
                                title: Some(self.title.clone()),
                                body: Some(self.body.clone()),
                            };
                            // What the form holds is what the draft will say.
                            e.was = (self.kind, self.title.clone(), self.body.clone());
                            ctx.worker.command(
                                ctx.device,
                                |_| "Draft saved (private).".into(),
                                move |d| d.edit_draft(&id, &edit),
                            );
                        }
                        let label = if unsaved {
                            "Stop editing, without saving"
                        } else {
                            "Done editing"
                        };
                        stop = ui.button(label).clicked();
                    });
                    if stop {
                        self.clear_form();
                    }
                }
                None => {
                    if ui
                        .add_enabled(ready, egui::Button::new("Save draft"))
                        .clicked()
                    {
                        let (kind, title, body) = (
                            self.kind,
                            std::mem::take(&mut self.title),
                            std::mem::take(&mut self.body),
                        );
                        ctx.worker.command(
                            ctx.device,
                            |_| "Draft saved (private).".into(),
                            move |d| d.draft_letter(kind, &title, &body),
                        );
                    }
                }
            }
        });
        let c = ctx.cache;
        let names = c.names();

        // The letter being read, whole; the lists below show one line of each.
        if let Some(id) = self.open.clone() {
            let found = c
                .drafts
                .iter()
                .find(|d| d.id == id)
                .map(|d| {
                    (
                        format!("{} ({}) — draft", d.title, d.kind.as_str()),
                        &d.body,
                    )
                })
                .or_else(|| {
                    c.letters
                        .iter()
                        .find(|l| l.id == id)
                        .map(|l| (from_line(c, l), &l.body))
                });
            // A letter to me: where telling its writer stands, and the choice.
            let received = c.letters.iter().find(|l| l.id == id && !c.is_me(&l.author));
            match found {
                Some((heading, body)) => {
                    ui.group(|ui| {
                        ui.label(egui::RichText::new(heading).strong());
                        egui::ScrollArea::vertical()
                            .id_salt("open-letter")
                            .max_height(300.0)
                            .show(ui, |ui| ui.label(body));
                        if let Some(l) = received {
                            let writer = c.name(&l.author);
                            if l.read_at.is_some() {
                                widgets::note(ui, &view::letter_receipt(l, &c.opened, &writer));
                            } else {
                                widgets::note(ui, &view::letter_not_told(&writer));
                                if ui.button(format!("Let {writer} know I read it")).clicked() {
                                    let id = l.id.clone();
                                    ctx.worker.command(
                                        ctx.device,
                                        move |_| view::letter_told(&writer),
                                        move |d| d.tell_letter_read(&id),
                                    );
                                }
                            }
                        }
                        if ui.button("Close letter").clicked() {
                            self.open = None;
                        }
                    });
                }
                None => self.open = None,
            }
        }

        ui.label(egui::RichText::new(format!("Drafts ({})", c.drafts.len())).strong());
        if !c.drafts.is_empty() {
            ui.horizontal(|ui| {
                ui.label("Send:");
                ui.radio_value(&mut self.seal, Sealing::Open, "open");
                ui.radio_value(&mut self.seal, Sealing::UntilDay, "sealed until a day");
                ui.radio_value(
                    &mut self.seal,
                    Sealing::UntilReady,
                    "sealed until they say they are ready",
                );
            });
            if self.seal == Sealing::UntilDay {
                widgets::field(ui, "Sealed until (YYYY-MM-DD)", &mut self.seal_day);
            }
            if self.seal != Sealing::Open {
                widgets::note(ui, view::SEAL_GUARANTEE);
            }
        }
        let sealed_label = if self.seal == Sealing::Open {
            ""
        } else {
            " sealed"
        };
        let editing = self.editing.as_ref().map(|e| e.id.as_str());
        let mut act = None;
        let mut read = None;
        widgets::rows(ui, "drafts", 76.0, c.drafts.len(), |ui, i| {
            let Some(d) = c.drafts.get(i) else {
                return;
            };
            let this = editing == Some(d.id.as_str());
            let mut title = format!("{} ({})", d.title, d.kind.as_str());
            if this {
                title.push_str(" — in the form above");
            }
            widgets::line(ui, egui::RichText::new(title).strong());
            widgets::line(ui, egui::RichText::new(first_line(&d.body)).weak());
            ui.horizontal(|ui| {
                // Sending the draft being reworked would send what it said before.
                let send = ui
                    .add_enabled(
                        !(this && unsaved),
                        egui::Button::new(format!("Send \"{}\"{sealed_label}", d.title)),
                    )
                    .on_disabled_hover_text("Save your changes first");
                if send.clicked() {
                    act = Some(Act::Send(d.id.clone()));
                }
                if ui.button("Read draft").clicked() {
                    read = Some(d.id.clone());
                }
                // Opening another draft in the form would throw away what it holds.
                let edit = ui
                    .add_enabled(
                        !this && !unsaved,
                        egui::Button::new(format!("Edit \"{}\"", d.title)),
                    )
                    .on_disabled_hover_text(if this {
                        "It is open in the form above"
                    } else {
                        "Save or clear what the form holds first"
                    });
                if edit.clicked() {
                    act = Some(Act::Edit(Editing {
                        id: d.id.clone(),
                        was: (d.kind, d.title.clone(), d.body.clone()),
                    }));
                }
                if ui.button(format!("Discard \"{}\"", d.title)).clicked() {
                    act = Some(Act::Discard(d.id.clone(), d.title.clone()));
                }
            });
        });
        if read.is_some() {
            self.open = read;
        }
        match act {
            Some(Act::Send(id)) => {
                if editing == Some(id.as_str()) {
                    self.clear_form();
                }
                let until = match self.seal {
                    Sealing::Open => Ok(None),
                    Sealing::UntilReady => Ok(Some(SealUntil::Ready)),
                    Sealing::UntilDay => kintsugi_device::seal_until_day(&self.seal_day).map(Some),
                };
                match until {
                    Ok(None) => ctx.worker.command(
                        ctx.device,
                        |_| "Sent.".into(),
                        move |dev| dev.send_letter(&id),
                    ),
                    Ok(Some(until)) => ctx.worker.command(
                        ctx.device,
                        |_| "Sent, sealed.".into(),
                        move |dev| dev.send_sealed_letter(&id, until),
                    ),
                    // A day that does not read: said as any refused command is.
                    Err(e) => {
                        ctx.worker
                            .command(ctx.device, |()| String::new(), move |_| Err::<(), _>(e))
                    }
                }
            }
            Some(Act::Edit(e)) => {
                (self.kind, self.title, self.body) = e.was.clone();
                self.editing = Some(e);
            }
            Some(Act::Discard(id, title)) => self.discarding = Some((id, title)),
            None => {}
        }

        // Newest first: the letter that matters today is the latest one.
        let me = c.me.clone();
        let theirs = self
            .received
            .rows(&c.letters, me.clone(), |l| Some(&l.author) != me.as_ref());
        ui.label(egui::RichText::new(format!("Received ({})", theirs.len())).strong());
        let newest = |rows: &[usize], i: usize| {
            rows.len()
                .checked_sub(i + 1)
                .and_then(|i| rows.get(i))
                .and_then(|&i| c.letters.get(i))
        };
        widgets::rows(ui, "received", 76.0, theirs.len(), |ui, i| {
            let Some(l) = newest(theirs, i) else {
                return;
            };
            let writer = c.name(&l.author);
            if l.is_sealed() {
                // Nothing of it is on this device but who wrote it, its kind and
                // its seal.
                widgets::line(
                    ui,
                    format!(
                        "{}, {}",
                        view::sealed_letter_heading(l, &names),
                        widgets::when(l.sent)
                    ),
                );
                widgets::line(
                    ui,
                    egui::RichText::new(view::seal_line(l, &names).unwrap_or_default()).weak(),
                );
                let waiting = l
                    .seal
                    .as_ref()
                    .is_some_and(|s| s.until == SealUntil::Ready && s.ready_at.is_none());
                if waiting && ui.button("I'm ready to read it").clicked() {
                    let id = l.id.clone();
                    ctx.worker.command(
                        ctx.device,
                        move |_| view::ready_said(&writer),
                        move |d| d.ready_for_letter(&id),
                    );
                }
                return;
            }
            let status = view::letter_receipt(l, &c.opened, &writer);
            widgets::line(ui, format!("{} · {status}", from_line(c, l)));
            widgets::line(ui, egui::RichText::new(first_line(&l.body)).weak());
            if ui.button(format!("Open \"{}\"", l.title)).clicked() {
                self.open = Some(l.id.clone());
                if view::letter_is_new(l, &c.opened) {
                    // Recorded here only; the read receipts setting says whether
                    // the writer is told.
                    let id = l.id.clone();
                    ctx.worker.command(
                        ctx.device,
                        move |l: Letter| {
                            if l.read_at.is_some() {
                                view::letter_told(&writer)
                            } else {
                                String::new()
                            }
                        },
                        move |d| d.read_letter(&id, None),
                    );
                }
            }
        });
        let mine = self
            .sent
            .rows(&c.letters, me.clone(), |l| Some(&l.author) == me.as_ref());
        ui.label(egui::RichText::new(format!("Sent ({})", mine.len())).strong());
        widgets::rows(ui, "sent", 76.0, mine.len(), |ui, i| {
            let Some(l) = newest(mine, i) else {
                return;
            };
            widgets::line(
                ui,
                format!(
                    "{} ({}) — sent {}{}",
                    l.title,
                    l.kind.as_str(),
                    widgets::when(l.sent),
                    l.read_at
                        .map(|r| format!(", read {}", widgets::when(r)))
                        .unwrap_or_default()
                ),
            );
            if let Some(seal) = view::seal_line(l, &names) {
                widgets::line(ui, egui::RichText::new(seal).weak());
            }
            widgets::line(ui, egui::RichText::new(first_line(&l.body)).weak());
            if ui.button(format!("Read \"{}\" again", l.title)).clicked() {
                self.open = Some(l.id.clone());
            }
        });

        if let Some((id, title)) = &self.discarding {
            match dialogs::confirm(
                ui.ctx(),
                "discard-draft",
                &format!("Discard the draft \"{title}\"?"),
                &[
                    "It will be gone at once from your drafts, and from every search and export \
                     on this device. Your partner never saw it.",
                    "Like a deleted diary entry, it is not wiped from the disk yet: the diary's \
                     own encrypted history still holds it until you release the diary's history.",
                ],
                "Discard it",
                "Keep it",
            ) {
                Some(true) => {
                    let id = id.clone();
                    if self.editing.as_ref().is_some_and(|e| e.id == id) {
                        self.clear_form();
                    }
                    if self.open.as_ref() == Some(&id) {
                        self.open = None;
                    }
                    ctx.worker.command(
                        ctx.device,
                        |_| view::DIARY_DELETED.into(),
                        move |d| d.discard_draft(&id),
                    );
                    self.discarding = None;
                }
                Some(false) => self.discarding = None,
                None => {}
            }
        }
    }
}

fn from_line(c: &Cache, l: &Letter) -> String {
    format!(
        "{} ({}) — from {}, {}",
        l.title,
        l.kind.as_str(),
        c.name(&l.author),
        widgets::when(l.sent)
    )
}

fn first_line(text: &str) -> &str {
    text.lines().find(|l| !l.trim().is_empty()).unwrap_or("")
}
