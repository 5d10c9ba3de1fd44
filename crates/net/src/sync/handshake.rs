//! The start of every sync session, in one function: greetings, session keys and
//! the sealed hellos. The live session, the "unpaired" notice and the tests that
//! play a hostile partner all go through [`handshake`], so none of them can skip a
//! step (the version check, say) that the others make.

use std::net::SocketAddr;
use std::time::Duration;

use iroh::{EndpointId, RelayUrl};
use kintsugi_crypto::random_array;
use tokio::io::{AsyncRead, AsyncWrite};

use super::keys::{KeyId, SessionKeys};
use super::message::{Greeting, Hello, Message};
use crate::NetError;
use crate::frame::{FrameReader, FrameWriter};
use crate::secure::{Direction, Opener, Sealer, session_keys};

/// Domain separation for the session keys and every sealed frame's associated data.
pub const LABEL: &[u8] = b"kintsugi/sync/1";
/// How long each side waits for each handshake message. An honest partner answers
/// in milliseconds; a silent one must not hold a session slot.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);

/// Who is talking, with which keys.
pub struct SessionParams<'a> {
    /// This side opened the connection.
    pub dialer: bool,
    pub me: EndpointId,
    pub them: EndpointId,
    /// The couple keys (the self keys, on the diary's sessions) and the epoch.
    pub keys: &'a SessionKeys,
    /// Told to the partner in our [`Hello`].
    pub my_addrs: Vec<SocketAddr>,
    /// Told to the partner in our [`Hello`]: the relay that reaches us.
    pub my_relay: Option<RelayUrl>,
}

/// A session after its handshake: one sealer and one opener, each with its own key
/// and counter, and what the partner said in its hello.
pub struct Channel {
    pub sealer: Sealer,
    pub opener: Opener,
    pub partner_hello: Hello,
    /// The newest key the other side holds, as its greeting named it.
    pub their_current: KeyId,
}

impl std::fmt::Debug for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Channel")
            .field("partner_hello", &self.partner_hello)
            .finish_non_exhaustive()
    }
}

/// Runs the handshake (PROTOCOL.md, "Sync handshake"):
///
/// ```text
/// dialer → acceptor   Greeting(4, Nd, epoch, key ids)   plaintext
/// acceptor → dialer   Greeting(4, Na, epoch, key ids)   plaintext
///                     (different epochs: NetError::OtherEpoch, before any key is used)
///                     K = the newest key both listed (none: NetError::NoCommonKey)
///                     d2a, a2d = session_keys(K, Nd, Na, dialer id, acceptor id)
/// both ways           sealed Hello(addresses, relay)  counter 0 of each direction
/// ```
/// It returns only once the partner's hello opened, which proves the partner holds
/// the couple key; anything else (a version this side does not speak, a frame that
/// fails to open, another message first, silence) is an error.
pub async fn handshake<R, W>(
    reader: &mut FrameReader<R>,
    writer: &mut FrameWriter<W>,
    params: &SessionParams<'_>,
) -> Result<Channel, NetError>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    handshake_with_nonce(reader, writer, params, random_array()?).await
}

/// [`handshake`] with this side's nonce given, for the test vectors only: a nonce
/// used twice under one couple key would give two sessions the same keys.
#[doc(hidden)]
pub async fn handshake_with_nonce<R, W>(
    reader: &mut FrameReader<R>,
    writer: &mut FrameWriter<W>,
    params: &SessionParams<'_>,
    nonce: [u8; 32],
) -> Result<Channel, NetError>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let epoch = params.keys.epoch();
    let mine = Greeting {
        nonce,
        epoch,
        keys: params.keys.offered(),
    }
    .encode();
    let theirs = within(async {
        if params.dialer {
            writer.write(&mine).await?;
            reader.read().await
        } else {
            let t = reader.read().await?;
            writer.write(&mine).await?;
            Ok(t)
        }
    })
    .await?
    .ok_or(NetError::Closed)?;
    let theirs = Greeting::decode(&theirs)?;
    if theirs.epoch != epoch {
        return Err(NetError::OtherEpoch(theirs.epoch));
    }
    let (_, key) = params
        .keys
        .choose(&theirs.keys)
        .ok_or(NetError::NoCommonKey)?;
    // Decode refuses an empty list.
    let their_current = theirs.keys[0];
    let (dialer, acceptor, nd, na) = if params.dialer {
        (params.me, params.them, nonce, theirs.nonce)
    } else {
        (params.them, params.me, theirs.nonce, nonce)
    };
    let (d2a, a2d) = session_keys(key, LABEL, dialer.as_bytes(), acceptor.as_bytes(), &nd, &na);
    let (mut sealer, mut opener) = if params.dialer {
        (
            Sealer::new(d2a, Direction::DialerToAcceptor, LABEL),
            Opener::new(a2d, Direction::AcceptorToDialer, LABEL),
        )
    } else {
        (
            Sealer::new(a2d, Direction::AcceptorToDialer, LABEL),
            Opener::new(d2a, Direction::DialerToAcceptor, LABEL),
        )
    };

    let hello = Hello {
        addrs: params.my_addrs.clone(),
        relay: params.my_relay.clone(),
    };
    writer.write(&sealer.seal(&hello.encode())?).await?;
    let first = within(reader.read()).await?.ok_or(NetError::Closed)?;
    let plain = opener.open(&first)?;
    let partner_hello = match Message::decode(&plain)? {
        Message::Hello(h) => h,
        other => {
            return Err(NetError::Protocol(format!(
                "expected a hello, got a {} message",
                other.name()
            )));
        }
    };
    Ok(Channel {
        sealer,
        opener,
        partner_hello,
        their_current,
    })
}

async fn within<T>(
    f: impl std::future::Future<Output = Result<T, NetError>>,
) -> Result<T, NetError> {
    tokio::time::timeout(HANDSHAKE_TIMEOUT, f)
        .await
        .map_err(|_| NetError::Timeout)?
}
