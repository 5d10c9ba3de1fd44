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
        }
    }

    pub fn on_done(&mut self, done: Done) {
        if let Done::Command(Err(e)) = done {
            self.busy = false;
            self.error = Some(e);
            self.pass.zeroize();
            self.pass2.zeroize();
        }
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
        // Nothing can be typed while an attempt runs, so nothing typed then outlives it.
        let r = ui
            .add_enabled_ui(!self.busy, |ui| {
                widgets::password(ui, "Passphrase", &mut self.pass)
            })
            .inner;
        let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if (ui
            .add_enabled(
                !self.busy && !self.pass.is_empty(),
                egui::Button::new("Unlock"),
            )
            .clicked()
            || enter)
            && !self.pass.is_empty()
            && !self.busy
        {
            self.busy = true;
            self.error = None;
            let (dir, pass) = (config.profile.clone(), self.hand_over(ui.ctx()));
            let opts = Options { kdf: config.kdf };
            worker.blocking(move || match Device::unlock(&dir, pass.as_bytes(), opts) {
                Ok(d) => Done::Unlocked(Box::new(Opened::new(d))),
                Err(e) => Done::Command(Err(e.to_string())),
            });
        }
    }
}
