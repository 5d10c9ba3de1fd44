//! Another device of mine, in the real app: Ari and Bea paired in two windows, and a
//! third window, a fresh start screen, that becomes Ari's laptop through the invite
//! Ari's window shows and the codes both screens type; then Ari removes it. Real
//! profiles in temporary folders, real iroh on loopback.

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use kintsugi_device::view;

mod common;
use common::*;

/// The code a window shows while two screens compare theirs ("123 456").
fn code(h: &App) -> String {
    let is_code = |text: &str| {
        let b = text.as_bytes();
        b.len() == 7
            && b[3] == b' '
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 3 || c.is_ascii_digit())
    };
    // A label's text is its accesskit value.
    h.query_all_by_role(Role::Label)
        .filter_map(|n| n.value())
        .find(|text| is_code(text))
        .expect("a code on screen")
}

/// Ari's window shows a link invite; the third window, on its start screen, fills in
/// "This is another device of mine" with it and joins. Returns once both windows ask
/// for the other screen's code.
fn join_from_third_window(a: &mut App, b: &mut App, c: &mut App) {
    nav(a, "Settings");
    see(a, "first device (this device)");
    click(a, "Add another of my devices");
    see(a, "Invite text");
    let text = value(a, "Invite text");
    assert!(text.starts_with("KINTSUGI-LINK:"), "{text}");

    c.run_steps(2);
    see_exact(c, "Create your profile");
    click(c, "This is another device of mine");
    type_into(c, "Name for this device", "laptop");
    type_into(c, "Passphrase", PASS);
    type_into(c, "Repeat passphrase", PASS);
    type_into(c, "Invite text", &text);
    click(c, "Join my device");
    until(
        &mut [&mut *a, &mut *b, &mut *c],
        "both screens to ask for the code",
        |w| has_button(w[0], "Confirm code") && has_button(w[2], "Confirm code"),
    );
    see(a, "Adding your device \"laptop\"");
    see(c, "Connected to Ari's device");
    assert_eq!(code(a), code(c), "both screens show the same code");
}

/// Ari and Bea paired in two windows, and a third window, on its start screen, that
/// joined Ari's link invite: both screens ask for the other's code. The folders
/// live as long as the windows need them.
fn three_windows_joining() -> ([tempfile::TempDir; 3], App, App, App) {
    let dirs = [(); 3].map(|_| tempfile::tempdir().unwrap());
    let (mut a, mut b) = paired(dirs[0].path(), dirs[1].path());
    let mut c = app(config(dirs[2].path(), true));
    join_from_third_window(&mut a, &mut b, &mut c);
    (dirs, a, b, c)
}

#[test]
fn a_third_window_becomes_aris_laptop_and_ari_removes_it() {
    let (_dirs, mut a, mut b, mut c) = three_windows_joining();

    // Each types the code the other screen shows.
    let (on_a, on_c) = (code(&a), code(&c));
    type_into(&mut c, "Code on the other screen", &on_a);
    type_into(&mut a, "Code on the other screen", &on_c);
    click(&mut a, "Confirm code");
    click(&mut c, "Confirm code");
    until(&mut [&mut a, &mut b, &mut c], "the link to finish", |w| {
        shows(w[0], "Added your device \"laptop\".")
            && w[2].state().page() == Some(kintsugi_ui::Page::Home)
    });
    see(&mut c, "This is now one of Ari's devices");

    // The laptop receives Ari's journals by ordinary sync: Ari's name with them.
    until(
        &mut [&mut c, &mut a, &mut b],
        "Ari's name on the laptop",
        |w| shows(w[0], "Welcome, Ari"),
    );

    // Ari's Devices section: three devices, the laptop one of Ari's own.
    click(&mut a, "Back to Settings");
    see(&mut a, "laptop (one of your devices)");
    see(&mut a, "first device (this device)");
    see(&mut a, "first device (Bea's)");
    let list = device(&a).devices().unwrap();
    assert_eq!(list.devices.len(), 3, "{list:?}");
    assert!(list.refused.is_empty(), "{list:?}");
    // Beside each device Ari's syncs with: when it last synced, and the path of
    // the session running now (in view: what is scrolled away is not drawn).
    a.get_by_label_contains("laptop (one of your devices)")
        .scroll_to_me();
    until(
        &mut [&mut a, &mut b, &mut c],
        "the path to the laptop and to Bea's device",
        |w| {
            let rows = device(w[0]).devices().unwrap().devices;
            rows.iter()
                .filter(|d| !d.this_device)
                .all(|d| d.last_sync.is_some())
                && w[0]
                    .query_all_by_role(Role::Label)
                    .filter_map(|n| n.value())
                    .filter(|t| t.starts_with("syncing now, direct, "))
                    .count()
                    == 2
        },
    );
    // With the diary on two devices, releasing its history here is not offered, and
    // Settings says why; nor is asking to release the shared journal's.
    see(&mut a, "Your diary is also on your other devices");
    see(
        &mut a,
        "The shared journal is on more than your two devices",
    );
    // For the picture: the pairing's confirmation gone, the section in view.
    gone(&mut a, "Paired with Bea.");
    a.get_by_label_contains("laptop (one of your devices)")
        .scroll_to_me();
    a.run_steps(30);
    keep_screenshot(&mut a, "screenshot-link");

    // Removing it asks first, saying plainly what removing cannot do.
    click(&mut a, "Remove…");
    see(&mut a, "Remove \"laptop\"?");
    see(&mut a, view::REMOVE_DEVICE_WARNING);
    click(&mut a, "Remove it");
    see(&mut a, "Removed your device \"laptop\".");
    see(
        &mut a,
        "removed: it keeps what it had and receives nothing new",
    );
    assert!(
        !has_button(&a, "Remove…"),
        "nothing of mine is left to remove"
    );
    // The diary is on this device alone again: its history can be released.
    gone(&mut a, "Your diary is also on your other devices");
    let list = device(&a).devices().unwrap();
    assert_eq!(list.devices.len(), 3, "{list:?}");
    assert_eq!(
        list.devices.iter().filter(|d| d.revoked).count(),
        1,
        "{list:?}"
    );
}

