//! A paired partner sending garbage, damaged or schema-breaking sync messages.

use super::*;

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
    let key = SessionKeys::single(Secret32::from_bytes([8; 32]));
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
            keys: &key,
            my_addrs: Vec::new(),
            my_relay: None,
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
            keys: &key,
            my_addrs: Vec::new(),
            my_relay: None,
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
            _ => (vec![sync_msg(&real[0]), vec![1, 0, 0]], true),
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

/// A partner giving a new couple key that no removal this device knows of justifies,
/// or one naming no removal at all: the session ends and the device keeps its keys.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_giving_a_key_nothing_justifies_ends_the_session_and_no_key_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("victim");
    let (device, _partner, _real) = victim_and_partner(&dir);
    let keyring = std::fs::read(dir.join("keyring")).unwrap();
    let rekey = |removed: Vec<[u8; 32]>, person: Option<(u32, Secret32)>| {
        Rekey {
            generation: 7,
            key: Secret32::from_bytes([0x66; 32]),
            removed,
            person,
        }
        .encode()
        .to_vec()
    };
    for (what, msg) in [
        ("a removal never recorded", rekey(vec![[3; 32]], None)),
        ("no removal at all", {
            let mut m = rekey(vec![[3; 32]], None);
            m.truncate(m.len() - 34);
            m.extend_from_slice(&[0, 0]);
            m
        }),
        (
            "a signing key on the couple's way",
            rekey(vec![[3; 32]], Some((1, Secret32::from_bytes([1; 32])))),
        ),
    ] {
        assert!(attack(&device, &dir, vec![msg], true, what).await, "{what}");
        assert_eq!(
            std::fs::read(dir.join("keyring")).unwrap(),
            keyring,
            "{what}"
        );
    }
}
