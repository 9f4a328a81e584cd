//! Which headers cross the proxy. Everything not listed here passes both
//! ways unchanged: `anthropic-*`, `x-stainless-*`, `x-app`, session ids,
//! `user-agent`, rate-limit and request-id headers, and whatever comes next.

/// A header as sent: lower-case name, raw value.
pub type Header = (String, Vec<u8>);

/// Client headers that never go upstream: hop-by-hop ones, the body's own
/// framing (recomputed), the client's credentials (Lantern's token, replaced
/// by the upstream key), `accept-encoding` (Lantern reads the answer, so it
/// asks for it uncompressed) and Lantern's own `x-lantern-*`.
fn dropped_outbound(name: &str) -> bool {
    matches!(
        name,
        "host"
            | "content-length"
            | "transfer-encoding"
            | "connection"
            | "keep-alive"
            | "proxy-connection"
            | "proxy-authorization"
            | "te"
            | "trailer"
            | "upgrade"
            | "expect"
            | "x-api-key"
            | "authorization"
            | "accept-encoding"
    ) || name.starts_with("x-lantern-")
}

/// Upstream headers that never reach the client: hop-by-hop ones and the
/// body's framing (the proxy frames the body itself).
fn dropped_inbound(name: &str) -> bool {
    matches!(
        name,
        "content-length"
            | "transfer-encoding"
            | "connection"
            | "keep-alive"
            | "proxy-connection"
            | "te"
            | "trailer"
            | "upgrade"
    )
}

/// The client's headers that go upstream.
pub fn outbound<'a>(headers: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Vec<Header> {
    headers
        .into_iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
        .filter(|(k, _)| !dropped_outbound(k))
        .map(|(k, v)| (k, v.to_vec()))
        .collect()
}

/// The upstream's headers that go back to the client.
pub fn inbound(headers: &reqwest::header::HeaderMap) -> Vec<Header> {
    headers
        .iter()
        .filter(|(k, _)| !dropped_inbound(k.as_str()))
        .map(|(k, v)| (k.as_str().to_owned(), v.as_bytes().to_vec()))
        .collect()
}

/// The value of `name` in `headers`, as text.
pub fn get<'a>(headers: &'a [Header], name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k == name).and_then(|(_, v)| std::str::from_utf8(v).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_framing_and_lanterns_own_headers_stay_behind() {
        let sent: Vec<(&str, &[u8])> = vec![
            ("X-Api-Key", b"lantern-token"),
            ("Authorization", b"Bearer t"),
            ("Content-Length", b"12"),
            ("Accept-Encoding", b"gzip"),
            ("x-lantern-namespace", b"team"),
            ("anthropic-beta", b"a,b"),
            ("X-Stainless-Lang", b"js"),
            ("x-claude-code-session-id", b"s1"),
            ("user-agent", b"claude-cli/2.1"),
        ];
        let kept: Vec<String> = outbound(sent).into_iter().map(|(k, _)| k).collect();
        assert_eq!(kept, ["anthropic-beta", "x-stainless-lang", "x-claude-code-session-id", "user-agent"]);
    }
}
