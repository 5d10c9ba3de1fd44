//! The choices that belong to one person, in the real app driven as a person drives
//! it, with a second real app paired over loopback to show what the partner gets:
//! whether opening a letter tells its writer; acceptance (private) and forgiveness
//! (offered) on the forgiveness stage; the trigger log, and what of it is shared.

mod common;

use common::*;
use egui_kittest::kittest::Queryable;

#[test]
fn opening_a_letter_tells_the_writer_only_when_the_reader_chooses() {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (mut a, mut b) = paired(da.path(), db.path());
    let (ad, bd) = (device(&a), device(&b));

    nav(&mut a, "Letters");
    type_into(&mut a, "Title", "For Bea");
    type_into(&mut a, "Letter", "I have been thinking about Sunday.");
    click(&mut a, "Save draft");
    click(&mut a, "Send \"For Bea\"");
    see(&mut a, "For Bea (apology) — sent");

    nav(&mut b, "Letters");
    see_in(&mut b, &mut a, "For Bea (apology) — from Ari");
    see(&mut b, "· new");
    click(&mut b, "Open \"For Bea\"");
    see(&mut b, "I have been thinking about Sunday.");
    see(&mut b, "Ari has not been told that you read this.");
    wait(&mut b, "the letter opened", || {
        bd.opened_letters().unwrap().len() == 1
    });
    see(&mut b, "opened; Ari has not been told");
    // Opening wrote nothing to the journal both devices share.
    assert_eq!(bd.letters().unwrap()[0].read_at, None);
    nav(&mut b, "Home");
    assert!(!shows(&b, "unread letter"), "an opened letter is still new");

    nav(&mut b, "Letters");
    click(&mut b, "Open \"For Bea\"");
    click(&mut b, "Let Ari know I read it");
    see(&mut b, "Ari can now see that you read this letter");
    until(&mut [&mut a, &mut b], "Ari to learn it was read", |_| {
        ad.letters().unwrap()[0].read_at.is_some()
    });
    see_in(&mut a, &mut b, "For Bea (apology) — sent");
    see_in(&mut a, &mut b, ", read ");
    see(&mut b, "read; Ari knows");

    // With the setting, opening tells at once.
    nav(&mut b, "Settings");
    see(&mut b, "Read receipts");
    b.get_by_label_contains("always — opening a letter tells your partner")
        .click();
    b.run_steps(2);
    wait(&mut b, "the setting", || {
        bd.settings().unwrap().read_receipts == kintsugi_device::ReadReceipts::Always
    });
    let draft = ad
        .draft_letter(kintsugi_device::LetterKind::Hope, "Second", "And one more.")
        .unwrap();
    ad.send_letter(&draft).unwrap();
    nav(&mut b, "Letters");
    see_in(&mut b, &mut a, "Second (hope) — from Ari");
    click(&mut b, "Open \"Second\"");
    see(&mut b, "And one more.");
    until(
        &mut [&mut a, &mut b],
        "the second letter marked read",
        |_| ad.letters().unwrap().iter().all(|l| l.read_at.is_some()),
    );
}

/// Whether any change in the history of `d`'s shared journal holds `text`, every
/// change decoded: the saved bytes compress their columns once the document is big
/// enough, so a search of them raw could miss what is there.
fn in_history(d: &kintsugi_device::Device, text: &str) -> bool {
    let bytes = d.shared_automerge_bytes().unwrap();
    let mut doc = automerge::AutoCommit::load(&bytes).unwrap();
    doc.get_changes(&[])
        .iter()
        .any(|c| format!("{:?}", c.decode()).contains(text))
}

fn holds(bytes: &[u8], text: &str) -> bool {
    bytes.windows(text.len()).any(|w| w == text.as_bytes())
}

