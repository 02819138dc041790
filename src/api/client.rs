//! The HTTP client of the online commands: Cloudflare's v4 API over reqwest (rustls).
//!
//! Takes an API base URL and per-request credentials ([`Auth`]); returns the `result` of the
//! v4 envelope `{success, errors, messages, result, result_info}`, every page of a listing, or
//! the raw status for callers that judge it themselves (`verify`). It refuses plain HTTP except
//! to the loopback (tests), bounds every request with connect and total timeouts, retries 429
//! and 5xx with exponential backoff honouring `Retry-After`, and turns 401/403 into an error
//! that names the permission the caller said the request needs. The log callback sees only
//! method, URL and status, scrubbed; headers and bodies are never logged.

use std::time::Duration;

use reqwest::blocking::RequestBuilder;
use reqwest::header::{HeaderValue, AUTHORIZATION, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use super::ApiError;
use crate::report::redact::scrub;
use crate::secret::Secret;

/// Cloudflare's v4 API.
pub const DEFAULT_BASE: &str = "https://api.cloudflare.com/client/v4";

/// Items asked for per page when listing (the API's documented maximum for most listings is 50).
const PER_PAGE: usize = 50;
/// A listing longer than this many pages is treated as a misbehaving server.
const MAX_PAGES: usize = 1000;
/// Largest response body read; a bigger one is a misbehaving (or hostile) server, not data.
const MAX_BODY: u64 = 32 << 20;

#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub base: String,
    /// Whole request, connection to last body byte.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// Tries per request, the first included.
    pub max_attempts: u32,
    /// First wait before retrying a 5xx without `Retry-After`; doubled each time.
    pub backoff: Duration,
    /// No single wait is longer than this, whatever `Retry-After` says.
    pub max_wait: Duration,
    /// The variable the bootstrap token came from, for error messages.
    pub token_env: String,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            base: DEFAULT_BASE.to_string(),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            max_attempts: 4,
            backoff: Duration::from_millis(500),
            max_wait: Duration::from_secs(60),
            token_env: "CLOUDFLARE_API_TOKEN".to_string(),
        }
    }
}

/// How a request authenticates.
pub enum Auth<'a> {
    /// `Authorization: Bearer <token>`: API tokens.
    Bearer(&'a Secret),
    /// `X-Auth-Email` + `X-Auth-Key`: the legacy Global API Key (only `verify` sends one).
    Key { email: &'a str, key: &'a Secret },
}

/// A response whose status the caller judges itself.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status) && self.body.get("success").and_then(Value::as_bool).unwrap_or(true)
    }

    /// `code: message` of each envelope error, scrubbed; the raw body when it is not JSON.
    pub fn detail(&self) -> String {
        let errors: Vec<String> = self
            .body
            .get("errors")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|e| {
                        let code = e.get("code").map(|c| c.to_string()).unwrap_or_default();
                        let msg = e.get("message").and_then(Value::as_str).unwrap_or("");
                        format!("{code}: {msg}")
                    })
                    .collect()
            })
            .unwrap_or_default();
        let text = if !errors.is_empty() {
            errors.join("; ")
        } else if let Some(s) = self.body.as_str() {
            s.chars().take(200).collect()
        } else {
            format!("HTTP {}", self.status)
        };
        scrub(&text)
    }
}

#[derive(Debug, Deserialize)]
struct ResultInfo {
    #[serde(default)]
    total_pages: Option<usize>,
}

pub struct Client {
    http: reqwest::blocking::Client,
    base: Url,
    opts: ClientOptions,
    log: Box<dyn Fn(&str)>,
    /// What the user must hear whether verbose or not (a listing cut short).
    warn: Box<dyn Fn(&str)>,
    sleep: Box<dyn Fn(Duration)>,
}

impl Client {
    /// Checks the base URL (TLS unless loopback) and builds the connection pool. `log` gets
    /// one scrubbed line per request and per retry.
    pub fn new(opts: ClientOptions, log: Box<dyn Fn(&str)>) -> Result<Client, ApiError> {
        let base = check_base(&opts.base)?;
        let http = reqwest::blocking::Client::builder()
            .timeout(opts.timeout)
            .connect_timeout(opts.connect_timeout)
            .https_only(base.scheme() == "https")
            // No redirects: reqwest strips only `Authorization` when one leaves the origin, so a
            // base answering 307 to another host would receive `X-Auth-Key` there. A redirect
            // is reported as an error naming where it pointed.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("scopesmith/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|source| ApiError::Transport { what: "building the HTTP client".into(), source })?;
        Ok(Client { http, base, opts, log, warn: Box::new(|_: &str| {}), sleep: Box::new(std::thread::sleep) })
    }

    /// Where warnings go (the command layer prints them).
    pub fn with_warn(mut self, warn: Box<dyn Fn(&str)>) -> Client {
        self.warn = warn;
        self
    }

