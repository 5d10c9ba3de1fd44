//! The messages of `kintsugi/sync/1`, one small type each, as they travel inside a
//! frame ([`crate::frame`]). Only [`Greeting`] travels in the clear; every other
//! message is sealed ([`crate::secure`]) and parsed only after its frame opened.
//! Byte layouts are in PROTOCOL.md ("Sync messages"); each decoder refuses trailing
//! bytes, so one encoding has one meaning.

use std::net::SocketAddr;

use iroh::RelayUrl;
use kintsugi_crypto::TAG_LEN;

use crate::NetError;
use crate::wire::{Reader, put_addrs, put_long_bytes, put_relay};

/// The version of the sync protocol; the first byte of a [`Greeting`]. Version 2
/// added the relay to [`Hello`]; a version 1 device would refuse that hello as
/// malformed, so the greeting tells the two apart and names the older one. Version 3
/// added the epoch to the greeting and the [`Release`] messages.
pub const VERSION: u8 = 3;

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

/// Plaintext, first thing each way: `version | nonce | epoch`. The two nonces salt
/// the session keys, so no two sessions share one. The epoch names the journal the
/// sender holds (see [`super::release::epoch_id`]): two devices on different epochs
/// stop before any key is used, and the one whose epoch was released is told so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Greeting {
    pub nonce: [u8; 32],
    pub epoch: [u8; 16],
}

impl Greeting {
    pub const LEN: usize = 1 + 32 + 16;

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::LEN);
        out.push(VERSION);
        out.extend_from_slice(&self.nonce);
        out.extend_from_slice(&self.epoch);
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
        if !r.is_empty() {
            return Err(malformed("greeting"));
        }
        Ok(Self { nonce, epoch })
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

/// Any sealed message, as it comes out of an opened frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message<'a> {
    Hello(Hello),
    Sync(Sync<'a>),
    Unpaired,
    Release(Release),
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
        })
    }

    /// For errors and logs: the kind, never the content.
    pub fn name(&self) -> &'static str {
        match self {
            Message::Hello(_) => "hello",
            Message::Sync(_) => "sync",
            Message::Unpaired => "unpaired",
            Message::Release(_) => "release",
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
        ] {
            let bytes = m.encode().unwrap();
            assert_eq!(Message::decode(&bytes).unwrap(), m);
            let mut long = bytes.clone();
            long.push(0);
            assert!(Message::decode(&long).is_err(), "{}", m.name());
            assert!(Message::decode(&bytes[..bytes.len() - 1]).is_err() || bytes.len() == 1);
        }
        let g = Greeting {
            nonce: [9; 32],
            epoch: [4; 16],
        };
        assert_eq!(Greeting::decode(&g.encode()).unwrap(), g);
        assert!(Greeting::decode(&g.encode()[..48]).is_err());
        for other in [2u8, 4] {
            let mut bytes = g.encode();
            bytes[0] = other;
            let err = Greeting::decode(&bytes).unwrap_err().to_string();
            assert!(err.contains(&format!("version {other}")), "{err}");
        }
        assert!(Message::decode(&[]).is_err());
        assert!(Message::decode(&[4]).is_err());
        assert!(Message::decode(&[5]).is_err());
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
