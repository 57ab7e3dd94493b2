package simulator

import "slices"

// An account can hold several vendor numbers (Options.Vendors). They all sell the
// account's one catalog, each with data of its own.
//
// Decision (Several vendor numbers): the first vendor's sales and finance reports are
// exactly those of a server with that vendor alone; each other vendor's are generated
// from a seed derived from Options.Seed and the vendor number, over the same products,
// so the vendors' totals differ while every product id still finds its app in the
// catalog. Apps, reviews, metrics and analytics belong to the key, not to a vendor. The
// Payments report (PaymentsReport) is the first vendor's.

// hasVendor reports whether v is one of the account's vendor numbers.
func (s *Server) hasVendor(v string) bool { return slices.Contains(s.opt.Vendors, v) }

// vendorGenerators makes a generator per vendor number after the first: a server that
// serves nothing itself, whose reports (report) and truth come from its own seed and the
// account's catalog.
func (s *Server) vendorGenerators() map[string]*Server {
	if len(s.opt.Vendors) < 2 {
		return nil
	}
	out := map[string]*Server{}
	for _, v := range s.opt.Vendors[1:] {
		opt := s.opt
		opt.Vendor, opt.Vendors, opt.Seed = v, nil, derivedSeed(s.opt.Seed, "vendor", v)
		g := New(opt)
		g.cat = s.cat
		out[v] = g
	}
	return out
}
