#!/usr/bin/env python3
"""Writes the fixed vectors of crates/net/PROTOCOL.md into this folder.

An implementation of the spec that shares no code with Kintsugi: Python's standard
library and the `cryptography` package (X25519, Ed25519, HKDF, ChaCha20-Poly1305),
plus HChaCha20 written out below. crates/net/tests/vectors.rs checks the Rust code
against what this prints, so a difference between the code and the spec fails a
test rather than going unnoticed. Run it from anywhere: `python3 generate.py`.
Every input is fixed; the output never changes unless the spec does.
"""

import base64
import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

HERE = os.path.dirname(os.path.abspath(__file__))


# --- primitives -------------------------------------------------------------------

def sha256(*parts):
    h = hashlib.sha256()
    for p in parts:
        h.update(p)
    return h.digest()


def hmac_sha256(key, *parts):
    return hmac.new(key, b"".join(parts), hashlib.sha256).digest()


def hkdf(salt, ikm, *info):
    return HKDF(algorithm=SHA256(), length=32, salt=salt, info=b"".join(info)).derive(ikm)


def x25519_public(scalar):
    return X25519PrivateKey.from_private_bytes(scalar).public_key().public_bytes_raw()


def x25519(scalar, point):
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
    return X25519PrivateKey.from_private_bytes(scalar).exchange(
        X25519PublicKey.from_public_bytes(point))


def endpoint_id(seed):
    """An iroh endpoint id: the Ed25519 public key of a 32-byte secret key."""
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()


def rotl(v, c):
    return ((v << c) & 0xFFFFFFFF) | (v >> (32 - c))


def quarter(s, a, b, c, d):
    s[a] = (s[a] + s[b]) & 0xFFFFFFFF; s[d] = rotl(s[d] ^ s[a], 16)
    s[c] = (s[c] + s[d]) & 0xFFFFFFFF; s[b] = rotl(s[b] ^ s[c], 12)
    s[a] = (s[a] + s[b]) & 0xFFFFFFFF; s[d] = rotl(s[d] ^ s[a], 8)
    s[c] = (s[c] + s[d]) & 0xFFFFFFFF; s[b] = rotl(s[b] ^ s[c], 7)


def hchacha20(key, nonce16):
    s = list(struct.unpack("<4I", b"expand 32-byte k") + struct.unpack("<8I", key)
             + struct.unpack("<4I", nonce16))
    for _ in range(10):
        quarter(s, 0, 4, 8, 12); quarter(s, 1, 5, 9, 13)
        quarter(s, 2, 6, 10, 14); quarter(s, 3, 7, 11, 15)
        quarter(s, 0, 5, 10, 15); quarter(s, 1, 6, 11, 12)
        quarter(s, 2, 7, 8, 13); quarter(s, 3, 4, 9, 14)
    return struct.pack("<8I", *(s[0:4] + s[12:16]))


def xchacha20poly1305_seal(key, nonce24, aad, plaintext):
    """Ciphertext followed by the 16-byte tag (draft-irtf-cfrg-xchacha)."""
    sub = hchacha20(key, nonce24[:16])
    return ChaCha20Poly1305(sub).encrypt(b"\0\0\0\0" + nonce24[16:], plaintext, aad)


# --- encodings (PROTOCOL.md, "Conventions") ----------------------------------------

def u16(n): return struct.pack(">H", n)
def u32(n): return struct.pack(">I", n)
def u64(n): return struct.pack(">Q", n)


def short_bytes(b):
    assert len(b) <= 255
    return bytes([len(b)]) + b


def addrs(list_):
    out = bytes([len(list_)])
    for family, ip, port in list_:
        out += bytes([family]) + ip + u16(port)
    return out


def frame(payload):
    return u32(len(payload)) + payload


# Sealed frames (PROTOCOL.md, "Sealed frames").
DIALER_TO_ACCEPTOR = 1
ACCEPTOR_TO_DIALER = 2


def seal_frame(key, direction, label, counter, plaintext):
    nonce = struct.pack("<Q", counter) + bytes([direction]) + bytes(15)
    aad = label + bytes([direction]) + struct.pack("<Q", counter)
    return xchacha20poly1305_seal(key, nonce, aad, plaintext)


# --- the vectors -------------------------------------------------------------------

