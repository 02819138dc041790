//! Issue 13: scopesmith run on a stranger's pull request. Each test builds the hostile input
//! it needs (a config that names files outside the tree, odd file names in a git diff, deep
//! nesting, ten thousand findings, planted links, escape sequences) and runs the built binary
//! with a deadline. Test names carry the issue's item number. All keys here are fake.

#[macro_use]
mod common;

use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::Run;
use serde_json::Value;

/// A fake legacy Global API Key (37 lowercase hex).
const KEY: &str = "8f3c2d1e0b9a8f7e6d5c4b3a2f1e0d9c8b7a6";
const KEY_LINE: &str =
    "curl -H \"X-Auth-Key: $CF_API_KEY\" https://api.cloudflare.com/client/v4/zones/$ZONE/purge_cache";

fn run_in(dir: Option<&Path>, args: Vec<OsString>, env: &[(&str, &str)]) -> Run {
    let mut cmd = common::scopesmith();
    cmd.env_remove("CI");
    if let Some(d) = dir {
        cmd.current_dir(d);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    common::run(cmd, &args)
}

fn run(args: Vec<OsString>) -> Run {
    run_in(None, args, &[])
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn found(json: &Value) -> Vec<(String, u64)> {
    json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| (f["path"].as_str().unwrap().to_string(), f["line"].as_u64().unwrap()))
        .collect()
}

fn assert_no_key(what: &str, text: &str) {
    // Any 12 characters past the four a mask may show.
    for window in KEY.as_bytes()[4..].windows(12) {
        let w = std::str::from_utf8(window).unwrap();
        assert!(!text.contains(w), "{what} shows part of the key ({w}):\n{text}");
    }
}

// ---- item 1: config paths, error excerpts, the scrub on stderr

#[test]
fn issue13_item1_config_paths_outside_the_repository_are_refused() {
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "credentials", &format!("aws_secret_access_key = CANARY{KEY}\nnot: [yaml\n"));
    write(outside.path(), "rules/x.yaml", "rules: [CANARY-RULE\n");
    let secret_file = outside.path().join("credentials");
    let cases = [
        format!("rules: [\"{}\"]\n", secret_file.display()),
        "rules: [\"/proc/self/environ\"]\n".to_string(),
        format!("baseline: {}\n", secret_file.display()),
        "baseline: ~/.aws/credentials\n".to_string(),
        format!("rules: [\"../{}/rules\"]\n", outside.path().file_name().unwrap().to_string_lossy()),
        "rules: [linked]\n".to_string(),
        "baseline: linked-file\n".to_string(),
    ];
    for config in cases {
        let repo = tempfile::tempdir_in(outside.path().parent().unwrap()).unwrap();
        write(repo.path(), "deploy.sh", &format!("{KEY_LINE}\n"));
        write(repo.path(), ".scopesmith.yaml", &config);
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(outside.path().join("rules"), repo.path().join("linked")).unwrap();
            std::os::unix::fs::symlink(&secret_file, repo.path().join("linked-file")).unwrap();
        }
        let r = run_in(
            None,
            args!["scan", "--format", "json", repo.path()],
            &[("SCOPESMITH_TEST_CANARY", "CANARY-ENV-VALUE")],
        );
        assert_eq!(r.code, 2, "{config}: {}", r.stderr);
        assert!(
            r.stderr.contains("outside the repository") || r.stderr.contains("starts with `~`"),
            "{config}: {}",
            r.stderr
        );
        for canary in ["CANARY", "CANARY-ENV-VALUE", "aws_secret_access_key"] {
            assert!(!r.stderr.contains(canary), "{config}: stderr excerpts another file:\n{}", r.stderr);
        }
        assert_no_key("stderr", &r.stderr);
    }
}

