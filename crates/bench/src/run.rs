//! The benchmark itself: every figure of the issue, each beside its baseline.
//!
//! Two real devices (profiles in a temporary directory, iroh endpoints on loopback)
//! are paired and driven through the device API from this thread, while their
//! network tasks run on a two-worker tokio runtime, as in the app.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail, ensure};
use automerge::AutoCommit;
use automerge::sync::State;
use kintsugi_device::{DIARY_LOG, KdfParams, SHARED_LOG};
use kintsugi_journal::{PrivateDiary, SharedJournal};
use kintsugi_store::{DocLog, LogKind, Unlocked};
use serde::Serialize;
use tokio::runtime::Runtime;

use crate::baseline::{MemSync, iroh_round_trips, plain_appends, plain_load, sync_in_memory};
use crate::child;
use crate::report::{Figure, GrowthRow, Target};
use crate::side::{PASSPHRASE, Side, link, pair, settle};
use crate::stats::{median, ms, percentile};
use crate::workload::Texts;

/// How much work a run does. `--quick` shrinks everything so CI can run it.
#[derive(Debug, Clone, Serialize)]
pub struct Sizes {
    /// Shared entries on the big profile, and diary entries beside them.
    pub entries: usize,
    /// Smaller histories `one_entry_bytes` is measured at (the big one is `entries`).
    pub histories: &'static [usize],
    /// Timed live writes, after at least `warmup_writes` untimed ones (and none
    /// sooner than `WARM_UP` after the devices started syncing).
    pub live_writes: usize,
    pub warmup_writes: usize,
    /// Live writes per row of the growth table.
    pub growth_live_writes: usize,
    /// Writes whose wire bytes are measured, per history (the median is reported).
    pub bytes_samples: usize,
    /// Timed durable writes, network off.
    pub write_samples: usize,
    pub list_reps: usize,
    /// Fresh child processes that open the big profile.
    pub open_reps: usize,
    /// Repetitions of the in-memory baselines.
    pub baseline_reps: usize,
    /// Catch-ups, each by a fresh empty partner (the median is reported).
    pub catch_up_reps: usize,
    pub rtt_samples: usize,
    /// Writes timed from the click in one app window to the other's frame.
    pub glass_writes: usize,
    /// How the big history is named in figures (`open_10k`, `open_100k`).
    pub label: &'static str,
    /// The big history is written straight into the documents, in memory, and
    /// stored as one compacted save (as the app leaves a profile), rather than one
    /// durable command at a time: 200,000 commands would take most of an hour.
    pub fast_fill: bool,
}

impl Sizes {
    pub const FULL: Sizes = Sizes {
        entries: 10_000,
        histories: &[10, 1_000],
        live_writes: 200,
        warmup_writes: 10,
        growth_live_writes: 20,
        bytes_samples: 5,
        write_samples: 200,
        list_reps: 30,
        open_reps: 3,
        baseline_reps: 3,
        catch_up_reps: 3,
        rtt_samples: 200,
        glass_writes: 100,
        label: "10k",
        fast_fill: false,
    };

    /// `--large`: 100,000 entries of each kind, fewer repetitions of the slow parts.
    pub const LARGE: Sizes = Sizes {
        entries: 100_000,
        histories: &[10, 1_000, 10_000],
        live_writes: 100,
        warmup_writes: 10,
        growth_live_writes: 20,
        bytes_samples: 5,
        write_samples: 100,
        list_reps: 10,
        open_reps: 1,
        baseline_reps: 1,
        catch_up_reps: 1,
        rtt_samples: 200,
        glass_writes: 100,
        label: "100k",
        fast_fill: true,
    };

    pub const QUICK: Sizes = Sizes {
        entries: 200,
        histories: &[10, 100],
        live_writes: 20,
        warmup_writes: 3,
        growth_live_writes: 5,
        bytes_samples: 3,
        write_samples: 20,
        list_reps: 5,
        open_reps: 1,
        baseline_reps: 1,
        catch_up_reps: 1,
        rtt_samples: 20,
        glass_writes: 10,
        label: "10k",
        fast_fill: false,
    };
}

pub struct Outcome {
    pub machine: String,
    pub figures: Vec<Figure>,
    pub growth: Vec<GrowthRow>,
    pub notes: Vec<String>,
}

/// How long the wire must be silent before an exchange counts as finished. QUIC
/// delays acknowledgements by up to 25 ms; this waits well past that.
const QUIET: Duration = Duration::from_millis(150);
/// Between timed live writes: long enough for the acknowledgement to finish.
const LIVE_QUIET: Duration = Duration::from_millis(40);
/// Live writes are timed only this long after both devices started syncing, so the
/// figure is the steady state; what happens before is reported on its own (it is
/// where two devices that dialled each other at once settle on one connection).
const WARM_UP: Duration = Duration::from_millis(2500);
/// A live write slower than this is called a stall in the notes.
const STALL: Duration = Duration::from_secs(1);

fn progress(msg: impl AsRef<str>) {
    eprintln!("[kintsugi-bench] {}", msg.as_ref());
}

pub fn run(sizes: &Sizes) -> Result<Outcome> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let tmp = tempfile::Builder::new()
        .prefix("kintsugi-bench-")
        .tempdir()
        .context("creating a temporary directory")?;
    let machine = crate::machine::describe(tmp.path());
    progress(format!("machine: {machine}"));
    let mut b = Bench {
        rt,
        sizes: sizes.clone(),
        figures: Vec::new(),
        growth: Vec::new(),
        notes: Vec::new(),
        texts: Texts::new(7),
        rtt_ms: Vec::new(),
        open_baseline_ms: 0.0,
    };
    let load_before = crate::machine::load_average();
    b.all(tmp.path())?;
    if let (Some(x), Some(y)) = (load_before, crate::machine::load_average()) {
        b.note(format!(
            "1-minute load average {x:.2} when the run started and {y:.2} when it ended, on {} cores",
            std::thread::available_parallelism().map_or(0, |n| n.get())
        ));
    }
    // The notes name figures as the full run does; --large measured other sizes.
    let suffix = format!("_{}", sizes.label);
    for n in &mut b.notes {
        *n = n.replace("_10k", &suffix);
    }
    Ok(Outcome {
        machine,
        figures: b.figures,
        growth: b.growth,
        notes: b.notes,
    })
}

struct Bench {
    rt: Runtime,
    sizes: Sizes,
    figures: Vec<Figure>,
    growth: Vec<GrowthRow>,
    notes: Vec<String>,
    texts: Texts,
    rtt_ms: Vec<f64>,
    open_baseline_ms: f64,
}

/// Per-write samples of live writes.
#[derive(Default)]
struct Live {
    /// The write call on A, until it returned (durable on A).
    write_ms: Vec<f64>,
    /// From the write returning on A until the entry is durable and readable on B.
    latency_ms: Vec<f64>,
    texts: Vec<String>,
}

