//! One client per provider: connection, one typed method per mapped method, a call by name for
//! the registry, and `map` for trying compiled mappings on payloads.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::mapping::{ShapeNode, mapper_fn, pagination_paths, record_shape};
use super::model::{body_type, query_type};
use super::{Module, doc, inner_doc, module_ident, rt};
use crate::ir::{self, Ir, MethodKind, PaginationKind, Returns};
use crate::names::{const_name, snake, type_ident, value_ident};
use crate::template::{Piece, Template};

pub(super) fn provider(ir: &Ir, p: &ir::Provider) -> Module {
    let rt = rt();
    let client = type_ident(&p.name);
    let creds = format_ident!("{}Credentials", client);
    let name = &p.name;

    let cred_fields = p.credentials.iter().map(|c| {
        let ident = value_ident(&c.name);
        let mut lines = vec![c.description.clone()];
        if !c.values.is_empty() {
            let values: Vec<String> = c.values.iter().map(|(k, _)| format!("`{k}`")).collect();
            lines.push(format!("One of {}.", values.join(", ")));
        }
        if let Some(d) = &c.default {
            lines.push(format!("Default: `{d}`."));
        }
        if c.optional {
            lines.push("Optional: needed by one of the ways to authenticate.".to_owned());
        }
        let d = doc(&lines);
        match (c.secret, c.default.is_some() || c.optional) {
            (true, true) => quote! { #d pub #ident: ::std::option::Option<#rt::Secret>, },
            (true, false) => quote! { #d pub #ident: #rt::Secret, },
            (false, true) => {
                quote! { #d pub #ident: ::std::option::Option<::std::string::String>, }
            }
            (false, false) => quote! { #d pub #ident: ::std::string::String, },
        }
    });
    // Non-secret credentials resolve once, at connect time, into `settings`.
    let public: Vec<&ir::Credential> = p
        .credentials
        .iter()
        .filter(|c| !c.secret && !c.optional)
        .collect();
    let public_idents: Vec<syn::Ident> = public.iter().map(|c| value_ident(&c.name)).collect();
    let public_names: Vec<&str> = public.iter().map(|c| c.name.as_str()).collect();
    let resolved = public.iter().map(|c| {
        let ident = value_ident(&c.name);
        let given = match &c.default {
            Some(d) => quote! { let #ident: ::std::string::String = credentials.#ident.clone().unwrap_or_else(|| #d.to_owned()); },
            None => quote! { let #ident: ::std::string::String = credentials.#ident.clone(); },
        };
        if c.values.is_empty() {
            return given;
        }
        // A credential with declared values stands for its text in templates.
        let keys = c.values.iter().map(|(k, _)| k);
        let texts = c.values.iter().map(|(_, v)| v);
        let known = c.values.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>().join(", ");
        let cname = &c.name;
        quote! {
            #given
            let #ident: ::std::string::String = match #ident.as_str() {
                #(#keys => #texts.to_owned(),)*
                other => {
                    return ::std::result::Result::Err(#rt::Error::configuration(
                        #name,
                        ::std::format!("credential `{}` is `{other}`, which is not one of: {}", #cname, #known),
                    ));
                }
            };
        }
    });
    let from_map = p.credentials.iter().map(|c| {
        let ident = value_ident(&c.name);
        let key = &c.name;
        match (c.secret, c.default.is_some() || c.optional) {
            (true, true) => quote!(#ident: credentials.get(#key).cloned().map(#rt::Secret::new),),
            (true, false) => {
                quote!(#ident: #rt::Secret::new(#rt::credential(#name, credentials, #key)?),)
            }
            (false, true) => quote!(#ident: credentials.get(#key).cloned(),),
            (false, false) => quote!(#ident: #rt::credential(#name, credentials, #key)?,),
        }
    });
    let credential_expr = |cname: &str| -> TokenStream {
        let ident = value_ident(cname);
        match p.credentials.iter().find(|c| c.name == cname) {
            // Optional credentials are bound by the auth option that reads them.
            Some(c) if c.secret && c.optional => quote!(#ident.expose()),
            Some(c) if c.secret => quote!(credentials.#ident.expose()),
            _ => quote!(#ident.as_str()),
        }
    };
    let render = |t: &Template| -> TokenStream {
        render_template(t, &|var: &[String]| match var {
            [scope, cname] if scope == "credentials" => credential_expr(cname),
            _ => quote!(""),
        })
    };
    let secret = |t: &Template| {
        let v = render(t);
        quote!(#rt::Secret::new(#v))
    };
    let base_url = render(&p.base_url);
    let auth = auth(p, &p.auth, &render, &secret);
    let headers = p.headers.iter().map(|(n, t)| {
        let n = n.to_ascii_lowercase();
        let v = render(t);
        quote!((#n, #v))
    });
    let timezone = render(&p.datetime.timezone);
    let default_timezone = p.default_timezone();
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

    let rate_limit = match p.rate_limit {
        Some(ir::RateLimit {
            requests,
            per_seconds,
        }) => {
            quote!(::std::option::Option::Some(#rt::RateLimit { requests: #requests, per_seconds: #per_seconds }))
        }
        None => quote!(::std::option::Option::None),
    };
    let errors = error_rules(&p.errors);

    let mut methods = Vec::new();
    let mut statics = Vec::new();
    let mut mappers = Vec::new();
    let mut call_arms = Vec::new();
    let mut page_arms = Vec::new();
    let mut map_arms = Vec::new();
    let mut tool_arms = Vec::new();
    let mut native_types = std::collections::BTreeMap::new();
    for r in &p.resources {
        if let Some(native) = &r.native {
            for m in &r.methods {
                if let Some(n) = &m.native {
                    let generated = native_method(p, r, native, m, n, &mut native_types);
                    methods.push(generated.method);
                    statics.push(generated.statics);
                    tool_arms.push(generated.tool_arm);
                }
            }
            continue;
        }
        let Some((model, u)) = ir.unified(r) else {
            continue;
        };
        let model_mod = module_ident(&model.name);
        let ty_name = type_ident(&u.singular);
        let ty = quote!(crate::unified::#model_mod::#ty_name);
        let mut generated_mappers: Vec<syn::Ident> = Vec::new();
        for m in &r.methods {
            let Some(um) = u.method(&m.name) else {
                continue;
            };
            let mappings = match &m.fields {
                Some(overrides) => merge(&r.fields, overrides),
                None => r.fields.clone(),
            };
            let mapper = match &m.fields {
                Some(_) => format_ident!("map_{}_{}", snake(&u.singular_stem()), snake(&m.name)),
                None => format_ident!("map_{}", snake(&u.singular_stem())),
            };
            if um.returns != Returns::Nothing {
                if !generated_mappers.contains(&mapper) {
                    let source = if m.fields.is_some() {
                        format!("`{}` of {}", m.name, r.origin)
                    } else {
                        r.origin.clone()
                    };
                    mappers.push(mapper_fn(&mapper, &ty, model, u, r, &mappings, &source));
                    generated_mappers.push(mapper.clone());
                }
                let (resource, method_name) = (&r.name, &m.name);
                map_arms.push(quote! {
                    (#resource, #method_name) => #rt::to_json(#mapper(record, &context, full).map_err(|e| context.error(#resource, e))?),
                });
            }
            let generated = method(p, r, u, um, m, &ty, &mapper, &mappings);
            methods.push(generated.method.clone());
            statics.push(generated.statics.clone());
            call_arms.push(generated.call_arm(&model.name, &u.name));
            page_arms.extend(generated.page_arm(&model.name, &u.name));
            let (tool, model_name, unified_name, mname) =
                (&m.tool_name, &model.name, &u.name, &m.name);
            tool_arms.push(quote! {
                #tool => self.call(#model_name, #unified_name, #mname, input.get("id").and_then(::serde_json::Value::as_str), input).await,
            });
        }
    }

    let title = &p.title;
    // What every native method does: fill the request from its query and the account, send it,
    // and answer the JSON at the method's path, or the file.
    let has_native = |binary: bool| {
        p.resources
            .iter()
            .flat_map(|r| &r.methods)
            .any(|m| m.native.as_ref().is_some_and(|n| n.binary == binary))
    };
    let native_json = has_native(false).then(|| {
        quote! {
            async fn native(
                &self,
                spec: &#rt::request::Spec,
                query: ::std::option::Option<::serde_json::Value>,
                defaults: &[(&str, &str)],
                answer: &[&str],
            ) -> ::std::result::Result<::serde_json::Value, #rt::Error> {
                let mut vars = self.vars(::std::option::Option::None, query, ::std::option::Option::None);
                #rt::request::defaults(&mut vars, defaults);
                let request = #rt::request::build(Self::NAME, spec, &vars)?;
                let response = self.client.send_full(&request).await?;
                #rt::native_result(Self::NAME, &response.body, answer)
                    .map_err(|e| self.client.about_response(&response, e).with_operation(request.operation))
            }
        }
    });
    let native_file = has_native(true).then(|| {
        quote! {
            async fn native_file(
                &self,
                spec: &#rt::request::Spec,
                query: ::std::option::Option<::serde_json::Value>,
                defaults: &[(&str, &str)],
            ) -> ::std::result::Result<#rt::Download, #rt::Error> {
                let mut vars = self.vars(::std::option::Option::None, query, ::std::option::Option::None);
                #rt::request::defaults(&mut vars, defaults);
                let request = #rt::request::build(Self::NAME, spec, &vars)?;
                self.client.send_stream(&request).await
            }
        }
    });
    let native_helpers = quote!(#native_json #native_file);
    // A provider without readable resources maps nothing.
    let map_body = if map_arms.is_empty() {
        quote! {
            let _ = (record, full, context);
            ::std::result::Result::Err(#rt::Error::unsupported(#name, resource, method))
        }
    } else {
        quote! {
            match (resource, method) {
                #(#map_arms)*
                _ => ::std::result::Result::Err(#rt::Error::unsupported(#name, resource, method)),
            }
        }
    };
    // Not every provider has a method that takes an id or an input, or any unified method.
    let call_body = if call_arms.is_empty() {
        quote! {
            let _ = (model, id, input);
            ::std::result::Result::Err(#rt::Error::unsupported(#name, resource, method))
        }
    } else {
        quote! {
            let _ = (id, input);
            match (model, resource, method) {
                #(#call_arms)*
                _ => ::std::result::Result::Err(#rt::Error::unsupported(#name, resource, method)),
            }
        }
    };
    let page_body = if page_arms.is_empty() {
        quote! {
            let _ = (model, input, page);
            ::std::result::Result::Err(#rt::Error::unsupported(#name, resource, "list"))
        }
    } else {
        quote! {
            match (model, resource) {
                #(#page_arms)*
                _ => ::std::result::Result::Err(#rt::Error::unsupported(#name, resource, "list")),
            }
        }
    };
    // A provider with native resources only maps no records.
    let context_allow = map_arms.is_empty().then(|| quote!(#[allow(dead_code)]));
    let native_type_items = native_types.values();
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

        /// The account's non-secret credentials, resolved at connect time.
        #[derive(Debug, Clone)]
        struct Settings { #(#public_idents: ::std::string::String,)* }

        #d
        #[derive(Debug, Clone)]
        pub struct #client {
            client: #rt::Client,
            #context_allow
            context: #rt::MapContext,
            settings: Settings,
            full: bool,
            overrides: ::std::option::Option<::std::sync::Arc<#rt::interpret::Override>>,
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
                    rate_limit: #rate_limit,
                    errors: #errors,
                    options,
                })?;
                let context = #rt::MapContext::new(#name, &#timezone, FORMATS)?;
                let settings = Settings { #(#public_idents: #public_idents.clone(),)* };
                ::std::result::Result::Ok(Self { client, context, settings, full: false, overrides: ::std::option::Option::None })
            }

            /// Connects an account from credentials given by name (the registry, the CLI).
            pub fn connect_with(
                credentials: &::std::collections::BTreeMap<::std::string::String, ::std::string::String>,
                options: #rt::ClientOptions,
            ) -> ::std::result::Result<Self, #rt::Error> {
                Self::connect(&#creds { #(#from_map)* }, options)
            }

            /// Applies a per-account override: the fields it names are mapped by the
            /// interpreter from the override's YAML, every other field by the compiled mapping.
            pub fn with_override(mut self, overrides: #rt::interpret::Override) -> ::std::result::Result<Self, #rt::Error> {
                if overrides.provider() != Self::NAME {
                    return ::std::result::Result::Err(#rt::Error::configuration(
                        Self::NAME,
                        ::std::format!("override `{}` is for {}, not {}", overrides.name(), overrides.provider(), Self::NAME),
                    ));
                }
                self.overrides = ::std::option::Option::Some(::std::sync::Arc::new(overrides));
                ::std::result::Result::Ok(self)
            }

            /// Also fills the unified fields marked `on_request` (`remote_data`: the provider's
            /// record as it came), at the cost of parsing each record whole.
            pub fn with_remote_data(mut self, on: bool) -> Self {
                self.full = on;
                self
            }

            /// The account's HTTP client (base URL, credentials, retries), for requests no
            /// method describes, such as a proxy's.
            pub fn client(&self) -> &#rt::Client {
                &self.client
            }

            fn vars(
                &self,
                id: ::std::option::Option<&str>,
                query: ::std::option::Option<::serde_json::Value>,
                body: ::std::option::Option<::serde_json::Value>,
            ) -> ::serde_json::Value {
                #rt::request::vars(id, query, body, &[#((#public_names, self.settings.#public_idents.as_str())),*])
            }

            #native_helpers

            #(#methods)*

            /// Calls a unified method by name with unified JSON input (`{"query": …, "body": …}`).
            pub async fn call(
                &self,
                model: &str,
                resource: &str,
                method: &str,
                id: ::std::option::Option<&str>,
                input: &::serde_json::Value,
            ) -> ::std::result::Result<#rt::Output, #rt::Error> {
                #call_body
            }

            /// One page of a unified list by name with unified JSON input (`{"query": …}`):
            /// from the start or after an earlier page's `next_cursor`, at most `page.limit`
            /// records.
            pub async fn call_page(
                &self,
                model: &str,
                resource: &str,
                input: &::serde_json::Value,
                page: #rt::PageRequest<'_>,
            ) -> ::std::result::Result<#rt::Page<::serde_json::Value>, #rt::Error> {
                #page_body
            }

            /// Calls a method by its MCP tool name with the tool's JSON arguments (as the
            /// catalog's input schema describes them): what an MCP server does with a call.
            pub async fn call_tool(
                &self,
                tool: &str,
                input: &::serde_json::Value,
            ) -> ::std::result::Result<#rt::Output, #rt::Error> {
                // Not every provider has a tool that takes arguments.
                let _ = input;
                match tool {
                    #(#tool_arms)*
                    other => ::std::result::Result::Err(#rt::Error::new(
                        #rt::ErrorKind::Unsupported,
                        #name,
                        ::std::format!("{} has no tool `{other}`", #title),
                    )),
                }
            }
        }

        #(#native_type_items)*

        /// The provider's date formats, from its `datetime`.
        static FORMATS: &[&str] = &[#(#formats),*];

        /// Maps one provider record of `resource` as `method` returns it, with the compiled
        /// mapping, to unified JSON; `timezone` defaults to the account default, and `call`
        /// holds the call's parameters for fields mapped from them (`Null` for none).
        pub fn map<J: #rt::Json>(
            resource: &str,
            method: &str,
            record: &J,
            timezone: ::std::option::Option<&str>,
            full: bool,
            call: &::serde_json::Value,
        ) -> ::std::result::Result<::serde_json::Value, #rt::Error> {
            let context = #rt::MapContext::new(#name, timezone.unwrap_or(#default_timezone), FORMATS)?.for_call(call);
            #map_body
        }

        #pagination

        #(#statics)*

        #(#mappers)*
    };
    Module {
        name: module_ident(&p.name),
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

fn auth(
    p: &ir::Provider,
    auth_spec: &ir::Auth,
    render: &dyn Fn(&Template) -> TokenStream,
    secret: &dyn Fn(&Template) -> TokenStream,
) -> TokenStream {
    let rt = rt();
    match auth_spec {
        // The first option whose optional credentials the account gave.
        ir::Auth::OneOf(options) => {
            let mut ways = Vec::new();
            let arms = options.iter().map(|option| {
                let needs: Vec<&ir::Credential> = p
                    .credentials
                    .iter()
                    .filter(|c| c.optional && auth_reads(option, &c.name))
                    .collect();
                ways.push(
                    needs
                        .iter()
                        .map(|c| format!("`{}`", c.name))
                        .collect::<Vec<_>>()
                        .join(" and "),
                );
                let idents: Vec<syn::Ident> = needs.iter().map(|c| value_ident(&c.name)).collect();
                let built = auth(p, option, render, secret);
                quote! {
                    if let (#(::std::option::Option::Some(#idents),)*) = (#(credentials.#idents.as_ref(),)*) {
                        #built
                    } else
                }
            });
            let arms: Vec<TokenStream> = arms.collect();
            let message = format!(
                "the account gives no way to authenticate: give {}",
                ways.join(", or ")
            );
            let name = &p.name;
            quote! {
                #(#arms)* {
                    return ::std::result::Result::Err(#rt::Error::configuration(#name, #message));
                }
            }
        }
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
            let scopes = scopes.iter().map(render);
            quote!(#rt::Auth::OAuth2ClientCredentials {
                token_url: #url,
                client_id: #id,
                client_secret: #sec,
                scopes: ::std::vec![#(#scopes),*],
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
    }
}

/// Whether any template of `auth` reads credential `name`.
fn auth_reads(auth: &ir::Auth, name: &str) -> bool {
    let templates: Vec<&Template> = match auth {
        ir::Auth::None => Vec::new(),
        ir::Auth::Bearer { token } => vec![token],
        ir::Auth::Basic { username, password } => vec![username, password],
        ir::Auth::ApiKey { value, .. } => vec![value],
        ir::Auth::OAuth2ClientCredentials {
            token_url,
            client_id,
            client_secret,
            scopes,
        } => {
            let mut t = vec![token_url, client_id, client_secret];
            t.extend(scopes);
            t
        }
        ir::Auth::Login { url, body, .. } => {
            let mut t = vec![url];
            t.extend(body.iter().map(|(_, v)| v));
            t
        }
        ir::Auth::OneOf(options) => return options.iter().any(|o| auth_reads(o, name)),
    };
    templates
        .iter()
        .flat_map(|t| t.vars())
        .any(|(v, _)| matches!(v, [scope, n] if scope == "credentials" && n == name))
}

/// A generated method, its statics, and how the call by name reaches it.
struct Generated {
    method: TokenStream,
    statics: TokenStream,
    fn_name: syn::Ident,
    has_id: bool,
    query: Option<TokenStream>,
    body: Option<TokenStream>,
    returns: Returns,
    method_name: String,
}

impl Generated {
    /// The arm of `call_page` for a list.
    fn page_arm(&self, model: &str, resource: &str) -> Option<TokenStream> {
        if self.returns != Returns::Records {
            return None;
        }
        let rt = rt();
        let page_name = format_ident!("{}_page", self.fn_name);
        let (prep, arg) = match &self.query {
            Some(q) => (
                quote!(let query: #q = #rt::input(Self::NAME, input, "query")?;),
                quote!(&query,),
            ),
            None => (quote!(), quote!()),
        };
        Some(quote! {
            (#model, #resource) => {
                #prep
                #rt::page_to_json(self.#page_name(#arg page).await?)
            }
        })
    }

    fn call_arm(&self, model: &str, resource: &str) -> TokenStream {
        let rt = rt();
        let fn_name = &self.fn_name;
        let method = &self.method_name;
        let mut prep = Vec::new();
        let mut args = Vec::new();
        if self.has_id {
            prep.push(quote!(let id = #rt::require_id(Self::NAME, id)?;));
            args.push(quote!(id));
        }
        if let Some(q) = &self.query {
            prep.push(quote!(let query: #q = #rt::input(Self::NAME, input, "query")?;));
            args.push(quote!(&query));
        }
        if let Some(b) = &self.body {
            prep.push(quote!(let body: #b = #rt::input(Self::NAME, input, "body")?;));
            args.push(quote!(&body));
        }
        let call = match self.returns {
            Returns::Records => quote! {
                ::std::result::Result::Ok(#rt::Output::Records(::std::boxed::Box::pin(::futures::StreamExt::map(
                    self.#fn_name(#(#args),*),
                    |r| r.and_then(#rt::to_json),
                ))))
            },
            Returns::Record => {
                quote!(::std::result::Result::Ok(#rt::Output::Record(#rt::to_json(self.#fn_name(#(#args),*).await?)?)))
            }
            Returns::Nothing => quote! {{
                self.#fn_name(#(#args),*).await?;
                ::std::result::Result::Ok(#rt::Output::Nothing)
            }},
        };
        quote! {
            (#model, #resource, #method) => {
                #(#prep)*
                #call
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn method(
    p: &ir::Provider,
    r: &ir::ProviderResource,
    u: &ir::Resource,
    um: &ir::UnifiedMethod,
    m: &ir::Method,
    ty: &TokenStream,
    mapper: &syn::Ident,
    mappings: &[ir::FieldMapping],
) -> Generated {
    let rt = rt();
    let model_mod = module_ident(&r.model);
    let fn_name = match m.kind {
        MethodKind::List => format_ident!("list_{}", snake(&u.stem())),
        MethodKind::Custom => format_ident!("{}_{}", snake(&u.singular_stem()), snake(&m.name)),
        kind => format_ident!("{}_{}", kind.as_str(), snake(&u.singular_stem())),
    };
    let upper = const_name(&fn_name.to_string());
    let spec_name = format_ident!("{}", upper);
    let shape_name = format_ident!("{}_SHAPE", upper);
    let full_shape_name = format_ident!("{}_SHAPE_FULL", upper);
    let fixed_name = format_ident!("{}_RECORDS", upper);

    let has_id = m.kind.takes_id() || m.path.vars().any(|(v, _)| v == ["id"]);
    let query_ty = (!um.query.is_empty()).then(|| {
        let q = query_type(u, um);
        quote!(crate::unified::#model_mod::#q)
    });
    let body_ty = (!um.body.is_empty()).then(|| {
        let b = body_type(u, um);
        quote!(crate::unified::#model_mod::#b)
    });
    let mut params = Vec::new();
    if has_id {
        params.push(quote!(id: &str));
    }
    if let Some(q) = &query_ty {
        params.push(quote!(query: &#q));
    }
    if let Some(b) = &body_ty {
        params.push(quote!(body: &#b));
    }
    let id_var = if has_id {
        quote!(::std::option::Option::Some(id))
    } else {
        quote!(::std::option::Option::None)
    };
    let query_var = if query_ty.is_some() {
        quote!(::serde_json::to_value(query).ok())
    } else {
        quote!(::std::option::Option::None)
    };
    let body_var = if body_ty.is_some() {
        quote!(::serde_json::to_value(body).ok())
    } else {
        quote!(::std::option::Option::None)
    };

    // What the response parses: the record (or the page of records) and the pagination signals.
    let paginated = m.paginated && p.pagination.is_some();
    let data = &m.data_path;
    let response_shape = |full: bool| -> ShapeNode {
        let record = record_shape(&u.fields, mappings, full);
        match um.returns {
            Returns::Nothing => ShapeNode::Keys(Vec::new()),
            Returns::Record => ShapeNode::Keys(Vec::new()).place_record(data, record),
            Returns::Records => {
                let mut page = ShapeNode::Keys(Vec::new()).place_records(data, record);
                if paginated && let Some(pg) = &p.pagination {
                    for path in pagination_paths(&pg.kind) {
                        page = page.place(&path, ShapeNode::All);
                    }
                }
                page
            }
        }
    };
    let (lean, full) = (
        response_shape(false).tokens(),
        response_shape(true).tokens(),
    );

    let mut prov = format!("Provenance: {}", m.provenance.kind.as_str());
    if let Some(s) = &m.provenance.source {
        prov.push_str(&format!(" ({s})"));
    }
    if let Some(n) = &m.provenance.note {
        prov.push_str(&format!(". {}", n.trim_end_matches('.')));
    }
    let summary = if m.description.is_empty() {
        format!("`{}` on {}.", m.name, r.name)
    } else {
        m.description.clone()
    };
    let d = doc(&[
        summary,
        format!(
            "`{}`. {prov}. MCP tool `{}`.",
            m.request_line(),
            m.tool_name
        ),
        format!("From {}.", m.origin),
    ]);
    let resource_name = &r.name;
    // A filter this provider cannot apply is refused, never silently dropped.
    let method_name = &m.name;
    let operation = quote!(#rt::Operation { resource: #resource_name, method: #method_name });
    let guards = |in_stream: bool| -> Vec<TokenStream> {
        m.unsupported_query
            .iter()
            .map(|q| {
                let ident = value_ident(q);
                let message = format!(
                    "{} cannot apply `{q}` to `{}` of {}",
                    p.title, m.name, r.name
                );
                let error = quote! {
                    #rt::Error::new(#rt::ErrorKind::Unsupported, Self::NAME, #message)
                        .with_operation(::std::option::Option::Some(#operation))
                };
                let bail = if in_stream {
                    quote!(return #rt::error_stream(#error))
                } else {
                    quote!(return ::std::result::Result::Err(#error))
                };
                quote!(if query.#ident.is_some() { #bail; })
            })
            .chain(m.unsupported_body.iter().map(|b| {
                let ident = value_ident(b);
                let message = format!(
                    "{} cannot set `{b}` with `{}` of {}",
                    p.title, m.name, r.name
                );
                quote! {
                    if body.#ident.is_some() {
                        return ::std::result::Result::Err(
                            #rt::Error::new(#rt::ErrorKind::Unsupported, Self::NAME, #message)
                                .with_operation(::std::option::Option::Some(#operation)),
                        );
                    }
                }
            }))
            .collect()
    };
    let prepare = |in_stream: bool| {
        let guards = guards(in_stream);
        quote! {
            #(#guards)*
            let vars = self.vars(#id_var, #query_var, #body_var);
        }
    };
    let decode_name = format_ident!("decode_{}", fn_name);
    // The decoder with the context of a call (its parameters, for fields mapped with `param`).
    let decode_in = format_ident!("decode_{}_in", fn_name);
    let decode_doc = format!(
        " Decodes a response body of [`Self::{fn_name}`] (without fetching it) into unified records."
    );
    let decode = match um.returns {
        Returns::Records => quote! {
            #[doc = #decode_doc]
            pub fn #decode_name(&self, body: &[u8]) -> ::std::result::Result<::std::vec::Vec<#ty>, #rt::Error> {
                self.#decode_in(body, &self.context)
            }

            fn #decode_in(&self, body: &[u8], context: &#rt::MapContext) -> ::std::result::Result<::std::vec::Vec<#ty>, #rt::Error> {
                let shape = #rt::interpret::shape_for(self.overrides.as_deref(), #resource_name, if self.full { &#full_shape_name } else { &#shape_name });
                #rt::decode_records(Self::NAME, body, shape, &[#(#data),*], |record| {
                    let mapped = #mapper(record, context, self.full).map_err(|e| context.error(#resource_name, e));
                    #rt::interpret::patched(self.overrides.as_deref(), #resource_name, record, context, mapped)
                })
            }
        },
        Returns::Record => quote! {
            #[doc = #decode_doc]
            pub fn #decode_name(&self, body: &[u8]) -> ::std::result::Result<#ty, #rt::Error> {
                self.#decode_in(body, &self.context)
            }

            fn #decode_in(&self, body: &[u8], context: &#rt::MapContext) -> ::std::result::Result<#ty, #rt::Error> {
                let shape = #rt::interpret::shape_for(self.overrides.as_deref(), #resource_name, if self.full { &#full_shape_name } else { &#shape_name });
                let arena = #rt::Bump::new();
                let body = #rt::parse_body(Self::NAME, body, shape, &arena)?;
                let record = #rt::value::record(&body, &[#(#data),*]).ok_or_else(|| {
                    #rt::Error::new(#rt::ErrorKind::Remote, Self::NAME, "the response holds no record")
                })?;
                let mapped = #mapper(record, context, self.full).map_err(|e| context.error(#resource_name, e));
                #rt::interpret::patched(self.overrides.as_deref(), #resource_name, record, context, mapped)
            }
        },
        Returns::Nothing => quote!(),
    };
    let method = match um.returns {
        // A `static` list maps the records kept in the mapping; nothing is sent.
        Returns::Records if m.fixed.is_some() => {
            let (in_stream, in_page) = (guards(true), guards(false));
            let page_name = format_ident!("{}_page", fn_name);
            let page_doc = doc(&[
                format!(
                    "One page of [`Self::{fn_name}`] (a static list: nothing is sent; a `limit` splits it over cursors)."
                ),
                format!("From {}.", m.origin),
            ]);
            quote! {
                #d
                pub fn #fn_name(&self, #(#params),*) -> #rt::RecordStream<#ty> {
                    #(#in_stream)*
                    #rt::fixed_stream(self.#decode_name(#fixed_name.as_bytes()))
                }

                #page_doc
                pub async fn #page_name(&self, #(#params,)* page: #rt::PageRequest<'_>) -> ::std::result::Result<#rt::Page<#ty>, #rt::Error> {
                    #(#in_page)*
                    self.client.fixed_page(#operation, self.#decode_name(#fixed_name.as_bytes()), page)
                }
            }
        }
        Returns::Records => {
            let pagination = if paginated {
                quote!(::std::option::Option::Some(&PAGINATION))
            } else {
                quote!(::std::option::Option::None)
            };
            let (in_stream, in_page) = (prepare(true), prepare(false));
            let mut stream =
                quote!(self.client.paginate(request, #pagination, &[#(#data),*], shape, map));
            let mut page = quote!(self.client.list_page(request, #pagination, &[#(#data),*], shape, map, page).await);
            if m.distinct {
                stream = quote!(#rt::distinct(#stream, |r| r.id.as_str()));
                page = quote!(#page.map(|p| #rt::distinct_page(p, |r| r.id.as_str())));
            }
            let page_name = format_ident!("{}_page", fn_name);
            let page_doc = doc(&[
                format!(
                    "One page of [`Self::{fn_name}`]: from the start, or from the `next_cursor` of an earlier page (cursors are signed with the client's cursor key and bound to this call and its query), with at most `page.limit` records."
                ),
                format!("From {}.", m.origin),
            ]);
            quote! {
                #d
                pub fn #fn_name(&self, #(#params),*) -> #rt::RecordStream<#ty> {
                    #in_stream
                    let request = match #rt::request::build(Self::NAME, &#spec_name, &vars) {
                        ::std::result::Result::Ok(r) => r,
                        ::std::result::Result::Err(e) => return #rt::error_stream(e),
                    };
                    let shape = #rt::interpret::shape_for(self.overrides.as_deref(), #resource_name, if self.full { &#full_shape_name } else { &#shape_name });
                    let (context, full, overrides) = (self.context.for_call(&vars), self.full, self.overrides.clone());
                    let map = move |record: &#rt::Node<'_>| {
                        let mapped = #mapper(record, &context, full).map_err(|e| context.error(#resource_name, e));
                        #rt::interpret::patched(overrides.as_deref(), #resource_name, record, &context, mapped)
                    };
                    #stream
                }

                #page_doc
                pub async fn #page_name(&self, #(#params,)* page: #rt::PageRequest<'_>) -> ::std::result::Result<#rt::Page<#ty>, #rt::Error> {
                    #in_page
                    let request = #rt::request::build(Self::NAME, &#spec_name, &vars)?;
                    let shape = #rt::interpret::shape_for(self.overrides.as_deref(), #resource_name, if self.full { &#full_shape_name } else { &#shape_name });
                    let context = self.context.for_call(&vars);
                    let map = |record: &#rt::Node<'_>| {
                        let mapped = #mapper(record, &context, self.full).map_err(|e| context.error(#resource_name, e));
                        #rt::interpret::patched(self.overrides.as_deref(), #resource_name, record, &context, mapped)
                    };
                    #page
                }
            }
        }
        Returns::Record => {
            let prepare = prepare(false);
            quote! {
                #d
                pub async fn #fn_name(&self, #(#params),*) -> ::std::result::Result<#ty, #rt::Error> {
                    #prepare
                    let request = #rt::request::build(Self::NAME, &#spec_name, &vars)?;
                    let response = self.client.send_full(&request).await?;
                    self.#decode_in(&response.body, &self.context.for_call(&vars))
                        .map_err(|e| self.client.about_response(&response, e).with_operation(request.operation))
                }
            }
        }
        Returns::Nothing => {
            let prepare = prepare(false);
            quote! {
                #d
                pub async fn #fn_name(&self, #(#params),*) -> ::std::result::Result<(), #rt::Error> {
                    #prepare
                    let request = #rt::request::build(Self::NAME, &#spec_name, &vars)?;
                    self.client.send_full(&request).await?;
                    ::std::result::Result::Ok(())
                }
            }
        }
    };
    let statics = request_spec(&spec_name, r, m);
    let statics = if let Some(records) = &m.fixed {
        let fixed_doc = format!(
            " The records `{}` answers, from its `static` file.",
            fn_name
        );
        quote! {
            #[doc = #fixed_doc]
            static #fixed_name: &str = #records;
            static #shape_name: #rt::Shape = #lean;
            static #full_shape_name: #rt::Shape = #full;
        }
    } else if um.returns == Returns::Nothing {
        statics
    } else {
        quote! {
            #statics
            static #shape_name: #rt::Shape = #lean;
            static #full_shape_name: #rt::Shape = #full;
        }
    };
    Generated {
        method: quote!(#method #decode),
        statics,
        fn_name,
        has_id,
        query: query_ty,
        body: body_ty,
        returns: um.returns,
        method_name: m.name.clone(),
    }
}

/// A native method, its request and its query type, and its arm in `call_tool`.
struct Native {
    method: TokenStream,
    statics: TokenStream,
    tool_arm: TokenStream,
}

fn native_method(
    p: &ir::Provider,
    r: &ir::ProviderResource,
    native: &ir::NativeResource,
    m: &ir::Method,
    n: &ir::NativeMethod,
    types: &mut std::collections::BTreeMap<String, TokenStream>,
) -> Native {
    let rt = rt();
    let fn_name = match m.kind {
        MethodKind::List => format_ident!("list_{}", snake(&r.name)),
        MethodKind::Custom => format_ident!("{}_{}", snake(&native.singular), snake(&m.name)),
        kind => format_ident!("{}_{}", kind.as_str(), snake(&native.singular)),
    };
    let spec_name = format_ident!("{}", const_name(&fn_name.to_string()));
    let owner = format!("{}_{}_query", native.singular, m.name);
    let query_ty = (!n.params.is_empty()).then(|| type_ident(&owner));
    if let Some(q) = &query_ty {
        let d = doc(&[format!(
            "Parameters of `{}` on {} ({}, MCP tool `{}`).",
            m.name, r.name, p.title, m.tool_name
        )]);
        let item = super::model::input_struct(q, &owner, &n.params, d, types);
        types.insert(owner.clone(), item);
    }
    let (param, query_var, call_args, prep) = match &query_ty {
        Some(q) => (
            quote!(query: &#q),
            quote!(::serde_json::to_value(query).ok()),
            quote!(&query),
            quote!(let query: #q = #rt::params(Self::NAME, tool, input)?;),
        ),
        None => (
            quote!(),
            quote!(::std::option::Option::None),
            quote!(),
            quote!(),
        ),
    };
    let pairs = n.defaults.iter().map(|(q, c)| quote!((#q, #c)));
    let defaults = quote!(&[#(#pairs),*]);
    let mut prov = format!("Provenance: {}", m.provenance.kind.as_str());
    if let Some(s) = &m.provenance.source {
        prov.push_str(&format!(" ({s})"));
    }
    if let Some(note) = &m.provenance.note {
        prov.push_str(&format!(". {}", note.trim_end_matches('.')));
    }
    let d = doc(&[
        if m.description.is_empty() {
            format!("`{}` on {}.", m.name, r.name)
        } else {
            m.description.clone()
        },
        format!(
            "`{}`. {prov}. MCP tool `{}`.",
            m.request_line(),
            m.tool_name
        ),
        format!("From {}.", m.origin),
    ]);
    let data = &m.data_path;
    let (method, tool_call) = if n.binary {
        (
            quote! {
                #d
                pub async fn #fn_name(&self, #param) -> ::std::result::Result<#rt::Download, #rt::Error> {
                    self.native_file(&#spec_name, #query_var, #defaults).await
                }
            },
            quote!(#rt::Output::Download(self.#fn_name(#call_args).await?)),
        )
    } else {
        (
            quote! {
                #d
                pub async fn #fn_name(&self, #param) -> ::std::result::Result<::serde_json::Value, #rt::Error> {
                    self.native(&#spec_name, #query_var, #defaults, &[#(#data),*]).await
                }
            },
            quote!(#rt::Output::Record(self.#fn_name(#call_args).await?)),
        )
    };
    let statics = request_spec(&spec_name, r, m);
    let tool = &m.tool_name;
    Native {
        method,
        statics,
        tool_arm: quote! {
            #tool => {
                #prep
                ::std::result::Result::Ok(#tool_call)
            }
        },
    }
}

/// A method's request as static data: `static <NAME>: Spec = …`.
fn request_spec(name: &syn::Ident, r: &ir::ProviderResource, m: &ir::Method) -> TokenStream {
    let rt = rt();
    let (resource_name, method_name, http) = (&r.name, &m.name, &m.http_method);
    let path = parts(&m.path);
    let query = m.query.iter().map(|(k, v)| {
        let v = request_value(v);
        quote!((#k, #v))
    });
    let headers = m.headers.iter().map(|(k, t)| {
        let k = k.to_ascii_lowercase();
        let t = parts(t);
        quote!((#k, #t))
    });
    let body = match &m.body {
        Some(members) => {
            let members = members.iter().map(|(k, v)| {
                let v = request_value(v);
                quote!((#k, #v))
            });
            quote!(::std::option::Option::Some(&[#(#members),*]))
        }
        None => quote!(::std::option::Option::None),
    };
    let retry_safe = m.retry_safe;
    quote! {
        static #name: #rt::request::Spec = #rt::request::Spec {
            operation: #rt::Operation { resource: #resource_name, method: #method_name },
            retry_safe: #retry_safe,
            method: #http,
            path: #path,
            query: &[#(#query),*],
            headers: &[#(#headers),*],
            body: #body,
        };
    }
}

/// A template as static parts.
fn parts(t: &Template) -> TokenStream {
    let rt = rt();
    let parts = t.pieces.iter().map(|p| match p {
        Piece::Text(s) => quote!(#rt::request::Part::Text(#s)),
        Piece::Var(v, _) => quote!(#rt::request::Part::Var(&[#(#v),*])),
    });
    quote!(&[#(#parts),*])
}

fn request_value(v: &ir::RequestValue) -> TokenStream {
    let rt = rt();
    match v {
        ir::RequestValue::Template(t) => {
            let parts = parts(t);
            quote!(#rt::request::Value::Template(#parts))
        }
        ir::RequestValue::From {
            var,
            as_type,
            cases,
        } => {
            let as_type = match as_type {
                None => quote!(::std::option::Option::None),
                Some(t) => {
                    let variant = match t {
                        ir::FieldType::Integer => quote!(Integer),
                        ir::FieldType::Number => quote!(Number),
                        ir::FieldType::Boolean => quote!(Boolean),
                        ir::FieldType::Json => quote!(Json),
                        _ => quote!(String),
                    };
                    quote!(::std::option::Option::Some(#rt::request::As::#variant))
                }
            };
            let cases = cases.iter().map(|(u, r)| quote!((#u, #r)));
            quote!(#rt::request::Value::From { var: &[#(#var),*], as_type: #as_type, cases: &[#(#cases),*] })
        }
        ir::RequestValue::Object(members) => {
            let members = members.iter().map(|(k, v)| {
                let v = request_value(v);
                quote!((#k, #v))
            });
            quote!(#rt::request::Value::Object(&[#(#members),*]))
        }
        ir::RequestValue::List(items) => {
            let items = items.iter().map(request_value);
            quote!(#rt::request::Value::List(&[#(#items),*]))
        }
        ir::RequestValue::JsonText(inner) => {
            let inner = request_value(inner);
            quote!(#rt::request::Value::JsonText(&#inner))
        }
    }
}

fn opt_path(path: Option<&[String]>) -> TokenStream {
    match path {
        Some(p) => quote!(::std::option::Option::Some(&[#(#p),*])),
        None => quote!(::std::option::Option::None),
    }
}

/// The provider's `errors` declaration as the runtime's `ErrorRules`.
fn error_rules(e: &ir::ErrorRules) -> TokenStream {
    let rt = rt();
    let path = |p: &Option<Vec<String>>| match p {
        Some(p) => quote!(::std::option::Option::Some(&[#(#p),*])),
        None => quote!(::std::option::Option::None),
    };
    let message = path(&e.message);
    let fields = path(&e.fields);
    let in_body = match &e.in_body {
        Some(b) => {
            let (at, success, message) = (&b.path, &b.success, path(&b.message));
            let codes = b.codes.iter().map(|(code, kind)| {
                let kind = type_ident(kind);
                quote!((#code, #rt::ErrorKind::#kind))
            });
            quote!(::std::option::Option::Some(#rt::InBodyErrors { path: &[#(#at),*], success: &[#(#success),*], message: #message, codes: &[#(#codes),*] }))
        }
        None => quote!(::std::option::Option::None),
    };
    let status = e.status.iter().map(|(code, kind)| {
        let kind = type_ident(kind);
        quote!((#code, #rt::ErrorKind::#kind))
    });
    quote!(#rt::ErrorRules { message: #message, fields: #fields, in_body: #in_body, status: &[#(#status),*] })
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
