use super::*;

use automerge::sync::{self as am_sync, SyncDoc};
use kintsugi_journal::{LetterDraft, LetterKind, PartnerId, SharedJournal};

use crate::test_support::{PASS, opts, paired};
use crate::{BundleProblem, Device};

fn me() -> PartnerId {
    PartnerId::parse("0123456789abcdef0123456789abcdef").unwrap()
}

/// Deterministic pseudo-random words, like the benchmark's texts.
struct Words(u64);

impl Words {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn text(&mut self, min: usize, max: usize) -> String {
        const W: &[&str] = &[
            "we", "talk", "before", "money", "sleep", "phone", "late", "kind", "listen", "walk",
            "together", "promise", "honest", "weekend", "friends", "quiet", "dinner", "trust",
        ];
        let want = min + (self.next() as usize) % (max - min + 1);
        let mut s = String::new();
        while s.len() < want {
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str(W[(self.next() as usize) % W.len()]);
        }
        s.truncate(want);
        s.trim().to_string()
    }
}

/// A journal holding `n` boundaries (40–220 characters, as the benchmark writes them),
/// and a few entries of other kinds.
fn journal_with(n: usize, seed: u64) -> SharedJournal {
    let mut j = SharedJournal::genesis();
    let mut w = Words(seed);
    for i in 0..n {
        j.propose_boundary(&me(), &w.text(40, 220), None, 1_700_000_000_000 + i as i64)
            .unwrap();
    }
    j.send_letter(
        &me(),
        &LetterDraft {
            id: "l1".into(),
            author: me(),
            kind: LetterKind::Appreciation,
            title: "a letter".into(),
            body: w.text(500, 2000),
            created: 1,
            updated: 1,
        },
        1_800_000_000_000,
    )
    .unwrap();
    j
}

/// The messages `from` sends `to` (and back) until both hold the same journal.
fn transcript(from: &mut SharedJournal, to: &mut SharedJournal) -> Vec<Vec<u8>> {
    let (mut sf, mut st) = (am_sync::State::new(), am_sync::State::new());
    let mut out = Vec::new();
    for _ in 0..50 {
        let a = from.doc_mut().sync().generate_sync_message(&mut sf);
        if let Some(m) = a.clone() {
            let bytes = m.encode();
            out.push(bytes.clone());
            let m = am_sync::Message::decode(&bytes).unwrap();
            to.doc_mut()
                .sync()
                .receive_sync_message(&mut st, m)
                .unwrap();
        }
        let b = to.doc_mut().sync().generate_sync_message(&mut st);
        let done = a.is_none() && b.is_none();
        if let Some(m) = b {
            let bytes = m.encode();
            out.push(bytes.clone());
            let m = am_sync::Message::decode(&bytes).unwrap();
            from.doc_mut()
                .sync()
                .receive_sync_message(&mut sf, m)
                .unwrap();
        }
        if done {
            break;
        }
    }
    assert_eq!(
        from.heads(),
        to.heads(),
        "the two journals did not converge"
    );
    out
}

/// The kinds of the chunks in `data`, in order.
fn chunk_kinds(data: &[u8]) -> Vec<u8> {
    let mut c = Cursor::new(data);
    let mut kinds = Vec::new();
    while !c.is_empty() {
        assert_eq!(c.take(4).unwrap(), MAGIC);
        c.take(4).unwrap();
        kinds.push(c.byte().unwrap());
        let len = c.uleb().unwrap();
        c.take(len).unwrap();
    }
    kinds
}

fn message_chunks(message: &[u8]) -> Vec<u8> {
    let m = am_sync::Message::decode(message).unwrap();
    let joined: Vec<u8> = m.changes.iter().flatten().copied().collect();
    chunk_kinds(&joined)
}

fn uleb(mut v: u64, out: &mut Vec<u8>) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn chunk(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.push(kind);
    uleb(body.len() as u64, &mut out);
    out.extend_from_slice(body);
    out
}

