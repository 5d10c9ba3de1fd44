//! One small struct per page, each with a `ui` method (the egui demo's pattern).

mod boundaries;
mod checkins;
mod diary;
mod home;
mod letters;
mod pair;
mod promises;
mod settings;
mod stages;

use kintsugi_device::Device;

use crate::guide::Guide;
use crate::session::{Cache, NetState, Page};
use crate::work::Worker;

/// What a page may use while it draws.
pub struct Ctx<'a> {
    pub device: &'a Device,
    pub worker: &'a Worker,
    pub cache: &'a Cache,
    pub guide: &'a Guide,
    pub net: &'a NetState,
    pub goto: &'a mut Option<Page>,
}

#[derive(Default)]
pub struct Pages {
    home: home::Home,
    boundaries: boundaries::Boundaries,
    checkins: checkins::Checkins,
    letters: letters::Letters,
    promises: promises::Promises,
    pub diary: diary::Diary,
    stages: stages::Stages,
    pub pair: pair::Pair,
    pub settings: settings::Settings,
}

impl Pages {
    pub fn ui(&mut self, page: Page, ui: &mut egui::Ui, ctx: &mut Ctx<'_>) {
        if page != Page::Pair {
            self.pair.end_frame();
        }
        match page {
            Page::Home => self.home.ui(ui, ctx),
            Page::Boundaries => self.boundaries.ui(ui, ctx),
            Page::Checkins => self.checkins.ui(ui, ctx),
            Page::Letters => self.letters.ui(ui, ctx),
            Page::Promises => self.promises.ui(ui, ctx),
            Page::Diary => self.diary.ui(ui, ctx),
            Page::Stage(n) => {
                if let Some(seed) = self.stages.ui(n, ui, ctx) {
                    self.diary.seed(seed.0, seed.1);
                    *ctx.goto = Some(Page::Diary);
                }
            }
            Page::Pair => self.pair.ui(ui, ctx),
            Page::Settings => self.settings.ui(ui, ctx),
        }
    }
}
