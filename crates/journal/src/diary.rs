//! The private diary: never synced, never leaves the device.
//!
//! Same document machinery as the shared journal (deterministic genesis, one change
//! per command, a fresh actor per process) because several processes may open one
//! profile at once and their writes have to merge.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ChangeHash, ObjId, ObjType};

use crate::doc::{Doc, Schema, Touched};
use crate::entries::{DiaryEntry, LetterDraft, LetterKind, Reflection, Trigger};
use crate::error::Result;
use crate::fields::{Fields, put_opt};
use crate::ids::{EntryKind, PartnerId, new_entry_id};
use crate::lists::{Cached, List};
use crate::validate::{MOOD, STAGE, require_text};

const ENTRIES: usize = 0;
const DRAFTS: usize = 1;
/// `reflections`: private records that are neither diary entries nor drafts (see
/// `reflections.rs`). Genesis is frozen, so new kinds of private record share it.
pub(crate) const REFLECTIONS: usize = 2;

static SCHEMA: Schema = Schema {
    doc: "private diary",
    genesis_actor: *b"kintsugi-diary-1",
    maps: &["entries", "drafts", "reflections"],
    kinds: &[
        (EntryKind::DiaryEntry, ENTRIES),
        (EntryKind::Draft, DRAFTS),
        (EntryKind::Reflection, REFLECTIONS),
        (EntryKind::Trigger, REFLECTIONS),
    ],
    kind_of: Some(crate::reflections::kind_of),
    settle: None,
};

/// The diary's lists as of the heads they were last brought up to date at (see
/// [`crate::SharedLists`]; the diary's heads move apart from the journal's).
#[derive(Default)]
pub struct DiaryLists {
    seen: Vec<ChangeHash>,
    entries: Cached<DiaryEntry>,
    drafts: Cached<LetterDraft>,
    reflections: Cached<Reflection>,
    triggers: Cached<Trigger>,
}

impl DiaryLists {
    pub fn entries(&mut self, diary: &mut PrivateDiary) -> List<DiaryEntry> {
        self.follow(diary);
        self.entries.get(|| diary.entries())
    }

    pub fn entries_len(&mut self, diary: &mut PrivateDiary) -> usize {
        self.follow(diary);
        self.entries.len(|| diary.entries())
    }

    pub fn drafts(&mut self, diary: &mut PrivateDiary) -> List<LetterDraft> {
        self.follow(diary);
        self.drafts.get(|| diary.drafts())
    }

    pub fn drafts_len(&mut self, diary: &mut PrivateDiary) -> usize {
        self.follow(diary);
        self.drafts.len(|| diary.drafts())
    }

    pub fn reflections(&mut self, diary: &mut PrivateDiary) -> List<Reflection> {
        self.follow(diary);
        self.reflections.get(|| diary.reflections())
    }

    pub fn triggers(&mut self, diary: &mut PrivateDiary) -> List<Trigger> {
        self.follow(diary);
        self.triggers.get(|| diary.triggers())
    }

    fn follow(&mut self, diary: &mut PrivateDiary) {
        let (touched, heads) = diary.doc.touched_since(&self.seen);
        self.seen = heads;
        match touched {
            Touched::Nothing => {}
            Touched::Everything => {
                self.entries.forget();
                self.drafts.forget();
                self.reflections.forget();
                self.triggers.forget();
            }
            Touched::Entries(t) => {
                let ids = |root: usize| {
                    t.iter()
                        .filter(|(r, _)| *r == root)
                        .map(|(_, id)| id.as_str())
                        .collect()
                };
                let d = &*diary;
                self.entries
                    .update(&ids(ENTRIES), |id| d.get_entry(id).ok());
                self.drafts.update(&ids(DRAFTS), |id| d.get_draft(id).ok());
                // Both read the `reflections` map, each only its own kind.
                let reflections = ids(REFLECTIONS);
                self.reflections
                    .update(&reflections, |id| d.get_reflection(id).ok());
                self.triggers
                    .update(&reflections, |id| d.get_trigger(id).ok());
            }
        }
    }
}

