//! Command-line shape (clap derive types only; `lib.rs` runs them).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::finding::Severity;

#[derive(Debug, Parser)]
#[command(
    name = "scopesmith",
    version,
    about = "Find Cloudflare Global API Key uses and plan the scoped tokens that replace them"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Find every use of the legacy Global API Key (exit 0: none, 1: found, 2: error)
    Scan(ScanArgs),
    /// Infer the least-privilege scoped token each legacy credential needs
    Plan(PlanArgs),
    /// Write the migration report for security teams (HTML or Markdown), from scans of PATHs
    /// and saved `scan`/`plan` JSON files
    Report(ReportArgs),
    /// Rewrite legacy-key call sites to scoped tokens: print a unified diff, or `--apply` it
    Fix(FixArgs),
    /// List or check detection and permission rules
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Online: Cloudflare's permission-group catalog (see docs/online.md)
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Online, opt-in: tell whether each found credential is a live global key, a token, or invalid
    Verify(VerifyArgs),
    /// Online: create the scoped tokens a saved plan calls for (see docs/online.md)
    Mint(MintArgs),
    /// Compare what the code needs with a committed token policy (see docs/check.md)
    Check(CheckArgs),
    /// Explain a Cloudflare permission error: the call sites, the missing group, the fix (see docs/explain-denied.md)
    ExplainDenied(ExplainArgs),
}

/// `scan --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// rustc-style diagnostics
    Human,
    /// the documented JSON contract
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers
    Sarif,
    /// one line per finding: `path:line:col: severity rule: message`
    Compact,
}

/// `--format` of the commands whose output is not findings (`plan`, `rules list`, `verify`):
/// each command lists only the forms it can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DataFormat {
    /// text for a person
    Human,
    /// JSON, for scripts (and `report`/`mint` for saved plans)
    Json,
}

#[derive(Debug, Args, Clone)]
pub struct WalkArgs {
    /// Files or directories to scan
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Also scan what .gitignore excludes and dependency folders (node_modules, .venv, ...)
    #[arg(long)]
    pub no_ignore: bool,
    /// Follow symbolic links (loops and links leaving the root are reported and skipped)
    #[arg(long)]
    pub follow: bool,
    /// Skip paths matching this glob (repeatable)
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Worker threads (default: one per core)
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// Scan at most this much of each file (bytes, or 512KiB, 16MiB, 1GiB, 10MB); the rest of a
    /// larger file is reported
    #[arg(long, value_name = "SIZE", default_value = "16MiB", value_parser = crate::units::parse_size)]
    pub max_file_size: u64,
    /// Extra rule files or directories (repeatable); same id replaces a built-in rule
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub walk: WalkArgs,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Write the output to FILE (atomically: replaced whole or not at all) instead of stdout
    #[arg(long, short = 'o', visible_alias = "out", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also list binary files skipped
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Repository name for the JSON `source` stamp (default: from the `origin` remote)
    #[arg(long, value_name = "NAME")]
    pub repo_name: Option<String>,
    #[command(flatten)]
    pub history: HistoryArgs,
    #[command(flatten)]
    pub gate: GateArgs,
}

/// `scan --history`: what was committed, including what was deleted since (docs/history.md).
#[derive(Debug, Args, Clone, Default)]
pub struct HistoryArgs {
    /// Scan the git history: every commit's added lines, on all refs, or a range given as
    /// `--history=main..HEAD`
    #[arg(long, value_name = "REV-RANGE", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub history: Option<String>,
    /// With --history: only commits more recent than this date (as git reads it: 2024-01-31, "2 weeks ago")
    #[arg(long, value_name = "DATE", requires = "history")]
    pub since: Option<String>,
    /// With --history: only commits older than this date
    #[arg(long, value_name = "DATE", requires = "history")]
    pub until: Option<String>,
}

