//! The project model: which deployment unit (consumer) each file belongs to, and how files
//! link across the tree (imports, modules, env files, workflows), so that a key read in one
//! file and used by calls in another is one credential with those calls.
//!
//! Takes the scan's findings and kept texts; returns [`Project`]: the consumer of every key
//! site and, per credential, the files whose calls it makes. Resolving calls to endpoints and
//! permissions is left to `infer`.

pub mod consumer;
pub mod docker;
pub mod facts;
pub mod graph;
pub mod kube;
pub mod kustomize;
pub mod laravel;

use std::collections::{BTreeMap, BTreeSet};

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::finding::{Finding, Role};
use crate::scan::ScanResult;
pub use consumer::Consumer;

/// A credential: one secret source (env var, CI secret, setting, hard-coded key) as one
/// deployment unit uses it. Two units reading the same secret are two credentials, and get
/// two tokens.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CredentialId {
    /// The env var, secret or setting name; a nameless hard-coded key is named after its file.
    pub secret: String,
    pub consumer: Consumer,
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

/// The secret a key finding reads.
pub fn secret_of(f: &Finding) -> String {
    match f.credential.as_deref() {
        Some(name) if GENERIC.contains(&name) => format!("{name} ({})", f.path),
        Some(name) => name.to_string(),
        None => f.path.clone(),
    }
}

/// The credentials of a scan and the files each one's calls are searched in.
#[derive(Debug, Default)]
pub struct Project {
    /// Credential -> the findings (key and email sites) that belong to it.
    pub credentials: BTreeMap<CredentialId, Vec<Finding>>,
    /// Credential -> files reached through the graph from its key sites (key files included).
    pub reach: BTreeMap<CredentialId, BTreeSet<String>>,
    /// Credential -> how each file it reached (not a key file) was linked, for the plan's
    /// reasons.
    pub links: BTreeMap<CredentialId, BTreeMap<String, String>>,
    /// Who imports each file in its unit (zones passed in by callers); see [`Project::importers`].
    importers: graph::ImporterIndex,
    units: consumer::Units,
}

impl Project {
    pub fn build(result: &ScanResult) -> Project {
        Project::build_on(result, crate::parallel::threads(None))
    }

    /// As [`Project::build`], linking files on `threads` threads (`--threads`).
    pub fn build_on(result: &ScanResult, threads: usize) -> Project {
        let mut units = consumer::Units::of(&result.texts);
        adopt_workloads(result, &mut units);
        let graph = graph::Graph::build(result, &units, threads);
        let key_units = result.findings.iter().filter(|f| f.role == Role::Key).map(|f| units.consumer_of(&f.path));
        graph.prepare(&key_units.collect(), &units);
        let mut credentials: BTreeMap<CredentialId, Vec<Finding>> = BTreeMap::new();
        for f in result.findings.iter().filter(|f| f.role == Role::Key) {
            let id = match alias(f, result, &units) {
                Some((secret, via)) => CredentialId { secret, consumer: units.consumer_of(&via) },
                None => CredentialId { secret: secret_of(f), consumer: units.consumer_of(&f.path) },
            };
            credentials.entry(id).or_default().push(f.clone());
        }
        // An email site joins the key credential used nearest to it in the same file.
        for f in result.findings.iter().filter(|f| f.role == Role::Email) {
            let target = credentials
                .iter()
                .filter(|(_, sites)| sites.iter().any(|s| s.path == f.path))
                .min_by_key(|(_, sites)| {
                    sites.iter().filter(|s| s.path == f.path).map(|s| s.line.abs_diff(f.line)).min()
                })
                .map(|(k, _)| k.clone());
            if let Some(k) = target {
                credentials.entry(k).or_default().push(f.clone());
            }
        }
        let mut reach = BTreeMap::new();
        let mut links = BTreeMap::new();
        // One credential at a time, the units' files linked on all threads meanwhile:
        // searching credentials side by side was no faster on the bench corpus and held two
        // searches' sets at once (+77 MB).
        for (id, sites) in &credentials {
            let starts: BTreeSet<String> =
                sites.iter().filter(|f| f.role == Role::Key).map(|f| f.path.clone()).collect();
            let (files, why) = graph.reach(&starts, &units);
            links.insert(id.clone(), why);
            reach.insert(id.clone(), files);
        }
        join_nameless(result, &mut credentials, &mut reach, &mut links);
        absorb_linked_units(&mut credentials, &mut reach, &mut links);
        Project { credentials, reach, links, importers: graph.into_importers(), units }
    }

