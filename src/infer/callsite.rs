//! Finds the Cloudflare API calls a file makes: URL and path literals with the HTTP method
//! from the code around them, SDK method calls from the `rules/sdk/` maps, and the zone and
//! account ids or zone names written as literals.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use super::endpoint::{self, NormalPath};
use crate::rules::knowledge::SdkMap;
use crate::scan::lines::Lines;

#[derive(Debug, Clone, Serialize)]
pub struct CallSite {
    pub path: String,
    /// 1-based.
    pub line: usize,
    pub method: String,
    #[serde(skip)]
    pub normal: NormalPath,
    /// How the call was recognised: `http` or `sdk:<name>.<method>`.
    pub via: String,
}

/// Literal resource names in a file.
#[derive(Debug, Default, Clone)]
pub struct Literals {
    pub zone_ids: BTreeSet<String>,
    pub zone_names: BTreeSet<String>,
    pub account_ids: BTreeSet<String>,
}

static API_PATH: LazyLock<Regex> = LazyLock::new(|| {
    crate::pattern::new(r"/(?:zones|accounts|user|certificates|memberships|graphql|organizations|ips)\b")
        .expect("api path pattern")
});

struct MethodHint {
    re: Regex,
    /// Lower is stronger when two hints are equally near.
    rank: u8,
}

