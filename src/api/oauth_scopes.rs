//! `catalog sync --oauth-scopes`: the OAuth scopes a client may request, fetched like the
//! permission groups so that `plan --emit oauth` maps groups to scope ids from Cloudflare's own
//! list instead of deriving ids from names (targets.md: ids are not names).
//!
//! `GET /oauth/scopes` "requires authentication but has no authorization role requirements"
//! (API reference, IAM > OAuth Scopes > List): any valid token lists them.

use super::client::{Auth, Client};
use super::ApiError;
use crate::policy::oauth::SyncedScope;
use crate::secret::Secret;

const PATH: &str = "/oauth/scopes";
const NEEDS: &str = "a valid API token (listing OAuth scopes needs no permission)";

/// Every scope, every page, in id order.
pub fn fetch(client: &Client, token: &Secret) -> Result<Vec<SyncedScope>, ApiError> {
    let mut scopes: Vec<SyncedScope> = client.all(PATH, &Auth::Bearer(token), NEEDS)?;
    scopes.sort_by(|a, b| (&a.id, &a.name).cmp(&(&b.id, &b.name)));
    scopes.dedup();
    Ok(scopes)
}