/// A partner's private diary and letter drafts.
pub struct PrivateDiary {
    pub(crate) doc: Doc,
}

impl PrivateDiary {
    pub fn genesis() -> Self {
        Self {
            doc: Doc::genesis(&SCHEMA),
        }
    }

    pub fn genesis_bytes() -> Vec<u8> {
        Doc::genesis_bytes(&SCHEMA)
    }

    /// The genesis of the diary a release of history started with `epoch` (`None`:
    /// the original genesis): where another device of the person starts from.
    pub fn genesis_bytes_of(epoch: Option<&[u8; 16]>) -> Vec<u8> {
        Doc::genesis_bytes_of(&SCHEMA, epoch)
    }

    /// Loads a full save, optionally followed by incremental chunks.
    pub fn load(bytes: &[u8]) -> Result<Self> {
        Ok(Self {
            doc: Doc::load(&SCHEMA, bytes)?,
        })
    }

    pub fn load_incremental(&mut self, bytes: &[u8]) -> Result<usize> {
        self.doc.load_incremental(bytes)
    }

    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.doc.heads()
    }

    pub fn save(&mut self) -> Vec<u8> {
        self.doc.save()
    }

    pub fn save_after(&mut self, heads: &[ChangeHash]) -> Vec<u8> {
        self.doc.save_after(heads)
    }

    pub fn doc(&self) -> &AutoCommit {
        self.doc.am()
    }

    pub fn doc_mut(&mut self) -> &mut AutoCommit {
        self.doc.am_mut()
    }

    pub fn schema_version(&self) -> Option<u64> {
        self.doc.schema_version()
    }

    /// Finds an entry or draft by its full id or a unique prefix.
    pub fn resolve(&self, prefix: &str) -> Result<(EntryKind, String)> {
        self.doc.resolve(prefix)
    }

    // --- diary entries ---

    pub fn add_entry(
        &mut self,
        me: &PartnerId,
        text: &str,
        mood: Option<u8>,
        stage: Option<u8>,
        now: i64,
    ) -> Result<String> {
        let text = require_text("text", text)?;
        let mood = mood.map(|m| MOOD.check(m)).transpose()?;
        let stage = stage.map(|s| STAGE.check(s)).transpose()?;
        let id = new_entry_id(now)?;
        self.doc.transact(now, |am, roots| {
            let obj = am.put_object(&roots[ENTRIES], &id, ObjType::Map)?;
            am.put(&obj, "author", me.as_str())?;
            write_entry(am, &obj, text, mood, stage, now)?;
            am.put(&obj, "created", now)?;
            Ok(())
        })?;
        Ok(id)
    }

    /// Replaces an entry's text, mood and stage.
    pub fn update_entry(
        &mut self,
        id: &str,
        text: &str,
        mood: Option<u8>,
        stage: Option<u8>,
        now: i64,
    ) -> Result<()> {
        let text = require_text("text", text)?;
        let mood = mood.map(|m| MOOD.check(m)).transpose()?;
        let stage = stage.map(|s| STAGE.check(s)).transpose()?;
        let obj = self.doc.locate(EntryKind::DiaryEntry, id)?;
        self.doc
            .transact(now, |am, _| write_entry(am, &obj, text, mood, stage, now))
    }

    /// Removes an entry from view. Automerge history still holds it until the
    /// diary is compacted into a fresh document.
    pub fn remove_entry(&mut self, id: &str, now: i64) -> Result<()> {
        self.remove(EntryKind::DiaryEntry, ENTRIES, id, now)
    }

    pub fn entries(&self) -> Vec<DiaryEntry> {
        self.doc.list(ENTRIES, read_entry)
    }

    pub fn get_entry(&self, id: &str) -> Result<DiaryEntry> {
        self.doc.get(EntryKind::DiaryEntry, id, read_entry)
    }

    /// Entries tagged with one of the seven stages.
    pub fn entries_by_stage(&self, stage: u8) -> Result<Vec<DiaryEntry>> {
        let stage = STAGE.check(stage)?;
        let mut entries = self.entries();
        entries.retain(|e| e.stage == Some(stage));
        Ok(entries)
    }

    // --- letter drafts ---

    pub fn add_draft(
        &mut self,
        me: &PartnerId,
        kind: LetterKind,
        title: &str,
        body: &str,
        now: i64,
    ) -> Result<String> {
        let title = require_text("title", title)?.trim();
        let body = require_text("body", body)?;
        let id = new_entry_id(now)?;
        self.doc.transact(now, |am, roots| {
            let obj = am.put_object(&roots[DRAFTS], &id, ObjType::Map)?;
            am.put(&obj, "author", me.as_str())?;
            write_draft(am, &obj, kind, title, body, now)?;
            am.put(&obj, "created", now)?;
            Ok(())
        })?;
        Ok(id)
    }

    pub fn update_draft(
        &mut self,
        id: &str,
        kind: LetterKind,
        title: &str,
        body: &str,
        now: i64,
    ) -> Result<()> {
        let title = require_text("title", title)?.trim();
        let body = require_text("body", body)?;
        let obj = self.doc.locate(EntryKind::Draft, id)?;
        self.doc
            .transact(now, |am, _| write_draft(am, &obj, kind, title, body, now))
    }

    /// Removes a draft, typically right after [`SharedJournal::send_letter`](crate::SharedJournal::send_letter).
    pub fn remove_draft(&mut self, id: &str, now: i64) -> Result<()> {
        self.remove(EntryKind::Draft, DRAFTS, id, now)
    }

    pub fn drafts(&self) -> Vec<LetterDraft> {
        self.doc.list(DRAFTS, read_draft)
    }

    pub fn get_draft(&self, id: &str) -> Result<LetterDraft> {
        self.doc.get(EntryKind::Draft, id, read_draft)
    }

    fn remove(&mut self, kind: EntryKind, root: usize, id: &str, now: i64) -> Result<()> {
        self.doc.locate(kind, id)?;
        self.doc.transact(now, |am, roots| {
            am.delete(&roots[root], id)?;
            Ok(())
        })
    }
}

