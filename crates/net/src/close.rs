//! Every QUIC close code Kintsugi sends, named in one place, with the reason text
//! that travels with it. The code is all a closing side tells the other before the
//! connection is gone, so each one that a person may be told about ("already used",
//! "busy") must mean exactly one thing. Codes are in PROTOCOL.md ("Close codes").

use iroh::endpoint::Connection;

/// Why a connection was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// The protocol finished (or a person declined the codes; the decision frame
    /// said so), or a probe got its answer.
    Done = 0,
    /// Sync: the caller is not the paired partner.
    NotPaired = 1,
    /// Sync: the device is not syncing right now.
    NotSyncing = 2,
    /// Pairing: no invite is open here (none shown, or the shown one was used).
    NoInvite = 3,
    /// Pairing: the joiner gave up (an error on its side).
    JoinFailed = 4,
    /// Pairing: the inviter turned this attempt away (bad MAC, wrong version, too slow).
    Refused = 5,
    /// Sync: the session ended with an error.
    SessionFailed = 6,
    /// Pairing: the invite is open, but too many attempts are in flight; try again.
    Busy = 7,
    /// Sync: the caller offered a journal whose history was released here.
    Released = 8,
}

impl Code {
    const ALL: [Code; 9] = [
        Code::Done,
        Code::NotPaired,
        Code::NotSyncing,
        Code::NoInvite,
        Code::JoinFailed,
        Code::Refused,
        Code::SessionFailed,
        Code::Busy,
        Code::Released,
    ];

    pub fn value(self) -> u32 {
        self as u32
    }

    pub fn from_value(v: u32) -> Option<Code> {
        Self::ALL.into_iter().find(|c| c.value() == v)
    }

    /// The reason phrase sent with the code: for someone reading a packet capture or
    /// a log, never shown as the meaning (the code is).
    pub fn reason(self) -> &'static [u8] {
        match self {
            Code::Done => b"done",
            Code::NotPaired => b"not paired",
            Code::NotSyncing => b"not syncing",
            Code::NoInvite => b"no invite is open",
            Code::JoinFailed => b"failed",
            Code::Refused => b"refused",
            Code::SessionFailed => b"session failed",
            Code::Busy => b"busy",
            Code::Released => b"history released",
        }
    }
}

/// Closes `conn` with `code` and its reason.
pub fn close(conn: &Connection, code: Code) {
    conn.close(code.value().into(), code.reason());
}

/// The application close code of a closed connection, if the other side closed it
/// with one of ours.
pub fn code_of(conn: &Connection) -> Option<Code> {
    match conn.close_reason() {
        Some(iroh::endpoint::ConnectionError::ApplicationClosed(c)) => {
            u32::try_from(c.error_code.into_inner())
                .ok()
                .and_then(Code::from_value)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_round_trip() {
        for (i, c) in Code::ALL.into_iter().enumerate() {
            assert_eq!(c.value() as usize, i);
            assert_eq!(Code::from_value(c.value()), Some(c));
        }
        assert_eq!(Code::from_value(9), None);
    }
}
