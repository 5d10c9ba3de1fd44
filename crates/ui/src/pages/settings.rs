//! Settings: name, network, passphrase, auto-lock, export, unpair.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use kintsugi_device::{AUTO_LOCK_MINUTES, ExportFormat, Settings as ProfileSettings};
use zeroize::Zeroizing;

use super::Ctx;
use crate::widgets;
use crate::work::Done;

#[derive(Default)]
pub struct Settings {
    name: Option<String>,
    net: Option<ProfileSettings>,
    relay: String,
    pass: Zeroizing<String>,
    pass2: Zeroizing<String>,
    pass_hint: widgets::PassphraseHint,
    auto_lock_minutes: Option<u32>,
    /// The newest choice, read by each save when it runs: saves run on a thread pool
    /// and may finish out of order, and the last to run must store the last choice.
    auto_lock_chosen: Arc<AtomicU32>,
    confirm_unpair: bool,
    delete_shared: bool,
}

impl Settings {
    /// The idle time before locking: what this page shows once it has been opened
    /// (it may be mid-save), else what the profile stores, else the app's default.
    pub fn auto_lock(&self, stored: Option<&ProfileSettings>, default: Duration) -> Duration {
        self.auto_lock_minutes
            .or_else(|| stored.and_then(|s| s.auto_lock_minutes))
            .map(|m| Duration::from_secs(u64::from(m.max(1)) * 60))
            .unwrap_or(default)
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut Ctx<'_>) {
        let c = ctx.cache;
        widgets::heading(ui, "Settings");

        ui.label(egui::RichText::new("Your name").strong());
        let name = self.name.get_or_insert_with(|| {
            c.status
                .as_ref()
                .and_then(|s| s.name.clone())
                .unwrap_or_default()
        });
        widgets::field(ui, "Display name", name);
        if ui.button("Save name").clicked() {
            let n = name.clone();
            ctx.worker.command(
                ctx.device,
                |_| "Name saved.".into(),
                move |d| d.set_name(&n),
            );
        }

        ui.separator();
        ui.label(egui::RichText::new("Network").strong());
        if self.net.is_none() {
            self.net = c.settings.clone();
            self.relay = self
                .net
                .as_ref()
                .and_then(|n| n.relay.clone())
                .unwrap_or_default();
        }
        if let Some(net) = &mut self.net {
            egui::ComboBox::from_label("Network mode")
                .selected_text(net.mode.clone())
                .show_ui(ui, |ui| {
                    ui.selectable_value(
                        &mut net.mode,
                        "local".into(),
                        "local — this network only, no server",
                    );
                    ui.selectable_value(
                        &mut net.mode,
                        "anywhere".into(),
                        "anywhere — through a relay when needed",
                    );
                    ui.selectable_value(
                        &mut net.mode,
                        "direct".into(),
                        "direct — remembered addresses only",
                    );
                });
            widgets::field(ui, "Relay URL (optional)", &mut self.relay);
            widgets::note(
                ui,
                "A relay only forwards encrypted packets. Changes apply the next time you unlock.",
            );
            if ui.button("Save network settings").clicked() {
                let mode = net.mode.clone();
                let relay = Some(self.relay.trim().to_string()).filter(|r| !r.is_empty());
                ctx.worker.command(
                    ctx.device,
                    |_| "Network settings saved.".into(),
                    move |d| {
                        d.update_settings(|s| {
                            s.mode = mode;
                            s.relay = relay;
                        })
                    },
                );
            }
        }

        ui.separator();
        ui.label(egui::RichText::new("Passphrase").strong());
        widgets::password(ui, "New passphrase", &mut self.pass);
        // The name the device rates a new passphrase against, as it stands on disk.
        let stored_name = c.status.as_ref().and_then(|s| s.name.as_deref());
        let strong_enough = self
            .pass_hint
            .show(ui, &self.pass, stored_name.unwrap_or_default());
        widgets::password(ui, "Repeat new passphrase", &mut self.pass2);
        if ui
            .add_enabled(strong_enough, egui::Button::new("Change passphrase"))
            .clicked()
        {
            if *self.pass == *self.pass2 {
                let p = std::mem::take(&mut self.pass);
                self.pass2.clear();
                ctx.worker.command(
                    ctx.device,
                    |_| "Passphrase changed.".into(),
                    move |d| d.change_passphrase(p.as_bytes()),
                );
            } else {
                widgets::error_text(ui, "The two passphrases differ.");
            }
        }

        ui.separator();
        ui.label(egui::RichText::new("Lock automatically").strong());
        let minutes = self.auto_lock_minutes.get_or_insert_with(|| {
            c.settings
                .as_ref()
                .and_then(|s| s.auto_lock_minutes)
                .unwrap_or(10)
        });
        let slider =
            ui.add(egui::Slider::new(minutes, AUTO_LOCK_MINUTES).text("minutes without use"));
        // Saved when a drag ends (or at once from the keyboard), not at every step.
        if slider.drag_stopped() || (slider.changed() && !slider.dragged()) {
            self.auto_lock_chosen.store(*minutes, Ordering::SeqCst);
            let chosen = self.auto_lock_chosen.clone();
            ctx.worker.command(
                ctx.device,
                |s: ProfileSettings| {
                    format!(
                        "Locks after {} minutes without use.",
                        s.auto_lock_minutes.unwrap_or_default()
                    )
                },
                move |d| {
                    d.update_settings(|s| {
                        s.auto_lock_minutes = Some(chosen.load(Ordering::SeqCst));
                    })
                },
            );
        }

        ui.separator();
        ui.label(egui::RichText::new("Export").strong());
        widgets::note(
            ui,
            "Markdown and JSON exports are not encrypted: keep them somewhere private.",
        );
        ui.horizontal(|ui| {
            for (label, fmt, ext) in [
                ("Export Markdown…", ExportFormat::Markdown, "md"),
                ("Export JSON…", ExportFormat::Json, "json"),
                ("Export Automerge…", ExportFormat::Automerge, "automerge"),
            ] {
                if ui.button(label).clicked()
                    && let Some(path) = rfd::FileDialog::new()
                        .set_file_name(format!("kintsugi-journal.{ext}"))
                        .save_file()
                {
                    ctx.worker.command(
                        ctx.device,
                        move |p: std::path::PathBuf| format!("Exported to {}.", p.display()),
                        move |d| {
                            let bytes = Zeroizing::new(d.export(fmt)?);
                            std::fs::write(&path, &*bytes).map_err(|e| {
                                kintsugi_device::DeviceError::Export {
                                    path: path.clone(),
                                    source: e,
                                }
                            })?;
                            Ok(path)
                        },
                    );
                }
            }
        });

        if c.paired() {
            ui.separator();
            ui.label(egui::RichText::new("End the pairing").strong());
            if !self.confirm_unpair {
                if ui.button("Unpair…").clicked() {
                    self.confirm_unpair = true;
                }
            } else {
                ui.label("Syncing stops and this device forgets your partner's. Your partner's device is told when it can be reached.");
                ui.checkbox(
                    &mut self.delete_shared,
                    "Also delete the shared journal from this device",
                );
                ui.horizontal(|ui| {
                    if ui.button("Unpair").clicked() {
                        self.confirm_unpair = false;
                        let delete = self.delete_shared;
                        if let Some(net) = ctx.net.net.clone() {
                            ctx.worker.spawn(async move {
                                Done::Unpaired(net.unpair(delete).await.map_err(|e| e.to_string()))
                            });
                        } else {
                            let d = ctx.device.clone();
                            ctx.worker.blocking(move || {
                                Done::Unpaired(
                                    d.forget_partner(delete)
                                        .map(|_| false)
                                        .map_err(|e| e.to_string()),
                                )
                            });
                        }
                    }
                    if ui.button("Cancel").clicked() {
                        self.confirm_unpair = false;
                    }
                });
            }
        }
    }
}
