package config

// Sample returns a commented configuration that loads as is, in Ferry and in
// the reference tool: the shared settings, then Ferry's own in a second YAML
// document, with the optional ones commented out.
func Sample() string {
	return sample
}

const sample = `# Ferry configuration, shared with the reference tool: ace-dt reads this
# file too (ace-dt --config FILE). It holds two YAML documents: the first
# is ace-dt's configuration, which both tools read; the second, after the
# "---" line, holds Ferry's own settings, which ace-dt does not read.
apiVersion: config.dt.act3-ace.io/v1alpha1
kind: Configuration

# Registry settings. Registry keys are host[:port] exactly as written in
# references; credentials come from the docker config (docker login,
# DOCKER_CONFIG) and are never written here.
registryConfig:
  registries:
    index.docker.io:
      # Tried in order when pulling; the registry itself is tried last.
      endpoints:
        - https://index.docker.io
      # Regular expression -> replacement for repository paths pulled through
      # the endpoints; the first matching rule in file order applies.
      rewritePull:
        "^rancher/(.*)": "ace/dt/rancher-images/$1"
    # localhost:5000:
    #   endpoints:
    #     - http://localhost:5000    # http:// allows plain HTTP to this endpoint only
  endpointConfig:
    https://index.docker.io:
      supportsReferrers: auto        # tag | api | auto
    # https://registry.example.com:
    #   tls:
    #     insecureSkipVerify: true   # accept any certificate: trusted networks only

# Registry credentials in the docker config.json format (auths, credHelpers,
# credsStore), read before $DOCKER_CONFIG/config.json (default ~/.docker/config.json).
# registryAuthFile: ~/.config/ferry/auth.json

# Reference tool settings, accepted and kept by Ferry:
# cachePath: ~/.cache/ace/dt
# cachePruneMax: 500Mi
# compressionLevel: normal           # min | normal | max
# chunkSize: 100Mi
# concurrentHTTP: 25
# hideProgress: false

---
# Ferry's own settings; each shows its default. They stay in this second
# document because ace-dt refuses keys it does not know in the first.
ferry:
  blockSize: 1Mi                     # every write to a tape is this size (a multiple of 512)
  bufferSize: 256Mi                  # memory between the network and the medium
  concurrency: 4                     # blobs or images moved at once
  registryConcurrency: 4             # requests in flight to one registry host
  # database: ~/.local/share/ferry/ferry.db
  # store: ~/.local/share/ferry/store
  # registries:                      # settings of registries ace-dt has no key for
  #   registry.example.com:
  #     caFile: /etc/ssl/certs/example-ca.pem   # CA certificates trusted for it, besides the system's
`
