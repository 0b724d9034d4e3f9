module example.com/vertice/cli

go 1.17

require (
	github.com/spf13/pflag v1.0.5
	gopkg.in/yaml.v2 v2.4.0
)
