//! The baselines each figure is measured beside: the same work done the plainest
//! way there is, in the same run on the same machine.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use automerge::AutoCommit;
use automerge::sync::{Message, State, SyncDoc};
use kintsugi_crypto::Secret32;
use kintsugi_net::frame::{FrameReader, FrameWriter, MAX_FRAME};
use kintsugi_net::{EndpointAddr, NetConfig, NetworkMode, Node, SYNC_ALPN, iroh_transport};

/// What one in-memory sync exchanged.
#[derive(Debug, Clone, Copy, Default)]
pub struct MemSync {
    pub elapsed: Duration,
    /// Encoded sync messages, both directions.
    pub bytes: u64,
    pub messages: u32,
    /// The longest time one side took to apply one message.
    pub slowest_receive: Duration,
}

/// Runs the Automerge sync protocol between two in-memory documents until neither
/// has anything more to say. Messages are encoded and decoded, as they would be to
/// cross any wire, but go nowhere else.
pub fn sync_in_memory(
    a: &mut AutoCommit,
    sa: &mut State,
    b: &mut AutoCommit,
    sb: &mut State,
) -> Result<MemSync> {
    let started = Instant::now();
    let mut out = MemSync::default();
    for _ in 0..1000 {
        let there = step(a, sa, b, sb, &mut out)?;
        let back = step(b, sb, a, sa, &mut out)?;
        if !there && !back {
            out.elapsed = started.elapsed();
            return Ok(out);
        }
    }
    Err(anyhow!("the in-memory sync did not converge"))
}

fn step(
    from: &mut AutoCommit,
    fs: &mut State,
    to: &mut AutoCommit,
    ts: &mut State,
    out: &mut MemSync,
) -> Result<bool> {
    let Some(msg) = from.sync().generate_sync_message(fs) else {
        return Ok(false);
    };
    let bytes = msg.encode();
    out.bytes += bytes.len() as u64;
    out.messages += 1;
    let t = Instant::now();
    let msg = Message::decode(&bytes).map_err(|e| anyhow!("decoding: {e}"))?;
    to.sync()
        .receive_sync_message(ts, msg)
        .map_err(|e| anyhow!("applying a sync message: {e}"))?;
    out.slowest_receive = out.slowest_receive.max(t.elapsed());
    Ok(true)
}

/// Round trips of a `size`-byte frame over one iroh QUIC connection between two
/// endpoints on loopback, configured as the app configures them.
pub async fn iroh_round_trips(samples: usize, size: usize) -> Result<Vec<Duration>> {
    let cfg = NetConfig {
        mode: NetworkMode::Direct,
        bind: "127.0.0.1:0".parse()?,
        relay: None,
    };
    let client = Node::spawn(&Secret32::random()?, &cfg).await?;
    let server = Arc::new(Node::spawn(&Secret32::random()?, &cfg).await?);
    // The sync gate only lets the partner in.
    server.set_partner(Some(client.id()));
    let echo = {
        let server = server.clone();
        tokio::spawn(async move {
            let conn = server
                .next_sync_connection()
                .await
                .context("no connection")?;
            let (send, recv) = conn.accept_bi().await?;
            let (mut r, mut w) = (
                FrameReader::new(recv, MAX_FRAME),
                FrameWriter::new(send, MAX_FRAME),
            );
            while let Some(frame) = r.read().await? {
                w.write(&frame).await?;
            }
            anyhow::Ok(())
        })
    };
    let addr = EndpointAddr::from_parts(
        server.id(),
        server.direct_addrs().into_iter().map(iroh_transport),
    );
    let conn = client.connect(addr, SYNC_ALPN).await?;
    let (send, recv) = conn.open_bi().await?;
    let (mut r, mut w) = (
        FrameReader::new(recv, MAX_FRAME),
        FrameWriter::new(send, MAX_FRAME),
    );
    let payload = vec![0x5a; size];
    let mut out = Vec::with_capacity(samples);
    // The first few warm up the path (and, once, the stream's first packet).
    for i in 0..samples + 5 {
        let t = Instant::now();
        w.write(&payload).await?;
        r.read().await?.context("the echo stopped")?;
        if i >= 5 {
            out.push(t.elapsed());
        }
    }
    conn.close(0u32.into(), b"done");
    let _ = tokio::time::timeout(Duration::from_secs(2), echo).await;
    client.shutdown().await;
    server.shutdown().await;
    Ok(out)
}

/// Appends `size` bytes to a plain file and fsyncs it (`fdatasync`, as the log
/// does), once per size: the cost of durability with nothing else on top.
pub fn plain_appends(dir: &Path, sizes: &[u64]) -> Result<Vec<Duration>> {
    let path = dir.join("plain-appends.bin");
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| format!("creating {}", path.display()))?;
    let mut out = Vec::with_capacity(sizes.len());
    for &n in sizes {
        let buf = vec![0xa5u8; n as usize];
        let t = Instant::now();
        f.write_all(&buf)?;
        f.sync_data()?;
        out.push(t.elapsed());
    }
    let _ = std::fs::remove_file(&path);
    Ok(out)
}

/// `automerge::AutoCommit::load` of plaintext saves: what opening costs with no
/// files, no keys and no checks.
pub fn plain_load(docs: &[&[u8]]) -> Result<Duration> {
    let t = Instant::now();
    let mut loaded = Vec::with_capacity(docs.len());
    for d in docs {
        loaded.push(AutoCommit::load(d).map_err(|e| anyhow!("loading: {e}"))?);
    }
    let elapsed = t.elapsed();
    // Dropping is not part of opening.
    drop(std::hint::black_box(loaded));
    Ok(elapsed)
}
