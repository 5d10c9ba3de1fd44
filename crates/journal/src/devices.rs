//! Which devices each person has: signed records in the shared journal, and the one
//! deterministic reading of them that every device of both partners arrives at.
//!
//! The journal replicates whatever any device writes, so a record proves nothing by
//! being there. Each is signed twice over the same bytes ([`signed_bytes`]): by the
//! person's key of its generation, which only that person's devices hold, and by the
//! device that vouches for it, so one leaked secret alone cannot add a device. Trust
//! starts from what a device knows without the journal: the first device (anchor) of
//! each person, its own and the one it checked at pairing.
//!
//! A revocation moves the person to the next generation, whose key the revoked
//! device never learns, and says which devices stay. A revoked device still knows the
//! old key, so whatever it signs with it (even records written later) is judged at
//! the old generation and falls away with the devices not kept.
//!
//! Reading the shared map is in `shared/devices.rs`; this module is pure.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use kintsugi_crypto::verify;

use crate::ids::PartnerId;

/// The longest device label, in characters: a name such as "Ari's laptop". Its
/// length in bytes must also fit the one byte the signed bytes give it.
const MAX_LABEL_CHARS: usize = 64;
/// The most devices a revocation can keep: its count is one byte of the signed bytes.
const MAX_KEEP: usize = 64;
/// What every signature of a device record covers first, so that no signature made
/// for another purpose (or another version of this one) can pass for one.
const DOMAIN: &[u8] = b"kintsugi device record v1";

/// One signed record of who has which devices; see the module's documentation.
///
/// Keys are Ed25519 public keys, endpoints are devices' iroh endpoint ids (Ed25519
/// public keys too); `sig` is by the person's key of the generation, `cosig` by the
/// vouching device, both over [`signed_bytes`]. Fields are named as the document
/// stores them, except `generation`, stored as `gen` (a reserved word in Rust 2024).
/// `Ord` only gives a fixed order to records under the same key, so that resolving
/// never depends on input order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum DeviceRecord {
    /// A person's first key (P_0) and first device, tied together.
    Person {
        person: PartnerId,
        public: [u8; 32],
        anchor: [u8; 32],
        at: i64,
        /// By `public`.
        sig: [u8; 64],
        /// By `anchor`.
        cosig: [u8; 64],
    },
    /// A device linked by `sponsor`, active from `generation` on. Stored as `gen`.
    Device {
        person: PartnerId,
        endpoint: [u8; 32],
        label: String,
        generation: u32,
        /// Equal to `endpoint` only for the anchor's own record (its label).
        sponsor: [u8; 32],
        at: i64,
        sig: [u8; 64],
        cosig: [u8; 64],
    },
    /// `endpoint` revoked by `by` at `generation` (stored as `gen`), which ends with it.
    Revoked {
        person: PartnerId,
        endpoint: [u8; 32],
        by: [u8; 32],
        generation: u32,
        /// The key of the next generation.
        next_public: [u8; 32],
        /// The devices still active after, sorted and unique.
        keep: Vec<[u8; 32]>,
        at: i64,
        sig: [u8; 64],
        cosig: [u8; 64],
    },
}

impl DeviceRecord {
    /// The key of the record in the shared map. It names what the record is about,
    /// so two writers can only collide when they say something about the same thing.
    pub fn key(&self) -> String {
        match self {
            Self::Person { person, .. } => format!("person:{person}"),
            Self::Device { endpoint, .. } => format!("device:{}", hex(endpoint)),
            Self::Revoked { endpoint, by, .. } => {
                format!("revoked:{}:{}", hex(endpoint), hex(by))
            }
        }
    }

    pub(crate) fn person(&self) -> &PartnerId {
        match self {
            Self::Person { person, .. }
            | Self::Device { person, .. }
            | Self::Revoked { person, .. } => person,
        }
    }

    /// This record with both signatures set: the caller signs [`signed_bytes`] of
    /// the record (which leave the signatures out) with the two keys.
    pub fn with_signatures(mut self, by_person: [u8; 64], by_device: [u8; 64]) -> Self {
        match &mut self {
            Self::Person { sig, cosig, .. }
            | Self::Device { sig, cosig, .. }
            | Self::Revoked { sig, cosig, .. } => {
                *sig = by_person;
                *cosig = by_device;
            }
        }
        self
    }

    fn sigs(&self) -> (&[u8; 64], &[u8; 64]) {
        match self {
            Self::Person { sig, cosig, .. }
            | Self::Device { sig, cosig, .. }
            | Self::Revoked { sig, cosig, .. } => (sig, cosig),
        }
    }

