//! Secret redaction. Applied to every free-text field of every event, at
//! every privacy level, before anything reaches the journal.
//!
//! Each finding is replaced by `[REDACTED:<kind>]`; for `NAME=value`
//! assignments and URLs with a password, the name and URL stay readable and
//! only the secret goes.

use regex::{Regex, RegexSet};
use std::borrow::Cow;
use std::sync::LazyLock;

/// One kind of secret: what it is called in the marker, and how to find it.
/// When the pattern has a group named `keep`, that part stays.
struct Rule {
    kind: &'static str,
    pattern: &'static str,
}

const RULES: &[Rule] = &[
    Rule {
        kind: "private_key",
        pattern: r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\z)",
    },
    Rule { kind: "anthropic_key", pattern: r"\bsk-ant-[A-Za-z0-9_\-]{16,}" },
    Rule { kind: "openai_key", pattern: r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}" },
    Rule { kind: "aws_access_key_id", pattern: r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b" },
    Rule { kind: "github_token", pattern: r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})" },
    Rule { kind: "slack_token", pattern: r"\bxox[abposr]-[A-Za-z0-9\-]{10,}" },
    Rule { kind: "google_api_key", pattern: r"\bAIza[0-9A-Za-z_\-]{35}" },
    Rule { kind: "bearer_token", pattern: r"(?i)(?P<keep>\bbearer\s+)[A-Za-z0-9._~+/=\-]{12,}" },
    Rule { kind: "url_password", pattern: r"(?P<keep>\b[a-z][a-z0-9+.\-]*://[^:/\s@]+:)[^@\s/]+(?:@)" },
    // `NAME=value` lines as in .env files (upper-case names, as .env files
    // use), where the name says it holds a secret.
    Rule {
        kind: "env_secret",
        pattern: r#"(?m)(?P<keep>^[ \t]*(?:export[ \t]+)?[A-Z_][A-Z0-9_]*(?:KEY|TOKEN|SECRET|PASSWORD|PASSWD|PWD|CREDENTIALS?|AUTH|DSN|PRIVATE)[A-Z0-9_]*[ \t]*=[ \t]*)["']?[^\s"'][^\r\n]*"#,
    },
    // `api_key: "…"`, `"password": "…"` inside code or JSON.
    Rule {
        kind: "assigned_secret",
        pattern: r#"(?i)(?P<keep>\b(?:api[_\-]?key|secret[_\-]?key|access[_\-]?token|auth[_\-]?token|client[_\-]?secret|password|passwd)["']?\s*[:=]\s*["'])[^"'\r\n]{6,}"#,
    },
];

struct Compiled {
    any: RegexSet,
    each: Vec<(&'static str, Regex)>,
}

static COMPILED: LazyLock<Option<Compiled>> = LazyLock::new(|| {
    let any = RegexSet::new(RULES.iter().map(|r| r.pattern)).ok()?;
    let each = RULES.iter().map(|r| Regex::new(r.pattern).map(|re| (r.kind, re))).collect::<Result<_, _>>().ok()?;
    Some(Compiled { any, each })
});

/// The result of redacting one text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redacted<'a> {
    /// The text with every secret replaced.
    pub text: Cow<'a, str>,
    /// Kinds of secret found, one entry per finding.
    pub found: Vec<&'static str>,
}

