//! `mint`: create the scoped tokens a saved plan calls for.
//!
//! Takes the JSON of `plan --format json` (each credential's grants, read with the plan's own
//! `Grant`) and the permission-group ids (sync cache, else the plan's, else the bundled
//! catalog); [`requests`] builds one create-token request per credential with the policy
//! builder `plan --emit` uses (facts 5.1, 5.2) and [`mint`] sends them: existing tokens of the
//! same name are listed first and skipped (names are `scopesmith: <credential>`), and when any
//! step fails the tokens created in this run are deleted again. The new values are handed
//! once to a `deliver` callback (a 0600 file, or stdout) and never logged.

use std::path::{Path, PathBuf};

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::client::{Auth, Client};
use super::ApiError;
use crate::infer::Grant;
use crate::policy::{self, Resource};
use crate::rules::synced::Synced;
use crate::rules::Knowledge;
use crate::secret::Secret;

/// What `plan --format json` holds that minting needs: each credential's name and grants,
/// read with the plan's own [`Grant`] type (so a saved plan's resources are typed as `plan`
/// typed them; `id` and `because` may be absent in older or hand-written plans).
#[derive(Debug, Deserialize)]
pub struct PlanFile {
    pub credentials: Vec<PlannedCredential>,
}

#[derive(Debug, Deserialize)]
pub struct PlannedCredential {
    pub name: String,
    #[serde(default)]
    pub permissions: Vec<Grant>,
}

pub fn read_plan(path: &Path) -> Result<PlanFile, crate::Error> {
    let text = std::fs::read_to_string(path).map_err(|e| crate::Error::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| {
        crate::Error::from(ApiError::Refused {
            message: format!("{} is not a plan: {e}", path.display()),
            help: "save one with `scopesmith plan --format json PATH > plan.json`".into(),
        })
    })
}

/// Who owns the new tokens.
#[derive(Debug, Clone)]
pub enum Owner {
    /// `POST /accounts/{id}/tokens` (needs Account API Tokens Write).
    Account(String),
    /// `POST /user/tokens` (needs API Tokens Write).
    User { account_id: Option<String> },
}

impl Owner {
    pub fn tokens_path(&self) -> String {
        match self {
            Owner::Account(id) => format!("/accounts/{id}/tokens"),
            Owner::User { .. } => "/user/tokens".to_string(),
        }
    }

    fn account(&self) -> Option<&str> {
        match self {
            Owner::Account(id) => Some(id),
            Owner::User { account_id } => account_id.as_deref(),
        }
    }

    pub fn needs_read(&self) -> &'static str {
        match self {
            Owner::Account(_) => "Account API Tokens Read",
            Owner::User { .. } => "API Tokens Read",
        }
    }

    pub fn needs_write(&self) -> &'static str {
        match self {
            Owner::Account(_) => "Account API Tokens Write",
            Owner::User { .. } => "API Tokens Write",
        }
    }
}

/// One token to create: `POST {path}` with `body`.
#[derive(Debug, Clone, Serialize)]
pub struct TokenRequest {
    pub credential: String,
    pub name: String,
    pub path: String,
    pub body: Value,
}

/// The create request of every credential with permissions; credentials with none are
/// returned as notes. Every problem (a group without id, a zone given by name, ...) is
/// reported at once.
pub fn requests(
    plan: &PlanFile,
    knowledge: &Knowledge,
    synced: Option<&Synced>,
    owner: &Owner,
) -> Result<(Vec<TokenRequest>, Vec<String>), ApiError> {
    requests_with(plan, knowledge, synced, owner, false)
}

