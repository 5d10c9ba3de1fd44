//! The weekly meeting: my points, prepared privately and brought when I choose, and
//! the meeting itself, gone through step by step on either device. The steps' words
//! and every rule come from the device (`view::MeetingStep`, the journal's
//! refusals); this page keeps what is typed and hands the rest to the worker.

use kintsugi_device::{
    Appreciation, BoundaryStatus, MAX_APPRECIATIONS, Meeting, MeetingPoints, PartnerId, this_week,
    view,
};

use super::{Ctx, View};
use crate::dialogs;
use crate::guide::Guide;
use crate::model::Cache;
use crate::widgets;

#[derive(Default)]
pub struct MeetingPage {
    /// The week shown; this week until another is opened from the list.
    week: Option<String>,
    /// The week whose draft the form holds, and the points it was loaded with: a
    /// draft arriving later fills a form nobody touched, never one being typed in.
    form_of: Option<String>,
    loaded: MeetingPoints,
    /// Appreciations being written: what, and what it shows.
    thanks: Vec<(String, String)>,
    went_well: String,
    issue: String,
    /// The question before bringing is open.
    asking_bring: bool,
    asking_close: bool,
    step: usize,
    /// The sides being written, by (whose issue, whose side).
    sides: Vec<((PartnerId, PartnerId), String)>,
    plan: String,
    due: String,
    /// The boundary of mine the plan would amend.
    boundary: Option<String>,
}

impl MeetingPage {
    fn load_form(&mut self, week: &str, points: MeetingPoints) {
        self.loaded = points.clone();
        self.thanks = points
            .appreciations
            .into_iter()
            .map(|a| (a.what, a.shows.unwrap_or_default()))
            .collect();
        if self.thanks.is_empty() {
            self.thanks.push(Default::default());
        }
        self.went_well = points.went_well.unwrap_or_default();
        self.issue = points.issue.unwrap_or_default();
        self.form_of = Some(week.to_owned());
    }

    fn points(&self) -> MeetingPoints {
        // Trimmed as the journal stores them, so that what is typed compares equal to
        // what was kept or brought.
        let opt = |s: &str| Some(s.trim().to_owned()).filter(|t| !t.is_empty());
        MeetingPoints {
            appreciations: self
                .thanks
                .iter()
                .filter(|(what, _)| !what.trim().is_empty())
                .map(|(what, shows)| Appreciation {
                    what: what.trim().to_owned(),
                    shows: opt(shows),
                })
                .collect(),
            went_well: opt(&self.went_well),
            issue: opt(&self.issue),
        }
    }

    fn prepare(&mut self, ui: &mut egui::Ui, ctx: &mut Ctx<'_>, week: &str, meeting: &Meeting) {
        let c = ctx.cache;
        let partner = c.names().partner_in_sentence();
        ui.label(egui::RichText::new("Your points (private until you bring them)").strong());
        ui.group(|ui| {
            for (n, (what, shows)) in self.thanks.iter_mut().enumerate() {
                widgets::field(ui, &format!("Thanks {}: what you appreciated", n + 1), what);
                widgets::field(
                    ui,
                    &format!("Thanks {}: …and it shows that you are", n + 1),
                    shows,
                );
            }
            if self.thanks.len() < MAX_APPRECIATIONS && ui.button("Add another thanks").clicked() {
                self.thanks.push(Default::default());
            }
            widgets::area(ui, "What went well this week", &mut self.went_well, 2);
            widgets::area(
                ui,
                "One issue you want to talk through (optional, only one)",
                &mut self.issue,
                2,
            );
            let mine = c.me.as_ref().and_then(|me| meeting.side(me));
            let points = self.points();
            let saved = c.meeting_drafts.iter().find(|d| d.week == week);
            ui.label(
                egui::RichText::new(match (mine, saved) {
                    (Some(s), _) if s.points == points => {
                        format!("Brought: {partner} can see these points.")
                    }
                    (Some(_), _) => "Changed since you brought them.".to_owned(),
                    (None, Some(_)) => "Kept on this device; not brought yet.".to_owned(),
                    (None, None) => "Not saved yet.".to_owned(),
                })
                .weak(),
            );
            let open = meeting.closed_refusal().is_none();
            ui.horizontal(|ui| {
                if ui.button("Keep privately").clicked() {
                    let (w, p) = (week.to_owned(), points.clone());
                    ctx.worker.command(
                        ctx.device,
                        |_| "Kept on this device.".into(),
                        move |d| d.save_meeting_draft(&w, &p),
                    );
                }
                if ui
                    .add_enabled(
                        open && !points.is_empty(),
                        egui::Button::new("Bring to the meeting…"),
                    )
                    .clicked()
                {
                    self.asking_bring = true;
                }
            });
        });
        if !self.asking_bring {
            return;
        }
        let lines = [
            format!(
                "{} will receive these points with the next sync, and keep them.",
                c.names().partner_name()
            ),
            "You can still change them and bring them again until the meeting is closed."
                .to_owned(),
        ];
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        match dialogs::confirm(
            ui.ctx(),
            "bring-to-meeting",
            "Bring your points to the meeting?",
            &lines,
            "Bring them",
            "Not yet",
        ) {
            Some(true) => {
                let (w, p) = (week.to_owned(), self.points());
                ctx.worker.command(
                    ctx.device,
                    |_| "Brought to the meeting.".into(),
                    move |d| {
                        d.save_meeting_draft(&w, &p)?;
                        d.bring_to_meeting(&w)
                    },
                );
                self.asking_bring = false;
            }
            Some(false) => self.asking_bring = false,
            None => {}
        }
    }

