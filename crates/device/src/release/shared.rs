//! Releasing the shared journal's history, with both partners' consent
//! (ARCHITECTURE.md, "Release of history"; the messages are in PROTOCOL.md).
//!
//! 1. One person asks (`request`): the device stores a request with a random id and
//!    sends `Ask` in every session until it is answered.
//! 2. The other person sees it (`status`) and accepts or declines; the answer travels
//!    back as `Answer`. A declined or withdrawn request is forgotten on both sides.
//! 3. Once both agreed, the *leader* (the device with the lower endpoint id) waits
//!    until the two journals are in sync, stores its randomness and the journal's
//!    heads, and sends `Contribute`. The *follower* checks it holds every change
//!    named (else `Retry`), stores both randomnesses and the heads (it is now
//!    *prepared*), and replies with its own `Contribute`. The leader stores it and
//!    moves to the new journal at once: it knows the follower can too. It sends
//!    `Committed`, and the follower moves on receiving it.
//! 4. Moving: the new couple key is derived from the old one and both randomnesses
//!    (`released_couple_key`); each device builds the new journal itself, as the
//!    released copy of the old one at the agreed heads (byte-identical on both, see
//!    the journal crate), carries over anything it wrote after those heads, and
//!    replaces the old log (new key for the log, new couple key, in one keyring write;
//!    the old log is destroyed). Its sync state is dropped, and the old journal's
//!    epoch is remembered as released.
//!
//! Crashes: every step is stored before the message that depends on it is sent. A
//! device that stored its decision to move (`committing`) finishes moving when the
//! profile is next unlocked. A prepared follower that missed `Committed` moves when
//! the leader's greeting names the new journal. A device whose greeting names a
//! released journal without being prepared for it (a copy of the profile restored
//! from a backup) is turned away and told why.

use kintsugi_journal::{ChangeHash, SharedJournal};
use kintsugi_net::sync::{
    EpochVerdict, Release, ReleaseFlow, ReplicaError, epoch_id, released_couple_key,
};
use kintsugi_store::{LogKind, Secret32};
use serde::{Deserialize, Serialize};

use crate::documents::Inner;
use crate::state_file::StateFile;
use crate::tracked::{Tracked, load_records};
use crate::{Device, DeviceError, DocKind, Event, Result, SHARED_LOG, now_ms};

/// What this device knows of releases of the shared journal's history. It holds the
/// randomness of a release in progress, so it is sealed like every other file.
pub(crate) const RELEASE: StateFile = StateFile {
    name: "release.sealed",
    context: "release v1",
    fresh_if_unreadable: false,
    fresh_if_damaged: false,
};

