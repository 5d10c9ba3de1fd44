//! The entry types queries return.
//!
//! Plain data: front ends show them and never see Automerge. Their `Serialize` is
//! for tests that compare what two devices hold; what people and scripts receive as
//! JSON is `kintsugi_device::json::v1`, a contract of its own.
//! Times are Unix milliseconds as passed in by the caller.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Serialize, Serializer};

use crate::error::{JournalError, Result};
use crate::ids::PartnerId;
use crate::validate::format_date;

/// A partner's display name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Partner {
    pub id: PartnerId,
    pub name: String,
    pub updated: i64,
}

/// Where a boundary stands. Derived when read, never stored, so that concurrent
/// agree / revisit / retire on two devices merge into a sensible state instead of a
/// last-writer-wins status field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BoundaryStatus {
    /// Suggested; not yet agreed by both partners.
    Proposed,
    /// Both partners agree.
    Agreed,
    /// Someone asked to talk about it again; agreements were cleared.
    Revisit,
    /// No longer in force. Final.
    Retired,
}

impl BoundaryStatus {
    pub(crate) fn derive(retired: bool, agreements: usize, revisit: bool) -> Self {
        if retired {
            Self::Retired
        } else if agreements >= 2 {
            Self::Agreed
        } else if revisit {
            Self::Revisit
        } else {
            Self::Proposed
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Proposed => "proposed",
            Self::Agreed => "agreed",
            Self::Revisit => "revisit",
            Self::Retired => "retired",
        }
    }
}

impl fmt::Display for BoundaryStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An agreed rule between the partners.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Boundary {
    pub id: String,
    pub author: PartnerId,
    pub text: String,
    pub category: Option<String>,
    pub status: BoundaryStatus,
    /// Who agreed in the current round, and when; sorted by time.
    pub agreements: Vec<(PartnerId, i64)>,
    pub created: i64,
    pub updated: i64,
    pub revisit_at: Option<i64>,
    pub revisit_by: Option<PartnerId>,
    pub retired_at: Option<i64>,
    pub retired_by: Option<PartnerId>,
    /// When the wording in `text` was agreed by both, if it is not the first one.
    pub edited: Option<i64>,
    /// The wordings that stood before `text`, oldest first.
    pub earlier: Vec<Version>,
    /// A new wording its author proposed, not yet agreed by both: until it is,
    /// `text` stands, and a front end shows the two together.
    pub amendment: Option<Amendment>,
    /// The terms of a transparency agreement, for a boundary that is one.
    pub agreement: Option<Agreement>,
}

/// A transparency agreement's terms: what it covers, when both look at it again,
/// and when it ends by itself. The end date is what keeps an agreement from
/// turning into surveillance that nobody chose to keep: it lapses unless both
/// partners renew it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Agreement {
    pub scope: String,
    #[serde(serialize_with = "serialize_date")]
    pub review: NaiveDate,
    #[serde(serialize_with = "serialize_date")]
    pub ends: NaiveDate,
    /// When the dates that stand were agreed as a renewal; `None` for the first.
    pub renewed: Option<i64>,
    /// New dates one partner proposed and the other has not yet agreed to.
    pub renewal: Option<Renewal>,
    /// Renewals that count for nothing read now (taken back, or replaced by one
    /// agreed later): a release of history leaves them out.
    pub superseded: Vec<String>,
}

/// New dates for an agreement, proposed by one partner: they stand once both
/// agreed. Proposing counts as the proposer's agreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Renewal {
    pub id: String,
    pub by: PartnerId,
    pub at: i64,
    #[serde(serialize_with = "serialize_date")]
    pub review: NaiveDate,
    #[serde(serialize_with = "serialize_date")]
    pub ends: NaiveDate,
    pub agreements: Vec<(PartnerId, i64)>,
}

/// Where a transparency agreement stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AgreementState {
    /// Not yet agreed by both (or being talked over again): not in force.
    Proposed,
    /// Agreed by both, before its review date.
    InForce,
    /// Agreed by both, its review date reached: time to look at it together.
    ReviewDue,
    /// Its end date came without a renewal: it no longer holds.
    Ended,
    /// Retired by one of the partners before its end date.
    EndedEarly,
}