/// As `requests`; with `placeholders`, a group without a known id gets a placeholder id and a
/// note instead of refusing the plan (a dry run shows the request; nothing is sent).
///
/// Each body is the one `plan --emit cloudflare` writes for the same grants
/// ([`policy::build`], [`policy::cloudflare::body`]), with the owner's account filled in; a
/// group's id is the synced one, else the one the plan carries, else the bundled one. What the
/// body would still hold as a placeholder (a zone known by name, an unknown account, the user)
/// is refused: Cloudflare would reject it, or, for an unknown account, the token would have to
/// cover every account.
pub fn requests_with(
    plan: &PlanFile,
    knowledge: &Knowledge,
    synced: Option<&Synced>,
    owner: &Owner,
    placeholders: bool,
) -> Result<(Vec<TokenRequest>, Vec<String>), ApiError> {
    let opts = policy::EmitOptions {
        user_token: matches!(owner, Owner::User { .. }),
        account_id: owner.account().map(str::to_string),
        ..policy::EmitOptions::default()
    };
    let mut out = Vec::new();
    let mut notes = Vec::new();
    let mut no_id: Vec<String> = Vec::new();
    let mut problems: Vec<String> = Vec::new();
    for c in &plan.credentials {
        if c.permissions.is_empty() {
            notes.push(format!("skipped `{}`: the plan has no permission for it", c.name));
            continue;
        }
        let grants: Vec<Grant> = c.permissions.iter().map(|g| with_id(g, knowledge, synced)).collect();
        let token = policy::build(&c.name, &grants, &opts);
        for p in &token.policies {
            let groups = p.groups.iter().map(|g| format!("`{}`", g.name)).collect::<Vec<_>>().join(", ");
            for r in &p.resources {
                if let Some(problem) = refusal(r, &groups, owner) {
                    problems.push(format!("`{}`: {problem}", c.name));
                }
            }
            for g in p.groups.iter().filter(|g| g.id.is_none()) {
                if !no_id.contains(&g.name) {
                    no_id.push(g.name.clone());
                }
            }
        }
        out.push(TokenRequest {
            credential: c.name.clone(),
            body: policy::cloudflare::body(&token),
            name: token.name,
            path: owner.tokens_path(),
        });
    }
    if placeholders && !no_id.is_empty() {
        notes.push(format!(
            "placeholder id for {} (no public source documents it): run `scopesmith catalog sync` before minting",
            no_id.join(", ")
        ));
    } else if !no_id.is_empty() {
        problems.push(format!("no id is known for the permission group(s) {}", no_id.join(", ")));
    }
    if problems.is_empty() {
        Ok((out, notes))
    } else {
        Err(ApiError::Refused {
            message: format!("the plan cannot be minted: {}", problems.join("; ")),
            help: "run `scopesmith catalog sync` to fetch every group's id; pass --account-id for the account the tokens are for; edit the plan for the rest".into(),
        })
    }
}

/// The grant with the id mint sends: the synced one, else the one the plan carries, else the
/// bundled one (a plan saved before the cache existed, or by an older scopesmith).
fn with_id(g: &Grant, knowledge: &Knowledge, synced: Option<&Synced>) -> Grant {
    let bundled = knowledge.groups.get(&g.name).filter(|k| k.scope == g.scope).and_then(|k| k.id.as_deref());
    let id = synced.and_then(|s| s.id(&g.name, g.scope)).or(g.id.as_deref()).or(bundled);
    Grant { id: id.map(str::to_string), ..g.clone() }
}

/// Why a resource of a policy cannot be sent as it is (`None`: it can).
fn refusal(r: &Resource, groups: &str, owner: &Owner) -> Option<String> {
    match r {
        Resource::ZoneName(name) => Some(format!(
            "zone `{name}` is named, not given by id: replace it in the plan with its zone id (dashboard, zone Overview)"
        )),
        Resource::AllZones(None) | Resource::Account(None) => Some(format!(
            "no account id is known for {groups}: pass --account-id ID so the token covers that one account, not every account"
        )),
        Resource::User => Some(format!(
            "{groups} is a user-level permission, which mint does not grant; create that token in the dashboard"
        )),
        Resource::Account(Some(a)) => match owner {
            Owner::Account(acc) if a != acc => Some(format!("{groups} is planned for another account than {acc}")),
            _ => None,
        },
        Resource::Zone(_) | Resource::AllZones(Some(_)) => None,
    }
}

/// A token created in this run.
#[derive(Debug, Clone)]
pub struct Minted {
    pub credential: String,
    pub name: String,
    pub id: String,
    pub value: Secret,
}

#[derive(Debug, Default)]
pub struct MintOutcome {
    pub created: Vec<(String, String)>,
    /// Names that already existed and were left alone.
    pub skipped: Vec<String>,
}

