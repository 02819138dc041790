//! `report --format html`: the migration report as one self-contained page for security teams.
//!
//! Reads only the shared `model::Report`. Everything is inline (CSS, SVG charts), there is no
//! script and no external asset, so the file works offline, from an artifact store or a mail
//! attachment, and `@media print` lays it out for paper. Every piece of input text goes through
//! `esc`, and the whole page passes `redact::scrub`.

use std::fmt::Write;

use super::markdown::{count, delta, ecosystems, headline, kinds, severities};
use super::model::{PatchStatus, Progress, Report, Summary};
use crate::finding::{Kind, Severity};

const STYLE: &str = r#"
:root { --fg:#1d2330; --muted:#5b6475; --line:#d9dee7; --bg:#f6f7f9; --accent:#f38020;
  --crit:#a4161a; --high:#e5383b; --med:#f4a259; --low:#8d99ae; --ok:#2d6a4f; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
  color: var(--fg); margin: 0; background: #fff; }
main { max-width: 1180px; margin: 0 auto; padding: 28px 32px 48px; }
header { border-bottom: 4px solid var(--accent); margin-bottom: 20px; padding-bottom: 10px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 32px 0 12px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 16px; margin: 0 0 6px; }
.lead { color: var(--muted); margin: 0; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; }
.tile { background: var(--bg); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
.tile b { display: block; font-size: 26px; }
.tile span { color: var(--muted); font-size: 13px; }
.tile.alert b { color: var(--crit); }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 16px; margin-top: 16px; align-items: start; }
figure { margin: 0; background: var(--bg); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
figcaption { font-weight: 600; margin-bottom: 6px; }
svg text { font: 12px system-ui, sans-serif; fill: var(--fg); }
#chart-burndown svg { max-width: 440px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 4px; font-size: 14px; }
th, td { text-align: left; border-bottom: 1px solid var(--line); padding: 5px 8px; vertical-align: top; }
th { background: var(--bg); font-weight: 600; }
td.n, th.n { text-align: right; }
code { font: 13px ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; background: var(--bg);
  padding: 0 3px; border-radius: 3px; overflow-wrap: anywhere; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; margin: 12px 0; break-inside: avoid; }
.facts { color: var(--muted); font-size: 13px; margin-bottom: 6px; }
.badge { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 12px; font-weight: 600; color: #fff; }
.badge.rewritable { background: var(--ok); }
.badge.manual { background: var(--med); color: #3a2300; }
.badge.hard { background: var(--crit); }
ul.why { margin: 0; padding-left: 18px; color: var(--muted); }
.warn { color: #7a4b00; background: #fff4e0; border-left: 3px solid var(--med); padding: 4px 8px; margin: 6px 0; font-size: 13px; }
.none { color: var(--muted); font-style: italic; }
footer { color: var(--muted); font-size: 12px; margin-top: 36px; }
@media print {
  body { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  .card, figure, tr { break-inside: avoid; }
  .tile, figure, th, code { background: none; }
  a { color: inherit; text-decoration: none; }
}
"#;

pub fn render(report: &Report) -> String {
    let s = report.summary();
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str("<title>Global API Key migration report</title>\n<style>");
    out.push_str(STYLE);
    out.push_str("</style>\n</head>\n<body>\n<main>\n");
    let _ = writeln!(
        out,
        "<header><h1>Global API Key migration report</h1><p class=\"lead\">{}</p></header>",
        esc(&headline(&s))
    );
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
    out.push_str(&super::runbook::html(report, &esc));
    let _ = writeln!(
        out,
        "<footer>scopesmith {} · secrets are redacted · patch status is a heuristic from how each key is used</footer>",
        env!("CARGO_PKG_VERSION")
    );
    out.push_str("</main>\n</body>\n</html>\n");
    super::redact::scrub(&out)
}

fn summary(out: &mut String, report: &Report, s: &Summary) {
    out.push_str("<section id=\"summary\">\n<h2>Summary</h2>\n<div class=\"tiles\">\n");
    let tiles = [
        ("Repositories", s.repositories, false),
        ("Credentials", s.credentials, false),
        ("Sites", s.sites, false),
        ("Hard-coded secrets", s.hardcoded, s.hardcoded > 0),
        ("Files with findings", s.files, false),
    ];
    for (label, n, alert) in tiles {
        let _ = writeln!(
            out,
            "<div class=\"tile{}\"><b>{n}</b><span>{label}</span></div>",
            if alert { " alert" } else { "" }
        );
    }
    out.push_str("</div>\n<table>\n");
    let names: Vec<String> = report.repositories.iter().map(|r| r.label()).collect();
    let rows = [
        ("Repositories", names.join(", ")),
        ("Ecosystems", ecosystems(s)),
        ("Severities", severities(s)),
        ("Sites by kind", kinds(s)),
    ];
    for (k, v) in rows {
        let _ = writeln!(out, "<tr><th>{k}</th><td>{}</td></tr>", esc(&v));
    }
    out.push_str("</table>\n");
    for r in report.missing_plans() {
        let _ = writeln!(
            out,
            "<p class=\"warn\">{}: a scan without a plan, so no permissions are shown for it (add its <code>plan --format json</code>).</p>",
            esc(&r.label())
        );
    }
    out.push_str("<div class=\"charts\">\n");
    if let Some(sev) = &s.severities {
        let bars: Vec<(String, usize, &str)> = [
            (Severity::Critical, "var(--crit)"),
            (Severity::High, "var(--high)"),
            (Severity::Medium, "var(--med)"),
            (Severity::Low, "var(--low)"),
        ]
        .iter()
        .map(|(k, color)| (k.as_str().to_string(), sev.get(k).copied().unwrap_or(0), *color))
        .collect();
        chart(out, "chart-severity", "Findings by severity", &bars);
    }
    if !s.kinds.is_empty() {
        let bars: Vec<(String, usize, &str)> = [Kind::Literal, Kind::Sdk, Kind::Header, Kind::Config, Kind::Env]
            .iter()
            .filter_map(|k| s.kinds.get(k).map(|n| (kind_label(*k).to_string(), *n, "#4361ee")))
            .collect();
        chart(out, "chart-kind", "Sites by kind", &bars);
    }
    let mut eco: Vec<(String, usize, &str)> =
        s.ecosystems.iter().map(|(k, n)| (k.to_string(), *n, "var(--accent)")).collect();
    eco.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    if !eco.is_empty() {
        chart(out, "chart-ecosystem", "Files by ecosystem", &eco);
    }
    out.push_str("</div>\n</section>\n");
}

fn kind_label(k: Kind) -> &'static str {
    match k {
        Kind::Literal => "hard-coded key",
        Kind::Sdk => "SDK client",
        Kind::Header => "HTTP header",
        Kind::Config => "tool config",
        Kind::Env => "env variable",
    }
}

/// A horizontal bar chart: one row per bar, label left, value right.
fn chart(out: &mut String, id: &str, title: &str, bars: &[(String, usize, &str)]) {
    let max = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1);
    let (label_w, bar_w, row_h) = (120.0, 200.0, 24.0);
    let height = row_h * bars.len() as f64 + 6.0;
    let _ = writeln!(out, "<figure id=\"{id}\"><figcaption>{}</figcaption>", esc(title));
    let _ = writeln!(
        out,
        "<svg role=\"img\" aria-label=\"{}\" viewBox=\"0 0 {} {height}\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\">",
        esc(title),
        label_w + bar_w + 50.0
    );
    for (i, (label, n, color)) in bars.iter().enumerate() {
        let y = i as f64 * row_h + 3.0;
        let w = (*n as f64 / max as f64 * bar_w).max(if *n > 0 { 2.0 } else { 0.0 });
        let _ = writeln!(
            out,
            "<text x=\"{:.0}\" y=\"{:.1}\" text-anchor=\"end\">{}</text><rect x=\"{label_w}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{:.1}\" rx=\"3\" fill=\"{color}\"/><text x=\"{:.1}\" y=\"{:.1}\">{n}</text>",
            label_w - 8.0,
            y + 15.0,
            esc(label),
            row_h - 6.0,
            label_w + w + 6.0,
            y + 15.0
        );
    }
    out.push_str("</svg></figure>\n");
}

fn progress(out: &mut String, p: &Progress) {
    let _ = writeln!(out, "<section id=\"progress\">\n<h2>Progress since {}</h2>", esc(&p.previous));
    out.push_str("<div class=\"charts\">\n");
    burn_down(out, p);
    out.push_str("<div><table>\n<tr><th></th><th class=\"n\">Then</th><th class=\"n\">Now</th><th class=\"n\">Change</th></tr>\n");
    for (label, a, b) in
        [("Sites", p.sites_before, p.sites_now), ("Credentials", p.credentials_before, p.credentials_now)]
    {
        let _ = writeln!(
            out,
            "<tr><td>{label}</td><td class=\"n\">{a}</td><td class=\"n\">{b}</td><td class=\"n\">{}</td></tr>",
            delta(a, b)
        );
    }
    let _ = writeln!(
        out,
        "<tr><td>Sites migrated</td><td></td><td></td><td class=\"n\">{}</td></tr><tr><td>New sites</td><td></td><td></td><td class=\"n\">{}</td></tr>",
        p.migrated.len(),
        p.new.len()
    );
    out.push_str("</table>\n");
    if !p.retired.is_empty() {
        let names: Vec<String> = p
            .retired
            .iter()
            .map(|(r, c)| {
                if r.is_empty() {
                    format!("<code>{}</code>", esc(c))
                } else {
                    format!("<code>{}</code> ({})", esc(c), esc(r))
                }
            })
            .collect();
        let _ = writeln!(out, "<p>Credentials retired: {}</p>", names.join(", "));
    }
    if !p.uncompared.is_empty() {
        let names: Vec<String> = p.uncompared.iter().map(|n| esc(n)).collect();
        let _ = writeln!(out, "<p class=\"facts\">Not compared (in one result only): {}</p>", names.join(", "));
    }
    out.push_str("</div>\n</div>\n");
    for (title, rows) in [("Sites migrated", &p.migrated), ("New sites", &p.new)] {
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(out, "<h3>{title}</h3>\n<table><tr><th>Repository</th><th>Site</th><th>Use</th></tr>");
        for (repo, at, what) in rows {
            let _ =
                writeln!(out, "<tr><td>{}</td><td><code>{}</code></td><td>{}</td></tr>", esc(repo), esc(at), esc(what));
        }
        out.push_str("</table>\n");
    }
    out.push_str("</section>\n");
}

/// A burn-down as a waterfall: sites then, minus those migrated, plus new ones, sites now.
fn burn_down(out: &mut String, p: &Progress) {
    let steps = [
        ("then", 0, p.sites_before, "var(--low)"),
        ("migrated", p.sites_before.saturating_sub(p.migrated.len()), p.sites_before, "var(--ok)"),
        (
            "new",
            p.sites_before.saturating_sub(p.migrated.len()),
            p.sites_before.saturating_sub(p.migrated.len()) + p.new.len(),
            "var(--high)",
        ),
        ("now", 0, p.sites_now, "var(--accent)"),
    ];
    let max = steps.iter().map(|s| s.2).max().unwrap_or(0).max(1) as f64;
    let (w, h, top, base) = (360.0, 200.0, 16.0, 170.0);
    let y = |v: usize| base - (v as f64 / max) * (base - top);
    out.push_str(
        "<figure id=\"chart-burndown\"><figcaption>Burn-down: sites still on the Global API Key</figcaption>\n",
    );
    let _ = writeln!(out, "<svg role=\"img\" aria-label=\"burn-down\" viewBox=\"0 0 {w} {h}\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\">");
    let _ = writeln!(out, "<line x1=\"20\" y1=\"{base}\" x2=\"{}\" y2=\"{base}\" stroke=\"#999\"/>", w - 10.0);
    for (i, (label, lo, hi, color)) in steps.iter().enumerate() {
        let x = 30.0 + i as f64 * 82.0;
        let (y_hi, y_lo) = (y(*hi), y(*lo));
        let value = match i {
            1 => format!("−{}", p.migrated.len()),
            2 => format!("+{}", p.new.len()),
            _ => hi.to_string(),
        };
        let _ = writeln!(
            out,
            "<rect x=\"{x:.0}\" y=\"{y_hi:.1}\" width=\"56\" height=\"{:.1}\" rx=\"3\" fill=\"{color}\"/><text x=\"{:.0}\" y=\"{:.1}\" text-anchor=\"middle\">{value}</text><text x=\"{:.0}\" y=\"{:.0}\" text-anchor=\"middle\">{label}</text>",
            (y_lo - y_hi).max(1.0),
            x + 28.0,
            y_hi - 4.0,
            x + 28.0,
            base + 18.0
        );
    }
    // The trend line from then to now.
    let _ = writeln!(
        out,
        "<line x1=\"58\" y1=\"{:.1}\" x2=\"{:.0}\" y2=\"{:.1}\" stroke=\"var(--fg)\" stroke-dasharray=\"4 3\"/>",
        y(p.sites_before),
        30.0 + 3.0 * 82.0 + 28.0,
        y(p.sites_now)
    );
    out.push_str("</svg></figure>\n");
}

fn repositories(out: &mut String, report: &Report) {
    out.push_str("<section id=\"repositories\">\n<h2>Repositories</h2>\n<table>\n<tr><th>Repository</th><th>Commit</th><th class=\"n\">Credentials</th><th class=\"n\">Sites</th><th class=\"n\">Hard-coded</th><th class=\"n\">Blockers</th><th>Inputs</th></tr>\n");
    for r in &report.repositories {
        let blockers: usize = r.credentials.iter().flatten().map(|c| c.blockers().len()).sum();
        let inputs: Vec<String> = r.inputs.iter().map(|i| format!("<code>{}</code>", esc(i))).collect();
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{blockers}</td><td>{}</td></tr>",
            esc(&r.name),
            r.commit.as_deref().map(|c| format!("<code>{}</code>", esc(c))).unwrap_or_else(|| "—".into()),
            r.credential_names().len(),
            r.sites(),
            r.secrets().len(),
            inputs.join(" ")
        );
    }
    out.push_str("</table>\n</section>\n");
}

fn credentials(out: &mut String, report: &Report) {
    out.push_str("<section id=\"credentials\">\n<h2>Credentials</h2>\n");
    let creds = report.credentials();
    if creds.is_empty() {
        out.push_str("<p class=\"none\">No plan in the inputs, or nothing to migrate.</p>\n");
    }
    let multi = report.repositories.len() > 1;
    for (repo, c) in creds {
        out.push_str("<div class=\"card\">\n");
        let _ = write!(out, "<h3><code>{}</code>", esc(&c.name));
        if multi {
            let _ = write!(out, " <small>{}</small>", esc(&repo.name));
        }
        match c.patch_status() {
            Some(PatchStatus::Rewritable) => out.push_str(" <span class=\"badge rewritable\">rewritable</span>"),
            Some(p @ PatchStatus::Manual(_)) => {
                let _ = write!(out, " <span class=\"badge manual\" title=\"{}\">manual</span>", esc(&p.describe()));
            }
            None => {}
        }
        if c.hardcoded {
            out.push_str(" <span class=\"badge hard\">hard-coded</span>");
        }
        out.push_str("</h3>\n");
        let mut facts = vec![count(c.sites.len(), "site", "sites")];
        if !c.scope.is_empty() {
            facts.push(format!("scope: {}", c.scope));
        }
        if let Some(p @ PatchStatus::Manual(_)) = c.patch_status() {
            facts.push(format!("patch: {}", p.describe()));
        }
        let _ = writeln!(out, "<div class=\"facts\">{}</div>", esc(&facts.join(" · ")));
        let sites: Vec<String> = c
            .sites
            .iter()
            .map(|s| {
                let kind = s.kind.map(|k| format!(" <small>{}</small>", k.as_str())).unwrap_or_default();
                format!("<code>{}:{}</code>{kind}", esc(&s.path), s.line)
            })
            .collect();
        let _ = writeln!(out, "<p><b>Sites:</b> {}</p>", sites.join(", "));
        let policy = c.policy();
        if policy.is_empty() {
            out.push_str("<p><b>Token policy:</b> <span class=\"none\">nothing inferred</span></p>\n");
        } else {
            let lines: Vec<String> = policy
                .iter()
                .map(|l| format!("{} <small>on {}</small>", esc(&l.groups.join(", ")), esc(&l.on())))
                .collect();
            let _ = writeln!(out, "<p><b>Token policy:</b> {}</p>", lines.join("; "));
        }
        for w in &c.warnings {
            let _ = writeln!(out, "<p class=\"warn\">{}</p>", esc(w));
        }
        out.push_str(&super::targets::html(c, esc));
        if !c.permissions.is_empty() {
            out.push_str("<table><tr><th>Permission</th><th>On</th><th>Because</th></tr>\n");
            for p in &c.permissions {
                let why: Vec<String> = p.because.iter().map(|b| format!("<li>{}</li>", esc(b))).collect();
                let _ = writeln!(
                    out,
                    "<tr><td>{}</td><td>{}</td><td><ul class=\"why\">{}</ul></td></tr>",
                    esc(&p.name),
                    esc(&c.grant_on(p)),
                    why.join("")
                );
            }
            out.push_str("</table>\n");
        }
        out.push_str("</div>\n");
    }
    out.push_str("</section>\n");
}

fn secrets(out: &mut String, report: &Report) {
    out.push_str("<section id=\"secrets\">\n<h2>Hard-coded secrets to rotate</h2>\n");
    let rows: Vec<_> = report.repositories.iter().flat_map(|r| r.secrets().into_iter().map(move |s| (r, s))).collect();
    if rows.is_empty() {
        out.push_str("<p class=\"none\">None found.</p>\n</section>\n");
        return;
    }
    out.push_str("<p>Revoke each key (Cloudflare dashboard → My Profile → API Tokens → Global API Key → Change) and keep its replacement token in a secret store.</p>\n");
    out.push_str(
        "<table><tr><th>Repository</th><th>Site</th><th>Credential</th><th>Rule</th><th>Key (redacted)</th></tr>\n",
    );
    for (r, s) in rows {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td><code>{}:{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&r.name),
            esc(&s.path),
            s.line,
            s.credential.as_deref().map(|c| format!("<code>{}</code>", esc(c))).unwrap_or_else(|| "—".into()),
            esc(&s.rule),
            s.redacted
                .as_deref()
                .map(|k| format!("<code>{}</code>", esc(k)))
                .unwrap_or_else(|| "(not recorded)".into())
        );
    }
    out.push_str("</table>\n</section>\n");
}

fn blockers(out: &mut String, report: &Report) {
    out.push_str("<section id=\"blockers\">\n<h2>Blockers</h2>\n");
    let rows: Vec<_> =
        report.credentials().into_iter().flat_map(|(r, c)| c.blockers().into_iter().map(move |b| (r, b))).collect();
    if rows.is_empty() {
        let _ = writeln!(out, "<p class=\"none\">{}</p>\n</section>", esc(&report.unblocked_note()));
        return;
    }
    out.push_str("<table><tr><th>Repository</th><th>Credential</th><th>Site</th><th>Call</th><th>Blocker</th><th>Reason</th></tr>\n");
    for (r, b) in rows {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td><code>{}</code></td><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            esc(&r.name),
            esc(&b.credential),
            esc(&b.at),
            esc(&b.call),
            b.what,
            esc(&b.reason)
        );
    }
    out.push_str("</table>\n</section>\n");
}

/// HTML-escapes text for element content and attribute values.
fn esc(s: &str) -> String {
    // Control characters from the tree are shown (`\x1b`), not carried into the page.
    let s = super::escape::controls(s);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(esc("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    }
}
