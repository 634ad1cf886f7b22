//! Keeping an account's secrets out of everything that leaves the runtime: error messages,
//! provider bodies kept in errors, error details and URLs. A [`Redactor`] knows every secret of
//! one client — the static credentials and the tokens fetched at run time (OAuth2, login) — and
//! the forms in which a provider may echo one: as sent, JSON-escaped (`\uXXXX` in any mix with
//! plain characters), percent-encoded (either hex case, `+` for spaces) and base64 (standard
//! and URL-safe, padded or not).
//!
//! Only a bounded prefix of any text is read, so redacting a huge body costs no more than
//! redacting the part that is kept.

use std::sync::RwLock;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use crate::error::Error;
use crate::secret::Secret;

/// What stands in for a secret.
pub(crate) const MARK: &str = "[REDACTED]";

/// Longest provider body kept in an error (bytes, before the ellipsis).
pub(crate) const MAX_KEPT: usize = 4096;

/// Fetched tokens remembered for redaction: the current one and a few before it (a provider
/// may echo a token that was just replaced).
const TOKENS_KEPT: usize = 8;

/// The secrets of one client and the forms they may appear in.
#[derive(Default)]
pub(crate) struct Redactor {
    inner: RwLock<Forms>,
}

#[derive(Default)]
struct Forms {
    /// Every form of every static secret, longest first.
    fixed: Vec<String>,
    /// The forms of each fetched token, newest last.
    tokens: Vec<Vec<String>>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Redactor(***)")
    }
}

impl Redactor {
    pub(crate) fn new<'a>(secrets: impl IntoIterator<Item = &'a Secret>) -> Self {
        let mut fixed: Vec<String> = secrets
            .into_iter()
            .flat_map(|s| forms(s.expose()))
            .collect();
        sort(&mut fixed);
        Redactor {
            inner: RwLock::new(Forms {
                fixed,
                tokens: Vec::new(),
            }),
        }
    }

    /// Adds a token fetched at run time.
    pub(crate) fn add_token(&self, token: &Secret) {
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        let forms = forms(token.expose());
        if forms.is_empty() || inner.tokens.contains(&forms) {
            return;
        }
        if inner.tokens.len() == TOKENS_KEPT {
            inner.tokens.remove(0);
        }
        inner.tokens.push(forms);
    }

    /// Every form, longest first.
    fn all(&self) -> Vec<String> {
        let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
        let mut all: Vec<String> = inner.fixed.clone();
        all.extend(inner.tokens.iter().flatten().cloned());
        sort(&mut all);
        all
    }

    /// `text` with every secret replaced, in any of its forms.
    #[cfg(test)]
    pub(crate) fn text(&self, text: &str) -> String {
        replace_all(text, &self.all())
    }

    /// A provider body to keep in an error: its first [`MAX_KEPT`] bytes as text, redacted,
    /// with `…` when it was cut. Only that prefix (and as much beyond it as the longest secret
    /// form, so that no secret straddling the cut survives in part) is read.
    pub(crate) fn body(&self, bytes: &[u8]) -> String {
        let all = self.all();
        let longest = all.first().map_or(0, String::len);
        let window = &bytes[..bytes.len().min(MAX_KEPT + longest)];
        let text = String::from_utf8_lossy(window);
        let mut text = replace_all(&text, &all);
        let cut = bytes.len() > window.len() || text.len() > MAX_KEPT;
        if text.len() > MAX_KEPT {
            let mut end = MAX_KEPT;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text.truncate(end);
        }
        if cut {
            text.push('…');
        }
        text
    }

    /// A whole body passed on to a caller (a proxy's answer), every secret replaced.
    pub(crate) fn whole(&self, bytes: &[u8]) -> String {
        replace_all(&String::from_utf8_lossy(bytes), &self.all())
    }

    /// The error with every secret replaced in its message, body, details and field.
    pub(crate) fn error(&self, e: Error) -> Error {
        let all = self.all();
        e.map_text(&|s| replace_all(s, &all))
    }
}

pub(crate) fn walk(value: &mut serde_json::Value, f: &dyn Fn(&str) -> String) {
    match value {
        serde_json::Value::String(s) => *s = f(s),
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| walk(v, f)),
        serde_json::Value::Object(members) => {
            let old = std::mem::take(members);
            for (k, mut v) in old {
                walk(&mut v, f);
                members.insert(f(&k), v);
            }
        }
        _ => {}
    }
}

fn sort(forms: &mut Vec<String>) {
    forms.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    forms.dedup();
}

/// The forms in which `secret` may appear in a provider's answer or a URL.
fn forms(secret: &str) -> Vec<String> {
    if secret.is_empty() {
        return Vec::new();
    }
    let mut out = vec![secret.to_owned()];
    let percent = utf8_percent_encode(secret, NON_ALPHANUMERIC).to_string();
    out.push(percent.to_ascii_lowercase());
    out.push(percent.replace("%20", "+"));
    out.push(url::form_urlencoded::byte_serialize(secret.as_bytes()).collect());
    out.push(percent);
    for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
        out.push(engine.encode(secret));
    }
    // JSON: the usual escaping, and every character as `\uXXXX` (mixed forms are found by
    // decoding string literals, see `replace_all`).
    let json = serde_json::to_string(secret).unwrap_or_default();
    if let Some(inner) = json.strip_prefix('"').and_then(|j| j.strip_suffix('"')) {
        out.push(inner.to_owned());
    }
    let escaped: String = secret
        .encode_utf16()
        .map(|u| format!("\\u{u:04x}"))
        .collect();
    out.push(escaped.to_ascii_uppercase().replace("\\U", "\\u"));
    out.push(escaped);
    sort(&mut out);
    out.retain(|f| !f.is_empty());
    out
}

