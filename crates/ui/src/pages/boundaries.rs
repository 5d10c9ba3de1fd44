//! Boundaries by status: propose, agree, ask to revisit, retire.

use kintsugi_device::{Boundary, BoundaryStatus, Device};

/// One of a boundary's buttons.
struct Action {
    shown: bool,
    label: &'static str,
    /// The confirmation once it is done.
    done: &'static str,
    /// What it asks the device to do with the boundary's id.
    act: fn(&Device, &str) -> kintsugi_device::Result<Boundary>,
}

use super::{Ctx, View};
use crate::guide::Guide;
use crate::model::Cache;
use crate::widgets;

#[derive(Default)]
pub struct Boundaries {
    text: String,
    category: String,
    /// The rows of each status section, in `STATUSES` order.
    sections: [widgets::Picked<Boundary, ()>; 4],
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

    fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut Ctx<'_>) {
        widgets::heading(ui, "Boundaries");
        widgets::note(
            ui,
            "Agreements you both say yes to. A boundary counts once both of you agreed.",
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
        for (status, section) in STATUSES.into_iter().zip(&mut self.sections) {
            let list = section.rows(&c.boundaries, (), |b| b.status == status);
            let title = match status {
                BoundaryStatus::Proposed => "Proposed",
                BoundaryStatus::Agreed => "Agreed by both",
                BoundaryStatus::Revisit => "To talk over again",
                BoundaryStatus::Retired => "Retired",
            };
            egui::CollapsingHeader::new(format!("{title} ({})", list.len()))
                .default_open(status != BoundaryStatus::Retired)
                .show(ui, |ui| {
                    widgets::rows(ui, title, 84.0, list.len(), |ui, i| {
                        let Some(b) = list.get(i).and_then(|&i| c.boundaries.get(i)) else {
                            return;
                        };
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
                                "Proposed by {} · agreed: {}",
                                c.name(&b.author),
                                if who.is_empty() {
                                    "no one yet".into()
                                } else {
                                    who.join(", ")
                                }
                            ))
                            .weak(),
                        );
                        ui.horizontal(|ui| {
                            let i_agreed = b.agreements.iter().any(|(p, _)| c.is_me(p));
                            let open = status != BoundaryStatus::Retired;
                            let actions = [
                                Action {
                                    shown: open && !i_agreed,
                                    label: "Agree",
                                    done: "You agreed.",
                                    act: Device::agree_boundary,
                                },
                                Action {
                                    shown: matches!(
                                        status,
                                        BoundaryStatus::Agreed | BoundaryStatus::Proposed
                                    ),
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
                                    ctx.worker.command(
                                        ctx.device,
                                        move |_| done.into(),
                                        move |d| act(d, &id),
                                    );
                                }
                            }
                        });
                    });
                });
        }
    }
}
