//! The real app, driven through egui_kittest: the same `KintsugiApp` the window runs,
//! a real encrypted profile in a temporary folder, real iroh on loopback.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::SnapshotOptions;
use egui_kittest::kittest::{NodeT, Queryable};
use kintsugi_device::{Device, NetworkMode, Options};
use kintsugi_ui::Page;

mod common;
use common::*;

/// The log layout of crates/store/FORMAT.md, shared with the end-to-end tests.
#[path = "../../../tests/common/format.rs"]
mod format;

#[test]
fn onboarding_creates_an_encrypted_profile() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app(config(dir.path(), false));
    h.run_steps(2);
    see_exact(&mut h, "Create your profile");
    create(&mut h, "Ari");
    assert!(Device::exists(&dir.path().join("profile")));
    assert_eq!(device(&h).status().unwrap().name.as_deref(), Some("Ari"));
    see(&mut h, "Welcome, Ari");
    // Locking with Ctrl+L returns to the unlock screen.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::L);
    h.run_steps(3);
    assert_eq!(h.state().page(), None);
    h.get_by_role_and_label(Role::Button, "Unlock");
}

/// The window names the stages from the device's one table, in the navigation, on
/// the home page and on each stage's page; tests/cli/commands.rs checks `kintsugi stage list`
/// against the same table, so the two front ends cannot drift apart again. What is
/// due is the device's list too.
#[test]
fn stage_names_and_what_is_due_are_the_devices() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app(config(dir.path(), false));
    h.run_steps(2);
    create(&mut h, "Ari");
    for (i, title) in kintsugi_device::view::STAGES.iter().enumerate() {
        let label = format!("{}. {title}", i + 1);
        // The navigation and the home page's grid.
        assert_eq!(
            h.get_all_by_label(&label).count(),
            2,
            "{label:?} should be in the navigation and on the home page"
        );
    }
    nav(&mut h, &format!("3. {}", kintsugi_device::view::STAGES[2]));
    see_exact(
        &mut h,
        &format!("Stage 3: {}", kintsugi_device::view::STAGES[2]),
    );
    nav(&mut h, "Home");
    let today = chrono::Local::now().date_naive();
    let names = device(&h).names().unwrap();
    for item in device(&h).due(today).unwrap() {
        see_exact(&mut h, &item.describe(&names));
    }
}

/// The create page applies the device's passphrase floor as one types: a weak
/// passphrase keeps "Create profile" disabled and says why; more words make it
/// acceptable and the profile is created.
#[test]
fn the_create_page_refuses_a_weak_passphrase_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app(config(dir.path(), false));
    h.run_steps(2);
    let create_button = |h: &App| {
        !h.get_by_role_and_label(Role::Button, "Create profile")
            .accesskit_node()
            .is_disabled()
    };
    type_into(&mut h, "Your name", "Ari");
    // Weak for Ari: the name and a recent year.
    type_into(&mut h, "Passphrase", "ari2024");
    see(&mut h, "Too easy to guess");
    see(&mut h, "Add another word or two");
    type_into(&mut h, "Repeat passphrase", "ari2024");
    assert!(
        !create_button(&h),
        "Create profile is enabled for a weak passphrase"
    );
    h.get_by_role_and_label(Role::Button, "Create profile")
        .click();
    h.run_steps(3);
    assert!(!Device::exists(&dir.path().join("profile")));

    // The same field, a few more words (typed where the cursor is, at its end).
    input(&h, "Passphrase").focus();
    h.run_steps(1);
    h.key_press(egui::Key::End);
    input(&h, "Passphrase").type_text(" lantern orbit cactus");
    h.run_steps(2);
    assert!(h.query_by_label_contains("Too easy to guess").is_none());
    see(&mut h, "Strong");
    assert!(create_button(&h), "Create profile is still disabled");
    input(&h, "Repeat passphrase").focus();
    h.run_steps(1);
    h.key_press(egui::Key::End);
    input(&h, "Repeat passphrase").type_text(" lantern orbit cactus");
    h.run_steps(2);
    click(&mut h, "Create profile");
    wait_for(&mut h, "the profile to open", |a| {
        a.page() == Some(Page::Home)
    });
    let d = device(&h);
    d.lock();
    Device::unlock(
        &dir.path().join("profile"),
        b"ari2024 lantern orbit cactus",
        Options::INSECURE_FAST_FOR_TESTS,
    )
    .unwrap();
}

