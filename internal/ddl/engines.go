package ddl

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// trino: Hive connector table over the existing tree. Partition columns must come last,
// in partitioned_by order; the metastore learns the partitions that exist from
// system.sync_partition_metadata (FULL also forgets deleted ones).
func (g *generator) trino(t Table) ([]string, error) {
	cols, err := g.columns(allFields(t))
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString("CREATE TABLE IF NOT EXISTS " + g.qualified(t.Name) + " (\n" + cols + "\n)\nWITH (\n")
	b.WriteString("  external_location = " + lit(g.tableLocation(t)) + ",\n  format = 'PARQUET'")
	if len(t.Partition) > 0 {
		keys := make([]string, len(t.Partition))
		for i, k := range t.Partition {
			keys[i] = lit(k.Name)
		}
		b.WriteString(",\n  partitioned_by = ARRAY[" + strings.Join(keys, ", ") + "]")
	}
	b.WriteString("\n)")
	out := []string{b.String()}
	if len(t.Partition) > 0 {
		proc := "system.sync_partition_metadata"
		if len(g.sch) > 1 {
			proc = g.ident(g.sch[0]) + "." + proc // catalog-qualified
		}
		out = append(out, fmt.Sprintf("CALL %s(schema_name => %s, table_name => %s, mode => 'FULL')",
			proc, lit(g.sch[len(g.sch)-1]), lit(t.Name)))
	}
	return out, nil
}

// athena: Hive DDL with partition projection: Athena computes the partitions from the
// table properties at query time, so no MSCK REPAIR or Glue crawler is needed and new
// partitions are visible as soon as the loader writes them.
func (g *generator) athena(t Table) ([]string, error) {
	cols, err := g.columns(t.Fields)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString("CREATE EXTERNAL TABLE IF NOT EXISTS " + g.qualified(t.Name) + " (\n" + cols + "\n)\n")
	if len(t.Partition) > 0 {
		keys, err := g.columns(keyFields(t.Partition))
		if err != nil {
			return nil, err
		}
		b.WriteString("PARTITIONED BY (\n" + keys + "\n)\n")
	}
	b.WriteString("STORED AS PARQUET\nLOCATION " + lit(g.tableLocation(t)))
	props, err := g.projection(t)
	if err != nil {
		return nil, err
	}
	if len(props) > 0 {
		lines := make([]string, len(props))
		for i, p := range props {
			lines[i] = "  " + lit(p[0]) + " = " + lit(p[1])
		}
		b.WriteString("\nTBLPROPERTIES (\n" + strings.Join(lines, ",\n") + "\n)")
	}
	return []string{b.String()}, nil
}

// spark: a Parquet data source table. pathGlobFilter keeps side files of a local
// fileblob bucket (*.attrs) and interrupted temporaries out of the scan; partitions are
// registered in the catalog by MSCK REPAIR TABLE.
func (g *generator) spark(t Table) ([]string, error) {
	cols, err := g.columns(allFields(t))
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString("CREATE TABLE IF NOT EXISTS " + g.qualified(t.Name) + " (\n" + cols + "\n)\nUSING PARQUET\n")
	b.WriteString("OPTIONS ('pathGlobFilter' = '*.parquet')\n")
	if len(t.Partition) > 0 {
		keys := make([]string, len(t.Partition))
		for i, k := range t.Partition {
			keys[i] = g.ident(k.Name)
		}
		b.WriteString("PARTITIONED BY (" + strings.Join(keys, ", ") + ")\n")
	}
	b.WriteString("LOCATION " + lit(g.tableLocation(t)))
	out := []string{b.String()}
	if len(t.Partition) > 0 {
		out = append(out, "MSCK REPAIR TABLE "+g.qualified(t.Name))
	}
	return out, nil
}

// bigquery: an external table with custom hive partitioning (the keys typed as listed,
// in path order). Partitions are listed at query time. decimal_target_types lets rates,
// decimal(18,10), be read as BIGNUMERIC.
func (g *generator) bigquery(t Table) ([]string, error) {
	cols, err := g.columns(t.Fields)
	if err != nil {
		return nil, err
	}
	loc := g.tableLocation(t)
	var b strings.Builder
	b.WriteString("CREATE OR REPLACE EXTERNAL TABLE " + g.qualified(t.Name) + " (\n" + cols + "\n)\n")
	if g.opt.Connection != "" {
		b.WriteString("WITH CONNECTION " + g.ident(g.opt.Connection) + "\n")
	}
	if len(t.Partition) > 0 {
		keys, err := g.columns(keyFields(t.Partition))
		if err != nil {
			return nil, err
		}
		b.WriteString("WITH PARTITION COLUMNS (\n" + keys + "\n)\n")
	}
	// *.parquet, not *: a sales period loaded into a compacted month waits in a
	// _<day>.pending object (Parquet bytes) that no reader may see (load/compact.go).
	b.WriteString("OPTIONS (\n  format = 'PARQUET',\n  uris = [" + lit(loc+"*.parquet") + "],\n")
	if len(t.Partition) > 0 {
		b.WriteString("  hive_partition_uri_prefix = " + lit(strings.TrimSuffix(loc, "/")) + ",\n")
		b.WriteString("  require_hive_partition_filter = false,\n")
	}
	b.WriteString("  decimal_target_types = ['NUMERIC', 'BIGNUMERIC']\n)")
	return []string{b.String()}, nil
}

// allFields is the file columns followed by the partition keys, as Trino and Spark list
// them.
func allFields(t Table) []arrow.Field {
	return append(t.Fields[:len(t.Fields):len(t.Fields)], keyFields(t.Partition)...)
}
