//! Adding another device of mine, on the device I already use: the invite shown as
//! pairing shows it, then the two screens' codes compared; what the new device
//! receives, and the record that vouches for it, are the device crate's.

use kintsugi_device::PendingPairing;

use super::{Ctx, View};
use crate::guide::Guide;
use crate::invite::{self, CodeCheck, INVITE_TTL};
use crate::model::{Cache, Page, ShownInvite};
use crate::widgets::{self, GOLD};
use crate::work::Done;

#[derive(Default)]
pub struct Link {
    /// Numbers the attempts, so that a result of one given up on is not taken for
    /// the next one's.
    attempt: u64,
    step: Step,
    check: CodeCheck,
    /// The hosting task, so that an invite given up on stops taking joins at once.
    task: Option<tokio::task::AbortHandle>,
    error: Option<String>,
}

/// Where the attempt stands.
#[derive(Default)]
enum Step {
    /// Nothing under way: the page starts an attempt when it shows, unless the last
    /// one ended with an error the person has not seen through.
    #[default]
    Idle,
    /// The invite is being made.
    Making,
    Showing(ShownInvite),
    /// My new device joined: the codes to compare.
    Comparing(Box<PendingPairing>),
    /// The verdict was sent; the other screen's is awaited. `refused` says why this
    /// screen said no, if it did.
    Finishing {
        refused: Option<String>,
    },
    /// The label of the device added, and whether it confirmed that it stored
    /// everything.
    Added(String, bool),
}

impl View for Link {
    fn title(&self, _: &Cache, _: &Guide) -> String {
        "Add another of my devices".into()
    }

    fn on_done(&mut self, done: Done) -> Option<Done> {
        match done {
            Done::LinkInvite { attempt, invite } => {
                if attempt == self.attempt && matches!(self.step, Step::Making) {
                    self.step = Step::Showing(invite);
                }
            }
            Done::LinkPending { attempt, pending } => {
                if attempt == self.attempt && matches!(self.step, Step::Making | Step::Showing(_)) {
                    self.task = None;
                    match pending {
                        Ok(p) => self.step = Step::Comparing(p),
                        Err(e) => self.fail(e),
                    }
                }
            }
            Done::Linked(result) => match result {
                Ok((label, stored)) => self.step = Step::Added(label, stored),
                Err(e) => self.fail(e),
            },
            other => return Some(other),
        }
        None
    }

    fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut Ctx<'_>) {
        widgets::heading(ui, "Add another of my devices");
        widgets::note(ui, kintsugi_device::view::LINK_ABOUT);
        let Some(net) = crate::invite::network(ui, ctx.net) else {
            return;
        };
        if let Some(e) = &self.error {
            widgets::error_text(ui, e);
        }
        match std::mem::take(&mut self.step) {
            Step::Idle if self.error.is_none() => self.start(ctx, net),
            Step::Idle => {
                ui.horizontal(|ui| {
                    if ui.button("Try again").clicked() {
                        self.error = None;
                        self.start(ctx, net);
                    }
                    if ui.button("Back to Settings").clicked() {
                        self.error = None;
                        ctx.go(Page::Settings);
                    }
                });
            }
            Step::Making => {
                waiting(ui, "Making the invite…");
                self.step = Step::Making;
            }
            Step::Showing(shown) => {
                let ask = "Scan this code with your other device (or copy the text below).";
                if !invite::show(ui, &shown, ask) {
                    self.give_up();
                    self.error = Some(
                        "The invite expired. Make a new one when your other device is ready."
                            .into(),
                    );
                } else if ui.button("Cancel").clicked() {
                    self.give_up();
                    ctx.go(Page::Settings);
                } else {
                    self.step = Step::Showing(shown);
                }
            }
            Step::Comparing(pending) => {
                ui.label(format!(
                    "Adding your device \"{}\". Type the code its screen shows.",
                    pending.partner_name()
                ));
                match self.check.ui(ui, pending.sas()) {
                    Some(verdict) => {
                        let matches = verdict.is_ok();
                        self.step = Step::Finishing {
                            refused: verdict.err(),
                        };
                        ctx.worker.spawn(async move {
                            Done::Linked(
                                net.finish_link(*pending, matches)
                                    .await
                                    .map_err(|e| e.to_string()),
                            )
                        });
                    }
                    None => self.step = Step::Comparing(pending),
                }
            }
            Step::Finishing { refused } => {
                waiting(ui, "Waiting for the other screen…");
                self.step = Step::Finishing { refused };
            }
            Step::Added(label, stored) => {
                ui.label(
                    egui::RichText::new(format!("Added your device \"{label}\"."))
                        .strong()
                        .color(GOLD),
                );
                if !stored {
                    widgets::note(ui, kintsugi_device::view::LINK_NOT_CONFIRMED);
                }
                if ui.button("Back to Settings").clicked() {
                    ctx.go(Page::Settings);
                } else {
                    self.step = Step::Added(label, stored);
                }
            }
        }
    }

    /// An invite nobody can see is withdrawn: it would otherwise go on taking a
    /// device for ten minutes behind another page. Codes already on screen stay, so
    /// the person can come back to them; an outcome is forgotten once seen.
    fn hidden(&mut self) {
        match self.step {
            Step::Making | Step::Showing(_) => self.give_up(),
            Step::Added(..) => self.step = Step::Idle,
            Step::Idle | Step::Comparing(_) | Step::Finishing { .. } => {}
        }
    }
}

fn waiting(ui: &mut egui::Ui, what: &str) {
    ui.horizontal(|ui| {
        ui.spinner();
        ui.label(what);
    });
}

impl Link {
    /// Makes the invite and waits for my new device, on the worker: making it reads
    /// the device (paired? removed?), and joins are taken before it is on screen.
    fn start(&mut self, ctx: &mut Ctx<'_>, net: std::sync::Arc<kintsugi_device::Network>) {
        self.attempt += 1;
        self.step = Step::Making;
        self.check = CodeCheck::default();
        let attempt = self.attempt;
        let out = ctx.worker.reporter();
        let task = ctx.worker.handle().spawn(async move {
            let n = net.clone();
            let made = tokio::task::spawn_blocking(move || n.create_link_invite(INVITE_TTL)).await;
            let offer = match made {
                Ok(Ok(offer)) => offer,
                Ok(Err(e)) => return out.send(failed(attempt, e.to_string())),
                Err(e) => return out.send(failed(attempt, e.to_string())),
            };
            let hosting = match net.start_hosting(&offer) {
                Ok(h) => h,
                Err(e) => return out.send(failed(attempt, e.to_string())),
            };
            out.send(Done::LinkInvite {
                attempt,
                invite: ShownInvite::of(&offer),
            });
            let pending = hosting
                .wait()
                .await
                .map(Box::new)
                .map_err(|e| e.to_string());
            out.send(Done::LinkPending { attempt, pending });
        });
        self.task = Some(task.abort_handle());
    }

    /// Stops taking joins with the invite shown.
    fn give_up(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
        self.step = Step::Idle;
    }

    /// The attempt ended without a device added. Where this screen refused the codes,
    /// that is what the person needs to hear, not how the other side took it.
    fn fail(&mut self, e: String) {
        let refused = match std::mem::take(&mut self.step) {
            Step::Finishing { refused } => refused,
            _ => None,
        };
        self.error = Some(match refused {
            Some(why) => format!("{why} The device was not added."),
            None => format!("The device was not added: {e}"),
        });
    }
}

fn failed(attempt: u64, e: String) -> Done {
    Done::LinkPending {
        attempt,
        pending: Err(e),
    }
}
