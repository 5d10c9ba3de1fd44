//! Letters: drafted privately, sent into the shared journal, marked read.

use kintsugi_device::{Letter, LetterKind};

use super::{Ctx, View};
use crate::guide::Guide;
use crate::model::Cache;
use crate::widgets;

pub struct Letters {
    kind: LetterKind,
    title: String,
    body: String,
    open: Option<String>,
}

impl Default for Letters {
    fn default() -> Self {
        Self {
            kind: LetterKind::Apology,
            title: String::new(),
            body: String::new(),
            open: None,
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

impl View for Letters {
    fn title(&self, _: &Cache, _: &Guide) -> String {
        "Letters".into()
    }

    fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut Ctx<'_>) {
        widgets::heading(ui, "Letters");
        widgets::note(
            ui,
            "Drafts stay private on this device until you send them.",
        );
        ui.group(|ui| {
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
        });
        let c = ctx.cache;

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
            match found {
                Some((heading, body)) => {
                    ui.group(|ui| {
                        ui.label(egui::RichText::new(heading).strong());
                        egui::ScrollArea::vertical()
                            .id_salt("open-letter")
                            .max_height(300.0)
                            .show(ui, |ui| ui.label(body));
                        if ui.button("Close letter").clicked() {
                            self.open = None;
                        }
                    });
                }
                None => self.open = None,
            }
        }

        ui.label(egui::RichText::new(format!("Drafts ({})", c.drafts.len())).strong());
        widgets::rows(ui, "drafts", 76.0, c.drafts.len(), |ui, i| {
            let d = &c.drafts[i];
            widgets::line(
                ui,
                egui::RichText::new(format!("{} ({})", d.title, d.kind.as_str())).strong(),
            );
            widgets::line(ui, egui::RichText::new(first_line(&d.body)).weak());
            ui.horizontal(|ui| {
                if ui.button(format!("Send \"{}\"", d.title)).clicked() {
                    let id = d.id.clone();
                    ctx.worker.command(
                        ctx.device,
                        |_| "Sent.".into(),
                        move |dev| dev.send_letter(&id),
                    );
                }
                if ui.button("Read draft").clicked() {
                    self.open = Some(d.id.clone());
                }
            });
        });

        // Newest first: the letter that matters today is the latest one.
        let (mine, theirs): (Vec<_>, Vec<_>) =
            c.letters.iter().rev().partition(|l| c.is_me(&l.author));
        ui.label(egui::RichText::new(format!("Received ({})", theirs.len())).strong());
        widgets::rows(ui, "received", 76.0, theirs.len(), |ui, i| {
            let l = theirs[i];
            let status = if l.read_at.is_some() {
                "read"
            } else {
                "unread"
            };
            widgets::line(ui, format!("{} · {status}", from_line(c, l)));
            widgets::line(ui, egui::RichText::new(first_line(&l.body)).weak());
            if ui.button(format!("Open \"{}\"", l.title)).clicked() {
                self.open = Some(l.id.clone());
                if l.read_at.is_none() {
                    let id = l.id.clone();
                    ctx.worker
                        .command(ctx.device, |_| String::new(), move |d| d.read_letter(&id));
                }
            }
        });
        ui.label(egui::RichText::new(format!("Sent ({})", mine.len())).strong());
        widgets::rows(ui, "sent", 76.0, mine.len(), |ui, i| {
            let l = mine[i];
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
            widgets::line(ui, egui::RichText::new(first_line(&l.body)).weak());
            if ui.button(format!("Read \"{}\" again", l.title)).clicked() {
                self.open = Some(l.id.clone());
            }
        });
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
