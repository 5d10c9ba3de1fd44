//! The messages of `kintsugi/sync/1`, one small type each, as they travel inside a
//! frame ([`crate::frame`]). Only [`Greeting`] travels in the clear; every other
//! message is sealed ([`crate::secure`]) and parsed only after its frame opened.
//! Byte layouts are in PROTOCOL.md ("Sync messages"); each decoder refuses trailing
//! bytes, so one encoding has one meaning.

use std::net::SocketAddr;

use iroh::RelayUrl;
use kintsugi_crypto::{Secret32, TAG_LEN};
use zeroize::Zeroizing;

use super::keys::{KeyId, MAX_OFFERED};

use crate::NetError;
use crate::wire::{Reader, put_addrs, put_long_bytes, put_relay};

/// The version of the sync protocol; the first byte of a [`Greeting`]. Version 2
/// added the relay to [`Hello`]; a version 1 device would refuse that hello as
/// malformed, so the greeting tells the two apart and names the older one. Version 3
/// added the epoch to the greeting and the [`Release`] messages; version 4 the keys
/// each side holds to the greeting and the [`Rekey`] message.
pub const VERSION: u8 = 4;

/// The largest Automerge sync message either side may send in one [`Sync`].
///
/// Chosen from the benchmark: its largest honest catch-up (10,000 shared entries
/// sent to an empty partner) is one message of about 0.6 MB, so this leaves more
/// than ten times that. A device whose next message is larger must split it across
/// several (PROTOCOL.md, "Limits"); a session that meets a bigger one ends without
/// applying it. Everything a partner can make this side allocate for one frame
/// follows from this number.
pub const MAX_PAYLOAD: usize = 8 * 1024 * 1024;

/// The largest sealed frame of a session: a [`Sync`] carrying [`MAX_PAYLOAD`] bytes,
/// plus its tag.
pub const MAX_FRAME: usize = MAX_PAYLOAD + Sync::HEADER_LEN + TAG_LEN;

fn malformed(what: &str) -> NetError {
    NetError::Protocol(format!("malformed {what} message"))
}

/// Plaintext, first thing each way: `version | nonce | epoch | keys`. The two nonces
/// salt the session keys, so no two sessions share one. The epoch names the journal
/// the sender holds (see [`super::release::epoch_id`]): two devices on different
/// epochs stop before any key is used, and the one whose epoch was released is told
/// so. The keys are the ids of the keys the sender holds, newest first (see
/// [`super::keys`]); the session runs under the newest both hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Greeting {
    pub nonce: [u8; 32],
    pub epoch: [u8; 16],
    pub keys: Vec<KeyId>,
}

impl Greeting {
    pub fn encode(&self) -> Vec<u8> {
        let keys = &self.keys[..self.keys.len().min(MAX_OFFERED)];
        let mut out = Vec::with_capacity(1 + 32 + 16 + 1 + 12 * keys.len());
        out.push(VERSION);
        out.extend_from_slice(&self.nonce);
        out.extend_from_slice(&self.epoch);
        out.push(keys.len() as u8);
        for k in keys {
            out.extend_from_slice(&k.generation.to_be_bytes());
            out.extend_from_slice(&k.id);
        }
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, NetError> {
        let mut r = Reader::new(bytes);
        match r.u8() {
            Some(VERSION) => {}
            Some(v) => {
                return Err(NetError::Protocol(format!(
                    "the partner speaks sync version {v}, this device version {VERSION}; update Kintsugi on the older device"
                )));
            }
            None => return Err(malformed("greeting")),
        }
        let nonce = r.array().ok_or_else(|| malformed("greeting"))?;
        let epoch = r.array().ok_or_else(|| malformed("greeting"))?;
        let count = usize::from(r.u8().ok_or_else(|| malformed("greeting"))?);
        if count == 0 || count > MAX_OFFERED {
            return Err(malformed("greeting"));
        }
        let mut keys: Vec<KeyId> = Vec::with_capacity(count);
        for _ in 0..count {
            let generation = r.u32().ok_or_else(|| malformed("greeting"))?;
            let id = r.array().ok_or_else(|| malformed("greeting"))?;
            // Newest first, one key per generation.
            if keys
                .last()
                .is_some_and(|last| last.generation <= generation)
            {
                return Err(malformed("greeting"));
            }
            keys.push(KeyId { generation, id });
        }
        if !r.is_empty() {
            return Err(malformed("greeting"));
        }
        Ok(Self { nonce, epoch, keys })
    }
}

/// Sealed, first each way: proves the sender holds the couple key (its frame opened)
/// and says where it can be reached next time: its direct addresses, and the relay
/// through which it can be reached when none of them can be.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Hello {
    pub addrs: Vec<SocketAddr>,
    pub relay: Option<RelayUrl>,
}

