//! The page a "this wasn't me" link opens (`/not-me#token=..`): static HTML, a style sheet
//! and a small script, all from this origin, under a policy that allows nothing else. The
//! script reads the token from the fragment and posts it to `/v1/auth/not-me` only when the
//! person presses the button.

pub const HTML: &str = include_str!("page.html");
pub const SCRIPT: &str = include_str!("page.js");
pub const STYLE: &str = include_str!("page.css");

/// Only this origin's script, style and `fetch`; no frames, forms, or anything else.
pub const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                          connect-src 'self'; base-uri 'none'; form-action 'none'; \
                          frame-ancestors 'none'";
