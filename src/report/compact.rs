//! `--format compact`: one line per finding, `path:line:col: severity rule: message`, the
//! shape compilers and linters print, so editors' quickfix lists, `grep` and `wc -l` work.
//! Warnings and the summary go to stderr; stdout holds findings only.

use super::Tally;
use crate::finding::Finding;
use crate::scan::ScanResult;

/// `(stdout, stderr)`, both redacted.
pub fn render(result: &ScanResult, tally: &Tally) -> (String, String) {
    let mut out = String::new();
    for f in &result.findings {
        out.push_str(&line(f));
        out.push('\n');
    }
    let mut err = String::new();
    for w in &result.warnings {
        err.push_str(&format!("warning: {}: {}\n", w.path, w.message));
    }
    let hidden = tally.suppressed + tally.baselined + tally.unchanged;
    err.push_str(&format!(
        "{} finding{}{}; {} files scanned\n",
        result.findings.len(),
        if result.findings.len() == 1 { "" } else { "s" },
        if hidden > 0 { format!(" ({hidden} hidden by suppressions, baseline or --diff-base)") } else { String::new() },
        result.stats.files_scanned
    ));
    (super::redact::scrub(&out), super::redact::scrub(&err))
}

fn line(f: &Finding) -> String {
    // One line whatever the path or message holds.
    let flat = |s: &str| s.replace(['\n', '\r'], " ");
    let credential = f.credential.as_deref().map(|c| format!(" (`{}`)", flat(c))).unwrap_or_default();
    // The redacted key, unless the message already shows it.
    let secret = f
        .secret
        .as_ref()
        .map(|s| s.redacted())
        .filter(|s| !f.message.contains(s.as_str()))
        .map(|s| format!(" [{}]", flat(&s)))
        .unwrap_or_default();
    format!(
        "{}:{}:{}: {} {}: {}{credential}{secret}",
        flat(&f.path),
        f.line,
        f.column,
        f.severity.as_str(),
        f.rule,
        flat(&f.message)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_finding_with_location_first() {
        let mut f = crate::ci::baseline::tests::finding("x-auth-key-header", "deploy/a b.sh", 9, "00aa");
        f.column = 8;
        f.message = "the X-Auth-Key header\nsends the key".into();
        assert_eq!(
            line(&f),
            "deploy/a b.sh:9:8: high x-auth-key-header: the X-Auth-Key header sends the key (`CF_API_KEY`)"
        );
    }
}