#[test]
fn unlock_refuses_a_wrong_passphrase_then_opens_with_the_right_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("profile");
    let d = Device::create(
        &path,
        "Bea",
        b"the right one, with more words",
        Options::INSECURE_FAST_FOR_TESTS,
    )
    .unwrap();
    d.propose_boundary("Kept from before", None).unwrap();
    d.lock();
    let mut h = app(config(dir.path(), false));
    h.run_steps(2);
    type_into(&mut h, "Passphrase", "wrong one");
    click(&mut h, "Unlock");
    wait_for(&mut h, "the refusal", |_| true);
    let deadline = Instant::now() + Duration::from_secs(20);
    while h.query_by_label("wrong passphrase").is_none() {
        assert!(Instant::now() < deadline, "no wrong-passphrase message");
        h.step();
        std::thread::sleep(Duration::from_millis(15));
    }
    assert_eq!(h.state().page(), None);
    type_into(&mut h, "Passphrase", "the right one, with more words");
    click(&mut h, "Unlock");
    wait_for(&mut h, "the session", |a| a.page() == Some(Page::Home));
    nav(&mut h, "Boundaries");
    see_exact(&mut h, "Kept from before");
}

/// The auto-lock time chosen in Settings is kept in the profile: it applies again
/// after locking and unlocking, and saving it leaves the network settings alone.
#[test]
fn the_auto_lock_time_is_kept_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app(config(dir.path(), false));
    h.run_steps(2);
    create(&mut h, "Ari");
    let d = device(&h);
    assert_eq!(h.state().auto_lock(), Some(Duration::from_secs(600)));
    d.update_settings(|s| s.mode = NetworkMode::Direct).unwrap();

    nav(&mut h, "Settings");
    // Three steps down with the keyboard, each saved as it comes, focus taken once.
    // egui keeps the arrow keys for a slider from its second focused frame on,
    // hence two frames before the first press. Each save's confirmation shows
    // before the next press: it used to shrink the page, push the slider out of
    // view and take its focus, so the next press went nowhere.
    h.get_by_role(Role::Slider).focus();
    h.run_steps(2);
    for minutes in [9, 8, 7] {
        h.key_press(egui::Key::ArrowLeft);
        h.run_steps(1);
        wait_for(&mut h, "the saved setting", |_| {
            d.settings().unwrap().auto_lock_minutes == Some(minutes)
        });
        see_exact(
            &mut h,
            &format!("Locks after {minutes} minutes without use."),
        );
        assert!(
            h.get_by_role(Role::Slider).is_focused(),
            "the slider lost keyboard focus after saving {minutes} minutes"
        );
    }
    assert_eq!(d.settings().unwrap().mode, NetworkMode::Direct);
    assert_eq!(h.state().auto_lock(), Some(Duration::from_secs(7 * 60)));

    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::L);
    h.run_steps(3);
    type_into(&mut h, "Passphrase", "a long passphrase for tests");
    click(&mut h, "Unlock");
    wait_for(&mut h, "the session", |a| a.page() == Some(Page::Home));
    assert_eq!(h.state().auto_lock(), Some(Duration::from_secs(7 * 60)));
}

// ---- A lock that forgets ----
//
// egui keeps each text field's undo history in its own memory, under the field's id,
// which is the same from one session to the next: before locking forgot it, a
// person could lock, press Ctrl+Z in the empty passphrase field and Enter, and be
// let in; and a journal page typed on but not saved came back the same way.

/// A profile on disk, locked: the app starts on the unlock screen.
fn locked_profile(dir: &std::path::Path) {
    let d = Device::create(
        &dir.join("profile"),
        "Ari",
        PASS.as_bytes(),
        Options::INSECURE_FAST_FOR_TESTS,
    )
    .unwrap();
    d.lock();
}