#[derive(Deserialize)]
struct ExistingToken {
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
struct CreatedToken {
    id: String,
    value: String,
}

/// Creates what does not exist yet, hands the values to `deliver`, and deletes everything it
/// created if any step (a create, or `deliver`) fails.
pub fn mint(
    client: &Client,
    token: &Secret,
    owner: &Owner,
    reqs: &[TokenRequest],
    deliver: &mut dyn FnMut(&[Minted]) -> Result<(), crate::Error>,
) -> Result<MintOutcome, crate::Error> {
    let auth = Auth::Bearer(token);
    let existing: Vec<ExistingToken> = client.all(&owner.tokens_path(), &auth, owner.needs_read())?;
    let mut outcome = MintOutcome::default();
    let mut minted: Vec<Minted> = Vec::new();
    let mut failure: Option<crate::Error> = None;
    for r in reqs {
        if existing.iter().any(|t| t.name == r.name) {
            outcome.skipped.push(r.name.clone());
            continue;
        }
        match client.result::<CreatedToken>(Method::POST, &r.path, &auth, Some(&r.body), owner.needs_write()) {
            Ok(t) => minted.push(Minted {
                credential: r.credential.clone(),
                name: r.name.clone(),
                id: t.id,
                value: Secret::new(t.value),
            }),
            Err(e) => {
                failure = Some(e.into());
                break;
            }
        }
    }
    if failure.is_none() && !minted.is_empty() {
        if let Err(e) = deliver(&minted) {
            failure = Some(e);
        }
    }
    if let Some(cause) = failure {
        return Err(rollback(client, &auth, owner, &minted, cause));
    }
    outcome.created = minted.into_iter().map(|m| (m.name, m.id)).collect();
    Ok(outcome)
}

fn rollback(client: &Client, auth: &Auth, owner: &Owner, minted: &[Minted], cause: crate::Error) -> crate::Error {
    let mut left = Vec::new();
    for m in minted.iter().rev() {
        let path = format!("{}/{}", owner.tokens_path(), m.id);
        let gone = client.call(Method::DELETE, &path, auth, None, owner.needs_write()).is_ok();
        if !gone {
            left.push(format!("{} (id {})", m.name, m.id));
        }
    }
    let deleted = minted.len() - left.len();
    let help = if left.is_empty() {
        "nothing created in this run remains; fix the cause and run mint again".to_string()
    } else {
        format!("delete these tokens by hand (dashboard, API Tokens): {}", left.join(", "))
    };
    ApiError::RolledBack { cause: format!("{cause}"), deleted, help }.into()
}

/// `<out-dir>/<token name>.token` for each request (`CF_API_KEY` -> `CF_API_TOKEN.token`: the
/// file holds the token, and is named as `fix` renames the variable), refused if one exists
/// already (so a run never creates a token whose value it cannot write).
pub fn token_files(dir: &Path, reqs: &[TokenRequest]) -> Result<Vec<PathBuf>, crate::Error> {
    let mut paths = Vec::new();
    for r in reqs {
        let name = token_file_stem(&r.credential);
        let stem: String =
            name.chars().map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '_' }).collect();
        let path = dir.join(format!("{stem}.token"));
        if path.exists() {
            return Err(ApiError::Refused {
                message: format!("{} exists already", path.display()),
                help: "move it away (it may hold a token value) or pick another --out-dir".into(),
            }
            .into());
        }
        paths.push(path);
    }
    Ok(paths)
}

/// The token-side name of a credential: `fix`'s rename (`CLOUDFLARE_API_KEY` ->
/// `CLOUDFLARE_API_TOKEN`), else the credential with `_token` added.
pub fn token_file_stem(credential: &str) -> String {
    // `api_key (tools/a.ini)`: the setting, not its file.
    let base = credential.split(" (").next().unwrap_or(credential);
    crate::fix::rewrite::token_name(base).unwrap_or_else(|| format!("{base}_token"))
}

