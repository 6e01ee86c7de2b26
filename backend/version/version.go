// Package version holds Ferry's version, set at build time with
// -ldflags "-X ferry/backend/version.Version=...".
package version

// Version is the tool version written into gather indexes and archives.
var Version = "0.1.0-dev"
