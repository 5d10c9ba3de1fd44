//! The first screen: create a profile, make this another device of someone who has
//! one already, or unlock the profile that exists.

use std::path::PathBuf;

use kintsugi_device::{
    Device, Invitation, NetOverrides, Network, Options, PendingPairing, Purpose,
};
use zeroize::Zeroize;

use crate::AppConfig;
use crate::invite::{CodeCheck, InviteInput};
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
    /// "This is another device of mine", chosen instead of creating a profile.
    link: Option<Box<JoinForm>>,
}

/// Making this another device of mine: the form, then the codes to compare.
#[derive(Default)]
struct JoinForm {
    label: String,
    input: InviteInput,
    check: CodeCheck,
    /// Joined: the codes are on both screens.
    joining: Option<Box<Joining>>,
}

/// A profile made for linking, joined to my other device, waiting for the person to
/// compare the codes. Everything here is given up together if linking ends without
/// this device added ([`discard`]).
pub struct Joining {
    device: Device,
    net: Network,
    pending: PendingPairing,
    made: Made,
}

/// The profile folder the flow made its profile in, and whether it made the folder:
/// only a folder it made is removed again.
struct Made {
    dir: PathBuf,
    folder: bool,
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
            link: None,
        }
    }

    pub fn on_done(&mut self, done: Done) {
        match done {
            Done::QrRead(result) => {
                if let Some(form) = &mut self.link {
                    form.input.read(result, &mut self.error);
                }
                return;
            }
            Done::JoinPending(result) => match result {
                Ok(joining) => {
                    if let Some(form) = &mut self.link {
                        form.joining = Some(joining);
                    }
                }
                Err(e) => self.error = Some(e),
            },
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
            // The longer forms (another device of mine, with the camera's preview)
            // scroll in a small window rather than lose their buttons under its edge.
            egui::ScrollArea::vertical()
                .auto_shrink([false, false])
                .show(ui, |ui| {
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
                            if self.creating && self.link.is_some() {
                                self.link_ui(ui, config, worker);
                            } else if self.creating {
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
        });
        if let Some(form) = &mut self.link {
            form.input.end_frame();
        }
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
        ui.add_space(16.0);
        ui.separator();
        widgets::note(ui, "Already using Kintsugi on another device?");
        if ui
            .add_enabled(
                !self.busy,
                egui::Button::new("This is another device of mine"),
            )
            .clicked()
        {
            self.error = None;
            self.link = Some(Box::default());
        }
    }

    /// "This is another device of mine": a passphrase for this device, its name and
    /// the invite my other device shows; then the codes, compared as pairing does.
    fn link_ui(&mut self, ui: &mut egui::Ui, config: &AppConfig, worker: &Worker) {
        let Some(form) = self.link.as_mut() else {
            return;
        };
        widgets::heading(ui, "Another device of mine");
        if let Some(joining) = form.joining.take() {
            ui.label(format!(
                "Connected to {}'s device. Type the code its screen shows.",
                joining.pending.partner_name()
            ));
            match form.check.ui(ui, joining.pending.sas()) {
                Some(verdict) => {
                    self.busy = true;
                    self.error = None;
                    finish_join(worker, joining, verdict);
                }
                None => form.joining = Some(joining),
            }
            return;
        }
        if self.busy {
            return;
        }
        widgets::note(ui, kintsugi_device::view::JOIN_ABOUT);
        widgets::field(ui, "Name for this device", &mut form.label);
        widgets::note(ui, kintsugi_device::view::LABEL_NOTE);
        widgets::password(ui, "Passphrase", &mut self.pass);
        // The device rates a linked profile's passphrase without a name: it has none
        // of its own until the person's journal arrives.
        let strong_enough = self.hint.show(ui, &self.pass, "");
        widgets::password(ui, "Repeat passphrase", &mut self.pass2);
        form.input
            .ui(ui, worker, &mut self.error, "your other device's");
        let ready =
            !form.label.trim().is_empty() && !form.input.text.trim().is_empty() && strong_enough;
        let (join, back) = ui
            .horizontal(|ui| {
                (
                    ui.add_enabled(ready, egui::Button::new("Join my device"))
                        .clicked(),
                    ui.button("Create a new profile instead").clicked(),
                )
            })
            .inner;
        if back {
            self.error = None;
            self.link = None;
            return;
        }
        if !join {
            return;
        }
        self.error = None;
        if *self.pass != *self.pass2 {
            self.error = Some("The two passphrases differ.".into());
            return;
        }
        // Read before anything is made, so that a wrong invite (a partner's, a damaged
        // one) is refused with nothing to undo.
        let invitation =
            Invitation::from_text(&form.input.text).and_then(|i| i.require(Purpose::OwnDevice));
        match invitation {
            Ok(invitation) => {
                self.busy = true;
                let label = form.label.trim().to_string();
                let pass = self.hand_over(ui.ctx());
                start_join(worker, config, invitation, label, pass);
            }
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    /// Gives up a join waiting for the codes (the window is closing): the other
    /// screen is told no, and the profile made for it goes. The returned task is
    /// waited for before the process ends.
    pub fn abandon(&mut self, worker: &Worker) -> Option<tokio::task::JoinHandle<()>> {
        let joining = self.link.as_mut()?.joining.take()?;
        Some(worker.handle().spawn(async move {
            let Joining {
                device,
                net,
                pending,
                made,
            } = *joining;
            let _ = net.finish_join_link(pending, false).await;
            discard(device, Some(net), made).await;
        }))
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

/// Makes the profile for this device and joins my other device with `invitation`, on
/// the worker. Whatever fails after the profile is made takes the profile with it.
fn start_join(
    worker: &Worker,
    config: &AppConfig,
    invitation: Invitation,
    label: String,
    pass: Passphrase,
) {
    let dir = config.profile.clone();
    let opts = Options { kdf: config.kdf };
    let overrides: NetOverrides = config.net.clone();
    worker.spawn(async move {
        let created = tokio::task::spawn_blocking(move || {
            let made = Made {
                folder: !dir.exists(),
                dir: dir.clone(),
            };
            (Device::create_for_link(&dir, pass.as_bytes(), opts), made)
        })
        .await;
        let (device, made) = match created {
            Ok((Ok(device), made)) => (device, made),
            // Refused before it was made (a profile already there, a weak passphrase)
            // or part way: only a folder made here is removed.
            Ok((Err(e), made)) => {
                let mut said = format!("This device's profile could not be made: {e}.");
                if made.folder {
                    said = format!("{said} {}", remove_made(&made));
                }
                return Done::JoinPending(Err(said));
            }
            Err(e) => return Done::JoinPending(Err(e.to_string())),
        };
        let net = match device.start_network(&overrides).await {
            Ok(net) => net,
            Err(e) => {
                let left = discard(device, None, made).await;
                return Done::JoinPending(Err(format!("The network could not start: {e}. {left}")));
            }
        };
        match net.join_link(&invitation, &label).await {
            Ok(pending) => Done::JoinPending(Ok(Box::new(Joining {
                device,
                net,
                pending,
                made,
            }))),
            Err(e) => {
                let left = discard(device, Some(net), made).await;
                Done::JoinPending(Err(format!(
                    "Could not join your other device: {e}. {left}"
                )))
            }
        }
    });
}

/// Sends this screen's verdict on the codes. Once both screens said yes, this is one
/// of my devices and its session opens; otherwise the profile made for it goes.
fn finish_join(worker: &Worker, joining: Box<Joining>, verdict: Result<(), String>) {
    let out = worker.reporter();
    worker.spawn(async move {
        let Joining {
            device,
            net,
            pending,
            made,
        } = *joining;
        let matches = verdict.is_ok();
        match net.finish_join_link(pending, matches).await {
            Ok(name) => {
                // The session starts its own network on the same endpoint.
                net.shutdown().await;
                match tokio::task::spawn_blocking(move || Opened::new(device)).await {
                    Ok(opened) => {
                        out.send(Done::Unlocked(Box::new(opened)));
                        Done::Command(Ok(format!(
                            "This is now one of {name}'s devices. Your journals arrive as it syncs."
                        )))
                    }
                    Err(e) => Done::Command(Err(e.to_string())),
                }
            }
            Err(e) => {
                let left = discard(device, Some(net), made).await;
                Done::Command(Err(match verdict {
                    Err(why) => format!("{why} {left}"),
                    Ok(()) => format!("This device was not added: {e}. {left}"),
                }))
            }
        }
    });
}

/// Gives up a profile made for linking: its network stopped, the device locked, and
/// the folder removed if the flow made it. Returns what is left, for the person.
async fn discard(device: Device, net: Option<Network>, made: Made) -> String {
    if let Some(net) = net {
        // As a session's end does: a network slow to stop must not keep the folder,
        // or a closing window, waiting.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(3), net.shutdown()).await;
    }
    tokio::task::spawn_blocking(move || {
        device.lock();
        drop(device);
        remove_made(&made)
    })
    .await
    .unwrap_or_else(|e| e.to_string())
}

/// Removes the profile folder if the flow made it; says what is left.
fn remove_made(made: &Made) -> String {
    let dir = made.dir.display();
    if !made.dir.exists() {
        return "Nothing was kept on this device.".into();
    }
    if !made.folder {
        return format!(
            "The new profile in {dir} stays, because its folder was there before: remove it \
             before you try again."
        );
    }
    match std::fs::remove_dir_all(&made.dir) {
        Ok(()) => "Nothing was kept on this device.".into(),
        Err(e) => format!(
            "The new profile in {dir} could not be removed ({e}): remove it before you try again."
        ),
    }
}