#[test]
fn acceptance_stays_private_and_forgiveness_reaches_the_partner() {
    const CANARY: &str = "ACCEPTANCE-IN-THE-APP-51d";
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (mut a, mut b) = paired(da.path(), db.path());
    let (ad, bd) = (device(&a), device(&b));

    nav(&mut b, "6. Forgive and let go");
    see(&mut b, "neither is owed");
    see(&mut b, "Either may never come, and that is allowed.");
    type_into(&mut b, "In your own words (private)", CANARY);
    click(&mut b, "I have reached acceptance");
    wait(&mut b, "the acceptance", || {
        bd.acceptance().unwrap().is_some()
    });
    see(&mut b, "You marked acceptance on");
    see(&mut b, CANARY);
    assert_eq!(
        bd.acceptance().unwrap().unwrap().words.as_deref(),
        Some(CANARY)
    );

    // Ari's name arrives with the first sync.
    see_in(&mut b, &mut a, "Forgiveness — shared with Ari");
    type_into(&mut b, "Words for Ari (optional)", "I forgive you.");
    click(&mut b, "Offer forgiveness to Ari…");
    see(&mut b, "Offer forgiveness to Ari?");
    see(&mut b, "Ari will see that you offered forgiveness");
    click(&mut b, "Not now");
    gone(&mut b, "Offer forgiveness to Ari?");
    assert!(ad.stages().unwrap().iter().all(|s| s.forgiveness.is_none()));
    click(&mut b, "Offer forgiveness to Ari…");
    click(&mut b, "Offer it");
    see(&mut b, "You offered Ari forgiveness on");

    nav(&mut a, "6. Forgive and let go");
    see_in(&mut a, &mut b, "Bea offered you forgiveness on");
    see(&mut a, "\"I forgive you.\"");
    assert!(!shows(&a, CANARY), "Bea's acceptance shows on Ari's screen");
    assert!(!shows(&a, "You marked acceptance"));
    assert_eq!(ad.acceptance().unwrap(), None);
    for format in [
        kintsugi_device::ExportFormat::Json,
        kintsugi_device::ExportFormat::Markdown,
    ] {
        for scope in [
            kintsugi_device::ExportScope::Shared,
            kintsugi_device::ExportScope::WithPrivate,
        ] {
            assert!(!holds(&ad.export(format, scope).unwrap(), CANARY));
        }
    }
    assert!(!in_history(&ad, CANARY));

    // Taken back after a plain question: it leaves Ari's screen.
    click(&mut b, "Take back my forgiveness…");
    see(&mut b, "Ari may already have read it");
    click(&mut b, "Take it back");
    gone_in(&mut a, &mut b, "Bea offered you forgiveness on");
    click(&mut b, "Take back my acceptance");
    wait(&mut b, "the acceptance taken back", || {
        bd.acceptance().unwrap().is_none()
    });
    gone(&mut b, "You marked acceptance on");
}

#[test]
fn the_trigger_log_shares_the_numbers_and_a_chosen_moment_only() {
    const CANARY: &str = "UNCHOSEN-MOMENT-IN-THE-APP-3f";
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (mut a, mut b) = paired(da.path(), db.path());
    let (ad, bd) = (device(&a), device(&b));

    nav(&mut b, "Trigger log");
    see(&mut b, "It is private: it stays on your own devices");
    type_into(&mut b, "What brought it back", CANARY);
    click(&mut b, "Log it");
    wait(&mut b, "the first moment", || {
        bd.triggers().unwrap().len() == 1
    });
    type_into(&mut b, "What brought it back", "the old cafe");
    // Stronger this time: two steps up from the middle, from the keyboard.
    b.get_by_role(egui::accesskit::Role::Slider).focus();
    b.run_steps(2);
    for _ in 0..2 {
        b.key_press(egui::Key::ArrowRight);
        b.run_steps(2);
    }
    type_into(&mut b, "When (empty: now)", "someday");
    click(&mut b, "Log it");
    see(&mut b, "is not a time");
    assert_eq!(bd.triggers().unwrap().len(), 1);
    let now = chrono::Local::now().format("%Y-%m-%d %H:%M").to_string();
    retype(&mut b, "When (empty: now)", &now);
    click(&mut b, "Log it");
    wait(&mut b, "the second moment", || {
        bd.triggers().unwrap().len() == 2
    });
    let mut strengths: Vec<u8> = bd.triggers().unwrap().iter().map(|t| t.strength).collect();
    strengths.sort();
    assert_eq!(strengths, [5, 7]);
    see(&mut b, "Your moments (2)");
    see(&mut b, "2 moments, average strength 6.0/10 · not shared");

    // Nothing is shared until Bea chooses, and each choice says what goes.
    see_in(&mut b, &mut a, "Share the weekly numbers with Ari…");
    click(&mut b, "Share the weekly numbers with Ari…");
    see(&mut b, "no words, no times, no single moment");
    click(&mut b, "Share the numbers");
    see(&mut b, "average strength 6.0/10 · shared");
    click(&mut b, "Share \"the old cafe\" with Ari…");
    see(&mut b, "Ari will see this one moment");
    click(&mut b, "Share this moment");
    see(&mut b, "shared with Ari");
    keep_screenshot(&mut b, "screenshot-triggers");

    nav(&mut a, "Trigger log");
    see_in(&mut a, &mut b, "What Bea shared of their log");
    see(&mut a, "2 moments, average strength 6.0/10");
    see_in(&mut a, &mut b, "strength 7/10 · the old cafe");
    assert!(
        !shows(&a, CANARY),
        "a moment Bea kept private shows on Ari's screen"
    );
    assert!(ad.triggers().unwrap().is_empty());
    for format in [
        kintsugi_device::ExportFormat::Json,
        kintsugi_device::ExportFormat::Markdown,
    ] {
        for scope in [
            kintsugi_device::ExportScope::Shared,
            kintsugi_device::ExportScope::WithPrivate,
        ] {
            assert!(!holds(&ad.export(format, scope).unwrap(), CANARY));
        }
    }
    assert!(!in_history(&ad, CANARY));
    assert!(in_history(&ad, "the old cafe"));
}
