use thiserror::Error;

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
    #[error("this invite has expired; ask your partner for a new one")]
    InviteExpired,
    #[error("this invite was already used; ask your partner for a new one")]
    InviteUsed,
    #[error("the invite was refused: it does not match the one your partner's device is showing")]
    InviteRejected,
    #[error("no one joined before the invite expired")]
    NoOneJoined,
    #[error("could not reach the other device: {0}")]
    Unreachable(String),
    #[error("the other device is not your paired partner")]
    NotPartner,
    #[error("your partner declined: the codes did not match on their screen. Nothing was saved")]
    PartnerDeclined,
    #[error("the connection closed before your partner confirmed. Nothing was saved; try again")]
    Interrupted,
    #[error("you declined the pairing. Nothing was saved")]
    Declined,
    #[error("the other device broke the protocol: {0}")]
    Protocol(String),
    #[error("a frame of {0} bytes is larger than allowed")]
    FrameTooLarge(usize),
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
    #[error("{0}")]
    Replica(String),
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
