// referrers-registry (scripts/referrers-registry.sh builds and starts it): an in-memory OCI registry with
// the OCI 1.1 referrers API, for the referrers test tier (test/e2e/referrers.test.ts). Debian's
// docker-registry (distribution 2.8) has no referrers endpoint, so cosign and oras fall back to a tag there.
//
// The registry is go-containerregistry's pkg/registry with its referrers option on. Its referrers list
// takes each descriptor's artifactType from the manifest's config media type only; the distribution spec
// says the manifest's own artifactType comes first. cosign 3's bundles have an empty config and
// artifactType application/vnd.dev.sigstore.bundle.v0.3+json, so without the fix below every bundle would
// be listed as application/vnd.oci.empty.v1+json. The fix also applies the artifactType query filter.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:5002", "address to listen on (HOST:PORT)")
	verbose := flag.Bool("verbose", false, "log every request to stderr")
	flag.Parse()

	// Quiet by default: the handler logs each request, which a test run does not need.
	out := io.Discard
	if *verbose {
		out = os.Stderr
	}
	inner := registry.New(registry.Logger(log.New(out, "", log.LstdFlags)), registry.WithReferrersSupport(true))

	server := &http.Server{Addr: *addr, Handler: referrers{inner}, ReadHeaderTimeout: 10 * time.Second}
	log.Printf("referrers-registry listening on %s", *addr)
	log.Fatal(server.ListenAndServe())
}

// referrers passes every request to the registry and corrects its answers to GET /v2/REPO/referrers/DIGEST.
type referrers struct{ next http.Handler }

func (h referrers) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	repo, ok := referrersRepo(r.URL.Path)
	if !ok || r.Method != http.MethodGet {
		h.next.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	h.next.ServeHTTP(rec, r)
	var index v1.IndexManifest
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &index) != nil {
		copyResponse(w, rec)
		return
	}
	want := r.URL.Query()["artifactType"]
	kept := []v1.Descriptor{}
	for _, d := range index.Manifests {
		if t := h.artifactType(repo, d.Digest.String()); t != "" {
			d.ArtifactType = t
		}
		if len(want) == 0 || slices.Contains(want, d.ArtifactType) {
			kept = append(kept, d)
		}
	}
	index.Manifests = kept
	body, err := json.Marshal(&index)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if len(want) > 0 {
		w.Header().Set("OCI-Filters-Applied", "artifactType")
	}
	w.Header().Set("Content-Type", string(index.MediaType))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// artifactType is the top-level artifactType of the manifest REPO@DIGEST, read through the registry ("" when
// it has none or cannot be read: the registry's own value stays).
func (h referrers) artifactType(repo, digest string) string {
	req := httptest.NewRequest(http.MethodGet, "/v2/"+repo+"/manifests/"+digest, nil)
	rec := httptest.NewRecorder()
	h.next.ServeHTTP(rec, req)
	var m struct {
		ArtifactType string `json:"artifactType"`
	}
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &m) != nil {
		return ""
	}
	return m.ArtifactType
}

// referrersRepo is REPO of a path /v2/REPO/referrers/DIGEST.
func referrersRepo(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, "/v2/")
	if !ok {
		return "", false
	}
	i := strings.LastIndex(rest, "/referrers/")
	if i <= 0 || strings.Contains(rest[i+len("/referrers/"):], "/") {
		return "", false
	}
	return rest[:i], true
}

func copyResponse(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = io.Copy(w, bytes.NewReader(rec.Body.Bytes()))
}
