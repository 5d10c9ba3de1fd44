//! Changing what was written: editing and deleting in the private diary and letter
//! drafts; editing, amending, renegotiating and withdrawing in the shared journal.
//! Each method is one durable command, like those in `entries.rs`.
//!
//! What a person is told about each (deletion keeps history, the partner keeps what
//! they received) is in [`crate::view`], so the CLI and the app say the same.

use chrono::NaiveDate;
use kintsugi_journal::{
    Boundary, CheckIn, DiaryEntry, EntryKind, JournalError, LetterDraft, LetterKind, Promise,
    SharedEntry,
};

use crate::{Device, Result};

/// What to change in a diary entry; `None` keeps a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiaryEdit {
    pub text: Option<String>,
    /// `Some(None)` removes the mood.
    pub mood: Option<Option<u8>>,
    /// `Some(None)` removes the stage.
    pub stage: Option<Option<u8>>,
}

/// What to change in a letter draft; `None` keeps a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DraftEdit {
    pub kind: Option<LetterKind>,
    pub title: Option<String>,
    pub body: Option<String>,
}

/// New answers for a check-in; `None` keeps an answer, blank text removes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnswersEdit {
    pub went_well: Option<String>,
    pub hard: Option<String>,
    pub need: Option<String>,
    pub appreciate: Option<String>,
}

fn unchanged(kind: EntryKind, id: &str) -> JournalError {
    JournalError::Unchanged {
        kind,
        id: id.to_owned(),
    }
}

/// The calendar day `now` falls on here: what "not yet due" is measured against.
fn local_day(now: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp_millis(now)
        .map(|t| t.with_timezone(&chrono::Local).date_naive())
        .unwrap_or_default()
}

impl Device {
    // --- private diary --------------------------------------------------------

    /// Changes a diary entry's text, mood or stage. A copy already shared stays as
    /// it was shared (edit it with [`Device::edit_shared_entry`]).
    pub fn edit_diary_entry(&self, id: &str, edit: &DiaryEdit) -> Result<DiaryEntry> {
        let id = self.resolve_diary(id, EntryKind::DiaryEntry)?;
        self.write_diary(|d, _, now| {
            let e = d.get_entry(&id)?;
            let text = edit.text.as_deref().unwrap_or(&e.text);
            let mood = edit.mood.unwrap_or(e.mood);
            let stage = edit.stage.unwrap_or(e.stage);
            if (text, mood, stage) == (e.text.as_str(), e.mood, e.stage) {
                return Err(unchanged(EntryKind::DiaryEntry, &id));
            }
            d.update_entry(&id, text, mood, stage, now)?;
            d.get_entry(&id)
        })
    }

    /// Deletes a diary entry. It is gone from every list, search and export of this
    /// device at once, but the diary's own history (its encrypted log, which keeps
    /// every change so that processes can merge) still holds it until the diary's
    /// history is released: only that rewrites the diary without it. A copy shared
    /// with the partner is not touched (withdraw it with
    /// [`Device::withdraw_shared_entry`]). Front ends say so: [`crate::view::DIARY_DELETED`].
    pub fn delete_diary_entry(&self, id: &str) -> Result<()> {
        let id = self.resolve_diary(id, EntryKind::DiaryEntry)?;
        self.write_diary(|d, _, now| d.remove_entry(&id, now))
    }

    /// Changes a letter draft before it is sent.
    pub fn edit_draft(&self, id: &str, edit: &DraftEdit) -> Result<LetterDraft> {
        let id = self.resolve_diary(id, EntryKind::Draft)?;
        self.write_diary(|d, _, now| {
            let draft = d.get_draft(&id)?;
            let kind = edit.kind.unwrap_or(draft.kind);
            let title = edit.title.as_deref().unwrap_or(&draft.title);
            let body = edit.body.as_deref().unwrap_or(&draft.body);
            if (kind, title.trim(), body) == (draft.kind, draft.title.as_str(), draft.body.as_str())
            {
                return Err(unchanged(EntryKind::Draft, &id));
            }
            d.update_draft(&id, kind, title, body, now)?;
            d.get_draft(&id)
        })
    }

