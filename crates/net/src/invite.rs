//! The invite a device shows as a QR code and as copyable text.
//!
//! It carries where to reach the inviting device, a one-time secret and a commitment
//! to the inviter's ephemeral pairing key, nothing else: names and everything
//! personal travel later, inside the encrypted channel. The commitment is what makes
//! a swapped invite useless to a person in the middle (see [`crate::pair`]).
//! The text form is `KINTSUGI:` followed by base32, which uses only characters of the
//! QR alphanumeric mode (denser than byte mode, and robust to case changes when typed).
//!
//! An invite that links a person's own second device reads `KINTSUGI-LINK:` instead,
//! with the same body: the [`Purpose`] rides on the prefix, so the bytes every
//! derivation commits to keep one layout, and an invite shown before links existed
//! reads exactly as it did. The purpose is not a hint to be trusted, though: both
//! sides mix it into every derivation ([`crate::pair`]), so an invite read with the
//! wrong prefix simply fails to pair.

use std::net::SocketAddr;

use iroh::{EndpointAddr, EndpointId, RelayUrl, TransportAddr};
use kintsugi_crypto::{Secret32, sha256};

use crate::NetError;
use crate::wire::{Reader, put_addrs, put_relay};

const PREFIX: &str = "KINTSUGI:";
const LINK_PREFIX: &str = "KINTSUGI-LINK:";

/// What an invite is for. Linking hands the existing device's secrets to the new
/// one, pairing only agrees on a key with someone else: the two must never be
/// mistaken for each other, on the screen or on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// Pairs with the partner's device (`KINTSUGI:`).
    Partner,
    /// Links a second device of the same person (`KINTSUGI-LINK:`).
    OwnDevice,
}

impl Purpose {
    /// The text in front of the base32 body.
    pub fn prefix(self) -> &'static str {
        match self {
            Purpose::Partner => PREFIX,
            Purpose::OwnDevice => LINK_PREFIX,
        }
    }
}

/// Version 2 added the key commitment; a version 1 invite is refused, since pairing
/// without it can be steered by whoever swapped the invite. Version 3 has the same
/// layout, and says that the inviter's pairing hello carries its relay: a version 2
/// device would refuse that hello after the invite was burned, so the version
/// tells the two apart before anything is sent.
pub const VERSION: u8 = 3;

#[derive(Clone, PartialEq, Eq)]
pub struct Invite {
    pub endpoint: EndpointId,
    pub addrs: Vec<SocketAddr>,
    pub relay: Option<RelayUrl>,
    pub secret: Secret32,
    /// Unix seconds after which the inviter refuses it.
    pub expires: u64,
    /// SHA-256 commitment to the inviter's ephemeral X25519 key, made with the invite
    /// ([`crate::pair::commitment`]); the joiner refuses any other key.
    pub commitment: [u8; 32],
}

impl std::fmt::Debug for Invite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Invite")
            .field("endpoint", &self.endpoint.fmt_short().to_string())
            .field("addrs", &self.addrs)
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

impl Invite {
    /// An invite committing to `commitment`; see [`crate::pair::Offer::new`], which
    /// makes the key and the invite together.
    pub fn new(addr: &EndpointAddr, expires: u64, commitment: [u8; 32]) -> Result<Self, NetError> {
        Ok(Self {
            endpoint: addr.id,
            addrs: addr.ip_addrs().copied().collect(),
            relay: addr.relay_urls().next().cloned(),
            secret: Secret32::random()?,
            expires,
            commitment,
        })
    }

    pub fn endpoint_addr(&self) -> EndpointAddr {
        let mut addrs: Vec<TransportAddr> =
            self.addrs.iter().copied().map(TransportAddr::Ip).collect();
        if let Some(r) = &self.relay {
            addrs.push(TransportAddr::Relay(r.clone()));
        }
        EndpointAddr::from_parts(self.endpoint, addrs)
    }

    pub fn is_expired(&self, now_secs: u64) -> bool {
        now_secs >= self.expires
    }

    /// The canonical bytes: what the text encodes, and what the pairing transcript
    /// commits to.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128);
        out.push(VERSION);
        out.extend_from_slice(self.endpoint.as_bytes());
        out.extend_from_slice(&self.expires.to_be_bytes());
        out.extend_from_slice(self.secret.expose());
        out.extend_from_slice(&self.commitment);
        put_addrs(&mut out, &self.addrs);
        put_relay(&mut out, self.relay.as_ref());
        let sum = sha256(&[&out]);
        out.extend_from_slice(&sum[..4]);
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, NetError> {
        if bytes.len() < 5 {
            return Err(NetError::DamagedInvite);
        }
        let (body, sum) = bytes.split_at(bytes.len() - 4);
        if sha256(&[body])[..4] != *sum {
            return Err(NetError::DamagedInvite);
        }
        let mut r = Reader::new(body);
        let version = r.u8().ok_or(NetError::DamagedInvite)?;
        if version < 2 {
            return Err(NetError::OldInvite);
        }
        if version < VERSION {
            return Err(NetError::OutdatedInvite);
        }
        if version != VERSION {
            return Err(NetError::InviteVersion(version));
        }
        let mut parse = || -> Option<Invite> {
            let endpoint = EndpointId::from_bytes(&r.array::<32>()?).ok()?;
            let expires = r.u64()?;
            let secret = Secret32::from_bytes(r.array::<32>()?);
            let commitment = r.array::<32>()?;
            let addrs = r.addrs()?;
            let relay = r.relay()?;
            if !r.is_empty() {
                return None;
            }
            Some(Invite {
                endpoint,
                addrs,
                relay,
                secret,
                expires,
                commitment,
            })
        };
        parse().ok_or(NetError::DamagedInvite)
    }