/// One catch-up of an empty partner, and its in-memory baseline.
struct CatchUp {
    started: Instant,
    took_ms: f64,
    /// UDP bytes both endpoints sent.
    sent: u64,
    base: MemSync,
    /// `save_after` on the in-memory partner: time and bytes.
    persist: (Duration, usize),
    frames: u64,
    a_sent: u64,
    b_sent: u64,
    b_recv: u64,
    b_dgrams: u64,
    online_ms: Option<f64>,
    sessions: usize,
    /// When the largest payload reached the partner, and its size.
    arrived: Option<(f64, usize)>,
    log_bytes: u64,
    save_bytes: usize,
}

/// One entry's cost on the wire, medians over a few writes.
struct OneEntry {
    wire: f64,
    frames: f64,
}

impl Bench {
    fn note(&mut self, s: impl Into<String>) {
        let s = s.into();
        progress(&s);
        self.notes.push(s);
    }

    fn all(&mut self, root: &Path) -> Result<()> {
        let n = self.sizes.entries;

        progress("iroh round trips on loopback (baseline of live_sync)");
        let rtts = self
            .rt
            .block_on(iroh_round_trips(self.sizes.rtt_samples, 256))?;
        self.rtt_ms = rtts.into_iter().map(ms).collect();
        self.note(format!(
            "iroh loopback round trip of a 256-byte frame: p50 {:.3} ms, p99 {:.3} ms",
            median(&self.rtt_ms),
            percentile(&self.rtt_ms, 99.0)
        ));

        progress("pairing Ari and Bea over loopback");
        let mut a = Side::create(root, "Ari")?;
        let mut bea = Side::create(root, "Bea")?;
        // (Bea is handed to the catch-ups, which may replace her.)
        a.start_network(&self.rt)?;
        bea.start_network(&self.rt)?;
        pair(&self.rt, &a, &bea)?;

        // The second pair starts syncing now, so whatever it takes to settle happens
        // while the first pair is measured.
        let (mut c, mut d, growth_started) = self.start_growth_pair(root)?;

        let last_id = if self.sizes.fast_fill {
            self.fill_fast(&mut a, n)?
        } else {
            self.fill(&a, n)?
        };
        let (mut bea, started) = self.catch_ups(root, &mut a, bea, &last_id)?;
        // Measured on Ari, idle after the catch-up; the profile now also holds Bea's
        // name, so the baselines are saved again.
        self.list(&a, n)?;
        self.search(&a, n)?;
        let shared_save = plaintext_save(&a.dir, SHARED_LOG, LogKind::Shared)?;
        let diary_save = plaintext_save(&a.dir, DIARY_LOG, LogKind::Diary)?;
        self.open(&a, &shared_save, &diary_save)?;
        self.storage(&a, &shared_save)?;
        let live = self.live_sync(&mut a, &mut bea, started)?;
        let big = self.one_entry(&mut a, &mut bea, self.sizes.bytes_samples)?;
        self.other_process(&mut a, &mut bea, &live)?;
        self.linked_catch_up(root, &mut a)?;
        a.stop_network(&self.rt);
        bea.stop_network(&self.rt);
        self.write(&a, root)?;
        self.glass(root, a, bea, &live, &last_id)?;

        let small = self.growth(&mut c, &mut d, growth_started)?;
        self.far3(root, &live)?;
        let row_big = GrowthRow {
            history: n,
            write_p50_ms: median(&live.write_ms),
            live_sync_p50_ms: median(&live.latency_ms),
            one_entry_wire_bytes: big.wire,
            one_entry_frame_bytes: big.frames,
        };
        let base = small.first().map(|r| r.one_entry_wire_bytes).unwrap_or(0.0);
        for r in small.iter().chain(std::iter::once(&row_big)) {
            let mut f = Figure::new("one_entry_bytes", r.one_entry_wire_bytes, "B")
                .variant(r.history.to_string())
                .baseline(base);
            if r.history == n {
                f = f.target(Target::Ratio(1.2));
            }
            self.figures.push(f);
        }
        if let Some(first) = small.first() {
            self.figures.push(
                Figure::new("live_sync", row_big.live_sync_p50_ms, "ms")
                    .variant(format!("p50 at {n} vs at {}", first.history))
                    .baseline(first.live_sync_p50_ms)
                    .target(Target::Ratio(1.2)),
            );
        }
        self.growth.extend(small);
        self.growth.push(row_big);
        self.order_figures();
        Ok(())
    }

    /// The order, whatever order they were measured in.
    fn order_figures(&mut self) {
        const ORDER: [&str; 16] = [
            "glass_to_glass",
            "live_sync",
            "other_process_write",
            "frame_during_catch_up",
            "catch_up_",
            "wire_bytes_",
            "one_entry_bytes",
            "open_",
            "unlock_argon2",
            "write",
            "list_",
            "diary_entries_",
            "search_",
            "rss_",
            "storage_",
            "",
        ];
        // A stable sort: variants keep the order they were pushed in.
        self.figures.sort_by_key(|f| {
            ORDER
                .iter()
                .position(|o| f.name == *o || (o.ends_with('_') && f.name.starts_with(o)))
                .unwrap_or(ORDER.len())
        });
    }

    /// A figure's name at this run's size: `open_10k`, or `open_100k` with `--large`.
    fn sized(&self, name: &str) -> String {
        name.replace("10k", self.sizes.label)
    }

    /// Ari writes `n` boundaries and `n` diary entries, one durable command each, as
    /// a person would over the years. Returns the last boundary's id.
    fn fill(&mut self, a: &Side, n: usize) -> Result<String> {
        progress(format!(
            "Ari writes {n} shared entries and {n} diary entries"
        ));
        let started = Instant::now();
        let mut last = String::new();
        let mut by_size: Vec<(usize, f64)> = Vec::new();
        for i in 0..n {
            let text = self.texts.boundary();
            let t = Instant::now();
            last = a.device.propose_boundary(&text, None)?;
            by_size.push((i, ms(t.elapsed())));
            if (i + 1) % (n / 5).max(1) == 0 {
                progress(format!("  {} shared entries", i + 1));
            }
        }
        for i in 0..n {
            let text = self.texts.diary();
            let mood = 1 + self.texts.below(5) as u8;
            let stage = 1 + (i % 7) as u8;
            a.device.add_diary_entry(&text, Some(mood), Some(stage))?;
        }
        let window = |lo: usize, hi: usize| {
            let s: Vec<f64> = by_size
                .iter()
                .filter(|(i, _)| (lo..hi).contains(i))
                .map(|(_, v)| *v)
                .collect();
            median(&s)
        };
        self.note(format!(
            "setup: {n} + {n} durable writes took {:.1} s; a shared write's p50 was {:.2} ms for the first 100 entries and {:.2} ms for the last 100 (network up, not syncing)",
            started.elapsed().as_secs_f64(),
            window(0, 100),
            window(n.saturating_sub(100), n)
        ));
        Ok(last)
    }

