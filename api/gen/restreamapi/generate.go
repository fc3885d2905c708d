// Package restreamapi holds the code oapi-codegen generates from openapi/restream-openapi.yml:
// the models, the echo strict-server interface, a typed client and the embedded spec.
// Nothing in this package is edited by hand.
package restreamapi

//go:generate go tool oapi-codegen -config oapi-codegen.yaml ../../../openapi/restream-openapi.yml
