//! What every invite flow shares, so that pairing with a partner and adding a device
//! of one's own look and behave alike: the invite shown (QR code, text, countdown),
//! the invite read (pasted, from a picture, from the webcam), and the two screens'
//! codes compared by typing the other one's.

use std::time::Duration;

use kintsugi_device::{qr, view};

use crate::model::ShownInvite;
use crate::widgets::{self, GOLD};
use crate::work::{Done, Worker};

/// How long an invite works.
pub const INVITE_TTL: Duration = Duration::from_secs(600);

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The network a pairing or linking page needs, or what keeps it: it starts beside
/// the window, and may have failed to.
pub fn network(
    ui: &mut egui::Ui,
    net: &crate::model::NetState,
) -> Option<std::sync::Arc<kintsugi_device::Network>> {
    if let Some(n) = &net.net {
        return Some(n.clone());
    }
    match &net.error {
        Some(e) => widgets::error_text(ui, &format!("The network could not start: {e}")),
        None => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Starting the network…");
            });
        }
    }
    None
}

/// Draws the invite under `ask` (who should scan it); returns false once it expired,
/// so the caller can withdraw it and say so.
pub fn show(ui: &mut egui::Ui, invite: &ShownInvite, ask: &str) -> bool {
    let left = invite.expires.saturating_sub(now_secs());
    ui.label(format!(
        "{ask} It works once, for the next {}:{:02}.",
        left / 60,
        left % 60
    ));
    widgets::qr(ui, invite.qr.size, &invite.qr.modules, 300.0);
    let mut shown = invite.text.clone();
    ui.add(
        egui::TextEdit::multiline(&mut shown)
            .desired_rows(3)
            .desired_width(460.0),
    )
    .on_hover_text("Invite text");
    if ui.button("Copy invite text").clicked() {
        ui.ctx().copy_text(invite.text.clone());
    }
    ui.ctx().request_repaint_after(Duration::from_secs(1));
    left > 0
}

/// Where an invite is read from: the text pasted, a picture of the QR code, or
/// (with the `camera` feature) the webcam. A read picture lands in the text field,
/// so the person sees what is about to be used before using it.
#[derive(Default)]
pub struct InviteInput {
    pub text: String,
    path: String,
    #[cfg(feature = "camera")]
    scan: Option<Scan>,
    /// Whether this frame drew the scan; a scan nobody can see is stopped, so the
    /// camera never stays on behind another page, a pending join or a lock.
    #[cfg(feature = "camera")]
    scan_shown: bool,
}

/// A running webcam scan and the texture its preview frames go into.
#[cfg(feature = "camera")]
struct Scan {
    scanner: crate::camera::Scanner,
    preview: Option<egui::TextureHandle>,
}