/// How many declined request ids are kept, to answer the partner's device if it
/// asks again.
const DECLINED_KEPT: usize = 4;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct ReleaseState {
    pub request: Option<Request>,
    /// Requests this person declined or withdrew: each session says so again, in
    /// case the partner's device did not hear it.
    #[serde(default)]
    pub declined: Vec<[u8; 16]>,
    /// When the partner declined this person's last request.
    #[serde(default)]
    pub partner_declined_at: Option<i64>,
    /// The journals (epochs) this device released, oldest first: a device greeting
    /// with one of them holds a copy from before the release.
    #[serde(default)]
    pub released: Vec<ReleasedEpoch>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ReleasedEpoch {
    pub old: [u8; 16],
    pub new: [u8; 16],
    pub at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Request {
    pub id: [u8; 16],
    pub asked_by_me: bool,
    pub asked_at: i64,
    /// Both people said yes.
    pub agreed: bool,
    pub leader_random: Option<[u8; 32]>,
    pub follower_random: Option<[u8; 32]>,
    /// The heads of the journal being copied, once the leader proposed them.
    #[serde(default)]
    pub heads: Vec<[u8; 32]>,
    /// This device decided to move to the new journal; it finishes even after a crash.
    #[serde(default)]
    pub committing: bool,
    /// Once both randomnesses are known: the journal the release leaves and the one
    /// it leads to, which tell whether a device already moved.
    #[serde(default)]
    pub old_epoch: Option<[u8; 16]>,
    #[serde(default)]
    pub new_epoch: Option<[u8; 16]>,
}

impl Request {
    fn new(id: [u8; 16], asked_by_me: bool) -> Self {
        Self {
            id,
            asked_by_me,
            asked_at: now_ms(),
            agreed: false,
            leader_random: None,
            follower_random: None,
            heads: Vec::new(),
            committing: false,
            old_epoch: None,
            new_epoch: None,
        }
    }

    fn prepared(&self) -> Option<([u8; 32], [u8; 32])> {
        Some((self.leader_random?, self.follower_random?))
    }

    /// The new couple key, from the old one.
    fn new_key(&self, old: &Secret32) -> Option<Secret32> {
        let (leader, follower) = self.prepared()?;
        Some(released_couple_key(
            old,
            &self.id,
            &leader,
            &follower,
            &self.heads,
        ))
    }

    /// Stores both randomnesses and what they lead to, under the couple key `key`
    /// of the journal `epoch`.
    fn prepare(
        &mut self,
        leader: [u8; 32],
        follower: [u8; 32],
        (key, epoch): &(Secret32, [u8; 16]),
    ) {
        self.leader_random = Some(leader);
        self.follower_random = Some(follower);
        self.old_epoch = Some(*epoch);
        self.new_epoch = self.new_key(key).map(|k| epoch_of(&k));
    }
}

/// A release request as the front ends show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseRequest {
    /// This person asked (otherwise the partner did).
    pub asked_by_me: bool,
    pub asked_at: i64,
    /// Both said yes: the release completes at the next sync with the partner.
    pub agreed: bool,
    /// The two devices have started the exchange that moves them to the new journal.
    pub under_way: bool,
}

/// Where releasing the shared journal's history stands on this device.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReleaseStatus {
    pub request: Option<ReleaseRequest>,
    /// When the partner declined this person's last request, if they did.
    pub partner_declined_at: Option<i64>,
    /// When this device last released the shared journal's history, if ever.
    pub last_release: Option<i64>,
    /// Names the shared journal this device syncs (a new one after each release),
    /// while paired: two devices that sync show the same.
    pub journal: Option<[u8; 16]>,
    /// Why a release of the shared journal cannot be asked for or accepted now.
    pub shared_blocked: Option<&'static str>,
    /// Why the diary's history cannot be released now.
    pub diary_blocked: Option<&'static str>,
}

/// The journal (epoch) that `couple_key` starts, as its first key; see [`epoch_id`].
pub(crate) fn epoch_of(couple_key: &Secret32) -> [u8; 16] {
    epoch_id(couple_key)
}

/// The journal (epoch) a pairing's keys are for: named by its first key, and kept
/// once that key was replaced (a removed device), since a replacement starts no new
/// journal.
pub(crate) fn pairing_epoch(p: &kintsugi_store::Pairing) -> [u8; 16] {
    p.epoch.unwrap_or_else(|| epoch_of(&p.couple_key))
}

/// The pairing a release needs.
fn paired(i: &crate::documents::Inner) -> Result<&kintsugi_store::Pairing> {
    i.keys
        .keyring
        .pairing
        .as_ref()
        .ok_or(DeviceError::NotPaired(
            "releasing the shared journal's history needs your partner",
        ))
}

fn heads_of(hashes: &[ChangeHash]) -> Vec<[u8; 32]> {
    hashes.iter().map(|h| h.0).collect()
}

fn hashes_of(heads: &[[u8; 32]]) -> Vec<ChangeHash> {
    heads.iter().map(|h| ChangeHash(*h)).collect()
}

fn replica_error(e: DeviceError) -> ReplicaError {
    match e {
        DeviceError::Store(e) => ReplicaError::Storage(e.to_string()),
        DeviceError::Locked => ReplicaError::Locked,
        other => ReplicaError::Other(other.to_string()),
    }
}

impl Device {
    fn release_state(&self) -> Result<ReleaseState> {
        self.with(|i| RELEASE.read(i))
    }

    fn update_release(
        &self,
        f: impl FnOnce(&mut ReleaseState) -> Result<()>,
    ) -> Result<ReleaseState> {
        let state = self.update_state_file(&RELEASE, f)?;
        // Wakes a sync session of this process, which sends what is new.
        self.changes.send_modify(|n| *n += 1);
        // An answer from the partner changes what a front end shows as much as a
        // request does, and nothing else announces it.
        let _ = self.events.send(Event::ReleaseChanged);
        Ok(state)
    }

    /// The journal (epoch) the shared journal here belongs to; `None` unpaired.
    pub(crate) fn journal_epoch(&self) -> Result<Option<[u8; 16]>> {
        self.with(|i| Ok(i.keys.keyring.pairing.as_ref().map(pairing_epoch)))
    }