#[test]
fn issue13_item1_a_key_in_a_malformed_config_is_scrubbed_from_stderr() {
    for config in [
        format!("fail-on: {KEY}\n"),
        format!("exclude: [\"a\"]\n{KEY}: x\n"),
        format!("severity:\n  x-auth-key-header: low\n  {KEY}: high\n"),
        format!("exclude: [\"{KEY}\"\n"),
    ] {
        let repo = tempfile::tempdir().unwrap();
        write(repo.path(), "deploy.sh", &format!("{KEY_LINE}\n"));
        write(repo.path(), ".scopesmith.yaml", &config);
        let r = run(args!["scan", repo.path()]);
        assert_eq!(r.code, 2, "{config}: {}", r.stderr);
        assert!(r.stderr.contains(".scopesmith.yaml"), "{}", r.stderr);
        assert_no_key("stderr", &r.stderr);
    }
}

// ---- item 2: --diff-base reads git exactly and runs git safely

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn issue13_item2_diff_base_finds_keys_in_files_with_odd_names() {
    let repo = tempfile::tempdir().unwrap();
    git(repo.path(), &["init", "-q", "-b", "main"]);
    write(repo.path(), "README.md", "docs\n");
    git(repo.path(), &["add", "-A"]);
    git(repo.path(), &["commit", "-q", "-m", "base"]);
    let mut names = vec!["deploy scripts/purge.sh", "quote\"d.sh", "back\\slash.sh", "caf\u{e9}.sh"];
    if cfg!(unix) {
        names.push("tab\there.sh");
    }
    for n in &names {
        write(repo.path(), n, &format!("#!/bin/sh\n{KEY_LINE}\n"));
    }
    git(repo.path(), &["add", "-A"]);
    git(repo.path(), &["commit", "-q", "-m", "a pull request"]);
    let r = run_in(Some(repo.path()), args!["scan", "--format", "json", "--diff-base", "HEAD~1"], &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let mut got: Vec<String> = found(&r.json()).into_iter().map(|(p, _)| p).collect();
    got.sort();
    let mut want: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    want.sort();
    assert_eq!(got, want, "every added key is reported:\n{}", r.stdout);
}

#[cfg(unix)]
#[test]
fn issue13_item2_the_repositorys_git_config_runs_nothing() {
    use std::os::unix::fs::PermissionsExt;
    let repo = tempfile::tempdir().unwrap();
    git(repo.path(), &["init", "-q", "-b", "main"]);
    write(repo.path(), "a.sh", "echo\n");
    git(repo.path(), &["add", "-A"]);
    git(repo.path(), &["commit", "-q", "-m", "base"]);
    let marker = repo.path().join("PWNED");
    let hook = repo.path().join(".git/evil.sh");
    std::fs::write(&hook, format!("#!/bin/sh\ntouch '{}'\n", marker.display())).unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    for (key, value) in [("core.fsmonitor", hook.to_str().unwrap()), ("core.hooksPath", ".git")] {
        git(repo.path(), &["config", key, value]);
    }
    write(repo.path(), "b.sh", &format!("{KEY_LINE}\n"));
    let r = run_in(Some(repo.path()), args!["scan", "--format", "json", "--diff-base", "HEAD"], &[]);
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    assert!(!marker.exists(), "git ran the repository's fsmonitor command");
}

#[cfg(unix)]
#[test]
fn issue13_item2_the_repositorys_clean_filters_run_nothing() {
    use std::os::unix::fs::PermissionsExt;
    let repo = tempfile::tempdir().unwrap();
    git(repo.path(), &["init", "-q", "-b", "main"]);
    write(repo.path(), ".gitattributes", "*.sh filter=evil\n");
    write(repo.path(), "a.sh", "echo\n");
    git(repo.path(), &["add", "-A"]);
    git(repo.path(), &["commit", "-q", "-m", "base"]);
    let marker = repo.path().join("PWNED");
    let filter = repo.path().join(".git/evil.sh");
    std::fs::write(&filter, format!("#!/bin/sh\ntouch '{}'\ncat\n", marker.display())).unwrap();
    std::fs::set_permissions(&filter, std::fs::Permissions::from_mode(0o755)).unwrap();
    // Set after the commit: git itself would have run it on `add`.
    git(repo.path(), &["config", "filter.evil.clean", filter.to_str().unwrap()]);
    git(repo.path(), &["config", "filter.evil.required", "true"]);
    write(repo.path(), "a.sh", &format!("echo\n{KEY_LINE}\n"));
    let r = run_in(Some(repo.path()), args!["scan", "--format", "json", "--diff-base", "HEAD"], &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(found(&r.json()), [("a.sh".to_string(), 2)]);
    assert!(!marker.exists(), "git ran the repository's clean filter");
}

// ---- item 3: a file too deep for syn is a file, not an abort

#[test]
fn issue13_item3_deeply_nested_rust_does_not_abort_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let nested = format!("fn main() {{ let h = (\"X-Auth-Key\", {}1{}); }}\n", "(".repeat(1000), ")".repeat(1000));
    write(dir.path(), "src/main.rs", &nested);
    let chain = format!("fn f() -> u64 {{ 1{} }}\n", " + 1".repeat(50_000));
    write(dir.path(), "src/chain.rs", &chain);
    write(dir.path(), "deploy.sh", &format!("{KEY_LINE}\n"));
    let sarif = run(args!["scan", "--format", "sarif", "--no-config", dir.path()]);
    assert_eq!(sarif.code, 1, "{}", sarif.stderr);
    let doc: Value = serde_json::from_str(&sarif.stdout).expect("a whole SARIF document");
    assert!(!doc["runs"][0]["results"].as_array().unwrap().is_empty());
    let r = run(args!["scan", "--format", "json", "--no-config", dir.path()]);
    assert!(found(&r.json()).contains(&("deploy.sh".to_string(), 1)), "{}", r.stdout);
}

// ---- item 4: detection is linear in file size and findings

#[test]
fn issue13_item4_ten_thousand_findings_in_one_file_stay_fast() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("deploy:\n  steps:\n");
    for i in 0..10_000 {
        text.push_str(&format!(
            "    - run: curl -H \"X-Auth-Key: $CF_API_KEY\" https://api.cloudflare.com/client/v4/zones/{i}\n"
        ));
    }
    write(dir.path(), "ci.yml", &text);
    let r = run(args!["scan", "--format", "json", "--no-config", dir.path()]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(found(&r.json()).len(), 10_000);
    // Was ~18 s in a release build (minutes in a debug one); linear work takes a few seconds
    // of CPU in a debug build. The bound leaves room for a loaded 2-core machine.
    assert!(r.took < Duration::from_secs(45), "10k findings took {:?}", r.took);
}

#[test]
fn issue13_item4_one_long_line_with_many_keys_stays_fast() {
    let dir = tempfile::tempdir().unwrap();
    let mut line = String::from("var keys=[");
    for i in 0..5_000 {
        line.push_str(&format!("\"{:037x}\",", 0x8f3c_0000_0000_0000_u128 + i));
    }
    line.push_str("];\n");
    write(dir.path(), "bundle.min.js", &format!("// X-Auth-Key\n{line}"));
    let r = run(args!["scan", "--format", "json", "--no-config", dir.path()]);
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    assert!(r.took < Duration::from_secs(45), "one long line took {:?}", r.took);
    for f in r.json()["findings"].as_array().unwrap() {
        assert!(f["snippet"].as_str().unwrap().chars().count() <= 210, "snippets stay short");
    }
}

#[test]
fn issue13_item4_many_suppressions_stay_fast() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for _ in 0..10_000 {
        text.push_str(&format!("{KEY_LINE} # scopesmith:ignore[all] legacy host\n"));
    }
    write(dir.path(), "deploy.sh", &text);
    let r = run(args!["scan", "--format", "json", "--no-config", dir.path()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["summary"]["suppressed"], 10_000, "{}", r.stdout);
    assert!(r.took < Duration::from_secs(45), "took {:?}", r.took);
}

// ---- item 5: the capped-file message

#[test]
fn issue13_item5_a_capped_file_says_how_much_was_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("x\n");
    text.push_str(&"a".repeat(100_000));
    write(dir.path(), "bundle.js", &text);
    let r = run(args!["scan", "--format", "json", "--no-config", "--max-file-size", "50000", dir.path()]);
    let msg = r.json()["warnings"][0]["message"].as_str().unwrap().to_string();
    assert!(msg.contains("48.8 KiB"), "the long line is cut, not dropped: {msg}");
    let r = run(args!["scan", "--format", "json", "--no-config", "--max-file-size", "100", dir.path()]);
    let msg = r.json()["warnings"][0]["message"].as_str().unwrap().to_string();
    assert!(msg.contains("100 bytes") && !msg.contains("0.0 KiB"), "{msg}");
}