    /// `--large`: Ari's `n` boundaries and `n` diary entries are made in memory with
    /// the journal's own commands, each its own change as a durable command would
    /// make it, and stored as one compacted save per log (what a writer leaves after
    /// compacting). Returns the last boundary's id.
    fn fill_fast(&mut self, a: &mut Side, n: usize) -> Result<String> {
        progress(format!(
            "Ari's {n} shared entries and {n} diary entries, made in memory"
        ));
        let started = Instant::now();
        let me = a.device.me()?;
        let mut shared = SharedJournal::load(&a.device.shared_automerge_bytes()?)?;
        let mut diary = PrivateDiary::load(&plaintext_save(&a.dir, DIARY_LOG, LogKind::Diary)?)?;
        let now = kintsugi_device::now_ms();
        let mut last = String::new();
        for i in 0..n {
            last = shared.propose_boundary(&me, &self.texts.boundary(), None, now + i as i64)?;
            if (i + 1) % (n / 10).max(1) == 0 {
                progress(format!("  {} shared entries", i + 1));
            }
        }
        for i in 0..n {
            let text = self.texts.diary();
            let mood = 1 + self.texts.below(5) as u8;
            let stage = 1 + (i % 7) as u8;
            diary.add_entry(&me, &text, Some(mood), Some(stage), now + i as i64)?;
            if (i + 1) % (n / 10).max(1) == 0 {
                progress(format!("  {} diary entries", i + 1));
            }
        }
        a.stop_network(&self.rt);
        a.device.lock();
        let keys = Unlocked::unlock(&a.dir, PASSPHRASE)?;
        for (log, kind, save) in [
            (SHARED_LOG, LogKind::Shared, shared.save()),
            (DIARY_LOG, LogKind::Diary, diary.save()),
        ] {
            let mut opened = DocLog::open_in(&a.dir.join(log), kind, &keys.keyring)?;
            opened
                .log
                .compact(|_| Ok::<_, kintsugi_store::StoreError>(save))?;
        }
        drop(keys);
        a.reopen()?;
        a.start_network(&self.rt)?;
        self.note(format!(
            "setup: {n} + {n} entries made in memory and stored as compacted saves in {:.1} s",
            started.elapsed().as_secs_f64()
        ));
        Ok(last)
    }

    fn list(&mut self, a: &Side, n: usize) -> Result<()> {
        progress("listing");
        let mut shared = Vec::new();
        let mut diary = Vec::new();
        let mut cached = Vec::new();
        for _ in 0..self.sizes.list_reps {
            let t = Instant::now();
            let l = a.device.boundaries()?;
            shared.push(ms(t.elapsed()));
            ensure!(l.len() == n, "expected {n} boundaries, listed {}", l.len());
            // What a frame would pay if the device kept this typed list and handed
            // out copies: the cost of the copy.
            let t = Instant::now();
            let copy = std::hint::black_box(l.clone());
            cached.push(ms(t.elapsed()));
            drop(copy);
            drop(l);
            let t = Instant::now();
            let l = a.device.diary_entries()?;
            diary.push(ms(t.elapsed()));
            drop(l);
        }
        self.figures.push(
            Figure::new(self.sized("list_10k"), median(&shared), "ms").target(Target::Value(5.0)),
        );
        self.figures.push(
            Figure::new(self.sized("diary_entries_10k"), median(&diary), "ms")
                .target(Target::Value(5.0)),
        );
        self.note(format!(
            "list_10k: boundaries() p50 {:.2} ms, min {:.2} ms; diary_entries() of {n} p50 {:.2} ms; a copy of the typed list of {n} (what a cached list would cost a frame) p50 {:.2} ms",
            median(&shared),
            percentile(&shared, 0.0),
            median(&diary),
            median(&cached)
        ));
        Ok(())
    }

    /// `Device::search` over both documents' cached lists: the words a person
    /// types, one with no match (every entry is read), and a filter with no words.
    /// The baseline is fetching the two cached lists it searches, which no search
    /// over them can beat.
    fn search(&mut self, a: &Side, n: usize) -> Result<()> {
        use kintsugi_device::{SearchKind, SearchQuery};
        progress("searching");
        let words = |text: &str| SearchQuery {
            text: text.into(),
            ..SearchQuery::default()
        };
        let queries = [
            words("evening"),
            words("Therapist"),
            words("slow down"),
            words("no such word"),
            SearchQuery {
                kinds: vec![SearchKind::Diary],
                stage: Some(3),
                ..SearchQuery::default()
            },
        ];
        let mut took = Vec::new();
        let mut lists = Vec::new();
        let mut found = vec![0; queries.len()];
        for _ in 0..self.sizes.list_reps {
            for (i, q) in queries.iter().enumerate() {
                let t = Instant::now();
                let hits = a.device.search(q)?;
                took.push(ms(t.elapsed()));
                found[i] = hits.len();
            }
            let t = Instant::now();
            let both = (a.device.boundaries()?, a.device.diary_entries()?);
            lists.push(ms(t.elapsed()));
            ensure!(
                both.0.len() == n && both.1.len() == n,
                "expected {n} boundaries and {n} diary entries"
            );
        }
        ensure!(
            found[0] > 0,
            "\"evening\" found nothing in {n} + {n} entries"
        );
        ensure!(found[3] == 0, "a word in no entry was found");
        for (p, v) in [("p50", 50.0), ("p99", 99.0)] {
            let mut f = Figure::new(self.sized("search_10k"), percentile(&took, v), "ms")
                .variant(p)
                .baseline(percentile(&lists, v));
            if p == "p50" {
                f = f.target(Target::Value(20.0));
            }
            self.figures.push(f);
        }
        self.note(format!(
            "search_10k: {} searches of {n} shared + {n} diary entries (words found in {}, {}, {} and 0 entries; a stage filter alone, {}); max {:.2} ms; baseline: fetching the two cached lists, p50 {:.2} ms",
            took.len(),
            found[0],
            found[1],
            found[2],
            found[4],
            percentile(&took, 100.0),
            median(&lists)
        ));
        Ok(())
    }