/// A DEFLATE stream of `mib` MiB of zeros, built cheaply: one MiB compressed with a
/// full flush (byte-aligned, no reference to what came before) repeated, then an
/// empty final block.
fn zeros_deflated(mib: usize) -> Vec<u8> {
    use flate2::{Compress, Compression, FlushCompress};
    let zeros = vec![0u8; 1 << 20];
    let mut c = Compress::new(Compression::best(), false);
    let mut block = Vec::with_capacity(4096);
    c.compress_vec(&zeros, &mut block, FlushCompress::Full)
        .unwrap();
    assert_eq!(c.total_in(), 1 << 20, "one MiB in one call");
    let mut end = Vec::with_capacity(64);
    c.compress_vec(&[], &mut end, FlushCompress::Finish)
        .unwrap();
    let mut out = Vec::with_capacity(block.len() * mib + end.len());
    for _ in 0..mib {
        out.extend_from_slice(&block);
    }
    out.extend_from_slice(&end);
    out
}

/// A sync message (v1, no flags) whose change list holds `entries`.
fn sync_message(entries: &[&[u8]]) -> Vec<u8> {
    let mut m = vec![SYNC_V1, 0, 0, 0];
    uleb(entries.len() as u64, &mut m);
    for e in entries {
        uleb(e.len() as u64, &mut m);
        m.extend_from_slice(e);
    }
    m
}

#[test]
fn the_zero_stream_inflates_to_what_it_says() {
    let stream = zeros_deflated(3);
    let mut out = Vec::new();
    flate2::bufread::DeflateDecoder::new(&stream[..])
        .read_to_end(&mut out)
        .unwrap();
    assert_eq!(out.len(), 3 << 20);
    assert!(out.iter().all(|&b| b == 0));
    assert!(stream.len() < 4 * 1024, "{} bytes", stream.len());
}

#[test]
fn honest_sync_messages_pass_and_hold_changes_or_a_whole_document() {
    let mut a = journal_with(300, 1);
    let mut b = SharedJournal::genesis();
    let mut kinds = std::collections::BTreeSet::new();
    // A first sync: more than a third of the journal is missing, so Automerge sends
    // a whole document.
    let first = transcript(&mut a, &mut b);
    for m in &first {
        check_sync_message(m).unwrap();
        kinds.extend(message_chunks(m));
    }
    assert!(kinds.contains(&CHUNK_DOCUMENT), "{kinds:?}");
    // Then small and large single changes, both ways.
    let mut w = Words(7);
    a.propose_boundary(&me(), &w.text(40, 220), None, 1)
        .unwrap();
    a.propose_boundary(&me(), &"x".repeat(1 << 20), None, 2)
        .unwrap();
    b.propose_boundary(&me(), &w.text(40, 220), None, 3)
        .unwrap();
    let mut later = std::collections::BTreeSet::new();
    for m in transcript(&mut a, &mut b) {
        check_sync_message(&m).unwrap();
        later.extend(message_chunks(&m));
    }
    assert_eq!(
        later,
        [CHUNK_CHANGE].into(),
        "single changes travel uncompressed"
    );
    kinds.extend(later);
    assert!(
        kinds.is_subset(&[CHUNK_DOCUMENT, CHUNK_CHANGE].into()),
        "{kinds:?}"
    );
}

#[test]
fn honest_bundles_hold_single_changes_only() {
    let mut a = journal_with(50, 2);
    a.propose_boundary(&me(), &"y".repeat(1 << 20), None, 5)
        .unwrap();
    let since = SharedJournal::genesis().heads();
    let changes = a.save_after(&since);
    check_bundle_changes(&changes).unwrap();
    let kinds = chunk_kinds(&changes);
    assert!(kinds.len() > 50);
    assert!(kinds.iter().all(|&k| k == CHUNK_CHANGE), "{kinds:?}");
}

