//! Every QUIC close code Kintsugi sends, named in one place. The code is all a
//! closing side tells the other before the connection is gone, so each one that a
//! person may be told about ("already used", "busy") must mean exactly one thing.

/// The protocol finished (or a person declined the codes; the decision frame said so).
pub const DONE: u32 = 0;
/// Sync: the caller is not the paired partner.
pub const NOT_PAIRED: u32 = 1;
/// Sync: the device is not syncing right now.
pub const NOT_SYNCING: u32 = 2;
/// Pairing: no invite is open here (none shown, or the shown one was used).
pub const NO_INVITE: u32 = 3;
/// Pairing: the joiner gave up (an error on its side).
pub const JOIN_FAILED: u32 = 4;
/// Pairing: the inviter turned this attempt away (bad MAC, wrong version, too slow).
pub const REFUSED: u32 = 5;
/// Sync: the session ended with an error.
pub const SESSION_FAILED: u32 = 6;
/// Pairing: the invite is open, but too many attempts are in flight; try again.
pub const BUSY: u32 = 7;

/// The application close code of a closed connection, if the other side closed it.
pub fn code_of(conn: &iroh::endpoint::Connection) -> Option<u32> {
    match conn.close_reason() {
        Some(iroh::endpoint::ConnectionError::ApplicationClosed(c)) => {
            u32::try_from(c.error_code.into_inner()).ok()
        }
        _ => None,
    }
}
