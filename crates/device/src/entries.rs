//! One method per command on the journal and the diary: each validates, writes,
//! and returns only once the change is durable in the encrypted log.

use std::collections::BTreeMap;
use std::path::Path;

use kintsugi_journal::{
    Boundary, CheckIn, DiaryEntry, EntryKind, Letter, LetterDraft, LetterKind, List, Partner,
    Promise, PromiseOutcome, SharedEntry, StageProgress,
};
use kintsugi_store::Replace;

use crate::{Device, ExportFormat, ExportScope, ReadReceipts, Result, export, view};

impl Device {
    // --- partners -------------------------------------------------------------

    pub fn set_name(&self, name: &str) -> Result<()> {
        self.write_shared(|s, me, now| s.set_partner_name(me, name, now))
    }

    pub fn partners(&self) -> Result<Vec<Partner>> {
        self.read_shared(|s, _| s.partners())
    }

    /// How people are named on screen (see [`view::Names`]).
    pub fn names(&self) -> Result<view::Names> {
        Ok(view::Names::new(self.me()?, self.partners()?))
    }

    /// What is waiting for this person on `today` (see [`view::due`]).
    pub fn due(&self, today: chrono::NaiveDate) -> Result<Vec<view::Due>> {
        Ok(view::due(
            today,
            &self.names()?,
            view::DueLists {
                checkins: &self.checkins()?,
                sealed: &self.sealed_checkins()?,
                promises: &self.promises()?,
                exercises: &self.exercises()?,
                letters: &self.letters()?,
                opened: &self.opened_letters()?,
                boundaries: &self.boundaries()?,
                meetings: &self.meetings()?,
            },
        ))
    }

    // --- boundaries -----------------------------------------------------------

    pub fn propose_boundary(&self, text: &str, category: Option<&str>) -> Result<String> {
        self.write_shared(|s, me, now| s.propose_boundary(me, text, category, now))
    }

    pub(crate) fn resolve_shared(&self, prefix: &str, expected: EntryKind) -> Result<String> {
        expect_kind(self.read_shared(|s, _| s.resolve(prefix))??, expected)
    }

    pub(crate) fn resolve_diary(&self, prefix: &str, expected: EntryKind) -> Result<String> {
        expect_kind(self.read_diary(|d, _| d.resolve(prefix))??, expected)
    }

    pub fn agree_boundary(&self, id: &str) -> Result<Boundary> {
        let id = self.resolve_shared(id, EntryKind::Boundary)?;
        self.write_shared(|s, me, now| s.agree_boundary(me, &id, now))?;
        self.boundary(&id)
    }

    pub fn revisit_boundary(&self, id: &str) -> Result<Boundary> {
        let id = self.resolve_shared(id, EntryKind::Boundary)?;
        self.write_shared(|s, me, now| s.revisit_boundary(me, &id, now))?;
        self.boundary(&id)
    }

    pub fn retire_boundary(&self, id: &str) -> Result<Boundary> {
        let id = self.resolve_shared(id, EntryKind::Boundary)?;
        self.write_shared(|s, me, now| s.retire_boundary(me, &id, now))?;
        self.boundary(&id)
    }

    pub fn boundary(&self, id: &str) -> Result<Boundary> {
        Ok(self.read_shared(|s, _| s.get_boundary(id))??)
    }

    pub fn boundaries(&self) -> Result<List<Boundary>> {
        self.cached(|l, j| l.boundaries(j))
    }

    // --- check-ins ------------------------------------------------------------

    pub fn checkins(&self) -> Result<List<CheckIn>> {
        self.cached(|l, j| l.checkins(j))
    }

    // --- letters --------------------------------------------------------------

    pub fn draft_letter(&self, kind: LetterKind, title: &str, body: &str) -> Result<String> {
        self.write_diary(|d, me, now| d.add_draft(me, kind, title, body, now))
    }

    pub fn drafts(&self) -> Result<List<LetterDraft>> {
        self.cached_diary(|l, d| l.drafts(d))
    }

    /// Copies a private draft into the shared journal, then removes the draft. The
    /// letter is durable in the shared log before the draft is removed, so a crash in
    /// between leaves the draft behind, never a lost letter; sending it again is a
    /// no-op that only removes the draft.
    pub fn send_letter(&self, draft_id: &str) -> Result<String> {
        let id = self.resolve_diary(draft_id, EntryKind::Draft)?;
        let draft = self.read_diary(|d, _| d.get_draft(&id))??;
        let sent = self.write_shared(|s, me, now| s.send_letter(me, &draft, now))?;
        self.write_diary(|d, _, now| d.remove_draft(&id, now))?;
        Ok(sent)
    }

