//! Promises with a due date; the partner they were made to confirms the outcome.
//! Their author may propose new terms (both agree before they count) and withdraw
//! one not yet due.

use kintsugi_device::{Device, List, PartnerId, Promise, PromiseOutcome, parse_date, view};

use super::{Ctx, View};
use crate::dialogs::{self, Versions, Wording};
use crate::guide::Guide;
use crate::model::Cache;
use crate::widgets::{self, GOLD};

/// How many outcomes the follow-through strip shows: enough to see a pattern, few
/// enough to lay out every frame.
const STRIP: usize = 60;

#[derive(Default)]
pub struct Promises {
    text: String,
    due: String,
    derived: Option<Derived>,
    renegotiating: Option<Terms>,
    withdrawing: Option<String>,
    versions: Option<Versions>,
    reveal: widgets::Reveal,
}

/// What the page shows that is worked out from the whole list: again only when the
/// list, or who is who, changed.
struct Derived {
    of: List<Promise>,
    people: (Option<PartnerId>, Option<PartnerId>),
    /// Indices, latest due first.
    order: Vec<usize>,
    /// Each person's outcome counts (kept, missed, renegotiated, open) and the
    /// indices of their latest `STRIP` promises in due order.
    follow: Vec<(PartnerId, [usize; 4], Vec<usize>)>,
}

impl Derived {
    fn new(list: &List<Promise>, people: (Option<PartnerId>, Option<PartnerId>)) -> Self {
        let mut order: Vec<usize> = (0..list.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(list[i].due));
        let follow = [people.0.clone(), people.1.clone()]
            .into_iter()
            .flatten()
            .filter_map(|who| {
                let mut theirs: Vec<usize> =
                    (0..list.len()).filter(|&i| list[i].author == who).collect();
                if theirs.is_empty() {
                    return None;
                }
                let mut counts = [0; 4];
                for &i in &theirs {
                    counts[match list[i].outcome {
                        PromiseOutcome::Kept => 0,
                        PromiseOutcome::Missed => 1,
                        PromiseOutcome::Renegotiated => 2,
                        PromiseOutcome::Open => 3,
                    }] += 1;
                }
                theirs.sort_by_key(|&i| list[i].due);
                let recent = theirs.split_off(theirs.len().saturating_sub(STRIP));
                Some((who, counts, recent))
            })
            .collect();
        Self {
            of: list.clone(),
            people,
            order,
            follow,
        }
    }
}

/// New terms being written for one of my promises.
struct Terms {
    id: String,
    text: String,
    due: String,
    was: (String, String),
}

enum Act {
    Renegotiate(Terms),
    Withdraw(String),
    Versions(Versions),
}

/// "call at nine, due 2026-12-09".
fn terms(text: &str, due: impl std::fmt::Display) -> String {
    format!("{text}, due {due}")
}

impl View for Promises {
    fn title(&self, _: &Cache, _: &Guide) -> String {
        "Promises".into()
    }

    fn reveal(&mut self, id: String) {
        self.reveal.ask(id);
    }

    fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut Ctx<'_>) {
        widgets::heading(ui, "Promises");
        widgets::note(
            ui,
            "Small, concrete, with a date. Your partner says how it went.",
        );
        let today = chrono::Local::now().date_naive();
        if self.due.is_empty() {
            self.due = (today + chrono::Days::new(7)).to_string();
        }
        ui.group(|ui| {
            widgets::field(ui, "I promise", &mut self.text);
            widgets::field(ui, "Due (YYYY-MM-DD)", &mut self.due);
            if ui
                .add_enabled(
                    !self.text.trim().is_empty(),
                    egui::Button::new("Make this promise"),
                )
                .clicked()
            {
                let (text, due) = (std::mem::take(&mut self.text), self.due.clone());
                ctx.worker.command(
                    ctx.device,
                    |_| "Promise made.".into(),
                    move |d| d.add_promise(&text, &due),
                );
            }
        });
        let c = ctx.cache;
        let people = (c.me.clone(), c.partner_id());
        let stale = match &self.derived {
            Some(d) => !d.of.same(&c.promises) || d.people != people,
            None => true,
        };
        if stale {
            self.derived = Some(Derived::new(&c.promises, people));
        }
        let Some(derived) = &self.derived else {
            return;
        };

