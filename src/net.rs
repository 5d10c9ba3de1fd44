//! The CLI's network commands: pairing, sync, bundles, unpairing.

use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use kintsugi_device::{Device, Event, Invite, NetOverrides, Network, NetworkMode, qr};

use crate::args::{BundleCmd, Cli, PairCmd};

pub fn overrides(cli: &Cli) -> Result<NetOverrides> {
    Ok(NetOverrides {
        mode: match &cli.network {
            Some(m) => Some(m.parse::<NetworkMode>().map_err(|e| anyhow!(e))?),
            None => None,
        },
        bind: cli.bind.clone(),
        relay: cli.relay.clone(),
    })
}

pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("could not start the network runtime")
}

/// Shows the code and asks whether it matches the partner's screen.
fn confirm_sas(sas: &str, partner: &str, yes: bool) -> Result<bool> {
    println!("Pairing with {partner}. Compare this code with the one on their screen:");
    println!("{sas}");
    if yes {
        return Ok(true);
    }
    eprint!("Does it match exactly? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("could not read the answer")?;
    Ok(matches!(
        line.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

async fn finish(net: &Network, pending: kintsugi_device::PendingPairing, yes: bool) -> Result<()> {
    let partner = pending.partner_name().to_string();
    let sas = pending.sas().to_string();
    let matches = tokio::task::spawn_blocking(move || confirm_sas(&sas, &partner, yes)).await??;
    if matches {
        eprintln!("Waiting for your partner to confirm…");
    }
    let name = net.finish_pairing(pending, matches).await?;
    println!("Paired with {name}. Run `kintsugi sync` to keep your shared journal in step.");
    Ok(())
}

pub fn pair(device: &Device, cli: &Cli, cmd: &PairCmd) -> Result<()> {
    let rt = runtime()?;
    rt.block_on(async {
        let net = device.start_network(&overrides(cli)?).await?;
        let result = async {
            match cmd {
                PairCmd::Invite {
                    qr_png,
                    yes,
                    timeout,
                } => {
                    let invite = net.create_invite(Duration::from_secs(*timeout))?;
                    let text = invite.to_text();
                    if let Some(path) = qr_png {
                        std::fs::write(path, qr::png(&text)?)
                            .with_context(|| format!("could not write {}", path.display()))?;
                    }
                    if std::io::stdout().is_terminal() {
                        println!("{}", qr::terminal(&text)?);
                    }
                    println!("Ask your partner to scan the code, or to run:");
                    println!("  kintsugi pair join {text}");
                    println!("{text}");
                    eprintln!(
                        "Waiting for your partner to join (the invite works once, for {} minutes)…",
                        timeout.div_ceil(60)
                    );
                    let pending = net.host(&invite).await?;
                    finish(&net, pending, *yes).await
                }
                PairCmd::Join {
                    code,
                    qr_image,
                    yes,
                } => {
                    let text = match (code, qr_image) {
                        (Some(c), _) => c.clone(),
                        (None, Some(path)) => {
                            let bytes = std::fs::read(path)
                                .with_context(|| format!("could not read {}", path.display()))?;
                            qr::decode_image(&bytes)?
                        }
                        (None, None) => bail!("give the invite text or --qr-image FILE"),
                    };
                    let invite =
                        Invite::from_text(&text).map_err(kintsugi_device::DeviceError::from)?;
                    eprintln!("Connecting to your partner's device…");
                    let pending = net.join(&invite).await?;
                    finish(&net, pending, *yes).await
                }
            }
        }
        .await;
        net.shutdown().await;
        result
    })
}

pub fn sync(device: &Device, cli: &Cli, once: bool, timeout: Option<u64>) -> Result<()> {
    let rt = runtime()?;
    rt.block_on(async {
        let net = device.start_network(&overrides(cli)?).await?;
        let result = if once {
            let t = Duration::from_secs(timeout.unwrap_or(60));
            match net.sync_once(t).await {
                Ok(_) => {
                    println!("In sync with your partner.");
                    Ok(())
                }
                Err(e) => Err(anyhow!("could not sync with your partner: {e}")),
            }
        } else {
            live(device, &net, timeout).await
        };
        net.shutdown().await;
        result
    })
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
        let net = device.start_network(&overrides(cli)?).await?;
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
        BundleCmd::Export { file } => {
            let bytes = device.export_bundle()?;
            std::fs::write(file, &bytes)
                .with_context(|| format!("could not write {}", file.display()))?;
            println!(
                "Wrote {} ({} bytes, sealed for your partner).",
                file.display(),
                bytes.len()
            );
        }
        BundleCmd::Import { file } => {
            let bytes = std::fs::read(file)
                .with_context(|| format!("could not read {}", file.display()))?;
            if device.import_bundle(&bytes)? {
                println!("Imported your partner's changes.");
            } else {
                println!("Nothing new in this bundle.");
            }
        }
    }
    Ok(())
}

/// Whether the partner answers now, for `status`.
pub fn reachable(device: &Device, cli: &Cli) -> Result<bool> {
    let rt = runtime()?;
    rt.block_on(async {
        let mut o = overrides(cli)?;
        // A probe only dials out: any free port will do.
        let ip = o.bind.as_deref().and_then(|b| {
            b.parse::<std::net::SocketAddr>()
                .map(|a| a.ip().to_string())
                .ok()
                .or(Some(b.to_string()))
        });
        o.bind = Some(format!("{}:0", ip.unwrap_or_else(|| "0.0.0.0".into())));
        let net = device.start_network(&o).await?;
        let ok = net.partner_reachable(Duration::from_secs(3)).await;
        net.shutdown().await;
        Ok(ok)
    })
}
