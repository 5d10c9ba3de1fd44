//! Changing what was written, and finding it again, in the real app driven through
//! egui_kittest as a person drives it: a real encrypted profile in a temporary
//! folder, and for what the partner sees, a second real app paired over loopback.

mod common;

use common::*;
use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use kintsugi_ui::Page;

#[test]
fn a_diary_entry_is_edited_then_deleted_after_a_plain_warning() {
    let (_dir, mut h, d) = one_window();
    nav(&mut h, "Private diary");
    type_into(&mut h, "New entry", "A typo hre");
    click(&mut h, "Save entry");
    see(&mut h, "A typo hre");

    click(&mut h, "Edit");
    see(&mut h, "Edit this entry");
    assert_eq!(value(&h, "Entry text"), "A typo hre");
    retype(&mut h, "Entry text", "A typo here, fixed");
    pick(&mut h, "Mood of this entry", "4/5");
    pick(&mut h, "Stage of this entry", "3");
    click(&mut h, "Save changes");
    wait(&mut h, "the edit", || {
        let e = d.diary_entries().unwrap();
        e.len() == 1
            && (e[0].text.as_str(), e[0].mood, e[0].stage)
                == ("A typo here, fixed", Some(4), Some(3))
    });
    see(&mut h, "A typo here, fixed");
    see(&mut h, "mood 4/5");
    assert!(!shows(&h, "Edit this entry"), "the form stayed open");

    // Asking first, in plain words; "Keep it" keeps it.
    click(&mut h, "Delete");
    see(&mut h, "gone at once from every list, search and export");
    see(
        &mut h,
        "still holds it until you release the diary's history",
    );
    click(&mut h, "Keep it");
    gone(&mut h, "Delete this entry?");
    assert_eq!(d.diary_entries().unwrap().len(), 1);

    click(&mut h, "Delete");
    click(&mut h, "Delete it");
    wait(&mut h, "the deletion", || {
        d.diary_entries().unwrap().is_empty()
    });
    gone(&mut h, "A typo here, fixed");
    see(&mut h, "Nothing here yet.");
    see(&mut h, "Deleted.");
}

#[test]
fn a_letter_draft_is_reworked_in_the_form_then_discarded_after_asking() {
    let (_dir, mut h, d) = one_window();
    nav(&mut h, "Letters");
    type_into(&mut h, "Title", "Sorry");
    type_into(&mut h, "Letter", "I was wrong.");
    click(&mut h, "Save draft");
    wait(&mut h, "the draft", || d.drafts().unwrap().len() == 1);
    assert_eq!(value(&h, "Title"), "");

    // Edit opens the draft in the letter form.
    click(&mut h, "Edit \"Sorry\"");
    see(&mut h, "Reworking the draft \"Sorry\"");
    assert_eq!(value(&h, "Title"), "Sorry");
    assert_eq!(value(&h, "Letter"), "I was wrong.");
    retype(&mut h, "Letter", "I was wrong, and I know how it hurt you.");
    pick(&mut h, "Kind of letter", "hope");
    click(&mut h, "Save changes");
    wait(&mut h, "the reworked draft", || {
        let drafts = d.drafts().unwrap();
        drafts.len() == 1
            && drafts[0].body == "I was wrong, and I know how it hurt you."
            && drafts[0].kind == kintsugi_device::LetterKind::Hope
            && drafts[0].title == "Sorry"
    });
    see(&mut h, "Sorry (hope)");
    click(&mut h, "Done editing");
    assert_eq!(value(&h, "Title"), "");
    assert_eq!(value(&h, "Letter"), "");

    click(&mut h, "Discard \"Sorry\"");
    see(&mut h, "Discard the draft \"Sorry\"?");
    see(
        &mut h,
        "still holds it until you release the diary's history",
    );
    click(&mut h, "Keep it");
    gone(&mut h, "Discard the draft");
    assert_eq!(d.drafts().unwrap().len(), 1);
    click(&mut h, "Discard \"Sorry\"");
    click(&mut h, "Discard it");
    wait(&mut h, "the discarded draft", || {
        d.drafts().unwrap().is_empty()
    });
    gone(&mut h, "Sorry (hope)");
    assert!(
        d.letters().unwrap().is_empty(),
        "a discarded draft was sent"
    );
}

