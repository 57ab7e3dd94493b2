package schemas

import "github.com/ascetl/etl/report"

// Catalog tables (issue 9) come from JSON:API resources, like the review tables: Header is
// the JSON path a column comes from ("id", "attributes.name", "relationships.app.data.id",
// nested attributes as "attributes.issueCounts.errors"). A Header in parentheses is not
// read from the resource but filled by the pipeline (the app the list was read for, the
// history columns).
//
// The dim_* tables are slowly changing dimensions (type 2): one row per version of an
// entity, valid from valid_from (inclusive) to valid_to (exclusive; null while current).
// When an attribute changes, the current row is closed and a new one opened, so a renamed
// app keeps both names. Each table is one small object per vendor (the key's team),
// rewritten only when something changed. The TestFlight and Xcode Cloud tables belong to
// their own families (report.TestFlight, report.XcodeCloud).
const (
	DimAppsTable          = "dim_apps"
	DimAppVersionsTable   = "dim_app_versions"
	DimBuildsTable        = "dim_builds"
	DimInAppPurchaseTable = "dim_in_app_purchases"
	DimSubscriptionsTable = "dim_subscriptions"

	TestFlightTesterUsageTable = "testflight_beta_tester_usage"
	TestFlightBuildUsageTable  = "testflight_build_usage"
	XcodeCloudRunsTable        = "xcode_cloud_build_runs"
	XcodeCloudActionsTable     = "xcode_cloud_build_actions"
)

// SCD column names shared by every dim_* table (the last three data columns).
const (
	ValidFrom = "valid_from"
	ValidTo   = "valid_to"
	IsCurrent = "is_current"
)

// DimTables lists the dimension tables; the first column of each is its entity id.
func DimTables() []string {
	return []string{DimAppsTable, DimAppVersionsTable, DimBuildsTable, DimInAppPurchaseTable, DimSubscriptionsTable}
}

func scdColumns() []Column {
	return []Column{
		{Name: ValidFrom, Header: "(first snapshot date with these values)", Kind: DateISO},
		{Name: ValidTo, Header: "(snapshot date the values changed or the entity disappeared; null while current)", Kind: DateISO},
		{Name: IsCurrent, Header: "(valid_to is null)", Kind: Bool},
	}
}

