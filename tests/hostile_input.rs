//! Hostile input (SECURITY.md, "Hostile input"): randomized property tests for every
//! decoder that a stranger, a damaged file or a misbehaving partner can reach — the
//! invite decoder, the frame decoder, sealed frames, the pairing handshake, sync
//! messages, bundle import and the log reader. Each case checks that nothing panics,
//! that bad input is refused with an error, and that nothing already stored changes.
//!
//! `KINTSUGI_PROPTEST_CASES=N` sets the cases per property (default 256);
//! `KINTSUGI_TEST_SEED=S` repeats a run. The same decoders have cargo-fuzz targets in
//! fuzz/ (see SECURITY.md for the command).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use automerge::sync::SyncDoc;
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc};
use common::*;
use kintsugi_device::{Device, Options};
use kintsugi_net::frame::{FrameReader, FrameWriter, MAX_FRAME};
use kintsugi_net::secure::{Direction, Opener, Sealer, session_keys};
use kintsugi_net::sync::{SessionEnd, SessionParams, Until, handshake, run_session};
use kintsugi_net::{Invite, NetError, SecretKey};
use kintsugi_store::{DocLog, LogKind, Secret32};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWriteExt, ReadBuf};

fn cases() -> usize {
    env_count("KINTSUGI_PROPTEST_CASES", 256)
}

fn opts() -> Options {
    Options::INSECURE_FAST_FOR_TESTS
}

/// Small random edits of a valid input: what a flaky medium or a fuzzer produces.
fn mutate(rng: &mut Rng, good: &[u8]) -> Vec<u8> {
    let mut b = good.to_vec();
    for _ in 0..rng.range(1, 4) {
        match rng.below(6) {
            0 if !b.is_empty() => {
                let i = rng.usize(b.len());
                b[i] ^= rng.nonzero_byte();
            }
            1 if !b.is_empty() => b.truncate(rng.usize(b.len())),
            2 => {
                let i = rng.usize(b.len() + 1);
                let extra = rng.some_bytes(1, 9);
                b.splice(i..i, extra);
            }
            3 if !b.is_empty() => {
                let i = rng.usize(b.len());
                let j = (i + rng.range(1, 9) as usize).min(b.len());
                b.drain(i..j);
            }
            4 if !b.is_empty() => {
                let i = rng.usize(b.len());
                b[i] = [0x00, 0x7f, 0x80, 0xff][rng.usize(4)];
            }
            _ if b.len() > 1 => {
                let i = rng.usize(b.len());
                let j = rng.usize(b.len());
                b.swap(i, j);
            }
            _ => b.push(rng.next_u64() as u8),
        }
    }
    b
}

// --- invites -----------------------------------------------------------------------

