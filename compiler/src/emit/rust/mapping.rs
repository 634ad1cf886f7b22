//! Compiled mappings: provider JSON to unified types by direct access, and the shapes that make
//! the runtime parse only what a mapping reads.

use proc_macro2::TokenStream;
use quote::quote;

use super::model::enum_type;
use super::{doc, rt};
use crate::expr::Expr;
use crate::ir::{self, FieldType, ValueMapping};
use crate::names::{type_ident, value_ident};

/// What the code of one mapping function needs to know.
struct MapCx<'a> {
    model: &'a str,
}

/// `fn <mapper>(record, context, full) -> Result<Type, MappingError>`; `full` also fills the
/// fields marked `on_request`.
pub(super) fn mapper_fn(
    mapper: &syn::Ident,
    ty: &TokenStream,
    model: &ir::Model,
    u: &ir::Resource,
    r: &ir::ProviderResource,
    mappings: &[ir::FieldMapping],
    source: &str,
) -> TokenStream {
    let rt = rt();
    let cx = MapCx { model: &model.name };
    let body = struct_literal(ty, &u.singular, &u.fields, mappings, &quote!(record), &cx);
    let context = if needs_context(&u.fields, mappings) {
        quote!(context)
    } else {
        quote!(_context)
    };
    let full = if needs_full(&u.fields, mappings) {
        quote!(full)
    } else {
        quote!(_full)
    };
    let d = doc(&[format!(
        "Maps a {} record to unified `{}.{}` (compiled from {source}).",
        r.name, model.name, u.name
    )]);
    quote! {
        #d
        pub(crate) fn #mapper<J: #rt::Json>(record: &J, #context: &#rt::MapContext, #full: bool) -> ::std::result::Result<#ty, #rt::MappingError> {
            ::std::result::Result::Ok(#body)
        }
    }
}

/// Whether a mapped field (at any depth) is filled only on request.
fn needs_full(fields: &[ir::Field], mappings: &[ir::FieldMapping]) -> bool {
    mappings.iter().any(|m| {
        let Some(f) = fields.iter().find(|f| f.name == m.field) else {
            return false;
        };
        f.on_request
            || match (&m.value, &f.ty) {
                (ValueMapping::Object(members), FieldType::Object { fields, .. }) => {
                    needs_full(fields, members)
                }
                (ValueMapping::Objects(entries), FieldType::List(inner)) => match inner.as_ref() {
                    FieldType::Object { fields, .. } => {
                        entries.iter().any(|members| needs_full(fields, members))
                    }
                    _ => false,
                },
                (
                    ValueMapping::Each {
                        fields: members, ..
                    },
                    FieldType::List(inner),
                ) => match inner.as_ref() {
                    FieldType::Object { fields, .. } => needs_full(fields, members),
                    _ => false,
                },
                _ => false,
            }
    })
}

/// Whether any mapping converts dates: the only conversions that need the account's context.
fn needs_context(fields: &[ir::Field], mappings: &[ir::FieldMapping]) -> bool {
    fn dated(ty: &FieldType) -> bool {
        match ty {
            FieldType::Datetime | FieldType::Date => true,
            FieldType::List(inner) => dated(inner),
            _ => false,
        }
    }
    mappings.iter().any(|m| {
        let Some(f) = fields.iter().find(|f| f.name == m.field) else {
            return false;
        };
        match (&m.value, &f.ty) {
            (ValueMapping::Datetime { .. } | ValueMapping::Param(_), _) => true,
            (ValueMapping::Expr(_) | ValueMapping::Const(_), ty) => dated(ty),
            (ValueMapping::Object(members), FieldType::Object { fields, .. }) => {
                needs_context(fields, members)
            }
            (ValueMapping::Objects(entries), FieldType::List(inner)) => match inner.as_ref() {
                FieldType::Object { fields, .. } => {
                    entries.iter().any(|members| needs_context(fields, members))
                }
                _ => false,
            },
            (
                ValueMapping::Each {
                    fields: members, ..
                },
                FieldType::List(inner),
            ) => match inner.as_ref() {
                FieldType::Object { fields, .. } => needs_context(fields, members),
                _ => false,
            },
            _ => false,
        }
    })
}

