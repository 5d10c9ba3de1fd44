//! Small pieces every screen uses: the look, labelled inputs, a crisp QR code.

use egui::{Color32, CornerRadius, RichText, Stroke, Ui};
use kintsugi_device::PassphraseStrength;
use zeroize::Zeroizing;

/// Warm, quiet colours: gold seams on dark ceramic, as in kintsugi itself.
pub const GOLD: Color32 = Color32::from_rgb(0xC9, 0xA2, 0x27);

pub fn style(ctx: &egui::Context) {
    ctx.set_visuals(egui::Visuals::dark());
    ctx.global_style_mut(|s| {
        s.spacing.item_spacing = egui::vec2(8.0, 8.0);
        s.spacing.button_padding = egui::vec2(10.0, 5.0);
        s.visuals.selection.bg_fill = Color32::from_rgb(0x7A, 0x62, 0x14);
        s.visuals.hyperlink_color = GOLD;
    });
}

pub fn heading(ui: &mut Ui, text: &str) {
    ui.label(RichText::new(text).heading().color(GOLD));
}

/// A one-line text field with a visible label that is also its accessible name.
///
/// Text fields take their id from their label rather than from their place on the
/// page, so a row or a note appearing above one (a partner's entry arriving by
/// sync, say) cannot take the keyboard from someone in the middle of typing.
/// A label is therefore used once per page.
pub fn field(ui: &mut Ui, label: &str, value: &mut String) -> egui::Response {
    ui.horizontal(|ui| {
        let l = ui.label(label);
        ui.add(
            egui::TextEdit::singleline(value)
                .id_salt(label)
                .desired_width(320.0),
        )
        .labelled_by(l.id)
    })
    .inner
}

/// A passphrase field. It keeps no undo history: egui's undoer holds plain copies of
/// the text between frames, and Ctrl+Z in a passphrase field helps no one. What
/// the undoer took in during this frame is dropped as the frame's state is stored.
pub fn password(ui: &mut Ui, label: &str, value: &mut String) -> egui::Response {
    ui.horizontal(|ui| {
        let l = ui.label(label);
        let mut out = egui::TextEdit::singleline(value)
            .id_salt(label)
            .password(true)
            .desired_width(280.0)
            .show(ui);
        out.state.clear_undoer();
        out.state.store(ui.ctx(), out.response.id);
        out.response.response.labelled_by(l.id)
    })
    .inner
}

/// A passphrase as typed into a field: zeroized when dropped, in a buffer large
/// enough that typing a passphrase never makes it move (each move would leave a
/// copy of what was typed so far in freed memory, where zeroizing cannot reach it).
pub struct Passphrase(Zeroizing<String>);

impl Default for Passphrase {
    fn default() -> Self {
        Self(Zeroizing::new(String::with_capacity(256)))
    }
}

impl std::ops::Deref for Passphrase {
    type Target = String;
    fn deref(&self) -> &String {
        &self.0
    }
}

impl std::ops::DerefMut for Passphrase {
    fn deref_mut(&mut self) -> &mut String {
        &mut self.0
    }
}

/// Forgets everything egui keeps between frames for the widgets: each text field's
/// cursor and undo history (`TextEditState`, kept in `Memory::data` under the
/// field's id, which stays the same from one session to the next, so Ctrl+Z in a
/// fresh field would bring back what the last one held), and with them every other
/// widget's state, so no kind of widget state is left out. Called when the app
/// locks and when a passphrase is handed to the device.
///
/// Dropping the states frees egui's copies of the text without zeroizing them
/// (the undoer's buffers are egui's own); what it prevents is getting them back.
pub fn forget_typed(ctx: &egui::Context) {
    ctx.memory_mut(|m| {
        m.data.clear();
        if let Some(id) = m.focused() {
            m.surrender_focus(id);
        }
    });
}

pub fn area(ui: &mut Ui, label: &str, value: &mut String, rows: usize) -> egui::Response {
    area_of_width(ui, label, value, rows, f32::INFINITY)
}

/// A multi-line field under its label, which names it for screen readers (and for
/// the tests, which find it the same way).
pub fn area_of_width(
    ui: &mut Ui,
    label: &str,
    value: &mut String,
    rows: usize,
    width: f32,
) -> egui::Response {
    let l = ui.label(label);
    ui.add(
        egui::TextEdit::multiline(value)
            .id_salt(label)
            .desired_rows(rows)
            .desired_width(width),
    )
    .labelled_by(l.id)
}