    /// What no honest writer produces, whatever it signs: checked before writing and
    /// again when resolving, since a partner's device may write anything.
    pub(crate) fn check_shape(&self) -> Result<(), &'static str> {
        match self {
            Self::Person { .. } => Ok(()),
            Self::Device { label, .. } => {
                let chars = label.chars().count();
                if label.trim() != label {
                    Err("a label must not start or end with spaces")
                } else if chars == 0 {
                    Err("a label must not be empty")
                } else if chars > MAX_LABEL_CHARS || label.len() > usize::from(u8::MAX) {
                    Err("a label must be at most 64 characters (and 255 bytes)")
                } else if label.chars().any(char::is_control) {
                    Err("a label must not hold control characters")
                } else {
                    Ok(())
                }
            }
            Self::Revoked { keep, .. } => {
                if keep.len() > MAX_KEEP {
                    Err("a revocation keeps at most 64 devices")
                } else if keep.windows(2).any(|w| w[0] >= w[1]) {
                    Err("the devices kept must be sorted and unique")
                } else {
                    Ok(())
                }
            }
        }
    }
}

/// The bytes both `sig` and `cosig` of `rec` sign: the domain, a zero byte, the kind
/// (1 person, 2 device, 3 revoked), the person (16 bytes), the generation (u32 big
/// endian, 0 for a person), then for a person its key and anchor; for a device its
/// endpoint, sponsor, label length (u8) and label; for a revocation its endpoint,
/// `by`, next key, count of kept devices (u8) and those; and last `at` (i64 big
/// endian).
///
/// Every field has a fixed length or a length before it, so no two records sign the
/// same bytes. Lengths that do not fit a byte are clamped: such a record fails the
/// shape check and is never accepted, whatever it signs.
pub fn signed_bytes(rec: &DeviceRecord) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(DOMAIN);
    out.push(0);
    let (kind, generation) = match rec {
        DeviceRecord::Person { .. } => (1, 0),
        DeviceRecord::Device { generation, .. } => (2, *generation),
        DeviceRecord::Revoked { generation, .. } => (3, *generation),
    };
    out.push(kind);
    out.extend_from_slice(&partner_bytes(rec.person()));
    out.extend_from_slice(&generation.to_be_bytes());
    let at = match rec {
        DeviceRecord::Person {
            public, anchor, at, ..
        } => {
            out.extend_from_slice(public);
            out.extend_from_slice(anchor);
            at
        }
        DeviceRecord::Device {
            endpoint,
            label,
            sponsor,
            at,
            ..
        } => {
            out.extend_from_slice(endpoint);
            out.extend_from_slice(sponsor);
            let len = u8::try_from(label.len()).unwrap_or(u8::MAX);
            out.push(len);
            out.extend_from_slice(&label.as_bytes()[..usize::from(len)]);
            at
        }
        DeviceRecord::Revoked {
            endpoint,
            by,
            next_public,
            keep,
            at,
            ..
        } => {
            out.extend_from_slice(endpoint);
            out.extend_from_slice(by);
            out.extend_from_slice(next_public);
            let count = u8::try_from(keep.len()).unwrap_or(u8::MAX);
            out.push(count);
            for k in keep.iter().take(usize::from(count)) {
                out.extend_from_slice(k);
            }
            at
        }
    };
    out.extend_from_slice(&at.to_be_bytes());
    out
}

/// Why a record does not count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A signature does not verify under the key it has to be made with.
    BadSignature,
    /// A person this device does not trust, a first device other than the one it
    /// trusts for that person, or a device record naming another person's first
    /// device.
    UnknownPerson,
    /// No device active at the record's generation vouches for it (or a revocation
    /// names a device not active then), or its generation is never reached.
    NotSponsored,
    /// Dropped by a revocation that did not keep it, or linking a revoked device.
    NotKept,
    /// Not a record this version can read or accept, whatever it signs.
    Malformed(String),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadSignature => f.write_str("a signature does not verify"),
            Self::UnknownPerson => f.write_str("not a person (or first device) this device trusts"),
            Self::NotSponsored => f.write_str("no active device vouches for it"),
            Self::NotKept => f.write_str("left out when a device was revoked"),
            Self::Malformed(why) => write!(f, "malformed: {why}"),
        }
    }
}

