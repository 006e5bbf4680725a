// Package codegen holds the one type pulumi-docker-build uses from the .NET SDK generator: the
// `language.csharp` section of a provider schema, with the generator's JSON field names.
package codegen

// CSharpPackageInfo is the `language.csharp` section of a Pulumi package schema.
type CSharpPackageInfo struct {
	RespectSchemaVersion bool              `json:"respectSchemaVersion,omitempty"`
	PackageReferences    map[string]string `json:"packageReferences,omitempty"`
}