    /// The text of a partner invite. A link invite's text comes from
    /// [`Invitation::to_text`] (or [`crate::Offer::to_text`]), which knows its purpose.
    pub fn to_text(&self) -> String {
        self.to_text_as(Purpose::Partner)
    }

    fn to_text_as(&self, purpose: Purpose) -> String {
        format!(
            "{}{}",
            purpose.prefix(),
            data_encoding::BASE32_NOPAD.encode(&self.to_bytes())
        )
    }

    /// Reads a partner invite. A link invite is refused by name rather than read as a
    /// partner one: every caller of this function pairs with a partner, and a person
    /// who pasted the code of their own other device is better told so at once than
    /// refused by that device a moment later. [`Invitation::from_text`] reads both.
    pub fn from_text(text: &str) -> Result<Self, NetError> {
        Invitation::from_text(text)?
            .require(Purpose::Partner)
            .map(|i| i.invite)
    }
}

/// An invite together with what it is for, as its text says: what a joiner reads,
/// and what [`crate::pair::join_invitation`] takes, so that the purpose travels with
/// the invite from the QR code to the handshake and is never supplied separately.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub invite: Invite,
    pub purpose: Purpose,
}

impl Invitation {
    pub fn to_text(&self) -> String {
        self.invite.to_text_as(self.purpose)
    }

    /// Accepts the text however it was carried: any case, with spaces or line breaks
    /// a messenger may have added; the prefix says the purpose.
    pub fn from_text(text: &str) -> Result<Self, NetError> {
        let cleaned: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        let (purpose, body) = [Purpose::Partner, Purpose::OwnDevice]
            .into_iter()
            .find_map(|p| cleaned.strip_prefix(p.prefix()).map(|body| (p, body)))
            .ok_or(NetError::NotAnInvite)?;
        let bytes = data_encoding::BASE32_NOPAD
            .decode(body.as_bytes())
            .map_err(|_| NetError::DamagedInvite)?;
        Ok(Self {
            invite: Invite::from_bytes(&bytes)?,
            purpose,
        })
    }

    /// This invitation if it is for `purpose`, else an error that names what it is
    /// for: for a screen that takes one kind only.
    pub fn require(self, purpose: Purpose) -> Result<Self, NetError> {
        if self.purpose == purpose {
            Ok(self)
        } else {
            Err(NetError::WrongInviteKind(self.purpose))
        }
    }
}

impl std::ops::Deref for Invitation {
    type Target = Invite;
    fn deref(&self) -> &Invite {
        &self.invite
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> Invite {
        let id = iroh::SecretKey::from_bytes(&[3; 32]).public();
        Invite {
            endpoint: id,
            addrs: vec![
                "127.0.0.1:4242".parse().unwrap(),
                "[::1]:4243".parse().unwrap(),
            ],
            relay: None,
            secret: Secret32::from_bytes([9; 32]),
            expires: 1_800_000_000,
            commitment: [5; 32],
        }
    }

    #[test]
    fn text_round_trip_and_alphanumeric_only() {
        let inv = sample();
        let text = inv.to_text();
        assert!(
            text.chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase() || " $%*+-./:".contains(c))
        );
        assert_eq!(Invite::from_text(&text).unwrap(), inv);
        assert_eq!(Invite::from_text(&text.to_lowercase()).unwrap(), inv);
        let spaced: String = text
            .chars()
            .enumerate()
            .flat_map(|(i, c)| if i % 10 == 9 { vec![c, '\n'] } else { vec![c] })
            .collect();
        assert_eq!(Invite::from_text(&spaced).unwrap(), inv);
    }

    #[test]
    fn relay_url_round_trips() {
        let mut inv = sample();
        inv.relay = Some("https://relay.example.org./".parse().unwrap());
        assert_eq!(Invite::from_text(&inv.to_text()).unwrap(), inv);
    }

