//! The pairing protocol, `kintsugi/pair/2`.
//!
//! ```text
//! invite             … | secret | c = SHA-256("kintsugi/pair/2 commitment" | I) | …
//! joiner → inviter   JoinRequest: version=2 | J | HMAC(secret, "joiner" | th0 | J)
//! inviter → joiner   Reply: 0 | I | HMAC(secret, "inviter" | th0 | J | I)
//!                    (1 = expired, 2 = refused, 3 = already used; then it closes)
//! joiner             refuses I unless SHA-256(label | I) = c, before deriving anything
//! both               couple key, SAS = HKDF(salt = secret, X25519(J, I), label | th)
//! joiner ⇄ inviter   sealed Hello: name, current addresses, relay
//! joiner ⇄ inviter   sealed Decision (after each person compared the SAS)
//! ```
//! `th0` commits to the whole invite (commitment included) and both endpoint ids as
//! proven by QUIC's TLS, so a MAC cannot be replayed to or from another device. Only
//! someone who holds the invite secret can produce the joiner's MAC, and the inviter
//! burns the invite on the first valid one. The SAS catches the person in the middle
//! who photographed the code: their keys differ, so the two screens show different
//! digits.
//!
//! The commitment closes the other way in: someone who *swaps* the invite on its way
//! (a messenger, an email) makes their own invite, so they know its secret and can
//! answer the joiner. Without a commitment they could read J first and then try keys
//! I until the six digits equal those of their own session with the real inviter
//! (about a million tries: seconds of work). With it, I is fixed before J exists, so
//! each of their sessions is one guess in a million, and it burns an invite.
//!
//! ## Linking a device of one's own, `kintsugi/link/1`
//!
//! The same handshake links a person's second device to their first: the first shows
//! an invite reading `KINTSUGI-LINK:` ([`Purpose::OwnDevice`]), the second joins it,
//! both show the SAS, and once both people said yes the inviter hands over what the
//! new device needs (opaque here) and the joiner says it stored it:
//!
//! ```text
//! joiner ⇄ inviter   sealed Decision, as above
//! inviter → joiner   sealed Transfer: 0x10 | u32 len | bytes (at most MAX_TRANSFER)
//! joiner → inviter   sealed LinkDone: 0x11
//! ```
//! Every derivation takes the purpose's own label: `kintsugi/link/1` instead of
//! `kintsugi/pair/2` in `th0`, in the commitment and in the sealed channel, while a
//! partner pairing stays byte for byte as it was. A link hands over everything the
//! first device holds, so it must never complete with a device that believes it is
//! pairing with a partner, nor a pairing with one that believes it is linking (it
//! would take the partner for its own device). The purpose is never sent: each side
//! knows it (the inviter from its [`Offer`], the joiner from the invite's prefix),
//! and because `th0` depends on it, two sides that disagree fail at the joiner's MAC,
//! before any key exists; no MAC, key or frame of one kind is valid in the other.
//!
//! The inviter confirms in two steps, [`PendingPairing::confirm_link`] then
//! [`LinkAgreed::send`], so that it can record the new device before anything secret
//! leaves: a device that sent its secrets and then failed to note who has them could
//! never tell the person which devices to distrust. `LinkDone` only informs: when it
//! does not come, the inviter has already committed, and the person is asked to check
//! the new device.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use iroh::endpoint::{Connection, RecvStream, SendStream};
use iroh::{EndpointAddr, EndpointId, RelayUrl};
use kintsugi_crypto::{
    EphemeralKeypair, PairingKeys, Secret32, TAG_LEN, derive_key, hmac_sha256, pairing_keys,
    sha256, verify_hmac_sha256,
};
use zeroize::Zeroizing;

use crate::close;
use crate::frame::{FrameReader, FrameWriter};
use crate::invite::{Invitation, Purpose};
use crate::secure::{Direction, Opener, Sealer};
use crate::wire::{Reader, put_addrs, put_long_bytes, put_relay, put_short_bytes};
use crate::{Invite, NetError, Node, PAIR_ALPN};

/// The pairing version, the same as the invite's ([`crate::invite::VERSION`]).
pub const VERSION: u8 = crate::invite::VERSION;
/// Pairing messages are tiny; anything bigger is hostile.
const MAX_PAIR_FRAME: usize = 4096;
pub const LABEL: &[u8] = b"kintsugi/pair/2";
const COMMITMENT_LABEL: &[u8] = b"kintsugi/pair/2 commitment";
/// [`LABEL`]'s counterpart for linking one's own device: see the module doc.
pub const LINK_LABEL: &[u8] = b"kintsugi/link/1";
const LINK_COMMITMENT_LABEL: &[u8] = b"kintsugi/link/1 commitment";
/// The most a link may hand to the new device in its one [`Transfer`]: keys and a
/// few settings, not a journal (that follows by sync). Small enough that the frame
/// cap, raised for this one frame only, costs a hostile inviter's victim nothing.
pub const MAX_TRANSFER: usize = 16 * 1024;
/// The cap for the sealed [`Transfer`] frame, the one frame bigger than a pairing
/// message, and only once both people said yes.
const MAX_TRANSFER_FRAME: usize = Transfer::HEADER_LEN + MAX_TRANSFER + TAG_LEN;
/// How long the new device waits for the [`Transfer`] after both said yes: the
/// inviter's caller records the new device first, which may mean a disk write or two.
pub const TRANSFER_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the inviter waits for [`LinkDone`] after sending the transfer.
pub const LINK_DONE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one side waits for the other person to compare the codes.
pub const DECISION_TIMEOUT: Duration = Duration::from_secs(600);
const STEP_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a joiner may take to open its stream and send its first message. An
/// honest joiner sends it at once; a silent connection must not hold the invite.
pub const FIRST_MESSAGE_TIMEOUT: Duration = Duration::from_secs(4);
/// Attempts served at once; more are told "busy" (a distinct close code), so that
/// someone opening silent connections cannot make the invite look used.
pub const MAX_ATTEMPTS: usize = 32;

/// The label a purpose's derivations are separated by (see the module doc).
pub fn label(purpose: Purpose) -> &'static [u8] {
    match purpose {
        Purpose::Partner => LABEL,
        Purpose::OwnDevice => LINK_LABEL,
    }
}

/// The commitment to the inviter's ephemeral key that a partner invite carries.
pub fn commitment(inviter_key: &[u8; 32]) -> [u8; 32] {
    commitment_for(Purpose::Partner, inviter_key)
}