class Out:
    def __init__(self, name, title):
        self.path = os.path.join(HERE, name)
        self.lines = [f"# {title}", "# Written by generate.py; see crates/net/PROTOCOL.md.",
                      "# hex unless quoted; a line per value.", ""]

    def comment(self, text):
        self.lines.append(f"# {text}")

    def hex(self, key, value):
        self.lines.append(f"{key} = {value.hex()}")

    def text(self, key, value):
        self.lines.append(f'{key} = "{value}"')

    def num(self, key, value):
        self.lines.append(f"{key} = {value}")

    def blank(self):
        self.lines.append("")

    def write(self):
        with open(self.path, "w") as f:
            f.write("\n".join(self.lines).rstrip("\n") + "\n")


PAIR_VERSION = 3   # the invite's and the JoinRequest's version byte
SYNC_VERSION = 4   # the Greeting's version byte
BUNDLE_VERSION = 3


def invite_bytes(endpoint, expires, secret, commitment, addr_list, relay):
    body = bytes([PAIR_VERSION]) + endpoint + u64(expires) + secret + commitment + addrs(addr_list) \
        + short_bytes(relay)
    return body + sha256(body)[:4]


def invite_text(b):
    return "KINTSUGI:" + base64.b32encode(b).decode().rstrip("=")


def key_id(key):
    """The eight bytes a greeting names a couple (or self) key by."""
    return hkdf(None, key, b"kintsugi key id v1")[:8]


def greeting(nonce, epoch, keys):
    """keys: (generation, key) pairs, generations strictly descending, the current first."""
    assert 1 <= len(keys) <= 8
    assert all(a[0] > b[0] for a, b in zip(keys, keys[1:]))
    return bytes([SYNC_VERSION]) + nonce + epoch + bytes([len(keys)]) \
        + b"".join(u32(g) + key_id(k) for g, k in keys)


def rekey(generation, key, removed, person=None):
    """A Rekey message; person is (generation, signing-key seed) on kintsugi/self/1."""
    assert 1 <= len(removed) <= 16
    out = bytes([5]) + u32(generation) + key + bytes([len(removed)]) + b"".join(removed)
    if person is None:
        return out + bytes([0])
    return out + bytes([1]) + u32(person[0]) + person[1]


PAIR_LABEL = b"kintsugi/pair/2"
LINK_LABEL = b"kintsugi/link/1"
SYNC_LABEL = b"kintsugi/sync/1"

INVITER_SEED = bytes([0x03]) * 32
JOINER_SEED = bytes([0x0d]) * 32
INVITER_EPH = bytes(range(0x40, 0x60))       # the inviter's X25519 secret scalar
JOINER_EPH = bytes(range(0x60, 0x80))        # the joiner's
INVITE_SECRET = bytes(range(0x20, 0x40))
EXPIRES = 1_800_000_000
ADDRS = [(4, bytes([192, 168, 1, 23]), 4242), (6, bytes(15) + b"\x01", 4243)]


def self_check():
    """The published XChaCha20-Poly1305 vector (draft-irtf-cfrg-xchacha, A.3.1)."""
    pt = (b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip "
          b"for the future, sunscreen would be it.")
    out = xchacha20poly1305_seal(
        bytes.fromhex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"),
        bytes.fromhex("404142434445464748494a4b4c4d4e4f5051525354555657"),
        bytes.fromhex("50515253c0c1c2c3c4c5c6c7"), pt)
    assert out[:16] == bytes.fromhex("bd6d179d3e83d43b9576579493c0e939")
    assert out[-16:] == bytes.fromhex("c0875924c1c7987947deafd8780acf49")


