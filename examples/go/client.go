// Package main is a FerroHSM REST client using only Go's standard library.
//
// TLS: the server's CA file is trusted explicitly (never InsecureSkipVerify); with a
// client certificate and key the connection is mutual TLS (TLS 1.2 at least). Every call
// sends an X-Request-Id (one per logical operation, kept across retries) that FerroHSM
// echoes and records in the audit entry.
//
// Errors: every error code of the API contract is an *APIError whose Code the caller
// can switch on; 429 (rate_limited) and 503 (unavailable, audit_unavailable) are retried
// after the server's Retry-After, a bounded number of times.
package main

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// The error codes of the FerroHSM API contract.
const (
	CodeInvalidRequest   = "invalid_request"   // 400: fix the request
	CodeUnauthenticated  = "unauthenticated"   // 401: token missing, expired or not bound to this certificate
	CodeForbidden        = "forbidden"         // 403: the token's roles do not allow the action
	CodePolicyDenied     = "policy_denied"     // 403: a policy script refused (message says why)
	CodeNotFound         = "not_found"         // 404
	CodeConflict         = "conflict"          // 409: concurrent change or pending approval
	CodeInvalidState     = "invalid_state"     // 409: the key's state forbids the operation
	CodePayloadTooLarge  = "payload_too_large" // 413: bodies are limited to 1 MiB
	CodeIntegrityError   = "integrity_error"   // 422: sealed data failed verification
	CodeRateLimited      = "rate_limited"      // 429: retried after Retry-After
	CodeAuditUnavailable = "audit_unavailable" // 503: refused because it could not be audited; retried
	CodeUnavailable      = "unavailable"       // 503: overloaded or starting; retried
	CodeInternal         = "internal"          // 500
)

// APIError is an error answer of the API.
type APIError struct {
	Status     int
	Code       string
	Message    string
	RequestID  string
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s (%d): %s [request %s]", e.Code, e.Status, e.Message, e.RequestID)
}

// Retryable reports whether the same request may succeed later unchanged.
func (e *APIError) Retryable() bool {
	switch e.Code {
	case CodeRateLimited, CodeUnavailable, CodeAuditUnavailable:
		return true
	}
	return false
}

// Client calls the FerroHSM API.
type Client struct {
	URL        string
	Token      string
	HTTP       *http.Client
	MaxRetries int
	Retries    int
	RequestIDs []string
	Log        func(format string, args ...any)
}

// NewClient builds a client trusting caFile, presenting certFile/keyFile when given.
func NewClient(url, token, caFile, certFile, keyFile string) (*Client, error) {
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, errors.New("no certificate in the CA file")
		}
		tlsConfig.RootCAs = pool
	}
	if certFile != "" {
		pair, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, err
		}
		tlsConfig.Certificates = []tls.Certificate{pair}
	}
	return &Client{
		URL:        strings.TrimRight(url, "/"),
		Token:      token,
		HTTP:       &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsConfig}},
		MaxRetries: 5,
		Log:        func(string, ...any) {},
	}, nil
}

// Call runs one logical operation, retried on 429/503 under the same request id, and
// decodes the answer into out (when not nil).
func (c *Client) Call(method, path string, body, out any, operation string) error {
	id := make([]byte, 6)
	if _, err := rand.Read(id); err != nil {
		return err
	}
	requestID := "example-go-" + operation + "-" + hex.EncodeToString(id)
	c.RequestIDs = append(c.RequestIDs, requestID)
	for attempt := 0; ; attempt++ {
		err := c.once(method, path, body, out, requestID)
		var apiErr *APIError
		if err == nil || !errors.As(err, &apiErr) || !apiErr.Retryable() || attempt == c.MaxRetries {
			return err
		}
		wait := apiErr.RetryAfter
		if wait == 0 {
			wait = time.Duration(1<<attempt) * time.Second
		}
		c.Retries++
		c.Log("%s: retrying %s in %s (request %s)", apiErr.Code, operation, wait, requestID)
		time.Sleep(wait)
	}
}

func (c *Client) once(method, path string, body, out any, requestID string) error {
	var reader io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return err
		}
		reader = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.URL+path, reader)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("X-Request-Id", requestID)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	if err != nil {
		return err
	}
	if res.StatusCode >= 400 {
		return decodeError(res, data, requestID)
	}
	if echoed := res.Header.Get("X-Request-Id"); echoed != requestID {
		return fmt.Errorf("request id not echoed: %q", echoed)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(data, out)
}

func decodeError(res *http.Response, data []byte, requestID string) error {
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	apiErr := &APIError{Status: res.StatusCode, RequestID: requestID}
	if json.Unmarshal(data, &body) == nil && body.Error.Code != "" {
		apiErr.Code, apiErr.Message = body.Error.Code, body.Error.Message
	} else {
		apiErr.Code, apiErr.Message = CodeInternal, fmt.Sprintf("unexpected answer with status %d", res.StatusCode)
	}
	if seconds, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil && seconds >= 0 {
		apiErr.RetryAfter = time.Duration(seconds) * time.Second
	}
	return apiErr
}
