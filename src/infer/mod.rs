//! `plan`: from scan findings to the least-privilege token each credential needs.
//!
//! Findings are grouped into credentials (same env var / secret / setting across files; a
//! nameless hard-coded key is named after its file). The files where a credential is used
//! are searched for API calls (`callsite.rs`), each call is matched to a catalog operation
//! (`endpoint.rs`), and the accepted groups of all operations, plus what tool profiles
//! state, are reduced to the smallest set (`permission.rs`). Nothing is dropped silently:
//! calls that match no operation and operations that refuse tokens are listed.

pub mod callsite;
pub mod collected;
pub mod endpoint;
pub mod permission;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use crate::finding::{Finding, Kind, Role};
use crate::rules::model::Scope;
use crate::rules::Knowledge;
use crate::scan::lines::Lines;
use crate::scan::ScanResult;
use callsite::{CallSite, Literals};

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub credentials: Vec<CredentialPlan>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Site {
    pub path: String,
    pub line: usize,
    pub kind: Kind,
    pub rule: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct EndpointUse {
    pub method: String,
    /// The catalog template, e.g. `/zones/{zone_id}/dns_records`.
    pub path: String,
    pub operation: String,
    pub accepted: Vec<String>,
    pub token_supported: bool,
    /// `path:line` of each call.
    pub sites: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Grant {
    pub name: String,
    pub scope: Scope,
    /// Zone or account ids, or zone names, written in the code; empty means all of them.
    pub resources: Vec<String>,
    /// Why: `GET /zones/{zone_id}/dns_records (app.py:12)` or `tool certbot`.
    pub because: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Unresolved {
    pub path: String,
    pub line: usize,
    pub method: String,
    pub call: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CredentialPlan {
    pub name: String,
    /// zone | account | user | mixed | none
    pub scope: String,
    pub hardcoded: bool,
    pub sites: Vec<Site>,
    pub endpoints: Vec<EndpointUse>,
    pub permissions: Vec<Grant>,
    pub unresolved: Vec<Unresolved>,
    pub warnings: Vec<String>,
    /// Set when the app collects its users' keys: not one token (see `collected.rs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collected: Option<collected::Collected>,
}

/// Setting names too generic to join credentials across files.
const GENERIC: &[&str] = &[
    "password",
    "token",
    "key",
    "apikey",
    "api_key",
    "login",
    "auth_key",
    "account_api_key",
    "account_api_token",
    "dns_cloudflare_api_key",
    "dns-cloudflare-api-key",
    "cloudflare:apiKey",
];

fn credential_key(f: &Finding) -> Option<String> {
    let name = f.credential.clone()?;
    Some(if GENERIC.contains(&name.as_str()) { format!("{name} ({})", f.path) } else { name })
}

pub fn plan(result: &ScanResult, knowledge: &Knowledge) -> Plan {
    // Credentials by key; email sites join the key credential used in the same file.
    let mut groups: BTreeMap<String, Vec<&Finding>> = BTreeMap::new();
    for f in result.findings.iter().filter(|f| f.role == Role::Key) {
        let key = credential_key(f).unwrap_or_else(|| f.path.clone());
        groups.entry(key).or_default().push(f);
    }
    for f in result.findings.iter().filter(|f| f.role == Role::Email) {
        let target = groups
            .iter()
            .filter(|(_, sites)| sites.iter().any(|s| s.path == f.path))
            .min_by_key(|(_, sites)| sites.iter().filter(|s| s.path == f.path).map(|s| s.line.abs_diff(f.line)).min())
            .map(|(k, _)| k.clone());
        if let Some(k) = target {
            groups.entry(k).or_default().push(f);
        }
    }
    let mut files = FileCache::new(&result.sources);
    // Each file's calls go to the credential used nearest to them.
    let mut owner: BTreeMap<String, Vec<(usize, String)>> = BTreeMap::new();
    for (name, sites) in &groups {
        for s in sites.iter().filter(|s| s.role == Role::Key) {
            owner.entry(s.path.clone()).or_default().push((s.line, name.clone()));
        }
    }
    let credentials = groups.iter().map(|(name, sites)| plan_one(name, sites, &owner, knowledge, &mut files)).collect();
    Plan { credentials }
}

fn plan_one(
    name: &str,
    sites: &[&Finding],
    owner: &BTreeMap<String, Vec<(usize, String)>>,
    k: &Knowledge,
    files: &mut FileCache,
) -> CredentialPlan {
    let mut site_list: Vec<Site> =
        sites.iter().map(|f| Site { path: f.path.clone(), line: f.line, kind: f.kind, rule: f.rule.clone() }).collect();
    site_list.sort();
    site_list.dedup();
    let key_files: BTreeSet<&str> = sites.iter().filter(|f| f.role == Role::Key).map(|f| f.path.as_str()).collect();
    let sdk_names: BTreeSet<&str> = sites.iter().filter_map(|f| f.sdk.as_deref()).collect();
    let tools: BTreeSet<&str> = sites.iter().filter_map(|f| f.tool.as_deref()).collect();

    let mut calls: Vec<CallSite> = Vec::new();
    let mut literals = Literals::default();
    let mut warnings = Vec::new();
    for path in &key_files {
        let Some(text) = files.text(path) else {
            continue;
        };
        let lines = Lines::new(&text);
        let sdks = sdks_for(k, path, &sdk_names);
        let mut found = callsite::http_calls(path, &text, &lines);
        found.extend(callsite::sdk_calls(path, &text, &lines, &sdks));
        // Calls in a file used by several credentials go to the nearest use.
        let owners = owner.get(*path).cloned().unwrap_or_default();
        found.retain(|c| nearest(&owners, c.line).is_none_or(|n| n == name));
        calls.extend(found);
        merge_literals(&mut literals, callsite::literals(&text));
        // An SDK client is often built in one file and used by its package neighbours.
        if sites.iter().any(|f| f.path == *path && f.kind == Kind::Sdk) {
            for sibling in files.siblings(path) {
                // A neighbour that builds its own token client is already migrated.
                if let Some(t) = files.text(&sibling).filter(|t| !TOKEN_CLIENT.is_match(t)) {
                    let l = Lines::new(&t);
                    calls.extend(callsite::sdk_calls(&sibling, &t, &l, &sdks));
                }
            }
        }
    }

    let mut requirements: Vec<(Vec<String>, String)> = Vec::new();
    let mut endpoints: BTreeMap<(String, String), EndpointUse> = BTreeMap::new();
    let mut unresolved = Vec::new();
    for c in &calls {
        let at = format!("{}:{}", c.path, c.line);
        if c.normal.is_dynamic() {
            unresolved.push(Unresolved {
                path: c.path.clone(),
                line: c.line,
                method: c.method.clone(),
                call: c.normal.template(),
                reason: "the URL is built at run time".into(),
            });
            continue;
        }
        match endpoint::resolve(&k.operations, &c.method, &c.normal) {
            Some(op) => {
                let e = endpoints.entry((op.path.clone(), op.method.clone())).or_insert_with(|| EndpointUse {
                    method: op.method.clone(),
                    path: op.path.clone(),
                    operation: op.id.clone(),
                    accepted: op.groups.clone(),
                    token_supported: op.accepts_token(),
                    sites: Vec::new(),
                });
                if !e.sites.contains(&at) {
                    e.sites.push(at.clone());
                }
                if !op.groups.is_empty() {
                    requirements.push((op.groups.clone(), format!("{} {} ({at})", op.method, op.path)));
                }
                if !op.accepts_token() && !op.groups.is_empty() {
                    // The spec lists token groups yet only the key scheme: grant, and say so.
                    let w = format!(
                        "{} {} is documented as Global-key only although it lists token groups: check that the token works for it before revoking the key",
                        op.method, op.path
                    );
                    if !warnings.contains(&w) {
                        warnings.push(w);
                    }
                } else if !op.accepts_token() {
                    unresolved.push(Unresolved {
                        path: c.path.clone(),
                        line: c.line,
                        method: op.method.clone(),
                        call: op.path.clone(),
                        reason: "Cloudflare documents this endpoint as not accepting API tokens: it blocks the migration of this call".into(),
                    });
                }
            }
            None => unresolved.push(Unresolved {
                path: c.path.clone(),
                line: c.line,
                method: c.method.clone(),
                call: c.normal.template(),
                reason: "no catalog operation matches this method and path".into(),
            }),
        }
    }
    for tool in &tools {
        let Some(profile) = k.tools.get(*tool) else {
            continue;
        };
        for g in &profile.permissions {
            requirements.push((vec![g.clone()], format!("{} needs it ({})", profile.title, profile.source)));
        }
        if !profile.resources.is_empty() {
            for (resource, groups) in terraform_resources(&key_files, files, profile) {
                for g in groups {
                    requirements.push((vec![g], format!("manages {resource}")));
                }
            }
        }
    }

    let sets: Vec<Vec<String>> = requirements.iter().map(|r| r.0.clone()).collect();
    let chosen = permission::minimal_cover(&sets);
    let mut grants: Vec<Grant> = chosen
        .iter()
        .map(|g| {
            let group = k.groups.get(g);
            let scope = group.map(|g| g.scope).unwrap_or(Scope::Zone);
            let because: Vec<String> = requirements.iter().filter(|r| r.0.contains(g)).map(|r| r.1.clone()).collect();
            let resources: Vec<String> = match scope {
                Scope::Zone => literals.zone_ids.iter().chain(&literals.zone_names).cloned().collect(),
                Scope::Account => literals.account_ids.iter().cloned().collect(),
                Scope::User => Vec::new(),
            };
            Grant { name: g.clone(), scope, resources, because, id: group.and_then(|g| g.id.clone()) }
        })
        .collect();
    grants.sort_by(|a, b| a.name.cmp(&b.name));
    let scopes: BTreeSet<Scope> = grants.iter().map(|g| g.scope).collect();
    let scope = match scopes.len() {
        0 => "none".to_string(),
        1 => scopes.iter().next().map(|s| s.as_str().to_string()).unwrap_or_default(),
        _ => "mixed".to_string(),
    };
    if grants.iter().any(|g| g.scope == Scope::Zone && g.resources.is_empty()) {
        warnings.push("no zone id or name appears in the code: the token is planned for all zones of the account; narrow it to the zones this code touches".into());
    }
    if grants.iter().any(|g| g.scope == Scope::Account && g.resources.is_empty()) {
        warnings.push("no account id appears in the code: the token is planned for all accounts; pin it to the one account this code uses".into());
    }
    if grants.is_empty() {
        warnings.push("no API call or tool profile was found for this credential, so no permission could be inferred; check where it is used and list the calls".into());
    }
    let mut endpoints: Vec<EndpointUse> = endpoints.into_values().collect();
    endpoints.sort_by(|a, b| (&a.path, &a.method).cmp(&(&b.path, &b.method)));
    unresolved.sort_by(|a, b| (&a.path, a.line, &a.call).cmp(&(&b.path, b.line, &b.call)));
    unresolved.dedup_by(|a, b| a.path == b.path && a.line == b.line && a.call == b.call);
    let collected = collected_property(&key_files, sites, files);
    CredentialPlan {
        collected,
        name: name.to_string(),
        scope,
        hardcoded: sites.iter().any(|f| f.kind == Kind::Literal),
        sites: site_list,
        endpoints,
        permissions: grants,
        unresolved,
        warnings,
    }
}

/// The collected-key property of a credential sent in headers or an SDK constructor.
fn collected_property(
    key_files: &BTreeSet<&str>,
    sites: &[&Finding],
    files: &FileCache,
) -> Option<collected::Collected> {
    if !sites.iter().any(|f| matches!(f.kind, Kind::Header | Kind::Sdk)) {
        return None;
    }
    let mut around: BTreeMap<String, PathBuf> = BTreeMap::new();
    for path in key_files {
        if let Some(real) = files.real(path) {
            around.extend(collected::neighbourhood(path, &real));
        }
    }
    let names: Vec<String> = around.keys().cloned().collect();
    collected::detect(&names, &mut |p| around.get(p).and_then(|r| collected::read_capped(r)))
}

fn nearest(owners: &[(usize, String)], line: usize) -> Option<&str> {
    owners.iter().min_by_key(|(l, _)| l.abs_diff(line)).map(|(_, n)| n.as_str())
}

fn merge_literals(into: &mut Literals, from: Literals) {
    into.zone_ids.extend(from.zone_ids);
    into.zone_names.extend(from.zone_names);
    into.account_ids.extend(from.account_ids);
}

/// The SDK maps for a file: those named by its findings, else every map of its language.
fn sdks_for<'k>(k: &'k Knowledge, path: &str, named: &BTreeSet<&str>) -> Vec<&'k crate::rules::knowledge::SdkMap> {
    let lang = match Path::new(path).extension().and_then(|e| e.to_str()).unwrap_or("") {
        "go" => "go",
        "py" => "python",
        "js" | "mjs" | "cjs" | "ts" | "mts" | "tsx" => "javascript",
        "php" => "php",
        "rb" => "ruby",
        "rs" => "rust",
        _ => return Vec::new(),
    };
    let of_lang: Vec<_> = k
        .sdks
        .values()
        .filter(|s| s.language == lang || (lang == "javascript" && s.language == "typescript"))
        .collect();
    let named_here: Vec<_> = of_lang.iter().copied().filter(|s| named.contains(s.sdk.as_str())).collect();
    if named_here.is_empty() {
        of_lang
    } else {
        named_here
    }
}

static TOKEN_CLIENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bapi_?token\b|WithAPIToken|NewWithAPIToken|UserAuthToken|\bAPIToken\(")
        .expect("token client pattern")
});

static PULUMI_RESOURCE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\bcloudflare[:.](get[A-Z]\w*|[A-Z]\w*)\b").expect("pulumi resource pattern"));

static TF_RESOURCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?m)^\s*(resource|data)\s+"(cloudflare_[a-z0-9_]+)""#).expect("terraform resource pattern")
});

