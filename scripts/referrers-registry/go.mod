// referrers-registry (scripts/referrers-registry.sh builds it): go-containerregistry's registry package,
// whose referrers endpoint is switched on by an option.
module postgres-images.local/referrers-registry

go 1.26

require github.com/google/go-containerregistry v0.22.1
