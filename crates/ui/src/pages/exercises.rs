//! Exercises to do together: the partner's proposals to answer, the ones planned,
//! a history with reflections, and the library by stage to propose from. Who may
//! do what is the journal's (`Exercise::*_refusal`); this page offers a button
//! only where the answer is yes, and the device words every state.

use kintsugi_device::{Device, Exercise, ExerciseStatus, PartnerId, Visibility, parse_date, view};

use super::{Ctx, View};
use crate::dialogs;
use crate::guide::Guide;
use crate::model::Cache;
use crate::widgets::{self, GOLD};

#[derive(Default)]
pub struct Exercises {
    /// The partner's dates waiting for my answer, the rest still ahead, and the
    /// history (done or called off), each as indices into the cached list.
    waiting: widgets::Picked<Exercise, Option<PartnerId>>,
    ahead: widgets::Picked<Exercise, Option<PartnerId>>,
    past: widgets::Picked<Exercise, Option<PartnerId>>,
    /// A date being chosen: for a new proposal or another date for one planned.
    dating: Option<Dating>,
    reflecting: Option<Reflecting>,
    /// The exercise the person asked to call off.
    cancelling: Option<String>,
    /// A planned exercise (a search result) or one of the library (from a stage's
    /// page) to bring into view and mark.
    reveal: widgets::Reveal,
}

/// What a date is being chosen for.
enum DateFor {
    /// The library's exercise, by id.
    New(String),
    /// A planned exercise, by id.
    Another(String),
}

struct Dating {
    what: DateFor,
    title: String,
    date: String,
    /// The date on the table when the dialog opened (for another date).
    was: Option<String>,
    /// Whether an agreed date stands while a new one waits.
    planned: bool,
}

struct Reflecting {
    id: String,
    title: String,
    text: String,
    /// Where to keep it: nothing is chosen for the person.
    keep: Option<Visibility>,
}

/// What a row asked for beyond a plain device command.
enum Act {
    Date(Dating),
    Reflect(Reflecting),
    Cancel(String),
}

impl View for Exercises {
    fn title(&self, cache: &Cache, _: &Guide) -> String {
        let names = cache.names();
        let waiting = cache
            .exercises
            .iter()
            .filter(|e| view::waits_for_me(e, &names))
            .count();
        if waiting > 0 {
            format!("Exercises ({waiting} to answer)")
        } else {
            "Exercises".into()
        }
    }

    fn reveal(&mut self, id: String) {
        self.reveal.ask(id);
    }

    fn hidden(&mut self) {
        self.reveal = widgets::Reveal::default();
    }

    fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut Ctx<'_>) {
        widgets::heading(ui, "Exercises");
        widgets::note(
            ui,
            "Things to do together, a step at a time. Propose one for a day; your partner \
             accepts the day or suggests another. Afterwards each of you marks it done and \
             may write a reflection, kept private or shared.",
        );
        let c = ctx.cache;
        let names = c.names();
        let me = c.me.clone();
        let mut act = None;

        let waiting = self
            .waiting
            .rows(&c.exercises, me.clone(), |e| view::waits_for_me(e, &names))
            .to_vec();
        if !waiting.is_empty() {
            ui.label(egui::RichText::new("Waiting for your answer").strong());
            for &i in &waiting {
                if let Some(e) = c.exercises.get(i) {
                    exercise(ui, ctx, e, &self.reveal, &mut act);
                }
            }
        }

        ui.label(egui::RichText::new("Planned and proposed").strong());
        let ahead = self
            .ahead
            .rows(&c.exercises, me.clone(), |e| {
                matches!(e.status, ExerciseStatus::Proposed | ExerciseStatus::Planned)
                    && !view::waits_for_me(e, &names)
            })
            .to_vec();
        if ahead.is_empty() {
            widgets::note(
                ui,
                "Nothing planned yet: choose one from the library below.",
            );
        }
        for &i in &ahead {
            if let Some(e) = c.exercises.get(i) {
                exercise(ui, ctx, e, &self.reveal, &mut act);
            }
        }