/// The commitment an invite for `purpose` carries: a key committed to for one
/// purpose is refused by a joiner of the other, even if everything else matched.
pub fn commitment_for(purpose: Purpose, inviter_key: &[u8; 32]) -> [u8; 32] {
    let label = match purpose {
        Purpose::Partner => COMMITMENT_LABEL,
        Purpose::OwnDevice => LINK_COMMITMENT_LABEL,
    };
    sha256(&[label, inviter_key])
}

/// An invite together with the ephemeral key it commits to: what the inviting device
/// keeps while the invite is shown. The key is used once, by the first attempt that
/// proves it holds the invite secret, and is gone after that.
pub struct Offer {
    invite: Invite,
    purpose: Purpose,
    key: Arc<Mutex<Option<EphemeralKeypair>>>,
}

impl Offer {
    /// An invite to pair with a partner.
    pub fn new(addr: &EndpointAddr, expires: u64) -> Result<Self, NetError> {
        Self::with_purpose(addr, expires, Purpose::Partner)
    }

    /// An invite to link a second device of this person's own.
    pub fn new_link(addr: &EndpointAddr, expires: u64) -> Result<Self, NetError> {
        Self::with_purpose(addr, expires, Purpose::OwnDevice)
    }

    pub fn with_purpose(
        addr: &EndpointAddr,
        expires: u64,
        purpose: Purpose,
    ) -> Result<Self, NetError> {
        let key = EphemeralKeypair::generate();
        let invite = Invite::new(addr, expires, commitment_for(purpose, &key.public()))?;
        Ok(Self {
            invite,
            purpose,
            key: Arc::new(Mutex::new(Some(key))),
        })
    }

    /// The invite's body. Its own [`Invite::to_text`] says "partner": show
    /// [`Offer::to_text`], which carries this offer's purpose.
    pub fn invite(&self) -> &Invite {
        &self.invite
    }

    pub fn purpose(&self) -> Purpose {
        self.purpose
    }

    /// The invite with its purpose, as a joiner reads it.
    pub fn invitation(&self) -> Invitation {
        Invitation {
            invite: self.invite.clone(),
            purpose: self.purpose,
        }
    }

    /// The text (and QR content) to show, with the prefix of this offer's purpose.
    /// It shadows [`Invite::to_text`] (reached through `Deref`), so that every place
    /// that shows `offer.to_text()` shows a link invite as one.
    pub fn to_text(&self) -> String {
        self.invitation().to_text()
    }

    /// Whether the key was already given to an attempt (the invite is burned).
    pub fn is_used(&self) -> bool {
        self.key.lock().map(|k| k.is_none()).unwrap_or(true)
    }
}

impl std::ops::Deref for Offer {
    type Target = Invite;
    fn deref(&self) -> &Invite {
        &self.invite
    }
}

impl std::fmt::Debug for Offer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Offer")
            .field("invite", &self.invite)
            .field("purpose", &self.purpose)
            .finish_non_exhaustive()
    }
}

// ---- Messages ---------------------------------------------------------------------

/// joiner → inviter, the first message: `version | J | MAC`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinRequest {
    pub joiner_key: [u8; 32],
    pub mac: [u8; 32],
}

impl JoinRequest {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(65);
        out.push(VERSION);
        out.extend_from_slice(&self.joiner_key);
        out.extend_from_slice(&self.mac);
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, NetError> {
        let mut r = Reader::new(bytes);
        match r.u8() {
            Some(VERSION) => {}
            Some(v) if v < 2 => return Err(NetError::OldInvite),
            Some(v) if v < VERSION => return Err(NetError::OutdatedInvite),
            _ => return Err(NetError::Protocol("unknown pairing version".into())),
        }
        let bad = || NetError::Protocol("bad join request".into());
        let joiner_key = r.array().ok_or_else(bad)?;
        let mac = r.array().ok_or_else(bad)?;
        if !r.is_empty() {
            return Err(bad());
        }
        Ok(Self { joiner_key, mac })
    }
}

/// inviter → joiner, the answer to a [`JoinRequest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Accepted {
        inviter_key: [u8; 32],
        mac: [u8; 32],
    },
    Expired,
    Refused,
    AlreadyUsed,
}

impl Reply {
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Reply::Accepted { inviter_key, mac } => {
                let mut out = Vec::with_capacity(65);
                out.push(0);
                out.extend_from_slice(inviter_key);
                out.extend_from_slice(mac);
                out
            }
            Reply::Expired => vec![1],
            Reply::Refused => vec![2],
            Reply::AlreadyUsed => vec![3],
        }
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, NetError> {
        let mut r = Reader::new(bytes);
        let bad = || NetError::Protocol("bad reply".into());
        let reply = match r.u8() {
            Some(0) => Reply::Accepted {
                inviter_key: r.array().ok_or_else(bad)?,
                mac: r.array().ok_or_else(bad)?,
            },
            Some(1) => Reply::Expired,
            Some(2) => Reply::Refused,
            Some(3) => Reply::AlreadyUsed,
            _ => return Err(bad()),
        };
        if !r.is_empty() {
            return Err(bad());
        }
        Ok(reply)
    }
}

/// Both ways, sealed: who is pairing and where they can be reached, directly or
/// through a relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hello {
    pub name: String,
    pub addrs: Vec<SocketAddr>,
    pub relay: Option<RelayUrl>,
}

impl Hello {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        // A name longer than the length byte allows is cut at a character boundary.
        let mut end = self.name.len().min(255);
        while !self.name.is_char_boundary(end) {
            end -= 1;
        }
        put_short_bytes(&mut out, &self.name.as_bytes()[..end]);
        put_addrs(&mut out, &self.addrs);
        put_relay(&mut out, self.relay.as_ref());
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, NetError> {
        let mut r = Reader::new(bytes);
        let bad = || NetError::Protocol("bad hello".into());
        let name = String::from_utf8_lossy(r.short_bytes().ok_or_else(bad)?).into_owned();
        let addrs = r.addrs().ok_or_else(bad)?;
        let relay = r.relay().ok_or_else(bad)?;
        if !r.is_empty() {
            return Err(bad());
        }
        Ok(Self { name, addrs, relay })
    }
}

/// Both ways, sealed: whether this person said the codes match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision(pub bool);

