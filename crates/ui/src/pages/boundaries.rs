//! Boundaries by status: propose, agree, ask to revisit, retire; change the
//! wording (an amendment both agree to), and withdraw a proposal not yet agreed.

use kintsugi_device::{Boundary, BoundaryStatus, Device, view};

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
}

/// What a row asked for beyond a plain device command.
enum Act {
    Amend(TextForm),
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
        let c = ctx.cache;
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
            header.show(ui, |ui| {
                widgets::rows_at(ui, title, 112.0, list.len(), scroll_to, |ui, i| {
                    let Some(b) = list.get(i).and_then(|&i| c.boundaries.get(i)) else {
                        return;
                    };
                    reveal.outline(ui, &b.id);
                    if let Some(a) = row(ui, ctx, b, status) {
                        act = Some(a);
                    }
                });
            });
        }
        self.reveal.settle();
        match act {
            Some(Act::Amend(form)) => self.amending = Some(form),
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
fn row(ui: &mut egui::Ui, ctx: &Ctx<'_>, b: &Boundary, status: BoundaryStatus) -> Option<Act> {
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
                shown: open,
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
        for Action {
            shown,
            label,
            done,
            act,
        } in actions
        {
            if shown && ui.button(label).clicked() {
                let id = b.id.clone();
                ctx.worker
                    .command(ctx.device, move |_| done.into(), move |d| act(d, &id));
            }
        }
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