    #[test]
    fn garbage_and_damage_are_named() {
        assert!(matches!(
            Invite::from_text("hello"),
            Err(NetError::NotAnInvite)
        ));
        assert!(matches!(
            Invite::from_text("KINTSUGI:!!"),
            Err(NetError::DamagedInvite)
        ));
        let text = sample().to_text();
        // One changed character anywhere after the prefix is caught.
        for i in PREFIX.len()..text.len() {
            let mut chars: Vec<char> = text.chars().collect();
            chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
            let bad: String = chars.into_iter().collect();
            assert!(Invite::from_text(&bad).is_err(), "change at {i} unnoticed");
        }
        assert!(Invite::from_text(&text[..text.len() - 3]).is_err());
    }

    #[test]
    fn both_prefixes_round_trip_with_their_purpose() {
        let inv = sample();
        for purpose in [Purpose::Partner, Purpose::OwnDevice] {
            let invitation = Invitation {
                invite: inv.clone(),
                purpose,
            };
            let text = invitation.to_text();
            assert!(text.starts_with(purpose.prefix()), "{text}");
            assert_eq!(Invitation::from_text(&text).unwrap(), invitation);
            assert_eq!(
                Invitation::from_text(&text.to_lowercase()).unwrap(),
                invitation
            );
            let spaced = text.replace('A', "A \n");
            assert_eq!(Invitation::from_text(&spaced).unwrap(), invitation);
            assert_eq!(
                invitation.clone().require(purpose).unwrap(),
                invitation.clone()
            );
        }
        // The body is the same; only the prefix differs, and a partner invite reads
        // exactly as before.
        let link = Invitation {
            invite: inv.clone(),
            purpose: Purpose::OwnDevice,
        }
        .to_text();
        assert_eq!(
            link.strip_prefix(LINK_PREFIX),
            inv.to_text().strip_prefix(PREFIX)
        );
        assert_eq!(Invite::from_text(&inv.to_text()).unwrap(), inv);
        // Read where a partner invite is expected, a link invite is refused by name.
        let err = Invite::from_text(&link).unwrap_err();
        assert!(
            matches!(err, NetError::WrongInviteKind(Purpose::OwnDevice)),
            "{err}"
        );
        assert!(err.to_string().contains("invite"));
        let err = Invitation::from_text(&inv.to_text())
            .unwrap()
            .require(Purpose::OwnDevice)
            .unwrap_err();
        assert!(
            matches!(err, NetError::WrongInviteKind(Purpose::Partner)),
            "{err}"
        );
    }

    #[test]
    fn link_garbage_is_named() {
        assert!(matches!(
            Invitation::from_text("KINTSUGI-LINK:!!"),
            Err(NetError::DamagedInvite)
        ));
        assert!(matches!(
            Invitation::from_text("KINTSUGI-LINK:"),
            Err(NetError::DamagedInvite)
        ));
        assert!(matches!(
            Invitation::from_text("KINTSUGI-LINKS:AAAA"),
            Err(NetError::NotAnInvite)
        ));
        let text = Invitation {
            invite: sample(),
            purpose: Purpose::OwnDevice,
        }
        .to_text();
        for i in LINK_PREFIX.len()..text.len() {
            let mut chars: Vec<char> = text.chars().collect();
            chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
            let bad: String = chars.into_iter().collect();
            assert!(
                Invitation::from_text(&bad).is_err(),
                "change at {i} unnoticed"
            );
        }
        assert!(matches!(
            Invitation::from_text(&text[..text.len() - 3]),
            Err(NetError::DamagedInvite)
        ));
    }

    #[test]
    fn older_and_newer_invites_are_refused_by_name() {
        let mut body = sample().to_bytes();
        body.truncate(body.len() - 4);
        body[0] = 1;
        let sum = sha256(&[&body]);
        body.extend_from_slice(&sum[..4]);
        let text = format!("{PREFIX}{}", data_encoding::BASE32_NOPAD.encode(&body));
        assert!(matches!(Invite::from_text(&text), Err(NetError::OldInvite)));
        body[0] = 2;
        body.truncate(body.len() - 4);
        let sum = sha256(&[&body]);
        body.extend_from_slice(&sum[..4]);
        assert!(matches!(
            Invite::from_bytes(&body),
            Err(NetError::OutdatedInvite)
        ));
        body[0] = 4;
        body.truncate(body.len() - 4);
        let sum = sha256(&[&body]);
        body.extend_from_slice(&sum[..4]);
        assert!(matches!(
            Invite::from_bytes(&body),
            Err(NetError::InviteVersion(4))
        ));
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(s in ".{0,300}") {
            let _ = Invite::from_text(&s);
            let _ = Invitation::from_text(&s);
            let _ = Invitation::from_text(&format!("{LINK_PREFIX}{s}"));
        }

        #[test]
        fn arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = Invite::from_bytes(&b);
            let _ = Invite::from_text(&format!("{PREFIX}{}", data_encoding::BASE32_NOPAD.encode(&b)));
        }
    }
}