impl AgreementState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Proposed => "proposed",
            Self::InForce => "in_force",
            Self::ReviewDue => "review_due",
            Self::Ended => "ended",
            Self::EndedEarly => "ended_early",
        }
    }
}

impl Boundary {
    /// Where its agreement stands on `today`, for a boundary that is one. An end
    /// date that has passed ends it whatever else holds: nobody has to act for an
    /// agreement to lapse.
    pub fn agreement_state(&self, today: NaiveDate) -> Option<AgreementState> {
        let terms = self.agreement.as_ref()?;
        Some(if self.status == BoundaryStatus::Retired {
            AgreementState::EndedEarly
        } else if today >= terms.ends {
            AgreementState::Ended
        } else if self.status != BoundaryStatus::Agreed {
            AgreementState::Proposed
        } else if today >= terms.review {
            AgreementState::ReviewDue
        } else {
            AgreementState::InForce
        })
    }

    /// Why new dates may not be proposed for it now, or `None` when either partner
    /// may. An agreement both once agreed can be renewed, even after it ended; one
    /// never agreed is agreed (or withdrawn) first.
    pub fn renew_refusal(&self) -> Option<&'static str> {
        if self.agreement.is_none() {
            Some("it is a boundary, not a transparency agreement")
        } else if self.status == BoundaryStatus::Retired {
            Some("it was retired")
        } else if self.status != BoundaryStatus::Agreed {
            Some("both have to agree to it before it can be renewed")
        } else {
            None
        }
    }

    /// Why `me` may not agree to the renewal waiting, or `None` when they may.
    pub fn agree_renewal_refusal(&self, me: &PartnerId) -> Option<&'static str> {
        match self.agreement.as_ref().and_then(|a| a.renewal.as_ref()) {
            None => Some("no renewal is waiting"),
            Some(_) if self.status == BoundaryStatus::Retired => Some("it was retired"),
            Some(r) if r.agreements.iter().any(|(p, _)| p == me) => {
                Some("you already agreed to these dates")
            }
            Some(_) => None,
        }
    }

    /// Why `me` may not take back the renewal waiting, or `None` when they may:
    /// only its proposer, before the other agreed.
    pub fn withdraw_renewal_refusal(&self, me: &PartnerId) -> Option<&'static str> {
        match self.agreement.as_ref().and_then(|a| a.renewal.as_ref()) {
            None => Some("no renewal is waiting"),
            Some(r) if &r.by != me => Some("only the partner who proposed it can take it back"),
            Some(_) => None,
        }
    }

    /// Why its author may not withdraw it now, or `None` when they may. Only a
    /// proposal the partner has not agreed to can be withdrawn: an agreed boundary
    /// is retired instead, so both keep seeing that it stood and then ended. The
    /// journal refuses with this reason, and a front end offers the button only
    /// when it is `None`.
    pub fn withdraw_refusal(&self) -> Option<&'static str> {
        (self.status != BoundaryStatus::Proposed)
            .then_some("it was agreed, or is being revisited: retire it instead")
    }
}

/// A wording an entry had before it was edited (or amended, or renegotiated). Both
/// partners see these: the partner's device already received each one, so hiding
/// them would only pretend they were gone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Version {
    pub text: String,
    /// A promise's due date under those terms; `None` for other kinds.
    #[serde(serialize_with = "serialize_opt_date")]
    pub due: Option<NaiveDate>,
    /// When this wording was written (the entry's creation, for the first one).
    pub at: i64,
}

/// A change of a boundary's wording, or of a promise's terms, that waits for both
/// partners: proposing it counts as the proposer's agreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Amendment {
    pub id: String,
    pub text: String,
    /// A promise's new due date; `None` for boundaries.
    #[serde(serialize_with = "serialize_opt_date")]
    pub due: Option<NaiveDate>,
    pub proposed: i64,
    /// Who agreed so far, and when; sorted by time.
    pub agreements: Vec<(PartnerId, i64)>,
}

