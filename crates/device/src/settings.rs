//! The profile's settings, sealed under the profile key: how to reach the partner,
//! and how soon the app locks by itself. Sealed because even the relay one uses, or
//! the fact that one locks after a minute, says something about a person.

use std::net::Ipv4Addr;

use kintsugi_net::{NetworkMode, RelayUrl};
use serde::{Deserialize, Serialize};

use crate::reminders::Reminders;
use crate::state_file::StateFile;
use crate::{Device, DeviceError, Field, Result};

/// The network mode as the name earlier versions stored; an unknown name (written
/// by a newer version) is an error rather than a silent fallback to another mode.
mod mode_by_name {
    use kintsugi_net::NetworkMode;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(mode: &NetworkMode, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(mode.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NetworkMode, D::Error> {
        let name = String::deserialize(d)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

pub(crate) const SETTINGS: StateFile = StateFile {
    name: "settings.sealed",
    context: "settings v1",
    fresh_if_unreadable: false,
    fresh_if_damaged: false,
};

/// The shortest and longest idle time before the app locks, in minutes.
pub const AUTO_LOCK_MINUTES: std::ops::RangeInclusive<u32> = 1..=120;

/// The port is chosen once, at init, so the partner finds this device again where it
/// last saw it. Fields added later carry `serde(default)`, so older files still open.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Settings {
    /// Stored by name ("local", "anywhere", "direct"), as earlier versions did.
    #[serde(with = "mode_by_name")]
    pub mode: NetworkMode,
    pub port: u16,
    pub relay: Option<String>,
    /// Minutes without use before the app locks; `None` keeps the app's default.
    #[serde(default)]
    pub auto_lock_minutes: Option<u32>,
    /// Whether my check-in answers stay on this device until my partner has saved
    /// theirs for the same week (see `reveal.rs`). On unless turned off.
    #[serde(default = "on")]
    pub reveal_checkins_together: bool,
    /// Whether opening a letter tells its writer that it was read.
    #[serde(default)]
    pub read_receipts: ReadReceipts,
    /// Desktop notifications for what waits (see `reminders.rs`); off by default.
    #[serde(default)]
    pub reminders: Reminders,
}

fn on() -> bool {
    true
}

/// Whether opening a letter tells its writer. Reading is private until the reader
/// says otherwise, so the default asks: the writer learns that a letter was read
/// only when the reader chooses to tell them, letter by letter.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ReadReceipts {
    /// Opening tells no one; the reader may tell the writer afterwards.
    #[default]
    Ask,
    /// Opening a letter tells its writer at once.
    Always,
}

impl ReadReceipts {
    pub const ALL: [ReadReceipts; 2] = [ReadReceipts::Ask, ReadReceipts::Always];

    pub fn as_str(self) -> &'static str {
        match self {
            ReadReceipts::Ask => "ask",
            ReadReceipts::Always => "always",
        }
    }
}

impl std::str::FromStr for ReadReceipts {
    type Err = DeviceError;

    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                DeviceError::bad_input(
                    Field::ReadReceipts,
                    format!("unknown read receipt setting {s:?}: expected ask or always"),
                )
            })
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            mode: NetworkMode::Local,
            port: 0,
            relay: None,
            auto_lock_minutes: None,
            reveal_checkins_together: true,
            read_receipts: ReadReceipts::Ask,
            reminders: Reminders::default(),
        }
    }
}

impl Settings {
    fn check(&self) -> Result<()> {
        if let Some(r) = &self.relay {
            r.parse::<RelayUrl>().map_err(|_| {
                DeviceError::bad_input(Field::Relay, format!("{r:?} is not a relay URL"))
            })?;
        }
        if let Some(m) = self.auto_lock_minutes
            && !AUTO_LOCK_MINUTES.contains(&m)
        {
            return Err(DeviceError::bad_input(
                Field::AutoLock,
                format!(
                    "auto-lock must be between {} and {} minutes",
                    AUTO_LOCK_MINUTES.start(),
                    AUTO_LOCK_MINUTES.end()
                ),
            ));
        }
        self.reminders.check()
    }
}

