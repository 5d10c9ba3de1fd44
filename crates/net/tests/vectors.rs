//! The fixed vectors of PROTOCOL.md (testdata/net/, written by an independent
//! implementation of the spec, testdata/net/generate.py) against the code: every
//! encoding byte for byte, every derived key and MAC, the code both screens show,
//! and the real handshake function on both sides of a session.

use std::collections::HashMap;
use std::net::SocketAddr;

use kintsugi_crypto::{Secret32, derive_key, open, seal_with_nonce};
use kintsugi_net::frame::{FrameReader, FrameWriter};
use kintsugi_net::pair::{self, Decision, JoinRequest, LinkDone, Reply, Transfer};
use kintsugi_net::secure::session_keys;
use kintsugi_net::sync::handshake::{LABEL, SessionParams, handshake_with_nonce};
use kintsugi_net::sync::message::{Greeting, Hello, Message, Rekey, Release, Sync, Unpaired};
use kintsugi_net::sync::{
    KeyId, MAX_FRAME, MAX_PAYLOAD, SessionKeys, epoch_id, released_couple_key,
};
use kintsugi_net::{EndpointId, Invitation, Invite, Purpose, RelayUrl, SecretKey};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One vector file: `name = hex` or `name = "text"` per line, `#` comments.
struct Vectors {
    file: &'static str,
    values: HashMap<String, String>,
}

