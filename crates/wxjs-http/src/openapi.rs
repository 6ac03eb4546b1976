//! A small OpenAPI 3 document from a table of endpoints, for the listeners whose APIs are
//! written as tables (the phone's automation API, the simulator's control API); the signing
//! service derives its own from its handlers.

use serde_json::{Map, Value, json};

/// One endpoint of a table.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint {
    /// `GET`, `POST`, `DELETE`.
    pub method: &'static str,
    /// `/__wxjs/pages/{id}`.
    pub path: &'static str,
    /// What it is for.
    pub summary: &'static str,
    /// An example request body (JSON), or `""`.
    pub example: &'static str,
}

impl Endpoint {
    /// A row of a table: method, path, what it is for, an example body (or `""`).
    #[must_use]
    pub const fn new(
        method: &'static str,
        path: &'static str,
        summary: &'static str,
        example: &'static str,
    ) -> Self {
        Self {
            method,
            path,
            summary,
            example,
        }
    }
}

/// The OpenAPI 3.0 document of `endpoints`.
#[must_use]
pub fn document(title: &str, description: &str, endpoints: &[Endpoint]) -> Value {
    let mut paths = Map::new();
    for e in endpoints {
        let mut op = Map::new();
        op.insert("summary".into(), json!(e.summary));
        let params: Vec<Value> = e
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        if !params.is_empty() {
            op.insert("parameters".into(), Value::Array(params));
        }
        if !e.example.is_empty() {
            let example: Value =
                serde_json::from_str(e.example).unwrap_or_else(|_| json!(e.example));
            op.insert(
                "requestBody".into(),
                json!({"content": {"application/json": {"schema": {"type": "object"}, "example": example}}}),
            );
        }
        op.insert(
            "responses".into(),
            json!({
                "200": {"description": "done (JSON, or what the path serves)"},
                "204": {"description": "done, nothing to say"},
                "4XX": {"description": "a bad request: {\"error\":{\"code\",\"message\"}}"}
            }),
        );
        let item = paths
            .entry(e.path.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(item) = item {
            item.insert(e.method.to_ascii_lowercase(), Value::Object(op));
        }
    }
    json!({
        "openapi": "3.0.3",
        "info": {"title": title, "description": description, "version": env!("CARGO_PKG_VERSION")},
        "paths": paths,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_methods_parameters_and_examples() {
        let doc = document(
            "t",
            "d",
            &[
                Endpoint {
                    method: "GET",
                    path: "/a/{id}",
                    summary: "one",
                    example: "",
                },
                Endpoint {
                    method: "POST",
                    path: "/a/{id}",
                    summary: "two",
                    example: r#"{"x":1}"#,
                },
            ],
        );
        assert_eq!(
            doc["paths"]["/a/{id}"]["get"]["parameters"][0]["name"],
            "id"
        );
        assert_eq!(
            doc["paths"]["/a/{id}"]["post"]["requestBody"]["content"]["application/json"]["example"]
                ["x"],
            1
        );
    }
}