fn base32(bytes: &[u8]) -> String {
    const A: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buf, mut bits) = (0u32, 0);
    for &b in bytes {
        buf = (buf << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            out.push(A[((buf >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(A[((buf << (5 - bits)) & 31) as usize] as char);
    }
    out
}

fn with_checksum(body: &[u8]) -> Vec<u8> {
    let mut b = body.to_vec();
    b.extend_from_slice(&sha256(body)[..4]);
    b
}

fn random_invite(rng: &mut Rng) -> Invite {
    let key: [u8; 32] = rng.bytes(32).try_into().unwrap();
    let addrs = (0..rng.below(5))
        .map(|i| {
            if i % 2 == 0 {
                format!(
                    "10.0.{}.{}:{}",
                    rng.below(256),
                    rng.below(256),
                    rng.below(65536)
                )
            } else {
                format!("[fe80::{:x}]:{}", rng.below(65536), rng.below(65536))
            }
            .parse()
            .unwrap()
        })
        .collect();
    Invite {
        endpoint: SecretKey::from_bytes(&key).public(),
        addrs,
        relay: if rng.chance(3) {
            Some("https://relay.example.org./".parse().unwrap())
        } else {
            None
        },
        secret: Secret32::from_bytes(rng.bytes(32).try_into().unwrap()),
        expires: rng.next_u64(),
        commitment: rng.bytes(32).try_into().unwrap(),
    }
}

/// Whatever decodes must re-encode to something that decodes to the same invite.
fn check_decoded(r: Result<Invite, NetError>, what: &str) -> bool {
    match r {
        Ok(inv) => {
            let again = Invite::from_bytes(&inv.to_bytes()).expect(what);
            assert_eq!(again, inv, "{what}: not stable under re-encoding");
            assert_eq!(Invite::from_text(&inv.to_text()).unwrap(), inv, "{what}");
            true
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(
                msg.contains("invite") && !msg.contains('\n'),
                "{what}: unclear error {msg}"
            );
            false
        }
    }
}

#[test]
fn invite_decoder_refuses_garbage_and_survives_near_misses() {
    let mut rng = Rng::seeded("invite");
    let mut decoded = 0;
    for case in 0..cases() {
        let inv = random_invite(&mut rng);
        let bytes = inv.to_bytes();
        // The test's checksum is the decoder's, so the cases below reach the parser.
        assert_eq!(with_checksum(&bytes[..bytes.len() - 4]), bytes);
        assert_eq!(Invite::from_bytes(&bytes).unwrap(), inv);
        let text = inv.to_text();
        assert_eq!(Invite::from_text(&text).unwrap(), inv);

        // Any change without a fixed checksum is refused as damaged.
        let bad = mutate(&mut rng, &bytes);
        if bad != bytes {
            assert!(
                Invite::from_bytes(&bad).is_err(),
                "case {case}: a damaged invite was accepted"
            );
        }
        // With the checksum fixed, the parser itself sees near-valid bodies.
        let body = mutate(&mut rng, &bytes[..bytes.len() - 4]);
        decoded += usize::from(check_decoded(
            Invite::from_bytes(&with_checksum(&body)),
            &format!("case {case}: mutated body"),
        ));
        let junk = rng.some_bytes(0, 200);
        check_decoded(
            Invite::from_bytes(&with_checksum(&junk)),
            &format!("case {case}: random body"),
        );
        check_decoded(Invite::from_bytes(&junk), &format!("case {case}: junk"));
        // Text: the same through base32, and random text.
        check_decoded(
            Invite::from_text(&format!("KINTSUGI:{}", base32(&with_checksum(&body)))),
            &format!("case {case}: mutated text"),
        );
        let mut chars: Vec<char> = text.chars().collect();
        let i = rng.usize(chars.len());
        chars[i] = ['!', 'é', '0', '1', '8', '9', '=', ':', 'ﬁ'][rng.usize(9)];
        let bad_text: String = chars.into_iter().collect();
        if bad_text != text {
            check_decoded(Invite::from_text(&bad_text), &format!("case {case}: text"));
        }
        let random: String = (0..rng.below(120))
            .map(|_| char::from_u32(rng.below(0x3000) as u32).unwrap_or('?'))
            .collect();
        check_decoded(Invite::from_text(&random), &format!("case {case}: random"));
        // Case and whitespace changes, as a messenger might make, are harmless.
        let spaced: String = text
            .chars()
            .enumerate()
            .flat_map(|(i, c)| {
                let c = if i % 3 == 0 {
                    c.to_ascii_lowercase()
                } else {
                    c
                };
                if i % 11 == 10 {
                    vec![c, '\n', ' ']
                } else {
                    vec![c]
                }
            })
            .collect();
        assert_eq!(Invite::from_text(&spaced).unwrap(), inv, "case {case}");
    }
    eprintln!(
        "invites: {} cases x 7 inputs; {decoded} mutated bodies with a fixed checksum still decoded (and re-encoded stably)",
        cases()
    );
}

// --- frames ------------------------------------------------------------------------

/// Hands out a byte stream in pieces of the given sizes, as a network would.
struct Trickle {
    data: Vec<u8>,
    pos: usize,
    steps: Vec<usize>,
    step: usize,
}

impl AsyncRead for Trickle {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let want = self.steps[self.step % self.steps.len()].max(1);
        self.step += 1;
        let n = want.min(self.data.len() - self.pos).min(buf.remaining());
        let pos = self.pos;
        buf.put_slice(&self.data[pos..pos + n]);
        self.pos += n;
        Poll::Ready(Ok(()))
    }
}

fn read_all(data: Vec<u8>, steps: Vec<usize>, max: usize) -> (Vec<Vec<u8>>, Option<NetError>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut r = FrameReader::new(
            Trickle {
                data,
                pos: 0,
                steps,
                step: 0,
            },
            max,
        );
        let mut frames = Vec::new();
        loop {
            match r.read().await {
                Ok(Some(f)) => {
                    assert!(f.len() <= max, "a frame over the cap came through");
                    frames.push(f);
                }
                Ok(None) => return (frames, None),
                Err(e) => return (frames, Some(e)),
            }
        }
    })
}

#[test]
fn frame_decoder_returns_exactly_what_was_framed_or_an_error() {
    let mut rng = Rng::seeded("frames");
    const MAX: usize = 300;
    for case in 0..cases() {
        let frames: Vec<Vec<u8>> = (0..rng.below(6))
            .map(|_| rng.some_bytes(0, MAX + 1))
            .collect();
        let mut stream = Vec::new();
        let mut ends = vec![0];
        for f in &frames {
            stream.extend_from_slice(&(f.len() as u32).to_be_bytes());
            stream.extend_from_slice(f);
            ends.push(stream.len());
        }
        let steps: Vec<usize> = (0..4).map(|_| rng.range(1, 40) as usize).collect();
        // Whole: every frame, then a clean end.
        let (got, err) = read_all(stream.clone(), steps.clone(), MAX);
        assert_eq!(got, frames, "case {case}");
        assert!(err.is_none(), "case {case}: {err:?}");
        // Cut anywhere: the whole frames before the cut, then an error unless the cut
        // falls between frames.
        let cut = rng.usize(stream.len() + 1);
        let (got, err) = read_all(stream[..cut].to_vec(), steps.clone(), MAX);
        let whole = ends.iter().filter(|&&e| e <= cut).count() - 1;
        assert_eq!(got, frames[..whole], "case {case}: cut at {cut}");
        assert_eq!(
            err.is_some(),
            !ends.contains(&cut),
            "case {case}: cut at {cut}"
        );
        // A length over the cap is refused.
        let mut big = stream[..ends[whole]].to_vec();
        big.extend_from_slice(&((MAX + 1 + rng.usize(1 << 20)) as u32).to_be_bytes());
        big.extend(rng.some_bytes(0, 50));
        let (got, err) = read_all(big, steps.clone(), MAX);
        assert_eq!(got, frames[..whole]);
        assert!(matches!(err, Some(NetError::FrameTooLarge(_))), "{err:?}");
        // Garbage and mutated streams: no panic, nothing over the cap.
        read_all(rng.some_bytes(0, 400), steps.clone(), MAX);
        read_all(mutate(&mut rng, &stream), steps, MAX);
    }
}

#[test]
fn sealed_frames_open_only_unchanged_in_order_and_in_their_direction() {
    let mut rng = Rng::seeded("sealed");
    const LABEL: &[u8] = b"kintsugi/sync/1";
    let mut refused = 0;
    for case in 0..cases() / 4 {
        let couple = Secret32::from_bytes(rng.bytes(32).try_into().unwrap());
        let nonces: Vec<[u8; 32]> = (0..2).map(|_| rng.bytes(32).try_into().unwrap()).collect();
        let (d2a, a2d) = session_keys(&couple, LABEL, &[1; 32], &[2; 32], &nonces[0], &nonces[1]);
        let mut sealer = Sealer::new(d2a.clone(), Direction::DialerToAcceptor, LABEL);
        let mut opener = Opener::new(d2a.clone(), Direction::DialerToAcceptor, LABEL);
        let mut reflected = Opener::new(a2d.clone(), Direction::AcceptorToDialer, LABEL);
        let mut sent: Vec<Vec<u8>> = Vec::new();
        for i in 0..rng.range(1, 5) {
            let plain = rng.some_bytes(0, 64);
            let frame = sealer.seal(&plain).unwrap();
            // Every single-byte change, truncation and extension is refused, and a
            // refusal does not move the counter: the genuine frame still opens.
            for pos in 0..frame.len() {
                let mut bad = frame.clone();
                bad[pos] ^= rng.nonzero_byte();
                assert!(opener.open(&bad).is_err(), "case {case}: flip at {pos}");
                refused += 1;
            }
            for len in 0..frame.len() {
                assert!(opener.open(&frame[..len]).is_err());
                refused += 1;
            }
            let mut longer = frame.clone();
            longer.extend(rng.some_bytes(1, 16));
            assert!(opener.open(&longer).is_err());
            assert!(reflected.open(&frame).is_err(), "reflected frame opened");
            if let Some(prev) = sent.last() {
                assert!(opener.open(prev).is_err(), "replayed frame opened");
            }
            refused += 3;
            assert_eq!(&opener.open(&frame).unwrap()[..], &plain[..], "frame {i}");
            sent.push(frame);
        }
        // Garbage never opens.
        for _ in 0..8 {
            let junk = rng.some_bytes(0, 100);
            assert!(opener.open(&junk).is_err());
            refused += 1;
        }
        // Another couple's key or another session's nonces: nothing opens.
        let other = Secret32::from_bytes(rng.bytes(32).try_into().unwrap());
        let (k2, _) = session_keys(&other, LABEL, &[1; 32], &[2; 32], &nonces[0], &nonces[1]);
        let (k3, _) = session_keys(&couple, LABEL, &[1; 32], &[2; 32], &nonces[1], &nonces[0]);
        for k in [k2, k3] {
            let mut o = Opener::new(k, Direction::DialerToAcceptor, LABEL);
            assert!(o.open(&sent[0]).is_err());
            refused += 1;
        }
    }
    eprintln!("sealed frames: {refused} tampered, replayed, reflected or foreign frames refused");
}

// --- the log reader ----------------------------------------------------------------

#[test]
fn log_reader_refuses_or_recovers_and_never_writes() {
    let mut rng = Rng::seeded("log");
    let dir = tempfile::tempdir().unwrap();
    let key = Secret32::from_bytes([5; 32]);
    let path = dir.path().join("doc.klog");
    let recs: Vec<Vec<u8>> = (0..3).map(|_| rng.some_bytes(1, 80)).collect();
    DocLog::create(&path, LogKind::Shared, &key, &recs[0]).unwrap();
    let mut log = DocLog::open(&path, LogKind::Shared, &key).unwrap().log;
    for r in &recs[1..] {
        log.append(r).unwrap();
    }
    drop(log);
    let good = std::fs::read(&path).unwrap();
    let (mut refused, mut torn) = (0, 0);
    let open = |bytes: &[u8]| {
        std::fs::write(&path, bytes).unwrap();
        let r = DocLog::open(&path, LogKind::Shared, &key);
        assert_eq!(
            std::fs::read(&path).unwrap(),
            bytes,
            "a read changed the log"
        );
        r
    };
    for case in 0..cases() * 2 {
        // Random files, and a real header followed by random records whose length
        // fields are consistent (so the reader goes past them).
        let junk = rng.some_bytes(0, 500);
        if let Ok(o) = open(&junk) {
            panic!("case {case}: junk opened with {} records", o.records.len());
        }
        let mut forged = good[..32].to_vec();
        for _ in 0..rng.below(4) {
            let n = rng.range(0, 120) as u32;
            forged.extend_from_slice(&n.to_le_bytes());
            forged.extend_from_slice(&(!n).to_le_bytes());
            forged.extend(rng.some_bytes(0, 130));
        }
        match open(&forged) {
            Ok(o) => {
                // Only a torn tail can open: no forged record is ever returned.
                assert!(
                    o.records.is_empty(),
                    "case {case}: a forged record was returned"
                );
            }
            Err(e) => assert!(e.to_string().contains("doc.klog")),
        }
        // A real log with random edits: refused, or (when the edit only cut or
        // extended the end) a torn tail with the untouched records before it.
        let bad = mutate(&mut rng, &good);
        match open(&bad) {
            Err(e) => {
                refused += 1;
                let m = e.to_string();
                assert!(m.contains("doc.klog") && !m.contains('\n'), "{m}");
            }
            Ok(o) => {
                // Only what was written comes back: a prefix of the real records,
                // unchanged (a cut or extended end is set aside as a torn tail; a
                // file cut down to its header holds no record at all).
                torn += 1;
                assert!(o.records.len() <= recs.len());
                for (got, want) in o.records.iter().zip(&recs) {
                    assert_eq!(&got[..], &want[..], "case {case}: changed record returned");
                }
                // Everything before the torn tail (or the whole file, without one)
                // is byte for byte the real log up to a record boundary.
                if !o.records.is_empty() {
                    let kept = o.torn.map(|t| t.offset as usize).unwrap_or(bad.len());
                    assert_eq!(bad[..kept], good[..kept], "case {case}: edit accepted");
                }
            }
        }
    }
    eprintln!(
        "log reader: {} cases; {refused} edited logs refused, {torn} recovered as a torn tail",
        cases() * 2
    );
}

/// A throwaway profile made through the device API.
fn new_device(dir: &Path, name: &str) -> Device {
    Device::create(dir, name, PASS.as_bytes(), opts()).unwrap()
}

fn shared_view(d: &Device) -> Value {
    json!({
        "partners": d.partners().unwrap(),
        "boundaries": d.boundaries().unwrap(),
        "checkins": d.checkins().unwrap(),
        "letters": d.letters().unwrap(),
        "promises": d.promises().unwrap(),
        "stages": d.stages().unwrap(),
        "shared_entries": d.shared_entries().unwrap(),
    })
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

#[test]
fn an_authentic_log_record_holding_garbage_is_a_clear_error_not_a_panic() {
    let mut rng = Rng::seeded("garbage record");
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("base");
    let d = new_device(&base, "Ari");
    d.propose_boundary("kept", None).unwrap();
    d.add_diary_entry("private", None, None).unwrap();
    drop(d);
    let key = kintsugi_store::Unlocked::unlock(&base, PASS.as_bytes())
        .unwrap()
        .keyring
        .profile_key
        .clone();
    // Real chunks of this profile, decrypted: the material for near-valid garbage.
    let chunks: Vec<Vec<u8>> = DocLog::open(&base.join("shared.klog"), LogKind::Shared, &key)
        .unwrap()
        .records
        .iter()
        .map(|r| r.to_vec())
        .collect();
    let (mut refused, mut opened) = (0, 0);
    for case in 0..cases() / 4 {
        let dir = tmp.path().join(format!("c{case}"));
        copy_dir(&base, &dir);
        let chunk = match rng.below(3) {
            0 => rng.some_bytes(0, 300),
            1 => {
                let i = rng.usize(chunks.len());
                mutate(&mut rng, &chunks[i])
            }
            _ => {
                let mut c = chunks[rng.usize(chunks.len())].clone();
                c.extend(rng.some_bytes(1, 40));
                c
            }
        };
        let (name, kind) = if rng.chance(2) {
            ("shared.klog", LogKind::Shared)
        } else {
            ("diary.klog", LogKind::Diary)
        };
        let mut log = DocLog::open(&dir.join(name), kind, &key).unwrap().log;
        log.append(&chunk).unwrap();
        drop(log);
        let before = snapshot_files(&dir);
        let r = std::panic::catch_unwind(|| Device::unlock(&dir, PASS.as_bytes(), opts()));
        let r = r.unwrap_or_else(|_| panic!("case {case}: opening panicked"));
        assert!(
            snapshot_files(&dir) == before,
            "case {case}: opening changed a file"
        );
        match r {
            Err(e) => {
                refused += 1;
                let m = e.to_string();
                assert!(!m.contains('\n'), "{m}");
                assert!(
                    m.contains("shared journal") || m.contains("private diary"),
                    "case {case}: unclear: {m}"
                );
            }
            Ok(d) => {
                // Automerge took it (a valid chunk with junk after it, or a chunk it
                // already had): the entries are the same as before.
                opened += 1;
                assert_eq!(d.boundaries().unwrap()[0].text, "kept", "case {case}");
                assert_eq!(d.diary_entries().unwrap()[0].text, "private", "case {case}");
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
    eprintln!(
        "garbage records: {} cases; {refused} refused with a clear error, {opened} opened with the same entries",
        cases() / 4
    );
}

#[test]
fn journal_loading_survives_garbage_and_a_failed_merge_changes_nothing() {
    let mut rng = Rng::seeded("journal");
    use kintsugi_journal::SharedJournal;
    let mut real = SharedJournal::genesis();
    let me = kintsugi_journal::PartnerId::parse("00112233445566778899aabbccddeeff").unwrap();
    let before = real.heads();
    real.propose_boundary(&me, "real entry", None, 1_000)
        .unwrap();
    let change = real.save_after(&before);
    let full = real.save();
    let (mut partial, mut refused) = (0, 0);
    for case in 0..cases() {
        let junk = match rng.below(4) {
            0 => rng.some_bytes(0, 400),
            1 => mutate(&mut rng, &full),
            2 => mutate(&mut rng, &change),
            _ => {
                // A valid chunk, then garbage.
                let mut c = change.clone();
                c.extend(rng.some_bytes(1, 60));
                c
            }
        };
        let _ = SharedJournal::load(&junk);
        let mut doc = SharedJournal::load(&SharedJournal::genesis_bytes()).unwrap();
        let heads = doc.heads();
        match doc.load_incremental(&junk) {
            Err(_) => {
                refused += 1;
                // Nothing half-applied stays behind in memory.
                assert_eq!(
                    doc.heads(),
                    heads,
                    "case {case}: a refused chunk changed the document"
                );
            }
            Ok(_) => {
                if doc.heads() != heads {
                    partial += 1;
                }
                // Whatever was taken, the document still reads.
                let _ = doc.boundaries();
            }
        }
    }
    eprintln!(
        "journal: {} cases; {refused} refused with nothing applied, {partial} applied a valid part",
        cases()
    );
}

// --- bundles -----------------------------------------------------------------------

/// Two profiles that hold each other as partner, stored the way pairing stores it.
fn paired_devices(tmp: &Path) -> (Device, Device, PathBuf, PathBuf) {
    let (da, db) = (tmp.join("a"), tmp.join("b"));
    drop(new_device(&da, "Ari"));
    drop(new_device(&db, "Bea"));
    let id_of = |dir: &Path| {
        let k = kintsugi_store::Unlocked::unlock(dir, PASS.as_bytes()).unwrap();
        *SecretKey::from_bytes(k.keyring.device_secret.expose())
            .public()
            .as_bytes()
    };
    let (ia, ib) = (id_of(&da), id_of(&db));
    for (dir, partner) in [(&da, ib), (&db, ia)] {
        let mut k = kintsugi_store::Unlocked::unlock(dir, PASS.as_bytes()).unwrap();
        k.set_pairing(Some(kintsugi_store::Pairing {
            couple_key: Secret32::from_bytes([3; 32]),
            partner_endpoint: partner,
        }))
        .unwrap();
    }
    let a = Device::unlock(&da, PASS.as_bytes(), opts()).unwrap();
    let b = Device::unlock(&db, PASS.as_bytes(), opts()).unwrap();
    (a, b, da, db)
}

#[test]
fn bundle_import_refuses_every_damaged_or_foreign_bundle_and_changes_nothing() {
    let mut rng = Rng::seeded("bundles");
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, _, db) = paired_devices(tmp.path());
    a.propose_boundary("carried on a stick", None).unwrap();
    a.save_checkin(&kintsugi_device::CheckInInput {
        week: "2026-W01".into(),
        mood: 3,
        trust: 3,
        closeness: 3,
        went_well: Some("a walk".into()),
        hard: None,
        need: None,
        appreciate: None,
    })
    .unwrap();
    let bundle = a.export_bundle().unwrap();
    let files = snapshot_files(&db);
    let view = shared_view(&b);
    let mut refused = 0;
    let mut try_import = |bad: &[u8], what: &str| {
        let err = b.import_bundle(bad).expect_err(what).to_string();
        assert!(
            !err.contains('\n') && err.contains("bundle"),
            "{what}: {err}"
        );
        assert!(snapshot_files(&db) == files, "{what}: a file changed");
        assert_eq!(shared_view(&b), view, "{what}: the journal changed");
        refused += 1;
    };
    for pos in 0..bundle.len() {
        let mut bad = bundle.clone();
        bad[pos] ^= rng.nonzero_byte();
        try_import(&bad, &format!("byte {pos} flipped"));
    }
    for len in 0..bundle.len() {
        try_import(&bundle[..len], &format!("cut to {len}"));
    }
    for case in 0..cases() {
        let mut longer = bundle.clone();
        longer.extend(rng.some_bytes(1, 64));
        try_import(&longer, &format!("case {case}: extended"));
        let mutated = mutate(&mut rng, &bundle);
        if mutated != bundle {
            try_import(&mutated, &format!("case {case}: mutated"));
        }
        try_import(&rng.some_bytes(0, 600), &format!("case {case}: junk"));
        let mut forged = bundle[..41].to_vec();
        forged.extend(rng.some_bytes(0, 600));
        try_import(&forged, &format!("case {case}: forged body"));
    }
    // Its own bundle, sent back: refused.
    assert!(a.import_bundle(&bundle).is_err());
    // The genuine bundle still imports, once.
    assert!(b.import_bundle(&bundle).unwrap());
    assert!(!b.import_bundle(&bundle).unwrap());
    let fresh = Device::unlock(&db, PASS.as_bytes(), opts()).unwrap();
    assert_eq!(shared_view(&fresh), shared_view(&b));
    assert!(
        b.boundaries()
            .unwrap()
            .iter()
            .any(|x| x.text == "carried on a stick")
    );
    eprintln!("bundles: {refused} damaged, forged or junk bundles refused, nothing changed");
}

// --- sync messages from a partner --------------------------------------------------

fn endpoint(n: u8) -> kintsugi_net::EndpointId {
    SecretKey::from_bytes(&[n; 32]).public()
}

/// How a session with a hostile partner went, seen from the victim's side.
#[derive(Debug)]
enum Outcome {
    /// The victim's session ended: with an error, or cleanly when the partner hung up.
    Ended(Result<SessionEnd, NetError>),
    /// The victim kept sending frames without end (this many, when the partner
    /// stopped listening).
    Runaway(u64),
}

/// More frames than any honest exchange of these small documents needs.
const RUNAWAY: u64 = 5_000;

/// Plays a partner that holds the couple key: a correct handshake, then `messages`
/// (already encoded protocol messages) sealed in well-formed frames, then the end of
/// the stream, while it reads what the victim sends.
async fn partner_sends(device: &Device, messages: Vec<Vec<u8>>) -> Outcome {
    let key = Secret32::from_bytes([8; 32]);
    let (att, vic) = tokio::io::duplex(1 << 22);
    let (vic_r, vic_w) = tokio::io::split(vic);
    let (att_r, att_w) = tokio::io::split(att);
    let replica = device.sync_replica();
    let (_stop_tx, stop) = tokio::sync::watch::channel(false);
    let victim = run_session(
        vic_r,
        vic_w,
        SessionParams {
            dialer: false,
            me: endpoint(1),
            them: endpoint(2),
            couple_key: &key,
            my_addrs: Vec::new(),
        },
        replica.as_ref(),
        Until::Live,
        stop,
    );
    let attacker_key = key.clone();
    let mut attacker = tokio::spawn(async move {
        let key = attacker_key;
        let mut w = FrameWriter::new(att_w, MAX_FRAME);
        let mut r = FrameReader::new(att_r, MAX_FRAME);
        let params = SessionParams {
            dialer: true,
            me: endpoint(2),
            them: endpoint(1),
            couple_key: &key,
            my_addrs: Vec::new(),
        };
        let mut sealer = handshake(&mut r, &mut w, &params).await.unwrap().sealer;
        // Then the messages.
        for m in &messages {
            if w.write(&sealer.seal(m).unwrap()).await.is_err() {
                break;
            }
        }
        let _ = w.get_mut().shutdown().await;
        // Read whatever the victim says until it hangs up, or until it is clear that
        // it never will.
        let mut frames = 0;
        while let Ok(Some(_)) = r.read().await {
            frames += 1;
            if frames > RUNAWAY {
                return Some(frames);
            }
        }
        None
    });
    tokio::pin!(victim);
    // When the attacker stops listening to a runaway victim, the victim's next write
    // fails and its session ends too: the attacker's count decides.
    let ended = tokio::select! {
        r = &mut victim => Some(r),
        a = &mut attacker => match a.unwrap() {
            Some(n) => return Outcome::Runaway(n),
            None => None,
        },
    };
    let ended = match ended {
        Some(r) => r,
        None => tokio::time::timeout(Duration::from_secs(30), victim)
            .await
            .expect("a session with a hostile partner never ended"),
    };
    if !attacker.is_finished() {
        if let Ok(Ok(Some(n))) = tokio::time::timeout(Duration::from_secs(10), attacker).await {
            return Outcome::Runaway(n);
        }
    } else if let Ok(Some(n)) = attacker.await {
        return Outcome::Runaway(n);
    }
    Outcome::Ended(ended)
}

/// A sync-protocol message carrying `payload`: type 2, u32 length, bytes.
fn sync_msg(payload: &[u8]) -> Vec<u8> {
    let mut m = vec![2u8];
    m.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    m.extend_from_slice(payload);
    m
}

/// The messages one automerge document sends another while they sync.
fn transcript(from: &mut AutoCommit, to_bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut to = AutoCommit::load(to_bytes).unwrap();
    let (mut sf, mut st) = (automerge::sync::State::new(), automerge::sync::State::new());
    let mut out = Vec::new();
    for _ in 0..20 {
        let a = from
            .sync()
            .generate_sync_message(&mut sf)
            .map(|m| m.encode());
        if let Some(m) = &a {
            out.push(m.clone());
            let m = automerge::sync::Message::decode(m).unwrap();
            to.sync().receive_sync_message(&mut st, m).unwrap();
        }
        let b = to.sync().generate_sync_message(&mut st);
        let done = a.is_none() && b.is_none();
        if let Some(m) = b {
            from.sync().receive_sync_message(&mut sf, m).unwrap();
        }
        if done {
            break;
        }
    }
    out
}

/// After any session with a hostile partner: the device reads, what it shows is what
/// a restart shows, its logs only grew, the entries it had are there and it takes a
/// new write.
fn assert_unharmed(
    device: &Device,
    dir: &Path,
    logs_before: &BTreeMap<PathBuf, Vec<u8>>,
    what: &str,
) {
    let live = shared_view(device);
    let texts: Vec<String> = device
        .boundaries()
        .unwrap()
        .into_iter()
        .map(|b| b.text)
        .collect();
    assert!(
        texts.contains(&"mine, before".to_string()),
        "{what}: an entry vanished"
    );
    assert_eq!(device.diary_entries().unwrap().len(), 1, "{what}");
    let fresh = Device::unlock(dir, PASS.as_bytes(), opts())
        .unwrap_or_else(|e| panic!("{what}: the profile no longer opens: {e}"));
    assert_eq!(shared_view(&fresh), live, "{what}: memory and disk differ");
    for (path, old) in logs_before {
        let now = std::fs::read(path).unwrap();
        // Appends only, unless a writer compacted the log (a big incoming chunk
        // triggers that): then it is a new file with a new file id (bytes 12..28).
        let compacted = now.len() >= 28 && old.len() >= 28 && now[12..28] != old[12..28];
        assert!(
            now.starts_with(old) || compacted,
            "{what}: {} was rewritten",
            path.display()
        );
    }
}

fn logs(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    ["shared.klog", "diary.klog"]
        .iter()
        .map(|f| (dir.join(f), std::fs::read(dir.join(f)).unwrap()))
        .collect()
}

/// A victim profile with one shared and one private entry, and the real sync
/// conversation a partner holding one more entry would have with it.
fn victim_and_partner(dir: &Path) -> (Device, AutoCommit, Vec<Vec<u8>>) {
    let device = new_device(dir, "Ari");
    device.propose_boundary("mine, before", None).unwrap();
    device.add_diary_entry("private", None, None).unwrap();
    let mut partner = AutoCommit::load(&device.shared_automerge_bytes().unwrap()).unwrap();
    let b = match partner.get(ROOT, "boundaries").unwrap() {
        Some((_, id)) => id,
        None => unreachable!(),
    };
    let e = partner
        .put_object(&b, "01a21440-0000-7000-8000-000000000001", ObjType::Map)
        .unwrap();
    partner.put(&e, "text", "from the partner").unwrap();
    partner.commit();
    let real = transcript(&mut partner, &device.shared_automerge_bytes().unwrap());
    assert!(real.len() >= 2, "{}", real.len());
    (device, partner, real)
}

/// Sends `msgs` as the partner and checks the outcome: the session must end (never
/// run away), by an error when `must_end`; and nothing may be harmed.
async fn attack(
    device: &Device,
    dir: &Path,
    msgs: Vec<Vec<u8>>,
    must_end: bool,
    what: &str,
) -> bool {
    let before = logs(dir);
    let outcome = partner_sends(device, msgs).await;
    let ended = match outcome {
        Outcome::Runaway(n) => panic!(
            "{what}: the device kept sending sync messages without end ({n} frames and \
             counting) instead of ending the session"
        ),
        Outcome::Ended(Err(e)) => {
            assert!(!e.to_string().contains('\n'), "{what}: {e}");
            true
        }
        Outcome::Ended(Ok(_)) => {
            assert!(!must_end, "{what}: garbage was accepted");
            false
        }
    };
    assert_unharmed(device, dir, &before, what);
    ended
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_sending_garbage_ends_the_session_and_harms_nothing() {
    let mut rng = Rng::seeded("sync garbage");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("victim");
    let (device, mut partner, real) = victim_and_partner(&dir);
    let (mut ended, mut accepted) = (0, 0);
    for case in 0..cases() / 2 {
        let (msgs, must_end): (Vec<Vec<u8>>, bool) = match rng.below(4) {
            // Not a message of the protocol at all.
            0 => {
                let mut m = rng.some_bytes(0, 60);
                if m.first().is_some_and(|&t| (1..=3).contains(&t)) {
                    m[0] += 0x10;
                }
                (vec![m], true)
            }
            // A sync message whose length field lies.
            1 => {
                let p = rng.some_bytes(0, 80);
                let mut m = sync_msg(&p);
                let lie = (p.len() as u32).wrapping_add(rng.range(1, 1000) as u32);
                m[1..5].copy_from_slice(&lie.to_be_bytes());
                (vec![m], true)
            }
            // A well-formed message carrying garbage where Automerge belongs.
            2 => {
                let p = rng.some_bytes(0, 200);
                let must = automerge::sync::Message::decode(&p).is_err();
                (vec![sync_msg(&p)], must)
            }
            // A second hello in the middle of the session.
            _ => (vec![sync_msg(&real[0]), vec![1, 0]], true),
        };
        if attack(&device, &dir, msgs, must_end, &format!("case {case}")).await {
            ended += 1;
        } else {
            accepted += 1;
        }
    }
    // And the real conversation, untouched, is taken.
    let before = logs(&dir);
    let r = partner_sends(&device, real.iter().map(|m| sync_msg(m)).collect()).await;
    assert!(
        matches!(r, Outcome::Ended(Ok(SessionEnd::PeerClosed))),
        "{r:?}"
    );
    assert_unharmed(&device, &dir, &before, "the real conversation");
    let mut now = AutoCommit::load(&device.shared_automerge_bytes().unwrap()).unwrap();
    assert_eq!(
        now.get_heads(),
        partner.get_heads(),
        "the real changes were taken"
    );
    device.propose_boundary("still writable", None).unwrap();
    eprintln!(
        "sync garbage: {} sessions; {ended} ended by the victim with an error, {accepted} \
         accepted (valid Automerge only), nothing harmed",
        cases() / 2
    );
}

/// Real sync conversations with one message damaged: decodable damaged messages
/// reach Automerge's sync logic. The session must still end and harm nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_sending_damaged_sync_messages_harms_nothing() {
    let mut rng = Rng::seeded("sync damaged");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("victim");
    let (device, _, real) = victim_and_partner(&dir);
    let (mut ended, mut accepted) = (0, 0);
    for case in 0..cases() / 2 {
        let mut msgs: Vec<Vec<u8>> = real.clone();
        let i = rng.usize(msgs.len());
        msgs[i] = mutate(&mut rng, &msgs[i]);
        let must_end = automerge::sync::Message::decode(&msgs[i]).is_err();
        let msgs = msgs.iter().map(|m| sync_msg(m)).collect();
        if attack(&device, &dir, msgs, must_end, &format!("case {case}")).await {
            ended += 1;
        } else {
            accepted += 1;
        }
    }
    eprintln!(
        "damaged sync: {} sessions; {ended} ended with an error, {accepted} accepted, nothing harmed",
        cases() / 2
    );
}

/// A well-formed sync message whose one change depends on a change the partner never
/// sends: the change waits, the session ends when the partner hangs up, and nothing
/// is harmed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_whose_dependency_never_comes_harms_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("victim");
    let (device, mut partner, real) = victim_and_partner(&dir);
    // A second change on the partner's side, sent without the first.
    let first = partner.get_heads();
    let b = match partner.get(ROOT, "boundaries").unwrap() {
        Some((_, id)) => id,
        None => unreachable!(),
    };
    let e = partner
        .put_object(&b, "01a21440-0000-7000-8000-000000000002", ObjType::Map)
        .unwrap();
    partner.put(&e, "text", "depends on the first").unwrap();
    partner.commit();
    let second = partner.save_after(&first);
    let mut msg = real
        .iter()
        .map(|m| automerge::sync::Message::decode(m).unwrap())
        .find(|m| !m.changes.is_empty())
        .expect("a message with changes");
    msg.heads = partner.get_heads();
    msg.changes = automerge::sync::ChunkList::from(vec![second]);
    let msgs = vec![sync_msg(&real[0]), sync_msg(&msg.encode())];
    attack(
        &device,
        &dir,
        msgs,
        false,
        "a change without its dependency",
    )
    .await;
}

/// The smallest damaged message that makes the device run away, made on purpose: a
/// sync message whose `have` names a last-synced change this device does not hold.
/// An honest partner sends exactly this after this device lost changes it once had
/// (a restored backup, a log cut at a record boundary, a reset shared journal).
/// Automerge 0.12 then answers every `generate_sync_message` call with a new message,
/// and `flush` in crates/net/src/sync.rs calls it until it returns nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_message_naming_an_unknown_last_sync_does_not_make_the_device_loop() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("victim");
    let (device, _, real) = victim_and_partner(&dir);
    let mut msg = automerge::sync::Message::decode(&real[0]).unwrap();
    msg.heads = Vec::new();
    msg.need = Vec::new();
    msg.changes = automerge::sync::ChunkList::empty();
    msg.have = vec![automerge::sync::Have {
        last_sync: vec![automerge::ChangeHash([0x11; 32])],
        bloom: Default::default(),
    }];
    let msgs = vec![sync_msg(&msg.encode())];
    attack(&device, &dir, msgs, false, "an unknown last-synced change").await;
}

/// A sync message whose `have` carries a Bloom filter that claims entries but no bits
/// (found by `a_partner_sending_damaged_sync_messages_harms_nothing`). Automerge 0.12
/// divides by the filter's size when it consults it (sync/bloom.rs, `get_probes`):
/// the device must refuse the message, not panic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_message_with_an_empty_bloom_filter_does_not_crash_the_device() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("victim");
    let (device, _, real) = victim_and_partner(&dir);
    // The partner's real first message (its heads, which this device lacks), with
    // a filter of four entries, zero bits per entry, seven probes and no bits.
    let mut msg = automerge::sync::Message::decode(&real[0]).unwrap();
    let bloom = automerge::sync::BloomFilter::try_from(&[4u8, 0, 7][..]).unwrap();
    msg.have = vec![automerge::sync::Have {
        last_sync: Vec::new(),
        bloom,
    }];
    let msgs = vec![sync_msg(&msg.encode())];
    let device2 = device.clone();
    let dir2 = dir.clone();
    let run = tokio::spawn(async move {
        attack(&device2, &dir2, msgs, false, "an empty Bloom filter").await;
    })
    .await;
    assert!(
        run.is_ok(),
        "a sync message with an empty Bloom filter panicked the device"
    );
    // The device is still usable afterwards (no poisoned lock).
    device.propose_boundary("after", None).unwrap();
}

/// Valid Automerge, hostile content: what a partner's device running other (or
/// malicious) software can send. Each edit is applied on a fork of the victim's
/// journal and synced to it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_sending_valid_changes_that_break_the_schema_cannot_break_the_profile() {
    type Edit = fn(&mut AutoCommit, &automerge::ObjId);
    let root_map = |am: &AutoCommit, name: &str| match am.get(ROOT, name).unwrap() {
        Some((_, id)) => id,
        None => panic!("no {name}"),
    };
    let edits: Vec<(&str, &str, Edit)> = vec![
        ("boundaries", "root map replaced by a string", |am, _| {
            am.put(ROOT, "boundaries", "not a map").unwrap();
        }),
        ("boundaries", "root map deleted", |am, _| {
            am.delete(ROOT, "boundaries").unwrap();
        }),
        (
            "boundaries",
            "schema version changed and deleted",
            |am, _| {
                am.put(ROOT, "schema", 99).unwrap();
                am.delete(ROOT, "schema").unwrap();
            },
        ),
        ("boundaries", "entries of the wrong types", |am, m| {
            let e = am.put_object(m, "not-a-uuid", ObjType::Map).unwrap();
            am.put(&e, "text", 5).unwrap();
            am.put_object(&e, "agreed_by", ObjType::List).unwrap();
            let e = am
                .put_object(m, "01a21440-0000-7000-8000-00000000000a", ObjType::Map)
                .unwrap();
            am.put(&e, "text", "no author").unwrap();
            am.put(&e, "created", "yesterday").unwrap();
            am.put(&e, "updated", i64::MIN).unwrap();
            am.put(
                m,
                "01a21440-0000-7000-8000-00000000000b",
                "a string, not a map",
            )
            .unwrap();
        }),
        ("checkins", "check-ins out of range", |am, m| {
            let e = am
                .put_object(m, "01a21440-0000-7000-8000-00000000000c", ObjType::Map)
                .unwrap();
            for (k, v) in [("mood", 99i64), ("trust", -5), ("closeness", i64::MAX)] {
                am.put(&e, k, v).unwrap();
            }
            am.put(&e, "week", "garbage").unwrap();
            am.put(&e, "author", "zz").unwrap();
        }),
        (
            "letters",
            "a letter body as a counter and a text object",
            |am, m| {
                let e = am
                    .put_object(m, "01a21440-0000-7000-8000-00000000000d", ObjType::Map)
                    .unwrap();
                am.put(&e, "body", automerge::ScalarValue::counter(5))
                    .unwrap();
                let t = am.put_object(&e, "title", ObjType::Text).unwrap();
                am.splice_text(&t, 0, 0, "a text object").unwrap();
                am.put(&e, "sent", "never").unwrap();
            },
        ),
        ("steps", "stage progress with impossible keys", |am, m| {
            let e = am.put_object(m, "99:zz", ObjType::Map).unwrap();
            am.put(&e, "stage", 200).unwrap();
            am.put(&e, "done", "yes").unwrap();
        }),
        ("partners", "a partner named by a number", |am, m| {
            let e = am
                .put_object(m, "ffffffffffffffffffffffffffffffff", ObjType::Map)
                .unwrap();
            am.put(&e, "name", 42).unwrap();
        }),
        ("boundaries", "a one-megabyte boundary", |am, m| {
            let e = am
                .put_object(m, "01a21440-0000-7000-8000-00000000000e", ObjType::Map)
                .unwrap();
            am.put(&e, "text", "x".repeat(1 << 20)).unwrap();
        }),
    ];
    let tmp = tempfile::tempdir().unwrap();
    let mut report = Vec::new();
    for (i, (map, what, edit)) in edits.into_iter().enumerate() {
        let dir = tmp.path().join(format!("v{i}"));
        let device = new_device(&dir, "Ari");
        device.propose_boundary("mine, before", None).unwrap();
        device.add_diary_entry("private", None, None).unwrap();
        let bytes = device.shared_automerge_bytes().unwrap();
        let mut partner = AutoCommit::load(&bytes).unwrap();
        let m = root_map(&partner, map);
        edit(&mut partner, &m);
        partner.commit();
        let msgs = transcript(&mut partner, &bytes);
        let before = logs(&dir);
        let r = partner_sends(&device, msgs.iter().map(|m| sync_msg(m)).collect()).await;
        assert!(
            matches!(r, Outcome::Ended(_)),
            "{what}: the session ran away: {r:?}"
        );
        // Valid Automerge is taken; what it holds must not break anything.
        let lists = std::panic::catch_unwind(|| shared_view(&device));
        assert!(lists.is_ok(), "{what}: reading the journal panicked");
        assert_unharmed(&device, &dir, &before, what);
        device.propose_boundary("after", None).unwrap();
        let fresh = Device::unlock(&dir, PASS.as_bytes(), opts()).unwrap();
        assert!(
            fresh
                .boundaries()
                .unwrap()
                .iter()
                .any(|b| b.text == "after"),
            "{what}"
        );
        report.push(format!("{what}: session {r:?}, profile intact"));
    }
    for r in report {
        eprintln!("{r}");
    }
}