/// `text` with every form replaced. JSON string literals holding escapes are decoded first, so
/// that a secret spelt with any mix of escapes is found; such a literal is written back with
/// the usual escaping.
fn replace_all(text: &str, forms: &[String]) -> String {
    if forms.is_empty() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('"') {
        let (before, from_quote) = rest.split_at(start);
        out.push_str(before);
        match literal_end(from_quote) {
            Some(end) if from_quote[..end].contains('\\') => {
                let literal = &from_quote[..end];
                match serde_json::from_str::<String>(literal) {
                    Ok(decoded) => {
                        let clean = replace_plain(&decoded, forms);
                        if clean == decoded {
                            out.push_str(literal);
                        } else {
                            out.push_str(&serde_json::to_string(&clean).unwrap_or_default());
                        }
                    }
                    Err(_) => out.push_str(literal),
                }
                rest = &from_quote[end..];
            }
            Some(end) => {
                out.push_str(&from_quote[..end]);
                rest = &from_quote[end..];
            }
            // A literal cut off by the end of the text (a truncated body): decoded as far as
            // it reads.
            None => {
                out.push_str(&open_literal(from_quote, forms));
                rest = "";
            }
        }
    }
    out.push_str(rest);
    replace_plain(&out, forms)
}

/// An unterminated literal (`"` and what follows), redacted as far as it decodes.
fn open_literal(s: &str, forms: &[String]) -> String {
    let mut end = s.len();
    for _ in 0..12 {
        if let Ok(decoded) = serde_json::from_str::<String>(&format!("{}\"", &s[..end])) {
            let clean = replace_plain(&decoded, forms);
            if clean == decoded {
                return s.to_owned();
            }
            let encoded = serde_json::to_string(&clean).unwrap_or_default();
            return encoded[..encoded.len() - 1].to_owned();
        }
        match s[..end].char_indices().next_back() {
            Some((i, _)) if i > 0 => end = i,
            _ => break,
        }
    }
    s.to_owned()
}

/// The length of the JSON string literal at the start of `s` (which starts with `"`).
fn literal_end(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

fn replace_plain(text: &str, forms: &[String]) -> String {
    let mut text = text.to_owned();
    for form in forms {
        if text.contains(form.as_str()) {
            text = text.replace(form.as_str(), MARK);
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redactor() -> Redactor {
        Redactor::new(&[Secret::new("s3cr/t k+y"), Secret::new("abc")])
    }

    #[test]
    fn every_encoded_form_is_redacted() {
        let r = redactor();
        let secret = "s3cr/t k+y";
        let percent = utf8_percent_encode(secret, NON_ALPHANUMERIC).to_string();
        let escaped: String = secret
            .chars()
            .map(|c| format!("\\u{:04X}", c as u32))
            .collect();
        let mixed = "\"s\\u0033cr\\/t k+y\"";
        for text in [
            secret.to_owned(),
            percent.clone(),
            percent.to_ascii_lowercase(),
            url::form_urlencoded::byte_serialize(secret.as_bytes()).collect(),
            STANDARD.encode(secret),
            URL_SAFE_NO_PAD.encode(secret),
            format!("\"{escaped}\""),
            mixed.to_owned(),
        ] {
            let out = r.text(&format!("before {text} after"));
            assert!(out.contains(MARK), "{text} → {out}");
            assert!(
                !out.contains("s3cr") && !out.contains("3cr"),
                "{text} → {out}"
            );
        }
    }

    #[test]
    fn fetched_tokens_join_the_secrets() {
        let r = redactor();
        assert_eq!(r.text("tok-123"), "tok-123");
        r.add_token(&Secret::new("tok-123"));
        assert_eq!(r.text("{\"t\": \"tok-123\"}"), "{\"t\": \"[REDACTED]\"}");
        for i in 0..20 {
            r.add_token(&Secret::new(format!("later-{i}")));
        }
        assert_eq!(r.text("later-19 later-12"), "[REDACTED] [REDACTED]");
    }

    #[test]
    fn bodies_are_cut_after_redaction_and_read_only_as_far_as_needed() {
        let r = redactor();
        let mut body = "x".repeat(MAX_KEPT - 2).into_bytes();
        body.extend_from_slice(b"s3cr/t k+y and more");
        let kept = r.body(&body);
        assert!(!kept.contains("s3"), "no part of a secret at the cut");
        assert!(kept.ends_with('…'));
        assert_eq!(r.body(b"short abc"), "short [REDACTED]");
        let e = r.error(
            Error::new(crate::ErrorKind::Validation, "p", "abc").with_details(Some(
                serde_json::json!({"abc": ["abc", {"k": "xabcx"}], "n": 1}),
            )),
        );
        assert_eq!(e.message(), "[REDACTED]");
        assert_eq!(
            e.details(),
            Some(&serde_json::json!({"[REDACTED]": ["[REDACTED]", {"k": "x[REDACTED]x"}], "n": 1}))
        );
    }

    #[test]
    fn broken_literals_do_not_stop_redaction() {
        let r = redactor();
        assert_eq!(r.text("\"unterminated abc"), "\"unterminated [REDACTED]");
        assert_eq!(r.text("\"bad \\q\" abc"), "\"bad \\q\" [REDACTED]");
    }
}
