//! Transparency agreements between two real profiles, carried by bundles as the
//! network would: consent, the review that falls due, renewal, and what each
//! device says is waiting.

use chrono::Days;
use kintsugi_journal::JournalError;

use crate::test_support::{found_in, paired};
use crate::{AgreementState, Device, DeviceError, ExportFormat, ExportScope, today, view};

fn carry(from: &Device, to: &Device) {
    to.import_bundle(&from.export_bundle().unwrap()).unwrap();
}

fn in_days(days: u64) -> String {
    (today() + Days::new(days)).to_string()
}

fn due_lines(d: &Device) -> Vec<String> {
    let names = d.names().unwrap();
    d.due(today())
        .unwrap()
        .iter()
        .map(|x| x.describe(&names))
        .collect()
}

#[test]
fn an_agreement_is_agreed_reviewed_and_renewed_across_two_devices() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = paired(tmp.path());
    carry(&a, &b);
    carry(&b, &a);

    // Dates are read as typed, and ones that cannot hold are refused.
    assert!(matches!(
        a.propose_agreement("x", "y", "soon", &in_days(9)),
        Err(DeviceError::Journal(JournalError::BadDate(_)))
    ));
    assert!(matches!(
        a.propose_agreement("x", "y", &in_days(9), &in_days(3)),
        Err(DeviceError::Journal(JournalError::BadAgreementDates(_)))
    ));

    // The review is today, so it falls due as soon as both agreed.
    let id = a
        .propose_agreement(
            "I share where I am on evenings out",
            "location, evenings out only",
            &today().to_string(),
            &in_days(30),
        )
        .unwrap();
    carry(&a, &b);
    let seen = b.boundary(&id).unwrap();
    assert_eq!(
        seen.agreement_state(today()),
        Some(AgreementState::Proposed)
    );
    assert!(
        view::agreement_line(&seen, today())
            .unwrap()
            .contains("not in force")
    );
    assert!(a.agreements().unwrap().iter().any(|x| x.id == id));
    assert!(a.renew_agreement(&id, &in_days(5), &in_days(40)).is_err());

    b.agree_boundary(&id).unwrap();
    carry(&b, &a);
    for d in [&a, &b] {
        assert_eq!(
            d.boundary(&id).unwrap().agreement_state(today()),
            Some(AgreementState::ReviewDue)
        );
        let due = due_lines(d);
        assert!(
            due.iter()
                .any(|l| l.starts_with("Time to review the agreement \"I share where I am")),
            "{due:?}"
        );
    }

    // Bea proposes to renew it; Ari is asked, and the review no longer waits on
    // either of them.
    b.renew_agreement(&id, &in_days(20), &in_days(60)).unwrap();
    carry(&b, &a);
    let due = due_lines(&a);
    assert!(
        due.iter()
            .any(|l| l.starts_with("Bea asks to renew the agreement")),
        "{due:?}"
    );
    assert!(
        !due.iter().any(|l| l.starts_with("Time to review")),
        "{due:?}"
    );
    assert!(!due_lines(&b).iter().any(|l| l.contains("agreement")));
    let line = view::renewal_line(
        a.boundary(&id)
            .unwrap()
            .agreement
            .unwrap()
            .renewal
            .as_ref()
            .unwrap(),
        &a.names().unwrap(),
    );
    assert!(line.contains("waiting for you to agree"), "{line}");
    assert!(
        a.withdraw_renewal(&id).is_err(),
        "only Bea may take it back"
    );

    a.agree_renewal(&id).unwrap();
    carry(&a, &b);
    for d in [&a, &b] {
        let t = d.boundary(&id).unwrap();
        let terms = t.agreement.as_ref().unwrap();
        assert_eq!(terms.ends.to_string(), in_days(60));
        assert_eq!(t.agreement_state(today()), Some(AgreementState::InForce));
        assert!(!due_lines(d).iter().any(|l| l.contains("agreement")));
    }

    // A plain boundary is not ended as an agreement; the agreement ends early.
    let plain = a.propose_boundary("No phones at dinner", None).unwrap();
    assert!(a.end_agreement(&plain).is_err());
    b.end_agreement(&id).unwrap();
    carry(&b, &a);
    assert_eq!(
        a.boundary(&id).unwrap().agreement_state(today()),
        Some(AgreementState::EndedEarly)
    );

    // The export carries the terms.
    let text = String::from_utf8(
        a.export(ExportFormat::Markdown, ExportScope::Shared)
            .unwrap(),
    )
    .unwrap();
    assert!(text.contains("transparency agreement. Covers: location, evenings out only"));
    // The scope is journal content: never in plaintext on disk.
    assert!(
        found_in(tmp.path().join("b").as_path(), "evenings out only")
            .iter()
            .all(|f| !f.contains("plaintext")),
    );
}
