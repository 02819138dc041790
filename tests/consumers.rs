//! Issue 12: the project model. A credential is (secret, consumer); a project gets the same
//! per-consumer plan alone or inside a bigger tree; no fixture plan under-grants silently;
//! `plan`, `fix` and `report` honour `.scopesmith.yaml` and `scopesmith:ignore` as `scan` does.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use scopesmith::infer::Plan;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Writes `text` at `rel` under `root`, making the folders on the way.
fn write_file(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn plan(dir: &Path) -> Plan {
    let rules = scopesmith::rules::RuleSet::load(&[]).expect("built-in rules load");
    let result = scopesmith::scan::scan(&[dir.to_path_buf()], &rules.detect, &Default::default()).expect("scan runs");
    scopesmith::infer::plan(&result, &rules.knowledge)
}

/// Site (`path:line`, under `prefix`) -> (groups, resources) of the credential that holds it.
fn by_site(plan: &Plan, prefix: &str) -> BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> {
    let mut out = BTreeMap::new();
    for c in &plan.credentials {
        let groups: BTreeSet<String> = c.permissions.iter().map(|p| p.name.clone()).collect();
        let resources: BTreeSet<String> =
            c.permissions.iter().flat_map(|p| p.resources.iter().map(|r| r.as_str().to_string())).collect();
        for s in &c.sites {
            out.insert(format!("{prefix}{}:{}", s.path, s.line), (groups.clone(), resources.clone()));
        }
    }
    out
}

#[test]
fn a_project_gets_the_same_tokens_alone_and_inside_the_whole_tree() {
    let fixtures = root().join("fixtures");
    let whole = by_site(&plan(&fixtures), "");
    let mut problems = Vec::new();
    let mut compared = 0;
    for entry in std::fs::read_dir(&fixtures).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        for (site, alone) in by_site(&plan(&dir), &format!("{name}/")) {
            compared += 1;
            match whole.get(&site) {
                Some(w) if *w == alone => {}
                Some(w) => problems.push(format!("{site}: alone {alone:?}, in the whole tree {w:?}")),
                None => problems.push(format!("{site}: planned alone, missing from the whole tree")),
            }
        }
    }
    assert!(compared > 50, "only {compared} sites compared");
    assert!(problems.is_empty(), "{} differences:\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn no_fixture_plan_under_grants_silently() {
    let rules = scopesmith::rules::RuleSet::load(&[]).expect("built-in rules load");
    let mut problems = Vec::new();
    let mut checked = 0;
    for entry in std::fs::read_dir(root().join("fixtures")).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        for c in plan(&dir).credentials {
            checked += 1;
            let granted: BTreeSet<&str> = c.permissions.iter().map(|p| p.name.as_str()).collect();
            for e in &c.endpoints {
                // Every resolved call's operation is covered by one of the groups it accepts.
                if !e.accepted.is_empty() && !e.accepted.iter().any(|g| granted.contains(g.as_str())) {
                    problems.push(format!(
                        "{}: {} {} needs one of {:?}, planned {granted:?}",
                        c.name, e.method, e.path, e.accepted
                    ));
                }
                let op = rules.knowledge.operations.iter().find(|o| o.path == e.path && o.method == e.method);
                assert!(op.is_some(), "{}: {} {} is not a catalog operation", c.name, e.method, e.path);
            }
            if !c.unresolved.is_empty() && c.complete {
                problems.push(format!("{}: complete although {} calls are unresolved", c.name, c.unresolved.len()));
            }
            if c.permissions.is_empty() && c.complete {
                problems.push(format!("{}: complete with nothing inferred", c.name));
            }
            for u in &c.unresolved {
                if u.reason.is_empty() || u.call.is_empty() {
                    problems
                        .push(format!("{}: unresolved entry without call or reason at {}:{}", c.name, u.path, u.line));
                }
            }
        }
    }
    assert!(checked > 30, "only {checked} credentials checked");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A tree with one plain use, one suppressed use and one use in an excluded folder.
fn configured_tree() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| write_file(tmp.path(), rel, text);
    let purge = |var: &str, ignore: &str| {
        format!(
            "import os\nimport requests\n\nZONE = \"f06f48af4327c6b089977eba97717972\"\nrequests.post(\n    f\"https://api.cloudflare.com/client/v4/zones/{{ZONE}}/purge_cache\",\n    headers={{\"X-Auth-Email\": os.environ[\"CF_EMAIL\"], \"X-Auth-Key\": os.environ[\"{var}\"]}},{ignore}\n    json={{\"purge_everything\": True}},\n)\n"
        )
    };
    write("app/purge.py", &purge("CF_API_KEY", ""));
    write("quiet/purge.py", &purge("CF_QUIET_KEY", "  # scopesmith:ignore[x-auth-key-header, x-auth-email-header, global-key-env-var, global-key-email-env-var] vendor tool, tracked in OPS-1"));
    write("vendor/purge.py", &purge("CF_VENDOR_KEY", ""));
    write(".scopesmith.yaml", "exclude: [\"vendor/**\"]\n");
    tmp
}

