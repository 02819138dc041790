//! The cutover runbook of the migration report: per secret (credential), its consumers, the
//! token each gets, the order to move them, the leftovers to delete, and last, once every
//! consumer has moved, "roll the Global API Key in the dashboard".
//!
//! Why this order (targets.md, "Traps"): tools prefer the key when both are set (Wrangler reads
//! `CLOUDFLARE_API_KEY` + `CLOUDFLARE_EMAIL` before `CLOUDFLARE_API_TOKEN`; python-cloudflare
//! sends X-Auth-Key whenever an e-mail is set), so adding a token without deleting the key and
//! e-mail settings changes nothing. The Global key can be changed only in the dashboard, not by
//! API, and Cloudflare auto-revokes leaked keys, which breaks every consumer sharing one at once:
//! so roll it only after all of them have moved. Reads only the report model, so a saved plan
//! gives the same runbook.

use std::collections::BTreeSet;

use super::model::{Credential, Report, Repository};
use crate::finding::Role;

/// One consumer of a secret: a CI workflow, a tool's config, a program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consumer {
    pub what: String,
    pub files: Vec<String>,
    /// Unattended consumers (CI, tool configs) move first: they are the easiest to verify.
    pub unattended: bool,
}

#[derive(Debug, Clone)]
pub struct Step {
    pub credential: String,
    pub repository: String,
    pub consumers: Vec<Consumer>,
    /// What replaces the key for this secret.
    pub target: String,
    /// Settings and secrets to delete once the consumers use the token.
    pub leftovers: Vec<String>,
}

fn is_ci(path: &str) -> bool {
    path.starts_with(".github/workflows/")
        || path.ends_with(".gitlab-ci.yml")
        || path.starts_with(".circleci/")
        || path == "Jenkinsfile"
        || path.ends_with("bitbucket-pipelines.yml")
        || path.starts_with(".buildkite/")
}

fn is_config(path: &str) -> bool {
    let ext = path.rsplit('.').next().unwrap_or("");
    matches!(ext, "env" | "ini" | "conf" | "cfg" | "tfvars" | "yaml" | "yml" | "toml" | "json")
        || path.ends_with(".env")
}

fn consumers(c: &Credential) -> Vec<Consumer> {
    let mut out: Vec<Consumer> = Vec::new();
    let mut push = |what: String, file: &str, unattended: bool| match out.iter_mut().find(|x| x.what == what) {
        Some(x) => {
            if !x.files.iter().any(|f| f == file) {
                x.files.push(file.to_string());
            }
        }
        None => out.push(Consumer { what, files: vec![file.to_string()], unattended }),
    };
    for s in &c.sites {
        if is_ci(&s.path) {
            push(format!("CI: {}", s.path), &s.path, true);
        } else if is_config(&s.path) {
            push(format!("configuration {}", s.path), &s.path, true);
        } else {
            let folder = s.path.rsplit_once('/').map(|x| x.0).unwrap_or(".");
            push(format!("code in {folder}/"), &s.path, false);
        }
    }
    // Unattended consumers first (stable within each kind).
    out.sort_by_key(|c| !c.unattended);
    out
}

fn target(c: &Credential) -> String {
    if let Some(x) = &c.collected {
        return format!("replace it with {} (it is not one token: every user has their own key)", x.target);
    }
    let groups: Vec<String> = c.permissions.iter().map(|p| p.name.clone()).collect();
    if groups.is_empty() {
        return "no permission inferred: find its calls first (see the credential's warnings)".into();
    }
    let template = crate::policy::template_url::template_for(&groups)
        .map(|t| format!(" (Cloudflare's \"{t}\" template)"))
        .unwrap_or_default();
    format!("create one scoped token \"scopesmith: {}\" with {}{template}", c.name, groups.join(", "))
}

