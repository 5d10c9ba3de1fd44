//! Letters: drafted privately in the diary, copied here when sent.
//!
//! A letter may be sent sealed: until a moment, or until its recipient says they are
//! ready. Its title and body then enter the journal only encrypted, under a key made
//! for that letter alone, which stays on the author's device (the device keeps it)
//! until the seal opens; then the author's device writes the key here (`opening`),
//! and from then on the letter reads on both devices. So the recipient's device
//! holds no readable copy before that, whatever software it runs. What the author's
//! device does with the key is its own: it could release it early, or never.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType};
use kintsugi_crypto::Secret32;

use super::{LETTERS, SharedJournal};
use crate::entries::{Letter, LetterDraft, LetterKind, Seal, SealUntil};
use crate::error::{JournalError, Result};
use crate::fields::Fields;
use crate::ids::{EntryKind, PartnerId};
use crate::validate::require_text;

const KIND: EntryKind = EntryKind::Letter;

/// Keeps a sealed letter's ciphertext from ever meaning anything else.
const DOMAIN: &[u8] = b"kintsugi sealed letter v1\0";

impl SharedJournal {
    /// Sends a draft: copies it into the shared journal under the draft's id, with
    /// `me` as author. The caller removes the draft from the diary afterwards.
    ///
    /// Idempotent: if a letter with that id was already sent, nothing is written and
    /// the id is returned, so a caller that crashed between sending and removing the
    /// draft can simply retry.
    pub fn send_letter(&mut self, me: &PartnerId, draft: &LetterDraft, now: i64) -> Result<String> {
        self.send(me, draft, None, now)
    }

    /// Sends a draft sealed: its title and body go in only encrypted under `key`,
    /// which the caller keeps until the seal opens ([`Self::open_sealed_letter`]).
    /// A moment that has already come is refused: the letter would open at once.
    /// Idempotent like [`Self::send_letter`].
    pub fn send_sealed_letter(
        &mut self,
        me: &PartnerId,
        draft: &LetterDraft,
        until: SealUntil,
        key: &Secret32,
        now: i64,
    ) -> Result<String> {
        if let SealUntil::Time(t) = until
            && t <= now
        {
            return Err(JournalError::NotNow {
                kind: KIND,
                id: draft.id.clone(),
                reason: "the moment it would be sealed until has already come",
            });
        }
        self.send(me, draft, Some((until, key)), now)
    }

    fn send(
        &mut self,
        me: &PartnerId,
        draft: &LetterDraft,
        seal: Option<(SealUntil, &Secret32)>,
        now: i64,
    ) -> Result<String> {
        require_text("id", &draft.id)?;
        let title = require_text("title", &draft.title)?.trim();
        let body = require_text("body", &draft.body)?;
        match self.doc.locate(KIND, &draft.id) {
            Ok(_) => return Ok(draft.id.clone()),
            Err(JournalError::UnknownId(_)) => {}
            Err(e) => return Err(e),
        }
        let sealed = match seal {
            Some((_, key)) => Some(seal_text(key, &draft.id, me, draft.kind, title, body)?),
            None => None,
        };
        self.doc.transact(now, |am, roots| {
            let obj = am.put_object(&roots[LETTERS], &draft.id, ObjType::Map)?;
            am.put(&obj, "author", me.as_str())?;
            am.put(&obj, "kind", draft.kind.as_str())?;
            match (seal, &sealed) {
                (Some((until, _)), Some(sealed)) => {
                    match until {
                        SealUntil::Time(t) => {
                            am.put(&obj, "seal", "date")?;
                            am.put(&obj, "seal_until", t)?;
                        }
                        SealUntil::Ready => am.put(&obj, "seal", "ready")?,
                    }
                    am.put(&obj, "sealed", hex(sealed))?;
                }
                _ => {
                    am.put(&obj, "title", title)?;
                    am.put(&obj, "body", body)?;
                }
            }
            am.put(&obj, "created", draft.created)?;
            am.put(&obj, "updated", now)?;
            am.put(&obj, "sent", now)?;
            Ok(())
        })?;
        Ok(draft.id.clone())
    }