/// Lets egui's clock run two seconds with the field still focused: the undoer keeps
/// what was typed once it has stood still for a second (a person pausing before
/// pressing Enter).
fn pause(h: &mut App) {
    h.run_steps(8);
}

/// Types the passphrase as a person does: into the field, a pause, then Enter.
fn unlock_by_typing(h: &mut App, pass: &str) {
    type_into(h, "Passphrase", pass);
    pause(h);
    h.key_press(egui::Key::Enter);
    wait_for(h, "the session", |a| a.page() == Some(Page::Home));
}

/// Focuses the field and presses Ctrl+Z: the field must stay empty.
fn undo_brings_nothing_back(h: &mut App, label: &str, after: &str) {
    assert_eq!(value(h, label), "", "{label:?} is not empty after {after}");
    input(h, label).focus();
    h.run_steps(2);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    h.run_steps(2);
    let back = value(h, label);
    assert!(
        back.is_empty(),
        "Ctrl+Z in {label:?} after {after} brought back {} characters: {back:?}",
        back.chars().count()
    );
}

/// Presses Ctrl+Z then Enter in the passphrase field after a lock: nothing comes
/// back, and the app stays locked (an unlock takes milliseconds with the test KDF).
fn stays_locked_after_undo_and_enter(h: &mut App, how: &str) {
    assert_eq!(h.state().page(), None, "{how} did not lock");
    h.get_by_role_and_label(Role::Button, "Unlock");
    undo_brings_nothing_back(h, "Passphrase", how);
    h.key_press(egui::Key::Enter);
    for _ in 0..40 {
        h.step();
        assert_eq!(h.state().page(), None, "the app opened after {how}");
        std::thread::sleep(Duration::from_millis(15));
    }
    // The screen still works: the passphrase typed again opens it.
    unlock_by_typing(h, PASS);
}

fn passphrase_forgotten_after(how: &str, auto_lock: Duration, lock: fn(&mut App)) {
    let dir = tempfile::tempdir().unwrap();
    locked_profile(dir.path());
    let mut c = config(dir.path(), false);
    c.auto_lock = auto_lock;
    let mut h = app(c);
    h.run_steps(2);
    unlock_by_typing(&mut h, PASS);
    lock(&mut h);
    stays_locked_after_undo_and_enter(&mut h, how);
}

#[test]
fn the_lock_button_forgets_the_passphrase() {
    passphrase_forgotten_after("the Lock button", Duration::from_secs(600), |h| {
        click(h, "Lock")
    });
}

#[test]
fn ctrl_l_forgets_the_passphrase() {
    passphrase_forgotten_after("Ctrl+L", Duration::from_secs(600), |h| {
        h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::L);
        h.run_steps(3);
    });
}

/// The auto-lock counts real time (`Instant`), so this test waits it out: long
/// enough that a busy machine does not lock it before it has unlocked.
#[test]
fn auto_lock_forgets_the_passphrase() {
    passphrase_forgotten_after("auto-lock", Duration::from_secs(3), |h| {
        wait_for(h, "the auto-lock", |a| a.page().is_none());
    });
}

/// Locked by another part of the app: the device's `Locked` event locks the window.
#[test]
fn the_device_locking_forgets_the_passphrase() {
    passphrase_forgotten_after("the device locked", Duration::from_secs(600), |h| {
        device(h).lock();
        h.run_steps(3);
    });
}

#[test]
fn a_refused_passphrase_does_not_come_back_with_undo() {
    let dir = tempfile::tempdir().unwrap();
    locked_profile(dir.path());
    let mut h = app(config(dir.path(), false));
    h.run_steps(2);
    type_into(&mut h, "Passphrase", "a wrong passphrase");
    pause(&mut h);
    h.key_press(egui::Key::Enter);
    see(&mut h, "wrong passphrase");
    assert_eq!(h.state().page(), None);
    undo_brings_nothing_back(&mut h, "Passphrase", "a refused attempt");
    unlock_by_typing(&mut h, PASS);
}

