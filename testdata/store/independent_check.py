# An independent check of these vectors against crates/store/FORMAT.md, in Python with
# the `cryptography` package (44 or later) and a hand-written HChaCha20: no Kintsugi code.
# Run from this folder: python3 independent_check.py
import json, hashlib, struct
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

def rotl(v, c): return ((v << c) & 0xffffffff) | (v >> (32 - c))
def qr(s, a, b, c, d):
    s[a]=(s[a]+s[b])&0xffffffff; s[d]^=s[a]; s[d]=rotl(s[d],16)
    s[c]=(s[c]+s[d])&0xffffffff; s[b]^=s[c]; s[b]=rotl(s[b],12)
    s[a]=(s[a]+s[b])&0xffffffff; s[d]^=s[a]; s[d]=rotl(s[d],8)
    s[c]=(s[c]+s[d])&0xffffffff; s[b]^=s[c]; s[b]=rotl(s[b],7)
def hchacha20(key, n16):
    s = [0x61707865,0x3320646e,0x79622d32,0x6b206574] + list(struct.unpack('<8I', key)) + list(struct.unpack('<4I', n16))
    for _ in range(10):
        qr(s,0,4,8,12); qr(s,1,5,9,13); qr(s,2,6,10,14); qr(s,3,7,11,15)
        qr(s,0,5,10,15); qr(s,1,6,11,12); qr(s,2,7,8,13); qr(s,3,4,9,14)
    return struct.pack('<8I', *(s[0:4] + s[12:16]))
def xopen(key, sealed, aad):
    nonce, ct = sealed[:24], sealed[24:]
    sub = hchacha20(key, nonce[:16])
    return ChaCha20Poly1305(sub).decrypt(b'\0\0\0\0' + nonce[16:], ct, aad)

def u32be(b): return struct.unpack('>I', b)[0]
def previous_keys(b):
    # Earlier keys: count (1) | count x (generation (u32 BE) | key (32)), newest first.
    n = b[0]; assert n <= 8 and len(b) == 1 + 36 * n, (n, len(b))
    keys = [{'generation': u32be(b[1+36*i:5+36*i]), 'key_hex': b[5+36*i:37+36*i].hex()} for i in range(n)]
    assert all(x['generation'] >= y['generation'] for x, y in zip(keys, keys[1:])), 'not newest first'
    return keys

