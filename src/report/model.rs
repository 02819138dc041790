//! The migration report's one model, shared by `html.rs` and `markdown.rs`.
//!
//! Takes per-repository results, either live (a `ScanResult` and its `Plan`) or read back from
//! saved `scan`/`plan` JSON (`saved.rs`), and answers what both renderers need: totals,
//! ecosystems, severities, each credential's policy and patch status, the secrets to rotate,
//! the blockers and, with `--compare`, the progress since an earlier result. The record types
//! are serde views of the JSON contract (the documented fields required, the rest defaulted),
//! so a live run and a saved one go through the same code. Rendering is left to the reporters.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::provenance::Source;
use crate::finding::{Kind, Role, Severity};
use crate::infer::{CredentialPlan, Grant, Plan};
use crate::policy::{self, EmitOptions, Resource};
use crate::rules::model::Scope;
use crate::scan::ScanResult;

/// A scan finding as the report needs it (`scan --format json` `findings[]`).
#[derive(Debug, Clone, Deserialize)]
pub struct SiteFinding {
    pub rule: String,
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub kind: Kind,
    /// `email` sites are not credentials of their own; unknown in older saved scans.
    #[serde(default)]
    pub role: Option<Role>,
    pub credential: Option<String>,
    pub severity: Severity,
    pub message: String,
    #[serde(default)]
    pub fingerprint: String,
    /// Already redacted (`Secret`'s serialised form).
    #[serde(default)]
    pub secret: Option<String>,
}