/// Resources and data sources managed next to a Terraform provider: the `.tf` files of its
/// module (the provider's folder).
fn terraform_resources(
    key_files: &BTreeSet<&str>,
    files: &mut FileCache,
    profile: &crate::rules::knowledge::ToolProfile,
) -> Vec<(String, Vec<String>)> {
    let mut out = BTreeMap::new();
    if profile.tool == "pulumi" {
        // Pulumi programs: `type: cloudflare:Record` (YAML), `new cloudflare.Record(` (TS, Python).
        for path in key_files {
            let mut module = files.folder(path);
            module.push(path.to_string());
            for f in module {
                let Some(text) = files.text(&f) else { continue };
                for c in PULUMI_RESOURCE.captures_iter(&text) {
                    let key = format!("cloudflare.{}", &c[1]);
                    if let Some(groups) = profile.resources.get(&key) {
                        out.insert(key, groups.clone());
                    }
                }
            }
        }
        return out.into_iter().collect();
    }
    for path in key_files.iter().filter(|p| p.ends_with(".tf")) {
        let mut module: Vec<String> = files.siblings(path);
        module.push(path.to_string());
        for f in module {
            let Some(text) = files.text(&f) else { continue };
            for c in TF_RESOURCE.captures_iter(&text) {
                let kind = &c[2];
                if let Some(groups) = profile.resources.get(kind) {
                    let label = if &c[1] == "data" { format!("data.{kind}") } else { kind.to_string() };
                    out.insert(label, groups.clone());
                }
            }
        }
    }
    out.into_iter().collect()
}

