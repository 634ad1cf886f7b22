//! The mapping interpreter: runs a mapping straight from its description, evaluating JMESPath
//! with the `jmespath` crate. It serves `switchboard map --interpret` (try a mapping without
//! rebuilding) and per-account overrides, and must give byte-identical results to the compiled
//! mappings — a differential test holds the two together.
//!
//! The description ([`Spec`]) is produced by the compiler from checked mappings
//! (`switchboard_compiler::interpret::spec`). Conversions are the same functions compiled
//! mappings call ([`crate::convert`]), so only expression evaluation differs.

use std::collections::HashMap;

use jmespath::{Expression, Rcvar, Variable};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::convert::{self, MapContext, MappingError};
use crate::json::Json;

/// The unified fields of one mapped resource, in order, with their mappings, and the
/// provider's date settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spec {
    pub provider: String,
    /// The zone of timestamps without an offset when no account says otherwise.
    pub timezone: String,
    pub formats: Vec<String>,
    /// Where a response keeps its records (or its record); empty when it is the body itself.
    #[serde(default)]
    pub records: Vec<String>,
    pub fields: Vec<FieldSpec>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldSpec {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: TypeSpec,
    pub required: bool,
    #[serde(default)]
    pub on_request: bool,
    pub mapping: Option<MappingSpec>,
    /// Paths inside the (json) value replaced by `"[redacted]"`.
    #[serde(default)]
    pub redact: Vec<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TypeSpec {
    String,
    Integer,
    Number,
    Boolean,
    Datetime,
    Date,
    Enum,
    Reference,
    List { items: Box<TypeSpec> },
    Object { fields: Vec<FieldSpec> },
    Json,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "form", rename_all = "snake_case")]
pub enum MappingSpec {
    Expr {
        expr: String,
    },
    Const {
        value: Value,
    },
    /// A parameter of the call (`query, ticket_id`).
    Param {
        var: Vec<String>,
    },
    Enum {
        from: String,
        cases: Vec<(String, String)>,
        /// A unified value for unknown raw values; `None` keeps them raw.
        fallback: Option<String>,
    },
    Datetime {
        from: String,
        formats: Vec<String>,
    },
    Reference {
        id: String,
        name: Option<String>,
    },
    References {
        items: Vec<(String, Option<String>)>,
    },
    /// Members mapped relative to the same record (the object type's fields, with mappings).
    Object {
        fields: Vec<FieldSpec>,
    },
    /// The text of `parts` joined by `separator`.
    Join {
        parts: Vec<String>,
        separator: String,
    },
    /// One object per entry, each relative to the same record; an entry whose required
    /// members have no value is left out.
    Objects {
        items: Vec<Vec<FieldSpec>>,
    },
    /// One object per element of `each`.
    Each {
        each: String,
        fields: Vec<FieldSpec>,
    },
}

/// A per-account override as the compiler describes it
/// (`switchboard_compiler::interpret::override_spec`): per provider resource, the unified
/// fields it replaces, with their mappings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverrideSpec {
    #[serde(rename = "override")]
    pub name: String,
    pub provider: String,
    pub timezone: String,
    pub formats: Vec<String>,
    pub resources: std::collections::BTreeMap<String, Vec<FieldSpec>>,
}

/// A per-account override, ready to patch records: the compiled mapping runs as usual, and
/// only the overridden fields are evaluated by the interpreter and replaced (see
/// docs/mapping-language.md, "Overrides").
#[derive(Debug)]
pub struct Override {
    name: String,
    provider: String,
    resources: std::collections::BTreeMap<String, Interpreter>,
}

/// The whole record, parsed: what an overridden resource's responses need, since an override
/// may read any path.
pub static WHOLE: crate::Shape = crate::Shape::All;