/// `Type { field: <mapped value>, … }` for `fields` of the type named `owner`.
fn struct_literal(
    ty: &TokenStream,
    owner: &str,
    fields: &[ir::Field],
    mappings: &[ir::FieldMapping],
    current: &TokenStream,
    cx: &MapCx<'_>,
) -> TokenStream {
    let rt = rt();
    let members = fields.iter().map(|f| {
        let ident = value_ident(&f.name);
        let name = &f.name;
        let value = match mappings.iter().find(|m| m.field == f.name) {
            None if matches!(f.ty, FieldType::List(_)) => quote!(::std::vec::Vec::new()),
            None if f.required => {
                quote!(#rt::convert::required(::std::option::Option::None, #name)?)
            }
            None => quote!(::std::option::Option::None),
            Some(m) => {
                let v = value_mapping(&m.value, f, owner, current, cx);
                let v = if m.redact.is_empty() {
                    v
                } else {
                    let paths = m.redact.iter().map(|p| quote!(&[#(#p),*]));
                    quote!(#rt::convert::redact(#v, &[#(#paths),*]))
                };
                let v = if let (true, ValueMapping::Param(var)) = (f.required, &m.value) {
                    let param = var.join(".");
                    quote!(#rt::convert::required_param(#v, #name, #param)?)
                } else if f.required && !matches!(f.ty, FieldType::List(_)) {
                    quote!(#rt::convert::required(#v, #name)?)
                } else {
                    v
                };
                match (f.on_request, &f.ty) {
                    (false, _) => v,
                    (true, FieldType::List(_)) => {
                        quote!(if full { #v } else { ::std::vec::Vec::new() })
                    }
                    (true, _) => quote!(if full { #v } else { ::std::option::Option::None }),
                }
            }
        };
        quote!(#ident: #value,)
    });
    quote!(#ty { #(#members)* })
}

/// A single-valued expression as `Option<&Value>`, relative to `current`.
fn single(e: &Expr, current: &TokenStream) -> TokenStream {
    let rt = rt();
    match e {
        Expr::Current => quote!(::std::option::Option::Some(#current)),
        Expr::Path(segs) => {
            let keys = segs.iter().map(|s| s.name.as_str());
            quote!(#rt::value::path(#current, &[#(#keys),*]))
        }
        Expr::Or(a, b) => {
            let a = single(a, current);
            let b = single(b, current);
            quote!(#rt::value::or(#a, #b))
        }
        // The checker only lets projections through where many values are expected.
        Expr::Project { .. } => quote!(::std::option::Option::None),
    }
}

/// A many-valued expression as `Option<Vec<&Value>>`.
fn many(e: &Expr, current: &TokenStream, field: &str) -> TokenStream {
    let rt = rt();
    match e {
        Expr::Project {
            base,
            then,
            flatten,
        } => {
            let base = single(base, current);
            let then = single(then, &quote!(item));
            quote!(#rt::value::project(#base, #flatten, |item| #then))
        }
        other => {
            let v = single(other, current);
            quote!(#rt::convert::elements(#v, #field)?)
        }
    }
}

/// A conversion callable as `(Option<&Value>, &str) -> Result<Option<T>, MappingError>`.
fn scalar_fn(ty: &FieldType) -> TokenStream {
    let rt = rt();
    match ty {
        FieldType::Integer => quote!(#rt::convert::integer),
        FieldType::Number => quote!(#rt::convert::number),
        FieldType::Boolean => quote!(#rt::convert::boolean),
        FieldType::Datetime => quote!(|v, f| #rt::convert::datetime(v, f, context, &[])),
        FieldType::Date => quote!(|v, f| #rt::convert::date(v, f, context, &[])),
        FieldType::Reference => {
            quote!(|v, f| #rt::convert::reference(v, ::std::option::Option::None, f))
        }
        FieldType::Json => {
            quote!(|v, _| ::std::result::Result::<_, #rt::MappingError>::Ok(#rt::convert::json(v)))
        }
        _ => quote!(#rt::convert::string),
    }
}

/// The code of one field's value (`Option<T>`, or `Vec<T>` for lists).
fn value_mapping(
    v: &ValueMapping,
    f: &ir::Field,
    owner: &str,
    current: &TokenStream,
    cx: &MapCx<'_>,
) -> TokenStream {
    let rt = rt();
    let name = &f.name;
    let model_mod = value_ident(cx.model);
    match v {
        ValueMapping::Expr(e) => match &f.ty {
            FieldType::List(inner) => {
                let items = many(e, current, name);
                let conv = scalar_fn(inner);
                quote!(#rt::convert::list(#items, #name, #conv)?)
            }
            FieldType::Json => {
                let e = single(e, current);
                quote!(#rt::convert::json(#e))
            }
            ty => {
                let e = single(e, current);
                let conv = scalar_fn(ty);
                quote!((#conv)(#e, #name)?)
            }
        },
        ValueMapping::Param(var) => {
            let v = quote!(context.param(&[#(#var),*]));
            match &f.ty {
                FieldType::Reference => {
                    quote!(#rt::convert::reference(#v, ::std::option::Option::None, #name)?)
                }
                FieldType::Integer => quote!(#rt::convert::integer(#v, #name)?),
                _ => quote!(#rt::convert::string(#v, #name)?),
            }
        }
        ValueMapping::Const(value) => {
            if let (FieldType::Enum(_), serde_json::Value::String(s)) = (&f.ty, value) {
                let ty = enum_type(owner, f);
                return quote!(::std::option::Option::Some(crate::unified::#model_mod::#ty::parse(#s)));
            }
            let json = value.to_string();
            let conv = match &f.ty {
                FieldType::List(inner) => {
                    let conv = scalar_fn(inner);
                    quote!(#rt::convert::list(#rt::convert::elements(::std::option::Option::Some(&constant), #name)?, #name, #conv)?)
                }
                ty => {
                    let conv = scalar_fn(ty);
                    quote!(#rt::convert::constant(&constant, #name, #conv)?)
                }
            };
            quote!({
                let constant: ::serde_json::Value = ::serde_json::from_str(#json).unwrap_or_default();
                #conv
            })
        }
        ValueMapping::Join { parts, separator } => {
            let parts = parts.iter().map(|p| single(p, current));
            quote!(#rt::convert::join(&[#(#parts),*], #separator, #name)?)
        }
        ValueMapping::Datetime { from, formats } => {
            let e = single(from, current);
            let conv = if f.ty == FieldType::Date {
                quote!(date)
            } else {
                quote!(datetime)
            };
            quote!(#rt::convert::#conv(#e, #name, context, &[#(#formats),*])?)
        }
        ValueMapping::Enum {
            from,
            cases,
            fallback,
        } if f.ty == FieldType::Boolean => {
            let e = single(from, current);
            let arms = cases.iter().map(|(raw, target)| {
                let b = target == "true";
                quote!(::std::option::Option::Some(#raw) => ::std::option::Option::Some(#b),)
            });
            let fallback = matches!(fallback, ir::EnumFallback::Value(v) if v == "true");
            quote! {
                match #rt::convert::enum_raw(#e, #name)?.as_deref() {
                    ::std::option::Option::None => ::std::option::Option::None,
                    #(#arms)*
                    ::std::option::Option::Some(_) => ::std::option::Option::Some(#fallback),
                }
            }
        }
        ValueMapping::Enum {
            from,
            cases,
            fallback,
        } => {
            let e = single(from, current);
            let enum_ident = enum_type(owner, f);
            let ty = quote!(crate::unified::#model_mod::#enum_ident);
            let arms = cases.iter().map(|(raw, target)| {
                let variant = type_ident(target);
                quote!(::std::option::Option::Some(#raw) => ::std::option::Option::Some(#ty::#variant),)
            });
            let fallback = match fallback {
                ir::EnumFallback::Raw => {
                    quote!(::std::option::Option::Some(other) => ::std::option::Option::Some(#ty::Other(other.to_owned())),)
                }
                ir::EnumFallback::Value(v) => {
                    let variant = type_ident(v);
                    quote!(::std::option::Option::Some(_) => ::std::option::Option::Some(#ty::#variant),)
                }
            };
            quote! {
                match #rt::convert::enum_raw(#e, #name)?.as_deref() {
                    ::std::option::Option::None => ::std::option::Option::None,
                    #(#arms)*
                    #fallback
                }
            }
        }
        ValueMapping::Reference { id, name: n } => {
            let id = single(id, current);
            let n = n
                .as_ref()
                .map_or(quote!(::std::option::Option::None), |n| single(n, current));
            quote!(#rt::convert::reference(#id, #n, #name)?)
        }
        ValueMapping::References(items) => {
            let refs = items.iter().map(|(id, n)| {
                let id = single(id, current);
                let n = n
                    .as_ref()
                    .map_or(quote!(::std::option::Option::None), |n| single(n, current));
                quote!(#rt::convert::reference(#id, #n, #name)?)
            });
            quote!([#(#refs),*].into_iter().flatten().collect())
        }
        ValueMapping::Object(members) => {
            let FieldType::Object { name: obj, fields } = &f.ty else {
                return quote!(::std::option::Option::None);
            };
            let ident = type_ident(obj);
            let lit = struct_literal(
                &quote!(crate::unified::#model_mod::#ident),
                obj,
                fields,
                members,
                current,
                cx,
            );
            quote!(::std::option::Option::Some(#lit))
        }
        ValueMapping::Objects(entries) => {
            let FieldType::List(inner) = &f.ty else {
                return quote!(::std::vec::Vec::new());
            };
            let FieldType::Object { name: obj, fields } = inner.as_ref() else {
                return quote!(::std::vec::Vec::new());
            };
            let ident = type_ident(obj);
            let entries = entries.iter().map(|members| {
                let lit = struct_literal(
                    &quote!(crate::unified::#model_mod::#ident),
                    obj,
                    fields,
                    members,
                    current,
                    cx,
                );
                // The entry counts only when its required members have a value.
                let present: Vec<TokenStream> = fields
                    .iter()
                    .filter(|rf| rf.required)
                    .filter_map(|rf| members.iter().find(|m| m.field == rf.name))
                    .filter_map(|m| match &m.value {
                        ValueMapping::Expr(e) => {
                            let e = single(e, current);
                            Some(quote!(#rt::convert::present(#e)))
                        }
                        _ => None,
                    })
                    .collect();
                if present.is_empty() {
                    quote!(out.push(#lit);)
                } else {
                    quote!(if #(#present)&&* { out.push(#lit); })
                }
            });
            quote! {{
                let mut out = ::std::vec::Vec::new();
                #(#entries)*
                out
            }}
        }
        ValueMapping::Each {
            each,
            fields: members,
        } => {
            let FieldType::List(inner) = &f.ty else {
                return quote!(::std::vec::Vec::new());
            };
            let FieldType::Object { name: obj, fields } = inner.as_ref() else {
                return quote!(::std::vec::Vec::new());
            };
            let ident = type_ident(obj);
            let items = many(each, current, name);
            let lit = struct_literal(
                &quote!(crate::unified::#model_mod::#ident),
                obj,
                fields,
                members,
                &quote!(element),
                cx,
            );
            quote! {
                #items
                    .unwrap_or_default()
                    .into_iter()
                    .map(|element| ::std::result::Result::<_, #rt::MappingError>::Ok(#lit))
                    .collect::<::std::result::Result<::std::vec::Vec<_>, _>>()?
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Shapes: what a mapping reads

/// The parts of a record (or page) that mappings read.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum ShapeNode {
    All,
    Keys(Vec<(String, ShapeNode)>),
    Each(Box<ShapeNode>),
    /// A list response's records, handed to the mapping one at a time.
    Records(Box<ShapeNode>),
}

impl ShapeNode {
    fn merge(self, other: ShapeNode) -> ShapeNode {
        match (self, other) {
            // The records stay records, whatever else reads them.
            (ShapeNode::Records(a), other) | (other, ShapeNode::Records(a)) => {
                let other = match other {
                    ShapeNode::Records(b) | ShapeNode::Each(b) => *b,
                    ShapeNode::Keys(k) if k.is_empty() => ShapeNode::Keys(k),
                    _ => ShapeNode::All,
                };
                ShapeNode::Records(Box::new(a.merge(other)))
            }
            (ShapeNode::All, _) | (_, ShapeNode::All) => ShapeNode::All,
            // Nothing read yet: the other side is all there is.
            (ShapeNode::Keys(a), other) if a.is_empty() => other,
            (this, ShapeNode::Keys(b)) if b.is_empty() => this,
            (ShapeNode::Keys(mut a), ShapeNode::Keys(b)) => {
                for (k, v) in b {
                    match a.iter().position(|(x, _)| *x == k) {
                        Some(i) => {
                            let old = std::mem::replace(&mut a[i].1, ShapeNode::All);
                            a[i].1 = old.merge(v);
                        }
                        None => a.push((k, v)),
                    }
                }
                ShapeNode::Keys(a)
            }
            (ShapeNode::Each(a), ShapeNode::Each(b)) => ShapeNode::Each(Box::new(a.merge(*b))),
            // Read both as an object and as an array: keep it whole.
            _ => ShapeNode::All,
        }
    }

    /// Puts `leaf` at `path` below this node.
    pub(super) fn place(self, path: &[String], leaf: ShapeNode) -> ShapeNode {
        let Some((first, rest)) = path.split_first() else {
            return self.merge(leaf);
        };
        let child = ShapeNode::Keys(Vec::new()).place(rest, leaf);
        self.merge(ShapeNode::Keys(vec![(first.clone(), child)]))
    }

    /// Puts a single record at `path` (a response's `record`): an integer segment is an array
    /// index (`notes, -1`), so that array keeps its elements shaped alike.
    pub(super) fn place_record(self, path: &[String], record: ShapeNode) -> ShapeNode {
        match path.iter().position(|s| s.parse::<i64>().is_ok()) {
            None => self.place(path, record),
            Some(i) => {
                let element = ShapeNode::Keys(Vec::new()).place_record(&path[i + 1..], record);
                self.place(&path[..i], ShapeNode::Each(Box::new(element)))
            }
        }
    }

    /// Puts the records of a list at `path`, below this node: the page's items are
    /// [`ShapeNode::Records`] (handed over one by one), and a path through arrays
    /// (`messages, [], attachments`) shapes each item's own records array alike.
    pub(super) fn place_records(self, path: &[String], record: ShapeNode) -> ShapeNode {
        fn inside(path: Option<&[String]>, record: ShapeNode) -> ShapeNode {
            let Some(path) = path else {
                return record;
            };
            let (here, rest) = ir::split_records(path);
            ShapeNode::Keys(Vec::new()).place(here, ShapeNode::Each(Box::new(inside(rest, record))))
        }
        let (outer, inner) = ir::split_records(path);
        self.place(outer, ShapeNode::Records(Box::new(inside(inner, record))))
    }

    /// Adds what `e` reads, relative to this node.
    fn read(self, e: &Expr) -> ShapeNode {
        match e {
            Expr::Current => ShapeNode::All,
            Expr::Path(segs) => {
                let path: Vec<String> = segs.iter().map(|s| s.name.clone()).collect();
                self.place(&path, ShapeNode::All)
            }
            Expr::Or(a, b) => self.read(a).read(b),
            Expr::Project { base, then, .. } => {
                let element = ShapeNode::Keys(Vec::new()).read(then);
                self.at(base, ShapeNode::Each(Box::new(element)))
            }
        }
    }

    /// Puts `leaf` where the single-valued `base` points.
    fn at(self, base: &Expr, leaf: ShapeNode) -> ShapeNode {
        match base.as_path() {
            Some(path) => {
                let path: Vec<String> = path.into_iter().map(str::to_owned).collect();
                self.place(&path, leaf)
            }
            None => self.read(base),
        }
    }

    pub(super) fn tokens(&self) -> TokenStream {
        let rt = rt();
        match self {
            ShapeNode::All => quote!(#rt::Shape::All),
            ShapeNode::Keys(children) => {
                let entries = children.iter().map(|(k, v)| {
                    let v = v.tokens();
                    quote!((#k, #v))
                });
                quote!(#rt::Shape::Keys(&[#(#entries),*]))
            }
            ShapeNode::Each(element) => {
                let element = element.tokens();
                quote!(#rt::Shape::Each(&#element))
            }
            ShapeNode::Records(element) => {
                let element = element.tokens();
                quote!(#rt::Shape::Records(&#element))
            }
        }
    }
}

/// What the mappings of `fields` read of a record; `on_request` fields only when `full`.
pub(super) fn record_shape(
    fields: &[ir::Field],
    mappings: &[ir::FieldMapping],
    full: bool,
) -> ShapeNode {
    let mut node = ShapeNode::Keys(Vec::new());
    for m in mappings {
        let Some(f) = fields.iter().find(|f| f.name == m.field) else {
            continue;
        };
        if f.on_request && !full {
            continue;
        }
        node = value_shape(node, &m.value, &f.ty, full);
    }
    node
}

fn value_shape(node: ShapeNode, v: &ValueMapping, ty: &FieldType, full: bool) -> ShapeNode {
    let members = |ty: &FieldType| -> Vec<ir::Field> {
        match ty {
            FieldType::Object { fields, .. } => fields.clone(),
            FieldType::List(inner) => match inner.as_ref() {
                FieldType::Object { fields, .. } => fields.clone(),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        }
    };
    match v {
        ValueMapping::Expr(e) => node.read(e),
        ValueMapping::Const(_) | ValueMapping::Param(_) => node,
        ValueMapping::Enum { from, .. } | ValueMapping::Datetime { from, .. } => node.read(from),
        ValueMapping::Join { parts, .. } => parts.iter().fold(node, |node, p| node.read(p)),
        ValueMapping::Reference { id, name } => {
            let node = node.read(id);
            match name {
                Some(n) => node.read(n),
                None => node,
            }
        }
        ValueMapping::References(items) => items.iter().fold(node, |node, (id, name)| {
            let node = node.read(id);
            match name {
                Some(n) => node.read(n),
                None => node,
            }
        }),
        ValueMapping::Object(ms) => node.merge(record_shape(&members(ty), ms, full)),
        ValueMapping::Objects(entries) => entries.iter().fold(node, |node, ms| {
            node.merge(record_shape(&members(ty), ms, full))
        }),
        ValueMapping::Each { each, fields: ms } => {
            let element = record_shape(&members(ty), ms, full);
            match each {
                Expr::Project { base, then, .. } if matches!(then.as_ref(), Expr::Current) => {
                    node.at(base, ShapeNode::Each(Box::new(element)))
                }
                Expr::Project { .. } => node.read(each),
                single => node.at(single, ShapeNode::Each(Box::new(element))),
            }
        }
    }
}

/// The paths a paginator reads in each page.
pub(super) fn pagination_paths(kind: &ir::PaginationKind) -> Vec<Vec<String>> {
    match kind {
        ir::PaginationKind::PageNumber {
            next_link,
            last_page,
            ..
        } => next_link.iter().chain(last_page).cloned().collect(),
        ir::PaginationKind::OffsetLimit { total, .. } => total.iter().cloned().collect(),
        ir::PaginationKind::Cursor {
            source, has_more, ..
        } => {
            let mut paths: Vec<Vec<String>> = has_more.iter().cloned().collect();
            if let ir::CursorSource::Body(p) = source {
                paths.push(p.clone());
            }
            paths
        }
        ir::PaginationKind::LinkHeader => Vec::new(),
        ir::PaginationKind::NextUrl { next } | ir::PaginationKind::Hal { next } => {
            vec![next.clone()]
        }
    }
}