    /// The recipient of a letter sealed until they are ready says they are. Returns
    /// `false` when they had already said so, or the letter is open.
    pub fn ready_for_letter(&mut self, me: &PartnerId, id: &str, now: i64) -> Result<bool> {
        let obj = self.doc.locate(KIND, id)?;
        let letter = read_letter(self.doc.am(), id, obj.clone())?;
        let not_now = |reason| JournalError::NotNow {
            kind: KIND,
            id: id.to_owned(),
            reason,
        };
        if &letter.author == me {
            return Err(not_now(
                "it is your own letter: the one it is written to says when they are ready",
            ));
        }
        let Some(seal) = &letter.seal else {
            return Err(not_now("it was not sealed"));
        };
        if seal.opened_at.is_some() || seal.ready_at.is_some() {
            return Ok(false);
        }
        if seal.until != SealUntil::Ready {
            return Err(not_now("it is sealed until a date, and opens then"));
        }
        self.doc.transact(now, |am, _| {
            am.put(&obj, "ready_at", now)?;
            am.put(&obj, "ready_by", me.as_str())?;
            am.put(&obj, "updated", now)?;
            Ok(())
        })?;
        Ok(true)
    }

    /// The author releases a sealed letter's key: from now on it reads on both
    /// devices. Returns `false` if it was already open. A key that does not open the
    /// letter is refused, so a wrong key is never published as an opening.
    pub fn open_sealed_letter(
        &mut self,
        me: &PartnerId,
        id: &str,
        key: &Secret32,
        now: i64,
    ) -> Result<bool> {
        let obj = self.doc.locate(KIND, id)?;
        let letter = read_letter(self.doc.am(), id, obj.clone())?;
        if &letter.author != me {
            return Err(JournalError::NotAuthor {
                kind: KIND,
                id: id.to_owned(),
            });
        }
        let Some(seal) = &letter.seal else {
            return Err(JournalError::NotNow {
                kind: KIND,
                id: id.to_owned(),
                reason: "it was not sealed",
            });
        };
        if seal.opened_at.is_some() {
            return Ok(false);
        }
        unseal_letter(&letter, key)?;
        self.doc.transact(now, |am, _| {
            am.put(&obj, "opening", hex(key.expose()))?;
            am.put(&obj, "opened_at", now)?;
            am.put(&obj, "updated", now)?;
            Ok(())
        })?;
        Ok(true)
    }

    /// Marks a letter read by its recipient. Returns `false` if it was already read.
    pub fn mark_letter_read(&mut self, me: &PartnerId, id: &str, now: i64) -> Result<bool> {
        let obj = self.doc.locate(KIND, id)?;
        let letter = read_letter(self.doc.am(), id, obj.clone())?;
        if &letter.author == me {
            return Err(JournalError::NotRecipient(id.to_owned()));
        }
        if letter.is_sealed() {
            return Err(JournalError::StillSealed(id.to_owned()));
        }
        if letter.read_at.is_some() {
            return Ok(false);
        }
        self.doc.transact(now, |am, _| {
            am.put(&obj, "read_at", now)?;
            am.put(&obj, "read_by", me.as_str())?;
            am.put(&obj, "updated", now)?;
            Ok(())
        })?;
        Ok(true)
    }

    pub fn letters(&self) -> Vec<Letter> {
        self.doc.list(LETTERS, read_letter)
    }

    pub fn get_letter(&self, id: &str) -> Result<Letter> {
        self.doc.get(KIND, id, read_letter)
    }
}

/// A sealed letter as it reads with `key`: its title and body filled in. For the
/// author's device, which keeps the key until the seal opens. A letter sent open
/// comes back as it is.
pub fn unseal_letter(letter: &Letter, key: &Secret32) -> Result<Letter> {
    let Some(seal) = &letter.seal else {
        return Ok(letter.clone());
    };
    let (title, body) =
        open_text(key, letter, &seal.sealed).ok_or_else(|| JournalError::Corrupt {
            what: format!("letter {}: the key does not open it", letter.id),
        })?;
    Ok(Letter {
        title,
        body,
        ..letter.clone()
    })
}