/// Paints the code module by module, so it stays sharp at any size.
pub fn qr(ui: &mut Ui, size: usize, modules: &[bool], side: f32) -> egui::Response {
    let quiet = 4usize;
    let total = size + 2 * quiet;
    let (rect, response) = ui.allocate_exact_size(egui::vec2(side, side), egui::Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, CornerRadius::ZERO, Color32::WHITE);
    let cell = side / total as f32;
    for y in 0..size {
        for x in 0..size {
            if modules.get(y * size + x).copied().unwrap_or(false) {
                let min =
                    rect.min + egui::vec2((x + quiet) as f32 * cell, (y + quiet) as f32 * cell);
                painter.rect_filled(
                    egui::Rect::from_min_size(min, egui::vec2(cell.ceil(), cell.ceil())),
                    CornerRadius::ZERO,
                    Color32::BLACK,
                );
            }
        }
    }
    painter.rect_stroke(
        rect,
        CornerRadius::ZERO,
        Stroke::new(1.0, GOLD),
        egui::StrokeKind::Outside,
    );
    response.on_hover_text("Invite QR code")
}

/// The live hint under a new passphrase: the device's own rule
/// ([`kintsugi_device::passphrase_strength`]), so the app never offers a passphrase
/// that creating the profile or changing the passphrase would refuse. Rated again
/// only when the passphrase or the name changes, not at every frame.
#[derive(Default)]
pub struct PassphraseHint {
    rated: Option<Rated>,
}

/// The last rating, with what it was rated on (the passphrase zeroized when dropped).
struct Rated {
    pass: Zeroizing<String>,
    name: String,
    strength: PassphraseStrength,
}

impl PassphraseHint {
    /// Shows how strong `pass` is for the person called `name` and, while it is too
    /// weak, why and what would help. Returns whether it may be used.
    pub fn show(&mut self, ui: &mut Ui, pass: &str, name: &str) -> bool {
        let fresh = match &self.rated {
            Some(r) => r.pass.as_str() != pass || r.name != name,
            None => true,
        };
        if fresh {
            self.rated = Some(Rated {
                pass: Zeroizing::new(pass.to_string()),
                name: name.to_string(),
                strength: kintsugi_device::passphrase_strength(pass, name),
            });
        }
        let Some(Rated { strength, .. }) = &self.rated else {
            return false;
        };
        let (text, colour) = if pass.is_empty() {
            (String::new(), Color32::GRAY)
        } else if strength.acceptable && strength.score >= 4 {
            ("Strong".to_string(), Color32::from_rgb(0x5C, 0xB8, 0x5C))
        } else if strength.acceptable {
            (
                "Strong enough".to_string(),
                Color32::from_rgb(0x5C, 0xB8, 0x5C),
            )
        } else {
            (
                format!("Too easy to guess: {}", strength.advice()),
                Color32::from_rgb(0xE0, 0x90, 0x40),
            )
        };
        ui.label(RichText::new(text).color(colour));
        strength.acceptable
    }
}

pub fn when(ms: i64) -> String {
    kintsugi_device::format_time(ms)
}

pub fn error_text(ui: &mut Ui, text: &str) {
    ui.label(RichText::new(text).color(Color32::from_rgb(0xE0, 0x70, 0x70)));
}

pub fn note(ui: &mut Ui, text: &str) {
    ui.label(RichText::new(text).weak().italics());
}

/// A scrolling list that lays out only the rows in view, so a list of 10,000 entries
/// costs a frame what a list of ten does. Every row gets the same height (that is what
/// lets the list skip the rest); long text is cut to fit with [`line`] and shown
/// whole on hover or when opened.
pub fn rows(
    ui: &mut Ui,
    id_salt: &str,
    row_height: f32,
    count: usize,
    row: impl FnMut(&mut Ui, usize),
) {
    rows_at(ui, id_salt, row_height, count, None, row);
}

