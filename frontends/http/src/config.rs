//! How the proxy is set up, and the checks made before it listens.

use crate::auth::Token;
use lantern_events::schema::ApprovalPolicy;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use thiserror::Error;

/// Where the proxy listens by default: loopback only.
pub const DEFAULT_LISTEN: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 8443);

/// The largest request body accepted by default, and at most: what one
/// journal record holds (16 MiB less room for the event around the text),
/// so that every request answered is journalled whole. Anthropic accepts
/// up to 32 MiB; a larger body gets a 413 from Lantern.
pub const DEFAULT_MAX_BODY: usize = lantern_events::codec::MAX_PROMPT_BYTES;

/// A PEM certificate chain and its private key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain (PEM).
    pub cert: PathBuf,
    /// The private key (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// How the proxy serves.
#[derive(Clone)]
pub struct ServeConfig {
    /// Address and port to bind.
    pub listen: SocketAddr,
    /// Whether a non-loopback address may be bound.
    pub allow_remote: bool,
    /// TLS, when a certificate is configured.
    pub tls: Option<TlsFiles>,
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// HTTP worker threads.
    pub workers: usize,
    /// Who decides on refinements: `Original` unless a person is asked.
    pub policy: ApprovalPolicy,
    /// The token clients must present.
    pub token: Token,
}

impl std::fmt::Debug for ServeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeConfig")
            .field("listen", &self.listen)
            .field("allow_remote", &self.allow_remote)
            .field("tls", &self.tls)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("workers", &self.workers)
            .field("policy", &self.policy)
            .field("token", &self.token)
            .finish()
    }
}

/// Why the proxy did not start.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ServeError {
    /// A non-loopback address without the flag that allows it.
    #[error(
        "{0} is not a loopback address: anyone who can reach it could use your upstream key; \
         pass --allow-remote to bind it anyway (and consider --tls-cert/--tls-key)"
    )]
    Remote(SocketAddr),
    /// The certificate or key could not be used.
    #[error("TLS: {0}")]
    Tls(String),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// A body limit larger than the journal can hold.
    #[error(
        "--max-body-bytes {0} is more than one journal record holds ({DEFAULT_MAX_BODY}); a larger request could be \
         answered but not journalled whole"
    )]
    BodyLimit(usize),
    /// The server thread could not be started or stopped with an error.
    #[error("the HTTP server failed: {0}")]
    Server(String),
}

impl ServeConfig {
    /// The defaults: loopback, no TLS, bodies up to [`DEFAULT_MAX_BODY`], 2 workers, policy `Original`.
    pub fn new(token: Token) -> Self {
        ServeConfig {
            listen: DEFAULT_LISTEN,
            allow_remote: false,
            tls: None,
            max_body_bytes: DEFAULT_MAX_BODY,
            workers: 2,
            policy: ApprovalPolicy::Original,
            token,
        }
    }

    /// Refuses a non-loopback address unless it was allowed explicitly.
    pub fn check(&self) -> Result<(), ServeError> {
        if !self.listen.ip().is_loopback() && !self.allow_remote {
            return Err(ServeError::Remote(self.listen));
        }
        if self.max_body_bytes > DEFAULT_MAX_BODY {
            return Err(ServeError::BodyLimit(self.max_body_bytes));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn only_loopback_is_bound_without_the_flag() {
        let mut c = ServeConfig::new(Token::new("t"));
        assert!(c.check().is_ok());
        c.listen = "[::1]:9".parse().unwrap();
        assert!(c.check().is_ok());
        c.listen = "0.0.0.0:8443".parse().unwrap();
        assert!(c.check().unwrap_err().to_string().contains("--allow-remote"));
        c.allow_remote = true;
        assert!(c.check().is_ok());
    }

    #[test]
    fn debug_output_hides_the_secrets() {
        let c = ServeConfig::new(Token::new("lantern-secret-token"));
        let shown = format!("{c:?}");
        assert!(!shown.contains("secret"), "{shown}");
    }
}