/// The figures behind [`MAX_DECODED`]: the benchmark's catch-up, made in memory.
#[test]
fn honest_catch_up_sizes() {
    let mut a = journal_with(10_000, 3);
    let mut b = SharedJournal::genesis();
    let mut largest = (0usize, 0u64);
    let mut walked = std::time::Duration::ZERO;
    for m in transcript(&mut a, &mut b) {
        let mut budget = Budget::new(MAX_DECODED);
        let started = std::time::Instant::now();
        walk_sync_message(&m, &mut budget).unwrap();
        walked += started.elapsed();
        if m.len() > largest.0 {
            largest = (m.len(), budget.spent);
        }
    }
    // What the check costs each side (the sender checks its own big messages too).
    eprintln!("walking the catch-up's messages took {walked:?}");
    let bundle = a.save_after(&SharedJournal::genesis().heads());
    let mut budget = Budget::new(MAX_DECODED);
    walk_chunks(&bundle, Source::Bundle, &mut budget).unwrap();
    eprintln!(
        "catch-up of 10,000 boundaries: largest sync message {} bytes, {} bytes inflated; \
         as a bundle {} bytes; the limit is {MAX_DECODED}",
        largest.0,
        largest.1,
        bundle.len()
    );
    assert!(largest.1 * 8 < MAX_DECODED && (bundle.len() as u64) * 8 < MAX_DECODED);
}

#[test]
fn a_compressed_change_that_inflates_past_the_limit_is_refused_without_inflating_it_all() {
    // 1 GiB of zeros in about a megabyte.
    let bomb = chunk(CHUNK_COMPRESSED, &zeros_deflated(1024));
    assert!(bomb.len() < 1_100_000, "{}", bomb.len());
    let message = sync_message(&[&bomb]);
    let mut budget = Budget::new(MAX_DECODED);
    assert_eq!(
        walk_sync_message(&message, &mut budget),
        Err(Refusal::TooLarge { limit: MAX_DECODED })
    );
    // It stopped one read past the limit.
    assert!(budget.spent <= MAX_DECODED + 64 * 1024, "{}", budget.spent);
    assert_eq!(
        check_sync_message(&message),
        Err(Refusal::TooLarge { limit: MAX_DECODED })
    );
    // The same in a bundle.
    assert_eq!(
        check_bundle_changes(&bomb),
        Err(Refusal::TooLarge { limit: MAX_DECODED })
    );
    // Split across the message's change list (Automerge joins the entries).
    let (head, tail) = bomb.split_at(7);
    assert_eq!(
        check_sync_message(&sync_message(&[head, tail])),
        Err(Refusal::TooLarge { limit: MAX_DECODED })
    );
    // Many chunks that each fit but together do not: the limit is per message.
    let small = chunk(CHUNK_COMPRESSED, &zeros_deflated(16));
    let five: Vec<&[u8]> = vec![&small; 5];
    assert_eq!(
        check_sync_message(&sync_message(&five)),
        Err(Refusal::TooLarge { limit: MAX_DECODED })
    );
    assert_eq!(check_sync_message(&sync_message(&five[..3])), Ok(()));
    let joined: Vec<u8> = five.concat();
    assert_eq!(
        check_bundle_changes(&joined),
        Err(Refusal::TooLarge { limit: MAX_DECODED })
    );
}

/// A document chunk body with one deflated change column holding `column`.
fn document_with_deflated_column(column: &[u8]) -> Vec<u8> {
    let mut body = vec![1, 16];
    body.extend_from_slice(&[7; 16]); // one actor
    body.push(0); // no heads
    body.push(1); // one change column...
    uleb(0b1000 | (1 << 4), &mut body); // ...deflated
    uleb(column.len() as u64, &mut body);
    body.push(0); // no op columns
    body.extend_from_slice(column);
    body
}