    fn walk(&mut self, ui: &mut egui::Ui, ctx: &mut Ctx<'_>, week: &str, m: &Meeting) {
        let c = ctx.cache;
        let names = c.names();
        ui.add_space(8.0);
        ui.label(egui::RichText::new("The meeting").strong());
        ui.label(view::meeting_line(m, &names));
        if m.sides.is_empty() {
            widgets::note(
                ui,
                "Nothing has been brought yet. Once either of you brings points, go through them together here, on either device.",
            );
            return;
        }
        let from_checkins = view::checkin_lines(week, c.checkins.iter(), &names);
        if !from_checkins.is_empty() {
            ui.label(egui::RichText::new("From this week's check-ins").strong());
            for line in from_checkins {
                widgets::line(ui, line);
            }
        }
        let open = m.closed_refusal().is_none();
        self.step = self.step.min(view::MeetingStep::ALL.len() - 1);
        let step = view::MeetingStep::ALL[self.step];
        ui.group(|ui| {
            ui.label(egui::RichText::new(step.title()).strong());
            if open {
                widgets::note(ui, step.guidance());
            }
            match step {
                view::MeetingStep::Appreciations => {
                    for s in &m.sides {
                        ui.label(format!("{}:", names.name(&s.author)));
                        for a in &s.points.appreciations {
                            ui.label(format!("  {}", view::appreciation_line(a)));
                        }
                    }
                }
                view::MeetingStep::WentWell => {
                    for s in &m.sides {
                        if let Some(t) = &s.points.went_well {
                            ui.label(format!("{}: {t}", names.name(&s.author)));
                        }
                    }
                }
                view::MeetingStep::Issue => self.issues(ui, ctx, week, m, open),
                view::MeetingStep::Plan => self.plan(ui, ctx, week, m, open),
            }
            ui.horizontal(|ui| {
                if self.step > 0 && ui.button("Back").clicked() {
                    self.step -= 1;
                }
                if self.step + 1 < view::MeetingStep::ALL.len() && ui.button("Next").clicked() {
                    self.step += 1;
                }
            });
        });
    }

    fn issues(
        &mut self,
        ui: &mut egui::Ui,
        ctx: &mut Ctx<'_>,
        week: &str,
        m: &Meeting,
        open: bool,
    ) {
        let c = ctx.cache;
        let names = c.names();
        let people: Vec<PartnerId> = c.me.iter().cloned().chain(c.partner_id()).collect();
        let raised: Vec<_> = m
            .sides
            .iter()
            .filter_map(|s| Some((s.author.clone(), s.points.issue.clone()?)))
            .collect();
        if raised.is_empty() {
            ui.label("Neither of you brought an issue this week.");
        }
        for (issue_of, issue) in raised {
            ui.label(format!("{} raised: {issue}", names.name(&issue_of)));
            // The one who raised it is heard first.
            let mut order = people.clone();
            order.sort_by_key(|p| p != &issue_of);
            for side_of in order {
                let title = view::side_title(&issue_of, &side_of, &names);
                if let Some(h) = m.heard_from(&issue_of, &side_of) {
                    ui.label(format!("{title}: {}", h.text));
                }
                if !open {
                    continue;
                }
                let key = (issue_of.clone(), side_of.clone());
                let at = match self.sides.iter().position(|(k, _)| k == &key) {
                    Some(at) => at,
                    None => {
                        self.sides.push((key, String::new()));
                        self.sides.len() - 1
                    }
                };
                let text = &mut self.sides[at].1;
                widgets::field(ui, &title, text);
                let ready = !text.trim().is_empty();
                if ui
                    .add_enabled(ready, egui::Button::new(format!("Write down: {title}")))
                    .clicked()
                {
                    let (w, t) = (week.to_owned(), std::mem::take(text));
                    let (i, s) = (issue_of.clone(), side_of.clone());
                    ctx.worker.command(
                        ctx.device,
                        |_| "Written down.".into(),
                        move |d| d.hear_in_meeting(&w, &i, &s, &t),
                    );
                }
            }
        }
    }

