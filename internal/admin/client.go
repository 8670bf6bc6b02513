package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/tessera-s3/tessera/internal/sigv4"
)

// Client calls the admin API with SigV4-signed requests.
type Client struct {
	Endpoint string // e.g. http://127.0.0.1:9000
	Cred     sigv4.Credential
	Region   string
	HTTP     *http.Client
}

// Do sends one request; in (if not nil) is the JSON body, out (if not nil)
// receives the JSON answer. A non-2xx answer is an error with the server's message.
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	if in == nil {
		return c.send(ctx, method, path, nil, false, out)
	}
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return c.send(ctx, method, path, body, true, out)
}

// DoBody is Do with a body sent byte for byte (a key policy document is
// stored as written, so it must not be re-encoded on the way).
func (c *Client) DoBody(ctx context.Context, method, path string, body []byte, out any) error {
	return c.send(ctx, method, path, body, true, out)
}

func (c *Client) send(ctx context.Context, method, path string, body []byte, isJSON bool, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.Endpoint, "/")+Prefix+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if isJSON {
		req.Header.Set("Content-Type", "application/json")
	}
	region := c.Region
	if region == "" {
		region = "us-east-1"
	}
	sigv4.Sign(req, c.Cred, region, body, time.Now())
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		var e errorBody
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			return fmt.Errorf("admin: %s: %s", resp.Status, e.Error)
		}
		return fmt.Errorf("admin: %s", resp.Status)
	}
	if out != nil && len(data) > 0 {
		return json.Unmarshal(data, out)
	}
	return nil
}
