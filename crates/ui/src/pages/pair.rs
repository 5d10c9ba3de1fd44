//! Pairing: invite (QR code, text, countdown) or join (pasted text, image file), then
//! both people compare the code.

use kintsugi_device::{Invite, PendingPairing};

use super::{Ctx, View};
use crate::guide::Guide;
use crate::invite::{self, INVITE_TTL, InviteInput};
use crate::model::{Cache, ShownInvite};
use crate::widgets::{self, GOLD};
use crate::work::Done;

#[derive(Default)]
pub struct Pair {
    invite: Option<ShownInvite>,
    pending: Option<Box<PendingPairing>>,
    waiting: bool,
    input: InviteInput,
    error: Option<String>,
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
            Done::QrRead(result) => self.input.read(result, &mut self.error),
            Done::Pending(Err(e)) | Done::Paired(Err(e)) => {
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
        self.input.end_frame();
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
             journal syncs directly between your devices and your partner's; your diary goes \
             only to your own devices, never to your partner's.",
        );
        let Some(net) = crate::invite::network(ui, ctx.net) else {
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

        if let Some(shown) = &self.invite {
            let ask = "Ask your partner to scan this code (or copy the text below).";
            if !invite::show(ui, shown, ask) {
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
            self.input
                .ui(ui, ctx.worker, &mut self.error, "your partner's");
            if ui
                .add_enabled(
                    !self.input.text.trim().is_empty(),
                    egui::Button::new("Join"),
                )
                .clicked()
            {
                self.error = None;
                match Invite::from_text(&self.input.text) {
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
