//! The CLI's release-of-history commands: the private diary's (this device only)
//! and the shared journal's (with the partner's consent, at the next sync). Each says
//! plainly what it does and what it cannot do.

use std::io::{BufRead, Write};

use anyhow::{Result, bail};
use kintsugi_device::view::{
    RELEASE_CANNOT_REACH as CANNOT_REACH, RELEASE_DIARY as DIARY, RELEASE_SHARED as SHARED,
};
use kintsugi_device::{Device, json::v1};

use crate::args::ReleaseCmd;

pub(crate) fn confirm(question: &str) -> Result<()> {
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    if !matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
        bail!("nothing was changed");
    }
    Ok(())
}

pub fn diary(device: &Device, yes: bool) -> Result<()> {
    eprintln!("{DIARY} {CANNOT_REACH}");
    if !yes {
        confirm("Release your diary's history now?")?;
    }
    device.release_diary_history()?;
    println!("Released your diary's history: only what it reads now is kept.");
    Ok(())
}

fn when(ms: i64) -> String {
    kintsugi_device::format_time(ms)
}

pub fn release(device: &Device, cmd: &ReleaseCmd, json: bool) -> Result<()> {
    match cmd {
        ReleaseCmd::Request { yes } => {
            eprintln!("{SHARED} {CANNOT_REACH}");
            if !yes {
                confirm("Ask your partner to release the shared journal's history?")?;
            }
            device.request_release_history()?;
            println!(
                "Asked. Your partner's device learns of it at your next sync (`kintsugi sync`); they accept or decline it there."
            );
        }
        ReleaseCmd::Accept { yes } => {
            eprintln!("{SHARED} {CANNOT_REACH}");
            if !yes {
                confirm("Accept, and release the shared journal's history at your next sync?")?;
            }
            device.accept_release_history()?;
            println!(
                "Accepted. The history is released the next time your two devices sync (`kintsugi sync`); this cannot be undone."
            );
        }
        ReleaseCmd::Decline => {
            device.decline_release_history()?;
            println!(
                "Declined. Nothing is released; your partner's device learns of it at your next sync."
            );
        }
        ReleaseCmd::Status => {
            let s = device.release_status()?;
            if json {
                let mut out = std::io::stdout().lock();
                serde_json::to_writer_pretty(&mut out, &v1::ReleaseStatus::from(&s))?;
                writeln!(out)?;
                return Ok(());
            }
            match &s.request {
                None => println!("No request to release the shared journal's history is open."),
                Some(r) if r.under_way => println!(
                    "You both agreed to release the history; the two devices are doing it now, and finish at your next sync."
                ),
                Some(r) if r.agreed => println!(
                    "You both agreed to release the history (asked {}); it happens at your next sync (`kintsugi sync`).",
                    when(r.asked_at)
                ),
                Some(r) if r.asked_by_me => println!(
                    "You asked to release the history on {}; waiting for your partner's answer (their device learns of it at your next sync).",
                    when(r.asked_at)
                ),
                Some(r) => println!(
                    "Your partner asked to release the shared journal's history on {}. Accept with `kintsugi release-history accept`, or decline with `kintsugi release-history decline`.",
                    when(r.asked_at)
                ),
            }
            if let Some(at) = s.partner_declined_at {
                println!("Your partner declined your last request ({}).", when(at));
            }
            match s.last_release {
                Some(at) => println!(
                    "The shared journal's history was last released on {}.",
                    when(at)
                ),
                None => println!("The shared journal's history was never released on this device."),
            }
            if let Some(why) = s.shared_blocked {
                println!("A release cannot be asked for or accepted now: {why}.");
            }
        }
    }
    Ok(())
}