/// What fails a CI run and which findings count (see docs/ci.md).
#[derive(Debug, Args, Clone, Default)]
pub struct GateArgs {
    /// Exit 1 only for findings at or above this severity (low, medium, high, critical) [default: low]
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub fail_on: Option<Severity>,
    /// Hide findings recorded in this baseline file; only new ones are reported
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record today's findings in this baseline file (and exit 0)
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Report only findings on lines added or changed since this git revision
    #[arg(long, value_name = "REV")]
    pub diff_base: Option<String>,
    /// Ignore `scopesmith:ignore[...]` comments and show the findings they suppress
    #[arg(long)]
    pub no_suppress: bool,
    /// Do not read `.scopesmith.yaml` from the scan root
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
    /// Read the settings from this file instead of the scan root's `.scopesmith.yaml` (a
    /// trusted copy, e.g. the base branch's); its paths are relative to the scan root
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse()
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub walk: WalkArgs,
    #[arg(long, value_enum, default_value_t = DataFormat::Human)]
    pub format: DataFormat,
    /// Repository name for the JSON `source` stamp (default: from the `origin` remote)
    #[arg(long, value_name = "NAME")]
    pub repo_name: Option<String>,
    /// Write token definitions for each credential instead of the plan (needs --out)
    #[arg(long, value_enum, value_name = "FORM", requires = "out")]
    pub emit: Option<Emit>,
    /// Directory for the emitted files (created if missing)
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Only allow the token from this IP or CIDR range (repeatable)
    #[arg(long, value_name = "CIDR")]
    pub allow_ip: Vec<String>,
    /// Expiry of the token, RFC 3339 UTC (e.g. 2026-12-31T23:59:59Z)
    #[arg(long, value_name = "TIME")]
    pub expires_on: Option<String>,
    /// Emit user-owned tokens (POST /user/tokens) instead of account-owned ones
    #[arg(long)]
    pub user_token: bool,
    /// With --emit: the account the tokens are for, written where the code names no account
    /// (instead of the <ACCOUNT_ID> placeholder), as `mint --account-id` does
    #[arg(long, value_name = "ID", requires = "emit")]
    pub account_id: Option<String>,
    /// With `--emit terraform`: provider v4 syntax instead of v5
    #[arg(long)]
    pub terraform_v4: bool,
    /// With `--emit oauth`: a saved `GET /client/v4/oauth/scopes` response, to map groups to scope ids
    /// [default: the list `catalog sync --oauth-scopes` cached, if present]
    #[arg(long, value_name = "FILE")]
    pub oauth_scopes: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// one self-contained page (inline CSS and SVG, no scripts), prints well
    Html,
    /// GitHub-flavoured Markdown tables, for pull-request comments and wikis
    Markdown,
}

/// PATHs are scanned and planned; `.json` files are read as saved `scan --format json` or
/// `plan --format json` results (see docs/report.md).
#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub walk: WalkArgs,
    #[arg(long, value_enum, default_value_t = ReportFormat::Html)]
    pub format: ReportFormat,
    /// Write the report to FILE (atomically) instead of stdout
    #[arg(long, short = 'o', visible_alias = "output", value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// A saved scan or plan JSON to measure progress against (repeatable, one per repository)
    #[arg(long, value_name = "PREVIOUS.json")]
    pub compare: Vec<PathBuf>,
    /// Repository name of a single scanned PATH (default: its `origin` remote or folder name)
    #[arg(long, value_name = "NAME")]
    pub repo_name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Emit {
    /// One create-token request body per credential (<name>.json) and its notes
    CloudflareJson,
    /// A tokens.tf for the cloudflare/cloudflare Terraform provider
    Terraform,
    /// Pre-filled dashboard links per token (template-urls.md and template-urls.json)
    TemplateUrl,
    /// OAuth client request (JSON) and Terraform `cloudflare_oauth_client`, for apps that collect users' keys
    Oauth,
}

#[derive(Debug, Args)]
pub struct FixArgs {
    #[command(flatten)]
    pub walk: WalkArgs,
    /// Write the changes instead of printing the diff
    #[arg(long)]
    pub apply: bool,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List the detection rules in effect
    List {
        #[arg(long = "rules", value_name = "DIR")]
        rules: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = DataFormat::Human)]
        format: DataFormat,
    },
    /// Check rule files (detection, catalog, SDK maps, tool profiles) and report every problem
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