// ---- item 6: the scrub in every output

#[test]
fn issue13_item6_touching_and_split_keys_never_reach_an_output() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = KEY.split_at(18);
    write(
        dir.path(),
        "deploy.py",
        &format!(
            "import requests\n\
             KEY = \"{a}\" + \"{b}\"\n\
             OTHER = (\"{a}\"\n         \"{b}\")\n\
             requests.get(\"https://api.cloudflare.com/client/v4/zones\", headers={{\"X-Auth-Key\": KEY, \"X-Auth-Email\": \"ops@example.com\"}})\n\
             LABEL = \"key_{KEY}\"\n\
             NAME = \"{KEY}_prod\"\n\
             URL = \"https://example.com/?k=%3D{KEY}\"\n\
             requests.get(URL, headers={{\"X-Auth-Key\": \"\\t{KEY}\"}})\n"
        ),
    );
    write(dir.path(), "token.sh", &format!("export CLOUDFLARE_API_TOKEN=cfut_{}\n", "Ab3".repeat(16) + "x"));
    for format in ["human", "json", "sarif"] {
        let r = run(args!["scan", "--format", format, "--no-config", dir.path()]);
        assert_no_key(&format!("scan --format {format} stdout"), &r.stdout);
        assert_no_key(&format!("scan --format {format} stderr"), &r.stderr);
        assert!(!r.stdout.contains(&"Ab3".repeat(16)), "a cfut_ token with a 49-character tail shown:\n{}", r.stdout);
    }
    for cmd in [args!["fix", dir.path()], args!["plan", "--format", "json", dir.path()], args!["plan", dir.path()]] {
        let r = run(cmd.clone());
        assert_no_key(&format!("{cmd:?} stdout"), &r.stdout);
        assert_no_key(&format!("{cmd:?} stderr"), &r.stderr);
    }
}

