//! `report --format markdown`: the migration report, compact, for pull-request comments and
//! wikis (GitHub-flavoured tables).
//!
//! Reads only the shared `model::Report`; every piece of input text is escaped for Markdown
//! (`|`, `<`, `>`, backticks) so that a path or a reason cannot break a table or inject HTML,
//! and the whole document passes `redact::scrub`.

use std::fmt::Write;

use super::model::{Progress, Report, Summary};
use crate::finding::Severity;

pub fn render(report: &Report) -> String {
    let s = report.summary();
    let mut out = String::new();
    let _ = writeln!(out, "# Global API Key migration report\n");
    let _ = writeln!(out, "{}\n", headline(&s));
    summary(&mut out, report, &s);
    if let Some(p) = &report.progress {
        progress(&mut out, p);
    }
    if report.repositories.len() > 1 {
        repositories(&mut out, report);
    }
    credentials(&mut out, report);
    secrets(&mut out, report);
    blockers(&mut out, report);
    out.push_str(&super::runbook::markdown(report, &esc, &code));
    super::redact::scrub(&out)
}

pub(crate) fn headline(s: &Summary) -> String {
    format!(
        "{} · {} · {} · {} · {}",
        count(s.repositories, "repository", "repositories"),
        count(s.credentials, "credential", "credentials"),
        count(s.sites, "site", "sites"),
        count(s.hardcoded, "hard-coded secret", "hard-coded secrets"),
        count(s.files, "file with findings", "files with findings"),
    )
}

pub(crate) fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `Shell 5, Python 3`, biggest first.
pub(crate) fn ecosystems(s: &Summary) -> String {
    let mut v: Vec<(&str, usize)> = s.ecosystems.iter().map(|(k, v)| (*k, *v)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let parts: Vec<String> = v.iter().map(|(k, n)| format!("{k} {n}")).collect();
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
}

pub(crate) fn severities(s: &Summary) -> String {
    match &s.severities {
        None => "not recorded (plans only)".into(),
        Some(m) => {
            let parts: Vec<String> = [Severity::Critical, Severity::High, Severity::Medium, Severity::Low]
                .iter()
                .map(|sev| format!("{} {}", sev.as_str(), m.get(sev).copied().unwrap_or(0)))
                .collect();
            parts.join(", ")
        }
    }
}

pub(crate) fn kinds(s: &Summary) -> String {
    let parts: Vec<String> = s.kinds.iter().map(|(k, n)| format!("{} {n}", k.as_str())).collect();
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
}

fn summary(out: &mut String, report: &Report, s: &Summary) {
    let _ = writeln!(out, "## Summary\n");
    let _ = writeln!(out, "| | |\n| --- | --- |");
    let names: Vec<String> = report.repositories.iter().map(|r| r.label()).collect();
    let _ = writeln!(out, "| Repositories | {} ({}) |", s.repositories, esc(&names.join(", ")));
    let _ = writeln!(out, "| Credentials | {} |", s.credentials);
    let _ = writeln!(out, "| Sites | {} |", s.sites);
    let _ = writeln!(out, "| Hard-coded secrets | {} |", s.hardcoded);
    let _ = writeln!(out, "| Files with findings | {} |", s.files);
    let _ = writeln!(out, "| Ecosystems | {} |", esc(&ecosystems(s)));
    let _ = writeln!(out, "| Severities | {} |", severities(s));
    let _ = writeln!(out, "| Sites by kind | {} |", kinds(s));
    for r in report.missing_plans() {
        let _ = writeln!(
            out,
            "\n> {}: a scan without a plan, so no permissions are shown for it (add its `plan --format json`).",
            esc(&r.label())
        );
    }
    out.push('\n');
}

fn progress(out: &mut String, p: &Progress) {
    let _ = writeln!(out, "## Progress since {}\n", esc(&p.previous));
    let _ = writeln!(out, "| | Then | Now | Change |\n| --- | ---: | ---: | ---: |");
    let _ = writeln!(out, "| Sites | {} | {} | {} |", p.sites_before, p.sites_now, delta(p.sites_before, p.sites_now));
    let _ = writeln!(
        out,
        "| Credentials | {} | {} | {} |",
        p.credentials_before,
        p.credentials_now,
        delta(p.credentials_before, p.credentials_now)
    );
    let _ = writeln!(
        out,
        "\nBurn-down: {} sites then, {} migrated, {} new, {} left.\n",
        p.sites_before,
        p.migrated.len(),
        p.new.len(),
        p.sites_now
    );
    for (title, rows) in [("Sites migrated", &p.migrated), ("New sites", &p.new)] {
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(out, "**{title}**\n\n| Repository | Site | Use |\n| --- | --- | --- |");
        for (repo, at, what) in rows {
            let _ = writeln!(out, "| {} | {} | {} |", esc(repo), code(at), esc(what));
        }
        out.push('\n');
    }
    if !p.retired.is_empty() {
        let names: Vec<String> = p
            .retired
            .iter()
            .map(|(repo, c)| if repo.is_empty() { code(c) } else { format!("{} ({})", code(c), esc(repo)) })
            .collect();
        let _ = writeln!(out, "**Credentials retired:** {}\n", names.join(", "));
    }
    if !p.uncompared.is_empty() {
        let names: Vec<String> = p.uncompared.iter().map(|n| esc(n)).collect();
        let _ = writeln!(out, "Not compared (in one result only): {}\n", names.join(", "));
    }
}

pub(crate) fn delta(before: usize, now: usize) -> String {
    match now.cmp(&before) {
        std::cmp::Ordering::Less => format!("−{}", before - now),
        std::cmp::Ordering::Equal => "0".into(),
        std::cmp::Ordering::Greater => format!("+{}", now - before),
    }
}

fn repositories(out: &mut String, report: &Report) {
    let _ = writeln!(out, "## Repositories\n");
    let _ = writeln!(
        out,
        "| Repository | Commit | Credentials | Sites | Hard-coded | Blockers | Inputs |\n| --- | --- | ---: | ---: | ---: | ---: | --- |"
    );
    for r in &report.repositories {
        let blockers: usize = r.credentials.iter().flatten().map(|c| c.blockers().len()).sum();
        let inputs: Vec<String> = r.inputs.iter().map(|i| code(i)).collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            esc(&r.name),
            r.commit.as_deref().map(code).unwrap_or_else(|| "—".into()),
            r.credential_names().len(),
            r.sites(),
            r.secrets().len(),
            blockers,
            inputs.join(", ")
        );
    }
    out.push('\n');
}

