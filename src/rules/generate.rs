//! Builds `rules/catalog/`, the derived permission groups and the generated SDK maps from the
//! saved reference extracts in `tools/catalog/extracts/` (see tools/catalog/README.md).
//!
//! Pure: the same extracts give byte-identical files, so a test can check the shipped catalog.
//! Precedence for an operation's accepted groups, most exact first:
//! 1. `reference.tsv`: the operation's own reference page ("Accepted Permissions");
//! 2. `hand/*.yaml`: the earlier per-operation spec extract, plus Terraform's list for a read;
//! 3. `terraform.tsv`: the Terraform data source (a read) or resource (its writes) that calls it;
//! 4. the nearest SDK resource (same method chain prefix) that has groups, noted as inferred.
//!
//! Then every GET also accepts the Read group of each Write group it accepts: the reference
//! lists both wherever a family has a Read group.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use super::model::{Auth, CatalogFile, OperationSpec, PermissionGroupsFile, Scope, SdkFile};

/// How every `source` of an operation without a group (and not key-only) begins, followed by the
/// reason: the planner lists calls to it as unresolved, and the coverage table counts it.
pub const NO_KNOWN_GROUP: &str = "no-known-group";

/// `source` of an operation no extract reaches at all.
pub const UNDOCUMENTED: &str = "no-known-group: no extract names an accepted permission group for it";

/// The files the extracts produce, by path relative to the repository root.
pub type Generated = BTreeMap<String, String>;

/// The three SDKs whose maps come from their own `api.md`.
const SDKS: [(&str, &str, &str); 3] = [
    ("sdk-go.tsv", "cloudflare-go-v4", "go"),
    ("sdk-python.tsv", "cloudflare-python", "python"),
    ("sdk-typescript.tsv", "cloudflare-typescript", "javascript"),
];

#[derive(Debug, Clone)]
struct Op {
    id: String,
    family: String,
    method: String,
    path: String,
    scope: Scope,
    groups: Vec<String>,
    auth: Vec<Auth>,
    note: Option<String>,
    source: Option<String>,
    /// SDK resource chain (`zero_trust.access.applications`) used to find siblings.
    resource: String,
}

type Key = (String, String);

struct Tsv {
    header: String,
    rows: Vec<Vec<String>>,
}

fn read(dir: &Path, name: &str) -> Result<String, String> {
    std::fs::read_to_string(dir.join(name)).map_err(|e| format!("{}: {e}", dir.join(name).display()))
}

fn tsv(dir: &Path, name: &str) -> Result<Tsv, String> {
    let text = read(dir, name)?;
    let mut header = String::new();
    let mut rows = Vec::new();
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("# ") {
            if header.is_empty() {
                header = h.to_string();
            }
        } else if !line.trim().is_empty() {
            rows.push(line.split('\t').map(str::to_string).collect());
        }
    }
    Ok(Tsv { header, rows })
}

/// `zeroTrust.accessRules` -> `zero_trust.access_rules`; `DNS.Records` -> `dns.records`.
fn snake(chain: &str) -> String {
    let mut out = String::new();
    for (i, part) in chain.split('.').enumerate() {
        if i > 0 {
            out.push('.');
        }
        let chars: Vec<char> = part.chars().collect();
        for (j, &c) in chars.iter().enumerate() {
            if c.is_ascii_uppercase() {
                let prev_lower = j > 0 && (chars[j - 1].is_ascii_lowercase() || chars[j - 1].is_ascii_digit());
                let next_lower = chars.get(j + 1).is_some_and(|n| n.is_ascii_lowercase());
                let prev_upper = j > 0 && chars[j - 1].is_ascii_uppercase();
                if j > 0 && (prev_lower || (prev_upper && next_lower)) && !out.ends_with('_') {
                    out.push('_');
                }
                out.push(c.to_ascii_lowercase());
            } else {
                out.push(c);
            }
        }
    }
    out
}

pub fn scope_of(path: &str) -> Scope {
    if path.starts_with("/zones") {
        Scope::Zone
    } else if path.starts_with("/user") || path.starts_with("/memberships") {
        Scope::User
    } else {
        Scope::Account
    }
}

/// Known permission groups: canonical spelling by lowercase name, and each one's scope.
struct Groups {
    by_lower: BTreeMap<String, (String, Scope)>,
}

