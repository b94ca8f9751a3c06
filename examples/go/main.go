// Command ferrohsm-example shows FerroHSM from Go: create a key, encrypt/decrypt,
// sign/verify (also locally against the key's public PEM), and handle errors.
//
//	FERROHSM_TOKEN=<jwt> go run . -url https://hsm:8443 -ca ca.pem [-cert c.pem -key c.key]
//
// The token is read from FERROHSM_TOKEN (or -token-file), never from the command line.
// The program mints nothing; it prints the request id of each operation, which
// GET /api/v1/audit shows in request_id.
package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"strings"
)

type key struct {
	ID        string `json:"id"`
	Algorithm string `json:"algorithm"`
}

func main() {
	url := flag.String("url", "", "server URL, e.g. https://127.0.0.1:8443")
	ca := flag.String("ca", "", "CA certificate (PEM) that signed the server's certificate")
	cert := flag.String("cert", "", "client certificate (PEM) for mutual TLS")
	keyFile := flag.String("key", "", "the client certificate's private key (PEM)")
	tokenFile := flag.String("token-file", "", "file holding the JWT (default: $FERROHSM_TOKEN)")
	name := flag.String("name", "go-example", "prefix of the key names")
	flag.Parse()
	token := os.Getenv("FERROHSM_TOKEN")
	if *tokenFile != "" {
		data, err := os.ReadFile(*tokenFile)
		if err != nil {
			log.Fatal(err)
		}
		token = strings.TrimSpace(string(data))
	}
	if *url == "" || token == "" {
		log.Fatal("give -url and a token in FERROHSM_TOKEN or -token-file")
	}
	c, err := NewClient(*url, token, *ca, *cert, *keyFile)
	if err != nil {
		log.Fatal(err)
	}
	c.Log = func(format string, args ...any) { log.Printf(format, args...) }
	summary, err := run(c, *name)
	if err != nil {
		var apiErr *APIError
		if errors.As(err, &apiErr) {
			log.Fatalf("FerroHSM refused: %v", apiErr)
		}
		log.Fatal(err)
	}
	out, _ := json.Marshal(summary)
	fmt.Println(string(out))
}

func run(c *Client, name string) (map[string]any, error) {
	b64 := base64.StdEncoding
	var aes, ec key
	if err := c.Call("POST", "/api/v1/keys", map[string]any{"name": name + "-aes", "algorithm": "AES-256-GCM"}, &aes, "create"); err != nil {
		return nil, err
	}
	var sealed struct {
		Ciphertext string `json:"ciphertext"`
	}
	plaintext, aad := []byte("account 42"), []byte("customer-7")
	if err := c.Call("POST", "/api/v1/keys/"+aes.ID+"/encrypt", map[string]any{"plaintext": b64.EncodeToString(plaintext), "aad": b64.EncodeToString(aad)}, &sealed, "encrypt"); err != nil {
		return nil, err
	}
	var opened struct {
		Plaintext string `json:"plaintext"`
	}
	if err := c.Call("POST", "/api/v1/keys/"+aes.ID+"/decrypt", map[string]any{"ciphertext": sealed.Ciphertext, "aad": b64.EncodeToString(aad)}, &opened, "decrypt"); err != nil {
		return nil, err
	}
	if got, _ := b64.DecodeString(opened.Plaintext); !bytes.Equal(got, plaintext) {
		return nil, errors.New("decrypt did not return the plaintext")
	}

	if err := c.Call("POST", "/api/v1/keys", map[string]any{"name": name + "-ec", "algorithm": "EC-P256"}, &ec, "create"); err != nil {
		return nil, err
	}
	message := []byte("release 1.0")
	var signed struct {
		Signature string `json:"signature"`
	}
	if err := c.Call("POST", "/api/v1/keys/"+ec.ID+"/sign", map[string]any{"message": b64.EncodeToString(message)}, &signed, "sign"); err != nil {
		return nil, err
	}
	var verified struct {
		Valid bool `json:"valid"`
	}
	if err := c.Call("POST", "/api/v1/keys/"+ec.ID+"/verify", map[string]any{"message": b64.EncodeToString(message), "signature": signed.Signature}, &verified, "verify"); err != nil {
		return nil, err
	}
	if !verified.Valid {
		return nil, errors.New("the server did not verify its own signature")
	}
	// Verify locally too, with the public key the server publishes (SPKI PEM, DER signature).
	var public struct {
		PEM string `json:"pem"`
	}
	if err := c.Call("GET", "/api/v1/keys/"+ec.ID+"/public", nil, &public, "public"); err != nil {
		return nil, err
	}
	block, _ := pem.Decode([]byte(public.PEM))
	if block == nil {
		return nil, errors.New("no PEM public key")
	}
	parsed, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	pub, ok := parsed.(*ecdsa.PublicKey)
	if !ok {
		return nil, errors.New("not an ECDSA key")
	}
	sig, _ := b64.DecodeString(signed.Signature)
	digest := sha256.Sum256(message)
	if !ecdsa.VerifyASN1(pub, digest[:], sig) {
		return nil, errors.New("the signature does not verify locally")
	}

	// An error the caller handles: the contract's not_found.
	handled := ""
	err = c.Call("GET", "/api/v1/keys/no-such-key", nil, nil, "read")
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.Code == CodeNotFound {
		handled = apiErr.Code
	} else {
		return nil, fmt.Errorf("expected not_found, got %v", err)
	}
	return map[string]any{
		"aes_key":         aes.ID,
		"ec_key":          ec.ID,
		"verified_local":  true,
		"handled_error":   handled,
		"retries":         c.Retries,
		"request_ids":     c.RequestIDs,
		"ciphertext_head": strings.Join(strings.SplitN(sealed.Ciphertext, ":", 3)[:2], ":"),
	}, nil
}