impl InviteInput {
    /// The fields. `whose` names whose code the camera looks for ("your partner's").
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        worker: &Worker,
        error: &mut Option<String>,
        whose: &str,
    ) {
        widgets::area(ui, "Invite text", &mut self.text, 3);
        ui.horizontal(|ui| {
            let l = ui.label("QR image file");
            ui.add(
                egui::TextEdit::singleline(&mut self.path)
                    .id_salt("QR image file")
                    .desired_width(260.0),
            )
            .labelled_by(l.id);
            if ui.button("Choose…").clicked()
                && let Some(p) = rfd::FileDialog::new()
                    .add_filter("Images", &["png", "jpg", "jpeg"])
                    .pick_file()
            {
                self.path = p.display().to_string();
            }
            if ui
                .add_enabled(
                    !self.path.trim().is_empty(),
                    egui::Button::new("Read image"),
                )
                .clicked()
            {
                let path = self.path.trim().to_string();
                worker.blocking(move || {
                    Done::QrRead(
                        std::fs::read(&path)
                            .map_err(|e| format!("could not read {path}: {e}"))
                            .and_then(|b| qr::decode_image(&b).map_err(|e| e.to_string())),
                    )
                });
            }
        });
        #[cfg(feature = "camera")]
        self.camera_ui(ui, error, whose);
        #[cfg(not(feature = "camera"))]
        let _ = (error, whose);
    }

    /// A picture was read ([`Done::QrRead`]): its text, or why not.
    pub fn read(&mut self, result: Result<String, String>, error: &mut Option<String>) {
        match result {
            Ok(text) => self.text = text,
            Err(e) => *error = Some(e),
        }
    }

    /// Called once the frame is drawn: a scan this frame did not draw stops.
    pub fn end_frame(&mut self) {
        #[cfg(feature = "camera")]
        {
            if !self.scan_shown {
                self.scan = None;
            }
            self.scan_shown = false;
        }
    }

    /// The webcam scan: a button, then a live preview until a code is read, which
    /// lands in the invite text field for the person to check and join.
    #[cfg(feature = "camera")]
    fn camera_ui(&mut self, ui: &mut egui::Ui, error: &mut Option<String>, whose: &str) {
        self.scan_shown = true;
        let Some(Scan { scanner, preview }) = &mut self.scan else {
            if ui.button("Scan with camera").clicked() {
                *error = None;
                self.scan = Some(Scan {
                    scanner: crate::camera::Scanner::start(ui.ctx().clone()),
                    preview: None,
                });
            }
            return;
        };
        let (camera, frame, hint, found, failed) = scanner.with_state(|s| {
            (
                s.camera.clone(),
                s.preview.take(),
                s.hint.clone(),
                s.found.take(),
                s.failed.take(),
            )
        });
        if let Some(text) = found {
            self.text = text;
            self.scan = None;
            return;
        }
        if let Some(e) = failed {
            *error = Some(format!("The camera scan stopped: {e}"));
            self.scan = None;
            return;
        }
        if let Some(frame) = frame {
            match preview {
                Some(t) => t.set(frame, egui::TextureOptions::LINEAR),
                None => {
                    *preview = Some(ui.ctx().load_texture(
                        "camera-preview",
                        frame,
                        egui::TextureOptions::LINEAR,
                    ))
                }
            }
        }
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(match &camera {
                Some(name) => format!("Hold {whose} code up to {name}…"),
                None => "Opening the camera…".into(),
            });
        });
        if let Some(t) = preview.as_ref() {
            ui.add(egui::Image::new(t).max_width(360.0))
                .on_hover_text("Camera preview");
        }
        if let Some(h) = hint {
            widgets::note(ui, &h);
        }
        if ui.button("Stop camera").clicked() {
            self.scan = None;
        }
    }
}

/// The codes compared the way a Bluetooth passkey is: the person types the code the
/// other screen shows, so they have to read it rather than press yes out of habit.
#[derive(Default)]
pub struct CodeCheck {
    typed: String,
}

impl CodeCheck {
    /// Shows this screen's code `sas` and asks for the other screen's. `Some(Ok(()))`
    /// once the digits typed are this screen's; `Some(Err(why))` once they differ or
    /// the person stopped, which the caller sends on as a refusal (the other side
    /// learns of it, and neither stores anything).
    pub fn ui(&mut self, ui: &mut egui::Ui, sas: &str) -> Option<Result<(), String>> {
        ui.label("The code on this screen:");
        ui.label(egui::RichText::new(sas).size(40.0).monospace().color(GOLD));
        let field = widgets::field(ui, "Code on the other screen", &mut self.typed);
        let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        let ready = !view::code_digits(&self.typed).is_empty();
        let mut answer = None;
        ui.horizontal(|ui| {
            if (ui
                .add_enabled(ready, egui::Button::new("Confirm code"))
                .clicked()
                || enter)
                && ready
            {
                answer = Some(if view::codes_match(sas, &self.typed) {
                    Ok(())
                } else {
                    Err(view::codes_differ(sas, &self.typed))
                });
            }
            if ui.button("Stop").clicked() {
                answer = Some(Err("You stopped before the codes were compared.".into()));
            }
        });
        if answer.is_some() {
            self.typed.clear();
        }
        answer
    }
}