    /// Throws a draft away. Like a deleted diary entry, it stays in the diary's own
    /// history until that is released.
    pub fn discard_draft(&self, id: &str) -> Result<()> {
        let id = self.resolve_diary(id, EntryKind::Draft)?;
        self.write_diary(|d, _, now| d.remove_draft(&id, now))
    }

    // --- boundaries -----------------------------------------------------------

    /// Proposes a new wording for my own boundary. It stands once my partner agrees
    /// ([`Device::agree_amendment`]); until then the old wording stands and the
    /// returned boundary carries both.
    pub fn amend_boundary(&self, id: &str, text: &str) -> Result<Boundary> {
        let id = self.resolve_shared(id, EntryKind::Boundary)?;
        self.write_shared(|s, me, now| s.amend_boundary(me, &id, text, now))?;
        self.boundary(&id)
    }

    /// Agrees to the new wording my partner proposed for their boundary.
    pub fn agree_amendment(&self, id: &str) -> Result<Boundary> {
        let id = self.resolve_shared(id, EntryKind::Boundary)?;
        self.write_shared(|s, me, now| s.agree_amendment(me, &id, now))?;
        self.boundary(&id)
    }

    /// Takes back a new wording I proposed that my partner has not agreed to.
    pub fn withdraw_amendment(&self, id: &str) -> Result<Boundary> {
        let id = self.resolve_shared(id, EntryKind::Boundary)?;
        self.write_shared(|s, me, now| s.withdraw_amendment(me, &id, now))?;
        self.boundary(&id)
    }

    /// Withdraws my boundary proposal before my partner agreed to it: it leaves
    /// every list on both devices. The partner keeps what their device already
    /// received ([`crate::view::WITHDRAWN`]).
    pub fn withdraw_boundary(&self, id: &str) -> Result<()> {
        let id = self.resolve_shared(id, EntryKind::Boundary)?;
        self.write_shared(|s, me, now| s.withdraw_boundary(me, &id, now))
    }

    // --- check-ins, stage notes, shared entries ---------------------------------

    /// Changes the written answers of my check-in; the partner sees that it was
    /// edited and the answers before.
    pub fn edit_checkin(&self, id: &str, edit: &AnswersEdit) -> Result<CheckIn> {
        let id = self.resolve_shared(id, EntryKind::Checkin)?;
        self.write_shared(|s, me, now| {
            let c = s.get_checkin(&id)?;
            let pick = |new: &Option<String>, old: &Option<String>| -> Option<String> {
                new.clone().or_else(|| old.clone())
            };
            let answers = [
                pick(&edit.went_well, &c.went_well),
                pick(&edit.hard, &c.hard),
                pick(&edit.need, &c.need),
                pick(&edit.appreciate, &c.appreciate),
            ];
            s.edit_checkin(me, &id, answers.each_ref().map(|a| a.as_deref()), now)?;
            s.get_checkin(&id)
        })
    }

    /// Writes, changes or (blank) removes my note on a stage; the partner sees the
    /// notes before.
    pub fn set_stage_note(&self, stage: u8, note: &str) -> Result<()> {
        self.write_shared(|s, me, now| s.set_stage_note(me, stage, note, now))
    }

    /// Changes the text of a diary entry I shared; the partner sees that it was
    /// edited, and the earlier wording, which their device already has.
    pub fn edit_shared_entry(&self, id: &str, text: &str) -> Result<SharedEntry> {
        let id = self.resolve_shared(id, EntryKind::SharedEntry)?;
        self.write_shared(|s, me, now| {
            s.edit_shared_entry(me, &id, text, now)?;
            s.get_shared_entry(&id)
        })
    }

    /// Withdraws a diary entry I shared: it leaves every list on both devices; my
    /// diary keeps the entry. The partner keeps what their device already received
    /// ([`crate::view::WITHDRAWN`]).
    pub fn withdraw_shared_entry(&self, id: &str) -> Result<()> {
        let id = self.resolve_shared(id, EntryKind::SharedEntry)?;
        self.write_shared(|s, me, now| s.withdraw_shared_entry(me, &id, now))
    }