/// Writes each value once, to a new file of mode 0600 in `dir` (created 0700).
pub fn write_token_files(dir: &Path, minted: &[Minted]) -> Result<(), crate::Error> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| crate::Error::Write { path: dir.to_path_buf(), source: e })?;
    let reqs: Vec<TokenRequest> = minted
        .iter()
        .map(|m| TokenRequest {
            credential: m.credential.clone(),
            name: m.name.clone(),
            path: String::new(),
            body: Value::Null,
        })
        .collect();
    let paths = token_files(dir, &reqs)?;
    for (m, path) in minted.iter().zip(paths) {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let write = |opts: &std::fs::OpenOptions| -> std::io::Result<()> {
            use std::io::Write;
            let mut f = opts.open(&path)?;
            f.write_all(m.value.expose().as_bytes())?;
            f.write_all(b"\n")
        };
        write(&opts).map_err(|e| crate::Error::Write { path: path.clone(), source: e })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::model::Scope;
    use serde_json::json;

    const ZONE: &str = "023e105f4ecef8ad9ca31a8372d0c353";
    const ACC: &str = "01a7362d577a6c3019a474fd6f485823";
    const OTHER: &str = "264903676bc9cf84abc2343212e136ca";
    const ID: &str = "4755a26eedb94da69e1066d98aa820be";

    fn grant(name: &str, scope: Scope, resources: &[&str]) -> Grant {
        Grant {
            name: name.into(),
            scope,
            resources: resources.iter().map(|r| crate::infer::Resource::parse(scope, r)).collect(),
            because: Vec::new(),
            id: Some(ID.into()),
        }
    }

    /// The `resources` of the one policy minted for `g`, or the refusal.
    fn resources(g: Grant, owner: &Owner) -> Result<Value, String> {
        let plan = PlanFile { credentials: vec![PlannedCredential { name: "K".into(), permissions: vec![g] }] };
        let (reqs, _) = requests(&plan, &Knowledge::default(), None, owner).map_err(|e| format!("{e}"))?;
        Ok(reqs[0].body["policies"][0]["resources"].clone())
    }

    #[test]
    fn zone_and_account_resources() {
        let owner = Owner::Account(ACC.into());
        let z = resources(grant("DNS Write", Scope::Zone, &[ZONE]), &owner).expect("zone");
        assert_eq!(z, json!({format!("com.cloudflare.api.account.zone.{ZONE}"): "*"}));
        let all = resources(grant("DNS Write", Scope::Zone, &[]), &owner).expect("all zones");
        assert_eq!(
            all,
            json!({format!("com.cloudflare.api.account.{ACC}"): {"com.cloudflare.api.account.zone.*": "*"}})
        );
        let a = resources(grant("Workers Scripts Write", Scope::Account, &[]), &owner).expect("account");
        assert_eq!(a, json!({format!("com.cloudflare.api.account.{ACC}"): "*"}));
        let named = resources(grant("DNS Write", Scope::Zone, &["example.com"]), &owner).expect_err("zone name");
        assert!(named.contains("zone `example.com` is named"), "{named}");
        let user = resources(grant("User Details Read", Scope::User, &[]), &owner).expect_err("user scope");
        assert!(user.contains("user-level permission"), "{user}");
        let other = resources(grant("Workers Scripts Write", Scope::Account, &[OTHER]), &owner).expect_err("other");
        assert!(other.contains(&format!("another account than {ACC}")), "{other}");
    }

    #[test]
    fn a_user_token_is_narrowed_to_one_account_or_refused() {
        let user = Owner::User { account_id: Some(ACC.into()) };
        let all = resources(grant("DNS Write", Scope::Zone, &[]), &user).expect("user token, one account");
        assert_eq!(
            all,
            json!({format!("com.cloudflare.api.account.{ACC}"): {"com.cloudflare.api.account.zone.*": "*"}})
        );
        // Once a flat `com.cloudflare.api.account.zone.*` (every zone of every account): now
        // refused, as `plan --emit` would write `<ACCOUNT_ID>` there.
        let nobody = Owner::User { account_id: None };
        let e = resources(grant("DNS Write", Scope::Zone, &[]), &nobody).expect_err("unknown account");
        assert!(e.contains("pass --account-id"), "{e}");
        let e = resources(grant("Workers Scripts Write", Scope::Account, &[]), &nobody).expect_err("unknown account");
        assert!(e.contains("pass --account-id"), "{e}");
        // An account the plan names is used as it is.
        let named = resources(grant("Workers Scripts Write", Scope::Account, &[OTHER]), &nobody).expect("named");
        assert_eq!(named, json!({format!("com.cloudflare.api.account.{OTHER}"): "*"}));
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let mut no_id = grant("Workers R2 Storage Write", Scope::Account, &[]);
        no_id.id = None;
        let plan = PlanFile {
            credentials: vec![PlannedCredential {
                name: "K".into(),
                permissions: vec![grant("DNS Write", Scope::Zone, &["example.com"]), no_id],
            }],
        };
        let owner = Owner::Account(ACC.into());
        let e = requests(&plan, &Knowledge::default(), None, &owner).expect_err("refused").to_string();
        assert!(e.contains("example.com") && e.contains("Workers R2 Storage Write"), "{e}");
        let dry = requests_with(&plan, &Knowledge::default(), None, &owner, true).expect_err("zone name").to_string();
        assert!(dry.contains("example.com") && !dry.contains("Workers R2"), "a dry run only lets ids go: {dry}");
    }

    #[test]
    fn ids_synced_then_saved_then_bundled() {
        let synced = Synced {
            path: "cache.json".into(),
            groups: vec![crate::rules::synced::RemoteGroup {
                id: "s".repeat(32),
                name: "DNS Write".into(),
                scopes: vec!["com.cloudflare.api.account.zone".into()],
            }],
        };
        let g = grant("DNS Write", Scope::Zone, &[ZONE]);
        assert_eq!(with_id(&g, &Knowledge::default(), Some(&synced)).id, Some("s".repeat(32)));
        assert_eq!(with_id(&g, &Knowledge::default(), None).id.as_deref(), Some(ID));
        let mut k = Knowledge::default();
        k.groups.insert(
            "DNS Write".into(),
            crate::rules::knowledge::PermissionGroup {
                name: "DNS Write".into(),
                scope: Scope::Zone,
                id: Some("b".repeat(32)),
            },
        );
        let bare = Grant { id: None, ..g };
        assert_eq!(with_id(&bare, &k, None).id, Some("b".repeat(32)));
    }
}
