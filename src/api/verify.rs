//! `verify`: is a credential found by `scan` a live Global API Key, a token, or dead?
//!
//! Takes scan findings; [`candidates`] picks those whose value this process can see (a
//! hard-coded literal, or an environment variable named by the finding that is set here),
//! [`check`] sends one request per value (facts 4.3: `GET /user` with `X-Auth-Email` +
//! `X-Auth-Key` for a global key, `GET /user/tokens/verify` or
//! `GET /accounts/{id}/tokens/verify` with a Bearer token) and returns a [`Verdict`]. Asking
//! the user first and printing are left to `lib.rs`. Values stay in [`Secret`]s: verdicts
//! carry only the redacted form.

use reqwest::Method;
use serde::Serialize;
use serde_json::Value;

use super::client::{Auth, Client};
use super::ApiError;
use crate::finding::Role;
use crate::scan::ScanResult;
use crate::secret::Secret;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Shape {
    /// 37-45 lowercase hex, or `cfk_...`.
    GlobalKey,
    /// `cfut_...`.
    UserToken,
    /// `cfat_...`.
    AccountToken,
    /// Anything else (a legacy 40-character token, most likely).
    Other,
}

pub fn shape(value: &str) -> Shape {
    if value.starts_with("cfk_")
        || ((37..=45).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
    {
        Shape::GlobalKey
    } else if value.starts_with("cfut_") {
        Shape::UserToken
    } else if value.starts_with("cfat_") {
        Shape::AccountToken
    } else {
        Shape::Other
    }
}

/// A credential value this process can see, and where it was found.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// `path:line` of every site using this value.
    pub sites: Vec<String>,
    pub credential: Option<String>,
    /// The environment variable it was read from; `None` for a hard-coded literal.
    pub env: Option<String>,
    pub value: Secret,
    pub shape: Shape,
    /// The account email for a global key, and the variable it came from.
    pub email: Option<(String, String)>,
}

impl Candidate {
    pub fn source(&self) -> String {
        match &self.env {
            Some(name) => format!("${name}"),
            None => "literal".to_string(),
        }
    }

    /// The request [`check`] will send, for the consent prompt; `None` when it sends nothing.
    pub fn request(&self, account_id: Option<&str>) -> Option<String> {
        match (self.shape, account_id) {
            (Shape::GlobalKey, _) => {
                self.email.as_ref().map(|(_, var)| format!("GET /user (X-Auth-Key, X-Auth-Email from ${var})"))
            }
            (Shape::AccountToken, Some(id)) => Some(format!("GET /accounts/{id}/tokens/verify (Bearer)")),
            (Shape::AccountToken, None) => None,
            (Shape::UserToken | Shape::Other, _) => Some("GET /user/tokens/verify (Bearer)".to_string()),
        }
    }
}

/// `someone@example.com`: one `@`, a dot after it, nothing that is not printable.
fn is_email(v: &str) -> bool {
    v.len() <= 254
        && v.bytes().all(|b| b.is_ascii_graphic())
        && v.split_once('@').is_some_and(|(user, host)| !user.is_empty() && host.contains('.') && !host.contains('@'))
}

