//! `kintsugi device list`: after a real pairing over loopback, each device publishes
//! its person's key tied to its own endpoint id, and once synced both devices list
//! both first devices as signed.

use crate::common::*;

fn devices(p: &Profile) -> Vec<serde_json::Value> {
    let listed = p.json(&["device", "list"]);
    assert_eq!(listed["refused"], serde_json::json!([]), "{listed}");
    listed["devices"].as_array().unwrap().clone()
}

#[test]
fn paired_devices_list_each_other_signed_once_synced() {
    let (a, b) = paired_profiles();
    // `status` names the partner's device by the start of its endpoint id.
    let short = |p: &Profile| {
        p.json(&["status"])["partner_endpoint"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (ari, bea) = (short(&b), short(&a));
    let is =
        |d: &serde_json::Value, start: &str| d["endpoint"].as_str().unwrap().starts_with(start);

    // Before a sync: Ari's own record is signed; Bea's first device is the one
    // checked at pairing, and says so.
    let before = devices(&a);
    assert_eq!(before.len(), 2, "{before:?}");
    assert!(is(&before[0], &ari), "{before:?}");
    assert_eq!(before[0]["this_device"], true);
    assert_eq!(before[0]["signed"], true);
    assert!(is(&before[1], &bea), "{before:?}");
    assert_eq!(before[1]["signed"], false);
    let text = a.ok(&["device", "list"]);
    assert!(text.contains("signed record has not arrived yet"), "{text}");

    exchange(&a, &b);
    for (p, mine, theirs, partner) in [(&a, &ari, &bea, "Bea"), (&b, &bea, &ari, "Ari")] {
        let listed = devices(p);
        assert_eq!(listed.len(), 2, "{listed:?}");
        assert!(is(&listed[0], mine) && is(&listed[1], theirs), "{listed:?}");
        for d in &listed {
            assert_eq!(d["signed"], true, "{d}");
            assert_eq!(d["revoked"], false, "{d}");
            assert_eq!(d["label"], "first device", "{d}");
        }
        let text = p.ok(&["device", "list"]);
        assert!(text.contains("first device (this device)"), "{text}");
        assert!(
            text.contains(&format!("first device ({partner}'s), last synced")),
            "{text}"
        );
    }
}
