//! Transparency agreements on the Boundaries page of the real app, driven as two
//! people would drive it in two windows paired over loopback: Ari proposes one
//! from its form, Bea agrees, both are told its review is due, Bea proposes new
//! dates from the renewal dialog, Ari agrees to them, and Bea ends it early.

mod common;

use common::*;
use kintsugi_device::{AgreementState, today, view};

#[test]
fn two_windows_agree_review_renew_and_end_an_agreement() {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (mut a, mut b) = paired(da.path(), db.path());
    let (ad, bd) = (device(&a), device(&b));
    let day = |n: u64| today() + chrono::Days::new(n);

    nav(&mut a, "Boundaries");
    click_label(&mut a, "Propose a transparency agreement");
    see(&mut a, "On its end day it stops by itself");
    type_into(
        &mut a,
        "What you agree to",
        "I share where I am on evenings out",
    );
    type_into(&mut a, "What it covers", "location, evenings out only");
    // A review after the end is refused with its reason first; then the review
    // is today, so it falls due once both agreed.
    retype(&mut a, "Review on (YYYY-MM-DD)", &day(40).to_string());
    retype(&mut a, "Ends on (YYYY-MM-DD)", &day(30).to_string());
    click(&mut a, "Propose agreement");
    see(&mut a, "the review has to come before the end");
    // Nothing typed is lost: only the date is changed.
    assert_eq!(value(&a, "What it covers"), "location, evenings out only");
    retype(&mut a, "Review on (YYYY-MM-DD)", &today().to_string());
    click(&mut a, "Propose agreement");
    wait(&mut a, "the proposal", || {
        ad.agreements().unwrap().len() == 1
    });
    see(&mut a, "Covers: location, evenings out only · not in force");
    keep_screenshot(&mut a, "screenshot-agreements");
    let id = ad.agreements().unwrap()[0].id.clone();

    // Bea sees it proposed and agrees; both are told its review is due.
    nav(&mut b, "Boundaries");
    see_in(
        &mut b,
        &mut a,
        "Covers: location, evenings out only · not in force",
    );
    click(&mut b, "Agree");
    wait(&mut b, "Bea's agreement", || {
        bd.boundary(&id).unwrap().agreement_state(today()) == Some(AgreementState::ReviewDue)
    });
    see_in(&mut a, &mut b, "time to review it together");
    nav(&mut a, "Home");
    see_in(&mut a, &mut b, "Time to review the agreement");
    nav(&mut b, "Home");
    see_in(&mut b, &mut a, "Time to review the agreement");

    // From Home to the page; Bea proposes new dates in the renewal dialog.
    click_label(&mut b, "Time to review the agreement");
    see(&mut b, "time to review it together");
    click(&mut b, "Renew");
    see(&mut b, "Renew this agreement");
    retype(&mut b, "New review date (YYYY-MM-DD)", &day(20).to_string());
    retype(&mut b, "New end date (YYYY-MM-DD)", &day(60).to_string());
    click(&mut b, "Propose new dates");
    see(
        &mut b,
        &format!(
            "You proposed renewing it: review {}, ends {} — waiting for Ari to agree",
            view::day(day(20)),
            view::day(day(60))
        ),
    );
    assert!(!has_button(&b, "Agree to new dates"));

    // Ari is asked on Home, and agrees on the page.
    see_in(&mut a, &mut b, "Bea asks to renew the agreement");
    click_label(&mut a, "Bea asks to renew the agreement");
    see(&mut a, "waiting for you to agree");
    assert!(!has_button(&a, "Take back new dates"));
    click(&mut a, "Agree to new dates");
    let in_force = format!(
        "Covers: location, evenings out only · in force · review {} · ends {}",
        view::day(day(20)),
        view::day(day(60))
    );
    see(&mut a, &in_force);
    nav(&mut b, "Boundaries");
    see_in(&mut b, &mut a, &in_force);
    assert_eq!(bd.boundary(&id).unwrap().agreement.unwrap().ends, day(60));

    // Bea ends it early; it moves to Retired (folded by default) on both, and
    // reads as ended early there.
    click(&mut b, "End agreement");
    see(&mut b, "Retired (1)");
    see_in(&mut a, &mut b, "Retired (1)");
    click_label(&mut b, "Retired (1)");
    see(&mut b, "ended early");
    assert_eq!(
        ad.boundary(&id).unwrap().agreement_state(today()),
        Some(AgreementState::EndedEarly)
    );
}