impl Decision {
    pub fn encode(self) -> Vec<u8> {
        vec![u8::from(self.0)]
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, NetError> {
        match bytes {
            [1] => Ok(Decision(true)),
            [0] => Ok(Decision(false)),
            _ => Err(NetError::Protocol("bad decision message".into())),
        }
    }
}

/// inviter → joiner, sealed, on a link once both said yes: what the new device needs,
/// opaque to this crate (`tag | long(payload)`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Transfer<'a> {
    pub payload: &'a [u8],
}

impl std::fmt::Debug for Transfer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The payload is secret: its length is all a log may show.
        f.debug_struct("Transfer")
            .field("len", &self.payload.len())
            .finish_non_exhaustive()
    }
}

impl<'a> Transfer<'a> {
    /// Apart from a [`Decision`]'s 0 and 1, so that a frame out of its place can never
    /// be read as the message expected there.
    pub const TAG: u8 = 0x10;
    /// The tag and the length in front of the payload.
    pub const HEADER_LEN: usize = 1 + 4;

    /// Refuses a payload over [`MAX_TRANSFER`]: the new device would refuse it anyway,
    /// after the person had been told the link was made. The encoding holds the
    /// secret, so it is wiped when dropped.
    pub fn encode(&self) -> Result<Zeroizing<Vec<u8>>, NetError> {
        if self.payload.len() > MAX_TRANSFER {
            return Err(NetError::TransferTooLarge(self.payload.len()));
        }
        let mut out = Zeroizing::new(Vec::with_capacity(Self::HEADER_LEN + self.payload.len()));
        out.push(Self::TAG);
        put_long_bytes(&mut out, self.payload);
        Ok(out)
    }

    pub fn decode(bytes: &'a [u8]) -> Result<Self, NetError> {
        let mut r = Reader::new(bytes);
        let bad = || NetError::Protocol("bad transfer message".into());
        if r.u8() != Some(Self::TAG) {
            return Err(bad());
        }
        let len = r.u32().ok_or_else(bad)? as usize;
        if len > MAX_TRANSFER {
            return Err(NetError::Protocol(format!(
                "a transfer of {len} bytes, more than the {MAX_TRANSFER} allowed"
            )));
        }
        let payload = r.take(len).ok_or_else(bad)?;
        if !r.is_empty() {
            return Err(bad());
        }
        Ok(Self { payload })
    }
}

/// joiner → inviter, sealed, on a link: the new device stored the [`Transfer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkDone;

impl LinkDone {
    pub const TAG: u8 = 0x11;

    pub fn encode(self) -> Vec<u8> {
        vec![Self::TAG]
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, NetError> {
        match bytes {
            [Self::TAG] => Ok(LinkDone),
            _ => Err(NetError::Protocol("bad link-done message".into())),
        }
    }
}

// ---- The transcript ---------------------------------------------------------------

/// `th0` of a partner pairing: see [`th0_for`].
pub fn th0(invite: &Invite, inviter: &EndpointId, joiner: &EndpointId) -> [u8; 32] {
    th0_for(Purpose::Partner, invite, inviter, joiner)
}

/// `th0` binds the purpose (by its label), the invite (with its commitment) and both
/// endpoint ids; every MAC and key after it inherits all four.
pub fn th0_for(
    purpose: Purpose,
    invite: &Invite,
    inviter: &EndpointId,
    joiner: &EndpointId,
) -> [u8; 32] {
    sha256(&[
        label(purpose),
        &invite.to_bytes(),
        inviter.as_bytes(),
        joiner.as_bytes(),
    ])
}

pub fn joiner_mac(secret: &Secret32, th0: &[u8; 32], j: &[u8; 32]) -> [u8; 32] {
    hmac_sha256(secret.expose(), &[b"joiner", th0, j])
}

pub fn inviter_mac(secret: &Secret32, th0: &[u8; 32], j: &[u8; 32], i: &[u8; 32]) -> [u8; 32] {
    hmac_sha256(secret.expose(), &[b"inviter", th0, j, i])
}

/// The transcript hash both sides derive the couple key and the SAS from.
pub fn transcript_hash(th0: &[u8; 32], j: &[u8; 32], i: &[u8; 32]) -> [u8; 32] {
    sha256(&[th0, j, i])
}

/// What both sides derive once the keys are exchanged: the couple key and the SAS.
pub fn derive(secret: &Secret32, shared: &Secret32, th: &[u8; 32]) -> PairingKeys {
    pairing_keys(secret, shared, th)
}

// ---- The pending pairing ----------------------------------------------------------

/// What a successful pairing leaves with each device.
#[derive(Debug)]
pub struct Paired {
    pub couple_key: Secret32,
    pub partner: EndpointId,
    pub partner_name: String,
    pub partner_addrs: Vec<SocketAddr>,
    pub partner_relay: Option<RelayUrl>,
}

/// Keys agreed, codes ready to compare; nothing stored yet.
pub struct PendingPairing {
    conn: Connection,
    reader: FrameReader<RecvStream>,
    writer: FrameWriter<SendStream>,
    sealer: Sealer,
    opener: Opener,
    keys: PairingKeys,
    purpose: Purpose,
    /// Whether this side showed the invite (a link's inviter sends the transfer).
    inviter: bool,
    partner: EndpointId,
    partner_name: String,
    partner_addrs: Vec<SocketAddr>,
    partner_relay: Option<RelayUrl>,
}

impl std::fmt::Debug for PendingPairing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingPairing")
            .field("partner", &self.partner.fmt_short().to_string())
            .field("purpose", &self.purpose)
            .finish_non_exhaustive()
    }
}

impl PendingPairing {
    /// The short authentication string both screens show.
    pub fn sas(&self) -> &str {
        &self.keys.sas
    }

    pub fn partner_name(&self) -> &str {
        &self.partner_name
    }

    pub fn partner(&self) -> EndpointId {
        self.partner
    }

    /// Whether this is a pairing with a partner or a link of one's own device: it
    /// says which of [`PendingPairing::confirm`] and the `confirm_link` calls applies.
    pub fn purpose(&self) -> Purpose {
        self.purpose
    }

    /// Sends this person's decision and waits for the other's. Pairing completes only
    /// if both said the codes match; otherwise nothing is returned to store.
    pub async fn confirm(mut self, matches: bool) -> Result<Paired, NetError> {
        self.check_kind(Purpose::Partner, None)?;
        self.decide(matches).await?;
        let paired = Paired {
            couple_key: self.keys.couple_key.clone(),
            partner: self.partner,
            partner_name: self.partner_name.clone(),
            partner_addrs: self.partner_addrs.clone(),
            partner_relay: self.partner_relay.clone(),
        };
        finish_and_close(&self.conn, &mut self.writer).await;
        Ok(paired)
    }