impl Hello {
    pub const TAG: u8 = 1;

    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![Self::TAG];
        put_addrs(&mut out, &self.addrs);
        put_relay(&mut out, self.relay.as_ref());
        out
    }
}

/// Sealed: one Automerge sync message, opaque to this crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sync<'a> {
    pub payload: &'a [u8],
}

impl Sync<'_> {
    pub const TAG: u8 = 2;
    /// The tag and the length in front of the payload.
    pub const HEADER_LEN: usize = 1 + 4;

    /// Refuses a payload over [`MAX_PAYLOAD`]: the partner would refuse it anyway.
    pub fn encode(&self) -> Result<Vec<u8>, NetError> {
        if self.payload.len() > MAX_PAYLOAD {
            return Err(NetError::PayloadTooLarge(self.payload.len()));
        }
        let mut out = Vec::with_capacity(Self::HEADER_LEN + self.payload.len());
        out.push(Self::TAG);
        put_long_bytes(&mut out, self.payload);
        Ok(out)
    }
}

/// Sealed: the sender ended the pairing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unpaired;

impl Unpaired {
    pub const TAG: u8 = 3;

    pub fn encode(&self) -> Vec<u8> {
        vec![Self::TAG]
    }
}

/// The most heads a [`Release::Contribute`] may name. Heads are the changes no other
/// change depends on: one per device that wrote concurrently, a handful at most.
pub const MAX_RELEASE_HEADS: usize = 256;

/// Sealed: one step of releasing the shared journal's history (PROTOCOL.md, "Release
/// of history"). `id` names the request, chosen at random by the partner who asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Release {
    /// The sender's person asks to release the history.
    Ask { id: [u8; 16] },
    /// The sender's person's answer to the request `id`.
    Answer { id: [u8; 16], accept: bool },
    /// The sender's randomness for the new couple key, and the heads of the journal
    /// it copies: the leader (the lower endpoint id) proposes, the follower replies
    /// with its own once it holds every change named, having stored both.
    Contribute {
        id: [u8; 16],
        random: [u8; 32],
        heads: Vec<[u8; 32]>,
    },
    /// The follower lacks a change the leader named: the leader proposes again once
    /// the two journals are in sync.
    Retry { id: [u8; 16] },
    /// The leader has moved to the new journal; the follower does the same.
    Committed { id: [u8; 16] },
}