/// Text typed on the journal's pages and not saved is gone after locking and
/// unlocking, from the page and from the field's undo history alike.
#[test]
fn unsaved_text_on_every_page_is_gone_after_locking_undo_included() {
    let fields = [
        ("Private diary", "New entry"),
        ("Letters", "Title"),
        ("Letters", "Letter"),
        ("Boundaries", "New boundary"),
        ("Check-ins", "What went well"),
        ("Promises", "I promise"),
        (
            "1. Acknowledge what happened",
            "Note for your partner (optional)",
        ),
        ("Settings", "Relay URL (optional)"),
    ];
    let dir = tempfile::tempdir().unwrap();
    locked_profile(dir.path());
    let mut h = app(config(dir.path(), false));
    h.run_steps(2);
    unlock_by_typing(&mut h, PASS);
    for (page, label) in fields {
        nav(&mut h, page);
        let text = format!("not saved, in {label}");
        type_into(&mut h, label, &text);
        pause(&mut h);
        assert_eq!(value(&h, label), text);
    }
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::L);
    h.run_steps(3);
    unlock_by_typing(&mut h, PASS);
    for (page, label) in fields {
        nav(&mut h, page);
        undo_brings_nothing_back(&mut h, label, "locking and unlocking");
    }
    assert!(device(&h).diary_entries().unwrap().is_empty());
    assert!(device(&h).drafts().unwrap().is_empty());
}

/// A passphrase field keeps no undo history even while the app is open: a new
/// passphrase typed in Settings and deleted does not come back with Ctrl+Z.
#[test]
fn a_passphrase_field_keeps_no_undo_history() {
    let dir = tempfile::tempdir().unwrap();
    locked_profile(dir.path());
    let mut h = app(config(dir.path(), false));
    h.run_steps(2);
    unlock_by_typing(&mut h, PASS);
    nav(&mut h, "Settings");
    type_into(&mut h, "New passphrase", "a new passphrase, then deleted");
    pause(&mut h);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.run_steps(1);
    h.key_press(egui::Key::Backspace);
    pause(&mut h);
    undo_brings_nothing_back(&mut h, "New passphrase", "deleting it");
}

#[test]
fn every_entry_kind_can_be_written_and_seen_and_a_diary_entry_shared() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app(config(dir.path(), false));
    h.run_steps(2);
    create(&mut h, "Ari");
    let d = device(&h);

    nav(&mut h, "Boundaries");
    type_into(&mut h, "New boundary", "No phones at dinner");
    type_into(&mut h, "Category (optional)", "home");
    click(&mut h, "Propose");
    wait_for(&mut h, "the boundary", |_| {
        d.boundaries().unwrap().len() == 1
    });
    see_exact(&mut h, "No phones at dinner (home)");

    nav(&mut h, "Check-ins");
    type_into(&mut h, "What went well", "A long walk");
    click(&mut h, "Save check-in");
    wait_for(&mut h, "the check-in", |_| d.checkins().unwrap().len() == 1);
    assert_eq!(
        d.checkins().unwrap()[0].went_well.as_deref(),
        Some("A long walk")
    );
    see(&mut h, "What went well: A long walk");

    nav(&mut h, "Letters");
    type_into(&mut h, "Title", "To you");
    type_into(&mut h, "Letter", "I am sorry.");
    click(&mut h, "Save draft");
    wait_for(&mut h, "the draft", |_| d.drafts().unwrap().len() == 1);
    click(&mut h, "Send \"To you\"");
    wait_for(&mut h, "the sent letter", |_| {
        d.letters().unwrap().len() == 1 && d.drafts().unwrap().is_empty()
    });
    see(&mut h, "To you (apology) — sent");

    nav(&mut h, "Promises");
    type_into(&mut h, "I promise", "Call at lunch");
    click(&mut h, "Make this promise");
    wait_for(&mut h, "the promise", |_| d.promises().unwrap().len() == 1);
    see(&mut h, "Call at lunch — You promised");

    nav(&mut h, "Private diary");
    type_into(&mut h, "New entry", "Only for me, for now");
    click(&mut h, "Save entry");
    wait_for(&mut h, "the diary entry", |_| {
        d.diary_entries().unwrap().len() == 1
    });
    see_exact(&mut h, "Only for me, for now");
    click(&mut h, "Share with my partner");
    see(&mut h, "will keep its own copy");
    click(&mut h, "Share it");
    wait_for(&mut h, "the shared entry", |_| {
        d.shared_entries().unwrap().len() == 1
    });

    nav(&mut h, "3. Talk honestly");
    see_exact(&mut h, "Prompts for your diary");
    h.get_all_by_role_and_label(Role::Button, "Write about this")
        .next()
        .unwrap()
        .click();
    h.run_steps(3);
    assert_eq!(h.state().page(), Some(Page::Diary));
    click(&mut h, "Save entry");
    wait_for(&mut h, "the prompted entry", |_| {
        d.diary_entries().unwrap().len() == 2
    });
    assert_eq!(d.diary_entries().unwrap()[1].stage, Some(3));
}

