//! The pages of the unlocked app: each is one file with a [`View`], and one line in
//! [`registry`] gives it its place in the navigation (as egui's demo app keeps its
//! demos in a list of `Box<dyn Demo>`).

mod boundaries;
mod checkins;
mod diary;
mod exercises;
mod home;
mod letters;
mod link;
mod meeting;
mod packet;
mod pair;
mod promises;
mod search;
mod settings;
mod shared;
mod stages;
mod triggers;

use kintsugi_device::Device;

use crate::guide::Guide;
use crate::model::{AutoLock, Cache, NetState, Page, Prompt};
use crate::work::{Done, Worker};

/// What a page may use while it draws. Pages read the cache and hand anything that
/// touches the device or the network to the worker.
pub struct Ctx<'a> {
    pub device: &'a Device,
    pub worker: &'a Worker,
    pub cache: &'a Cache,
    pub guide: &'a Guide,
    pub net: &'a NetState,
    pub auto_lock: &'a mut AutoLock,
    /// Set through [`Ctx::go`]; the session opens it after the frame ([`Pages::open`]).
    pub goto: &'a mut Option<Goto>,
}

impl Ctx<'_> {
    /// Opens `page` after this frame.
    pub fn go(&mut self, page: Page) {
        *self.goto = Some(Goto {
            page,
            prompt: None,
            reveal: None,
        });
    }

    /// Opens `page` after this frame at the entry `id` (see [`View::reveal`]).
    pub fn go_to_entry(&mut self, page: Page, id: String) {
        *self.goto = Some(Goto {
            page,
            prompt: None,
            reveal: Some(id),
        });
    }

    /// Opens `page` after this frame and hands it `prompt` (see [`View::open_with`]).
    pub fn go_with(&mut self, page: Page, prompt: Prompt) {
        *self.goto = Some(Goto {
            page,
            prompt: Some(prompt),
            reveal: None,
        });
    }
}

/// Asks before the author withdraws one of their shared entries (`pending` holds
/// its id while the question is open), then has the device withdraw it. Every kind
/// asks through here so each says the same about what the partner keeps; `also` adds
/// what is true of one kind only.
pub fn ask_withdraw(
    egui_ctx: &egui::Context,
    ctx: &Ctx<'_>,
    what: &str,
    also: Option<&str>,
    pending: &mut Option<String>,
    withdraw: fn(&Device, &str) -> kintsugi_device::Result<()>,
) {
    let Some(id) = pending.as_ref() else {
        return;
    };
    let mut lines = vec![
        "It leaves the list here at once, and on your partner's device the next time your \
         devices sync.",
        "It cannot undo what your partner already received: their device keeps it in its \
         history and in any export made before, and they may have read it.",
    ];
    lines.extend(also);
    let answer = crate::dialogs::confirm(
        egui_ctx,
        &format!("withdraw-{what}"),
        &format!("Withdraw this {what}?"),
        &lines,
        "Withdraw it",
        "Keep it",
    );
    match answer {
        Some(true) => {
            let id = id.clone();
            ctx.worker.command(
                ctx.device,
                |_| kintsugi_device::view::WITHDRAWN.into(),
                move |d| withdraw(d, &id),
            );
            *pending = None;
        }
        Some(false) => *pending = None,
        None => {}
    }
}

/// Where a page asked to go.
pub struct Goto {
    pub page: Page,
    pub prompt: Option<Prompt>,
    /// An entry to show (a search result's id).
    pub reveal: Option<String>,
}

/// One page.
pub trait View {
    /// Its entry in the navigation (which may depend on what the cache holds).
    fn title(&self, cache: &Cache, guide: &Guide) -> String;

    /// Draws the page.
    fn ui(&mut self, ui: &mut egui::Ui, ctx: &mut Ctx<'_>);

    /// Called on frames that show another page.
    fn hidden(&mut self) {}

    /// Another page opened this one to write about `prompt`.
    fn open_with(&mut self, _prompt: Prompt) {}

    /// A search result opened this page at the entry `id`: the page brings it into
    /// view and marks it.
    fn reveal(&mut self, _id: String) {}

    /// Background work finished; a page takes what it started and hands back the rest.
    fn on_done(&mut self, done: Done) -> Option<Done> {
        Some(done)
    }
}

/// Groups in the navigation, drawn in this order with a separator between them.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Journal,
    Stages,
    Partner,
    /// Pages reached from another page only (not in [`Section::ALL`], so never drawn
    /// in the navigation).
    Elsewhere,
}