/// [`rows`], scrolled this once so that row `scroll_to` is at the top (an entry a
/// search result opened).
pub fn rows_at(
    ui: &mut Ui,
    id_salt: &str,
    row_height: f32,
    count: usize,
    scroll_to: Option<usize>,
    mut row: impl FnMut(&mut Ui, usize),
) {
    if count == 0 {
        ui.label(RichText::new("Nothing here yet.").weak());
        return;
    }
    let mut area = egui::ScrollArea::vertical()
        .id_salt(id_salt)
        .max_height(420.0)
        .auto_shrink([false, true]);
    if let Some(i) = scroll_to {
        area = area.vertical_scroll_offset(i as f32 * (row_height + ui.spacing().item_spacing.y));
    }
    area.show_rows(ui, row_height, count, |ui, range| {
        for i in range {
            let (rect, _) = ui.allocate_exact_size(
                egui::vec2(ui.available_width(), row_height),
                egui::Sense::hover(),
            );
            let mut child = ui.new_child(
                egui::UiBuilder::new()
                    .id_salt((id_salt, i))
                    .max_rect(rect.shrink2(egui::vec2(4.0, 2.0)))
                    .layout(egui::Layout::top_down(egui::Align::Min)),
            );
            child.set_clip_rect(rect.intersect(ui.clip_rect()));
            row(&mut child, i);
            ui.painter().hline(
                rect.x_range(),
                rect.bottom() - 1.0,
                Stroke::new(1.0, Color32::from_gray(60)),
            );
        }
    });
}

/// The entry a search result opened on a list page: scrolled to once, outlined
/// while the page shows it.
#[derive(Default)]
pub struct Reveal {
    pending: Option<String>,
    found: Option<String>,
}

impl Reveal {
    pub fn ask(&mut self, id: String) {
        self.pending = Some(id.clone());
        self.found = Some(id);
    }

    /// Whether an entry was asked for and not yet scrolled to.
    pub fn pending(&self) -> bool {
        self.pending.is_some()
    }

    /// In the frame after [`Reveal::ask`]: where the entry is among `ids`, in the
    /// order the list shows them. A walk over the list, once per search result
    /// opened: the page calls [`Reveal::settle`] once it drew its lists.
    pub fn scroll_to<'a>(&self, mut ids: impl Iterator<Item = &'a str>) -> Option<usize> {
        let id = self.pending.as_deref()?;
        ids.position(|x| x == id)
    }

    /// The entry asked for has been looked for in every list of the page.
    pub fn settle(&mut self) {
        self.pending = None;
    }

    pub fn is(&self, id: &str) -> bool {
        self.found.as_deref() == Some(id)
    }

    /// Outlines the row being drawn in `ui` when it is the entry asked for.
    pub fn outline(&self, ui: &Ui, id: &str) {
        if self.is(id) {
            ui.painter().rect_stroke(
                ui.max_rect().expand(2.0),
                CornerRadius::same(3),
                Stroke::new(1.5, GOLD),
                egui::StrokeKind::Inside,
            );
        }
    }
}

/// One line of a list row: cut with "…" when too long, the whole text on hover.
pub fn line(ui: &mut Ui, text: impl Into<egui::WidgetText>) -> egui::Response {
    ui.add(egui::Label::new(text).truncate())
}

/// The rows of a list a page shows, worked out again only when the device hands
/// over a new list or the person changes the choice (`key`), not on every frame:
/// at 100,000 boundaries, splitting them by status took 7.8 ms a frame.
pub struct Picked<T, K> {
    of: Option<(kintsugi_device::List<T>, K)>,
    rows: Vec<usize>,
}

impl<T, K> Default for Picked<T, K> {
    fn default() -> Self {
        Self {
            of: None,
            rows: Vec::new(),
        }
    }
}

impl<T, K: PartialEq> Picked<T, K> {
    /// Indices into `list` of the entries `pick` keeps, in list order.
    pub fn rows(
        &mut self,
        list: &kintsugi_device::List<T>,
        key: K,
        pick: impl Fn(&T) -> bool,
    ) -> &[usize] {
        let current = matches!(&self.of, Some((l, k)) if l.same(list) && *k == key);
        if !current {
            self.rows = list
                .iter()
                .enumerate()
                .filter(|(_, e)| pick(e))
                .map(|(i, _)| i)
                .collect();
            self.of = Some((list.clone(), key));
        }
        &self.rows
    }
}