#[test]
fn search_shows_results_as_you_type_and_the_filters_narrow_them() {
    let (_dir, mut h, d) = one_window();
    d.add_diary_entry("The evening at the lake", None, Some(3))
        .unwrap();
    d.add_diary_entry("Another evening, a quieter one", None, Some(5))
        .unwrap();
    d.add_diary_entry("A morning walk", None, Some(3)).unwrap();
    d.propose_boundary("No phones in the evening", None)
        .unwrap();
    nav(&mut h, "Search");
    see(&mut h, "Type a word");

    // No button to press: each keystroke searches.
    type_into(&mut h, "Search for", "even");
    see(&mut h, "3 found");
    see(&mut h, "No phones in the evening");
    see(&mut h, "Another evening, a quieter one");
    assert!(!shows(&h, "A morning walk"));
    type_into(&mut h, "Search for", "ing at");
    see(&mut h, "1 found");
    gone(&mut h, "No phones in the evening");
    retype(&mut h, "Search for", "evening");
    see(&mut h, "3 found");

    // What is written meanwhile shows in the open results.
    d.add_diary_entry("One more evening", None, Some(3))
        .unwrap();
    see(&mut h, "4 found");

    h.get_by_role_and_label(Role::CheckBox, "Diary entry")
        .click();
    h.run_steps(2);
    see(&mut h, "3 found");
    gone(&mut h, "No phones in the evening");
    pick(&mut h, "Stage", "stage 3");
    see(&mut h, "2 found");
    gone(&mut h, "Another evening, a quieter one");

    let today = chrono::Local::now().date_naive();
    type_into(&mut h, "From (YYYY-MM-DD)", &today.to_string());
    see(&mut h, "2 found");
    let yesterday = today - chrono::Days::new(1);
    type_into(&mut h, "To (YYYY-MM-DD)", &yesterday.to_string());
    see(&mut h, "Nothing found.");
    retype(&mut h, "To (YYYY-MM-DD)", &today.to_string());
    see(&mut h, "2 found");

    // A result opens where it lives.
    h.get_by_label("The evening at the lake").click();
    h.run_steps(3);
    assert_eq!(h.state().page(), Some(Page::Diary));
    see(&mut h, "The evening at the lake");
}

/// A check-in found by its answer opens the Check-ins page with that week's row in
/// view, though the history sits below the form and the plot.
#[test]
fn a_checkin_found_by_search_is_scrolled_into_view() {
    let (_dir, mut h, d) = one_window();
    for (w, went_well) in (30..40).zip(std::iter::repeat("An ordinary week")) {
        let went_well = if w == 31 {
            "The long talk on the balcony"
        } else {
            went_well
        };
        d.save_checkin(&kintsugi_device::CheckInInput {
            week: format!("2026-W{w}"),
            mood: 3,
            trust: 5,
            closeness: 5,
            went_well: Some(went_well.into()),
            hard: None,
            need: None,
            appreciate: None,
        })
        .unwrap();
    }
    let rect = |h: &App| {
        h.get_by_label("What went well: The long talk on the balcony")
            .rect()
    };
    nav(&mut h, "Check-ins");
    see(&mut h, "The long talk on the balcony");
    assert!(
        rect(&h).min.y > SIZE.y,
        "the row should start below the fold for this test to mean anything"
    );

    nav(&mut h, "Search");
    type_into(&mut h, "Search for", "balcony");
    see(&mut h, "1 found");
    h.get_all_by_label_contains("The long talk on the balcony")
        .next()
        .unwrap()
        .click();
    until(&mut [&mut h], "the row to scroll into view", |w| {
        w[0].state().page() == Some(Page::Checkins) && {
            let r = rect(w[0]);
            r.min.y >= 0.0 && r.max.y <= SIZE.y
        }
    });
}

#[test]
fn ctrl_f_opens_search_with_the_keyboard_in_its_field() {
    let (_dir, mut h, _d) = one_window();
    nav(&mut h, "Boundaries");
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::F);
    h.run_steps(3);
    assert_eq!(h.state().page(), Some(Page::Search));
    assert!(
        input(&h, "Search for").is_focused(),
        "the search field did not take the keyboard"
    );
    // Typing goes straight into it.
    h.event(egui::Event::Text("even".into()));
    h.run_steps(2);
    assert_eq!(value(&h, "Search for"), "even");
}

