//! The published test vectors (`testdata/store/vectors.json` and the files it names):
//! each file is rebuilt from its inputs and must match byte for byte, its documented
//! intermediate values must match, and opening the files through the public API must
//! give back the inputs. A change to any format fails here first.
//!
//! `KINTSUGI_WRITE_VECTORS=1` writes the files and the expected values from the
//! inputs instead: only after a deliberate format change, and the diff reviewed.

use std::path::{Path, PathBuf};

use kintsugi_crypto::{derive_passphrase_key, sha256};
use kintsugi_store::vectors::{self, KeyringMark, LogMark, Manifest};
use kintsugi_store::{
    DocLog, KdfParams, Keyring, LogKind, Pairing, Person, Secret32, Unlocked, read_sealed,
};
use serde_json::{Value, json};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/store")
}

fn writing() -> bool {
    std::env::var_os("KINTSUGI_WRITE_VECTORS").is_some_and(|v| v == "1")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(v: &Value) -> Vec<u8> {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("not a hex string: {v}"));
    assert!(s.len().is_multiple_of(2), "odd hex: {s}");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn arr<const N: usize>(v: &Value) -> [u8; N] {
    unhex(v)
        .try_into()
        .unwrap_or_else(|_| panic!("not {N} bytes: {v}"))
}

fn text(v: &Value) -> &[u8] {
    v.as_str().unwrap().as_bytes()
}

fn int(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// Compares (or, when writing, stores) a built file and the section's expected values.
struct Check {
    failures: Vec<String>,
}

impl Check {
    fn file(&mut self, section: &Value, built: &[u8]) {
        let path = root().join(section["file"].as_str().unwrap());
        if writing() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, built).unwrap();
            return;
        }
        match std::fs::read(&path) {
            Ok(on_disk) if on_disk == built => {}
            Ok(on_disk) => self.failures.push(format!(
                "{}: the code builds {} bytes that differ from the {} in the file",
                path.display(),
                built.len(),
                on_disk.len()
            )),
            Err(e) => self.failures.push(format!("{}: {e}", path.display())),
        }
    }

    fn expected(&mut self, section: &mut Value, expected: Value) {
        if writing() {
            section["expected"] = expected;
        } else if section["expected"] != expected {
            self.failures.push(format!(
                "{}: expected values differ\n  file: {}\n  code: {}",
                section["file"], section["expected"], expected
            ));
        }
    }
}

fn kdf(v: &Value) -> KdfParams {
    KdfParams {
        m_cost: int(&v["m_cost"]) as u32,
        t_cost: int(&v["t_cost"]) as u32,
        p_cost: int(&v["p_cost"]) as u32,
    }
}

fn keyring_of(c: &Value) -> Keyring {
    Keyring {
        device_secret: Secret32::from_bytes(arr(&c["device_secret_hex"])),
        profile_key: Secret32::from_bytes(arr(&c["profile_key_hex"])),
        partner_id: arr(&c["partner_id_hex"]),
        pairing: (!c["pairing"].is_null()).then(|| {
            let p = &c["pairing"];
            // A pairing made at pairing (or by a release of history) has no stored
            // epoch nor earlier keys: the fields are absent from such a vector.
            Pairing {
                generation: p.get("generation").map_or(0, |g| int(g) as u32),
                epoch: p.get("epoch_hex").map(arr),
                previous: p.get("previous").map_or_else(Vec::new, previous_keys),
                ..Pairing::new(
                    Secret32::from_bytes(arr(&p["couple_key_hex"])),
                    arr(&p["partner_endpoint_hex"]),
                )
            }
        }),
        log_keys: kintsugi_store::LogKeys {
            shared: c
                .get("shared_log_key_hex")
                .map(|k| Secret32::from_bytes(arr(k))),
            diary: c
                .get("diary_log_key_hex")
                .map(|k| Secret32::from_bytes(arr(k))),
        },
        person: c.get("person").map(|p| Person {
            seed: Secret32::from_bytes(arr(&p["seed_hex"])),
            generation: int(&p["generation"]) as u32,
            anchor: arr(&p["anchor_hex"]),
            self_key: Secret32::from_bytes(arr(&p["self_key_hex"])),
            self_generation: int(&p["self_generation"]) as u32,
            previous_self: p.get("previous_self").map_or_else(Vec::new, previous_keys),
        }),
    }
}

