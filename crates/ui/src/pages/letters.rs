//! Letters: drafted privately, sent into the shared journal, marked read.

use kintsugi_device::LetterKind;

use super::Ctx;
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

impl Letters {
    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut Ctx<'_>) {
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

        ui.label(egui::RichText::new(format!("Drafts ({})", c.drafts.len())).strong());
        for d in &c.drafts {
            ui.group(|ui| {
                ui.label(
                    egui::RichText::new(format!("{} ({})", d.title, d.kind.as_str())).strong(),
                );
                ui.label(&d.body);
                if ui.button(format!("Send \"{}\"", d.title)).clicked() {
                    let id = d.id.clone();
                    ctx.worker.command(
                        ctx.device,
                        |_| "Sent.".into(),
                        move |dev| dev.send_letter(&id),
                    );
                }
            });
        }

        let (mine, theirs): (Vec<_>, Vec<_>) = c.letters.iter().partition(|l| c.is_me(&l.author));
        ui.label(egui::RichText::new(format!("Received ({})", theirs.len())).strong());
        for l in theirs {
            ui.group(|ui| {
                let status = if l.read_at.is_some() {
                    "read"
                } else {
                    "unread"
                };
                ui.label(format!(
                    "{} ({}) — from {}, {} · {status}",
                    l.title,
                    l.kind.as_str(),
                    c.name(&l.author),
                    widgets::when(l.sent)
                ));
                let open = self.open.as_deref() == Some(&l.id);
                if open {
                    ui.label(&l.body);
                } else if ui.button(format!("Open \"{}\"", l.title)).clicked() {
                    self.open = Some(l.id.clone());
                    if l.read_at.is_none() {
                        let id = l.id.clone();
                        ctx.worker.command(
                            ctx.device,
                            |_| String::new(),
                            move |d| d.read_letter(&id),
                        );
                    }
                }
            });
        }
        ui.label(egui::RichText::new(format!("Sent ({})", mine.len())).strong());
        for l in mine {
            ui.group(|ui| {
                ui.label(format!(
                    "{} ({}) — sent {}{}",
                    l.title,
                    l.kind.as_str(),
                    widgets::when(l.sent),
                    l.read_at
                        .map(|r| format!(", read {}", widgets::when(r)))
                        .unwrap_or_default()
                ));
                ui.label(&l.body);
            });
        }
    }
}
