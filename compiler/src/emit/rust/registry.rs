//! The registry: every provider, every capability (model × resource × method × provider), and
//! dispatch by name for callers that only know a provider's name at run time (CLI, servers).

use quote::quote;

use super::{Module, inner_doc, module_ident, rt};
use crate::ir::{Ir, Returns};
use crate::names::type_ident;

pub(super) fn registry(ir: &Ir) -> Module {
    let rt = rt();
    let names: Vec<&str> = ir.providers.iter().map(|p| p.name.as_str()).collect();
    let mut capabilities = Vec::new();
    for p in &ir.providers {
        for r in &p.resources {
            // A native resource has no unified model: its methods are listed under their own
            // resource, with the model empty.
            let unified = ir.unified(r);
            if unified.is_none() && r.native.is_none() {
                continue;
            }
            for m in &r.methods {
                let returns = match (unified, &m.native) {
                    (_, Some(n)) if n.binary => "file",
                    (_, Some(_)) => "json",
                    (Some((_, u)), None) => match u.method(&m.name).map(|um| um.returns) {
                        Some(Returns::Records) => "records",
                        Some(Returns::Record) => "record",
                        _ => "nothing",
                    },
                    (None, None) => continue,
                };
                let (model_name, resource) = match unified {
                    Some((model, u)) => (model.name.as_str(), u.name.as_str()),
                    None => ("", r.name.as_str()),
                };
                let (provider, provider_resource) = (&p.name, &r.name);
                let (method, http, path, provenance, tool) = (
                    &m.name,
                    &m.http_method,
                    m.path.display(),
                    m.provenance.kind.as_str(),
                    &m.tool_name,
                );
                let data = &m.data_path;
                capabilities.push(quote! {
                    Capability {
                        provider: #provider,
                        model: #model_name,
                        resource: #resource,
                        provider_resource: #provider_resource,
                        method: #method,
                        http_method: #http,
                        path: #path,
                        provenance: #provenance,
                        tool: #tool,
                        returns: #returns,
                        records: &[#(#data),*],
                    },
                });
            }
        }
    }
    let credentials = ir.providers.iter().flat_map(|p| {
        p.credentials.iter().map(move |c| {
            let (provider, name, secret, optional, description) =
                (&p.name, &c.name, c.secret, c.optional, &c.description);
            let default = match &c.default {
                Some(d) => quote! { ::std::option::Option::Some(#d) },
                None => quote! { ::std::option::Option::None },
            };
            let values = c.values.iter().map(|(v, _)| v);
            quote! {
                Credential {
                    provider: #provider,
                    name: #name,
                    secret: #secret,
                    optional: #optional,
                    default: #default,
                    description: #description,
                    values: &[#(#values),*],
                },
            }
        })
    });
    let variants: Vec<syn::Ident> = ir.providers.iter().map(|p| type_ident(&p.name)).collect();
    let modules: Vec<syn::Ident> = ir.providers.iter().map(|p| module_ident(&p.name)).collect();
    let items = quote! {
        /// The names of every provider with an adapter.
        pub const PROVIDERS: &[&str] = &[#(#names),*];

        /// One method a provider supports for a unified resource.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct Capability {
            pub provider: &'static str,
            /// The unified model; empty for a native method (a proxy of one provider operation).
            pub model: &'static str,
            /// The unified resource (the provider's own for a native method).
            pub resource: &'static str,
            /// The provider's resource that maps to it.
            pub provider_resource: &'static str,
            pub method: &'static str,
            pub http_method: &'static str,
            /// The request path template; empty for a static list (answered without a request).
            pub path: &'static str,
            /// `documented`, `observed` or `inferred`.
            pub provenance: &'static str,
            /// The MCP tool name.
            pub tool: &'static str,
            /// What a call answers: `records`, `record` or `nothing`; a native method `json`
            /// or `file`.
            pub returns: &'static str,
            /// Where a response keeps its records (or its record).
            pub records: &'static [&'static str],
        }

        /// The capability matrix: every (provider, model, resource, method) that works, native
        /// methods included.
        pub static CAPABILITIES: &[Capability] = &[#(#capabilities)*];

        /// What `provider` supports for `model.resource` and `method`, if anything.
        pub fn capability(provider: &str, model: &str, resource: &str, method: &str) -> ::std::option::Option<&'static Capability> {
            CAPABILITIES.iter().find(|c| c.provider == provider && c.model == model && c.resource == resource && c.method == method)
        }

        /// One credential an account of a provider gives, as its mapping declares it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct Credential {
            pub provider: &'static str,
            pub name: &'static str,
            /// Never shown back once given.
            pub secret: bool,
            /// An account may leave it out (a default or another auth option covers it).
            pub optional: bool,
            pub default: ::std::option::Option<&'static str>,
            pub description: &'static str,
            /// The values an account may give; empty: any value.
            pub values: &'static [&'static str],
        }

        /// Every provider's credentials.
        pub static CREDENTIALS: &[Credential] = &[#(#credentials)*];

        /// The credentials an account of `provider` gives.
        pub fn credentials(provider: &str) -> impl Iterator<Item = &'static Credential> {
            CREDENTIALS.iter().filter(move |c| c.provider == provider)
        }

        /// A connected account of any provider.
        #[derive(Debug, Clone)]
        pub enum Account {
            #( #variants(crate::providers::#modules::#variants), )*
        }

        impl Account {
            /// Connects an account of `provider` from credentials given by name.
            pub fn connect(
                provider: &str,
                credentials: &::std::collections::BTreeMap<::std::string::String, ::std::string::String>,
                options: #rt::ClientOptions,
            ) -> ::std::result::Result<Self, #rt::Error> {
                match provider {
                    #( #names => ::std::result::Result::Ok(Account::#variants(crate::providers::#modules::#variants::connect_with(credentials, options)?)), )*
                    other => ::std::result::Result::Err(#rt::Error::configuration(
                        other,
                        ::std::format!("unknown provider `{other}`; known: {}", PROVIDERS.join(", ")),
                    )),
                }
            }

            /// The provider's name.
            pub fn provider(&self) -> &'static str {
                match self {
                    #( Account::#variants(_) => #names, )*
                }
            }

            /// The account's HTTP client, with its credentials applied.
            pub fn client(&self) -> &::switchboard_runtime::Client {
                match self {
                    #( Account::#variants(a) => a.client(), )*
                }
            }

            /// Also fills `on_request` fields (`remote_data`).
            pub fn with_remote_data(self, on: bool) -> Self {
                match self {
                    #( Account::#variants(a) => Account::#variants(a.with_remote_data(on)), )*
                }
            }

            /// Calls a unified method by name; an unsupported combination is a typed
            /// `Unsupported` error naming the provider, resource and method.
            pub async fn call(
                &self,
                model: &str,
                resource: &str,
                method: &str,
                id: ::std::option::Option<&str>,
                input: &::serde_json::Value,
            ) -> ::std::result::Result<#rt::Output, #rt::Error> {
                match self {
                    #( Account::#variants(a) => a.call(model, resource, method, id, input).await, )*
                }
            }

            /// One page of a unified list by name: from the start or after an earlier page's
            /// `next_cursor`, at most `page.limit` records.
            pub async fn page(
                &self,
                model: &str,
                resource: &str,
                input: &::serde_json::Value,
                page: #rt::PageRequest<'_>,
            ) -> ::std::result::Result<#rt::Page<::serde_json::Value>, #rt::Error> {
                match self {
                    #( Account::#variants(a) => a.call_page(model, resource, input, page).await, )*
                }
            }

            /// Calls a method by its MCP tool name with the tool's JSON arguments.
            pub async fn call_tool(
                &self,
                tool: &str,
                input: &::serde_json::Value,
            ) -> ::std::result::Result<#rt::Output, #rt::Error> {
                match self {
                    #( Account::#variants(a) => a.call_tool(tool, input).await, )*
                }
            }
        }

        /// Maps one record of `provider`'s `resource`, as `method` returns it, with the
        /// compiled mapping; `timezone` defaults to the account default. `call` holds the
        /// call's parameters (`{"query": {…}}`) for fields mapped from them (`param`), or is
        /// `Null`. The record may be any `switchboard_runtime::Json` tree: a parsed response's
        /// nodes keep each number's source text, so that an id mapped to a string is exact.
        pub fn map_record<J: #rt::Json>(
            provider: &str,
            resource: &str,
            method: &str,
            record: &J,
            timezone: ::std::option::Option<&str>,
            full: bool,
            call: &::serde_json::Value,
        ) -> ::std::result::Result<::serde_json::Value, #rt::Error> {
            match provider {
                #( #names => crate::providers::#modules::map(resource, method, record, timezone, full, call), )*
                other => ::std::result::Result::Err(#rt::Error::unsupported(other, resource, method)),
            }
        }
    };
    Module {
        name: module_ident("registry"),
        docs: inner_doc(&["Every provider, what each supports, and dispatch by name.".to_owned()]),
        items,
        source: "mappings/".to_owned(),
    }
}
