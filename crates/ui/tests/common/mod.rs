//! What every app test does as a person would: open a window on a real profile in a
//! temporary folder, step it until something shows, find a field or a button by its
//! label, scroll to it and click or type, and pair two windows the way two people
//! pair. Kept in one place so that a change to how the app is driven is made once.

#![allow(dead_code)] // each test file uses its own part

use std::path::Path;
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use kintsugi_device::{Device, KdfParams, NetOverrides, NetworkMode};
use kintsugi_ui::{AppConfig, KintsugiApp, Page};

pub type App = Harness<'static, KintsugiApp>;

pub const PASS: &str = "a long passphrase for tests";
pub const SIZE: egui::Vec2 = egui::vec2(1100.0, 800.0);

/// A profile at `dir/profile` with the fast test KDF; with `network`, syncing over
/// loopback only, at remembered addresses (no relay, no discovery).
pub fn config(dir: &Path, network: bool) -> AppConfig {
    let mut c = AppConfig::new(dir.join("profile"));
    c.kdf = KdfParams::INSECURE_FAST;
    c.network = network;
    c.reminders = false;
    c.net = NetOverrides {
        mode: Some(NetworkMode::Direct),
        bind: Some(kintsugi_device::Bind::Socket(([127, 0, 0, 1], 0).into())),
        relay: None,
    };
    c
}

pub fn app(config: AppConfig) -> App {
    Harness::builder()
        .with_size(SIZE)
        .build_eframe(move |cc| KintsugiApp::new(&cc.egui_ctx, config))
}

/// Steps the windows until `done` holds; background work and the partner's device
/// need real time.
pub fn until(windows: &mut [&mut App], what: &str, done: impl Fn(&[&mut App]) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        for w in windows.iter_mut() {
            w.step();
        }
        if done(windows) {
            for w in windows.iter_mut() {
                w.run_steps(2);
            }
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(15));
    }
}

/// Steps the window until `cond` holds (something read from a device, say).
pub fn wait(h: &mut App, what: &str, cond: impl Fn() -> bool) {
    until(&mut [h], what, |_| cond());
}

/// Steps the window until the app's own state satisfies `cond`.
pub fn wait_for(h: &mut App, what: &str, cond: impl Fn(&KintsugiApp) -> bool) {
    until(&mut [h], what, |w| cond(w[0].state()));
}

pub fn shows(h: &App, label: &str) -> bool {
    h.query_all_by_label_contains(label).next().is_some()
}

/// Steps until something whose label contains `label` is on screen: the window
/// shows a change a frame or two after the device reports it.
pub fn see(h: &mut App, label: &str) {
    until(&mut [h], &format!("{label:?} to show"), |w| {
        shows(w[0], label)
    });
}

/// Steps until something labelled exactly `label` is on screen.
pub fn see_exact(h: &mut App, label: &str) {
    until(&mut [h], &format!("{label:?} to show"), |w| {
        w[0].query_all_by_label(label).next().is_some()
    });
}

/// Steps until nothing whose label contains `label` is on screen.
pub fn gone(h: &mut App, label: &str) {
    until(&mut [h], &format!("{label:?} to go"), |w| {
        !shows(w[0], label)
    });
}

/// Steps both windows until `label` shows in `h`'s (the other keeps syncing).
pub fn see_in(h: &mut App, other: &mut App, label: &str) {
    until(&mut [h, other], &format!("{label:?} to show"), |w| {
        shows(w[0], label)
    });
}

pub fn gone_in(h: &mut App, other: &mut App, label: &str) {
    until(&mut [h, other], &format!("{label:?} to go"), |w| {
        !shows(w[0], label)
    });
}

/// The field labelled `label`; where two are (a dialog's field over the page's own
/// of the same name), the last drawn, which is the one on top.
pub fn input<'a>(h: &'a App, label: &'a str) -> egui_kittest::Node<'a> {
    [
        Role::TextInput,
        Role::PasswordInput,
        Role::MultilineTextInput,
    ]
    .into_iter()
    .find_map(|role| h.query_all_by_role_and_label(role, label).last())
    .unwrap_or_else(|| panic!("no input labelled {label:?}"))
}

pub fn value(h: &App, label: &str) -> String {
    input(h, label).value().unwrap_or_default()
}

pub fn has_button(h: &App, label: &str) -> bool {
    h.query_all_by_role_and_label(Role::Button, label)
        .next()
        .is_some()
}

/// Wholly inside the window, where a pointer can reach it.
fn in_view(r: egui::Rect) -> bool {
    r.min.y >= 0.0 && r.max.y <= SIZE.y - 8.0
}

/// Clicks the first button with this label once one is on the page (a button for
/// something just written shows once the cache is rebuilt), scrolled into view
/// first as a person scrolls to a button below the fold.
pub fn click(h: &mut App, label: &str) {
    until(&mut [h], &format!("a button {label:?}"), |w| {
        has_button(w[0], label)
    });
    fn button<'a>(h: &'a App, label: &'a str) -> egui_kittest::Node<'a> {
        h.get_all_by_role_and_label(Role::Button, label)
            .next()
            .unwrap_or_else(|| panic!("no button {label:?}"))
    }
    // A button that just moved (a row rebuilt when a change arrived) is clicked once it
    // has stood still for a few frames, as a person's eye waits for the page to settle.
    let (mut at, mut still) = (button(h, label).rect(), 0);
    for _ in 0..30 {
        if still >= 3 {
            break;
        }
        h.step();
        let Some(now) = h
            .query_all_by_role_and_label(Role::Button, label)
            .next()
            .map(|n| n.rect())
        else {
            break;
        };
        still = if now == at { still + 1 } else { 0 };
        at = now;
    }
    // Scrolling is animated: the button is clicked once it stands still in view. A
    // page that grew or moved meanwhile (a change arriving from the partner) can
    // leave it out of view again; a person then scrolls again, and so does this.
    for _ in 0..5 {
        if in_view(button(h, label).rect()) {
            break;
        }
        button(h, label).scroll_to_me();
        let (mut at, mut still) = (button(h, label).rect(), 0);
        for _ in 0..100 {
            h.step();
            let now = button(h, label).rect();
            still = if now == at { still + 1 } else { 0 };
            at = now;
            if still >= 3 {
                break;
            }
        }
    }
    let rect = button(h, label).rect();
    assert!(
        in_view(rect),
        "{label:?} never scrolled into view: at {rect:?}"
    );
    button(h, label).click();
    h.run_steps(2);
}

