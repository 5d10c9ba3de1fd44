//! The domain of Kintsugi: the shared journal and the private diary, each an
//! Automerge document, with their entry types, validation and queries.
//!
//! This crate is pure: no files, no network, no clock. Callers pass `now` as Unix
//! milliseconds; the only randomness is new entry ids and per-process actor ids.
//!
//! # Document layout
//!
//! Both documents start from a deterministic genesis change (fixed actor, time 0) that
//! creates their root maps and a root `schema` scalar (`1`). Entries live in root maps
//! keyed by UUIDv7 ids, never in lists, so concurrent inserts never collide. Every
//! entry is a map with `author` (partner id), `created` and `updated` (Int, Unix ms)
//! plus its own fields; long text is a plain string scalar, not a Text object.
//!
//! Shared journal root maps:
//!
//! | map          | key                  | fields                                                                                   |
//! |--------------|----------------------|------------------------------------------------------------------------------------------|
//! | `boundaries` | entry id             | `text`, `category`?, `agreed_by` (map partner → ms), `revisit_at`?, `revisit_by`?, `retired_at`?, `retired_by`? |
//! | `checkins`   | entry id             | `week` (`2026-W48`), `mood` 1–5, `trust` 1–10, `closeness` 1–10, `went_well`?, `hard`?, `need`?, `appreciate`?; revealed together: `commitment` first (and no scores), then `salt` and `sealed_scores` |
//! | `letters`    | draft id             | `kind`, `title`, `body`, `sent`, `read_at`?, `read_by`?; sealed: no `title`/`body` but `seal` (`date`/`ready`), `seal_until`? (ms), `sealed` (hex), then `ready_at`?/`ready_by`?, `opening` (hex key)?, `opened_at`? (`shared/letter.rs`) |
//! | `promises`   | entry id             | `text`, `due` (`YYYY-MM-DD`), `outcome` (`open`/`kept`/`missed`/`renegotiated`), `outcome_by`?, `outcome_at`? |
//! | `steps`      | `"{stage}:{partner}"`| `stage` 1–7, `done` (bool), `done_at`?, `note`?; on stage 6 `forgiven_at`?, `forgiveness`? |
//! | `shared`     | diary entry id       | `origin`, `text`, `mood`?, `stage`?, `shared_at`                                         |
//! | `shared`     | `trend:{partner}:{week}` / trigger id | `kind` = `trigger-week` (`week`, `count`, `strength_sum`) or `trigger` (`origin`, `at`, `strength`, `words`, `shared_at`); see `shared/triggers.rs` |
//! | `shared`     | `meeting:{week}:{partner}`, `meeting-heard:{id}`, `meeting-outcome:{id}`, `meeting-held:{week}:{partner}` | the weekly meeting: `kind` = `meeting-side`, `meeting-heard`, `meeting-outcome`, `meeting-held`; see `shared/meeting.rs` |
//! | `shared`     | `person:{partner}`, `device:{endpoint}`, `revoked:{endpoint}:{by}` | signed device records: `kind` = `person`, `device`, `device-revoked`; see `shared/devices.rs` |
//! | `partners`   | partner id           | `name`, `updated` (no `author`/`created`)                                                |
//! | `exercises`  | entry id             | `exercise` (library id), `done` (map partner → ms), `cancelled_at`?, `cancelled_by`?; `date:<id>` maps (`by`, `at`, `date`, `agreed_by`), `reflection:<id>` maps (`by`, `at`, `text`) |
//!
//! Every shared entry may also hold `rev:<id>` maps (edits, amendments, renegotiated
//! terms) and `withdrawn_at`/`withdrawn_by`, inside its own map; see `revisions.rs`.
//!
//! Private diary root maps: `entries` (`text`, `mood`?, `stage`?), `drafts` (`kind`,
//! `title`, `body`), `reflections` (private records, each with a `kind`: reflections
//! on exercises (`exercise-reflection`, in `diary.rs`; older ones have no `kind` and
//! an `exercise` field), letters opened and acceptance (`reflections.rs`), moments
//! of the trigger log (`triggers.rs`), points prepared for a weekly meeting
//! (`meeting-draft`, `meeting.rs`)). Each reader skips the kinds it does not know.
//!
//! Anything read back is checked: a malformed entry is skipped by list queries and
//! reported as [`JournalError::Corrupt`] by a get, because the partner's device may
//! run another version or simply be wrong. Errors never contain entry text.

pub mod devices;
mod diary;
mod doc;
mod entries;
mod error;
mod fields;
mod ids;
mod lists;
mod meeting;
mod reflections;
mod release;
mod revisions;
mod shared;
mod triggers;
mod validate;

pub use automerge::{AutoCommit, ChangeHash};
pub use devices::{
    DeviceInfo, DeviceRecord, DeviceSet, PersonDevices, Refusal, Revocation, signed_bytes,
};
pub use diary::{DiaryLists, PrivateDiary};
pub use doc::SCHEMA_VERSION;
pub use entries::{
    Acceptance, Agreement, AgreementState, Amendment, Appreciation, Boundary, BoundaryStatus,
    CheckIn, CheckInAnswers, CheckInInput, DateProposal, DiaryEntry, Exercise, ExerciseStatus,
    Forgiveness, Heard, Letter, LetterDraft, LetterKind, Meeting, MeetingDraft, MeetingOutcome,
    MeetingPoints, MeetingSide, OutcomeKind, Partner, Promise, PromiseOutcome, Reflection, Renewal,
    Revealed, Seal, SealUntil, SealedCheckIn, SharedEntry, SharedTrigger, SharedTriggerWeek,
    StageProgress, Trigger, TriggerWeek, Upserted, Version,
};
pub use error::{JournalError, Result};
pub use ids::{EntryKind, PartnerId};
pub use lists::{Iter, List};
pub use meeting::MAX_APPRECIATIONS;
pub use shared::{
    AgreementTerms, FORGIVENESS_STAGE, SharedJournal, SharedLists, valid_exercise_id,
};
pub use shared::{COMMITMENT_SALT_LEN, checkin_commitment, unseal_letter};
pub use triggers::{STRENGTH_MAX, STRENGTH_MIN, trigger_weeks};
pub use validate::{format_date, iso_week_of, parse_date, parse_week};

#[cfg(test)]
mod tests;