#[test]
fn my_boundary_gets_a_new_wording_to_agree_on_and_a_proposal_is_withdrawn() {
    let (_dir, mut h, d) = one_window();
    nav(&mut h, "Boundaries");
    type_into(&mut h, "New boundary", "Phones away at dinner");
    click(&mut h, "Propose");
    wait(&mut h, "the boundary", || {
        d.boundaries().unwrap().len() == 1
    });

    click(&mut h, "Change wording");
    see(&mut h, "Propose a new wording");
    see(&mut h, "Until they do, the wording that stands now stays");
    assert_eq!(value(&h, "New wording"), "Phones away at dinner");
    retype(
        &mut h,
        "New wording",
        "Phones away at dinner and at breakfast",
    );
    click(&mut h, "Propose new wording");
    wait(&mut h, "the amendment", || {
        d.boundaries().unwrap()[0]
            .amendment
            .as_ref()
            .is_some_and(|a| a.text == "Phones away at dinner and at breakfast")
    });
    // Both wordings show: the one that stands, and the one waiting.
    see(&mut h, "waiting for your partner to agree");
    see(&mut h, "Phones away at dinner and at breakfast");
    assert_eq!(d.boundaries().unwrap()[0].text, "Phones away at dinner");
    assert!(
        h.query_by_label("Phones away at dinner").is_some(),
        "the wording that stands is no longer shown"
    );
    assert!(
        !shows(&h, "Agree to new wording"),
        "I proposed it, so I agreed"
    );

    // The author can take it back before the partner agrees.
    click(&mut h, "Take back new wording");
    wait(&mut h, "the amendment taken back", || {
        d.boundaries().unwrap()[0].amendment.is_none()
    });
    gone(&mut h, "waiting for your partner to agree");

    // A proposal nobody agreed to yet can be withdrawn, after a plain question.
    click(&mut h, "Withdraw");
    see(&mut h, "Withdraw this boundary?");
    see(&mut h, "It cannot undo what your partner already received");
    click(&mut h, "Keep it");
    gone(&mut h, "Withdraw this boundary?");
    assert_eq!(d.boundaries().unwrap().len(), 1);
    click(&mut h, "Withdraw");
    click(&mut h, "Withdraw it");
    wait(&mut h, "the withdrawal", || {
        d.boundaries().unwrap().is_empty()
    });
    gone(&mut h, "Phones away at dinner");
    see(
        &mut h,
        "Your partner's device keeps what it already received",
    );
}

#[test]
fn my_promise_gets_new_terms_to_agree_on_and_one_not_yet_due_is_withdrawn() {
    let (_dir, mut h, d) = one_window();
    let today = chrono::Local::now().date_naive();
    let due = today + chrono::Days::new(7);
    let later = today + chrono::Days::new(14);
    nav(&mut h, "Promises");
    type_into(&mut h, "I promise", "Call at nine");
    click(&mut h, "Make this promise");
    wait(&mut h, "the promise", || d.promises().unwrap().len() == 1);
    see(&mut h, &format!("Call at nine — You promised, due {due}"));

    click(&mut h, "Renegotiate");
    see(&mut h, "Propose new terms");
    assert_eq!(value(&h, "New terms"), "Call at nine");
    assert_eq!(value(&h, "New due date (YYYY-MM-DD)"), due.to_string());
    retype(&mut h, "New terms", "Call at ten");
    retype(&mut h, "New due date (YYYY-MM-DD)", &later.to_string());
    click(&mut h, "Propose new terms");
    wait(&mut h, "the new terms", || {
        d.promises().unwrap()[0]
            .renegotiation
            .as_ref()
            .is_some_and(|r| r.text == "Call at ten" && r.due == Some(later))
    });
    // The terms that stand stay until the partner agrees; the new ones show beside.
    see(&mut h, &format!("Call at ten, due {later}"));
    see(&mut h, "waiting for your partner to agree");
    see(&mut h, &format!("Call at nine — You promised, due {due}"));
    assert!(
        !shows(&h, "Agree to new terms"),
        "I proposed them, so I agreed"
    );

    click(&mut h, "Take back new terms");
    wait(&mut h, "the terms taken back", || {
        d.promises().unwrap()[0].renegotiation.is_none()
    });
    gone(&mut h, "waiting for your partner to agree");

    // Not yet due: it can be withdrawn, after a plain question.
    click(&mut h, "Withdraw");
    see(&mut h, "Withdraw this promise?");
    see(&mut h, "It cannot undo what your partner already received");
    click(&mut h, "Withdraw it");
    wait(&mut h, "the withdrawal", || {
        d.promises().unwrap().is_empty()
    });
    gone(&mut h, "Call at nine");

    // One due today is no longer offered for withdrawal.
    d.add_promise("Wash up", &today.to_string()).unwrap();
    see(&mut h, "Wash up");
    assert!(
        h.query_by_role_and_label(Role::Button, "Withdraw")
            .is_none(),
        "a promise already due offers to be withdrawn"
    );
}