    // --- promises -------------------------------------------------------------

    /// Proposes new terms for my own promise (a new wording, a new due date
    /// `YYYY-MM-DD`, or both). They stand once my partner agrees
    /// ([`Device::agree_promise_terms`]); the terms they replace stay in the
    /// promise's follow-through chain.
    pub fn renegotiate_promise(
        &self,
        id: &str,
        text: Option<&str>,
        due: Option<&str>,
    ) -> Result<Promise> {
        let due = due.map(kintsugi_journal::parse_date).transpose()?;
        let id = self.resolve_shared(id, EntryKind::Promise)?;
        self.write_shared(|s, me, now| {
            s.renegotiate_promise(me, &id, text, due, now)?;
            s.get_promise(&id)
        })
    }

    /// Agrees to the new terms my partner proposed for their promise.
    pub fn agree_promise_terms(&self, id: &str) -> Result<Promise> {
        let id = self.resolve_shared(id, EntryKind::Promise)?;
        self.write_shared(|s, me, now| {
            s.agree_promise_terms(me, &id, now)?;
            s.get_promise(&id)
        })
    }

    /// Takes back new terms I proposed that my partner has not agreed to.
    pub fn withdraw_promise_terms(&self, id: &str) -> Result<Promise> {
        let id = self.resolve_shared(id, EntryKind::Promise)?;
        self.write_shared(|s, me, now| {
            s.withdraw_promise_terms(me, &id, now)?;
            s.get_promise(&id)
        })
    }

    /// Withdraws my promise while it is not yet due here (today, in this device's
    /// time zone, is before its due date) and has no outcome: it leaves every list
    /// on both devices. The partner keeps what their device already received
    /// ([`crate::view::WITHDRAWN`]).
    pub fn withdraw_promise(&self, id: &str) -> Result<()> {
        let id = self.resolve_shared(id, EntryKind::Promise)?;
        self.write_shared(|s, me, now| s.withdraw_promise(me, &id, local_day(now), now))
    }
}

#[cfg(test)]
mod tests {
    use kintsugi_journal::{JournalError, PartnerId, PrivateDiary};

    use super::*;
    use crate::{DeviceError, DocKind, ExportFormat, ExportScope, Options, SearchQuery};

    const PASS: &[u8] = b"correct horse battery staple";

    fn device(dir: &tempfile::TempDir) -> Device {
        Device::create(
            &dir.path().join("p"),
            "Ari",
            PASS,
            Options::INSECURE_FAST_FOR_TESTS,
        )
        .unwrap()
    }

    fn bea() -> PartnerId {
        PartnerId::parse(&"be".repeat(16)).unwrap()
    }

    fn found(d: &Device, text: &str) -> usize {
        d.search(&SearchQuery {
            text: text.into(),
            ..Default::default()
        })
        .unwrap()
        .len()
    }

    /// Every diary entry text that any change in the diary's history has seen.
    fn diary_history_texts(d: &Device) -> Vec<String> {
        d.with(|i| {
            let am = i.diary.doc.doc_mut();
            let hashes: Vec<_> = am.get_changes(&[]).iter().map(|c| c.hash()).collect();
            let mut texts = Vec::new();
            for h in hashes {
                let mut at = am.fork_at(&[h]).unwrap();
                let old = PrivateDiary::load(&at.save()).unwrap();
                texts.extend(old.entries().into_iter().map(|e| e.text));
            }
            Ok(texts)
        })
        .unwrap()
    }