    /// The inviter of a link: sends this person's decision and waits for the other's,
    /// as [`PendingPairing::confirm`] does. When both said yes, nothing more has been
    /// sent: the caller records the new device, then hands it its secrets with
    /// [`LinkAgreed::send`].
    pub async fn confirm_link(mut self, matches: bool) -> Result<LinkAgreed, NetError> {
        self.check_kind(Purpose::OwnDevice, Some(true))?;
        self.decide(matches).await?;
        Ok(LinkAgreed {
            conn: self.conn,
            reader: self.reader,
            writer: self.writer,
            sealer: self.sealer,
            opener: self.opener,
            device: self.partner,
            name: self.partner_name,
            addrs: self.partner_addrs,
            relay: self.partner_relay,
        })
    }

    /// The new device of a link: sends this person's decision, waits for the other's
    /// and then for the inviter's [`Transfer`]. The caller stores what it received,
    /// and only then calls [`LinkFinish::done`], so that the inviter's "done" means
    /// the new device has it.
    pub async fn confirm_link_receive(mut self, matches: bool) -> Result<LinkReceived, NetError> {
        self.check_kind(Purpose::OwnDevice, Some(false))?;
        self.decide(matches).await?;
        let received = self.receive_transfer().await;
        match received {
            Ok(transfer) => Ok(LinkReceived {
                transfer,
                inviter: self.partner,
                name: self.partner_name,
                addrs: self.partner_addrs,
                relay: self.partner_relay,
                finish: LinkFinish {
                    conn: self.conn,
                    _reader: self.reader,
                    writer: self.writer,
                    sealer: self.sealer,
                },
            }),
            Err(e) => {
                close::close(&self.conn, close::Code::JoinFailed);
                Err(e)
            }
        }
    }

    async fn receive_transfer(&mut self) -> Result<Zeroizing<Vec<u8>>, NetError> {
        // Only now, after both said yes, may a frame be bigger than a pairing message.
        self.reader.set_max(MAX_TRANSFER_FRAME);
        let frame = within(TRANSFER_TIMEOUT, async {
            self.reader.read().await.map_err(interrupted)
        })
        .await?
        .ok_or(NetError::Interrupted)?;
        let plain = self.opener.open(&frame)?;
        let transfer = Transfer::decode(&plain)?;
        Ok(Zeroizing::new(transfer.payload.to_vec()))
    }

    /// Refuses to finish this attempt as something it is not: a link confirmed as a
    /// pairing would store the person's own device as their partner, a pairing
    /// confirmed as a link would hand a partner the person's secrets (or take the
    /// partner's). The connection is closed, so the other side is not left waiting.
    fn check_kind(&self, purpose: Purpose, inviter: Option<bool>) -> Result<(), NetError> {
        let why = if self.purpose != purpose {
            match self.purpose {
                Purpose::OwnDevice => {
                    "a link between one person's devices was confirmed as a pairing"
                }
                Purpose::Partner => "a pairing with a partner was confirmed as a link",
            }
        } else if inviter.is_some_and(|i| i != self.inviter) {
            if self.inviter {
                "the inviting device of a link was asked to receive the transfer it sends"
            } else {
                "the joining device of a link was asked to send the transfer it receives"
            }
        } else {
            return Ok(());
        };
        let code = if self.inviter {
            close::Code::Refused
        } else {
            close::Code::JoinFailed
        };
        close::close(&self.conn, code);
        Err(NetError::Protocol(why.into()))
    }

    /// Sends this person's decision and reads the other's: `Ok` only if both said the
    /// codes match. On any other outcome the connection is closed here, so nothing can
    /// follow the decisions.
    async fn decide(&mut self, matches: bool) -> Result<(), NetError> {
        let sealed = self.sealer.seal(&Decision(matches).encode())?;
        self.writer.write(&sealed).await?;
        if !matches {
            let _ = self.writer.get_mut().finish();
            tokio::time::sleep(Duration::from_millis(100)).await;
            close::close(&self.conn, close::Code::Done);
            return Err(NetError::Declined);
        }
        let frame = tokio::time::timeout(DECISION_TIMEOUT, self.reader.read())
            .await
            .map_err(|_| NetError::Timeout)?
            .map_err(interrupted)?
            .ok_or(NetError::Interrupted)?;
        match Decision::decode(&self.opener.open(&frame)?) {
            Ok(Decision(true)) => Ok(()),
            theirs => {
                finish_and_close(&self.conn, &mut self.writer).await;
                Err(match theirs {
                    Ok(_) => NetError::PartnerDeclined,
                    Err(e) => e,
                })
            }
        }
    }
}

/// A connection that ends while waiting for the other person: what they meant is
/// unknown, and nothing was stored.
fn interrupted(e: NetError) -> NetError {
    match e {
        NetError::Closed | NetError::Io(_) => NetError::Interrupted,
        other => other,
    }
}

async fn finish_and_close(conn: &Connection, writer: &mut FrameWriter<SendStream>) {
    let _ = writer.get_mut().finish();
    // Give the last frame a moment to leave before closing.
    tokio::time::sleep(Duration::from_millis(50)).await;
    close::close(conn, close::Code::Done);
}

/// Both people said yes to a link, on the inviting device; nothing secret has left
/// yet. The new device waits [`TRANSFER_TIMEOUT`] for [`LinkAgreed::send`]; dropping
/// this instead closes the connection, and the new device is told it was interrupted.
pub struct LinkAgreed {
    conn: Connection,
    reader: FrameReader<RecvStream>,
    writer: FrameWriter<SendStream>,
    sealer: Sealer,
    opener: Opener,
    device: EndpointId,
    name: String,
    addrs: Vec<SocketAddr>,
    relay: Option<RelayUrl>,
}

