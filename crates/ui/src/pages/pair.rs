//! Pairing: invite (QR code, text, countdown) or join (pasted text, image file), then
//! both people compare the code.

use std::time::Duration;

use kintsugi_device::{Invite, PendingPairing, qr};

use super::{Ctx, View};
use crate::guide::Guide;
use crate::model::{Cache, ShownInvite};
use crate::widgets::{self, GOLD};
use crate::work::Done;

#[derive(Default)]
pub struct Pair {
    invite: Option<ShownInvite>,
    pending: Option<Box<PendingPairing>>,
    waiting: bool,
    paste: String,
    path: String,
    error: Option<String>,
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

/// How long an invite works.
const INVITE_TTL: Duration = Duration::from_secs(600);

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl View for Pair {
    fn title(&self, cache: &Cache, _: &Guide) -> String {
        if cache.paired() {
            "Partner".into()
        } else {
            "Pair with my partner".into()
        }
    }

    fn on_done(&mut self, done: Done) -> Option<Done> {
        match done {
            Done::Pending(Ok(p)) => {
                self.pending = Some(p);
                self.waiting = false;
            }
            Done::Invite(invite) => {
                // Unless the attempt ended (an error) before this arrived.
                if self.waiting {
                    self.invite = Some(invite);
                }
            }
            Done::QrRead(Ok(text)) => self.paste = text,
            Done::Pending(Err(e)) | Done::Paired(Err(e)) | Done::QrRead(Err(e)) => {
                self.error = Some(e);
                self.waiting = false;
                self.invite = None;
                self.pending = None;
            }
            other => return Some(other),
        }
        None
    }

    fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut Ctx<'_>) {
        self.page_ui(ui, ctx);
        self.hidden();
    }

    /// Also called after the page is drawn: a scan this frame did not draw stops.
    fn hidden(&mut self) {
        #[cfg(feature = "camera")]
        {
            if !self.scan_shown {
                self.scan = None;
            }
            self.scan_shown = false;
        }
    }
}

