// Renders a Codefresh step-type stepsTemplate with Go's text/template, as Codefresh does:
// the template's delimiters from step.yaml, the step's arguments as .Arguments (decoded
// from JSON, so strings, float64 numbers, booleans, []interface{} and map[string]interface{}),
// and no function library beyond the built-ins (no sprig): a template that renders here
// uses nothing Codefresh might lack.
//
//	go run main.go TEMPLATE_FILE LEFT RIGHT CASES_JSON
//
// CASES_JSON holds a JSON list of argument maps; the output is a JSON list of the rendered
// texts, one per case (or {"error": ...} for a case that fails to execute).
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/template"
)

func main() {
	if len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: render TEMPLATE_FILE LEFT RIGHT CASES_JSON")
		os.Exit(2)
	}
	text, err := os.ReadFile(os.Args[1])
	check(err)
	tmpl, err := template.New("stepsTemplate").Delims(os.Args[2], os.Args[3]).Parse(string(text))
	check(err)
	raw, err := os.ReadFile(os.Args[4])
	check(err)
	var cases []map[string]interface{}
	check(json.Unmarshal(raw, &cases))

	results := make([]interface{}, 0, len(cases))
	for _, arguments := range cases {
		var out strings.Builder
		if err := tmpl.Execute(&out, map[string]interface{}{"Arguments": arguments}); err != nil {
			results = append(results, map[string]string{"error": err.Error()})
			continue
		}
		results = append(results, out.String())
	}
	check(json.NewEncoder(os.Stdout).Encode(results))
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "render:", err)
		os.Exit(1)
	}
}