    fn open(&mut self, a: &Side, shared_save: &[u8], diary_save: &[u8]) -> Result<()> {
        progress("opening the profile in fresh processes");
        let mut opens = Vec::new();
        for _ in 0..self.sizes.open_reps {
            opens.push(child::spawn(&a.dir)?);
        }
        let n = self.sizes.entries;
        for o in &opens {
            ensure!(
                o.shared_entries == n && o.diary_entries == n,
                "the child saw {} shared and {} diary entries, expected {n} of each",
                o.shared_entries,
                o.diary_entries
            );
        }
        let open_ms: Vec<f64> = opens.iter().map(|o| o.open_ms).collect();
        // The baseline, like the open, in fresh processes.
        let mut base = Vec::new();
        let mut base_hwm = 0;
        for _ in 0..self.sizes.open_reps {
            let r = child::spawn_plain(&[shared_save, diary_save])?;
            base.push(r.load_ms);
            base_hwm = base_hwm.max(r.hwm_kib);
        }
        let in_process = ms(plain_load(&[shared_save, diary_save])?);
        self.open_baseline_ms = median(&base);
        self.figures.push(
            Figure::new(self.sized("open_10k"), median(&open_ms), "ms")
                .baseline(median(&base))
                .target(if self.sizes.entries >= 100_000 {
                    Target::Value(2500.0)
                } else {
                    Target::Ratio(1.15)
                }),
        );
        let hwm = opens.iter().map(|o| o.hwm_kib).max().unwrap_or(0);
        let rss_target = if self.sizes.entries >= 100_000 {
            400.0
        } else {
            150.0
        };
        self.figures.push(
            Figure::new(self.sized("rss_10k"), hwm as f64 / 1024.0, "MiB")
                .target(Target::Value(rss_target)),
        );
        let o = &opens[0];
        let log_bytes = file_len(&a.dir.join(SHARED_LOG))? + file_len(&a.dir.join(DIARY_LOG))?;
        self.note(format!(
            "open_10k: the profile as the app leaves it ({} log records, {} bytes; plaintext saves {} + {} bytes); {} runs: {:?} ms; of which reading and decrypting the logs {:.0} ms, Automerge loading their {} chunks {:.0} ms",
            o.records,
            log_bytes,
            shared_save.len(),
            diary_save.len(),
            opens.len(),
            open_ms.iter().map(|v| v.round()).collect::<Vec<_>>(),
            o.read_decrypt_ms,
            o.records,
            o.automerge_load_ms,
        ));
        self.note(format!(
            "open_10k baseline: automerge::load of the two plaintext saves in a fresh process {:.0} ms (in this warm process {in_process:.0} ms)",
            median(&base)
        ));
        self.note(format!(
            "rss_10k: peak {:.1} MiB right after the open, {:.1} MiB after listing everything once ({:.1} ms); resident at the end {:.1} MiB. A fresh process that only loads the plaintext saves peaks at {:.1} MiB",
            o.hwm_after_open_kib as f64 / 1024.0,
            o.hwm_kib as f64 / 1024.0,
            o.first_lists_ms,
            o.rss_kib as f64 / 1024.0,
            base_hwm as f64 / 1024.0
        ));

        // Argon2id with the parameters every real profile uses, on its own.
        let mut argon = Vec::new();
        for i in 0..self.sizes.baseline_reps {
            let salt = [i as u8; 16];
            let t = Instant::now();
            let key = kintsugi_crypto::derive_passphrase_key(PASSPHRASE, &salt, KdfParams::STRONG)?;
            argon.push(ms(t.elapsed()));
            drop(key);
        }
        self.figures
            .push(Figure::new("unlock_argon2", median(&argon), "ms"));
        Ok(())
    }

    fn storage(&mut self, a: &Side, shared_save: &[u8]) -> Result<()> {
        progress("compaction");
        let path = a.dir.join(SHARED_LOG);
        let before = file_len(&path)?;
        let t = Instant::now();
        a.device.compact()?;
        let took = t.elapsed();
        let after = file_len(&path)?;
        self.figures.push(
            Figure::new(self.sized("storage_10k"), after as f64, "B")
                .baseline(shared_save.len() as f64)
                .target(Target::Ratio(1.2)),
        );
        let mut reopened = Vec::new();
        for _ in 0..self.sizes.open_reps {
            reopened.push(child::spawn(&a.dir)?.open_ms);
        }
        self.note(format!(
            "storage_10k: the shared log was {before} bytes before compaction ({:.2}× the save); compacting both logs took {:.0} ms; opening the compacted profile takes {:.0} ms ({:.2}× the open_10k baseline)",
            before as f64 / shared_save.len() as f64,
            ms(took),
            median(&reopened),
            median(&reopened) / self.open_baseline_ms
        ));
        Ok(())
    }

    /// Catch-ups of a fresh, empty partner from Ari, `catch_up_reps` times (Ari
    /// forgets the last partner and pairs with a new one in between). The last
    /// partner stays paired and syncing; returns her and when syncing started.
    fn catch_ups(
        &mut self,
        root: &Path,
        a: &mut Side,
        first: Side,
        last_id: &str,
    ) -> Result<(Side, Instant)> {
        const NAMES: [&str; 5] = ["Bea", "Bex", "Bel", "Bet", "Bev"];
        let n = self.sizes.entries;
        let reps = self.sizes.catch_up_reps.clamp(1, NAMES.len());
        let mut runs = Vec::new();
        let mut bea = first;
        for (rep, name) in NAMES.iter().enumerate().take(reps) {
            if rep > 0 {
                bea.stop_network(&self.rt);
                a.stop_network(&self.rt);
                a.device.forget_partner(false)?;
                a.start_network(&self.rt)?;
                bea = Side::create(root, name)?;
                bea.start_network(&self.rt)?;
                pair(&self.rt, a, &bea)?;
            }
            progress(format!(
                "catch-up {}/{reps}: {name} (empty) syncs {n} entries from Ari",
                rep + 1
            ));
            let before_sync = plaintext_save(&a.dir, SHARED_LOG, LogKind::Shared)?;
            runs.push(self.catch_up(a, &mut bea, last_id, &before_sync)?);
        }
        let took: Vec<f64> = runs.iter().map(|r| r.took_ms).collect();
        let base: Vec<f64> = runs
            .iter()
            .map(|r| r.base.elapsed.as_secs_f64() * 1000.0)
            .collect();
        let sent: Vec<f64> = runs.iter().map(|r| r.sent as f64).collect();
        let base_bytes: Vec<f64> = runs.iter().map(|r| r.base.bytes as f64).collect();
        self.figures.push(
            Figure::new(self.sized("catch_up_10k"), median(&took), "ms")
                .baseline(median(&base))
                .target(Target::Ratio(if self.sizes.entries >= 100_000 {
                    1.4
                } else {
                    1.5
                })),
        );
        self.figures.push(
            Figure::new(self.sized("wire_bytes_10k"), median(&sent), "B")
                .baseline(median(&base_bytes))
                .target(Target::Ratio(1.1)),
        );
        let round = |v: &[f64]| v.iter().map(|x| x.round()).collect::<Vec<_>>();
        self.note(format!(
            "catch_up_10k: {} catch-ups took {:?} ms beside in-memory syncs of {:?} ms; UDP bytes {:?} beside {:?}",
            runs.len(),
            round(&took),
            round(&base),
            round(&sent),
            round(&base_bytes)
        ));
        // The details of the median run.
        let mut order: Vec<usize> = (0..runs.len()).collect();
        order.sort_by(|x, y| runs[*x].took_ms.total_cmp(&runs[*y].took_ms));
        let r = &runs[order[order.len() / 2]];
        self.note(format!(
            "wire_bytes_10k: the in-memory sync took {} messages of {} bytes; the sync protocol's frames carried {} bytes ({:.3}× the messages); on the wire Ari sent {} and her partner {} UDP bytes; the partner received {} datagrams averaging {:.0} bytes",
            r.base.messages,
            r.base.bytes,
            r.frames,
            r.frames as f64 / r.base.bytes as f64,
            r.a_sent,
            r.b_sent,
            r.b_dgrams,
            r.b_recv as f64 / r.b_dgrams.max(1) as f64
        ));
        if let (Some(online), Some((arrived, len))) = (r.online_ms, r.arrived) {
            self.note(format!(
                "catch_up_10k on the partner: a session was up after {online:.0} ms ({} session(s) opened); Ari's journal ({len} bytes of sync message) arrived after {arrived:.0} ms; durable and readable after {:.0} ms. In memory, applying that message takes {:.0} ms, and save_after() of what it added (what the device appends to the partner's log) {:.0} ms for {} bytes",
                r.sessions,
                r.took_ms,
                ms(r.base.slowest_receive),
                ms(r.persist.0),
                r.persist.1
            ));
        }
        self.note(format!(
            "catch_up_10k: afterwards the partner's shared log is {} bytes, {:.2}× the save ({} bytes): the sync is persisted as one record of {n} separate changes",
            r.log_bytes,
            r.log_bytes as f64 / r.save_bytes as f64,
            r.save_bytes
        ));
        let started = runs.last().map(|r| r.started).unwrap_or_else(Instant::now);
        Ok((bea, started))
    }