/// A check-in's answers as they read before an edit.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct CheckInAnswers {
    pub went_well: Option<String>,
    pub hard: Option<String>,
    pub need: Option<String>,
    pub appreciate: Option<String>,
    /// When these answers were written.
    pub at: i64,
}

/// What a partner fills in for a weekly check-in.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CheckInInput {
    /// ISO week, e.g. `2026-W48`; see [`iso_week_of`](crate::iso_week_of).
    pub week: String,
    /// 1–5.
    pub mood: u8,
    /// 1–10.
    pub trust: u8,
    /// 1–10.
    pub closeness: u8,
    pub went_well: Option<String>,
    pub hard: Option<String>,
    pub need: Option<String>,
    pub appreciate: Option<String>,
}

/// One partner's check-in for one week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckIn {
    pub id: String,
    pub author: PartnerId,
    pub week: String,
    pub mood: u8,
    pub trust: u8,
    pub closeness: u8,
    pub went_well: Option<String>,
    pub hard: Option<String>,
    pub need: Option<String>,
    pub appreciate: Option<String>,
    pub created: i64,
    pub updated: i64,
    /// When the answers above were written, if they are not the first ones.
    pub edited: Option<i64>,
    /// The answers given before, oldest first.
    pub earlier: Vec<CheckInAnswers>,
    /// How the answers reached the partner: at once, or revealed together once both
    /// had committed to theirs (and whether what was revealed is what was committed).
    pub revealed: Revealed,
}

/// How a check-in's scores and first answers came to be in the shared journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Revealed {
    /// Written straight into the journal (revealing together was off, or the
    /// author was not paired, or the check-in predates it).
    Direct,
    /// Committed to first and revealed once both had saved theirs; what was
    /// revealed is what was committed to.
    Together,
    /// Committed to first, but what was revealed is not what the commitment was
    /// made over: the author's device changed them after the fact.
    Altered,
}

/// A check-in its author saved and committed to but has not revealed: the
/// partner's device holds only this, and a fingerprint of the answers, until the
/// partner has saved theirs for the same week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SealedCheckIn {
    pub id: String,
    pub author: PartnerId,
    pub week: String,
    pub created: i64,
    pub updated: i64,
}

/// The result of [`upsert_checkin`](crate::SharedJournal::upsert_checkin).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Upserted {
    pub id: String,
    /// `false` when the author's existing check-in for that week was updated.
    pub is_new: bool,
}

/// Implements the string forms shared by the small enums below: lowercase names,
/// used in the document, in JSON output and on the command line alike.
macro_rules! string_enum {
    ($ty:ident, $err:ident, { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $name),+ }
            }

            pub(crate) fn from_name(s: &str) -> Option<Self> {
                match s { $($name => Some(Self::$variant),)+ _ => None }
            }
        }

        impl FromStr for $ty {
            type Err = JournalError;

            fn from_str(s: &str) -> Result<Self> {
                Self::from_name(s).ok_or_else(|| JournalError::$err(s.to_owned()))
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// What a letter is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LetterKind {
    Apology,
    Appreciation,
    Hope,
    Forgiveness,
    Other,
}

string_enum!(LetterKind, BadLetterKind, {
    Apology => "apology",
    Appreciation => "appreciation",
    Hope => "hope",
    Forgiveness => "forgiveness",
    Other => "other",
});

/// A letter still being written, in the private diary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LetterDraft {
    pub id: String,
    pub author: PartnerId,
    pub kind: LetterKind,
    pub title: String,
    pub body: String,
    pub created: i64,
    pub updated: i64,
}

/// A letter sent to the other partner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Letter {
    /// The same id the draft had.
    pub id: String,
    pub author: PartnerId,
    pub kind: LetterKind,
    pub title: String,
    pub body: String,
    /// When the draft was started.
    pub created: i64,
    pub updated: i64,
    pub sent: i64,
    pub read_at: Option<i64>,
    pub read_by: Option<PartnerId>,
    /// `None` for a letter sent open. While a sealed letter is not open, `title` and
    /// `body` are empty: the journal holds them only encrypted.
    pub seal: Option<Seal>,
}

