package schemas

import "github.com/ascetl/etl/report"

// Power and performance metrics and diagnostics (REFERENCE.md §D) come as JSON, so these
// tables are "tidy long" flattenings of it: one row per point, breakdown, goal band,
// insight population, signature and call-stack frame. Header names the JSON path a column
// comes from. Every table is partitioned by app and snapshot_date: each run records what
// Apple reported that day, so trends over time stay queryable; re-running the same day
// replaces that day's snapshot.
const (
	MetricsTable    = "perf_metrics"
	BreakdownsTable = "perf_metric_breakdowns"
	GoalsTable      = "perf_metric_goals"
	InsightsTable   = "perf_insights"
	SignaturesTable = "diagnostic_signatures"
	LogFramesTable  = "diagnostic_log_frames"
)

func metricsPartition() []PartitionKey {
	return []PartitionKey{{Name: "app_id", DuckType: "VARCHAR"}, {Name: "snapshot_date", DuckType: "DATE"}}
}

// source columns say where a metrics document came from: the app endpoint (most recent
// app versions) or one build's endpoint.
var metricSource = []Column{
	{Name: "source", Header: "endpoint: app | build", Kind: String},
	{Name: "build_id", Header: "builds/{id} (null for the app endpoint)", Kind: String},
}

func metricsTables() []*Table {
	t := func(name, typ string, groups ...[]Column) *Table {
		return &Table{Name: name, Family: report.Metrics, Type: typ, Columns: cols(groups...), Partition: metricsPartition()}
	}
	metricKey := []Column{
		{Name: "platform", Header: "productData[].platform", Kind: String},
		{Name: "metric_category", Header: "metricCategories[].identifier", Kind: String},
		{Name: "metric", Header: "metrics[].identifier", Kind: String},
		{Name: "unit", Header: "metrics[].unit.identifier", Kind: String},
		{Name: "unit_display", Header: "metrics[].unit.displayName", Kind: String},
	}
	dataset := []Column{
		{Name: "device", Header: "datasets[].filterCriteria.device", Kind: String},
		{Name: "device_marketing_name", Header: "datasets[].filterCriteria.deviceMarketingName", Kind: String},
		{Name: "percentile", Header: "datasets[].filterCriteria.percentile", Kind: String},
	}
	point := []Column{
		{Name: "version", Header: "points[].version", Kind: String},
		{Name: "point_index", Header: "position of the point in its dataset (0-based)", Kind: Int64},
	}
	return []*Table{
		t(MetricsTable, "PERF_METRICS", metricSource, metricKey, dataset, point, []Column{
			{Name: "value", Header: "points[].value", Kind: Float64},
			{Name: "error_margin", Header: "points[].errorMargin", Kind: Float64},
			{Name: "goal", Header: "points[].goal", Kind: String},
			{Name: "recommended_goal_value", Header: "datasets[].recommendedMetricGoal.value", Kind: Float64},
			{Name: "recommended_goal_detail", Header: "datasets[].recommendedMetricGoal.detail", Kind: String},
		}),
		t(BreakdownsTable, "PERF_METRIC_BREAKDOWNS", metricSource, metricKey, dataset, point, []Column{
			{Name: "breakdown_index", Header: "position in percentageBreakdown (0-based; one object = 0)", Kind: Int64},
			{Name: "sub_system_label", Header: "points[].percentageBreakdown.subSystemLabel", Kind: String},
			{Name: "percentage", Header: "points[].percentageBreakdown.value", Kind: Float64},
		}),
		t(GoalsTable, "PERF_METRIC_GOALS", metricSource, metricKey, []Column{
			{Name: "goal_key", Header: "goalKeys[].goalKey", Kind: String},
			{Name: "lower_bound", Header: "goalKeys[].lowerBound", Kind: Float64},
			{Name: "upper_bound", Header: "goalKeys[].upperBound (null: open-ended)", Kind: Float64},
		}),
		t(InsightsTable, "PERF_INSIGHTS", metricSource, []Column{
			{Name: "insight_kind", Header: "insights.regressions | insights.trendingUp", Kind: String},
			{Name: "insight_index", Header: "position in its list (0-based)", Kind: Int64},
			{Name: "metric_category", Header: "metricCategory", Kind: String},
			{Name: "metric", Header: "metric", Kind: String},
			{Name: "latest_version", Header: "latestVersion", Kind: String},
			{Name: "reference_versions", Header: "referenceVersions (array or string, joined with ',')", Kind: String},
			{Name: "max_latest_version_value", Header: "maxLatestVersionValue", Kind: Float64},
			{Name: "sub_system_label", Header: "subSystemLabel", Kind: String},
			{Name: "high_impact", Header: "highImpact", Kind: Bool},
			{Name: "summary", Header: "summaryString", Kind: String},
			{Name: "population_index", Header: "position in populations (0-based; null when none)", Kind: Int64},
			{Name: "device", Header: "populations[].device", Kind: String},
			{Name: "percentile", Header: "populations[].percentile", Kind: String},
			{Name: "delta_percentage", Header: "populations[].deltaPercentage", Kind: Float64},
			{Name: "reference_average_value", Header: "populations[].referenceAverageValue", Kind: Float64},
			{Name: "latest_version_value", Header: "populations[].latestVersionValue", Kind: Float64},
			{Name: "population_summary", Header: "populations[].summaryString", Kind: String},
		}),
		t(SignaturesTable, "DIAGNOSTIC_SIGNATURES", []Column{
			{Name: "build_id", Header: "builds/{id}", Kind: String},
			{Name: "signature_id", Header: "id", Kind: String},
			{Name: "diagnostic_type", Header: "attributes.diagnosticType", Kind: String},
			{Name: "signature", Header: "attributes.signature", Kind: String},
			{Name: "weight", Header: "attributes.weight", Kind: Float64},
			{Name: "insight_type", Header: "attributes.insight.insightType", Kind: String},
			{Name: "insight_direction", Header: "attributes.insight.direction", Kind: String},
			{Name: "insight_reference_versions", Header: "attributes.insight.referenceVersions (version=value, joined with ',')", Kind: String},
		}),
		t(LogFramesTable, "DIAGNOSTIC_LOG_FRAMES", []Column{
			{Name: "build_id", Header: "builds/{id}", Kind: String},
			{Name: "signature_id", Header: "productData[].signatureId", Kind: String},
			{Name: "log_index", Header: "diagnosticLogs[] position (0-based)", Kind: Int64},
			{Name: "bundle_id", Header: "diagnosticMetaData.bundleId", Kind: String},
			{Name: "event", Header: "diagnosticMetaData.event", Kind: String},
			{Name: "os_version", Header: "diagnosticMetaData.osVersion", Kind: String},
			{Name: "app_version", Header: "diagnosticMetaData.appVersion", Kind: String},
			{Name: "build_version", Header: "diagnosticMetaData.buildVersion", Kind: String},
			{Name: "device_type", Header: "diagnosticMetaData.deviceType", Kind: String},
			{Name: "platform_architecture", Header: "diagnosticMetaData.platformArchitecture", Kind: String},
			{Name: "writes_caused", Header: "diagnosticMetaData.writesCaused", Kind: String},
			{Name: "event_detail", Header: "diagnosticMetaData.eventDetail", Kind: String},
			{Name: "tree_index", Header: "callStackTree[] position", Kind: Int64},
			{Name: "call_stack_per_thread", Header: "callStackTree[].callStackPerThread", Kind: Bool},
			{Name: "stack_index", Header: "callStacks[] position", Kind: Int64},
			// Frames in depth-first pre-order: frame_order is the position in that walk, so
			// ORDER BY frame_order rebuilds every stack; parent_order points at the caller.
			{Name: "frame_order", Header: "depth-first pre-order position within the stack", Kind: Int64},
			{Name: "parent_order", Header: "frame_order of the parent frame (null for a root)", Kind: Int64},
			{Name: "depth", Header: "0 for callStackRootFrames, +1 per subFrames level", Kind: Int64},
			{Name: "sample_count", Header: "sampleCount", Kind: Int64},
			{Name: "is_blame_frame", Header: "isBlameFrame", Kind: Bool},
			{Name: "symbol_name", Header: "symbolName", Kind: String},
			{Name: "binary_name", Header: "binaryName", Kind: String},
			{Name: "binary_uuid", Header: "binaryUUID", Kind: String},
			{Name: "file_name", Header: "fileName", Kind: String},
			{Name: "line_number", Header: "lineNumber (a string in Apple's JSON)", Kind: String},
			{Name: "address", Header: "address", Kind: String},
			{Name: "offset_into_symbol", Header: "offsetIntoSymbol (string)", Kind: String},
			{Name: "offset_into_binary_text_segment", Header: "offsetIntoBinaryTextSegment (string)", Kind: String},
			{Name: "insights_category", Header: "insightsCategory", Kind: String},
			{Name: "raw_frame", Header: "rawFrame", Kind: String},
		}),
	}
}
