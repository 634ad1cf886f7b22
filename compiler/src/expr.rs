//! Response expressions: JMESPath parsed by the `jmespath` crate and lowered to the subset that
//! the compiler turns into direct Rust access. The runtime's interpreter evaluates the same text
//! with `jmespath` itself, so both paths agree on every payload.
//!
//! Lowered constructs: `@`, field paths `a.b.c`, projections `a[].b` / `a[*].b`, and `x || y`.
//! Anything else is reported as SB009 with the construct named.

use jmespath::ast::Ast;

use crate::diagnostics::{Code, Diagnostic, help_for_name};
use crate::source::Span;
use crate::syntax::Str;

/// Longest expression accepted; `jmespath` has no recursion limit of its own.
pub const MAX_EXPRESSION_LEN: usize = 1024;

/// Deepest nesting of brackets, projections and sub-expressions accepted.
pub const MAX_DEPTH: usize = 32;

/// One field name in a path, with its place in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// `@`: the current value.
    Current,
    /// `a.b.c`, relative to the current value.
    Path(Vec<Segment>),
    /// `lhs || rhs`: `lhs` when it is truthy, otherwise `rhs`.
    Or(Box<Expr>, Box<Expr>),
    /// `base[].then` (`flatten`) or `base[*].then`: `then` on each element, nulls dropped.
    Project {
        base: Box<Expr>,
        then: Box<Expr>,
        flatten: bool,
    },
}

impl Expr {
    /// Whether the expression yields many values (a projection) rather than one.
    pub fn is_many(&self) -> bool {
        matches!(self, Expr::Project { .. })
    }

    /// The expression as JMESPath text (canonical form), for the interpreter.
    pub fn to_jmespath(&self) -> String {
        fn ident(name: &str) -> String {
            let plain = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if plain {
                name.to_owned()
            } else {
                serde_json::Value::String(name.to_owned()).to_string()
            }
        }
        match self {
            Expr::Current => "@".to_owned(),
            Expr::Path(segs) => segs
                .iter()
                .map(|s| ident(&s.name))
                .collect::<Vec<_>>()
                .join("."),
            Expr::Or(a, b) => format!("{} || {}", a.to_jmespath(), b.to_jmespath()),
            Expr::Project {
                base,
                then,
                flatten,
            } => {
                let base = base.to_jmespath();
                let base = if base == "@" { String::new() } else { base };
                let op = if *flatten { "[]" } else { "[*]" };
                match then.as_ref() {
                    Expr::Current => format!("{base}{op}"),
                    then => format!("{base}{op}.{}", then.to_jmespath()),
                }
            }
        }
    }

    /// The dotted path when the expression is a plain path.
    /// The expression as a records path: a plain path, or one that goes through arrays
    /// (`messages[].attachments`: each message's attachments, one after another), with `[]`
    /// segments where it does. `None` for anything else.
    pub fn as_records_path(&self) -> Option<Vec<&str>> {
        match self {
            Expr::Project {
                base,
                then,
                flatten: true,
            } => {
                let mut path = base.as_records_path()?;
                path.push("[]");
                path.extend(then.as_records_path()?);
                Some(path)
            }
            other => other.as_path(),
        }
    }

    /// The paths the expression reads from the current value: a projection reads its base,
    /// and its `then` inside each element (`tags[].name` reads `tags` and `tags.name`).
    pub fn read_paths(&self) -> Vec<Vec<String>> {
        match self {
            Expr::Current => vec![Vec::new()],
            Expr::Path(segs) => vec![segs.iter().map(|s| s.name.clone()).collect()],
            Expr::Or(a, b) => [a.read_paths(), b.read_paths()].concat(),
            Expr::Project { base, then, .. } => {
                let bases = base.read_paths();
                let mut out = bases.clone();
                for b in &bases {
                    for t in then.read_paths() {
                        out.push([b.clone(), t].concat());
                    }
                }
                out
            }
        }
    }

    pub fn as_path(&self) -> Option<Vec<&str>> {
        match self {
            Expr::Current => Some(Vec::new()),
            Expr::Path(segs) => Some(segs.iter().map(|s| s.name.as_str()).collect()),
            _ => None,
        }
    }
}

