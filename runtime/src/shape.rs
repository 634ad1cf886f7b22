//! Partial parsing: a [`Shape`] says which parts of a JSON document a compiled mapping reads, and
//! [`parse`] builds a borrowed [`Node`] tree holding only those parts. Everything else is
//! scanned (and checked to be JSON) without being built; strings are borrowed from the body
//! where they have no escapes; object keys that the shape names come from the shape. Compiled
//! mappings read the tree through [`crate::json::Json`], exactly as they would read the whole
//! document.
//!
//! The scanner is this module's own (docs/decisions/0008): going through `serde`'s visitors
//! costs a call per key for the keys a shape compares, where a scanner compares them in place.
//! It accepts exactly the JSON that `serde_json` accepts, and hands the rare hard cases (escaped
//! strings, numbers that are not plain unsigned integers) to `serde_json`, so values come out
//! identical to a full parse.

use std::fmt;
use std::ops::Range;

use bumpalo::Bump;
use bumpalo::collections::Vec as BumpVec;
use serde_json::Number;

use crate::json::Node;

/// Which parts of a value are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// The whole value.
    All,
    /// Only these keys of an object. Scalars are kept as they are; an array becomes empty (no
    /// path enters it).
    Keys(&'static [(&'static str, Shape)]),
    /// Every element of an array shaped alike; element arrays are shaped element by element
    /// (a flattening projection reads through them). An object becomes empty.
    Each(&'static Shape),
    /// The records of a list response, each shaped alike. [`parse_records`] hands each record
    /// to a callback as soon as it is read and keeps none (the array stays empty), so only one
    /// record's nodes are in memory at a time; [`parse`] keeps them, as [`Shape::Each`] does.
    Records(&'static Shape),
}

/// Why a body is not JSON, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    message: String,
    line: usize,
    column: usize,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at line {} column {}",
            self.message, self.line, self.column
        )
    }
}

impl std::error::Error for ParseError {}

/// A `serde_json` error's message without its position (which is within the piece it read,
/// not the body: the body's position is added once, by [`ParseError`]).
fn without_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    text.strip_suffix(&suffix).unwrap_or(&text).to_owned()
}

/// How deep arrays and objects may nest (as in `serde_json`): deeper input is an error, not a
/// stack overflow.
const MAX_DEPTH: u32 = 128;

/// Parses `text`, keeping what `shape` names; arrays, objects and unescaped copies of escaped
/// strings go into `arena`.
pub fn parse<'a>(text: &'a [u8], shape: &Shape, arena: &'a Bump) -> Result<Node<'a>, ParseError> {
    Parser::<std::convert::Infallible>::new(text, arena, None)
        .document(shape)
        .map_err(|failure| match failure {
            Failure::Json(e) => e,
            Failure::Record(never) => match never {},
        })
}

/// Why [`parse_records`] stopped: the body is not JSON, or the callback refused a record.
#[derive(Debug)]
pub enum Failure<E> {
    Json(ParseError),
    Record(E),
}

/// A callback that receives each record of a list response and where its JSON text is in the
/// body (a byte range).
pub type OnRecord<'c, E> = dyn FnMut(&Node<'_>, Range<usize>) -> Result<(), E> + 'c;

/// Parses a list response whose `shape` holds a [`Shape::Records`]: each record is handed to
/// `on_record` (with its place in `text`) as soon as it is read, in a scratch arena reused from
/// record to record. Returns the rest of the page (pagination signals), with the records array
/// empty.
pub fn parse_records<'a, E>(
    text: &'a [u8],
    shape: &Shape,
    arena: &'a Bump,
    on_record: &mut OnRecord<'_, E>,
) -> Result<Node<'a>, Failure<E>> {
    Parser::new(text, arena, Some(on_record)).document(shape)
}

/// A parse stopped; the parser holds the reason (results stay small on the hot path).
struct Failed;

type Step<T> = Result<T, Failed>;

struct Parser<'a, 'c, E> {
    text: &'a [u8],
    pos: usize,
    arena: &'a Bump,
    depth: u32,
    on_record: Option<&'c mut OnRecord<'c, E>>,
    failure: Option<Failure<E>>,
    /// The string literal scanned last.
    literal: Literal,
}

/// A string literal's content, `text[start..end]`, with the number of escapes in it. The
/// scanner leaves it in the parser rather than returning it: on every string's path, a small
/// struct returned through memory and copied as one wide load stalls store forwarding.
#[derive(Debug, Clone, Copy, Default)]
struct Literal {
    start: usize,
    end: usize,
    escapes: usize,
}