/// Earlier keys, newest first: `[{"generation": …, "key_hex": …}, …]`.
fn previous_keys(v: &Value) -> Vec<(u32, Secret32)> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|k| {
            (
                int(&k["generation"]) as u32,
                Secret32::from_bytes(arr(&k["key_hex"])),
            )
        })
        .collect()
}

/// `count u8 | count × (generation u32 BE | key 32)`, written out apart from the code's
/// `encode_previous`.
fn previous_layout(previous: &[(u32, Secret32)], out: &mut Vec<u8>) {
    assert!(previous.len() <= 8, "at most 8 earlier keys");
    out.push(previous.len() as u8);
    for (generation, key) in previous {
        out.extend(generation.to_be_bytes());
        out.extend(key.expose());
    }
}

/// Builds a keyring vector; returns the file.
fn keyring(check: &mut Check, v: &mut Value) -> Vec<u8> {
    let pass = text(&v["passphrase_utf8"]).to_vec();
    let params = kdf(&v["kdf"]);
    let salt: [u8; 16] = arr(&v["salt_hex"]);
    let version = int(&v["version"]) as u16;
    let generation = int(&v["generation"]);
    let keyring = keyring_of(&v["contents"]);
    let file = vectors::keyring_file(
        &keyring,
        &pass,
        params,
        &salt,
        version,
        generation,
        &arr(&v["nonce_hex"]),
    )
    .unwrap();
    let pass_key = derive_passphrase_key(&pass, &salt, params).unwrap();
    let header_len = if version == 1 { 38 } else { 46 };
    // The plaintext layout of FORMAT.md, written out independently of the code.
    let log_keys = [&keyring.log_keys.shared, &keyring.log_keys.diary];
    let couple_generations = keyring.pairing.as_ref().filter(|p| p.epoch.is_some());
    let previous_self = keyring
        .person
        .as_ref()
        .filter(|p| !p.previous_self.is_empty());
    let plain_version = if keyring.person.is_some() || couple_generations.is_some() {
        3u8
    } else if log_keys.iter().any(|k| k.is_some()) {
        2
    } else {
        1
    };
    let mut plain = vec![plain_version];
    plain.extend(keyring.device_secret.expose());
    plain.extend(keyring.profile_key.expose());
    plain.extend(keyring.partner_id);
    match &keyring.pairing {
        Some(p) => {
            plain.push(1);
            plain.extend(p.couple_key.expose());
            plain.extend(p.partner_endpoint);
        }
        None => plain.extend([0u8; 65]),
    }
    if plain_version >= 2 {
        for k in log_keys {
            plain.extend(k.as_ref().map_or([0u8; 32], |k| *k.expose()));
        }
    }
    if plain_version == 3 {
        // The records' total length, then the records in tag order, each
        // `tag | length u16 BE | value`.
        let mut records: Vec<(u8, Vec<u8>)> = Vec::new();
        if let Some(p) = &keyring.person {
            // Tag 1, 104 bytes: the person.
            let mut value = Vec::new();
            value.extend(p.seed.expose());
            value.extend(p.generation.to_be_bytes());
            value.extend(p.anchor);
            value.extend(p.self_key.expose());
            value.extend(p.self_generation.to_be_bytes());
            assert_eq!(value.len(), 104);
            records.push((1, value));
        }
        if let Some(p) = couple_generations {
            // Tag 2, 21 + 36 × count bytes: the couple key's generation, the epoch,
            // the previous couple keys.
            let mut value = Vec::new();
            value.extend(p.generation.to_be_bytes());
            value.extend(p.epoch.unwrap());
            previous_layout(&p.previous, &mut value);
            assert_eq!(value.len(), 21 + 36 * p.previous.len());
            records.push((2, value));
        }
        if let Some(p) = previous_self {
            // Tag 3, 1 + 36 × count bytes: the previous self keys.
            let mut value = Vec::new();
            previous_layout(&p.previous_self, &mut value);
            assert_eq!(value.len(), 1 + 36 * p.previous_self.len());
            records.push((3, value));
        }
        let total: usize = records.iter().map(|(_, v)| 3 + v.len()).sum();
        plain.extend((total as u16).to_be_bytes());
        for (tag, value) in records {
            plain.push(tag);
            plain.extend((value.len() as u16).to_be_bytes());
            plain.extend(value);
        }
    }
    let sealed = &file[header_len..file.len() - 32];
    assert_eq!(sealed.len(), 24 + plain.len() + 16);
    // What the code sealed is that layout, byte for byte.
    let opened = kintsugi_crypto::open(&pass_key, &file[..header_len], sealed).unwrap();
    assert!(
        opened[..] == plain[..],
        "{}: the code seals another plaintext than FORMAT.md's layout\n  code:   {}\n  layout: {}",
        v["file"],
        hex(&opened),
        hex(&plain)
    );
    check.expected(
        v,
        json!({
            "passphrase_key_hex": hex(pass_key.expose()),
            "header_hex": hex(&file[..header_len]),
            "plaintext_hex": hex(&plain),
            "tag_hex": hex(&sealed[sealed.len() - 16..]),
            "sha256_hex": hex(&file[file.len() - 32..]),
            "file_len": file.len(),
        }),
    );
    assert_eq!(
        &sha256(&[&file[..file.len() - 32]])[..],
        &file[file.len() - 32..]
    );
    check.file(v, &file);
    file
}

