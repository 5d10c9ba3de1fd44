//! The derivations of a release of the shared journal's history (PROTOCOL.md,
//! "Release of history"): which journal a couple key belongs to, and the couple key
//! that replaces it. The steps themselves travel as [`super::message::Release`]
//! messages; what they do to the journal is the device's business.

use kintsugi_crypto::{Secret32, derive_key, sha256};

/// Names the journal that a couple key belongs to: each release of history starts a
/// new journal under a new couple key, an *epoch*. It travels in the clear in every
/// greeting (inside TLS), so it is a one-way function of the key and reveals nothing
/// about it.
pub fn epoch_id(couple_key: &Secret32) -> [u8; 16] {
    let k = derive_key(None, couple_key.expose(), &[b"kintsugi epoch id v1"]);
    let mut id = [0u8; 16];
    id.copy_from_slice(&k.expose()[..16]);
    id
}

/// The couple key of the journal that releasing the history of `old`'s journal
/// starts: HKDF-SHA-256 with the two devices' fresh randomness as salt (the leader's
/// first), the old key as input, and the request and the copied heads in the info.
/// Both devices contribute, so neither alone chooses the key; the old key goes in, so
/// a third party who saw the randomness (it travels sealed, but say it did) still
/// cannot compute it.
pub fn released_couple_key(
    old: &Secret32,
    request: &[u8; 16],
    leader_random: &[u8; 32],
    follower_random: &[u8; 32],
    heads: &[[u8; 32]],
) -> Secret32 {
    let mut salt = [0u8; 64];
    salt[..32].copy_from_slice(leader_random);
    salt[32..].copy_from_slice(follower_random);
    let mut sorted = heads.to_vec();
    sorted.sort();
    let digest = sha256(&[&sorted.concat()]);
    derive_key(
        Some(&salt),
        old.expose(),
        &[b"kintsugi couple key release v1", request, &digest],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_input_changes_the_key_and_the_order_of_heads_does_not() {
        let k = Secret32::from_bytes([1; 32]);
        let base = released_couple_key(&k, &[2; 16], &[3; 32], &[4; 32], &[[5; 32], [6; 32]]);
        assert_eq!(
            base,
            released_couple_key(&k, &[2; 16], &[3; 32], &[4; 32], &[[6; 32], [5; 32]])
        );
        for other in [
            released_couple_key(
                &Secret32::from_bytes([9; 32]),
                &[2; 16],
                &[3; 32],
                &[4; 32],
                &[[5; 32], [6; 32]],
            ),
            released_couple_key(&k, &[9; 16], &[3; 32], &[4; 32], &[[5; 32], [6; 32]]),
            released_couple_key(&k, &[2; 16], &[4; 32], &[3; 32], &[[5; 32], [6; 32]]),
            released_couple_key(&k, &[2; 16], &[3; 32], &[4; 32], &[[5; 32]]),
        ] {
            assert_ne!(base, other);
        }
        assert_ne!(base, k);
        assert_ne!(epoch_id(&base), epoch_id(&k));
    }
}
