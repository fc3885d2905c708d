// Package openapi embeds the API descriptions the project is built from: the Restream API
// (restream-openapi.yml), the mock's control API and the JSON Schemas, so every binary and
// test reads the same bytes without touching the file system.
package openapi

import "embed"

// FS holds the embedded descriptions, at the same relative paths as in this directory.
//
//go:embed restream-openapi.yml control-openapi.yml schemas
var FS embed.FS

// RestreamSpec is the path in FS of the Restream API description.
const RestreamSpec = "restream-openapi.yml"

// SchemasDir is the directory in FS of the JSON Schema 2020-12 documents: one kebab-case file
// per request or response body component of the spec (channel.json, error-envelope.json...),
// titled with the component's name and identified as https://restreamkit.dev/schemas/<file>.
// Nested objects live in $defs; a body that contains another body refers to its file by $ref.
const SchemasDir = "schemas"

// ControlSpec is the path in FS of the mock's control API description (/__mock/).
const ControlSpec = "control-openapi.yml"