/// One active device of a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    pub endpoint: [u8; 32],
    /// `None` for a first device that has not written its own record.
    pub label: Option<String>,
    /// The generation of the record that added (or named) it.
    pub generation: u32,
    pub sponsor: [u8; 32],
    pub at: i64,
}

/// One device revoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    pub endpoint: [u8; 32],
    pub by: [u8; 32],
    pub at: i64,
}

/// Where one person's chain of generations ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonDevices {
    pub person: PartnerId,
    pub generation: u32,
    /// The key of `generation`; `None` while no person record is accepted.
    pub public: Option<[u8; 32]>,
    /// By endpoint.
    pub active: Vec<DeviceInfo>,
    /// By endpoint, then `by`.
    pub revoked: Vec<Revocation>,
}

/// What the device records say, for the people a device trusts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceSet {
    /// By person.
    pub people: Vec<PersonDevices>,
    /// By key: every record that does not count, and why.
    pub refused: Vec<(String, Refusal)>,
}

impl DeviceSet {
    pub fn is_active(&self, endpoint: &[u8; 32]) -> bool {
        self.person_of(endpoint).is_some()
    }

    /// Sorted and unique.
    pub fn active_endpoints(&self) -> Vec<[u8; 32]> {
        let all: BTreeSet<[u8; 32]> = self
            .people
            .iter()
            .flat_map(|p| p.active.iter().map(|d| d.endpoint))
            .collect();
        all.into_iter().collect()
    }

    /// Whose active device `endpoint` is.
    pub fn person_of(&self, endpoint: &[u8; 32]) -> Option<&PartnerId> {
        self.people
            .iter()
            .find(|p| p.active.iter().any(|d| &d.endpoint == endpoint))
            .map(|p| &p.person)
    }
}

/// Which devices are active, from `records` (as `device_records` lists them) and
/// `anchors`: for each person this device trusts, the endpoint it trusts as that
/// person's first device. A person without an accepted person record has that
/// device alone, which is how pairs from before device records keep working.
///
/// Deterministic and independent of the order of `records`, so both partners'
/// devices, holding the same journal, agree on who is in. If `anchors` names a person
/// twice, the lower endpoint is trusted.
pub fn resolve(
    records: &[(String, Result<DeviceRecord, String>)],
    anchors: &[(PartnerId, [u8; 32])],
) -> DeviceSet {
    let mut trusted: BTreeMap<&PartnerId, [u8; 32]> = BTreeMap::new();
    for (person, anchor) in anchors {
        let slot = trusted.entry(person).or_insert(*anchor);
        *slot = (*slot).min(*anchor);
    }
    let mut refused = Vec::new();
    let mut sorted: Vec<&(String, Result<DeviceRecord, String>)> = records.iter().collect();
    sorted.sort();
    sorted.dedup();
    let mut by_person: BTreeMap<&PartnerId, Vec<(&str, &DeviceRecord)>> = BTreeMap::new();
    let mut last_key = None;
    for (key, rec) in sorted {
        if last_key == Some(key) {
            refused.push((key.clone(), malformed("another record has the same key")));
            continue;
        }
        last_key = Some(key);
        let rec = match rec {
            Ok(rec) => rec,
            Err(why) => {
                refused.push((key.clone(), Refusal::Malformed(why.clone())));
                continue;
            }
        };
        if let Err(why) = rec.check_shape() {
            refused.push((key.clone(), malformed(why)));
        } else if *key != rec.key() {
            refused.push((key.clone(), malformed("it does not match its key")));
        } else if !trusted.contains_key(rec.person()) {
            refused.push((key.clone(), Refusal::UnknownPerson));
        } else {
            by_person.entry(rec.person()).or_default().push((key, rec));
        }
    }
    let people = trusted
        .iter()
        .map(|(person, anchor)| {
            let others: BTreeSet<[u8; 32]> = trusted
                .iter()
                .filter(|(p, _)| p != &person)
                .map(|(_, a)| *a)
                .collect();
            let records = by_person.remove(person).unwrap_or_default();
            Chain::new(person, *anchor, others, &mut refused).run(&records)
        })
        .collect();
    refused.sort_by(|a, b| a.0.cmp(&b.0));
    DeviceSet { people, refused }
}

fn malformed(why: &str) -> Refusal {
    Refusal::Malformed(why.to_owned())
}

/// An active device, and the key of the record that made it one (if any), so that
/// dropping it can say which record no longer counts.
struct Active {
    info: DeviceInfo,
    key: Option<String>,
}

