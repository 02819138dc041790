//! Hostile input, scale and trust (issue 9): odd and hostile trees generated at test time, run
//! through the built binary with a deadline. Each case checks that the run ends (no hang, no
//! panic), that a skipped or capped file is warned about once with its reason, that a key use
//! planted in a normal file next to it is still found, and the exit status: 1 when there are
//! findings, warnings or not; 0 for warnings alone.
//!
//! Also here: malformed inputs (exit 2 naming file and line), byte-identical output across
//! thread counts, and no planted secret in any output of any offline command.
//! The 200 MB / 1M-file runs live in the benchmark script, not here.

#[macro_use]
mod common;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::Run;
use serde_json::Value;

/// The planted use every tree carries next to its hostile file.
const KEY_LINE: &str =
    "curl -H \"X-Auth-Key: $CF_API_KEY\" https://api.cloudflare.com/client/v4/zones/$ZONE/purge_cache";

/// Runs the binary with a deadline; a run past it is killed and fails the test as a hang.
fn run<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    common::run(common::scopesmith(), &args)
}

/// `scan --format json` of `root` with extra flags.
fn scan(root: &Path, extra: &[&str]) -> Run {
    let mut args: Vec<OsString> = vec!["scan".into(), "--format".into(), "json".into(), "--no-config".into()];
    args.extend(extra.iter().map(OsString::from));
    args.push(root.into());
    run(args)
}

/// (path, line) of every finding.
fn found(json: &Value) -> Vec<(String, u64)> {
    json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| (f["path"].as_str().unwrap().to_string(), f["line"].as_u64().unwrap()))
        .collect()
}

/// path -> reasons of every warning; no path may be warned about twice.
fn warned(json: &Value) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for w in json["warnings"].as_array().expect("warnings") {
        let path = w["path"].as_str().unwrap().to_string();
        let reason = w["reason"].as_str().unwrap().to_string();
        if let Some(old) = out.insert(path.clone(), reason.clone()) {
            panic!("{path} warned about twice ({old}, {reason}):\n{json:#}");
        }
    }
    out
}

/// A tree with the planted use in `normal.sh` (line 2).
fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("normal.sh"), format!("#!/bin/sh\n{KEY_LINE}\n")).unwrap();
    dir
}

/// Exit 1, the planted use found, and exactly `warnings` as (path, reason).
fn assert_outcome(run: &Run, mut expect_found: Vec<(&str, u64)>, warnings: &[(&str, &str)]) {
    assert_eq!(run.code, 1, "findings, with or without warnings, exit 1:\n{}", run.stderr);
    let json = run.json();
    expect_found.push(("normal.sh", 2));
    expect_found.sort();
    let expected: Vec<(String, u64)> = expect_found.iter().map(|(p, l)| (p.to_string(), *l)).collect();
    assert_eq!(found(&json), expected, "{json:#}");
    let expected: BTreeMap<String, String> = warnings.iter().map(|(p, r)| (p.to_string(), r.to_string())).collect();
    assert_eq!(warned(&json), expected, "{json:#}");
}

/// Filler that holds no rule keyword, like minified library code.
fn minified(len: usize) -> Vec<u8> {
    let unit = b"function a(b){return b.map(function(c){return c*2+1})};var d=[1,2,3],e={f:\"\xc3\xa9t\xc3\xa9\"};";
    unit.iter().copied().cycle().take(len).collect()
}

#[test]
fn a_minified_single_line_file_is_capped_and_warned_once() {
    let dir = tree();
    let use_ = b"fetch(u,{headers:{\"X-Auth-Key\":process.env.CF_API_KEY}});";
    let mut bytes = minified(1000);
    bytes.extend(use_);
    bytes.extend(minified(20 << 20));
    // Beyond the cap: not scanned, so not found.
    bytes.extend(use_);
    bytes.extend(minified(1000));
    std::fs::write(dir.path().join("bundle.min.js"), &bytes).unwrap();
    let run = scan(dir.path(), &["--max-file-size", "1000038"]);
    // The cap falls inside a two-byte `é`: that cut is no invalid UTF-8 (one warning only).
    assert_outcome(&run, vec![("bundle.min.js", 1)], &[("bundle.min.js", "too-large")]);
    let json = run.json();
    assert!(json["warnings"][0]["message"].as_str().unwrap().contains("--max-file-size"), "{json:#}");
}