#[test]
fn two_app_windows_pair_by_pasted_text_and_sync() {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (mut a, mut b) = paired(da.path(), db.path());
    let (ad, bd) = (device(&a), device(&b));
    assert!(ad.partner().unwrap().is_some() && bd.partner().unwrap().is_some());

    // A writes in its window; it shows in B's.
    nav(&mut a, "Boundaries");
    type_into(&mut a, "New boundary", "Written in Ari's window");
    click(&mut a, "Propose");
    let deadline = Instant::now() + Duration::from_secs(30);
    nav(&mut b, "Boundaries");
    while b.query_by_label("Written in Ari's window").is_none() {
        assert!(
            Instant::now() < deadline,
            "the entry never reached Bea's window"
        );
        a.step();
        b.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    // And B can agree, which only a partner can complete.
    click(&mut b, "Agree");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ad
        .boundaries()
        .unwrap()
        .iter()
        .any(|x| x.status == kintsugi_device::BoundaryStatus::Agreed)
    {
        assert!(Instant::now() < deadline, "the agreement never reached Ari");
        a.step();
        b.step();
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---- Live on the screen ----
//
// A person sees a change when the window draws it, and an idle window draws only
// when something asks it to. These tests run a window's frames the way eframe runs
// them for a window nobody touches: only when the app asked for one at once.

/// Whether the app asked for a frame now. eframe hears of it through the repaint
/// callback (which a `request_repaint` from any thread reaches at once) and through
/// the last frame's output (egui asks for one more frame after each request).
/// Frames asked for after a delay are the clocks (the auto-lock, a cursor's blink,
/// and the once-a-second timer that used to be the only way a change got drawn):
/// they are never run here, so what a test sees cannot have come from them.
struct Wakes(Arc<AtomicBool>);

impl Wakes {
    fn watch(h: &App) -> Self {
        let woken = Arc::new(AtomicBool::new(false));
        let w = woken.clone();
        h.ctx.set_request_repaint_callback(move |info| {
            if info.delay.is_zero() {
                w.store(true, Ordering::SeqCst);
            }
        });
        Self(woken)
    }

    fn due(&self, h: &App) -> bool {
        let again = h
            .output()
            .viewport_output
            .get(&egui::ViewportId::ROOT)
            .is_some_and(|v| v.repaint_delay.is_zero());
        self.0.swap(false, Ordering::SeqCst) || again
    }

    /// Runs the frames asked for until the window has gone quiet for a moment, so
    /// that no frame asked for before the test's change can draw it by chance.
    fn settle(&self, h: &mut App) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut quiet = Instant::now();
        while quiet.elapsed() < Duration::from_millis(300) && Instant::now() < deadline {
            if self.due(h) {
                h.step();
                quiet = Instant::now();
            } else {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }

    /// Runs only the frames the app asks for at once until `shown` holds.
    fn run_until(&self, h: &mut App, what: &str, shown: impl Fn(&App) -> bool) {
        // As long as `common::until` allows: a loaded machine (a CI box building at
        // the same time) has taken over 30 s to carry the change.
        let deadline = Instant::now() + Duration::from_secs(60);
        while !shown(h) {
            assert!(
                Instant::now() < deadline,
                "{what} never showed in a window nobody touched"
            );
            if self.due(h) {
                h.step();
            } else {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }
}

/// A change from the partner wakes the window: it shows without any input and
/// without waiting for a clock.
#[test]
fn a_partners_change_shows_in_the_open_window_without_any_input() {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (a, mut b) = paired(da.path(), db.path());
    nav(&mut b, "Boundaries");
    let wakes = Wakes::watch(&b);
    wakes.settle(&mut b);
    device(&a)
        .propose_boundary("Written on Ari's device", None)
        .unwrap();
    wakes.run_until(&mut b, "Ari's boundary", |h| {
        h.query_by_label("Written on Ari's device").is_some()
    });
}

/// The partner's note lands above the field Bea is typing in, pushing it down the
/// page: what she typed stays, the keyboard stays with her, and she types on.
#[test]
fn typing_while_a_partners_change_lands_keeps_the_text_and_the_focus() {
    const FIELD: &str = "Note for your partner (optional)";
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (a, mut b) = paired(da.path(), db.path());
    nav(&mut b, "1. Acknowledge what happened");
    type_into(&mut b, FIELD, "half a");
    let wakes = Wakes::watch(&b);
    device(&a)
        .set_stage(1, true, Some("Ari has done this stage"))
        .unwrap();
    wakes.run_until(&mut b, "Ari's stage note", |h| {
        h.query_by_label_contains("Ari has done this stage")
            .is_some()
    });
    assert_eq!(value(&b, FIELD), "half a");
    assert!(
        input(&b, FIELD).is_focused(),
        "the field lost the keyboard when the partner's note landed"
    );
    input(&b, FIELD).type_text(" thought");
    b.step();
    assert_eq!(value(&b, FIELD), "half a thought");
}

/// A frame never waits on the device: while another thread holds it (as a
/// compaction, a big catch-up or a slow disk's fsync does), frames complete and draw
/// from the last cache; what was written shows once the device is free.
#[test]
fn the_window_keeps_drawing_while_another_thread_holds_a_long_device_write() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app(config(dir.path(), false));
    h.run_steps(2);
    create(&mut h, "Ari");
    let d = device(&h);
    d.propose_boundary("Written before the long write", None)
        .unwrap();
    nav(&mut h, "Boundaries");
    see_exact(&mut h, "Written before the long write");

    let holding = Arc::new(AtomicBool::new(false));
    let (held_tx, held_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let holder = {
        let (d, holding) = (d.clone(), holding.clone());
        std::thread::spawn(move || {
            // A change the window will want to draw, then the device held.
            d.propose_boundary("Written just before the long write", None)
                .unwrap();
            d.update_settings(|_| {
                holding.store(true, Ordering::SeqCst);
                held_tx.send(()).unwrap();
                let _ = release_rx.recv_timeout(Duration::from_secs(20));
                holding.store(false, Ordering::SeqCst);
            })
            .unwrap();
        })
    };
    held_rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the writer never took the device");
    for _ in 0..20 {
        h.step();
        assert!(
            holding.load(Ordering::SeqCst),
            "a frame waited for another thread's device write to end"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(h.query_by_label("Written before the long write").is_some());
    release_tx.send(()).unwrap();
    holder.join().unwrap();
    see_exact(&mut h, "Written just before the long write");
}

/// Long lists lay out only the rows in view: with a thousand entries of each kind,
/// each page holds about a screenful of them.
#[test]
fn long_lists_lay_out_only_the_rows_in_view() {
    const N: usize = 1000;
    let dir = tempfile::tempdir().unwrap();
    let mut h = app(config(dir.path(), false));
    h.run_steps(2);
    create(&mut h, "Ari");
    let d = device(&h);
    for i in 0..N {
        d.propose_boundary(&format!("Boundary number {i}"), None)
            .unwrap();
        d.add_diary_entry(&format!("Diary entry number {i}"), None, None)
            .unwrap();
        d.add_promise(&format!("Promise number {i}"), "2030-01-01")
            .unwrap();
        let draft = d
            .draft_letter(
                kintsugi_device::LetterKind::Hope,
                &format!("Letter number {i}"),
                "Dear you",
            )
            .unwrap();
        d.send_letter(&draft).unwrap();
    }
    let visible = |h: &App, label: &str| h.query_all_by_label_contains(label).count();
    for (page, label) in [
        ("Boundaries", "Boundary number"),
        ("Private diary", "Diary entry number"),
        ("Promises", "Promise number"),
        ("Letters", "Letter number"),
    ] {
        nav(&mut h, page);
        let deadline = Instant::now() + Duration::from_secs(30);
        while visible(&h, label) == 0 {
            assert!(Instant::now() < deadline, "{page}: no rows shown");
            h.step();
            std::thread::sleep(Duration::from_millis(15));
        }
        let n = visible(&h, label);
        assert!(
            (1..=40).contains(&n),
            "{page}: {n} rows laid out for {N} entries"
        );
    }
    // The diary lists the newest first.
    nav(&mut h, "Private diary");
    see_exact(&mut h, "Diary entry number 999");
}

/// The webcam scan (only with the `camera` feature) through the real camera stack:
/// on a machine with no camera, as in CI, it ends with a clear message and the page
/// still works; where a camera is present it opens it, shows a preview, and stops on
/// request.
#[cfg(feature = "camera")]
#[test]
fn camera_scan_opens_the_camera_or_says_why_not() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app(config(dir.path(), true));
    h.run_steps(2);
    create(&mut h, "Ari");
    wait_for(&mut h, "the network", |x| x.network_ready());
    nav(&mut h, "Pair with my partner");
    click(&mut h, "Scan with camera");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if h.query_by_label_contains("The camera scan stopped")
            .is_some()
        {
            // The button is back, for another try once a camera is plugged in.
            see_exact(&mut h, "Scan with camera");
            break;
        }
        if h.query_by_label("Camera preview").is_some() {
            click(&mut h, "Stop camera");
            see_exact(&mut h, "Scan with camera");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the scan neither started nor failed"
        );
        h.step();
        std::thread::sleep(Duration::from_millis(15));
    }
    // The rest of the join path is untouched by the scan.
    type_into(&mut h, "Invite text", "not an invite");
    click(&mut h, "Join");
    see(&mut h, "not a Kintsugi invite");
}

#[test]
fn settings_export_is_owner_only_asks_before_replacing_and_holds_the_diary_only_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app(config(dir.path(), false));
    h.run_steps(2);
    create(&mut h, "Ari");
    let d = device(&h);
    d.propose_boundary("shared-words-17", None).unwrap();
    d.add_diary_entry("CANARY-DIARY-52 only for me", None, None)
        .unwrap();
    nav(&mut h, "Settings");
    let out = dir.path().join("journal.md");
    let mode = |p: &std::path::Path| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    };

    // The default export: the shared journal, owner-only.
    type_into(&mut h, "Save to", out.to_str().unwrap());
    click(&mut h, "Export Markdown");
    see(&mut h, "Exported to");
    let bytes = std::fs::read(&out).unwrap();
    assert!(String::from_utf8_lossy(&bytes).contains("shared-words-17"));
    assert!(!String::from_utf8_lossy(&bytes).contains("CANARY"));
    assert_eq!(mode(&out), 0o600);

    // The same file again: the page asks, and "Keep it" keeps it.
    std::fs::write(&out, b"mine").unwrap();
    click(&mut h, "Export Markdown");
    see(&mut h, "Replace it with this export?");
    click(&mut h, "Keep it");
    assert_eq!(std::fs::read(&out).unwrap(), b"mine");
    assert!(h.query_by_label_contains("Replace it with").is_none());

    // With the private part, after a plain warning, replacing on purpose.
    // Scrolled to first, as a person would: the box can sit below the fold.
    click_label(&mut h, "Include my private diary and letter drafts");
    see(&mut h, "anyone who gets a copy can read them");
    click(&mut h, "Export Markdown");
    see(&mut h, "Replace it with this export?");
    click(&mut h, "Replace it");
    // The export writes the file in place (no temporary copy of the plaintext), so
    // it is read once the whole of it is there: the private part is its last.
    wait_for(&mut h, "the replaced export, with the diary", |_| {
        std::fs::read(&out)
            .is_ok_and(|b| String::from_utf8_lossy(&b).contains("## Letter drafts (private)"))
    });
    assert!(String::from_utf8_lossy(&std::fs::read(&out).unwrap()).contains("CANARY-DIARY-52"));
    assert_eq!(mode(&out), 0o600);
}

fn snapshot(h: &mut App, name: &str) {
    // Software rendering differs a little between Mesa versions; the tolerance keeps
    // snapshots stable there while still catching a changed layout.
    h.run_steps(4);
    h.snapshot_options(
        name,
        &SnapshotOptions::new().threshold(2.0).max_failed_pixels(400),
    );
}

#[test]
fn snapshots_of_the_main_screens() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = app(config(dir.path(), false));
    h.run_steps(2);
    snapshot(&mut h, "create-profile");
    create(&mut h, "Ari");
    nav(&mut h, "1. Acknowledge what happened");
    snapshot(&mut h, "stage-1");
    nav(&mut h, "Exercises");
    click_label(&mut h, "Ten minutes each, only listening");
    snapshot(&mut h, "exercises");
    nav(&mut h, "Settings");
    snapshot(&mut h, "settings");
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::L);
    h.run_steps(3);
    snapshot(&mut h, "unlock");
}

/// A profile whose shared journal was put back to an older copy (its last record cut
/// off at a record boundary, as an old backup looks) is not opened by Unlock: the
/// window says it was rolled back, naming the file, and opens it only once the person
/// ticks that they accept it. Then what is left is there, and nothing else.
#[test]
fn a_rolled_back_profile_opens_only_when_the_person_accepts_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("profile");
    let d = Device::create(
        &path,
        "Bea",
        PASS.as_bytes(),
        Options::INSECURE_FAST_FOR_TESTS,
    )
    .unwrap();
    d.propose_boundary("Kept from before", None).unwrap();
    d.propose_boundary("Written last", None).unwrap();
    d.lock();
    drop(d);
    let log = path.join("shared.klog");
    let bytes = std::fs::read(&log).unwrap();
    let ends = format::record_ends(&bytes);
    std::fs::write(&log, &bytes[..ends[ends.len() - 2]]).unwrap();
    let cut = std::fs::read(&log).unwrap();

    let mut h = app(config(dir.path(), false));
    h.run_steps(2);
    type_into(&mut h, "Passphrase", PASS);
    click(&mut h, "Unlock");
    see(&mut h, "this profile was rolled back");
    see(&mut h, "shared.klog");
    assert_eq!(h.state().page(), None);
    assert_eq!(
        std::fs::read(&log).unwrap(),
        cut,
        "the refused unlock wrote"
    );

    // Typing the passphrase and pressing Enter is not enough: the box is not ticked.
    type_into(&mut h, "Passphrase", PASS);
    h.key_press(egui::Key::Enter);
    h.run_steps(10);
    assert_eq!(h.state().page(), None);
    assert_eq!(std::fs::read(&log).unwrap(), cut);

    h.get_by_label("I understand; open this profile as it is now")
        .click();
    h.run_steps(2);
    click(&mut h, "Accept and unlock");
    wait_for(&mut h, "the session", |a| a.page() == Some(Page::Home));
    nav(&mut h, "Boundaries");
    see_exact(&mut h, "Kept from before");
    assert!(h.query_by_label("Written last").is_none());
}

/// Settings lists the couple's devices: this one at once, and the partner's, first as
/// the device checked at pairing, then as signed by its person once its record
/// arrives with live sync.
#[test]
fn settings_lists_both_devices_signed_once_their_records_arrive() {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (mut a, mut b) = paired(da.path(), db.path());
    nav(&mut a, "Settings");
    see(&mut a, "Devices");
    see(&mut a, "first device (this device)");
    see_in(&mut a, &mut b, "first device (Bea's)");
    assert!(
        !shows(&a, "signed record has not arrived yet"),
        "Bea's record arrived with her name"
    );
    assert!(!shows(&a, "Not accepted"));
    nav(&mut b, "Settings");
    see_in(&mut b, &mut a, "first device (Ari's)");
    // The section is the page's last: scroll to it, as a person would, for the picture.
    a.get_by_label_contains("first device (Bea's)")
        .scroll_to_me();
    a.run_steps(30);
    keep_screenshot(&mut a, "screenshot-devices");
}
