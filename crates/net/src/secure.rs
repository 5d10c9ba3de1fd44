//! Encrypted, counted frames for one direction of one session.
//!
//! Each direction has its own key, derived per session from the couple key and two
//! fresh nonces, and its own counter. The counter is the nonce and part of the
//! associated data, and the receiver only ever tries the counter it expects next: a
//! replayed, reordered, dropped or foreign frame fails authentication, and the session
//! ends without applying it.

use kintsugi_crypto::{NONCE_LEN, Secret32, derive_key, open, seal_with_nonce};
use zeroize::Zeroizing;

use crate::NetError;

/// Which way a frame travels; part of every nonce and associated data, so a frame
/// reflected back at its sender can never authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From the device that opened the connection to the one that accepted it.
    DialerToAcceptor = 1,
    AcceptorToDialer = 2,
}

fn nonce(dir: Direction, counter: u64) -> [u8; NONCE_LEN] {
    let mut n = [0u8; NONCE_LEN];
    n[..8].copy_from_slice(&counter.to_le_bytes());
    n[8] = dir as u8;
    n
}

fn aad(label: &[u8], dir: Direction, counter: u64) -> Vec<u8> {
    let mut a = Vec::with_capacity(label.len() + 9);
    a.extend_from_slice(label);
    a.push(dir as u8);
    a.extend_from_slice(&counter.to_le_bytes());
    a
}

pub struct Sealer {
    key: Secret32,
    dir: Direction,
    label: &'static [u8],
    counter: u64,
}

impl Sealer {
    pub fn new(key: Secret32, dir: Direction, label: &'static [u8]) -> Self {
        Self {
            key,
            dir,
            label,
            counter: 0,
        }
    }

    /// Ciphertext and tag only: the nonce is implied by the counter.
    pub fn seal(&mut self, plaintext: &[u8]) -> Result<Vec<u8>, NetError> {
        let n = nonce(self.dir, self.counter);
        let mut sealed = seal_with_nonce(
            &self.key,
            &n,
            &aad(self.label, self.dir, self.counter),
            plaintext,
        )?;
        self.counter = self
            .counter
            .checked_add(1)
            .ok_or(NetError::Protocol("frame counter exhausted".into()))?;
        sealed.drain(..NONCE_LEN);
        Ok(sealed)
    }
}

pub struct Opener {
    key: Secret32,
    dir: Direction,
    label: &'static [u8],
    counter: u64,
}

impl Opener {
    pub fn new(key: Secret32, dir: Direction, label: &'static [u8]) -> Self {
        Self {
            key,
            dir,
            label,
            counter: 0,
        }
    }

    pub fn open(&mut self, frame: &[u8]) -> Result<Zeroizing<Vec<u8>>, NetError> {
        let n = nonce(self.dir, self.counter);
        let mut buf = Vec::with_capacity(NONCE_LEN + frame.len());
        buf.extend_from_slice(&n);
        buf.extend_from_slice(frame);
        let plain = open(&self.key, &aad(self.label, self.dir, self.counter), &buf)
            .map_err(|_| NetError::BadFrame)?;
        self.counter += 1;
        Ok(plain)
    }
}

/// The two direction keys of one session: HKDF over the couple key, salted with
/// both sides' fresh nonces and bound to both endpoint ids, so no two sessions (and
/// no two couples) ever share a key.
pub fn session_keys(
    couple_key: &Secret32,
    label: &[u8],
    dialer: &[u8; 32],
    acceptor: &[u8; 32],
    dialer_nonce: &[u8; 32],
    acceptor_nonce: &[u8; 32],
) -> (Secret32, Secret32) {
    let mut salt = [0u8; 64];
    salt[..32].copy_from_slice(dialer_nonce);
    salt[32..].copy_from_slice(acceptor_nonce);
    let d2a = derive_key(
        Some(&salt),
        couple_key.expose(),
        &[label, b" d2a", dialer, acceptor],
    );
    let a2d = derive_key(
        Some(&salt),
        couple_key.expose(),
        &[label, b" a2d", dialer, acceptor],
    );
    (d2a, a2d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const L: &[u8] = b"test";

    fn pair() -> (Sealer, Opener) {
        let k = Secret32::from_bytes([1; 32]);
        (
            Sealer::new(k.clone(), Direction::DialerToAcceptor, L),
            Opener::new(k, Direction::DialerToAcceptor, L),
        )
    }

    #[test]
    fn in_order_frames_open() {
        let (mut s, mut o) = pair();
        for i in 0..5u8 {
            let f = s.seal(&[i; 3]).unwrap();
            assert_eq!(&o.open(&f).unwrap()[..], &[i; 3]);
        }
    }

    #[test]
    fn replayed_reordered_tampered_and_reflected_frames_fail() {
        let (mut s, mut o) = pair();
        let f0 = s.seal(b"zero").unwrap();
        let f1 = s.seal(b"one").unwrap();
        // Reordered.
        assert!(matches!(o.open(&f1), Err(NetError::BadFrame)));
        let (mut s, mut o) = pair();
        let f0b = s.seal(b"zero").unwrap();
        assert_eq!(f0, f0b);
        o.open(&f0b).unwrap();
        // Replayed.
        assert!(o.open(&f0b).is_err());
        // Tampered.
        let (mut s, mut o) = pair();
        let mut f = s.seal(b"zero").unwrap();
        f[0] ^= 1;
        assert!(o.open(&f).is_err());
        // Reflected: the same key in the other direction.
        let k = Secret32::from_bytes([1; 32]);
        let mut back = Opener::new(k, Direction::AcceptorToDialer, L);
        assert!(back.open(&f0).is_err());
    }

    #[test]
    fn session_keys_differ_per_direction_session_and_couple() {
        let ck = Secret32::from_bytes([7; 32]);
        let (a, b) = session_keys(&ck, L, &[1; 32], &[2; 32], &[3; 32], &[4; 32]);
        assert_ne!(a, b);
        let (c, _) = session_keys(&ck, L, &[1; 32], &[2; 32], &[3; 32], &[5; 32]);
        assert_ne!(a, c);
        let (d, _) = session_keys(
            &Secret32::from_bytes([8; 32]),
            L,
            &[1; 32],
            &[2; 32],
            &[3; 32],
            &[4; 32],
        );
        assert_ne!(a, d);
    }

    proptest! {
        #[test]
        fn arbitrary_frames_never_panic(f in proptest::collection::vec(any::<u8>(), 0..200)) {
            let (_, mut o) = pair();
            prop_assert!(o.open(&f).is_err());
        }
    }
}