impl Letter {
    /// Whether the letter is sealed and its key was not released yet: its recipient
    /// cannot read it. (Its author's device can, with the key it keeps.)
    pub fn is_sealed(&self) -> bool {
        self.seal.as_ref().is_some_and(|s| s.opened_at.is_none())
    }
}

/// Until when a sealed letter stays closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SealUntil {
    /// A moment (Unix ms): the author's device releases the key once it has come.
    Time(i64),
    /// Until the recipient says they are ready to read it.
    Ready,
}

/// A letter's seal: what the recipient sees of it before it opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Seal {
    pub until: SealUntil,
    /// When the recipient said they were ready (a [`SealUntil::Ready`] seal).
    pub ready_at: Option<i64>,
    /// When the author's device released the key; from then on the letter reads.
    pub opened_at: Option<i64>,
    /// The title and body, encrypted under the letter's own key.
    #[serde(skip)]
    pub(crate) sealed: Vec<u8>,
}

/// How a promise turned out, as confirmed by the other partner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PromiseOutcome {
    Open,
    Kept,
    Missed,
    Renegotiated,
}

string_enum!(PromiseOutcome, BadOutcome, {
    Open => "open",
    Kept => "kept",
    Missed => "missed",
    Renegotiated => "renegotiated",
});

/// A promise one partner made to the other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Promise {
    pub id: String,
    pub author: PartnerId,
    pub text: String,
    #[serde(serialize_with = "serialize_date")]
    pub due: NaiveDate,
    pub outcome: PromiseOutcome,
    pub outcome_by: Option<PartnerId>,
    pub outcome_at: Option<i64>,
    pub created: i64,
    pub updated: i64,
    /// When the terms above (`text`, `due`) were agreed by both, if they are not
    /// the first ones. An outcome recorded before then belonged to earlier terms,
    /// so `outcome` reads `Open` again.
    pub edited: Option<i64>,
    /// The terms that stood before, oldest first: with the current ones, the
    /// promise's follow-through chain.
    pub earlier: Vec<Version>,
    /// New terms its author proposed, waiting for the partner's agreement.
    pub renegotiation: Option<Amendment>,
}

impl Promise {
    /// Why its author may not withdraw it on `today`, or `None` when they may: a
    /// promise is withdrawn only before it is due and before the partner recorded
    /// how it went, so follow-through is never erased after the fact.
    pub fn withdraw_refusal(&self, today: NaiveDate) -> Option<&'static str> {
        if self.outcome != PromiseOutcome::Open {
            Some("your partner already recorded how it went")
        } else if today >= self.due {
            Some("it is already due")
        } else {
            None
        }
    }
}

fn serialize_date<S: Serializer>(date: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_date(*date))
}

fn serialize_opt_date<S: Serializer>(date: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
    match date {
        Some(d) => s.serialize_str(&format_date(*d)),
        None => s.serialize_none(),
    }
}

/// One partner's progress on one of the seven stages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StageProgress {
    pub stage: u8,
    pub partner: PartnerId,
    pub done: bool,
    pub done_at: Option<i64>,
    /// Shared with the other partner.
    pub note: Option<String>,
    pub updated: i64,
    /// When the note was last changed, if it is not the first one.
    pub edited: Option<i64>,
    /// The notes that stood before, oldest first.
    pub earlier: Vec<Version>,
    /// Forgiveness this partner offered the other, on the stage where it is
    /// offered ([`FORGIVENESS_STAGE`](crate::FORGIVENESS_STAGE)); `None` elsewhere,
    /// and until they offer it (which they may never do).
    pub forgiveness: Option<Forgiveness>,
}

/// Forgiveness one partner offered the other: shared, so the other sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Forgiveness {
    pub offered_at: i64,
    /// In the forgiving partner's own words, if they added any.
    pub words: Option<String>,
}

/// Acceptance one partner reached for themselves: kept in their private diary,
/// never shared, asked of no one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Acceptance {
    /// When it was first marked.
    pub reached_at: i64,
    pub words: Option<String>,
    pub updated: i64,
}