/// Where the profile's port is chosen: below the ranges systems hand out for
/// outgoing sockets (Linux 32768-60999, Windows and macOS 49152-65535). A port
/// taken from those ranges can be handed to any other program's socket later, and
/// the partner would then find that instead of this device at its remembered
/// address.
const STABLE_PORTS: std::ops::RangeInclusive<u16> = 20000..=32767;

fn free_port() -> u16 {
    let free = |port: u16| {
        std::net::UdpSocket::bind((Ipv4Addr::UNSPECIFIED, port))
            .and_then(|s| s.local_addr())
            .map(|a| a.port())
            .ok()
    };
    let span = u32::from(STABLE_PORTS.end() - STABLE_PORTS.start()) + 1;
    for _ in 0..64 {
        let Ok(r) = kintsugi_crypto::random_array::<4>() else {
            break;
        };
        let offset = u32::from_le_bytes(r) % span;
        // `offset` is below `span`, so the sum stays within STABLE_PORTS.
        let port = STABLE_PORTS.start() + offset as u16;
        if let Some(p) = free(port) {
            return p;
        }
    }
    // A crowded range: any free port, as before.
    free(0).unwrap_or(0)
}

impl Device {
    pub(crate) fn init_settings(&self) -> Result<()> {
        self.save_settings(&Settings {
            port: free_port(),
            ..Settings::default()
        })
    }

    pub fn settings(&self) -> Result<Settings> {
        self.with(|i| SETTINGS.read(i))
    }

    pub fn save_settings(&self, settings: &Settings) -> Result<()> {
        settings.check()?;
        self.with(|i| SETTINGS.write(i, settings))
    }

    /// Changes some settings and keeps the rest as stored, so two screens that each
    /// change one setting never undo each other.
    pub fn update_settings(&self, change: impl FnOnce(&mut Settings)) -> Result<Settings> {
        self.update_state_file(&SETTINGS, |s: &mut Settings| {
            change(s);
            s.check()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_profile_takes_a_port_no_system_hands_to_outgoing_sockets() {
        for _ in 0..20 {
            let port = free_port();
            assert!(STABLE_PORTS.contains(&port), "{port}");
        }
        // Taken: another is chosen.
        let held = std::net::UdpSocket::bind((Ipv4Addr::UNSPECIFIED, free_port())).unwrap();
        let taken = held.local_addr().unwrap().port();
        for _ in 0..20 {
            assert_ne!(free_port(), taken);
        }
    }

    #[test]
    fn files_from_before_auto_lock_still_open() {
        let old = br#"{"mode":"direct","port":4242,"relay":null}"#;
        let s: Settings = serde_json::from_slice(old).unwrap();
        assert_eq!(s.mode, NetworkMode::Direct);
        assert_eq!(s.auto_lock_minutes, None);
        assert!(s.reveal_checkins_together, "on unless turned off");
        assert_eq!(s.read_receipts, ReadReceipts::Ask);
        assert!(!s.reminders.enabled, "reminders are off unless turned on");
    }

    #[test]
    fn an_unknown_mode_name_does_not_open_as_another_mode() {
        let newer = br#"{"mode":"everywhere","port":4242,"relay":null}"#;
        assert!(serde_json::from_slice::<Settings>(newer).is_err());
    }

    #[test]
    fn out_of_range_values_are_refused() {
        let ok = Settings {
            auto_lock_minutes: Some(5),
            ..Settings::default()
        };
        assert!(ok.check().is_ok());
        for bad in [
            Settings {
                auto_lock_minutes: Some(0),
                ..Settings::default()
            },
            Settings {
                auto_lock_minutes: Some(121),
                ..Settings::default()
            },
            Settings {
                relay: Some("not a url".into()),
                ..Settings::default()
            },
        ] {
            assert!(bad.check().is_err(), "{bad:?}");
        }
    }
}
