//! Line rewrites: one legacy-key line in, its token form out (or a reason not to touch it).
//!
//! What a tool's setting or an SDK's constructor becomes is data (`rules::rewrite`, loaded from
//! `rules/tools/*.yaml`, `rules/sdk/*.rewrite.yaml` and `rules/token-names.yaml`); this module
//! holds what must be code: header rewrites wrap the value expression in each language's
//! string concatenation (`"Bearer " + e`, `` `Bearer ${e}` ``, `"Bearer #{e}"`,
//! `format!("Bearer {}", e)`, ...), and placeholders, quoting and e-mail lines need parsing.

use std::sync::LazyLock;

use regex::Regex;

pub use crate::rules::rewrite::{Lang, LineFix, Rewrites};

pub fn lang_of(path: &str, text: &str) -> Lang {
    let name = path.rsplit('/').next().unwrap_or(path);
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    match ext {
        "sh" | "bash" | "zsh" => Lang::Shell,
        "py" => Lang::Python,
        "js" | "mjs" | "cjs" | "ts" | "mts" | "tsx" | "jsx" => Lang::Js,
        "go" => Lang::Go,
        "php" => Lang::Php,
        "rb" => Lang::Ruby,
        "rs" => Lang::Rust,
        "java" | "kt" | "kts" => Lang::Jvm,
        "cs" => Lang::CSharp,
        "yml" | "yaml" => Lang::Yaml,
        "tf" => Lang::Terraform,
        "tfvars" => Lang::TfVars,
        _ if name == "Dockerfile" || name.starts_with("Dockerfile.") => Lang::Docker,
        _ if text.starts_with("#!") && text.lines().next().is_some_and(|l| l.contains("ruby")) => Lang::Ruby,
        _ if text.starts_with("#!") && text.lines().next().is_some_and(|l| l.contains("python")) => Lang::Python,
        _ if text.starts_with("#!") => Lang::Shell,
        _ => Lang::Data,
    }
}

/// The token-side name of a key variable with the built-in rules (for callers without a
/// session, such as `mint`'s file names); `fix` asks the session's [`Rewrites`].
pub fn token_name(old: &str) -> Option<String> {
    static BUILTIN: LazyLock<Rewrites> = LazyLock::new(|| {
        crate::rules::RuleSet::from_sources(&crate::rules::load::builtin_sources())
            .map(|r| r.knowledge.into_inner().rewrites)
            .unwrap_or_default()
    });
    BUILTIN.token_name(old)
}

/// `"Bearer " + e` in the language's own syntax.
fn bearer(lang: Lang, e: &str) -> Option<String> {
    Some(match lang {
        Lang::Python | Lang::Jvm | Lang::CSharp => format!("\"Bearer \" + {e}"),
        Lang::Go => format!("\"Bearer \" + {e}"),
        Lang::Js => format!("`Bearer ${{{e}}}`"),
        Lang::Ruby => format!("\"Bearer #{{{e}}}\""),
        Lang::Php => format!("'Bearer ' . {e}"),
        Lang::Rust => format!("format!(\"Bearer {{}}\", {e})"),
        _ => return None,
    })
}

/// How code reads environment variable `name`.
pub fn env_ref(lang: Lang, name: &str) -> Option<String> {
    Some(match lang {
        Lang::Shell => format!("\"${{{name}:?set {name} to the new scoped API token}}\""),
        Lang::Python => format!("os.environ[\"{name}\"]"),
        Lang::Js => format!("process.env.{name}"),
        Lang::Go => format!("os.Getenv(\"{name}\")"),
        Lang::Php => format!("getenv('{name}')"),
        Lang::Ruby => format!("ENV.fetch(\"{name}\")"),
        Lang::Rust => format!("std::env::var(\"{name}\")?"),
        _ => return None,
    })
}

static HEADER_IN_STRING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\bx-auth-key:[ \t]*").expect("header pattern"));
static HEADER_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)(["'])(x-auth-key)(["'])(\s*(?::|=>|,|\]\s*=)\s*)"#).expect("header name pattern")
});

/// The end (byte index) of the expression starting at `s[from..]`: the first `,` `)` `}` `]`
/// `;` at depth 0, outside strings.
fn expr_end(s: &str, from: usize) -> usize {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut prev = ' ';
    for (i, c) in s[from..].char_indices() {
        if let Some(q) = quote {
            if c == q && prev != '\\' {
                quote = None;
            }
        } else {
            match c {
                '"' | '\'' | '`' => quote = Some(c),
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' if depth == 0 => return from + i,
                ')' | ']' | '}' => depth -= 1,
                ',' | ';' if depth == 0 => return from + i,
                _ => {}
            }
        }
        prev = c;
    }
    s.len()
}

