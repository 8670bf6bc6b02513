package browser

// Helpers of the console's logout, login throttle and admission tests:
// clients from chosen loopback addresses, and a console call held in
// flight.

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/tessera-s3/tessera/internal/tesseratest"
)

// clientFrom is an HTTP client whose connections come from the loopback
// address ip (any 127.x.y.z is this host's): a client the server tells
// apart from the others by address, with no proxy header to trust.
func clientFrom(ip string) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
}

// loginAt posts a login through client to base and returns the answer.
func loginAt(t *testing.T, client *http.Client, base, accessKey, secretKey string) (*http.Response, []byte) {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"accessKeyId": accessKey, "secretAccessKey": secretKey})
	return sessionDoAt(t, client, base, http.MethodPost, consolePath+"api/login", b, nil, "", http.Header{"Content-Type": {"application/json"}})
}

// consoleErr is the console API's error body.
type consoleErr struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func consoleErrOf(t *testing.T, body []byte) consoleErr {
	t.Helper()
	var e consoleErr
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("console error body %q: %v", body, err)
	}
	return e
}

// holdLogin starts a console login whose body stops halfway, and returns
// once the server has admitted it (tessera_s3_admitted_requests rose): a
// console call holding one of --max-requests for as long as the test
// wants. finish sends the rest and returns the login's status.
func holdLogin(t *testing.T, srv *tesseratest.Server, accessKey, secretKey string) (finish func() int) {
	t.Helper()
	admitted := srv.Metric(t, "tessera_s3_admitted_requests", "")
	body, _ := json.Marshal(map[string]string{"accessKeyId": accessKey, "secretAccessKey": secretKey})
	pr, pw := io.Pipe()
	r, err := http.NewRequest(http.MethodPost, srv.URL+consolePath+"api/login", pr)
	if err != nil {
		t.Fatal(err)
	}
	r.ContentLength = int64(len(body))
	r.Header.Set("Content-Type", "application/json")
	type result struct {
		status int
		err    error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := srv.HTTPClient().Do(r)
		if err != nil {
			done <- result{0, err}
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		done <- result{resp.StatusCode, nil}
	}()
	half := len(body) / 2
	if _, err := pw.Write(body[:half]); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pw.CloseWithError(io.ErrUnexpectedEOF) })
	deadline := time.Now().Add(10 * time.Second)
	for srv.Metric(t, "tessera_s3_admitted_requests", "") <= admitted {
		if time.Now().After(deadline) {
			t.Fatal("holdLogin: the server did not admit the login within 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return func() int {
		t.Helper()
		if _, err := pw.Write(body[half:]); err != nil {
			t.Fatal(err)
		}
		pw.Close()
		select {
		case res := <-done:
			if res.err != nil {
				t.Fatalf("held login: %v", res.err)
			}
			return res.status
		case <-time.After(10 * time.Second):
			t.Fatal("held login: no answer within 10 s")
			return 0
		}
	}
}
