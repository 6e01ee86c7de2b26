//go:build !(dev || production || desktop)

package main

import (
	"embed"
	"io/fs"
)

// Plain builds (go vet, go test) carry no frontend: frontend/dist is built,
// not committed. `ferry ui` then serves a page saying so.
var embedded embed.FS

var assets fs.FS = embedded
