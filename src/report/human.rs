//! `--format human`: rustc-style diagnostics (miette) with the source line, secrets masked.

use std::fmt;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents, SourceCode,
    SourceSpan, SpanContents,
};

use super::Tally;
use crate::finding::{Finding, Severity, WarningReason};
use crate::scan::ScanResult;

/// One source line shown at its real line number.
#[derive(Debug)]
struct Excerpt {
    name: String,
    text: String,
    line: usize,
    column: usize,
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        _: &SourceSpan,
        _: usize,
        _: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            self.text.as_bytes(),
            SourceSpan::from((0, self.text.len())),
            self.line.saturating_sub(1),
            self.column.saturating_sub(1),
            1,
        )))
    }
}

#[derive(Debug)]
struct FindingDiagnostic<'a> {
    finding: &'a Finding,
    excerpt: Excerpt,
    span: SourceSpan,
}

impl fmt::Display for FindingDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.finding.message)?;
        match &self.finding.history {
            Some(h) => write!(
                f,
                " (introduced in {} on {}; {})",
                short_commit(&h.commit),
                h.date.get(..10).unwrap_or(&h.date),
                if h.at_head { "still in HEAD" } else { "deleted since, still in the history" }
            ),
            None => Ok(()),
        }
    }
}

/// Ids are already 12 digits (see `history::merge`); a longer one would be masked by the scrub.
fn short_commit(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

/// What to do about a use found in history: a hard-coded key that was ever committed is
/// exposed until it is rolled, whatever the tree holds now.
pub(crate) fn history_help(f: &Finding) -> Option<&'static str> {
    let h = f.history.as_ref()?;
    Some(match (f.secret.is_some(), h.at_head) {
        (true, false) => "exposed: this key was committed and is still readable in the history; roll the Global API Key in the dashboard (My Profile > API Tokens > Global API Key > Roll): it cannot be changed by API, and deleting the line does not help",
        (true, true) => "exposed: roll the Global API Key in the dashboard once its consumers have moved to tokens; removing it from HEAD does not remove it from the history",
        (false, _) => "a use of the key by name; no secret value was committed here",
    })
}

impl std::error::Error for FindingDiagnostic<'_> {}

impl Diagnostic for FindingDiagnostic<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(format!("{} ({})", self.finding.rule, self.finding.severity.as_str())))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.finding.severity {
            Severity::Critical | Severity::High => miette::Severity::Error,
            Severity::Medium => miette::Severity::Warning,
            Severity::Low => miette::Severity::Advice,
        })
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        match history_help(self.finding) {
            Some(h) => Some(Box::new(format!("{}\n{h}", self.finding.fix))),
            None => Some(Box::new(&self.finding.fix)),
        }
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.excerpt)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let f = self.finding;
        let label = match &f.credential {
            Some(c) => format!("{} `{c}`", f.kind.as_str()),
            None => f.kind.as_str().to_string(),
        };
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(Some(label), self.span))))
    }
}

pub fn render(result: &ScanResult, tally: &Tally, color: bool, verbose: bool) -> (String, String) {
    let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(120);
    let mut out = String::new();
    for f in &result.findings {
        let diag = diagnostic(f);
        let mut buf = String::new();
        if handler.render_report(&mut buf, &diag).is_ok() {
            out.push_str(&buf);
            out.push('\n');
        }
    }
    out.push_str(&summary(result, tally));
    let mut err = String::new();
    let mut binary = 0;
    for w in &result.warnings {
        if w.reason == WarningReason::Binary && !verbose {
            binary += 1;
            continue;
        }
        err.push_str(&format!("warning: {}: {}\n", w.path, w.message));
    }
    if binary > 0 {
        err.push_str(&format!("note: {binary} binary files skipped (-v lists them)\n"));
    }
    (super::redact::scrub(&out), super::redact::scrub(&err))
}

fn diagnostic(f: &Finding) -> FindingDiagnostic<'_> {
    // The snippet may be cut around the match; find the column within what is shown.
    let chars: Vec<char> = f.snippet.chars().collect();
    let col =
        if f.snippet.starts_with('…') { 1 + f.snippet.chars().take_while(|c| *c == '…').count() } else { f.column };
    let start: usize = chars.iter().take(col.saturating_sub(1)).map(|c| c.len_utf8()).sum();
    let len = f.snippet[start.min(f.snippet.len())..]
        .find(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .unwrap_or(f.snippet.len().saturating_sub(start))
        .max(1);
    FindingDiagnostic {
        finding: f,
        excerpt: Excerpt {
            name: match &f.history {
                Some(h) => format!("{}@{}", f.path, short_commit(&h.commit)),
                None => f.path.clone(),
            },
            text: f.snippet.clone(),
            line: f.line,
            column: f.column,
        },
        span: SourceSpan::from((start.min(f.snippet.len()), len.min(f.snippet.len().saturating_sub(start)))),
    }
}

fn summary(result: &ScanResult, tally: &Tally) -> String {
    let n = result.findings.len();
    let files: std::collections::BTreeSet<&str> = result.findings.iter().map(|f| f.path.as_str()).collect();
    let mut by_sev = [0usize; 4];
    for f in &result.findings {
        by_sev[f.severity as usize] += 1;
    }
    let sev: Vec<String> = [(3, "critical"), (2, "high"), (1, "medium"), (0, "low")]
        .iter()
        .filter(|(i, _)| by_sev[*i] > 0)
        .map(|(i, name)| format!("{} {name}", by_sev[*i]))
        .collect();
    let mut s = if n == 0 {
        "no legacy Global API Key use found".to_string()
    } else {
        format!(
            "{n} legacy Global API Key use{} in {} file{} ({})",
            if n == 1 { "" } else { "s" },
            files.len(),
            if files.len() == 1 { "" } else { "s" },
            sev.join(", ")
        )
    };
    s.push_str(&format!(
        "; {} files scanned ({})",
        result.stats.files_scanned,
        crate::scan::source::human_size(result.stats.bytes_scanned)
    ));
    if tally.suppressed > 0 {
        s.push_str(&format!(", {} suppressed", tally.suppressed));
    }
    if tally.baselined > 0 {
        s.push_str(&format!(", {} baselined", tally.baselined));
    }
    if tally.unchanged > 0 {
        s.push_str(&format!(", {} on unchanged lines", tally.unchanged));
    }
    if !result.warnings.is_empty() {
        s.push_str(&format!(
            ", {} warning{}",
            result.warnings.len(),
            if result.warnings.len() == 1 { "" } else { "s" }
        ));
    }
    s.push('\n');
    s
}