fn run(args: &[&str], dir: &Path) -> String {
    let out = common::bin().args(args).arg(dir).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

#[test]
fn plan_fix_and_report_honour_config_and_suppressions_as_scan_does() {
    let tmp = configured_tree();
    let scan = run(&["scan", "--format", "json"], tmp.path());
    assert!(scan.contains("app/purge.py"), "{scan}");
    for (what, out) in [
        ("scan", scan),
        ("plan", run(&["plan", "--format", "json"], tmp.path())),
        ("fix", run(&["fix"], tmp.path())),
        ("report", run(&["report", "--format", "markdown"], tmp.path())),
    ] {
        assert!(out.contains("app/purge.py"), "{what} lost the plain use:\n{out}");
        assert!(
            !out.contains("vendor/purge.py") && !out.contains("CF_VENDOR_KEY"),
            "{what} ignored the exclude:\n{out}"
        );
        assert!(!out.contains("CF_QUIET_KEY"), "{what} ignored the suppression:\n{out}");
    }
}

#[test]
fn one_secret_in_two_units_is_two_credentials_with_their_own_needs() {
    let tmp = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| write_file(tmp.path(), rel, text);
    write("purge/requirements.txt", "requests\n");
    write(
        "purge/purge.py",
        "import os, requests\nrequests.post(f\"https://api.cloudflare.com/client/v4/zones/{os.environ['ZONE']}/purge_cache\", headers={\"X-Auth-Key\": os.environ[\"CF_API_KEY\"]})\n",
    );
    write("dns/package.json", "{\"name\": \"dns\"}\n");
    write(
        "dns/index.js",
        "await fetch(`https://api.cloudflare.com/client/v4/zones/${zone}/dns_records`, {\n  method: 'POST',\n  headers: { 'X-Auth-Key': process.env.CF_API_KEY },\n});\n",
    );
    let plan = plan(tmp.path());
    let got: BTreeMap<String, Vec<String>> = plan
        .credentials
        .iter()
        .map(|c| (c.id.consumer.0.clone(), c.permissions.iter().map(|p| p.name.clone()).collect()))
        .collect();
    assert_eq!(got.get("purge").map(Vec::as_slice), Some(&["Cache Purge".to_string()][..]), "{got:?}");
    assert_eq!(got.get("dns").map(Vec::as_slice), Some(&["DNS Write".to_string()][..]), "{got:?}");
    assert_eq!(plan.shared.len(), 1);
    assert_eq!(plan.shared[0].consumers.len(), 2);
}

#[test]
fn unknown_methods_and_split_urls_are_unresolved_never_guessed() {
    let tmp = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| std::fs::write(tmp.path().join(rel), text).unwrap();
    // A method from a variable: neither GET nor anything else may be assumed.
    write(
        "sync.rb",
        "KEY = ENV['CF_API_KEY']\nverb = ARGV[0]\nHTTP.headers('X-Auth-Key' => KEY).request(verb, \"https://api.cloudflare.com/client/v4/zones/#{ZONE}/dns_records\")\n",
    );
    // A symbol method, and a verb without parentheses.
    write(
        "clean.rb",
        "RestClient::Request.execute(:method => :post, :url => \"https://api.cloudflare.com/client/v4/zones/#{Z}/purge_cache\", :headers => {'X-Auth-Key' => ENV['CF_CLEAN_KEY']})\nRestClient.delete \"https://api.cloudflare.com/client/v4/zones/#{Z}/dns_records/#{id}\", {'X-Auth-Key' => ENV['CF_CLEAN_KEY']}\n",
    );
    // The analytics path continues on the next line: not `GET /zones/{}`.
    write(
        "report.py",
        "import os, requests\nr = requests.get(\"https://api.cloudflare.com/client/v4/zones/\"\n    f\"{os.environ['ZONE']}/dns_records\", headers={\"X-Auth-Key\": os.environ[\"CF_REPORT_KEY\"]})\n",
    );
    let plan = plan(tmp.path());
    let find = |secret: &str| {
        plan.credentials.iter().find(|c| c.id.secret == secret).unwrap_or_else(|| panic!("{secret}: {plan:#?}"))
    };
    let unknown: Vec<_> = plan
        .credentials
        .iter()
        .filter(|c| c.sites.iter().any(|s| s.path == "sync.rb"))
        .filter(|c| c.unresolved.iter().any(|u| u.kind == scopesmith::infer::UnresolvedKind::UnknownMethod))
        .collect();
    assert_eq!(unknown.len(), 1, "{plan:#?}");
    assert!(!unknown[0].complete && unknown[0].permissions.is_empty(), "{:?}", unknown[0]);
    let clean = find("CF_CLEAN_KEY");
    let groups: Vec<&str> = clean.permissions.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(groups, ["Cache Purge", "DNS Write"], "{clean:#?}");
    let report = find("CF_REPORT_KEY");
    let paths: Vec<&str> = report.endpoints.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["/zones/{zone_id}/dns_records"], "{report:#?}");
}