static MAPPING_HEADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^(\s*(?:-\s+)?)(["']?)([Xx]-[Aa]uth-[Kk]ey)(["']?)(\s*(?::|=)\s*)(.*)$"#)
        .expect("mapping header pattern")
});

/// A double-quoted scalar (YAML, JSON, HCL) holding `text`.
fn dq(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// `X-Auth-Key: value` as a mapping entry (YAML, JSON, HCL): the value is parsed as the
/// format's scalar and `Bearer ` goes *inside* it, so `Authorization: "Bearer {{ var }}"`
/// stays one valid string (never `Bearer "{{ var }}"`).
fn mapping_header(lang: Lang, line: &str) -> Option<Result<String, String>> {
    let c = MAPPING_HEADER.captures(line)?;
    if c[2] != c[4] {
        return None;
    }
    let sep = &c[5];
    if lang == Lang::Terraform && !sep.contains('=') || lang != Lang::Terraform && !sep.contains(':') {
        return None;
    }
    let value = &c[6];
    let (inner, rest): (String, &str) = if let Some(v) = value.strip_prefix('"') {
        let mut end = None;
        let mut prev = ' ';
        for (i, ch) in v.char_indices() {
            if ch == '"' && prev != '\\' {
                end = Some(i);
                break;
            }
            prev = ch;
        }
        let Some(e) = end else { return Some(Err("the header value's quotes do not close on this line".into())) };
        // Already in double-quoted form: kept as written.
        (v[..e].to_string(), &v[e + 1..])
    } else if let Some(v) = value.strip_prefix('\'') {
        let Some(e) = v.find('\'') else {
            return Some(Err("the header value's quotes do not close on this line".into()));
        };
        let raw = v[..e].to_string();
        (dq(&raw).trim_matches('"').to_string(), &v[e + 1..])
    } else if lang == Lang::Terraform {
        // An HCL expression: interpolated into the string.
        let end = expr_end(value, 0);
        let expr = value[..end].trim_end();
        if expr.is_empty() {
            return Some(Err("the header value is not on this line".into()));
        }
        (format!("${{{expr}}}"), &value[expr.len()..])
    } else {
        // A plain YAML scalar, up to a comment.
        let end = value.find(" #").unwrap_or(value.len());
        let v = value[..end].trim_end();
        if v.is_empty() || v.starts_with(['{', '[', '|', '>', '&', '*', '!']) {
            return Some(Err("the header value is not a plain string on this line".into()));
        }
        (dq(v).trim_matches('"').to_string(), &value[v.len()..])
    };
    let name = if c[3].starts_with('x') { "authorization" } else { "Authorization" };
    let q = &c[2];
    Some(Ok(format!("{}{q}{name}{q}{sep}\"Bearer {inner}\"{rest}", &c[1])))
}

const HELD_IN_CONSTANT: &str =
    "the header name is held in a constant: change the code that sends it (Authorization: Bearer <token>) by hand";

/// `X-Auth-Key` -> `Authorization: Bearer`. `token_var` is what the value now reads; the
/// caller has replaced any hard-coded value already. Err: why not.
pub fn header_line(lang: Lang, line: &str, token_var: &str) -> Result<String, String> {
    let lower = |m: &str| m.chars().all(|c| !c.is_ascii_uppercase());
    if matches!(lang, Lang::Yaml | Lang::Data | Lang::Terraform) {
        if let Some(r) = mapping_header(lang, line) {
            return r;
        }
    }
    if let Some(m) = HEADER_IN_STRING.find(line) {
        // `-H "X-Auth-Key: $K"`, PHP `'X-Auth-Key: ' . $k`: the value follows in the string.
        let name = if lower(m.as_str()) { "authorization: Bearer " } else { "Authorization: Bearer " };
        let _ = token_var;
        return Ok(format!("{}{name}{}", &line[..m.start()], &line[m.end()..]));
    }
    static CONSTANT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"(?i)^\s*(?:(?:const|final|static|var|let|private|public|String|string)\s+)*[\w.$]+\s*(?::=|=)\s*["']x-auth-key["']\s*[,;]?\s*$"#)
            .expect("header constant pattern")
    });
    if CONSTANT.is_match(line) {
        return Err(HELD_IN_CONSTANT.into());
    }
    let Some(c) = HEADER_NAME.captures(line) else {
        return Err("the X-Auth-Key header is not written as a name and a value on this line".into());
    };
    if c[1] != c[3] {
        return Err("unbalanced quotes around the header name".into());
    }
    let whole = c.get(0).map(|m| m.range()).unwrap_or_default();
    let start = whole.end;
    let end = expr_end(line, start);
    let expr = line[start..end].trim_end();
    if expr.is_empty() {
        return Err(HELD_IN_CONSTANT.into());
    }
    let Some(value) = bearer(lang, expr) else {
        return Err("no Bearer form known for this language".into());
    };
    // gofmt drops the blanks around `+` in a call's later argument (`.Set(k, "Bearer "+v)`).
    let value = if lang == Lang::Go && c[4].contains(',') { value.replacen("\" + ", "\"+", 1) } else { value };
    let q = &c[1];
    let name = if lower(&c[2]) { "authorization" } else { "Authorization" };
    Ok(format!("{}{q}{name}{q}{}{value}{}", &line[..whole.start], &c[4], &line[start + expr.len()..]))
}

