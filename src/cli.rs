//! Runs one CLI command against the device API. Everything a command does goes
//! through `kintsugi_device`; this module only reads passphrases and prints.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};
use kintsugi_device::{
    Boundary, CheckInInput, Device, ExportFormat, ExportScope, Letter, LetterKind, Options,
    PacketRequest, PromiseOutcome, QuietHours, ReadReceipts, ReminderKind, Replace, Status,
    json::v1, view,
};
use serde::Serialize;
use zeroize::Zeroizing;

use crate::args::*;

pub fn init_logging() {
    // Logs go to stderr and carry ids and sizes only; the default shows warnings.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    // Colour codes only where a terminal reads them, not in a file or a pipe.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

fn default_profile() -> Result<PathBuf> {
    directories::ProjectDirs::from("", "", "Kintsugi")
        .map(|d| d.data_dir().to_path_buf())
        .ok_or_else(|| anyhow!("could not find a data folder for this user; pass --profile DIR"))
}

/// Asks for the test-only cheap passphrase hardening (see [`options`]).
pub const FAST_KDF_ENV: &str = "KINTSUGI_INSECURE_FAST_KDF";

/// The device options: always the standard passphrase hardening, except in a build
/// with the `insecure-fast-kdf-for-tests` feature asked for the cheap one. The
/// integration tests start this binary hundreds of times, which at half a second of
/// Argon2id each would take minutes; a setting that makes a stolen keyring easy to
/// brute-force must not be one environment variable away in the binary people run.
pub(crate) fn options(cli: &Cli) -> Options {
    let mut o = Options::default();
    if insecure_fast_kdf(cli) {
        o.kdf = kintsugi_device::KdfParams::INSECURE_FAST;
    }
    o
}

#[cfg(feature = "insecure-fast-kdf-for-tests")]
fn insecure_fast_kdf(cli: &Cli) -> bool {
    cli.insecure_fast_kdf
}

#[cfg(not(feature = "insecure-fast-kdf-for-tests"))]
fn insecure_fast_kdf(_: &Cli) -> bool {
    false
}

/// Says once, at start, that this build ignores the test-only setting, so that
/// someone who set it learns their profile gets the standard hardening.
pub fn warn_about_ignored_settings() {
    if cfg!(not(feature = "insecure-fast-kdf-for-tests"))
        && std::env::var_os(FAST_KDF_ENV).is_some()
    {
        tracing::warn!(
            "{FAST_KDF_ENV} is set, but this build ignores it (only test builds have it): the standard passphrase hardening is used"
        );
    }
}

/// The passphrase from `KINTSUGI_PASSPHRASE` (for scripts) or an interactive prompt.
pub(crate) fn passphrase(prompt: &str, env: &str, confirm: bool) -> Result<Zeroizing<String>> {
    if let Ok(p) = std::env::var(env) {
        return Ok(Zeroizing::new(p));
    }
    let first = Zeroizing::new(
        rpassword::prompt_password(prompt)
            .map_err(|_| anyhow!("no passphrase: run in a terminal or set {env}"))?,
    );
    if confirm {
        let again = Zeroizing::new(
            rpassword::prompt_password("Repeat it: ")
                .map_err(|_| anyhow!("no passphrase: run in a terminal or set {env}"))?,
        );
        if *first != *again {
            bail!("the two passphrases differ; nothing was changed");
        }
    }
    Ok(first)
}

pub(crate) fn unlock(dir: &Path, cli: &Cli) -> Result<Device> {
    if !Device::exists(dir) {
        bail!(
            "no profile in {}: create one with `kintsugi init --name NAME`",
            dir.display()
        );
    }
    let pass = passphrase("Passphrase: ", "KINTSUGI_PASSPHRASE", false)?;
    let device = Device::unlock(dir, pass.as_bytes(), options(cli))?;
    if let Ok(status) = device.status() {
        for w in status.warnings {
            eprintln!("kintsugi: note: {w}");
        }
    }
    Ok(device)
}

/// `--force` as the store names it.
pub fn replace(force: bool) -> Replace {
    if force { Replace::Yes } else { Replace::No }
}

pub(crate) fn print_json<T: Serialize>(value: &T) -> Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

pub fn run(cli: Cli) -> Result<()> {
    let dir = match &cli.profile {
        Some(p) => p.clone(),
        None => default_profile()?,
    };
    let Some(command) = &cli.command else {
        let mut config = kintsugi_ui::AppConfig::new(dir);
        config.net = crate::net::overrides(&cli);
        config.kdf = options(&cli).kdf;
        config.exit_after = cli.exit_after.map(std::time::Duration::from_secs);
        return kintsugi_ui::run(config).map_err(|e| anyhow!(e));
    };
    match command {
        Command::Init { name } => {
            if Device::exists(&dir) {
                bail!("a profile already exists in {}", dir.display());
            }
            let pass = passphrase("New passphrase: ", "KINTSUGI_PASSPHRASE", true)?;
            let device = Device::create(&dir, name, pass.as_bytes(), options(&cli))?;
            println!("Created a profile in {}", dir.display());
            println!("{}", device.me()?);
            Ok(())
        }
        Command::Status => {
            let device = unlock(&dir, &cli)?;
            let status = device.status()?;
            let reachable = if status.paired {
                Some(crate::net::reachable(&device, &cli)?)
            } else {
                None
            };
            if cli.json {
                print_json(&v1::Status::new(&status, reachable))
            } else {
                print_status(&status, reachable);
                Ok(())
            }
        }
        Command::Pair(cmd) => crate::net::pair(&unlock(&dir, &cli)?, &cli, cmd),
        Command::Device(cmd) => crate::devices::device(&dir, &cli, cmd),
        Command::Unpair { delete_shared, yes } => {
            crate::net::unpair(&unlock(&dir, &cli)?, &cli, *delete_shared, *yes)
        }
        Command::Sync { once, timeout } => {
            crate::net::sync(&unlock(&dir, &cli)?, &cli, *once, *timeout)
        }
        Command::Bundle(cmd) => crate::net::bundle(&unlock(&dir, &cli)?, cmd),
        Command::ReleaseHistory(cmd) => {
            crate::release::release(&unlock(&dir, &cli)?, cmd, cli.json)
        }
        Command::Boundary(cmd) => boundary(&unlock(&dir, &cli)?, cmd, cli.json),
        Command::Agreement(cmd) => crate::agreement::agreement(&unlock(&dir, &cli)?, cmd, cli.json),
        Command::Checkin(cmd) => checkin(&unlock(&dir, &cli)?, cmd, cli.json),
        Command::Meeting(cmd) => crate::meeting::meeting(&unlock(&dir, &cli)?, cmd, cli.json),
        Command::Letter(cmd) => letter(&unlock(&dir, &cli)?, cmd, cli.json),
        Command::Promise(cmd) => promise(&unlock(&dir, &cli)?, cmd, cli.json),
        Command::Diary(cmd) => diary(&unlock(&dir, &cli)?, cmd, cli.json),
        Command::Exercise(cmd) => crate::exercise::exercise(&unlock(&dir, &cli)?, cmd, cli.json),
        Command::Stage(cmd) => stage(&unlock(&dir, &cli)?, cmd, cli.json),
        Command::Due => due(&unlock(&dir, &cli)?, cli.json),
        Command::Shared(cmd) => crate::revise::shared(&unlock(&dir, &cli)?, cmd, cli.json),
        Command::Trigger(cmd) => trigger(&unlock(&dir, &cli)?, cmd, cli.json),
        Command::Search(args) => crate::revise::search(&unlock(&dir, &cli)?, args, cli.json),
        Command::Share { id } => {
            let device = unlock(&dir, &cli)?;
            let shared = device.share_diary_entry(id)?;
            eprintln!("Shared. Your partner's device keeps its own copy of this entry.");
            println!("{shared}");
            Ok(())
        }
        Command::Packet(args) => packet(&unlock(&dir, &cli)?, args),
        Command::Export {
            format,
            out,
            force,
            include_private,
        } => {
            let device = unlock(&dir, &cli)?;
            let format = match format {
                ExportFormatArg::Md => ExportFormat::Markdown,
                ExportFormatArg::Json => ExportFormat::Json,
                ExportFormatArg::Automerge => ExportFormat::Automerge,
            };
            let scope = if *include_private {
                eprintln!(
                    "kintsugi: this export includes your private diary and letter drafts, in plain text: anyone who can read it can read them"
                );
                ExportScope::WithPrivate
            } else {
                ExportScope::Shared
            };
            match out {
                Some(path) => {
                    device.export_to(path, format, scope, replace(*force))?;
                    if format != ExportFormat::Automerge {
                        eprintln!(
                            "Wrote {} (readable only by you, but not encrypted: keep it somewhere private)",
                            path.display()
                        );
                    } else {
                        eprintln!("Wrote {} (readable only by you)", path.display());
                    }
                }
                None => {
                    let bytes = Zeroizing::new(device.export(format, scope)?);
                    std::io::stdout().lock().write_all(&bytes)?
                }
            }
            Ok(())
        }
        Command::AcceptRollback { yes } => {
            if !Device::exists(&dir) {
                bail!("no profile in {}", dir.display());
            }
            if !yes {
                eprint!(
                    "Accept this profile's files as they are now? Entries newer than them stay lost \
                     (your partner's device sends back the shared ones at the next sync), and an \
                     older keyring comes back with what it held. [y/N] "
                );
                let _ = std::io::stderr().flush();
                let mut line = String::new();
                std::io::BufRead::read_line(&mut std::io::stdin().lock(), &mut line)?;
                if !matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
                    bail!("nothing was changed");
                }
            }
            let pass = passphrase("Passphrase: ", "KINTSUGI_PASSPHRASE", false)?;
            let (_, accepted) = Device::accept_rollback(&dir, pass.as_bytes(), options(&cli))?;
            if accepted.is_empty() {
                println!("Nothing was behind; the profile opens as it is.");
            }
            for line in accepted {
                println!("Accepted: {line}");
            }
            Ok(())
        }
        Command::Settings {
            read_receipts,
            reminders,
            remind_about,
            quiet_hours,
        } => {
            let device = unlock(&dir, &cli)?;
            // Everything is parsed before anything is stored: a bad value changes nothing.
            let receipts = read_receipts
                .as_ref()
                .map(|r| r.parse::<ReadReceipts>())
                .transpose()?;
            let kinds = remind_about
                .as_ref()
                .map(|ks| {
                    ks.iter()
                        .map(|k| k.parse::<ReminderKind>())
                        .collect::<kintsugi_device::Result<Vec<_>>>()
                })
                .transpose()?;
            let quiet = match quiet_hours.as_deref().map(str::trim) {
                None => None,
                Some("off") => Some(None),
                Some(q) => Some(Some(q.parse::<QuietHours>()?)),
            };
            let changes =
                receipts.is_some() || reminders.is_some() || kinds.is_some() || quiet.is_some();
            let settings = if changes {
                device.update_settings(|s| {
                    if let Some(r) = receipts {
                        s.read_receipts = r;
                    }
                    if let Some(on) = *reminders {
                        s.reminders.enabled = on;
                    }
                    if let Some(kinds) = &kinds {
                        for k in ReminderKind::ALL {
                            s.reminders.set(k, kinds.contains(&k));
                        }
                    }
                    if let Some(q) = quiet {
                        s.reminders.quiet_hours = q;
                    }
                })?
            } else {
                device.settings()?
            };
            if cli.json {
                return print_json(&v1::Settings::from(&settings));
            }
            println!(
                "Network:        {}",
                view::network_mode_label(settings.mode)
            );
            println!(
                "Relay:          {}",
                settings.relay.as_deref().unwrap_or("none")
            );
            println!(
                "Auto-lock:      {}",
                settings
                    .auto_lock_minutes
                    .map(|m| format!("after {m} minutes without use (in the app)"))
                    .unwrap_or_else(|| "the app's default".into())
            );
            println!(
                "Check-ins:      {}",
                view::reveal_together_label(settings.reveal_checkins_together)
            );
            println!(
                "Read receipts:  {}",
                view::read_receipts_label(settings.read_receipts)
            );
            println!(
                "Reminders:      {}",
                view::reminders_label(&settings.reminders)
            );
            Ok(())
        }
        Command::Remind { dry_run } => {
            let dry_run = *dry_run;
            let device = unlock(&dir, &cli)?;
            let reminders = device.settings()?.reminders;
            let shown = if dry_run {
                device.reminders_due_now()?
            } else {
                device.remind_now()?
            };
            if cli.json {
                return print_json(
                    &shown
                        .iter()
                        .map(|r| serde_json::json!({ "kind": r.kind, "text": r.text }))
                        .collect::<Vec<_>>(),
                );
            }
            if shown.is_empty() {
                println!(
                    "{}",
                    view::reminders_none(&reminders, kintsugi_device::quiet_now(&reminders))
                );
            }
            for r in &shown {
                if dry_run {
                    println!("Would show: {}", r.text);
                } else {
                    println!("Shown: {}", r.text);
                }
            }
            Ok(())
        }
        Command::Passphrase(PassphraseCmd::Change) => {
            let device = unlock(&dir, &cli)?;
            let new = passphrase("New passphrase: ", "KINTSUGI_NEW_PASSPHRASE", true)?;
            device.change_passphrase(new.as_bytes())?;
            println!("Passphrase changed.");
            Ok(())
        }
    }
}

