package schemas

import "github.com/ascetl/etl/report"

// Review tables come from JSON:API resources (GET /v1/apps/{id}/customerReviews with
// include=response), not TSV: Header names the JSON attribute a column comes from.
// Both tables are partitioned by app and by the month of the review's creation (UTC), so
// a review and its response always live in the same partition and re-runs merge by id.
const (
	ReviewsTable   = "customer_reviews"
	ResponsesTable = "review_responses"
)

func reviewPartition() []PartitionKey {
	return []PartitionKey{{Name: "app_id", DuckType: "VARCHAR"}, {Name: "month", DuckType: "VARCHAR"}}
}

func reviewTables() []*Table {
	return []*Table{
		{
			Name: ReviewsTable, Family: report.Reviews, Type: "CUSTOMER_REVIEWS",
			Columns: []Column{
				{Name: "review_id", Header: "id", Kind: String},
				{Name: "rating", Header: "attributes.rating", Kind: Int64},
				{Name: "title", Header: "attributes.title", Kind: String},
				{Name: "body", Header: "attributes.body", Kind: String},
				{Name: "reviewer_nickname", Header: "attributes.reviewerNickname", Kind: String},
				{Name: "created_at", Header: "attributes.createdDate", Kind: Timestamp},
				// The offset Apple wrote, e.g. "-08:00" (created_at itself is UTC).
				{Name: "created_at_offset", Header: "attributes.createdDate (offset)", Kind: String},
				{Name: "territory", Header: "attributes.territory", Kind: String}, // alpha-3, as sent
				{Name: "territory_alpha2", Header: "attributes.territory (alpha-2)", Kind: String},
			},
			Partition:   reviewPartition(),
			UnitsColumn: "rating",
			Mode:        MergeByKey, Key: "review_id",
		},
		{
			Name: ResponsesTable, Family: report.Reviews, Type: "CUSTOMER_REVIEW_RESPONSES",
			Columns: []Column{
				{Name: "review_id", Header: "relationships.review.data.id", Kind: String},
				{Name: "response_id", Header: "id", Kind: String},
				{Name: "response_body", Header: "attributes.responseBody", Kind: String},
				{Name: "state", Header: "attributes.state", Kind: String}, // PUBLISHED, PENDING_PUBLISH
				{Name: "last_modified_at", Header: "attributes.lastModifiedDate", Kind: Timestamp},
				// The review's creation time (UTC), so response time needs no join.
				{Name: "review_created_at", Header: "review attributes.createdDate", Kind: Timestamp},
			},
			Partition: reviewPartition(),
			Mode:      MergeByKey, Key: "review_id",
		},
	}
}
