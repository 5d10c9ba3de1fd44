//! `kintsugi device`: the couple's devices. Which ones count, and the words for
//! each, come from the device crate (`Device::devices`, `view::device_line`).

use anyhow::Result;
use kintsugi_device::{Device, json::v1, view};

use crate::args::DeviceCmd;
use crate::cli::print_json;

pub fn device(device: &Device, cmd: &DeviceCmd, json: bool) -> Result<()> {
    match cmd {
        DeviceCmd::List => {
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
        DeviceCmd::Revoke { id, yes } => {
            eprintln!("{}", view::REMOVE_DEVICE_WARNING);
            if !yes {
                crate::release::confirm("Remove this device?")?;
            }
            let row = device.revoke(id)?;
            let names = device.names()?;
            if json {
                return print_json(&v1::DeviceEntry::from(&row));
            }
            println!("Removed: {}", view::device_line(&row, &names));
            eprintln!(
                "Your devices and your partner's stop syncing with it as they hear of it; \
                 `kintsugi sync` passes the news on."
            );
            Ok(())
        }
    }
}