fn print_status(s: &Status, reachable: Option<Option<kintsugi_device::Link>>) {
    println!("Profile:      {}", s.profile.display());
    println!(
        "You:          {} ({})",
        s.name.as_deref().unwrap_or("?"),
        short(&s.partner_id)
    );
    if s.paired {
        println!(
            "Partner:      {} (device {})",
            s.partner_name
                .as_deref()
                .unwrap_or("(name not received yet)"),
            s.partner_endpoint.as_deref().unwrap_or("?")
        );
        println!(
            "Last sync:    {}",
            s.last_sync.map(when).unwrap_or_else(|| "never".into())
        );
        println!(
            "Reachable:    {}",
            match reachable {
                Some(Some(link)) =>
                    format!("yes, right now ({})", kintsugi_device::describe_link(&link)),
                Some(None) => "not right now".into(),
                None => "unknown".into(),
            }
        );
    } else {
        println!("Partner:      not paired");
    }
    println!(
        "Shared:       {} boundaries, {} check-ins, {} letters, {} promises, {} shared entries",
        s.boundaries, s.checkins, s.letters, s.promises, s.shared_entries
    );
    println!(
        "Private:      {} diary entries, {} letter drafts",
        s.diary_entries, s.drafts
    );
}

fn short(id: &str) -> &str {
    &id[..id.len().min(8)]
}