/// Parses and lowers one expression, reporting problems at their place in the file.
pub fn lower(text: &Str, diags: &mut Vec<Diagnostic>) -> Option<Expr> {
    let src = text.value.as_str();
    let verbatim = text.span.end - text.span.start == src.len();
    // `jmespath` counts offsets in characters; spans are in bytes.
    let at = |offset: usize, len: usize| {
        if !verbatim {
            return text.span;
        }
        let byte = |chars: usize| src.char_indices().nth(chars).map_or(src.len(), |(i, _)| i);
        let start = byte(offset);
        let end = byte(offset + len.max(1));
        text.span.slice(start, end - start)
    };
    if src.len() > MAX_EXPRESSION_LEN {
        diags.push(
            Diagnostic::new(
                Code::ExpressionTooLong,
                text.span.slice(0, 1),
                "expression is too long",
            )
            .with_label(format!("{} characters", src.len()))
            .with_help(format!(
                "keep expressions under {MAX_EXPRESSION_LEN} characters"
            )),
        );
        return None;
    }
    // `jmespath` parses recursively without a limit: refuse deep nesting before parsing.
    let mut depth = 0usize;
    let mut deepest = (0usize, 0usize);
    for (i, c) in src.chars().enumerate() {
        match c {
            '(' | '[' | '{' => {
                depth += 1;
                if depth > deepest.0 {
                    deepest = (depth, i);
                }
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    if deepest.0 > MAX_DEPTH {
        diags.push(
            Diagnostic::new(
                Code::ExpressionTooDeep,
                at(deepest.1, 1),
                "expression is nested too deeply",
            )
            .with_label(format!("more than {MAX_DEPTH} levels"))
            .with_help("split the mapping, or map a shallower path"),
        );
        return None;
    }
    let ast = match jmespath::parse(src) {
        Ok(ast) => ast,
        Err(err) => {
            let reason = match &err.reason {
                jmespath::ErrorReason::Parse(m) => m.clone(),
                other => other.to_string(),
            };
            diags.push(
                Diagnostic::new(
                    Code::JmespathSyntax,
                    at(err.offset, 1),
                    "invalid JMESPath expression",
                )
                .with_label(reason)
                .with_help("write a JMESPath expression such as `contact.name` or `labels[].name`"),
            );
            return None;
        }
    };
    let mut lowering = Lowering {
        src,
        at: &at,
        diags,
    };
    lowering.lower(&ast, 0)
}

struct Lowering<'a, F: Fn(usize, usize) -> Span> {
    src: &'a str,
    at: &'a F,
    diags: &'a mut Vec<Diagnostic>,
}

impl<F: Fn(usize, usize) -> Span> Lowering<'_, F> {
    fn unsupported(&mut self, offset: usize, what: &str) -> Option<Expr> {
        self.diags.push(
            Diagnostic::new(
                Code::UnsupportedExpression,
                (self.at)(offset, 1),
                format!("{what} cannot be compiled to Rust"),
            )
            .with_label("not supported in compiled mappings")
            .with_help(
                "use field paths (`a.b`), projections (`a[].b`), `@` and `||`; see docs/mapping-language.md",
            ),
        );
        None
    }

    /// Where a field name starts, in characters: the parser's offset is approximate, so look
    /// for the name around it.
    fn field_offset(&self, offset: usize, name: &str) -> usize {
        let chars: Vec<char> = self.src.chars().collect();
        let wanted: Vec<char> = name.chars().collect();
        let matches_at = |i: usize| chars.get(i..i + wanted.len()) == Some(wanted.as_slice());
        if matches_at(offset) {
            return offset;
        }
        let from = offset.saturating_sub(wanted.len() + 2);
        (from..chars.len())
            .find(|&i| matches_at(i))
            .unwrap_or(offset)
    }

    fn lower(&mut self, ast: &Ast, depth: usize) -> Option<Expr> {
        if depth > MAX_DEPTH {
            self.diags.push(
                Diagnostic::new(
                    Code::ExpressionTooDeep,
                    (self.at)(0, 1),
                    "expression is nested too deeply",
                )
                .with_label(format!("more than {MAX_DEPTH} levels"))
                .with_help("split the mapping, or map a shallower path"),
            );
            return None;
        }
        match ast {
            Ast::Identity { .. } => Some(Expr::Current),
            Ast::Field { offset, name } => {
                let start = self.field_offset(*offset, name);
                Some(Expr::Path(vec![Segment {
                    name: name.clone(),
                    span: (self.at)(start, name.chars().count()),
                }]))
            }
            Ast::Subexpr { lhs, rhs, .. } => {
                let lhs = self.lower(lhs, depth + 1)?;
                let rhs = self.lower(rhs, depth + 1)?;
                match (lhs, rhs) {
                    (Expr::Current, r) => Some(r),
                    (l, Expr::Current) => Some(l),
                    (Expr::Path(mut a), Expr::Path(b)) => {
                        a.extend(b);
                        Some(Expr::Path(a))
                    }
                    _ => self.unsupported(ast_offset(ast), "a sub-expression of this shape"),
                }
            }
            Ast::Or { lhs, rhs, .. } => {
                let l = self.lower(lhs, depth + 1)?;
                let r = self.lower(rhs, depth + 1)?;
                if l.is_many() || r.is_many() {
                    return self.unsupported(ast_offset(ast), "`||` with a projection");
                }
                Some(Expr::Or(Box::new(l), Box::new(r)))
            }
            Ast::Projection { lhs, rhs, offset } => {
                let (base, flatten) = match lhs.as_ref() {
                    Ast::Flatten { node, .. } => (node.as_ref(), true),
                    other => (other, false),
                };
                if !matches!(
                    base,
                    Ast::Field { .. } | Ast::Subexpr { .. } | Ast::Identity { .. }
                ) {
                    return self.unsupported(*offset, "this kind of projection");
                }
                let base = self.lower(base, depth + 1)?;
                let then = self.lower(rhs, depth + 1)?;
                if base.is_many() || then.is_many() {
                    return self.unsupported(*offset, "a nested projection");
                }
                Some(Expr::Project {
                    base: Box::new(base),
                    then: Box::new(then),
                    flatten,
                })
            }
            Ast::Flatten { node, offset } => {
                // `a[]` alone: every element of `a`, flattened one level.
                let base = self.lower(node, depth + 1)?;
                if base.is_many() {
                    return self.unsupported(*offset, "a nested projection");
                }
                Some(Expr::Project {
                    base: Box::new(base),
                    then: Box::new(Expr::Current),
                    flatten: true,
                })
            }
            Ast::Literal { offset, .. } => self.unsupported(*offset, "a literal"),
            Ast::Function { offset, name, .. } => {
                let at = self.field_offset(*offset, name);
                self.unsupported(at, &format!("the function `{name}()`"))
            }
            Ast::Comparison { offset, .. } => self.unsupported(*offset, "a comparison"),
            Ast::Condition { offset, .. } => self.unsupported(*offset, "a filter"),
            Ast::Index { offset, .. } => self.unsupported(*offset, "an index"),
            Ast::Slice { offset, .. } => self.unsupported(*offset, "a slice"),
            Ast::MultiList { offset, .. } => self.unsupported(*offset, "a multi-select list"),
            Ast::MultiHash { offset, .. } => self.unsupported(*offset, "a multi-select hash"),
            Ast::And { offset, .. } => self.unsupported(*offset, "`&&`"),
            Ast::Not { offset, .. } => self.unsupported(*offset, "`!`"),
            Ast::ObjectValues { offset, .. } => self.unsupported(*offset, "`*` (object values)"),
            Ast::Expref { offset, .. } => self.unsupported(*offset, "`&` (expression reference)"),
        }
    }
}

fn ast_offset(ast: &Ast) -> usize {
    match ast {
        Ast::Subexpr { offset, .. } | Ast::Or { offset, .. } => *offset,
        _ => 0,
    }
}

/// Checks every path in `expr` against example values: a key that no example has, under a
/// parent that some example does have as an object, is reported with the closest existing key.
pub fn check_against_examples(
    expr: &Expr,
    examples: &[&serde_json::Value],
    diags: &mut Vec<Diagnostic>,
) {
    check_against(expr, examples, None, diags);
}

/// [`check_against_examples`] with one method's own examples: a path its records never hold is
/// reported as missing from that method's answers (a payload of one method contradicts the
/// mapping another method's payload would allow).
pub fn check_against_method_examples(
    expr: &Expr,
    examples: &[&serde_json::Value],
    method: &str,
    diags: &mut Vec<Diagnostic>,
) {
    check_against(expr, examples, Some(method), diags);
}

fn check_against(
    expr: &Expr,
    examples: &[&serde_json::Value],
    method: Option<&str>,
    diags: &mut Vec<Diagnostic>,
) {
    if examples.is_empty() {
        return;
    }
    match expr {
        Expr::Current => {}
        Expr::Path(segs) => check_path(segs, examples, method, diags),
        // One method's answers need only one alternative of a fallback chain (a record carries
        // `created_at_time`, or else `created_at`); each alternative must exist somewhere.
        Expr::Or(a, b) if method.is_some() => {
            let (mut left, mut right) = (Vec::new(), Vec::new());
            check_against(a, examples, method, &mut left);
            check_against(b, examples, method, &mut right);
            if !left.is_empty() && !right.is_empty() {
                diags.extend(left);
                diags.extend(right);
            }
        }
        Expr::Or(a, b) => {
            check_against(a, examples, method, diags);
            check_against(b, examples, method, diags);
        }
        Expr::Project {
            base,
            then,
            flatten,
        } => {
            check_against(base, examples, method, diags);
            let mut elements = Vec::new();
            for ex in examples {
                if let Some(serde_json::Value::Array(items)) = eval_single(base, ex) {
                    for item in items {
                        match item {
                            serde_json::Value::Array(inner) if *flatten => {
                                elements.extend(inner.iter())
                            }
                            other => elements.push(other),
                        }
                    }
                }
            }
            check_against(then, &elements, method, diags);
        }
    }
}

fn eval_single<'v>(expr: &Expr, value: &'v serde_json::Value) -> Option<&'v serde_json::Value> {
    match expr {
        Expr::Current => Some(value),
        Expr::Path(segs) => segs.iter().try_fold(value, |v, s| v.get(&s.name)),
        Expr::Or(a, b) => {
            let left = eval_single(a, value);
            if truthy(left) {
                left
            } else {
                eval_single(b, value)
            }
        }
        Expr::Project { .. } => None,
    }
}

