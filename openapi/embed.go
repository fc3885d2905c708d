// Package openapi embeds the API descriptions the project is built from: the Restream API
// (restream-openapi.yml), the mock's control API and the JSON Schemas, so every binary and
// test reads the same bytes without touching the file system.
package openapi

import "embed"

// FS holds the embedded descriptions, at the same relative paths as in this directory.
//
//go:embed restream-openapi.yml
var FS embed.FS

// RestreamSpec is the path in FS of the Restream API description.
const RestreamSpec = "restream-openapi.yml"
