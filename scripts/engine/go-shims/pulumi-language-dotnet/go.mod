// Stand-in for github.com/pulumi/pulumi-dotnet/pulumi-language-dotnet/v3, which the Go module proxy
// here does not serve at the version pulumi-docker-build requires. pulumi-docker-build imports it only
// to put .NET SDK-generation settings into its schema's language map; nothing at run time reads them.
module github.com/pulumi/pulumi-dotnet/pulumi-language-dotnet/v3

go 1.24
