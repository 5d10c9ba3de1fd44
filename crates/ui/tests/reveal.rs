//! Check-ins revealed together, in two real windows paired over loopback: Bea's
//! window says that Ari saved and shows none of his answers until she saves hers;
//! then both windows show both.

mod common;

use common::*;
use egui_kittest::kittest::Queryable;
use kintsugi_device::Revealed;
use kintsugi_ui::Page;

const ARI: &str = "Ari's canary: the walk by the river";
const BEA: &str = "Bea's canary: a quiet Sunday";

fn save(h: &mut App, went_well: &str) {
    nav(h, "Check-ins");
    type_into(h, "What went well", went_well);
    click(h, "Save check-in");
}

#[test]
fn a_partners_answers_show_only_once_both_saved_and_the_settings_say_so() {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (mut a, mut b) = paired(da.path(), db.path());
    let (ad, bd) = (device(&a), device(&b));

    save(&mut a, ARI);
    see(&mut a, "Saved on this device");
    see(&mut a, "Bea has not saved theirs yet");
    // Ari's own window shows his answers, which only his device holds.
    see(&mut a, "Your answers, on this device only for now:");
    see(&mut a, ARI);

    nav(&mut b, "Check-ins");
    see_in(&mut b, &mut a, "Ari saved a check-in");
    assert!(
        !shows(&b, "Ari's canary"),
        "Bea's window shows Ari's answers"
    );
    assert!(
        bd.checkins().unwrap().is_empty() && bd.held_checkins().unwrap().is_empty(),
        "Bea's device holds Ari's answers"
    );
    nav(&mut b, "Home");
    see(&mut b, "is not written yet");
    nav(&mut b, "Check-ins");

    save(&mut b, BEA);
    // Bea's device had Ari's commitment, so hers goes at once, and his follows.
    see_in(&mut b, &mut a, ARI);
    see_in(&mut a, &mut b, BEA);
    gone(&mut a, "Bea has not saved theirs yet");
    gone(&mut b, "Ari saved a check-in");
    for d in [&ad, &bd] {
        let list = d.checkins().unwrap();
        assert_eq!(list.len(), 2);
        assert!(list.iter().all(|c| c.revealed == Revealed::Together));
    }

    // The setting, with what it does and cannot do.
    nav(&mut a, "Settings");
    see(&mut a, "Once both of you have saved, the answers travel");
    a.get_by_label("Keep my check-in answers on this device until my partner has saved theirs")
        .click();
    a.run_steps(2);
    wait(&mut a, "the setting", || {
        !ad.settings().unwrap().reveal_checkins_together
    });
    see(&mut a, "go to your partner's device as you save them");
    assert_eq!(a.state().page(), Some(Page::Settings));
}