    /// The files of the credential's own unit that import `path`, when `path` is in that unit
    /// (a file of another unit is called by that unit's code, not by this consumer's).
    pub fn importers(&self, id: &CredentialId, path: &str) -> Vec<String> {
        if self.units.consumer_of(path) != id.consumer {
            return Vec::new();
        }
        self.importers.of(&id.consumer, path)
    }
}

/// A workload manifest (or a compose file building one image) with a finding belongs to the
/// unit of the image it runs, when a Dockerfile of the tree builds that image.
fn adopt_workloads(result: &ScanResult, units: &mut consumer::Units) {
    let mut files: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for f in result.findings.iter().filter(|f| f.path.ends_with(".yaml") || f.path.ends_with(".yml")) {
        files.entry(f.path.as_str()).or_default().push(f.line);
    }
    for (path, lines) in files {
        let Some(text) = result.texts.text(path) else { continue };
        let dockerfile = if path.contains("compose") {
            // Only when every use is in the one service that builds the image.
            docker::compose_build_of(path, &text, &result.texts, &lines)
        } else if kube::is_workload(&text) {
            kube::dockerfile_for(path, &text, &result.texts)
        } else {
            None
        };
        if let Some(dockerfile) = dockerfile {
            let unit = units.consumer_of(&dockerfile);
            units.adopt(path, unit);
        }
    }
}

/// The secret a key site really reads when it reads it indirectly, and the file whose unit
/// uses it: a Laravel `config()` lookup resolved to its `env()` name, a Kubernetes Secret
/// key (or a chart value feeding one) resolved to the env var a workload exposes it as.
fn alias(f: &Finding, result: &ScanResult, units: &consumer::Units) -> Option<(String, String)> {
    if f.path.ends_with(".php") {
        let text = result.texts.text(&f.path)?;
        let line = text.lines().nth(f.line.checked_sub(1)?)?;
        // On a header line, only what follows the header name is the key's value.
        let lower = line.to_ascii_lowercase();
        let part = lower.find("x-auth-key").map_or(line, |i| &line[i..]);
        return laravel::env_of(&f.path, &text, part, &result.texts).map(|env| (env, f.path.clone()));
    }
    kube::env_of(&f.path, f.line, &result.texts, units)
}

/// A key site the scan could not name (a parameter, a struct field: `c.key`) carries the key
/// some other file of the unit reads: when exactly one named credential of the same unit
/// reaches all its files through the graph (main reads `CF_API_KEY` and imports the client
/// that sends it), the sites are that credential's. With two candidates it stays its own.
fn join_nameless(
    result: &ScanResult,
    credentials: &mut BTreeMap<CredentialId, Vec<Finding>>,
    reach: &mut BTreeMap<CredentialId, BTreeSet<String>>,
    links: &mut BTreeMap<CredentialId, BTreeMap<String, String>>,
) {
    // No name, or the name of a parameter of its own file (`__construct(string $apiKey)`):
    // the value comes from the caller.
    let unbound = |f: &Finding| match f.credential.as_deref() {
        None => true,
        Some(name) => result.texts.text(&f.path).is_some_and(|t| is_parameter(&t, name)),
    };
    let nameless = |sites: &[Finding]| sites.iter().filter(|f| f.role == Role::Key).all(unbound);
    let mut moves: Vec<(CredentialId, CredentialId)> = Vec::new();
    for (b, sites) in credentials.iter().filter(|(_, s)| nameless(s)) {
        let files: BTreeSet<&str> = sites.iter().filter(|f| f.role == Role::Key).map(|f| f.path.as_str()).collect();
        let into: Vec<&CredentialId> = credentials
            .iter()
            .filter(|(a, s)| a.consumer == b.consumer && !nameless(s))
            .filter(|(a, _)| reach.get(*a).is_some_and(|r| files.iter().all(|f| r.contains(*f))))
            .map(|(a, _)| a)
            .collect();
        if let [a] = into.as_slice() {
            moves.push((b.clone(), (*a).clone()));
        }
    }
    for (b, a) in moves {
        let sites = credentials.remove(&b).unwrap_or_default();
        let files = reach.remove(&b).unwrap_or_default();
        let why = links.remove(&b).unwrap_or_default();
        credentials.entry(a.clone()).or_default().extend(sites);
        reach.entry(a.clone()).or_default().extend(files);
        let into = links.entry(a).or_default();
        for (file, reason) in why {
            into.entry(file).or_insert(reason);
        }
    }
}

