//! The server's own endpoints in `unified.json`: connected accounts (with each provider's
//! credentials), API keys, health and the documents.

use serde_json::{Map, Value, json};

use crate::ir::{self, Ir};
use crate::names::type_name;

use super::{OWN, PROVIDER_CALL, WRITE, add_operation, json_response, responses, schema_ref};

const NAME: &str = "A name to tell it by: 1 to 200 characters.";

pub(super) fn add(
    ir: &Ir,
    paths: &mut Map<String, Value>,
    schemas: &mut Map<String, Value>,
    tags: &mut Vec<Value>,
) {
    tags.extend([
        json!({ "name": "Accounts", "description": "Connected accounts: a provider and its credentials, sealed at rest and never shown back." }),
        json!({ "name": "API keys", "description": "The keys callers authenticate with (admin or client, optionally limited to some accounts)." }),
        json!({ "name": "Operations", "description": "Health, readiness, metrics and these documents; no key needed." }),
    ]);
    accounts(ir, paths, schemas);
    keys(paths, schemas);
    operations(ir, paths);
}

fn op(id: &str, tag: &str, summary: &str, description: &str) -> Value {
    json!({
        "operationId": id,
        "summary": summary,
        "description": description,
        "tags": [tag],
    })
}

fn id_param(what: &str) -> Value {
    json!({
        "name": "id",
        "in": "path",
        "required": true,
        "description": format!("The {what}'s id."),
        "schema": { "type": "string", "minLength": 1 }
    })
}

fn body(schema: Value) -> Value {
    json!({ "required": true, "content": { "application/json": { "schema": schema } } })
}

fn listing(item: &str) -> Value {
    json!({
        "type": "object",
        "required": ["result", "result_count"],
        "properties": {
            "result": { "type": "array", "items": schema_ref(item) },
            "result_count": { "type": "integer", "minimum": 0 }
        }
    })
}

/// The credentials an account of `p` gives, by name.
fn credentials_schema(p: &ir::Provider, all_optional: bool) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for c in &p.credentials {
        let mut s = json!({
            "type": "string",
            "minLength": 1,
            "maxLength": 8192,
            "description": c.description,
        });
        if c.secret {
            s["writeOnly"] = true.into();
        }
        if !c.values.is_empty() {
            let values: Vec<&str> = c.values.iter().map(|(v, _)| v.as_str()).collect();
            s["enum"] = json!(values);
        }
        if let Some(d) = &c.default {
            s["default"] = d.clone().into();
        }
        if !c.optional && c.default.is_none() && !all_optional {
            required.push(c.name.clone());
        }
        properties.insert(c.name.clone(), s);
    }
    json!({
        "type": "object",
        "description": format!("{}'s credentials by name.", p.title),
        "additionalProperties": false,
        "required": required,
        "properties": properties,
    })
}