        // Follow-through per person, over everything confirmed so far.
        for (who, [kept, missed, renegotiated, open], recent) in &derived.follow {
            ui.label(format!(
                "{}: {kept} kept, {missed} missed, {renegotiated} renegotiated, {open} open",
                c.name(who),
            ));
            // A strip of the latest outcomes in due order: the pattern over time at a
            // glance (the counts above cover all of them).
            ui.horizontal_wrapped(|ui| {
                for p in recent.iter().filter_map(|&i| c.promises.get(i)) {
                    let (mark, colour) = match p.outcome {
                        PromiseOutcome::Kept => ("●", GOLD),
                        PromiseOutcome::Missed => ("○", egui::Color32::from_rgb(0xD0, 0x60, 0x60)),
                        PromiseOutcome::Renegotiated => ("◐", egui::Color32::LIGHT_BLUE),
                        PromiseOutcome::Open => ("·", egui::Color32::GRAY),
                    };
                    ui.label(egui::RichText::new(mark).color(colour).size(18.0))
                        .on_hover_ui(|ui| {
                            ui.label(format!(
                                "{} — due {}: {}",
                                p.text,
                                p.due,
                                p.outcome.as_str()
                            ));
                            // The chain of terms that led here.
                            for v in p.earlier.iter().rev() {
                                let due = v.due.map(|d| d.to_string()).unwrap_or_default();
                                ui.label(
                                    egui::RichText::new(format!("before: {}", terms(&v.text, due)))
                                        .weak(),
                                );
                            }
                        });
                }
            });
        }

        let list = &derived.order;
        let scroll_to = self.reveal.scroll_to(
            list.iter()
                .filter_map(|&i| c.promises.get(i))
                .map(|p| p.id.as_str()),
        );
        self.reveal.settle();
        let reveal = &self.reveal;
        let mut act = None;
        widgets::rows_at(ui, "promises", 112.0, list.len(), scroll_to, |ui, i| {
            let Some(p) = list.get(i).and_then(|&i| c.promises.get(i)) else {
                return;
            };
            reveal.outline(ui, &p.id);
            if let Some(a) = row(ui, ctx, p, today) {
                act = Some(a);
            }
        });
        match act {
            Some(Act::Renegotiate(t)) => self.renegotiating = Some(t),
            Some(Act::Withdraw(id)) => self.withdrawing = Some(id),
            Some(Act::Versions(v)) => self.versions = Some(v),
            None => {}
        }

        Versions::show_in(&mut self.versions, ui.ctx());
        if let Some(t) = &mut self.renegotiating {
            let (answer, closed) =
                dialogs::dialog(ui.ctx(), "renegotiate", "Propose new terms", true, |ui| {
                    dialogs::area(ui, "New terms", &mut t.text, 3);
                    widgets::field(ui, "New due date (YYYY-MM-DD)", &mut t.due);
                    let date_ok = parse_date(t.due.trim()).is_ok();
                    if !date_ok {
                        widgets::error_text(ui, "Write the date like 2026-12-02.");
                    }
                    widgets::note(
                        ui,
                        "Your partner has to agree to the new terms before they count; until \
                         then the current ones stand, and both are shown. The terms they \
                         replace stay in this promise's follow-through.",
                    );
                    let changed = (&t.text, &t.due) != (&t.was.0, &t.was.1);
                    dialogs::form_buttons(
                        ui,
                        "Propose new terms",
                        changed && date_ok && !t.text.trim().is_empty(),
                    )
                });
            match answer {
                Some(true) => {
                    let id = t.id.clone();
                    let text = (t.text != t.was.0).then(|| t.text.clone());
                    let due = (t.due != t.was.1).then(|| t.due.trim().to_owned());
                    ctx.worker.command(
                        ctx.device,
                        |_| view::CHANGE_PROPOSED.into(),
                        move |d| d.renegotiate_promise(&id, text.as_deref(), due.as_deref()),
                    );
                    self.renegotiating = None;
                }
                Some(false) => self.renegotiating = None,
                None if matches!(closed, dialogs::Closed::Dismissed) => self.renegotiating = None,
                None => {}
            }
        }
        super::ask_withdraw(
            ui.ctx(),
            ctx,
            "promise",
            None,
            &mut self.withdrawing,
            Device::withdraw_promise,
        );
    }
}

