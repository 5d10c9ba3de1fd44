//! The therapist packet: a date range, the kinds to bring, letters and diary entries
//! picked one by one (the diary starts with none), an optional passphrase, and a
//! place to save it. The device builds and writes the packet; this page only
//! gathers the choice.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chrono::{Duration, Local};
use kintsugi_device::{PacketRequest, Replace, parse_date, view};

use super::{Ctx, View};
use crate::guide::Guide;
use crate::model::Cache;
use crate::widgets;

pub struct Packet {
    from: String,
    to: String,
    checkins: bool,
    promises: bool,
    boundaries: bool,
    triggers: bool,
    letters: BTreeSet<String>,
    diary: BTreeSet<String>,
    seal: bool,
    passphrase: widgets::Passphrase,
    path: String,
    error: Option<String>,
    /// A packet whose file already exists, waiting for "Replace it".
    exists: Arc<Mutex<Option<Pending>>>,
}

/// What the Save button hands the device.
#[derive(Clone)]
struct Pending {
    req: PacketRequest,
    path: PathBuf,
    seal: Option<zeroize::Zeroizing<String>>,
}

impl Default for Packet {
    fn default() -> Self {
        let today = Local::now().date_naive();
        Self {
            from: (today - Duration::weeks(12)).to_string(),
            to: today.to_string(),
            checkins: false,
            promises: false,
            boundaries: false,
            triggers: false,
            letters: BTreeSet::new(),
            diary: BTreeSet::new(),
            seal: false,
            passphrase: widgets::Passphrase::default(),
            path: String::new(),
            error: None,
            exists: Arc::default(),
        }
    }
}

impl View for Packet {
    fn title(&self, _: &Cache, _: &Guide) -> String {
        "Therapist packet".into()
    }

    fn hidden(&mut self) {
        // A passphrase typed here is not kept once the person moves on.
        self.passphrase.clear();
    }

    fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut Ctx<'_>) {
        let c = ctx.cache;
        let names = c.names();
        widgets::heading(ui, "Therapist packet");
        widgets::note(
            ui,
            "One page to bring to a session: it holds only what you choose here, with the plots drawn in. It opens in any browser and prints well.",
        );

        ui.horizontal(|ui| {
            let l = ui.label("From");
            ui.add(
                egui::TextEdit::singleline(&mut self.from)
                    .id_salt("Packet from")
                    .desired_width(110.0),
            )
            .labelled_by(l.id);
            let l = ui.label("To");
            ui.add(
                egui::TextEdit::singleline(&mut self.to)
                    .id_salt("Packet to")
                    .desired_width(110.0),
            )
            .labelled_by(l.id);
        });
        let range = parse_date(self.from.trim())
            .ok()
            .zip(parse_date(self.to.trim()).ok());

        ui.add_space(4.0);
        ui.label(egui::RichText::new("What to bring").strong());
        ui.checkbox(
            &mut self.checkins,
            "Check-in trends (plotted, with the answers)",
        );
        ui.checkbox(&mut self.promises, "Promises and how they were kept");
        ui.checkbox(&mut self.boundaries, "Boundaries and their amendments");
        ui.checkbox(
            &mut self.triggers,
            "Trigger trend (weekly numbers only, plotted)",
        );

        ui.add_space(4.0);
        ui.label(egui::RichText::new("Letters").strong());
        if c.letters.is_empty() {
            widgets::note(ui, "No letter has been sent yet.");
        }
        for l in c.letters.iter().rev() {
            let mut on = self.letters.contains(&l.id);
            let label = format!(
                "\"{}\" from {}, sent {}",
                l.title,
                names.name(&l.author),
                widgets::when(l.sent)
            );
            if ui.checkbox(&mut on, label).changed() {
                toggle(&mut self.letters, &l.id, on);
            }
        }

        ui.add_space(4.0);
        ui.label(egui::RichText::new("From your private diary").strong());
        widgets::note(ui, view::PACKET_DIARY_CHOICE);
        let in_range: Vec<_> = c
            .diary
            .iter()
            .rev()
            .filter(|e| {
                range.is_none_or(|(from, to)| {
                    let day = chrono::DateTime::from_timestamp_millis(e.created)
                        .map(|t| t.with_timezone(&Local).date_naive());
                    day.is_some_and(|d| (from..=to).contains(&d))
                })
            })
            .collect();
        if in_range.is_empty() {
            widgets::note(ui, "No diary entry in these dates.");
        }
        for e in in_range {
            let mut on = self.diary.contains(&e.id);
            let text: String = e.text.chars().take(60).collect();
            let more = if e.text.chars().count() > 60 {
                "…"
            } else {
                ""
            };
            let label = format!("{} · {text}{more}", widgets::when(e.created));
            if ui.checkbox(&mut on, label).changed() {
                toggle(&mut self.diary, &e.id, on);
            }
        }