fn leftovers(r: &Repository, c: &Credential) -> Vec<String> {
    let files: BTreeSet<&str> = c.sites.iter().map(|s| s.path.as_str()).collect();
    let mut keys: BTreeSet<String> = BTreeSet::new();
    let mut emails: BTreeSet<String> = BTreeSet::new();
    for f in r.findings.iter().flatten().filter(|f| files.contains(f.path.as_str())) {
        let Some(name) = &f.credential else { continue };
        match f.role {
            Some(Role::Email) => emails.insert(name.clone()),
            _ => keys.insert(name.clone()),
        };
    }
    if keys.is_empty() && !c.name.contains('/') {
        keys.insert(c.name.clone());
    }
    let mut out = Vec::new();
    if !keys.is_empty() {
        out.push(format!("the key settings {}", keys.iter().map(|k| k.to_string()).collect::<Vec<_>>().join(", ")));
    }
    if !emails.is_empty() {
        out.push(format!(
            "the e-mail settings {} (while an e-mail is set, some tools keep sending the key)",
            emails.iter().map(|k| k.to_string()).collect::<Vec<_>>().join(", ")
        ));
    }
    let ci: Vec<&str> = files.iter().copied().filter(|p| is_ci(p)).collect();
    if !ci.is_empty() {
        out.push(format!("the CI secrets that held the key and e-mail (used in {})", ci.join(", ")));
    }
    if c.collected.is_some() {
        out.push(
            "every stored e-mail and Global API Key (database columns, options, backups), once each user has moved"
                .into(),
        );
        out.push("and ask every user to roll their own Global API Key: the app held a copy".into());
    }
    if c.hardcoded {
        out.push("the hard-coded key in the code and its git history".into());
    }
    out
}

pub fn steps(report: &Report) -> Vec<Step> {
    report
        .credentials()
        .into_iter()
        .map(|(r, c)| Step {
            credential: c.name.clone(),
            repository: r.name.clone(),
            consumers: consumers(c),
            target: target(c),
            leftovers: leftovers(r, c),
        })
        .collect()
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

pub const ROLL: &str = "Last, when every consumer above runs on its token: roll (change) the Global API Key in the dashboard (My Profile → API Tokens → Global API Key → Change). It cannot be changed by API, and a leaked key is auto-revoked by Cloudflare, which breaks every consumer that still shares it at once.";

/// Markdown section; `esc` escapes text, `code` makes a code span (names from the tree may
/// hold control characters and backticks).
pub fn markdown(report: &Report, esc: &dyn Fn(&str) -> String, code: &dyn Fn(&str) -> String) -> String {
    let steps = steps(report);
    if steps.is_empty() {
        return String::new();
    }
    let mut out = String::from("## Cutover runbook\n\n");
    out.push_str("Move one secret at a time; within a secret, the unattended consumers first. Adding a token without deleting the old key and e-mail settings changes nothing: tools prefer the key.\n\n");
    let multi = report.repositories.len() > 1;
    for (i, s) in steps.iter().enumerate() {
        let repo = if multi { format!(" · {}", esc(&s.repository)) } else { String::new() };
        out.push_str(&format!("### {}. {}{repo}\n\n", i + 1, code(&s.credential)));
        out.push_str(&format!("1. {}.\n", capital(&esc(&s.target))));
        for (n, c) in s.consumers.iter().enumerate() {
            out.push_str(&format!(
                "{}. Move {} ({}) to it, then check it still works.\n",
                n + 2,
                esc(&c.what),
                c.files.iter().map(|f| code(f)).collect::<Vec<_>>().join(", ")
            ));
        }
        let next = s.consumers.len() + 2;
        if s.leftovers.is_empty() {
            out.push_str(&format!("{next}. Delete what held the key.\n\n"));
        } else {
            out.push_str(&format!(
                "{next}. Delete {}.\n\n",
                s.leftovers.iter().map(|l| esc(l)).collect::<Vec<_>>().join("; ")
            ));
        }
    }
    out.push_str(&format!("**{}**\n\n", esc(ROLL)));
    out
}

/// HTML section; `esc` escapes text.
pub fn html(report: &Report, esc: &dyn Fn(&str) -> String) -> String {
    let steps = steps(report);
    if steps.is_empty() {
        return String::new();
    }
    let mut out = String::from("<section id=\"runbook\">\n<h2>Cutover runbook</h2>\n<p>Move one secret at a time; within a secret, the unattended consumers first. Adding a token without deleting the old key and e-mail settings changes nothing: tools prefer the key.</p>\n");
    for s in &steps {
        out.push_str(&format!("<h3><code>{}</code></h3>\n<ol>\n", esc(&s.credential)));
        out.push_str(&format!("<li>{}.</li>\n", capital(&esc(&s.target))));
        for c in &s.consumers {
            out.push_str(&format!(
                "<li>Move {} (<code>{}</code>) to it, then check it still works.</li>\n",
                esc(&c.what),
                esc(&c.files.join(", "))
            ));
        }
        out.push_str(&format!(
            "<li>Delete {}.</li>\n</ol>\n",
            esc(&if s.leftovers.is_empty() { "what held the key".to_string() } else { s.leftovers.join("; ") })
        ));
    }
    out.push_str(&format!("<p class=\"warn\"><b>{}</b></p>\n</section>\n", esc(ROLL)));
    out
}