impl Pair {
    fn page_ui(&mut self, ui: &mut egui::Ui, ctx: &mut Ctx<'_>) {
        if ctx.cache.paired() {
            self.paired_ui(ui, ctx);
            return;
        }
        widgets::heading(ui, "Pair with your partner");
        widgets::note(
            ui,
            "Pair once, with both devices in front of you (or on a call). After that your shared \
             journal syncs directly between the two devices; your diary never leaves yours.",
        );
        let Some(net) = ctx.net.net.clone() else {
            match &ctx.net.error {
                Some(e) => widgets::error_text(ui, &format!("The network could not start: {e}")),
                None => {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label("Starting the network…");
                    });
                }
            }
            return;
        };
        if let Some(e) = &self.error {
            widgets::error_text(ui, e);
        }

        if let Some(pending) = self.pending.take() {
            ui.label(format!(
                "Connected to {}. Does this code match the one on their screen?",
                pending.partner_name()
            ));
            ui.label(
                egui::RichText::new(pending.sas())
                    .size(40.0)
                    .monospace()
                    .color(GOLD),
            );
            let mut decision = None;
            ui.horizontal(|ui| {
                if ui.button("It matches").clicked() {
                    decision = Some(true);
                }
                if ui.button("It doesn't match").clicked() {
                    decision = Some(false);
                }
            });
            match decision {
                Some(matches) => {
                    self.waiting = true;
                    let net = net.clone();
                    ctx.worker.spawn(async move {
                        Done::Paired(
                            net.finish_pairing(*pending, matches)
                                .await
                                .map_err(|e| e.to_string()),
                        )
                    });
                }
                None => self.pending = Some(pending),
            }
            return;
        }
        if self.waiting {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(if self.invite.is_some() {
                    "Waiting for your partner to join…"
                } else {
                    "Waiting for your partner…"
                });
            });
        }

        if let Some(ShownInvite { text, expires, qr }) = &self.invite {
            let left = expires.saturating_sub(now_secs());
            ui.label(format!(
                "Ask your partner to scan this code (or copy the text below). It works once, for the next {}:{:02}.",
                left / 60,
                left % 60
            ));
            widgets::qr(ui, qr.size, &qr.modules, 300.0);
            let mut shown = text.clone();
            ui.add(
                egui::TextEdit::multiline(&mut shown)
                    .desired_rows(3)
                    .desired_width(460.0),
            )
            .on_hover_text("Invite text");
            if ui.button("Copy invite text").clicked() {
                ui.ctx().copy_text(text.clone());
            }
            ui.ctx().request_repaint_after(Duration::from_secs(1));
            if left == 0 {
                self.invite = None;
                self.waiting = false;
                self.error =
                    Some("The invite expired. Make a new one when you are both ready.".into());
            }
            return;
        }
        if self.waiting {
            return;
        }

        ui.group(|ui| {
            ui.label(egui::RichText::new("Invite my partner").strong());
            if ui.button("Invite my partner").clicked() {
                self.error = None;
                self.waiting = true;
                // Making the invite reads the device (is it paired already?), so it
                // runs on the worker too; the invite comes back to be shown, then the
                // partner's answer.
                let out = ctx.worker.reporter();
                let net = net.clone();
                ctx.worker.spawn(async move {
                    let n = net.clone();
                    let made =
                        tokio::task::spawn_blocking(move || n.create_invite(INVITE_TTL)).await;
                    let offer = match made {
                        Ok(Ok(offer)) => offer,
                        Ok(Err(e)) => return Done::Pending(Err(e.to_string())),
                        Err(e) => return Done::Pending(Err(e.to_string())),
                    };
                    // Joins are taken before the invite is on screen.
                    let hosting = match net.start_hosting(&offer) {
                        Ok(h) => h,
                        Err(e) => return Done::Pending(Err(e.to_string())),
                    };
                    out.send(Done::Invite(ShownInvite::of(&offer)));
                    Done::Pending(
                        hosting
                            .wait()
                            .await
                            .map(Box::new)
                            .map_err(|e| e.to_string()),
                    )
                });
            }
        });
        ui.group(|ui| {
            ui.label(egui::RichText::new("Join my partner").strong());
            widgets::area(ui, "Invite text", &mut self.paste, 3);
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
                    ctx.worker.blocking(move || {
                        Done::QrRead(
                            std::fs::read(&path)
                                .map_err(|e| format!("could not read {path}: {e}"))
                                .and_then(|b| qr::decode_image(&b).map_err(|e| e.to_string())),
                        )
                    });
                }
            });
            #[cfg(feature = "camera")]
            self.camera_ui(ui);
            if ui
                .add_enabled(!self.paste.trim().is_empty(), egui::Button::new("Join"))
                .clicked()
            {
                self.error = None;
                match Invite::from_text(&self.paste) {
                    Ok(invite) => {
                        self.waiting = true;
                        let net = net.clone();
                        ctx.worker.spawn(async move {
                            Done::Pending(
                                net.join(&invite)
                                    .await
                                    .map(Box::new)
                                    .map_err(|e| e.to_string()),
                            )
                        });
                    }
                    Err(e) => self.error = Some(e.to_string()),
                }
            }
        });
    }

    /// The webcam scan: a button, then a live preview until a code is read, which
    /// lands in the invite text field for the person to check and join.
    #[cfg(feature = "camera")]
    fn camera_ui(&mut self, ui: &mut egui::Ui) {
        self.scan_shown = true;
        let Some(Scan { scanner, preview }) = &mut self.scan else {
            if ui.button("Scan with camera").clicked() {
                self.error = None;
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
            self.paste = text;
            self.scan = None;
            return;
        }
        if let Some(e) = failed {
            self.error = Some(format!("The camera scan stopped: {e}"));
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
                Some(name) => format!("Hold your partner's code up to {name}…"),
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

    fn paired_ui(&mut self, ui: &mut egui::Ui, ctx: &mut Ctx<'_>) {
        let c = ctx.cache;
        widgets::heading(ui, "Your partner");
        if let Some(p) = &c.partner {
            ui.label(format!(
                "Paired with {}.",
                p.name.clone().unwrap_or_else(|| "your partner".into())
            ));
            ui.label(format!(
                "Their device: {}",
                &p.endpoint[..p.endpoint.len().min(16)]
            ));
            ui.label(match p.last_sync {
                Some(t) => format!("Last synced {}", widgets::when(t)),
                None => "Not synced yet".into(),
            });
        }
        ui.label(if ctx.net.online {
            "Online now."
        } else {
            "Not reachable right now."
        });
        widgets::note(ui, "To end the pairing, go to Settings.");
    }
}
