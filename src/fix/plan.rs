//! The fix planner: from findings to per-file edits, credential by credential.
//!
//! Key sites are grouped by the plan's credential (secret and consumer) and the name the site
//! reads ([`consumer::identity`]). A group is
//! migrated completely or not at all: every site must have a safe rewrite, and a renamed
//! variable is renamed in every file of the consumer that sets or reads it (env files,
//! compose, workflows, manifests, Terraform variables and tfvars). One site to edit by hand,
//! one file that sets the variable to the key itself, and the whole group is left as is with
//! the reason. A wrapper (the project's own client, [`wrapper`]) and the sites that call it
//! move together, and a Secret or values file holding the key that a `secretKeyRef` reads is a
//! site of that variable. E-mail settings go only where their consumer's keys went, and stay
//! (explained) where something else still reads them; a wrapper's e-mail argument is kept.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use regex::Regex;

use super::consumer::{self, Consumer, Index};
use super::rewrite::{self, Lang, LineFix, Rewrites};
use super::wrapper;
use super::{email_site, key_site, split_lines, FileEdit, FileWork, FixSet, KeyFix, SiteFix, Status};
use crate::finding::{Finding, Kind, Role, WarningReason};
use crate::infer::Plan;
use crate::scan::ScanResult;

type GroupId = (String, String);

struct Group {
    /// The folder consumers of its sites (more than one when the project model joined a
    /// workflow and the script it runs into one credential): a rename reaches all of them.
    consumers: BTreeSet<Consumer>,
    name: Option<String>,
    sites: Vec<usize>,
    rename: Option<(String, String)>,
    /// Other key names set from this credential on its lines (`export CLOUDFLARE_API_KEY="$CF_API_KEY"`
    /// for Wrangler): renamed with it, or a client still finds a key variable.
    aliases: Vec<(String, String)>,
    /// Why the group is left as is, when it is.
    blocked: Option<(Status, String)>,
    /// A code identifier (`$apiKey`) is renamed only inside its definition: (file, 0-based
    /// first and last line). Such a name is nobody's setting, so no note asks to set it.
    scope: Option<(String, (usize, usize))>,
}

fn is_code(lang: Lang) -> bool {
    matches!(lang, Lang::Python | Lang::Js | Lang::Go | Lang::Php | Lang::Ruby | Lang::Rust | Lang::Jvm | Lang::CSharp)
}

/// The Secret key a Kubernetes env entry reads (`- name: CF_API_KEY` ... `secretKeyRef:` ...
/// `key: cloudflareApiKey`), from the entry's own lines (0-based `i` is the `- name:` line).
fn secret_ref_key(lines: &[(String, String)], i: usize) -> Option<String> {
    let first = &lines.get(i)?.0;
    let dash = first.find("- ")?;
    if !first[dash + 2..].trim_start().starts_with("name:") {
        return None;
    }
    let mut in_ref = false;
    for (l, _) in lines.iter().skip(i + 1) {
        if l.trim().is_empty() {
            continue;
        }
        let indent = l.len() - l.trim_start().len();
        if indent <= dash {
            break;
        }
        let t = l.trim();
        if t.starts_with("secretKeyRef:") {
            in_ref = true;
        } else if let (true, Some(v)) = (in_ref, t.strip_prefix("key:")) {
            let v = v.trim().trim_matches(['"', '\'']);
            return (!v.is_empty() && !v.contains("{{")).then(|| v.to_string());
        }
    }
    None
}

/// A Kubernetes env entry that reads the key from a Secret (`secretKeyRef: key: K`): a file
/// of the consumer that sets K (the Secret's data, its chart's values) to the key itself
/// holds this credential's value. A patch never carries a secret, so the credential waits for
/// the hand edit, and that file keeps the name the templates read.
///
/// Returns those groups of stored keys, each with the file that reads its name.
fn secret_chains(
    groups: &mut BTreeMap<GroupId, Group>,
    keys: &[&Finding],
    group_of: &[GroupId],
    files: &BTreeMap<String, FileWork>,
    index: &Index,
    result: &ScanResult,
) -> BTreeMap<GroupId, String> {
    let mut chain_read: BTreeMap<GroupId, String> = BTreeMap::new();
    let ids_of: Vec<GroupId> = groups.keys().cloned().collect();
    for id in &ids_of {
        let g = &groups[id];
        if g.blocked.is_some() {
            continue;
        }
        let mut blocked = None;
        for &i in &g.sites {
            let Some(w) = files.get(&keys[i].path).filter(|w| w.lang == Lang::Yaml) else { continue };
            let Some(k) = secret_ref_key(&w.lines, keys[i].line.saturating_sub(1)) else { continue };
            let consumer_files: BTreeSet<String> =
                g.consumers.iter().flat_map(|c| index.files_of(c)).map(|(d, _)| d).collect();
            // K, and the values K is filled from (`K: {{ .Values.secret.V | b64enc }}`).
            let mut names = BTreeSet::from([k.clone()]);
            let mut readers = BTreeSet::new();
            static VALUES: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| {
                Regex::new(r"\.Values(?:\.[A-Za-z_]\w*)*\.([A-Za-z_]\w*)").expect("values pattern")
            });
            for d in &consumer_files {
                let Some(text) = result.texts.text(d) else { continue };
                for l in text.lines() {
                    let t = l.trim_start();
                    if t.strip_prefix(k.as_str()).is_some_and(|r| r.trim_start().starts_with(':')) {
                        if let Some(c) = VALUES.captures(l) {
                            names.insert(c[1].to_string());
                            readers.insert(d.clone());
                        }
                    }
                }
            }
            for (j, f) in keys.iter().enumerate() {
                let named = f.credential.as_ref().is_some_and(|c| names.contains(c));
                if f.secret.is_some() && named && consumer_files.contains(&f.path) {
                    let reader = readers.iter().next().cloned().unwrap_or_else(|| keys[i].path.clone());
                    chain_read.insert(group_of[j].clone(), reader);
                    blocked.get_or_insert(format!(
                        "left as is: {}:{} holds the key that {} is read from (through the Secret key {k}), and a patch never carries a secret: put the new token there by hand, under the same name, then run fix again",
                        f.path,
                        f.line,
                        g.name.as_deref().unwrap_or("this credential"),
                    ));
                }
            }
        }
        if let Some(why) = blocked {
            groups.get_mut(id).expect("group").blocked = Some((Status::Manual, why));
        }
    }
    for id in chain_read.keys() {
        if let Some(g) = groups.get_mut(id) {
            g.rename = None;
        }
    }
    chain_read
}

