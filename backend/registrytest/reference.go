package registrytest

import (
	"os"
	"path/filepath"
	"testing"
)

// ReferenceEnv names the reference tool's binary (ace-dt) for tests that
// compare Ferry with it.
const ReferenceEnv = "ACEDT"

// ReferenceTool returns the absolute path of the reference binary: $ACEDT,
// else shared/peers/ace-dt beside the repository (from a package two levels
// below the repository root). It skips the test, saying where it looked,
// when there is none.
func ReferenceTool(t testing.TB) string {
	t.Helper()
	p := os.Getenv(ReferenceEnv)
	if p == "" {
		p = filepath.Join("..", "..", "..", "shared", "peers", "ace-dt")
	}
	abs, err := filepath.Abs(p)
	if err == nil {
		_, err = os.Stat(abs)
	}
	if err != nil {
		t.Skipf("reference tool not found at %s (set %s=path/to/ace-dt to compare with it): %v", p, ReferenceEnv, err)
	}
	return abs
}