/// A private diary entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiaryEntry {
    pub id: String,
    pub author: PartnerId,
    pub text: String,
    pub mood: Option<u8>,
    pub stage: Option<u8>,
    pub created: i64,
    pub updated: i64,
}

/// A diary entry its author copied into the shared journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SharedEntry {
    /// The same id as the diary entry it was copied from.
    pub id: String,
    pub author: PartnerId,
    /// The diary entry's id.
    pub origin: String,
    pub text: String,
    pub mood: Option<u8>,
    pub stage: Option<u8>,
    /// When the diary entry was written.
    pub created: i64,
    pub updated: i64,
    pub shared_at: i64,
    /// When `text` was written, if it is not the wording first shared.
    pub edited: Option<i64>,
    /// The wordings shared before, oldest first.
    pub earlier: Vec<Version>,
}

/// Where a planned exercise stands. Derived when read, never stored, as a
/// boundary's status is, so that answers given on two devices at once merge into
/// what both of them did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ExerciseStatus {
    /// A date is on the table and no date was agreed yet.
    Proposed,
    /// Both agreed on a date; not yet marked done by both.
    Planned,
    /// Both marked it done. Final.
    Done,
    /// One of them called it off before it was done. Final.
    Cancelled,
}

impl ExerciseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Proposed => "proposed",
            Self::Planned => "planned",
            Self::Done => "done",
            Self::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for ExerciseStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One date suggested for an exercise: the first proposal, a counter-proposal or
/// a move of a date already agreed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DateProposal {
    pub id: String,
    pub by: PartnerId,
    #[serde(serialize_with = "serialize_date")]
    pub date: NaiveDate,
    /// When it was suggested.
    pub at: i64,
    /// When the other partner accepted it, if they did.
    pub agreed: Option<i64>,
}

/// What one partner wrote about an exercise once they had done it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reflection {
    pub id: String,
    /// The id of the planned exercise it is about.
    pub exercise: String,
    pub author: PartnerId,
    pub text: String,
    pub created: i64,
    /// Kept in its author's private diary: it never leaves their device. A shared
    /// reflection is in the shared journal, and the partner keeps a copy.
    pub private: bool,
}

/// An exercise from the library that one partner proposed for a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exercise {
    pub id: String,
    /// Who proposed it first.
    pub author: PartnerId,
    /// The library's id of the exercise (`kintsugi_device::view` has the text).
    pub exercise: String,
    pub status: ExerciseStatus,
    /// The date both agreed on, once they have.
    #[serde(serialize_with = "serialize_opt_date")]
    pub date: Option<NaiveDate>,
    /// A date waiting for an answer: the first proposal, a counter-proposal, or a
    /// new date for one already planned (the agreed `date` stands until it is
    /// accepted).
    pub waiting: Option<DateProposal>,
    /// Every date suggested, oldest first.
    pub proposals: Vec<DateProposal>,
    /// Who marked it done, and when; sorted by time.
    pub done: Vec<(PartnerId, i64)>,
    pub cancelled_at: Option<i64>,
    pub cancelled_by: Option<PartnerId>,
    /// Shared reflections, oldest first. Private ones live in the diary.
    pub reflections: Vec<Reflection>,
    pub created: i64,
    pub updated: i64,
}

