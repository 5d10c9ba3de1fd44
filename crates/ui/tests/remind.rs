//! The Reminders section of Settings: off until turned on, each choice saved as it
//! is made, quiet hours that cannot start and end at the same hour, and the choices
//! still there after locking and unlocking. (The notifications themselves are shown
//! through a real notification daemon in tests/cli/remind.rs.)

mod common;

use common::*;
use kintsugi_device::{QuietHours, view};
use kintsugi_ui::Page;

/// The "Quiet hours" box itself (the note above it speaks of quiet hours too).
fn toggle_quiet_hours(h: &mut App) {
    use egui_kittest::kittest::Queryable;
    h.get_by_label("Quiet hours").scroll_to_me();
    h.run_steps(30);
    h.get_by_label("Quiet hours").click();
    h.run_steps(2);
}

fn has_combo(h: &App, label: &str) -> bool {
    use egui_kittest::kittest::Queryable;
    h.query_all_by_role_and_label(egui::accesskit::Role::ComboBox, label)
        .next()
        .is_some()
}

#[test]
fn reminders_are_chosen_in_settings_and_kept_through_a_lock() {
    let (_dir, mut h, d) = one_window();
    nav(&mut h, "Settings");
    see(&mut h, "Remind me with a notification");
    see(&mut h, "They never show what was written");
    assert!(!d.settings().unwrap().reminders.enabled);

    click_label(&mut h, "Remind me with a notification");
    wait(&mut h, "reminders on", || {
        d.settings().unwrap().reminders.enabled
    });
    see(&mut h, "Reminders saved.");

    let letters = view::reminder_kind_label(kintsugi_device::ReminderKind::Letter);
    click_label(&mut h, letters);
    wait(&mut h, "letters left out", || {
        !d.settings().unwrap().reminders.letter
    });

    toggle_quiet_hours(&mut h);
    wait(&mut h, "no quiet hours", || {
        d.settings().unwrap().reminders.quiet_hours.is_none()
    });
    assert!(!has_combo(&h, "Quiet from"));

    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::L);
    h.run_steps(3);
    assert_eq!(h.state().page(), None, "locked");
    type_into(&mut h, "Passphrase", PASS);
    click(&mut h, "Unlock");
    wait_for(&mut h, "the session", |a| a.page() == Some(Page::Home));
    let d = device(&h);
    nav(&mut h, "Settings");
    see(&mut h, "Remind me with a notification");
    // The page shows what was stored: a change saves the whole section as shown,
    // and keeps the earlier choices. Quiet hours on again: the usual night.
    toggle_quiet_hours(&mut h);
    wait(&mut h, "quiet hours again", || {
        d.settings().unwrap().reminders.quiet_hours == Some(QuietHours { from: 22, until: 8 })
    });
    assert!(has_combo(&h, "Quiet from") && has_combo(&h, "Quiet until"));
    // The hour pickers (the first hours: the list opens below the box, at the foot
    // of the window): the same hour at both ends is refused and saves nothing.
    let stored = |d: &kintsugi_device::Device| d.settings().unwrap().reminders.quiet_hours;
    pick(&mut h, "Quiet from", "01:00");
    wait(&mut h, "quiet from one", || {
        stored(&d) == Some(QuietHours { from: 1, until: 8 })
    });
    let same = "Quiet hours need to start and end at different hours";
    pick(&mut h, "Quiet until", "01:00");
    see(&mut h, same);
    h.run_steps(5);
    assert_eq!(stored(&d), Some(QuietHours { from: 1, until: 8 }));
    pick(&mut h, "Quiet until", "00:00");
    wait(&mut h, "quiet until midnight", || {
        stored(&d) == Some(QuietHours { from: 1, until: 0 })
    });
    gone(&mut h, same);
    keep_screenshot(&mut h, "screenshot-reminders");
    let r = d.settings().unwrap().reminders;
    assert!(r.enabled && !r.letter && r.checkin && r.promise && r.exercise);

    click_label(&mut h, "Remind me with a notification");
    wait(&mut h, "reminders off", || {
        !d.settings().unwrap().reminders.enabled
    });
    see(&mut h, "Reminders are off.");
}
