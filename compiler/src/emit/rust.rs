//! Rust emitter: unified models as types, providers as typed clients whose mappings are compiled
//! to direct access (`quote` → `syn::File` → `prettyplease`).

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::expr::Expr;
use crate::ir::{self, FieldType, Ir, MethodKind, PaginationKind, ValueMapping};
use crate::names::{snake, type_ident, value_ident};
use crate::template::{Piece, Template};

use super::{HEADER, Layout, Output, SINGLE_FILE};

fn rt() -> TokenStream {
    quote!(::switchboard_runtime)
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

/// One generated module: its inner docs and its items.
struct Module {
    name: syn::Ident,
    docs: TokenStream,
    items: TokenStream,
    source: String,
}

pub fn emit(ir: &Ir, layout: Layout, out: &mut Output) {
    let models: Vec<Module> = ir.models.iter().map(model).collect();
    let providers: Vec<Module> = ir.providers.iter().map(|p| provider(ir, p)).collect();
    let provider_names: Vec<_> = ir.providers.iter().map(|p| p.name.as_str()).collect();
    let providers_const = quote! {
        /// The names of every provider with an adapter.
        pub const PROVIDERS: &[&str] = &[#(#provider_names),*];
    };
    let unified_doc =
        quote!(#[doc = " Unified models, one module per model file in `mappings/unified/`."]);
    let providers_doc =
        quote!(#[doc = " Provider clients, one module per directory in `mappings/providers/`."]);
    match layout {
        Layout::Crate => {
            let model_names = models.iter().map(|m| &m.name);
            let provider_idents = providers.iter().map(|m| &m.name);
            // `#[rustfmt::skip]` keeps `cargo fmt` of the workspace from reformatting
            // prettyplease's output, which would make the committed files differ from a build.
            let lib = quote! {
                //! Switchboard's compiled adapters: the unified models and one typed client per provider.
                #![deny(warnings)]

                #unified_doc
                #[rustfmt::skip]
                pub mod unified {
                    #( pub mod #model_names; )*
                }

                #providers_doc
                #[rustfmt::skip]
                pub mod providers {
                    #( pub mod #provider_idents; )*
                }

                #providers_const
            };
            out.insert("src/lib.rs", file(lib, "mappings/"));
            for m in &models {
                let (docs, items) = (&m.docs, &m.items);
                out.insert(
                    format!("src/unified/{}.rs", m.name),
                    file(quote!(#docs #items), &m.source),
                );
            }
            for p in &providers {
                let (docs, items) = (&p.docs, &p.items);
                out.insert(
                    format!("src/providers/{}.rs", p.name),
                    file(quote!(#docs #items), &p.source),
                );
            }
        }
        Layout::SingleFile => {
            let inline = |mods: &[Module]| -> Vec<TokenStream> {
                mods.iter()
                    .map(|m| {
                        let (name, docs, items) = (&m.name, &m.docs, &m.items);
                        quote!(pub mod #name { #docs #items })
                    })
                    .collect()
            };
            let (model_mods, provider_mods) = (inline(&models), inline(&providers));
            let tokens = quote! {
                #unified_doc
                pub mod unified { #(#model_mods)* }
                #providers_doc
                pub mod providers { #(#provider_mods)* }
                #providers_const
            };
            out.insert(SINGLE_FILE, file(tokens, "mappings/"));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Docs

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

// ---------------------------------------------------------------------------------------------
// Unified models

/// The name of the enum type generated for an enum field of a type named `owner`.
fn enum_type(owner: &str, field: &ir::Field) -> syn::Ident {
    type_ident(&format!("{owner}_{}", field.name))
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
        FieldType::Object { name, .. } => {
            let ident = type_ident(name);
            quote!(#ident)
        }
        FieldType::Json => quote!(::serde_json::Value),
    }
}

fn has_float(ty: &FieldType) -> bool {
    match ty {
        FieldType::Number => true,
        FieldType::List(inner) => has_float(inner),
        FieldType::Object { fields, .. } => fields.iter().any(|f| has_float(&f.ty)),
        _ => false,
    }
}

fn model(m: &ir::Model) -> Module {
    // Types by name: object types may be shared, and each is defined once.
    let mut types: BTreeMap<String, TokenStream> = BTreeMap::new();
    let mut items = Vec::new();
    for r in &m.resources {
        let d = doc(&[
            r.description.clone(),
            format!("Unified `{}.{}`, from {}.", m.name, r.name, r.origin),
        ]);
        items.push(struct_def(&r.singular, &r.fields, d, &mut types));
    }
    items.extend(types.into_values());
    Module {
        name: value_ident(&m.name),
        docs: inner_doc(&[
            format!("{}: {}", m.title, m.description),
            format!("Generated from {}.", m.origin),
        ]),
        items: quote!(#(#items)*),
        source: m.origin.clone(),
    }
}

/// A struct for `fields`, named after `owner`; its enums and object types go into `types`.
fn struct_def(
    owner: &str,
    fields: &[ir::Field],
    docs: TokenStream,
    types: &mut BTreeMap<String, TokenStream>,
) -> TokenStream {
    let name = type_ident(owner);
    let eq = if fields.iter().any(|f| has_float(&f.ty)) {
        quote!()
    } else {
        quote!(Eq,)
    };
    let members = fields.iter().map(|f| {
        let ident = value_ident(&f.name);
        let ty = rust_type(&f.ty, &enum_type(owner, f));
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
        } else if matches!(f.ty, FieldType::List(_)) {
            quote! { #d #rename #[serde(default)] pub #ident: #ty, }
        } else {
            quote! { #d #rename #[serde(default)] pub #ident: ::std::option::Option<#ty>, }
        }
    });
    let def = quote! {
        #docs
        #[derive(Debug, Clone, PartialEq, #eq ::serde::Serialize, ::serde::Deserialize)]
        pub struct #name { #(#members)* }
    };
    for f in fields {
        nested_types(owner, f, &f.ty, types);
    }
    def
}

fn nested_types(
    owner: &str,
    f: &ir::Field,
    ty: &FieldType,
    types: &mut BTreeMap<String, TokenStream>,
) {
    match ty {
        FieldType::Enum(values) => {
            let name = enum_type(owner, f);
            types
                .entry(name.to_string())
                .or_insert_with(|| enum_def(owner, f, values));
        }
        FieldType::List(inner) => nested_types(owner, f, inner, types),
        FieldType::Object { name, fields }
            if !types.contains_key(&type_ident(name).to_string()) =>
        {
            let d = doc(&[
                f.description.clone(),
                format!(
                    "The object of unified field `{}`, from {}.",
                    f.name, f.origin
                ),
            ]);
            // Reserve the name first, so recursion cannot define it twice.
            types.insert(type_ident(name).to_string(), TokenStream::new());
            let def = struct_def(name, fields, d, types);
            types.insert(type_ident(name).to_string(), def);
        }
        _ => {}
    }
}

fn enum_def(owner: &str, f: &ir::Field, values: &[String]) -> TokenStream {
    let name = enum_type(owner, f);
    let variants: Vec<_> = values.iter().map(|v| type_ident(v)).collect();
    let docs = values.iter().map(|v| format!(" `{v}`"));
    let d = doc(&[format!(
        "Values of `{}`. `Other` holds a provider value outside the unified set, unchanged.",
        f.name
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

fn provider(ir: &Ir, p: &ir::Provider) -> Module {
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
            _ => quote!(""),
        })
    };
    let secret = |t: &Template| {
        let v = render(t);
        quote!(#rt::Secret::new(#v))
    };
    let base_url = render(&p.base_url);
    let auth = match &p.auth {
        ir::Auth::None => quote!(#rt::Auth::None),
        ir::Auth::Bearer { token } => {
            let token = secret(token);
            quote!(#rt::Auth::Bearer(#token))
        }
        ir::Auth::Basic { username, password } => {
            let (u, pw) = (secret(username), secret(password));
            quote!(#rt::Auth::Basic { username: #u, password: #pw })
        }
        ir::Auth::ApiKey {
            name,
            in_query,
            value,
        } => {
            let v = secret(value);
            quote!(#rt::Auth::ApiKey { name: ::std::string::String::from(#name), in_query: #in_query, value: #v })
        }
        ir::Auth::OAuth2ClientCredentials {
            token_url,
            client_id,
            client_secret,
            scopes,
        } => {
            let (url, id, sec) = (render(token_url), secret(client_id), secret(client_secret));
            quote!(#rt::Auth::OAuth2ClientCredentials {
                token_url: #url,
                client_id: #id,
                client_secret: #sec,
                scopes: ::std::vec![#(::std::string::String::from(#scopes)),*],
            })
        }
        ir::Auth::Login {
            url,
            body,
            token,
            expires_in,
            scheme,
        } => {
            let url = render(url);
            let body = body.iter().map(|(k, v)| {
                let v = secret(v);
                quote!((::std::string::String::from(#k), #v))
            });
            let expires = opt_path(expires_in.as_deref());
            quote!(#rt::Auth::Login {
                url: #url,
                body: ::std::vec![#(#body),*],
                token: &[#(#token),*],
                expires_in: #expires,
                scheme: ::std::string::String::from(#scheme),
            })
        }
    };
    let headers = p.headers.iter().map(|(n, t)| {
        let n = n.to_ascii_lowercase();
        let v = render(t);
        quote!((#n, #v))
    });
    let timezone = render(&p.datetime.timezone);
    let formats = &p.datetime.formats;
    let pagination = p.pagination.as_ref().map(|pg| {
        let kind = pagination_kind(&pg.kind);
        let max_pages = match pg.max_pages {
            Some(m) => {
                let m = u32::try_from(m).unwrap_or(u32::MAX);
                quote!(::std::option::Option::Some(#m))
            }
            None => quote!(::std::option::Option::None),
        };
        quote! {
            /// How lists are paged, from the provider's `pagination`.
            static PAGINATION: #rt::Pagination = #rt::Pagination { kind: #kind, max_pages: #max_pages };
        }
    });

    let mut methods = Vec::new();
    let mut mappers = Vec::new();
    let mut uses_credentials = false;
    for r in &p.resources {
        let Some((model, u)) = ir.unified(r) else {
            continue;
        };
        let model_mod = value_ident(&model.name);
        let ty_name = type_ident(&u.singular);
        let ty = quote!(crate::unified::#model_mod::#ty_name);
        let resource_name = &r.name;
        let base_mapper = format_ident!("map_{}", snake(&u.singular));
        let mut base_needed = false;
        for m in &r.methods {
            // Writes and custom methods are generated from the next version of the emitter on;
            // the checker already validates them.
            if !matches!(m.kind, MethodKind::List | MethodKind::Get) {
                continue;
            }
            let mapper = match &m.fields {
                Some(overrides) => {
                    let mapper = format_ident!("map_{}_{}", snake(&u.singular), snake(&m.name));
                    let merged = merge(&r.fields, overrides);
                    mappers.push(mapper_fn(
                        &mapper,
                        &ty,
                        model,
                        u,
                        r,
                        &merged,
                        &format!("`{}` of {}", m.name, r.origin),
                    ));
                    mapper
                }
                None => {
                    base_needed = true;
                    base_mapper.clone()
                }
            };
            let path = render_template(&m.path, &|var: &[String]| match var {
                [name] if name == "id" => quote!(#rt::encode_path_segment(id).as_str()),
                [scope, cname] if scope == "credentials" => {
                    let ident = value_ident(cname);
                    quote!(self.settings.#ident.as_str())
                }
                _ => quote!(""),
            });
            uses_credentials |= m
                .path
                .vars()
                .any(|(v, _)| v.first().is_some_and(|s| s == "credentials"));
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
                    let fn_name = format_ident!("list_{}", snake(&r.name));
                    let d = doc(&[
                        format!(
                            "Lists every record of `{}`, page by page, as unified `{}`.",
                            r.name, u.singular
                        ),
                        format!("`{http}`. {prov}."),
                        format!("From {}.", m.origin),
                    ]);
                    let pages = if m.paginated && p.pagination.is_some() {
                        quote!(self.client.paginate(request, &PAGINATION, &[#(#data),*]))
                    } else {
                        quote!(self.client.single_page(request, &[#(#data),*]))
                    };
                    methods.push(quote! {
                        #d
                        pub fn #fn_name(&self) -> impl ::futures::Stream<Item = ::std::result::Result<#ty, #rt::Error>> + ::std::marker::Send + 'static {
                            let context = self.context.clone();
                            let request = #rt::Request::get(#path);
                            ::futures::StreamExt::map(
                                #pages,
                                move |record| record.and_then(|record| #mapper(&record, &context).map_err(|e| context.error(#resource_name, e))),
                            )
                        }
                    });
                }
                _ => {
                    let fn_name = format_ident!("get_{}", snake(&u.singular));
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
        if base_needed {
            mappers.push(mapper_fn(
                &base_mapper,
                &ty,
                model,
                u,
                r,
                &r.fields,
                &r.origin,
            ));
        }
    }

    // Non-secret credentials that request paths use are kept, resolved, in `settings`.
    let (settings_def, settings_field, settings_init) = if uses_credentials {
        let public: Vec<_> = p
            .credentials
            .iter()
            .filter(|c| !c.secret)
            .map(|c| value_ident(&c.name))
            .collect();
        (
            quote! {
                /// The account's non-secret settings, resolved at connect time.
                #[derive(Debug, Clone)]
                struct Settings { #(#public: ::std::string::String,)* }
            },
            quote!(settings: Settings,),
            quote!(settings: Settings { #(#public: #public.clone(),)* },),
        )
    } else {
        (quote!(), quote!(), quote!())
    };
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
    let items = quote! {
        #cd
        #[derive(Debug, Clone)]
        pub struct #creds { #(#cred_fields)* }

        #settings_def

        #d
        #[derive(Debug, Clone)]
        pub struct #client {
            client: #rt::Client,
            context: #rt::MapContext,
            #settings_field
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
                ::std::result::Result::Ok(Self { client, context, #settings_init })
            }

            #(#methods)*
        }

        #pagination

        #(#mappers)*
    };
    Module {
        name: value_ident(&p.name),
        docs: inner_doc(&[
            format!(
                "{} adapter: connection, calls and compiled mappings.",
                p.title
            ),
            format!("Generated from {}.", p.origin),
        ]),
        items,
        source: p.origin.clone(),
    }
}

fn opt_path(path: Option<&[String]>) -> TokenStream {
    match path {
        Some(p) => quote!(::std::option::Option::Some(&[#(#p),*])),
        None => quote!(::std::option::Option::None),
    }
}

fn pagination_kind(kind: &PaginationKind) -> TokenStream {
    let rt = rt();
    let opt_str = |s: &Option<String>| match s {
        Some(s) => quote!(::std::option::Option::Some(#s)),
        None => quote!(::std::option::Option::None),
    };
    match kind {
        PaginationKind::PageNumber {
            param,
            first_page,
            size_param,
            page_size,
            next_link,
            last_page,
            stop_on_empty_page,
        } => {
            let size_param = opt_str(size_param);
            let page_size = match page_size {
                Some(n) => quote!(::std::option::Option::Some(#n)),
                None => quote!(::std::option::Option::None),
            };
            let (next_link, last_page) = (
                opt_path(next_link.as_deref()),
                opt_path(last_page.as_deref()),
            );
            quote!(#rt::PaginationKind::PageNumber {
                param: #param,
                first_page: #first_page,
                size_param: #size_param,
                page_size: #page_size,
                next_link: #next_link,
                last_page: #last_page,
                stop_on_empty_page: #stop_on_empty_page,
            })
        }
        PaginationKind::OffsetLimit {
            offset_param,
            limit_param,
            limit,
            total,
            stop_on_short_page,
        } => {
            let total = opt_path(total.as_deref());
            quote!(#rt::PaginationKind::OffsetLimit {
                offset_param: #offset_param,
                limit_param: #limit_param,
                limit: #limit,
                total: #total,
                stop_on_short_page: #stop_on_short_page,
            })
        }
        PaginationKind::Cursor {
            param,
            source,
            has_more,
        } => {
            let source = match source {
                ir::CursorSource::Body(p) => quote!(#rt::CursorSource::Body(&[#(#p),*])),
                ir::CursorSource::Header(h) => quote!(#rt::CursorSource::Header(#h)),
            };
            let has_more = opt_path(has_more.as_deref());
            quote!(#rt::PaginationKind::Cursor { param: #param, source: #source, has_more: #has_more })
        }
        PaginationKind::LinkHeader => quote!(#rt::PaginationKind::LinkHeader),
        PaginationKind::NextUrl { next } => {
            quote!(#rt::PaginationKind::NextUrl { next: &[#(#next),*] })
        }
        PaginationKind::Hal { next } => quote!(#rt::PaginationKind::Hal { next: &[#(#next),*] }),
    }
}

/// The resource's mappings with a method's overrides replacing fields of the same name.
fn merge(base: &[ir::FieldMapping], overrides: &[ir::FieldMapping]) -> Vec<ir::FieldMapping> {
    let mut out: Vec<ir::FieldMapping> = base
        .iter()
        .filter(|b| !overrides.iter().any(|o| o.field == b.field))
        .cloned()
        .collect();
    out.extend(overrides.iter().cloned());
    out
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

// ---------------------------------------------------------------------------------------------
// Compiled mappings

/// What the code of one mapping function needs to know.
struct MapCx<'a> {
    model: &'a str,
}

fn mapper_fn(
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
    let d = doc(&[format!(
        "Maps a {} record to unified `{}.{}` (compiled from {source}).",
        r.name, model.name, u.name
    )]);
    quote! {
        #d
        fn #mapper(record: &::serde_json::Value, #context: &#rt::MapContext) -> ::std::result::Result<#ty, #rt::MappingError> {
            ::std::result::Result::Ok(#body)
        }
    }
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
            (ValueMapping::Datetime { .. }, _) => true,
            (ValueMapping::Expr(_) | ValueMapping::Const(_), ty) => dated(ty),
            (ValueMapping::Object(members), FieldType::Object { fields, .. }) => {
                needs_context(fields, members)
            }
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
                if f.required && !matches!(f.ty, FieldType::List(_)) {
                    quote!(#rt::convert::required(#v, #name)?)
                } else {
                    v
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
                    quote!((#conv)(::std::option::Option::Some(&constant), #name)?)
                }
            };
            quote!({
                let constant: ::serde_json::Value = ::serde_json::from_str(#json).unwrap_or_default();
                #conv
            })
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
