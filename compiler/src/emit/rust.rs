//! Rust emitter: unified models as types, providers as typed clients whose mappings are compiled
//! to direct access (`quote` → `syn::File` → `prettyplease`).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::expr::Expr;
use crate::ir::{self, FieldType, Ir, MethodKind, ValueMapping};
use crate::names::{type_ident, value_ident};
use crate::template::{Piece, Template};

use super::{HEADER, Output};

const RT: &str = "::switchboard_runtime";

fn rt() -> TokenStream {
    RT.parse().unwrap_or_default()
}

/// Formats a token stream as a Rust file with the `@generated` header.
fn file(tokens: TokenStream, source: &str) -> String {
    let body = match syn::parse2::<syn::File>(tokens.clone()) {
        Ok(parsed) => prettyplease::unparse(&parsed),
        // Emitters only produce valid Rust; if this ever fails it is a compiler bug, and the
        // raw tokens make it visible (and fail to compile) rather than vanish.
        Err(e) => format!("compile_error!({:?});\n{tokens}\n", e.to_string()),
    };
    format!("{}\n{body}", HEADER.replace("{source}", source))
}

pub fn emit(ir: &Ir, out: &mut Output) {
    let models: Vec<_> = ir.models.iter().map(|m| value_ident(&m.name)).collect();
    let providers: Vec<_> = ir.providers.iter().map(|p| value_ident(&p.name)).collect();
    let provider_names: Vec<_> = ir.providers.iter().map(|p| p.name.as_str()).collect();
    // `#[rustfmt::skip]` keeps `cargo fmt` of the workspace from reformatting prettyplease's
    // output, which would make the committed files differ from a fresh build.
    let lib = quote! {
        //! Switchboard's compiled adapters: the unified models and one typed client per provider.
        #![deny(warnings)]

        /// Unified models, one module per model file in `mappings/unified/`.
        #[rustfmt::skip]
        pub mod unified {
            #( pub mod #models; )*
        }

        /// Provider clients, one module per directory in `mappings/providers/`.
        #[rustfmt::skip]
        pub mod providers {
            #( pub mod #providers; )*
        }

        /// The names of every provider with an adapter.
        pub const PROVIDERS: &[&str] = &[#(#provider_names),*];
    };
    out.insert("src/lib.rs", file(lib, "mappings/"));
    for m in &ir.models {
        out.insert(
            format!("src/unified/{}.rs", crate::names::snake(&m.name)),
            model(m),
        );
    }
    for p in &ir.providers {
        out.insert(
            format!("src/providers/{}.rs", crate::names::snake(&p.name)),
            provider(ir, p),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Unified models

/// Paragraphs as doc lines, separated by blank doc lines.
fn doc_lines(paragraphs: &[String]) -> Vec<String> {
    let mut lines: Vec<String> = paragraphs
        .iter()
        .filter(|p| !p.is_empty())
        .flat_map(|p| {
            let mut v: Vec<String> = p.lines().map(|s| format!(" {s}")).collect();
            v.push(String::new());
            v
        })
        .collect();
    lines.pop();
    lines
}

/// Outer doc comments (`///`).
fn doc(paragraphs: &[String]) -> TokenStream {
    let lines = doc_lines(paragraphs);
    quote! { #( #[doc = #lines] )* }
}

/// Inner doc comments (`//!`), for a module.
fn inner_doc(paragraphs: &[String]) -> TokenStream {
    let lines = doc_lines(paragraphs);
    quote! { #( #![doc = #lines] )* }
}

fn rust_type(ty: &FieldType, enum_name: &syn::Ident) -> TokenStream {
    let rt = rt();
    match ty {
        FieldType::String => quote!(::std::string::String),
        FieldType::Integer => quote!(i64),
        FieldType::Number => quote!(f64),
        FieldType::Boolean => quote!(bool),
        FieldType::Datetime => quote!(#rt::Timestamp),
        FieldType::Date => quote!(#rt::Date),
        FieldType::Enum(_) => quote!(#enum_name),
        FieldType::Reference => quote!(#rt::Reference),
        FieldType::List(inner) => {
            let inner = rust_type(inner, enum_name);
            quote!(::std::vec::Vec<#inner>)
        }
        FieldType::Json => quote!(::serde_json::Value),
    }
}

/// The name of the enum type generated for an enum field: `TicketStatus`.
pub fn enum_type(resource: &ir::Resource, field: &ir::Field) -> syn::Ident {
    format_ident!(
        "{}{}",
        type_ident(&resource.singular),
        type_ident(&field.name)
    )
}

fn field_is_list(f: &ir::Field) -> bool {
    matches!(f.ty, FieldType::List(_))
}

fn model(m: &ir::Model) -> String {
    let mut items = Vec::new();
    for r in &m.resources {
        let name = type_ident(&r.singular);
        let has_float = r.fields.iter().any(|f| f.ty == FieldType::Number);
        let eq = if has_float { quote!() } else { quote!(Eq,) };
        let fields = r.fields.iter().map(|f| {
            let ident = value_ident(&f.name);
            let ty = rust_type(&f.ty, &enum_type(r, f));
            let d = doc(&[
                f.description.clone(),
                format!(
                    "Unified field `{}` ({}), from {}.",
                    f.name,
                    f.ty.describe(),
                    f.origin
                ),
            ]);
            // serde strips `r#`; rename only where the Rust name differs from the unified one.
            let serde_name = &f.name;
            let rename = (ident.to_string().trim_start_matches("r#") != f.name)
                .then(|| quote!(#[serde(rename = #serde_name)]));
            if f.required {
                quote! { #d #rename pub #ident: #ty, }
            } else if field_is_list(f) {
                quote! { #d #rename #[serde(default)] pub #ident: #ty, }
            } else {
                quote! { #d #rename #[serde(default)] pub #ident: ::std::option::Option<#ty>, }
            }
        });
        let d = doc(&[
            r.description.clone(),
            format!("Unified `{}.{}`, from {}.", m.name, r.name, r.origin),
        ]);
        items.push(quote! {
            #d
            #[derive(Debug, Clone, PartialEq, #eq ::serde::Serialize, ::serde::Deserialize)]
            pub struct #name { #(#fields)* }
        });
        for f in &r.fields {
            if let FieldType::Enum(values) = &f.ty {
                items.push(enum_def(r, f, values));
            }
        }
    }
    let d = inner_doc(&[
        format!("{}: {}", m.title, m.description),
        format!("Generated from {}.", m.origin),
    ]);
    file(quote! { #d #( #items )* }, &m.origin)
}

fn enum_def(r: &ir::Resource, f: &ir::Field, values: &[String]) -> TokenStream {
    let name = enum_type(r, f);
    let variants: Vec<_> = values.iter().map(|v| type_ident(v)).collect();
    let docs = values.iter().map(|v| format!(" `{v}`"));
    let d = doc(&[format!(
        "Values of `{}.{}`. `Other` holds a provider value outside the unified set, unchanged.",
        r.name, f.name
    )]);
    quote! {
        #d
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum #name {
            #( #[doc = #docs] #variants, )*
            /// A provider value outside the unified set, as the provider sent it.
            Other(::std::string::String),
        }

        impl #name {
            /// Every unified value, in declaration order.
            pub const ALL: &'static [#name] = &[#( #name::#variants ),*];

            /// The value as it appears in JSON.
            pub fn as_str(&self) -> &str {
                match self {
                    #( #name::#variants => #values, )*
                    #name::Other(raw) => raw,
                }
            }

            /// Reads a value; anything outside the unified set becomes `Other`.
            pub fn parse(value: &str) -> Self {
                match value {
                    #( #values => #name::#variants, )*
                    other => #name::Other(other.to_owned()),
                }
            }
        }

        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                let raw = <::std::string::String as ::serde::Deserialize>::deserialize(deserializer)?;
                ::std::result::Result::Ok(#name::parse(&raw))
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Providers

fn unified<'a>(ir: &'a Ir, r: &ir::ProviderResource) -> Option<(&'a ir::Model, &'a ir::Resource)> {
    let m = ir.models.iter().find(|m| m.name == r.model)?;
    let u = m.resources.iter().find(|u| u.name == r.unified)?;
    Some((m, u))
}

fn provider(ir: &Ir, p: &ir::Provider) -> String {
    let rt = rt();
    let client = type_ident(&p.name);
    let creds = format_ident!("{}Credentials", client);
    let name = &p.name;

    let cred_fields = p.credentials.iter().map(|c| {
        let ident = value_ident(&c.name);
        let mut lines = vec![c.description.clone()];
        if let Some(d) = &c.default {
            lines.push(format!("Default: `{d}`."));
        }
        let d = doc(&lines);
        match (c.secret, c.default.is_some()) {
            (true, _) => quote! { #d pub #ident: #rt::Secret, },
            (false, true) => {
                quote! { #d pub #ident: ::std::option::Option<::std::string::String>, }
            }
            (false, false) => quote! { #d pub #ident: ::std::string::String, },
        }
    });
    // Credentials with defaults resolve once, at connect time.
    let resolved = p.credentials.iter().filter(|c| !c.secret).map(|c| {
        let ident = value_ident(&c.name);
        match &c.default {
            Some(d) => quote! { let #ident: ::std::string::String = credentials.#ident.clone().unwrap_or_else(|| #d.to_owned()); },
            None => quote! { let #ident: ::std::string::String = credentials.#ident.clone(); },
        }
    });
    let credential_expr = |name: &str| -> TokenStream {
        let ident = value_ident(name);
        match p.credentials.iter().find(|c| c.name == name) {
            Some(c) if c.secret => quote!(credentials.#ident.expose()),
            _ => quote!(#ident.as_str()),
        }
    };
    let render = |t: &Template| -> TokenStream {
        render_template(t, &|var: &[String]| match var {
            [scope, name] if scope == "credentials" => credential_expr(name),
            [name] if name == "id" => quote!(#rt::encode_path_segment(id).as_str()),
            _ => quote!(""),
        })
    };
    let base_url = render(&p.base_url);
    let auth = match &p.auth {
        ir::Auth::None => quote!(#rt::Auth::None),
        ir::Auth::Bearer { token } => {
            let token = render(token);
            quote!(#rt::Auth::Bearer(#rt::Secret::new(#token)))
        }
    };
    let headers = p.headers.iter().map(|(n, t)| {
        let n = n.to_ascii_lowercase();
        let v = render(t);
        quote!((#n, #v))
    });
    let timezone = render(&p.datetime.timezone);
    let formats = &p.datetime.formats;
    let pagination = p.pagination.as_ref().map(|pg| match pg {
        ir::Pagination::PageNumber {
            param,
            first_page,
            next_link,
            last_page,
            stop_on_empty_page,
            max_pages,
        } => {
            let opt_path = |path: &Option<Vec<String>>| match path {
                Some(p) => quote!(::std::option::Option::Some(&[#(#p),*])),
                None => quote!(::std::option::Option::None),
            };
            let next_link = opt_path(next_link);
            let last_page = opt_path(last_page);
            let max_pages = match max_pages {
                Some(m) => {
                    let m = u32::try_from(*m).unwrap_or(u32::MAX);
                    quote!(::std::option::Option::Some(#m))
                }
                None => quote!(::std::option::Option::None),
            };
            quote! {
                /// How lists are paged, from the provider's `pagination`.
                static PAGINATION: #rt::Pagination = #rt::Pagination::PageNumber(#rt::PageNumber {
                    param: #param,
                    first_page: #first_page,
                    next_link: #next_link,
                    last_page: #last_page,
                    stop_on_empty_page: #stop_on_empty_page,
                    max_pages: #max_pages,
                });
            }
        }
    });

    let mut methods = Vec::new();
    let mut mappers = Vec::new();
    for r in &p.resources {
        let Some((model, u)) = unified(ir, r) else {
            continue;
        };
        let model_mod = value_ident(&model.name);
        let ty_name = type_ident(&u.singular);
        let ty = quote!(crate::unified::#model_mod::#ty_name);
        let mapper = format_ident!("map_{}", crate::names::snake(&u.singular));
        let resource_name = &r.name;
        for m in &r.methods {
            let path = render_template(&m.path, &|var: &[String]| match var {
                [name] if name == "id" => quote!(#rt::encode_path_segment(id).as_str()),
                _ => quote!(""),
            });
            let http = format!("{} {}", m.http_method, m.path.display());
            let mut prov = format!("Provenance: {}", m.provenance.kind.as_str());
            if let Some(s) = &m.provenance.source {
                prov.push_str(&format!(" ({s})"));
            }
            if let Some(n) = &m.provenance.note {
                prov.push_str(&format!(". {}", n.trim_end_matches('.')));
            }
            let data = &m.data_path;
            match m.kind {
                MethodKind::List => {
                    let fn_name = format_ident!("list_{}", crate::names::snake(&r.name));
                    let d = doc(&[
                        format!(
                            "Lists every record of `{}`, page by page, as unified `{}`.",
                            r.name, u.singular
                        ),
                        format!("`{http}`. {prov}."),
                        format!("From {}.", m.origin),
                    ]);
                    methods.push(quote! {
                        #d
                        pub fn #fn_name(&self) -> impl ::futures::Stream<Item = ::std::result::Result<#ty, #rt::Error>> + ::std::marker::Send + 'static {
                            let context = self.context.clone();
                            let request = #rt::Request::get(#path);
                            ::futures::StreamExt::map(
                                self.client.paginate(request, &PAGINATION, &[#(#data),*]),
                                move |record| record.and_then(|record| #mapper(&record, &context).map_err(|e| context.error(#resource_name, e))),
                            )
                        }
                    });
                }
                MethodKind::Get => {
                    let fn_name = format_ident!("get_{}", crate::names::snake(&u.singular));
                    let d = doc(&[
                        format!(
                            "Fetches one {} by id, as unified `{}`.",
                            u.singular, u.singular
                        ),
                        format!("`{http}`. {prov}."),
                        format!("From {}.", m.origin),
                    ]);
                    methods.push(quote! {
                        #d
                        pub async fn #fn_name(&self, id: &str) -> ::std::result::Result<#ty, #rt::Error> {
                            let request = #rt::Request::get(#path);
                            let body = self.client.send(&request).await?;
                            let record = #rt::value::path(&body, &[#(#data),*]).ok_or_else(|| {
                                #rt::Error::new(#rt::ErrorKind::Remote, #name, "the response holds no record")
                            })?;
                            #mapper(record, &self.context).map_err(|e| self.context.error(#resource_name, e))
                        }
                    });
                }
            }
        }
        mappers.push(mapper_fn(&mapper, &ty, model, u, r));
    }

    let d = doc(&[
        format!("A connected {} account.", p.title),
        p.docs_url
            .as_ref()
            .map(|u| format!("API documentation: <{u}>"))
            .unwrap_or_default(),
        format!("From {}.", p.origin),
    ]);
    let cd = doc(&[format!(
        "What an account of {} needs to connect. From {}.",
        p.title, p.origin
    )]);
    let module_doc = inner_doc(&[
        format!(
            "{} adapter: connection, calls and compiled mappings.",
            p.title
        ),
        format!("Generated from {}.", p.origin),
    ]);
    let tokens = quote! {
        #module_doc
        #cd
        #[derive(Debug, Clone)]
        pub struct #creds { #(#cred_fields)* }

        #d
        #[derive(Debug, Clone)]
        pub struct #client {
            client: #rt::Client,
            context: #rt::MapContext,
        }

        impl #client {
            /// The provider's name in mappings, tool names and errors.
            pub const NAME: &'static str = #name;

            /// Connects an account; nothing is sent until the first call.
            pub fn connect(credentials: &#creds, options: #rt::ClientOptions) -> ::std::result::Result<Self, #rt::Error> {
                #(#resolved)*
                let client = #rt::Client::new(#rt::ClientConfig {
                    provider: #name,
                    base_url: #base_url,
                    auth: #auth,
                    headers: ::std::vec![#(#headers),*],
                    options,
                })?;
                let context = #rt::MapContext::new(#name, &#timezone, &[#(#formats),*])?;
                ::std::result::Result::Ok(Self { client, context })
            }

            #(#methods)*
        }

        #pagination

        #(#mappers)*
    };
    file(tokens, &p.origin)
}

/// A template as an expression of type `String`.
fn render_template(t: &Template, var: &dyn Fn(&[String]) -> TokenStream) -> TokenStream {
    if t.is_literal() {
        let s = t.display();
        return quote!(::std::string::String::from(#s));
    }
    if let [Piece::Var(v, _)] = t.pieces.as_slice() {
        let value = var(v);
        return quote!(::std::string::String::from(#value));
    }
    let mut fmt = String::new();
    let mut args = Vec::new();
    for p in &t.pieces {
        match p {
            Piece::Text(s) => fmt.push_str(&s.replace('{', "{{").replace('}', "}}")),
            Piece::Var(v, _) => {
                fmt.push_str("{}");
                args.push(var(v));
            }
        }
    }
    quote!(::std::format!(#fmt, #(#args),*))
}

fn mapper_fn(
    mapper: &syn::Ident,
    ty: &TokenStream,
    model: &ir::Model,
    u: &ir::Resource,
    r: &ir::ProviderResource,
) -> TokenStream {
    let rt = rt();
    let fields = u.fields.iter().map(|f| {
        let ident = value_ident(&f.name);
        let field_name = &f.name;
        let value = match r.fields.iter().find(|m| m.field == f.name) {
            None if field_is_list(f) => quote!(::std::vec::Vec::new()),
            None => quote!(::std::option::Option::None),
            Some(m) => {
                let v = value_mapping(&m.value, f, u, &model.name);
                if f.required {
                    quote!(#rt::convert::required(#v, #field_name)?)
                } else {
                    v
                }
            }
        };
        quote!(#ident: #value,)
    });
    let uses_context = r.fields.iter().any(|m| {
        matches!(m.value, ValueMapping::Datetime { .. })
            || matches!(&m.value, ValueMapping::Expr(_) if u.fields.iter().any(|f| f.name == m.field
                && matches!(&f.ty, FieldType::List(inner) if matches!(**inner, FieldType::Datetime | FieldType::Date))))
    });
    let context = if uses_context {
        quote!(context)
    } else {
        quote!(_context)
    };
    let d = doc(&[format!(
        "Maps a {} record to unified `{}.{}` (compiled from {}).",
        r.name, model.name, u.name, r.origin
    )]);
    quote! {
        #d
        fn #mapper(record: &::serde_json::Value, #context: &#rt::MapContext) -> ::std::result::Result<#ty, #rt::MappingError> {
            ::std::result::Result::Ok(#ty { #(#fields)* })
        }
    }
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

fn value_mapping(v: &ValueMapping, f: &ir::Field, u: &ir::Resource, model: &str) -> TokenStream {
    let rt = rt();
    let record = quote!(record);
    let name = &f.name;
    // A conversion as something callable with `(value, field)`, for list elements.
    let scalar_fn = |ty: &FieldType| -> TokenStream {
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
            FieldType::String | FieldType::Enum(_) | FieldType::List(_) => {
                quote!(#rt::convert::string)
            }
        }
    };
    match v {
        ValueMapping::Expr(e) => match &f.ty {
            FieldType::List(inner) => {
                let items = many(e, &record, name);
                let conv = scalar_fn(inner);
                quote!(#rt::convert::list(#items, #name, #conv)?)
            }
            FieldType::Json => {
                let e = single(e, &record);
                quote!(#rt::convert::json(#e))
            }
            FieldType::Integer => {
                let e = single(e, &record);
                quote!(#rt::convert::integer(#e, #name)?)
            }
            FieldType::Number => {
                let e = single(e, &record);
                quote!(#rt::convert::number(#e, #name)?)
            }
            FieldType::Boolean => {
                let e = single(e, &record);
                quote!(#rt::convert::boolean(#e, #name)?)
            }
            // Enums, dates and references are lowered to their own mappings by the checker.
            FieldType::String
            | FieldType::Enum(_)
            | FieldType::Datetime
            | FieldType::Date
            | FieldType::Reference => {
                let e = single(e, &record);
                quote!(#rt::convert::string(#e, #name)?)
            }
        },
        ValueMapping::Datetime { from, formats } => {
            let e = single(from, &record);
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
        } => {
            let e = single(from, &record);
            let model_mod = value_ident(model);
            let enum_ident = enum_type(u, f);
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
            let id = single(id, &record);
            let n = n
                .as_ref()
                .map_or(quote!(::std::option::Option::None), |n| single(n, &record));
            quote!(#rt::convert::reference(#id, #n, #name)?)
        }
        ValueMapping::References(items) => {
            let refs = items.iter().map(|(id, n)| {
                let id = single(id, &record);
                let n = n
                    .as_ref()
                    .map_or(quote!(::std::option::Option::None), |n| single(n, &record));
                quote!(#rt::convert::reference(#id, #n, #name)?)
            });
            quote!([#(#refs),*].into_iter().flatten().collect())
        }
    }
}