    /// The current couple key and the journal's epoch.
    fn couple_key(&self) -> Result<(Secret32, [u8; 16])> {
        self.with(|i| {
            let p = paired(i)?;
            Ok((p.couple_key.clone(), pairing_epoch(p)))
        })
    }

    /// A release is agreed and carried out between two devices: a third would keep
    /// the old journal, with all it holds, and sync with no one. Until releases
    /// reach every device, they are refused while either of you has another.
    fn one_device_each(&self) -> Result<()> {
        match self.shared_release_blocked()? {
            Some(why) => Err(DeviceError::Release(why)),
            None => Ok(()),
        }
    }

    fn shared_release_blocked(&self) -> Result<Option<&'static str>> {
        Ok((self.sync_peers()?.len() > 1).then_some(
            "the shared journal is on more than your two devices: releasing its history now would leave the whole of it on the others, and they could no longer sync. For now a release needs each of you to have one device; remove the others first (they keep what they hold)",
        ))
    }

    /// Whether this device leads a release with its partner: the lower endpoint id
    /// does, as it does when both dial at once.
    pub(crate) fn leads(&self) -> Result<bool> {
        self.with(|i| {
            let me = crate::partner::iroh_id(&i.keys.keyring.device_secret);
            Ok(me < paired(i)?.partner_endpoint)
        })
    }

    /// Asks the partner to release the shared journal's history: the request reaches
    /// their device at the next sync, and they accept or decline it there. Asking
    /// again while a request is open changes nothing.
    pub fn request_release_history(&self) -> Result<()> {
        self.leads()?;
        self.one_device_each()?;
        let id: [u8; 16] = kintsugi_crypto::random_array()?;
        self.update_release(|s| match &s.request {
            Some(r) if r.asked_by_me || r.agreed => Ok(()),
            Some(_) => Err(DeviceError::Release(
                "your partner already asked to release the history: accept or decline their request",
            )),
            None => {
                s.partner_declined_at = None;
                s.request = Some(Request::new(id, true));
                Ok(())
            }
        })?;
        Ok(())
    }

    /// Accepts the partner's request: the release then happens at the next sync
    /// between the two devices, and cannot be taken back.
    pub fn accept_release_history(&self) -> Result<()> {
        self.one_device_each()?;
        self.update_release(|s| match s.request.as_mut() {
            Some(r) if !r.asked_by_me && !r.agreed => {
                r.agreed = true;
                Ok(())
            }
            Some(r) if r.agreed => Ok(()),
            Some(_) => Err(DeviceError::Release(
                "this is your own request: your partner accepts or declines it",
            )),
            None => Err(DeviceError::Release(
                "your partner has not asked to release the history",
            )),
        })?;
        Ok(())
    }

    /// Declines the partner's request, or withdraws this person's own before it was
    /// accepted. Both devices forget it.
    pub fn decline_release_history(&self) -> Result<()> {
        self.update_release(|s| match &s.request {
            Some(r) if !r.agreed => {
                let id = r.id;
                s.request = None;
                s.declined.push(id);
                let extra = s.declined.len().saturating_sub(DECLINED_KEPT);
                s.declined.drain(..extra);
                Ok(())
            }
            Some(_) => Err(DeviceError::Release(
                "you both agreed already: the release completes at your next sync, and cannot be stopped",
            )),
            None => Err(DeviceError::Release("there is no request to decline")),
        })?;
        Ok(())
    }

    pub fn release_status(&self) -> Result<ReleaseStatus> {
        let s = self.release_state()?;
        let journal = self.journal_epoch()?;
        let shared_blocked = self.shared_release_blocked()?;
        let diary_blocked = self.diary_release_blocked()?;
        Ok(ReleaseStatus {
            shared_blocked,
            diary_blocked,
            request: s.request.map(|r| ReleaseRequest {
                asked_by_me: r.asked_by_me,
                asked_at: r.asked_at,
                agreed: r.agreed,
                under_way: r.leader_random.is_some(),
            }),
            partner_declined_at: s.partner_declined_at,
            last_release: s.released.last().map(|r| r.at),
            journal,
        })
    }

    /// Finishes a move to the new journal that a crash interrupted (called when the
    /// profile is unlocked). A failure is logged: the next unlock, or the partner's
    /// next greeting, tries again.
    pub(crate) fn finish_release(&self) {
        let pending = self
            .release_state()
            .ok()
            .and_then(|s| s.request)
            .filter(|r| r.committing);
        if let Some(r) = pending
            && let Err(e) = self.commit_release(&r)
        {
            tracing::warn!(error = %e, "could not finish releasing the shared journal's history; trying again later");
        }
    }

    /// Moves this device to the journal the release `r` leads to (see the module's
    /// documentation). Idempotent: a device already there only tidies up.
    fn commit_release(&self, r: &Request) -> Result<()> {
        let (Some(old_epoch), Some(new_epoch)) = (r.old_epoch, r.new_epoch) else {
            return Err(DeviceError::Release("the release was not prepared"));
        };
        if !r.committing {
            self.update_release(|s| {
                if let Some(mine) = s.request.as_mut().filter(|m| m.id == r.id) {
                    mine.committing = true;
                }
                Ok(())
            })?;
        }
        let now = now_ms();
        self.with(|i| {
            let (key, current) = match &i.keys.keyring.pairing {
                Some(p) => (p.couple_key.clone(), pairing_epoch(p)),
                None => return Err(DeviceError::NotPaired("")),
            };
            if current == old_epoch {
                let new_key = r
                    .new_key(&key)
                    .ok_or(DeviceError::Release("the release was not prepared"))?;
                move_shared(i, &r.heads, &new_key, new_epoch, now)
            } else if current == new_epoch {
                // Moved already; a crash came before the tidying up below.
                Ok(())
            } else {
                Err(DeviceError::Release(
                    "the couple key is neither the one the release started from nor the one it leads to",
                ))
            }
        })?;
        self.update_partner_state(|p| p.forget_sync_states())?;
        self.update_release(|s| {
            if s.request.as_ref().is_some_and(|m| m.id == r.id) {
                s.request = None;
            }
            if !s.released.iter().any(|e| e.old == old_epoch) {
                s.released.push(ReleasedEpoch {
                    old: old_epoch,
                    new: new_epoch,
                    at: now,
                });
            }
            Ok(())
        })?;
        tracing::info!("released the shared journal's history; now on the new journal");
        self.emit(DocKind::Shared, false);
        let _ = self.events.send(Event::HistoryReleased);
        Ok(())
    }

    /// The journals (epochs) whose history this device released.
    pub(crate) fn released_epochs(&self) -> Result<Vec<[u8; 16]>> {
        Ok(self
            .release_state()?
            .released
            .iter()
            .map(|e| e.old)
            .collect())
    }

    /// See [`kintsugi_net::sync::Replica::other_epoch`].
    pub(crate) fn other_epoch(&self, theirs: &[u8; 16]) -> EpochVerdict {
        // This device moved there already, after the session began: the next
        // session runs under the new key.
        if self.journal_epoch().ok().flatten().as_ref() == Some(theirs) {
            return EpochVerdict::Followed;
        }
        let Ok(state) = self.release_state() else {
            return EpochVerdict::Unknown;
        };
        if state.released.iter().any(|e| &e.old == theirs) {
            // A device that took part in the release moves on its own when it sees
            // this device's greeting; one that did not (a copy restored from a
            // backup) cannot.
            tracing::info!(
                "turned away the partner's device: it offered the shared journal as it was before its history was released here"
            );
            return EpochVerdict::Released;
        }
        let Some(r) = state
            .request
            .filter(|r| r.new_epoch.as_ref() == Some(theirs))
        else {
            return EpochVerdict::Unknown;
        };
        // The partner moved already (its `Committed` never reached this device).
        match self.commit_release(&r) {
            Ok(()) => EpochVerdict::Followed,
            Err(e) => {
                tracing::warn!(error = %e, "could not move to the journal the partner moved to");
                EpochVerdict::Unknown
            }
        }
    }
}