impl Override {
    pub fn new(spec: OverrideSpec) -> Result<Self, String> {
        let mut resources = std::collections::BTreeMap::new();
        for (resource, fields) in spec.resources {
            let interpreter = Interpreter::new(Spec {
                provider: spec.provider.clone(),
                timezone: spec.timezone.clone(),
                formats: spec.formats.clone(),
                records: Vec::new(),
                fields,
            })
            .map_err(|e| format!("override `{}`, {resource}: {e}", spec.name))?;
            resources.insert(resource, interpreter);
        }
        Ok(Override {
            name: spec.name,
            provider: spec.provider,
            resources,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The provider whose records it patches.
    pub fn provider(&self) -> &str {
        &self.provider
    }

    /// Whether it replaces fields of this provider resource.
    pub fn touches(&self, resource: &str) -> bool {
        self.resources.contains_key(resource)
    }

    /// Replaces the overridden fields of `mapped` (the compiled mapping's record) with the
    /// interpreter's values for the provider `record`.
    pub fn patch<T>(
        &self,
        resource: &str,
        record: &Value,
        mapped: T,
        cx: &MapContext,
    ) -> Result<T, crate::Error>
    where
        T: Serialize + for<'de> Deserialize<'de>,
    {
        let Some(interpreter) = self.resources.get(resource) else {
            return Ok(mapped);
        };
        let patch = interpreter
            .map(record, cx, true)
            .map_err(|e| cx.error(resource, e))?;
        let wrong = |e: serde_json::Error| {
            crate::Error::new(
                crate::ErrorKind::Mapping,
                &self.provider,
                format!(
                    "override `{}` of {resource} gives a record of the wrong type: {e}",
                    self.name
                ),
            )
        };
        let mut unified = serde_json::to_value(mapped).map_err(wrong)?;
        if let (Value::Object(unified), Value::Object(patch)) = (&mut unified, patch) {
            unified.extend(patch);
        }
        serde_json::from_value(unified).map_err(wrong)
    }
}

/// The response shape of a call: the whole record when `overrides` patch `resource` (they may
/// read any path), else the method's own.
pub fn shape_for(
    overrides: Option<&Override>,
    resource: &str,
    own: &'static crate::Shape,
) -> &'static crate::Shape {
    match overrides {
        Some(o) if o.touches(resource) => &WHOLE,
        _ => own,
    }
}

/// The compiled mapping's result, patched by `overrides` where they touch `resource`.
pub fn patched<T>(
    overrides: Option<&Override>,
    resource: &str,
    record: &crate::Node<'_>,
    cx: &MapContext,
    mapped: Result<T, crate::Error>,
) -> Result<T, crate::Error>
where
    T: Serialize + for<'de> Deserialize<'de>,
{
    match overrides {
        Some(o) if o.touches(resource) => o.patch(resource, &record.to_value(), mapped?, cx),
        _ => mapped,
    }
}

/// A spec with its JMESPath expressions compiled once.
#[derive(Debug)]
pub struct Interpreter {
    spec: Spec,
    expressions: HashMap<String, Expression<'static>>,
}

impl Interpreter {
    pub fn new(spec: Spec) -> Result<Self, String> {
        let mut expressions = HashMap::new();
        let mut texts = Vec::new();
        collect(&spec.fields, &mut texts);
        for text in texts {
            let e = jmespath::compile(&text).map_err(|e| format!("`{text}`: {e}"))?;
            expressions.insert(text, e);
        }
        Ok(Interpreter { spec, expressions })
    }

    /// The description this interpreter runs.
    pub fn spec(&self) -> &Spec {
        &self.spec
    }

    /// The mapping context of the spec's provider, in `timezone` or the spec's default zone.
    pub fn context(&self, timezone: Option<&str>) -> Result<MapContext, crate::Error> {
        let formats: Vec<&str> = self.spec.formats.iter().map(String::as_str).collect();
        MapContext::new(
            &self.spec.provider,
            timezone.unwrap_or(&self.spec.timezone),
            &formats,
        )
    }

    /// Maps one provider record to unified JSON; `full` also fills `on_request` fields.
    pub fn map(&self, record: &Value, cx: &MapContext, full: bool) -> Result<Value, MappingError> {
        let data = variable(record, "@")?;
        self.object(&self.spec.fields, &data, cx, full)
    }

    fn eval(&self, text: &str, data: &Rcvar, field: &str) -> Result<Value, MappingError> {
        let e = self.expressions.get(text).ok_or_else(|| {
            MappingError::new(field, format!("expression `{text}` was not compiled"))
        })?;
        let result = e
            .search(data.clone())
            .map_err(|err| MappingError::new(field, err.to_string()))?;
        serde_json::to_value(&*result).map_err(|err| MappingError::new(field, err.to_string()))
    }

    fn object(
        &self,
        fields: &[FieldSpec],
        data: &Rcvar,
        cx: &MapContext,
        full: bool,
    ) -> Result<Value, MappingError> {
        let mut out = Map::new();
        for f in fields {
            let value = match &f.mapping {
                Some(_) if f.on_request && !full => Value::Null,
                None if matches!(f.ty, TypeSpec::List { .. }) => Value::Array(Vec::new()),
                None => Value::Null,
                Some(m) if f.redact.is_empty() => self.field(f, m, data, cx, full)?,
                Some(m) => {
                    let paths: Vec<&[String]> = f.redact.iter().map(Vec::as_slice).collect();
                    convert::redact(Some(self.field(f, m, data, cx, full)?), &paths)
                        .unwrap_or(Value::Null)
                }
            };
            if f.required && value.is_null() {
                if let Some(MappingSpec::Param { var }) = &f.mapping {
                    return convert::required_param(None::<()>, &f.name, &var.join("."))
                        .map(|()| Value::Null);
                }
                return Err(MappingError::new(
                    &f.name,
                    "the provider record has no value for this required field",
                ));
            }
            out.insert(f.name.clone(), value);
        }
        Ok(Value::Object(out))
    }

    fn field(
        &self,
        f: &FieldSpec,
        m: &MappingSpec,
        data: &Rcvar,
        cx: &MapContext,
        full: bool,
    ) -> Result<Value, MappingError> {
        let name = f.name.as_str();
        let json =
            |v: serde_json::Result<Value>| v.map_err(|e| MappingError::new(name, e.to_string()));
        match m {
            MappingSpec::Expr { expr } => {
                let v = self.eval(expr, data, name)?;
                convert_value(&f.ty, Some(&v), name, cx)
            }
            MappingSpec::Param { var } => {
                let var: Vec<&str> = var.iter().map(String::as_str).collect();
                convert_value(&f.ty, cx.param(&var), name, cx)
            }
            MappingSpec::Const { value } => match (&f.ty, value) {
                (TypeSpec::Enum, Value::String(s)) => Ok(Value::String(s.clone())),
                (ty, v) => convert_value(ty, Some(v), name, cx),
            },
            MappingSpec::Enum {
                from,
                cases,
                fallback,
            } => {
                let v = self.eval(from, data, name)?;
                let raw = convert::enum_raw(Some(&v), name)?;
                let unified =
                    raw.as_deref()
                        .map(|raw| match cases.iter().find(|(r, _)| r == raw) {
                            Some((_, unified)) => unified.clone(),
                            None => fallback.clone().unwrap_or_else(|| raw.to_owned()),
                        });
                Ok(match unified {
                    None => Value::Null,
                    // An enum map onto a boolean names `true` or `false`.
                    Some(b) if f.ty == TypeSpec::Boolean => Value::Bool(b == "true"),
                    Some(u) => Value::String(u),
                })
            }
            MappingSpec::Datetime { from, formats } => {
                let v = self.eval(from, data, name)?;
                let formats: Vec<&str> = formats.iter().map(String::as_str).collect();
                if f.ty == TypeSpec::Date {
                    json(serde_json::to_value(convert::date(
                        Some(&v),
                        name,
                        cx,
                        &formats,
                    )?))
                } else {
                    json(serde_json::to_value(convert::datetime(
                        Some(&v),
                        name,
                        cx,
                        &formats,
                    )?))
                }
            }
            MappingSpec::Reference { id, name: n } => {
                let (id, n) = self.reference(id, n.as_deref(), data, name)?;
                json(serde_json::to_value(convert::reference(
                    Some(&id),
                    n.as_ref(),
                    name,
                )?))
            }
            MappingSpec::References { items } => {
                let mut out = Vec::new();
                for (id, n) in items {
                    let (id, n) = self.reference(id, n.as_deref(), data, name)?;
                    if let Some(r) = convert::reference(Some(&id), n.as_ref(), name)? {
                        out.push(json(serde_json::to_value(r))?);
                    }
                }
                Ok(Value::Array(out))
            }
            MappingSpec::Object { fields } => self.object(fields, data, cx, full),
            MappingSpec::Join { parts, separator } => {
                let values = parts
                    .iter()
                    .map(|p| self.eval(p, data, name))
                    .collect::<Result<Vec<_>, _>>()?;
                let refs: Vec<Option<&Value>> = values.iter().map(Some).collect();
                Ok(convert::join(&refs, separator, name)?.map_or(Value::Null, Value::String))
            }
            MappingSpec::Objects { items } => {
                let mut out = Vec::new();
                'entries: for fields in items {
                    for f in fields.iter().filter(|f| f.required) {
                        if let Some(MappingSpec::Expr { expr }) = &f.mapping
                            && self.eval(expr, data, &f.name)?.is_null()
                        {
                            continue 'entries;
                        }
                    }
                    out.push(self.object(fields, data, cx, full)?);
                }
                Ok(Value::Array(out))
            }
            MappingSpec::Each { each, fields } => {
                let v = self.eval(each, data, name)?;
                let items = convert::elements(Some(&v), name)?.unwrap_or_default();
                let mut out = Vec::new();
                for item in items {
                    let element = variable(item, name)?;
                    out.push(self.object(fields, &element, cx, full)?);
                }
                Ok(Value::Array(out))
            }
        }
    }

    fn reference(
        &self,
        id: &str,
        name: Option<&str>,
        data: &Rcvar,
        field: &str,
    ) -> Result<(Value, Option<Value>), MappingError> {
        let id = self.eval(id, data, field)?;
        let name = match name {
            Some(n) => Some(self.eval(n, data, field)?),
            None => None,
        };
        Ok((id, name))
    }
}

fn variable(v: &Value, field: &str) -> Result<Rcvar, MappingError> {
    Variable::try_from(v)
        .map(Rcvar::new)
        .map_err(|e| MappingError::new(field, e.to_string()))
}

/// Converts a value to a unified type's JSON with the compiled mappings' conversions.
fn convert_value(
    ty: &TypeSpec,
    v: Option<&Value>,
    field: &str,
    cx: &MapContext,
) -> Result<Value, MappingError> {
    let json =
        |r: serde_json::Result<Value>| r.map_err(|e| MappingError::new(field, e.to_string()));
    match ty {
        TypeSpec::String | TypeSpec::Enum => json(serde_json::to_value(convert::string(v, field)?)),
        TypeSpec::Integer => json(serde_json::to_value(convert::integer(v, field)?)),
        TypeSpec::Number => json(serde_json::to_value(convert::number(v, field)?)),
        TypeSpec::Boolean => json(serde_json::to_value(convert::boolean(v, field)?)),
        TypeSpec::Datetime => json(serde_json::to_value(convert::datetime(v, field, cx, &[])?)),
        TypeSpec::Date => json(serde_json::to_value(convert::date(v, field, cx, &[])?)),
        TypeSpec::Reference => json(serde_json::to_value(convert::reference(v, None, field)?)),
        TypeSpec::Json => Ok(convert::json(v.filter(|v| !v.is_null())).unwrap_or(Value::Null)),
        TypeSpec::List { items } => {
            // A projection already yields a list without nulls; a plain value must be one.
            let elements = convert::elements(v, field)?.unwrap_or_default();
            let mut out = Vec::new();
            for e in elements {
                let converted = convert_value(items, Some(e), field, cx)?;
                if !converted.is_null() {
                    out.push(converted);
                }
            }
            Ok(Value::Array(out))
        }
        TypeSpec::Object { .. } => Err(MappingError::new(
            field,
            "objects are mapped member by member",
        )),
    }
}

fn collect(fields: &[FieldSpec], out: &mut Vec<String>) {
    for f in fields {
        let Some(m) = &f.mapping else { continue };
        match m {
            MappingSpec::Expr { expr } => out.push(expr.clone()),
            MappingSpec::Const { .. } | MappingSpec::Param { .. } => {}
            MappingSpec::Enum { from, .. } | MappingSpec::Datetime { from, .. } => {
                out.push(from.clone())
            }
            MappingSpec::Reference { id, name } => {
                out.extend(std::iter::once(id.clone()).chain(name.clone()))
            }
            MappingSpec::References { items } => {
                for (id, name) in items {
                    out.extend(std::iter::once(id.clone()).chain(name.clone()));
                }
            }
            MappingSpec::Object { fields } => collect(fields, out),
            MappingSpec::Join { parts, .. } => out.extend(parts.iter().cloned()),
            MappingSpec::Objects { items } => {
                for fields in items {
                    collect(fields, out);
                }
            }
            MappingSpec::Each { each, fields } => {
                out.push(each.clone());
                collect(fields, out);
            }
        }
    }
}