/// Names partners in listings: "you" for this profile, the display name otherwise.
pub(crate) fn when(ms: i64) -> String {
    kintsugi_device::format_time(ms)
}

/// A boundary as a command's answer: JSON v1, or its lines.
pub(crate) fn show_boundary(b: &Boundary, names: &view::Names, json: bool) -> Result<()> {
    if json {
        print_json(&v1::Boundary::from(b))
    } else {
        print_boundary(b, names);
        Ok(())
    }
}

pub(crate) fn print_boundary(b: &Boundary, names: &view::Names) {
    let agreed: Vec<String> = b
        .agreements
        .iter()
        .map(|(p, at)| format!("{} {}", names.name(p), when(*at)))
        .collect();
    println!(
        "{}  [{}]{}  {}",
        b.id,
        b.status.as_str(),
        b.category
            .as_deref()
            .map(|c| format!(" ({c})"))
            .unwrap_or_default(),
        b.text
    );
    if !agreed.is_empty() {
        println!("    agreed: {}", agreed.join(", "));
    }
    crate::revise::print_history(b.edited, &b.earlier);
    crate::revise::print_amendment(b, names);
    if let Some(line) = view::agreement_line(b, kintsugi_device::today()) {
        println!("    agreement: {line}");
    }
    if let Some(r) = b.agreement.as_ref().and_then(|a| a.renewal.as_ref()) {
        println!("    {}", view::renewal_line(r, names));
    }
}

