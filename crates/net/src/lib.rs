//! Kintsugi's network layer: one iroh endpoint per device, and three protocols on it.
//!
//! - `kintsugi/pair/2` ([`pair`]): two devices that have never met agree on a couple
//!   key, authenticated by a one-time invite secret shown as a QR code, a commitment
//!   to the inviter's key in that code, and a short string both people compare. The
//!   same handshake, under its own labels, links a person's own second device and
//!   hands it the first device's secrets ([`pair::LinkAgreed`]).
//! - `kintsugi/sync/1` ([`sync`]): the paired devices exchange opaque sync payloads
//!   (Automerge sync messages, to the layer above) in encrypted, counted frames.
//! - `kintsugi/self/1` ([`sync`] too): the same sessions among one person's own
//!   devices, under a key the partner never holds, behind a gate of their own.
//!
//! This crate knows nothing about documents or files: the device layer plugs in
//! through the [`sync::Replica`] trait and stores what pairing returns. Every byte
//! on the wire is specified in PROTOCOL.md, next to this crate, and checked against
//! the fixed vectors in testdata/net/.

pub mod close;
pub mod error;
pub mod frame;
pub mod invite;
pub mod node;
pub mod pair;
pub mod secure;
pub mod sync;
mod wire;

pub use error::NetError;
pub use invite::{Invitation, Invite, Purpose};
pub use iroh::{EndpointAddr, EndpointId, RelayUrl, SecretKey};
pub use node::{Link, NetConfig, NetworkMode, Node, Protocol, Via};
pub use pair::Offer;

/// A direct socket address as iroh names it.
pub fn iroh_transport(addr: std::net::SocketAddr) -> iroh::TransportAddr {
    iroh::TransportAddr::Ip(addr)
}

/// Every path to a device that is known: its relay and its direct addresses. Given
/// all of them, iroh tries them together, goes through the relay when no direct
/// address answers, and moves to a direct path when one opens.
pub fn endpoint_addr(
    id: EndpointId,
    addrs: impl IntoIterator<Item = std::net::SocketAddr>,
    relay: Option<RelayUrl>,
) -> EndpointAddr {
    EndpointAddr::from_parts(
        id,
        relay
            .map(iroh::TransportAddr::Relay)
            .into_iter()
            .chain(addrs.into_iter().map(iroh::TransportAddr::Ip)),
    )
}

/// ALPN of the pairing protocol.
pub const PAIR_ALPN: &[u8] = b"kintsugi/pair/2";
/// ALPN of the sync protocol.
pub const SYNC_ALPN: &[u8] = b"kintsugi/sync/1";
/// ALPN of the private diary's sync among one person's own devices. A protocol of
/// its own, not a message type of `kintsugi/sync/1`, so that the partner's devices,
/// which pass the sync gate, meet a second gate that never names them.
pub const SELF_ALPN: &[u8] = b"kintsugi/self/1";