    fn catch_up(
        &mut self,
        a: &mut Side,
        bea: &mut Side,
        last_id: &str,
        shared_save: &[u8],
    ) -> Result<CatchUp> {
        let n = self.sizes.entries;
        let bea_save = bea.device.shared_automerge_bytes()?;
        a.reset_events();
        bea.reset_events();
        bea.sessions = 0;
        bea.first_online = None;
        // When each sync payload reached Bea, before she applied it.
        let arrivals = Arc::new(Mutex::new(Vec::<(Instant, usize)>::new()));
        let sink = arrivals.clone();
        bea.device.tap_sync_payloads(Some(Box::new(move |p| {
            if let Ok(mut v) = sink.lock() {
                v.push((Instant::now(), p.len()));
            }
        })));
        let sent_before = a.udp_sent() + bea.udp_sent();
        let (a_sent0, b_sent0) = (a.udp_sent(), bea.udp_sent());
        let (b_recv0, b_dgrams0) = bea.udp_received();
        let frames0 = a.received_total + bea.received_total;
        let t0 = Instant::now();
        a.start_sync(&self.rt)?;
        bea.start_sync(&self.rt)?;
        let seen = bea.wait_until(&self.rt, Duration::from_secs(600), "the catch-up", |d| {
            d.boundary(last_id).is_ok()
        })?;
        let took = seen - t0;
        bea.device.tap_sync_payloads(None);
        let biggest = arrivals
            .lock()
            .map_err(|_| anyhow!("the payload tap panicked"))?
            .iter()
            .copied()
            .max_by_key(|(_, len)| *len);
        let listed = bea.device.boundaries()?.len();
        ensure!(
            listed == n,
            "{} has {listed} entries after the catch-up, expected {n}",
            bea.name
        );
        let sent = settle(a, bea, QUIET)? - sent_before;
        let (b_recv, b_dgrams) = bea.udp_received();

        let mut da = AutoCommit::load(shared_save).map_err(|e| anyhow!("{e}"))?;
        let mut db = AutoCommit::load(&bea_save).map_err(|e| anyhow!("{e}"))?;
        let (mut sa, mut sb) = (State::new(), State::new());
        let before = db.get_heads();
        let base = sync_in_memory(&mut da, &mut sa, &mut db, &mut sb)?;
        // What the device then writes to Bea's log: the changes since her old heads.
        let t = Instant::now();
        let chunk = db.save_after(&before);
        let persist = (t.elapsed(), chunk.len());
        Ok(CatchUp {
            started: t0,
            took_ms: ms(took),
            sent,
            base,
            persist,
            frames: a.received_total + bea.received_total - frames0,
            a_sent: a.udp_sent() - a_sent0,
            b_sent: bea.udp_sent() - b_sent0,
            b_recv: b_recv - b_recv0,
            b_dgrams: b_dgrams - b_dgrams0,
            online_ms: bea.first_online.map(|o| ms(o - t0)),
            sessions: bea.sessions,
            arrived: biggest.map(|(at, len)| (ms(at - t0), len)),
            log_bytes: file_len(&bea.dir.join(SHARED_LOG))?,
            save_bytes: shared_save.len(),
        })
    }

    fn live_sync(&mut self, a: &mut Side, bea: &mut Side, started: Instant) -> Result<Live> {
        progress(format!(
            "live sync: {} writes on Ari, each until durable and readable on Bea",
            self.sizes.live_writes
        ));
        let rt = &self.rt;
        let warm = warm_up(
            rt,
            &mut self.texts,
            a,
            bea,
            self.sizes.warmup_writes,
            started,
        )?;
        let snapshot = a.device.shared_automerge_bytes()?;
        let me = a.device.me()?;
        let live = live_writes(rt, &mut self.texts, a, bea, self.sizes.live_writes)?;

        // The same changes, synced between two in-memory copies, plus one round trip.
        let mut da = SharedJournal::load(&snapshot)?;
        let mut db = AutoCommit::load(&snapshot).map_err(|e| anyhow!("{e}"))?;
        let (mut sa, mut sb) = (State::new(), State::new());
        sync_in_memory(da.doc_mut(), &mut sa, &mut db, &mut sb)?;
        let mut mem = Vec::new();
        let mut base = Vec::new();
        for (i, text) in live.texts.iter().enumerate() {
            da.propose_boundary(&me, text, None, kintsugi_device::now_ms())?;
            let m = sync_in_memory(da.doc_mut(), &mut sa, &mut db, &mut sb)?;
            mem.push(ms(m.elapsed));
            base.push(ms(m.elapsed) + self.rtt_ms[i % self.rtt_ms.len()]);
        }
        for (p, v) in [("p50", 50.0), ("p99", 99.0)] {
            let mut f = Figure::new("live_sync", percentile(&live.latency_ms, v), "ms")
                .variant(p)
                .baseline(percentile(&base, v));
            if p == "p50" {
                f = f.target(Target::Value(2.5));
            }
            self.figures.push(f);
        }
        self.note(format!(
            "live_sync: {} writes at a history of {}+ entries; max {:.1} ms; in-memory sync alone p50 {:.3} ms; the write itself (durable on Ari) p50 {:.2} ms",
            live.latency_ms.len(),
            self.sizes.entries,
            percentile(&live.latency_ms, 100.0),
            median(&mem),
            median(&live.write_ms)
        ));
        self.note_warm_up(&format!("Ari and {}", bea.name), &warm);
        Ok(live)
    }