/// Why the scan's text of a file is not its exact content, so that a rewrite of it could lose
/// or change bytes: it was read only in part, or invalid UTF-8 was replaced.
fn inexact(result: &ScanResult, display: &str) -> Option<WarningReason> {
    result
        .warnings
        .iter()
        .find(|w| w.path == display && matches!(w.reason, WarningReason::TooLarge | WarningReason::InvalidUtf8))
        .map(|w| w.reason)
}

/// A file to edit, from the text the scan kept (nothing is read again here). Err: why not.
fn load(result: &ScanResult, index: &Index, display: &str) -> Result<FileWork, String> {
    match inexact(result, display) {
        Some(WarningReason::TooLarge) => {
            return Err("the scan read only the first part of this file (it is larger than --max-file-size): raise --max-file-size, or edit it by hand".into())
        }
        Some(_) => {
            return Err("this file is not valid UTF-8, so a rewrite could not keep its bytes: edit it by hand".into())
        }
        None => {}
    }
    let real = index.real(display).ok_or("the scan did not see this file")?.to_path_buf();
    let text = result.texts.text(display).ok_or("the scan kept no text of this file (binary or unreadable)")?;
    let text = text.to_string();
    let lang = rewrite::lang_of(display, &text);
    let lines = split_lines(&text);
    Ok(FileWork { display: display.to_string(), real, text, lang, lines, fixes: BTreeMap::new() })
}

fn line_of<'a>(files: &'a BTreeMap<String, FileWork>, f: &Finding) -> &'a str {
    files.get(&f.path).and_then(|w| w.lines.get(f.line.saturating_sub(1))).map(|l| l.0.as_str()).unwrap_or("")
}

/// The group's token name: the tool profile's rename, else `KEY` -> `TOKEN` in the name.
/// Environment-style names and Terraform variables are renamed; a lowercase name anywhere
/// else is a template or vault variable defined out of reach, and keeps its name.
fn group_rename(rw: &Rewrites, name: &str, tools: &BTreeSet<String>, all_terraform: bool) -> Option<(String, String)> {
    for t in tools {
        if let Some(new) = rw.of(t).and_then(|p| p.rename.get(name)) {
            return Some((name.to_string(), new.clone()));
        }
    }
    let env_style = name.chars().any(|c| c.is_ascii_uppercase());
    if !env_style && !all_terraform {
        return None;
    }
    rw.token_name(name).filter(|n| n != name).map(|n| (name.to_string(), n))
}

/// `CF_API_KEY`, `CF_Key`: an environment variable's shape.
fn env_name(n: &str) -> bool {
    static ENV: std::sync::LazyLock<Regex> =
        std::sync::LazyLock::new(|| Regex::new(r"^[A-Z][A-Za-z0-9]*_[A-Za-z0-9_]+$").expect("env name"));
    ENV.is_match(n)
}

/// A key-shaped literal on a line (the scan's own shapes).
fn holds_key(line: &str) -> bool {
    static HEX: std::sync::LazyLock<Regex> =
        std::sync::LazyLock::new(|| Regex::new(r"(?i)\b(?:cfk_[a-z0-9]{48}|[a-f0-9]{37,45})\b").expect("key shape"));
    HEX.is_match(line)
}

/// What the plan proposes instead, when `f` is a site of a credential whose app collects its
/// users' Global keys (`infer::collected`): the stored value is each user's key, not one to
/// swap for a token.
fn collected_target<'p>(credentials: &'p Plan, f: &Finding) -> Option<&'p str> {
    credentials
        .credentials
        .iter()
        .filter(|c| c.sites.iter().any(|s| s.path == f.path && s.line == f.line))
        .find_map(|c| c.collected.as_ref().map(|x| x.target.as_str()))
}

