//! Unified types: one struct per resource, its enums and object types, and the query and body
//! types of the unified methods.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::quote;

use super::{Module, doc, inner_doc, rt};
use crate::ir::{self, FieldType, MethodKind};
use crate::names::{type_ident, value_ident};

/// The name of the enum type generated for an enum field of a type named `owner`.
pub(super) fn enum_type(owner: &str, field: &ir::Field) -> syn::Ident {
    type_ident(&format!("{owner}_{}", field.name))
}

pub(super) fn rust_type(ty: &FieldType, enum_name: &syn::Ident) -> TokenStream {
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

pub(super) fn model(m: &ir::Model) -> Module {
    // Types by name: object types may be shared, and each is defined once.
    let mut types: BTreeMap<String, TokenStream> = BTreeMap::new();
    let mut items = Vec::new();
    for r in &m.resources {
        let d = doc(&[
            r.description.clone(),
            format!("Unified `{}.{}`, from {}.", m.name, r.name, r.origin),
        ]);
        items.push(struct_def(&r.singular, &r.fields, d, &mut types));
        for um in &r.methods {
            items.extend(method_types(m, r, um, &mut types));
        }
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

pub(super) fn nested_types(
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

/// The query type of a unified method: `TicketListQuery`.
pub(super) fn query_type(r: &ir::Resource, um: &ir::UnifiedMethod) -> syn::Ident {
    type_ident(&format!("{}_{}_query", r.singular, um.name))
}

/// The body type of a unified method: `TicketCreateBody`.
pub(super) fn body_type(r: &ir::Resource, um: &ir::UnifiedMethod) -> syn::Ident {
    type_ident(&format!("{}_{}_body", r.singular, um.name))
}

/// The query and body types of one unified method.
fn method_types(
    m: &ir::Model,
    r: &ir::Resource,
    um: &ir::UnifiedMethod,
    types: &mut BTreeMap<String, TokenStream>,
) -> Vec<TokenStream> {
    let mut out = Vec::new();
    let what = match um.kind {
        MethodKind::Custom => format!("`{}` on {}", um.name, r.name),
        kind => format!("`{}` of {}", kind.as_str(), r.name),
    };
    if !um.query.is_empty() {
        let name = query_type(r, um);
        let owner = format!("{}_{}_query", r.singular, um.name);
        let d = doc(&[format!(
            "Parameters of {what} (unified `{}.{}`).",
            m.name, r.name
        )]);
        out.push(input_struct(&name, &owner, &um.query, d, types));
    }
    if !um.body.is_empty() {
        let name = body_type(r, um);
        let fields: Vec<ir::Field> = um
            .body
            .iter()
            .filter_map(|b| {
                let f = r.field(&b.name)?;
                Some(ir::Field {
                    required: b.required,
                    ..f.clone()
                })
            })
            .collect();
        let d = doc(&[format!(
            "The body of {what} (unified `{}.{}`): the fields a client may set.",
            m.name, r.name
        )]);
        // Body fields keep the resource's enum and object types.
        out.push(input_struct(&name, &r.singular, &fields, d, types));
    }
    out
}

/// A query or body struct: required fields as `T`, the others as `Option<T>` (left out of
/// the JSON when `None`), with `with_<field>` setters.
pub(super) fn input_struct(
    name: &syn::Ident,
    owner: &str,
    fields: &[ir::Field],
    docs: TokenStream,
    types: &mut BTreeMap<String, TokenStream>,
) -> TokenStream {
    let eq = if fields.iter().any(|f| has_float(&f.ty)) {
        quote!()
    } else {
        quote!(Eq,)
    };
    let all_optional = fields.iter().all(|f| !f.required);
    let default = if all_optional {
        quote!(Default,)
    } else {
        quote!()
    };
    let members = fields.iter().map(|f| {
        let ident = value_ident(&f.name);
        let ty = rust_type(&f.ty, &enum_type(owner, f));
        let d = doc(std::slice::from_ref(&f.description));
        let serde_name = &f.name;
        let rename = (ident.to_string().trim_start_matches("r#") != f.name)
            .then(|| quote!(#[serde(rename = #serde_name)]));
        if f.required {
            quote! { #d #rename pub #ident: #ty, }
        } else {
            quote! {
                #d #rename
                #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
                pub #ident: ::std::option::Option<#ty>,
            }
        }
    });
    let required: Vec<&ir::Field> = fields.iter().filter(|f| f.required).collect();
    let new_args = required.iter().map(|f| {
        let ident = value_ident(&f.name);
        let ty = rust_type(&f.ty, &enum_type(owner, f));
        quote!(#ident: #ty)
    });
    let new_fields = fields.iter().map(|f| {
        let ident = value_ident(&f.name);
        if f.required {
            quote!(#ident,)
        } else {
            quote!(#ident: ::std::option::Option::None,)
        }
    });
    let setters = fields.iter().filter(|f| !f.required).map(|f| {
        let ident = value_ident(&f.name);
        let setter = quote::format_ident!("with_{}", crate::names::snake(&f.name));
        let ty = rust_type(&f.ty, &enum_type(owner, f));
        let d = format!(" Sets `{}`.", f.name);
        quote! {
            #[doc = #d]
            pub fn #setter(mut self, value: #ty) -> Self {
                self.#ident = ::std::option::Option::Some(value);
                self
            }
        }
    });
    for f in fields {
        nested_types(owner, f, &f.ty, types);
    }
    quote! {
        #docs
        #[derive(Debug, Clone, PartialEq, #eq #default ::serde::Serialize, ::serde::Deserialize)]
        pub struct #name { #(#members)* }

        impl #name {
            /// The input with its required fields; the others are unset.
            pub fn new(#(#new_args),*) -> Self {
                Self { #(#new_fields)* }
            }

            #(#setters)*
        }
    }
}
