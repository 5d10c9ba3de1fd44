use thiserror::Error;

use crate::invite::Purpose;

/// Network errors, phrased for the person in front of the screen. They never carry
/// payload bytes.
#[derive(Debug, Error)]
pub enum NetError {
    #[error("this is not a Kintsugi invite")]
    NotAnInvite,
    #[error("the invite is damaged or incomplete (check that it was copied whole)")]
    DamagedInvite,
    #[error("this invite was made by a newer version of Kintsugi (format {0})")]
    InviteVersion(u8),
    #[error(
        "this invite was made by an older version of Kintsugi, whose pairing is not safe against a swapped invite; ask your partner to update Kintsugi and show a new invite"
    )]
    OldInvite,
    #[error(
        "this invite was made by an older version of Kintsugi, which cannot pair with this one; ask your partner to update Kintsugi and show a new invite"
    )]
    OutdatedInvite,
    /// `anywhere` mode, and no relay answered in time: an invite made now would
    /// carry no way through, and the joiner's dial would find nothing.
    #[error(
        "could not reach {relay} within {secs} s{why}. In `anywhere` mode the invite leads through the relay: check the relay's address (--relay, or Settings) and that it runs, or pair on one network with `--network local`"
    )]
    NoRelay {
        relay: String,
        secs: u64,
        why: String,
    },
    /// An invite read where the other kind is expected; the field is what the
    /// invite is for (its prefix).
    #[error("{}", wrong_kind(*.0))]
    WrongInviteKind(Purpose),
    #[error("this invite has expired; ask your partner for a new one")]
    InviteExpired,
    #[error("this invite was already used or is no longer shown; ask your partner for a new one")]
    InviteUsed,
    #[error(
        "your partner's device is busy with other pairing attempts; try again in a moment (if this keeps happening, someone nearby may be interfering: make a new invite)"
    )]
    InviteBusy,
    #[error(
        "the inviting device answered with a key its invite did not promise: someone may have swapped the invite. Nothing was saved; get a new invite from your partner in person or over a channel you trust"
    )]
    WrongInviterKey,
    #[error("the invite was refused: it does not match the one your partner's device is showing")]
    InviteRejected,
    #[error(
        "someone used this invite, but the pairing did not complete. Nothing was saved; make a new invite (if it was not your partner, someone else saw the code)"
    )]
    InviteSpoiled,
    /// A link invite refused by the device showing it: its secret did not match, or
    /// the code was read as another kind than it was shown (every derivation
    /// depends on the purpose, so the MAC fails either way).
    #[error(
        "the invite was refused: it does not match the link invite your other device is showing. Nothing was sent; check that the whole code was copied, or make a new one"
    )]
    LinkRejected,
    #[error(
        "the data for the new device is {0} bytes, more than the {max} bytes a link may carry; nothing was sent",
        max = crate::pair::MAX_TRANSFER
    )]
    TransferTooLarge(usize),
    #[error("no one joined before the invite expired")]
    NoOneJoined,
    #[error("could not reach the other device: {0}")]
    Unreachable(String),
    #[error("the other device is not your paired partner")]
    NotPartner,
    /// The partner's device answered and turned this one away as not paired: the
    /// pairing was ended there (without this device being told, as when it was
    /// offline), or it was paired anew with another device.
    #[error(
        "your partner's device no longer accepts this one: the pairing was ended there. Run `kintsugi unpair` here, then pair again if you both want to"
    )]
    NotPairedThere,
    #[error("your partner declined: the codes did not match on their screen. Nothing was saved")]
    PartnerDeclined,
    #[error("the connection closed before your partner confirmed. Nothing was saved; try again")]
    Interrupted,
    #[error("you declined the pairing. Nothing was saved")]
    Declined,
    /// The partner's device holds another journal than this one (the greeting named
    /// another epoch): one of the two released the history, and the other was not
    /// there for it. What follows is settled by the device (`Replica::other_epoch`).
    #[error(
        "your partner's device holds another version of the shared journal than this one (a release of history one of them was not part of)"
    )]
    OtherEpoch([u8; 16]),
    /// This device turned away a copy of the journal from before its history was
    /// released (a stale device, or a copy restored from a backup), and told it so.
    #[error(
        "refused a device that offered this journal as it was before its history was released (an old copy of your partner's profile, restored from a backup?)"
    )]
    StaleEpoch,
    /// The two devices hold no couple key in common: one of them missed more key
    /// changes (removals of devices) than the other still remembers, or it was
    /// removed itself.
    #[error(
        "this device and the other hold no key in common: it was removed, or one of the two missed too many device removals; link it again"
    )]
    NoCommonKey,
    /// The partner's device says the journal this device holds was released: this
    /// copy (restored from a backup, or a device that was not part of the release) can
    /// no longer sync.
    #[error(
        "your partner's device refused this one: this journal's history was released, and this device holds the journal as it was before (a copy restored from a backup, or a device that missed the release). It can no longer sync with your partner; the current journal is on the devices that took part in the release"
    )]
    HistoryReleased,
    #[error("the other device broke the protocol: {0}")]
    Protocol(String),
    #[error("a frame of {0} bytes is larger than allowed; nothing of it was read")]
    FrameTooLarge(usize),
    #[error(
        "a sync message of {0} bytes is larger than the {max} bytes allowed; nothing of it was applied",
        max = crate::sync::MAX_PAYLOAD
    )]
    PayloadTooLarge(usize),
    #[error(
        "a frame failed authentication (tampered, replayed, reordered, or another couple's key)"
    )]
    BadFrame,
    #[error("the connection closed")]
    Closed,
    #[error("timed out")]
    Timeout,
    #[error("network error: {0}")]
    Io(String),
    #[error("the network could not be started: {0}")]
    Bind(String),
    #[error(transparent)]
    Crypto(#[from] kintsugi_crypto::CryptoError),
    #[error(transparent)]
    Replica(#[from] crate::sync::ReplicaError),
}

fn wrong_kind(found: Purpose) -> &'static str {
    match found {
        Purpose::OwnDevice => {
            "this invite links another device of your own; it cannot pair you with a partner. Use it where you link a device"
        }
        Purpose::Partner => {
            "this invite pairs with a partner; it cannot link a device of your own. On your other device, make an invite to link a device"
        }
    }
}

impl NetError {
    /// Whether the other side broke the protocol or sent something refused, as
    /// opposed to the network failing or this device stopping. A refusal is worth a
    /// warning in the log; a dropped connection is not.
    pub fn is_refusal(&self) -> bool {
        match self {
            NetError::Protocol(_)
            | NetError::FrameTooLarge(_)
            | NetError::PayloadTooLarge(_)
            | NetError::BadFrame => true,
            NetError::Replica(e) => e.is_refusal(),
            _ => false,
        }
    }
}

impl From<std::io::Error> for NetError {
    fn from(e: std::io::Error) -> Self {
        match e.kind() {
            std::io::ErrorKind::UnexpectedEof
            | std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::BrokenPipe
            | std::io::ErrorKind::NotConnected => NetError::Closed,
            _ => NetError::Io(e.to_string()),
        }
    }
}
