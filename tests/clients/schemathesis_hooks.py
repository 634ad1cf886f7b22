"""Schemathesis hooks for the server's test suite (server/tests/schemathesis.rs).

They make schemathesis call the way the documents tell a client to:

- every operation goes through the sandbox account of one provider that has it (the first in
  its `x-providers`, or the proxy document's provider): `account_id` is that account's id, and
  the optional parameters and body members that provider cannot honour (`unsupported`) are left
  out, since sending them is answered 501 by design;
- each write gets a fresh `Idempotency-Key` when the generated one is valid, as a client must
  (the same key for a different request is a 422 by design); invalid keys are sent unchanged.

The accounts come from SWITCHBOARD_ACCOUNTS (JSON: provider -> account id) and the proxy
document's provider from SWITCHBOARD_PROVIDER (empty for unified.json).
"""

import json
import os
import re
import uuid

import schemathesis

ACCOUNTS = json.loads(os.environ.get("SWITCHBOARD_ACCOUNTS", "{}"))
PROVIDER = os.environ.get("SWITCHBOARD_PROVIDER", "")
KEY = re.compile(r"^[!-~]{1,255}$")
METHODS = ("get", "put", "post", "patch", "delete", "head", "options", "trace")


def _provider_of(operation):
    if PROVIDER:
        return PROVIDER, []
    for entry in operation.get("x-providers", []):
        if entry["provider"] in ACCOUNTS:
            return entry["provider"], entry.get("unsupported", [])
    return None, []


@schemathesis.hook
def before_load_schema(ctx, raw_schema):
    for item in raw_schema.get("paths", {}).values():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            provider, unsupported = _provider_of(operation)
            if provider is None:
                continue
            kept = []
            for parameter in operation.get("parameters", []):
                name = parameter.get("name")
                if name in unsupported:
                    continue
                if name == "account_id" and parameter.get("in") == "query":
                    parameter = dict(parameter)
                    parameter["schema"] = {"type": "string", "enum": [ACCOUNTS[provider]]}
                kept.append(parameter)
            operation["parameters"] = kept
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            properties = body.get("schema", {}).get("properties")
            if properties:
                for name in unsupported:
                    properties.pop(name, None)


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() == "idempotency-key" and isinstance(headers[name], str) and KEY.match(headers[name]):
            headers[name] = str(uuid.uuid4())
