//! `plan`: from scan findings to the least-privilege token each credential needs.
//!
//! A credential is one secret as one consumer (deployment unit) uses it (`project/`): two
//! units reading the same `CF_API_KEY` get two tokens. The files a credential reaches through
//! the project graph are searched for API calls (`callsite.rs`), each call is matched to a
//! catalog operation (`endpoint.rs`), and the accepted groups of all operations, plus what
//! tool profiles state, are reduced to the smallest set (`permission.rs`). Nothing is dropped
//! silently: every call that could not be resolved (a URL built at run time, an unknown
//! method, endpoint or SDK member, an endpoint refusing tokens) is listed under `unresolved`,
//! and a plan with any is not `complete`.

pub mod callsite;
pub mod collected;
pub mod endpoint;
pub mod index;
pub mod model;
pub mod passed;
pub mod permission;
pub mod sdk_match;
pub mod sdk_members;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;

use crate::finding::{Finding, Kind, Role};
use crate::project::{CredentialId, Project};
use crate::rules::model::Scope;
use crate::rules::Knowledge;
use crate::scan::lines::Lines;
use crate::scan::ScanResult;
use callsite::{CallSite, Literals};
pub use model::{
    CredentialPlan, EndpointUse, Grant, LinkedFile, Plan, Resource, SharedSecret, Site, Unresolved, UnresolvedKind,
};

pub fn plan(result: &ScanResult, knowledge: &Knowledge) -> Plan {
    plan_on(result, knowledge, crate::parallel::threads(None))
}

/// As [`plan`], on `threads` threads (`--threads`); the plan is the same on any number.
pub fn plan_on(result: &ScanResult, knowledge: &Knowledge, threads: usize) -> Plan {
    plan_project(result, &Project::build_on(result, threads), knowledge, threads)
}

/// The plan of an already built project model, its files searched on `threads` threads.
pub fn plan_project(result: &ScanResult, project: &Project, knowledge: &Knowledge, threads: usize) -> Plan {
    // Each key file's calls go to the credential used nearest to them.
    let mut owner: BTreeMap<String, Vec<(usize, CredentialId)>> = BTreeMap::new();
    for (id, sites) in &project.credentials {
        for s in sites.iter().filter(|s| s.role == Role::Key) {
            owner.entry(s.path.clone()).or_default().push((s.line, id.clone()));
        }
    }
    let mut consumers: BTreeMap<&str, Vec<&CredentialId>> = BTreeMap::new();
    for id in project.credentials.keys() {
        consumers.entry(id.secret.as_str()).or_default().push(id);
    }
    let mut index = index::PlanIndex::new(knowledge);
    // Every reached file is searched the same way for each credential: searched once, up
    // front, on all threads; the credentials then read the index in their order.
    let reached: BTreeSet<&str> = project.reach.values().flatten().map(String::as_str).collect();
    index.prepare(&reached.into_iter().collect::<Vec<_>>(), &result.texts, threads);
    let around: BTreeSet<String> =
        project.credentials.values().flat_map(|sites| neighbourhood(result, sites)).collect();
    index.prepare_evidence(&around.into_iter().collect::<Vec<_>>(), &result.texts, threads);
    // Credentials are planned side by side; each reads the shared index, and the plans come
    // back in the credentials' order.
    let list: Vec<(&CredentialId, &Vec<Finding>)> = project.credentials.iter().collect();
    let credentials = crate::parallel::map(threads, &list, 2, |(id, sites)| {
        let name = if consumers.get(id.secret.as_str()).is_some_and(|c| c.len() > 1) {
            format!("{} @ {}", id.secret, id.consumer)
        } else {
            id.secret.clone()
        };
        plan_one(result, id, name, sites, project, &owner, knowledge, &index)
    });
    let shared = consumers
        .into_iter()
        .filter(|(_, ids)| ids.len() > 1)
        .map(|(secret, ids)| SharedSecret {
            secret: secret.to_string(),
            consumers: ids.iter().map(|i| i.consumer.clone()).collect(),
        })
        .collect();
    Plan { credentials, shared }
}