/// Whether `name` is a parameter of a function, method or constructor the file declares
/// (`function __construct(string $apiKey)`, `def __init__(self, api_key)`,
/// `constructor(private key: string)`, `func New(email, key string)`).
fn is_parameter(text: &str, name: &str) -> bool {
    static SIGNATURE: LazyLock<Regex> = LazyLock::new(|| {
        crate::pattern::new(r"\b(?:function|def|func|fn|constructor)\b[^(\n]*\(([^)]*)\)").expect("signature pattern")
    });
    let bare = name.trim_start_matches('$');
    SIGNATURE
        .captures_iter(text)
        .any(|c| c[1].split(|ch: char| !(ch.is_alphanumeric() || ch == '_')).any(|w| !w.is_empty() && w == bare))
}

/// Units join through graph edges: when one credential's key files are all reached from
/// another credential of the same secret in another unit (a script its workflow runs, a
/// child module), and not the other way round, the reached one is part of that consumer and
/// its sites move there. A unit reached from several consumers joins each of them.
fn absorb_linked_units(
    credentials: &mut BTreeMap<CredentialId, Vec<Finding>>,
    reach: &mut BTreeMap<CredentialId, BTreeSet<String>>,
    links: &mut BTreeMap<CredentialId, BTreeMap<String, String>>,
) {
    let key_files = |sites: &[Finding]| -> BTreeSet<String> {
        sites.iter().filter(|f| f.role == Role::Key).map(|f| f.path.clone()).collect()
    };
    let files: BTreeMap<CredentialId, BTreeSet<String>> =
        credentials.iter().map(|(id, sites)| (id.clone(), key_files(sites))).collect();
    let mut moves: Vec<(CredentialId, CredentialId)> = Vec::new();
    for (a, reach_a) in reach.iter() {
        for (b, files_b) in &files {
            if b == a || b.secret != a.secret || b.consumer == a.consumer || files_b.is_empty() {
                continue;
            }
            let a_reaches_b = files_b.is_subset(reach_a);
            let b_reaches_a = reach.get(b).is_some_and(|rb| files.get(a).is_some_and(|fa| fa.is_subset(rb)));
            if a_reaches_b && !b_reaches_a {
                moves.push((b.clone(), a.clone()));
            }
        }
    }
    let absorbed: BTreeSet<CredentialId> = moves.iter().map(|(b, _)| b.clone()).collect();
    for (b, a) in &moves {
        let sites = credentials.get(b).cloned().unwrap_or_default();
        if let Some(into) = credentials.get_mut(a) {
            into.extend(sites);
        }
    }
    for b in &absorbed {
        credentials.remove(b);
        reach.remove(b);
        links.remove(b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_told_from_other_names() {
        let php = "final class Client {\n    public function __construct(string $email, string $apiKey, ?Http $http = null)\n    {\n";
        assert!(is_parameter(php, "apiKey") && is_parameter(php, "$email"));
        assert!(!is_parameter(php, "CF_API_KEY") && !is_parameter(php, "api"));
        assert!(is_parameter("def __init__(self, api_key, zone):\n", "api_key"));
        assert!(is_parameter("func New(email, key string) *Client {\n", "key"));
        assert!(is_parameter("  constructor(private readonly key: string) {}\n", "key"));
        assert!(!is_parameter("const key = process.env.CF_KEY;\nfetch(url)\n", "key"));
    }
}
