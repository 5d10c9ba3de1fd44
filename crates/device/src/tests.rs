use super::*;
use kintsugi_store::Unlocked;
use std::path::Path;

/// Strong enough for the passphrase floor.
const PASS: &[u8] = b"correct horse battery staple";

fn opts() -> Options {
    Options::INSECURE_FAST_FOR_TESTS
}

#[test]
fn create_write_lock_and_unlock_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p");
    let d = Device::create(&path, "Alex", PASS, opts()).unwrap();
    let mut events = d.subscribe();
    let b = d.propose_boundary("Be on time", Some("time")).unwrap();
    assert_eq!(
        events.try_recv().unwrap(),
        Event::Changed {
            doc: DocKind::Shared,
            local: true
        }
    );
    d.add_diary_entry("only mine", Some(3), Some(1)).unwrap();
    assert_eq!(
        events.try_recv().unwrap(),
        Event::Changed {
            doc: DocKind::Diary,
            local: true
        }
    );
    d.lock();
    assert!(d.is_locked());
    assert!(d.boundaries().is_err());
    assert_eq!(events.try_recv().unwrap(), Event::Locked);

    assert!(matches!(
        Device::unlock(&path, b"nope", opts()),
        Err(DeviceError::Store(
            kintsugi_store::StoreError::WrongPassphrase
        ))
    ));
    let d = Device::unlock(&path, PASS, opts()).unwrap();
    assert_eq!(d.boundaries().unwrap()[0].id, b);
    assert_eq!(d.diary_entries().unwrap()[0].text, "only mine");
    let st = d.status().unwrap();
    assert_eq!(st.name.as_deref(), Some("Alex"));
    assert_eq!((st.boundaries, st.diary_entries), (1, 1));
}

#[test]
fn a_failed_command_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p");
    let d = Device::create(&path, "Alex", PASS, opts()).unwrap();
    let size = std::fs::metadata(path.join(SHARED_LOG)).unwrap().len();
    assert!(d.propose_boundary("  ", None).is_err());
    assert!(d.agree_boundary("0123").is_err());
    assert_eq!(
        std::fs::metadata(path.join(SHARED_LOG)).unwrap().len(),
        size
    );
    // And the next valid command still works.
    d.propose_boundary("fine", None).unwrap();
    assert_eq!(d.boundaries().unwrap().len(), 1);
}

#[test]
fn refuses_to_create_over_orphaned_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(SHARED_LOG), b"left over").unwrap();
    assert!(matches!(
        Device::create(dir.path(), "A", PASS, opts()),
        Err(DeviceError::OrphanFiles(_))
    ));
    assert_eq!(
        std::fs::read(dir.path().join(SHARED_LOG)).unwrap(),
        b"left over"
    );
}

#[test]
fn sending_a_letter_moves_it_from_drafts_to_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let d = Device::create(&dir.path().join("p"), "Alex", PASS, opts()).unwrap();
    let draft = d
        .draft_letter(LetterKind::Hope, "Next year", "Together")
        .unwrap();
    assert_eq!(d.drafts().unwrap().len(), 1);
    let sent = d.send_letter(&draft).unwrap();
    assert!(d.drafts().unwrap().is_empty());
    let letters = d.letters().unwrap();
    assert_eq!(letters[0].id, sent);
    assert_eq!(letters[0].body, "Together");
}

#[test]
fn a_long_log_is_compacted_by_the_writer_and_nothing_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p");
    let d = Device::create(&path, "Alex", PASS, opts()).unwrap();
    let other = Device::unlock(&path, PASS, opts()).unwrap();
    for i in 0..30 {
        d.propose_boundary(&format!("b{i}"), None).unwrap();
    }
    let fresh = Device::unlock(&path, PASS, opts()).unwrap();
    assert_eq!(fresh.boundaries().unwrap().len(), 30);
    // The second handle follows the replaced file and still writes.
    other.refresh().unwrap();
    assert_eq!(other.boundaries().unwrap().len(), 30);
    other.propose_boundary("after", None).unwrap();
    assert_eq!(
        Device::unlock(&path, PASS, opts())
            .unwrap()
            .boundaries()
            .unwrap()
            .len(),
        31
    );
    let size = std::fs::metadata(path.join(SHARED_LOG)).unwrap().len();
    assert!(
        fresh.log_records(DocKind::Shared).unwrap() < 20,
        "the log was not compacted ({size} bytes)"
    );
}