v = json.load(open('vectors.json'))
h = bytes.fromhex
keyrings = ['keyring', 'keyring_v1', 'keyring_v3', 'keyring_v3_rotated']
assert sorted(keyrings) == sorted(n for n in v if n.startswith('keyring')), 'a keyring vector is not checked'
for name in keyrings:
    k = v[name]; f = open(k['file'], 'rb').read(); records = []
    assert hashlib.sha256(f[:-32]).digest() == f[-32:]
    assert f[:8] == b'KTSGKRNG'
    ver = struct.unpack('<H', f[8:10])[0]; hl = 46 if ver == 2 else 38
    m, t, p = struct.unpack('<3I', f[10:22]); salt = f[22:38]
    gen = struct.unpack('<Q', f[38:46])[0] if ver == 2 else 0
    assert gen == k['generation'] and salt == h(k['salt_hex'])
    pk = Argon2id(salt=salt, length=32, iterations=t, lanes=p, memory_cost=m).derive(k['passphrase_utf8'].encode())
    assert pk == h(k['expected']['passphrase_key_hex']), name
    plain = xopen(pk, f[hl:-32], f[:hl])
    assert plain == h(k['expected']['plaintext_hex'])
    c = k['contents']; pg = c['pairing']
    assert plain[1:33] == h(c['device_secret_hex']) and plain[33:65] == h(c['profile_key_hex'])
    assert plain[65:81] == h(c['partner_id_hex'])
    if pg is None: assert plain[81:146] == bytes(65)
    else: assert plain[81] == 1 and plain[82:114] == h(pg['couple_key_hex']) and plain[114:146] == h(pg['partner_endpoint_hex'])
    if 'person' not in c:
        assert 'epoch_hex' not in (pg or {}), 'a couple key generations record needs version 3'
        assert plain[0] == 1 and len(plain) == 146
    else:
        # Version 3: version 2's 210 bytes, both logs' keys, then tagged records.
        assert plain[0] == 3 and plain[146:178] == h(c['shared_log_key_hex'])
        assert plain[178:210] == h(c['diary_log_key_hex'])
        total = struct.unpack('>H', plain[210:212])[0]; assert total == len(plain) - 212
        # Each record: tag (1) | length (u16 BE) | value.
        records, pos = [], 212
        while pos < len(plain):
            tag, n = plain[pos], struct.unpack('>H', plain[pos+1:pos+3])[0]
            assert pos + 3 + n <= len(plain), (name, tag, n)
            records.append((tag, plain[pos+3:pos+3+n])); pos += 3 + n
        assert pos == len(plain)
        # The records the contents call for, in increasing tag order, each once: the
        # person (1); the couple key's generations (2) once an epoch is stored; the
        # previous self keys (3) when there are any.
        p = c['person']
        want = [1] + ([2] if 'epoch_hex' in (pg or {}) else []) + ([3] if p.get('previous_self') else [])
        assert [tag for tag, _ in records] == want, (name, [tag for tag, _ in records], want)
        for tag, r in records:
            if tag == 1:
                assert len(r) == 104
                assert r[0:32] == h(p['seed_hex']) and u32be(r[32:36]) == p['generation']
                assert r[36:68] == h(p['anchor_hex']) and r[68:100] == h(p['self_key_hex'])
                assert u32be(r[100:104]) == p['self_generation']
            elif tag == 2:
                # Current couple key's generation (u32 BE) | epoch (16) | previous couple keys.
                assert len(r) == 21 + 36 * r[20], (name, len(r))
                assert u32be(r[0:4]) == pg['generation'] and r[4:20] == h(pg['epoch_hex'])
                assert previous_keys(r[20:]) == pg['previous'], name
            elif tag == 3:
                # Previous self keys: 1 to 8 of them.
                assert 1 <= r[0] <= 8 and len(r) == 1 + 36 * r[0], (name, len(r))
                assert previous_keys(r) == p['previous_self'], name
            else:
                raise AssertionError(f'{name}: unknown tag {tag}')
        if 2 not in want:
            assert pg is None or (pg.get('generation', 0) == 0 and not pg.get('previous')), name
    print(name, 'ok, version', ver, 'generation', gen, 'plaintext version', plain[0],
          *(['records', [tag for tag, _ in records]] if plain[0] == 3 else []))
for lg in v['logs']:
    f = open(lg['file'], 'rb').read(); key = h(lg['key_hex'])
    assert f[:8] == b'KTSGLOG\0' and f[10] == lg['kind']
    assert struct.unpack('<I', f[28:32])[0] == lg['generation']
    pos, i = 32, 0
    while pos < len(f):
        n, c = struct.unpack('<II', f[pos:pos+8]); assert c == n ^ 0xffffffff
        plain = xopen(key, f[pos+8:pos+8+n], f[:32] + struct.pack('<Q', i))
        assert plain == lg['records'][i]['plaintext_utf8'].encode()
        pos += 8 + n; i += 1
    assert i == len(lg['records']); print(lg['file'], 'ok,', i, 'records')
for sf in v['sealed_files'] + [v['manifest']]:
    f = open(sf['file'], 'rb').read(); assert f[:8] == b'KTSGSEAL'
    plain = xopen(h(sf['key_hex']), f[8:], b'KTSGSEAL' + sf['label'].encode())
    if 'plaintext_utf8' in sf: assert plain == sf['plaintext_utf8'].encode()
    else: assert plain == h(sf['expected']['plaintext_hex'])
    print(sf['file'], 'ok')
m = h(v['manifest']['expected']['plaintext_hex'])
kr = open('profile/keyring','rb').read()
assert m[0] == 1 and struct.unpack('<Q', m[1:9])[0] == 3 and m[9:41] == kr[-32:] and m[41] == 2
for j, lg in enumerate(v['logs']):
    e = m[42+45*j: 87+45*j]; f = open(lg['file'],'rb').read()
    assert e[0] == lg['kind'] and e[1:17] == f[12:28] and e[17:21] == f[28:32]
    assert struct.unpack('<Q', e[21:29])[0] == len(lg['records']) and e[29:45] == f[-16:]
print('manifest lines match the files')
