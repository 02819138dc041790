//! Property tests (issue 9): the stages that take text from the scanned tree or the user never
//! panic, whatever the text. The path normaliser and endpoint matcher, the rule loader, the
//! detector (and the planner behind it) and the patch generator are each fed arbitrary input
//! and input built from the fragments real files hold.
//!
//! "For every fixture, `fix --apply` then `scan` finds nothing fix claimed to migrate" is
//! `tests/fix.rs::every_fixture_is_migrated_or_explained`; here the same check runs on
//! generated files around a real key use.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use proptest::prelude::*;
use scopesmith::finding::Role;
use scopesmith::fix::{self, Status};
use scopesmith::infer::endpoint::{normalise, resolve};
use scopesmith::rules::{RuleSet, RuleSource};
use scopesmith::scan::detect::Detector;

static RULES: LazyLock<RuleSet> = LazyLock::new(|| RuleSet::load(&[]).expect("built-in rules load"));

/// `fix` as the CLI runs it: on the plan of the same scan.
fn fix_plan(result: &scopesmith::scan::ScanResult) -> scopesmith::fix::FixSet {
    let rules = scopesmith::rules::RuleSet::load(&[]).expect("built-in rules load");
    scopesmith::fix::plan(result, &scopesmith::infer::plan(result, &rules.knowledge), &rules.knowledge.rewrites)
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

/// Pieces of URLs as code writes them: interpolation of every syntax, ids, queries, quotes.
fn url_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("/zones".to_string()),
        Just("/accounts".to_string()),
        Just("/dns_records".to_string()),
        Just("/purge_cache".to_string()),
        Just("/${ZONE_ID}".to_string()),
        Just("/{zone_id}".to_string()),
        Just("/$ZONE".to_string()),
        Just("/%s".to_string()),
        Just("/#{id}".to_string()),
        Just("/\" + id + \"".to_string()),
        Just("/' . $id . '".to_string()),
        Just("/0d6e2c61a3b1f0e0f9c4d7a8b2e5c3a1".to_string()),
        Just("?name=example.com&per_page=5".to_string()),
        Just("#frag".to_string()),
        Just("/".to_string()),
        Just("{".to_string()),
        Just("}".to_string()),
        Just("\"".to_string()),
        "[a-z_]{1,12}",
        "\\PC{0,6}",
    ]
}

fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("GET".to_string()),
        Just("POST".to_string()),
        Just("PUT".to_string()),
        Just("PATCH".to_string()),
        Just("DELETE".to_string()),
        "\\PC{0,8}"
    ]
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn normaliser_and_matcher_take_any_string(raw in any::<String>(), method in method()) {
        let n = normalise(&raw);
        let _ = n.template();
        let _ = resolve(&RULES.knowledge.operations, &method, &n);
    }

    #[test]
    fn normaliser_and_matcher_take_any_url(pieces in prop::collection::vec(url_piece(), 0..12), method in method()) {
        let raw: String = pieces.concat();
        let n = normalise(&raw);
        let template = n.template();
        prop_assert!(template.starts_with('/'));
        if let Some(op) = resolve(&RULES.knowledge.operations, &method, &n) {
            prop_assert_eq!(&op.method, &method);
        }
    }
}

/// A built-in detection file, for mutations that keep most of a valid shape.
fn detect_source() -> String {
    scopesmith::rules::load::builtin_sources()
        .into_iter()
        .find(|s| s.name.ends_with("detect/headers.yaml"))
        .expect("headers.yaml is built in")
        .text
}

fn yaml_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("rules:\n".to_string()),
        Just("  - id: r\n".to_string()),
        Just("    kind: header\n".to_string()),
        Just("    severity: high\n".to_string()),
        Just("    keywords: [\"x\"]\n".to_string()),
        Just("    pattern: '(?P<cred>X)'\n".to_string()),
        Just("    pattern: '(unclosed'\n".to_string()),
        Just("    window: 99999999999\n".to_string()),
        Just("    examples:\n      match: ['x']\n".to_string()),
        Just("operations:\n  - method: GET\n    path: /zones\n".to_string()),
        Just("groups: {}\n".to_string()),
        Just("calls: []\n".to_string()),
        Just("tool: t\n".to_string()),
        Just("&a [*a]\n".to_string()),
        Just("? \n".to_string()),
        Just("\t- \u{0}\n".to_string()),
        "\\PC{0,10}\n?",
    ]
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn rule_loader_takes_any_text(text in any::<String>()) {
        let _ = RuleSet::from_sources(&[RuleSource { name: "user.yaml".into(), text }]);
    }

    #[test]
    fn rule_loader_takes_any_yaml_shape(pieces in prop::collection::vec(yaml_piece(), 0..16)) {
        let _ = RuleSet::from_sources(&[RuleSource { name: "user.yaml".into(), text: pieces.concat() }]);
    }

    #[test]
    fn rule_loader_takes_a_mangled_builtin_file(cut in 0usize..10_000, insert in "\\PC{0,20}") {
        let mut text = detect_source();
        let mut at = cut % (text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        text.insert_str(at, &insert);
        // Alone, not with every built-in file: compiling them all per case is slow.
        let _ = RuleSet::from_sources(&[RuleSource { name: "headers.yaml".into(), text: text.clone() }]);
        text.truncate(at);
        let _ = RuleSet::from_sources(&[RuleSource { name: "headers.yaml".into(), text }]);
    }
}