fn boundary(device: &Device, cmd: &BoundaryCmd, json: bool) -> Result<()> {
    let names = device.names()?;
    let show = |b: Boundary| show_boundary(&b, &names, json);
    match cmd {
        BoundaryCmd::Add { text, category } => {
            println!("{}", device.propose_boundary(text, category.as_deref())?);
            Ok(())
        }
        BoundaryCmd::List => {
            let list = device.boundaries()?;
            if json {
                return print_json(&v1::list::<_, v1::Boundary>(&list));
            }
            if list.is_empty() {
                println!("No boundaries yet.");
            }
            for b in &list {
                print_boundary(b, &names);
            }
            Ok(())
        }
        BoundaryCmd::Agree {
            id,
            amendment: false,
        } => show(device.agree_boundary(id)?),
        BoundaryCmd::Revisit { id } => show(device.revisit_boundary(id)?),
        BoundaryCmd::Retire { id } => show(device.retire_boundary(id)?),
        _ => crate::revise::boundary(device, cmd, json),
    }
}

fn checkin(device: &Device, cmd: &CheckinCmd, json: bool) -> Result<()> {
    match cmd {
        CheckinCmd::Add(a) => {
            let week = match &a.week {
                Some(w) => w.clone(),
                None => view::week_of(chrono::Local::now().date_naive()),
            };
            let input = CheckInInput {
                week,
                mood: a.mood,
                trust: a.trust,
                closeness: a.closeness,
                went_well: a.went_well.clone(),
                hard: a.hard.clone(),
                need: a.need.clone(),
                appreciate: a.appreciate.clone(),
            };
            let saved = device.save_checkin(&input)?;
            eprintln!(
                "{}",
                view::checkin_saved(&saved, &input.week, &device.names()?)
            );
            println!("{}", saved.id);
            Ok(())
        }
        CheckinCmd::Together { set } => {
            if let Some(set) = set {
                device.set_reveal_checkins_together(set == "on")?;
            }
            let on = device.settings()?.reveal_checkins_together;
            println!("{}", if on { "on" } else { "off" });
            eprintln!("{}", view::REVEAL_TOGETHER);
            Ok(())
        }
        CheckinCmd::List => {
            let list = device.checkins()?;
            if json {
                return print_json(&v1::list::<_, v1::CheckIn>(&list));
            }
            let names = device.names()?;
            let sealed = device.sealed_checkins()?;
            let held = device.held_checkins()?;
            for s in &sealed {
                println!("{}  {}", s.id, view::sealed_checkin(s, &names));
                if let Some(h) = held
                    .iter()
                    .find(|h| h.week == s.week && names.is_me(&s.author))
                {
                    for line in view::held_checkin(h) {
                        println!("    {line}");
                    }
                }
            }
            if list.is_empty() && sealed.is_empty() {
                println!("No check-ins yet.");
            }
            for c in &list {
                println!(
                    "{}  {}  {}: {}",
                    c.id,
                    c.week,
                    names.name(&c.author),
                    view::checkin_scores(c)
                );
                if let Some(note) = view::revealed_note(c, &names) {
                    println!("    ! {note}");
                }
                for (question, answer) in view::checkin_answers(c) {
                    println!("    {question}: {answer}");
                }
                crate::revise::print_checkin_history(c);
            }
            Ok(())
        }
        CheckinCmd::Edit { .. } => crate::revise::checkin_edit(device, cmd, json),
    }
}