/// One person's generations, worked through in order.
struct Chain<'a> {
    person: &'a PartnerId,
    anchor: [u8; 32],
    /// The other trusted people's first devices, which no record may claim.
    others: BTreeSet<[u8; 32]>,
    refused: &'a mut Vec<(String, Refusal)>,
    active: BTreeMap<[u8; 32], Active>,
    revoked: Vec<Revocation>,
}

impl<'a> Chain<'a> {
    fn new(
        person: &'a PartnerId,
        anchor: [u8; 32],
        others: BTreeSet<[u8; 32]>,
        refused: &'a mut Vec<(String, Refusal)>,
    ) -> Self {
        Self {
            person,
            anchor,
            others,
            refused,
            active: BTreeMap::new(),
            revoked: Vec::new(),
        }
    }

    fn refuse(&mut self, key: &str, why: Refusal) {
        self.refused.push((key.to_owned(), why));
    }

    /// `records` are this person's, sorted by key and of a sound shape.
    fn run(mut self, records: &[(&str, &DeviceRecord)]) -> PersonDevices {
        let mut person = None;
        let mut devices: BTreeMap<u32, Vec<(&str, &DeviceRecord)>> = BTreeMap::new();
        let mut revocations: BTreeMap<u32, Vec<(&str, &DeviceRecord)>> = BTreeMap::new();
        for &(key, rec) in records {
            match rec {
                DeviceRecord::Person {
                    public, anchor, at, ..
                } => {
                    let msg = signed_bytes(rec);
                    let (sig, cosig) = rec.sigs();
                    if *anchor != self.anchor {
                        self.refuse(key, Refusal::UnknownPerson);
                    } else if verify(public, &msg, sig).is_err()
                        || verify(anchor, &msg, cosig).is_err()
                    {
                        self.refuse(key, Refusal::BadSignature);
                    } else if person.is_some() {
                        self.refuse(key, malformed("another record has the same key"));
                    } else {
                        person = Some((*public, *at));
                    }
                }
                DeviceRecord::Device { generation, .. } => {
                    devices.entry(*generation).or_default().push((key, rec))
                }
                DeviceRecord::Revoked { generation, .. } => {
                    revocations.entry(*generation).or_default().push((key, rec))
                }
            }
        }
        self.active.insert(
            self.anchor,
            Active {
                info: DeviceInfo {
                    endpoint: self.anchor,
                    label: None,
                    generation: 0,
                    sponsor: self.anchor,
                    at: person.map_or(0, |(_, at)| at),
                },
                key: None,
            },
        );
        let mut generation = 0;
        let mut public = person.map(|(public, _)| public);
        if let Some(mut key) = public {
            loop {
                self.add_devices(key, devices.remove(&generation).unwrap_or_default());
                let next = self.revoke(key, revocations.remove(&generation).unwrap_or_default());
                match (next, generation.checked_add(1)) {
                    (Some(next), Some(n)) => {
                        key = next;
                        generation = n;
                    }
                    _ => break,
                }
            }
            public = Some(key);
        }
        // Generations never reached: no key to check them with.
        for (key, _) in devices
            .into_values()
            .chain(revocations.into_values())
            .flatten()
        {
            self.refuse(key, Refusal::NotSponsored);
        }
        self.revoked.sort_by_key(|r| (r.endpoint, r.by, r.at));
        PersonDevices {
            person: self.person.clone(),
            generation,
            public,
            active: self.active.into_values().map(|a| a.info).collect(),
            revoked: self.revoked,
        }
    }

    /// Adds the devices of one generation whose key is `public`, until none more
    /// can be: a device linked by one added at the same generation counts too.
    fn add_devices(&mut self, public: [u8; 32], mut pending: Vec<(&str, &DeviceRecord)>) {
        loop {
            let before = pending.len();
            let mut waiting = Vec::new();
            for (key, rec) in pending {
                match self.judge_device(public, rec) {
                    Judged::Wait => waiting.push((key, rec)),
                    Judged::Refuse(why) => self.refuse(key, why),
                    Judged::Accept(info) => {
                        let key = Some(key.to_owned());
                        self.active.insert(info.endpoint, Active { info, key });
                    }
                }
            }
            pending = waiting;
            if pending.len() == before {
                break;
            }
        }
        for (key, _) in pending {
            self.refuse(key, Refusal::NotSponsored);
        }
    }