impl Release {
    pub const TAG: u8 = 4;

    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![Self::TAG];
        match self {
            Release::Ask { id } => {
                out.push(1);
                out.extend_from_slice(id);
            }
            Release::Answer { id, accept } => {
                out.push(2);
                out.extend_from_slice(id);
                out.push(u8::from(*accept));
            }
            Release::Contribute { id, random, heads } => {
                out.push(3);
                out.extend_from_slice(id);
                out.extend_from_slice(random);
                out.extend_from_slice(&(heads.len() as u16).to_be_bytes());
                for h in heads {
                    out.extend_from_slice(h);
                }
            }
            Release::Retry { id } => {
                out.push(4);
                out.extend_from_slice(id);
            }
            Release::Committed { id } => {
                out.push(5);
                out.extend_from_slice(id);
            }
        }
        out
    }

    fn decode(r: &mut Reader<'_>) -> Option<Self> {
        let kind = r.u8()?;
        let id = r.array()?;
        Some(match kind {
            1 => Release::Ask { id },
            2 => Release::Answer {
                id,
                accept: match r.u8()? {
                    0 => false,
                    1 => true,
                    _ => return None,
                },
            },
            3 => {
                let random = r.array()?;
                let n = usize::from(r.u16()?);
                if n == 0 || n > MAX_RELEASE_HEADS {
                    return None;
                }
                let mut heads = Vec::with_capacity(n);
                for _ in 0..n {
                    heads.push(r.array()?);
                }
                Release::Contribute { id, random, heads }
            }
            4 => Release::Retry { id },
            5 => Release::Committed { id },
            _ => return None,
        })
    }

    /// For logs: the step, never the randomness.
    pub fn name(&self) -> &'static str {
        match self {
            Release::Ask { .. } => "ask",
            Release::Answer { .. } => "answer",
            Release::Contribute { .. } => "contribute",
            Release::Retry { .. } => "retry",
            Release::Committed { .. } => "committed",
        }
    }
}

/// Sealed: a newer key, from a device that holds it to one that does not, once the
/// two are in sync (so the receiver already holds the records of the removals that
/// made it). On the shared journal's sessions it is the couple key; on the diary's,
/// the person's self key, with the person's signing key in `person`.
#[derive(Clone, PartialEq, Eq)]
pub struct Rekey {
    pub generation: u32,
    pub key: Secret32,
    /// The removed devices the key shuts out: the receiver takes the key only if
    /// it knows each of them removed.
    pub removed: Vec<[u8; 32]>,
    /// The person's signing key and its generation (the diary's sessions only).
    pub person: Option<(u32, Secret32)>,
}

impl std::fmt::Debug for Rekey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rekey")
            .field("generation", &self.generation)
            .field("removed", &self.removed.len())
            .finish_non_exhaustive()
    }
}

/// More devices than a couple has; a longer list is not from Kintsugi.
pub const MAX_REMOVED: usize = 16;

impl Rekey {
    pub const TAG: u8 = 5;

    pub fn encode(&self) -> Zeroizing<Vec<u8>> {
        let removed = &self.removed[..self.removed.len().min(MAX_REMOVED)];
        let mut out = Zeroizing::new(Vec::with_capacity(1 + 4 + 32 + 1 + 32 * removed.len() + 37));
        out.push(Self::TAG);
        out.extend_from_slice(&self.generation.to_be_bytes());
        out.extend_from_slice(self.key.expose());
        out.push(removed.len() as u8);
        for r in removed {
            out.extend_from_slice(r);
        }
        match &self.person {
            Some((g, seed)) => {
                out.push(1);
                out.extend_from_slice(&g.to_be_bytes());
                out.extend_from_slice(seed.expose());
            }
            None => out.push(0),
        }
        out
    }

    fn decode(r: &mut Reader<'_>) -> Option<Self> {
        let generation = r.u32()?;
        let key = Secret32::from_bytes(r.array()?);
        let n = usize::from(r.u8()?);
        if n == 0 || n > MAX_REMOVED {
            return None;
        }
        let mut removed = Vec::with_capacity(n);
        for _ in 0..n {
            removed.push(r.array()?);
        }
        let person = match r.u8()? {
            0 => None,
            1 => Some((r.u32()?, Secret32::from_bytes(r.array()?))),
            _ => return None,
        };
        Some(Self {
            generation,
            key,
            removed,
            person,
        })
    }
}

/// Any sealed message, as it comes out of an opened frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message<'a> {
    Hello(Hello),
    Sync(Sync<'a>),
    Unpaired,
    Release(Release),
    Rekey(Rekey),
}

