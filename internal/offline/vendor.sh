#!/bin/sh
# vendor.sh re-creates assets/ from the npm registry: the exact versions
# goka v1.1.16's web UI loads from public CDNs, and only the files it loads
# (plus the fonts bootstrap.min.css points at and each package's licence),
# at their paths inside the npm package, under assets/<name>@<version>/.
#
# Each tarball is checked against the sha512 the registry published for it
# (npm's dist.integrity, here in hex), so a re-run yields the same bytes;
# `go test ./internal/offline/` then checks the files against the SRI hashes
# in goka's templates and the CDNs'.
#
# Usage: internal/offline/vendor.sh   (needs npm, tar, sha512sum)
set -eu

cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# vendor NAME VERSION SHA512 FILE...: extracts package/FILE... of
# NAME@VERSION into assets/NAME@VERSION/FILE...
vendor() {
	name=$1 version=$2 sum=$3
	shift 3
	tgz=$(npm pack --silent --pack-destination "$tmp" "$name@$version")
	echo "$sum  $tmp/$tgz" | sha512sum -c --quiet -
	dest="assets/$name@$version"
	mkdir -p "$dest"
	for f in "$@"; do # prefix each FILE with the tarball's package/
		set -- "$@" "package/$f"
		shift
	done
	tar -xzf "$tmp/$tgz" -C "$dest" --strip-components=1 --no-same-owner "$@"
}

rm -rf assets
mkdir assets

vendor bootstrap 3.3.7 \
	a9c15a8ac06b701853164cf52149c60d89d7e9959f1731fccce8b1503b475bd229fabfbb31f3056afdabcf2edc20773bae0220ef18e1581a28d664bf536ea3e2 \
	LICENSE \
	dist/css/bootstrap.min.css \
	dist/css/bootstrap-theme.min.css \
	dist/js/bootstrap.min.js \
	dist/fonts/glyphicons-halflings-regular.eot \
	dist/fonts/glyphicons-halflings-regular.svg \
	dist/fonts/glyphicons-halflings-regular.ttf \
	dist/fonts/glyphicons-halflings-regular.woff \
	dist/fonts/glyphicons-halflings-regular.woff2

# dist/cdn/ holds the files the jQuery CDN serves: dist/jquery.min.js is
# the same but for a sourceMappingURL comment naming a map not vendored.
vendor jquery 1.11.0 \
	85f375e605de52ab31dc7c47ac76335737d66b2b86c2b08c38d86f7b189a215fda5252ea0bc226f86ecaaca4cf907cc3ec70a0780690ed5787467dc396f7bc1e \
	MIT-LICENSE.txt \
	dist/cdn/jquery-1.11.0.min.js

vendor lodash 4.17.1 \
	4d4f26a0b7ea18ec75449a203bdb94d9df74ab42f927fd60fe2e1f91d079666439aac8f05670af8395d6ba2c2aa8f367c81425429f2e91df400d3636edd1ac89 \
	LICENSE \
	lodash.min.js

# d3js.org/d3.v4.min.js is the last v4 release.
vendor d3 4.13.0 \
	97c738fb44a576354a2da136586fbe11096a0fb9a1fdd9908ef8b62f694a3da740542f936c90b8722ed493d6d18be4e8d3e6a7b20b12d2259f3e30fb0c1cbe15 \
	LICENSE \
	build/d3.min.js

chmod -R u=rwX,go=rX assets
find assets -type f | sort | xargs sha384sum
