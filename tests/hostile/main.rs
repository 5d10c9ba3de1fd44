//! Hostile input (SECURITY.md, "Hostile input"): randomized property tests for every
//! decoder that a stranger, a damaged file or a misbehaving partner can reach — the
//! invite decoder, the frame decoder, sealed frames, the pairing handshake, sync
//! messages, bundle import and the log reader. Each case checks that nothing panics,
//! that bad input is refused with an error, and that nothing already stored changes.
//!
//! `KINTSUGI_PROPTEST_CASES=N` sets the cases per property (default 256);
//! `KINTSUGI_TEST_SEED=S` repeats a run. The same decoders have cargo-fuzz targets in
//! fuzz/ (see SECURITY.md for the command).

//!
//! One test binary (linking costs CI more than running), one module per thing
//! attacked.

#[path = "../common/mod.rs"]
mod common;

/// The scripted replica of the net crate's own tests: one copy for both.
#[path = "../../crates/net/tests/support/scripted.rs"]
mod scripted;

mod bundles;
mod frames;
mod invites;
mod logs;
mod pairing;
mod partner_sync;
mod peer;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use automerge::sync::SyncDoc;
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc};
use common::*;
use kintsugi_device::{Device, Options};
use kintsugi_net::frame::{FrameReader, FrameWriter, MAX_FRAME};
use kintsugi_net::secure::{Direction, Opener, Sealer, session_keys};
use kintsugi_net::sync::{
    Rekey, SessionEnd, SessionKeys, SessionParams, Until, handshake, run_session,
};
use kintsugi_net::{Invite, NetError, SecretKey};
use kintsugi_store::{DocLog, LogKind, Secret32};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWriteExt, ReadBuf};

fn cases() -> usize {
    env_count("KINTSUGI_PROPTEST_CASES", 256)
}

fn opts() -> Options {
    Options::INSECURE_FAST_FOR_TESTS
}

/// Small random edits of a valid input: what a flaky medium or a fuzzer produces.
fn mutate(rng: &mut Rng, good: &[u8]) -> Vec<u8> {
    let mut b = good.to_vec();
    for _ in 0..rng.range(1, 4) {
        match rng.below(6) {
            0 if !b.is_empty() => {
                let i = rng.usize(b.len());
                b[i] ^= rng.nonzero_byte();
            }
            1 if !b.is_empty() => b.truncate(rng.usize(b.len())),
            2 => {
                let i = rng.usize(b.len() + 1);
                let extra = rng.some_bytes(1, 9);
                b.splice(i..i, extra);
            }
            3 if !b.is_empty() => {
                let i = rng.usize(b.len());
                let j = (i + rng.range(1, 9) as usize).min(b.len());
                b.drain(i..j);
            }
            4 if !b.is_empty() => {
                let i = rng.usize(b.len());
                b[i] = [0x00, 0x7f, 0x80, 0xff][rng.usize(4)];
            }
            _ if b.len() > 1 => {
                let i = rng.usize(b.len());
                let j = rng.usize(b.len());
                b.swap(i, j);
            }
            _ => b.push(rng.next_u64() as u8),
        }
    }
    b
}

/// A throwaway profile made through the device API.
fn new_device(dir: &Path, name: &str) -> Device {
    Device::create(dir, name, PASS.as_bytes(), opts()).unwrap()
}

fn shared_view(d: &Device) -> Value {
    json!({
        "partners": d.partners().unwrap(),
        "boundaries": d.boundaries().unwrap(),
        "checkins": d.checkins().unwrap(),
        "letters": d.letters().unwrap(),
        "promises": d.promises().unwrap(),
        "stages": d.stages().unwrap(),
        "shared_entries": d.shared_entries().unwrap(),
    })
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}
