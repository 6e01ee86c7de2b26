//go:build dev || production || desktop

package main

import (
	"embed"
	"io/fs"
)

//go:embed all:frontend/dist
var embedded embed.FS

// assets is the built frontend, embedded in desktop builds.
var assets, _ = fs.Sub(embedded, "frontend/dist")