struct LetterList {
    drafts: kintsugi_device::List<kintsugi_device::LetterDraft>,
    sent: Vec<Letter>,
    received: Vec<Letter>,
}

fn letter(device: &Device, cmd: &LetterCmd, json: bool) -> Result<()> {
    match cmd {
        LetterCmd::Draft { title, body, kind } => {
            let kind: LetterKind = kind.parse()?;
            println!("{}", device.draft_letter(kind, title, body)?);
            Ok(())
        }
        LetterCmd::Send {
            id,
            sealed_until,
            sealed_until_ready,
        } => {
            let until = match (sealed_until, sealed_until_ready) {
                (Some(day), _) => Some(kintsugi_device::seal_until_day(day)?),
                (None, true) => Some(kintsugi_device::SealUntil::Ready),
                (None, false) => None,
            };
            match until {
                None => println!("{}", device.send_letter(id)?),
                Some(until) => {
                    println!("{}", device.send_sealed_letter(id, until)?);
                    eprintln!("{}", view::SEAL_GUARANTEE);
                }
            }
            Ok(())
        }
        LetterCmd::Ready { id } => {
            let l = device.ready_for_letter(id)?;
            if json {
                return print_json(&v1::Letter::from(&l));
            }
            let names = device.names()?;
            println!("{}", view::ready_said(&names.name(&l.author)));
            Ok(())
        }
        LetterCmd::List => {
            let me = device.me()?;
            let (sent, received): (Vec<Letter>, Vec<Letter>) =
                device.letters()?.into_iter().partition(|l| l.author == me);
            let list = LetterList {
                drafts: device.drafts()?,
                sent,
                received,
            };
            let opened = device.opened_letters()?;
            if json {
                let mut received: Vec<v1::Letter> = v1::list(&list.received);
                for l in &mut received {
                    l.opened_at = opened.get(&l.id).copied();
                }
                return print_json(&v1::LetterList {
                    drafts: v1::list(&list.drafts),
                    sent: v1::list(&list.sent),
                    received,
                });
            }
            let names = device.names()?;
            println!("Drafts (private):");
            for d in &list.drafts {
                println!("  {}  [{}] {}", d.id, d.kind.as_str(), d.title);
            }
            let seal = |l: &Letter| {
                view::seal_line(l, &names)
                    .map(|s| format!(" — {s}"))
                    .unwrap_or_default()
            };
            println!("Sent:");
            for l in &list.sent {
                println!(
                    "  {}  [{}] {} — sent {}{}{}",
                    l.id,
                    l.kind.as_str(),
                    l.title,
                    when(l.sent),
                    l.read_at
                        .map(|r| format!(", read {}", when(r)))
                        .unwrap_or_default(),
                    seal(l)
                );
            }
            println!("Received:");
            for l in &list.received {
                let writer = names.name(&l.author);
                if l.is_sealed() {
                    println!(
                        "  {}  {}, sent {}{}",
                        l.id,
                        view::sealed_letter_heading(l, &names),
                        when(l.sent),
                        seal(l)
                    );
                    continue;
                }
                println!(
                    "  {}  [{}] {} — from {writer}, {}{}",
                    l.id,
                    l.kind.as_str(),
                    l.title,
                    view::letter_receipt(l, &opened, &writer),
                    seal(l)
                );
            }
            Ok(())
        }
        LetterCmd::Read {
            id,
            tell,
            dont_tell,
        } => {
            let choice = match (tell, dont_tell) {
                (true, _) => Some(true),
                (_, true) => Some(false),
                _ => None,
            };
            let l = device.read_letter(id, choice)?;
            if json {
                return print_json(&v1::Letter::from(&l));
            }
            let names = device.names()?;
            let writer = names.name(&l.author);
            println!("{} ({})", l.title, l.kind.as_str());
            println!("From {writer}, sent {}", when(l.sent));
            println!();
            println!("{}", l.body);
            // On standard output, after the letter: it names the writer, and names
            // stay out of what could end up in a log.
            if !names.is_me(&l.author) {
                println!();
                if l.read_at.is_some() {
                    println!("{}", view::letter_told(&writer));
                } else {
                    println!(
                        "{} To tell them: kintsugi letter mark-read {}",
                        view::letter_not_told(&writer),
                        l.id
                    );
                }
            }
            Ok(())
        }
        LetterCmd::MarkRead { id } => {
            let l = device.tell_letter_read(id)?;
            if json {
                return print_json(&v1::Letter::from(&l));
            }
            println!("{}", view::letter_told(&device.names()?.name(&l.author)));
            Ok(())
        }
        LetterCmd::Edit { .. } | LetterCmd::Discard { .. } => {
            crate::revise::letter(device, cmd, json)
        }
    }
}