// ---- item 11: trusted config

#[test]
fn issue13_item11_a_trusted_config_replaces_the_pull_requests_own() {
    let repo = tempfile::tempdir().unwrap();
    write(repo.path(), "deploy.sh", &format!("{KEY_LINE}\n"));
    // The pull request's own config switches the gate off.
    write(repo.path(), ".scopesmith.yaml", "exclude: [\"**\"]\nfail-on: critical\n");
    let off = run(args!["scan", "--format", "json", repo.path()]);
    assert_eq!(off.code, 0, "the PR's config hides everything: {}", off.stdout);
    let trusted = tempfile::tempdir().unwrap();
    write(trusted.path(), "base.yaml", "exclude: [\"fixtures/**\"]\n");
    let r = run(args!["scan", "--format", "json", "--config", trusted.path().join("base.yaml"), repo.path()]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(found(&r.json()), [("deploy.sh".to_string(), 1)]);
    let none = run(args!["scan", "--format", "json", "--no-config", repo.path()]);
    assert_eq!(none.code, 1);
    let action = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("action.yml")).unwrap();
    assert!(
        action.contains("default: base") && action.contains("--config \"$conf\""),
        "the Action defaults to the base branch's config"
    );
}

// ---- item 12: outputs through temp file + rename, never through a link

