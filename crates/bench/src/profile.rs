//! For profiling: the in-memory Automerge sync of one live change, step by step, at
//! a given history size (`kintsugi-bench mem-sync N REPS`). What `live_sync`'s
//! baseline measures as a whole, taken apart so `perf` can be pointed at it.

use std::time::Instant;

use anyhow::{Result, anyhow};
use automerge::AutoCommit;
use automerge::sync::{Message, State, SyncDoc};
use kintsugi_journal::{PartnerId, SharedJournal};

use crate::stats::{median, ms, percentile};
use crate::workload::Texts;

pub fn mem_sync(entries: usize, reps: usize) -> Result<()> {
    let me = PartnerId::parse("0123456789abcdef0123456789abcdef")?;
    let mut texts = Texts::new(11);
    let mut a = SharedJournal::load(&SharedJournal::genesis_bytes())?;
    let t = Instant::now();
    for i in 0..entries {
        a.propose_boundary(&me, &texts.boundary(), None, i as i64)?;
    }
    eprintln!(
        "{entries} boundaries written in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let mut b = AutoCommit::load(&a.save()).map_err(|e| anyhow!("{e}"))?;
    let (mut sa, mut sb) = (State::new(), State::new());
    // Until both sides are in sync and each knows it.
    exchange(a.doc_mut(), &mut sa, &mut b, &mut sb, &mut Steps::default())?;

    let mut steps = Steps::default();
    let mut total = Vec::new();
    for i in 0..reps {
        a.propose_boundary(&me, &texts.boundary(), None, (entries + i) as i64)?;
        let t = Instant::now();
        exchange(a.doc_mut(), &mut sa, &mut b, &mut sb, &mut steps)?;
        total.push(ms(t.elapsed()));
    }
    let line = |name: &str, v: &[f64]| {
        println!(
            "{name:<26} n={:<4} p50 {:.3} ms  p99 {:.3} ms",
            v.len(),
            median(v),
            percentile(v, 99.0)
        );
    };
    println!("history {entries}, {reps} live changes");
    line("one change, whole sync", &total);
    line("generate_sync_message", &steps.generate);
    line("receive_sync_message", &steps.receive);
    line("  of which with changes", &steps.receive_changes);
    Ok(())
}

#[derive(Default)]
struct Steps {
    generate: Vec<f64>,
    receive: Vec<f64>,
    receive_changes: Vec<f64>,
}

fn exchange(
    a: &mut AutoCommit,
    sa: &mut State,
    b: &mut AutoCommit,
    sb: &mut State,
    steps: &mut Steps,
) -> Result<()> {
    for _ in 0..100 {
        let there = step(a, sa, b, sb, steps)?;
        let back = step(b, sb, a, sa, steps)?;
        if !there && !back {
            return Ok(());
        }
    }
    Err(anyhow!("the in-memory sync did not converge"))
}

fn step(
    from: &mut AutoCommit,
    fs: &mut State,
    to: &mut AutoCommit,
    ts: &mut State,
    steps: &mut Steps,
) -> Result<bool> {
    let t = Instant::now();
    let msg = from.sync().generate_sync_message(fs);
    steps.generate.push(ms(t.elapsed()));
    let Some(msg) = msg else {
        return Ok(false);
    };
    let msg = Message::decode(&msg.encode()).map_err(|e| anyhow!("decoding: {e}"))?;
    let with_changes = !msg.changes.is_empty();
    let t = Instant::now();
    to.sync()
        .receive_sync_message(ts, msg)
        .map_err(|e| anyhow!("applying a sync message: {e}"))?;
    let took = ms(t.elapsed());
    steps.receive.push(took);
    if with_changes {
        steps.receive_changes.push(took);
    }
    Ok(true)
}