#[test]
fn a_long_line_under_the_cap_is_scanned_to_its_end() {
    let dir = tree();
    let mut bytes = minified(3 << 20);
    bytes.extend(b"fetch(u,{headers:{\"X-Auth-Key\":process.env.CF_API_KEY}});\n");
    std::fs::write(dir.path().join("bundle.min.js"), &bytes).unwrap();
    assert_outcome(&scan(dir.path(), &[]), vec![("bundle.min.js", 1)], &[]);
}

#[test]
fn a_million_line_file_reports_the_right_line() {
    let dir = tree();
    let mut text = String::with_capacity(12 << 20);
    for i in 0..1_000_000 {
        if i == 999_990 {
            text.push_str(KEY_LINE);
        } else {
            text.push_str("echo step");
        }
        text.push('\n');
    }
    std::fs::write(dir.path().join("long.sh"), text).unwrap();
    assert_outcome(&scan(dir.path(), &[]), vec![("long.sh", 999_991)], &[]);
}

#[test]
fn a_file_with_nul_bytes_is_skipped_as_binary() {
    let dir = tree();
    std::fs::write(dir.path().join("blob.sh"), format!("\0\0\0\n{KEY_LINE}\n")).unwrap();
    assert_outcome(&scan(dir.path(), &[]), vec![], &[("blob.sh", "binary")]);
}

#[test]
fn warnings_alone_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("blob.sh"), format!("\0\0\0\n{KEY_LINE}\n")).unwrap();
    let r = scan(dir.path(), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(warned(&r.json()).get("blob.sh").map(String::as_str), Some("binary"));
    let human = run(args!["scan", "--no-config", dir.path()]);
    assert_eq!(human.code, 0, "{}", human.stderr);
}

#[test]
fn invalid_utf8_is_warned_and_the_valid_lines_still_scanned() {
    let dir = tree();
    let mut bytes = b"echo \xff\xfe\xc3(\n".to_vec();
    bytes.extend(KEY_LINE.as_bytes());
    bytes.extend(b"\necho \x80 end\n");
    std::fs::write(dir.path().join("bad.sh"), bytes).unwrap();
    assert_outcome(&scan(dir.path(), &[]), vec![("bad.sh", 2)], &[("bad.sh", "invalid-utf8")]);
}

#[test]
fn utf16le_with_bom_is_decoded_and_scanned() {
    let dir = tree();
    let mut bytes = vec![0xFF, 0xFE];
    for u in format!("# Windows\r\n{KEY_LINE}\r\n").encode_utf16() {
        bytes.extend(u.to_le_bytes());
    }
    std::fs::write(dir.path().join("wide.sh"), bytes).unwrap();
    assert_outcome(&scan(dir.path(), &[]), vec![("wide.sh", 2)], &[]);
}

#[test]
fn crlf_and_mixed_line_endings_keep_line_numbers() {
    let dir = tree();
    std::fs::write(dir.path().join("crlf.sh"), format!("#!/bin/sh\r\necho a\r\n\r\n{KEY_LINE}\r\n")).unwrap();
    // A lone `\r` is not a line break (as in git and editors on Unix).
    std::fs::write(dir.path().join("mixed.sh"), format!("a\r\nb\nc\r\n\nd\re\n{KEY_LINE}\nf\r\n")).unwrap();
    let r = scan(dir.path(), &[]);
    assert_outcome(&r, vec![("crlf.sh", 4), ("mixed.sh", 6)], &[]);
    let json = r.json();
    let findings = json["findings"].as_array().unwrap();
    for f in findings {
        assert_eq!(f["column"], findings[0]["column"], "{f:#}");
        assert_eq!(f["snippet"], findings[0]["snippet"], "no `\\r` in a snippet: {f:#}");
    }
}