/// Replaces every secret in `text`. Borrows when there is nothing to replace.
///
/// If the patterns could not be compiled (a bug caught by the tests), the
/// whole text is withheld rather than risk writing a secret.
pub fn redact(text: &str) -> Redacted<'_> {
    let Some(c) = COMPILED.as_ref() else {
        return Redacted { text: Cow::Owned("[REDACTED:unscannable]".into()), found: vec!["unscannable"] };
    };
    let hits = c.any.matches(text);
    if !hits.matched_any() {
        return Redacted { text: Cow::Borrowed(text), found: Vec::new() };
    }
    let mut out = text.to_owned();
    let mut found = Vec::new();
    for i in hits.iter() {
        let (kind, re) = &c.each[i];
        let mut n = 0;
        out = re
            .replace_all(&out, |caps: &regex::Captures<'_>| {
                n += 1;
                let keep = caps.name("keep").map_or("", |m| m.as_str());
                let tail = if *kind == "url_password" { "@" } else { "" };
                format!("{keep}[REDACTED:{kind}]{tail}")
            })
            .into_owned();
        found.extend(std::iter::repeat_n(*kind, n));
    }
    Redacted { text: Cow::Owned(out), found }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> String {
        redact(s).text.into_owned()
    }

    #[test]
    fn patterns_compile() {
        assert!(COMPILED.is_some());
    }

    #[test]
    fn provider_keys_and_tokens_are_removed() {
        let ant = "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcdefgh";
        let out = r(&format!("my key is {ant} ok"));
        assert_eq!(out, "my key is [REDACTED:anthropic_key] ok");

        let oai = "sk-proj-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0FeDcBa";
        assert_eq!(r(&format!("OPENAI={oai}")), "OPENAI=[REDACTED:openai_key]");
        assert_eq!(r("id AKIAIOSFODNN7EXAMPLE here"), "id [REDACTED:aws_access_key_id] here");
        assert_eq!(
            r("curl -H 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig' x"),
            "curl -H 'Authorization: Bearer [REDACTED:bearer_token]' x"
        );
        assert_eq!(r("ghp_0123456789abcdefghijklmnopqrstuvwxyzAB"), "[REDACTED:github_token]");
    }

    #[test]
    fn private_key_blocks_go_whole() {
        let pem = "before\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\nAAAAB3NzaC1yc2E=\n-----END OPENSSH PRIVATE KEY-----\nafter";
        assert_eq!(r(pem), "before\n[REDACTED:private_key]\nafter");
        // A pasted block cut short still goes, to the end of the text.
        assert_eq!(r("x -----BEGIN RSA PRIVATE KEY-----\nMIIEow"), "x [REDACTED:private_key]");
    }

    #[test]
    fn env_lines_keep_their_names() {
        let env =
            "DEBUG=true\nexport STRIPE_SECRET_KEY=rk_live_abc123\nDB_PASSWORD = \"hunter2 with spaces\"\nPORT=8080";
        assert_eq!(
            r(env),
            "DEBUG=true\nexport STRIPE_SECRET_KEY=[REDACTED:env_secret]\nDB_PASSWORD = [REDACTED:env_secret]\nPORT=8080"
        );
    }

    #[test]
    fn credentials_in_urls_and_code() {
        assert_eq!(
            r("postgres://app:s3cr3t-pw@db.internal:5432/x"),
            "postgres://app:[REDACTED:url_password]@db.internal:5432/x"
        );
        assert_eq!(
            r(r#"client = Client(api_key="abcdef123456")"#),
            r#"client = Client(api_key="[REDACTED:assigned_secret]")"#
        );
        assert_eq!(r(r#"{"password": "correct horse"}"#), r#"{"password": "[REDACTED:assigned_secret]"}"#);
    }

    #[test]
    fn ordinary_text_is_untouched_and_borrowed() {
        for s in [
            "How do I reverse a list in Python?",
            "The token count is 4096; the key insight is caching.",
            "let password_hint = user.hint(); // no secret here",
            "fn sk(x: u8) -> u8 { x } // sk-short",
            "token = tokenizer.encode(text)\nAPI_BASE=https://api.example.com",
        ] {
            let out = redact(s);
            assert!(matches!(out.text, Cow::Borrowed(_)), "{s}");
            assert!(out.found.is_empty());
        }
    }

    #[test]
    fn redaction_is_idempotent() {
        let once = r("OPENAI_API_KEY=sk-proj-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0FeDcBa\nBearer abcdefghijklmnop1234");
        assert_eq!(r(&once), once);
        assert!(!once.contains("Zx9Yw8"), "{once}");
    }

    #[test]
    fn findings_are_counted_by_kind() {
        let out = redact("AKIAIOSFODNN7EXAMPLE and AKIAI44QH8DHBEXAMPLE");
        assert_eq!(out.found, vec!["aws_access_key_id", "aws_access_key_id"]);
    }
}
