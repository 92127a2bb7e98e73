"""The OpenAPI 3.1 description of /api/v1. A test checks it lists every route."""

from __future__ import annotations

USER_SCHEMA = {
    "type": "object",
    "required": ["id", "employee_no", "name", "role", "tier", "ladder_level", "is_active"],
    "properties": {
        "id": {"type": "integer"},
        "employee_no": {"type": "string"},
        "name": {"type": "string"},
        "email": {"type": ["string", "null"]},
        "role": {"type": "string", "enum": ["agent", "trainer", "manager", "admin"]},
        "team_id": {"type": ["integer", "null"]},
        "hire_date": {"type": ["string", "null"], "format": "date"},
        "tier": {"type": "string", "enum": ["onboarding", "in_service", "elite"]},
        "ladder_level": {"type": "string", "enum": ["specialist", "senior", "expert", "manager"]},
        "cleared_for_live_at": {"type": ["string", "null"], "format": "date-time"},
        "is_active": {"type": "boolean"},
    },
}

TEAM_SCHEMA = {
    "type": "object",
    "required": ["id", "name", "manager_ids"],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "description": {"type": "string"},
        "manager_ids": {"type": "array", "items": {"type": "integer"}},
    },
}

KPI_VALUE_SCHEMA = {
    "type": "object", "required": ["employee_no", "period", "metric", "value"],
    "properties": {
        "employee_no": {"type": "string"}, "period": {"type": "string", "example": "2026-10"},
        "metric": {"type": "string", "example": "csat"},
        "value": {"oneOf": [{"type": "number"}, {"type": "string"}], "example": 92.5},
        "contacts": {"type": "integer", "minimum": 0, "maximum": 1000000},
    },
}
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["status", "title"], "properties": {
        "status": {"type": "integer"}, "title": {"type": "string"}, "detail": {"type": "string"},
    }}},
}


def _json(schema_ref: str, description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}}}


ERRORS = {
    "401": _json("Error", "Missing, unknown or revoked token"),
    "403": _json("Error", "The token's user lacks the role"),
}


def openapi_document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "AgentPath API",
            "version": "1.0.0",
            "description": "Personal API tokens are created by an administrator (Admin → API tokens). "
                           "A token acts as its user and sees exactly what that user may see.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": {"User": USER_SCHEMA, "Team": TEAM_SCHEMA, "Error": ERROR_SCHEMA},
        },
        "paths": {
            "/openapi.json": {"get": {
                "summary": "This document", "security": [],
                "responses": {"200": {"description": "OpenAPI document"}},
            }},
            "/me": {"get": {
                "summary": "The token's own user",
                "responses": {"200": _json("User", "The user"), **ERRORS},
            }},
            "/users": {"get": {
                "summary": "Users visible to the token's user (agent: self; manager: own teams; others: all)",
                "parameters": [
                    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                    {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}},
                    {"name": "team_id", "in": "query", "schema": {"type": "integer"}},
                ],
                "responses": {"200": {"description": "A page of users", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {
                        "items": {"type": "array", "items": {"$ref": "#/components/schemas/User"}},
                        "page": {"type": "integer"}, "per_page": {"type": "integer"}, "total": {"type": "integer"},
                    }}}}}, **ERRORS},
            }},
            "/users/{user_id}": {"get": {
                "summary": "One visible user",
                "parameters": [{"name": "user_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {"200": _json("User", "The user"), **ERRORS,
                              "404": _json("Error", "No such user, or not visible to the token's user")},
            }},
            "/teams": {"get": {
                "summary": "Teams visible to the token's user",
                "responses": {"200": {"description": "Teams", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {
                        "items": {"type": "array", "items": {"$ref": "#/components/schemas/Team"}}}}}}},
                    **ERRORS},
            }},
            "/kpi/values": {
                "post": {
                    "summary": "Push KPI values (managers for their teams, admins); all or nothing",
                    "description": "Rates are percentages (92.5 or \"92.5%\"), times seconds or \"00:03:25\", "
                                   "periods a month (2026-10) or a day rolled up to its month. Every number is "
                                   "finite and in range (rates 0–100, times 0 to 31 days — over 2 hours warns —, "
                                   "counts 0–1e9, ratios 0–1e6, contacts 0–1,000,000, years from 2000 on), or the "
                                   "item is a 422 error naming the field. Sending the same "
                                   "values again changes nothing; a different value replaces the old one, which "
                                   "the import history keeps.",
                    "requestBody": {"required": True, "content": {"application/json": {"schema": {
                        "type": "object", "required": ["values"], "properties": {"values": {
                            "type": "array", "maxItems": 10000, "items": KPI_VALUE_SCHEMA}}}}}},
                    "responses": {
                        "201": {"description": "Stored: batch id and counts (added, replaced, unchanged)"},
                        "200": {"description": "Nothing changed: every value was already there"},
                        "422": _json("Error", "Some items are invalid: error.errors lists index, field, message; "
                                              "nothing was stored"),
                        **ERRORS,
                    },
                },
                "get": {
                    "summary": "KPI values visible to the token's user",
                    "parameters": [
                        {"name": "agent", "in": "query", "schema": {"type": "string"}, "description": "employee no"},
                        {"name": "period", "in": "query", "schema": {"type": "string", "pattern": "^\\d{4}-\\d{2}$"}},
                        {"name": "metric", "in": "query", "schema": {"type": "string"}},
                    ],
                    "responses": {"200": {"description": "Values (at most 5,000; truncated says when more matched)"},
                                  **ERRORS},
                },
            },
        },
    }