/// Clicks the first thing whose label contains `label`, whatever it is (a link, a
/// header that opens, a radio button), scrolled into view first as [`click`] does.
pub fn click_label(h: &mut App, label: &str) {
    see(h, label);
    fn node<'a>(h: &'a App, label: &'a str) -> egui_kittest::Node<'a> {
        h.query_all_by_label_contains(label)
            .next()
            .unwrap_or_else(|| panic!("nothing labelled {label:?}"))
    }
    if !in_view(node(h, label).rect()) {
        node(h, label).scroll_to_me();
        let (mut at, mut still) = (node(h, label).rect(), 0);
        for _ in 0..300 {
            h.step();
            let now = node(h, label).rect();
            still = if now == at { still + 1 } else { 0 };
            at = now;
            if still >= 3 && in_view(now) {
                break;
            }
        }
        assert!(
            in_view(node(h, label).rect()),
            "{label:?} never scrolled into view"
        );
    }
    node(h, label).click();
    h.run_steps(2);
}

pub fn type_into(h: &mut App, label: &str, text: &str) {
    let n = input(h, label);
    n.focus();
    n.type_text(text);
    h.run_steps(2);
}

/// Selects what the field holds and types over it, as a person rewording it does.
pub fn retype(h: &mut App, label: &str, text: &str) {
    input(h, label).focus();
    h.run_steps(1);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.run_steps(1);
    input(h, label).type_text(text);
    h.run_steps(2);
    assert_eq!(value(h, label), text);
}

/// Opens the combo box labelled `label` and picks `option`.
pub fn pick(h: &mut App, label: &str, option: &str) {
    h.get_by_role_and_label(Role::ComboBox, label).click();
    h.run_steps(2);
    h.get_by_role(Role::ListBox).get_by_label(option).click();
    h.run_steps(2);
}

/// The side navigation is drawn first, so its entry is the first match (the home
/// page links to some of the same places).
pub fn nav(h: &mut App, label: &str) {
    h.get_all_by_label(label)
        .next()
        .unwrap_or_else(|| panic!("no {label:?} in the navigation"))
        .click();
    h.run_steps(3);
}

/// Creates a profile for `name` on the first screen, as a new user does.
pub fn create(h: &mut App, name: &str) {
    h.run_steps(2);
    type_into(h, "Your name", name);
    type_into(h, "Passphrase", PASS);
    type_into(h, "Repeat passphrase", PASS);
    click(h, "Create profile");
    wait_for(h, "the profile to open", |a| a.page() == Some(Page::Home));
}

pub fn device(h: &App) -> Device {
    h.state().device().cloned().expect("unlocked")
}

/// One window on a fresh profile, Ari's, with no network.
pub fn one_window() -> (tempfile::TempDir, App, Device) {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app(config(dir.path(), false));
    create(&mut h, "Ari");
    let d = device(&h);
    (dir, h, d)
}

/// Two windows on fresh profiles, Ari's and Bea's, paired the way two people pair
/// (Ari invites, Bea pastes the text, each sees the other connected, both confirm
/// the code), each syncing over loopback.
pub fn paired(da: &Path, db: &Path) -> (App, App) {
    let mut a = app(config(da, true));
    let mut b = app(config(db, true));
    create(&mut a, "Ari");
    create(&mut b, "Bea");
    until(&mut [&mut a, &mut b], "both networks", |w| {
        w.iter().all(|h| h.state().network_ready())
    });

    nav(&mut a, "Pair with my partner");
    click(&mut a, "Invite my partner");
    see(&mut a, "Invite text");
    let text = value(&a, "Invite text");
    assert!(text.starts_with("KINTSUGI:"), "{text}");

    nav(&mut b, "Pair with my partner");
    type_into(&mut b, "Invite text", &text);
    click(&mut b, "Join");
    until(&mut [&mut a, &mut b], "the codes", |w| {
        w.iter().all(|h| has_button(h, "It matches"))
    });
    see(&mut a, "Connected to Bea");
    see(&mut b, "Connected to Ari");
    click(&mut a, "It matches");
    click(&mut b, "It matches");
    // Each window confirms once it has stored the pairing and started syncing (off
    // the pairing page, which says "Paired with" too).
    nav(&mut a, "Home");
    nav(&mut b, "Home");
    until(&mut [&mut a, &mut b], "the pairing", |w| {
        shows(w[0], "Paired with Bea.") && shows(w[1], "Paired with Ari.")
    });
    (a, b)
}

/// Keeps what the window shows as `{name}.png` in the folder `KINTSUGI_SCREENSHOTS`
/// names, when it is set: how the README's pictures of the pages are made. Without
/// it, nothing is written.
pub fn keep_screenshot(h: &mut App, name: &str) {
    let Some(dir) = std::env::var_os("KINTSUGI_SCREENSHOTS") else {
        return;
    };
    h.run_steps(4);
    let image = h.render().expect("the window renders");
    image
        .save(std::path::Path::new(&dir).join(format!("{name}.png")))
        .expect("the screenshot is written");
}
