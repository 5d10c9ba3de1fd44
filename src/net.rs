//! The CLI's network commands: pairing, sync, bundles, unpairing.

use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use kintsugi_device::{Device, Event, Invitation, NetOverrides, Network, Purpose, qr, view};

use crate::args::{BundleCmd, Cli, InviteArgs, JoinArgs, PairCmd};

pub fn overrides(cli: &Cli) -> NetOverrides {
    NetOverrides {
        mode: cli.network,
        bind: cli.bind,
        relay: cli.relay.clone(),
    }
}

pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("could not start the network runtime")
}

/// Shows this screen's code and asks for the code on the other screen, like a
/// Bluetooth passkey: the person has to read the other screen rather than press y
/// out of habit. The codes match only if the digits are the same.
fn compare_codes(sas: &str, with: &str, expected: Option<&str>) -> Result<bool> {
    println!("{with}. The code on this screen is:");
    println!("{sas}");
    let theirs = match expected {
        Some(e) => e.to_string(),
        None => {
            eprint!("Type the code shown on the other screen (or press Enter to stop): ");
            let _ = std::io::stderr().flush();
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("could not read the code")?;
            line
        }
    };
    if view::code_digits(&theirs).is_empty() {
        eprintln!("No code was typed: stopping.");
        return Ok(false);
    }
    let same = view::codes_match(sas, &theirs);
    if !same {
        eprintln!("{}", view::codes_differ(sas, &theirs));
    }
    Ok(same)
}

/// Which side of an invite this device is on, and for what.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// Pairing with the partner, from either side.
    Partner,
    /// My existing device, adding a new one.
    Existing,
    /// The new device, joining my existing one.
    New,
}

async fn finish(
    net: &Network,
    pending: kintsugi_device::PendingPairing,
    expected: Option<&str>,
    role: Role,
) -> Result<()> {
    let other = pending.partner_name().to_string();
    let with = match role {
        Role::Partner => format!("Pairing with {other}"),
        Role::Existing => format!("Adding your device \"{other}\""),
        Role::New => format!("Joining {other}'s device"),
    };
    let sas = pending.sas().to_string();
    let expected = expected.map(str::to_string);
    let matches =
        tokio::task::spawn_blocking(move || compare_codes(&sas, &with, expected.as_deref()))
            .await??;
    if matches {
        eprintln!("The codes match. Waiting for the other screen to confirm…");
    }
    match role {
        Role::Partner => {
            let name = net.finish_pairing(pending, matches).await?;
            println!(
                "Paired with {name}. Run `kintsugi sync` to keep your shared journal in step."
            );
        }
        Role::Existing => {
            let (label, done) = net.finish_link(pending, matches).await?;
            println!("Added your device \"{label}\".");
            if !done {
                eprintln!(
                    "It did not say it stored everything: if `kintsugi device list` on it does not list your devices, remove it here and add it again."
                );
            }
        }
        Role::New => {
            let name = net.finish_join_link(pending, matches).await?;
            println!(
                "This is now one of {name}'s devices. Run `kintsugi sync` to receive your journals."
            );
        }
    }
    Ok(())
}

/// The invite text from a file or standard input, never from the command line,
/// where `ps` and the shell's history would keep the one-time secret. A messenger
/// may have wrapped the text over several lines, so lines are joined until they make
/// a whole invite.
fn read_invite(invite_file: Option<&std::path::Path>) -> Result<Invitation> {
    let text = match invite_file {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("could not read {}", path.display()))?,
        None => {
            if std::io::stdin().is_terminal() {
                eprintln!("Paste the invite text, then press Enter:");
            }
            let mut text = String::new();
            let stdin = std::io::stdin();
            let mut lines = stdin.lock();
            loop {
                let mut line = String::new();
                if lines
                    .read_line(&mut line)
                    .context("could not read the invite")?
                    == 0
                {
                    break;
                }
                if line.trim().is_empty() && text.trim().is_empty() {
                    continue;
                }
                text.push_str(&line);
                if line.trim().is_empty() || Invitation::from_text(&text).is_ok() {
                    break;
                }
            }
            text
        }
    };
    if text.trim().is_empty() {
        bail!("no invite text: paste it when asked, or give --invite-file FILE or --qr-image FILE");
    }
    Ok(Invitation::from_text(&text).map_err(kintsugi_device::DeviceError::from)?)
}

/// The invite a person gives, read before any network starts so that a bad one is
/// refused at once, and refused by name when it is of the other kind.
pub(crate) fn invitation(from: &JoinArgs, purpose: Purpose) -> Result<Invitation> {
    let invitation = match &from.qr_image {
        Some(path) => {
            let bytes = std::fs::read(path)
                .with_context(|| format!("could not read {}", path.display()))?;
            Invitation::from_text(&qr::decode_image(&bytes)?)
                .map_err(kintsugi_device::DeviceError::from)?
        }
        None => read_invite(from.invite_file.as_deref())?,
    };
    invitation.require(purpose).map_err(|e| {
        let command = match purpose {
            Purpose::Partner => "kintsugi device join",
            Purpose::OwnDevice => "kintsugi pair join",
        };
        anyhow!("{e} (here: `{command}`)")
    })
}

