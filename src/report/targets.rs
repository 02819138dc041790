//! What the plan's human view and the migration report say beyond the token itself: the
//! pre-filled dashboard links (`policy::template_url`) and escalation warnings
//! (`policy::escalation`). Both work from group names only, so a saved plan renders the same.

use crate::policy::{escalation, template_url};

/// Lines for one credential in `plan`'s human output (indented by the caller).
pub fn plan_lines(
    credential: &str,
    groups: &[String],
    collected: Option<&crate::infer::collected::Collected>,
) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(c) = collected {
        out.push("NOT ONE TOKEN: this app asks its users for their Cloudflare e-mail and Global API Key and stores them per user".into());
        let at: Vec<String> =
            c.evidence.iter().take(6).map(|e| format!("{}:{} ({})", e.path, e.line, e.signal)).collect();
        out.push(format!("  seen at: {}", at.join(", ")));
        out.push(format!("  move it to {}", c.target));
        if c.unattended_paths {
            out.push("  background jobs use the stored key too: give them the stored refresh token, or an account token per customer".into());
        }
    }
    if groups.is_empty() {
        return out;
    }
    let link = template_url::link(credential, &format!("scopesmith: {credential}"), groups);
    if let Some(t) = &link.template {
        out.push(format!("template: Cloudflare's \"{t}\" token template has exactly these groups"));
    }
    out.push(format!("create it in the dashboard (user token): {}", link.user_url));
    out.push(format!("create it in the dashboard (account token): {}", link.account_url));
    if !link.unmapped.is_empty() {
        out.push(format!("the links cannot pre-fill {}: add by hand", link.unmapped.join(", ")));
    }
    for w in escalation::flag(groups.iter().map(String::as_str)) {
        out.push(format!("warning: escalation: {}", w.message()));
    }
    out
}

fn groups_of(c: &super::model::Credential) -> Vec<String> {
    c.permissions.iter().map(|p| p.name.clone()).collect()
}

/// Markdown list items for a credential of the report: the dashboard links, the template,
/// the groups a link cannot pre-fill, and escalation warnings.
pub fn markdown(c: &super::model::Credential, esc: impl Fn(&str) -> String) -> String {
    let groups = groups_of(c);
    if groups.is_empty() {
        return String::new();
    }
    let l = template_url::link(&c.name, &format!("scopesmith: {}", c.name), &groups);
    // Link targets are percent-encoded, so they cannot break out of the Markdown link.
    let mut out =
        format!("- Create it in the dashboard: [user token]({}) · [account token]({})\n", l.user_url, l.account_url);
    for line in template_url::describe(&l) {
        out.push_str(&format!("  - {}\n", esc(&line)));
    }
    for w in escalation::flag(groups.iter().map(String::as_str)) {
        out.push_str(&format!("- **Escalation:** {}\n", esc(&w.message())));
    }
    out
}

/// The same as HTML paragraphs (`esc` escapes text; the URLs are percent-encoded already).
pub fn html(c: &super::model::Credential, esc: impl Fn(&str) -> String) -> String {
    let groups = groups_of(c);
    if groups.is_empty() {
        return String::new();
    }
    let l = template_url::link(&c.name, &format!("scopesmith: {}", c.name), &groups);
    let mut out = format!(
        "<p><b>Create it in the dashboard:</b> <a href=\"{}\">user token</a> · <a href=\"{}\">account token</a></p>\n",
        esc(&l.user_url),
        esc(&l.account_url)
    );
    for line in template_url::describe(&l) {
        out.push_str(&format!("<p class=\"note\">{}</p>\n", esc(&line)));
    }
    for w in escalation::flag(groups.iter().map(String::as_str)) {
        out.push_str(&format!("<p class=\"warn\">Escalation: {}</p>\n", esc(&w.message())));
    }
    out
}
