//! Token estimates without a tokenizer.
//!
//! Method (character classes, no network, no vocabulary): the text is cut
//! into runs of one class and each run is priced:
//!
//! - a run of ASCII letters (and `_`) costs 1 token per started 6 characters
//!   (`the` = 1, `function` = 2, `implementation` = 3);
//! - a run of ASCII digits costs 1 token per started 3 digits;
//! - a run of spaces or tabs costs nothing when it is a single space (it is
//!   merged with the next word), otherwise 1 token;
//! - each line break costs 1 token;
//! - any other character (punctuation, symbols, non-ASCII) costs 1 token.
//!
//! It tends to over-count code and non-English text a little and to be close
//! for English prose. It is an estimate, used to compare before and after and
//! to place cache anchors against minimum prefix sizes; never for billing.

/// Estimated tokens of `text`.
pub fn estimate_tokens(text: &str) -> u32 {
    let mut tokens: u32 = 0;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let cost = if c.is_ascii_alphabetic() || c == '_' {
            let mut len: u32 = 1;
            while chars.next_if(|n| n.is_ascii_alphabetic() || *n == '_').is_some() {
                len += 1;
            }
            len.div_ceil(6)
        } else if c.is_ascii_digit() {
            let mut len: u32 = 1;
            while chars.next_if(char::is_ascii_digit).is_some() {
                len += 1;
            }
            len.div_ceil(3)
        } else if c == ' ' || c == '\t' {
            let mut len = 1;
            while chars.next_if(|n| *n == ' ' || *n == '\t').is_some() {
                len += 1;
            }
            u32::from(len > 1 || c == '\t')
        } else if c == '\r' {
            0
        } else {
            1
        };
        tokens = tokens.saturating_add(cost);
    }
    tokens
}

/// `after - before` as a signed change, saturating.
pub(crate) fn delta(before: u32, after: u32) -> i32 {
    let d = i64::from(after) - i64::from(before);
    i32::try_from(d).unwrap_or(if d < 0 { i32::MIN } else { i32::MAX })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_runs_by_class() {
        assert_eq!(estimate_tokens(""), 0);
        assert_eq!(estimate_tokens("the"), 1);
        assert_eq!(estimate_tokens("implementation"), 3);
        assert_eq!(estimate_tokens("fix it"), 2);
        assert_eq!(estimate_tokens("x = 12345;\n"), 1 + 1 + 2 + 1 + 1);
        assert_eq!(estimate_tokens("    a"), 2);
    }

    #[test]
    fn delta_is_signed() {
        assert_eq!(delta(10, 4), -6);
        assert_eq!(delta(4, 10), 6);
    }
}