/// Whether permissions keep this process out (not when running as root).
fn modes_apply(path: &Path) -> bool {
    std::fs::read(path).is_err() && std::fs::read_dir(path).is_err()
}

#[cfg(unix)]
#[test]
fn unreadable_files_and_folders_are_warned_once() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tree();
    let file = dir.path().join("locked.sh");
    std::fs::write(&file, format!("{KEY_LINE}\n")).unwrap();
    let folder = dir.path().join("locked");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("inner.sh"), format!("{KEY_LINE}\n")).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o000)).unwrap();
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o000)).unwrap();
    let run = scan(dir.path(), &[]);
    let enforced = std::fs::read(&file).is_err() && modes_apply(&folder);
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).unwrap();
    if !enforced {
        eprintln!("running as root: permissions do not block reads, only the run itself is checked");
        assert_eq!(run.code, 1);
        return;
    }
    assert_outcome(&run, vec![], &[("locked", "unreadable"), ("locked.sh", "unreadable")]);
}

#[cfg(unix)]
fn mkfifo(path: &Path) -> bool {
    Command::new("mkfifo").arg(path).status().is_ok_and(|s| s.success())
}

#[cfg(unix)]
#[test]
fn a_fifo_is_skipped_not_opened() {
    let dir = tree();
    let fifo = dir.path().join("pipe.sh");
    if !mkfifo(&fifo) {
        eprintln!("no mkfifo here: skipped");
        return;
    }
    assert_outcome(&scan(dir.path(), &[]), vec![], &[("pipe.sh", "not-a-file")]);
    assert_outcome(&scan(dir.path(), &["--follow"]), vec![], &[("pipe.sh", "not-a-file")]);
    // Named on the command line: still not opened (opening a FIFO blocks until a writer comes).
    let run = scan(&fifo, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(warned(&run.json()).values().collect::<Vec<_>>(), ["not-a-file"]);
}

#[cfg(unix)]
#[test]
fn a_symlink_loop_is_warned_once_with_follow() {
    let dir = tree();
    std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
    std::os::unix::fs::symlink("../..", dir.path().join("a/b/up")).unwrap();
    std::os::unix::fs::symlink("self", dir.path().join("self")).unwrap();
    let run = scan(dir.path(), &["--follow"]);
    assert_eq!(run.code, 1);
    let json = run.json();
    assert_eq!(found(&json), [("normal.sh".to_string(), 2)], "{json:#}");
    let w = warned(&json);
    assert_eq!(w.get("a/b/up").map(String::as_str), Some("symlink-loop"), "{json:#}");
    // Without --follow links are neither scanned nor a problem.
    assert_outcome(&scan(dir.path(), &[]), vec![], &[]);
}

#[cfg(unix)]
#[test]
fn links_leaving_the_root_are_not_followed() {
    let dir = tree();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.sh"), format!("{KEY_LINE}\n")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret.sh"), dir.path().join("file-link.sh")).unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("dir-link")).unwrap();
    // A link that stays inside is followed.
    std::fs::create_dir(dir.path().join("inner")).unwrap();
    std::fs::write(dir.path().join("inner/in.sh"), format!("{KEY_LINE}\n")).unwrap();
    std::os::unix::fs::symlink("inner", dir.path().join("inner-link")).unwrap();
    assert_outcome(
        &scan(dir.path(), &["--follow"]),
        vec![("inner-link/in.sh", 1), ("inner/in.sh", 1)],
        &[("dir-link", "not-a-file"), ("file-link.sh", "not-a-file")],
    );
}