fn promise(device: &Device, cmd: &PromiseCmd, json: bool) -> Result<()> {
    let outcome = |id: &str, o: PromiseOutcome| -> Result<()> {
        let p = device.set_promise_outcome(id, o)?;
        if json {
            print_json(&v1::Promise::from(&p))
        } else {
            println!("{}  {}", p.id, p.outcome.as_str());
            Ok(())
        }
    };
    match cmd {
        PromiseCmd::Add { text, due } => {
            println!("{}", device.add_promise(text, due)?);
            Ok(())
        }
        PromiseCmd::List => {
            let list = device.promises()?;
            if json {
                return print_json(&v1::list::<_, v1::Promise>(&list));
            }
            let names = device.names()?;
            if list.is_empty() {
                println!("No promises yet.");
            }
            for p in &list {
                println!(
                    "{}  due {}  [{}]  by {}: {}",
                    p.id,
                    p.due,
                    p.outcome.as_str(),
                    names.name(&p.author),
                    p.text
                );
                crate::revise::print_promise(p, &names);
            }
            Ok(())
        }
        PromiseCmd::Kept { id } => outcome(id, PromiseOutcome::Kept),
        PromiseCmd::Missed { id } => outcome(id, PromiseOutcome::Missed),
        PromiseCmd::Renegotiate { id } => outcome(id, PromiseOutcome::Renegotiated),
        _ => crate::revise::promise(device, cmd, json),
    }
}