#[test]
fn my_checkin_answers_are_changed_and_the_earlier_ones_stay_readable() {
    let (_dir, mut h, d) = one_window();
    nav(&mut h, "Check-ins");
    type_into(&mut h, "What went well", "We walked");
    type_into(&mut h, "What I need", "More sleep");
    click(&mut h, "Save check-in");
    wait(&mut h, "the check-in", || d.checkins().unwrap().len() == 1);
    let week = d.checkins().unwrap()[0].week.clone();
    see(&mut h, "What went well: We walked");

    click(&mut h, &format!("Edit answers for {week}"));
    see(&mut h, &format!("Edit your answers for {week}"));
    assert_eq!(value(&h, "What went well"), "We walked");
    assert_eq!(value(&h, "What I need"), "More sleep");
    retype(&mut h, "What went well", "We walked by the river");
    type_into(&mut h, "What I appreciate", "Your patience");
    click(&mut h, "Save changes");
    wait(&mut h, "the edit", || {
        let c = &d.checkins().unwrap()[0];
        c.went_well.as_deref() == Some("We walked by the river")
            && c.appreciate.as_deref() == Some("Your patience")
            && c.need.as_deref() == Some("More sleep")
    });
    see(&mut h, "What went well: We walked by the river");
    see(&mut h, "What I appreciate: Your patience");
    see(&mut h, "· edited");
    click(&mut h, "Earlier answers (1)");
    see(&mut h, "Earlier versions, newest first (1)");
    see(&mut h, "What went well: We walked\nWhat I need: More sleep");
    click(&mut h, "Close");
    gone(&mut h, "Earlier versions, newest first");
}

#[test]
fn my_stage_note_is_changed_and_the_earlier_note_stays_readable() {
    let (_dir, mut h, d) = one_window();
    nav(&mut h, "1. Acknowledge what happened");
    type_into(&mut h, "Note for your partner (optional)", "I see it now");
    click(&mut h, "Mark this stage done");
    see(&mut h, "You: done — \"I see it now\"");

    click(&mut h, "Change my note");
    see(&mut h, "Your note on this stage");
    assert_eq!(value(&h, "Your note"), "I see it now");
    retype(&mut h, "Your note", "I see it now, and what it cost you");
    click(&mut h, "Save note");
    wait(&mut h, "the new note", || {
        d.stages().unwrap()[0].note.as_deref() == Some("I see it now, and what it cost you")
    });
    see(
        &mut h,
        "You: done — \"I see it now, and what it cost you\" · edited",
    );
    click(&mut h, "Earlier versions (1)");
    see(&mut h, "Your notes on stage 1");
    see(&mut h, "Earlier versions, newest first (1)");
    assert!(
        h.query_by_label("I see it now").is_some(),
        "the earlier note is not shown"
    );
}

#[test]
fn my_shared_entry_is_reworded_then_withdrawn_and_the_diary_keeps_it() {
    let (_dir, mut h, d) = one_window();
    let id = d
        .add_diary_entry("I was scared that night", None, Some(2))
        .unwrap();
    d.share_diary_entry(&id).unwrap();
    nav(&mut h, "Shared entries");
    see(&mut h, "I was scared that night");

    click(&mut h, "Edit shared text");
    see(&mut h, "Change what you shared");
    see(&mut h, "Your private diary entry stays as it is");
    retype(
        &mut h,
        "Shared text",
        "I was scared that night, and ashamed",
    );
    click(&mut h, "Save changes");
    wait(&mut h, "the edit", || {
        d.shared_entries().unwrap()[0].text == "I was scared that night, and ashamed"
    });
    see(&mut h, "I was scared that night, and ashamed");
    see(&mut h, "· edited");
    click(&mut h, "Earlier versions (1)");
    see(&mut h, "Earlier versions, newest first (1)");
    click(&mut h, "Close");
    assert_eq!(
        d.diary_entries().unwrap()[0].text,
        "I was scared that night",
        "editing what was shared changed the diary"
    );

    click(&mut h, "Withdraw");
    see(&mut h, "Withdraw this shared entry?");
    see(&mut h, "It cannot undo what your partner already received");
    click(&mut h, "Withdraw it");
    wait(&mut h, "the withdrawal", || {
        d.shared_entries().unwrap().is_empty()
    });
    gone(&mut h, "I was scared that night, and ashamed");
    assert_eq!(d.diary_entries().unwrap().len(), 1);
}

