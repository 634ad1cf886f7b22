//! Rust emitter: unified models as types, providers as typed clients whose mappings are compiled
//! to direct access, and a registry that dispatches by name (`quote` → `syn::File` →
//! `prettyplease`).
//!
//! - [`model`]: the unified types, and the query and body types of unified methods.
//! - [`provider`]: one client per provider, its requests and its calls.
//! - [`mapping`]: compiled mappings and the shapes that parse only what they read.
//! - [`registry`]: providers, capabilities and dispatch by name.

mod mapping;
mod model;
mod provider;
mod registry;

use proc_macro2::TokenStream;
use quote::quote;

use crate::ir::Ir;
use crate::names::value_ident;

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
    let registry = registry::registry(ir);
    let unified_doc =
        quote!(#[doc = " Unified models, one module per model file in `mappings/unified/`."]);
    let providers_doc =
        quote!(#[doc = " Provider clients, one module per directory in `mappings/providers/`."]);
    match layout {
        Layout::Crate => {
            let model_names = ir.models.iter().map(|m| module_ident(&m.name));
            let provider_idents = ir.providers.iter().map(|p| module_ident(&p.name));
            let names: Vec<&str> = ir.providers.iter().map(|p| p.name.as_str()).collect();
            let openapi = names.iter().map(|n| format!("../openapi/{n}.json"));
            let mcp = names.iter().map(|n| format!("../mcp/{n}.json"));
            // `#[rustfmt::skip]` keeps `cargo fmt` of the workspace from reformatting
            // prettyplease's output, which would make the committed files differ from a build.
            let lib = quote! {
                //! Switchboard's compiled adapters: the unified models, one typed client per
                //! provider, and a registry that dispatches by provider name.
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

                #[rustfmt::skip]
                pub mod registry;

                pub use registry::PROVIDERS;

                /// The documents generated beside this crate, for servers that serve them.
                #[rustfmt::skip]
                pub mod documents {
                    /// The unified API's OpenAPI 3.1 document.
                    pub const UNIFIED_OPENAPI: &str = include_str!("../openapi/unified.json");
                    /// Each provider's proxy API as an OpenAPI 3.1 document, by provider.
                    pub const PROXY_OPENAPI: &[(&str, &str)] = &[#( (#names, include_str!(#openapi)) ),*];
                    /// Each provider's MCP tool definitions, by provider.
                    pub const MCP_TOOLS: &[(&str, &str)] = &[#( (#names, include_str!(#mcp)) ),*];
                }
            };
            out.insert("src/lib.rs", file(lib, "mappings/"));
            let (docs, items) = (&registry.docs, &registry.items);
            out.insert("src/registry.rs", file(quote!(#docs #items), "mappings/"));
            // Formatting (syn + prettyplease) is most of the time: one thread per module file.
            // Token streams cannot cross threads, so each thread builds its module too.
            let module_file = |dir: &str, m: Module| {
                let (docs, items) = (&m.docs, &m.items);
                (
                    format!("src/{dir}/{}.rs", m.name),
                    file(quote!(#docs #items), &m.source),
                )
            };
            let files: Vec<(String, String)> = std::thread::scope(|scope| {
                let models = ir
                    .models
                    .iter()
                    .map(|m| scope.spawn(move || module_file("unified", model::model(m))));
                let providers = ir.providers.iter().map(|p| {
                    scope.spawn(move || module_file("providers", provider::provider(ir, p)))
                });
                let handles: Vec<_> = models.chain(providers).collect();
                handles.into_iter().map(super::joined).collect()
            });
            for (path, text) in files {
                out.insert(path, text);
            }
        }
        Layout::SingleFile => {
            let models: Vec<Module> = ir.models.iter().map(model::model).collect();
            let providers: Vec<Module> = ir
                .providers
                .iter()
                .map(|p| provider::provider(ir, p))
                .collect();
            let inline = |mods: &[Module]| -> Vec<TokenStream> {
                mods.iter()
                    .map(|m| {
                        let (name, docs, items) = (&m.name, &m.docs, &m.items);
                        quote!(pub mod #name { #docs #items })
                    })
                    .collect()
            };
            let (model_mods, provider_mods) = (inline(&models), inline(&providers));
            let (registry_docs, registry_items) = (&registry.docs, &registry.items);
            let tokens = quote! {
                #unified_doc
                pub mod unified { #(#model_mods)* }
                #providers_doc
                pub mod providers { #(#provider_mods)* }
                pub mod registry { #registry_docs #registry_items }
                pub use registry::PROVIDERS;
            };
            out.insert(SINGLE_FILE, file(tokens, "mappings/"));
        }
    }
}

/// A module name for a model or provider.
fn module_ident(name: &str) -> syn::Ident {
    value_ident(name)
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
