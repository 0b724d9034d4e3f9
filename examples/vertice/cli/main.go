// Command vertice is the command-line client of the Vertice backend.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/pflag"
	"gopkg.in/yaml.v2"
)

var version = "dev"

func main() {
	from := pflag.String("from", "", "start vertex")
	to := pflag.String("to", "", "end vertex")
	pflag.Parse()
	if *from == "" || *to == "" {
		fmt.Fprintln(os.Stderr, "vertice: --from and --to are required")
		os.Exit(2)
	}
	out, _ := yaml.Marshal(map[string]string{"from": *from, "to": *to, "client": version})
	fmt.Print(string(out))
}
