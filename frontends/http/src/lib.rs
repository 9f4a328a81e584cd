//! Lantern's Anthropic-compatible HTTP proxy (`lantern serve`).
