//! `kintsugi-bench`: the figures a Kintsugi user feels — sync, storage and start-up —
//! each measured beside its baseline in the same run.
//!
//! Everything is real: the device API, iroh on loopback, encrypted files in a
//! temporary directory. Figures are printed (and optionally written as JSON), never
//! asserted: a slow machine is not a failing build.

mod baseline;
mod child;
mod glass;
mod machine;
mod profile;
mod report;
mod run;
mod side;
mod stats;
mod workload;

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

const LONG_ABOUT: &str = "\
Measures what a Kintsugi user feels, each figure beside its baseline in the same run:

  glass_to_glass   the Propose click in A's app window until B's window shows the entry
  live_sync        a write on A until durable and readable on B, both online (p50, p99);
                   and with four devices (two each) syncing live, until readable on the
                   farthest of A's three peers
  other_process_write  a second process writes to A's profile: until durable on B
  frame_during_catch_up  an empty partner's window: frame times while a catch-up lands
  catch_up_10k     B paired but empty, A holds the big history: until B has it all;
                   and a device newly linked to A: until it holds both journals
  wire_bytes_10k   UDP bytes both endpoints sent during catch_up_10k
  one_entry_bytes  UDP bytes to sync one new entry, at three history sizes
  open_10k         unlock (cheap KDF) and load a profile with the big shared journal
                   and as many diary entries; unlock_argon2 is the Argon2id step alone
  write            one durable entry write (encrypt, append, fsync)
  list_10k         a typed listing of the big shared journal
  diary_entries_10k  the same of the private diary
  search_10k       a word searched for in both (10,000 + 10,000 entries), p50 and p99
  rss_10k          peak resident memory of a fresh process that opens that profile
  storage_10k      bytes on disk for the shared journal after compaction

Sizes (full run / --quick):
  big history            10,000 shared + 10,000 diary entries / 200 + 200
  one_entry_bytes at     10, 1,000 and 10,000 entries / 10, 100 and 200
  catch-ups              3 fresh partners (median) / 1
  live writes            200 timed after 10 warm-up / 20 after 3
  durable writes         200 / 20
  fresh-process opens    3 / 1

A full run takes about five minutes; --quick about one; --large about ten. Networking is
loopback only (127.0.0.1, no discovery, no relay). Three hidden subcommands help
profiling: `make-profile DIR N`, `list-loop PROFILE REPS` and `search-loop PROFILE REPS TEXT`.";

#[derive(Parser)]
#[command(name = "kintsugi-bench", version, about = "Kintsugi's benchmark: sync, storage and start-up figures, each beside its baseline", long_about = LONG_ABOUT)]
struct Args {
    /// Smaller sizes (200 entries instead of 10,000, 20 live writes instead of 200),
    /// so CI can check the program still runs; it asserts nothing about speed.
    #[arg(long)]
    quick: bool,

    /// 100,000 entries of each kind instead of 10,000 (open, list, memory, catch-up,
    /// live sync, one entry's bytes), with fewer repetitions; about ten minutes.
    #[arg(long, conflicts_with = "quick")]
    large: bool,

    /// Also write the figures as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,

    #[command(subcommand)]
    internal: Option<Internal>,
}

#[derive(Subcommand)]
enum Internal {
    /// Opens a profile in this fresh process and reports time and memory as JSON.
    #[command(name = "open-child", hide = true)]
    OpenChild { profile: PathBuf },
    /// Loads plaintext saves from stdin in this fresh process; reports time as JSON.
    #[command(name = "load-plain-child", hide = true)]
    LoadPlainChild,
    /// For profiling: creates a profile with N shared and N diary entries in DIR.
    #[command(name = "make-profile", hide = true)]
    MakeProfile { dir: PathBuf, entries: usize },
    /// For profiling: opens DIR and lists its shared journal REPS times.
    #[command(name = "list-loop", hide = true)]
    ListLoop { profile: PathBuf, reps: usize },
    /// For profiling: opens DIR and searches both documents for TEXT REPS times.
    #[command(name = "search-loop", hide = true)]
    SearchLoop {
        profile: PathBuf,
        reps: usize,
        text: String,
    },
    /// Writes one boundary per line of stdin to PROFILE, reporting when each was durable.
    #[command(name = "write-child", hide = true)]
    WriteChild { profile: PathBuf },
    /// For profiling: the in-memory sync of REPS live changes at a history of N.
    #[command(name = "mem-sync", hide = true)]
    MemSync { entries: usize, reps: usize },
}

fn main() -> Result<()> {
    let args = Args::parse();
    match &args.internal {
        Some(Internal::OpenChild { profile }) => return child::run(profile),
        Some(Internal::LoadPlainChild) => return child::run_plain(),
        Some(Internal::MakeProfile { dir, entries }) => return child::make_profile(dir, *entries),
        Some(Internal::ListLoop { profile, reps }) => return child::list_loop(profile, *reps),
        Some(Internal::SearchLoop {
            profile,
            reps,
            text,
        }) => return child::search_loop(profile, *reps, text),
        Some(Internal::MemSync { entries, reps }) => return profile::mem_sync(*entries, *reps),
        Some(Internal::WriteChild { profile }) => return child::write_loop(profile),
        None => {}
    }
    let sizes = if args.quick {
        run::Sizes::QUICK
    } else if args.large {
        run::Sizes::LARGE
    } else {
        run::Sizes::FULL
    };
    let mut command = String::from("cargo run --release -p kintsugi-bench --");
    if args.quick {
        command.push_str(" --quick");
    }
    if args.large {
        command.push_str(" --large");
    }
    if let Some(p) = &args.json {
        command.push_str(&format!(" --json {}", p.display()));
    }

    let outcome = run::run(&sizes)?;

    println!();
    println!("Command: {command}");
    println!("Machine: {}", outcome.machine);
    println!();
    print!("{}", report::table(&outcome.figures));
    println!();
    println!("How the cost of one entry grows with the history:");
    println!();
    print!("{}", report::growth_table(&outcome.growth));
    println!();
    println!("Notes:");
    for n in &outcome.notes {
        println!("- {n}");
    }

    if let Some(path) = &args.json {
        let sizes = serde_json::to_value(&sizes)?;
        let json = report::json(
            &outcome.machine,
            &command,
            &sizes,
            &outcome.figures,
            &outcome.growth,
            &outcome.notes,
        )?;
        std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
