//! Lantern's desktop window (`lantern ui`): approval panel, session browser, stats.
