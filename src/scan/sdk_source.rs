//! An SDK's own source tree defines the key option: cloudflare-go's `option.WithAPIKey` and the
//! generated tests that exercise it with placeholder values, cloudflare-python's client reading
//! `CLOUDFLARE_API_KEY` and setting `X-Auth-Key`, wrangler's and the Terraform provider's own
//! environment variables. Those are not uses of anyone's key. The tree is recognised by its
//! manifest naming the SDK itself (a `go.mod` module path, a package name), not by file names.
//!
//! Inside such a tree a finding stays when it is a use after all: a hard-coded key shape, a
//! credential read from somewhere other than the SDK's own documented variables (a script in
//! the repository reading `CF_API_KEY`, a Terraform variable), a header call sending even the
//! SDK's own variable, and a workflow, script or env file setting it (the SDK's CI running with
//! a real key): only the SDK's code reading its variable is the definition.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::credential::{name_in, Aliases};
use crate::finding::{Finding, Kind};

/// A Cloudflare SDK or tool that implements Global API Key authentication itself.
struct Sdk {
    /// The manifest file and a pattern of its content that names the SDK.
    manifest: &'static str,
    names: &'static str,
    /// The environment variables the SDK itself reads for the key and the e-mail.
    own_vars: &'static [&'static str],
}

/// What the SDKs, the provider and wrangler read for the key, the e-mail and the user service key.
const CLOUDFLARE_VARS: &[&str] =
    &["CLOUDFLARE_API_KEY", "CLOUDFLARE_EMAIL", "CLOUDFLARE_API_EMAIL", "CLOUDFLARE_API_USER_SERVICE_KEY"];
/// certbot-dns-cloudflare's credential options.
const CERTBOT_OPTIONS: &[&str] = &["dns_cloudflare_email", "dns_cloudflare_api_key"];