/// Lines real files hold, with the keywords every rule looks for.
fn source_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("curl -H \"X-Auth-Key: $CF_API_KEY\" -H \"X-Auth-Email: $CF_EMAIL\" \\\n".to_string()),
        Just("  https://api.cloudflare.com/client/v4/zones/$ZONE/dns_records\n".to_string()),
        Just("cf = CloudFlare.CloudFlare(email=e, key=os.environ[\"CF_API_KEY\"])\n".to_string()),
        Just("key = os.getenv('CLOUDFLARE_API_KEY')\n".to_string()),
        Just("CF_API_KEY=\"0d6e2c61a3b1f0e0f9c4d7a8b2e5c3a1f0d9e\"\n".to_string()),
        Just("let k = \"cfk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA0123abcd\";\n".to_string()),
        Just("provider \"cloudflare\" {\n  api_key = var.key\n".to_string()),
        Just("fn main() { let c = cloudflare::Client::new(Credentials::UserAuthKey { email, key }); }\n".to_string()),
        Just("# scopesmith:ignore[x-auth-key-header] reason\n".to_string()),
        Just("# scopesmith:ignore[\n".to_string()),
        Just("x-auth-key".to_string()),
        Just("${".to_string()),
        Just("\"".to_string()),
        Just("\r\n".to_string()),
        Just("\r".to_string()),
        Just("\u{0}".to_string()),
        Just("é☁\u{feff}".to_string()),
        any::<String>(),
    ]
}

fn file_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("a.sh"),
        Just("a.py"),
        Just("a.js"),
        Just("a.rs"),
        Just("main.tf"),
        Just(".env"),
        Just("values.yaml"),
        Just("a.go"),
        Just("a.php"),
        Just("a.rb"),
        Just("Dockerfile"),
        Just("noext"),
    ]
    .prop_map(str::to_string)
}

fn scan_options() -> scopesmith::scan::ScanOptions {
    scopesmith::scan::ScanOptions { max_file_size: 1 << 20, ..Default::default() }
}

fn scan(dir: &Path) -> scopesmith::scan::ScanResult {
    scopesmith::scan::scan(&[dir.to_path_buf()], &RULES.detect, &scan_options()).expect("scan runs")
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn detector_takes_any_text(pieces in prop::collection::vec(source_piece(), 0..24), name in file_name()) {
        let text = pieces.concat();
        let detector = Detector::new(&RULES.detect);
        if let Some(c) = detector.candidates(text.as_bytes(), &name) {
            for f in detector.detect(&name, &text, c) {
                prop_assert!(f.line >= 1 && f.line <= f.end_line);
                prop_assert!(f.line <= text.split('\n').count());
            }
        }
    }
}

proptest! {
    #![proptest_config(config(64))]

    /// Bytes through the whole read -> detect -> plan -> fix pipeline, from a real file.
    #[test]
    fn scan_plan_and_fix_take_any_bytes(
        head in prop::collection::vec(any::<u8>(), 0..200),
        pieces in prop::collection::vec(source_piece(), 0..8),
        tail in prop::collection::vec(any::<u8>(), 0..200),
        name in file_name(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = head;
        bytes.extend(pieces.concat().into_bytes());
        bytes.extend(tail);
        std::fs::write(dir.path().join(&name), &bytes).unwrap();
        let result = scan(dir.path());
        let _ = scopesmith::infer::plan(&result, &RULES.knowledge);
        let set = fix_plan(&result);
        let _ = fix::diff(&set);
        let _ = fix::summary(&set, None);
    }

    /// Arbitrary text around a real key use: the patch generator never panics, and after
    /// `fix --apply` no key use that fix claimed to migrate is found again.
    #[test]
    fn fix_then_scan_finds_nothing_fix_migrated(
        before in prop::collection::vec(source_piece(), 0..6),
        after in prop::collection::vec(source_piece(), 0..6),
        name in prop_oneof![Just("purge.sh"), Just("cf.py"), Just("deploy.js")],
        crlf in any::<bool>(),
    ) {
        let line = match name {
            "purge.sh" => "curl -H \"X-Auth-Email: $CF_EMAIL\" -H \"X-Auth-Key: $CF_API_KEY\" https://api.cloudflare.com/client/v4/zones/$ZONE/purge_cache",
            "cf.py" => "requests.get(URL, headers={\"X-Auth-Email\": os.environ[\"CF_EMAIL\"], \"X-Auth-Key\": os.environ[\"CF_API_KEY\"]})",
            _ => "fetch(url, { headers: { 'X-Auth-Email': process.env.CF_EMAIL, 'X-Auth-Key': process.env.CF_API_KEY } })",
        };
        // Whole lines around the use: fragments glued onto one line can make a line that is
        // still a key use after any rewrite (`x-auth-key${curl -H "X-Auth-Key: …"`).
        let mut text = format!("{}\n{line}\n{}\n", before.join("\n"), after.join("\n"));
        if crlf {
            text = text.replace("\r\n", "\n").replace('\n', "\r\n");
        }
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(name);
        std::fs::write(&file, &text).unwrap();
        let result = scan(dir.path());
        let set = fix_plan(&result);
        let _ = fix::diff(&set);
        let roots: Vec<PathBuf> = vec![dir.path().to_path_buf()];
        if fix::apply(&set, &roots).is_err() {
            return Ok(());
        }
        let migrated: Vec<_> =
            set.sites.iter().filter(|s| s.role == Role::Key && s.status == Status::Migrated).collect();
        let blocked = set.sites.iter().any(|s| s.role == Role::Key && s.status != Status::Migrated);
        if !migrated.is_empty() && !blocked {
            let again = scan(dir.path());
            let left: Vec<_> = again.findings.iter().filter(|f| f.role == Role::Key).map(|f| (f.line, &f.snippet)).collect();
            prop_assert!(left.is_empty(), "fix claimed {migrated:?} but left {left:?} in:\n{}", std::fs::read_to_string(&file).unwrap_or_default());
        }
    }
}
