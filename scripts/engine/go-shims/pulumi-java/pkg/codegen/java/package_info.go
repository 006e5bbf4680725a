// Package java holds the one type pulumi-docker-build uses from pulumi-java's codegen: the Java
// section of a provider schema's language map, with pulumi-java's JSON field names so that the
// provider's schema reads the same as when built against the real module.
package java

// PackageInfo is the `language.java` section of a Pulumi package schema.
type PackageInfo struct {
	BuildFiles                      string            `json:"buildFiles,omitempty"`
	GradleNexusPublishPluginVersion string            `json:"gradleNexusPublishPluginVersion,omitempty"`
	Dependencies                    map[string]string `json:"dependencies,omitempty"`
}