/// A credential of a plan (`plan --format json` `credentials[]`).
#[derive(Debug, Clone, Deserialize)]
pub struct Credential {
    pub name: String,
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub hardcoded: bool,
    pub sites: Vec<CredentialSite>,
    pub endpoints: Vec<Endpoint>,
    /// The plan's own grants (`resources`, `because` and `id` default when absent).
    pub permissions: Vec<Grant>,
    pub unresolved: Vec<Unresolved>,
    #[serde(default)]
    pub warnings: Vec<String>,
    /// `complete` of the plan; absent in plans saved before it existed.
    #[serde(default)]
    pub complete: Option<bool>,
    /// Set when the app collects its users' keys (`infer::collected`).
    #[serde(default)]
    pub collected: Option<crate::infer::collected::Collected>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CredentialSite {
    pub path: String,
    pub line: usize,
    #[serde(default)]
    pub kind: Option<Kind>,
    #[serde(default)]
    pub rule: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Endpoint {
    pub method: String,
    pub path: String,
    #[serde(default = "yes")]
    pub token_supported: bool,
    pub sites: Vec<String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
pub struct Unresolved {
    pub path: String,
    pub line: usize,
    pub method: String,
    pub call: String,
    pub reason: String,
}

/// One repository's results: a scan, a plan, or both.
#[derive(Debug, Clone, Default)]
pub struct Repository {
    pub name: String,
    pub commit: Option<String>,
    /// Whether `name` came from a `source` stamp (so it can be matched against another run).
    pub stamped: bool,
    /// The scanned path or saved files it was read from.
    pub inputs: Vec<String>,
    pub findings: Option<Vec<SiteFinding>>,
    pub credentials: Option<Vec<Credential>>,
}

impl Repository {
    /// A live scan and its plan.
    pub fn live(name: String, source: Option<Source>, input: String, scan: &ScanResult, plan: &Plan) -> Repository {
        let findings = scan
            .findings
            .iter()
            .map(|f| SiteFinding {
                rule: f.rule.clone(),
                path: f.path.clone(),
                line: f.line,
                column: f.column,
                kind: f.kind,
                role: Some(f.role),
                credential: f.credential.clone(),
                severity: f.severity,
                message: f.message.clone(),
                fingerprint: f.fingerprint.clone(),
                secret: f.secret.as_ref().map(|s| s.redacted()),
            })
            .collect();
        Repository {
            name: source.as_ref().map(|s| s.repository.clone()).unwrap_or(name),
            commit: source.as_ref().and_then(|s| s.commit.clone()),
            stamped: source.is_some(),
            inputs: vec![input],
            findings: Some(findings),
            credentials: Some(plan.credentials.iter().map(Credential::from).collect()),
        }
    }

    /// Sites: the scan's findings, else the plan's sites.
    pub fn sites(&self) -> usize {
        match (&self.findings, &self.credentials) {
            (Some(f), _) => f.len(),
            (None, Some(c)) => c.iter().map(|c| c.sites.len()).sum(),
            _ => 0,
        }
    }

    /// Credential names: the plan's, else the scan's variable names (or the file, for a
    /// nameless hard-coded key), which is how `plan` groups them.
    pub fn credential_names(&self) -> BTreeSet<String> {
        match &self.credentials {
            Some(c) => c.iter().map(|c| c.name.clone()).collect(),
            None => self.finding_credentials(),
        }
    }

    /// Credential names as the scan's key sites give them (e-mail sites left out).
    pub fn finding_credentials(&self) -> BTreeSet<String> {
        self.findings
            .iter()
            .flatten()
            .filter(|f| f.role != Some(Role::Email))
            .map(|f| f.credential.clone().unwrap_or_else(|| f.path.clone()))
            .collect()
    }

    pub fn files(&self) -> BTreeSet<&str> {
        let mut out: BTreeSet<&str> = BTreeSet::new();
        if let Some(f) = &self.findings {
            out.extend(f.iter().map(|f| f.path.as_str()));
        }
        if let Some(c) = &self.credentials {
            out.extend(c.iter().flat_map(|c| c.sites.iter().map(|s| s.path.as_str())));
        }
        out
    }

    /// Hard-coded keys to rotate, redacted.
    pub fn secrets(&self) -> Vec<SecretSite> {
        match (&self.findings, &self.credentials) {
            (Some(f), _) => f
                .iter()
                .filter(|f| f.kind == Kind::Literal)
                .map(|f| SecretSite {
                    path: f.path.clone(),
                    line: f.line,
                    rule: f.rule.clone(),
                    credential: f.credential.clone(),
                    redacted: f.secret.clone(),
                })
                .collect(),
            (None, Some(c)) => c
                .iter()
                .flat_map(|c| {
                    c.sites.iter().filter(|s| s.kind == Some(Kind::Literal)).map(|s| SecretSite {
                        path: s.path.clone(),
                        line: s.line,
                        rule: s.rule.clone(),
                        credential: Some(c.name.clone()),
                        redacted: None,
                    })
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// `acme/api@1c0fcc172fa8`, or the name alone.
    pub fn label(&self) -> String {
        match &self.commit {
            Some(c) => format!("{}@{c}", self.name),
            None => self.name.clone(),
        }
    }
}

impl From<&CredentialPlan> for Credential {
    fn from(c: &CredentialPlan) -> Credential {
        Credential {
            collected: c.collected.clone(),
            name: c.name.clone(),
            scope: c.scope.clone(),
            hardcoded: c.hardcoded,
            complete: Some(c.complete),
            sites: c
                .sites
                .iter()
                .map(|s| CredentialSite {
                    path: s.path.clone(),
                    line: s.line,
                    kind: Some(s.kind),
                    rule: s.rule.clone(),
                })
                .collect(),
            endpoints: c
                .endpoints
                .iter()
                .map(|e| Endpoint {
                    method: e.method.clone(),
                    path: e.path.clone(),
                    token_supported: e.token_supported,
                    sites: e.sites.clone(),
                })
                .collect(),
            permissions: c.permissions.clone(),
            unresolved: c
                .unresolved
                .iter()
                .map(|u| Unresolved {
                    path: u.path.clone(),
                    line: u.line,
                    method: u.method.clone(),
                    call: u.call.clone(),
                    reason: u.reason.clone(),
                })
                .collect(),
            warnings: c.warnings.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretSite {
    pub path: String,
    pub line: usize,
    pub rule: String,
    pub credential: Option<String>,
    /// `0d6e…(37 chars)` when the scan recorded it.
    pub redacted: Option<String>,
}

/// Whether the uses of a credential can be rewritten mechanically (env var, header, tool
/// setting, SDK constructor: token equivalents exist) or need a person (a key in the code has
/// to be revoked and moved to a secret store; an endpoint without token support, an unresolved
/// call or an empty plan needs a decision).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatchStatus {
    Rewritable,
    Manual(Vec<&'static str>),
}

impl PatchStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            PatchStatus::Rewritable => "rewritable",
            PatchStatus::Manual(_) => "manual",
        }
    }

    /// `manual (hard-coded key, endpoint without token support)`.
    pub fn describe(&self) -> String {
        match self {
            PatchStatus::Rewritable => "rewritable".into(),
            PatchStatus::Manual(why) => format!("manual ({})", why.join(", ")),
        }
    }
}

/// One token policy line: permission groups sharing a scope and resources, a
/// [`policy::PolicyBlock`] of the token `plan --emit` writes for the credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyLine {
    pub scope: Scope,
    pub groups: Vec<String>,
    pub resources: Vec<Resource>,
}

impl PolicyLine {
    /// `all zones of account <ACCOUNT_ID>` or `zone 03d0…, zone example.com (id to look up)`.
    pub fn on(&self) -> String {
        on(&self.resources)
    }
}

fn on(resources: &[Resource]) -> String {
    resources.iter().map(Resource::to_string).collect::<Vec<_>>().join(", ")
}

/// What blocks a credential's migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocker {
    pub credential: String,
    pub at: String,
    pub call: String,
    /// `no token support` or `unresolved call`.
    pub what: &'static str,
    pub reason: String,
}

impl Credential {
    /// `None` when a site's kind is unknown (an older saved plan).
    pub fn patch_status(&self) -> Option<PatchStatus> {
        if self.sites.iter().any(|s| s.kind.is_none()) {
            return None;
        }
        let mut why = Vec::new();
        if self.hardcoded || self.sites.iter().any(|s| s.kind == Some(Kind::Literal)) {
            why.push("hard-coded key");
        }
        if self.endpoints.iter().any(|e| !e.token_supported) {
            why.push("endpoint without token support");
        }
        if self.unresolved.iter().any(|u| !self.is_tokenless(u)) {
            why.push("incomplete plan: unresolved calls");
        }
        if self.permissions.is_empty() {
            why.push("no permission inferred");
        }
        Some(if why.is_empty() { PatchStatus::Rewritable } else { PatchStatus::Manual(why) })
    }

    fn is_tokenless(&self, u: &Unresolved) -> bool {
        self.endpoints.iter().any(|e| !e.token_supported && e.method == u.method && e.path == u.call)
    }

    /// The proposed token in brief: the policies of the token `plan --emit` writes for this
    /// credential (default options: account-owned, no account id beyond the plan's), so the
    /// report names the resources and placeholders the emitted file holds.
    pub fn policy(&self) -> Vec<PolicyLine> {
        policy::build(&self.name, &self.permissions, &EmitOptions::default())
            .policies
            .into_iter()
            .map(|p| PolicyLine {
                scope: p.scope,
                groups: p.groups.into_iter().map(|g| g.name).collect(),
                resources: p.resources,
            })
            .collect()
    }

    /// What one of this credential's grants covers in that token (`all zones of account …`).
    pub fn grant_on(&self, g: &Grant) -> String {
        let account = policy::account_of(&self.permissions, &EmitOptions::default());
        on(&policy::resources_of(g, account.as_deref()))
    }

    pub fn blockers(&self) -> Vec<Blocker> {
        self.unresolved
            .iter()
            .map(|u| Blocker {
                credential: self.name.clone(),
                at: format!("{}:{}", u.path, u.line),
                call: format!("{} {}", u.method, u.call),
                what: if self.is_tokenless(u) { "no token support" } else { "unresolved call" },
                reason: u.reason.clone(),
            })
            .collect()
    }
}

/// Totals over every repository.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub repositories: usize,
    pub credentials: usize,
    pub sites: usize,
    pub hardcoded: usize,
    pub files: usize,
    /// Files per ecosystem.
    pub ecosystems: BTreeMap<&'static str, usize>,
    /// Findings per severity, `None` when no input had findings (plans only).
    pub severities: Option<BTreeMap<Severity, usize>>,
    pub kinds: BTreeMap<Kind, usize>,
}

/// Progress against an earlier result (`--compare`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    pub previous: String,
    pub sites_before: usize,
    pub sites_now: usize,
    /// `(repository, path:line, what)` of sites gone since.
    pub migrated: Vec<(String, String, String)>,
    pub new: Vec<(String, String, String)>,
    pub credentials_before: usize,
    pub credentials_now: usize,
    pub retired: Vec<(String, String)>,
    /// Repositories in only one of the two results, left out of the comparison.
    pub uncompared: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Report {
    pub repositories: Vec<Repository>,
    pub progress: Option<Progress>,
}

impl Report {
    pub fn new(mut repositories: Vec<Repository>) -> Report {
        repositories.sort_by(|a, b| (&a.name, &a.commit, &a.inputs).cmp(&(&b.name, &b.commit, &b.inputs)));
        Report { repositories, progress: None }
    }

    pub fn summary(&self) -> Summary {
        let mut s = Summary { repositories: self.repositories.len(), ..Summary::default() };
        for r in &self.repositories {
            s.credentials += r.credential_names().len();
            s.sites += r.sites();
            s.hardcoded += r.secrets().len();
            let files = r.files();
            s.files += files.len();
            for f in files {
                *s.ecosystems.entry(ecosystem(f)).or_default() += 1;
            }
            if let Some(findings) = &r.findings {
                let sev = s.severities.get_or_insert_with(BTreeMap::new);
                for f in findings {
                    *sev.entry(f.severity).or_default() += 1;
                    *s.kinds.entry(f.kind).or_default() += 1;
                }
            } else if let Some(creds) = &r.credentials {
                for k in creds.iter().flat_map(|c| c.sites.iter().filter_map(|s| s.kind)) {
                    *s.kinds.entry(k).or_default() += 1;
                }
            }
        }
        s
    }

    /// `(repository label, credential)` for every credential, in order.
    pub fn credentials(&self) -> Vec<(&Repository, &Credential)> {
        self.repositories.iter().flat_map(|r| r.credentials.iter().flatten().map(move |c| (r, c))).collect()
    }

    /// Credentials that need a person (`PatchStatus::Manual`), with why.
    pub fn manual(&self) -> Vec<(&Repository, &Credential, Vec<&'static str>)> {
        self.credentials()
            .into_iter()
            .filter_map(|(r, c)| match c.patch_status() {
                Some(PatchStatus::Manual(why)) => Some((r, c, why)),
                _ => None,
            })
            .collect()
    }

    /// What the blockers section says when no call is blocked: "nothing blocks" only when no
    /// credential needs a person either.
    pub fn unblocked_note(&self) -> String {
        let manual = self.manual();
        if manual.is_empty() {
            return "Nothing blocks the migration.".into();
        }
        let list: Vec<String> = manual.iter().map(|(_, c, why)| format!("{} ({})", c.name, why.join(", "))).collect();
        format!(
            "No call is blocked, but {} credential{} still need{} a person before the key can be revoked: {}.",
            manual.len(),
            if manual.len() == 1 { "" } else { "s" },
            if manual.len() == 1 { "s" } else { "" },
            list.join("; ")
        )
    }

    /// Whether any input was a scan without a plan (its credentials have no permissions).
    pub fn missing_plans(&self) -> Vec<&Repository> {
        self.repositories.iter().filter(|r| r.credentials.is_none()).collect()
    }

    /// Compares with `previous` (saved results read the same way) and records the progress.
    /// Stamped results are compared repository by repository; a repository on one side only is
    /// left out and named in `uncompared`. Unstamped results are compared as one pool.
    pub fn compare(&mut self, previous: &Report, label: String) {
        let mut progress = Progress { previous: label, ..Progress::default() };
        let pairs: Vec<(Vec<&Repository>, Vec<&Repository>)> = if qualified(previous, self) {
            let names = |r: &Report| r.repositories.iter().map(|x| x.name.clone()).collect::<BTreeSet<_>>();
            let (before, now) = (names(previous), names(self));
            progress.uncompared = before.symmetric_difference(&now).cloned().collect();
            before.intersection(&now).map(|n| (pick(previous, n), pick(self, n))).collect()
        } else {
            vec![(previous.repositories.iter().collect(), self.repositories.iter().collect())]
        };
        let mut creds_before = BTreeSet::new();
        let mut creds_now = BTreeSet::new();
        for (before, now) in pairs {
            let all = || before.iter().chain(&now);
            let basis = if all().all(|r| r.findings.is_some()) {
                Basis::Fingerprint
            } else if all().all(|r| r.credentials.is_some()) {
                Basis::Plan
            } else {
                Basis::Mixed
            };
            let (kb, kn) = (site_keys(&before, basis), site_keys(&now, basis));
            progress.sites_before += kb.len();
            progress.sites_now += kn.len();
            progress.migrated.extend(kb.iter().filter(|(k, _)| !kn.contains_key(*k)).map(|(_, v)| v.clone()));
            progress.new.extend(kn.iter().filter(|(k, _)| !kb.contains_key(*k)).map(|(_, v)| v.clone()));
            creds_before.extend(credential_keys(&before, basis));
            creds_now.extend(credential_keys(&now, basis));
        }
        progress.credentials_before = creds_before.len();
        progress.credentials_now = creds_now.len();
        progress.retired = creds_before.difference(&creds_now).cloned().collect();
        self.progress = Some(progress);
    }
}

fn pick<'r>(r: &'r Report, name: &str) -> Vec<&'r Repository> {
    r.repositories.iter().filter(|x| x.name == name).collect()
}

/// What sites are matched on between two results of one repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Basis {
    /// Both scans: rule + path + fingerprint, which survives moved lines.
    Fingerprint,
    /// Both plans: path + credential.
    Plan,
    /// A scan against a plan: path + credential, from whatever each side has.
    Mixed,
}

/// Repository names take part in matching only when both sides are stamped.
fn qualified(a: &Report, b: &Report) -> bool {
    a.repositories.iter().chain(&b.repositories).all(|r| r.stamped)
}

type SiteKey = (String, String, String);

/// Each site under its matching key, with `(repository, path:line, use)` to show.
fn site_keys(repos: &[&Repository], basis: Basis) -> BTreeMap<SiteKey, (String, String, String)> {
    let mut out = BTreeMap::new();
    for repo in repos {
        match (&repo.findings, &repo.credentials) {
            (Some(f), _) if basis == Basis::Fingerprint => {
                for f in f {
                    // Only a literal is a hard-coded key; a header or SDK call may just not
                    // name the variable its value comes from.
                    let unnamed = if f.kind == Kind::Literal { "(hard-coded)" } else { "(unnamed value)" };
                    let what = format!("{} {}", f.kind.as_str(), f.credential.as_deref().unwrap_or(unnamed));
                    let key = (f.rule.clone(), f.path.clone(), f.fingerprint.clone());
                    out.insert(key, (repo.name.clone(), format!("{}:{}", f.path, f.line), what));
                }
            }
            (Some(f), None) => {
                for f in f {
                    let cred = f.credential.clone().unwrap_or_else(|| f.path.clone());
                    let at = format!("{}:{}", f.path, f.line);
                    out.insert((f.path.clone(), cred.clone(), String::new()), (repo.name.clone(), at, cred));
                }
            }
            (_, Some(c)) => {
                for c in c {
                    for s in &c.sites {
                        let at = format!("{}:{}", s.path, s.line);
                        let key = (s.path.clone(), base_name(&c.name).to_string(), String::new());
                        out.insert(key, (repo.name.clone(), at, c.name.clone()));
                    }
                }
            }
            (None, None) => {}
        }
    }
    out
}

/// `(repository, credential)`: names from the same kind of data on both sides, since `plan`
/// renames generic settings and nameless keys.
fn credential_keys(repos: &[&Repository], basis: Basis) -> BTreeSet<(String, String)> {
    repos
        .iter()
        .flat_map(|r| {
            let names: BTreeSet<String> = if basis == Basis::Fingerprint {
                r.finding_credentials()
            } else {
                r.credential_names().iter().map(|n| base_name(n).to_string()).collect()
            };
            names.into_iter().map(|n| (r.name.clone(), n))
        })
        .collect()
}

/// `plan` names a generic setting after its file (`api_key (a/b.ini)`); a scan names it bare.
fn base_name(name: &str) -> &str {
    match name.split_once(" (") {
        Some((n, _)) if name.ends_with(')') => n,
        _ => name,
    }
}

/// The ecosystem of a file, from its name and extension.
pub fn ecosystem(path: &str) -> &'static str {
    let lower = path.to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    if lower.contains(".github/workflows/") {
        return "GitHub Actions";
    }
    if name == ".gitlab-ci.yml" {
        return "GitLab CI";
    }
    if name == "dockerfile" || name.starts_with("dockerfile.") || name.contains("compose") {
        return "Docker";
    }
    if name == "package.json" {
        return "JavaScript";
    }
    match ext {
        "sh" | "bash" | "zsh" => "Shell",
        "py" => "Python",
        "go" | "mod" => "Go",
        "js" | "mjs" | "cjs" | "ts" | "mts" | "tsx" | "jsx" => "JavaScript",
        "php" => "PHP",
        "rb" | "gemspec" => "Ruby",
        "rs" => "Rust",
        "java" | "kt" | "kts" | "gradle" => "JVM",
        "cs" | "csproj" => ".NET",
        "tf" | "tfvars" | "hcl" => "Terraform",
        "yml" | "yaml" => "YAML",
        "env" => "dotenv",
        "json" | "ini" | "conf" | "cfg" | "toml" => "config",
        _ if name.starts_with(".env") || name.ends_with(".env") => "dotenv",
        _ if name == "gemfile" || name == "rakefile" => "Ruby",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecosystems_from_names() {
        assert_eq!(ecosystem("deploy/purge.sh"), "Shell");
        assert_eq!(ecosystem(".github/workflows/purge.yml"), "GitHub Actions");
        assert_eq!(ecosystem("docker/docker-compose.yml"), "Docker");
        assert_eq!(ecosystem("main.tf"), "Terraform");
        assert_eq!(ecosystem("bin/inventory"), "other");
    }

    #[test]
    fn generic_names_lose_their_file() {
        assert_eq!(base_name("api_key (tools/a.ini)"), "api_key");
        assert_eq!(base_name("CF_API_KEY"), "CF_API_KEY");
    }
}