    fn plan(&mut self, ui: &mut egui::Ui, ctx: &mut Ctx<'_>, week: &str, m: &Meeting, open: bool) {
        let c = ctx.cache;
        let names = c.names();
        for o in &m.outcomes {
            let what = match o.kind {
                kintsugi_device::OutcomeKind::Promise => c
                    .promises
                    .iter()
                    .find(|p| p.id == o.entry)
                    .map(|p| format!("\"{}\" (due {})", p.text, p.due)),
                kintsugi_device::OutcomeKind::Amendment => c
                    .boundaries
                    .iter()
                    .find(|b| b.id == o.entry)
                    .map(|b| format!("\"{}\"", b.text)),
            };
            ui.label(format!(
                "{}: {}",
                view::outcome_line(o.kind, &names.name(&o.by)),
                what.unwrap_or_default()
            ));
        }
        if !open {
            return;
        }
        widgets::area(ui, "What you will do", &mut self.plan, 2);
        let ready = !self.plan.trim().is_empty();
        ui.horizontal(|ui| {
            widgets::field(ui, "Due (YYYY-MM-DD)", &mut self.due);
            if ui
                .add_enabled(
                    ready && !self.due.trim().is_empty(),
                    egui::Button::new("Make it my promise"),
                )
                .clicked()
            {
                let (w, t, due) = (
                    week.to_owned(),
                    self.plan.clone(),
                    self.due.trim().to_owned(),
                );
                ctx.worker.command(
                    ctx.device,
                    |p: kintsugi_device::Promise| format!("Promised, due {}.", p.due),
                    move |d| d.promise_from_meeting(&w, &t, &due),
                );
            }
        });
        let mine: Vec<_> = c
            .boundaries
            .iter()
            .filter(|b| c.is_me(&b.author) && b.status != BoundaryStatus::Retired)
            .collect();
        if !mine.is_empty() {
            ui.horizontal(|ui| {
                let chosen = mine
                    .iter()
                    .find(|b| Some(&b.id) == self.boundary.as_ref())
                    .map(|b| b.text.clone())
                    .unwrap_or_else(|| "choose one".into());
                egui::ComboBox::from_label("Which of your boundaries")
                    .selected_text(chosen)
                    .show_ui(ui, |ui| {
                        for b in &mine {
                            ui.selectable_value(&mut self.boundary, Some(b.id.clone()), &b.text);
                        }
                    });
                if ui
                    .add_enabled(
                        ready && self.boundary.is_some(),
                        egui::Button::new("Propose it as that boundary's new wording"),
                    )
                    .clicked()
                    && let Some(id) = self.boundary.clone()
                {
                    let (w, t) = (week.to_owned(), self.plan.clone());
                    ctx.worker.command(
                        ctx.device,
                        |_| "New wording proposed; it stands once you both agree.".into(),
                        move |d| d.amend_from_meeting(&w, &id, &t),
                    );
                }
            });
        }
        ui.add_space(6.0);
        if ui.button("Close the meeting…").clicked() {
            self.asking_close = true;
        }
    }
}

impl View for MeetingPage {
    fn title(&self, _: &Cache, _: &Guide) -> String {
        "Weekly meeting".into()
    }

    fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut Ctx<'_>) {
        let c = ctx.cache;
        let week = self.week.get_or_insert_with(this_week).clone();
        widgets::heading(ui, &format!("Weekly meeting — {week}"));
        widgets::note(ui, view::MEETING_ABOUT);
        let draft = c
            .meeting_drafts
            .iter()
            .find(|d| d.week == week)
            .map(|d| d.points.clone())
            .unwrap_or_default();
        if self.form_of.as_deref() != Some(week.as_str())
            || (self.points() == self.loaded && draft != self.loaded)
        {
            self.load_form(&week, draft);
        }
        let meeting = c
            .meetings
            .iter()
            .find(|m| m.week == week)
            .cloned()
            .unwrap_or(Meeting {
                week: week.clone(),
                sides: Vec::new(),
                heard: Vec::new(),
                outcomes: Vec::new(),
                held: None,
            });
        if meeting.closed_refusal().is_none() {
            self.prepare(ui, ctx, &week, &meeting);
        }
        self.walk(ui, ctx, &week, &meeting);
        if self.asking_close {
            match dialogs::confirm(
                ui.ctx(),
                "close-meeting",
                "Close this meeting?",
                &[
                    "Nothing more can be brought or added to it, on either device. What you made of it stays: promises and new wordings go on as usual.",
                ],
                "Close it",
                "Not yet",
            ) {
                Some(true) => {
                    let w = week.clone();
                    ctx.worker.command(
                        ctx.device,
                        |_| "The meeting is closed.".into(),
                        move |d| d.hold_meeting(&w),
                    );
                    self.asking_close = false;
                }
                Some(false) => self.asking_close = false,
                None => {}
            }
        }

        let others: Vec<_> = ctx
            .cache
            .meetings
            .iter()
            .filter(|m| m.week != week)
            .collect();
        let this = this_week();
        if !others.is_empty() || week != this {
            ui.add_space(8.0);
            ui.label(egui::RichText::new("Other weeks").strong());
            if week != this && ui.button("Back to this week").clicked() {
                self.week = Some(this.clone());
                self.step = 0;
            }
            for m in others.iter().rev() {
                ui.horizontal(|ui| {
                    ui.label(view::meeting_line(m, &ctx.cache.names()));
                    if ui.small_button(format!("Open {}", m.week)).clicked() {
                        self.week = Some(m.week.clone());
                        self.step = 0;
                    }
                });
            }
        }
    }
}