    /// Replaces `std::thread::sleep` between retries (unit tests).
    pub fn with_sleep(mut self, sleep: Box<dyn Fn(Duration)>) -> Client {
        self.sleep = sleep;
        self
    }

    pub fn base(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    /// The full URL of an API path such as `/user/tokens/verify`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base(), path)
    }

    /// One request, retried on 429 (any method) and 5xx or a failed connection (GET and
    /// DELETE only: a POST that reached the server must not be sent twice). Any final status
    /// is returned.
    pub fn send(&self, method: Method, path: &str, auth: &Auth, body: Option<&Value>) -> Result<Reply, ApiError> {
        let url = self.url(path);
        let what = format!("{method} {}", scrub(path));
        let idempotent = method == Method::GET || method == Method::DELETE;
        let mut attempt = 1;
        loop {
            let req = self.request(method.clone(), &url, auth, body)?;
            let outcome = req.send();
            let wait = match &outcome {
                Err(e) => {
                    (self.log)(&scrub(&format!("{method} {url} -> error: {}", kind_of(e))));
                    (idempotent && (e.is_connect() || e.is_timeout())).then(|| self.backoff(attempt))
                }
                Ok(resp) => {
                    let status = resp.status();
                    (self.log)(&scrub(&format!("{method} {url} -> {}", status.as_u16())));
                    let retry = status == StatusCode::TOO_MANY_REQUESTS || (idempotent && status.is_server_error());
                    retry.then(|| match retry_after(resp) {
                        Some(w) => {
                            (self.log)(&format!("Retry-After: {} s", w.as_secs()));
                            w.min(self.opts.max_wait)
                        }
                        None => self.backoff(attempt),
                    })
                }
            };
            match wait {
                Some(w) if attempt < self.opts.max_attempts => {
                    let n = self.opts.max_attempts;
                    (self.log)(&format!("retrying in {} ms (attempt {} of {n})", w.as_millis(), attempt + 1));
                    (self.sleep)(w);
                    attempt += 1;
                }
                _ => {
                    let resp = outcome.map_err(|source| ApiError::Transport { what: what.clone(), source })?;
                    let status = resp.status().as_u16();
                    if resp.status().is_redirection() {
                        let to = resp.headers().get(reqwest::header::LOCATION).and_then(|v| v.to_str().ok());
                        return Err(ApiError::Refused {
                            message: scrub(&format!(
                                "{what}: the API answered {status} redirecting to {}; scopesmith does not follow redirects",
                                to.unwrap_or("(no Location)")
                            )),
                            help: "pass the final API base with --api-base (credentials are sent only to the base you name)"
                                .into(),
                        });
                    }
                    let text = read_body(resp, &what)?;
                    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
                    return Ok(Reply { status, body });
                }
            }
        }
    }

    /// [`send`](Self::send), then the envelope checked: 401/403 name `needs`, other failures
    /// carry the API's error messages. Returns the whole envelope.
    pub fn call(
        &self,
        method: Method,
        path: &str,
        auth: &Auth,
        body: Option<&Value>,
        needs: &str,
    ) -> Result<Value, ApiError> {
        let what = format!("{method} {}", scrub(path));
        let reply = self.send(method, path, auth, body)?;
        if reply.status == 401 || reply.status == 403 {
            return Err(ApiError::Denied {
                what,
                status: reply.status,
                needs: needs.to_string(),
                env: self.opts.token_env.clone(),
                detail: reply.detail(),
            });
        }
        if !reply.ok() {
            return Err(ApiError::Status { what, status: reply.status, detail: reply.detail() });
        }
        if !reply.body.is_object() {
            return Err(ApiError::Decode { what, reason: "the body is not a JSON object".into() });
        }
        Ok(reply.body)
    }

