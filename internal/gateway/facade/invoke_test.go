package facade_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/restreamkit/restreamkit/internal/capability"
	"github.com/restreamkit/restreamkit/internal/gateway/facade"
	"github.com/restreamkit/restreamkit/internal/gateway/upstream"
)

// bodyInvoker is an invoker that can skip decoding answers, counting which way it was called.
type bodyInvoker struct {
	fakeInvoker
	invokes, bodies atomic.Int64
}

func (b *bodyInvoker) Invoke(ctx context.Context, c *capability.Call, args map[string]any) (*upstream.Result, error) {
	b.invokes.Add(1)
	return b.fakeInvoker.Invoke(ctx, c, args)
}

func (b *bodyInvoker) InvokeBody(ctx context.Context, c *capability.Call, args map[string]any) (*upstream.Result, error) {
	b.bodies.Add(1)
	return b.fakeInvoker.Invoke(ctx, c, args)
}

func TestTheFacadeAsksAnInvokerThatCanForTheBodyOnly(t *testing.T) {
	inv := &bodyInvoker{}
	ts := serve(t, testAdapter(), inv, facade.Options{})
	for _, target := range []string{"/v1/channels", "/v1/channels/42", "/v1/events/history?page=2"} {
		if a := send(t, ts, http.MethodGet, target, "", ""); a.status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", target, a.status, a.body)
		}
	}
	if n, m := inv.bodies.Load(), inv.invokes.Load(); n != 3 || m != 0 {
		t.Fatalf("InvokeBody was called %d times and Invoke %d; want 3 and 0: the facade never reads Value", n, m)
	}
}
