//! Settings: name, network, passphrase, auto-lock, check-ins revealed together, read
//! receipts, export, release of history, unpair, the couple's devices (adding one of
//! mine, removing one).

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use kintsugi_device::{
    AUTO_LOCK_MINUTES, ExportFormat, ExportScope, QuietHours, ReadReceipts, ReminderKind,
    Reminders, Replace, Settings as ProfileSettings, view,
};
use zeroize::Zeroize;

use super::{Ctx, View};
use crate::guide::Guide;
use crate::model::{Cache, Page};
use crate::widgets::{self, Passphrase};
use crate::work::Done;

#[derive(Default)]
pub struct Settings {
    name: Option<String>,
    net: Option<ProfileSettings>,
    relay: String,
    pass: Passphrase,
    pass2: Passphrase,
    pass_hint: widgets::PassphraseHint,
    /// The read receipts choice as shown; saved the moment it changes.
    receipts: Option<ReadReceipts>,
    confirm_unpair: bool,
    delete_shared: bool,
    export: Export,
    release: crate::release::Controls,
    /// Revealing check-ins together, as last chosen here (the stored setting until then).
    together: Option<bool>,
    /// The reminders setting as shown; saved the moment it changes.
    reminders: Option<Reminders>,
    /// One of my devices the person asked to remove, while the question is open.
    removing: Option<Removing>,
}

/// A device about to be removed: its id, and its name for the question.
struct Removing {
    endpoint: String,
    label: String,
}

/// The export form. Exports are plaintext, so the private part is opt-in and a file
/// that already exists is replaced only after the person says so.
#[derive(Default)]
struct Export {
    path: String,
    include_private: bool,
    /// Set by a background export that found its file already there: the page then
    /// asks before replacing it.
    exists: Arc<Mutex<Option<PendingExport>>>,
}

#[derive(Clone)]
struct PendingExport {
    path: PathBuf,
    format: ExportFormat,
    scope: ExportScope,
}

impl Settings {
    fn reminders_ui(&mut self, ui: &mut egui::Ui, ctx: &mut Ctx<'_>) {
        ui.label(egui::RichText::new("Reminders").strong());
        widgets::note(ui, view::REMINDERS_NOTE);
        let c = ctx.cache;
        let r = self.reminders.get_or_insert_with(|| {
            c.settings
                .as_ref()
                .map(|s| s.reminders.clone())
                .unwrap_or_default()
        });
        let mut changed = ui
            .checkbox(&mut r.enabled, "Remind me with a notification")
            .changed();
        ui.add_enabled_ui(r.enabled, |ui| {
            ui.label("Remind me of:");
            for kind in ReminderKind::ALL {
                let mut on = r.wants(kind);
                if ui
                    .checkbox(&mut on, view::reminder_kind_label(kind))
                    .changed()
                {
                    r.set(kind, on);
                    changed = true;
                }
            }
            let mut quiet = r.quiet_hours.is_some();
            if ui.checkbox(&mut quiet, "Quiet hours").changed() {
                r.quiet_hours =
                    quiet.then_some(r.quiet_hours.unwrap_or(QuietHours { from: 22, until: 8 }));
                changed = true;
            }
            if let Some(q) = &mut r.quiet_hours {
                for (label, h) in [("Quiet from", &mut q.from), ("Quiet until", &mut q.until)] {
                    egui::ComboBox::from_label(label)
                        .selected_text(format!("{h:02}:00"))
                        .show_ui(ui, |ui| {
                            for n in 0..24u8 {
                                changed |=
                                    ui.selectable_value(h, n, format!("{n:02}:00")).changed();
                            }
                        });
                }
            }
        });
        let same_hour = r.quiet_hours.is_some_and(|q| q.from == q.until);
        if same_hour {
            widgets::note(
                ui,
                "Quiet hours need to start and end at different hours; nothing was changed.",
            );
        } else if changed {
            let chosen = r.clone();
            ctx.worker.command(
                ctx.device,
                |r: Reminders| {
                    if r.enabled {
                        "Reminders saved.".into()
                    } else {
                        "Reminders are off.".into()
                    }
                },
                move |d| d.set_reminders(|r| *r = chosen),
            );
        }
    }
}

impl View for Settings {
    fn title(&self, _: &Cache, _: &Guide) -> String {
        "Settings".into()
    }

    fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut Ctx<'_>) {
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
                .selected_text(net.mode.as_str())
                .show_ui(ui, |ui| {
                    for mode in kintsugi_device::NetworkMode::ALL {
                        ui.selectable_value(
                            &mut net.mode,
                            mode,
                            kintsugi_device::view::network_mode_label(mode),
                        );
                    }
                });
            widgets::field(ui, "Relay URL (optional)", &mut self.relay);
            widgets::note(
                ui,
                "A relay only forwards encrypted packets. Changes apply the next time you unlock.",
            );
            if ui.button("Save network settings").clicked() {
                let mode = net.mode;
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
                self.pass2.zeroize();
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
        let minutes = ctx.auto_lock.minutes.get_or_insert_with(|| {
            c.settings
                .as_ref()
                .and_then(|s| s.auto_lock_minutes)
                .unwrap_or(10)
        });
        let slider =
            ui.add(egui::Slider::new(minutes, AUTO_LOCK_MINUTES).text("minutes without use"));
        // Saved when a drag ends (or at once from the keyboard), not at every step.
        if slider.drag_stopped() || (slider.changed() && !slider.dragged()) {
            let minutes = *minutes;
            let chosen = ctx.auto_lock.choose(minutes);
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
        ui.label(egui::RichText::new("Check-ins").strong());
        let together = c
            .settings
            .as_ref()
            .is_none_or(|s| s.reveal_checkins_together);
        let together = self.together.get_or_insert(together);
        if ui
            .checkbox(
                together,
                "Keep my check-in answers on this device until my partner has saved theirs",
            )
            .changed()
        {
            let on = *together;
            ctx.worker.command(
                ctx.device,
                move |()| {
                    if on {
                        "Your check-in answers will wait for your partner's.".into()
                    } else {
                        "Your check-in answers go to your partner's device as you save them.".into()
                    }
                },
                move |d| d.set_reveal_checkins_together(on),
            );
        }
        widgets::note(ui, view::REVEAL_TOGETHER);

        ui.separator();
        ui.label(egui::RichText::new("Read receipts").strong());
        widgets::note(
            ui,
            "Whether opening a letter from your partner tells them that you read it. With \
             ask, an open letter has a button to tell them, if and when you want to.",
        );
        let receipts = self.receipts.get_or_insert_with(|| {
            c.settings
                .as_ref()
                .map(|s| s.read_receipts)
                .unwrap_or_default()
        });
        for r in ReadReceipts::ALL {
            if ui
                .radio_value(receipts, r, view::read_receipts_label(r))
                .changed()
            {
                ctx.worker.command(
                    ctx.device,
                    |s: ProfileSettings| match s.read_receipts {
                        ReadReceipts::Ask => "Opening a letter tells no one now.".into(),
                        ReadReceipts::Always => {
                            "Opening a letter now tells your partner you read it.".into()
                        }
                    },
                    move |d| d.update_settings(|s| s.read_receipts = r),
                );
            }
        }

        ui.separator();
        self.reminders_ui(ui, ctx);

        ui.separator();
        self.export_ui(ui, ctx);

        ui.separator();
        self.release.ui(ui, ctx);

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

        // Last, so that adding it moved nothing a person already knew where to find.
        if let Some(list) = c
            .devices
            .as_ref()
            .filter(|l| c.status.as_ref().is_some_and(|s| s.paired) && !l.devices.is_empty())
        {
            ui.separator();
            ui.label(egui::RichText::new("Devices").strong());
            widgets::note(ui, view::DEVICES_ABOUT);
            let names = c.names();
            for row in &list.devices {
                ui.horizontal(|ui| {
                    let short = row.endpoint.get(..12).unwrap_or(&row.endpoint);
                    ui.label(egui::RichText::new(short).monospace().weak());
                    ui.label(view::device_line(row, &names));
                    let path = ctx.net.net.as_ref().and_then(|n| n.path_to(&row.endpoint));
                    if let Some(path) = path {
                        ui.label(egui::RichText::new(view::connected_now(&path)).weak());
                    }
                    // The device refuses the rest (this one, my partner's) itself;
                    // the button is offered only where removing can be asked for.
                    let removable = row.mine && !row.this_device && !row.revoked;
                    if removable && ui.small_button("Remove…").clicked() {
                        self.removing = Some(Removing {
                            endpoint: row.endpoint.clone(),
                            label: row.label.clone().unwrap_or_else(|| "a device".into()),
                        });
                    }
                });
            }
            for (key, why) in &list.refused {
                widgets::error_text(ui, &view::refused_line(key, why));
            }
            if !c.removed && ui.button("Add another of my devices").clicked() {
                ctx.go(Page::Link);
            }
            self.ask_remove(ui.ctx(), ctx);
        }
    }
}

impl Settings {
    /// Asks before one of my devices is removed, saying plainly what removing cannot
    /// do, then has the device remove it; the list shows it removed once the record
    /// is written.
    fn ask_remove(&mut self, egui_ctx: &egui::Context, ctx: &mut Ctx<'_>) {
        let Some(r) = &self.removing else {
            return;
        };
        let answer = crate::dialogs::confirm(
            egui_ctx,
            "remove-device",
            &format!("Remove \"{}\"?", r.label),
            &[view::REMOVE_DEVICE_WARNING],
            "Remove it",
            "Keep it",
        );
        match answer {
            Some(true) => {
                let (endpoint, label) = (r.endpoint.clone(), r.label.clone());
                ctx.worker.command(
                    ctx.device,
                    move |_| format!("Removed your device \"{label}\"."),
                    move |d| d.revoke(&endpoint),
                );
                self.removing = None;
            }
            Some(false) => self.removing = None,
            None => {}
        }
    }
}

impl Settings {
    fn export_ui(&mut self, ui: &mut egui::Ui, ctx: &mut Ctx<'_>) {
        let e = &mut self.export;
        ui.label(egui::RichText::new("Export").strong());
        widgets::note(
            ui,
            "An export is not encrypted. Kintsugi makes the file readable only by your user on this computer; keep it somewhere private.",
        );
        ui.horizontal(|ui| {
            let l = ui.label("Save to");
            ui.add(
                egui::TextEdit::singleline(&mut e.path)
                    .id_salt("Export file")
                    .desired_width(260.0),
            )
            .labelled_by(l.id);
            if ui.button("Choose…").clicked()
                && let Some(p) = rfd::FileDialog::new()
                    .set_file_name("kintsugi-journal.md")
                    .save_file()
            {
                e.path = p.display().to_string();
            }
        });
        ui.checkbox(
            &mut e.include_private,
            "Include my private diary and letter drafts",
        );
        if e.include_private {
            widgets::error_text(
                ui,
                "The file will hold your private diary and drafts in plain text: anyone who gets a copy can read them. The Automerge export never includes them.",
            );
        }
        let pending = e.exists.lock().ok().and_then(|p| p.clone());
        if let Some(p) = pending {
            ui.label(format!(
                "{} already exists. Replace it with this export?",
                p.path.display()
            ));
            ui.horizontal(|ui| {
                if ui.button("Replace it").clicked() {
                    clear(&e.exists);
                    run_export(ctx, p, Replace::Yes, e.exists.clone());
                }
                if ui.button("Keep it").clicked() {
                    clear(&e.exists);
                }
            });
            return;
        }
        ui.horizontal(|ui| {
            for (label, format) in [
                ("Export Markdown", ExportFormat::Markdown),
                ("Export JSON", ExportFormat::Json),
                ("Export Automerge", ExportFormat::Automerge),
            ] {
                let ready = !e.path.trim().is_empty();
                if ui.add_enabled(ready, egui::Button::new(label)).clicked() {
                    let scope = if e.include_private && format != ExportFormat::Automerge {
                        ExportScope::WithPrivate
                    } else {
                        ExportScope::Shared
                    };
                    let p = PendingExport {
                        path: PathBuf::from(e.path.trim()),
                        format,
                        scope,
                    };
                    run_export(ctx, p, Replace::No, e.exists.clone());
                }
            }
        });
    }
}

fn clear(slot: &Mutex<Option<PendingExport>>) {
    if let Ok(mut s) = slot.lock() {
        *s = None;
    }
}

/// Writes the export in the background; a file already there is not replaced but
/// handed back to the page, which asks.
fn run_export(
    ctx: &mut Ctx<'_>,
    p: PendingExport,
    replace: Replace,
    exists: Arc<Mutex<Option<PendingExport>>>,
) {
    ctx.worker.command(
        ctx.device,
        |msg: String| msg,
        move |d| match d.export_to(&p.path, p.format, p.scope, replace) {
            Ok(()) => Ok(format!(
                "Exported to {} (readable only by you).",
                p.path.display()
            )),
            Err(err) if err.is_existing_file() => {
                let shown = format!("{} already exists.", p.path.display());
                if let Ok(mut s) = exists.lock() {
                    *s = Some(p);
                }
                Ok(shown)
            }
            Err(err) => Err(err),
        },
    );
}