        let past = self
            .past
            .rows(&c.exercises, me, |e| {
                matches!(e.status, ExerciseStatus::Done | ExerciseStatus::Cancelled)
            })
            .to_vec();
        egui::CollapsingHeader::new(format!("History ({})", past.len()))
            .id_salt("exercise-history")
            .default_open(true)
            .show(ui, |ui| {
                if past.is_empty() {
                    widgets::note(ui, "Exercises you did or called off show here.");
                }
                // Newest first.
                for &i in past.iter().rev() {
                    if let Some(e) = c.exercises.get(i) {
                        exercise(ui, ctx, e, &self.reveal, &mut act);
                    }
                }
            });

        ui.add_space(8.0);
        ui.label(egui::RichText::new("The library").strong());
        for n in 1..=7u8 {
            let of_stage: Vec<&view::LibraryExercise> =
                view::library().iter().filter(|e| e.stage == n).collect();
            if of_stage.is_empty() {
                continue;
            }
            egui::CollapsingHeader::new(format!("{n}. {}", view::stage_title(n)))
                .id_salt(("exercise-stage", n))
                .default_open(true)
                .show(ui, |ui| {
                    for e in of_stage {
                        if let Some(a) = library_exercise(ui, e, &self.reveal) {
                            act = Some(a);
                        }
                    }
                });
        }

        self.reveal.settle();
        match act {
            Some(Act::Date(d)) => self.dating = Some(d),
            Some(Act::Reflect(r)) => self.reflecting = Some(r),
            Some(Act::Cancel(id)) => self.cancelling = Some(id),
            None => {}
        }
        self.date_dialog(ui.ctx(), ctx);
        self.reflect_dialog(ui.ctx(), ctx);
        self.cancel_question(ui.ctx(), ctx);
    }
}

impl Exercises {
    fn date_dialog(&mut self, egui_ctx: &egui::Context, ctx: &Ctx<'_>) {
        let Some(d) = &mut self.dating else {
            return;
        };
        let partner = ctx.cache.names().partner_name();
        let (title, save) = match d.what {
            DateFor::New(_) => (format!("Propose \u{201c}{}\u{201d}", d.title), "Propose"),
            DateFor::Another(_) => ("Suggest another date".to_string(), "Suggest this date"),
        };
        let (answer, closed) = dialogs::dialog(egui_ctx, "exercise-date", &title, true, |ui| {
            widgets::field(ui, "Date (YYYY-MM-DD)", &mut d.date);
            let ok = parse_date(d.date.trim()).is_ok();
            if !ok {
                widgets::error_text(ui, "Write the date like 2026-12-02.");
            }
            widgets::note(
                ui,
                &format!("{partner} can accept this date or suggest another one."),
            );
            if d.planned {
                widgets::note(
                    ui,
                    "The date you both agreed on stands until they accept the new one.",
                );
            }
            let changed = d.was.as_deref() != Some(d.date.trim());
            dialogs::form_buttons(ui, save, ok && changed)
        });
        match answer {
            Some(true) => {
                let date = d.date.trim().to_owned();
                match &d.what {
                    DateFor::New(exercise) => {
                        let exercise = exercise.clone();
                        ctx.worker.command(
                            ctx.device,
                            move |_| {
                                format!(
                                    "Proposed. {partner} can accept it or suggest another date."
                                )
                            },
                            move |dev| dev.propose_exercise(&exercise, &date),
                        );
                    }
                    DateFor::Another(id) => {
                        let id = id.clone();
                        ctx.worker.command(
                            ctx.device,
                            move |_| format!("Suggested. It is up to {partner} to accept it."),
                            move |dev| dev.suggest_exercise_date(&id, &date),
                        );
                    }
                }
                self.dating = None;
            }
            Some(false) => self.dating = None,
            None if matches!(closed, dialogs::Closed::Dismissed) => self.dating = None,
            None => {}
        }
    }

