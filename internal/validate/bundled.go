package validate

import (
	"sync"

	"github.com/restreamkit/restreamkit/openapi"
)

// The bundled descriptions (package openapi), each compiled once per process. A Spec is
// immutable, so every server, fixture check and client in a process can share one: compiling
// the Restream API costs about 12 ms of CPU, which the mock paid twice at each start (once for
// itself and once to check its fixtures) and every test server paid again.
var (
	bundledRestream = sync.OnceValues(func() (*Spec, error) { return Load(openapi.FS, openapi.RestreamSpec) })
	bundledControl  = sync.OnceValues(func() (*Spec, error) { return Load(openapi.FS, openapi.ControlSpec) })
)

// RestreamSpec returns the bundled Restream API description (openapi.RestreamSpec), compiled
// on first use and shared after.
func RestreamSpec() (*Spec, error) { return bundledRestream() }

// ControlSpec returns the bundled control API description (openapi.ControlSpec), compiled on
// first use and shared after.
func ControlSpec() (*Spec, error) { return bundledControl() }
