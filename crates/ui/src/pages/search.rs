//! Search across everything this device can read, as the person types.
//!
//! The rule is the device's (`kintsugi_device::search`), run on the lists the
//! session's cache already holds, never on the device: no lock, no disk. It runs
//! on the worker, again only when the words, a filter or one of the lists changed,
//! so typing stays smooth at tens of thousands of entries; results of a search
//! overtaken by a newer one are dropped.

use std::sync::atomic::{AtomicU64, Ordering};

use kintsugi_device::{SearchHit, SearchKind, SearchLists, SearchQuery, parse_date};

use super::{Ctx, View};
use crate::guide::Guide;
use crate::model::{Cache, Page};
use crate::widgets;
use crate::work::Done;

/// Numbers searches across sessions, so a result still on its way when the app
/// locked can never land in the next session's page.
static SEARCHES: AtomicU64 = AtomicU64::new(1);

#[derive(Default)]
pub struct Search {
    text: String,
    /// Ticked kinds, in `SearchKind::ALL` order; none ticked means every kind.
    kinds: [bool; SearchKind::ALL.len()],
    stage: Option<u8>,
    since: String,
    until: String,
    /// What the newest search was asked on.
    asked: Option<(SearchQuery, SearchLists)>,
    /// The newest search's number; the results of older ones are dropped.
    newest: u64,
    /// The results shown: those of the newest search that came back.
    hits: Vec<SearchHit>,
    /// Whether the page was hidden last frame (its field takes the keyboard when it
    /// shows again).
    away: bool,
}

/// How a kind is named in the filters and in each result.
fn kind_name(kind: SearchKind) -> &'static str {
    match kind {
        SearchKind::Boundary => "Boundary",
        SearchKind::Checkin => "Check-in",
        SearchKind::Letter => "Letter",
        SearchKind::Promise => "Promise",
        SearchKind::Shared => "Shared entry",
        SearchKind::Stage => "Stage note",
        SearchKind::Diary => "Diary entry",
        SearchKind::Draft => "Letter draft",
        SearchKind::Reflection => "Shared reflection",
        SearchKind::PrivateReflection => "Private reflection",
    }
}

/// Where a result lives.
fn page_of(hit: &SearchHit) -> Page {
    match hit.kind {
        SearchKind::Boundary => Page::Boundaries,
        SearchKind::Checkin => Page::Checkins,
        SearchKind::Letter | SearchKind::Draft => Page::Letters,
        SearchKind::Promise => Page::Promises,
        SearchKind::Shared => Page::Shared,
        SearchKind::Stage => Page::Stage(hit.stage.unwrap_or(1)),
        SearchKind::Diary => Page::Diary,
        SearchKind::Reflection | SearchKind::PrivateReflection => Page::Exercises,
    }
}

/// Whether `lists` are the very lists the cache holds now.
fn current(lists: &SearchLists, c: &Cache) -> bool {
    lists.boundaries.same(&c.boundaries)
        && lists.checkins.same(&c.checkins)
        && lists.letters.same(&c.letters)
        && lists.promises.same(&c.promises)
        && lists.shared.same(&c.shared)
        && lists.stages.same(&c.stages)
        && lists.diary.same(&c.diary)
        && lists.drafts.same(&c.drafts)
        && lists.exercises.same(&c.exercises)
        && lists.reflections.same(&c.reflections)
}

fn lists_of(c: &Cache) -> SearchLists {
    SearchLists {
        boundaries: c.boundaries.clone(),
        checkins: c.checkins.clone(),
        letters: c.letters.clone(),
        promises: c.promises.clone(),
        shared: c.shared.clone(),
        stages: c.stages.clone(),
        diary: c.diary.clone(),
        drafts: c.drafts.clone(),
        exercises: c.exercises.clone(),
        reflections: c.reflections.clone(),
    }
}

/// A day typed as `YYYY-MM-DD`: `Ok(None)` when blank, `Err` when it does not read.
fn day(text: &str) -> Result<Option<chrono::NaiveDate>, ()> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    parse_date(text).map(Some).map_err(|_| ())
}

impl Search {
    /// The query the page's fields make, and whether both dates read.
    fn query(&self) -> (SearchQuery, bool) {
        let since = day(&self.since);
        let until = day(&self.until);
        let dates_ok = since.is_ok() && until.is_ok();
        let query = SearchQuery {
            text: self.text.trim().to_owned(),
            kinds: SearchKind::ALL
                .into_iter()
                .zip(self.kinds)
                .filter_map(|(k, on)| on.then_some(k))
                .collect(),
            stage: self.stage,
            since: since.ok().flatten(),
            until: until.ok().flatten(),
        };
        (query, dates_ok)
    }
}