impl Groups {
    /// The API's spelling of a name as a source wrote it: case-insensitively known; "… Edit" as
    /// "… Write"; a doubled "Zone " prefix ("Zone Zone Read", "Zone DNS Edit") dropped.
    fn canonical(&self, name: &str) -> Option<String> {
        let edit = |s: &str| s.strip_suffix(" Edit").map(|b| format!("{b} Write"));
        let mut candidates = vec![name.to_string()];
        candidates.extend(edit(name));
        if let Some(rest) = name.strip_prefix("Zone ") {
            candidates.push(rest.to_string());
            candidates.extend(edit(rest));
        }
        candidates.iter().find_map(|c| self.by_lower.get(&c.to_lowercase()).map(|g| g.0.clone()))
    }

    fn read_of(&self, group: &str) -> Option<String> {
        let base = group.strip_suffix(" Write").or_else(|| group.strip_suffix(" Edit"))?;
        self.by_lower.get(&format!("{base} read").to_lowercase()).map(|g| g.0.clone())
    }

    fn all_of_scope(&self, scope: Scope) -> Vec<String> {
        self.by_lower.values().filter(|g| g.1 == scope).map(|g| g.0.clone()).collect()
    }
}

fn is_read(group: &str) -> bool {
    group.ends_with(" Read")
}

fn push_unique(list: &mut Vec<String>, items: impl IntoIterator<Item = String>) {
    for g in items {
        if !list.contains(&g) {
            list.push(g);
        }
    }
}

