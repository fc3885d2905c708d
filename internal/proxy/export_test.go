package proxy

// Compress exposes the fuzz target's encoder helper to the HTTP tests of package proxy_test.
var Compress = compressed
