// The module file of an offline build from Debian's Go source packages: the Go module proxy is
// not reachable from the machines liturgia is released on, so each dependency of go.mod is
// replaced by the folder Debian installs it in (golang-github-spf13-pflag-dev,
// golang-gopkg-yaml.v2-dev). `go build -modfile=go.debian.mod` uses this file instead of
// go.mod; the binary's build information then records each replacement, and its SBOM says so.
module example.com/vertice/cli

go 1.17

require (
	github.com/spf13/pflag v1.0.5
	gopkg.in/yaml.v2 v2.4.0
)

replace github.com/spf13/pflag => /usr/share/gocode/src/github.com/spf13/pflag

replace gopkg.in/yaml.v2 => /usr/share/gocode/src/gopkg.in/yaml.v2
