//! Bundle import: damaged, cut and foreign bundles.

use super::*;

/// Two profiles that hold each other as partner, stored the way pairing stores it.
fn paired_devices(tmp: &Path) -> (Device, Device, PathBuf, PathBuf) {
    let (da, db) = (tmp.join("a"), tmp.join("b"));
    drop(new_device(&da, "Ari"));
    drop(new_device(&db, "Bea"));
    pair_keyrings(&da, &db, [3; 32]);
    let a = Device::unlock(&da, PASS.as_bytes(), opts()).unwrap();
    let b = Device::unlock(&db, PASS.as_bytes(), opts()).unwrap();
    (a, b, da, db)
}

#[test]
fn bundle_import_refuses_every_damaged_or_foreign_bundle_and_changes_nothing() {
    let mut rng = Rng::seeded("bundles");
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, _, db) = paired_devices(tmp.path());
    a.propose_boundary("carried on a stick", None).unwrap();
    a.set_reveal_checkins_together(false).unwrap();
    a.save_checkin(&kintsugi_device::CheckInInput {
        week: "2026-W01".into(),
        mood: 3,
        trust: 3,
        closeness: 3,
        went_well: Some("a walk".into()),
        hard: None,
        need: None,
        appreciate: None,
    })
    .unwrap();
    let bundle = a.export_bundle().unwrap();
    let files = snapshot_files(&db);
    let view = shared_view(&b);
    let mut refused = 0;
    let mut try_import = |bad: &[u8], what: &str| {
        let err = b.import_bundle(bad).expect_err(what).to_string();
        assert!(
            !err.contains('\n') && err.contains("bundle"),
            "{what}: {err}"
        );
        assert!(snapshot_files(&db) == files, "{what}: a file changed");
        assert_eq!(shared_view(&b), view, "{what}: the journal changed");
        refused += 1;
    };
    for pos in 0..bundle.len() {
        let mut bad = bundle.clone();
        bad[pos] ^= rng.nonzero_byte();
        try_import(&bad, &format!("byte {pos} flipped"));
    }
    for len in 0..bundle.len() {
        try_import(&bundle[..len], &format!("cut to {len}"));
    }
    for case in 0..cases() {
        let mut longer = bundle.clone();
        longer.extend(rng.some_bytes(1, 64));
        try_import(&longer, &format!("case {case}: extended"));
        let mutated = mutate(&mut rng, &bundle);
        if mutated != bundle {
            try_import(&mutated, &format!("case {case}: mutated"));
        }
        try_import(&rng.some_bytes(0, 600), &format!("case {case}: junk"));
        let mut forged = bundle[..41].to_vec();
        forged.extend(rng.some_bytes(0, 600));
        try_import(&forged, &format!("case {case}: forged body"));
    }
    // Its own bundle, sent back: refused.
    assert!(a.import_bundle(&bundle).is_err());
    // The genuine bundle still imports, once.
    assert!(b.import_bundle(&bundle).unwrap());
    assert!(!b.import_bundle(&bundle).unwrap());
    let fresh = Device::unlock(&db, PASS.as_bytes(), opts()).unwrap();
    assert_eq!(shared_view(&fresh), shared_view(&b));
    assert!(
        b.boundaries()
            .unwrap()
            .iter()
            .any(|x| x.text == "carried on a stick")
    );
    eprintln!("bundles: {refused} damaged, forged or junk bundles refused, nothing changed");
}