/// Replaces the shared journal with the released copy (plus what this device wrote
/// after `heads`) under `new_key`; the caller holds the device lock.
fn move_shared(
    i: &mut Inner,
    heads: &[[u8; 32]],
    new_key: &Secret32,
    epoch: [u8; 16],
    now: i64,
) -> Result<()> {
    let dir = i.dir.clone();
    let hashes = hashes_of(heads);
    kintsugi_store::replace_log(
        &dir,
        &mut i.keys,
        LogKind::Shared,
        |records| {
            let mut old: SharedJournal = load_records(&records)?;
            let copy = old.released_copy(&hashes, &epoch)?;
            let mut new = SharedJournal::load(&copy)?;
            new.mirror_from(&mut old, now)?;
            Ok::<_, DeviceError>(new.save())
        },
        |k| {
            // A new journal starts at its first key, which names its epoch.
            if let Some(p) = k.pairing.as_mut() {
                p.couple_key = new_key.clone();
                p.generation = 0;
                p.epoch = None;
                p.previous.clear();
            }
        },
    )?;
    i.shared = Tracked::open(&dir.join(SHARED_LOG), &i.keys.keyring)?;
    // Lists kept of the old document mean nothing in the new one.
    i.lists.shared = Default::default();
    Ok(())
}

/// One sync session's part in a release: which messages it already sent, and what
/// it must answer.
#[derive(Default)]
pub(crate) struct ReleaseSession {
    /// The request whose `Ask` this session sent: a person may ask again, after a
    /// decline, while the session goes on.
    sent_ask: Option<[u8; 16]>,
    sent_answer: bool,
    /// The declines this session said: one made while it runs is said at once, not
    /// only when the devices next connect.
    sent_declines: Vec<[u8; 16]>,
    sent_contribute: bool,
    queued: Vec<Release>,
    /// The two devices are known to hold different current couple keys (a
    /// removal's new key not given yet): the next journal's key, derived from the
    /// current one, would differ, so a follower asks the leader to try again.
    pub(crate) keys_apart: bool,
}