/// Writes the invite picture so that it appears whole: a partner, or a script, that
/// reads it the moment it exists never gets an empty or half-written picture. It is
/// written (owner-only) under a temporary name beside `path`, then linked into place,
/// which like the plain write refuses a file already there, or renamed over it with
/// `--force`. Where that cannot be done (a file system without links, a name taken),
/// the plain write runs instead, and says why it could not write.
fn write_invite_png(path: &std::path::Path, text: &str, force: bool) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    let part = dir.join(format!(".kintsugi-invite-{}.png.part", std::process::id()));
    if qr::write_png(&part, text, kintsugi_device::Replace::Yes).is_ok() {
        let placed = if force {
            std::fs::rename(&part, path)
        } else {
            std::fs::hard_link(&part, path)
        };
        let _ = std::fs::remove_file(&part);
        if placed.is_ok() {
            return Ok(());
        }
    }
    Ok(qr::write_png(path, text, crate::cli::replace(force))?)
}

pub fn pair(device: &Device, cli: &Cli, cmd: &PairCmd) -> Result<()> {
    match cmd {
        PairCmd::Invite(args) => show_invite(device, cli, args, Role::Partner),
        PairCmd::Join(from) => {
            let invitation = invitation(from, Purpose::Partner)?;
            join(device, cli, &invitation, from, Role::Partner, "")
        }
    }
}

/// Shows an invite and serves the one who joins with it, then compares the codes.
pub(crate) fn show_invite(device: &Device, cli: &Cli, args: &InviteArgs, role: Role) -> Result<()> {
    let rt = runtime()?;
    rt.block_on(async {
        let net = device.start_network(&overrides(cli)).await?;
        let result = async {
            let ttl = Duration::from_secs(args.timeout);
            let offer = match role {
                Role::Partner => net.create_invite(ttl)?,
                _ => net.create_link_invite(ttl)?,
            };
            // Open the door before the invite is anywhere a partner can read it: a
            // partner who reads the picture the moment it appears must not be told
            // the invite was already used.
            let hosting = net.start_hosting(&offer)?;
            let text = offer.to_text();
            if let Some(path) = &args.qr_png {
                write_invite_png(path, &text, args.force)?;
            }
            if std::io::stdout().is_terminal() {
                println!("{}", qr::terminal(&text)?);
            }
            match role {
                Role::Partner => println!(
                    "Ask your partner to scan the code, or send them the invite text below: they run `kintsugi pair join` and paste it."
                ),
                _ => println!(
                    "On your other device, scan the code, or run `kintsugi device join` there and paste the text below. Keep it to yourself: it adds a device of yours."
                ),
            }
            println!("{text}");
            eprintln!(
                "Waiting for the other device to join (the invite works once, for {} minutes)…",
                args.timeout.div_ceil(60)
            );
            let pending = hosting.wait().await?;
            finish(&net, pending, args.expect_sas.as_deref(), role).await
        }
        .await;
        net.shutdown().await;
        result
    })
}

/// Joins the device showing `invitation`, then compares the codes.
pub(crate) fn join(
    device: &Device,
    cli: &Cli,
    invitation: &Invitation,
    from: &JoinArgs,
    role: Role,
    label: &str,
) -> Result<()> {
    let rt = runtime()?;
    rt.block_on(async {
        let net = device.start_network(&overrides(cli)).await?;
        let result = async {
            eprintln!("Connecting to the device showing the invite…");
            let pending = match role {
                Role::New => net.join_link(invitation, label).await?,
                _ => net.join(invitation).await?,
            };
            finish(&net, pending, from.expect_sas.as_deref(), role).await
        }
        .await;
        net.shutdown().await;
        result
    })
}

pub fn sync(device: &Device, cli: &Cli, once: bool, timeout: Option<u64>) -> Result<()> {
    let rt = runtime()?;
    rt.block_on(async {
        let net = device.start_network(&overrides(cli)).await?;
        let result = if once {
            let secs = timeout.unwrap_or(60);
            let mut events = device.subscribe();
            let ended = net.sync_once(Duration::from_secs(secs)).await;
            while let Ok(ev) = events.try_recv() {
                if ev == Event::HistoryReleased {
                    println!(
                        "Released the shared journal's history: this device now holds the new journal, and the old one is destroyed here."
                    );
                }
            }
            once_outcome(ended, secs)
        } else {
            live(device, &net, timeout).await
        };
        net.shutdown().await;
        result
    })
}

