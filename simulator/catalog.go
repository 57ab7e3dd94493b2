package simulator

import "net/http"

// routeCatalog serves /v1/apps and the catalog, TestFlight and Xcode Cloud resources (issue 9).
func (s *Server) routeCatalog(w http.ResponseWriter, r *http.Request) bool { return false }
