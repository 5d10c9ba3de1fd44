//! Boundaries by status: propose, agree, ask to revisit, retire; change the
//! wording (an amendment both agree to), and withdraw a proposal not yet agreed.
//! Transparency agreements are boundaries with a scope and dates: proposed from
//! their own form, renewed (new dates both agree to) or ended early in their row.

use std::sync::atomic::Ordering;

use kintsugi_device::{AgreementState, Boundary, BoundaryStatus, Device, view};

use super::{Ctx, View};
use crate::dialogs::{self, TextForm, Versions};
use crate::guide::Guide;
use crate::model::Cache;
use crate::widgets;

/// One of a boundary's buttons.
struct Action {
    shown: bool,
    label: &'static str,
    /// The confirmation once it is done.
    done: &'static str,
    /// What it asks the device to do with the boundary's id.
    act: fn(&Device, &str) -> kintsugi_device::Result<Boundary>,
}

/// Draws the actions that are `shown`; a click hands the boundary `id` to the
/// device, and the confirmation follows.
fn buttons<const N: usize>(ui: &mut egui::Ui, ctx: &Ctx<'_>, id: &str, actions: [Action; N]) {
    for a in actions {
        if a.shown && ui.button(a.label).clicked() {
            let (id, done, act) = (id.to_owned(), a.done, a.act);
            ctx.worker
                .command(ctx.device, move |_| done.into(), move |d| act(d, &id));
        }
    }
}

#[derive(Default)]
pub struct Boundaries {
    text: String,
    category: String,
    /// The rows of each status section, in `STATUSES` order.
    sections: [widgets::Picked<Boundary, ()>; 4],
    /// A new wording being written for one of mine.
    amending: Option<TextForm>,
    /// One of mine the person asked to withdraw.
    withdrawing: Option<String>,
    versions: Option<Versions>,
    reveal: widgets::Reveal,
    agreement: AgreementForm,
    /// New dates being written for an agreement.
    renewing: Option<RenewForm>,
}

/// The form proposing a transparency agreement. It empties only once the device
/// took the proposal (`sent`): dates refused come back with their reason and the
/// words the person typed still in place.
#[derive(Default)]
struct AgreementForm {
    text: String,
    scope: String,
    review: String,
    ends: String,
    sent: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

/// New review and end dates for one agreement.
struct RenewForm {
    id: String,
    review: String,
    ends: String,
}

/// A row with an agreement has two more lines and a second row of buttons.
const ROW: f32 = 112.0;
const AGREEMENT_ROW: f32 = 172.0;

/// What a row asked for beyond a plain device command.
enum Act {
    Amend(TextForm),
    Renew(RenewForm),
    Withdraw(String),
    Versions(Versions),
}

const STATUSES: [BoundaryStatus; 4] = [
    BoundaryStatus::Proposed,
    BoundaryStatus::Agreed,
    BoundaryStatus::Revisit,
    BoundaryStatus::Retired,
];

impl View for Boundaries {
    fn title(&self, _: &Cache, _: &Guide) -> String {
        "Boundaries".into()
    }

    fn reveal(&mut self, id: String) {
        self.reveal.ask(id);
    }

    fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut Ctx<'_>) {
        widgets::heading(ui, "Boundaries");
        widgets::note(
            ui,
            "Agreements you both say yes to. A boundary counts once both of you agreed, and so \
             does a change to its wording.",
        );
        ui.group(|ui| {
            widgets::field(ui, "New boundary", &mut self.text);
            widgets::field(ui, "Category (optional)", &mut self.category);
            if ui
                .add_enabled(!self.text.trim().is_empty(), egui::Button::new("Propose"))
                .clicked()
            {
                let (text, cat) = (
                    std::mem::take(&mut self.text),
                    std::mem::take(&mut self.category),
                );
                ctx.worker.command(
                    ctx.device,
                    |_| "Proposed.".into(),
                    move |d| {
                        d.propose_boundary(
                            &text,
                            Some(cat.as_str()).filter(|c| !c.trim().is_empty()),
                        )
                    },
                );
            }
        });
        self.agreement_form(ui, ctx);
        let c = ctx.cache;
        let today = kintsugi_device::today();
        let mut act = None;
        for (status, section) in STATUSES.into_iter().zip(&mut self.sections) {
            let list = section.rows(&c.boundaries, (), |b| b.status == status);
            let title = match status {
                BoundaryStatus::Proposed => "Proposed",
                BoundaryStatus::Agreed => "Agreed by both",
                BoundaryStatus::Revisit => "To talk over again",
                BoundaryStatus::Retired => "Retired",
            };
            let scroll_to = self.reveal.scroll_to(
                list.iter()
                    .filter_map(|&i| c.boundaries.get(i))
                    .map(|b| b.id.as_str()),
            );
            let reveal = &self.reveal;
            let mut header = egui::CollapsingHeader::new(format!("{title} ({})", list.len()))
                .default_open(status != BoundaryStatus::Retired);
            if scroll_to.is_some() {
                header = header.open(Some(true));
            }
            let height = if list
                .iter()
                .filter_map(|&i| c.boundaries.get(i))
                .any(|b| b.agreement.is_some())
            {
                AGREEMENT_ROW
            } else {
                ROW
            };
            header.show(ui, |ui| {
                widgets::rows_at(ui, title, height, list.len(), scroll_to, |ui, i| {
                    let Some(b) = list.get(i).and_then(|&i| c.boundaries.get(i)) else {
                        return;
                    };
                    reveal.outline(ui, &b.id);
                    if let Some(a) = row(ui, ctx, b, status, today) {
                        act = Some(a);
                    }
                });
            });
        }
        self.reveal.settle();
        match act {
            Some(Act::Amend(form)) => self.amending = Some(form),
            Some(Act::Renew(form)) => self.renewing = Some(form),
            Some(Act::Withdraw(id)) => self.withdrawing = Some(id),
            Some(Act::Versions(v)) => self.versions = Some(v),
            None => {}
        }

        Versions::show_in(&mut self.versions, ui.ctx());
        if let Some((id, text)) = TextForm::ask(
            &mut self.amending,
            ui.ctx(),
            "Propose a new wording",
            "New wording",
            &[
                "Your partner has to agree to the new wording before it counts. Until they \
                 do, the wording that stands now stays, and both are shown.",
                "Once they agree, the wording it replaces stays readable to both of you as \
                 an earlier version.",
            ],
            "Propose new wording",
            false,
        ) {
            ctx.worker.command(
                ctx.device,
                |_| view::CHANGE_PROPOSED.into(),
                move |d| d.amend_boundary(&id, &text),
            );
        }
        if let Some((id, review, ends)) = RenewForm::ask(&mut self.renewing, ui.ctx()) {
            ctx.worker.command(
                ctx.device,
                |_| "New dates proposed. The dates that stand stay until both agree.".into(),
                move |d| d.renew_agreement(&id, &review, &ends),
            );
        }
        super::ask_withdraw(
            ui.ctx(),
            ctx,
            "boundary",
            None,
            &mut self.withdrawing,
            Device::withdraw_boundary,
        );
    }
}

