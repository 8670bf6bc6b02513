// Package cluster runs Tessera's scale-out deployment end to end: three
// gateways of the built binary on one PostgreSQL database and one data
// directory, behind a real HAProxy (the configuration of the README's
// "Scale-out" section). The aws cli and seed ListParts journeys run through
// the balancer (the scripts' endpoint mode), and a gateway is SIGKILLed in
// the middle of a multipart upload. Each test starts a cluster of its own.
package cluster

import (
	"testing"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

var journeys = tesseratest.Journeys{Root: "../../.."}

func TestMain(m *testing.M) { journeys.Main(m) }

// runThroughHAProxy runs one end-to-end script against a fresh cluster's
// balancer: consecutive requests reach different gateways.
func runThroughHAProxy(t *testing.T, name string, args ...string) {
	t.Parallel()
	c := startCluster(t, journeys.Binary())
	tesseratest.RunScript(t, journeys.Root, journeys.Binary(), c.scriptEnv(), name, args...)
	// The journey really ran on the cluster: every gateway served some of it.
	for _, g := range c.gateways {
		samples, err := scrape(t.Context(), g.url)
		if err != nil {
			t.Fatalf("%s metrics: %v", g.name, err)
		}
		n := samples.Sum("tessera_s3_requests_total", map[string]string{"gateway": g.name})
		if n == 0 {
			t.Errorf("%s served no S3 request: HAProxy did not spread the journey", g.name)
		}
		t.Logf("%s served %v S3 requests", g.name, n)
	}
}

func TestAWSCLIThroughHAProxy(t *testing.T) {
	runThroughHAProxy(t, "bash", "scripts/e2e-awscli.sh")
}

func TestBoto3SeedListPartsThroughHAProxy(t *testing.T) {
	runThroughHAProxy(t, "python3", "scripts/e2e_seed_listparts.py")
}