/// The associated data: the letter's id, author and kind, so a ciphertext cannot be
/// passed off as another letter's, nor its kind changed.
fn aad(id: &str, author: &PartnerId, kind: LetterKind) -> Vec<u8> {
    let mut aad = DOMAIN.to_vec();
    for part in [id, author.as_str(), kind.as_str()] {
        aad.extend_from_slice(&(part.len() as u64).to_be_bytes());
        aad.extend_from_slice(part.as_bytes());
    }
    aad
}

/// `u64 title length | title | body`, encrypted.
fn seal_text(
    key: &Secret32,
    id: &str,
    author: &PartnerId,
    kind: LetterKind,
    title: &str,
    body: &str,
) -> Result<Vec<u8>> {
    let mut plain = zeroize::Zeroizing::new(Vec::with_capacity(8 + title.len() + body.len()));
    plain.extend_from_slice(&(title.len() as u64).to_be_bytes());
    plain.extend_from_slice(title.as_bytes());
    plain.extend_from_slice(body.as_bytes());
    kintsugi_crypto::seal(key, &aad(id, author, kind), &plain).map_err(|_| JournalError::Random)
}

fn open_text(key: &Secret32, letter: &Letter, sealed: &[u8]) -> Option<(String, String)> {
    let plain =
        kintsugi_crypto::open(key, &aad(&letter.id, &letter.author, letter.kind), sealed).ok()?;
    let (len, rest) = plain.split_first_chunk::<8>()?;
    let len = usize::try_from(u64::from_be_bytes(*len)).ok()?;
    if len > rest.len() {
        return None;
    }
    let (title, body) = rest.split_at(len);
    Some((
        String::from_utf8(title.to_vec()).ok()?,
        String::from_utf8(body.to_vec()).ok()?,
    ))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn read_letter(am: &AutoCommit, id: &str, obj: ObjId) -> Result<Letter> {
    let f = Fields::new(am, obj, KIND, id);
    let mut letter = Letter {
        id: id.to_owned(),
        author: f.partner("author")?,
        kind: f.parsed("kind", LetterKind::from_name)?,
        title: String::new(),
        body: String::new(),
        created: f.int("created")?,
        updated: f.int("updated")?,
        sent: f.int("sent")?,
        read_at: f.opt_int("read_at")?,
        read_by: f.opt_partner("read_by")?,
        seal: None,
    };
    let Some(seal) = f.opt_str("seal")? else {
        letter.title = f.str("title")?;
        letter.body = f.str("body")?;
        return Ok(letter);
    };
    let until = match seal.as_str() {
        "date" => SealUntil::Time(f.int("seal_until")?),
        "ready" => SealUntil::Ready,
        _ => return Err(f.corrupt("seal", "has an unknown value")),
    };
    let sealed = unhex(&f.str("sealed")?).ok_or_else(|| f.corrupt("sealed", "is not hex"))?;
    let ready_at = match until {
        SealUntil::Ready => f.opt_int("ready_at")?,
        SealUntil::Time(_) => None,
    };
    letter.seal = Some(Seal {
        until,
        ready_at,
        opened_at: None,
        sealed,
    });
    // An opening that does not open the letter (written by a device that is wrong,
    // or by the recipient's) leaves it sealed rather than hiding it.
    let opening = f.opt_str("opening")?.and_then(|k| unhex(&k));
    if let (Some(key), Some(opened_at)) = (
        opening.as_deref().and_then(Secret32::from_slice),
        f.opt_int("opened_at")?,
    ) && let Ok(open) = unseal_letter(&letter, &key)
    {
        letter = open;
        if let Some(seal) = &mut letter.seal {
            seal.opened_at = Some(opened_at);
        }
    }
    Ok(letter)
}