fn env_value(name: &str) -> Option<String> {
    let plausible = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    plausible.then(|| std::env::var(name).ok()).flatten().map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// The key findings whose value is available, one candidate per distinct value.
///
/// The scanned code names the variables, and it may be a stranger's: a variable's value is
/// sent only when the user named the variable (`allowed`, `--env`) or the value itself is
/// shaped like a Cloudflare key or prefixed token. So `X-Auth-Key: os.environ["AWS_SECRET_ACCESS_KEY"]`
/// sends nothing. An email variable the code names is used only when it holds an email.
pub fn candidates(result: &ScanResult, email_env: Option<&str>, allowed: &[String]) -> Vec<Candidate> {
    let named = |name: &str| allowed.iter().any(|a| a == name);
    let mut out: Vec<Candidate> = Vec::new();
    for f in result.findings.iter().filter(|f| f.role == Role::Key) {
        let (value, env) = match (&f.secret, &f.credential) {
            (Some(s), _) => (s.clone(), None),
            (None, Some(name)) => match env_value(name) {
                Some(v) if named(name) || shape(&v) != Shape::Other => (Secret::new(v), Some(name.clone())),
                _ => continue,
            },
            (None, None) => continue,
        };
        let site = format!("{}:{}", f.path, f.line);
        if let Some(c) = out.iter_mut().find(|c| c.value == value) {
            if !c.sites.contains(&site) {
                c.sites.push(site);
            }
            continue;
        }
        // The email: an email variable used in the same file, else --email-env.
        let email = result
            .findings
            .iter()
            .filter(|e| e.role == Role::Email && e.path == f.path)
            .filter_map(|e| e.credential.as_deref())
            .filter_map(|var| env_value(var).filter(|v| named(var) || is_email(v)).map(|v| (v, var.to_string())))
            .chain(email_env.and_then(|var| env_value(var).map(|v| (v, var.to_string()))))
            .next();
        out.push(Candidate {
            sites: vec![site],
            credential: f.credential.clone(),
            env,
            shape: shape(value.expose()),
            value,
            email,
        });
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// A working legacy Global API Key: migrate, then roll it.
    LiveGlobalKey,
    /// A working API token.
    Token,
    /// Refused by the API: revoked, rolled, mistyped, or never a credential.
    Invalid,
    /// Not sent: something needed for the check is missing (see the detail).
    Unchecked,
    /// The API answered with something else (see the detail).
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::LiveGlobalKey => "live global key",
            Status::Token => "token",
            Status::Invalid => "invalid",
            Status::Unchecked => "unchecked",
            Status::Error => "error",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub sites: Vec<String>,
    pub credential: Option<String>,
    /// `literal` or `$NAME`.
    pub source: String,
    /// The redacted value.
    pub value: Secret,
    pub shape: Shape,
    pub status: Status,
    /// The request sent, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    pub detail: String,
}

/// Sends the one request that tells what `c` is. Only a failure to reach the API is an `Err`.
pub fn check(client: &Client, c: &Candidate, account_id: Option<&str>) -> Result<Verdict, ApiError> {
    let mut v = Verdict {
        sites: c.sites.clone(),
        credential: c.credential.clone(),
        source: c.source(),
        value: c.value.clone(),
        shape: c.shape,
        status: Status::Unchecked,
        request: None,
        detail: String::new(),
    };
    let (path, auth) = match (c.shape, account_id, &c.email) {
        (Shape::GlobalKey, _, Some((email, _))) => ("/user".to_string(), Auth::Key { email, key: &c.value }),
        (Shape::GlobalKey, _, None) => {
            v.detail =
                "a global key is checked with its account email: name the variable that holds it with --email-env"
                    .into();
            return Ok(v);
        }
        (Shape::AccountToken, Some(id), _) => (format!("/accounts/{id}/tokens/verify"), Auth::Bearer(&c.value)),
        (Shape::AccountToken, None, _) => {
            v.detail = "an account token (cfat_) is verified per account: pass --account-id".into();
            return Ok(v);
        }
        (Shape::UserToken | Shape::Other, _, _) => ("/user/tokens/verify".to_string(), Auth::Bearer(&c.value)),
    };
    v.request = Some(format!("GET {path}"));
    let reply = client.send(Method::GET, &path, &auth, None)?;
    v.detail = format!("HTTP {}", reply.status);
    v.status = match reply.status {
        _ if reply.ok() && matches!(auth, Auth::Key { .. }) => Status::LiveGlobalKey,
        _ if reply.ok() => {
            let state = reply.body.pointer("/result/status").and_then(Value::as_str).unwrap_or("unknown");
            v.detail = format!("HTTP {}, token status {state}", reply.status);
            Status::Token
        }
        // Cloudflare answers a malformed key with 400 (6003 "Invalid request headers").
        400 | 401 | 403 => {
            v.detail = format!("HTTP {}: {}", reply.status, reply.detail());
            Status::Invalid
        }
        _ => {
            v.detail = format!("HTTP {}: {}", reply.status, reply.detail());
            Status::Error
        }
    };
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(shape("0d6e2c61a3b1f0e0f9c4d7a8b2e5c3a1f0d9e"), Shape::GlobalKey);
        assert_eq!(shape(&format!("cfk_{}", "a".repeat(48))), Shape::GlobalKey);
        assert_eq!(shape(&format!("cfut_{}", "a".repeat(48))), Shape::UserToken);
        assert_eq!(shape(&format!("cfat_{}", "a".repeat(48))), Shape::AccountToken);
        assert_eq!(shape("AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-Ab"), Shape::Other);
        assert_eq!(shape("0d6e2c61a3b1f0e0f9c4d7a8b2e5c3a1"), Shape::Other, "32 hex is an id, not a key");
    }
}