fn diary(device: &Device, cmd: &DiaryCmd, json: bool) -> Result<()> {
    match cmd {
        DiaryCmd::Add { text, mood, stage } => {
            println!("{}", device.add_diary_entry(text, *mood, *stage)?);
            Ok(())
        }
        DiaryCmd::ReleaseHistory { yes } => crate::release::diary(device, *yes),
        DiaryCmd::List { stage } => {
            let list: Vec<_> = device
                .diary_entries()?
                .into_iter()
                .filter(|e| stage.is_none() || e.stage == *stage)
                .collect();
            if json {
                return print_json(&v1::list::<_, v1::DiaryEntry>(&list));
            }
            if list.is_empty() {
                println!("No diary entries yet.");
            }
            for e in &list {
                println!(
                    "{}  {}{}{}  {}",
                    e.id,
                    when(e.created),
                    e.mood.map(|m| format!(" mood {m}/5")).unwrap_or_default(),
                    e.stage.map(|s| format!(" stage {s}")).unwrap_or_default(),
                    e.text
                );
            }
            Ok(())
        }
        _ => crate::revise::diary(device, cmd, json),
    }
}

fn trigger(device: &Device, cmd: &TriggerCmd, json: bool) -> Result<()> {
    let names = device.names()?;
    let partner = names.partner_in_sentence();
    match cmd {
        TriggerCmd::Add {
            words,
            strength,
            at,
        } => {
            let at = at.as_deref().map(kintsugi_device::parse_when).transpose()?;
            println!("{}", device.add_trigger(at, *strength, words)?);
            Ok(())
        }
        TriggerCmd::List => {
            let entries = device.triggers()?;
            let weeks = device.trigger_weeks()?;
            let trend = device.trigger_trend()?;
            let shared = device.shared_triggers()?;
            if json {
                return print_json(&v1::TriggerLog {
                    entries: v1::list(&entries),
                    weeks: v1::list(&weeks),
                    shared_trend: v1::list(&trend),
                    shared_entries: v1::list(&shared),
                });
            }
            println!("Your log (private):");
            if entries.is_empty() {
                println!("  nothing logged yet");
            }
            for t in &entries {
                let mark = if shared.iter().any(|s| s.id == t.id) {
                    format!(" [shared with {partner}]")
                } else {
                    String::new()
                };
                println!(
                    "  {}  {}  strength {}/10  {}{mark}",
                    t.id,
                    when(t.at),
                    t.strength,
                    t.words
                );
            }
            println!("By week:");
            for w in &weeks {
                println!(
                    "  {} ({})",
                    view::trigger_week_line(w),
                    view::trigger_week_shared(w, &trend, &names)
                );
            }
            let theirs: Vec<_> = trend.iter().filter(|t| !names.is_me(&t.author)).collect();
            if !theirs.is_empty() {
                println!("{}'s weeks, as shared:", names.partner_name());
                for t in theirs {
                    println!("  {}", view::trigger_week_line(&t.numbers));
                }
            }
            let moments: Vec<_> = shared.iter().filter(|t| !names.is_me(&t.author)).collect();
            if !moments.is_empty() {
                println!("Moments {partner} shared:");
                for t in moments {
                    println!("  {}  strength {}/10  {}", when(t.at), t.strength, t.words);
                }
            }
            Ok(())
        }
        TriggerCmd::ShareTrend { week } => {
            let weeks = device.share_trigger_trend(week.as_deref())?;
            if json {
                return print_json(&v1::list::<_, v1::TriggerWeek>(&weeks));
            }
            for w in &weeks {
                println!("{}", view::trigger_week_line(w));
            }
            println!("{}", view::trend_share_says(&partner));
            Ok(())
        }
        TriggerCmd::Share { id } => {
            let t = device.share_trigger(id)?;
            if json {
                return print_json(&v1::SharedTrigger::from(&t));
            }
            println!("{}", view::trigger_share_says(&partner));
            println!("{}", t.id);
            Ok(())
        }
        TriggerCmd::Delete { id } => {
            device.delete_trigger(id)?;
            println!("{}", view::DIARY_DELETED);
            Ok(())
        }
    }
}

fn due(device: &Device, json: bool) -> Result<()> {
    let today = chrono::Local::now().date_naive();
    let due = device.due(today)?;
    let names = device.names()?;
    if json {
        let due: Vec<v1::Due> = due.iter().map(|d| v1::Due::new(d, &names)).collect();
        return print_json(&due);
    }
    if due.is_empty() {
        println!("Nothing is waiting for you right now.");
    }
    for d in &due {
        println!("{}", d.describe(&names));
    }
    Ok(())
}