// ---- What the partner sees ----

/// Only the agreed new wording shows in `me`'s window, marked edited, and the old
/// one is there as an earlier version.
fn agreed_wording(me: &mut App, other: &mut App) {
    gone_in(me, other, "waiting for");
    see_in(me, other, "· edited");
    assert!(
        me.query_by_label("Phones away at dinner and at breakfast")
            .is_some()
    );
    assert!(me.query_by_label("Phones away at dinner").is_none());
    click(me, "Earlier versions (1)");
    see(me, "Wordings of this boundary");
    assert!(
        me.query_by_label("Phones away at dinner").is_some(),
        "the earlier wording is not in the versions"
    );
    click(me, "Close");
    gone(me, "Wordings of this boundary");
}

#[test]
fn a_new_wording_and_new_terms_show_beside_the_old_on_the_partners_side_until_agreed() {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (mut a, mut b) = paired(da.path(), db.path());
    let (ad, bd) = (device(&a), device(&b));
    let today = chrono::Local::now().date_naive();
    let (due, later) = (today + chrono::Days::new(7), today + chrono::Days::new(14));

    // An agreed boundary of Ari's, and a promise.
    ad.propose_boundary("Phones away at dinner", None).unwrap();
    ad.add_promise("Call at nine", &due.to_string()).unwrap();
    nav(&mut b, "Boundaries");
    see_in(&mut b, &mut a, "Phones away at dinner");
    click(&mut b, "Agree");
    until(&mut [&mut a, &mut b], "Bea's agreement", |_| {
        ad.boundaries().unwrap()[0].status == kintsugi_device::BoundaryStatus::Agreed
    });

    // Ari proposes a new wording in his window, once it shows the boundary agreed: the
    // row moves to another section when Bea's agreement arrives, and a click aimed at
    // where it stood before lands on nothing.
    nav(&mut a, "Boundaries");
    see_in(&mut a, &mut b, "Agreed by both (1)");
    click(&mut a, "Change wording");
    retype(
        &mut a,
        "New wording",
        "Phones away at dinner and at breakfast",
    );
    click(&mut a, "Propose new wording");
    see(
        &mut a,
        "waiting for Bea to agree: Phones away at dinner and at breakfast",
    );

    // Bea sees both: the wording that stands, and the new one waiting for her.
    see_in(
        &mut b,
        &mut a,
        "waiting for you to agree: Phones away at dinner and at breakfast",
    );
    assert!(
        b.query_by_label("Phones away at dinner").is_some(),
        "the wording that stands is not shown"
    );
    assert_eq!(bd.boundaries().unwrap()[0].text, "Phones away at dinner");
    click(&mut b, "Agree to new wording");

    // Then only the new wording shows, marked edited, the old one an earlier version.
    agreed_wording(&mut a, &mut b);
    agreed_wording(&mut b, &mut a);
    assert_eq!(
        ad.boundaries().unwrap()[0].text,
        "Phones away at dinner and at breakfast"
    );

    // New terms for the promise: the same, agreed in Bea's window.
    nav(&mut a, "Promises");
    click(&mut a, "Renegotiate");
    retype(&mut a, "New terms", "Call at ten");
    retype(&mut a, "New due date (YYYY-MM-DD)", &later.to_string());
    click(&mut a, "Propose new terms");
    nav(&mut b, "Promises");
    see_in(
        &mut b,
        &mut a,
        &format!("waiting for you to agree: Call at ten, due {later}"),
    );
    see(&mut b, &format!("Call at nine — Ari promised, due {due}"));
    click(&mut b, "Agree to new terms");
    see_in(
        &mut a,
        &mut b,
        &format!("Call at ten — You promised, due {later}"),
    );
    gone_in(&mut a, &mut b, "waiting for");
    // The follow-through chain: the terms before, and the ones that stand.
    click(&mut a, "Earlier terms (1)");
    see(&mut a, "This promise's terms over time");
    see(&mut a, &format!("Call at nine, due {due}"));
    see(&mut a, &format!("Call at ten, due {later}"));
    let p = &bd.promises().unwrap()[0];
    assert_eq!((p.text.as_str(), p.due), ("Call at ten", later));
}