fn credentials(out: &mut String, report: &Report) {
    let creds = report.credentials();
    if creds.is_empty() {
        return;
    }
    let multi = report.repositories.len() > 1;
    let _ = writeln!(out, "## Credentials\n");
    for (repo, c) in creds {
        let title = if multi { format!("{} · {}", code(&c.name), esc(&repo.name)) } else { code(&c.name) };
        let _ = writeln!(out, "### {title}\n");
        let mut facts = Vec::new();
        if let Some(p) = c.patch_status() {
            facts.push(format!("patch: **{}**", esc(&p.describe())));
        }
        if !c.scope.is_empty() {
            facts.push(format!("scope: {}", esc(&c.scope)));
        }
        if c.hardcoded {
            facts.push("**hard-coded: revoke the key**".into());
        }
        if !facts.is_empty() {
            let _ = writeln!(out, "{}\n", facts.join(" · "));
        }
        let sites: Vec<String> = c
            .sites
            .iter()
            .map(|s| match s.kind {
                Some(k) => format!("{} ({})", code(&format!("{}:{}", s.path, s.line)), k.as_str()),
                None => code(&format!("{}:{}", s.path, s.line)),
            })
            .collect();
        let _ = writeln!(out, "- Sites: {}", sites.join(", "));
        let policy: Vec<String> =
            c.policy().iter().map(|l| format!("{} on {}", esc(&l.groups.join(", ")), esc(&l.on()))).collect();
        if policy.is_empty() {
            let _ = writeln!(out, "- Token policy: nothing inferred");
        } else {
            let _ = writeln!(out, "- Token policy: {}", policy.join("; "));
        }
        for w in &c.warnings {
            let _ = writeln!(out, "- Warning: {}", esc(w));
        }
        out.push_str(&super::targets::markdown(c, esc));
        if !c.permissions.is_empty() {
            let _ = writeln!(out, "\n| Permission | On | Because |\n| --- | --- | --- |");
            for p in &c.permissions {
                let why: Vec<String> = p.because.iter().map(|b| esc(b)).collect();
                let _ = writeln!(out, "| {} | {} | {} |", esc(&p.name), esc(&c.grant_on(p)), why.join("<br>"));
            }
        }
        out.push('\n');
    }
}