impl std::fmt::Debug for PrivateDiary {
    /// Never prints the document: it holds private entries.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateDiary")
            .field("actor", &self.doc.am().get_actor())
            .finish_non_exhaustive()
    }
}

fn write_entry(
    am: &mut AutoCommit,
    obj: &ObjId,
    text: &str,
    mood: Option<u8>,
    stage: Option<u8>,
    now: i64,
) -> Result<()> {
    am.put(obj, "text", text)?;
    put_opt(am, obj, "mood", mood.map(i64::from))?;
    put_opt(am, obj, "stage", stage.map(i64::from))?;
    am.put(obj, "updated", now)?;
    Ok(())
}

fn write_draft(
    am: &mut AutoCommit,
    obj: &ObjId,
    kind: LetterKind,
    title: &str,
    body: &str,
    now: i64,
) -> Result<()> {
    am.put(obj, "kind", kind.as_str())?;
    am.put(obj, "title", title)?;
    am.put(obj, "body", body)?;
    am.put(obj, "updated", now)?;
    Ok(())
}

fn read_entry(am: &AutoCommit, id: &str, obj: ObjId) -> Result<DiaryEntry> {
    let f = Fields::new(am, obj, EntryKind::DiaryEntry, id);
    Ok(DiaryEntry {
        id: id.to_owned(),
        author: f.partner("author")?,
        text: f.str("text")?,
        mood: f.opt_scale("mood", MOOD)?,
        stage: f.opt_scale("stage", STAGE)?,
        created: f.int("created")?,
        updated: f.int("updated")?,
    })
}

fn read_draft(am: &AutoCommit, id: &str, obj: ObjId) -> Result<LetterDraft> {
    let f = Fields::new(am, obj, EntryKind::Draft, id);
    Ok(LetterDraft {
        id: id.to_owned(),
        author: f.partner("author")?,
        kind: f.parsed("kind", LetterKind::from_name)?,
        title: f.str("title")?,
        body: f.str("body")?,
        created: f.int("created")?,
        updated: f.int("updated")?,
    })
}
