// Package troupe is an HTTP server whose requests flow as messages through a
// pipeline of supervised actors.
//
// Declare stages (middleware) and handlers, put them on routes and groups,
// and run:
//
//	app := troupe.New(troupe.Config{})
//	app.Use(troupe.Stage("server-header", actors.Global, actors.StageFunc(func(ex *actors.Exchange) error {
//		ex.Response.Header().Set("Server", "troupe")
//		return nil
//	})))
//	api := app.Group("/api", authStage)
//	api.GET("/items/{id}", func(ex *actors.Exchange) error {
//		return ex.JSON(200, map[string]string{"id": ex.Params.Get("id")})
//	})
//	err := app.Run(ctx) // serves until ctx ends, then shuts down gracefully
//
// Each route's stages (global, then its groups' from the outermost, then its
// own) are ordered by priority and become the route's itinerary. Stateless
// stages and handlers (the default) run on the request's own goroutine,
// supervised by their hop's actor, and may block without holding up any
// other request; stateful stages own their state in actors that the
// request visits. A stage that panics fails only the request that hit it
// (500, at once); its actor is restarted and every other request goes on.
// See docs/ARCHITECTURE.md.
package troupe