#[cfg(unix)]
#[test]
fn issue13_item12_outputs_refuse_planted_links() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    write(
        &repo,
        "deploy.sh",
        "curl -X POST -H \"X-Auth-Key: $CF_API_KEY\" -H \"X-Auth-Email: $CF_API_EMAIL\" \
         https://api.cloudflare.com/client/v4/zones/023e105f4ecef8ad9ca31a8372d0c353/purge_cache\n",
    );
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "keep").unwrap();
    let link = |name: &str| {
        let p = dir.path().join(name);
        std::os::unix::fs::symlink(&victim, &p).unwrap();
        p
    };
    let report = link("report.html");
    let baseline = link("baseline.json");
    let emit = dir.path().join("emit");
    std::fs::create_dir_all(&emit).unwrap();
    let planted = emit.join("tokens.tf");
    std::os::unix::fs::symlink(&victim, &planted).unwrap();
    let linked_dir = dir.path().join("linked-dir");
    std::os::unix::fs::symlink(dir.path(), &linked_dir).unwrap();
    for (what, cmd) in [
        ("report --out", args!["report", "--out", &report, &repo]),
        ("--write-baseline", args!["scan", "--no-config", "--write-baseline", &baseline, &repo]),
        ("plan --emit", args!["plan", "--emit", "terraform", "--out", &emit, &repo]),
        ("plan --emit into a linked folder", args!["plan", "--emit", "terraform", "--out", &linked_dir, &repo]),
    ] {
        let r = run(cmd);
        assert_eq!(r.code, 2, "{what}: {}", r.stderr);
        assert!(r.stderr.contains("symbolic link"), "{what}: {}", r.stderr);
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep", "{what} wrote through the link");
    }
    // A normal write leaves no temporary file behind.
    let out = dir.path().join("r.md");
    let r = run(args!["report", "--format", "markdown", "--out", &out, &repo]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

// ---- item 13: import-openapi file names

#[test]
fn issue13_item13_an_operation_id_cannot_choose_where_a_file_goes() {
    // No dot in the path: the family name is the operationId up to its first dot.
    let dir = tempfile::Builder::new().prefix("issue13-item13-").tempdir().unwrap();
    assert!(!dir.path().to_string_lossy().contains('.'));
    let escape = dir.path().join("escaped");
    let doc = serde_json::json!({
        "openapi": "3.0.0",
        "paths": {
            "/zones": {"get": {"operationId": format!("{}/x.list", escape.display()),
                               "x-api-token-group": ["Zone Read"]}},
            "/zones/{zone_id}/dns_records": {"get": {"operationId": "../../up.list", "x-api-token-group": ["DNS Read"]}}
        }
    });
    let spec = dir.path().join("openapi.json");
    std::fs::write(&spec, doc.to_string()).unwrap();
    let out = dir.path().join("out/catalog");
    let r = run(args!["catalog", "import-openapi", &spec, "--out", &out]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!escape.exists() && !Path::new(&format!("{}.yaml", escape.display())).exists(), "wrote outside --out");
    assert!(!dir.path().join("up.yaml").exists() && !dir.path().join("out/up.yaml").exists());
    let written: Vec<String> =
        std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(!written.is_empty() && written.iter().all(|n| !n.contains('/') && n.ends_with(".yaml")), "{written:?}");
}

// ---- item 14: escape sequences from the tree

#[cfg(unix)]
#[test]
fn issue13_item14_escape_sequences_reach_no_terminal_or_report() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    let name = "x\u{1b}]0;pwned\u{7}\u{1b}[2J[click](https:evil.example).sh";
    write(&repo, name, &format!("{KEY_LINE} \u{1b}]8;;https://evil.example\u{7}link\u{1b}]8;;\u{7}\n"));
    let human = run(args!["scan", "--no-config", &repo]);
    assert_eq!(human.code, 1, "{}", human.stderr);
    for (what, text) in [("stdout", &human.stdout), ("stderr", &human.stderr)] {
        assert!(!text.contains('\u{1b}') && !text.contains('\u{7}'), "scan {what} carries raw escapes:\n{text:?}");
    }
    assert!(human.stdout.contains("\\x1b"), "the escape is shown: {}", human.stdout);
    let plan = run(args!["plan", &repo]);
    assert!(!plan.stdout.contains('\u{1b}'), "{:?}", plan.stdout);
    let md = run(args!["report", "--format", "markdown", &repo]);
    assert!(!md.stdout.contains('\u{1b}'), "{:?}", md.stdout);
    // Outside code spans (where nothing is a link), no bracket of the name is left unescaped.
    let prose: String = md.stdout.split('`').step_by(2).collect();
    assert!(
        !prose.replace("\\[", "").replace("\\]", "").contains("[click]"),
        "a link planted in the report:\n{}",
        md.stdout
    );
    let html = run(args!["report", &repo]);
    assert!(!html.stdout.contains('\u{1b}'));
}