#[test]
fn partner_state_changes_made_at_once_are_all_kept() {
    // The link, the end of a session and the address book record their parts from
    // different tasks; each change must land on the others, not on a stale copy.
    let dir = tempfile::tempdir().unwrap();
    let d = Device::create(&dir.path().join("p"), "Alex", PASS, opts()).unwrap();
    let threads: Vec<_> = (0..4u8)
        .map(|t| {
            let d = d.clone();
            std::thread::spawn(move || {
                for n in 0..25u16 {
                    let addr = std::net::SocketAddr::from(([127, 0, 0, t + 1], 1000 + n));
                    d.update_partner_state(|p| {
                        // A task can be paused between reading and writing.
                        std::thread::sleep(std::time::Duration::from_millis(1));
                        p.addrs.push(addr)
                    })
                    .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(d.partner_state().unwrap().addrs.len(), 100);
}

#[test]
fn a_partner_state_this_version_cannot_read_starts_afresh_but_settings_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let d = Device::create(&dir.path().join("p"), "Alex", PASS, opts()).unwrap();
    d.with(|i| {
        partner::PARTNER.write(i, &"not a partner state")?;
        settings::SETTINGS.write(i, &"not settings")
    })
    .unwrap();
    assert!(d.partner_state().unwrap().addrs.is_empty());
    let err = d.settings().unwrap_err().to_string();
    assert!(err.contains("settings.sealed is damaged"), "{err}");
}

#[test]
fn create_refuses_a_weak_passphrase_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p");
    for (pass, name) in [("1234", "Alex"), ("alex1990", "Alex"), ("", "Alex")] {
        let err = Device::create(&path, name, pass.as_bytes(), opts()).unwrap_err();
        match (&err, pass) {
            (
                DeviceError::BadInput {
                    field: Field::Passphrase,
                    reason,
                },
                "",
            ) => assert!(reason.contains("empty"), "{reason}"),
            (DeviceError::WeakPassphrase(s), _) => {
                assert!(!s.acceptable && s.score < MIN_PASSPHRASE_SCORE);
                let line = err.to_string();
                assert!(line.starts_with("this passphrase is too easy to guess: "));
                assert!(!line.contains(pass) && !line.contains('\n'), "{line}");
            }
            _ => panic!("{pass:?}: {err}"),
        }
        assert!(!path.exists(), "{pass:?} left {} behind", path.display());
    }
}

#[test]
fn change_passphrase_refuses_a_weak_one_and_the_old_one_still_works() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p");
    let d = Device::create(&path, "Alex", PASS, opts()).unwrap();
    let keyring = std::fs::read(path.join(kintsugi_store::KEYRING_FILE)).unwrap();
    // Common, short, or built on the person's own name.
    for weak in ["hunter2", "secret", "Alex2024", "alexalexalex"] {
        let err = d.change_passphrase(weak.as_bytes()).unwrap_err();
        assert!(
            matches!(&err, DeviceError::WeakPassphrase(s) if !s.acceptable),
            "{weak:?}: {err}"
        );
        assert!(err.to_string().contains("Add another word"), "{err}");
    }
    assert_eq!(
        std::fs::read(path.join(kintsugi_store::KEYRING_FILE)).unwrap(),
        keyring
    );
    d.lock();
    let d = Device::unlock(&path, PASS, opts()).unwrap();
    // A strong one is taken, and only it opens the profile from then on.
    d.change_passphrase(b"violet tram under the old bridge")
        .unwrap();
    assert!(Device::unlock(&path, PASS, opts()).is_err());
    Device::unlock(&path, b"violet tram under the old bridge", opts()).unwrap();
}

/// The keyring's cost as the store reads it from the file.
fn sealed_with(path: &Path) -> KdfParams {
    Unlocked::unlock(path, PASS).unwrap().params()
}

#[test]
fn a_fast_keyring_is_resealed_at_the_standard_cost_on_unlock() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p");
    let d = Device::create(&path, "Alex", PASS, opts()).unwrap();
    let b = d
        .propose_boundary("Kept through the re-seal", None)
        .unwrap();
    drop(d);
    let keyring = path.join(kintsugi_store::KEYRING_FILE);
    // Options asking for the fast setting leave a fast keyring as it is.
    let before = std::fs::read(&keyring).unwrap();
    Device::unlock(&path, PASS, opts()).unwrap();
    assert_eq!(std::fs::read(&keyring).unwrap(), before);
    assert_eq!(sealed_with(&path), KdfParams::INSECURE_FAST);

    // The standard options re-seal it at once, with the same passphrase and keys.
    let d = Device::unlock(&path, PASS, Options::default()).unwrap();
    assert_eq!(d.boundaries().unwrap()[0].id, b);
    assert_eq!(sealed_with(&path), KdfParams::STRONG);
    drop(d);
    let resealed = std::fs::read(&keyring).unwrap();
    let d = Device::unlock(&path, PASS, Options::default()).unwrap();
    assert_eq!(d.boundaries().unwrap()[0].id, b);
    // A keyring at the standard cost is never rewritten by an unlock.
    assert_eq!(std::fs::read(&keyring).unwrap(), resealed);
    assert!(matches!(
        Device::unlock(&path, b"nope", Options::default()),
        Err(DeviceError::Store(
            kintsugi_store::StoreError::WrongPassphrase
        ))
    ));
}

#[test]
fn a_reseal_that_fails_does_not_stop_the_unlock_and_is_tried_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p");
    Device::create(&path, "Alex", PASS, opts()).unwrap();
    // A directory where the keyring's lock file belongs: even root cannot open it
    // for writing, so the re-seal fails.
    let lock = path.join(kintsugi_store::KEYRING_LOCK_FILE);
    std::fs::remove_file(&lock).unwrap();
    std::fs::create_dir(&lock).unwrap();
    let before = std::fs::read(path.join(kintsugi_store::KEYRING_FILE)).unwrap();
    let d = Device::unlock(&path, PASS, Options::default()).unwrap();
    assert_eq!(d.status().unwrap().name.as_deref(), Some("Alex"));
    assert_eq!(
        std::fs::read(path.join(kintsugi_store::KEYRING_FILE)).unwrap(),
        before
    );
    drop(d);
    std::fs::remove_dir(&lock).unwrap();
    Device::unlock(&path, PASS, Options::default()).unwrap();
    assert_eq!(sealed_with(&path), KdfParams::STRONG);
}

