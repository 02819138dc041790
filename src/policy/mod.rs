//! From a `Plan` to what a user applies: token definitions for Cloudflare's create-token API
//! (`cloudflare.rs`) and for the Terraform provider (`terraform.rs`).
//!
//! Both read the same [`TokenPolicy`] list, built here by [`build`], the one policy builder
//! that `plan --emit`, `mint` and the migration report share: one token per credential, one
//! policy per resource set (grants that cover the same zones or accounts share a policy).
//! Nothing is invented: a permission group id is the one its grant carries (the `catalog sync`
//! cache's, else the bundled table's) or stays a marked placeholder, and a resource this tool
//! cannot name (a zone known only by name, an unknown account id) becomes a marked placeholder
//! with a note saying what to fill in.

pub mod cloudflare;
pub mod escalation;
pub mod oauth;
pub mod targets;
pub mod template_url;
pub mod terraform;

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Serialize;

use crate::infer::{CredentialPlan, Grant, Plan};
use crate::rules::model::Scope;

/// Choices from the command line that shape every emitted token.
#[derive(Debug, Clone, Default)]
pub struct EmitOptions {
    /// CIDR ranges the token may be used from (`condition.request_ip.in`).
    pub allow_ip: Vec<String>,
    /// RFC 3339 UTC timestamp (`expires_on`).
    pub expires_on: Option<String>,
    /// Create user-owned tokens (`POST /user/tokens`) instead of account-owned ones.
    pub user_token: bool,
    /// The account the token is for, when the user named it (`mint --account-id`); otherwise
    /// the one account id the grants name, if any (see [`account_of`]).
    pub account_id: Option<String>,
}

/// One resource key of a policy, and whether it is a placeholder the user must fill in.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub enum Resource {
    /// `com.cloudflare.api.account.zone.<id>`
    Zone(String),
    /// A zone known only by its name: its id has to be looked up.
    ZoneName(String),
    /// All zones of one account (`None`: account id unknown).
    AllZones(Option<String>),
    /// `com.cloudflare.api.account.<id>` (`None`: unknown).
    Account(Option<String>),
    /// `com.cloudflare.api.user.<id>` (always the user's own id, unknown here).
    User,
}

/// What a reader of a report is told the token covers: `zone 0a95…`, `zone example.com (id to
/// look up)`, `all zones of account <ACCOUNT_ID>`, `account 2649…`, `user <USER_ID>`, naming the
/// same resource (and placeholder) as the emitted body.
impl std::fmt::Display for Resource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Resource::Zone(id) => write!(f, "zone {id}"),
            Resource::ZoneName(n) => write!(f, "zone {n} (id to look up)"),
            Resource::AllZones(a) => write!(f, "all zones of account {}", a.as_deref().unwrap_or(ACCOUNT_PLACEHOLDER)),
            Resource::Account(a) => write!(f, "account {}", a.as_deref().unwrap_or(ACCOUNT_PLACEHOLDER)),
            Resource::User => write!(f, "user {USER_PLACEHOLDER}"),
        }
    }
}

pub const ACCOUNT_PLACEHOLDER: &str = "<ACCOUNT_ID>";
pub const USER_PLACEHOLDER: &str = "<USER_ID>";

pub fn zone_name_placeholder(name: &str) -> String {
    format!("<ZONE_ID of {name}>")
}

pub fn group_id_placeholder(name: &str) -> String {
    format!("<id of {name}: run scopesmith catalog sync>")
}

#[derive(Debug, Clone, Serialize)]
pub struct PermissionRef {
    pub name: String,
    /// Documented id, if the bundled table has one.
    pub id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PolicyBlock {
    pub scope: Scope,
    pub resources: Vec<Resource>,
    pub groups: Vec<PermissionRef>,
}

/// The token one credential needs.
#[derive(Debug, Clone, Serialize)]
pub struct TokenPolicy {
    pub credential: String,
    pub name: String,
    pub policies: Vec<PolicyBlock>,
    pub allow_ip: Vec<String>,
    pub expires_on: Option<String>,
    /// The account that owns the token, if one account id is known.
    pub account_id: Option<String>,
    pub user_token: bool,
    /// What the user must check or fill in before creating the token.
    pub notes: Vec<String>,
}

/// Checks the flags once, before anything is written.
pub fn validate(opts: &EmitOptions) -> Result<EmitOptions, crate::Error> {
    let mut out = opts.clone();
    out.allow_ip.clear();
    for cidr in &opts.allow_ip {
        out.allow_ip.push(normalise_cidr(cidr).ok_or_else(|| crate::Error::Usage {
            message: format!("`{cidr}` is not an IP address or CIDR range"),
            help: "pass `--allow-ip 203.0.113.0/24` or `--allow-ip 2001:db8::/32` (repeatable)".into(),
        })?);
    }
    out.allow_ip.sort();
    out.allow_ip.dedup();
    if let Some(id) = &opts.account_id {
        check_account_id(id)?;
    }
    if let Some(t) = &opts.expires_on {
        if !is_rfc3339_utc(t) {
            return Err(crate::Error::Usage {
                message: format!("`{t}` is not an RFC 3339 UTC timestamp"),
                help: "Cloudflare expects UTC, e.g. `--expires-on 2026-12-31T23:59:59Z`".into(),
            });
        }
    }
    Ok(out)
}

/// An account id as the user typed it (`--account-id`): 32 hex characters.
pub fn check_account_id(id: &str) -> Result<(), crate::Error> {
    if id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(crate::Error::Usage {
            message: format!("`{id}` is not an account id"),
            help: "an account id is 32 hex characters (dashboard, Account home, right column)".into(),
        })
    }
}

