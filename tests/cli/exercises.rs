//! Exercises through the real binary on two devices paired over loopback: Ari
//! proposes, Bea suggests another date, Ari accepts, both mark it done; Ari's
//! private reflection never reaches Bea's device, Bea's shared one reaches Ari's.

use crate::common::*;

const CANARY: &str = "CANARY-PRIVATE-REFLECTION-9b2e";

#[test]
fn the_library_lists_every_stage_with_steps() {
    let p = Profile::init("Ari");
    let human = p.ok(&["exercise", "library"]);
    for n in 1..=7 {
        let heading = format!("{n}. ");
        assert!(human.lines().any(|l| l.starts_with(&heading)), "{human}");
    }
    assert!(
        human.contains("listen-ten  Ten minutes each, only listening (about 25 minutes)"),
        "{human}"
    );
    assert!(human.contains("      1. "), "{human}");
    let stage3 = p.json(&["exercise", "library", "--stage", "3"]);
    let stage3 = stage3.as_array().unwrap();
    assert!(!stage3.is_empty());
    assert!(
        stage3
            .iter()
            .all(|e| e["stage"] == 3 && !e["steps"].as_array().unwrap().is_empty())
    );
    assert!(p.ok(&["exercise", "list"]).contains("No exercises yet"));
}

#[test]
fn two_devices_plan_do_and_reflect_on_an_exercise() {
    let (a, b) = paired_profiles();
    let today = chrono::Local::now().date_naive();
    let (first, second) = (
        (today + chrono::Days::new(2)).to_string(),
        (today + chrono::Days::new(4)).to_string(),
    );

    let err = a.fails(&["exercise", "propose", "no-such-exercise", &first]);
    assert!(err.contains("exercise library"), "{err}");
    let yesterday = (today - chrono::Days::new(1)).to_string();
    let err = a.fails(&["exercise", "propose", "listen-ten", &yesterday]);
    assert!(err.contains("already passed"), "{err}");
    let id = a.id(&["exercise", "propose", "listen-ten", &first]);
    exchange(&a, &b);

    // Bea is asked, and answers with another date.
    let due = b.ok(&["due"]);
    assert!(
        due.contains("Ari suggested the exercise \"Ten minutes each, only listening\""),
        "{due}"
    );
    let listed = b.ok(&["exercise", "list"]);
    assert!(listed.contains("waiting for your answer"), "{listed}");
    assert!(listed.contains("kintsugi exercise accept"), "{listed}");
    let e = b.json(&["exercise", "suggest-date", &id[..24], &second]);
    assert_eq!(e["waiting"]["date"], second.as_str());
    assert_eq!(e["status"], "proposed");
    let err = b.fails(&["exercise", "accept", &id]);
    assert!(err.contains("your partner answers it"), "{err}");
    let err = b.fails(&["exercise", "done", &id]);
    assert!(err.contains("not agreed on a date"), "{err}");
    exchange(&a, &b);

    // Ari accepts Bea's date: it is planned on both.
    let e = a.json(&["exercise", "accept", &id]);
    assert_eq!(
        (e["status"].as_str(), e["date"].as_str()),
        (Some("planned"), Some(second.as_str()))
    );
    let err = a.fails(&["exercise", "reflect", &id, "too soon"]);
    assert!(err.contains("mark it done first"), "{err}");
    exchange(&a, &b);
    let e = &b.json(&["exercise", "list"])[0];
    assert_eq!(e["status"], "planned");
    assert_eq!(e["dates"].as_array().unwrap().len(), 2);

    // Both do it.
    a.ok(&["exercise", "done", &id]);
    let e = b.json(&["exercise", "done", &id]);
    assert_eq!(
        e["done"].as_array().unwrap().len(),
        1,
        "Ari's mark has not come yet"
    );
    exchange(&a, &b);

    // Ari keeps his reflection private; Bea shares hers.
    let said = stderr_of(
        &a,
        &[
            "exercise",
            "reflect",
            &id,
            &format!("{CANARY} what I held back"),
        ],
    );
    assert!(said.contains("only to your"), "{said}");
    let said = stderr_of(
        &b,
        &["exercise", "reflect", &id, "I felt listened to", "--shared"],
    );
    assert!(said.contains("keeps its own copy"), "{said}");
    exchange(&a, &b);

    let on_a = &a.json(&["exercise", "list"])[0];
    assert_eq!(on_a["status"], "done");
    let reflections: Vec<(bool, &str)> = on_a["reflections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["private"].as_bool().unwrap(), r["text"].as_str().unwrap()))
        .collect();
    assert_eq!(
        reflections,
        [
            (true, format!("{CANARY} what I held back").as_str()),
            (false, "I felt listened to")
        ]
    );
    let human = a.ok(&["exercise", "list"]);
    assert!(
        human.contains("Bea reflected: I felt listened to"),
        "{human}"
    );
    assert!(
        human.contains("You reflected (private, only on your own devices): CANARY"),
        "{human}"
    );

    let on_b = &b.json(&["exercise", "list"])[0];
    assert_eq!(on_b["status"], "done");
    assert_eq!(on_b["reflections"].as_array().unwrap().len(), 1);
    assert_eq!(on_b["reflections"][0]["text"], "I felt listened to");
    for args in [
        &["exercise", "list"][..],
        &["export", "--format", "md", "--include-private"],
        &["export", "--format", "json", "--include-private"],
        &["search", "canary"],
    ] {
        assert!(!b.ok(args).contains(CANARY), "{args:?} on Bea's device");
    }
    // Bea's profile, decrypted, history and all, holds no trace of it; Ari's holds it
    // in his diary's log only, never in the shared journal that syncs.
    assert_eq!(found_in(&b.path(), CANARY), Vec::<String>::new());
    let on_ari = found_in(&a.path(), CANARY);
    assert!(!on_ari.is_empty());
    assert!(on_ari.iter().all(|f| f.starts_with("diary")), "{on_ari:?}");
    assert!(!a.ok(&["export", "--format", "md"]).contains(CANARY));
    assert!(
        a.ok(&["export", "--format", "md", "--include-private"])
            .contains(CANARY)
    );
}