    fn judge_device(&self, public: [u8; 32], rec: &DeviceRecord) -> Judged {
        let DeviceRecord::Device {
            endpoint,
            label,
            generation,
            sponsor,
            at,
            ..
        } = rec
        else {
            return Judged::Refuse(malformed("not a device record"));
        };
        let msg = signed_bytes(rec);
        let (sig, cosig) = rec.sigs();
        if self.others.contains(endpoint) {
            return Judged::Refuse(Refusal::UnknownPerson);
        }
        if verify(&public, &msg, sig).is_err() {
            return Judged::Refuse(Refusal::BadSignature);
        }
        if self.revoked.iter().any(|r| &r.endpoint == endpoint) {
            return Judged::Refuse(Refusal::NotKept);
        }
        if *endpoint == self.anchor {
            // The first device is in by the person record; its own record names it.
            if sponsor != endpoint {
                return Judged::Refuse(Refusal::NotSponsored);
            }
            if !self.active.contains_key(endpoint) {
                return Judged::Refuse(Refusal::NotKept);
            }
        } else if sponsor == endpoint || self.active.contains_key(endpoint) {
            return Judged::Refuse(Refusal::NotSponsored);
        } else if !self.active.contains_key(sponsor) {
            return Judged::Wait;
        }
        if verify(sponsor, &msg, cosig).is_err() {
            return Judged::Refuse(Refusal::BadSignature);
        }
        Judged::Accept(DeviceInfo {
            endpoint: *endpoint,
            label: Some(label.clone()),
            generation: *generation,
            sponsor: *sponsor,
            at: *at,
        })
    }

    /// Applies the valid revocations of one generation whose key is `public`, all
    /// judged against the devices active before any of them; returns the next
    /// generation's key, if any was valid.
    fn revoke(
        &mut self,
        public: [u8; 32],
        records: Vec<(&str, &DeviceRecord)>,
    ) -> Option<[u8; 32]> {
        let mut next: Option<[u8; 32]> = None;
        let mut kept: Option<BTreeSet<[u8; 32]>> = None;
        let mut gone = BTreeSet::new();
        for (key, rec) in records {
            let DeviceRecord::Revoked {
                endpoint,
                by,
                next_public,
                keep,
                at,
                ..
            } = rec
            else {
                self.refuse(key, malformed("not a revocation"));
                continue;
            };
            let msg = signed_bytes(rec);
            let (sig, cosig) = rec.sigs();
            if verify(&public, &msg, sig).is_err() {
                self.refuse(key, Refusal::BadSignature);
            } else if by == endpoint
                || !self.active.contains_key(by)
                || !self.active.contains_key(endpoint)
            {
                self.refuse(key, Refusal::NotSponsored);
            } else if verify(by, &msg, cosig).is_err() {
                self.refuse(key, Refusal::BadSignature);
            } else {
                gone.insert(*endpoint);
                self.revoked.push(Revocation {
                    endpoint: *endpoint,
                    by: *by,
                    at: *at,
                });
                next = Some(next.map_or(*next_public, |n| n.min(*next_public)));
                let keep: BTreeSet<[u8; 32]> = keep.iter().copied().collect();
                kept = Some(match kept {
                    None => keep,
                    Some(k) => k.intersection(&keep).copied().collect(),
                });
            }
        }
        let kept = kept?;
        let active = std::mem::take(&mut self.active);
        for (endpoint, device) in active {
            if kept.contains(&endpoint) && !gone.contains(&endpoint) {
                self.active.insert(endpoint, device);
            } else if !gone.contains(&endpoint)
                && let Some(key) = device.key
            {
                self.refuse(&key, Refusal::NotKept);
            }
        }
        next
    }
}

enum Judged {
    Accept(DeviceInfo),
    Refuse(Refusal),
    /// Its sponsor may still be added at this generation.
    Wait,
}

/// Lowercase hex, as device records store bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

/// Exactly `N` bytes in lowercase hex: the one spelling [`hex`] writes, so a record
/// reads back only if its key would be written the same way.
pub(crate) fn unhex<const N: usize>(s: &str) -> Option<[u8; N]> {
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let s = s.as_bytes();
    if s.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (o, pair) in out.iter_mut().zip(s.chunks_exact(2)) {
        *o = (digit(pair[0])? << 4) | digit(pair[1])?;
    }
    Some(out)
}

/// A partner id as the 16 bytes its hex spells (always: `PartnerId` is checked).
fn partner_bytes(p: &PartnerId) -> [u8; 16] {
    unhex(p.as_str()).unwrap_or([0; 16])
}
