// Stand-in for github.com/pulumi/pulumi-java, which the Go module proxy here does not serve.
// pulumi-docker-build imports it only to put Java SDK-generation settings into its schema's
// language map; nothing at run time reads them. See scripts/pulumi-engine.sh.
module github.com/pulumi/pulumi-java

go 1.24
