// scan-db writes an offline Trivy vulnerability database from a JSON file of advisories, for testing the
// scan gate without downloading the real database:
//
//	scan-db ADVISORIES.json OUTPUT_CACHE_DIR
//
// It writes OUTPUT_CACHE_DIR/db/trivy.db and OUTPUT_CACHE_DIR/db/metadata.json, as `trivy --cache-dir
// OUTPUT_CACHE_DIR --skip-db-update` reads them. ADVISORIES.json is an array of
//
//	{"source":"debian 13","package":"postgresql-17","id":"CVE-2099-0001","fixedVersion":"17.99-1",
//	 "severity":"HIGH","title":"test advisory"}
//
// source is the bucket Trivy looks a package up in: "<os family> <release>" for OS packages as Trivy names
// them ("debian 13", "ubuntu 24.04", "alpine 3.22"); for Debian, package is the source package name and
// fixedVersion a Debian version (an empty fixedVersion is an unfixed vulnerability). severity is one of
// UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL. Optional: "description", "dataSource" (the source ID, by default
// the first word of source: "debian").
//
// The advisories go through trivy-db's own build pipeline (vulndb: insert, optimize, cleanup, metadata),
// so the file has the buckets and schema version the trivy-db module this is pinned at (the one Trivy's
// go.mod requires) writes.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/aquasecurity/trivy-db/pkg/db"
	"github.com/aquasecurity/trivy-db/pkg/metadata"
	"github.com/aquasecurity/trivy-db/pkg/types"
	"github.com/aquasecurity/trivy-db/pkg/vulndb"
	"github.com/aquasecurity/trivy-db/pkg/vulnsrc"
)

// How long Trivy treats the database as fresh when it is run without --skip-db-update.
const updateInterval = 24 * time.Hour

type advisory struct {
	Source       string `json:"source"`
	Package      string `json:"package"`
	ID           string `json:"id"`
	FixedVersion string `json:"fixedVersion"`
	Severity     string `json:"severity"`
	Title        string `json:"title"`
	Description  string `json:"description"`
	DataSource   string `json:"dataSource"`
}

// fileSource is a trivy-db vulnerability source that puts the advisories read from the file.
type fileSource struct {
	advs []advisory
	sevs []types.Severity
	name string // the file's name, for the data source
	dbc  db.Config
}

const sourceName types.SourceID = "scan-db-file"

func (s fileSource) Name() types.SourceID { return sourceName }

func (s fileSource) Update(string) error {
	return s.dbc.BatchUpdate(func(tx *bolt.Tx) error {
		for i, a := range s.advs {
			sev, id := s.sevs[i], types.SourceID(a.DataSource)
			// As trivy-db's OS sources write them (vulnsrc/debian defaultPut): the advisory per platform and
			// package, the vulnerability's details per source, its ID, and the platform's data source.
			if err := s.dbc.PutAdvisoryDetail(tx, a.ID, a.Package, []string{a.Source},
				&types.Advisory{FixedVersion: a.FixedVersion, Severity: sev}); err != nil {
				return err
			}
			if err := s.dbc.PutVulnerabilityDetail(tx, a.ID, id, types.VulnerabilityDetail{
				ID: a.ID, Title: a.Title, Description: a.Description, Severity: sev,
			}); err != nil {
				return err
			}
			if err := s.dbc.PutVulnerabilityID(tx, a.ID); err != nil {
				return err
			}
			if err := s.dbc.PutDataSource(tx, a.Source, types.DataSource{ID: id, Name: "scan-db (" + s.name + ")"}); err != nil {
				return err
			}
		}
		return nil
	})
}

func readAdvisories(path string) (fileSource, error) {
	src := fileSource{name: filepath.Base(path)}
	raw, err := os.ReadFile(path)
	if err != nil {
		return src, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&src.advs); err != nil {
		return src, fmt.Errorf("%s: %w", path, err)
	}
	src.sevs = make([]types.Severity, len(src.advs))
	for i, a := range src.advs {
		if strings.TrimSpace(a.Source) == "" || a.Package == "" || a.ID == "" {
			return src, fmt.Errorf("%s: advisory %d: source, package and id are required", path, i)
		}
		if a.Severity != "" {
			if src.sevs[i], err = types.NewSeverity(strings.ToUpper(a.Severity)); err != nil {
				return src, fmt.Errorf("%s: advisory %d: %w", path, i, err)
			}
		}
		if a.DataSource == "" {
			src.advs[i].DataSource = strings.Fields(a.Source)[0]
		}
	}
	return src, nil
}

func run(advisories, cacheDir string) error {
	src, err := readAdvisories(advisories)
	if err != nil {
		return err
	}
	dbDir := filepath.Join(cacheDir, "db")
	// A database is rebuilt whole: trivy.db is opened for writing as it is.
	for _, f := range []string{db.Path(dbDir), metadata.Path(dbDir)} {
		if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	if err := db.Init(dbDir); err != nil {
		return err
	}
	defer db.Close()
	tdb := vulndb.New("", dbDir, updateInterval,
		vulndb.WithVulnSrcs(map[types.SourceID]vulnsrc.VulnSrc{sourceName: src}))
	targets := []string{string(sourceName)}
	if len(src.advs) == 0 {
		// No advisory, no bucket: Build's optimize and cleanup steps fail on the buckets that are missing,
		// an empty database (as trivy reads it: no advisory for any package) needs only the metadata.
		err = tdb.Insert(targets)
	} else {
		err = tdb.Build(targets)
	}
	if err != nil {
		return err
	}
	// As `trivy` itself records a download: without DownloadedAt, a run without --skip-db-update would
	// take the database for a broken one and download another.
	mc := metadata.NewClient(dbDir)
	md, err := mc.Get()
	if err != nil {
		return err
	}
	md.DownloadedAt = md.UpdatedAt
	return mc.Update(md)
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: scan-db ADVISORIES.json OUTPUT_CACHE_DIR")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "scan-db:", err)
		os.Exit(1)
	}
}