// --- pairing -----------------------------------------------------------------------

async fn node(seed: u8) -> kintsugi_net::Node {
    let cfg = kintsugi_net::NetConfig {
        mode: kintsugi_net::NetworkMode::Direct,
        bind: "127.0.0.1:0".parse().unwrap(),
        relay: None,
    };
    kintsugi_net::Node::spawn(&Secret32::from_bytes([seed; 32]), &cfg)
        .await
        .unwrap()
}

/// What the host did with a hostile joiner's connection.
#[derive(Debug, PartialEq)]
enum Reply {
    /// It sent a frame back (a status byte, for a refusal).
    Frame(Vec<u8>),
    /// It closed the connection without a word.
    Closed,
    /// Nothing within five seconds.
    Silence,
    /// No connection, or no stream on it.
    Unreachable(String),
}

/// Opens a pairing connection to the host and sends `frames` raw, as a joiner that
/// does not follow the protocol.
async fn hostile_join(
    attacker: &kintsugi_net::Node,
    invite: &Invite,
    frames: Vec<Vec<u8>>,
) -> Reply {
    let conn = match attacker
        .connect(invite.endpoint_addr(), kintsugi_net::PAIR_ALPN)
        .await
    {
        Ok(c) => c,
        Err(e) => return Reply::Unreachable(e.to_string()),
    };
    let (send, recv) = match conn.open_bi().await {
        Ok(s) => s,
        Err(e) => return Reply::Unreachable(e.to_string()),
    };
    let mut w = FrameWriter::new(send, 1 << 20);
    let mut r = FrameReader::new(recv, 1 << 20);
    for f in frames {
        if w.write(&f).await.is_err() {
            break;
        }
    }
    let reply = match tokio::time::timeout(Duration::from_secs(5), r.read()).await {
        Err(_) => Reply::Silence,
        Ok(Ok(Some(f))) => Reply::Frame(f),
        Ok(_) => Reply::Closed,
    };
    conn.close(0u32.into(), b"bye");
    reply
}

