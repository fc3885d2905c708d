// Package capabilities embeds restream-gateway's own capability files (the Naftiko capability
// format, in the dialect the README documents), so that the gateway runs without any file on
// disk; --capability FILE replaces them.
package capabilities

import "embed"

// FS holds the capability files at their paths in this directory: Default and the consumes
// files it imports (shared/...), so that imports resolve inside FS as on disk.
//
//go:embed multistream-management.yaml shared/restream-api.yaml
var FS embed.FS

// Default is the path in FS of the capability restream-gateway runs by default: a REST facade
// and an MCP server over the Restream API (capability.Load(FS, Default, opts)).
const Default = "multistream-management.yaml"