impl<'a, 'c, E> Parser<'a, 'c, E> {
    fn new(text: &'a [u8], arena: &'a Bump, on_record: Option<&'c mut OnRecord<'c, E>>) -> Self {
        Parser {
            text,
            pos: 0,
            arena,
            depth: 0,
            on_record,
            failure: None,
            literal: Literal::default(),
        }
    }

    /// The whole text: one value, then only whitespace.
    fn document(mut self, shape: &Shape) -> Result<Node<'a>, Failure<E>> {
        let node = self.value(shape).and_then(|node| {
            self.whitespace();
            if self.pos < self.text.len() {
                return self.error("trailing characters");
            }
            Ok(node)
        });
        node.map_err(|Failed| {
            self.failure
                .take()
                .unwrap_or_else(|| Failure::Json(self.describe(self.pos, "invalid JSON")))
        })
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    fn whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.pos += 1;
        }
    }

    fn error<T>(&mut self, message: impl Into<String>) -> Step<T> {
        self.error_at(self.pos, message)
    }

    #[cold]
    #[inline(never)]
    fn error_at<T>(&mut self, pos: usize, message: impl Into<String>) -> Step<T> {
        self.failure = Some(Failure::Json(self.describe(pos, message.into())));
        Err(Failed)
    }

    fn describe(&self, pos: usize, message: impl Into<String>) -> ParseError {
        let before = &self.text[..pos.min(self.text.len())];
        let line_start = before
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i + 1);
        ParseError {
            message: message.into(),
            line: 1 + before.iter().filter(|b| **b == b'\n').count(),
            column: 1 + before.len() - line_start,
        }
    }

    /// A value, built as far as `shape` says. Inlined, so that scalars are built where they
    /// are stored; arrays and objects are calls.
    #[inline]
    fn value(&mut self, shape: &Shape) -> Step<Node<'a>> {
        self.whitespace();
        match self.peek() {
            Some(b'{') => self.object(shape),
            Some(b'[') => self.array(shape),
            Some(b'"') => {
                self.string_literal()?;
                self.literal_text().map(Node::Str)
            }
            Some(b't') => self.literal(b"true", Node::Bool(true)),
            Some(b'f') => self.literal(b"false", Node::Bool(false)),
            Some(b'n') => self.literal(b"null", Node::Null),
            Some(b'-' | b'0'..=b'9') => self.number(true),
            Some(_) => self.error("expected value"),
            None => self.error("EOF while parsing a value"),
        }
    }

    /// Scans a value without building it: one loop, the open arrays and objects kept as bits.
    fn skip(&mut self) -> Step<()> {
        // Bit `i` of `objects` is set when the container at nesting `i` is an object.
        let mut objects: u128 = 0;
        let mut depth: u32 = 0;
        loop {
            // A value.
            self.whitespace();
            match self.peek() {
                Some(open @ (b'{' | b'[')) => {
                    if self.depth + depth >= MAX_DEPTH {
                        return self.error("recursion limit exceeded");
                    }
                    self.pos += 1;
                    self.whitespace();
                    let close = if open == b'{' { b'}' } else { b']' };
                    if self.peek() == Some(close) {
                        self.pos += 1;
                    } else {
                        objects = objects & !(1 << depth) | u128::from(open == b'{') << depth;
                        depth += 1;
                        if open == b'{' {
                            self.member_key()?;
                        }
                        continue;
                    }
                }
                Some(b'"') => {
                    self.string_literal()?;
                }
                Some(b't') => {
                    self.literal(b"true", Node::Null)?;
                }
                Some(b'f') => {
                    self.literal(b"false", Node::Null)?;
                }
                Some(b'n') => {
                    self.literal(b"null", Node::Null)?;
                }
                Some(b'-' | b'0'..=b'9') => {
                    self.number(false)?;
                }
                Some(_) => return self.error("expected value"),
                None => return self.error("EOF while parsing a value"),
            }
            // After a value: close what ends here, up to the next member or element.
            loop {
                if depth == 0 {
                    return Ok(());
                }
                let object = objects >> (depth - 1) & 1 == 1;
                self.whitespace();
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        if object {
                            self.whitespace();
                            self.member_key()?;
                        }
                        break;
                    }
                    Some(b'}') if object => {
                        self.pos += 1;
                        depth -= 1;
                    }
                    Some(b']') if !object => {
                        self.pos += 1;
                        depth -= 1;
                    }
                    Some(_) if object => return self.error("expected `,` or `}`"),
                    Some(_) => return self.error("expected `,` or `]`"),
                    None if object => return self.error("EOF while parsing an object"),
                    None => return self.error("EOF while parsing a list"),
                }
            }
        }
    }

    /// A skipped member's key and colon.
    #[inline]
    fn member_key(&mut self) -> Step<()> {
        if self.peek() != Some(b'"') {
            return self.error("key must be a string");
        }
        self.string_literal()?;
        self.colon()
    }

    fn enter(&mut self) -> Step<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.error("recursion limit exceeded");
        }
        self.pos += 1;
        self.whitespace();
        Ok(())
    }

    /// After a member or element: `true` on `,`, `false` on the closing `close`.
    #[inline]
    fn next(&mut self, close: u8, what: &str) -> Step<bool> {
        self.whitespace();
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                self.whitespace();
                Ok(true)
            }
            Some(b) if b == close => {
                self.pos += 1;
                self.depth -= 1;
                Ok(false)
            }
            Some(_) => self.error(format!("expected `,` or `{}`", close as char)),
            None => self.error(format!("EOF while parsing {what}")),
        }
    }

    #[inline(never)]
    fn object(&mut self, shape: &Shape) -> Step<Node<'a>> {
        self.enter()?;
        let mut members = BumpVec::with_capacity_in(
            match shape {
                Shape::Keys(keys) => keys.len(),
                _ => 0,
            },
            self.arena,
        );
        if self.peek() == Some(b'}') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(Node::Object(&[]));
        }
        loop {
            if self.peek() != Some(b'"') {
                return self.error("key must be a string");
            }
            self.string_literal()?;
            match shape {
                Shape::All => {
                    let key = self.literal_text()?;
                    self.colon()?;
                    members.push((key, self.value(&Shape::All)?));
                }
                Shape::Keys(keys) => {
                    let found = self.find_key(keys);
                    self.colon()?;
                    match found {
                        Some((name, shape)) => members.push((*name, self.value(shape)?)),
                        None => self.skip()?,
                    }
                }
                // An object where an array was expected: a projection yields nothing from it.
                Shape::Each(_) | Shape::Records(_) => {
                    self.colon()?;
                    self.skip()?;
                }
            }
            if !self.next(b'}', "an object")? {
                break;
            }
        }
        Ok(Node::Object(members.into_bump_slice()))
    }

    /// The shape's entry for the key just scanned, compared as bytes (keys not kept are not
    /// checked to be UTF-8; an escaped key that is not text matches nothing).
    fn find_key(
        &self,
        keys: &'static [(&'static str, Shape)],
    ) -> Option<&'static (&'static str, Shape)> {
        let Literal {
            start,
            end,
            escapes,
        } = self.literal;
        if escapes > 0 {
            let key = serde_json::from_slice::<String>(self.quoted()).ok();
            return key.and_then(|key| keys.iter().find(|(k, _)| *k == key));
        }
        let bytes = &self.text[start..end];
        // Length and first byte rule most keys out without a call to `memcmp`.
        let first = bytes.first();
        keys.iter().find(|(k, _)| {
            k.len() == bytes.len() && k.as_bytes().first() == first && k.as_bytes() == bytes
        })
    }

    fn colon(&mut self) -> Step<()> {
        self.whitespace();
        match self.peek() {
            Some(b':') => {
                self.pos += 1;
                Ok(())
            }
            Some(_) => self.error("expected `:`"),
            None => self.error("EOF while parsing an object"),
        }
    }

    #[inline(never)]
    fn array(&mut self, shape: &Shape) -> Step<Node<'a>> {
        if let Shape::Records(element) = shape
            && self.on_record.is_some()
        {
            return self.records(element);
        }
        self.enter()?;
        // Element arrays take the array's shape again; other elements the element's shape.
        let element = match shape {
            Shape::All => Some(&Shape::All),
            Shape::Each(element) | Shape::Records(element) => Some(*element),
            // An array where an object was expected: no path enters it.
            Shape::Keys(_) => None,
        };
        let mut items = BumpVec::new_in(self.arena);
        if self.peek() == Some(b']') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(Node::Array(&[]));
        }
        loop {
            match element {
                Some(element) => {
                    let item = if self.peek() == Some(b'[') {
                        self.array(shape)?
                    } else {
                        self.value(element)?
                    };
                    items.push(item);
                }
                None => {
                    self.skip()?;
                }
            }
            if !self.next(b']', "a list")? {
                break;
            }
        }
        Ok(Node::Array(items.into_bump_slice()))
    }

    /// The records array: each record is parsed into a scratch arena, handed to the callback
    /// with its text, and dropped before the next.
    fn records(&mut self, element: &Shape) -> Step<Node<'a>> {
        self.enter()?;
        if self.peek() == Some(b']') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(Node::Array(&[]));
        }
        let mut scratch = Bump::new();
        loop {
            let start = self.pos;
            let mut record = Parser::<E>::new(self.text, &scratch, None);
            record.pos = start;
            record.depth = self.depth;
            let node = record.value(element);
            self.pos = record.pos;
            let node = match node {
                Ok(node) => node,
                Err(Failed) => {
                    self.failure = record.failure.take();
                    return Err(Failed);
                }
            };
            if let Some(on_record) = self.on_record.as_mut()
                && let Err(e) = on_record(&node, start..self.pos)
            {
                self.failure = Some(Failure::Record(e));
                return Err(Failed);
            }
            scratch.reset();
            if !self.next(b']', "a list")? {
                break;
            }
        }
        Ok(Node::Array(&[]))
    }

    fn literal(&mut self, word: &[u8], node: Node<'a>) -> Step<Node<'a>> {
        if self.text[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(node)
        } else {
            self.error("expected ident")
        }
    }

    /// Scans a number; builds it when `keep`. Plain unsigned integers are read here, anything
    /// else by `serde_json`, so every number comes out as a full parse gives it.
    fn number(&mut self, keep: bool) -> Step<Node<'a>> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return self.error("invalid number"),
        }
        let mut plain = self.text[start] != b'-';
        if self.peek() == Some(b'.') {
            plain = false;
            self.pos += 1;
            self.required_digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            plain = false;
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            self.required_digits()?;
        }
        if !keep {
            return Ok(Node::Null);
        }
        let digits = &self.text[start..self.pos];
        if plain && digits.len() <= 19 {
            let n = digits
                .iter()
                .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
            return Ok(Node::Number(n.into(), None));
        }
        match serde_json::from_slice::<Number>(digits) {
            Ok(n) => {
                // Kept only when the number would print otherwise (rare: the cost of a check).
                let exact = n.to_string().as_bytes() == digits;
                let text = std::str::from_utf8(digits).ok().filter(|_| !exact);
                Ok(Node::Number(n, text))
            }
            Err(e) => self.error_at(start, without_position(&e)),
        }
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }

    fn required_digits(&mut self) -> Step<()> {
        match self.peek() {
            Some(b'0'..=b'9') => {
                self.digits();
                Ok(())
            }
            Some(_) => self.error("invalid number"),
            None => self.error("EOF while parsing a value"),
        }
    }

    /// Scans a string literal (at its opening quote), checking its escapes; see
    /// [`Parser::literal`].
    #[inline(always)]
    fn string_literal(&mut self) -> Step<()> {
        self.pos += 1;
        let start = self.pos;
        let mut escapes = 0;
        loop {
            let at = next_special(self.text, self.pos);
            self.pos = at;
            match self.text.get(at) {
                Some(b'"') => {
                    self.pos += 1;
                    self.literal = Literal {
                        start,
                        end: at,
                        escapes,
                    };
                    return Ok(());
                }
                Some(b'\\') => {
                    escapes += 1;
                    self.pos += 1;
                    self.escape()?;
                }
                Some(_) => {
                    return self
                        .error("control character (\\u0000-\\u001F) found while parsing a string");
                }
                None => return self.error("EOF while parsing a string"),
            }
        }
    }

    fn escape(&mut self) -> Step<()> {
        match self.peek() {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.pos += 1,
            Some(b'u') => {
                self.pos += 1;
                for _ in 0..4 {
                    match self.peek() {
                        Some(h) if h.is_ascii_hexdigit() => self.pos += 1,
                        Some(_) => return self.error("invalid escape"),
                        None => return self.error("EOF while parsing a string"),
                    }
                }
            }
            Some(_) => return self.error("invalid escape"),
            None => return self.error("EOF while parsing a string"),
        }
        Ok(())
    }

    /// The string literal scanned last, with its quotes.
    fn quoted(&self) -> &'a [u8] {
        let Literal { start, end, .. } = self.literal;
        &self.text[start - 1..=end]
    }

    /// The text of the string literal scanned last: borrowed from the body, or unescaped (by
    /// `serde_json`) into the arena.
    fn literal_text(&mut self) -> Step<&'a str> {
        let Literal {
            start,
            end,
            escapes,
        } = self.literal;
        if escapes == 0 {
            return std::str::from_utf8(&self.text[start..end])
                .or_else(|e| self.error_at(start + e.valid_up_to(), "invalid unicode code point"));
        }
        match serde_json::from_slice::<String>(self.quoted()) {
            Ok(s) => Ok(self.arena.alloc_str(&s)),
            Err(e) => self.error_at(start - 1, without_position(&e)),
        }
    }
}

