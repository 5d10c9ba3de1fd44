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
     of the removal (at their next sync with any device that knows), and the keys of your \
     shared journal and your diary are replaced, so what is sealed from now on is closed \
     to it.";

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

/// Beside a device the network is syncing with now: by which path.
pub fn connected_now(path: &str) -> String {
    format!("syncing now, {path}")
}

/// A record that vouches for nothing, in a line.
pub fn refused_line(key: &str, why: &str) -> String {
    format!("Not accepted: {key}: {why}")
}

/// What adding a device does and asks of the person, beside the invite it shows.
pub const LINK_ABOUT: &str = "On your other device, open Kintsugi, choose \"This is another \
     device of mine\", and scan this code or paste the text below. It receives your shared \
     journal and your private diary, and your partner's devices accept it on your signature. \
     Keep the invite to yourself: whoever uses it becomes one of your devices.";

/// Said when the new device did not confirm that it stored what it was sent.
pub const LINK_NOT_CONFIRMED: &str = "It did not say that it stored everything. If, once it \
     has synced, its Settings do not list your devices, remove it here and add it again.";

/// What making this another device of mine does and asks.
pub const JOIN_ABOUT: &str = "On the device you already use, open Settings, then Devices, \
     then \"Add another of my devices\". Paste the invite it shows here, or read its QR code. \
     This device then receives your shared journal and your private diary, never your \
     partner's diary. It has a passphrase of its own.";

/// Why a device's name matters.
pub const LABEL_NOTE: &str =
    "Your devices and your partner's list it by this name, such as \"laptop\".";

/// The digits of a code as typed: spaces, dashes and the like do not count.
pub fn code_digits(typed: &str) -> String {
    typed.chars().filter(|c| c.is_ascii_digit()).collect()
}

/// Whether the code typed from the other screen is the one this screen shows. The
/// person reads the other screen and types it, like a Bluetooth passkey, rather than
/// pressing yes out of habit.
pub fn codes_match(shown: &str, typed: &str) -> bool {
    let typed = code_digits(typed);
    !typed.is_empty() && typed == code_digits(shown)
}

/// Why a typed code was refused.
pub fn codes_differ(shown: &str, typed: &str) -> String {
    format!(
        "The codes differ: this screen shows {shown}, and you typed {}. Someone may be in \
         the middle, or a digit was mistyped.",
        code_digits(typed)
    )
}
