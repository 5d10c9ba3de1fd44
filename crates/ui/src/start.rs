//! The first screen: create a profile, or unlock the one that exists.

use kintsugi_device::{Device, Options};
use zeroize::Zeroize;

use crate::AppConfig;
use crate::session::Opened;
use crate::widgets::{self, GOLD, Passphrase};
use crate::work::{Done, Worker};

pub struct StartScreen {
    creating: bool,
    name: String,
    pass: Passphrase,
    pass2: Passphrase,
    hint: widgets::PassphraseHint,
    busy: bool,
    error: Option<String>,
    /// Set when unlocking found the profile rolled back: what the store said.
    rolled_back: Option<String>,
    /// The person ticked that they accept the rollback.
    accept_rollback: bool,
}

impl StartScreen {
    /// `creating` when there is no profile yet (the caller knows: looking would
    /// touch the disk from the UI thread).
    pub fn new(creating: bool) -> Self {
        Self {
            creating,
            name: String::new(),
            pass: Passphrase::default(),
            pass2: Passphrase::default(),
            hint: widgets::PassphraseHint::default(),
            busy: false,
            error: None,
            rolled_back: None,
            accept_rollback: false,
        }
    }

    pub fn on_done(&mut self, done: Done) {
        match done {
            Done::Command(Err(e)) => self.error = Some(e),
            Done::RolledBack(e) => {
                self.rolled_back = Some(e);
                self.accept_rollback = false;
            }
            _ => return,
        }
        self.busy = false;
        self.pass.zeroize();
        self.pass2.zeroize();
    }

    /// Takes the passphrase out of its field for an attempt, leaving the field
    /// empty, and forgets every field's egui state: a wrong passphrase must not
    /// come back with Ctrl+Z any more than a right one.
    fn hand_over(&mut self, ctx: &egui::Context) -> Passphrase {
        self.pass2.zeroize();
        widgets::forget_typed(ctx);
        std::mem::take(&mut self.pass)
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, config: &AppConfig, worker: &Worker) {
        egui::CentralPanel::default().show(ui, |ui| {
            ui.vertical_centered(|ui| {
                ui.add_space(60.0);
                ui.label(egui::RichText::new("Kintsugi").size(40.0).color(GOLD));
                widgets::note(
                    ui,
                    "Mending trust, together — privately, on your own devices.",
                );
                ui.add_space(30.0);
            });
            ui.horizontal(|ui| {
                ui.add_space((ui.available_width() - 460.0).max(0.0) / 2.0);
                ui.vertical(|ui| {
                    ui.set_max_width(460.0);
                    if self.creating {
                        self.create_ui(ui, config, worker);
                    } else {
                        self.unlock_ui(ui, config, worker);
                    }
                    if let Some(e) = &self.error {
                        widgets::error_text(ui, e);
                    }
                    if self.busy {
                        ui.horizontal(|ui| {
                            ui.spinner();
                            ui.label("Working…");
                        });
                    }
                });
            });
        });
    }

    fn create_ui(&mut self, ui: &mut egui::Ui, config: &AppConfig, worker: &Worker) {
        widgets::heading(ui, "Create your profile");
        widgets::note(
            ui,
            "Everything you write is encrypted on this device with your passphrase. \
             There is no account and no way to recover a forgotten passphrase.",
        );
        widgets::field(ui, "Your name", &mut self.name);
        widgets::password(ui, "Passphrase", &mut self.pass);
        let strong_enough = self.hint.show(ui, &self.pass, self.name.trim());
        widgets::password(ui, "Repeat passphrase", &mut self.pass2);
        let ready = !self.busy && !self.name.trim().is_empty() && strong_enough;
        if ui
            .add_enabled(ready, egui::Button::new("Create profile"))
            .clicked()
        {
            if *self.pass != *self.pass2 {
                self.error = Some("The two passphrases differ.".into());
                return;
            }
            self.busy = true;
            self.error = None;
            let (dir, name, pass) = (
                config.profile.clone(),
                self.name.trim().to_string(),
                self.hand_over(ui.ctx()),
            );
            let opts = Options { kdf: config.kdf };
            worker.blocking(
                move || match Device::create(&dir, &name, pass.as_bytes(), opts) {
                    Ok(d) => Done::Unlocked(Box::new(Opened::new(d))),
                    Err(e) => Done::Command(Err(e.to_string())),
                },
            );
        }
    }

    fn unlock_ui(&mut self, ui: &mut egui::Ui, config: &AppConfig, worker: &Worker) {
        widgets::heading(ui, "Unlock");
        let accepting = self.rolled_back.is_some();
        if let Some(found) = &self.rolled_back {
            widgets::error_text(ui, found);
            widgets::note(
                ui,
                "Some of this profile's files are older than the last time it was \
                 open. That happens when an older copy is put back: from a backup, by \
                 a sync tool, or by someone who had the files. Nothing has been opened \
                 or changed.",
            );
            widgets::note(
                ui,
                "If you put an older copy back yourself, or you choose to go on from \
                 what is left, you can open it as it is now. Shared entries that are \
                 missing come back from your partner at the next sync; diary pages \
                 written after that copy are gone, and an older passphrase or pairing \
                 in the copy is back in force. If you did not expect this, leave it \
                 closed and keep these files as they are.",
            );
            ui.add_enabled(
                !self.busy,
                egui::Checkbox::new(
                    &mut self.accept_rollback,
                    "I understand; open this profile as it is now",
                ),
            );
        }
        let label = if accepting {
            "Accept and unlock"
        } else {
            "Unlock"
        };
        // Nothing can be typed while an attempt runs, so nothing typed then outlives it.
        let r = ui
            .add_enabled_ui(!self.busy, |ui| {
                widgets::password(ui, "Passphrase", &mut self.pass)
            })
            .inner;
        let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        let ready = !self.busy && !self.pass.is_empty() && (!accepting || self.accept_rollback);
        if (ui.add_enabled(ready, egui::Button::new(label)).clicked() || enter) && ready {
            self.busy = true;
            self.error = None;
            let (dir, pass) = (config.profile.clone(), self.hand_over(ui.ctx()));
            let opts = Options { kdf: config.kdf };
            worker.blocking(move || {
                let opened = if accepting {
                    Device::accept_rollback(&dir, pass.as_bytes(), opts).map(|(d, _)| d)
                } else {
                    Device::unlock(&dir, pass.as_bytes(), opts)
                };
                match opened {
                    Ok(d) => Done::Unlocked(Box::new(Opened::new(d))),
                    Err(e) if e.is_rollback() => Done::RolledBack(e.to_string()),
                    Err(e) => Done::Command(Err(e.to_string())),
                }
            });
        }
    }
}