    fn reflect_dialog(&mut self, egui_ctx: &egui::Context, ctx: &Ctx<'_>) {
        let Some(r) = &mut self.reflecting else {
            return;
        };
        let partner = ctx.cache.names().partner_name();
        let title = format!("Your reflection on \u{201c}{}\u{201d}", r.title);
        let (answer, closed) = dialogs::dialog(egui_ctx, "exercise-reflect", &title, true, |ui| {
            dialogs::area(ui, "Reflection", &mut r.text, 5);
            ui.label("Where should it be kept?");
            ui.radio_value(&mut r.keep, Some(Visibility::Private), "Keep it private");
            widgets::note(ui, view::REFLECTION_PRIVATE);
            ui.radio_value(
                &mut r.keep,
                Some(Visibility::Shared),
                format!("Share it with {partner}"),
            );
            widgets::note(ui, view::REFLECTION_SHARED);
            let ready = r.keep.is_some() && !r.text.trim().is_empty();
            dialogs::form_buttons(ui, "Save reflection", ready)
        });
        match answer {
            Some(true) => {
                if let Some(keep) = r.keep {
                    let (id, text) = (r.id.clone(), std::mem::take(&mut r.text));
                    ctx.worker.command(
                        ctx.device,
                        move |_| match keep {
                            Visibility::Private => view::REFLECTION_PRIVATE.into(),
                            Visibility::Shared => view::REFLECTION_SHARED.into(),
                        },
                        move |d| d.reflect_on_exercise(&id, &text, keep),
                    );
                }
                self.reflecting = None;
            }
            Some(false) => self.reflecting = None,
            None if matches!(closed, dialogs::Closed::Dismissed) => self.reflecting = None,
            None => {}
        }
    }

    fn cancel_question(&mut self, egui_ctx: &egui::Context, ctx: &Ctx<'_>) {
        let Some(id) = &self.cancelling else {
            return;
        };
        let answer = dialogs::confirm(
            egui_ctx,
            "exercise-cancel",
            "Call off this exercise?",
            &[
                "It will not be done on this date. It stays in both your histories as called \
                 off, with who called it off and when.",
                "You can propose it again for another day whenever you like.",
            ],
            "Call it off",
            "Keep it",
        );
        match answer {
            Some(true) => {
                let id = id.clone();
                ctx.worker.command(
                    ctx.device,
                    |_| "Called off.".into(),
                    move |d| d.cancel_exercise(&id),
                );
                self.cancelling = None;
            }
            Some(false) => self.cancelling = None,
            None => {}
        }
    }
}

