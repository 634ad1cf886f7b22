//! Request bodies checked against the documents before anything is sent: a body the served
//! document does not admit (a member of the wrong type, a missing required one, no body where
//! one is required) is a 400 naming the place, so the documents are the contract in both
//! directions.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::ApiError;

/// Deeper than this, a `$ref` chain is taken as a cycle.
const DEPTH: usize = 64;

/// What one operation takes as its body.
pub struct Body {
    required: bool,
    validator: jsonschema::Validator,
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Body")
            .field("required", &self.required)
            .finish_non_exhaustive()
    }
}

impl Body {
    /// The body of `op` in `doc`, if it declares one.
    pub fn of(doc: &Value, op: &Value) -> Result<Option<Body>, String> {
        let Some(request) = op.get("requestBody") else {
            return Ok(None);
        };
        let required = request.get("required").and_then(Value::as_bool) == Some(true);
        let schema = request
            .pointer("/content/application~1json/schema")
            .cloned()
            .unwrap_or(Value::Bool(true));
        let schema = resolved(doc, schema, 0)?;
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .map_err(|e| format!("a request body schema does not compile: {e}"))?;
        Ok(Some(Body {
            required,
            validator,
        }))
    }

    /// Checks a request's body (`null` when it has none).
    pub fn check(&self, body: &Value) -> Result<(), ApiError> {
        if body.is_null() {
            return if self.required {
                Err(ApiError::invalid("this endpoint needs a JSON body"))
            } else {
                Ok(())
            };
        }
        match self.validator.iter_errors(body).next() {
            None => Ok(()),
            Some(e) => {
                let place = e.instance_path().to_string();
                let mut why = e.to_string();
                if why.chars().count() > 300 {
                    why = why.chars().take(300).collect::<String>() + "…";
                }
                let place = if place.is_empty() {
                    "the body".to_owned()
                } else {
                    format!("`{place}`")
                };
                Err(ApiError::invalid(format!(
                    "the body does not match the document at {place}: {why}"
                ))
                .with_details(serde_json::json!({ "pointer": e.instance_path().to_string() })))
            }
        }
    }
}

/// `schema` with every local `$ref` (`#/components/…`) replaced by what it points at.
fn resolved(doc: &Value, schema: Value, depth: usize) -> Result<Value, String> {
    if depth > DEPTH {
        return Err("a schema's `$ref`s nest too deep (a cycle?)".into());
    }
    Ok(match schema {
        Value::Object(o) => {
            if let Some(reference) = o.get("$ref").and_then(Value::as_str) {
                let target = reference
                    .strip_prefix('#')
                    .and_then(|pointer| doc.pointer(pointer))
                    .ok_or_else(|| format!("`{reference}` points at nothing"))?;
                return resolved(doc, target.clone(), depth + 1);
            }
            let mut out = serde_json::Map::new();
            for (k, v) in o {
                out.insert(k, resolved(doc, v, depth + 1)?);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|v| resolved(doc, v, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        other => other,
    })
}

/// The bodies of every proxy method, by provider and tool name.
#[derive(Debug, Default)]
pub struct ProxyBodies {
    by_tool: BTreeMap<(String, String), std::sync::Arc<Body>>,
}

impl ProxyBodies {
    pub fn from_documents() -> Result<ProxyBodies, String> {
        let mut by_tool = BTreeMap::new();
        for (provider, text) in switchboard_generated::documents::PROXY_OPENAPI {
            let doc: Value = serde_json::from_str(text)
                .map_err(|e| format!("{provider}'s proxy document is not JSON: {e}"))?;
            for item in doc["paths"]
                .as_object()
                .into_iter()
                .flat_map(|p| p.values())
            {
                for op in item.as_object().into_iter().flat_map(|i| i.values()) {
                    let Some(body) = Body::of(&doc, op)? else {
                        continue;
                    };
                    let body = std::sync::Arc::new(body);
                    for m in op["x-methods"].as_array().into_iter().flatten() {
                        if let Some(tool) = m["tool"].as_str() {
                            by_tool.insert(((*provider).to_owned(), tool.to_owned()), body.clone());
                        }
                    }
                }
            }
        }
        Ok(ProxyBodies { by_tool })
    }

    /// The body `tool` of `provider` takes, if it takes one.
    pub fn get(&self, provider: &str, tool: &str) -> Option<&Body> {
        self.by_tool
            .get(&(provider.to_owned(), tool.to_owned()))
            .map(|b| b.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_body_is_checked_with_its_references_resolved() {
        let doc = json!({
            "components": { "schemas": { "Reference": {
                "type": "object", "required": ["id"],
                "properties": { "id": { "type": "string" }, "name": { "type": "string" } }
            } } }
        });
        let op = json!({ "requestBody": { "required": true, "content": { "application/json": { "schema": {
            "type": "object",
            "properties": { "team": { "$ref": "#/components/schemas/Reference" } }
        } } } } });
        let body = Body::of(&doc, &op).unwrap().unwrap();
        assert!(body.check(&json!({"team": {"id": "7"}})).is_ok());
        let e = body
            .check(&json!({"team": {"id": "7", "name": 5}}))
            .unwrap_err();
        assert!(
            e.body()["message"].as_str().unwrap().contains("/team/name"),
            "{:?}",
            e.body()
        );
        assert!(body.check(&Value::Null).is_err());
        let cyclic =
            json!({ "components": { "schemas": { "A": { "$ref": "#/components/schemas/A" } } } });
        let op = json!({ "requestBody": { "content": { "application/json": { "schema": { "$ref": "#/components/schemas/A" } } } } });
        assert!(Body::of(&cyclic, &op).is_err());
    }
}