def main():
    self_check()
    inviter = endpoint_id(INVITER_SEED)
    joiner = endpoint_id(JOINER_SEED)
    i_pub = x25519_public(INVITER_EPH)
    j_pub = x25519_public(JOINER_EPH)
    commitment = sha256(b"kintsugi/pair/2 commitment", i_pub)

    # The invite, without and with a relay.
    out = Out("invite.txt", "The invite (PROTOCOL.md, \"The invite\")")
    out.hex("endpoint_secret_key", INVITER_SEED)
    out.hex("endpoint", inviter)
    out.num("expires", EXPIRES)
    out.hex("secret", INVITE_SECRET)
    out.hex("inviter_ephemeral_secret", INVITER_EPH)
    out.hex("inviter_ephemeral_public", i_pub)
    out.hex("commitment", commitment)
    out.text("addr0", "192.168.1.23:4242")
    out.text("addr1", "[::1]:4243")
    plain = invite_bytes(inviter, EXPIRES, INVITE_SECRET, commitment, ADDRS, b"")
    out.hex("bytes", plain)
    out.text("text", invite_text(plain))
    out.blank()
    relay = "https://relay.example.org./"
    out.text("relay", relay)
    with_relay = invite_bytes(inviter, EXPIRES, INVITE_SECRET, commitment, ADDRS,
                              relay.encode())
    out.hex("relay_bytes", with_relay)
    out.text("relay_text", invite_text(with_relay))
    out.write()

    # The pairing transcript, with the first invite.
    out = Out("pairing.txt", "A pairing transcript (PROTOCOL.md, \"Pairing\")")
    out.comment("The invite is invite.txt's first one (no relay).")
    out.hex("inviter", inviter)
    out.hex("joiner_secret_key", JOINER_SEED)
    out.hex("joiner", joiner)
    out.hex("joiner_ephemeral_secret", JOINER_EPH)
    out.hex("joiner_ephemeral_public", j_pub)
    out.hex("inviter_ephemeral_secret", INVITER_EPH)
    out.hex("inviter_ephemeral_public", i_pub)
    th0 = sha256(PAIR_LABEL, plain, inviter, joiner)
    out.hex("th0", th0)
    jmac = hmac_sha256(INVITE_SECRET, b"joiner", th0, j_pub)
    out.hex("joiner_mac", jmac)
    out.hex("join_request", bytes([PAIR_VERSION]) + j_pub + jmac)
    imac = hmac_sha256(INVITE_SECRET, b"inviter", th0, j_pub, i_pub)
    out.hex("inviter_mac", imac)
    out.hex("reply", bytes([0]) + i_pub + imac)
    shared = x25519(JOINER_EPH, i_pub)
    assert shared == x25519(INVITER_EPH, j_pub)
    out.hex("shared", shared)
    th = sha256(th0, j_pub, i_pub)
    out.hex("transcript_hash", th)
    couple = hkdf(INVITE_SECRET, shared, b"kintsugi couple key v1", th)
    out.hex("couple_key", couple)
    sas_key = hkdf(INVITE_SECRET, shared, b"kintsugi sas v1", th)
    n = struct.unpack(">I", sas_key[:4])[0] % 1_000_000
    out.text("sas", f"{n // 1000:03d} {n % 1000:03d}")
    j2i = hkdf(th, couple, PAIR_LABEL, b" j2i")
    i2j = hkdf(th, couple, PAIR_LABEL, b" i2j")
    out.hex("j2i", j2i)
    out.hex("i2j", i2j)
    joiner_relay = "http://10.0.0.9:3340/"
    hello_j = short_bytes(b"Bea") + addrs([(4, bytes([127, 0, 0, 1]), 5001)]) \
        + short_bytes(joiner_relay.encode())
    hello_i = short_bytes("Ari ✿".encode()) + addrs([]) + short_bytes(b"")
    out.text("joiner_name", "Bea")
    out.text("joiner_addr", "127.0.0.1:5001")
    out.text("joiner_relay", joiner_relay)
    out.hex("joiner_hello", hello_j)
    out.hex("joiner_hello_sealed", seal_frame(j2i, DIALER_TO_ACCEPTOR, PAIR_LABEL, 0, hello_j))
    out.text("inviter_name", "Ari ✿")
    out.hex("inviter_hello", hello_i)
    out.hex("inviter_hello_sealed", seal_frame(i2j, ACCEPTOR_TO_DIALER, PAIR_LABEL, 0, hello_i))
    out.hex("joiner_decision_sealed",
            seal_frame(j2i, DIALER_TO_ACCEPTOR, PAIR_LABEL, 1, bytes([1])))
    out.hex("inviter_decision_sealed",
            seal_frame(i2j, ACCEPTOR_TO_DIALER, PAIR_LABEL, 1, bytes([0])))
    out.write()

    # A sync session between the two, under the couple key from the pairing.
    out = Out("sync.txt", "The start of a sync session (PROTOCOL.md, \"Sync\")")
    out.comment("The couple key is pairing.txt's; the joiner dials the inviter.")
    out.comment("The dialer holds the keys of generations 1 and 0, the acceptor only 0's,")
    out.comment("so the session runs under generation 0, pairing.txt's key.")
    out.hex("couple_key", couple)
    couple_1 = bytes([0x71]) * 32
    out.hex("couple_key_1", couple_1)
    out.hex("key_id_0", key_id(couple))
    out.hex("key_id_1", key_id(couple_1))
    dialer, acceptor = joiner, inviter
    out.hex("dialer", dialer)
    out.hex("acceptor", acceptor)
    nd = bytes([0xd1]) * 32
    na = bytes([0xa2]) * 32
    out.hex("dialer_nonce", nd)
    out.hex("acceptor_nonce", na)
    epoch = hkdf(None, couple, b"kintsugi epoch id v1")[:16]
    out.hex("epoch", epoch)
    out.hex("dialer_greeting_frame", frame(greeting(nd, epoch, [(1, couple_1), (0, couple)])))
    out.hex("acceptor_greeting_frame", frame(greeting(na, epoch, [(0, couple)])))
    d2a = hkdf(nd + na, couple, SYNC_LABEL, b" d2a", dialer, acceptor)
    a2d = hkdf(nd + na, couple, SYNC_LABEL, b" a2d", dialer, acceptor)
    out.hex("d2a", d2a)
    out.hex("a2d", a2d)
    out.text("dialer_addr", "10.0.0.2:7000")
    dialer_relay = "https://relay.example.org./"
    out.text("dialer_relay", dialer_relay)
    dialer_hello = bytes([1]) + addrs([(4, bytes([10, 0, 0, 2]), 7000)]) \
        + short_bytes(dialer_relay.encode())
    out.hex("dialer_hello", dialer_hello)
    out.hex("dialer_hello_frame",
            frame(seal_frame(d2a, DIALER_TO_ACCEPTOR, SYNC_LABEL, 0, dialer_hello)))
    acceptor_hello = bytes([1]) + addrs([]) + short_bytes(b"")
    out.hex("acceptor_hello", acceptor_hello)
    out.hex("acceptor_hello_frame",
            frame(seal_frame(a2d, ACCEPTOR_TO_DIALER, SYNC_LABEL, 0, acceptor_hello)))
    payload = b"an Automerge sync message, opaque to the protocol"
    out.text("payload", payload.decode())
    sync = bytes([2]) + u32(len(payload)) + payload
    out.hex("dialer_sync", sync)
    out.hex("dialer_sync_frame", frame(seal_frame(d2a, DIALER_TO_ACCEPTOR, SYNC_LABEL, 1, sync)))
    out.hex("dialer_unpaired_frame",
            frame(seal_frame(d2a, DIALER_TO_ACCEPTOR, SYNC_LABEL, 2, bytes([3]))))
    removed = [bytes([0xee]) * 32]
    dialer_rekey = rekey(1, couple_1, removed)
    out.hex("dialer_rekey", dialer_rekey)
    out.hex("dialer_rekey_frame",
            frame(seal_frame(d2a, DIALER_TO_ACCEPTOR, SYNC_LABEL, 3, dialer_rekey)))
    out.comment("A Rekey on kintsugi/self/1: a self key, with the person's next signing key.")
    out.hex("self_rekey", rekey(2, bytes([0x52]) * 32, removed, (1, bytes([0x5e]) * 32)))
    out.write()

    # A release of history between the two (PROTOCOL.md, "Release of history").
    out = Out("release.txt", "A release of the shared journal's history (PROTOCOL.md)")
    out.comment("The couple key is pairing.txt's; the dialer is the leader here.")
    out.hex("couple_key", couple)
    request = bytes(range(0x10, 0x20))
    out.hex("request", request)
    out.hex("ask", bytes([4, 1]) + request)
    out.hex("accept", bytes([4, 2]) + request + bytes([1]))
    out.hex("decline", bytes([4, 2]) + request + bytes([0]))
    leader_random = bytes([0x1e]) * 32
    follower_random = bytes([0xf0]) * 32
    heads = [bytes([0xbb]) * 32, bytes([0xaa]) * 32]
    out.hex("leader_random", leader_random)
    out.hex("follower_random", follower_random)
    out.hex("head_0", heads[0])
    out.hex("head_1", heads[1])
    contribute = bytes([4, 3]) + request + leader_random + u16(len(heads)) + b"".join(heads)
    out.hex("leader_contribute", contribute)
    out.hex("leader_contribute_frame",
            frame(seal_frame(d2a, DIALER_TO_ACCEPTOR, SYNC_LABEL, 1, contribute)))
    out.hex("retry", bytes([4, 4]) + request)
    out.hex("committed", bytes([4, 5]) + request)
    digest = sha256(b"".join(sorted(heads)))
    new_key = hkdf(leader_random + follower_random, couple,
                   b"kintsugi couple key release v1", request, digest)
    out.hex("new_couple_key", new_key)
    out.hex("new_epoch", hkdf(None, new_key, b"kintsugi epoch id v1")[:16])
    out.write()

    # An offline bundle from the joiner, under the couple key of generation 1.
    out = Out("bundle.txt", "An offline bundle (PROTOCOL.md, \"Offline bundles\")")
    out.comment("The couple key is pairing.txt's, and names the epoch; the joiner sends the")
    out.comment("bundle under the key of generation 1 that replaced it.")
    out.hex("couple_key", couple)
    out.hex("couple_key_1", couple_1)
    out.num("generation", 1)
    out.hex("sender", joiner)
    key = hkdf(None, couple_1, b"kintsugi bundle v1")
    out.hex("key", key)
    nonce = bytes(range(0x80, 0x98))
    out.hex("nonce", nonce)
    changes = b"Automerge changes, opaque to the bundle"
    out.text("changes", changes.decode())
    epoch = hkdf(None, couple, b"kintsugi epoch id v1")[:16]
    out.hex("epoch", epoch)
    header = b"KTSGBNDL" + bytes([BUNDLE_VERSION]) + joiner + epoch + u32(1)
    assert len(header) == 61
    sealed = xchacha20poly1305_seal(key, nonce, header, changes)
    out.hex("bundle", header + nonce + sealed)
    out.write()

    # Linking one's own second device: pairing's handshake under the link label.
    out = Out("link.txt", "Linking a device of one's own (PROTOCOL.md, \"Linking\")")
    out.comment("The keys, secret, expiry and addresses are invite.txt's and pairing.txt's;")
    out.comment("only the purpose differs, and with it every value below.")
    link_commitment = sha256(LINK_LABEL + b" commitment", i_pub)
    out.hex("commitment", link_commitment)
    link_invite = invite_bytes(inviter, EXPIRES, INVITE_SECRET, link_commitment, ADDRS, b"")
    out.hex("bytes", link_invite)
    out.text("text", "KINTSUGI-LINK:" + base64.b32encode(link_invite).decode().rstrip("="))
    th0 = sha256(LINK_LABEL, link_invite, inviter, joiner)
    out.hex("th0", th0)
    jmac = hmac_sha256(INVITE_SECRET, b"joiner", th0, j_pub)
    out.hex("join_request", bytes([PAIR_VERSION]) + j_pub + jmac)
    imac = hmac_sha256(INVITE_SECRET, b"inviter", th0, j_pub, i_pub)
    out.hex("reply", bytes([0]) + i_pub + imac)
    th = sha256(th0, j_pub, i_pub)
    out.hex("transcript_hash", th)
    link_key = hkdf(INVITE_SECRET, shared, b"kintsugi couple key v1", th)
    out.hex("couple_key", link_key)
    sas_key = hkdf(INVITE_SECRET, shared, b"kintsugi sas v1", th)
    n = struct.unpack(">I", sas_key[:4])[0] % 1_000_000
    out.text("sas", f"{n // 1000:03d} {n % 1000:03d}")
    j2i = hkdf(th, link_key, LINK_LABEL, b" j2i")
    i2j = hkdf(th, link_key, LINK_LABEL, b" i2j")
    out.hex("j2i", j2i)
    out.hex("i2j", i2j)
    hello_j = short_bytes(b"laptop") + addrs([]) + short_bytes(b"")
    hello_i = short_bytes(b"phone") + addrs([]) + short_bytes(b"")
    out.text("joiner_name", "laptop")
    out.text("inviter_name", "phone")
    out.hex("joiner_hello_sealed", seal_frame(j2i, DIALER_TO_ACCEPTOR, LINK_LABEL, 0, hello_j))
    out.hex("inviter_hello_sealed", seal_frame(i2j, ACCEPTOR_TO_DIALER, LINK_LABEL, 0, hello_i))
    out.hex("joiner_decision_sealed",
            seal_frame(j2i, DIALER_TO_ACCEPTOR, LINK_LABEL, 1, bytes([1])))
    out.hex("inviter_decision_sealed",
            seal_frame(i2j, ACCEPTOR_TO_DIALER, LINK_LABEL, 1, bytes([1])))
    payload = b"the first device's secrets, opaque to the protocol"
    out.text("payload", payload.decode())
    transfer = bytes([0x10]) + u32(len(payload)) + payload
    out.hex("transfer", transfer)
    out.hex("transfer_frame",
            frame(seal_frame(i2j, ACCEPTOR_TO_DIALER, LINK_LABEL, 2, transfer)))
    out.hex("link_done_frame",
            frame(seal_frame(j2i, DIALER_TO_ACCEPTOR, LINK_LABEL, 2, bytes([0x11]))))
    out.write()


if __name__ == "__main__":
    main()