/// Carries everything `from` has that `to` lacks, as a bundle would.
fn carry(from: &Device, to: &Device) {
    to.import_bundle(&from.export_bundle().unwrap()).unwrap();
}

/// Opening a letter tells its writer nothing unless the reader chooses to, letter by
/// letter or by the setting; what the reader opened stays on the reader's device.
#[test]
fn opening_a_letter_tells_the_writer_only_when_the_reader_chooses() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = test_support::paired(tmp.path());
    let send = |title: &str| {
        let draft = a.draft_letter(LetterKind::Apology, title, "body").unwrap();
        a.send_letter(&draft).unwrap()
    };
    let first = send("first");
    let second = send("second");
    carry(&a, &b);
    let today = chrono::Local::now().date_naive();
    let unread = |d: &Device| {
        d.due(today)
            .unwrap()
            .into_iter()
            .find_map(|x| match x {
                view::Due::UnreadLetters { count } => Some(count),
                _ => None,
            })
            .unwrap_or(0)
    };
    assert_eq!(unread(&b), 2);

    // The default: opening tells no one, but the letter is no longer new to Bea.
    assert_eq!(b.settings().unwrap().read_receipts, ReadReceipts::Ask);
    let opened = b.read_letter(&first, None).unwrap();
    assert_eq!(opened.read_at, None);
    assert!(b.opened_letters().unwrap().contains_key(&first));
    assert_eq!(unread(&b), 1);
    carry(&b, &a);
    assert_eq!(a.letters().unwrap()[0].read_at, None);
    assert!(a.opened_letters().unwrap().is_empty());

    // Chosen, for this letter: Ari sees it read.
    let told = b.tell_letter_read(&first).unwrap();
    assert!(told.read_at.is_some());
    carry(&b, &a);
    let seen = a.letters().unwrap();
    assert_eq!(seen[0].read_at, told.read_at);
    assert_eq!(seen[0].read_by, Some(b.me().unwrap()));
    // Only the recipient tells.
    assert!(a.tell_letter_read(&first).is_err());

    // "Always": opening tells at once, unless the reader says not this time.
    b.update_settings(|s| s.read_receipts = ReadReceipts::Always)
        .unwrap();
    assert_eq!(b.read_letter(&second, Some(false)).unwrap().read_at, None);
    assert!(b.read_letter(&second, None).unwrap().read_at.is_some());
    assert_eq!(unread(&b), 0);
    carry(&b, &a);
    assert!(a.letters().unwrap().iter().all(|l| l.read_at.is_some()));
    // An already-read letter stays read whatever the setting becomes.
    b.update_settings(|s| s.read_receipts = ReadReceipts::Ask)
        .unwrap();
    assert!(b.read_letter(&second, None).unwrap().read_at.is_some());
}
