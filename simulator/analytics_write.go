package simulator

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
)

// The writes of the Analytics Reports API: POST and DELETE of report requests, and the
// error documents whose source may point into the request body.

// anaError is an error whose source may be a JSON pointer into the request body.
type anaError struct {
	status              int
	code, title, detail string
	pointer, parameter  string
}

func writeAnaError(w http.ResponseWriter, e anaError) {
	obj := map[string]any{"id": newID(), "status": strconv.Itoa(e.status), "code": e.code, "title": e.title}
	if e.detail != "" {
		obj["detail"] = e.detail
	}
	switch {
	case e.pointer != "":
		obj["source"] = map[string]string{"pointer": e.pointer}
	case e.parameter != "":
		obj["source"] = map[string]string{"parameter": e.parameter}
	}
	b, _ := json.Marshal(map[string]any{"errors": []any{obj}})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	_, _ = w.Write(b)
}

const titleEntity = "The request entity is not valid."

func errEntity(code, detail, pointer string) anaError {
	return anaError{status: 422, code: code, title: titleEntity, detail: detail, pointer: pointer}
}

// errDuplicate is the 409 for a second request of the same access type.
func errDuplicate() anaError {
	return anaError{status: 409, code: "ENTITY_ERROR", title: titleEntity,
		detail: "You already have such an entity", pointer: "/data/attributes/accessType"}
}

type createBody struct {
	Data *struct {
		Type       string `json:"type"`
		Attributes struct {
			AccessType string `json:"accessType"`
		} `json:"attributes"`
		Relationships struct {
			App struct {
				Data *struct {
					Type string `json:"type"`
					ID   string `json:"id"`
				} `json:"data"`
			} `json:"app"`
		} `json:"relationships"`
	} `json:"data"`
}

// Decision (Requests): POST body as Apple's sample → 201 with Location; bad JSON, wrong type,
// unknown accessType or app → 422 ENTITY_ERROR.* with source.pointer. 409 ENTITY_ERROR "You
// already have such an entity" (pointer /data/attributes/accessType) when the app has a
// non-deleted request of that accessType, stopped ones included (a stopped request blocks a new
// ONGOING until DELETEd), and for ONE_TIME_SNAPSHOT also when one was created in the same UTC
// month even if since deleted. DELETE → 204, then 404 on every path below the request. GET of
// the collection → 405. Roles are not checked.
func (s *Server) anaPost(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var b createBody
	if err == nil {
		err = json.Unmarshal(raw, &b)
	}
	switch {
	case err != nil || b.Data == nil:
		writeAnaError(w, errEntity("ENTITY_UNPROCESSABLE", "The request body is not a valid JSON:API document.", ""))
		return
	case b.Data.Type != "analyticsReportRequests":
		writeAnaError(w, errEntity("ENTITY_ERROR.TYPE_MISMATCH",
			fmt.Sprintf("The type '%s' is not the expected type 'analyticsReportRequests'.", b.Data.Type), "/data/type"))
		return
	case !slices.Contains(accessTypes, b.Data.Attributes.AccessType):
		writeAnaError(w, errEntity("ENTITY_ERROR.ATTRIBUTE.INVALID",
			fmt.Sprintf("'%s' is not a valid value for the attribute 'accessType'.", b.Data.Attributes.AccessType),
			"/data/attributes/accessType"))
		return
	}
	app := b.Data.Relationships.App.Data
	st := s.anaStore()
	st.mu.Lock()
	if app == nil || app.Type != "apps" || st.apps[app.ID] == nil {
		st.mu.Unlock()
		id := ""
		if app != nil {
			id = app.ID
		}
		writeAnaError(w, errEntity("ENTITY_ERROR.RELATIONSHIP.INVALID",
			fmt.Sprintf("There is no resource of type 'apps' with id '%s'.", id), "/data/relationships/app"))
		return
	}
	now := s.now()
	q, ok := s.anaCreate(st, app.ID, b.Data.Attributes.AccessType, now)
	st.mu.Unlock()
	if !ok {
		writeAnaError(w, errDuplicate())
		return
	}
	base := "http://" + r.Host
	res := requestRes(base, q, now, nil)
	body, _ := json.Marshal(map[string]any{"data": res, "links": map[string]string{"self": base + "/v1/analyticsReportRequests"}})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Location", base+"/v1/analyticsReportRequests/"+q.id)
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(body)
}

func (s *Server) anaDelete(w http.ResponseWriter, id string) {
	st := s.anaStore()
	st.mu.Lock()
	q := st.live(id)
	if q != nil {
		q.deleted = s.now()
	}
	st.mu.Unlock()
	if q == nil {
		writeError(w, errNoResource("analyticsReportRequests", id))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
