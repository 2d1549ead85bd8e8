package topics

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// Print writes infos as an aligned table, one topic a line.
func Print(w io.Writer, infos []Info) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TOPIC\tPARTITIONS\tREPLICATION\tPOLICY\tSTATUS")
	for _, i := range infos {
		status := "exists"
		if i.Created {
			status = "created"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\n", i.Name, i.Partitions, i.Replication, i.Policy, status)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("print topics: %w", err)
	}
	return nil
}
