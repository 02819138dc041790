//! What the scanner reports: one [`Finding`] per source line that configures, sends or stores
//! the legacy Global API Key (or the account email that goes with it).

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// How the legacy key is used on a line. Ordered by precedence: when several rules match one
/// line, the finding takes the highest kind (a hard-coded key matters more than the header
/// that sends it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Env,
    Config,
    Header,
    Sdk,
    Literal,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Env => "env",
            Kind::Config => "config",
            Kind::Header => "header",
            Kind::Sdk => "sdk",
            Kind::Literal => "literal",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            other => Err(format!("unknown severity `{other}` (expected low, medium, high or critical)")),
        }
    }
}

/// Which half of the legacy credential pair a site handles. The email is not secret, but it
/// marks a global-key call site and has to go when the call moves to a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Key,
    Email,
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub rule: String,
    /// Relative to the scanned root, `/`-separated.
    pub path: String,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    /// Last line of the matched construct (a multi-line SDK call), 1-based.
    pub end_line: usize,
    pub kind: Kind,
    pub role: Role,
    /// The env var, secret or setting holding the key, as written.
    pub credential: Option<String>,
    pub severity: Severity,
    pub message: String,
    pub fix: String,
    /// The source line, with any secret masked.
    pub snippet: String,
    /// A hard-coded key, redacted when serialised.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<Secret>,
    /// Tool or SDK profile this use implies (drives `plan`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sdk: Option<String>,
    /// Stable across edits elsewhere in the file (baselines, SARIF).
    pub fingerprint: String,
    /// Where history put it (`scan --history`): the commit that introduced this use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Introduced>,
}

/// The commit that introduced a use found in history, and whether `HEAD` still has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Introduced {
    /// The commit id's first 12 hex digits.
    pub commit: String,
    /// Author date, ISO 8601.
    pub date: String,
    /// The same use (rule, line text, secret) is in some file of `HEAD`. When false the key
    /// is gone from the tree but not from the history: only rolling it in the dashboard helps.
    pub at_head: bool,
}

impl Finding {
    pub(crate) fn sort_key(&self) -> (&str, usize, usize, &str) {
        (&self.path, self.line, self.column, &self.rule)
    }
}

/// A file the scan could not fully read; reported once, the scan goes on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    pub path: String,
    pub reason: WarningReason,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WarningReason {
    Unreadable,
    Binary,
    TooLarge,
    InvalidUtf8,
    SymlinkLoop,
    NotAFile,
    ParseError,
    /// A `scopesmith:ignore` comment that cannot apply (no reason, unknown rule).
    Suppression,
}