fn truthy(v: Option<&serde_json::Value>) -> bool {
    use serde_json::Value;
    match v {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
        Some(_) => true,
    }
}

/// What an expression yields on an example value: its value, or a projection's elements
/// (nulls left out), for checking types against the unified field.
pub fn sample<'v>(expr: &Expr, value: &'v serde_json::Value) -> Vec<&'v serde_json::Value> {
    match expr {
        Expr::Project {
            base,
            then,
            flatten,
        } => {
            let Some(serde_json::Value::Array(items)) = eval_single(base, value) else {
                return Vec::new();
            };
            let mut elements = Vec::new();
            for item in items {
                match item {
                    serde_json::Value::Array(inner) if *flatten => elements.extend(inner.iter()),
                    other => elements.push(other),
                }
            }
            elements
                .into_iter()
                .filter_map(|e| eval_single(then, e))
                .filter(|v| !v.is_null())
                .collect()
        }
        single => eval_single(single, value)
            .filter(|v| !v.is_null())
            .into_iter()
            .collect(),
    }
}

fn check_path(
    segs: &[Segment],
    examples: &[&serde_json::Value],
    method: Option<&str>,
    diags: &mut Vec<Diagnostic>,
) {
    let mut current: Vec<&serde_json::Value> = examples.to_vec();
    for seg in segs {
        let objects: Vec<&serde_json::Map<String, serde_json::Value>> =
            current.iter().filter_map(|v| v.as_object()).collect();
        if objects.is_empty() {
            // Nothing to compare with (null or absent in every example): cannot judge deeper.
            return;
        }
        let next: Vec<&serde_json::Value> =
            objects.iter().filter_map(|o| o.get(&seg.name)).collect();
        if next.is_empty() {
            let mut keys: Vec<&str> = objects
                .iter()
                .flat_map(|o| o.keys().map(String::as_str))
                .collect();
            keys.sort_unstable();
            keys.dedup();
            let (message, label) = match method {
                None => (
                    format!("field `{}` is not in any example payload", seg.name),
                    "no example has this key here".to_owned(),
                ),
                Some(m) => (
                    format!(
                        "field `{}` is not in the example payloads of `{m}`",
                        seg.name
                    ),
                    format!("`{m}` answers without this key: its records get no value here"),
                ),
            };
            diags.push(
                Diagnostic::new(
                    if method.is_some() {
                        Code::PathNotInMethodExample
                    } else {
                        Code::PathNotInExample
                    },
                    seg.span,
                    message,
                )
                .with_label(label)
                .with_help(help_for_name(
                    &seg.name,
                    keys.iter().copied(),
                    "example key",
                )),
            );
            return;
        }
        current = next;
    }
}