#[test]
fn a_document_whose_columns_inflate_past_the_limit_is_refused() {
    let doc = chunk(
        CHUNK_DOCUMENT,
        &document_with_deflated_column(&zeros_deflated(256)),
    );
    assert_eq!(
        check_sync_message(&sync_message(&[&doc])),
        Err(Refusal::TooLarge { limit: MAX_DECODED })
    );
    let fits = chunk(
        CHUNK_DOCUMENT,
        &document_with_deflated_column(&zeros_deflated(2)),
    );
    assert_eq!(check_sync_message(&sync_message(&[&fits])), Ok(()));
    // A bundle never holds a whole document.
    assert!(matches!(
        check_bundle_changes(&fits),
        Err(Refusal::Unexpected(_))
    ));
}

#[test]
fn chunk_kinds_a_partner_never_sends_are_refused() {
    let bundle_chunk = chunk(CHUNK_BUNDLE, &[0; 40]);
    assert!(matches!(
        check_sync_message(&sync_message(&[&bundle_chunk])),
        Err(Refusal::Unexpected(_))
    ));
    assert!(matches!(
        check_bundle_changes(&bundle_chunk),
        Err(Refusal::Unexpected(_))
    ));
    for kind in [4u8, 9, 0x80, 0xff] {
        assert!(matches!(
            check_bundle_changes(&chunk(kind, &[1, 2, 3])),
            Err(Refusal::Malformed(_))
        ));
    }
}

#[test]
fn shapes_that_make_decoding_allocate_are_refused() {
    let with_have = |bloom: &[u8]| {
        let mut m = vec![SYNC_V1, 0, 0, 1, 0];
        uleb(bloom.len() as u64, &mut m);
        m.extend_from_slice(bloom);
        m.push(0);
        m
    };
    // An honest filter: 3 entries, 10 bits each, 7 probes, 4 bytes of bits.
    assert_eq!(
        check_sync_message(&with_have(&[3, 10, 7, 1, 2, 3, 4])),
        Ok(())
    );
    // Probes that make `contains_hash` reserve gigabytes.
    let mut probes = vec![3, 10];
    uleb(u64::from(u32::MAX), &mut probes);
    probes.extend_from_slice(&[1, 2, 3, 4]);
    assert!(check_sync_message(&with_have(&probes)).is_err());
    // Entries but no bits: Automerge divides by zero.
    assert!(check_sync_message(&with_have(&[3, 0, 7])).is_err());
    // Bits missing.
    assert!(check_sync_message(&with_have(&[3, 10, 7, 1])).is_err());
    // Thousands of empty `have`s: a few bytes each on the wire, far more decoded.
    let mut many = vec![SYNC_V1, 0, 0];
    uleb(10_000, &mut many);
    for _ in 0..10_000 {
        many.extend_from_slice(&[0, 0]);
    }
    many.push(0);
    assert!(check_sync_message(&many).is_err());
    // A million empty change-list entries cost their overhead.
    let mut empties = vec![SYNC_V1, 0, 0, 0];
    uleb(3_000_000, &mut empties);
    empties.resize(empties.len() + 3_000_000, 0);
    assert_eq!(
        check_sync_message(&empties),
        Err(Refusal::TooLarge { limit: MAX_DECODED })
    );
}