/// Builds a log vector; returns the file and its manifest line.
fn log(check: &mut Check, v: &mut Value) -> (LogKind, Vec<u8>, LogMark) {
    let kind = match int(&v["kind"]) {
        1 => LogKind::Shared,
        2 => LogKind::Diary,
        k => panic!("unknown kind {k}"),
    };
    let key = Secret32::from_bytes(arr(&v["key_hex"]));
    let file_id: [u8; 16] = arr(&v["file_id_hex"]);
    let generation = int(&v["generation"]) as u32;
    let records: Vec<(Vec<u8>, [u8; 24])> = v["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (text(&r["plaintext_utf8"]).to_vec(), arr(&r["nonce_hex"])))
        .collect();
    let refs: Vec<(&[u8], [u8; 24])> = records.iter().map(|(p, n)| (&p[..], *n)).collect();
    let file = vectors::log_file(kind, &key, &file_id, generation, &refs).unwrap();
    let mut expected_records = Vec::new();
    let mut pos = 32;
    let mut last_tag = [0u8; 16];
    for (index, (plain, _)) in records.iter().enumerate() {
        let n = u32::from_le_bytes(file[pos..pos + 4].try_into().unwrap()) as usize;
        assert_eq!(n, 24 + plain.len() + 16);
        let mut aad = file[..32].to_vec();
        aad.extend((index as u64).to_le_bytes());
        last_tag.copy_from_slice(&file[pos + 8 + n - 16..pos + 8 + n]);
        expected_records.push(json!({
            "offset": pos,
            "length_field_hex": hex(&file[pos..pos + 8]),
            "aad_hex": hex(&aad),
            "tag_hex": hex(&last_tag),
        }));
        pos += 8 + n;
    }
    assert_eq!(pos, file.len());
    check.expected(
        v,
        json!({
            "header_hex": hex(&file[..32]),
            "records": expected_records,
            "file_len": file.len(),
        }),
    );
    check.file(v, &file);
    let mark = LogMark {
        file_id,
        generation,
        records: records.len() as u64,
        last_tag,
    };
    (kind, file, mark)
}

fn sealed(check: &mut Check, v: &mut Value) -> Vec<u8> {
    let key = Secret32::from_bytes(arr(&v["key_hex"]));
    let label = v["label"].as_str().unwrap().to_string();
    let plain = text(&v["plaintext_utf8"]).to_vec();
    let file = vectors::sealed_file(&key, &label, &plain, &arr(&v["nonce_hex"])).unwrap();
    let mut aad = b"KTSGSEAL".to_vec();
    aad.extend(label.as_bytes());
    check.expected(
        v,
        json!({
            "aad_hex": hex(&aad),
            "tag_hex": hex(&file[file.len() - 16..]),
            "file_len": file.len(),
        }),
    );
    check.file(v, &file);
    file
}

fn manifest_contents(m: &Manifest) -> Value {
    json!({
        "about": "Filled from the keyring and logs above: the keyring's generation and trailing SHA-256, each log's file id, generation, record count and last record's tag.",
        "keyring_generation": m.keyring.generation,
        "keyring_sum_hex": hex(&m.keyring.sum),
        "logs": m.logs.iter().map(|(kind, l)| json!({
            "kind": *kind as u8,
            "file_id_hex": hex(&l.file_id),
            "generation": l.generation,
            "records": l.records,
            "last_tag_hex": hex(&l.last_tag),
        })).collect::<Vec<_>>(),
    })
}

#[test]
fn every_vector_is_what_the_code_writes_and_opens_to_its_inputs() {
    let json_path = root().join("vectors.json");
    let mut all: Value = serde_json::from_slice(&std::fs::read(&json_path).unwrap()).unwrap();
    let mut check = Check {
        failures: Vec::new(),
    };

    let keyring_file = keyring(&mut check, &mut all["keyring"]);
    keyring(&mut check, &mut all["keyring_v1"]);
    keyring(&mut check, &mut all["keyring_v3"]);
    keyring(&mut check, &mut all["keyring_v3_rotated"]);
    let mut lines = Vec::new();
    for v in all["logs"].as_array_mut().unwrap() {
        let (kind, _, mark) = log(&mut check, v);
        lines.push((kind, mark));
    }
    for v in all["sealed_files"].as_array_mut().unwrap() {
        sealed(&mut check, v);
    }
    let manifest = Manifest {
        keyring: KeyringMark {
            generation: int(&all["keyring"]["generation"]),
            sum: keyring_file[keyring_file.len() - 32..].try_into().unwrap(),
        },
        logs: lines,
    };
    {
        let v = &mut all["manifest"];
        let key = Secret32::from_bytes(arr(&v["key_hex"]));
        assert_eq!(v["label"], vectors::MANIFEST_LABEL);
        let contents = manifest_contents(&manifest);
        if writing() {
            v["contents"] = contents;
        } else if v["contents"] != contents {
            check.failures.push(format!(
                "manifest contents differ\n  file: {}\n  code: {contents}",
                v["contents"]
            ));
        }
        let file = vectors::manifest_file(&key, &manifest, &arr(&v["nonce_hex"])).unwrap();
        check.expected(
            v,
            json!({
                "plaintext_hex": hex(&manifest.encode()),
                "tag_hex": hex(&file[file.len() - 16..]),
                "file_len": file.len(),
            }),
        );
        check.file(v, &file);
    }

    if writing() {
        let text = serde_json::to_string_pretty(&all).unwrap() + "\n";
        std::fs::write(&json_path, text).unwrap();
        eprintln!("wrote the vectors to {}", root().display());
        return;
    }
    assert!(check.failures.is_empty(), "{}", check.failures.join("\n"));

    // The files open to their inputs through the API every profile is opened with.
    // A copy, so that nothing the open might write can touch the vectors.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("profile");
    std::fs::create_dir(&dir).unwrap();
    for e in std::fs::read_dir(root().join("profile")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.join(e.file_name())).unwrap();
    }
    let files = |dir: &Path| {
        let mut all: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (e.file_name(), std::fs::read(e.path()).unwrap())
            })
            .collect();
        all.sort();
        all
    };
    let before = files(&dir);
    let k = &all["keyring"];
    let keys = Unlocked::unlock(&dir, text(&k["passphrase_utf8"])).unwrap();
    assert_eq!(keys.keyring, keyring_of(&k["contents"]));
    assert_eq!(keys.generation(), int(&k["generation"]));
    assert_eq!(keys.params(), kdf(&k["kdf"]));
    let key = keys.keyring.profile_key.clone();
    for v in all["logs"].as_array().unwrap() {
        let path = dir.join(Path::new(v["file"].as_str().unwrap()).file_name().unwrap());
        let kind = if int(&v["kind"]) == 1 {
            LogKind::Shared
        } else {
            LogKind::Diary
        };
        let opened = DocLog::open(&path, kind, &key).unwrap();
        assert_eq!(opened.torn, None);
        assert_eq!(opened.log.generation() as u64, int(&v["generation"]));
        let got: Vec<&[u8]> = opened.records.iter().map(|r| &r[..]).collect();
        let want: Vec<&[u8]> = v["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| text(&r["plaintext_utf8"]))
            .collect();
        assert_eq!(got, want);
    }
    for v in all["sealed_files"].as_array().unwrap() {
        let path = dir.join(Path::new(v["file"].as_str().unwrap()).file_name().unwrap());
        let plain = read_sealed(&path, &key, v["label"].as_str().unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(&plain[..], text(&v["plaintext_utf8"]));
    }
    assert_eq!(vectors::read_manifest(&dir, &key).unwrap(), Some(manifest));
    assert!(
        files(&dir) == before,
        "opening the vector profile wrote to it"
    );

    // The version 1 keyring opens too, alone in a folder, as generation 0 (and the
    // unlock then moves it to version 2 and gives the folder a manifest).
    let v1 = &all["keyring_v1"];
    let old = tmp.path().join("old");
    std::fs::create_dir(&old).unwrap();
    std::fs::copy(
        root().join(v1["file"].as_str().unwrap()),
        old.join(kintsugi_store::KEYRING_FILE),
    )
    .unwrap();
    let keys = Unlocked::unlock(&old, text(&v1["passphrase_utf8"])).unwrap();
    assert_eq!(keys.keyring, keyring_of(&v1["contents"]));
    assert_eq!(keys.generation(), 1);

    // The version 3 keyrings open to their contents (the person, the couple key's
    // generations, the earlier self keys), each alone in a folder with a manifest that
    // records it. The manifest is made here, under a nonce of its own: not a vector.
    for (i, name) in ["keyring_v3", "keyring_v3_rotated"].into_iter().enumerate() {
        let v = &all[name];
        let file = std::fs::read(root().join(v["file"].as_str().unwrap())).unwrap();
        let contents = keyring_of(&v["contents"]);
        let folder = tmp.path().join(name);
        std::fs::create_dir(&folder).unwrap();
        std::fs::write(folder.join(kintsugi_store::KEYRING_FILE), &file).unwrap();
        let manifest = Manifest {
            keyring: KeyringMark {
                generation: int(&v["generation"]),
                sum: file[file.len() - 32..].try_into().unwrap(),
            },
            logs: Vec::new(),
        };
        let mut nonce = [0x5a; 24];
        nonce[0] = i as u8;
        let sealed = vectors::manifest_file(&contents.profile_key, &manifest, &nonce).unwrap();
        std::fs::write(folder.join(kintsugi_store::MANIFEST_FILE), sealed).unwrap();
        let keys = Unlocked::unlock(&folder, text(&v["passphrase_utf8"])).unwrap();
        assert_eq!(keys.keyring, contents, "{name}");
        assert_eq!(keys.generation(), int(&v["generation"]), "{name}");
    }
}

/// The vectors exercise what they claim to: a changed byte of any input changes the
/// file (so the comparison above can fail), and the wrong passphrase does not open.
#[test]
fn the_vectors_can_fail() {
    // While the other test rewrites the files, they may be read half written.
    if writing() {
        return;
    }
    let all: Value =
        serde_json::from_slice(&std::fs::read(root().join("vectors.json")).unwrap()).unwrap();
    let k = &all["keyring"];
    let on_disk = std::fs::read(root().join(k["file"].as_str().unwrap())).unwrap();
    let mut other_nonce: [u8; 24] = arr(&k["nonce_hex"]);
    other_nonce[0] ^= 1;
    let built = vectors::keyring_file(
        &keyring_of(&k["contents"]),
        text(&k["passphrase_utf8"]),
        kdf(&k["kdf"]),
        &arr(&k["salt_hex"]),
        2,
        int(&k["generation"]),
        &other_nonce,
    )
    .unwrap();
    assert_ne!(built, on_disk);
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("keyring"), &on_disk).unwrap();
    assert!(matches!(
        Unlocked::unlock(tmp.path(), b"not the passphrase"),
        Err(kintsugi_store::StoreError::WrongPassphrase)
    ));
}
