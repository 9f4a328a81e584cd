//! `--anonymize`: scrub what identifies people and machines from exported
//! text, and pseudonymise ids with a salted hash.
//!
//! Removed: secrets (every pattern the journal knows), e-mail addresses,
//! IPv4 and IPv6 addresses, the user name in home paths (`/home/NAME`,
//! `/Users/NAME`, `C:\Users\NAME`), host names in URLs, fully qualified
//! host names, and this machine's own host name.

use lantern_actors::telemetry::redact;
use regex::{Captures, Regex};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::LazyLock;

/// Length of a salt generated for a data directory, in bytes.
pub const SALT_BYTES: usize = 32;

struct Patterns {
    email: Regex,
    url_host: Regex,
    ipv4: Regex,
    ipv6: Regex,
    fqdn: Regex,
    home: Regex,
    windows_home: Regex,
}

static PATTERNS: LazyLock<Option<Patterns>> = LazyLock::new(|| {
    Some(Patterns {
        email: Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}").ok()?,
        url_host: Regex::new(r"(?i)\b((?:https?|wss?|ssh|git|ftp|sftp|postgres(?:ql)?|mysql|redis|mongodb)://(?:[^/\s@]*@)?)([A-Za-z0-9.-]+)").ok()?,
        ipv4: Regex::new(r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b").ok()?,
        ipv6: Regex::new(r"(?i)(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}").ok()?,
        fqdn: Regex::new(
            r"(?i)\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:com|net|org|io|dev|cloud|ai|internal|local|localdomain|lan|corp|intra|intranet|private)\b",
        )
        .ok()?,
        home: Regex::new(r"(/home/|/Users/)([^/\s]+)").ok()?,
        windows_home: Regex::new(r"(?i)([a-z]:\\Users\\)([^\\\s]+)").ok()?,
    })
});

/// Scrubs text and pseudonymises ids under one salt.
#[derive(Clone)]
pub struct Anonymizer {
    salt: Vec<u8>,
    hostname: Option<String>,
}

impl std::fmt::Debug for Anonymizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Anonymizer").field("salt", &"<hidden>").field("hostname", &self.hostname).finish()
    }
}

impl Anonymizer {
    /// An anonymizer with this salt that also removes `hostname` wherever it appears.
    pub fn new(salt: &[u8], hostname: Option<String>) -> Self {
        let hostname = hostname.map(|h| h.trim().to_owned()).filter(|h| h.len() >= 3);
        Self { salt: salt.to_vec(), hostname }
    }

    /// An anonymizer that also removes this machine's host name.
    pub fn for_this_machine(salt: &[u8]) -> Self {
        let hostname = std::fs::read_to_string("/etc/hostname").ok().or_else(|| std::env::var("HOSTNAME").ok());
        Self::new(salt, hostname)
    }

    /// A stable pseudonym for an id: `prefix` + 16 hex digits of SHA-256(salt, id).
    pub fn pseudonym(&self, prefix: &str, id: &str) -> String {
        let mut h = Sha256::new();
        h.update(&self.salt);
        h.update([0u8]);
        h.update(id.as_bytes());
        let digest = h.finalize();
        let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        format!("{prefix}{hex}")
    }

    /// The text with secrets, addresses, host names and home-directory user names replaced.
    pub fn text(&self, text: &str) -> String {
        let redacted = redact(text).text;
        let Some(p) = PATTERNS.as_ref() else {
            // The patterns are constants; if one failed to compile, withhold
            // rather than export something unscrubbed.
            return "[ANONYMIZED:unscannable]".to_owned();
        };
        let s = p.email.replace_all(&redacted, "<email>");
        let s = p.url_host.replace_all(&s, |c: &Captures| format!("{}<host>", &c[1]));
        let s = replace_valid(&p.ipv4, &s, |m| m.parse::<Ipv4Addr>().is_ok(), "<ip>");
        let s = replace_valid(&p.ipv6, &s, is_ipv6, "<ip>");
        let s = p.fqdn.replace_all(&s, "<host>");
        let s = p.home.replace_all(&s, "${1}<user>");
        let s = p.windows_home.replace_all(&s, "${1}<user>");
        match &self.hostname {
            Some(h) => replace_word(&s, h, "<host>"),
            None => s.into_owned(),
        }
    }
}

/// An IPv6 address with at least three non-empty groups (so `d::` in
/// `std::io` or a time like `12:30:45` is not one).
fn is_ipv6(m: &str) -> bool {
    m.parse::<Ipv6Addr>().is_ok() && m.split(':').filter(|g| !g.is_empty()).count() >= 3
}

fn replace_valid<'a>(re: &Regex, s: &'a str, valid: impl Fn(&str) -> bool, with: &str) -> Cow<'a, str> {
    re.replace_all(s, |c: &Captures| if valid(&c[0]) { with.to_owned() } else { c[0].to_owned() })
}

/// Replaces `word` where it stands as a whole word (not inside a longer name).
fn replace_word(s: &str, word: &str, with: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    while let Some(i) = rest.find(word) {
        let before = rest[..i].chars().next_back();
        let after = rest[i + word.len()..].chars().next();
        out.push_str(&rest[..i]);
        if before.is_some_and(is_name) || after.is_some_and(is_name) {
            out.push_str(word);
        } else {
            out.push_str(with);
        }
        rest = &rest[i + word.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anon() -> Anonymizer {
        Anonymizer::new(b"test-salt", Some("devbox-7".into()))
    }

    #[test]
    fn scrubs_planted_identifiers() {
        let a = anon();
        let text = "mail jane.doe@example.com from 10.0.0.12 or [fe80::1ff:fe23:4567:890a] \
                    at https://build.internal.acme.io/job/3, db01.corp.example.net, \
                    /home/jane/src/app.py and C:\\Users\\Jane\\repo on devbox-7; \
                    key sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        let out = a.text(text);
        for leaked in
            ["jane.doe", "10.0.0.12", "fe80", "acme", "db01", "/home/jane", "Jane", "devbox-7", "sk-ant-api03"]
        {
            assert!(!out.contains(leaked), "{leaked} survived: {out}");
        }
        assert!(out.contains("/home/<user>/src/app.py"), "{out}");
        assert!(out.contains("https://<host>/job/3"), "{out}");
    }

    #[test]
    fn keeps_code_and_versions_that_are_not_addresses() {
        let a = anon();
        let text = "use std::io::Write; at 12:30:45 bump 1.2.3 and open main.py with devbox-7b";
        assert_eq!(a.text(text), text);
    }

    #[test]
    fn pseudonyms_are_stable_per_salt_and_differ_across_salts() {
        let a = anon();
        let b = Anonymizer::new(b"another", None);
        assert_eq!(a.pseudonym("s-", "abc"), a.pseudonym("s-", "abc"));
        assert_ne!(a.pseudonym("s-", "abc"), a.pseudonym("s-", "abd"));
        assert_ne!(a.pseudonym("s-", "abc"), b.pseudonym("s-", "abc"));
        assert_eq!(a.pseudonym("s-", "abc").len(), 18);
    }
}
