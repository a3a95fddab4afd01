package redisstore_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/store"
	"github.com/gatehouse/gatehouse/store/redisstore"
	"github.com/gatehouse/gatehouse/store/sqlitestore"
)

// testCA is one CA for the whole test process: Go reads the system roots
// (SSL_CERT_FILE) once, so every run of TestRediss (-count=N) must present
// certificates of the CA that was read first.
var testCA = sync.OnceValues(func() (*x509.Certificate, *ecdsa.PrivateKey) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	return cert, key
})

// writeCert writes the test CA and a server certificate for 127.0.0.1
// signed by it, and returns the paths of the CA, the server certificate
// and its key.
func writeCert(t *testing.T) (ca, cert, key string) {
	t.Helper()
	dir := t.TempDir()
	caCert, caKey := testCA()
	srvKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	srvTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, caCert, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(srvKey)
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return write("ca.pem", "CERTIFICATE", caCert.Raw), write("server.pem", "CERTIFICATE", srvDER),
		write("server.key", "PRIVATE KEY", keyDER)
}

// TestRediss: rediss:// speaks TLS and verifies the server against the
// system roots, which SSL_CERT_FILE extends with a private CA (as an
// operator would).
func TestRediss(t *testing.T) {
	ca, cert, key := writeCert(t)
	addr := startRedisOn(t, "tls-port", "tls-cert-file "+cert, "tls-key-file "+key,
		"tls-ca-cert-file "+ca, "tls-auth-clients no")
	t.Setenv("SSL_CERT_FILE", ca) // read once, at the first TLS verification of the process
	users, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "users.db"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := redisstore.Open(t.Context(), "rediss://"+addr+"/0", users, redisstore.Options{})
	if err != nil {
		t.Fatalf("Open(rediss://): %v", err)
	}
	defer s.Close()
	if err := s.CreateUser(t.Context(), store.User{ID: "u1", Username: "u1", CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	mustLogin(t, s, "u1", "s1", 0)
	if _, err := s.Session(t.Context(), "u1", "s1"); err != nil {
		t.Fatal(err)
	}
	other, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "other.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := redisstore.Open(t.Context(), "redis://"+addr+"/0", other, redisstore.Options{Timeout: time.Second}); err == nil {
		t.Error("plain redis:// to a TLS port succeeded")
	}
}
