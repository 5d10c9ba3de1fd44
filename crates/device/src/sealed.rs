//! Sealed letters, on this device (the journal's side is in `kintsugi_journal`'s
//! `shared/letter.rs`).
//!
//! Sending a letter sealed puts its title and body in the shared journal encrypted
//! under a key made for that letter, and keeps the key here, sealed under the
//! profile key in `letters.sealed`. Whichever process of this profile first sees
//! that the seal may open (its moment has come, or the recipient said they are
//! ready) writes the key into the journal, and the next sync carries it. So the
//! partner's device holds no readable copy of the letter before then, whatever
//! software it runs. The key is forgotten here once the journal holds it.

use std::collections::BTreeMap;

use kintsugi_crypto::Secret32;
use kintsugi_journal::{EntryKind, JournalError, Letter, List, SealUntil, unseal_letter};
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use crate::state_file::StateFile;
use crate::{Device, DeviceError, Field, Result, now_ms};

/// The keys of sealed letters sent from here and not opened yet. Losing them would
/// seal those letters for good, so a copy that does not read is an error, not a
/// fresh start.
pub(crate) const KEYS: StateFile = StateFile {
    name: "letters.sealed",
    context: "held letter keys v1",
    fresh_if_unreadable: false,
    fresh_if_damaged: false,
};

#[derive(Default, Serialize, Deserialize)]
struct Held {
    /// By letter id (the draft's id).
    letters: BTreeMap<String, HeldKey>,
}

#[derive(Serialize, Deserialize)]
struct HeldKey {
    key: [u8; 32],
}

impl Drop for HeldKey {
    fn drop(&mut self) {
        self.key.zeroize();
    }
}

impl HeldKey {
    fn secret(&self) -> Secret32 {
        Secret32::from_bytes(self.key)
    }
}

/// A seal until the start of `day` (`YYYY-MM-DD`) in this device's calendar: what
/// the front ends ask a person for.
pub fn seal_until_day(day: &str) -> Result<SealUntil> {
    let date = kintsugi_journal::parse_date(day.trim())
        .map_err(|e| DeviceError::bad_input(Field::Date, e.to_string()))?;
    Ok(SealUntil::Time(crate::search::day_start(date)))
}

impl Device {
    /// Sends a draft sealed until `until`: my partner's device learns that it exists,
    /// who wrote it, its kind and its seal, and can read it only once this device (or
    /// another process of this profile) releases its key. Like
    /// [`send_letter`](Self::send_letter), the draft is removed only once the letter
    /// is durable, and sending again after a crash finishes the job.
    pub fn send_sealed_letter(&self, draft_id: &str, until: SealUntil) -> Result<String> {
        if let SealUntil::Time(t) = until
            && t <= now_ms()
        {
            return Err(DeviceError::bad_input(
                Field::Date,
                "that day has already come, so the letter would open at once: choose a later day",
            ));
        }
        let id = self.resolve_diary(draft_id, EntryKind::Draft)?;
        let draft = self.read_diary(|d, _| d.get_draft(&id))??;
        // The key is kept before the letter is written: a crash between the two
        // leaves a key that the retry uses again, never a letter whose key is gone.
        let held = self.update_state_file(&KEYS, |h: &mut Held| {
            if !h.letters.contains_key(&id) {
                let key = kintsugi_crypto::random_array()?;
                h.letters.insert(id.clone(), HeldKey { key });
            }
            Ok(())
        })?;
        let key = held
            .letters
            .get(&id)
            .map(HeldKey::secret)
            .ok_or(DeviceError::Unavailable)?;
        drop(held);
        let sent =
            self.write_shared(|s, me, now| s.send_sealed_letter(me, &draft, until, &key, now))?;
        self.write_diary(|d, _, now| d.remove_draft(&id, now))?;
        self.open_due_letters()?;
        Ok(sent)
    }

    /// Says, as the recipient of a letter sealed until I am ready, that I am. The
    /// letter opens once its writer's device has seen this (at the next sync).
    pub fn ready_for_letter(&self, id: &str) -> Result<Letter> {
        let id = self.resolve_shared(id, EntryKind::Letter)?;
        self.write_shared(|s, me, now| s.ready_for_letter(me, &id, now))?;
        Ok(self.read_shared(|s, _| s.get_letter(&id))??)
    }

    /// Releases the key of every sealed letter sent from here whose seal may open
    /// (its moment has come, or its recipient is ready), and forgets the keys the
    /// journal now holds. Returns the ids opened. Called after sending, when a sync
    /// session begins and whenever the partner's changes arrive; a front end that
    /// stays open may call it now and then, for a moment that comes while nothing
    /// else happens.
    pub fn open_due_letters(&self) -> Result<Vec<String>> {
        let held: Held = self.with(|i| KEYS.read(i))?;
        if held.letters.is_empty() {
            return Ok(Vec::new());
        }
        let now = now_ms();
        let mut opened = Vec::new();
        let mut done = Vec::new();
        for (id, h) in &held.letters {
            let letter = match self.read_shared(|s, _| s.get_letter(id))? {
                Ok(l) => l,
                // Not sent yet: the key waits for the retry.
                Err(JournalError::UnknownId(_)) => continue,
                Err(e) => return Err(e.into()),
            };
            let Some(seal) = &letter.seal else {
                // Sent open after all (a retry as an open letter): nothing to keep.
                done.push(id.clone());
                continue;
            };
            if seal.opened_at.is_some() {
                done.push(id.clone());
                continue;
            }
            let due = match seal.until {
                SealUntil::Time(t) => now >= t,
                SealUntil::Ready => seal.ready_at.is_some(),
            };
            if !due {
                continue;
            }
            let key = h.secret();
            self.write_shared(|s, me, now| s.open_sealed_letter(me, id, &key, now))?;
            done.push(id.clone());
            opened.push(id.clone());
        }
        if !done.is_empty() {
            self.update_state_file(&KEYS, |h: &mut Held| {
                for id in &done {
                    h.letters.remove(id);
                }
                Ok(())
            })?;
        }
        Ok(opened)
    }

    /// My own sealed letters as I read them: with the keys kept here. Others' letters,
    /// and a list without sealed letters of mine, come back as they are.
    pub(crate) fn unseal_mine(&self, list: List<Letter>) -> Result<List<Letter>> {
        let me = self.me()?;
        let mine = |l: &Letter| l.is_sealed() && l.author == me;
        if !list.iter().any(mine) {
            return Ok(list);
        }
        let held: Held = self.with(|i| KEYS.read(i))?;
        Ok(list
            .iter()
            .map(|l| {
                if !mine(l) {
                    return l.clone();
                }
                held.letters
                    .get(&l.id)
                    .and_then(|h| unseal_letter(l, &h.secret()).ok())
                    .unwrap_or_else(|| l.clone())
            })
            .collect())
    }

    /// One letter of mine as I read it (see [`Self::unseal_mine`]).
    pub(crate) fn unseal_one(&self, letter: Letter) -> Result<Letter> {
        let list = self.unseal_mine(List::from(vec![letter.clone()]))?;
        Ok(list.first().cloned().unwrap_or(letter))
    }
}

#[cfg(test)]
mod tests;
