// Package controlapi holds the code oapi-codegen generates from openapi/control-openapi.yml, the
// mock's own /__mock/ API: models, the echo strict-server interface, a typed client and the
// embedded spec. Nothing in this package is edited by hand.
package controlapi

//go:generate go tool oapi-codegen -config oapi-codegen.yaml ../../../openapi/control-openapi.yml