    /// A new device of Ari's, linked to the big profile as a person links one: from
    /// the moment both screens confirmed until the new device holds every shared
    /// entry and every diary entry, with live sync running as in the app. Beside it:
    /// the catch-up of an empty partner (shared journal only).
    fn linked_catch_up(&mut self, root: &Path, a: &mut Side) -> Result<()> {
        let shared = a.device.boundaries()?.len();
        let diary = a.device.diary_entries()?.len();
        progress(format!(
            "catch-up of a newly linked device: {shared} shared and {diary} diary entries from Ari"
        ));
        let mut new = Side::create_for_link(root, "Ari's laptop")?;
        new.start_network(&self.rt)?;
        link(&self.rt, a, &new)?;
        let linked = Instant::now();
        new.start_sync(&self.rt)?;
        let done = new.wait_until(&self.rt, Duration::from_secs(600), "Ari's history", |d| {
            d.boundaries().is_ok_and(|l| l.len() >= shared)
                && d.diary_entries().is_ok_and(|l| l.len() >= diary)
        })?;
        let took = ms(done - linked);
        let partner = self
            .figures
            .iter()
            .find(|f| f.name == self.sized("catch_up_10k"))
            .map(|f| f.value);
        let mut f = Figure::new(self.sized("catch_up_10k"), took, "ms").variant("linked device");
        if let Some(p) = partner {
            f = f.baseline(p);
        }
        self.figures.push(f);
        self.note(format!(
            "catch_up_10k (linked device): from both screens' yes until {shared} shared and {diary} diary entries were durable and readable on the new device: {took:.0} ms (its own device id; the journals come by ordinary sync)"
        ));
        new.stop_network(&self.rt);
        Ok(())
    }

    /// Four devices, two people with two each, all syncing live as in the app: a
    /// write on Ari's first device until it is durable and readable on the last of
    /// the other three (her second device, Bea's two), which Ari's device reaches
    /// directly or by way of another. Beside it: `live_sync` to one partner.
    fn far3(&mut self, root: &Path, pair_live: &Live) -> Result<()> {
        let count = self.sizes.growth_live_writes.max(5) * 2;
        progress(format!(
            "live sync among four devices: {count} writes on Ari's first device, each until readable on all three others"
        ));
        let root = root.join("four");
        let mut a1 = Side::create(&root, "Ari")?;
        let mut b1 = Side::create(&root, "Bea")?;
        a1.start_network(&self.rt)?;
        b1.start_network(&self.rt)?;
        pair(&self.rt, &a1, &b1)?;
        let mut a2 = Side::create_for_link(&root, "Ari's laptop")?;
        let mut b2 = Side::create_for_link(&root, "Bea's phone")?;
        a2.start_network(&self.rt)?;
        b2.start_network(&self.rt)?;
        link(&self.rt, &a1, &a2)?;
        link(&self.rt, &b1, &b2)?;
        for s in [&a1, &a2, &b1, &b2] {
            s.start_sync(&self.rt)?;
        }
        // Every device holds every record (so every gate admits the others) once a
        // first write has travelled everywhere.
        std::thread::sleep(WARM_UP);
        let mut latency = Vec::new();
        for i in 0..count + self.sizes.warmup_writes {
            let text = self.texts.boundary();
            for s in [&mut a1, &mut a2, &mut b1, &mut b2] {
                s.reset_events();
            }
            let id = a1.device.propose_boundary(&text, None)?;
            let wrote = Instant::now();
            let mut last = wrote;
            for s in [&mut a2, &mut b1, &mut b2] {
                let seen =
                    s.wait_until(&self.rt, Duration::from_secs(60), "a live change", |d| {
                        d.boundary(&id).is_ok()
                    })?;
                last = last.max(seen);
            }
            if i >= self.sizes.warmup_writes {
                latency.push(ms(last - wrote));
            }
            std::thread::sleep(LIVE_QUIET);
        }
        for (p, v) in [("p50", 50.0), ("p99", 99.0)] {
            self.figures.push(
                Figure::new("live_sync", percentile(&latency, v), "ms")
                    .variant(format!("{p}, farthest of 3 peers"))
                    .baseline(percentile(&pair_live.latency_ms, v)),
            );
        }
        self.note(format!(
            "live_sync (farthest of 3 peers): {} writes on Ari's first device with four devices syncing live; max {:.1} ms; the baseline is live_sync to one partner",
            latency.len(),
            percentile(&latency, 100.0)
        ));
        for s in [&mut a1, &mut a2, &mut b1, &mut b2] {
            s.stop_network(&self.rt);
        }
        Ok(())
    }

    fn note_warm_up(&mut self, who: &str, warm: &Live) {
        let stalls: Vec<String> = warm
            .latency_ms
            .iter()
            .filter(|v| **v >= ms(STALL))
            .map(|v| format!("{:.1} s", v / 1000.0))
            .collect();
        self.note(format!(
            "warm-up of {who}: {} untimed live writes {:.1} s after both started syncing, max {:.1} ms{}",
            warm.latency_ms.len(),
            WARM_UP.as_secs_f64(),
            percentile(&warm.latency_ms, 100.0),
            if stalls.is_empty() {
                String::new()
            } else {
                format!(
                    "; STALLED: {} write(s) took {} to reach the partner",
                    stalls.len(),
                    stalls.join(", ")
                )
            }
        ));
    }

