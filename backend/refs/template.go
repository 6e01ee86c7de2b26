package refs

import (
	"strings"
	"text/template"
)

// The helpers below match the reference tool's template functions, which
// split the string as written and never normalise it:
//
//	reference                                   Registry         Repository  Tag                 Package
//	quay.io/ceph/ceph:v16.2.7                   quay.io          ceph/ceph   v16.2.7             ceph/ceph:v16.2.7
//	localhost:5000/a/b@sha256:<hex>             localhost:5000   a/b         sha256:<hex>        a/b@sha256:<hex>
//	reg.example/a:v1@sha256:<hex>               reg.example      a           sha256:<hex>        a:v1@sha256:<hex>
//	docker.io/nginx                             docker.io        nginx       ""                  nginx
//
// Tag yields the digest whenever there is one, because the reference tool's
// parser keeps a single "reference" field in which a digest wins.

// Tag returns the tag of s, or its digest when s has one, or "" when neither.
func Tag(s string) (string, error) {
	r, err := Parse(s)
	if err != nil {
		return "", err
	}
	if r.digest != "" {
		return r.digest, nil
	}
	return r.tag, nil
}

// Repository returns the repository path of s as written, e.g. "ceph/ceph".
func Repository(s string) (string, error) {
	r, err := Parse(s)
	if err != nil {
		return "", err
	}
	return r.repository, nil
}

// Registry returns the registry host of s as written, with its port if any.
func Registry(s string) (string, error) {
	r, err := Parse(s)
	if err != nil {
		return "", err
	}
	return r.registry, nil
}

// Package returns s without its registry host: the repository path with its
// tag and digest as written, e.g. "ceph/ceph:v16.2.7".
func Package(s string) (string, error) {
	r, err := Parse(s)
	if err != nil {
		return "", err
	}
	return strings.TrimPrefix(s, r.registry+"/"), nil
}

// FuncMap returns Tag, Repository, Registry and Package under those names,
// for text/template.
func FuncMap() template.FuncMap {
	return template.FuncMap{
		"Tag":        Tag,
		"Repository": Repository,
		"Registry":   Registry,
		"Package":    Package,
	}
}