impl std::fmt::Debug for LinkAgreed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkAgreed")
            .field("device", &self.device.fmt_short().to_string())
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl LinkAgreed {
    /// The new device, to record before [`LinkAgreed::send`].
    pub fn device(&self) -> EndpointId {
        self.device
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    pub fn relay(&self) -> Option<&RelayUrl> {
        self.relay.as_ref()
    }

    /// Hands `transfer` (at most [`MAX_TRANSFER`] bytes) to the new device, then waits
    /// up to [`LINK_DONE_TIMEOUT`] for it to say it stored it. A transfer too large is
    /// refused before a byte of it is sent. Once it was sent, a missing or garbled
    /// answer is no error (the secrets are out, whatever the new device did with
    /// them): [`LinkSent::done`] says whether the answer came.
    pub async fn send(mut self, transfer: &[u8]) -> Result<LinkSent, NetError> {
        let sealed = Transfer { payload: transfer }
            .encode()
            .and_then(|message| self.sealer.seal(&message));
        let sealed = match sealed {
            Ok(sealed) => sealed,
            Err(e) => {
                close::close(&self.conn, close::Code::Refused);
                return Err(e);
            }
        };
        self.writer.set_max(MAX_TRANSFER_FRAME);
        if let Err(e) = step(self.writer.write(&sealed)).await {
            close::close(&self.conn, close::Code::Refused);
            return Err(interrupted(e));
        }
        let done = match within(LINK_DONE_TIMEOUT, self.reader.read()).await {
            Ok(Some(frame)) => match self.opener.open(&frame).and_then(|m| LinkDone::decode(&m)) {
                Ok(LinkDone) => true,
                Err(e) => {
                    tracing::warn!(error = %e, "the new device answered the transfer with something else than done");
                    false
                }
            },
            Ok(None) => {
                tracing::info!("the new device closed without saying it stored the transfer");
                false
            }
            Err(e) => {
                tracing::info!(error = %e, "no word from the new device after the transfer");
                false
            }
        };
        finish_and_close(&self.conn, &mut self.writer).await;
        Ok(LinkSent {
            device: self.device,
            name: self.name,
            addrs: self.addrs,
            relay: self.relay,
            done,
        })
    }
}

/// What the inviting device of a link is left with once the transfer left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkSent {
    pub device: EndpointId,
    pub name: String,
    pub addrs: Vec<SocketAddr>,
    pub relay: Option<RelayUrl>,
    /// Whether the new device said it stored the transfer ([`LinkDone`]). When it
    /// did not, the link may still have worked; the person should look at the new
    /// device.
    pub done: bool,
}

/// What the new device of a link received. Store it, then call
/// [`LinkFinish::done`] on `finish`.
pub struct LinkReceived {
    /// The inviter's transfer, wiped from memory when dropped.
    pub transfer: Zeroizing<Vec<u8>>,
    pub inviter: EndpointId,
    pub name: String,
    pub addrs: Vec<SocketAddr>,
    pub relay: Option<RelayUrl>,
    pub finish: LinkFinish,
}

impl std::fmt::Debug for LinkReceived {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkReceived")
            .field("transfer_len", &self.transfer.len())
            .field("inviter", &self.inviter.fmt_short().to_string())
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// The last step of a link on the new device: tells the inviter the transfer is
/// stored. Dropped instead, the connection closes and the inviter reports that it
/// does not know.
pub struct LinkFinish {
    conn: Connection,
    /// Kept open until the end: dropping it early would ask the inviter to stop
    /// sending while it still finishes its stream.
    _reader: FrameReader<RecvStream>,
    writer: FrameWriter<SendStream>,
    sealer: Sealer,
}

impl std::fmt::Debug for LinkFinish {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkFinish").finish_non_exhaustive()
    }
}

impl LinkFinish {
    /// Sends the sealed [`LinkDone`] and closes the connection cleanly.
    pub async fn done(mut self) -> Result<(), NetError> {
        let sent = match self.sealer.seal(&LinkDone.encode()) {
            Ok(sealed) => step(self.writer.write(&sealed)).await,
            Err(e) => Err(e),
        };
        let _ = self.writer.get_mut().finish();
        if sent.is_ok() {
            // The inviter closes once it read the frame; closing first could drop it
            // on the way.
            let _ = tokio::time::timeout(Duration::from_secs(2), self.conn.closed()).await;
        }
        close::close(&self.conn, close::Code::Done);
        sent.map_err(interrupted)
    }
}

/// Both sides' sealed channel for the rest of a partner pairing: see [`channel_for`].
pub fn channel(keys: &PairingKeys, th: &[u8; 32], joiner: bool) -> (Sealer, Opener) {
    channel_for(Purpose::Partner, keys, th, joiner)
}

/// Both sides' sealed channel for the rest of the pairing, keyed from the new couple
/// key so that names and addresses never travel in the clear. The purpose's label
/// goes into the keys and into every frame's associated data.
pub fn channel_for(
    purpose: Purpose,
    keys: &PairingKeys,
    th: &[u8; 32],
    joiner: bool,
) -> (Sealer, Opener) {
    let label = label(purpose);
    let j2i = derive_key(Some(th), keys.couple_key.expose(), &[label, b" j2i"]);
    let i2j = derive_key(Some(th), keys.couple_key.expose(), &[label, b" i2j"]);
    if joiner {
        (
            Sealer::new(j2i, Direction::DialerToAcceptor, label),
            Opener::new(i2j, Direction::AcceptorToDialer, label),
        )
    } else {
        (
            Sealer::new(i2j, Direction::AcceptorToDialer, label),
            Opener::new(j2i, Direction::DialerToAcceptor, label),
        )
    }
}

async fn within<T>(
    limit: Duration,
    f: impl std::future::Future<Output = Result<T, NetError>>,
) -> Result<T, NetError> {
    tokio::time::timeout(limit, f)
        .await
        .map_err(|_| NetError::Timeout)?
}