static EMAIL_HEADER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)x-auth-email").expect("email pattern"));
static ALONE_START: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^(?:-H\s*|--header[= ]\s*|\.header\(|[\w.]+\.(?:add_header|header|Set|Add)\(|\w+\[)?["']"#)
        .expect("email header start pattern")
});

fn balanced(s: &str) -> bool {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    for c in s.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '"' | '\'' | '`' => quote = Some(c),
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => depth -= 1,
                _ => {}
            },
        }
        if depth < 0 {
            return false;
        }
    }
    depth == 0 && quote.is_none()
}

/// Whether an `X-Auth-Email` line can simply go: the header is the only thing on it.
pub fn email_header_alone(line: &str, prev: Option<&str>) -> Result<(), String> {
    let t = line.trim();
    if EMAIL_HEADER.find_iter(t).count() != 1
        || HEADER_IN_STRING.is_match(t)
        || t.to_ascii_lowercase().contains("x-auth-key")
    {
        return Err("the X-Auth-Email header shares its line with other code: remove it by hand".into());
    }
    if !ALONE_START.is_match(t) || t.matches("-H").count() > 1 {
        return Err("the X-Auth-Email header shares its line with other code: remove it by hand".into());
    }
    let body = t.trim_end_matches('\\').trim_end().trim_end_matches([',', ';']);
    if !balanced(body) {
        return Err("the X-Auth-Email header is part of a construct that spans lines: remove it by hand".into());
    }
    // Shell: removing the last line of a `\` continuation would join the next command.
    if !t.ends_with('\\') && prev.is_some_and(|p| p.trim_end().ends_with('\\')) {
        return Err("the X-Auth-Email header ends a line continuation: remove it and the `\\` before it by hand".into());
    }
    Ok(())
}

static GUARD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^\s*:\s+["']?\$\{([A-Za-z_][A-Za-z0-9_]*):?[?][^}]*\}["']?\s*(?:#.*)?$"#).expect("guard pattern")
});

/// The name a shell guard demands (`: "${CF_API_EMAIL:?set it}"` -> `CF_API_EMAIL`).
pub fn email_guard(line: &str) -> Option<String> {
    GUARD.captures(line).map(|c| c[1].to_string())
}

static EMAIL_SEGMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)\s*(?:-H|--header)[= ]\s*(?:"x-auth-email:[^"]*"|'x-auth-email:[^']*')"#).expect("email segment")
});
static EMAIL_ENTRY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i)(["'])x-auth-email(["'])\s*(?::|=>|,)\s*"#).expect("email entry"));
static EMAIL_MAPPING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)^\s*(?:-\s+)?(["']?)x-auth-email(["']?)\s*(?::|=)\s*\S"#).expect("email mapping")
});

/// A line that is only a `X-Auth-Email: value` mapping entry (YAML, JSON, HCL).
pub fn email_mapping_alone(line: &str) -> bool {
    EMAIL_MAPPING.captures(line).is_some_and(|c| c[1] == c[2])
        && !line.to_ascii_lowercase().contains("x-auth-key")
        && balanced(line.trim_end().trim_end_matches(','))
}

/// The line without its `X-Auth-Email` header, where the header is one `-H "..."` argument
/// or one `"X-Auth-Email": expr,` entry among others on the line.
pub fn without_email_header(line: &str) -> Option<String> {
    if let Some(m) = EMAIL_SEGMENT.find(line) {
        let before = &line[..m.start()];
        // First on its line: the indentation stays and the space after the header goes.
        if before.trim().is_empty() {
            let indent = &line[..line.len() - line.trim_start().len()];
            return Some(format!("{indent}{}", line[m.end()..].trim_start()));
        }
        return Some(format!("{before}{}", &line[m.end()..]));
    }
    let c = EMAIL_ENTRY.captures(line)?;
    if c[1] != c[2] {
        return None;
    }
    let m = c.get(0)?;
    let end = expr_end(line, m.end());
    let rest = &line[end..];
    let rest = rest.strip_prefix(',')?.trim_start();
    Some(format!("{}{}", &line[..m.start()], rest))
}

static ASSIGN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\s*(?:(?:export|ENV|ARG|readonly|local|const|let|var|val|private|public|static|final|String|string)\s+)*(?:-\s+)?\$?([A-Za-z_][\w:.-]*)\s*(?:=|:=|:)\s*\S",
    )
    .expect("assignment pattern")
});