#[test]
fn a_thousand_folders_deep() {
    let dir = tree();
    let mut deep = dir.path().to_path_buf();
    let mut rel = String::new();
    for _ in 0..1000 {
        deep.push("d");
        rel.push_str("d/");
    }
    std::fs::create_dir_all(&deep).unwrap();
    std::fs::write(deep.join("deep.sh"), format!("{KEY_LINE}\n")).unwrap();
    rel.push_str("deep.sh");
    assert_outcome(&scan(dir.path(), &[]), vec![(&rel, 1)], &[]);
}

#[test]
fn twenty_thousand_tiny_files() {
    let dir = tree();
    for d in 0..100 {
        let sub = dir.path().join(format!("pkg{d:03}"));
        std::fs::create_dir(&sub).unwrap();
        for f in 0..200 {
            std::fs::write(sub.join(format!("m{f:03}.py")), "import os\n").unwrap();
        }
    }
    std::fs::write(dir.path().join("pkg050/m100.py"), "import os\nkey = os.environ[\"CF_API_KEY\"]\n").unwrap();
    let run = scan(dir.path(), &["--threads", "2"]);
    assert_outcome(&run, vec![("pkg050/m100.py", 2)], &[]);
    assert_eq!(run.json()["summary"]["files_scanned"], 20_001);
}

#[cfg(unix)]
#[test]
fn odd_file_names() {
    let dir = tree();
    std::fs::create_dir(dir.path().join("with space")).unwrap();
    for name in ["with space/a b.sh", "ünï cødé ☁.sh", "new\nline.sh", "-dash.sh", "quote\"d.sh"] {
        std::fs::write(dir.path().join(name), format!("{KEY_LINE}\n")).unwrap();
    }
    let r = scan(dir.path(), &[]);
    assert_outcome(
        &r,
        vec![("-dash.sh", 1), ("new\nline.sh", 1), ("quote\"d.sh", 1), ("with space/a b.sh", 1), ("ünï cødé ☁.sh", 1)],
        &[],
    );
    // The other formats cope too.
    for format in ["human", "sarif"] {
        let r = run(args!["scan", "--no-config", "--format", format, dir.path()]);
        assert_eq!(r.code, 1, "{format}: {}", r.stderr);
    }
}

#[test]
fn gitignore_negations_are_honoured() {
    let dir = tree();
    std::fs::write(dir.path().join(".gitignore"), "*.sh\n!keep.sh\n!normal.sh\nbuild/\n").unwrap();
    std::fs::write(dir.path().join("drop.sh"), format!("{KEY_LINE}\n")).unwrap();
    std::fs::write(dir.path().join("keep.sh"), format!("{KEY_LINE}\n")).unwrap();
    std::fs::create_dir_all(dir.path().join("sub/build")).unwrap();
    std::fs::write(dir.path().join("sub/keep.sh"), format!("{KEY_LINE}\n")).unwrap();
    std::fs::write(dir.path().join("sub/build/keep.sh"), format!("{KEY_LINE}\n")).unwrap();
    assert_outcome(&scan(dir.path(), &[]), vec![("keep.sh", 1), ("sub/keep.sh", 1)], &[]);
    // --no-ignore scans everything.
    let all = scan(dir.path(), &["--no-ignore"]);
    assert_eq!(found(&all.json()).len(), 5);
}

