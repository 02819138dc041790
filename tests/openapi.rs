//! `catalog import-openapi` on a small OpenAPI document written for the test
//! (`tests/data/openapi/mini.json`): spec spellings mapped, auth schemes read, unknown groups
//! reported, and the imported catalog used by `plan --rules`.

mod common;

use std::path::PathBuf;

fn spec() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/openapi/mini.json")
}

fn import(out: &std::path::Path) -> String {
    let o = common::bin().args(["catalog", "import-openapi"]).arg(spec()).arg("--out").arg(out).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn operations_are_written_by_family_with_api_group_names() {
    let dir = tempfile::tempdir().unwrap();
    let summary = import(dir.path());
    assert!(summary.contains("6 operations in 5 families"), "{summary}");
    assert!(summary.contains("Gizmo Fleet Read"), "unknown groups are reported: {summary}");

    let zones: serde_norway::Value =
        serde_norway::from_str(&std::fs::read_to_string(dir.path().join("zones.yaml")).unwrap()).unwrap();
    let ops = zones["operations"].as_sequence().unwrap();
    let list = ops.iter().find(|o| o["id"] == "zones.list").unwrap();
    assert_eq!(list["groups"], serde_norway::from_str::<serde_norway::Value>("[Zone Read]").unwrap());
    assert_eq!(list["auth"], serde_norway::from_str::<serde_norway::Value>("[token, key]").unwrap());
    let create = ops.iter().find(|o| o["id"] == "zones.create").unwrap();
    assert_eq!(create["groups"], serde_norway::from_str::<serde_norway::Value>("[Zone Write, DNS Write]").unwrap());

    let user: serde_norway::Value =
        serde_norway::from_str(&std::fs::read_to_string(dir.path().join("user.yaml")).unwrap()).unwrap();
    assert_eq!(user["operations"][0]["auth"], serde_norway::from_str::<serde_norway::Value>("[key]").unwrap());
    assert_eq!(user["operations"][0]["scope"], "user");
}

#[test]
fn plan_uses_an_imported_operation() {
    let catalog = tempfile::tempdir().unwrap();
    import(catalog.path());
    // The unknown group would make the whole directory fail to load: drop that family, as a
    // user would after reading the summary (or add the group to a permission-groups file).
    std::fs::remove_file(catalog.path().join("gizmos.yaml")).unwrap();

    let tree = tempfile::tempdir().unwrap();
    std::fs::write(
        tree.path().join("frob.sh"),
        "#!/bin/sh\ncurl -s -X POST \"https://api.cloudflare.com/client/v4/zones/$ZONE/widgets/$W/frobnicate\" \\\n  -H \"X-Auth-Email: $CF_API_EMAIL\" \\\n  -H \"X-Auth-Key: $CF_API_KEY\"\n",
    )
    .unwrap();
    let plan = |extra: &[&std::path::Path]| {
        let mut cmd = common::bin();
        cmd.args(["plan", "--format", "json"]);
        for d in extra {
            cmd.arg("--rules").arg(d);
        }
        let o = cmd.arg(tree.path()).output().unwrap();
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    let before = plan(&[]);
    assert_eq!(before["credentials"][0]["permissions"].as_array().unwrap().len(), 0);
    assert_eq!(before["credentials"][0]["unresolved"][0]["call"], "/zones/{}/widgets/{}/frobnicate");

    let after = plan(&[catalog.path()]);
    assert_eq!(after["credentials"][0]["permissions"][0]["name"], "Zone Settings Write");
    assert!(after["credentials"][0]["unresolved"].as_array().unwrap().is_empty());
}

#[test]
fn a_document_that_is_not_json_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("openapi.json");
    std::fs::write(&bad, "openapi: 3.0.0\npaths: {}\n").unwrap();
    common::bin()
        .args(["catalog", "import-openapi"])
        .arg(&bad)
        .arg("--out")
        .arg(dir.path().join("out"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("not valid JSON"));
}