/// The name an email line sets (`export CF_EMAIL=...` -> `CF_EMAIL`), if it only sets one.
pub fn assigned_name(line: &str) -> Option<String> {
    let t = line.trim_end();
    if t.contains(';') && !t.trim_end().ends_with(';') || t.contains("&&") || t.ends_with('\\') {
        return None;
    }
    let c = ASSIGN.captures(t)?;
    balanced(t.trim_end_matches([',', ';'])).then(|| c[1].to_string())
}

/// Byte ranges of template placeholders (`{{ ... }}`, not GitHub's `${{ ... }}`): names
/// inside are filled by other tooling (Jinja, mustache, Go templates) and never renamed.
fn placeholder_spans(line: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = line[from..].find("{{").map(|i| i + from) {
        let Some(j) = line[i..].find("}}").map(|j| j + i + 2) else { break };
        if !line[..i].ends_with('$') {
            out.push((i, j));
        }
        from = j;
    }
    out
}

fn name_re(name: &str) -> Regex {
    // ASCII boundaries, as the detection rules' names are ASCII: `éCF_API_KEY` was found as
    // `CF_API_KEY` and must be renamed too (issue 9, property test).
    Regex::new(&format!(r"(?-u:\b){}(?-u:\b)", regex::escape(name))).expect("escaped name")
}

/// Whether every use of `name` on the line sits inside a template placeholder.
pub fn only_in_placeholders(line: &str, name: &str) -> bool {
    // Most lines do not hold the name: no pattern is built for them.
    if !line.contains(name) {
        return false;
    }
    let spans = placeholder_spans(line);
    let mut any = false;
    for m in name_re(name).find_iter(line) {
        any = true;
        if !spans.iter().any(|(a, b)| m.start() >= *a && m.end() <= *b) {
            return false;
        }
    }
    any
}

/// Whether `name` is used on the line outside template placeholders.
pub fn mentions(line: &str, name: &str) -> bool {
    if !line.contains(name) {
        return false;
    }
    name_re(name).is_match(line) && !only_in_placeholders(line, name)
}

