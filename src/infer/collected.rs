//! Apps that collect their users' Global API Keys: a form or settings page asking for the
//! Cloudflare e-mail and Global API Key, per-user or per-tenant storage of them (database
//! columns, `wp_options`, user meta), encrypt/decrypt helpers around them, feeding the X-Auth
//! headers or an SDK key constructor (targets.md, "What identifies an app that collects
//! users' Global keys").
//!
//! Such a credential is not one token: every user has their own. The kind of app decides the
//! target: an interactive multi-tenant app -> an OAuth client; a self-hosted plugin each site
//! owner configures (WordPress-like) -> a user or account token the owner creates from a
//! template link; unattended jobs -> an account-owned token per customer. Signals are read in
//! the credential's files and their neighbourhood (the folder, its sub-folders and the parent
//! folder's, bounded in files and bytes), among the files the walk admitted: an ignored or
//! excluded file is no evidence.

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::scan::texts::Texts;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AppKind {
    /// Acts for many customers, interactively: an OAuth client.
    MultiTenantApp,
    /// Installed by each site owner, who pastes a credential: a token from a template link.
    SelfHostedPlugin,
    /// Runs unattended for each customer: an account-owned token per customer.
    UnattendedJob,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientKind {
    /// A server keeps the client secret.
    Confidential,
    /// Runs where a secret cannot be kept (desktop, extension, mobile, SPA): PKCE.
    Pkce,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Evidence {
    pub path: String,
    pub line: usize,
    /// form | storage | crypto | per-user | plugin | background | public-client
    pub signal: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Collected {
    pub app: AppKind,
    pub client: ClientKind,
    /// Background jobs also use the stored credential.
    pub unattended_paths: bool,
    pub target: String,
    pub evidence: Vec<Evidence>,
}

struct Signal {
    name: &'static str,
    pattern: &'static str,
    re: Regex,
}

/// Each signal's pattern over a whole file, `^` at each line: it matches wherever some line
/// matches (`.` stops at newlines), so a file none of whose lines can match is passed over in
/// one search per signal instead of one per line. One regex per signal, not a set: each
/// stops at its first match and skips ahead by its literals (`encrypt`, `tenant`, ...), where
/// a set searched every file to its end for all signals at once (a tenth of `plan`).
static PRESENT: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    SIGNALS
        .iter()
        .map(|s| crate::pattern::new(&format!("(?m){}", s.pattern)).expect("collected-key signal pattern"))
        .collect()
});

static SIGNALS: LazyLock<Vec<Signal>> = LazyLock::new(|| {
    let s = |name, pattern: &'static str| Signal {
        name,
        pattern,
        re: crate::pattern::new(pattern).expect("collected-key signal pattern"),
    };
    vec![
        // A form field or label asking for the Global API Key or the Cloudflare e-mail.
        s(
            "form",
            r#"(?i)(label|input|field|placeholder|add_settings_field|<th|form).{0,80}(global[ _-]?api[ _-]?key|cloudflare[ _-]?(account[ _-]?)?e-?mail)|(global[ _-]?api[ _-]?key|cloudflare (account )?e-?mail).{0,40}(field|input|validators)"#,
        ),
        // Stored per user or tenant: columns, options, user meta.
        s(
            "storage",
            r#"(?i)(\b(cf|cloudflare)_(api_)?(e-?mail|key|api_?key|auth_?key)\w*\s+(text|varchar|bytea|blob|char|string)\b|\bcolumn\(\s*(string|text|largebinary|binary)|models\.\w*field\(.*(cf|cloudflare)|\b(update|get|add)_(site_)?option\s*\(\s*['"][^'"]*(cloudflare|cf)[^'"]*(key|e-?mail)|\b(update|get|add)_user_meta\s*\([^)]*(cloudflare|cf)[^)]*(key|e-?mail))"#,
        ),
        s(
            "crypto",
            r#"(?i)\b(encrypt|decrypt|fernet|openssl_(en|de)crypt|createcipheriv|createdecipheriv|secretbox|kms_(en|de)crypt)\b"#,
        ),
        s(
            "per-user",
            r#"(?i)\b(tenant|current_user|get_current_user_id|customer_id|user_id|owner_user_id|organization_id)\b"#,
        ),
        s(
            "plugin",
            r#"(?i)(^\s*\*?\s*plugin name:|\badd_options_page\s*\(|\bregister_setting\s*\(|\badd_menu_page\s*\()"#,
        ),
        s(
            "background",
            r#"(?i)(\bwp_schedule_event\b|@shared_task|@celery|\bcelery\b|\bapscheduler\b|\bsidekiq\b|\bcron\.schedule\(|\bschedule\.every\()"#,
        ),
        s("public-client", r#"(?i)(@raycast/api|\belectron\b|react-native|chrome\.runtime|"manifest_version")"#),
    ]
});

pub(crate) const MAX_FILES: usize = 200;
const MAX_BYTES: usize = 512 * 1024;

/// The credential's collected-key property, if its neighbourhood shows one. `neighbourhood`
/// lists the files to read (display paths) and `text` reads one.
pub fn detect(neighbourhood: &[String], text: &mut dyn FnMut(&str) -> Option<String>) -> Option<Collected> {
    let evidence =
        neighbourhood.iter().take(MAX_FILES).filter_map(|path| Some(file_evidence(path, &text(path)?))).flatten();
    judge(evidence.collect())
}

/// The signals one file of a neighbourhood shows, each at the first line showing it. A file's
/// evidence does not depend on the other files, so `plan` finds it once per file however many
/// credentials have the file in their neighbourhood.
pub fn file_evidence(path: &str, text: &str) -> Vec<Evidence> {
    let mut evidence: Vec<Evidence> = Vec::new();
    let mut end = text.len().min(MAX_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let t = &text[..end];
    let present: Vec<&Signal> =
        SIGNALS.iter().zip(PRESENT.iter()).filter(|(_, re)| re.is_match(t)).map(|(s, _)| s).collect();
    if present.is_empty() {
        return evidence;
    }
    for (i, line) in t.lines().enumerate() {
        if line.len() > 2000 {
            continue;
        }
        for s in &present {
            if !evidence.iter().any(|e| e.signal == s.name) && s.re.is_match(line) {
                evidence.push(Evidence { path: path.to_string(), line: i + 1, signal: s.name.to_string() });
            }
        }
    }
    evidence
}

/// The collected-key property the evidence of a neighbourhood's files (in their order) shows.
pub fn judge(mut evidence: Vec<Evidence>) -> Option<Collected> {
    let has = |s: &str| evidence.iter().any(|e| e.signal == s);
    // Asked for (a form) or kept per user (storage), and one more sign it is per user.
    let collected = (has("form") || has("storage"))
        && [has("form"), has("storage"), has("crypto"), has("per-user")].iter().filter(|b| **b).count() >= 2;
    if !collected {
        return None;
    }
    let app = if has("plugin") {
        AppKind::SelfHostedPlugin
    } else if !has("form") && has("background") {
        AppKind::UnattendedJob
    } else {
        AppKind::MultiTenantApp
    };
    let client = if has("public-client") { ClientKind::Pkce } else { ClientKind::Confidential };
    let target = match app {
        AppKind::MultiTenantApp => "an OAuth client: each customer authorizes the app in Cloudflare's consent screen and the app keeps a refresh token instead of their key (plan --emit oauth)".to_string(),
        AppKind::SelfHostedPlugin => "a user or account token each site owner creates from the pre-filled template link and pastes in place of the key (plan --emit template-url)".to_string(),
        AppKind::UnattendedJob => "an account-owned token per customer account, created by the customer for this job (OAuth has no client-credentials grant for unattended jobs)".to_string(),
    };
    let unattended_paths = has("background");
    evidence.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    Some(Collected { app, client, unattended_paths, target, evidence })
}

/// The files around a key file whose signals count: the folder above it and what is below
/// that, three levels deep, among the files the walk admitted (so inside the scanned tree,
/// honouring its ignore files and excludes), without hidden, dependency or build folders and
/// without prose (a README describing the app is not the app); at most `MAX_FILES`.
pub fn neighbourhood(display: &str, texts: &Texts) -> Vec<String> {
    let mut parts: Vec<&str> = display.split('/').collect();
    parts.pop();
    // The key file's folder, then the one above while the file is inside a folder.
    parts.pop();
    let base = parts.join("/");
    let skip = |rel: &str| {
        let mut dirs: Vec<&str> = rel.split('/').collect();
        dirs.pop();
        dirs.iter().any(|n| n.starts_with('.') && *n != ".github" || matches!(*n, "node_modules" | "vendor" | "target"))
    };
    let prose = |p: &str| matches!(p.rsplit_once('.').map(|(_, e)| e), Some("md" | "txt" | "rst" | "adoc"));
    let from = if base.is_empty() { 0 } else { base.len() + 1 };
    texts
        .around(&base, 3)
        .into_iter()
        .filter(|p| !skip(&p[from..]) && !prose(p))
        .take(MAX_FILES)
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(files: &[(&str, &str)]) -> Option<Collected> {
        let names: Vec<String> = files.iter().map(|(n, _)| n.to_string()).collect();
        let map: std::collections::BTreeMap<String, String> =
            files.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect();
        detect(&names, &mut |p| map.get(p).cloned())
    }

    #[test]
    fn a_wordpress_style_plugin_is_a_template_link_target() {
        let c = run(&[(
            "cf-cache/cf-cache.php",
            "<?php\n/*\n * Plugin Name: CF Cache Helper\n */\nadd_options_page('CF', 'CF', 'manage_options', 'cf', 'cf_page');\n$key = get_option('cf_cache_api_key');\n$email = get_option('cf_cache_email');\necho '<th>Cloudflare e-mail</th><input name=\"cf_cache_email\">';\n",
        )])
        .expect("collected");
        assert_eq!(c.app, AppKind::SelfHostedPlugin);
        assert!(c.target.contains("template link"));
    }

    #[test]
    fn an_env_var_script_is_not_collecting_keys() {
        assert!(run(&[("deploy.sh", "curl -H \"X-Auth-Key: $CF_API_KEY\" -H \"X-Auth-Email: $CF_EMAIL\" https://api.cloudflare.com/client/v4/zones\n")]).is_none());
        // A decrypt helper alone is not enough.
        assert!(run(&[("a.py", "key = decrypt(os.environ['CF_KEY_ENC'])\n")]).is_none());
    }

    #[test]
    fn a_desktop_app_gets_pkce() {
        let c = run(&[
            ("src/settings.tsx", "<input placeholder=\"Global API Key\" /> <label>Cloudflare e-mail</label>\n"),
            ("src/store.ts", "const key = decrypt(store.get('cf_api_key'));\nimport { app } from 'electron';\n"),
        ])
        .expect("collected");
        assert_eq!(c.app, AppKind::MultiTenantApp);
        assert_eq!(c.client, ClientKind::Pkce);
    }
}
