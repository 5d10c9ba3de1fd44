//! Removing one of my devices (lost, stolen, given away).
//!
//! A signed `revoked:` record enters the shared journal, naming the device, the
//! devices of mine that stay, and the public half of my person's next signing key.
//! Every device that has read the record (mine and my partner's) stops letting the
//! removed device through its sync gate and closes any session it has with it. The
//! removed device keeps what it already had: nothing can reach into it to take that
//! back. It still knows the old signing key, so the resolver judges whatever it
//! signs at the old generation, where only the kept devices count.
//!
//! The next key is made and kept sealed on this device *before* the record is
//! written, so a crash between the two never leaves the person's chain pointing at a
//! key nobody holds: the next unlock finishes the step ([`Device::finish_revocation`]).

use kintsugi_crypto::{sign, signing_public};
use kintsugi_journal::{DeviceRecord, JournalError, signed_bytes};
use kintsugi_store::Secret32;
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use crate::partner::iroh_id;
use crate::state_file::StateFile;
use crate::{Device, DeviceError, DeviceRow, Result, now_ms};

/// A removal this device started and has not finished: the device named, and the
/// seed of the person's next key.
pub(crate) const PENDING: StateFile = StateFile {
    name: "revoking.sealed",
    context: "revoking v1",
    fresh_if_unreadable: false,
    fresh_if_damaged: false,
};

#[derive(Default, Serialize, Deserialize)]
struct Pending {
    revoking: Option<Revoking>,
}

#[derive(Serialize, Deserialize)]
struct Revoking {
    endpoint: [u8; 32],
    /// The generation the record is written at (the next key's is one more).
    generation: u32,
    next_seed: [u8; 32],
    keep: Vec<[u8; 32]>,
    at: i64,
}

impl Drop for Revoking {
    fn drop(&mut self) {
        self.next_seed.zeroize();
    }
}

impl Device {
    /// Removes my device whose endpoint id starts with `prefix` (as `device list`
    /// shows it). Returns the removed device's row, as it now stands.
    pub fn revoke(&self, prefix: &str) -> Result<DeviceRow> {
        let prefix = prefix.trim().to_ascii_lowercase();
        if prefix.len() < 4 {
            return Err(DeviceError::bad_input(
                crate::Field::Partner,
                "give at least the first 4 characters of the device's id (from `kintsugi device list`)",
            ));
        }
        self.finish_revocation()?;
        let list = self.devices()?;
        let matching: Vec<&DeviceRow> = list
            .devices
            .iter()
            .filter(|d| d.endpoint.starts_with(&prefix))
            .collect();
        let row = match matching.as_slice() {
            [] => {
                return Err(DeviceError::Link(format!(
                    "no device of yours or your partner's has an id starting with {prefix}"
                )));
            }
            [one] => (*one).clone(),
            _ => {
                return Err(DeviceError::Link(format!(
                    "more than one device has an id starting with {prefix}: give more of it"
                )));
            }
        };
        if row.this_device {
            return Err(DeviceError::Link(
                "this is the device you are using: remove it from another of your devices".into(),
            ));
        }
        if !row.mine {
            return Err(DeviceError::Link(
                "that is one of your partner's devices: only your partner can remove it".into(),
            ));
        }
        if row.revoked {
            return Err(DeviceError::Link("that device was removed already".into()));
        }
        if !row.signed {
            return Err(DeviceError::Link(
                "your devices' records have not reached this device yet: sync first".into(),
            ));
        }
        let endpoint = parse_hex32(&row.endpoint)?;
        let (person, this) = self.with(|i| {
            let k = &i.keys.keyring;
            Ok((k.person.clone(), iroh_id(&k.device_secret)))
        })?;
        let person = person.ok_or(DeviceError::Link(
            "this device has no person's key: pair first".into(),
        ))?;
        let keep: Vec<[u8; 32]> = {
            let mut keep: Vec<[u8; 32]> = list
                .devices
                .iter()
                .filter(|d| d.mine && !d.revoked && d.endpoint != row.endpoint)
                .filter_map(|d| parse_hex32(&d.endpoint).ok())
                .collect();
            keep.sort();
            keep.dedup();
            keep
        };
        debug_assert!(keep.contains(&this));
        let next = Secret32::random()?;
        let pending = Revoking {
            endpoint,
            generation: person.generation,
            next_seed: *next.expose(),
            keep,
            at: now_ms(),
        };
        self.with(|i| {
            PENDING.write(
                i,
                &Pending {
                    revoking: Some(pending),
                },
            )
        })?;
        self.finish_revocation()?;
        Ok(DeviceRow {
            revoked: true,
            ..row
        })
    }

    /// Completes a removal a crash interrupted: writes the record if it is not in the
    /// journal yet, then moves this device to the person's next key. Nothing to do
    /// when no removal is pending.
    pub(crate) fn finish_revocation(&self) -> Result<()> {
        let pending: Pending = self.with(|i| PENDING.read(i))?;
        let Some(r) = pending.revoking.as_ref() else {
            return Ok(());
        };
        let (person, secret) = self.with(|i| {
            let k = &i.keys.keyring;
            Ok((k.person.clone(), k.device_secret.clone()))
        })?;
        let Some(person) = person else {
            return Err(DeviceError::Link(
                "a removal is pending but this device has no person's key".into(),
            ));
        };
        let next = Secret32::from_bytes(r.next_seed);
        if person.generation == r.generation {
            let record = DeviceRecord::Revoked {
                person: self.me()?,
                endpoint: r.endpoint,
                by: iroh_id(&secret),
                generation: r.generation,
                next_public: signing_public(&next),
                keep: r.keep.clone(),
                at: r.at,
                sig: [0; 64],
                cosig: [0; 64],
            };
            let bytes = signed_bytes(&record);
            let record = record.with_signatures(sign(&person.seed, &bytes), sign(&secret, &bytes));
            match self.write_shared(|s, _, now| s.put_device_record(&record, now)) {
                // Written before a crash, by this very step.
                Ok(_) | Err(DeviceError::Journal(JournalError::DeviceRecordTaken(_))) => {}
                Err(e) => return Err(e),
            }
            // The couple key and the self key are replaced in the same write, so the
            // removed device, which holds the old ones, opens nothing made from now on.
            let (couple, own) = (Secret32::random()?, Secret32::random()?);
            self.with(|i| {
                i.keys.update(|k| {
                    if let Some(p) = k.person.as_mut()
                        && p.generation == r.generation
                    {
                        p.seed = next.clone();
                        p.generation = r.generation + 1;
                        crate::rekey::replace_keys(k, couple, own);
                    }
                })?;
                Ok(())
            })?;
            // Sessions running now give the new keys on once in sync.
            self.changes.send_modify(|n| *n += 1);
            self.diary_changes.send_modify(|n| *n += 1);
        }
        self.with(|i| {
            let _ = std::fs::remove_file(i.dir.join(PENDING.name));
            Ok(())
        })
    }

    /// Whether this device is one its person removed, as far as the records it holds
    /// say.
    pub fn is_removed(&self) -> Result<bool> {
        let this = self.endpoint_bytes()?;
        let set = self.device_set()?;
        Ok(set
            .people
            .iter()
            .any(|p| p.revoked.iter().any(|r| r.endpoint == this)))
    }
}

fn parse_hex32(text: &str) -> Result<[u8; 32]> {
    let id: kintsugi_net::EndpointId = text
        .parse()
        .map_err(|_| DeviceError::Link(format!("{text} is not a device id")))?;
    Ok(*id.as_bytes())
}

#[cfg(test)]
mod tests;