/// Files vanish while the scan runs: each may be warned about (once), nothing panics.
#[test]
fn files_deleted_during_the_scan() {
    let dir = tree();
    let many = dir.path().join("many");
    std::fs::create_dir(&many).unwrap();
    let n = 3000;
    for i in 0..n {
        std::fs::write(many.join(format!("f{i:04}.sh")), format!("echo {i}\n{KEY_LINE}\n")).unwrap();
    }
    let rules = scopesmith::rules::RuleSet::load(&[]).unwrap();
    let opts = scopesmith::scan::ScanOptions {
        walk: scopesmith::scan::WalkOptions { threads: 2, ..scopesmith::scan::ScanOptions::default().walk },
        ..Default::default()
    };
    let remover = {
        let many = many.clone();
        std::thread::spawn(move || {
            for i in (0..n).rev().step_by(3) {
                let _ = std::fs::remove_file(many.join(format!("f{i:04}.sh")));
            }
        })
    };
    let result = scopesmith::scan::scan(&[dir.path().to_path_buf()], &rules.detect, &opts).expect("scan runs");
    remover.join().unwrap();
    assert!(result.findings.iter().any(|f| f.path == "normal.sh"));
    let mut seen = std::collections::BTreeSet::new();
    for w in &result.warnings {
        assert!(seen.insert(&w.path), "{} warned about twice", w.path);
        assert_eq!(w.reason, scopesmith::finding::WarningReason::Unreadable, "{w:?}");
    }
    // A file the remover never touched is scanned; one it removed is scanned, warned about
    // or (gone before the walk reached it) not seen at all.
    let kept = n - (0..n).rev().step_by(3).count();
    let seen = result.stats.files_scanned + result.warnings.len();
    assert!((kept + 1..=n + 1).contains(&seen), "{seen} of {n}");
}

// ---- malformed inputs: exit 2, the file, the line, the field ----

fn assert_points_at(run: &Run, file: &str, line: &str, field: &str) {
    assert_eq!(run.code, 2, "{}", run.stderr);
    let err = &run.stderr;
    assert!(err.contains(file), "no file name `{file}` in:\n{err}");
    assert!(err.contains(line), "no `{line}` in:\n{err}");
    assert!(err.contains(field), "no field `{field}` in:\n{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn an_unknown_field_deep_in_a_rule() {
    let rules = tempfile::tempdir().unwrap();
    let file = rules.path().join("deep.yaml");
    std::fs::write(
        &file,
        "rules:\n  - id: acme-key\n    kind: env\n    severity: low\n    summary: s\n    why: w\n    fix: f\n    keywords: [\"acme_key\"]\n    pattern: 'ACME_KEY'\n    examples:\n      match: ['ACME_KEY=1']\n      nomatch: ['x']\n",
    )
    .unwrap();
    let r = run(args!["rules", "check", &file]);
    assert_points_at(&r, "deep.yaml", "line 12", "nomatch");
    let tree = tree();
    let r = run(args!["scan", "--rules", rules.path(), tree.path()]);
    assert_points_at(&r, "deep.yaml", "12 │", "nomatch");
}

#[test]
fn a_bad_value_in_the_config_file() {
    let dir = tree();
    std::fs::write(
        dir.path().join(".scopesmith.yaml"),
        "exclude:\n  - vendor/**\nseverity:\n  x-auth-key-header: urgent\n",
    )
    .unwrap();
    let r = run(args!["scan", dir.path()]);
    assert_points_at(&r, ".scopesmith.yaml", "line 4", "urgent");
}

#[test]
fn a_baseline_of_the_wrong_shape() {
    let dir = tree();
    let base = dir.path().join("base.json");
    std::fs::write(
        &base,
        "{\n  \"version\": 1,\n  \"entries\": [\n    {\"rule\": \"x\", \"path\": \"a\", \"fingerprint\": 5}\n  ]\n}\n",
    )
    .unwrap();
    let r = run(args!["scan", "--no-config", "--baseline", base, dir.path()]);
    assert_points_at(&r, "base.json", "line 4", "fingerprint");
}

#[test]
fn a_truncated_saved_result() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("cut.json");
    std::fs::write(&saved, "{\n  \"version\": 1,\n  \"findings\": [\n    {\"rule\": \"x-auth-key-header\",").unwrap();
    let r = run(args!["report", "--format", "markdown", saved]);
    assert_points_at(&r, "cut.json", "line 4", "EOF");
}