/// What every online command shares: where the API is and how long to wait for it.
#[derive(Debug, Args, Clone)]
pub struct NetArgs {
    /// Cloudflare API base URL (https only; plain http only for 127.0.0.1, localhost, [::1])
    #[arg(long, value_name = "URL", default_value = "https://api.cloudflare.com/client/v4")]
    pub api_base: String,
    /// Give up on a request after this many seconds (connecting: at most 10)
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub timeout: u64,
    /// Log each request (method, URL, status; never headers or bodies) on stderr
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Longest wait between retries, whatever Retry-After says (tests shorten it)
    #[arg(long, hide = true, value_name = "MS", default_value_t = 60_000)]
    pub max_retry_wait_ms: u64,
}

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Fetch the permission groups (names, ids, scopes) and cache them for `mint` and policies
    Sync(SyncArgs),
    /// Build catalog files from Cloudflare's OpenAPI document (offline); use them with --rules DIR
    ImportOpenapi {
        /// Cloudflare's openapi.json (github.com/cloudflare/api-schemas)
        file: PathBuf,
        /// Directory for the catalog files (one <family>.yaml each)
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Rebuild rules/catalog/ and the generated SDK maps of a scopesmith checkout from its
    /// saved reference extracts (tools/catalog/extracts)
    Generate {
        /// The checkout's root
        #[arg(long, value_name = "DIR", default_value = ".")]
        root: PathBuf,
        /// Only check that the shipped files equal what the extracts produce
        #[arg(long)]
        check: bool,
    },
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    #[command(flatten)]
    pub net: NetArgs,
    /// Environment variable holding an API token with `API Tokens Read`
    #[arg(long, value_name = "NAME", default_value = "CLOUDFLARE_API_TOKEN")]
    pub token_env: String,
    /// Cache file to write [default: $XDG_CACHE_HOME/scopesmith/permission-groups.json]
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Extra rule directories, to compare their groups too
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Also fetch the OAuth scope list (GET /oauth/scopes), cached beside the groups as
    /// oauth-scopes.json, which `plan --emit oauth` then maps groups with
    #[arg(long)]
    pub oauth_scopes: bool,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub walk: WalkArgs,
    #[command(flatten)]
    pub net: NetArgs,
    /// Send without asking (required when there is no terminal to ask on)
    #[arg(long)]
    pub yes: bool,
    /// Environment variable holding the account email, for global keys whose file names none
    #[arg(long, value_name = "NAME")]
    pub email_env: Option<String>,
    /// Account id, to verify account-owned tokens (cfat_)
    #[arg(long, value_name = "ID")]
    pub account_id: Option<String>,
    /// Also send this variable's value (repeatable); otherwise only variables whose value is
    /// shaped like a Cloudflare credential are sent, whatever the scanned code names
    #[arg(long = "env", value_name = "NAME")]
    pub env: Vec<String>,
    #[arg(long, value_enum, default_value_t = DataFormat::Human)]
    pub format: DataFormat,
}

#[derive(Debug, Args)]
pub struct MintArgs {
    #[command(flatten)]
    pub net: NetArgs,
    /// Environment variable holding an API token with `Account API Tokens Write` (or `API Tokens Write` with --user-token)
    #[arg(long, value_name = "NAME", default_value = "CLOUDFLARE_API_TOKEN")]
    pub token_env: String,
    /// A plan saved with `scopesmith plan --format json`
    #[arg(long, value_name = "PLAN.json")]
    pub plan: PathBuf,
    /// Print the exact requests and send nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Account that owns the new tokens (required unless --user-token); with --user-token, the one
    /// account the tokens cover where the plan names none
    #[arg(long, value_name = "ID")]
    pub account_id: Option<String>,
    /// Create user tokens (POST /user/tokens) instead of account-owned ones
    #[arg(long)]
    pub user_token: bool,
    /// Write each new token value to DIR/<token name>.token (CF_API_KEY's to CF_API_TOKEN.token; mode
    /// 0600, DIR created 0700)
    #[arg(long, value_name = "DIR", conflicts_with = "stdout")]
    pub out_dir: Option<PathBuf>,
    /// Print the new token values on stdout instead
    #[arg(long)]
    pub stdout: bool,
    /// Permission-group cache from `catalog sync` [default: the sync default, if present]
    #[arg(long, value_name = "FILE")]
    pub catalog: Option<PathBuf>,
    /// Extra rule directories (for their permission groups)
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// text for a terminal
    Human,
    /// the check report as JSON
    Json,
    /// a pull-request comment body
    Markdown,
    /// SARIF 2.1.0 (gaps at their call sites)
    Sarif,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub walk: WalkArgs,
    /// The committed policy: create-token JSON, a .tf file, or a folder `plan --emit` wrote
    #[arg(long, value_name = "PATH")]
    pub policy: PathBuf,
    /// The credential the policy's tokens are for (repeatable; default: the one each token is named after)
    #[arg(long, value_name = "NAME")]
    pub credential: Vec<String>,
    #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
    pub format: CheckFormat,
    /// Only what the change since this git revision adds (call sites on added lines, a touched policy)
    #[arg(long, value_name = "REV")]
    pub diff_base: Option<String>,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The error text: `10000`, `9109`, or the message (`Actor ... requires permission '...'`)
    pub error: String,
    #[command(flatten)]
    pub walk: WalkArgs,
    /// The token policy that was denied (narrows the answer to what it lacks)
    #[arg(long, value_name = "PATH")]
    pub policy: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = DataFormat::Human)]
    pub format: DataFormat,
}