impl ReleaseSession {
    /// Whether a release both people agreed to is waiting for this session: a
    /// one-shot sync does not end before it is done.
    pub(crate) fn busy(&self, device: &Device) -> bool {
        device
            .release_state()
            .ok()
            .and_then(|s| s.request)
            .is_some_and(|r| r.agreed)
    }

    /// Whether sync messages are held back: once the leader proposed the heads, what
    /// either device writes after them is carried over into the new journal instead.
    pub(crate) fn holds_sync(&self, device: &Device) -> bool {
        device
            .release_state()
            .ok()
            .and_then(|s| s.request)
            .is_some_and(|r| r.leader_random.is_some())
    }

    /// See [`kintsugi_net::sync::ReplicaSession::release_outbox`]. `in_sync` says
    /// whether both journals are the same right now.
    pub(crate) fn outbox(
        &mut self,
        device: &Device,
        in_sync: bool,
    ) -> std::result::Result<Vec<Release>, ReplicaError> {
        let mut out = std::mem::take(&mut self.queued);
        let state = device.release_state().map_err(replica_error)?;
        for id in &state.declined {
            if !self.sent_declines.contains(id) {
                self.sent_declines.push(*id);
                out.push(Release::Answer {
                    id: *id,
                    accept: false,
                });
            }
        }
        let Some(r) = state.request else {
            return Ok(out);
        };
        if r.asked_by_me && !r.agreed && self.sent_ask != Some(r.id) {
            self.sent_ask = Some(r.id);
            out.push(Release::Ask { id: r.id });
        }
        if !r.asked_by_me && r.agreed && !self.sent_answer {
            self.sent_answer = true;
            out.push(Release::Answer {
                id: r.id,
                accept: true,
            });
        }
        if r.agreed && !self.sent_contribute && device.leads().map_err(replica_error)? {
            match (r.leader_random, r.follower_random) {
                (Some(random), None) => {
                    self.sent_contribute = true;
                    out.push(Release::Contribute {
                        id: r.id,
                        random,
                        heads: r.heads.clone(),
                    });
                }
                (None, _) if in_sync => {
                    self.sent_contribute = true;
                    let random: [u8; 32] =
                        kintsugi_crypto::random_array().map_err(|e| replica_error(e.into()))?;
                    let heads = device
                        .with(|i| Ok(heads_of(&i.shared.doc.heads())))
                        .map_err(replica_error)?;
                    if heads.len() > kintsugi_net::sync::message::MAX_RELEASE_HEADS {
                        // Writes from many places at once; after the next write on
                        // this device there is one head again.
                        return Ok(out);
                    }
                    // Stored before it is sent: the follower may store it next.
                    device
                        .update_release(|s| {
                            if let Some(m) = s.request.as_mut().filter(|m| m.id == r.id) {
                                m.leader_random = Some(random);
                                m.heads = heads.clone();
                            }
                            Ok(())
                        })
                        .map_err(replica_error)?;
                    out.push(Release::Contribute {
                        id: r.id,
                        random,
                        heads,
                    });
                }
                _ => {}
            }
        }
        Ok(out)
    }

    /// See [`kintsugi_net::sync::ReplicaSession::release_receive`].
    pub(crate) fn receive(
        &mut self,
        device: &Device,
        message: Release,
    ) -> std::result::Result<ReleaseFlow, ReplicaError> {
        self.handle(device, message).map_err(replica_error)
    }