/// The first pairing message with a valid MAC, as only a holder of the invite
/// secret can make it (someone who photographed the QR code).
fn m1_with_mac(
    invite: &Invite,
    joiner: &kintsugi_net::EndpointId,
    eph_public: [u8; 32],
) -> Vec<u8> {
    let th0 = kintsugi_net::pair::th0(invite, &invite.endpoint, joiner);
    kintsugi_net::pair::JoinRequest {
        joiner_key: eph_public,
        mac: kintsugi_net::pair::joiner_mac(&invite.secret, &th0, &eph_public),
    }
    .encode()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strangers_with_garbage_cannot_pair_or_stop_the_real_partner() {
    let mut rng = Rng::seeded("pairing");
    let host = node(11).await;
    let stranger = node(12).await;
    let partner = node(13).await;
    let expires = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 120;
    let mut addr = host.addr();
    if addr.ip_addrs().next().is_none() {
        addr = addr.with_addrs(
            host.direct_addrs()
                .into_iter()
                .map(kintsugi_net::iroh_transport),
        );
    }
    let invite = kintsugi_net::Offer::new(&addr, expires).unwrap();
    let hosting = kintsugi_net::pair::host(&host, &invite, "Host");
    tokio::pin!(hosting);
    // Let the host start hosting before anyone connects.
    tokio::select! {
        biased;
        r = &mut hosting => panic!("the host finished early: {:?}", r.map(|p| p.sas().to_string())),
        _ = tokio::task::yield_now() => {}
    }

    // Garbage first messages from a device that does not hold the invite secret.
    let mut attempts: Vec<Vec<Vec<u8>>> = vec![
        vec![Vec::new()],
        vec![vec![1]],
        vec![vec![2; 65]],
        vec![vec![1; 65]],
        vec![vec![0; 5000]],
    ];
    for _ in 0..5 {
        let mut m = vec![2u8];
        m.extend(rng.some_bytes(0, 100));
        attempts.push(vec![m, rng.some_bytes(0, 50)]);
    }
    let mut refused = 0;
    for frames in attempts {
        let answer = tokio::select! {
            a = hostile_join(&stranger, &invite, frames) => a,
            r = &mut hosting => panic!("the host finished on garbage: {:?}", r.map(|p| p.sas().to_string())),
        };
        // The host answers "refused" (2) or closes, and keeps waiting.
        assert!(
            answer == Reply::Frame(vec![2]) || answer == Reply::Closed,
            "{answer:?}"
        );
        refused += 1;
    }
    // The real partner still pairs with the same invite.
    let joining = kintsugi_net::pair::join(&partner, &invite, "Partner");
    let (h, j) = tokio::join!(hosting, joining);
    let (h, j) = (h.unwrap(), j.unwrap());
    assert_eq!(h.sas(), j.sas());
    let (x, y) = tokio::join!(h.confirm(true), j.confirm(true));
    assert_eq!(x.unwrap().partner, partner.id());
    assert_eq!(y.unwrap().partner, host.id());
    eprintln!("pairing: {refused} garbage attempts refused; the real partner paired afterwards");

    // Someone who photographed a fresh invite (holds its secret) and sends a valid MAC
    // with a weak key, or with garbage after it: turned away, and no pairing results.
    // The invite is burned by the first valid MAC, so the real partner is told it was
    // used: an attacker who saw the code can spoil it, not use it.
    let host2 = node(14).await;
    let mut addr = host2.addr();
    if addr.ip_addrs().next().is_none() {
        addr = addr.with_addrs(
            host2
                .direct_addrs()
                .into_iter()
                .map(kintsugi_net::iroh_transport),
        );
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let invite = kintsugi_net::Offer::new(&addr, now + 8).unwrap();
    let hosting = kintsugi_net::pair::host(&host2, &invite, "Host");
    tokio::pin!(hosting);
    tokio::select! {
        biased;
        r = &mut hosting => panic!("the host finished early: {:?}", r.map(|p| p.sas().to_string())),
        _ = tokio::task::yield_now() => {}
    }
    // A garbage attempt first: its refusal shows the invite is up.
    let answer = tokio::select! {
        a = hostile_join(&stranger, &invite, vec![vec![2; 65]]) => a,
        r = &mut hosting => panic!("the host finished on garbage: {:?}", r.map(|p| p.sas().to_string())),
    };
    assert_eq!(answer, Reply::Frame(vec![2]));
    let weak = m1_with_mac(&invite, &stranger.id(), [0u8; 32]);
    let answer = tokio::select! {
        a = hostile_join(&stranger, &invite, vec![weak]) => a,
        r = &mut hosting => panic!("paired with a weak key: {:?}", r.map(|p| p.sas().to_string())),
    };
    assert_eq!(answer, Reply::Closed, "the host must turn a weak key away");
    let (r, joined) = tokio::join!(
        &mut hosting,
        kintsugi_net::pair::join(&partner, &invite, "Partner")
    );
    let err = joined.unwrap_err();
    assert!(err.to_string().contains("already used"), "{err}");
    assert!(
        matches!(r, Err(NetError::InviteSpoiled)),
        "the host must say the invite was spoiled, not pair: {:?}",
        r.map(|p| p.sas().to_string())
    );
    for n in [&host, &stranger, &partner, &host2] {
        n.shutdown().await;
    }
}
