//! Signed device records in the shared journal (what they mean, and how they are
//! judged, is in `devices.rs`). They live in the `shared` map (genesis is frozen, so
//! no new root map), told apart by `kind`, bytes as lowercase hex:
//!
//! | kind             | key                        | fields                                               |
//! |------------------|----------------------------|------------------------------------------------------|
//! | `person`         | `person:{person}`          | `person`, `public`, `anchor`, `at`, `sig`, `cosig`    |
//! | `device`         | `device:{endpoint}`        | `person`, `endpoint`, `label`, `gen`, `sponsor`, `at`, `sig`, `cosig` |
//! | `device-revoked` | `revoked:{endpoint}:{by}`  | `person`, `endpoint`, `by`, `gen`, `next_public`, `keep` (sorted, comma-joined), `at`, `sig`, `cosig` |
//!
//! A record is written once and never changed: its signatures cover every field,
//! and a key names what its record is about, so only one writer ever has a reason to
//! write it. Signatures are not checked on the way in: the resolver checks them on
//! every read, because a partner's device may write anything anyway.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ReadDoc, Value, ValueRef};

use super::{SHARED, SharedJournal};
use crate::devices::{DeviceRecord, hex, unhex};
use crate::error::{JournalError, Result};
use crate::fields::Fields;

const PERSON: &str = "person";
const DEVICE: &str = "device";
const REVOKED: &str = "device-revoked";

/// Key ranges of the three kinds: each prefix up to the prefix with its colon raised
/// by one, so only device records are read.
const RANGES: [(&str, &str); 3] = [
    ("device:", "device;"),
    ("person:", "person;"),
    ("revoked:", "revoked;"),
];

/// Whether a `kind` of the `shared` map is one of the device records'.
pub(super) fn is_device_kind(kind: &str) -> bool {
    [PERSON, DEVICE, REVOKED].contains(&kind)
}

impl SharedJournal {
    /// Writes a device record, as one change. Returns `false`, writing nothing, if
    /// the very same record is already there; a different one under its key is
    /// refused. Only the shape is checked: signatures are the resolver's to judge.
    pub fn put_device_record(&mut self, rec: &DeviceRecord, now: i64) -> Result<bool> {
        rec.check_shape().map_err(JournalError::BadDeviceRecord)?;
        let key = rec.key();
        let shared = self.doc.root(SHARED);
        match self.doc.am().get(shared, key.as_str())? {
            None => {}
            Some((Value::Object(ObjType::Map), obj))
                if read_record(self.doc.am(), &key, obj.clone()).ok().as_ref() == Some(rec) =>
            {
                return Ok(false);
            }
            Some(_) => return Err(JournalError::DeviceRecordTaken(key)),
        }
        self.doc.transact(now, |am, roots| {
            let obj = am.put_object(&roots[SHARED], key.as_str(), ObjType::Map)?;
            put_record(am, &obj, rec)
        })?;
        Ok(true)
    }

    /// Every device record, by key, each read or the reason it does not read.
    pub fn device_records(&self) -> Vec<(String, std::result::Result<DeviceRecord, String>)> {
        let am = self.doc.am();
        let mut out = Vec::new();
        for (from, to) in RANGES {
            for item in am.map_range(self.doc.root(SHARED), from.to_owned()..to.to_owned()) {
                let key = item.key.to_string();
                let read = match item.value {
                    ValueRef::Object(ObjType::Map) => {
                        read_record(am, &key, item.id()).map_err(|e| e.to_string())
                    }
                    _ => Err(format!("{key} is not a map")),
                };
                out.push((key, read));
            }
        }
        out
    }
}