async fn step<T>(f: impl std::future::Future<Output = Result<T, NetError>>) -> Result<T, NetError> {
    within(STEP_TIMEOUT, f).await
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

// ---- The joiner -------------------------------------------------------------------

/// Joins the partner's device that shows `invite`.
pub async fn join(node: &Node, invite: &Invite, my_name: &str) -> Result<PendingPairing, NetError> {
    join_as(node, invite, Purpose::Partner, my_name).await
}

/// Joins the device that shows `invitation`, for the purpose its text said: a partner
/// pairing, or a link to this person's other device.
pub async fn join_invitation(
    node: &Node,
    invitation: &Invitation,
    my_name: &str,
) -> Result<PendingPairing, NetError> {
    join_as(node, &invitation.invite, invitation.purpose, my_name).await
}

async fn join_as(
    node: &Node,
    invite: &Invite,
    purpose: Purpose,
    my_name: &str,
) -> Result<PendingPairing, NetError> {
    if invite.is_expired(now_secs()) {
        return Err(NetError::InviteExpired);
    }
    if invite.endpoint == node.id() {
        return Err(NetError::Protocol(
            "this is this device's own invite".into(),
        ));
    }
    let conn = step(node.connect(invite.endpoint_addr(), PAIR_ALPN))
        .await
        .map_err(|e| match e {
            NetError::Timeout => NetError::Unreachable(
                match purpose {
                    Purpose::Partner => {
                        "no answer; is your partner's device still showing the invite?"
                    }
                    Purpose::OwnDevice => {
                        "no answer; is your other device still showing the invite?"
                    }
                }
                .into(),
            ),
            other => other,
        })?;
    let result = join_on(node, &conn, invite, purpose, my_name)
        .await
        .map_err(|e| refine_close(&conn, e));
    if let Err(e) = &result {
        tracing::info!(error = %e, "joining failed");
        close::close(&conn, close::Code::JoinFailed);
    }
    result
}

/// Turns "the connection closed" into what the inviter meant by closing.
fn refine_close(conn: &Connection, e: NetError) -> NetError {
    if !matches!(e, NetError::Closed | NetError::Io(_)) {
        return e;
    }
    match close::code_of(conn) {
        Some(close::Code::NoInvite) => NetError::InviteUsed,
        Some(close::Code::Busy) => NetError::InviteBusy,
        _ => e,
    }
}

async fn join_on(
    node: &Node,
    conn: &Connection,
    invite: &Invite,
    purpose: Purpose,
    my_name: &str,
) -> Result<PendingPairing, NetError> {
    let (send, recv) = step(async {
        conn.open_bi()
            .await
            .map_err(|e| NetError::Io(e.to_string()))
    })
    .await?;
    let mut writer = FrameWriter::new(send, MAX_PAIR_FRAME);
    let mut reader = FrameReader::new(recv, MAX_PAIR_FRAME);
    let th0 = th0_for(purpose, invite, &invite.endpoint, &node.id());
    let eph = EphemeralKeypair::generate();
    let j = eph.public();
    let request = JoinRequest {
        joiner_key: j,
        mac: joiner_mac(&invite.secret, &th0, &j),
    };
    step(writer.write(&request.encode())).await?;

    let reply = step(reader.read()).await?.ok_or(NetError::Closed)?;
    let (i, mac) = match Reply::decode(&reply)? {
        Reply::Accepted { inviter_key, mac } => (inviter_key, mac),
        Reply::Expired => return Err(NetError::InviteExpired),
        // Also what a link read as a pairing (or the reverse) comes to: the inviter's
        // th0 has its own purpose's label, so the MAC cannot verify there.
        Reply::Refused => {
            return Err(match purpose {
                Purpose::Partner => NetError::InviteRejected,
                Purpose::OwnDevice => NetError::LinkRejected,
            });
        }
        Reply::AlreadyUsed => return Err(NetError::InviteUsed),
    };
    verify_hmac_sha256(invite.secret.expose(), &[b"inviter", &th0, &j, &i], &mac).map_err(
        |_| NetError::Protocol("the inviter could not prove it holds the invite".into()),
    )?;
    // The key must be the one the invite promised before anything is derived from it:
    // otherwise whoever made the invite could have picked it after reading J.
    if commitment_for(purpose, &i) != invite.commitment {
        return Err(NetError::WrongInviterKey);
    }
    let shared = eph.agree(&i)?;
    let th = transcript_hash(&th0, &j, &i);
    let keys = derive(&invite.secret, &shared, &th);
    let (mut sealer, mut opener) = channel_for(purpose, &keys, &th, true);

    let mine = Hello {
        name: my_name.to_string(),
        addrs: node.direct_addrs(),
        relay: node.relay_url(),
    };
    step(writer.write(&sealer.seal(&mine.encode())?)).await?;
    let theirs = step(reader.read()).await?.ok_or(NetError::Closed)?;
    let theirs = Hello::decode(&opener.open(&theirs)?)?;
    Ok(PendingPairing {
        conn: conn.clone(),
        reader,
        writer,
        sealer,
        opener,
        keys,
        purpose,
        inviter: false,
        partner: invite.endpoint,
        partner_name: theirs.name,
        partner_addrs: theirs.addrs,
        // The relay that carried the invite reaches the inviter too.
        partner_relay: theirs.relay.or_else(|| invite.relay.clone()),
    })
}

// ---- The inviter ------------------------------------------------------------------

/// What one attempt needs, owned, so that attempts run side by side.
#[derive(Clone)]
struct HostContext {
    invite: Invite,
    purpose: Purpose,
    key: Arc<Mutex<Option<EphemeralKeypair>>>,
    me: EndpointId,
    my_addrs: Vec<SocketAddr>,
    my_relay: Option<RelayUrl>,
    my_name: String,
    hosting: Arc<AtomicBool>,
}

/// Waits for the partner to join with `offer`, until it expires: [`start_host`], then
/// [`Hosting::wait`]. Attempts are served side by side, each with a few seconds for
/// its first message; attempts that do not prove knowledge of the secret are turned
/// away and waiting goes on; the first valid one burns the invite.
pub async fn host(node: &Node, offer: &Offer, my_name: &str) -> Result<PendingPairing, NetError> {
    start_host(node, offer, my_name)?.wait().await
}

/// An invite this device takes joins for, from the moment [`start_host`] returned
/// until the [`Hosting`] is dropped or [`Hosting::wait`] ends.
pub struct Hosting<'a> {
    node: &'a Node,
    ctx: HostContext,
    deadline: tokio::time::Instant,
    _off: HostingGuard<'a>,
}

/// Opens the door for joins with `offer`, at once and without waiting: call it before
/// the invite is shown (written to a file, printed, put on screen), so that a partner
/// who reads it the moment it appears finds the door open. Joins that arrive before
/// [`Hosting::wait`] runs wait in the node's queue and are served then; before, the
/// door opened only once waiting began, and a quick joiner was told the invite was
/// "already used".
pub fn start_host<'a>(
    node: &'a Node,
    offer: &Offer,
    my_name: &str,
) -> Result<Hosting<'a>, NetError> {
    if offer.is_used() {
        return Err(NetError::InviteUsed);
    }
    let ctx = HostContext {
        invite: offer.invite.clone(),
        purpose: offer.purpose,
        key: offer.key.clone(),
        me: node.id(),
        my_addrs: node.direct_addrs(),
        my_relay: node.relay_url().or_else(|| offer.invite.relay.clone()),
        my_name: my_name.to_string(),
        hosting: node.hosting_flag(),
    };
    node.set_hosting(true);
    let remaining = offer.expires.saturating_sub(now_secs());
    Ok(Hosting {
        node,
        ctx,
        deadline: tokio::time::Instant::now() + Duration::from_secs(remaining),
        _off: HostingGuard(node),
    })
}

