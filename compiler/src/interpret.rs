//! The interpreter's view of checked mappings: a JSON description of one provider resource's
//! mapping (for one method), in the format `switchboard_runtime::interpret::Spec` reads.
//! Expressions are written back as canonical JMESPath text, which the runtime evaluates with the
//! `jmespath` crate — so the differential test compares compiled code with real JMESPath.

use serde_json::{Value, json};

use crate::ir::{self, FieldType, ValueMapping};

/// The mapping of `provider`'s `resource` for `method` (the method's own field mappings replace
/// the resource's), or `None` when there is no such method.
pub fn spec(ir: &ir::Ir, provider: &str, resource: &str, method: &str) -> Option<Value> {
    let p = ir.providers.iter().find(|p| p.name == provider)?;
    let r = p.resources.iter().find(|r| r.name == resource)?;
    let m = r.methods.iter().find(|m| m.name == method)?;
    let (_, u) = ir.unified(r)?;
    let mut mappings: Vec<&ir::FieldMapping> = r.fields.iter().collect();
    if let Some(overrides) = &m.fields {
        mappings.retain(|b| !overrides.iter().any(|o| o.field == b.field));
        mappings.extend(overrides.iter());
    }
    Some(json!({
        "provider": p.name,
        "timezone": p.default_timezone(),
        "formats": p.datetime.formats,
        "records": m.data_path,
        "fields": fields(&u.fields, &mappings),
    }))
}

/// The description of the per-account override `name` (the format
/// `switchboard_runtime::interpret::OverrideSpec` reads): per provider resource, only the
/// unified fields it replaces. `None` when there is no such override.
pub fn override_spec(ir: &ir::Ir, name: &str) -> Option<Value> {
    let o = ir.overrides.iter().find(|o| o.name == name)?;
    let p = ir.providers.iter().find(|p| p.name == o.provider)?;
    let resources: serde_json::Map<String, Value> = o
        .resources
        .iter()
        .filter_map(|(resource, mappings)| {
            let r = p.resources.iter().find(|r| &r.name == resource)?;
            let (_, u) = ir.unified(r)?;
            let replaced: Vec<ir::Field> = u
                .fields
                .iter()
                .filter(|f| mappings.iter().any(|m| m.field == f.name))
                .cloned()
                .collect();
            let mappings: Vec<&ir::FieldMapping> = mappings.iter().collect();
            Some((resource.clone(), Value::from(fields(&replaced, &mappings))))
        })
        .collect();
    Some(json!({
        "override": o.name,
        "provider": p.name,
        "timezone": p.default_timezone(),
        "formats": p.datetime.formats,
        "resources": resources,
    }))
}

/// The spec of `fields` with the given mappings (unmapped fields have `mapping: null`).
pub fn fields(fields: &[ir::Field], mappings: &[&ir::FieldMapping]) -> Vec<Value> {
    fields
        .iter()
        .map(|f| {
            let mapping = mappings
                .iter()
                .find(|m| m.field == f.name)
                .map(|m| mapping(&m.value, &f.ty));
            let redact = mappings
                .iter()
                .find(|m| m.field == f.name)
                .map(|m| m.redact.clone())
                .unwrap_or_default();
            json!({
                "name": f.name,
                "type": ty(&f.ty),
                "required": f.required,
                "on_request": f.on_request,
                "mapping": mapping,
                "redact": redact,
            })
        })
        .collect()
}

fn ty(t: &FieldType) -> Value {
    match t {
        FieldType::String => json!({"kind": "string"}),
        FieldType::Integer => json!({"kind": "integer"}),
        FieldType::Number => json!({"kind": "number"}),
        FieldType::Boolean => json!({"kind": "boolean"}),
        FieldType::Datetime => json!({"kind": "datetime"}),
        FieldType::Date => json!({"kind": "date"}),
        FieldType::Enum(_) => json!({"kind": "enum"}),
        FieldType::Reference => json!({"kind": "reference"}),
        FieldType::List(inner) => json!({"kind": "list", "items": ty(inner)}),
        FieldType::Object {
            fields: members, ..
        } => json!({"kind": "object", "fields": fields(members, &[])}),
        FieldType::Json => json!({"kind": "json"}),
    }
}

fn members(of: &FieldType) -> &[ir::Field] {
    match of {
        FieldType::Object { fields, .. } => fields,
        FieldType::List(inner) => members(inner),
        _ => &[],
    }
}

fn mapping(v: &ValueMapping, of: &FieldType) -> Value {
    match v {
        ValueMapping::Expr(e) => json!({"form": "expr", "expr": e.to_jmespath()}),
        ValueMapping::Const(c) => json!({"form": "const", "value": c}),
        ValueMapping::Param(var) => json!({"form": "param", "var": var}),
        ValueMapping::Join { parts, separator } => json!({
            "form": "join",
            "parts": parts.iter().map(|p| p.to_jmespath()).collect::<Vec<_>>(),
            "separator": separator,
        }),
        ValueMapping::Enum {
            from,
            cases,
            fallback,
        } => json!({
            "form": "enum",
            "from": from.to_jmespath(),
            "cases": cases,
            "fallback": match fallback {
                ir::EnumFallback::Raw => Value::Null,
                ir::EnumFallback::Value(v) => Value::String(v.clone()),
            },
        }),
        ValueMapping::Datetime { from, formats } => {
            json!({"form": "datetime", "from": from.to_jmespath(), "formats": formats})
        }
        ValueMapping::Reference { id, name } => json!({
            "form": "reference",
            "id": id.to_jmespath(),
            "name": name.as_ref().map(|n| n.to_jmespath()),
        }),
        ValueMapping::References(items) => json!({
            "form": "references",
            "items": items.iter().map(|(id, n)| json!([id.to_jmespath(), n.as_ref().map(|n| n.to_jmespath())])).collect::<Vec<_>>(),
        }),
        ValueMapping::Object(ms) => {
            let refs: Vec<&ir::FieldMapping> = ms.iter().collect();
            json!({"form": "object", "fields": fields(members(of), &refs)})
        }
        ValueMapping::Objects(entries) => json!({
            "form": "objects",
            "items": entries.iter().map(|ms| {
                let refs: Vec<&ir::FieldMapping> = ms.iter().collect();
                fields(members(of), &refs)
            }).collect::<Vec<_>>(),
        }),
        ValueMapping::Each { each, fields: ms } => {
            let refs: Vec<&ir::FieldMapping> = ms.iter().collect();
            json!({"form": "each", "each": each.to_jmespath(), "fields": fields(members(of), &refs)})
        }
    }
}