/// A wrapper's callers are looked for beside it, but only in files the walk admitted: a caller
/// in an ignored or excluded file is no site, for any command.
#[test]
fn wrapper_callers_in_ignored_or_excluded_files_are_not_sites() {
    let tmp = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| write_file(tmp.path(), rel, text);
    write(
        "jobs/cfdns/client.py",
        "import requests\n\n\nclass ZoneRecords:\n    def __init__(self, email, api_key):\n        self.email = email\n        self.api_key = api_key\n\n    def list(self, zone):\n        headers = {\n            \"X-Auth-Email\": self.email,\n            \"X-Auth-Key\": self.api_key,\n        }\n        url = f\"https://api.cloudflare.com/client/v4/zones/{zone}/dns_records\"\n        return requests.get(url, headers=headers, timeout=10).json()\n",
    );
    let caller = |var: &str| {
        format!(
            "import os\n\nfrom cfdns.client import ZoneRecords\n\nrecords = ZoneRecords(os.environ[\"JOBS_CF_EMAIL\"], os.environ[\"{var}\"])\nprint(records.list(os.environ[\"ZONE\"]))\n"
        )
    };
    write("jobs/sync.py", &caller("SYNC_CF_KEY"));
    write("jobs/legacy.py", &caller("LEGACY_CF_KEY"));
    write("jobs/backfill.py", &caller("BACKFILL_CF_KEY"));
    write("jobs/.gitignore", "legacy.py\n");
    write(".scopesmith.yaml", "exclude: [\"jobs/backfill.py\"]\n");
    let scan = run(&["scan", "--format", "json"], tmp.path());
    assert!(scan.contains("SYNC_CF_KEY"), "the admitted caller is a site:\n{scan}");
    for (what, out) in [
        ("scan", scan),
        ("plan", run(&["plan", "--format", "json"], tmp.path())),
        ("fix", run(&["fix"], tmp.path())),
        ("report", run(&["report", "--format", "markdown"], tmp.path())),
    ] {
        assert!(!out.contains("LEGACY_CF_KEY"), "{what} looked in an ignored file:\n{out}");
        assert!(!out.contains("BACKFILL_CF_KEY"), "{what} looked in an excluded file:\n{out}");
    }
}

/// A workflow step running `python -m tools.dnsaudit` hands its secret to that package's
/// `__main__.py`: the module's calls are the workflow credential's needs, one token.
#[test]
fn a_workflow_running_a_python_module_gives_it_the_secret() {
    let tmp = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| write_file(tmp.path(), rel, text);
    write(
        ".github/workflows/dns-audit.yml",
        "name: dns audit\non:\n  schedule:\n    - cron: \"0 6 * * 1\"\njobs:\n  audit:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - uses: actions/setup-python@v5\n        with:\n          python-version: \"3.12\"\n      - run: python -m pip install requests\n      - name: List the zone's records\n        env:\n          CF_API_EMAIL: ${{ secrets.CF_API_EMAIL }}\n          CF_API_KEY: ${{ secrets.CF_API_KEY }}\n        run: python -m tools.dnsaudit --zone 3f2c9a0d6b1e47a8c5d4e3f2a1b0c9d8\n",
    );
    write("tools/__init__.py", "");
    write(
        "tools/dnsaudit/__main__.py",
        "import argparse\nimport os\n\nimport requests\n\nAPI = \"https://api.cloudflare.com/client/v4\"\n\n\ndef main():\n    parser = argparse.ArgumentParser()\n    parser.add_argument(\"--zone\", required=True)\n    zone = parser.parse_args().zone\n    headers = {\n        \"X-Auth-Email\": os.environ[\"CF_API_EMAIL\"],\n        \"X-Auth-Key\": os.environ[\"CF_API_KEY\"],\n    }\n    r = requests.get(f\"{API}/zones/{zone}/dns_records\", headers=headers, timeout=30)\n    for rec in r.json()[\"result\"]:\n        print(rec[\"type\"], rec[\"name\"], rec[\"content\"])\n\n\nif __name__ == \"__main__\":\n    main()\n",
    );
    let plan: serde_json::Value =
        serde_json::from_str(&run(&["plan", "--format", "json"], tmp.path())).expect("plan JSON");
    let creds = plan["credentials"].as_array().unwrap();
    let workflow = creds
        .iter()
        .find(|c| c["id"]["consumer"] == ".github/workflows/dns-audit.yml" && c["name"] == "CF_API_KEY")
        .unwrap_or_else(|| panic!("a workflow credential: {plan:#}"));
    let groups: Vec<&str> =
        workflow["permissions"].as_array().unwrap().iter().filter_map(|p| p["name"].as_str()).collect();
    assert_eq!(groups, ["DNS Read"], "{workflow:#}");
    assert!(
        !creds.iter().any(|c| c["name"] == "CF_API_KEY" && c["id"]["consumer"] != ".github/workflows/dns-audit.yml"),
        "the module is not a consumer of its own: {plan:#}"
    );
}