impl<'a> Message<'a> {
    pub fn decode(bytes: &'a [u8]) -> Result<Self, NetError> {
        let mut r = Reader::new(bytes);
        let msg = match r.u8() {
            Some(Hello::TAG) => Message::Hello(Hello {
                addrs: r.addrs().ok_or_else(|| malformed("hello"))?,
                relay: r.relay().ok_or_else(|| malformed("hello"))?,
            }),
            Some(Sync::TAG) => {
                // The length is checked against the cap before anything is sliced.
                let n = r.u32().ok_or_else(|| malformed("sync"))? as usize;
                if n > MAX_PAYLOAD {
                    return Err(NetError::PayloadTooLarge(n));
                }
                Message::Sync(Sync {
                    payload: r.take(n).ok_or_else(|| malformed("sync"))?,
                })
            }
            Some(Unpaired::TAG) => Message::Unpaired,
            Some(Release::TAG) => {
                Message::Release(Release::decode(&mut r).ok_or_else(|| malformed("release"))?)
            }
            Some(Rekey::TAG) => {
                Message::Rekey(Rekey::decode(&mut r).ok_or_else(|| malformed("rekey"))?)
            }
            Some(t) => return Err(NetError::Protocol(format!("unknown message type {t}"))),
            None => return Err(malformed("empty")),
        };
        if !r.is_empty() {
            return Err(malformed(msg.name()));
        }
        Ok(msg)
    }

    pub fn encode(&self) -> Result<Vec<u8>, NetError> {
        Ok(match self {
            Message::Hello(h) => h.encode(),
            Message::Sync(s) => s.encode()?,
            Message::Unpaired => Unpaired.encode(),
            Message::Release(m) => m.encode(),
            Message::Rekey(m) => m.encode().to_vec(),
        })
    }

