package registry

import (
	"context"
	"encoding/pem"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ferry/backend/config"
	"ferry/backend/registrytest"
)

func checkOne(t *testing.T, c *Client, host string) EndpointCheck {
	t.Helper()
	chk, err := c.Check(context.Background(), host)
	if err != nil {
		t.Fatal(err)
	}
	if len(chk.Endpoints) != 1 {
		t.Fatalf("endpoints checked: %+v", chk.Endpoints)
	}
	if chk.OK != chk.Endpoints[0].OK {
		t.Errorf("check OK %v, endpoint OK %v", chk.OK, chk.Endpoints[0].OK)
	}
	return chk.Endpoints[0]
}

func TestCheckPlainHTTPRegistry(t *testing.T) {
	host := registrytest.InProcess(t)
	cfg := config.Default()
	cfg.RegistryConfig.Registries = map[string]config.Registry{host: {Endpoints: []string{"http://" + host}}}
	ec := checkOne(t, New(cfg, WithRetryBackoff(fastRetry)), host)
	if !ec.OK || !ec.Answers || ec.TLS != TLSPlainHTTP || ec.Credentials != CredsNone || ec.Endpoint != "http://"+host {
		t.Errorf("plain HTTP registry: %+v", ec)
	}
	if !strings.Contains(ec.Message, "plain HTTP") || !strings.Contains(ec.Message, "needs no sign-in") {
		t.Errorf("message %q", ec.Message)
	}
	// Nothing listens: said so, without a TLS verdict.
	dead := New(config.Default(), WithRetryBackoff(fastRetry))
	ec = checkOne(t, dead, "127.0.0.1:1")
	if ec.OK || ec.Answers || ec.TLS != "" || !strings.Contains(ec.Message, "cannot reach") {
		t.Errorf("nothing listening: %+v", ec)
	}
}

func TestCheckTLSVerificationAndCAFile(t *testing.T) {
	srv := httptest.NewTLSServer(registrytest.Handler())
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "https://")

	ec := checkOne(t, New(config.Default(), WithRetryBackoff(fastRetry)), host)
	if ec.OK || ec.TLS != TLSFailed || !strings.Contains(ec.Message, "TLS") {
		t.Errorf("unknown CA: %+v", ec)
	}

	ca := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644)
	cfg := config.Default()
	cfg.Ferry.Registries = map[string]config.FerryRegistry{host: {CAFile: ca}}
	ec = checkOne(t, New(cfg, WithRetryBackoff(fastRetry)), host)
	if !ec.OK || ec.TLS != TLSVerified || !strings.Contains(ec.Message, "verifies") {
		t.Errorf("with the CA file: %+v", ec)
	}

	cfg = config.Default()
	cfg.RegistryConfig.EndpointConfig = map[string]config.EndpointConfig{"https://" + host: {TLS: &config.TLS{InsecureSkipVerify: true}}}
	ec = checkOne(t, New(cfg, WithRetryBackoff(fastRetry)), host)
	if !ec.OK || ec.TLS != TLSNotVerified {
		t.Errorf("verification off: %+v", ec)
	}

	cfg = config.Default()
	cfg.Ferry.Registries = map[string]config.FerryRegistry{host: {CAFile: filepath.Join(t.TempDir(), "gone.pem")}}
	ec = checkOne(t, New(cfg, WithRetryBackoff(fastRetry)), host)
	if ec.OK || !strings.Contains(ec.Message, "caFile") {
		t.Errorf("missing CA file: %+v", ec)
	}
}

func TestLoginStoresCredentialsInTheDockerConfiguration(t *testing.T) {
	docker := t.TempDir()
	t.Setenv("DOCKER_CONFIG", docker)
	t.Setenv("PATH", t.TempDir()) // no credential helper to detect: config.json it is
	host := authServer(t)
	c := New(config.Default(), WithRetryBackoff(fastRetry))

	if ec := checkOne(t, c, host); ec.OK || !ec.Answers || ec.Credentials != CredsNeeded || !strings.Contains(ec.Message, "sign in") {
		t.Errorf("before signing in: %+v", ec)
	}
	if _, err := c.Login(context.Background(), host, "user", "wrong"); err == nil || !strings.Contains(err.Error(), "refuses") {
		t.Errorf("wrong password: %v", err)
	}
	if _, err := os.Stat(filepath.Join(docker, "config.json")); err == nil {
		t.Error("refused credentials were stored")
	}
	if _, err := c.Login(context.Background(), host, "user", "pass"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(docker, "config.json"))
	if err != nil || !strings.Contains(string(b), host) {
		t.Fatalf("docker config.json: %s %v", b, err)
	}
	ec := checkOne(t, c, host)
	if !ec.OK || ec.Credentials != CredsAccepted || ec.User != "user" || !strings.Contains(ec.Message, "credentials of user") {
		t.Errorf("after signing in: %+v", ec)
	}
	if strings.Contains(ec.Message, "pass") {
		t.Errorf("the password shows: %q", ec.Message)
	}

	if err := Logout(host); err != nil {
		t.Fatal(err)
	}
	if ec := checkOne(t, c, host); ec.Credentials != CredsNeeded {
		t.Errorf("after signing out: %+v", ec)
	}
}