/// Which devices a window's device knows of (when each last synced aside).
fn devices(h: &App) -> Vec<(String, bool, bool)> {
    let list = device(h).devices().unwrap();
    assert!(list.refused.is_empty(), "{list:?}");
    list.devices
        .into_iter()
        .map(|d| (d.endpoint, d.mine, d.revoked))
        .collect()
}

#[test]
fn a_wrong_code_leaves_no_profile_and_aris_devices_as_they_were() {
    let ([_da, _db, dc], mut a, mut b, mut c) = three_windows_joining();
    assert!(
        dc.path().join("profile").exists(),
        "the join made a profile"
    );
    let before = devices(&a);

    // The new device's person mistypes a digit; Ari types the right code.
    let right = code(&a);
    let wrong: String = right
        .chars()
        .enumerate()
        .map(|(i, ch)| match ch.to_digit(10) {
            Some(d) if i == 0 => char::from_digit((d + 1) % 10, 10).unwrap_or(ch),
            _ => ch,
        })
        .collect();
    type_into(&mut c, "Code on the other screen", &wrong);
    type_into(&mut a, "Code on the other screen", &code(&c));
    click(&mut c, "Confirm code");
    click(&mut a, "Confirm code");
    until(&mut [&mut a, &mut b, &mut c], "both to give up", |w| {
        shows(w[0], "The device was not added") && shows(w[2], "Nothing was kept on this device.")
    });
    see(&mut c, "The codes differ");
    assert_eq!(c.state().page(), None, "the third window opened nothing");
    assert!(
        !dc.path().join("profile").exists(),
        "the profile made for the join is gone"
    );
    assert_eq!(devices(&a), before);
    assert_eq!(before.len(), 2, "{before:?}");
    click(&mut a, "Back to Settings");
    see(&mut a, "first device (Bea's)");
    assert!(!shows(&a, "laptop"));
}

/// A partner's invite, or text that is no invite, is refused on the start screen
/// before anything is made.
#[test]
fn a_partners_invite_is_refused_before_a_profile_is_made() {
    let (da, dc) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut a = app(config(da.path(), true));
    create(&mut a, "Ari");
    wait_for(&mut a, "the network", |x| x.network_ready());
    nav(&mut a, "Pair with my partner");
    click(&mut a, "Invite my partner");
    see(&mut a, "Invite text");
    let pairing = value(&a, "Invite text");

    let mut c = app(config(dc.path(), false));
    c.run_steps(2);
    click(&mut c, "This is another device of mine");
    type_into(&mut c, "Name for this device", "laptop");
    type_into(&mut c, "Passphrase", PASS);
    type_into(&mut c, "Repeat passphrase", PASS);
    type_into(&mut c, "Invite text", "not an invite");
    click(&mut c, "Join my device");
    see(&mut c, "not a Kintsugi invite");
    retype(&mut c, "Invite text", &pairing);
    click(&mut c, "Join my device");
    see(&mut c, "this invite pairs with a partner");
    assert!(!dc.path().join("profile").exists());
    // Back to creating a profile of one's own, as the screen offers.
    click(&mut c, "Create a new profile instead");
    see_exact(&mut c, "Create your profile");
}