impl Exercise {
    fn closed(&self) -> Option<&'static str> {
        match self.status {
            ExerciseStatus::Done => Some("you both marked it done"),
            ExerciseStatus::Cancelled => Some("it was called off"),
            _ if !self.done.is_empty() => Some("it is already marked done"),
            _ => None,
        }
    }

    /// Whether `me` marked it done.
    pub fn done_by(&self, me: &PartnerId) -> bool {
        self.done.iter().any(|(p, _)| p == me)
    }

    /// The date that would hold if the one waiting were accepted, else the agreed
    /// one: what a new suggestion is compared against.
    pub fn date_on_the_table(&self) -> Option<NaiveDate> {
        self.waiting.as_ref().map(|p| p.date).or(self.date)
    }

    /// Why `me` may not accept the date waiting, or `None` when they may: only the
    /// partner who did not suggest it answers it, and only before anyone marked the
    /// exercise done. The journal refuses with this reason, and a front end offers
    /// the button only when it is `None`.
    pub fn accept_refusal(&self, me: &PartnerId) -> Option<&'static str> {
        if let Some(reason) = self.closed() {
            return Some(reason);
        }
        match &self.waiting {
            None => Some("no date is waiting for an answer"),
            Some(p) if &p.by == me => {
                Some("the date waiting is the one you suggested: your partner answers it")
            }
            Some(_) => None,
        }
    }

    /// Why no one may suggest another date now, or `None`: either partner may,
    /// until someone marked it done or it was called off.
    pub fn suggest_refusal(&self) -> Option<&'static str> {
        self.closed()
    }

    /// Why `me` may not mark it done, or `None`: once a date was agreed, each
    /// marks it done once.
    pub fn done_refusal(&self, me: &PartnerId) -> Option<&'static str> {
        match self.status {
            ExerciseStatus::Cancelled => Some("it was called off"),
            _ if self.done_by(me) => Some("you already marked it done"),
            ExerciseStatus::Proposed => Some("you have not agreed on a date yet"),
            _ => None,
        }
    }

    /// Why it may not be called off, or `None`: either partner may, until someone
    /// marked it done.
    pub fn cancel_refusal(&self) -> Option<&'static str> {
        self.closed()
    }

    /// Why `me` may not write a reflection on it, or `None`: a reflection is about
    /// how it went, so it comes after marking it done.
    pub fn reflect_refusal(&self, me: &PartnerId) -> Option<&'static str> {
        if self.status == ExerciseStatus::Cancelled {
            Some("it was called off")
        } else if !self.done_by(me) {
            Some("mark it done first: a reflection is about how it went")
        } else {
            None
        }
    }
}

/// A moment of the private trigger log: when something brought the hurt back, how
/// strongly, and a word or two. Private: only the week's numbers, or a moment chosen
/// one by one, ever reach the shared journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trigger {
    pub id: String,
    pub author: PartnerId,
    /// When it happened (Unix ms); the log is ordered by it.
    pub at: i64,
    /// 1 (a flicker) to 10 (overwhelming).
    pub strength: u8,
    pub words: String,
    pub created: i64,
    pub updated: i64,
}

/// One week of the trigger log in numbers: what sharing the trend shares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TriggerWeek {
    /// ISO week, e.g. `2026-W48`.
    pub week: String,
    pub count: u32,
    /// The strengths added up: with `count`, the week's average.
    pub strength_sum: u32,
}

impl TriggerWeek {
    /// The week's average strength; 0 for a week with none.
    pub fn average(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            f64::from(self.strength_sum) / f64::from(self.count)
        }
    }
}

/// A week of a partner's trigger trend, as they shared it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SharedTriggerWeek {
    pub author: PartnerId,
    #[serde(flatten)]
    pub numbers: TriggerWeek,
    /// When these numbers were shared (last updated).
    pub shared_at: i64,
}

/// One moment of the trigger log its author chose to share: only that moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SharedTrigger {
    /// The same id as the private moment.
    pub id: String,
    pub author: PartnerId,
    pub at: i64,
    pub strength: u8,
    pub words: String,
    pub shared_at: i64,
}

/// Entries that list queries return oldest first, ties broken by id so the order is
/// the same on both devices.
pub(crate) trait Chronological {
    fn sort_key(&self) -> (i64, &str);
}

macro_rules! chronological {
    ($($ty:ty),+) => {
        $(impl Chronological for $ty {
            fn sort_key(&self) -> (i64, &str) {
                (self.created, &self.id)
            }
        })+
    };
}

chronological!(
    Boundary,
    CheckIn,
    SealedCheckIn,
    Letter,
    LetterDraft,
    Promise,
    DiaryEntry,
    SharedEntry,
    Exercise,
    Reflection
);

