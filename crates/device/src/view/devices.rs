//! The words for the couple's devices, for every front end.

use super::Names;
use crate::{DeviceRow, format_time};

/// What the list of devices means, said once above it.
pub const DEVICES_ABOUT: &str = "The devices that hold your shared journal. Each one's record \
     is signed by its person's key and checked against the device you paired with; a record \
     nobody signed is listed as not accepted. Your private diary goes only to your own \
     devices, never to your partner's.";

/// Said before a device is removed, and kept plain: removing cannot take back.
pub const REMOVE_DEVICE_WARNING: &str = "The removed device keeps everything it already \
     holds: nothing can reach into it to take that back. From now on it receives nothing \
     new: your other devices and your partner's stop syncing with it as soon as they hear \
     of the removal (at their next sync with any device that knows).";

/// One device, in a line: whose it is, its name, and what is known of it.
pub fn device_line(row: &DeviceRow, names: &Names) -> String {
    let whose = match (row.this_device, row.mine, names.partner_id()) {
        (true, _, _) => "this device".to_owned(),
        (false, true, _) => "one of your devices".to_owned(),
        (false, false, Some(id)) => format!("{}'s", names.name(id)),
        (false, false, None) => "your partner's".to_owned(),
    };
    let name = row.label.as_deref().unwrap_or("a device");
    let mut line = format!("{name} ({whose})");
    if row.revoked {
        line.push_str(", removed: it keeps what it had and receives nothing new");
    } else if !row.signed && row.mine {
        line.push_str(", its signed record arrives with the first sync");
    } else if !row.signed {
        line.push_str(", checked at pairing; its signed record has not arrived yet");
    }
    if let Some(at) = row.last_sync {
        line.push_str(&format!(", last synced {}", format_time(at)));
    }
    line
}

/// A record that vouches for nothing, in a line.
pub fn refused_line(key: &str, why: &str) -> String {
    format!("Not accepted: {key}: {why}")
}