/// `203.0.113.7` -> `203.0.113.7/32`; a range is checked and kept.
fn normalise_cidr(s: &str) -> Option<String> {
    let (addr, len) = match s.split_once('/') {
        Some((a, l)) => (a, Some(l.parse::<u8>().ok()?)),
        None => (s, None),
    };
    let ip: IpAddr = addr.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let len = len.unwrap_or(max);
    (len <= max).then(|| format!("{ip}/{len}"))
}

fn is_rfc3339_utc(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| r.clone().all(|i| b.get(i).is_some_and(u8::is_ascii_digit));
    b.len() == 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && b[19] == b'Z'
}

/// One token per credential that needs at least one permission.
/// A multi-tenant app that collects its users' keys gets an OAuth client (`oauth.rs`), not one
/// token for everybody, so it is left out here.
pub fn tokens(plan: &Plan, opts: &EmitOptions) -> Vec<TokenPolicy> {
    plan.credentials.iter().filter(|c| !c.permissions.is_empty() && !wants_oauth(c)).map(|c| token(c, opts)).collect()
}

pub fn wants_oauth(c: &CredentialPlan) -> bool {
    c.collected.as_ref().is_some_and(|x| x.app == crate::infer::collected::AppKind::MultiTenantApp)
}

/// [`build`] for a planned credential, with the notes about the credential itself (collected
/// from users, hard-coded).
pub fn token(c: &CredentialPlan, opts: &EmitOptions) -> TokenPolicy {
    let mut t = build(&c.name, &c.permissions, opts);
    if let Some(x) = &c.collected {
        t.notes.push(format!(
            "this credential is collected from users: each user creates this token for themselves; the target is {}",
            x.target
        ));
    }
    if c.hardcoded {
        t.notes.push("this credential is hard-coded: after the migration, roll (revoke) the Global API Key".into());
    }
    t.notes.dedup();
    t
}

/// The account a credential's token is about: the one `opts` names, else the only account id
/// its account-level grants name (`None` when they name none, or several).
pub fn account_of(grants: &[Grant], opts: &EmitOptions) -> Option<String> {
    if let Some(a) = &opts.account_id {
        return Some(a.clone());
    }
    let mut a: Vec<&str> = grants
        .iter()
        .filter(|g| g.scope == Scope::Account)
        .flat_map(|g| g.resources.iter().filter(|r| r.is_id()).map(|r| r.as_str()))
        .collect();
    a.sort();
    a.dedup();
    match a.as_slice() {
        [one] => Some(one.to_string()),
        _ => None,
    }
}

/// What one grant covers in a token about `account`: its zones or accounts, or (none named)
/// all zones of that account, that account, or the user.
pub fn resources_of(g: &Grant, account: Option<&str>) -> Vec<Resource> {
    let account = account.map(str::to_string);
    let mut resources: Vec<Resource> = match g.scope {
        Scope::Zone if g.resources.is_empty() => vec![Resource::AllZones(account)],
        Scope::Zone => g
            .resources
            .iter()
            .map(|r| match r {
                crate::infer::Resource::ZoneName(n) => Resource::ZoneName(n.clone()),
                other => Resource::Zone(other.as_str().to_string()),
            })
            .collect(),
        Scope::Account if g.resources.is_empty() => vec![Resource::Account(account)],
        Scope::Account => g.resources.iter().map(|r| Resource::Account(Some(r.as_str().to_string()))).collect(),
        Scope::User => vec![Resource::User],
    };
    resources.sort();
    resources.dedup();
    resources
}

