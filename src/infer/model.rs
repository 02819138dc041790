//! The plan contract: what `plan --format json` writes and what later stages (policy, fix,
//! report, mint) read, one type each, serialised and read back by the same type.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::finding::Kind;
use crate::project::{Consumer, CredentialId};
use crate::rules::model::Scope;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Plan {
    pub credentials: Vec<CredentialPlan>,
    /// Secrets read by more than one consumer: each consumer gets its own token.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shared: Vec<SharedSecret>,
}

/// "one secret, 3 consumers -> 3 tokens".
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SharedSecret {
    pub secret: String,
    pub consumers: Vec<Consumer>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Site {
    pub path: String,
    pub line: usize,
    pub kind: Kind,
    pub rule: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EndpointUse {
    pub method: String,
    /// The catalog template, e.g. `/zones/{zone_id}/dns_records`.
    pub path: String,
    pub operation: String,
    pub accepted: Vec<String>,
    pub token_supported: bool,
    /// `path:line` of each call.
    pub sites: Vec<String>,
}

/// What a grant may touch. Serialised as the bare id or name (the grant's scope says which
/// kind an id is); an empty list on a grant means every resource of its scope.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Resource {
    ZoneId(String),
    ZoneName(String),
    AccountId(String),
}

impl Resource {
    pub fn as_str(&self) -> &str {
        match self {
            Resource::ZoneId(s) | Resource::ZoneName(s) | Resource::AccountId(s) => s,
        }
    }

    pub fn is_id(&self) -> bool {
        !matches!(self, Resource::ZoneName(_))
    }

    /// Reads a serialised resource back: within a zone grant a 32-hex value is a zone id and
    /// anything else a zone name; within an account grant it is an account id.
    pub fn parse(scope: Scope, value: &str) -> Resource {
        let hex = value.len() == 32 && value.bytes().all(|b| b.is_ascii_hexdigit());
        match scope {
            Scope::Account => Resource::AccountId(value.to_string()),
            _ if hex => Resource::ZoneId(value.to_string()),
            _ => Resource::ZoneName(value.to_string()),
        }
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Resource {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(from = "GrantShape")]
pub struct Grant {
    /// The permission group's name, as Cloudflare spells it.
    pub name: String,
    pub scope: Scope,
    /// Zone or account ids, or zone names, written in this consumer's code; empty means all.
    pub resources: Vec<Resource>,
    /// Why: `GET /zones/{zone_id}/dns_records (app.py:12)` or `tool certbot`.
    pub because: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// The serialised shape of a grant, before its resources are typed by its scope.
#[derive(Deserialize)]
struct GrantShape {
    name: String,
    scope: Scope,
    #[serde(default)]
    resources: Vec<String>,
    #[serde(default)]
    because: Vec<String>,
    #[serde(default)]
    id: Option<String>,
}

impl From<GrantShape> for Grant {
    fn from(g: GrantShape) -> Grant {
        let resources = g.resources.iter().map(|r| Resource::parse(g.scope, r)).collect();
        Grant { name: g.name, scope: g.scope, resources, because: g.because, id: g.id }
    }
}

/// Why a call, URL, method or SDK member could not be turned into a permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnresolvedKind {
    /// The URL is built at run time.
    DynamicUrl,
    /// The HTTP method could not be told from the code.
    UnknownMethod,
    /// No catalog operation matches the method and path.
    UnknownEndpoint,
    /// A call on a known SDK client that no SDK map knows.
    UnknownSdkMember,
    /// The endpoint does not accept API tokens.
    NoTokenSupport,
    /// The endpoint accepts tokens but the catalog knows none of its permission groups.
    NoKnownGroup,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Unresolved {
    pub path: String,
    pub line: usize,
    pub method: String,
    pub call: String,
    pub kind: UnresolvedKind,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CredentialPlan {
    /// Unique within the plan: the secret, with its consumer when the secret has several.
    pub name: String,
    pub id: CredentialId,
    /// zone | account | user | mixed | none
    pub scope: String,
    /// False while any call of this consumer is unresolved: the token may lack a permission.
    pub complete: bool,
    pub hardcoded: bool,
    pub sites: Vec<Site>,
    /// Files reached through the project graph whose calls count for this credential, with
    /// the link that reached them (`python import of config.py`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub linked: Vec<LinkedFile>,
    pub endpoints: Vec<EndpointUse>,
    pub permissions: Vec<Grant>,
    pub unresolved: Vec<Unresolved>,
    pub warnings: Vec<String>,
    /// Set when the app collects its users' keys: not one token (see `collected.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collected: Option<super::collected::Collected>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LinkedFile {
    pub path: String,
    pub via: String,
}

/// Deserialises a resource list by itself (without a scope, ids are read as zone ids).
impl<'de> Deserialize<'de> for Resource {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Resource, D::Error> {
        let s = String::deserialize(d)?;
        Ok(Resource::parse(Scope::Zone, &s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_read_back_what_they_wrote() {
        let g = Grant {
            name: "DNS Write".into(),
            scope: Scope::Zone,
            resources: vec![
                Resource::ZoneId("0a954619947d307084f9dff69e7e9f83".into()),
                Resource::ZoneName("example.com".into()),
            ],
            because: vec!["x".into()],
            id: None,
        };
        let text = serde_json::to_string(&g).unwrap();
        assert!(text.contains(r#""resources":["0a954619947d307084f9dff69e7e9f83","example.com"]"#), "{text}");
        let back: Grant = serde_json::from_str(&text).unwrap();
        assert_eq!(back.resources, g.resources);
        let acct: Grant = serde_json::from_str(
            r#"{"name":"Workers Scripts Write","scope":"account","resources":["264903676bc9cf84abc2343212e136ca"]}"#,
        )
        .unwrap();
        assert!(matches!(acct.resources[0], Resource::AccountId(_)));
    }
}
