//! YAML → a tree in which every key and value knows its byte span.
//!
//! Built on `saphyr-parser`'s event stream (see docs/decisions/0001-yaml-with-locations.md).
//! Anchors and aliases are rejected: mappings stay explicit and every node has one location.

use saphyr_parser::{Event, Parser, ScalarStyle};

use crate::diagnostics::{Code, Diagnostic};
use crate::source::{FileId, Span};

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub span: Span,
    pub kind: NodeKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    Null,
    /// A scalar that is not null; `quoted` is true for `'…'` and `"…"` scalars.
    Scalar {
        text: String,
        quoted: bool,
    },
    Seq(Vec<Node>),
    /// Entries in source order; keys are scalars.
    Map(Vec<(Node, Node)>),
}

impl Node {
    pub fn describe(&self) -> &'static str {
        match &self.kind {
            NodeKind::Null => "nothing (null)",
            NodeKind::Scalar { .. } => "a scalar",
            NodeKind::Seq(_) => "a list",
            NodeKind::Map(_) => "a mapping",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// The span of the scalar's text without its quotes, when the text is written verbatim
    /// (so that an offset into the text is an offset into the file).
    pub fn text_span(&self) -> Option<Span> {
        match &self.kind {
            NodeKind::Scalar { text, quoted } => {
                let inner = if *quoted {
                    Span {
                        file: self.span.file,
                        start: self.span.start + 1,
                        end: self.span.end.saturating_sub(1).max(self.span.start + 1),
                    }
                } else {
                    self.span
                };
                (inner.end - inner.start == text.len()).then_some(inner)
            }
            _ => None,
        }
    }
}

/// Parses one YAML document. An empty file is a `Null` node.
pub fn parse(file: FileId, text: &str) -> Result<Node, Box<Diagnostic>> {
    let offsets = CharOffsets::new(text);
    let mut parser = Parser::new_from_str(text);
    let mut builder = Builder {
        stack: Vec::new(),
        root: None,
        documents: 0,
    };
    while let Some(item) = parser.next_event() {
        let (event, span) = item.map_err(|e| {
            let at = offsets.byte(e.marker().index());
            Box::new(
                Diagnostic::new(
                    Code::YamlSyntax,
                    Span::new(file, at..at),
                    "this file is not valid YAML",
                )
                .with_label(e.info().to_owned())
                .with_help("fix the YAML syntax at the marked place"),
            )
        })?;
        let span = Span::new(
            file,
            offsets.byte(span.start.index())..offsets.byte(span.end.index()),
        );
        builder.event(event, span)?;
    }
    Ok(builder.root.unwrap_or(Node {
        span: Span::new(file, 0..0),
        kind: NodeKind::Null,
    }))
}

struct CharOffsets {
    /// Byte offset of each character, plus the length; empty when the text is ASCII.
    table: Vec<usize>,
    len: usize,
}

impl CharOffsets {
    fn new(text: &str) -> Self {
        let table = if text.is_ascii() {
            Vec::new()
        } else {
            text.char_indices()
                .map(|(i, _)| i)
                .chain(std::iter::once(text.len()))
                .collect()
        };
        CharOffsets {
            table,
            len: text.len(),
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        if self.table.is_empty() {
            char_index.min(self.len)
        } else {
            self.table.get(char_index).copied().unwrap_or(self.len)
        }
    }
}

/// How deep lists and mappings may nest: far beyond any mapping, and shallow enough that no
/// later pass over the tree can exhaust the stack.
pub const MAX_DEPTH: usize = 64;

enum Frame {
    Seq(Span, Vec<Node>),
    /// Entries, the key waiting for its value, and where each key was first defined (so that
    /// a repeated key is found in constant time).
    Map(
        Span,
        Vec<(Node, Node)>,
        Option<Node>,
        std::collections::HashMap<String, Span>,
    ),
}

struct Builder {
    stack: Vec<Frame>,
    root: Option<Node>,
    documents: usize,
}

impl Builder {
    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), Box<Diagnostic>> {
        match event {
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(Box::new(
                        Diagnostic::new(
                            Code::YamlUnsupported,
                            span,
                            "a mapping file holds exactly one YAML document",
                        )
                        .with_label("a second document starts here")
                        .with_help("move the second document into a file of its own"),
                    ));
                }
            }
            Event::Alias(_) => {
                return Err(Box::new(
                    Diagnostic::new(
                        Code::YamlUnsupported,
                        span,
                        "YAML aliases are not supported in mapping files",
                    )
                    .with_label("alias used here")
                    .with_help("write the value out in full, so that every node has one location"),
                ));
            }
            Event::Scalar(text, style, anchor, _tag) => {
                if anchor != 0 {
                    return Err(anchor_error(span));
                }
                let quoted = matches!(style, ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted);
                let is_null = style == ScalarStyle::Plain
                    && matches!(text.as_ref(), "" | "~" | "null" | "Null" | "NULL");
                let kind = if is_null {
                    NodeKind::Null
                } else {
                    NodeKind::Scalar {
                        text: text.into_owned(),
                        quoted,
                    }
                };
                self.push(Node { span, kind })?;
            }
            Event::SequenceStart(anchor, _) => {
                if anchor != 0 {
                    return Err(anchor_error(span));
                }
                self.deeper(span)?;
                self.stack.push(Frame::Seq(span, Vec::new()));
            }
            Event::MappingStart(anchor, _) => {
                if anchor != 0 {
                    return Err(anchor_error(span));
                }
                self.deeper(span)?;
                self.stack
                    .push(Frame::Map(span, Vec::new(), None, Default::default()));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let node = match self.stack.pop() {
                    Some(Frame::Seq(start, items)) => Node {
                        span: join(start, span, &items.last().map(|n| n.span)),
                        kind: NodeKind::Seq(items),
                    },
                    Some(Frame::Map(start, entries, _, _)) => Node {
                        span: join(start, span, &entries.last().map(|(_, v)| v.span)),
                        kind: NodeKind::Map(entries),
                    },
                    None => return Ok(()),
                };
                self.push(node)?;
            }
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
        }
        Ok(())
    }

    /// Refuses one more level of nesting past [`MAX_DEPTH`].
    fn deeper(&self, span: Span) -> Result<(), Box<Diagnostic>> {
        if self.stack.len() < MAX_DEPTH {
            return Ok(());
        }
        Err(Box::new(
            Diagnostic::new(
                Code::YamlUnsupported,
                span,
                format!("lists and mappings nest more than {MAX_DEPTH} levels deep here"),
            )
            .with_label(format!("level {} starts here", MAX_DEPTH + 1))
            .with_help("a mapping file needs only a few levels; flatten this value"),
        ))
    }

    fn push(&mut self, node: Node) -> Result<(), Box<Diagnostic>> {
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq(_, items)) => items.push(node),
            Some(Frame::Map(_, entries, pending, keys)) => match pending.take() {
                None => {
                    if !matches!(node.kind, NodeKind::Scalar { .. }) {
                        return Err(Box::new(
                            Diagnostic::new(
                                Code::YamlSyntax,
                                node.span,
                                "mapping keys must be plain names",
                            )
                            .with_label(format!("this key is {}", node.describe()))
                            .with_help("use a string as the key"),
                        ));
                    }
                    let name = node.as_str().unwrap_or_default();
                    if let Some(first) = keys.get(name) {
                        return Err(Box::new(
                            Diagnostic::new(
                                Code::DuplicateKey,
                                node.span,
                                format!("duplicate key `{name}`"),
                            )
                            .with_label("defined again here")
                            .with_secondary(*first, "first defined here")
                            .with_help("remove one of the two entries or rename it"),
                        ));
                    }
                    keys.insert(name.to_owned(), node.span);
                    *pending = Some(node);
                }
                Some(key) => entries.push((key, node)),
            },
        }
        Ok(())
    }
}

fn anchor_error(span: Span) -> Box<Diagnostic> {
    Box::new(
        Diagnostic::new(
            Code::YamlUnsupported,
            span,
            "YAML anchors are not supported in mapping files",
        )
        .with_label("anchor defined here")
        .with_help("write the value out in full, so that every node has one location"),
    )
}

/// A collection's span runs from its start to its last child (block collections end empty).
fn join(start: Span, end: Span, last_child: &Option<Span>) -> Span {
    let end_at = last_child.map_or(end.end, |c| c.end.max(end.end));
    Span {
        file: start.file,
        start: start.start,
        end: end_at.max(start.start),
    }
}