    /// For errors and logs: the kind, never the content.
    pub fn name(&self) -> &'static str {
        match self {
            Message::Hello(_) => "hello",
            Message::Sync(_) => "sync",
            Message::Unpaired => "unpaired",
            Message::Release(_) => "release",
            Message::Rekey(_) => "rekey",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn messages_round_trip_and_refuse_trailing_bytes() {
        let hello = Message::Hello(Hello {
            addrs: vec!["127.0.0.1:5".parse().unwrap(), "[::1]:6".parse().unwrap()],
            relay: Some("http://10.1.2.3:3340".parse().unwrap()),
        });
        let payload = [7u8; 300];
        let sync = Message::Sync(Sync { payload: &payload });
        let id = [5; 16];
        for m in [
            hello,
            Message::Hello(Hello::default()),
            sync,
            Message::Unpaired,
            Message::Release(Release::Ask { id }),
            Message::Release(Release::Answer { id, accept: true }),
            Message::Release(Release::Answer { id, accept: false }),
            Message::Release(Release::Contribute {
                id,
                random: [7; 32],
                heads: vec![[1; 32], [2; 32]],
            }),
            Message::Release(Release::Retry { id }),
            Message::Release(Release::Committed { id }),
            Message::Rekey(Rekey {
                generation: 3,
                key: Secret32::from_bytes([1; 32]),
                removed: vec![[2; 32], [3; 32]],
                person: None,
            }),
            Message::Rekey(Rekey {
                generation: 1,
                key: Secret32::from_bytes([1; 32]),
                removed: vec![[2; 32]],
                person: Some((4, Secret32::from_bytes([5; 32]))),
            }),
        ] {
            let bytes = m.encode().unwrap();
            assert_eq!(Message::decode(&bytes).unwrap(), m);
            let mut long = bytes.clone();
            long.push(0);
            assert!(Message::decode(&long).is_err(), "{}", m.name());
            assert!(Message::decode(&bytes[..bytes.len() - 1]).is_err() || bytes.len() == 1);
        }
        let key = |g: u32| KeyId {
            generation: g,
            id: [g as u8; 8],
        };
        let g = Greeting {
            nonce: [9; 32],
            epoch: [4; 16],
            keys: vec![key(2), key(0)],
        };
        assert_eq!(Greeting::decode(&g.encode()).unwrap(), g);
        for len in 0..g.encode().len() {
            assert!(Greeting::decode(&g.encode()[..len]).is_err(), "{len}");
        }
        // No key, too many, the oldest first, one generation twice.
        for keys in [
            vec![],
            (0..9).rev().map(key).collect(),
            vec![key(0), key(2)],
            vec![key(2), key(2)],
        ] {
            let mut bytes = g.encode()[..49].to_vec();
            bytes.push(keys.len() as u8);
            for k in &keys {
                bytes.extend_from_slice(&k.generation.to_be_bytes());
                bytes.extend_from_slice(&k.id);
            }
            assert!(Greeting::decode(&bytes).is_err(), "{keys:?}");
        }
        for other in [3u8, 5] {
            let mut bytes = g.encode();
            bytes[0] = other;
            let err = Greeting::decode(&bytes).unwrap_err().to_string();
            assert!(err.contains(&format!("version {other}")), "{err}");
        }
        assert!(Message::decode(&[]).is_err());
        assert!(Message::decode(&[4]).is_err());
        assert!(Message::decode(&[5]).is_err());
        assert!(Message::decode(&[6]).is_err());
        // A rekey that removes nobody, too many, or whose person flag is not 0 or 1.
        let rekey = Rekey {
            generation: 1,
            key: Secret32::from_bytes([1; 32]),
            removed: vec![[2; 32]],
            person: None,
        };
        let mut nobody = rekey.encode().to_vec();
        nobody[37] = 0;
        nobody.drain(38..70);
        assert!(Message::decode(&nobody).is_err());
        let mut many = rekey.encode()[..37].to_vec();
        many.push(MAX_REMOVED as u8 + 1);
        many.extend(std::iter::repeat_n(2u8, 32 * (MAX_REMOVED + 1)));
        many.push(0);
        assert!(Message::decode(&many).is_err());
        let mut flag = rekey.encode().to_vec();
        *flag.last_mut().unwrap() = 2;
        assert!(Message::decode(&flag).is_err());
        // A release message with no heads, too many, or an answer that is not 0 or 1.
        let mut none = vec![Release::TAG, 3];
        none.extend_from_slice(&[0; 48]);
        none.extend_from_slice(&[0, 0]);
        assert!(Message::decode(&none).is_err());
        let mut many = vec![Release::TAG, 3];
        many.extend_from_slice(&[0; 48]);
        many.extend_from_slice(&((MAX_RELEASE_HEADS + 1) as u16).to_be_bytes());
        many.extend(std::iter::repeat_n(0u8, 32 * (MAX_RELEASE_HEADS + 1)));
        assert!(Message::decode(&many).is_err());
        let mut answer = Release::Answer { id, accept: true }.encode();
        *answer.last_mut().unwrap() = 2;
        assert!(Message::decode(&answer).is_err());
    }

    #[test]
    fn a_payload_over_the_cap_is_refused_both_ways() {
        let big = vec![0u8; MAX_PAYLOAD + 1];
        assert!(matches!(
            Sync { payload: &big }.encode(),
            Err(NetError::PayloadTooLarge(n)) if n == MAX_PAYLOAD + 1
        ));
        let mut header = vec![Sync::TAG];
        header.extend_from_slice(&((MAX_PAYLOAD + 1) as u32).to_be_bytes());
        assert!(matches!(
            Message::decode(&header),
            Err(NetError::PayloadTooLarge(_))
        ));
        let exact = vec![0u8; MAX_PAYLOAD];
        let bytes = Sync { payload: &exact }.encode().unwrap();
        assert_eq!(bytes.len() + TAG_LEN, MAX_FRAME);
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = Message::decode(&b);
            let _ = Greeting::decode(&b);
        }
    }
}