impl Section {
    const ALL: [Section; 3] = [Section::Journal, Section::Stages, Section::Partner];

    fn heading(self) -> Option<&'static str> {
        match self {
            Section::Stages => Some("The seven stages"),
            Section::Journal | Section::Partner | Section::Elsewhere => None,
        }
    }
}

struct Entry {
    page: Page,
    section: Section,
    make: Box<dyn Fn() -> Box<dyn View>>,
    view: Box<dyn View>,
}

fn entry<V: View + 'static>(page: Page, section: Section, make: impl Fn() -> V + 'static) -> Entry {
    let make: Box<dyn Fn() -> Box<dyn View>> = Box::new(move || Box::new(make()));
    let view = make();
    Entry {
        page,
        section,
        make,
        view,
    }
}

/// Every page, in navigation order.
fn registry() -> Vec<Entry> {
    use Section::*;
    let mut pages = vec![
        entry(Page::Home, Journal, home::Home::default),
        entry(Page::Search, Journal, search::Search::default),
        entry(Page::Boundaries, Journal, boundaries::Boundaries::default),
        entry(Page::Checkins, Journal, checkins::Checkins::default),
        entry(Page::Meeting, Journal, meeting::MeetingPage::default),
        entry(Page::Letters, Journal, letters::Letters::default),
        entry(Page::Promises, Journal, promises::Promises::default),
        entry(Page::Exercises, Journal, exercises::Exercises::default),
        entry(Page::Diary, Journal, diary::Diary::default),
        entry(Page::Triggers, Journal, triggers::Triggers::default),
        entry(Page::Shared, Journal, shared::Shared::default),
        entry(Page::Packet, Journal, packet::Packet::default),
        entry(Page::Pair, Partner, pair::Pair::default),
        entry(Page::Settings, Partner, settings::Settings::default),
        entry(Page::Link, Elsewhere, link::Link::default),
    ];
    pages.extend((1..=7u8).map(|n| entry(Page::Stage(n), Stages, move || stages::Stage::new(n))));
    pages
}

/// The pages of one session, with what each holds (typed text, open forms).
pub struct Pages {
    entries: Vec<Entry>,
}

impl Default for Pages {
    fn default() -> Self {
        Self {
            entries: registry(),
        }
    }
}

impl Pages {
    /// The navigation: one selectable entry per page, by section.
    pub fn nav(&self, ui: &mut egui::Ui, current: &mut Page, cache: &Cache, guide: &Guide) {
        for (i, section) in Section::ALL.into_iter().enumerate() {
            if i > 0 {
                ui.separator();
            }
            if let Some(h) = section.heading() {
                ui.label(egui::RichText::new(h).weak());
            }
            for e in self.entries.iter().filter(|e| e.section == section) {
                let title = e.view.title(cache, guide);
                if ui.selectable_label(*current == e.page, title).clicked() {
                    *current = e.page;
                }
            }
        }
    }

    /// Draws `page`.
    pub fn ui(&mut self, page: Page, ui: &mut egui::Ui, ctx: &mut Ctx<'_>) {
        for e in &mut self.entries {
            if e.page == page {
                e.view.ui(ui, ctx);
            } else {
                e.view.hidden();
            }
        }
    }

    /// Where a page asked to go: hands the page what it was given; returns the page.
    pub fn open(&mut self, goto: Goto) -> Page {
        let Goto {
            page,
            prompt,
            reveal,
        } = goto;
        if let Some(e) = self.entries.iter_mut().find(|e| e.page == page) {
            if let Some(prompt) = prompt {
                e.view.open_with(prompt);
            }
            if let Some(id) = reveal {
                e.view.reveal(id);
            }
        }
        page
    }

    /// Hands finished work to the page that started it.
    pub fn on_done(&mut self, done: Done) {
        let mut left = Some(done);
        for e in &mut self.entries {
            match left.take() {
                Some(d) => left = e.view.on_done(d),
                None => return,
            }
        }
    }

    /// Starts `page` over, forgetting what it held.
    pub fn reset(&mut self, page: Page) {
        if let Some(e) = self.entries.iter_mut().find(|e| e.page == page) {
            e.view = (e.make)();
        }
    }
}