/// fixtures/kustomize: the key is a line of a `secretGenerator` env file, the Deployment reads
/// the generated Secret's key (`key: CF_API_KEY`) into CLOUDFLARE_API_KEY, and the container's
/// code sends it. One secret, one consumer, one token: the env file and the `key:` line are
/// sites of the container's credential, not credentials of the overlay folder.
#[test]
fn a_kustomize_generated_secret_is_the_containers_credential() {
    let plan = plan(&root().join("fixtures/kustomize"));
    let names: Vec<(String, String)> =
        plan.credentials.iter().map(|c| (c.id.secret.clone(), c.id.consumer.to_string())).collect();
    assert_eq!(names, [("CLOUDFLARE_API_KEY".to_string(), "app".to_string())], "{plan:#?}");
    let c = &plan.credentials[0];
    let sites: BTreeSet<String> = c.sites.iter().map(|s| format!("{}:{}", s.path, s.line)).collect();
    for site in
        ["deploy/cloudflare.env:3", "deploy/deployment.yaml:30", "app/src/index.js:7", "app/src/cloudflare.js:18"]
    {
        assert!(sites.contains(site), "{site} in {sites:?}");
    }
    let groups: Vec<&str> = c.permissions.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(groups, ["Cache Purge"]);
    assert!(c.complete, "{c:#?}");
}

/// A Django app reads the key through `django.conf.settings` under a name the scan cannot call
/// a key (`settings.EDGE_SECRET`); the settings module `manage.py` names reads it from
/// `CLOUDFLARE_API_KEY`. The import of `settings` links the app module to that settings module,
/// so the header site joins the settings credential: one token with the app's needs.
#[test]
fn a_django_app_reading_settings_is_linked_to_the_settings_module() {
    let tmp = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| write_file(tmp.path(), rel, text);
    write("requirements.txt", "Django>=5.0,<6\nrequests>=2.31\n");
    write(
        "manage.py",
        "#!/usr/bin/env python\nimport os\nimport sys\n\n\ndef main():\n    os.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"shopsite.settings\")\n    from django.core.management import execute_from_command_line\n\n    execute_from_command_line(sys.argv)\n\n\nif __name__ == \"__main__\":\n    main()\n",
    );
    write("shopsite/__init__.py", "");
    write(
        "shopsite/settings.py",
        "import os\n\nDEBUG = False\nINSTALLED_APPS = [\"django.contrib.contenttypes\", \"catalog\"]\n\nEDGE_USER = os.environ[\"CLOUDFLARE_EMAIL\"]\nEDGE_SECRET = os.environ[\"CLOUDFLARE_API_KEY\"]\nEDGE_ZONE = os.environ.get(\"EDGE_ZONE\", \"\")\n",
    );
    write("catalog/__init__.py", "");
    write(
        "catalog/edge.py",
        "import requests\nfrom django.conf import settings\n\nAPI = \"https://api.cloudflare.com/client/v4\"\n\n\ndef purge(urls):\n    headers = {\"X-Auth-Email\": settings.EDGE_USER, \"X-Auth-Key\": settings.EDGE_SECRET}\n    r = requests.post(f\"{API}/zones/{settings.EDGE_ZONE}/purge_cache\", headers=headers, json={\"files\": urls}, timeout=30)\n    r.raise_for_status()\n",
    );
    let plan = plan(tmp.path());
    let names: Vec<&str> = plan.credentials.iter().map(|c| c.id.secret.as_str()).collect();
    assert_eq!(names, ["CLOUDFLARE_API_KEY"], "{plan:#?}");
    let c = &plan.credentials[0];
    assert!(c.sites.iter().any(|s| s.path == "catalog/edge.py"), "{c:#?}");
    let groups: Vec<&str> = c.permissions.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(groups, ["Cache Purge"], "{c:#?}");
}
