//! A replica that plays a script: a fixed list of payloads out, a record of what came
//! in. Shared by the net crate's frame tests and the end-to-end hostile-peer tests
//! (tests/hostile), which include this file by path.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use kintsugi_net::sync::{LinkEvent, Replica, ReplicaError, ReplicaSession};
use tokio::sync::watch;

/// Sends a fixed list of payloads and records what it receives.
pub struct Script {
    pub outgoing: Mutex<Vec<Vec<u8>>>,
    pub received: Arc<Mutex<Vec<Vec<u8>>>>,
    pub changes: watch::Sender<u64>,
}

impl Script {
    pub fn new(outgoing: Vec<Vec<u8>>) -> Arc<Self> {
        Arc::new(Self {
            outgoing: Mutex::new(outgoing.into_iter().rev().collect()),
            received: Arc::new(Mutex::new(Vec::new())),
            changes: watch::channel(0).0,
        })
    }
}

struct ScriptSession(Arc<Script>);

impl ReplicaSession for ScriptSession {
    fn generate(&mut self) -> Result<Option<Vec<u8>>, ReplicaError> {
        // The session sends one message per round; ticking `changes` asks for the
        // next round while the script has more to say.
        let next = self.0.outgoing.lock().unwrap().pop();
        if next.is_some() {
            self.0.changes.send_modify(|n| *n += 1);
        }
        Ok(next)
    }
    fn receive(&mut self, payload: &[u8]) -> Result<(), ReplicaError> {
        self.0.received.lock().unwrap().push(payload.to_vec());
        Ok(())
    }
    fn in_sync(&mut self) -> bool {
        false
    }
    fn end(&mut self) {}
}

pub struct Scripted(pub Arc<Script>);

impl Replica for Scripted {
    fn begin(&self) -> Result<Box<dyn ReplicaSession>, ReplicaError> {
        Ok(Box::new(ScriptSession(self.0.clone())))
    }
    fn changes(&self) -> watch::Receiver<u64> {
        self.0.changes.subscribe()
    }
    fn partner_addrs(&self, _: Vec<SocketAddr>) {}
    fn known_partner_addrs(&self) -> Vec<SocketAddr> {
        Vec::new()
    }
    fn partner_unpaired(&self) {}
    fn link(&self, _: LinkEvent) {}
}