/// `old` renamed to `new` on one line, leaving template placeholders alone.
pub fn rename_in(line: &str, old: &str, new: &str) -> String {
    if !line.contains(old) {
        return line.to_string();
    }
    let spans = placeholder_spans(line);
    let mut out = String::new();
    let mut last = 0;
    for m in name_re(old).find_iter(line) {
        if spans.iter().any(|(a, b)| m.start() >= *a && m.end() <= *b) {
            continue;
        }
        out.push_str(&line[last..m.start()]);
        out.push_str(new);
        last = m.end();
    }
    out.push_str(&line[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_email_header_first_on_its_line_keeps_the_indentation() {
        assert_eq!(
            without_email_header(r#"    -H "X-Auth-Email: $E" -H "Authorization: Bearer $T" \"#).as_deref(),
            Some(r#"    -H "Authorization: Bearer $T" \"#)
        );
        assert_eq!(
            without_email_header(r#"curl -H "X-Auth-Email: $E" -H "Authorization: Bearer $T""#).as_deref(),
            Some(r#"curl -H "Authorization: Bearer $T""#)
        );
    }

    #[test]
    fn headers_become_bearer() {
        let t = "CF_API_TOKEN";
        assert_eq!(
            header_line(Lang::Shell, r#"  -H "X-Auth-Key: ${CF_API_TOKEN}" \"#, t).unwrap(),
            r#"  -H "Authorization: Bearer ${CF_API_TOKEN}" \"#
        );
        assert_eq!(
            header_line(Lang::Python, r#"    "X-Auth-Key": CF_KEY,"#, t).unwrap(),
            r#"    "Authorization": "Bearer " + CF_KEY,"#
        );
        assert_eq!(header_line(Lang::Js, "  'x-auth-key': key,", t).unwrap(), "  'authorization': `Bearer ${key}`,");
        assert_eq!(
            header_line(Lang::Ruby, r#"req["X-Auth-Key"] = ENV["K"]"#, t).unwrap(),
            r#"req["Authorization"] = "Bearer #{ENV["K"]}""#
        );
        assert_eq!(
            header_line(Lang::Rust, r#".header("X-Auth-Key", &key)"#, t).unwrap(),
            r#".header("Authorization", format!("Bearer {}", &key))"#
        );
        assert_eq!(
            header_line(Lang::Php, "'X-Auth-Key' => getenv('K'),", t).unwrap(),
            "'Authorization' => 'Bearer ' . getenv('K'),"
        );
        assert!(header_line(Lang::Go, r#"	keyHeader   = "X-Auth-Key""#, t).is_err());
        assert_eq!(header_line(Lang::Python, r#"KEY_HEADER = "X-Auth-Key""#, t), Err(HELD_IN_CONSTANT.to_string()));
    }

    #[test]
    fn mapping_headers_keep_one_valid_scalar() {
        let t = "T";
        assert_eq!(
            header_line(Lang::Yaml, r#"          X-Auth-Key: "{{ cloudflare_api_key }}""#, t).unwrap(),
            r#"          Authorization: "Bearer {{ cloudflare_api_key }}""#
        );
        assert_eq!(
            header_line(Lang::Yaml, "  X-Auth-Key: '{{ k }}' # key", t).unwrap(),
            r#"  Authorization: "Bearer {{ k }}" # key"#
        );
        assert_eq!(
            header_line(Lang::Yaml, "  X-Auth-Key: ${CF_KEY}", t).unwrap(),
            r#"  Authorization: "Bearer ${CF_KEY}""#
        );
        assert_eq!(
            header_line(Lang::Data, r#"  "X-Auth-Key": "${K}","#, t).unwrap(),
            r#"  "Authorization": "Bearer ${K}","#
        );
        assert_eq!(
            header_line(Lang::Terraform, r#"    "X-Auth-Key" = var.cloudflare_api_key"#, t).unwrap(),
            r#"    "Authorization" = "Bearer ${var.cloudflare_api_key}""#
        );
        assert_eq!(
            without_email_header(r#"curl -H "X-Auth-Email: $E" -H "Authorization: Bearer $T" x"#).as_deref(),
            Some(r#"curl -H "Authorization: Bearer $T" x"#)
        );
        assert_eq!(
            without_email_header(r#"  headers: { "X-Auth-Email": process.env.E, "Authorization": `Bearer ${k}` },"#)
                .as_deref(),
            Some(r#"  headers: { "Authorization": `Bearer ${k}` },"#)
        );
        assert!(email_mapping_alone(r#"          X-Auth-Email: "{{ cloudflare_email }}""#));
        assert_eq!(email_guard(r#": "${CF_API_EMAIL:?set CF_API_EMAIL}""#).as_deref(), Some("CF_API_EMAIL"));
        assert_eq!(
            rename_in("export CF_Key={{KEY}} # CF_Key", "CF_Key", "CF_Token"),
            "export CF_Token={{KEY}} # CF_Token"
        );
        assert_eq!(rename_in("K: {{ CF_Key }}", "CF_Key", "CF_Token"), "K: {{ CF_Key }}");
        assert_eq!(rename_in("K: ${{ secrets.CF_Key }}", "CF_Key", "CF_Token"), "K: ${{ secrets.CF_Token }}");
    }

    #[test]
    fn names_map_to_token_names() {
        assert_eq!(token_name("CF_API_KEY").as_deref(), Some("CF_API_TOKEN"));
        assert_eq!(token_name("SAVED_CF_Key").as_deref(), Some("SAVED_CF_Token"));
        assert_eq!(token_name("CF_DDNS_KEY").as_deref(), Some("CF_DDNS_TOKEN"));
        assert_eq!(token_name("X-Auth-Key"), None);
    }

    #[test]
    fn email_lines() {
        assert!(email_header_alone(r#"  -H "X-Auth-Email: ${E}" \"#, None).is_ok());
        assert!(email_header_alone(r#"  -H "X-Auth-Email: ${E}" -H "X-Auth-Key: ${K}" \"#, None).is_err());
        assert!(email_header_alone(r#"headers = {"X-Auth-Email": e,"#, None).is_err());
        assert!(email_header_alone(r#"  -H "X-Auth-Email: ${E}""#, Some("curl \\")).is_err());
        assert_eq!(assigned_name("export CF_Email=\"ops@example.com\"").as_deref(), Some("CF_Email"));
        assert_eq!(assigned_name("  String email = System.getenv(\"E\");").as_deref(), Some("email"));
        assert_eq!(assigned_name("$email = getenv('CF_EMAIL');").as_deref(), Some("email"));
    }
}