/// Reads each source file once; paths are the display paths of findings.
struct FileCache<'a> {
    sources: &'a BTreeMap<String, PathBuf>,
    texts: BTreeMap<String, Option<String>>,
}

impl<'a> FileCache<'a> {
    fn new(sources: &'a BTreeMap<String, PathBuf>) -> Self {
        FileCache { sources, texts: BTreeMap::new() }
    }

    fn real(&self, display: &str) -> Option<PathBuf> {
        if let Some(p) = self.sources.get(display) {
            return Some(p.clone());
        }
        // A sibling: resolve through any known file of the same folder.
        let (dir, name) = display.rsplit_once('/').unwrap_or(("", display));
        self.sources.iter().find_map(|(d, real)| {
            let d_dir = d.rsplit_once('/').map(|x| x.0).unwrap_or("");
            (d_dir == dir).then(|| real.with_file_name(name))
        })
    }

    fn text(&mut self, display: &str) -> Option<String> {
        if !self.texts.contains_key(display) {
            let text = self
                .real(display)
                .and_then(|p| std::fs::read(p).ok())
                .map(|b| String::from_utf8_lossy(&b).into_owned());
            self.texts.insert(display.to_string(), text);
        }
        self.texts.get(display).cloned().flatten()
    }

    /// Other files with the same extension in the same folder (display paths).
    fn siblings(&self, display: &str) -> Vec<String> {
        self.neighbours(display, true)
    }

    /// Every other file in the same folder.
    fn folder(&self, display: &str) -> Vec<String> {
        self.neighbours(display, false)
    }

    fn neighbours(&self, display: &str, same_ext: bool) -> Vec<String> {
        let Some(real) = self.real(display) else {
            return Vec::new();
        };
        let ext = real.extension().map(|e| e.to_os_string());
        let (dir, _) = display.rsplit_once('/').unwrap_or(("", display));
        let Some(parent) = real.parent() else {
            return Vec::new();
        };
        let Ok(entries) = std::fs::read_dir(parent) else {
            return Vec::new();
        };
        let mut out: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .map(|e| e.path())
            .filter(|p| p != &real && (!same_ext || p.extension().map(|e| e.to_os_string()) == ext))
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .map(|n| if dir.is_empty() { n } else { format!("{dir}/{n}") })
            .collect();
        out.sort();
        out
    }
}