impl Vectors {
    fn load(file: &'static str) -> Self {
        let path = format!("{}/../../testdata/net/{file}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let values = text
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(|l| {
                let (k, v) = l.split_once(" = ").unwrap_or_else(|| panic!("{file}: {l}"));
                (k.to_string(), v.to_string())
            })
            .collect();
        Self { file, values }
    }

    fn raw(&self, key: &str) -> &str {
        self.values
            .get(key)
            .unwrap_or_else(|| panic!("{}: no {key}", self.file))
    }

    fn hex(&self, key: &str) -> Vec<u8> {
        let s = self.raw(key);
        assert!(s.len().is_multiple_of(2), "{}: {key} is not hex", self.file);
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn arr(&self, key: &str) -> [u8; 32] {
        self.hex(key).try_into().unwrap()
    }

    fn arr16(&self, key: &str) -> [u8; 16] {
        self.hex(key).try_into().unwrap()
    }

    fn secret(&self, key: &str) -> Secret32 {
        Secret32::from_bytes(self.arr(key))
    }

    fn id(&self, key: &str) -> EndpointId {
        EndpointId::from_bytes(&self.arr(key)).unwrap()
    }

    fn text(&self, key: &str) -> String {
        let s = self.raw(key);
        s.strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
            .unwrap_or_else(|| panic!("{}: {key} is not quoted", self.file))
            .to_string()
    }

    fn addr(&self, key: &str) -> SocketAddr {
        self.text(key).parse().unwrap()
    }

    fn num(&self, key: &str) -> u64 {
        self.raw(key).parse().unwrap()
    }
}

fn x25519_public(secret: [u8; 32]) -> [u8; 32] {
    x25519_dalek::x25519(secret, x25519_dalek::X25519_BASEPOINT_BYTES)
}

fn framed(payload: &[u8]) -> Vec<u8> {
    let mut out = (payload.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(payload);
    out
}

/// The invite of invite.txt, built from its fields.
fn invite(v: &Vectors) -> Invite {
    Invite {
        endpoint: v.id("endpoint"),
        addrs: vec![v.addr("addr0"), v.addr("addr1")],
        relay: None,
        secret: v.secret("secret"),
        expires: v.num("expires"),
        commitment: v.arr("commitment"),
    }
}

#[test]
fn the_invite_encodes_exactly() {
    let v = Vectors::load("invite.txt");
    let seed = v.arr("endpoint_secret_key");
    assert_eq!(SecretKey::from_bytes(&seed).public(), v.id("endpoint"));
    let i = v.arr("inviter_ephemeral_public");
    assert_eq!(x25519_public(v.arr("inviter_ephemeral_secret")), i);
    assert_eq!(pair::commitment(&i), v.arr("commitment"));

    let inv = invite(&v);
    assert_eq!(inv.to_bytes(), v.hex("bytes"));
    assert_eq!(inv.to_text(), v.text("text"));
    assert_eq!(Invite::from_text(&v.text("text")).unwrap(), inv);
    assert_eq!(Invite::from_bytes(&v.hex("bytes")).unwrap(), inv);

    let mut with_relay = inv;
    with_relay.relay = Some(v.text("relay").parse::<RelayUrl>().unwrap());
    assert_eq!(with_relay.to_bytes(), v.hex("relay_bytes"));
    assert_eq!(with_relay.to_text(), v.text("relay_text"));
    assert_eq!(
        Invite::from_text(&v.text("relay_text")).unwrap(),
        with_relay
    );
}

#[test]
fn the_pairing_transcript_derives_exactly() {
    let inv_v = Vectors::load("invite.txt");
    let v = Vectors::load("pairing.txt");
    let invite = invite(&inv_v);
    let (inviter, joiner) = (v.id("inviter"), v.id("joiner"));
    assert_eq!(
        SecretKey::from_bytes(&v.arr("joiner_secret_key")).public(),
        joiner
    );
    let j = v.arr("joiner_ephemeral_public");
    let i = v.arr("inviter_ephemeral_public");
    assert_eq!(x25519_public(v.arr("joiner_ephemeral_secret")), j);

    let th0 = pair::th0(&invite, &inviter, &joiner);
    assert_eq!(th0, v.arr("th0"));
    let joiner_mac = pair::joiner_mac(&invite.secret, &th0, &j);
    assert_eq!(joiner_mac, v.arr("joiner_mac"));
    let request = JoinRequest {
        joiner_key: j,
        mac: joiner_mac,
    };
    assert_eq!(request.encode(), v.hex("join_request"));
    assert_eq!(
        JoinRequest::decode(&v.hex("join_request")).unwrap(),
        request
    );
    let inviter_mac = pair::inviter_mac(&invite.secret, &th0, &j, &i);
    assert_eq!(inviter_mac, v.arr("inviter_mac"));
    let reply = Reply::Accepted {
        inviter_key: i,
        mac: inviter_mac,
    };
    assert_eq!(reply.encode(), v.hex("reply"));
    assert_eq!(Reply::decode(&v.hex("reply")).unwrap(), reply);

    let shared = x25519_dalek::x25519(v.arr("joiner_ephemeral_secret"), i);
    assert_eq!(shared, v.arr("shared"));
    assert_eq!(
        x25519_dalek::x25519(v.arr("inviter_ephemeral_secret"), j),
        shared
    );
    let th = pair::transcript_hash(&th0, &j, &i);
    assert_eq!(th, v.arr("transcript_hash"));
    let keys = pair::derive(&invite.secret, &Secret32::from_bytes(shared), &th);
    assert_eq!(keys.couple_key, v.secret("couple_key"));
    assert_eq!(keys.sas, v.text("sas"));
    assert_eq!(
        derive_key(Some(&th), keys.couple_key.expose(), &[pair::LABEL, b" j2i"]),
        v.secret("j2i")
    );

    // The sealed hellos and decisions, from both sides' channels.
    let (mut j_seal, mut j_open) = pair::channel(&keys, &th, true);
    let (mut i_seal, mut i_open) = pair::channel(&keys, &th, false);
    let joiner_hello = pair::Hello {
        name: v.text("joiner_name"),
        addrs: vec![v.addr("joiner_addr")],
        relay: Some(v.text("joiner_relay").parse::<RelayUrl>().unwrap()),
    };
    assert_eq!(joiner_hello.encode(), v.hex("joiner_hello"));
    assert_eq!(
        j_seal.seal(&joiner_hello.encode()).unwrap(),
        v.hex("joiner_hello_sealed")
    );
    let inviter_hello = pair::Hello {
        name: v.text("inviter_name"),
        addrs: vec![],
        relay: None,
    };
    assert_eq!(inviter_hello.encode(), v.hex("inviter_hello"));
    assert_eq!(
        i_seal.seal(&inviter_hello.encode()).unwrap(),
        v.hex("inviter_hello_sealed")
    );
    let opened = i_open.open(&v.hex("joiner_hello_sealed")).unwrap();
    assert_eq!(pair::Hello::decode(&opened).unwrap(), joiner_hello);
    let opened = j_open.open(&v.hex("inviter_hello_sealed")).unwrap();
    assert_eq!(pair::Hello::decode(&opened).unwrap(), inviter_hello);
    assert_eq!(
        j_seal.seal(&Decision(true).encode()).unwrap(),
        v.hex("joiner_decision_sealed")
    );
    assert_eq!(
        i_seal.seal(&Decision(false).encode()).unwrap(),
        v.hex("inviter_decision_sealed")
    );
}

/// The same transcript as pairing.txt's under the link purpose: every value differs,
/// and the frames after the decisions (the transfer, its done) encode exactly.
#[test]
fn the_link_transcript_derives_exactly() {
    let inv_v = Vectors::load("invite.txt");
    let p = Vectors::load("pairing.txt");
    let v = Vectors::load("link.txt");
    let link = Purpose::OwnDevice;
    let i = p.arr("inviter_ephemeral_public");
    let j = p.arr("joiner_ephemeral_public");
    assert_eq!(pair::commitment_for(link, &i), v.arr("commitment"));
    let invite = Invite {
        commitment: v.arr("commitment"),
        ..invite(&inv_v)
    };
    assert_eq!(invite.to_bytes(), v.hex("bytes"));
    let invitation = Invitation {
        invite: invite.clone(),
        purpose: link,
    };
    assert_eq!(invitation.to_text(), v.text("text"));
    assert_eq!(Invitation::from_text(&v.text("text")).unwrap(), invitation);

    let (inviter, joiner) = (p.id("inviter"), p.id("joiner"));
    let th0 = pair::th0_for(link, &invite, &inviter, &joiner);
    assert_eq!(th0, v.arr("th0"));
    assert_ne!(th0, p.arr("th0"));
    let request = JoinRequest {
        joiner_key: j,
        mac: pair::joiner_mac(&invite.secret, &th0, &j),
    };
    assert_eq!(request.encode(), v.hex("join_request"));
    let reply = Reply::Accepted {
        inviter_key: i,
        mac: pair::inviter_mac(&invite.secret, &th0, &j, &i),
    };
    assert_eq!(reply.encode(), v.hex("reply"));
    let th = pair::transcript_hash(&th0, &j, &i);
    assert_eq!(th, v.arr("transcript_hash"));
    let keys = pair::derive(&invite.secret, &p.secret("shared"), &th);
    assert_eq!(keys.couple_key, v.secret("couple_key"));
    assert_eq!(keys.sas, v.text("sas"));
    assert_eq!(
        derive_key(
            Some(&th),
            keys.couple_key.expose(),
            &[pair::LINK_LABEL, b" i2j"]
        ),
        v.secret("i2j")
    );

    let (mut j_seal, mut j_open) = pair::channel_for(link, &keys, &th, true);
    let (mut i_seal, mut i_open) = pair::channel_for(link, &keys, &th, false);
    let hello = |name: &str| pair::Hello {
        name: name.into(),
        addrs: vec![],
        relay: None,
    };
    assert_eq!(
        j_seal
            .seal(&hello(&v.text("joiner_name")).encode())
            .unwrap(),
        v.hex("joiner_hello_sealed")
    );
    assert_eq!(
        i_seal
            .seal(&hello(&v.text("inviter_name")).encode())
            .unwrap(),
        v.hex("inviter_hello_sealed")
    );
    for (seal, key) in [
        (&mut j_seal, "joiner_decision_sealed"),
        (&mut i_seal, "inviter_decision_sealed"),
    ] {
        assert_eq!(seal.seal(&Decision(true).encode()).unwrap(), v.hex(key));
    }
    let payload = v.text("payload");
    let transfer = Transfer {
        payload: payload.as_bytes(),
    };
    assert_eq!(&transfer.encode().unwrap()[..], &v.hex("transfer")[..]);
    assert_eq!(
        framed(&i_seal.seal(&transfer.encode().unwrap()).unwrap()),
        v.hex("transfer_frame")
    );
    assert_eq!(
        framed(&j_seal.seal(&LinkDone.encode()).unwrap()),
        v.hex("link_done_frame")
    );
    // And the other way: each side opens the other's frames in order.
    for key in ["inviter_hello_sealed", "inviter_decision_sealed"] {
        j_open.open(&v.hex(key)).unwrap();
    }
    let opened = j_open.open(&v.hex("transfer_frame")[4..]).unwrap();
    assert_eq!(Transfer::decode(&opened).unwrap(), transfer);
    for key in ["joiner_hello_sealed", "joiner_decision_sealed"] {
        i_open.open(&v.hex(key)).unwrap();
    }
    let opened = i_open.open(&v.hex("link_done_frame")[4..]).unwrap();
    assert_eq!(LinkDone::decode(&opened).unwrap(), LinkDone);
}

/// What each side holds in the vector: the dialer the keys of generations 1 and 0,
/// the acceptor only 0's, so the session runs under generation 0.
fn sync_keys(v: &Vectors, dialer: bool) -> SessionKeys {
    let k0 = v.secret("couple_key");
    let epoch = epoch_id(&k0);
    if dialer {
        SessionKeys::new(epoch, (1, v.secret("couple_key_1")), &[(0, k0)])
    } else {
        SessionKeys::single(k0)
    }
}

fn sync_params<'k>(v: &Vectors, dialer: bool, keys: &'k SessionKeys) -> SessionParams<'k> {
    let (d, a) = (v.id("dialer"), v.id("acceptor"));
    // The acceptor's hello carries no addresses and no relay in the vector.
    let (me, them, my_addrs, my_relay) = if dialer {
        (d, a, vec![v.addr("dialer_addr")], Some(dialer_relay(v)))
    } else {
        (a, d, vec![], None)
    };
    SessionParams {
        dialer,
        me,
        them,
        keys,
        my_addrs,
        my_relay,
    }
}

fn dialer_relay(v: &Vectors) -> RelayUrl {
    v.text("dialer_relay").parse().unwrap()
}

#[test]
fn sync_keys_and_messages_encode_exactly() {
    let v = Vectors::load("sync.txt");
    let (d2a, a2d) = session_keys(
        &v.secret("couple_key"),
        LABEL,
        v.id("dialer").as_bytes(),
        v.id("acceptor").as_bytes(),
        &v.arr("dialer_nonce"),
        &v.arr("acceptor_nonce"),
    );
    assert_eq!(d2a, v.secret("d2a"));
    assert_eq!(a2d, v.secret("a2d"));
    assert_eq!(epoch_id(&v.secret("couple_key")), v.arr16("epoch"));
    let id = |g: u32, name: &str| KeyId {
        generation: g,
        id: v.hex(name).try_into().unwrap(),
    };
    assert_eq!(KeyId::of(0, &v.secret("couple_key")), id(0, "key_id_0"));
    assert_eq!(KeyId::of(1, &v.secret("couple_key_1")), id(1, "key_id_1"));
    for (dialer, name) in [
        (true, "dialer_greeting_frame"),
        (false, "acceptor_greeting_frame"),
    ] {
        let nonce = if dialer {
            "dialer_nonce"
        } else {
            "acceptor_nonce"
        };
        let greeting = Greeting {
            nonce: v.arr(nonce),
            epoch: v.arr16("epoch"),
            keys: sync_keys(&v, dialer).offered(),
        };
        assert_eq!(framed(&greeting.encode()), v.hex(name), "{name}");
        assert_eq!(Greeting::decode(&v.hex(name)[4..]).unwrap(), greeting);
    }
    let rekey = Rekey {
        generation: 1,
        key: v.secret("couple_key_1"),
        removed: vec![[0xee; 32]],
        person: None,
    };
    assert_eq!(&rekey.encode()[..], v.hex("dialer_rekey"));
    let self_rekey = Rekey {
        generation: 2,
        key: Secret32::from_bytes([0x52; 32]),
        removed: vec![[0xee; 32]],
        person: Some((1, Secret32::from_bytes([0x5e; 32]))),
    };
    assert_eq!(&self_rekey.encode()[..], v.hex("self_rekey"));
    assert_eq!(
        Message::decode(&v.hex("self_rekey")).unwrap(),
        Message::Rekey(self_rekey)
    );
    let hello = Hello {
        addrs: vec![v.addr("dialer_addr")],
        relay: Some(dialer_relay(&v)),
    };
    assert_eq!(hello.encode(), v.hex("dialer_hello"));
    assert_eq!(Hello::default().encode(), v.hex("acceptor_hello"));
    let payload = v.text("payload");
    let sync = Sync {
        payload: payload.as_bytes(),
    };
    assert_eq!(sync.encode().unwrap(), v.hex("dialer_sync"));
    assert_eq!(
        Message::decode(&v.hex("dialer_sync")).unwrap(),
        Message::Sync(sync)
    );
    assert_eq!(
        Message::decode(&v.hex("dialer_hello")).unwrap(),
        Message::Hello(hello)
    );
    assert_eq!(Unpaired.encode(), vec![3]);
    assert_eq!(MAX_FRAME, MAX_PAYLOAD + 5 + 16);
}

/// The dialer's side of the handshake, byte for byte, with the test playing the
/// acceptor from the vector; then the first sealed messages of the session.
#[tokio::test]
async fn the_dialer_handshake_sends_exactly_the_vector() {
    let v = Vectors::load("sync.txt");
    let keys = sync_keys(&v, true);
    let (ours, mut theirs) = tokio::io::duplex(1 << 16);
    let (r, w) = tokio::io::split(ours);
    let mut reader = FrameReader::new(r, MAX_FRAME);
    let mut writer = FrameWriter::new(w, MAX_FRAME);
    let params = sync_params(&v, true, &keys);
    let acceptor = async {
        for (expect, answer) in [
            ("dialer_greeting_frame", "acceptor_greeting_frame"),
            ("dialer_hello_frame", "acceptor_hello_frame"),
        ] {
            let want = v.hex(expect);
            let mut got = vec![0; want.len()];
            theirs.read_exact(&mut got).await.unwrap();
            assert_eq!(got, want, "{expect}");
            theirs.write_all(&v.hex(answer)).await.unwrap();
        }
        theirs
    };
    let (channel, mut theirs) = tokio::join!(
        handshake_with_nonce(&mut reader, &mut writer, &params, v.arr("dialer_nonce")),
        acceptor
    );
    let mut channel = channel.unwrap();
    assert_eq!(channel.partner_hello, Hello::default());
    let payload = v.text("payload");
    let sync = Sync {
        payload: payload.as_bytes(),
    };
    writer
        .write(&channel.sealer.seal(&sync.encode().unwrap()).unwrap())
        .await
        .unwrap();
    writer
        .write(&channel.sealer.seal(&Unpaired.encode()).unwrap())
        .await
        .unwrap();
    writer
        .write(&channel.sealer.seal(&v.hex("dialer_rekey")).unwrap())
        .await
        .unwrap();
    assert_eq!(channel.their_current.generation, 0);
    for expect in [
        "dialer_sync_frame",
        "dialer_unpaired_frame",
        "dialer_rekey_frame",
    ] {
        let want = v.hex(expect);
        let mut got = vec![0; want.len()];
        theirs.read_exact(&mut got).await.unwrap();
        assert_eq!(got, want, "{expect}");
    }
}

/// The acceptor's side, with the test playing the dialer: it answers exactly, and
/// opens the dialer's sealed messages.
#[tokio::test]
async fn the_acceptor_handshake_answers_exactly_the_vector() {
    let v = Vectors::load("sync.txt");
    let keys = sync_keys(&v, false);
    let (ours, mut theirs) = tokio::io::duplex(1 << 16);
    let (r, w) = tokio::io::split(ours);
    let mut reader = FrameReader::new(r, MAX_FRAME);
    let mut writer = FrameWriter::new(w, MAX_FRAME);
    let params = sync_params(&v, false, &keys);
    let dialer = async {
        theirs
            .write_all(&v.hex("dialer_greeting_frame"))
            .await
            .unwrap();
        for (expect, then) in [
            ("acceptor_greeting_frame", "dialer_hello_frame"),
            ("acceptor_hello_frame", "dialer_sync_frame"),
        ] {
            let want = v.hex(expect);
            let mut got = vec![0; want.len()];
            theirs.read_exact(&mut got).await.unwrap();
            assert_eq!(got, want, "{expect}");
            theirs.write_all(&v.hex(then)).await.unwrap();
        }
        theirs
    };
    let (channel, _theirs) = tokio::join!(
        handshake_with_nonce(&mut reader, &mut writer, &params, v.arr("acceptor_nonce")),
        dialer
    );
    let mut channel = channel.unwrap();
    assert_eq!(channel.partner_hello.addrs, vec![v.addr("dialer_addr")]);
    assert_eq!(channel.their_current.generation, 1);
    assert_eq!(channel.partner_hello.relay, Some(dialer_relay(&v)));
    let frame = reader.read().await.unwrap().unwrap();
    let plain = channel.opener.open(&frame).unwrap();
    let payload = v.text("payload");
    assert_eq!(
        Message::decode(&plain).unwrap(),
        Message::Sync(Sync {
            payload: payload.as_bytes()
        })
    );
}

#[test]
fn the_bundle_seals_exactly() {
    let v = Vectors::load("bundle.txt");
    // Made under the key of generation 1; the epoch is still generation 0's.
    assert_eq!(v.num("generation"), 1);
    let key = derive_key(
        None,
        v.secret("couple_key_1").expose(),
        &[b"kintsugi bundle v1"],
    );
    assert_eq!(key, v.secret("key"));
    let bundle = v.hex("bundle");
    let header_len = 8 + 1 + 32 + 16 + 4;
    let (header, sealed) = bundle.split_at(header_len);
    assert_eq!(&header[..8], b"KTSGBNDL");
    assert_eq!(header[8], 3);
    assert_eq!(&header[9..41], v.hex("sender"));
    assert_eq!(&header[41..57], epoch_id(&v.secret("couple_key")));
    assert_eq!(&header[41..57], v.hex("epoch"));
    assert_eq!(&header[57..], 1u32.to_be_bytes());
    let nonce: [u8; 24] = v.hex("nonce").try_into().unwrap();
    let changes = v.text("changes");
    assert_eq!(
        seal_with_nonce(&key, &nonce, header, changes.as_bytes()).unwrap(),
        sealed
    );
    assert_eq!(&open(&key, header, sealed).unwrap()[..], changes.as_bytes());
}

/// The release messages and the derivation of the new couple key.
#[test]
fn a_release_of_history_encodes_and_derives_exactly() {
    let v = Vectors::load("release.txt");
    let id = v.arr16("request");
    let heads: Vec<[u8; 32]> = vec![v.arr("head_0"), v.arr("head_1")];
    let contribute = Release::Contribute {
        id,
        random: v.arr("leader_random"),
        heads: heads.clone(),
    };
    for (m, key) in [
        (Release::Ask { id }, "ask"),
        (Release::Answer { id, accept: true }, "accept"),
        (Release::Answer { id, accept: false }, "decline"),
        (contribute.clone(), "leader_contribute"),
        (Release::Retry { id }, "retry"),
        (Release::Committed { id }, "committed"),
    ] {
        assert_eq!(m.encode(), v.hex(key), "{key}");
        assert_eq!(Message::decode(&v.hex(key)).unwrap(), Message::Release(m));
    }
    let key = released_couple_key(
        &v.secret("couple_key"),
        &id,
        &v.arr("leader_random"),
        &v.arr("follower_random"),
        &heads,
    );
    assert_eq!(key, v.secret("new_couple_key"));
    assert_eq!(epoch_id(&key), v.arr16("new_epoch"));
    // Sealed as the dialer's second frame of the sync vector's session.
    let s = Vectors::load("sync.txt");
    let mut sealer = kintsugi_net::secure::Sealer::new(
        s.secret("d2a"),
        kintsugi_net::secure::Direction::DialerToAcceptor,
        LABEL,
    );
    sealer.seal(b"counter 0").unwrap();
    assert_eq!(
        framed(&sealer.seal(&contribute.encode()).unwrap()),
        v.hex("leader_contribute_frame")
    );
}
