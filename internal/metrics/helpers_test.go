package metrics

import "net/http"

type httpHandlerFunc func()

func (f httpHandlerFunc) ServeHTTP(http.ResponseWriter, *http.Request) { f() }