// ---- determinism ----

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// SARIF, plan JSON and the fix diff are byte-identical for 1 and 2 threads and from run to
/// run (scan JSON: `tests/cli.rs`).
#[test]
fn sarif_plan_and_fix_output_are_deterministic() {
    for cmd in [&["scan", "--format", "sarif"][..], &["plan", "--format", "json"], &["fix"]] {
        let go = |threads: &str| {
            let mut args: Vec<OsString> = cmd.iter().map(OsString::from).collect();
            args.extend(["--threads".into(), threads.into(), fixtures().into()]);
            let r = run(args);
            // scan gates (1: found); plan and fix exit 0 when they ran (issue 20).
            assert_eq!(r.code, if cmd[0] == "scan" { 1 } else { 0 }, "{cmd:?}: {}", r.stderr);
            (r.stdout, r.stderr)
        };
        let first = go("1");
        assert!(!first.0.is_empty());
        assert!(first == go("2"), "{cmd:?} differs between 1 and 2 threads");
        assert!(first == go("2"), "{cmd:?} differs from run to run");
    }
}

// ---- secrets in every output ----

const OLD_KEY: &str = "8f3c2a9e1b7d4f6a0c5e8b2d9f1a3c7e5b4d6";
const CFK: &str = "cfk_Q7wErTyUiOpAsDfGhJkLzXcVbNm1234567890Abc0f1e2d3c";
const CFUT: &str = "cfut_Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0FeDcBaQwErTy4b5c6d7e";
const CFAT: &str = "cfat_Mn0Bv9Cx8Zl7Kj6Hg5Fd4Sa3Po2Iu1YtReWqAsDf9a8b7c6d5";

fn origin_ca() -> String {
    let hex = "0123456789abcdef";
    let tail: String = hex.chars().cycle().skip(3).take(146).collect();
    format!("v1.0-{}-{tail}", &"a1b2c3d4e5f6".repeat(2))
}

fn secrets() -> Vec<String> {
    let s = vec![OLD_KEY.to_string(), CFK.to_string(), CFUT.to_string(), CFAT.to_string(), origin_ca()];
    assert_eq!(s[0].len(), 37);
    assert_eq!(s[1].len(), 4 + 48);
    assert_eq!(s[4].len(), 5 + 24 + 1 + 146);
    s
}

/// Keys where real projects leave them: assignments, headers, env files, config, comments.
fn plant(dir: &Path) {
    let ca = origin_ca();
    let files = [
        (
            "deploy/purge.sh",
            format!(
                "#!/bin/sh\nCF_API_KEY=\"{OLD_KEY}\"\ncurl -X POST \"https://api.cloudflare.com/client/v4/zones/$ZONE/purge_cache\" \\\n  -H \"X-Auth-Email: ops@example.com\" \\\n  -H \"X-Auth-Key: {OLD_KEY}\" \\\n  -H \"X-Debug-Token: {CFUT}\" \\\n  --data '{{\"purge_everything\":true}}'\n"
            ),
        ),
        (
            "app/cf.py",
            format!(
                "import CloudFlare\n\n# old token: {CFAT}\ncf = CloudFlare.CloudFlare(email=\"ops@example.com\", key=\"{CFK}\")\nprint(cf.zones.get())\n"
            ),
        ),
        (
            ".env",
            format!("CLOUDFLARE_API_KEY={CFK}\nCLOUDFLARE_EMAIL=ops@example.com\nCF_API_TOKEN={CFUT}\n"),
        ),
        ("certs/origin.sh", format!("export CF_ORIGIN_CA_KEY=\"{ca}\"\ncurl -H \"X-Auth-User-Service-Key: {ca}\" https://api.cloudflare.com/client/v4/certificates\n")),
        (
            "infra/main.tf",
            format!("provider \"cloudflare\" {{\n  email   = \"ops@example.com\"\n  api_key = \"{OLD_KEY}\"\n  # api_token = \"{CFAT}\"\n}}\n"),
        ),
    ];
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

fn all_files(dir: &Path) -> BTreeMap<PathBuf, String> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().to_path_buf(), String::from_utf8_lossy(&std::fs::read(e.path()).unwrap()).into_owned()))
        .collect()
}