impl View for Search {
    fn title(&self, _: &Cache, _: &Guide) -> String {
        "Search".into()
    }

    fn hidden(&mut self) {
        self.away = true;
    }

    fn on_done(&mut self, done: Done) -> Option<Done> {
        match done {
            Done::Searched { number, hits } => {
                if number == self.newest {
                    self.hits = hits;
                }
                None
            }
            other => Some(other),
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut Ctx<'_>) {
        widgets::heading(ui, "Search");
        widgets::note(
            ui,
            "Looks through everything this device can read: the shared journal and your \
             private diary, earlier versions and proposed changes too. Results show as you type. \
             Ctrl+F brings you here from any page.",
        );
        let field = widgets::field(ui, "Search for", &mut self.text);
        if std::mem::take(&mut self.away) {
            field.request_focus();
        }
        ui.horizontal_wrapped(|ui| {
            ui.label("Only:");
            for (kind, on) in SearchKind::ALL.into_iter().zip(&mut self.kinds) {
                ui.checkbox(on, kind_name(kind));
            }
        });
        ui.horizontal(|ui| {
            egui::ComboBox::from_label("Stage")
                .selected_text(
                    self.stage
                        .map(|s| format!("stage {s}"))
                        .unwrap_or_else(|| "any stage".into()),
                )
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.stage, None, "any stage");
                    for s in 1..=7u8 {
                        ui.selectable_value(&mut self.stage, Some(s), format!("stage {s}"));
                    }
                });
        });
        ui.horizontal(|ui| {
            let l = ui.label("From (YYYY-MM-DD)");
            ui.add(
                egui::TextEdit::singleline(&mut self.since)
                    .id_salt("search-since")
                    .desired_width(110.0),
            )
            .labelled_by(l.id);
            let l = ui.label("To (YYYY-MM-DD)");
            ui.add(
                egui::TextEdit::singleline(&mut self.until)
                    .id_salt("search-until")
                    .desired_width(110.0),
            )
            .labelled_by(l.id);
        });

        let (query, dates_ok) = self.query();
        if !dates_ok {
            widgets::error_text(
                ui,
                "Write dates like 2026-12-02; until then they are left out.",
            );
        }
        let c = ctx.cache;
        let asked_nothing = query == SearchQuery::default();
        if asked_nothing {
            self.asked = None;
            self.hits.clear();
            widgets::note(
                ui,
                "Type a word, or pick a kind, a stage or dates, to see what matches.",
            );
            return;
        }
        let fresh = match &self.asked {
            Some((q, lists)) => *q != query || !current(lists, c),
            None => true,
        };
        if fresh {
            let number = SEARCHES.fetch_add(1, Ordering::Relaxed);
            self.newest = number;
            let lists = lists_of(c);
            self.asked = Some((query.clone(), lists.clone()));
            ctx.worker.blocking(move || Done::Searched {
                number,
                hits: kintsugi_device::search(&lists, &query),
            });
        }

        let hits = &self.hits;
        ui.label(
            egui::RichText::new(match hits.len() {
                0 => "Nothing found.".to_string(),
                1 => "1 found".to_string(),
                n => format!("{n} found"),
            })
            .strong(),
        );
        let mut open = None;
        widgets::rows(ui, "search-hits", 54.0, hits.len(), |ui, i| {
            let Some(h) = hits.get(i) else {
                return;
            };
            let mut about = format!(
                "{} · {} · {}",
                kind_name(h.kind),
                c.name(&h.author),
                widgets::when(h.at)
            );
            if let Some(s) = h.stage {
                about.push_str(&format!(" · stage {s}"));
            }
            if h.kind.is_private() {
                about.push_str(" · private");
            }
            about.push_str(&crate::dialogs::edited_mark(h.edited));
            widgets::line(ui, egui::RichText::new(about).weak());
            let first = h.text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            let text = match &h.title {
                Some(t) => format!("{t} — {first}"),
                None => first.to_owned(),
            };
            if ui
                .add(
                    egui::Label::new(egui::RichText::new(text).color(widgets::GOLD))
                        .truncate()
                        .sense(egui::Sense::click()),
                )
                .on_hover_text("Open it where it lives")
                .clicked()
            {
                open = Some((page_of(h), h.id.clone()));
            }
        });
        if let Some((page, id)) = open {
            ctx.go_to_entry(page, id);
        }
    }
}