fn put_record(am: &mut AutoCommit, obj: &ObjId, rec: &DeviceRecord) -> Result<()> {
    match rec {
        DeviceRecord::Person {
            person,
            public,
            anchor,
            at,
            sig,
            cosig,
        } => {
            am.put(obj, "kind", PERSON)?;
            am.put(obj, "person", person.as_str())?;
            am.put(obj, "public", hex(public))?;
            am.put(obj, "anchor", hex(anchor))?;
            am.put(obj, "at", *at)?;
            am.put(obj, "sig", hex(sig))?;
            am.put(obj, "cosig", hex(cosig))?;
        }
        DeviceRecord::Device {
            person,
            endpoint,
            label,
            generation,
            sponsor,
            at,
            sig,
            cosig,
        } => {
            am.put(obj, "kind", DEVICE)?;
            am.put(obj, "person", person.as_str())?;
            am.put(obj, "endpoint", hex(endpoint))?;
            am.put(obj, "label", label.as_str())?;
            am.put(obj, "gen", i64::from(*generation))?;
            am.put(obj, "sponsor", hex(sponsor))?;
            am.put(obj, "at", *at)?;
            am.put(obj, "sig", hex(sig))?;
            am.put(obj, "cosig", hex(cosig))?;
        }
        DeviceRecord::Revoked {
            person,
            endpoint,
            by,
            generation,
            next_public,
            keep,
            at,
            sig,
            cosig,
        } => {
            let keep: Vec<String> = keep.iter().map(|k| hex(k)).collect();
            am.put(obj, "kind", REVOKED)?;
            am.put(obj, "person", person.as_str())?;
            am.put(obj, "endpoint", hex(endpoint))?;
            am.put(obj, "by", hex(by))?;
            am.put(obj, "gen", i64::from(*generation))?;
            am.put(obj, "next_public", hex(next_public))?;
            am.put(obj, "keep", keep.join(","))?;
            am.put(obj, "at", *at)?;
            am.put(obj, "sig", hex(sig))?;
            am.put(obj, "cosig", hex(cosig))?;
        }
    }
    Ok(())
}

fn read_record(am: &AutoCommit, key: &str, obj: ObjId) -> Result<DeviceRecord> {
    let f = Fields::named(am, obj, "device record", key);
    let bytes = |field: &str| -> Result<[u8; 32]> {
        unhex(&f.str(field)?).ok_or_else(|| f.corrupt(field, "is not 32 bytes in hex"))
    };
    let sig = |field: &str| -> Result<[u8; 64]> {
        unhex(&f.str(field)?).ok_or_else(|| f.corrupt(field, "is not 64 bytes in hex"))
    };
    let generation = || -> Result<u32> {
        u32::try_from(f.int("gen")?).map_err(|_| f.corrupt("gen", "is out of range"))
    };
    let person = f.partner("person")?;
    let rec = match f.str("kind")?.as_str() {
        PERSON => DeviceRecord::Person {
            person,
            public: bytes("public")?,
            anchor: bytes("anchor")?,
            at: f.int("at")?,
            sig: sig("sig")?,
            cosig: sig("cosig")?,
        },
        DEVICE => DeviceRecord::Device {
            person,
            endpoint: bytes("endpoint")?,
            label: f.str("label")?,
            generation: generation()?,
            sponsor: bytes("sponsor")?,
            at: f.int("at")?,
            sig: sig("sig")?,
            cosig: sig("cosig")?,
        },
        REVOKED => {
            let keep = f.str("keep")?;
            let keep = if keep.is_empty() {
                Vec::new()
            } else {
                keep.split(',')
                    .map(|k| unhex(k).ok_or_else(|| f.corrupt("keep", "is not hex endpoints")))
                    .collect::<Result<_>>()?
            };
            DeviceRecord::Revoked {
                person,
                endpoint: bytes("endpoint")?,
                by: bytes("by")?,
                generation: generation()?,
                next_public: bytes("next_public")?,
                keep,
                at: f.int("at")?,
                sig: sig("sig")?,
                cosig: sig("cosig")?,
            }
        }
        _ => return Err(f.corrupt("kind", "is not a device record")),
    };
    let (named_by, shaped) = match rec {
        DeviceRecord::Person { .. } => ("person", "person"),
        DeviceRecord::Device { .. } => ("endpoint", "label"),
        DeviceRecord::Revoked { .. } => ("endpoint", "keep"),
    };
    if rec.key() != key {
        return Err(f.corrupt(named_by, "does not match its key"));
    }
    rec.check_shape().map_err(|why| f.corrupt(shaped, why))?;
    Ok(rec)
}