#[test]
fn an_edited_entry_shows_edited_and_its_earlier_versions_to_the_partner_and_a_withdrawn_one_leaves_both()
 {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (mut a, mut b) = paired(da.path(), db.path());
    let (ad, bd) = (device(&a), device(&b));
    let week = kintsugi_device::view::week_of(chrono::Local::now().date_naive());

    let id = ad
        .add_diary_entry("I was scared that night", None, Some(2))
        .unwrap();
    ad.share_diary_entry(&id).unwrap();
    // Straight in: what is tested here is the edit Bea sees afterwards.
    ad.set_reveal_checkins_together(false).unwrap();
    ad.save_checkin(&kintsugi_device::CheckInInput {
        week: week.clone(),
        mood: 3,
        trust: 5,
        closeness: 5,
        went_well: Some("We walked".into()),
        ..Default::default()
    })
    .unwrap();
    ad.set_stage(1, true, Some("I see it now")).unwrap();
    until(&mut [&mut a, &mut b], "Ari's entries at Bea's", |_| {
        bd.shared_entries().unwrap().len() == 1
            && bd.checkins().unwrap().len() == 1
            && bd.stages().unwrap().len() == 1
    });

    // Ari changes each in his window.
    nav(&mut a, "Shared entries");
    click(&mut a, "Edit shared text");
    retype(
        &mut a,
        "Shared text",
        "I was scared that night, and ashamed",
    );
    click(&mut a, "Save changes");
    nav(&mut a, "Check-ins");
    click(&mut a, &format!("Edit answers for {week}"));
    retype(&mut a, "What went well", "We walked by the river");
    click(&mut a, "Save changes");
    nav(&mut a, "1. Acknowledge what happened");
    click(&mut a, "Change my note");
    retype(&mut a, "Your note", "I see it now, and what it cost you");
    click(&mut a, "Save note");

    // Bea sees each marked edited, with what it said before.
    nav(&mut b, "Shared entries");
    see_in(&mut b, &mut a, "I was scared that night, and ashamed");
    see(&mut b, "· edited");
    assert!(!shows(&b, "Edit shared text"), "Bea can edit Ari's words");
    click(&mut b, "Earlier versions (1)");
    see(&mut b, "Ari's shared entry");
    assert!(b.query_by_label("I was scared that night").is_some());
    click(&mut b, "Close");

    nav(&mut b, "Check-ins");
    see_in(&mut b, &mut a, "What went well: We walked by the river");
    see(&mut b, &format!("{week} — Ari: mood 3/5"));
    see(&mut b, "· edited");
    assert!(!shows(&b, "Edit answers for"), "Bea can edit Ari's answers");
    click(&mut b, "Earlier answers (1)");
    see(&mut b, &format!("Ari's answers for {week}"));
    assert!(b.query_by_label("What went well: We walked").is_some());
    click(&mut b, "Close");

    nav(&mut b, "1. Acknowledge what happened");
    see_in(
        &mut b,
        &mut a,
        "Ari: done — \"I see it now, and what it cost you\" · edited",
    );
    click(&mut b, "Earlier versions (1)");
    see(&mut b, "Ari's notes on stage 1");
    assert!(b.query_by_label("I see it now").is_some());
    click(&mut b, "Close");

    // Withdrawn in Ari's window, it leaves both.
    nav(&mut b, "Shared entries");
    nav(&mut a, "Shared entries");
    click(&mut a, "Withdraw");
    see(&mut a, "It cannot undo what your partner already received");
    click(&mut a, "Withdraw it");
    gone_in(&mut a, &mut b, "I was scared that night, and ashamed");
    gone_in(&mut b, &mut a, "I was scared that night, and ashamed");
    see(&mut b, "Nothing here yet.");
    assert!(bd.shared_entries().unwrap().is_empty());
}