#[test]
fn truncated_or_garbage_structure_is_refused_and_never_panics() {
    let mut a = journal_with(30, 4);
    let mut b = SharedJournal::genesis();
    b.propose_boundary(&me(), "theirs", None, 9).unwrap();
    let messages = transcript(&mut a, &mut b);
    for m in &messages {
        // Automerge 0.12 ends every message with three bytes of flags.
        assert!(am_sync::Message::decode(m).unwrap().flags.is_some());
        for cut in 0..m.len() {
            let r = check_sync_message(&m[..cut]);
            if cut == m.len() - 3 {
                assert_eq!(r, Ok(()), "cut before the flags");
            } else {
                assert!(r.is_err(), "cut at {cut} of {} passed", m.len());
            }
        }
    }
    let changes = a.save_after(&SharedJournal::genesis().heads());
    let ends: Vec<usize> = {
        let mut c = Cursor::new(&changes);
        let mut ends = Vec::new();
        while !c.is_empty() {
            c.take(9).unwrap();
            let len = c.uleb().unwrap();
            c.take(len).unwrap();
            ends.push(c.pos);
        }
        ends
    };
    for cut in 0..changes.len() {
        let r = check_bundle_changes(&changes[..cut]);
        assert_eq!(r.is_ok(), cut == 0 || ends.contains(&cut), "cut at {cut}");
    }
    // Random bytes, and honest messages and bundles with random bytes changed.
    let mut w = Words(99);
    let mut refused = 0;
    for i in 0..3000 {
        let mut bytes = match i % 3 {
            0 => (0..(w.next() % 300)).map(|_| w.next() as u8).collect(),
            1 => messages[i % messages.len()].clone(),
            _ => changes[..changes.len().min(4000)].to_vec(),
        };
        if i % 3 != 0 && !bytes.is_empty() {
            for _ in 0..=(w.next() % 4) {
                let at = (w.next() as usize) % bytes.len();
                bytes[at] ^= (w.next() as u8) | 1;
            }
        }
        let (x, y) = (check_sync_message(&bytes), check_bundle_changes(&bytes));
        refused += usize::from(x.is_err()) + usize::from(y.is_err());
    }
    assert!(refused > 3000, "{refused}");
    // Numbers: overlong and too large.
    assert!(check_sync_message(&[SYNC_V1, 0x80, 0x00]).is_err());
    let mut huge = vec![SYNC_V1];
    huge.extend_from_slice(&[0xff; 10]);
    huge.push(0x01);
    assert!(check_sync_message(&huge).is_err());
    // A chunk without the magic bytes, and one longer than the data.
    assert!(check_bundle_changes(b"not automerge").is_err());
    let mut long = chunk(CHUNK_CHANGE, &[1, 2, 3]);
    long.pop();
    assert!(check_bundle_changes(&long).is_err());
}

// --- through the device -----------------------------------------------------------

fn files(dir: &Path) -> std::collections::BTreeMap<std::path::PathBuf, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| (p.clone(), std::fs::read(&p).unwrap()))
        .collect()
}

#[test]
fn a_refused_sync_message_applies_nothing_keeps_no_state_and_the_next_session_works() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = paired(tmp.path());
    a.propose_boundary("mine", None).unwrap();
    let dir = a.profile_dir().unwrap();
    let before = files(&dir);
    let replica = a.sync_replica();
    let bomb = chunk(CHUNK_COMPRESSED, &zeros_deflated(1024));
    let mut session = replica.begin().unwrap();
    let err = session
        .receive(&sync_message(&[&bomb]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("refused") && err.contains(&MAX_DECODED.to_string()),
        "{err}"
    );
    session.end();
    assert!(files(&dir) == before, "a file changed");
    assert_eq!(a.boundaries().unwrap().len(), 1);
    // The next honest session: Bea's real messages.
    b.propose_boundary("theirs", None).unwrap();
    let mut theirs = SharedJournal::load(&b.shared_automerge_bytes().unwrap()).unwrap();
    let mut state = am_sync::State::new();
    let mut session = replica.begin().unwrap();
    for _ in 0..10 {
        let ours = session.generate().unwrap();
        if let Some(m) = ours {
            let m = am_sync::Message::decode(&m).unwrap();
            theirs
                .doc_mut()
                .sync()
                .receive_sync_message(&mut state, m)
                .unwrap();
        }
        if let Some(m) = theirs.doc_mut().sync().generate_sync_message(&mut state) {
            session.receive(&m.encode()).unwrap();
        }
    }
    session.end();
    let texts: Vec<String> = a
        .boundaries()
        .unwrap()
        .into_iter()
        .map(|b| b.text)
        .collect();
    assert!(texts.contains(&"theirs".to_string()), "{texts:?}");
}

