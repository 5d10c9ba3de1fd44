//! Check-ins revealed together, on this device (the journal's side is in
//! `kintsugi_journal`'s `shared/reveal.rs`).
//!
//! Saving a check-in while paired puts only a commitment in the shared journal and
//! keeps the answers here, sealed under the profile key in `checkins.sealed`, until
//! the partner has saved theirs for the same week. Whichever process of this profile
//! first sees that (a save here, or a sync bringing the partner's commitment) writes
//! the answers into the journal, and the next sync carries them. So the partner's
//! device never holds a readable copy of the answers before it has committed to its
//! own, whatever software it runs.

use std::collections::BTreeMap;

use kintsugi_journal::{
    COMMITMENT_SALT_LEN, CheckInInput, JournalError, List, PartnerId, SealedCheckIn,
    checkin_commitment, parse_week,
};
use serde::{Deserialize, Serialize};

use crate::state_file::StateFile;
use crate::{Device, DeviceError, Result};

/// The answers saved here and not yet revealed. Losing them would lose a check-in,
/// so a copy that does not read is an error, not a fresh start.
pub(crate) const HELD: StateFile = StateFile {
    name: "checkins.sealed",
    context: "held check-ins v1",
    fresh_if_unreadable: false,
    fresh_if_damaged: false,
};

/// Held only while check-ins are saved or revealed (`Device::checkin_steps`).
pub(crate) const CHECKIN_STEPS_LOCK: &str = "checkins.lock";

#[derive(Default, Serialize, Deserialize)]
struct Held {
    /// By ISO week: one check-in per person and week.
    weeks: BTreeMap<String, HeldCheckIn>,
}

#[derive(Clone, Serialize, Deserialize)]
struct HeldCheckIn {
    mood: u8,
    trust: u8,
    closeness: u8,
    went_well: Option<String>,
    hard: Option<String>,
    need: Option<String>,
    appreciate: Option<String>,
    salt: [u8; COMMITMENT_SALT_LEN],
}

impl HeldCheckIn {
    fn new(input: &CheckInInput, salt: [u8; COMMITMENT_SALT_LEN]) -> Self {
        Self {
            mood: input.mood,
            trust: input.trust,
            closeness: input.closeness,
            went_well: input.went_well.clone(),
            hard: input.hard.clone(),
            need: input.need.clone(),
            appreciate: input.appreciate.clone(),
            salt,
        }
    }

    fn input(&self, week: &str) -> CheckInInput {
        CheckInInput {
            week: week.to_owned(),
            mood: self.mood,
            trust: self.trust,
            closeness: self.closeness,
            went_well: self.went_well.clone(),
            hard: self.hard.clone(),
            need: self.need.clone(),
            appreciate: self.appreciate.clone(),
        }
    }
}

/// What saving a check-in did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SavedCheckIn {
    pub id: String,
    /// `false` when my check-in for that week was updated.
    pub is_new: bool,
    /// The answers stay on this device until my partner saves theirs for the week.
    pub waiting: bool,
}

impl Device {
    /// Saves my check-in for `input.week`. Paired and with revealing together on (the
    /// default), the journal gets a commitment and the answers stay here until my
    /// partner has saved theirs; otherwise, or once mine can be read by my partner,
    /// the answers go straight in (a second save in the same week updates the first).
    pub fn save_checkin(&self, input: &CheckInInput) -> Result<SavedCheckIn> {
        let _steps = self.checkin_steps()?;
        let week = parse_week(&input.week)?;
        let together = self.settings()?.reveal_checkins_together && self.is_paired()?;
        let (open, sealed) = self.read_shared(|s, me| {
            (
                s.checkin_for(me, &week).is_some(),
                s.sealed_checkin_for(me, &week).is_some(),
            )
        })?;
        if open || !(together || sealed) {
            let up = self.write_shared(|s, me, now| s.upsert_checkin(me, input, now))?;
            return Ok(SavedCheckIn {
                id: up.id,
                is_new: up.is_new,
                waiting: false,
            });
        }
        let salt: [u8; COMMITMENT_SALT_LEN] = kintsugi_crypto::random_array()?;
        let commitment = checkin_commitment(input, &salt)?;
        // The answers are kept before the commitment is written: a crash between the
        // two leaves answers that are committed to again below, never a commitment
        // whose answers are gone.
        self.update_state_file(&HELD, |h: &mut Held| {
            h.weeks.insert(week.clone(), HeldCheckIn::new(input, salt));
            Ok(())
        })?;
        let commit = self.write_shared(|s, me, now| s.commit_checkin(me, &week, &commitment, now));
        let up = match commit {
            Ok(up) => up,
            Err(DeviceError::Journal(JournalError::AlreadyRevealed(_))) => {
                // Another process of this profile revealed my check-in for the week
                // since the look above (my partner's commitment reached it first): my
                // partner may read it now, so this save changes it in the open, as a
                // save after the reveal does.
                let up = self.write_shared(|s, me, now| s.upsert_checkin(me, input, now))?;
                self.forget_held(&[week])?;
                return Ok(SavedCheckIn {
                    id: up.id,
                    is_new: up.is_new,
                    waiting: false,
                });
            }
            Err(e) => return Err(e),
        };
        let revealed = self.reveal_held()?;
        Ok(SavedCheckIn {
            id: up.id,
            is_new: up.is_new,
            waiting: !revealed.contains(&week),
        })
    }