fn accounts(ir: &Ir, paths: &mut Map<String, Value>, schemas: &mut Map<String, Value>) {
    let providers: Vec<&str> = ir.providers.iter().map(|p| p.name.as_str()).collect();
    schemas.insert(
        "Provider".into(),
        json!({ "type": "string", "enum": providers, "description": "A provider Switchboard maps." }),
    );
    let mut options = Vec::new();
    let mut mapping = Map::new();
    for p in &ir.providers {
        let credentials = format!("{}Credentials", type_name(&p.name));
        schemas.insert(credentials.clone(), credentials_schema(p, false));
        let input = format!("New{}Account", type_name(&p.name));
        schemas.insert(
            input.clone(),
            json!({
                "type": "object",
                "description": format!("A {} account to connect.", p.title),
                "additionalProperties": false,
                "required": ["provider", "credentials"],
                "properties": {
                    "provider": { "type": "string", "const": p.name },
                    "credentials": schema_ref(&credentials),
                    "name": { "type": ["string", "null"], "minLength": 1, "maxLength": 200, "description": format!("{NAME} The provider's name when left out.") },
                    "verify": { "type": "boolean", "default": false, "description": "Check the credentials with the provider (one cheap read) before storing them." }
                }
            }),
        );
        mapping.insert(
            p.name.clone(),
            format!("#/components/schemas/{input}").into(),
        );
        options.push(schema_ref(&input));
    }
    schemas.insert(
        "NewAccount".into(),
        json!({
            "description": "An account to connect: its provider and that provider's credentials.",
            "oneOf": options,
            "discriminator": { "propertyName": "provider", "mapping": mapping },
        }),
    );
    schemas.insert(
        "AccountUpdate".into(),
        json!({
            "type": "object",
            "description": "What changes: credentials left out keep their values, so a rotation gives only the new ones. New credentials make a `needs_reauth` account `active` again.",
            "additionalProperties": false,
            "properties": {
                "credentials": {
                    "type": "object",
                    "description": "New credential values by name (the provider's names; see `NewAccount`).",
                    "additionalProperties": { "type": "string", "minLength": 1, "maxLength": 8192 }
                },
                "name": { "type": ["string", "null"], "minLength": 1, "maxLength": 200, "description": NAME },
                "verify": { "type": "boolean", "default": false, "description": "Check the new credentials with the provider before storing them." }
            }
        }),
    );
    schemas.insert(
        "Account".into(),
        json!({
            "type": "object",
            "description": "A connected account, as every endpoint shows it: never a secret value.",
            "required": ["id", "provider", "name", "status", "credentials", "secret_credentials", "created_at", "updated_at"],
            "properties": {
                "id": { "type": "string", "description": "Pass it as `account_id`." },
                "provider": schema_ref("Provider"),
                "name": { "type": "string" },
                "status": {
                    "type": "string",
                    "enum": ["active", "needs_reauth"],
                    "description": "`needs_reauth` once the provider rejects the credentials; calls then answer 424 until new ones are given."
                },
                "credentials": {
                    "type": "object",
                    "description": "The values of the credentials that are not secret.",
                    "additionalProperties": { "type": "string" }
                },
                "secret_credentials": {
                    "type": "array",
                    "description": "The names of the provider's secret credentials, whose values are never shown.",
                    "items": { "type": "string" }
                },
                "created_at": { "type": "string", "format": "date-time" },
                "updated_at": { "type": "string", "format": "date-time" }
            }
        }),
    );
    schemas.insert("AccountList".into(), listing("Account"));

    let provider_filter = json!({
        "name": "provider",
        "in": "query",
        "required": false,
        "description": "Only this provider's accounts.",
        "schema": schema_ref("Provider")
    });
    let mut list = op(
        "list_accounts",
        "Accounts",
        "List accounts",
        "The accounts this key may use (every account for an admin key without limits).",
    );
    list["parameters"] = json!([provider_filter]);
    list["responses"] = responses(
        (
            "200",
            json_response("The accounts.", schema_ref("AccountList")),
        ),
        &[OWN],
    );
    add_operation(paths, "/accounts", "get", list);

    let mut create = op(
        "create_account",
        "Accounts",
        "Connect an account",
        "Checks the credentials against the provider's (names, required ones, allowed values), verifies them with the provider when asked, seals them and stores the account. Admin keys only.",
    );
    create["requestBody"] = body(schema_ref("NewAccount"));
    create["responses"] = responses(
        ("201", json_response("The account.", schema_ref("Account"))),
        &[PROVIDER_CALL, &[413]],
    );
    add_operation(paths, "/accounts", "post", create);

    let mut show = op(
        "get_account",
        "Accounts",
        "Get an account",
        "The account, with its status.",
    );
    show["parameters"] = json!([id_param("account")]);
    show["responses"] = responses(
        ("200", json_response("The account.", schema_ref("Account"))),
        &[OWN, &[404]],
    );
    add_operation(paths, "/accounts/{id}", "get", show);

    let mut update = op(
        "update_account",
        "Accounts",
        "Update an account",
        "Renames it or rotates its credentials. Admin keys only.",
    );
    update["parameters"] = json!([id_param("account")]);
    update["requestBody"] = body(schema_ref("AccountUpdate"));
    update["responses"] = responses(
        ("200", json_response("The account.", schema_ref("Account"))),
        &[PROVIDER_CALL, WRITE],
    );
    add_operation(paths, "/accounts/{id}", "patch", update);

    let mut delete = op(
        "delete_account",
        "Accounts",
        "Delete an account",
        "Forgets the account and its credentials. Admin keys only.",
    );
    delete["parameters"] = json!([id_param("account")]);
    delete["responses"] = responses(
        ("200", json_response("Done.", schema_ref("Deleted"))),
        &[OWN, &[404]],
    );
    add_operation(paths, "/accounts/{id}", "delete", delete);
}

