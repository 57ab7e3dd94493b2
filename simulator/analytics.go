package simulator

import "net/http"

// routePresigned serves pre-signed segment downloads (no API authentication) (issue 3).
func (s *Server) routePresigned(w http.ResponseWriter, r *http.Request) bool { return false }

// analyticsWrite reports whether r is a POST or DELETE the Analytics Reports API accepts.
func (s *Server) analyticsWrite(r *http.Request) bool { return false }

// routeAnalytics serves the Analytics Reports API (issue 3).
func (s *Server) routeAnalytics(w http.ResponseWriter, r *http.Request) bool { return false }