/// The one policy builder: the token a credential's grants call for, as `plan --emit`, `mint`
/// and the report show it. Grants that touch the same resources share one policy; a group
/// keeps the id its grant carries (synced, saved or bundled: the caller's choice), and what
/// the grants cannot name becomes a placeholder [`Resource`] with a note saying what to fill in.
pub fn build(credential: &str, grants: &[Grant], opts: &EmitOptions) -> TokenPolicy {
    let mut notes = Vec::new();
    let account_id = account_of(grants, opts);
    let mut by_resources: BTreeMap<(Scope, Vec<Resource>), Vec<PermissionRef>> = BTreeMap::new();
    for g in grants {
        let groups = by_resources.entry((g.scope, resources_of(g, account_id.as_deref()))).or_default();
        if !groups.iter().any(|p| p.name == g.name) {
            groups.push(PermissionRef { name: g.name.clone(), id: g.id.clone() });
        }
    }
    let policies: Vec<PolicyBlock> = by_resources
        .into_iter()
        .map(|((scope, resources), mut groups)| {
            groups.sort_by(|a, b| a.name.cmp(&b.name));
            PolicyBlock { scope, resources, groups }
        })
        .collect();
    let all: Vec<&Resource> = policies.iter().flat_map(|p| &p.resources).collect();
    if all.iter().any(|r| matches!(r, Resource::AllZones(None) | Resource::Account(None))) {
        notes.push(format!(
            "no account id appears in the code: replace {ACCOUNT_PLACEHOLDER} with the id of the account this credential works in"
        ));
    }
    if all.iter().any(|r| matches!(r, Resource::AllZones(_))) {
        notes.push("no zone id appears in the code: the token covers all zones of the account; narrow it to the zones this code touches".into());
    }
    for r in &all {
        if let Resource::ZoneName(n) = r {
            notes.push(format!(
                "zone `{n}` is named, not identified, in the code: replace `{}` with its zone id (GET /zones?name={n})",
                zone_name_placeholder(n)
            ));
        }
    }
    if all.iter().any(|r| matches!(r, Resource::User)) {
        notes.push(format!(
            "replace {USER_PLACEHOLDER} with your user id (GET /user/tokens/verify, or the dashboard profile)"
        ));
    }
    let missing: Vec<&str> =
        policies.iter().flat_map(|p| &p.groups).filter(|g| g.id.is_none()).map(|g| g.name.as_str()).collect();
    if !missing.is_empty() {
        notes.push(format!(
            "no documented id for {}: fill the placeholders from GET /accounts/{{account_id}}/tokens/permission_groups (or run scopesmith catalog sync)",
            missing.join(", ")
        ));
    }
    notes.dedup();
    TokenPolicy {
        credential: credential.to_string(),
        name: format!("scopesmith: {credential}"),
        policies,
        allow_ip: opts.allow_ip.clone(),
        expires_on: opts.expires_on.clone(),
        account_id,
        user_token: opts.user_token,
        notes,
    }
}

/// A file-system- and identifier-safe form of a credential name: `CF_API_KEY` ->
/// `cf_api_key`, `scripts/add-txt-record.sh` -> `scripts_add_txt_record_sh`.
pub fn slug(name: &str) -> String {
    let mut s: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
    while s.contains("__") {
        s = s.replace("__", "_");
    }
    let s = s.trim_matches('_').to_string();
    match s.chars().next() {
        None => "credential".into(),
        Some(c) if c.is_ascii_digit() => format!("c_{s}"),
        Some(_) => s,
    }
}

/// Unique slugs, in token order (`name`, `name_2`, ...).
pub fn unique_slugs(tokens: &[TokenPolicy]) -> Vec<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    tokens
        .iter()
        .map(|t| {
            let base = slug(&t.credential);
            let n = seen.entry(base.clone()).or_insert(0);
            *n += 1;
            if *n == 1 {
                base
            } else {
                format!("{base}_{n}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_checked() {
        assert_eq!(normalise_cidr("203.0.113.7").as_deref(), Some("203.0.113.7/32"));
        assert_eq!(normalise_cidr("2001:db8::/32").as_deref(), Some("2001:db8::/32"));
        assert!(normalise_cidr("10.0.0.0/33").is_none());
        assert!(normalise_cidr("example.com").is_none());
        assert!(is_rfc3339_utc("2026-12-31T23:59:59Z"));
        assert!(!is_rfc3339_utc("2026-12-31 23:59:59"));
        assert!(!is_rfc3339_utc("2026-12-31T23:59:59+02:00"));
    }

    #[test]
    fn slugs_are_safe() {
        assert_eq!(slug("CF_API_KEY"), "cf_api_key");
        assert_eq!(slug("scripts/add-txt-record.sh"), "scripts_add_txt_record_sh");
        assert_eq!(
            slug("dns_cloudflare_api_key (tools/certbot/cloudflare.ini)"),
            "dns_cloudflare_api_key_tools_certbot_cloudflare_ini"
        );
        assert_eq!(slug("../.."), "credential");
    }
}