/// The trigger log reads in the order things happened, not the order they were
/// written down (a moment can be logged later).
impl Chronological for Trigger {
    fn sort_key(&self) -> (i64, &str) {
        (self.at, &self.id)
    }
}

impl Chronological for SharedTrigger {
    fn sort_key(&self) -> (i64, &str) {
        (self.at, &self.id)
    }
}

pub(crate) fn sort_chronologically<T: Chronological>(entries: &mut [T]) {
    entries.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
}

/// One appreciation for the weekly meeting: something the partner did, and what it
/// shows about them ("…and it shows that you are…").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Appreciation {
    pub what: String,
    pub shows: Option<String>,
}

/// What one partner brings to a week's meeting, in the order the meeting takes it:
/// appreciations first, then what went well, then at most one issue.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MeetingPoints {
    pub appreciations: Vec<Appreciation>,
    pub went_well: Option<String>,
    pub issue: Option<String>,
}

impl MeetingPoints {
    pub fn is_empty(&self) -> bool {
        self.appreciations.is_empty() && self.went_well.is_none() && self.issue.is_none()
    }
}

/// My private preparation for a week's meeting: in the diary until I bring it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MeetingDraft {
    /// ISO week, e.g. `2026-W48`.
    pub week: String,
    pub points: MeetingPoints,
    pub created: i64,
    pub updated: i64,
}

/// What one partner brought to a week's meeting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MeetingSide {
    pub author: PartnerId,
    pub points: MeetingPoints,
    /// When it was brought first, and last changed.
    pub brought_at: i64,
    pub updated: i64,
}

/// One partner's side of an issue raised in the meeting, as the meeting wrote it
/// down: the partner who raised it and the one who answers are each heard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Heard {
    pub id: String,
    /// Whose issue this is about.
    pub issue_of: PartnerId,
    /// Whose side this is.
    pub side_of: PartnerId,
    /// On whose device it was written: the meeting runs on either.
    pub written_by: PartnerId,
    pub text: String,
    pub at: i64,
}

/// What a meeting's plan became.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OutcomeKind {
    /// A promise, made by the partner whose device recorded it.
    Promise,
    /// New wording proposed for a boundary of the partner whose device recorded it.
    Amendment,
}

impl OutcomeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Promise => "promise",
            Self::Amendment => "amendment",
        }
    }

    pub(crate) fn from_name(s: &str) -> Option<Self> {
        match s {
            "promise" => Some(Self::Promise),
            "amendment" => Some(Self::Amendment),
            _ => None,
        }
    }
}

/// A promise or boundary amendment a meeting's plan became.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MeetingOutcome {
    pub id: String,
    pub kind: OutcomeKind,
    /// The promise's id, or the amended boundary's.
    pub entry: String,
    pub by: PartnerId,
    pub at: i64,
}

/// A week's meeting as both devices read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Meeting {
    /// ISO week, e.g. `2026-W48`.
    pub week: String,
    /// What each partner brought, by author.
    pub sides: Vec<MeetingSide>,
    /// The sides heard, oldest first; for each issue and side the latest stands.
    pub heard: Vec<Heard>,
    pub outcomes: Vec<MeetingOutcome>,
    /// Who closed the meeting, and when (the first to, if both did).
    pub held: Option<(PartnerId, i64)>,
}

impl Meeting {
    /// What `author` brought, if anything.
    pub fn side(&self, author: &PartnerId) -> Option<&MeetingSide> {
        self.sides.iter().find(|s| &s.author == author)
    }

    /// The side of `side_of` on the issue `issue_of` raised, as it stands.
    pub fn heard_from(&self, issue_of: &PartnerId, side_of: &PartnerId) -> Option<&Heard> {
        self.heard
            .iter()
            .filter(|h| &h.issue_of == issue_of && &h.side_of == side_of)
            .max_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)))
    }

    /// Why nothing more may be added, or `None`: a meeting closed is a record.
    pub fn closed_refusal(&self) -> Option<&'static str> {
        self.held
            .as_ref()
            .map(|_| "this meeting is closed: bring it to next week's")
    }
}
