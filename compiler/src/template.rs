//! Request templates (base URL, auth, headers, paths): minijinja syntax, checked with minijinja in
//! strict mode and lowered to text and variable segments that the generated code formats directly.

use crate::diagnostics::{Code, Diagnostic, help_for_name};
use crate::source::Span;
use crate::syntax::Str;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    /// A variable such as `id` or `credentials.token`, as its dotted parts.
    Var(Vec<String>, Span),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub pieces: Vec<Piece>,
    pub span: Span,
}

impl Template {
    pub fn vars(&self) -> impl Iterator<Item = (&[String], Span)> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Var(v, s) => Some((v.as_slice(), *s)),
            Piece::Text(_) => None,
        })
    }

    pub fn is_literal(&self) -> bool {
        self.pieces.iter().all(|p| matches!(p, Piece::Text(_)))
    }

    /// The literal text, with `{name}` for each variable (for docs and OpenAPI paths).
    pub fn display(&self) -> String {
        self.pieces
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.clone(),
                Piece::Var(v, _) => format!("{{{}}}", v.join(".")),
            })
            .collect()
    }
}

#[derive(Debug)]
/// What a template may refer to: `allowed` lists the variables, `credentials.x` style.
pub struct Scope<'a> {
    pub allowed: &'a [String],
    /// Variables under these prefixes (`body.`) are allowed here and checked by the caller.
    pub open: &'a [&'a str],
    pub place: &'a str,
}

pub fn lower(text: &Str, scope: &Scope<'_>, diags: &mut Vec<Diagnostic>) -> Option<Template> {
    let src = text.value.as_str();
    let verbatim = text.span.end - text.span.start == src.len();
    let at = |range: std::ops::Range<usize>| {
        if verbatim {
            text.span.slice(range.start, range.len().max(1))
        } else {
            text.span
        }
    };

    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    if let Err(err) = env.template_from_str(src) {
        diags.push(
            Diagnostic::new(
                Code::TemplateSyntax,
                at(err.range().unwrap_or(0..src.len())),
                "invalid template",
            )
            .with_label(err.detail().unwrap_or("syntax error").to_owned())
            .with_help("templates use minijinja syntax: `/tickets/{{ id }}`"),
        );
        return None;
    }

    let mut pieces = Vec::new();
    let mut rest = 0;
    let mut ok = true;
    while let Some(open) = src[rest..].find("{{").map(|i| rest + i) {
        if open > rest {
            pieces.push(Piece::Text(src[rest..open].to_owned()));
        }
        let Some(close) = src[open..].find("}}").map(|i| open + i) else {
            break;
        };
        let inner = &src[open + 2..close];
        let name = inner.trim();
        let name_start = open + 2 + (inner.len() - inner.trim_start().len());
        let span = at(name_start..name_start + name.len());
        let parts: Vec<String> = name.split('.').map(str::to_owned).collect();
        let is_path = parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        if !is_path {
            diags.push(
                Diagnostic::new(
                    Code::TemplateUnsupported,
                    span,
                    format!("`{name}` cannot be compiled"),
                )
                .with_label("only variables are supported inside `{{ }}`")
                .with_help("write a variable such as `{{ id }}` or `{{ credentials.token }}`"),
            );
            ok = false;
        } else if !scope.allowed.iter().any(|a| *a == name)
            && !scope.open.iter().any(|p| name.starts_with(p))
        {
            diags.push(
                Diagnostic::new(
                    Code::UnknownVariable,
                    span,
                    format!("`{name}` is not a variable of {}", scope.place),
                )
                .with_label("undeclared variable")
                .with_help(help_for_name(
                    name,
                    scope.allowed.iter().map(String::as_str),
                    "variable",
                )),
            );
            ok = false;
        }
        pieces.push(Piece::Var(parts, span));
        rest = close + 2;
    }
    if rest < src.len() {
        pieces.push(Piece::Text(src[rest..].to_owned()));
    }
    if src.contains("{%") || src.contains("{#") {
        diags.push(
            Diagnostic::new(
                Code::TemplateUnsupported,
                text.span,
                "blocks and comments cannot be compiled",
            )
            .with_label("`{% %}` or `{# #}` found")
            .with_help("use only text and `{{ variable }}` in request templates"),
        );
        ok = false;
    }
    ok.then_some(Template {
        pieces,
        span: text.span,
    })
}