/// The index of the first `"`, `\\` or control character at or after `from` (the text's length
/// when there is none), eight bytes at a time.
#[inline]
fn next_special(text: &[u8], from: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let is_special = |b: u8| b == b'"' || b == b'\\' || b < 0x20;
    // Empty strings and escapes in a row end at once.
    match text.get(from) {
        Some(&b) if is_special(b) => return from,
        None => return from,
        Some(_) => {}
    }
    let rest = &text[from + 1..];
    let mut chunks = rest.chunks_exact(8);
    for (i, chunk) in chunks.by_ref().enumerate() {
        let mut bytes = [0; 8];
        bytes.copy_from_slice(chunk);
        let word = u64::from_le_bytes(bytes);
        let quote = word ^ (ONES * u64::from(b'"'));
        let backslash = word ^ (ONES * u64::from(b'\\'));
        // Per byte: equal to `"`, equal to `\`, or below 0x20. Borrows can only mark bytes after
        // the first real match, so the lowest mark is exact.
        let marks = (quote.wrapping_sub(ONES) & !quote
            | backslash.wrapping_sub(ONES) & !backslash
            | word.wrapping_sub(ONES * 0x20) & !word)
            & HIGH;
        if marks != 0 {
            return from + 1 + i * 8 + (marks.trailing_zeros() / 8) as usize;
        }
    }
    let tail = chunks.remainder();
    let done = rest.len() - tail.len();
    from + 1
        + done
        + tail
            .iter()
            .position(|&b| is_special(b))
            .unwrap_or(tail.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::Json;
    use serde_json::json;

    static RECORD: Shape = Shape::Keys(&[
        ("id", Shape::All),
        ("contact", Shape::Keys(&[("name", Shape::All)])),
        ("labels", Shape::Each(&Shape::Keys(&[("name", Shape::All)]))),
    ]);

    #[test]
    fn keeps_only_what_the_shape_names() {
        let text =
            br#"{"id": 1, "big": {"x": [1,2,3]}, "contact": {"name": "Ada \"A\"", "email": "a@b"},
            "labels": [{"name": "x", "color": "red"}, [{"name": "y"}], 3, null]}"#;
        let arena = Bump::new();
        let v = parse(text, &RECORD, &arena).unwrap().to_value();
        assert_eq!(
            v,
            json!({"id": 1, "contact": {"name": "Ada \"A\""}, "labels": [{"name": "x"}, [{"name": "y"}], 3, null]})
        );
    }

    #[test]
    fn strings_are_borrowed_when_they_can_be() {
        let text = br#"{"id": "plain", "contact": {"name": "esc\u00e9"}}"#;
        let arena = Bump::new();
        let node = parse(text, &RECORD, &arena).unwrap();
        let Some(Node::Str(id)) = node.get("id") else {
            panic!("a string")
        };
        assert!(
            text.as_ptr_range().contains(&id.as_ptr()),
            "borrowed from the body"
        );
        assert_eq!(
            node.get("contact").and_then(|c| c.get("name")),
            Some(&Node::Str("esc\u{e9}"))
        );
    }

    #[test]
    fn unexpected_kinds_are_harmless() {
        let arena = Bump::new();
        let v = parse(
            br#"{"contact": "just text", "labels": {"name": "not an array"}}"#,
            &RECORD,
            &arena,
        )
        .unwrap();
        assert_eq!(v.to_value(), json!({"contact": "just text", "labels": {}}));
        let v = parse(br#"{"contact": [1, 2]}"#, &RECORD, &arena).unwrap();
        assert_eq!(v.to_value(), json!({"contact": []}));
        assert!(parse(b"{\"id\": ", &RECORD, &arena).is_err());
        let dup = parse(br#"{"id": 1, "id": 2}"#, &RECORD, &arena).unwrap();
        assert_eq!(dup.get("id").map(Json::to_value), Some(json!(2)));
    }
}
