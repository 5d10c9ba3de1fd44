//! The invite decoder: garbage, near misses and random valid invites.

use super::*;

fn base32(bytes: &[u8]) -> String {
    const A: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buf, mut bits) = (0u32, 0);
    for &b in bytes {
        buf = (buf << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            out.push(A[((buf >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(A[((buf << (5 - bits)) & 31) as usize] as char);
    }
    out
}

fn with_checksum(body: &[u8]) -> Vec<u8> {
    let mut b = body.to_vec();
    b.extend_from_slice(&sha256(body)[..4]);
    b
}

fn random_invite(rng: &mut Rng) -> Invite {
    let key: [u8; 32] = rng.bytes(32).try_into().unwrap();
    let addrs = (0..rng.below(5))
        .map(|i| {
            if i % 2 == 0 {
                format!(
                    "10.0.{}.{}:{}",
                    rng.below(256),
                    rng.below(256),
                    rng.below(65536)
                )
            } else {
                format!("[fe80::{:x}]:{}", rng.below(65536), rng.below(65536))
            }
            .parse()
            .unwrap()
        })
        .collect();
    Invite {
        endpoint: SecretKey::from_bytes(&key).public(),
        addrs,
        relay: if rng.chance(3) {
            Some("https://relay.example.org./".parse().unwrap())
        } else {
            None
        },
        secret: Secret32::from_bytes(rng.bytes(32).try_into().unwrap()),
        expires: rng.next_u64(),
        commitment: rng.bytes(32).try_into().unwrap(),
    }
}

/// Whatever decodes must re-encode to something that decodes to the same invite.
fn check_decoded(r: Result<Invite, NetError>, what: &str) -> bool {
    match r {
        Ok(inv) => {
            let again = Invite::from_bytes(&inv.to_bytes()).expect(what);
            assert_eq!(again, inv, "{what}: not stable under re-encoding");
            assert_eq!(Invite::from_text(&inv.to_text()).unwrap(), inv, "{what}");
            true
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(
                msg.contains("invite") && !msg.contains('\n'),
                "{what}: unclear error {msg}"
            );
            false
        }
    }
}

#[test]
fn invite_decoder_refuses_garbage_and_survives_near_misses() {
    let mut rng = Rng::seeded("invite");
    let mut decoded = 0;
    for case in 0..cases() {
        let inv = random_invite(&mut rng);
        let bytes = inv.to_bytes();
        // The test's checksum is the decoder's, so the cases below reach the parser.
        assert_eq!(with_checksum(&bytes[..bytes.len() - 4]), bytes);
        assert_eq!(Invite::from_bytes(&bytes).unwrap(), inv);
        let text = inv.to_text();
        assert_eq!(Invite::from_text(&text).unwrap(), inv);

        // Any change without a fixed checksum is refused as damaged.
        let bad = mutate(&mut rng, &bytes);
        if bad != bytes {
            assert!(
                Invite::from_bytes(&bad).is_err(),
                "case {case}: a damaged invite was accepted"
            );
        }
        // With the checksum fixed, the parser itself sees near-valid bodies.
        let body = mutate(&mut rng, &bytes[..bytes.len() - 4]);
        decoded += usize::from(check_decoded(
            Invite::from_bytes(&with_checksum(&body)),
            &format!("case {case}: mutated body"),
        ));
        let junk = rng.some_bytes(0, 200);
        check_decoded(
            Invite::from_bytes(&with_checksum(&junk)),
            &format!("case {case}: random body"),
        );
        check_decoded(Invite::from_bytes(&junk), &format!("case {case}: junk"));
        // Text: the same through base32, and random text.
        check_decoded(
            Invite::from_text(&format!("KINTSUGI:{}", base32(&with_checksum(&body)))),
            &format!("case {case}: mutated text"),
        );
        let mut chars: Vec<char> = text.chars().collect();
        let i = rng.usize(chars.len());
        chars[i] = ['!', 'é', '0', '1', '8', '9', '=', ':', 'ﬁ'][rng.usize(9)];
        let bad_text: String = chars.into_iter().collect();
        if bad_text != text {
            check_decoded(Invite::from_text(&bad_text), &format!("case {case}: text"));
        }
        let random: String = (0..rng.below(120))
            .map(|_| char::from_u32(rng.below(0x3000) as u32).unwrap_or('?'))
            .collect();
        check_decoded(Invite::from_text(&random), &format!("case {case}: random"));
        // Case and whitespace changes, as a messenger might make, are harmless.
        let spaced: String = text
            .chars()
            .enumerate()
            .flat_map(|(i, c)| {
                let c = if i % 3 == 0 {
                    c.to_ascii_lowercase()
                } else {
                    c
                };
                if i % 11 == 10 {
                    vec![c, '\n', ' ']
                } else {
                    vec![c]
                }
            })
            .collect();
        assert_eq!(Invite::from_text(&spaced).unwrap(), inv, "case {case}");
    }
    eprintln!(
        "invites: {} cases x 7 inputs; {decoded} mutated bodies with a fixed checksum still decoded (and re-encoded stably)",
        cases()
    );
}