impl Hosting<'_> {
    /// Serves the joins until one completes or the invite expires.
    pub async fn wait(self) -> Result<PendingPairing, NetError> {
        let Hosting {
            node,
            ctx,
            deadline,
            _off,
        } = self;
        let mut attempts = tokio::task::JoinSet::new();
        loop {
            tokio::select! {
                c = node.next_pair_connection() => {
                    let conn = c.ok_or(NetError::Closed)?;
                    if attempts.len() >= MAX_ATTEMPTS {
                        tracing::info!(remote = %conn.remote_id().fmt_short(), "too many pairing attempts at once; told this one to try again");
                        close::close(&conn, close::Code::Busy);
                        continue;
                    }
                    let ctx = ctx.clone();
                    attempts.spawn(async move {
                        let result = host_on(&ctx, &conn).await;
                        if let Err(e) = &result {
                            tracing::info!(remote = %conn.remote_id().fmt_short(), error = %e, "turned away a pairing attempt");
                            let code = if matches!(e, NetError::InviteUsed) { close::Code::NoInvite } else { close::Code::Refused };
                            close::close(&conn, code);
                        }
                        result
                    });
                }
                Some(done) = attempts.join_next(), if !attempts.is_empty() => {
                    match done {
                        Ok(Ok(pending)) => return Ok(pending),
                        Ok(Err(_)) => {}
                        Err(e) => tracing::warn!(error = %e, "a pairing attempt's task failed"),
                    }
                    if ctx.key.lock().map(|k| k.is_none()).unwrap_or(true) && attempts.is_empty() {
                        // The invite was burned by an attempt that then failed: it cannot
                        // be used again, so waiting on would only leave the person hoping.
                        return Err(NetError::InviteSpoiled);
                    }
                }
                _ = tokio::time::sleep_until(deadline) => return Err(NetError::NoOneJoined),
            }
        }
    }
}

struct HostingGuard<'a>(&'a Node);

impl Drop for HostingGuard<'_> {
    fn drop(&mut self) {
        self.0.set_hosting(false);
    }
}