fn assert_no_secret(what: &str, text: &str) {
    for s in secrets() {
        assert!(!text.contains(&s), "{what} shows the secret starting {}:\n{text}", &s[..8]);
    }
}

#[test]
fn no_command_or_format_shows_a_planted_secret() {
    let tree = tempfile::tempdir().unwrap();
    plant(tree.path());
    let root = tree.path().to_path_buf();
    let out = tempfile::tempdir().unwrap();
    let mut checked = 0;
    let mut check = |args: Vec<OsString>, files_in: Option<&Path>| {
        let r = run(args.clone());
        assert!(r.code == 0 || r.code == 1, "{args:?}: {}", r.stderr);
        let what = format!("{args:?}");
        assert_no_secret(&what, &r.stdout);
        assert_no_secret(&what, &r.stderr);
        if let Some(dir) = files_in {
            let files = all_files(dir);
            assert!(!files.is_empty(), "{what} wrote nothing");
            for (path, text) in files {
                assert_no_secret(&format!("{what}: {}", path.display()), &text);
            }
        }
        checked += 1;
        r
    };
    let os = |v: &[&str]| -> Vec<OsString> { v.iter().map(OsString::from).collect() };
    let with_root = |v: &[&str]| {
        let mut a = os(v);
        a.push(root.clone().into());
        a
    };
    let scan = check(with_root(&["scan", "--format", "human", "-v"]), None);
    assert_eq!(scan.code, 1, "the planted keys are found: {}", scan.stderr);
    check(with_root(&["scan", "--format", "json"]), None);
    check(with_root(&["scan", "--format", "sarif"]), None);
    check(with_root(&["plan", "--format", "human"]), None);
    check(with_root(&["plan", "--format", "json"]), None);
    for emit in ["cloudflare-json", "terraform"] {
        let dest = out.path().join(emit);
        let mut a = with_root(&["plan", "--emit", emit, "--out"]);
        a.insert(a.len() - 1, dest.clone().into());
        check(a, Some(&dest));
    }
    for format in ["markdown", "html"] {
        let dest = out.path().join(format!("report-{format}"));
        std::fs::create_dir(&dest).unwrap();
        let mut a = with_root(&["report", "--format", format, "--out"]);
        a.insert(a.len() - 1, dest.join("report").into());
        check(a, Some(&dest));
        check(with_root(&["report", "--format", format]), None);
    }
    // A saved scan read back by `report`.
    let saved = out.path().join("saved");
    std::fs::create_dir(&saved).unwrap();
    let json = run(with_root(&["scan", "--format", "json"])).stdout;
    std::fs::write(saved.join("scan.json"), json).unwrap();
    check(os(&["report", "--format", "markdown", saved.join("scan.json").to_str().unwrap()]), None);
    // `fix` prints a diff: it may not show a key, in removed or added lines.
    let diff = check(with_root(&["fix"]), None);
    assert!(diff.stderr.contains("migrated") || diff.stderr.contains("declined"), "{}", diff.stderr);
    // `fix --apply` rewrites the user's files: no file may gain a copy of a secret.
    let before = all_files(&root);
    let applied = check(with_root(&["fix", "--apply"]), None);
    assert!(applied.stderr.contains("wrote"), "{}", applied.stderr);
    let after = all_files(&root);
    assert_eq!(before.keys().collect::<Vec<_>>(), after.keys().collect::<Vec<_>>(), "fix left or removed files");
    for (path, new) in &after {
        let old = &before[path];
        for s in secrets() {
            assert!(
                new.matches(&s).count() <= old.matches(&s).count(),
                "fix --apply added a copy of a secret to {}",
                path.display()
            );
        }
    }
    // And its scan afterwards still redacts what is left.
    check(with_root(&["scan", "--format", "human", "-v"]), None);
    assert_eq!(checked, 15);
}
