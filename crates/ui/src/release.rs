//! Releasing history in the app: the private diary's, on this device alone, and the
//! shared journal's, with the partner's consent. Settings holds the controls, next to
//! the passphrase and the export, where a person looks for what protects their words;
//! a request from the partner also shows on Home, because it waits for an answer.
//!
//! What a release does and what it cannot reach are the device's words
//! (`view::RELEASE_*`), the ones the CLI prints too: a person reads the same promise
//! whichever front end they use. This module says where things stand
//! (`Device::release_status`) and offers the next step; the device decides the rest.

use kintsugi_device::{ReleaseRequest, view};

use crate::dialogs;
use crate::model::Cache;
use crate::pages::Ctx;
use crate::widgets::{self, GOLD};

/// Which question is open on the Settings page (a release cannot be undone, so it
/// is asked in a dialog, as deleting is).
#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum Open {
    #[default]
    Nothing,
    Diary,
    Ask,
}

/// The release controls of the Settings page, with the question that is open.
#[derive(Default)]
pub struct Controls {
    open: Open,
}

impl Controls {
    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut Ctx<'_>) {
        ui.label(egui::RichText::new("Release history").strong());
        self.diary(ui, ctx);
        ui.add_space(6.0);
        self.shared(ui, ctx);
    }

    fn diary(&mut self, ui: &mut egui::Ui, ctx: &mut Ctx<'_>) {
        let blocked = ctx.cache.release.as_ref().and_then(|s| s.diary_blocked);
        if let Some(why) = blocked {
            ui.add_enabled(false, egui::Button::new("Release the diary's history…"));
            widgets::note(ui, &view::as_sentence(why));
            self.open = Open::Nothing;
            return;
        }
        if ui.button("Release the diary's history…").clicked() {
            self.open = Open::Diary;
        }
        if self.open != Open::Diary {
            return;
        }
        match dialogs::confirm(
            ui.ctx(),
            "release-diary",
            "Release your diary's history?",
            &[view::RELEASE_DIARY, view::RELEASE_CANNOT_REACH],
            "Release it now",
            "Cancel",
        ) {
            Some(true) => {
                self.open = Open::Nothing;
                ctx.worker.command(
                    ctx.device,
                    |_| "Released your diary's history: only what it reads now is kept.".into(),
                    |d| d.release_diary_history(),
                );
            }
            Some(false) => self.open = Open::Nothing,
            None => {}
        }
    }

    fn shared(&mut self, ui: &mut egui::Ui, ctx: &mut Ctx<'_>) {
        let c = ctx.cache;
        let status = c.release.clone().unwrap_or_default();
        // A question asked before the partner's request (or an unpairing) arrived
        // no longer fits what the page shows.
        if self.open == Open::Ask && (!c.paired() || status.request.is_some()) {
            self.open = Open::Nothing;
        }
        if !c.paired() {
            ui.add_enabled(
                false,
                egui::Button::new("Ask to release the shared journal's history…"),
            );
            widgets::note(
                ui,
                "The shared journal's history is released only with your partner's yes: pair first.",
            );
            return;
        }
        match &status.request {
            None => self.ask(ui, ctx),
            Some(r) if r.under_way => {
                ui.label("You both agreed to release the shared journal's history. Your two devices are doing it now; it finishes when they next sync.");
            }
            Some(r) if r.agreed => {
                ui.label(format!(
                    "You both agreed to release the shared journal's history (asked on {}). It happens the next time your two devices sync, and cannot be undone.",
                    widgets::when(r.asked_at)
                ));
            }
            Some(r) if r.asked_by_me => {
                ui.label(format!(
                    "You asked on {} to release the shared journal's history. Waiting for {}'s answer: their device learns of your request when your devices next sync.",
                    widgets::when(r.asked_at),
                    partner(c).unwrap_or_else(|| "your partner".into())
                ));
                if ui.button("Withdraw my request").clicked() {
                    ctx.worker.command(
                        ctx.device,
                        |_| "Withdrawn. Nothing is released.".into(),
                        |d| d.decline_release_history(),
                    );
                }
            }
            Some(r) => partners_request(ui, ctx, r),
        }
        if let Some(at) = status.partner_declined_at {
            ui.label(format!(
                "{} declined your request on {}. Nothing was released.",
                partner(c).unwrap_or_else(|| "Your partner".into()),
                widgets::when(at)
            ));
        }
        if let Some(at) = status.last_release {
            ui.label(
                egui::RichText::new(format!(
                    "The shared journal's history was released on {}. The journal reads as it did; its earlier history is gone from this device.",
                    widgets::when(at)
                ))
                .color(GOLD),
            );
        }
    }

    fn ask(&mut self, ui: &mut egui::Ui, ctx: &mut Ctx<'_>) {
        let blocked = ctx.cache.release.as_ref().and_then(|s| s.shared_blocked);
        if let Some(why) = blocked {
            ui.add_enabled(
                false,
                egui::Button::new("Ask to release the shared journal's history…"),
            );
            widgets::note(ui, &view::as_sentence(why));
            self.open = Open::Nothing;
            return;
        }
        if ui
            .button("Ask to release the shared journal's history…")
            .clicked()
        {
            self.open = Open::Ask;
        }
        if self.open != Open::Ask {
            return;
        }
        match dialogs::confirm(
            ui.ctx(),
            "release-ask",
            "Ask your partner to release the shared journal's history?",
            &[view::RELEASE_SHARED, view::RELEASE_CANNOT_REACH],
            "Ask my partner",
            "Cancel",
        ) {
            Some(true) => {
                self.open = Open::Nothing;
                ctx.worker.command(
                    ctx.device,
                    |_| {
                        "Asked. Your partner's device learns of it when your devices next sync."
                            .into()
                    },
                    |d| d.request_release_history(),
                );
            }
            Some(false) => self.open = Open::Nothing,
            None => {}
        }
    }
}