func catalogTables() []*Table {
	dim := func(name string, groups ...[]Column) *Table {
		return &Table{Name: name, Family: report.Catalog, Type: upper(name), Columns: cols(append(groups, scdColumns())...),
			Partition: []PartitionKey{{Name: "vendor", DuckType: "VARCHAR"}}, Mode: SlowlyChanging}
	}
	byApp := func(fam report.Family, name, second, secondType string, columns ...Column) *Table {
		return &Table{Name: name, Family: fam, Type: upper(name), Columns: columns,
			Partition: []PartitionKey{{Name: "app_id", DuckType: "VARCHAR"}, {Name: second, DuckType: secondType}}, Mode: MergeByKey}
	}
	appCol := Column{Name: "app_id", Header: "(the app the list was read for)", Kind: String}
	issues := func(prefix string) []Column {
		return []Column{
			{Name: "errors", Header: prefix + "issueCounts.errors", Kind: Int64},
			{Name: "warnings", Header: prefix + "issueCounts.warnings", Kind: Int64},
			{Name: "analyzer_warnings", Header: prefix + "issueCounts.analyzerWarnings", Kind: Int64},
			{Name: "test_failures", Header: prefix + "issueCounts.testFailures", Kind: Int64},
		}
	}
	return []*Table{
		dim(DimAppsTable, []Column{
			{Name: "app_id", Header: "id", Kind: String},
			{Name: "name", Header: "attributes.name", Kind: String},
			{Name: "bundle_id", Header: "attributes.bundleId", Kind: String},
			{Name: "sku", Header: "attributes.sku", Kind: String},
			{Name: "primary_locale", Header: "attributes.primaryLocale", Kind: String},
		}),
		dim(DimAppVersionsTable, []Column{
			{Name: "app_store_version_id", Header: "id", Kind: String},
			appCol,
			{Name: "platform", Header: "attributes.platform", Kind: String},
			{Name: "version_string", Header: "attributes.versionString", Kind: String},
			{Name: "app_store_state", Header: "attributes.appStoreState", Kind: String},
			{Name: "app_version_state", Header: "attributes.appVersionState", Kind: String},
			{Name: "release_type", Header: "attributes.releaseType", Kind: String},
			{Name: "created_at", Header: "attributes.createdDate", Kind: Timestamp},
			{Name: "build_id", Header: "relationships.build.data.id", Kind: String},
		}),
		dim(DimBuildsTable, []Column{
			{Name: "build_id", Header: "id", Kind: String},
			{Name: "app_id", Header: "relationships.app.data.id", Kind: String},
			{Name: "build_number", Header: "attributes.version", Kind: String},
			{Name: "version_string", Header: "(included preReleaseVersions attributes.version)", Kind: String},
			{Name: "platform", Header: "(included preReleaseVersions attributes.platform)", Kind: String},
			{Name: "uploaded_at", Header: "attributes.uploadedDate", Kind: Timestamp},
			{Name: "expires_at", Header: "attributes.expirationDate", Kind: Timestamp},
			{Name: "expired", Header: "attributes.expired", Kind: Bool},
			{Name: "processing_state", Header: "attributes.processingState", Kind: String},
			{Name: "min_os_version", Header: "attributes.minOsVersion", Kind: String},
		}),
		dim(DimInAppPurchaseTable, []Column{
			{Name: "in_app_purchase_id", Header: "id", Kind: String},
			appCol,
			{Name: "name", Header: "attributes.name", Kind: String},
			{Name: "product_id", Header: "attributes.productId", Kind: String},
			{Name: "in_app_purchase_type", Header: "attributes.inAppPurchaseType", Kind: String},
			{Name: "state", Header: "attributes.state", Kind: String},
			{Name: "family_sharable", Header: "attributes.familySharable", Kind: Bool},
		}),
		dim(DimSubscriptionsTable, []Column{
			{Name: "subscription_id", Header: "id", Kind: String},
			appCol,
			{Name: "subscription_group_id", Header: "relationships.group.data.id", Kind: String},
			{Name: "subscription_group_name", Header: "(subscriptionGroups attributes.referenceName)", Kind: String},
			{Name: "name", Header: "attributes.name", Kind: String},
			{Name: "product_id", Header: "attributes.productId", Kind: String},
			{Name: "subscription_period", Header: "attributes.subscriptionPeriod", Kind: String},
			{Name: "group_level", Header: "attributes.groupLevel", Kind: Int64},
			{Name: "state", Header: "attributes.state", Kind: String},
			{Name: "family_sharable", Header: "attributes.familySharable", Kind: Bool},
		}),
		// TestFlight: one row per tester (or build) and UTC day, partitioned by the
		// month of the day; re-runs merge by the key, so overlapping windows never duplicate.
		byApp(report.TestFlight, TestFlightTesterUsageTable, "month", "VARCHAR",
			Column{Name: "usage_key", Header: "(tester_id/day: the merge key)", Kind: String},
			Column{Name: "tester_id", Header: "dimensions.betaTesters.data.id", Kind: String},
			Column{Name: "day", Header: "dataPoints[].start", Kind: DateISO},
			Column{Name: "crash_count", Header: "dataPoints[].values.crashCount", Kind: Int64},
			Column{Name: "session_count", Header: "dataPoints[].values.sessionCount", Kind: Int64},
			Column{Name: "feedback_count", Header: "dataPoints[].values.feedbackCount", Kind: Int64},
		),
		byApp(report.TestFlight, TestFlightBuildUsageTable, "month", "VARCHAR",
			Column{Name: "usage_key", Header: "(build_id/day: the merge key)", Kind: String},
			Column{Name: "build_id", Header: "(builds/{id})", Kind: String},
			Column{Name: "day", Header: "dataPoints[].start", Kind: DateISO},
			Column{Name: "crash_count", Header: "dataPoints[].values.crashCount", Kind: Int64},
			Column{Name: "install_count", Header: "dataPoints[].values.installCount", Kind: Int64},
			Column{Name: "session_count", Header: "dataPoints[].values.sessionCount", Kind: Int64},
			Column{Name: "feedback_count", Header: "dataPoints[].values.feedbackCount", Kind: Int64},
			Column{Name: "invite_count", Header: "dataPoints[].values.inviteCount", Kind: Int64},
		),
		// Xcode Cloud: partitioned by the month the run was created (UTC); an action lives
		// in its run's partition. Merged by id: a run seen RUNNING and later COMPLETE keeps
		// one row, the latest.
		byApp(report.XcodeCloud, XcodeCloudRunsTable, "month", "VARCHAR", cols([]Column{
			{Name: "build_run_id", Header: "id", Kind: String},
			{Name: "product_id", Header: "relationships.product.data.id", Kind: String},
			{Name: "number", Header: "attributes.number", Kind: Int64},
			{Name: "created_at", Header: "attributes.createdDate", Kind: Timestamp},
			{Name: "started_at", Header: "attributes.startedDate", Kind: Timestamp},
			{Name: "finished_at", Header: "attributes.finishedDate", Kind: Timestamp},
			{Name: "execution_progress", Header: "attributes.executionProgress", Kind: String},
			{Name: "completion_status", Header: "attributes.completionStatus", Kind: String},
			{Name: "start_reason", Header: "attributes.startReason", Kind: String},
			{Name: "is_pull_request_build", Header: "attributes.isPullRequestBuild", Kind: Bool},
			{Name: "commit_sha", Header: "attributes.sourceCommit.commitSha", Kind: String},
			{Name: "commit_message", Header: "attributes.sourceCommit.message", Kind: String},
			{Name: "commit_author", Header: "attributes.sourceCommit.author.displayName", Kind: String},
			{Name: "build_ids", Header: "(relationships.builds.data[].id, joined with ',')", Kind: String},
		}, issues("attributes."))...),
		byApp(report.XcodeCloud, XcodeCloudActionsTable, "month", "VARCHAR", cols([]Column{
			{Name: "action_id", Header: "id", Kind: String},
			{Name: "build_run_id", Header: "(ciBuildRuns/{id})", Kind: String},
			{Name: "name", Header: "attributes.name", Kind: String},
			{Name: "action_type", Header: "attributes.actionType", Kind: String},
			{Name: "started_at", Header: "attributes.startedDate", Kind: Timestamp},
			{Name: "finished_at", Header: "attributes.finishedDate", Kind: Timestamp},
			{Name: "execution_progress", Header: "attributes.executionProgress", Kind: String},
			{Name: "completion_status", Header: "attributes.completionStatus", Kind: String},
			{Name: "is_required_to_pass", Header: "attributes.isRequiredToPass", Kind: Bool},
		}, issues("attributes."))...),
	}
}

// upper is the unit type of a catalog table (report.TableName lowercases it back).
func upper(name string) string {
	b := []byte(name)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
