//! `kintsugi device`: the couple's devices. Which ones count, and the words for
//! each, come from the device crate (`Device::devices`, `view::device_line`).

use std::path::Path;

use anyhow::Result;
use kintsugi_device::{Device, Purpose, json::v1, view};

use crate::args::{Cli, DeviceCmd, JoinArgs};
use crate::cli::{options, passphrase, print_json, unlock};
use crate::net::Role;

pub fn device(dir: &Path, cli: &Cli, cmd: &DeviceCmd) -> Result<()> {
    match cmd {
        DeviceCmd::Join { from, label } => join(dir, cli, from, label),
        DeviceCmd::Link(args) => {
            crate::net::show_invite(&unlock(dir, cli)?, cli, args, Role::Existing)
        }
        DeviceCmd::List => list(&unlock(dir, cli)?, cli.json),
        DeviceCmd::Revoke { id, yes } => revoke(&unlock(dir, cli)?, id, *yes, cli.json),
    }
}

fn list(device: &Device, json: bool) -> Result<()> {
    let list = device.devices()?;
    if json {
        return print_json(&v1::Devices::from(&list));
    }
    let names = device.names()?;
    println!("{}", view::DEVICES_ABOUT);
    for row in &list.devices {
        let short = row.endpoint.get(..12).unwrap_or(&row.endpoint);
        println!("  {short}  {}", view::device_line(row, &names));
    }
    for (key, why) in &list.refused {
        println!("{}", view::refused_line(key, why));
    }
    Ok(())
}

fn revoke(device: &Device, id: &str, yes: bool, json: bool) -> Result<()> {
    eprintln!("{}", view::REMOVE_DEVICE_WARNING);
    if !yes {
        crate::release::confirm("Remove this device?")?;
    }
    let row = device.revoke(id)?;
    if json {
        return print_json(&v1::DeviceEntry::from(&row));
    }
    println!("Removed: {}", view::device_line(&row, &device.names()?));
    eprintln!(
        "Your devices and your partner's stop syncing with it as they hear of it; \
         `kintsugi sync` passes the news on."
    );
    Ok(())
}

/// Makes this a new device of the person whose device shows the invite: in a profile
/// made for it here when there is none (a profile with a journal of its own is
/// refused by the device crate). A join that does not complete leaves nothing: a
/// profile folder this command made is removed again.
fn join(dir: &Path, cli: &Cli, from: &JoinArgs, label: &str) -> Result<()> {
    // The invite is read first, so a bad one is refused before anything is made.
    let invitation = crate::net::invitation(from, Purpose::OwnDevice)?;
    let made_folder = !dir.exists();
    let created = !Device::exists(dir);
    let device = if created {
        let pass = passphrase(
            "New passphrase for this device: ",
            "KINTSUGI_PASSPHRASE",
            true,
        )?;
        Device::create_for_link(dir, pass.as_bytes(), options(cli))?
    } else {
        unlock(dir, cli)?
    };
    let joined = crate::net::join(&device, cli, &invitation, from, Role::New, label);
    if joined.is_err() && created {
        drop(device);
        if made_folder {
            let _ = std::fs::remove_dir_all(dir);
        } else {
            eprintln!(
                "kintsugi: note: the new, empty profile in {} stays; `kintsugi device join` can use it again",
                dir.display()
            );
        }
    }
    joined
}