fn sealed_bundle(from: &Device, changes: &[u8]) -> Vec<u8> {
    let key = from.couple_keys().unwrap().unwrap();
    let sender = from.with(|i| Ok(crate::partner::iroh_id(&i.keys.keyring.device_secret)));
    crate::bundle::seal_for_partner(&key, &sender.unwrap(), changes).unwrap()
}

#[test]
fn a_bundle_that_inflates_past_the_limit_is_refused_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = paired(tmp.path());
    b.propose_boundary("kept", None).unwrap();
    let dir = b.profile_dir().unwrap();
    let before = files(&dir);
    let bomb = sealed_bundle(&a, &chunk(CHUNK_COMPRESSED, &zeros_deflated(1024)));
    let err = b.import_bundle(&bomb).unwrap_err();
    assert!(
        matches!(
            err,
            DeviceError::BadBundle(BundleProblem::Refused(Refusal::TooLarge { .. }))
        ),
        "{err}"
    );
    assert!(!err.to_string().contains('\n'));
    assert!(files(&dir) == before, "a file changed");
    // A real one still imports.
    a.propose_boundary("carried", None).unwrap();
    assert!(b.import_bundle(&a.export_bundle().unwrap()).unwrap());
}

#[test]
fn a_bundle_file_is_measured_before_it_is_read_and_read_no_further_than_the_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = paired(tmp.path());
    // 100 MiB, sparse: refused by its size.
    let big = tmp.path().join("big.bundle");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(100 << 20)
        .unwrap();
    let err = b.import_bundle_file(&big).unwrap_err();
    assert!(
        matches!(
            err,
            DeviceError::BadBundle(BundleProblem::TooLarge {
                size: 104_857_600,
                max: MAX_BUNDLE_FILE
            })
        ),
        "{err}"
    );
    // Something whose size the system does not know, endless: read up to the limit.
    let err = b.import_bundle_file(Path::new("/dev/zero")).unwrap_err();
    assert!(
        matches!(
            err,
            DeviceError::BadBundle(BundleProblem::TooLarge { size, .. }) if size == MAX_BUNDLE_FILE + 1
        ),
        "{err}"
    );
    let err = b
        .import_bundle_file(&tmp.path().join("missing"))
        .unwrap_err();
    assert!(err.to_string().contains("could not read"), "{err}");
    // An honest file.
    a.propose_boundary("on a stick", None).unwrap();
    let file = tmp.path().join("honest.bundle");
    a.export_bundle_to(&file, crate::Replace::No).unwrap();
    assert!(b.import_bundle_file(&file).unwrap());
}

#[test]
fn a_panic_while_applying_reloads_the_journal_and_leaves_the_device_usable() {
    let tmp = tempfile::tempdir().unwrap();
    let d = Device::create(&tmp.path().join("p"), "Ari", PASS, opts()).unwrap();
    d.propose_boundary("durable", None).unwrap();
    let r: Result<()> = d.with(|i| {
        apply_from_partner(&mut i.shared, |shared| {
            // Changed in memory, never written: what a panic halfway through leaves.
            shared
                .doc
                .propose_boundary(&me(), "half-applied", None, 1)
                .unwrap();
            panic!("a stand-in for a panic inside Automerge");
        })
    });
    assert!(
        matches!(r, Err(DeviceError::Refused(Refusal::Failed))),
        "{r:?}"
    );
    let texts: Vec<String> = d
        .boundaries()
        .unwrap()
        .into_iter()
        .map(|b| b.text)
        .collect();
    assert_eq!(texts, vec!["durable".to_string()]);
    d.propose_boundary("afterwards", None).unwrap();
    let fresh = Device::unlock(&tmp.path().join("p"), PASS, opts()).unwrap();
    assert_eq!(fresh.boundaries().unwrap().len(), 2);
}