        ui.add_space(4.0);
        ui.checkbox(&mut self.seal, "Lock it with a passphrase");
        if self.seal {
            widgets::note(ui, view::PACKET_SEAL_SAYS);
            widgets::password(ui, "Packet passphrase", &mut self.passphrase);
        } else {
            widgets::note(
                ui,
                "Without a passphrase the file is not encrypted: Kintsugi makes it readable only by your user on this computer.",
            );
        }

        ui.horizontal(|ui| {
            let l = ui.label("Save to");
            ui.add(
                egui::TextEdit::singleline(&mut self.path)
                    .id_salt("Packet file")
                    .desired_width(260.0),
            )
            .labelled_by(l.id);
            if ui.button("Choose…").clicked()
                && let Some(p) = rfd::FileDialog::new()
                    .set_file_name("therapist-packet.html")
                    .save_file()
            {
                self.path = p.display().to_string();
            }
        });
        if let Some(e) = &self.error {
            widgets::error_text(ui, e);
        }

        let waiting = self.exists.lock().ok().and_then(|p| p.clone());
        if let Some(p) = waiting {
            ui.label(format!(
                "{} already exists. Replace it with this packet?",
                p.target().display()
            ));
            ui.horizontal(|ui| {
                if ui.button("Replace it").clicked() {
                    clear(&self.exists);
                    save(ctx, p, Replace::Yes, self.exists.clone());
                }
                if ui.button("Keep it").clicked() {
                    clear(&self.exists);
                }
            });
            return;
        }
        let ready = !self.path.trim().is_empty();
        if ui
            .add_enabled(ready, egui::Button::new("Save the packet"))
            .clicked()
        {
            match self.request(range) {
                Ok(req) => {
                    self.error = None;
                    let seal = self
                        .seal
                        .then(|| zeroize::Zeroizing::new(self.passphrase.to_string()));
                    self.passphrase.clear();
                    let p = Pending {
                        req,
                        path: PathBuf::from(self.path.trim()),
                        seal,
                    };
                    save(ctx, p, Replace::No, self.exists.clone());
                }
                Err(e) => self.error = Some(e),
            }
        }
    }
}

impl Packet {
    fn request(
        &self,
        range: Option<(chrono::NaiveDate, chrono::NaiveDate)>,
    ) -> Result<PacketRequest, String> {
        let Some((from, to)) = range else {
            return Err("Write both dates as YYYY-MM-DD.".into());
        };
        if self.seal && self.passphrase.is_empty() {
            return Err("Type a passphrase to lock the packet with, or untick the lock.".into());
        }
        Ok(PacketRequest {
            checkins: self.checkins,
            promises: self.promises,
            boundaries: self.boundaries,
            triggers: self.triggers,
            letters: self.letters.iter().cloned().collect(),
            diary: self.diary.iter().cloned().collect(),
            ..PacketRequest::new(from, to)
        })
    }
}

impl Pending {
    /// The file the device writes: a sealed packet gets `.age` added.
    fn target(&self) -> PathBuf {
        if self.seal.is_some() {
            kintsugi_device::sealed_path(&self.path)
        } else {
            self.path.clone()
        }
    }
}

fn toggle(set: &mut BTreeSet<String>, id: &str, on: bool) {
    if on {
        set.insert(id.to_owned());
    } else {
        set.remove(id);
    }
}

fn clear(slot: &Mutex<Option<Pending>>) {
    if let Ok(mut s) = slot.lock() {
        *s = None;
    }
}

/// Writes the packet in the background; a file already there is not replaced but
/// handed back to the page, which asks.
fn save(ctx: &mut Ctx<'_>, p: Pending, replace: Replace, exists: Arc<Mutex<Option<Pending>>>) {
    ctx.worker.command(
        ctx.device,
        |msg: String| msg,
        move |d| match d.write_packet(
            &p.req,
            &p.path,
            p.seal.as_ref().map(|s| s.as_str()),
            replace,
        ) {
            Ok(written) => Ok(view::packet_written(&written, p.seal.is_some())),
            Err(err) if err.is_existing_file() => {
                let shown = format!("{} already exists.", p.target().display());
                if let Ok(mut s) = exists.lock() {
                    *s = Some(p);
                }
                Ok(shown)
            }
            Err(err) => Err(err),
        },
    );
}
