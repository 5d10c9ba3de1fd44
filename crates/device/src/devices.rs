//! Which devices are whose: this device's part in the signed device records of the
//! shared journal (`kintsugi_journal::devices`), and the list the front ends show.
//!
//! Every device of a pair is, today, its person's first device (its anchor). Once
//! paired, it publishes its person's key, tied to its own endpoint id by two
//! signatures, so that the partner's device, which checked that endpoint id at
//! pairing, can accept later devices on that person's signature alone. Nothing is
//! written while unpaired: the records are for the partner, and a profile that
//! never pairs keeps its journal as it was.

use std::collections::BTreeSet;

use kintsugi_crypto::{Secret32, sign, signing_public};
use kintsugi_journal::devices::resolve;
use kintsugi_journal::{DeviceRecord, DeviceSet, JournalError, PartnerId, signed_bytes};
use kintsugi_store::Person;
use serde::Serialize;

use crate::partner::iroh_id;
use crate::{Device, DeviceError, Result, now_ms};

/// The label of a person's first device. The label is signed and read by the
/// partner's devices, so it says nothing about the machine (no host name).
pub const FIRST_DEVICE_LABEL: &str = "first device";

/// What the last resolution of the device records was made from: the records and the
/// trusted first devices.
pub(crate) type DeviceInputs = (
    Vec<(String, std::result::Result<DeviceRecord, String>)>,
    Vec<(PartnerId, [u8; 32])>,
);

/// One device of the couple, as the front ends list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceRow {
    /// The endpoint id, in hex.
    pub endpoint: String,
    /// Whether it is one of my devices (else my partner's).
    pub mine: bool,
    pub this_device: bool,
    /// What its person called it; `None` before its record arrived.
    pub label: Option<String>,
    /// Whether its person's signed records vouch for it, or it is only the device
    /// checked at pairing, whose records have not arrived yet.
    pub signed: bool,
    pub revoked: bool,
    /// When it last synced with this device.
    pub last_sync: Option<i64>,
}

/// Every device of the couple this device knows of, and the records it refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceList {
    pub devices: Vec<DeviceRow>,
    /// `(record key, why)`: records in the shared journal that vouch for nothing.
    pub refused: Vec<(String, String)>,
}

