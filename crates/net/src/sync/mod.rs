//! The sync protocol, `kintsugi/sync/1`: the paired devices exchange Automerge sync
//! messages, opaque here, in sealed and counted frames. PROTOCOL.md has every byte.
//!
//! - [`message`]: the messages, one type each, with `encode` and `decode`;
//! - [`handshake`]: greetings, session keys and sealed hellos, for every session;
//! - [`session`]: one session after the handshake, and the [`Replica`] the device
//!   layer implements;
//! - [`supervisor`]: which connections carry sessions: dialling, accepting, crossing
//!   calls, reconnecting.
//!
//! Every sealed frame carries a per-direction counter in its nonce and associated
//! data (see [`crate::secure`]); any frame that fails to open, any message that does
//! not parse, and any payload the replica refuses ends the session. A payload is
//! handed to the replica only after its frame authenticated, and the replica stores
//! it durably before the session moves on.

pub mod handshake;
pub mod keys;
pub mod message;
pub mod release;
pub mod session;
pub mod supervisor;

pub use handshake::{Channel, SessionParams, handshake};
pub use keys::{KeyId, SessionKeys};
pub use message::{MAX_FRAME, MAX_PAYLOAD, Rekey, Release};
pub use release::{epoch_id, released_couple_key};
pub use session::{
    EpochVerdict, LinkEvent, ReleaseFlow, Replica, ReplicaError, ReplicaSession, SessionEnd, Until,
    run_session,
};
pub use supervisor::{ReplicaFor, accept, dial, once, once_all, send_unpaired, serve, serve_all};
