//! The choices that belong to one person, in the real app driven as a person drives
//! it, with a second real app paired over loopback to show what the partner gets:
//! whether opening a letter tells its writer.

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