    #[test]
    fn a_diary_entry_is_edited_field_by_field_and_deleted_from_every_view() {
        let dir = tempfile::tempdir().unwrap();
        let d = device(&dir);
        let id = d.add_diary_entry("a typo hre", Some(2), Some(3)).unwrap();
        let e = d
            .edit_diary_entry(
                &id[..13],
                &DiaryEdit {
                    text: Some("a typo here".into()),
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(
            (e.text.as_str(), e.mood, e.stage),
            ("a typo here", Some(2), Some(3))
        );
        let e = d
            .edit_diary_entry(
                &id,
                &DiaryEdit {
                    mood: Some(None),
                    stage: Some(Some(5)),
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!((e.mood, e.stage), (None, Some(5)));
        assert!(matches!(
            d.edit_diary_entry(&id, &DiaryEdit::default()),
            Err(DeviceError::Journal(JournalError::Unchanged { .. }))
        ));
        assert!(matches!(
            d.edit_diary_entry(
                &id,
                &DiaryEdit {
                    mood: Some(Some(9)),
                    ..Default::default()
                }
            ),
            Err(DeviceError::Journal(JournalError::OutOfRange { .. }))
        ));

        let canary = "CANARY-DELETED-7 the evening I cannot say";
        let gone = d.add_diary_entry(canary, None, None).unwrap();
        assert_eq!(found(&d, "canary-deleted-7"), 1);
        d.delete_diary_entry(&gone).unwrap();
        assert!(d.diary_entries().unwrap().iter().all(|e| e.id != gone));
        assert_eq!(found(&d, "canary-deleted-7"), 0);
        let md = d
            .export(ExportFormat::Markdown, ExportScope::WithPrivate)
            .unwrap();
        let json = d
            .export(ExportFormat::Json, ExportScope::WithPrivate)
            .unwrap();
        for bytes in [md, json] {
            assert!(!String::from_utf8(bytes).unwrap().contains("CANARY-DELETED"));
        }
        assert!(matches!(
            d.delete_diary_entry(&gone),
            Err(DeviceError::Journal(JournalError::UnknownId(_)))
        ));
        // What the device says it does: the diary's own history still holds it,
        // also after a reopen and a compaction (until its history is released).
        d.compact().unwrap();
        drop(d);
        let d = Device::unlock(
            &dir.path().join("p"),
            PASS,
            Options::INSECURE_FAST_FOR_TESTS,
        )
        .unwrap();
        assert_eq!(d.diary_entries().unwrap().len(), 1);
        assert!(diary_history_texts(&d).iter().any(|t| t == canary));
        assert!(crate::view::DIARY_DELETED.contains("history"));
    }

    #[test]
    fn a_draft_is_edited_and_discarded() {
        let dir = tempfile::tempdir().unwrap();
        let d = device(&dir);
        let id = d
            .draft_letter(LetterKind::Apology, "Sorry", "I was wrong.")
            .unwrap();
        let draft = d
            .edit_draft(
                &id,
                &DraftEdit {
                    body: Some("I was wrong, and I know how it hurt.".into()),
                    kind: Some(LetterKind::Hope),
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(draft.title, "Sorry");
        assert_eq!(draft.kind, LetterKind::Hope);
        assert_eq!(
            d.drafts().unwrap()[0].body,
            "I was wrong, and I know how it hurt."
        );
        assert!(matches!(
            d.edit_draft(
                &id,
                &DraftEdit {
                    title: Some("  ".into()),
                    ..Default::default()
                }
            ),
            Err(DeviceError::Journal(JournalError::EmptyText { .. }))
        ));
        d.discard_draft(&id).unwrap();
        assert!(d.drafts().unwrap().is_empty());
        assert!(d.send_letter(&id).is_err());
    }

    #[test]
    fn shared_edits_are_refused_to_the_partner_and_kept_as_earlier_versions() {
        let dir = tempfile::tempdir().unwrap();
        let d = device(&dir);
        let mut events = d.subscribe();
        // An entry that came from the partner's device.
        let theirs = d
            .write_shared(|s, _, now| s.propose_boundary(&bea(), "Bea's rule", None, now))
            .unwrap();
        let err = d.amend_boundary(&theirs, "my wording").unwrap_err();
        assert!(err.to_string().contains("only its author"), "{err}");
        assert!(d.withdraw_boundary(&theirs).is_err());

        let mine = d.propose_boundary("Home by ten", None).unwrap();
        let b = d.amend_boundary(&mine, "Home by eleven").unwrap();
        assert_eq!(b.text, "Home by ten");
        assert_eq!(b.amendment.unwrap().text, "Home by eleven");
        while events.try_recv().is_ok() {}
        // Bea agrees, as her device would.
        d.write_shared(|s, _, now| s.agree_amendment(&bea(), &mine, now))
            .unwrap();
        assert_eq!(
            events.try_recv().unwrap(),
            crate::Event::Changed {
                doc: DocKind::Shared,
                local: true
            }
        );
        let b = d.boundary(&mine).unwrap();
        assert_eq!((b.text.as_str(), b.earlier.len()), ("Home by eleven", 1));
        assert!(b.edited.is_some() && b.amendment.is_none());
        assert_eq!(
            found(&d, "home by ten"),
            1,
            "earlier wordings are searched too"
        );
        let md = d
            .export(ExportFormat::Markdown, ExportScope::Shared)
            .unwrap();
        let md = String::from_utf8(md).unwrap();
        assert!(md.contains("**Home by eleven**"), "{md}");
        assert!(
            md.contains("): Home by ten") && md.contains("  - edited "),
            "{md}"
        );

        let entry = d.add_diary_entry("shared thought", None, Some(2)).unwrap();
        let shared = d.share_diary_entry(&entry).unwrap();
        let e = d
            .edit_shared_entry(&shared, "shared thought, better put")
            .unwrap();
        assert_eq!(e.earlier[0].text, "shared thought");
        assert_eq!(
            d.diary_entries().unwrap()[0].text,
            "shared thought",
            "the diary entry itself is untouched"
        );
        d.withdraw_shared_entry(&shared).unwrap();
        assert!(d.shared_entries().unwrap().is_empty());
        assert_eq!(d.diary_entries().unwrap().len(), 1);

        let c = d
            .save_checkin(&kintsugi_journal::CheckInInput {
                week: "2026-W48".into(),
                mood: 3,
                trust: 3,
                closeness: 3,
                went_well: Some("dinner".into()),
                ..Default::default()
            })
            .unwrap();
        let edited = d
            .edit_checkin(
                &c.id,
                &AnswersEdit {
                    need: Some("more time".into()),
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(edited.went_well.as_deref(), Some("dinner"));
        assert_eq!(edited.need.as_deref(), Some("more time"));
        assert_eq!(edited.earlier.len(), 1);

        d.set_stage(2, true, Some("first note")).unwrap();
        d.set_stage_note(2, "second note").unwrap();
        let s = &d.stages().unwrap()[0];
        assert_eq!((s.note.as_deref(), s.done), (Some("second note"), true));
        assert_eq!(s.earlier[0].text, "first note");
    }

    #[test]
    fn promises_are_renegotiated_and_withdrawn_only_before_they_are_due() {
        let dir = tempfile::tempdir().unwrap();
        let d = device(&dir);
        let today = local_day(crate::now_ms());
        let later = kintsugi_journal::format_date(today + chrono::Days::new(30));
        let p = d.add_promise("Plan a weekend", &later).unwrap();
        let due_today = d
            .add_promise("Call", &kintsugi_journal::format_date(today))
            .unwrap();
        assert!(matches!(
            d.renegotiate_promise(&p, None, Some("someday")),
            Err(DeviceError::Journal(JournalError::BadDate(_)))
        ));
        let r = d
            .renegotiate_promise(&p, Some("Plan a long weekend"), None)
            .unwrap();
        assert_eq!(r.text, "Plan a weekend");
        assert_eq!(
            r.renegotiation.as_ref().unwrap().text,
            "Plan a long weekend"
        );
        let r = d.withdraw_promise_terms(&p).unwrap();
        assert!(r.renegotiation.is_none());

        let err = d.withdraw_promise(&due_today).unwrap_err();
        assert!(err.to_string().contains("already due"), "{err}");
        d.withdraw_promise(&p).unwrap();
        let left: Vec<String> = d.promises().unwrap().iter().map(|p| p.id.clone()).collect();
        assert_eq!(left, [due_today]);
        assert!(matches!(
            d.agree_promise_terms(&p),
            Err(DeviceError::Journal(JournalError::Withdrawn { .. }))
        ));
    }
}
