//! What the device's unit tests share: profiles made quickly, and two devices paired
//! as pairing stores them, without the network.

use std::path::Path;

use kintsugi_store::{LogKind, Pairing, Secret32, Unlocked};

use crate::{Device, Options};

/// Strong enough for the passphrase floor.
pub(crate) const PASS: &[u8] = b"correct horse battery staple";

pub(crate) fn opts() -> Options {
    Options::INSECURE_FAST_FOR_TESTS
}

/// Two devices that hold each other as partner, stored the way pairing stores it.
pub(crate) fn paired(tmp: &Path) -> (Device, Device) {
    let (da, db) = (tmp.join("a"), tmp.join("b"));
    drop(Device::create(&da, "Ari", PASS, opts()).unwrap());
    drop(Device::create(&db, "Bea", PASS, opts()).unwrap());
    let id_of = |dir: &Path| {
        let k = Unlocked::unlock(dir, PASS).unwrap();
        crate::partner::iroh_id(&k.keyring.device_secret)
    };
    let (ia, ib) = (id_of(&da), id_of(&db));
    for (dir, partner) in [(&da, ib), (&db, ia)] {
        let mut k = Unlocked::unlock(dir, PASS).unwrap();
        k.set_pairing(Some(Pairing::new(Secret32::from_bytes([3; 32]), partner)))
            .unwrap();
    }
    (
        Device::unlock(&da, PASS, opts()).unwrap(),
        Device::unlock(&db, PASS, opts()).unwrap(),
    )
}

/// A new profile in `dir` made another device of `existing`'s person, as linking
/// stores it on both sides (without the network).
/// [`paired`], with both devices' signed records (person and device) published and
/// synced: each knows the other's person, as before linking more devices.
pub(crate) fn paired_known(tmp: &Path) -> (Device, Device) {
    let (a, b) = paired(tmp);
    a.publish_identity().unwrap();
    b.publish_identity().unwrap();
    sync_directly(&a, &b);
    (a, b)
}

pub(crate) fn linked(existing: &Device, dir: &Path) -> Device {
    let new = Device::create_for_link(dir, PASS, opts()).unwrap();
    let endpoint = new.endpoint_bytes().unwrap();
    let transfer = existing.vouch_for(endpoint, "laptop").unwrap();
    let decoded = crate::Transfer::decode(&transfer.encode().unwrap()).unwrap();
    new.adopt(
        &decoded,
        existing.endpoint_bytes().unwrap(),
        Vec::new(),
        None,
    )
    .unwrap();
    new
}

/// Each of `devices` on its own endpoint on loopback, each told where the others
/// are (direct mode finds no one by itself).
pub(crate) async fn on_loopback(devices: &[Device]) -> Vec<crate::Network> {
    let on = crate::NetOverrides {
        mode: Some(kintsugi_net::NetworkMode::Direct),
        bind: Some(crate::Bind::Socket(([127, 0, 0, 1], 0).into())),
        relay: None,
    };
    let mut nets = Vec::new();
    for d in devices {
        nets.push(d.start_network(&on).await.unwrap());
    }
    for d in devices {
        for (other, net) in devices.iter().zip(&nets) {
            if endpoint_of(other) != endpoint_of(d) {
                let addrs = net.node().direct_addrs();
                d.update_peer_state(Some(endpoint_of(other)), |p| p.addrs = addrs)
                    .unwrap();
            }
        }
    }
    nets
}

pub(crate) fn endpoint_of(d: &Device) -> kintsugi_net::EndpointId {
    kintsugi_net::EndpointId::from_bytes(&d.endpoint_bytes().unwrap()).unwrap()
}

/// [`sync_directly`] between any two devices of a couple, each with its own sync
/// state for the other.
pub(crate) fn sync_pair(a: &Device, b: &Device) -> Vec<usize> {
    let (ra, rb) = (
        a.sync_replica_for(endpoint_of(b)),
        b.sync_replica_for(endpoint_of(a)),
    );
    run_keyed(ra.as_ref(), rb.as_ref())
}