/// Everything the extracts in `root/tools/catalog/extracts` produce, keyed by output path.
pub fn generate(root: &Path) -> Result<Generated, String> {
    let dir = root.join("tools/catalog/extracts");
    let groups_file: PermissionGroupsFile =
        serde_norway::from_str(&read(root, "rules/permission-groups.yaml")?).map_err(|e| e.to_string())?;
    let mut groups = Groups { by_lower: BTreeMap::new() };
    for g in &groups_file.groups {
        groups.by_lower.insert(g.name.to_lowercase(), (g.name.clone(), g.scope));
    }

    // The earlier per-operation extract, one file per family.
    let mut hand: BTreeMap<Key, Op> = BTreeMap::new();
    let mut hand_files: Vec<_> = std::fs::read_dir(dir.join("hand"))
        .map_err(|e| format!("{}: {e}", dir.join("hand").display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    hand_files.sort();
    for file in &hand_files {
        let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let c: CatalogFile = serde_norway::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
        for o in c.operations {
            let resource = o.id.rsplit_once('.').map(|r| r.0.to_string()).unwrap_or_default();
            let key = (o.method.to_ascii_uppercase(), o.path.clone());
            hand.entry(key).or_insert(Op {
                id: o.id,
                family: c.family.clone(),
                method: o.method.to_ascii_uppercase(),
                path: o.path,
                scope: o.scope,
                groups: o.groups.iter().map(|g| groups.canonical(g).unwrap_or_else(|| g.clone())).collect(),
                auth: o.auth,
                note: o.note,
                source: o.source,
                resource,
            });
        }
    }

    // Every operation the SDK listings name; the TypeScript one (newest) decides ids and families.
    let mut ops: BTreeMap<Key, Op> = BTreeMap::new();
    let mut sdk_rows: Vec<(usize, Tsv)> = Vec::new();
    for (i, (file, _, _)) in SDKS.iter().enumerate() {
        sdk_rows.push((i, tsv(&dir, file)?));
    }
    let order = [2usize, 0, 1]; // typescript, go, python
    for &i in &order {
        for r in &sdk_rows[i].1.rows {
            let [chain, method, path] = r.as_slice() else {
                return Err(format!("{}: a row needs 3 columns: {r:?}", SDKS[i].0));
            };
            let key = (method.clone(), path.clone());
            if ops.contains_key(&key) {
                continue;
            }
            let id = snake(chain);
            let (resource, family) = match hand.get(&key) {
                Some(h) => (h.resource.clone(), h.family.clone()),
                None => (
                    id.rsplit_once('.').map(|r| r.0.to_string()).unwrap_or_default(),
                    id.split('.').next().unwrap_or("misc").to_string(),
                ),
            };
            let base = hand.get(&key).cloned();
            ops.insert(
                key,
                Op {
                    id: base.as_ref().map(|h| h.id.clone()).unwrap_or(id),
                    family,
                    method: method.clone(),
                    path: path.clone(),
                    scope: base.as_ref().map(|h| h.scope).unwrap_or_else(|| scope_of(path)),
                    groups: Vec::new(),
                    auth: base.as_ref().map(|h| h.auth.clone()).unwrap_or_else(|| vec![Auth::Token, Auth::Key]),
                    note: base.as_ref().and_then(|h| h.note.clone()),
                    source: None,
                    resource,
                },
            );
        }
    }
    for (key, h) in &hand {
        ops.entry(key.clone()).or_insert_with(|| {
            let mut h = h.clone();
            h.groups.clear();
            h.source = None;
            h
        });
    }

    // Terraform: a data source's accepted groups are its read's; a resource's non-Read groups
    // are what its writes accept.
    let go_paths: BTreeMap<&str, Key> =
        sdk_rows[0].1.rows.iter().map(|r| (r[0].as_str(), (r[1].clone(), r[2].clone()))).collect();
    // Terraform is newer than the saved Go listing: a call the Go listing lacks is looked up by
    // its snake-case name in the (newer) TypeScript listing, Go's `New` being TypeScript's `create`.
    let ts_paths: BTreeMap<String, Key> =
        sdk_rows[2].1.rows.iter().map(|r| (snake(&r[0]), (r[1].clone(), r[2].clone()))).collect();
    let resolve_go = |call: &str| -> Option<Key> {
        go_paths.get(call).cloned().or_else(|| ts_paths.get(&go_call_as_ts(call)).cloned())
    };
    let terraform = tsv(&dir, "terraform.tsv")?;
    let tf_version = terraform.header.split(" at ").nth(1).unwrap_or_default().to_string();
    let mut tf: BTreeMap<Key, (Vec<String>, BTreeSet<String>)> = BTreeMap::new();
    let mut derived: BTreeMap<String, BTreeSet<Scope>> = BTreeMap::new();
    for r in &terraform.rows {
        let [kind, name, calls, list] = r.as_slice() else {
            return Err(format!("terraform.tsv: a row needs 4 columns: {r:?}"));
        };
        let calls: Vec<&str> = calls.split(';').collect();
        let targets: Vec<&str> = match kind.as_str() {
            "data_source" => {
                calls.iter().find(|c| c.ends_with(".Get")).or_else(|| calls.first()).copied().into_iter().collect()
            }
            "list_data_source" => calls.iter().filter(|c| c.ends_with(".List")).copied().collect(),
            _ => calls.iter().filter(|c| !c.ends_with(".Get") && !c.ends_with(".List")).copied().collect(),
        };
        for call in targets {
            let Some(key) = resolve_go(call) else { continue };
            let key = &key;
            let mut gs = Vec::new();
            for g in list.split(';') {
                let name_api = match groups.canonical(g) {
                    Some(c) => c,
                    None => {
                        derived.entry(g.to_string()).or_default().insert(scope_of(&key.1));
                        g.to_string()
                    }
                };
                if kind == "resource" && is_read(&name_api) {
                    continue;
                }
                push_unique(&mut gs, [name_api]);
            }
            let e = tf.entry(key.clone()).or_default();
            push_unique(&mut e.0, gs);
            e.1.insert(name.clone());
        }
    }
    for (name, scopes) in &derived {
        let scope = if scopes.contains(&Scope::Account) { Scope::Account } else { Scope::Zone };
        groups.by_lower.insert(name.to_lowercase(), (name.clone(), scope));
    }

    // Reference pages read one by one: METHOD, path, groups (`*account`: every account-scoped
    // group), page, date, optional note.
    let reference = tsv(&dir, "reference.tsv")?;
    // A group a page names that no other list has (Realtime, URL Scanner Write): the page is the
    // source, so it is known before any `*account` expands.
    let mut from_reference: BTreeMap<String, Scope> = BTreeMap::new();
    for r in &reference.rows {
        let (Some(path), Some(list)) = (r.get(1), r.get(2)) else { continue };
        for g in list.split(';').map(str::trim).filter(|g| !g.is_empty() && !g.starts_with('*')) {
            if groups.canonical(g).is_none() {
                groups.by_lower.insert(g.to_lowercase(), (g.to_string(), scope_of(path)));
                from_reference.insert(g.to_string(), scope_of(path));
            }
        }
    }
    let mut exact: BTreeMap<Key, (Vec<String>, String, Option<String>)> = BTreeMap::new();
    for r in &reference.rows {
        let [method, path, list, page, date, rest @ ..] = r.as_slice() else {
            return Err(format!("reference.tsv: a row needs 5 or 6 columns: {r:?}"));
        };
        let mut gs = Vec::new();
        for g in list.split(';').map(str::trim).filter(|g| !g.is_empty()) {
            match g {
                "*account" => push_unique(&mut gs, groups.all_of_scope(Scope::Account)),
                "*zone" => push_unique(&mut gs, groups.all_of_scope(Scope::Zone)),
                _ => push_unique(&mut gs, [groups.canonical(g).unwrap_or_else(|| g.to_string())]),
            }
        }
        let note = rest.first().filter(|n| !n.is_empty()).cloned();
        let source = if gs.is_empty() {
            format!("{NO_KNOWN_GROUP}: reference {page} ({date}) lists no Accepted Permissions")
        } else {
            format!("reference {page} ({date})")
        };
        exact.insert((method.clone(), path.clone()), (gs, source, note));
    }

    // Groups per operation, most exact source first.
    for (key, op) in ops.iter_mut() {
        if let Some((gs, src, note)) = exact.get(key) {
            op.groups = gs.clone();
            op.source = Some(src.clone());
            if note.is_some() {
                op.note = note.clone();
            }
        } else if let Some(h) = hand.get(key).filter(|h| !h.groups.is_empty() || !h.auth.contains(&Auth::Token)) {
            op.groups = h.groups.clone();
            op.source = h.source.clone().or_else(|| Some("spec c92b9b0 x-api-token-group (earlier extract)".into()));
            if op.method == "GET" {
                if let Some((gs, names)) = tf.get(key) {
                    let before = op.groups.len();
                    push_unique(&mut op.groups, gs.clone());
                    if op.groups.len() > before {
                        op.source = Some(format!(
                            "{}; terraform {} {tf_version}",
                            op.source.as_deref().unwrap_or_default(),
                            names.iter().cloned().collect::<Vec<_>>().join(", ")
                        ));
                    }
                }
            }
        } else if let Some((gs, names)) = tf.get(key).filter(|t| !t.0.is_empty()) {
            op.groups = gs.clone();
            let names: Vec<_> = names.iter().cloned().collect();
            op.source = Some(format!("terraform {} {tf_version}", names.join(", ")));
        }
    }
    // Siblings: the nearest SDK resource with documented groups.
    let documented: Vec<(String, String, Vec<String>)> = ops
        .values()
        .filter(|o| !o.groups.is_empty() && o.source.as_deref().is_some_and(|s| !s.starts_with("inferred")))
        .map(|o| (o.resource.clone(), o.method.clone(), o.groups.clone()))
        .collect();
    for op in ops.values_mut().filter(|o| o.groups.is_empty() && o.auth.contains(&Auth::Token) && o.source.is_none()) {
        let mut prefix = op.resource.clone();
        loop {
            let siblings: Vec<&(String, String, Vec<String>)> =
                documented.iter().filter(|d| d.0 == prefix || d.0.starts_with(&format!("{prefix}."))).collect();
            let mut gs = Vec::new();
            for s in &siblings {
                let wanted = s.2.iter().filter(|g| op.method == "GET" || !is_read(g)).cloned();
                push_unique(&mut gs, wanted);
            }
            if !gs.is_empty() && !prefix.is_empty() {
                gs.sort();
                op.groups = gs;
                op.source = Some(format!("inferred from the documented operations of `{prefix}`"));
                break;
            }
            match prefix.rsplit_once('.') {
                Some((p, _)) => prefix = p.to_string(),
                None => break,
            }
        }
    }
    // Families no extract covers operation by operation: the groups one page of the family lists.
    let families_tsv = tsv(&dir, "families.tsv")?;
    for r in &families_tsv.rows {
        let [family, reads, writes, page, date] = r.as_slice() else {
            return Err(format!("families.tsv: a row needs 5 columns: {r:?}"));
        };
        let list = |s: &str| -> Result<Vec<String>, String> {
            s.split(';')
                .map(|g| groups.canonical(g).ok_or_else(|| format!("families.tsv: unknown group `{g}`")))
                .collect()
        };
        // Empty columns: the family's pages read list no group at all (a reason, not a guess).
        let none = reads.is_empty() && writes.is_empty();
        let (reads, writes) = if none { (Vec::new(), Vec::new()) } else { (list(reads)?, list(writes)?) };
        for op in ops.values_mut().filter(|o| {
            &o.family == family && o.groups.is_empty() && o.auth.contains(&Auth::Token) && o.source.is_none()
        }) {
            if none {
                op.source = Some(format!("{NO_KNOWN_GROUP}: none of {page} ({date}) lists Accepted Permissions"));
                continue;
            }
            op.groups = if op.method == "GET" { reads.clone() } else { writes.clone() };
            op.source = Some(format!("inferred from the family's reference page {page} ({date})"));
        }
    }
    // What is left: the reference lists no group for it, or no extract reaches it.
    for op in ops.values_mut().filter(|o| o.groups.is_empty() && o.auth.contains(&Auth::Token) && o.source.is_none()) {
        op.source = Some(UNDOCUMENTED.into());
    }
    // A read accepts the Read group of each Write group it accepts.
    for op in ops.values_mut().filter(|o| o.method == "GET") {
        let reads: Vec<String> = op.groups.iter().filter_map(|g| groups.read_of(g)).collect();
        push_unique(&mut op.groups, reads);
    }

    // Unique ids: a later operation with a taken id gets its method appended.
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut out = Generated::new();
    let mut families: BTreeMap<String, Vec<Op>> = BTreeMap::new();
    let mut for_coverage: Vec<(String, Vec<OperationSpec>)> = Vec::new();
    for op in ops.into_values() {
        families.entry(op.family.clone()).or_default().push(op);
    }
    for (family, mut list) in families {
        list.sort_by(|a, b| (&a.path, &a.method).cmp(&(&b.path, &b.method)));
        let operations = list
            .into_iter()
            .map(|o| {
                let mut id = o.id.clone();
                if !seen.insert(id.clone()) {
                    id = format!("{}@{}", o.id, o.method.to_ascii_lowercase());
                    let mut n = 2;
                    while !seen.insert(id.clone()) {
                        id = format!("{}@{}{n}", o.id, o.method.to_ascii_lowercase());
                        n += 1;
                    }
                }
                OperationSpec {
                    id,
                    method: o.method,
                    path: o.path,
                    scope: o.scope,
                    groups: o.groups,
                    auth: o.auth,
                    note: o.note,
                    source: o.source,
                }
            })
            .collect();
        let file = CatalogFile { family: family.clone(), operations };
        for_coverage.push((family.clone(), file.operations.clone()));
        let mut text = String::from(
            "# Generated by `scopesmith catalog generate` from tools/catalog/extracts (see tools/catalog/README.md).\n\
             # Do not edit: change the extracts and regenerate. `source` says where each group list comes from.\n",
        );
        text.push_str(&serde_norway::to_string(&file).map_err(|e| e.to_string())?);
        out.insert(format!("rules/catalog/{family}.yaml"), text);
    }

    out.insert("docs/catalog-coverage.md".into(), super::coverage::markdown(&for_coverage));

    let mut g = String::from(
        "# Permission groups named by Terraform's \"Accepted Permissions\" lists or an operation's reference page but\n\
         # not in permission-groups.yaml. Generated from tools/catalog/extracts/{terraform,reference}.tsv; scope from\n\
         # the operations that accept them. No ids.\n",
    );
    let _ = writeln!(g, "# Source: terraform-provider-cloudflare {tf_version}.\ngroups:");
    for (name, scopes) in &derived {
        let scope = if scopes.contains(&Scope::Account) { Scope::Account } else { Scope::Zone };
        let _ = writeln!(g, "  - name: {}\n    scope: {}", yaml_str(name), scope.as_str());
    }
    if !from_reference.is_empty() {
        g.push_str("  # Named only by an operation's reference page (tools/catalog/extracts/reference.tsv).\n");
    }
    for (name, scope) in &from_reference {
        let _ = writeln!(g, "  - name: {}\n    scope: {}", yaml_str(name), scope.as_str());
    }
    out.insert("rules/permission-groups-derived.yaml".into(), g);

    // SDK maps: the api.md listing, then the hand map's names the listing lacks (older versions).
    for (i, (file, sdk, language)) in SDKS.iter().enumerate() {
        let hand_text = read(&dir, &format!("sdk-hand/{sdk}.yaml"))?;
        let hand_map: SdkFile = serde_norway::from_str(&hand_text).map_err(|e| format!("sdk-hand/{sdk}.yaml: {e}"))?;
        let mut calls: BTreeMap<String, String> = BTreeMap::new();
        for r in &sdk_rows[i].1.rows {
            let endpoint = format!("{} {}", r[1], r[2]);
            calls.entry(r[0].clone()).or_insert_with(|| endpoint.clone());
            if *language == "go" && r[0].ends_with(".List") {
                calls.entry(format!("{}AutoPaging", r[0])).or_insert(endpoint);
            }
        }
        let from_listing = calls.len();
        for c in hand_map.calls {
            calls.entry(c.method).or_insert(c.endpoint);
        }
        let mut text = format!(
            "# Generated by `scopesmith catalog generate`: SDK method chain -> API operation.\n\
             # {from_listing} calls from {}\n# plus {} older names kept from the hand map \
             (tools/catalog/extracts/sdk-hand/{sdk}.yaml).\n",
            sdk_rows[i].1.header,
            calls.len() - from_listing
        );
        let _ = write!(text, "sdk: {sdk}\nlanguage: {language}\ncalls:\n");
        for (m, e) in &calls {
            let _ = writeln!(text, "  - method: {m}\n    endpoint: {}", yaml_str(e));
        }
        out.insert(format!("rules/sdk/{sdk}.yaml"), text);
        let _ = file;
    }
    Ok(out)
}

/// `ZeroTrust.DLP.DataClasses.New` -> `zero_trust.dlp.data_classes.create`: a Go SDK call as the
/// TypeScript listing names the same method.
fn go_call_as_ts(call: &str) -> String {
    let s = snake(call);
    match s.rsplit_once('.') {
        Some((resource, "new")) => format!("{resource}.create"),
        _ => s,
    }
}

fn yaml_str(s: &str) -> String {
    if s.chars().any(|c| matches!(c, ':' | '#' | '{' | '}' | '[' | ']' | ',' | '&' | '*' | '\'' | '"')) {
        format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        s.to_string()
    }
}

/// The generated files whose shipped copy under `root` differs, plus catalog files the extracts
/// no longer produce.
pub fn stale(root: &Path, files: &Generated) -> Vec<String> {
    let mut out: Vec<String> = files
        .iter()
        .filter(|(rel, text)| std::fs::read_to_string(root.join(rel)).ok().as_deref() != Some(text.as_str()))
        .map(|(rel, _)| rel.clone())
        .collect();
    if let Ok(dir) = std::fs::read_dir(root.join("rules/catalog")) {
        for entry in dir.flatten() {
            let rel = format!("rules/catalog/{}", entry.file_name().to_string_lossy());
            if !files.contains_key(&rel) {
                out.push(rel);
            }
        }
    }
    out.sort();
    out
}

/// Writes the generated files under `root`; returns how many changed.
pub fn write(root: &Path, files: &Generated) -> std::io::Result<usize> {
    let mut changed = 0;
    for (rel, text) in files {
        let path = root.join(rel);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, text)?;
            changed += 1;
        }
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chains_become_snake_case_ids() {
        assert_eq!(snake("zeroTrust.accessRules.list"), "zero_trust.access_rules.list");
        assert_eq!(snake("DNS.Records.New"), "dns.records.new");
        assert_eq!(snake("ZeroTrust.DLP.Profiles"), "zero_trust.dlp.profiles");
        assert_eq!(snake("dns.records.list"), "dns.records.list");
    }

    #[test]
    fn go_calls_map_to_typescript_names() {
        assert_eq!(go_call_as_ts("ZeroTrust.DLP.DataClasses.New"), "zero_trust.dlp.data_classes.create");
        assert_eq!(go_call_as_ts("Flagship.Apps.Flags.Get"), "flagship.apps.flags.get");
        assert_eq!(go_call_as_ts("CustomCsrs.Delete"), "custom_csrs.delete");
    }
}
