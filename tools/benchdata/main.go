// Command benchdata pushes a synthetic, incompressible image set to a
// registry for `make bench` and writes its sources.list: about 1 GB in 20
// images (two of them multi-platform indexes) sharing about 30% of their
// layer bytes.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func main() {
	host := flag.String("registry", "", "registry host:port to push to")
	out := flag.String("sources", "sources.list", "sources.list to write")
	scale := flag.Int("mib", 1000, "approximate total MiB of layer data")
	flag.Parse()
	if *host == "" {
		fmt.Fprintln(os.Stderr, "usage: benchdata -registry HOST:PORT [-sources FILE] [-mib N]")
		os.Exit(2)
	}
	if err := run(*host, *out, *scale); err != nil {
		fmt.Fprintln(os.Stderr, "benchdata:", err)
		os.Exit(1)
	}
}

// layer makes size bytes of incompressible, reproducible data.
func layer(seed uint64, size int) v1.Layer {
	r := rand.New(rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16)}))
	b := make([]byte, size)
	for i := 0; i+8 <= len(b); i += 8 {
		v := r.Uint64()
		for k := 0; k < 8; k++ {
			b[i+k] = byte(v >> (8 * k))
		}
	}
	return static.NewLayer(b, types.OCILayer)
}

func image(layers ...v1.Layer) (v1.Image, error) {
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	return mutate.AppendLayers(img, layers...)
}

func run(host, out string, totalMiB int) error {
	const images = 20
	mib := 1 << 20
	// Three shared base layers carry about 30% of the referenced bytes.
	baseSize := totalMiB * mib * 30 / 100 / images
	uniqueSize := totalMiB * mib * 70 / 100 / images / 2
	bases := []v1.Layer{layer(1, baseSize), layer(2, baseSize), layer(3, baseSize)}
	var list bytes.Buffer
	seed := uint64(100)
	for i := 0; i < images; i++ {
		ref, err := name.ParseReference(fmt.Sprintf("%s/bench/app%02d:v1", host, i))
		if err != nil {
			return err
		}
		if i < 2 { // two multi-platform indexes
			var adds []mutate.IndexAddendum
			for _, arch := range []string{"amd64", "arm64"} {
				seed++
				img, err := image(bases[i%3], layer(seed, uniqueSize/2), layer(seed+1000, uniqueSize/2))
				if err != nil {
					return err
				}
				adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}}})
			}
			idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex), adds...)
			if err := remote.WriteIndex(ref, idx); err != nil {
				return err
			}
		} else {
			seed++
			img, err := image(bases[i%3], layer(seed, uniqueSize), layer(seed+1000, uniqueSize))
			if err != nil {
				return err
			}
			if err := remote.Write(ref, img); err != nil {
				return err
			}
		}
		fmt.Fprintln(&list, ref.String())
	}
	return os.WriteFile(out, list.Bytes(), 0o644)
}