impl Device {
    /// Gives this device's person a signing key, if it has none yet, and puts the
    /// records tying that key to this device in the shared journal. Called once the
    /// device is paired (after pairing, and whenever its network starts); writes
    /// nothing when the records are there already.
    pub(crate) fn publish_identity(&self) -> Result<()> {
        let Some(person) = self.person_for_records()? else {
            return Ok(());
        };
        let this = self.endpoint_bytes()?;
        if person.anchor != this {
            // Only the first device vouches for the person's key with its own.
            return Ok(());
        }
        let me = self.me()?;
        let there: BTreeSet<String> =
            self.read_shared(|s, _| s.device_records().into_iter().map(|(k, _)| k).collect())?;
        let secret = self.with(|i| Ok(i.keys.keyring.device_secret.clone()))?;
        let at = now_ms();
        let unsigned = [
            DeviceRecord::Person {
                person: me.clone(),
                public: signing_public(&person.seed),
                anchor: this,
                at,
                sig: [0; 64],
                cosig: [0; 64],
            },
            DeviceRecord::Device {
                person: me,
                endpoint: this,
                label: FIRST_DEVICE_LABEL.to_owned(),
                generation: person.generation,
                sponsor: this,
                at,
                sig: [0; 64],
                cosig: [0; 64],
            },
        ];
        for record in unsigned {
            if there.contains(&record.key()) {
                continue;
            }
            let signed = signed_with(record, &person.seed, &secret);
            match self.write_shared(|s, _, now| s.put_device_record(&signed, now)) {
                // Another process of this profile (the app while `kintsugi sync`
                // starts) wrote it between the look above and this write, with the
                // same keys and another time: one record is all it takes.
                Ok(_) | Err(DeviceError::Journal(JournalError::DeviceRecordTaken(_))) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// This person's keys, made now if this device has none and is paired; `None`
    /// while unpaired.
    fn person_for_records(&self) -> Result<Option<Person>> {
        self.with(|i| {
            if i.keys.keyring.pairing.is_none() {
                return Ok(None);
            }
            if let Some(p) = &i.keys.keyring.person {
                return Ok(Some(p.clone()));
            }
            let fresh = Person::generate(iroh_id(&i.keys.keyring.device_secret))?;
            // Another process of this profile may have made one meanwhile: keep it.
            i.keys.update(|k| {
                k.person.get_or_insert(fresh);
            })?;
            Ok(i.keys.keyring.person.clone())
        })
    }

    pub(crate) fn endpoint_bytes(&self) -> Result<[u8; 32]> {
        self.with(|i| Ok(iroh_id(&i.keys.keyring.device_secret)))
    }

    /// Each person's active and revoked devices, as the signed records in the shared
    /// journal say, trusting for each person only the first device this one knows
    /// without the journal: its own, and the partner's checked at pairing.
    pub(crate) fn device_set(&self) -> Result<DeviceSet> {
        let (me, own, partner_endpoint) = self.with(|i| {
            let own = match &i.keys.keyring.person {
                Some(p) => p.anchor,
                None => iroh_id(&i.keys.keyring.device_secret),
            };
            let partner = i.keys.keyring.pairing.as_ref().map(|p| p.partner_endpoint);
            Ok((i.me.clone(), own, partner))
        })?;
        let records = self.read_shared(|s, _| s.device_records())?;
        let mut anchors = vec![(me.clone(), own)];
        if let Some(endpoint) = partner_endpoint
            && let Some(partner) = self.partner_person(&me, &endpoint, &records)?
        {
            anchors.push((partner, endpoint));
        }
        // The app asks after every change the partner sends, and the records rarely
        // change: the signatures are checked again only when they did.
        let inputs = (records, anchors);
        let seen = self.with(|i| {
            Ok(match &i.devices_seen {
                Some((was, set)) if *was == inputs => Some(set.clone()),
                _ => None,
            })
        })?;
        if let Some(set) = seen {
            return Ok(set);
        }
        let set = resolve(&inputs.0, &inputs.1);
        self.with(|i| {
            i.devices_seen = Some((inputs, set.clone()));
            Ok(())
        })?;
        Ok(set)
    }

    /// The devices this one syncs with and lets through its sync gate: every active
    /// device of the couple but this one, and the partner's first device (checked at
    /// pairing) before its records have arrived, unless a record removed it. Empty
    /// while unpaired.
    pub(crate) fn sync_peers(&self) -> Result<Vec<kintsugi_net::EndpointId>> {
        let Some(anchor) =
            self.with(|i| Ok(i.keys.keyring.pairing.as_ref().map(|p| p.partner_endpoint)))?
        else {
            return Ok(Vec::new());
        };
        let set = self.device_set()?;
        let this = self.endpoint_bytes()?;
        let mut peers: BTreeSet<[u8; 32]> = set.active_endpoints().into_iter().collect();
        let removed = set
            .people
            .iter()
            .any(|p| p.revoked.iter().any(|r| r.endpoint == anchor));
        if !removed {
            peers.insert(anchor);
        }
        peers.remove(&this);
        Ok(peers
            .iter()
            .filter_map(|p| kintsugi_net::EndpointId::from_bytes(p).ok())
            .collect())
    }

    /// The devices this one syncs its private diary with and lets through the diary's
    /// gate: my person's other active devices, as the signed records say, and nothing
    /// else. Never a device of my partner's: a record can name a device mine only with
    /// my person's signature, which my partner cannot make. Empty while unpaired (no
    /// records count then) and for a profile without a person (it has never been
    /// linked, so it has no other devices, and no self key to sync with).
    pub fn own_peers(&self) -> Result<Vec<kintsugi_net::EndpointId>> {
        let has_person = self.with(|i| {
            let k = &i.keys.keyring;
            Ok(k.pairing.is_some() && k.person.is_some())
        })?;
        if !has_person {
            return Ok(Vec::new());
        }
        let set = self.device_set()?;
        let me = self.me()?;
        let this = self.endpoint_bytes()?;
        let mine: BTreeSet<[u8; 32]> = set
            .people
            .iter()
            .filter(|p| p.person == me)
            .flat_map(|p| p.active.iter().map(|d| d.endpoint))
            .filter(|e| *e != this)
            .collect();
        Ok(mine
            .iter()
            .filter_map(|p| kintsugi_net::EndpointId::from_bytes(p).ok())
            .collect())
    }

    /// My partner's person id: from what of theirs has arrived, or else from a person
    /// record naming their first device as its anchor (the resolver checks that the
    /// device signed it).
    fn partner_person(
        &self,
        me: &PartnerId,
        endpoint: &[u8; 32],
        records: &[(String, std::result::Result<DeviceRecord, String>)],
    ) -> Result<Option<PartnerId>> {
        if let Some(p) = self.names()?.partner_id() {
            return Ok(Some(p.clone()));
        }
        Ok(records.iter().find_map(|(_, r)| match r {
            Ok(DeviceRecord::Person { person, anchor, .. })
                if anchor == endpoint && person != me =>
            {
                Some(person.clone())
            }
            _ => None,
        }))
    }

    /// The couple's devices for `kintsugi device list` and the app: mine first, this
    /// one at the top.
    pub fn devices(&self) -> Result<DeviceList> {
        let set = self.device_set()?;
        let me = self.me()?;
        let this = self.endpoint_bytes()?;
        let partner = self.partner()?;
        let synced = self.last_syncs()?;
        let last_sync = |endpoint: &[u8; 32]| synced.get(endpoint).copied();
        // A removed device is still listed by the name its record gave it.
        let labels: std::collections::BTreeMap<[u8; 32], String> = self
            .read_shared(|s, _| s.device_records())?
            .into_iter()
            .filter_map(|(_, r)| match r {
                Ok(DeviceRecord::Device {
                    endpoint, label, ..
                }) => Some((endpoint, label)),
                _ => None,
            })
            .collect();
        let mut devices = Vec::new();
        for person in &set.people {
            let mine = person.person == me;
            let signed = person.public.is_some();
            for d in &person.active {
                devices.push(DeviceRow {
                    endpoint: hex(&d.endpoint),
                    mine,
                    this_device: d.endpoint == this,
                    label: d.label.clone(),
                    signed,
                    revoked: false,
                    last_sync: last_sync(&d.endpoint).filter(|_| d.endpoint != this),
                });
            }
            for r in &person.revoked {
                devices.push(DeviceRow {
                    endpoint: hex(&r.endpoint),
                    mine,
                    this_device: r.endpoint == this,
                    label: labels.get(&r.endpoint).cloned(),
                    signed,
                    revoked: true,
                    last_sync: None,
                });
            }
        }
        // My partner's first device, checked at pairing, counts before any record of
        // theirs has arrived (that is how sync starts).
        if let Some(info) = &partner
            && !devices.iter().any(|d| d.endpoint == info.endpoint)
        {
            devices.push(DeviceRow {
                endpoint: info.endpoint.clone(),
                mine: false,
                this_device: false,
                label: None,
                signed: false,
                revoked: false,
                last_sync: info.last_sync,
            });
        }
        // A device just linked holds no records until its first sync: it is still
        // this device, and mine.
        let this_hex = hex(&this);
        if !devices.iter().any(|d| d.endpoint == this_hex) {
            devices.push(DeviceRow {
                endpoint: this_hex,
                mine: true,
                this_device: true,
                label: None,
                signed: false,
                revoked: false,
                last_sync: None,
            });
        }
        devices.sort_by_key(|d| (!d.this_device, !d.mine, d.revoked, d.endpoint.clone()));
        let refused = (set.refused.iter())
            .map(|(key, why)| (key.clone(), why.to_string()))
            .collect();
        Ok(DeviceList { devices, refused })
    }
}

/// `record` with both signatures over its signed bytes: the person's key and the
/// vouching device's.
fn signed_with(
    record: DeviceRecord,
    person_seed: &Secret32,
    device_secret: &Secret32,
) -> DeviceRecord {
    let bytes = signed_bytes(&record);
    let (by_person, by_device) = (sign(person_seed, &bytes), sign(device_secret, &bytes));
    record.with_signatures(by_person, by_device)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests;