    fn handle(&mut self, device: &Device, message: Release) -> Result<ReleaseFlow> {
        let leads = device.leads()?;
        match message {
            Release::Ask { id } => {
                let mut asked = false;
                device.update_release(|s| {
                    if s.declined.contains(&id) {
                        self.queued.push(Release::Answer { id, accept: false });
                        return Ok(());
                    }
                    match s.request.as_mut() {
                        None => {
                            asked = true;
                            s.request = Some(Request::new(id, false));
                        }
                        Some(r) if r.id == id => {
                            if r.agreed {
                                self.sent_answer = false;
                            }
                        }
                        // Both asked: both said yes. The lower id names the release.
                        Some(r) if r.asked_by_me && !r.agreed => {
                            r.id = r.id.min(id);
                            r.agreed = true;
                        }
                        // The partner asked anew before this person answered.
                        Some(r) if !r.asked_by_me && !r.agreed => r.id = id,
                        Some(_) => {}
                    }
                    Ok(())
                })?;
                if asked {
                    let _ = device.events.send(Event::ReleaseRequested);
                }
            }
            Release::Answer { id, accept } => {
                device.update_release(|s| {
                    if let Some(r) = s.request.as_mut().filter(|r| r.id == id && !r.agreed) {
                        if accept {
                            r.agreed = r.asked_by_me;
                        } else {
                            if r.asked_by_me {
                                s.partner_declined_at = Some(now_ms());
                            }
                            s.request = None;
                        }
                    }
                    Ok(())
                })?;
            }
            Release::Contribute { id, random, heads } if leads => {
                // The follower's reply: it is prepared, so this device moves now.
                let key = device.couple_key()?;
                let mut ready = None;
                device.update_release(|s| {
                    if let Some(r) = s
                        .request
                        .as_mut()
                        .filter(|r| r.id == id && r.follower_random.is_none() && r.heads == heads)
                        && let Some(leader) = r.leader_random
                    {
                        r.prepare(leader, random, &key);
                        r.committing = true;
                        ready = Some(r.clone());
                    }
                    Ok(())
                })?;
                if let Some(r) = ready {
                    device.commit_release(&r)?;
                    self.queued.push(Release::Committed { id });
                    return Ok(ReleaseFlow::Rekeyed);
                }
            }
            Release::Contribute { id, random, heads } => {
                let Some(r) = device.release_state()?.request.filter(|r| r.id == id) else {
                    return Ok(ReleaseFlow::Continue);
                };
                if let Some((leader, follower)) = r.prepared() {
                    // Asked again (the reply was lost): the same reply.
                    if leader == random && r.heads == heads {
                        self.queued.push(Release::Contribute {
                            id,
                            random: follower,
                            heads,
                        });
                    }
                    return Ok(ReleaseFlow::Continue);
                }
                let hashes = hashes_of(&heads);
                let holds = device.with(|i| Ok(i.shared.doc.has_all(&hashes)))?;
                if !r.agreed || !holds || self.keys_apart {
                    self.queued.push(Release::Retry { id });
                    return Ok(ReleaseFlow::Continue);
                }
                let mine: [u8; 32] = kintsugi_crypto::random_array()?;
                let key = device.couple_key()?;
                // Stored before the reply is sent: from now on this device can move
                // on its own, once it learns the leader did.
                device.update_release(|s| {
                    if let Some(m) = s.request.as_mut().filter(|m| m.id == id) {
                        m.heads = heads.clone();
                        m.prepare(random, mine, &key);
                    }
                    Ok(())
                })?;
                self.queued.push(Release::Contribute {
                    id,
                    random: mine,
                    heads,
                });
            }
            Release::Retry { id } if leads => {
                device.update_release(|s| {
                    if let Some(r) = s
                        .request
                        .as_mut()
                        .filter(|r| r.id == id && r.follower_random.is_none())
                    {
                        r.leader_random = None;
                        r.heads.clear();
                    }
                    Ok(())
                })?;
                self.sent_contribute = false;
            }
            Release::Committed { id } => {
                let r = device.release_state()?.request.filter(|r| r.id == id);
                if let Some(r) = r.filter(|r| r.prepared().is_some()) {
                    device.commit_release(&r)?;
                    return Ok(ReleaseFlow::Rekeyed);
                }
            }
            // Only a leader is told to retry.
            Release::Retry { .. } => {}
        }
        Ok(ReleaseFlow::Continue)
    }
}