fn stage(device: &Device, cmd: &StageCmd, json: bool) -> Result<()> {
    match cmd {
        StageCmd::Done { stage, note, undo } => {
            device.set_stage(*stage, !undo, note.as_deref())?;
            println!("Stage {stage}: {}", if *undo { "not done" } else { "done" });
            Ok(())
        }
        StageCmd::Note { stage, text } => crate::revise::stage_note(device, *stage, text),
        StageCmd::Accept { words, undo } => {
            if *undo {
                device.take_back_acceptance()?;
                println!("Acceptance taken back.");
                return Ok(());
            }
            let a = device.accept(words.as_deref())?;
            if json {
                return print_json(&v1::Acceptance::from(&a));
            }
            println!("Acceptance marked. {}", view::ACCEPTED);
            Ok(())
        }
        StageCmd::Forgive { words, undo } => {
            let partner = device.names()?.partner_in_sentence();
            if *undo {
                device.take_back_forgiveness()?;
                println!("Taken back. {}", view::forgiveness_taken_back(&partner));
                return Ok(());
            }
            let f = device.offer_forgiveness(words.as_deref())?;
            if json {
                return print_json(&v1::Forgiveness::from(&f));
            }
            println!("Offered. {}", view::forgiveness_offered(&partner));
            Ok(())
        }
        StageCmd::List => {
            let list = device.stages()?;
            if json {
                return print_json(&v1::list::<_, v1::StageProgress>(&list));
            }
            let names = device.names()?;
            for n in 1..=7u8 {
                let rows: Vec<String> = list
                    .iter()
                    .filter(|s| s.stage == n)
                    .map(|s| {
                        format!(
                            "{}: {}{}{}{}",
                            names.name(&s.partner),
                            if s.done { "done" } else { "in progress" },
                            s.note
                                .as_deref()
                                .map(|t| format!(" — {t}"))
                                .unwrap_or_default(),
                            s.edited
                                .map(|at| format!(" (edited {})", when(at)))
                                .unwrap_or_default(),
                            s.forgiveness
                                .as_ref()
                                .map(|f| format!(
                                    "; offered forgiveness {}{}",
                                    when(f.offered_at),
                                    f.words
                                        .as_deref()
                                        .map(|w| format!(": \"{w}\""))
                                        .unwrap_or_default()
                                ))
                                .unwrap_or_default()
                        )
                    })
                    .collect();
                println!(
                    "{n}. {:<26} {}",
                    view::stage_title(n),
                    if rows.is_empty() {
                        "—".to_string()
                    } else {
                        rows.join("; ")
                    }
                );
            }
            if let Some(a) = device.acceptance()? {
                println!(
                    "Your acceptance (private, only on your own devices): reached {}{}",
                    when(a.reached_at),
                    a.words
                        .as_deref()
                        .map(|w| format!(" — {w}"))
                        .unwrap_or_default()
                );
            }
            Ok(())
        }
    }
}

/// `kintsugi packet`: the device builds and writes it; this reads the choice and the
/// passphrase, and says how to open what was written.
fn packet(device: &Device, args: &PacketArgs) -> Result<()> {
    let date = |s: &str| kintsugi_device::parse_date(s).map_err(|e| anyhow!(e));
    let from = date(&args.from)?;
    let to = match &args.to {
        Some(to) => date(to)?,
        None => chrono::Local::now().date_naive(),
    };
    let req = PacketRequest {
        checkins: args.checkins,
        promises: args.promises,
        boundaries: args.boundaries,
        triggers: args.triggers,
        letters: args.letters.clone(),
        diary: args.diary.clone(),
        ..PacketRequest::new(from, to)
    };
    if !req.diary.is_empty() {
        eprintln!(
            "kintsugi: the packet includes {} entr{} of your private diary, as you chose",
            req.diary.len(),
            if req.diary.len() == 1 { "y" } else { "ies" }
        );
    }
    let seal = if args.seal {
        Some(passphrase(
            "Passphrase for the packet: ",
            "KINTSUGI_PACKET_PASSPHRASE",
            true,
        )?)
    } else {
        None
    };
    let written = device.write_packet(
        &req,
        &args.out,
        seal.as_ref().map(|s| s.as_str()),
        replace(args.force),
    )?;
    eprintln!("{}", view::packet_written(&written, seal.is_some()));
    println!("{}", written.display());
    Ok(())
}