fn keys(paths: &mut Map<String, Value>, schemas: &mut Map<String, Value>) {
    let role = json!({
        "type": "string",
        "enum": ["admin", "client"],
        "description": "`admin` manages accounts and keys and makes calls; `client` makes calls."
    });
    let accounts = json!({
        "type": ["array", "null"],
        "items": { "type": "string" },
        "description": "The only accounts the key may use; null: every account."
    });
    schemas.insert(
        "NewKey".into(),
        json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["name", "role"],
            "properties": {
                "name": { "type": "string", "minLength": 1, "maxLength": 200, "description": NAME },
                "role": role,
                "accounts": accounts,
            }
        }),
    );
    let key_properties = json!({
        "id": { "type": "string" },
        "name": { "type": "string" },
        "role": role,
        "accounts": accounts,
        "created_at": { "type": "string", "format": "date-time" },
        "revoked_at": { "type": ["string", "null"], "format": "date-time" }
    });
    let required = json!(["id", "name", "role", "accounts", "created_at", "revoked_at"]);
    schemas.insert(
        "Key".into(),
        json!({
            "type": "object",
            "description": "An API key, as endpoints show it: never its secret.",
            "required": required,
            "properties": key_properties,
        }),
    );
    let mut created_properties = key_properties;
    created_properties["token"] = json!({
        "type": "string",
        "description": "The key itself, shown this once: send it as `Authorization: Bearer <token>`."
    });
    let mut created_required = required;
    if let Value::Array(r) = &mut created_required {
        r.push("token".into());
    }
    schemas.insert(
        "CreatedKey".into(),
        json!({
            "type": "object",
            "description": "A new API key, with its token.",
            "required": created_required,
            "properties": created_properties,
        }),
    );
    schemas.insert("KeyList".into(), listing("Key"));

    let mut list = op(
        "list_keys",
        "API keys",
        "List API keys",
        "Every key, revoked ones included. Admin keys only.",
    );
    list["responses"] = responses(
        ("200", json_response("The keys.", schema_ref("KeyList"))),
        &[OWN],
    );
    add_operation(paths, "/keys", "get", list);

    let mut create = op(
        "create_key",
        "API keys",
        "Create an API key",
        "Admin keys only; the answer holds the token, which is not shown again.",
    );
    create["requestBody"] = body(schema_ref("NewKey"));
    create["responses"] = responses(
        (
            "201",
            json_response("The key and its token.", schema_ref("CreatedKey")),
        ),
        &[OWN, &[413]],
    );
    add_operation(paths, "/keys", "post", create);

    let mut revoke = op(
        "revoke_key",
        "API keys",
        "Revoke an API key",
        "The key stops working at once, on every replica. Admin keys only.",
    );
    revoke["parameters"] = json!([id_param("key")]);
    revoke["responses"] = responses(
        ("200", json_response("Done.", schema_ref("Deleted"))),
        &[OWN, &[404]],
    );
    add_operation(paths, "/keys/{id}", "delete", revoke);
}

fn operations(ir: &Ir, paths: &mut Map<String, Value>) {
    let status = |value: &str| {
        json!({
            "type": "object",
            "required": ["status"],
            "properties": { "status": { "type": "string", "enum": [value] } }
        })
    };
    let mut health = op(
        "check_health",
        "Operations",
        "Liveness",
        "200 while the process serves.",
    );
    health["security"] = json!([]);
    health["responses"] = json!({ "200": json_response("Alive.", status("ok")) });
    add_operation(paths, "/healthz", "get", health);

    let mut ready = op(
        "check_readiness",
        "Operations",
        "Readiness",
        "200 when the store answers; a load balancer sends calls only to ready replicas.",
    );
    ready["security"] = json!([]);
    ready["responses"] = responses(("200", json_response("Ready.", status("ready"))), &[&[500]]);
    add_operation(paths, "/readyz", "get", ready);

    let mut metrics = op(
        "get_metrics",
        "Operations",
        "Metrics",
        "Prometheus text: requests by route and status, latencies, provider calls, retries and token fetches.",
    );
    metrics["security"] = json!([]);
    metrics["responses"] = json!({
        "200": {
            "description": "The metrics.",
            "content": { "text/plain": { "schema": { "type": "string" } } }
        }
    });
    add_operation(paths, "/metrics", "get", metrics);

    let mut names = vec!["unified.json".to_owned()];
    names.extend(ir.providers.iter().map(|p| format!("{}.json", p.name)));
    let mut document = op(
        "get_document",
        "Operations",
        "An OpenAPI document",
        "This document, or a provider's proxy document, naming the address the server listens on.",
    );
    document["security"] = json!([]);
    document["parameters"] = json!([{
        "name": "document",
        "in": "path",
        "required": true,
        "description": "The document's file name.",
        "schema": { "type": "string", "enum": names }
    }]);
    document["responses"] = responses(
        (
            "200",
            json_response("The document.", json!({ "type": "object" })),
        ),
        &[&[404]],
    );
    add_operation(paths, "/openapi/{document}", "get", document);
}