/// The partner's request to release the shared journal's history, if one waits for
/// this person's answer: Home shows it with what is due.
pub fn waiting(c: &Cache) -> Option<&ReleaseRequest> {
    c.release
        .as_ref()?
        .request
        .as_ref()
        .filter(|r| !r.asked_by_me && !r.agreed)
}

/// The partner's request, what accepting it does, and the two answers. The
/// explanation is the confirmation: it is on screen with the buttons.
pub fn partners_request(ui: &mut egui::Ui, ctx: &mut Ctx<'_>, r: &ReleaseRequest) {
    let who = partner(ctx.cache);
    ui.group(|ui| {
        ui.label(
            egui::RichText::new(format!(
                "{} asks to release the shared journal's history (asked on {}).",
                who.clone().unwrap_or_else(|| "Your partner".into()),
                widgets::when(r.asked_at)
            ))
            .strong()
            .color(GOLD),
        );
        explain(ui, view::RELEASE_SHARED);
        ui.horizontal(|ui| {
            if ui.button("Accept").clicked() {
                ctx.worker.command(
                    ctx.device,
                    |_| "Accepted. The history is released the next time your two devices sync; this cannot be undone.".into(),
                    |d| d.accept_release_history(),
                );
            }
            if ui.button("Decline").clicked() {
                let who = who.unwrap_or_else(|| "your partner".into());
                ctx.worker.command(
                    ctx.device,
                    move |_| {
                        format!(
                            "Declined. Nothing is released; {who}'s device learns of it when your devices next sync."
                        )
                    },
                    |d| d.decline_release_history(),
                );
            }
        });
    });
}

/// What a release does, then what it cannot reach.
fn explain(ui: &mut egui::Ui, does: &str) {
    ui.label(does);
    ui.label(egui::RichText::new(view::RELEASE_CANNOT_REACH).strong());
}

/// The partner's name: the one they gave when pairing, else the one their entries
/// carry.
fn partner(c: &Cache) -> Option<String> {
    c.partner
        .as_ref()
        .and_then(|p| p.name.clone())
        .or_else(|| c.names().partner_id().map(|p| c.name(p)))
}