/// One planned exercise: what it is, where it stands, its reflections and the
/// buttons the journal allows this person now.
fn exercise(
    ui: &mut egui::Ui,
    ctx: &Ctx<'_>,
    e: &Exercise,
    reveal: &widgets::Reveal,
    act: &mut Option<Act>,
) {
    let c = ctx.cache;
    let names = c.names();
    let title = view::exercise_title(&e.exercise);
    let group = ui.group(|ui| {
        ui.set_width(ui.available_width());
        ui.label(egui::RichText::new(&title).strong());
        let state = view::exercise_state(e, &names);
        if view::waits_for_me(e, &names) {
            ui.label(egui::RichText::new(state).color(GOLD));
        } else {
            ui.label(state);
        }
        if e.proposals.len() > 1 {
            ui.label(
                egui::RichText::new(format!(
                    "Dates: {}",
                    view::exercise_dates(e, &names).join("; ")
                ))
                .weak(),
            );
        }
        if let Some(guide) = view::library_exercise(&e.exercise) {
            egui::CollapsingHeader::new(format!("Steps ({})", guide.duration()))
                .id_salt(("exercise-steps", &e.id))
                .show(ui, |ui| steps(ui, guide));
        }
        let mut reflections: Vec<&kintsugi_device::Reflection> = e
            .reflections
            .iter()
            .chain(c.reflections.iter().filter(|r| r.exercise == e.id))
            .collect();
        reflections.sort_by_key(|r| (r.created, r.id.clone()));
        for r in reflections {
            let who = names.name(&r.author);
            let whose = if r.private {
                format!("{who} reflected (private, only on your own devices):")
            } else {
                format!("{who} reflected:")
            };
            ui.label(egui::RichText::new(whose).weak());
            ui.label(&r.text);
        }

        let Some(me) = c.me.as_ref() else {
            return;
        };
        ui.horizontal_wrapped(|ui| {
            if e.accept_refusal(me).is_none()
                && let Some(w) = &e.waiting
                && ui.button(format!("Accept {}", view::day(w.date))).clicked()
            {
                let id = e.id.clone();
                ctx.worker.command(
                    ctx.device,
                    |_| "Accepted: it is planned.".into(),
                    move |d| d.accept_exercise_date(&id),
                );
            }
            if e.suggest_refusal().is_none() && ui.button("Suggest another date").clicked() {
                let was = e.date_on_the_table().map(|d| d.to_string());
                *act = Some(Act::Date(Dating {
                    what: DateFor::Another(e.id.clone()),
                    title: title.clone(),
                    date: was.clone().unwrap_or_default(),
                    was,
                    planned: e.date.is_some(),
                }));
            }
            if e.done_refusal(me).is_none() && ui.button("Mark done").clicked() {
                let id = e.id.clone();
                ctx.worker.command(
                    ctx.device,
                    |_| "Marked done.".into(),
                    move |d: &Device| d.mark_exercise_done(&id),
                );
            }
            if e.reflect_refusal(me).is_none() && ui.button("Write a reflection").clicked() {
                *act = Some(Act::Reflect(Reflecting {
                    id: e.id.clone(),
                    title: title.clone(),
                    text: String::new(),
                    keep: None,
                }));
            }
            if e.cancel_refusal().is_none() && ui.button("Call off").clicked() {
                *act = Some(Act::Cancel(e.id.clone()));
            }
        });
    });
    mark(ui, reveal, &e.id, &group.response);
}

/// Outlines the exercise a search result or a stage's page opened, and scrolls to
/// it the first time.
fn mark(ui: &egui::Ui, reveal: &widgets::Reveal, id: &str, shown: &egui::Response) {
    if !reveal.is(id) {
        return;
    }
    if reveal.pending() {
        shown.scroll_to_me(Some(egui::Align::TOP));
    }
    ui.painter().rect_stroke(
        shown.rect.expand(2.0),
        egui::CornerRadius::same(3),
        egui::Stroke::new(1.5, GOLD),
        egui::StrokeKind::Inside,
    );
}

fn steps(ui: &mut egui::Ui, e: &view::LibraryExercise) {
    for (i, step) in e.steps.iter().enumerate() {
        ui.label(format!("{}. {step}", i + 1));
    }
}

/// One exercise of the library: its title and length, opened to its summary,
/// steps and the button that proposes it.
fn library_exercise(
    ui: &mut egui::Ui,
    e: &view::LibraryExercise,
    reveal: &widgets::Reveal,
) -> Option<Act> {
    let mut act = None;
    let mut header = egui::CollapsingHeader::new(format!("{} \u{00b7} {}", e.title, e.duration()))
        .id_salt(("library", &e.id));
    if reveal.pending() && reveal.is(&e.id) {
        header = header.open(Some(true));
    }
    let shown = header.show(ui, |ui| {
        ui.label(egui::RichText::new(&e.summary).italics());
        steps(ui, e);
        if ui.button("Propose for a date\u{2026}").clicked() {
            let tomorrow = chrono::Local::now().date_naive() + chrono::Days::new(1);
            act = Some(Act::Date(Dating {
                what: DateFor::New(e.id.clone()),
                title: e.title.clone(),
                date: tomorrow.to_string(),
                was: None,
                planned: false,
            }));
        }
    });
    mark(ui, reveal, &e.id, &shown.header_response);
    act
}