#[allow(clippy::too_many_arguments)]
fn plan_one(
    result: &ScanResult,
    id: &CredentialId,
    name: String,
    sites: &[Finding],
    project: &Project,
    owner: &BTreeMap<String, Vec<(usize, CredentialId)>>,
    k: &Knowledge,
    index: &index::PlanIndex,
) -> CredentialPlan {
    let texts = &result.texts;
    let no_files = BTreeSet::new();
    let no_links = BTreeMap::new();
    let reach = project.reach.get(id).unwrap_or(&no_files);
    let links = project.links.get(id).unwrap_or(&no_links);
    let mut site_list: Vec<Site> =
        sites.iter().map(|f| Site { path: f.path.clone(), line: f.line, kind: f.kind, rule: f.rule.clone() }).collect();
    site_list.sort();
    site_list.dedup();
    let key_files: BTreeSet<&str> = sites.iter().filter(|f| f.role == Role::Key).map(|f| f.path.as_str()).collect();
    let sdk_names: BTreeSet<&str> = sites.iter().filter_map(|f| f.sdk.as_deref()).collect();
    let tools: BTreeSet<&str> = sites.iter().filter_map(|f| f.tool.as_deref()).collect();
    let has_sdk = sites.iter().any(|f| f.kind == Kind::Sdk);

    let mut calls: Vec<CallSite> = Vec::new();
    // Literals per file, so one file's zone ids do not narrow another file's calls.
    let mut literals: BTreeMap<String, Literals> = BTreeMap::new();
    let mut warnings = Vec::new();
    let mut unresolved = Vec::new();
    // A linked file that builds its own token client is already migrated.
    let mut searched: BTreeSet<String> = reach
        .iter()
        .filter(|p| key_files.contains(p.as_str()) || index.token_client(p, texts) != Some(true))
        .cloned()
        .collect();
    // An SDK client is often built in one file and used by its package neighbours.
    if has_sdk {
        for path in sites.iter().filter(|f| f.kind == Kind::Sdk).map(|f| f.path.as_str()) {
            for sibling in siblings(result, path) {
                // A neighbour that reads a key of its own makes its calls with that one.
                if owner.get(&sibling).is_some_and(|o| o.iter().all(|(_, c)| c != id)) {
                    continue;
                }
                // A neighbour that builds its own token client is already migrated.
                if index.token_client(&sibling, texts) == Some(false) {
                    searched.insert(sibling);
                }
            }
        }
    }
    for path in &searched {
        let Some(text) = texts.text(path) else {
            continue;
        };
        // Line starts only for a file searched here for the first time, or for an SDK's
        // members: the index has every other file's calls already.
        let lines = std::cell::OnceCell::new();
        let sdks = sdks_for(k, path, &sdk_names);
        let (mut found, mut lits) = index.http_calls(path, &text, &lines);
        found.extend(index.sdk_calls(path, &sdks, &text, &lines));
        // Calls in a key file used by several credentials go to the nearest use; a file
        // reached through a link gives all its calls.
        if let Some(owners) = owner.get(path.as_str()).filter(|_| key_files.contains(path.as_str())) {
            found.retain(|c| nearest(owners, c.line).is_none_or(|n| n == id));
        }
        if has_sdk {
            let lines = lines.get_or_init(|| Lines::new(&text));
            unresolved.extend(sdk_members::unknown(path, &text, lines, sites, &sdks, &found));
        }
        calls.extend(found);
        if !is_code(path) {
            lits.zone_names.extend(CONFIG_ZONE.captures_iter(&text).map(|c| c[1].to_ascii_lowercase()));
        }
        literals.insert(path.clone(), lits);
    }
    let linked: Vec<LinkedFile> = reach
        .iter()
        .filter(|p| !key_files.contains(p.as_str()))
        .filter_map(|p| links.get(p).map(|via| LinkedFile { path: p.clone(), via: via.clone() }))
        .collect();

    let mut requirements: Vec<(Vec<String>, String)> = Vec::new();
    let mut endpoints: BTreeMap<(String, String), EndpointUse> = BTreeMap::new();
    // Files whose calls need zone-scoped groups.
    let mut zone_callers: BTreeSet<String> = BTreeSet::new();
    for c in &calls {
        let at = format!("{}:{}", c.path, c.line);
        let unresolved_call = |kind, reason: &str| Unresolved {
            path: c.path.clone(),
            line: c.line,
            method: c.method.clone(),
            call: c.normal.template(),
            kind,
            reason: reason.to_string(),
        };
        if c.normal.is_dynamic() {
            unresolved.push(unresolved_call(UnresolvedKind::DynamicUrl, "the URL is built at run time"));
            continue;
        }
        if c.method.is_empty() {
            unresolved.push(unresolved_call(
                UnresolvedKind::UnknownMethod,
                "the HTTP method could not be told from the code (it is not assumed to be GET)",
            ));
            continue;
        }
        if c.normal.template().starts_with("/zones/{}") {
            zone_callers.insert(c.path.clone());
        }
        match index.resolve(&c.method, &c.normal) {
            Some(op) => {
                let e = endpoints.entry((op.path.clone(), op.method.clone())).or_insert_with(|| EndpointUse {
                    method: op.method.clone(),
                    path: op.path.clone(),
                    operation: op.id.clone(),
                    accepted: op.groups.clone(),
                    // Token groups listed next to a key-only security entry: the spec's
                    // security list is incomplete (GET /user, GET /accounts), a token works.
                    token_supported: op.accepts_token() || !op.groups.is_empty(),
                    sites: Vec::new(),
                });
                if !e.sites.contains(&at) {
                    e.sites.push(at.clone());
                }
                if op.path == "/graphql" && !k.graphql.is_empty() {
                    graphql_requirements(
                        k,
                        op,
                        &texts.text(&c.path).unwrap_or_default(),
                        &at,
                        &mut requirements,
                        &mut warnings,
                    );
                } else if !op.groups.is_empty() {
                    requirements.push((op.groups.clone(), format!("{} {} ({at})", op.method, op.path)));
                }
                if !op.accepts_token() && !op.groups.is_empty() {
                    // The spec lists token groups yet only the key scheme: grant, and say so.
                    let w = format!(
                        "{} {}: Cloudflare's spec names token permission groups for it ({}) but lists only the Global API Key among its security schemes: confirm the token works for this call before revoking the key",
                        op.method,
                        op.path,
                        op.groups.join(" or ")
                    );
                    if !warnings.contains(&w) {
                        warnings.push(w);
                    }
                } else if op.accepts_token() && op.groups.is_empty() && op.path != "/graphql" {
                    unresolved.push(Unresolved {
                        path: c.path.clone(),
                        line: c.line,
                        method: op.method.clone(),
                        call: op.path.clone(),
                        kind: UnresolvedKind::NoKnownGroup,
                        reason: "the catalog knows no permission group for this operation: find it on the operation's API reference page and add it to the token".into(),
                    });
                } else if !op.accepts_token() {
                    unresolved.push(Unresolved {
                        path: c.path.clone(),
                        line: c.line,
                        method: op.method.clone(),
                        call: op.path.clone(),
                        kind: UnresolvedKind::NoTokenSupport,
                        reason: "Cloudflare documents this endpoint as not accepting API tokens: it blocks the migration of this call".into(),
                    });
                }
            }
            None => unresolved.push(unresolved_call(
                UnresolvedKind::UnknownEndpoint,
                "no catalog operation matches this method and path",
            )),
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
            for (resource, groups) in tool_resources(result, &key_files, reach, profile) {
                for g in groups {
                    requirements.push((vec![g], format!("manages {resource}")));
                }
            }
        }
    }

    let sets: Vec<Vec<String>> = requirements.iter().map(|r| r.0.clone()).collect();
    let chosen = permission::minimal_cover(&sets);
    // A calling file that names no zone may be handed one by every file importing it.
    for path in &zone_callers {
        let Some(l) = literals.get_mut(path).filter(|l| l.zone_ids.is_empty() && l.zone_names.is_empty()) else {
            continue;
        };
        let from = project.importers(id, path);
        if from.is_empty() {
            continue;
        }
        if let Some((ids, by)) = passed::zones(path, &from, texts) {
            warnings
                .push(format!("{path} names no zone itself: narrowed to the zone ids {} passes to it", by.join(", ")));
            l.zone_ids.extend(ids);
        }
    }
    let (zone_resources, narrowing_note) = zone_resources(&literals, &zone_callers);
    if let Some(note) = narrowing_note {
        warnings.push(note);
    }
    let account_ids: BTreeSet<String> = literals.values().flat_map(|l| l.account_ids.iter().cloned()).collect();
    let mut grants: Vec<Grant> = chosen
        .iter()
        .map(|g| {
            let group = k.groups.get(g);
            let scope = group.map(|g| g.scope).unwrap_or(Scope::Zone);
            let because: Vec<String> = requirements.iter().filter(|r| r.0.contains(g)).map(|r| r.1.clone()).collect();
            let resources: Vec<Resource> = match scope {
                Scope::Zone => zone_resources.clone(),
                Scope::Account => account_ids.iter().cloned().map(Resource::AccountId).collect(),
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
    let collected = collected_property(result, sites, index);
    CredentialPlan {
        collected,
        name,
        id: id.clone(),
        scope,
        // Nothing inferred is not a complete plan: the calls were not found.
        complete: unresolved.is_empty() && !grants.is_empty(),
        hardcoded: sites.iter().any(|f| f.kind == Kind::Literal),
        sites: site_list,
        linked,
        endpoints,
        permissions: grants,
        unresolved,
        warnings,
    }
}

/// The zones a consumer's zone grants may be narrowed to. One file's literals narrow only
/// when no other calling file could be reaching other zones: when some files that call zone
/// endpoints name zones and others name none, the token covers all zones (and says why).
fn zone_resources(
    literals: &BTreeMap<String, Literals>,
    callers: &BTreeSet<String>,
) -> (Vec<Resource>, Option<String>) {
    let named = |l: &Literals| !l.zone_ids.is_empty() || !l.zone_names.is_empty();
    let silent: Vec<&String> = callers.iter().filter(|p| !literals.get(*p).is_some_and(named)).collect();
    let naming = callers.iter().any(|p| literals.get(p).is_some_and(named));
    let mut out: BTreeSet<Resource> = BTreeSet::new();
    for l in literals.values() {
        out.extend(l.zone_ids.iter().cloned().map(Resource::ZoneId));
        out.extend(l.zone_names.iter().cloned().map(Resource::ZoneName));
    }
    if naming && !silent.is_empty() && !out.is_empty() {
        let files: Vec<&str> = silent.iter().map(|s| s.as_str()).collect();
        return (
            Vec::new(),
            Some(format!(
                "zone ids appear in some files but {} call zone endpoints without naming a zone: the token is not narrowed, so those calls keep working",
                files.join(", ")
            )),
        );
    }
    (out.into_iter().collect(), None)
}

/// The collected-key property of a credential sent in headers or an SDK constructor: the
/// files around its key files are read for the signs of an app storing its users' keys.
fn collected_property(
    result: &ScanResult,
    sites: &[Finding],
    index: &index::PlanIndex,
) -> Option<collected::Collected> {
    let around = neighbourhood(result, sites);
    let evidence = around.iter().filter_map(|p| index.evidence(p, &result.texts));
    collected::judge(evidence.flatten().collect())
}

/// The files a credential's collected-key signals are read in: the neighbourhoods of its key
/// files, at most `MAX_FILES`; none when its key is not sent in headers or an SDK constructor.
/// Only files the walk admitted: an ignored or excluded file is no evidence.
fn neighbourhood(result: &ScanResult, sites: &[Finding]) -> Vec<String> {
    if !sites.iter().any(|f| matches!(f.kind, Kind::Header | Kind::Sdk)) {
        return Vec::new();
    }
    let mut around: BTreeSet<String> = BTreeSet::new();
    for path in sites.iter().filter(|f| f.role == Role::Key).map(|f| f.path.as_str()) {
        around.extend(collected::neighbourhood(path, &result.texts));
    }
    around.into_iter().take(collected::MAX_FILES).collect()
}

fn nearest(owners: &[(usize, CredentialId)], line: usize) -> Option<&CredentialId> {
    owners.iter().min_by_key(|(l, _)| l.abs_diff(line)).map(|(_, n)| n)
}

/// Other walked files with the same extension in the same folder.
fn siblings(result: &ScanResult, path: &str) -> Vec<String> {
    let dir = crate::project::consumer::folder_of(path);
    let ext = path.rsplit_once('.').map(|(_, e)| e);
    result
        .texts
        .in_folder(dir)
        .into_iter()
        .filter(|f| *f != path && f.rsplit_once('.').map(|(_, e)| e) == ext)
        .map(str::to_string)
        .collect()
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

/// In a config file (INI, YAML, conf) a value needs no quotes: `zone=example.com`,
/// `zone: example.org`; the whole value must be shaped like a domain.
static CONFIG_ZONE: LazyLock<Regex> = LazyLock::new(|| {
    crate::pattern::new(r#"(?im)^[ \t]*(?:-[ \t]*)?(?:zone|domain)(?:_?name)?[ \t]*[:=][ \t]*["']?([a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})["']?[ \t]*(?:,|\\|$)"#)
        .expect("config zone pattern")
});

/// Source code, where a zone name counts only as a quoted literal.
fn is_code(path: &str) -> bool {
    let ext = path.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    matches!(
        ext,
        "py" | "js"
            | "mjs"
            | "cjs"
            | "ts"
            | "mts"
            | "tsx"
            | "go"
            | "php"
            | "rb"
            | "rs"
            | "java"
            | "kt"
            | "cs"
            | "sh"
            | "bash"
            | "ps1"
            | "pl"
            | "lua"
            | "swift"
            | "scala"
            | "groovy"
    )
}

pub(crate) static TOKEN_CLIENT: LazyLock<Regex> = LazyLock::new(|| {
    crate::pattern::new(r"(?i)\bapi_?token\b|WithAPIToken|NewWithAPIToken|UserAuthToken|\bAPIToken\(")
        .expect("token client pattern")
});

static PULUMI_RESOURCE: LazyLock<Regex> = LazyLock::new(|| {
    crate::pattern::new(r"\bcloudflare[:.](get[A-Z]\w*|[A-Z]\w*)\b").expect("pulumi resource pattern")
});

static TF_RESOURCE: LazyLock<Regex> = LazyLock::new(|| {
    crate::pattern::new(r#"(?m)^\s*(resource|data)\s+"(cloudflare_[a-z0-9_]+)""#).expect("terraform resource pattern")
});

/// Resources and data sources managed by a Terraform or Pulumi program: the files of the
/// provider's module (its folder) and of the child modules the graph reached from it.
fn tool_resources(
    result: &ScanResult,
    key_files: &BTreeSet<&str>,
    reach: &BTreeSet<String>,
    profile: &crate::rules::knowledge::ToolProfile,
) -> Vec<(String, Vec<String>)> {
    let mut out = BTreeMap::new();
    let folder_files = |path: &str, same_ext: bool| -> Vec<String> {
        let mut module = if same_ext {
            siblings(result, path)
        } else {
            let dir = crate::project::consumer::folder_of(path);
            result.texts.in_folder(dir).into_iter().map(str::to_string).collect()
        };
        module.push(path.to_string());
        module
    };
    if profile.tool == "pulumi" {
        // Pulumi programs: `type: cloudflare:Record` (YAML), `new cloudflare.Record(` (TS, Python).
        for path in key_files {
            for f in folder_files(path, false) {
                let Some(text) = result.texts.text(&f) else { continue };
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
    let mut module: BTreeSet<String> = reach.iter().filter(|p| p.ends_with(".tf")).cloned().collect();
    for path in key_files.iter().filter(|p| p.ends_with(".tf")) {
        module.extend(folder_files(path, true));
    }
    for f in module {
        let Some(text) = result.texts.text(&f) else { continue };
        for c in TF_RESOURCE.captures_iter(&text) {
            let kind = &c[2];
            if let Some(groups) = profile.resources.get(kind) {
                let label = if &c[1] == "data" { format!("data.{kind}") } else { kind.to_string() };
                out.insert(label, groups.clone());
            }
        }
    }
    out.into_iter().collect()
}

/// A GraphQL call needs the group of each dataset its file queries; a query whose dataset is
/// not recognised gets every dataset group (never an under-grant) and a warning.
fn graphql_requirements(
    k: &Knowledge,
    op: &crate::rules::knowledge::Operation,
    text: &str,
    at: &str,
    requirements: &mut Vec<(Vec<String>, String)>,
    warnings: &mut Vec<String>,
) {
    let needs = k.graphql_needs(text);
    if needs.identified {
        for (groups, why) in needs.needs {
            requirements.push((groups, format!("{why} ({at})")));
        }
        return;
    }
    for g in &op.groups {
        requirements.push((vec![g.clone()], format!("{} {} ({at}), dataset not recognised", op.method, op.path)));
    }
    let w = format!("{at}: the GraphQL query's dataset was not recognised, so both Analytics Read (zone datasets) and Account Analytics Read (account datasets) are planned; drop the one the query does not use");
    if !warnings.contains(&w) {
        warnings.push(w);
    }
}
