package s3api

import (
	"net/http"
	"net/url"
)

// httptestRequest builds a request like httptest.NewRequest without
// panicking on malformed input, so fuzzers can feed it anything.
func httptestRequest(method, target string) (*http.Request, error) {
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return nil, err
	}
	if method == "" {
		method = http.MethodGet
	}
	return &http.Request{Method: method, URL: u, Header: http.Header{}, Host: "localhost"}, nil
}