/// What a one-shot sync tells the person, and its exit status: success only when
/// both devices hold the same journal.
fn once_outcome(
    ended: kintsugi_device::Result<kintsugi_device::SessionEnd>,
    secs: u64,
) -> Result<()> {
    use kintsugi_device::DeviceError;
    use kintsugi_device::NetError;
    use kintsugi_device::SessionEnd;
    match ended {
        Ok(SessionEnd::InSync) => {
            println!(
                "In sync: every device of the couple that answered holds the same shared journal as this one."
            );
            Ok(())
        }
        Ok(SessionEnd::PartnerUnpaired) => Err(anyhow!(
            "your partner ended the pairing; this device is no longer paired (the shared journal stays here as an archive)"
        )),
        Ok(SessionEnd::Stopped) => Err(anyhow!(
            "could not sync with your partner: stopped before the two journals were in sync; run it again"
        )),
        Ok(SessionEnd::Rekeyed) => Err(anyhow!(
            "the shared journal's history was just released; run the sync again to sync the new journal"
        )),
        Ok(SessionEnd::PeerClosed) => Err(anyhow!(
            "could not sync with your partner: their device closed the session before the two journals were in sync; run it again"
        )),
        Err(DeviceError::Net(NetError::Timeout)) => Err(anyhow!(
            "could not sync with your partner: their device did not answer within {secs} seconds (is Kintsugi open there, or `kintsugi sync` running?)"
        )),
        Err(DeviceError::Net(e @ NetError::NotPairedThere)) => {
            Err(anyhow!("could not sync with your partner: {e}"))
        }
        Err(DeviceError::Net(e @ NetError::HistoryReleased)) => Err(anyhow!("{e}")),
        Err(e) => Err(anyhow!(
            "could not sync with your partner within {secs} seconds; the last attempt ended: {e}"
        )),
    }
}

async fn live(device: &Device, net: &Network, timeout: Option<u64>) -> Result<()> {
    if !net.start_sync()? {
        bail!("not paired: pair with `kintsugi pair invite` or `kintsugi pair join` first");
    }
    // Entries written by other processes on this device (the app, one-off CLI
    // commands) reach the partner as soon as they are noticed.
    let _watch = device.watch(Duration::from_millis(100));
    let mut events = device.subscribe();
    eprintln!("Syncing with your partner; press Ctrl-C to stop.");
    let until = async {
        match timeout {
            Some(s) => tokio::time::sleep(Duration::from_secs(s)).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(until);
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = &mut until => break,
            ev = events.recv() => match ev {
                Ok(Event::PartnerOnline) => eprintln!("Partner online."),
                Ok(Event::PartnerOffline) => eprintln!("Partner offline; will reconnect."),
                Ok(Event::InSync) => eprintln!("In sync."),
                Ok(Event::Changed { doc: kintsugi_device::DocKind::Shared, local: false }) => eprintln!("Received changes."),
                Ok(Event::Unpaired) => {
                    eprintln!("The pairing ended.");
                    break;
                }
                Ok(Event::Locked) => break,
                Ok(Event::ReleaseRequested) => eprintln!(
                    "Your partner asks to release the shared journal's history: see `kintsugi release-history status`."
                ),
                Ok(Event::HistoryReleased) => eprintln!(
                    "The shared journal's history was released: this device now holds the new journal."
                ),
                Ok(Event::StaleJournal) => {
                    bail!("{}", kintsugi_device::NetError::HistoryReleased);
                }
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => break,
            }
        }
    }
    Ok(())
}

pub fn unpair(device: &Device, cli: &Cli, delete_shared: bool, yes: bool) -> Result<()> {
    if !yes {
        if delete_shared {
            eprint!("End the pairing and DELETE the shared journal from this device? [y/N] ");
        } else {
            eprint!("End the pairing? The shared journal stays here as an archive. [y/N] ");
        }
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        if !matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
            bail!("nothing was changed");
        }
    }
    let rt = runtime()?;
    rt.block_on(async {
        let net = device.start_network(&overrides(cli)).await?;
        let told = net.unpair(delete_shared).await;
        net.shutdown().await;
        if told? {
            println!("Unpaired. Your partner's device was told.");
        } else {
            println!("Unpaired. Your partner's device could not be reached; it can no longer sync with this one.");
        }
        Ok(())
    })
}

pub fn bundle(device: &Device, cmd: &BundleCmd) -> Result<()> {
    match cmd {
        BundleCmd::Export { file, force } => {
            device.export_bundle_to(file, crate::cli::replace(*force))?;
            let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
            println!(
                "Wrote {} ({size} bytes, sealed for your partner).",
                file.display()
            );
        }
        BundleCmd::Import { file } => {
            // The device checks the file's size before it reads it.
            if device.import_bundle_file(file)? {
                println!("Imported your partner's changes.");
            } else {
                println!("Nothing new in this bundle.");
            }
        }
    }
    Ok(())
}

/// How the partner answers now (`None`: it does not), for `status`.
pub fn reachable(device: &Device, cli: &Cli) -> Result<Option<kintsugi_device::Link>> {
    let rt = runtime()?;
    rt.block_on(async {
        let mut o = overrides(cli);
        // A probe only dials out: any free port will do.
        let ip = o
            .bind
            .map_or(std::net::Ipv4Addr::UNSPECIFIED.into(), |b| b.ip());
        o.bind = Some(kintsugi_device::Bind::Socket((ip, 0).into()));
        let net = device.start_network(&o).await?;
        let link = net.probe_partner(Duration::from_secs(3)).await;
        net.shutdown().await;
        Ok(link)
    })
}
