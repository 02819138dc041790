//! Template and sample files (`cluster-issuer.yaml.tpl`, `cloudflare.ini.j2`, `.env.example`,
//! `config.php.dist`) hold the same settings as the file they render to; the rules are matched
//! against that underlying name so that their `files:` globs apply.

/// Suffixes that wrap another file's content. Lower case; compared case-insensitively.
const SUFFIXES: &[&str] = &[
    ".tpl",
    ".j2",
    ".jinja",
    ".jinja2",
    ".tmpl",
    ".gotmpl",
    ".erb",
    ".example",
    ".dist",
    ".sample",
    ".in",
    ".template",
];

/// The name rules should see: `a.yaml.tpl` -> `a.yaml`, `x.sh.in.j2` -> `x.sh`. A name that is
/// only a suffix (`.example`) or has no extension left (`Makefile.in` -> `Makefile`) is kept as
/// the rest.
pub fn underlying_name(name: &str) -> &str {
    let mut out = name;
    // Strip a few layers at most; each strip makes the name shorter.
    for _ in 0..3 {
        let lower = out.to_ascii_lowercase();
        match SUFFIXES.iter().find(|s| lower.ends_with(*s) && lower.len() > s.len()) {
            Some(s) => out = &out[..out.len() - s.len()],
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::underlying_name;

    #[test]
    fn template_suffixes_come_off() {
        assert_eq!(underlying_name("cluster-issuer.yaml.tpl"), "cluster-issuer.yaml");
        assert_eq!(underlying_name("cloudflare.ini.j2"), "cloudflare.ini");
        assert_eq!(underlying_name("purge.sh.in.j2"), "purge.sh");
        assert_eq!(underlying_name("values.yaml.gotmpl"), "values.yaml");
        assert_eq!(underlying_name("config.php.dist"), "config.php");
        assert_eq!(underlying_name(".env.example"), ".env");
        assert_eq!(underlying_name("deploy.rb.erb"), "deploy.rb");
        assert_eq!(underlying_name("purge.py"), "purge.py");
        assert_eq!(underlying_name(".example"), ".example");
        assert_eq!(underlying_name("main.rs"), "main.rs");
    }
}
