//! The one error type of the crate.
//!
//! Entry content is sensitive: it must never end up in a log line or a crash report.
//! Every variant therefore names ids, field names and formats only — never a text
//! field's value. Keep it that way when adding variants.

use crate::EntryKind;

/// Everything that can go wrong in a journal or diary operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// A required text field is empty or whitespace only.
    #[error("{field} must not be empty")]
    EmptyText { field: &'static str },

    /// A numeric scale is outside its allowed range.
    #[error("{field} must be between {min} and {max}, got {value}")]
    OutOfRange {
        field: &'static str,
        min: i64,
        max: i64,
        value: i64,
    },

    /// A check-in week is not an ISO week such as `2026-W48`.
    #[error("invalid week {0:?}: expected an ISO week such as 2026-W48")]
    BadWeek(String),

    /// A date is not a calendar date written `YYYY-MM-DD`.
    #[error("invalid date {0:?}: expected YYYY-MM-DD")]
    BadDate(String),

    /// A partner id is not 32 hex characters.
    #[error("invalid partner id: expected 32 lowercase hex characters")]
    BadPartnerId,

    /// A letter kind string is not one of the known kinds.
    #[error(
        "unknown letter kind {0:?}: expected apology, appreciation, hope, forgiveness or other"
    )]
    BadLetterKind(String),

    /// A promise outcome string is not one of the known outcomes.
    #[error("unknown promise outcome {0:?}: expected open, kept, missed or renegotiated")]
    BadOutcome(String),

    /// No entry has this id (or id prefix).
    #[error("no entry with id {0:?}")]
    UnknownId(String),

    /// The id exists, but belongs to a different kind of entry.
    #[error("{id} is a {found} entry, not a {expected} entry")]
    WrongKind {
        id: String,
        expected: EntryKind,
        found: EntryKind,
    },

    /// An id prefix matches more than one entry.
    #[error("id prefix {prefix:?} is ambiguous: {matches} entries match")]
    AmbiguousId { prefix: String, matches: usize },

    /// Only the *other* partner may say whether a promise was kept.
    #[error("promise {0} is your own: only your partner can confirm its outcome")]
    OwnPromise(String),

    /// Only the recipient of a letter may mark it read.
    #[error("letter {0} was written by you: only the recipient can mark it read")]
    NotRecipient(String),

    /// A sealed letter whose key its author's device has not released yet.
    #[error("letter {0} is still sealed: it can be read once it opens")]
    StillSealed(String),

    /// This partner's agreement to the boundary is already recorded.
    #[error("you have already agreed to boundary {0}")]
    AlreadyAgreed(String),

    /// A retired boundary can no longer change.
    #[error("boundary {0} is retired")]
    BoundaryRetired(String),

    /// Only an entry's author may change or withdraw it.
    #[error("{kind} {id} was written by your partner: only its author can change or withdraw it")]
    NotAuthor { kind: EntryKind, id: String },

    /// The entry's author withdrew it; it is no longer listed.
    #[error("{kind} {id} was withdrawn by its author")]
    Withdrawn { kind: EntryKind, id: String },

    /// There is no proposed change of wording (or terms) to agree to or withdraw.
    #[error("{kind} {id} has no change waiting for agreement")]
    NothingPending { kind: EntryKind, id: String },

    /// An edit that would leave the entry as it reads now.
    #[error("{kind} {id} already reads like that; nothing was changed")]
    Unchanged { kind: EntryKind, id: String },

    /// Withdrawing is only for what the partner has not yet taken up.
    #[error("{kind} {id} cannot be withdrawn: {reason}")]
    CannotWithdraw {
        kind: EntryKind,
        id: String,
        reason: &'static str,
    },

    /// My check-in for this week is already readable by my partner: saving again
    /// changes it in the open.
    #[error("check-in {0} was already revealed")]
    AlreadyRevealed(String),

    /// There is no check-in of mine for this week waiting to be revealed.
    #[error("no check-in of yours for {0} is waiting to be revealed")]
    NothingToReveal(String),

    /// The answers to reveal are not the ones my entry for this week commits to.
    #[error("the answers for {0} are not the ones committed to")]
    NotCommitted(String),

    /// A step the entry's state does not allow now (an exercise's date accepted by
    /// the partner who suggested it, say); `reason` says why.
    #[error("{kind} {id}: {reason}")]
    NotNow {
        kind: EntryKind,
        id: String,
        reason: &'static str,
    },

    /// A date that lies before today where only today or later makes sense.
    #[error("{0} has already passed: choose today or a later day")]
    PastDate(String),

    /// An exercise id that is not one a library could hold (lowercase letters,
    /// digits and hyphens, at most 64).
    #[error("invalid exercise id {0:?}: expected lowercase letters, digits and hyphens")]
    BadExercise(String),
    /// An agreement's dates that cannot hold: the review has to come before the
    /// end, and neither may lie in the past.
    #[error("those dates do not work for an agreement: {0}")]
    BadAgreementDates(&'static str),
    /// A moment logged for a time that has not come yet.
    #[error("that time is in the future: log a moment once it has happened")]
    InFuture,

    /// Forgiveness stands as it was offered; new words are a new offer.
    #[error("you have already offered forgiveness; take it back first to offer it in other words")]
    AlreadyForgiven,

    /// No points of mine for this week's meeting: nothing to bring or throw away.
    #[error("you have written nothing for the meeting of {0} yet")]
    NoMeetingPoints(String),

    /// Taking back what was never given (acceptance, forgiveness).
    #[error("there is nothing to take back: {0}")]
    NothingToTakeBack(&'static str),

    /// A device record no honest device writes (an empty label, kept devices out
    /// of order); `0` says which rule.
    #[error("invalid device record: {0}")]
    BadDeviceRecord(&'static str),

    /// Another record already holds this device record's key. Each key has one
    /// writer, once: a record that changed under the same signatures would leave
    /// the partners' devices judging different records.
    #[error("{0} already holds a different device record; device records are never rewritten")]
    DeviceRecordTaken(String),

    /// A loaded document does not have the root maps of our genesis.
    #[error("not a Kintsugi {doc} document: root map {map} is missing")]
    MissingRoot {
        doc: &'static str,
        map: &'static str,
    },

    /// A field in the document has the wrong type or is missing; the partner's device
    /// (or a bug) wrote something this version cannot read.
    #[error("corrupt document: {what}")]
    Corrupt { what: String },

    /// The operating system's random number generator failed.
    #[error("the system random number generator failed")]
    Random,

    /// Automerge rejected an operation or could not load bytes.
    #[error("automerge: {0}")]
    Automerge(#[from] automerge::AutomergeError),
}

/// Shorthand used throughout the crate.
pub type Result<T, E = JournalError> = std::result::Result<T, E>;
