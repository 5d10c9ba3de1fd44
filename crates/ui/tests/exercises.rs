//! The Exercises page in the real app, driven as two people would drive it in two
//! windows paired over loopback: Ari proposes an exercise from the library for a
//! day, Bea suggests another day, Ari accepts it, both mark it done and write a
//! reflection. Ari keeps one private, which never reaches Bea's device, and shares
//! another, which does.

mod common;

use common::*;
use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT, Queryable};
use kintsugi_device::{ExerciseStatus, ExportFormat, ExportScope, view};

const CANARY: &str = "PRIVATE-CANARY-3f7a what I kept to myself";
const TITLE: &str = "Ten minutes each, only listening";

#[test]
fn two_windows_propose_answer_do_and_reflect_on_an_exercise() {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (mut a, mut b) = paired(da.path(), db.path());
    let (ad, bd) = (device(&a), device(&b));
    let today = chrono::Local::now().date_naive();
    let (first, second) = (today + chrono::Days::new(2), today + chrono::Days::new(4));

    // Home says nothing is planned, and leads to the page.
    see(&mut a, "No exercise is planned");
    nav(&mut a, "Exercises");
    see(&mut a, "Nothing planned yet");
    // The library, by stage: an exercise opens to its steps and its length.
    see(&mut a, "3. Talk honestly");
    click_label(&mut a, TITLE);
    see(&mut a, "about 25 minutes");
    see(&mut a, "1. Set a timer for ten minutes.");
    click(&mut a, "Propose for a date\u{2026}");
    retype(&mut a, "Date (YYYY-MM-DD)", "someday");
    see(&mut a, "Write the date like 2026-12-02.");
    retype(&mut a, "Date (YYYY-MM-DD)", &first.to_string());
    click(&mut a, "Propose");
    wait(&mut a, "the proposal", || {
        ad.exercises().unwrap().len() == 1
    });
    see(
        &mut a,
        &format!(
            "You suggested {}, waiting for Bea's answer",
            view::day(first)
        ),
    );
    // It is not Ari's to accept.
    assert!(!has_button(&a, &format!("Accept {}", view::day(first))));

    // Bea is asked on Home, and answers with another day.
    see_in(&mut b, &mut a, "Ari suggested the exercise");
    click_label(&mut b, "Ari suggested the exercise");
    see(&mut b, "Waiting for your answer");
    assert!(has_button(&b, &format!("Accept {}", view::day(first))));
    click(&mut b, "Suggest another date");
    assert_eq!(value(&b, "Date (YYYY-MM-DD)"), first.to_string());
    retype(&mut b, "Date (YYYY-MM-DD)", &second.to_string());
    click(&mut b, "Suggest this date");
    see(
        &mut b,
        &format!(
            "You suggested {}, waiting for Ari's answer",
            view::day(second)
        ),
    );

    // Ari accepts Bea's day; both see it planned, and Home says it is next.
    see_in(
        &mut a,
        &mut b,
        &format!(
            "Bea suggested {}, waiting for your answer",
            view::day(second)
        ),
    );
    click(&mut a, &format!("Accept {}", view::day(second)));
    see(&mut a, &format!("Planned for {}", view::day(second)));
    see_in(
        &mut b,
        &mut a,
        &format!("Planned for {}", view::day(second)),
    );
    nav(&mut b, "Home");
    see(
        &mut b,
        &format!(
            "Next exercise: \"{TITLE}\" is planned for {} (in 4 days)",
            view::day(second)
        ),
    );
    click_label(&mut b, "Next exercise:");
    wait_for(&mut b, "the Exercises page", |app| {
        app.page() == Some(kintsugi_ui::Page::Exercises)
    });

    // Both did it.
    click(&mut a, "Mark done");
    see(&mut a, "you marked it done, Bea has not yet");
    see_in(&mut b, &mut a, "Ari marked it done");
    click(&mut b, "Mark done");
    until(&mut [&mut a, &mut b], "done on both devices", |_| {
        [&ad, &bd]
            .iter()
            .all(|d| d.exercises().unwrap()[0].status == ExerciseStatus::Done)
    });
    // Each window has settled before its person clicks on: a click lands where the
    // button was drawn, and an entry arriving moves it.
    see_in(&mut a, &mut b, "Done by both of you");
    see_in(&mut b, &mut a, "Done by both of you");
    see(&mut a, "History (1)");

    // Ari's reflection, kept private: nothing is chosen for him.
    click(&mut a, "Write a reflection");
    type_into(&mut a, "Reflection", CANARY);
    assert!(
        a.get_by_role_and_label(Role::Button, "Save reflection")
            .accesskit_node()
            .is_disabled(),
        "it could be saved before choosing where it is kept"
    );
    click_label(&mut a, "Keep it private");
    see(&mut a, view::REFLECTION_PRIVATE);
    click(&mut a, "Save reflection");
    see(&mut a, "You reflected (private, only on your own devices):");
    see(&mut a, CANARY);
    wait(&mut a, "the private reflection", || {
        ad.exercise_reflections().unwrap().len() == 1
    });

    // Bea shares hers; once Ari has it, he shares one too.
    click(&mut b, "Write a reflection");
    type_into(&mut b, "Reflection", "I felt listened to");
    click_label(&mut b, "Share it with Ari");
    click(&mut b, "Save reflection");
    see_in(&mut a, &mut b, "I felt listened to");
    see(&mut a, "Bea reflected:");
    click(&mut a, "Write a reflection");
    type_into(&mut a, "Reflection", "Harder than I expected, and better");
    click_label(&mut a, "Share it with Bea");
    click(&mut a, "Save reflection");
    // Ari's shared reflection came after the private one: once it is on Bea's
    // screen, everything of Ari's journal before it is on her device.
    see_in(&mut b, &mut a, "Harder than I expected, and better");
    see(&mut b, "Ari reflected:");
    assert!(
        !shows(&b, "PRIVATE-CANARY"),
        "Bea's window shows Ari's private words"
    );
    assert!(!shows(&b, "private, only on your own devices"));
    assert!(bd.exercise_reflections().unwrap().is_empty());
    let everything = bd
        .export(ExportFormat::Json, ExportScope::WithPrivate)
        .unwrap();
    assert!(!String::from_utf8_lossy(&everything).contains("PRIVATE-CANARY"));
    let shared = ad.exercises().unwrap()[0].reflections.clone();
    assert_eq!(shared.len(), 2);
    assert!(shared.iter().all(|r| !r.text.contains("PRIVATE-CANARY")));
}

/// A stage's page names the exercises for that stage, and one opens on the
/// Exercises page with its steps and the button that proposes it.
#[test]
fn a_stage_page_leads_to_its_exercises() {
    let (_dir, mut h, _d) = one_window();
    nav(&mut h, "3. Talk honestly");
    see(&mut h, "Exercises to do together");
    see(&mut h, "Talking through a hard moment (about 45 minutes)");
    assert!(!shows(&h, "Three appreciations a day"), "another stage's");
    click(&mut h, "See the steps");
    wait_for(&mut h, "the Exercises page", |app| {
        app.page() == Some(kintsugi_ui::Page::Exercises)
    });
    see(&mut h, "Feelings: each of you names how you felt");
    assert!(has_button(&h, "Propose for a date\u{2026}"));
}