    /// Opens a letter. If it was written to me, this device records privately that
    /// I opened it; whether its writer learns that I read it is `tell`, or, when
    /// `tell` is `None`, the read receipts setting (which by default tells no one).
    pub fn read_letter(&self, id: &str, tell: Option<bool>) -> Result<Letter> {
        let id = self.resolve_shared(id, EntryKind::Letter)?;
        let letter = self.read_shared(|s, _| s.get_letter(&id))??;
        if letter.author == self.me()? {
            return self.unseal_one(letter);
        }
        // Nothing is recorded for a letter that cannot be read yet.
        if letter.is_sealed() {
            return Err(kintsugi_journal::JournalError::StillSealed(id).into());
        }
        self.write_diary(|d, _, now| d.mark_letter_opened(&id, now))?;
        let tell = match tell {
            Some(tell) => tell,
            None => self.settings()?.read_receipts == ReadReceipts::Always,
        };
        if tell && letter.read_at.is_none() {
            self.write_shared(|s, me, now| s.mark_letter_read(me, &id, now))?;
            return Ok(self.read_shared(|s, _| s.get_letter(&id))??);
        }
        Ok(letter)
    }

    /// Tells the writer of a letter to me that I read it: the reader's choice, made
    /// letter by letter. Telling twice changes nothing.
    pub fn tell_letter_read(&self, id: &str) -> Result<Letter> {
        let id = self.resolve_shared(id, EntryKind::Letter)?;
        self.write_shared(|s, me, now| s.mark_letter_read(me, &id, now))?;
        self.write_diary(|d, _, now| d.mark_letter_opened(&id, now))?;
        Ok(self.read_shared(|s, _| s.get_letter(&id))??)
    }

    /// The letters to me that I opened, by id, with when I first did. Only this
    /// device knows: opening a letter is not shared.
    pub fn opened_letters(&self) -> Result<BTreeMap<String, i64>> {
        self.read_diary(|d, _| d.opened_letters())
    }

    /// My sealed letters read here with the keys this device keeps; my partner's
    /// sealed ones have no title or body until they open.
    pub fn letters(&self) -> Result<List<Letter>> {
        let list = self.cached(|l, j| l.letters(j))?;
        self.unseal_mine(list)
    }

    // --- promises -------------------------------------------------------------

    pub fn add_promise(&self, text: &str, due: &str) -> Result<String> {
        let due = kintsugi_journal::parse_date(due)?;
        self.write_shared(|s, me, now| s.add_promise(me, text, due, now))
    }

    pub fn set_promise_outcome(&self, id: &str, outcome: PromiseOutcome) -> Result<Promise> {
        let id = self.resolve_shared(id, EntryKind::Promise)?;
        self.write_shared(|s, me, now| s.set_promise_outcome(me, &id, outcome, now))?;
        Ok(self.read_shared(|s, _| s.get_promise(&id))??)
    }

    pub fn promises(&self) -> Result<List<Promise>> {
        self.cached(|l, j| l.promises(j))
    }

    // --- private diary --------------------------------------------------------

    pub fn add_diary_entry(
        &self,
        text: &str,
        mood: Option<u8>,
        stage: Option<u8>,
    ) -> Result<String> {
        self.write_diary(|d, me, now| d.add_entry(me, text, mood, stage, now))
    }

    pub fn diary_entries(&self) -> Result<List<DiaryEntry>> {
        self.cached_diary(|l, d| l.entries(d))
    }

    /// Copies a private diary entry into the shared journal. Front ends must warn
    /// first: once shared, the partner keeps a copy that this device cannot take back.
    pub fn share_diary_entry(&self, id: &str) -> Result<String> {
        let id = self.resolve_diary(id, EntryKind::DiaryEntry)?;
        let entry = self.read_diary(|d, _| d.get_entry(&id))??;
        self.write_shared(|s, me, now| s.share_diary_entry(me, &entry, now))
    }

    pub fn shared_entries(&self) -> Result<List<SharedEntry>> {
        self.cached(|l, j| l.shared_entries(j))
    }

    // --- stages ---------------------------------------------------------------

    pub fn set_stage(&self, stage: u8, done: bool, note: Option<&str>) -> Result<()> {
        self.write_shared(|s, me, now| s.set_stage(me, stage, done, note, now))
    }

    pub fn stages(&self) -> Result<List<StageProgress>> {
        self.cached(|l, j| l.stages(j))
    }

    // --- export ---------------------------------------------------------------

    /// The journal in a readable or standard form. The result is plaintext: the
    /// front end shows it or writes it only where the person asked.
    pub fn export(&self, format: ExportFormat, scope: ExportScope) -> Result<Vec<u8>> {
        export::export(self, format, scope)
    }

    /// Writes an export to `path` for its owner alone (mode 0600), never replacing an
    /// existing file unless `replace` says so.
    pub fn export_to(
        &self,
        path: &Path,
        format: ExportFormat,
        scope: ExportScope,
        replace: Replace,
    ) -> Result<()> {
        let bytes = zeroize::Zeroizing::new(self.export(format, scope)?);
        Ok(kintsugi_store::write_private_file(path, &bytes, replace)?)
    }

    /// The shared journal as a standard Automerge file.
    pub fn shared_automerge_bytes(&self) -> Result<Vec<u8>> {
        self.with(|i| Ok(i.shared.doc.save()))
    }
}

/// An id resolved from a prefix, checked to name the kind of entry a command acts on.
fn expect_kind((found, id): (EntryKind, String), expected: EntryKind) -> Result<String> {
    if found != expected {
        return Err(kintsugi_journal::JournalError::WrongKind {
            id,
            expected,
            found,
        }
        .into());
    }
    Ok(id)
}