/// The fix of every key and e-mail site of `result`, credential by credential as `credentials`
/// (the plan of the same scan) groups them, with the rewrites of the session's rules.
pub fn plan(result: &ScanResult, credentials: &Plan, rw: &Rewrites) -> FixSet {
    let ids = consumer::plan_ids(credentials);
    let index = Index::of(result);
    let mut files: BTreeMap<String, FileWork> = BTreeMap::new();
    // Files with findings that cannot be edited, and why.
    let mut unloaded: BTreeMap<String, String> = BTreeMap::new();
    for f in &result.findings {
        if !files.contains_key(&f.path) && !unloaded.contains_key(&f.path) {
            match load(result, &index, &f.path) {
                Ok(w) => {
                    files.insert(f.path.clone(), w);
                }
                Err(why) => {
                    unloaded.insert(f.path.clone(), why);
                }
            }
        }
    }

    // 1. Key sites, grouped by credential and consumer.
    let keys: Vec<&Finding> = result.findings.iter().filter(|f| f.role == Role::Key).collect();
    let mut groups: BTreeMap<GroupId, Group> = BTreeMap::new();
    let mut group_of: Vec<GroupId> = Vec::new();
    for (i, f) in keys.iter().enumerate() {
        let (name, c, credential) = consumer::identity(f, line_of(&files, f), &index, &ids);
        let id = (credential, name.clone().unwrap_or_else(|| format!("{}:{}", f.path, f.line)));
        let g = groups.entry(id.clone()).or_insert(Group {
            consumers: BTreeSet::new(),
            name,
            sites: Vec::new(),
            rename: None,
            aliases: Vec::new(),
            blocked: None,
            scope: None,
        });
        g.consumers.insert(c);
        g.sites.push(i);
        group_of.push(id);
    }
    let wrapped = wrapper::of(&keys, &files);
    for g in groups.values_mut() {
        // The stored value is each user's Global key: sent as a Bearer token it breaks.
        if let Some(target) = g.sites.iter().find_map(|&i| collected_target(credentials, keys[i])) {
            g.blocked = Some((
                Status::Declined,
                format!("this app collects its users' Global API Keys: a token patch would send a stored key as a Bearer token; move it to {target}"),
            ));
            continue;
        }
        let tools: BTreeSet<String> = g.sites.iter().filter_map(|&i| keys[i].tool.clone()).collect();
        if let Some(m) = tools.iter().find_map(|t| rw.of(t).and_then(|p| p.manual.clone())) {
            g.blocked = Some((Status::Manual, m));
            continue;
        }
        let all_tf = g
            .sites
            .iter()
            .all(|&i| matches!(files.get(&keys[i].path).map(|w| w.lang), Some(Lang::Terraform | Lang::TfVars)));
        g.rename = g.name.as_deref().and_then(|n| group_rename(rw, n, &tools, all_tf));
        // A code identifier (`$apiKey`) is local: renamed only inside its definition, when every
        // site of the group is in it and no caller passes the argument by that name.
        if let Some((old, _)) = g.rename.clone() {
            let tool_named = tools.iter().any(|t| rw.of(t).is_some_and(|p| p.rename.contains_key(&old)));
            let code_only = g.sites.iter().all(|&i| files.get(&keys[i].path).is_some_and(|w| is_code(w.lang)));
            if !tool_named && code_only && !env_name(&old) {
                let def = wrapped
                    .iter()
                    .find(|w| g.sites.iter().all(|&i| w.def.contains(&keys[i].path, keys[i].line.saturating_sub(1))));
                let by_name =
                    def.is_some_and(|w| w.callers.iter().any(|&c| rewrite::mentions(line_of(&files, keys[c]), &old)));
                match def {
                    Some(w) if !by_name => g.scope = Some((w.def.path.clone(), w.def.span)),
                    _ => g.rename = None,
                }
            }
        }
        if g.rename.is_some() {
            for &i in &g.sites {
                // Only environment variables set in shell, Docker, env and YAML files: a code
                // variable (`apiKey = getenv(...)`) is local and keeps its name.
                let setting = matches!(
                    files.get(&keys[i].path).map(|w| w.lang),
                    Some(Lang::Shell | Lang::Docker | Lang::Data | Lang::Yaml)
                );
                let line = line_of(&files, keys[i]);
                if let Some(a) = rewrite::assigned_name(line).filter(|a| setting && Some(a) != g.name.as_ref()) {
                    if env_name(&a) && !g.aliases.iter().any(|(o, _)| *o == a) {
                        if let Some(r) = group_rename(rw, &a, &tools, false) {
                            g.aliases.push(r);
                        }
                    }
                }
            }
        }
    }

    let chain_read = secret_chains(&mut groups, &keys, &group_of, &files, &index, result);

    // 2. Each site on its own.
    let mut fixes: Vec<KeyFix> = keys
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let g = &groups[&group_of[i]];
            if let Some((status, message)) = &g.blocked {
                return KeyFix { foreign: false, edits: Vec::new(), status: *status, message: message.clone() };
            }
            let Some(w) = files.get(&f.path) else {
                return super::declined(
                    unloaded.get(&f.path).cloned().unwrap_or_else(|| "the scan kept no text of this file".into()),
                );
            };
            if let Some(wr) = wrapped.iter().find(|wr| wr.callers.contains(&i)).filter(|_| f.secret.is_none()) {
                return wrapper::caller_site(f, w, g.rename.clone(), &wr.def);
            }
            let mut k = key_site(f, w, g.name.as_deref(), g.rename.clone(), rw);
            if let Some(reader) = chain_read.get(&group_of[i]).filter(|_| k.status == Status::Manual) {
                k.message = format!(
                    "this file stores the key itself and a patch never carries a secret: replace the value with the new token by hand, keeping the name `{}` ({reader} reads it), then revoke the key",
                    g.name.as_deref().unwrap_or_default()
                );
            }
            if let Some(wr) = wrapped.iter().find(|wr| wr.sites.contains(&i) && !wr.callers.is_empty()) {
                if k.status == Status::Migrated {
                    let callers: Vec<String> =
                        wr.callers.iter().map(|&c| format!("{}:{}", keys[c].path, keys[c].line)).collect();
                    k.message = format!(
                        "{} now sends the `{}` its callers pass as `Authorization: Bearer`, migrated with them ({})",
                        wr.def.at(),
                        g.rename.as_ref().map(|r| r.1.as_str()).unwrap_or(&wr.def.key_param),
                        callers.join(", ")
                    );
                }
            }
            k
        })
        .collect();

    // Another service's header is no Cloudflare credential: its name is never renamed.
    for g in groups.values_mut() {
        if g.sites.iter().all(|&i| fixes[i].foreign) {
            g.rename = None;
            g.aliases.clear();
        }
    }

    // 3. A rename must reach every file of the consumer that sets or reads the name.
    let mut rename_files: BTreeMap<(GroupId, String), Vec<String>> = BTreeMap::new();
    for (id, g) in groups.iter_mut() {
        let all: Vec<(String, String)> = g.rename.iter().chain(g.aliases.iter()).cloned().collect();
        for (old, new) in all {
            if g.blocked.is_some() {
                continue;
            }
            let removed: BTreeSet<(String, usize)> = g
                .sites
                .iter()
                .flat_map(|&i| {
                    let path = keys[i].path.clone();
                    // Lines a site of this group rewrites no longer hold the literal.
                    fixes[i].edits.iter().filter(|(_, e)| *e != LineFix::Keep).map(move |(l, _)| (path.clone(), *l))
                })
                .collect();
            let mut touched = Vec::new();
            let consumer_files: BTreeSet<(String, PathBuf)> = g
                .consumers
                .iter()
                .flat_map(|c| index.files_of(c))
                .filter(|(d, _)| g.scope.as_ref().is_none_or(|(p, _)| p == d))
                .collect();
            for (display, _) in consumer_files {
                // A file the scan read in part may use the name beyond its cut; one with invalid
                // UTF-8 that uses it cannot be rewritten byte for byte; a binary file is no config.
                let partial = match inexact(result, &display) {
                    Some(WarningReason::TooLarge) => Some("the scan read only in part (raise --max-file-size)"),
                    Some(_)
                        if result
                            .texts
                            .text(&display)
                            .is_some_and(|t| t.lines().any(|l| rewrite::mentions(l, &old))) =>
                    {
                        Some("is not valid UTF-8")
                    }
                    _ => None,
                };
                if let Some(why) = partial {
                    g.blocked = Some((Status::Manual, format!("{old} may also be used in {display}, which {why}: rename it by hand everywhere, or not at all")));
                    continue;
                }
                let text = match files.get(&display) {
                    Some(w) => Some(w.text.clone()),
                    None => result.texts.text(&display).map(|t| t.to_string()),
                };
                let Some(text) = text else { continue };
                let mut uses = false;
                for (n, l) in text.lines().enumerate() {
                    if !rewrite::mentions(l, &old) {
                        continue;
                    }
                    uses = true;
                    let literal = holds_key(l)
                        || result.findings.iter().any(|f| f.path == display && f.line == n + 1 && f.secret.is_some());
                    if literal && !removed.contains(&(display.clone(), n)) {
                        g.blocked = Some((Status::Manual, format!(
                        "{display}:{} sets {old} to the key itself, and a patch never carries or moves a secret: put the new token there as {} by hand, then run fix again",
                        n + 1,
                        new
                    )));
                    }
                }
                if uses {
                    touched.push(display);
                }
            }
            rename_files.insert((id.clone(), old.clone()), touched);
        }
    }

    // 4. Whole groups: one site that cannot be migrated leaves the group as is; groups that
    //    share a hard-coded key, or a file with a declined site, go with it.
    loop {
        let mut changed = false;
        let mut why: BTreeMap<GroupId, (Status, String)> = BTreeMap::new();
        for (i, k) in fixes.iter().enumerate() {
            if k.status != Status::Migrated && !k.foreign {
                let f = keys[i];
                why.entry(group_of[i].clone()).or_insert((k.status, format!("{}:{} ({})", f.path, f.line, k.message)));
            }
        }
        for (id, g) in groups.iter_mut() {
            if g.blocked.is_none() {
                if let Some((status, at)) = why.get(id) {
                    let what = g.name.clone().unwrap_or_else(|| "this key".into());
                    g.blocked = Some((*status, format!("left as is: {what} has a site that is not migrated, at {at}; a half-migrated credential breaks")));
                    changed = true;
                }
            }
        }
        changed |= link_workflows(&mut groups, &keys, &fixes);
        // A wrapper and its callers move together: sent as a token, the key an unmigrated caller
        // passes breaks; renamed at a caller alone, the wrapper sends the token as a key.
        for wr in wrapped.iter().filter(|wr| !wr.callers.is_empty()) {
            let unit: Vec<usize> = wr.sites.iter().chain(wr.callers.iter()).copied().collect();
            let stuck = unit.iter().copied().find(|&j| {
                !fixes[j].foreign && (fixes[j].status != Status::Migrated || groups[&group_of[j]].blocked.is_some())
            });
            let Some(j) = stuck else { continue };
            let why = match &groups[&group_of[j]].blocked {
                Some((_, m)) if fixes[j].status == Status::Migrated => m.clone(),
                _ => fixes[j].message.clone(),
            };
            let at = format!("{}:{}", keys[j].path, keys[j].line);
            let caller_stuck = wr.callers.contains(&j);
            for &k in &unit {
                let g = groups.get_mut(&group_of[k]).expect("group");
                if g.blocked.is_some() {
                    continue;
                }
                let message = match (wr.sites.contains(&k), caller_stuck) {
                    (true, true) => format!("left as is: {} is called at {at}, which is not migrated ({why}); sent as a token here, the key that caller passes would break", wr.def.at()),
                    (true, false) => format!("left as is: {} has a site that is not migrated, at {at} ({why})", wr.def.at()),
                    (false, true) => format!("left as is: {} is also called at {at}, which is not migrated ({why}); the wrapper and its callers move together", wr.def.at()),
                    (false, false) => format!("left as is: {}, which this passes the key to, is not migrated (at {at}: {why}); renamed here alone, the token would be sent as a key", wr.def.at()),
                };
                g.blocked = Some((Status::Declined, message));
                changed = true;
            }
        }
        // A nameless site (a wrapper sending the value its callers pass) goes with the named
        // groups of its credential: when none of them is migrated, migrating it alone would
        // send the callers' key as a token.
        let mut named: BTreeMap<&str, bool> = BTreeMap::new();
        for (id, g) in groups.iter().filter(|(_, g)| g.name.is_some()) {
            *named.entry(id.0.as_str()).or_insert(true) &= g.blocked.is_some();
        }
        let blocked_credentials: BTreeSet<String> =
            named.into_iter().filter(|(_, all_blocked)| *all_blocked).map(|(c, _)| c.to_string()).collect();
        for (id, g) in groups.iter_mut() {
            if g.blocked.is_none() && g.name.is_none() && blocked_credentials.contains(&id.0) {
                g.blocked = Some((
                    Status::Declined,
                    format!("left as is: the code that passes this value ({}) is not migrated, and this site alone would send its key as a token", id.0),
                ));
                changed = true;
            }
        }
        let blocked_secrets: BTreeSet<String> = keys
            .iter()
            .enumerate()
            .filter(|(i, _)| groups[&group_of[*i]].blocked.is_some())
            .filter_map(|(_, f)| f.secret.as_ref().map(|s| s.expose().to_string()))
            .collect();
        let declined_files: BTreeSet<String> = fixes
            .iter()
            .enumerate()
            .filter(|(_, k)| k.status == Status::Declined && !k.foreign)
            .map(|(i, _)| keys[i].path.clone())
            .collect();
        for (i, f) in keys.iter().enumerate() {
            let g = groups.get_mut(&group_of[i]).expect("group");
            if g.blocked.is_some() {
                if fixes[i].status == Status::Migrated {
                    let (status, message) = g.blocked.clone().expect("blocked");
                    fixes[i] = KeyFix { foreign: false, edits: Vec::new(), status, message };
                    changed = true;
                }
                continue;
            }
            let shared = f.secret.as_ref().is_some_and(|s| blocked_secrets.contains(s.expose()));
            if shared || declined_files.contains(&f.path) {
                let why = if shared {
                    "the same hard-coded key is used by a credential that is not migrated".to_string()
                } else {
                    format!("another site in {} cannot be migrated safely", f.path)
                };
                g.blocked = Some((Status::Declined, format!("left as is: {why}; a half-migrated credential breaks")));
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }

    // 5. Edits of the migrated groups, then their renames across the consumer.
    let mut sites = Vec::new();
    let mut notes = BTreeSet::new();
    let mut migrated_consumers: BTreeSet<String> = BTreeSet::new();
    let mut blocked_consumers: BTreeSet<String> = BTreeSet::new();
    // Per file: whether its key sites went (an e-mail pairs with the keys of its own file,
    // else with those of its consumer).
    let mut file_keys: BTreeMap<String, (bool, bool)> = BTreeMap::new();
    for (i, k) in fixes.into_iter().enumerate() {
        let f = keys[i];
        let g = &groups[&group_of[i]];
        if !k.foreign {
            let e = file_keys.entry(f.path.clone()).or_default();
            if k.status == Status::Migrated {
                e.0 = true;
            } else {
                e.1 = true;
            }
        }
        if k.status == Status::Migrated {
            migrated_consumers.extend(g.consumers.iter().map(|c| c.display.clone()));
            if let Some(w) = files.get_mut(&f.path) {
                for (l, fix) in &k.edits {
                    w.fixes.insert(*l, fix.clone());
                }
            }
            for t in f.tool.iter() {
                if let Some(n) = rw.of(t).and_then(|p| p.note.clone()) {
                    notes.insert(n);
                }
            }
        } else if !k.foreign {
            blocked_consumers.extend(g.consumers.iter().map(|c| c.display.clone()));
        }
        if f.kind == Kind::Literal {
            notes.insert(format!("{}:{}: a Global API Key is hard-coded there: revoke it (roll the key in the dashboard) once the token works, since it is in your history", f.path, f.line));
        }
        sites.push(SiteFix {
            path: f.path.clone(),
            line: f.line,
            role: Role::Key,
            credential: g.name.clone().or_else(|| f.credential.clone()),
            status: k.status,
            message: k.message,
            end_line: f.end_line.max(f.line),
        });
    }
    for (id, g) in &groups {
        if g.blocked.is_some() {
            continue;
        }
        if let (Some((old, new)), None) = (&g.rename, &g.scope) {
            notes.insert(format!(
                "set {new} to the new scoped token wherever {old} was set outside this tree (CI secrets, deployment)"
            ));
        }
        for (old, new) in g.rename.iter().chain(g.aliases.iter()) {
            for display in rename_files.get(&(id.clone(), old.clone())).into_iter().flatten() {
                if !files.contains_key(display) {
                    if let Ok(w) = load(result, &index, display) {
                        files.insert(display.clone(), w);
                    }
                }
                let Some(w) = files.get_mut(display) else { continue };
                for (l, (line, _)) in w.lines.iter().enumerate() {
                    if g.scope.as_ref().is_some_and(|(p, (a, b))| p != display || l < *a || l > *b) {
                        continue;
                    }
                    let current = match w.fixes.get(&l) {
                        Some(LineFix::Remove) => continue,
                        Some(LineFix::Replace(s)) => s.clone(),
                        _ => line.clone(),
                    };
                    let renamed = rewrite::rename_in(&current, old, new);
                    if renamed != current {
                        w.fixes.insert(l, LineFix::Replace(renamed));
                    }
                }
                if w.lang == Lang::Terraform {
                    super::terraform::describe_token(w, new);
                }
            }
        }
    }

    // 6. E-mail sites: only where every key of the consumer went, and only if nothing else
    //    reads the e-mail.
    let mut emails: Vec<&Finding> = result.findings.iter().filter(|f| f.role == Role::Email).collect();
    emails.sort_by_key(|f| (!f.snippet.to_ascii_lowercase().contains("x-auth-email"), f.path.clone(), f.line));
    let email_lines: BTreeSet<(String, usize)> = emails.iter().map(|f| (f.path.clone(), f.line)).collect();
    // Settings removed per site, kept to be undone: (group, site index, previous fixes).
    type Undo = Vec<(usize, Option<LineFix>)>;
    // (consumer and name, site index, file, previous fixes, whether the line reads the e-mail)
    type Pending = (Option<(String, String)>, usize, String, Undo, bool);
    let mut undo: Vec<Pending> = Vec::new();
    for f in emails {
        let c = index.consumer_of(&f.path);
        let Some(w) = files.get(&f.path) else { continue };
        let line = w.lines.get(f.line.saturating_sub(1)).map(|l| l.0.clone()).unwrap_or_default();
        let name = f.credential.clone().or_else(|| rewrite::assigned_name(&line));
        let paired_ok = match file_keys.get(&f.path) {
            Some((migrated, blocked)) => *migrated && !*blocked,
            None => migrated_consumers.contains(&c.display) && !blocked_consumers.contains(&c.display),
        };
        let header = line.to_ascii_lowercase().contains("x-auth-email");
        let mut before = Undo::new();
        // The e-mail argument of a migrated wrapper call (`Client(getenv('CF_EMAIL'), ...)`).
        let via = wrapped.iter().find(|wr| {
            wr.callers
                .iter()
                .any(|&j| keys[j].path == f.path && keys[j].line == f.line && sites[j].status == Status::Migrated)
        });
        let still_read = |w: &FileWork| {
            let i = f.line.saturating_sub(1);
            let now = match w.fixes.get(&i) {
                Some(LineFix::Remove) => return false,
                Some(LineFix::Replace(s)) => s.as_str(),
                _ => w.lines.get(i).map(|l| l.0.as_str()).unwrap_or(""),
            };
            name.as_deref().is_some_and(|n| rewrite::mentions(now, n))
        };
        let (status, message) = if !paired_ok {
            (Status::Declined, "left as is: the key it goes with is not migrated".to_string())
        } else if let Some(wr) = via.filter(|_| files.get(&f.path).is_some_and(still_read)) {
            let headers: Vec<&SiteFix> = sites
                .iter()
                .filter(|s| s.role == Role::Email && wr.def.contains(&s.path, s.line.saturating_sub(1)))
                .collect();
            if !headers.is_empty() && headers.iter().all(|s| s.status == Status::Migrated) {
                (Status::Kept, format!("still passed to {}, so callers keep working unchanged, but no longer sent: its X-Auth-Email header is removed", wr.def.at()))
            } else {
                (Status::Manual, format!("still passed to {}, which still sends it next to the token: remove its X-Auth-Email header by hand", wr.def.at()))
            }
        } else if let Some(other) =
            name.as_deref().and_then(|n| other_use(result, &index, &c, n, &files, &email_lines, &line))
        {
            (Status::Manual, format!("{} is also used at {other} for something else, so it stays: make sure the Cloudflare client no longer receives it with a key", name.clone().unwrap_or_default()))
        } else {
            let w = files.get_mut(&f.path).expect("loaded");
            let old = w.fixes.clone();
            let (status, mut message) = email_site(f, w);
            for (l, fix) in &w.fixes {
                if old.get(l) != Some(fix) {
                    before.push((*l, old.get(l).cloned()));
                }
            }
            // The wrapper's e-mail parameter stays, so its callers keep working unchanged.
            let param = wrapped
                .iter()
                .filter(|wr| !wr.callers.is_empty() && wr.def.contains(&f.path, f.line.saturating_sub(1)))
                .find_map(|wr| wr.def.email_param.clone());
            if let (Status::Migrated, true, Some(p)) = (status, header, param) {
                message
                    .push_str(&format!("; the `{p}` parameter stays, so callers keep working, but is no longer sent"));
            }
            (status, message)
        };
        if !header {
            // A line that reads the e-mail (not one that sets it) is a use that needs it.
            let reads = rewrite::assigned_name(&line) != name;
            undo.push((name.clone().map(|n| (c.display.clone(), n)), sites.len(), f.path.clone(), before, reads));
        }
        sites.push(SiteFix {
            path: f.path.clone(),
            line: f.line,
            role: Role::Email,
            credential: f.credential.clone(),
            status,
            message,
            end_line: f.end_line.max(f.line),
        });
    }
    // One e-mail setting that stays (something still needs it) keeps the others of that name
    // in the consumer: removing the `.env` line would empty what the remaining use reads.
    let staying: BTreeMap<(String, String), String> = undo
        .iter()
        .filter(|(_, i, _, _, reads)| *reads || sites[*i].status == Status::Declined)
        .filter_map(|(g, i, _, _, _)| Some((g.clone()?, *i)))
        .filter(|(_, i)| sites[*i].status != Status::Migrated)
        .map(|(g, i)| (g, format!("{}:{}", sites[i].path, sites[i].line)))
        .collect();
    for (g, i, path, before, _) in undo {
        let Some(at) = g.as_ref().and_then(|g| staying.get(g)) else { continue };
        if sites[i].status != Status::Migrated {
            continue;
        }
        if let Some(w) = files.get_mut(&path) {
            for (l, prev) in before {
                match prev {
                    Some(p) => w.fixes.insert(l, p),
                    None => w.fixes.remove(&l),
                };
            }
        }
        sites[i].status = Status::Manual;
        sites[i].message = format!(
            "left in place: {} stays at {at}, which still needs it; remove it once nothing reads it",
            g.map(|g| g.1).unwrap_or_default()
        );
    }
    // Guards that still demand the e-mail (`: "${CF_API_EMAIL:?}"`) in migrated consumers.
    for w in files.values_mut() {
        let c = index.consumer_of(&w.display);
        if !migrated_consumers.contains(&c.display) || blocked_consumers.contains(&c.display) || w.lang != Lang::Shell {
            continue;
        }
        for l in 0..w.lines.len() {
            if w.fixes.contains_key(&l) {
                continue;
            }
            if let Some(n) = rewrite::email_guard(&w.lines[l].0) {
                if sites.iter().any(|s| {
                    s.role == Role::Email && s.credential.as_deref() == Some(n.as_str()) && s.status == Status::Migrated
                }) || rw.removed_names().any(|r| r == n)
                {
                    w.fixes.insert(l, LineFix::Remove);
                    sites.push(SiteFix {
                        path: w.display.clone(),
                        line: l + 1,
                        role: Role::Email,
                        credential: Some(n),
                        status: Status::Migrated,
                        message: "check that demands the e-mail removed (a token needs no e-mail)".into(),
                        end_line: l + 1,
                    });
                }
            }
        }
    }

    // 7. New text, imports for the names it now uses, and honest statuses.
    let mut edits = Vec::new();
    for w in files.into_values() {
        let mut new = String::new();
        for (l, (line, end)) in w.lines.iter().enumerate() {
            match w.fixes.get(&l) {
                Some(LineFix::Remove) => {}
                Some(LineFix::Replace(s)) => {
                    new.push_str(s);
                    new.push_str(end);
                }
                _ => {
                    new.push_str(line);
                    new.push_str(end);
                }
            }
        }
        let new = super::imports::add(w.lang, &new);
        let new = if w.lang == Lang::Go { super::gofmt::keep_layout(&w.text, &new) } else { new };
        let changed: BTreeSet<usize> = w.fixes.keys().map(|l| l + 1).collect();
        for s in sites.iter_mut().filter(|s| s.path == w.display && s.status == Status::Migrated) {
            if !(s.line..=s.end_line).any(|l| changed.contains(&l)) || new == w.text {
                s.status = Status::Manual;
                s.message = format!("nothing on this line changes: {}", s.message);
            }
        }
        if new != w.text {
            let secrets =
                result.findings.iter().filter(|f| f.path == w.display).filter_map(|f| f.secret.clone()).collect();
            edits.push(FileEdit { path: w.display, real: w.real, old: w.text, new, secrets });
        }
    }
    let edited: BTreeSet<&str> = edits.iter().map(|e| e.path.as_str()).collect();
    for s in sites.iter_mut().filter(|s| s.status == Status::Migrated && !edited.contains(s.path.as_str())) {
        s.status = Status::Manual;
        s.message = format!("nothing in this file changes: {}", s.message);
    }
    sites.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    FixSet { edits, sites, notes: notes.into_iter().collect() }
}

/// A workflow runs the repository's own code: a variable it sets reaches every consumer that
/// reads the same name, which the project model may not link to it (`pip install . && python
/// -m pkg`). So groups of one name, one of them a workflow's, go together: all migrated with the
/// same token name, or all left as is. Returns whether a group was blocked.
fn link_workflows(groups: &mut BTreeMap<GroupId, Group>, keys: &[&Finding], fixes: &[KeyFix]) -> bool {
    let mut by_name: BTreeMap<String, Vec<GroupId>> = BTreeMap::new();
    for (id, g) in groups.iter() {
        // Another service's header is no Cloudflare credential and links nothing.
        let foreign = g.sites.iter().all(|&i| fixes[i].foreign);
        if let (Some(n), false) = (&g.name, foreign) {
            by_name.entry(n.clone()).or_default().push(id.clone());
        }
    }
    let mut changed = false;
    for (name, ids) in by_name {
        if ids.len() < 2 || !ids.iter().any(|id| groups[id].consumers.iter().any(|c| c.single_file)) {
            continue;
        }
        let blocked_at = ids.iter().find(|id| groups[*id].blocked.is_some()).and_then(|id| {
            let i = *groups[id].sites.first()?;
            Some(format!("{}:{}", keys[i].path, keys[i].line))
        });
        let renames: BTreeSet<Option<(String, String)>> = ids.iter().map(|id| groups[id].rename.clone()).collect();
        let why = match blocked_at {
            Some(at) => format!("left as is: a workflow sets {name} for this repository's code, which uses it too and is not migrated (see {at}); renaming one side would break the other"),
            None if renames.len() > 1 => format!("left as is: a workflow sets {name} for this repository's code, which reads it too, and the two would get different token names"),
            None => continue,
        };
        for id in &ids {
            let g = groups.get_mut(id).expect("group");
            if g.blocked.is_none() {
                g.blocked = Some((Status::Declined, why.clone()));
                changed = true;
            }
        }
    }
    changed
}

/// Another line of the consumer that reads the e-mail name, not itself an e-mail site.
fn other_use(
    result: &ScanResult,
    index: &Index,
    c: &Consumer,
    name: &str,
    files: &BTreeMap<String, FileWork>,
    email_lines: &BTreeSet<(String, usize)>,
    this_line: &str,
) -> Option<String> {
    let no_fixes = BTreeMap::new();
    for (display, _) in index.files_of(c) {
        // Only searched, so a file read in part is searched as far as the scan read it.
        let (lines, fixes) = match files.get(&display) {
            Some(w) => (std::borrow::Cow::Borrowed(&w.lines), &w.fixes),
            None => match result.texts.text(&display) {
                Some(t) if t.contains(name) => (std::borrow::Cow::Owned(split_lines(&t)), &no_fixes),
                _ => continue,
            },
        };
        for (l, (original, _)) in lines.iter().enumerate() {
            if original == this_line || email_lines.contains(&(display.clone(), l + 1)) {
                continue;
            }
            let line = match fixes.get(&l) {
                Some(LineFix::Remove) => continue,
                Some(LineFix::Replace(s)) => s.as_str(),
                _ => original.as_str(),
            };
            // A guard, or a signature that declares a parameter of that name, is no use.
            if rewrite::email_guard(line).is_some() || wrapper::signature(line) {
                continue;
            }
            let trimmed = line.trim_start();
            // Comments, and Terraform's declaration of the variable, are not uses.
            if trimmed.starts_with('#') || trimmed.starts_with("//") || trimmed.starts_with("variable ") {
                continue;
            }
            if rewrite::mentions(line, name) && !line.to_ascii_lowercase().contains("x-auth-email") {
                return Some(format!("{display}:{}", l + 1));
            }
        }
    }
    None
}