    /// Another process (a CLI command) writes to Ari's profile while Ari's device
    /// runs, following the logs as `kintsugi sync` does (`Device::watch`, a 100 ms
    /// stat poll beside file-change notifications): from that write being durable
    /// until the partner has it durably and can read it.
    fn other_process(&mut self, a: &mut Side, b: &mut Side, live: &Live) -> Result<()> {
        use std::io::{BufRead, BufReader, Write};
        let samples = (self.sizes.live_writes / 4).max(5);
        progress(format!(
            "{samples} writes by another process on Ari's profile, each until durable on {}",
            b.name
        ));
        let _watch = a.device.watch(Duration::from_millis(100));
        let exe = std::env::current_exe().context("finding this program")?;
        let mut child = std::process::Command::new(exe)
            .arg("write-child")
            .arg(&a.dir)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .context("starting the writer process")?;
        let result = (|| {
            let mut input = child.stdin.take().context("no stdin")?;
            let mut output = BufReader::new(child.stdout.take().context("no stdout")?);
            let mut line = String::new();
            output.read_line(&mut line)?;
            ensure!(line.trim() == "ready", "the writer process said {line:?}");
            let mut took = Vec::new();
            for _ in 0..samples {
                settle(a, b, LIVE_QUIET)?;
                b.reset_events();
                writeln!(input, "{}", self.texts.boundary())?;
                input.flush()?;
                line.clear();
                output.read_line(&mut line)?;
                let mut parts = line.split_whitespace();
                let (Some(id), Some(at)) = (parts.next(), parts.next()) else {
                    bail!("the writer process said {line:?}");
                };
                let durable: u128 = at.parse()?;
                let id = id.to_string();
                b.wait_until(
                    &self.rt,
                    Duration::from_secs(60),
                    "another process's write",
                    |d| d.boundary(&id).is_ok(),
                )?;
                let seen = crate::stats::unix_micros();
                took.push(seen.saturating_sub(durable) as f64 / 1000.0);
            }
            Ok(took)
        })();
        let _ = child.kill();
        let _ = child.wait();
        let took = result?;
        self.figures.push(
            Figure::new("other_process_write", median(&took), "ms")
                .variant("p50")
                .baseline(median(&live.latency_ms))
                .target(Target::Value(10.0)),
        );
        self.note(format!(
            "other_process_write: {} writes by a second process on Ari's profile, until durable on the partner: p50 {:.2} ms, p99 {:.2} ms, max {:.1} ms (baseline: live_sync p50, a write by Ari's own process)",
            took.len(),
            median(&took),
            percentile(&took, 99.0),
            percentile(&took, 100.0)
        ));
        Ok(())
    }

    /// glass_to_glass and frame_during_catch_up: the real app on both sides.
    fn glass(
        &mut self,
        root: &Path,
        mut a: Side,
        mut b: Side,
        live: &Live,
        last_id: &str,
    ) -> Result<()> {
        use crate::glass::{Window, frame_during_catch_up, glass_to_glass};
        progress(format!(
            "glass to glass: Ari's and {}'s profiles in two app windows, {} writes",
            b.name, self.sizes.glass_writes
        ));
        // The windows bind the ports the devices used, where each finds the other.
        // The devices meet once first, for the writes made with the network off.
        let (pa, pb) = (a.port, b.port);
        a.start_network(&self.rt)?;
        b.start_network(&self.rt)?;
        a.start_sync(&self.rt)?;
        b.start_sync(&self.rt)?;
        let newest = a.device.propose_boundary(&self.texts.boundary(), None)?;
        b.wait_until(
            &self.rt,
            Duration::from_secs(120),
            "the writes made offline",
            |d| d.boundary(&newest).is_ok(),
        )?;
        settle(&mut a, &mut b, QUIET)?;
        a.stop_network(&self.rt);
        b.stop_network(&self.rt);
        a.device.lock();
        b.device.lock();
        let mut wa = Window::open(&a.dir, Some(pa));
        let mut wb = Window::open(&b.dir, Some(pb));
        wa.unlock()?;
        wb.unlock()?;
        wa.wait_network()?;
        wb.wait_network()?;
        // Untimed: both sessions settle on one connection first.
        let warm = glass_to_glass(&mut wa, &mut wb, 3, "warm-up")?;
        let glass = glass_to_glass(&mut wa, &mut wb, self.sizes.glass_writes, "glass")?;
        for (p, v) in [("p50", 50.0), ("p99", 99.0)] {
            self.figures.push(
                Figure::new("glass_to_glass", percentile(&glass, v), "ms")
                    .variant(p)
                    .baseline(percentile(&live.latency_ms, v))
                    .target(Target::Value(if p == "p50" { 20.0 } else { 50.0 })),
            );
        }
        self.note(format!(
            "glass_to_glass: {} writes from the Propose click in Ari's window to the end of the first frame of {}'s that shows it, frames run only when asked for (as eframe runs them); max {:.1} ms; warm-up {:?} ms; baseline: live_sync of the same run",
            glass.len(),
            b.name,
            percentile(&glass, 100.0),
            warm.iter().map(|v| v.round()).collect::<Vec<_>>()
        ));
        drop(wb);
        drop(wa);

        // A fresh partner opens the app while Ari holds the whole history.
        let n = self.sizes.entries;
        progress(format!(
            "frame_during_catch_up: an empty partner's window receives Ari's {n}+ entries"
        ));
        a.reopen()?;
        a.start_network(&self.rt)?;
        a.device.forget_partner(false)?;
        a.stop_network(&self.rt);
        a.start_network(&self.rt)?;
        let mut c = Side::create(root, "Cy")?;
        c.start_network(&self.rt)?;
        pair(&self.rt, &a, &c)?;
        c.stop_network(&self.rt);
        c.device.lock();
        let total = a
            .device
            .boundaries()?
            .iter()
            .filter(|x| x.status == kintsugi_device::BoundaryStatus::Proposed)
            .count();
        ensure!(
            a.device.boundary(last_id).is_ok(),
            "Ari lost the big history"
        );
        a.start_sync(&self.rt)?;
        let mut wc = Window::open(&c.dir, Some(c.port));
        let caught = frame_during_catch_up(&mut wc, total)?;
        // The same window at rest, the whole list held: the frames' baseline.
        let mut rest = Vec::new();
        for _ in 0..120 {
            rest.push(ms(wc.frame()));
            std::thread::sleep(Duration::from_micros(16_667));
        }
        let f = &caught.frames_ms;
        for (p, v, target) in [
            ("p50", 50.0, None),
            ("p99", 99.0, Some(16.0)),
            ("max", 100.0, Some(50.0)),
        ] {
            let mut fig = Figure::new("frame_during_catch_up", percentile(f, v), "ms")
                .variant(p)
                .baseline(percentile(&rest, v));
            if let Some(t) = target {
                fig = fig.target(Target::Value(t));
            }
            self.figures.push(fig);
        }
        self.note(format!(
            "frame_during_catch_up: {} frames of the partner's window while {total} entries arrived and were stored ({:.0} ms from the unlock until its Boundaries page showed them all), frames run when asked for and at least every 16.7 ms; baseline: 120 frames of the same window at rest afterwards",
            f.len(),
            caught.took_ms
        ));
        drop(wc);
        a.stop_network(&self.rt);
        Ok(())
    }

    fn one_entry(&mut self, a: &mut Side, b: &mut Side, samples: usize) -> Result<OneEntry> {
        one_entry(&self.rt, &mut self.texts, a, b, samples)
    }

