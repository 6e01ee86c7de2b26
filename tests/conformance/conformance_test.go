//go:build conformance

// Package conformance runs the OCI distribution-spec conformance suite
// (github.com/opencontainers/distribution-spec/conformance, a Go tool of this
// module) against Ferry's built-in registry: pull, push, content discovery
// and content management. `make conformance` runs it and prints the counts.
package conformance

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"testing"

	"ferry/backend/builtin"
)

// countLine is one "  Pass.....:   12" line of the suite's summary.
var countLine = regexp.MustCompile(`(?m)^  (Disabled|Skip|Pass|FAIL|Error)\.*: +(\d+)$`)

func TestConformance(t *testing.T) {
	dir := t.TempDir()
	reg, err := builtin.Start(context.Background(), builtin.Options{Listen: "127.0.0.1:0", Root: filepath.Join(dir, "registry")})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()

	bin := filepath.Join(dir, "conformance")
	build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, "github.com/opencontainers/distribution-spec/conformance")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the conformance suite: %v\n%s", err, out)
	}

	results := os.Getenv("CONFORMANCE_RESULTS")
	if results == "" {
		results = filepath.Join(dir, "results")
	}
	cmd := exec.Command(bin)
	cmd.Dir = dir // no oci-conformance.yaml there: the environment alone configures it
	cmd.Env = append(os.Environ(),
		"OCI_REGISTRY="+reg.Addr(),
		"OCI_TLS=disabled",
		"OCI_REPO1=conformance/repo1",
		"OCI_REPO2=conformance/repo2",
		"OCI_RESULTS_DIR="+results,
		"OCI_VERSION=1.1",
		"OCI_API_PULL=true",
		"OCI_API_PUSH=true",
		"OCI_API_TAGS_LIST=true",
		// Distribution 3.1 has neither the referrers API (clients such as
		// Ferry use the referrers tag schema instead) nor sha512 digests:
		// those parts are disabled, and counted as skipped.
		"OCI_API_REFERRER=false",
		"OCI_DATA_SHA512=false",
		"OCI_API_BLOBS_DELETE=true",
		"OCI_API_MANIFESTS_DELETE=true",
		"OCI_API_TAGS_DELETE=true",
		"OCI_LOG=warn",
	)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	runErr := cmd.Run()

	counts := map[string]int{}
	for _, m := range countLine.FindAllStringSubmatch(out.String(), -1) {
		n, _ := strconv.Atoi(m[2])
		counts[m[1]] = n
	}
	if len(counts) == 0 {
		t.Fatalf("no summary from the conformance suite (%v):\n%s", runErr, out.String())
	}
	// The closing line `make conformance` prints.
	summary := fmt.Sprintf("conformance: %d passed, %d failed, %d skipped", counts["Pass"], counts["FAIL"]+counts["Error"], counts["Skip"]+counts["Disabled"])
	t.Log(summary + " (results in " + results + ")")
	if counts["FAIL"]+counts["Error"] > 0 || runErr != nil || counts["Pass"] == 0 {
		t.Errorf("the built-in registry fails the conformance suite (%v):\n%s", runErr, out.String())
	} else if testing.Verbose() {
		t.Log(out.String())
	}
}