/// Draws one promise's row: its terms, the outcome, new terms waiting beside the
/// ones that stand, and its buttons.
fn row(ui: &mut egui::Ui, ctx: &Ctx<'_>, p: &Promise, today: chrono::NaiveDate) -> Option<Act> {
    let c = ctx.cache;
    widgets::line(
        ui,
        format!("{} — {} promised, due {}", p.text, c.name(&p.author), p.due),
    );
    widgets::line(
        ui,
        egui::RichText::new(format!(
            "Outcome: {}{}",
            p.outcome.as_str(),
            dialogs::edited_mark(p.edited)
        ))
        .weak(),
    );
    let mine = c.is_me(&p.author);
    let i_agreed_terms = p
        .renegotiation
        .as_ref()
        .is_some_and(|r| r.agreements.iter().any(|(who, _)| c.is_me(who)));
    if let Some(r) = &p.renegotiation {
        let waiting = if i_agreed_terms {
            c.partner_id()
                .map(|who| c.name(&who))
                .unwrap_or_else(|| "your partner".into())
        } else {
            "you".into()
        };
        let due = r.due.unwrap_or(p.due);
        widgets::line(
            ui,
            egui::RichText::new(format!(
                "New terms proposed {}, waiting for {waiting} to agree: {}",
                widgets::when(r.proposed),
                terms(&r.text, due)
            ))
            .color(GOLD),
        )
        .on_hover_text(&r.text);
    }
    let mut act = None;
    ui.horizontal(|ui| {
        if !mine && p.outcome == PromiseOutcome::Open {
            for (label, o) in [
                ("Kept", PromiseOutcome::Kept),
                ("Missed", PromiseOutcome::Missed),
                ("Renegotiated", PromiseOutcome::Renegotiated),
            ] {
                if ui.button(label).clicked() {
                    let id = p.id.clone();
                    ctx.worker.command(
                        ctx.device,
                        |_| "Recorded.".into(),
                        move |d| d.set_promise_outcome(&id, o),
                    );
                }
            }
        }
        if p.renegotiation.is_some() && !i_agreed_terms && ui.button("Agree to new terms").clicked()
        {
            let id = p.id.clone();
            ctx.worker.command(
                ctx.device,
                |_| "You agreed to the new terms.".into(),
                move |d| d.agree_promise_terms(&id),
            );
        }
        if mine {
            if p.renegotiation.is_some() && ui.button("Take back new terms").clicked() {
                let id = p.id.clone();
                ctx.worker.command(
                    ctx.device,
                    |_| "The new terms are taken back; the ones that stood still stand.".into(),
                    move |d| d.withdraw_promise_terms(&id),
                );
            }
            if ui.button("Renegotiate").clicked() {
                let (text, due) = match &p.renegotiation {
                    Some(r) => (r.text.clone(), r.due.unwrap_or(p.due)),
                    None => (p.text.clone(), p.due),
                };
                let due = due.to_string();
                act = Some(Act::Renegotiate(Terms {
                    id: p.id.clone(),
                    was: (text.clone(), due.clone()),
                    text,
                    due,
                }));
            }
            if p.withdraw_refusal(today).is_none() && ui.button("Withdraw").clicked() {
                act = Some(Act::Withdraw(p.id.clone()));
            }
        }
        if !p.earlier.is_empty()
            && ui
                .button(format!("Earlier terms ({})", p.earlier.len()))
                .clicked()
        {
            act = Some(Act::Versions(Versions::new(
                "This promise's terms over time",
                Wording {
                    when: dialogs::since(p.edited, p.created),
                    text: terms(&p.text, p.due),
                },
                p.earlier
                    .iter()
                    .map(|v| Wording {
                        when: format!("Written {}", widgets::when(v.at)),
                        text: terms(&v.text, v.due.map(|d| d.to_string()).unwrap_or_default()),
                    })
                    .collect(),
            )));
        }
    });
    act
}