    /// Turns revealing check-ins together on or off. Turning it off reveals at once
    /// what waits here, as the person has just said they no longer want to wait.
    pub fn set_reveal_checkins_together(&self, on: bool) -> Result<()> {
        self.update_settings(|s| s.reveal_checkins_together = on)?;
        if !on {
            self.reveal_due()?;
        }
        Ok(())
    }

    /// Check-ins committed to and not yet revealed: my partner's waiting for mine,
    /// and mine waiting for theirs.
    pub fn sealed_checkins(&self) -> Result<List<SealedCheckIn>> {
        self.cached(|l, j| l.sealed_checkins(j))
    }

    /// My check-ins saved here whose answers my partner does not have yet, oldest
    /// week first: only this device can show them.
    pub fn held_checkins(&self) -> Result<Vec<CheckInInput>> {
        let held: Held = self.with(|i| HELD.read(i))?;
        Ok(held.weeks.iter().map(|(w, h)| h.input(w)).collect())
    }

    /// Reveals every check-in held here whose week my partner has saved (or every
    /// one, once revealing together is off or the pairing ended), and forgets the
    /// answers of those revealed. Returns the weeks revealed. Called after a save
    /// and whenever the partner's changes arrive.
    pub(crate) fn reveal_due(&self) -> Result<Vec<String>> {
        let _steps = self.checkin_steps()?;
        self.reveal_held()
    }

    /// [`Device::reveal_due`] for a caller already holding [`Device::checkin_steps`].
    fn reveal_held(&self) -> Result<Vec<String>> {
        let held: Held = self.with(|i| HELD.read(i))?;
        if held.weeks.is_empty() {
            return Ok(Vec::new());
        }
        let together = self.settings()?.reveal_checkins_together && self.is_paired()?;
        let me = self.me()?;
        let mut revealed = Vec::new();
        let mut done = Vec::new();
        for (week, h) in &held.weeks {
            let mine = |c: &PartnerId| c == &me;
            let open = self
                .checkins()?
                .iter()
                .any(|c| &c.week == week && mine(&c.author));
            let theirs = self
                .checkins()?
                .iter()
                .any(|c| &c.week == week && !mine(&c.author))
                || (self.sealed_checkins()?)
                    .iter()
                    .any(|c| &c.week == week && !mine(&c.author));
            if open {
                // Revealed by another process of this profile, or before a crash.
                done.push(week.clone());
                continue;
            }
            if together && !theirs {
                continue;
            }
            let input = h.input(week);
            let reveal = |d: &Device| {
                d.write_shared(|s, me, now| s.reveal_checkin(me, &input, &h.salt, now))
            };
            let outcome = match reveal(self) {
                Err(DeviceError::Journal(
                    JournalError::NotCommitted(_) | JournalError::NothingToReveal(_),
                )) => {
                    // The answers kept here are newer than the commitment (a crash
                    // between keeping them and committing): commit to them, then
                    // reveal them.
                    let c = checkin_commitment(&input, &h.salt)?;
                    self.write_shared(|s, me, now| s.commit_checkin(me, week, &c, now))
                        .and_then(|_| reveal(self))
                }
                other => other,
            };
            match outcome {
                Ok(_) => revealed.push(week.clone()),
                // Another process of this profile revealed it after this one last
                // read the journal: nothing is left to do but forget the answers.
                Err(DeviceError::Journal(JournalError::AlreadyRevealed(_))) => {}
                Err(e) => return Err(e),
            }
            done.push(week.clone());
        }
        self.forget_held(&done)?;
        Ok(revealed)
    }

    fn forget_held(&self, weeks: &[String]) -> Result<()> {
        if weeks.is_empty() {
            return Ok(());
        }
        self.update_state_file(&HELD, |h: &mut Held| {
            for week in weeks {
                h.weeks.remove(week);
            }
            Ok(())
        })?;
        Ok(())
    }

    /// Held check-ins are saved and revealed in several steps (keep the answers,
    /// commit, reveal, forget them). One such sequence at a time for the profile, in
    /// any process or thread, so that a sync revealing what is held (the app's, or a
    /// CLI's) cannot cut into a save and reveal older answers or forget newer ones.
    /// The lock is released when the returned file is dropped.
    fn checkin_steps(&self) -> Result<std::fs::File> {
        let dir = self.with(|i| Ok(i.dir.clone()))?;
        Ok(kintsugi_store::lock_file(&dir.join(CHECKIN_STEPS_LOCK))?)
    }

    fn is_paired(&self) -> Result<bool> {
        self.with(|i| Ok(i.keys.keyring.pairing.is_some()))
    }
}

#[cfg(test)]
mod tests;