    /// The envelope's `result`, decoded.
    pub fn result<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        auth: &Auth,
        body: Option<&Value>,
        needs: &str,
    ) -> Result<T, ApiError> {
        let envelope = self.call(method.clone(), path, auth, body, needs)?;
        decode(&format!("{method} {}", scrub(path)), envelope.get("result").cloned().unwrap_or(Value::Null))
    }

    /// Every item of a paginated listing, following `result_info.total_pages`.
    pub fn all<T: DeserializeOwned>(&self, path: &str, auth: &Auth, needs: &str) -> Result<Vec<T>, ApiError> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut items = Vec::new();
        let mut page = 1;
        loop {
            let paged = format!("{path}{sep}page={page}&per_page={PER_PAGE}");
            let envelope = self.call(Method::GET, &paged, auth, None, needs)?;
            let what = format!("GET {}", scrub(&paged));
            let batch: Vec<T> = decode(&what, envelope.get("result").cloned().unwrap_or(Value::Null))?;
            let info: Option<ResultInfo> =
                envelope.get("result_info").cloned().and_then(|v| serde_json::from_value(v).ok());
            let total = info.and_then(|i| i.total_pages).unwrap_or(1);
            let empty = batch.is_empty();
            items.extend(batch);
            if page >= total || empty {
                return Ok(items);
            }
            if page >= MAX_PAGES {
                (self.warn)(&scrub(&format!(
                    "GET {path}: the listing says it has {total} pages; stopped after {MAX_PAGES}, so the result is incomplete"
                )));
                return Ok(items);
            }
            page += 1;
        }
    }

    fn request(
        &self,
        method: Method,
        url: &str,
        auth: &Auth,
        body: Option<&Value>,
    ) -> Result<RequestBuilder, ApiError> {
        let mut req = self.http.request(method, url);
        match auth {
            Auth::Bearer(token) => {
                req = req.header(AUTHORIZATION, sensitive(&format!("Bearer {}", token.expose()))?);
            }
            Auth::Key { email, key } => {
                req = req.header("X-Auth-Email", sensitive(email)?).header("X-Auth-Key", sensitive(key.expose())?);
            }
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        Ok(req)
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.opts.backoff.saturating_mul(factor).min(self.opts.max_wait)
    }
}

/// A header value kept out of reqwest's `Debug` output.
fn sensitive(value: &str) -> Result<HeaderValue, ApiError> {
    let mut v = HeaderValue::from_str(value).map_err(|_| ApiError::Refused {
        message: "a credential or email contains characters that cannot be sent in an HTTP header".into(),
        help: "check the environment variable for stray newlines or quotes".into(),
    })?;
    v.set_sensitive(true);
    Ok(v)
}

/// `Retry-After` in seconds (the form Cloudflare sends); an HTTP date is left to the backoff.
/// The body as text, refusing one larger than [`MAX_BODY`] without holding more than that.
fn read_body(resp: reqwest::blocking::Response, what: &str) -> Result<String, ApiError> {
    use std::io::Read;
    let mut bytes = Vec::new();
    resp.take(MAX_BODY + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ApiError::Decode { what: what.to_string(), reason: format!("reading the body failed: {e}") })?;
    if bytes.len() as u64 > MAX_BODY {
        return Err(ApiError::Decode {
            what: what.to_string(),
            reason: format!("the body is larger than {} MiB; not a Cloudflare API answer", MAX_BODY >> 20),
        });
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn retry_after(resp: &reqwest::blocking::Response) -> Option<Duration> {
    let v = resp.headers().get(RETRY_AFTER)?.to_str().ok()?;
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}

fn kind_of(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "transport"
    }
}

fn decode<T: DeserializeOwned>(what: &str, v: Value) -> Result<T, ApiError> {
    serde_json::from_value(v).map_err(|e| ApiError::Decode { what: what.to_string(), reason: e.to_string() })
}

/// TLS only; plain HTTP to the loopback is allowed so tests can serve a fake API.
pub fn check_base(raw: &str) -> Result<Url, ApiError> {
    let bad = |reason: &str| ApiError::Base { url: raw.to_string(), reason: reason.to_string() };
    let url = Url::parse(raw).map_err(|e| bad(&e.to_string()))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("credentials do not belong in the URL"));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" => match url.host_str() {
            Some("127.0.0.1" | "localhost" | "[::1]") => Ok(url),
            _ => Err(bad("plain http is refused: credentials would travel unencrypted")),
        },
        other => Err(bad(&format!("unsupported scheme `{other}`"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tls_or_loopback() {
        assert!(check_base("https://api.cloudflare.com/client/v4").is_ok());
        assert!(check_base("http://127.0.0.1:8080/client/v4").is_ok());
        assert!(check_base("http://localhost:1/").is_ok());
        assert!(check_base("http://[::1]:1/").is_ok());
        assert!(check_base("http://api.cloudflare.com/client/v4").is_err());
        assert!(check_base("http://127.0.0.2/").is_err());
        assert!(check_base("ftp://127.0.0.1/").is_err());
        assert!(check_base("https://user:pw@api.cloudflare.com/").is_err());
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let opts = ClientOptions {
            backoff: Duration::from_millis(100),
            max_wait: Duration::from_millis(350),
            ..ClientOptions::default()
        };
        let c = Client::new(opts, Box::new(|_| {})).expect("client");
        let waits: Vec<u128> = (1..=4).map(|a| c.backoff(a).as_millis()).collect();
        assert_eq!(waits, [100, 200, 350, 350]);
    }

    #[test]
    fn detail_is_scrubbed() {
        let key = "0d6e2c61a3b1f0e0f9c4d7a8b2e5c3a1f0d9e";
        let r = Reply {
            status: 400,
            body: serde_json::json!({"success": false, "errors": [{"code": 6003, "message": format!("bad key {key}")}]}),
        };
        assert!(!r.detail().contains(key));
        assert!(r.detail().starts_with("6003: bad key 0d6e"));
    }
}
