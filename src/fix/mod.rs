//! `fix`: from scan findings to edited files that use a scoped token instead of the key.
//!
//! Takes a `ScanResult` and its `Plan` (whose credentials, secret and consumer, say which
//! sites must move together), returns a [`FixSet`]: the new text of each file (line-based edits
//! from `rewrite.rs`, line endings kept) and, for every key or email site, whether it was
//! migrated, needs a hand edit (the file stores the secret itself: a patch never carries a
//! secret), or was declined (a rewrite would be a guess). A credential with one declined key
//! site is left alone everywhere, so no file ends up half key, half token. Printing the diff
//! and writing files (atomically, keeping mode and CRLF) also live here; `lib.rs` decides
//! which one runs.

pub mod rewrite;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use regex::Regex;
use serde::Serialize;

use crate::finding::{Finding, Kind, Role};
use crate::infer::Plan;
use crate::project::CredentialId;
use crate::scan::ScanResult;
use rewrite::{Lang, LineFix};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Migrated,
    /// Needs a hand edit that the message spells out.
    Manual,
    Declined,
}

#[derive(Debug, Clone, Serialize)]
pub struct SiteFix {
    pub path: String,
    pub line: usize,
    pub role: Role,
    pub credential: Option<String>,
    pub status: Status,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct FileEdit {
    pub path: String,
    pub real: PathBuf,
    pub old: String,
    pub new: String,
    /// Hard-coded keys found in the file: never printed, checked against the diff.
    pub secrets: Vec<crate::secret::Secret>,
}

#[derive(Debug, Clone, Default)]
pub struct FixSet {
    pub edits: Vec<FileEdit>,
    pub sites: Vec<SiteFix>,
    /// Token variables the fixed code now reads, and keys to revoke.
    pub notes: Vec<String>,
}

/// Lines with their terminators, so CRLF survives a rewrite.
fn split_lines(text: &str) -> Vec<(String, String)> {
    text.split_inclusive('\n')
        .map(|l| {
            let body = l.trim_end_matches(['\n', '\r']);
            (body.to_string(), l[body.len()..].to_string())
        })
        .collect()
}

/// The plan's credential of a site (secret and consumer), so a credential is the same thing
/// in plan, fix and report; a site the plan does not list stands for itself.
fn credential_of(ids: &BTreeMap<(&str, usize), &CredentialId>, f: &Finding) -> String {
    match ids.get(&(f.path.as_str(), f.line)) {
        Some(id) => format!("{} ({})", id.secret, id.consumer),
        None => f.credential.clone().unwrap_or_else(|| f.path.clone()),
    }
}

struct FileWork {
    display: String,
    real: PathBuf,
    text: String,
    lang: Lang,
    lines: Vec<(String, String)>,
    /// 0-based line -> fix
    fixes: BTreeMap<usize, LineFix>,
    renames: BTreeSet<(String, String)>,
}

/// The outcome of one key site before credential-wide checks.
struct KeyFix {
    edits: Vec<(usize, LineFix)>,
    rename: Option<(String, String)>,
    status: Status,
    message: String,
}

fn declined(message: impl Into<String>) -> KeyFix {
    KeyFix { edits: Vec::new(), rename: None, status: Status::Declined, message: message.into() }
}

pub fn plan(result: &ScanResult, credentials: &Plan) -> FixSet {
    let ids: BTreeMap<(&str, usize), &CredentialId> = credentials
        .credentials
        .iter()
        .flat_map(|c| c.sites.iter().map(move |s| ((s.path.as_str(), s.line), &c.id)))
        .collect();
    let mut files: BTreeMap<String, FileWork> = BTreeMap::new();
    for f in &result.findings {
        if files.contains_key(&f.path) {
            continue;
        }
        let Some(real) = result.sources.get(&f.path) else { continue };
        let Ok(text) = std::fs::read_to_string(real) else { continue };
        let lang = rewrite::lang_of(&f.path, &text);
        let lines = split_lines(&text);
        files.insert(
            f.path.clone(),
            FileWork {
                display: f.path.clone(),
                real: real.clone(),
                text,
                lang,
                lines,
                fixes: BTreeMap::new(),
                renames: BTreeSet::new(),
            },
        );
    }
    let mut key_fixes: Vec<(&Finding, KeyFix)> = result
        .findings
        .iter()
        .filter(|f| f.role == Role::Key)
        .map(|f| {
            let k = match files.get(&f.path) {
                Some(w) => key_site(f, w),
                None => declined("the file could not be read again"),
            };
            (f, k)
        })
        .collect();
    // A declined site blocks its credential and its file everywhere.
    loop {
        let blocked_creds: BTreeSet<String> = key_fixes
            .iter()
            .filter(|(_, k)| k.status == Status::Declined)
            .map(|(f, _)| credential_of(&ids, f))
            .collect();
        let blocked_files: BTreeSet<String> =
            key_fixes.iter().filter(|(_, k)| k.status == Status::Declined).map(|(f, _)| f.path.clone()).collect();
        let mut changed = false;
        for (f, k) in &mut key_fixes {
            if k.status != Status::Declined
                && (blocked_creds.contains(&credential_of(&ids, f)) || blocked_files.contains(&f.path))
            {
                *k = declined(format!(
                    "left as is: another use of {} (or another site in this file) cannot be migrated safely, and a half-migrated credential breaks",
                    credential_of(&ids, f)
                ));
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let mut sites = Vec::new();
    let mut notes = BTreeSet::new();
    for (f, k) in key_fixes {
        if let Some(w) = files.get_mut(&f.path) {
            if k.status == Status::Migrated {
                for (i, fix) in &k.edits {
                    w.fixes.insert(*i, fix.clone());
                }
                if let Some((_, new)) = &k.rename {
                    notes.insert(format!(
                        "set {new} to the new scoped token wherever {} was set (shell, CI secrets, deployment)",
                        k.rename.as_ref().map(|r| r.0.as_str()).unwrap_or_default()
                    ));
                }
                if let Some(r) = k.rename.clone() {
                    w.renames.insert(r);
                }
            }
        }
        if f.kind == Kind::Literal {
            notes.insert(format!("{}:{}: a Global API Key is hard-coded there: revoke it (roll the key in the dashboard) once the token works, since it is in your history", f.path, f.line));
        }
        sites.push(SiteFix {
            path: f.path.clone(),
            line: f.line,
            role: Role::Key,
            credential: f.credential.clone(),
            status: k.status,
            message: k.message,
        });
    }
    // Whole-file renames of env-like names, then the email sites against the renamed text.
    for w in files.values_mut() {
        for (old, new) in w.renames.clone() {
            // ASCII boundaries, as the detection rules' names are ASCII: `éCF_API_KEY` was
            // found as `CF_API_KEY` and must be renamed too (issue 9, property test).
            let re = Regex::new(&format!(r"(?-u:\b){}(?-u:\b)", regex::escape(&old))).expect("escaped name");
            for (i, (line, _)) in w.lines.iter().enumerate() {
                let current = match w.fixes.get(&i) {
                    Some(LineFix::Remove) => continue,
                    Some(LineFix::Replace(s)) => s.clone(),
                    _ => line.clone(),
                };
                let renamed = re.replace_all(&current, new.as_str()).into_owned();
                if renamed != current {
                    w.fixes.insert(i, LineFix::Replace(renamed));
                }
            }
        }
    }
    let declined_files: BTreeSet<String> =
        sites.iter().filter(|s| s.status == Status::Declined).map(|s| s.path.clone()).collect();
    // Header lines first: an email variable can go only once its last header use is gone.
    let mut emails: Vec<&Finding> = result.findings.iter().filter(|f| f.role == Role::Email).collect();
    emails.sort_by_key(|f| (!f.snippet.to_ascii_lowercase().contains("x-auth-email"), f.path.clone(), f.line));
    for f in emails {
        let Some(w) = files.get_mut(&f.path) else { continue };
        let (status, message) = if declined_files.contains(&f.path) {
            (Status::Declined, "left as is: the key in this file is not migrated".to_string())
        } else {
            email_site(f, w)
        };
        sites.push(SiteFix {
            path: f.path.clone(),
            line: f.line,
            role: Role::Email,
            credential: f.credential.clone(),
            status,
            message,
        });
    }
    let mut edits = Vec::new();
    for w in files.into_values() {
        let mut new = String::new();
        for (i, (line, end)) in w.lines.iter().enumerate() {
            match w.fixes.get(&i) {
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
        if new != w.text {
            let secrets =
                result.findings.iter().filter(|f| f.path == w.display).filter_map(|f| f.secret.clone()).collect();
            edits.push(FileEdit { path: w.display, real: w.real, old: w.text, new, secrets });
        }
    }
    sites.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    FixSet { edits, sites, notes: notes.into_iter().collect() }
}

fn is_lego(f: &Finding, w: &FileWork) -> bool {
    let p = f.path.to_ascii_lowercase();
    let _ = w;
    // Per path, not per file content: every file of one credential must agree on the name.
    p.contains("traefik") || p.contains("lego") || matches!(f.tool.as_deref(), Some("traefik" | "lego"))
}

/// Files that only hold values: the key cannot become a reference there.
fn stores_secret(lang: Lang) -> bool {
    matches!(lang, Lang::Data | Lang::Yaml | Lang::Docker)
}

fn key_site(f: &Finding, w: &FileWork) -> KeyFix {
    let i = f.line.saturating_sub(1);
    let Some((line, _)) = w.lines.get(i) else { return declined("the line is gone") };
    // The script's mode switch, not the variable, decides the scheme (K0p1 cloudflare-ddns-updater).
    if f.rule == "origin-ca-service-key-header" {
        return declined("Origin CA service keys are retired: send `Authorization: Bearer <token>` with a token holding `SSL and Certificates Write` instead of this header");
    }
    if f.rule == "ddns-script-global-auth-method" {
        return declined(
            "set `auth_method=\"token\"` and put the scoped token in `auth_key`; the X-Auth-Email header goes with it",
        );
    }
    if f.tool.as_deref() == Some("pulumi") {
        return declined("Pulumi stores the key encrypted: run `pulumi config rm cloudflare:apiKey`, `pulumi config rm cloudflare:email` and `pulumi config set --secret cloudflare:apiToken <token>`");
    }
    let lego = is_lego(f, w);
    // WordPress reads a token from the same CLOUDFLARE_API_KEY slot (Cloudflare-WordPress Client.php).
    // Only environment-style names are renamed: a lowercase name is a Terraform or Ansible
    // variable whose value is defined elsewhere (tfvars, vault) and keeps its name.
    let rename = match f.credential.as_deref() {
        Some(c) if f.tool.as_deref() != Some("wordpress") && c.chars().any(|ch| ch.is_ascii_uppercase()) => {
            rewrite::token_name(c, lego).map(|n| (c.to_string(), n))
        }
        _ => None,
    };
    if f.tool.as_deref() == Some("wordpress") {
        // The plugin reads a token from the same slot and picks the scheme by its shape
        // (Cloudflare-WordPress src/API/Client.php): only the value changes, by hand.
        return KeyFix { edits: Vec::new(), rename: None, status: Status::Manual, message: "the Cloudflare WordPress plugin takes the token in the same CLOUDFLARE_API_KEY setting: put the token there (ideally read from the environment) and remove CLOUDFLARE_EMAIL".into() };
    }
    if f.tool.as_deref() == Some("octodns") {
        // octoDNS treats `token` as an API token once `email` is gone (octodns-cloudflare README).
        return KeyFix {
            edits: Vec::new(),
            rename: None,
            status: Status::Migrated,
            message: "octoDNS reads `token` as an API token once `email` is removed: store the new token there".into(),
        };
    }
    let token_var = rename.as_ref().map(|r| r.1.clone()).unwrap_or_else(|| match f.credential.as_deref() {
        Some(c) if !c.contains('-') && !c.contains(':') && f.kind != Kind::Header => c.to_string(),
        _ => "CLOUDFLARE_API_TOKEN".into(),
    });
    let mut text = line.clone();
    if let Some(secret) = &f.secret {
        let raw = secret.expose();
        if stores_secret(w.lang) {
            let shown = rewrite::setting_line(w.lang, line);
            let hint = match (&rename, shown) {
                (Some((_, n)), _) => format!("`{n}`"),
                (None, LineFix::Replace(s)) => {
                    format!("the setting as `{}`", s.trim().split(['=', ':']).next().unwrap_or("").trim())
                }
                _ => "the token setting".into(),
            };
            return KeyFix {
                edits: Vec::new(),
                rename: None,
                status: Status::Manual,
                message: format!("this file stores the key itself and a patch never carries a secret: replace the value with the new token by hand, under {hint}, then revoke the key"),
            };
        }
        if w.lang == Lang::TfVars {
            return KeyFix {
                edits: vec![(i, LineFix::Remove)],
                rename,
                status: Status::Migrated,
                message: format!("hard-coded key removed: pass the token as TF_VAR_{token_var}"),
            };
        }
        let Some(reference) = rewrite::env_ref(w.lang, &token_var) else {
            return declined("no way to read an environment variable is known for this file type");
        };
        // The quoted literal (with its quotes) becomes the reference.
        let mut replaced = false;
        for q in ["\"", "'", ""] {
            let quoted = format!("{q}{raw}{q}");
            if text.contains(&quoted) {
                let with =
                    if q.is_empty() && w.lang == Lang::Shell { format!("${{{token_var}}}") } else { reference.clone() };
                text = text.replace(&quoted, &with);
                replaced = true;
                break;
            }
        }
        if !replaced {
            return declined("the hard-coded key is split or encoded on this line");
        }
    }
    let mut edits = Vec::new();
    let lower = text.to_ascii_lowercase();
    if lower.contains("x-auth-key") {
        match rewrite::header_line(w.lang, &text, &token_var) {
            Ok(s) => edits.push((i, LineFix::Replace(s))),
            Err(why) => return declined(why),
        }
    } else if f.kind == Kind::Sdk || f.end_line > f.line {
        let last = f.end_line.max(f.line).saturating_sub(1);
        let mut any = false;
        for j in i..=last.min(w.lines.len().saturating_sub(1)) {
            let src = if j == i { text.clone() } else { w.lines[j].0.clone() };
            let fix = match rewrite::sdk_line(w.lang, &src) {
                LineFix::Keep => rewrite::setting_line(w.lang, &src),
                other => other,
            };
            match fix {
                LineFix::Keep if j == i && src != *line => edits.push((j, LineFix::Replace(src))),
                LineFix::Keep => {}
                other => {
                    any = true;
                    edits.push((j, other));
                }
            }
        }
        if !any {
            return declined("this client construction is not one scopesmith rewrites: switch it to the SDK's token constructor by hand");
        }
    } else {
        let fix = match rewrite::setting_line(w.lang, &text) {
            LineFix::Keep => LineFix::Replace(text.clone()),
            other => other,
        };
        if fix == LineFix::Replace(line.clone()) && rename.is_none() {
            return declined("nothing on this line maps to a token form");
        }
        edits.push((i, fix));
    }
    KeyFix { edits, rename, status: Status::Migrated, message: format!("now reads a scoped token ({token_var})") }
}

fn email_site(f: &Finding, w: &mut FileWork) -> (Status, String) {
    let i = f.line.saturating_sub(1);
    if w.fixes.contains_key(&i) {
        return (Status::Migrated, "removed with the key".into());
    }
    let Some((line, _)) = w.lines.get(i).cloned() else { return (Status::Declined, "the line is gone".into()) };
    let prev = i.checked_sub(1).and_then(|p| w.lines.get(p)).map(|l| l.0.as_str());
    if line.to_ascii_lowercase().contains("x-auth-email") {
        return match rewrite::email_header_alone(&line, prev) {
            Ok(()) => {
                w.fixes.insert(i, LineFix::Remove);
                (Status::Migrated, "X-Auth-Email header removed (a token needs no email)".into())
            }
            Err(why) => (Status::Manual, why),
        };
    }
    if f.tool.as_deref() == Some("ddclient") {
        if let Some(pos) = line.find("login=") {
            let end = line[pos..].find([',', ' ']).map(|e| pos + e).unwrap_or(line.len());
            w.fixes.insert(i, LineFix::Replace(format!("{}login=token{}", &line[..pos], &line[end..])));
            return (Status::Migrated, "ddclient: login=token selects the API token".into());
        }
    }
    if f.end_line > f.line || w.lang == Lang::TfVars || f.tool.as_deref() == Some("wordpress") {
        return (
            Status::Manual,
            "the email setting is no longer needed: remove it (and its declaration) by hand once the token works"
                .into(),
        );
    }
    // YAML: a `- name: X` entry whose block goes on below (valueFrom, ...) spans lines.
    let indent = |l: &str| l.len() - l.trim_start_matches([' ', '-']).len();
    let next = w.lines.get(i + 1).map(|l| l.0.as_str()).filter(|l| !l.trim().is_empty());
    if matches!(w.lang, Lang::Yaml | Lang::Data)
        && next.is_some_and(|n| {
            indent(n) >= indent(&line) && !n.trim_start().starts_with('-') && line.trim_start().starts_with('-')
        })
    {
        return (Status::Manual, "this entry goes on over the next lines: remove the whole entry by hand".into());
    }
    let Some(name) = rewrite::assigned_name(&line) else {
        return (Status::Manual, "the email is set as part of a longer statement: remove it by hand".into());
    };
    // Code: the variable must be unused once the header is gone.
    let code = matches!(
        w.lang,
        Lang::Python | Lang::Js | Lang::Go | Lang::Php | Lang::Ruby | Lang::Rust | Lang::Jvm | Lang::CSharp
    );
    if code {
        let re = Regex::new(&format!(r"\b{}\b", regex::escape(&name))).expect("escaped name");
        let used = w.lines.iter().enumerate().any(|(j, (l, _))| {
            j != i
                && match w.fixes.get(&j) {
                    Some(LineFix::Remove) => false,
                    Some(LineFix::Replace(s)) => re.is_match(s),
                    _ => re.is_match(l),
                }
        });
        if used {
            return (Status::Manual, format!("`{name}` is still used in this file: remove it with its last use"));
        }
    }
    w.fixes.insert(i, LineFix::Remove);
    (Status::Migrated, "email setting removed (a token needs no email)".into())
}

/// One file's unified diff, `git apply`-able (`--- a/path`, `+++ b/path`).
fn file_diff(e: &FileEdit) -> String {
    let d = similar::TextDiff::from_lines(&e.old, &e.new);
    let text =
        d.unified_diff().context_radius(3).header(&format!("a/{}", e.path), &format!("b/{}", e.path)).to_string();
    format!("diff --git a/{} b/{}\n{text}", e.path, e.path)
}

/// Whether printing this diff would show a secret (a removed or context line holding a key).
/// Such a file is left out of the printed diff: masking would make the patch inapplicable.
pub fn diff_shows_secret(e: &FileEdit) -> bool {
    let text = file_diff(e);
    crate::report::redact::scrub(&text) != text || e.secrets.iter().any(|s| text.contains(s.expose()))
}

/// The unified diff of every edit that can be printed; see [`withheld`] for the others.
pub fn diff(set: &FixSet) -> String {
    set.edits.iter().filter(|e| !diff_shows_secret(e)).map(file_diff).collect()
}

/// Files whose diff is not printed because it would show a hard-coded key.
pub fn withheld(set: &FixSet) -> Vec<&str> {
    set.edits.iter().filter(|e| diff_shows_secret(e)).map(|e| e.path.as_str()).collect()
}

/// Sites and notes, for stderr.
pub fn summary(set: &FixSet, written: Option<usize>) -> String {
    let mut s = String::new();
    for site in &set.sites {
        s.push_str(&format!(
            "{}:{}: {} ({}): {}\n",
            site.path,
            site.line,
            match site.status {
                Status::Migrated => "migrated",
                Status::Manual => "edit by hand",
                Status::Declined => "declined",
            },
            site.credential.as_deref().unwrap_or(match site.role {
                Role::Key => "key",
                Role::Email => "email",
            }),
            site.message
        ));
    }
    for n in &set.notes {
        s.push_str(&format!("note: {n}\n"));
    }
    if written.is_none() {
        for p in withheld(set) {
            s.push_str(&format!(
                "{p}: holds a hard-coded key, so its diff is not printed: run `scopesmith fix --apply` to rewrite it\n"
            ));
        }
    }
    match written {
        Some(n) => s.push_str(&format!("wrote {n} file{}\n", if n == 1 { "" } else { "s" })),
        None if !set.edits.is_empty() => {
            s.push_str("run again with --apply to write these changes, or pipe the diff to `git apply`\n")
        }
        None => s.push_str("nothing to rewrite\n"),
    }
    s
}

/// Writes each edit atomically (temp file in the same folder, then rename), keeping the file
/// mode; refuses symlinks and files outside the roots.
pub fn apply(set: &FixSet, roots: &[PathBuf]) -> Result<usize, crate::Error> {
    let roots: Vec<PathBuf> = roots.iter().filter_map(|r| r.canonicalize().ok()).collect();
    let mut n = 0;
    for e in &set.edits {
        write_one(e, &roots)?;
        n += 1;
    }
    Ok(n)
}

fn write_one(e: &FileEdit, roots: &[PathBuf]) -> Result<(), crate::Error> {
    let refuse = |why: &str| crate::Error::Usage {
        message: format!("refusing to write {}: {why}", e.real.display()),
        help: "fix files inside the scanned folder by hand, or pass the real path".into(),
    };
    let meta = std::fs::symlink_metadata(&e.real).map_err(|err| crate::Error::io(&e.real, err))?;
    if meta.file_type().is_symlink() {
        return Err(refuse("it is a symbolic link"));
    }
    let canon = e.real.canonicalize().map_err(|err| crate::Error::io(&e.real, err))?;
    if !roots.iter().any(|r| canon.starts_with(r)) {
        return Err(refuse("it is outside the scanned roots"));
    }
    let current = std::fs::read_to_string(&canon).map_err(|err| crate::Error::io(&canon, err))?;
    if current != e.old {
        return Err(refuse("it changed since it was scanned"));
    }
    let dir = canon.parent().unwrap_or(Path::new("."));
    let name = canon.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.scopesmith-{}.tmp", std::process::id()));
    // `create_new`: a file or link already at the temporary name (planted in the tree) is
    // an error, never written through. Owner-only until the file's own mode is set below.
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut file = opts.open(&tmp).map_err(|err| crate::Error::Write { path: tmp.clone(), source: err })?;
    if let Err(err) = std::io::Write::write_all(&mut file, e.new.as_bytes()) {
        let _ = std::fs::remove_file(&tmp);
        return Err(crate::Error::Write { path: tmp, source: err });
    }
    drop(file);
    if let Err(err) = std::fs::set_permissions(&tmp, meta.permissions()) {
        let _ = std::fs::remove_file(&tmp);
        return Err(crate::Error::Write { path: tmp, source: err });
    }
    std::fs::rename(&tmp, &canon).map_err(|err| {
        let _ = std::fs::remove_file(&tmp);

        crate::Error::Write { path: canon.clone(), source: err }
    })
}