/// [`run_sessions`], and then what the network session does once in sync: each
/// side offers the other its newer key, if it has one, as the greetings told them
/// apart. Returns the sizes of what `a` sent.
fn run_keyed(
    ra: &dyn kintsugi_net::sync::Replica,
    rb: &dyn kintsugi_net::sync::Replica,
) -> Vec<usize> {
    let (ka, kb) = (ra.keys(), rb.keys());
    let (mut sa, mut sb) = (ra.begin().unwrap(), rb.begin().unwrap());
    let sent = exchange(sa.as_mut(), sb.as_mut());
    if let (Some(ka), Some(kb)) = (ka, kb) {
        // A key taken can make the taker's own next one (two removals crossed).
        for _ in 0..4 {
            let mut quiet = true;
            if let Some(r) = sa.rekey_outbox(kb.current_id()).unwrap() {
                sb.rekey_receive(r).unwrap();
                quiet = false;
            }
            if let Some(r) = sb.rekey_outbox(ka.current_id()).unwrap() {
                sa.rekey_receive(r).unwrap();
                quiet = false;
            }
            if quiet {
                break;
            }
        }
    }
    sa.end();
    sb.end();
    sent
}

/// [`sync_pair`] for the private diary, between two devices of one person, each with
/// its own diary sync state for the other.
pub(crate) fn sync_diary_pair(a: &Device, b: &Device) -> Vec<usize> {
    let (ra, rb) = (
        a.diary_replica_for(endpoint_of(b)),
        b.diary_replica_for(endpoint_of(a)),
    );
    run_keyed(ra.as_ref(), rb.as_ref())
}

/// Runs one session on each device, handing each payload to the other as the
/// network would, until neither has anything to say. Returns the sizes of what
/// `a` sent.
pub(crate) fn sync_directly(a: &Device, b: &Device) -> Vec<usize> {
    run_sessions(
        a.sync_replica().begin().unwrap(),
        b.sync_replica().begin().unwrap(),
    )
}

fn run_sessions(
    mut sa: Box<dyn kintsugi_net::sync::ReplicaSession>,
    mut sb: Box<dyn kintsugi_net::sync::ReplicaSession>,
) -> Vec<usize> {
    let sent = exchange(sa.as_mut(), sb.as_mut());
    sa.end();
    sb.end();
    sent
}

fn exchange(
    sa: &mut dyn kintsugi_net::sync::ReplicaSession,
    sb: &mut dyn kintsugi_net::sync::ReplicaSession,
) -> Vec<usize> {
    let mut sent = Vec::new();
    for _ in 0..100 {
        let from_a = sa.generate().unwrap();
        if let Some(p) = &from_a {
            sent.push(p.len());
            sb.receive(p).unwrap();
        }
        let from_b = sb.generate().unwrap();
        if let Some(p) = &from_b {
            sa.receive(p).unwrap();
        }
        if from_a.is_none() && from_b.is_none() {
            break;
        }
    }
    assert!(
        sa.in_sync() && sb.in_sync(),
        "the sessions did not converge"
    );
    sent
}

/// Everything below `dir` that holds `needle`: in a file's bytes, in a log's
/// decrypted records or the Automerge history they hold (every change, decoded), or
/// in a sealed file opened with the profile key.
pub(crate) fn found_in(dir: &Path, needle: &str) -> Vec<String> {
    let keys = Unlocked::unlock(dir, PASS).unwrap();
    let mut found = Vec::new();
    let has = |b: &[u8]| b.windows(needle.len()).any(|w| w == needle.as_bytes());
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&path).unwrap();
        if has(&bytes) {
            found.push(format!("{name} (plaintext!)"));
        }
        for kind in LogKind::ALL {
            let Ok(opened) = kintsugi_store::DocLog::open_in(&path, kind, &keys.keyring) else {
                continue;
            };
            let all: Vec<u8> = opened.records.iter().flat_map(|r| r.to_vec()).collect();
            if has(&all) {
                found.push(format!("{name} (records)"));
            }
            let mut am = automerge::AutoCommit::load(&all).unwrap();
            let history: String = am
                .get_changes(&[])
                .iter()
                .map(|c| format!("{:?}", c.decode()))
                .collect();
            if history.contains(needle) {
                found.push(format!("{name} (history)"));
            }
        }
        for label in [
            "settings v1",
            "partner v1",
            "revoking v1",
            "manifest v1",
            "release v1",
            "held check-ins v1",
            "held letter keys v1",
            "reminders shown v1",
        ] {
            if let Ok(Some(plain)) =
                kintsugi_store::read_sealed(&path, &keys.keyring.profile_key, label)
                && has(&plain)
            {
                found.push(format!("{name} (sealed)"));
            }
        }
    }
    found
}