static METHOD_HINTS: LazyLock<Vec<MethodHint>> = LazyLock::new(|| {
    let m = "GET|POST|PUT|PATCH|DELETE";
    let hint = |p: String, rank| MethodHint { re: crate::pattern::new(&p).expect("method hint"), rank };
    vec![
        hint(format!(r#"(?:\s-X\s*|--request[ =]|--method[ =]|-Method\s+)["']?({m})\b"#), 0),
        hint(format!(r#"(?i)\bmethod\b["']?\s*[:=]>?\s*["']({m})["']"#), 0),
        // Ruby symbols: `:method => :post`, `method: :delete`.
        hint(r#"(?i)\bmethod\b["']?\s*(?:=>|:)\s*:(get|post|put|patch|delete)\b"#.into(), 0),
        hint(format!(r#"NewRequest(?:WithContext)?\(\s*(?:ctx,\s*)?"({m})""#), 0),
        hint(r"NewRequest(?:WithContext)?\(\s*(?:ctx,\s*)?http\.Method(Get|Post|Put|Patch|Delete)\b".into(), 0),
        // A method constant handed to a wrapper: Go `c.do(http.MethodPut, url)`, Java/.NET `HttpMethod.POST`.
        hint(r"\b(?:http\.Method|HttpMethod\.)(Get|Post|Put|Patch|Delete|GET|POST|PUT|PATCH|DELETE)\b".into(), 0),
        hint(format!(r#"CURLOPT_CUSTOMREQUEST["']?\s*(?:,|=>)\s*["']({m})["']"#), 0),
        hint(r"Net::HTTP::(Get|Post|Put|Patch|Delete)\b".into(), 0),
        hint(format!(r#"(?i)request\w*\(\s*["']({m})["']"#), 0),
        // httpie, flags before the method: `http --check-status --body GET url`.
        hint(format!(r"\bhttps?\s+(?:-{{1,2}}[\w-]+\s+)*({m})\s"), 0),
        // A wrapper named after its verb, called on the URL: `Get($"/zones/…")`, `cf_post("…")`.
        hint(r#"(?i)(?:\b|_)(get|post|put|patch|delete)(?:json|request)?\s*\(\s*[$@fFrR]?["'`]"#.into(), 1),
        hint(r"(?i)\b(?:requests|httpx|session|sess|client|axios|got|http|faraday|httparty|aiohttp|conn|s|api|self\.session|\$client|\$http)\s*(?:\.|->|::)(get|post|put|patch|delete)\b".into(), 1),
        hint(r"(?i)\.(get|post|put|patch|delete)(?:_async)?\s*[(!]".into(), 2),
        // A verb without parentheses: `RestClient.delete "url"`, `HTTParty.post url,`.
        hint(r#"(?i)\b[A-Za-z_]\w*(?:\.|::)(get|post|put|patch|delete)\s+["'$@A-Za-z_]"#.into(), 2),
        hint(r"\bCURLOPT_POST\b()".into(), 2),
        hint(r"(?:\s--data(?:-raw|-binary|-urlencode)?\b|\s-d\s|\s--json\b|--post-data|\s-F\s)()".into(), 3),
    ]
});

/// `NAME = "https://…"`: a URL held in a name (not a call whose result is assigned).
static ASSIGNED: LazyLock<Regex> = LazyLock::new(|| {
    crate::pattern::new(r#"^\s*(?:export\s+|const\s+|let\s+|var\s+|final\s+|val\s+|private\s+|static\s+|readonly\s+)*\$?([A-Za-z_][A-Za-z0-9_]*)\s*(?::\s*\w+\s*)?(?::=|=)\s*[fFrRbB]?["'`]"#)
        .expect("assignment pattern")
});

/// The method for a call on `line`. A URL assigned to a name takes the method from where the
/// name is used; otherwise the nearest hint within a few lines (a curl command spans
/// several) decides, and GET when nothing says otherwise.
fn method_for(text: &str, lines: &Lines, line: usize) -> String {
    if let Some(c) = ASSIGNED.captures(lines.text(text, line)) {
        // The variable's other mentions, as whole words (a substring search: a regex built
        // per call site cost more than the rest of the plan on files with hundreds of URLs).
        let name = &c[1];
        let word = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_');
        let bytes = text.as_bytes();
        let mentions = text
            .match_indices(name)
            .map(|(at, _)| at)
            .filter(|&at| !word(at.checked_sub(1).and_then(|p| bytes.get(p))) && !word(bytes.get(at + name.len())));
        for start in mentions {
            let l = lines.line_of(start);
            if l != line {
                if let Some(method) = method_near(text, lines, l, 2) {
                    return method;
                }
            }
        }
    }
    // No method said: GET only where the client's default is GET (curl, fetch, urlopen, ...);
    // otherwise unknown, which the plan lists as unresolved rather than guess a read.
    method_near(text, lines, line, 6).or_else(|| get_by_default(text, lines, line)).unwrap_or_default()
}

/// Clients that send GET when the code names no method.
static GET_DEFAULT: LazyLock<Regex> = LazyLock::new(|| {
    crate::pattern::new(r"(?i)\bcurl\b|\bwget\b|\bfetch\s*\(|\burlopen\s*\(|\bInvoke-(?:RestMethod|WebRequest)\b|\bhttp\.Get\s*\(|\bfile_get_contents\s*\(|\bURI\.open\b|\baxios\s*\(|\bgot\s*\(|\bcurl_init\s*\(|\breqwest::get\b|\bhttpGet\b|HttpRequest\.newBuilder|\bGetAsync\s*\(|\bUrlFetchApp\.fetch")
        .expect("GET default pattern")
});

fn get_by_default(text: &str, lines: &Lines, line: usize) -> Option<String> {
    let from = line.saturating_sub(3);
    let to = (line + 3).min(lines.count().saturating_sub(1));
    (from..=to).any(|l| GET_DEFAULT.is_match(lines.text(text, l))).then(|| "GET".to_string())
}

fn method_near(text: &str, lines: &Lines, line: usize, after: usize) -> Option<String> {
    let from = line.saturating_sub(3);
    // A call that opens and closes on the URL's line (`fetch(url, { headers })`) ends there:
    // a method a few lines down belongs to the next call.
    let own = lines.text(text, line);
    let closed = own.contains('(')
        && own.matches('(').count() == own.matches(')').count()
        && !own.trim_end().ends_with(['\\', '{', ','])
        // ... and the call is the request itself, not a URL being built (`format!(…)`).
        && (GET_DEFAULT.is_match(own) || METHOD_HINTS.iter().any(|h| h.re.is_match(own)))
        // A curl handle gets its method after it is made (`curl_setopt`).
        && !own.contains("curl_init");
    let after = if closed { 0 } else { after };
    let to = (line + after).min(lines.count().saturating_sub(1));
    let mut best: Option<(usize, u8, String)> = None;
    for l in from..=to {
        let t = lines.text(text, l);
        for h in METHOD_HINTS.iter() {
            if let Some(c) = h.re.captures(t) {
                let method = match c.get(1).map(|m| m.as_str()).unwrap_or("") {
                    "" => "POST".to_string(),
                    m => m.to_ascii_uppercase(),
                };
                // Hints after the URL line count a little more: `-X` usually precedes it,
                // a method argument usually follows it in the call.
                let distance = line.abs_diff(l) * 2 + usize::from(l < line);
                let key = (distance, h.rank, method);
                if best.as_ref().is_none_or(|b| (key.0, key.1) < (b.0, b.1)) {
                    best = Some(key);
                }
            }
        }
    }
    // An explicit method (`-X PUT`) wins over a body that only implies POST (`-F`, `--data`),
    // wherever in the command each is written.
    if best.as_ref().is_some_and(|b| b.1 == 3) {
        if let Some(explicit) = explicit_near(text, lines, from, to, line) {
            return Some(explicit);
        }
    }
    best.map(|b| b.2)
}

fn explicit_near(text: &str, lines: &Lines, from: usize, to: usize, line: usize) -> Option<String> {
    let mut best: Option<(usize, String)> = None;
    for l in from..=to {
        for h in METHOD_HINTS.iter().filter(|h| h.rank == 0) {
            if let Some(m) = h.re.captures(lines.text(text, l)).and_then(|c| c.get(1)).filter(|m| !m.is_empty()) {
                let d = line.abs_diff(l);
                if best.as_ref().is_none_or(|b| d < b.0) {
                    best = Some((d, m.as_str().to_ascii_uppercase()));
                }
            }
        }
    }
    best.map(|b| b.1)
}

/// Raw path text from `start` to the end of its string, following `" + x + "` joins.
fn raw_path(line: &str, start: usize) -> String {
    let bytes = line.as_bytes();
    let mut out = String::new();
    let mut i = start;
    let mut depth = 0usize;
    while i < bytes.len() {
        let c = bytes[i] as char;
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            '"' | '\'' | '`' if depth == 0 => {
                // A join: close quote, `+`/`.`, an expression, then more string or the end.
                let rest = &line[i + 1..];
                let trimmed = rest.trim_start();
                // `.` joins only in PHP style (`' . $x`, `'.$x`), not a method call (`".toUrl()`).
                let php_join = (rest.starts_with(char::is_whitespace) || trimmed.starts_with(".$"))
                    .then(|| trimmed.strip_prefix('.'))
                    .flatten();
                if let Some(after_op) = trimmed.strip_prefix('+').or(php_join) {
                    let next_quote = after_op.find(['"', '\'', '`']);
                    out.push_str("{}");
                    match next_quote {
                        Some(q) if after_op[..q].trim_end().ends_with(['+', '.']) => {
                            i = line.len() - after_op.len() + q + 1;
                            continue;
                        }
                        _ => break,
                    }
                }
                break;
            }
            c if c.is_whitespace() && depth == 0 => break,
            ')' | ']' | ',' | ';' | '>' | '\\' if depth == 0 => break,
            _ => {}
        }
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// The URL's line joined with the next when its string literal is continued there (adjacent
/// literals in Python and C, `+` or `.` at the end of the line): `"…/zones/" + \n "…/analytics"`
/// must not be read as the shorter `/zones/`.
fn continued(text: &str, lines: &Lines, line: usize, at: usize) -> Option<String> {
    let cur = lines.text(text, line);
    let after = &cur[at..];
    let close = after.find(['"', '\'', '`'])?;
    let tail = after[close + 1..].trim();
    if !tail.chars().all(|c| matches!(c, '+' | '.' | '\\' | ' ')) || line + 1 >= lines.count() {
        return None;
    }
    let next = lines.text(text, line + 1).trim_start();
    let body = next.trim_start_matches(['f', 'F', 'r', 'R', 'b', 'B']);
    let quote = body.chars().next().filter(|c| matches!(c, '"' | '\'' | '`'))?;
    let inner = &body[quote.len_utf8()..];
    Some(format!("{}{}", &cur[..at + close], inner))
}

/// A path relative to a client's base URL (`$http->get('zones/…')`): only as the first
/// argument of an HTTP verb call.
static RELATIVE_PATH: LazyLock<Regex> = LazyLock::new(|| {
    crate::pattern::new(r#"(?i)(?:->|\.)(?:get|post|put|patch|delete)\(\s*["'`]((?:zones|accounts|user|certificates|memberships)\b[^"'`]*)"#)
        .expect("relative path pattern")
});

static BASE_VAR: LazyLock<Regex> = LazyLock::new(|| {
    crate::pattern::new(r"(?:\$\{?[A-Za-z_]\w*\}?|%s|\{[A-Za-z_][\w.]*\})$").expect("base variable pattern")
});

/// An API path follows the v4 base, a quote, or a base-URL variable: `.lego/certificates`
/// and `~/zones/list.txt` are not API calls.
fn starts_api_path(before: &str) -> bool {
    before.ends_with("/client/v4")
        || before.ends_with(['"', '\'', '`', '(', '+', ' ', '='])
        || BASE_VAR.is_match(before)
}

pub fn http_calls(path: &str, text: &str, lines: &Lines) -> Vec<CallSite> {
    let mut out = Vec::new();
    for m in API_PATH.find_iter(text) {
        if !starts_api_path(&text[..m.start()]) {
            continue;
        }
        let line = lines.line_of(m.start());
        let line_start = lines.start(line);
        let joined = continued(text, lines, line, m.start() - line_start);
        let line_text = joined.as_deref().unwrap_or(lines.text(text, line));
        let raw = raw_path(line_text, m.start() - line_start);
        let normal = endpoint::normalise(&raw);
        out.push(CallSite {
            path: path.to_string(),
            line: line + 1,
            method: method_for(text, lines, line),
            normal,
            via: "http".into(),
        });
    }
    for c in RELATIVE_PATH.captures_iter(text) {
        let Some(m) = c.get(1) else { continue };
        let line = lines.line_of(m.start());
        let raw = format!("/{}", raw_path(lines.text(text, line), m.start() - lines.start(line)));
        out.push(CallSite {
            path: path.to_string(),
            line: line + 1,
            method: method_for(text, lines, line),
            normal: endpoint::normalise(&raw),
            via: "http".into(),
        });
    }
    out
}

/// SDK calls from the maps whose language fits the file, one search per needle: the
/// reference that `sdk_match::SdkMatcher` (what `plan` uses) is tested against.
pub fn sdk_calls(path: &str, text: &str, lines: &Lines, sdks: &[&SdkMap]) -> Vec<CallSite> {
    let mut out = Vec::new();
    for sdk in sdks {
        for call in &sdk.calls {
            let needles = super::sdk_match::needles(sdk, &call.method);
            for needle in &needles {
                for (at, _) in text.match_indices(needle.as_str()) {
                    // `api.ListZones(` must not also count as `api.Zones(`-like suffixes.
                    if sdk.language == "rust" && text[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
                        continue;
                    }
                    let line = lines.line_of(at);
                    out.push(CallSite {
                        path: path.to_string(),
                        line: line + 1,
                        method: call.http_method.clone(),
                        normal: endpoint::normalise(&call.path),
                        via: format!("sdk:{}.{}", sdk.sdk, call.method),
                    });
                }
            }
        }
    }
    out
}

static ZONE_ID: LazyLock<Regex> = LazyLock::new(|| {
    crate::pattern::new(r#"(?i)(?:zone[_-]?(?:id|identifier|tag)|/zones/)[^\n]{0,16}?\b([a-f0-9]{32})\b"#)
        .expect("zone id pattern")
});
static ACCOUNT_ID: LazyLock<Regex> = LazyLock::new(|| {
    crate::pattern::new(r#"(?i)(?:account[_-]?(?:id|identifier|tag)|/accounts/)[^\n]{0,16}?\b([a-f0-9]{32})\b"#)
        .expect("account id pattern")
});
static ZONE_NAME: LazyLock<Regex> = LazyLock::new(|| {
    // Only a quoted literal shaped like a domain: `ZONE = os.environ[...]` or
    // `domain = publicsuffix.parse(host)` names no zone.
    // `?name=` names a zone only on a zones lookup; on `dns_records?name=` it is a record.
    crate::pattern::new(r#"(?i)(?:/zones\?(?:[^"'\s]*&)?name=|\b(?:zone|domain)(?:_?name)?["']?\s*[:=]>?\s*["'])([a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})(?:["'&#]|$)"#)
        .expect("zone name pattern")
});

static QUOTED_ID: LazyLock<Regex> =
    LazyLock::new(|| crate::pattern::new(r#"["']([a-f0-9]{32})["']"#).expect("quoted id pattern"));
static OCTODNS_ZONE: LazyLock<Regex> = LazyLock::new(|| {
    crate::pattern::new(r"(?m)^[ \t]+([a-z0-9-]+(?:\.[a-z0-9-]+)+)\.:[ \t]*$").expect("octoDNS zone pattern")
});
static DNS_ZONES: LazyLock<Regex> = LazyLock::new(|| {
    crate::pattern::new(r"(?m)^\s*dnsZones:\s*\n((?:[ \t]*-[ \t]*[A-Za-z0-9.-]+[ \t]*\n?)+)").expect("dnsZones pattern")
});

pub fn literals(text: &str) -> Literals {
    let mut l = Literals::default();
    // Ids listed in a zone collection (`ZONES = {"blog": "0a95…"}`): a quoted id within three
    // lines after a line that names zones, and none that names accounts.
    let lines = Lines::new(text);
    for c in QUOTED_ID.captures_iter(text) {
        let line = lines.line_of(c.get(0).map(|m| m.start()).unwrap_or(0));
        let near: Vec<String> =
            (line.saturating_sub(3)..=line).map(|n| lines.text(text, n).to_ascii_lowercase()).collect();
        if near.iter().any(|t| t.contains("zone")) && !near.iter().any(|t| t.contains("account")) {
            l.zone_ids.insert(c[1].to_string());
        }
    }
    // octoDNS zone keys end with a dot: `  example.net.:`.
    for c in OCTODNS_ZONE.captures_iter(text) {
        l.zone_names.insert(c[1].to_ascii_lowercase());
    }
    for c in DNS_ZONES.captures_iter(text) {
        l.zone_names.extend(
            c[1].lines().map(|s| s.trim().trim_start_matches('-').trim().to_string()).filter(|s| s.contains('.')),
        );
    }
    l.zone_ids.extend(ZONE_ID.captures_iter(text).map(|c| c[1].to_ascii_lowercase()));
    l.account_ids.extend(ACCOUNT_ID.captures_iter(text).map(|c| c[1].to_ascii_lowercase()));
    l.zone_names.extend(
        ZONE_NAME
            .captures_iter(text)
            .map(|c| c[1].to_ascii_lowercase())
            .filter(|n| !n.ends_with("cloudflare.com") && !n.contains("example.invalid")),
    );
    l
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calls(text: &str) -> Vec<(String, String)> {
        let lines = Lines::new(text);
        http_calls("f", text, &lines).into_iter().map(|c| (c.method, c.normal.template())).collect()
    }

    #[test]
    fn curl_with_data_is_a_post_and_x_wins() {
        let sh = "curl -s \\\n  -H \"X-Auth-Key: $K\" \\\n  \"https://api.cloudflare.com/client/v4/zones/$ZONE/purge_cache\" \\\n  --data '{\"purge_everything\":true}'\n";
        assert_eq!(calls(sh), vec![("POST".into(), "/zones/{}/purge_cache".into())]);
        let sh = "curl -X PUT \"https://api.cloudflare.com/client/v4/zones/${Z}/dns_records/${ID}\" --data \"$BODY\"\n";
        assert_eq!(calls(sh), vec![("PUT".into(), "/zones/{}/dns_records/{}".into())]);
    }

    #[test]
    fn languages_spell_methods_their_way() {
        assert_eq!(calls("r = requests.patch(f\"{API}/zones/{zone}/settings/ssl\", json=b)\n")[0].0, "PATCH");
        assert_eq!(
            calls("const r = await fetch(`${base}/zones/${id}/dns_records`, {\n  method: 'POST',\n});\n")[0].0,
            "POST"
        );
        assert_eq!(
            calls("req, _ := http.NewRequest(\"DELETE\", base+\"/zones/\"+zone+\"/dns_records/\"+id, nil)\n")[0].0,
            "DELETE"
        );
        assert_eq!(calls("url = \"/zones/\" + zoneId + \"/dns_records\";\n")[0].1, "/zones/{}/dns_records");
    }
}