/// Sources: shared/cloudflare/facts.md 1.3 (cloudflare-go option/requestoption.go, client.go;
/// cloudflare-python _client.py; cloudflare-typescript client.ts; python-cloudflare
/// cloudflare.py; terraform-provider-cloudflare provider.go; wrangler's user/auth-variables.ts).
const SDKS: &[Sdk] = &[
    Sdk {
        manifest: "go.mod",
        names: r"(?m)^module\s+github\.com/cloudflare/(?:cloudflare-go|terraform-provider-cloudflare)(?:/v\d+)?\s*$",
        own_vars: CLOUDFLARE_VARS,
    },
    Sdk {
        manifest: "pyproject.toml",
        names: r#"(?m)^name\s*=\s*["'](?:cloudflare|CloudFlare)["']\s*$"#,
        own_vars: CLOUDFLARE_VARS,
    },
    Sdk { manifest: "setup.py", names: r#"\bname\s*=\s*["'](?:cloudflare|CloudFlare)["']"#, own_vars: CLOUDFLARE_VARS },
    // certbot's Cloudflare plugin defines the INI options its users set (facts.md 1.4).
    Sdk {
        manifest: "pyproject.toml",
        names: r#"(?m)^name\s*=\s*["']certbot-dns-cloudflare["']\s*$"#,
        own_vars: CERTBOT_OPTIONS,
    },
    Sdk { manifest: "setup.py", names: r#"\bname\s*=\s*["']certbot-dns-cloudflare["']"#, own_vars: CERTBOT_OPTIONS },
    // The SDK, wrangler, and every package of Cloudflare's own npm scope (`@cloudflare/...`:
    // only Cloudflare publishes there; workers-sdk's auth and utility packages read wrangler's
    // variables).
    Sdk {
        manifest: "package.json",
        names: r#"^\s*\{\s*"name"\s*:\s*"(?:cloudflare|wrangler|@cloudflare/[a-z0-9._-]+)""#,
        own_vars: CLOUDFLARE_VARS,
    },
    Sdk {
        manifest: "composer.json",
        names: r#""name"\s*:\s*"cloudflare/sdk""#,
        own_vars: &["CLOUDFLARE_API_KEY", "CLOUDFLARE_EMAIL"],
    },
    Sdk {
        manifest: "Cargo.toml",
        names: r#"(?m)^name\s*=\s*"cloudflare"\s*$"#,
        own_vars: &["CLOUDFLARE_API_KEY", "CLOUDFLARE_EMAIL"],
    },
];

/// Manifest patterns, compiled once per scan, and each folder's SDK (or none), looked up once
/// per folder and shared by the walker's threads.
pub(crate) struct SdkTrees {
    compiled: Vec<regex::Regex>,
    trees: Mutex<BTreeMap<PathBuf, Option<usize>>>,
}

/// The bytes of a manifest read: real ones are a few KiB, and a planted huge one must not cost
/// its size.
const MAX_MANIFEST: u64 = 256 * 1024;

impl SdkTrees {
    pub(crate) fn new() -> SdkTrees {
        SdkTrees {
            compiled: SDKS
                .iter()
                .map(|s| crate::pattern::new(s.names).expect("built-in SDK manifest pattern"))
                .collect(),
            trees: Mutex::new(BTreeMap::new()),
        }
    }

    /// Drops, from one file's findings, those that are an SDK's own definition of the key
    /// option. Run on the walker's thread as each file is scanned, so a dropped finding (and a
    /// text kept only for it) is never held for the rest of the scan.
    pub(crate) fn drop_definitions(&self, findings: &mut Vec<Finding>, real: &Path, text: &str) {
        let Some(dir) = real.parent() else { return };
        if findings.iter().all(|f| f.secret.is_some()) {
            return;
        }
        let Some(sdk) = self.sdk_tree(dir) else { return };
        let own = SDKS[sdk].own_vars;
        let code = defines_options(real);
        let lines: Vec<&str> = text.lines().collect();
        // The file's own sources are found once, for every finding that asks.
        let aliases = std::cell::OnceCell::new();
        findings.retain(|f| {
            if f.secret.is_some() {
                return true;
            }
            let Some(cred) = &f.credential else { return false };
            let line = lines.get(f.line.saturating_sub(1)).copied().unwrap_or("");
            // Reading its own variable in its own code is the SDK's implementation; a raw call
            // sending it is a use, and so is a workflow, script or env file setting it (the SDK's
            // CI runs with a real key), since the option is never defined there.
            if own.contains(&cred.as_str()) {
                if !code {
                    return true;
                }
                // In the SDK's code a header sending its own variable is the implementation
                // (`{"X-Auth-Key": self.api_key}`) unless the line itself reads the variable.
                return f.kind == Kind::Header && name_in(line).as_deref() == Some(cred.as_str())
                    || !matches!(f.kind, Kind::Env | Kind::Config | Kind::Sdk | Kind::Header);
            }
            // Kept only when the credential is read from a source: on the line, or through a
            // variable of the file.
            name_in(line).as_deref() == Some(cred.as_str())
                || aliases.get_or_init(|| Aliases::of(text)).sources().any(|s| s == cred)
        });
    }

    /// The SDK whose manifest is the nearest one above `dir`, if it names the SDK.
    fn sdk_tree(&self, dir: &Path) -> Option<usize> {
        if let Some(hit) = self.trees.lock().unwrap_or_else(|e| e.into_inner()).get(dir) {
            return *hit;
        }
        let mut found = None;
        let mut manifest_seen = false;
        // Several entries share a manifest name (pyproject.toml): each file is read once.
        let mut read: Vec<(&str, Option<String>)> = Vec::new();
        for (i, sdk) in SDKS.iter().enumerate() {
            let text = match read.iter().find(|(name, _)| *name == sdk.manifest) {
                Some((_, text)) => text.clone(),
                None => {
                    let text = crate::limits::read_capped(&dir.join(sdk.manifest), MAX_MANIFEST)
                        .ok()
                        .map(|b| String::from_utf8_lossy(&b).into_owned());
                    read.push((sdk.manifest, text.clone()));
                    text
                }
            };
            let Some(text) = text else { continue };
            // A manifest of another project below an SDK's root (an example app) ends the search.
            if sdk.manifest != "Cargo.toml" || text.contains("[package]") {
                manifest_seen = true;
            }
            if self.compiled[i].is_match(&text) {
                found = Some(i);
                break;
            }
        }
        // The lock is not held while a parent is looked up: two threads may both read a
        // folder's manifests, and agree.
        let result = if found.is_some() || manifest_seen { found } else { dir.parent().and_then(|p| self.sdk_tree(p)) };
        self.trees.lock().unwrap_or_else(|e| e.into_inner()).insert(dir.to_path_buf(), result);
        result
    }
}

/// Whether `path` is code an SDK can implement its options in: a source file of a programming
/// language. Workflows, shell scripts, compose and env files only set or send a value.
fn defines_options(path: &Path) -> bool {
    const CODE: &[&str] =
        &["go", "py", "pyi", "ts", "tsx", "mts", "cts", "js", "mjs", "cjs", "php", "rs", "rb", "java", "kt"];
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| CODE.contains(&e.to_ascii_lowercase().as_str()))
}
