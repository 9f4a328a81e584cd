//! The local token clients present: generated on first run, kept in the
//! data directory with mode 0600, compared in constant time.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// The token file's name in the data directory.
pub const TOKEN_FILE: &str = "proxy-token";

/// Why the token could not be had.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The file could not be read or written.
    #[error("cannot use the token file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// Others may read the file: it is not used until its mode is fixed.
    #[error("the token file {path} is readable by other users (mode {mode:o}); run `chmod 600 {path}`")]
    Exposed {
        /// The file.
        path: PathBuf,
        /// Its mode bits.
        mode: u32,
    },
    /// The file holds no usable token.
    #[error("the token file {path} holds no token; delete it and a new one is made on the next start")]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// The system gave no random bytes.
    #[error("cannot generate a token: {0}")]
    Random(String),
}

/// The proxy's token. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token([hidden])")
    }
}

impl Token {
    /// A token with this value (tests, or a token supplied by other means).
    pub fn new(value: impl Into<String>) -> Self {
        Token(value.into())
    }

    /// The token in `dir`, made (mode 0600) when there is none yet.
    pub fn load_or_create(dir: &Path) -> Result<Self, TokenError> {
        let path = dir.join(TOKEN_FILE);
        let io = |source| TokenError::Io { path: path.clone(), source };
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let mode = std::fs::metadata(&path).map_err(io)?.permissions().mode() & 0o777;
                if mode & 0o077 != 0 {
                    return Err(TokenError::Exposed { path, mode });
                }
                let token = text.trim();
                if token.is_empty() {
                    return Err(TokenError::Empty { path });
                }
                Ok(Token(token.to_owned()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(dir).map_err(io)?;
                let token = Token::generate()?;
                let mut file =
                    std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path).map_err(io)?;
                writeln!(file, "{}", token.0).map_err(io)?;
                file.sync_all().map_err(io)?;
                Ok(token)
            }
            Err(e) => Err(io(e)),
        }
    }

    fn generate() -> Result<Self, TokenError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| TokenError::Random(e.to_string()))?;
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        Ok(Token(format!("lantern-{hex}")))
    }

    /// The value, to show a user where to put it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether `presented` is this token, in time that does not depend on
    /// where they differ.
    pub fn matches(&self, presented: &[u8]) -> bool {
        let ours = self.0.as_bytes();
        if ours.len() != presented.len() {
            return false;
        }
        ours.iter().zip(presented).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
    }
}

/// The credential a request carries: `x-api-key`, or `Authorization: Bearer`.
pub fn presented(headers: &actix_web::http::header::HeaderMap) -> Option<&[u8]> {
    if let Some(key) = headers.get("x-api-key") {
        return Some(key.as_bytes());
    }
    let auth = headers.get(actix_web::http::header::AUTHORIZATION)?.as_bytes();
    let scheme = auth.get(..7)?;
    scheme.eq_ignore_ascii_case(b"bearer ").then(|| auth[7..].trim_ascii())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};

    #[test]
    fn the_first_run_makes_a_private_token_and_later_runs_read_it() {
        let dir = tempfile::tempdir().unwrap();
        let made = Token::load_or_create(&dir.path().join("nested")).unwrap();
        let path = dir.path().join("nested").join(TOKEN_FILE);
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert!(made.expose().starts_with("lantern-") && made.expose().len() == 8 + 64);
        assert_eq!(Token::load_or_create(&dir.path().join("nested")).unwrap(), made);
        assert_ne!(Token::load_or_create(dir.path()).unwrap(), made, "each data dir has its own");
        assert_eq!(format!("{made:?}"), "Token([hidden])");
    }

    #[test]
    fn a_token_others_can_read_or_an_empty_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        Token::load_or_create(dir.path()).unwrap();
        let path = dir.path().join(TOKEN_FILE);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = Token::load_or_create(dir.path()).unwrap_err();
        assert!(matches!(err, TokenError::Exposed { mode: 0o644, .. }), "{err}");
        assert!(err.to_string().contains("chmod 600"));
        std::fs::write(&path, "\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(matches!(Token::load_or_create(dir.path()), Err(TokenError::Empty { .. })));
    }

    #[test]
    fn only_the_exact_token_matches() {
        let t = Token::new("lantern-abc");
        assert!(t.matches(b"lantern-abc"));
        assert!(!t.matches(b"lantern-abd"));
        assert!(!t.matches(b"lantern-ab"));
        assert!(!t.matches(b""));
    }

    #[test]
    fn the_token_comes_from_x_api_key_or_a_bearer_header() {
        let mut h = HeaderMap::new();
        assert_eq!(presented(&h), None);
        h.insert(HeaderName::from_static("authorization"), HeaderValue::from_static("Bearer  tok "));
        assert_eq!(presented(&h), Some(&b"tok"[..]));
        h.insert(HeaderName::from_static("authorization"), HeaderValue::from_static("Basic dG9rOg=="));
        assert_eq!(presented(&h), None);
        h.insert(HeaderName::from_static("x-api-key"), HeaderValue::from_static("key"));
        assert_eq!(presented(&h), Some(&b"key"[..]));
    }
}
