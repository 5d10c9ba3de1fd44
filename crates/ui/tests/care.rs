//! The choices that belong to one person, in the real app driven as a person drives
//! it, with a second real app paired over loopback to show what the partner gets:
//! whether opening a letter tells its writer; acceptance (private) and forgiveness
//! (offered) on the forgiveness stage.

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
    assert!(!holds(&ad.shared_automerge_bytes().unwrap(), CANARY));

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