fn secrets(out: &mut String, report: &Report) {
    let rows: Vec<_> = report.repositories.iter().flat_map(|r| r.secrets().into_iter().map(move |s| (r, s))).collect();
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Hard-coded secrets to rotate\n");
    let _ = writeln!(
        out,
        "Revoke each key (Cloudflare dashboard → My Profile → API Tokens → Global API Key → Change) and move its replacement token to a secret store.\n"
    );
    let _ =
        writeln!(out, "| Repository | Site | Credential | Rule | Key (redacted) |\n| --- | --- | --- | --- | --- |");
    for (r, s) in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            esc(&r.name),
            code(&format!("{}:{}", s.path, s.line)),
            s.credential.as_deref().map(code).unwrap_or_else(|| "—".into()),
            esc(&s.rule),
            s.redacted.as_deref().map(code).unwrap_or_else(|| "(not recorded)".into())
        );
    }
    out.push('\n');
}

fn blockers(out: &mut String, report: &Report) {
    let rows: Vec<_> =
        report.credentials().into_iter().flat_map(|(r, c)| c.blockers().into_iter().map(move |b| (r, b))).collect();
    if rows.is_empty() {
        let manual = report.manual();
        if !manual.is_empty() {
            let _ = writeln!(out, "## Blockers\n\n{}\n", esc(&report.unblocked_note()));
        }
        return;
    }
    let _ = writeln!(out, "## Blockers\n");
    let _ = writeln!(
        out,
        "| Repository | Credential | Site | Call | Blocker | Reason |\n| --- | --- | --- | --- | --- | --- |"
    );
    for (r, b) in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            esc(&r.name),
            code(&b.credential),
            code(&b.at),
            code(&b.call),
            b.what,
            esc(&b.reason)
        );
    }
    out.push('\n');
}

/// Text in a table cell: no pipes, no HTML, one line.
/// Text in a cell or a line: no table split (`|`), no HTML (`<`, `&`), no link or image
/// (`[` and `]` escaped, so `[x](https://evil)` and `![x](…)` stay text), no control
/// characters.
fn esc(s: &str) -> String {
    let s = super::escape::controls(&s.replace(['\n', '\r'], " ")).into_owned();
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '`' => out.push('\''),
            // `[` and `]` escaped: no `[x](url)` link, no `![x](url)` image, no `[x][ref]`.
            '\\' | '|' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// A code span: backticks cannot close it early, pipes cannot split the table, control
/// characters are shown. Nothing in a code span is a link.
fn code(s: &str) -> String {
    let s = s.replace('`', "'").replace('|', "\\|").replace(['\n', '\r'], " ");
    format!("`{}`", super::escape::controls(&s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue13_item14_no_link_image_or_escape_survives() {
        for hostile in ["[click](https://evil.example)", "![x](https://evil.example/p.png)"] {
            let e = esc(hostile);
            // Every bracket escaped: CommonMark then reads no link or image.
            assert!(!e.replace("\\[", "").replace("\\]", "").contains(['[', ']']), "{e}");
        }
        // The shown escape's backslash is itself escaped: the rendered text reads `\x1b`.
        assert_eq!(esc("a\u{1b}]8;;https://evil\u{7}b"), "a\\\\x1b\\]8;;https://evil\\\\x07b");
        assert_eq!(code("x\u{1b}[2J"), "`x\\x1b[2J`");
    }

    #[test]
    fn cells_cannot_break_tables_or_inject_html() {
        assert_eq!(esc("a|b<script>`x`\nc"), "a\\|b&lt;script&gt;'x' c");
        assert_eq!(code("a`|b"), "`a'\\|b`");
    }
}