/// Draws one boundary's row: its wording, who agreed, a new wording waiting for
/// agreement beside the one that stands, and its buttons.
fn row(
    ui: &mut egui::Ui,
    ctx: &Ctx<'_>,
    b: &Boundary,
    status: BoundaryStatus,
    today: chrono::NaiveDate,
) -> Option<Act> {
    let c = ctx.cache;
    widgets::line(
        ui,
        egui::RichText::new(match &b.category {
            Some(cat) => format!("{} ({cat})", b.text),
            None => b.text.clone(),
        })
        .strong(),
    );
    let who: Vec<String> = b
        .agreements
        .iter()
        .map(|(p, at)| format!("{} on {}", c.name(p), widgets::when(*at)))
        .collect();
    widgets::line(
        ui,
        egui::RichText::new(format!(
            "Proposed by {} · agreed: {}{}",
            c.name(&b.author),
            if who.is_empty() {
                "no one yet".into()
            } else {
                who.join(", ")
            },
            dialogs::edited_mark(b.edited),
        ))
        .weak(),
    );
    let mine = c.is_me(&b.author);
    let i_agreed_amendment = b
        .amendment
        .as_ref()
        .is_some_and(|a| a.agreements.iter().any(|(p, _)| c.is_me(p)));
    if let Some(a) = &b.amendment {
        let waiting = if i_agreed_amendment {
            c.partner_id()
                .map(|p| c.name(&p))
                .unwrap_or_else(|| "your partner".into())
        } else {
            "you".into()
        };
        widgets::line(
            ui,
            egui::RichText::new(format!(
                "New wording proposed {}, waiting for {waiting} to agree: {}",
                widgets::when(a.proposed),
                a.text
            ))
            .color(widgets::GOLD),
        )
        .on_hover_text(&a.text);
    }
    if let Some(line) = view::agreement_line(b, today) {
        let due = b.agreement_state(today) == Some(AgreementState::ReviewDue);
        let text = egui::RichText::new(line.clone());
        widgets::line(ui, if due { text.color(widgets::GOLD) } else { text }).on_hover_text(line);
    }
    if let Some(r) = b.agreement.as_ref().and_then(|a| a.renewal.as_ref()) {
        widgets::line(
            ui,
            egui::RichText::new(view::renewal_line(r, &c.names())).color(widgets::GOLD),
        );
    }
    let mut act = None;
    ui.horizontal(|ui| {
        let i_agreed = b.agreements.iter().any(|(p, _)| c.is_me(p));
        let open = status != BoundaryStatus::Retired;
        let pending = b.amendment.is_some();
        let actions = [
            Action {
                shown: open && !i_agreed,
                label: "Agree",
                done: "You agreed.",
                act: Device::agree_boundary,
            },
            Action {
                shown: open && pending && !i_agreed_amendment,
                label: "Agree to new wording",
                done: "You agreed to the new wording.",
                act: Device::agree_amendment,
            },
            Action {
                shown: matches!(status, BoundaryStatus::Agreed | BoundaryStatus::Proposed),
                label: "Ask to revisit",
                done: "Marked to talk over again.",
                act: Device::revisit_boundary,
            },
            Action {
                shown: open && b.agreement.is_none(),
                label: "Retire",
                done: "Retired.",
                act: Device::retire_boundary,
            },
            Action {
                shown: open && pending && mine,
                label: "Take back new wording",
                done: "The new wording is taken back; the one that stood still stands.",
                act: Device::withdraw_amendment,
            },
        ];
        buttons(ui, ctx, &b.id, actions);
        if open && mine && ui.button("Change wording").clicked() {
            let from = b.amendment.as_ref().map(|a| a.text.as_str());
            act = Some(Act::Amend(TextForm::new(
                b.id.clone(),
                from.unwrap_or(&b.text),
            )));
        }
        if mine && b.withdraw_refusal().is_none() && ui.button("Withdraw").clicked() {
            act = Some(Act::Withdraw(b.id.clone()));
        }
        if let Some(a) = agreement_buttons(ui, ctx, b) {
            act = Some(a);
        }
        if dialogs::versions_button(ui, b.earlier.len()) {
            act = Some(Act::Versions(Versions::of_text(
                "Wordings of this boundary",
                &b.text,
                b.edited,
                b.created,
                &b.earlier,
            )));
        }
    });
    act
}