async fn host_on(ctx: &HostContext, conn: &Connection) -> Result<PendingPairing, NetError> {
    // Opening the stream and the first message share one short deadline.
    let (mut reader, mut writer, request) = within(FIRST_MESSAGE_TIMEOUT, async {
        let (send, recv) = conn
            .accept_bi()
            .await
            .map_err(|e| NetError::Io(e.to_string()))?;
        let writer = FrameWriter::new(send, MAX_PAIR_FRAME);
        let mut reader = FrameReader::new(recv, MAX_PAIR_FRAME);
        let m1 = reader.read().await?.ok_or(NetError::Closed)?;
        Ok((reader, writer, m1))
    })
    .await?;
    let request = JoinRequest::decode(&request)?;
    let joiner = conn.remote_id();
    let j = request.joiner_key;
    if ctx.invite.is_expired(now_secs()) {
        let _ = writer.write(&Reply::Expired.encode()).await;
        return Err(NetError::InviteExpired);
    }
    let th0 = th0_for(ctx.purpose, &ctx.invite, &ctx.me, &joiner);
    if verify_hmac_sha256(
        ctx.invite.secret.expose(),
        &[b"joiner", &th0, &j],
        &request.mac,
    )
    .is_err()
    {
        let _ = writer.write(&Reply::Refused.encode()).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        return Err(NetError::InviteRejected);
    }
    // Burned: the committed key goes to this attempt alone, and from here on no
    // other connection is taken for this invite.
    let taken = ctx.key.lock().ok().and_then(|mut k| k.take());
    ctx.hosting.store(false, Ordering::SeqCst);
    let Some(eph) = taken else {
        let _ = writer.write(&Reply::AlreadyUsed.encode()).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        return Err(NetError::InviteUsed);
    };
    let i = eph.public();
    let shared = eph.agree(&j)?;
    let reply = Reply::Accepted {
        inviter_key: i,
        mac: inviter_mac(&ctx.invite.secret, &th0, &j, &i),
    };
    step(writer.write(&reply.encode())).await?;
    let th = transcript_hash(&th0, &j, &i);
    let keys = derive(&ctx.invite.secret, &shared, &th);
    let (mut sealer, mut opener) = channel_for(ctx.purpose, &keys, &th, false);
    let theirs = step(reader.read()).await?.ok_or(NetError::Closed)?;
    let theirs = Hello::decode(&opener.open(&theirs)?)?;
    let mine = Hello {
        name: ctx.my_name.clone(),
        addrs: ctx.my_addrs.clone(),
        relay: ctx.my_relay.clone(),
    };
    step(writer.write(&sealer.seal(&mine.encode())?)).await?;
    Ok(PendingPairing {
        conn: conn.clone(),
        reader,
        writer,
        sealer,
        opener,
        keys,
        purpose: ctx.purpose,
        inviter: true,
        partner: joiner,
        partner_name: theirs.name,
        partner_addrs: theirs.addrs,
        partner_relay: theirs.relay,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_and_refuse_garbage() {
        let req = JoinRequest {
            joiner_key: [1; 32],
            mac: [2; 32],
        };
        assert_eq!(JoinRequest::decode(&req.encode()).unwrap(), req);
        let mut v1 = req.encode();
        v1[0] = 1;
        assert!(matches!(JoinRequest::decode(&v1), Err(NetError::OldInvite)));
        v1[0] = 2;
        assert!(matches!(
            JoinRequest::decode(&v1),
            Err(NetError::OutdatedInvite)
        ));
        assert!(JoinRequest::decode(&req.encode()[..64]).is_err());
        let mut long = req.encode();
        long.push(0);
        assert!(JoinRequest::decode(&long).is_err());
        for reply in [
            Reply::Accepted {
                inviter_key: [3; 32],
                mac: [4; 32],
            },
            Reply::Expired,
            Reply::Refused,
            Reply::AlreadyUsed,
        ] {
            assert_eq!(Reply::decode(&reply.encode()).unwrap(), reply);
        }
        assert!(Reply::decode(&[9]).is_err());
        assert!(Reply::decode(&[]).is_err());
        let hello = Hello {
            name: "Ari".into(),
            addrs: vec!["127.0.0.1:5".parse().unwrap()],
            relay: None,
        };
        assert_eq!(Hello::decode(&hello.encode()).unwrap(), hello);
        let with_relay = Hello {
            relay: Some("https://relay.example.org./".parse().unwrap()),
            ..hello
        };
        assert_eq!(Hello::decode(&with_relay.encode()).unwrap(), with_relay);
        let long_name = Hello {
            name: "é".repeat(200),
            addrs: vec![],
            relay: None,
        };
        assert_eq!(Hello::decode(&long_name.encode()).unwrap().name.len(), 254);
        assert_eq!(Decision::decode(&[1]).unwrap(), Decision(true));
        assert!(Decision::decode(&[2]).is_err());
    }

    #[test]
    fn link_messages_round_trip_and_refuse_garbage() {
        let t = Transfer { payload: b"keys" };
        let bytes = t.encode().unwrap();
        assert_eq!(&bytes[..], &[0x10, 0, 0, 0, 4, b'k', b'e', b'y', b's']);
        assert_eq!(Transfer::decode(&bytes).unwrap(), t);
        let empty = Transfer { payload: b"" };
        assert_eq!(Transfer::decode(&empty.encode().unwrap()).unwrap(), empty);
        let full = vec![7; MAX_TRANSFER];
        let full = Transfer { payload: &full }.encode().unwrap();
        assert_eq!(full.len(), Transfer::HEADER_LEN + MAX_TRANSFER);
        assert!(full.len() + TAG_LEN <= MAX_TRANSFER_FRAME);
        assert!(matches!(
            Transfer {
                payload: &vec![0; MAX_TRANSFER + 1]
            }
            .encode(),
            Err(NetError::TransferTooLarge(n)) if n == MAX_TRANSFER + 1
        ));
        // A length over the cap is refused before the bytes are looked for.
        let mut over = vec![Transfer::TAG];
        over.extend_from_slice(&(MAX_TRANSFER as u32 + 1).to_be_bytes());
        assert!(matches!(
            Transfer::decode(&over),
            Err(NetError::Protocol(_))
        ));
        for bad in [
            &[][..],
            &[0x10][..],
            &[0x10, 0, 0, 0, 5, 1, 2, 3, 4][..],
            &[0x11, 0, 0, 0, 0][..],
            &[0x01][..],
        ] {
            assert!(
                matches!(Transfer::decode(bad), Err(NetError::Protocol(_))),
                "{bad:?}"
            );
        }
        let mut long = bytes.to_vec();
        long.push(0);
        assert!(matches!(
            Transfer::decode(&long),
            Err(NetError::Protocol(_))
        ));
        assert!(!format!("{t:?}").contains("keys"));

        assert_eq!(LinkDone.encode(), vec![0x11]);
        assert_eq!(LinkDone::decode(&[0x11]).unwrap(), LinkDone);
        for bad in [&[][..], &[0x11, 0][..], &[0x01][..], &[0x10][..]] {
            assert!(matches!(LinkDone::decode(bad), Err(NetError::Protocol(_))));
        }
        // Neither reads as a decision, nor a decision as either.
        assert!(Decision::decode(&LinkDone.encode()).is_err());
        assert!(Decision::decode(&bytes).is_err());
        assert!(LinkDone::decode(&Decision(true).encode()).is_err());
    }

    /// The same invite, endpoints and keys under the two purposes: nothing derived
    /// agrees, and a frame sealed under one does not open under the other. Partner
    /// derivations are the unchanged ones (testdata/net/ pins their bytes).
    #[test]
    fn the_purpose_separates_every_derivation() {
        let inviter = iroh::SecretKey::from_bytes(&[3; 32]).public();
        let joiner = iroh::SecretKey::from_bytes(&[13; 32]).public();
        let invite = Invite {
            endpoint: inviter,
            addrs: vec!["127.0.0.1:4242".parse().unwrap()],
            relay: None,
            secret: Secret32::from_bytes([9; 32]),
            expires: 1_800_000_000,
            commitment: [5; 32],
        };
        let (j, i) = ([1; 32], [2; 32]);
        let shared = Secret32::from_bytes([4; 32]);
        let partner = th0_for(Purpose::Partner, &invite, &inviter, &joiner);
        let link = th0_for(Purpose::OwnDevice, &invite, &inviter, &joiner);
        assert_eq!(partner, th0(&invite, &inviter, &joiner));
        assert_ne!(partner, link);
        assert_eq!(commitment(&i), commitment_for(Purpose::Partner, &i));
        assert_ne!(
            commitment_for(Purpose::Partner, &i),
            commitment_for(Purpose::OwnDevice, &i)
        );
        assert_ne!(
            joiner_mac(&invite.secret, &partner, &j),
            joiner_mac(&invite.secret, &link, &j)
        );
        assert_ne!(
            inviter_mac(&invite.secret, &partner, &j, &i),
            inviter_mac(&invite.secret, &link, &j, &i)
        );
        let (th_p, th_l) = (
            transcript_hash(&partner, &j, &i),
            transcript_hash(&link, &j, &i),
        );
        let (kp, kl) = (
            derive(&invite.secret, &shared, &th_p),
            derive(&invite.secret, &shared, &th_l),
        );
        assert_ne!(kp.couple_key, kl.couple_key);
        assert_ne!(kp.sas, kl.sas);

        // The channel: the label alone (same keys, same transcript) separates it.
        let (mut seal_p, _) = channel_for(Purpose::Partner, &kp, &th_p, true);
        let (_, mut open_l) = channel_for(Purpose::OwnDevice, &kp, &th_p, false);
        let (_, mut open_p) = channel(&kp, &th_p, false);
        let frame = seal_p.seal(&Decision(true).encode()).unwrap();
        assert!(matches!(open_l.open(&frame), Err(NetError::BadFrame)));
        assert_eq!(&open_p.open(&frame).unwrap()[..], &[1]);
    }

    #[test]
    fn the_commitment_binds_the_key() {
        let a = EphemeralKeypair::generate().public();
        let b = EphemeralKeypair::generate().public();
        assert_eq!(commitment(&a), commitment(&a));
        assert_ne!(commitment(&a), commitment(&b));
    }
}
