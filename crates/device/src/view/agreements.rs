//! What the front ends say about transparency agreements: what one is for, where
//! one stands, and new dates waiting. The rules are the journal's
//! (`Boundary::agreement_state`, `Boundary::*_refusal`); here they are put into
//! words.

use chrono::NaiveDate;
use kintsugi_journal::{AgreementState, Boundary, Renewal};

use super::{Names, day};

/// Said where an agreement is proposed: what it is for, and what keeps it from
/// becoming watching for its own sake.
pub const AGREEMENT_ABOUT: &str = "A transparency agreement is a boundary about openness \
for a while: for example, sharing where you are on evenings out, or showing messages \
from one person. It says what it covers, and it has a day to look at it together and a \
day it ends. It only holds once you both agree. On its end day it stops by itself, unless \
you both choose to renew it. That is on purpose: openness that was chosen for a while \
should not turn into checking that nobody chose to keep.";

/// Where the agreement stands on `today`, in one line: what it covers and its dates.
pub fn agreement_line(b: &Boundary, today: NaiveDate) -> Option<String> {
    let a = b.agreement.as_ref()?;
    let state = match b.agreement_state(today)? {
        AgreementState::Proposed => format!(
            "not in force until you both agree · review {} · ends {}",
            day(a.review),
            day(a.ends)
        ),
        AgreementState::InForce => {
            format!("in force · review {} · ends {}", day(a.review), day(a.ends))
        }
        AgreementState::ReviewDue => format!(
            "time to review it together (since {}) · ends {} unless you both renew it",
            day(a.review),
            day(a.ends)
        ),
        AgreementState::Ended => format!(
            "ended {} · it no longer holds unless you both renew it",
            day(a.ends)
        ),
        AgreementState::EndedEarly => "ended early: it was retired".to_string(),
    };
    Some(format!("Covers: {} · {state}", a.scope))
}

/// New dates waiting, and whose agreement they wait for.
pub fn renewal_line(r: &Renewal, names: &Names) -> String {
    let waits = if names.is_me(&r.by) {
        format!("waiting for {} to agree", names.partner_in_sentence())
    } else {
        "waiting for you to agree".to_string()
    };
    format!(
        "{} proposed renewing it: review {}, ends {} — {waits}",
        names.name(&r.by),
        day(r.review),
        day(r.ends)
    )
}