/// An agreement's own buttons, offered as the journal's refusals allow: renew it,
/// answer or take back new dates, end it early.
fn agreement_buttons(ui: &mut egui::Ui, ctx: &Ctx<'_>, b: &Boundary) -> Option<Act> {
    let me = ctx.cache.me.as_ref()?;
    let terms = b.agreement.as_ref()?;
    let actions = [
        Action {
            shown: b.agree_renewal_refusal(me).is_none(),
            label: "Agree to new dates",
            done: "You agreed to the new dates.",
            act: Device::agree_renewal,
        },
        Action {
            shown: b.withdraw_renewal_refusal(me).is_none(),
            label: "Take back new dates",
            done: "The new dates are taken back; the ones that stood still stand.",
            act: Device::withdraw_renewal,
        },
        Action {
            shown: b.status != BoundaryStatus::Retired,
            label: "End agreement",
            done: "Ended. It no longer holds for either of you.",
            act: Device::end_agreement,
        },
    ];
    let mut act = None;
    ui.horizontal(|ui| {
        if b.renew_refusal().is_none() && ui.button("Renew").clicked() {
            let next = terms.renewal.as_ref();
            act = Some(Act::Renew(RenewForm {
                id: b.id.clone(),
                review: next.map_or(terms.review, |r| r.review).to_string(),
                ends: next.map_or(terms.ends, |r| r.ends).to_string(),
            }));
        }
        buttons(ui, ctx, &b.id, actions);
    });
    act
}

impl Boundaries {
    /// The form for a new transparency agreement, folded away until opened.
    fn agreement_form(&mut self, ui: &mut egui::Ui, ctx: &Ctx<'_>) {
        egui::CollapsingHeader::new("Propose a transparency agreement").show(ui, |ui| {
            widgets::note(ui, view::AGREEMENT_ABOUT);
            if self.agreement.sent.swap(false, Ordering::Relaxed) {
                self.agreement = AgreementForm::default();
            }
            let f = &mut self.agreement;
            if f.review.is_empty() && f.ends.is_empty() {
                let today = kintsugi_device::today();
                f.review = (today + chrono::Days::new(30)).to_string();
                f.ends = (today + chrono::Days::new(90)).to_string();
            }
            widgets::field(ui, "What you agree to", &mut f.text);
            widgets::field(ui, "What it covers", &mut f.scope);
            widgets::field(ui, "Review on (YYYY-MM-DD)", &mut f.review);
            widgets::field(ui, "Ends on (YYYY-MM-DD)", &mut f.ends);
            let ready = !f.text.trim().is_empty() && !f.scope.trim().is_empty();
            if ui
                .add_enabled(ready, egui::Button::new("Propose agreement"))
                .clicked()
            {
                let (text, scope) = (f.text.clone(), f.scope.clone());
                let (review, ends, sent) = (f.review.clone(), f.ends.clone(), f.sent.clone());
                ctx.worker.command(
                    ctx.device,
                    |_| "Proposed. It holds once you both agree.".into(),
                    move |d| {
                        let id = d.propose_agreement(&text, &scope, &review, &ends)?;
                        sent.store(true, Ordering::Relaxed);
                        Ok(id)
                    },
                );
            }
        });
    }
}

impl RenewForm {
    /// Draws the form held in `slot`, if any, and empties the slot once answered:
    /// the agreement's id and the new dates when the person proposed them.
    fn ask(slot: &mut Option<Self>, ctx: &egui::Context) -> Option<(String, String, String)> {
        let form = slot.as_mut()?;
        let (answer, closed) =
            dialogs::dialog(ctx, "renew-form", "Renew this agreement", true, |ui| {
                widgets::field(ui, "New review date (YYYY-MM-DD)", &mut form.review);
                widgets::field(ui, "New end date (YYYY-MM-DD)", &mut form.ends);
                widgets::note(
                    ui,
                    "Your partner has to agree to the new dates before they count. Until then \
                     the dates that stand stay, and on its end date the agreement ends.",
                );
                dialogs::form_buttons(ui, "Propose new dates", true)
            });
        let answer = match closed {
            dialogs::Closed::Dismissed => answer.or(Some(false)),
            dialogs::Closed::No => answer,
        }?;
        let form = slot.take()?;
        answer.then_some((form.id, form.review, form.ends))
    }
}