// ---- item 15: the smaller ones

#[cfg(target_os = "linux")]
#[test]
fn issue13_item15_a_failed_stdout_write_fails_the_run() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.sh", "echo\n");
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let st = common::scopesmith()
        .args(["scan", "--format", "json", "--no-config"])
        .arg(dir.path())
        .stdout(full)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(st.code(), Some(2), "a full disk is not a clean run");
    // A closed pipe still ends quietly (`scopesmith scan | head`).
    let mut child =
        common::scopesmith().args(["rules", "list"]).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    drop(child.stdout.take());
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

#[test]
fn issue13_item15_deeply_nested_yaml_is_refused_before_parsing() {
    let dir = tempfile::tempdir().unwrap();
    let deep = format!("rules: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    write(dir.path(), "rules/deep.yaml", &deep);
    let r = run(args!["rules", "check", dir.path().join("rules/deep.yaml")]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("levels deep"), "{}", r.stderr);
    assert!(r.took < Duration::from_secs(10), "took {:?}", r.took);
    let repo = dir.path().join("repo");
    write(&repo, ".scopesmith.yaml", &format!("exclude: {}{}\n", "[".repeat(100_000), "]".repeat(100_000)));
    let r = run(args!["scan", &repo]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("levels deep"), "{}", r.stderr);
}

#[cfg(unix)]
#[test]
fn issue13_item15_json_warnings_carry_relative_paths() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    write(&root, "a/deploy.sh", &format!("{KEY_LINE}\n"));
    std::os::unix::fs::symlink(root.join("a"), root.join("a/loop")).unwrap();
    let r = run(args!["scan", "--format", "json", "--no-config", "--follow", &root]);
    let warnings = r.json()["warnings"].to_string();
    assert!(warnings.contains("loop"), "{warnings}");
    assert!(!warnings.contains(root.to_str().unwrap()), "an absolute path in the JSON warnings: {warnings}");
}

#[test]
fn issue13_item15_a_huge_gitignore_is_bounded_and_said() {
    let dir = tempfile::tempdir().unwrap();
    // 80,000 patterns took minutes and over a gigabyte when the walker compiled them all.
    let mut ignore = String::from("vendored/\n");
    for i in 0..80_000 {
        ignore.push_str(&format!("build{i}/**/*.o{}\n", i % 7));
    }
    ignore.push_str("late/\n");
    write(dir.path(), ".gitignore", &ignore);
    write(dir.path(), "vendored/deploy.sh", &format!("{KEY_LINE}\n"));
    write(dir.path(), "late/deploy.sh", &format!("{KEY_LINE}\n"));
    let r = run(args!["scan", "--format", "json", "--no-config", dir.path()]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let json = r.json();
    // The patterns read still apply; the ones past the bound do not, so their files are
    // scanned: a hostile ignore file costs bounded time and hides nothing.
    assert_eq!(found(&json), [("late/deploy.sh".to_string(), 1)]);
    let warnings = json["warnings"].as_array().unwrap();
    assert!(
        warnings.iter().any(|w| w["path"] == ".gitignore" && w["message"].as_str().unwrap().contains("only its first")),
        "{warnings:?}"
    );
}