    /// One durable write at a time on the big profile, network off, beside the same
    /// number of bytes appended and fsynced to a plain file.
    fn write(&mut self, a: &Side, root: &Path) -> Result<()> {
        progress(format!(
            "{} durable writes, network off",
            self.sizes.write_samples
        ));
        let path = a.dir.join(SHARED_LOG);
        let mut took = Vec::new();
        let mut sizes = Vec::new();
        for _ in 0..self.sizes.write_samples {
            let text = self.texts.boundary();
            let before = file_len(&path)?;
            let t = Instant::now();
            a.device.propose_boundary(&text, None)?;
            took.push(ms(t.elapsed()));
            sizes.push(file_len(&path)? - before);
        }
        let plain: Vec<f64> = plain_appends(root, &sizes)?.into_iter().map(ms).collect();
        self.figures.push(
            Figure::new("write", median(&took), "ms")
                .baseline(median(&plain))
                .target(Target::Plus(0.15)),
        );
        let mut sorted = sizes.clone();
        sorted.sort_unstable();
        self.note(format!(
            "write: p99 {:.2} ms beside a plain append's p99 {:.2} ms; a record is {} bytes (median) on disk",
            percentile(&took, 99.0),
            percentile(&plain, 99.0),
            sorted.get(sorted.len() / 2).copied().unwrap_or(0)
        ));
        Ok(())
    }

    /// A second pair, paired and syncing, still empty.
    fn start_growth_pair(&mut self, root: &Path) -> Result<(Side, Side, Instant)> {
        progress("pairing Cal and Dee (the pair whose history grows)");
        let rt = &self.rt;
        let mut c = Side::create(root, "Cal")?;
        let mut d = Side::create(root, "Dee")?;
        c.start_network(rt)?;
        d.start_network(rt)?;
        pair(rt, &c, &d)?;
        let started = Instant::now();
        c.start_sync(rt)?;
        d.start_sync(rt)?;
        d.wait_until(rt, Duration::from_secs(60), "the first sync", |dev| {
            dev.partners().map(|p| p.len() == 2).unwrap_or(false)
        })?;
        Ok((c, d, started))
    }

    /// The second pair grows its history live and is measured at the smaller sizes.
    fn growth(&mut self, c: &mut Side, d: &mut Side, started: Instant) -> Result<Vec<GrowthRow>> {
        progress("growth: Cal and Dee, measured as their history grows");
        let rt = &self.rt;
        let warm = warm_up(rt, &mut self.texts, c, d, 1, started)?;
        let mut have = warm.latency_ms.len();
        settle(c, d, QUIET)?;
        let mut rows = Vec::new();
        for &h in self.sizes.histories {
            let mut last = String::new();
            while have < h {
                last = c.device.propose_boundary(&self.texts.boundary(), None)?;
                have += 1;
            }
            if !last.is_empty() {
                d.wait_until(rt, Duration::from_secs(120), "the growth writes", |dev| {
                    dev.boundary(&last).is_ok()
                })?;
            }
            let bytes = one_entry(rt, &mut self.texts, c, d, self.sizes.bytes_samples)?;
            let live = live_writes(rt, &mut self.texts, c, d, self.sizes.growth_live_writes)?;
            have += self.sizes.bytes_samples + self.sizes.growth_live_writes;
            rows.push(GrowthRow {
                history: h,
                write_p50_ms: median(&live.write_ms),
                live_sync_p50_ms: median(&live.latency_ms),
                one_entry_wire_bytes: bytes.wire,
                one_entry_frame_bytes: bytes.frames,
            });
        }
        c.stop_network(rt);
        d.stop_network(rt);
        self.note_warm_up("Cal and Dee", &warm);
        Ok(rows)
    }
}

/// Waits until `WARM_UP` has passed since the devices started syncing, then makes
/// `count` untimed live writes (a stall of the connection shows up in them).
fn warm_up(
    rt: &Runtime,
    texts: &mut Texts,
    a: &mut Side,
    b: &mut Side,
    count: usize,
    started: Instant,
) -> Result<Live> {
    if let Some(left) = WARM_UP.checked_sub(started.elapsed()) {
        std::thread::sleep(left);
    }
    live_writes(rt, texts, a, b, count)
}

/// Live writes on A, each timed until it is durable and readable on B.
fn live_writes(
    rt: &Runtime,
    texts: &mut Texts,
    a: &mut Side,
    b: &mut Side,
    count: usize,
) -> Result<Live> {
    let mut live = Live::default();
    for _ in 0..count {
        let text = texts.boundary();
        a.reset_events();
        b.reset_events();
        let t = Instant::now();
        let id = a.device.propose_boundary(&text, None)?;
        let wrote = Instant::now();
        let seen = b.wait_until(rt, Duration::from_secs(60), "a live change", |d| {
            d.boundary(&id).is_ok()
        })?;
        live.write_ms.push(ms(wrote - t));
        live.latency_ms.push(ms(seen - wrote));
        live.texts.push(text);
        settle(a, b, LIVE_QUIET)?;
    }
    Ok(live)
}

/// Bytes on the wire, both directions, to sync one new entry: from a silent wire,
/// through the write and its acknowledgements, to a silent wire again.
fn one_entry(
    rt: &Runtime,
    texts: &mut Texts,
    a: &mut Side,
    b: &mut Side,
    samples: usize,
) -> Result<OneEntry> {
    let mut wire = Vec::new();
    let mut frames = Vec::new();
    for _ in 0..samples {
        let before = settle(a, b, QUIET)?;
        let frames_before = a.received_total + b.received_total;
        let id = a.device.propose_boundary(&texts.boundary(), None)?;
        b.wait_until(rt, Duration::from_secs(60), "one entry", |d| {
            d.boundary(&id).is_ok()
        })?;
        let after = settle(a, b, QUIET)?;
        wire.push((after - before) as f64);
        frames.push((a.received_total + b.received_total - frames_before) as f64);
    }
    if wire.is_empty() {
        bail!("no samples");
    }
    Ok(OneEntry {
        wire: median(&wire),
        frames: median(&frames),
    })
}

/// The plaintext `save()` of one of a profile's documents, read through the store
/// with the profile's keys: the "same document" the baselines load.
fn plaintext_save(dir: &Path, log: &str, kind: LogKind) -> Result<Vec<u8>> {
    let keys = Unlocked::unlock(dir, PASSPHRASE)?;
    let opened = DocLog::open_in(&dir.join(log), kind, &keys.keyring)?;
    let mut all = Vec::new();
    for r in &opened.records {
        all.extend_from_slice(r);
    }
    let mut doc = AutoCommit::load(&all).map_err(|e| anyhow!("loading {log}: {e}"))?;
    Ok(doc.save())
}

fn file_len(path: &Path) -> Result<u64> {
    Ok(std::fs::metadata(path)
        .with_context(|| format!("reading {}", path.display()))?
        .len())
}
